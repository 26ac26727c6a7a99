/* SPDX-License-Identifier: MIT */
/*
 * builtin_auth - AUTH and HELLO's AUTH option (see builtin_auth.h).
 *
 * A login goes through dispatch_login, which hashes the token and sets
 * the conn's identity; here are Redis 7's answers.  A wrong pair is
 * counted by auth_failed per source address; past the throttle's
 * threshold the answer is due later: the handler reserves an empty slot
 * in the conn's reply queue before its WRONGPASS reply, so that reply
 * and every later one wait behind it, and a timer on the worker's loop
 * marks the slot done when the delay has passed.  No thread waits, other
 * clients are not slowed, and a conn closed meanwhile frees the timer
 * (the slot's orphaned hook).  No token is ever logged or echoed.
 *
 * L4, on the worker's loop.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth.h"
#include "builtin_admin.h"
#include "builtin_auth.h"
#include "conn.h"
#include "convert.h"
#include "dispatch.h"
#include "env.h"
#include "registry.h"

/* A throttled failure's answer, waiting on its timer. */
struct builtin_late {
	struct conn *conn;       /* borrowed: until the slot is orphaned */
	struct conn_reply *slot; /* borrowed: c's, the place kept */
	struct event *ev;        /* owned: the timer */
};

static void
builtin_late_drained(void *arg, size_t backlog)
{
	(void)arg;
	(void)backlog;
}

/*
 * The conn is freed before the delay passed: the timer goes with it.
 */
static void
builtin_late_orphaned(void *arg)
{
	struct builtin_late *l = arg;

	event_free(l->ev);
	free(l);
}

static const struct conn_slot_owner builtin_late_owner = {
    .drained = builtin_late_drained,
    .orphaned = builtin_late_orphaned,
};

/*
 * The delay has passed: the kept place is let go, so the WRONGPASS reply
 * behind it (and what followed) is written.
 */
static void
builtin_late_fire(evutil_socket_t fd, short what, void *arg)
{
	struct builtin_late *l = arg;
	struct conn_reply *slot = l->slot;
	struct conn *c = l->conn;

	(void)fd;
	(void)what;
	event_free(l->ev);
	free(l);
	(void)conn_reply_slot_done(c, slot);
}

/*
 * Holds c's next replies for ms milliseconds, in pipeline order.  Out of
 * memory, they go at once.
 */
static void
builtin_auth_late(struct conn *c, uint64_t ms)
{
	struct builtin_late *l;
	struct timeval tv;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return;
	l->conn = c;
	if ((l->ev = evtimer_new(c->env->base, builtin_late_fire, l)) == NULL ||
	    (l->slot = conn_reply_slot(c, &builtin_late_owner, l)) == NULL) {
		if (l->ev != NULL)
			event_free(l->ev);
		free(l);
		return;
	}
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(l->ev, &tv);
}

/*
 * The source address of peer ("1.2.3.4:5", "[::1]:5", "unix") without
 * its port, as auth_failed counts it, into buf.
 */
void
builtin_auth_peer_addr(const char *peer, char *buf, size_t len)
{
	const char *end = strrchr(peer, ':');
	size_t n;

	if (peer[0] == '[') {
		peer++;
		end = strchr(peer, ']');
	}
	n = end != NULL ? (size_t)(end - peer) : strlen(peer);
	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(buf, peer, n);
	buf[n] = '\0';
}

/*
 * Whether c must log in before calling what is not PUBLIC: auth is
 * configured and c has no user.
 */
int
builtin_auth_required(const struct conn *c)
{
	const struct registry *reg = c->env->reg;

	return reg != NULL && reg->auth != NULL && c->ident.user == NULL;
}

/*
 * Logs call's conn in as user (NULL: whoever the token is) with token
 * (AUTH, HELLO AUTH).  Returns 0 when logged in (the caller answers), or
 * -1 after answering the error: no auth configured, or WRONGPASS (the
 * identity unchanged; late when the address's failures are throttled).
 */
int
builtin_auth_login(duet_call *call, const char *user, size_t userlen,
    const char *token, size_t tokenlen)
{
	struct conn *c = call->conn;
	char addr[sizeof(c->peer)];
	uint64_t ms;
	int rv;

	rv = dispatch_login(c, user, userlen, token, tokenlen);
	if (rv == -1) {
		duet_reply_error(call, "ERR",
		    "AUTH <password> called without any password configured "
		    "for the default user. Are you sure your configuration is "
		    "correct?");
		return -1;
	}
	builtin_auth_peer_addr(c->peer, addr, sizeof(addr));
	if (rv == 1) {
		auth_succeeded(addr);
		return 0;
	}
	if ((ms = auth_failed(addr)) > 0)
		builtin_auth_late(c, ms);
	duet_reply_error(call, "WRONGPASS",
	    "invalid username-password pair or user is disabled.");
	return -1;
}

/*
 * AUTH token | AUTH user token (user "default": whoever the token is).
 */
void
builtin_auth(duet_call *call)
{
	uint32_t n = builtin_admin_nrest(call, 0);
	const char *user = NULL, *token;
	size_t userlen = 0, tokenlen;

	if (n == 0 || n > 2) {
		duet_reply_error(call, "ERR", "syntax error");
		return;
	}
	if (n == 2)
		user = builtin_admin_rest(call, 0, 0, &userlen);
	token = builtin_admin_rest(call, 0, n - 1, &tokenlen);
	if (builtin_auth_login(call, user, userlen, token, tokenlen) == 0)
		convert_pack_status(duet_reply(call), "OK");
}
