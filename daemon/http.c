/* SPDX-License-Identifier: MIT */
/*
 * http - a minimal, strict HTTP/1.1 request parser (its helpers and the
 * response writers are in http_util.c), incremental over a connection's
 * input evbuffer: the head is scanned in place byte by byte from where the
 * last call stopped (http_scan.c: bare CR or LF and control characters are
 * refused as soon as they arrive), a head that outgrows its limit is
 * refused before its end, then the head is copied once into the parser's
 * own buffer, where every string of struct http_request points.  Framing
 * follows RFC 9112 without its leniencies: no obs-fold, no whitespace
 * before a colon, Content-Length and Transfer-Encoding never together,
 * only "chunked" as a coding.  Size limits are decided from Content-Length
 * or a chunk-size line before the bytes they announce are read; bodies
 * move into req.body without a copy.  What a request means (routes, CORS,
 * Host checks) is left to route.c and the connection handling to conn.c.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "http.h"
#include "http_int.h"
#include "util.h"

/*
 * What a step of the parser returns to go on with the next state.  Steps
 * and checks otherwise return HTTP_PARSE_MORE, or HTTP_PARSE_ERROR with
 * err set (by http_fail); checks return 0 when they pass.
 */
#define HTTP_NEXT (-1)
/* The longest chunk-size line, extensions included, CRLF excluded. */
#define HTTP_CHUNK_LINE_MAX 4096
/* Hex digits of a chunk size: 16 fit in 64 bits. */
#define HTTP_CHUNK_DIGITS_MAX 16

/* What the header lines of one request said, checked after the last. */
struct http_seen {
	int host;        /* Host headers */
	int cl;          /* Content-Length seen */
	uint64_t cl_val; /* its value, UINT64_MAX on overflow */
	int te;          /* Transfer-Encoding headers */
	int te_chunked;  /* the only one said exactly "chunked" */
	int conn_close;  /* Connection: close */
	int conn_keep;   /* Connection: keep-alive */
	size_t count;    /* header lines */
};

/* The headers the parser acts on or stores. */
enum http_hdr {
	HTTP_H_HOST,
	HTTP_H_CONTENT_LENGTH,
	HTTP_H_TRANSFER_ENCODING,
	HTTP_H_CONNECTION,
	HTTP_H_EXPECT,
	HTTP_H_STORED, /* only stored: the last one wins */
};

#define HTTP_HDR(s) s, sizeof(s) - 1

static const struct {
	const char *name;
	size_t len;
	enum http_hdr kind;
	size_t off; /* of the struct http_str, for HTTP_H_STORED */
} http_known[] = {
    {HTTP_HDR("host"), HTTP_H_HOST, 0},
    {HTTP_HDR("content-length"), HTTP_H_CONTENT_LENGTH, 0},
    {HTTP_HDR("transfer-encoding"), HTTP_H_TRANSFER_ENCODING, 0},
    {HTTP_HDR("connection"), HTTP_H_CONNECTION, 0},
    {HTTP_HDR("expect"), HTTP_H_EXPECT, 0},
    {HTTP_HDR("origin"), HTTP_H_STORED, offsetof(struct http_request, origin)},
    {HTTP_HDR("content-type"), HTTP_H_STORED,
        offsetof(struct http_request, content_type)},
    {HTTP_HDR("accept"), HTTP_H_STORED, offsetof(struct http_request, accept)},
    {HTTP_HDR("authorization"), HTTP_H_STORED,
        offsetof(struct http_request, authorization)},
    {HTTP_HDR("access-control-request-method"), HTTP_H_STORED,
        offsetof(struct http_request, ac_request_method)},
    {HTTP_HDR("access-control-request-headers"), HTTP_H_STORED,
        offsetof(struct http_request, ac_request_headers)},
};

/* RFC 9110 tchar: the bytes of a method or a header name. */
static const unsigned char http_tchar[256] = {
    ['!'] = 1,
    ['#'] = 1,
    ['$'] = 1,
    ['%'] = 1,
    ['&'] = 1,
    ['\''] = 1,
    ['*'] = 1,
    ['+'] = 1,
    ['-'] = 1,
    ['.'] = 1,
    ['^'] = 1,
    ['_'] = 1,
    ['`'] = 1,
    ['|'] = 1,
    ['~'] = 1,
    ['0' ... '9'] = 1,
    ['A' ... 'Z'] = 1,
    ['a' ... 'z'] = 1,
};

static void
http_reset(struct http_parser *p)
{
	struct evbuffer *body = p->req.body;

	/* Only http_move_body adds to the body, counting in body_len. */
	if (body != NULL && p->body_len > 0)
		evbuffer_drain(body, evbuffer_get_length(body));
	p->state = HTTP_ST_HEAD;
	p->scanned = 0;
	p->remaining = 0;
	p->body_len = 0;
	p->ext_bytes = 0;
	p->odd = SIZE_MAX;
	memset(&p->req, 0, sizeof(p->req));
	p->req.content_length = -1;
	p->req.body = body;
}

/*
 * Initializes an embedded parser.  Only the body buffer is allocated now
 * (should that fail, http_parse retries and answers 500).  Pair with
 * http_parser_fini().
 */
void
http_parser_init(struct http_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->req.body = evbuffer_new();
	http_reset(p);
}

/*
 * Frees what the parser owns; strings and the body of the last request
 * become invalid.  The parser may be initialized again afterwards.
 */
void
http_parser_fini(struct http_parser *p)
{
	if (p->req.body != NULL)
		evbuffer_free(p->req.body);
	free(p->head);
	memset(p, 0, sizeof(*p));
}

/*
 * Forgets the request returned by the last HTTP_PARSE_DONE (its strings
 * and body become invalid) and readies the parser for the next one,
 * keeping its buffers.
 */
void
http_consume(struct http_parser *p)
{
	http_reset(p);
}

/*
 * Returns true while the head has been parsed and body bytes are still
 * expected: the moment to answer Expect: 100-continue.
 */
int
http_body_pending(const struct http_parser *p)
{
	switch (p->state) {
	case HTTP_ST_BODY:
	case HTTP_ST_CHUNK_SIZE:
	case HTTP_ST_CHUNK_DATA:
	case HTTP_ST_CHUNK_CRLF:
	case HTTP_ST_TRAILER:
		return 1;
	default:
		return 0;
	}
}

/*
 * Parses "HTTP/1.x" into p->req.minor: 505 for another well-formed
 * version, 400 for anything else.
 */
static int
http_parse_version(
    struct http_parser *p, const char *v, size_t len, struct duet_err *err)
{
	if (len != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' ||
	    v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
		return http_fail(err, 400, "invalid HTTP version");
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return http_fail(err, 505, "unsupported HTTP version");
	p->req.minor = v[7] - '0';
	return 0;
}

static enum http_method
http_method_of(struct http_str m)
{
	switch (m.len) {
	case 3:
		return memcmp(m.ptr, "GET", 3) == 0 ? HTTP_M_GET : HTTP_M_OTHER;
	case 4:
		if (memcmp(m.ptr, "HEAD", 4) == 0)
			return HTTP_M_HEAD;
		return memcmp(m.ptr, "POST", 4) == 0 ? HTTP_M_POST
		                                     : HTTP_M_OTHER;
	case 7:
		return memcmp(m.ptr, "OPTIONS", 7) == 0 ? HTTP_M_OPTIONS
		                                        : HTTP_M_OTHER;
	default:
		return HTTP_M_OTHER;
	}
}

/*
 * Parses the request line s[0..len): method SP origin-form (or "*" for
 * OPTIONS) SP HTTP-version.  Returns 0 or HTTP_PARSE_ERROR.
 */
static int
http_parse_request_line(
    struct http_parser *p, const char *s, size_t len, struct duet_err *err)
{
	struct http_request *req = &p->req;
	const char *sp1, *sp2;
	size_t i;

	sp1 = memchr(s, ' ', len);
	sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - s))
	                  : NULL;
	if (sp1 == NULL || sp2 == NULL || sp1 == s || sp2 == sp1 + 1)
		return http_fail(err, 400, "malformed request line");
	for (i = 0; s + i < sp1; i++) {
		if (!http_tchar[(unsigned char)s[i]])
			return http_fail(err, 400, "malformed request line");
	}
	req->method_text.ptr = s;
	req->method_text.len = (size_t)(sp1 - s);
	req->method = http_method_of(req->method_text);
	req->target.ptr = sp1 + 1;
	req->target.len = (size_t)(sp2 - sp1 - 1);
	if (http_parse_version(p, sp2 + 1, len - (size_t)(sp2 + 1 - s), err) !=
	    0)
		return HTTP_PARSE_ERROR;
	/* The scan saw no control or DEL; unless it saw a tab or a byte >=
	 * 0x80 before sp2, the target is printable. */
	if (p->odd < (size_t)(sp2 - p->head) &&
	    !util_printable(req->target.ptr, req->target.len, 0))
		return http_fail(err, 400, "invalid request target");
	if (req->target.ptr[0] == '/')
		return 0;
	if (req->target.len == 1 && req->target.ptr[0] == '*' &&
	    req->method == HTTP_M_OPTIONS)
		return 0;
	return http_fail(err, 400, "invalid request target");
}

/*
 * Reads a Content-Length value: one number or a list of identical ones,
 * each digits only.  Another header or list member must agree.
 */
static int
http_content_length(
    struct http_seen *s, struct http_str v, struct duet_err *err)
{
	struct http_str rest = v, e;
	uint64_t val;
	size_t i;

	/* The usual value, one number of a few digits. */
	for (i = 0, val = 0; i < v.len && i < 18; i++) {
		unsigned d = (unsigned char)v.ptr[i] - '0';

		if (d > 9)
			break;
		val = val * 10 + d;
	}
	if (i > 0 && i == v.len && !(s->cl && val != s->cl_val)) {
		s->cl = 1;
		s->cl_val = val;
		return 0;
	}
	while (http_list_next(&rest, &e)) {
		if (e.len == 0)
			return http_fail(err, 400, "invalid Content-Length");
		for (i = 0, val = 0; i < e.len; i++) {
			unsigned d = (unsigned char)e.ptr[i] - '0';

			if (d > 9)
				return http_fail(
				    err, 400, "invalid Content-Length");
			/* Saturates: too large for any limit, so 413. */
			val = val > (UINT64_MAX - d) / 10 ? UINT64_MAX
			                                  : val * 10 + d;
		}
		if (s->cl && val != s->cl_val)
			return http_fail(
			    err, 400, "differing Content-Length values");
		s->cl = 1;
		s->cl_val = val;
	}
	return 0;
}

/*
 * Whether name (tchars only) is the lower-case known name k of the same
 * length, ignoring case: a tchar c with (c | 0x20) equal to a letter or
 * '-' is that letter in either case, or '-'.
 */
static int
http_known_is(const char *name, const char *k, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((name[i] | 0x20) != k[i])
			return 0;
	}
	return 1;
}

/* Which known header name (tchars only) is, or -1. */
static int
http_known_header(struct http_str name)
{
	size_t i;

	for (i = 0; i < sizeof(http_known) / sizeof(http_known[0]); i++) {
		if (http_known[i].len == name.len &&
		    http_known_is(name.ptr, http_known[i].name, name.len))
			return (int)i;
	}
	return -1;
}

/*
 * Records one known header (http_known[k]) with value v.  Returns 0 or
 * HTTP_PARSE_ERROR.
 */
static int
http_known_value(struct http_parser *p, struct http_seen *s, int k,
    struct http_str v, struct duet_err *err)
{
	switch (http_known[k].kind) {
	case HTTP_H_HOST:
		if (s->host++ > 0)
			return http_fail(err, 400, "duplicate Host");
		p->req.host = v;
		break;
	case HTTP_H_CONTENT_LENGTH:
		return http_content_length(s, v, err);
	case HTTP_H_TRANSFER_ENCODING:
		s->te_chunked =
		    s->te++ == 0 && http_lower_eq(v.ptr, v.len, "chunked", 7);
		break;
	case HTTP_H_CONNECTION:
		s->conn_close |= http_header_has_token(v, "close");
		s->conn_keep |= http_header_has_token(v, "keep-alive");
		break;
	case HTTP_H_EXPECT:
		if (!http_lower_eq(v.ptr, v.len, "100-continue", 12))
			return http_fail(err, 417, "unsupported expectation");
		/* RFC 9110 10.1.1: ignored in an HTTP/1.0 request. */
		p->req.expect_continue = p->req.minor == 1;
		break;
	case HTTP_H_STORED:
		*(struct http_str *)((char *)&p->req + http_known[k].off) = v;
		break;
	}
	return 0;
}

/*
 * Parses one header line l[0..len) (without CRLF) into p->req.
 * Returns 0 or HTTP_PARSE_ERROR.
 */
static int
http_parse_header(struct http_parser *p, struct http_seen *s, const char *l,
    size_t len, const struct http_limits *lim, struct duet_err *err)
{
	struct http_str name, v;
	const char *colon;
	size_t i;
	int k;

	if (++s->count > lim->max_headers)
		return http_fail(err, 431, "too many headers");
	if (l[0] == ' ' || l[0] == '\t')
		return http_fail(err, 400, "obsolete line folding");
	if ((colon = memchr(l, ':', len)) == NULL)
		return http_fail(err, 400, "header without colon");
	name.ptr = l;
	name.len = (size_t)(colon - l);
	for (i = 0; i < name.len; i++) {
		if (!http_tchar[(unsigned char)l[i]])
			return http_fail(err, 400, "invalid header name");
	}
	if (name.len == 0)
		return http_fail(err, 400, "invalid header name");
	v.ptr = colon + 1;
	v.len = len - name.len - 1;
	v = http_trim(v);
	if ((k = http_known_header(name)) < 0)
		return 0;
	return http_known_value(p, s, k, v, err);
}

/*
 * Decides keep-alive and the body's framing once all headers are read
 * (its size is checked by http_begin_body).  Returns 0 with p->state
 * set, or HTTP_PARSE_ERROR.
 */
static int
http_check_head(
    struct http_parser *p, const struct http_seen *s, struct duet_err *err)
{
	struct http_request *req = &p->req;

	if (s->te && s->cl)
		return http_fail(
		    err, 400, "both Content-Length and Transfer-Encoding");
	if (s->te && req->minor == 0)
		return http_fail(err, 400, "Transfer-Encoding with HTTP/1.0");
	if (s->te && (s->te > 1 || !s->te_chunked))
		return http_fail(err, 501, "unsupported transfer encoding");
	if (req->minor == 1 && s->host == 0)
		return http_fail(err, 400, "missing Host");
	req->keep_alive =
	    req->minor == 1 ? !s->conn_close : s->conn_keep && !s->conn_close;
	if (req->body == NULL && (req->body = evbuffer_new()) == NULL)
		return http_fail(err, 500, "out of memory");
	req->chunked = s->te != 0;
	if (!s->cl)
		req->content_length = -1;
	else
		req->content_length = s->cl_val > (uint64_t)INT64_MAX
		    ? INT64_MAX
		    : (int64_t)s->cl_val;
	/* The announced length, checked by http_begin_body. */
	p->remaining = s->cl ? s->cl_val : 0;
	p->state = HTTP_ST_HEAD_DONE;
	return 0;
}

/*
 * HTTP_ST_HEAD_DONE: the size limit of a Content-Length body (after the
 * caller could refuse the request from its head), then the body's state.
 */
static int
http_begin_body(
    struct http_parser *p, const struct http_limits *lim, struct duet_err *err)
{
	if (p->req.chunked) {
		p->state = HTTP_ST_CHUNK_SIZE;
		return HTTP_NEXT;
	}
	if (p->remaining > lim->max_request_bytes ||
	    p->remaining > (uint64_t)INT64_MAX)
		return http_fail(err, 413, "request body too large");
	p->state = p->remaining > 0 ? HTTP_ST_BODY : HTTP_ST_DONE;
	return HTTP_NEXT;
}

/*
 * Parses the head copied into p->head[0..len), which ends in CRLF CRLF.
 * Returns HTTP_NEXT with the state for the body, or HTTP_PARSE_ERROR.
 */
static int
http_parse_head(struct http_parser *p, size_t len,
    const struct http_limits *lim, struct duet_err *err)
{
	struct http_seen seen;
	const char *s = p->head, *end = p->head + len - 2, *lf;

	memset(&seen, 0, sizeof(seen));
	lf = memchr(s, '\n', (size_t)(end - s));
	if (http_parse_request_line(p, s, (size_t)(lf - 1 - s), err) != 0)
		return HTTP_PARSE_ERROR;
	for (s = lf + 1; s < end; s = lf + 1) {
		lf = memchr(s, '\n', (size_t)(end - s));
		if (http_parse_header(
		        p, &seen, s, (size_t)(lf - 1 - s), lim, err) != 0)
			return HTTP_PARSE_ERROR;
	}
	if (http_check_head(p, &seen, err) != 0)
		return HTTP_PARSE_ERROR;
	return HTTP_NEXT;
}

/*
 * Drops the empty lines RFC 9112 2.2 lets a server ignore before a
 * request line.  Returns 0, or 1 if the buffer ends in the middle of one.
 */
static int
http_skip_empty_lines(struct evbuffer *in)
{
	const unsigned char *first;
	unsigned char two[2];
	ev_ssize_t n;

	/* The usual case, a request line first (in is not empty). */
	if ((first = evbuffer_pullup(in, 1)) != NULL && *first != '\r')
		return 0;
	while ((n = evbuffer_copyout(in, two, 2)) > 0 && two[0] == '\r') {
		if (n == 1)
			return 1;
		if (two[1] != '\n')
			return 0;
		evbuffer_drain(in, 2);
	}
	return 0;
}

/* HTTP_ST_HEAD: the request line and the headers. */
static int
http_read_head(struct http_parser *p, struct evbuffer *in,
    const struct http_limits *lim, struct duet_err *err)
{
	size_t end;
	char *head;
	int r;

	if (evbuffer_get_length(in) == 0)
		return HTTP_PARSE_MORE;
	if (p->scanned == 0 && http_skip_empty_lines(in) == 1)
		return HTTP_PARSE_MORE;
	r = http_scan(p, in, lim->max_header_bytes, 0, &end, err);
	if (r == HTTP_PARSE_ERROR)
		return r;
	if (r == 0) {
		if (evbuffer_get_length(in) >= lim->max_header_bytes)
			return http_fail(err, 431, "request header too large");
		return HTTP_PARSE_MORE;
	}
	if (end > p->headcap) {
		if ((head = realloc(p->head, end)) == NULL)
			return http_fail(err, 500, "out of memory");
		p->head = head;
		p->headcap = end;
	}
	evbuffer_remove(in, p->head, end);
	p->scanned = 0;
	return http_parse_head(p, end, lim, err);
}

/*
 * Moves up to p->remaining body bytes from in to the body.  Returns 1
 * once none remain, 0 if more are needed.
 */
static int
http_move_body(struct http_parser *p, struct evbuffer *in)
{
	size_t avail = evbuffer_get_length(in), n;

	n = avail < p->remaining ? avail : (size_t)p->remaining;
	if (n > 0) {
		evbuffer_remove_buffer(in, p->req.body, n);
		p->remaining -= n;
		p->body_len += n;
	}
	return p->remaining == 0;
}

/*
 * Parses a chunk-size line l[0..len) (without CRLF): 1 to 16 hex digits,
 * then nothing or ";" and extensions.  Returns 0 with *size set, or
 * HTTP_PARSE_ERROR.
 */
static int
http_parse_chunk_line(struct http_parser *p, const char *l, size_t len,
    uint64_t *size, struct duet_err *err)
{
	size_t i;
	int d;

	for (i = 0, *size = 0; i < len && l[i] != ';'; i++) {
		if ((d = http_hexval(l[i])) < 0 || i == HTTP_CHUNK_DIGITS_MAX)
			return http_fail(err, 400, "invalid chunk size");
		*size = *size << 4 | (uint64_t)d;
	}
	if (i == 0)
		return http_fail(err, 400, "invalid chunk size");
	p->ext_bytes += len - i;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)l[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return http_fail(err, 400, "invalid chunk extension");
	}
	return 0;
}

/* HTTP_ST_CHUNK_SIZE: a chunk-size line, checked against the limits. */
static int
http_read_chunk_size(struct http_parser *p, struct evbuffer *in,
    const struct http_limits *lim, struct duet_err *err)
{
	size_t len = evbuffer_get_length(in), n, linelen;
	const char *buf, *lf;
	uint64_t size;

	n = len < HTTP_CHUNK_LINE_MAX + 2 ? len : HTTP_CHUNK_LINE_MAX + 2;
	if (n == 0)
		return HTTP_PARSE_MORE;
	if ((buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)n)) == NULL)
		return http_fail(err, 500, "out of memory");
	lf = memchr(buf + p->scanned, '\n', n - p->scanned);
	if (lf == NULL) {
		p->scanned = n;
		if (n == HTTP_CHUNK_LINE_MAX + 2)
			return http_fail(err, 400, "chunk extensions too long");
		return HTTP_PARSE_MORE;
	}
	linelen = (size_t)(lf - buf);
	if (linelen == 0 || buf[linelen - 1] != '\r')
		return http_fail(err, 400, "invalid chunk size");
	linelen--;
	if (http_parse_chunk_line(p, buf, linelen, &size, err) != 0)
		return HTTP_PARSE_ERROR;
	if (p->ext_bytes > lim->max_header_bytes)
		return http_fail(err, 400, "chunk extensions too long");
	if (size > lim->max_request_bytes - p->body_len)
		return http_fail(err, 413, "request body too large");
	evbuffer_drain(in, linelen + 2);
	p->scanned = 0;
	p->remaining = size;
	p->state = size == 0 ? HTTP_ST_TRAILER : HTTP_ST_CHUNK_DATA;
	return HTTP_NEXT;
}

/* HTTP_ST_CHUNK_CRLF: the CRLF that must follow chunk data. */
static int
http_read_chunk_crlf(
    struct http_parser *p, struct evbuffer *in, struct duet_err *err)
{
	char two[2];
	ev_ssize_t n = evbuffer_copyout(in, two, 2);

	if (n < 1 || (n == 1 && two[0] == '\r'))
		return HTTP_PARSE_MORE;
	if (n == 1 || two[0] != '\r' || two[1] != '\n')
		return http_fail(err, 400, "missing CRLF after chunk data");
	evbuffer_drain(in, 2);
	p->state = HTTP_ST_CHUNK_SIZE;
	return HTTP_NEXT;
}

/*
 * HTTP_ST_TRAILER: trailer lines up to an empty line, bounded like a
 * head and then dropped.
 */
static int
http_read_trailer(struct http_parser *p, struct evbuffer *in,
    const struct http_limits *lim, struct duet_err *err)
{
	size_t end;
	int r;

	/* As if after the CRLF of "0\r\n", so that a bare CRLF ends. */
	r = http_scan(p, in, lim->max_header_bytes, 0x0d0a, &end, err);
	if (r == HTTP_PARSE_ERROR)
		return r;
	if (r == 0) {
		if (evbuffer_get_length(in) >= lim->max_header_bytes)
			return http_fail(err, 431, "trailers too large");
		return HTTP_PARSE_MORE;
	}
	evbuffer_drain(in, end);
	p->scanned = 0;
	p->state = HTTP_ST_DONE;
	return HTTP_NEXT;
}

/*
 * Reads as much of one request from in as is there.  Returns
 * HTTP_PARSE_DONE when p->req holds a whole request (call http_consume
 * before the next), HTTP_PARSE_HEAD (only with lim->head_first) once
 * its head is read, before the body's size is checked, so that the
 * caller may refuse it unread (call http_parse again to go on),
 * HTTP_PARSE_MORE when more bytes are needed, or
 * HTTP_PARSE_ERROR with err->status and err->msg set: the caller answers
 * and closes, as framing is lost.  Consumed bytes are drained from in.
 */
enum http_parse_result
http_parse(struct http_parser *p, struct evbuffer *in,
    const struct http_limits *lim, struct duet_err *err)
{
	int r;

	for (;;) {
		switch (p->state) {
		case HTTP_ST_HEAD:
			r = http_read_head(p, in, lim, err);
			if (r == HTTP_NEXT && lim->head_first)
				return HTTP_PARSE_HEAD;
			break;
		case HTTP_ST_HEAD_DONE:
			r = http_begin_body(p, lim, err);
			break;
		case HTTP_ST_BODY:
			r = http_move_body(p, in) ? HTTP_NEXT : HTTP_PARSE_MORE;
			if (r == HTTP_NEXT)
				p->state = HTTP_ST_DONE;
			break;
		case HTTP_ST_CHUNK_SIZE:
			r = http_read_chunk_size(p, in, lim, err);
			break;
		case HTTP_ST_CHUNK_DATA:
			r = http_move_body(p, in) ? HTTP_NEXT : HTTP_PARSE_MORE;
			if (r == HTTP_NEXT)
				p->state = HTTP_ST_CHUNK_CRLF;
			break;
		case HTTP_ST_CHUNK_CRLF:
			r = http_read_chunk_crlf(p, in, err);
			break;
		case HTTP_ST_TRAILER:
			r = http_read_trailer(p, in, lim, err);
			break;
		case HTTP_ST_DONE:
		default:
			return HTTP_PARSE_DONE;
		}
		if (r != HTTP_NEXT)
			return (enum http_parse_result)r;
	}
}
