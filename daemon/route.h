/* SPDX-License-Identifier: MIT */
/*
 * route - what an HTTP request means: the built-in paths (/healthz,
 * /commands, /metrics), browser safety (Host, Origin, CORS preflight,
 * media types), turning the path, query or body into a dispatch request.
 * Responses are written by http_reply.c, whose struct http_resp holds the
 * current request's response settings; the HTTP framing itself is
 * http.c's.
 */
#ifndef DUET_ROUTE_H
#define DUET_ROUTE_H

struct conn;
struct duet_err;
struct http_request;

void route_request(struct conn *c, struct http_request *req);
int route_expect(struct conn *c, const struct http_request *req);

#endif /* DUET_ROUTE_H */
