/* SPDX-License-Identifier: MIT */
/*
 * builtin_link - LINK, the hub's end of a link (SPEC 11): a node on a
 * RESP3 connection registers its commands (LINK REGISTER), which become
 * "<as>.<command>" here; calls of them go to the node as push frames
 * (>4 call id name args) written on this connection, and the node answers
 * with LINK REPLY / LINK ERROR.  The connection carries the link's state
 * (conn_state_own): when it closes, the link is down, the calls it owes
 * fail with LINKDOWN, and its commands answer LINKDOWN for
 * LINK_GRACE_SEC, until the node registers again.
 *
 * L4, on the link connection's worker.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "builtin_admin.h"
#include "builtin_http.h"
#include "builtin_link.h"
#include "conn.h"
#include "conn_state.h"
#include "convert.h"
#include "describe.h"
#include "dispatch.h"
#include "env.h"
#include "link_frame.h"
#include "links.h"
#include "link_call.h"
#include "log.h"
#include "registry.h"
#include "resp.h"
#include "util.h"

#define LINK_NAME_MAX 64 /* the longest `as` */

/* The hub's end of a link, kept on its connection. */
struct hub_end {
	struct conn *conn;     /* borrowed: the connection it lives on */
	struct link *link;     /* owned reference */
	struct link_wire wire; /* calls written to the node */
};

static const char hub_key = 'L'; /* conn_state_own's key for hub_end */

/* Writes the jobs queued on l to the node (l's mailbox kick). */
static void
hub_deliver(struct mail *m, unsigned kicks)
{
	struct link *l =
	    (struct link *)((char *)m - offsetof(struct link, mail));
	struct hub_end *h = l->owner;
	struct link_jobs jobs = TAILQ_HEAD_INITIALIZER(jobs);
	struct link_job *job;
	struct evbuffer *out;
	uint64_t id;

	(void)kicks;
	if (h == NULL || link_take(l, &jobs) == 0)
		return;
	/* Out of band: a call is not held behind a reply the node waits
	 * for (one of its own calls of a slow command here). */
	out = conn_oob_buffer(h->conn);
	while ((job = TAILQ_FIRST(&jobs)) != NULL) {
		TAILQ_REMOVE(&jobs, job, entry);
		if (out == NULL || (id = link_wire_add(&h->wire, job)) == 0) {
			link_call_unsent(l, job);
			continue;
		}
		link_frame_call(
		    out, id, job->name, job->namelen, job->args, job->arglen);
	}
	conn_push(h->conn);
}

/* The connection of h is being freed: the link is down. */
static void
hub_close(void *mem)
{
	struct hub_end *h = mem;
	struct link_jobs unsent = TAILQ_HEAD_INITIALIZER(unsent);
	struct link *l = h->link;

	if (l == NULL)
		return;
	link_down(l, "connection closed", &unsent);
	l->owner = NULL;
	log_info("link %s down: connection from %s closed (%zu calls in "
	         "flight)",
	    l->name, h->conn->peer, h->wire.live);
	link_wire_drop(&h->wire, l);
	link_call_unsent_all(l, &unsent);
	link_unref(l);
	h->link = NULL;
}

/* Whether s (len bytes) is a name a node may register as: [a-z0-9_-]+. */
static int
hub_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > LINK_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		        s[i] == '-'))
			return 0;
	}
	return 1;
}

/*
 * Whether a command of reg is named "<as>." something (a node may not
 * take a prefix already served).  Returns that command, or NULL.
 */
static const struct command *
hub_prefix_taken(const struct registry *reg, const char *as)
{
	size_t i, n = strlen(as);

	for (i = 0; i < reg->ncommands; i++) {
		const struct command *c = &reg->commands[i];

		if (c->namelen > n && c->name[n] == '.' &&
		    strncmp(c->name, as, n) == 0)
			return c;
	}
	return NULL;
}

/* The node's descriptors (JSON text) as a link's commands, into l. */
static int
hub_commands(struct link *l, const char *json, size_t len, struct duet_err *err)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	int rv = -1;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&u);
	if (convert_json_to_msgpack(&pk, json, len, CONVERT_MAX_NESTING, err) ==
	    -1) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		util_err_set(err, "ERR", "descriptors: %s", why);
	} else if (msgpack_unpack_next(&u, sb.data, sb.size, NULL) !=
	    MSGPACK_UNPACK_SUCCESS) {
		util_err_set(err, "ERR", "descriptors: not one JSON value");
	} else {
		rv = link_set_commands(
		    l, &u.data, NULL, 0, link_call_forward, err);
	}
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	return rv;
}

/*
 * LINK REGISTER as descriptors: c becomes the link of the node called as.
 */
static void
hub_register(duet_call *call)
{
	struct conn *c = call->conn;
	struct registry *reg = c->env->reg;
	struct link *l, *old;
	const struct command *taken;
	struct hub_end *h;
	struct duet_err err;
	char as[LINK_NAME_MAX + 1];
	const char *s, *json;
	size_t len, jlen;

	if (builtin_admin_nrest(call, 1) != 2) {
		duet_reply_error(call, "ERR",
		    "wrong number of arguments for 'link|register' command");
		return;
	}
	s = builtin_admin_rest(call, 1, 0, &len);
	json = builtin_admin_rest(call, 1, 1, &jlen);
	if (!c->resp3) {
		duet_reply_error(call, "ERR",
		    "LINK REGISTER needs RESP3: send HELLO 3 first");
		return;
	}
	if (!hub_name_ok(s, len)) {
		duet_reply_error(call, "ERR",
		    "invalid link name: use 1 to %d of a-z 0-9 _ -",
		    LINK_NAME_MAX);
		return;
	}
	memcpy(as, s, len);
	as[len] = '\0';
	if (reg->auth == NULL) {
		duet_reply_error(call, "ERR",
		    "this daemon takes no links: it has no auth section "
		    "(a node logs in as a user with link: true)");
		return;
	}
	if (!dispatch_may_link(c, as, len)) {
		log_warnx("link %s refused from %s: user %s may not link as "
		          "that name",
		    as, c->peer, c->ident.user != NULL ? c->ident.user : "-");
		duet_reply_error(call, "NOPERM",
		    "this user may not register a link as '%s'", as);
		return;
	}
	if ((h = conn_state_find(c, &hub_key)) != NULL && h->link != NULL) {
		duet_reply_error(call, "ERR",
		    "this connection is already the link '%s'", h->link->name);
		return;
	}
	if ((taken = hub_prefix_taken(reg, as)) != NULL) {
		duet_reply_error(call, "ERR",
		    "link name '%s' clashes with the command '%s'", as,
		    taken->name);
		return;
	}
	old = link_find(as);
	if (old != NULL &&
	    (old->side != LINK_SIDE_HUB ||
	        link_state(old, NULL) != LINK_DOWN)) {
		log_warnx(
		    "link %s refused from %s: the name is in use", as, c->peer);
		duet_reply_error(call, "ERR", "link name '%s' is in use", as);
		link_unref(old);
		return;
	}
	if ((l = link_new(as, LINK_SIDE_HUB)) == NULL)
		goto nomem;
	if (hub_commands(l, json, jlen, &err) == -1) {
		log_warnx("link %s refused from %s: %s", as, c->peer, err.msg);
		duet_reply_error(call, err.code, "%s", err.msg);
		link_unref(l);
		link_unref(old);
		return;
	}
	h = conn_state_own(c, &hub_key, sizeof(*h), hub_close);
	if (h == NULL || link_publish(l, old) == -1) {
		link_unref(l);
		goto nomem;
	}
	link_unref(old);
	h->conn = c;
	h->link = l; /* link_new's reference */
	link_wire_init(&h->wire);
	l->owner = h;
	link_up(l, &c->env->mailbox, hub_deliver, c->peer);
	conn_set_idle_link(c);
	log_info(
	    "link %s up from %s (%zu commands)", as, c->peer, l->ncommands);
	convert_pack_status(duet_reply(call), "OK");
	return;
nomem:
	link_unref(old);
	duet_reply_error(call, "ERR", "out of memory");
}

/* The link c serves, with the call id of argument 0 of the rest, or NULL
 * after answering the error. */
static struct hub_end *
hub_end_of(duet_call *call, uint64_t *id)
{
	struct hub_end *h = conn_state_find(call->conn, &hub_key);
	const char *s;
	size_t len;

	if (h == NULL || h->link == NULL) {
		duet_reply_error(call, "ERR",
		    "this connection is not a link: LINK REGISTER first");
		return NULL;
	}
	s = builtin_admin_rest(call, 1, 0, &len);
	if (util_parse_uint64(s, len, id) == -1) {
		duet_reply_error(call, "ERR", "invalid call id");
		return NULL;
	}
	return h;
}

/* The job of id on h, or NULL after logging that none is in flight. */
static struct link_job *
hub_take(struct hub_end *h, uint64_t id)
{
	struct link_job *job = link_wire_take(&h->wire, id);

	if (job == NULL)
		log_warnx("link %s: an answer for unknown call id %" PRIu64
		          ": ignored",
		    h->link->name, id);
	return job;
}

/* Fails job with the node's error: code and message, counted bytes. */
static void
hub_fail(struct hub_end *h, struct link_job *job, const char *code, size_t clen,
    const char *msg, size_t mlen)
{
	char c[64], m[sizeof(((struct duet_err *)0)->msg)];

	snprintf(c, sizeof(c), "%.*s", (int)clen, code);
	snprintf(m, sizeof(m), "%.*s", (int)mlen, msg);
	link_call_error(h->link, job, c, m);
}

/*
 * The job of id on h, or NULL after logging and answering the error
 * (or, noreply, answering nothing).
 */
static struct link_job *
hub_job(duet_call *call, struct hub_end *h, uint64_t id, int noreply)
{
	struct link_job *job = hub_take(h, id);

	if (job == NULL) {
		if (noreply)
			call->answered = 1;
		else
			duet_reply_error(
			    call, "ERR", "unknown call id %" PRIu64, id);
	}
	return job;
}

/*
 * Whether the last of the n words after LINK's subcommand is NOREPLY
 * (then, for a registered link, nothing is answered: the node's answers
 * are not acknowledged, so they need no place in what it waits for).
 */
static int
hub_noreply(duet_call *call, uint32_t n)
{
	size_t len;
	const char *s = builtin_admin_rest(call, 1, n - 1, &len);

	return util_strcaseeq(s, len, "NOREPLY");
}

/* Answers +OK, or nothing after NOREPLY. */
static void
hub_ack(duet_call *call, int noreply)
{
	if (noreply)
		call->answered = 1;
	else
		convert_pack_status(duet_reply(call), "OK");
}

/* LINK REPLY id value [NOREPLY]: the node's answer to call id. */
static void
hub_reply(duet_call *call)
{
	uint32_t n = builtin_admin_nrest(call, 1);
	struct hub_end *h;
	struct link_job *job;
	const char *mp;
	uint64_t id;
	size_t len;
	int noreply = n == 3 && hub_noreply(call, n);

	if (n != 2 && !noreply) {
		duet_reply_error(call, "ERR",
		    "wrong number of arguments for 'link|reply' command");
		return;
	}
	if ((h = hub_end_of(call, &id)) == NULL ||
	    (job = hub_job(call, h, id, noreply)) == NULL)
		return;
	mp = builtin_admin_rest(call, 1, 1, &len);
	link_call_answer(h->link, job, mp, len);
	hub_ack(call, noreply);
}

/* LINK ERROR id code message [NOREPLY]: the node's error for call id. */
static void
hub_error(duet_call *call)
{
	uint32_t n = builtin_admin_nrest(call, 1);
	struct hub_end *h;
	struct link_job *job;
	const char *code, *msg;
	uint64_t id;
	size_t clen, mlen;
	int noreply = n == 4 && hub_noreply(call, n);

	if (n != 3 && !noreply) {
		duet_reply_error(call, "ERR",
		    "wrong number of arguments for 'link|error' command");
		return;
	}
	if ((h = hub_end_of(call, &id)) == NULL ||
	    (job = hub_job(call, h, id, noreply)) == NULL)
		return;
	code = builtin_admin_rest(call, 1, 1, &clen);
	msg = builtin_admin_rest(call, 1, 2, &mlen);
	hub_fail(h, job, code, clen, msg, mlen);
	hub_ack(call, noreply);
}

/* describe_filter.shows: a plugin's command the caller (arg: its
 * filter) may call. */
static int
hub_listed(const void *arg, const struct command *cmd)
{
	return cmd->plugin != NULL && describe_shows(arg, cmd);
}

/*
 * LINK COMMANDS: the descriptors of this daemon's plugin commands that
 * the caller may call (GET /commands' array, without the built-ins or
 * linked commands): what a node imports.
 */
static void
hub_list(duet_call *call)
{
	struct conn *c = call->conn;
	struct builtin_http_listing bl;
	struct describe_filter f = {hub_listed, NULL, NULL, 0};

	if ((f.arg = builtin_http_listing(&bl, c, c->env->reg)) == NULL) {
		duet_reply_error(call, "ERR", "out of memory");
		return;
	}
	describe_commands(duet_reply(call), c->env->reg, &f);
	builtin_http_listing_fini(&bl);
}

/*
 * The bytes of word w in c's encoding: the word itself (RESP text), or
 * the one str or bin it packs (CLIENT ENCODING MSGPACK).  NULL for
 * anything else (JSON: the general path reads it).
 */
static const char *
hub_word(const struct conn *c, const struct resp_arg *w, size_t *len)
{
	msgpack_object o;

	if (c->encoding == CONN_ENC_NATIVE) {
		*len = w->len;
		return w->ptr;
	}
	if (c->encoding != CONN_ENC_MSGPACK ||
	    convert_unpack_scalar(w->ptr, w->len, &o) == -1 ||
	    (o.type != MSGPACK_OBJECT_STR && o.type != MSGPACK_OBJECT_BIN))
		return NULL;
	*len = o.via.str.size;
	return o.via.str.ptr;
}

/* Whether s (len bytes) is the upper-case word w in any case: the exact
 * bytes, what a node sends, are the quick test. */
static int
hub_word_is(const char *s, size_t len, const char *w)
{
	size_t n = strlen(w);

	return len == n && (memcmp(s, w, n) == 0 || util_strcaseeq(s, len, w));
}

/*
 * A node's answer, straight from the words of its request (argv: the
 * argc words after the name), without the general path's binding: LINK
 * REPLY id value NOREPLY or LINK ERROR id code message NOREPLY on a
 * registered link, what a node sends for every call.  It answers nothing,
 * as LINK does after NOREPLY.  Returns 1 if done, 0 if the request is not
 * one of them (the general path takes it, and answers its errors).
 */
int
builtin_link_answer(struct conn *c, const struct resp_arg *name,
    const struct resp_arg *argv, size_t argc)
{
	const char *w[5];
	size_t len[5], i;
	struct hub_end *h;
	struct link_job *job;
	uint64_t id;
	int error;

	if ((argc != 4 && argc != 5) ||
	    !hub_word_is(name->ptr, name->len, "LINK") ||
	    (h = conn_state_find(c, &hub_key)) == NULL || h->link == NULL)
		return 0;
	for (i = 0; i < argc; i++)
		if ((w[i] = hub_word(c, &argv[i], &len[i])) == NULL)
			return 0;
	error = argc == 5;
	if (!hub_word_is(w[0], len[0], error ? "ERROR" : "REPLY") ||
	    !hub_word_is(w[argc - 1], len[argc - 1], "NOREPLY") ||
	    util_parse_uint64(w[1], len[1], &id) == -1)
		return 0;
	if ((job = hub_take(h, id)) == NULL)
		return 1;
	if (error)
		hub_fail(h, job, w[2], len[2], w[3], len[3]);
	else
		link_call_answer(h->link, job, w[2], len[2]);
	return 1;
}

/* Whether c is the hub's end of a registered link. */
int
builtin_link_is(struct conn *c)
{
	struct hub_end *h = conn_state_find(c, &hub_key);

	return h != NULL && h->link != NULL;
}

/*
 * LINK REGISTER as descriptors | REPLY id value | ERROR id code message |
 * COMMANDS
 */
void
builtin_link(duet_call *call)
{
	if (builtin_admin_arg_is(call, 0, "REGISTER"))
		hub_register(call);
	else if (builtin_admin_arg_is(call, 0, "REPLY"))
		hub_reply(call);
	else if (builtin_admin_arg_is(call, 0, "ERROR"))
		hub_error(call);
	else if (builtin_admin_arg_is(call, 0, "COMMANDS"))
		hub_list(call);
	else
		builtin_admin_unknown_sub(call, "LINK");
}
