/* SPDX-License-Identifier: MIT */
/*
 * convert_json - JSON -> msgpack for the convert module, with yajl's
 * streaming parser and no intermediate tree (convert_json_out.c writes
 * the other way, with the rules below).  msgpack wants
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
#include <yajl/yajl_parse.h>

#include "duet/plugin.h"
#include "convert.h"
#include "util.h"

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

/* The value of a standard base64 digit, or -1. */
static int
convert_b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
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
