/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http - libFuzzer entry for the HTTP request parser.  The first
 * input byte picks a chunk size; the rest is appended to an evbuffer chunk
 * by chunk, and http_parse()/http_consume() run after each chunk until
 * the parser needs more bytes or reports an error, so both whole and split
 * arrivals are exercised.  Every string and body byte of a request is read
 * back, its target goes through the query and percent-decoding helpers as
 * route.c would, and every answer is rendered with http_add_head(), so the
 * sanitizers see every byte touched.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "http.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned fuzz_sum;

static void
fuzz_http_touch(struct http_str s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		fuzz_sum += (unsigned char)s.ptr[i];
}

/* Splits the target's query and decodes each pair, as route.c does. */
static void
fuzz_http_target(struct http_str target)
{
	struct http_str rest, name, value;
	const char *q;
	size_t n;
	char *buf;

	if ((buf = malloc(target.len + 1)) == NULL)
		return;
	if (http_pct_decode(target.ptr, target.len, buf, &n, 0) == 0)
		fuzz_sum += (unsigned)n;
	q = memchr(target.ptr, '?', target.len);
	rest.ptr = q != NULL ? q + 1 : NULL;
	rest.len = q != NULL ? target.len - (size_t)(q + 1 - target.ptr) : 0;
	while (http_query_next(&rest, &name, &value)) {
		if (http_pct_decode(name.ptr, name.len, buf, &n, 1) == 0)
			fuzz_sum += (unsigned)n;
		if (http_pct_decode(value.ptr, value.len, buf, &n, 1) == 0)
			fuzz_sum += (unsigned)n;
	}
	free(buf);
}

/* Reads back a whole request and answers it. */
static void
fuzz_http_request(const struct http_request *req, struct evbuffer *out)
{
	struct evbuffer_iovec v[4];
	int i, n;

	fuzz_http_touch(req->method_text);
	fuzz_http_touch(req->target);
	fuzz_http_touch(req->host);
	fuzz_http_touch(req->origin);
	fuzz_http_touch(req->authorization);
	fuzz_http_touch(req->ac_request_method);
	fuzz_http_touch(req->ac_request_headers);
	fuzz_sum +=
	    (unsigned)http_media_type_is(req->content_type, "application/json");
	fuzz_sum +=
	    (unsigned)http_media_type_is(req->accept, "application/msgpack");
	fuzz_sum += (unsigned)http_header_has_token(
	    req->ac_request_headers, "content-type");
	fuzz_http_target(req->target);
	n = evbuffer_peek(req->body, -1, NULL, v, 4);
	for (i = 0; i < n && i < 4; i++) {
		struct http_str s = {v[i].iov_base, v[i].iov_len};

		fuzz_http_touch(s);
	}
	http_add_head(out, req->minor, 200, "application/json",
	    (int64_t)evbuffer_get_length(req->body), req->keep_alive, NULL);
}

/*
 * Parses every whole request now in the buffer.  Returns -1 after a
 * framing error, 0 when more bytes are needed.
 */
static int
fuzz_http_drain(struct http_parser *p, struct evbuffer *in,
    struct evbuffer *out, const struct http_limits *lim)
{
	struct duet_err err;

	for (;;) {
		switch (http_parse(p, in, lim, &err)) {
		case HTTP_PARSE_MORE:
			if (p->req.expect_continue && http_body_pending(p))
				http_add_continue(out, p->req.minor);
			return 0;
		case HTTP_PARSE_ERROR:
			http_add_head(out, 1, err.status, "application/json",
			    (int64_t)strlen(err.msg), 0, NULL);
			return -1;
		case HTTP_PARSE_HEAD:
			/* The daemon admits the request from its head here. */
			fuzz_http_touch(p->req.target);
			break;
		case HTTP_PARSE_DONE:
			fuzz_http_request(&p->req, out);
			http_consume(p);
			evbuffer_drain(out, evbuffer_get_length(out));
			break;
		}
	}
}

/*
 * The libFuzzer entry point.  Always returns 0.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct http_limits lim = {1 << 16, 8192, 64, 1};
	struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
	struct http_parser p;
	size_t chunk, off, n;
	const uint8_t *eol;

	http_parser_init(&p);
	if (size == 0)
		goto done;
	eol = memchr(data + 1, '\r', size - 1);
	fuzz_sum += (unsigned)http_is_request_line((const char *)data + 1,
	    eol != NULL ? (size_t)(eol - data - 1) : size - 1);
	chunk = data[0] == 0 ? SIZE_MAX : data[0];
	for (off = 1; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		evbuffer_add(in, data + off, n);
		if (fuzz_http_drain(&p, in, out, &lim) == -1)
			break;
	}
done:
	http_parser_fini(&p);
	evbuffer_free(in);
	evbuffer_free(out);
	return 0;
}
