/* SPDX-License-Identifier: MIT */
/*
 * metrics - per-command counters and latency histograms, and their
 * rendering in the Prometheus text format for GET /metrics.  The counters
 * of a command name live as long as the process, not as long as a registry
 * generation: each generation's command points at the entry of its name,
 * so a reload never resets them (Prometheus counters must not go back).
 * Workers count with atomics only.  INFO's commandstats section is
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
 * The counters of one command name, created by the first generation that
 * has the name and kept until metrics_shutdown.
 */
struct metrics_cmd {
	char *name;               /* owned, lower-case */
	struct metrics_cmd *next; /* the process-wide list */
	atomic_uint_fast64_t calls[METRICS_NPROTO];
	atomic_uint_fast64_t errors[METRICS_NPROTO];
	atomic_uint_fast64_t usec; /* total time in handlers */
	atomic_uint_fast64_t buckets[METRICS_NBUCKETS]; /* not cumulative */
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
	atomic_uint_fast64_t commands;
	atomic_uint_fast64_t net_input_bytes;
	atomic_uint_fast64_t net_output_bytes;
	atomic_uint_fast64_t next_conn_id;
	atomic_uint_fast64_t tls_handshake_failures; /* tls.c */
};

extern struct worker_stats worker_stats;
extern atomic_int worker_draining; /* shutting down: refuse new requests */

struct metrics_cmd *metrics_cmd_get(const char *name);
void metrics_observe(
    struct metrics_cmd *m, enum metrics_proto proto, uint64_t usec, int failed);
uint64_t metrics_calls(const struct metrics_cmd *m);
uint64_t metrics_errors(const struct metrics_cmd *m);
void metrics_note_load(enum metrics_load what);
void metrics_render(struct evbuffer *out, const struct metrics_cmd *const *cmds,
    size_t ncmds, uint64_t generation);
void metrics_render_commandstats(
    struct evbuffer *out, const struct metrics_cmd *const *cmds, size_t ncmds);
void metrics_shutdown(void);

#endif /* DUET_METRICS_H */
