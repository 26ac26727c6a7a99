/* SPDX-License-Identifier: MIT */
/*
 * resp_reply - L0: the RESP writer.  Each RESP2/RESP3 type is appended
 * with one evbuffer reservation; a msgpack value becomes RESP types as
 * SPEC.md section 5 says; and resp_reply_writer encodes a whole reply in
 * the request's encoding: RESP types, or, after CLIENT ENCODING, one bulk
 * string holding the value as msgpack or JSON.  RESP has no stream type: a
 * stream's items are collected by the call (call_stream.c) and arrive here
 * as one array value.  Request parsing is resp.c's; which writer a reply
 * goes through, and when, is the connection's and the session's.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "duet/plugin.h"
#include "convert.h"
#include "resp_reply.h"
#include "util.h"

/* Room for "$", a 20-digit number and CRLF, or a double's text. */
#define RESP_HDR_MAX 48

/*
 * Writes v in decimal at the end of buf[0..RESP_HDR_MAX) and returns where
 * the digits start.
 */
static char *
resp_fmt_u64(char *end, uint64_t v)
{
	static const char pairs[] = "00010203040506070809"
	                            "10111213141516171819"
	                            "20212223242526272829"
	                            "30313233343536373839"
	                            "40414243444546474849"
	                            "50515253545556575859"
	                            "60616263646566676869"
	                            "70717273747576777879"
	                            "80818283848586878889"
	                            "90919293949596979899";

	char *last = end;

	while (v >= 10) { /* two digits per division */
		end -= 2;
		memcpy(end, pairs + v % 100 * 2, 2);
		v /= 100;
	}
	if (v != 0 || end == last) /* a last digit, or 0 */
		*--end = (char)('0' + v);
	return end;
}

/*
 * Writes v in decimal at p (room for 20 bytes); returns the end.
 */
char *
resp_put_u64(char *p, uint64_t v)
{
	char buf[20], *end = buf + sizeof(buf), *s = resp_fmt_u64(end, v);

	memcpy(p, s, (size_t)(end - s));
	return p + (end - s);
}

/*
 * Writes a RESP head at p, "<type><n>\r\n" (room for 23 bytes), for a
 * frame built on the caller's stack; returns the end.
 */
char *
resp_put_head(char *p, char type, uint64_t n)
{
	*p++ = type;
	p = resp_put_u64(p, n);
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

/*
 * Appends "<type><v>\r\n" with a single evbuffer_add().
 */
static void
resp_add_num(struct evbuffer *out, char type, int neg, uint64_t v)
{
	char buf[RESP_HDR_MAX], *end = buf + sizeof(buf) - 2, *s;

	end[0] = '\r';
	end[1] = '\n';
	s = resp_fmt_u64(end, v);
	if (neg)
		*--s = '-';
	*--s = type;
	evbuffer_add(out, s, (size_t)(buf + sizeof(buf) - s));
}

/* Copies s[0..len) to d with CR and LF made spaces; returns d + len. */
static char *
resp_copy_line(char *d, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		d[i] = s[i] == '\r' || s[i] == '\n' ? ' ' : s[i];
	return d + len;
}

/*
 * A reply at most this long is built on the stack and appended with one
 * evbuffer_add(), which costs less than a reservation and its commit.
 */
#define RESP_SMALL 256

/*
 * Appends type, a[0..alen), a space and b[0..blen) if blen != 0, then
 * CRLF, with one evbuffer_add() or reservation; CR and LF in a and b
 * become spaces.
 */
static void
resp_add_line(struct evbuffer *out, char type, const char *a, size_t alen,
    const char *b, size_t blen)
{
	size_t len = 1 + alen + (blen != 0 ? blen + 1 : 0) + 2;
	struct evbuffer_iovec v;
	char small[RESP_SMALL], *d;

	if (len <= sizeof(small)) {
		v.iov_base = small;
	} else if (evbuffer_reserve_space(out, (ev_ssize_t)len, &v, 1) != 1) {
		return;
	}
	d = v.iov_base;
	*d++ = type;
	d = resp_copy_line(d, a, alen);
	if (blen != 0) {
		*d++ = ' ';
		d = resp_copy_line(d, b, blen);
	}
	memcpy(d, "\r\n", 2);
	if (len <= sizeof(small)) {
		evbuffer_add(out, small, len);
		return;
	}
	v.iov_len = len;
	evbuffer_commit_space(out, &v, 1);
}

/*
 * Appends a simple string "+s\r\n"; CR and LF in s become spaces.
 */
void
resp_add_simple(struct evbuffer *out, const char *s, size_t len)
{
	resp_add_line(out, '+', s, len, NULL, 0);
}

/*
 * Appends an error "-CODE msg\r\n", or "-CODE\r\n" if msg is NULL or
 * empty; CR and LF become spaces.
 */
void
resp_add_error(struct evbuffer *out, const char *code, const char *msg)
{
	resp_add_line(
	    out, '-', code, strlen(code), msg, msg == NULL ? 0 : strlen(msg));
}

/*
 * Appends an integer ":v\r\n".
 */
void
resp_add_int(struct evbuffer *out, int64_t v)
{
	if (v < 0)
		resp_add_num(out, ':', 1, (uint64_t)0 - (uint64_t)v);
	else
		resp_add_num(out, ':', 0, (uint64_t)v);
}

/*
 * Appends a bulk string "$len\r\n<bytes>\r\n" with one evbuffer_add() or
 * reservation; the bytes are copied.
 */
void
resp_add_bulk(struct evbuffer *out, const void *p, size_t len)
{
	char small[RESP_SMALL], *end = small + RESP_HDR_MAX - 2, *s;
	struct evbuffer_iovec v;
	size_t hlen;

	end[0] = '\r';
	end[1] = '\n';
	s = resp_fmt_u64(end, len);
	*--s = '$';
	hlen = (size_t)(end + 2 - s);
	if (len + 2 <= sizeof(small) - RESP_HDR_MAX) {
		if (len != 0) /* p may be NULL */
			memcpy(end + 2, p, len);
		memcpy(end + 2 + len, "\r\n", 2);
		evbuffer_add(out, s, hlen + len + 2);
		return;
	}
	if (evbuffer_reserve_space(out, (ev_ssize_t)(hlen + len + 2), &v, 1) !=
	    1)
		return;
	memcpy(v.iov_base, s, hlen);
	memcpy((char *)v.iov_base + hlen, p, len); /* len > 0 here */
	memcpy((char *)v.iov_base + hlen + len, "\r\n", 2);
	v.iov_len = hlen + len + 2;
	evbuffer_commit_space(out, &v, 1);
}

/*
 * Appends a null: "$-1\r\n" in RESP2, "_\r\n" in RESP3.
 */
void
resp_add_null(struct evbuffer *out, int resp3)
{
	if (resp3)
		evbuffer_add(out, "_\r\n", 3);
	else
		evbuffer_add(out, "$-1\r\n", 5);
}

/*
 * Appends a boolean: ":1"/":0" in RESP2, "#t"/"#f" in RESP3.
 */
void
resp_add_bool(struct evbuffer *out, int v, int resp3)
{
	if (resp3)
		evbuffer_add(out, v ? "#t\r\n" : "#f\r\n", 4);
	else
		evbuffer_add(out, v ? ":1\r\n" : ":0\r\n", 4);
}

/*
 * Writes v as Redis shows a double: "inf", "-inf", "nan", or the shortest
 * "%.*g" text (at most 17 digits) that reads back as v, so 1.5 is "1.5"
 * and 3 is "3".  Returns the length.
 */
static size_t
resp_fmt_double(char *buf, size_t size, double v)
{
	int prec, n = 0;

	if (isnan(v))
		return (size_t)snprintf(buf, size, "nan");
	if (isinf(v))
		return (size_t)snprintf(buf, size, v > 0 ? "inf" : "-inf");
	for (prec = 1; prec <= 17; prec++) {
		n = snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return (size_t)n;
}

/*
 * Appends a double: ",<text>\r\n" in RESP3, a bulk string of the text in
 * RESP2 (as Redis replies INCRBYFLOAT).
 */
void
resp_add_double(struct evbuffer *out, double v, int resp3)
{
	char buf[RESP_HDR_MAX];
	size_t len = resp_fmt_double(buf, sizeof(buf), v);

	if (resp3)
		resp_add_line(out, ',', buf, len, NULL, 0);
	else
		resp_add_bulk(out, buf, len);
}

/*
 * Appends an array header "*n\r\n"; the caller appends n items.
 */
void
resp_add_array(struct evbuffer *out, size_t n)
{
	resp_add_num(out, '*', 0, n);
}

/*
 * Appends a bulk string's header, "$len\r\n": the caller appends len
 * bytes and "\r\n".
 */
void
resp_add_bulk_head(struct evbuffer *out, size_t len)
{
	resp_add_num(out, '$', 0, len);
}

/*
 * Appends the header of an out-of-band frame of n elements (pub/sub):
 * ">n" (a push) in RESP3, "*n" in RESP2.
 */
void
resp_add_push(struct evbuffer *out, size_t n, int resp3)
{
	resp_add_num(out, resp3 ? '>' : '*', 0, n);
}

/*
 * Appends a map header: "%n\r\n" in RESP3, "*<2n>\r\n" in RESP2; the caller
 * appends n keys each followed by its value.
 */
void
resp_add_map(struct evbuffer *out, size_t n, int resp3)
{
	if (resp3)
		resp_add_num(out, '%', 0, n);
	else
		resp_add_num(out, '*', 0, (uint64_t)n * 2);
}

/* An int beyond int64 (RESP has no ':' for it): its digits as a bulk. */
static void
resp_add_uint(struct evbuffer *out, uint64_t v)
{
	char buf[24];

	if (v <= INT64_MAX) {
		resp_add_int(out, (int64_t)v);
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	resp_add_bulk(out, buf, strlen(buf));
}

/*
 * A status ext as a simple string, CR and LF turned into spaces; any other
 * ext as the bulk of its bytes.
 */
static void
resp_add_ext(struct evbuffer *out, const msgpack_object *o)
{
	if (o->via.ext.type != DUET_EXT_STATUS) {
		resp_add_bulk(out, o->via.ext.ptr, o->via.ext.size);
		return;
	}
	/* resp_add_simple turns CR and LF into spaces. */
	resp_add_simple(out, o->via.ext.ptr, o->via.ext.size);
}

/*
 * Appends o to out as a RESP3 (resp3 != 0) or RESP2 reply, per SPEC.md
 * section 5: int ':', str/bin '$', nil null, bool, float, array '*', map
 * '%' or flat '*', ext 1 (status) '+', other ext the bulk of its bytes.
 * An int above INT64_MAX is sent as the bulk of its digits.  Recursion is
 * bounded by the depth of o (msgpack-c 4 unpacks at most 32 levels).
 */
void
resp_add_msgpack(struct evbuffer *out, const msgpack_object *o, int resp3)
{
	uint32_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		resp_add_null(out, resp3);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		resp_add_bool(out, o->via.boolean, resp3);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		resp_add_uint(out, o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		resp_add_int(out, o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		resp_add_double(out, o->via.f64, resp3);
		break;
	case MSGPACK_OBJECT_STR:
		resp_add_bulk(out, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		resp_add_bulk(out, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		resp_add_array(out, o->via.array.size);
		for (i = 0; i < o->via.array.size; i++)
			resp_add_msgpack(out, &o->via.array.ptr[i], resp3);
		break;
	case MSGPACK_OBJECT_MAP:
		resp_add_map(out, o->via.map.size, resp3);
		for (i = 0; i < o->via.map.size; i++) {
			resp_add_msgpack(out, &o->via.map.ptr[i].key, resp3);
			resp_add_msgpack(out, &o->via.map.ptr[i].val, resp3);
		}
		break;
	case MSGPACK_OBJECT_EXT:
		resp_add_ext(out, o);
		break;
	default:
		resp_add_error(out, "ERR", "reply has an unknown msgpack type");
		break;
	}
}

/*
 * RESP text is at most this many times the msgpack it comes from: the
 * worst is a 1-byte value (":127\r\n", "$0\r\n\r\n") or a float32, whose
 * 5 bytes become at most 30.
 */
#define RESP_REPLY_GROWTH 8

/*
 * resp_add_msgpack, stopping as soon as out holds more than max
 * bytes.  Returns 0, or -1 once over.
 */
static int
resp_add_bounded(
    struct evbuffer *out, const msgpack_object *o, int resp3, size_t max)
{
	uint32_t i;

	if (o->type == MSGPACK_OBJECT_ARRAY) {
		resp_add_array(out, o->via.array.size);
		for (i = 0; i < o->via.array.size; i++) {
			if (resp_add_bounded(
			        out, &o->via.array.ptr[i], resp3, max) == -1)
				return -1;
		}
	} else if (o->type == MSGPACK_OBJECT_MAP) {
		resp_add_map(out, o->via.map.size, resp3);
		for (i = 0; i < o->via.map.size; i++) {
			if (resp_add_bounded(out, &o->via.map.ptr[i].key, resp3,
			        max) == -1 ||
			    resp_add_bounded(
			        out, &o->via.map.ptr[i].val, resp3, max) == -1)
				return -1;
		}
	} else {
		resp_add_msgpack(out, o, resp3);
	}
	return evbuffer_get_length(out) > max ? -1 : 0;
}

/*
 * Appends o (unpacked from mplen bytes of msgpack) to out as
 * resp_add_msgpack does, at most max bytes of it: past that it
 * stops writing and fails with "reply is larger than N bytes".  A reply
 * that cannot reach max is written straight into out.  Returns 0, or -1
 * with err set and out unchanged.
 */
int
resp_add_msgpack_max(struct evbuffer *out, const msgpack_object *o, int resp3,
    size_t mplen, size_t max, struct duet_err *err)
{
	struct evbuffer *tmp;
	int rc = -1;

	if (mplen <= max / RESP_REPLY_GROWTH) {
		resp_add_msgpack(out, o, resp3);
		return 0;
	}
	if ((tmp = evbuffer_new()) == NULL) {
		util_err_set(err, "ERR", "out of memory");
		return -1;
	}
	if (resp_add_bounded(tmp, o, resp3, max) == -1)
		convert_err_over(err, max);
	else if (evbuffer_add_buffer(out, tmp) == -1)
		util_err_set(err, "ERR", "out of memory");
	else
		rc = 0;
	evbuffer_free(tmp);
	return rc;
}

/*
 * o as one bulk string of its JSON text (CLIENT ENCODING json): a
 * scalar's text is measured and written in place, any other value's is
 * generated into a buffer first.  Fails (err set) as
 * convert_msgpack_to_json does.
 */
static void
resp_reply_json(struct evbuffer *out, const msgpack_object *o, size_t max,
    struct duet_err *err)
{
	struct convert_json_text t;
	struct evbuffer *json;

	if (convert_json_measure(&t, o) && t.len <= max) {
		resp_add_num(out, '$', 0, t.len);
		convert_json_add(out, &t);
		evbuffer_add(out, "\r\n", 2);
		return;
	}
	if ((json = evbuffer_new()) == NULL) {
		util_err_set(err, "ERR", "out of memory");
		return;
	}
	if (convert_msgpack_to_json(json, o, max, err) == 0) {
		resp_add_num(out, '$', 0, evbuffer_get_length(json));
		evbuffer_add_buffer(out, json);
		evbuffer_add(out, "\r\n", 2);
	}
	evbuffer_free(json);
}

/*
 * The writer's value: o (the unpacked value of mp, both borrowed) as RESP
 * types, or as one bulk string of msgpack or JSON (CLIENT ENCODING).  A
 * value larger than enc->max_output, or with no JSON form, is its error.
 */
static void
resp_reply_value(const struct reply_enc *enc, struct evbuffer *out,
    const msgpack_object *o, const char *mp, size_t len)
{
	struct duet_err err;
	char buf[64];

	err.code[0] = '\0'; /* not the whole struct: this is every reply */
	switch (enc->encoding) {
	case REPLY_ENC_MSGPACK:
		if ((mp = convert_msgpack_reply(o, mp, &len, buf, sizeof(buf),
		         enc->max_output, &err)) != NULL)
			resp_add_bulk(out, mp, len);
		break;
	case REPLY_ENC_JSON:
		resp_reply_json(out, o, enc->max_output, &err);
		break;
	default:
		resp_add_msgpack_max(
		    out, o, enc->resp3, len, enc->max_output, &err);
		break;
	}
	if (err.code[0] != '\0')
		resp_add_error(out, err.code, err.msg);
}

/*
 * The writer's error: -CODE message.
 */
static void
resp_reply_error(const struct reply_enc *enc, struct evbuffer *out,
    const struct duet_err *err)
{
	(void)enc;
	resp_add_error(out, err->code, err->msg);
}

/*
 * RESP has no stream type: a stream is collected into one array.
 */
static enum reply_stream
resp_reply_stream_mode(const struct reply_enc *enc)
{
	(void)enc;
	return REPLY_STREAM_COLLECT;
}

/* The RESP wire format; its streams are always collected. */
const struct reply_writer resp_reply_writer = {
    .value = resp_reply_value,
    .error = resp_reply_error,
    .stream_mode = resp_reply_stream_mode,
};
