/* SPDX-License-Identifier: MIT */
/*
 * http_events - publish and subscribe over HTTP (L4, part of the HTTP
 * session; SPEC section 10): GET /events/<channel> and GET
 * /events?pattern=<glob> as a text/event-stream (or NDJSON) that lasts as
 * long as the client stays, and POST /publish/<channel>.
 */
#ifndef DUET_HTTP_EVENTS_H
#define DUET_HTTP_EVENTS_H

#include <stddef.h>

#include "http.h"

struct conn;
struct http_events;
struct http_resp;

/* Which of the reserved paths a path is. */
enum http_events_path {
	HTTP_EVENTS_NONE,    /* not reserved: a command or a built-in path */
	HTTP_EVENTS_STREAM,  /* /events, /events/<channel> */
	HTTP_EVENTS_PUBLISH, /* /publish/<channel> */
};

enum http_events_path http_events_which(struct http_str path);
int http_events_head(struct conn *c, const struct http_request *req);
int http_events_route(struct conn *c, struct http_resp *ctx,
    struct http_request *req, struct http_str path, struct http_str query,
    struct http_events **stream);
void http_events_free(struct http_events *ev);
size_t http_events_count(const struct http_events *ev, int pattern);

#endif /* DUET_HTTP_EVENTS_H */
