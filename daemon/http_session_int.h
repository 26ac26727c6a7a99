/* SPDX-License-Identifier: MIT */
/*
 * http_session_int - what the parts of the HTTP session share: its state
 * in a conn, the stack buffer a JSON body is packed into, and the calls
 * between them.  http_session.c reads requests, answers their heads and
 * serves them; http_session_body.c reads their bodies.  Not for other
 * modules: they use http_session.h.
 */
#ifndef DUET_HTTP_SESSION_INT_H
#define DUET_HTTP_SESSION_INT_H

#include <stddef.h>
#include <stdlib.h>

#include <msgpack.h>

#include "conn.h"
#include "convert.h"
#include "http.h"
#include "http_admit.h"
#include "http_events.h"
#include "http_reply.h"

/* An HTTP conn's session state (c->sess): owned by the conn's proto. */
struct http_session {
	struct http_parser parser; /* the request being read */
	struct http_resp route;    /* the response to the current request */
	struct http_admit admit;   /* what its head decided */
	/* owned: the event stream this conn turned into (http_events.c),
	 * or NULL; once there, no other request is served */
	struct http_events *events;
};

static inline struct http_session *
http_session_of(const struct conn *c)
{
	return c->sess;
}

/* The msgpack form of a JSON body that fits on the stack. */
#define HTTP_SESSION_PACK_STACK 2048

/*
 * The msgpack form of a JSON body: on the caller's stack, in an owned
 * buffer once it outgrows it (no allocation for a small body).
 */
struct http_session_pack {
	struct convert_buf b;
	char stack[HTTP_SESSION_PACK_STACK];
};

static inline void
http_session_pack_init(struct http_session_pack *p)
{
	convert_buf_init(&p->b, p->stack, sizeof(p->stack));
}

static inline void
http_session_pack_fini(struct http_session_pack *p)
{
	convert_buf_fini(&p->b);
}

int http_session_body_is_json(struct http_str v);
int http_session_body_is_msgpack(struct http_str v);
int http_session_body(struct conn *c, struct http_request *req,
    msgpack_unpacked *up, struct http_session_pack *sb);
int http_session_expect(struct conn *c, const struct http_request *req);
void http_session_batch(struct conn *c, struct http_request *req);

#endif /* DUET_HTTP_SESSION_INT_H */
