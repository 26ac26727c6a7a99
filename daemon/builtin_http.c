/* SPDX-License-Identifier: MIT */
/*
 * builtin_http - the daemon's own HTTP paths (L4, beside builtin.c's
 * commands): /, /healthz, /commands, /metrics, /openapi.json, /plugins.
 * The HTTP session (http_session.c) asks here before it looks for a
 * command; the responses are written by http_reply.c.  Also who may GET
 * which path (asked from a request's head, http_admit.c), and the filter
 * that makes /commands, /openapi.json, the page and COMMAND list only
 * what the caller may call (SPEC 9.1).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "auth.h"
#include "builtin_http.h"
#include "builtin_module.h"
#include "conn.h"
#include "describe.h"
#include "env.h"
#include "http.h"
#include "http_reply.h"
#include "links.h"
#include "metrics.h"
#include "pubsub.h"
#include "openapi.h"
#include "page.h"
#include "registry.h"
#include "util.h"

/* The built-in paths, in the order of enum builtin_http_path. */
enum builtin_http_path {
	BUILTIN_HTTP_HEALTHZ,
	BUILTIN_HTTP_COMMANDS,
	BUILTIN_HTTP_METRICS,
	BUILTIN_HTTP_PAGE,
	BUILTIN_HTTP_OPENAPI,
	BUILTIN_HTTP_PLUGINS,
	BUILTIN_HTTP_LINKS,
};

#define BUILTIN_HTTP_PATH(s) s, sizeof(s) - 1

static const struct {
	const char *path;
	size_t len;
	enum builtin_http_access access;
} builtin_http_paths[] = {
    [BUILTIN_HTTP_HEALTHZ] = {BUILTIN_HTTP_PATH("/healthz"), BUILTIN_HTTP_OPEN},
    [BUILTIN_HTTP_COMMANDS] = {BUILTIN_HTTP_PATH("/commands"),
        BUILTIN_HTTP_OPEN},
    [BUILTIN_HTTP_METRICS] = {BUILTIN_HTTP_PATH("/metrics"), BUILTIN_HTTP_USER},
    [BUILTIN_HTTP_PAGE] = {BUILTIN_HTTP_PATH("/"), BUILTIN_HTTP_OPEN},
    [BUILTIN_HTTP_OPENAPI] = {BUILTIN_HTTP_PATH("/openapi.json"),
        BUILTIN_HTTP_OPEN},
    [BUILTIN_HTTP_PLUGINS] = {BUILTIN_HTTP_PATH("/plugins"), BUILTIN_HTTP_USER},
    [BUILTIN_HTTP_LINKS] = {BUILTIN_HTTP_PATH("/links"), BUILTIN_HTTP_USER},
};

/*
 * Which built-in path path is (/healthz in any case, the others exactly),
 * or -1.
 */
static int
builtin_http_which(struct http_str path)
{
	size_t i,
	    n = sizeof(builtin_http_paths) / sizeof(builtin_http_paths[0]);

	for (i = 0; i < n; i++) {
		const char *p = builtin_http_paths[i].path;

		/* The length and the letter after '/' rule out most. */
		if (builtin_http_paths[i].len != path.len ||
		    (path.len > 1 && (path.ptr[1] | 0x20) != p[1]))
			continue;
		if (i == BUILTIN_HTTP_HEALTHZ
		        ? util_strcaseeq(path.ptr, path.len, p)
		        : memcmp(path.ptr, p, path.len) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * Who may GET path: BUILTIN_HTTP_NONE when it is no built-in path.
 */
enum builtin_http_access
builtin_http_access(struct http_str path)
{
	int which = builtin_http_which(path);

	return which < 0 ? BUILTIN_HTTP_NONE : builtin_http_paths[which].access;
}

/*
 * describe_filter.shows: whether l's caller may call cmd, by the rules
 * dispatch applies (a linked command's by its name, SPEC 9.2).
 */
static int
builtin_http_listing_shows(const void *arg, const struct command *cmd)
{
	const struct builtin_http_listing *l = arg;
	const struct auth *a = l->reg->auth;

	if (cmd->link != NULL)
		return auth_check_linked(a, l->user, cmd->name, cmd->flags) ==
		    AUTH_OK;
	return auth_check(a, l->user, (size_t)(cmd - l->reg->commands)) ==
	    AUTH_OK;
}

/*
 * The linked commands of c's worker that are visible now, into l->more
 * (allocated; none: NULL).  Returns how many, or -1 (out of memory).
 */
static int
builtin_http_listing_links(struct builtin_http_listing *l, struct conn *c)
{
	struct link_table *t = env_links(c->env);
	time_t now = time(NULL);
	size_t n, m;

	if ((n = link_table_commands(t, NULL, 0, now)) == 0)
		return 0;
	if ((l->more = calloc(n, sizeof(*l->more))) == NULL)
		return -1;
	/* A link may have come or gone since: list no more than n. */
	m = link_table_commands(t, l->more, n, now);
	return (int)(m < n ? m : n);
}

/*
 * The filter of a listing of reg's commands and the linked ones for c's
 * caller (SPEC 9.1, 11): the commands it may call, in l (which the
 * filter borrows; free with builtin_http_listing_fini).  Returns the
 * filter (its shows NULL when reg has no auth), or NULL when out of
 * memory.
 */
const struct describe_filter *
builtin_http_listing(
    struct builtin_http_listing *l, struct conn *c, const struct registry *reg)
{
	int n;

	memset(l, 0, sizeof(*l));
	l->reg = reg;
	if ((n = builtin_http_listing_links(l, c)) == -1)
		return NULL;
	l->filter.more = l->more;
	l->filter.nmore = (size_t)n;
	if (reg->auth == NULL)
		return &l->filter;
	l->user = c->ident.user != NULL
	    ? auth_user_index(reg->auth, c->ident.user)
	    : AUTH_NONE;
	l->filter.shows = builtin_http_listing_shows;
	l->filter.arg = l;
	return &l->filter;
}

/* Frees what builtin_http_listing allocated in l. */
void
builtin_http_listing_fini(struct builtin_http_listing *l)
{
	free(l->more);
	l->more = NULL;
}

/* GET /plugins: the plugins of reg (every caller who may see it). */
static void
builtin_http_pack_plugins(msgpack_packer *pk, const struct registry *reg,
    const struct describe_filter *f)
{
	(void)f;
	builtin_module_pack_plugins(pk, reg);
}

/* GET /links: every link between this daemon and another (SPEC 11). */
static void
builtin_http_pack_links(msgpack_packer *pk, const struct registry *reg,
    const struct describe_filter *f)
{
	(void)reg;
	(void)f;
	link_pack_all(pk);
}

/*
 * GET /commands: every command's descriptor, from its signature; or
 * GET /openapi.json: the same as an OpenAPI document; or GET /plugins:
 * the loaded plugins.  pack writes the document for reg, listing the
 * commands c's caller may call.
 */
static void
builtin_http_commands(struct conn *c, const struct registry *reg,
    void (*pack)(msgpack_packer *, const struct registry *,
        const struct describe_filter *))
{
	struct builtin_http_listing l;
	msgpack_sbuffer sb;
	msgpack_packer pk;

	const struct describe_filter *f = builtin_http_listing(&l, c, reg);

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (f != NULL)
		pack(&pk, reg, f);
	if (f == NULL || conn_reply_packed(c, sb.data, sb.size) == -1)
		conn_reply_fail(c, 500, "cannot describe the commands");
	msgpack_sbuffer_destroy(&sb);
	builtin_http_listing_fini(&l);
}

/*
 * GET /, /healthz, /commands, /metrics, /openapi.json, /plugins of the
 * HTTP session of c (ctx: its response settings; req borrowed).  Returns
 * 0 if path is one of them (answered), -1 if not.  Who may GET which was
 * decided from the head (http_admit.c).
 */
int
builtin_http_path(struct conn *c, struct http_resp *ctx,
    const struct http_request *req, struct http_str path)
{
	static const char ok[] = "ok\n";
	struct evbuffer *out, *body;
	const struct registry *reg;
	int which = builtin_http_which(path);

	if (which < 0)
		return -1;
	if (req->method != HTTP_M_GET && req->method != HTTP_M_HEAD) {
		ctx->allow = "GET, HEAD";
		conn_reply_fail(c, 405, "%.*s answers GET and HEAD only",
		    (int)path.len, path.ptr);
		return 0;
	}
	reg = env_registry(c->env);
	if (which == BUILTIN_HTTP_COMMANDS || which == BUILTIN_HTTP_OPENAPI ||
	    which == BUILTIN_HTTP_PLUGINS || which == BUILTIN_HTTP_LINKS) {
		builtin_http_commands(c, reg,
		    which == BUILTIN_HTTP_COMMANDS      ? describe_commands
		        : which == BUILTIN_HTTP_OPENAPI ? openapi_pack
		        : which == BUILTIN_HTTP_LINKS
		        ? builtin_http_pack_links
		        : builtin_http_pack_plugins);
		return 0;
	}
	if ((out = conn_reply_buffer(c)) == NULL)
		return 0;
	if (which == BUILTIN_HTTP_PAGE) {
		http_reply_respond(ctx, c->closing, out, 200,
		    "text/html; charset=utf-8", page_html, page_html_len);
	} else if (which == BUILTIN_HTTP_HEALTHZ &&
	    atomic_load(&worker_draining)) {
		http_reply_respond(ctx, c->closing, out, 503,
		    "text/plain; charset=utf-8", "shutting down\n", 14);
	} else if (which == BUILTIN_HTTP_HEALTHZ) {
		http_reply_respond(ctx, c->closing, out, 200,
		    "text/plain; charset=utf-8", ok, sizeof(ok) - 1);
	} else if ((body = evbuffer_new()) != NULL) {
		metrics_render(body, reg->stats, reg->ncommands, reg->id);
		pubsub_render_metrics(body);
		link_metrics(body);
		http_reply_respond(ctx, c->closing, out, 200,
		    "text/plain; version=0.0.4; charset=utf-8",
		    evbuffer_pullup(body, -1), evbuffer_get_length(body));
		evbuffer_free(body);
	}
	conn_reply_done(c);
	return 0;
}
