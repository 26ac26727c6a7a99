/* SPDX-License-Identifier: MIT */
/*
 * multi - L4: MULTI / EXEC / DISCARD, and POST /batch.
 *
 * Between MULTI and EXEC, dispatch checks each command as usual (name,
 * arguments) and hands it to multi_take, which copies it into the conn's
 * queue and answers +QUEUED; a command that fails those checks is answered
 * with its error at once and makes EXEC answer -EXECABORT, as in Redis.
 * EXEC answers the array header, then dispatches the queued commands one
 * after the other as if the client had pipelined them: each reply takes
 * its place in the conn's reply queue (a BLOCKING, deferred or STREAM call
 * keeps a slot there), so the elements follow the header in order, with
 * no copy, however and whenever each call ends.  Commands of other
 * connections may run in between (on other workers at any time, on this
 * one while a BLOCKING call is on the pool): a batch, not an isolated
 * transaction, and WATCH is refused rather than pretended.
 *
 * POST /batch runs an array of [command, args...] arrays the same way.
 * Its response is chunked: the head goes out first, each entry's reply is
 * written as one element by the HTTP writer (http_resp.batch says the
 * reply is an element, not a response), and the last chunk closes the
 * array; http_reply.c writes every byte of it.  The queue and a batch are
 * bounded as one request is: limits.max_args commands and
 * limits.max_request_bytes of arguments.
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
#include "http_reply.h"
#include "multi.h"
#include "registry.h"
#include "resp_reply.h"
#include "util.h"
#include "worker.h"

/* The queue of one MULTI: owned by its conn (c->multi). */
struct multi {
	/* owned: each command as [kind, name, args...] */
	msgpack_sbuffer queue;
	size_t ncmds; /* commands in queue */
	int dirty;    /* a command was refused: EXEC aborts */
};

/* The commands MULTI runs at once instead of queuing (Redis 7's list). */
static const char *const multi_unqueued[] = {
    "multi", "discard", "watch", "quit", "reset", NULL};

static int
multi_listed(const char *name, size_t len)
{
	size_t i;

	for (i = 0; multi_unqueued[i] != NULL; i++) {
		if (util_strcaseeq(name, len, multi_unqueued[i]))
			return 1;
	}
	return 0;
}

/*
 * Frees a MULTI queue.  NULL is a no-op.
 */
void
multi_free(struct multi *m)
{
	if (m == NULL)
		return;
	msgpack_sbuffer_destroy(&m->queue);
	free(m);
}

/*
 * Forgets c's open MULTI, if any (DISCARD, RESET).
 */
void
multi_discard(struct conn *c)
{
	multi_free(c->multi);
	c->multi = NULL;
}

/*
 * A command was refused while c may be queuing (unknown, bad arguments,
 * over the queue's limits): an open MULTI will abort at EXEC, so what it
 * queued is let go now.
 */
void
multi_refused(struct conn *c)
{
	struct multi *m = c->multi;

	if (m == NULL)
		return;
	m->dirty = 1;
	m->ncmds = 0;
	msgpack_sbuffer_destroy(&m->queue);
	msgpack_sbuffer_init(&m->queue);
}

/*
 * Queues a successful status reply (+QUEUED), in c's encoding.
 */
static void
multi_reply_status(struct conn *c, const char *s)
{
	size_t len = strlen(s);
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_object o;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_ext(&pk, len, DUET_EXT_STATUS);
	msgpack_pack_ext_body(&pk, s, len);
	o.type = MSGPACK_OBJECT_EXT;
	o.via.ext.type = DUET_EXT_STATUS;
	o.via.ext.size = (uint32_t)len;
	o.via.ext.ptr = s;
	conn_reply_value(c, c->encoding, &o, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * Copies req (whose command and arguments were checked) to the end of
 * m's queue, within the limits.  Returns 0, or -1 with err set.
 */
static int
multi_queue(struct conn *c, struct multi *m, const struct request *req,
    struct duet_err *err)
{
	const struct config_limits *lim = &c->worker->limits;
	size_t i, need = 16 + req->namelen;
	msgpack_packer pk;
	int rv = 0;

	for (i = 0; i < req->argc; i++)
		need += 5 + req->argv[i].len;
	if (m->ncmds >= lim->max_args) {
		util_err_set(err, "ERR",
		    "too many commands queued: MULTI holds at most "
		    "limits.max_args (%" PRIu64 ")",
		    lim->max_args);
		return -1;
	}
	if (m->queue.size + need > lim->max_request_bytes) {
		util_err_set(err, "ERR",
		    "queued commands over limits.max_request_bytes "
		    "(%" PRIu64 " bytes)",
		    lim->max_request_bytes);
		return -1;
	}
	msgpack_packer_init(&pk, &m->queue, msgpack_sbuffer_write);
	rv |= msgpack_pack_array(&pk, req->argc + 2);
	rv |= msgpack_pack_int(&pk, (int)req->kind);
	rv |= msgpack_pack_bin(&pk, req->namelen);
	rv |= msgpack_pack_bin_body(&pk, req->name, req->namelen);
	for (i = 0; i < req->argc && rv == 0; i++) {
		rv |= msgpack_pack_bin(&pk, req->argv[i].len);
		rv |= msgpack_pack_bin_body(
		    &pk, req->argv[i].ptr, req->argv[i].len);
	}
	if (rv != 0) {
		util_err_set(err, "ERR", "out of memory");
		return -1;
	}
	m->ncmds++;
	return 0;
}

/*
 * What dispatch does with cmd, whose name and arguments were checked:
 * without an open MULTI, or for a command MULTI does not queue, run it
 * (MULTI_RUN); EXEC runs the queue (MULTI_EXEC, once dispatch is done
 * with this request); any other is queued and answered (MULTI_QUEUED).
 * req is borrowed; what is queued is copied.
 */
enum multi_action
multi_take(struct conn *c, const struct command *cmd, const struct request *req)
{
	struct multi *m = c->multi;
	struct duet_err err;

	if (m == NULL)
		return MULTI_RUN;
	if (cmd->plugin == NULL && strcmp(cmd->name, "exec") == 0)
		return MULTI_EXEC;
	if (cmd->plugin == NULL && multi_listed(cmd->name, cmd->namelen))
		return MULTI_RUN;
	if (!m->dirty && multi_queue(c, m, req, &err) == -1) {
		multi_refused(c);
		conn_reply_error(c, &err);
		return MULTI_QUEUED;
	}
	/* Once dirty nothing is kept, but each command is still QUEUED. */
	multi_reply_status(c, "QUEUED");
	return MULTI_QUEUED;
}

/*
 * The request of one queued command, [kind, name, args...] as o: argv
 * is grown to hold its arguments.  Returns 0, or -1 when out of memory.
 */
static int
multi_request(const msgpack_object *o, struct request *req,
    struct resp_arg **argv, size_t *cap)
{
	const msgpack_object *a = o->via.array.ptr;
	struct resp_arg *v;
	size_t i, n = o->via.array.size - 2;

	if (n > *cap) {
		if ((v = reallocarray(*argv, n, sizeof(*v))) == NULL)
			return -1;
		*argv = v;
		*cap = n;
	}
	memset(req, 0, sizeof(*req));
	req->kind = (enum request_kind)a[0].via.i64;
	req->name = a[1].via.bin.ptr;
	req->namelen = a[1].via.bin.size;
	for (i = 0; i < n; i++) {
		(*argv)[i].ptr = a[i + 2].via.bin.ptr;
		(*argv)[i].len = a[i + 2].via.bin.size;
	}
	req->argc = n;
	req->argv = *argv;
	return 0;
}

/*
 * EXEC with c's MULTI open (worker thread, after dispatch is done with
 * the EXEC request itself): the array header, then each queued command,
 * dispatched in order; or -EXECABORT when one was refused.  The MULTI is
 * closed first, so the commands run instead of queuing.
 */
void
multi_exec(struct conn *c)
{
	struct multi *m = c->multi;
	struct resp_arg *argv = NULL;
	struct evbuffer *out;
	msgpack_unpacked up;
	struct duet_err err;
	struct request req;
	size_t off = 0, cap = 0;

	c->multi = NULL;
	if (m->dirty) {
		util_err_set(&err, "EXECABORT",
		    "Transaction discarded because of previous errors.");
		conn_reply_error(c, &err);
		multi_free(m);
		return;
	}
	if ((out = conn_reply_buffer(c)) == NULL) {
		multi_free(m);
		return;
	}
	resp_add_array(out, m->ncmds);
	conn_reply_done(c);
	msgpack_unpacked_init(&up);
	while (msgpack_unpack_next(&up, m->queue.data, m->queue.size, &off) ==
	    MSGPACK_UNPACK_SUCCESS) {
		if (multi_request(&up.data, &req, &argv, &cap) == -1) {
			/* Still one reply per element. */
			util_err_set(&err, "ERR", "out of memory");
			conn_reply_error(c, &err);
			continue;
		}
		dispatch_request(c, &req);
	}
	msgpack_unpacked_destroy(&up);
	free(argv);
	multi_free(m);
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
	if (multi_listed(req.name, req.namelen) ||
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
 * POST /batch with body (the decoded request body, borrowed): 200 and a
 * chunked array holding each entry's value or error object, in order; or
 * 400 when body is not an array of [command, args...] arrays.  HTTP/1.0
 * has no chunks: the response ends by closing.
 */
void
multi_batch(struct conn *c, const msgpack_object *body)
{
	struct http_resp *ctx = &c->route;
	struct evbuffer *out;
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
 * MULTI: opens the queue (dispatch queues from the next command on).
 */
void
multi_cmd_multi(duet_call *call)
{
	struct conn *c = call->conn;

	if (c->multi != NULL) {
		duet_reply_error(call, "ERR", "MULTI calls can not be nested");
		return;
	}
	if ((c->multi = calloc(1, sizeof(*c->multi))) == NULL) {
		duet_reply_error(call, "ERR", "out of memory");
		return;
	}
	msgpack_sbuffer_init(&c->multi->queue);
	duet_reply_status(call, "OK", 2);
}

/*
 * EXEC reaches its handler only without an open MULTI (dispatch runs the
 * queue otherwise).
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
	if (call->conn->multi == NULL) {
		duet_reply_error(call, "ERR", "DISCARD without MULTI");
		return;
	}
	multi_discard(call->conn);
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
