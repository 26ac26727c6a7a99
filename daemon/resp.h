/* SPDX-License-Identifier: MIT */
/*
 * resp - L0: the RESP codec's framing: an incremental parser of RESP2
 * multibulk and inline requests over a connection's input evbuffer.  The
 * parser copies nothing until a whole request is buffered; its state lives
 * in the conn, as Redis keeps multibulklen/bulklen in the client.  It
 * tells its caller a multibulk request's name as soon as it has arrived
 * (RESP_NAME), so that a refused request is answered before the rest is
 * buffered, and then skips that rest as it arrives (resp_skip_request).
 * Knows nothing of commands; the writers of RESP2/RESP3 replies are
 * resp_reply.h's.
 */
#ifndef DUET_RESP_H
#define DUET_RESP_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

struct duet_err;

enum resp_status {
	RESP_DONE,  /* a whole request: argc/argv are valid */
	RESP_MORE,  /* need more bytes */
	RESP_ERROR, /* protocol error: reply err, then close */
	RESP_NAME,  /* a multibulk request's name has arrived, not all the
	             * rest: argv[0..argc) are its whole arguments so far;
	             * parse on, or resp_skip_request() to refuse it */
};

enum resp_state {
	RESP_ST_START,     /* at the first byte of a request */
	RESP_ST_MBULK_ARG, /* expecting a $ header */
	RESP_ST_BULK,      /* expecting bulklen bytes and CRLF */
	RESP_ST_MBULK_LEN, /* scanning the "*<n>" line for its '\r' */
	RESP_ST_INLINE,    /* scanning an inline line for its '\n' */
};

struct resp_arg {
	const char *ptr; /* borrowed: valid until resp_consume() */
	size_t len;
};

struct resp_limits {
	uint64_t max_args;          /* multibulk count / inline words */
	uint64_t max_request_bytes; /* one bulk, and the whole request */
	int unauth; /* Redis 7's caps for an unauthenticated client: at most
	             * 10 arguments, bulks of at most 16384 bytes */
};

struct resp_parser {
	enum resp_state state;
	size_t pos;           /* bytes of the current request scanned */
	size_t line;          /* offset of the header line being scanned */
	uint64_t reqbytes;    /* argument bytes announced so far */
	int64_t multibulklen; /* bulk arguments still expected */
	int64_t bulklen;      /* length of the bulk being read */
	size_t argc;          /* arguments of the finished request */
	size_t argcap;
	size_t *argoff;        /* owned: offsets while scanning; argv[i].len
	                        * is known from the $ header, argv[i].ptr
	                        * only once the request is whole */
	struct resp_arg *argv; /* owned array; see struct resp_arg */
	char *inline_buf;      /* owned: unescaped inline words */
	size_t inline_cap;
	size_t reqlen;    /* bytes resp_consume() drains */
	size_t done;      /* bytes of requests served (resp_next) that
	                   * the input still holds until resp_flush */
	int named;        /* RESP_NAME was returned for this request */
	int skipping;     /* refused: the rest is drained as it arrives, and
	                   * bulklen counts the bytes left of the current bulk
	                   * with its CRLF */
	uint64_t skipped; /* bytes drained while skipping; the caller
	                   * reads and zeroes it */
};

void resp_parser_init(struct resp_parser *p);
void resp_parser_fini(struct resp_parser *p);
enum resp_status resp_parse(struct resp_parser *p, struct evbuffer *in,
    const struct resp_limits *lim, struct duet_err *err);
void resp_consume(struct resp_parser *p, struct evbuffer *in);
void resp_next(struct resp_parser *p);
void resp_flush(struct resp_parser *p, struct evbuffer *in);
void resp_skip_request(struct resp_parser *p, struct evbuffer *in);

#endif /* DUET_RESP_H */
