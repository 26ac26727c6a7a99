/* SPDX-License-Identifier: MIT */
/*
 * pubsub - channels, patterns and their subscribers (see pubsub.h).
 *
 * Two tables of names.  The process-wide one (pubsub.lock) counts, per
 * channel and per pattern, the subscribers each worker has: a publish
 * reads it once to learn how many it reaches and which workers to post
 * to.  Each worker's own (struct pubsub_env, touched only on its thread)
 * lists the subscribers themselves, which its mailbox delivers to.  A
 * subscription enters the process-wide table before pubsub_subscribe
 * returns, so it is live everywhere once its reply is written; a message
 * already on its way to a worker finds there whoever is subscribed when
 * it arrives.
 *
 * Names are hashed with SipHash under a key drawn at start (clients
 * choose channel names), in chained tables that double when full.
 */
#include "autoconf.h"

#include <sys/random.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "env.h"
#include "log.h"
#include "mailbox.h"
#include "metrics.h"
#include "pubsub.h"
#include "util.h"

/* The most workers (config.c's limit). */
#define PUBSUB_MAX_ENVS 1024

/* A name in a table: embedded first in what the table holds. */
struct pubsub_name {
	struct pubsub_name *next;     /* the bucket's chain */
	TAILQ_ENTRY(pubsub_name) all; /* every name, oldest first */
	uint64_t hash;
	size_t len;
	char *name; /* owned, NUL-terminated (a channel may hold NULs) */
};

struct pubsub_table {
	struct pubsub_name **buckets; /* owned array; the names are not */
	size_t nbuckets;              /* a power of two, or 0 */
	size_t count;
	TAILQ_HEAD(, pubsub_name) all;
};

/* The process-wide count of one channel's or pattern's subscribers. */
struct pubsub_count {
	struct pubsub_name n; /* first */
	unsigned total;
	unsigned per_env[]; /* one per worker */
};

/* One worker's subscribers of one channel or pattern. */
struct pubsub_local {
	struct pubsub_name n;           /* first */
	TAILQ_HEAD(, pubsub_link) subs; /* in subscription order */
};

/* One subscription: a subscriber and what it subscribes to. */
struct pubsub_link {
	TAILQ_ENTRY(pubsub_link) by_sub;  /* in sub->links */
	TAILQ_ENTRY(pubsub_link) by_name; /* in local->subs */
	struct pubsub_sub *sub;           /* borrowed: the owner */
	struct pubsub_local *local;       /* borrowed: env's */
	int pattern;
};

/* A worker's part. */
struct pubsub_env {
	struct env *env;                    /* borrowed: the owner */
	struct pubsub_table names[2];       /* channels, patterns */
	pthread_mutex_t lock;               /* guards inbox */
	struct pubsub_msg **inbox, **batch; /* owned arrays of references */
	size_t ninbox, capinbox, capbatch;
	struct mail mail;                 /* kicks: inbox or touched */
	TAILQ_HEAD(, pubsub_sub) touched; /* delivered to, unflushed */
};

static struct {
	pthread_mutex_t lock;         /* guards names and the counts */
	struct pubsub_table names[2]; /* channels, patterns */
	struct env *const *envs;      /* borrowed: every worker's */
	int nenvs;
	uint64_t key[2];          /* the hash key */
	atomic_uint_fast64_t seq; /* messages published */
	atomic_uint_fast64_t delivered;
	atomic_uint_fast64_t dropped;
	atomic_uint_fast64_t subscribers;
} pubsub = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- tables ---- */

static struct pubsub_name *
pubsub_table_find(
    const struct pubsub_table *t, const char *name, size_t len, uint64_t h)
{
	struct pubsub_name *n;

	if (t->nbuckets == 0)
		return NULL;
	for (n = t->buckets[h & (t->nbuckets - 1)]; n != NULL; n = n->next) {
		if (n->hash == h && n->len == len &&
		    memcmp(n->name, name, len) == 0)
			return n;
	}
	return NULL;
}

/*
 * Adds n (its name and hash set) to t.  Returns 0, or -1 when the
 * buckets cannot grow (n is not added).
 */
static int
pubsub_table_add(struct pubsub_table *t, struct pubsub_name *n)
{
	struct pubsub_name **b, *m, *next;
	size_t i, nb;

	if (t->count >= t->nbuckets) {
		nb = t->nbuckets ? t->nbuckets * 2 : 16;
		if ((b = calloc(nb, sizeof(*b))) == NULL)
			return -1;
		for (i = 0; i < t->nbuckets; i++) {
			for (m = t->buckets[i]; m != NULL; m = next) {
				next = m->next;
				m->next = b[m->hash & (nb - 1)];
				b[m->hash & (nb - 1)] = m;
			}
		}
		free(t->buckets);
		t->buckets = b;
		t->nbuckets = nb;
	}
	b = &t->buckets[n->hash & (t->nbuckets - 1)];
	n->next = *b;
	*b = n;
	TAILQ_INSERT_TAIL(&t->all, n, all);
	t->count++;
	return 0;
}

static void
pubsub_table_remove(struct pubsub_table *t, struct pubsub_name *n)
{
	struct pubsub_name **pp = &t->buckets[n->hash & (t->nbuckets - 1)];

	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	TAILQ_REMOVE(&t->all, n, all);
	t->count--;
}

static void
pubsub_table_init(struct pubsub_table *t)
{
	memset(t, 0, sizeof(*t));
	TAILQ_INIT(&t->all);
}

static void
pubsub_table_fini(struct pubsub_table *t)
{
	free(t->buckets);
	pubsub_table_init(t);
}

/* Sets up n's name (a NUL-terminated copy) and hash.  -1: no memory. */
static int
pubsub_name_set(struct pubsub_name *n, const char *name, size_t len, uint64_t h)
{
	if ((n->name = malloc(len + 1)) == NULL)
		return -1;
	memcpy(n->name, name, len);
	n->name[len] = '\0';
	n->len = len;
	n->hash = h;
	return 0;
}

/* ---- the process-wide counts (pubsub.lock held) ---- */

/*
 * Counts one more (delta 1) or one fewer (-1) subscriber of name on
 * worker index.  Returns 0, or -1 when out of memory (nothing counted).
 */
static int
pubsub_count_add(
    int pattern, const char *name, size_t len, uint64_t h, int index, int delta)
{
	struct pubsub_table *t = &pubsub.names[pattern];
	struct pubsub_count *c;

	c = (struct pubsub_count *)pubsub_table_find(t, name, len, h);
	if (c == NULL) {
		if (delta < 0)
			return 0;
		if ((c = calloc(1,
		         sizeof(*c) +
		             (size_t)pubsub.nenvs * sizeof(c->per_env[0]))) ==
		        NULL ||
		    pubsub_name_set(&c->n, name, len, h) == -1 ||
		    pubsub_table_add(t, &c->n) == -1) {
			if (c != NULL)
				free(c->n.name);
			free(c);
			return -1;
		}
	}
	c->per_env[index] += (unsigned)delta;
	c->total += (unsigned)delta;
	if (c->total == 0) {
		pubsub_table_remove(t, &c->n);
		free(c->n.name);
		free(c);
	}
	return 0;
}

/* ---- subscribers (their worker's thread) ---- */

/*
 * Makes sub a subscriber on e's worker, delivering through sink (arg is
 * the sink's).  Subscribes to nothing yet.
 */
void
pubsub_sub_init(struct pubsub_sub *sub, struct env *e,
    const struct pubsub_sink *sink, void *arg)
{
	memset(sub, 0, sizeof(*sub));
	sub->sink = sink;
	sub->arg = arg;
	sub->env = e;
	TAILQ_INIT(&sub->links);
}

static struct pubsub_link *
pubsub_link_find(const struct pubsub_sub *sub, int pattern, const char *name,
    size_t len, uint64_t h)
{
	struct pubsub_table *t = &sub->env->pubsub->names[pattern];
	struct pubsub_local *l;
	struct pubsub_link *k;

	l = (struct pubsub_local *)pubsub_table_find(t, name, len, h);
	if (l == NULL)
		return NULL;
	TAILQ_FOREACH(k, &l->subs, by_name) {
		if (k->sub == sub)
			return k;
	}
	return NULL;
}

/* Counts sub's subscriptions going from 0 to 1 or from 1 to 0. */
static void
pubsub_sub_counted(const struct pubsub_sub *sub, int added)
{
	if (pubsub_count(sub) == (size_t)(added ? 1 : 0)) {
		if (added)
			atomic_fetch_add(&pubsub.subscribers, 1);
		else
			atomic_fetch_sub(&pubsub.subscribers, 1);
	}
}

/*
 * Subscribes sub to the channel, or (pattern) the glob, name (len bytes,
 * any bytes).  Returns 1 if it is new, 0 if sub already was, -1 when out
 * of memory.  Live on every worker once it returns.
 */
int
pubsub_subscribe(
    struct pubsub_sub *sub, int pattern, const char *name, size_t len)
{
	struct pubsub_table *t;
	uint64_t h = util_hash(pubsub.key, name, len);
	struct pubsub_local *l;
	struct pubsub_link *k;
	int fresh = 0;

	pattern = pattern != 0;
	t = &sub->env->pubsub->names[pattern];
	if (pubsub_link_find(sub, pattern, name, len, h) != NULL)
		return 0;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return -1;
	l = (struct pubsub_local *)pubsub_table_find(t, name, len, h);
	if (l == NULL) {
		if ((l = calloc(1, sizeof(*l))) == NULL)
			goto nomem;
		TAILQ_INIT(&l->subs);
		if (pubsub_name_set(&l->n, name, len, h) == -1 ||
		    pubsub_table_add(t, &l->n) == -1) {
			free(l->n.name);
			free(l);
			goto nomem;
		}
		fresh = 1;
	}
	pthread_mutex_lock(&pubsub.lock);
	if (pubsub_count_add(pattern, name, len, h, sub->env->index, 1) == -1) {
		pthread_mutex_unlock(&pubsub.lock);
		if (fresh) {
			pubsub_table_remove(t, &l->n);
			free(l->n.name);
			free(l);
		}
		goto nomem;
	}
	pthread_mutex_unlock(&pubsub.lock);
	k->sub = sub;
	k->local = l;
	k->pattern = pattern;
	TAILQ_INSERT_TAIL(&l->subs, k, by_name);
	TAILQ_INSERT_TAIL(&sub->links, k, by_sub);
	if (pattern)
		sub->npatterns++;
	else
		sub->nchannels++;
	pubsub_sub_counted(sub, 1);
	return 1;
nomem:
	free(k);
	return -1;
}

static void
pubsub_link_free(struct pubsub_sub *sub, struct pubsub_link *k)
{
	struct pubsub_local *l = k->local;
	struct pubsub_table *t = &sub->env->pubsub->names[k->pattern];

	pthread_mutex_lock(&pubsub.lock);
	(void)pubsub_count_add(
	    k->pattern, l->n.name, l->n.len, l->n.hash, sub->env->index, -1);
	pthread_mutex_unlock(&pubsub.lock);
	TAILQ_REMOVE(&l->subs, k, by_name);
	TAILQ_REMOVE(&sub->links, k, by_sub);
	if (k->pattern)
		sub->npatterns--;
	else
		sub->nchannels--;
	pubsub_sub_counted(sub, 0);
	if (TAILQ_EMPTY(&l->subs)) {
		pubsub_table_remove(t, &l->n);
		free(l->n.name);
		free(l);
	}
	free(k);
}

/*
 * Unsubscribes sub from the channel, or (pattern) the glob, name.
 * Returns 1 if it was subscribed, 0 if not.
 */
int
pubsub_unsubscribe(
    struct pubsub_sub *sub, int pattern, const char *name, size_t len)
{
	struct pubsub_link *k;

	pattern = pattern != 0;
	k = pubsub_link_find(
	    sub, pattern, name, len, util_hash(pubsub.key, name, len));
	if (k == NULL)
		return 0;
	pubsub_link_free(sub, k);
	return 1;
}

/*
 * sub's oldest channel, or (pattern) pattern, NUL-terminated, its length
 * in *len; NULL if it has none.  Borrowed until it is unsubscribed.
 */
const char *
pubsub_first(const struct pubsub_sub *sub, int pattern, size_t *len)
{
	struct pubsub_link *k;

	pattern = pattern != 0;
	if ((pattern ? sub->npatterns : sub->nchannels) == 0)
		return NULL;
	TAILQ_FOREACH(k, &sub->links, by_sub) {
		if (k->pattern == pattern) {
			*len = k->local->n.len;
			return k->local->n.name;
		}
	}
	return NULL;
}

/*
 * Leaves every channel and pattern; sub may then be freed.
 */
void
pubsub_sub_fini(struct pubsub_sub *sub)
{
	struct pubsub_link *k;

	if (sub->env == NULL)
		return;
	while ((k = TAILQ_FIRST(&sub->links)) != NULL)
		pubsub_link_free(sub, k);
	if (sub->touched) {
		TAILQ_REMOVE(&sub->env->pubsub->touched, sub, touched_entry);
		sub->touched = 0;
	}
}

/* ---- delivery (the subscribers' worker thread) ---- */

/*
 * d's message in wire form kind, made by encode on first use.  NULL when
 * out of memory (or encode failed).  Borrowed: freed after the delivery.
 */
struct evbuffer *
pubsub_form(struct pubsub_delivery *d, int kind, pubsub_encode_fn encode)
{
	if (kind < 0 || kind >= PUBSUB_FORMS)
		return NULL;
	if (d->form[kind] != NULL)
		return d->form[kind];
	if ((d->form[kind] = evbuffer_new()) == NULL)
		return NULL;
	if (encode(d, d->form[kind]) == -1) {
		evbuffer_free(d->form[kind]);
		d->form[kind] = NULL;
	}
	return d->form[kind];
}

/* Hands d to every subscriber of l on pe's worker.  Returns how many. */
static uint64_t
pubsub_deliver_local(
    struct pubsub_env *pe, struct pubsub_local *l, struct pubsub_delivery *d)
{
	struct pubsub_link *k;
	uint64_t n = 0;
	int i;

	TAILQ_FOREACH(k, &l->subs, by_name) {
		if (d->msg->origin != NULL && k->sub->arg == d->msg->origin)
			continue;
		k->sub->sink->deliver(k->sub, d);
		if (!k->sub->touched) {
			k->sub->touched = 1;
			TAILQ_INSERT_TAIL(&pe->touched, k->sub, touched_entry);
		}
		n++;
	}
	for (i = 0; i < PUBSUB_FORMS; i++) {
		if (d->form[i] != NULL)
			evbuffer_free(d->form[i]);
		d->form[i] = NULL;
	}
	return n;
}

/* Hands m to its subscribers on pe's worker: the channel's, then each
 * matching pattern's, as Redis does. */
static void
pubsub_deliver(struct pubsub_env *pe, const struct pubsub_msg *m)
{
	struct pubsub_delivery d;
	struct pubsub_name *n;
	uint64_t sent = 0;

	memset(&d, 0, sizeof(d));
	d.msg = m;
	n = pubsub_table_find(&pe->names[0], m->channel, m->chlen,
	    util_hash(pubsub.key, m->channel, m->chlen));
	if (n != NULL)
		sent += pubsub_deliver_local(pe, (struct pubsub_local *)n, &d);
	TAILQ_FOREACH(n, &pe->names[1].all, all) {
		if (!util_glob_match(n->name, n->len, m->channel, m->chlen))
			continue;
		d.pattern = n->name;
		d.patlen = n->len;
		sent += pubsub_deliver_local(pe, (struct pubsub_local *)n, &d);
	}
	if (sent > 0)
		atomic_fetch_add_explicit(
		    &pubsub.delivered, sent, memory_order_relaxed);
}

static void
pubsub_msg_unref(struct pubsub_msg *m)
{
	if (atomic_fetch_sub(&m->refs, 1) == 1)
		free(m);
}

/*
 * Writes what the subscribers delivered to got (their sinks may drop
 * them, freeing them: each leaves the list as it is flushed).
 */
static void
pubsub_flush(struct pubsub_env *pe)
{
	struct pubsub_sub *sub;

	while ((sub = TAILQ_FIRST(&pe->touched)) != NULL) {
		TAILQ_REMOVE(&pe->touched, sub, touched_entry);
		sub->touched = 0;
		sub->sink->flush(sub);
	}
}

/* The mailbox's delivery: the messages posted since, then the flush. */
static void
pubsub_env_mail(struct mail *mail, unsigned kicks)
{
	struct pubsub_env *pe = (struct pubsub_env *)((char *)mail -
	    offsetof(struct pubsub_env, mail));
	struct pubsub_msg **q;
	size_t i, n, cap;

	(void)kicks;
	pthread_mutex_lock(&pe->lock);
	q = pe->inbox;
	n = pe->ninbox;
	cap = pe->capinbox;
	pe->inbox = pe->batch;
	pe->capinbox = pe->capbatch;
	pe->ninbox = 0;
	pthread_mutex_unlock(&pe->lock);
	for (i = 0; i < n; i++) {
		pubsub_deliver(pe, q[i]);
		pubsub_msg_unref(q[i]);
	}
	pe->batch = q;
	pe->capbatch = cap;
	pubsub_flush(pe);
}

/*
 * Queues m for pe's worker (pubsub.lock held: every worker's queue is in
 * publish order).  Returns 0, or -1 when out of memory.
 */
static int
pubsub_enqueue(struct pubsub_env *pe, struct pubsub_msg *m)
{
	struct pubsub_msg **q;
	size_t cap;

	pthread_mutex_lock(&pe->lock);
	if (pe->ninbox == pe->capinbox) {
		cap = pe->capinbox ? pe->capinbox * 2 : 64;
		if ((q = realloc(pe->inbox, cap * sizeof(*q))) == NULL) {
			pthread_mutex_unlock(&pe->lock);
			return -1;
		}
		pe->inbox = q;
		pe->capinbox = cap;
	}
	atomic_fetch_add(&m->refs, 1);
	pe->inbox[pe->ninbox++] = m;
	pthread_mutex_unlock(&pe->lock);
	return 0;
}

/* ---- publishing (any thread) ---- */

/*
 * Which workers have subscribers of m's channel or of a pattern that
 * matches it (want[i]), and how many subscriptions that is.
 */
static long
pubsub_reach(const struct pubsub_msg *m, unsigned char *want)
{
	const struct pubsub_count *c;
	struct pubsub_name *n;
	long receivers = 0;
	int i;

	c = (const struct pubsub_count *)pubsub_table_find(&pubsub.names[0],
	    m->channel, m->chlen, util_hash(pubsub.key, m->channel, m->chlen));
	if (c != NULL) {
		receivers += c->total;
		for (i = 0; i < pubsub.nenvs; i++)
			want[i] |= c->per_env[i] > 0;
	}
	TAILQ_FOREACH(n, &pubsub.names[1].all, all) {
		if (!util_glob_match(n->name, n->len, m->channel, m->chlen))
			continue;
		c = (const struct pubsub_count *)n;
		receivers += c->total;
		for (i = 0; i < pubsub.nenvs; i++)
			want[i] |= c->per_env[i] > 0;
	}
	return receivers;
}

/*
 * Publishes the msgpack value (vlen bytes, one value) on channel (chlen
 * bytes).  Any thread.  On a worker's own thread its subscribers get the
 * message at once (before the publisher's reply, as in Redis), and are
 * written to after the current read; other workers get it through their
 * mailboxes.  Returns how many subscriptions it reached, or -1 when out
 * of memory.
 */
long
pubsub_publish(
    const char *channel, size_t chlen, const char *value, size_t vlen)
{
	return pubsub_publish_from(channel, chlen, value, vlen, NULL);
}

/*
 * pubsub_publish of a message that came over a link (SPEC 11): it is not
 * delivered to the subscriber whose arg is origin (that link's), so a
 * message never goes back where it came from.
 */
long
pubsub_publish_from(const char *channel, size_t chlen, const char *value,
    size_t vlen, const void *origin)
{
	unsigned char want[PUBSUB_MAX_ENVS];
	struct pubsub_env *self = NULL, *pe;
	struct env *const *envs;
	struct pubsub_msg *m;
	long receivers;
	int i, n;

	if ((m = malloc(sizeof(*m) + chlen + 1 + vlen)) == NULL)
		return -1;
	atomic_init(&m->refs, 1);
	memcpy(m->data, channel, chlen);
	m->data[chlen] = '\0';
	memcpy(m->data + chlen + 1, value, vlen);
	m->channel = m->data;
	m->chlen = chlen;
	m->value = m->data + chlen + 1;
	m->vlen = vlen;
	m->origin = origin;
	pthread_mutex_lock(&pubsub.lock);
	envs = pubsub.envs;
	n = pubsub.nenvs;
	memset(want, 0, (size_t)n);
	m->seq = atomic_fetch_add(&pubsub.seq, 1) + 1;
	receivers = pubsub_reach(m, want);
	for (i = 0; i < n; i++) {
		if (!want[i])
			continue;
		pe = envs[i]->pubsub;
		if (env_on_loop(envs[i]))
			self = pe;
		else if (pubsub_enqueue(pe, m) == -1)
			want[i] = 0; /* out of memory: that worker misses it */
	}
	pthread_mutex_unlock(&pubsub.lock);
	for (i = 0; i < n; i++) {
		if (want[i] && envs[i]->pubsub != self)
			(void)mailbox_post(
			    &envs[i]->mailbox, &envs[i]->pubsub->mail, 1);
	}
	if (self != NULL) {
		pubsub_deliver(self, m);
		if (!TAILQ_EMPTY(&self->touched))
			(void)mailbox_post(&self->env->mailbox, &self->mail, 1);
	}
	pubsub_msg_unref(m);
	return receivers;
}

/* ---- set-up, counters ---- */

/*
 * Appends pub/sub's gauges and counters to /metrics's text.
 */
void
pubsub_render_metrics(struct evbuffer *out)
{
	struct pubsub_stats st;

	pubsub_stats(&st);
	metrics_render_gauge(out, "duetd_pubsub_channels", "gauge",
	    "Channels with at least one subscriber.", st.channels);
	metrics_render_gauge(out, "duetd_pubsub_patterns", "gauge",
	    "Patterns with at least one subscriber.", st.patterns);
	metrics_render_gauge(out, "duetd_pubsub_subscribers", "gauge",
	    "Connections subscribed to a channel or pattern.", st.subscribers);
	metrics_render_gauge(out, "duetd_pubsub_published_total", "counter",
	    "Messages published.", st.published);
	metrics_render_gauge(out, "duetd_pubsub_delivered_total", "counter",
	    "Messages handed to a subscriber.", st.delivered);
	metrics_render_gauge(out, "duetd_pubsub_dropped_total", "counter",
	    "Subscribers disconnected for reading too slowly "
	    "(limits.max_pubsub_output).",
	    st.dropped);
}

/*
 * Counts a subscriber dropped by its sink for reading too slowly.
 */
void
pubsub_dropped(void)
{
	atomic_fetch_add(&pubsub.dropped, 1);
}

void
pubsub_stats(struct pubsub_stats *st)
{
	pthread_mutex_lock(&pubsub.lock);
	st->channels = pubsub.names[0].count;
	st->patterns = pubsub.names[1].count;
	pthread_mutex_unlock(&pubsub.lock);
	st->subscribers = atomic_load(&pubsub.subscribers);
	st->published = atomic_load(&pubsub.seq);
	st->delivered = atomic_load(&pubsub.delivered);
	st->dropped = atomic_load(&pubsub.dropped);
}

/*
 * The process's tables, for the n workers envs (borrowed: they outlive
 * pubsub).  Before the workers start.  Returns 0, or -1 (logged).
 */
int
pubsub_init(struct env *const *envs, int n)
{
	if (n > PUBSUB_MAX_ENVS) {
		log_error("pubsub: at most %d workers", PUBSUB_MAX_ENVS);
		return -1;
	}
	if (getrandom(pubsub.key, sizeof(pubsub.key), 0) !=
	    (ssize_t)sizeof(pubsub.key)) {
		log_error("pubsub: no random key");
		return -1;
	}
	pubsub_table_init(&pubsub.names[0]);
	pubsub_table_init(&pubsub.names[1]);
	pubsub.envs = envs;
	pubsub.nenvs = n;
	return 0;
}

/*
 * Frees the tables, once every worker's subscribers are gone.
 */
void
pubsub_shutdown(void)
{
	/* A plugin's own thread may still publish: it then reaches no one. */
	pthread_mutex_lock(&pubsub.lock);
	pubsub_table_fini(&pubsub.names[0]);
	pubsub_table_fini(&pubsub.names[1]);
	pubsub.envs = NULL;
	pubsub.nenvs = 0;
	pthread_mutex_unlock(&pubsub.lock);
}

/*
 * e's part (e->pubsub).  Returns 0, or -1 when out of memory.
 */
int
pubsub_env_init(struct env *e)
{
	struct pubsub_env *pe;

	if ((pe = calloc(1, sizeof(*pe))) == NULL)
		return -1;
	pe->env = e;
	pubsub_table_init(&pe->names[0]);
	pubsub_table_init(&pe->names[1]);
	pthread_mutex_init(&pe->lock, NULL);
	pe->mail.deliver = pubsub_env_mail;
	TAILQ_INIT(&pe->touched);
	e->pubsub = pe;
	return 0;
}

/*
 * Frees e's part: its subscribers must be gone and nothing may post to
 * it any more (messages still queued are dropped).
 */
void
pubsub_env_fini(struct env *e)
{
	struct pubsub_env *pe = e->pubsub;
	size_t i;

	if (pe == NULL)
		return;
	mailbox_cancel(&e->mailbox, &pe->mail);
	for (i = 0; i < pe->ninbox; i++)
		pubsub_msg_unref(pe->inbox[i]);
	free(pe->inbox);
	free(pe->batch);
	pubsub_table_fini(&pe->names[0]);
	pubsub_table_fini(&pe->names[1]);
	pthread_mutex_destroy(&pe->lock);
	free(pe);
	e->pubsub = NULL;
}
