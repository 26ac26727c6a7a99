/* SPDX-License-Identifier: MIT */
/*
 * pool - the blocking pool: blocking_threads threads that run BLOCKING
 * handlers, never an event loop.  A call waits in one bounded FIFO; when
 * limits.max_pending_blocking calls already wait, a new one is refused
 * (the caller answers BUSY) instead of the queue growing without bound.
 * A handler's return is posted back to the call's worker.
 */
#ifndef DUET_POOL_H
#define DUET_POOL_H

#include <stdint.h>

struct call_async;

int pool_start(int nthreads);
int pool_submit(struct call_async *as, uint64_t max_pending);
void pool_stop(void);

#endif /* DUET_POOL_H */
