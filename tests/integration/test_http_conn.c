/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of HTTP connections: keep-alive for HTTP/1.1 and 1.0
 * (curl --http1.0 -H 'Connection: keep-alive'), Connection: close,
 * pipelining, Expect: 100-continue with curl and raw sockets (and a body
 * over the limit refused without a 100 Continue), chunked uploads,
 * sniffing RESP and HTTP on one port and listeners restricted to one
 * protocol, and load with `ab -k` and wrk with zero non-2xx answers.
 */
#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define OK200    "HTTP/1.1 200 OK"
#define JSON_CT  "Content-Type: application/json\r\n"
#define LIMIT    65536 /* limits.max_request_bytes */
#define CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"
#define TOO_LARGE                                                              \
	"{\"error\":{\"code\":\"ERR\",\"message\":\"request body too "         \
	"large\"}}"

static struct harness conn_h;
static char conn_base[64]; /* http://127.0.0.1:PORT */
static int conn_http_port; /* a listener with protocols: [http] */
static int conn_resp_port; /* a listener with protocols: [resp] */

static void
conn_setup(void)
{
	char extra[512];

	conn_http_port = harness_pick_port();
	conn_resp_port = harness_pick_port();
	snprintf(extra, sizeof(extra),
	    "  - {address: \"127.0.0.1:%d\", protocols: [http]}\n"
	    "  - {address: \"127.0.0.1:%d\", protocols: [resp]}\n"
	    "limits: {max_request_bytes: 64KiB}\n",
	    conn_http_port, conn_resp_port);
	harness_start(&conn_h, NULL, extra);
	snprintf(
	    conn_base, sizeof(conn_base), "http://127.0.0.1:%d", conn_h.port);
}

static void
conn_teardown(void)
{
	harness_stop(&conn_h);
}

/* Runs a shell command made by fmt; fills o. */
static void conn_run(struct harness_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
conn_run(struct harness_out *o, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	harness_run(o, cmd, NULL, 0);
	ck_assert_msg(o->status == 0, "'%s' exited %d: %s%s", cmd, o->status,
	    o->out, o->err);
}

/* Expects r to be a JSON response with body json and extra headers. */
static void
conn_expect_json(const struct harness_http *r, const char *line,
    const char *extra, const char *json)
{
	char hdrs[512];

	snprintf(hdrs, sizeof(hdrs), JSON_CT "Content-Length: %zu\r\n%s",
	    strlen(json), extra != NULL ? extra : "");
	harness_http_expects(r, line, hdrs, json);
}

/* Writes len bytes of c (then "]" for a JSON array of one string). */
static void
conn_write_body(const char *path, size_t len)
{
	FILE *f = fopen(path, "w");
	size_t i;

	ck_assert_ptr_nonnull(f);
	fputs("[\"", f);
	for (i = 0; i < len; i++)
		fputc('a' + (int)(i % 26), f);
	fputs("\"]", f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_http_conn_keepalive_10)
{
	struct harness_out o;
	struct harness_http r;
	size_t off;

	/* ab -k's way: HTTP/1.0 with Connection: keep-alive. */
	conn_run(&o,
	    "curl -sS -i -v --max-time 10 --http1.0 -H 'Connection: "
	    "keep-alive' %s/ping %s/add/1/2",
	    conn_base, conn_base);
	ck_assert_msg(strstr(o.err, "Re-using existing connection") != NULL,
	    "curl opened a second connection:\n%s", o.err);
	off = harness_http_parse(&r, o.out, o.outlen, 0);
	conn_expect_json(&r, OK200, "Connection: keep-alive\r\n", "\"PONG\"");
	harness_http_free(&r);
	off += harness_http_parse(&r, o.out + off, o.outlen - off, 0);
	conn_expect_json(&r, OK200, "Connection: keep-alive\r\n", "3");
	harness_http_free(&r);
	ck_assert_uint_eq(off, o.outlen);
	harness_out_free(&o);
}
END_TEST

/* A request on a new connection: exact response, then closed or not. */
struct conn_ka_case {
	const char *req;
	const char *extra; /* Connection header of the response */
	int closes;
};

START_TEST(test_http_conn_keepalive_raw)
{
	static const struct conn_ka_case cases[] = {
	    {"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", NULL, 0},
	    {"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: "
	     "close\r\n\r\n",
	        "Connection: close\r\n", 1},
	    {"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: "
	     "keep-alive, Close\r\n\r\n",
	        "Connection: close\r\n", 1},
	    {"GET /ping HTTP/1.0\r\n\r\n", "Connection: close\r\n", 1},
	    {"GET /ping HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
	        "Connection: keep-alive\r\n", 0},
	};
	struct harness_http r;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = harness_connect(conn_h.port);
		harness_sends(fd, cases[i].req);
		harness_http_read(&r, fd, 0);
		conn_expect_json(&r, OK200, cases[i].extra, "\"PONG\"");
		harness_http_free(&r);
		if (cases[i].closes) {
			harness_expect_close(fd, "");
		} else {
			/* Still open: a second request on it. */
			harness_sends(fd, cases[i].req);
			harness_http_read(&r, fd, 0);
			conn_expect_json(&r, OK200, cases[i].extra, "\"PONG\"");
			harness_http_free(&r);
		}
		close(fd);
	}
}
END_TEST

#define PIPELINED 300

START_TEST(test_http_conn_pipeline)
{
	char *req, want[32];
	size_t n = 0, cap = PIPELINED * 160;
	struct harness_http r;
	int i, fd;

	req = malloc(cap);
	ck_assert_ptr_nonnull(req);
	for (i = 0; i < PIPELINED; i++) {
		if (i % 3 == 0)
			n += (size_t)snprintf(req + n, cap - n,
			    "GET /add/%d/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
			    i);
		else
			n += (size_t)snprintf(req + n, cap - n,
			    "POST /add HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			    "Content-Type: application/json\r\n"
			    "Content-Length: %d\r\n\r\n[%d,1]",
			    snprintf(NULL, 0, "[%d,1]", i), i);
	}
	fd = harness_connect(conn_h.port);
	harness_send(fd, req, n);
	for (i = 0; i < PIPELINED; i++) {
		harness_http_read(&r, fd, 0);
		snprintf(want, sizeof(want), "%d", i + 1);
		conn_expect_json(&r, OK200, NULL, want);
		harness_http_free(&r);
	}
	free(req);
	close(fd);
}
END_TEST

/* Seconds curl reported in "time_total=S" on stderr. */
static double
conn_time_total(const struct harness_out *o)
{
	const char *p = strstr(o->err, "time_total=");

	ck_assert_msg(p != NULL, "no time_total in: %s", o->err);
	return strtod(p + 11, NULL);
}

START_TEST(test_http_conn_expect_curl)
{
	struct harness_out o;
	struct harness_http r;
	char path[PATH_MAX];
	size_t off;
	double t;

	/* curl waits a second for 100 Continue unless it comes at once. */
	conn_run(&o,
	    "curl -sS -i -v --max-time 10 -H 'Expect: 100-continue' "
	    "-H 'Content-Type: application/json' --data-binary '[1,2]' "
	    "-w '%%{stderr}time_total=%%{time_total}\\n' %s/add",
	    conn_base);
	ck_assert_msg(strstr(o.err, "< HTTP/1.1 100 Continue") != NULL,
	    "no 100 Continue:\n%s", o.err);
	ck_assert_msg(o.outlen > strlen(CONTINUE) &&
	        memcmp(o.out, CONTINUE, strlen(CONTINUE)) == 0,
	    "output does not start with 100 Continue: %s", o.out);
	off = strlen(CONTINUE);
	off += harness_http_parse(&r, o.out + off, o.outlen - off, 0);
	ck_assert_uint_eq(off, o.outlen);
	conn_expect_json(&r, OK200, NULL, "3");
	harness_http_free(&r);
	t = conn_time_total(&o);
	ck_assert_msg(t < 0.9, "curl took %.3f s: 100 Continue came late", t);
	harness_out_free(&o);

	/* Over max_request_bytes: 413 at once, and no 100 Continue. */
	snprintf(path, sizeof(path), "%s/big.json", conn_h.dir);
	conn_write_body(path, LIMIT + 10);
	conn_run(&o,
	    "curl -sS -i -v --max-time 10 -H 'Expect: 100-continue' "
	    "-H 'Content-Type: application/json' --data-binary @%s "
	    "-w '%%{stderr}time_total=%%{time_total}\\n' %s/echo",
	    path, conn_base);
	ck_assert_msg(strstr(o.err, "100 Continue") == NULL &&
	        strstr(o.out, "100 Continue") == NULL,
	    "100 Continue before a 413:\n%s", o.err);
	ck_assert_uint_eq(harness_http_parse(&r, o.out, o.outlen, 0), o.outlen);
	conn_expect_json(&r, "HTTP/1.1 413 Content Too Large",
	    "Connection: close\r\n", TOO_LARGE);
	harness_http_free(&r);
	t = conn_time_total(&o);
	ck_assert_msg(t < 0.9, "curl took %.3f s for the 413", t);
	harness_out_free(&o);
	unlink(path);
}
END_TEST

START_TEST(test_http_conn_expect_raw)
{
	static const char head[] = "POST /add HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                           "Content-Type: application/json\r\n"
	                           "Expect: 100-continue\r\n"
	                           "Content-Length: 5\r\n\r\n";
	static const char big[] = "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                          "Content-Type: application/json\r\n"
	                          "Expect: 100-continue\r\n"
	                          "Content-Length: 65537\r\n\r\n";
	static const char bad[] = "POST /add HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                          "Content-Type: text/plain\r\n"
	                          "Expect: 100-continue\r\n"
	                          "Content-Length: 5\r\n\r\n";
	struct harness_http r;
	int fd = harness_connect(conn_h.port);

	harness_sends(fd, head);
	harness_expects(fd, CONTINUE);
	harness_sends(fd, "[1,2]");
	harness_http_read(&r, fd, 0);
	conn_expect_json(&r, OK200, NULL, "3");
	harness_http_free(&r);
	/* The connection stays usable, also without Expect. */
	harness_sends(fd, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	harness_http_read(&r, fd, 0);
	conn_expect_json(&r, OK200, NULL, "\"PONG\"");
	harness_http_free(&r);
	close(fd);

	/* Refused before the body: the final status, then close. */
	fd = harness_connect(conn_h.port);
	harness_sends(fd, big);
	harness_http_read(&r, fd, 0);
	conn_expect_json(&r, "HTTP/1.1 413 Content Too Large",
	    "Connection: close\r\n", TOO_LARGE);
	harness_http_free(&r);
	harness_expect_close(fd, "");
	close(fd);

	fd = harness_connect(conn_h.port);
	harness_sends(fd, bad);
	harness_http_read(&r, fd, 0);
	conn_expect_json(&r, "HTTP/1.1 415 Unsupported Media Type",
	    "Connection: close\r\n",
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"a request body must be "
	    "application/json or application/msgpack\"}}");
	harness_http_free(&r);
	harness_expect_close(fd, "");
	close(fd);
}
END_TEST

START_TEST(test_http_conn_chunked_curl)
{
	struct harness_out o;
	struct harness_http r;
	char path[PATH_MAX], *want;
	size_t i, n = 30000;

	conn_run(&o,
	    "curl -sS -i -v --max-time 10 -H 'Transfer-Encoding: chunked' "
	    "-H 'Content-Type: application/json' --data-binary '[40,2]' %s/add",
	    conn_base);
	ck_assert_msg(strstr(o.err, "> Transfer-Encoding: chunked") != NULL,
	    "curl did not send chunked:\n%s", o.err);
	ck_assert_uint_eq(harness_http_parse(&r, o.out, o.outlen, 0), o.outlen);
	conn_expect_json(&r, OK200, NULL, "42");
	harness_http_free(&r);
	harness_out_free(&o);

	/* A bigger upload from a file: curl sends several chunks. */
	snprintf(path, sizeof(path), "%s/chunked.json", conn_h.dir);
	conn_write_body(path, n);
	conn_run(&o,
	    "curl -sS -i --max-time 10 -H 'Transfer-Encoding: chunked' "
	    "-H 'Content-Type: application/json' --data-binary @%s %s/echo",
	    path, conn_base);
	want = malloc(n + 3);
	ck_assert_ptr_nonnull(want);
	want[0] = '"';
	for (i = 0; i < n; i++)
		want[i + 1] = (char)('a' + (int)(i % 26));
	strcpy(want + n + 1, "\"");
	ck_assert_uint_eq(harness_http_parse(&r, o.out, o.outlen, 0), o.outlen);
	conn_expect_json(&r, OK200, NULL, want);
	harness_http_free(&r);
	harness_out_free(&o);
	free(want);
	unlink(path);
}
END_TEST

START_TEST(test_http_conn_chunked_raw)
{
	static const char req[] =
	    "POST /add HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/json\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "2;name=value\r\n[4\r\n"
	    "000004\r\n0,2]\r\n"
	    "0\r\nX-Trailer: yes\r\n\r\n"
	    "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	static const char over[] = "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                           "Content-Type: application/json\r\n"
	                           "Transfer-Encoding: chunked\r\n\r\n"
	                           "8000\r\n";
	struct harness_http r;
	char *chunk;
	size_t i;
	int fd = harness_connect(conn_h.port);

	/* Byte by byte: the parser resumes anywhere in the chunks. */
	for (i = 0; i < sizeof(req) - 1; i++)
		harness_send(fd, req + i, 1);
	harness_http_read(&r, fd, 0);
	conn_expect_json(&r, OK200, NULL, "42");
	harness_http_free(&r);
	harness_http_read(&r, fd, 0);
	conn_expect_json(&r, OK200, NULL, "\"PONG\"");
	harness_http_free(&r);
	close(fd);

	/* Chunks adding up to more than max_request_bytes: 413 from the
	 * third chunk's size line, before its data; then close. */
	chunk = malloc(0x8000 + 16);
	ck_assert_ptr_nonnull(chunk);
	memset(chunk, ' ', 0x8000);
	memcpy(chunk + 0x8000, "\r\n8000\r\n", 8);
	fd = harness_connect(conn_h.port);
	harness_sends(fd, over);
	for (i = 0; i < 2; i++)
		harness_send(fd, chunk, 0x8000 + 8);
	harness_http_read(&r, fd, 0);
	conn_expect_json(&r, "HTTP/1.1 413 Content Too Large",
	    "Connection: close\r\n", TOO_LARGE);
	harness_http_free(&r);
	free(chunk);
	close(fd);
}
END_TEST

START_TEST(test_http_conn_sniffing)
{
	struct harness_http r;
	int fd;

	/* An inline RESP command that starts like an HTTP method. */
	fd = harness_connect(conn_h.port);
	harness_sends(fd, "GET foo\r\n");
	harness_expects(fd, "$-1\r\n");
	harness_sends(fd, "GET /x\r\n");
	harness_expects(fd, "$-1\r\n");
	harness_sends(fd, "PING\r\n");
	harness_expects(fd, "+PONG\r\n");
	close(fd);

	/* A request line, even split, is HTTP. */
	fd = harness_connect(conn_h.port);
	harness_sends(fd, "GET /nosuch HT");
	usleep(50000);
	harness_sends(fd, "TP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	harness_http_read(&r, fd, 0);
	conn_expect_json(&r, "HTTP/1.1 404 Not Found", NULL,
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"unknown command "
	    "'nosuch', with args beginning with: \"}}");
	harness_http_free(&r);
	close(fd);

	/* The protocol a command sees. */
	fd = harness_connect(conn_h.port);
	harness_sends(fd, "GET /whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	harness_http_read(&r, fd, 0);
	ck_assert_msg(strstr(r.body, "\"protocol\":\"http\"") != NULL,
	    "whoami over HTTP: %s", r.body);
	harness_http_free(&r);
	close(fd);
}
END_TEST

START_TEST(test_http_conn_listener_protocols)
{
	struct harness_http r;
	int fd;

	/* protocols: [http]: what is not HTTP is a bad request. */
	fd = harness_connect(conn_http_port);
	harness_sends(fd, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	harness_http_read(&r, fd, 0);
	conn_expect_json(&r, OK200, NULL, "\"PONG\"");
	harness_http_free(&r);
	close(fd);
	fd = harness_connect(conn_http_port);
	harness_sends(fd, "PING\r\n\r\n");
	harness_http_read(&r, fd, 0);
	ck_assert_str_eq(r.line, "HTTP/1.1 400 Bad Request");
	ck_assert_str_eq(harness_http_header(&r, "Connection"), "close");
	harness_http_free(&r);
	harness_expect_close(fd, "");
	close(fd);

	/* protocols: [resp]: a request line is an inline command. */
	fd = harness_connect(conn_resp_port);
	harness_sends(fd, "GET /ping HTTP/1.1\r\n");
	harness_expects(
	    fd, "-ERR wrong number of arguments for 'get' command\r\n");
	harness_sends(fd, "PING\r\n");
	harness_expects(fd, "+PONG\r\n");
	close(fd);
}
END_TEST

/* The number after label in tool output, or -1. */
static double
conn_number_after(const char *text, const char *label)
{
	const char *p = strstr(text, label);

	return p != NULL ? strtod(p + strlen(label), NULL) : -1;
}

START_TEST(test_http_conn_ab)
{
	struct harness_out o;

	conn_run(
	    &o, "ab -k -n 2000 -c 10 http://127.0.0.1:%d/ping", conn_h.port);
	ck_assert_msg(strstr(o.out, "Complete requests:      2000\n") &&
	        strstr(o.out, "Failed requests:        0\n") &&
	        strstr(o.out, "Keep-Alive requests:    2000\n") &&
	        strstr(o.out, "Document Length:        6 bytes\n") &&
	        !strstr(o.out, "Non-2xx responses"),
	    "ab -k:\n%s%s", o.out, o.err);
	fprintf(stderr, "ab -k -n 2000 -c 10 /ping: %.0f requests/s\n",
	    conn_number_after(o.out, "Requests per second:"));
	harness_out_free(&o);
}
END_TEST

START_TEST(test_http_conn_wrk)
{
	struct harness_out o;

	conn_run(
	    &o, "wrk -t1 -c50 -d2s http://127.0.0.1:%d/echo/hi", conn_h.port);
	ck_assert_msg(strstr(o.out, " requests in ") &&
	        !strstr(o.out, "Non-2xx") && !strstr(o.out, "Socket errors"),
	    "wrk:\n%s%s", o.out, o.err);
	ck_assert_msg(conn_number_after(o.out, "Requests/sec:") > 100,
	    "wrk: too few requests:\n%s", o.out);
	fprintf(stderr, "wrk -t1 -c50 -d2s /echo/hi: %.0f requests/s\n",
	    conn_number_after(o.out, "Requests/sec:"));
	harness_out_free(&o);
}
END_TEST

static Suite *
conn_suite(void)
{
	Suite *s = suite_create("http_conn");
	TCase *tc;

	tc = tcase_create("keepalive");
	tcase_add_checked_fixture(tc, conn_setup, conn_teardown);
	tcase_add_test(tc, test_http_conn_keepalive_10);
	tcase_add_test(tc, test_http_conn_keepalive_raw);
	tcase_add_test(tc, test_http_conn_pipeline);
	suite_add_tcase(s, tc);

	tc = tcase_create("bodies");
	tcase_add_checked_fixture(tc, conn_setup, conn_teardown);
	tcase_add_test(tc, test_http_conn_expect_curl);
	tcase_add_test(tc, test_http_conn_expect_raw);
	tcase_add_test(tc, test_http_conn_chunked_curl);
	tcase_add_test(tc, test_http_conn_chunked_raw);
	suite_add_tcase(s, tc);

	tc = tcase_create("sniffing");
	tcase_add_checked_fixture(tc, conn_setup, conn_teardown);
	tcase_add_test(tc, test_http_conn_sniffing);
	tcase_add_test(tc, test_http_conn_listener_protocols);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, conn_setup, conn_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_http_conn_ab);
	tcase_add_test(tc, test_http_conn_wrk);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conn_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
