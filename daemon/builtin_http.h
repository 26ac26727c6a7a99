/* SPDX-License-Identifier: MIT */
/*
 * builtin_http - the daemon's own HTTP paths (L4): /, /healthz,
 * /commands, /metrics, /openapi.json, /plugins.
 */
#ifndef DUET_BUILTIN_HTTP_H
#define DUET_BUILTIN_HTTP_H

#include "http.h"

struct conn;
struct route_ctx;

int builtin_http_path(struct conn *c, struct route_ctx *ctx,
    const struct http_request *req, struct http_str path);

#endif /* DUET_BUILTIN_HTTP_H */
