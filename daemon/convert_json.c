/* SPDX-License-Identifier: MIT */
/*
 * convert_json - JSON <-> msgpack for the convert module, with yajl's
 * streaming parser and generator and no intermediate tree.  msgpack wants
 * a container's element count before its elements, so the parser runs
 * twice over the text: the first pass validates and records each
 * container's count, in order of opening, the second packs.
 *
 * Error texts (err->code "ERR"):
 *	"invalid JSON at offset N: <yajl's reason>", where N is the count of
 *	bytes yajl consumed before it stopped (the input length when the
 *	text ends early), the error being at or just before it;
 *	"JSON nested deeper than N levels";
 *	"invalid JSON at offset N: number out of range" (such as 1e999);
 *	"cannot encode non-finite float as JSON" (msgpack -> JSON);
 *	"cannot encode a map key that is an array or a map as JSON";
 *	"reply is larger than N bytes" (the caller's output limit).
 *
 * Numbers: integers that fit int64 (or uint64) become msgpack ints, any
 * other number a double; doubles are written back in the shortest form
 * that reads back exactly, with ".0" when integral, so they stay floats.
 *
 * Binary: msgpack bin (and str, and ext 1, status) that is valid UTF-8
 * becomes a JSON string; otherwise {"$base64":"<standard base64>"}.  Other
 * ext types become {"$ext":<type>,"$base64":"..."}.  Going the other way,
 * an object whose only key is "$base64" and whose value is a string of
 * valid, padded standard base64 becomes bin; any other object (bad base64,
 * "$ext") stays a map.  Map keys that are not valid UTF-8 strings become
 * strings holding their JSON text (1 -> "1", a bin key -> its
 * {"$base64":...} text); a key that is an array or a map is refused, so
 * the output is never more than a constant times the input.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <msgpack.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "duet/plugin.h"
#include "convert.h"
#include "util.h"

/* convert_gen_b64()'s ext argument for bytes that are not an ext. */
#define CONVERT_NOEXT INT_MIN

/* What a JSON value turned out to be (for the array/map type checks). */
enum convert_kind {
	CONVERT_K_SCALAR,
	CONVERT_K_STR,
	CONVERT_K_ARRAY,
	CONVERT_K_MAP,
	CONVERT_K_BIN, /* a {"$base64":"..."} object */
};

/* One JSON container, recorded by the first pass in order of opening. */
struct convert_box {
	size_t n; /* elements of an array, keys of an object */
	uint8_t ismap;
	uint8_t b64; /* {"$base64":"..."} so far: packed as bin */
};

/*
 * The state of both JSON passes.  Pass 1 (pk == NULL) validates, checks
 * depth and numbers, and counts each container's elements; pass 2 packs,
 * taking the counts in the same order.  Invariant: depth <= max_nesting.
 */
struct convert_json {
	msgpack_packer *pk;      /* borrowed; NULL in pass 1 */
	struct convert_box *box; /* owned */
	size_t nbox;
	size_t capbox;
	size_t next;   /* pass 2: next box to open */
	size_t *stack; /* owned: box index of each open container */
	int depth;
	int max_nesting;
	enum convert_kind top; /* kind of the top-level value */
	const char *why;       /* static: why a callback refused the text */
	struct duet_err *err;  /* borrowed; set when a callback fails */
};

static const char convert_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
convert_b64_val(unsigned char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(convert_b64_alphabet, c)) == NULL)
		return -1;
	return (int)(p - convert_b64_alphabet);
}

/* Returns the decoded length of strict padded base64, or SIZE_MAX. */
static size_t
convert_b64_check(const unsigned char *s, size_t len)
{
	size_t i, pad = 0;

	if (len % 4 != 0)
		return SIZE_MAX;
	if (len > 0 && s[len - 1] == '=')
		pad++;
	if (len > 1 && s[len - 2] == '=')
		pad++;
	for (i = 0; i < len - pad; i++) {
		if (convert_b64_val(s[i]) < 0)
			return SIZE_MAX;
	}
	return len / 4 * 3 - pad;
}

/* Packs checked base64 s[0..len) as bin of n bytes, a chunk at a time. */
static void
convert_b64_pack(
    msgpack_packer *pk, const unsigned char *s, size_t len, size_t n)
{
	unsigned char out[192];
	size_t i, o = 0;
	uint32_t q;
	int k;

	msgpack_pack_bin(pk, n);
	for (i = 0; i < len; i += 4) {
		if (o + 3 > sizeof(out)) {
			msgpack_pack_bin_body(pk, out, o);
			o = 0;
		}
		for (q = 0, k = 0; k < 4; k++) {
			int v = convert_b64_val(s[i + k]);

			q = q << 6 | (uint32_t)(v < 0 ? 0 : v);
		}
		out[o++] = (unsigned char)(q >> 16);
		out[o++] = (unsigned char)(q >> 8);
		out[o++] = (unsigned char)q;
	}
	/* The padding bytes are all in the last chunk. */
	msgpack_pack_bin_body(pk, out, o - (len / 4 * 3 - n));
}

/* Returns standard padded base64 of p[0..len) in a new string, or NULL. */
static char *
convert_b64_encode(const unsigned char *p, size_t len, size_t *outlen)
{
	char *out, *o;
	size_t i;
	uint32_t q;

	if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	for (o = out, i = 0; i < len; i += 3) {
		q = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			q |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			q |= p[i + 2];
		*o++ = convert_b64_alphabet[q >> 18 & 63];
		*o++ = convert_b64_alphabet[q >> 12 & 63];
		*o++ = i + 1 < len ? convert_b64_alphabet[q >> 6 & 63] : '=';
		*o++ = i + 2 < len ? convert_b64_alphabet[q & 63] : '=';
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}

/* JSON -> msgpack */

/* Pass 1 bookkeeping of a value about to start: counts and "$base64". */
static void
convert_json_value(struct convert_json *j, enum convert_kind kind,
    const unsigned char *s, size_t len)
{
	struct convert_box *b;

	if (j->pk != NULL)
		return;
	if (j->depth == 0) {
		j->top = kind;
		return;
	}
	b = &j->box[j->stack[j->depth - 1]];
	if (!b->ismap)
		b->n++;
	else if (b->b64 &&
	    (kind != CONVERT_K_STR || convert_b64_check(s, len) == SIZE_MAX))
		b->b64 = 0;
}

/* Whether the innermost open container is a {"$base64":...} object. */
static int
convert_json_in_b64(const struct convert_json *j)
{
	return j->depth > 0 && j->box[j->stack[j->depth - 1]].b64;
}

static int
convert_json_open(struct convert_json *j, int ismap)
{
	struct convert_box *b;

	convert_json_value(j, ismap ? CONVERT_K_MAP : CONVERT_K_ARRAY, NULL, 0);
	if (j->depth >= j->max_nesting) {
		util_err_set(j->err, "ERR", "JSON nested deeper than %d levels",
		    j->max_nesting);
		return 0;
	}
	if (j->pk != NULL) {
		b = &j->box[j->next];
		j->stack[j->depth++] = j->next++;
		if (b->b64)
			return 1;
		if (ismap)
			msgpack_pack_map(j->pk, b->n);
		else
			msgpack_pack_array(j->pk, b->n);
		return 1;
	}
	if (j->nbox == j->capbox) {
		size_t cap = j->capbox == 0 ? 16 : j->capbox * 2;

		if ((b = reallocarray(j->box, cap, sizeof(*b))) == NULL) {
			util_err_set(j->err, "ERR", "out of memory");
			return 0;
		}
		j->box = b;
		j->capbox = cap;
	}
	j->box[j->nbox] = (struct convert_box){.ismap = (uint8_t)ismap};
	j->stack[j->depth++] = j->nbox++;
	return 1;
}

static int
convert_json_on_start_map(void *ctx)
{
	return convert_json_open(ctx, 1);
}

static int
convert_json_on_start_array(void *ctx)
{
	return convert_json_open(ctx, 0);
}

static int
convert_json_on_end(void *ctx)
{
	struct convert_json *j = ctx;

	j->depth--;
	return 1;
}

/*
 * yajl checks the raw bytes of strings but decodes a lone low surrogate
 * escape (\udc00) into invalid UTF-8, which a str must never hold.
 */
static int
convert_json_utf8(struct convert_json *j, const unsigned char *s, size_t len)
{
	if (util_utf8_valid((const char *)s, len))
		return 1;
	j->why = "unpaired surrogate in string";
	return 0;
}

static int
convert_json_on_key(void *ctx, const unsigned char *s, size_t len)
{
	struct convert_json *j = ctx;
	struct convert_box *b = &j->box[j->stack[j->depth - 1]];

	if (j->pk == NULL && !convert_json_utf8(j, s, len))
		return 0;
	if (j->pk == NULL) {
		b->n++;
		b->b64 = b->n == 1 && len == 7 && memcmp(s, "$base64", 7) == 0;
	} else if (!b->b64) {
		msgpack_pack_str(j->pk, len);
		msgpack_pack_str_body(j->pk, s, len);
	}
	return 1;
}

static int
convert_json_on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct convert_json *j = ctx;

	convert_json_value(j, CONVERT_K_STR, s, len);
	if (j->pk == NULL)
		return convert_json_utf8(j, s, len);
	if (convert_json_in_b64(j)) {
		convert_b64_pack(j->pk, s, len, convert_b64_check(s, len));
	} else {
		msgpack_pack_str(j->pk, len);
		msgpack_pack_str_body(j->pk, s, len);
	}
	return 1;
}

static int
convert_json_on_null(void *ctx)
{
	struct convert_json *j = ctx;

	convert_json_value(j, CONVERT_K_SCALAR, NULL, 0);
	if (j->pk != NULL)
		msgpack_pack_nil(j->pk);
	return 1;
}

static int
convert_json_on_bool(void *ctx, int v)
{
	struct convert_json *j = ctx;

	convert_json_value(j, CONVERT_K_SCALAR, NULL, 0);
	if (j->pk != NULL && v)
		msgpack_pack_true(j->pk);
	else if (j->pk != NULL)
		msgpack_pack_false(j->pk);
	return 1;
}

/* strtod on a bounded copy of yajl's (valid, unterminated) number text. */
static int
convert_json_double(const char *s, size_t len, double *out)
{
	char buf[64], *p = buf;

	if (len >= sizeof(buf) && (p = malloc(len + 1)) == NULL)
		return -1;
	memcpy(p, s, len);
	p[len] = '\0';
	*out = strtod(p, NULL);
	if (p != buf)
		free(p);
	return isfinite(*out) ? 0 : -1;
}

/*
 * A JSON number: integers that fit int64 (negative) or uint64 stay
 * integers, everything else becomes a finite double.
 */
static int
convert_json_on_number(void *ctx, const char *s, size_t len)
{
	struct convert_json *j = ctx;
	int64_t i;
	uint64_t u;
	double d;
	int integral = memchr(s, '.', len) == NULL &&
	    memchr(s, 'e', len) == NULL && memchr(s, 'E', len) == NULL;

	convert_json_value(j, CONVERT_K_SCALAR, NULL, 0);
	if (integral && s[0] == '-' && util_parse_int64(s, len, &i) == 0) {
		if (j->pk != NULL)
			msgpack_pack_int64(j->pk, i);
	} else if (integral && util_parse_uint64(s, len, &u) == 0) {
		if (j->pk != NULL)
			msgpack_pack_uint64(j->pk, u);
	} else if (convert_json_double(s, len, &d) == 0) {
		if (j->pk != NULL)
			msgpack_pack_double(j->pk, d);
	} else {
		j->why = "number out of range";
		return 0;
	}
	return 1;
}

static const yajl_callbacks convert_json_callbacks = {
    .yajl_null = convert_json_on_null,
    .yajl_boolean = convert_json_on_bool,
    .yajl_number = convert_json_on_number,
    .yajl_string = convert_json_on_string,
    .yajl_start_map = convert_json_on_start_map,
    .yajl_map_key = convert_json_on_key,
    .yajl_end_map = convert_json_on_end,
    .yajl_start_array = convert_json_on_start_array,
    .yajl_end_array = convert_json_on_end,
};

/* Sets err from yajl's error: "invalid JSON at offset N: reason". */
static void
convert_json_error(yajl_handle h, const char *json, size_t len, size_t off,
    struct duet_err *err)
{
	unsigned char *e;
	const char *reason = "malformed";
	size_t rlen;

	e = yajl_get_error(h, 0, (const unsigned char *)json, len);
	if (e != NULL) {
		reason = (const char *)e;
		if (strncmp(reason, "parse error: ", 13) == 0)
			reason += 13;
		else if (strncmp(reason, "lexical error: ", 15) == 0)
			reason += 15;
	}
	rlen = strcspn(reason, "\n");
	util_err_set(err, "ERR", "invalid JSON at offset %zu: %.*s", off,
	    (int)rlen, reason);
	if (e != NULL)
		yajl_free_error(h, e);
}

/* Runs one pass of yajl over the text; 0, or -1 with err set. */
static int
convert_json_pass(struct convert_json *j, const char *json, size_t len)
{
	yajl_handle h;
	yajl_status st;
	size_t off;

	if ((h = yajl_alloc(&convert_json_callbacks, NULL, j)) == NULL) {
		util_err_set(j->err, "ERR", "out of memory");
		return -1;
	}
	st = yajl_parse(h, (const unsigned char *)json, len);
	off = yajl_get_bytes_consumed(h);
	if (st == yajl_status_ok) {
		st = yajl_complete_parse(h);
		off = len;
	}
	if (st == yajl_status_error)
		convert_json_error(h, json, len, off, j->err);
	else if (st == yajl_status_client_canceled && j->why != NULL)
		util_err_set(j->err, "ERR", "invalid JSON at offset %zu: %s",
		    off, j->why);
	yajl_free(h);
	return st == yajl_status_ok ? 0 : -1;
}

/*
 * Parses json[0..len) (one JSON value, nothing after it but blanks) and, if
 * its kind is in the mask want, packs it into pk.  Returns 0, -1 with
 * err set if the text is not valid, or -2 (err untouched) if the kind is
 * unwanted.  Nothing is packed unless 0 is returned.
 */
static int
convert_json_parse(msgpack_packer *pk, const char *json, size_t len,
    int max_nesting, unsigned want, struct duet_err *err)
{
	struct convert_json j;
	int rc = -1;

	memset(&j, 0, sizeof(j));
	j.err = err;
	j.max_nesting = max_nesting < 0 ? 0 : max_nesting;
	if ((j.stack = calloc((size_t)j.max_nesting + 1, sizeof(size_t))) ==
	    NULL) {
		util_err_set(err, "ERR", "out of memory");
		return -1;
	}
	if (convert_json_pass(&j, json, len) == -1)
		goto done;
	if (j.top == CONVERT_K_MAP && j.box[0].b64)
		j.top = CONVERT_K_BIN;
	rc = -2;
	if ((want & 1u << j.top) == 0)
		goto done;
	/* Pass 2 parses text pass 1 accepted, so it cannot fail. */
	j.pk = pk;
	rc = convert_json_pass(&j, json, len);
done:
	free(j.box);
	free(j.stack);
	return rc;
}

/*
 * Parses json[0..len), exactly one JSON value of any kind, and packs it
 * into pk: integers that fit int64/uint64 as ints, other numbers as
 * doubles, {"$base64":"..."} as bin (see the top of this file).  Containers
 * deeper than max_nesting are refused.  Returns 0, or -1 with err set (see
 * the top of this file), in which case nothing has been packed.  yajl is
 * run twice: a first pass counts each container's elements, which msgpack
 * needs before them, and a second packs.
 */
int
convert_json_to_msgpack(msgpack_packer *pk, const char *json, size_t len,
    int max_nesting, struct duet_err *err)
{
	return convert_json_parse(pk, json, len, max_nesting, ~0u, err) == 0
	    ? 0
	    : -1;
}

/*
 * Packs JSON text s[0..len) for a parameter of type json (any value), array
 * or map (a JSON array or object, not a {"$base64":...} object) into pk.
 * Returns 0, or -1 with err "expected <type>" or "expected <type>: <JSON
 * error>" and nothing packed.
 */
int
convert_json_text(msgpack_packer *pk, enum sig_type type, const char *s,
    size_t len, int max_nesting, struct duet_err *err)
{
	unsigned want = ~0u;
	int rc;

	if (type == SIG_ARRAY)
		want = 1u << CONVERT_K_ARRAY;
	else if (type == SIG_MAP)
		want = 1u << CONVERT_K_MAP;
	rc = convert_json_parse(pk, s, len, max_nesting, want, err);
	if (rc == -2) {
		util_err_set(err, "ERR", "expected %s", sig_type_name(type));
	} else if (rc == -1) {
		char msg[sizeof(err->msg)];

		memcpy(msg, err->msg, sizeof(msg));
		util_err_set(
		    err, "ERR", "expected %s: %s", sig_type_name(type), msg);
	}
	return rc == 0 ? 0 : -1;
}

/* msgpack -> JSON */

/*
 * The generator of one msgpack -> JSON conversion: yajl writes into buf,
 * and the walk stops as soon as buf holds more than max bytes.
 */
struct convert_gen {
	yajl_gen g;
	struct evbuffer *buf; /* owned by convert_msgpack_to_json */
	size_t max;
	int over; /* buf passed max */
};

/* {"$base64":"..."}, after "$ext":type unless ext is CONVERT_NOEXT. */
static int
convert_gen_b64(
    yajl_gen g, const char *p, size_t len, int ext, struct duet_err *err)
{
	char *b64;
	size_t blen;
	int bad;

	if ((b64 = convert_b64_encode((const unsigned char *)p, len, &blen)) ==
	    NULL) {
		util_err_set(err, "ERR", "out of memory");
		return -1;
	}
	bad = yajl_gen_map_open(g) != yajl_gen_status_ok;
	if (ext != CONVERT_NOEXT) {
		yajl_gen_string(g, (const unsigned char *)"$ext", 4);
		yajl_gen_integer(g, ext);
	}
	yajl_gen_string(g, (const unsigned char *)"$base64", 7);
	yajl_gen_string(g, (const unsigned char *)b64, blen);
	yajl_gen_map_close(g);
	free(b64);
	if (bad)
		util_err_set(err, "ERR", "JSON output nested too deep");
	return bad ? -1 : 0;
}

/* Bytes as a JSON string when valid UTF-8, else as {"$base64":...}. */
static int
convert_gen_bytes(
    yajl_gen g, const char *p, size_t len, int ext, struct duet_err *err)
{
	if (!util_utf8_valid(p, len))
		return convert_gen_b64(g, p, len, ext, err);
	if (yajl_gen_string(g, (const unsigned char *)p, len) !=
	    yajl_gen_status_ok) {
		util_err_set(err, "ERR", "cannot encode string as JSON");
		return -1;
	}
	return 0;
}

/* The shortest %.Ng text that reads back as d, with ".0" if integral. */
static int
convert_gen_double(yajl_gen g, double d, struct duet_err *err)
{
	char buf[40];
	int prec, n = 0;

	if (!isfinite(d)) {
		util_err_set(
		    err, "ERR", "cannot encode non-finite float as JSON");
		return -1;
	}
	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (strspn(buf, "-0123456789") == (size_t)n)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, ".0");
	yajl_gen_number(g, buf, (size_t)n);
	return 0;
}

/* Whether o is str, bin or a status holding valid UTF-8: *p, *len. */
static int
convert_obj_text(const msgpack_object *o, const char **p, size_t *len)
{
	if (o->type == MSGPACK_OBJECT_EXT &&
	    o->via.ext.type == DUET_EXT_STATUS) {
		*p = o->via.ext.ptr;
		*len = o->via.ext.size;
	} else if (o->type == MSGPACK_OBJECT_STR ||
	    o->type == MSGPACK_OBJECT_BIN)
		*p = duet_obj_bytes(o, len);
	else
		return 0;
	return util_utf8_valid(*p, *len);
}

/* Any value but an array or a map: its JSON text, written by g. */
static int
convert_gen_scalar(yajl_gen g, const msgpack_object *o, struct duet_err *err)
{
	char buf[24];

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return yajl_gen_null(g), 0;
	case MSGPACK_OBJECT_BOOLEAN:
		return yajl_gen_bool(g, o->via.boolean), 0;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		snprintf(buf, sizeof(buf), "%" PRIu64, o->via.u64);
		return yajl_gen_number(g, buf, strlen(buf)), 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		snprintf(buf, sizeof(buf), "%" PRId64, o->via.i64);
		return yajl_gen_number(g, buf, strlen(buf)), 0;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return convert_gen_double(g, o->via.f64, err);
	case MSGPACK_OBJECT_STR:
		return convert_gen_bytes(
		    g, o->via.str.ptr, o->via.str.size, CONVERT_NOEXT, err);
	case MSGPACK_OBJECT_BIN:
		return convert_gen_bytes(
		    g, o->via.bin.ptr, o->via.bin.size, CONVERT_NOEXT, err);
	case MSGPACK_OBJECT_EXT:
		if (o->via.ext.type == DUET_EXT_STATUS)
			return convert_gen_bytes(g, o->via.ext.ptr,
			    o->via.ext.size, DUET_EXT_STATUS, err);
		return convert_gen_b64(
		    g, o->via.ext.ptr, o->via.ext.size, o->via.ext.type, err);
	default:
		break;
	}
	util_err_set(
	    err, "ERR", "cannot encode msgpack type %d as JSON", (int)o->type);
	return -1;
}

/*
 * A map key.  JSON keys are strings: a string key is written as is, a
 * scalar one as a string of its JSON text (1 -> "1", a non-UTF-8 key ->
 * its {"$base64":...} text).  An array or a map as a key is refused:
 * rendering it as text inside text would escape it once per level, which
 * doubles the output at each one.
 */
static int
convert_gen_key(yajl_gen g, const msgpack_object *k, struct duet_err *err)
{
	const unsigned char *buf;
	const char *p;
	size_t len;
	yajl_gen kg;
	int rc = -1;

	if (convert_obj_text(k, &p, &len)) {
		yajl_gen_string(g, (const unsigned char *)p, len);
		return 0;
	}
	if (k->type == MSGPACK_OBJECT_ARRAY || k->type == MSGPACK_OBJECT_MAP) {
		util_err_set(err, "ERR",
		    "cannot encode a map key that is an array or a map as "
		    "JSON");
		return -1;
	}
	if ((kg = yajl_gen_alloc(NULL)) == NULL) {
		util_err_set(err, "ERR", "out of memory");
		return -1;
	}
	if (convert_gen_scalar(kg, k, err) == 0 &&
	    yajl_gen_get_buf(kg, &buf, &len) == yajl_gen_status_ok) {
		yajl_gen_string(g, buf, len);
		rc = 0;
	}
	yajl_gen_free(kg);
	return rc;
}

static int convert_gen_value(
    struct convert_gen *cg, const msgpack_object *o, struct duet_err *err);

static int
convert_gen_container(
    struct convert_gen *cg, const msgpack_object *o, struct duet_err *err)
{
	uint32_t i;

	if (o->type == MSGPACK_OBJECT_ARRAY) {
		if (yajl_gen_array_open(cg->g) != yajl_gen_status_ok)
			goto deep;
		for (i = 0; i < o->via.array.size; i++) {
			if (convert_gen_value(cg, &o->via.array.ptr[i], err) ==
			    -1)
				return -1;
		}
		yajl_gen_array_close(cg->g);
		return 0;
	}
	if (yajl_gen_map_open(cg->g) != yajl_gen_status_ok)
		goto deep;
	for (i = 0; i < o->via.map.size; i++) {
		if (convert_gen_key(cg->g, &o->via.map.ptr[i].key, err) == -1 ||
		    convert_gen_value(cg, &o->via.map.ptr[i].val, err) == -1)
			return -1;
	}
	yajl_gen_map_close(cg->g);
	return 0;
deep:
	util_err_set(err, "ERR", "JSON output nested too deep");
	return -1;
}

/* Writes o, stopping once the output has passed its limit. */
static int
convert_gen_value(
    struct convert_gen *cg, const msgpack_object *o, struct duet_err *err)
{
	int rc;

	if (cg->over)
		goto over;
	if (o->type == MSGPACK_OBJECT_ARRAY || o->type == MSGPACK_OBJECT_MAP)
		rc = convert_gen_container(cg, o, err);
	else
		rc = convert_gen_scalar(cg->g, o, err);
	if (rc == -1 || !cg->over)
		return rc;
over:
	util_err_set(err, "ERR", "reply is larger than %zu bytes", cg->max);
	return -1;
}

/*
 * yajl_gen print callback: appends to the buffer of the convert_gen in
 * ctx, until it holds more than its limit.
 */
static void
convert_gen_print(void *ctx, const char *s, size_t len)
{
	struct convert_gen *cg = ctx;

	if (cg->over)
		return;
	evbuffer_add(cg->buf, s, len);
	if (evbuffer_get_length(cg->buf) > cg->max)
		cg->over = 1;
}

/*
 * Appends the JSON text of the scalars most replies are (nil, a boolean,
 * an integer, a string of printable ASCII with nothing to escape)
 * without setting up a generator.  Returns 1 if o was one of them and
 * its text is at most max bytes.
 */
static int
convert_json_scalar(struct evbuffer *out, const msgpack_object *o, size_t max)
{
	struct evbuffer_iovec v;
	size_t len;
	const char *s;
	char *p;

	if (max < 32) /* longer than any number or keyword */
		return 0;
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return evbuffer_add(out, "null", 4) == 0;
	case MSGPACK_OBJECT_BOOLEAN:
		return o->via.boolean ? evbuffer_add(out, "true", 4) == 0
		                      : evbuffer_add(out, "false", 5) == 0;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return evbuffer_add_printf(out, "%" PRIu64, o->via.u64) > 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return evbuffer_add_printf(out, "%" PRId64, o->via.i64) > 0;
	case MSGPACK_OBJECT_STR:
		break;
	default:
		return 0;
	}
	s = o->via.str.ptr;
	len = o->via.str.size;
	if (len == 0) /* ptr may be NULL */
		return evbuffer_add(out, "\"\"", 2) == 0;
	if (len > max - 2)
		return 0;
	if (!util_printable(s, len, 1) || memchr(s, '"', len) != NULL ||
	    memchr(s, '\\', len) != NULL)
		return 0;
	if (evbuffer_reserve_space(out, (ev_ssize_t)(len + 2), &v, 1) != 1)
		return 0;
	p = v.iov_base;
	p[0] = '"';
	memcpy(p + 1, s, len);
	p[len + 1] = '"';
	v.iov_len = len + 2;
	return evbuffer_commit_space(out, &v, 1) == 0;
}

/*
 * Appends the JSON text of o to out (rules at the top of this file), at
 * most max bytes of it: past that it stops writing and fails with "reply
 * is larger than N bytes".  Returns 0, or -1 with err set and out
 * unchanged.
 */
int
convert_msgpack_to_json(struct evbuffer *out, const msgpack_object *o,
    size_t max, struct duet_err *err)
{
	struct convert_gen cg = {NULL, NULL, max, 0};
	int rc = -1;

	if (convert_json_scalar(out, o, max))
		return 0;
	if ((cg.buf = evbuffer_new()) == NULL ||
	    (cg.g = yajl_gen_alloc(NULL)) == NULL) {
		util_err_set(err, "ERR", "out of memory");
		goto done;
	}
	yajl_gen_config(cg.g, yajl_gen_print_callback, convert_gen_print, &cg);
	if (convert_gen_value(&cg, o, err) == -1)
		goto done;
	if (evbuffer_add_buffer(out, cg.buf) == -1) {
		util_err_set(err, "ERR", "out of memory");
		goto done;
	}
	rc = 0;
done:
	if (cg.g != NULL)
		yajl_gen_free(cg.g);
	if (cg.buf != NULL)
		evbuffer_free(cg.buf);
	return rc;
}
