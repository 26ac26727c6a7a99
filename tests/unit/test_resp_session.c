/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of resp_session.c, through a loopback conn (no socket):
 * pipelined replies in order, refusal from a command's name with the
 * rest skipped, MULTI queueing and its abort, the cross-protocol close,
 * and sniffing between RESP and HTTP.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "http_session.h"
#include "loopback.h"
#include "resp_session.h"

static const struct conn_proto *const test_resp_only[] = {&resp_session_proto};
static const struct conn_proto *const test_both[] = {
    &http_session_proto, &resp_session_proto};

/* Sends bytes and asserts the exact reply. */
static void
test_exchange(struct loopback *lb, const char *bytes, const char *want)
{
	loopback_send(lb, bytes);
	loopback_expect(lb, want);
}

START_TEST(test_resp_session_pipelined_in_order)
{
	struct loopback lb;

	loopback_init(&lb, test_resp_only, 1);
	test_exchange(&lb,
	    "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING x\r\n",
	    "+PONG\r\n$2\r\nhi\r\n$1\r\nx\r\n");
	ck_assert_str_eq(lb.c->proto->name, "resp");
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_resp_session_partial_request_waits)
{
	struct loopback lb;

	loopback_init(&lb, test_resp_only, 1);
	test_exchange(&lb, "*2\r\n$4\r\nECHO\r\n$5\r\nhel", "");
	ck_assert(lb.c->in != NULL);
	test_exchange(&lb, "lo\r\n", "$5\r\nhello\r\n");
	ck_assert(lb.c->in == NULL);
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_resp_session_multi_queues_then_execs)
{
	struct loopback lb;

	loopback_init(&lb, test_resp_only, 1);
	test_exchange(&lb, "MULTI\r\nPING\r\nECHO a\r\n",
	    "+OK\r\n+QUEUED\r\n+QUEUED\r\n");
	ck_assert(resp_session_in_multi(lb.c));
	test_exchange(&lb, "EXEC\r\n", "*2\r\n+PONG\r\n$1\r\na\r\n");
	ck_assert(!resp_session_in_multi(lb.c));
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_resp_session_multi_aborts_after_refusal)
{
	struct loopback lb;

	loopback_init(&lb, test_resp_only, 1);
	test_exchange(&lb, "MULTI\r\nNOPE 1\r\nPING\r\nEXEC\r\n",
	    "+OK\r\n"
	    "-ERR unknown command 'NOPE', with args beginning with: '1' \r\n"
	    "+QUEUED\r\n"
	    "-EXECABORT Transaction discarded because of previous "
	    "errors.\r\n");
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_resp_session_discard_forgets_queue)
{
	struct loopback lb;

	loopback_init(&lb, test_resp_only, 1);
	test_exchange(&lb, "MULTI\r\nPING\r\nDISCARD\r\nEXEC\r\n",
	    "+OK\r\n+QUEUED\r\n+OK\r\n-ERR EXEC without MULTI\r\n");
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_resp_session_cross_protocol_closes)
{
	struct loopback lb;

	loopback_init(&lb, test_resp_only, 1);
	test_exchange(&lb, "POST / HTTP/1.1\r\nHost: x\r\n\r\n", "");
	ck_assert(loopback_closed(&lb));
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_resp_session_sniffed_among_protocols)
{
	struct loopback lb;

	loopback_init(&lb, test_both, 2);
	test_exchange(&lb, "GE", "");
	ck_assert_ptr_null(lb.c->proto);
	test_exchange(&lb, "T foo\r\n",
	    "-ERR unknown command 'GET', with "
	    "args beginning with: 'foo' \r\n");
	ck_assert_str_eq(lb.c->proto->name, "resp");
	loopback_fini(&lb);
}
END_TEST

/* The input the conn keeps between reads: a partial request's. */
static size_t
test_kept(const struct loopback *lb)
{
	return lb->c->in != NULL ? evbuffer_get_length(lb->c->in) : 0;
}

START_TEST(test_resp_session_refuses_from_name)
{
	struct loopback lb;
	char chunk[4097];
	size_t i;

	loopback_init(&lb, test_resp_only, 1);
	memset(chunk, 'x', sizeof(chunk) - 1);
	chunk[sizeof(chunk) - 1] = '\0';
	/* Answered from the name, before the 1 MB argument arrives... */
	test_exchange(&lb,
	    "PING\r\n*3\r\n$4\r\nnope\r\n$1\r\na\r\n$1000000\r\n",
	    "+PONG\r\n-ERR unknown command 'nope', with args beginning with: "
	    "'a' \r\n");
	ck_assert(lb.c->proto->midway(lb.c));
	/* ... which is skipped as it comes, never kept. */
	for (i = 0; i < 1000000 / 4096; i++) {
		test_exchange(&lb, chunk, "");
		ck_assert_uint_eq(test_kept(&lb), 0);
	}
	chunk[1000000 % 4096] = '\0';
	test_exchange(&lb, chunk, "");
	test_exchange(&lb, "\r\nPING\r\n", "+PONG\r\n");
	ck_assert(!lb.c->proto->midway(lb.c));
	ck_assert(!loopback_closed(&lb));
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_resp_session_admits_from_name)
{
	struct loopback lb;

	loopback_init(&lb, test_resp_only, 1);
	test_exchange(&lb, "*2\r\n$4\r\nECHO\r\n$6\r\nhel", "");
	ck_assert(!lb.c->proto->midway(lb.c));
	test_exchange(&lb, "lo!\r\n", "$6\r\nhello!\r\n");
	/* Over the size limit once admitted: the usual protocol error. */
	test_exchange(&lb, "*2\r\n$4\r\nECHO\r\n$999999999999\r\n",
	    "-ERR Protocol error: invalid bulk length\r\n");
	ck_assert(loopback_closed(&lb));
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_resp_session_multi_refused_from_name)
{
	struct loopback lb;

	loopback_init(&lb, test_resp_only, 1);
	test_exchange(&lb, "MULTI\r\n*2\r\n$4\r\nECHO\r\n$2\r\nh", "+OK\r\n");
	test_exchange(&lb, "i\r\n", "+QUEUED\r\n");
	test_exchange(&lb, "*2\r\n$4\r\nnope\r\n$10\r\nab",
	    "-ERR unknown command 'nope', with args beginning with: \r\n");
	test_exchange(&lb, "cdefghij\r\nPING\r\nEXEC\r\n",
	    "+QUEUED\r\n-EXECABORT Transaction discarded because of "
	    "previous errors.\r\n");
	loopback_fini(&lb);
}
END_TEST

#define NO_PASSWORD                                                            \
	"-ERR AUTH <password> called without any password configured for "     \
	"the default user. Are you sure your configuration is correct?\r\n"

START_TEST(test_resp_session_auth_without_auth)
{
	struct loopback lb;
	char *got;

	loopback_init(&lb, test_resp_only, 1);
	test_exchange(&lb, "AUTH secret\r\n", NO_PASSWORD);
	test_exchange(&lb, "AUTH default secret\r\n", NO_PASSWORD);
	test_exchange(&lb, "HELLO 2 AUTH alice secret\r\n", NO_PASSWORD);
	test_exchange(&lb, "AUTH a b c\r\n", "-ERR syntax error\r\n");
	/* No auth: every caller is in, as on a fresh Redis. */
	loopback_send(&lb, "HELLO 3 SETNAME x\r\nCLIENT GETNAME\r\n");
	got = loopback_take(&lb);
	ck_assert_ptr_nonnull(strstr(got, "$5\r\nproto\r\n:3\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "$1\r\nx\r\n"));
	free(got);
	loopback_send(&lb, "CLIENT INFO\r\n");
	got = loopback_take(&lb);
	ck_assert_ptr_nonnull(strstr(got, " cmd=client user=default "));
	free(got);
	loopback_fini(&lb);
}
END_TEST

static Suite *
resp_session_suite(void)
{
	Suite *s = suite_create("resp_session");
	TCase *tc;

	tc = tcase_create("pipelining");
	tcase_add_test(tc, test_resp_session_pipelined_in_order);
	tcase_add_test(tc, test_resp_session_partial_request_waits);
	tcase_add_test(tc, test_resp_session_refuses_from_name);
	tcase_add_test(tc, test_resp_session_admits_from_name);
	suite_add_tcase(s, tc);
	tc = tcase_create("multi");
	tcase_add_test(tc, test_resp_session_multi_queues_then_execs);
	tcase_add_test(tc, test_resp_session_multi_aborts_after_refusal);
	tcase_add_test(tc, test_resp_session_discard_forgets_queue);
	tcase_add_test(tc, test_resp_session_multi_refused_from_name);
	suite_add_tcase(s, tc);
	tc = tcase_create("auth");
	tcase_add_test(tc, test_resp_session_auth_without_auth);
	suite_add_tcase(s, tc);
	tc = tcase_create("sniffing");
	tcase_add_test(tc, test_resp_session_cross_protocol_closes);
	tcase_add_test(tc, test_resp_session_sniffed_among_protocols);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(resp_session_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
