/* SPDX-License-Identifier: MIT */
/*
 * pool - L3 calls: the threads that run BLOCKING handlers, as jobs.
 *
 * One mutex guards one FIFO of jobs; idle threads sleep on a condition
 * variable.  The queue holds jobs not yet running, so its length is what
 * limits.max_pending_blocking bounds.  Stopping lets every running job
 * return, and fails the jobs still queued ("shutting down"), so every
 * call is answered.  What a job is, and how its answer reaches its worker,
 * is left to its owner (call.c).
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pool.h"
#include "util.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	TAILQ_HEAD(, pool_job) queue; /* borrowed jobs, oldest first */
	uint64_t nqueued;
	int stopping;
	pthread_t *threads; /* owned */
	int nthreads;
} pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER,
    .queue = TAILQ_HEAD_INITIALIZER(pool.queue),
};

static void *
pool_main(void *arg)
{
	struct pool_job *job;

	(void)arg;
	pthread_setname_np(pthread_self(), "duetd-pool");
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		while (!pool.stopping && TAILQ_EMPTY(&pool.queue))
			pthread_cond_wait(&pool.cond, &pool.lock);
		if (pool.stopping)
			break;
		job = TAILQ_FIRST(&pool.queue);
		TAILQ_REMOVE(&pool.queue, job, entry);
		pool.nqueued--;
		pthread_mutex_unlock(&pool.lock);
		job->run(job);
		pthread_mutex_lock(&pool.lock);
	}
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

/*
 * Starts nthreads pool threads.  Returns 0, or -1 (logged).
 */
int
pool_start(int nthreads)
{
	int i;

	pool.stopping = 0;
	if ((pool.threads = calloc((size_t)nthreads, sizeof(pthread_t))) ==
	    NULL) {
		log_error("blocking pool: out of memory");
		return -1;
	}
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&pool.threads[i], NULL, pool_main, NULL) !=
		    0) {
			log_error("blocking pool: cannot start a thread");
			pool_stop();
			return -1;
		}
		pool.nthreads++;
	}
	return 0;
}

/*
 * Queues job for the next free thread (borrowed until it runs or fails).
 * Returns -1 (nothing queued) when max_pending jobs already wait or the
 * pool is stopping.
 */
int
pool_submit(struct pool_job *job, uint64_t max_pending)
{
	int rv = -1;

	pthread_mutex_lock(&pool.lock);
	if (!pool.stopping && pool.nthreads > 0 && pool.nqueued < max_pending) {
		TAILQ_INSERT_TAIL(&pool.queue, job, entry);
		pool.nqueued++;
		pthread_cond_signal(&pool.cond);
		rv = 0;
	}
	pthread_mutex_unlock(&pool.lock);
	return rv;
}

/*
 * Stops the pool: waits for running jobs to return, and fails the jobs
 * still queued ("shutting down"), on the caller's thread.  The workers
 * of their calls must still be running to release them.
 */
void
pool_stop(void)
{
	struct pool_job *job;
	struct duet_err err;
	int i;

	pthread_mutex_lock(&pool.lock);
	pool.stopping = 1;
	pthread_cond_broadcast(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
	for (i = 0; i < pool.nthreads; i++)
		pthread_join(pool.threads[i], NULL);
	free(pool.threads);
	pool.threads = NULL;
	pool.nthreads = 0;
	util_err_set(&err, "ERR", "shutting down");
	err.status = 503;
	while ((job = TAILQ_FIRST(&pool.queue)) != NULL) {
		TAILQ_REMOVE(&pool.queue, job, entry);
		pool.nqueued--;
		job->fail(job, &err);
	}
}
