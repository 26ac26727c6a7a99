/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for link_frame (SPEC 11): RESP heads in decimal, a bulk of a
 * msgpack str or bin at each size where its head grows (31/32, 255/256,
 * 65535/65536 bytes) or it stops being made on the stack (224/225), and the writer's LINK REPLY / LINK ERROR ...
 * NOREPLY bytes for a call id, a stream being collected.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <msgpack.h>

#include "link_frame.h"
#include "reply.h"
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

START_TEST(test_link_frame_head)
{
	struct evbuffer *out = evbuffer_new();
	size_t len;
	char *s;

	link_frame_head(out, '$', 0);
	link_frame_head(out, '*', 12);
	link_frame_head(out, ':', UINT64_MAX);
	s = lf_take(out, &len);
	ck_assert_str_eq(s, "$0\r\n*12\r\n:18446744073709551615\r\n");
	free(s);
	evbuffer_free(out);
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

static Suite *
link_frame_suite(void)
{
	Suite *s = suite_create("link_frame");
	TCase *tc = tcase_create("link_frame");

	tcase_add_test(tc, test_link_frame_head);
	tcase_add_test(tc, test_link_frame_call);
	tcase_add_test(tc, test_link_frame_mp_sizes);
	tcase_add_test(tc, test_link_frame_writer);
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
