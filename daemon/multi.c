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
 * written as one element by the HTTP writer (http_resp.batch says the
 * reply is an element, not a response), and the last chunk closes the
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
#include "dispatch.h"
#include "env.h"
#include "http_reply.h"
#include "multi.h"
#include "registry.h"
#include "resp_session.h"
#include "util.h"

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

	req.name = a[0].via.str.ptr;
	req.namelen = a[0].via.str.size;
	if (resp_session_unqueued(req.name, req.namelen) ||
	    util_strcaseeq(req.name, req.namelen, "exec")) {
		conn_reply_fail(c, 400, "'%.*s' is not allowed in a batch",
		    (int)req.namelen, req.name);
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
multi_batch(struct conn *c, struct http_resp *ctx, const msgpack_object *body)
{
	struct evbuffer *out;
	struct duet_err err;
	uint32_t i, n;

	if (multi_batch_check(body, c->env->limits.max_args, &err) == -1) {
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
	http_reply_batch_head(ctx, c->closing, out, n);
	conn_reply_done(c);
	for (i = 0; i < n; i++) {
		ctx->batch =
		    i == 0 ? HTTP_RESP_BATCH_FIRST : HTTP_RESP_BATCH_NEXT;
		multi_batch_entry(c, &body->via.array.ptr[i]);
	}
	ctx->batch = 0;
	if ((out = conn_reply_buffer(c)) == NULL)
		return;
	http_reply_batch_end(ctx, out, n);
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
