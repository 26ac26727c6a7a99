/* SPDX-License-Identifier: MIT */
/*
 * conn - one client connection (L2): its socket and transport, buffers,
 * timeouts and byte limits, the protocol sniffed from the first bytes, and
 * the FIFO of pending replies that keeps pipelined replies in request
 * order whichever call finishes first.  Owned by its worker.  What the
 * bytes mean is left to the session the protocol installs (struct
 * conn_proto, L4), who fills a late reply to its slot's owner (struct
 * conn_slot_owner, L3), and the socket calls to the transport.
 */
#ifndef DUET_CONN_H
#define DUET_CONN_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>

#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <msgpack.h>

#include "reply.h"
#include "transport.h"

struct duet_err;
struct env;
struct evbuffer;
struct http_resp;
struct conn;
struct peers_entry;

/* The writers' enum reply_encoding, under conn's older names. */
enum conn_encoding {
	CONN_ENC_NATIVE = REPLY_ENC_NATIVE,   /* RESP types, text arguments */
	CONN_ENC_MSGPACK = REPLY_ENC_MSGPACK, /* one msgpack value each */
	CONN_ENC_JSON = REPLY_ENC_JSON,       /* one JSON text each */
};

/*
 * A protocol a listener serves (L4 sessions implement it: resp_session.c,
 * http_session.c).  The listener gives conn_new an ordered list; the
 * first whose sniff says yes takes the connection (a listener with one
 * takes it without sniffing), and its start gives the conn its session
 * state (c->sess), which fini frees.
 */
struct conn_proto {
	const char *name;                  /* CLIENT LIST's proto= */
	int http;                          /* replies are HTTP responses */
	const struct reply_writer *writer; /* writes its replies */
	/* Whether the first bytes are this protocol's: 1 yes, 0 no, -1
	 * too few bytes to tell. */
	int (*sniff)(const char *p, size_t len);
	/* Sets up c->sess.  Returns 0, or -1 (out of memory: c closes). */
	int (*start)(struct conn *c);
	/* Serves every whole request in in.  Returns -1 if c was freed. */
	int (*serve)(struct conn *c, struct evbuffer *in);
	/* Whether a request is half read (drain waits for it, the request
	 * deadline runs), beyond input left unparsed. */
	int (*midway)(const struct conn *c);
	/* limits.header_timeout passed midway through a request: answers
	 * and/or closes (c may be freed). */
	void (*timeout)(struct conn *c);
	/* Frees c->sess (c is being freed). */
	void (*fini)(struct conn *c);
	/* Optional: how many channels (pattern 0) or patterns (1) c
	 * subscribes to, for CLIENT LIST. */
	size_t (*subscriptions)(const struct conn *c, int pattern);
	/* Optional: the mark of the reply to the request being served
	 * (struct reply_enc.tag). */
	uint64_t (*reply_tag)(const struct conn *c);
	/* Each reply names its request (a link's answers, SPEC 11): one
	 * still owed holds no later one back. */
	int unordered;
};

/*
 * Who fills a reply slot that outlives its request (call.c's calls), told
 * by the conn: drained, when the slot is at the head of the queue and
 * the output went down to backlog unsent bytes; orphaned, when the conn
 * is freed with the slot still owed (the owner must not touch it again).
 */
struct conn_slot_owner {
	void (*drained)(void *arg, size_t backlog);
	void (*orphaned)(void *arg);
};

/*
 * A reply that must wait for an earlier one to be written, or the place
 * kept for the reply of a call still running (owner != NULL).
 */
struct conn_reply {
	TAILQ_ENTRY(conn_reply) entry;
	struct evbuffer *buf; /* owned: the encoded reply (so far) */
	int done;             /* buf is complete */
	/* its reply carries its own id (the proto's unordered): while it
	 * is owed, later replies go ahead of it */
	int unordered;
	const struct conn_slot_owner *owner; /* the slot's filler, or NULL */
	void *arg;                           /* borrowed: owner's argument */
};

/*
 * Who the client is (SPEC section 9), for dispatch's rules and for
 * CLIENT INFO: set at accept (SO_PEERCRED, the verified certificate) and
 * by the sessions (AUTH, HELLO AUTH, an HTTP Authorization header).
 * Names, not generation pointers: a user is re-resolved by name in each
 * new generation (auth.h), so a reload fails no request.
 */
struct conn_ident {
	char *user;        /* owned: the logged-in user's name, or NULL */
	char *start_user;  /* owned: the user at accept (certificate or
	                    * uid), or NULL: what RESET returns to */
	char *tls_subject; /* owned: the verified client certificate's
	                    * subject, RFC 2253 ("CN=a,O=b"), or NULL */
	char *tls_cn;      /* owned: that certificate's CN, or NULL */
	uint64_t gen;      /* the generation user_index is for; 0: none */
	int user_index;    /* user's index in generation gen, or -1 */
	int has_uid;       /* a unix socket peer: uid is its SO_PEERCRED */
	uid_t uid;
};

/*
 * Laid out small: an idle connection is this (the peer's address text
 * at its end, as long as it is) and its socket's event, nothing else.
 */
struct conn {
	TAILQ_ENTRY(conn) entry; /* in the worker's list */
	struct env *env;         /* borrowed: the worker's (loop, buffers) */
	const struct transport *transport; /* borrowed (static) */
	struct transport_io io; /* owned: the socket (io.fd), its state */
	struct evbuffer *in;    /* owned: a partial request, or NULL */
	struct evbuffer *out;   /* owned: bytes to write; NULL until the
	                         * first read (conn_output) */
	struct event ev; /* EV_READ and/or EV_WRITE (conn_arm), if armed */
	uint64_t id;
	/* borrowed (static): the sniffed protocol, or NULL until then */
	const struct conn_proto *proto;
	void *sess; /* owned by proto: its session state, or NULL */
	/* borrowed from the HTTP session: the current response's settings */
	const struct http_resp *route;
	short armed;           /* what ev waits for */
	unsigned encoding : 2; /* enum conn_encoding */
	unsigned resp3 : 1;
	unsigned closing : 1;     /* close once output is written */
	unsigned in_read : 1;     /* serving a read: push output at its end */
	unsigned writing : 1;     /* EV_WRITE is on: the socket was full */
	unsigned read_paused : 1; /* too many replies owed: not reading */
	unsigned drain_grace : 1; /* shutting down: may finish one request */
	/* Set by the worker that admitted c: it is counted in
	 * worker_stats.connections and, when peer_count is not NULL, in its
	 * address's count (peers.h), which conn_free undoes. */
	unsigned counted : 1;
	/* No idle timeout: c waits for events (a subscriber, SPEC 10), as
	 * Redis exempts pub/sub clients from its timeout. */
	unsigned idle_exempt : 1;
	/* The hub's end of a link (SPEC 11): the node sends a heartbeat
	 * every 5 s, so CONN_LINK_IDLE_MS of silence means it is gone. */
	unsigned idle_link : 1;
	/* Its output waits for the end of its worker's mailbox batch
	 * (env.held): finished calls of one batch leave in one write. */
	unsigned held : 1;
	unsigned npending;       /* entries in pending */
	uint32_t created;        /* time(NULL) at accept */
	struct event *deadline;  /* owned: limits.header_timeout, or NULL */
	uint64_t nrequests;      /* requests parsed */
	char *name;              /* owned: CLIENT SETNAME, or NULL */
	struct conn_ident ident; /* owned: who the client is */
	/* owned by an upper layer (conn_state.c, L3): plugins' memory for
	 * this conn, or NULL; conn_free has conn_states_fini free it */
	void *states;
	time_t last_active;
	uint64_t ncommands;
	/* borrowed, lives as long as the process: the last command's name,
	 * or NULL */
	const char *lastcmd;
	TAILQ_HEAD(conn_reply_queue, conn_reply) pending; /* owned, in order */
	struct peers_entry *peer_count;
	/* limits.idle_timeout (conn_idle.c): while idle_ms is not 0, c is
	 * in its env's idle list until idle_at (0: not in it) */
	TAILQ_ENTRY(conn) idle_entry;
	uint64_t idle_ms;
	uint64_t idle_at;
	/* borrowed, lives as long as the process: the listener's address,
	 * and with it the protocols it serves (conn_int.h's conn_site) */
	const char *local;
	char peer[]; /* "127.0.0.1:5555", "[::1]:5555", "unix" */
};

/* The longest c->peer is, with its NUL. */
#define CONN_ADDR_MAX     (INET6_ADDRSTRLEN + 9)
#define CONN_LINK_IDLE_MS 15000 /* three heartbeats missed */

/* conn_state.c's, for conn_free: frees c->states (set once it has any). */
extern void (*_Atomic conn_states_fini)(struct conn *c);

struct conn *conn_new(struct env *e, evutil_socket_t fd,
    const struct sockaddr *sa, const char *local, const struct transport *t,
    const struct conn_proto *const *protos, size_t nprotos);
int conn_start_transport(struct conn *c, const struct transport *t, void *arg);
void conn_free(struct conn *c);
void conn_reply_value(struct conn *c, int encoding, const msgpack_object *o,
    const char *mp, size_t len);
int conn_reply_packed(struct conn *c, const char *mp, size_t len);
void conn_reply_error(struct conn *c, const struct duet_err *err);
void conn_reply_fail(struct conn *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void conn_close_after_reply(struct conn *c);
struct evbuffer *conn_reply_buffer(struct conn *c);
struct evbuffer *conn_output_new(struct conn *c);
void conn_reply_done(struct conn *c);
void conn_describe(const struct conn *c, struct evbuffer *out);
void conn_peer_addr(const struct conn *c, char *buf, size_t len);
int conn_free_if_done(struct conn *c);
void conn_push(struct conn *c);
void conn_batch(void *arg, int end);
void conn_arm(struct conn *c);
void conn_resume_reading(struct conn *c);
int conn_check_output(struct conn *c);
size_t conn_unsent(const struct conn *c);
void conn_set_idle_exempt(struct conn *c, int on);
void conn_set_idle_link(struct conn *c);
int conn_drain_refuses(struct conn *c);
void conn_count_input(size_t n);
int conn_set_name(struct conn *c, const char *name, size_t len);
void conn_set_encoding(struct conn *c, enum conn_encoding encoding);
void conn_set_resp3(struct conn *c, int resp3);

/*
 * c's output: made on first use (an idle connection has none), kept
 * after.  NULL when out of memory.
 */
static inline struct evbuffer *
conn_output(struct conn *c)
{
	return c->out != NULL ? c->out : conn_output_new(c);
}

/*
 * Where bytes go that are not the reply to a request (a link's frames,
 * SPEC 11): the output itself, ahead of replies still owed, which are
 * whole frames too.  conn_push sends them.  NULL when out of memory.
 */
static inline struct evbuffer *
conn_oob_buffer(struct conn *c)
{
	return conn_output(c);
}

/* conn_reply.c: the reply queue. */
void conn_reply_free(struct conn *c, struct conn_reply *r);
struct evbuffer *conn_reply_slot_buffer(struct conn *c, struct conn_reply *r);
void conn_reply_shutdown(struct env *e);
struct reply_enc conn_reply_enc(const struct conn *c, int encoding);
struct conn_reply *conn_reply_slot(
    struct conn *c, const struct conn_slot_owner *owner, void *arg);
int conn_reply_slot_done(struct conn *c, struct conn_reply *r);
void conn_flush_pending(struct conn *c);
void conn_drain(struct conn *c);
void conn_reply_hold(struct conn *c, uint64_t ms);

/* conn_idle.c: limits.idle_timeout, one timer per worker. */
void conn_idle_touch(struct conn *c);
void conn_idle_set(struct conn *c, uint64_t ms);

#endif /* DUET_CONN_H */
