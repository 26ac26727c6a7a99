/* SPDX-License-Identifier: MIT */
/*
 * http_admit - admitting an HTTP request from its head (SPEC 9.3), part
 * of the HTTP session (L4).  http_session.c calls http_admit_head as soon
 * as the parser has the request line and headers, before any size check
 * of the body and before 100 Continue:
 *
 * - identity: with auth configured, `Authorization: Bearer TOKEN` or
 *   `Basic base64(user:token)` logs the connection in for this request
 *   (dispatch_login); no header returns it to its start identity
 *   (dispatch_ident_reset), so nothing carries over from one request of a
 *   keep-alive connection to the next.  A wrong pair is WRONGPASS (401),
 *   counted per source address (auth_failed); past the throttle's
 *   threshold it is answered late, from a timer on the loop, in its place
 *   in the reply queue.  A token is never logged or copied beyond this
 *   function's stack (wiped after use).
 * - Host and Origin (DNS rebinding, cross-site requests: SPEC 6), asked
 *   by http_session_begin.
 * - the route: the command a request with a body names (dispatch_admit:
 *   unknown, NOAUTH, NOPERM, GET of a command that is not READONLY; a
 *   request without one is whole already and is admitted by
 *   dispatch_request as it is served), /metrics and /plugins (an
 *   authenticated user), POST /batch (refused to an unauthenticated caller
 *   when auth is configured: its elements are only known from its body);
 *   /events and /publish/ are left to http_events_head, which the session
 *   calls next.
 *
 * With no auth configured, admission is the command look-up that dispatch
 * would do anyway, done earlier, and the command is carried to the call
 * (http_session_run).
 */
#include "autoconf.h"

#include <sys/types.h>

#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <openssl/crypto.h>

#include "auth.h"
#include "builtin_http.h"
#include "conn.h"
#include "dispatch.h"
#include "env.h"
#include "http.h"
#include "http_admit.h"
#include "http_events.h"
#include "http_reply.h"
#include "registry.h"
#include "util.h"

/* The longest Origin echoed back (longer ones are refused). */
#define HTTP_ADMIT_ORIGIN_MAX 255
/* The longest decoded Basic credentials ("user:token"). */
#define HTTP_ADMIT_BASIC_MAX 4096

/*
 * Whether s (not NUL-terminated) is in the list, ignoring case.
 */
static int
http_admit_listed(char *const *list, size_t n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(list[i], "*") == 0 ||
		    util_strcaseeq(s, len, list[i]))
			return 1;
	}
	return 0;
}

/*
 * Whether s[0..len) is a dotted-quad IPv4 address as inet_pton reads one
 * (four decimal parts of 0 to 255, no leading zeros), without the copy
 * and NUL it needs: the usual Host of a local client.
 */
static int
http_admit_ipv4(const char *s, size_t len)
{
	unsigned part = 0, parts = 0, digits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (digits > 0 && part == 0)
				return 0;
			part = part * 10 + (unsigned)(s[i] - '0');
			if (part > 255)
				return 0;
			if (digits++ == 0)
				parts++;
		} else if (s[i] == '.' && digits > 0 && parts < 4) {
			part = 0;
			digits = 0;
		} else {
			return 0;
		}
	}
	return parts == 4 && digits > 0;
}

/*
 * Whether a request's Host is served here: an IP literal, localhost, or
 * in http.allow_hosts of w's generation (DNS rebinding, SPEC 6).
 */
int
http_admit_host(const struct env *w, struct http_str host)
{
	char name[256];
	unsigned char addr[16];
	const char *colon;
	size_t len = host.len;

	if (host.len == 0)
		return 1; /* HTTP/1.0 without Host: nothing to rebind */
	if (host.ptr[0] == '[') {
		colon = memchr(host.ptr, ']', host.len);
		len = colon != NULL ? (size_t)(colon - host.ptr) - 1 : 0;
		if (len == 0 || len >= sizeof(name))
			return 0;
		/* Only ":port" may follow the literal. */
		if ((size_t)(colon - host.ptr) + 1 < host.len &&
		    colon[1] != ':')
			return 0;
		memcpy(name, host.ptr + 1, len);
		name[len] = '\0';
		return inet_pton(AF_INET6, name, addr) == 1;
	}
	if ((colon = memchr(host.ptr, ':', host.len)) != NULL)
		len = (size_t)(colon - host.ptr);
	if (http_admit_ipv4(host.ptr, len))
		return 1;
	if (len == 0 || len >= sizeof(name))
		return 0;
	memcpy(name, host.ptr, len);
	name[len] = '\0';
	return inet_pton(AF_INET, name, addr) == 1 ||
	    strcasecmp(name, "localhost") == 0 ||
	    http_admit_listed(w->allow_hosts, w->nallow_hosts, name, len);
}

/*
 * Whether Origin o is scheme followed by exactly the request's Host: the
 * daemon's own page (the port is part of both).
 */
static int
http_admit_own_origin(
    struct http_str o, struct http_str host, const char *scheme)
{
	size_t n = strlen(scheme);

	return host.len > 0 && o.len == host.len + n &&
	    strncasecmp(o.ptr, scheme, n) == 0 &&
	    strncasecmp(o.ptr + n, host.ptr, host.len) == 0;
}

/*
 * Whether a request's Origin is fine: none, the daemon's own (same
 * origin), or in http.allow_origins of w's generation.  Records an
 * allowed foreign one in ctx for the CORS headers of the response.
 */
int
http_admit_origin(
    const struct env *w, struct http_resp *ctx, const struct http_request *req)
{
	struct http_str o = req->origin;

	if (ctx->origin != NULL) {
		free(ctx->origin);
		ctx->origin = NULL;
	}
	if (o.len == 0)
		return 1;
	if (o.len > HTTP_ADMIT_ORIGIN_MAX)
		return 0;
	if (http_admit_own_origin(o, req->host, "http://") ||
	    http_admit_own_origin(o, req->host, "https://"))
		return 1; /* the daemon's own page (over TLS too) */
	if (!http_admit_listed(
	        w->allow_origins, w->nallow_origins, o.ptr, o.len))
		return 0;
	/* Out of memory: no CORS headers, so the browser refuses. */
	ctx->origin = strndup(o.ptr, o.len);
	return 1;
}

/* The value of base64 digit ch, or -1. */
static int
http_admit_b64val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/*
 * Decodes padded base64 s[0..len) into out (cap bytes).  Returns the
 * decoded length, or -1 when s is not base64 or does not fit.
 */
static ssize_t
http_admit_b64(const char *s, size_t len, char *out, size_t cap)
{
	uint32_t acc = 0;
	size_t i, n = 0, pad = 0;
	int v, bits = 0;

	if (len == 0 || len % 4 != 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] == '=' && i + 2 >= len) {
			pad++;
			continue;
		}
		if (pad > 0 || (v = http_admit_b64val((unsigned char)s[i])) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (char)(acc >> bits & 0xff);
		}
	}
	return (ssize_t)n;
}

/* The WRONGPASS error (Redis 7's text). */
static void
http_admit_wrongpass_err(struct duet_err *err)
{
	util_err_set(err, "WRONGPASS",
	    "invalid username-password pair or user is disabled.");
	err->status = 401;
}

/*
 * A wrong pair (or unreadable credentials): counted against the source
 * address, answered WRONGPASS (late when the throttle says so).
 */
static void
http_admit_wrongpass(struct conn *c)
{
	char addr[64];
	struct duet_err err;
	uint64_t ms;

	conn_peer_addr(c, addr, sizeof(addr));
	dispatch_ident_reset(c);
	if ((ms = auth_failed(addr)) > 0)
		conn_reply_hold(c, ms);
	http_admit_wrongpass_err(&err);
	conn_reply_error(c, &err);
}

/*
 * Whether v is the scheme name, alone (no credentials: a wrong pair) or
 * followed by a space; *rest is what follows, trimmed.
 */
static int
http_admit_scheme(struct http_str v, const char *scheme, struct http_str *rest)
{
	size_t n = strlen(scheme);

	if (v.len < n || strncasecmp(v.ptr, scheme, n) != 0 ||
	    (v.len > n && v.ptr[n] != ' '))
		return 0;
	rest->ptr = v.ptr + n;
	rest->len = v.len - n;
	*rest = http_trim(*rest);
	return 1;
}

/*
 * Logs c in with Basic credentials b64 (base64 of "user:token").
 * Returns dispatch_login's 1 or 0 (also for credentials that do not
 * decode).
 */
static int
http_admit_basic(struct conn *c, struct http_str b64)
{
	char buf[HTTP_ADMIT_BASIC_MAX];
	const char *colon;
	ssize_t n;
	int rv = 0;

	n = http_admit_b64(b64.ptr, b64.len, buf, sizeof(buf));
	if (n > 0 && (colon = memchr(buf, ':', (size_t)n)) != NULL)
		rv = dispatch_login(c, buf, (size_t)(colon - buf), colon + 1,
		    (size_t)(buf + n - colon - 1));
	explicit_bzero(buf, sizeof(buf));
	return rv;
}

/*
 * Forgets the cached credentials of a (a failed login, none sent, the
 * session's end).
 */
static void
http_admit_forget(struct http_admit *a)
{
	if (a->cred == NULL)
		return;
	OPENSSL_cleanse(a->cred, a->credlen);
	free(a->cred);
	a->cred = NULL;
	a->credlen = 0;
}

/*
 * Frees what a holds (the HTTP session ends).
 */
void
http_admit_fini(struct http_admit *a)
{
	http_admit_forget(a);
}

/*
 * Whether v is the Authorization value of c's last good login, in this
 * generation, with c still that user: then it is that user again, and
 * the token need not be hashed (a keep-alive client sends the same header
 * with every request).  Compared in constant time.
 */
static int
http_admit_cached(const struct conn *c, const struct http_admit *a,
    const struct registry *reg, struct http_str v)
{
	return a->cred != NULL && a->credlen == v.len &&
	    a->credgen == reg->id && c->ident.user != NULL &&
	    CRYPTO_memcmp(a->cred, v.ptr, v.len) == 0;
}

/* Remembers v as the Authorization value of a good login (see above). */
static void
http_admit_remember(
    struct http_admit *a, const struct registry *reg, struct http_str v)
{
	http_admit_forget(a);
	if ((a->cred = malloc(v.len)) == NULL)
		return;
	memcpy(a->cred, v.ptr, v.len);
	a->credlen = v.len;
	a->credgen = reg->id;
}

/*
 * Sets c's identity for this request from its Authorization header
 * (auth configured).  The first login of a connection (and the first
 * after a failure on it) clears its address's failed logins.  Returns 0,
 * or -1 after answering WRONGPASS.
 */
static int
http_admit_credentials(struct conn *c, const struct registry *reg,
    const struct http_request *req, struct http_admit *a)
{
	struct http_str v = http_trim(req->authorization), rest;
	char addr[64];
	int rv;

	if (http_admit_cached(c, a, reg, v))
		return 0;
	if (http_admit_scheme(v, "Bearer", &rest))
		rv = rest.len > 0 &&
		    dispatch_login(c, NULL, 0, rest.ptr, rest.len) == 1;
	else if (http_admit_scheme(v, "Basic", &rest))
		rv = http_admit_basic(c, rest) == 1;
	else {
		/* None, or a scheme the daemon does not take. */
		http_admit_forget(a);
		dispatch_ident_reset(c);
		return 0;
	}
	if (!rv) {
		a->cleared = 0;
		http_admit_forget(a);
		http_admit_wrongpass(c);
		return -1;
	}
	http_admit_remember(a, reg, v);
	/* Once per connection, not per request: it takes a global lock. */
	if (!a->cleared) {
		conn_peer_addr(c, addr, sizeof(addr));
		auth_succeeded(addr);
		a->cleared = 1;
	}
	return 0;
}

/*
 * A path that needs an authenticated caller when auth is configured.
 * Returns 0, or -1 after answering NOAUTH.
 */
static int
http_admit_user(struct conn *c, const struct registry *reg)
{
	struct duet_err err;

	if (reg == NULL || reg->auth == NULL ||
	    (c->ident.user != NULL &&
	        auth_user_index(reg->auth, c->ident.user) != AUTH_NONE))
		return 0;
	util_err_set(&err, "NOAUTH", "Authentication required.");
	err.status = 401;
	conn_reply_error(c, &err);
	return -1;
}

/*
 * The command a request for /<name>... names, admitted by dispatch
 * (into a).  A name that cannot be decoded is left to the session (404
 * once the request is read).  Returns 0, or -1 after answering.
 */
static int
http_admit_command(struct conn *c, const struct registry *reg,
    const struct http_request *req, struct http_str path, struct http_admit *a)
{
	char name[REGISTRY_NAME_MAX + 1];
	struct request r = {0};
	const char *slash;
	size_t len;

	slash = memchr(path.ptr + 1, '/', path.len - 1);
	len = slash != NULL ? (size_t)(slash - path.ptr - 1) : path.len - 1;
	if (len > REGISTRY_NAME_MAX ||
	    http_pct_decode(path.ptr + 1, len, name, &r.namelen, 0) == -1)
		return 0;
	r.name = name;
	r.readonly_only = req->method != HTTP_M_POST;
	if ((a->cmd = dispatch_admit(c, &r)) == NULL)
		return -1;
	a->gen = reg->id;
	return 0;
}

/*
 * Admits c's request from its head (req borrowed): sets c's identity
 * for it, then checks what its request line
 * names (see the top of this file).  a gets the command admitted.
 * Returns 0 (read the body and serve it), or -1 after answering a
 * refusal (the caller closes the connection if a body was announced).
 * Refusals decided only once the request is whole (405 of a method, 404
 * of a bad name, 415) are left to the session.
 */
int
http_admit_head(
    struct conn *c, const struct http_request *req, struct http_admit *a)
{
	struct registry *reg = env_registry(c->env);
	struct http_str path = req->target;
	const char *q;

	a->cmd = NULL;
	a->refused = 0;
	if (reg != NULL && reg->auth != NULL &&
	    http_admit_credentials(c, reg, req, a) == -1)
		return -1;
	if (req->method == HTTP_M_OPTIONS)
		return 0;
	/* Without auth a request with no body is whole and every path
	 * open: nothing to decide before it is served. */
	if ((reg == NULL || reg->auth == NULL) && !req->chunked &&
	    req->content_length <= 0)
		return 0;
	if ((q = memchr(path.ptr, '?', path.len)) != NULL)
		path.len = (size_t)(q - path.ptr);
	if (path.len == 6 && memcmp(path.ptr, "/batch", 6) == 0)
		return req->method == HTTP_M_POST ? http_admit_user(c, reg) : 0;
	/* /events, /publish/: no command's path; http_events_head admits
	 * them next (as subscribe and publish, and by channel). */
	if (http_events_which(path) != HTTP_EVENTS_NONE)
		return 0;
	switch (builtin_http_access(path)) {
	case BUILTIN_HTTP_OPEN:
		return 0;
	case BUILTIN_HTTP_USER:
		return http_admit_user(c, reg);
	default:
		break;
	}
	/* Without a body the request is whole: dispatch_request admits
	 * it (unknown commands are told the arguments from the path). */
	if ((req->method != HTTP_M_GET && req->method != HTTP_M_HEAD &&
	        req->method != HTTP_M_POST) ||
	    path.len < 2 || reg == NULL ||
	    (!req->chunked && req->content_length <= 0))
		return 0;
	return http_admit_command(c, reg, req, path, a);
}
