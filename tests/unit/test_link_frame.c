/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for link_frame (SPEC 11): RESP heads in decimal, a bulk of a
 * msgpack str or bin at each size where its head grows (31/32, 255/256,
 * 65535/65536 bytes) or it stops being made on the stack (224/225), and
 * the writer's LINK REPLY / LINK ERROR ... NOREPLY bytes for a call id, a
 * stream being collected: literally for a small and a large answer, and
 * against bytes built here for every value length up to 600 and every
 * message length up to 511, either side of where an answer stops being
 * made on the stack.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <msgpack.h>

#include "link_frame.h"
#include "reply.h"
#include "resp_reply.h"
#include "util.h"

/* out's bytes, as a new NUL-terminated string; *len their count. */
static char *
lf_take(struct evbuffer *out, size_t *len)
{
	char *s;

	*len = evbuffer_get_length(out);
	s = malloc(*len + 1);
	ck_assert_ptr_nonnull(s);
	evbuffer_remove(out, s, *len);
	s[*len] = '\0';
	return s;
}

/* The heads the frames are built with (resp_reply's resp_put_head). */
START_TEST(test_link_frame_head)
{
	char buf[80], *q = buf;

	q = resp_put_head(q, '$', 0);
	q = resp_put_head(q, '*', 12);
	q = resp_put_head(q, ':', UINT64_MAX);
	*q = '\0';
	ck_assert_str_eq(buf, "$0\r\n*12\r\n:18446744073709551615\r\n");
}
END_TEST

/* A call push: the same bytes whether it is built at once or not. */
START_TEST(test_link_frame_call)
{
	struct evbuffer *out = evbuffer_new();
	char *args = malloc(300), *want, *s;
	size_t len, wlen;

	link_frame_call(out, 7, "add", 3, "\x92\x01\x02", 3);
	s = lf_take(out, &len);
	ck_assert_uint_eq(len, 36);
	ck_assert_mem_eq(s,
	    ">4\r\n$4\r\ncall\r\n:7\r\n$3\r\nadd\r\n$3\r\n\x92\x01\x02\r\n",
	    36);
	free(s);
	/* Over the small size: written piece by piece, the same frame. */
	memset(args, 'x', 300);
	link_frame_call(out, UINT64_MAX, "add", 3, args, 300);
	s = lf_take(out, &len);
	wlen = 52 + 300 + 2;
	want = malloc(wlen);
	memcpy(want,
	    ">4\r\n$4\r\ncall\r\n:18446744073709551615\r\n"
	    "$3\r\nadd\r\n$300\r\n",
	    52);
	memcpy(want + 52, args, 300);
	memcpy(want + 352, "\r\n", 2);
	ck_assert_uint_eq(len, wlen);
	ck_assert_mem_eq(s, want, wlen);
	free(want);
	free(s);
	free(args);
	evbuffer_free(out);
}
END_TEST

START_TEST(test_link_frame_mp_sizes)
{
	static const struct {
		int bin;
		size_t len;
		const char *head; /* the bulk's head and the msgpack head */
		size_t headlen;
	} cases[] = {
	    {0, 31, "$32\r\n\xbf", 6},
	    {0, 32, "$34\r\n\xd9\x20", 7},
	    {0, 255, "$257\r\n\xd9\xff", 8},
	    {0, 256, "$259\r\n\xda\x01\x00", 9},
	    {0, 65535, "$65538\r\n\xda\xff\xff", 11},
	    {0, 65536, "$65541\r\n\xdb\x00\x01\x00\x00", 13},
	    {1, 0, "$2\r\n\xc4\x00", 6},
	    {1, 224, "$226\r\n\xc4\xe0", 8},
	    {1, 225, "$227\r\n\xc4\xe1", 8},
	    {1, 255, "$257\r\n\xc4\xff", 8},
	    {1, 256, "$259\r\n\xc5\x01\x00", 9},
	    {1, 65536, "$65541\r\n\xc6\x00\x01\x00\x00", 13},
	};
	char *body = malloc(65536);
	size_t i, len;
	char *s;

	memset(body, 'x', 65536);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct evbuffer *out = evbuffer_new();

		link_frame_mp(out, cases[i].bin, body, cases[i].len);
		s = lf_take(out, &len);
		ck_assert_uint_eq(len, cases[i].headlen + cases[i].len + 2);
		ck_assert_msg(memcmp(s, cases[i].head, cases[i].headlen) == 0,
		    "case %zu", i);
		ck_assert(memcmp(s + len - 2, "\r\n", 2) == 0);
		free(s);
		evbuffer_free(out);
	}
	free(body);
}
END_TEST

START_TEST(test_link_frame_writer)
{
	struct reply_enc enc = {
	    &link_frame_writer, REPLY_ENC_MSGPACK, 1, 0, SIZE_MAX, NULL, 42};
	struct evbuffer *out = evbuffer_new();
	struct duet_err err;
	msgpack_object o = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER};
	size_t len;
	char *s;

	o.via.u64 = 3;
	enc.writer->value(&enc, out, &o, "\x03", 1);
	s = lf_take(out, &len);
	ck_assert_uint_eq(len, 58);
	ck_assert(memcmp(s,
	              "*5\r\n$4\r\nLINK\r\n$6\r\n\xa5REPLY\r\n$3\r\n\xa2"
	              "42\r\n$3\r\n\xc4\x01\x03\r\n$8\r\n\xa7NOREPLY\r\n",
	              len) == 0);
	free(s);
	util_err_set(&err, "DEMO", "it failed");
	enc.tag = 7;
	enc.writer->error(&enc, out, &err);
	s = lf_take(out, &len);
	ck_assert_str_eq(s,
	    "*6\r\n$4\r\nLINK\r\n$6\r\n\xa5"
	    "ERROR\r\n$2\r\n\xa1"
	    "7\r\n$5\r\n\xa4"
	    "DEMO\r\n$10\r\n\xa9it failed\r\n$8\r\n\xa7"
	    "NOREPLY\r\n");
	free(s);
	ck_assert_int_eq(enc.writer->stream_mode(&enc), REPLY_STREAM_COLLECT);
	evbuffer_free(out);
}
END_TEST

/* Appends to e a bulk of p as a msgpack str or bin, built here. */
static void
want_mp(struct evbuffer *e, int bin, const char *p, size_t len)
{
	unsigned char h[3];
	size_t n;

	if (!bin && len < 32) {
		h[0] = (unsigned char)(0xa0 | len);
		n = 1;
	} else if (len < 256) {
		h[0] = bin ? 0xc4 : 0xd9;
		h[1] = (unsigned char)len;
		n = 2;
	} else {
		ck_assert_uint_lt(len, 65536);
		h[0] = bin ? 0xc5 : 0xda;
		h[1] = (unsigned char)(len >> 8);
		h[2] = (unsigned char)len;
		n = 3;
	}
	evbuffer_add_printf(e, "$%zu\r\n", n + len);
	evbuffer_add(e, h, n);
	evbuffer_add(e, p, len);
	evbuffer_add(e, "\r\n", 2);
}

/* The head of an answer to call id, built here. */
static void
want_head(struct evbuffer *e, int words, const char *verb, uint64_t id)
{
	char num[24];

	evbuffer_add_printf(e, "*%d\r\n$4\r\nLINK\r\n", words);
	want_mp(e, 0, verb, strlen(verb));
	snprintf(num, sizeof(num), "%llu", (unsigned long long)id);
	want_mp(e, 0, num, strlen(num));
}

/* Asserts that out holds exactly the bytes of want; empties both. */
static void
assert_same(struct evbuffer *out, struct evbuffer *want, size_t i)
{
	size_t len, wlen;
	char *s = lf_take(out, &len), *w = lf_take(want, &wlen);

	ck_assert_msg(
	    len == wlen, "case %zu: %zu bytes, not %zu", i, len, wlen);
	ck_assert_msg(memcmp(s, w, len) == 0, "case %zu: other bytes", i);
	free(s);
	free(w);
}

/* A value too large for the stack: the same bytes, written in parts. */
START_TEST(test_link_frame_writer_large)
{
	struct reply_enc enc = {
	    &link_frame_writer, REPLY_ENC_MSGPACK, 1, 0, SIZE_MAX, NULL, 42};
	static const char head[] = "*5\r\n$4\r\nLINK\r\n$6\r\n\xa5REPLY\r\n"
	                           "$3\r\n\xa2"
	                           "42\r\n$403\r\n\xc5\x01\x90";
	static const char tail[] = "\r\n$8\r\n\xa7NOREPLY\r\n";
	static const char ehead[] = "*6\r\n$4\r\nLINK\r\n$6\r\n\xa5"
	                            "ERROR\r\n$3\r\n\xa2"
	                            "42\r\n$5\r\n\xa4"
	                            "DEMO\r\n$403\r\n\xda\x01\x90";
	struct evbuffer *out = evbuffer_new();
	struct duet_err err;
	char value[400];
	size_t len;
	char *s;

	memset(value, 'v', sizeof(value));
	enc.writer->value(&enc, out, NULL, value, sizeof(value));
	s = lf_take(out, &len);
	ck_assert_uint_eq(len, sizeof(head) - 1 + 400 + sizeof(tail) - 1);
	ck_assert(memcmp(s, head, sizeof(head) - 1) == 0);
	ck_assert(memcmp(s + sizeof(head) - 1, value, 400) == 0);
	ck_assert(
	    memcmp(s + sizeof(head) - 1 + 400, tail, sizeof(tail) - 1) == 0);
	free(s);
	memset(&err, 0, sizeof(err));
	memcpy(err.code, "DEMO", 5);
	memset(err.msg, 'm', 400);
	enc.writer->error(&enc, out, &err);
	s = lf_take(out, &len);
	ck_assert_uint_eq(len, sizeof(ehead) - 1 + 400 + sizeof(tail) - 1);
	ck_assert(memcmp(s, ehead, sizeof(ehead) - 1) == 0);
	ck_assert(memcmp(s + sizeof(ehead) - 1, err.msg, 400) == 0);
	ck_assert(
	    memcmp(s + sizeof(ehead) - 1 + 400, tail, sizeof(tail) - 1) == 0);
	free(s);
	evbuffer_free(out);
}
END_TEST

/* Every value and message length, small ids and the largest. */
START_TEST(test_link_frame_writer_sizes)
{
	static const uint64_t ids[] = {0, 9, 12345, UINT64_MAX};
	struct reply_enc enc = {
	    &link_frame_writer, REPLY_ENC_MSGPACK, 1, 0, SIZE_MAX, NULL, 0};
	struct evbuffer *out = evbuffer_new(), *want = evbuffer_new();
	struct duet_err err;
	char value[600];
	size_t i, k;

	for (i = 0; i < sizeof(value); i++)
		value[i] = (char)i;
	memset(&err, 0, sizeof(err));
	memcpy(err.code, "LINKDOWN", 9);
	for (k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
		enc.tag = ids[k];
		for (i = 0; i <= sizeof(value); i++) {
			enc.writer->value(&enc, out, NULL, value, i);
			want_head(want, 5, "REPLY", ids[k]);
			want_mp(want, 1, value, i);
			want_mp(want, 0, "NOREPLY", 7);
			assert_same(out, want, i);
		}
		for (i = 0; i < sizeof(err.msg); i++) {
			memset(err.msg, 'a' + (int)(i % 26), i);
			err.msg[i] = '\0';
			enc.writer->error(&enc, out, &err);
			want_head(want, 6, "ERROR", ids[k]);
			want_mp(want, 0, "LINKDOWN", 8);
			want_mp(want, 0, err.msg, i);
			want_mp(want, 0, "NOREPLY", 7);
			assert_same(out, want, i);
		}
	}
	evbuffer_free(out);
	evbuffer_free(want);
}
END_TEST

static Suite *
link_frame_suite(void)
{
	Suite *s = suite_create("link_frame");
	TCase *tc = tcase_create("link_frame");

	tcase_add_test(tc, test_link_frame_head);
	tcase_add_test(tc, test_link_frame_call);
	tcase_add_test(tc, test_link_frame_mp_sizes);
	tcase_add_test(tc, test_link_frame_writer);
	tcase_add_test(tc, test_link_frame_writer_large);
	tcase_add_test(tc, test_link_frame_writer_sizes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(link_frame_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
