/* SPDX-License-Identifier: MIT */
/*
 * http_events - publish and subscribe over HTTP (L4, part of the HTTP
 * session; SPEC section 10).  /events and /publish/ are reserved paths,
 * kept out of command routing:
 *
 * - GET /events/<channel> or GET /events?pattern=<glob>: a response that
 *   lasts as long as the client stays: 200, text/event-stream, each
 *   message an event `event: message`, `id: <n>` (from 1 on that stream)
 *   and `data: <JSON>` (the value; on a pattern stream
 *   {"channel":...,"data":value}); with Accept: application/x-ndjson one
 *   such JSON per line.  HTTP/1.1 frames it in chunks, HTTP/1.0 ends it by
 *   closing.  The conn serves nothing else afterwards: later requests on
 *   it are read and dropped, and it closes when the client goes.
 * - POST /publish/<channel> with a JSON or msgpack body, which is the
 *   value: {"receivers":N}.
 *
 * Both are admitted from the request's head (http_events_head), as the
 * commands `subscribe` and `publish` are (dispatch_admit: NOAUTH 401,
 * NOPERM 403), then by the channel rules (dispatch_channel_admit).
 *
 * A stream is a subscriber (struct pubsub_sub) with this file's sink:
 * deliver appends the event to the stream's batch, the JSON being the
 * delivery's shared form (made once per message, not per subscriber);
 * flush writes the batch as one chunk and drops a stream whose unsent
 * output passes limits.max_pubsub_output.  One timer per worker writes a
 * keep-alive comment to each of its streams every HTTP_EVENTS_KEEPALIVE_S
 * seconds. What the messages are and how they travel between workers is
 * pubsub's.
 */
#include "autoconf.h"

#include <sys/queue.h>

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <msgpack.h>

#include "conn.h"
#include "convert.h"
#include "dispatch.h"
#include "env.h"
#include "http.h"
#include "http_events.h"
#include "http_reply.h"
#include "http_session_int.h"
#include "log.h"
#include "pubsub.h"
#include "util.h"

/* pubsub_form's kinds for this file's wire forms (the others are RESP's,
 * builtin_pubsub.c). */
#define HTTP_EVENTS_FORM_VALUE   4 /* the value as JSON */
#define HTTP_EVENTS_FORM_PATTERN 5 /* {"channel":...,"data":value} */
/* Seconds between keep-alive comments. */
#define HTTP_EVENTS_KEEPALIVE_S 15
/* A form this long or shorter is copied into each stream's batch; a
 * longer one is referenced (shared, not copied). */
#define HTTP_EVENTS_COPY_MAX 4096

#define HTTP_EVENTS_CTYPE_SSE    "text/event-stream"
#define HTTP_EVENTS_CTYPE_NDJSON "application/x-ndjson"

/*
 * One event stream: an HTTP conn's subscriber, owned by its session
 * (struct http_session.events), on the conn's worker.
 */
struct http_events {
	struct pubsub_sub sub;          /* its arg is the conn */
	struct conn *c;                 /* borrowed: the conn that owns this */
	struct evbuffer *batch;         /* owned: events not yet written */
	uint64_t last_id;               /* the id of the last event sent */
	int minor;                      /* HTTP/1.minor: chunks when 1 */
	int ndjson;                     /* NDJSON lines, not SSE events */
	TAILQ_ENTRY(http_events) entry; /* in its worker's streams */
};

/* A worker's streams and the one timer that keeps them alive. */
struct http_events_worker {
	TAILQ_HEAD(, http_events) streams;
	size_t n;
	struct event timer; /* assigned while n > 0 */
	int ready;          /* streams is initialised */
};

/* Each worker runs on its own thread: its streams are its thread's. */
static _Thread_local struct http_events_worker http_events_w;

static void http_events_deliver(
    struct pubsub_sub *sub, struct pubsub_delivery *d);
static void http_events_flush(struct pubsub_sub *sub);

static const struct pubsub_sink http_events_sink = {
    .deliver = http_events_deliver,
    .flush = http_events_flush,
};

/* The stream a subscriber is embedded in. */
static struct http_events *
http_events_of(struct pubsub_sub *sub)
{
	return (struct http_events *)((char *)sub -
	    offsetof(struct http_events, sub));
}

/*
 * Which reserved path path (without its query) is: /events and
 * /events/..., /publish/...; /publish alone is the command PUBLISH.
 */
enum http_events_path
http_events_which(struct http_str path)
{
	if (path.len >= 7 && memcmp(path.ptr, "/events", 7) == 0 &&
	    (path.len == 7 || path.ptr[7] == '/'))
		return HTTP_EVENTS_STREAM;
	if (path.len >= 9 && memcmp(path.ptr, "/publish/", 9) == 0)
		return HTTP_EVENTS_PUBLISH;
	return HTTP_EVENTS_NONE;
}

/* Splits a request target into its path and its query (or ""). */
static void
http_events_split(
    struct http_str target, struct http_str *path, struct http_str *query)
{
	const char *q = memchr(target.ptr, '?', target.len);

	*path = target;
	query->ptr = "";
	query->len = 0;
	if (q == NULL)
		return;
	query->ptr = q + 1;
	query->len = target.len - (size_t)(q - target.ptr) - 1;
	path->len = (size_t)(q - target.ptr);
}

/*
 * The channel or pattern a reserved path names, still percent-encoded,
 * in *raw (*plus: decoded as a query, '+' a space); *pattern: it is a
 * pattern.  Returns 0, or -1 with *why saying what is wrong (a 400).
 */
static int
http_events_target(enum http_events_path which, struct http_str path,
    struct http_str query, struct http_str *raw, int *pattern, const char **why)
{
	size_t pre = which == HTTP_EVENTS_STREAM ? 8 : 9; /* "/events/" */
	struct http_str rest = query, name, value;
	int channel = path.len >= pre;

	*pattern = 0;
	raw->ptr = path.ptr + (channel ? pre : path.len);
	raw->len = channel ? path.len - pre : 0;
	if (which == HTTP_EVENTS_PUBLISH && query.len > 0) {
		*why = "POST /publish/<channel> takes no query";
		return -1;
	}
	while (http_query_next(&rest, &name, &value)) {
		if (name.len != 7 || memcmp(name.ptr, "pattern", 7) != 0 ||
		    *pattern) {
			*why = "GET /events takes one query parameter: pattern";
			return -1;
		}
		*pattern = 1;
		if (!channel)
			*raw = value;
	}
	if (channel && *pattern) {
		*why = "give a channel (/events/<channel>) or a pattern "
		       "(/events?pattern=<glob>), not both";
		return -1;
	}
	if (!channel && !*pattern) {
		*why = "give a channel (/events/<channel>) or a pattern "
		       "(/events?pattern=<glob>)";
		return -1;
	}
	if (raw->len == 0) {
		*why = *pattern ? "the pattern is empty"
		                : "the channel name is empty";
		return -1;
	}
	return 0;
}

/*
 * Admits c's request for a reserved path as the command it stands for
 * (subscribe, publish) is admitted: auth and command rules, with their
 * exact errors (SPEC 9.2).  Without auth every caller may.  SUBSCRIBE is
 * a built-in that acts on a RESP connection, which dispatch_admit refuses
 * over HTTP: dispatch_admit_as asks its rules alone.  Returns 0, or -1
 * after answering the refusal.
 */
static int
http_events_admit_command(struct conn *c, enum http_events_path which)
{
	return dispatch_admit_as(
	    c, which == HTTP_EVENTS_STREAM ? "subscribe" : "publish");
}

/*
 * The head of a request is in, its caller known (http_admit_head): a
 * request for a reserved path is admitted now, before its body is read
 * (SPEC 9.3): as its command, then by the channel rules for the channel
 * or pattern it names.  A target that is wrong in itself is left to
 * http_events_route (400 once the request is read).  Returns 0 (go on),
 * or -1 after answering a refusal.
 */
int
http_events_head(struct conn *c, const struct http_request *req)
{
	struct http_str path, query, raw;
	enum http_events_path which;
	struct duet_err err;
	const char *why;
	char *name;
	size_t len;
	int pattern, rv = 0;

	http_events_split(req->target, &path, &query);
	if ((which = http_events_which(path)) == HTTP_EVENTS_NONE ||
	    req->method == HTTP_M_OPTIONS)
		return 0;
	if (http_events_admit_command(c, which) == -1)
		return -1;
	if (http_events_target(which, path, query, &raw, &pattern, &why) == -1)
		return 0;
	/* Decoded into a copy: the request's target is decoded in place
	 * once it is served. */
	if ((name = malloc(raw.len)) == NULL) {
		conn_reply_fail(c, 500, "out of memory");
		return -1;
	}
	if (http_pct_decode(raw.ptr, raw.len, name, &len, pattern) == 0 &&
	    dispatch_channel_admit(c, name, len, pattern, &err) == -1) {
		conn_reply_error(c, &err);
		rv = -1;
	}
	free(name);
	return rv;
}

/*
 * pubsub_encode_fn of HTTP_EVENTS_FORM_VALUE: the message's value as
 * JSON.
 */
static int
http_events_encode_value(const struct pubsub_delivery *d, struct evbuffer *out)
{
	msgpack_unpacked up;
	struct duet_err err;
	int rv = -1;

	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, d->msg->value, d->msg->vlen, NULL) ==
	    MSGPACK_UNPACK_SUCCESS)
		rv = convert_msgpack_to_json(out, &up.data, SIZE_MAX, &err);
	msgpack_unpacked_destroy(&up);
	return rv;
}

/*
 * pubsub_encode_fn of HTTP_EVENTS_FORM_PATTERN:
 * {"channel":<the channel>,"data":<the value>}.
 */
static int
http_events_encode_pattern(
    const struct pubsub_delivery *d, struct evbuffer *out)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;
	struct duet_err err;
	int rv = -1;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&up);
	msgpack_pack_map(&pk, 2);
	convert_pack_cstr(&pk, "channel");
	msgpack_pack_str_with_body(&pk, d->msg->channel, d->msg->chlen);
	convert_pack_cstr(&pk, "data");
	/* The value is one msgpack value already: its bytes follow. */
	if (msgpack_sbuffer_write(&sb, d->msg->value, d->msg->vlen) == 0 &&
	    sb.data != NULL &&
	    msgpack_unpack_next(&up, sb.data, sb.size, NULL) ==
	        MSGPACK_UNPACK_SUCCESS)
		rv = convert_msgpack_to_json(out, &up.data, SIZE_MAX, &err);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	return rv;
}

/*
 * Appends a shared form to a stream's batch: copied when short (it then
 * shares the batch's chains), referenced when long.  form is not changed
 * (other streams read it).
 */
static void
http_events_add_form(struct evbuffer *batch, struct evbuffer *form)
{
	char buf[HTTP_EVENTS_COPY_MAX];
	size_t len = evbuffer_get_length(form);

	if (len > sizeof(buf)) {
		evbuffer_add_buffer_reference(batch, form);
		return;
	}
	if (evbuffer_copyout(form, buf, len) == (ev_ssize_t)len)
		evbuffer_add(batch, buf, len);
}

/*
 * pubsub_sink.deliver: one message as this stream's next event (an SSE
 * event with its id, or an NDJSON line), appended to its batch.  A
 * message whose JSON cannot be made is skipped.
 */
static void
http_events_deliver(struct pubsub_sub *sub, struct pubsub_delivery *d)
{
	struct http_events *ev = http_events_of(sub);
	struct evbuffer *form;

	form = d->pattern != NULL
	    ? pubsub_form(
	          d, HTTP_EVENTS_FORM_PATTERN, http_events_encode_pattern)
	    : pubsub_form(d, HTTP_EVENTS_FORM_VALUE, http_events_encode_value);
	if (form == NULL)
		return;
	if (!ev->ndjson)
		evbuffer_add_printf(ev->batch,
		    "event: message\nid: %" PRIu64 "\ndata: ", ++ev->last_id);
	http_events_add_form(ev->batch, form);
	evbuffer_add(ev->batch, "\n\n", ev->ndjson ? 1 : 2);
}

/*
 * Writes a stream's batch to its conn as one chunk (as it is on
 * HTTP/1.0), and drops the conn when the client has left more unsent
 * than the limit allows (one log line, pubsub's count).  Returns -1 if
 * the conn (and ev with it) was freed.
 */
static int
http_events_write(struct http_events *ev)
{
	struct conn *c = ev->c;
	size_t len = evbuffer_get_length(ev->batch), unsent;
	uint64_t limit = c->env->limits.max_pubsub_output;
	struct evbuffer *out;

	if (len == 0)
		return 0;
	if ((out = conn_reply_buffer(c)) == NULL) {
		evbuffer_drain(ev->batch, len);
		return 0;
	}
	if (ev->minor > 0)
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add_buffer(out, ev->batch);
	if (ev->minor > 0)
		evbuffer_add(out, "\r\n", 2);
	conn_reply_done(c);
	unsent = conn_unsent(c);
	if (unsent > limit) {
		log_warnx("client %" PRIu64 " (%s) dropped: pub/sub output "
		          "over %" PRIu64 " bytes",
		    c->id, c->peer, limit);
		pubsub_dropped();
		conn_free(c);
		return -1;
	}
	return conn_free_if_done(c);
}

/* pubsub_sink.flush: the batch of deliveries goes out (may free ev). */
static void
http_events_flush(struct pubsub_sub *sub)
{
	(void)http_events_write(http_events_of(sub));
}

/*
 * The worker's keep-alive timer: a comment line to each of its streams
 * (an empty line on NDJSON), so that proxies keep them open.
 */
static void
http_events_keepalive(evutil_socket_t fd, short what, void *arg)
{
	struct http_events_worker *w = arg;
	struct http_events *ev, *next;

	(void)fd;
	(void)what;
	for (ev = TAILQ_FIRST(&w->streams); ev != NULL; ev = next) {
		next = TAILQ_NEXT(ev, entry);
		if (ev->ndjson)
			evbuffer_add(ev->batch, "\n", 1);
		else
			evbuffer_add(ev->batch, ": keep-alive\n\n", 14);
		(void)http_events_write(ev);
	}
}

/* Adds ev to its worker's streams, starting the timer for the first. */
static void
http_events_watch(struct http_events *ev)
{
	struct http_events_worker *w = &http_events_w;
	struct timeval tv = {HTTP_EVENTS_KEEPALIVE_S, 0};

	if (!w->ready) {
		TAILQ_INIT(&w->streams);
		w->ready = 1;
	}
	TAILQ_INSERT_TAIL(&w->streams, ev, entry);
	if (w->n++ > 0)
		return;
	event_assign(&w->timer, ev->c->env->base, -1, EV_PERSIST,
	    http_events_keepalive, w);
	evtimer_add(&w->timer, &tv);
}

/* Takes ev out of its worker's streams, stopping the timer after the
 * last. */
static void
http_events_unwatch(struct http_events *ev)
{
	struct http_events_worker *w = &http_events_w;

	TAILQ_REMOVE(&w->streams, ev, entry);
	if (--w->n == 0)
		evtimer_del(&w->timer);
}

/*
 * Frees a stream (its conn is being freed): leaves its subscriptions.
 * NULL is a no-op.  On the conn's worker.
 */
void
http_events_free(struct http_events *ev)
{
	if (ev == NULL)
		return;
	pubsub_sub_fini(&ev->sub);
	if (ev->c != NULL)
		http_events_unwatch(ev);
	if (ev->batch != NULL)
		evbuffer_free(ev->batch);
	free(ev);
}

/*
 * How many channels (pattern 0) or patterns (1) stream ev (or NULL)
 * subscribes to, for CLIENT LIST.
 */
size_t
http_events_count(const struct http_events *ev, int pattern)
{
	if (ev == NULL)
		return 0;
	return pattern ? ev->sub.npatterns : ev->sub.nchannels;
}

/*
 * The headers a stream's head carries beyond http_add_head's: no caching,
 * and CORS for an allowed foreign Origin (an EventSource on another
 * page).
 */
static void
http_events_extra(const struct http_resp *ctx, char *buf, size_t len)
{
	if (ctx->origin != NULL)
		snprintf(buf, len,
		    "Cache-Control: no-cache\r\n"
		    "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n",
		    ctx->origin);
	else
		snprintf(buf, len, "Cache-Control: no-cache\r\n");
}

/*
 * GET (or HEAD) /events...: subscribes c to name (a channel, or a
 * pattern), then answers the stream's head; the subscription is live
 * when the client reads it.  *stream gets the stream.  HEAD gets the
 * head alone and subscribes to nothing.
 */
static void
http_events_start(struct conn *c, struct http_resp *ctx,
    const struct http_request *req, const char *name, size_t len, int pattern,
    struct http_events **stream)
{
	int ndjson =
	    http_media_type_is(req->accept, HTTP_EVENTS_CTYPE_NDJSON) &&
	    !http_media_type_is(req->accept, HTTP_EVENTS_CTYPE_SSE);
	const char *ctype =
	    ndjson ? HTTP_EVENTS_CTYPE_NDJSON : HTTP_EVENTS_CTYPE_SSE;
	struct http_events *ev = NULL;
	struct evbuffer *out;
	char extra[512];

	http_events_extra(ctx, extra, sizeof(extra));
	if (ctx->head) {
		if ((out = conn_reply_buffer(c)) == NULL)
			return;
		http_add_head(out, ctx->minor, 200, ctype, -1,
		    ctx->keep_alive && !c->closing, extra);
		conn_reply_done(c);
		return;
	}
	if ((ev = calloc(1, sizeof(*ev))) == NULL ||
	    (ev->batch = evbuffer_new()) == NULL) {
		free(ev);
		conn_reply_fail(c, 500, "out of memory");
		return;
	}
	pubsub_sub_init(&ev->sub, c->env, &http_events_sink, c);
	if (pubsub_subscribe(&ev->sub, pattern, name, len) == -1 ||
	    (out = conn_reply_buffer(c)) == NULL) {
		http_events_free(ev);
		conn_reply_fail(c, 500, "out of memory");
		return;
	}
	/* The stream ends only when the client goes: the connection is
	 * not kept for another request. */
	http_add_head(out, ctx->minor, 200, ctype, -1, 0, extra);
	conn_reply_done(c);
	ev->c = c;
	ev->minor = ctx->minor;
	ev->ndjson = ndjson;
	/* It waits for events: exempt from the idle timeout, as RESP
	 * subscribers are. */
	conn_set_idle_exempt(c, 1);
	http_events_watch(ev);
	*stream = ev;
}

/* {"receivers":n} as c's reply. */
static void
http_events_receivers(struct conn *c, long n)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	convert_pack_cstr(&pk, "receivers");
	msgpack_pack_long(&pk, n);
	if (conn_reply_packed(c, sb.data, sb.size) == -1)
		conn_reply_fail(c, 500, "out of memory");
	msgpack_sbuffer_destroy(&sb);
}

/*
 * POST /publish/<channel>: the body (JSON or msgpack, any one value) is
 * the value published; answers {"receivers":N}.
 */
static void
http_events_publish(
    struct conn *c, struct http_request *req, const char *channel, size_t chlen)
{
	size_t len = evbuffer_get_length(req->body), used;
	int nesting = (int)c->env->limits.max_nesting;
	struct evbuffer *packed = NULL;
	const char *p, *value;
	msgpack_packer pk;
	struct duet_err err;
	long n;

	if (len == 0) {
		conn_reply_fail(c, 400,
		    "POST /publish/<channel> needs a body: the value to "
		    "publish, as JSON or msgpack");
		return;
	}
	p = (const char *)evbuffer_pullup(req->body, -1);
	value = p;
	if (http_session_body_is_json(req->content_type)) {
		if ((packed = evbuffer_new()) == NULL) {
			conn_reply_fail(c, 500, "out of memory");
			return;
		}
		convert_packer_init(&pk, packed);
		if (convert_json_to_msgpack(&pk, p, len, nesting, &err) == -1) {
			conn_reply_fail(c, 400, "%s", err.msg);
			goto done;
		}
		len = evbuffer_get_length(packed);
		value = (const char *)evbuffer_pullup(packed, -1);
	} else if (!http_session_body_is_msgpack(req->content_type)) {
		conn_reply_fail(c, 415,
		    "a request body must be application/json or "
		    "application/msgpack");
		return;
	} else if (convert_msgpack_check(p, len, nesting, &used, &err) == -1) {
		conn_reply_fail(c, 400, "%s", err.msg);
		return;
	} else if (used != len) {
		conn_reply_fail(
		    c, 400, "trailing bytes after the msgpack value");
		return;
	}
	if ((n = pubsub_publish(channel, chlen, value, len)) < 0)
		conn_reply_fail(c, 500, "out of memory");
	else
		http_events_receivers(c, n);
done:
	if (packed != NULL)
		evbuffer_free(packed);
}

/*
 * Serves c's request for path (query: its query, or "") if path is a
 * reserved one (req borrowed; admitted from its head).  A stream begun
 * is put in *stream, which must be NULL.  Returns 0 if answered, -1 if
 * path is not reserved.
 */
int
http_events_route(struct conn *c, struct http_resp *ctx,
    struct http_request *req, struct http_str path, struct http_str query,
    struct http_events **stream)
{
	struct http_parser *p = &http_session_of(c)->parser;
	enum http_events_path which = http_events_which(path);
	struct http_str raw;
	const char *why;
	char *name;
	size_t len;
	int pattern;

	if (which == HTTP_EVENTS_NONE)
		return -1;
	if (which == HTTP_EVENTS_STREAM && req->method != HTTP_M_GET &&
	    req->method != HTTP_M_HEAD) {
		ctx->allow = "GET, HEAD";
		conn_reply_fail(c, 405, "/events answers GET and HEAD only");
		return 0;
	}
	if (which == HTTP_EVENTS_PUBLISH && req->method != HTTP_M_POST) {
		ctx->allow = "POST";
		conn_reply_fail(c, 405, "/publish/<channel> answers POST only");
		return 0;
	}
	if (which == HTTP_EVENTS_STREAM && evbuffer_get_length(req->body) > 0) {
		conn_reply_fail(c, 400, "GET /events takes no body");
		return 0;
	}
	if (http_events_target(which, path, query, &raw, &pattern, &why) ==
	    -1) {
		conn_reply_fail(c, 400, "%s", why);
		return 0;
	}
	/* Decoded in place, in the parser's copy of the head. */
	name = p->head + (raw.ptr - p->head);
	if (http_pct_decode(raw.ptr, raw.len, name, &len, pattern) == -1) {
		conn_reply_fail(
		    c, 400, "bad percent-encoding in the request target");
		return 0;
	}
	if (which == HTTP_EVENTS_STREAM)
		http_events_start(c, ctx, req, name, len, pattern, stream);
	else
		http_events_publish(c, req, name, len);
	return 0;
}
