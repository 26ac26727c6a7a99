/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of call.c, through a loopback conn (no socket) whose
 * registry adds a deferred command of the test's own (LATER) to the
 * built-ins, and one streamed command (THREE): pipelined replies stay in
 * request order around a deferred call, a deferred call whose conn closes
 * is orphaned and released, the caller's user and TLS subject reach
 * handlers (a deferred call keeps a copy), and a stream's framing on
 * RESP2 and HTTP.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <check.h>

#include <duet/plugin.h>

#include "builtin.h"
#include "call.h"
#include "dispatch.h"
#include "http_session.h"
#include "loopback.h"
#include "registry.h"
#include "resp_session.h"

static const struct conn_proto *const test_resp_only[] = {&resp_session_proto};
static const struct conn_proto *const test_http_only[] = {&http_session_proto};

/* The handle of the last LATER call, answered by the test. */
static duet_call *test_later;

static void
test_cmd_later(duet_call *call)
{
	ck_assert_ptr_null(test_later);
	ck_assert_ptr_nonnull(test_later = duet_defer(call));
}

/* Streams three items: 1, 2, "three". */
static void
test_cmd_three(duet_call *call)
{
	duet_reply_int(call, 1);
	if (duet_stream_send(call) != 0)
		return;
	duet_reply_int(call, 2);
	if (duet_stream_send(call) != 0)
		return;
	duet_reply_str(call, "three", 5);
	duet_stream_send(call);
}

/* Replies [user, tls_subject] (duet_call_info), nil for NULL. */
static void
test_cmd_who(duet_call *call)
{
	static const int what[] = {DUET_INFO_USER, DUET_INFO_TLS_SUBJECT};
	const char *s;
	size_t i;

	duet_reply_array(call, 2);
	for (i = 0; i < 2; i++) {
		if ((s = duet_call_info(call, what[i])) == NULL)
			duet_reply_nil(call);
		else
			duet_reply_str(call, s, strlen(s));
	}
}

#define TEST_NBUILTINS 64
static struct duet_command test_table[TEST_NBUILTINS + 4];

/* A loopback conn whose registry has the built-ins and LATER. */
static void
test_init_protos(struct loopback *lb, const struct conn_proto *const *protos)
{
	struct registry *reg;
	size_t n = 0;
	int nerrors;

	loopback_init(lb, protos, 1);
	while (builtin_commands[n].name != NULL) {
		ck_assert_uint_lt(n, TEST_NBUILTINS);
		test_table[n] = builtin_commands[n];
		n++;
	}
	test_table[n] = (struct duet_command){"later", "", "str",
	    "Answers when the test says", DUET_READONLY, test_cmd_later};
	test_table[n + 1] = (struct duet_command){"three", "", "int",
	    "Streams three items", DUET_READONLY | DUET_STREAM, test_cmd_three};
	test_table[n + 2] = (struct duet_command){"who", "", "array",
	    "The caller's user and TLS subject", DUET_READONLY, test_cmd_who};
	memset(&test_table[n + 3], 0, sizeof(test_table[n + 3]));
	reg = registry_build(lb->cf, dispatch_host(), test_table, &nerrors);
	ck_assert_ptr_nonnull(reg);
	registry_publish(reg);
	test_later = NULL;
}

static void
test_init(struct loopback *lb)
{
	test_init_protos(lb, test_resp_only);
}

/* Lets the worker's loop run what is posted to it. */
static void
test_run_loop(struct loopback *lb)
{
	int i;

	for (i = 0; i < 4; i++)
		event_base_loop(lb->w.env.base, EVLOOP_NONBLOCK);
}

START_TEST(test_call_deferred_reply_keeps_order)
{
	struct loopback lb;
	uint64_t live0 = call_live();

	test_init(&lb);
	loopback_expect(&lb, "");
	loopback_send(&lb, "PING\r\nLATER\r\nPING x\r\n");
	test_run_loop(&lb);
	ck_assert_ptr_nonnull(test_later);
	ck_assert_uint_eq(call_live(), live0 + 1);
	/* The first PING leaves; the second waits behind LATER. */
	loopback_expect(&lb, "+PONG\r\n");
	duet_reply_str(test_later, "late", 4);
	duet_finish(test_later);
	test_run_loop(&lb);
	loopback_expect(&lb, "$4\r\nlate\r\n$1\r\nx\r\n");
	ck_assert_uint_eq(call_live(), live0);
	ck_assert(!loopback_closed(&lb));
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_call_deferred_orphaned_when_conn_closes)
{
	struct loopback lb;
	uint64_t live0 = call_live();

	test_init(&lb);
	loopback_send(&lb, "LATER\r\nPING\r\n");
	test_run_loop(&lb);
	ck_assert_ptr_nonnull(test_later);
	ck_assert_uint_eq(call_live(), live0 + 1);
	loopback_expect(&lb, "");
	conn_free(lb.c);
	ck_assert(loopback_closed(&lb));
	test_run_loop(&lb);
	/* The handle stays valid until duet_finish, which releases it and
	 * answers no one. */
	ck_assert_uint_eq(call_live(), live0 + 1);
	duet_reply_str(test_later, "late", 4);
	duet_finish(test_later);
	test_run_loop(&lb);
	ck_assert_uint_eq(call_live(), live0);
	loopback_expect(&lb, "");
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_call_identity_reaches_handlers)
{
	struct loopback lb;

	test_init(&lb);
	loopback_send(&lb, "WHO\r\n");
	loopback_expect(&lb, "*2\r\n$-1\r\n$-1\r\n");
	lb.c->ident.user = strdup("alice");
	lb.c->ident.tls_subject = strdup("CN=alice,O=Example");
	loopback_send(&lb, "WHO\r\nLATER\r\n");
	loopback_expect(
	    &lb, "*2\r\n$5\r\nalice\r\n$18\r\nCN=alice,O=Example\r\n");
	ck_assert_ptr_nonnull(test_later);
	/* The deferred call has its own copy: the conn's may change (AUTH,
	 * RESET) or go while it runs. */
	free(lb.c->ident.user);
	lb.c->ident.user = strdup("bob");
	ck_assert_str_eq(duet_call_info(test_later, DUET_INFO_USER), "alice");
	ck_assert_str_eq(duet_call_info(test_later, DUET_INFO_TLS_SUBJECT),
	    "CN=alice,O=Example");
	conn_free(lb.c);
	ck_assert_str_eq(duet_call_info(test_later, DUET_INFO_USER), "alice");
	duet_reply_nil(test_later);
	duet_finish(test_later);
	test_run_loop(&lb);
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_call_stream_resp_items)
{
	struct loopback lb;
	uint64_t live0 = call_live();

	test_init(&lb);
	loopback_send(&lb, "THREE\r\nPING\r\n");
	test_run_loop(&lb);
	/* RESP2 has no stream type: the items come as one array, then the
	 * pipelined PING. */
	loopback_expect(&lb, "*3\r\n:1\r\n:2\r\n$5\r\nthree\r\n+PONG\r\n");
	ck_assert_uint_eq(call_live(), live0);
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_call_stream_http_chunked_ndjson)
{
	struct loopback lb;
	uint64_t live0 = call_live();
	char *got, *date, *end;

	test_init_protos(&lb, test_http_only);
	loopback_send(&lb, "POST /three HTTP/1.1\r\nHost: localhost\r\n\r\n");
	test_run_loop(&lb);
	got = loopback_take(&lb);
	/* The Date header's value is the time of day: "-". */
	ck_assert_ptr_nonnull(date = strstr(got, "\r\nDate: "));
	date += 8;
	ck_assert_ptr_nonnull(end = strstr(date, "\r\n"));
	*date = '-';
	memmove(date + 1, end, strlen(end) + 1);
	ck_assert_str_eq(got,
	    "HTTP/1.1 200 OK\r\n"
	    "Server: duetd\r\n"
	    "Date: -\r\n"
	    "Content-Type: application/x-ndjson\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "\r\n"
	    "c\r\n1\n2\n\"three\"\n\r\n"
	    "0\r\n\r\n");
	free(got);
	ck_assert_uint_eq(call_live(), live0);
	loopback_fini(&lb);
}
END_TEST

static Suite *
call_suite(void)
{
	Suite *s = suite_create("call");
	TCase *tc;

	tc = tcase_create("deferred");
	tcase_add_test(tc, test_call_deferred_reply_keeps_order);
	tcase_add_test(tc, test_call_deferred_orphaned_when_conn_closes);
	tcase_add_test(tc, test_call_identity_reaches_handlers);
	suite_add_tcase(s, tc);
	tc = tcase_create("stream");
	tcase_add_test(tc, test_call_stream_resp_items);
	tcase_add_test(tc, test_call_stream_http_chunked_ndjson);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(call_suite());
	int nfailed;

	srunner_run_all(sr, CK_NORMAL);
	nfailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfailed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
