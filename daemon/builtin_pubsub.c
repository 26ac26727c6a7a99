/* SPDX-License-Identifier: MIT */
/*
 * builtin_pubsub - Redis's pub/sub commands over RESP (SPEC section 10):
 * PUBLISH, SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, and the
 * RESP subscriber that pubsub.c delivers messages to.
 *
 * Replies and messages are Redis 7's byte for byte: an array per channel
 * in RESP2 (and subscribed mode, enforced by resp_session), a push frame
 * in RESP3.  A message's payload is one bulk string: a string or bytes
 * value as it is, anything else as its JSON text; under CLIENT ENCODING
 * json or msgpack, the value in that encoding.  Each of those forms is
 * made once per message and worker (pubsub_form), then copied, or for a
 * large one referenced, into each subscriber's output.
 *
 * Layer L4 (sessions): the subscriber lives in the RESP session.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "builtin_admin.h"
#include "builtin_link.h"
#include "builtin_pubsub.h"
#include "call.h"
#include "conn.h"
#include "convert.h"
#include "dispatch.h"
#include "env.h"
#include "log.h"
#include "registry.h"
#include "pubsub.h"
#include "resp_reply.h"
#include "resp_session.h"
#include "util.h"

/* Forms at least this long are added to outputs by reference. */
#define PUBSUB_REF_MIN (16 * 1024)

/* The form kinds of RESP (pubsub_form): 0-3 and 6-7; HTTP has 4-5. */
enum {
	FORM_RESP2 = 0,
	FORM_RESP3 = 1,
	FORM_RESP2_JSON = 2,
	FORM_RESP3_JSON = 3,
	FORM_RESP2_MSGPACK = 6,
	FORM_RESP3_MSGPACK = 7,
};

/*
 * Appends m's value as the payload bulk: encoding CONN_ENC_MSGPACK its
 * msgpack bytes; CONN_ENC_JSON its JSON text; otherwise a string or
 * bytes as it is, and any other value as JSON.  Returns 0 or -1.
 */
static int
pubsub_payload(const struct pubsub_msg *m, int encoding, struct evbuffer *out)
{
	msgpack_unpacked up;
	struct evbuffer *json;
	struct duet_err err;
	msgpack_object o;
	size_t len;
	int rv = -1;

	if (encoding == CONN_ENC_MSGPACK) {
		resp_add_bulk(out, m->value, m->vlen);
		return 0;
	}
	if (encoding == CONN_ENC_NATIVE &&
	    convert_unpack_scalar(m->value, m->vlen, &o) == 0 &&
	    (o.type == MSGPACK_OBJECT_STR || o.type == MSGPACK_OBJECT_BIN)) {
		resp_add_bulk(out, o.via.str.ptr, o.via.str.size);
		return 0;
	}
	if ((json = evbuffer_new()) == NULL)
		return -1;
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, m->value, m->vlen, NULL) ==
	        MSGPACK_UNPACK_SUCCESS &&
	    convert_msgpack_to_json(json, &up.data, SIZE_MAX, &err) == 0) {
		len = evbuffer_get_length(json);
		resp_add_bulk_head(out, len);
		evbuffer_add_buffer(out, json);
		evbuffer_add(out, "\r\n", 2);
		rv = 0;
	}
	msgpack_unpacked_destroy(&up);
	evbuffer_free(json);
	return rv;
}

/* A message frame: [p]message [pattern] channel payload. */
static int
pubsub_frame(const struct pubsub_delivery *d, struct evbuffer *out, int resp3,
    int encoding)
{
	if (d->pattern != NULL) {
		resp_add_push(out, 4, resp3);
		resp_add_bulk(out, "pmessage", 8);
		resp_add_bulk(out, d->pattern, d->patlen);
	} else {
		resp_add_push(out, 3, resp3);
		resp_add_bulk(out, "message", 7);
	}
	resp_add_bulk(out, d->msg->channel, d->msg->chlen);
	return pubsub_payload(d->msg, encoding, out);
}

#define PUBSUB_ENCODER(fn, resp3, enc)                                         \
	static int fn(const struct pubsub_delivery *d, struct evbuffer *out)   \
	{                                                                      \
		return pubsub_frame(d, out, resp3, enc);                       \
	}
PUBSUB_ENCODER(pubsub_enc_resp2, 0, CONN_ENC_NATIVE)
PUBSUB_ENCODER(pubsub_enc_resp3, 1, CONN_ENC_NATIVE)
PUBSUB_ENCODER(pubsub_enc_resp2_json, 0, CONN_ENC_JSON)
PUBSUB_ENCODER(pubsub_enc_resp3_json, 1, CONN_ENC_JSON)
PUBSUB_ENCODER(pubsub_enc_resp2_msgpack, 0, CONN_ENC_MSGPACK)
PUBSUB_ENCODER(pubsub_enc_resp3_msgpack, 1, CONN_ENC_MSGPACK)

/*
 * pubsub_sink.deliver: c's form of the message, appended behind
 * whatever c owes (in order with replies).
 */
static void
sink_deliver(struct pubsub_sub *sub, struct pubsub_delivery *d)
{
	struct conn *c = sub->arg;
	struct evbuffer *form, *out;
	pubsub_encode_fn fn;
	int kind;
	size_t len;

	switch (c->encoding) {
	case CONN_ENC_JSON:
		kind = c->resp3 ? FORM_RESP3_JSON : FORM_RESP2_JSON;
		fn = c->resp3 ? pubsub_enc_resp3_json : pubsub_enc_resp2_json;
		break;
	case CONN_ENC_MSGPACK:
		kind = c->resp3 ? FORM_RESP3_MSGPACK : FORM_RESP2_MSGPACK;
		fn = c->resp3 ? pubsub_enc_resp3_msgpack
		              : pubsub_enc_resp2_msgpack;
		break;
	default:
		kind = c->resp3 ? FORM_RESP3 : FORM_RESP2;
		fn = c->resp3 ? pubsub_enc_resp3 : pubsub_enc_resp2;
		break;
	}
	if ((form = pubsub_form(d, kind, fn)) == NULL ||
	    (out = conn_reply_buffer(c)) == NULL)
		return;
	len = evbuffer_get_length(form);
	if (len < PUBSUB_REF_MIN)
		evbuffer_add(out, evbuffer_pullup(form, -1), len);
	else
		evbuffer_add_buffer_reference(out, form);
}

/*
 * pubsub_sink.flush: writes what c got; drops c when its unsent output
 * is over limits.max_pubsub_output (the publishers never wait).
 */
static void
sink_flush(struct pubsub_sub *sub)
{
	struct conn *c = sub->arg;
	uint64_t max = c->env->limits.max_pubsub_output;

	conn_reply_done(c);
	if (conn_unsent(c) <= max)
		return;
	log_warnx("client %" PRIu64 " (%s) dropped: pub/sub output over "
	          "%" PRIu64 " bytes",
	    c->id, c->peer, max);
	pubsub_dropped();
	conn_free(c);
}

const struct pubsub_sink builtin_pubsub_sink = {
    .deliver = sink_deliver,
    .flush = sink_flush,
};

/*
 * Whether c is in RESP2's subscribed mode: subscribed to something, so
 * only the pub/sub commands, PING, QUIT and RESET may run.
 */
int
builtin_pubsub_subscribed(struct conn *c)
{
	struct pubsub_sub *sub;

	if (c->resp3 || (sub = resp_session_sub(c, NULL)) == NULL)
		return 0;
	return pubsub_count(sub) > 0;
}

/*
 * PING in RESP2's subscribed mode: Redis answers ["pong", message].
 */
void
builtin_pubsub_ping(duet_call *call)
{
	struct evbuffer *out;
	const char *s = "";
	size_t len = 0;

	if (duet_arg_present(call, 0))
		s = duet_obj_bytes(duet_arg(call, 0), &len);
	if ((out = conn_reply_buffer(call->conn)) == NULL)
		return;
	resp_add_array(out, 2);
	resp_add_bulk(out, "pong", 4);
	resp_add_bulk(out, s != NULL ? s : "", s != NULL ? len : 0);
	call->answered = 1;
	conn_reply_done(call->conn);
}

/* One subscribe / unsubscribe confirmation: [kind, name|null, count]. */
static void
pubsub_confirm(struct evbuffer *out, int resp3, const char *kind,
    const char *name, size_t len, size_t count)
{
	resp_add_push(out, 3, resp3);
	resp_add_bulk(out, kind, strlen(kind));
	if (name != NULL)
		resp_add_bulk(out, name, len);
	else
		resp_add_null(out, resp3);
	resp_add_int(out, (int64_t)count);
}

/*
 * SUBSCRIBE / PSUBSCRIBE: every name is checked against the user's
 * channel rules first (one refused: none subscribed), then each is
 * confirmed with the count after it.
 */
static void
cmd_subscribe(duet_call *call, int pattern)
{
	const char *kind = pattern ? "psubscribe" : "subscribe";
	uint32_t i, n = builtin_admin_nrest(call, 0);
	struct conn *c = call->conn;
	struct pubsub_sub *sub;
	struct evbuffer *out;
	struct duet_err err;
	const char *name;
	size_t len;

	for (i = 0; i < n; i++) {
		name = builtin_admin_rest(call, 0, i, &len);
		if (dispatch_channel_admit(c, name, len, pattern, &err) == -1) {
			duet_reply_error_status(
			    call, err.status, err.code, "%s", err.msg);
			return;
		}
	}
	if ((sub = resp_session_sub(c, &builtin_pubsub_sink)) == NULL ||
	    (out = conn_reply_buffer(c)) == NULL) {
		duet_reply_error(call, "ERR", "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		name = builtin_admin_rest(call, 0, i, &len);
		if (pubsub_subscribe(sub, pattern, name, len) == -1)
			log_warnx("client %" PRIu64 " (%s): out of memory "
			          "subscribing",
			    c->id, c->peer);
		pubsub_confirm(
		    out, c->resp3, kind, name, len, pubsub_count(sub));
	}
	conn_set_idle_exempt(c, pubsub_count(sub) > 0);
	call->answered = 1;
	conn_reply_done(c);
}

/*
 * UNSUBSCRIBE / PUNSUBSCRIBE: the names given, or every subscription of
 * the kind (one confirmation with a null name when there is none).
 */
static void
cmd_unsubscribe(duet_call *call, int pattern)
{
	const char *kind = pattern ? "punsubscribe" : "unsubscribe";
	uint32_t i, n = builtin_admin_nrest(call, 0);
	struct conn *c = call->conn;
	struct pubsub_sub *sub = resp_session_sub(c, NULL);
	struct evbuffer *out;
	const char *name;
	size_t len;

	if ((out = conn_reply_buffer(c)) == NULL)
		return;
	if (n == 0 &&
	    (sub == NULL || pubsub_first(sub, pattern, &len) == NULL)) {
		pubsub_confirm(out, c->resp3, kind, NULL, 0,
		    sub != NULL ? pubsub_count(sub) : 0);
	}
	for (i = 0; i < n; i++) {
		name = builtin_admin_rest(call, 0, i, &len);
		if (sub != NULL)
			(void)pubsub_unsubscribe(sub, pattern, name, len);
		pubsub_confirm(out, c->resp3, kind, name, len,
		    sub != NULL ? pubsub_count(sub) : 0);
	}
	while (n == 0 && sub != NULL &&
	    (name = pubsub_first(sub, pattern, &len)) != NULL) {
		/* The name is written before it is freed. */
		resp_add_push(out, 3, c->resp3);
		resp_add_bulk(out, kind, strlen(kind));
		resp_add_bulk(out, name, len);
		(void)pubsub_unsubscribe(sub, pattern, name, len);
		resp_add_int(out, (int64_t)pubsub_count(sub));
	}
	conn_set_idle_exempt(c, sub != NULL && pubsub_count(sub) > 0);
	call->answered = 1;
	conn_reply_done(c);
}

void
builtin_subscribe(duet_call *call)
{
	cmd_subscribe(call, 0);
}

void
builtin_psubscribe(duet_call *call)
{
	cmd_subscribe(call, 1);
}

void
builtin_unsubscribe(duet_call *call)
{
	cmd_unsubscribe(call, 0);
}

void
builtin_punsubscribe(duet_call *call)
{
	cmd_unsubscribe(call, 1);
}

/*
 * PUBLISH channel message: the message as its value (a string, or bytes
 * when it is not UTF-8; a value under CLIENT ENCODING json or msgpack).
 */
void
builtin_publish(duet_call *call)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct duet_err err;
	const void *origin;
	const char *ch;
	size_t chlen;
	long n;

	ch = duet_arg_bytes(call, 0, &chlen);
	if (call->conn != NULL &&
	    dispatch_channel_admit(call->conn, ch, chlen, 0, &err) == -1) {
		duet_reply_error_status(
		    call, err.status, err.code, "%s", err.msg);
		return;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	/* From a node's link, it does not go back to that link. */
	origin = call->conn != NULL && builtin_link_is(call->conn) ? call->conn
	                                                           : NULL;
	if (msgpack_pack_object(&pk, *duet_arg(call, 1)) != 0 ||
	    (n = pubsub_publish_from(ch, chlen, sb.data, sb.size, origin)) <
	        0) {
		msgpack_sbuffer_destroy(&sb);
		duet_reply_error(call, "ERR", "out of memory");
		return;
	}
	msgpack_sbuffer_destroy(&sb);
	msgpack_pack_int64(duet_reply(call), n);
}
