/* SPDX-License-Identifier: MIT */
/*
 * conn - one client connection: its socket and buffers, timeouts and byte
 * limits, the protocol sniffed from the first bytes, the codec's parser state,
 * and the FIFO of pending replies that keeps pipelined replies in request order
 * whichever call finishes first.  Owned by its worker.
 */
#ifndef DUET_CONN_H
#define DUET_CONN_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <event2/util.h>

#include <msgpack.h>

#include "http.h"
#include "http_reply.h"
#include "reply.h"
#include "resp.h"

struct duet_err;
struct env;
struct worker;

enum conn_proto {
	CONN_PROTO_UNKNOWN,
	CONN_PROTO_RESP,
	CONN_PROTO_HTTP,
};

/* The writers' enum reply_encoding, under conn's older names. */
enum conn_encoding {
	CONN_ENC_NATIVE = REPLY_ENC_NATIVE,   /* RESP types, text arguments */
	CONN_ENC_MSGPACK = REPLY_ENC_MSGPACK, /* one msgpack value each */
	CONN_ENC_JSON = REPLY_ENC_JSON,       /* one JSON text each */
};

struct call_async;
struct metrics_cmd;
struct multi;

/*
 * A reply that must wait for an earlier one to be written, or the place
 * kept for the reply of a call still running (call != NULL).
 */
struct conn_reply {
	TAILQ_ENTRY(conn_reply) entry;
	struct evbuffer *buf;    /* owned: the encoded reply (so far) */
	int done;                /* buf is complete */
	struct call_async *call; /* borrowed: the call filling it, or NULL */
};

struct conn {
	TAILQ_ENTRY(conn) entry; /* in the worker's list */
	struct worker *worker;   /* borrowed: owns this conn */
	struct env *env;         /* borrowed: the worker's (loop, buffers) */
	evutil_socket_t fd;      /* owned: the socket */
	struct evbuffer *in;     /* owned: a partial request, or NULL */
	struct evbuffer *out;    /* owned: bytes to write */
	struct event *ev;        /* owned: EV_READ and/or EV_WRITE (conn_arm) */
	const struct reply_writer *writer; /* the protocol's, once sniffed */
	short armed;             /* what ev waits for */
	uint64_t id;
	enum conn_proto proto;
	enum conn_encoding encoding;
	int resp3;
	int closing;            /* close once output is written */
	int in_read;            /* serving a read: push output at its end */
	int writing;            /* EV_WRITE is on: the socket was full */
	int read_paused;        /* too many replies owed: not reading */
	unsigned npending;      /* entries in pending */
	struct event *deadline; /* owned: limits.header_timeout, or NULL */
	uint64_t nrequests;     /* requests parsed */
	int drain_grace;        /* shutting down: may finish one request */
	char *name;             /* owned: CLIENT SETNAME, or NULL */
	struct multi *multi;    /* owned: the queue after MULTI, or NULL */
	char peer[64];          /* "127.0.0.1:5555", "unix" */
	char local[64];         /* the listener's address */
	time_t created;
	time_t last_active;
	uint64_t ncommands;
	/* borrowed, lives as long as the process: the last command's
	 * counters (and name), or NULL */
	const struct metrics_cmd *lastcmd;
	unsigned protocols; /* CONFIG_PROTO_* the listener allows */
	union {
		struct resp_parser resp;  /* CONN_PROTO_RESP */
		struct http_parser http;  /* CONN_PROTO_HTTP */
	} p;                              /* the codec's parser state */
	struct http_resp route;           /* HTTP: the current response */
	TAILQ_HEAD(, conn_reply) pending; /* owned replies, in order */
};

struct conn *conn_new(struct worker *w, evutil_socket_t fd,
    const struct sockaddr *sa, const char *local, unsigned protocols);
void conn_free(struct conn *c);
void conn_reply_value(struct conn *c, int encoding, const msgpack_object *o,
    const char *mp, size_t len);
void conn_reply_error(struct conn *c, const struct duet_err *err);
void conn_close_after_reply(struct conn *c);
struct evbuffer *conn_reply_buffer(struct conn *c);
void conn_reply_done(struct conn *c);
void conn_describe(const struct conn *c, struct evbuffer *out);
int conn_free_if_done(struct conn *c);
void conn_push(struct conn *c);
void conn_arm(struct conn *c);
void conn_resume_reading(struct conn *c);

/* conn_reply.c: the reply queue. */
struct reply_enc conn_reply_enc(const struct conn *c, int encoding);
struct conn_reply *conn_reply_slot(struct conn *c, struct call_async *call);
int conn_reply_slot_done(struct conn *c, struct conn_reply *r);
void conn_flush_pending(struct conn *c);
void conn_drain(struct conn *c);

#endif /* DUET_CONN_H */
