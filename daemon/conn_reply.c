/* SPDX-License-Identifier: MIT */
/*
 * conn_reply - the reply queue of a conn, and encoding a msgpack reply for
 * the protocol its request came in.
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

#include <stdlib.h>

#include <event2/buffer.h>

#include "conn.h"
#include "convert.h"
#include "resp.h"
#include "route.h"
#include "util.h"
#include "worker.h"

/*
 * Encodes a successful reply o (the unpacked value of the packed bytes mp,
 * both borrowed) into out, as enc says.
 */
void
conn_encode_value(const struct conn_enc *enc, struct evbuffer *out,
    const msgpack_object *o, const char *mp, size_t len)
{
	struct evbuffer *json;
	struct duet_err err;
	char buf[64];

	err.code[0] = '\0'; /* not the whole struct: this is every reply */
	if (enc->http) {
		route_reply_value(
		    enc->route, enc->closing, out, o, mp, len, enc->max_output);
		return;
	}
	switch (enc->encoding) {
	case CONN_ENC_MSGPACK:
		if ((mp = convert_msgpack_reply(o, mp, &len, buf, sizeof(buf),
		         enc->max_output, &err)) != NULL)
			resp_add_bulk(out, mp, len);
		break;
	case CONN_ENC_JSON:
		if ((json = evbuffer_new()) == NULL) {
			util_err_set(&err, "ERR", "out of memory");
			break;
		}
		if (convert_msgpack_to_json(json, o, enc->max_output, &err) ==
		    0)
			resp_add_bulk(out, evbuffer_pullup(json, -1),
			    evbuffer_get_length(json));
		evbuffer_free(json);
		break;
	default:
		convert_msgpack_to_resp_max(
		    out, o, enc->resp3, len, enc->max_output, &err);
		break;
	}
	if (err.code[0] != '\0')
		resp_add_error(out, err.code, err.msg);
}

/*
 * Encodes an error reply into out: -CODE message, or an HTTP error.
 */
void
conn_encode_error(const struct conn_enc *enc, struct evbuffer *out,
    const struct duet_err *err)
{
	if (enc->http)
		route_reply_error(enc->route, enc->closing, out, err);
	else
		resp_add_error(out, err->code, err->msg);
}

/*
 * Appends a slot to the queue: a finished one (owner NULL) for a reply
 * written now behind pending ones, or the place of a reply owner fills
 * later (arg is owner's, borrowed).  Returns NULL on allocation failure.
 */
struct conn_reply *
conn_reply_slot(struct conn *c, const struct conn_slot_owner *owner, void *arg)
{
	struct conn_reply *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->buf = evbuffer_new()) == NULL) {
		free(r);
		return NULL;
	}
	r->done = owner == NULL;
	r->owner = owner;
	r->arg = arg;
	TAILQ_INSERT_TAIL(&c->pending, r, entry);
	c->npending++;
	return r;
}

/*
 * Where the next reply goes: the output itself when nothing is pending,
 * otherwise a new finished slot at the end of the queue.  Returns NULL on
 * allocation failure.
 */
static struct evbuffer *
conn_reply_target(struct conn *c)
{
	struct conn_reply *r;

	if (TAILQ_EMPTY(&c->pending))
		return c->out;
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
	struct evbuffer *out = c->out;
	struct conn_reply *r;

	while ((r = TAILQ_FIRST(&c->pending)) != NULL) {
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
		evbuffer_free(r->buf);
		free(r);
		c->npending--;
	}
	conn_push(c);
	conn_resume_reading(c);
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
 * call's), c's protocol and its current HTTP response settings.
 */
static struct conn_enc
conn_enc_now(const struct conn *c, int encoding)
{
	struct conn_enc enc = {c->proto != NULL && c->proto->http, encoding,
	    c->resp3, c->closing, c->route, c->worker->limits.max_output_bytes};

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
	struct conn_enc enc = conn_enc_now(c, encoding);
	struct evbuffer *out;

	if ((out = conn_reply_target(c)) == NULL) {
		conn_close_after_reply(c);
		return;
	}
	conn_encode_value(&enc, out, o, mp, len);
	conn_flush_pending(c);
}

/*
 * Queues an error reply: -CODE message, or an HTTP error response.
 */
void
conn_reply_error(struct conn *c, const struct duet_err *err)
{
	struct conn_enc enc = conn_enc_now(c, c->encoding);
	struct evbuffer *out;

	if ((out = conn_reply_target(c)) == NULL) {
		conn_close_after_reply(c);
		return;
	}
	conn_encode_error(&enc, out, err);
	conn_flush_pending(c);
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
