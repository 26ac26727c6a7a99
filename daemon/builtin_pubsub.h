/* SPDX-License-Identifier: MIT */
/*
 * builtin_pubsub - PUBLISH, SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE and
 * PUNSUBSCRIBE over RESP (SPEC section 10), the RESP subscriber's sink,
 * and what RESP2's subscribed mode allows.
 */
#ifndef DUET_BUILTIN_PUBSUB_H
#define DUET_BUILTIN_PUBSUB_H

#include <duet/plugin.h>

struct conn;
struct pubsub_sink;

extern const struct pubsub_sink builtin_pubsub_sink;

int builtin_pubsub_subscribed(struct conn *c);
void builtin_pubsub_ping(duet_call *call);
void builtin_publish(duet_call *call);
void builtin_subscribe(duet_call *call);
void builtin_unsubscribe(duet_call *call);
void builtin_psubscribe(duet_call *call);
void builtin_punsubscribe(duet_call *call);

#endif /* DUET_BUILTIN_PUBSUB_H */
