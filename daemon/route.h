/* SPDX-License-Identifier: MIT */
/*
 * route - encoding replies and errors as HTTP responses (JSON by default,
 * msgpack on request), and the settings of the response to the current
 * request (struct route_ctx, owned by the HTTP session).  What a request
 * means is http_session.c's; the HTTP framing itself is http.c's.
 */
#ifndef DUET_ROUTE_H
#define DUET_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <msgpack.h>

struct duet_err;

/* What the response to the current request needs to know. */
struct route_ctx {
	int minor;         /* HTTP/1.minor of the request */
	int keep_alive;    /* keep the connection afterwards */
	int head;          /* HEAD: no body */
	int msgpack;       /* the client accepts msgpack */
	int sse;           /* the client accepts text/event-stream */
	const char *allow; /* Allow header of a 405; NULL: "POST" */
	char *origin;      /* owned: an allowed Origin to echo, or NULL */
	int batch;         /* POST /batch: MULTI_BATCH_* while its entries
	                      run (a reply is an element), else 0 */
};

void route_ctx_reset(struct route_ctx *ctx, int minor);
void route_head(const struct route_ctx *ctx, int closing, struct evbuffer *out,
    int status, const char *ctype, int64_t content_length);
void route_respond_ctx(const struct route_ctx *ctx, int closing,
    struct evbuffer *out, int status, const char *ctype, const void *body,
    size_t len);
void route_reply_value(const struct route_ctx *ctx, int closing,
    struct evbuffer *out, const msgpack_object *o, const char *mp, size_t len,
    size_t max);
void route_reply_error(const struct route_ctx *ctx, int closing,
    struct evbuffer *out, const struct duet_err *err);
void route_pack_error(msgpack_sbuffer *sb, const struct duet_err *err);

#endif /* DUET_ROUTE_H */
