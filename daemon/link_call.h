/* SPDX-License-Identifier: MIT */
/*
 * link_call - L3: calls of linked commands ("<link>.<command>", SPEC 11):
 * the handler that queues them on their link, and how the sessions that
 * serve a link (builtin_link.c on the hub, link_client.c on the node)
 * answer them: with the other end's value or error, or LINKDOWN.  Also
 * struct link_wire, the calls a link has written and not yet had answered,
 * by id.  All but link_call_forward run on the link's worker.
 */
#ifndef DUET_LINK_CALL_H
#define DUET_LINK_CALL_H

#include <stddef.h>
#include <stdint.h>

#include <duet/plugin.h>

#include "links.h"

struct link_inflight {
	uint64_t id;
	struct link_job *job; /* owned, or NULL once answered */
};

/* The calls written on a link, oldest first: v[head..n). */
struct link_wire {
	struct link_inflight *v; /* owned */
	size_t head, n, cap;
	size_t live;      /* entries with a job */
	uint64_t next_id; /* from 1 */
};

void link_call_forward(duet_call *call);
void link_call_answer(
    struct link *l, struct link_job *job, const char *mp, size_t len);
void link_call_error(struct link *l, struct link_job *job, const char *code,
    const char *message);
void link_call_dropped(struct link *l, struct link_job *job);
void link_call_unsent(struct link *l, struct link_job *job);
void link_call_unsent_all(struct link *l, struct link_jobs *jobs);

void link_wire_init(struct link_wire *w);
uint64_t link_wire_add(struct link_wire *w, struct link_job *job);
struct link_job *link_wire_take(struct link_wire *w, uint64_t id);
void link_wire_drop(struct link_wire *w, struct link *l);

#endif /* DUET_LINK_CALL_H */
