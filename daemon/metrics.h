/* SPDX-License-Identifier: MIT */
/*
 * metrics - per-command counters and latency histograms, and their
 * rendering in the Prometheus text format for GET /metrics.  The counters
 * of a command name live as long as the process, not as long as a registry
 * generation: each generation's command points at the entry of its name,
 * so a reload never resets them (Prometheus counters must not go back).
 * Workers count without locked instructions: each thread adds to a shard
 * of its own, and readers sum the shards.  INFO's commandstats section is
 * rendered here as well.  Reload outcomes are counted here too;
 * other process-wide counters live in worker_stats.
 *
 * Layer L1 (state).  metrics never names a registry or a command: the
 * registry binds each command to its entry (metrics_cmd_get) and keeps a
 * generation's entries in order (reg->stats), which callers hand to
 * metrics_render and metrics_render_commandstats.
 */
#ifndef DUET_METRICS_H
#define DUET_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

enum metrics_proto {
	METRICS_RESP,
	METRICS_HTTP,
	METRICS_NPROTO,
};

/* Upper bounds of the latency buckets, in microseconds; +Inf is last. */
#define METRICS_NBUCKETS 13

/*
 * One command name, created by the first generation that has the name
 * and kept until metrics_shutdown.  Its counters live in per-thread
 * shards (metrics.c), found by index.
 */
struct metrics_cmd {
	char *name;               /* owned, lower-case */
	struct metrics_cmd *next; /* the process-wide list */
	unsigned index;           /* its counters' slot in every shard */
};

/* What a command's counters add up to over every thread. */
struct metrics_totals {
	uint64_t calls[METRICS_NPROTO];
	uint64_t errors[METRICS_NPROTO];
	uint64_t usec;                      /* total time in handlers */
	uint64_t buckets[METRICS_NBUCKETS]; /* not cumulative */
};

/* Process-wide counters that requests add to (per thread, summed). */
enum metrics_counter {
	METRICS_COMMANDS,   /* requests that named a command */
	METRICS_NET_INPUT,  /* request bytes received */
	METRICS_NET_OUTPUT, /* reply bytes sent */
	METRICS_NCOUNTERS,
};

/* Loads of the configuration: the start's, then reloads (main thread). */
enum metrics_load {
	METRICS_LOAD_START,
	METRICS_LOAD_RELOADED,
	METRICS_LOAD_FAILED,
};

/* Reload outcomes, read by /metrics and INFO. */
struct metrics_reloads {
	atomic_uint_fast64_t done;        /* successful reloads */
	atomic_uint_fast64_t failed;      /* reloads that kept the old config */
	atomic_int last_ok;               /* the last load succeeded: 1 or 0 */
	atomic_int_fast64_t last_ok_time; /* Unix time of the last success */
};

extern struct metrics_reloads metrics_reloads;

/* Process-wide counters, read by INFO. */
struct worker_stats {
	atomic_uint_fast64_t connections; /* open now */
	atomic_uint_fast64_t total_connections;
	atomic_uint_fast64_t rejected_connections; /* over a limit */
	atomic_uint_fast64_t refused_access; /* closed by an access list */
	atomic_uint_fast64_t next_conn_id;
	atomic_uint_fast64_t tls_handshake_failures; /* tls.c */
};

extern struct worker_stats worker_stats;
extern atomic_int worker_draining; /* shutting down: refuse new requests */

struct metrics_cmd *metrics_cmd_get(const char *name);
void metrics_observe(
    struct metrics_cmd *m, enum metrics_proto proto, uint64_t usec, int failed);
void metrics_read(const struct metrics_cmd *m, struct metrics_totals *t);
uint64_t metrics_calls(const struct metrics_cmd *m);
uint64_t metrics_errors(const struct metrics_cmd *m);
void metrics_add_slow(enum metrics_counter what, uint64_t n);

/*
 * The head of the calling thread's shard of counters (metrics.c), NULL
 * until its first count: exposed so that metrics_add is inline.
 */
struct metrics_shard_head {
	atomic_uint_fast64_t counters[METRICS_NCOUNTERS];
};
extern _Thread_local struct metrics_shard_head *metrics_mine;

/*
 * Adds n to a process-wide counter: the calling thread's share of it,
 * with a relaxed load and store (no other thread writes it).
 */
static inline void
metrics_add(enum metrics_counter what, uint64_t n)
{
	atomic_uint_fast64_t *v;

	if (metrics_mine == NULL) {
		metrics_add_slow(what, n);
		return;
	}
	v = &metrics_mine->counters[what];
	atomic_store_explicit(v,
	    atomic_load_explicit(v, memory_order_relaxed) + n,
	    memory_order_relaxed);
}
uint64_t metrics_total(enum metrics_counter what);
void metrics_note_load(enum metrics_load what);
void metrics_render_gauge(struct evbuffer *out, const char *name,
    const char *type, const char *help, uint64_t v);
void metrics_render(struct evbuffer *out, const struct metrics_cmd *const *cmds,
    size_t ncmds, uint64_t generation);
void metrics_render_commandstats(
    struct evbuffer *out, const struct metrics_cmd *const *cmds, size_t ncmds);
void metrics_shutdown(void);

#endif /* DUET_METRICS_H */
