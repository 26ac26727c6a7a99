/* SPDX-License-Identifier: MIT */
/*
 * builtin_http - the daemon's own HTTP paths (L4): /, /healthz,
 * /commands, /metrics, /openapi.json, /plugins; and who a listing of
 * commands is for (/commands, /openapi.json, COMMAND).
 */
#ifndef DUET_BUILTIN_HTTP_H
#define DUET_BUILTIN_HTTP_H

#include "describe.h"
#include "http.h"

struct auth;
struct conn;
struct http_resp;
struct registry;

/* Who may GET a path (SPEC 9.1). */
enum builtin_http_access {
	BUILTIN_HTTP_NONE, /* not a built-in path */
	BUILTIN_HTTP_OPEN, /* everyone: /, /healthz, the listings */
	BUILTIN_HTTP_USER, /* an authenticated user: /metrics, /plugins */
};

/*
 * The commands a listing shows to one caller: its describe filter, with
 * the linked commands visible now (SPEC 11) after the generation's.
 * builtin_http_listing fills it, builtin_http_listing_fini frees it.
 */
struct builtin_http_listing {
	struct describe_filter filter;
	const struct registry *reg; /* borrowed: the generation listed */
	int user; /* the caller's index in reg->auth, or AUTH_NONE */
	/* owned array of pointers borrowed from the worker's link table
	 * (valid until the worker next refreshes it, after the listing) */
	const struct command **more;
};

int builtin_http_path(struct conn *c, struct http_resp *ctx,
    const struct http_request *req, struct http_str path);
enum builtin_http_access builtin_http_access(struct http_str path);
const struct describe_filter *builtin_http_listing(
    struct builtin_http_listing *l, struct conn *c, const struct registry *reg);
void builtin_http_listing_fini(struct builtin_http_listing *l);

#endif /* DUET_BUILTIN_HTTP_H */
