/* SPDX-License-Identifier: MIT */
/*
 * route - what an HTTP request means: the built-in paths (/healthz,
 * /commands, /metrics), browser safety (Host, Origin, CORS preflight,
 * media types), turning the path, query or body into a dispatch request,
 * and encoding replies and errors as HTTP responses (JSON by default,
 * msgpack on request).  The HTTP framing itself is http.c's.
 */
#ifndef DUET_ROUTE_H
#define DUET_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <msgpack.h>

struct conn;
struct duet_err;
struct http_request;

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
void route_request(struct conn *c, struct http_request *req);
int route_expect(struct conn *c, const struct http_request *req);
void route_head(const struct route_ctx *ctx, int closing, struct evbuffer *out,
    int status, const char *ctype, int64_t content_length);
void route_reply_value(const struct route_ctx *ctx, int closing,
    struct evbuffer *out, const msgpack_object *o, const char *mp, size_t len,
    size_t max);
void route_reply_error(const struct route_ctx *ctx, int closing,
    struct evbuffer *out, const struct duet_err *err);
void route_pack_error(msgpack_sbuffer *sb, const struct duet_err *err);

#endif /* DUET_ROUTE_H */
