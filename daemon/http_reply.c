/* SPDX-License-Identifier: MIT */
/*
 * http_reply - L0: the HTTP writer.  A reply is a whole response: the
 * head (http_add_head's framing, plus the CORS headers of an allowed
 * Origin and the Allow header of a 405), then the value as JSON, or as
 * msgpack when the client accepts it, or an error object with its status
 * (its own, or its code's, else 500).  Inside POST /batch a reply is one
 * element of the chunked array instead.  A stream's response is chunked
 * (HTTP/1.0: the bare body, ended by closing): NDJSON, SSE events, or
 * concatenated msgpack values, with an error after the first item sent as
 * a last item.  The stream's state (items, unsent bytes, whether its head
 * is out) is the call's (call_stream.c); what a request means is the
 * session's.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "convert.h"
#include "http.h"
#include "http_reply.h"
#include "util.h"

#define HTTP_REPLY_JSON    "application/json"
#define HTTP_REPLY_MSGPACK "application/msgpack"
/* A body this long or shorter fits beside its head in out's chain. */
#define HTTP_REPLY_SHORT 256
/* Room for a usual response head. */
#define HTTP_REPLY_HEAD_ROOM 512

static void http_reply_error_resp(const struct http_resp *r, int closing,
    struct evbuffer *out, const struct duet_err *err);

/*
 * Forgets the response settings of the last request (and its Origin):
 * what an error answered outside a request needs, HTTP/1.minor.
 */
void
http_resp_reset(struct http_resp *r, int minor)
{
	free(r->origin);
	memset(r, 0, sizeof(*r));
	r->minor = minor;
}

/*
 * Copies src's settings into dst (which owns nothing yet), with a copy of
 * its Origin: out of memory, none, so a browser refuses the response.
 */
void
http_resp_copy(struct http_resp *dst, const struct http_resp *src)
{
	*dst = *src;
	if (src->origin != NULL)
		dst->origin = strdup(src->origin);
}

/*
 * Response headers every reply of this request carries: CORS for an
 * allowed origin, Allow on 405, WWW-Authenticate on 401.
 */
static void
http_reply_extra_headers(
    const struct http_resp *r, int status, char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
	if (r->origin != NULL)
		n = snprintf(buf, len,
		    "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n",
		    r->origin);
	if (status == 405 && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "Allow: %s\r\n",
		    r->allow != NULL ? r->allow : "POST");
	else if (status == 401 && r->challenge != NULL && n >= 0 &&
	    (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "WWW-Authenticate: %s\r\n",
		    r->challenge);
}

/*
 * Writes a response head for r's request.  content_length as
 * http_add_head takes it (-1: chunked).  closing: the connection closes
 * after this response.
 */
static void
http_reply_head(const struct http_resp *r, int closing, struct evbuffer *out,
    int status, const char *ctype, int64_t content_length)
{
	char extra[512];

	http_reply_extra_headers(r, status, extra, sizeof(extra));
	http_add_head(out, r->minor, status, ctype, content_length,
	    r->keep_alive && !closing, extra);
}

/*
 * Writes a whole response to r's request: head, then body (len bytes,
 * copied) unless HEAD.  closing: the connection closes after it.
 */
void
http_reply_respond(const struct http_resp *r, int closing, struct evbuffer *out,
    int status, const char *ctype, const void *body, size_t len)
{
	http_reply_head(r, closing, out, status, ctype, (int64_t)len);
	if (!r->head && len > 0)
		evbuffer_add(out, body, len);
}

/*
 * Encodes a msgpack value as the client asked: msgpack as is, or JSON;
 * a 500 error when it is larger than max bytes or has no JSON form.
 */
static void
http_reply_encoded(const struct http_resp *r, int closing, struct evbuffer *out,
    int status, const msgpack_object *o, const char *mp, size_t len, size_t max)
{
	struct convert_json_text t;
	struct evbuffer *json;
	struct duet_err err;
	char buf[64];

	if (!r->msgpack && convert_json_measure(&t, o) && t.len <= max) {
		/* a scalar: its text measured, then written into out; a
		 * long one's head and text share one new chain of out */
		if (t.len > HTTP_REPLY_SHORT && !r->head)
			evbuffer_expand(out, HTTP_REPLY_HEAD_ROOM + t.len);
		http_reply_head(
		    r, closing, out, status, HTTP_REPLY_JSON, (int64_t)t.len);
		if (!r->head)
			convert_json_add(out, &t);
		return;
	}
	if (r->msgpack) {
		if ((mp = convert_msgpack_reply(
		         o, mp, &len, buf, sizeof(buf), max, &err)) != NULL) {
			http_reply_respond(r, closing, out, status,
			    HTTP_REPLY_MSGPACK, mp, len);
			return;
		}
		err.status = 500;
		http_reply_error_resp(r, closing, out, &err);
		return;
	}
	if ((json = evbuffer_new()) == NULL) {
		http_reply_respond(r, 1, out, 500, NULL, NULL, 0);
		return;
	}
	if (convert_msgpack_to_json(json, o, max, &err) == -1) {
		evbuffer_free(json);
		err.status = 500;
		http_reply_error_resp(r, closing, out, &err);
		return;
	}
	/* the body's chains are moved, not copied */
	http_reply_head(r, closing, out, status, HTTP_REPLY_JSON,
	    (int64_t)evbuffer_get_length(json));
	if (!r->head)
		evbuffer_add_buffer(out, json);
	evbuffer_free(json);
}

/*
 * Packs an error as {"error":{"code":..., "message":...}} into sb (which
 * the caller initialised and destroys).
 */
static void
http_reply_pack_error(msgpack_sbuffer *sb, const struct duet_err *err)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	convert_pack_cstr(&pk, "error");
	msgpack_pack_map(&pk, 2);
	convert_pack_cstr(&pk, "code");
	convert_pack_cstr(&pk, err->code);
	convert_pack_cstr(&pk, "message");
	convert_pack_cstr(&pk, err->msg);
}

/*
 * The HTTP status of the daemon's own error codes (SPEC sections 6 and
 * 9.3), for an error that does not carry one.  The "ERR" errors of bad
 * requests carry theirs from where they are decided (400 bad arguments,
 * 404 unknown command, 405 method, 408, 413, 415, 421, 431, 501, 505); a
 * handler's error carries 500 or the status it chose (ABI 1.2).
 */
static const struct {
	const char *code;
	int status;
} http_reply_error_statuses[] = {
    {"NOAUTH", 401},
    {"WRONGPASS", 401},
    {"NOPERM", 403},
    {"BUSY", 503},
};

/*
 * The status an error is answered with: its own (400-599), else its
 * code's from http_reply_error_statuses, else 500.
 */
static int
http_reply_error_status(const struct duet_err *err)
{
	size_t i;

	if (err->status >= 400 && err->status <= 599)
		return err->status;
	for (i = 0; i < sizeof(http_reply_error_statuses) /
	         sizeof(http_reply_error_statuses[0]);
	     i++) {
		if (strcmp(err->code, http_reply_error_statuses[i].code) == 0)
			return http_reply_error_statuses[i].status;
	}
	return 500;
}

/*
 * Appends len bytes to out as one chunk of r's response (as they are for
 * HTTP/1.0, which has no chunks: its body ends with the connection).
 */
static void
http_reply_chunk(
    const struct http_resp *r, struct evbuffer *out, const void *p, size_t len)
{
	if (len == 0)
		return;
	if (r->minor > 0)
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add(out, p, len);
	if (r->minor > 0)
		evbuffer_add(out, "\r\n", 2);
}

/*
 * One element of a /batch response: o (packed as mp) as msgpack, or as
 * JSON after '[' or ','.  Returns 0, or -1 (err set) when o has no JSON
 * or its encoding is larger than max bytes.
 */
static int
http_reply_batch_element(const struct http_resp *r, struct evbuffer *out,
    const msgpack_object *o, const char *mp, size_t len, size_t max,
    struct duet_err *err)
{
	struct evbuffer *body;
	char buf[64];

	if (r->msgpack) {
		if ((mp = convert_msgpack_reply(
		         o, mp, &len, buf, sizeof(buf), max, err)) == NULL)
			return -1;
		http_reply_chunk(r, out, mp, len);
		return 0;
	}
	if ((body = evbuffer_new()) == NULL) {
		util_err_set(err, "ERR", "out of memory");
		return -1;
	}
	evbuffer_add(body, r->batch == HTTP_RESP_BATCH_FIRST ? "[" : ",", 1);
	if (convert_msgpack_to_json(body, o, max, err) == -1) {
		evbuffer_free(body);
		return -1;
	}
	len = evbuffer_get_length(body);
	http_reply_chunk(r, out, evbuffer_pullup(body, -1), len);
	evbuffer_free(body);
	return 0;
}

/*
 * The error object of one /batch element: {"error":{"code", "message"}}.
 * Without memory for it, a null keeps the array well-formed.
 */
static void
http_reply_batch_error(
    const struct http_resp *r, struct evbuffer *out, const struct duet_err *err)
{
	static const msgpack_object nil = {.type = MSGPACK_OBJECT_NIL};
	static const char nilmp[] = "\xc0";
	msgpack_sbuffer sb;
	msgpack_unpacked up;
	struct duet_err why;
	size_t off = 0;

	msgpack_sbuffer_init(&sb);
	http_reply_pack_error(&sb, err);
	msgpack_unpacked_init(&up);
	if (sb.data == NULL ||
	    msgpack_unpack_next(&up, sb.data, sb.size, &off) !=
	        MSGPACK_UNPACK_SUCCESS ||
	    http_reply_batch_element(
	        r, out, &up.data, sb.data, sb.size, SIZE_MAX, &why) == -1)
		http_reply_batch_element(
		    r, out, &nil, nilmp, 1, SIZE_MAX, &why);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * The head of a POST /batch response to r's request, whose array holds n
 * elements: 200, chunked, and for msgpack the array's header as the first
 * chunk.  closing: the connection closes after the response.
 */
void
http_reply_batch_head(
    const struct http_resp *r, int closing, struct evbuffer *out, uint32_t n)
{
	struct evbuffer *hdr;
	msgpack_packer pk;

	http_reply_head(r, closing, out, 200,
	    r->msgpack ? HTTP_REPLY_MSGPACK : HTTP_REPLY_JSON, -1);
	if (!r->msgpack || (hdr = evbuffer_new()) == NULL)
		return;
	convert_packer_init(&pk, hdr);
	msgpack_pack_array(&pk, n);
	http_reply_chunk(
	    r, out, evbuffer_pullup(hdr, -1), evbuffer_get_length(hdr));
	evbuffer_free(hdr);
}

/*
 * The end of a POST /batch response of n elements: the JSON array's
 * closing bracket, then the terminating chunk (none on HTTP/1.0).
 */
void
http_reply_batch_end(
    const struct http_resp *r, struct evbuffer *out, uint32_t n)
{
	if (!r->msgpack)
		http_reply_chunk(r, out, n == 0 ? "[]" : "]", n == 0 ? 2 : 1);
	if (r->minor > 0)
		evbuffer_add(out, "0\r\n\r\n", 5);
}

/*
 * The response to an error (not a /batch element): its status
 * (http_reply_error_status) and {"error":{"code":..., "message":...}};
 * a 401 challenges for a Bearer token (WWW-Authenticate).
 */
static void
http_reply_error_resp(const struct http_resp *r, int closing,
    struct evbuffer *out, const struct duet_err *err)
{
	msgpack_sbuffer sb;
	msgpack_unpacked up;
	struct http_resp r401;

	if (http_reply_error_status(err) == 401) {
		/* SPEC 9.3: a wrong token is RFC 6750's invalid_token. */
		r401 = *r;
		r401.challenge = strcmp(err->code, "WRONGPASS") == 0
		    ? "Bearer realm=\"duetd\", error=\"invalid_token\""
		    : "Bearer realm=\"duetd\"";
		r = &r401;
	}
	msgpack_sbuffer_init(&sb);
	http_reply_pack_error(&sb, err);
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, sb.data, sb.size, NULL) ==
	    MSGPACK_UNPACK_SUCCESS)
		http_reply_encoded(r, closing, out,
		    http_reply_error_status(err), &up.data, sb.data, sb.size,
		    SIZE_MAX);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * The writer's value: 200 and the value, or a 500 error when its body
 * would be larger than enc->max_output bytes; inside /batch, an element
 * (a value with no JSON form becomes its error).
 */
static void
http_reply_value(const struct reply_enc *enc, struct evbuffer *out,
    const msgpack_object *o, const char *mp, size_t len)
{
	const struct http_resp *r = enc->http;
	struct duet_err err;

	if (!r->batch) {
		http_reply_encoded(
		    r, enc->closing, out, 200, o, mp, len, enc->max_output);
		return;
	}
	if (http_reply_batch_element(
	        r, out, o, mp, len, enc->max_output, &err) == -1)
		http_reply_batch_error(r, out, &err);
}

/*
 * The writer's error: an error response, or inside /batch an element.
 */
static void
http_reply_error(const struct reply_enc *enc, struct evbuffer *out,
    const struct duet_err *err)
{
	if (enc->http->batch)
		http_reply_batch_error(enc->http, out, err);
	else
		http_reply_error_resp(enc->http, enc->closing, out, err);
}

/*
 * A stream inside /batch is one element, so it is collected; HTTP/1.0
 * has no chunks, so its stream ends by closing.
 */
static enum reply_stream
http_reply_stream_mode(const struct reply_enc *enc)
{
	if (enc->http->batch)
		return REPLY_STREAM_COLLECT;
	return enc->http->minor == 0 ? REPLY_STREAM_TO_CLOSE
	                             : REPLY_STREAM_FRAMED;
}

/*
 * A stream's head: 200, chunked (or unframed for HTTP/1.0), the content
 * type the client asked for.  Not "Connection: close" for a connection
 * closing for other reasons, as before the writers were split.
 */
static void
http_reply_stream_head(const struct reply_enc *enc, struct evbuffer *out)
{
	const struct http_resp *r = enc->http;
	const char *ctype = r->sse ? "text/event-stream"
	    : r->msgpack           ? HTTP_REPLY_MSGPACK
	                           : "application/x-ndjson";

	http_reply_head(r, 0, out, 200, ctype, -1);
}

/*
 * Encodes one stream item o (packed as mp) at the end of body: msgpack
 * as is, a JSON line (NDJSON), or an SSE event (`error` when error is
 * set).  *scratch: the stream's encoding buffer, created on first use.
 * Returns 0 or -1 (err set).
 */
static int
http_reply_item(const struct http_resp *r, size_t max, struct evbuffer *body,
    struct evbuffer **scratch, const msgpack_object *o, const char *mp,
    size_t len, int error, struct duet_err *err)
{
	struct evbuffer *tmp = *scratch;
	char buf[64];

	if (r->msgpack) {
		if ((mp = convert_msgpack_reply(
		         o, mp, &len, buf, sizeof(buf), max, err)) == NULL)
			return -1;
		evbuffer_add(body, mp, len);
		return 0;
	}
	if (tmp == NULL && (tmp = *scratch = evbuffer_new()) == NULL) {
		util_err_set(err, "ERR", "out of memory");
		return -1;
	}
	if (r->sse)
		evbuffer_add_printf(
		    tmp, "%sdata: ", error ? "event: error\n" : "");
	if (convert_msgpack_to_json(tmp, o, max, err) == -1) {
		evbuffer_drain(tmp, evbuffer_get_length(tmp));
		return -1;
	}
	evbuffer_add(tmp, r->sse ? "\n\n" : "\n", r->sse ? 2 : 1);
	/* Copied, so that tiny items share the chains of body. */
	len = evbuffer_get_length(tmp);
	evbuffer_add(body, evbuffer_pullup(tmp, -1), len);
	evbuffer_drain(tmp, len);
	return 0;
}

/*
 * The writer's stream item (any thread): see http_reply_item.
 */
static int
http_reply_stream_item(const struct reply_enc *enc, struct evbuffer *body,
    struct evbuffer **scratch, const msgpack_object *o, const char *mp,
    size_t len, struct duet_err *err)
{
	return http_reply_item(
	    enc->http, enc->max_output, body, scratch, o, mp, len, 0, err);
}

/*
 * Moves the body bytes in body to out: as one chunk, or as they are for
 * HTTP/1.0; dropped for HEAD.
 */
static void
http_reply_stream_body(
    const struct reply_enc *enc, struct evbuffer *out, struct evbuffer *body)
{
	size_t len = evbuffer_get_length(body);

	if (len == 0)
		return;
	if (enc->http->head) {
		evbuffer_drain(body, len);
		return;
	}
	if (enc->http->minor > 0)
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add_buffer(out, body);
	if (enc->http->minor > 0)
		evbuffer_add(out, "\r\n", 2);
}

/*
 * An error after a stream's first item: the error object as a last item
 * (an `error` event on SSE).  Nothing when out of memory.
 */
static void
http_reply_stream_error(const struct reply_enc *enc, struct evbuffer *out,
    struct evbuffer **scratch, const struct duet_err *err)
{
	struct evbuffer *body;
	msgpack_sbuffer sb;
	msgpack_unpacked up;
	struct duet_err why;

	if ((body = evbuffer_new()) == NULL)
		return;
	msgpack_sbuffer_init(&sb);
	http_reply_pack_error(&sb, err);
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, sb.data, sb.size, NULL) ==
	        MSGPACK_UNPACK_SUCCESS &&
	    http_reply_item(enc->http, enc->max_output, body, scratch, &up.data,
	        sb.data, sb.size, 1, &why) == 0)
		http_reply_stream_body(enc, out, body);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	evbuffer_free(body);
}

/*
 * Ends a stream whose head is out: err (if any) as a last item, encoded
 * in *scratch, then the terminating chunk (none for HTTP/1.0, which
 * closes, or HEAD).
 */
static void
http_reply_stream_end(const struct reply_enc *enc, struct evbuffer *out,
    struct evbuffer **scratch, const struct duet_err *err)
{
	if (err != NULL)
		http_reply_stream_error(enc, out, scratch, err);
	if (enc->http->minor > 0 && !enc->http->head)
		evbuffer_add(out, "0\r\n\r\n", 5);
}

/* The HTTP wire format. */
const struct reply_writer http_reply_writer = {
    .value = http_reply_value,
    .error = http_reply_error,
    .stream_mode = http_reply_stream_mode,
    .stream_head = http_reply_stream_head,
    .stream_item = http_reply_stream_item,
    .stream_body = http_reply_stream_body,
    .stream_end = http_reply_stream_end,
};
