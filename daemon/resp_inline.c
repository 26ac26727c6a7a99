/* SPDX-License-Identifier: MIT */
/*
 * resp_inline - RESP inline requests (L0): a line up to '\n' that does
 * not start with '*', split into words as Redis's processInlineBuffer
 * and sdssplitargs split it: blanks between words, "double quotes" with
 * their backslash escapes and \xHH, 'single quotes' with only \', a
 * closing quote that must end its word, the same error texts.  The line
 * is copied out of the input into the parser's inline_buf and unescaped
 * there in place, so argv points into the parser, not the input.
 * resp.c's step-by-step parser calls resp_step_inline() in state
 * RESP_ST_INLINE; the multibulk framing and the fast path are resp.c's.
 */
#include <ctype.h>
#include <stdlib.h>

#include <event2/buffer.h>

#include "resp.h"
#include "resp_int.h"
#include "util.h"

/* The value of a hex digit, or -1; Redis's is_hex_digit() set. */
static int
resp_hexval(int c)
{
	if (!isxdigit(c))
		return -1;
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/*
 * The state of splitting one inline line in place: w never passes r, so
 * unescaped bytes overwrite only bytes already read.  Like Redis's C
 * string, the line ends at its length or at a NUL byte.  Blanks are those
 * of isspace() in the C locale, as in sdssplitargs.
 */
struct resp_split {
	char *buf;
	size_t n, r, w;
};

static int
resp_at(const struct resp_split *s, size_t i)
{
	return i < s->n ? (unsigned char)s->buf[i] : 0;
}

/* The byte a backslash escape inside "double quotes" stands for. */
static char
resp_unescape(int c)
{
	switch (c) {
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'b':
		return '\b';
	case 'a':
		return '\a';
	default:
		return (char)c;
	}
}

/*
 * One byte inside quotes q, '"' or '\'': in double quotes \xHH and the
 * escapes of resp_unescape(), in single quotes only \'.  A closing quote
 * must be followed by a space or the end.  Returns 1 at the closing quote,
 * 0 to go on, -1 if unbalanced.
 */
static int
resp_split_quoted(struct resp_split *s, int q)
{
	int c = resp_at(s, s->r), next = resp_at(s, s->r + 1), h = -1, l = -1;

	if (q == '"' && c == '\\' && next == 'x') {
		h = resp_hexval(resp_at(s, s->r + 2));
		l = resp_hexval(resp_at(s, s->r + 3));
	}
	if (h != -1 && l != -1) {
		s->buf[s->w++] = (char)(h * 16 + l);
		s->r += 3;
	} else if (c == '\\' && (q == '"' ? next != 0 : next == '\'')) {
		s->r++;
		s->buf[s->w++] = resp_unescape(next);
	} else if (c == q) {
		return next != 0 && !isspace(next) ? -1 : 1;
	} else if (c == 0) {
		return -1;
	} else {
		s->buf[s->w++] = (char)c;
	}
	return 0;
}

/*
 * Reads one word at s->r, as sdssplitargs does: a quote may open anywhere
 * in it, and a closing quote ends it.  Returns 0, or -1 if unbalanced.
 */
static int
resp_split_word(struct resp_split *s)
{
	int quote = 0, done = 0, c;

	while (!done) {
		c = resp_at(s, s->r);
		if (quote != 0)
			done = resp_split_quoted(s, quote);
		else if (c == ' ' || c == '\n' || c == '\r' || c == '\t' ||
		    c == 0)
			done = 1;
		else if (c == '"' || c == '\'')
			quote = c;
		else
			s->buf[s->w++] = (char)c;
		if (done == -1)
			return -1;
		if (resp_at(s, s->r) != 0)
			s->r++;
	}
	return 0;
}

/*
 * Splits the line in p->inline_buf into argv.  Returns RESP_NEXT, or
 * RESP_ERROR with err set.
 */
static int
resp_split_line(struct resp_parser *p, size_t n, const struct resp_limits *lim,
    struct duet_err *err)
{
	struct resp_split s = {p->inline_buf, n, 0, 0};
	size_t start;

	for (;;) {
		while (resp_at(&s, s.r) != 0 && isspace(resp_at(&s, s.r)))
			s.r++;
		if (resp_at(&s, s.r) == 0)
			return RESP_NEXT;
		start = s.w;
		if (resp_split_word(&s) == -1) {
			util_err_set(err, "ERR",
			    "Protocol error: unbalanced quotes in request");
			return RESP_ERROR;
		}
		if (p->argc >= lim->max_args) {
			util_err_set(err, "ERR",
			    "Protocol error: invalid multibulk length");
			return RESP_ERROR;
		}
		if (resp_grow_args(p, err) == -1)
			return RESP_ERROR;
		p->argv[p->argc].ptr = p->inline_buf + start;
		p->argv[p->argc].len = s.w - start;
		p->argc++;
		p->reqbytes += s.w - start;
	}
}

/*
 * An inline request: a line up to '\n' (a '\r' before it is dropped), copied
 * out and split into words.  A line of no words is ignored.
 */
int
resp_step_inline(struct resp_parser *p, struct evbuffer *in,
    const struct resp_limits *lim, struct duet_err *err)
{
	size_t len = evbuffer_get_length(in), nl, n;
	struct evbuffer_ptr ptr;
	char *buf;

	ptr.pos = -1;
	if (p->pos < len &&
	    evbuffer_ptr_set(in, &ptr, p->pos, EVBUFFER_PTR_SET) == 0)
		ptr = evbuffer_search_eol(in, &ptr, NULL, EVBUFFER_EOL_LF);
	if (ptr.pos == -1) {
		p->pos = len;
		if (len > RESP_INLINE_MAX) {
			util_err_set(err, "ERR",
			    "Protocol error: too big inline request");
			return RESP_ERROR;
		}
		return RESP_MORE;
	}
	nl = (size_t)ptr.pos;
	if (nl + 1 > p->inline_cap) {
		buf = realloc(p->inline_buf, nl + 1);
		if (buf == NULL) {
			util_err_set(
			    err, "ERR", "out of memory reading the request");
			return RESP_ERROR;
		}
		p->inline_buf = buf;
		p->inline_cap = nl + 1;
	}
	evbuffer_copyout(in, p->inline_buf, nl);
	n = nl > 0 && p->inline_buf[nl - 1] == '\r' ? nl - 1 : nl;
	if (resp_split_line(p, n, lim, err) == RESP_ERROR)
		return RESP_ERROR;
	if (p->argc == 0)
		return resp_skip(p, in, nl + 1);
	if (p->reqbytes > lim->max_request_bytes) {
		util_err_set(err, "ERR", "Protocol error: request too large");
		return RESP_ERROR;
	}
	p->pos = p->reqlen = nl + 1;
	return RESP_DONE;
}
