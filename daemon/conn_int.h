/* SPDX-License-Identifier: MIT */
/*
 * conn_int - what the parts of the conn module share beyond conn.h: the
 * listener sites of conn_site.c, which conn.c's conn_new interns and
 * whose protocols conn_site.c sniffs from.  Not for other modules: they
 * use conn.h.
 */
#ifndef DUET_CONN_INT_H
#define DUET_CONN_INT_H

#include <sys/socket.h>

#include <stddef.h>

#include <event2/buffer.h>

#include "conn.h"

/*
 * What conns borrow of their listener: its address (c->local) and the
 * protocols it serves.  Kept for the process's life, one per distinct
 * pair (a reload may free a listener before its conns are gone): a few.
 */
struct conn_site {
	struct conn_site *next;
	const struct conn_proto *const *protos; /* static */
	size_t nprotos;
	char local[];
};

/* conn_site.c */
void conn_format_addr(const struct sockaddr *sa, char *buf, size_t len);
const struct conn_site *conn_site(
    const char *local, const struct conn_proto *const *protos, size_t nprotos);
int conn_sniff(struct conn *c, struct evbuffer *in);

#endif /* DUET_CONN_INT_H */
