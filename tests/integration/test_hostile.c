/* SPDX-License-Identifier: MIT */
/*
 * Integration test of what issue 9 found from outside: requests that are
 * cheap to send and were costly or undefined to answer.  One duetd with
 * one worker (so the other client shares its loop) and a small
 * limits.max_output_bytes; raw sockets, exact bytes.
 *   - a 66-byte msgpack body whose map keys are maps 28 deep (its JSON
 *     reply doubled at each level: 1.5 GB and 17 s) is refused at once,
 *     and a PING on another connection of the same worker answers fast;
 *   - a reply larger than max_output_bytes is an error, written by
 *     encoders that stop at the limit, and the connection stays usable;
 *   - a POST body (or Expect: 100-continue) without Content-Type is a
 *     415 (it reached memchr(NULL, ...));
 *   - error messages carry bytes that are not UTF-8 as \xHH, so an HTTP
 *     error's "message" is always a JSON string.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define MAX_OUTPUT 65536

static struct harness hostile_h;

static void
hostile_setup(void)
{
	harness_start(&hostile_h, NULL,
	    "workers: 1\n"
	    "limits: {max_output_bytes: 64KiB}\n");
}

static void
hostile_teardown(void)
{
	harness_stop(&hostile_h);
}

static long long
hostile_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The body of issue 9: {"message": {{{...: nil}: nil}: nil}}, 66 bytes. */
static size_t
hostile_key_bomb(char *buf)
{
	size_t n = 9;
	int i;

	memcpy(buf, "\x81\xa7message", 9);
	for (i = 0; i < 28; i++)
		buf[n++] = (char)0x81;
	for (i = 0; i < 29; i++)
		buf[n++] = (char)0xc0;
	return n;
}

/* One whole HTTP response on fd, compared with want. */
static void
hostile_expect_http_with(
    int fd, const char *line, const char *extra, const char *json)
{
	struct harness_http r;
	char hdrs[256];

	harness_http_read(&r, fd, 0);
	snprintf(hdrs, sizeof(hdrs),
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n%s",
	    strlen(json), extra);
	harness_http_expects(&r, line, hdrs, json);
	harness_http_free(&r);
}

static void
hostile_expect_http(int fd, const char *line, const char *json)
{
	hostile_expect_http_with(fd, line, "", json);
}

#define BOMB_ERROR                                                             \
	"{\"error\":{\"code\":\"ERR\",\"message\":\"msgpack map key at "       \
	"offset 10 is an array or a map\"}}"

START_TEST(test_hostile_key_bomb)
{
	char req[512], body[80];
	size_t blen = hostile_key_bomb(body);
	int fd, other, n, i;
	long long t0, took;

	ck_assert_uint_eq(blen, 66);
	other = harness_connect(hostile_h.port);
	harness_sends(other, "PING\r\n");
	harness_expects(other, "+PONG\r\n");
	fd = harness_connect(hostile_h.port);
	for (i = 0; i < 2; i++) {
		/* JSON reply (no Accept), then a msgpack one. */
		n = snprintf(req, sizeof(req),
		    "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		    "Content-Type: application/msgpack\r\n%s"
		    "Content-Length: %zu\r\n\r\n",
		    i == 0 ? "" : "Accept: application/json\r\n", blen);
		memcpy(req + n, body, blen);
		harness_send(fd, req, (size_t)n + blen);
		t0 = hostile_now_us();
		harness_sends(other, "PING\r\n");
		harness_expects(other, "+PONG\r\n");
		took = hostile_now_us() - t0;
		ck_assert_msg(took < 50000, "PING took %lld us", took);
		hostile_expect_http(fd, "HTTP/1.1 400 Bad Request", BOMB_ERROR);
	}
	close(fd);
	/* The same value as a msgpack argument over RESP. */
	fd = harness_connect(hostile_h.port);
	harness_sends(fd, "CLIENT ENCODING msgpack\r\n");
	harness_expects(fd, "+OK\r\n");
	n = snprintf(req, sizeof(req), "*2\r\n$4\r\necho\r\n$%zu\r\n", blen);
	memcpy(req + n, body, blen);
	memcpy(req + n + blen, "\r\n", 2);
	harness_send(fd, req, (size_t)n + blen + 2);
	harness_expects(fd,
	    "-ERR invalid argument 'message' for 'echo': "
	    "msgpack map key at offset 10 is an array or a "
	    "map\r\n");
	close(fd);
	close(other);
}
END_TEST

/* Stores a value of len 'v' bytes under key with SET over RESP. */
static void
hostile_set(int fd, const char *key, size_t len)
{
	char *cmd = malloc(len + 128);
	int n;

	ck_assert_ptr_nonnull(cmd);
	n = sprintf(cmd, "*3\r\n$3\r\nset\r\n$%zu\r\n%s\r\n$%zu\r\n",
	    strlen(key), key, len);
	memset(cmd + n, 'v', len);
	memcpy(cmd + n + len, "\r\n", 2);
	harness_send(fd, cmd, (size_t)n + len + 2);
	harness_expects(fd, "+OK\r\n");
	free(cmd);
}

START_TEST(test_hostile_reply_over_output_limit)
{
	static const char *const accept[] = {
	    "", "Accept: application/msgpack\r\n"};
	int fd = harness_connect(hostile_h.port), i;
	char req[256], *got;
	size_t len;

	hostile_set(fd, "big", MAX_OUTPUT + 1);
	hostile_set(fd, "fits", MAX_OUTPUT - 64);
	/* RESP: an error instead of the reply, and the connection stays. */
	harness_sends(fd, "GET big\r\nPING\r\n");
	harness_expects(fd,
	    "-ERR reply is larger than 65536 bytes\r\n"
	    "+PONG\r\n");
	harness_sends(fd, "GET fits\r\n");
	got =
	    harness_read_n(fd, MAX_OUTPUT - 64 + 10, HARNESS_TIMEOUT_MS, &len);
	ck_assert_uint_eq(len, MAX_OUTPUT - 64 + 10);
	ck_assert_int_eq(memcmp(got, "$65472\r\nvvv", 11), 0);
	free(got);
	harness_sends(fd, "CLIENT ENCODING json\r\n");
	harness_expects(fd, "+OK\r\n");
	harness_sends(fd, "*2\r\n$3\r\nGET\r\n$5\r\n\"big\"\r\n");
	harness_expects(fd, "-ERR reply is larger than 65536 bytes\r\n");
	close(fd);
	/* HTTP, JSON and msgpack: a 500, then the next request is served. */
	for (i = 0; i < 2; i++) {
		fd = harness_connect(hostile_h.port);
		snprintf(req, sizeof(req),
		    "GET /get/big HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n",
		    accept[i]);
		harness_sends(fd, req);
		if (i == 0) {
			hostile_expect_http(fd,
			    "HTTP/1.1 500 Internal Server Error",
			    "{\"error\":{\"code\":\"ERR\",\"message\":\"reply "
			    "is larger than 65536 bytes\"}}");
		} else {
			struct harness_http r;

			harness_http_read(&r, fd, 0);
			ck_assert_str_eq(
			    r.line, "HTTP/1.1 500 Internal Server Error");
			ck_assert_ptr_nonnull(
			    strstr(r.body, "reply is larger than 65536 bytes"));
			harness_http_free(&r);
		}
		harness_sends(
		    fd, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
		hostile_expect_http(fd, "HTTP/1.1 200 OK", "\"PONG\"");
		close(fd);
	}
}
END_TEST

START_TEST(test_hostile_body_without_content_type)
{
	static const struct {
		const char *req;
		const char *extra; /* unread body: the connection closes */
	} reqs[] = {
	    {"POST /add HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
	     "\r\n[1,2]",
	        ""},
	    {"POST /add HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
	     "Expect: 100-continue\r\n\r\n",
	        "Connection: close\r\n"},
	    {"POST /add HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n5\r\n[1,2]\r\n0\r\n\r\n",
	        ""},
	};
	size_t i;
	int fd;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		fd = harness_connect(hostile_h.port);
		harness_sends(fd, reqs[i].req);
		hostile_expect_http_with(fd,
		    "HTTP/1.1 415 Unsupported Media Type", reqs[i].extra,
		    "{\"error\":{\"code\":\"ERR\",\"message\":\"a request body "
		    "must be application/json or application/msgpack\"}}");
		close(fd);
	}
}
END_TEST

START_TEST(test_hostile_messages_are_text)
{
	int fd = harness_connect(hostile_h.port);

	harness_sends(fd, "GET /%ff%fe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	hostile_expect_http(fd, "HTTP/1.1 404 Not Found",
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"unknown command "
	    "'\\\\xff\\\\xfe', with args beginning with: \"}}");
	harness_sends(fd,
	    "GET /echo/%c3%a9%0a HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "\r\n");
	hostile_expect_http(fd, "HTTP/1.1 200 OK", "\"\xc3\xa9\\n\"");
	close(fd);
	fd = harness_connect(hostile_h.port);
	harness_sends(fd, "*2\r\n$3\r\n\xff\xfe\\\r\n$3\r\na\n\xc3\r\n");
	harness_expects(fd,
	    "-ERR unknown command '\\xff\\xfe\\', with args "
	    "beginning with: 'a \\xc3' \r\n");
	close(fd);
}
END_TEST

/*
 * A stream pauses at a share of max_output_bytes when that is below its
 * usual marks, so a client that reads gets all of it (with a 256-byte
 * limit it used to be dropped after the first items).
 */
START_TEST(test_hostile_stream_under_small_output_limit)
{
	struct harness small;
	struct harness_out o;
	char cmd[256], want[256];
	size_t n = 0;
	int i;

	harness_start(&small, NULL, "limits: {max_output_bytes: 256}\n");
	snprintf(cmd, sizeof(cmd),
	    "curl -sS --max-time 10 http://127.0.0.1:%d/count/60", small.port);
	harness_run(&o, cmd, NULL, 0);
	for (i = 0; i < 60; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%d\n", i);
	ck_assert_msg(o.status == 0 && strcmp(o.out, want) == 0,
	    "curl exited %d: '%s' %s", o.status, o.out, o.err);
	harness_out_free(&o);
	harness_stop(&small);
}
END_TEST

static Suite *
hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("hostile");

	tcase_add_checked_fixture(tc, hostile_setup, hostile_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hostile_key_bomb);
	tcase_add_test(tc, test_hostile_reply_over_output_limit);
	tcase_add_test(tc, test_hostile_body_without_content_type);
	tcase_add_test(tc, test_hostile_messages_are_text);
	tcase_add_test(tc, test_hostile_stream_under_small_output_limit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(hostile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
