/* SPDX-License-Identifier: MIT */
/*
 * conn_idle - limits.idle_timeout (L2), swept as Redis sweeps its
 * clients: a worker's conns that have a timeout wait in one list, the
 * soonest deadline first, and one timer per worker closes those whose
 * deadline passed.  A read or write moves its conn to the tail (its
 * deadline is now the latest) with no libevent call, where a timeout on
 * the conn's EV_PERSIST event would be taken out of the timer heap and
 * put back on every activation.
 *
 * The timeout runs from the conn's last activation (an event on its
 * socket) or change of what it waits for, as libevent's did.  The clock
 * is CLOCK_MONOTONIC_COARSE (no system call); a deadline is one tick of
 * it later than the timeout, so that no conn is closed early.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "conn.h"
#include "env.h"
#include "log.h"

/* The longest the timer sleeps at once (a farther deadline re-arms it). */
#define CONN_IDLE_NAP_MS (3600 * 1000)

static void conn_idle_due(evutil_socket_t fd, short what, void *arg);

/* The coarse monotonic clock, in ms. */
static uint64_t
conn_idle_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sets up e's timer, on first need. */
static void
conn_idle_init(struct env *e)
{
	struct timespec res;

	e->idle_slack = 1;
	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0)
		e->idle_slack += (uint64_t)res.tv_sec * 1000 +
		    (uint64_t)res.tv_nsec / 1000000;
	evtimer_assign(&e->idle_timer, e->base, conn_idle_due, e);
	e->idle_ready = 1;
}

/* Sets e's timer to fire at at (conn_idle_now's clock), now being now. */
static void
conn_idle_arm(struct env *e, uint64_t at, uint64_t now)
{
	uint64_t ms = at > now ? at - now : 0;
	struct timeval tv;

	if (ms > CONN_IDLE_NAP_MS)
		ms = CONN_IDLE_NAP_MS;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (evtimer_add(&e->idle_timer, &tv) == 0)
		e->idle_timer_at = now + ms;
}

/*
 * e's timer: closes every conn whose deadline passed, and sleeps until
 * the next one.
 */
static void
conn_idle_due(evutil_socket_t fd, short what, void *arg)
{
	struct env *e = arg;
	uint64_t now = conn_idle_now();
	struct conn *c;

	(void)fd;
	(void)what;
	e->idle_timer_at = 0;
	while ((c = TAILQ_FIRST(&e->idle)) != NULL && c->idle_at <= now) {
		log_debug("client %" PRIu64 " %s: closed", c->id,
		    c->writing ? "not reading its replies" : "idle");
		conn_free(c);
	}
	if (c != NULL)
		conn_idle_arm(e, c->idle_at, now);
}

/*
 * c was active (or changed what it waits for): its timeout, c->idle_ms,
 * runs again from now; none when c->idle_ms is 0.
 */
void
conn_idle_touch(struct conn *c)
{
	struct env *e = c->env;
	struct conn *p;
	uint64_t now, at;

	if (c->idle_ms == 0) {
		if (c->idle_at != 0)
			TAILQ_REMOVE(&e->idle, c, idle_entry);
		c->idle_at = 0;
		return;
	}
	if (!e->idle_ready)
		conn_idle_init(e);
	now = conn_idle_now();
	at = c->idle_ms > UINT64_MAX - now - e->idle_slack
	    ? UINT64_MAX
	    : now + c->idle_ms + e->idle_slack;
	if (c->idle_at != 0) {
		/* Already the last: it stays so. */
		if (TAILQ_NEXT(c, idle_entry) == NULL && at >= c->idle_at) {
			c->idle_at = at;
			return;
		}
		TAILQ_REMOVE(&e->idle, c, idle_entry);
	}
	c->idle_at = at;
	/* The tail, but for a timeout shorter than the others' (a reload
	 * changed it, a closing conn's linger). */
	p = TAILQ_LAST(&e->idle, conn_idle_list);
	if (p == NULL || p->idle_at <= at) {
		TAILQ_INSERT_TAIL(&e->idle, c, idle_entry);
	} else {
		while (p != NULL && p->idle_at > at)
			p = TAILQ_PREV(p, conn_idle_list, idle_entry);
		if (p == NULL)
			TAILQ_INSERT_HEAD(&e->idle, c, idle_entry);
		else
			TAILQ_INSERT_AFTER(&e->idle, p, c, idle_entry);
	}
	if (e->idle_timer_at == 0 || at < e->idle_timer_at)
		conn_idle_arm(e, at, now);
}

/*
 * Sets c's timeout to ms (0: none), running from now.
 */
void
conn_idle_set(struct conn *c, uint64_t ms)
{
	c->idle_ms = ms;
	conn_idle_touch(c);
}
