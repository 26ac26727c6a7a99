/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of convert: RESP text and typed values to msgpack by
 * signature type, JSON <-> msgpack (round trips, error offsets, depth,
 * numbers, unicode, base64), and msgpack -> RESP2/RESP3 exact bytes.
 */
#include "autoconf.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <msgpack.h>

#include "convert.h"
#include "resp_reply.h"
#include "util.h"

/* A counted byte string in a table: S("a\0b") keeps the NUL. */
#define S(lit) lit, sizeof(lit) - 1

/* Returns buf's contents as a NUL-terminated string, *len its length. */
static char *
test_take(struct evbuffer *buf, size_t *len)
{
	size_t n = evbuffer_get_length(buf);
	char *p = malloc(n + 1);

	ck_assert_ptr_nonnull(p);
	evbuffer_remove(buf, p, n);
	p[n] = '\0';
	if (len != NULL)
		*len = n;
	return p;
}

static void
test_assert_bytes(const char *got, size_t gotlen, const char *want,
    size_t wantlen, const char *name)
{
	ck_assert_msg(gotlen == wantlen && memcmp(got, want, wantlen) == 0,
	    "%s: got %zu bytes, want %zu", name, gotlen, wantlen);
}

/* Unpacks the one msgpack value in p[0..len) and renders it as JSON. */
static char *
test_msgpack_json(const char *p, size_t len, int *rc, struct duet_err *err)
{
	msgpack_unpacked u;
	struct evbuffer *out = evbuffer_new();
	size_t off = 0;
	char *json;

	msgpack_unpacked_init(&u);
	ck_assert_int_eq(
	    msgpack_unpack_next(&u, p, len, &off), MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(off, len);
	*rc = convert_msgpack_to_json(out, &u.data, SIZE_MAX, err);
	json = test_take(out, NULL);
	evbuffer_free(out);
	msgpack_unpacked_destroy(&u);
	return json;
}

/* Unpacks p[0..len) and renders it as RESP (resp3 or not). */
static char *
test_msgpack_resp(const char *p, size_t len, int resp3, size_t *outlen)
{
	msgpack_unpacked u;
	struct evbuffer *out = evbuffer_new();
	size_t off = 0;
	char *resp;

	msgpack_unpacked_init(&u);
	ck_assert_int_eq(
	    msgpack_unpack_next(&u, p, len, &off), MSGPACK_UNPACK_SUCCESS);
	resp_add_msgpack(out, &u.data, resp3);
	resp = test_take(out, outlen);
	evbuffer_free(out);
	msgpack_unpacked_destroy(&u);
	return resp;
}

/* convert_text */

struct test_text {
	enum sig_type type;
	const char *in;
	size_t inlen;
	const char *out; /* packed msgpack, or NULL on error */
	size_t outlen;
	const char *msg; /* err->msg on error */
};

static const struct test_text test_text_cases[] = {
    {SIG_INT, S("0"), S("\x00"), NULL},
    {SIG_INT, S("42"), S("\x2a"), NULL},
    {SIG_INT, S("-1"), S("\xff"), NULL},
    {SIG_INT, S("300"), S("\xcd\x01\x2c"), NULL},
    {SIG_INT, S("-9223372036854775808"),
        S("\xd3\x80\x00\x00\x00\x00\x00\x00\x00"), NULL},
    {SIG_INT, S("9223372036854775807"),
        S("\xcf\x7f\xff\xff\xff\xff\xff\xff\xff"), NULL},
    {SIG_FLOAT, S("1.5"), S("\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00"), NULL},
    {SIG_FLOAT, S("2"), S("\xcb\x40\x00\x00\x00\x00\x00\x00\x00"), NULL},
    {SIG_FLOAT, S("-0.25"), S("\xcb\xbf\xd0\x00\x00\x00\x00\x00\x00"), NULL},
    {SIG_BOOL, S("1"), S("\xc3"), NULL},
    {SIG_BOOL, S("0"), S("\xc2"), NULL},
    {SIG_BOOL, S("true"), S("\xc3"), NULL},
    {SIG_BOOL, S("FALSE"), S("\xc2"), NULL},
    {SIG_BOOL, S("True"), S("\xc3"), NULL},
    {SIG_STR, S("hi"), S("\xa2hi"), NULL},
    {SIG_STR, S(""), S("\xa0"), NULL},
    {SIG_STR, S("\xc3\xa9"), S("\xa2\xc3\xa9"), NULL},
    {SIG_STR, S("a\0b"),
        S("\xa3"
          "a\0b"),
        NULL},
    {SIG_BYTES, S("hi"), S("\xc4\x02hi"), NULL},
    {SIG_BYTES, S("\xff"), S("\xc4\x01\xff"), NULL},
    {SIG_ANY, S("hi"), S("\xa2hi"), NULL},
    {SIG_ANY, S("12"),
        S("\xa2"
          "12"),
        NULL},
    {SIG_ANY, S("\xff\xfe"), S("\xc4\x02\xff\xfe"), NULL},
    {SIG_JSON, S("12"), S("\x0c"), NULL},
    {SIG_JSON, S("\"x\""), S("\xa1x"), NULL},
    {SIG_JSON, S("[1,true,null]"), S("\x93\x01\xc3\xc0"), NULL},
    {SIG_JSON, S(" {\"a\":[]} "),
        S("\x81\xa1"
          "a\x90"),
        NULL},
    {SIG_ARRAY, S("[]"), S("\x90"), NULL},
    {SIG_ARRAY, S("[[1],{}]"), S("\x92\x91\x01\x80"), NULL},
    {SIG_MAP, S("{}"), S("\x80"), NULL},
    {SIG_MAP, S("{\"k\":\"v\"}"), S("\x81\xa1k\xa1v"), NULL},
};

static const struct test_text test_text_bad_cases[] = {
    {SIG_INT, S(""), NULL, 0, "expected int"},
    {SIG_INT, S("1.5"), NULL, 0, "expected int"},
    {SIG_INT, S(" 1"), NULL, 0, "expected int"},
    {SIG_INT, S("+1"), NULL, 0, "expected int"},
    {SIG_INT, S("12a"), NULL, 0, "expected int"},
    {SIG_INT, S("9223372036854775808"), NULL, 0, "expected int"},
    {SIG_INT, S("-9223372036854775809"), NULL, 0, "expected int"},
    {SIG_FLOAT, S(""), NULL, 0, "expected float"},
    {SIG_FLOAT, S("abc"), NULL, 0, "expected float"},
    {SIG_FLOAT, S("1.5x"), NULL, 0, "expected float"},
    {SIG_FLOAT, S("inf"), NULL, 0, "expected float"},
    {SIG_FLOAT, S("nan"), NULL, 0, "expected float"},
    {SIG_FLOAT, S("1e999"), NULL, 0, "expected float"},
    {SIG_BOOL, S(""), NULL, 0, "expected bool"},
    {SIG_BOOL, S("yes"), NULL, 0, "expected bool"},
    {SIG_BOOL, S("2"), NULL, 0, "expected bool"},
    {SIG_BOOL, S("truex"), NULL, 0, "expected bool"},
    {SIG_STR, S("\xff"), NULL, 0, "expected str"},
    {SIG_STR, S("\xed\xa0\x80"), NULL, 0, "expected str"},
    {SIG_JSON, S(""), NULL, 0,
        "expected json: invalid JSON at offset 0: premature EOF"},
    {SIG_JSON, S("[1,]"), NULL, 0,
        "expected json: invalid JSON at offset 4: unallowed token at "
        "this point in JSON text"},
    {SIG_JSON, S("hello"), NULL, 0,
        "expected json: invalid JSON at offset 1: invalid char in json "
        "text."},
    {SIG_JSON, S("tru"), NULL, 0,
        "expected json: invalid JSON at offset 3: invalid string in "
        "json text."},
    {SIG_ARRAY, S("{}"), NULL, 0, "expected array"},
    {SIG_ARRAY, S("1"), NULL, 0, "expected array"},
    {SIG_ARRAY, S("[1"), NULL, 0,
        "expected array: invalid JSON at offset 2: premature EOF"},
    {SIG_MAP, S("[]"), NULL, 0, "expected map"},
    {SIG_MAP, S("\"x\""), NULL, 0, "expected map"},
    {SIG_MAP, S("{\"$base64\":\"AA==\"}"), NULL, 0, "expected map"},
    {SIG_MAP, S("{\"a\"}"), NULL, 0,
        "expected map: invalid JSON at offset 5: object key and value "
        "must be separated by a colon (':')"},
};

START_TEST(test_convert_text_good)
{
	const struct test_text *t = &test_text_cases[_i];
	struct evbuffer *buf = evbuffer_new();
	struct duet_err err;
	msgpack_packer pk;
	size_t len;
	char *got;

	convert_packer_init(&pk, buf);
	ck_assert_msg(
	    convert_text(&pk, t->type, t->in, t->inlen, 32, &err) == 0,
	    "case %d: %s", _i, err.msg);
	got = test_take(buf, &len);
	test_assert_bytes(got, len, t->out, t->outlen, t->in);
	free(got);
	evbuffer_free(buf);
}
END_TEST

START_TEST(test_convert_text_bad)
{
	const struct test_text *t = &test_text_bad_cases[_i];
	struct evbuffer *buf = evbuffer_new();
	struct duet_err err;
	msgpack_packer pk;

	convert_packer_init(&pk, buf);
	ck_assert_int_eq(
	    convert_text(&pk, t->type, t->in, t->inlen, 32, &err), -1);
	ck_assert_str_eq(err.code, "ERR");
	ck_assert_str_eq(err.msg, t->msg);
	ck_assert_uint_eq(evbuffer_get_length(buf), 0);
	evbuffer_free(buf);
}
END_TEST

/*
 * A scalar word bound in place (convert_text_object, dispatch's fast
 * path) is the object the general path gets by unpacking what
 * convert_text packed, and a string points into the word.
 */
START_TEST(test_convert_text_object_good)
{
	const struct test_text *t = &test_text_cases[_i];
	msgpack_zone zone;
	msgpack_object o, u;
	size_t off = 0;

	if (t->type == SIG_JSON || t->type == SIG_ARRAY || t->type == SIG_MAP) {
		ck_assert_int_eq(
		    convert_text_object(&o, t->type, t->in, t->inlen, 0), -1);
		return;
	}
	ck_assert_msg(convert_text_object(&o, t->type, t->in, t->inlen, 0) == 0,
	    "case %d", _i);
	msgpack_zone_init(&zone, 256);
	ck_assert_int_eq(msgpack_unpack(t->out, t->outlen, &off, &zone, &u),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_msg(msgpack_object_equal(o, u), "case %d: type %d, want %d",
	    _i, (int)o.type, (int)u.type);
	if (o.type == MSGPACK_OBJECT_STR || o.type == MSGPACK_OBJECT_BIN)
		ck_assert_ptr_eq(o.via.str.ptr, t->in);
	msgpack_zone_destroy(&zone);
}
END_TEST

START_TEST(test_convert_text_object_bad)
{
	const struct test_text *t = &test_text_bad_cases[_i];
	msgpack_object o;

	ck_assert_int_eq(
	    convert_text_object(&o, t->type, t->in, t->inlen, 0), -1);
}
END_TEST

/* convert_typed */

struct test_typed {
	enum sig_type type;
	const char *in; /* one packed value */
	size_t inlen;
	const char *out; /* what is packed, or NULL if refused */
	size_t outlen;
};

static const struct test_typed test_typed_cases[] = {
    {SIG_INT, S("\x05"), S("\x05")},
    {SIG_INT, S("\xff"), S("\xff")},
    {SIG_INT, S("\xcf\x7f\xff\xff\xff\xff\xff\xff\xff"),
        S("\xcf\x7f\xff\xff\xff\xff\xff\xff\xff")},
    {SIG_INT, S("\xcf\x80\x00\x00\x00\x00\x00\x00\x00"), NULL, 0},
    {SIG_INT, S("\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00"), NULL, 0},
    {SIG_INT,
        S("\xa1"
          "1"),
        NULL, 0},
    {SIG_INT, S("\xc3"), NULL, 0},
    {SIG_FLOAT, S("\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00"),
        S("\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00")},
    {SIG_FLOAT, S("\xca\x3f\xc0\x00\x00"),
        S("\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00")},
    {SIG_FLOAT, S("\x02"), S("\xcb\x40\x00\x00\x00\x00\x00\x00\x00")},
    {SIG_FLOAT, S("\xfe"), S("\xcb\xc0\x00\x00\x00\x00\x00\x00\x00")},
    {SIG_FLOAT, S("\xa1x"), NULL, 0},
    {SIG_BOOL, S("\xc2"), S("\xc2")},
    {SIG_BOOL, S("\x01"), NULL, 0},
    {SIG_STR, S("\xa2hi"), S("\xa2hi")},
    {SIG_STR, S("\xa1\xff"), NULL, 0},
    {SIG_STR, S("\xc4\x02hi"), NULL, 0},
    {SIG_BYTES, S("\xc4\x01\xff"), S("\xc4\x01\xff")},
    {SIG_BYTES, S("\xa2hi"), S("\xc4\x02hi")},
    {SIG_BYTES, S("\x01"), NULL, 0},
    {SIG_ANY, S("\x92\x01\xc0"), S("\x92\x01\xc0")},
    {SIG_ANY, S("\xd4\x05\x07"), S("\xd4\x05\x07")},
    {SIG_JSON, S("\x81\xa1k\x01"), S("\x81\xa1k\x01")},
    {SIG_ARRAY, S("\x91\x01"), S("\x91\x01")},
    {SIG_ARRAY, S("\x80"), NULL, 0},
    {SIG_MAP, S("\x80"), S("\x80")},
    {SIG_MAP, S("\x90"), NULL, 0},
};

START_TEST(test_convert_typed_table)
{
	const struct test_typed *t = &test_typed_cases[_i];
	struct evbuffer *buf = evbuffer_new();
	struct duet_err err;
	msgpack_packer pk;
	msgpack_unpacked u;
	size_t off = 0, len;
	char *got, want[64];
	int rc;

	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, t->in, t->inlen, &off),
	    MSGPACK_UNPACK_SUCCESS);
	convert_packer_init(&pk, buf);
	rc = convert_typed(&pk, &u.data, t->type, &err);
	got = test_take(buf, &len);
	if (t->out == NULL) {
		ck_assert_msg(rc == -1, "case %d accepted", _i);
		snprintf(
		    want, sizeof(want), "expected %s", sig_type_name(t->type));
		ck_assert_str_eq(err.msg, want);
		ck_assert_uint_eq(len, 0);
	} else {
		ck_assert_msg(rc == 0, "case %d: %s", _i, err.msg);
		test_assert_bytes(got, len, t->out, t->outlen, "typed");
	}
	free(got);
	msgpack_unpacked_destroy(&u);
	evbuffer_free(buf);
}
END_TEST

/* JSON -> msgpack -> JSON */

/* Parses json with max_nesting, then renders the result back as JSON. */
static char *
test_json_round(const char *json, size_t len, int max_nesting, int *rc,
    struct duet_err *err)
{
	struct evbuffer *buf = evbuffer_new();
	msgpack_packer pk;
	size_t plen;
	char *packed, *out;

	convert_packer_init(&pk, buf);
	*rc = convert_json_to_msgpack(&pk, json, len, max_nesting, err);
	packed = test_take(buf, &plen);
	evbuffer_free(buf);
	if (*rc == -1) {
		ck_assert_uint_eq(plen, 0);
		free(packed);
		return NULL;
	}
	out = test_msgpack_json(packed, plen, rc, err);
	free(packed);
	return out;
}

struct test_json {
	const char *in;
	const char *out; /* exact JSON text back, or NULL */
	const char *msg; /* else err->msg */
};

static const struct test_json test_json_cases[] = {
    {"null", "null", NULL},
    {"true", "true", NULL},
    {" false ", "false", NULL},
    {"0", "0", NULL},
    {"-0", "0", NULL},
    {"-17", "-17", NULL},
    {"1.5", "1.5", NULL},
    {"0.1", "0.1", NULL},
    {"1.0", "1.0", NULL},
    {"-0.0", "-0.0", NULL},
    {"1e3", "1000.0", NULL},
    {"1E-2", "0.01", NULL},
    {"1e300", "1e+300", NULL},
    {"9223372036854775807", "9223372036854775807", NULL},
    {"-9223372036854775808", "-9223372036854775808", NULL},
    {"18446744073709551615", "18446744073709551615", NULL},
    {"18446744073709551616", "1.8446744073709552e+19", NULL},
    {"-9223372036854775809", "-9.223372036854776e+18", NULL},
    {"\"\"", "\"\"", NULL},
    {"\"a\\\"b\\\\c\\/d\\n\\t\"", "\"a\\\"b\\\\c/d\\n\\t\"", NULL},
    {"\"\\u00e9\"", "\"\xc3\xa9\"", NULL},
    {"\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"", NULL},
    {"\"\xe2\x82\xac\"", "\"\xe2\x82\xac\"", NULL},
    {"\"\\u0001\"", "\"\\u0001\"", NULL},
    {"[]", "[]", NULL},
    {"{}", "{}", NULL},
    {" [ 1 , [ 2 , [ ] ] , { } ] ", "[1,[2,[]],{}]", NULL},
    {"{\"a\":1,\"b\":[true,null],\"c\":{\"d\":\"e\"}}",
        "{\"a\":1,\"b\":[true,null],\"c\":{\"d\":\"e\"}}", NULL},
    {"{\"$base64\":\"/w==\"}", "{\"$base64\":\"/w==\"}", NULL},
    {"{\"$base64\":\"aGk=\"}", "\"hi\"", NULL},
    {"{\"$base64\":\"\"}", "\"\"", NULL},
    {"[{\"$base64\":\"gICA\"}]", "[{\"$base64\":\"gICA\"}]", NULL},
    {"{\"$base64\":\"AAEC\"}", "\"\\u0000\\u0001\\u0002\"", NULL},
    {"{\"$base64\":\"!!\"}", "{\"$base64\":\"!!\"}", NULL},
    {"{\"$base64\":\"aGk\"}", "{\"$base64\":\"aGk\"}", NULL},
    {"{\"$base64\":1}", "{\"$base64\":1}", NULL},
    {"{\"$base64\":\"aGk=\",\"x\":1}", "{\"$base64\":\"aGk=\",\"x\":1}", NULL},
    {"{\"x\":1,\"$base64\":\"aGk=\"}", "{\"x\":1,\"$base64\":\"aGk=\"}", NULL},
    {"", NULL, "invalid JSON at offset 0: premature EOF"},
    {"   ", NULL, "invalid JSON at offset 3: premature EOF"},
    {"[1,2", NULL, "invalid JSON at offset 4: premature EOF"},
    {"1 2", NULL, "invalid JSON at offset 3: trailing garbage"},
    {"[1] x", NULL, "invalid JSON at offset 5: trailing garbage"},
    {"[1]]", NULL, "invalid JSON at offset 4: trailing garbage"},
    {"{1:2}", NULL,
        "invalid JSON at offset 2: invalid object key (must be a string)"},
    {"[01]", NULL,
        "invalid JSON at offset 3: after array element, I expect ',' or "
        "']'"},
    {"[1,2,x]", NULL,
        "invalid JSON at offset 6: invalid char in json "
        "text."},
    {"\"\xff\"", NULL,
        "invalid JSON at offset 2: invalid bytes in UTF8 "
        "string."},
    {"[NaN]", NULL,
        "invalid JSON at offset 2: invalid char in json "
        "text."},
    {"1e999", NULL, "invalid JSON at offset 5: number out of range"},
    {"[\"\\udc00\"]", NULL,
        "invalid JSON at offset 9: unpaired surrogate in string"},
    {"{\"\\ude00\":1}", NULL,
        "invalid JSON at offset 9: unpaired surrogate in string"},
    {"[-1e400]", NULL, "invalid JSON at offset 7: number out of range"},
};

START_TEST(test_convert_json_table)
{
	const struct test_json *t = &test_json_cases[_i];
	struct duet_err err;
	char *out;
	int rc;

	out = test_json_round(t->in, strlen(t->in), 32, &rc, &err);
	if (t->out != NULL) {
		ck_assert_msg(rc == 0, "case %d: %s", _i, err.msg);
		ck_assert_str_eq(out, t->out);
	} else {
		ck_assert_msg(rc == -1, "case %d accepted", _i);
		ck_assert_str_eq(err.code, "ERR");
		ck_assert_str_eq(err.msg, t->msg);
	}
	free(out);
}
END_TEST

/* n nested arrays around 1, e.g. [[1]] for 2. */
static char *
test_nested(int n, char open, char close)
{
	char *s = malloc((size_t)n * 2 + 2), *p = s;
	int i;

	for (i = 0; i < n; i++)
		*p++ = open;
	*p++ = '1';
	for (i = 0; i < n; i++)
		*p++ = close;
	*p = '\0';
	return s;
}

START_TEST(test_convert_json_depth_limit)
{
	struct duet_err err;
	char *in, *out;
	int rc;

	in = test_nested(32, '[', ']');
	out = test_json_round(in, strlen(in), 32, &rc, &err);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out, in);
	free(out);
	free(in);

	in = test_nested(33, '[', ']');
	out = test_json_round(in, strlen(in), 32, &rc, &err);
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(err.msg, "JSON nested deeper than 32 levels");
	free(in);

	out = test_json_round("[[]]", 4, 1, &rc, &err);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(err.msg, "JSON nested deeper than 1 levels");
	out = test_json_round("7", 1, 0, &rc, &err);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out, "7");
	free(out);
}
END_TEST

START_TEST(test_convert_json_deep_input_is_refused_early)
{
	/* 100k unclosed brackets: refused at depth 33, no stack growth. */
	size_t n = 100000;
	char *in = malloc(n);
	struct duet_err err;
	int rc;

	memset(in, '[', n);
	ck_assert_ptr_null(test_json_round(in, n, 32, &rc, &err));
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(err.msg, "JSON nested deeper than 32 levels");
	free(in);
}
END_TEST

START_TEST(test_convert_json_big_integers)
{
	struct evbuffer *buf = evbuffer_new();
	struct duet_err err;
	msgpack_packer pk;
	size_t len;
	char *got;

	convert_packer_init(&pk, buf);
	ck_assert_int_eq(
	    convert_json_to_msgpack(&pk,
	        S("[18446744073709551615,-9223372036854775808]"), 32, &err),
	    0);
	got = test_take(buf, &len);
	test_assert_bytes(got, len,
	    S("\x92\xcf\xff\xff\xff\xff\xff\xff\xff\xff"
	      "\xd3\x80\x00\x00\x00\x00\x00\x00\x00"),
	    "big ints");
	free(got);
	evbuffer_free(buf);
}
END_TEST

START_TEST(test_convert_json_large_array)
{
	/* Containers of more than 65535 elements get 32-bit counts. */
	size_t n = 70000, i;
	char *in = malloc(n * 2 + 2), *out;
	struct duet_err err;
	int rc;

	in[0] = '[';
	for (i = 0; i < n; i++) {
		in[1 + i * 2] = '0';
		in[2 + i * 2] = i + 1 < n ? ',' : ']';
	}
	in[n * 2 + 1] = '\0';
	out = test_json_round(in, n * 2 + 1, 32, &rc, &err);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out, in);
	free(out);
	free(in);
}
END_TEST

/* msgpack -> JSON only */

struct test_tojson {
	const char *in; /* packed msgpack */
	size_t inlen;
	const char *out; /* or NULL */
	const char *msg;
};

static const struct test_tojson test_tojson_cases[] = {
    {S("\xc4\x02hi"), "\"hi\"", NULL},
    {S("\xc4\x03\x00\xff\x10"), "{\"$base64\":\"AP8Q\"}", NULL},
    {S("\xc4\x00"), "\"\"", NULL},
    {S("\xa2\xff\xfe"), "{\"$base64\":\"//4=\"}", NULL},
    {S("\xd5\x01OK"), "\"OK\"", NULL},
    {S("\xd4\x01\xff"), "{\"$ext\":1,\"$base64\":\"/w==\"}", NULL},
    {S("\xd5\x07\x01\x02"), "{\"$ext\":7,\"$base64\":\"AQI=\"}", NULL},
    {S("\xc7\x03\xfe"
       "abc"),
        "{\"$ext\":-2,\"$base64\":\"YWJj\"}", NULL},
    {S("\x84\x01\x02\xc3\x03\xc0\x04\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00"
       "\x05"),
        "{\"1\":2,\"true\":3,\"null\":4,\"1.5\":5}", NULL},
    {S("\x81\xc4\x01\xff\x01"), "{\"{\\\"$base64\\\":\\\"/w==\\\"}\":1}", NULL},
    {S("\x81\xd4\x05\x00\x01"),
        "{\"{\\\"$ext\\\":5,\\\"$base64\\\":\\\"AA==\\\"}\":1}", NULL},
    {S("\x82\xa1k\x01\x91\x01\x02"), NULL,
        "cannot encode a map key that is an array or a map as JSON"},
    {S("\x91\x81\x80\xc0"), NULL,
        "cannot encode a map key that is an array or a map as JSON"},
    {S("\x81\xc4\x01k\xd5\x01OK"), "{\"k\":\"OK\"}", NULL},
    {S("\xca\x3f\xc0\x00\x00"), "1.5", NULL},
    {S("\xcb\x40\x09\x21\xfb\x54\x44\x2d\x18"), "3.141592653589793", NULL},
    {S("\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00"), NULL,
        "cannot encode non-finite float as JSON"},
    {S("\x92\x01\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00"), NULL,
        "cannot encode non-finite float as JSON"},
    {S("\x81\xcb\xff\xf0\x00\x00\x00\x00\x00\x00\x01"), NULL,
        "cannot encode non-finite float as JSON"},
};

START_TEST(test_convert_json_from_msgpack)
{
	const struct test_tojson *t = &test_tojson_cases[_i];
	struct duet_err err;
	char *out;
	int rc;

	out = test_msgpack_json(t->in, t->inlen, &rc, &err);
	if (t->out != NULL) {
		ck_assert_msg(rc == 0, "case %d: %s", _i, err.msg);
		ck_assert_str_eq(out, t->out);
	} else {
		ck_assert_msg(rc == -1, "case %d accepted", _i);
		ck_assert_str_eq(err.msg, t->msg);
		ck_assert_str_eq(out, "");
	}
	free(out);
}
END_TEST

/* msgpack -> RESP */

struct test_resp {
	const char *in;
	size_t inlen;
	const char *resp2;
	size_t resp2len;
	const char *resp3;
	size_t resp3len;
};

static const struct test_resp test_resp_cases[] = {
    {S("\x03"), S(":3\r\n"), S(":3\r\n")},
    {S("\xd0\x85"), S(":-123\r\n"), S(":-123\r\n")},
    {S("\xcf\xff\xff\xff\xff\xff\xff\xff\xff"),
        S("$20\r\n18446744073709551615\r\n"),
        S("$20\r\n18446744073709551615\r\n")},
    {S("\xa2hi"), S("$2\r\nhi\r\n"), S("$2\r\nhi\r\n")},
    {S("\xa0"), S("$0\r\n\r\n"), S("$0\r\n\r\n")},
    {S("\xc4\x03"
       "a\r\n"),
        S("$3\r\na\r\n\r\n"), S("$3\r\na\r\n\r\n")},
    {S("\xc0"), S("$-1\r\n"), S("_\r\n")},
    {S("\xc3"), S(":1\r\n"), S("#t\r\n")},
    {S("\xc2"), S(":0\r\n"), S("#f\r\n")},
    {S("\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00"), S("$3\r\n1.5\r\n"),
        S(",1.5\r\n")},
    {S("\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00"), S("$3\r\ninf\r\n"),
        S(",inf\r\n")},
    {S("\xcb\xff\xf0\x00\x00\x00\x00\x00\x00"), S("$4\r\n-inf\r\n"),
        S(",-inf\r\n")},
    {S("\x90"), S("*0\r\n"), S("*0\r\n")},
    {S("\x92\x01\x91\xa1x"), S("*2\r\n:1\r\n*1\r\n$1\r\nx\r\n"),
        S("*2\r\n:1\r\n*1\r\n$1\r\nx\r\n")},
    {S("\x80"), S("*0\r\n"), S("%0\r\n")},
    {S("\x82\xa1"
       "a\x01\xa1"
       "b\xc0"),
        S("*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n"),
        S("%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n")},
    {S("\xd5\x01OK"), S("+OK\r\n"), S("+OK\r\n")},
    {S("\xc7\x04\x01"
       "a\r\nb"),
        S("+a  b\r\n"), S("+a  b\r\n")},
    {S("\xd5\x09xy"), S("$2\r\nxy\r\n"), S("$2\r\nxy\r\n")},
};

START_TEST(test_convert_resp_table)
{
	const struct test_resp *t = &test_resp_cases[_i];
	size_t len;
	char *got;

	got = test_msgpack_resp(t->in, t->inlen, 0, &len);
	test_assert_bytes(got, len, t->resp2, t->resp2len, "resp2");
	free(got);
	got = test_msgpack_resp(t->in, t->inlen, 1, &len);
	test_assert_bytes(got, len, t->resp3, t->resp3len, "resp3");
	free(got);
}
END_TEST

#define TEST_N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Untrusted msgpack headers: counts larger than the bytes left. */
static const struct {
	const char *name;
	const char *bytes;
	size_t len;
	int ok;
	size_t used;
} test_check_cases[] = {
    {"fixint", "\x05", 1, 1, 1},
    {"array of two", "\x92\x01\x02", 3, 1, 3},
    {"value then trailing byte", "\x01\x02", 2, 1, 1},
    {"map16 with one pair", "\xde\x00\x01\xa1k\xc0", 6, 1, 6},
    {"str8", "\xd9\x02hi", 4, 1, 4},
    {"ext8", "\xc7\x01\x05x", 4, 1, 4},
    {"array32 claiming 4 billion", "\xdd\xff\xff\xff\xff", 5, 0, 0},
    {"array16 claiming more than it holds", "\xdc\x00\x10\x01", 4, 0, 0},
    {"map claiming pairs", "\x81\x01", 2, 0, 0},
    {"str32 longer than the input", "\xdb\x00\x00\x01\x00a", 6, 0, 0},
    {"empty input", "", 0, 0, 0},
    {"never-used byte", "\xc1", 1, 0, 0},
    {"truncated float", "\xcb\x00", 2, 0, 0},
    {"two levels within max_nesting 2", "\x91\x91\x01", 3, 1, 3},
    {"three levels over max_nesting 2", "\x91\x91\x91\x01", 4, 0, 0},
    {"empty map too deep counts", "\x91\x91\x80", 3, 0, 0},
    {"scalar keys", "\x83\x01\xc0\xc3\xc0\xc4\x01\xff\xc0", 9, 1, 9},
    {"array as a map value", "\x81\x01\x91\x01", 4, 1, 4},
    {"array as a map key", "\x81\x91\x01\x02", 4, 0, 0},
    {"map as a second key", "\x82\x01\x02\x80\x03", 5, 0, 0},
    {"map key in a nested map", "\x91\x81\x80\xc0", 4, 0, 0},
};

/*
 * The body of issue 9: {"message": {{{...: nil}: nil}: nil}}, 28 maps
 * deep as keys (66 bytes), whose JSON text doubled at each level.
 */
static size_t
test_key_bomb(char *buf)
{
	size_t n = 0;
	int i;

	memcpy(buf, "\x81\xa7message", 9);
	n = 9;
	for (i = 0; i < 28; i++)
		buf[n++] = (char)0x81;
	for (i = 0; i < 29; i++)
		buf[n++] = (char)0xc0;
	return n;
}

START_TEST(test_convert_msgpack_check_refuses_key_bomb)
{
	struct duet_err err;
	char buf[80];
	size_t used, n = test_key_bomb(buf);

	ck_assert_uint_eq(n, 66);
	ck_assert_int_eq(convert_msgpack_check(buf, n, 32, &used, &err), -1);
	ck_assert_str_eq(
	    err.msg, "msgpack map key at offset 10 is an array or a map");
}
END_TEST

START_TEST(test_convert_json_refuses_key_bomb)
{
	struct duet_err err;
	char buf[80];
	size_t n = test_key_bomb(buf);
	char *out;
	int rc;

	out = test_msgpack_json(buf, n, &rc, &err);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(err.msg,
	    "cannot encode a map key that is an array or a map as JSON");
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

/* Packs an array of n strings of 100 'x' each; returns its length. */
static char *
test_big_array(size_t n, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	char x[100];
	size_t i;

	memset(x, 'x', sizeof(x));
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, (uint32_t)n);
	for (i = 0; i < n; i++) {
		msgpack_pack_str(&pk, sizeof(x));
		msgpack_pack_str_body(&pk, x, sizeof(x));
	}
	*len = sb.size;
	return msgpack_sbuffer_release(&sb);
}

/* The encoders stop at their limit while writing, and write nothing. */
START_TEST(test_convert_encoders_stop_at_limit)
{
	struct evbuffer *out = evbuffer_new();
	msgpack_unpacked u;
	struct duet_err err;
	size_t len, off = 0;
	char *mp = test_big_array(1000, &len);

	msgpack_unpacked_init(&u);
	ck_assert_int_eq(
	    msgpack_unpack_next(&u, mp, len, &off), MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(convert_msgpack_to_json(out, &u.data, 5000, &err), -1);
	ck_assert_str_eq(err.msg, "reply is larger than 5000 bytes");
	ck_assert_uint_eq(evbuffer_get_length(out), 0);
	ck_assert_int_eq(
	    convert_msgpack_to_json(out, &u.data, 200000, &err), 0);
	ck_assert_uint_eq(evbuffer_get_length(out), 1000 * 103 + 1);
	evbuffer_drain(out, evbuffer_get_length(out));
	ck_assert_int_eq(
	    resp_add_msgpack_max(out, &u.data, 0, len, 5000, &err), -1);
	ck_assert_str_eq(err.msg, "reply is larger than 5000 bytes");
	ck_assert_uint_eq(evbuffer_get_length(out), 0);
	ck_assert_int_eq(
	    resp_add_msgpack_max(out, &u.data, 1, len, 200000, &err), 0);
	ck_assert_uint_eq(evbuffer_get_length(out), 7 + 1000 * 108);
	evbuffer_drain(out, evbuffer_get_length(out));
	/* A scalar over the limit takes the generator's path and fails. */
	ck_assert_int_eq(
	    convert_msgpack_to_json(out, &u.data.via.array.ptr[0], 50, &err),
	    -1);
	ck_assert_uint_eq(evbuffer_get_length(out), 0);
	msgpack_unpacked_destroy(&u);
	free(mp);
	evbuffer_free(out);
}
END_TEST

START_TEST(test_convert_msgpack_check_table)
{
	struct duet_err err;
	size_t used = 0;
	int rv;

	rv = convert_msgpack_check(test_check_cases[_i].bytes,
	    test_check_cases[_i].len, 2, &used, &err);
	ck_assert_msg((rv == 0) == test_check_cases[_i].ok, "%s",
	    test_check_cases[_i].name);
	if (rv == 0)
		ck_assert_uint_eq(used, test_check_cases[_i].used);
}
END_TEST

/* convert_buf: packed on the caller's buffer, then on the heap. */
START_TEST(test_convert_buf)
{
	char local[8], big[100];
	struct convert_buf b;
	msgpack_packer pk;

	memset(big, 'x', sizeof(big));
	convert_buf_init(&b, local, sizeof(local));
	msgpack_packer_init(&pk, &b, convert_buf_write);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int(&pk, 1);
	ck_assert_ptr_eq(b.data, local);
	ck_assert_mem_eq(b.data, "\x92\x01", 2);
	msgpack_pack_bin(&pk, sizeof(big));
	msgpack_pack_bin_body(&pk, big, sizeof(big));
	ck_assert_ptr_ne(b.data, local);
	ck_assert_uint_eq(b.size, 4 + sizeof(big));
	ck_assert_mem_eq(b.data, "\x92\x01\xc4\x64", 4);
	ck_assert_mem_eq(b.data + 4, big, sizeof(big));
	ck_assert_int_eq(b.failed, 0);
	convert_buf_fini(&b);
	ck_assert_ptr_eq(b.data, local);
}
END_TEST

static Suite *
convert_suite(void)
{
	Suite *s = suite_create("convert");
	TCase *tc;

	tc = tcase_create("text");
	tcase_add_test(tc, test_convert_buf);
	tcase_add_loop_test(
	    tc, test_convert_text_good, 0, TEST_N(test_text_cases));
	tcase_add_loop_test(
	    tc, test_convert_text_bad, 0, TEST_N(test_text_bad_cases));
	tcase_add_loop_test(
	    tc, test_convert_text_object_good, 0, TEST_N(test_text_cases));
	tcase_add_loop_test(
	    tc, test_convert_text_object_bad, 0, TEST_N(test_text_bad_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("typed");
	tcase_add_loop_test(
	    tc, test_convert_typed_table, 0, TEST_N(test_typed_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("json_to_msgpack");
	tcase_add_loop_test(
	    tc, test_convert_json_table, 0, TEST_N(test_json_cases));
	tcase_add_test(tc, test_convert_json_depth_limit);
	tcase_add_test(tc, test_convert_json_deep_input_is_refused_early);
	tcase_add_test(tc, test_convert_json_big_integers);
	tcase_add_test(tc, test_convert_json_large_array);
	suite_add_tcase(s, tc);

	tc = tcase_create("msgpack_to_json");
	tcase_add_loop_test(
	    tc, test_convert_json_from_msgpack, 0, TEST_N(test_tojson_cases));
	tcase_add_test(tc, test_convert_json_refuses_key_bomb);
	tcase_add_test(tc, test_convert_encoders_stop_at_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("msgpack_check");
	tcase_add_loop_test(
	    tc, test_convert_msgpack_check_table, 0, TEST_N(test_check_cases));
	tcase_add_test(tc, test_convert_msgpack_check_refuses_key_bomb);
	suite_add_tcase(s, tc);

	tc = tcase_create("msgpack_to_resp");
	tcase_add_loop_test(
	    tc, test_convert_resp_table, 0, TEST_N(test_resp_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(convert_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
