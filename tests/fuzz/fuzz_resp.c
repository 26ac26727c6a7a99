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
 */
#include <stddef.h>
#include <stdint.h>

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
done:
	resp_parser_fini(&p);
	evbuffer_free(in);
	evbuffer_free(out);
	return 0;
}
