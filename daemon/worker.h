/* SPDX-License-Identifier: MIT */
/*
 * worker - L5 process: an event-loop thread with its own listening
 * sockets (SO_REUSEPORT for TCP; unix sockets are accepted by worker 0).
 * What the layers below need of the thread (its event base, generation,
 * buffers, conns, mailbox) is its struct env (env.h); the worker starts
 * and stops the thread, accepts, and carries the signals between threads
 * (stop, refresh, drain, handoff).  Workers share nothing on the hot path
 * but the registry pointer and the atomic counters.
 */
#ifndef DUET_WORKER_H
#define DUET_WORKER_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <pthread.h>

#include <event2/event.h>

#include "config.h"
#include "env.h"

struct ssl_ctx_st;
struct tls_set;

struct worker_listener {
	TAILQ_ENTRY(worker_listener) entry;
	evutil_socket_t fd;           /* owned: the listening socket */
	struct event *ev;             /* owned: fd readable (worker_listen.c) */
	struct event *rest;           /* owned: ends a rest after EMFILE */
	struct worker *worker;        /* borrowed: the owner */
	char text[128];               /* the listen address as configured */
	unsigned protocols;           /* CONFIG_PROTO_* it serves */
	struct ssl_ctx_st *tls;       /* owned reference: TLS, or NULL: plain */
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

/*
 * A worker is its env (what the layers below need of the thread) plus
 * the thread's own business: starting and stopping, listeners, the
 * connections worker 0 hands over.
 */
struct worker {
	struct env env;       /* first: what the layers below use */
	struct worker *peers; /* borrowed: every worker (handoff) */
	int npeers;
	unsigned next_peer;           /* worker 0: round-robin position */
	pthread_mutex_t handoff_lock; /* guards handoffs */
	STAILQ_HEAD(, worker_handoff) handoffs; /* owned, from worker 0 */
	struct event *handoff_ev; /* owned: activated with a handoff */
	struct event *stop_ev;    /* owned: activated by worker_stop */
	struct event *refresh_ev; /* owned: activated by worker_refresh */
	struct event *drain_ev;   /* owned: activated by worker_drain */
	TAILQ_HEAD(, worker_listener) listeners; /* owned */
};

int worker_listen_all(struct worker *workers, int n, const struct config *cf,
    const struct tls_set *tls);
int worker_init(struct worker *w, int index, const struct config *cf);
int worker_start(struct worker *w);
void worker_stop(struct worker *w);
void worker_refresh(struct worker *w);
void worker_drain(struct worker *w);
int worker_check_listeners(const struct config *old, const struct config *cf);
void worker_relisten(
    struct worker *w, const struct config *cf, const struct tls_set *tls);
void worker_join(struct worker *w);
void worker_on_handoff(evutil_socket_t fd, short what, void *arg);
void worker_close_listeners(struct worker *w);
int worker_post(struct worker *w, event_callback_fn fn, void *arg);
void worker_fini(struct worker *w);
struct registry *worker_registry(struct worker *w);
struct conn *worker_conn_new(struct worker *w, evutil_socket_t fd,
    const struct sockaddr *sa, const char *local, unsigned protocols);

/* worker_admit.c: who is let in (SPEC 9.5). */
struct peers_entry;
int worker_admit_address(struct worker *w, evutil_socket_t fd,
    const struct sockaddr *sa, const char *listen);
int worker_admit(struct worker *w, evutil_socket_t fd,
    const struct sockaddr *sa, struct peers_entry **peer);
void worker_unadmit(struct peers_entry *peer);
void worker_admitted(
    struct conn *c, const struct sockaddr *sa, struct peers_entry *peer);
int worker_unix_perms(const struct config_listen *cl, const char **what);

#endif /* DUET_WORKER_H */
