/* SPDX-License-Identifier: MIT */
/*
 * resp_session - the RESP session of a conn (L4): struct conn_proto for
 * RESP2/RESP3.  Runs resp.c's parser over the input, refuses during a
 * drain and closes on cross-protocol attempts, and hands each command to
 * dispatch; bytes, timeouts and the reply queue are conn's, encoding the
 * replies the writer's.
 *
 * MULTI queueing lives here: between MULTI and EXEC each command is
 * admitted and its arguments bound as usual (dispatch_admit,
 * dispatch_bind), then copied into the session's queue and answered
 * +QUEUED; a command that fails those checks is answered with its error
 * at once and makes EXEC answer -EXECABORT, as in Redis.  EXEC answers
 * the array header, then dispatches the queued commands one after the
 * other as if the client had pipelined them: each reply takes its place
 * in the conn's reply queue (a BLOCKING, deferred or STREAM call keeps a
 * slot there), so the elements follow the header in order, with no copy,
 * however and whenever each call ends.  The queue is bounded as one
 * request is: limits.max_args commands and limits.max_request_bytes of
 * arguments.  The MULTI, EXEC and DISCARD commands are multi.c's.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include <duet/plugin.h>

#include "builtin_link.h"
#include "conn.h"
#include "dispatch.h"
#include "env.h"
#include "log.h"
#include "pubsub.h"
#include "registry.h"
#include "resp.h"
#include "resp_reply.h"
#include "resp_session.h"
#include "util.h"

/* The queue of one MULTI: owned by its session. */
struct resp_multi {
	/* owned: each command as [kind, name, args...] */
	msgpack_sbuffer queue;
	size_t ncmds; /* commands in queue */
	int dirty;    /* a command was refused: EXEC aborts */
};

/* A RESP conn's session state (c->sess): owned by the conn's proto. */
struct resp_session {
	struct resp_parser parser; /* the request being read */
	struct resp_multi *multi;  /* owned: the queue after MULTI, or NULL */
	/* borrowed from generation gen: the command of the request being
	 * read, admitted from its name (RESP_NAME), or NULL */
	const struct command *admitted;
	uint64_t gen;
	struct pubsub_sub *sub; /* owned: its subscriptions, or NULL */
};

/* What the session does with a command while MULTI may be open. */
enum resp_multi_action {
	RESP_MULTI_RUN,    /* run it now (one MULTI does not queue) */
	RESP_MULTI_QUEUED, /* queued (or refused) and answered */
	RESP_MULTI_EXEC,   /* EXEC: run the queue once this request is done */
};

/* The commands MULTI runs at once instead of queuing (Redis 7's list). */
static const char *const resp_session_unqueued_names[] = {
    "multi", "discard", "watch", "quit", "reset", NULL};

/*
 * Whether MULTI runs the command name (len bytes) at once instead of
 * queuing it (POST /batch refuses these).
 */
int
resp_session_unqueued(const char *name, size_t len)
{
	size_t i;

	for (i = 0; resp_session_unqueued_names[i] != NULL; i++) {
		if (util_strcaseeq(name, len, resp_session_unqueued_names[i]))
			return 1;
	}
	return 0;
}

/*
 * c's RESP session, or NULL when c speaks another protocol.
 */
static struct resp_session *
resp_session_of(const struct conn *c)
{
	return c->proto == &resp_session_proto ? c->sess : NULL;
}

static void
resp_session_multi_free(struct resp_multi *m)
{
	if (m == NULL)
		return;
	msgpack_sbuffer_destroy(&m->queue);
	free(m);
}

/*
 * c's subscriber (pub/sub), made first, delivering through the sink
 * make, if it has none and make is not NULL.  NULL if it has none, c is
 * no RESP conn, or out of memory.
 */
struct pubsub_sub *
resp_session_sub(struct conn *c, const struct pubsub_sink *make)
{
	struct resp_session *s = resp_session_of(c);

	if (s == NULL)
		return NULL;
	if (s->sub == NULL && make != NULL &&
	    (s->sub = malloc(sizeof(*s->sub))) != NULL)
		pubsub_sub_init(s->sub, c->env, make, c);
	return s->sub;
}

/*
 * Leaves every channel and pattern c subscribes to (RESET).
 */
void
resp_session_unsubscribe(struct conn *c)
{
	struct resp_session *s = resp_session_of(c);

	if (s == NULL || s->sub == NULL)
		return;
	pubsub_sub_fini(s->sub);
	free(s->sub);
	s->sub = NULL;
	conn_set_idle_exempt(c, 0);
}

/*
 * RESP2's subscribed mode (Redis 7.0): an admitted command other than
 * the pub/sub ones, PING, QUIT and RESET is refused.  Returns 1 if cmd
 * was refused (answered).
 */
static int
resp_session_subscribed_refuses(struct conn *c, const struct command *cmd)
{
	static const char *const allowed[] = {"subscribe", "unsubscribe",
	    "psubscribe", "punsubscribe", "ping", "quit", "reset", NULL};
	struct duet_err err;
	int i;

	for (i = 0; allowed[i] != NULL; i++) {
		if (strcmp(cmd->name, allowed[i]) == 0)
			return 0;
	}
	util_err_set(&err, "ERR",
	    "Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
	    "PING / QUIT / RESET are allowed in this context",
	    cmd->name);
	conn_reply_error(c, &err);
	return 1;
}

/*
 * Whether c has a MULTI open.
 */
int
resp_session_in_multi(const struct conn *c)
{
	struct resp_session *s = resp_session_of(c);

	return s != NULL && s->multi != NULL;
}

/*
 * MULTI: opens c's queue (the session queues from the next command on).
 * Returns 0, or -1 when out of memory or c is no RESP conn.
 */
int
resp_session_multi_begin(struct conn *c)
{
	struct resp_session *s = resp_session_of(c);

	if (s == NULL || (s->multi = calloc(1, sizeof(*s->multi))) == NULL)
		return -1;
	msgpack_sbuffer_init(&s->multi->queue);
	return 0;
}

/*
 * Forgets c's open MULTI, if any (DISCARD, RESET).
 */
void
resp_session_multi_discard(struct conn *c)
{
	struct resp_session *s = resp_session_of(c);

	if (s == NULL)
		return;
	resp_session_multi_free(s->multi);
	s->multi = NULL;
}

/*
 * A command was refused while a MULTI is open (unknown, bad arguments,
 * over the queue's limits): it will abort at EXEC, so what it queued is
 * let go now.
 */
static void
resp_session_refused(struct resp_multi *m)
{
	m->dirty = 1;
	m->ncmds = 0;
	msgpack_sbuffer_destroy(&m->queue);
	msgpack_sbuffer_init(&m->queue);
}
/*
 * Queues a successful status reply (+QUEUED), in c's encoding.
 */
static void
resp_session_reply_status(struct conn *c, const char *s)
{
	size_t len = strlen(s);
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_object o;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_ext(&pk, len, DUET_EXT_STATUS);
	msgpack_pack_ext_body(&pk, s, len);
	o.type = MSGPACK_OBJECT_EXT;
	o.via.ext.type = DUET_EXT_STATUS;
	o.via.ext.size = (uint32_t)len;
	o.via.ext.ptr = s;
	conn_reply_value(c, c->encoding, &o, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * Copies req (whose command and arguments were checked) to the end of
 * m's queue, within the limits.  Returns 0, or -1 with err set.
 */
static int
resp_session_queue(struct conn *c, struct resp_multi *m,
    const struct request *req, struct duet_err *err)
{
	const struct config_limits *lim = &c->env->limits;
	size_t i, need = 16 + req->namelen;
	msgpack_packer pk;
	int rv = 0;

	for (i = 0; i < req->argc; i++)
		need += 5 + req->argv[i].len;
	if (m->ncmds >= lim->max_args) {
		util_err_set(err, "ERR",
		    "too many commands queued: MULTI holds at most "
		    "limits.max_args (%" PRIu64 ")",
		    lim->max_args);
		return -1;
	}
	if (m->queue.size + need > lim->max_request_bytes) {
		util_err_set(err, "ERR",
		    "queued commands over limits.max_request_bytes "
		    "(%" PRIu64 " bytes)",
		    lim->max_request_bytes);
		return -1;
	}
	msgpack_packer_init(&pk, &m->queue, msgpack_sbuffer_write);
	rv |= msgpack_pack_array(&pk, req->argc + 2);
	rv |= msgpack_pack_int(&pk, (int)req->kind);
	rv |= msgpack_pack_bin(&pk, req->namelen);
	rv |= msgpack_pack_bin_body(&pk, req->name, req->namelen);
	for (i = 0; i < req->argc && rv == 0; i++) {
		rv |= msgpack_pack_bin(&pk, req->argv[i].len);
		rv |= msgpack_pack_bin_body(
		    &pk, req->argv[i].ptr, req->argv[i].len);
	}
	if (rv != 0) {
		util_err_set(err, "ERR", "out of memory");
		return -1;
	}
	m->ncmds++;
	return 0;
}

/*
 * What the session does with cmd, whose name and arguments were checked,
 * while m is open: a command MULTI does not queue runs
 * (RESP_MULTI_RUN); EXEC runs the queue (RESP_MULTI_EXEC, once this
 * request is done); any other is queued and answered (RESP_MULTI_QUEUED).
 * req is borrowed; what is queued is copied.
 */
static enum resp_multi_action
resp_session_take(struct conn *c, struct resp_multi *m,
    const struct command *cmd, const struct request *req)
{
	struct duet_err err;

	if (cmd->plugin == NULL && strcmp(cmd->name, "exec") == 0)
		return RESP_MULTI_EXEC;
	if (cmd->plugin == NULL &&
	    resp_session_unqueued(cmd->name, cmd->namelen))
		return RESP_MULTI_RUN;
	if (!m->dirty && resp_session_queue(c, m, req, &err) == -1) {
		resp_session_refused(m);
		conn_reply_error(c, &err);
		return RESP_MULTI_QUEUED;
	}
	/* Once dirty nothing is kept, but each command is still QUEUED. */
	resp_session_reply_status(c, "QUEUED");
	return RESP_MULTI_QUEUED;
}

/*
 * The request of one queued command, [kind, name, args...] as o: argv
 * is grown to hold its arguments.  Returns 0, or -1 when out of memory.
 */
static int
resp_session_request(const msgpack_object *o, struct request *req,
    struct resp_arg **argv, size_t *cap)
{
	const msgpack_object *a = o->via.array.ptr;
	struct resp_arg *v;
	size_t i, n = o->via.array.size - 2;

	if (n > *cap) {
		if ((v = reallocarray(*argv, n, sizeof(*v))) == NULL)
			return -1;
		*argv = v;
		*cap = n;
	}
	memset(req, 0, sizeof(*req));
	req->kind = (enum request_kind)a[0].via.i64;
	req->name = a[1].via.bin.ptr;
	req->namelen = a[1].via.bin.size;
	for (i = 0; i < n; i++) {
		(*argv)[i].ptr = a[i + 2].via.bin.ptr;
		(*argv)[i].len = a[i + 2].via.bin.size;
	}
	req->argc = n;
	req->argv = *argv;
	return 0;
}

/*
 * EXEC with s's MULTI open (worker thread, after dispatch is done with
 * the EXEC request itself): the array header, then each queued command,
 * dispatched in order; or -EXECABORT when one was refused.  The MULTI is
 * closed first, so the commands run instead of queuing.
 */
static void
resp_session_exec(struct conn *c, struct resp_session *s)
{
	struct resp_multi *m = s->multi;
	struct resp_arg *argv = NULL;
	struct evbuffer *out;
	msgpack_unpacked up;
	struct duet_err err;
	struct request req;
	size_t off = 0, cap = 0;

	s->multi = NULL;
	if (m->dirty) {
		util_err_set(&err, "EXECABORT",
		    "Transaction discarded because of previous errors.");
		conn_reply_error(c, &err);
		resp_session_multi_free(m);
		return;
	}
	if ((out = conn_reply_buffer(c)) == NULL) {
		resp_session_multi_free(m);
		return;
	}
	resp_add_array(out, m->ncmds);
	conn_reply_done(c);
	msgpack_unpacked_init(&up);
	while (msgpack_unpack_next(&up, m->queue.data, m->queue.size, &off) ==
	    MSGPACK_UNPACK_SUCCESS) {
		if (resp_session_request(&up.data, &req, &argv, &cap) == -1) {
			/* Still one reply per element. */
			util_err_set(&err, "ERR", "out of memory");
			conn_reply_error(c, &err);
			continue;
		}
		dispatch_request(c, &req);
	}
	msgpack_unpacked_destroy(&up);
	free(argv);
	resp_session_multi_free(m);
}

/*
 * The command s admitted from the name of the request now whole, if
 * that generation is still the worker's (a reload in between: NULL, the
 * request is admitted again).  Forgets it.
 */
static const struct command *
resp_session_admitted(struct conn *c, struct resp_session *s)
{
	const struct command *cmd = s->admitted;

	s->admitted = NULL;
	if (cmd == NULL || c->env->reg == NULL || c->env->reg->id != s->gen)
		return NULL;
	return cmd;
}

/*
 * Hands req to dispatch, through s's MULTI queue when one is open: the
 * command is admitted (unless it was from its name: cmd) and bound
 * first (a refusal aborts the MULTI), then queued, run (the commands
 * MULTI does not queue) or, for EXEC, the queue is run.
 */
static void
resp_session_dispatch(struct conn *c, struct resp_session *s,
    const struct request *req, const struct command *cmd)
{
	struct resp_multi *m = s->multi;
	enum resp_multi_action act;
	uint64_t present;

	if (s->sub != NULL && !c->resp3 && pubsub_count(s->sub) > 0) {
		if (cmd == NULL && (cmd = dispatch_admit(c, req)) == NULL)
			return;
		if (resp_session_subscribed_refuses(c, cmd))
			return;
	}
	if (m == NULL && cmd == NULL) {
		dispatch_request(c, req);
		return;
	}
	if (cmd == NULL)
		cmd = dispatch_admit(c, req);
	if (m == NULL) {
		if (cmd != NULL && dispatch_bind(c, cmd, req, &present) == 0)
			dispatch_call(c, cmd, present);
		return;
	}
	if (cmd == NULL || dispatch_bind(c, cmd, req, &present) == -1) {
		resp_session_refused(m);
		return;
	}
	if ((act = resp_session_take(c, m, cmd, req)) == RESP_MULTI_RUN) {
		/* The command may close the MULTI (DISCARD, RESET). */
		if (dispatch_call(c, cmd, present) == -1 && s->multi == m)
			resp_session_refused(m);
		return;
	}
	dispatch_reset(c);
	if (act == RESP_MULTI_EXEC)
		resp_session_exec(c, s);
}

/*
 * Like Redis, a "command" that is an HTTP method or header is an attack
 * from a web page (cross-protocol scripting): it gets no reply, only a
 * close.  Returns 1 if c is closing for it.
 */
static int
resp_session_cross_protocol(struct conn *c, const struct resp_arg *a0)
{
	if ((a0->len != 4 || !util_strcaseeq(a0->ptr, 4, "POST")) &&
	    (a0->len != 5 || !util_strcaseeq(a0->ptr, 5, "Host:")))
		return 0;
	log_warnx("client %" PRIu64 " (%s) sent %.*s on RESP: possible "
	          "cross-protocol attack, closed",
	    c->id, c->peer, (int)a0->len, a0->ptr);
	conn_close_after_reply(c);
	return 1;
}

/*
 * The request of the parser's arguments (borrowed from it), in c's
 * encoding.
 */
static void
resp_session_make_request(
    const struct conn *c, const struct resp_session *s, struct request *req)
{
	const struct resp_arg *a0 = &s->parser.argv[0];

	memset(req, 0, sizeof(*req));
	req->name = a0->ptr;
	req->namelen = a0->len;
	req->argc = s->parser.argc - 1;
	req->argv = s->parser.argv + 1;
	switch (c->encoding) {
	case CONN_ENC_MSGPACK:
		req->kind = REQUEST_MSGPACK;
		break;
	case CONN_ENC_JSON:
		req->kind = REQUEST_JSON;
		break;
	default:
		req->kind = REQUEST_TEXT;
		break;
	}
}

/*
 * Builds the request for a parsed RESP command and dispatches it.
 */
static void
resp_session_command(struct conn *c, struct resp_session *s)
{
	const struct command *cmd = resp_session_admitted(c, s);
	struct request req;

	if (resp_session_cross_protocol(c, &s->parser.argv[0]))
		return;
	/* A node's answer on a link, outside any MULTI. */
	if (c->resp3 && s->multi == NULL &&
	    builtin_link_answer(c, &s->parser.argv[0], s->parser.argv + 1,
	        s->parser.argc - 1)) {
		c->last_active = time(NULL);
		return;
	}
	resp_session_make_request(c, s, &req);
	c->last_active = time(NULL);
	resp_session_dispatch(c, s, &req, cmd);
}

/*
 * The name of a request has arrived, not all of it (RESP_NAME): it is
 * admitted now (SPEC 9.3).  A refusal is answered at once, in pipeline
 * order, and the rest of the request is skipped as it arrives; a MULTI
 * open aborts at EXEC.  An admitted command is kept for when the request
 * is whole, so the registry is searched once per request.
 */
static void
resp_session_name(struct conn *c, struct resp_session *s, struct evbuffer *in)
{
	struct request req;

	if (resp_session_cross_protocol(c, &s->parser.argv[0]))
		return;
	resp_session_make_request(c, s, &req);
	if ((s->admitted = dispatch_admit(c, &req)) != NULL) {
		s->gen = c->env->reg->id;
		return;
	}
	c->nrequests++;
	c->last_active = time(NULL);
	if (s->multi != NULL)
		resp_session_refused(s->multi);
	resp_skip_request(&s->parser, in);
}

/*
 * Answers "shutting down" to a request read after the worker began
 * draining (conn_drain_refuses).  Returns 1 if refused.
 */
static int
resp_session_drain_refuses(struct conn *c)
{
	struct duet_err err;

	if (!conn_drain_refuses(c))
		return 0;
	util_err_set(&err, "ERR", "shutting down");
	err.status = 503;
	conn_reply_error(c, &err);
	return 1;
}

/*
 * Whether Redis 7's caps for unauthenticated clients apply to c: auth is
 * configured and c has no user.  With no auth, one NULL check.
 */
static int
resp_session_unauth(const struct conn *c)
{
	const struct registry *reg = c->env->reg;

	return reg != NULL && reg->auth != NULL && c->ident.user == NULL;
}

/*
 * Counts the bytes of refused requests the parser skipped as input.
 */
static void
resp_session_count_skipped(struct resp_session *s)
{
	if (s->parser.skipped == 0)
		return;
	conn_count_input((size_t)s->parser.skipped);
	s->parser.skipped = 0;
}

/*
 * conn_proto.serve: every whole RESP request in the input.  Returns -1
 * if c was freed.
 */
static int
resp_session_serve(struct conn *c, struct evbuffer *in)
{
	struct resp_session *s = c->sess;
	struct resp_limits lim = {
	    .max_args = c->env->limits.max_args,
	    .max_request_bytes = c->env->limits.max_request_bytes,
	};
	struct duet_err err;
	size_t input = 0; /* bytes of the requests served: counted once */
	enum resp_status st;

	while (!c->closing) {
		lim.unauth = resp_session_unauth(c);
		if ((st = resp_parse(&s->parser, in, &lim, &err)) ==
		    RESP_MORE) {
			resp_session_count_skipped(s);
			break;
		}
		if (st == RESP_ERROR) {
			log_debug("client %" PRIu64 ": %s", c->id, err.msg);
			conn_reply_error(c, &err);
			conn_close_after_reply(c);
			break;
		}
		if (st == RESP_NAME) {
			resp_session_name(c, s, in);
			resp_session_count_skipped(s);
		} else {
			c->nrequests++;
			if (!resp_session_drain_refuses(c))
				resp_session_command(c, s);
			s->admitted = NULL;
			input += s->parser.reqlen;
			resp_next(&s->parser);
		}
		if (conn_check_output(c) == -1) {
			/* c is gone; conn drains what it read. */
			conn_count_input(input);
			return -1;
		}
	}
	conn_count_input(input);
	resp_flush(&s->parser, in);
	return 0;
}

/*
 * conn_proto.sniff: whatever is not another protocol's is RESP (so an
 * inline "GET foo" stays RESP).
 */
static int
resp_session_sniff(const char *p, size_t len)
{
	(void)p;
	(void)len;
	return 1;
}

/*
 * conn_proto.start: the parser of c, and c's identity at the start of
 * its session (after a TLS handshake: a certificate's CN, a unix peer's
 * uid).
 */
static int
resp_session_start(struct conn *c)
{
	struct resp_session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	resp_parser_init(&s->parser);
	c->sess = s;
	dispatch_ident_start(c);
	return 0;
}

/*
 * conn_proto.midway: the parser reads in place, so a half-read request
 * is input left unparsed, which conn sees; but the rest of a refused
 * request being skipped leaves none.
 */
static int
resp_session_midway(const struct conn *c)
{
	const struct resp_session *s = c->sess;

	return s->parser.skipping;
}

/*
 * conn_proto.timeout: there is no reply to send, so just close.
 */
static void
resp_session_timeout(struct conn *c)
{
	conn_free(c);
}

/*
 * conn_proto.fini: frees the session and its MULTI queue.
 */
static void
resp_session_fini(struct conn *c)
{
	struct resp_session *s = c->sess;

	resp_parser_fini(&s->parser);
	resp_session_multi_free(s->multi);
	if (s->sub != NULL) {
		pubsub_sub_fini(s->sub);
		free(s->sub);
	}
	free(s);
	c->sess = NULL;
}

/*
 * conn_proto.subscriptions: c's channels or (pattern) patterns.
 */
static size_t
resp_session_subscriptions(const struct conn *c, int pattern)
{
	const struct resp_session *s = c->sess;

	if (s == NULL || s->sub == NULL)
		return 0;
	return pattern ? s->sub->npatterns : s->sub->nchannels;
}

const struct conn_proto resp_session_proto = {
    .name = "resp",
    .http = 0,
    .writer = &resp_reply_writer,
    .sniff = resp_session_sniff,
    .start = resp_session_start,
    .serve = resp_session_serve,
    .midway = resp_session_midway,
    .timeout = resp_session_timeout,
    .fini = resp_session_fini,
    .subscriptions = resp_session_subscriptions,
};
