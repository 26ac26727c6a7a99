/* SPDX-License-Identifier: MIT */
/*
 * env - L1 state: a loop's buffers, generation and settings.
 *
 * An env is made before its thread starts and freed after it has ended;
 * in between, only its thread touches it, but for the mailbox (any
 * thread posts) and env_post.  The thread itself, the listeners and the
 * conns' accept path are the worker's (L5); how the conns and calls use
 * what is here is theirs (L2, L3).
 */
#include "autoconf.h"

#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "env.h"
#include "links.h"
#include "log.h"
#include "registry.h"

/*
 * Prepares the env of worker number index: its event base, scratch
 * buffers, shared input and mailbox, and the published generation.
 * Returns 0, or -1 (logged; env_fini frees what was made).
 */
int
env_init(struct env *e, int index, const struct config_limits *limits)
{
	memset(e, 0, sizeof(*e));
	e->index = index;
	e->limits = *limits;
	TAILQ_INIT(&e->conns);
	TAILQ_INIT(&e->idle);
	TAILQ_INIT(&e->free_calls);
	TAILQ_INIT(&e->free_replies);
	msgpack_sbuffer_init(&e->args);
	msgpack_sbuffer_init(&e->scratch);
	if (msgpack_zone_init(&e->zone, 8192))
		e->zone_ready = 1;
	if (!e->zone_ready || (e->base = event_base_new()) == NULL ||
	    mailbox_init(&e->mailbox, e->base) == -1 ||
	    (e->rbuf = evbuffer_new()) == NULL) {
		log_error("worker %d: out of memory", index);
		return -1;
	}
	env_registry(e);
	return 0;
}

/*
 * Frees what env_init made.  Its thread must have ended, its conns and
 * calls must be gone, and no thread may post to its mailbox any more.
 */
void
env_fini(struct env *e)
{
	if (e->base != NULL) {
		if (e->idle_ready)
			event_del(&e->idle_timer);
		e->idle_ready = 0;
		mailbox_fini(&e->mailbox);
		event_base_free(e->base);
		e->base = NULL;
	}
	msgpack_sbuffer_destroy(&e->scratch);
	if (e->rbuf != NULL)
		evbuffer_free(e->rbuf);
	e->rbuf = NULL;
	free(e->rspare);
	e->rspare = NULL;
	msgpack_sbuffer_destroy(&e->args);
	if (e->zone_ready)
		msgpack_zone_destroy(&e->zone);
	e->zone_ready = 0;
	registry_unref(e->reg);
	e->reg = NULL;
	link_table_unref(e->links);
	e->links = NULL;
	free(e->held);
	e->held = NULL;
}

/*
 * Lets each of the n envs reach every other (CLIENT LIST, CLIENT KILL).
 * envs is borrowed: it must outlive them.  Before the threads start.
 */
void
env_link(struct env *const *envs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		envs[i]->envs = envs;
		envs[i]->nenvs = n;
	}
}

/*
 * The registry generation e serves with, refreshed if a reload published
 * a new one, and with it e's limits and HTTP allow lists.  Borrowed:
 * valid until the next call on e's thread.
 */
struct registry *
env_registry(struct env *e)
{
	struct registry *reg = registry_refresh(e->reg);

	if (reg != e->reg && reg != NULL) {
		/* The settings a generation runs with come with it. */
		e->limits = reg->limits;
		e->allow_origins = reg->allow_origins;
		e->nallow_origins = reg->nallow_origins;
		e->allow_hosts = reg->allow_hosts;
		e->nallow_hosts = reg->nallow_hosts;
	}
	return e->reg = reg;
}

/*
 * Whether the caller runs on e's thread (its event loop).
 */
int
env_on_loop(const struct env *e)
{
	return pthread_equal(pthread_self(), e->thread);
}

/*
 * Runs fn(-1, EV_TIMEOUT, arg) on e's thread at its loop's next turn, for
 * work on what only that thread may touch (its conns).  Any thread may
 * post.  Returns 0, or -1 when out of memory (fn will not run).
 */
int
env_post(struct env *e, event_callback_fn fn, void *arg)
{
	return event_base_once(e->base, -1, EV_TIMEOUT, fn, arg, NULL);
}

/*
 * The table of linked commands this worker sees: the one it holds while
 * nothing changed (one atomic load), else the current one.
 */
struct link_table *
env_links(struct env *e)
{
	return e->links = link_table_refresh(e->links);
}
