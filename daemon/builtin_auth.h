/* SPDX-License-Identifier: MIT */
/*
 * builtin_auth - logging in over RESP (SPEC section 9.3): the AUTH
 * built-in, the AUTH option of HELLO, and the late answer of a throttled
 * failure (a timer on the loop and a reply slot that keeps its place in
 * the pipeline).  Users, tokens and the throttle itself are auth.c's; the
 * conn's identity is set through dispatch_login.
 */
#ifndef DUET_BUILTIN_AUTH_H
#define DUET_BUILTIN_AUTH_H

#include <stddef.h>

#include <duet/plugin.h>

struct conn;

void builtin_auth(duet_call *call);
int builtin_auth_login(duet_call *call, const char *user, size_t userlen,
    const char *token, size_t tokenlen);
int builtin_auth_required(const struct conn *c);

#endif /* DUET_BUILTIN_AUTH_H */
