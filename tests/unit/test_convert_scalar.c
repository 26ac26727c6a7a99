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
