/* SPDX-License-Identifier: MIT */
/*
 * route - HTTP responses (L0 in all but its includes): the head, a whole
 * response, a reply value or an error as JSON or msgpack.  What a request
 * means is http_session.c's; the "writers" part of issue 10 moves these
 * functions into http_reply.c.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "convert.h"
#include "http.h"
#include "multi.h"
#include "route.h"
#include "util.h"

#define ROUTE_JSON    "application/json"
#define ROUTE_MSGPACK "application/msgpack"

/*
 * Forgets the response settings of the last request (and its Origin):
 * what an error answered outside a request needs, HTTP/1.minor.
 */
void
route_ctx_reset(struct route_ctx *ctx, int minor)
{
	free(ctx->origin);
	memset(ctx, 0, sizeof(*ctx));
	ctx->minor = minor;
}

/*
 * Response headers every reply of this request carries: CORS for an
 * allowed origin, and Allow on 405.
 */
static void
route_extra_headers(
    const struct route_ctx *ctx, int status, char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
	if (ctx->origin != NULL)
		n = snprintf(buf, len,
		    "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n",
		    ctx->origin);
	if (status == 405 && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "Allow: %s\r\n",
		    ctx->allow != NULL ? ctx->allow : "POST");
}

/*
 * Writes a response head for ctx's request.  content_length as
 * http_add_head takes it (-1: chunked).  closing: the connection closes
 * after this response.
 */
void
route_head(const struct route_ctx *ctx, int closing, struct evbuffer *out,
    int status, const char *ctype, int64_t content_length)
{
	char extra[512];

	route_extra_headers(ctx, status, extra, sizeof(extra));
	http_add_head(out, ctx->minor, status, ctype, content_length,
	    ctx->keep_alive && !closing, extra);
}

/*
 * Writes a whole response: head, then body unless HEAD.
 */
void
route_respond_ctx(const struct route_ctx *ctx, int closing,
    struct evbuffer *out, int status, const char *ctype, const void *body,
    size_t len)
{
	route_head(ctx, closing, out, status, ctype, (int64_t)len);
	if (!ctx->head && len > 0)
		evbuffer_add(out, body, len);
}

/*
 * Encodes a msgpack value as the client asked: msgpack as is, or JSON.
 */
static void
route_reply_encoded(const struct route_ctx *ctx, int closing,
    struct evbuffer *out, int status, const msgpack_object *o, const char *mp,
    size_t len, size_t max)
{
	struct evbuffer *json;
	struct duet_err err;
	char buf[64];

	if (ctx->msgpack) {
		if ((mp = convert_msgpack_reply(
		         o, mp, &len, buf, sizeof(buf), max, &err)) != NULL) {
			route_respond_ctx(
			    ctx, closing, out, status, ROUTE_MSGPACK, mp, len);
			return;
		}
		err.status = 500;
		route_reply_error(ctx, closing, out, &err);
		return;
	}
	if ((json = evbuffer_new()) == NULL) {
		route_respond_ctx(ctx, 1, out, 500, NULL, NULL, 0);
		return;
	}
	if (convert_msgpack_to_json(json, o, max, &err) == -1) {
		evbuffer_free(json);
		err.status = 500;
		route_reply_error(ctx, closing, out, &err);
		return;
	}
	route_respond_ctx(ctx, closing, out, status, ROUTE_JSON,
	    evbuffer_pullup(json, -1), evbuffer_get_length(json));
	evbuffer_free(json);
}

/*
 * The response to a successful call: 200 and the value, or a 500 error
 * when its body would be larger than max bytes.  ctx: the request's
 * response settings; closing: the connection closes after it.
 */
void
route_reply_value(const struct route_ctx *ctx, int closing,
    struct evbuffer *out, const msgpack_object *o, const char *mp, size_t len,
    size_t max)
{
	if (ctx->batch) {
		multi_batch_value(ctx, out, o, mp, len, max);
		return;
	}
	route_reply_encoded(ctx, closing, out, 200, o, mp, len, max);
}

/*
 * Packs an error as {"error":{"code":..., "message":...}} into sb (which
 * the caller initialised and destroys).
 */
void
route_pack_error(msgpack_sbuffer *sb, const struct duet_err *err)
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
} route_error_statuses[] = {
    {"NOAUTH", 401},
    {"WRONGPASS", 401},
    {"NOPERM", 403},
    {"BUSY", 503},
};

/*
 * The status an error is answered with: its own (400-599), else its
 * code's from route_error_statuses, else 500.
 */
static int
route_error_status(const struct duet_err *err)
{
	size_t i;

	if (err->status >= 400 && err->status <= 599)
		return err->status;
	for (i = 0;
	     i < sizeof(route_error_statuses) / sizeof(route_error_statuses[0]);
	     i++) {
		if (strcmp(err->code, route_error_statuses[i].code) == 0)
			return route_error_statuses[i].status;
	}
	return 500;
}

/*
 * The response to an error: its status (route_error_status) and
 * {"error":{"code":..., "message":...}}.
 */
void
route_reply_error(const struct route_ctx *ctx, int closing,
    struct evbuffer *out, const struct duet_err *err)
{
	msgpack_sbuffer sb;
	msgpack_unpacked up;

	if (ctx->batch) {
		multi_batch_error(ctx, out, err);
		return;
	}
	msgpack_sbuffer_init(&sb);
	route_pack_error(&sb, err);
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, sb.data, sb.size, NULL) ==
	    MSGPACK_UNPACK_SUCCESS)
		route_reply_encoded(ctx, closing, out, route_error_status(err),
		    &up.data, sb.data, sb.size, SIZE_MAX);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}
