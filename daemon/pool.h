/* SPDX-License-Identifier: MIT */
/*
 * pool - L3 calls: the blocking pool, blocking_threads threads that run
 * jobs (BLOCKING handlers), never an event loop.  A job waits in one
 * bounded FIFO; when limits.max_pending_blocking jobs already wait, a new
 * one is refused (the caller answers BUSY) instead of the queue growing
 * without bound.  The pool runs a job without knowing what it is: the job
 * says how it runs, and how it is failed when the pool stops first.
 */
#ifndef DUET_POOL_H
#define DUET_POOL_H

#include <sys/queue.h>

#include <stdint.h>

struct duet_err;
struct pool_job;

/* Runs the job (a pool thread). */
typedef void (*pool_run_fn)(struct pool_job *job);
/* Answers the job with err instead of running it (the stopping thread). */
typedef void (*pool_fail_fn)(struct pool_job *job, const struct duet_err *err);

/* Work for the pool, embedded in its owner, which sets run and fail. */
struct pool_job {
	TAILQ_ENTRY(pool_job) entry; /* the pool's, while queued */
	pool_run_fn run;
	pool_fail_fn fail;
};

int pool_start(int nthreads);
int pool_submit(struct pool_job *job, uint64_t max_pending);
void pool_stop(void);

#endif /* DUET_POOL_H */
