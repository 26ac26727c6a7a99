/* SPDX-License-Identifier: MIT */
/*
 * resp3 - the reader of RESP3 (and RESP2) replies that the dialling end
 * of a link needs (SPEC 11).  resp3_read() looks at one contiguous block
 * and keeps no state between calls: it first measures the reply (checks
 * every byte of it and finds its end, or finds that it has not all
 * arrived), and only then, when the caller wants the value, walks the
 * same bytes again packing it, so that a reply cut anywhere packs
 * nothing.  Nothing is allocated: a length or a count is only a promise
 * until its bytes are there, and is refused at once when it is over a
 * limit or could not fit in max_bytes.  Aggregates recurse, at most
 * max_depth deep.  resp3_read_call() reads a link's call push, the
 * frame of every call a hub sends, in one pass with no packing, and
 * leaves every other shape to resp3_read().  L0: no sockets, no
 * evbuffers, no daemon state; the caller keeps the bytes and calls again
 * when more arrive.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "resp3.h"

#define RESP3_DEFAULT_DEPTH    32
#define RESP3_DEFAULT_BYTES    ((size_t)512 << 20)
#define RESP3_DEFAULT_ELEMENTS ((size_t)1 << 20)
/* The longest length, count or integer: "-9223372036854775808". */
#define RESP3_NUM_MAX 20
/* The longest double accepted (%.17g writes at most 24 characters). */
#define RESP3_DOUBLE_MAX 127
/* The fewest bytes a value takes on the wire ("_\r\n"). */
#define RESP3_VALUE_MIN 3

/* What one step of the reader found. */
enum resp3_step {
	RESP3_STEP_DONE,  /* the value is whole; pos is past it */
	RESP3_STEP_MORE,  /* the bytes end before it does */
	RESP3_STEP_ERROR, /* malformed or over a limit: err says why */
};

/* One call's reading state.  The bytes are borrowed from the caller. */
struct resp3_reader {
	const char *p;       /* the reply's first byte */
	size_t len;          /* bytes at hand */
	size_t pos;          /* the next byte to read */
	size_t max_bytes;    /* the reply may not reach past this */
	size_t max_depth;    /* aggregates nest at most this deep */
	size_t max_elements; /* of one aggregate (a map's pairs count 2) */
	char *err;           /* the caller's, errlen bytes */
	size_t errlen;
};

/*
 * Writes the reason into the caller's err and returns RESP3_STEP_ERROR.
 */
static enum resp3_step resp3_fail(struct resp3_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum resp3_step
resp3_fail(struct resp3_reader *r, const char *fmt, ...)
{
	va_list ap;

	if (r->err != NULL && r->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(r->err, r->errlen, fmt, ap);
		va_end(ap);
	}
	return RESP3_STEP_ERROR;
}

/*
 * Whether the n bytes from pos are at hand: DONE if so; MORE if they may
 * still come; ERROR ("too large") if they would end past max_bytes.
 */
static enum resp3_step
resp3_need(struct resp3_reader *r, size_t n)
{
	if (r->pos > r->max_bytes || n > r->max_bytes - r->pos)
		return resp3_fail(r, "too large");
	if (n > r->len - r->pos)
		return RESP3_STEP_MORE;
	return RESP3_STEP_DONE;
}

/*
 * Reads the line at pos up to its CRLF: *s and *n are its text (without
 * the CRLF) and pos moves past it.  A text longer than maxline is an
 * error with the reason `what`, known as soon as its bytes are there; a
 * lone CR or LF is "missing CRLF".
 */
static enum resp3_step
resp3_line(struct resp3_reader *r, size_t maxline, const char *what,
    const char **s, size_t *n)
{
	size_t i;

	for (i = r->pos; i < r->len; i++) {
		if (r->p[i] == '\r' || r->p[i] == '\n')
			break;
		if (i - r->pos >= maxline)
			return resp3_fail(r, "%s", what);
	}
	if (i > r->max_bytes || r->max_bytes - i < 2)
		return resp3_fail(r, "too large");
	if (i == r->len)
		return RESP3_STEP_MORE;
	if (r->p[i] == '\n')
		return resp3_fail(r, "missing CRLF");
	if (i + 1 == r->len)
		return RESP3_STEP_MORE;
	if (r->p[i + 1] != '\n')
		return resp3_fail(r, "missing CRLF");
	*s = r->p + r->pos;
	*n = i - r->pos;
	r->pos = i + 2;
	return RESP3_STEP_DONE;
}

/*
 * Parses s[0..n) as Redis's string2ll does (resp.c's rule): an optional
 * '-', no leading zero but in "0" itself, digits only, within int64.
 * Returns 0 on success, -1 otherwise.
 */
static int
resp3_strtoll(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (n == 1 && s[0] == '0') {
		*out = 0;
		return 0;
	}
	if (n > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == n || s[i] < '1' || s[i] > '9')
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (lim - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (!neg)
		*out = (int64_t)v;
	else if (v == (uint64_t)INT64_MAX + 1)
		*out = INT64_MIN;
	else
		*out = -(int64_t)v;
	return 0;
}

/*
 * Reads a length or count line: decimal without sign, or "-1" when
 * nullable (*v is then -1).
 */
static enum resp3_step
resp3_length(struct resp3_reader *r, int nullable, int64_t *v)
{
	enum resp3_step st;
	const char *s;
	size_t n;

	if ((st = resp3_line(r, RESP3_NUM_MAX, "bad length", &s, &n)) !=
	    RESP3_STEP_DONE)
		return st;
	if (resp3_strtoll(s, n, v) == -1 || (*v < 0 && !(nullable && *v == -1)))
		return resp3_fail(r, "bad length");
	return RESP3_STEP_DONE;
}

/*
 * Whether s[0..n) is a RESP3 double: "inf", "-inf", "nan", or
 * [+-]digits[.digits][(e|E)[+-]digits].  strtod alone would also take
 * blanks, hex, "infinity" and a bare ".5".
 */
static int
resp3_double_ok(const char *s, size_t n)
{
	size_t i = 0, d;

	if ((n == 3 && memcmp(s, "inf", 3) == 0) ||
	    (n == 4 && memcmp(s, "-inf", 4) == 0) ||
	    (n == 3 && memcmp(s, "nan", 3) == 0))
		return 1;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == d)
		return 0;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/*
 * Whether s[0..n) is a big number: an optional '-', then digits.
 */
static int
resp3_bignum_ok(const char *s, size_t n)
{
	size_t i = n > 0 && s[0] == '-' ? 1 : 0;

	if (i == n)
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* A one-line value's type: how long its text may be, and what is wrong. */
struct resp3_line_type {
	char type;
	enum resp3_kind kind;
	size_t maxline;
	const char *bad; /* the reason when the text is not one */
};

static const struct resp3_line_type resp3_line_types[] = {
    {'+', RESP3_SIMPLE, SIZE_MAX, ""},
    {'-', RESP3_ERROR, SIZE_MAX, ""},
    {':', RESP3_INT, RESP3_NUM_MAX, "bad integer"},
    {',', RESP3_DOUBLE, RESP3_DOUBLE_MAX, "bad double"},
    {'#', RESP3_BOOL, 1, "bad boolean"},
    {'(', RESP3_BIGNUM, SIZE_MAX, "bad big number"},
    {'_', RESP3_NULL, 0, "bad null"},
};

/*
 * The line type of a type byte, or NULL.
 */
static const struct resp3_line_type *
resp3_line_type(unsigned char type)
{
	size_t i;

	for (i = 0; i < sizeof(resp3_line_types) / sizeof(*resp3_line_types);
	     i++)
		if ((unsigned char)resp3_line_types[i].type == type)
			return &resp3_line_types[i];
	return NULL;
}

/*
 * Whether s[0..n) is a valid text for the type byte; *v is an integer's.
 */
static int
resp3_line_ok(char type, const char *s, size_t n, int64_t *v)
{
	switch (type) {
	case ':':
		return resp3_strtoll(s, n, v) == 0;
	case ',':
		return resp3_double_ok(s, n);
	case '#':
		return n == 1 && (*s == 't' || *s == 'f');
	case '(':
		return resp3_bignum_ok(s, n);
	}
	return 1; /* + - and _, whose line lengths were checked */
}

/*
 * Packs a valid one-line value.  Returns msgpack's 0 or -1.
 */
static int
resp3_pack_line(
    msgpack_packer *pk, char type, const char *s, size_t n, int64_t v)
{
	char buf[RESP3_DOUBLE_MAX + 1];

	switch (type) {
	case ':':
		return msgpack_pack_int64(pk, v);
	case ',':
		memcpy(buf, s, n);
		buf[n] = '\0';
		return msgpack_pack_double(pk, strtod(buf, NULL));
	case '#':
		return *s == 't' ? msgpack_pack_true(pk)
		                 : msgpack_pack_false(pk);
	case '_':
		return msgpack_pack_nil(pk);
	}
	return msgpack_pack_str_with_body(pk, s, n); /* + - ( */
}

/*
 * Reads the rest of a one-line value (after its type byte) and packs it.
 */
static enum resp3_step
resp3_simple(
    struct resp3_reader *r, const struct resp3_line_type *t, msgpack_packer *pk)
{
	enum resp3_step st;
	const char *s;
	int64_t v = 0;
	size_t n;

	if ((st = resp3_line(r, t->maxline, t->bad, &s, &n)) != RESP3_STEP_DONE)
		return st;
	if (!resp3_line_ok(t->type, s, n, &v))
		return resp3_fail(r, "%s", t->bad);
	if (pk != NULL && resp3_pack_line(pk, t->type, s, n, v) != 0)
		return resp3_fail(r, "cannot pack the reply");
	return RESP3_STEP_DONE;
}

/*
 * Reads the rest of a blob ($ = !: a length, the bytes, CRLF) and packs
 * it as bin (nil for RESP2's $-1).  A verbatim string's "txt:" is
 * checked and left out.
 */
static enum resp3_step
resp3_blob(struct resp3_reader *r, char type, msgpack_packer *pk,
    enum resp3_kind *kind)
{
	enum resp3_step st;
	const char *s;
	size_t skip;
	int64_t v;
	int rv;

	if ((st = resp3_length(r, type == '$', &v)) != RESP3_STEP_DONE)
		return st;
	if (v == -1) {
		*kind = RESP3_NULL;
		if (pk != NULL && msgpack_pack_nil(pk) != 0)
			return resp3_fail(r, "cannot pack the reply");
		return RESP3_STEP_DONE;
	}
	if (type == '=' && v < 4)
		return resp3_fail(r, "bad length");
	if ((uint64_t)v > SIZE_MAX - 2)
		return resp3_fail(r, "too large");
	if ((st = resp3_need(r, (size_t)v + 2)) == RESP3_STEP_ERROR)
		return st;
	/* A wrong byte after the payload is known before the CRLF is. */
	if (r->len - r->pos > (size_t)v && r->p[r->pos + v] != '\r')
		return resp3_fail(r, "missing CRLF");
	if (st == RESP3_STEP_MORE)
		return st;
	s = r->p + r->pos;
	if (s[v + 1] != '\n')
		return resp3_fail(r, "missing CRLF");
	if (type == '=' && s[3] != ':')
		return resp3_fail(r, "bad verbatim string");
	skip = type == '=' ? 4 : 0;
	r->pos += (size_t)v + 2;
	*kind = type == '!' ? RESP3_ERROR : RESP3_BULK;
	if (pk == NULL)
		return RESP3_STEP_DONE;
	rv = msgpack_pack_bin_with_body(pk, s + skip, (size_t)v - skip);
	return rv == 0 ? RESP3_STEP_DONE
	               : resp3_fail(r, "cannot pack the reply");
}

static enum resp3_step resp3_value(struct resp3_reader *r, size_t depth,
    msgpack_packer *pk, enum resp3_kind *kind);

/*
 * Reads an aggregate's count (after its type byte) and checks it: -1
 * only for RESP2's *-1 (*n is then -1), within max_elements, and not
 * more elements than the bytes left under max_bytes could hold.
 */
static enum resp3_step
resp3_count(struct resp3_reader *r, char type, int64_t *n)
{
	enum resp3_step st;
	uint64_t elements;

	if ((st = resp3_length(r, type == '*', n)) != RESP3_STEP_DONE)
		return st;
	if (*n == -1)
		return RESP3_STEP_DONE;
	elements = (uint64_t)*n;
	if (type == '%' || type == '|') {
		if (elements > UINT64_MAX / 2)
			return resp3_fail(r, "too many elements");
		elements *= 2;
	}
	if (elements > r->max_elements || (uint64_t)*n > UINT32_MAX)
		return resp3_fail(r, "too many elements");
	if (elements > (r->max_bytes - r->pos) / RESP3_VALUE_MIN)
		return resp3_fail(r, "too large");
	return RESP3_STEP_DONE;
}

/*
 * Reads the rest of an aggregate (* ~ > % |) at depth and its elements
 * one level deeper, packed as an array or a map; an attribute (|) packs
 * nothing.
 */
static enum resp3_step
resp3_aggregate(struct resp3_reader *r, char type, size_t depth,
    msgpack_packer *pk, enum resp3_kind *kind)
{
	enum resp3_kind inner;
	enum resp3_step st;
	uint64_t i, elements;
	int64_t n;
	int rv = 0;

	if (type == '>' && depth > 0)
		return resp3_fail(r, "push inside an aggregate");
	if (depth >= r->max_depth)
		return resp3_fail(r, "too deep");
	if ((st = resp3_count(r, type, &n)) != RESP3_STEP_DONE)
		return st;
	*kind = type == '>' ? RESP3_PUSH
	    : type == '%'   ? RESP3_MAP
	    : n == -1       ? RESP3_NULL
	                    : RESP3_ARRAY;
	if (type == '|')
		pk = NULL;
	if (pk != NULL && n == -1)
		rv = msgpack_pack_nil(pk);
	else if (pk != NULL && type == '%')
		rv = msgpack_pack_map(pk, (size_t)n);
	else if (pk != NULL)
		rv = msgpack_pack_array(pk, (size_t)n);
	if (rv != 0)
		return resp3_fail(r, "cannot pack the reply");
	elements = n == -1 ? 0 : (uint64_t)n;
	if (type == '%' || type == '|')
		elements *= 2;
	for (i = 0; i < elements; i++)
		if ((st = resp3_value(r, depth + 1, pk, &inner)) !=
		    RESP3_STEP_DONE)
			return st;
	return RESP3_STEP_DONE;
}

/*
 * Reads the value at pos, depth aggregates deep, after any attributes,
 * packing it into pk unless NULL; *kind is its type.
 */
static enum resp3_step
resp3_value(struct resp3_reader *r, size_t depth, msgpack_packer *pk,
    enum resp3_kind *kind)
{
	const struct resp3_line_type *t;
	enum resp3_step st;
	unsigned char type;

	for (;;) {
		if ((st = resp3_need(r, 1)) != RESP3_STEP_DONE)
			return st;
		type = (unsigned char)r->p[r->pos++];
		if (type != '|')
			break;
		st = resp3_aggregate(r, (char)type, depth, NULL, kind);
		if (st != RESP3_STEP_DONE)
			return st;
	}
	if ((t = resp3_line_type(type)) != NULL) {
		*kind = t->kind;
		return resp3_simple(r, t, pk);
	}
	switch (type) {
	case '$':
	case '=':
	case '!':
		return resp3_blob(r, (char)type, pk, kind);
	case '*':
	case '~':
	case '>':
	case '%':
		return resp3_aggregate(r, (char)type, depth, pk, kind);
	}
	if (type >= 0x20 && type < 0x7f && type != '\'' && type != '\\')
		return resp3_fail(r, "unknown type byte '%c'", type);
	return resp3_fail(r, "unknown type byte '\\x%02x'", type);
}

/*
 * Reads the one reply that starts at p[0..len): see resp3.h.  Measures
 * it first; packs it, walking the same bytes again, only once it is
 * whole and valid.  Thread-safe: no state outside the arguments.
 */
ssize_t
resp3_read(const char *p, size_t len, const struct resp3_limits *lim,
    enum resp3_kind *kind, msgpack_packer *pk, char *err, size_t errlen)
{
	struct resp3_reader r = {p, len, 0, RESP3_DEFAULT_BYTES,
	    RESP3_DEFAULT_DEPTH, RESP3_DEFAULT_ELEMENTS, err, errlen};
	enum resp3_kind k = RESP3_NULL;
	enum resp3_step st;
	size_t end;

	if (lim != NULL && lim->max_bytes > 0)
		r.max_bytes = lim->max_bytes;
	if (lim != NULL && lim->max_depth > 0)
		r.max_depth = lim->max_depth;
	if (lim != NULL && lim->max_elements > 0)
		r.max_elements = lim->max_elements;
	if (r.max_bytes > SSIZE_MAX)
		r.max_bytes = SSIZE_MAX;
	st = resp3_value(&r, 0, NULL, &k);
	if (st == RESP3_STEP_MORE)
		return 0;
	if (st == RESP3_STEP_ERROR)
		return -1;
	end = r.pos;
	if (pk != NULL) {
		r.pos = 0;
		if (resp3_value(&r, 0, pk, &k) != RESP3_STEP_DONE)
			return -1;
		if (r.pos != end) {
			resp3_fail(&r, "packed a different length");
			return -1;
		}
	}
	if (kind != NULL)
		*kind = k;
	return (ssize_t)end;
}

/* What every call push starts with, up to its id (SPEC 11). */
#define RESP3_CALL_HEAD ">4\r\n$4\r\ncall\r\n:"

/*
 * Reads the number at p[*pos..len) and its CRLF, in the decimal that
 * resp3_strtoll() takes without a sign (no leading zero but in "0"): at
 * most digits digits (which cannot overflow: 19 at most) and at most
 * max.  DONE with *v and *pos past the CRLF; MORE when the bytes end
 * before it does; ERROR when it is anything else.
 */
static enum resp3_step
resp3_call_number(const char *p, size_t len, size_t *pos, size_t digits,
    uint64_t max, uint64_t *v)
{
	size_t i = *pos, end = len - i > digits ? i + digits + 1 : len;
	uint64_t n = 0;
	unsigned d;

	for (; i < end && (d = (unsigned char)p[i] - '0') <= 9; i++)
		n = n * 10 + d;
	if (i - *pos > digits || n > max || (i - *pos > 1 && p[*pos] == '0'))
		return RESP3_STEP_ERROR;
	if (i == len)
		return RESP3_STEP_MORE;
	if (i == *pos || p[i] != '\r')
		return RESP3_STEP_ERROR;
	if (i + 1 == len)
		return RESP3_STEP_MORE;
	if (p[i + 1] != '\n')
		return RESP3_STEP_ERROR;
	*v = n;
	*pos = i + 2;
	return RESP3_STEP_DONE;
}

/*
 * Reads the bulk ($) at p[*pos..len), ending at most RESP3_CALL_MAX bytes
 * from p: DONE with its bytes in *s and *n, *pos past them; MORE; ERROR.
 */
static enum resp3_step
resp3_call_bulk(
    const char *p, size_t len, size_t *pos, const char **s, size_t *n)
{
	enum resp3_step st;
	size_t i = *pos;
	uint64_t v;

	if (i == len)
		return RESP3_STEP_MORE;
	if (p[i++] != '$')
		return RESP3_STEP_ERROR;
	if ((st = resp3_call_number(p, len, &i, 9, RESP3_CALL_MAX, &v)) !=
	    RESP3_STEP_DONE)
		return st;
	if (i > RESP3_CALL_MAX || v + 2 > RESP3_CALL_MAX - i)
		return RESP3_STEP_ERROR;
	if (len - i > v && p[i + v] != '\r')
		return RESP3_STEP_ERROR;
	if (len - i < v + 2)
		return RESP3_STEP_MORE;
	if (p[i + v + 1] != '\n')
		return RESP3_STEP_ERROR;
	*s = p + i;
	*n = (size_t)v;
	*pos = i + (size_t)v + 2;
	return RESP3_STEP_DONE;
}

/*
 * Reads a call push in one pass: see resp3.h.  The shape is checked byte
 * by byte as it arrives, so a frame cut anywhere is "more", and anything
 * that resp3_read() would read differently, or refuse, is left to it.
 */
ssize_t
resp3_read_call(const char *p, size_t len, struct resp3_call *call)
{
	size_t head = sizeof(RESP3_CALL_HEAD) - 1, pos = head;
	enum resp3_step st;
	uint64_t id;

	if (len < head) {
		if (len > 0 && memcmp(p, RESP3_CALL_HEAD, len) != 0)
			return -1;
		return 0;
	}
	if (memcmp(p, RESP3_CALL_HEAD, head) != 0)
		return -1;
	if ((st = resp3_call_number(p, len, &pos, 19, INT64_MAX, &id)) !=
	        RESP3_STEP_DONE ||
	    (st = resp3_call_bulk(p, len, &pos, &call->name, &call->namelen)) !=
	        RESP3_STEP_DONE ||
	    (st = resp3_call_bulk(p, len, &pos, &call->args, &call->arglen)) !=
	        RESP3_STEP_DONE)
		return st == RESP3_STEP_MORE ? 0 : -1;
	call->id = id;
	return (ssize_t)pos;
}
