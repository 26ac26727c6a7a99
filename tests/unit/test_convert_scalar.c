/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the reply fast paths of convert: convert_unpack_scalar
 * gives what msgpack_unpack gives for every scalar (and refuses the
 * rest), and the JSON text of strings and numbers written without yajl
 * is byte for byte what yajl's generator writes.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <msgpack.h>
#include <yajl/yajl_gen.h>

#include "convert.h"
#include "util.h"

/* Packs one value with pack(pk) into sb (initialised here). */
#define TEST_PACK(sb, pk, call)                                                \
	do {                                                                   \
		msgpack_sbuffer_init(&(sb));                                   \
		msgpack_packer_init(&(pk), &(sb), msgpack_sbuffer_write);      \
		call;                                                          \
	} while (0)

/* Both unpackers agree on mp[0..len): same result, same object. */
static void
test_same_unpack(const char *mp, size_t len, const char *name)
{
	msgpack_zone z;
	msgpack_object want, got;
	size_t off = 0;
	int ok;

	msgpack_zone_init(&z, 1024);
	ok = len > 0 &&
	    msgpack_unpack(mp, len, &off, &z, &want) ==
	        MSGPACK_UNPACK_SUCCESS &&
	    off == len && want.type != MSGPACK_OBJECT_ARRAY &&
	    want.type != MSGPACK_OBJECT_MAP;
	if (!ok) {
		ck_assert_msg(convert_unpack_scalar(mp, len, &got) == -1,
		    "%s: took what msgpack-c does not give as a scalar", name);
		msgpack_zone_destroy(&z);
		return;
	}
	ck_assert_msg(convert_unpack_scalar(mp, len, &got) == 0,
	    "%s: refused a scalar", name);
	ck_assert_msg(got.type == want.type, "%s: type %d, want %d", name,
	    (int)got.type, (int)want.type);
	ck_assert_msg(msgpack_object_equal(got, want), "%s: differs", name);
	/* An empty one's pointer is msgpack-c's whim (NULL, or the length
	 * field's); ours points past the header. */
	if ((want.type == MSGPACK_OBJECT_STR ||
	        want.type == MSGPACK_OBJECT_BIN) &&
	    want.via.str.size != 0)
		ck_assert_msg(got.via.str.ptr == want.via.str.ptr &&
		        got.via.str.size == want.via.str.size,
		    "%s: bytes", name);
	if (want.type == MSGPACK_OBJECT_EXT)
		ck_assert_msg(got.via.ext.ptr == want.via.ext.ptr &&
		        got.via.ext.size == want.via.ext.size &&
		        got.via.ext.type == want.via.ext.type,
		    "%s: ext", name);
	msgpack_zone_destroy(&z);
}

/* Raw encodings, including the ones msgpack-c's packer never makes. */
static const struct {
	const char *name;
	const char *mp;
	size_t len;
} test_raw_cases[] = {
    {"nil", "\xc0", 1},
    {"false", "\xc2", 1},
    {"true", "\xc3", 1},
    {"fixint 0", "\x00", 1},
    {"fixint 127", "\x7f", 1},
    {"fixint -1", "\xff", 1},
    {"fixint -32", "\xe0", 1},
    {"uint8", "\xcc\xff", 2},
    {"uint16", "\xcd\xff\xfe", 3},
    {"uint32", "\xce\xff\xfe\xfd\xfc", 5},
    {"uint64 max", "\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9},
    {"int8 positive", "\xd0\x05", 2},
    {"int8 -128", "\xd0\x80", 2},
    {"int16 -2", "\xd1\xff\xfe", 3},
    {"int16 positive", "\xd1\x01\x00", 3},
    {"int32 min", "\xd2\x80\x00\x00\x00", 5},
    {"int64 min", "\xd3\x80\x00\x00\x00\x00\x00\x00\x00", 9},
    {"int64 positive", "\xd3\x00\x00\x00\x00\x00\x00\x01\x00", 9},
    {"float32 1.5", "\xca\x3f\xc0\x00\x00", 5},
    {"float64 -0.1", "\xcb\xbf\xb9\x99\x99\x99\x99\x99\x9a", 9},
    {"fixstr empty", "\xa0", 1},
    {"fixstr",
        "\xa3"
        "abc",
        4},
    {"str8 long form",
        "\xd9\x02"
        "ab",
        4},
    {"str16",
        "\xda\x00\x01"
        "a",
        4},
    {"str32",
        "\xdb\x00\x00\x00\x02"
        "ab",
        7},
    {"bin8",
        "\xc4\x03"
        "a\0b",
        5},
    {"bin8 empty", "\xc4\x00", 2},
    {"bin16",
        "\xc5\x00\x01"
        "\xff",
        4},
    {"bin32",
        "\xc6\x00\x00\x00\x01"
        "\x80",
        6},
    {"fixext1",
        "\xd4\x01"
        "a",
        3},
    {"fixext2 negative type",
        "\xd5\xfe"
        "ab",
        4},
    {"fixext4",
        "\xd6\x01"
        "abcd",
        6},
    {"fixext8",
        "\xd7\x05"
        "abcdefgh",
        10},
    {"fixext16",
        "\xd8\x05"
        "abcdefghijklmnop",
        18},
    {"ext8 status",
        "\xc7\x04\x01"
        "PONG",
        7},
    {"ext8 empty", "\xc7\x00\x07", 3},
    {"ext16",
        "\xc8\x00\x02\x03"
        "ab",
        6},
    {"ext32",
        "\xc9\x00\x00\x00\x01\x03"
        "a",
        7},
    /* Refused: not one scalar. */
    {"empty", "", 0},
    {"fixarray empty", "\x90", 1},
    {"fixmap empty", "\x80", 1},
    {"array16", "\xdc\x00\x01\xc0", 4},
    {"map32", "\xdf\x00\x00\x00\x01\xc0\xc0", 7},
    {"never used", "\xc1", 1},
    {"two values", "\xc0\xc0", 2},
    {"fixint then more", "\x01\x02", 2},
    {"uint16 short", "\xcd\xff", 2},
    {"uint16 long", "\xcd\xff\xff\x00", 4},
    {"float32 short", "\xca\x3f\xc0", 3},
    {"fixstr short",
        "\xa3"
        "ab",
        3},
    {"fixstr long",
        "\xa1"
        "ab",
        3},
    {"str8 no length", "\xd9", 1},
    {"str32 short length", "\xdb\x00\x00", 3},
    {"str32 huge",
        "\xdb\xff\xff\xff\xff"
        "a",
        6},
    {"bin8 short",
        "\xc4\x05"
        "ab",
        4},
    {"fixext4 short",
        "\xd6\x01"
        "abc",
        5},
    {"fixext1 no type", "\xd4", 1},
    {"ext8 no type", "\xc7\x00", 2},
    {"ext8 long",
        "\xc7\x01\x01"
        "ab",
        5},
};

START_TEST(test_unpack_scalar_raw)
{
	test_same_unpack(test_raw_cases[_i].mp, test_raw_cases[_i].len,
	    test_raw_cases[_i].name);
}
END_TEST

/* Every length boundary of str, bin and ext as msgpack-c packs them. */
START_TEST(test_unpack_scalar_lengths)
{
	static const size_t lens[] = {0, 1, 2, 3, 4, 5, 8, 9, 16, 17, 31, 32,
	    255, 256, 65535, 65536, 70000};
	char *body = calloc(1, 70000);
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;

	ck_assert_ptr_nonnull(body);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		TEST_PACK(sb, pk,
		    (msgpack_pack_str(&pk, lens[i]),
		        msgpack_pack_str_body(&pk, body, lens[i])));
		test_same_unpack(sb.data, sb.size, "str");
		msgpack_sbuffer_destroy(&sb);
		TEST_PACK(sb, pk,
		    (msgpack_pack_bin(&pk, lens[i]),
		        msgpack_pack_bin_body(&pk, body, lens[i])));
		test_same_unpack(sb.data, sb.size, "bin");
		msgpack_sbuffer_destroy(&sb);
		TEST_PACK(sb, pk,
		    (msgpack_pack_ext(&pk, lens[i], 42),
		        msgpack_pack_ext_body(&pk, body, lens[i])));
		test_same_unpack(sb.data, sb.size, "ext");
		msgpack_sbuffer_destroy(&sb);
	}
	free(body);
}
END_TEST

/* Integers around every width boundary, as msgpack-c packs them. */
START_TEST(test_unpack_scalar_ints)
{
	static const int64_t vals[] = {0, 1, 127, 128, 255, 256, 65535, 65536,
	    INT32_MAX, (int64_t)INT32_MAX + 1, INT64_MAX, -1, -32, -33, -128,
	    -129, -32768, -32769, INT32_MIN, (int64_t)INT32_MIN - 1, INT64_MIN};
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		TEST_PACK(sb, pk, msgpack_pack_int64(&pk, vals[i]));
		test_same_unpack(sb.data, sb.size, "int64");
		msgpack_sbuffer_destroy(&sb);
		TEST_PACK(sb, pk, msgpack_pack_uint64(&pk, (uint64_t)vals[i]));
		test_same_unpack(sb.data, sb.size, "uint64");
		msgpack_sbuffer_destroy(&sb);
		TEST_PACK(sb, pk, msgpack_pack_double(&pk, (double)vals[i]));
		test_same_unpack(sb.data, sb.size, "double");
		msgpack_sbuffer_destroy(&sb);
		TEST_PACK(sb, pk, msgpack_pack_float(&pk, (float)vals[i]));
		test_same_unpack(sb.data, sb.size, "float");
		msgpack_sbuffer_destroy(&sb);
	}
}
END_TEST

/* yajl's JSON string of s[0..len): what the fast path must write. */
static char *
test_yajl_string(const char *s, size_t len, size_t *outlen)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	char *copy;

	ck_assert_ptr_nonnull(g);
	yajl_gen_string(g, (const unsigned char *)s, len);
	yajl_gen_get_buf(g, &buf, outlen);
	copy = malloc(*outlen + 1);
	memcpy(copy, buf, *outlen);
	yajl_gen_free(g);
	return copy;
}

/* convert_msgpack_to_json of s as a str is yajl's string of s. */
static void
test_json_str_as_yajl(const char *s, size_t len)
{
	struct evbuffer *out = evbuffer_new();
	msgpack_object o = {.type = MSGPACK_OBJECT_STR};
	struct convert_json_text t;
	struct duet_err err;
	size_t wantlen;
	char *want = test_yajl_string(s, len, &wantlen);

	o.via.str.ptr = s;
	o.via.str.size = (uint32_t)len;
	ck_assert_int_eq(convert_json_measure(&t, &o), 1);
	ck_assert_uint_eq(t.len, wantlen);
	ck_assert_int_eq(convert_msgpack_to_json(out, &o, SIZE_MAX, &err), 0);
	ck_assert_uint_eq(evbuffer_get_length(out), wantlen);
	ck_assert_msg(memcmp(evbuffer_pullup(out, -1), want, wantlen) == 0,
	    "string of %zu bytes differs from yajl's", len);
	free(want);
	evbuffer_free(out);
}

/* Every ASCII byte at every position of a 40-byte string. */
START_TEST(test_json_str_every_ascii_byte)
{
	char s[40];
	size_t pos;
	int c;

	for (c = 0; c < 0x80; c++) {
		for (pos = 0; pos < sizeof(s); pos += 3) {
			memset(s, 'a', sizeof(s));
			s[pos] = (char)c;
			test_json_str_as_yajl(s, sizeof(s));
			test_json_str_as_yajl(s, pos + 1);
		}
	}
}
END_TEST

/* Random strings of valid UTF-8 with escapes, of every length to 300. */
START_TEST(test_json_str_random_utf8)
{
	static const char *const pieces[] = {"a", "Z", " ", "\"", "\\", "/",
	    "\n", "\r", "\t", "\x01", "\x1f", "\x7f", "\xc3\xa9",
	    "\xe2\x82\xac", "\xf0\x9f\x98\x80", "0123456789abcdef"};
	char s[400] = "";
	size_t len, n, k;
	unsigned seed = 12;

	for (len = 0; len < 300; len++) {
		n = 0;
		while (n < len) {
			seed = seed * 1103515245 + 12345;
			k = (seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]));
			memcpy(s + n, pieces[k], strlen(pieces[k]));
			n += strlen(pieces[k]);
		}
		test_json_str_as_yajl(s, n);
	}
}
END_TEST

/* Bytes that are not UTF-8 are not a string: the generator's base64. */
START_TEST(test_json_str_not_utf8)
{
	msgpack_object o = {.type = MSGPACK_OBJECT_STR};
	struct convert_json_text t;
	struct evbuffer *out = evbuffer_new();
	struct duet_err err;

	o.via.str.ptr = "abc\xff";
	o.via.str.size = 4;
	ck_assert_int_eq(convert_json_measure(&t, &o), 0);
	ck_assert_int_eq(convert_msgpack_to_json(out, &o, SIZE_MAX, &err), 0);
	ck_assert_uint_eq(evbuffer_get_length(out), 22);
	ck_assert_int_eq(
	    memcmp(evbuffer_pullup(out, -1), "{\"$base64\":\"YWJj/w==\"}", 22),
	    0);
	evbuffer_free(out);
}
END_TEST

/* Integers, a status and the keywords, as the generator writes them. */
START_TEST(test_json_scalars)
{
	static const struct {
		msgpack_object o;
		const char *json;
	} cases[] = {
	    {{.type = MSGPACK_OBJECT_NIL}, "null"},
	    {{.type = MSGPACK_OBJECT_BOOLEAN, .via.boolean = true}, "true"},
	    {{.type = MSGPACK_OBJECT_BOOLEAN, .via.boolean = false}, "false"},
	    {{.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = 0}, "0"},
	    {{.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = UINT64_MAX},
	        "18446744073709551615"},
	    {{.type = MSGPACK_OBJECT_NEGATIVE_INTEGER, .via.i64 = -1}, "-1"},
	    {{.type = MSGPACK_OBJECT_NEGATIVE_INTEGER, .via.i64 = INT64_MIN},
	        "-9223372036854775808"},
	    {{.type = MSGPACK_OBJECT_EXT,
	         .via.ext = {.type = 1, .size = 2, .ptr = "OK"}},
	        "\"OK\""},
	    {{.type = MSGPACK_OBJECT_BIN, .via.bin = {.size = 0}}, "\"\""},
	};
	struct evbuffer *out = evbuffer_new();
	struct duet_err err;
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(
		    convert_msgpack_to_json(out, &cases[i].o, SIZE_MAX, &err),
		    0);
		n = evbuffer_get_length(out);
		ck_assert_uint_eq(n, strlen(cases[i].json));
		ck_assert_int_eq(
		    memcmp(evbuffer_pullup(out, -1), cases[i].json, n), 0);
		evbuffer_drain(out, n);
		/* one byte short of its text: the generator's error */
		ck_assert_int_eq(
		    convert_msgpack_to_json(out, &cases[i].o, n - 1, &err), -1);
		ck_assert_uint_eq(evbuffer_get_length(out), 0);
	}
	evbuffer_free(out);
}
END_TEST

static Suite *
convert_scalar_suite(void)
{
	Suite *s = suite_create("convert_scalar");
	TCase *tc;

	tc = tcase_create("unpack_scalar");
	tcase_add_loop_test(tc, test_unpack_scalar_raw, 0,
	    sizeof(test_raw_cases) / sizeof(test_raw_cases[0]));
	tcase_add_test(tc, test_unpack_scalar_lengths);
	tcase_add_test(tc, test_unpack_scalar_ints);
	suite_add_tcase(s, tc);

	tc = tcase_create("json_scalar");
	tcase_add_test(tc, test_json_str_every_ascii_byte);
	tcase_add_test(tc, test_json_str_random_utf8);
	tcase_add_test(tc, test_json_str_not_utf8);
	tcase_add_test(tc, test_json_scalars);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(convert_scalar_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
