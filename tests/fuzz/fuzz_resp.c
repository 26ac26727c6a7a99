/* SPDX-License-Identifier: MIT */
/*
 * fuzz_resp - libFuzzer entry for the RESP request parser.  The first input
 * byte picks a chunk size; the rest is appended to an evbuffer chunk by
 * chunk, and resp_parse()/resp_consume() run after each chunk until the
 * parser needs more bytes or reports an error, so both whole and split
 * arrivals are exercised.  Every argument is read back, and each error is
 * rendered with resp_add_error(), so the sanitizers see every byte touched.
 * A request reported by its name (RESP_NAME) is refused and skipped when
 * the name's first byte is odd; an odd-sized input is parsed with the
 * caps of an unauthenticated client.
 *
 * Then the whole input is parsed twice more, as one flat buffer (the
 * fast path reads every request that is whole in the first chain, served
 * with resp_next() and drained once) and with each byte in a chain of its
 * own (the step-by-step parser does the work): both must report the same
 * requests, names and errors, byte for byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "resp.h"
#include "resp_reply.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Reads back every argument the parser reports.
 */
static void
fuzz_resp_args(const struct resp_parser *p, struct evbuffer *out)
{
	volatile unsigned sum = 0;
	size_t i, j;

	for (i = 0; i < p->argc; i++) {
		for (j = 0; j < p->argv[i].len; j++)
			sum += (unsigned char)p->argv[i].ptr[j];
		resp_add_bulk(out, p->argv[i].ptr, p->argv[i].len);
	}
	evbuffer_drain(out, evbuffer_get_length(out));
}

/*
 * Parses every whole request now in the buffer.  Returns -1 after a
 * protocol error, 0 when more bytes are needed.
 */
static int
fuzz_resp_drain(struct resp_parser *p, struct evbuffer *in,
    struct evbuffer *out, const struct resp_limits *lim)
{
	struct duet_err err;

	for (;;) {
		switch (resp_parse(p, in, lim, &err)) {
		case RESP_MORE:
			return 0;
		case RESP_ERROR:
			resp_add_error(out, err.code, err.msg);
			return -1;
		case RESP_NAME:
			fuzz_resp_args(p, out);
			if (p->argv[0].len > 0 && (p->argv[0].ptr[0] & 1))
				resp_skip_request(p, in);
			break;
		case RESP_DONE:
			fuzz_resp_args(p, out);
			resp_consume(p, in);
			break;
		}
	}
}

/*
 * Parses all of in, writing what the parser reports to log: each
 * request's arguments, "NAME" markers, the error.  lazy: served with
 * resp_next(), drained by resp_flush() at the end.
 */
static void
fuzz_resp_transcript(struct evbuffer *in, struct evbuffer *log,
    const struct resp_limits *lim, int lazy)
{
	struct resp_parser p;
	struct duet_err err;
	size_t i;
	int st;

	resp_parser_init(&p);
	while ((st = resp_parse(&p, in, lim, &err)) != RESP_MORE) {
		if (st == RESP_ERROR) {
			resp_add_error(log, err.code, err.msg);
			break;
		}
		evbuffer_add(log, st == RESP_NAME ? "NAME" : "DONE", 4);
		for (i = 0; i < p.argc; i++)
			resp_add_bulk(log, p.argv[i].ptr, p.argv[i].len);
		if (st == RESP_NAME) {
			if (p.argv[0].len > 0 && (p.argv[0].ptr[0] & 1))
				resp_skip_request(&p, in);
		} else if (lazy) {
			resp_next(&p);
		} else {
			resp_consume(&p, in);
		}
	}
	resp_flush(&p, in);
	evbuffer_add_printf(log, "left %zu", evbuffer_get_length(in));
	resp_parser_fini(&p);
}

/*
 * The fast path and the step-by-step parser agree on data.
 */
static void
fuzz_resp_compare(
    const uint8_t *data, size_t size, const struct resp_limits *lim)
{
	struct evbuffer *flat = evbuffer_new(), *bytes = evbuffer_new();
	struct evbuffer *one = evbuffer_new();
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	size_t i;

	evbuffer_add(flat, data, size);
	for (i = 0; i < size; i++) {
		evbuffer_add(one, data + i, 1);
		evbuffer_add_buffer(bytes, one);
	}
	fuzz_resp_transcript(flat, a, lim, 1);
	fuzz_resp_transcript(bytes, b, lim, 0);
	if (evbuffer_get_length(a) != evbuffer_get_length(b) ||
	    memcmp(evbuffer_pullup(a, -1), evbuffer_pullup(b, -1),
	        evbuffer_get_length(a)) != 0)
		abort();
	evbuffer_free(flat);
	evbuffer_free(bytes);
	evbuffer_free(one);
	evbuffer_free(a);
	evbuffer_free(b);
}

/*
 * The libFuzzer entry point.  Always returns 0.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resp_limits lim = {64, 1 << 16, (int)(size & 1)};
	struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
	struct resp_parser p;
	size_t chunk, off, n;

	resp_parser_init(&p);
	if (size == 0)
		goto done;
	chunk = data[0] == 0 ? SIZE_MAX : data[0];
	for (off = 1; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		evbuffer_add(in, data + off, n);
		if (fuzz_resp_drain(&p, in, out, &lim) == -1)
			break;
	}
	if (size <= 4096)
		fuzz_resp_compare(data + 1, size - 1, &lim);
done:
	resp_parser_fini(&p);
	evbuffer_free(in);
	evbuffer_free(out);
	return 0;
}
