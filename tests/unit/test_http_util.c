/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of http_util.c: the request-line test used to tell HTTP from
 * RESP, percent-decoding, query strings, header token lists and media
 * types (tables), the reason phrases, and the exact bytes of the
 * response-head writers (the Date value checked for its shape only).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "http.h"

struct bytes {
	const char *p;
	size_t len;
};

#define B(s)                                                                   \
	{                                                                      \
		s, sizeof(s) - 1                                               \
	}

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

/* A line for http_is_request_line and whether it is one. */
static const struct {
	const char *line;
	int is;
} sniff_cases[] = {
    {"GET /x HTTP/1.1", 1},
    {"GET / HTTP/1.0", 1},
    {"OPTIONS * HTTP/1.1", 1},
    {"POST /add?a=%20 HTTP/1.1", 1},
    {"ABCDEFGHIJKLMNOPQRST / HTTP/1.1", 1},
    {"ABCDEFGHIJKLMNOPQRSTU / HTTP/1.1", 0},
    {"GET foo", 0},
    {"GET foo HTTP/1.1", 0},
    {"GET /x", 0},
    {"GET /x HTTP/1.1 ", 0},
    {"GET /x HTTP/2.0", 0},
    {"GET /x HTTP/1.1\r", 0},
    {"get /x HTTP/1.1", 0},
    {"GET  /x HTTP/1.1", 0},
    {"GET ** HTTP/1.1", 0},
    {"SET k v", 0},
    {"*2", 0},
    {"", 0},
    {" / HTTP/1.1", 0},
};

START_TEST(test_http_util_sniffs_request_lines)
{
	ck_assert_msg(http_is_request_line(sniff_cases[_i].line,
	                  strlen(sniff_cases[_i].line)) == sniff_cases[_i].is,
	    "'%s'", sniff_cases[_i].line);
}
END_TEST

/* Percent-decoding: input, plus_is_space, output (NULL: refused). */
static const struct {
	struct bytes in;
	int plus;
	struct bytes out;
	int ok;
} pct_cases[] = {
    {B("abc"), 0, B("abc"), 1},
    {B(""), 0, B(""), 1},
    {B("a%20b"), 0, B("a b"), 1},
    {B("%41%4a%4B%00"), 0, B("AJK\0"), 1},
    {B("%e2%82%AC"), 0, B("\xe2\x82\xac"), 1},
    {B("a+b"), 0, B("a+b"), 1},
    {B("a+b%2B"), 1, B("a b+"), 1},
    {B("%"), 0, B(""), 0},
    {B("%4"), 0, B(""), 0},
    {B("a%G1"), 0, B(""), 0},
    {B("%1G"), 0, B(""), 0},
    {B("ab%"), 1, B(""), 0},
    {B("%%41"), 0, B(""), 0},
};

START_TEST(test_http_util_pct_decodes)
{
	char out[32];
	size_t outlen = 99;
	int rv;

	rv = http_pct_decode(pct_cases[_i].in.p, pct_cases[_i].in.len, out,
	    &outlen, pct_cases[_i].plus);
	if (!pct_cases[_i].ok) {
		ck_assert_int_eq(rv, -1);
		return;
	}
	ck_assert_int_eq(rv, 0);
	ck_assert_uint_eq(outlen, pct_cases[_i].out.len);
	ck_assert(memcmp(out, pct_cases[_i].out.p, outlen) == 0);
}
END_TEST

START_TEST(test_http_util_iterates_query)
{
	static const char q[] = "&a=1&&b=%20x&flag&=v&c=&";
	static const char *const want[][2] = {
	    {"a", "1"}, {"b", "%20x"}, {"flag", ""}, {"", "v"}, {"c", ""}};
	struct http_str rest = {q, sizeof(q) - 1}, name, value;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(http_query_next(&rest, &name, &value), 1);
		check_str("name", name, want[i][0]);
		check_str("value", value, want[i][1]);
	}
	ck_assert_int_eq(http_query_next(&rest, &name, &value), 0);
	rest.ptr = "";
	rest.len = 0;
	ck_assert_int_eq(http_query_next(&rest, &name, &value), 0);
}
END_TEST

static struct http_str
S(const char *s) {
	struct http_str v = {s, s != NULL ? strlen(s) : 0};

	return v;
}

START_TEST(test_http_util_header_tokens_and_media_types)
{
	ck_assert(http_header_has_token(S("close"), "close"));
	ck_assert(
	    http_header_has_token(S("Keep-Alive , Upgrade"), "keep-alive"));
	ck_assert(http_header_has_token(S("upgrade,\tCLOSE"), "close"));
	ck_assert(!http_header_has_token(S("closed"), "close"));
	ck_assert(!http_header_has_token(S("keep-alive=1"), "keep-alive"));
	ck_assert(!http_header_has_token(S(""), "close"));
	ck_assert(!http_header_has_token(S(NULL), "close"));
	ck_assert(
	    http_media_type_is(S("application/json"), "application/json"));
	ck_assert(http_media_type_is(
	    S("Application/JSON; charset=utf-8"), "application/json"));
	ck_assert(http_media_type_is(
	    S("text/html, application/msgpack;q=0.9"), "application/msgpack"));
	ck_assert(http_media_type_is(S(" a/b ;x, c/d"), "a/b"));
	ck_assert(
	    !http_media_type_is(S("application/jsonx"), "application/json"));
	ck_assert(!http_media_type_is(S("*/*"), "application/json"));
	ck_assert(!http_media_type_is(S("text/plain"), "application/json"));
	ck_assert(!http_media_type_is(S(NULL), "application/json"));
}
END_TEST

START_TEST(test_http_util_splits_lists)
{
	static const char *const want[] = {"a", "", "b c", ""};
	struct http_str rest = S(" a ,,\tb c\t, "), e;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(http_list_next(&rest, &e), 1);
		check_str("element", e, want[i]);
	}
	ck_assert_int_eq(http_list_next(&rest, &e), 0);
	rest = S(NULL);
	ck_assert_int_eq(http_list_next(&rest, &e), 0);
	check_str("trim", http_trim(S(" \t x y\t ")), "x y");
	check_str("trim blank", http_trim(S(" \t ")), "");
}
END_TEST

START_TEST(test_http_util_reason_phrases)
{
	ck_assert_str_eq(http_reason(100), "Continue");
	ck_assert_str_eq(http_reason(200), "OK");
	ck_assert_str_eq(http_reason(204), "No Content");
	ck_assert_str_eq(http_reason(404), "Not Found");
	ck_assert_str_eq(http_reason(413), "Content Too Large");
	ck_assert_str_eq(http_reason(421), "Misdirected Request");
	ck_assert_str_eq(http_reason(431), "Request Header Fields Too Large");
	ck_assert_str_eq(http_reason(505), "HTTP Version Not Supported");
	/* Statuses a plugin may choose (ABI 1.2). */
	ck_assert_str_eq(http_reason(409), "Conflict");
	ck_assert_str_eq(http_reason(422), "Unprocessable Content");
	ck_assert_str_eq(http_reason(429), "Too Many Requests");
	ck_assert_str_eq(http_reason(511), "Network Authentication Required");
	ck_assert_str_eq(http_reason(299), "Unknown");
	ck_assert_str_eq(http_reason(599), "Unknown");
}
END_TEST

/*
 * Checks that the Date header in s is an IMF-fixdate and replaces its
 * value with "X" in place.
 */
static void
mask_date(char *s)
{
	static const char shape[] = "Aaa, 00 Aaa 0000 00:00:00 GMT";
	char *d = strstr(s, "\r\nDate: "), *v;
	size_t i;

	ck_assert_ptr_nonnull(d);
	v = d + 8;
	ck_assert_msg(strncmp(v + 29, "\r\n", 2) == 0, "date: %s", v);
	for (i = 0; i < 29; i++) {
		char c = v[i], k = shape[i];

		if (k == 'A')
			ck_assert(c >= 'A' && c <= 'Z');
		else if (k == 'a')
			ck_assert(c >= 'a' && c <= 'z');
		else if (k == '0')
			ck_assert(c >= '0' && c <= '9');
		else
			ck_assert_int_eq(c, k);
	}
	v[0] = 'X';
	memmove(v + 1, v + 29, strlen(v + 29) + 1);
}

/* http_add_head's arguments and the exact bytes, Date masked. */
static const struct {
	int minor, status;
	const char *ctype;
	int64_t cl;
	int keep;
	const char *extra;
	const char *want;
} head_cases[] = {
    {1, 200, "application/json", 3, 1, NULL,
        "HTTP/1.1 200 OK\r\nServer: duetd\r\nDate: X\r\n"
        "Content-Type: application/json\r\nContent-Length: 3\r\n\r\n"},
    {0, 200, "text/plain", 0, 1, "",
        "HTTP/1.1 200 OK\r\nServer: duetd\r\nDate: X\r\n"
        "Content-Type: text/plain\r\nContent-Length: 0\r\n"
        "Connection: keep-alive\r\n\r\n"},
    {0, 404, NULL, 10, 0, NULL,
        "HTTP/1.1 404 Not Found\r\nServer: duetd\r\nDate: X\r\n"
        "Content-Length: 10\r\nConnection: close\r\n\r\n"},
    {1, 405, "application/json", 2, 0, "Allow: POST\r\nX-A: b\r\n",
        "HTTP/1.1 405 Method Not Allowed\r\nServer: duetd\r\nDate: X\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\n"
        "Connection: close\r\nAllow: POST\r\nX-A: b\r\n\r\n"},
    {1, 200, "application/x-ndjson", -1, 1, NULL,
        "HTTP/1.1 200 OK\r\nServer: duetd\r\nDate: X\r\n"
        "Content-Type: application/x-ndjson\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"},
    {0, 200, "application/x-ndjson", -1, 1, NULL,
        "HTTP/1.1 200 OK\r\nServer: duetd\r\nDate: X\r\n"
        "Content-Type: application/x-ndjson\r\nConnection: close\r\n\r\n"},
    {1, 204, NULL, -2, 1, "Access-Control-Allow-Origin: http://o\r\n",
        "HTTP/1.1 204 No Content\r\nServer: duetd\r\nDate: X\r\n"
        "Access-Control-Allow-Origin: http://o\r\n\r\n"},
    {1, 599, NULL, 0, 1, NULL,
        "HTTP/1.1 599 Unknown\r\nServer: duetd\r\nDate: X\r\n"
        "Content-Length: 0\r\n\r\n"},
};

/* Returns the whole content of b as a NUL-terminated string. */
static char *
drain_string(struct evbuffer *b)
{
	size_t len = evbuffer_get_length(b);
	char *s = malloc(len + 1);

	ck_assert_ptr_nonnull(s);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	return s;
}

START_TEST(test_http_util_writes_heads)
{
	struct evbuffer *out = evbuffer_new();
	char *s;

	evbuffer_add(out, "prev", 4);
	http_add_head(out, head_cases[_i].minor, head_cases[_i].status,
	    head_cases[_i].ctype, head_cases[_i].cl, head_cases[_i].keep,
	    head_cases[_i].extra);
	s = drain_string(out);
	ck_assert(strncmp(s, "prev", 4) == 0);
	mask_date(s + 4);
	ck_assert_str_eq(s + 4, head_cases[_i].want);
	free(s);
	evbuffer_free(out);
}
END_TEST

START_TEST(test_http_util_writes_long_heads)
{
	struct evbuffer *out = evbuffer_new();
	char extra[3000], *s, *want;
	size_t i;

	for (i = 0; i + 8 < sizeof(extra); i += 8)
		memcpy(extra + i, "X-A: b\r\n", 8);
	extra[i] = '\0';
	http_add_head(out, 1, 200, NULL, 1, 1, extra);
	s = drain_string(out);
	mask_date(s);
	want = malloc(strlen(extra) + 100);
	ck_assert_ptr_nonnull(want);
	snprintf(want, strlen(extra) + 100,
	    "HTTP/1.1 200 OK\r\nServer: duetd\r\nDate: X\r\n"
	    "Content-Length: 1\r\n%s\r\n",
	    extra);
	ck_assert_str_eq(s, want);
	free(want);
	free(s);
	evbuffer_free(out);
}
END_TEST

START_TEST(test_http_util_writes_continue)
{
	struct evbuffer *out = evbuffer_new();
	char *s;

	http_add_continue(out, 1);
	http_add_continue(out, 0);
	s = drain_string(out);
	ck_assert_str_eq(
	    s, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n");
	free(s);
	evbuffer_free(out);
}
END_TEST

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
http_util_suite(void)
{
	Suite *s = suite_create("http_util");
	TCase *tc;

	tc = tcase_create("helpers");
	tcase_add_loop_test(
	    tc, test_http_util_sniffs_request_lines, 0, NELEM(sniff_cases));
	tcase_add_loop_test(
	    tc, test_http_util_pct_decodes, 0, NELEM(pct_cases));
	tcase_add_test(tc, test_http_util_iterates_query);
	tcase_add_test(tc, test_http_util_header_tokens_and_media_types);
	tcase_add_test(tc, test_http_util_splits_lists);
	tcase_add_test(tc, test_http_util_reason_phrases);
	suite_add_tcase(s, tc);
	tc = tcase_create("writers");
	tcase_add_loop_test(
	    tc, test_http_util_writes_heads, 0, NELEM(head_cases));
	tcase_add_test(tc, test_http_util_writes_long_heads);
	tcase_add_test(tc, test_http_util_writes_continue);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_util_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
