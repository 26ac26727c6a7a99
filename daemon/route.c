/* SPDX-License-Identifier: MIT */
/*
 * route - HTTP requests to dispatch requests.  Every response byte is
 * written by http_reply.c (through conn_reply for replies).
 *
 * A command is reached at /<name>: POST with a JSON or msgpack body (an
 * array is positional, an object is named), or, for READONLY commands,
 * GET with a query (named) or path segments (positional), converted from
 * text like RESP words.  Browsers are kept from changing state on a
 * user's behalf: a POST body must be JSON or msgpack (the types a page
 * cannot send without a CORS preflight), a foreign Origin is refused, and
 * a Host that is not an IP literal, localhost or allowed is refused (DNS
 * rebinding).  Everything a request borrows from the parser is used
 * before route_request returns.
 */
#include "autoconf.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "builtin.h"
#include "builtin_module.h"
#include "conn.h"
#include "convert.h"
#include "describe.h"
#include "dispatch.h"
#include "http.h"
#include "http_reply.h"
#include "metrics.h"
#include "multi.h"
#include "openapi.h"
#include "page.h"
#include "registry.h"
#include "route.h"
#include "util.h"
#include "worker.h"

/* The longest Origin echoed back (longer ones are refused). */
#define ROUTE_ORIGIN_MAX 255

/*
 * Fails the current request with status and message.  Framing errors
 * also close the connection after the response.
 */
static void route_fail(struct conn *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
route_fail(struct conn *c, int status, const char *fmt, ...)
{
	struct duet_err err;
	va_list ap;

	va_start(ap, fmt);
	util_err_vset(&err, "ERR", fmt, ap);
	va_end(ap);
	err.status = status;
	conn_reply_error(c, &err);
}

/*
 * Writes a whole response to c's current request: head, then body unless
 * HEAD (http_reply.c writes the bytes).
 */
static void
route_respond(struct conn *c, struct evbuffer *out, int status,
    const char *ctype, const void *body, size_t len)
{
	http_reply_respond(
	    &c->route, c->closing, out, status, ctype, body, len);
}

/*
 * Whether s (not NUL-terminated) is in the list, ignoring case.
 */
static int
route_listed(char *const *list, size_t n, const char *s, size_t len)
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
 * A Host is fine when it is an IP literal, localhost, or allowed.
 */
static int
route_host_ok(const struct worker *w, struct http_str host)
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
	if (len == 0 || len >= sizeof(name))
		return 0;
	memcpy(name, host.ptr, len);
	name[len] = '\0';
	return inet_pton(AF_INET, name, addr) == 1 ||
	    strcasecmp(name, "localhost") == 0 ||
	    route_listed(w->allow_hosts, w->nallow_hosts, name, len);
}

/*
 * An Origin is fine when allowed, or the daemon's own (same origin).
 * Records it for the CORS headers of the response.
 */
static int
route_origin_ok(struct conn *c, const struct http_request *req)
{
	const struct worker *w = c->worker;
	struct http_str o = req->origin;

	free(c->route.origin);
	c->route.origin = NULL;
	if (o.len == 0)
		return 1;
	if (o.len > ROUTE_ORIGIN_MAX)
		return 0;
	if ((req->host.len > 0 && o.len == req->host.len + 7 &&
	        strncasecmp(o.ptr, "http://", 7) == 0 &&
	        strncasecmp(o.ptr + 7, req->host.ptr, req->host.len) == 0))
		return 1; /* the daemon's own page */
	if (!route_listed(w->allow_origins, w->nallow_origins, o.ptr, o.len))
		return 0;
	/* Out of memory: no CORS headers, so the browser refuses. */
	c->route.origin = strndup(o.ptr, o.len);
	return 1;
}

static int
route_is_msgpack_type(struct http_str t)
{
	return http_media_type_is(t, "application/msgpack") ||
	    http_media_type_is(t, "application/x-msgpack") ||
	    http_media_type_is(t, "application/vnd.msgpack");
}

/*
 * Whether a Content-Type (one media type, unlike Accept) is type: the
 * part before any ';', trimmed, compared ignoring case.  A list is never
 * a valid Content-Type, so "text/plain, application/json" is not JSON.
 */
static int
route_ctype_is(struct http_str v, const char *type)
{
	const char *semi, *p = v.ptr;
	size_t len;

	/* No Content-Type at all is an empty string with a NULL pointer. */
	if (v.len == 0 || memchr(v.ptr, ',', v.len) != NULL)
		return 0;
	semi = memchr(v.ptr, ';', v.len);
	len = semi != NULL ? (size_t)(semi - v.ptr) : v.len;
	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	return util_strcaseeq(p, len, type);
}

/* A JSON request body. */
static int
route_body_is_json(struct http_str v)
{
	return route_ctype_is(v, "application/json");
}

/* A msgpack request body. */
static int
route_body_is_msgpack(struct http_str v)
{
	return route_ctype_is(v, "application/msgpack") ||
	    route_ctype_is(v, "application/x-msgpack") ||
	    route_ctype_is(v, "application/vnd.msgpack");
}

/*
 * Sets up the response context and checks Host and Origin.  closing: a
 * refusal will close the connection.  Returns 0, or -1 after answering.
 */
static int
route_begin(struct conn *c, const struct http_request *req, int closing)
{
	struct http_resp *ctx = &c->route;

	ctx->minor = req->minor;
	ctx->keep_alive = req->keep_alive && !closing;
	ctx->head = req->method == HTTP_M_HEAD;
	ctx->msgpack = route_is_msgpack_type(req->accept);
	ctx->sse = http_media_type_is(req->accept, "text/event-stream");
	ctx->allow = NULL;
	ctx->batch = 0;
	free(ctx->origin);
	ctx->origin = NULL;
	if (!route_host_ok(c->worker, req->host)) {
		route_fail(c, 421, "host '%.*s' is not served here",
		    (int)(req->host.len < 64 ? req->host.len : 64),
		    req->host.ptr);
		return -1;
	}
	if (!route_origin_ok(c, req)) {
		route_fail(c, 403, "origin '%.*s' is not allowed",
		    (int)(req->origin.len < 64 ? req->origin.len : 64),
		    req->origin.ptr);
		return -1;
	}
	return 0;
}

/*
 * OPTIONS: a CORS preflight when there is an (allowed) Origin.
 */
static void
route_options(struct conn *c, const struct http_request *req)
{
	struct evbuffer *out = conn_reply_buffer(c);
	char extra[768];

	if (out == NULL)
		return;
	(void)req;
	if (c->route.origin != NULL)
		snprintf(extra, sizeof(extra),
		    "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n"
		    "Access-Control-Allow-Methods: GET, HEAD, POST\r\n"
		    "Access-Control-Allow-Headers: Authorization, "
		    "Content-Type, Accept\r\n"
		    "Access-Control-Max-Age: 600\r\n",
		    c->route.origin);
	else
		snprintf(extra, sizeof(extra),
		    "Allow: GET, HEAD, POST, OPTIONS\r\n");
	http_add_head(
	    out, c->route.minor, 204, NULL, -2, c->route.keep_alive, extra);
	conn_reply_done(c);
}

/*
 * GET /commands: every command's descriptor, from its signature; or
 * GET /openapi.json: the same as an OpenAPI document; or GET /plugins:
 * the loaded plugins.  pack writes the document for reg.
 */
static void
route_commands(struct conn *c, const struct registry *reg,
    void (*pack)(msgpack_packer *, const struct registry *))
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack(&pk, reg);
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, sb.data, sb.size, NULL) ==
	    MSGPACK_UNPACK_SUCCESS)
		conn_reply_value(
		    c, CONN_ENC_NATIVE, &up.data, sb.data, sb.size);
	else
		route_fail(c, 500, "cannot describe the commands");
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * GET /, /healthz, /commands, /metrics, /openapi.json, /plugins.
 * Returns 0 if path is one of them.
 */
static int
route_builtin_path(
    struct conn *c, const struct http_request *req, struct http_str path)
{
	static const char ok[] = "ok\n";
	struct evbuffer *out, *body;
	const struct registry *reg;
	int which;

	if (path.len == 1 && path.ptr[0] == '/')
		which = 3;
	else if (util_strcaseeq(path.ptr, path.len, "/healthz") &&
	    path.len == 8)
		which = 0;
	else if (path.len == 9 && memcmp(path.ptr, "/commands", 9) == 0)
		which = 1;
	else if (path.len == 8 && memcmp(path.ptr, "/metrics", 8) == 0)
		which = 2;
	else if (path.len == 13 && memcmp(path.ptr, "/openapi.json", 13) == 0)
		which = 4;
	else if (path.len == 8 && memcmp(path.ptr, "/plugins", 8) == 0)
		which = 5;
	else
		return -1;
	if (req->method != HTTP_M_GET && req->method != HTTP_M_HEAD) {
		c->route.allow = "GET, HEAD";
		route_fail(c, 405, "%.*s answers GET and HEAD only",
		    (int)path.len, path.ptr);
		return 0;
	}
	reg = worker_registry(c->worker);
	if (which == 1 || which == 4 || which == 5) {
		route_commands(c, reg,
		    which == 1       ? describe_commands
		        : which == 4 ? openapi_pack
		                     : builtin_module_pack_plugins);
		return 0;
	}
	if ((out = conn_reply_buffer(c)) == NULL)
		return 0;
	if (which == 3) {
		route_respond(c, out, 200, "text/html; charset=utf-8",
		    page_html, page_html_len);
	} else if (which == 0 && atomic_load(&worker_draining)) {
		route_respond(c, out, 503, "text/plain; charset=utf-8",
		    "shutting down\n", 14);
	} else if (which == 0) {
		route_respond(c, out, 200, "text/plain; charset=utf-8", ok,
		    sizeof(ok) - 1);
	} else if ((body = evbuffer_new()) != NULL) {
		metrics_render(body, reg->stats, reg->ncommands, reg->id);
		route_respond(c, out, 200,
		    "text/plain; version=0.0.4; charset=utf-8",
		    evbuffer_pullup(body, -1), evbuffer_get_length(body));
		evbuffer_free(body);
	}
	conn_reply_done(c);
	return 0;
}

/* Text arguments decoded from a path or query; owned by the caller. */
struct route_args {
	char *buf;              /* owned: decoded bytes */
	struct resp_arg *argv;  /* owned */
	struct resp_arg *names; /* owned, NULL for path segments */
	size_t argc;
};

static void
route_args_free(struct route_args *a)
{
	free(a->buf);
	free(a->argv);
	free(a->names);
}

/*
 * Decodes one percent-encoded slice into a->buf at *used.
 */
static int
route_decode(struct route_args *a, size_t *used, struct http_str in, int plus,
    struct resp_arg *out)
{
	size_t n;

	if (http_pct_decode(in.ptr, in.len, a->buf + *used, &n, plus) == -1)
		return -1;
	out->ptr = a->buf + *used;
	out->len = n;
	*used += n;
	return 0;
}

/*
 * Splits "/a/b" (after the command) or "x=1&y=2" into decoded text
 * arguments.  Returns 0, or -1 after answering 400.
 */
static int
route_text_args(
    struct conn *c, struct http_str rest, int query, struct route_args *a)
{
	size_t max = 1, used = 0;
	struct http_str name, value, seg;
	const char *p = rest.ptr, *stop = rest.ptr + rest.len;

	while (p < stop &&
	    (p = memchr(p, query ? '&' : '/', (size_t)(stop - p))) != NULL) {
		max++;
		p++;
	}
	if (max > c->worker->limits.max_args) {
		route_fail(c, 400, "too many arguments");
		return -1;
	}
	a->buf = malloc(rest.len + 1);
	a->argv = calloc(max, sizeof(*a->argv));
	a->names = query ? calloc(max, sizeof(*a->names)) : NULL;
	if (a->buf == NULL || a->argv == NULL || (query && a->names == NULL)) {
		route_fail(c, 500, "out of memory");
		return -1;
	}
	while (query && http_query_next(&rest, &name, &value)) {
		if (route_decode(a, &used, name, 1, &a->names[a->argc]) == -1 ||
		    route_decode(a, &used, value, 1, &a->argv[a->argc]) == -1)
			goto bad;
		a->argc++;
	}
	while (!query && rest.len > 0) {
		/* rest starts with '/': one segment up to the next '/'. */
		const char *end = memchr(rest.ptr + 1, '/', rest.len - 1);

		seg.ptr = rest.ptr + 1;
		seg.len = end != NULL ? (size_t)(end - seg.ptr) : rest.len - 1;
		if (route_decode(a, &used, seg, 0, &a->argv[a->argc++]) == -1)
			goto bad;
		rest.len -= seg.len + 1;
		rest.ptr = seg.ptr + seg.len;
	}
	return 0;
bad:
	route_fail(c, 400, "bad percent-encoding in the request target");
	return -1;
}

/*
 * A JSON or msgpack body, decoded into up.  Returns 0, or -1 after
 * answering (400, 415).
 */
static int
route_body(struct conn *c, struct http_request *req, msgpack_unpacked *up,
    msgpack_sbuffer *sb)
{
	size_t len = evbuffer_get_length(req->body), off = 0;
	const char *p = (const char *)evbuffer_pullup(req->body, -1);
	struct duet_err err;
	msgpack_packer pk;
	size_t used;
	int rv;

	if (route_body_is_json(req->content_type)) {
		msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
		if (convert_json_to_msgpack(&pk, p, len,
		        (int)c->worker->limits.max_nesting, &err) == -1) {
			route_fail(c, 400, "%s", err.msg);
			return -1;
		}
		p = sb->data;
		len = sb->size;
	} else if (!route_body_is_msgpack(req->content_type)) {
		route_fail(c, 415,
		    "a request body must be application/json or "
		    "application/msgpack");
		return -1;
	} else if (convert_msgpack_check(p, len,
	               (int)c->worker->limits.max_nesting, &used, &err) == -1) {
		route_fail(c, 400, "%s", err.msg);
		return -1;
	}
	rv = msgpack_unpack_next(up, p, len, &off);
	if (rv == MSGPACK_UNPACK_NOMEM_ERROR) {
		route_fail(c, 400, "msgpack nested too deep");
		return -1;
	}
	if (rv != MSGPACK_UNPACK_SUCCESS || off != len) {
		route_fail(c, 400,
		    rv == MSGPACK_UNPACK_SUCCESS
		        ? "trailing bytes after the msgpack value"
		        : "truncated or invalid msgpack");
		return -1;
	}
	if (up->data.type != MSGPACK_OBJECT_ARRAY &&
	    up->data.type != MSGPACK_OBJECT_MAP) {
		route_fail(c, 400,
		    "the body must be an array (positional arguments) or an "
		    "object (named arguments)");
		return -1;
	}
	return 0;
}

/*
 * Calls the command named by the path with a body, or with text
 * arguments from the path or query.
 */
static void
route_call(struct conn *c, struct http_request *req, struct http_str cmd,
    struct http_str rest, struct http_str query)
{
	struct request r = {0};
	struct route_args a = {0};
	char name[REGISTRY_NAME_MAX + 1];
	size_t namelen, bodylen = evbuffer_get_length(req->body);
	msgpack_unpacked up;
	msgpack_sbuffer sb;
	int get = req->method != HTTP_M_POST;

	msgpack_unpacked_init(&up);
	msgpack_sbuffer_init(&sb);
	if (cmd.len > REGISTRY_NAME_MAX ||
	    http_pct_decode(cmd.ptr, cmd.len, name, &namelen, 0) == -1) {
		route_fail(c, 404, "unknown command");
		goto done;
	}
	r.name = name;
	r.namelen = namelen;
	r.readonly_only = get;
	if (get && bodylen > 0) {
		route_fail(
		    c, 405, "a GET request cannot carry arguments in a body");
		goto done;
	}
	if ((rest.len > 0 && query.len > 0) ||
	    (bodylen > 0 && (rest.len > 0 || query.len > 0))) {
		route_fail(
		    c, 400, "give arguments one way: path, query or body");
		goto done;
	}
	if (!get && req->content_type.len > 0 && bodylen == 0 &&
	    !route_body_is_json(req->content_type) &&
	    !route_body_is_msgpack(req->content_type)) {
		route_fail(c, 415,
		    "a request body must be application/json or "
		    "application/msgpack");
		goto done;
	}
	if (bodylen > 0) {
		if (route_body(c, req, &up, &sb) == -1)
			goto done;
		r.kind = REQUEST_OBJECT;
		r.body = &up.data;
	} else if (route_text_args(c, query.len > 0 ? query : rest,
	               query.len > 0, &a) == -1) {
		goto done;
	}
	r.argc = a.argc;
	r.argv = a.argv;
	r.argnames = a.names;
	dispatch_request(c, &r);
done:
	route_args_free(&a);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * POST /batch: an array of [command, args...] arrays, run in order (see
 * multi.c).
 */
static void
route_batch(struct conn *c, struct http_request *req)
{
	msgpack_unpacked up;
	msgpack_sbuffer sb;

	if (req->method != HTTP_M_POST) {
		c->route.allow = "POST";
		route_fail(c, 405, "/batch answers POST only");
		return;
	}
	if (evbuffer_get_length(req->body) == 0) {
		route_fail(c, 400,
		    "the body of /batch must be an array of [command, "
		    "args...] arrays");
		return;
	}
	msgpack_unpacked_init(&up);
	msgpack_sbuffer_init(&sb);
	if (route_body(c, req, &up, &sb) == 0)
		multi_batch(c, &up.data);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * Serves one whole HTTP request of c.  The reply is queued on c in
 * request order; req is borrowed until return.
 */
void
route_request(struct conn *c, struct http_request *req)
{
	struct http_str path = req->target, query = {"", 0}, cmd, rest;
	const char *q, *slash;

	if (route_begin(c, req, 0) == -1)
		return;
	if ((q = memchr(path.ptr, '?', path.len)) != NULL) {
		query.ptr = q + 1;
		query.len = path.len - (size_t)(q - path.ptr) - 1;
		path.len = (size_t)(q - path.ptr);
	}
	if (req->method == HTTP_M_OPTIONS) {
		route_options(c, req);
		return;
	}
	if (path.len == 6 && memcmp(path.ptr, "/batch", 6) == 0) {
		route_batch(c, req);
		return;
	}
	if (route_builtin_path(c, req, path) == 0)
		return;
	if (req->method != HTTP_M_GET && req->method != HTTP_M_HEAD &&
	    req->method != HTTP_M_POST) {
		c->route.allow = "GET, HEAD, POST";
		route_fail(c, 405, "method %.*s is not allowed",
		    (int)(req->method_text.len < 16 ? req->method_text.len
		                                    : 16),
		    req->method_text.ptr);
		return;
	}
	if (path.len < 2) {
		route_fail(c, 404, "no command given: try GET /commands");
		return;
	}
	cmd.ptr = path.ptr + 1;
	slash = memchr(cmd.ptr, '/', path.len - 1);
	cmd.len = slash != NULL ? (size_t)(slash - cmd.ptr) : path.len - 1;
	rest.ptr = cmd.ptr + cmd.len;
	rest.len = path.len - 1 - cmd.len;
	route_call(c, req, cmd, rest, query);
}

/*
 * Before a body announced with Expect: 100-continue is sent: whether it
 * would be accepted.  Returns 0 (send 100 Continue), or -1 after
 * answering the final status; the connection then closes, since the
 * client may send the body anyway.
 */
int
route_expect(struct conn *c, const struct http_request *req)
{
	if (route_begin(c, req, 1) == -1)
		goto refuse;
	if (req->method != HTTP_M_POST) {
		c->route.allow = "POST";
		route_fail(c, 405, "only POST takes a request body");
		goto refuse;
	}
	if (!route_body_is_json(req->content_type) &&
	    !route_body_is_msgpack(req->content_type)) {
		route_fail(c, 415,
		    "a request body must be application/json or "
		    "application/msgpack");
		goto refuse;
	}
	c->route.keep_alive = req->keep_alive;
	return 0;
refuse:
	conn_close_after_reply(c);
	return -1;
}
