/* SPDX-License-Identifier: MIT */
/*
 * multi - several commands in one go: Redis's MULTI / EXEC / DISCARD on a
 * RESP connection (the queue hangs off the conn, allocated at MULTI), and
 * POST /batch over HTTP.  Either way the commands run back to back, in
 * order, through dispatch, and their replies become one array.  A batch,
 * not an isolated transaction: other connections' commands may run
 * between them.
 */
#ifndef DUET_MULTI_H
#define DUET_MULTI_H

#include <stddef.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include <duet/plugin.h>

struct command;
struct multi;
struct conn;
struct duet_err;
struct request;

/* What dispatch does with a command while MULTI may be open. */
enum multi_action {
	MULTI_RUN,    /* run it now (no MULTI, or one MULTI does not queue) */
	MULTI_QUEUED, /* queued (or refused) and answered */
	MULTI_EXEC,   /* EXEC: run the queue once this request is done */
};

enum multi_action multi_take(
    struct conn *c, const struct command *cmd, const struct request *req);
void multi_refused(struct conn *c);
void multi_exec(struct conn *c);
void multi_discard(struct conn *c);
void multi_free(struct multi *m);

void multi_batch(struct conn *c, const msgpack_object *body);

/* The built-in commands (builtin.c's table). */
void multi_cmd_multi(duet_call *call);
void multi_cmd_exec(duet_call *call);
void multi_cmd_discard(duet_call *call);
void multi_cmd_watch(duet_call *call);
void multi_cmd_unwatch(duet_call *call);

#endif /* DUET_MULTI_H */
