/* SPDX-License-Identifier: MIT */
/*
 * http - the HTTP codec's framing: a minimal, strict HTTP/1.1 request
 * parser written for duetd (RFC 9112 framing: Content-Length and chunked
 * bodies, no obs-fold, smuggling shapes refused), incremental over a
 * connection's input evbuffer, and the writers of response heads.  It
 * knows nothing of commands or routes; conn.c decides what a request means.
 */
#ifndef DUET_HTTP_H
#define DUET_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

struct duet_err;

enum http_parse_result {
	HTTP_PARSE_DONE,  /* a whole request: p->req is valid */
	HTTP_PARSE_MORE,  /* need more bytes (see http_body_pending) */
	HTTP_PARSE_ERROR, /* err->status and err->msg say why: answer, close */
	HTTP_PARSE_HEAD,  /* the head is read (lim->head_first): p->req is
	                     valid but its body; call again for the rest */
};

enum http_method {
	HTTP_M_OTHER,
	HTTP_M_GET,
	HTTP_M_HEAD,
	HTTP_M_POST,
	HTTP_M_OPTIONS,
};

enum http_state {
	HTTP_ST_HEAD,       /* reading the request line and headers */
	HTTP_ST_HEAD_DONE,  /* head read, body size not checked yet */
	HTTP_ST_BODY,       /* reading a Content-Length body */
	HTTP_ST_CHUNK_SIZE, /* reading a chunk-size line */
	HTTP_ST_CHUNK_DATA, /* reading chunk data */
	HTTP_ST_CHUNK_CRLF, /* reading the CRLF after chunk data */
	HTTP_ST_TRAILER,    /* reading trailer lines after the last chunk */
	HTTP_ST_DONE,       /* request complete, until http_consume */
};

/* A counted string; borrowed from the parser until http_consume. */
struct http_str {
	const char *ptr;
	size_t len;
};

struct http_request {
	enum http_method method;
	struct http_str method_text; /* as sent, e.g. "PUT" */
	struct http_str target;      /* request-target, e.g. "/add?a=1" */
	int minor;                   /* HTTP/1.minor: 0 or 1 */
	int keep_alive;              /* keep the connection after the reply */
	int expect_continue;         /* Expect: 100-continue */
	int chunked;                 /* Transfer-Encoding: chunked */
	int64_t content_length;      /* -1 when absent */
	struct http_str host;        /* each header: empty when absent */
	struct http_str origin;
	struct http_str content_type;
	struct http_str accept;
	struct http_str authorization;
	struct http_str ac_request_method; /* Access-Control-Request-Method */
	struct http_str ac_request_headers;
	struct evbuffer *body; /* owned by the parser: decoded body */
};

struct http_limits {
	uint64_t max_request_bytes; /* body, decoded; 413 beyond */
	size_t max_header_bytes;    /* request line + headers; 431 beyond */
	size_t max_headers;         /* header count; 431 beyond */
	int head_first; /* return HTTP_PARSE_HEAD before any body limit */
};

struct http_parser {
	enum http_state state;
	size_t scanned;     /* bytes of the head already searched */
	size_t odd;         /* offset of its first tab or byte >= 0x80 */
	uint64_t remaining; /* bytes left of the body or chunk */
	uint64_t body_len;  /* decoded body bytes so far */
	char *head;         /* owned: copy of the head, strings point here */
	size_t headcap;
	struct http_request req;
	uint64_t ext_bytes; /* chunk-extension bytes so far, bounded */
};

void http_parser_init(struct http_parser *p);
void http_parser_fini(struct http_parser *p);
enum http_parse_result http_parse(struct http_parser *p, struct evbuffer *in,
    const struct http_limits *lim, struct duet_err *err);
int http_body_pending(const struct http_parser *p);
void http_consume(struct http_parser *p);

int http_is_request_line(const char *line, size_t len);
int http_hexval(char c);
int http_pct_decode(
    const char *s, size_t len, char *out, size_t *outlen, int plus_is_space);
int http_query_next(
    struct http_str *rest, struct http_str *name, struct http_str *value);
int http_lower_eq(
    const char *s, size_t len, const char *lower, size_t lowerlen);
int http_header_has_token(struct http_str value, const char *token);
struct http_str http_trim(struct http_str s);
int http_list_next(struct http_str *rest, struct http_str *elem);
int http_media_type_is(struct http_str value, const char *type);

const char *http_reason(int status);
void http_add_head(struct evbuffer *out, int minor, int status,
    const char *content_type, int64_t content_length, int keep_alive,
    const char *extra_headers);
void http_add_continue(struct evbuffer *out, int minor);

#endif /* DUET_HTTP_H */
