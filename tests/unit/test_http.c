/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the http module: the request parser against tables of good
 * requests (each fed whole, one byte at a time and split in two at every
 * offset, always with identical results) and of malformed ones (exact
 * status and message, whole and byte by byte), the limits decided before
 * the bytes they announce, Expect: 100-continue and pipelining.  The
 * helpers and writers of http_util.c are tested in test_http_util.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "http.h"
#include "util.h"

struct bytes {
	const char *p;
	size_t len;
};

#define B(s)                                                                   \
	{                                                                      \
		s, sizeof(s) - 1                                               \
	}
#define ALL SIZE_MAX
#define H11 " HTTP/1.1\r\nHost: h\r\n"
#define X10 "xxxxxxxxxx"
#define X50 X10 X10 X10 X10 X10

/* The limits of the tables: small, so that every limit has a case. */
static const struct http_limits test_lim = {64, 256, 8, 0};

/*
 * A good request: in parses to the fields below once reqlen bytes are fed
 * (ALL: the whole input); NULL strings are absent headers.
 */
struct good_case {
	const char *name;
	struct bytes in;
	size_t reqlen;
	enum http_method method;
	const char *method_text;
	const char *target;
	int minor;
	int keep_alive;
	int expect;
	int chunked;
	int64_t cl;
	const char *host;
	struct bytes body;
	const char *ctype;
	const char *accept;
	const char *origin;
};

#define GET1 "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"

static const struct good_case good_cases[] = {
    {"get with query",
        B("GET /add?a=1&b=2 HTTP/1.1\r\nHost: localhost\r\n\r\n"), ALL,
        HTTP_M_GET, "GET", "/add?a=1&b=2", 1, 1, 0, 0, -1, "localhost", B(""),
        NULL, NULL, NULL},
    {"post content-length",
        B("POST /add" H11 "Content-Type: application/json\r\n"
          "Content-Length: 5\r\n\r\n[1,2]"),
        ALL, HTTP_M_POST, "POST", "/add", 1, 1, 0, 0, 5, "h", B("[1,2]"),
        "application/json", NULL, NULL},
    {"post body of max size",
        B("POST /x" H11 "Content-Length: 64\r\n\r\n" X50 "0123456789abcd"), ALL,
        HTTP_M_POST, "POST", "/x", 1, 1, 0, 0, 64, "h", B(X50 "0123456789abcd"),
        NULL, NULL, NULL},
    {"content-length zero", B("POST /x" H11 "Content-Length: 0\r\n\r\n"), ALL,
        HTTP_M_POST, "POST", "/x", 1, 1, 0, 0, 0, "h", B(""), NULL, NULL, NULL},
    {"content-length identical duplicates",
        B("POST /x" H11 "Content-Length: 3\r\ncontent-length: 3, 3\r\n\r\nabc"),
        ALL, HTTP_M_POST, "POST", "/x", 1, 1, 0, 0, 3, "h", B("abc"), NULL,
        NULL, NULL},
    {"chunked with extensions and trailers",
        B("POST /x" H11 "Transfer-Encoding: chunked\r\n\r\n"
          "3;name=val\r\nabc\r\nA\r\n0123456789\r\n0;last\r\n"
          "X-Trailer: 1\r\nX-More: 2\r\n\r\n"),
        ALL, HTTP_M_POST, "POST", "/x", 1, 1, 0, 1, -1, "h", B("abc0123456789"),
        NULL, NULL, NULL},
    {"chunked without trailers",
        B("POST /x" H11 "transfer-encoding:  Chunked \r\n\r\n"
          "2\r\nhi\r\n000F\r\n0123456789abcde\r\n0\r\n\r\n"),
        ALL, HTTP_M_POST, "POST", "/x", 1, 1, 0, 1, -1, "h",
        B("hi0123456789abcde"), NULL, NULL, NULL},
    {"chunked body of max size",
        B("POST /x" H11 "Transfer-Encoding: chunked\r\n\r\n"
          "32\r\n" X50 "\r\ne\r\n0123456789abcd\r\n0\r\n\r\n"),
        ALL, HTTP_M_POST, "POST", "/x", 1, 1, 0, 1, -1, "h",
        B(X50 "0123456789abcd"), NULL, NULL, NULL},
    {"http/1.0 keep-alive",
        B("GET /echo/hi HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), ALL,
        HTTP_M_GET, "GET", "/echo/hi", 0, 1, 0, 0, -1, NULL, B(""), NULL, NULL,
        NULL},
    {"http/1.0 closes by default", B("GET / HTTP/1.0\r\n\r\n"), ALL, HTTP_M_GET,
        "GET", "/", 0, 0, 0, 0, -1, NULL, B(""), NULL, NULL, NULL},
    {"http/1.1 connection close",
        B("GET /" H11 "Connection: keep-alive, Close\r\n\r\n"), ALL, HTTP_M_GET,
        "GET", "/", 1, 0, 0, 0, -1, "h", B(""), NULL, NULL, NULL},
    {"expect 100-continue",
        B("POST /x" H11 "Expect: 100-Continue\r\nContent-Length: 2\r\n\r\nhi"),
        ALL, HTTP_M_POST, "POST", "/x", 1, 1, 1, 0, 2, "h", B("hi"), NULL, NULL,
        NULL},
    {"expect ignored on http/1.0",
        B("POST /x HTTP/1.0\r\nExpect: 100-continue\r\n"
          "Content-Length: 2\r\n\r\nhi"),
        ALL, HTTP_M_POST, "POST", "/x", 0, 0, 0, 0, 2, NULL, B("hi"), NULL,
        NULL, NULL},
    {"options asterisk", B("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"), ALL,
        HTTP_M_OPTIONS, "OPTIONS", "*", 1, 1, 0, 0, -1, "h", B(""), NULL, NULL,
        NULL},
    {"head", B("HEAD /healthz" H11 "\r\n"), ALL, HTTP_M_HEAD, "HEAD",
        "/healthz", 1, 1, 0, 0, -1, "h", B(""), NULL, NULL, NULL},
    {"other method with body", B("PUT /x" H11 "Content-Length: 1\r\n\r\nz"),
        ALL, HTTP_M_OTHER, "PUT", "/x", 1, 1, 0, 0, 1, "h", B("z"), NULL, NULL,
        NULL},
    {"get with body", B("GET /x" H11 "Content-Length: 1\r\n\r\nz"), ALL,
        HTTP_M_GET, "GET", "/x", 1, 1, 0, 0, 1, "h", B("z"), NULL, NULL, NULL},
    {"pipelined", B(GET1 "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"),
        sizeof(GET1) - 1, HTTP_M_GET, "GET", "/a", 1, 1, 0, 0, -1, "h", B(""),
        NULL, NULL, NULL},
    {"pipelined after a body",
        B("POST /x" H11 "Content-Length: 2\r\n\r\nhi" GET1),
        sizeof("POST /x" H11 "Content-Length: 2\r\n\r\nhi") - 1, HTTP_M_POST,
        "POST", "/x", 1, 1, 0, 0, 2, "h", B("hi"), NULL, NULL, NULL},
    {"leading empty lines", B("\r\n\r\n" GET1), ALL, HTTP_M_GET, "GET", "/a", 1,
        1, 0, 0, -1, "h", B(""), NULL, NULL, NULL},
    {"ows trimmed and empty values",
        B("GET / HTTP/1.1\r\nHOST:  \th \t\r\nX-Empty:\r\nX-Sp:  \r\n"
          "Accept: text/html,  application/json\r\n\r\n"),
        ALL, HTTP_M_GET, "GET", "/", 1, 1, 0, 0, -1, "h", B(""), NULL,
        "text/html,  application/json", NULL},
    {"last stored header wins",
        B("GET /" H11 "Origin: http://a\r\norigin: http://b\r\n"
          "Content-Type: x/y\r\nContent-Type: a/b\r\n\r\n"),
        ALL, HTTP_M_GET, "GET", "/", 1, 1, 0, 0, -1, "h", B(""), "a/b", NULL,
        "http://b"},
    {"obs-text in value", B("GET /" H11 "X-Name: caf\xc3\xa9\t!\r\n\r\n"), ALL,
        HTTP_M_GET, "GET", "/", 1, 1, 0, 0, -1, "h", B(""), NULL, NULL, NULL},
    {"max headers",
        B("GET /" H11 "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\n"
          "G: 7\r\n\r\n"),
        ALL, HTTP_M_GET, "GET", "/", 1, 1, 0, 0, -1, "h", B(""), NULL, NULL,
        NULL},
    {"head of max size",
        B("GET /" X50 X50 X50 X50 "xxxxxxxxxxxxxx" H11 "X: " X10 "\r\n\r\n"),
        ALL, HTTP_M_GET, "GET", "/" X50 X50 X50 X50 "xxxxxxxxxxxxxx", 1, 1, 0,
        0, -1, "h", B(""), NULL, NULL, NULL},
};

/* Asserts that got is want (NULL: empty). */
static void
check_str(const char *what, struct http_str got, const char *want)
{
	if (want == NULL) {
		ck_assert_msg(
		    got.len == 0, "%s: got %.*s", what, (int)got.len, got.ptr);
		return;
	}
	ck_assert_msg(
	    got.len == strlen(want) && memcmp(got.ptr, want, got.len) == 0,
	    "%s: got '%.*s', want '%s'", what, (int)got.len, got.ptr, want);
}

/* Asserts that r holds what c says. */
static void
check_request(const struct good_case *c, const struct http_request *r)
{
	size_t len = evbuffer_get_length(r->body);

	ck_assert_int_eq(r->method, c->method);
	check_str("method", r->method_text, c->method_text);
	check_str("target", r->target, c->target);
	ck_assert_int_eq(r->minor, c->minor);
	ck_assert_int_eq(r->keep_alive, c->keep_alive);
	ck_assert_int_eq(r->expect_continue, c->expect);
	ck_assert_int_eq(r->chunked, c->chunked);
	ck_assert_int_eq(r->content_length, c->cl);
	check_str("host", r->host, c->host);
	check_str("content-type", r->content_type, c->ctype);
	check_str("accept", r->accept, c->accept);
	check_str("origin", r->origin, c->origin);
	ck_assert_uint_eq(len, c->body.len);
	ck_assert(len == 0 ||
	    memcmp(evbuffer_pullup(r->body, -1), c->body.p, len) == 0);
}

/*
 * Feeds c->in to a fresh parser in pieces: the first split bytes, then
 * one byte at a time (step 1) or the rest at once (step 0).  Every call
 * before the request's last byte must return MORE, the one after it DONE.
 */
static void
run_good(const struct good_case *c, size_t split, int step)
{
	size_t reqlen = c->reqlen == ALL ? c->in.len : c->reqlen, fed = 0, n;
	struct evbuffer *in = evbuffer_new();
	struct http_parser p;
	struct duet_err err;
	enum http_parse_result r = HTTP_PARSE_MORE;

	http_parser_init(&p);
	while (fed < c->in.len && r == HTTP_PARSE_MORE) {
		n = fed == 0 && split > 0 ? split
		    : step == 1           ? 1
		                          : c->in.len - fed;
		evbuffer_add(in, c->in.p + fed, n);
		fed += n;
		r = http_parse(&p, in, &test_lim, &err);
		if (fed < reqlen)
			ck_assert_msg(r == HTTP_PARSE_MORE,
			    "%s: %d after %zu bytes (%s)", c->name, r, fed,
			    r == HTTP_PARSE_ERROR ? err.msg : "");
	}
	ck_assert_msg(r == HTTP_PARSE_DONE, "%s: %d (%s)", c->name, r,
	    r == HTTP_PARSE_ERROR ? err.msg : "");
	ck_assert_int_eq(http_body_pending(&p), 0);
	check_request(c, &p.req);
	ck_assert_uint_eq(evbuffer_get_length(in), fed - reqlen);
	ck_assert_int_eq(http_parse(&p, in, &test_lim, &err), HTTP_PARSE_DONE);
	http_consume(&p);
	http_parser_fini(&p);
	evbuffer_free(in);
}

START_TEST(test_http_parses_good_whole)
{
	run_good(&good_cases[_i], 0, 0);
}
END_TEST

START_TEST(test_http_parses_good_byte_by_byte)
{
	run_good(&good_cases[_i], 0, 1);
}
END_TEST

START_TEST(test_http_parses_good_split_everywhere)
{
	const struct good_case *c = &good_cases[_i];
	size_t k;

	for (k = 1; k < c->in.len; k++)
		run_good(c, k, 0);
}
END_TEST

/* A malformed request: the status and message it must be refused with. */
struct bad_case {
	const char *name;
	struct bytes in;
	int status;
	const char *msg;
};

#define CHUNKED "POST /x" H11 "Transfer-Encoding: chunked\r\n\r\n"

static const struct bad_case bad_cases[] = {
    {"no version", B("GET /\r\nHost: h\r\n\r\n"), 400,
        "malformed request line"},
    {"empty request line", B("\r\nX\r\n\r\n"), 400, "malformed request line"},
    {"double space", B("GET  / HTTP/1.1\r\n\r\n"), 400,
        "malformed request line"},
    {"leading space", B(" GET / HTTP/1.1\r\n\r\n"), 400,
        "malformed request line"},
    {"bad method", B("G@T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400,
        "malformed request line"},
    {"tab separator", B("GET\t/ HTTP/1.1\r\n\r\n"), 400,
        "malformed request line"},
    {"trailing space", B("GET / HTTP/1.1 \r\n\r\n"), 400,
        "invalid HTTP version"},
    {"lower-case version", B("GET / http/1.1\r\n\r\n"), 400,
        "invalid HTTP version"},
    {"version garbage", B("GET / HTTP/1.10\r\n\r\n"), 400,
        "invalid HTTP version"},
    {"version short", B("GET / HTTP/1\r\n\r\n"), 400, "invalid HTTP version"},
    {"extra word", B("GET / x HTTP/1.1\r\n\r\n"), 400, "invalid HTTP version"},
    {"http/2.0", B("GET / HTTP/2.0\r\n\r\n"), 505, "unsupported HTTP version"},
    {"http/1.2", B("GET / HTTP/1.2\r\n\r\n"), 505, "unsupported HTTP version"},
    {"http/0.9", B("GET / HTTP/0.9\r\n\r\n"), 505, "unsupported HTTP version"},
    {"absolute form", B("GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400,
        "invalid request target"},
    {"authority form", B("CONNECT h:80 HTTP/1.1\r\nHost: h\r\n\r\n"), 400,
        "invalid request target"},
    {"asterisk on get", B("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), 400,
        "invalid request target"},
    {"high byte in target", B("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n"), 400,
        "invalid request target"},
    {"header without colon", B("GET / HTTP/1.1\r\nHost h\r\n\r\n"), 400,
        "header without colon"},
    {"space before colon", B("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400,
        "invalid header name"},
    {"empty header name", B("GET /" H11 ": x\r\n\r\n"), 400,
        "invalid header name"},
    {"bad header name", B("GET /" H11 "X(y): 1\r\n\r\n"), 400,
        "invalid header name"},
    {"obs-fold", B("GET /" H11 "X: a\r\n b\r\n\r\n"), 400,
        "obsolete line folding"},
    {"obs-fold tab", B("GET /" H11 "X: a\r\n\tb\r\n\r\n"), 400,
        "obsolete line folding"},
    {"nul in value", B("GET /" H11 "X: a\0b\r\n\r\n"), 400,
        "invalid character in request head"},
    {"nul in request line", B("GET /\0 HTTP/1.1\r\n\r\n"), 400,
        "invalid character in request head"},
    {"ctl in value", B("GET /" H11 "X: a\x01\r\n\r\n"), 400,
        "invalid character in request head"},
    {"del in value", B("GET /" H11 "X: a\x7f\r\n\r\n"), 400,
        "invalid character in request head"},
    {"bare lf", B("GET / HTTP/1.1\nHost: h\n\n"), 400, "invalid line ending"},
    {"bare lf in header", B("GET /" H11 "X: 1\n\r\n"), 400,
        "invalid line ending"},
    {"bare cr", B("GET / HTTP/1.1\rHost: h\r\n\r\n"), 400,
        "invalid line ending"},
    {"cr cr lf", B("GET / HTTP/1.1\r\r\n\r\n"), 400, "invalid line ending"},
    {"lf first", B("\nGET / HTTP/1.1\r\n\r\n"), 400, "invalid line ending"},
    {"long request line", B("GET /" X50 X50 X50 X50 X50 "xxxxx HTTP/1.1\r\n"),
        431, "request header too large"},
    {"head one byte too large",
        B("GET /" X50 X50 X50 X50 "xxxxxxxxxxxxxx" H11 "X: " X10 "x\r\n\r\n"),
        431, "request header too large"},
    {"too many headers",
        B("GET /" H11 "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\n"
          "G: 7\r\nH: 8\r\n\r\n"),
        431, "too many headers"},
    {"missing host", B("GET / HTTP/1.1\r\n\r\n"), 400, "missing Host"},
    {"duplicate host", B("GET /" H11 "host: h\r\n\r\n"), 400, "duplicate Host"},
    {"duplicate host on 1.0", B("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"),
        400, "duplicate Host"},
    {"content-length and chunked",
        B("POST /x" H11 "Content-Length: 3\r\n"
          "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
        400, "both Content-Length and Transfer-Encoding"},
    {"chunked and content-length",
        B("POST /x" H11 "Transfer-Encoding: chunked\r\n"
          "Content-Length: 3\r\n\r\n"),
        400, "both Content-Length and Transfer-Encoding"},
    {"differing content-length",
        B("POST /x" H11 "Content-Length: 3\r\nContent-Length: 4\r\n\r\n"), 400,
        "differing Content-Length values"},
    {"differing content-length list",
        B("POST /x" H11 "Content-Length: 3, 4\r\n\r\n"), 400,
        "differing Content-Length values"},
    {"content-length sign", B("POST /x" H11 "Content-Length: +3\r\n\r\n"), 400,
        "invalid Content-Length"},
    {"content-length negative", B("POST /x" H11 "Content-Length: -1\r\n\r\n"),
        400, "invalid Content-Length"},
    {"content-length hex", B("POST /x" H11 "Content-Length: 0x3\r\n\r\n"), 400,
        "invalid Content-Length"},
    {"content-length empty", B("POST /x" H11 "Content-Length: \r\n\r\n"), 400,
        "invalid Content-Length"},
    {"content-length empty member",
        B("POST /x" H11 "Content-Length: 3,,3\r\n\r\n"), 400,
        "invalid Content-Length"},
    {"content-length inner space",
        B("POST /x" H11 "Content-Length: 1 2\r\n\r\n"), 400,
        "invalid Content-Length"},
    {"content-length over max", B("POST /x" H11 "Content-Length: 65\r\n\r\n"),
        413, "request body too large"},
    {"content-length overflow",
        B("POST /x" H11 "Content-Length: 99999999999999999999999\r\n\r\n"), 413,
        "request body too large"},
    {"gzip", B("POST /x" H11 "Transfer-Encoding: gzip\r\n\r\n"), 501,
        "unsupported transfer encoding"},
    {"gzip, chunked",
        B("POST /x" H11 "Transfer-Encoding: gzip, chunked\r\n\r\n"), 501,
        "unsupported transfer encoding"},
    {"chunked, chunked",
        B("POST /x" H11 "Transfer-Encoding: chunked, chunked\r\n\r\n"), 501,
        "unsupported transfer encoding"},
    {"two chunked headers",
        B("POST /x" H11 "Transfer-Encoding: chunked\r\n"
          "Transfer-Encoding: chunked\r\n\r\n"),
        501, "unsupported transfer encoding"},
    {"identity", B("POST /x" H11 "Transfer-Encoding: identity\r\n\r\n"), 501,
        "unsupported transfer encoding"},
    {"chunked on 1.0",
        B("POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400,
        "Transfer-Encoding with HTTP/1.0"},
    {"unknown expectation", B("POST /x" H11 "Expect: 200-ok\r\n\r\n"), 417,
        "unsupported expectation"},
    {"chunk size not hex", B(CHUNKED "g\r\n"), 400, "invalid chunk size"},
    {"chunk size empty", B(CHUNKED "\r\n"), 400, "invalid chunk size"},
    {"chunk size leading space", B(CHUNKED " 3\r\nabc\r\n"), 400,
        "invalid chunk size"},
    {"chunk size trailing space", B(CHUNKED "3 \r\nabc\r\n"), 400,
        "invalid chunk size"},
    {"chunk size sign", B(CHUNKED "+3\r\nabc\r\n"), 400, "invalid chunk size"},
    {"chunk size 0x", B(CHUNKED "0x3\r\nabc\r\n"), 400, "invalid chunk size"},
    {"chunk size 17 digits", B(CHUNKED "00000000000000001\r\na\r\n"), 400,
        "invalid chunk size"},
    {"chunk size bare lf", B(CHUNKED "3\nabc\r\n"), 400, "invalid chunk size"},
    {"chunk size ext ctl", B(CHUNKED "3;a\x01\r\nabc\r\n"), 400,
        "invalid chunk extension"},
    {"chunk size ext bare cr", B(CHUNKED "3;a\rb\r\nabc\r\n"), 400,
        "invalid chunk extension"},
    {"chunk over max", B(CHUNKED "41\r\n"), 413, "request body too large"},
    {"chunk total over max", B(CHUNKED "40\r\n" X50 "0123456789abcd\r\n1\r\n"),
        413, "request body too large"},
    {"chunk size huge", B(CHUNKED "ffffffffffffffff\r\n"), 413,
        "request body too large"},
    {"chunk data without crlf", B(CHUNKED "3\r\nabcX\r\n"), 400,
        "missing CRLF after chunk data"},
    {"chunk data lf only", B(CHUNKED "3\r\nabc\n0\r\n\r\n"), 400,
        "missing CRLF after chunk data"},
    {"chunk data cr only", B(CHUNKED "3\r\nabc\r0\r\n\r\n"), 400,
        "missing CRLF after chunk data"},
    {"trailer bare lf", B(CHUNKED "0\r\nX: 1\n\r\n"), 400,
        "invalid line ending"},
    {"trailer nul", B(CHUNKED "0\r\nX: \0\r\n\r\n"), 400,
        "invalid character in request head"},
    {"trailers too large",
        B(CHUNKED "0\r\nX: " X50 X50 X50 X50 X50 X10 "\r\n\r\n"), 431,
        "trailers too large"},
};

/*
 * Feeds in[0..len) whole (step 0) or one byte at a time (step 1); the
 * parser must return MORE until it returns ERROR with status and msg.
 */
static void
run_bad_bytes(const char *name, const char *bytes, size_t len, int status,
    const char *msg, int step)
{
	struct evbuffer *in = evbuffer_new();
	enum http_parse_result r = HTTP_PARSE_MORE;
	struct http_parser p;
	struct duet_err err;
	size_t fed = 0, n;

	http_parser_init(&p);
	memset(&err, 0, sizeof(err));
	while (fed < len && r == HTTP_PARSE_MORE) {
		n = step == 1 ? 1 : len - fed;
		evbuffer_add(in, bytes + fed, n);
		fed += n;
		r = http_parse(&p, in, &test_lim, &err);
	}
	ck_assert_msg(
	    r == HTTP_PARSE_ERROR, "%s: %d after %zu bytes", name, r, fed);
	ck_assert_msg(err.status == status, "%s: status %d", name, err.status);
	ck_assert_str_eq(err.code, "ERR");
	ck_assert_msg(strcmp(err.msg, msg) == 0, "%s: '%s'", name, err.msg);
	http_parser_fini(&p);
	evbuffer_free(in);
}

START_TEST(test_http_rejects_malformed)
{
	const struct bad_case *c = &bad_cases[_i];

	run_bad_bytes(c->name, c->in.p, c->in.len, c->status, c->msg, 0);
	run_bad_bytes(c->name, c->in.p, c->in.len, c->status, c->msg, 1);
}
END_TEST

/* Builds CHUNKED followed by count copies of line into a new buffer. */
static char *
repeat_after_head(const char *line, size_t count, const char *tail, size_t *len)
{
	size_t head = strlen(CHUNKED), l = strlen(line), t = strlen(tail), i;
	char *buf = malloc(head + l * count + t);

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, CHUNKED, head);
	for (i = 0; i < count; i++)
		memcpy(buf + head + i * l, line, l);
	memcpy(buf + head + l * count, tail, t);
	*len = head + l * count + t;
	return buf;
}

START_TEST(test_http_rejects_chunk_extension_abuse)
{
	char ext[4200], line[4300];
	size_t len;
	char *buf;

	/* One line over 4096 bytes. */
	memset(ext, 'e', sizeof(ext) - 1);
	ext[sizeof(ext) - 1] = '\0';
	snprintf(line, sizeof(line), "1;%s\r\na\r\n", ext);
	buf = repeat_after_head(line, 1, "", &len);
	run_bad_bytes(
	    "long line", buf, len, 400, "chunk extensions too long", 0);
	run_bad_bytes(
	    "long line", buf, len, 400, "chunk extensions too long", 1);
	free(buf);
	/* Short lines, too many extension bytes in all (limit 256). */
	buf = repeat_after_head("1;" X50 "\r\na\r\n", 6, "0\r\n\r\n", &len);
	run_bad_bytes("many", buf, len, 400, "chunk extensions too long", 0);
	run_bad_bytes("many", buf, len, 400, "chunk extensions too long", 1);
	free(buf);
}
END_TEST

START_TEST(test_http_accepts_chunk_extensions_within_bounds)
{
	struct evbuffer *in = evbuffer_new();
	struct http_parser p;
	struct duet_err err;
	size_t len;
	char *buf;

	/* 5 * 52 = 260 bytes of chunk lines but 5 * 51 = 255 of extension. */
	buf = repeat_after_head("1;" X50 "\r\na\r\n", 5, "0\r\n\r\n", &len);
	http_parser_init(&p);
	evbuffer_add(in, buf, len);
	ck_assert_int_eq(http_parse(&p, in, &test_lim, &err), HTTP_PARSE_DONE);
	ck_assert_uint_eq(evbuffer_get_length(p.req.body), 5);
	http_parser_fini(&p);
	evbuffer_free(in);
	free(buf);
}
END_TEST

START_TEST(test_http_refuses_large_body_before_reading_it)
{
	static const char head[] = "POST /x HTTP/1.1\r\nHost: h\r\n"
	                           "Expect: 100-continue\r\n"
	                           "Content-Length: 1000000\r\n\r\n";
	struct evbuffer *in = evbuffer_new();
	struct http_parser p;
	struct duet_err err;

	http_parser_init(&p);
	evbuffer_add(in, head, sizeof(head) - 1);
	ck_assert_int_eq(http_parse(&p, in, &test_lim, &err), HTTP_PARSE_ERROR);
	ck_assert_int_eq(err.status, 413);
	ck_assert_str_eq(err.msg, "request body too large");
	ck_assert_int_eq(http_body_pending(&p), 0);
	ck_assert_uint_eq(evbuffer_get_length(p.req.body), 0);
	http_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_http_head_first_before_size_limit)
{
	static const char head[] = "POST /x HTTP/1.1\r\nHost: h\r\n"
	                           "Content-Length: 1000000\r\n\r\nabc";
	struct http_limits lim = test_lim;
	struct evbuffer *in = evbuffer_new();
	struct http_parser p;
	struct duet_err err;

	lim.head_first = 1;
	http_parser_init(&p);
	evbuffer_add(in, head, sizeof(head) - 1);
	ck_assert_int_eq(http_parse(&p, in, &lim, &err), HTTP_PARSE_HEAD);
	check_str("target", p.req.target, "/x");
	ck_assert_int_eq(p.req.content_length, 1000000);
	ck_assert_int_eq(p.req.chunked, 0);
	/* Nothing of the body was taken. */
	ck_assert_uint_eq(evbuffer_get_length(in), 3);
	ck_assert_int_eq(http_body_pending(&p), 0);
	ck_assert_int_eq(http_parse(&p, in, &lim, &err), HTTP_PARSE_ERROR);
	ck_assert_int_eq(err.status, 413);
	ck_assert_str_eq(err.msg, "request body too large");
	http_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_http_head_first_then_body)
{
	static const char req[] = "POST /x HTTP/1.1\r\nHost: h\r\n"
	                          "Transfer-Encoding: chunked\r\n\r\n"
	                          "3\r\nabc\r\n0\r\n\r\n"
	                          "GET /y HTTP/1.1\r\nHost: h\r\n\r\n";
	struct http_limits lim = test_lim;
	struct evbuffer *in = evbuffer_new();
	struct http_parser p;
	struct duet_err err;

	lim.head_first = 1;
	http_parser_init(&p);
	evbuffer_add(in, req, sizeof(req) - 1);
	ck_assert_int_eq(http_parse(&p, in, &lim, &err), HTTP_PARSE_HEAD);
	ck_assert_int_eq(p.req.chunked, 1);
	ck_assert_int_eq(p.req.content_length, -1);
	ck_assert_int_eq(http_parse(&p, in, &lim, &err), HTTP_PARSE_DONE);
	ck_assert_uint_eq(evbuffer_get_length(p.req.body), 3);
	http_consume(&p);
	ck_assert_int_eq(http_parse(&p, in, &lim, &err), HTTP_PARSE_HEAD);
	check_str("second", p.req.target, "/y");
	ck_assert_int_eq(p.req.content_length, -1);
	ck_assert_int_eq(http_parse(&p, in, &lim, &err), HTTP_PARSE_DONE);
	http_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_http_expect_continue_pending_before_body)
{
	static const char head[] = "POST /x HTTP/1.1\r\nHost: h\r\n"
	                           "Expect: 100-continue\r\n"
	                           "Content-Length: 5\r\n\r\n";
	struct evbuffer *in = evbuffer_new();
	struct http_parser p;
	struct duet_err err;

	http_parser_init(&p);
	ck_assert_int_eq(http_body_pending(&p), 0);
	evbuffer_add(in, head, sizeof(head) - 2);
	ck_assert_int_eq(http_parse(&p, in, &test_lim, &err), HTTP_PARSE_MORE);
	ck_assert_int_eq(http_body_pending(&p), 0);
	evbuffer_add(in, "\n", 1);
	ck_assert_int_eq(http_parse(&p, in, &test_lim, &err), HTTP_PARSE_MORE);
	ck_assert_int_eq(p.req.expect_continue, 1);
	ck_assert_int_eq(http_body_pending(&p), 1);
	evbuffer_add(in, "abc", 3);
	ck_assert_int_eq(http_parse(&p, in, &test_lim, &err), HTTP_PARSE_MORE);
	ck_assert_int_eq(http_body_pending(&p), 1);
	evbuffer_add(in, "de", 2);
	ck_assert_int_eq(http_parse(&p, in, &test_lim, &err), HTTP_PARSE_DONE);
	ck_assert_int_eq(http_body_pending(&p), 0);
	ck_assert_uint_eq(evbuffer_get_length(p.req.body), 5);
	http_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_http_expect_continue_pending_when_chunked)
{
	static const char head[] = "POST /x HTTP/1.1\r\nHost: h\r\n"
	                           "Expect: 100-continue\r\n"
	                           "Transfer-Encoding: chunked\r\n\r\n";
	struct evbuffer *in = evbuffer_new();
	struct http_parser p;
	struct duet_err err;

	http_parser_init(&p);
	evbuffer_add(in, head, sizeof(head) - 1);
	ck_assert_int_eq(http_parse(&p, in, &test_lim, &err), HTTP_PARSE_MORE);
	ck_assert_int_eq(http_body_pending(&p), 1);
	evbuffer_add(in, "0\r\n\r\n", 5);
	ck_assert_int_eq(http_parse(&p, in, &test_lim, &err), HTTP_PARSE_DONE);
	ck_assert_int_eq(http_body_pending(&p), 0);
	http_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_http_pipelined_requests_in_order)
{
	static const char two[] =
	    "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "1\r\nx\r\n0\r\n\r\nGET /b?q HTTP/1.1\r\nHost: h\r\n"
	    "Connection: close\r\n\r\n";
	struct evbuffer *in = evbuffer_new();
	struct http_parser p;
	struct duet_err err;
	char *head;
	size_t cap;

	http_parser_init(&p);
	evbuffer_add(in, two, sizeof(two) - 1);
	ck_assert_int_eq(http_parse(&p, in, &test_lim, &err), HTTP_PARSE_DONE);
	check_str("first", p.req.target, "/a");
	ck_assert_uint_eq(evbuffer_get_length(p.req.body), 1);
	head = p.head;
	cap = p.headcap;
	http_consume(&p);
	ck_assert_int_eq(p.state, HTTP_ST_HEAD);
	ck_assert_uint_eq(evbuffer_get_length(p.req.body), 0);
	ck_assert_int_eq(p.req.content_length, -1);
	ck_assert_ptr_eq(p.head, head);
	ck_assert_uint_eq(p.headcap, cap);
	ck_assert_int_eq(http_parse(&p, in, &test_lim, &err), HTTP_PARSE_DONE);
	check_str("second", p.req.target, "/b?q");
	ck_assert_int_eq(p.req.keep_alive, 0);
	ck_assert_int_eq(p.req.chunked, 0);
	ck_assert_uint_eq(evbuffer_get_length(p.req.body), 0);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	http_consume(&p);
	ck_assert_int_eq(http_parse(&p, in, &test_lim, &err), HTTP_PARSE_MORE);
	http_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_http_stores_cors_and_auth_headers)
{
	static const char req[] =
	    "OPTIONS /add HTTP/1.1\r\nHost: h\r\nOrigin: http://o\r\n"
	    "Authorization: Bearer t\r\n"
	    "Access-Control-Request-Method: POST\r\n"
	    "access-control-request-headers: content-type, x-a\r\n\r\n";
	struct evbuffer *in = evbuffer_new();
	struct http_parser p;
	struct duet_err err;

	http_parser_init(&p);
	evbuffer_add(in, req, sizeof(req) - 1);
	ck_assert_int_eq(http_parse(&p, in, &test_lim, &err), HTTP_PARSE_DONE);
	ck_assert_int_eq(p.req.method, HTTP_M_OPTIONS);
	check_str("origin", p.req.origin, "http://o");
	check_str("authorization", p.req.authorization, "Bearer t");
	check_str("acrm", p.req.ac_request_method, "POST");
	check_str("acrh", p.req.ac_request_headers, "content-type, x-a");
	http_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc;

	tc = tcase_create("good");
	tcase_add_loop_test(
	    tc, test_http_parses_good_whole, 0, NELEM(good_cases));
	tcase_add_loop_test(
	    tc, test_http_parses_good_byte_by_byte, 0, NELEM(good_cases));
	tcase_add_loop_test(
	    tc, test_http_parses_good_split_everywhere, 0, NELEM(good_cases));
	tcase_add_test(tc, test_http_stores_cors_and_auth_headers);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_loop_test(
	    tc, test_http_rejects_malformed, 0, NELEM(bad_cases));
	tcase_add_test(tc, test_http_rejects_chunk_extension_abuse);
	tcase_add_test(tc, test_http_accepts_chunk_extensions_within_bounds);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_http_refuses_large_body_before_reading_it);
	tcase_add_test(tc, test_http_head_first_before_size_limit);
	tcase_add_test(tc, test_http_head_first_then_body);
	suite_add_tcase(s, tc);
	tc = tcase_create("expect");
	tcase_add_test(tc, test_http_expect_continue_pending_before_body);
	tcase_add_test(tc, test_http_expect_continue_pending_when_chunked);
	suite_add_tcase(s, tc);
	tc = tcase_create("pipelining");
	tcase_add_test(tc, test_http_pipelined_requests_in_order);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
