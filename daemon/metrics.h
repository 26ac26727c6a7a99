/* SPDX-License-Identifier: MIT */
/*
 * metrics - per-command counters and latency histograms, kept in each
 * registry generation's commands with atomics (workers never lock for
 * them), and their rendering in the Prometheus text format for
 * GET /metrics.  Process-wide counters live in worker_stats.
 */
#ifndef DUET_METRICS_H
#define DUET_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include <event2/buffer.h>

struct registry;

enum metrics_proto {
	METRICS_RESP,
	METRICS_HTTP,
	METRICS_NPROTO,
};

/* Upper bounds of the latency buckets, in microseconds; +Inf is last. */
#define METRICS_NBUCKETS 13

struct metrics_cmd {
	atomic_uint_fast64_t calls[METRICS_NPROTO];
	atomic_uint_fast64_t errors[METRICS_NPROTO];
	atomic_uint_fast64_t usec; /* total time in handlers */
	atomic_uint_fast64_t buckets[METRICS_NBUCKETS]; /* not cumulative */
};

void metrics_observe(
    struct metrics_cmd *m, enum metrics_proto proto, uint64_t usec, int failed);
uint64_t metrics_calls(const struct metrics_cmd *m);
uint64_t metrics_errors(const struct metrics_cmd *m);
void metrics_render(struct evbuffer *out, const struct registry *reg);

#endif /* DUET_METRICS_H */
