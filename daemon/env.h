/* SPDX-License-Identifier: MIT */
/*
 * env - L1 state: what the code below a worker needs of the thread it
 * runs on (dispatch, calls, conns): the event base, the registry
 * generation in use and the settings that come with it, the scratch
 * buffers an inline call packs into, the input idle conns share, the
 * conns, the mailbox, and the free list of calls.  One per worker, on its
 * thread; a worker (L5) embeds it and owns the thread, the listeners and
 * the signals between threads.  Also the process-wide counters.
 */
#ifndef DUET_ENV_H
#define DUET_ENV_H

#include <sys/queue.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <msgpack.h>

#include "config.h"
#include "mailbox.h"
#include "metrics.h"
#include "signature.h"

struct call_async;
struct conn_reply;
struct conn;
struct env;
struct pubsub_env;
struct registry;
struct link_table;

/* One loop's state: touched only on its thread, but for the mailbox. */
struct env {
	int index;               /* the worker's number */
	pthread_t thread;        /* the loop's thread, once started */
	struct event_base *base; /* owned: the loop */
	struct registry *reg;    /* owned reference, refreshed per request */
	struct link_table *links; /* owned reference: linked commands */
	struct config_limits limits; /* copied from reg */
	char *const *allow_origins;  /* borrowed from reg */
	size_t nallow_origins;
	char *const *allow_hosts; /* borrowed from reg: http.allow_hosts */
	size_t nallow_hosts;
	msgpack_sbuffer scratch; /* owned: a reply being packed */
	struct evbuffer *rbuf;   /* owned: the input idle conns share */
	void *rspare; /* owned: memory reads lend rbuf (conn.c), or NULL */
	msgpack_sbuffer args;    /* owned: arguments being packed */
	/* Arguments bound in place (dispatch_args.c): when args_inplace,
	 * argv[0..nargv) point into the request and args is empty. */
	int args_inplace;
	size_t nargv;
	msgpack_object argv[SIG_MAX_PARAMS];
	msgpack_zone zone;        /* owned: unpacked arguments and replies */
	int zone_ready;           /* zone was initialised */
	int draining;             /* a graceful shutdown began here */
	TAILQ_HEAD(, conn) conns; /* owned connections */
	/* conn_idle.c's: the conns with an idle timeout, soonest deadline
	 * first, and the one timer that closes them */
	TAILQ_HEAD(conn_idle_list, conn) idle;
	struct event idle_timer; /* assigned once idle_ready */
	int idle_ready;
	uint64_t idle_timer_at; /* when it fires (conn_idle.c's clock), or 0 */
	uint64_t idle_slack;    /* ms added to a deadline: the clock's tick */
	struct mailbox mailbox; /* calls' kicks from other threads */
	/* conn.c's, while the mailbox delivers a batch: the conns whose
	 * output waits for its end (one write each per batch) */
	int holding;
	struct conn **held; /* owned array of borrowed conns (NULL: freed) */
	size_t nheld;
	size_t heldcap;
	struct pubsub_env *pubsub; /* owned: pubsub.c's part of the worker */
	TAILQ_HEAD(, call_async) free_calls; /* owned: call.c's, no lock */
	size_t nfree_calls;
	/* conn_reply.c's: released reply slots, each with its empty buffer */
	TAILQ_HEAD(, conn_reply) free_replies;
	size_t nfree_replies;
	struct env *const *envs; /* borrowed: every worker's, or NULL */
	int nenvs;
};

int env_init(struct env *e, int index, const struct config_limits *limits);
void env_fini(struct env *e);
void env_link(struct env *const *envs, int n);
struct registry *env_registry(struct env *e);
struct link_table *env_links(struct env *e);
int env_on_loop(const struct env *e);
int env_post(struct env *e, event_callback_fn fn, void *arg);

#endif /* DUET_ENV_H */
