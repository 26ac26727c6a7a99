/* SPDX-License-Identifier: MIT */
/*
 * call_stream - replies of STREAM commands (duet_stream_send).
 *
 * Each item is checked and encoded for the wire on the producer's own
 * thread, with the response settings the call took from its request:
 * HTTP gets a chunked application/x-ndjson body (one JSON value a line),
 * text/event-stream (a `data:` event an item) when Accept asks for it, or
 * concatenated msgpack values for Accept: application/msgpack; an HTTP/1.0
 * client gets the bare body, ended by closing.  The encoded bytes wait in
 * the call's wire buffer until its worker moves them to the conn.  RESP
 * has no stream type: the items are kept, up to limits.max_request_bytes,
 * and sent as one array at the end; so are those of a stream that is one
 * element of a POST /batch response.
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
#include "conn.h"
#include "convert.h"
#include "log.h"
#include "registry.h"
#include "route.h"

/*
 * Appends the stream's response head: 200, chunked (or unframed for
 * HTTP/1.0), the content type the client asked for.
 */
static void
call_stream_head(struct call_async *as, struct evbuffer *out)
{
	const struct route_ctx *ctx = &as->ctx.route;
	const char *ctype = ctx->sse ? "text/event-stream"
	    : ctx->msgpack           ? "application/msgpack"
	                             : "application/x-ndjson";

	route_head(ctx, 0, out, 200, ctype, -1);
	as->head_sent = 1;
}

/*
 * Encodes one HTTP item o (packed as mp) at the end of the body bytes in
 * out.  error: o is an error object (an `error` event on SSE).  Returns 0
 * or -1 (err set).
 */
static int
call_stream_http_item(struct call_async *as, struct evbuffer *out,
    const msgpack_object *o, const char *mp, size_t len, int error,
    struct duet_err *err)
{
	struct evbuffer *body = as->scratch;
	size_t max = as->max_output;
	char buf[64];

	if (as->ctx.route.msgpack) {
		if ((mp = convert_msgpack_reply(
		         o, mp, &len, buf, sizeof(buf), max, err)) == NULL)
			return -1;
		evbuffer_add(out, mp, len);
		return 0;
	}
	if (body == NULL && (body = as->scratch = evbuffer_new()) == NULL) {
		util_err_set(err, "ERR", "out of memory");
		return -1;
	}
	if (as->ctx.route.sse)
		evbuffer_add_printf(
		    body, "%sdata: ", error ? "event: error\n" : "");
	if (convert_msgpack_to_json(body, o, max, err) == -1) {
		evbuffer_drain(body, evbuffer_get_length(body));
		return -1;
	}
	evbuffer_add(
	    body, as->ctx.route.sse ? "\n\n" : "\n", as->ctx.route.sse ? 2 : 1);
	/* Copied, so that tiny items share the chains of out. */
	len = evbuffer_get_length(body);
	evbuffer_add(out, evbuffer_pullup(body, -1), len);
	evbuffer_drain(body, len);
	return 0;
}

/*
 * Moves the body bytes the producer left in body to out (worker thread),
 * after the response head if it is not sent yet: as one chunk, or as is
 * for HTTP/1.0; dropped for HEAD.
 */
static void
call_stream_move(
    struct call_async *as, struct evbuffer *out, struct evbuffer *body)
{
	size_t len = evbuffer_get_length(body);

	if (len == 0)
		return;
	if (!as->head_sent)
		call_stream_head(as, out);
	if (as->ctx.route.head) {
		evbuffer_drain(body, len);
		return;
	}
	if (as->ctx.route.minor > 0)
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add_buffer(out, body);
	if (as->ctx.route.minor > 0)
		evbuffer_add(out, "\r\n", 2);
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
	return !as->ctx.http || as->ctx.route.batch;
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
	rv = call_stream_http_item(
	    as, as->wire, &as->item.data, mp, len, 0, err);
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
 * RESP: the kept items as one array, or the error.
 */
static void
call_stream_resp_end(
    struct call_async *as, const struct conn_enc *enc, struct evbuffer *out)
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
			conn_encode_value(enc, out, &o,
			    (const char *)evbuffer_pullup(all, -1),
			    evbuffer_get_length(all));
		else
			conn_encode_error(enc, out, &as->call.err);
		evbuffer_free(all);
		return;
	}
	if (!as->call.failed)
		util_err_set(&as->call.err, "ERR", "out of memory");
	conn_encode_error(enc, out, &as->call.err);
}

/*
 * HTTP: an error after the first item, as a last item.
 */
static void
call_stream_http_error(struct call_async *as, struct evbuffer *out)
{
	msgpack_sbuffer sb;
	msgpack_unpacked up;
	struct duet_err err;
	struct evbuffer *body;

	if ((body = evbuffer_new()) == NULL)
		return;
	msgpack_sbuffer_init(&sb);
	route_pack_error(&sb, &as->call.err);
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, sb.data, sb.size, NULL) ==
	        MSGPACK_UNPACK_SUCCESS &&
	    call_stream_http_item(
	        as, body, &up.data, sb.data, sb.size, 1, &err) == 0)
		call_stream_move(as, out, body);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	evbuffer_free(body);
}

/*
 * Ends a finished stream into out (worker thread): the bytes still in
 * the wire buffer, a value still packed as the last item, then the end:
 * the RESP array, or the HTTP error or terminating chunk.
 */
void
call_stream_end(struct call_async *as, struct evbuffer *out)
{
	struct conn_enc enc = call_enc(as);

	if (!as->call.failed && as->call.out->size > 0 &&
	    call_stream_take(as, &as->call.err) == -1)
		as->call.failed = 1;
	call_stream_flush(as, out);
	if (call_stream_collects(as)) {
		call_stream_resp_end(as, &enc, out);
		return;
	}
	if (as->call.failed && as->nitems == 0) {
		conn_encode_error(&enc, out, &as->call.err);
		return;
	}
	if (!as->head_sent)
		call_stream_head(as, out);
	if (as->call.failed)
		call_stream_http_error(as, out);
	if (as->ctx.route.minor > 0 && !as->ctx.route.head)
		evbuffer_add(out, "0\r\n\r\n", 5);
}
