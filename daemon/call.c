/* SPDX-License-Identifier: MIT */
/*
 * call - L3 calls: calls that outlive their request, and the host API
 * calls that make them (duet_defer, duet_finish, duet_call_state).
 *
 * Life of a call: created on its worker's thread with a slot in the
 * conn's reply queue (call_new); its handler runs on the loop (STREAM),
 * on the pool as a pool_job (BLOCKING) or hands it to a plugin thread
 * (duet_defer).  Whoever produces the answer marks it FINISHED with one
 * atomic compare-and-swap and posts a kick (its struct mail) to the
 * worker's mailbox; only the worker writes into the conn (call_complete)
 * and releases the call, once the handler has returned too.  A conn that
 * goes away first orphans its calls: they run to the end and their answer
 * is dropped.  The queueing is the mailbox's and the pool's (L1, L3); the
 * conn, its slots and the wire formats are the conn's and the writers'.
 *
 * A call is allocated and released on its worker's thread only (or on
 * the main thread once that one has ended), so the free list is its
 * env's, with no lock.  Call memory is type-stable: a released call goes
 * to that free list and is reused only after CALL_QUARANTINE others,
 * never returned to malloc while its worker runs.  So a plugin that calls
 * duet_finish twice hits a call whose state is no longer DEFERRED, which
 * is logged and ignored, instead of freed memory.
 *
 * L3.  How the answer is encoded is fixed when the request is read (a
 * struct reply_enc and a copy of the response settings it borrows); its
 * bytes are the writer's (reply.h), never this file's.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "call.h"
#include "conn.h"
#include "convert.h"
#include "env.h"
#include "links.h"
#include "log.h"
#include "mailbox.h"
#include "metrics.h"
#include "plugin.h"
#include "pool.h"
#include "registry.h"

/* How many released calls wait (per worker) before one is reused. */
#define CALL_QUARANTINE 64
/* The largest argument or answer buffer a released call keeps. */
#define CALL_KEEP_BYTES 4096
/* An answer buffer's first size (msgpack-c's would be 8 kB). */
#define CALL_OUT_FIRST 256
/* The zone's first chunk: what a released call keeps of it. */
#define CALL_ZONE_CHUNK 1024

/* The call whose member field p points to. */
#define CALL_OF(p, field)                                                      \
	((struct call_async *)((char *)(p)-offsetof(struct call_async, field)))

static atomic_uint_fast64_t call_nlive;

static duet_call *call_defer(duet_call *call, int with_args);
static void call_on_mail(struct mail *m, unsigned kicks);
static void call_on_job(struct pool_job *job);
static void call_on_job_failed(
    struct pool_job *job, const struct duet_err *err);

/*
 * Makes what a call keeps from one use to the next: its stream buffer,
 * its zone and a small answer buffer.  Returns 0, or -1 out of memory
 * (nothing made).
 */
static int
call_make_kept(struct call_async *as)
{
	if ((as->wire = evbuffer_new()) == NULL)
		return -1;
	if (!msgpack_zone_init(&as->zone, CALL_ZONE_CHUNK)) {
		evbuffer_free(as->wire);
		return -1;
	}
	if ((as->outbuf.data = malloc(CALL_OUT_FIRST)) == NULL) {
		msgpack_zone_destroy(&as->zone);
		evbuffer_free(as->wire);
		return -1;
	}
	as->outbuf.alloc = CALL_OUT_FIRST;
	return 0;
}

/* Frees what call_make_kept made, and the argument buffer. */
static void
call_free_kept(struct call_async *as)
{
	evbuffer_free(as->wire);
	msgpack_zone_destroy(&as->zone);
	free(as->argbuf);
	msgpack_sbuffer_destroy(&as->outbuf);
}

/*
 * A call from e's free list (after the quarantine) or a new one, for e's
 * thread; its fields from env on are zero but env and its mail's deliver.
 * NULL when out of memory.
 */
static struct call_async *
call_alloc(struct env *e)
{
	struct call_async *as = NULL;

	if (e->nfree_calls > CALL_QUARANTINE) {
		as = TAILQ_FIRST(&e->free_calls);
		TAILQ_REMOVE(&e->free_calls, as, entry);
		e->nfree_calls--;
	}
	if (as == NULL) {
		if ((as = calloc(1, sizeof(*as))) == NULL)
			return NULL;
		if (call_make_kept(as) == -1) {
			free(as);
			return NULL;
		}
		pthread_mutex_init(&as->lock, NULL);
		pthread_cond_init(&as->cond, NULL);
	} else {
		memset(&as->call, 0, sizeof(as->call));
		memset(&as->env, 0,
		    sizeof(*as) - offsetof(struct call_async, env));
	}
	as->env = e;
	as->mail.deliver = call_on_mail;
	atomic_fetch_add(&call_nlive, 1);
	return as;
}

/*
 * Readies call for cmd with every field zero but the error's text, which
 * is only read once util_err_set() or call_host_error() has written it
 * (call->failed): 548 of the call's bytes a successful call never
 * touches.
 */
void
call_init(struct duet_call *call, const struct command *cmd, uint64_t present)
{
	memset(call, 0, offsetof(struct duet_call, err));
	call->cmd = cmd;
	call->present = present;
	call->err.code[0] = '\0';
	call->err.msg[0] = '\0';
	call->err.status = 0;
}

/*
 * Empties what a released call keeps for its next use: a buffer larger
 * than CALL_KEEP_BYTES is given back (the answer buffer shrinks to its
 * first size, or goes when that cannot be had: msgpack-c makes one on
 * the next write); a cleared zone keeps only its first chunk.
 */
static void
call_empty_kept(struct call_async *as)
{
	char *small;

	if (as->argcap > CALL_KEEP_BYTES) {
		free(as->argbuf);
		as->argbuf = NULL;
		as->argcap = 0;
	}
	msgpack_zone_clear(&as->zone);
	msgpack_sbuffer_clear(&as->outbuf);
	if (as->outbuf.alloc > CALL_KEEP_BYTES) {
		small = malloc(CALL_OUT_FIRST);
		free(as->outbuf.data);
		as->outbuf.data = small;
		as->outbuf.alloc = small != NULL ? CALL_OUT_FIRST : 0;
	}
	evbuffer_drain(as->wire, evbuffer_get_length(as->wire));
}

/*
 * Frees what the call owns and puts it on its env's free list.  Worker
 * thread (it drops the generation reference, which may unload a plugin,
 * and the free list has no lock).
 */
static void
call_release(struct call_async *as)
{
	struct env *e = as->env;

	mailbox_cancel(&e->mailbox, &as->mail);
	call_empty_kept(as);
	if (as->items != NULL)
		evbuffer_free(as->items);
	if (as->scratch != NULL)
		evbuffer_free(as->scratch);
	if (as->item_ready)
		msgpack_unpacked_destroy(&as->item);
	free(as->name);
	if (as->user != as->user_buf)
		free(as->user);
	free(as->tls_subject);
	http_resp_reset(&as->resp, 0);
	free(as->state_mem);
	if (as->gen != NULL)
		registry_unref(as->gen);
	if (as->link != NULL)
		link_unref(as->link);
	atomic_store(&as->state, CALL_FREE);
	atomic_fetch_sub(&call_nlive, 1);
	TAILQ_INSERT_TAIL(&e->free_calls, as, entry);
	e->nfree_calls++;
}

/*
 * Copies the packed arguments and unpacks them into the call's own zone.
 * Returns 0 or -1.
 */
static int
call_copy_args(struct call_async *as, const char *args, size_t arglen)
{
	msgpack_object o;
	size_t off = 0;

	if (arglen > as->argcap) {
		free(as->argbuf);
		as->argcap = 0;
		if ((as->argbuf = malloc(arglen)) == NULL)
			return -1;
		as->argcap = arglen;
	}
	if (arglen > 0)
		memcpy(as->argbuf, args, arglen);
	if (msgpack_unpack(as->argbuf, arglen, &off, &as->zone, &o) !=
	        MSGPACK_UNPACK_SUCCESS ||
	    o.type != MSGPACK_OBJECT_ARRAY)
		return -1;
	as->call.argv = o.via.array.ptr;
	as->call.argc = (int)o.via.array.size;
	return 0;
}

/*
 * Takes what the call needs of c: identity (copied, so a pool or plugin
 * thread never reads the conn), and how its reply is encoded (with a copy
 * of the response settings that encoding borrows).  Returns 0, or -1 out
 * of memory.
 */
static int
call_snapshot(struct call_async *as, struct conn *c)
{
	util_strlcpy(as->peer, c->peer, sizeof(as->peer));
	/* A short user name (most) is copied into the call. */
	if (c->ident.user != NULL) {
		size_t n = strlen(c->ident.user);

		if (n < sizeof(as->user_buf))
			as->user = memcpy(as->user_buf, c->ident.user, n + 1);
		else if ((as->user = strdup(c->ident.user)) == NULL)
			return -1;
	}
	if ((c->name != NULL && (as->name = strdup(c->name)) == NULL) ||
	    (c->ident.tls_subject != NULL &&
	        (as->tls_subject = strdup(c->ident.tls_subject)) == NULL))
		return -1;
	as->call.peer = as->peer;
	as->call.name = as->name;
	as->call.user = as->user;
	as->call.tls_subject = as->tls_subject;
	as->call.protocol = call_protocol(c);
	as->call.encoding = c->encoding;
	as->metrics_proto = c->proto->http ? METRICS_HTTP : METRICS_RESP;
	as->enc = conn_reply_enc(c, c->encoding);
	if (as->enc.http != NULL) {
		http_resp_copy(&as->resp, as->enc.http);
		as->enc.http = &as->resp;
	}
	return 0;
}

static void
call_slot_drained(void *arg, size_t backlog)
{
	call_drained(arg, backlog);
}

static void
call_slot_orphaned(void *arg)
{
	call_orphan(arg);
}

/* What the conn tells a call of its slot. */
static const struct conn_slot_owner call_slot_owner = {
    .drained = call_slot_drained,
    .orphaned = call_slot_orphaned,
};

/*
 * Creates the call of cmd for c's current request (worker thread), with
 * a copy of the packed argument array args (none: NULL) and the reply's
 * place at the end of c's queue.  Its state is RUNNING.  Returns NULL when out
 * of memory (nothing queued).
 */
struct call_async *
call_new(struct conn *c, const struct command *cmd, const char *args,
    size_t arglen, uint64_t present)
{
	struct env *e = c->env;
	struct call_async *as;

	if ((as = call_alloc(e)) == NULL)
		return NULL;
	as->gen = e->reg;
	registry_ref(as->gen);
	if ((as->link = cmd->link) != NULL)
		link_ref(as->link);
	as->call.async = 1;
	as->call.cmd = cmd;
	as->call.present = present;
	util_strlcpy(as->cmdname, cmd->name, sizeof(as->cmdname));
	if (args != NULL && call_copy_args(as, args, arglen) == -1)
		goto fail;
	as->call.out = &as->outbuf;
	msgpack_packer_init(&as->call.pk, as->call.out, msgpack_sbuffer_write);
	if (call_snapshot(as, c) == -1)
		goto fail;
	as->t0 = call_usec();
	as->max_stream = e->limits.max_request_bytes;
	as->max_output = e->limits.max_output_bytes;
	if ((as->slot = conn_reply_slot(c, &call_slot_owner, as)) == NULL)
		goto fail;
	as->conn = c;
	atomic_store(&as->state, CALL_RUNNING);
	/* A stream with no framing but the end of the connection. */
	if (cmd->flags & DUET_STREAM) {
		as->stream_mode = as->enc.writer->stream_mode(&as->enc);
		if (as->stream_mode == REPLY_STREAM_TO_CLOSE)
			conn_close_after_reply(c);
	}
	return as;
fail:
	call_release(as);
	return NULL;
}

/*
 * Runs the call's handler (the pool's thread, or the loop's when on_loop)
 * and reports its return to the worker.
 */
void
call_run(struct call_async *as, int on_loop)
{
	call_invoke(as->call.cmd, &as->call);
	if (on_loop)
		call_returned_here(as);
	else
		call_post(as, CALL_KICK_RETURNED);
}

static void
call_on_job(struct pool_job *job)
{
	call_run(CALL_OF(job, job), 0);
}

static void
call_on_job_failed(struct pool_job *job, const struct duet_err *err)
{
	call_fail(CALL_OF(job, job), err);
}

/*
 * Queues a BLOCKING call's handler on the pool (worker thread).  Returns
 * 0, or -1 when max_pending calls already wait (the caller answers it).
 */
int
call_submit(struct call_async *as, uint64_t max_pending)
{
	as->job.run = call_on_job;
	as->job.fail = call_on_job_failed;
	return pool_submit(&as->job, max_pending);
}

/*
 * Whether the caller runs on the call's worker thread (its event loop).
 */
int
call_on_loop(const struct call_async *as)
{
	return env_on_loop(as->env);
}

/*
 * Answers the call with err instead of running it (BUSY, shutting down).
 * Any thread.
 */
void
call_fail(struct call_async *as, const struct duet_err *err)
{
	as->call.err = *err;
	as->call.failed = 1;
	if (call_on_loop(as))
		call_returned_here(as);
	else
		call_post(as, CALL_KICK_RETURNED);
}

/*
 * The one value a handler packed into buf, unpacked into z (a scalar,
 * most replies, without msgpack-c).  Returns 0, or -1 (logged, err set)
 * when there is none or more than one.
 */
int
call_reply_object(const struct command *cmd, const char *mp, size_t len,
    msgpack_zone *z, msgpack_object *o, struct duet_err *err)
{
	size_t off = 0;

	if (convert_unpack_scalar(mp, len, o) == 0)
		return 0;
	if (len > 0 &&
	    msgpack_unpack(mp, len, &off, z, o) == MSGPACK_UNPACK_SUCCESS &&
	    off == len)
		return 0;
	log_warnx("command %s: handler sent %s", cmd->name,
	    len == 0 ? "no reply" : "an invalid or multiple-value reply");
	util_err_set(err, "ERR", "command '%s' sent no valid reply", cmd->name);
	return -1;
}

/*
 * How the call's reply is encoded, now: as its request asked, closing
 * if its conn is.
 */
struct reply_enc
call_enc(const struct call_async *as)
{
	struct reply_enc enc = as->enc;

	enc.closing = as->conn != NULL && as->conn->closing;
	return enc;
}

/*
 * Encodes a finished (non-stream) call's answer into out.
 */
static void
call_encode_reply(struct call_async *as, struct evbuffer *out)
{
	struct reply_enc enc = call_enc(as);
	msgpack_object o;

	if (!as->call.failed &&
	    call_reply_object(as->call.cmd, as->outbuf.data, as->outbuf.size,
	        &as->zone, &o, &as->call.err) == -1)
		as->call.failed = 1;
	if (as->call.failed) {
		enc.writer->error(&enc, out, &as->call.err);
		return;
	}
	enc.writer->value(&enc, out, &o, as->outbuf.data, as->outbuf.size);
}

/*
 * Writes the answer of a FINISHED call into its slot (worker thread), and
 * counts it.  The slot is then done and c flushes it in order.
 */
static void
call_complete(struct call_async *as)
{
	struct conn *c = as->conn;
	struct conn_reply *r = as->slot;

	as->completed = 1;
	if (c != NULL) {
		if (as->call.cmd->flags & DUET_STREAM) {
			call_stream_end(as, r->buf);
		} else {
			call_encode_reply(as, conn_reply_slot_buffer(c, r));
		}
	}
	metrics_observe(as->call.cmd->stats,
	    (enum metrics_proto)as->metrics_proto, call_usec() - as->t0,
	    as->call.failed || as->stream_failed);
	as->conn = NULL;
	as->slot = NULL;
	if (c != NULL)
		conn_reply_slot_done(c, r);
}

static int
call_paused(struct call_async *as)
{
	int paused;

	pthread_mutex_lock(&as->lock);
	paused = as->paused;
	pthread_mutex_unlock(&as->lock);
	return paused;
}

/*
 * The handler has returned (worker thread).  A call still RUNNING is
 * answered now, unless it is a stream paused for a slow client; a
 * DEFERRED one waits for duet_finish.  Released once answered.
 */
void
call_returned_here(struct call_async *as)
{
	int running = CALL_RUNNING;

	as->runner_done = 1;
	if (as->slot != NULL && (as->call.cmd->flags & DUET_STREAM))
		call_flush(as);
	if (atomic_load(&as->state) == CALL_RUNNING) {
		if (as->conn != NULL && !as->call.failed && call_paused(as))
			return;
		if (atomic_compare_exchange_strong(
		        &as->state, &running, CALL_FINISHED))
			call_complete(as);
	}
	if (as->completed)
		call_release(as);
}

/*
 * A paused stream's client caught up: runs its handler again.
 */
static void
call_resume(struct call_async *as)
{
	if (atomic_load(&as->state) != CALL_RUNNING || !as->runner_done ||
	    as->conn == NULL)
		return;
	pthread_mutex_lock(&as->lock);
	if (!as->paused) {
		pthread_mutex_unlock(&as->lock);
		return;
	}
	as->paused = 0;
	pthread_mutex_unlock(&as->lock);
	as->runner_done = 0;
	call_run(as, 1);
}

/*
 * Moves what a stream produced into its slot, and from there to the
 * output if it is at the head of the queue (worker thread).
 */
void
call_flush(struct call_async *as)
{
	struct conn_reply *r = as->slot;
	size_t backlog;

	if (r == NULL) {
		pthread_mutex_lock(&as->lock);
		evbuffer_drain(as->wire, evbuffer_get_length(as->wire));
		pthread_mutex_unlock(&as->lock);
		return;
	}
	call_stream_flush(as, r->buf);
	conn_flush_pending(as->conn);
	/* Still behind an earlier reply: its own bytes are the backlog. */
	if (as->slot != NULL && TAILQ_FIRST(&as->conn->pending) != r) {
		backlog = evbuffer_get_length(r->buf);
		call_drained(as, backlog);
	}
}

/*
 * Does what the kicks ask (worker thread, from its mailbox).
 */
static void
call_on_mail(struct mail *m, unsigned kicks)
{
	struct call_async *as = CALL_OF(m, mail);

	if (kicks & CALL_KICK_FLUSH)
		call_flush(as);
	if (kicks & CALL_KICK_FINISH)
		call_complete(as);
	if (kicks & CALL_KICK_RETURNED) {
		call_returned_here(as);
		return;
	}
	if (kicks & CALL_KICK_RESUME) {
		call_resume(as);
		return;
	}
	if (as->completed && as->runner_done)
		call_release(as);
}

/*
 * The conn of the call is being freed (worker thread): producers stop,
 * the answer will be dropped.  A paused stream ends here.
 */
void
call_orphan(struct call_async *as)
{
	int running = CALL_RUNNING;

	as->conn = NULL;
	as->slot = NULL;
	pthread_mutex_lock(&as->lock);
	as->gone = 1;
	pthread_cond_broadcast(&as->cond);
	pthread_mutex_unlock(&as->lock);
	if (as->runner_done &&
	    atomic_compare_exchange_strong(
	        &as->state, &running, CALL_FINISHED)) {
		call_complete(as);
		call_release(as);
	}
}

/*
 * The worker holds backlog bytes of the stream unsent (worker thread):
 * below the low watermark, a waiting producer goes on and a paused loop
 * handler is resumed.
 */
void
call_drained(struct call_async *as, size_t backlog)
{
	int resume = 0;

	pthread_mutex_lock(&as->lock);
	as->backlog = backlog;
	if (backlog + evbuffer_get_length(as->wire) <
	    CALL_STREAM_MARK(CALL_STREAM_LOW, 8, as->max_output)) {
		if (as->waiting)
			pthread_cond_broadcast(&as->cond);
		resume = as->paused;
	}
	pthread_mutex_unlock(&as->lock);
	if (resume)
		call_post(as, CALL_KICK_RESUME);
}

/*
 * Asks the call's worker to act on it (any thread).  Kicks posted before
 * the worker gets to the call are merged.  Dropped once its mailbox is
 * closed (the workers have stopped).
 */
void
call_post(struct call_async *as, unsigned kick)
{
	mailbox_post(&as->env->mailbox, &as->mail, kick);
}

/*
 * Calls not yet released: a graceful shutdown waits for them.
 */
uint64_t
call_live(void)
{
	return atomic_load(&call_nlive);
}

/*
 * Frees e's free list, once e's thread has ended (worker_fini).
 */
void
call_shutdown(struct env *e)
{
	struct call_async *as;

	while ((as = TAILQ_FIRST(&e->free_calls)) != NULL) {
		TAILQ_REMOVE(&e->free_calls, as, entry);
		call_free_kept(as);
		pthread_mutex_destroy(&as->lock);
		pthread_cond_destroy(&as->cond);
		free(as);
	}
	e->nfree_calls = 0;
}

/*
 * Runs the handler, under the plugin's lock unless it is thread-safe.
 * Any thread.
 */
void
call_invoke(const struct command *cmd, struct duet_call *call)
{
	struct plugin *p = cmd->plugin;

	if (p != NULL && !(p->flags & DUET_THREADSAFE)) {
		pthread_mutex_lock(&p->lock);
		cmd->handler(call);
		pthread_mutex_unlock(&p->lock);
	} else {
		cmd->handler(call);
	}
}

/*
 * A monotonic clock in microseconds, for latencies.
 */
uint64_t
call_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * What DUET_INFO_PROTOCOL says of c: "http", "resp2" or "resp3".
 */
const char *
call_protocol(const struct conn *c)
{
	if (c->proto->http)
		return "http";
	return c->resp3 ? "resp3" : "resp2";
}

/*
 * The conn that made call, when the caller runs on that conn's worker
 * thread and the conn is still open (an async call's conn is the worker's
 * to touch); NULL otherwise.  For duet_conn_state.
 */
struct conn *
call_conn(const duet_call *call)
{
	const struct call_async *as = (const struct call_async *)call;

	if (!call->async)
		return call->conn;
	if (!call_on_loop(as))
		return NULL;
	return as->conn;
}

/*
 * duet_reply_error: the call fails with code and message (HTTP 500).
 */
void
call_host_error(duet_call *call, const char *code, const char *message)
{
	call->failed = 1;
	/* util_err_set makes the code one word, as RESP clients expect. */
	util_err_set(&call->err, code != NULL && code[0] != '\0' ? code : "ERR",
	    "%s", message != NULL ? message : "");
	/* A handler's error is 500 unless it chose (ABI 1.2). */
	call->err.status = 500;
}

/*
 * Packs arguments that dispatch bound in place (pointing into the
 * request: env.h) into e->args, as the general path binds them, for a
 * call that outlives its request.
 */
static void
call_args_pack(struct env *e)
{
	msgpack_packer pk;
	size_t i;

	if (!e->args_inplace)
		return;
	msgpack_packer_init(&pk, &e->args, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, e->nargv);
	for (i = 0; i < e->nargv; i++)
		msgpack_pack_object(&pk, e->argv[i]);
	e->args_inplace = 0;
}

/*
 * duet_defer: an inline call is copied into a call of its own (worker
 * thread, inside the handler); a BLOCKING or STREAM call is kept open past
 * its handler's return.
 */
duet_call *
call_host_defer(duet_call *call)
{
	return call_defer(call, 1);
}

/*
 * call_host_defer for a handler that has taken what it needs of the
 * arguments: an inline call's copy has none (argc 0), which saves
 * packing and copying them.
 */
duet_call *
call_host_defer_bare(duet_call *call)
{
	return call_defer(call, 0);
}

static duet_call *
call_defer(duet_call *call, int with_args)
{
	struct call_async *as;
	struct env *e;
	int running = CALL_RUNNING;

	if (call->async) {
		as = (struct call_async *)call;
		atomic_compare_exchange_strong(
		    &as->state, &running, CALL_DEFERRED);
		return call;
	}
	if (call->deferred != NULL)
		return &call->deferred->call;
	e = call->conn->env;
	if (with_args)
		call_args_pack(e);
	as = call_new(call->conn, call->cmd, with_args ? e->args.data : NULL,
	    e->args.size, call->present);
	if (as == NULL) {
		util_err_set(&call->err, "ERR", "out of memory");
		call->failed = 1;
		return NULL;
	}
	as->call.encoding = call->encoding;
	as->runner_done = 1;
	atomic_store(&as->state, CALL_DEFERRED);
	call->deferred = as;
	return &as->call;
}

/*
 * duet_finish: any thread, once per deferral.
 */
void
call_host_finish(duet_call *call)
{
	struct call_async *as = (struct call_async *)call;
	int deferred = CALL_DEFERRED;

	if (!call->async) {
		log_error("command '%s': duet_finish on a call that was not "
		          "deferred: ignored",
		    call->cmd->name);
		return;
	}
	if (!atomic_compare_exchange_strong(
	        &as->state, &deferred, CALL_FINISHED)) {
		log_error("command '%s': finish called twice (or without "
		          "duet_defer): ignored",
		    as->cmdname);
		return;
	}
	call_post(as, CALL_KICK_FINISH);
}

/*
 * duet_call_state: size zeroed bytes kept with the call.  Only calls that
 * outlive their request (STREAM, BLOCKING, deferred) have any.
 */
void *
call_host_state(duet_call *call, size_t size)
{
	struct call_async *as = (struct call_async *)call;

	if (!call->async)
		return NULL;
	if (as->state_mem == NULL) {
		if ((as->state_mem = calloc(1, size > 0 ? size : 1)) == NULL)
			return NULL;
		as->state_size = size;
	}
	return size <= as->state_size ? as->state_mem : NULL;
}

/*
 * duet_reply_error_status (ABI 1.2): the error of duet_reply_error, with
 * the HTTP status it is answered with.  A status outside 400-599 is
 * answered 500, and logged the first time it happens.  The status is kept
 * in the call's error, so a deferred call carries it to duet_finish.  Any
 * thread that may answer the call.
 */
void
call_host_error_status(
    duet_call *call, int status, const char *code, const char *message)
{
	static atomic_int warned;

	call_host_error(call, code, message);
	if (status < 400 || status > 599) {
		if (atomic_exchange(&warned, 1) == 0)
			log_error("command '%s': HTTP status %d of error %s "
			          "is not 400-599: answered 500 (logged once)",
			    call->cmd->name, status, call->err.code);
		status = 500;
	}
	call->err.status = status;
}
