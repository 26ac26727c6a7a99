/* SPDX-License-Identifier: MIT */
/*
 * worker - an event-loop thread: its own event_base, its own listening
 * sockets (SO_REUSEPORT for TCP; unix sockets are accepted by worker 0),
 * its connections, and its reference to the registry generation in use.
 * Workers share nothing on the hot path but the registry pointer and the
 * atomic counters below.
 */
#ifndef DUET_WORKER_H
#define DUET_WORKER_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <msgpack.h>

#include "config.h"
#include "conn.h"

struct call_async;
struct registry;

struct worker_listener {
	TAILQ_ENTRY(worker_listener) entry;
	struct evconnlistener *lev;   /* owned */
	struct worker *worker;        /* borrowed: the owner */
	char text[128];               /* the listen address as configured */
	unsigned protocols;           /* CONFIG_PROTO_* it serves */
	struct sockaddr_storage addr; /* the address bound */
	socklen_t addrlen;
};

/* A unix-socket connection accepted by worker 0 for another worker. */
struct worker_handoff {
	STAILQ_ENTRY(worker_handoff) entry;
	evutil_socket_t fd; /* owned until conn_new */
	char text[128];     /* the listener's address */
	unsigned protocols;
};

struct worker {
	int index;
	struct worker *peers; /* borrowed: every worker (handoff) */
	int npeers;
	unsigned next_peer;           /* worker 0: round-robin position */
	pthread_mutex_t handoff_lock; /* guards handoffs */
	STAILQ_HEAD(, worker_handoff) handoffs; /* owned, from worker 0 */
	struct event *handoff_ev; /* owned: activated with a handoff */
	pthread_t thread;
	struct event_base *base;       /* owned */
	struct event *stop_ev;         /* owned: activated by worker_stop */
	struct event *refresh_ev;      /* owned: activated by worker_refresh */
	struct event *drain_ev;        /* owned: activated by worker_drain */
	pthread_mutex_t mail_lock;     /* guards mail */
	TAILQ_HEAD(, call_async) mail; /* borrowed calls with kicks */
	struct event *mail_ev;         /* owned: activated by a post to mail */
	TAILQ_HEAD(, worker_listener) listeners; /* owned */
	TAILQ_HEAD(, conn) conns;                /* owned connections */
	struct registry *reg; /* owned reference, refreshed per request */
	struct config_limits limits; /* copied from reg */
	char *const *allow_origins;  /* borrowed from reg: http.allow_origins */
	size_t nallow_origins;
	char *const *allow_hosts; /* borrowed from reg: http.allow_hosts */
	size_t nallow_hosts;
	msgpack_sbuffer scratch; /* owned: a reply being packed */
	struct evbuffer *rbuf;   /* owned: the input idle conns share */
	msgpack_sbuffer args;    /* owned: arguments being packed */
	msgpack_zone zone;       /* owned: unpacked arguments and replies */
	int zone_ready;          /* zone was initialised */
	int draining;            /* worker_drain has run on this worker */
};

/* Process-wide counters, read by INFO. */
struct worker_stats {
	atomic_uint_fast64_t connections; /* open now */
	atomic_uint_fast64_t total_connections;
	atomic_uint_fast64_t rejected_connections;
	atomic_uint_fast64_t commands;
	atomic_uint_fast64_t net_input_bytes;
	atomic_uint_fast64_t net_output_bytes;
	atomic_uint_fast64_t next_conn_id;
};

extern struct worker_stats worker_stats;
extern atomic_int worker_draining; /* shutting down: refuse new requests */

int worker_listen_all(struct worker *workers, int n, const struct config *cf);
int worker_init(struct worker *w, int index, const struct config *cf);
int worker_start(struct worker *w);
void worker_stop(struct worker *w);
void worker_refresh(struct worker *w);
void worker_drain(struct worker *w);
int worker_check_listeners(const struct config *old, const struct config *cf);
void worker_relisten(struct worker *w, const struct config *cf);
void worker_join(struct worker *w);
void worker_on_mail(evutil_socket_t fd, short what, void *arg);
void worker_on_handoff(evutil_socket_t fd, short what, void *arg);
void worker_close_listeners(struct worker *w);
int worker_post(struct worker *w, event_callback_fn fn, void *arg);
void worker_fini(struct worker *w);
struct registry *worker_registry(struct worker *w);
struct conn *worker_conn_new(struct worker *w, evutil_socket_t fd,
    const struct sockaddr *sa, const char *local, unsigned protocols);

#endif /* DUET_WORKER_H */
