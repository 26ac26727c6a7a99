/* SPDX-License-Identifier: MIT */
/*
 * connstate - a test-only plugin of per-connection state (ABI 1.2,
 * duet_conn_state and the descriptor's conn_close hook):
 *
 *   connstate.bump     -> this connection's calls of it: 1, 2, 3, ...; the
 *                         first call also mallocs a note that only
 *                         conn_close frees (LeakSanitizer sees a missed
 *                         hook)
 *   connstate.closes   -> how many times conn_close ran in this load
 *   connstate.resize   -> whether asking another size than bump's gets
 *                         NULL (1), after a bump
 *   connstate.blocking -> BLOCKING: whether duet_conn_state is NULL on
 *                         the pool (1)
 *   connstate.thread   -> whether duet_conn_state is NULL on a thread of
 *                         the plugin, for a deferred handle (1), after
 *                         it gave the handle memory on the loop
 *
 * conn_close logs "connstate: closed a connection that counted N", and
 * fini "connstate: fini after N closes", which the tests wait for.  The
 * plugin is not THREADSAFE, so the daemon runs conn_close under the
 * plugin's lock, as it runs the handlers.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include <duet/plugin.h>

/* What a connection keeps. */
struct connstate {
	int64_t calls;
	char *note; /* owned: freed by conn_close */
};

static atomic_int connstate_closes;

static void
connstate_bump(duet_call *call)
{
	struct connstate *st = duet_conn_state(call, sizeof(*st));

	if (st == NULL) {
		duet_reply_error(call, "ERR", "no connection state");
		return;
	}
	if (st->note == NULL && (st->note = strdup("kept")) == NULL) {
		duet_reply_error(call, "ERR", "out of memory");
		return;
	}
	duet_reply_int(call, ++st->calls);
}

static void
connstate_count_closes(duet_call *call)
{
	duet_reply_int(call, atomic_load(&connstate_closes));
}

static void
connstate_resize(duet_call *call)
{
	duet_reply_bool(
	    call, duet_conn_state(call, sizeof(struct connstate) + 8) == NULL);
}

static void
connstate_blocking(duet_call *call)
{
	duet_reply_bool(
	    call, duet_conn_state(call, sizeof(struct connstate)) == NULL);
}

/* The plugin thread of connstate.thread: asks, answers, finishes. */
static void *
connstate_thread_main(void *arg)
{
	duet_call *h = arg;

	duet_reply_bool(
	    h, duet_conn_state(h, sizeof(struct connstate)) == NULL);
	duet_finish(h);
	return NULL;
}

static void
connstate_thread(duet_call *call)
{
	duet_call *h = duet_defer(call);
	pthread_t t;

	if (h == NULL)
		return;
	/* On the loop, the deferred handle reaches the memory. */
	if (duet_conn_state(h, sizeof(struct connstate)) == NULL) {
		duet_reply_error(h, "ERR", "no state on the loop");
		duet_finish(h);
		return;
	}
	if (pthread_create(&t, NULL, connstate_thread_main, h) != 0) {
		duet_reply_error(h, "ERR", "no thread");
		duet_finish(h);
		return;
	}
	pthread_join(t, NULL);
}

/* Runs when a connection that has state closes, before it is freed. */
static void
connstate_conn_close(void *state)
{
	struct connstate *st = state;

	atomic_fetch_add(&connstate_closes, 1);
	duet_log(DUET_LOG_INFO, "closed a connection that counted %lld",
	    (long long)st->calls);
	free(st->note);
}

static void
connstate_fini(void)
{
	duet_log(DUET_LOG_INFO, "fini after %d closes",
	    atomic_load(&connstate_closes));
}

static const struct duet_command connstate_commands[] = {
    {"connstate.bump", "", "int", "Counts its calls on the connection.", 0,
        connstate_bump},
    {"connstate.closes", "", "int", "conn_close calls of this load.",
        DUET_READONLY, connstate_count_closes},
    {"connstate.resize", "", "bool", "Another size gets NULL.", 0,
        connstate_resize},
    {"connstate.blocking", "", "bool", "NULL on the pool.", DUET_BLOCKING,
        connstate_blocking},
    {"connstate.thread", "", "bool", "NULL on a plugin thread.", 0,
        connstate_thread},
    {.name = NULL},
};

DUET_PLUGIN = {
    DUET_PLUGIN_HEADER,
    .name = "connstate",
    .version = "1.0.0",
    .commands = connstate_commands,
    .fini = connstate_fini,
    .conn_close = connstate_conn_close,
};
