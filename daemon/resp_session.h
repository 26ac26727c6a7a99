/* SPDX-License-Identifier: MIT */
/*
 * resp_session - RESP2/RESP3 on a conn (L4): the conn_proto a listener
 * that serves RESP gives its conns, and the MULTI queue of such a conn.
 */
#ifndef DUET_RESP_SESSION_H
#define DUET_RESP_SESSION_H

#include <stddef.h>

#include "conn.h"

struct pubsub_sink;
struct pubsub_sub;

extern const struct conn_proto resp_session_proto;

int resp_session_in_multi(const struct conn *c);
int resp_session_multi_begin(struct conn *c);
void resp_session_multi_discard(struct conn *c);
int resp_session_unqueued(const char *name, size_t len);
struct pubsub_sub *resp_session_sub(
    struct conn *c, const struct pubsub_sink *make);
void resp_session_unsubscribe(struct conn *c);

#endif /* DUET_RESP_SESSION_H */
