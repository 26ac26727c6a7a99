/* SPDX-License-Identifier: MIT */
/*
 * link_call - L3: a call of a linked command ("<link>.<command>", SPEC
 * 11).  Its handler defers the call, packs its arguments in signature
 * order (nil for an absent optional) and queues them on the link, whose
 * worker writes them on the link's connection; the answer that comes back
 * (on that worker) finishes the deferred call, which its own worker then
 * answers like any deferred call.  A link that goes down fails what it
 * owes with LINKDOWN, never sending a call twice.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "convert.h"
#include "links.h"
#include "link_call.h"
#include "log.h"
#include "registry.h"
#include "signature.h"
#include "util.h"

/* LINKDOWN for a call to a link that is down: HTTP 503. */
static void
link_call_down(duet_call *call, const struct link *l)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "link '%s' is down", l->name);
	call_host_error_status(call, 503, "LINKDOWN", msg);
}

/*
 * The arguments of call, packed as one msgpack array in the order the
 * other end binds them positionally, into a new job (one block, the
 * arguments after it): a variadic last parameter's values each in its
 * own place, an absent optional as nil (and trailing absent ones left
 * out).
 */
static struct link_job *
link_call_job(duet_call *call, const struct command *cmd)
{
	const msgpack_object *rest = NULL;
	char local[256];
	struct convert_buf lp;
	msgpack_packer pk;
	struct link_job *job;
	size_t n;
	int i, given = call->argc;
	uint32_t k;

	convert_buf_init(&lp, local, sizeof(local));
	while (given > 0 && !((call->present >> (given - 1)) & 1))
		given--;
	n = (size_t)given;
	if (cmd->sig->variadic && given == cmd->sig->nparams && given > 0 &&
	    call->argv[given - 1].type == MSGPACK_OBJECT_ARRAY) {
		rest = &call->argv[given - 1];
		n = (size_t)given - 1 + rest->via.array.size;
		given--;
	}
	msgpack_packer_init(&pk, &lp, convert_buf_write);
	msgpack_pack_array(&pk, n);
	for (i = 0; i < given; i++) {
		if ((call->present >> i) & 1)
			msgpack_pack_object(&pk, call->argv[i]);
		else
			msgpack_pack_nil(&pk);
	}
	for (k = 0; rest != NULL && k < rest->via.array.size; k++)
		msgpack_pack_object(&pk, rest->via.array.ptr[k]);
	if (!lp.failed && (job = malloc(sizeof(*job) + lp.size)) != NULL) {
		memset(job, 0, sizeof(*job));
		job->args = (char *)(job + 1);
		memcpy(job->args, lp.data, lp.size);
		job->arglen = lp.size;
	} else
		job = NULL;
	convert_buf_fini(&lp);
	if (job == NULL)
		return NULL;
	/* The name as the other end knows it: after "<link>." */
	job->name = cmd->name + cmd->link->namelen + 1;
	job->namelen = cmd->namelen - cmd->link->namelen - 1;
	job->t0 = call_usec();
	return job;
}

/*
 * The handler of every linked command: queues the call on its link and
 * defers it; the link's worker answers it (link_call_answer and the
 * rest below).
 */
void
link_call_forward(duet_call *call)
{
	const struct command *cmd = call->cmd;
	struct link *l = cmd->link;
	struct link_job *job;
	duet_call *d;

	/* An early answer only: link_queue decides under the link's lock. */
	if (atomic_load_explicit(&l->state, memory_order_relaxed) != LINK_UP) {
		link_call_down(call, l);
		return;
	}
	if ((job = link_call_job(call, cmd)) == NULL) {
		call_host_error(call, "ERR", "out of memory");
		return;
	}
	if ((d = call_host_defer_bare(call)) == NULL) {
		link_job_free(job);
		return;
	}
	job->call = d;
	atomic_fetch_add(&l->stats.calls_out, 1);
	if (link_queue(l, job) == -1) {
		job->call = NULL;
		link_job_free(job);
		link_call_down(d, l);
		call_host_finish(d);
	}
}

/* Counts job's end on l and frees it; then finishes its call. */
static void
link_call_end(struct link *l, struct link_job *job, int failed)
{
	duet_call *call = job->call;

	atomic_fetch_add(&l->stats.usec_out, call_usec() - job->t0);
	if (failed)
		atomic_fetch_add(&l->stats.errors_out, 1);
	link_job_free(job);
	call_host_finish(call);
}

/*
 * The other end answered job with the msgpack value mp (len bytes).
 * A value that is not exactly one msgpack value fails the call.
 */
void
link_call_answer(
    struct link *l, struct link_job *job, const char *mp, size_t len)
{
	duet_call *call = job->call;
	struct duet_err err;
	char msg[160];
	size_t used;

	if (convert_msgpack_check(mp, len, CONVERT_MAX_NESTING, &used, &err) ==
	        -1 ||
	    used != len) {
		snprintf(msg, sizeof(msg),
		    "link '%s' answered with a malformed value", l->name);
		call_host_error_status(call, 502, "ERR", msg);
		link_call_end(l, job, 1);
		return;
	}
	call->pk.callback(call->pk.data, mp, len);
	link_call_end(l, job, 0);
}

/* The other end answered job with the error "code message". */
void
link_call_error(
    struct link *l, struct link_job *job, const char *code, const char *message)
{
	call_host_error(job->call, code, message);
	link_call_end(l, job, 1);
}

/*
 * job was written on l's connection, which is gone: it may or may not
 * have run (HTTP 502).
 */
void
link_call_dropped(struct link *l, struct link_job *job)
{
	char msg[160];

	snprintf(msg, sizeof(msg),
	    "link '%s' dropped: the call may or may not have run", l->name);
	call_host_error_status(job->call, 502, "LINKDOWN", msg);
	link_call_end(l, job, 1);
}

/* job was never written: l went down first (HTTP 503). */
void
link_call_unsent(struct link *l, struct link_job *job)
{
	link_call_down(job->call, l);
	link_call_end(l, job, 1);
}

/* Fails every job of jobs as never sent (link_call_unsent). */
void
link_call_unsent_all(struct link *l, struct link_jobs *jobs)
{
	struct link_job *job;

	while ((job = TAILQ_FIRST(jobs)) != NULL) {
		TAILQ_REMOVE(jobs, job, entry);
		link_call_unsent(l, job);
	}
}

/*
 * The calls written on a link and not answered yet, in the order they
 * were written, each with its id (increasing).
 */
void
link_wire_init(struct link_wire *w)
{
	memset(w, 0, sizeof(*w));
	w->next_id = 1;
}

/* Adds job (just written); returns its id, or 0 (out of memory). */
uint64_t
link_wire_add(struct link_wire *w, struct link_job *job)
{
	struct link_inflight *v;

	if (w->head > 0 && w->head == w->n)
		w->head = w->n = 0;
	if (w->n == w->cap) {
		if (w->head > w->cap / 2) {
			memmove(w->v, w->v + w->head,
			    (w->n - w->head) * sizeof(*w->v));
			w->n -= w->head;
			w->head = 0;
		} else {
			size_t cap = w->cap ? w->cap * 2 : 16;

			if ((v = realloc(w->v, cap * sizeof(*v))) == NULL)
				return 0;
			w->v = v;
			w->cap = cap;
		}
	}
	w->v[w->n].id = w->next_id;
	w->v[w->n].job = job;
	w->n++;
	w->live++;
	return w->next_id++;
}

/* Takes the job of id out of w, or NULL when there is none. */
struct link_job *
link_wire_take(struct link_wire *w, uint64_t id)
{
	size_t lo = w->head, hi = w->n, mid;
	struct link_job *job;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (w->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == w->n || w->v[lo].id != id || w->v[lo].job == NULL)
		return NULL;
	job = w->v[lo].job;
	w->v[lo].job = NULL;
	w->live--;
	while (w->head < w->n && w->v[w->head].job == NULL)
		w->head++;
	return job;
}

/* The link went down: every job of w fails as dropped; w is emptied. */
void
link_wire_drop(struct link_wire *w, struct link *l)
{
	size_t i;

	for (i = w->head; i < w->n; i++) {
		if (w->v[i].job != NULL)
			link_call_dropped(l, w->v[i].job);
	}
	free(w->v);
	w->v = NULL;
	w->head = w->n = w->cap = w->live = 0;
}
