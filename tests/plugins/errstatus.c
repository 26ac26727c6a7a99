/* SPDX-License-Identifier: MIT */
/*
 * errstatus - a test-only plugin whose commands answer with errors that
 * choose their HTTP status (ABI 1.2), for the tests of error statuses:
 *
 *   errstatus.fail status:int code:str message:str
 *           -> duet_reply_error_status(call, status, code, message), at
 *              once (READONLY, so GET reaches it too).
 *   errstatus.later status:int code:str message:str
 *           -> the same error, from a thread of the plugin after
 *              duet_defer(), with duet_finish().
 *   errstatus.stream status:int code:str message:str
 *           -> STREAM: the same error before any item.
 *   errstatus.plain code:str message:str
 *           -> duet_reply_error(call, code, message): no status chosen.
 *
 * The threads are joined in fini, so none outlives the object.
 */
#include <sys/queue.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include <duet/plugin.h>

/* One thread of errstatus.later and what it answers. */
struct errstatus_job {
	pthread_t thread;
	duet_call *call; /* borrowed: the deferred handle, until finish */
	int status;
	char code[32];
	char message[128];
	LIST_ENTRY(errstatus_job) entry;
};

/* Every started job, guarded by errstatus_lock; fini joins them. */
static pthread_mutex_t errstatus_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(, errstatus_job) errstatus_jobs = LIST_HEAD_INITIALIZER(
    errstatus_jobs);

/* Copies str or bytes argument i into buf as a C string (truncated). */
static void
errstatus_arg(duet_call *call, int i, char *buf, size_t size)
{
	size_t len;
	const char *s = duet_arg_bytes(call, i, &len);

	if (len >= size)
		len = size - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
}

/* The status argument, clamped into an int. */
static int
errstatus_status(duet_call *call)
{
	int64_t v = duet_arg_int(call, 0);

	return v < -1000 || v > 1000 ? -1 : (int)v;
}

static void
errstatus_fail(duet_call *call)
{
	char code[32], message[128];

	errstatus_arg(call, 1, code, sizeof(code));
	errstatus_arg(call, 2, message, sizeof(message));
	duet_reply_error_status(
	    call, errstatus_status(call), code, "%s", message);
}

/* The thread of errstatus.later: answer the error, finish. */
static void *
errstatus_later_main(void *arg)
{
	struct errstatus_job *job = arg;

	duet_reply_error_status(
	    job->call, job->status, job->code, "%s", job->message);
	duet_finish(job->call);
	return NULL;
}

static void
errstatus_later(duet_call *call)
{
	struct errstatus_job *job;
	duet_call *handle;

	if ((job = calloc(1, sizeof(*job))) == NULL) {
		duet_reply_error(call, "ERR", "out of memory");
		return;
	}
	job->status = errstatus_status(call);
	errstatus_arg(call, 1, job->code, sizeof(job->code));
	errstatus_arg(call, 2, job->message, sizeof(job->message));
	if ((handle = duet_defer(call)) == NULL) {
		free(job);
		return;
	}
	job->call = handle;
	pthread_mutex_lock(&errstatus_lock);
	if (pthread_create(&job->thread, NULL, errstatus_later_main, job) !=
	    0) {
		pthread_mutex_unlock(&errstatus_lock);
		free(job);
		duet_reply_error(handle, "ERR", "cannot start a thread");
		duet_finish(handle);
		return;
	}
	LIST_INSERT_HEAD(&errstatus_jobs, job, entry);
	pthread_mutex_unlock(&errstatus_lock);
}

static void
errstatus_plain(duet_call *call)
{
	char code[32], message[128];

	errstatus_arg(call, 0, code, sizeof(code));
	errstatus_arg(call, 1, message, sizeof(message));
	duet_reply_error(call, code, "%s", message);
}

/* Joins every thread, so none still runs this object's code. */
static void
errstatus_fini(void)
{
	struct errstatus_job *job;

	pthread_mutex_lock(&errstatus_lock);
	while ((job = LIST_FIRST(&errstatus_jobs)) != NULL) {
		LIST_REMOVE(job, entry);
		pthread_join(job->thread, NULL);
		free(job);
	}
	pthread_mutex_unlock(&errstatus_lock);
}

static const struct duet_command errstatus_commands[] = {
    {
        .name = "errstatus.fail",
        .args = "status:int code:str message:str",
        .reply = "error",
        .summary = "Answers an error with this HTTP status.",
        .flags = DUET_READONLY,
        .handler = errstatus_fail,
    },
    {
        .name = "errstatus.later",
        .args = "status:int code:str message:str",
        .reply = "error",
        .summary = "Answers the error from another thread.",
        .flags = DUET_READONLY,
        .handler = errstatus_later,
    },
    {
        .name = "errstatus.stream",
        .args = "status:int code:str message:str",
        .reply = "int",
        .summary = "A stream that fails before its first item.",
        .flags = DUET_READONLY | DUET_STREAM,
        .handler = errstatus_fail,
    },
    {
        .name = "errstatus.plain",
        .args = "code:str message:str",
        .reply = "error",
        .summary = "Answers an error without choosing its status.",
        .flags = DUET_READONLY,
        .handler = errstatus_plain,
    },
    {.name = NULL},
};

DUET_PLUGIN = {
    DUET_PLUGIN_HEADER,
    .name = "errstatus",
    .version = "1.0.0",
    .flags = DUET_THREADSAFE,
    .commands = errstatus_commands,
    .fini = errstatus_fini,
};
