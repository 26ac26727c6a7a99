/* SPDX-License-Identifier: MIT */
/*
 * pubsub - L1 state: channels, patterns and their subscribers (SPEC
 * section 10).  A subscriber (struct pubsub_sub) is embedded in a session
 * (a RESP conn in subscribed mode, an HTTP event stream) and belongs to
 * its worker.  Each worker keeps its own table of who subscribes to what;
 * one process-wide table, under a mutex, counts the subscribers of each
 * channel and pattern per worker, so a publish from any thread knows at
 * once how many it reaches and which workers to post the message to.
 *
 * A published message is one refcounted msgpack value.  Each worker
 * delivers it to its own subscribers from its mailbox (or at once, when
 * published on that worker), through the sink the session installed, and
 * a delivery encodes each wire form once (struct pubsub_delivery), not
 * once per subscriber.  Subscriber output is written once per batch.
 * Publishers never wait: a subscriber whose unsent output passes
 * limits.max_pubsub_output is dropped by its sink.
 *
 * pubsub never names a conn or a protocol: what a message looks like on
 * the wire is the sink's.
 */
#ifndef DUET_PUBSUB_H
#define DUET_PUBSUB_H

#include <sys/queue.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct env;
struct evbuffer;
struct pubsub_link;
struct pubsub_sub;

/* A published value, shared by every worker that delivers it. */
struct pubsub_msg {
	atomic_uint refs;
	uint64_t seq;        /* process-wide publish order, from 1 */
	const char *channel; /* points into data: not NUL-terminated */
	size_t chlen;
	const char *value; /* points into data: one msgpack value */
	size_t vlen;
	/* borrowed: the subscriber's arg it came from over a link (SPEC
	 * 11), which it is not delivered back to; NULL: none */
	const void *origin;
	char data[];
};

/* How many wire forms a delivery keeps (the sinks number them). */
#define PUBSUB_FORMS 8

/*
 * One message on its way to one worker's subscribers of one channel or
 * pattern: what they share.  form[k] is the message in wire form k, made
 * by the first subscriber that needs it (pubsub_form) and freed after the
 * last.  Lives on the stack of the delivering loop.
 */
struct pubsub_delivery {
	const struct pubsub_msg *msg;
	const char *pattern; /* the pattern that matched, NUL-terminated;
	                      * NULL: a subscriber of the channel itself */
	size_t patlen;
	struct evbuffer *form[PUBSUB_FORMS]; /* owned, made on first use */
};

/* Writes d's message in one wire form into out.  Returns 0 or -1. */
typedef int (*pubsub_encode_fn)(
    const struct pubsub_delivery *d, struct evbuffer *out);

/*
 * What a session does with the messages of one of its subscribers, on
 * the subscriber's worker thread.  deliver appends d (each subscriber
 * gets a message once per matching channel or pattern, as in Redis);
 * flush runs once after a batch of deliveries, writes, and drops the
 * subscriber (frees its session) when its unsent output is over
 * limits.max_pubsub_output.  flush may free sub; deliver must not.
 */
struct pubsub_sink {
	void (*deliver)(struct pubsub_sub *sub, struct pubsub_delivery *d);
	void (*flush)(struct pubsub_sub *sub);
};

/*
 * A subscriber, embedded in its session; every field is pubsub's but
 * sink and arg.  Touched only on its worker's thread.
 */
struct pubsub_sub {
	const struct pubsub_sink *sink;  /* borrowed (static) */
	void *arg;                       /* borrowed: the sink's (its conn) */
	struct env *env;                 /* borrowed: the worker it is on */
	TAILQ_HEAD(, pubsub_link) links; /* owned: in subscription order */
	size_t nchannels;
	size_t npatterns;
	/* in its worker's list of subscribers delivered to and not yet
	 * flushed, while touched */
	TAILQ_ENTRY(pubsub_sub) touched_entry;
	int touched;
};

/* What INFO and /metrics show (pubsub_stats). */
struct pubsub_stats {
	uint64_t channels;    /* with at least one subscriber */
	uint64_t patterns;    /* with at least one subscriber */
	uint64_t subscribers; /* subscribers with at least one subscription */
	uint64_t published;   /* messages published */
	uint64_t delivered;   /* messages handed to a subscriber */
	uint64_t dropped;     /* subscribers dropped for slow reading */
};

/* Process: before the workers start (envs: every worker's), and after
 * they have all ended. */
int pubsub_init(struct env *const *envs, int n);
void pubsub_shutdown(void);

/* A worker's part, on its thread: init once its loop exists, fini after
 * every subscriber on it is gone. */
int pubsub_env_init(struct env *e);
void pubsub_env_fini(struct env *e);

void pubsub_sub_init(struct pubsub_sub *sub, struct env *e,
    const struct pubsub_sink *sink, void *arg);
int pubsub_subscribe(
    struct pubsub_sub *sub, int pattern, const char *name, size_t len);
int pubsub_unsubscribe(
    struct pubsub_sub *sub, int pattern, const char *name, size_t len);
const char *pubsub_first(
    const struct pubsub_sub *sub, int pattern, size_t *len);
void pubsub_sub_fini(struct pubsub_sub *sub);

/* The subscriber's channels plus patterns, as Redis counts them. */
static inline size_t
pubsub_count(const struct pubsub_sub *sub)
{
	return sub->nchannels + sub->npatterns;
}

long pubsub_publish(
    const char *channel, size_t chlen, const char *value, size_t vlen);
long pubsub_publish_from(const char *channel, size_t chlen, const char *value,
    size_t vlen, const void *origin);

struct evbuffer *pubsub_form(
    struct pubsub_delivery *d, int kind, pubsub_encode_fn encode);
void pubsub_dropped(void);
void pubsub_stats(struct pubsub_stats *st);
void pubsub_render_metrics(struct evbuffer *out);

#endif /* DUET_PUBSUB_H */
