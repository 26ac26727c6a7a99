/* SPDX-License-Identifier: MIT */
/*
 * call - L3: a call that outlives the request that made it: a deferred call
 * (duet_defer), a BLOCKING call on the pool, or a stream.  It owns a copy
 * of its arguments, its reply packer, a snapshot of the caller's identity
 * and of how the reply is encoded, and a reference to its registry
 * generation (so its plugin stays loaded).  Its reply goes into a slot
 * reserved in the conn's reply queue, so pipelined replies stay in request
 * order.  Any thread may produce the answer; only the owning worker's
 * thread touches the conn, through the worker's mailbox.
 */
#ifndef DUET_CALL_H
#define DUET_CALL_H

#include <sys/queue.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include <duet/plugin.h>

#include "util.h"
#include "http_reply.h"
#include "mailbox.h"
#include "pool.h"
#include "reply.h"

struct conn;
struct conn_reply;
struct env;
struct registry;

struct command;

/*
 * One call of a command: on the worker's stack for an inline call, or
 * the first member of a struct call_async (call.h) for one that outlives
 * its request.
 */
struct duet_call {
	struct conn *conn;          /* borrowed: the caller; NULL if async */
	const struct command *cmd;  /* borrowed from the generation */
	const msgpack_object *argv; /* borrowed: one per parameter */
	int argc;
	uint64_t present;            /* bit i: argument i was given (see
	                                SIG_MAX_PARAMS) */
	msgpack_packer pk;           /* packs into out */
	msgpack_sbuffer *out;        /* borrowed (inline) or owned: the reply */
	int encoding;                /* enum conn_encoding of the reply */
	int failed;                  /* err holds the error reply */
	int answered; /* a built-in wrote its reply to conn itself */
	int async;                   /* this is a struct call_async's call */
	struct call_async *deferred; /* inline: duet_defer's copy, or NULL */
	const char *peer;            /* borrowed: identity for duet_call_info */
	const char *name;            /* CLIENT SETNAME, or NULL */
	const char *protocol;        /* "resp2", "resp3" or "http" */
	const char *user;            /* the conn's user (auth), or NULL */
	const char *tls_subject;     /* its verified certificate, or NULL */
	struct duet_err err;
};

void call_init(
    struct duet_call *call, const struct command *cmd, uint64_t present);
void call_invoke(const struct command *cmd, struct duet_call *call);
uint64_t call_usec(void);
const char *call_protocol(const struct conn *c);
struct conn *call_conn(const duet_call *call);
void call_host_error(duet_call *call, const char *code, const char *message);

/* Where a call is in its life (struct call_async.state). */
enum call_state {
	CALL_FREE,     /* on the free list */
	CALL_RUNNING,  /* the daemon answers when the handler returns */
	CALL_DEFERRED, /* the plugin answers with duet_finish */
	CALL_FINISHED, /* answered: the worker completes it */
};

/* Mailbox kicks: what the owning worker is asked to do with a call. */
#define CALL_KICK_FLUSH    0x01 /* move streamed bytes to the conn */
#define CALL_KICK_RETURNED 0x02 /* the handler returned (pool thread) */
#define CALL_KICK_FINISH   0x04 /* the answer is complete */
#define CALL_KICK_RESUME   0x08 /* a paused stream may go on */

/*
 * Streams pause above this many unsent bytes and resume below the low,
 * or at a half and an eighth of limits.max_output_bytes when that is
 * smaller, so a stream to a client that reads is never dropped.
 */
#define CALL_STREAM_HIGH (256 * 1024)
#define CALL_STREAM_LOW  (64 * 1024)
#define CALL_STREAM_MARK(mark, part, max_output)                               \
	((max_output) / (part) < (mark) ? (max_output) / (part) : (mark))

struct call_async {
	struct duet_call call; /* first: what the plugin holds */
	_Atomic int state;     /* enum call_state */
	pthread_mutex_t lock;  /* guards the stream fields below */
	pthread_cond_t cond;   /* a producer thread waits for the client */
	/* Kept, emptied, when the call is reused (call_release): what a
	 * call would otherwise allocate each time. */
	char *argbuf;           /* owned: the packed arguments */
	size_t argcap;          /* argbuf's size */
	msgpack_zone zone;      /* arguments and answer, unpacked */
	msgpack_sbuffer outbuf; /* owned: call.out */
	struct evbuffer *wire;  /* encoded stream bytes not yet taken by the
	                           worker (guarded by lock) */
	/* Everything from here is zeroed when the call is reused. */
	struct env *env;         /* borrowed: its worker's; owns conn, slot */
	struct conn *conn;       /* worker thread only; NULL once gone */
	struct conn_reply *slot; /* worker thread only: the reply's place */
	struct registry *gen;    /* owned reference: keeps the plugin */
	struct link *link; /* owned reference: keeps a linked command */
	/* How the reply is encoded, fixed when the request was read:
	 * enc.http points at resp, the request's response settings. */
	struct reply_enc enc;
	struct http_resp resp;  /* owned Origin */
	int metrics_proto;      /* enum metrics_proto: counted as */
	int stream_mode;        /* enum reply_stream of a STREAM call */
	char peer[64];          /* identity snapshot for duet_call_info */
	char *name;             /* owned, or NULL */
	char *user;             /* owned, user_buf, or NULL */
	char user_buf[32];      /* a short user name's copy */
	char *tls_subject;      /* owned, or NULL */
	char cmdname[64];
	void *state_mem; /* owned: duet_call_state, or NULL */
	size_t state_size;
	uint64_t t0;         /* when the request was read, in µs */
	uint64_t max_stream; /* collected: limits.max_request_bytes */
	uint64_t max_output; /* limits.max_output_bytes: the largest reply */
	int runner_done;     /* worker thread: the handler has returned */
	int completed;       /* worker thread: the answer was written */
	struct mail mail;    /* kicks to its worker (env->mailbox) */
	struct pool_job job; /* BLOCKING: the handler, on the pool */
	TAILQ_ENTRY(call_async) entry; /* env->free_calls (worker thread) */
	/* Streams, guarded by lock. */
	size_t backlog;        /* bytes the worker holds unsent */
	int gone;              /* the client is gone: producers stop */
	int waiting;           /* a producer thread waits on cond */
	int paused;            /* a loop handler returned PAUSED */
	/* Streams, producer side (one producer at a time). */
	uint64_t nitems;
	int head_sent;            /* worker: the stream's head is out */
	int stream_failed;        /* the stream ended with call.err */
	struct evbuffer *items;   /* collected: every item, packed msgpack */
	struct evbuffer *scratch; /* the writer's: the item being encoded */
	msgpack_unpacked item;    /* the item being sent */
	int item_ready;           /* item was initialised */
};

struct call_async *call_new(struct conn *c, const struct command *cmd,
    const char *args, size_t arglen, uint64_t present);
int call_reply_object(const struct command *cmd, const char *mp, size_t len,
    msgpack_zone *z, msgpack_object *o, struct duet_err *err);
void call_run(struct call_async *as, int on_loop);
int call_submit(struct call_async *as, uint64_t max_pending);
void call_orphan(struct call_async *as);
void call_drained(struct call_async *as, size_t backlog);
void call_post(struct call_async *as, unsigned kick);
void call_fail(struct call_async *as, const struct duet_err *err);
struct reply_enc call_enc(const struct call_async *as);
int call_on_loop(const struct call_async *as);
void call_shutdown(struct env *e);
uint64_t call_live(void);
void call_returned_here(struct call_async *as);

/* call_stream.c: streamed items, encoded for the wire. */
void call_stream_end(struct call_async *as, struct evbuffer *out);
void call_stream_flush(struct call_async *as, struct evbuffer *out);
void call_flush(struct call_async *as);

/* The host API functions of ABI 1.1. */
duet_call *call_host_defer(duet_call *call);
duet_call *call_host_defer_bare(duet_call *call);
void call_host_finish(duet_call *call);
int call_host_stream_send(duet_call *call);
void *call_host_state(duet_call *call, size_t size);

/* The host API function of ABI 1.2. */
void call_host_error_status(
    duet_call *call, int status, const char *code, const char *message);

#endif /* DUET_CALL_H */
