/* SPDX-License-Identifier: MIT */
/*
 * multi - the MULTI / EXEC / DISCARD commands, and POST /batch (L4).
 *
 * The MULTI queue itself is the RESP session's (resp_session.c): these
 * commands open and close it through resp_session_multi_*.  Commands of
 * other connections may run between the queued ones (on other workers at
 * any time, on this one while a BLOCKING call is on the pool): a batch,
 * not an isolated transaction, and WATCH is refused rather than
 * pretended.
 *
 * POST /batch runs an array of [command, args...] arrays the same way.
 * Its response is chunked: the head goes out first, each entry's reply is
 * written as one element by the route's encoders (route_ctx.batch says
 * the reply is an element, not a response), and the last chunk closes the
 * array.  The queue and a batch are bounded as one request is:
 * limits.max_args commands and limits.max_request_bytes of arguments.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "conn.h"
#include "convert.h"
#include "dispatch.h"
#include "multi.h"
#include "registry.h"
#include "resp_session.h"
#include "route.h"
#include "util.h"
#include "worker.h"

/*
 * Appends len bytes to out as one chunk of ctx's response (as they are
 * for HTTP/1.0, which has no chunks: its body ends with the connection).
 */
static void
multi_chunk(const struct route_ctx *ctx, struct evbuffer *out, const void *p,
    size_t len)
{
	if (len == 0)
		return;
	if (ctx->minor > 0)
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add(out, p, len);
	if (ctx->minor > 0)
		evbuffer_add(out, "\r\n", 2);
}

/*
 * One element of a /batch response: o (packed as mp) as msgpack, or as
 * JSON after '[' or ','.  Returns 0, or -1 (err set) when o has no JSON
 * or its encoding is larger than max bytes.
 */
static int
multi_batch_element(const struct route_ctx *ctx, struct evbuffer *out,
    const msgpack_object *o, const char *mp, size_t len, size_t max,
    struct duet_err *err)
{
	struct evbuffer *body;
	char buf[64];

	if (ctx->msgpack) {
		if ((mp = convert_msgpack_reply(
		         o, mp, &len, buf, sizeof(buf), max, err)) == NULL)
			return -1;
		multi_chunk(ctx, out, mp, len);
		return 0;
	}
	if ((body = evbuffer_new()) == NULL) {
		util_err_set(err, "ERR", "out of memory");
		return -1;
	}
	evbuffer_add(body, ctx->batch == MULTI_BATCH_FIRST ? "[" : ",", 1);
	if (convert_msgpack_to_json(body, o, max, err) == -1) {
		evbuffer_free(body);
		return -1;
	}
	len = evbuffer_get_length(body);
	multi_chunk(ctx, out, evbuffer_pullup(body, -1), len);
	evbuffer_free(body);
	return 0;
}

/*
 * The error object of one /batch element: {"error":{"code", "message"}}.
 * Without memory for it, a null keeps the array well-formed.
 */
void
multi_batch_error(const struct route_ctx *ctx, struct evbuffer *out,
    const struct duet_err *err)
{
	static const msgpack_object nil = {.type = MSGPACK_OBJECT_NIL};
	static const char nilmp[] = "\xc0";
	msgpack_sbuffer sb;
	msgpack_unpacked up;
	struct duet_err why;
	size_t off = 0;

	msgpack_sbuffer_init(&sb);
	route_pack_error(&sb, err);
	msgpack_unpacked_init(&up);
	if (sb.data == NULL ||
	    msgpack_unpack_next(&up, sb.data, sb.size, &off) !=
	        MSGPACK_UNPACK_SUCCESS ||
	    multi_batch_element(
	        ctx, out, &up.data, sb.data, sb.size, SIZE_MAX, &why) == -1)
		multi_batch_element(ctx, out, &nil, nilmp, 1, SIZE_MAX, &why);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * The value of one /batch element (route_reply_value's, when ctx->batch
 * is set): o is the unpacked value of mp, both borrowed.  A value with no
 * JSON form becomes its error.
 */
void
multi_batch_value(const struct route_ctx *ctx, struct evbuffer *out,
    const msgpack_object *o, const char *mp, size_t len, size_t max)
{
	struct duet_err err;

	if (multi_batch_element(ctx, out, o, mp, len, max, &err) == -1)
		multi_batch_error(ctx, out, &err);
}

/*
 * Checks a /batch body: an array of at most max arrays, each starting
 * with a command name.  Returns 0, or -1 with err set (status 400).
 */
static int
multi_batch_check(
    const msgpack_object *body, uint64_t max, struct duet_err *err)
{
	const msgpack_object *e;
	uint32_t i;

	if (body->type != MSGPACK_OBJECT_ARRAY) {
		util_err_set(err, "ERR",
		    "the body of /batch must be an array of [command, "
		    "args...] arrays");
		goto fail;
	}
	if (body->via.array.size > max) {
		util_err_set(err, "ERR",
		    "a batch holds at most limits.max_args (%" PRIu64
		    ") commands",
		    max);
		goto fail;
	}
	for (i = 0; i < body->via.array.size; i++) {
		e = &body->via.array.ptr[i];
		if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size == 0 ||
		    e->via.array.ptr[0].type != MSGPACK_OBJECT_STR) {
			util_err_set(err, "ERR",
			    "batch entry %" PRIu32 " is not an array "
			    "starting with a command name",
			    i);
			goto fail;
		}
	}
	return 0;
fail:
	err->status = 400;
	return -1;
}

/*
 * Dispatches one /batch entry, [name, args...]: positional arguments,
 * as a JSON or msgpack array body.  The commands MULTI would not queue
 * are refused.
 */
static void
multi_batch_entry(struct conn *c, const msgpack_object *e)
{
	msgpack_object *a = e->via.array.ptr;
	msgpack_object args = {.type = MSGPACK_OBJECT_ARRAY};
	struct request req = {0};
	struct duet_err err;

	req.name = a[0].via.str.ptr;
	req.namelen = a[0].via.str.size;
	if (resp_session_unqueued(req.name, req.namelen) ||
	    util_strcaseeq(req.name, req.namelen, "exec")) {
		util_err_set(&err, "ERR", "'%.*s' is not allowed in a batch",
		    (int)req.namelen, req.name);
		err.status = 400;
		conn_reply_error(c, &err);
		return;
	}
	args.via.array.size = e->via.array.size - 1;
	args.via.array.ptr = a + 1;
	req.kind = REQUEST_OBJECT;
	req.body = &args;
	dispatch_request(c, &req);
}

/*
 * POST /batch with body (the decoded request body, borrowed) on c, whose
 * HTTP session's response settings are ctx: 200 and a
 * chunked array holding each entry's value or error object, in order; or
 * 400 when body is not an array of [command, args...] arrays.  HTTP/1.0
 * has no chunks: the response ends by closing.
 */
void
multi_batch(struct conn *c, struct route_ctx *ctx, const msgpack_object *body)
{
	struct evbuffer *out;
	msgpack_packer pk;
	struct duet_err err;
	uint32_t i, n;

	if (multi_batch_check(body, c->worker->limits.max_args, &err) == -1) {
		conn_reply_error(c, &err);
		return;
	}
	n = body->via.array.size;
	if (ctx->minor == 0) {
		ctx->keep_alive = 0;
		conn_close_after_reply(c);
	}
	if ((out = conn_reply_buffer(c)) == NULL)
		return;
	route_head(ctx, c->closing, out, 200,
	    ctx->msgpack ? "application/msgpack" : "application/json", -1);
	if (ctx->msgpack) {
		struct evbuffer *hdr = evbuffer_new();

		if (hdr != NULL) {
			convert_packer_init(&pk, hdr);
			msgpack_pack_array(&pk, n);
			multi_chunk(ctx, out, evbuffer_pullup(hdr, -1),
			    evbuffer_get_length(hdr));
			evbuffer_free(hdr);
		}
	}
	conn_reply_done(c);
	for (i = 0; i < n; i++) {
		ctx->batch = i == 0 ? MULTI_BATCH_FIRST : MULTI_BATCH_NEXT;
		multi_batch_entry(c, &body->via.array.ptr[i]);
	}
	ctx->batch = 0;
	if ((out = conn_reply_buffer(c)) == NULL)
		return;
	if (!ctx->msgpack)
		multi_chunk(ctx, out, n == 0 ? "[]" : "]", n == 0 ? 2 : 1);
	if (ctx->minor > 0)
		evbuffer_add(out, "0\r\n\r\n", 5);
	conn_reply_done(c);
}

/*
 * MULTI: opens the queue (the session queues from the next command on).
 */
void
multi_cmd_multi(duet_call *call)
{
	struct conn *c = call->conn;

	if (resp_session_in_multi(c)) {
		duet_reply_error(call, "ERR", "MULTI calls can not be nested");
		return;
	}
	if (resp_session_multi_begin(c) == -1) {
		duet_reply_error(call, "ERR", "out of memory");
		return;
	}
	duet_reply_status(call, "OK", 2);
}

/*
 * EXEC reaches its handler only without an open MULTI (the RESP session
 * runs the queue otherwise).
 */
void
multi_cmd_exec(duet_call *call)
{
	duet_reply_error(call, "ERR", "EXEC without MULTI");
}

/*
 * DISCARD: forgets the queue.
 */
void
multi_cmd_discard(duet_call *call)
{
	if (!resp_session_in_multi(call->conn)) {
		duet_reply_error(call, "ERR", "DISCARD without MULTI");
		return;
	}
	resp_session_multi_discard(call->conn);
	duet_reply_status(call, "OK", 2);
}

/*
 * WATCH: refused, since nothing would make EXEC fail when a key changes.
 */
void
multi_cmd_watch(duet_call *call)
{
	duet_reply_error(call, "ERR",
	    "WATCH is not supported by duetd: MULTI/EXEC is a batch "
	    "without optimistic locking");
}

/*
 * UNWATCH: nothing is ever watched, so there is nothing to forget.
 */
void
multi_cmd_unwatch(duet_call *call)
{
	duet_reply_status(call, "OK", 2);
}
