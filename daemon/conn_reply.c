/* SPDX-License-Identifier: MIT */
/*
 * conn_reply - L2: the reply queue of a conn, and handing a msgpack reply
 * to the writer of the conn's protocol (c->writer, set when the protocol
 * was sniffed).  The bytes of each wire format are the writers'
 * (resp_reply.c, http_reply.c): nothing here knows RESP or HTTP.
 *
 * A reply is written straight into the conn's output when nothing
 * earlier is pending; otherwise it waits, finished, at the end of
 * c->pending.  A call that answers later (deferred, BLOCKING, streamed)
 * keeps a slot in the queue from the moment its request is read; what it
 * writes into its slot reaches the output once every earlier reply has,
 * so pipelined replies leave in request order.  A stream at the head of
 * the queue goes out as it is produced.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "conn.h"
#include "env.h"
#include "reply.h"
#include "util.h"

/* How many released slots a worker keeps for reuse. */
#define CONN_REPLY_KEEP 1024

/*
 * Appends a slot to the queue: a finished one (owner NULL) for a reply
 * written now behind pending ones, or the place of a reply owner fills
 * later (arg is owner's, borrowed).  A released one of the worker's is
 * reused.  Returns NULL on allocation failure.
 */
struct conn_reply *
conn_reply_slot(struct conn *c, const struct conn_slot_owner *owner, void *arg)
{
	struct env *e = c->env;
	struct conn_reply *r;

	if ((r = TAILQ_FIRST(&e->free_replies)) != NULL) {
		TAILQ_REMOVE(&e->free_replies, r, entry);
		e->nfree_replies--;
	} else if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	else if ((r->buf = evbuffer_new()) == NULL) {
		free(r);
		return NULL;
	}
	r->done = owner == NULL;
	r->unordered = owner != NULL && c->proto != NULL && c->proto->unordered;
	r->owner = owner;
	r->arg = arg;
	TAILQ_INSERT_TAIL(&c->pending, r, entry);
	c->npending++;
	return r;
}

/*
 * Where the next reply goes: the output itself when nothing is pending,
 * otherwise a finished slot at the end of the queue (the last one, if it
 * is finished: it leaves with what it holds).  Returns NULL on
 * allocation failure.
 */
static struct evbuffer *
conn_reply_target(struct conn *c)
{
	struct conn_reply *r;

	if (TAILQ_EMPTY(&c->pending))
		return conn_output(c);
	r = TAILQ_LAST(&c->pending, conn_reply_queue);
	if (r->done && r->owner == NULL)
		return r->buf;
	if ((r = conn_reply_slot(c, NULL, NULL)) == NULL)
		return NULL;
	return r->buf;
}

/*
 * Moves what the head of the queue has to the output: every finished
 * reply, and what a stream at the head has produced so far.  A stream
 * left at the head learns how much of it is still unsent.
 */
void
conn_flush_pending(struct conn *c)
{
	struct evbuffer *out = conn_output(c);
	struct conn_reply *r, *next;

	if (out == NULL) {
		conn_close_after_reply(c);
		return;
	}
	for (r = TAILQ_FIRST(&c->pending); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		if (r->unordered && !r->done)
			continue; /* written whole when it is done */
		if (evbuffer_get_length(r->buf) > 0)
			evbuffer_add_buffer(out, r->buf);
		if (!r->done) {
			conn_push(c);
			if (r->owner != NULL)
				r->owner->drained(
				    r->arg, evbuffer_get_length(out));
			return;
		}
		TAILQ_REMOVE(&c->pending, r, entry);
		conn_reply_free(c, r);
	}
	conn_push(c);
	conn_resume_reading(c);
}

/*
 * Releases slot r, already out of c's queue: kept, emptied, for the
 * worker's next one, or freed.
 */
void
conn_reply_free(struct conn *c, struct conn_reply *r)
{
	struct env *e = c->env;

	c->npending--;
	if (e->nfree_replies < CONN_REPLY_KEEP) {
		evbuffer_drain(r->buf, evbuffer_get_length(r->buf));
		TAILQ_INSERT_HEAD(&e->free_replies, r, entry);
		e->nfree_replies++;
		return;
	}
	evbuffer_free(r->buf);
	free(r);
}

/* Frees e's released slots, once e's thread has ended (worker_fini). */
void
conn_reply_shutdown(struct env *e)
{
	struct conn_reply *r;

	while ((r = TAILQ_FIRST(&e->free_replies)) != NULL) {
		TAILQ_REMOVE(&e->free_replies, r, entry);
		evbuffer_free(r->buf);
		free(r);
	}
	e->nfree_replies = 0;
}

/*
 * Where slot r's whole reply is to be written: straight into the output
 * when r is at the head of the queue with nothing in it yet (every
 * earlier reply is out: no copy, no buffer of its own to fill), else
 * into r->buf.  Either way conn_reply_slot_done follows.
 */
struct evbuffer *
conn_reply_slot_buffer(struct conn *c, struct conn_reply *r)
{
	struct evbuffer *out;

	if (TAILQ_FIRST(&c->pending) == r &&
	    evbuffer_get_length(r->buf) == 0 && (out = conn_output(c)) != NULL)
		return out;
	return r->buf;
}

/*
 * Marks slot r (its reply now complete in r->buf) done and flushes.
 * Returns -1 if c was freed (it was closing and owes nothing more).
 */
int
conn_reply_slot_done(struct conn *c, struct conn_reply *r)
{
	r->done = 1;
	r->owner = NULL;
	conn_flush_pending(c);
	return conn_free_if_done(c);
}

/*
 * How a reply to c's current request is encoded: in encoding (the
 * call's), through c's writer, with c's current response settings
 * (borrowed: valid until c's next request).
 */
struct reply_enc
conn_reply_enc(const struct conn *c, int encoding)
{
	struct reply_enc enc = {c->proto->writer, encoding, c->resp3,
	    c->closing, c->env->limits.max_output_bytes, c->route, 0};

	if (c->proto->reply_tag != NULL)
		enc.tag = c->proto->reply_tag(c);
	return enc;
}

/*
 * Queues a successful reply: o is the unpacked value of the packed bytes
 * mp (both borrowed), encoded as the request's encoding asked.
 */
void
conn_reply_value(struct conn *c, int encoding, const msgpack_object *o,
    const char *mp, size_t len)
{
	struct reply_enc enc = conn_reply_enc(c, encoding);
	struct evbuffer *out;

	if ((out = conn_reply_target(c)) == NULL) {
		conn_close_after_reply(c);
		return;
	}
	enc.writer->value(&enc, out, o, mp, len);
	conn_flush_pending(c);
}

/*
 * Queues an error reply, as c's writer writes one (-CODE message, an
 * HTTP error response).
 */
void
conn_reply_error(struct conn *c, const struct duet_err *err)
{
	struct reply_enc enc = conn_reply_enc(c, c->encoding);
	struct evbuffer *out;

	if ((out = conn_reply_target(c)) == NULL) {
		conn_close_after_reply(c);
		return;
	}
	enc.writer->error(&enc, out, err);
	conn_flush_pending(c);
}

/*
 * Queues the one msgpack value packed in mp (len bytes, borrowed) as a
 * successful reply in the native encoding (a built-in's own answer).
 * Returns 0, or -1 when mp holds no whole value (nothing queued).
 */
int
conn_reply_packed(struct conn *c, const char *mp, size_t len)
{
	msgpack_unpacked up;
	int rv = -1;

	msgpack_unpacked_init(&up);
	if (mp != NULL &&
	    msgpack_unpack_next(&up, mp, len, NULL) == MSGPACK_UNPACK_SUCCESS) {
		conn_reply_value(c, CONN_ENC_NATIVE, &up.data, mp, len);
		rv = 0;
	}
	msgpack_unpacked_destroy(&up);
	return rv;
}

/*
 * Where a reply the caller writes itself goes (see conn_reply_value);
 * call conn_reply_done after writing.  NULL: out of memory, c closes.
 */
struct evbuffer *
conn_reply_buffer(struct conn *c)
{
	struct evbuffer *out = conn_reply_target(c);

	if (out == NULL)
		conn_close_after_reply(c);
	return out;
}

/*
 * Ends a reply written into conn_reply_buffer().
 */
void
conn_reply_done(struct conn *c)
{
	conn_flush_pending(c);
}

/*
 * Answers c's current request with an "ERR" error of the given status
 * (an HTTP status; RESP shows only the text), formatted like printf.
 */
void
conn_reply_fail(struct conn *c, int status, const char *fmt, ...)
{
	struct duet_err err;
	va_list ap;

	va_start(ap, fmt);
	util_err_vset(&err, "ERR", fmt, ap);
	va_end(ap);
	err.status = status;
	conn_reply_error(c, &err);
}

/* An empty slot that holds back the replies after it (conn_reply_hold). */
struct conn_hold {
	struct conn *c;          /* borrowed: until the slot is orphaned */
	struct conn_reply *slot; /* borrowed: c's, the place kept */
	struct event *ev;        /* owned: the timer that lets it go */
};

static void
conn_hold_drained(void *arg, size_t backlog)
{
	(void)arg;
	(void)backlog;
}

/* c is freed before the delay passed: the timer goes with it. */
static void
conn_hold_orphaned(void *arg)
{
	struct conn_hold *h = arg;

	event_free(h->ev);
	free(h);
}

static const struct conn_slot_owner conn_hold_owner = {
    .drained = conn_hold_drained,
    .orphaned = conn_hold_orphaned,
};

/* The delay has passed: the replies behind the slot are written. */
static void
conn_hold_due(evutil_socket_t fd, short what, void *arg)
{
	struct conn_hold *h = arg;
	struct conn_reply *slot = h->slot;
	struct conn *c = h->c;

	(void)fd;
	(void)what;
	event_free(h->ev);
	free(h);
	(void)conn_reply_slot_done(c, slot);
}

/*
 * Holds back c's next replies for ms milliseconds, keeping their order
 * (a throttled failed login's answer): an empty slot in the queue that a
 * timer on c's loop lets go.  No thread waits; a conn freed meanwhile
 * frees the timer.  Out of memory, the replies go at once.
 */
void
conn_reply_hold(struct conn *c, uint64_t ms)
{
	struct conn_hold *h;
	struct timeval tv;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return;
	h->c = c;
	if ((h->ev = evtimer_new(c->env->base, conn_hold_due, h)) == NULL ||
	    (h->slot = conn_reply_slot(c, &conn_hold_owner, h)) == NULL) {
		if (h->ev != NULL)
			event_free(h->ev);
		free(h);
		return;
	}
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(h->ev, &tv);
}

/*
 * The bytes c has yet to send: its output and every reply waiting in
 * its queue.
 */
size_t
conn_unsent(const struct conn *c)
{
	const struct conn_reply *r;
	size_t n = c->out != NULL ? evbuffer_get_length(c->out) : 0;

	TAILQ_FOREACH(r, &c->pending, entry)
		n += evbuffer_get_length(r->buf);
	return n;
}
