/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the resp3 module: every reply type read and packed to the
 * exact msgpack bytes (alone, inside an array, followed by the next
 * reply, and cut at every byte, where nothing may be packed), a link's
 * push frame unpacked and compared value by value, a table of malformed
 * replies with their exact reasons, and every limit decided from a
 * header before its bytes arrive.  resp3_read_call(): call pushes read in
 * place (alone, followed by the next frame, cut at every byte, and as
 * resp3_read() reads them), and a table of other shapes it leaves to
 * resp3_read().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "resp3.h"

struct bytes {
	const char *p;
	size_t len;
};

#define B(s)                                                                   \
	{                                                                      \
		s, sizeof(s) - 1                                               \
	}

/* The defaults: 32 deep, 512 MiB, 1M elements. */
static const struct resp3_limits no_lim = {0, 0, 0};

/* A good reply: in reads as kind and packs to the msgpack bytes packed. */
struct good_case {
	const char *name;
	struct bytes in;
	enum resp3_kind kind;
	struct bytes packed;
};

static const struct good_case good_cases[] = {
    {"simple", B("+OK\r\n"), RESP3_SIMPLE, B("\xa2OK")},
    {"simple empty", B("+\r\n"), RESP3_SIMPLE, B("\xa0")},
    {"error", B("-ERR bad thing\r\n"), RESP3_ERROR,
        B("\xad"
          "ERR bad thing")},
    {"int zero", B(":0\r\n"), RESP3_INT, B("\x00")},
    {"int negative", B(":-1\r\n"), RESP3_INT, B("\xff")},
    {"int 1000", B(":1000\r\n"), RESP3_INT, B("\xcd\x03\xe8")},
    {"int max", B(":9223372036854775807\r\n"), RESP3_INT,
        B("\xcf\x7f\xff\xff\xff\xff\xff\xff\xff")},
    {"int min", B(":-9223372036854775808\r\n"), RESP3_INT,
        B("\xd3\x80\x00\x00\x00\x00\x00\x00\x00")},
    {"bulk", B("$5\r\nhello\r\n"), RESP3_BULK, B("\xc4\x05hello")},
    {"bulk empty", B("$0\r\n\r\n"), RESP3_BULK, B("\xc4\x00")},
    {"bulk binary", B("$5\r\na\r\n\0b\r\n"), RESP3_BULK,
        B("\xc4\x05"
          "a\r\n\0b")},
    {"bulk null", B("$-1\r\n"), RESP3_NULL, B("\xc0")},
    {"array null", B("*-1\r\n"), RESP3_NULL, B("\xc0")},
    {"null", B("_\r\n"), RESP3_NULL, B("\xc0")},
    {"double", B(",1.5\r\n"), RESP3_DOUBLE,
        B("\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00")},
    {"double inf", B(",inf\r\n"), RESP3_DOUBLE,
        B("\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00")},
    {"double -inf", B(",-inf\r\n"), RESP3_DOUBLE,
        B("\xcb\xff\xf0\x00\x00\x00\x00\x00\x00")},
    {"double nan", B(",nan\r\n"), RESP3_DOUBLE,
        B("\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00")},
    {"double exponent", B(",-2.5e-3\r\n"), RESP3_DOUBLE,
        B("\xcb\xbf\x64\x7a\xe1\x47\xae\x14\x7b")},
    {"double plus", B(",+10\r\n"), RESP3_DOUBLE,
        B("\xcb\x40\x24\x00\x00\x00\x00\x00\x00")},
    {"true", B("#t\r\n"), RESP3_BOOL, B("\xc3")},
    {"false", B("#f\r\n"), RESP3_BOOL, B("\xc2")},
    {"big number", B("(3492890328409238509324850943850943825024385\r\n"),
        RESP3_BIGNUM,
        B("\xd9\x2b"
          "3492890328409238509324850943850943825024385")},
    {"big number negative", B("(-12\r\n"), RESP3_BIGNUM, B("\xa3-12")},
    {"verbatim", B("=15\r\ntxt:Some string\r\n"), RESP3_BULK,
        B("\xc4\x0bSome string")},
    {"verbatim empty", B("=4\r\nmkd:\r\n"), RESP3_BULK, B("\xc4\x00")},
    {"blob error", B("!21\r\nSYNTAX invalid syntax\r\n"), RESP3_ERROR,
        B("\xc4\x15SYNTAX invalid syntax")},
    {"array empty", B("*0\r\n"), RESP3_ARRAY, B("\x90")},
    {"array", B("*2\r\n:1\r\n+two\r\n"), RESP3_ARRAY, B("\x92\x01\xa3two")},
    {"set", B("~2\r\n+a\r\n+b\r\n"), RESP3_ARRAY,
        B("\x92\xa1"
          "a\xa1"
          "b")},
    {"map", B("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n"), RESP3_MAP,
        B("\x82\xa5"
          "first\x01\xa6second\x02")},
    {"map empty", B("%0\r\n"), RESP3_MAP, B("\x80")},
    {"nested", B("*2\r\n*1\r\n%1\r\n$1\r\nk\r\n_\r\n-ERR x\r\n"), RESP3_ARRAY,
        B("\x92\x91\x81\xc4\x01k\xc0\xa5"
          "ERR x")},
    {"nulls inside", B("*2\r\n*-1\r\n$-1\r\n"), RESP3_ARRAY, B("\x92\xc0\xc0")},
    {"push", B(">4\r\n$4\r\ncall\r\n:7\r\n$3\r\nadd\r\n$3\r\n\x92\x01\x02\r\n"),
        RESP3_PUSH,
        B("\x94\xc4\x04"
          "call\x07\xc4\x03"
          "add\xc4\x03\x92\x01\x02")},
    {"push message", B(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n"),
        RESP3_PUSH,
        B("\x93\xc4\x07message\xc4\x02"
          "ch\xc4\x01x")},
    {"attribute",
        B("|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n"
          "$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n"),
        RESP3_ARRAY, B("\x92\xce\x00\x1f\x1d\x53\xce\x00\x91\xa0\xd4")},
    {"attribute inside", B("*2\r\n|1\r\n+ttl\r\n:3600\r\n+a\r\n+b\r\n"),
        RESP3_ARRAY,
        B("\x92\xa1"
          "a\xa1"
          "b")},
    {"attributes twice", B("|0\r\n|1\r\n_\r\n_\r\n:1\r\n"), RESP3_INT,
        B("\x01")},
};
#define NGOOD (sizeof(good_cases) / sizeof(good_cases[0]))

/* Reads in[0..len) into sb; returns what resp3_read() returned. */
static ssize_t
read_packed(const char *in, size_t len, const struct resp3_limits *lim,
    enum resp3_kind *kind, msgpack_sbuffer *sb, char *err, size_t errlen)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	return resp3_read(in, len, lim, kind, &pk, err, errlen);
}

/* Asserts that sb holds exactly want. */
static void
assert_packed(const msgpack_sbuffer *sb, struct bytes want, const char *name)
{
	ck_assert_msg(sb->size == want.len, "%s: packed %zu bytes, not %zu",
	    name, sb->size, want.len);
	ck_assert_msg(memcmp(sb->data, want.p, want.len) == 0,
	    "%s: packed other bytes", name);
}

START_TEST(test_resp3_reads_every_type)
{
	const struct good_case *c = &good_cases[_i];
	enum resp3_kind kind = (enum resp3_kind) - 1;
	msgpack_sbuffer sb;
	char err[64] = "";

	msgpack_sbuffer_init(&sb);
	ck_assert_msg(read_packed(c->in.p, c->in.len, &no_lim, &kind, &sb, err,
	                  sizeof(err)) == (ssize_t)c->in.len,
	    "%s: %s", c->name, err);
	ck_assert_msg(kind == c->kind, "%s: kind %d", c->name, (int)kind);
	assert_packed(&sb, c->packed, c->name);
	kind = (enum resp3_kind) - 1;
	ck_assert_int_eq(resp3_read(c->in.p, c->in.len, &no_lim, &kind, NULL,
	                     err, sizeof(err)),
	    (ssize_t)c->in.len);
	ck_assert_int_eq(kind, c->kind);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* Every prefix is "not yet", and packs nothing. */
START_TEST(test_resp3_waits_at_every_byte)
{
	const struct good_case *c = &good_cases[_i];
	enum resp3_kind kind = RESP3_SIMPLE;
	msgpack_sbuffer sb;
	char err[64] = "";
	size_t i;

	msgpack_sbuffer_init(&sb);
	for (i = 0; i < c->in.len; i++) {
		ck_assert_msg(read_packed(c->in.p, i, &no_lim, &kind, &sb, err,
		                  sizeof(err)) == 0,
		    "%s: prefix of %zu bytes: %s", c->name, i, err);
		ck_assert_msg(
		    sb.size == 0, "%s: prefix of %zu packed", c->name, i);
		ck_assert_int_eq(kind, RESP3_SIMPLE);
	}
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* A reply followed by the next one reads as itself. */
START_TEST(test_resp3_stops_at_its_end)
{
	const struct good_case *c = &good_cases[_i];
	char buf[256], err[64] = "";
	enum resp3_kind kind;
	msgpack_sbuffer sb;

	ck_assert_uint_le(c->in.len + 5, sizeof(buf));
	memcpy(buf, c->in.p, c->in.len);
	memcpy(buf + c->in.len, "+X\r\n", 5);
	msgpack_sbuffer_init(&sb);
	ck_assert_int_eq(read_packed(buf, c->in.len + 4, &no_lim, &kind, &sb,
	                     err, sizeof(err)),
	    (ssize_t)c->in.len);
	assert_packed(&sb, c->packed, c->name);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* The same value one level down, but for a push (only at the top). */
START_TEST(test_resp3_reads_inside_an_array)
{
	const struct good_case *c = &good_cases[_i];
	char buf[256], want[256], err[64] = "";
	enum resp3_kind kind;
	msgpack_sbuffer sb;
	struct bytes w;

	if (c->kind == RESP3_PUSH)
		return;
	memcpy(buf, "*1\r\n", 4);
	memcpy(buf + 4, c->in.p, c->in.len);
	want[0] = '\x91';
	memcpy(want + 1, c->packed.p, c->packed.len);
	w.p = want;
	w.len = c->packed.len + 1;
	msgpack_sbuffer_init(&sb);
	ck_assert_msg(read_packed(buf, c->in.len + 4, &no_lim, &kind, &sb, err,
	                  sizeof(err)) == (ssize_t)c->in.len + 4,
	    "%s: %s", c->name, err);
	ck_assert_int_eq(kind, RESP3_ARRAY);
	assert_packed(&sb, w, c->name);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* A link's call, as the hub sends it (SPEC 11), value by value. */
START_TEST(test_resp3_unpacks_a_push_call)
{
	static const char in[] = ">4\r\n$4\r\ncall\r\n:7\r\n$3\r\nadd\r\n"
	                         "$3\r\n\x92\x01\x02\r\n";
	msgpack_object_array *a;
	enum resp3_kind kind;
	msgpack_unpacked u;
	msgpack_sbuffer sb;
	char err[64] = "";
	size_t off = 0;

	msgpack_sbuffer_init(&sb);
	ck_assert_int_eq(read_packed(in, sizeof(in) - 1, &no_lim, &kind, &sb,
	                     err, sizeof(err)),
	    (ssize_t)sizeof(in) - 1);
	ck_assert_int_eq(kind, RESP3_PUSH);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, sb.data, sb.size, &off),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(off, sb.size);
	ck_assert_int_eq(u.data.type, MSGPACK_OBJECT_ARRAY);
	a = &u.data.via.array;
	ck_assert_uint_eq(a->size, 4);
	ck_assert_int_eq(a->ptr[0].type, MSGPACK_OBJECT_BIN);
	ck_assert_uint_eq(a->ptr[0].via.bin.size, 4);
	ck_assert_mem_eq(a->ptr[0].via.bin.ptr, "call", 4);
	ck_assert_int_eq(a->ptr[1].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	ck_assert_uint_eq(a->ptr[1].via.u64, 7);
	ck_assert_int_eq(a->ptr[2].type, MSGPACK_OBJECT_BIN);
	ck_assert_uint_eq(a->ptr[2].via.bin.size, 3);
	ck_assert_mem_eq(a->ptr[2].via.bin.ptr, "add", 3);
	ck_assert_int_eq(a->ptr[3].type, MSGPACK_OBJECT_BIN);
	ck_assert_uint_eq(a->ptr[3].via.bin.size, 3);
	ck_assert_mem_eq(a->ptr[3].via.bin.ptr, "\x92\x01\x02", 3);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* A malformed reply: -1 with exactly this reason. */
struct bad_case {
	const char *name;
	struct bytes in;
	const char *err;
};

static const struct bad_case bad_cases[] = {
    {"unknown type", B("?x\r\n"), "unknown type byte '?'"},
    {"unknown type nul", B("\0"), "unknown type byte '\\x00'"},
    {"unknown type high", B("\xff"), "unknown type byte '\\xff'"},
    {"unknown type quote", B("'"), "unknown type byte '\\x27'"},
    {"unknown inside", B("*2\r\n:1\r\n?\r\n"), "unknown type byte '?'"},
    {"lf alone", B("+OK\n"), "missing CRLF"},
    {"cr alone", B("+OK\rX"), "missing CRLF"},
    {"int lf", B(":12\n"), "missing CRLF"},
    {"bulk no crlf", B("$3\r\nabcX"), "missing CRLF"},
    {"bulk cr only", B("$3\r\nabc\rX"), "missing CRLF"},
    {"bulk lf only", B("$3\r\nabc\n\n"), "missing CRLF"},
    {"length plus", B("$+3\r\n"), "bad length"},
    {"length zero led", B("$03\r\n"), "bad length"},
    {"length -2", B("$-2\r\n"), "bad length"},
    {"length -0", B("$-0\r\n"), "bad length"},
    {"length empty", B("$\r\n"), "bad length"},
    {"length letters", B("$3x\r\n"), "bad length"},
    {"length streamed", B("$?\r\n"), "bad length"},
    {"length too long", B("$123456789012345678901"), "bad length"},
    {"length over int64", B("$9223372036854775808\r\n"), "bad length"},
    {"map null", B("%-1\r\n"), "bad length"},
    {"set null", B("~-1\r\n"), "bad length"},
    {"push null", B(">-1\r\n"), "bad length"},
    {"attribute null", B("|-1\r\n"), "bad length"},
    {"blob error null", B("!-1\r\n"), "bad length"},
    {"verbatim null", B("=-1\r\n"), "bad length"},
    {"verbatim short", B("=3\r\nabc\r\n"), "bad length"},
    {"verbatim no colon", B("=4\r\nabcd\r\n"), "bad verbatim string"},
    {"int float", B(":1.5\r\n"), "bad integer"},
    {"int over", B(":9223372036854775808\r\n"), "bad integer"},
    {"int under", B(":-9223372036854775809\r\n"), "bad integer"},
    {"int -0", B(":-0\r\n"), "bad integer"},
    {"int plus", B(":+1\r\n"), "bad integer"},
    {"int empty", B(":\r\n"), "bad integer"},
    {"int zero led", B(":007\r\n"), "bad integer"},
    {"int too long", B(":000000000000000000000"), "bad integer"},
    {"double dot end", B(",1.\r\n"), "bad double"},
    {"double dot start", B(",.5\r\n"), "bad double"},
    {"double e end", B(",1e\r\n"), "bad double"},
    {"double infinity", B(",infinity\r\n"), "bad double"},
    {"double blank", B(", 1\r\n"), "bad double"},
    {"double hex", B(",0x10\r\n"), "bad double"},
    {"double empty", B(",\r\n"), "bad double"},
    {"double NaN", B(",NaN\r\n"), "bad double"},
    {"double -nan", B(",-nan\r\n"), "bad double"},
    {"bool x", B("#x\r\n"), "bad boolean"},
    {"bool tt", B("#tt"), "bad boolean"},
    {"bool empty", B("#\r\n"), "bad boolean"},
    {"big number letter", B("(12a\r\n"), "bad big number"},
    {"big number empty", B("(\r\n"), "bad big number"},
    {"big number sign", B("(-\r\n"), "bad big number"},
    {"null text", B("_x"), "bad null"},
    {"push nested", B("*1\r\n>0\r\n"), "push inside an aggregate"},
    {"push in map", B("%1\r\n>0\r\n"), "push inside an aggregate"},
};
#define NBAD (sizeof(bad_cases) / sizeof(bad_cases[0]))

START_TEST(test_resp3_rejects_malformed)
{
	const struct bad_case *c = &bad_cases[_i];
	enum resp3_kind kind = RESP3_SIMPLE;
	msgpack_sbuffer sb;
	char err[64] = "";

	msgpack_sbuffer_init(&sb);
	ck_assert_msg(read_packed(c->in.p, c->in.len, &no_lim, &kind, &sb, err,
	                  sizeof(err)) == -1,
	    "%s: not refused", c->name);
	ck_assert_msg(strcmp(err, c->err) == 0, "%s: \"%s\", not \"%s\"",
	    c->name, err, c->err);
	ck_assert_int_eq(kind, RESP3_SIMPLE);
	ck_assert_uint_eq(sb.size, 0);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* in, with lim: ret (-1 with err). */
struct limit_case {
	const char *name;
	struct resp3_limits lim;
	struct bytes in;
	ssize_t ret;
	const char *err;
};

#define DEEP8  "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n"
#define DEEP32 DEEP8 DEEP8 DEEP8 DEEP8
#define X20    "xxxxxxxxxxxxxxxxxxxx"
#define X60    X20 X20 X20

static const struct limit_case limit_cases[] = {
    {"depth 2", {2, 64, 4}, B("*1\r\n*1\r\n:1\r\n"), 12, NULL},
    {"depth 3", {2, 64, 4}, B("*1\r\n*1\r\n*1\r\n"), -1, "too deep"},
    {"depth map", {1, 64, 4}, B("%1\r\n:1\r\n*0\r\n"), -1, "too deep"},
    {"depth attribute", {1, 64, 4}, B("*1\r\n|"), -1, "too deep"},
    {"depth default", {0, 0, 0}, B(DEEP32 ":1\r\n"), 132, NULL},
    {"depth default over", {0, 0, 0}, B(DEEP32 "*"), -1, "too deep"},
    {"elements", {2, 64, 4}, B("*4\r\n"), 0, NULL},
    {"elements over", {2, 64, 4}, B("*5\r\n"), -1, "too many elements"},
    {"set over", {2, 64, 4}, B("~5\r\n"), -1, "too many elements"},
    {"push over", {2, 64, 4}, B(">5\r\n"), -1, "too many elements"},
    {"map pairs", {2, 64, 4}, B("%2\r\n"), 0, NULL},
    {"map pairs over", {2, 64, 4}, B("%3\r\n"), -1, "too many elements"},
    {"attribute over", {2, 64, 4}, B("|3\r\n"), -1, "too many elements"},
    {"elements default", {0, 0, 0}, B("*1000000000\r\n"), -1,
        "too many elements"},
    {"elements bytes", {0, 0, SIZE_MAX}, B("*1000000000\r\n"), -1, "too large"},
    {"elements no limit", {0, SIZE_MAX, SIZE_MAX}, B("*1000000000\r\n"), 0,
        NULL},
    {"elements fit bytes", {2, 20, 100}, B("*5\r\n"), 0, NULL},
    {"elements over bytes", {2, 20, 100}, B("*6\r\n"), -1, "too large"},
    {"bulk fits", {2, 64, 4}, B("$57\r\n"), 0, NULL},
    {"bulk over", {2, 64, 4}, B("$58\r\n"), -1, "too large"},
    {"bulk huge", {0, 0, 0}, B("$9223372036854775807\r\n"), -1, "too large"},
    {"bulk no limit", {0, SIZE_MAX, 0}, B("$1000000000\r\n"), 0, NULL},
    {"line fits", {2, 64, 4}, B("+" X60 "x"), 0, NULL},
    {"line whole", {2, 64, 4}, B("+" X60 "x\r\n"), 64, NULL},
    {"line over", {2, 64, 4}, B("+" X60 "xx"), -1, "too large"},
    {"line cr over", {2, 63, 4}, B("+" X60 "x\r"), -1, "too large"},
    {"type byte over", {2, 4, 4}, B("+\r\n:"), 3, NULL},
    {"count over bytes", {2, 9, 4}, B("*2\r\n_\r\n"), -1, "too large"},
    {"value over bytes", {2, 10, 4}, B("*2\r\n+\r\n+x"), -1, "too large"},
};
#define NLIMIT (sizeof(limit_cases) / sizeof(limit_cases[0]))

START_TEST(test_resp3_limits)
{
	const struct limit_case *c = &limit_cases[_i];
	enum resp3_kind kind;
	msgpack_sbuffer sb;
	char err[64] = "";
	ssize_t n;

	msgpack_sbuffer_init(&sb);
	n = read_packed(
	    c->in.p, c->in.len, &c->lim, &kind, &sb, err, sizeof(err));
	ck_assert_msg(
	    n == c->ret, "%s: %zd, not %zd (%s)", c->name, n, c->ret, err);
	if (c->err != NULL)
		ck_assert_msg(strcmp(err, c->err) == 0,
		    "%s: \"%s\", not \"%s\"", c->name, err, c->err);
	if (n <= 0)
		ck_assert_uint_eq(sb.size, 0);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* The reason is cut to the caller's buffer, and may be left out. */
START_TEST(test_resp3_cuts_the_reason)
{
	enum resp3_kind kind;
	char err[4] = "xyz";

	ck_assert_int_eq(
	    resp3_read("*1\r\n>", 5, &no_lim, &kind, NULL, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "pus");
	ck_assert_int_eq(resp3_read("?", 1, NULL, &kind, NULL, NULL, 0), -1);
	ck_assert_int_eq(resp3_read("_\r\n", 3, NULL, NULL, NULL, NULL, 0), 3);
}
END_TEST

static int
write_fails(void *data, const char *buf, size_t len)
{
	(void)data;
	(void)buf;
	(void)len;
	return -1;
}

/* A packer that cannot write makes the read fail, with its reason. */
START_TEST(test_resp3_reports_packing_failure)
{
	enum resp3_kind kind;
	msgpack_packer pk;
	char err[64] = "";

	msgpack_packer_init(&pk, NULL, write_fails);
	ck_assert_int_eq(resp3_read("*1\r\n:1\r\n", 8, &no_lim, &kind, &pk, err,
	                     sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "cannot pack the reply");
}
END_TEST

/* A call push resp3_read_call() reads in place: its id, name and args. */
struct call_case {
	const char *name;
	struct bytes in;
	uint64_t id;
	struct bytes cmd;
	struct bytes args;
};

#define CALL_HEAD ">4\r\n$4\r\ncall\r\n"

static const struct call_case call_cases[] = {
    {"add", B(CALL_HEAD ":7\r\n$3\r\nadd\r\n$3\r\n\x92\x01\x02\r\n"), 7,
        B("add"), B("\x92\x01\x02")},
    {"id zero", B(CALL_HEAD ":0\r\n$3\r\nadd\r\n$1\r\n\x90\r\n"), 0, B("add"),
        B("\x90")},
    {"id max", B(CALL_HEAD ":9223372036854775807\r\n$1\r\nf\r\n$1\r\n\x90\r\n"),
        INT64_MAX, B("f"), B("\x90")},
    {"empty", B(CALL_HEAD ":12\r\n$0\r\n\r\n$0\r\n\r\n"), 12, B(""), B("")},
    {"crlf inside",
        B(CALL_HEAD ":345\r\n$4\r\na\r\nb\r\n$4\r\n\x92\xa1\r\n\r\n"), 345,
        B("a\r\nb"), B("\x92\xa1\r\n")},
    {"long",
        B(CALL_HEAD ":1\r\n$10\r\nfiles.stat\r\n$12\r\n"
                    "\x91\xaa/etc/hosts\r\n"),
        1, B("files.stat"), B("\x91\xaa/etc/hosts")},
};
#define NCALL (sizeof(call_cases) / sizeof(call_cases[0]))

/* Asserts that call holds c's values, pointing into in. */
static void
assert_call(
    const struct resp3_call *call, const struct call_case *c, const char *in)
{
	ck_assert_msg(call->id == c->id, "%s: id %llu", c->name,
	    (unsigned long long)call->id);
	ck_assert_uint_eq(call->namelen, c->cmd.len);
	ck_assert(memcmp(call->name, c->cmd.p, c->cmd.len) == 0);
	ck_assert_uint_eq(call->arglen, c->args.len);
	ck_assert(memcmp(call->args, c->args.p, c->args.len) == 0);
	ck_assert(call->name > in && call->args > call->name);
	ck_assert(call->args + call->arglen + 2 == in + c->in.len);
}

/* The whole frame, alone and followed by the next one. */
START_TEST(test_resp3_reads_a_call)
{
	const struct call_case *c = &call_cases[_i];
	struct resp3_call call;
	char buf[256];

	memset(&call, 0, sizeof(call));
	ck_assert_int_eq(
	    resp3_read_call(c->in.p, c->in.len, &call), (ssize_t)c->in.len);
	assert_call(&call, c, c->in.p);
	ck_assert_uint_le(c->in.len + 4, sizeof(buf));
	memcpy(buf, c->in.p, c->in.len);
	memcpy(buf + c->in.len, "+X\r\n", 4);
	memset(&call, 0, sizeof(call));
	ck_assert_int_eq(
	    resp3_read_call(buf, c->in.len + 4, &call), (ssize_t)c->in.len);
	assert_call(&call, c, buf);
}
END_TEST

/* Cut at every byte: "need more", never a fall back. */
START_TEST(test_resp3_call_waits_at_every_byte)
{
	const struct call_case *c = &call_cases[_i];
	struct resp3_call call;
	size_t i;

	for (i = 0; i < c->in.len; i++)
		ck_assert_msg(resp3_read_call(c->in.p, i, &call) == 0,
		    "%s: prefix of %zu bytes", c->name, i);
}
END_TEST

/* resp3_read() reads the same frame: the same length and values. */
START_TEST(test_resp3_call_agrees_with_resp3_read)
{
	const struct call_case *c = &call_cases[_i];
	msgpack_object_array *a;
	enum resp3_kind kind;
	msgpack_unpacked u;
	msgpack_sbuffer sb;
	char err[64] = "";

	msgpack_sbuffer_init(&sb);
	ck_assert_int_eq(read_packed(c->in.p, c->in.len, &no_lim, &kind, &sb,
	                     err, sizeof(err)),
	    (ssize_t)c->in.len);
	ck_assert_int_eq(kind, RESP3_PUSH);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, sb.data, sb.size, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	a = &u.data.via.array;
	ck_assert_uint_eq(a->size, 4);
	ck_assert_int_eq(a->ptr[1].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	ck_assert(a->ptr[1].via.u64 == c->id);
	ck_assert_int_eq(a->ptr[2].type, MSGPACK_OBJECT_BIN);
	ck_assert_uint_eq(a->ptr[2].via.bin.size, c->cmd.len);
	ck_assert(memcmp(a->ptr[2].via.bin.ptr, c->cmd.p, c->cmd.len) == 0);
	ck_assert_int_eq(a->ptr[3].type, MSGPACK_OBJECT_BIN);
	ck_assert_uint_eq(a->ptr[3].via.bin.size, c->args.len);
	ck_assert(memcmp(a->ptr[3].via.bin.ptr, c->args.p, c->args.len) == 0);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* Not a call push of the exact shape: -1, for resp3_read() to read. */
static const struct bytes other_cases[] = {
    B("+OK\r\n"),
    B("-ERR x\r\n"),
    B("$4\r\ncall\r\n"),
    B("*4\r\n$4\r\ncall\r\n:1\r\n$1\r\nf\r\n$1\r\n\x90\r\n"),
    B(">3\r\n$4\r\ncall\r\n:1\r\n$1\r\nf\r\n"),
    B(">4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$1\r\nc\r\n$1\r\nx\r\n"),
    B(">4\r\n+call\r\n:1\r\n$1\r\nf\r\n$1\r\n\x90\r\n"),
    B(">4\r\n$4\r\nCALL\r\n:1\r\n$1\r\nf\r\n$1\r\n\x90\r\n"),
    B("|1\r\n+a\r\n+b\r\n" CALL_HEAD ":1\r\n$1\r\nf\r\n$1\r\n\x90\r\n"),
    B(">04\r\n"),
    B(CALL_HEAD ":-1\r\n$1\r\nf\r\n$1\r\n\x90\r\n"),
    B(CALL_HEAD ":+1\r\n"),
    B(CALL_HEAD ":07\r\n"),
    B(CALL_HEAD ":07"),
    B(CALL_HEAD ":00"),
    B(CALL_HEAD ":\r\n"),
    B(CALL_HEAD ":1.5\r\n"),
    B(CALL_HEAD ":9223372036854775808\r\n$1\r\nf\r\n$1\r\n\x90\r\n"),
    B(CALL_HEAD ":10000000000000000000"),
    B(CALL_HEAD ":1\n$1\r\nf\r\n$1\r\n\x90\r\n"),
    B(CALL_HEAD ":1\rX"),
    B(CALL_HEAD "$1\r\n1\r\n$1\r\nf\r\n$1\r\n\x90\r\n"),
    B(CALL_HEAD ":1\r\n+f\r\n$1\r\n\x90\r\n"),
    B(CALL_HEAD ":1\r\n$-1\r\n$1\r\n\x90\r\n"),
    B(CALL_HEAD ":1\r\n=5\r\ntxt:f\r\n$1\r\n\x90\r\n"),
    B(CALL_HEAD ":1\r\n$01\r\nf\r\n$1\r\n\x90\r\n"),
    B(CALL_HEAD ":1\r\n$+1\r\n"),
    B(CALL_HEAD ":1\r\n$1\r\nfX"),
    B(CALL_HEAD ":1\r\n$1\r\nf\rX"),
    B(CALL_HEAD ":1\r\n$1\r\nf\n\n"),
    B(CALL_HEAD ":1\r\n$1\r\nf\r\n$-1\r\n"),
    B(CALL_HEAD ":1\r\n$1\r\nf\r\n*1\r\n:1\r\n"),
    B(CALL_HEAD ":1\r\n$1\r\nf\r\n$1\r\n\x90X"),
    B(CALL_HEAD ":1\r\n$1\r\nf\r\n$268435455\r\n"),
    B(CALL_HEAD ":1\r\n$1\r\nf\r\n$999999999\r\n"),
    B(CALL_HEAD ":1\r\n$1\r\nf\r\n$1000000000"),
    B(CALL_HEAD ":1\r\n$268435456\r\n"),
};
#define NOTHER (sizeof(other_cases) / sizeof(other_cases[0]))

START_TEST(test_resp3_call_falls_back)
{
	const struct bytes *c = &other_cases[_i];
	struct resp3_call call;

	ck_assert_msg(resp3_read_call(c->p, c->len, &call) == -1,
	    "case %d: not left to resp3_read", _i);
}
END_TEST

/* A frame of RESP3_CALL_MAX bytes waits for them; one more falls back. */
START_TEST(test_resp3_call_limit)
{
	static const char fits[] = CALL_HEAD ":1\r\n$1\r\nf\r\n$268435417\r\n";
	static const char over[] = CALL_HEAD ":1\r\n$1\r\nf\r\n$268435418\r\n";
	struct resp3_call call;

	ck_assert_uint_eq(sizeof(fits) - 1 + 268435417 + 2, RESP3_CALL_MAX);
	ck_assert_int_eq(resp3_read_call(fits, sizeof(fits) - 1, &call), 0);
	ck_assert_int_eq(resp3_read_call(over, sizeof(over) - 1, &call), -1);
}
END_TEST

static Suite *
resp3_suite(void)
{
	Suite *s = suite_create("resp3");
	TCase *tc;

	tc = tcase_create("good");
	tcase_add_loop_test(tc, test_resp3_reads_every_type, 0, NGOOD);
	tcase_add_loop_test(tc, test_resp3_waits_at_every_byte, 0, NGOOD);
	tcase_add_loop_test(tc, test_resp3_stops_at_its_end, 0, NGOOD);
	tcase_add_loop_test(tc, test_resp3_reads_inside_an_array, 0, NGOOD);
	tcase_add_test(tc, test_resp3_unpacks_a_push_call);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_resp3_rejects_malformed, 0, NBAD);
	tcase_add_test(tc, test_resp3_cuts_the_reason);
	tcase_add_test(tc, test_resp3_reports_packing_failure);
	suite_add_tcase(s, tc);
	tc = tcase_create("call");
	tcase_add_loop_test(tc, test_resp3_reads_a_call, 0, NCALL);
	tcase_add_loop_test(tc, test_resp3_call_waits_at_every_byte, 0, NCALL);
	tcase_add_loop_test(
	    tc, test_resp3_call_agrees_with_resp3_read, 0, NCALL);
	tcase_add_loop_test(tc, test_resp3_call_falls_back, 0, NOTHER);
	tcase_add_test(tc, test_resp3_call_limit);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_loop_test(tc, test_resp3_limits, 0, NLIMIT);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(resp3_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
