/* SPDX-License-Identifier: MIT */
/*
 * builtin_admin - CONFIG GET, TIME, the HELP subcommands, CLIENT INFO,
 * CLIENT LIST and CLIENT KILL, with Redis 7's replies.
 *
 * CONFIG GET answers what clients and tools ask Redis about (save and
 * appendonly for redis-benchmark, maxclients, timeout, ...) from the
 * running limits; nothing can be set: the YAML file is the configuration.
 *
 * A connection belongs to its worker's thread, so CLIENT LIST and CLIENT
 * KILL, which concern every worker's connections, are jobs: the call is
 * deferred, each worker gets a part posted to its loop (worker_post) and
 * lists or closes its own connections there, and the worker that finishes
 * the last part answers (duet_finish may be called from any thread).  The
 * parts share nothing but the job's atomic count of parts still to run.
 */
#include "autoconf.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "builtin_admin.h"
#include "conn.h"
#include "convert.h"
#include "dispatch.h"
#include "env.h"
#include "util.h"

/* The longest CONFIG GET pattern that can match (names are shorter). */
#define ADMIN_PATTERN_MAX 128

/* One setting CONFIG GET knows, by its Redis name. */
struct admin_param {
	const char *name;
	char value[24];
};

/* Which connections CLIENT LIST or CLIENT KILL is about. */
struct admin_filter {
	uint64_t *ids; /* owned: one of these ids (none given: any) */
	size_t nids;
	char *addr;  /* owned: this peer address, or NULL */
	char *laddr; /* owned: this local address, or NULL */
	int none;    /* a client TYPE duetd has none of */
	int skipme;  /* leave out the caller's own connection */
};

/* A connection described by a worker's part of CLIENT LIST. */
struct admin_line {
	uint64_t id;
	size_t len; /* bytes of its line in the part's text */
};

struct admin_job;

/* What one worker does of a job, on its own thread. */
struct admin_part {
	struct admin_job *job;    /* borrowed: the job it belongs to */
	struct env *w;            /* borrowed: the worker it runs on */
	struct evbuffer *text;    /* owned: LIST lines, in id order */
	struct admin_line *lines; /* owned */
	size_t n, cap, next;      /* next: the merge's position */
	uint64_t killed;          /* KILL: connections closed */
	int failed;               /* out of memory */
};

/*
 * A CLIENT LIST or CLIENT KILL over every worker.  Written by the caller's
 * thread before the parts are posted; then each part writes only its own
 * entry, and the part that brings left to 0 reads them all and answers.
 */
struct admin_job {
	atomic_int left; /* parts still to finish */
	duet_call *call; /* borrowed: the deferred call, until finish */
	int kill;        /* CLIENT KILL (else LIST) */
	int old_form;    /* CLIENT KILL addr: +OK or an error */
	uint64_t self;   /* the caller's connection id */
	struct admin_filter f;
	int nparts;
	struct admin_part parts[]; /* one per worker */
};

/*
 * Whether argument i (a str or bytes) equals word, ignoring case.
 */
int
builtin_admin_arg_is(const duet_call *call, int i, const char *word)
{
	size_t len;
	const char *s = duet_arg_bytes(call, i, &len);

	return util_strcaseeq(s, len, word);
}

/*
 * How many values variadic argument v holds (0 when absent).
 */
uint32_t
builtin_admin_nrest(const duet_call *call, int v)
{
	const msgpack_object *o = duet_arg(call, v);

	return o->type == MSGPACK_OBJECT_ARRAY ? o->via.array.size : 0;
}

/*
 * The bytes of value i of variadic argument v (a str or bytes).
 */
const char *
builtin_admin_rest(const duet_call *call, int v, uint32_t i, size_t *len)
{
	return duet_obj_bytes(&duet_arg(call, v)->via.array.ptr[i], len);
}

static int
admin_rest_is(const duet_call *call, uint32_t i, const char *word)
{
	size_t len;
	const char *s = builtin_admin_rest(call, 1, i, &len);

	return util_strcaseeq(s, len, word);
}

/*
 * Redis's error for a subcommand it does not know (argument 0).
 */
void
builtin_admin_unknown_sub(duet_call *call, const char *cmd)
{
	size_t len;
	const char *s = duet_arg_bytes(call, 0, &len);

	duet_reply_error(call, "ERR", "unknown subcommand '%.*s'. Try %s HELP.",
	    (int)(len < 128 ? len : 128), s, cmd);
}

/*
 * Redis's error for a subcommand given the wrong number of arguments;
 * name is Redis's "command|subcommand".
 */
void
builtin_admin_arity_error(duet_call *call, const char *name)
{
	duet_reply_error(
	    call, "ERR", "wrong number of arguments for '%s' command", name);
}

/*
 * Answers Redis's help for cmd: a header line, lines (NULL-terminated),
 * then HELP itself, each a status reply in one array.
 */
void
builtin_admin_help(duet_call *call, const char *cmd, const char *const *lines)
{
	msgpack_packer *pk = duet_reply(call);
	char head[128];
	size_t i, n = 0;

	while (lines[n] != NULL)
		n++;
	snprintf(head, sizeof(head),
	    "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", cmd);
	msgpack_pack_array(pk, n + 3);
	convert_pack_status(pk, head);
	for (i = 0; i < n; i++)
		convert_pack_status(pk, lines[i]);
	convert_pack_status(pk, "HELP");
	convert_pack_status(pk, "    Print this help.");
}

/*
 * TIME: the server's clock as Redis answers it, two bulk strings:
 * seconds since the epoch and microseconds.  Any thread.
 */
void
builtin_admin_time(duet_call *call)
{
	msgpack_packer *pk = duet_reply(call);
	struct timespec ts;
	char sec[24], usec[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(sec, sizeof(sec), "%lld", (long long)ts.tv_sec);
	snprintf(usec, sizeof(usec), "%ld", ts.tv_nsec / 1000);
	msgpack_pack_array(pk, 2);
	convert_pack_cstr(pk, sec);
	convert_pack_cstr(pk, usec);
}

/*
 * The settings CONFIG GET knows, with c's values, in name order; returns
 * how many.  Redis's timeout is limits.idle_timeout in whole seconds
 * (rounded up), port the one c's listener is on (0 for a unix socket).
 */
static size_t
admin_params(const struct conn *c, struct admin_param *p)
{
	const struct config_limits *l = &c->env->limits;
	const char *port = strrchr(c->local, ':');
	uint64_t num;
	size_t n = 0;

	if (port == NULL ||
	    util_parse_uint64(port + 1, strlen(port + 1), &num) == -1)
		num = 0;
	p[n++] = (struct admin_param){"appendonly", "no"};
	p[n++] = (struct admin_param){"databases", "1"};
	p[n].name = "maxclients";
	snprintf(
	    p[n++].value, sizeof(p->value), "%" PRIu64, l->max_connections);
	p[n].name = "port";
	snprintf(p[n++].value, sizeof(p->value), "%" PRIu64, num);
	p[n].name = "proto-max-bulk-len";
	snprintf(
	    p[n++].value, sizeof(p->value), "%" PRIu64, l->max_request_bytes);
	p[n++] = (struct admin_param){"save", ""};
	p[n].name = "timeout";
	snprintf(p[n++].value, sizeof(p->value), "%" PRIu64,
	    (l->idle_timeout_ms + 999) / 1000);
	return n;
}

/*
 * CONFIG GET pattern [pattern ...]: every setting whose name matches one
 * of the glob patterns (case-insensitive, as Redis), each once, as a map
 * (RESP2: a flat array; RESP3: a map).
 */
static void
admin_config_get(duet_call *call)
{
	struct admin_param p[16];
	uint32_t i, n = builtin_admin_nrest(call, 1);
	char pat[ADMIN_PATTERN_MAX];
	size_t k, np, nmatch = 0;
	unsigned match = 0;
	const char *s;
	size_t len;

	np = admin_params(call->conn, p);
	for (i = 0; i < n; i++) {
		s = builtin_admin_rest(call, 1, i, &len);
		if (len >= sizeof(pat))
			continue;
		memcpy(pat, s, len);
		pat[len] = '\0';
		for (k = 0; k < np; k++) {
			if (fnmatch(pat, p[k].name, FNM_CASEFOLD) == 0)
				match |= 1u << k;
		}
	}
	for (k = 0; k < np; k++)
		nmatch += (match >> k) & 1;
	msgpack_pack_map(duet_reply(call), nmatch);
	for (k = 0; k < np; k++) {
		if ((match >> k) & 1) {
			convert_pack_cstr(duet_reply(call), p[k].name);
			convert_pack_cstr(duet_reply(call), p[k].value);
		}
	}
}

static const char *const admin_config_help_lines[] = {
    "GET <pattern> [<pattern> ...]",
    "    Return parameters matching the glob-like <pattern> and their "
    "values.",
    "SET, RESETSTAT, REWRITE",
    "    Refused: the YAML file is duetd's configuration; edit it and",
    "    reload duetd (SIGHUP).",
    NULL,
};

/*
 * CONFIG GET | HELP; SET, RESETSTAT and REWRITE answer an error.  Worker
 * thread, inline.
 */
void
builtin_admin_config(duet_call *call)
{
	uint32_t n = builtin_admin_nrest(call, 1);

	if (builtin_admin_arg_is(call, 0, "GET") && n > 0)
		admin_config_get(call);
	else if (builtin_admin_arg_is(call, 0, "GET"))
		builtin_admin_arity_error(call, "config|get");
	else if (builtin_admin_arg_is(call, 0, "SET"))
		duet_reply_error(call, "ERR",
		    "CONFIG SET is not supported: duetd reads its settings "
		    "from its YAML file; edit it and reload duetd (SIGHUP)");
	else if (builtin_admin_arg_is(call, 0, "RESETSTAT"))
		duet_reply_error(call, "ERR",
		    "CONFIG RESETSTAT is not supported: duetd's counters "
		    "only go up while it runs");
	else if (builtin_admin_arg_is(call, 0, "REWRITE"))
		duet_reply_error(call, "ERR",
		    "CONFIG REWRITE is not supported: duetd never writes its "
		    "configuration file");
	else if (builtin_admin_arg_is(call, 0, "HELP") && n == 0)
		builtin_admin_help(call, "CONFIG", admin_config_help_lines);
	else
		builtin_admin_unknown_sub(call, "CONFIG");
}

static const char *const admin_client_help_lines[] = {
    "ENCODING (NATIVE|MSGPACK|JSON)",
    "    Encode every later argument and reply as one msgpack or JSON "
    "value,",
    "    or go back to RESP types.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR <ip:port>",
    "      Kill connections made from the specified address",
    "    * LADDR <ip:port>",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "    * ID <client-id>",
    "      Kill connections by client id.",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "    * ID <client-id> [<client-id> ...]",
    "      Return clients of specified IDs only.",
    "SETINFO <option> <value>",
    "    Accepted and ignored (client libraries send it).",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    NULL,
};

/*
 * CLIENT HELP: the subcommands duetd serves, as Redis lists its own.
 */
void
builtin_admin_client_help(duet_call *call)
{
	builtin_admin_help(call, "CLIENT", admin_client_help_lines);
}

static const char *const admin_command_help_lines[] = {
    "(no subcommand)",
    "    Return details about all commands.",
    "COUNT",
    "    Return the total number of commands in this server.",
    "LIST",
    "    Return a list of all commands in this server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    NULL,
};

/*
 * COMMAND HELP: the subcommands duetd serves, as Redis lists its own.
 */
void
builtin_admin_command_help(duet_call *call)
{
	builtin_admin_help(call, "COMMAND", admin_command_help_lines);
}

/*
 * CLIENT INFO: the caller's own connection, one line ending in "\n".
 */
void
builtin_admin_client_info(duet_call *call)
{
	struct evbuffer *b = evbuffer_new();
	size_t len;

	if (b == NULL) {
		duet_reply_error(call, "ERR", "out of memory");
		return;
	}
	conn_describe(call->conn, b);
	len = evbuffer_get_length(b);
	duet_reply_str(call, (const char *)evbuffer_pullup(b, -1), len);
	evbuffer_free(b);
}

static void
admin_job_free(struct admin_job *job)
{
	int k;

	for (k = 0; k < job->nparts; k++) {
		if (job->parts[k].text != NULL)
			evbuffer_free(job->parts[k].text);
		free(job->parts[k].lines);
	}
	free(job->f.ids);
	free(job->f.addr);
	free(job->f.laddr);
	free(job);
}

/*
 * A job with a part per worker (the caller's and its peers), or NULL
 * when out of memory.
 */
static struct admin_job *
admin_job_new(duet_call *call, int kill)
{
	struct env *e = call->conn->env;
	int k, n = e->envs != NULL ? e->nenvs : 1;
	struct admin_job *job;

	job = calloc(1, sizeof(*job) + (size_t)n * sizeof(job->parts[0]));
	if (job == NULL)
		return NULL;
	job->kill = kill;
	job->self = call->conn->id;
	job->nparts = n;
	atomic_init(&job->left, n);
	for (k = 0; k < n; k++) {
		job->parts[k].job = job;
		job->parts[k].w = e->envs != NULL ? e->envs[k] : e;
		if (!kill && (job->parts[k].text = evbuffer_new()) == NULL) {
			admin_job_free(job);
			return NULL;
		}
	}
	return job;
}

static int
admin_matches(const struct admin_job *job, const struct conn *c)
{
	const struct admin_filter *f = &job->f;
	size_t i;

	if (f->none || (f->skipme && c->id == job->self))
		return 0;
	if (f->addr != NULL && strcmp(c->peer, f->addr) != 0)
		return 0;
	if (f->laddr != NULL && strcmp(c->local, f->laddr) != 0)
		return 0;
	for (i = 0; i < f->nids; i++) {
		if (f->ids[i] == c->id)
			return 1;
	}
	return f->nids == 0;
}

/*
 * Appends c's line to a LIST part.  Returns -1 when out of memory.
 */
static int
admin_part_describe(struct admin_part *part, struct conn *c)
{
	size_t before = evbuffer_get_length(part->text);
	struct admin_line *l;

	if (part->n == part->cap) {
		l = reallocarray(part->lines, part->cap * 2 + 16, sizeof(*l));
		if (l == NULL)
			return -1;
		part->lines = l;
		part->cap = part->cap * 2 + 16;
	}
	conn_describe(c, part->text);
	part->lines[part->n].id = c->id;
	part->lines[part->n++].len = evbuffer_get_length(part->text) - before;
	return 0;
}

/*
 * Writes every part's lines to out, in connection id order (each part's
 * are in id order already: a worker links its conns as it creates them).
 */
static void
admin_job_merge(struct admin_job *job, struct evbuffer *out)
{
	struct admin_part *p, *best;
	int k;

	for (;;) {
		best = NULL;
		for (k = 0; k < job->nparts; k++) {
			p = &job->parts[k];
			if (p->next < p->n &&
			    (best == NULL ||
			        p->lines[p->next].id <
			            best->lines[best->next].id))
				best = p;
		}
		if (best == NULL)
			return;
		evbuffer_remove_buffer(
		    best->text, out, best->lines[best->next++].len);
	}
}

/*
 * Answers the job once every part is done (on the thread of the last
 * one), and frees it.
 */
static void
admin_job_answer(struct admin_job *job)
{
	duet_call *call = job->call;
	struct evbuffer *out = NULL;
	uint64_t killed = 0;
	const char *s;
	int k, failed = 0;

	for (k = 0; k < job->nparts; k++) {
		failed |= job->parts[k].failed;
		killed += job->parts[k].killed;
	}
	if (failed || (!job->kill && (out = evbuffer_new()) == NULL)) {
		duet_reply_error(call, "ERR", "out of memory");
	} else if (job->kill && job->old_form && killed == 0) {
		duet_reply_error(call, "ERR", "No such client");
	} else if (job->kill && job->old_form) {
		convert_pack_status(duet_reply(call), "OK");
	} else if (job->kill) {
		msgpack_pack_uint64(duet_reply(call), killed);
	} else {
		admin_job_merge(job, out);
		s = (const char *)evbuffer_pullup(out, -1);
		duet_reply_str(
		    call, s != NULL ? s : "", evbuffer_get_length(out));
	}
	if (out != NULL)
		evbuffer_free(out);
	duet_finish(call);
	admin_job_free(job);
}

static void
admin_part_done(struct admin_part *part)
{
	struct admin_job *job = part->job;

	if (atomic_fetch_sub_explicit(&job->left, 1, memory_order_acq_rel) == 1)
		admin_job_answer(job);
}

/*
 * One worker's part of a job, on that worker's thread: lists or closes
 * its matching connections.  The caller's own connection, when killed,
 * is closed once its reply is written, as Redis does.
 */
static void
admin_on_part(evutil_socket_t fd, short what, void *arg)
{
	struct admin_part *part = arg;
	struct admin_job *job = part->job;
	struct conn *c, *next;

	(void)fd;
	(void)what;
	for (c = TAILQ_FIRST(&part->w->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (!admin_matches(job, c))
			continue;
		if (!job->kill) {
			if (admin_part_describe(part, c) == -1)
				part->failed = 1;
			continue;
		}
		if (c->id == job->self)
			conn_close_after_reply(c);
		else
			conn_free(c);
		part->killed++;
	}
	admin_part_done(part);
}

/*
 * Defers the call and posts a part of job to every worker; the last part
 * answers.  On failure (out of memory) answers at once.
 */
static void
admin_job_start(duet_call *call, struct admin_job *job)
{
	int k, n = job->nparts;

	if ((job->call = duet_defer(call)) == NULL) {
		admin_job_free(job);
		return;
	}
	for (k = 0; k < n; k++) {
		if (env_post(job->parts[k].w, admin_on_part, &job->parts[k]) ==
		    -1) {
			job->parts[k].failed = 1;
			admin_part_done(&job->parts[k]);
		}
	}
}

/*
 * Copies a filter value (an address) out of the call's arguments, which
 * do not outlive the handler.
 */
static char *
admin_rest_dup(const duet_call *call, uint32_t i)
{
	size_t len;
	const char *s = builtin_admin_rest(call, 1, i, &len);

	return strndup(s, len);
}

/*
 * Parses a client TYPE: normal is every duetd client, the others (a
 * replica, a master, pub/sub) none.  Returns -1 after answering an error.
 */
static int
admin_parse_type(duet_call *call, uint32_t i, struct admin_filter *f)
{
	static const char *const others[] = {
	    "master", "replica", "slave", "pubsub"};
	size_t k, len;
	const char *s = builtin_admin_rest(call, 1, i, &len);

	if (util_strcaseeq(s, len, "normal"))
		return 0;
	for (k = 0; k < sizeof(others) / sizeof(others[0]); k++) {
		if (util_strcaseeq(s, len, others[k])) {
			f->none = 1;
			return 0;
		}
	}
	duet_reply_error(call, "ERR", "Unknown client type '%.*s'",
	    (int)(len < 64 ? len : 64), s);
	return -1;
}

/*
 * Adds the client id at argument i to f.  Returns -1 (error answered
 * with msg) unless it is an integer > 0.
 */
static int
admin_parse_id(
    duet_call *call, uint32_t i, struct admin_filter *f, const char *msg)
{
	size_t len;
	const char *s = builtin_admin_rest(call, 1, i, &len);
	int64_t id;

	if (util_parse_int64(s, len, &id) == -1 || id <= 0) {
		duet_reply_error(call, "ERR", "%s", msg);
		return -1;
	}
	f->ids[f->nids++] = (uint64_t)id;
	return 0;
}

/*
 * The options of CLIENT KILL's new form (pairs from argument 1 on) into
 * f.  Returns 0, or -1 after answering the error.
 */
static int
admin_kill_options(duet_call *call, struct admin_filter *f)
{
	uint32_t i, n = builtin_admin_nrest(call, 1);
	char **slot;

	f->skipme = 1;
	for (i = 0; i + 1 < n; i += 2) {
		slot = NULL;
		if (admin_rest_is(call, i, "ID")) {
			f->nids = 0;
			if (admin_parse_id(call, i + 1, f,
			        "client-id should be greater than 0") == -1)
				return -1;
		} else if (admin_rest_is(call, i, "ADDR")) {
			slot = &f->addr;
		} else if (admin_rest_is(call, i, "LADDR")) {
			slot = &f->laddr;
		} else if (admin_rest_is(call, i, "TYPE")) {
			if (admin_parse_type(call, i + 1, f) == -1)
				return -1;
		} else if (admin_rest_is(call, i, "SKIPME") &&
		    (admin_rest_is(call, i + 1, "yes") ||
		        admin_rest_is(call, i + 1, "no"))) {
			f->skipme = admin_rest_is(call, i + 1, "yes");
		} else {
			duet_reply_error(call, "ERR", "syntax error");
			return -1;
		}
		if (slot != NULL) {
			free(*slot);
			if ((*slot = admin_rest_dup(call, i + 1)) == NULL)
				goto nomem;
		}
	}
	return 0;
nomem:
	duet_reply_error(call, "ERR", "out of memory");
	return -1;
}

/*
 * CLIENT KILL ip:port (+OK, or -ERR No such client; the caller may kill
 * itself) or CLIENT KILL option value ... (the number killed; the caller
 * is skipped unless SKIPME no), over every worker's connections.
 */
void
builtin_admin_client_kill(duet_call *call)
{
	uint32_t n = builtin_admin_nrest(call, 1);
	struct admin_job *job;

	if (n == 0) {
		builtin_admin_arity_error(call, "client|kill");
		return;
	}
	if (n > 1 && n % 2 == 1) {
		duet_reply_error(call, "ERR", "syntax error");
		return;
	}
	if ((job = admin_job_new(call, 1)) == NULL ||
	    (job->f.ids = calloc(1, sizeof(uint64_t))) == NULL) {
		if (job != NULL)
			admin_job_free(job);
		duet_reply_error(call, "ERR", "out of memory");
		return;
	}
	if (n == 1) {
		job->old_form = 1;
		if ((job->f.addr = admin_rest_dup(call, 0)) == NULL) {
			duet_reply_error(call, "ERR", "out of memory");
			admin_job_free(job);
			return;
		}
	} else if (admin_kill_options(call, &job->f) == -1) {
		admin_job_free(job);
		return;
	}
	admin_job_start(call, job);
}

/*
 * CLIENT LIST [TYPE type] [ID id ...]: a line per connection of every
 * worker, in id order, each as CLIENT INFO's.
 */
void
builtin_admin_client_list(duet_call *call)
{
	uint32_t i, n = builtin_admin_nrest(call, 1);
	struct admin_job *job;

	if (n == 1 || (n > 2 && !admin_rest_is(call, 0, "ID")) ||
	    (n == 2 && !admin_rest_is(call, 0, "ID") &&
	        !admin_rest_is(call, 0, "TYPE"))) {
		duet_reply_error(call, "ERR", "syntax error");
		return;
	}
	if ((job = admin_job_new(call, 0)) == NULL ||
	    (n > 0 && (job->f.ids = calloc(n, sizeof(uint64_t))) == NULL)) {
		if (job != NULL)
			admin_job_free(job);
		duet_reply_error(call, "ERR", "out of memory");
		return;
	}
	if (n > 0 && admin_rest_is(call, 0, "TYPE")) {
		if (admin_parse_type(call, 1, &job->f) == -1) {
			admin_job_free(job);
			return;
		}
	} else {
		for (i = 1; i < n; i++) {
			if (admin_parse_id(
			        call, i, &job->f, "Invalid client ID") == -1) {
				admin_job_free(job);
				return;
			}
		}
	}
	admin_job_start(call, job);
}
