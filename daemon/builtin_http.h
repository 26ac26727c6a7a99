/* SPDX-License-Identifier: MIT */
/*
 * builtin_http - the daemon's own HTTP paths (L4): /, /healthz,
 * /commands, /metrics, /openapi.json, /plugins.
 */
#ifndef DUET_BUILTIN_HTTP_H
#define DUET_BUILTIN_HTTP_H

#include "http.h"

struct conn;
struct http_resp;

int builtin_http_path(struct conn *c, struct http_resp *ctx,
    const struct http_request *req, struct http_str path);

#endif /* DUET_BUILTIN_HTTP_H */
