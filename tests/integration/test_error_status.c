/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of error statuses: a plugin's error answers HTTP 500
 * unless the plugin chose another status with duet_reply_error_status()
 * (ABI 1.2), inline, deferred and on a stream, while RESP keeps Redis's
 * `-CODE message`; a status outside 400-599 is answered 500 and logged
 * once; the daemon's own errors keep their statuses.  Driven by the
 * errstatus test plugin over raw sockets, with exact bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define JSON_CT   "Content-Type: application/json\r\n"
#define CLOSE_HDR "Connection: close\r\n"
#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* The error object of code and message. */
#define ERROR_JSON(code, msg)                                                  \
	"{\"error\":{\"code\":\"" code "\",\"message\":\"" msg "\"}}"

static struct harness es_h;

static void
es_setup(void)
{
	harness_start_with(&es_h, "errstatus.so", NULL);
}

static void
es_teardown(void)
{
	harness_stop(&es_h);
}

/* One HTTP request and its exact answer: status line and JSON body. */
struct es_case {
	const char *method;
	const char *target;
	const char *body; /* JSON, or NULL */
	const char *line;
	const char *json;
};

/* Sends c's request on a new connection and checks the response. */
static void
es_http(const struct es_case *c)
{
	char req[1024], hdrs[256];
	struct harness_http r;
	int fd;

	if (c->body != NULL)
		snprintf(req, sizeof(req),
		    "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" CLOSE_HDR JSON_CT
		    "Content-Length: %zu\r\n\r\n%s",
		    c->method, c->target, strlen(c->body), c->body);
	else
		snprintf(req, sizeof(req),
		    "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" CLOSE_HDR "\r\n",
		    c->method, c->target);
	fd = harness_connect(es_h.port);
	harness_sends(fd, req);
	harness_http_read(&r, fd, 0);
	close(fd);
	snprintf(hdrs, sizeof(hdrs),
	    JSON_CT "Content-Length: %zu\r\n" CLOSE_HDR, strlen(c->json));
	harness_http_expects(&r, c->line, hdrs, c->json);
	harness_http_free(&r);
}

static void
es_http_cases(const struct es_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		es_http(&c[i]);
}

START_TEST(test_error_status_chosen)
{
	static const struct es_case cases[] = {
	    {"GET", "/errstatus.fail/404/NOTFOUND/no%20such%20key", NULL,
	        "HTTP/1.1 404 Not Found",
	        ERROR_JSON("NOTFOUND", "no such key")},
	    {"POST", "/errstatus.fail", "[409,\"CONFLICT\",\"taken\"]",
	        "HTTP/1.1 409 Conflict", ERROR_JSON("CONFLICT", "taken")},
	    {"POST", "/errstatus.fail",
	        "{\"status\":429,\"code\":\"SLOWDOWN\",\"message\":\"later\"}",
	        "HTTP/1.1 429 Too Many Requests",
	        ERROR_JSON("SLOWDOWN", "later")},
	    {"GET", "/errstatus.fail/400/ERR/bad", NULL,
	        "HTTP/1.1 400 Bad Request", ERROR_JSON("ERR", "bad")},
	    {"GET", "/errstatus.fail/599/X/edge", NULL, "HTTP/1.1 599 Unknown",
	        ERROR_JSON("X", "edge")},
	    {"GET", "/errstatus.fail/503/BUSY/full", NULL,
	        "HTTP/1.1 503 Service Unavailable", ERROR_JSON("BUSY", "full")},
	};

	es_http_cases(cases, NCASES(cases));
}
END_TEST

START_TEST(test_error_status_resp_unchanged)
{
	int fd = harness_connect(es_h.port);

	harness_sends(fd,
	    "*4\r\n$14\r\nerrstatus.fail\r\n$3\r\n404\r\n"
	    "$8\r\nNOTFOUND\r\n$11\r\nno such key\r\n");
	harness_expects(fd, "-NOTFOUND no such key\r\n");
	harness_sends(fd,
	    "*4\r\n$15\r\nerrstatus.later\r\n$3\r\n409\r\n"
	    "$8\r\nCONFLICT\r\n$5\r\ntaken\r\n");
	harness_expects(fd, "-CONFLICT taken\r\n");
	harness_sends(fd,
	    "*4\r\n$14\r\nerrstatus.fail\r\n$3\r\n200\r\n"
	    "$3\r\nODD\r\n$2\r\nok\r\n");
	harness_expects(fd, "-ODD ok\r\n");
	close(fd);
}
END_TEST

START_TEST(test_error_status_deferred)
{
	static const struct es_case cases[] = {
	    {"GET", "/errstatus.later/404/NOTFOUND/gone", NULL,
	        "HTTP/1.1 404 Not Found", ERROR_JSON("NOTFOUND", "gone")},
	    {"POST", "/errstatus.later", "[422,\"INVALID\",\"no\"]",
	        "HTTP/1.1 422 Unprocessable Content",
	        ERROR_JSON("INVALID", "no")},
	    {"GET", "/errstatus.later/200/ODD/ok", NULL,
	        "HTTP/1.1 500 Internal Server Error", ERROR_JSON("ODD", "ok")},
	};

	es_http_cases(cases, NCASES(cases));
}
END_TEST

START_TEST(test_error_status_stream)
{
	/* An error before the first item is an ordinary error response. */
	static const struct es_case cases[] = {
	    {"GET", "/errstatus.stream/404/NOTFOUND/none", NULL,
	        "HTTP/1.1 404 Not Found", ERROR_JSON("NOTFOUND", "none")},
	};

	es_http_cases(cases, NCASES(cases));
}
END_TEST

/* How many times needle occurs in hay. */
static int
es_count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

START_TEST(test_error_status_out_of_range)
{
	static const struct es_case cases[] = {
	    {"GET", "/errstatus.fail/200/ODD/ok", NULL,
	        "HTTP/1.1 500 Internal Server Error", ERROR_JSON("ODD", "ok")},
	    {"GET", "/errstatus.fail/399/ODD/low", NULL,
	        "HTTP/1.1 500 Internal Server Error", ERROR_JSON("ODD", "low")},
	    {"GET", "/errstatus.fail/600/ODD/high", NULL,
	        "HTTP/1.1 500 Internal Server Error",
	        ERROR_JSON("ODD", "high")},
	    {"GET", "/errstatus.fail/-1/ODD/negative", NULL,
	        "HTTP/1.1 500 Internal Server Error",
	        ERROR_JSON("ODD", "negative")},
	};
	char *log;

	es_http_cases(cases, NCASES(cases));
	log = harness_log(&es_h);
	ck_assert_msg(
	    es_count(log,
	        "command 'errstatus.fail': HTTP status 200 of error "
	        "ODD is not 400-599: answered 500 (logged once)") == 1 &&
	        es_count(log, "is not 400-599") == 1,
	    "want one log line for the out-of-range statuses:\n%s", log);
	free(log);
}
END_TEST

START_TEST(test_error_status_plain_is_500)
{
	/* A plugin's own code never borrows a daemon status (BUSY is 503). */
	static const struct es_case cases[] = {
	    {"GET", "/errstatus.plain/BUSY/mine", NULL,
	        "HTTP/1.1 500 Internal Server Error",
	        ERROR_JSON("BUSY", "mine")},
	    {"GET", "/errstatus.plain/NOPERM/mine", NULL,
	        "HTTP/1.1 500 Internal Server Error",
	        ERROR_JSON("NOPERM", "mine")},
	};

	es_http_cases(cases, NCASES(cases));
}
END_TEST

START_TEST(test_error_status_daemon_codes)
{
	static const struct es_case cases[] = {
	    {"GET", "/nosuch", NULL, "HTTP/1.1 404 Not Found",
	        ERROR_JSON("ERR",
	            "unknown command 'nosuch', with args "
	            "beginning with: ")},
	    {"GET", "/errstatus.fail/x/A/b", NULL, "HTTP/1.1 400 Bad Request",
	        ERROR_JSON("ERR",
	            "invalid argument 'status' for "
	            "'errstatus.fail': expected int")},
	};

	es_http_cases(cases, NCASES(cases));
}
END_TEST

static Suite *
error_status_suite(void)
{
	Suite *s = suite_create("error_status");
	TCase *tc;

	tc = tcase_create("plugin");
	tcase_add_checked_fixture(tc, es_setup, es_teardown);
	tcase_add_test(tc, test_error_status_chosen);
	tcase_add_test(tc, test_error_status_resp_unchanged);
	tcase_add_test(tc, test_error_status_deferred);
	tcase_add_test(tc, test_error_status_stream);
	tcase_add_test(tc, test_error_status_out_of_range);
	tcase_add_test(tc, test_error_status_plain_is_500);
	suite_add_tcase(s, tc);

	tc = tcase_create("daemon");
	tcase_add_checked_fixture(tc, es_setup, es_teardown);
	tcase_add_test(tc, test_error_status_daemon_codes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(error_status_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
