/* SPDX-License-Identifier: MIT */
/*
 * convert - L0: the translations between the wire and msgpack that are not
 * JSON (that is convert_json.c): RESP text to typed msgpack by signature
 * type, and typed msgpack (CLIENT ENCODING, HTTP bodies) checked by type.
 * Output goes straight into evbuffers.  Writing msgpack as RESP2/RESP3 is
 * the RESP writer's (resp_reply.c).  A handler's reply that is one scalar
 * is read from its msgpack header here (convert_unpack_scalar), without
 * msgpack-c's unpacker and zone.
 *
 * Error texts (err->code is always "ERR") leave out the "invalid argument"
 * prefix, which dispatch adds as
 * "invalid argument '<name>' for '<cmd>': <err->msg>":
 *	int, float, bool, str, bytes	"expected <type>"
 *	json, array, map: bad JSON	"expected <type>: <JSON message>"
 *	array, map: another value	"expected <type>"
 * where the JSON messages are those of convert_json_to_msgpack().
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "duet/plugin.h"
#include "convert.h"
#include "util.h"

/* msgpack_packer write callback: appends to the evbuffer in data. */
static int
convert_write(void *data, const char *buf, size_t len)
{
	return evbuffer_add(data, buf, len);
}

/*
 * Initialises pk to append everything it packs to buf (borrowed; must
 * outlive the packer's use).
 */
void
convert_packer_init(msgpack_packer *pk, struct evbuffer *buf)
{
	msgpack_packer_init(pk, buf, convert_write);
}

/* Starts b in local (size bytes). */
void
convert_buf_init(struct convert_buf *b, char *local, size_t size)
{
	b->data = b->local = local;
	b->size = 0;
	b->alloc = size;
	b->failed = 0;
}

/*
 * msgpack_packer's writer into a struct convert_buf (data).  Returns 0,
 * or -1 out of memory (b->failed).
 */
int
convert_buf_write(void *data, const char *buf, size_t len)
{
	struct convert_buf *b = data;
	size_t alloc = b->alloc;
	char *p;

	if (len > b->alloc - b->size) {
		while (len > alloc - b->size)
			alloc *= 2;
		if (b->data == b->local) {
			if ((p = malloc(alloc)) != NULL)
				memcpy(p, b->local, b->size);
		} else
			p = realloc(b->data, alloc);
		if (p == NULL) {
			b->failed = 1;
			return -1;
		}
		b->data = p;
		b->alloc = alloc;
	}
	memcpy(b->data + b->size, buf, len);
	b->size += len;
	return 0;
}

/* Frees what b owns. */
void
convert_buf_fini(struct convert_buf *b)
{
	if (b->data != b->local)
		free(b->data);
	b->data = b->local;
}

static int
convert_text_bool(const char *s, size_t len, int *v)
{
	if (util_strcaseeq(s, len, "1") || util_strcaseeq(s, len, "true"))
		*v = 1;
	else if (util_strcaseeq(s, len, "0") || util_strcaseeq(s, len, "false"))
		*v = 0;
	else
		return -1;
	return 0;
}

/*
 * convert_text_object for an int, float or bool parameter (convert.h).
 */
int
convert_text_number(
    msgpack_object *o, enum sig_type type, const char *s, size_t len)
{
	int b;

	switch (type) {
	case SIG_INT:
		if (util_parse_int64(s, len, &o->via.i64) == -1)
			return -1;
		o->type = o->via.i64 < 0 ? MSGPACK_OBJECT_NEGATIVE_INTEGER
		                         : MSGPACK_OBJECT_POSITIVE_INTEGER;
		return 0;
	case SIG_FLOAT:
		if (util_parse_double(s, len, &o->via.f64) == -1)
			return -1;
		o->type = MSGPACK_OBJECT_FLOAT64;
		return 0;
	case SIG_BOOL:
		if (convert_text_bool(s, len, &b) == -1)
			return -1;
		o->type = MSGPACK_OBJECT_BOOLEAN;
		o->via.boolean = b != 0;
		return 0;
	default:
		return -1;
	}
}

/*
 * Converts a RESP argument's text s[0..len) to a msgpack value of the given
 * signature type (SPEC.md section 5) and packs it into pk.  Returns 0, or
 * -1 with err set (texts at the top of this file) and nothing packed.
 */
int
convert_text(msgpack_packer *pk, enum sig_type type, const char *s, size_t len,
    int max_nesting, struct duet_err *err)
{
	msgpack_object o;

	if (type == SIG_JSON || type == SIG_ARRAY || type == SIG_MAP)
		return convert_json_text(pk, type, s, len, max_nesting, err);
	if (convert_text_object(&o, type, s, len, 0) == -1) {
		util_err_set(err, "ERR", "expected %s", sig_type_name(type));
		return -1;
	}
	msgpack_pack_object(pk, o);
	return 0;
}

/* Whether a typed value o is acceptable for type, as is or coerced. */
static int
convert_typed_ok(const msgpack_object *o, enum sig_type type)
{
	switch (type) {
	case SIG_INT:
		return o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ||
		    (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		        o->via.u64 <= INT64_MAX);
	case SIG_FLOAT:
		return o->type == MSGPACK_OBJECT_FLOAT32 ||
		    o->type == MSGPACK_OBJECT_FLOAT64 ||
		    o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ||
		    o->type == MSGPACK_OBJECT_POSITIVE_INTEGER;
	case SIG_BOOL:
		return o->type == MSGPACK_OBJECT_BOOLEAN;
	case SIG_STR:
		return o->type == MSGPACK_OBJECT_STR &&
		    util_utf8_valid(o->via.str.ptr, o->via.str.size);
	case SIG_BYTES:
		return o->type == MSGPACK_OBJECT_BIN ||
		    o->type == MSGPACK_OBJECT_STR;
	case SIG_ANY:
	case SIG_JSON:
		return 1;
	case SIG_ARRAY:
		return o->type == MSGPACK_OBJECT_ARRAY;
	case SIG_MAP:
		return o->type == MSGPACK_OBJECT_MAP;
	}
	return 0;
}

/*
 * Checks a value that arrived typed (CLIENT ENCODING msgpack/json, HTTP
 * bodies) against a signature type and packs it into pk: int takes
 * integers in int64 range (no floats); float takes floats and integers
 * (packed as double; non-finite floats pass, msgpack can carry them);
 * bytes takes bin or str (packed as bin); any and json take anything as
 * is; the others only their own msgpack type.  Returns 0, or -1 with err
 * "expected <type>" and nothing packed.
 */
int
convert_typed(msgpack_packer *pk, const msgpack_object *o, enum sig_type type,
    struct duet_err *err)
{
	if (!convert_typed_ok(o, type)) {
		util_err_set(err, "ERR", "expected %s", sig_type_name(type));
		return -1;
	}
	if (type == SIG_INT && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		msgpack_pack_int64(pk, (int64_t)o->via.u64);
	else if (type == SIG_FLOAT &&
	    o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		msgpack_pack_double(pk, (double)o->via.u64);
	else if (type == SIG_FLOAT &&
	    o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		msgpack_pack_double(pk, (double)o->via.i64);
	else if (type == SIG_FLOAT)
		msgpack_pack_double(pk, o->via.f64);
	else if (type == SIG_BYTES && o->type == MSGPACK_OBJECT_STR) {
		msgpack_pack_bin(pk, o->via.str.size);
		msgpack_pack_bin_body(pk, o->via.str.ptr, o->via.str.size);
	} else
		msgpack_pack_object(pk, *o);
	return 0;
}

/*
 * Packs the NUL-terminated s as a msgpack str.
 */
void
convert_pack_cstr(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);

	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

/*
 * Packs the NUL-terminated s as a status (ext DUET_EXT_STATUS): RESP
 * +s, JSON "s".
 */
void
convert_pack_status(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);

	msgpack_pack_ext(pk, len, DUET_EXT_STATUS);
	msgpack_pack_ext_body(pk, s, len);
}

/*
 * Reads a big-endian unsigned integer of n bytes.
 */
static uint64_t
convert_be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * The shape of one msgpack header at p: its own size, the payload bytes
 * that follow it, and the elements it opens.  Returns -1 for 0xc1.
 */
static int
convert_mp_header(
    const unsigned char *p, size_t *hdr, uint64_t *payload, uint64_t *elems)
{
	static const unsigned char fixed[256] = {[0xca] = 5,
	    [0xcb] = 9,
	    [0xcc] = 2,
	    [0xcd] = 3,
	    [0xce] = 5,
	    [0xcf] = 9,
	    [0xd0] = 2,
	    [0xd1] = 3,
	    [0xd2] = 5,
	    [0xd3] = 9,
	    [0xd4] = 3,
	    [0xd5] = 4,
	    [0xd6] = 6,
	    [0xd7] = 10,
	    [0xd8] = 18};
	unsigned char b = p[0];

	*hdr = 1;
	*payload = *elems = 0;
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return 0;
	if (b <= 0x8f || (b >= 0x90 && b <= 0x9f)) {
		*elems = (uint64_t)(b & 0x0f) * (b <= 0x8f ? 2 : 1);
		return 0;
	}
	if (b <= 0xbf) {
		*payload = b & 0x1f;
		return 0;
	}
	if (b == 0xc1)
		return -1;
	if (fixed[b] != 0) {
		*hdr = fixed[b];
		return 0;
	}
	switch (b) {
	case 0xc4:
	case 0xc5:
	case 0xc6: /* bin 8/16/32 */
		*hdr = 1 + (size_t)(1 << (b - 0xc4));
		return 1;
	case 0xc7:
	case 0xc8:
	case 0xc9: /* ext 8/16/32: size, then type */
		*hdr = 2 + (size_t)(1 << (b - 0xc7));
		return 1;
	case 0xd9:
	case 0xda:
	case 0xdb: /* str 8/16/32 */
		*hdr = 1 + (size_t)(1 << (b - 0xd9));
		return 1;
	case 0xdc:
	case 0xdd: /* array 16/32 */
		*hdr = b == 0xdc ? 3 : 5;
		return 2;
	default: /* 0xde, 0xdf: map 16/32 */
		*hdr = b == 0xde ? 3 : 5;
		return 3;
	}
}

/*
 * The header of the msgpack item at u (avail bytes there): its length,
 * and the payload bytes or elements (a map's keys and values) after it,
 * with any length field read.  Returns convert_mp_header's kind, -1 for
 * the invalid byte, or -2 when the header is cut short.
 */
static int
convert_mp_measure(const unsigned char *u, size_t avail, size_t *hdr,
    uint64_t *payload, uint64_t *elems)
{
	int kind = convert_mp_header(u, hdr, payload, elems);
	uint64_t n;

	if (kind == -1)
		return -1;
	if (*hdr > avail)
		return -2;
	if (kind > 0) {
		/* The length field follows the lead byte (and, for ext,
		 * comes before the type byte). */
		n = convert_be(
		    u + 1, (int)*hdr - 1 - (u[0] >= 0xc7 && u[0] <= 0xc9));
		if (kind == 1)
			*payload = n;
		else
			*elems = kind == 3 ? n * 2 : n;
	}
	return kind;
}

/*
 * The int of the w bytes (1, 2, 4 or 8) at u, big-endian: a positive int
 * if unsigned or not negative, as msgpack-c's unpacker types it.
 */
static void
convert_scalar_int(
    const unsigned char *u, int w, int is_signed, msgpack_object *o)
{
	uint64_t v = convert_be(u, w);
	int64_t i;

	if (!is_signed) {
		i = 0;
	} else if (w == 1) {
		i = (int8_t)v;
	} else if (w == 2) {
		i = (int16_t)v;
	} else if (w == 4) {
		i = (int32_t)v;
	} else {
		i = (int64_t)v;
	}
	if (i < 0) {
		o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
		o->via.i64 = i;
	} else {
		o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o->via.u64 = v;
	}
}

/*
 * A str, bin or ext whose lead byte b has hdr header bytes (the last one
 * an ext's type) and n payload bytes: o references the payload.
 */
static void
convert_scalar_bytes(const unsigned char *u, unsigned char b, size_t hdr,
    size_t n, msgpack_object *o)
{
	if ((b >= 0xc7 && b <= 0xc9) || (b >= 0xd4 && b <= 0xd8)) {
		o->type = MSGPACK_OBJECT_EXT;
		o->via.ext.type = (int8_t)u[hdr - 1];
		o->via.ext.ptr = (const char *)u + hdr;
		o->via.ext.size = (uint32_t)n;
		return;
	}
	o->type =
	    b >= 0xc4 && b <= 0xc6 ? MSGPACK_OBJECT_BIN : MSGPACK_OBJECT_STR;
	o->via.str.ptr = (const char *)u + hdr;
	o->via.str.size = (uint32_t)n;
}

/*
 * The header of a str, bin or ext at u (len bytes there): its size and
 * the payload's.  Returns 0, or -1 if b is none of them or u is short.
 */
static int
convert_scalar_bytes_hdr(
    const unsigned char *u, size_t len, size_t *hdr, size_t *n)
{
	unsigned char b = u[0];
	int w;

	if (b >= 0xa0 && b <= 0xbf) {
		*hdr = 1;
		*n = b & 0x1f;
		return 0;
	}
	if (b >= 0xd4 && b <= 0xd8) { /* fixext 1..16: type, data */
		*hdr = 2;
		*n = (size_t)1 << (b - 0xd4);
		return len >= 2 ? 0 : -1;
	}
	if (b >= 0xc4 && b <= 0xc6)
		w = 1 << (b - 0xc4); /* bin 8/16/32 */
	else if (b >= 0xd9 && b <= 0xdb)
		w = 1 << (b - 0xd9); /* str 8/16/32 */
	else if (b >= 0xc7 && b <= 0xc9)
		w = 1 << (b - 0xc7); /* ext 8/16/32: size, then type */
	else
		return -1;
	*hdr = 1 + (size_t)w + (b >= 0xc7 && b <= 0xc9);
	if (*hdr > len)
		return -1;
	*n = (size_t)convert_be(u + 1, w);
	return 0;
}

/*
 * Unpacks the one scalar that mp[0..len) holds into o as msgpack-c's
 * unpacker would, without a zone: nil, a boolean, an int, a float, or a
 * str, bin or ext (referencing mp; an empty one points past its header,
 * where msgpack-c's pointer may be NULL).  The replies of most commands are
 * one of them, and this is a small fraction of msgpack_unpack's cost.
 * Returns 0, or -1 for anything else (an array, a map, an invalid or
 * short value, more than one value): the caller unpacks it.
 */
int
convert_unpack_scalar(const char *mp, size_t len, msgpack_object *o)
{
	const unsigned char *u = (const unsigned char *)mp;
	unsigned char b;
	size_t hdr, n;
	union {
		uint32_t u;
		float f;
	} f32;

	if (len == 0)
		return -1;
	b = u[0];
	if (b <= 0x7f || b >= 0xe0) { /* positive, negative fixint */
		convert_scalar_int(u, 1, b >= 0xe0, o);
		return len == 1 ? 0 : -1;
	}
	if (b == 0xc0 || b == 0xc2 || b == 0xc3) {
		o->type =
		    b == 0xc0 ? MSGPACK_OBJECT_NIL : MSGPACK_OBJECT_BOOLEAN;
		o->via.boolean = b == 0xc3;
		return len == 1 ? 0 : -1;
	}
	if (b >= 0xcc && b <= 0xd3) { /* uint, int 8/16/32/64 */
		n = (size_t)1 << ((b - 0xcc) & 3);
		if (len != 1 + n)
			return -1;
		convert_scalar_int(u + 1, (int)n, b >= 0xd0, o);
		return 0;
	}
	if (b == 0xca && len == 5) {
		f32.u = (uint32_t)convert_be(u + 1, 4);
		o->type = MSGPACK_OBJECT_FLOAT32;
		o->via.f64 = (double)f32.f;
		return 0;
	}
	if (b == 0xcb && len == 9) {
		o->type = MSGPACK_OBJECT_FLOAT64;
		o->via.u64 = convert_be(u + 1, 8);
		return 0;
	}
	if (convert_scalar_bytes_hdr(u, len, &hdr, &n) == -1 || n != len - hdr)
		return -1;
	convert_scalar_bytes(u, b, hdr, n, o);
	return 0;
}

/*
 * Checks untrusted msgpack before msgpack-c unpacks it: msgpack-c
 * allocates an array's elements from its header alone, so a few bytes
 * claiming four billion elements would cost gigabytes.  Walks the first
 * value's headers, refuses any count larger than the bytes left (every
 * element takes at least one), containers nested deeper than max_nesting,
 * and map keys that are arrays or maps (no JSON client could read them
 * back, and text of text grows with each level).  *used receives the
 * value's length.  Returns 0, or -1 with err set (invalid, truncated, too
 * deep, container key).
 */
int
convert_msgpack_check(const char *p, size_t len, int max_nesting, size_t *used,
    struct duet_err *err)
{
	const unsigned char *u = (const unsigned char *)p;
	uint64_t left[CONVERT_MAX_NESTING + 2], pending = 1;
	uint8_t ismap[CONVERT_MAX_NESTING + 2];
	uint64_t payload, elems;
	size_t pos = 0, hdr;
	int kind, depth = 0, iskey, box;

	if (max_nesting > CONVERT_MAX_NESTING)
		max_nesting = CONVERT_MAX_NESTING;
	left[0] = 1;
	ismap[0] = 0;
	while (depth >= 0) {
		if (left[depth] == 0) {
			depth--;
			continue;
		}
		if (pos >= len)
			goto truncated;
		/* A map's 2n elements alternate key, value: keys at even. */
		iskey = ismap[depth] && left[depth] % 2 == 0;
		left[depth]--;
		pending--;
		kind = convert_mp_measure(
		    u + pos, len - pos, &hdr, &payload, &elems);
		if (kind == -1) {
			util_err_set(err, "ERR", "invalid msgpack byte 0xc1");
			return -1;
		}
		if (kind == -2)
			goto truncated;
		box = kind >= 2 || (u[pos] >= 0x80 && u[pos] <= 0x9f);
		if (box && depth + 1 > max_nesting) {
			util_err_set(err, "ERR",
			    "msgpack nested deeper than %d levels",
			    max_nesting);
			return -1;
		}
		if (box && iskey) {
			util_err_set(err, "ERR",
			    "msgpack map key at offset %zu is an array or a "
			    "map",
			    pos);
			return -1;
		}
		ismap[depth + 1] =
		    kind == 3 || (u[pos] >= 0x80 && u[pos] <= 0x8f);
		pos += hdr;
		if (payload > len - pos)
			goto truncated;
		pos += payload;
		pending += elems;
		if (pending > len - pos)
			goto truncated;
		if (elems > 0)
			left[++depth] = elems;
	}
	*used = pos;
	return 0;
truncated:
	util_err_set(err, "ERR", "truncated msgpack");
	return -1;
}

/*
 * The error of an encoder that stopped at the caller's output limit.
 */
void
convert_err_over(struct duet_err *err, size_t max)
{
	util_err_set(err, "ERR", "reply is larger than %zu bytes", max);
}

/*
 * What a msgpack client gets for a reply: the packed bytes, except that a
 * top-level status (DUET_EXT_STATUS) becomes a plain string, which every
 * msgpack library reads.  Returns mp, or buf holding the rewritten value,
 * with *len updated; or NULL (err set by convert_err_over) when that is
 * more than max bytes.
 */
const char *
convert_msgpack_reply(const msgpack_object *o, const char *mp, size_t *len,
    char *buf, size_t bufsize, size_t max, struct duet_err *err)
{
	size_t n;

	if (*len > max) {
		convert_err_over(err, max);
		return NULL;
	}
	if (o->type != MSGPACK_OBJECT_EXT || o->via.ext.type != DUET_EXT_STATUS)
		return mp;
	n = o->via.ext.size;
	if (n > 31 || n + 1 > bufsize)
		return mp;
	buf[0] = (char)(0xa0 | n);
	memcpy(buf + 1, o->via.ext.ptr, n);
	*len = n + 1;
	return buf;
}
