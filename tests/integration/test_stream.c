/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of STREAM commands: demo's `count n`, which pauses on
 * the loop when the client falls behind, and the defer plugin's
 * `defer.stream n`, which sends from a plugin thread
 * (tests/plugins/defer.c).  On RESP a stream is one array, refused with an
 * error once its items pass limits.max_request_bytes; on HTTP it is a
 * chunked application/x-ndjson body, text/event-stream or a msgpack
 * stream when Accept asks, a close-delimited body for HTTP/1.0, and the
 * connection stays usable after it.  A client that reads a million items
 * slowly keeps the daemon's memory bounded; clients that leave mid-stream
 * and a stop during a stream do no harm (the stop must exit 0, so ASan
 * finds no leak).
 */
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define OK200    "HTTP/1.1 200 OK"
#define NDJSON   "application/x-ndjson"
#define HOST     "Host: 127.0.0.1\r\n"
#define PING_END "GET /ping HTTP/1.1\r\n" HOST "Connection: close\r\n\r\n"
#define OVER     "-ERR stream reply over limits.max_request_bytes"

static struct harness stream_h;

/* Starts duetd with the bundled plugins, the defer plugin and extra. */
static void
stream_start(const char *extra)
{
	harness_start_with(&stream_h, "defer.so", extra);
}

/* RESP streams are bounded by a small max_request_bytes. */
static void
stream_resp_setup(void)
{
	stream_start("limits: {max_request_bytes: 1KiB}\n");
}

static void
stream_http_setup(void)
{
	stream_start("limits: {shutdown_timeout: 2s}\n");
}

/*
 * Under ASan, freed memory waits in a 256 MB quarantine before reuse, so
 * the daemon's RSS would grow with every byte it ever allocated; a small
 * quarantine leaves the RSS to what the daemon holds at once.
 */
static void
stream_memory_setup(void)
{
	const char *old = getenv("ASAN_OPTIONS");
	char opts[1024];

	if (strcmp(harness_env("DUET_ASAN"), "1") == 0) {
		snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=4",
		    old != NULL ? old : "", old != NULL ? ":" : "");
		setenv("ASAN_OPTIONS", opts, 1);
	}
	stream_http_setup();
}

static void
stream_teardown(void)
{
	harness_stop(&stream_h);
}

/* Sends req on fd and expects exactly want. */
static void
stream_call(int fd, const char *req, const char *want)
{
	harness_sends(fd, req);
	harness_expects(fd, want);
}

/* "*n\r\n:0\r\n...:n-1\r\n", owned by the caller. */
static char *
stream_resp_items(int n)
{
	size_t cap = 16 + (size_t)n * 16, len;
	char *s = malloc(cap);
	int i;

	ck_assert_ptr_nonnull(s);
	len = (size_t)snprintf(s, cap, "*%d\r\n", n);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, ":%d\r\n", i);
	return s;
}

START_TEST(test_stream_resp_items)
{
	int fd = harness_connect(stream_h.port);
	char *want = stream_resp_items(100);

	stream_call(fd, "count 3\r\n", "*3\r\n:0\r\n:1\r\n:2\r\n");
	stream_call(fd, "count 0\r\n", "*0\r\n");
	stream_call(fd, "COUNT 1\r\n", "*1\r\n:0\r\n");
	stream_call(fd, "count 100\r\n", want);
	stream_call(fd, "defer.stream 3\r\n", "*3\r\n:0\r\n:1\r\n:2\r\n");
	stream_call(fd, "defer.stream 0\r\n", "*0\r\n");
	stream_call(fd, "defer.stream 100\r\n", want);
	stream_call(fd, "count 2\r\ndefer.stream 2\r\nPING\r\n",
	    "*2\r\n:0\r\n:1\r\n*2\r\n:0\r\n:1\r\n+PONG\r\n");
	stream_call(
	    fd, "*2\r\n$5\r\ncount\r\n$1\r\n2\r\n", "*2\r\n:0\r\n:1\r\n");
	stream_call(fd, "count -1\r\n", "-ERR n must not be negative\r\n");
	stream_call(
	    fd, "defer.stream -1\r\n", "-ERR n must not be negative\r\n");
	stream_call(fd, "count x\r\n",
	    "-ERR invalid argument 'n' for 'count': expected int\r\n");
	free(want);
	close(fd);
}
END_TEST

START_TEST(test_stream_resp3_items)
{
	int fd = harness_connect(stream_h.port);
	size_t len;
	char *got;

	harness_sends(fd, "HELLO 3\r\nPING\r\n");
	got = harness_read_until(fd, "+PONG\r\n", &len);
	ck_assert_msg(len > 7 && got[0] == '%', "HELLO 3: %s", got);
	free(got);
	stream_call(fd, "count 3\r\n", "*3\r\n:0\r\n:1\r\n:2\r\n");
	stream_call(fd, "count 0\r\n", "*0\r\n");
	stream_call(fd, "defer.stream 2\r\n", "*2\r\n:0\r\n:1\r\n");
	close(fd);
}
END_TEST

/* Sends req (a stream over the limit, then PING): error, then +PONG. */
static void
stream_expect_over(int fd, const char *req)
{
	size_t len, n = sizeof(OVER) - 1;
	char *got, *eol;

	harness_sends(fd, req);
	got = harness_read_until(fd, "+PONG\r\n", &len);
	eol = strstr(got, "\r\n");
	ck_assert_msg(len > n && strncmp(got, OVER, n) == 0 &&
	        (got[n] == '\r' || got[n] == ' ') && eol != NULL &&
	        strcmp(eol, "\r\n+PONG\r\n") == 0,
	    "want '%s...' then +PONG, got \"%.300s\" (%zu bytes)", OVER, got,
	    len);
	free(got);
}

/* Fails unless the log says defer.stream stopped before n items. */
static void
stream_expect_stopped_early(long long n)
{
	char want[64], *log, *p;
	long long k;

	snprintf(want, sizeof(want), " of %lld items", n);
	harness_wait_log(&stream_h, want);
	log = harness_log(&stream_h);
	p = strstr(log, want);
	while (p > log && isdigit((unsigned char)p[-1]))
		p--;
	k = strtoll(p, NULL, 10);
	ck_assert_msg(k < n, "defer.stream sent %lld of %lld items", k, n);
	ck_assert_msg(strstr(log, "finish called twice") == NULL,
	    "finishing a refused or abandoned stream was called twice");
	free(log);
}

START_TEST(test_stream_resp_over_limit)
{
	int fd = harness_connect(stream_h.port);

	stream_expect_over(fd, "count 100000\r\nPING\r\n");
	stream_call(fd, "count 3\r\n", "*3\r\n:0\r\n:1\r\n:2\r\n");
	stream_expect_over(fd, "defer.stream 100000\r\nPING\r\n");
	stream_expect_stopped_early(100000);
	stream_call(fd, "defer.stream 3\r\nPING\r\n",
	    "*3\r\n:0\r\n:1\r\n:2\r\n+PONG\r\n");
	close(fd);
	harness_roundtrip(stream_h.port, "PING\r\n", "+PONG\r\n");
}
END_TEST

/* An incremental decoder of a chunked body. */
enum stream_chunk_state {
	STREAM_CH_SIZE,     /* reading a chunk-size line */
	STREAM_CH_DATA,     /* reading left bytes of chunk data */
	STREAM_CH_DATA_END, /* reading the CRLF after the data */
	STREAM_CH_TRAILER,  /* reading the CRLF after the last chunk */
	STREAM_CH_DONE,
};

struct stream_dechunk {
	enum stream_chunk_state st;
	char line[32];
	size_t linelen;
	size_t left;
	size_t chunks;
	char *body; /* owned: the decoded body so far, NUL-terminated */
	size_t len, cap;
};

static void
stream_dechunk_init(struct stream_dechunk *d)
{
	memset(d, 0, sizeof(*d));
	d->cap = 4096;
	d->body = malloc(d->cap);
	ck_assert_ptr_nonnull(d->body);
	d->body[0] = '\0';
}

static void
stream_dechunk_add(struct stream_dechunk *d, const char *p, size_t n)
{
	if (d->len + n + 1 > d->cap) {
		while (d->len + n + 1 > d->cap)
			d->cap *= 2;
		d->body = realloc(d->body, d->cap);
		ck_assert_ptr_nonnull(d->body);
	}
	memcpy(d->body + d->len, p, n);
	d->len += n;
	d->body[d->len] = '\0';
}

/* Acts on one complete line (its CRLF replaced by a NUL). */
static void
stream_dechunk_line(struct stream_dechunk *d)
{
	const char *p;

	d->line[d->linelen - 2] = '\0';
	switch (d->st) {
	case STREAM_CH_SIZE:
		for (p = d->line; isxdigit((unsigned char)*p); p++)
			;
		ck_assert_msg(p != d->line && *p == '\0' && p - d->line < 9,
		    "bad chunk size line \"%s\"", d->line);
		d->left = strtoul(d->line, NULL, 16);
		d->st = d->left == 0 ? STREAM_CH_TRAILER : STREAM_CH_DATA;
		d->chunks++;
		break;
	case STREAM_CH_DATA_END:
		ck_assert_msg(d->line[0] == '\0', "no CRLF after chunk data");
		d->st = STREAM_CH_SIZE;
		break;
	case STREAM_CH_TRAILER:
		ck_assert_msg(
		    d->line[0] == '\0', "unexpected trailer \"%s\"", d->line);
		d->st = STREAM_CH_DONE;
		break;
	default:
		ck_abort_msg("bad decoder state");
	}
	d->linelen = 0;
}

/*
 * Feeds p[0..n) to d.  Returns the bytes it took: all of them, or fewer
 * once the last chunk has ended (the rest is the next response).
 */
static size_t
stream_dechunk_feed(struct stream_dechunk *d, const char *p, size_t n)
{
	size_t i = 0, k;

	while (i < n && d->st != STREAM_CH_DONE) {
		if (d->st == STREAM_CH_DATA) {
			k = d->left < n - i ? d->left : n - i;
			stream_dechunk_add(d, p + i, k);
			i += k;
			if ((d->left -= k) == 0)
				d->st = STREAM_CH_DATA_END;
			continue;
		}
		ck_assert_msg(d->linelen < sizeof(d->line) - 1,
		    "chunk framing line too long");
		d->line[d->linelen++] = p[i++];
		if (d->linelen >= 2 && d->line[d->linelen - 2] == '\r' &&
		    d->line[d->linelen - 1] == '\n')
			stream_dechunk_line(d);
	}
	return i;
}

/* Expects a streamed response head: 200, type ctype, chunked or not. */
static void
stream_expect_head(const struct harness_http *r, const char *ctype, int chunked)
{
	const char *te = harness_http_header(r, "Transfer-Encoding");
	const char *ct = harness_http_header(r, "Content-Type");

	ck_assert_msg(strcmp(r->line, OK200) == 0, "status \"%s\"", r->line);
	ck_assert_msg(ct != NULL && strcmp(ct, ctype) == 0,
	    "Content-Type \"%s\", want \"%s\"", ct != NULL ? ct : "", ctype);
	ck_assert_msg(harness_http_header(r, "Content-Length") == NULL,
	    "a stream with Content-Length");
	if (chunked)
		ck_assert_msg(te != NULL && strcmp(te, "chunked") == 0,
		    "Transfer-Encoding \"%s\"", te != NULL ? te : "");
	else
		ck_assert_msg(te == NULL, "Transfer-Encoding \"%s\"", te);
}

/* One streamed request and the exact body it must get. */
struct stream_case {
	const char *name;
	const char *req; /* without the final PING_END */
	const char *ctype;
	const char *body;
	size_t bodylen;
};

#define BODY(s)          s, sizeof(s) - 1
#define GET(path, extra) "GET " path " HTTP/1.1\r\n" HOST extra "\r\n"
#define ACCEPT_SSE       "Accept: text/event-stream\r\n"
#define ACCEPT_MP        "Accept: application/msgpack\r\n"

static const struct stream_case stream_cases[] = {
    {"ndjson", GET("/count/3", ""), NDJSON, BODY("0\n1\n2\n")},
    {"event-stream", GET("/count/3", ACCEPT_SSE), "text/event-stream",
        BODY("data: 0\n\ndata: 1\n\ndata: 2\n\n")},
    {"msgpack", GET("/count/3", ACCEPT_MP), "application/msgpack",
        BODY("\x00\x01\x02")},
    {"empty", GET("/count/0", ""), NDJSON, BODY("")},
    {"query", GET("/count?n=2", ""), NDJSON, BODY("0\n1\n")},
    {"POST",
        "POST /count HTTP/1.1\r\n" HOST
        "Content-Type: application/json\r\nContent-Length: 3\r\n\r\n[2]",
        NDJSON, BODY("0\n1\n")},
    {"deferred ndjson", GET("/defer.stream/3", ""), NDJSON, BODY("0\n1\n2\n")},
    {"deferred event-stream", GET("/defer.stream/2", ACCEPT_SSE),
        "text/event-stream", BODY("data: 0\n\ndata: 1\n\n")},
    {"deferred msgpack", GET("/defer.stream/3", ACCEPT_MP),
        "application/msgpack", BODY("\x00\x01\x02")},
    {"deferred empty", GET("/defer.stream/0", ""), NDJSON, BODY("")},
};

/*
 * Sends a case and a PING that closes, pipelined; expects the stream,
 * then the PONG, then the end of the connection.
 */
START_TEST(test_stream_http_formats)
{
	const struct stream_case *t = &stream_cases[_i];
	struct stream_dechunk d;
	struct harness_http r;
	size_t len, off;
	int fd, closed;
	char *got;

	fprintf(stderr, "case: %s\n", t->name);
	fd = harness_connect(stream_h.port);
	harness_sends(fd, t->req);
	harness_sends(fd, PING_END);
	got = harness_read_all(fd, HARNESS_TIMEOUT_MS, &len, &closed);
	ck_assert_msg(closed, "%s: not closed after the PING", t->name);
	off = harness_http_parse(&r, got, len, 1);
	stream_expect_head(&r, t->ctype, 1);
	harness_http_free(&r);
	stream_dechunk_init(&d);
	off += stream_dechunk_feed(&d, got + off, len - off);
	ck_assert_msg(
	    d.st == STREAM_CH_DONE, "%s: chunked body not ended", t->name);
	ck_assert_msg(
	    d.len == t->bodylen && memcmp(d.body, t->body, d.len) == 0,
	    "%s: body \"%s\" (%zu bytes)", t->name, d.body, d.len);
	free(d.body);
	off += harness_http_parse(&r, got + off, len - off, 0);
	harness_http_expects(&r, OK200,
	    "Content-Type: application/json\r\nContent-Length: 6\r\n"
	    "Connection: close\r\n",
	    "\"PONG\"");
	harness_http_free(&r);
	ck_assert_uint_eq(off, len);
	free(got);
	close(fd);
}
END_TEST

START_TEST(test_stream_http10)
{
	static const struct {
		const char *req;
		const char *ctype;
		const char *body;
		size_t bodylen;
	} cases[] = {
	    {"GET /count/3 HTTP/1.0\r\n\r\n", NDJSON, BODY("0\n1\n2\n")},
	    {"GET /count/3 HTTP/1.0\r\n" ACCEPT_MP "\r\n",
	        "application/msgpack", BODY("\x00\x01\x02")},
	    {"GET /defer.stream/2 HTTP/1.0\r\n\r\n", NDJSON, BODY("0\n1\n")},
	};
	struct harness_http r;
	size_t i, len, off;
	int fd, closed;
	char *got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = harness_connect(stream_h.port);
		harness_sends(fd, cases[i].req);
		got = harness_read_all(fd, HARNESS_TIMEOUT_MS, &len, &closed);
		ck_assert_msg(closed, "%s: not closed", cases[i].req);
		off = harness_http_parse(&r, got, len, 1);
		stream_expect_head(&r, cases[i].ctype, 0);
		harness_http_free(&r);
		ck_assert_msg(len - off == cases[i].bodylen &&
		        memcmp(got + off, cases[i].body, len - off) == 0,
		    "%s: body \"%s\"", cases[i].req, got + off);
		free(got);
		close(fd);
	}
}
END_TEST

/* Expects the next response on fd to be the JSON error of code and msg. */
static void
stream_expect_error(int fd, const char *line, const char *code, const char *msg)
{
	struct harness_http r;
	char body[256], hdrs[128];

	snprintf(body, sizeof(body),
	    "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, msg);
	snprintf(hdrs, sizeof(hdrs),
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n",
	    strlen(body));
	harness_http_read(&r, fd, 0);
	harness_http_expects(&r, line, hdrs, body);
	harness_http_free(&r);
}

START_TEST(test_stream_http_errors)
{
	static const char neg[] = "n must not be negative";
	int fd = harness_connect(stream_h.port);

	/* An error before the first item is a plain error response. */
	harness_sends(fd, GET("/count/-1", ""));
	stream_expect_error(
	    fd, "HTTP/1.1 500 Internal Server Error", "ERR", neg);
	harness_sends(fd, GET("/defer.stream/-1", ACCEPT_SSE));
	stream_expect_error(
	    fd, "HTTP/1.1 500 Internal Server Error", "ERR", neg);
	harness_sends(fd,
	    "POST /count HTTP/1.1\r\n" HOST "Content-Type: application/json\r\n"
	    "Content-Length: 4\r\n\r\n[-1]");
	stream_expect_error(
	    fd, "HTTP/1.1 500 Internal Server Error", "ERR", neg);
	harness_sends(fd, GET("/count/x", ""));
	stream_expect_error(fd, "HTTP/1.1 400 Bad Request", "ERR",
	    "invalid argument 'n' for 'count': expected int");
	close(fd);
}
END_TEST

/* Sends req, reads about 64 KiB of its stream and leaves. */
static void
stream_leave(const char *req)
{
	int fd = harness_connect(stream_h.port);
	size_t len;
	char *got;

	harness_sends(fd, req);
	got = harness_read_n(fd, 65536, HARNESS_TIMEOUT_MS, &len);
	ck_assert_msg(len == 65536 && strncmp(got, OK200, 15) == 0,
	    "%s: only %zu bytes", req, len);
	free(got);
	close(fd);
}

START_TEST(test_stream_client_leaves)
{
	int other = harness_connect(stream_h.port);

	stream_leave(GET("/count/100000000", ""));
	stream_call(other, "PING\r\n", "+PONG\r\n");
	stream_leave(GET("/count/100000000", ACCEPT_MP));
	stream_leave(GET("/defer.stream/100000000", ""));
	/* The plugin thread learns that its client is gone. */
	stream_expect_stopped_early(100000000);
	stream_call(other, "PING\r\n", "+PONG\r\n");
	stream_call(other, "count 2\r\n", "*2\r\n:0\r\n:1\r\n");
	close(other);
}
END_TEST

#define BIG_ITEMS  1000000
#define BIG_MAX_KB (64 * 1024) /* allowed RSS growth */
#define SLOW_READS 256         /* 4 KiB reads, 2 ms apart: 1 MiB */

/* The body of count BIG_ITEMS as ndjson, owned by the caller. */
static char *
stream_big_body(size_t *len)
{
	size_t cap = (size_t)BIG_ITEMS * 8, n = 0;
	char *s = malloc(cap);
	int i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < BIG_ITEMS; i++)
		n += (size_t)snprintf(s + n, cap - n, "%d\n", i);
	*len = n;
	return s;
}

/* Reads what fd has (waiting up to the deadline) into d. */
static void
stream_read_some(int fd, struct stream_dechunk *d)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char buf[65536];
	size_t took;
	ssize_t r;

	ck_assert_msg(poll(&pfd, 1, HARNESS_TIMEOUT_MS) == 1,
	    "no stream data for %d ms after %zu bytes", HARNESS_TIMEOUT_MS,
	    d->len);
	r = read(fd, buf, sizeof(buf));
	ck_assert_msg(r > 0, "stream closed after %zu bytes", d->len);
	took = stream_dechunk_feed(d, buf, (size_t)r);
	ck_assert_msg(took == (size_t)r, "bytes after the stream");
}

/* Reads one response head from fd (up to 16 KiB) into r. */
static void
stream_read_head(struct harness_http *r, int fd)
{
	char head[16384], *b;
	size_t len = 0, got;

	while (len < 4 || memcmp(head + len - 4, "\r\n\r\n", 4) != 0) {
		ck_assert_msg(len < sizeof(head), "endless head");
		b = harness_read_n(fd, 1, HARNESS_TIMEOUT_MS, &got);
		ck_assert_msg(got == 1, "no complete head");
		head[len++] = b[0];
		free(b);
	}
	harness_http_parse(r, head, len, 1);
}

/* Fails unless d holds exactly the big body. */
static void
stream_expect_big_body(const struct stream_dechunk *d)
{
	size_t len, i, lines = 0;
	char *want = stream_big_body(&len);

	for (i = 0; i < d->len; i++)
		lines += d->body[i] == '\n';
	ck_assert_msg(lines == BIG_ITEMS, "%zu lines", lines);
	ck_assert_msg(
	    d->len >= 8 && strcmp(d->body + d->len - 7, "999999\n") == 0,
	    "last line is not 999999");
	ck_assert_msg(d->len == len && memcmp(d->body, want, len) == 0,
	    "the body differs from 0..999999 (%zu bytes, want %zu)", d->len,
	    len);
	free(want);
}

START_TEST(test_stream_slow_reader)
{
	struct timespec pause = {0, 2 * 1000 * 1000};
	struct stream_dechunk d;
	struct harness_http r;
	long base, rss, maxrss;
	size_t next = 0, len;
	int fd, i;
	char *got;

	fd = harness_connect(stream_h.port);
	base = maxrss = harness_rss_kb(&stream_h);
	harness_sends(fd, GET("/count/1000000", ""));
	stream_read_head(&r, fd);
	stream_expect_head(&r, NDJSON, 1);
	harness_http_free(&r);
	stream_dechunk_init(&d);
	/* First a slow client: 4 KiB every 2 ms. */
	for (i = 0; i < SLOW_READS && d.st != STREAM_CH_DONE; i++) {
		got = harness_read_n(fd, 4096, HARNESS_TIMEOUT_MS, &len);
		ck_assert_uint_eq(stream_dechunk_feed(&d, got, len), len);
		free(got);
		rss = harness_rss_kb(&stream_h);
		maxrss = rss > maxrss ? rss : maxrss;
		nanosleep(&pause, NULL);
	}
	fprintf(stderr, "after %zu bytes read slowly: RSS %ld -> max %ld kB\n",
	    d.len, base, maxrss);
	/* Then everything as fast as it comes. */
	while (d.st != STREAM_CH_DONE) {
		stream_read_some(fd, &d);
		if (d.len >= next) {
			rss = harness_rss_kb(&stream_h);
			maxrss = rss > maxrss ? rss : maxrss;
			next = d.len + 1024 * 1024;
		}
	}
	fprintf(stderr, "%zu chunks, %zu bytes; RSS %ld -> max %ld kB\n",
	    d.chunks, d.len, base, maxrss);
	stream_expect_big_body(&d);
	free(d.body);
	ck_assert_msg(maxrss - base < BIG_MAX_KB, "RSS grew from %ld to %ld kB",
	    base, maxrss);
	/* The connection goes on. */
	harness_sends(fd, GET("/ping", ""));
	harness_http_read(&r, fd, 0);
	harness_http_expects(&r, OK200, NULL, "\"PONG\"");
	harness_http_free(&r);
	close(fd);
}
END_TEST

#define SLOW_CLIENTS 8

/*
 * SLOW_CLIENTS slow readers at once: what the daemon holds for each
 * paused stream, not just for one, stays within the bound.
 */
START_TEST(test_stream_slow_readers)
{
	struct timespec pause = {0, 2 * 1000 * 1000};
	int fds[SLOW_CLIENTS], i, round;
	long base, rss, maxrss;
	size_t len;
	char *got;

	base = maxrss = harness_rss_kb(&stream_h);
	for (i = 0; i < SLOW_CLIENTS; i++) {
		fds[i] = harness_connect(stream_h.port);
		harness_sends(fds[i], GET("/count/1000000", ""));
	}
	for (round = 0; round < SLOW_READS / 2; round++) {
		for (i = 0; i < SLOW_CLIENTS; i++) {
			got = harness_read_n(
			    fds[i], 4096, HARNESS_TIMEOUT_MS, &len);
			ck_assert_uint_eq(len, 4096);
			free(got);
		}
		rss = harness_rss_kb(&stream_h);
		maxrss = rss > maxrss ? rss : maxrss;
		nanosleep(&pause, NULL);
	}
	fprintf(stderr, "%d slow readers: RSS %ld -> max %ld kB\n",
	    SLOW_CLIENTS, base, maxrss);
	for (i = 0; i < SLOW_CLIENTS; i++)
		close(fds[i]);
	harness_roundtrip(stream_h.port, "PING\r\n", "+PONG\r\n");
	ck_assert_msg(maxrss - base < BIG_MAX_KB,
	    "RSS grew from %ld to %ld kB with %d slow readers", base, maxrss,
	    SLOW_CLIENTS);
}
END_TEST

/* Stops the daemon while two clients do not read their streams. */
START_TEST(test_stream_stop_during_stream)
{
	int a, b, c;
	size_t len;
	char *got;

	stream_http_setup();
	a = harness_connect(stream_h.port);
	harness_sends(a, GET("/count/100000000", ""));
	b = harness_connect(stream_h.port);
	harness_sends(b, GET("/defer.stream/100000000", ""));
	c = harness_connect(stream_h.port);
	harness_sends(c, "defer.stream 100000000\r\n");
	got = harness_read_n(a, 4096, HARNESS_TIMEOUT_MS, &len);
	ck_assert_uint_eq(len, 4096);
	free(got);
	got = harness_read_n(b, 4096, HARNESS_TIMEOUT_MS, &len);
	ck_assert_uint_eq(len, 4096);
	free(got);
	harness_stop(&stream_h);
	close(a);
	close(b);
	close(c);
}
END_TEST

static Suite *
stream_suite(void)
{
	Suite *s = suite_create("stream");
	TCase *tc;
	int tsan;

	tc = tcase_create("resp");
	tcase_add_checked_fixture(tc, stream_resp_setup, stream_teardown);
	tcase_add_test(tc, test_stream_resp_items);
	tcase_add_test(tc, test_stream_resp3_items);
	tcase_add_test(tc, test_stream_resp_over_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("http");
	tcase_add_checked_fixture(tc, stream_http_setup, stream_teardown);
	tcase_add_loop_test(tc, test_stream_http_formats, 0,
	    (int)(sizeof(stream_cases) / sizeof(stream_cases[0])));
	tcase_add_test(tc, test_stream_http10);
	tcase_add_test(tc, test_stream_http_errors);
	tcase_add_test(tc, test_stream_client_leaves);
	suite_add_tcase(s, tc);

	/* ThreadSanitizer's shadow memory makes RSS meaningless. */
	tsan = getenv("DUET_TSAN") != NULL &&
	    strcmp(getenv("DUET_TSAN"), "1") == 0;
	if (!tsan) {
		tc = tcase_create("memory");
		tcase_add_checked_fixture(
		    tc, stream_memory_setup, stream_teardown);
		tcase_add_test(tc, test_stream_slow_reader);
		tcase_add_test(tc, test_stream_slow_readers);
		suite_add_tcase(s, tc);
	}

	tc = tcase_create("stop");
	tcase_add_test(tc, test_stream_stop_during_stream);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(stream_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
