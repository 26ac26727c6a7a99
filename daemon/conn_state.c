/* SPDX-License-Identifier: MIT */
/*
 * conn_state - L3 calls: plugins' per-connection memory (SPEC 9.6).
 *
 * A conn that a plugin asked memory of holds a list of records, one per
 * plugin instance (a struct plugin, so one per load: a reloaded plugin
 * starts afresh while the old load's records live on).  Each record holds
 * a reference on the generation that loaded its plugin, so that plugin's
 * code stays loaded until its conn_close hook has run, when the conn is
 * freed.  Only the conn's worker thread touches the list: a handler on
 * that loop (call_conn says NULL anywhere else) and conn_free.  A conn
 * no plugin asked anything of pays nothing: its pointer stays NULL.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "call.h"
#include "conn.h"
#include "conn_state.h"
#include "plugin.h"
#include "registry.h"

/* One plugin's memory on one conn; c->states is a list of them. */
struct conn_state {
	struct conn_state *next;
	/* borrowed: loaded while gen is held; NULL for the daemon's own */
	struct plugin *plugin;
	const void *key;          /* the daemon's own: whose it is */
	void (*close)(void *mem); /* the daemon's own: run at the end */
	struct registry *gen;     /* owned reference: plugin's generation */
	size_t size;              /* what the first duet_conn_state asked */
	max_align_t mem[];        /* the plugin's, size bytes, zeroed */
};

/*
 * Runs st's plugin's conn_close hook (under the plugin's lock unless it
 * is THREADSAFE, as its handlers are), frees st and drops its reference,
 * which may unload a retired plugin.  The conn's worker thread.
 */
static void
conn_state_close(struct conn_state *st)
{
	struct plugin *p = st->plugin;
	struct registry *gen = st->gen;

	if (p == NULL) {
		st->close(st->mem);
		free(st);
		return;
	}
	if (p->conn_close != NULL) {
		if (!(p->flags & DUET_THREADSAFE)) {
			pthread_mutex_lock(&p->lock);
			p->conn_close(st->mem);
			pthread_mutex_unlock(&p->lock);
		} else {
			p->conn_close(st->mem);
		}
	}
	free(st);
	registry_unref(gen);
}

/*
 * c is being freed (conn_free, c's worker thread): every plugin's
 * conn_close runs, newest record first, and the memory goes.
 */
static void
conn_state_fini(struct conn *c)
{
	struct conn_state *st = c->states, *next;

	c->states = NULL;
	for (; st != NULL; st = next) {
		next = st->next;
		conn_state_close(st);
	}
}

/*
 * The memory of plugin p on conn c: size zeroed bytes on the first call,
 * the same memory after.  Returns NULL when size is 0 or not the first
 * call's size, or out of memory.  c's worker thread, while a call of p
 * runs (so p's generation is alive to be referenced).
 */
void *
conn_state_get(struct conn *c, struct plugin *p, size_t size)
{
	struct conn_state *st;

	for (st = c->states; st != NULL; st = st->next) {
		if (st->plugin == p)
			return st->size == size ? st->mem : NULL;
	}
	if (size == 0 || size > SIZE_MAX - sizeof(*st) ||
	    (st = calloc(1, sizeof(*st) + size)) == NULL)
		return NULL;
	st->plugin = p;
	st->size = size;
	st->gen = p->gen;
	if (st->gen != NULL)
		registry_ref(st->gen);
	st->next = c->states;
	c->states = st;
	atomic_store_explicit(
	    &conn_states_fini, conn_state_fini, memory_order_relaxed);
	return st->mem;
}

/*
 * duet_conn_state (ABI 1.2): the memory of the call's plugin on the
 * call's conn.  NULL for a built-in, off the conn's loop (a BLOCKING
 * handler, a plugin thread), or once the conn is gone.
 */
void *
conn_state_host(duet_call *call, size_t size)
{
	const struct command *cmd = call->cmd;
	struct conn *c;

	if (cmd == NULL || cmd->plugin == NULL || (c = call_conn(call)) == NULL)
		return NULL;
	return conn_state_get(c, cmd->plugin, size);
}

/*
 * The daemon's own memory on c for key (a session of the daemon's, not a
 * plugin's: a link's end, builtin_link.c): size zeroed bytes on the first
 * call, the same memory after; close runs on them when c is freed (c's
 * worker thread).  Returns NULL when out of memory.
 */
void *
conn_state_own(
    struct conn *c, const void *key, size_t size, void (*close)(void *mem))
{
	struct conn_state *st;
	void *mem;

	if ((mem = conn_state_find(c, key)) != NULL)
		return mem;
	if ((st = calloc(1, sizeof(*st) + size)) == NULL)
		return NULL;
	st->key = key;
	st->close = close;
	st->size = size;
	st->next = c->states;
	c->states = st;
	atomic_store_explicit(
	    &conn_states_fini, conn_state_fini, memory_order_relaxed);
	return st->mem;
}

/* The daemon's memory on c for key, or NULL if it has none. */
void *
conn_state_find(struct conn *c, const void *key)
{
	struct conn_state *st;

	for (st = c->states; st != NULL; st = st->next) {
		if (st->plugin == NULL && st->key == key)
			return st->mem;
	}
	return NULL;
}
