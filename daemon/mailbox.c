/* SPDX-License-Identifier: MIT */
/*
 * mailbox - L1 state: posting work from any thread to one event loop.
 *
 * One mutex guards the queue; the first post to an empty queue activates
 * the loop's event, later ones only join the queue (or merge their kicks
 * into a mail already queued), so a burst of posts wakes the loop once.
 * Delivery takes one mail at a time and calls its deliver function with
 * the lock released, so a deliver function may post again.  Closing sets
 * a flag under the same lock: after mailbox_close returns, no post can
 * queue anything, and no global lock is taken per post.  What a mail
 * carries, and what its kicks mean, is left to its owner (call.c).
 */
#include "autoconf.h"

#include <string.h>

#include <event2/event.h>

#include "mailbox.h"

static void
mailbox_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct mailbox *mb = arg;

	(void)fd;
	(void)what;
	if (mb->batch != NULL)
		mb->batch(mb->batch_arg, 0);
	mailbox_deliver(mb);
	if (mb->batch != NULL)
		mb->batch(mb->batch_arg, 1);
}

/*
 * Prepares mb, whose mail base's loop delivers.  Returns 0, or -1 when
 * out of memory (mailbox_fini still frees what was made).
 */
int
mailbox_init(struct mailbox *mb, struct event_base *base)
{
	memset(mb, 0, sizeof(*mb));
	pthread_mutex_init(&mb->lock, NULL);
	TAILQ_INIT(&mb->queue);
	if ((mb->ev = event_new(base, -1, 0, mailbox_on_event, mb)) == NULL)
		return -1;
	return 0;
}

/*
 * Asks mb's loop to deliver m with kick (any thread).  Kicks posted while
 * m waits are merged into one delivery.  Returns 0, or -1 when mb is
 * closed (nothing happens).
 */
int
mailbox_post(struct mailbox *mb, struct mail *m, unsigned kick)
{
	int rv = -1;

	pthread_mutex_lock(&mb->lock);
	if (!mb->closed) {
		m->kicks |= kick;
		if (!m->mailed) {
			m->mailed = 1;
			if (TAILQ_EMPTY(&mb->queue))
				event_active(mb->ev, EV_READ, 0);
			TAILQ_INSERT_TAIL(&mb->queue, m, entry);
		}
		rv = 0;
	}
	pthread_mutex_unlock(&mb->lock);
	return rv;
}

/*
 * Takes m out of mb's queue if it waits there, with its kicks (the
 * loop's thread, before m's owner is reused).
 */
void
mailbox_cancel(struct mailbox *mb, struct mail *m)
{
	pthread_mutex_lock(&mb->lock);
	if (m->mailed)
		TAILQ_REMOVE(&mb->queue, m, entry);
	m->mailed = 0;
	m->kicks = 0;
	pthread_mutex_unlock(&mb->lock);
}

/*
 * Delivers every mail queued, oldest first, and those posted meanwhile
 * (the loop's thread, or any one thread once the loop has ended).
 */
void
mailbox_deliver(struct mailbox *mb)
{
	struct mail *m;
	unsigned kicks = 0;

	for (;;) {
		pthread_mutex_lock(&mb->lock);
		if ((m = TAILQ_FIRST(&mb->queue)) != NULL) {
			TAILQ_REMOVE(&mb->queue, m, entry);
			m->mailed = 0;
			kicks = m->kicks;
			m->kicks = 0;
		}
		pthread_mutex_unlock(&mb->lock);
		if (m == NULL)
			break;
		m->deliver(m, kicks);
	}
}

/*
 * Refuses every later post to mb (any thread).  Mails already queued stay
 * for mailbox_deliver.
 */
void
mailbox_close(struct mailbox *mb)
{
	pthread_mutex_lock(&mb->lock);
	mb->closed = 1;
	pthread_mutex_unlock(&mb->lock);
}

/*
 * Frees what mailbox_init made, before its event base is freed.  No
 * thread may post to mb any more.
 */
void
mailbox_fini(struct mailbox *mb)
{
	if (mb->ev != NULL)
		event_free(mb->ev);
	mb->ev = NULL;
	pthread_mutex_destroy(&mb->lock);
}
