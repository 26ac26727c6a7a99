/* SPDX-License-Identifier: MIT */
/*
 * convert - the translations between the wire and msgpack, the daemon's one
 * inner format: client text -> typed msgpack by signature type; typed
 * msgpack values (CLIENT ENCODING msgpack/json, HTTP bodies) checked and
 * coerced by type; JSON <-> msgpack with yajl's streaming parser and
 * generator (no intermediate tree).  Depth and size limits are enforced
 * here.  L0: knows nothing of plugins or commands; msgpack -> RESP2/RESP3
 * is resp_reply.h's.
 */
#ifndef DUET_CONVERT_H
#define DUET_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "sig_type.h"
#include "util.h"

struct duet_err;

void convert_packer_init(msgpack_packer *pk, struct evbuffer *buf);

/*
 * Packed msgpack in the caller's buffer (on its stack), moved to an owned
 * one once it outgrows it: no allocation for what is small.
 */
struct convert_buf {
	char *data; /* local, or owned */
	size_t size;
	size_t alloc;
	char *local; /* borrowed: the caller's */
	int failed;  /* out of memory: what was packed is incomplete */
};

void convert_buf_init(struct convert_buf *b, char *local, size_t size);
int convert_buf_write(void *data, const char *buf, size_t len);
void convert_buf_fini(struct convert_buf *b);
void convert_pack_cstr(msgpack_packer *pk, const char *s);
void convert_pack_status(msgpack_packer *pk, const char *s);
/*
 * What the text s[0..len) is as a value of a bytes, str or any
 * parameter: 1 a str (UTF-8), 0 a bin, -1 not acceptable (a str that
 * is not UTF-8).  ascii: s is known to be ASCII, so not scanned.
 */
static inline int
convert_text_string(enum sig_type type, const char *s, size_t len, int ascii)
{
	int utf8;

	if (type == SIG_BYTES)
		return 0;
	utf8 = ascii || util_utf8_valid(s, len);
	return type == SIG_STR && !utf8 ? -1 : utf8;
}

int convert_text_number(
    msgpack_object *o, enum sig_type type, const char *s, size_t len);

/*
 * The value of a scalar parameter (int, float, bool, bytes, str, any)
 * given as text s[0..len), as an object: what convert_text packs, as
 * msgpack_unpack reads it back (a string points into s).  ascii: s is
 * known to be ASCII.  Returns 0, or -1 for another type or a text the
 * type does not take (convert_text words the error).  Strings, the usual
 * words, are decided here without a call.
 */
static inline int
convert_text_object(
    msgpack_object *o, enum sig_type type, const char *s, size_t len, int ascii)
{
	int utf8;

	if (type != SIG_STR && type != SIG_BYTES && type != SIG_ANY)
		return convert_text_number(o, type, s, len);
	if (len > UINT32_MAX ||
	    (utf8 = convert_text_string(type, s, len, ascii)) == -1)
		return -1;
	if (utf8) {
		o->type = MSGPACK_OBJECT_STR;
		o->via.str.ptr = s;
		o->via.str.size = (uint32_t)len;
	} else {
		o->type = MSGPACK_OBJECT_BIN;
		o->via.bin.ptr = s;
		o->via.bin.size = (uint32_t)len;
	}
	return 0;
}

int convert_text(msgpack_packer *pk, enum sig_type type, const char *s,
    size_t len, int max_nesting, struct duet_err *err);
int convert_typed(msgpack_packer *pk, const msgpack_object *o,
    enum sig_type type, struct duet_err *err);
int convert_json_text(msgpack_packer *pk, enum sig_type type, const char *s,
    size_t len, int max_nesting, struct duet_err *err);
int convert_json_to_msgpack(msgpack_packer *pk, const char *json, size_t len,
    int max_nesting, struct duet_err *err);
/* A scalar's JSON text, measured before it is written. */
struct convert_json_text {
	const char *s; /* the text, or the bytes of a string */
	size_t slen;   /* a string's bytes */
	size_t len;    /* the text's length */
	int quoted;    /* s is a string's bytes, to quote and escape */
	char num[24];  /* an integer's digits */
};

int convert_json_measure(struct convert_json_text *t, const msgpack_object *o);
int convert_json_add(struct evbuffer *out, const struct convert_json_text *t);
int convert_msgpack_to_json(struct evbuffer *out, const msgpack_object *o,
    size_t max, struct duet_err *err);
/* msgpack-c 4 stops at 32 levels (MSGPACK_EMBED_STACK_SIZE). */
#define CONVERT_MAX_NESTING 32

int convert_msgpack_check(const char *p, size_t len, int max_nesting,
    size_t *used, struct duet_err *err);
int convert_unpack_scalar(const char *mp, size_t len, msgpack_object *o);
const char *convert_msgpack_reply(const msgpack_object *o, const char *mp,
    size_t *len, char *buf, size_t bufsize, size_t max, struct duet_err *err);
void convert_err_over(struct duet_err *err, size_t max);

#endif /* DUET_CONVERT_H */
