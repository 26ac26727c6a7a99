/* SPDX-License-Identifier: MIT */
/*
 * resp - RESP framing.  The parser reads requests in place from the
 * connection's input evbuffer and follows Redis's processMultibulkBuffer and
 * processInlineBuffer rule for rule: the same line terminators, the same
 * number syntax, the same protocol error texts, the same silently ignored
 * empty requests.  Its state lives in struct resp_parser, so bytes already
 * scanned are never scanned again when more arrive, and every limit is
 * decided from a header before the bytes it announces are buffered.  A
 * whole multibulk request is made contiguous with one evbuffer_pullup() and
 * argv points into it; inline words are unescaped into the parser's own
 * buffer (resp_inline.c).
 *
 * A multibulk request that spans reads is reported once its name has
 * arrived (RESP_NAME), before the parser waits for the rest or refuses a
 * later header for its size: the caller decides from the name whether the
 * request may go on.  If not, resp_skip_request() drops what was read of
 * it and the parser drains the rest as it arrives, tracking the announced
 * lengths and keeping no byte, outside max_request_bytes (a refusal by
 * identity comes before size).  Redis 7's caps for unauthenticated
 * clients (CVE-2021-32675) apply to every header, skipped or not, and
 * come before every other limit.  L0.  Writing replies is resp_reply.c's;
 * commands, auth and conversion are left to others.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "resp.h"
#include "resp_int.h"
#include "util.h"

/* Redis's string2ll refuses 21 characters and more. */
#define RESP_NUM_MAX 20
/* Redis 7's limits before authentication (networking.c). */
#define RESP_UNAUTH_ARGS 10
#define RESP_UNAUTH_BULK 16384

/*
 * Parses s[0..len) exactly as Redis's string2ll: an optional '-', then no
 * leading zero (except "0" itself), digits only, within int64.  Returns 0 on
 * success, -1 otherwise.
 */
static int
resp_strtoll(const char *s, size_t len, int64_t *out)
{
	uint64_t v, lim;
	size_t i = 0;
	int neg = 0;

	if (len == 0 || len > RESP_NUM_MAX)
		return -1;
	if (len == 1 && s[0] == '0') {
		*out = 0;
		return 0;
	}
	if (s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == len || s[i] < '1' || s[i] > '9')
		return -1;
	if (len - i <= 18) {
		/* Fits in int64 whatever the digits: no overflow checks. */
		for (v = 0; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			v = v * 10 + (uint64_t)(s[i] - '0');
		}
		*out = neg ? -(int64_t)v : (int64_t)v;
		return 0;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (v = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (lim - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

/*
 * Forgets the current request but keeps the argv/argoff/inline_buf
 * capacity for the next one.
 */
static void
resp_reset(struct resp_parser *p)
{
	p->state = RESP_ST_START;
	p->pos = 0;
	p->line = 0;
	p->reqbytes = 0;
	p->multibulklen = 0;
	p->bulklen = -1;
	p->argc = 0;
	p->reqlen = 0;
	p->named = 0;
	p->skipping = 0;
}

/*
 * Initializes an embedded parser; nothing is allocated until the first
 * request.  Pair with resp_parser_fini().
 */
void
resp_parser_init(struct resp_parser *p)
{
	memset(p, 0, sizeof(*p));
	resp_reset(p);
}

/*
 * Frees what the parser owns.  Pointers from the last request become
 * invalid.  The parser may be initialized again afterwards.
 */
void
resp_parser_fini(struct resp_parser *p)
{
	free(p->argoff);
	free(p->argv);
	free(p->inline_buf);
	memset(p, 0, sizeof(*p));
}

/*
 * The input as one contiguous block when its first chain holds all of it
 * (the usual case: conn reads up to 64 KiB into one reservation), so
 * that lines are scanned with memchr and numbers read in place; NULL
 * otherwise, and the evbuffer searches below do the work.
 */
static const char *
resp_flat(struct evbuffer *in, size_t len)
{
	struct evbuffer_iovec v;

	if (evbuffer_peek(in, -1, NULL, &v, 1) != 1 || v.iov_len < len)
		return NULL;
	return v.iov_base;
}

/*
 * Finds the '\r' that ends the line starting at p->line, scanning only from
 * p->pos.  Like Redis, the byte after '\r' must be buffered but is not
 * checked.  Returns 1 with *eol at the '\r', 0 if more bytes are needed,
 * -1 if more than RESP_INLINE_MAX bytes wait without a '\r'.
 */
static int
resp_find_cr(struct resp_parser *p, struct evbuffer *in, size_t *eol)
{
	size_t len = evbuffer_get_length(in);
	struct evbuffer_ptr ptr;
	const char *flat, *cr;

	if (p->pos < len) {
		if ((flat = resp_flat(in, len)) != NULL) {
			cr = memchr(flat + p->pos, '\r', len - p->pos);
			ptr.pos = cr != NULL ? cr - flat : -1;
		} else if (evbuffer_ptr_set(
		               in, &ptr, p->pos, EVBUFFER_PTR_SET) == 0) {
			ptr = evbuffer_search(in, "\r", 1, &ptr);
		} else {
			ptr.pos = -1;
		}
		if (ptr.pos != -1) {
			/* Stop at the '\r': the next call finds it first. */
			p->pos = (size_t)ptr.pos;
			if (p->pos + 1 >= len)
				return 0;
			*eol = p->pos;
			return 1;
		}
		p->pos = len;
	}
	if (len - p->line > RESP_INLINE_MAX)
		return -1;
	return 0;
}

/*
 * Reads the number between the line's first byte and its '\r' at eol.
 * Returns 0, or -1 if it is not a number as Redis's string2ll reads one.
 */
static int
resp_line_number(
    struct resp_parser *p, struct evbuffer *in, size_t eol, int64_t *out)
{
	char num[RESP_NUM_MAX];
	struct evbuffer_ptr ptr;
	size_t n = eol - p->line - 1;
	const char *flat;

	if (n == 0 || n > sizeof(num))
		return -1;
	if ((flat = resp_flat(in, eol)) != NULL)
		return resp_strtoll(flat + p->line + 1, n, out);
	if (evbuffer_ptr_set(in, &ptr, p->line + 1, EVBUFFER_PTR_SET) != 0 ||
	    evbuffer_copyout_from(in, &ptr, num, n) != (ev_ssize_t)n)
		return -1;
	return resp_strtoll(num, n, out);
}

/*
 * Drops a request that Redis ignores (an empty line, "*0", "*-10"): its
 * bytes end at off, and nothing points into them yet.
 */
int
resp_skip(struct resp_parser *p, struct evbuffer *in, size_t off)
{
	evbuffer_drain(in, off);
	resp_reset(p);
	return RESP_NEXT;
}

/*
 * At the first byte of a request: '*' starts a multibulk request, anything
 * else an inline one, as Redis decides.
 */
static int
resp_step_start(struct resp_parser *p, struct evbuffer *in)
{
	char c;

	if (evbuffer_copyout(in, &c, 1) != 1)
		return RESP_MORE;
	if (c == '*') {
		p->state = RESP_ST_MBULK_LEN;
		p->pos = 1;
	} else {
		p->state = RESP_ST_INLINE;
		p->pos = 0;
	}
	p->line = 0;
	return RESP_NEXT;
}

/*
 * The "*<n>" line: n is checked against INT_MAX and max_args before any
 * argument arrives; n <= 0 is ignored, as Redis does.
 */
static int
resp_step_count(struct resp_parser *p, struct evbuffer *in,
    const struct resp_limits *lim, struct duet_err *err)
{
	size_t eol;
	int64_t n;
	int rv;

	if ((rv = resp_find_cr(p, in, &eol)) == 0)
		return RESP_MORE;
	if (rv == -1) {
		util_err_set(
		    err, "ERR", "Protocol error: too big mbulk count string");
		return RESP_ERROR;
	}
	if (resp_line_number(p, in, eol, &n) == -1 || n > INT_MAX) {
		util_err_set(
		    err, "ERR", "Protocol error: invalid multibulk length");
		return RESP_ERROR;
	}
	if (lim->unauth && n > RESP_UNAUTH_ARGS) {
		util_err_set(err, "ERR",
		    "Protocol error: unauthenticated multibulk length");
		return RESP_ERROR;
	}
	if (n > 0 && (uint64_t)n > lim->max_args) {
		util_err_set(
		    err, "ERR", "Protocol error: invalid multibulk length");
		return RESP_ERROR;
	}
	if (n <= 0)
		return resp_skip(p, in, eol + 2);
	p->multibulklen = n;
	p->state = RESP_ST_MBULK_ARG;
	p->line = p->pos = eol + 2;
	return RESP_NEXT;
}

/*
 * Whether the request's name has arrived and was not reported yet: the
 * parser reports it before it waits for more or refuses a later header.
 */
static int
resp_naming(const struct resp_parser *p)
{
	return !p->named && p->argc > 0;
}

/*
 * Checks that the header line at p->line starts with '$'.  Returns 0, or
 * -1 with err set.
 */
static int
resp_header_dollar(
    const struct resp_parser *p, struct evbuffer *in, struct duet_err *err)
{
	struct evbuffer_ptr ptr;
	const char *flat;
	char c;

	if ((flat = resp_flat(in, p->line + 1)) != NULL)
		c = flat[p->line];
	else if (evbuffer_ptr_set(in, &ptr, p->line, EVBUFFER_PTR_SET) != 0 ||
	    evbuffer_copyout_from(in, &ptr, &c, 1) != 1)
		c = '\0';
	if (c == '$')
		return 0;
	/* A NUL would end the message early: show a space. */
	util_err_set(err, "ERR", "Protocol error: expected '$', got '%c'",
	    c == '\0' ? ' ' : c);
	return -1;
}

/*
 * A header of a refused request, ending at eol and announcing n bytes:
 * dropped, and its bulk skipped next.
 */
static int
resp_skip_header(
    struct resp_parser *p, struct evbuffer *in, size_t eol, int64_t n)
{
	evbuffer_drain(in, eol + 2);
	p->skipped += eol + 2;
	p->line = p->pos = 0;
	p->bulklen = n > INT64_MAX - 2 ? INT64_MAX : n + 2;
	p->state = RESP_ST_BULK;
	return RESP_NEXT;
}

/*
 * Checks a bulk of n bytes against max_request_bytes, alone and with the
 * request's others.  Returns RESP_NEXT when it fits, RESP_NAME when the
 * name must be reported before the refusal, RESP_ERROR with err set.
 */
static int
resp_check_size(struct resp_parser *p, int64_t n, const struct resp_limits *lim,
    struct duet_err *err)
{
	uint64_t max = lim->max_request_bytes;

	if ((uint64_t)n <= max && (uint64_t)n <= max - p->reqbytes)
		return RESP_NEXT;
	if (resp_naming(p))
		return RESP_NAME;
	util_err_set(err, "ERR",
	    (uint64_t)n > max ? "Protocol error: invalid bulk length"
	                      : "Protocol error: request too large");
	return RESP_ERROR;
}

/*
 * A "$<len>" header: the bulk and the whole request are checked against
 * max_request_bytes from the header alone, before the payload arrives.
 */
static int
resp_step_header(struct resp_parser *p, struct evbuffer *in,
    const struct resp_limits *lim, struct duet_err *err)
{
	size_t eol;
	int64_t n;
	int rv;

	if ((rv = resp_find_cr(p, in, &eol)) == 0)
		return RESP_MORE;
	if (rv == -1) {
		util_err_set(
		    err, "ERR", "Protocol error: too big bulk count string");
		return RESP_ERROR;
	}
	if (resp_header_dollar(p, in, err) == -1)
		return RESP_ERROR;
	if (resp_line_number(p, in, eol, &n) == -1 || n < 0) {
		util_err_set(err, "ERR", "Protocol error: invalid bulk length");
		return RESP_ERROR;
	}
	if (lim->unauth && n > RESP_UNAUTH_BULK) {
		util_err_set(
		    err, "ERR", "Protocol error: unauthenticated bulk length");
		return RESP_ERROR;
	}
	if (p->skipping)
		return resp_skip_header(p, in, eol, n);
	if ((rv = resp_check_size(p, n, lim, err)) != RESP_NEXT)
		return rv;
	if (resp_grow_args(p, err) == -1)
		return RESP_ERROR;
	p->reqbytes += (uint64_t)n;
	p->bulklen = n;
	p->pos = eol + 2;
	p->argoff[p->argc] = p->pos;
	p->argv[p->argc].ptr = NULL;
	p->argv[p->argc].len = (size_t)n;
	p->state = RESP_ST_BULK;
	return RESP_NEXT;
}

/*
 * Drains what has arrived of a skipped bulk (and its CRLF); after the
 * last one the parser is ready for the next request.
 */
static int
resp_step_skip(struct resp_parser *p, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in);
	size_t n = (uint64_t)p->bulklen < len ? (size_t)p->bulklen : len;

	evbuffer_drain(in, n);
	p->skipped += n;
	p->bulklen -= (int64_t)n;
	if (p->bulklen > 0)
		return RESP_MORE;
	if (--p->multibulklen > 0) {
		p->state = RESP_ST_MBULK_ARG;
		p->line = p->pos = 0;
		return RESP_NEXT;
	}
	resp_reset(p);
	return RESP_NEXT;
}

/*
 * A bulk payload and the two bytes after it, which Redis skips unread.
 * After the last one the request is made contiguous and argv filled.
 */
static int
resp_step_bulk(struct resp_parser *p, struct evbuffer *in, struct duet_err *err)
{
	size_t i, end = p->pos + (size_t)p->bulklen + 2;
	unsigned char *base;

	if (evbuffer_get_length(in) < end)
		return RESP_MORE;
	p->argc++;
	p->bulklen = -1;
	p->line = p->pos = end;
	if (--p->multibulklen > 0) {
		p->state = RESP_ST_MBULK_ARG;
		return RESP_NEXT;
	}
	base = evbuffer_pullup(in, (ev_ssize_t)end);
	if (base == NULL) {
		util_err_set(err, "ERR", "out of memory reading the request");
		return RESP_ERROR;
	}
	for (i = 0; i < p->argc; i++)
		p->argv[i].ptr = (const char *)base + p->argoff[i];
	p->reqlen = end;
	return RESP_DONE;
}

/*
 * Reports the name of the request being read: argv[0..argc) are made to
 * point at the arguments whole so far (what has arrived of them is made
 * contiguous).  Returns RESP_NAME, or RESP_ERROR out of memory.
 */
static int
resp_name(struct resp_parser *p, struct evbuffer *in, struct duet_err *err)
{
	size_t i, end = p->argoff[p->argc - 1] + p->argv[p->argc - 1].len;
	unsigned char *base;

	p->named = 1;
	if ((base = evbuffer_pullup(in, (ev_ssize_t)end)) == NULL) {
		util_err_set(err, "ERR", "out of memory reading the request");
		return RESP_ERROR;
	}
	for (i = 0; i < p->argc; i++)
		p->argv[i].ptr = (const char *)base + p->argoff[i];
	return RESP_NAME;
}

/*
 * Reads a header line's number in place for the fast path: s[0] is its
 * type byte, its '\r' within the next RESP_NUM_MAX + 1 bytes of the end
 * (before s + avail, with the byte after it there too).  Returns the
 * length of the line with its CRLF, or 0 when the slow path must decide.
 */
static size_t
resp_fast_line(const char *s, size_t avail, int64_t *n)
{
	size_t max =
	    avail - 1 < RESP_NUM_MAX + 2 ? avail - 1 : RESP_NUM_MAX + 2;
	const char *cr = memchr(s + 1, '\r', max - 1);

	if (cr == NULL || resp_strtoll(s + 1, (size_t)(cr - s) - 1, n) == -1)
		return 0;
	return (size_t)(cr - s) + 2;
}

/*
 * The fast path, Redis's processMultibulkBuffer over a flat buffer: a
 * multibulk request that lies whole in the input's first chain, past the
 * p->done bytes already served, within every limit, is read in place in
 * one pass (no evbuffer call but the peek).  Anything else — a partial,
 * inline or over-limit request, a protocol error — returns RESP_MORE
 * with p untouched, and the step-by-step parser below, which has the
 * exact error texts and the early RESP_NAME, reads it from the start.
 */
static int
resp_parse_fast(struct resp_parser *p, struct evbuffer *in,
    const struct resp_limits *lim, struct duet_err *err)
{
	struct evbuffer_iovec v;
	const char *base;
	size_t pos, len, avail, argc = 0;
	uint64_t bytes = 0;
	int64_t n, count;

	if (evbuffer_peek(in, -1, NULL, &v, 1) != 1 || v.iov_len <= p->done)
		return RESP_MORE;
	base = (const char *)v.iov_base + p->done;
	avail = v.iov_len - p->done;
	if (avail < 4 || base[0] != '*' ||
	    (pos = resp_fast_line(base, avail, &count)) == 0 || count <= 0 ||
	    count > INT_MAX || (uint64_t)count > lim->max_args ||
	    (lim->unauth && count > RESP_UNAUTH_ARGS))
		return RESP_MORE;
	while (argc < (size_t)count) {
		if (pos + 4 > avail || base[pos] != '$' ||
		    (len = resp_fast_line(base + pos, avail - pos, &n)) == 0 ||
		    n < 0 || (lim->unauth && n > RESP_UNAUTH_BULK) ||
		    (uint64_t)n > lim->max_request_bytes - bytes ||
		    pos + len + (uint64_t)n + 2 > avail)
			return RESP_MORE;
		p->argc = argc;
		if (resp_grow_args(p, err) == -1)
			return RESP_MORE;
		bytes += (uint64_t)n;
		pos += len;
		p->argv[argc].ptr = base + pos;
		p->argv[argc++].len = (size_t)n;
		pos += (size_t)n + 2;
	}
	p->argc = argc;
	p->reqlen = pos;
	return RESP_DONE;
}

/*
 * Parses the request at the start of in, going on from where the last call
 * stopped.  Returns RESP_DONE with p->argc/p->argv set (pointing into in or
 * into the parser, valid until resp_consume()), RESP_MORE when in ends
 * mid-request, RESP_NAME once per multibulk request that is not whole
 * when its name has arrived (argv as for RESP_DONE, but only the
 * arguments whole so far; calling again goes on), or RESP_ERROR with err
 * set ("ERR" and Redis's protocol error text) when framing is lost: the
 * caller replies and closes.  Empty
 * requests that Redis ignores are drained here.  After RESP_DONE, calling
 * again before resp_consume() returns the same request.  Runs on the
 * conn's loop; lim is read, not kept.
 */
enum resp_status
resp_parse(struct resp_parser *p, struct evbuffer *in,
    const struct resp_limits *lim, struct duet_err *err)
{
	int rv = RESP_NEXT;

	if (p->reqlen != 0)
		return RESP_DONE;
	if (p->state == RESP_ST_START && !p->skipping) {
		if (resp_parse_fast(p, in, lim, err) == RESP_DONE)
			return RESP_DONE;
		p->argc = 0;
		resp_flush(p, in);
		/* The end of a read: every request in it was served. */
		if (evbuffer_get_length(in) == 0)
			return RESP_MORE;
	}
	while (rv == RESP_NEXT) {
		switch (p->state) {
		case RESP_ST_START:
			rv = resp_step_start(p, in);
			break;
		case RESP_ST_INLINE:
			rv = resp_step_inline(p, in, lim, err);
			break;
		case RESP_ST_MBULK_LEN:
			rv = resp_step_count(p, in, lim, err);
			break;
		case RESP_ST_MBULK_ARG:
			rv = resp_step_header(p, in, lim, err);
			break;
		case RESP_ST_BULK:
			rv = p->skipping ? resp_step_skip(p, in)
			                 : resp_step_bulk(p, in, err);
			break;
		}
	}
	if (rv == RESP_NAME || (rv == RESP_MORE && resp_naming(p)))
		return resp_name(p, in, err);
	return (enum resp_status)rv;
}

/*
 * Refuses the request resp_parse() just returned RESP_NAME for: what was
 * read of it is drained now, the rest as it arrives (counted in
 * p->skipped, never buffered), then parsing goes on with the next
 * request.  argv pointers become invalid.
 */
void
resp_skip_request(struct resp_parser *p, struct evbuffer *in)
{
	size_t done = p->state == RESP_ST_BULK ? p->pos : p->line;

	evbuffer_drain(in, done);
	p->skipped += done;
	if (p->state == RESP_ST_BULK)
		p->bulklen =
		    p->bulklen > INT64_MAX - 2 ? INT64_MAX : p->bulklen + 2;
	p->pos -= done;
	p->line = 0;
	p->argc = 0;
	p->named = 1;
	p->skipping = 1;
}

/*
 * Drains the request that resp_parse() returned RESP_DONE for (p->reqlen
 * bytes) and readies the parser for the next one, keeping its buffers.
 * argv pointers become invalid.
 */
void
resp_consume(struct resp_parser *p, struct evbuffer *in)
{
	resp_next(p);
	resp_flush(p, in);
}

/*
 * Like resp_consume(), but the request's bytes stay in the input until
 * resp_flush() (or the next resp_parse() that needs the slow path):
 * a pipeline is drained once per read, not once per request.
 */
void
resp_next(struct resp_parser *p)
{
	size_t done = p->done + p->reqlen;

	resp_reset(p);
	p->done = done;
}

/*
 * Drains the requests resp_next() left in the input.
 */
void
resp_flush(struct resp_parser *p, struct evbuffer *in)
{
	if (p->done != 0)
		evbuffer_drain(in, p->done);
	p->done = 0;
}
