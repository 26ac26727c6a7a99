/* SPDX-License-Identifier: MIT */
/*
 * resp_reply - L0: every RESP byte the daemon writes for a reply.  The
 * writers of RESP2/RESP3 types (resp_add_*), msgpack values as RESP types
 * (resp_add_msgpack), and resp_reply_writer, the RESP wire format of
 * reply.h: a value in the request's encoding (RESP types, or one bulk of
 * msgpack or JSON), an error as -CODE message, a stream collected into one
 * array.  Parsing requests is resp.c's; when to reply is the session's.
 */
#ifndef DUET_RESP_REPLY_H
#define DUET_RESP_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "reply.h"

struct duet_err;

extern const struct reply_writer resp_reply_writer;

void resp_add_simple(struct evbuffer *out, const char *s, size_t len);
void resp_add_error(struct evbuffer *out, const char *code, const char *msg);
void resp_add_int(struct evbuffer *out, int64_t v);
void resp_add_bulk(struct evbuffer *out, const void *p, size_t len);
void resp_add_null(struct evbuffer *out, int resp3);
void resp_add_bool(struct evbuffer *out, int v, int resp3);
void resp_add_double(struct evbuffer *out, double v, int resp3);
void resp_add_array(struct evbuffer *out, size_t n);
void resp_add_bulk_head(struct evbuffer *out, size_t len);
char *resp_put_u64(char *p, uint64_t v);
char *resp_put_head(char *p, char type, uint64_t n);
void resp_add_push(struct evbuffer *out, size_t n, int resp3);
void resp_add_map(struct evbuffer *out, size_t n, int resp3);
void resp_add_msgpack(struct evbuffer *out, const msgpack_object *o, int resp3);
int resp_add_msgpack_max(struct evbuffer *out, const msgpack_object *o,
    int resp3, size_t mplen, size_t max, struct duet_err *err);

#endif /* DUET_RESP_REPLY_H */
