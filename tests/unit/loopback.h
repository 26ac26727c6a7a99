/* SPDX-License-Identifier: MIT */
/*
 * loopback - a conn with no socket for unit tests of L2-L4 modules (h2o's
 * h2o_loopback_create idea): a transport that reads what the test queued
 * and writes into a buffer the test reads, on a worker whose registry
 * holds the built-in commands only.
 */
#ifndef DUET_TEST_LOOPBACK_H
#define DUET_TEST_LOOPBACK_H

#include <stddef.h>

#include "conn.h"
#include "worker.h"

struct loopback {
	struct worker w;
	struct conn *c;          /* NULL once the conn freed itself */
	struct evbuffer *wire;   /* what the client sent, not yet read */
	struct evbuffer *answer; /* what the conn wrote */
	int eof;                 /* the client half-closed */
	char dir[32];            /* the empty plugin_dir */
	struct config *cf;
};

void loopback_init(struct loopback *lb, const struct conn_proto *const *protos,
    size_t nprotos);
void loopback_send(struct loopback *lb, const char *bytes);
char *loopback_take(struct loopback *lb);
void loopback_expect(struct loopback *lb, const char *want);
int loopback_closed(const struct loopback *lb);
void loopback_fini(struct loopback *lb);

#endif /* DUET_TEST_LOOPBACK_H */
