/* SPDX-License-Identifier: MIT */
/*
 * link_client - the dialling end of links (SPEC 11, `links:`): for each
 * configured link, worker 0 dials the other daemon (TLS if asked), logs in,
 * registers our exported commands, imports the other end's commands as
 * "<name>.<command>", serves its calls, heartbeats, and redials forever
 * with backoff when the link drops.  L4: a session (struct conn_proto) of
 * its own over an outbound conn.
 */
#ifndef DUET_LINK_CLIENT_H
#define DUET_LINK_CLIENT_H

struct config;
struct env;
struct link_client_set;

struct link_client_set *link_client_prepare(const struct config *cf);
void link_client_apply(struct env *e, struct link_client_set *set);
void link_client_shutdown(void);

#endif /* DUET_LINK_CLIENT_H */
