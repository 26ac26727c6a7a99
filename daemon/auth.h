/* SPDX-License-Identifier: MIT */
/*
 * auth - L1 state: who may call what (SPEC section 9.1, 9.2).  One
 * immutable struct auth per registry generation (reg->auth; NULL when the
 * config has no auth section: every caller may call everything): the
 * users, their token hashes (SHA-256), their command rules compiled
 * against that generation's commands into one bit per command, and their
 * channel globs (SPEC section 10), and who may register as a linked
 * daemon (SPEC section 11).  Look-ups
 * on the request path are pure; a token is hashed and compared with
 * CRYPTO_memcmp against every user's hash, with no early exit.  Also the
 * process-wide failed-login counters per source address (the throttle),
 * which outlive generations.
 *
 * A user is named on the request path by its index in the generation
 * (AUTH_NONE: unauthenticated).  A conn keeps the user's name and
 * re-resolves the index when the generation changes (auth_user_index).
 */
#ifndef DUET_AUTH_H
#define DUET_AUTH_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct config;

#define AUTH_NONE (-1) /* unauthenticated (no user) */

/* What auth_build is told of each command of the generation. */
struct auth_cmd {
	const char *name; /* lower-case */
	unsigned flags;   /* DUET_PUBLIC, DUET_READONLY, ... */
	int builtin;      /* a built-in (not a plugin's) */
};

enum auth_verdict {
	AUTH_OK,     /* may call it */
	AUTH_NOAUTH, /* must log in first: -NOAUTH, HTTP 401 */
	AUTH_NOPERM, /* logged in, not allowed: -NOPERM, HTTP 403 */
};

struct auth;

/*
 * Builds the auth of a generation from cf->auth, its rules compiled
 * against cmds[0..n-1] (the generation's commands, in registry order: a
 * command's index there is its index here).  *out is NULL when cf has no
 * auth section.  Returns the number of errors (logged).
 */
int auth_build(const struct config *cf, const struct auth_cmd *cmds, size_t n,
    struct auth **out);
void auth_free(struct auth *a);

/* Logging in: the user index, or AUTH_NONE.  user NULL (or "default")
 * means whichever user the token belongs to. */
int auth_login(const struct auth *a, const char *user, size_t userlen,
    const char *token, size_t tokenlen);
int auth_user_by_cn(const struct auth *a, const char *cn);
int auth_user_by_uid(const struct auth *a, uid_t uid);
int auth_user_index(const struct auth *a, const char *name);
enum auth_verdict auth_check_linked(
    const struct auth *a, int user, const char *name, unsigned flags);
const char *auth_user_name(const struct auth *a, int user);

/* Whether user may register as a linked daemon named as[0..aslen)
 * (SPEC 11): link: true, and link_as unset or equal to it. */
int auth_user_may_link(
    const struct auth *a, int user_index, const char *as, size_t aslen);

/* Whether user may call the command at index cmd of the generation. */
enum auth_verdict auth_check(const struct auth *a, int user, size_t cmd);

/* Whether user may subscribe to or publish on a channel (or subscribe to
 * a pattern) whose text is name[0..len). */
enum auth_verdict auth_channel_check(
    const struct auth *a, int user, const char *name, size_t len);

/*
 * Failed logins per source address (addr: the peer's address without
 * port, "unix" for a unix socket).  auth_failed counts one and returns how
 * long to wait before answering it, in ms (0: at once); auth_succeeded
 * clears the address's count.  Any thread.
 */
uint64_t auth_failed(const char *addr);
void auth_succeeded(const char *addr);
uint64_t auth_failures_total(void);
void auth_set_clock(uint64_t (*now_ms)(void));

#endif /* DUET_AUTH_H */
