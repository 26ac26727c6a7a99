/* SPDX-License-Identifier: MIT */
/*
 * convert_json_out - msgpack -> JSON for the convert module, with yajl's
 * generator and no intermediate tree; the rules (base64, ext, status, map
 * keys, floats) are at the top of convert_json.c, which reads JSON back.
 * A scalar (nil, bool, int, UTF-8 text: most replies) skips the generator:
 * its text is measured (convert_json_measure), so that an HTTP head can
 * carry its length, then written in place (convert_json_add), escaped
 * exactly as yajl escapes.
 *
 * The output is bounded: a map key that is an array or a map is refused
 * (text of text would double at every level), every other value's text is
 * at most a constant times its msgpack, and the writer stops as soon as
 * the output passes the caller's limit.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <event2/buffer.h>
#include <msgpack.h>
#include <yajl/yajl_gen.h>

#include "duet/plugin.h"
#include "convert.h"
#include "util.h"

/* convert_gen_b64()'s ext argument for bytes that are not an ext. */
#define CONVERT_NOEXT INT_MIN

static const char convert_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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
	convert_err_over(err, cg->max);
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

/* Strings and numbers without a generator */

#ifdef __SSE2__
/* The bytes of x that stop a plain run: below ' ' (signed: >= 0x80 too),
 * '"' or '\\'. */
static inline __m128i
convert_json_stops(__m128i x)
{
	return _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(' ')),
	    _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
	        _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
}
#endif

/*
 * The length of the run at the start of s[0..len) that a JSON string
 * holds as is and that needs no look at UTF-8: printable ASCII but '"'
 * and '\\' (and DEL, which yajl does not escape either).  32 bytes at a
 * time where SSE2 is (every x86-64).
 */
static size_t
convert_json_plain_run(const unsigned char *s, size_t len)
{
	size_t i = 0;
#ifdef __SSE2__
	__m128i a, b;
	unsigned bits;

	for (; i + 32 <= len; i += 32) {
		a = convert_json_stops(
		    _mm_loadu_si128((const __m128i *)(const void *)(s + i)));
		b = convert_json_stops(_mm_loadu_si128(
		    (const __m128i *)(const void *)(s + i + 16)));
		if (_mm_movemask_epi8(_mm_or_si128(a, b)) == 0)
			continue;
		bits = (unsigned)_mm_movemask_epi8(a) |
		    (unsigned)_mm_movemask_epi8(b) << 16;
		return i + (size_t)__builtin_ctz(bits);
	}
	if (i + 16 <= len) {
		a = convert_json_stops(
		    _mm_loadu_si128((const __m128i *)(const void *)(s + i)));
		if ((bits = (unsigned)_mm_movemask_epi8(a)) != 0)
			return i + (size_t)__builtin_ctz(bits);
		i += 16;
	}
#endif
	while (i < len && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' &&
	    s[i] != '\\')
		i++;
	return i;
}

/* The short escape of ASCII byte c as yajl writes it, or 0 for \u00XX. */
static char
convert_json_short_escape(unsigned char c)
{
	switch (c) {
	case '"':
		return '"';
	case '\\':
		return '\\';
	case '\b':
		return 'b';
	case '\f':
		return 'f';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	case '\t':
		return 't';
	default:
		return 0;
	}
}

/*
 * The length of s[0..len) as a JSON string, quotes included, as yajl's
 * generator writes it (no escaped '/', \u00XX in upper case, UTF-8 as
 * is); 0 when s is not valid UTF-8 (its JSON is {"$base64":...}).
 */
static size_t
convert_json_str_len(const unsigned char *s, size_t len)
{
	size_t i = 0, n = len + 2;
	int high = 0;

	while ((i += convert_json_plain_run(s + i, len - i)) < len) {
		if (s[i] >= 0x80)
			high = 1;
		else
			n += convert_json_short_escape(s[i]) != 0 ? 1 : 5;
		i++;
	}
	if (high && !util_utf8_valid((const char *)s, len))
		return 0;
	return n;
}

/* Writes s[0..len) as a JSON string of n bytes (convert_json_str_len). */
static void
convert_json_str_put(char *d, const unsigned char *s, size_t len, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0, run;
	char e;

	*d++ = '"';
	if (n == len + 2) { /* nothing to escape */
		memcpy(d, s, len);
		d[len] = '"';
		return;
	}
	for (;;) {
		run = convert_json_plain_run(s + i, len - i);
		memcpy(d, s + i, run);
		d += run;
		if ((i += run) == len)
			break;
		if (s[i] >= 0x80) {
			*d++ = (char)s[i++];
			continue;
		}
		*d++ = '\\';
		if ((e = convert_json_short_escape(s[i])) != 0) {
			*d++ = e;
		} else {
			memcpy(d, "u00", 3);
			d[3] = hex[s[i] >> 4];
			d[4] = hex[s[i] & 15];
			d += 5;
		}
		i++;
	}
	*d = '"';
}

/* Writes v in decimal, '-' first if neg, into buf; returns its length. */
static size_t
convert_json_u64(char *buf, int neg, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	size_t n;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (neg)
		*--p = '-';
	n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(buf, p, n);
	return n;
}

/*
 * Measures the JSON text of o when it is one of the scalars most replies
 * are: nil, a boolean, an integer, or a str, bin or status ext holding
 * valid UTF-8 (a string).  Returns 1 with t set, or 0 for anything else
 * (a float, another ext, bytes that are not UTF-8, a container), which
 * the generator writes.
 */
int
convert_json_measure(struct convert_json_text *t, const msgpack_object *o)
{
	const char *p;
	size_t len;

	t->quoted = 0;
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		t->s = "null";
		t->len = 4;
		return 1;
	case MSGPACK_OBJECT_BOOLEAN:
		t->s = o->via.boolean ? "true" : "false";
		t->len = o->via.boolean ? 4 : 5;
		return 1;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		t->len = o->type == MSGPACK_OBJECT_POSITIVE_INTEGER
		    ? convert_json_u64(t->num, 0, o->via.u64)
		    : convert_json_u64(t->num, 1, (uint64_t)0 - o->via.u64);
		t->s = t->num;
		return 1;
	case MSGPACK_OBJECT_STR:
	case MSGPACK_OBJECT_BIN:
	case MSGPACK_OBJECT_EXT:
		break;
	default:
		return 0;
	}
	if (o->type == MSGPACK_OBJECT_EXT) {
		if (o->via.ext.type != DUET_EXT_STATUS)
			return 0;
		p = o->via.ext.ptr;
		len = o->via.ext.size;
	} else {
		p = duet_obj_bytes(o, &len);
	}
	if (len == 0) /* ptr may be NULL */
		p = "";
	if ((t->len = convert_json_str_len((const unsigned char *)p, len)) == 0)
		return 0;
	t->s = p;
	t->slen = len;
	t->quoted = 1;
	return 1;
}

/*
 * Appends the text t measured (convert_json_measure) to out: a short one
 * with one evbuffer_add, a long one into a reservation.  Returns 0, or
 * -1 out of memory.
 */
int
convert_json_add(struct evbuffer *out, const struct convert_json_text *t)
{
	struct evbuffer_iovec v;
	char small[256];

	if (!t->quoted)
		return evbuffer_add(out, t->s, t->len);
	if (t->len <= sizeof(small)) {
		convert_json_str_put(
		    small, (const unsigned char *)t->s, t->slen, t->len);
		return evbuffer_add(out, small, t->len);
	}
	if (evbuffer_reserve_space(out, (ev_ssize_t)t->len, &v, 1) != 1)
		return -1;
	convert_json_str_put(
	    v.iov_base, (const unsigned char *)t->s, t->slen, t->len);
	v.iov_len = t->len;
	return evbuffer_commit_space(out, &v, 1);
}

/*
 * Appends the JSON text of the scalars most replies are (see
 * convert_json_measure) without setting up a generator.  Returns 1 if o
 * was one of them and its text is at most max bytes.
 */
static int
convert_json_scalar(struct evbuffer *out, const msgpack_object *o, size_t max)
{
	struct convert_json_text t;

	return convert_json_measure(&t, o) && t.len <= max &&
	    convert_json_add(out, &t) == 0;
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
	/* An empty out is written into directly (and emptied on failure). */
	if ((cg.buf = evbuffer_get_length(out) == 0 ? out : evbuffer_new()) ==
	        NULL ||
	    (cg.g = yajl_gen_alloc(NULL)) == NULL) {
		util_err_set(err, "ERR", "out of memory");
		goto done;
	}
	yajl_gen_config(cg.g, yajl_gen_print_callback, convert_gen_print, &cg);
	if (convert_gen_value(&cg, o, err) == -1)
		goto done;
	if (cg.buf != out && evbuffer_add_buffer(out, cg.buf) == -1) {
		util_err_set(err, "ERR", "out of memory");
		goto done;
	}
	rc = 0;
done:
	if (cg.g != NULL)
		yajl_gen_free(cg.g);
	if (cg.buf == out && rc == -1)
		evbuffer_drain(out, evbuffer_get_length(out));
	else if (cg.buf != NULL && cg.buf != out)
		evbuffer_free(cg.buf);
	return rc;
}
