/* SPDX-License-Identifier: MIT */
/*
 * http_session - the HTTP/1.1 session of a conn (L4): struct conn_proto
 * for HTTP.  Runs http.c's parser over the input, answers Expect:
 * 100-continue, refuses during a drain, and turns each request into a
 * dispatch request (or a built-in path's response, builtin_http.c); its
 * body, Expect: 100-continue and POST /batch are read by
 * http_session_body.c.
 *
 * A command is reached at /<name>: POST with a JSON or msgpack body (an
 * array is positional, an object is named), or, for READONLY commands,
 * GET with a query (named) or path segments (positional), converted from
 * text like RESP words.  /events and /publish/ are reserved for
 * publish and subscribe (http_events.c): a conn that turns into an event
 * stream serves nothing else.  Browsers are kept from changing state on a
 * user's behalf: a POST body must be JSON or msgpack (the types a page
 * cannot send without a CORS preflight), a foreign Origin is refused, and
 * a Host that is not an IP literal, localhost or allowed is refused (DNS
 * rebinding).  Everything a request borrows from the parser is used
 * before http_session_request returns.  Writing responses is left to
 * route.c's encoders; bytes, timeouts and the reply queue to conn.
 */
#include "autoconf.h"

#include <arpa/inet.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "builtin_http.h"
#include "conn.h"
#include "dispatch.h"
#include "env.h"
#include "http.h"
#include "http_admit.h"
#include "http_events.h"
#include "http_reply.h"
#include "http_session.h"
#include "http_session_int.h"
#include "log.h"
#include "registry.h"
#include "util.h"

/* The longest HTTP method sniffing accepts. */
#define HTTP_SESSION_METHOD_MAX  20
#define HTTP_SESSION_MAX_HEADER  16384
#define HTTP_SESSION_MAX_HEADERS 100

static int
http_session_is_msgpack_type(struct http_str t)
{
	return http_media_type_is(t, "application/msgpack") ||
	    http_media_type_is(t, "application/x-msgpack") ||
	    http_media_type_is(t, "application/vnd.msgpack");
}

/*
 * Sets up the response context and checks Host and Origin.  closing: a
 * refusal will close the connection.  Returns 0, or -1 after answering.
 */
static int
http_session_begin(struct conn *c, const struct http_request *req, int closing)
{
	struct http_resp *ctx = &http_session_of(c)->route;

	ctx->minor = req->minor;
	ctx->keep_alive = req->keep_alive && !closing;
	ctx->head = req->method == HTTP_M_HEAD;
	/* No Accept (the usual) is neither. */
	ctx->msgpack =
	    req->accept.len > 0 && http_session_is_msgpack_type(req->accept);
	ctx->sse = req->accept.len > 0 &&
	    http_media_type_is(req->accept, "text/event-stream");
	ctx->allow = NULL;
	ctx->batch = 0;
	if (ctx->origin != NULL) {
		free(ctx->origin);
		ctx->origin = NULL;
	}
	if (!http_admit_host(c->env, req->host)) {
		conn_reply_fail(c, 421, "host '%.*s' is not served here",
		    (int)(req->host.len < 64 ? req->host.len : 64),
		    req->host.ptr);
		return -1;
	}
	if (!http_admit_origin(c->env, ctx, req)) {
		conn_reply_fail(c, 403, "origin '%.*s' is not allowed",
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
http_session_options(struct conn *c, const struct http_request *req)
{
	const struct http_resp *ctx = &http_session_of(c)->route;
	struct evbuffer *out = conn_reply_buffer(c);
	char extra[768];

	if (out == NULL)
		return;
	(void)req;
	if (ctx->origin != NULL)
		snprintf(extra, sizeof(extra),
		    "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n"
		    "Access-Control-Allow-Methods: GET, HEAD, POST\r\n"
		    "Access-Control-Allow-Headers: Authorization, "
		    "Content-Type, Accept\r\n"
		    "Access-Control-Max-Age: 600\r\n",
		    ctx->origin);
	else
		snprintf(extra, sizeof(extra),
		    "Allow: GET, HEAD, POST, OPTIONS\r\n");
	http_add_head(out, ctx->minor, 204, NULL, -2, ctx->keep_alive, extra);
	conn_reply_done(c);
}

/* Arguments of a path or query that fit on the stack. */
#define HTTP_SESSION_ARGS_STACK 16

/*
 * Text arguments decoded from a path or query: the decoded bytes are in
 * the parser's copy of the head (decoded in place: the target is not
 * read again), the arrays on the caller's stack unless there are more
 * than HTTP_SESSION_ARGS_STACK.
 */
struct http_session_args {
	struct resp_arg *argv;  /* stack or owned */
	struct resp_arg *names; /* stack or owned, NULL for path segments */
	size_t argc;
	int ascii; /* path segments with no byte >= 0x80 and no '%' */
	struct resp_arg stack_argv[HTTP_SESSION_ARGS_STACK];
	struct resp_arg stack_names[HTTP_SESSION_ARGS_STACK];
};

static void
http_session_args_free(struct http_session_args *a)
{
	if (a->argv != a->stack_argv)
		free(a->argv);
	if (a->names != a->stack_names)
		free(a->names);
}

/*
 * Percent-decodes one slice of c's request target where it is (the
 * parser's own copy of the head, which the target points into).
 * Returns 0, or -1 after answering 400.
 */
static int
http_session_decode(
    struct conn *c, struct http_str in, int plus, struct resp_arg *out)
{
	struct http_parser *p = &http_session_of(c)->parser;
	char *at = p->head + (in.ptr - p->head);

	if (http_pct_decode(in.ptr, in.len, at, &out->len, plus) == -1) {
		conn_reply_fail(
		    c, 400, "bad percent-encoding in the request target");
		return -1;
	}
	out->ptr = at;
	return 0;
}

/*
 * Points a's arrays at room for max arguments.  Returns 0, or -1 after
 * answering 500.
 */
static int
http_session_args_room(
    struct conn *c, size_t max, int query, struct http_session_args *a)
{
	if (max <= HTTP_SESSION_ARGS_STACK) {
		a->argv = a->stack_argv;
		a->names = query ? a->stack_names : NULL;
		return 0;
	}
	a->argv = calloc(max, sizeof(*a->argv));
	a->names = query ? calloc(max, sizeof(*a->names)) : NULL;
	if (a->argv == NULL || (query && a->names == NULL)) {
		conn_reply_fail(c, 500, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Splits rest ("/a/b" after the command, or empty) into its segments,
 * into argv while they fit in its n slots.  Returns how many there are.
 */
static size_t
http_session_split(struct http_str rest, struct resp_arg *argv, size_t n)
{
	const char *p = rest.ptr, *stop = rest.ptr + rest.len, *end;
	size_t k = 0;

	while (p < stop) {
		/* p is at a '/': one segment up to the next. */
		if ((end = memchr(p + 1, '/', (size_t)(stop - p - 1))) == NULL)
			end = stop;
		if (k < n) {
			argv[k].ptr = p + 1;
			argv[k].len = (size_t)(end - p - 1);
		}
		k++;
		p = end;
	}
	return k;
}

/*
 * The path segments after the command, decoded, as positional
 * arguments: split once while they fit on the stack.  Returns 0, or -1
 * after answering 400.
 */
static int
http_session_path_args(
    struct conn *c, struct http_str rest, struct http_session_args *a)
{
	size_t n, i;
	struct http_str seg;

	/* The parser noted the head's first byte >= 0x80 (or tab): past
	 * the segments and no escape, they are ASCII as they are. */
	a->ascii = http_session_of(c)->parser.odd >=
	        (size_t)(rest.ptr + rest.len -
	            http_session_of(c)->parser.head) &&
	    memchr(rest.ptr, '%', rest.len) == NULL;
	n = http_session_split(rest, a->stack_argv, HTTP_SESSION_ARGS_STACK);
	if (n + 1 > c->env->limits.max_args) {
		conn_reply_fail(c, 400, "too many arguments");
		return -1;
	}
	if (http_session_args_room(c, n + 1, 0, a) == -1)
		return -1;
	if (a->argv != a->stack_argv)
		http_session_split(rest, a->argv, n);
	for (i = 0; i < n; i++) {
		seg.ptr = a->argv[i].ptr;
		seg.len = a->argv[i].len;
		if (http_session_decode(c, seg, 0, &a->argv[i]) == -1)
			return -1;
		a->argc++;
	}
	return 0;
}

/*
 * Splits "/a/b" (after the command) or "x=1&y=2" of c's request target
 * into decoded text arguments.  Returns 0, or -1 after answering 400.
 */
static int
http_session_text_args(struct conn *c, struct http_str rest, int query,
    struct http_session_args *a)
{
	size_t max = 1;
	struct http_str name, value;
	const char *p = rest.ptr, *stop = rest.ptr + rest.len;

	if (!query)
		return http_session_path_args(c, rest, a);
	while (p < stop && (p = memchr(p, '&', (size_t)(stop - p))) != NULL) {
		max++;
		p++;
	}
	if (max > c->env->limits.max_args) {
		conn_reply_fail(c, 400, "too many arguments");
		return -1;
	}
	if (http_session_args_room(c, max, 1, a) == -1)
		return -1;
	while (http_query_next(&rest, &name, &value)) {
		if (http_session_decode(c, name, 1, &a->names[a->argc]) == -1 ||
		    http_session_decode(c, value, 1, &a->argv[a->argc]) == -1)
			return -1;
		a->argc++;
	}
	return 0;
}

/*
 * Runs r with the command admitted from its head (no second look-up);
 * one admitted in a generation that has since been replaced is admitted
 * again.
 */
static void
http_session_run(struct conn *c, const struct request *r)
{
	const struct http_admit *a = &http_session_of(c)->admit;
	struct registry *reg = env_registry(c->env);
	uint64_t present;

	if (a->cmd == NULL || reg == NULL || reg->id != a->gen) {
		dispatch_request(c, r);
		return;
	}
	if (dispatch_bind(c, a->cmd, r, &present) == 0)
		dispatch_call(c, a->cmd, present);
}

/*
 * Calls the command named by the path with a body, or with text
 * arguments from the path or query.
 */
static void
http_session_call(struct conn *c, struct http_request *req, struct http_str cmd,
    struct http_str rest, struct http_str query)
{
	struct request r = {0};
	struct http_session_args a;
	char name[REGISTRY_NAME_MAX + 1];
	size_t namelen, bodylen = evbuffer_get_length(req->body);
	msgpack_unpacked up;
	struct http_session_pack sb;
	int get = req->method != HTTP_M_POST;

	a.argv = NULL;
	a.names = NULL;
	a.argc = 0;
	a.ascii = 0;
	msgpack_unpacked_init(&up);
	http_session_pack_init(&sb);
	if (cmd.len > REGISTRY_NAME_MAX ||
	    http_pct_decode(cmd.ptr, cmd.len, name, &namelen, 0) == -1) {
		conn_reply_fail(c, 404, "unknown command");
		goto done;
	}
	r.name = name;
	r.namelen = namelen;
	r.readonly_only = get;
	if (get && bodylen > 0) {
		conn_reply_fail(
		    c, 405, "a GET request cannot carry arguments in a body");
		goto done;
	}
	if ((rest.len > 0 && query.len > 0) ||
	    (bodylen > 0 && (rest.len > 0 || query.len > 0))) {
		conn_reply_fail(
		    c, 400, "give arguments one way: path, query or body");
		goto done;
	}
	if (!get && req->content_type.len > 0 && bodylen == 0 &&
	    !http_session_body_is_json(req->content_type) &&
	    !http_session_body_is_msgpack(req->content_type)) {
		conn_reply_fail(c, 415,
		    "a request body must be application/json or "
		    "application/msgpack");
		goto done;
	}
	if (bodylen > 0) {
		if (http_session_body(c, req, &up, &sb) == -1)
			goto done;
		r.kind = REQUEST_OBJECT;
		r.body = &up.data;
	} else if (http_session_text_args(c, query.len > 0 ? query : rest,
	               query.len > 0, &a) == -1) {
		goto done;
	}
	r.argc = a.argc;
	r.argv = a.argv;
	r.argnames = a.names;
	r.ascii = a.ascii;
	http_session_run(c, &r);
done:
	http_session_args_free(&a);
	msgpack_unpacked_destroy(&up);
	http_session_pack_fini(&sb);
}

/*
 * Serves one whole HTTP request of c, admitted from its head.  The reply
 * is queued on c in request order; req is borrowed until return.
 */
static void
http_session_request(struct conn *c, struct http_request *req)
{
	struct http_resp *ctx = &http_session_of(c)->route;
	struct http_str path = req->target, query = {"", 0}, cmd, rest;
	const char *q, *slash;

	if ((q = memchr(path.ptr, '?', path.len)) != NULL) {
		query.ptr = q + 1;
		query.len = path.len - (size_t)(q - path.ptr) - 1;
		path.len = (size_t)(q - path.ptr);
	}
	if (req->method == HTTP_M_OPTIONS) {
		http_session_options(c, req);
		return;
	}
	if (path.len == 6 && memcmp(path.ptr, "/batch", 6) == 0) {
		http_session_batch(c, req);
		return;
	}
	if (builtin_http_path(c, ctx, req, path) == 0)
		return;
	if (http_events_route(
	        c, ctx, req, path, query, &http_session_of(c)->events) == 0)
		return;
	if (req->method != HTTP_M_GET && req->method != HTTP_M_HEAD &&
	    req->method != HTTP_M_POST) {
		ctx->allow = "GET, HEAD, POST";
		conn_reply_fail(c, 405, "method %.*s is not allowed",
		    (int)(req->method_text.len < 16 ? req->method_text.len
		                                    : 16),
		    req->method_text.ptr);
		return;
	}
	if (path.len < 2) {
		conn_reply_fail(c, 404, "no command given: try GET /commands");
		return;
	}
	cmd.ptr = path.ptr + 1;
	slash = memchr(cmd.ptr, '/', path.len - 1);
	cmd.len = slash != NULL ? (size_t)(slash - cmd.ptr) : path.len - 1;
	rest.ptr = cmd.ptr + cmd.len;
	rest.len = path.len - 1 - cmd.len;
	http_session_call(c, req, cmd, rest, query);
}

/*
 * The head of a request is in (its body, if any, not read yet): sets up
 * its response, checks Host and Origin and admits it (http_admit.c).  A
 * refusal is answered now; the request is then skipped, and if it
 * announced a body the connection closes instead of reading it (no 100
 * Continue, Connection: close).
 */
static void
http_session_head(struct conn *c, const struct http_request *req)
{
	struct http_session *s = c->sess;
	int body = req->chunked || req->content_length > 0;

	/* Refusals of a request with a body say Connection: close. */
	if (http_session_begin(c, req, body) == 0 &&
	    http_admit_head(c, req, &s->admit) == 0 &&
	    http_events_head(c, req) == 0) {
		s->route.keep_alive = req->keep_alive;
		return;
	}
	s->admit.refused = 1;
	if (body)
		conn_close_after_reply(c);
}

/*
 * Answers 100 Continue, or the final status, to a request that waits
 * for it before sending its body.
 */
static void
http_session_continue(struct conn *c)
{
	struct http_session *s = c->sess;
	struct http_request *req = &s->parser.req;

	if (!req->expect_continue || !http_body_pending(&s->parser))
		return;
	req->expect_continue = 0; /* answered once */
	if (http_session_expect(c, req) == 0)
		http_add_continue(c->out, req->minor);
	/* Sent at the end of this read (conn_push). */
}

/*
 * Answers "shutting down" (503) to a request read after the worker began
 * draining (conn_drain_refuses).  Returns 1 if refused.
 */
static int
http_session_drain_refuses(struct conn *c, int minor)
{
	struct duet_err err;

	if (!conn_drain_refuses(c))
		return 0;
	util_err_set(&err, "ERR", "shutting down");
	err.status = 503;
	http_resp_reset(&http_session_of(c)->route, minor);
	conn_reply_error(c, &err);
	return 1;
}

/*
 * Serves every whole HTTP request in the input.  Returns -1 if c was
 * freed.
 */
static int
http_session_process(struct conn *c, struct evbuffer *in)
{
	struct http_session *s = c->sess;
	struct http_limits lim = {
	    .max_request_bytes = c->env->limits.max_request_bytes,
	    .max_header_bytes = HTTP_SESSION_MAX_HEADER,
	    .max_headers = HTTP_SESSION_MAX_HEADERS,
	    .head_first = 1,
	};
	struct duet_err err;

	while (!c->closing) {
		if (s->events != NULL) {
			/* An event stream: nothing more is served. */
			evbuffer_drain(in, evbuffer_get_length(in));
			return 0;
		}
		switch (http_parse(&s->parser, in, &lim, &err)) {
		case HTTP_PARSE_MORE:
			http_session_continue(c);
			return 0;
		case HTTP_PARSE_ERROR:
			log_debug("client %" PRIu64 ": %s", c->id, err.msg);
			http_resp_reset(&s->route, 1);
			conn_close_after_reply(c);
			conn_reply_error(c, &err);
			return 0;
		case HTTP_PARSE_HEAD:
			http_session_head(c, &s->parser.req);
			continue;
		case HTTP_PARSE_DONE:
			c->nrequests++;
			c->last_active = time(NULL);
			if (s->admit.refused) {
				/* Answered from its head. */
				if (c->env->draining)
					conn_close_after_reply(c);
			} else if (!http_session_drain_refuses(
			               c, s->parser.req.minor)) {
				http_session_request(c, &s->parser.req);
			}
			/* A stream stays until the client goes. */
			if (!s->parser.req.keep_alive && s->events == NULL)
				conn_close_after_reply(c);
			http_consume(&s->parser);
			break;
		}
		if (conn_check_output(c) == -1)
			return -1;
	}
	return 0;
}

/*
 * conn_proto.serve: every whole request in in, counting the bytes the
 * parser took.  Returns -1 if c was freed.
 */
static int
http_session_serve(struct conn *c, struct evbuffer *in)
{
	size_t before = evbuffer_get_length(in);
	int rv = http_session_process(c, in);

	/* The HTTP parser drains what it has read (c may be gone). */
	if (rv == 0)
		conn_count_input(before - evbuffer_get_length(in));
	return rv;
}

/*
 * Whether the first bytes read as the start of an HTTP request line:
 * 1 to 20 upper-case letters, a space, then '/', or '*' after OPTIONS
 * (the one method with that target: "PSUBSCRIBE *" typed into nc is
 * RESP).  Deciding from
 * the start of the line, not the whole of it, keeps a long request line
 * from being read as RESP inline commands (a browser could otherwise send
 * RESP commands in a body).  Returns 1 (HTTP), 0 (not HTTP) or -1 (too
 * few bytes to tell).
 */
static int
http_session_sniff(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len && i <= HTTP_SESSION_METHOD_MAX; i++) {
		if (p[i] == ' ')
			break;
		if (p[i] < 'A' || p[i] > 'Z')
			return 0;
	}
	if (i == 0 || i > HTTP_SESSION_METHOD_MAX)
		return 0;
	if (i + 1 >= len)
		return -1;
	return p[i + 1] == '/' ||
	    (p[i + 1] == '*' && i == 7 && memcmp(p, "OPTIONS", 7) == 0);
}

/*
 * conn_proto.start: the parser and the response settings of c.
 */
static int
http_session_start(struct conn *c)
{
	struct http_session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	http_parser_init(&s->parser);
	c->sess = s;
	c->route = &s->route;
	/* A verified certificate's or a unix peer's user (SPEC 9.1). */
	dispatch_ident_start(c);
	return 0;
}

/*
 * conn_proto.midway: a request whose head or body is being read.
 */
static int
http_session_midway(const struct conn *c)
{
	return http_session_of(c)->parser.state != HTTP_ST_HEAD;
}

/*
 * conn_proto.timeout: 408, then close.
 */
static void
http_session_timeout(struct conn *c)
{
	struct duet_err err;

	util_err_set(&err, "ERR", "request not received in time");
	err.status = 408;
	http_resp_reset(&http_session_of(c)->route, 1);
	conn_close_after_reply(c);
	conn_reply_error(c, &err);
	conn_free_if_done(c);
}

/*
 * conn_proto.fini: frees the session.
 */
static void
http_session_fini(struct conn *c)
{
	struct http_session *s = c->sess;

	http_events_free(s->events);
	http_parser_fini(&s->parser);
	http_resp_reset(&s->route, 0);
	http_admit_fini(&s->admit);
	free(s);
	c->sess = NULL;
	c->route = NULL;
}

/*
 * conn_proto.subscriptions: an event stream's channel or pattern.
 */
static size_t
http_session_subscriptions(const struct conn *c, int pattern)
{
	const struct http_session *s = c->sess;

	return s != NULL ? http_events_count(s->events, pattern) : 0;
}

const struct conn_proto http_session_proto = {
    .name = "http",
    .http = 1,
    .writer = &http_reply_writer,
    .sniff = http_session_sniff,
    .start = http_session_start,
    .serve = http_session_serve,
    .midway = http_session_midway,
    .timeout = http_session_timeout,
    .fini = http_session_fini,
    .subscriptions = http_session_subscriptions,
};
