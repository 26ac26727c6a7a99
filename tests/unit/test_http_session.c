/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of http_session.c, through a loopback conn (no socket): a
 * command's response, an error response's exact bytes, a built-in path,
 * Expect: 100-continue, the 408 of the request deadline, a bad request
 * that closes, and refusals decided from a request's head (before its
 * body and its size, without 100 Continue, closing when a body was
 * announced).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "http_session.h"
#include "loopback.h"
#include "resp_session.h"

static const struct conn_proto *const test_http_only[] = {&http_session_proto};
static const struct conn_proto *const test_both[] = {
    &http_session_proto, &resp_session_proto};

/*
 * What the conn wrote, with each Date header's value (the time of day)
 * replaced by "-".  The caller frees it.
 */
static char *
test_take(struct loopback *lb)
{
	char *got = loopback_take(lb), *p = got, *end;

	while ((p = strstr(p, "\r\nDate: ")) != NULL) {
		p += 8;
		ck_assert_ptr_nonnull(end = strstr(p, "\r\n"));
		*p = '-';
		memmove(p + 1, end, strlen(end) + 1);
	}
	return got;
}

/* Sends bytes and asserts the exact reply. */
static void
test_exchange(struct loopback *lb, const char *bytes, const char *want)
{
	char *got;

	loopback_send(lb, bytes);
	got = test_take(lb);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_http_session_command_reply)
{
	struct loopback lb;

	loopback_init(&lb, test_both, 2);
	test_exchange(&lb, "GET /echo/hi HTTP/1.1\r\nHost: localhost\r\n\r\n",
	    "HTTP/1.1 200 OK\r\n"
	    "Server: duetd\r\n"
	    "Date: -\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 4\r\n"
	    "\r\n"
	    "\"hi\"");
	ck_assert_str_eq(lb.c->proto->name, "http");
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_http_session_error_response_bytes)
{
	struct loopback lb;

	loopback_init(&lb, test_http_only, 1);
	test_exchange(&lb, "POST /nope HTTP/1.1\r\nHost: localhost\r\n\r\n",
	    "HTTP/1.1 404 Not Found\r\n"
	    "Server: duetd\r\n"
	    "Date: -\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 87\r\n"
	    "\r\n"
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"unknown command "
	    "'nope', "
	    "with args beginning with: \"}}");
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_http_session_builtin_path)
{
	struct loopback lb;

	loopback_init(&lb, test_http_only, 1);
	test_exchange(&lb, "GET /healthz HTTP/1.0\r\n\r\n",
	    "HTTP/1.1 200 OK\r\n"
	    "Server: duetd\r\n"
	    "Date: -\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 3\r\n"
	    "Connection: close\r\n"
	    "\r\n"
	    "ok\n");
	ck_assert(loopback_closed(&lb));
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_http_session_expect_continue)
{
	struct loopback lb;

	loopback_init(&lb, test_http_only, 1);
	test_exchange(&lb,
	    "POST /echo HTTP/1.1\r\nHost: localhost\r\n"
	    "Content-Type: application/json\r\nContent-Length: 6\r\n"
	    "Expect: 100-continue\r\n\r\n",
	    "HTTP/1.1 100 Continue\r\n\r\n");
	ck_assert(lb.c->proto->midway(lb.c));
	test_exchange(&lb, "[\"ab\"]",
	    "HTTP/1.1 200 OK\r\n"
	    "Server: duetd\r\n"
	    "Date: -\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 4\r\n"
	    "\r\n"
	    "\"ab\"");
	ck_assert(!lb.c->proto->midway(lb.c));
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_http_session_timeout_answers_408)
{
	struct loopback lb;
	char *got;

	loopback_init(&lb, test_http_only, 1);
	test_exchange(&lb, "GET /healthz HTTP/1.1\r\nHost: local", "");
	lb.c->proto->timeout(lb.c);
	got = test_take(&lb);
	ck_assert_str_eq(got,
	    "HTTP/1.1 408 Request Timeout\r\n"
	    "Server: duetd\r\n"
	    "Date: -\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 65\r\n"
	    "Connection: close\r\n"
	    "\r\n"
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"request not received "
	    "in "
	    "time\"}}");
	free(got);
	ck_assert(loopback_closed(&lb));
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_http_session_bad_request_closes)
{
	struct loopback lb;
	char *got;

	loopback_init(&lb, test_http_only, 1);
	loopback_send(&lb, "GET /healthz HTTP/9.9\r\n\r\n");
	got = test_take(&lb);
	ck_assert_str_eq(got,
	    "HTTP/1.1 505 HTTP Version Not Supported\r\n"
	    "Server: duetd\r\n"
	    "Date: -\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 61\r\n"
	    "Connection: close\r\n"
	    "\r\n"
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"unsupported HTTP "
	    "version\"}}");
	free(got);
	ck_assert(loopback_closed(&lb));
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_http_session_refuses_from_head_unread)
{
	struct loopback lb;

	loopback_init(&lb, test_http_only, 1);
	/* 404 before 413, no 100 Continue, the body never read. */
	test_exchange(&lb,
	    "POST /nope HTTP/1.1\r\nHost: localhost\r\n"
	    "Content-Type: application/json\r\nExpect: 100-continue\r\n"
	    "Content-Length: 99999999999\r\n\r\n[1,",
	    "HTTP/1.1 404 Not Found\r\n"
	    "Server: duetd\r\n"
	    "Date: -\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 87\r\n"
	    "Connection: close\r\n"
	    "\r\n"
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"unknown command "
	    "'nope', with args beginning with: \"}}");
	ck_assert(loopback_closed(&lb));
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_http_session_refuses_get_with_body_from_head)
{
	struct loopback lb;
	char *got;

	loopback_init(&lb, test_http_only, 1);
	loopback_send(&lb,
	    "GET /client HTTP/1.1\r\nHost: localhost\r\n"
	    "Transfer-Encoding: chunked\r\n\r\nffffff\r\n");
	got = test_take(&lb);
	ck_assert_ptr_nonnull(strstr(got, "HTTP/1.1 404 Not Found\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "\r\nConnection: close\r\n"));
	ck_assert_ptr_nonnull(strstr(got, "it is not an HTTP operation"));
	free(got);
	ck_assert(loopback_closed(&lb));
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_http_session_refusal_without_body_keeps_conn)
{
	struct loopback lb;
	char *got;

	loopback_init(&lb, test_http_only, 1);
	loopback_send(&lb,
	    "POST /nope HTTP/1.1\r\nHost: localhost\r\n"
	    "Content-Length: 0\r\n\r\n"
	    "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
	got = test_take(&lb);
	ck_assert_ptr_nonnull(strstr(got, "HTTP/1.1 404 Not Found\r\n"));
	ck_assert_ptr_null(strstr(got, "Connection: close"));
	ck_assert_ptr_nonnull(strstr(got, "\r\n\r\nok\n"));
	free(got);
	ck_assert(!loopback_closed(&lb));
	loopback_fini(&lb);
}
END_TEST

static Suite *
http_session_suite(void)
{
	Suite *s = suite_create("http_session");
	TCase *tc;

	tc = tcase_create("requests");
	tcase_add_test(tc, test_http_session_command_reply);
	tcase_add_test(tc, test_http_session_error_response_bytes);
	tcase_add_test(tc, test_http_session_builtin_path);
	tcase_add_test(tc, test_http_session_expect_continue);
	suite_add_tcase(s, tc);
	tc = tcase_create("closing");
	tcase_add_test(tc, test_http_session_timeout_answers_408);
	tcase_add_test(tc, test_http_session_bad_request_closes);
	suite_add_tcase(s, tc);
	tc = tcase_create("head");
	tcase_add_test(tc, test_http_session_refuses_from_head_unread);
	tcase_add_test(tc, test_http_session_refuses_get_with_body_from_head);
	tcase_add_test(tc, test_http_session_refusal_without_body_keeps_conn);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_session_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
