/* SPDX-License-Identifier: MIT */
/*
 * http_session_body - the body of an HTTP request (L4, part of
 * http_session): whether its Content-Type is one a command takes (JSON or
 * msgpack), whether to accept one announced with Expect: 100-continue,
 * decoding it into one msgpack object (a JSON body packed into msgpack in
 * a stack buffer first), and POST /batch, whose body is the whole request.
 * Reading requests, their heads, path and query arguments and the serving
 * loop are left to http_session.c; binding arguments to a signature to
 * dispatch_args.c.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "conn.h"
#include "convert.h"
#include "env.h"
#include "http.h"
#include "http_reply.h"
#include "http_session_int.h"
#include "multi.h"
#include "util.h"

/*
 * Whether a Content-Type (one media type, unlike Accept) is type (lower
 * case): the part before any ';', trimmed, compared ignoring case.  A
 * list is never a valid Content-Type, so "text/plain, application/json"
 * is not JSON.
 */
static int
http_session_ctype_is(struct http_str v, const char *type)
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
	return http_lower_eq(p, len, type, strlen(type));
}

/*
 * Whether Content-Type v announces a JSON request body.
 */
int
http_session_body_is_json(struct http_str v)
{
	return http_session_ctype_is(v, "application/json");
}

/* Whether Content-Type v announces a msgpack request body. */
int
http_session_body_is_msgpack(struct http_str v)
{
	return http_session_ctype_is(v, "application/msgpack") ||
	    http_session_ctype_is(v, "application/x-msgpack") ||
	    http_session_ctype_is(v, "application/vnd.msgpack");
}

/*
 * A JSON or msgpack body, decoded into up.  Returns 0, or -1 after
 * answering (400, 415).
 */
int
http_session_body(struct conn *c, struct http_request *req,
    msgpack_unpacked *up, struct http_session_pack *sb)
{
	size_t len = evbuffer_get_length(req->body), off = 0;
	const char *p = (const char *)evbuffer_pullup(req->body, -1);
	struct duet_err err;
	msgpack_packer pk;
	size_t used;
	int rv;

	if (http_session_body_is_json(req->content_type)) {
		msgpack_packer_init(&pk, &sb->b, convert_buf_write);
		if (convert_json_to_msgpack(&pk, p, len,
		        (int)c->env->limits.max_nesting, &err) == -1) {
			conn_reply_fail(c, 400, "%s", err.msg);
			return -1;
		}
		p = sb->b.data;
		len = sb->b.size;
	} else if (!http_session_body_is_msgpack(req->content_type)) {
		conn_reply_fail(c, 415,
		    "a request body must be application/json or "
		    "application/msgpack");
		return -1;
	} else if (convert_msgpack_check(p, len,
	               (int)c->env->limits.max_nesting, &used, &err) == -1) {
		conn_reply_fail(c, 400, "%s", err.msg);
		return -1;
	}
	rv = msgpack_unpack_next(up, p, len, &off);
	if (rv == MSGPACK_UNPACK_NOMEM_ERROR) {
		conn_reply_fail(c, 400, "msgpack nested too deep");
		return -1;
	}
	if (rv != MSGPACK_UNPACK_SUCCESS || off != len) {
		conn_reply_fail(c, 400,
		    rv == MSGPACK_UNPACK_SUCCESS
		        ? "trailing bytes after the msgpack value"
		        : "truncated or invalid msgpack");
		return -1;
	}
	if (up->data.type != MSGPACK_OBJECT_ARRAY &&
	    up->data.type != MSGPACK_OBJECT_MAP) {
		conn_reply_fail(c, 400,
		    "the body must be an array (positional arguments) or an "
		    "object (named arguments)");
		return -1;
	}
	return 0;
}

/*
 * Before a body announced with Expect: 100-continue is sent: whether it
 * would be accepted.  Returns 0 (send 100 Continue), or -1 after
 * answering the final status; the connection then closes, since the
 * client may send the body anyway.
 */
int
http_session_expect(struct conn *c, const struct http_request *req)
{
	struct http_resp *ctx = &http_session_of(c)->route;

	ctx->keep_alive = 0;
	if (req->method != HTTP_M_POST) {
		ctx->allow = "POST";
		conn_reply_fail(c, 405, "only POST takes a request body");
		goto refuse;
	}
	if (!http_session_body_is_json(req->content_type) &&
	    !http_session_body_is_msgpack(req->content_type)) {
		conn_reply_fail(c, 415,
		    "a request body must be application/json or "
		    "application/msgpack");
		goto refuse;
	}
	ctx->keep_alive = req->keep_alive;
	return 0;
refuse:
	conn_close_after_reply(c);
	return -1;
}

/*
 * POST /batch: an array of [command, args...] arrays, run in order (see
 * multi.c).
 */
void
http_session_batch(struct conn *c, struct http_request *req)
{
	struct http_resp *ctx = &http_session_of(c)->route;
	msgpack_unpacked up;
	struct http_session_pack sb;

	if (req->method != HTTP_M_POST) {
		ctx->allow = "POST";
		conn_reply_fail(c, 405, "/batch answers POST only");
		return;
	}
	if (evbuffer_get_length(req->body) == 0) {
		conn_reply_fail(c, 400,
		    "the body of /batch must be an array of [command, "
		    "args...] arrays");
		return;
	}
	msgpack_unpacked_init(&up);
	http_session_pack_init(&sb);
	if (http_session_body(c, req, &up, &sb) == 0)
		multi_batch(c, ctx, &up.data);
	msgpack_unpacked_destroy(&up);
	http_session_pack_fini(&sb);
}
