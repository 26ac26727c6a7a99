/* SPDX-License-Identifier: MIT */
/*
 * link_client_int - what the two halves of the dialling end of links
 * share: link_client.c (a link's life: dial, redial, config) and
 * link_session.c (its connection's session: the handshake, calls both
 * ways, heartbeats, events).  Both run on worker 0's thread.
 */
#ifndef DUET_LINK_CLIENT_INT_H
#define DUET_LINK_CLIENT_INT_H

#include <stdint.h>

#include <event2/util.h>
#include <msgpack.h>

#include "config.h"
#include "pubsub.h"

struct conn;
struct env;
struct event;
struct link;
struct link_job;
struct ssl_ctx_st;

#define LC_BACKOFF_MIN_MS 100
#define LC_BACKOFF_MAX_MS 30000
#define LC_CONNECT_MS     5000 /* a dial that takes longer failed */
#define LC_HEARTBEAT_MS   5000
#define LC_MISSED_MAX     3 /* heartbeats unanswered: down */

/* What an answer from the other end is for. */
enum lc_exp_kind {
	LC_EXP_HELLO,
	LC_EXP_ENCODING,
	LC_EXP_REGISTER,
	LC_EXP_COMMANDS,
	LC_EXP_PING,
	LC_EXP_CALL,    /* our call of one of its commands */
	LC_EXP_PUBLISH, /* a publish forwarded: its count is not needed */
	/* PSUBSCRIBE to channels_in: answered by one push per pattern, or
	 * by one error */
	LC_EXP_SUBSCRIBE,
};
struct lc_exp {
	int kind;
	struct link_job *job; /* LC_EXP_CALL: owned */
	size_t n; /* LC_EXP_SUBSCRIBE: confirmations still to come */
};

enum lc_state { LC_WAITING, LC_RESOLVING, LC_DIALLING, LC_HANDSHAKE, LC_UP };

/* One configured link (worker 0). */
struct node_link {
	struct node_link *next;
	struct env *env;          /* borrowed: worker 0's */
	struct config_link cfg;   /* owned copy */
	struct ssl_ctx_st *tls;   /* owned reference, or NULL */
	struct link *link;        /* owned reference: the published one */
	struct conn *c;           /* while connected, else NULL */
	struct event *timer;      /* owned: redial, connect deadline, beat */
	struct event *connect_ev; /* owned while dialling */
	evutil_socket_t fd;       /* dialling: the socket, else -1 */
	struct lc_resolve *resolving; /* while its name is resolved */
	/* owned while dialling: the addresses, and the next one to try */
	struct evutil_addrinfo *addrs;
	struct evutil_addrinfo *next_addr;
	int state; /* enum lc_state */
	uint64_t backoff_ms;
	unsigned missed; /* heartbeats unanswered */
	int removed;     /* no longer configured: do not redial */
	/* our publishes on channels_out, forwarded while up (its arg is
	 * this node_link: what comes in from the link is not sent back) */
	struct pubsub_sub out;
	int failed;          /* lc_why gave the reason of this drop */
	int publish_refused; /* a forwarded publish was refused: logged */
};

/* The session of a link's conn (c->sess). */
struct lc_sess {
	struct node_link *nl; /* borrowed; NULL once the link let go */
	struct lc_exp *exp;   /* owned ring */
	size_t head, n, cap;
	uint64_t tag;        /* the id of the call being dispatched */
	msgpack_sbuffer tmp; /* owned: scratch */
	/* owned: the unpacked arguments of the call being dispatched,
	 * cleared after it (back to its first chunk, LC_ZONE_CHUNK bytes) */
	msgpack_zone zone;
};

/* The first chunk of lc_sess.zone: what a link keeps between calls. */
#define LC_ZONE_CHUNK 2048

/* link_resolve.c */
struct env;
struct lc_resolve;
/* The answer of a resolution: addresses (the callee's) or rc, an error. */
typedef void (*lc_resolved_fn)(void *arg, struct evutil_addrinfo *ai, int rc);
int lc_resolve_numeric(
    const char *host, const char *port, struct evutil_addrinfo **ai);
struct lc_resolve *lc_resolve_start(struct env *e, const char *host,
    const char *port, lc_resolved_fn fn, void *arg);
void lc_resolve_cancel(struct lc_resolve *r);
void lc_resolve_shutdown(void);

/* link_client.c */
void lc_why(struct node_link *nl, const char *why);
void lc_fail(struct node_link *nl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void lc_schedule(struct node_link *nl, uint64_t ms);

/* link_session.c */
extern const struct conn_proto lc_proto;
extern const struct pubsub_sink lc_out_sink;
int lc_start(struct conn *c);
int lc_send_words(struct conn *c, int kind, int n, const char *const *words);

#endif /* DUET_LINK_CLIENT_INT_H */
