/* SPDX-License-Identifier: MIT */
/*
 * dispatch - the one place that knows both a request and a command: finds
 * the command in the worker's registry generation, checks arity and
 * converts the arguments by signature, runs the handler and hands the
 * msgpack reply (or error) back to the conn.  Also the host API table that
 * plugins call through (struct duet_host).
 */
#ifndef DUET_DISPATCH_H
#define DUET_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include <duet/plugin.h>

#include "call.h"
#include "resp.h"
#include "util.h"

struct command;
struct conn;

/* How the arguments of a request are written. */
enum request_kind {
	REQUEST_TEXT,    /* words, converted by signature type */
	REQUEST_MSGPACK, /* each argument one msgpack value */
	REQUEST_JSON,    /* each argument one JSON text */
	REQUEST_OBJECT,  /* one decoded body: array (positional) or map */
};

/* A parsed request: borrowed from the codec until dispatch returns. */
struct request {
	const char *name;
	size_t namelen;
	enum request_kind kind;
	size_t argc;                 /* arguments after the name */
	const struct resp_arg *argv; /* see struct resp_arg */
	const struct resp_arg
	    *argnames;              /* TEXT: a name per argument, or NULL */
	const msgpack_object *body; /* OBJECT: the arguments */
	int readonly_only;          /* HTTP GET/HEAD: READONLY commands only */
	int ascii; /* TEXT: every argument is known to be ASCII (so UTF-8) */
	/* A call from the other end of a link (link_client.c): admitted by
	 * the link's export list, which it checked, not by auth. */
	int linked;
};

extern const struct duet_host dispatch_host_table;

struct env;

const struct duet_host *dispatch_host(void);
const struct command *dispatch_admit(struct conn *c, const struct request *req);
int dispatch_admit_as(struct conn *c, const char *name);
int dispatch_may_link(struct conn *c, const char *as, size_t len);
int dispatch_bind(struct conn *c, const struct command *cmd,
    const struct request *req, uint64_t *present);
int dispatch_call(struct conn *c, const struct command *cmd, uint64_t present);
void dispatch_reset(struct conn *c);
void dispatch_ident_start(struct conn *c);
void dispatch_ident_reset(struct conn *c);
int dispatch_login(struct conn *c, const char *user, size_t userlen,
    const char *token, size_t tokenlen);
int dispatch_request(struct conn *c, const struct request *req);
int dispatch_channel_admit(struct conn *c, const char *name, size_t len,
    int pattern, struct duet_err *err);

/* dispatch_args.c: binding a request's arguments to a signature. */
int dispatch_bind_args(struct env *e, const struct command *cmd,
    const struct request *req, uint64_t *present, struct duet_err *err);

#endif /* DUET_DISPATCH_H */
