/* SPDX-License-Identifier: MIT */
/*
 * worker - event-loop threads (L5): each worker's event_base, its
 * connections, its mailbox, its registry generation; start, drain, stop.
 * Its listeners, the accept path and a reload's relisten are
 * worker_listen.c's.
 */
#include "autoconf.h"

#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "call.h"
#include "conn.h"
#include "log.h"
#include "registry.h"
#include "worker.h"

struct worker_stats worker_stats;
atomic_int worker_draining;

/*
 * Graceful shutdown, on w's thread: no new connections; idle ones close
 * now, the others once their current request is answered.
 */
static void
worker_on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct conn *c, *next;

	(void)fd;
	(void)what;
	w->draining = 1;
	worker_close_listeners(w);
	for (c = TAILQ_FIRST(&w->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		conn_drain(c);
	}
}

/*
 * Acts on the calls posted to w's mailbox (on w's thread, or on any one
 * thread once w's has ended): streamed bytes, answers, handlers that
 * returned on the pool.
 */
void
worker_on_mail(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct call_async *as;
	unsigned kicks;

	(void)fd;
	(void)what;
	for (;;) {
		pthread_mutex_lock(&w->mail_lock);
		if ((as = TAILQ_FIRST(&w->mail)) != NULL) {
			TAILQ_REMOVE(&w->mail, as, mail);
			as->mailed = 0;
			kicks = as->kicks;
			as->kicks = 0;
		}
		pthread_mutex_unlock(&w->mail_lock);
		if (as == NULL)
			break;
		call_deliver(as, kicks);
	}
}

/*
 * Runs fn(-1, EV_TIMEOUT, arg) on w's thread at its loop's next turn, for
 * work on what only that thread may touch (its conns).  Any thread may
 * post.  Returns 0, or -1 when out of memory (fn will not run).
 */
int
worker_post(struct worker *w, event_callback_fn fn, void *arg)
{
	return event_base_once(w->base, -1, EV_TIMEOUT, fn, arg, NULL);
}

/*
 * Closes w's listeners and connections and ends its loop (on w's thread).
 */
static void
worker_on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct conn *c;

	(void)fd;
	(void)what;
	worker_close_listeners(w);
	while ((c = TAILQ_FIRST(&w->conns)) != NULL)
		conn_free(c);
	worker_on_mail(-1, 0, w);
	event_base_loopbreak(w->base);
}

/*
 * Takes up the published generation now, so that an idle worker does not
 * keep a retired one (and its plugins) loaded.
 */
static void
worker_on_refresh(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	worker_registry(w);
}

/*
 * Prepares worker number index: its event_base and scratch buffers.
 * Returns 0 or -1 (logged).
 */
int
worker_init(struct worker *w, int index, const struct config *cf)
{
	memset(w, 0, sizeof(*w));
	w->index = index;
	w->limits = cf->limits;
	TAILQ_INIT(&w->conns);
	TAILQ_INIT(&w->listeners);
	STAILQ_INIT(&w->handoffs);
	pthread_mutex_init(&w->handoff_lock, NULL);
	pthread_mutex_init(&w->mail_lock, NULL);
	TAILQ_INIT(&w->mail);
	msgpack_sbuffer_init(&w->args);
	msgpack_sbuffer_init(&w->scratch);
	if (msgpack_zone_init(&w->zone, 8192))
		w->zone_ready = 1;
	if (!w->zone_ready || (w->base = event_base_new()) == NULL ||
	    (w->stop_ev = event_new(w->base, -1, 0, worker_on_stop, w)) ==
	        NULL ||
	    (w->refresh_ev = event_new(w->base, -1, 0, worker_on_refresh, w)) ==
	        NULL ||
	    (w->drain_ev = event_new(w->base, -1, 0, worker_on_drain, w)) ==
	        NULL ||
	    (w->handoff_ev = event_new(w->base, -1, 0, worker_on_handoff, w)) ==
	        NULL ||
	    (w->mail_ev = event_new(w->base, -1, 0, worker_on_mail, w)) ==
	        NULL ||
	    (w->rbuf = evbuffer_new()) == NULL) {
		log_error("worker %d: out of memory", index);
		return -1;
	}
	worker_registry(w);
	return 0;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

/*
 * Starts w's thread.  Returns 0 or -1 (logged).
 */
int
worker_start(struct worker *w)
{
	int rv;

	if ((rv = pthread_create(&w->thread, NULL, worker_main, w)) != 0) {
		log_error("worker %d: %s", w->index, strerror(rv));
		return -1;
	}
	return 0;
}

/*
 * Asks w, from any thread, to close everything and end its loop.
 */
void
worker_stop(struct worker *w)
{
	event_active(w->stop_ev, EV_READ, 0);
}

/*
 * Asks w, from any thread, to stop accepting and close its connections
 * as they finish (worker_draining must be set first).
 */
void
worker_drain(struct worker *w)
{
	event_active(w->drain_ev, EV_READ, 0);
}

/*
 * Asks w, from any thread, to take up a newly published generation.
 */
void
worker_refresh(struct worker *w)
{
	event_active(w->refresh_ev, EV_READ, 0);
}

/*
 * Waits for w's thread to end.
 */
void
worker_join(struct worker *w)
{
	pthread_join(w->thread, NULL);
}

/*
 * Frees what worker_init and worker_listen_all made.  The thread must
 * have ended.
 */
void
worker_fini(struct worker *w)
{
	if (w->base != NULL)
		worker_close_listeners(w);
	if (w->stop_ev != NULL)
		event_free(w->stop_ev);
	if (w->refresh_ev != NULL)
		event_free(w->refresh_ev);
	if (w->drain_ev != NULL)
		event_free(w->drain_ev);
	if (w->handoff_ev != NULL) {
		event_free(w->handoff_ev);
		w->draining = 1; /* close what is still queued */
		worker_on_handoff(-1, 0, w);
	}
	pthread_mutex_destroy(&w->handoff_lock);
	if (w->mail_ev != NULL)
		event_free(w->mail_ev);
	pthread_mutex_destroy(&w->mail_lock);
	if (w->base != NULL)
		event_base_free(w->base);
	msgpack_sbuffer_destroy(&w->scratch);
	if (w->rbuf != NULL)
		evbuffer_free(w->rbuf);
	msgpack_sbuffer_destroy(&w->args);
	if (w->zone_ready)
		msgpack_zone_destroy(&w->zone);
	registry_unref(w->reg);
	w->reg = NULL;
}

/*
 * The registry generation w serves with, refreshed if a reload published
 * a new one, and with it w's limits and HTTP allow lists.  Borrowed:
 * valid until the next call on w's thread.
 */
struct registry *
worker_registry(struct worker *w)
{
	struct registry *reg = registry_refresh(w->reg);

	if (reg != w->reg && reg != NULL) {
		/* The settings a generation runs with come with it. */
		w->limits = reg->limits;
		w->allow_origins = reg->allow_origins;
		w->nallow_origins = reg->nallow_origins;
		w->allow_hosts = reg->allow_hosts;
		w->nallow_hosts = reg->nallow_hosts;
	}
	return w->reg = reg;
}
