/* SPDX-License-Identifier: MIT */
/*
 * util - the error struct, strict number parsing, sizes and durations as
 * written in duetd.yaml, and UTF-8 validation.
 *
 * Every parser here takes the whole string or nothing: no leading or
 * trailing blanks, no '+', no partial matches, and a range check on every
 * step, so callers never need atoi() or sscanf().  Nothing here logs or
 * keeps state; all functions are safe on any thread.
 */
#include "autoconf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Longest text util_parse_double accepts (digits of a double fit easily). */
#define UTIL_DOUBLE_MAX 128

/*
 * Fills err with a code (truncated to fit) and a printf-style message
 * (truncated to fit).  A NULL err is a no-op, so callers that do not want
 * the details may pass NULL.
 */
void
util_err_set(struct duet_err *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	util_err_vset(err, code, fmt, ap);
	va_end(ap);
}

/*
 * util_err_set with a va_list.  The message is made printable UTF-8
 * (util_repr), so that it is always a JSON string and one RESP line
 * whatever bytes a client sent; the code becomes one word of printable
 * ASCII (anything else is '_').
 */
void
util_err_vset(
    struct duet_err *err, const char *code, const char *fmt, va_list ap)
{
	size_t i;

	if (err == NULL)
		return;
	snprintf(err->code, sizeof(err->code), "%s", code);
	for (i = 0; err->code[i] != '\0'; i++) {
		if ((unsigned char)err->code[i] <= ' ' ||
		    (unsigned char)err->code[i] >= 0x7f)
			err->code[i] = '_';
	}
	err->status = 0;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	util_repr(err->msg, sizeof(err->msg));
}

/*
 * Accumulates the decimal digits of s[0..len) into *out, failing on an
 * empty string, a non-digit, or a value above max.
 */
static int
util_parse_digits(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/*
 * Parses s[0..len) as a decimal int64: an optional '-', then digits and
 * nothing else.  Returns 0 with *out set, or -1 (out of range or not a
 * number) leaving *out alone.
 */
int
util_parse_int64(const char *s, size_t len, int64_t *out)
{
	uint64_t mag;

	if (len > 0 && s[0] == '-') {
		if (util_parse_digits(
		        s + 1, len - 1, (uint64_t)INT64_MAX + 1, &mag) == -1)
			return -1;
		*out =
		    mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
		return 0;
	}
	if (util_parse_digits(s, len, INT64_MAX, &mag) == -1)
		return -1;
	*out = (int64_t)mag;
	return 0;
}

/*
 * Parses s[0..len) as a decimal uint64: digits only.  Returns 0 with *out
 * set, or -1 leaving *out alone.
 */
int
util_parse_uint64(const char *s, size_t len, uint64_t *out)
{
	return util_parse_digits(s, len, UINT64_MAX, out);
}

/*
 * Parses s[0..len) as a finite double with strtod (on a NUL-terminated
 * bounded copy, so s needs no terminator).  Blanks, "nan", "inf" and
 * out-of-range values are rejected.  Returns 0 with *out set, or -1.
 */
int
util_parse_double(const char *s, size_t len, double *out)
{
	char buf[UTIL_DOUBLE_MAX + 1];
	char *end;
	double v;

	if (len == 0 || len > UTIL_DOUBLE_MAX)
		return -1;
	if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	v = strtod(buf, &end);
	if (end != buf + len || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* Splits s into its leading digits and the unit after them. */
static int
util_split_unit(const char *s, uint64_t *num, const char **unit)
{
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (util_parse_uint64(s, n, num) == -1)
		return -1;
	*unit = s + n;
	return 0;
}

/* Returns 1 if a equals b ignoring ASCII case (both NUL-terminated). */
static int
util_unit_is(const char *a, const char *b)
{
	return util_strcaseeq(a, strlen(a), b);
}

/*
 * Parses a byte size: a decimal number with an optional unit, B, k/K/KB/KiB,
 * M/MB/MiB, G/GB/GiB or T/TB/TiB (case-insensitive, all binary multiples:
 * k = 1024).  "64k", "1MiB", "1024".  Returns 0 with *out set, or -1 on a
 * malformed size or an overflow.
 */
int
util_parse_size(const char *s, uint64_t *out)
{
	static const char *const units[] = {"k", "m", "g", "t"};
	const char *unit;
	uint64_t num, mult = 1;
	size_t i;
	int shift;

	if (util_split_unit(s, &num, &unit) == -1)
		return -1;
	if (*unit != '\0' && !util_unit_is(unit, "b")) {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if ((unit[0] | 0x20) != units[i][0])
				continue;
			if (unit[1] == '\0' || util_unit_is(unit + 1, "b") ||
			    util_unit_is(unit + 1, "ib"))
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		shift = 10 * ((int)i + 1);
		mult = (uint64_t)1 << shift;
	}
	if (num > UINT64_MAX / mult)
		return -1;
	*out = num * mult;
	return 0;
}

/*
 * Parses a duration into milliseconds: a decimal number with an optional
 * unit, ms, s, m or h (lower case); a bare number is seconds.  "500ms",
 * "10s", "5m", "1h".  Returns 0 with *out_ms set, or -1 on a malformed
 * duration or an overflow.
 */
int
util_parse_duration(const char *s, uint64_t *out_ms)
{
	const char *unit;
	uint64_t num, mult;

	if (util_split_unit(s, &num, &unit) == -1)
		return -1;
	if (strcmp(unit, "ms") == 0)
		mult = 1;
	else if (*unit == '\0' || strcmp(unit, "s") == 0)
		mult = 1000;
	else if (strcmp(unit, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(unit, "h") == 0)
		mult = 60 * 60 * 1000;
	else
		return -1;
	if (num > UINT64_MAX / mult)
		return -1;
	*out_ms = num * mult;
	return 0;
}

/*
 * Returns 1 if every byte of s[0..len) is visible ASCII (0x21-0x7e), or
 * also a space when space_ok; else 0.  Eight bytes at a time: a byte
 * below lo or above 0x7e sets its high bit in one of the two tests.
 */
int
util_printable(const char *s, size_t len, int space_ok)
{
	const uint64_t ones = 0x0101010101010101ULL,
	               highs = 0x8080808080808080ULL;
	unsigned char lo = space_ok ? 0x20 : 0x21;
	uint64_t w;
	size_t i = 0;

	for (; len - i >= 8; i += 8) {
		memcpy(&w, s + i, 8);
		if ((((w - ones * lo) & ~w) | ((w + ones) | w)) & highs)
			break;
	}
	for (; i < len; i++) {
		if ((unsigned char)s[i] < lo || (unsigned char)s[i] > 0x7e)
			return 0;
	}
	return 1;
}

/*
 * The length of the well-formed UTF-8 sequence (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF) that starts a non-ASCII
 * byte at p[0] (len > 0 bytes left), or 0 if it is not one.
 */
static size_t
util_utf8_seq(const unsigned char *p, size_t len)
{
	unsigned char c = p[0];
	size_t n, k;
	uint32_t cp, min;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 1, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len - 1 < n)
		return 0;
	for (k = 1; k <= n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n + 1;
}

/*
 * The length of the ASCII run at the start of p[0..len), counted in
 * whole 8-byte words (32 bytes per step while it lasts): a word with a
 * high bit set ends it, and the caller goes on byte by byte.
 */
static size_t
util_ascii_words(const unsigned char *p, size_t len)
{
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t w[4];
	size_t i = 0;

	for (; len - i >= sizeof(w); i += sizeof(w)) {
		memcpy(w, p + i, sizeof(w));
		if (((w[0] | w[1] | w[2] | w[3]) & high) != 0)
			break;
	}
	for (; len - i >= 8; i += 8) {
		memcpy(w, p + i, 8);
		if ((w[0] & high) != 0)
			break;
	}
	return i;
}

/*
 * Returns 1 if s[0..len) is well-formed UTF-8, else 0.  NUL bytes are
 * valid code points.
 */
int
util_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] < 0x80) {
			i += util_ascii_words(p + i, len - i);
			if (i < len && p[i] < 0x80)
				i++;
			continue;
		}
		if ((n = util_utf8_seq(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/*
 * Rewrites the NUL-terminated text s (in a buffer of size bytes) so that
 * it is well-formed UTF-8, as Redis's sdscatrepr writes what it cannot
 * print: each byte that is not part of a well-formed UTF-8 sequence
 * becomes \\xHH.  Everything else is left as it is (RESP turns CR and LF
 * into spaces, JSON escapes them).  What no longer fits is cut at a whole
 * character.
 */
void
util_repr(char *s, size_t size)
{
	const unsigned char *p;
	char *tmp, esc[5];
	size_t len, i = 0, o = 0, n;

	if (size == 0)
		return;
	len = strlen(s);
	if (util_utf8_valid(s, len))
		return; /* the common case: nothing to rewrite */
	if ((tmp = strdup(s)) == NULL) {
		s[0] = '\0';
		return;
	}
	p = (const unsigned char *)tmp;
	while (i < len) {
		n = p[i] < 0x80 ? 1 : util_utf8_seq(p + i, len - i);
		if (n == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
			if (o + 4 >= size)
				break;
			memcpy(s + o, esc, 4);
			o += 4;
			i++;
			continue;
		}
		if (o + n >= size)
			break;
		memcpy(s + o, tmp + i, n);
		o += n;
		i += n;
	}
	s[o] = '\0';
	free(tmp);
}

/*
 * Copies the string src into dst (size bytes, size > 0), cut short if it
 * does not fit, always terminated: snprintf's "%s" without the format.
 */
void
util_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Returns 1 if the counted string a[0..alen) equals the NUL-terminated b,
 * ignoring ASCII case, else 0.  Reads at most alen + 1 bytes of b.
 */
int
util_strcaseeq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++) {
		unsigned char ca = (unsigned char)a[i];
		unsigned char cb = (unsigned char)b[i];

		if (cb == '\0')
			return 0;
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return 0;
	}
	return b[alen] == '\0';
}

/*
 * Copies a list of n strings.  Returns the copy (free with
 * util_strv_free), or NULL for n == 0; sets *failed when out of memory.
 */
char **
util_strv_dup(char *const *v, size_t n, int *failed)
{
	char **copy;
	size_t i;

	if (n == 0)
		return NULL;
	if ((copy = calloc(n, sizeof(*copy))) == NULL) {
		*failed = 1;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if ((copy[i] = strdup(v[i])) == NULL)
			*failed = 1;
	}
	return copy;
}

/*
 * Frees a list made by util_strv_dup.  NULL is a no-op.
 */
void
util_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Whether the glob element at pat[*p] matches byte c; on a match, *p
 * moves past the element.  '*' is the caller's.
 */
static int
util_glob_one(const char *pat, size_t plen, size_t *p, unsigned char c)
{
	size_t q = *p;
	int neg = 0, hit = 0;
	unsigned char lo, hi;

	if (pat[q] == '?') {
		*p = q + 1;
		return 1;
	}
	if (pat[q] == '\\' && q + 1 < plen) {
		if ((unsigned char)pat[q + 1] != c)
			return 0;
		*p = q + 2;
		return 1;
	}
	if (pat[q] != '[') {
		if ((unsigned char)pat[q] != c)
			return 0;
		*p = q + 1;
		return 1;
	}
	if (++q < plen && pat[q] == '^') {
		neg = 1;
		q++;
	}
	for (; q < plen && pat[q] != ']'; q++) {
		if (pat[q] == '\\' && q + 1 < plen)
			q++;
		lo = hi = (unsigned char)pat[q];
		if (q + 2 < plen && pat[q + 1] == '-' && pat[q + 2] != ']') {
			hi = (unsigned char)pat[q + 2];
			q += 2;
			if (lo > hi) {
				unsigned char t = lo;
				lo = hi;
				hi = t;
			}
		}
		if (c >= lo && c <= hi)
			hit = 1;
	}
	/* An unclosed set runs to the pattern's end, as in Redis. */
	*p = q < plen ? q + 1 : q;
	return hit != neg;
}

#define UTIL_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void
util_sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = UTIL_ROTL(v[1], 13) ^ v[0];
	v[0] = UTIL_ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = UTIL_ROTL(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = UTIL_ROTL(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = UTIL_ROTL(v[1], 17) ^ v[2];
	v[2] = UTIL_ROTL(v[2], 32);
}

/*
 * SipHash-1-3 of len bytes at p under key: a hash an attacker who does
 * not know the key cannot aim collisions at (tables keyed by names a
 * client chooses).
 */
uint64_t
util_hash(const uint64_t key[2], const char *p, size_t len)
{
	uint64_t v[4] = {0x736f6d6570736575ULL ^ key[0],
	    0x646f72616e646f6dULL ^ key[1], 0x6c7967656e657261ULL ^ key[0],
	    0x7465646279746573ULL ^ key[1]};
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, tail = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8); /* little-endian hosts (x86, arm64) */
		v[3] ^= m;
		util_sipround(v);
		v[0] ^= m;
	}
	for (m = 0; tail > 0; tail--)
		m |= (uint64_t)(unsigned char)p[i + tail - 1] << (8 * (tail - 1));
	b |= m;
	v[3] ^= b;
	util_sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	util_sipround(v);
	util_sipround(v);
	util_sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/*
 * Whether s (slen bytes, any bytes) matches the glob pat (plen bytes),
 * with Redis's rules for channel patterns: '*' any run, '?' one byte,
 * "[abc]", "[^a-z]" a set (ranges either way round), '\\' quotes the next
 * byte.  Iterative, remembering the last '*' only: linear in practice,
 * never recursive whatever the pattern.
 */
int
util_glob_match(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t p = 0, i = 0, star_p = SIZE_MAX, star_i = 0;

	while (i < slen) {
		if (p < plen && pat[p] == '*') {
			star_p = ++p;
			star_i = i;
			continue;
		}
		if (p < plen && util_glob_one(pat, plen, &p, (unsigned char)s[i])) {
			i++;
			continue;
		}
		if (star_p == SIZE_MAX)
			return 0;
		p = star_p;
		i = ++star_i;
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}
