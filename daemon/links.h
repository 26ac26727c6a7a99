/* SPDX-License-Identifier: MIT */
/*
 * links - L1 state: the links between daemons (SPEC section 11) and the
 * commands they make callable here.  A struct link is one end of a link:
 * on the hub, a node that registered (its commands are "<as>.<command>");
 * on the node, a links: entry it dials (the hub's commands it imports are
 * "<name>.<command>").  Either way the link's connection lives on one
 * worker; a call from any worker is queued on the link and the link's
 * worker is kicked through its mailbox to write it.
 *
 * Linked commands are not in the registry's generations (a reload does
 * not touch them): they live in one process-wide table, an immutable
 * reference-counted snapshot like a generation, replaced whole when a link
 * registers or goes.  Each worker keeps a reference to the snapshot it
 * last saw and, when the registry has no command of a name, looks the name
 * up there: one atomic load of the table's version per miss, no lock, and
 * nothing at all on the path of a plugin or built-in command.
 */
#ifndef DUET_LINKS_H
#define DUET_LINKS_H

#include <sys/queue.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <msgpack.h>

#include <duet/plugin.h>

#include "mailbox.h"

struct command;
struct duet_err;
struct evbuffer;

#define LINK_GRACE_SEC    30   /* a down hub-side link's commands stay */
#define LINK_MAX_COMMANDS 4096 /* commands one link may register */

enum link_state {
	LINK_DOWN,       /* not connected (node: waiting to redial) */
	LINK_CONNECTING, /* node: dialling, logging in, registering */
	LINK_UP,
};

enum link_side {
	LINK_SIDE_HUB,  /* a node registered here */
	LINK_SIDE_NODE, /* we dial: a links: entry */
};

/*
 * A call waiting to be written on a link, queued by any thread (the
 * owner is the caller's struct call_async, which link.c never looks
 * into).
 */
struct link_job {
	TAILQ_ENTRY(link_job) entry;
	void *call;       /* borrowed: the caller's call (link_call.c) */
	const char *name; /* borrowed from the command: the remote name */
	size_t namelen;
	char *args; /* the msgpack array of arguments, in the job's block */
	size_t arglen;
	uint64_t t0; /* µs, when it was queued */
};
TAILQ_HEAD(link_jobs, link_job);

/* Counters of one link, read by GET /links and /metrics. */
struct link_stats {
	atomic_uint_fast64_t calls_in;  /* the other end called us */
	atomic_uint_fast64_t calls_out; /* we called the other end */
	atomic_uint_fast64_t errors_out;
	atomic_uint_fast64_t usec_out; /* summed latency of calls_out */
	atomic_uint_fast64_t ups;      /* times the link came up */
};

struct link {
	atomic_int refcnt;
	char *name; /* owned: hub: the node's `as`; node: links[].name */
	size_t namelen;
	int side;             /* enum link_side */
	pthread_mutex_t lock; /* guards everything down to queue */
	/* enum link_state: written under lock, read without it on the
	 * path of a call (link_callable) */
	_Atomic int state;
	time_t since;    /* when state last changed */
	char peer[64];   /* the other end's address */
	char error[160]; /* the last reason it went down, or "" */
	/* the mailbox of the worker the link's conn is on, NULL when down */
	struct mailbox *mailbox;
	struct mail mail;       /* LINK_KICK_SEND: write the queue */
	struct link_jobs queue; /* owned jobs, oldest first */
	/* Not guarded (the owner's thread): */
	void *owner; /* the session that serves the link, or NULL */
	struct command *commands; /* owned: "<name>.<command>"s */
	size_t ncommands;
	struct link_stats stats;
};

#define LINK_KICK_SEND 0x01

/* The table of linked commands (an immutable snapshot). */
struct link_table;

struct link *link_new(const char *name, int side);
void link_ref(struct link *l);
void link_unref(struct link *l);
int link_set_commands(struct link *l, const msgpack_object *descriptors,
    char *const *globs, size_t nglobs, duet_handler_fn handler,
    struct duet_err *err);
int link_state(struct link *l, time_t *since);
int link_visible(struct link *l, time_t now);
int link_callable(struct link *l);
int link_queue(struct link *l, struct link_job *job);
size_t link_take(struct link *l, struct link_jobs *out);
void link_up(struct link *l, struct mailbox *mb, mailbox_deliver_fn fn,
    const char *peer);
void link_down(struct link *l, const char *why, struct link_jobs *unsent);
void link_job_free(struct link_job *job);

int link_publish(struct link *l, struct link *replaced);
int link_withdraw(struct link *l);
struct link *link_find(const char *name);
int link_dialled_down(const char *name);
struct link_table *link_table_refresh(struct link_table *cached);
void link_table_unref(struct link_table *t);
const struct command *link_lookup(
    const struct link_table *t, const char *name, size_t len);
size_t link_table_commands(const struct link_table *t,
    const struct command **out, size_t max, time_t now);
void link_pack_all(msgpack_packer *pk);
void link_metrics(struct evbuffer *out);
void link_shutdown(void);

#endif /* DUET_LINKS_H */
