/* SPDX-License-Identifier: MIT */
/*
 * link_resolve - the host name of a link resolved off worker 0's loop.
 *
 * getaddrinfo() may wait for seconds on a slow or absent resolver, and
 * worker 0 also serves clients: a name is resolved on a thread of its
 * own, which posts the answer to worker 0's mailbox.  The thread outlives
 * nothing it does not own: it holds copies of the name, and it posts
 * through lr_target, which link_client_shutdown empties (under its lock)
 * before the mailbox goes; a post that cannot be made frees the answer.
 * A cancelled resolution (its link removed, or its deadline passed) is
 * freed when its answer arrives, which nobody is told.
 *
 * L4, with link_client (worker 0's thread; the resolver threads touch
 * only their struct lr_job).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/util.h>

#include "env.h"
#include "link_client_int.h"
#include "log.h"
#include "mailbox.h"

/* One name being resolved. */
struct lc_resolve {
	struct mail mail; /* its answer, to worker 0 */
	/* worker 0's: whom to tell, NULL once cancelled */
	lc_resolved_fn fn;
	void *arg;
	/* the thread's until posted */
	char *host;
	char *port;
	struct evutil_addrinfo *ai;
	int rc;
};

/* Where the answers go: worker 0's mailbox, until the links shut down. */
static struct {
	pthread_mutex_t lock;
	struct mailbox *mb;
} lr_target = {PTHREAD_MUTEX_INITIALIZER, NULL};

static void
lc_resolve_free(struct lc_resolve *r)
{
	if (r->ai != NULL)
		evutil_freeaddrinfo(r->ai);
	free(r->host);
	free(r->port);
	free(r);
}

/* getaddrinfo's hints for a link: any family, a stream. */
static void
lc_resolve_hints(struct evutil_addrinfo *hints, int flags)
{
	memset(hints, 0, sizeof(*hints));
	hints->ai_family = AF_UNSPEC;
	hints->ai_socktype = SOCK_STREAM;
	hints->ai_flags = EVUTIL_AI_ADDRCONFIG | flags;
}

/*
 * host as an address literal (no lookup, at once): 0 with *ai, or
 * getaddrinfo's error when host is a name.
 */
int
lc_resolve_numeric(
    const char *host, const char *port, struct evutil_addrinfo **ai)
{
	struct evutil_addrinfo hints;

	lc_resolve_hints(&hints, EVUTIL_AI_NUMERICHOST);
	return evutil_getaddrinfo(host, port, &hints, ai);
}

/* Worker 0 (or the main thread settling): the answer of m. */
static void
lc_resolve_deliver(struct mail *m, unsigned kicks)
{
	struct lc_resolve *r = (struct lc_resolve *)m;

	(void)kicks;
	if (r->fn != NULL) {
		r->fn(r->arg, r->ai, r->rc); /* takes ai */
		r->ai = NULL;
	}
	lc_resolve_free(r);
}

/* The resolver thread. */
static void *
lc_resolve_run(void *arg)
{
	struct lc_resolve *r = arg;
	struct evutil_addrinfo hints;
	int posted = 0;

	lc_resolve_hints(&hints, 0);
	r->rc = evutil_getaddrinfo(r->host, r->port, &hints, &r->ai);
	pthread_mutex_lock(&lr_target.lock);
	if (lr_target.mb != NULL &&
	    mailbox_post(lr_target.mb, &r->mail, 1) == 0)
		posted = 1;
	pthread_mutex_unlock(&lr_target.lock);
	if (!posted)
		lc_resolve_free(r);
	return NULL;
}

/*
 * Starts resolving host:port for worker e (its thread); fn(arg, ai, rc)
 * is called there with the addresses (taken) or getaddrinfo's error,
 * unless cancelled first.  Returns NULL when no thread can be started.
 */
struct lc_resolve *
lc_resolve_start(struct env *e, const char *host, const char *port,
    lc_resolved_fn fn, void *arg)
{
	struct lc_resolve *r = calloc(1, sizeof(*r));
	pthread_attr_t attr;
	pthread_t t;
	int rc = -1;

	if (r == NULL)
		return NULL;
	r->mail.deliver = lc_resolve_deliver;
	r->fn = fn;
	r->arg = arg;
	if ((r->host = strdup(host)) == NULL ||
	    (r->port = strdup(port)) == NULL) {
		lc_resolve_free(r);
		return NULL;
	}
	pthread_mutex_lock(&lr_target.lock);
	lr_target.mb = &e->mailbox;
	pthread_mutex_unlock(&lr_target.lock);
	if (pthread_attr_init(&attr) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&t, &attr, lc_resolve_run, r);
		pthread_attr_destroy(&attr);
	}
	if (rc != 0) {
		lc_resolve_free(r);
		return NULL;
	}
	return r;
}

/* Worker 0: r's answer is not wanted (freed when it comes). */
void
lc_resolve_cancel(struct lc_resolve *r)
{
	r->fn = NULL;
	r->arg = NULL;
}

/* The links are shutting down: answers from now on are dropped. */
void
lc_resolve_shutdown(void)
{
	pthread_mutex_lock(&lr_target.lock);
	lr_target.mb = NULL;
	pthread_mutex_unlock(&lr_target.lock);
}
