/* SPDX-License-Identifier: MIT */
/*
 * call_stream - L3: replies of STREAM commands (duet_stream_send): the
 * state of a stream, not its bytes.
 *
 * Each item is checked on the producer's own thread and, unless the
 * call's writer collects the stream, encoded there by the writer with
 * the settings the call took from its request (http_reply.c: NDJSON, SSE
 * or msgpack items).  The encoded bytes wait in the call's wire buffer
 * until its worker moves them to the conn, where the writer frames them
 * (chunks, or the bare body of HTTP/1.0) after the stream's head.  A
 * collected stream (RESP has no stream type; nor has one element of a
 * POST /batch response) keeps its items, up to limits.max_request_bytes,
 * and is written at the end as one array value.
 *
 * Backpressure: a producer whose unsent bytes pass CALL_STREAM_HIGH waits
 * (a pool or plugin thread) or is told to return and is called again (a
 * resumable handler on the loop) until they fall below CALL_STREAM_LOW.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "call.h"
#include "convert.h"
#include "log.h"
#include "registry.h"
#include "reply.h"
#include "util.h"

/*
 * Appends the stream's head (worker thread), as its writer writes it.
 */
static void
call_stream_head(struct call_async *as, struct evbuffer *out)
{
	as->enc.writer->stream_head(&as->enc, out);
	as->head_sent = 1;
}

/*
 * Moves the body bytes the producer left in body to out (worker thread),
 * after the stream's head if it is not sent yet, framed by the writer.
 */
static void
call_stream_move(
    struct call_async *as, struct evbuffer *out, struct evbuffer *body)
{
	if (evbuffer_get_length(body) == 0)
		return;
	if (!as->head_sent)
		call_stream_head(as, out);
	as->enc.writer->stream_body(&as->enc, out, body);
}

/*
 * Moves what the producer encoded so far to out (worker thread).
 */
void
call_stream_flush(struct call_async *as, struct evbuffer *out)
{
	pthread_mutex_lock(&as->lock);
	call_stream_move(as, out, as->wire);
	pthread_mutex_unlock(&as->lock);
}

/*
 * Whether the items are kept for one array at the end (RESP, or an
 * element of /batch) rather than sent as they come.
 */
static int
call_stream_collects(const struct call_async *as)
{
	return as->stream_mode == REPLY_STREAM_COLLECT;
}

/*
 * Takes the one value packed into the call's reply buffer as the next
 * item: kept for the RESP array, or encoded into the wire buffer.  The
 * reply buffer is emptied.  Returns 0 or -1 (err set).
 */
static int
call_stream_take(struct call_async *as, struct duet_err *err)
{
	msgpack_sbuffer *buf = as->call.out;
	size_t len = buf->size, off = 0;
	const char *mp = buf->data;
	int rv = -1;

	if (!as->item_ready) {
		msgpack_unpacked_init(&as->item);
		as->item_ready = 1;
	}
	if (len == 0 ||
	    msgpack_unpack_next(&as->item, mp, len, &off) !=
	        MSGPACK_UNPACK_SUCCESS ||
	    off != len) {
		util_err_set(err, "ERR", "command '%s' sent %s", as->cmdname,
		    len == 0 ? "an empty stream item" : "an invalid item");
		goto done;
	}
	if (call_stream_collects(as)) {
		if (as->items == NULL && (as->items = evbuffer_new()) == NULL) {
			util_err_set(err, "ERR", "out of memory");
			goto done;
		}
		if (evbuffer_get_length(as->items) + len > as->max_stream) {
			util_err_set(err, "ERR",
			    "stream reply over limits.max_request_bytes "
			    "(%" PRIu64 " bytes): use HTTP to stream it",
			    as->max_stream);
			goto done;
		}
		evbuffer_add(as->items, mp, len);
		as->nitems++;
		rv = 0;
		goto done;
	}
	pthread_mutex_lock(&as->lock);
	rv = as->enc.writer->stream_item(
	    &as->enc, as->wire, &as->scratch, &as->item.data, mp, len, err);
	pthread_mutex_unlock(&as->lock);
	as->nitems++;
done:
	buf->size = 0;
	return rv;
}

/*
 * After an item: whether the producer goes on (0), is told to return
 * (DUET_STREAM_PAUSED: a resumable loop handler) or stops (-1: the
 * client is gone).  A thread waits here while the client is behind.
 */
static int
call_stream_wait(struct call_async *as, int on_loop)
{
	int rv = 0;

	pthread_mutex_lock(&as->lock);
	for (;;) {
		if (as->gone) {
			rv = -1;
			break;
		}
		if (as->backlog + evbuffer_get_length(as->wire) <=
		    CALL_STREAM_MARK(CALL_STREAM_HIGH, 2, as->max_output))
			break;
		if (on_loop) {
			/* A handler that cannot resume is buffered. */
			if (as->state_mem != NULL) {
				as->paused = 1;
				rv = DUET_STREAM_PAUSED;
			}
			break;
		}
		as->waiting = 1;
		pthread_cond_wait(&as->cond, &as->lock);
		as->waiting = 0;
	}
	pthread_mutex_unlock(&as->lock);
	return rv;
}

/*
 * duet_stream_send: any thread producing a STREAM call's items.
 */
int
call_host_stream_send(duet_call *call)
{
	struct call_async *as = (struct call_async *)call;
	int on_loop;

	if (!call->async || !(call->cmd->flags & DUET_STREAM)) {
		log_error("command '%s' is not a STREAM command: "
		          "duet_stream_send ignored",
		    call->cmd->name);
		return -1;
	}
	if (as->stream_failed || call->failed) {
		call->out->size = 0;
		return -1;
	}
	if (call_stream_take(as, &call->err) == -1) {
		as->stream_failed = 1;
		call->failed = 1;
		return -1;
	}
	on_loop = call_on_loop(as);
	if (!call_stream_collects(as) && !on_loop)
		call_post(as, CALL_KICK_FLUSH);
	return call_stream_wait(as, on_loop);
}

/*
 * A collected stream: the kept items as one array value, or the error.
 */
static void
call_stream_collected_end(
    struct call_async *as, const struct reply_enc *enc, struct evbuffer *out)
{
	struct evbuffer *all;
	msgpack_packer pk;
	msgpack_object o;

	if (!as->call.failed && (all = evbuffer_new()) != NULL) {
		convert_packer_init(&pk, all);
		msgpack_pack_array(&pk, (size_t)as->nitems);
		if (as->items != NULL)
			evbuffer_add_buffer(all, as->items);
		if (call_reply_object(as->call.cmd,
		        (const char *)evbuffer_pullup(all, -1),
		        evbuffer_get_length(all), &as->zone, &o,
		        &as->call.err) == 0)
			enc->writer->value(enc, out, &o,
			    (const char *)evbuffer_pullup(all, -1),
			    evbuffer_get_length(all));
		else
			enc->writer->error(enc, out, &as->call.err);
		evbuffer_free(all);
		return;
	}
	if (!as->call.failed)
		util_err_set(&as->call.err, "ERR", "out of memory");
	enc->writer->error(enc, out, &as->call.err);
}

/*
 * Ends a finished stream into out (worker thread): the bytes still in
 * the wire buffer, a value still packed as the last item, then the end:
 * the collected array, or the writer's end of the stream (an error as a
 * last item, the terminating chunk).
 */
void
call_stream_end(struct call_async *as, struct evbuffer *out)
{
	struct reply_enc enc = call_enc(as);

	if (!as->call.failed && as->call.out->size > 0 &&
	    call_stream_take(as, &as->call.err) == -1)
		as->call.failed = 1;
	call_stream_flush(as, out);
	if (call_stream_collects(as)) {
		call_stream_collected_end(as, &enc, out);
		return;
	}
	if (as->call.failed && as->nitems == 0) {
		enc.writer->error(&enc, out, &as->call.err);
		return;
	}
	if (!as->head_sent)
		call_stream_head(as, out);
	enc.writer->stream_end(
	    &enc, out, &as->scratch, as->call.failed ? &as->call.err : NULL);
}
