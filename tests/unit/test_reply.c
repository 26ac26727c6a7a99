/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the two writers of reply.h (resp_reply.c, http_reply.c):
 * the exact bytes of values, errors, streams and /batch elements in each
 * wire format.  The writers are pure L0, so no socket or conn is needed.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <msgpack.h>

#include "convert.h"
#include "http_reply.h"
#include "reply.h"
#include "resp_reply.h"
#include "util.h"

/* A value built from JSON text: its packed bytes and unpacked object. */
struct value {
	msgpack_sbuffer sb;
	msgpack_unpacked up;
};

static void
value_init(struct value *v, const char *json)
{
	msgpack_packer pk;
	struct duet_err err;

	msgpack_sbuffer_init(&v->sb);
	msgpack_packer_init(&pk, &v->sb, msgpack_sbuffer_write);
	ck_assert_int_eq(
	    convert_json_to_msgpack(&pk, json, strlen(json), 32, &err), 0);
	msgpack_unpacked_init(&v->up);
	ck_assert_int_eq(
	    msgpack_unpack_next(&v->up, v->sb.data, v->sb.size, NULL),
	    MSGPACK_UNPACK_SUCCESS);
}

static void
value_fini(struct value *v)
{
	msgpack_unpacked_destroy(&v->up);
	msgpack_sbuffer_destroy(&v->sb);
}

/* Writes the JSON value through enc's writer and returns out's bytes. */
static char *
write_value(const struct reply_enc *enc, const char *json, size_t *len)
{
	struct evbuffer *out = evbuffer_new();
	struct value v;
	char *s;

	value_init(&v, json);
	enc->writer->value(enc, out, &v.up.data, v.sb.data, v.sb.size);
	value_fini(&v);
	*len = evbuffer_get_length(out);
	s = malloc(*len + 1);
	ck_assert_ptr_nonnull(s);
	evbuffer_remove(out, s, *len);
	s[*len] = '\0';
	evbuffer_free(out);
	return s;
}

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

/*
 * Checks that every Date header in s is an IMF-fixdate and replaces its
 * value with "X" in place.
 */
static void
mask_dates(char *s)
{
	char *d;

	while ((d = strstr(s, "\r\nDate: ")) != NULL &&
	    strncmp(d + 8, "X\r\n", 3) != 0) {
		ck_assert_msg(strncmp(d + 8 + 29, "\r\n", 2) == 0, "%s", d);
		ck_assert(strncmp(d + 8 + 25, " GMT", 4) == 0);
		d[8] = 'X';
		memmove(d + 9, d + 8 + 29, strlen(d + 8 + 29) + 1);
		s = d + 9;
	}
}

/* RESP2 and RESP3 types of a value, as SPEC.md section 5 has them. */
START_TEST(test_reply_resp_native)
{
	struct reply_enc enc = {
	    &resp_reply_writer, REPLY_ENC_NATIVE, 0, 0, SIZE_MAX, NULL, 0};
	size_t len;
	char *s;

	s = write_value(&enc, "{\"a\":[1,\"x\",null,true,1.5,-2]}", &len);
	ck_assert_str_eq(s,
	    "*2\r\n$1\r\na\r\n*6\r\n:1\r\n$1\r\nx\r\n"
	    "$-1\r\n:1\r\n$3\r\n1.5\r\n:-2\r\n");
	free(s);
	enc.resp3 = 1;
	s = write_value(&enc, "{\"a\":[1,\"x\",null,true,1.5,-2]}", &len);
	ck_assert_str_eq(s,
	    "%1\r\n$1\r\na\r\n*6\r\n:1\r\n$1\r\nx\r\n"
	    "_\r\n#t\r\n,1.5\r\n:-2\r\n");
	free(s);
}
END_TEST

/* CLIENT ENCODING msgpack and json: one bulk string per reply. */
START_TEST(test_reply_resp_encodings)
{
	struct reply_enc enc = {
	    &resp_reply_writer, REPLY_ENC_MSGPACK, 0, 0, SIZE_MAX, NULL, 0};
	size_t len;
	char *s;

	s = write_value(&enc, "[1,2]", &len);
	ck_assert_uint_eq(len, 9);
	ck_assert(memcmp(s, "$3\r\n\x92\x01\x02\r\n", 9) == 0);
	free(s);
	enc.encoding = REPLY_ENC_JSON;
	s = write_value(&enc, "{\"a\":[1,\"x\"]}", &len);
	ck_assert_str_eq(s, "$13\r\n{\"a\":[1,\"x\"]}\r\n");
	free(s);
	/* scalars: their text measured, then written in place */
	s = write_value(&enc, "\"a\\\"b\\n\"", &len);
	ck_assert_str_eq(s, "$8\r\n\"a\\\"b\\n\"\r\n");
	free(s);
	s = write_value(&enc, "-42", &len);
	ck_assert_str_eq(s, "$3\r\n-42\r\n");
	free(s);
	enc.max_output = 4;
	s = write_value(&enc, "\"abc\"", &len);
	ck_assert_str_eq(s, "-ERR reply is larger than 4 bytes\r\n");
	free(s);
}
END_TEST

/* Integers and bulk lengths in decimal, at every digit count. */
START_TEST(test_reply_resp_numbers)
{
	struct evbuffer *out = evbuffer_new();
	char want[64], *got;
	int64_t v, p;
	int i;

	for (p = 1, i = 0; i < 19; i++, p = i < 19 ? p * 10 : p) {
		for (v = p - 2; v <= p + 1; v++) {
			resp_add_int(out, v);
			resp_add_int(out, -v);
			snprintf(want, sizeof(want), ":%lld\r\n:%lld\r\n",
			    (long long)v, (long long)-v);
			got = drain_string(out);
			ck_assert_str_eq(got, want);
			free(got);
		}
	}
	resp_add_int(out, INT64_MIN);
	resp_add_int(out, INT64_MAX);
	got = drain_string(out);
	ck_assert_str_eq(
	    got, ":-9223372036854775808\r\n:9223372036854775807\r\n");
	free(got);
	for (v = 0; v < 120; v++) {
		resp_add_bulk(out, "", 0);
		resp_add_array(out, (size_t)v);
		snprintf(
		    want, sizeof(want), "$0\r\n\r\n*%lld\r\n", (long long)v);
		got = drain_string(out);
		ck_assert_str_eq(got, want);
		free(got);
	}
	evbuffer_free(out);
}
END_TEST

/* Errors, and a value over max_output answered with its error. */
START_TEST(test_reply_resp_errors)
{
	struct reply_enc enc = {
	    &resp_reply_writer, REPLY_ENC_NATIVE, 0, 0, SIZE_MAX, NULL, 0};
	struct evbuffer *out = evbuffer_new();
	struct duet_err err;
	size_t len;
	char *s;

	util_err_set(&err, "WRONGTYPE", "bad\r\nvalue");
	err.status = 404; /* RESP has no status */
	enc.writer->error(&enc, out, &err);
	s = drain_string(out);
	ck_assert_str_eq(s, "-WRONGTYPE bad  value\r\n");
	free(s);
	evbuffer_free(out);
	enc.max_output = 40;
	s = write_value(&enc,
	    "[\"0123456789\",\"0123456789\",\"0123456789\",\"0123456789\"]",
	    &len);
	ck_assert_str_eq(s, "-ERR reply is larger than 40 bytes\r\n");
	free(s);
	enc.encoding = REPLY_ENC_JSON;
	s = write_value(&enc,
	    "[\"0123456789\",\"0123456789\",\"0123456789\",\"0123456789\"]",
	    &len);
	ck_assert_str_eq(s, "-ERR reply is larger than 40 bytes\r\n");
	free(s);
	ck_assert_int_eq(enc.writer->stream_mode(&enc), REPLY_STREAM_COLLECT);
}
END_TEST

/* An HTTP/1.1 keep-alive request's settings. */
static void
resp_init(struct http_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->minor = 1;
	r->keep_alive = 1;
}

/* 200 and the value as JSON, or as msgpack when accepted. */
START_TEST(test_reply_http_values)
{
	struct http_resp r;
	struct reply_enc enc = {
	    &http_reply_writer, REPLY_ENC_NATIVE, 0, 0, SIZE_MAX, &r, 0};
	size_t len;
	char *s;

	resp_init(&r);
	s = write_value(&enc, "{\"a\":[1,\"x\"]}", &len);
	mask_dates(s);
	ck_assert_str_eq(s,
	    "HTTP/1.1 200 OK\r\nServer: duetd\r\nDate: X\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 13\r\n\r\n"
	    "{\"a\":[1,\"x\"]}");
	free(s);
	r.msgpack = 1;
	s = write_value(&enc, "[1,2]", &len);
	mask_dates(s);
	ck_assert_str_eq(s,
	    "HTTP/1.1 200 OK\r\nServer: duetd\r\nDate: X\r\n"
	    "Content-Type: application/msgpack\r\n"
	    "Content-Length: 3\r\n\r\n\x92\x01\x02");
	free(s);
	/* HEAD: the same head, no body; closing: Connection: close. */
	r.msgpack = 0;
	r.head = 1;
	enc.closing = 1;
	s = write_value(&enc, "{\"a\":[1,\"x\"]}", &len);
	mask_dates(s);
	ck_assert_str_eq(s,
	    "HTTP/1.1 200 OK\r\nServer: duetd\r\nDate: X\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 13\r\nConnection: close\r\n\r\n");
	free(s);
}
END_TEST

/* Writes err through enc's writer and returns the bytes, Date masked. */
static char *
write_error(
    const struct reply_enc *enc, const char *code, const char *msg, int status)
{
	struct evbuffer *out = evbuffer_new();
	struct duet_err err;
	char *s;

	util_err_set(&err, code, "%s", msg);
	err.status = status;
	enc->writer->error(enc, out, &err);
	s = drain_string(out);
	evbuffer_free(out);
	mask_dates(s);
	return s;
}

/* Error responses: their status and exact body. */
START_TEST(test_reply_http_errors)
{
	struct http_resp r;
	struct reply_enc enc = {
	    &http_reply_writer, REPLY_ENC_NATIVE, 0, 0, SIZE_MAX, &r, 0};
	char origin[] = "http://a.example";
	char *s;

	resp_init(&r);
	s = write_error(&enc, "ERR", "unknown command", 404);
	ck_assert_str_eq(s,
	    "HTTP/1.1 404 Not Found\r\nServer: duetd\r\nDate: X\r\n"
	    "Content-Type: application/json\r\nContent-Length: 52\r\n\r\n"
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"unknown command\"}}");
	free(s);
	/* A code's own status; CORS headers of an allowed Origin. */
	r.origin = origin;
	s = write_error(&enc, "NOAUTH", "Authentication required.", 0);
	ck_assert_str_eq(s,
	    "HTTP/1.1 401 Unauthorized\r\nServer: duetd\r\nDate: X\r\n"
	    "Content-Type: application/json\r\nContent-Length: 64\r\n"
	    "Access-Control-Allow-Origin: http://a.example\r\n"
	    "Vary: Origin\r\n"
	    "WWW-Authenticate: Bearer realm=\"duetd\"\r\n\r\n"
	    "{\"error\":{\"code\":\"NOAUTH\",\"message\":\"Authentication "
	    "required.\"}}");
	free(s);
	/* A wrong token is RFC 6750's invalid_token (SPEC 9.3). */
	r.origin = NULL;
	s = write_error(&enc, "WRONGPASS",
	    "invalid username-password pair or user is disabled.", 0);
	ck_assert_str_eq(s,
	    "HTTP/1.1 401 Unauthorized\r\nServer: duetd\r\nDate: X\r\n"
	    "Content-Type: application/json\r\nContent-Length: 94\r\n"
	    "WWW-Authenticate: Bearer realm=\"duetd\", "
	    "error=\"invalid_token\"\r\n\r\n"
	    "{\"error\":{\"code\":\"WRONGPASS\",\"message\":\"invalid "
	    "username-password pair or user is disabled.\"}}");
	free(s);
	/* 403 has no challenge. */
	s = write_error(&enc, "NOPERM", "no", 0);
	ck_assert_ptr_nonnull(strstr(s, "HTTP/1.1 403 Forbidden\r\n"));
	ck_assert_ptr_null(strstr(s, "WWW-Authenticate"));
	free(s);
	/* 405 carries Allow; an error with no status is a 500. */
	r.origin = NULL;
	r.allow = "GET, HEAD";
	s = write_error(&enc, "ERR", "x", 405);
	ck_assert_str_eq(s,
	    "HTTP/1.1 405 Method Not Allowed\r\nServer: duetd\r\n"
	    "Date: X\r\nContent-Type: application/json\r\n"
	    "Content-Length: 38\r\nAllow: GET, HEAD\r\n\r\n"
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"x\"}}");
	free(s);
	r.msgpack = 1;
	enc.closing = 1;
	s = write_error(&enc, "E", "m", 0);
	ck_assert_str_eq(s,
	    "HTTP/1.1 500 Internal Server Error\r\nServer: duetd\r\n"
	    "Date: X\r\nContent-Type: application/msgpack\r\n"
	    "Content-Length: 25\r\nConnection: close\r\n\r\n"
	    "\x81\xa5"
	    "error\x82\xa4"
	    "code\xa1"
	    "E\xa7"
	    "message\xa1"
	    "m");
	free(s);
}
END_TEST

/* Encodes the JSON value as a stream item into body. */
static void
stream_item(const struct reply_enc *enc, struct evbuffer *body,
    struct evbuffer **scratch, const char *json)
{
	struct duet_err err;
	struct value v;

	value_init(&v, json);
	ck_assert_int_eq(enc->writer->stream_item(enc, body, scratch,
	                     &v.up.data, v.sb.data, v.sb.size, &err),
	    0);
	value_fini(&v);
}

/* A stream: head, two NDJSON items in chunks, the terminating chunk. */
START_TEST(test_reply_http_stream_ndjson)
{
	struct http_resp r;
	struct reply_enc enc = {
	    &http_reply_writer, REPLY_ENC_NATIVE, 0, 0, SIZE_MAX, &r, 0};
	struct evbuffer *out = evbuffer_new(), *body = evbuffer_new();
	struct evbuffer *scratch = NULL;
	char *s;

	resp_init(&r);
	ck_assert_int_eq(enc.writer->stream_mode(&enc), REPLY_STREAM_FRAMED);
	enc.writer->stream_head(&enc, out);
	stream_item(&enc, body, &scratch, "{\"n\":1}");
	enc.writer->stream_body(&enc, out, body);
	stream_item(&enc, body, &scratch, "[\"two\"]");
	enc.writer->stream_body(&enc, out, body);
	enc.writer->stream_end(&enc, out, &scratch, NULL);
	s = drain_string(out);
	mask_dates(s);
	ck_assert_str_eq(s,
	    "HTTP/1.1 200 OK\r\nServer: duetd\r\nDate: X\r\n"
	    "Content-Type: application/x-ndjson\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "8\r\n{\"n\":1}\n\r\n"
	    "8\r\n[\"two\"]\n\r\n"
	    "0\r\n\r\n");
	free(s);
	ck_assert_uint_eq(evbuffer_get_length(body), 0);
	evbuffer_free(scratch);
	evbuffer_free(body);
	evbuffer_free(out);
}
END_TEST

/* SSE: a data event per item, an error as an `error` event at the end. */
START_TEST(test_reply_http_stream_sse)
{
	struct http_resp r;
	struct reply_enc enc = {
	    &http_reply_writer, REPLY_ENC_NATIVE, 0, 0, SIZE_MAX, &r, 0};
	struct evbuffer *out = evbuffer_new(), *body = evbuffer_new();
	struct evbuffer *scratch = NULL;
	struct duet_err err;
	char *s;

	resp_init(&r);
	r.sse = 1;
	enc.writer->stream_head(&enc, out);
	stream_item(&enc, body, &scratch, "1");
	enc.writer->stream_body(&enc, out, body);
	util_err_set(&err, "ERR", "gone");
	enc.writer->stream_end(&enc, out, &scratch, &err);
	s = drain_string(out);
	mask_dates(s);
	ck_assert_str_eq(s,
	    "HTTP/1.1 200 OK\r\nServer: duetd\r\nDate: X\r\n"
	    "Content-Type: text/event-stream\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "9\r\ndata: 1\n\n\r\n"
	    "3e\r\nevent: error\ndata: {\"error\":{\"code\":"
	    "\"ERR\",\"message\":\"gone\"}}\n\n\r\n"
	    "0\r\n\r\n");
	free(s);
	evbuffer_free(scratch);
	evbuffer_free(body);
	evbuffer_free(out);
}
END_TEST

/* HTTP/1.0: the bare body, ended by closing; HEAD: no body at all. */
START_TEST(test_reply_http_stream_bare)
{
	struct http_resp r;
	struct reply_enc enc = {
	    &http_reply_writer, REPLY_ENC_NATIVE, 0, 0, SIZE_MAX, &r, 0};
	struct evbuffer *out = evbuffer_new(), *body = evbuffer_new();
	struct evbuffer *scratch = NULL;
	char *s;

	resp_init(&r);
	r.minor = 0;
	r.msgpack = 1;
	ck_assert_int_eq(enc.writer->stream_mode(&enc), REPLY_STREAM_TO_CLOSE);
	enc.writer->stream_head(&enc, out);
	stream_item(&enc, body, &scratch, "[1]");
	stream_item(&enc, body, &scratch, "2");
	enc.writer->stream_body(&enc, out, body);
	enc.writer->stream_end(&enc, out, &scratch, NULL);
	s = drain_string(out);
	mask_dates(s);
	ck_assert_str_eq(s,
	    "HTTP/1.1 200 OK\r\nServer: duetd\r\nDate: X\r\n"
	    "Content-Type: application/msgpack\r\n"
	    "Connection: close\r\n\r\n\x91\x01\x02");
	free(s);
	ck_assert_ptr_null(scratch);
	resp_init(&r);
	r.head = 1;
	enc.writer->stream_head(&enc, out);
	stream_item(&enc, body, &scratch, "3");
	enc.writer->stream_body(&enc, out, body);
	enc.writer->stream_end(&enc, out, &scratch, NULL);
	s = drain_string(out);
	mask_dates(s);
	ck_assert_str_eq(s,
	    "HTTP/1.1 200 OK\r\nServer: duetd\r\nDate: X\r\n"
	    "Content-Type: application/x-ndjson\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	free(s);
	ck_assert_uint_eq(evbuffer_get_length(body), 0);
	evbuffer_free(scratch);
	evbuffer_free(body);
	evbuffer_free(out);
}
END_TEST

/* POST /batch: head, elements (values and errors), closing bracket. */
START_TEST(test_reply_http_batch)
{
	struct http_resp r;
	struct reply_enc enc = {
	    &http_reply_writer, REPLY_ENC_NATIVE, 0, 0, SIZE_MAX, &r, 0};
	struct evbuffer *out = evbuffer_new();
	struct duet_err err;
	struct value v;
	char *s;

	resp_init(&r);
	http_reply_batch_head(&r, 0, out, 2);
	r.batch = HTTP_RESP_BATCH_FIRST;
	ck_assert_int_eq(enc.writer->stream_mode(&enc), REPLY_STREAM_COLLECT);
	value_init(&v, "[1]");
	enc.writer->value(&enc, out, &v.up.data, v.sb.data, v.sb.size);
	value_fini(&v);
	r.batch = HTTP_RESP_BATCH_NEXT;
	util_err_set(&err, "ERR", "no");
	err.status = 404;
	enc.writer->error(&enc, out, &err);
	r.batch = 0;
	http_reply_batch_end(&r, out, 2);
	s = drain_string(out);
	mask_dates(s);
	ck_assert_str_eq(s,
	    "HTTP/1.1 200 OK\r\nServer: duetd\r\nDate: X\r\n"
	    "Content-Type: application/json\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "4\r\n[[1]\r\n"
	    "28\r\n,{\"error\":{\"code\":\"ERR\","
	    "\"message\":\"no\"}}\r\n"
	    "1\r\n]\r\n0\r\n\r\n");
	free(s);
	r.msgpack = 1;
	http_reply_batch_head(&r, 1, out, 0);
	http_reply_batch_end(&r, out, 0);
	s = drain_string(out);
	mask_dates(s);
	ck_assert_str_eq(s,
	    "HTTP/1.1 200 OK\r\nServer: duetd\r\nDate: X\r\n"
	    "Content-Type: application/msgpack\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Connection: close\r\n\r\n"
	    "1\r\n\x90\r\n0\r\n\r\n");
	free(s);
	evbuffer_free(out);
}
END_TEST

static Suite *
reply_suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc;

	tc = tcase_create("resp");
	tcase_add_test(tc, test_reply_resp_native);
	tcase_add_test(tc, test_reply_resp_encodings);
	tcase_add_test(tc, test_reply_resp_errors);
	tcase_add_test(tc, test_reply_resp_numbers);
	suite_add_tcase(s, tc);
	tc = tcase_create("http");
	tcase_add_test(tc, test_reply_http_values);
	tcase_add_test(tc, test_reply_http_errors);
	tcase_add_test(tc, test_reply_http_batch);
	suite_add_tcase(s, tc);
	tc = tcase_create("http_stream");
	tcase_add_test(tc, test_reply_http_stream_ndjson);
	tcase_add_test(tc, test_reply_http_stream_sse);
	tcase_add_test(tc, test_reply_http_stream_bare);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(reply_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
