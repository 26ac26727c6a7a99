/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for util: the error struct, strict number parsing, sizes,
 * durations, UTF-8 validation and counted case-insensitive compare.
 * Malformed input goes in tables.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct int_case {
	const char *text;
	int64_t value;
};

static const struct int_case int64_good[] = {
    {"0", 0},
    {"-0", 0},
    {"7", 7},
    {"-7", -7},
    {"007", 7},
    {"9223372036854775807", INT64_MAX},
    {"-9223372036854775808", INT64_MIN},
};

static const char *const int64_bad[] = {"", "-", "+1", " 1", "1 ", "1x", "0x10",
    "1.0", "--1", "9223372036854775808", "-9223372036854775809",
    "99999999999999999999", "1e3", "\t1"};

START_TEST(test_util_int64_good)
{
	const struct int_case *c = &int64_good[_i];
	int64_t v = 42;

	ck_assert_int_eq(util_parse_int64(c->text, strlen(c->text), &v), 0);
	ck_assert_int_eq(v, c->value);
}
END_TEST

START_TEST(test_util_int64_bad)
{
	int64_t v = 42;

	ck_assert_msg(
	    util_parse_int64(int64_bad[_i], strlen(int64_bad[_i]), &v) == -1,
	    "accepted '%s'", int64_bad[_i]);
	ck_assert_int_eq(v, 42);
}
END_TEST

START_TEST(test_util_int64_counted)
{
	int64_t v;

	/* Only len bytes are read: "12" of "123", and a NUL inside fails. */
	ck_assert_int_eq(util_parse_int64("123", 2, &v), 0);
	ck_assert_int_eq(v, 12);
	ck_assert_int_eq(util_parse_int64("1\0002", 3, &v), -1);
}
END_TEST

START_TEST(test_util_uint64)
{
	uint64_t v;

	ck_assert_int_eq(util_parse_uint64("18446744073709551615", 20, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(util_parse_uint64("0", 1, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(util_parse_uint64("18446744073709551616", 20, &v), -1);
	ck_assert_int_eq(util_parse_uint64("-1", 2, &v), -1);
	ck_assert_int_eq(util_parse_uint64("+1", 2, &v), -1);
	ck_assert_int_eq(util_parse_uint64("", 0, &v), -1);
}
END_TEST

static const char *const double_bad[] = {"", " 1", "1 ", "nan", "NaN", "inf",
    "-inf", "infinity", "1e999", "-1e999", "1.5x", "x", ".", "e5", "1,5",
    "\n2"};

START_TEST(test_util_double)
{
	double d;

	ck_assert_int_eq(util_parse_double("1.5", 3, &d), 0);
	ck_assert(d == 1.5);
	ck_assert_int_eq(util_parse_double("-2e3", 4, &d), 0);
	ck_assert(d == -2000.0);
	ck_assert_int_eq(util_parse_double("42", 2, &d), 0);
	ck_assert(d == 42.0);
	ck_assert_int_eq(util_parse_double("0.25xyz", 4, &d), 0);
	ck_assert(d == 0.25);
}
END_TEST

START_TEST(test_util_double_bad)
{
	double d = 7.0;

	ck_assert_msg(
	    util_parse_double(double_bad[_i], strlen(double_bad[_i]), &d) == -1,
	    "accepted '%s'", double_bad[_i]);
	ck_assert(d == 7.0);
}
END_TEST

START_TEST(test_util_double_too_long)
{
	char buf[300];

	memset(buf, '1', sizeof(buf));
	ck_assert_int_eq(util_parse_double(buf, sizeof(buf), &(double){0}), -1);
}
END_TEST

struct u64_case {
	const char *text;
	uint64_t value;
};

static const struct u64_case size_good[] = {
    {"0", 0},
    {"1024", 1024},
    {"1B", 1},
    {"64k", 65536},
    {"64K", 65536},
    {"64KB", 65536},
    {"64KiB", 65536},
    {"64kib", 65536},
    {"1M", 1048576},
    {"1MB", 1048576},
    {"1MiB", 1048576},
    {"1G", 1073741824},
    {"1GiB", 1073741824},
    {"2TiB", 2ULL << 40},
    {"16777215TiB", 16777215ULL << 40},
    {"18446744073709551615", UINT64_MAX},
};

static const char *const size_bad[] = {"", "k", "MiB", "-1", "+1", "1 MiB",
    " 1", "1 ", "1.5MiB", "1KiBB", "1Ki", "1X", "1kb2", "16777216TiB",
    "18446744073709551616", "0x10"};

START_TEST(test_util_size_good)
{
	uint64_t v = 42;

	ck_assert_int_eq(util_parse_size(size_good[_i].text, &v), 0);
	ck_assert_uint_eq(v, size_good[_i].value);
}
END_TEST

START_TEST(test_util_size_bad)
{
	uint64_t v = 42;

	ck_assert_msg(util_parse_size(size_bad[_i], &v) == -1, "accepted '%s'",
	    size_bad[_i]);
	ck_assert_uint_eq(v, 42);
}
END_TEST

static const struct u64_case duration_good[] = {
    {"0", 0},
    {"500ms", 500},
    {"10s", 10000},
    {"10", 10000},
    {"5m", 300000},
    {"1h", 3600000},
    {"0ms", 0},
    {"18446744073709551615ms", UINT64_MAX},
};

static const char *const duration_bad[] = {"", "s", "ms", "-1s", "+1s", "1.5s",
    "10 s", " 10s", "10s ", "10S", "10sec", "1d", "1hm",
    "18446744073709551615s", "99999999999999999999"};

START_TEST(test_util_duration_good)
{
	uint64_t v = 42;

	ck_assert_int_eq(util_parse_duration(duration_good[_i].text, &v), 0);
	ck_assert_uint_eq(v, duration_good[_i].value);
}
END_TEST

START_TEST(test_util_duration_bad)
{
	uint64_t v = 42;

	ck_assert_msg(util_parse_duration(duration_bad[_i], &v) == -1,
	    "accepted '%s'", duration_bad[_i]);
	ck_assert_uint_eq(v, 42);
}
END_TEST

struct utf8_case {
	const char *name;
	const char *bytes;
	size_t len;
	int valid;
};

static const struct utf8_case utf8_cases[] = {
    {"empty", "", 0, 1},
    {"ascii", "hello", 5, 1},
    {"nul", "a\0b", 3, 1},
    {"2-byte", "\xc3\xa9", 2, 1},
    {"3-byte", "\xe2\x82\xac", 3, 1},
    {"4-byte", "\xf0\x9f\x98\x80", 4, 1},
    {"max", "\xf4\x8f\xbf\xbf", 4, 1},
    {"last before surrogates", "\xed\x9f\xbf", 3, 1},
    {"first after surrogates", "\xee\x80\x80", 3, 1},
    {"lone continuation", "\x80", 1, 0},
    {"overlong 2 (c0)", "\xc0\xaf", 2, 0},
    {"overlong 2 (c1)", "\xc1\xbf", 2, 0},
    {"overlong 3", "\xe0\x80\xaf", 3, 0},
    {"overlong 3 max", "\xe0\x9f\xbf", 3, 0},
    {"overlong 4", "\xf0\x80\x80\xaf", 4, 0},
    {"overlong 4 max", "\xf0\x8f\xbf\xbf", 4, 0},
    {"surrogate low", "\xed\xa0\x80", 3, 0},
    {"surrogate high", "\xed\xbf\xbf", 3, 0},
    {"above max", "\xf4\x90\x80\x80", 4, 0},
    {"f5", "\xf5\x80\x80\x80", 4, 0},
    {"ff", "\xff", 1, 0},
    {"truncated 2", "\xc3", 1, 0},
    {"truncated 3", "\xe2\x82", 2, 0},
    {"truncated 4", "\xf0\x9f\x98", 3, 0},
    {"bad continuation", "\xc3\x28", 2, 0},
    {"valid then truncated", "ab\xe2\x82", 4, 0},
    /* Long ASCII runs take the eight-bytes-at-a-time path. */
    {"long ascii", "abcdefghijklmnopqrstuvwxyz", 26, 1},
    {"long ascii then ff", "abcdefghijklmnop\xff", 17, 0},
    {"ff inside a word",
        "abc\xff"
        "efghijkl",
        12, 0},
    {"2-byte after 8 ascii", "abcdefgh\xc3\xa9ijklmnop", 18, 1},
    {"surrogate after 7 ascii", "abcdefg\xed\xa0\x80zzzzzzzz", 18, 0},
    {"truncated at the end of a long run", "abcdefghijklmnop\xe2\x82", 18, 0},
    {"ff after 40 ascii", "0123456789012345678901234567890123456789\xff", 41,
        0},
    {"ff in the 4th word of 32",
        "012345678901234567890123456\xff"
        "01234567",
        36, 0},
    {"4-byte after 32 ascii",
        "01234567890123456789012345678901\xf0\x9f\x98\x80"
        "0123456789012345678901234567890123",
        70, 1},
    {"c0 80 after 64 ascii",
        "0123456789012345678901234567890123456789012345678901234567890123"
        "\xc0\x80",
        66, 0},
};

START_TEST(test_util_utf8)
{
	const struct utf8_case *c = &utf8_cases[_i];

	ck_assert_msg(
	    util_utf8_valid(c->bytes, c->len) == c->valid, "%s", c->name);
}
END_TEST

/* util_printable: s, len, space_ok, expected. */
static const struct printable_case {
	const char *name;
	const char *bytes;
	size_t len;
	int space_ok;
	int printable;
} printable_cases[] = {
    {"empty", "", 0, 0, 1},
    {"short", "abc", 3, 0, 1},
    {"long", "abcdefghijklmnopqrstuvwxyz~!", 28, 0, 1},
    {"space refused", "abcdefgh ijk", 12, 0, 0},
    {"space allowed", "abcdefgh ijk", 12, 1, 1},
    {"tab in a word", "abc\tefghijkl", 12, 1, 0},
    {"DEL in a word", "abcdefg\x7fijkl", 12, 1, 0},
    {"0x80 at the end", "abcdefghijklmnop\x80", 17, 1, 0},
    {"NUL in the tail", "abcdefghij\0l", 12, 1, 0},
    {"0x21 and 0x7e", "!~!~!~!~!~", 10, 0, 1},
    {"0x1f in a word",
        "abcd\x1f"
        "efghijk",
        12, 1, 0},
};

START_TEST(test_util_printable)
{
	const struct printable_case *c = &printable_cases[_i];

	ck_assert_msg(
	    util_printable(c->bytes, c->len, c->space_ok) == c->printable, "%s",
	    c->name);
}
END_TEST

START_TEST(test_util_strcaseeq)
{
	ck_assert_int_eq(util_strcaseeq("PING", 4, "ping"), 1);
	ck_assert_int_eq(util_strcaseeq("PiNg", 4, "pInG"), 1);
	ck_assert_int_eq(util_strcaseeq("PINGX", 4, "ping"), 1);
	ck_assert_int_eq(util_strcaseeq("PIN", 3, "ping"), 0);
	ck_assert_int_eq(util_strcaseeq("PINGS", 5, "ping"), 0);
	ck_assert_int_eq(util_strcaseeq("", 0, ""), 1);
	ck_assert_int_eq(util_strcaseeq("", 0, "a"), 0);
	ck_assert_int_eq(util_strcaseeq("a\0", 2, "a"), 0);
	ck_assert_int_eq(util_strcaseeq("[", 1, "{"), 0);
	ck_assert_int_eq(util_strcaseeq("\xc3\xa9", 2, "\xc3\x89"), 0);
}
END_TEST

START_TEST(test_util_err_set)
{
	struct duet_err err;
	char longcode[100];

	util_err_set(&err, "ERR", "bad %s %d", "arg", 7);
	ck_assert_str_eq(err.code, "ERR");
	ck_assert_str_eq(err.msg, "bad arg 7");
	memset(longcode, 'C', sizeof(longcode) - 1);
	longcode[sizeof(longcode) - 1] = '\0';
	util_err_set(&err, longcode, "%s", "x");
	ck_assert_uint_eq(strlen(err.code), sizeof(err.code) - 1);
	util_err_set(&err, "E", "%0600d", 1);
	ck_assert_uint_eq(strlen(err.msg), sizeof(err.msg) - 1);
	util_err_set(NULL, "ERR", "%s", "ignored");
}
END_TEST

/* Messages are printable UTF-8 whatever the bytes; codes one word. */
static const struct {
	const char *in;
	const char *want;
} repr_cases[] = {
    {"plain text", "plain text"},
    {"caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"},
    {"unknown command '\xff\xfe'", "unknown command '\\xff\\xfe'"},
    {"a\r\nb\tc\x01\x7f \\x", "a\r\nb\tc\x01\x7f \\x"},
    {"cut \xe2\x82", "cut \\xe2\\x82"},
    {"overlong \xc0\xaf", "overlong \\xc0\\xaf"},
    {"surrogate \xed\xa0\x80!", "surrogate \\xed\\xa0\\x80!"},
};

START_TEST(test_util_err_set_escapes)
{
	struct duet_err err;

	util_err_set(&err, "ERR", "%s", repr_cases[_i].in);
	ck_assert_str_eq(err.msg, repr_cases[_i].want);
}
END_TEST

START_TEST(test_util_err_set_code_is_one_word)
{
	struct duet_err err;
	char big[600];

	util_err_set(&err, "MY CODE\r\n\xff", "x");
	ck_assert_str_eq(err.code, "MY_CODE___");
	/* Escapes that no longer fit are cut whole. */
	memset(big, 'a', sizeof(big));
	big[509] = '\xff';
	big[510] = '\0';
	util_err_set(&err, "ERR", "%s", big);
	ck_assert_uint_eq(strlen(err.msg), 509);
	ck_assert_int_eq(err.msg[508], 'a');
}
END_TEST

/* util_strlcpy: copied whole when it fits, else cut and terminated. */
START_TEST(test_util_strlcpy)
{
	char buf[6];

	memset(buf, 'x', sizeof(buf));
	util_strlcpy(buf, "abc", sizeof(buf));
	ck_assert_str_eq(buf, "abc");
	util_strlcpy(buf, "abcde", sizeof(buf));
	ck_assert_str_eq(buf, "abcde");
	util_strlcpy(buf, "abcdefgh", sizeof(buf));
	ck_assert_str_eq(buf, "abcde");
	util_strlcpy(buf, "", sizeof(buf));
	ck_assert_str_eq(buf, "");
	util_strlcpy(buf, "abc", 1);
	ck_assert_str_eq(buf, "");
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_create("int");
	tcase_add_loop_test(tc, test_util_int64_good, 0, NELEM(int64_good));
	tcase_add_loop_test(tc, test_util_int64_bad, 0, NELEM(int64_bad));
	tcase_add_test(tc, test_util_int64_counted);
	tcase_add_test(tc, test_util_uint64);
	suite_add_tcase(s, tc);

	tc = tcase_create("double");
	tcase_add_test(tc, test_util_double);
	tcase_add_loop_test(tc, test_util_double_bad, 0, NELEM(double_bad));
	tcase_add_test(tc, test_util_double_too_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("size");
	tcase_add_loop_test(tc, test_util_size_good, 0, NELEM(size_good));
	tcase_add_loop_test(tc, test_util_size_bad, 0, NELEM(size_bad));
	suite_add_tcase(s, tc);

	tc = tcase_create("duration");
	tcase_add_loop_test(
	    tc, test_util_duration_good, 0, NELEM(duration_good));
	tcase_add_loop_test(tc, test_util_duration_bad, 0, NELEM(duration_bad));
	suite_add_tcase(s, tc);

	tc = tcase_create("utf8");
	tcase_add_loop_test(tc, test_util_utf8, 0, NELEM(utf8_cases));
	tcase_add_loop_test(tc, test_util_printable, 0, NELEM(printable_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("strings");
	tcase_add_test(tc, test_util_strcaseeq);
	tcase_add_test(tc, test_util_strlcpy);
	tcase_add_test(tc, test_util_err_set);
	tcase_add_loop_test(
	    tc, test_util_err_set_escapes, 0, NELEM(repr_cases));
	tcase_add_test(tc, test_util_err_set_code_is_one_word);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(util_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
