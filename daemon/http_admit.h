/* SPDX-License-Identifier: MIT */
/*
 * http_admit - the HTTP session's admission of a request from its head
 * (L4, part of http_session): who the caller is (an Authorization header,
 * else the connection's start identity), then whether the route the
 * request line names may be served to it, all before a byte of the body
 * is read (SPEC 9.3).
 */
#ifndef DUET_HTTP_ADMIT_H
#define DUET_HTTP_ADMIT_H

#include <stdint.h>

#include "http.h"

struct command;
struct conn;
struct env;
struct http_resp;

/* What the head of the current request decided. */
struct http_admit {
	/* borrowed from generation gen: the command admitted, or NULL */
	const struct command *cmd;
	uint64_t gen;
	int refused; /* answered from the head: the request is skipped */
	/* this conn's address was cleared of failed logins (auth_succeeded)
	 * by a login of this conn, and none failed here since */
	int cleared;
	/* owned: the Authorization value of this conn's last good login in
	 * generation credgen, or NULL: the same value again is that user
	 * without hashing the token again (cleansed when dropped) */
	char *cred;
	size_t credlen;
	uint64_t credgen;
};

int http_admit_host(const struct env *w, struct http_str host);
int http_admit_origin(
    const struct env *w, struct http_resp *ctx, const struct http_request *req);
void http_admit_fini(struct http_admit *a);
int http_admit_head(
    struct conn *c, const struct http_request *req, struct http_admit *a);

#endif /* DUET_HTTP_ADMIT_H */
