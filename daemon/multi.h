/* SPDX-License-Identifier: MIT */
/*
 * multi - several commands in one go: Redis's MULTI / EXEC / DISCARD on a
 * RESP connection (the queue is the RESP session's, allocated at MULTI),
 * and POST /batch over HTTP.  Either way the commands run back to back, in
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

struct conn;
struct duet_err;
struct http_resp;

void multi_batch(
    struct conn *c, struct http_resp *ctx, const msgpack_object *body);

/* The built-in commands (builtin.c's table). */
void multi_cmd_multi(duet_call *call);
void multi_cmd_exec(duet_call *call);
void multi_cmd_discard(duet_call *call);
void multi_cmd_watch(duet_call *call);
void multi_cmd_unwatch(duet_call *call);

#endif /* DUET_MULTI_H */
