/* SPDX-License-Identifier: MIT */
/*
 * http_reply - L0: every HTTP response byte the daemon writes for a reply:
 * heads with their CORS and Allow headers, a value as JSON or msgpack, an
 * error as {"error":{"code","message"}} with its status, the chunked body
 * of a stream (NDJSON, SSE or msgpack items) and of POST /batch.  Its
 * http_reply_writer is the HTTP wire format of reply.h.  The framing of a
 * head itself is http.c's (http_add_head); what a request means, and when
 * it is answered, is the session's.
 */
#ifndef DUET_HTTP_REPLY_H
#define DUET_HTTP_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "reply.h"

/* http_resp.batch: the reply being written is an element of /batch. */
#define HTTP_RESP_BATCH_FIRST 1 /* the first element */
#define HTTP_RESP_BATCH_NEXT  2 /* a later one */

/* What the response to the current request needs to know. */
struct http_resp {
	int minor;         /* HTTP/1.minor of the request */
	int keep_alive;    /* keep the connection afterwards */
	int head;          /* HEAD: no body */
	int msgpack;       /* the client accepts msgpack */
	int sse;           /* the client accepts text/event-stream */
	const char *allow; /* Allow header of a 405; NULL: "POST" */
	char *origin;      /* owned: an allowed Origin to echo, or NULL */
	int batch;         /* POST /batch: HTTP_RESP_BATCH_* while its
	                      entries run (a reply is an element), else 0 */
	/* static: the WWW-Authenticate value of a 401, set by the writer */
	const char *challenge;
};

extern const struct reply_writer http_reply_writer;

void http_resp_reset(struct http_resp *r, int minor);
void http_resp_copy(struct http_resp *dst, const struct http_resp *src);
void http_reply_respond(const struct http_resp *r, int closing,
    struct evbuffer *out, int status, const char *ctype, const void *body,
    size_t len);
void http_reply_batch_head(
    const struct http_resp *r, int closing, struct evbuffer *out, uint32_t n);
void http_reply_batch_end(
    const struct http_resp *r, struct evbuffer *out, uint32_t n);

#endif /* DUET_HTTP_REPLY_H */
