/* SPDX-License-Identifier: MIT */
/*
 * mailbox - L1 state: work posted from any thread to one event loop.  A
 * struct mail is embedded in whatever it carries (a call); the mailbox
 * queues it with the kicks posted for it, merged while it waits, and the
 * loop's thread delivers each mail once, in the order they were posted,
 * through the mail's own deliver function.  The mailbox does not know what
 * a mail carries: what a kick means is its owner's business.
 */
#ifndef DUET_MAILBOX_H
#define DUET_MAILBOX_H

#include <sys/queue.h>

#include <pthread.h>

#include <event2/event.h>

struct mail;

/* Acts on the kicks posted to m since its last delivery (loop thread). */
typedef void (*mailbox_deliver_fn)(struct mail *m, unsigned kicks);

/*
 * One piece of work, embedded in its owner.  deliver is set by the owner
 * before the first post; the other fields belong to the mailbox (guarded
 * by its lock) and are zero while the mail is not queued.
 */
struct mail {
	TAILQ_ENTRY(mail) entry;
	mailbox_deliver_fn deliver;
	unsigned kicks; /* posted since the last delivery */
	int mailed;     /* queued */
};

/*
 * A loop's mailbox.  Any thread may post; the loop's thread delivers.
 * Once closed, posts are refused (and do nothing), so a mail posted after
 * the loop has ended touches nothing but the mailbox's lock: the mailbox's
 * memory must outlive every thread that may still post.
 */
struct mailbox {
	pthread_mutex_t lock;     /* guards queue, closed, the mails */
	TAILQ_HEAD(, mail) queue; /* borrowed mails, oldest first */
	struct event *ev;         /* owned: activated by the first post */
	int closed;               /* mailbox_close has run */
	/* Optional, set by the loop's owner: called before (end 0) and
	 * after (end 1) each batch the loop delivers. */
	void (*batch)(void *arg, int end);
	void *batch_arg;
};

int mailbox_init(struct mailbox *mb, struct event_base *base);
int mailbox_post(struct mailbox *mb, struct mail *m, unsigned kick);
void mailbox_cancel(struct mailbox *mb, struct mail *m);
void mailbox_deliver(struct mailbox *mb);
void mailbox_close(struct mailbox *mb);
void mailbox_fini(struct mailbox *mb);

#endif /* DUET_MAILBOX_H */
