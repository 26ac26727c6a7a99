/* SPDX-License-Identifier: MIT */
/*
 * metrics - counting calls and rendering them for Prometheus.
 *
 * A call is counted once, when its reply is ready, on the entry of its
 * command's name.  Entries are made when a generation is built (on the
 * main thread, under metrics_lock) and never freed while the daemon runs,
 * so a call finishing on a retired generation still counts, and a
 * command that a reload keeps goes on counting where it was.  The
 * histogram keeps per-bucket counts and is made cumulative when rendered.
 *
 * The counters are sharded per thread, as Redis keeps them per server
 * thread: a thread adds to its own shard with a relaxed load and store
 * (no locked instruction, no cache line shared between workers), and
 * a reader sums every shard under metrics_lock.  A shard holds a
 * command's counters at its index, in chunks made on the thread's first
 * call of a command in the chunk.  Shards live until metrics_shutdown.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "metrics.h"

static const uint64_t metrics_bounds[METRICS_NBUCKETS - 1] = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 1000000};
static const char *const metrics_le[METRICS_NBUCKETS] = {"0.00005", "0.0001",
    "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
    "0.1", "1", "+Inf"};
static const char *const metrics_proto_names[METRICS_NPROTO] = {"resp", "http"};

struct metrics_reloads metrics_reloads;

/* The counters of one command in one shard. */
struct metrics_counts {
	atomic_uint_fast64_t calls[METRICS_NPROTO];
	atomic_uint_fast64_t errors[METRICS_NPROTO];
	atomic_uint_fast64_t usec;
	atomic_uint_fast64_t buckets[METRICS_NBUCKETS];
};

/* Command slots per chunk, and chunks per shard: 65536 names at most. */
#define METRICS_CHUNK   64
#define METRICS_NCHUNKS 1024

/* One thread's counters; metrics_mine points at its head. */
struct metrics_shard {
	struct metrics_shard_head head; /* first: metrics_add's counters */
	struct metrics_shard *next;     /* the list, guarded by metrics_lock */
	/* owned: written by the shard's thread only (release) */
	_Atomic(struct metrics_counts *) chunks[METRICS_NCHUNKS];
};

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metrics_cmd *metrics_cmds; /* owned list, guarded by the lock */
static unsigned metrics_ncmds;           /* indexes given, under the lock */
static struct metrics_shard *metrics_shards; /* owned list, under the lock */
_Thread_local struct metrics_shard_head *metrics_mine;

struct worker_stats worker_stats;
atomic_int worker_draining;

/*
 * Returns the counters of the command called name (lower-case), made at
 * zero the first time the name is asked for.  For building a generation,
 * not for the request path: it takes a lock and walks a list.  The entry
 * is borrowed until metrics_shutdown.  Returns NULL when out of memory.
 */
struct metrics_cmd *
metrics_cmd_get(const char *name)
{
	struct metrics_cmd *m;

	pthread_mutex_lock(&metrics_lock);
	for (m = metrics_cmds; m != NULL; m = m->next) {
		if (strcmp(m->name, name) == 0)
			goto done;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto done;
	if ((m->name = strdup(name)) == NULL) {
		free(m);
		m = NULL;
		goto done;
	}
	m->index = metrics_ncmds++;
	m->next = metrics_cmds;
	metrics_cmds = m;
done:
	pthread_mutex_unlock(&metrics_lock);
	return m;
}

/*
 * The calling thread's shard, made (and listed) on its first count; NULL
 * when out of memory (the count is lost).
 */
static struct metrics_shard *
metrics_shard(void)
{
	struct metrics_shard *s = (struct metrics_shard *)metrics_mine;

	if (s != NULL)
		return s;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	pthread_mutex_lock(&metrics_lock);
	s->next = metrics_shards;
	metrics_shards = s;
	pthread_mutex_unlock(&metrics_lock);
	metrics_mine = &s->head;
	return s;
}

/*
 * Adds n to a counter only the calling thread writes.
 */
static inline void
metrics_bump(atomic_uint_fast64_t *v, uint64_t n)
{
	atomic_store_explicit(v,
	    atomic_load_explicit(v, memory_order_relaxed) + n,
	    memory_order_relaxed);
}

/*
 * The calling thread's counters of command m, or NULL (out of memory, or
 * past the 65536th name: not counted).
 */
static struct metrics_counts *
metrics_counts_of(const struct metrics_cmd *m)
{
	struct metrics_shard *s = metrics_shard();
	struct metrics_counts *chunk;
	unsigned i = m->index / METRICS_CHUNK;

	if (s == NULL || i >= METRICS_NCHUNKS)
		return NULL;
	chunk = atomic_load_explicit(&s->chunks[i], memory_order_relaxed);
	if (chunk == NULL) {
		if ((chunk = calloc(METRICS_CHUNK, sizeof(*chunk))) == NULL)
			return NULL;
		atomic_store_explicit(
		    &s->chunks[i], chunk, memory_order_release);
	}
	return &chunk[m->index % METRICS_CHUNK];
}

/*
 * Counts one call of a command: its protocol, time and outcome.
 */
void
metrics_observe(
    struct metrics_cmd *m, enum metrics_proto proto, uint64_t usec, int failed)
{
	struct metrics_counts *k = metrics_counts_of(m);
	int b = 0;

	if (k == NULL)
		return;
	while (b < METRICS_NBUCKETS - 1 && usec > metrics_bounds[b])
		b++;
	metrics_bump(&k->calls[proto], 1);
	if (failed)
		metrics_bump(&k->errors[proto], 1);
	metrics_bump(&k->usec, usec);
	metrics_bump(&k->buckets[b], 1);
}

/*
 * metrics_add on a thread's first count: makes its shard.
 */
void
metrics_add_slow(enum metrics_counter what, uint64_t n)
{
	struct metrics_shard *s = metrics_shard();

	if (s != NULL)
		metrics_bump(&s->head.counters[what], n);
}

/*
 * A process-wide counter: the sum of every thread's share.
 */
uint64_t
metrics_total(enum metrics_counter what)
{
	const struct metrics_shard *s;
	uint64_t n = 0;

	pthread_mutex_lock(&metrics_lock);
	for (s = metrics_shards; s != NULL; s = s->next)
		n += atomic_load_explicit(
		    &s->head.counters[what], memory_order_relaxed);
	pthread_mutex_unlock(&metrics_lock);
	return n;
}

/*
 * Sums command m's counters over every thread into t.
 */
void
metrics_read(const struct metrics_cmd *m, struct metrics_totals *t)
{
	const struct metrics_shard *s;
	const struct metrics_counts *k;
	unsigned i = m->index / METRICS_CHUNK;
	int j;

	memset(t, 0, sizeof(*t));
	if (i >= METRICS_NCHUNKS)
		return;
	pthread_mutex_lock(&metrics_lock);
	for (s = metrics_shards; s != NULL; s = s->next) {
		k = atomic_load_explicit(&s->chunks[i], memory_order_acquire);
		if (k == NULL)
			continue;
		k += m->index % METRICS_CHUNK;
		for (j = 0; j < METRICS_NPROTO; j++) {
			t->calls[j] += atomic_load_explicit(
			    &k->calls[j], memory_order_relaxed);
			t->errors[j] += atomic_load_explicit(
			    &k->errors[j], memory_order_relaxed);
		}
		t->usec += atomic_load_explicit(&k->usec, memory_order_relaxed);
		for (j = 0; j < METRICS_NBUCKETS; j++)
			t->buckets[j] += atomic_load_explicit(
			    &k->buckets[j], memory_order_relaxed);
	}
	pthread_mutex_unlock(&metrics_lock);
}

/* Calls over every protocol. */
static uint64_t
metrics_sum(const uint64_t v[METRICS_NPROTO])
{
	uint64_t n = 0;
	int p;

	for (p = 0; p < METRICS_NPROTO; p++)
		n += v[p];
	return n;
}

/*
 * Calls of m over every protocol and thread.
 */
uint64_t
metrics_calls(const struct metrics_cmd *m)
{
	struct metrics_totals t;

	metrics_read(m, &t);
	return metrics_sum(t.calls);
}

/*
 * Failed calls of m over every protocol and thread.
 */
uint64_t
metrics_errors(const struct metrics_cmd *m)
{
	struct metrics_totals t;

	metrics_read(m, &t);
	return metrics_sum(t.errors);
}

static void
metrics_render_counters(struct evbuffer *out,
    const struct metrics_cmd *const *cmds, size_t ncmds, const char *name,
    const char *help, int errors)
{
	size_t i;
	int p;

	evbuffer_add_printf(
	    out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (i = 0; i < ncmds; i++) {
		const struct metrics_cmd *m = cmds[i];
		struct metrics_totals t;

		metrics_read(m, &t);
		for (p = 0; p < METRICS_NPROTO; p++) {
			uint64_t v = errors ? t.errors[p] : t.calls[p];

			if (v > 0)
				evbuffer_add_printf(out,
				    "%s{command=\"%s\",protocol=\"%s\"} "
				    "%" PRIu64 "\n",
				    name, m->name, metrics_proto_names[p], v);
		}
	}
}

static void
metrics_render_histograms(
    struct evbuffer *out, const struct metrics_cmd *const *cmds, size_t ncmds)
{
	const char *name = "duetd_command_duration_seconds";
	size_t i;
	int b;

	evbuffer_add_printf(out,
	    "# HELP %s Time spent in command handlers.\n"
	    "# TYPE %s histogram\n",
	    name, name);
	for (i = 0; i < ncmds; i++) {
		const struct metrics_cmd *m = cmds[i];
		struct metrics_totals t;
		uint64_t sum = 0;

		metrics_read(m, &t);
		if (metrics_sum(t.calls) == 0)
			continue;
		for (b = 0; b < METRICS_NBUCKETS; b++) {
			sum += t.buckets[b];
			evbuffer_add_printf(out,
			    "%s_bucket{command=\"%s\",le=\"%s\"} %" PRIu64 "\n",
			    name, m->name, metrics_le[b], sum);
		}
		evbuffer_add_printf(out,
		    "%s_sum{command=\"%s\"} %.6f\n"
		    "%s_count{command=\"%s\"} %" PRIu64 "\n",
		    name, m->name, (double)t.usec / 1e6, name, m->name, sum);
	}
}

/*
 * Appends one metric with its HELP and TYPE lines.
 */
void
metrics_render_gauge(struct evbuffer *out, const char *name, const char *type,
    const char *help, uint64_t v)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n",
	    name, help, name, type, name, v);
}

/*
 * Appends every metric to out, in the Prometheus text format 0.0.4: the
 * counters of cmds[0..ncmds) (a generation's commands, in its order;
 * borrowed for the call), the process-wide ones, and generation, the
 * number of the registry generation being served.
 */
void
metrics_render(struct evbuffer *out, const struct metrics_cmd *const *cmds,
    size_t ncmds, uint64_t generation)
{
	metrics_render_counters(out, cmds, ncmds, "duetd_requests_total",
	    "Calls per command and protocol.", 0);
	metrics_render_counters(out, cmds, ncmds, "duetd_errors_total",
	    "Calls answered with an error.", 1);
	metrics_render_histograms(out, cmds, ncmds);
	metrics_render_gauge(out, "duetd_connections", "gauge",
	    "Open client connections.", atomic_load(&worker_stats.connections));
	metrics_render_gauge(out, "duetd_connections_total", "counter",
	    "Client connections accepted.",
	    atomic_load(&worker_stats.total_connections));
	evbuffer_add_printf(out,
	    "# HELP duetd_connections_refused_total Connections closed at "
	    "accept, by reason.\n"
	    "# TYPE duetd_connections_refused_total counter\n"
	    "duetd_connections_refused_total{reason=\"access\"} %" PRIu64 "\n"
	    "duetd_connections_refused_total{reason=\"limit\"} %" PRIu64 "\n",
	    (uint64_t)atomic_load(&worker_stats.refused_access),
	    (uint64_t)atomic_load(&worker_stats.rejected_connections));
	metrics_render_gauge(out, "duetd_tls_handshake_failures_total",
	    "counter",
	    "TLS handshakes that failed (logged at info with the reason).",
	    atomic_load(&worker_stats.tls_handshake_failures));
	metrics_render_gauge(out, "duetd_received_bytes_total", "counter",
	    "Request bytes received.", metrics_total(METRICS_NET_INPUT));
	metrics_render_gauge(out, "duetd_sent_bytes_total", "counter",
	    "Reply bytes sent.", metrics_total(METRICS_NET_OUTPUT));
	metrics_render_gauge(out, "duetd_reloads_total", "counter",
	    "Successful reloads.", atomic_load(&metrics_reloads.done));
	metrics_render_gauge(out, "duetd_reloads_failed_total", "counter",
	    "Failed reloads (the running configuration kept serving).",
	    atomic_load(&metrics_reloads.failed));
	metrics_render_gauge(out, "duetd_last_reload_success", "gauge",
	    "Whether the last reload succeeded (1 before any reload).",
	    (uint64_t)atomic_load(&metrics_reloads.last_ok));
	metrics_render_gauge(out, "duetd_last_reload_success_timestamp_seconds",
	    "gauge",
	    "When the configuration was last loaded successfully, at start "
	    "or by a reload (Unix time).",
	    (uint64_t)atomic_load(&metrics_reloads.last_ok_time));
	metrics_render_gauge(out, "duetd_auth_failures_total", "counter",
	    "Failed logins (wrong token or user), over RESP and HTTP.",
	    auth_failures_total());
	metrics_render_gauge(out, "duetd_registry_generation", "gauge",
	    "Generation of the commands being served.", generation);
}

/*
 * Appends INFO's "# Commandstats" section (Redis's cmdstat_ lines, each
 * command that was called once at least) for cmds[0..ncmds), a
 * generation's commands in its order.
 */
void
metrics_render_commandstats(
    struct evbuffer *out, const struct metrics_cmd *const *cmds, size_t ncmds)
{
	size_t i;

	evbuffer_add_printf(out, "# Commandstats\r\n");
	for (i = 0; i < ncmds; i++) {
		struct metrics_totals t;
		uint64_t calls, usec;

		metrics_read(cmds[i], &t);
		calls = metrics_sum(t.calls);
		usec = t.usec;

		if (calls == 0)
			continue;
		evbuffer_add_printf(out,
		    "cmdstat_%s:calls=%" PRIu64 ",usec=%" PRIu64
		    ",usec_per_call=%.2f,rejected_calls=0,failed_calls=%" PRIu64
		    "\r\n",
		    cmds[i]->name, calls, usec, (double)usec / (double)calls,
		    metrics_sum(t.errors));
	}
	evbuffer_add_printf(out, "\r\n");
}

/*
 * Records how a load of the configuration went: the start's (which sets
 * the time of the last success), or a reload's.  Main thread.
 */
void
metrics_note_load(enum metrics_load what)
{
	if (what == METRICS_LOAD_FAILED) {
		atomic_fetch_add(&metrics_reloads.failed, 1);
		atomic_store(&metrics_reloads.last_ok, 0);
		return;
	}
	if (what == METRICS_LOAD_RELOADED)
		atomic_fetch_add(&metrics_reloads.done, 1);
	atomic_store(&metrics_reloads.last_ok, 1);
	atomic_store(&metrics_reloads.last_ok_time, (int_fast64_t)time(NULL));
}

/*
 * Frees every command's counters, at exit, once no generation is left.
 */
void
metrics_shutdown(void)
{
	struct metrics_cmd *m;

	struct metrics_shard *s;
	int i;

	pthread_mutex_lock(&metrics_lock);
	while ((m = metrics_cmds) != NULL) {
		metrics_cmds = m->next;
		free(m->name);
		free(m);
	}
	metrics_ncmds = 0;
	metrics_mine = NULL;
	while ((s = metrics_shards) != NULL) {
		metrics_shards = s->next;
		for (i = 0; i < METRICS_NCHUNKS; i++)
			free(atomic_load(&s->chunks[i]));
		free(s);
	}
	pthread_mutex_unlock(&metrics_lock);
}
