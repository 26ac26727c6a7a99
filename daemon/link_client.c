/* SPDX-License-Identifier: MIT */
/*
 * link_client - the dialling end of links (see link_client.h).
 *
 * Every configured link is a struct node_link on worker 0.  Its life:
 * dial (non-blocking connect, then TLS if asked) -> HELLO 3 [AUTH] ->
 * CLIENT ENCODING MSGPACK -> LINK REGISTER <as> <our exported commands'
 * descriptors> -> LINK COMMANDS (what to import) -> up.  Each step is
 * written when the previous one is answered.  Up, it serves the other
 * end's calls (push frames) by dispatching them here, answering through
 * this session's writer as LINK REPLY / LINK ERROR ... NOREPLY, which the
 * other end does not answer: those answers wait in the conn's reply
 * queue (a slow command's behind it) while everything else is written
 * out of band, ahead of them: our calls of "<name>.<command>" as ordinary
 * commands, heartbeats, forwarded publishes.  The other end answers those
 * in the order they were written, so a FIFO of what each answer is for
 * (struct lc_exp) pairs them.  Down, it redials after
 * 100 ms doubling to 30 s, with +-20% jitter; every call it owed fails
 * with LINKDOWN and none is sent twice.
 *
 * L4, on worker 0's thread (but link_client_prepare, on the main thread).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/ssl.h>

#include "config.h"
#include "conn.h"
#include "convert.h"
#include "describe.h"
#include "dispatch.h"
#include "env.h"
#include "link_call.h"
#include "link_client.h"
#include "links.h"
#include "pubsub.h"
#include "log.h"
#include "registry.h"
#include "reply.h"
#include "resp3.h"
#include "tls.h"
#include "util.h"

#define LC_BACKOFF_MIN_MS 100
#define LC_BACKOFF_MAX_MS 30000
#define LC_CONNECT_MS     5000 /* a dial that takes longer failed */
#define LC_HEARTBEAT_MS   5000
#define LC_MISSED_MAX     3 /* heartbeats unanswered: down */

/* Appends a string literal, without its NUL. */
#define LC_ADD_LIT(out, lit) evbuffer_add((out), (lit), sizeof(lit) - 1)

/* What an answer from the other end is for. */
enum lc_exp_kind {
	LC_EXP_HELLO,
	LC_EXP_ENCODING,
	LC_EXP_REGISTER,
	LC_EXP_COMMANDS,
	LC_EXP_PING,
	LC_EXP_CALL,    /* our call of one of its commands */
	LC_EXP_PUBLISH, /* a publish forwarded: its count is not needed */
};

struct lc_exp {
	int kind;
	struct link_job *job; /* LC_EXP_CALL: owned */
};

enum lc_state { LC_WAITING, LC_DIALLING, LC_HANDSHAKE, LC_UP };

/* One configured link (worker 0). */
struct node_link {
	struct node_link *next;
	struct env *env;          /* borrowed: worker 0's */
	struct config_link cfg;   /* owned copy */
	struct ssl_ctx_st *tls;   /* owned reference, or NULL */
	struct link *link;        /* owned reference: the published one */
	struct conn *c;           /* while connected, else NULL */
	struct event *timer;      /* owned: redial, connect deadline, beat */
	struct event *connect_ev; /* owned while dialling */
	evutil_socket_t fd;       /* dialling: the socket, else -1 */
	int state;                /* enum lc_state */
	uint64_t backoff_ms;
	unsigned missed; /* heartbeats unanswered */
	int removed;     /* no longer configured: do not redial */
	/* our publishes on channels_out, forwarded while up (its arg is
	 * this node_link: what comes in from the link is not sent back) */
	struct pubsub_sub out;
	int out_ready;
	int failed; /* lc_why gave the reason of this drop */
};

/* The session of a link's conn (c->sess). */
struct lc_sess {
	struct node_link *nl; /* borrowed; NULL once the link let go */
	struct lc_exp *exp;   /* owned ring */
	size_t head, n, cap;
	uint64_t tag;        /* the id of the call being dispatched */
	msgpack_sbuffer tmp; /* owned: scratch */
};

/* The links of the config being applied (link_client_prepare). */
struct link_client_set {
	struct env *env;           /* borrowed: worker 0's, once applied */
	struct config_link *links; /* owned copies */
	struct ssl_ctx_st **tls;   /* owned references, NULL: plain */
	size_t n;
};

static struct node_link *lc_links; /* worker 0's */

static void lc_dial(struct node_link *nl);
static void lc_schedule(struct node_link *nl, uint64_t ms);
extern const struct conn_proto lc_proto;

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

/* A msgpack str or bin head for len bytes into buf; returns its size. */
static size_t
lc_mp_head(unsigned char *buf, int bin, size_t len)
{
	if (!bin && len < 32) {
		buf[0] = (unsigned char)(0xa0 | len);
		return 1;
	}
	if (len < 256) {
		buf[0] = bin ? 0xc4 : 0xd9;
		buf[1] = (unsigned char)len;
		return 2;
	}
	if (len < 65536) {
		buf[0] = bin ? 0xc5 : 0xda;
		buf[1] = (unsigned char)(len >> 8);
		buf[2] = (unsigned char)len;
		return 3;
	}
	buf[0] = bin ? 0xc6 : 0xdb;
	buf[1] = (unsigned char)(len >> 24);
	buf[2] = (unsigned char)(len >> 16);
	buf[3] = (unsigned char)(len >> 8);
	buf[4] = (unsigned char)len;
	return 5;
}

/* One RESP bulk holding p as a msgpack str (bin 0) or bin (bin 1). */
static void
lc_bulk_mp(struct evbuffer *out, int bin, const void *p, size_t len)
{
	unsigned char head[5];
	size_t n = lc_mp_head(head, bin, len);

	evbuffer_add_printf(out, "$%zu\r\n", n + len);
	evbuffer_add(out, head, n);
	evbuffer_add(out, p, len);
	evbuffer_add(out, "\r\n", 2);
}

static void
lc_bulk_mp_cstr(struct evbuffer *out, const char *s)
{
	lc_bulk_mp(out, 0, s, strlen(s));
}

/* One RESP bulk of the bytes p as they are. */
static void
lc_bulk(struct evbuffer *out, const void *p, size_t len)
{
	evbuffer_add_printf(out, "$%zu\r\n", len);
	evbuffer_add(out, p, len);
	evbuffer_add(out, "\r\n", 2);
}

/* The head of our answer to call id: "LINK <verb> <id>" of n words. */
static void
lc_answer_head(struct evbuffer *out, int n, const char *verb, uint64_t id)
{
	char num[24];

	evbuffer_add_printf(out, "*%d\r\n$4\r\nLINK\r\n", n);
	lc_bulk_mp_cstr(out, verb);
	snprintf(num, sizeof(num), "%" PRIu64, id);
	lc_bulk_mp_cstr(out, num);
}

/*
 * reply_writer.value: LINK REPLY <id> <the value's msgpack, as bin>
 * NOREPLY.  The other end answers nothing, so an answer written late (a
 * slow command's, in the reply queue) needs no place among the answers
 * this session waits for, and what it writes out of band goes first.
 */
static void
lc_write_value(const struct reply_enc *enc, struct evbuffer *out,
    const msgpack_object *o, const char *mp, size_t len)
{
	(void)o;
	lc_answer_head(out, 5, "REPLY", enc->tag);
	lc_bulk_mp(out, 1, mp, len);
	lc_bulk_mp_cstr(out, "NOREPLY");
}

/* reply_writer.error: LINK ERROR <id> <code> <message> NOREPLY. */
static void
lc_write_error(const struct reply_enc *enc, struct evbuffer *out,
    const struct duet_err *err)
{
	lc_answer_head(out, 6, "ERROR", enc->tag);
	lc_bulk_mp_cstr(out, err->code);
	lc_bulk_mp_cstr(out, err->msg);
	lc_bulk_mp_cstr(out, "NOREPLY");
}

/* A stream is collected: its items reach the other end as one array. */
static enum reply_stream
lc_stream_mode(const struct reply_enc *enc)
{
	(void)enc;
	return REPLY_STREAM_COLLECT;
}

static void
lc_stream_head(const struct reply_enc *enc, struct evbuffer *out)
{
	(void)enc;
	(void)out;
}

static int
lc_stream_item(const struct reply_enc *enc, struct evbuffer *body,
    struct evbuffer **scratch, const msgpack_object *o, const char *mp,
    size_t len, struct duet_err *err)
{
	(void)enc;
	(void)body;
	(void)scratch;
	(void)o;
	(void)mp;
	(void)len;
	(void)err;
	return 0;
}

static void
lc_stream_body(
    const struct reply_enc *enc, struct evbuffer *out, struct evbuffer *body)
{
	(void)enc;
	(void)out;
	(void)body;
}

static void
lc_stream_end(const struct reply_enc *enc, struct evbuffer *out,
    struct evbuffer **scratch, const struct duet_err *err)
{
	(void)scratch;
	if (err != NULL)
		lc_write_error(enc, out, err);
}

static const struct reply_writer lc_writer = {
    .value = lc_write_value,
    .error = lc_write_error,
    .stream_mode = lc_stream_mode,
    .stream_head = lc_stream_head,
    .stream_item = lc_stream_item,
    .stream_body = lc_stream_body,
    .stream_end = lc_stream_end,
};

/* Writes one command of text words, expecting an answer of kind. */
static int
lc_send_words(struct conn *c, int kind, int n, const char *const *words)
{
	struct lc_sess *s = c->sess;
	struct evbuffer *out;
	int i;

	if (lc_expect(s, kind, NULL) == -1 ||
	    (out = conn_oob_buffer(c)) == NULL)
		return -1;
	evbuffer_add_printf(out, "*%d\r\n", n);
	for (i = 0; i < n; i++)
		lc_bulk(out, words[i], strlen(words[i]));
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
	LC_ADD_LIT(out, "*2\r\n$4\r\nLINK\r\n");
	lc_bulk_mp_cstr(out, verb);
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
	msgpack_unpacked u;
	msgpack_packer pk;
	struct duet_err err;
	int rv = -1;

	msgpack_sbuffer_clear(&s->tmp);
	msgpack_packer_init(&pk, &s->tmp, msgpack_sbuffer_write);
	describe_commands(&pk, reg, &f);
	msgpack_unpacked_init(&u);
	if ((json = evbuffer_new()) == NULL ||
	    msgpack_unpack_next(&u, s->tmp.data, s->tmp.size, NULL) !=
	        MSGPACK_UNPACK_SUCCESS ||
	    convert_msgpack_to_json(json, &u.data, SIZE_MAX, &err) == -1 ||
	    lc_expect(s, LC_EXP_REGISTER, NULL) == -1 ||
	    (out = conn_oob_buffer(c)) == NULL)
		goto done;
	LC_ADD_LIT(out, "*4\r\n$4\r\nLINK\r\n");
	lc_bulk_mp_cstr(out, "REGISTER");
	lc_bulk_mp_cstr(out, nl->cfg.as);
	lc_bulk_mp(
	    out, 0, evbuffer_pullup(json, -1), evbuffer_get_length(json));
	conn_push(c);
	rv = 0;
done:
	msgpack_unpacked_destroy(&u);
	if (json != NULL)
		evbuffer_free(json);
	return rv;
}

/* Keeps why as the reason nl's link is down (GET /links, the log). */
static void
lc_why(struct node_link *nl, const char *why)
{
	pthread_mutex_lock(&nl->link->lock);
	snprintf(nl->link->error, sizeof(nl->link->error), "%s", why);
	pthread_mutex_unlock(&nl->link->lock);
	nl->failed = 1;
}

/* Logs why nl's link went or stays down, and closes its conn. */
static void lc_fail(struct node_link *nl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
lc_fail(struct node_link *nl, const char *fmt, ...)
{
	char why[sizeof(((struct link *)0)->error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	lc_why(nl, why);
	if (nl->c != NULL)
		conn_free(nl->c); /* lc_fini redials */
	else
		lc_schedule(nl, nl->backoff_ms);
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
		evbuffer_add_printf(out, "*%" PRIu32 "\r\n", n + 1);
		lc_bulk(out, job->name, job->namelen);
		for (i = 0; i < n; i++) {
			msgpack_packer pk;

			msgpack_sbuffer_clear(&s->tmp);
			msgpack_packer_init(
			    &pk, &s->tmp, msgpack_sbuffer_write);
			msgpack_pack_object(&pk, u.data.via.array.ptr[i]);
			lc_bulk(out, s->tmp.data, s->tmp.size);
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
	LC_ADD_LIT(out, "*3\r\n$7\r\nPUBLISH\r\n");
	lc_bulk_mp(out, 0, d->msg->channel, d->msg->chlen);
	lc_bulk(out, d->msg->value, d->msg->vlen);
}

/* pubsub_sink.flush: writes what was forwarded. */
static void
lc_out_flush(struct pubsub_sub *sub)
{
	struct node_link *nl = sub->arg;

	if (nl->c != NULL)
		conn_push(nl->c);
}

static const struct pubsub_sink lc_out_sink = {
    .deliver = lc_out_deliver,
    .flush = lc_out_flush,
};

/* PSUBSCRIBE to channels_in on the link (answered by push frames). */
static void
lc_subscribe_in(struct node_link *nl)
{
	struct evbuffer *out;
	size_t i;

	if (nl->cfg.nchannels_in == 0 || (out = conn_oob_buffer(nl->c)) == NULL)
		return;
	evbuffer_add_printf(
	    out, "*%zu\r\n$10\r\nPSUBSCRIBE\r\n", nl->cfg.nchannels_in + 1);
	for (i = 0; i < nl->cfg.nchannels_in; i++)
		lc_bulk_mp_cstr(out, nl->cfg.channels_in[i]);
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
	case LC_EXP_PUBLISH:
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
	size_t clen, vlen;
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
 * A push frame: ["call", id, name, msgpack args] runs the command here and
 * answers it; others are ignored.  Returns -1 if c was freed.
 */
static int
lc_push(struct conn *c, const msgpack_object *o)
{
	struct lc_sess *s = c->sess;
	struct node_link *nl = s->nl;
	const msgpack_object *v = o->via.array.ptr;
	struct registry *reg = env_registry(c->env);
	struct request req;
	msgpack_unpacked u;
	struct duet_err err;
	const char *args;
	size_t arglen;
	int rv;

	if (o->via.array.size == 4 && v[0].type == MSGPACK_OBJECT_BIN &&
	    v[0].via.bin.size == 8 &&
	    memcmp(v[0].via.bin.ptr, "pmessage", 8) == 0) {
		lc_message_in(nl, &v[2], &v[3]);
		return 0;
	}
	if (o->via.array.size != 4 || v[0].type != MSGPACK_OBJECT_BIN ||
	    v[0].via.bin.size != 4 || memcmp(v[0].via.bin.ptr, "call", 4) != 0)
		return 0;
	if (v[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    v[2].type != MSGPACK_OBJECT_BIN ||
	    (args = lc_bulk_of(&v[3], &arglen)) == NULL) {
		lc_fail(nl, "a malformed call push");
		return -1;
	}
	atomic_fetch_add(&nl->link->stats.calls_in, 1);
	s->tag = v[1].via.u64;
	if (reg == NULL ||
	    !lc_exports(nl, v[2].via.bin.ptr, v[2].via.bin.size, reg)) {
		util_err_set(&err, "ERR", "unknown command '%.*s'",
		    (int)(v[2].via.bin.size > 64 ? 64 : v[2].via.bin.size),
		    v[2].via.bin.ptr);
		conn_reply_error(c, &err);
		return 0;
	}
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, args, arglen, NULL) !=
	        MSGPACK_UNPACK_SUCCESS ||
	    u.data.type != MSGPACK_OBJECT_ARRAY) {
		msgpack_unpacked_destroy(&u);
		conn_reply_fail(
		    c, 400, "the arguments are not a msgpack array");
		return 0;
	}
	memset(&req, 0, sizeof(req));
	req.name = v[2].via.bin.ptr;
	req.namelen = v[2].via.bin.size;
	req.kind = REQUEST_OBJECT;
	req.body = &u.data;
	req.linked = 1;
	rv = dispatch_request(c, &req);
	msgpack_unpacked_destroy(&u);
	(void)rv;
	return 0;
}

/* conn_proto.serve: every whole answer and push in in. */
static int
lc_serve(struct conn *c, struct evbuffer *in)
{
	static const struct resp3_limits lim = {0, 0, 0};
	struct lc_sess *s = c->sess;
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

static int
lc_start(struct conn *c)
{
	struct lc_sess *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -1;
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
    .writer = &lc_writer,
    .sniff = NULL,
    .start = lc_start,
    .serve = lc_serve,
    .midway = lc_midway,
    .timeout = lc_timeout,
    .fini = lc_fini,
    .reply_tag = lc_reply_tag,
    .unordered = 1,
};

static const struct conn_proto *const lc_protos[] = {&lc_proto};

/* Waits ms, +-20%, then dials; the next wait doubles, up to the most. */
static void
lc_schedule(struct node_link *nl, uint64_t ms)
{
	uint32_t r;
	struct timeval tv;

	if (nl->removed || nl->env->draining)
		return;
	pthread_mutex_lock(&nl->link->lock);
	log_warnx("link %s: %s; retrying in %" PRIu64 " ms", nl->cfg.name,
	    nl->link->error, ms);
	pthread_mutex_unlock(&nl->link->lock);
	nl->failed = 0;
	evutil_secure_rng_get_bytes(&r, sizeof(r));
	ms = ms * 8 / 10 + (ms * 4 / 10) * (r % 1000) / 1000;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	nl->state = LC_WAITING;
	event_add(nl->timer, &tv);
	nl->backoff_ms *= 2;
	if (nl->backoff_ms > LC_BACKOFF_MAX_MS)
		nl->backoff_ms = LC_BACKOFF_MAX_MS;
}

/* The connected socket of nl becomes its conn; the handshake begins. */
static void
lc_attach(struct node_link *nl, const struct sockaddr *sa)
{
	struct tls_client_arg arg = {nl->tls, nl->cfg.host};
	const char *words[5] = {
	    "HELLO", "3", "AUTH", nl->cfg.user, nl->cfg.token};
	struct lc_sess *s;
	struct conn *c;
	char local[96];

	snprintf(local, sizeof(local), "link %s", nl->cfg.name);
	c = conn_new(
	    nl->env, nl->fd, sa, local, &transport_plain, lc_protos, 1);
	nl->fd = -1;
	if (c == NULL) {
		lc_fail(nl, "out of memory");
		return;
	}
	if (nl->tls != NULL &&
	    conn_start_transport(c, &transport_tls_client, &arg) == -1) {
		lc_fail(nl, "out of memory");
		return;
	}
	if (lc_start(c) == -1) {
		conn_free(c);
		lc_fail(nl, "out of memory");
		return;
	}
	c->proto = &lc_proto;
	s = c->sess;
	s->nl = nl;
	nl->c = c;
	nl->state = LC_HANDSHAKE;
	conn_set_idle_exempt(c, 1);
	event_add(nl->timer,
	    &(struct timeval){
	        LC_CONNECT_MS / 1000, (LC_CONNECT_MS % 1000) * 1000});
	if (lc_send_words(
	        c, LC_EXP_HELLO, nl->cfg.token != NULL ? 5 : 2, words) == -1)
		lc_fail(nl, "out of memory");
}

/* The dial of nl finished (EV_WRITE) or timed out. */
static void
lc_on_connect(evutil_socket_t fd, short what, void *arg)
{
	struct node_link *nl = arg;
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	int err = 0;
	socklen_t elen = sizeof(err);

	event_free(nl->connect_ev);
	nl->connect_ev = NULL;
	if (!(what & EV_WRITE))
		err = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
		err = errno;
	if (err == 0 && getpeername(fd, (struct sockaddr *)&ss, &slen) == -1)
		err = errno;
	if (err != 0) {
		evutil_closesocket(fd);
		nl->fd = -1;
		lc_fail(nl, "cannot connect to %s: %s", nl->cfg.connect,
		    strerror(err));
		return;
	}
	lc_attach(nl, (struct sockaddr *)&ss);
}

/* Dials nl's address (a name is resolved here, blocking worker 0). */
static void
lc_dial(struct node_link *nl)
{
	struct evutil_addrinfo hints, *ai = NULL;
	struct timeval tv = {LC_CONNECT_MS / 1000, 0};
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	nl->state = LC_DIALLING;
	if ((rc = evutil_getaddrinfo(
	         nl->cfg.host, nl->cfg.port, &hints, &ai)) != 0) {
		lc_fail(nl, "cannot resolve %s: %s", nl->cfg.host,
		    evutil_gai_strerror(rc));
		return;
	}
	nl->fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (nl->fd == -1 || evutil_make_socket_nonblocking(nl->fd) == -1 ||
	    evutil_make_socket_closeonexec(nl->fd) == -1 ||
	    (connect(nl->fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
	        errno != EINPROGRESS)) {
		rc = errno;
		evutil_freeaddrinfo(ai);
		if (nl->fd != -1)
			evutil_closesocket(nl->fd);
		nl->fd = -1;
		lc_fail(nl, "cannot connect to %s: %s", nl->cfg.connect,
		    strerror(rc));
		return;
	}
	evutil_freeaddrinfo(ai);
	nl->connect_ev =
	    event_new(nl->env->base, nl->fd, EV_WRITE, lc_on_connect, nl);
	if (nl->connect_ev == NULL || event_add(nl->connect_ev, &tv) == -1) {
		evutil_closesocket(nl->fd);
		nl->fd = -1;
		lc_fail(nl, "out of memory");
	}
}

/* nl's timer: redial, the handshake's deadline, or a heartbeat. */
static void
lc_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct node_link *nl = arg;
	const char *ping[] = {"PING"};

	(void)fd;
	(void)what;
	switch (nl->state) {
	case LC_WAITING:
		lc_dial(nl);
		break;
	case LC_HANDSHAKE:
		lc_fail(
		    nl, "no answer to the login within %d ms", LC_CONNECT_MS);
		break;
	case LC_UP:
		if (nl->missed >= LC_MISSED_MAX) {
			lc_fail(
			    nl, "no answer to %d heartbeats", LC_MISSED_MAX);
			break;
		}
		nl->missed++;
		if (lc_send_words(nl->c, LC_EXP_PING, 1, ping) == -1) {
			lc_fail(nl, "out of memory");
			break;
		}
		event_add(
		    nl->timer, &(struct timeval){LC_HEARTBEAT_MS / 1000, 0});
		break;
	default:
		break;
	}
}

/* Stops nl for good: its conn closes, its link leaves the table. */
static void
lc_remove(struct node_link *nl)
{
	nl->removed = 1;
	if (nl->c != NULL)
		conn_free(nl->c);
	if (nl->out_ready)
		pubsub_sub_fini(&nl->out);
	if (nl->connect_ev != NULL) {
		event_free(nl->connect_ev);
		evutil_closesocket(nl->fd);
	}
	event_free(nl->timer);
	if (nl->link != NULL) {
		nl->link->owner = NULL;
		link_withdraw(nl->link);
		link_unref(nl->link);
	}
	if (nl->tls != NULL)
		tls_ctx_unref(nl->tls);
	config_link_free(&nl->cfg);
	free(nl);
}

/* A new node_link for cfg (moved from the set), dialling now. */
static void
lc_add(struct env *e, struct config_link *cfg, struct ssl_ctx_st *tls)
{
	struct node_link *nl = calloc(1, sizeof(*nl));
	size_t i;

	if (nl == NULL ||
	    (nl->link = link_new(cfg->name, LINK_SIDE_NODE)) == NULL) {
		log_error("link %s: out of memory", cfg->name);
		free(nl);
		config_link_free(cfg);
		if (tls != NULL)
			tls_ctx_unref(tls);
		return;
	}
	nl->env = e;
	nl->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	nl->tls = tls;
	nl->fd = -1;
	nl->backoff_ms = LC_BACKOFF_MIN_MS;
	nl->link->owner = nl;
	nl->timer = event_new(e->base, -1, 0, lc_on_timer, nl);
	link_publish(nl->link, NULL);
	pubsub_sub_init(&nl->out, e, &lc_out_sink, nl);
	nl->out_ready = 1;
	for (i = 0; i < nl->cfg.nchannels_out; i++)
		pubsub_subscribe(&nl->out, 1, nl->cfg.channels_out[i],
		    strlen(nl->cfg.channels_out[i]));
	nl->next = lc_links;
	lc_links = nl;
	lc_dial(nl);
}

static void
lc_set_free(struct link_client_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		config_link_free(&set->links[i]);
		if (set->tls[i] != NULL)
			tls_ctx_unref(set->tls[i]);
	}
	free(set->links);
	free(set->tls);
	free(set);
}

/*
 * The links of cf, ready to apply: copies of their settings and their TLS
 * contexts.  Returns NULL (logged) when a context cannot be made or out
 * of memory.  Main thread.
 */
struct link_client_set *
link_client_prepare(const struct config *cf)
{
	struct link_client_set *set = calloc(1, sizeof(*set));
	char err[256];
	size_t i;

	if (set == NULL)
		return NULL;
	set->links = calloc(cf->nlinks + 1, sizeof(*set->links));
	set->tls = calloc(cf->nlinks + 1, sizeof(*set->tls));
	if (set->links == NULL || set->tls == NULL)
		goto fail;
	for (i = 0; i < cf->nlinks; i++, set->n++) {
		const struct config_link *l = &cf->links[i];

		if (config_link_copy(&set->links[i], l) == -1)
			goto fail;
		if (l->tls &&
		    (set->tls[i] = tls_client_ctx_new(l->tls_ca, l->tls_cert,
		         l->tls_key, err, sizeof(err))) == NULL) {
			log_error("%s:%d:%d: link %s: %s", cf->file, l->line,
			    l->column, l->name, err);
			set->n++;
			goto fail;
		}
	}
	return set;
fail:
	lc_set_free(set);
	return NULL;
}

/*
 * On worker 0: links no longer configured (or configured otherwise) stop,
 * new ones start; the same ones stay up.
 */
static void
lc_on_apply(evutil_socket_t fd, short what, void *arg)
{
	struct link_client_set *set = arg;
	struct node_link **pp, *nl;
	size_t i;

	(void)fd;
	(void)what;
	for (pp = &lc_links; (nl = *pp) != NULL;) {
		for (i = 0; i < set->n; i++)
			if (set->links[i].name != NULL &&
			    config_link_equal(&nl->cfg, &set->links[i]))
				break;
		if (i < set->n) {
			config_link_free(&set->links[i]); /* kept as is */
			if (set->tls[i] != NULL)
				tls_ctx_unref(set->tls[i]);
			set->tls[i] = NULL;
			pp = &nl->next;
			continue;
		}
		*pp = nl->next;
		for (i = 0; i < set->n; i++)
			if (set->links[i].name != NULL &&
			    strcmp(set->links[i].name, nl->cfg.name) == 0)
				break;
		log_info("link %s: %s", nl->cfg.name,
		    i < set->n ? "its settings changed: reconnecting"
		               : "no longer configured: closed");
		lc_remove(nl);
	}
	for (i = 0; i < set->n; i++) {
		if (set->links[i].name == NULL)
			continue;
		lc_add(set->env, &set->links[i], set->tls[i]);
		set->tls[i] = NULL;
	}
	lc_set_free(set);
}

/*
 * Applies set (taken) on worker e's thread: at start and after each
 * reload that loaded.
 */
void
link_client_apply(struct env *e, struct link_client_set *set)
{
	set->env = e;
	if (env_post(e, lc_on_apply, set) == -1)
		lc_set_free(set);
}

/* After the workers have stopped: every link goes (main thread). */
void
link_client_shutdown(void)
{
	struct node_link *nl;

	while ((nl = lc_links) != NULL) {
		lc_links = nl->next;
		lc_remove(nl);
	}
}
