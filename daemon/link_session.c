/* SPDX-License-Identifier: MIT */
/*
 * link_session - the session of a dialling link's connection (SPEC 11;
 * the life of the link is link_client.c's).  See link_client.c's comment
 * for the handshake and why answers are NOREPLY and unordered while our
 * own writes go out of band; here each answer from the other end is
 * paired with what it is for (struct lc_exp, in the order written), its
 * call pushes are dispatched here (admitted by the export list, not
 * auth) and answered through link_frame_writer, our calls of its
 * commands are written, and publishes cross in both directions.
 *
 * L4, on worker 0's thread.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "conn.h"
#include "convert.h"
#include "describe.h"
#include "dispatch.h"
#include "env.h"
#include "link_call.h"
#include "link_client_int.h"
#include "link_frame.h"
#include "links.h"
#include "log.h"
#include "pubsub.h"
#include "registry.h"
#include "reply.h"
#include "resp3.h"
#include "resp_reply.h"
#include "util.h"

/* Pushes an expectation; returns 0 or -1 (out of memory). */
static int
lc_expect(struct lc_sess *s, int kind, struct link_job *job)
{
	struct lc_exp *v;
	size_t i, cap;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 16;
		if ((v = calloc(cap, sizeof(*v))) == NULL)
			return -1;
		for (i = 0; i < s->n; i++)
			v[i] = s->exp[(s->head + i) % s->cap];
		free(s->exp);
		s->exp = v;
		s->cap = cap;
		s->head = 0;
	}
	s->exp[(s->head + s->n) % s->cap].kind = kind;
	s->exp[(s->head + s->n) % s->cap].job = job;
	s->n++;
	return 0;
}

/* Pops the oldest expectation into *e; returns -1 when there is none. */
static int
lc_expected(struct lc_sess *s, struct lc_exp *e)
{
	if (s->n == 0)
		return -1;
	*e = s->exp[s->head];
	s->head = (s->head + 1) % s->cap;
	s->n--;
	return 0;
}
/* Writes one command of text words, expecting an answer of kind. */
int
lc_send_words(struct conn *c, int kind, int n, const char *const *words)
{
	struct lc_sess *s = c->sess;
	struct evbuffer *out;
	int i;

	if (lc_expect(s, kind, NULL) == -1 ||
	    (out = conn_oob_buffer(c)) == NULL)
		return -1;
	resp_add_array(out, (size_t)n);
	for (i = 0; i < n; i++)
		resp_add_bulk(out, words[i], strlen(words[i]));
	conn_push(c);
	return 0;
}

/* Writes LINK <verb> (the verb as msgpack), expecting kind. */
static int
lc_send_link(struct conn *c, int kind, const char *verb)
{
	struct evbuffer *out;

	if (lc_expect(c->sess, kind, NULL) == -1 ||
	    (out = conn_oob_buffer(c)) == NULL)
		return -1;
	LINK_FRAME_LIT(out, "*2\r\n$4\r\nLINK\r\n");
	link_frame_mp_cstr(out, verb);
	conn_push(c);
	return 0;
}

/* describe_filter.shows: a plugin command the link (arg) exports. */
static int
lc_exported(const void *arg, const struct command *cmd)
{
	const struct node_link *nl = arg;
	size_t k;

	if (cmd->plugin == NULL)
		return 0;
	for (k = 0; k < nl->cfg.nexports; k++)
		if (util_glob_match(nl->cfg.exports[k],
		        strlen(nl->cfg.exports[k]), cmd->name, cmd->namelen))
			return 1;
	return 0;
}

/* LINK REGISTER <as> <the JSON descriptors of what we export>. */
static int
lc_send_register(struct conn *c, struct node_link *nl)
{
	struct lc_sess *s = c->sess;
	struct registry *reg = env_registry(c->env);
	struct describe_filter f = {lc_exported, nl, NULL, 0};
	struct evbuffer *json, *out;
	msgpack_sbuffer sb; /* owned here: the descriptors, packed */
	msgpack_unpacked u;
	msgpack_packer pk;
	struct duet_err err;
	int rv = -1;

	/* Not s->tmp: the answer that brought us here points into it. */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	describe_commands(&pk, reg, &f);
	msgpack_unpacked_init(&u);
	if ((json = evbuffer_new()) == NULL ||
	    msgpack_unpack_next(&u, sb.data, sb.size, NULL) !=
	        MSGPACK_UNPACK_SUCCESS ||
	    convert_msgpack_to_json(json, &u.data, SIZE_MAX, &err) == -1 ||
	    lc_expect(s, LC_EXP_REGISTER, NULL) == -1 ||
	    (out = conn_oob_buffer(c)) == NULL)
		goto done;
	LINK_FRAME_LIT(out, "*4\r\n$4\r\nLINK\r\n");
	link_frame_mp_cstr(out, "REGISTER");
	link_frame_mp_cstr(out, nl->cfg.as);
	link_frame_mp(
	    out, 0, evbuffer_pullup(json, -1), evbuffer_get_length(json));
	conn_push(c);
	rv = 0;
done:
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	if (json != NULL)
		evbuffer_free(json);
	return rv;
}

/* Writes the calls queued on l (its worker's mailbox kick). */
static void
lc_deliver(struct mail *m, unsigned kicks)
{
	struct link *l =
	    (struct link *)((char *)m - offsetof(struct link, mail));
	struct node_link *nl = l->owner;
	struct link_jobs jobs = TAILQ_HEAD_INITIALIZER(jobs);
	struct link_job *job;
	struct lc_sess *s;
	struct evbuffer *out;
	msgpack_unpacked u;
	uint32_t i, n;

	(void)kicks;
	if (nl == NULL || nl->c == NULL || link_take(l, &jobs) == 0)
		return;
	s = nl->c->sess;
	msgpack_unpacked_init(&u);
	while ((job = TAILQ_FIRST(&jobs)) != NULL) {
		TAILQ_REMOVE(&jobs, job, entry);
		if (msgpack_unpack_next(&u, job->args, job->arglen, NULL) !=
		        MSGPACK_UNPACK_SUCCESS ||
		    lc_expect(s, LC_EXP_CALL, job) == -1 ||
		    (out = conn_oob_buffer(nl->c)) == NULL) {
			link_call_unsent(l, job);
			continue;
		}
		/* Trailing absent arguments are left out. */
		for (n = u.data.via.array.size; n > 0 &&
		     u.data.via.array.ptr[n - 1].type == MSGPACK_OBJECT_NIL;
		     n--)
			;
		resp_add_array(out, (size_t)n + 1);
		resp_add_bulk(out, job->name, job->namelen);
		for (i = 0; i < n; i++) {
			msgpack_packer pk;

			msgpack_sbuffer_clear(&s->tmp);
			msgpack_packer_init(
			    &pk, &s->tmp, msgpack_sbuffer_write);
			msgpack_pack_object(&pk, u.data.via.array.ptr[i]);
			resp_add_bulk(out, s->tmp.data, s->tmp.size);
		}
	}
	msgpack_unpacked_destroy(&u);
	conn_push(nl->c);
}

/* pubsub_sink.deliver: PUBLISH the message on the link, if it is up. */
static void
lc_out_deliver(struct pubsub_sub *sub, struct pubsub_delivery *d)
{
	struct node_link *nl = sub->arg;
	struct evbuffer *out;

	if (nl->state != LC_UP || nl->c == NULL ||
	    lc_expect(nl->c->sess, LC_EXP_PUBLISH, NULL) == -1 ||
	    (out = conn_oob_buffer(nl->c)) == NULL)
		return;
	LINK_FRAME_LIT(out, "*3\r\n$7\r\nPUBLISH\r\n");
	link_frame_mp(out, 0, d->msg->channel, d->msg->chlen);
	resp_add_bulk(out, d->msg->value, d->msg->vlen);
}

/* pubsub_sink.flush: writes what was forwarded. */
static void
lc_out_flush(struct pubsub_sub *sub)
{
	struct node_link *nl = sub->arg;

	if (nl->c != NULL)
		conn_push(nl->c);
}

const struct pubsub_sink lc_out_sink = {
    .deliver = lc_out_deliver,
    .flush = lc_out_flush,
};

/* PSUBSCRIBE to channels_in on the link (answered by push frames). */
static void
lc_subscribe_in(struct node_link *nl)
{
	struct evbuffer *out;
	size_t i;

	struct lc_sess *s;

	if (nl->cfg.nchannels_in == 0 || (out = conn_oob_buffer(nl->c)) == NULL)
		return;
	s = nl->c->sess;
	if (lc_expect(s, LC_EXP_SUBSCRIBE, NULL) == -1)
		return;
	s->exp[(s->head + s->n - 1) % s->cap].n = nl->cfg.nchannels_in;
	evbuffer_add_printf(
	    out, "*%zu\r\n$10\r\nPSUBSCRIBE\r\n", nl->cfg.nchannels_in + 1);
	for (i = 0; i < nl->cfg.nchannels_in; i++)
		link_frame_mp_cstr(out, nl->cfg.channels_in[i]);
	conn_push(nl->c);
}

/* The answer to LINK COMMANDS (the other end's descriptors): nl is up. */
static void
lc_up(struct node_link *nl, const msgpack_object *descriptors)
{
	static const msgpack_object none = {.type = MSGPACK_OBJECT_ARRAY};
	struct link *l = link_new(nl->cfg.name, LINK_SIDE_NODE);
	struct duet_err err;

	if (l == NULL) {
		lc_fail(nl, "out of memory");
		return;
	}
	if (link_set_commands(l, descriptors != NULL ? descriptors : &none,
	        nl->cfg.imports, nl->cfg.nimports, link_call_forward,
	        &err) == -1) {
		link_unref(l);
		lc_fail(nl, "cannot import its commands: %s", err.msg);
		return;
	}
	if (link_publish(l, nl->link) == -1) {
		link_unref(l);
		lc_fail(nl, "out of memory");
		return;
	}
	link_unref(nl->link);
	nl->link = l;
	l->owner = nl;
	link_up(l, &nl->env->mailbox, lc_deliver, nl->cfg.connect);
	nl->state = LC_UP;
	nl->backoff_ms = LC_BACKOFF_MIN_MS;
	nl->missed = 0;
	event_add(nl->timer, &(struct timeval){LC_HEARTBEAT_MS / 1000, 0});
	nl->publish_refused = 0;
	lc_subscribe_in(nl);
	log_info("link %s up: %s as %s, %zu command(s) imported", nl->cfg.name,
	    nl->cfg.connect, nl->cfg.as, l->ncommands);
}

/* The text of an error reply packed as str in o. */
static void
lc_error_text(const msgpack_object *o, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s",
	    o->type == MSGPACK_OBJECT_STR ? (int)o->via.str.size : 0,
	    o->type == MSGPACK_OBJECT_STR ? o->via.str.ptr : "");
}

/* Splits "CODE message" into code (up to 63 bytes) and the message. */
static const char *
lc_error_split(const char *text, char *code, size_t len)
{
	size_t n = strcspn(text, " ");

	snprintf(code, len, "%.*s", (int)(n < len ? n : len - 1), text);
	return text[n] == ' ' ? text + n + 1 : "";
}

/* The bytes of a bulk answer (packed as bin), or NULL. */
static const char *
lc_bulk_of(const msgpack_object *o, size_t *len)
{
	if (o->type == MSGPACK_OBJECT_BIN) {
		*len = o->via.bin.size;
		return o->via.bin.ptr;
	}
	*len = 0;
	return NULL;
}

/* The answer o (of kind) to the expectation e.  Returns -1: c was freed. */
static int
lc_answer(struct conn *c, const struct lc_exp *e, enum resp3_kind kind,
    const msgpack_object *o)
{
	struct lc_sess *s = c->sess;
	struct node_link *nl = s->nl;
	const char *words[3], *mp, *msg;
	char text[512], code[64];
	msgpack_unpacked u;
	size_t len;

	if (kind == RESP3_ERROR)
		lc_error_text(o, text, sizeof(text));
	switch (e->kind) {
	case LC_EXP_HELLO:
	case LC_EXP_ENCODING:
	case LC_EXP_REGISTER:
		if (kind == RESP3_ERROR) {
			lc_fail(nl, "%s refused: %s",
			    e->kind == LC_EXP_REGISTER ? "LINK REGISTER"
			                               : "login",
			    text);
			return -1;
		}
		if (e->kind == LC_EXP_HELLO) {
			words[0] = "CLIENT";
			words[1] = "ENCODING";
			words[2] = "MSGPACK";
			return lc_send_words(c, LC_EXP_ENCODING, 3, words);
		}
		if (e->kind == LC_EXP_ENCODING)
			return lc_send_register(c, nl);
		if (nl->cfg.nimports == 0) {
			lc_up(nl, NULL);
			return nl->c == NULL ? -1 : 0;
		}
		return lc_send_link(c, LC_EXP_COMMANDS, "COMMANDS");
	case LC_EXP_COMMANDS:
		if (kind == RESP3_ERROR || (mp = lc_bulk_of(o, &len)) == NULL) {
			lc_fail(nl, "LINK COMMANDS refused: %s",
			    kind == RESP3_ERROR ? text : "not msgpack");
			return -1;
		}
		msgpack_unpacked_init(&u);
		if (msgpack_unpack_next(&u, mp, len, NULL) !=
		    MSGPACK_UNPACK_SUCCESS) {
			msgpack_unpacked_destroy(&u);
			lc_fail(nl, "LINK COMMANDS: not msgpack");
			return -1;
		}
		lc_up(nl, &u.data);
		msgpack_unpacked_destroy(&u);
		return nl->c == NULL ? -1 : 0;
	case LC_EXP_PING:
		return 0;
	case LC_EXP_PUBLISH:
		if (kind == RESP3_ERROR && !nl->publish_refused) {
			nl->publish_refused = 1;
			log_warnx("link %s: the other end refuses our "
			          "channels_out publishes: %s (logged once)",
			    nl->cfg.name, text);
		}
		return 0;
	case LC_EXP_SUBSCRIBE:
		/* Only an error answers it here (success is pushes). */
		log_warnx("link %s: the other end refuses our channels_in: %s",
		    nl->cfg.name, kind == RESP3_ERROR ? text : "?");
		return 0;
	default: /* LC_EXP_CALL */
		if (kind == RESP3_ERROR) {
			msg = lc_error_split(text, code, sizeof(code));
			link_call_error(nl->link, e->job, code, msg);
		} else if ((mp = lc_bulk_of(o, &len)) != NULL) {
			link_call_answer(nl->link, e->job, mp, len);
		} else {
			link_call_error(nl->link, e->job, "ERR",
			    "the link answered with no value");
		}
		return 0;
	}
}

/* Whether name (len bytes) is a plugin command nl exports. */
static int
lc_exports(const struct node_link *nl, const char *name, size_t len,
    struct registry *reg)
{
	const struct command *cmd = registry_lookup(reg, name, len);

	return cmd != NULL && lc_exported(nl, cmd);
}

/*
 * A message of the other end on one of our channels_in patterns: published
 * here, never sent back over the link (origin: the link's own sink).
 */
static void
lc_message_in(struct node_link *nl, const msgpack_object *channel,
    const msgpack_object *value)
{
	size_t clen = 0, vlen = 0;
	const char *ch = lc_bulk_of(channel, &clen);
	const char *mp = lc_bulk_of(value, &vlen);
	struct duet_err err;
	size_t used;

	if (ch == NULL || mp == NULL ||
	    convert_msgpack_check(mp, vlen, CONVERT_MAX_NESTING, &used, &err) ==
	        -1 ||
	    used != vlen)
		return;
	pubsub_publish_from(ch, clen, mp, vlen, nl);
}

/*
 * Unpacks a call's arguments into s->zone: 0, or -1 when they are not a
 * msgpack array.  Bytes after the array are ignored, as
 * msgpack_unpack_next() ignores them.
 */
static int
lc_call_args(
    struct lc_sess *s, const struct resp3_call *call, msgpack_object *args)
{
	size_t off = 0;

	switch (
	    msgpack_unpack(call->args, call->arglen, &off, &s->zone, args)) {
	case MSGPACK_UNPACK_SUCCESS:
	case MSGPACK_UNPACK_EXTRA_BYTES:
		return args->type == MSGPACK_OBJECT_ARRAY ? 0 : -1;
	default:
		return -1;
	}
}

/*
 * The other end's call of one of our commands (a call push): runs it here
 * if the link exports it, and answers (link_frame_writer: the id is the
 * reply's tag).  The name and arguments are borrowed for the call.
 */
static void
lc_call(struct conn *c, const struct resp3_call *call)
{
	struct lc_sess *s = c->sess;
	struct node_link *nl = s->nl;
	struct registry *reg = env_registry(c->env);
	struct request req;
	struct duet_err err;
	msgpack_object args;

	atomic_fetch_add(&nl->link->stats.calls_in, 1);
	s->tag = call->id;
	if (reg == NULL || !lc_exports(nl, call->name, call->namelen, reg)) {
		util_err_set(&err, "ERR", "unknown command '%.*s'",
		    (int)(call->namelen > 64 ? 64 : call->namelen), call->name);
		conn_reply_error(c, &err);
		return;
	}
	if (lc_call_args(s, call, &args) == -1) {
		msgpack_zone_clear(&s->zone);
		conn_reply_fail(
		    c, 400, "the arguments are not a msgpack array");
		return;
	}
	memset(&req, 0, sizeof(req));
	req.name = call->name;
	req.namelen = call->namelen;
	req.kind = REQUEST_OBJECT;
	req.body = &args;
	req.linked = 1;
	(void)dispatch_request(c, &req);
	/* Only the zone's first chunk stays: memory bounded per link. */
	msgpack_zone_clear(&s->zone);
}

/*
 * A push frame that resp3_read_call() did not take: ["call", id, name,
 * msgpack args] runs the command here and answers it (lc_call); a
 * message on one of our channels_in is published; others are ignored.
 * Returns -1 if c was freed.
 */
static int
lc_push(struct conn *c, const msgpack_object *o)
{
	struct lc_sess *s = c->sess;
	struct node_link *nl = s->nl;
	const msgpack_object *v = o->via.array.ptr;
	struct resp3_call call;

	if (o->via.array.size == 4 && v[0].type == MSGPACK_OBJECT_BIN &&
	    v[0].via.bin.size == 8 &&
	    memcmp(v[0].via.bin.ptr, "pmessage", 8) == 0) {
		lc_message_in(nl, &v[2], &v[3]);
		return 0;
	}
	/* A confirmation of our PSUBSCRIBE takes the place of its answer. */
	if (o->via.array.size == 3 && v[0].type == MSGPACK_OBJECT_BIN &&
	    v[0].via.bin.size == 10 &&
	    memcmp(v[0].via.bin.ptr, "psubscribe", 10) == 0) {
		if (s->n > 0 && s->exp[s->head].kind == LC_EXP_SUBSCRIBE &&
		    --s->exp[s->head].n == 0)
			lc_expected(s, &(struct lc_exp){0});
		return 0;
	}
	if (o->via.array.size != 4 || v[0].type != MSGPACK_OBJECT_BIN ||
	    v[0].via.bin.size != 4 || memcmp(v[0].via.bin.ptr, "call", 4) != 0)
		return 0;
	if (v[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    v[2].type != MSGPACK_OBJECT_BIN ||
	    (call.args = lc_bulk_of(&v[3], &call.arglen)) == NULL) {
		lc_fail(nl, "a malformed call push");
		return -1;
	}
	call.id = v[1].via.u64;
	call.name = v[2].via.bin.ptr;
	call.namelen = v[2].via.bin.size;
	lc_call(c, &call);
	return 0;
}

/* conn_proto.serve: every whole answer and push in in. */
static int
lc_serve(struct conn *c, struct evbuffer *in)
{
	static const struct resp3_limits lim = {0, 0, 0};
	struct lc_sess *s = c->sess;
	struct resp3_call call;
	enum resp3_kind kind;
	msgpack_unpacked u;
	msgpack_packer pk;
	struct lc_exp e;
	char err[128];
	ssize_t n;
	size_t len;

	msgpack_unpacked_init(&u);
	while (!c->closing && (len = evbuffer_get_length(in)) > 0) {
		const char *p = (const char *)evbuffer_pullup(in, -1);

		/* A whole call push, read in place: its bytes stay in in
		 * until the call has run. */
		if ((n = resp3_read_call(p, len, &call)) > 0) {
			s->nl->missed = 0;
			lc_call(c, &call);
			evbuffer_drain(in, (size_t)n);
			continue;
		}
		msgpack_sbuffer_clear(&s->tmp);
		msgpack_packer_init(&pk, &s->tmp, msgpack_sbuffer_write);
		if ((n = resp3_read(
		         p, len, &lim, &kind, &pk, err, sizeof(err))) == 0)
			break;
		if (n < 0 ||
		    msgpack_unpack_next(&u, s->tmp.data, s->tmp.size, NULL) !=
		        MSGPACK_UNPACK_SUCCESS) {
			lc_fail(s->nl, "protocol error: %s", err);
			goto freed;
		}
		/* The bytes stay until the answer is handled: u points
		 * into tmp, not into in. */
		evbuffer_drain(in, (size_t)n);
		s->nl->missed = 0;
		if (kind == RESP3_PUSH) {
			if (lc_push(c, &u.data) == -1)
				goto freed;
			continue;
		}
		if (lc_expected(s, &e) == -1) {
			lc_fail(s->nl, "an answer to nothing");
			goto freed;
		}
		if (lc_answer(c, &e, kind, &u.data) == -1)
			goto freed;
		if (conn_check_output(c) == -1)
			goto freed;
	}
	msgpack_unpacked_destroy(&u);
	return 0;
freed:
	msgpack_unpacked_destroy(&u);
	return -1;
}

static int
lc_midway(const struct conn *c)
{
	(void)c;
	return 0;
}

static void
lc_timeout(struct conn *c)
{
	conn_free(c);
}

static uint64_t
lc_reply_tag(const struct conn *c)
{
	const struct lc_sess *s = c->sess;

	return s->tag;
}

int
lc_start(struct conn *c)
{
	struct lc_sess *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -1;
	if (!msgpack_zone_init(&s->zone, LC_ZONE_CHUNK)) {
		free(s);
		return -1;
	}
	msgpack_sbuffer_init(&s->tmp);
	c->sess = s;
	return 0;
}

/* The link's conn is being freed: the link is down; redial later. */
static void
lc_fini(struct conn *c)
{
	struct lc_sess *s = c->sess;
	struct node_link *nl = s->nl;
	struct link_jobs unsent = TAILQ_HEAD_INITIALIZER(unsent);
	struct lc_exp e;
	size_t dropped = 0;

	while (lc_expected(s, &e) == 0) {
		if (e.job != NULL) {
			link_call_dropped(nl->link, e.job);
			dropped++;
		}
	}
	free(s->exp);
	msgpack_zone_destroy(&s->zone);
	msgpack_sbuffer_destroy(&s->tmp);
	free(s);
	c->sess = NULL;
	if (nl == NULL)
		return;
	nl->c = NULL;
	link_down(nl->link, NULL, &unsent);
	link_call_unsent_all(nl->link, &unsent);
	if (!nl->failed)
		lc_why(nl,
		    nl->state == LC_UP
		        ? "connection closed by the other end"
		        : "connection closed before the login finished");
	if (nl->state == LC_UP)
		log_info("link %s down (%zu call(s) in flight)", nl->cfg.name,
		    dropped);
	nl->state = LC_WAITING;
	event_del(nl->timer);
	lc_schedule(nl, nl->backoff_ms);
}

const struct conn_proto lc_proto = {
    .name = "link",
    .http = 0,
    .writer = &link_frame_writer,
    .sniff = NULL,
    .start = lc_start,
    .serve = lc_serve,
    .midway = lc_midway,
    .timeout = lc_timeout,
    .fini = lc_fini,
    .reply_tag = lc_reply_tag,
    .unordered = 1,
};
