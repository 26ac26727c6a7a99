/* SPDX-License-Identifier: MIT */
/*
 * defer - a test-only plugin that answers from its own threads, for the
 * tests of deferred replies (ABI 1.1).  Every command but defer.block
 * takes the call out of the handler with duet_defer() and hands the
 * handle to a new thread of the plugin:
 *
 *   defer.later ms:int   -> int ms, answered with duet_finish() by a thread
 *                           after ms milliseconds.  Logs "defer.later <ms>
 *                           deferred" when the handler has deferred the
 *                           call and "defer.later <ms> finished" after the
 *                           finish.
 *   defer.twice          -> int 1; the thread then calls duet_finish() a
 *                           second time, which the daemon must refuse
 *                           (logged as an error) without crashing.
 *   defer.stream n:int   -> STREAM: the items 0..n-1, sent with
 *                           duet_stream_send() by a thread, which stops
 *                           when a send fails, logs "defer.stream sent
 *                           <k> of <n> items" and finishes the call.
 *   defer.echo s:str     -> str s, answered by a thread that reads the
 *                           argument through the deferred handle (the
 *                           daemon binds such arguments in place, in the
 *                           request, and must copy them when deferred).
 *   defer.block ms:int   -> BLOCKING, not deferred: logs "defer.block
 *                           <ms> started", sleeps ms milliseconds on the
 *                           blocking pool, replies int ms and logs
 *                           "defer.block <ms> finished".  The log lines
 *                           tell a test when a pool thread runs the call.
 *
 * A negative or too large ms, or a negative n, is answered at once with
 * `-ERR ms must be between 0 and 3600000` or `-ERR n must not be
 * negative`, without deferring.
 *
 * The threads are joinable, not detached: fini() joins every one, and
 * each new call joins those that are done, so no thread still runs this
 * object's code when the daemon dlcloses it after fini().
 */
#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <msgpack.h>

#include <duet/plugin.h>

#define DEFER_MAX_MS (3600 * 1000)

/* One thread of the plugin and the call it answers. */
struct defer_job {
	pthread_t thread;
	duet_call *call; /* borrowed: the deferred handle, until finish */
	int64_t n;       /* ms or item count */
	atomic_int done; /* 1 once the thread no longer needs this job */
	LIST_ENTRY(defer_job) entry;
};

/* The started jobs not yet joined, guarded by defer_lock. */
static pthread_mutex_t defer_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(, defer_job) defer_jobs = LIST_HEAD_INITIALIZER(defer_jobs);

/* Sleeps ms milliseconds, resuming after signals. */
static void
defer_sleep_ms(int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/*
 * Joins and frees the jobs whose thread is done, or every job if all is
 * set (fini).  Should fini run on a job's own thread (inside its
 * duet_finish), that job is only detached and left allocated: its thread
 * still sets done when finish returns.
 */
static void
defer_reap(int all)
{
	struct defer_job *job, *next;

	pthread_mutex_lock(&defer_lock);
	for (job = LIST_FIRST(&defer_jobs); job != NULL; job = next) {
		next = LIST_NEXT(job, entry);
		if (!all && !atomic_load(&job->done))
			continue;
		LIST_REMOVE(job, entry);
		if (pthread_equal(job->thread, pthread_self())) {
			pthread_detach(job->thread);
			continue;
		}
		pthread_join(job->thread, NULL);
		free(job);
	}
	pthread_mutex_unlock(&defer_lock);
}

/*
 * Defers call and starts fn on a new thread with the handle and n.
 * Returns 0, or -1 if that failed and the call was answered with an error.
 */
static int
defer_start(duet_call *call, void *(*fn)(void *), int64_t n)
{
	struct defer_job *job;
	duet_call *handle;

	defer_reap(0);
	if ((handle = duet_defer(call)) == NULL)
		return -1;
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		duet_reply_error(handle, "ERR", "out of memory");
		duet_finish(handle);
		return -1;
	}
	job->call = handle;
	job->n = n;
	pthread_mutex_lock(&defer_lock);
	if (pthread_create(&job->thread, NULL, fn, job) != 0) {
		pthread_mutex_unlock(&defer_lock);
		free(job);
		duet_reply_error(handle, "ERR", "cannot start a thread");
		duet_finish(handle);
		return -1;
	}
	LIST_INSERT_HEAD(&defer_jobs, job, entry);
	pthread_mutex_unlock(&defer_lock);
	return 0;
}

/* Answers with the ms error unless 0 <= ms <= DEFER_MAX_MS; 0 if fine. */
static int
defer_check_ms(duet_call *call, int64_t ms)
{
	if (ms >= 0 && ms <= DEFER_MAX_MS)
		return 0;
	duet_reply_error(
	    call, "ERR", "ms must be between 0 and %d", DEFER_MAX_MS);
	return -1;
}

/* The thread of defer.later: sleep, answer, finish. */
static void *
defer_later_main(void *arg)
{
	struct defer_job *job = arg;
	int64_t ms = job->n;

	defer_sleep_ms(ms);
	duet_reply_int(job->call, ms);
	duet_finish(job->call);
	duet_log(DUET_LOG_INFO, "defer.later %lld finished", (long long)ms);
	atomic_store(&job->done, 1);
	return NULL;
}

/* defer.later ms:int -> ms, from another thread after ms milliseconds. */
static void
defer_later(duet_call *call)
{
	int64_t ms = duet_arg_int(call, 0);

	if (defer_check_ms(call, ms) == -1)
		return;
	if (defer_start(call, defer_later_main, ms) == 0)
		duet_log(
		    DUET_LOG_INFO, "defer.later %lld deferred", (long long)ms);
}

/* The thread of defer.twice: answer 1, finish, and finish again. */
static void *
defer_twice_main(void *arg)
{
	struct defer_job *job = arg;

	duet_reply_int(job->call, 1);
	duet_finish(job->call);
	/* The handle is invalid now: the daemon must notice and refuse. */
	duet_finish(job->call);
	atomic_store(&job->done, 1);
	return NULL;
}

/* defer.twice -> 1, then a second duet_finish() of the same call. */
static void
defer_twice(duet_call *call)
{
	(void)defer_start(call, defer_twice_main, 0);
}

/* The thread of defer.stream: items 0..n-1 until a send fails. */
static void *
defer_stream_main(void *arg)
{
	struct defer_job *job = arg;
	int64_t i;

	for (i = 0; i < job->n; i++) {
		duet_reply_int(job->call, i);
		if (duet_stream_send(job->call) != 0)
			break;
	}
	duet_log(DUET_LOG_INFO, "defer.stream sent %lld of %lld items",
	    (long long)i, (long long)job->n);
	duet_finish(job->call);
	atomic_store(&job->done, 1);
	return NULL;
}

/* defer.stream n:int -> the items 0..n-1, streamed from another thread. */
static void
defer_stream(duet_call *call)
{
	int64_t n = duet_arg_int(call, 0);

	if (n < 0) {
		duet_reply_error(call, "ERR", "n must not be negative");
		return;
	}
	(void)defer_start(call, defer_stream_main, n);
}

/* The thread of defer.echo: the argument, read through the handle. */
static void *
defer_echo_main(void *arg)
{
	struct defer_job *job = arg;
	const char *s;
	size_t len;

	s = duet_arg_bytes(job->call, 0, &len);
	duet_reply_str(job->call, s, len);
	duet_finish(job->call);
	atomic_store(&job->done, 1);
	return NULL;
}

/* defer.echo s:str -> s, from another thread. */
static void
defer_echo(duet_call *call)
{
	(void)defer_start(call, defer_echo_main, 0);
}

/* defer.block ms:int -> ms, after sleeping on the blocking pool. */
static void
defer_block(duet_call *call)
{
	int64_t ms = duet_arg_int(call, 0);

	if (defer_check_ms(call, ms) == -1)
		return;
	duet_log(DUET_LOG_INFO, "defer.block %lld started", (long long)ms);
	defer_sleep_ms(ms);
	duet_reply_int(call, ms);
	duet_log(DUET_LOG_INFO, "defer.block %lld finished", (long long)ms);
}

/* Joins every thread still known, so none outlives the object. */
static void
defer_fini(void)
{
	defer_reap(1);
}

static const struct duet_command defer_commands[] = {
    {
        .name = "defer.later",
        .args = "ms:int",
        .reply = "int",
        .summary = "Returns ms from another thread after ms milliseconds.",
        .flags = DUET_READONLY,
        .handler = defer_later,
    },
    {
        .name = "defer.twice",
        .args = "",
        .reply = "int",
        .summary = "Returns 1, then finishes the call a second time.",
        .flags = DUET_READONLY,
        .handler = defer_twice,
    },
    {
        .name = "defer.stream",
        .args = "n:int",
        .reply = "int",
        .summary = "Streams 0 to n-1 from another thread.",
        .flags = DUET_READONLY | DUET_STREAM,
        .handler = defer_stream,
    },
    {
        .name = "defer.echo",
        .args = "s:str",
        .reply = "str",
        .summary = "Returns s from another thread.",
        .flags = DUET_READONLY,
        .handler = defer_echo,
    },
    {
        .name = "defer.block",
        .args = "ms:int",
        .reply = "int",
        .summary = "Sleeps ms milliseconds on the blocking pool, logging "
                   "when it starts and ends; returns ms.",
        .flags = DUET_READONLY | DUET_BLOCKING,
        .handler = defer_block,
    },
    {.name = NULL},
};

DUET_PLUGIN = {
    DUET_PLUGIN_HEADER,
    .name = "defer",
    .version = "1.0.0",
    .flags = DUET_THREADSAFE,
    .commands = defer_commands,
    .fini = defer_fini,
};
