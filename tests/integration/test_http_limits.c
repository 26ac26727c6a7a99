/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of bad HTTP input over raw sockets: a table of
 * malformed, oversized or smuggling-shaped requests, each with the status
 * line it must get, the message its JSON error must hold, and whether the
 * connection then closes (framing lost) or keeps serving; after each, a
 * bystander connection opened before it must still be answered.  Request
 * lines that would not be sniffed as HTTP on a shared port go to a
 * listener restricted to HTTP.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define LIMITS_MAX_REQUEST 65536
#define LIMITS_NESTING     16

static struct harness hl_h;
static int hl_http_port; /* protocols: [http] */

static void
hl_setup(void)
{
	char extra[256];

	hl_http_port = harness_pick_port();
	snprintf(extra, sizeof(extra),
	    "  - {address: \"127.0.0.1:%d\", protocols: [http]}\n"
	    "limits: {max_request_bytes: 64KiB, max_nesting: %d}\n",
	    hl_http_port, LIMITS_NESTING);
	harness_start(&hl_h, NULL, extra);
}

static void
hl_teardown(void)
{
	harness_stop(&hl_h);
}

#define H11      " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
#define POSTJ(p) "POST " p H11 "Content-Type: application/json\r\n"
#define POSTM(p) "POST " p H11 "Content-Type: application/msgpack\r\n"
#define S400     "HTTP/1.1 400 Bad Request"

/* One bad request and what it must get. */
struct hl_case {
	const char *name;
	const char *bytes;
	size_t len;
	int http_only; /* send to the protocols: [http] listener */
	const char *line;
	const char *msg; /* the error message */
	int closes;
};

#define C(s) s, sizeof(s) - 1

static const struct hl_case hl_cases[] = {
    {"request line without version", C("GET /ping\r\n\r\n"), 1, S400,
        "malformed request line", 1},
    {"request line of one word", C("garbage\r\n\r\n"), 1, S400,
        "malformed request line", 1},
    {"two spaces in request line", C("GET  /ping HTTP/1.1\r\n\r\n"), 1, S400,
        "malformed request line", 1},
    {"space in target", C("GET /pi ng HTTP/1.1\r\n\r\n"), 1, S400,
        "invalid HTTP version", 1},
    {"lowercase HTTP name", C("GET /ping http/1.1\r\n\r\n"), 1, S400,
        "invalid HTTP version", 1},
    {"HTTP/2.0", C("GET /ping HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n"), 1,
        "HTTP/1.1 505 HTTP Version Not Supported", "unsupported HTTP version",
        1},
    {"HTTP/1.x", C("GET /ping HTTP/1.x\r\n\r\n"), 1, S400,
        "invalid HTTP version", 1},
    {"bare LF line ends", C("GET /ping HTTP/1.1\nHost: 127.0.0.1\n\n"), 1, S400,
        "invalid line ending", 1},
    {"header without colon", C("GET /ping" H11 "NoColonHere\r\n\r\n"), 0, S400,
        "header without colon", 1},
    {"space before colon", C("GET /ping" H11 "X-A : b\r\n\r\n"), 0, S400,
        "invalid header name", 1},
    {"empty header name", C("GET /ping" H11 ": b\r\n\r\n"), 0, S400,
        "invalid header name", 1},
    {"obs-fold", C("GET /ping" H11 "X-A: b\r\n  c\r\n\r\n"), 0, S400,
        "obsolete line folding", 1},
    {"NUL in header value", C("GET /ping" H11 "X-A: b\0c\r\n\r\n"), 0, S400,
        "invalid character in request head", 1},
    {"NUL in target", C("GET /pi\0ng HTTP/1.1\r\n\r\n"), 1, S400,
        "invalid character in request head", 1},
    {"Content-Length over the limit, no body sent",
        C(POSTJ("/echo") "Content-Length: 1000000\r\n\r\n"), 0,
        "HTTP/1.1 413 Content Too Large", "request body too large", 1},
    {"Content-Length over 2^64",
        C(POSTJ("/echo") "Content-Length: 99999999999999999999999\r\n\r\n"), 0,
        "HTTP/1.1 413 Content Too Large", "request body too large", 1},
    {"negative Content-Length", C(POSTJ("/echo") "Content-Length: -1\r\n\r\n"),
        0, S400, "invalid Content-Length", 1},
    {"Content-Length not a number",
        C(POSTJ("/echo") "Content-Length: 1x\r\n\r\n"), 0, S400,
        "invalid Content-Length", 1},
    {"Content-Length and Transfer-Encoding",
        C(POSTJ("/echo") "Content-Length: 4\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        0, S400, "both Content-Length and Transfer-Encoding", 1},
    {"two differing Content-Length",
        C(POSTJ("/echo") "Content-Length: 6\r\nContent-Length: 5\r\n\r\n"
                         "[\"a\"]"),
        0, S400, "differing Content-Length values", 1},
    {"differing Content-Length in one header",
        C(POSTJ("/echo") "Content-Length: 5, 6\r\n\r\n[\"a\"]"), 0, S400,
        "differing Content-Length values", 1},
    {"invalid chunk size",
        C(POSTJ("/echo") "Transfer-Encoding: chunked\r\n\r\nzz\r\n"), 0, S400,
        "invalid chunk size", 1},
    {"chunk size over 2^64",
        C(POSTJ("/echo") "Transfer-Encoding: chunked\r\n\r\n"
                         "fffffffffffffffffffff\r\n"),
        0, S400, "invalid chunk size", 1},
    {"chunk size over the limit",
        C(POSTJ("/echo") "Transfer-Encoding: chunked\r\n\r\n"
                         "100000\r\n"),
        0, "HTTP/1.1 413 Content Too Large", "request body too large", 1},
    {"chunk without CRLF after data",
        C(POSTJ("/echo") "Transfer-Encoding: chunked\r\n\r\n"
                         "2\r\n[]xx\r\n0\r\n\r\n"),
        0, S400, "missing CRLF after chunk data", 1},
    {"unsupported Transfer-Encoding",
        C(POSTJ("/echo") "Transfer-Encoding: gzip\r\n\r\n"), 0,
        "HTTP/1.1 501 Not Implemented", "unsupported transfer encoding", 1},
    {"chunked not last",
        C(POSTJ("/echo") "Transfer-Encoding: chunked, gzip\r\n\r\n"), 0,
        "HTTP/1.1 501 Not Implemented", "unsupported transfer encoding", 1},
    {"Transfer-Encoding in HTTP/1.0",
        C("POST /echo HTTP/1.0\r\nContent-Type: application/json\r\n"
          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        0, S400, "Transfer-Encoding with HTTP/1.0", 1},
    {"bad percent-encoding in path", C("GET /echo/%zz" H11 "\r\n"), 0, S400,
        "bad percent-encoding in the request target", 0},
    {"truncated percent-encoding", C("GET /echo/a%4" H11 "\r\n"), 0, S400,
        "bad percent-encoding in the request target", 0},
    {"bad percent-encoding in query", C("GET /echo?message=%g1" H11 "\r\n"), 0,
        S400, "bad percent-encoding in the request target", 0},
    {"invalid UTF-8 in a str argument", C("GET /fail/%c3%28" H11 "\r\n"), 0,
        S400, "invalid argument 'message' for 'fail': expected str", 0},
    {"invalid UTF-8 in a JSON string",
        C(POSTJ("/fail") "Content-Length: 5\r\n\r\n[\"\xff\"]"), 0, S400,
        "invalid JSON at offset 3: invalid bytes in UTF8 string.", 0},
    {"invalid JSON", C(POSTJ("/add") "Content-Length: 6\r\n\r\n[1,,2]"), 0,
        S400,
        "invalid JSON at offset 4: unallowed token at this point in JSON "
        "text",
        0},
    {"JSON text after the value",
        C(POSTJ("/add") "Content-Length: 8\r\n\r\n[1,2] [3"), 0, S400,
        "invalid JSON at offset 7: trailing garbage", 0},
    {"msgpack truncated", C(POSTM("/add") "Content-Length: 2\r\n\r\n\x92\x01"),
        0, S400, "truncated msgpack", 0},
    {"msgpack with trailing bytes",
        C(POSTM("/add") "Content-Length: 4\r\n\r\n\x92\x01\x02\x03"), 0, S400,
        "trailing bytes after the msgpack value", 0},
    {"msgpack byte 0xc1", C(POSTM("/add") "Content-Length: 2\r\n\r\n\x91\xc1"),
        0, S400, "invalid msgpack byte 0xc1", 0},
    {"msgpack claiming 4 billion elements",
        C(POSTM("/reflect") "Content-Length: 5\r\n\r\n\xdd\xff\xff\xff\xff"), 0,
        S400, "truncated msgpack", 0},
    {"msgpack map claiming 4 billion pairs",
        C(POSTM(
            "/reflect") "Content-Length: 6\r\n\r\n\x91\xdf\xff\xff\xff\xff"),
        0, S400, "truncated msgpack", 0},
    {"msgpack str claiming 4 GiB",
        C(POSTM(
            "/reflect") "Content-Length: 6\r\n\r\n\x91\xdb\xff\xff\xff\xff"),
        0, S400, "truncated msgpack", 0},
    {"unknown command", C("GET /nosuch" H11 "\r\n"), 0,
        "HTTP/1.1 404 Not Found",
        "unknown command 'nosuch', with args beginning with: ", 0},
    {"GET with a body",
        C("GET /add" H11 "Content-Type: application/json\r\n"
          "Content-Length: 5\r\n\r\n[1,2]"),
        0, "HTTP/1.1 405 Method Not Allowed",
        "a GET request cannot carry arguments in a body", 0},
    {"unsupported media type",
        C("POST /add" H11 "Content-Type: text/plain\r\n"
          "Content-Length: 5\r\n\r\n[1,2]"),
        0, "HTTP/1.1 415 Unsupported Media Type",
        "a request body must be application/json or application/msgpack", 0},
    {"text/plain with a JSON-looking parameter",
        C("POST /add" H11
          "Content-Type: text/plain;a=\",application/json;\"\r\n"
          "Content-Length: 5\r\n\r\n[1,2]"),
        0, "HTTP/1.1 415 Unsupported Media Type",
        "a request body must be application/json or application/msgpack", 0},
    {"a list of media types",
        C("POST /add" H11 "Content-Type: text/plain, application/json\r\n"
          "Content-Length: 5\r\n\r\n[1,2]"),
        0, "HTTP/1.1 415 Unsupported Media Type",
        "a request body must be application/json or application/msgpack", 0},
};

/* Fails unless new connections are served over HTTP and RESP, and old. */
static void
hl_still_serving(int old)
{
	struct harness_http r;
	int fd = harness_connect(hl_h.port);

	harness_sends(fd, "GET /add/1/2" H11 "\r\n");
	harness_http_read(&r, fd, 0);
	harness_http_expects(&r, "HTTP/1.1 200 OK",
	    "Content-Type: application/json\r\nContent-Length: 1\r\n", "3");
	harness_http_free(&r);
	close(fd);
	harness_roundtrip(hl_h.port, "PING\r\n", "+PONG\r\n");
	harness_sends(old, "GET /echo/ok" H11 "\r\n");
	harness_http_read(&r, old, 0);
	ck_assert_str_eq(r.body, "\"ok\"");
	harness_http_free(&r);
}

/* After a response that keeps the connection: it still answers. */
static void
hl_still_open(int fd)
{
	struct harness_http r;

	harness_sends(fd, "GET /ping" H11 "\r\n");
	harness_http_read(&r, fd, 0);
	ck_assert_str_eq(r.body, "\"PONG\"");
	harness_http_free(&r);
}

START_TEST(test_http_limits_malformed)
{
	const struct hl_case *t = &hl_cases[_i];
	struct harness_http r;
	char want[256];
	int fd, bystander;

	fprintf(stderr, "case: %s\n", t->name);
	bystander = harness_connect(hl_h.port);
	fd = harness_connect(t->http_only ? hl_http_port : hl_h.port);
	harness_send(fd, t->bytes, t->len);
	harness_http_read(&r, fd, 0);
	ck_assert_msg(strcmp(r.line, t->line) == 0,
	    "%s: status \"%s\", want \"%s\" (%s)", t->name, r.line, t->line,
	    r.body);
	snprintf(want, sizeof(want),
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"%s\"}}", t->msg);
	ck_assert_msg(strcmp(r.body, want) == 0, "%s: body %s, want %s",
	    t->name, r.body, want);
	if (t->closes) {
		ck_assert_str_eq(
		    harness_http_header(&r, "Connection"), "close");
		harness_expect_close(fd, "");
	} else {
		ck_assert_ptr_null(harness_http_header(&r, "Connection"));
		hl_still_open(fd);
	}
	harness_http_free(&r);
	close(fd);
	hl_still_serving(bystander);
	close(bystander);
}
END_TEST

/*
 * Sends req on a new connection and expects the status line line, then
 * close if closes, else another answer; a bystander must be served.
 */
static void
hl_expect(const char *req, size_t len, const char *line, int closes)
{
	struct harness_http r;
	int fd, bystander;

	bystander = harness_connect(hl_h.port);
	fd = harness_connect(hl_h.port);
	harness_send(fd, req, len);
	harness_http_read(&r, fd, 0);
	ck_assert_msg(strcmp(r.line, line) == 0, "status \"%s\", want \"%s\"",
	    r.line, line);
	harness_http_free(&r);
	if (closes)
		harness_expect_close(fd, "");
	else
		hl_still_open(fd);
	close(fd);
	hl_still_serving(bystander);
	close(bystander);
}

/* "GET /ping HTTP/1.1", n headers "X-Hn: <size bytes>", end of head. */
static char *
hl_headers(int n, size_t size, size_t *len)
{
	size_t cap = (size_t)n * (size + 16) + 64, i;
	char *req = malloc(cap);
	int k;

	ck_assert_ptr_nonnull(req);
	*len = (size_t)snprintf(req, cap, "GET /ping" H11);
	for (k = 0; k < n; k++) {
		*len += (size_t)snprintf(req + *len, cap - *len, "X-H%d: ", k);
		for (i = 0; i < size; i++)
			req[(*len)++] = 'v';
		memcpy(req + *len, "\r\n", 2);
		*len += 2;
	}
	memcpy(req + *len, "\r\n", 3);
	*len += 2;
	return req;
}

START_TEST(test_http_limits_header_size)
{
	const char *big = "HTTP/1.1 431 Request Header Fields Too Large";
	char *req;
	size_t len;

	/* 100 headers, Host included, of 8 KiB in all: fine. */
	req = hl_headers(99, 60, &len);
	hl_expect(req, len, "HTTP/1.1 200 OK", 0);
	free(req);
	req = hl_headers(100, 1, &len);
	hl_expect(req, len, big, 1);
	free(req);
	req = hl_headers(2000, 1, &len);
	hl_expect(req, len, big, 1);
	free(req);
	req = hl_headers(20, 1000, &len);
	hl_expect(req, len, big, 1);
	free(req);
	req = hl_headers(1, 17000, &len);
	hl_expect(req, len, big, 1);
	free(req);
}
END_TEST

START_TEST(test_http_limits_request_line)
{
	size_t n = 17000, len;
	char *req = malloc(n + 64);

	ck_assert_ptr_nonnull(req);
	memcpy(req, "GET /echo/", 10);
	memset(req + 10, 'a', n);
	len = 10 + n;
	len += (size_t)sprintf(req + len, H11 "\r\n");
	hl_expect(req, len, "HTTP/1.1 431 Request Header Fields Too Large", 1);
	/* A head that never ends is cut off at the same size. */
	hl_expect(
	    req, 10 + n, "HTTP/1.1 431 Request Header Fields Too Large", 1);
	free(req);
}
END_TEST

START_TEST(test_http_limits_chunk_extension)
{
	static const char head[] = POSTJ("/echo") "Transfer-Encoding: "
	                                          "chunked\r\n\r\n";
	size_t n = 40000, len = sizeof(head) - 1;
	char *req = malloc(len + 3000 * 48);
	int i;

	/* One chunk extension of 40 kB; then 3000 chunks of one byte
	 * with extensions of 40 bytes each, 120 kB of them in all. */
	ck_assert_ptr_nonnull(req);
	memcpy(req, head, len);
	memcpy(req + len, "1;", 2);
	memset(req + len + 2, 'e', n);
	hl_expect(req, len + 2 + n, S400, 1);
	for (i = 0; i < 3000; i++)
		len += (size_t)sprintf(req + len,
		    "1;ext=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n \r\n");
	hl_expect(req, len, S400, 1);
	free(req);
}
END_TEST

/* A body of depth levels: "[[[...1...]]]" or 0x91... 0x01. */
static void
hl_nested(int depth, int msgpack, const char *line)
{
	char req[1024], body[512];
	size_t len, n = 0;
	int i;

	ck_assert_int_lt(2 * depth + 1, (int)sizeof(body));
	if (msgpack) {
		memset(body, 0x91, (size_t)depth);
		body[depth] = 0x01;
		n = (size_t)depth + 1;
	} else {
		for (i = 0; i < depth; i++)
			body[n++] = '[';
		body[n++] = '1';
		for (i = 0; i < depth; i++)
			body[n++] = ']';
	}
	len = (size_t)snprintf(req, sizeof(req),
	    "POST /reflect" H11 "Content-Type: application/%s\r\n"
	    "Content-Length: %zu\r\n\r\n",
	    msgpack ? "msgpack" : "json", n);
	memcpy(req + len, body, n);
	fprintf(stderr, "nesting: %d levels of %s\n", depth,
	    msgpack ? "msgpack" : "JSON");
	hl_expect(req, len + n, line, 0);
}

START_TEST(test_http_limits_nesting)
{
	/* The body's own array or map counts as a level. */
	hl_nested(LIMITS_NESTING, 0, "HTTP/1.1 200 OK");
	hl_nested(LIMITS_NESTING + 1, 0, S400);
	hl_nested(200, 0, S400);
	hl_nested(LIMITS_NESTING, 1, "HTTP/1.1 200 OK");
	hl_nested(LIMITS_NESTING + 1, 1, S400);
	hl_nested(200, 1, S400);
}
END_TEST

START_TEST(test_http_limits_huge_claims_are_quick)
{
	static const char req[] = POSTM("/reflect") "Content-Length: 6\r\n\r\n"
	                                            "\x91\xdd\xff\xff\xff\xff";
	struct timespec t0, t1;
	double secs;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 20; i++)
		hl_expect(req, sizeof(req) - 1, S400, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(secs < 2.0, "20 huge msgpack claims took %.2f s", secs);
}
END_TEST

static Suite *
hl_suite(void)
{
	Suite *s = suite_create("http_limits");
	TCase *tc;

	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, hl_setup, hl_teardown);
	tcase_add_loop_test(tc, test_http_limits_malformed, 0,
	    (int)(sizeof(hl_cases) / sizeof(hl_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("sizes");
	tcase_add_checked_fixture(tc, hl_setup, hl_teardown);
	tcase_add_test(tc, test_http_limits_header_size);
	tcase_add_test(tc, test_http_limits_request_line);
	tcase_add_test(tc, test_http_limits_chunk_extension);
	tcase_add_test(tc, test_http_limits_nesting);
	tcase_add_test(tc, test_http_limits_huge_claims_are_quick);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(hl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
