/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the resp module: the request parser against Redis's own
 * framing rules (tables of good and malformed input, each also fed one byte
 * at a time), the limits decided from headers, pipelining, the ignored empty
 * requests, and the exact bytes of every reply writer.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "resp.h"
#include "resp_reply.h"
#include "util.h"

struct bytes {
	const char *p;
	size_t len;
};

#define B(s)                                                                   \
	{                                                                      \
		s, sizeof(s) - 1                                               \
	}
#define ALL  SIZE_MAX
#define X10  "xxxxxxxxxx"
#define X40  X10 X10 X10 X10
#define X60  X40 X10 X10
#define X100 X60 X40
#define ARG1 "$1\r\na\r\n"

/* The limits of the tables: small, so that every limit has a case. */
static const struct resp_limits test_lim = {5, 100, 0};

/*
 * A good request: in must parse to argv once `consumed` bytes are fed
 * (ALL: the whole input), and resp_consume() must leave the rest.
 */
struct good_case {
	const char *name;
	struct bytes in;
	size_t consumed;
	size_t argc;
	struct bytes argv[5];
};

static const struct good_case good_cases[] = {
    {"inline crlf", B("PING\r\n"), ALL, 1, {B("PING")}},
    {"inline lf", B("PING\n"), ALL, 1, {B("PING")}},
    {"inline blanks", B("  SET\tk   v \r\n"), ALL, 3,
        {B("SET"), B("k"), B("v")}},
    {"inline escapes", B("ECHO \"\\n\\r\\t\\b\\a\\\\\\\"\\q\"\n"), ALL, 2,
        {B("ECHO"), B("\n\r\t\b\a\\\"q")}},
    {"inline hex", B("ECHO \"\\x41\\x4a\\x6B\\x00z\\xg1\"\n"), ALL, 2,
        {B("ECHO"), B("AJk\0zxg1")}},
    {"inline single quotes", B("ECHO 'it\\'s' 'a\\nb\"'\n"), ALL, 3,
        {B("ECHO"), B("it's"), B("a\\nb\"")}},
    {"inline empty quoted", B("ECHO \"\" ''\n"), ALL, 3,
        {B("ECHO"), B(""), B("")}},
    {"inline quote mid word", B("SET k\"x y\" 'z'\n"), ALL, 3,
        {B("SET"), B("kx y"), B("z")}},
    {"inline vtab inside word", B("\vA\vB\n"), ALL, 1, {B("A\vB")}},
    {"inline one cr stripped", B("PING\r\r\n"), ALL, 1, {B("PING")}},
    {"inline nul ends words", B("PING\0 x\n"), ALL, 1, {B("PING")}},
    {"inline max args", B("a b c d e\n"), ALL, 5,
        {B("a"), B("b"), B("c"), B("d"), B("e")}},
    {"inline max bytes", B("ECHO " X60 X10 X10 X10 "xxxxxx\n"), ALL, 2,
        {B("ECHO"), B(X60 X10 X10 X10 "xxxxxx")}},
    {"mbulk", B("*2\r\n$4\r\nECHO\r\n$3\r\nhey\r\n"), ALL, 2,
        {B("ECHO"), B("hey")}},
    {"mbulk binary", B("*1\r\n$5\r\na\r\n\0b\r\n"), ALL, 1, {B("a\r\n\0b")}},
    {"mbulk empty arg", B("*2\r\n$0\r\n\r\n$1\r\nx\r\n"), ALL, 2,
        {B(""), B("x")}},
    {"mbulk crlf after bulk unchecked", B("*1\r\n$1\r\nxYZ"), ALL, 1, {B("x")}},
    {"mbulk lone cr ends line", B("*1\rX$1\rYa\r\n"), ALL, 1, {B("a")}},
    {"mbulk max args", B("*5\r\n" ARG1 ARG1 ARG1 ARG1 ARG1), ALL, 5,
        {B("a"), B("a"), B("a"), B("a"), B("a")}},
    {"mbulk max bulk", B("*1\r\n$100\r\n" X100 "\r\n"), ALL, 1, {B(X100)}},
    {"mbulk max request", B("*2\r\n$60\r\n" X60 "\r\n$40\r\n" X40 "\r\n"), ALL,
        2, {B(X60), B(X40)}},
    {"mbulk zero ignored", B("*0\r\nPING\r\n"), ALL, 1, {B("PING")}},
    {"mbulk negative ignored", B("*-10\r\n*1\r\n$4\r\nPING\r\n"), ALL, 1,
        {B("PING")}},
    {"empty lines ignored", B("\r\n\n   \t\r\n*-1\r\nPING\n"), ALL, 1,
        {B("PING")}},
    {"inline then more", B("PING\r\nECHO x\r\n"), 6, 1, {B("PING")}},
    {"mbulk then more", B("*1\r\n$4\r\nPING\r\nPING\r\n"), 14, 1, {B("PING")}},
};

/*
 * A malformed request: fed whole or byte by byte, the error comes with its
 * last byte, after `drained` bytes of ignored requests were dropped.
 */
struct bad_case {
	const char *name;
	struct bytes in;
	const char *error;
	size_t drained;
};

#define E_MBULK  "Protocol error: invalid multibulk length"
#define E_BULK   "Protocol error: invalid bulk length"
#define E_QUOTES "Protocol error: unbalanced quotes in request"
#define E_TOOBIG "Protocol error: request too large"
#define E_DOLLAR "Protocol error: expected '$', got "

static const struct bad_case bad_cases[] = {
    {"count not a number", B("*x\r\n"), E_MBULK, 0},
    {"count empty", B("*\r\n"), E_MBULK, 0},
    {"count leading zero", B("*01\r\n"), E_MBULK, 0},
    {"count plus sign", B("*+1\r\n"), E_MBULK, 0},
    {"count space", B("* 1\r\n"), E_MBULK, 0},
    {"count minus zero", B("*-0\r\n"), E_MBULK, 0},
    {"count over max_args", B("*6\r\n"), E_MBULK, 0},
    {"count over INT_MAX", B("*2147483648\r\n"), E_MBULK, 0},
    {"count over int64", B("*9223372036854775808\r\n"), E_MBULK, 0},
    {"count 21 digits", B("*100000000000000000000\r\n"), E_MBULK, 0},
    {"no dollar", B("*1\r\nPING\r\n"), E_DOLLAR "'P'", 0},
    {"no dollar empty line", B("*1\r\n\r\n"), E_DOLLAR "'\r'", 0},
    {"no dollar second arg", B("*2\r\n$1\r\na\r\n:1\r\n"), E_DOLLAR "':'", 0},
    {"bulk negative", B("*1\r\n$-1\r\n"), E_BULK, 0},
    {"bulk not a number", B("*1\r\n$x\r\n"), E_BULK, 0},
    {"bulk empty", B("*1\r\n$\r\n"), E_BULK, 0},
    {"bulk leading zero", B("*1\r\n$01\r\n"), E_BULK, 0},
    {"bulk over max", B("*1\r\n$101\r\n"), E_BULK, 0},
    {"bulk huge", B("*1\r\n$1000000000\r\n"), E_BULK, 0},
    {"bulk overflow", B("*1\r\n$99999999999999999999\r\n"), E_BULK, 0},
    {"request too large", B("*2\r\n$60\r\n" X60 "\r\n$41\r\n"), E_TOOBIG, 0},
    {"inline open dquote", B("ECHO \"a\n"), E_QUOTES, 0},
    {"inline open squote", B("ECHO 'a\r\n"), E_QUOTES, 0},
    {"inline dquote then text", B("ECHO \"a\"x\n"), E_QUOTES, 0},
    {"inline squote then text", B("ECHO 'a'x\n"), E_QUOTES, 0},
    {"inline escaped dquote", B("ECHO \"a\\\"\n"), E_QUOTES, 0},
    {"inline escaped squote", B("ECHO 'a\\'\n"), E_QUOTES, 0},
    {"inline too many words", B("a b c d e f\n"), E_MBULK, 0},
    {"inline too large", B("ECHO " X60 X40 "x\n"), E_TOOBIG, 0},
    {"ignored then error", B("\r\n*0\r\n*x\r\n"), E_MBULK, 6},
};

#define NGOOD (sizeof(good_cases) / sizeof(good_cases[0]))
#define NBAD  (sizeof(bad_cases) / sizeof(bad_cases[0]))

/*
 * Parses on past RESP_NAME (the name is admitted), checking that it is
 * reported once per request and that argv[0] is there.
 */
static enum resp_status
parse_on(struct resp_parser *p, struct evbuffer *in,
    const struct resp_limits *lim, struct duet_err *err)
{
	enum resp_status st = resp_parse(p, in, lim, err);

	if (st != RESP_NAME)
		return st;
	ck_assert_uint_ge(p->argc, 1);
	ck_assert_ptr_nonnull(p->argv[0].ptr);
	st = resp_parse(p, in, lim, err);
	ck_assert_int_ne(st, RESP_NAME);
	return st;
}

/*
 * Feeds in to a fresh parser, whole or one byte at a time, and returns the
 * status of the last call; *fed is how many bytes were given by then.
 */
static enum resp_status
feed(struct resp_parser *p, struct evbuffer *in, const struct bytes *b,
    int bytewise, size_t *fed, struct duet_err *err)
{
	enum resp_status st = RESP_MORE;
	size_t i;

	if (!bytewise) {
		evbuffer_add(in, b->p, b->len);
		*fed = b->len;
		return parse_on(p, in, &test_lim, err);
	}
	for (i = 0; i < b->len && st == RESP_MORE; i++) {
		/* 2: a chain per byte, so nothing is contiguous. */
		if (bytewise == 2)
			evbuffer_add_reference(in, b->p + i, 1, NULL, NULL);
		else
			evbuffer_add(in, b->p + i, 1);
		st = parse_on(p, in, &test_lim, err);
	}
	*fed = i;
	return st;
}

static void
check_good(const struct good_case *c, int bytewise)
{
	size_t want = c->consumed == ALL ? c->in.len : c->consumed, fed, i;
	struct evbuffer *in = evbuffer_new();
	struct resp_parser p;
	struct duet_err err;

	resp_parser_init(&p);
	ck_assert_msg(feed(&p, in, &c->in, bytewise, &fed, &err) == RESP_DONE,
	    "%s: not done", c->name);
	if (bytewise)
		ck_assert_msg(
		    fed == want, "%s: done after %zu bytes", c->name, fed);
	ck_assert_msg(p.argc == c->argc, "%s: argc %zu", c->name, p.argc);
	for (i = 0; i < c->argc; i++) {
		ck_assert_msg(p.argv[i].len == c->argv[i].len &&
		        memcmp(p.argv[i].ptr, c->argv[i].p, c->argv[i].len) ==
		            0,
		    "%s: argv[%zu] differs", c->name, i);
	}
	resp_consume(&p, in);
	ck_assert_msg(evbuffer_get_length(in) == fed - want,
	    "%s: %zu bytes left", c->name, evbuffer_get_length(in));
	resp_parser_fini(&p);
	evbuffer_free(in);
}

static void
check_bad(const struct bad_case *c, int bytewise)
{
	struct evbuffer *in = evbuffer_new();
	struct resp_parser p;
	struct duet_err err;
	size_t fed;

	resp_parser_init(&p);
	ck_assert_msg(feed(&p, in, &c->in, bytewise, &fed, &err) == RESP_ERROR,
	    "%s: no error", c->name);
	ck_assert_msg(
	    fed == c->in.len, "%s: error after %zu bytes", c->name, fed);
	ck_assert_str_eq(err.code, "ERR");
	ck_assert_msg(
	    strcmp(err.msg, c->error) == 0, "%s: got \"%s\"", c->name, err.msg);
	ck_assert_uint_eq(evbuffer_get_length(in), c->in.len - c->drained);
	resp_parser_fini(&p);
	evbuffer_free(in);
}

START_TEST(test_resp_parses_good_requests)
{
	check_good(&good_cases[_i], 0);
}
END_TEST

START_TEST(test_resp_parses_good_requests_bytewise)
{
	check_good(&good_cases[_i], 1);
}
END_TEST

START_TEST(test_resp_rejects_malformed)
{
	check_bad(&bad_cases[_i], 0);
}
END_TEST

START_TEST(test_resp_parses_good_requests_chained)
{
	check_good(&good_cases[_i], 2);
}
END_TEST

START_TEST(test_resp_rejects_malformed_chained)
{
	check_bad(&bad_cases[_i], 2);
}
END_TEST

START_TEST(test_resp_rejects_malformed_bytewise)
{
	check_bad(&bad_cases[_i], 1);
}
END_TEST

/*
 * Expects st from parsing in (plus extra appended first) with lim.
 */
static void
expect(struct resp_parser *p, struct evbuffer *in, const char *extra, size_t n,
    const struct resp_limits *lim, enum resp_status want, const char *msg)
{
	struct duet_err err;

	evbuffer_add(in, extra, n);
	ck_assert_int_eq(resp_parse(p, in, lim, &err), want);
	if (want == RESP_ERROR)
		ck_assert_str_eq(err.msg, msg);
}

/*
 * A line that starts with prefix's last byte waits up to 64 KiB without
 * its end, and fails with msg one byte later.
 */
static void
check_long_line(const char *prefix, char fill, const char *msg)
{
	struct evbuffer *in = evbuffer_new();
	char *buf = malloc(65536);
	struct resp_parser p;

	resp_parser_init(&p);
	memset(buf, fill, 65536);
	expect(&p, in, prefix, strlen(prefix), &test_lim, RESP_MORE, NULL);
	expect(&p, in, buf, 65535, &test_lim, RESP_MORE, NULL);
	ck_assert_uint_eq(p.pos, evbuffer_get_length(in));
	expect(&p, in, buf, 1, &test_lim, RESP_ERROR, msg);
	free(buf);
	resp_parser_fini(&p);
	evbuffer_free(in);
}

START_TEST(test_resp_rejects_long_lines)
{
	check_long_line("*", '0', "Protocol error: too big mbulk count string");
	check_long_line(
	    "*1\r\n$", '0', "Protocol error: too big bulk count string");
	check_long_line("P", 'x', "Protocol error: too big inline request");
}
END_TEST

START_TEST(test_resp_long_lines_with_end_like_redis)
{
	struct resp_limits big = {65536, 1 << 20, 0};
	struct evbuffer *in = evbuffer_new();
	struct resp_parser p;
	char *buf = malloc(70002);

	/* Redis only refuses a long line it has not seen the end of. */
	resp_parser_init(&p);
	memset(buf, 'x', 70000);
	memcpy(buf + 70000, "\r\n", 2);
	expect(&p, in, buf, 70002, &big, RESP_DONE, NULL);
	ck_assert_uint_eq(p.argc, 1);
	ck_assert_uint_eq(p.argv[0].len, 70000);
	resp_consume(&p, in);
	buf[0] = '*';
	memset(buf + 1, '1', 69999);
	expect(&p, in, buf, 70002, &big, RESP_ERROR,
	    "Protocol error: invalid multibulk length");
	free(buf);
	resp_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_resp_refuses_from_header)
{
	struct resp_limits mib = {65536, 1 << 20, 0};
	struct evbuffer *in = evbuffer_new();
	struct resp_parser p;
	char *buf = calloc(1, 600000);

	resp_parser_init(&p);
	expect(&p, in, "*1\r\n$1000000000\r\n", 18, &mib, RESP_ERROR,
	    "Protocol error: invalid bulk length");
	ck_assert_uint_eq(evbuffer_get_length(in), 18);
	resp_parser_fini(&p);
	evbuffer_free(in);

	in = evbuffer_new();
	resp_parser_init(&p);
	expect(&p, in, "*2\r\n$600000\r\n", 13, &mib, RESP_MORE, NULL);
	ck_assert_int_eq(p.state, RESP_ST_BULK);
	expect(&p, in, buf, 600000, &mib, RESP_MORE, NULL);
	/* The name is reported before the size refusal... */
	expect(&p, in, "\r\n$600000\r\n", 11, &mib, RESP_NAME, NULL);
	ck_assert_uint_eq(p.argc, 1);
	ck_assert_uint_eq(p.argv[0].len, 600000);
	/* ... which comes if the caller goes on. */
	expect(&p, in, "", 0, &mib, RESP_ERROR,
	    "Protocol error: request too large");
	free(buf);
	resp_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_resp_pipelined)
{
	static const char req[] = "PING\r\n*1\r\n$4\r\nPING\r\n\r\n*-10\r\n"
	                          "ECHO \"a b\"\n*0\r\n";
	static const char *const want[] = {"PING", "PING", "a b"};
	struct evbuffer *in = evbuffer_new();
	struct resp_parser p;
	struct duet_err err;
	size_t i;

	resp_parser_init(&p);
	evbuffer_add(in, req, sizeof(req) - 1);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(
		    resp_parse(&p, in, &test_lim, &err), RESP_DONE);
		ck_assert_uint_eq(p.argv[p.argc - 1].len, strlen(want[i]));
		ck_assert_mem_eq(
		    p.argv[p.argc - 1].ptr, want[i], strlen(want[i]));
		resp_consume(&p, in);
	}
	ck_assert_int_eq(resp_parse(&p, in, &test_lim, &err), RESP_MORE);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	resp_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

/*
 * A pipeline served with resp_next(): the requests stay in the input until
 * resp_flush(); one that is not whole in it (here: split over a second
 * chain, and then cut short) is read by the step-by-step parser, after
 * the served ones are drained.
 */
START_TEST(test_resp_next_defers_drain)
{
	static const char req[] =
	    "*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
	    "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\n";
	static const char tail[] = "hi\r\n*1\r\n$4\r\nPI";
	struct evbuffer *in = evbuffer_new(), *more = evbuffer_new();
	struct resp_parser p;
	struct duet_err err;

	resp_parser_init(&p);
	evbuffer_add(in, req, sizeof(req) - 1);
	evbuffer_add(more, tail, sizeof(tail) - 1);
	evbuffer_add_buffer(in, more);
	ck_assert_int_eq(resp_parse(&p, in, &test_lim, &err), RESP_DONE);
	ck_assert_uint_eq(p.argc, 2);
	ck_assert_mem_eq(p.argv[1].ptr, "a", 1);
	resp_next(&p);
	ck_assert_int_eq(resp_parse(&p, in, &test_lim, &err), RESP_DONE);
	ck_assert_mem_eq(p.argv[0].ptr, "PING", 4);
	resp_next(&p);
	ck_assert_uint_eq(
	    evbuffer_get_length(in), sizeof(req) + sizeof(tail) - 2);
	/* ECHO hi spans both chains: drained up to it, then read whole. */
	ck_assert_int_eq(resp_parse(&p, in, &test_lim, &err), RESP_DONE);
	ck_assert_uint_eq(p.argc, 2);
	ck_assert_mem_eq(p.argv[1].ptr, "hi", 2);
	ck_assert_uint_eq(evbuffer_get_length(in), 32);
	resp_next(&p);
	ck_assert_int_eq(resp_parse(&p, in, &test_lim, &err), RESP_MORE);
	ck_assert_uint_eq(evbuffer_get_length(in), 10);
	resp_flush(&p, in);
	ck_assert_uint_eq(evbuffer_get_length(in), 10);
	resp_parser_fini(&p);
	evbuffer_free(more);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_resp_keeps_scan_position)
{
	struct evbuffer *in = evbuffer_new();
	struct resp_parser p;

	resp_parser_init(&p);
	expect(&p, in, "*1\r\n$3\r\nab", 10, &test_lim, RESP_MORE, NULL);
	ck_assert_int_eq(p.state, RESP_ST_BULK);
	ck_assert_uint_eq(p.pos, 8);
	ck_assert_uint_eq(p.argv[0].len, 3);
	expect(&p, in, "c\r", 2, &test_lim, RESP_MORE, NULL);
	expect(&p, in, "\n", 1, &test_lim, RESP_DONE, NULL);
	ck_assert_uint_eq(p.reqlen, 13);
	/* Parsing again before consuming gives the same request. */
	expect(&p, in, "", 0, &test_lim, RESP_DONE, NULL);
	ck_assert_mem_eq(p.argv[0].ptr, "abc", 3);
	resp_consume(&p, in);
	expect(&p, in, "*12", 3, &test_lim, RESP_MORE, NULL);
	ck_assert_int_eq(p.state, RESP_ST_MBULK_LEN);
	ck_assert_uint_eq(p.pos, 3);
	evbuffer_drain(in, 3);
	resp_consume(&p, in);
	expect(&p, in, "PIN", 3, &test_lim, RESP_MORE, NULL);
	ck_assert_int_eq(p.state, RESP_ST_INLINE);
	ck_assert_uint_eq(p.pos, 3);
	resp_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_resp_keeps_capacity)
{
	struct resp_limits lim = {100, 1000, 0};
	struct evbuffer *in = evbuffer_new();
	struct resp_parser p;
	size_t cap;

	resp_parser_init(&p);
	expect(&p, in, "a b c d e f g h i j\n", 20, &lim, RESP_DONE, NULL);
	ck_assert_uint_eq(p.argc, 10);
	cap = p.argcap;
	ck_assert_uint_ge(cap, 10);
	resp_consume(&p, in);
	ck_assert_uint_eq(p.argc, 0);
	ck_assert_uint_eq(p.argcap, cap);
	expect(
	    &p, in, "*2\r\n$1\r\nx\r\n$0\r\n\r\n", 17, &lim, RESP_DONE, NULL);
	ck_assert_uint_eq(p.argcap, cap);
	resp_consume(&p, in);
	resp_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_resp_reports_name_once)
{
	struct evbuffer *in = evbuffer_new();
	struct resp_parser p;

	resp_parser_init(&p);
	expect(&p, in, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhe", 26, &test_lim,
	    RESP_NAME, NULL);
	ck_assert_uint_eq(p.argc, 2);
	ck_assert_mem_eq(p.argv[0].ptr, "SET", 3);
	ck_assert_mem_eq(p.argv[1].ptr, "k", 1);
	/* Once per request: then it waits, and ends as usual. */
	expect(&p, in, "", 0, &test_lim, RESP_MORE, NULL);
	expect(&p, in, "llo\r\n", 5, &test_lim, RESP_DONE, NULL);
	ck_assert_uint_eq(p.argc, 3);
	ck_assert_mem_eq(p.argv[2].ptr, "hello", 5);
	resp_consume(&p, in);
	/* A whole request, or one of one argument, has no RESP_NAME. */
	expect(&p, in, "*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n*1\r\n$4\r\nPI", 31,
	    &test_lim, RESP_DONE, NULL);
	resp_consume(&p, in);
	expect(&p, in, "NG\r\n", 4, &test_lim, RESP_DONE, NULL);
	resp_consume(&p, in);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	resp_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_resp_skips_refused_request)
{
	static const char req[] =
	    "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
	struct evbuffer *in = evbuffer_new();
	struct resp_parser p;

	resp_parser_init(&p);
	expect(&p, in, req, 26, &test_lim, RESP_NAME, NULL);
	resp_skip_request(&p, in);
	/* What was read of it is gone; the bulk's 2 bytes wait. */
	ck_assert_uint_eq(evbuffer_get_length(in), 2);
	expect(&p, in, "", 0, &test_lim, RESP_MORE, NULL);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	expect(&p, in, "llo\r\nPING\r\n", 11, &test_lim, RESP_DONE, NULL);
	ck_assert_uint_eq(p.argc, 1);
	ck_assert_mem_eq(p.argv[0].ptr, "PING", 4);
	ck_assert_uint_eq(p.skipped, sizeof(req) - 1);
	resp_consume(&p, in);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	resp_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_resp_skips_refused_bytewise)
{
	static const char req[] = "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nab\r\n"
	                          "$0\r\n\r\n*1\r\n$4\r\nPING\r\n";
	struct evbuffer *in = evbuffer_new();
	struct resp_parser p;
	struct duet_err err;
	enum resp_status st;
	size_t i;

	resp_parser_init(&p);
	expect(&p, in, req, 13, &test_lim, RESP_NAME, NULL);
	ck_assert_uint_eq(p.argc, 1);
	resp_skip_request(&p, in);
	for (i = 13; i < sizeof(req) - 1; i++) {
		evbuffer_add(in, req + i, 1);
		st = resp_parse(&p, in, &test_lim, &err);
		ck_assert_int_eq(
		    st, i + 1 < sizeof(req) - 1 ? RESP_MORE : RESP_DONE);
		/* Nothing of the skipped request is kept. */
		if (i < 37)
			ck_assert_uint_le(evbuffer_get_length(in), 4);
	}
	ck_assert_mem_eq(p.argv[0].ptr, "PING", 4);
	resp_consume(&p, in);
	resp_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_resp_skips_past_size_limits)
{
	struct evbuffer *in = evbuffer_new();
	struct resp_parser p;
	char chunk[1000];
	size_t i;

	/* Refusal by identity comes before size: the name is reported
	 * first, and a skipped request has no size limit. */
	resp_parser_init(&p);
	memset(chunk, 'x', sizeof(chunk));
	expect(&p, in, "*3\r\n$4\r\nnope\r\n$1000000\r\n", 24, &test_lim,
	    RESP_NAME, NULL);
	ck_assert_uint_eq(p.argc, 1);
	resp_skip_request(&p, in);
	for (i = 0; i < 1000; i++) {
		expect(
		    &p, in, chunk, sizeof(chunk), &test_lim, RESP_MORE, NULL);
		ck_assert_uint_eq(evbuffer_get_length(in), 0);
	}
	expect(&p, in, "\r\n$99999999\r\nxx", 15, &test_lim, RESP_MORE, NULL);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	ck_assert_int_eq(p.state, RESP_ST_BULK);
	resp_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

/*
 * A request parsed with the caps of an unauthenticated client fails
 * with msg once fed whole (NULL: it parses).
 */
static void
check_unauth(const char *req, enum resp_status want, const char *msg)
{
	struct resp_limits lim = {100000, 1 << 20, 1};
	struct evbuffer *in = evbuffer_new();
	struct resp_parser p;

	resp_parser_init(&p);
	expect(&p, in, req, strlen(req), &lim, want, msg);
	resp_parser_fini(&p);
	evbuffer_free(in);
}

START_TEST(test_resp_caps_unauthenticated)
{
	static const char *const e_mbulk =
	    "Protocol error: unauthenticated multibulk length";
	static const char *const e_bulk =
	    "Protocol error: unauthenticated bulk length";
	struct resp_limits lim = {100000, 1 << 20, 1};
	struct evbuffer *in = evbuffer_new();
	struct resp_parser p;

	check_unauth("*11\r\n", RESP_ERROR, e_mbulk);
	check_unauth("*10\r\n", RESP_MORE, NULL);
	check_unauth("*1\r\n$16385\r\n", RESP_ERROR, e_bulk);
	check_unauth("*1\r\n$16384\r\n", RESP_MORE, NULL);
	check_unauth("*2\r\n$4\r\nECHO\r\n$16385\r\n", RESP_ERROR, e_bulk);
	/* A malformed number is still that. */
	check_unauth(
	    "*1x\r\n", RESP_ERROR, "Protocol error: invalid multibulk length");
	check_unauth(
	    "*1\r\n$-1\r\n", RESP_ERROR, "Protocol error: invalid bulk length");
	/* Before every other limit. */
	lim.max_request_bytes = 10;
	resp_parser_init(&p);
	expect(&p, in, "*1\r\n$20000\r\n", 12, &lim, RESP_ERROR, e_bulk);
	resp_parser_fini(&p);
	/* And on the headers of a skipped request too. */
	evbuffer_drain(in, evbuffer_get_length(in));
	lim.max_request_bytes = 1 << 20;
	resp_parser_init(&p);
	expect(&p, in, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n", 20, &lim, RESP_NAME,
	    NULL);
	resp_skip_request(&p, in);
	expect(&p, in, "$100000\r\n", 9, &lim, RESP_ERROR, e_bulk);
	resp_parser_fini(&p);
	evbuffer_free(in);
}
END_TEST

/* Runs a writer into a fresh buffer and compares the bytes. */
#define WRITES(call, want)                                                     \
	do {                                                                   \
		struct evbuffer *out = evbuffer_new();                         \
		size_t n = sizeof(want) - 1;                                   \
		call;                                                          \
		ck_assert_uint_eq(evbuffer_get_length(out), n);                \
		ck_assert_mem_eq(evbuffer_pullup(out, -1), want, n);           \
		evbuffer_free(out);                                            \
	} while (0)

START_TEST(test_resp_writes_strings)
{
	WRITES(resp_add_simple(out, "OK", 2), "+OK\r\n");
	WRITES(resp_add_simple(out, "a\r\nb", 4), "+a  b\r\n");
	WRITES(resp_add_simple(out, "", 0), "+\r\n");
	WRITES(resp_add_error(out, "ERR", "unknown command 'x'"),
	    "-ERR unknown command 'x'\r\n");
	WRITES(resp_add_error(out, "NOAUTH", ""), "-NOAUTH\r\n");
	WRITES(resp_add_error(out, "NOAUTH", NULL), "-NOAUTH\r\n");
	WRITES(resp_add_error(out, "ERR", "got '\r'\n"), "-ERR got ' ' \r\n");
	WRITES(resp_add_bulk(out, "", 0), "$0\r\n\r\n");
	WRITES(resp_add_bulk(out, "a\r\n\0b", 5), "$5\r\na\r\n\0b\r\n");
}
END_TEST

START_TEST(test_resp_writes_big_bulk)
{
	struct evbuffer *out = evbuffer_new();
	char *big = malloc(100000);
	unsigned char *d;

	memset(big, 'z', 100000);
	resp_add_bulk(out, big, 100000);
	ck_assert_uint_eq(evbuffer_get_length(out), 100000 + 11);
	d = evbuffer_pullup(out, -1);
	ck_assert_mem_eq(d, "$100000\r\nzz", 11);
	ck_assert_mem_eq(d + 100009, "\r\n", 2);
	free(big);
	evbuffer_free(out);
}
END_TEST

START_TEST(test_resp_writes_numbers)
{
	WRITES(resp_add_int(out, 0), ":0\r\n");
	WRITES(resp_add_int(out, 42), ":42\r\n");
	WRITES(resp_add_int(out, -1), ":-1\r\n");
	WRITES(resp_add_int(out, INT64_MAX), ":9223372036854775807\r\n");
	WRITES(resp_add_int(out, INT64_MIN), ":-9223372036854775808\r\n");
	WRITES(resp_add_double(out, 1.5, 1), ",1.5\r\n");
	WRITES(resp_add_double(out, 1.5, 0), "$3\r\n1.5\r\n");
	WRITES(resp_add_double(out, 3, 1), ",3\r\n");
	WRITES(resp_add_double(out, 0.1, 1), ",0.1\r\n");
	WRITES(resp_add_double(out, -0.0, 1), ",-0\r\n");
	WRITES(resp_add_double(out, 1e300, 1), ",1e+300\r\n");
	WRITES(resp_add_double(out, 1.0 / 3, 1), ",0.3333333333333333\r\n");
	WRITES(resp_add_double(out, INFINITY, 1), ",inf\r\n");
	WRITES(resp_add_double(out, -INFINITY, 1), ",-inf\r\n");
	WRITES(resp_add_double(out, -INFINITY, 0), "$4\r\n-inf\r\n");
	WRITES(resp_add_double(out, NAN, 1), ",nan\r\n");
	WRITES(resp_add_double(out, NAN, 0), "$3\r\nnan\r\n");
}
END_TEST

START_TEST(test_resp_writes_others)
{
	WRITES(resp_add_null(out, 0), "$-1\r\n");
	WRITES(resp_add_null(out, 1), "_\r\n");
	WRITES(resp_add_bool(out, 1, 0), ":1\r\n");
	WRITES(resp_add_bool(out, 0, 0), ":0\r\n");
	WRITES(resp_add_bool(out, 1, 1), "#t\r\n");
	WRITES(resp_add_bool(out, 0, 1), "#f\r\n");
	WRITES(resp_add_array(out, 0), "*0\r\n");
	WRITES(resp_add_array(out, 3), "*3\r\n");
	WRITES(resp_add_map(out, 2, 1), "%2\r\n");
	WRITES(resp_add_map(out, 2, 0), "*4\r\n");
}
END_TEST

static Suite *
resp_suite(void)
{
	Suite *s = suite_create("resp");
	TCase *tc;

	tc = tcase_create("good");
	tcase_add_loop_test(tc, test_resp_parses_good_requests, 0, NGOOD);
	tcase_add_loop_test(
	    tc, test_resp_parses_good_requests_bytewise, 0, NGOOD);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_resp_rejects_malformed, 0, NBAD);
	tcase_add_loop_test(tc, test_resp_rejects_malformed_bytewise, 0, NBAD);
	tcase_add_loop_test(
	    tc, test_resp_parses_good_requests_chained, 0, NGOOD);
	tcase_add_loop_test(tc, test_resp_rejects_malformed_chained, 0, NBAD);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_resp_rejects_long_lines);
	tcase_add_test(tc, test_resp_long_lines_with_end_like_redis);
	tcase_add_test(tc, test_resp_refuses_from_header);
	tcase_add_test(tc, test_resp_caps_unauthenticated);
	suite_add_tcase(s, tc);
	tc = tcase_create("name");
	tcase_add_test(tc, test_resp_reports_name_once);
	tcase_add_test(tc, test_resp_skips_refused_request);
	tcase_add_test(tc, test_resp_skips_refused_bytewise);
	tcase_add_test(tc, test_resp_skips_past_size_limits);
	suite_add_tcase(s, tc);
	tc = tcase_create("stream");
	tcase_add_test(tc, test_resp_pipelined);
	tcase_add_test(tc, test_resp_next_defers_drain);
	tcase_add_test(tc, test_resp_keeps_scan_position);
	tcase_add_test(tc, test_resp_keeps_capacity);
	suite_add_tcase(s, tc);
	tc = tcase_create("writers");
	tcase_add_test(tc, test_resp_writes_strings);
	tcase_add_test(tc, test_resp_writes_big_bulk);
	tcase_add_test(tc, test_resp_writes_numbers);
	tcase_add_test(tc, test_resp_writes_others);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(resp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
