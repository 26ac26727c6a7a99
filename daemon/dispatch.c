/* SPDX-License-Identifier: MIT */
/*
 * dispatch - L3 calls: from a parsed request to a reply.
 *
 * The arguments are converted by the command's signature into one msgpack
 * array in the env's args sbuffer, unpacked into the env's zone, and
 * handed to the handler as one object per parameter (a variadic parameter
 * is one array).  The handler packs its reply into the env's scratch
 * sbuffer; the conn encodes it for the client.  Everything
 * scratch is reset before the next request, so an inline call allocates
 * nothing of its own.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "auth.h"
#include "call.h"
#include "conn.h"
#include "conn_state.h"
#include "convert.h"
#include "dispatch.h"
#include "env.h"
#include "links.h"
#include "log.h"
#include "metrics.h"
#include "plugin.h"
#include "pubsub.h"
#include "registry.h"
#include "signature.h"

/* The most reply scratch a worker keeps between calls. */
#define DISPATCH_SCRATCH_KEEP (256 * 1024)

static const msgpack_object dispatch_nil = {.type = MSGPACK_OBJECT_NIL};

/*
 * -ERR unknown command 'x', with args beginning with: 'a' 'b' (Redis 7).
 */
static void
dispatch_unknown(struct conn *c, const struct request *req)
{
	struct duet_err err;
	char args[256];
	size_t i, n = 0;

	args[0] = '\0';
	for (i = 0; i < req->argc && n < 128; i++) {
		int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ",
		    (int)(req->argv[i].len < 128 - n ? req->argv[i].len
		                                     : 128 - n),
		    req->argv[i].ptr);
		if (w < 0 || (size_t)w >= sizeof(args) - n)
			break;
		n += (size_t)w;
	}
	util_err_set(&err, "ERR",
	    "unknown command '%.*s', with args beginning with: %s",
	    (int)(req->namelen < 128 ? req->namelen : 128), req->name, args);
	err.status = 404;
	conn_reply_error(c, &err);
}

static enum metrics_proto
dispatch_proto(const struct conn *c)
{
	return c->proto->http ? METRICS_HTTP : METRICS_RESP;
}

/*
 * Starts a call that outlives this request: a BLOCKING one goes to the
 * pool (or is refused when too many wait), a STREAM one runs now, on the
 * loop, and may pause.  Either way its reply keeps its place in c's queue.
 */
static void
dispatch_async(struct conn *c, const struct command *cmd, uint64_t present)
{
	struct env *e = c->env;
	struct call_async *as;
	struct duet_err err;

	as = call_new(c, cmd, e->args.data, e->args.size, present);
	if (as == NULL) {
		util_err_set(&err, "ERR", "out of memory");
		conn_reply_error(c, &err);
		return;
	}
	if (!(cmd->flags & DUET_BLOCKING)) {
		call_run(as, 1);
		return;
	}
	if (call_submit(as, e->limits.max_pending_blocking) == -1) {
		util_err_set(&err, "BUSY",
		    "too many blocking calls waiting "
		    "(limits.max_pending_blocking is %" PRIu64 ")",
		    e->limits.max_pending_blocking);
		err.status = 503;
		call_fail(as, &err);
	}
}

/*
 * Empties the worker's reply scratch for the next call; one that grew
 * past DISPATCH_SCRATCH_KEEP for a big reply is given back.
 */
static void
dispatch_scratch_reset(struct env *e)
{
	e->scratch.size = 0;
	if (e->scratch.alloc > DISPATCH_SCRATCH_KEEP) {
		msgpack_sbuffer_destroy(&e->scratch);
		msgpack_sbuffer_init(&e->scratch);
	}
}

/*
 * Hands the finished call's reply to the conn, in the call's encoding.
 * Returns -1 when the handler's reply was unusable (an error was sent).
 */
static int
dispatch_reply(struct conn *c, struct duet_call *call)
{
	msgpack_object o;

	if (call->failed) {
		conn_reply_error(c, &call->err);
		return 0;
	}
	if (call->answered)
		return 0;
	if (call_reply_object(call->cmd, call->out->data, call->out->size,
	        &c->env->zone, &o, &call->err) == -1) {
		conn_reply_error(c, &call->err);
		return -1;
	}
	conn_reply_value(
	    c, call->encoding, &o, call->out->data, call->out->size);
	return 0;
}

/*
 * Answers a request refused once its command was known, and counts it
 * as a failed call of cmd.
 */
static void
dispatch_refuse(
    struct conn *c, const struct command *cmd, const struct duet_err *err)
{
	conn_reply_error(c, err);
	metrics_observe(cmd->stats, dispatch_proto(c), 0, 1);
}

/*
 * The index of c's user in generation reg's auth (AUTH_NONE when it has
 * none, or no longer exists there): cached on the conn per generation.
 */
static int
dispatch_user(struct conn *c, const struct registry *reg)
{
	struct conn_ident *id = &c->ident;

	if (id->user == NULL)
		return AUTH_NONE;
	if (id->gen != reg->id) {
		id->user_index = auth_user_index(reg->auth, id->user);
		id->gen = reg->id;
	}
	return id->user_index;
}

/*
 * Whether c's user may call cmd (SPEC 9.2).  Returns 0, or -1 after
 * answering NOAUTH or NOPERM (Redis 7's texts; HTTP 401 or 403).
 */
static int
dispatch_auth(
    struct conn *c, const struct registry *reg, const struct command *cmd)
{
	struct duet_err err;
	int user = dispatch_user(c, reg);

	switch (cmd->link != NULL
	        ? auth_check_linked(reg->auth, user, cmd->name, cmd->flags)
	        : auth_check(reg->auth, user, (size_t)(cmd - reg->commands))) {
	case AUTH_OK:
		return 0;
	case AUTH_NOAUTH:
		util_err_set(&err, "NOAUTH", "Authentication required.");
		err.status = 401;
		break;
	default:
		util_err_set(&err, "NOPERM",
		    "User %s has no permissions to run the '%s' command",
		    c->ident.user, cmd->name);
		err.status = 403;
		break;
	}
	dispatch_refuse(c, cmd, &err);
	return -1;
}

/*
 * Whether c's user may use the command name (a built-in) that a
 * built-in path stands for (GET /events is SUBSCRIBE, POST /publish/
 * PUBLISH): its rules only, whatever the protocol.  Returns 0, or -1
 * after answering the refusal.
 */
int
dispatch_admit_as(struct conn *c, const char *name)
{
	struct registry *reg = env_registry(c->env);
	const struct command *cmd;

	if (reg == NULL || reg->auth == NULL ||
	    (cmd = registry_lookup(reg, name, strlen(name))) == NULL)
		return 0;
	return dispatch_auth(c, reg, cmd);
}

/*
 * Makes c's identity the user at index user of generation reg (AUTH_NONE:
 * none).  Returns 0, or -1 out of memory (identity unchanged).
 */
static int
dispatch_ident_set(struct conn *c, const struct registry *reg, int user)
{
	const char *name = auth_user_name(reg->auth, user);
	char *copy = NULL;

	/* The same user again (HTTP: each request) costs no allocation. */
	if (name != NULL && c->ident.user != NULL &&
	    strcmp(name, c->ident.user) == 0)
		copy = c->ident.user;
	else if (name != NULL && (copy = strdup(name)) == NULL)
		return -1;
	if (copy != c->ident.user)
		free(c->ident.user);
	c->ident.user = copy;
	c->ident.gen = reg->id;
	c->ident.user_index = copy != NULL ? user : AUTH_NONE;
	return 0;
}

/*
 * Starts c as the user its verified certificate's CN or its unix peer
 * uid names (SPEC 9.1), when the generation has auth; that identity is
 * also what dispatch_ident_reset returns to.  Call once, when the session
 * starts (after a TLS handshake).
 */
void
dispatch_ident_start(struct conn *c)
{
	struct registry *reg = env_registry(c->env);
	int user = AUTH_NONE;

	if (reg == NULL || reg->auth == NULL)
		return;
	if (c->ident.tls_cn != NULL)
		user = auth_user_by_cn(reg->auth, c->ident.tls_cn);
	if (user == AUTH_NONE && c->ident.has_uid)
		user = auth_user_by_uid(reg->auth, c->ident.uid);
	if (user == AUTH_NONE || dispatch_ident_set(c, reg, user) == -1)
		return;
	free(c->ident.start_user);
	c->ident.start_user = strdup(c->ident.user);
}

/*
 * Returns c to the identity it started with (RESET; an HTTP request
 * without credentials).
 */
void
dispatch_ident_reset(struct conn *c)
{
	char *copy = NULL;

	/* Already there (HTTP: each request without credentials). */
	if (c->ident.user == NULL ? c->ident.start_user == NULL
	                          : c->ident.start_user != NULL &&
	            strcmp(c->ident.user, c->ident.start_user) == 0)
		return;
	if (c->ident.start_user != NULL &&
	    (copy = strdup(c->ident.start_user)) == NULL)
		return;
	free(c->ident.user);
	c->ident.user = copy;
	c->ident.gen = 0;
	c->ident.user_index = AUTH_NONE;
}

/*
 * Logs c in with token (and user, or NULL / "default" for whoever the
 * token is) in the current generation.  Returns 1 on success (c is that
 * user), 0 on a wrong pair (c's identity unchanged; the caller answers
 * WRONGPASS and counts the failure), -1 when no auth is configured.
 */
int
dispatch_login(struct conn *c, const char *user, size_t userlen,
    const char *token, size_t tokenlen)
{
	struct registry *reg = env_registry(c->env);
	int u;

	if (reg == NULL || reg->auth == NULL)
		return -1;
	u = auth_login(reg->auth, user, userlen, token, tokenlen);
	if (u == AUTH_NONE || dispatch_ident_set(c, reg, u) == -1)
		return 0;
	return 1;
}

/*
 * Admits req of c from its name alone, as soon as the session knows it:
 * the command exists, c's user may call it (auth), it may be called over
 * c's protocol, and (HTTP GET) is READONLY.  Returns the command, or NULL after
 * answering the refusal. req is borrowed.
 */
/*
 * A command no generation has: a linked one ("<link>.<command>", SPEC
 * 11), if its link's commands are callable now; else NULL.  Only names
 * with a dot are looked for.
 */
static const struct command *
dispatch_linked(struct conn *c, const struct request *req)
{
	const struct command *cmd;

	if (memchr(req->name, '.', req->namelen) == NULL ||
	    (cmd = link_lookup(env_links(c->env), req->name, req->namelen)) ==
	        NULL ||
	    !link_callable(cmd->link))
		return NULL;
	return cmd;
}

/*
 * Whether c's user may register a link as the name as (len bytes): auth
 * is on and the user has link: true, and link_as is as if it has one.
 */
int
dispatch_may_link(struct conn *c, const char *as, size_t len)
{
	struct registry *reg = env_registry(c->env);

	return reg != NULL && reg->auth != NULL &&
	    auth_user_may_link(reg->auth, dispatch_user(c, reg), as, len);
}

/*
 * A name "<link>.<command>" whose link this daemon dials but that has
 * not come up yet (so its commands are not known): LINKDOWN is down
 * (HTTP 503), as for a link that went down.  Returns 0 when answered so,
 * -1 when the name is no such link's.
 */
static int
dispatch_link_down(struct conn *c, const struct request *req)
{
	const char *dot = memchr(req->name, '.', req->namelen);
	struct duet_err err;
	char name[65];
	size_t n;

	if (dot == NULL || (n = (size_t)(dot - req->name)) >= sizeof(name))
		return -1;
	memcpy(name, req->name, n);
	name[n] = '\0';
	if (!link_dialled_down(name))
		return -1;
	util_err_set(&err, "LINKDOWN", "link '%s' is down", name);
	err.status = 503;
	conn_reply_error(c, &err);
	return 0;
}

const struct command *
dispatch_admit(struct conn *c, const struct request *req)
{
	struct registry *reg = env_registry(c->env);
	const struct command *cmd;
	struct duet_err err;

	metrics_add(METRICS_COMMANDS, 1);
	if (reg == NULL ||
	    ((cmd = registry_lookup(reg, req->name, req->namelen)) == NULL &&
	        (cmd = dispatch_linked(c, req)) == NULL)) {
		if (dispatch_link_down(c, req) == -1)
			dispatch_unknown(c, req);
		return NULL;
	}
	if (reg->auth != NULL && !req->linked &&
	    dispatch_auth(c, reg, cmd) == -1)
		return NULL;
	if (REGISTRY_CONN_ONLY(cmd) && c->proto->http) {
		util_err_set(&err, "ERR",
		    "'%s' acts on a RESP connection: it is not an HTTP "
		    "operation",
		    cmd->name);
		err.status = 404;
		goto refused;
	}
	if (req->readonly_only && !(cmd->flags & DUET_READONLY)) {
		util_err_set(&err, "ERR",
		    "'%s' changes state: call it with POST", cmd->name);
		err.status = 405;
		goto refused;
	}
	return cmd;
refused:
	dispatch_refuse(c, cmd, &err);
	return NULL;
}

/* The most of a channel name a refusal repeats, as for command names. */
#define DISPATCH_CHANNEL_SHOWN 128

/*
 * Whether c's user may subscribe to, or publish on, the channel name (len
 * bytes), or (pattern) subscribe to the pattern whose text it is (SPEC
 * section 10's channels rules: one of the user's globs must match that
 * text).  No auth configured: always.  Returns 0, or -1 with the error in
 * err: NOPERM (status 403) naming the channel as given (its first
 * DISPATCH_CHANNEL_SHOWN bytes, a NUL byte as \x00), or NOAUTH (401)
 * for a conn with no user of this generation.  c's loop.
 */
int
dispatch_channel_admit(struct conn *c, const char *name, size_t len,
    int pattern, struct duet_err *err)
{
	struct registry *reg = env_registry(c->env);
	char shown[DISPATCH_CHANNEL_SHOWN * 4 + 1];
	size_t i, n = 0;

	(void)pattern; /* a pattern is allowed by its text, as a channel */
	if (reg == NULL || reg->auth == NULL)
		return 0;
	switch (
	    auth_channel_check(reg->auth, dispatch_user(c, reg), name, len)) {
	case AUTH_OK:
		return 0;
	case AUTH_NOAUTH:
		util_err_set(err, "NOAUTH", "Authentication required.");
		err->status = 401;
		return -1;
	default:
		break;
	}
	for (i = 0; i < len && i < DISPATCH_CHANNEL_SHOWN; i++) {
		if (name[i] == '\0') {
			memcpy(shown + n, "\\x00", 4);
			n += 4;
		} else {
			shown[n++] = name[i];
		}
	}
	shown[n] = '\0';
	util_err_set(err, "NOPERM",
	    "User %s has no permissions to access the '%s' channel",
	    c->ident.user, shown);
	err->status = 403;
	return -1;
}

/*
 * Forgets the arguments bound for c's request (its worker's argument
 * scratch and zone): after a call, or for a request that is not run
 * (queued by MULTI).
 */
void
dispatch_reset(struct conn *c)
{
	struct env *e = c->env;

	e->args.size = 0;
	e->args_inplace = 0;
	msgpack_zone_clear(&e->zone);
}

/*
 * Checks and converts req's arguments for cmd (admitted) into the
 * worker's argument scratch; present gets a bit per argument given.
 * Returns 0, or -1 after answering the refusal (nothing stays bound).
 */
int
dispatch_bind(struct conn *c, const struct command *cmd,
    const struct request *req, uint64_t *present)
{
	struct duet_err err;

	*present = 0;
	if (dispatch_bind_args(c->env, cmd, req, present, &err) == 0)
		return 0;
	dispatch_refuse(c, cmd, &err);
	dispatch_reset(c);
	return -1;
}

/*
 * Runs cmd inline, on the loop, with the bound arguments, and hands its
 * reply to c.  Returns -1 if the arguments were refused.
 */
static int
dispatch_inline(struct conn *c, const struct command *cmd, uint64_t present)
{
	struct env *e = c->env;
	struct duet_call call;
	struct duet_err err;
	msgpack_object args;
	size_t off = 0;
	uint64_t t0;

	if (e->args_inplace) {
		args.via.array.ptr = e->argv;
		args.via.array.size = (uint32_t)e->nargv;
	} else if (msgpack_unpack(e->args.data, e->args.size, &off, &e->zone,
	               &args) != MSGPACK_UNPACK_SUCCESS) {
		util_err_set(&err, "ERR", "arguments nested too deep");
		err.status = 400;
		dispatch_refuse(c, cmd, &err);
		return -1;
	}
	call_init(&call, cmd, present);
	call.conn = c;
	call.argv = args.via.array.ptr;
	call.argc = (int)args.via.array.size;
	call.out = &e->scratch;
	call.encoding = c->encoding;
	call.peer = c->peer;
	call.name = c->name;
	call.protocol = call_protocol(c);
	call.user = c->ident.user;
	call.tls_subject = c->ident.tls_subject;
	msgpack_packer_init(&call.pk, call.out, msgpack_sbuffer_write);
	t0 = call_usec();
	call_invoke(cmd, &call);
	t0 = call_usec() - t0;
	if (call.deferred == NULL) {
		if (dispatch_reply(c, &call) == -1)
			call.failed = 1;
		metrics_observe(cmd->stats, dispatch_proto(c), t0, call.failed);
	}
	/* Deferred: the plugin answers later, through the copy. */
	dispatch_scratch_reset(e);
	return 0;
}

/*
 * Runs cmd (admitted, its arguments bound by dispatch_bind) for c's
 * request: inline, on the pool, or as a stream; the reply is queued on c
 * in request order.  The bound arguments are forgotten on return.
 * Returns -1 if the request was refused (answered).
 */
int
dispatch_call(struct conn *c, const struct command *cmd, uint64_t present)
{
	int rv = 0;

	c->ncommands++;
	/* CLIENT LIST's cmd=: the name outlives any generation. */
	c->lastcmd = cmd->stats->name;
	if (cmd->flags & (DUET_BLOCKING | DUET_STREAM))
		dispatch_async(c, cmd, present);
	else
		rv = dispatch_inline(c, cmd, present);
	dispatch_reset(c);
	return rv;
}

/*
 * Serves one request of c: admit, bind, run (see above).  The reply is
 * queued on c in request order.  req is borrowed and not used after
 * return.  Returns -1 if the request was refused (answered), so that a
 * session can note it (MULTI aborts at EXEC).
 */
int
dispatch_request(struct conn *c, const struct request *req)
{
	const struct command *cmd;
	uint64_t present;

	if ((cmd = dispatch_admit(c, req)) == NULL ||
	    dispatch_bind(c, cmd, req, &present) == -1)
		return -1;
	return dispatch_call(c, cmd, present);
}

/*
 * The host API table: what plugins call through duet_*().  Built-ins
 * call through it too (builtin.c points its duet__host here).
 */

static int
dispatch_host_argc(const duet_call *call)
{
	return call->argc;
}

static const msgpack_object *
dispatch_host_arg(const duet_call *call, int i)
{
	if (i < 0 || i >= call->argc)
		return &dispatch_nil;
	return &call->argv[i];
}

static int
dispatch_host_arg_present(const duet_call *call, int i)
{
	return i >= 0 && i < call->argc && (call->present >> i) & 1;
}

static msgpack_packer *
dispatch_host_reply(duet_call *call)
{
	return &call->pk;
}

static const char *
dispatch_host_info(const duet_call *call, int what)
{
	switch (what) {
	case DUET_INFO_PEER:
		return call->peer;
	case DUET_INFO_PROTOCOL:
		return call->protocol;
	case DUET_INFO_CLIENT_NAME:
		return call->name;
	case DUET_INFO_USER:
		return call->user;
	case DUET_INFO_TLS_SUBJECT:
		return call->tls_subject;
	default:
		return NULL;
	}
}

static void
dispatch_host_log(const char *plugin, int level, const char *message)
{
	static const enum log_level levels[] = {
	    LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR};

	if (level < DUET_LOG_DEBUG || level > DUET_LOG_ERROR)
		level = DUET_LOG_ERROR;
	log_at(levels[level], "plugin %s: %s", plugin != NULL ? plugin : "?",
	    message != NULL ? message : "");
}

/* A publish packer that grew past this is given back after its publish. */
#define DISPATCH_PUBLISHER_KEEP (64 * 1024)

/*
 * A thread's publish packer (duet_publisher): its sbuffer, and a zone to
 * check that what was packed is one value.  Made on the thread's first
 * duet_publisher, freed when the thread ends (dispatch_publisher_free).
 */
struct dispatch_publisher {
	msgpack_sbuffer sb; /* owned */
	msgpack_packer pk;  /* writes into sb */
	msgpack_zone zone;  /* owned when zone_ok */
	int zone_ok;
};

static pthread_key_t dispatch_publisher_key;
static pthread_once_t dispatch_publisher_once = PTHREAD_ONCE_INIT;
static int dispatch_publisher_keyed;
/* The thread's publisher, also in the key, which frees it. */
static _Thread_local struct dispatch_publisher *dispatch_publisher_mine;

static void
dispatch_publisher_free(void *arg)
{
	struct dispatch_publisher *p = arg;

	if (p == NULL)
		return;
	msgpack_sbuffer_destroy(&p->sb);
	if (p->zone_ok)
		msgpack_zone_destroy(&p->zone);
	free(p);
}

static void
dispatch_publisher_key_init(void)
{
	dispatch_publisher_keyed = pthread_key_create(&dispatch_publisher_key,
	                               dispatch_publisher_free) == 0;
}

/*
 * duet_publisher (ABI 1.3): the calling thread's publish packer, made on
 * first use; call may be NULL (any thread: a handler, the pool, a
 * plugin's own thread).  NULL when out of memory.
 */
static msgpack_packer *
dispatch_host_publisher(duet_call *call)
{
	struct dispatch_publisher *p = dispatch_publisher_mine;

	(void)call;
	if (p != NULL)
		return &p->pk;
	pthread_once(&dispatch_publisher_once, dispatch_publisher_key_init);
	if (!dispatch_publisher_keyed || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->zone_ok = msgpack_zone_init(&p->zone, MSGPACK_ZONE_CHUNK_SIZE);
	msgpack_sbuffer_init(&p->sb);
	msgpack_packer_init(&p->pk, &p->sb, msgpack_sbuffer_write);
	if (pthread_setspecific(dispatch_publisher_key, p) != 0) {
		dispatch_publisher_free(p);
		return NULL;
	}
	dispatch_publisher_mine = p;
	return &p->pk;
}

/*
 * duet_publish (ABI 1.3): publishes on channel (len bytes) the one value
 * packed on the thread's publish packer since its last duet_publish, and
 * empties the packer, whatever happens.  Returns how many subscribers it
 * reached, or -1 when nothing was packed, more than one value was (or one
 * unreadable or nested deeper than msgpack-c reads), or the publish
 * failed: then nothing is sent.  Any thread; call may be NULL.
 */
static long
dispatch_host_publish(duet_call *call, const char *channel, size_t len)
{
	struct dispatch_publisher *p = dispatch_publisher_mine;
	msgpack_object o;
	size_t off = 0;
	long n = -1;

	(void)call;
	if (p == NULL)
		return -1;
	if (!p->zone_ok)
		p->zone_ok =
		    msgpack_zone_init(&p->zone, MSGPACK_ZONE_CHUNK_SIZE);
	if (p->zone_ok && (channel != NULL || len == 0) &&
	    msgpack_unpack(p->sb.data, p->sb.size, &off, &p->zone, &o) ==
	        MSGPACK_UNPACK_SUCCESS &&
	    off == p->sb.size)
		n = pubsub_publish(channel != NULL ? channel : "", len,
		    p->sb.data, p->sb.size);
	if (p->zone_ok)
		msgpack_zone_clear(&p->zone);
	p->sb.size = 0;
	if (p->sb.alloc > DISPATCH_PUBLISHER_KEEP) {
		msgpack_sbuffer_destroy(&p->sb);
		msgpack_sbuffer_init(&p->sb);
		if (p->zone_ok)
			msgpack_zone_destroy(&p->zone);
		p->zone_ok =
		    msgpack_zone_init(&p->zone, MSGPACK_ZONE_CHUNK_SIZE);
	}
	return n;
}

const struct duet_host dispatch_host_table = {
    .abi_major = DUET_ABI_MAJOR,
    .abi_minor = DUET_ABI_MINOR,
    .struct_size = sizeof(struct duet_host),
    .argc = dispatch_host_argc,
    .arg = dispatch_host_arg,
    .arg_present = dispatch_host_arg_present,
    .reply = dispatch_host_reply,
    .error = call_host_error,
    .info = dispatch_host_info,
    .log = dispatch_host_log,
    .defer = call_host_defer,
    .finish = call_host_finish,
    .stream_send = call_host_stream_send,
    .state = call_host_state,
    .error_status = call_host_error_status,
    .conn_state = conn_state_host,
    .publisher = dispatch_host_publisher,
    .publish = dispatch_host_publish,
};

/*
 * The host API table handed to every plugin.  Static, never freed.
 */
const struct duet_host *
dispatch_host(void)
{
	return &dispatch_host_table;
}
