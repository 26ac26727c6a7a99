/* SPDX-License-Identifier: MIT */
/*
 * builtin_auth - AUTH and HELLO's AUTH option (see builtin_auth.h).
 *
 * A login goes through dispatch_login, which hashes the token and sets
 * the conn's identity; here are Redis 7's answers.  A wrong pair is
 * counted by auth_failed per source address; past the throttle's
 * threshold the answer is due later: conn_reply_hold keeps an empty slot
 * in the conn's reply queue before the WRONGPASS reply, so that reply
 * and every later one wait behind it until a timer lets it go.  No
 * thread waits and other clients are not slowed.  No token is ever
 * logged or echoed.
 *
 * L4, on the worker's loop.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>


#include "auth.h"
#include "builtin_admin.h"
#include "builtin_auth.h"
#include "conn.h"
#include "convert.h"
#include "dispatch.h"
#include "env.h"
#include "registry.h"

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
	char addr[CONN_ADDR_MAX];
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
	conn_peer_addr(c, addr, sizeof(addr));
	if (rv == 1) {
		auth_succeeded(addr);
		return 0;
	}
	if ((ms = auth_failed(addr)) > 0)
		conn_reply_hold(c, ms);
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
