/* SPDX-License-Identifier: MIT */
/*
 * links - the links between daemons and the table of linked commands (see
 * links.h).  Links are registered in one list under link_lock; every change
 * of the list or of a link's commands builds a new immutable snapshot of
 * the commands and publishes it with a new version number, which workers
 * compare (one atomic load) before they trust the snapshot they hold.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "convert.h"
#include "links.h"
#include "log.h"
#include "metrics.h"
#include "registry.h"
#include "signature.h"
#include "util.h"

struct link_table {
	atomic_int refcnt;
	uint64_t version;
	struct link **links; /* owned references */
	size_t nlinks;
	const struct command **index; /* open addressing, NULL: empty */
	size_t indexsize;             /* a power of two */
};

static pthread_mutex_t link_lock = PTHREAD_MUTEX_INITIALIZER;
static struct link **link_list; /* owned references, under link_lock */
static size_t link_nlist;
static struct link_table *link_current; /* under link_lock */
static atomic_uint_fast64_t link_version;

struct link *
link_new(const char *name, int side)
{
	struct link *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->name = strdup(name)) == NULL) {
		free(l);
		return NULL;
	}
	l->namelen = strlen(name);
	atomic_init(&l->refcnt, 1);
	l->side = side;
	atomic_init(&l->state, LINK_DOWN);
	l->since = time(NULL);
	pthread_mutex_init(&l->lock, NULL);
	TAILQ_INIT(&l->queue);
	return l;
}

void
link_ref(struct link *l)
{
	atomic_fetch_add(&l->refcnt, 1);
}

static void
link_free_commands(struct command *cmds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		registry_command_fini(&cmds[i]);
	free(cmds);
}

void
link_job_free(struct link_job *job)
{
	free(job);
}

void
link_unref(struct link *l)
{
	struct link_job *job;

	if (l == NULL || atomic_fetch_sub(&l->refcnt, 1) != 1)
		return;
	while ((job = TAILQ_FIRST(&l->queue)) != NULL) {
		TAILQ_REMOVE(&l->queue, job, entry);
		link_job_free(job);
	}
	link_free_commands(l->commands, l->ncommands);
	pthread_mutex_destroy(&l->lock);
	free(l->name);
	free(l);
}

/* The value of key in the msgpack map o, or NULL. */
static const msgpack_object *
link_map_get(const msgpack_object *o, const char *key)
{
	size_t i, n = strlen(key);

	if (o->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
		    memcmp(k->via.str.ptr, key, n) == 0)
			return &o->via.map.ptr[i].val;
	}
	return NULL;
}

/* A string value of the map o as a new C string, or NULL. */
static char *
link_map_str(const msgpack_object *o, const char *key, const char *dflt)
{
	const msgpack_object *v = link_map_get(o, key);

	if (v == NULL || v->type == MSGPACK_OBJECT_NIL)
		return dflt != NULL ? strdup(dflt) : NULL;
	if (v->type != MSGPACK_OBJECT_STR ||
	    memchr(v->via.str.ptr, '\0', v->via.str.size) != NULL)
		return NULL;
	return strndup(v->via.str.ptr, v->via.str.size);
}

static int
link_map_true(const msgpack_object *o, const char *key)
{
	const msgpack_object *v = link_map_get(o, key);

	return v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
}

/* A default value's text in a signature ("=text"): a scalar only. */
static int
link_default_text(const msgpack_object *v, struct evbuffer *sig)
{
	switch (v->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return evbuffer_add_printf(
		    sig, "=%llu", (unsigned long long)v->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return evbuffer_add_printf(sig, "=%lld", (long long)v->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return evbuffer_add_printf(sig, "=%.17g", v->via.f64);
	case MSGPACK_OBJECT_BOOLEAN:
		return evbuffer_add_printf(
		    sig, "=%s", v->via.boolean ? "true" : "false");
	case MSGPACK_OBJECT_STR:
		if (memchr(v->via.str.ptr, ' ', v->via.str.size) != NULL ||
		    memchr(v->via.str.ptr, '\0', v->via.str.size) != NULL)
			return -1;
		return evbuffer_add_printf(
		    sig, "=%.*s", (int)v->via.str.size, v->via.str.ptr);
	default:
		return -1;
	}
}

/*
 * Writes the signature text of a descriptor's "args" (GET /commands'
 * shape: name, type, optional, variadic, default) to sig.  Returns 0, or
 * -1 when it is not that shape.
 */
static int
link_signature(const msgpack_object *args, struct evbuffer *sig)
{
	uint32_t i;

	if (args == NULL || args->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (args->type != MSGPACK_OBJECT_ARRAY ||
	    args->via.array.size > SIG_MAX_PARAMS)
		return -1;
	for (i = 0; i < args->via.array.size; i++) {
		const msgpack_object *p = &args->via.array.ptr[i];
		const msgpack_object *name = link_map_get(p, "name");
		const msgpack_object *type = link_map_get(p, "type");
		const msgpack_object *dflt = link_map_get(p, "default");

		if (name == NULL || name->type != MSGPACK_OBJECT_STR ||
		    type == NULL || type->type != MSGPACK_OBJECT_STR)
			return -1;
		if (evbuffer_add_printf(sig, "%s%.*s:%.*s%s", i > 0 ? " " : "",
		        (int)name->via.str.size, name->via.str.ptr,
		        (int)type->via.str.size, type->via.str.ptr,
		        link_map_true(p, "variadic") ? "..." : "") < 0)
			return -1;
		if (dflt != NULL) {
			if (link_default_text(dflt, sig) < 0)
				return -1;
		} else if (link_map_true(p, "optional") &&
		    evbuffer_add(sig, "?", 1) == -1) {
			return -1;
		}
	}
	return 0;
}

/* The flags a descriptor's "flags" names that a linked command keeps. */
static unsigned
link_flags(const msgpack_object *flags)
{
	uint32_t i;

	if (flags == NULL || flags->type != MSGPACK_OBJECT_ARRAY)
		return 0;
	for (i = 0; i < flags->via.array.size; i++) {
		const msgpack_object *f = &flags->via.array.ptr[i];

		/* READONLY only: the other end cannot make its commands
		 * public here, and its streams arrive collected. */
		if (f->type == MSGPACK_OBJECT_STR && f->via.str.size == 8 &&
		    memcmp(f->via.str.ptr, "readonly", 8) == 0)
			return DUET_READONLY;
	}
	return 0;
}

/* Whether the command name s (len bytes) is one a link may declare. */
static int
link_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= ' ' || ch >= 0x7f || ch == '/' || ch == '?' ||
		    ch == '%' || ch == '#')
			return 0;
	}
	return 1;
}

/* Whether one of globs (nglobs) matches name; no globs: none does. */
static int
link_glob_any(char *const *globs, size_t nglobs, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < nglobs; i++) {
		if (util_glob_match(globs[i], strlen(globs[i]), name, len))
			return 1;
	}
	return 0;
}

/*
 * Makes c the linked command of descriptor d, named "<prefix>.<name>".
 * Returns 1, 0 when the globs leave it out, or -1 with err set.
 */
static int
link_command(struct command *c, const char *prefix, const msgpack_object *d,
    char *const *globs, size_t nglobs, duet_handler_fn handler,
    struct duet_err *err)
{
	const msgpack_object *name = link_map_get(d, "name");
	struct evbuffer *sig;
	char full[REGISTRY_NAME_MAX + 1];
	size_t i, plen = strlen(prefix);
	int n;

	memset(c, 0, sizeof(*c));
	if (name == NULL || name->type != MSGPACK_OBJECT_STR ||
	    !link_name_ok(name->via.str.ptr, name->via.str.size)) {
		util_err_set(err, "ERR", "a descriptor has no valid name");
		return -1;
	}
	if (globs != NULL &&
	    !link_glob_any(
	        globs, nglobs, name->via.str.ptr, name->via.str.size))
		return 0;
	n = snprintf(full, sizeof(full), "%s.%.*s", prefix,
	    (int)name->via.str.size, name->via.str.ptr);
	if (n < 0 || (size_t)n >= sizeof(full) ||
	    name->via.str.size + plen + 1 > REGISTRY_NAME_MAX) {
		util_err_set(err, "ERR", "command name '%.*s' is too long",
		    (int)(name->via.str.size > 64 ? 64 : name->via.str.size),
		    name->via.str.ptr);
		return -1;
	}
	if ((sig = evbuffer_new()) == NULL)
		goto nomem;
	if (link_signature(link_map_get(d, "args"), sig) == -1 ||
	    evbuffer_add(sig, "", 1) == -1) {
		evbuffer_free(sig);
		util_err_set(err, "ERR", "command '%s': bad args", full);
		return -1;
	}
	c->args = strdup((const char *)evbuffer_pullup(sig, -1));
	evbuffer_free(sig);
	c->name = strdup(full);
	c->reply = link_map_str(d, "reply", "any");
	c->summary = link_map_str(d, "summary", "");
	if (c->args == NULL || c->name == NULL || c->reply == NULL ||
	    c->summary == NULL)
		goto bad;
	if ((c->sig = sig_parse(c->args, err)) == NULL) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		util_err_set(err, "ERR", "command '%s': %s", full, why);
		goto fail;
	}
	for (i = 0; c->name[i] != '\0'; i++)
		c->name[i] = (char)tolower((unsigned char)c->name[i]);
	c->namelen = i;
	c->flags = link_flags(link_map_get(d, "flags"));
	c->arity = sig_arity(c->sig);
	c->handler = handler;
	if ((c->stats = metrics_cmd_get(c->name)) == NULL)
		goto nomem;
	return 1;
bad:
	if (c->name != NULL && (c->reply == NULL || c->summary == NULL)) {
		util_err_set(
		    err, "ERR", "command '%s': bad reply or summary", full);
		goto fail;
	}
nomem:
	util_err_set(err, "ERR", "out of memory");
fail:
	registry_command_fini(c);
	memset(c, 0, sizeof(*c));
	return -1;
}

/*
 * Gives l the commands of descriptors (an array of GET /commands
 * descriptors), each as "<l->name>.<name>" served by handler; with globs
 * (nglobs), only the names one of them matches.  Whole or not at all: on
 * an error (err: what is wrong) l keeps its commands.  The caller must
 * publish l again for the table to show them.  Returns 0 or -1.
 */
int
link_set_commands(struct link *l, const msgpack_object *descriptors,
    char *const *globs, size_t nglobs, duet_handler_fn handler,
    struct duet_err *err)
{
	struct command *cmds;
	size_t i, j, n = 0;
	int r;

	if (descriptors->type != MSGPACK_OBJECT_ARRAY) {
		util_err_set(err, "ERR", "descriptors must be a JSON array");
		return -1;
	}
	if (descriptors->via.array.size > LINK_MAX_COMMANDS) {
		util_err_set(err, "ERR",
		    "%u commands: a link may register at most %d",
		    descriptors->via.array.size, LINK_MAX_COMMANDS);
		return -1;
	}
	cmds = calloc(descriptors->via.array.size + 1, sizeof(*cmds));
	if (cmds == NULL) {
		util_err_set(err, "ERR", "out of memory");
		return -1;
	}
	for (i = 0; i < descriptors->via.array.size; i++) {
		r = link_command(&cmds[n], l->name,
		    &descriptors->via.array.ptr[i], globs, nglobs, handler,
		    err);
		if (r == -1)
			goto fail;
		if (r == 0)
			continue;
		cmds[n].link = l;
		for (j = 0; j < n; j++) {
			if (strcmp(cmds[j].name, cmds[n].name) == 0) {
				util_err_set(err, "ERR",
				    "command '%s' is declared twice",
				    cmds[n].name);
				n++;
				goto fail;
			}
		}
		n++;
	}
	link_free_commands(l->commands, l->ncommands);
	l->commands = cmds;
	l->ncommands = n;
	return 0;
fail:
	link_free_commands(cmds, n);
	return -1;
}

/* l's state, and (since != NULL) when it began. */
int
link_state(struct link *l, time_t *since)
{
	int state;

	pthread_mutex_lock(&l->lock);
	state = l->state;
	if (since != NULL)
		*since = l->since;
	pthread_mutex_unlock(&l->lock);
	return state;
}

/*
 * Whether l's commands are callable at time now: always on the node (a
 * down link answers LINKDOWN), on the hub while the node is up or within
 * LINK_GRACE_SEC of its going down.
 */
int
link_visible(struct link *l, time_t now)
{
	time_t since;

	if (l->side == LINK_SIDE_NODE)
		return 1;
	return link_state(l, &since) == LINK_UP || now - since < LINK_GRACE_SEC;
}

/*
 * Whether a call of one of l's commands is taken now: it is, or
 * link_visible (the hub's grace); an up link costs one atomic load.
 */
int
link_callable(struct link *l)
{
	return atomic_load_explicit(&l->state, memory_order_relaxed) ==
	           LINK_UP ||
	       link_visible(l, time(NULL));
}

/*
 * Queues job on l and kicks l's worker (any thread).  Returns 0, or -1
 * when l is not up (job not queued: the caller answers LINKDOWN).
 */
int
link_queue(struct link *l, struct link_job *job)
{
	struct mailbox *mb;

	pthread_mutex_lock(&l->lock);
	if (l->state != LINK_UP || (mb = l->mailbox) == NULL) {
		pthread_mutex_unlock(&l->lock);
		return -1;
	}
	/* Posted under the lock: link_down clears mailbox under it, so a
	 * mail is never posted to a worker that no longer serves l.  A queue
	 * that holds jobs already has its mail on the way (link_take empties
	 * it under the lock). */
	if (TAILQ_EMPTY(&l->queue))
		mailbox_post(mb, &l->mail, LINK_KICK_SEND);
	TAILQ_INSERT_TAIL(&l->queue, job, entry);
	pthread_mutex_unlock(&l->lock);
	return 0;
}

/* Moves l's queued jobs to out (the link's worker).  Returns how many. */
size_t
link_take(struct link *l, struct link_jobs *out)
{
	struct link_job *job;
	size_t n = 0;

	pthread_mutex_lock(&l->lock);
	while ((job = TAILQ_FIRST(&l->queue)) != NULL) {
		TAILQ_REMOVE(&l->queue, job, entry);
		TAILQ_INSERT_TAIL(out, job, entry);
		n++;
	}
	pthread_mutex_unlock(&l->lock);
	return n;
}

/*
 * l is up, served on the worker of mailbox mb, whose thread runs fn for
 * l's kicks; peer names the other end.
 */
void
link_up(
    struct link *l, struct mailbox *mb, mailbox_deliver_fn fn, const char *peer)
{
	pthread_mutex_lock(&l->lock);
	l->state = LINK_UP;
	l->since = time(NULL);
	l->mailbox = mb;
	l->mail.deliver = fn;
	snprintf(l->peer, sizeof(l->peer), "%s", peer);
	l->error[0] = '\0';
	pthread_mutex_unlock(&l->lock);
	atomic_fetch_add(&l->stats.ups, 1);
}

/*
 * l went down for the reason why (NULL: keep the last one); the jobs
 * queued and not yet written move to unsent (the caller fails them).
 * Posts pending for l on its old mailbox are cancelled.
 */
void
link_down(struct link *l, const char *why, struct link_jobs *unsent)
{
	struct link_job *job;

	pthread_mutex_lock(&l->lock);
	if (l->mailbox != NULL)
		mailbox_cancel(l->mailbox, &l->mail);
	l->mailbox = NULL;
	if (l->state != LINK_DOWN) {
		l->state = LINK_DOWN;
		l->since = time(NULL);
	}
	if (why != NULL)
		snprintf(l->error, sizeof(l->error), "%s", why);
	while ((job = TAILQ_FIRST(&l->queue)) != NULL) {
		TAILQ_REMOVE(&l->queue, job, entry);
		TAILQ_INSERT_TAIL(unsent, job, entry);
	}
	pthread_mutex_unlock(&l->lock);
}

/* FNV-1a of a lower-cased name. */
static uint64_t
link_hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)tolower((unsigned char)s[i]);
		h *= 1099511628211ULL;
	}
	return h;
}

static void
link_table_free(struct link_table *t)
{
	size_t i;

	for (i = 0; i < t->nlinks; i++)
		link_unref(t->links[i]);
	free(t->links);
	free(t->index);
	free(t);
}

void
link_table_unref(struct link_table *t)
{
	if (t != NULL && atomic_fetch_sub(&t->refcnt, 1) == 1)
		link_table_free(t);
}

/* A snapshot of link_list (under link_lock), or NULL out of memory. */
static struct link_table *
link_table_build(void)
{
	struct link_table *t = calloc(1, sizeof(*t));
	size_t i, k, n = 0, j;

	if (t == NULL)
		return NULL;
	atomic_init(&t->refcnt, 1);
	for (i = 0; i < link_nlist; i++)
		n += link_list[i]->ncommands;
	for (t->indexsize = 16; t->indexsize < 2 * n;)
		t->indexsize *= 2;
	t->index = calloc(t->indexsize, sizeof(*t->index));
	t->links = calloc(link_nlist + 1, sizeof(*t->links));
	if (t->index == NULL || t->links == NULL) {
		link_table_free(t);
		return NULL;
	}
	for (i = 0; i < link_nlist; i++) {
		struct link *l = link_list[i];

		link_ref(l);
		t->links[t->nlinks++] = l;
		for (k = 0; k < l->ncommands; k++) {
			const struct command *c = &l->commands[k];

			j = link_hash(c->name, c->namelen) & (t->indexsize - 1);
			while (t->index[j] != NULL)
				j = (j + 1) & (t->indexsize - 1);
			t->index[j] = c;
		}
	}
	return t;
}

/* Replaces the published table by a snapshot of link_list (locked). */
static int
link_republish(void)
{
	struct link_table *t = link_table_build(), *old;

	if (t == NULL)
		return -1;
	t->version = atomic_load(&link_version) + 1;
	old = link_current;
	link_current = t;
	atomic_store(&link_version, t->version);
	link_table_unref(old);
	return 0;
}

/*
 * Adds l to the links (a reference) in the place of replaced (NULL:
 * none), whose reference goes; the table is published again with l's
 * commands, which must not change after.  Returns 0, or -1 (out of memory).
 */
int
link_publish(struct link *l, struct link *replaced)
{
	struct link **list;
	size_t i;
	int r;

	pthread_mutex_lock(&link_lock);
	for (i = 0; replaced != NULL && i < link_nlist; i++) {
		if (link_list[i] == replaced) {
			link_ref(l);
			link_list[i] = l;
			link_unref(replaced);
			break;
		}
	}
	for (i = 0; i < link_nlist && link_list[i] != l; i++)
		;
	if (i == link_nlist) {
		list = realloc(link_list, (link_nlist + 1) * sizeof(*list));
		if (list == NULL) {
			pthread_mutex_unlock(&link_lock);
			return -1;
		}
		link_list = list;
		link_ref(l);
		link_list[link_nlist++] = l;
	}
	r = link_republish();
	pthread_mutex_unlock(&link_lock);
	return r;
}

/* Removes l from the links; its commands leave the table.  Returns 0/-1. */
int
link_withdraw(struct link *l)
{
	size_t i;
	int r = 0;

	pthread_mutex_lock(&link_lock);
	for (i = 0; i < link_nlist && link_list[i] != l; i++)
		;
	if (i < link_nlist) {
		link_list[i] = link_list[--link_nlist];
		r = link_republish();
		link_unref(l);
	}
	pthread_mutex_unlock(&link_lock);
	return r;
}

/* Whether name is a link this daemon dials that is not up. */
int
link_dialled_down(const char *name)
{
	struct link *l = link_find(name);
	int down;

	if (l == NULL)
		return 0;
	down = l->side == LINK_SIDE_NODE && link_state(l, NULL) != LINK_UP;
	link_unref(l);
	return down;
}

/* The registered link called name (a new reference), or NULL. */
struct link *
link_find(const char *name)
{
	struct link *l = NULL;
	size_t i;

	pthread_mutex_lock(&link_lock);
	for (i = 0; i < link_nlist; i++) {
		if (strcmp(link_list[i]->name, name) == 0) {
			l = link_list[i];
			link_ref(l);
			break;
		}
	}
	pthread_mutex_unlock(&link_lock);
	return l;
}

/*
 * The current table: cached itself when nothing changed since (one
 * atomic load), else a new reference to the current one, with the
 * reference to cached (may be NULL) dropped.
 */
struct link_table *
link_table_refresh(struct link_table *cached)
{
	struct link_table *t;

	if (cached != NULL && cached->version == atomic_load(&link_version))
		return cached;
	pthread_mutex_lock(&link_lock);
	if ((t = link_current) != NULL)
		atomic_fetch_add(&t->refcnt, 1);
	pthread_mutex_unlock(&link_lock);
	link_table_unref(cached);
	return t;
}

/* The linked command called name (len bytes, any case) in t, or NULL. */
const struct command *
link_lookup(const struct link_table *t, const char *name, size_t len)
{
	const struct command *c;
	size_t j;

	if (t == NULL || len == 0 || len > REGISTRY_NAME_MAX)
		return NULL;
	j = link_hash(name, len) & (t->indexsize - 1);
	while ((c = t->index[j]) != NULL) {
		if (c->namelen == len && strncasecmp(c->name, name, len) == 0)
			return c;
		j = (j + 1) & (t->indexsize - 1);
	}
	return NULL;
}

/*
 * Up to max of t's commands visible at time now, in link order, into out.
 * Returns how many there are in all (which may be more than max).
 */
size_t
link_table_commands(const struct link_table *t, const struct command **out,
    size_t max, time_t now)
{
	size_t i, k, n = 0;

	if (t == NULL)
		return 0;
	for (i = 0; i < t->nlinks; i++) {
		if (!link_visible(t->links[i], now))
			continue;
		for (k = 0; k < t->links[i]->ncommands; k++, n++) {
			if (n < max)
				out[n] = &t->links[i]->commands[k];
		}
	}
	return n;
}

static const char *const link_state_names[] = {"down", "connecting", "up"};

/* One link as a msgpack map, for GET /links. */
static void
link_pack(msgpack_packer *pk, struct link *l)
{
	char peer[sizeof(l->peer)], error[sizeof(l->error)];
	time_t since;
	int state;

	pthread_mutex_lock(&l->lock);
	state = l->state;
	since = l->since;
	memcpy(peer, l->peer, sizeof(peer));
	memcpy(error, l->error, sizeof(error));
	pthread_mutex_unlock(&l->lock);
	msgpack_pack_map(pk, 10);
	convert_pack_cstr(pk, "name");
	convert_pack_cstr(pk, l->name);
	convert_pack_cstr(pk, "role"); /* the other end's */
	convert_pack_cstr(pk, l->side == LINK_SIDE_HUB ? "node" : "hub");
	convert_pack_cstr(pk, "peer");
	convert_pack_cstr(pk, peer);
	convert_pack_cstr(pk, "state");
	convert_pack_cstr(pk, link_state_names[state]);
	convert_pack_cstr(pk, "since");
	msgpack_pack_int64(pk, (int64_t)since);
	convert_pack_cstr(pk, "commands");
	msgpack_pack_uint64(pk, l->ncommands);
	convert_pack_cstr(pk, "calls_in");
	msgpack_pack_uint64(pk, atomic_load(&l->stats.calls_in));
	convert_pack_cstr(pk, "calls_out");
	msgpack_pack_uint64(pk, atomic_load(&l->stats.calls_out));
	convert_pack_cstr(pk, "errors_out");
	msgpack_pack_uint64(pk, atomic_load(&l->stats.errors_out));
	convert_pack_cstr(pk, "last_error");
	convert_pack_cstr(pk, error);
}

/* Packs every link as an array of maps (GET /links). */
void
link_pack_all(msgpack_packer *pk)
{
	size_t i;

	pthread_mutex_lock(&link_lock);
	msgpack_pack_array(pk, link_nlist);
	for (i = 0; i < link_nlist; i++)
		link_pack(pk, link_list[i]);
	pthread_mutex_unlock(&link_lock);
}

/*
 * Writes each link's lines of GET /metrics: duetd_link_up and its call
 * counters, labelled link="name".
 */
void
link_metrics(struct evbuffer *out)
{
	size_t i;

	pthread_mutex_lock(&link_lock);
	if (link_nlist > 0)
		evbuffer_add_printf(out,
		    "# TYPE duetd_link_up gauge\n"
		    "# TYPE duetd_link_calls_in_total counter\n"
		    "# TYPE duetd_link_calls_out_total counter\n"
		    "# TYPE duetd_link_errors_out_total counter\n"
		    "# TYPE duetd_link_call_seconds_total counter\n");
	for (i = 0; i < link_nlist; i++) {
		struct link *l = link_list[i];

		evbuffer_add_printf(out,
		    "duetd_link_up{link=\"%s\"} %d\n"
		    "duetd_link_calls_in_total{link=\"%s\"} %llu\n"
		    "duetd_link_calls_out_total{link=\"%s\"} %llu\n"
		    "duetd_link_errors_out_total{link=\"%s\"} %llu\n"
		    "duetd_link_call_seconds_total{link=\"%s\"} %.6f\n",
		    l->name, link_state(l, NULL) == LINK_UP, l->name,
		    (unsigned long long)atomic_load(&l->stats.calls_in),
		    l->name,
		    (unsigned long long)atomic_load(&l->stats.calls_out),
		    l->name,
		    (unsigned long long)atomic_load(&l->stats.errors_out),
		    l->name, (double)atomic_load(&l->stats.usec_out) / 1e6);
	}
	pthread_mutex_unlock(&link_lock);
}

/* At exit: drops every link and the table. */
void
link_shutdown(void)
{
	size_t i;

	pthread_mutex_lock(&link_lock);
	for (i = 0; i < link_nlist; i++)
		link_unref(link_list[i]);
	free(link_list);
	link_list = NULL;
	link_nlist = 0;
	link_table_unref(link_current);
	link_current = NULL;
	atomic_fetch_add(&link_version, 1);
	pthread_mutex_unlock(&link_lock);
}
