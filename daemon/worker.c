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

#include "call.h"
#include "conn.h"
#include "log.h"
#include "mailbox.h"
#include "registry.h"
#include "pubsub.h"
#include "worker.h"

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
	w->env.draining = 1;
	worker_close_listeners(w);
	for (c = TAILQ_FIRST(&w->env.conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		conn_drain(c);
	}
}

/*
 * Runs fn(-1, EV_TIMEOUT, arg) on w's thread at its loop's next turn (see
 * env_post).  Returns 0, or -1 when out of memory (fn will not run).
 */
int
worker_post(struct worker *w, event_callback_fn fn, void *arg)
{
	return env_post(&w->env, fn, arg);
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
	while ((c = TAILQ_FIRST(&w->env.conns)) != NULL)
		conn_free(c);
	mailbox_deliver(&w->env.mailbox);
	event_base_loopbreak(w->env.base);
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
	env_registry(&w->env);
}

/*
 * Prepares worker number index: its env (event base, buffers, mailbox)
 * and the events other threads signal it with.  Returns 0 or -1 (logged;
 * worker_fini frees what was made).
 */
int
worker_init(struct worker *w, int index, const struct config *cf)
{
	struct event_base *base;

	memset(w, 0, sizeof(*w));
	TAILQ_INIT(&w->listeners);
	STAILQ_INIT(&w->handoffs);
	pthread_mutex_init(&w->handoff_lock, NULL);
	if (env_init(&w->env, index, &cf->limits) == -1 ||
	    pubsub_env_init(&w->env) == -1)
		return -1;
	w->env.mailbox.batch = conn_batch;
	w->env.mailbox.batch_arg = &w->env;
	base = w->env.base;
	if ((w->stop_ev = event_new(base, -1, 0, worker_on_stop, w)) == NULL ||
	    (w->refresh_ev = event_new(base, -1, 0, worker_on_refresh, w)) ==
	        NULL ||
	    (w->drain_ev = event_new(base, -1, 0, worker_on_drain, w)) ==
	        NULL ||
	    (w->handoff_ev = event_new(base, -1, 0, worker_on_handoff, w)) ==
	        NULL) {
		log_error("worker %d: out of memory", index);
		return -1;
	}
	return 0;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_loop(w->env.base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

/*
 * Starts w's thread.  Returns 0 or -1 (logged).
 */
int
worker_start(struct worker *w)
{
	int rv;

	if ((rv = pthread_create(&w->env.thread, NULL, worker_main, w)) != 0) {
		log_error("worker %d: %s", w->env.index, strerror(rv));
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
	pthread_join(w->env.thread, NULL);
}

/*
 * Frees what worker_init and worker_listen_all made, and the calls its
 * env keeps for reuse.  The thread must have ended, and no thread may
 * post to its mailbox any more.
 */
void
worker_fini(struct worker *w)
{
	if (w->env.base != NULL)
		worker_close_listeners(w);
	if (w->stop_ev != NULL)
		event_free(w->stop_ev);
	if (w->refresh_ev != NULL)
		event_free(w->refresh_ev);
	if (w->drain_ev != NULL)
		event_free(w->drain_ev);
	if (w->handoff_ev != NULL) {
		event_free(w->handoff_ev);
		w->env.draining = 1; /* close what is still queued */
		worker_on_handoff(-1, 0, w);
	}
	pthread_mutex_destroy(&w->handoff_lock);
	call_shutdown(&w->env);
	conn_reply_shutdown(&w->env);
	pubsub_env_fini(&w->env);
	env_fini(&w->env);
}

/*
 * The registry generation w serves with (see env_registry).
 */
struct registry *
worker_registry(struct worker *w)
{
	return env_registry(&w->env);
}
