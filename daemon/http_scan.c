/* SPDX-License-Identifier: MIT */
/*
 * http_scan - the request parser's head scanner (the rest of the parser is
 * in http.c): finds the CRLF CRLF that ends a head or a trailer section in
 * a connection's input evbuffer, in place and from where the last call
 * stopped, checking each byte as it arrives: a bare CR or LF and control
 * characters are refused at once, and runs of plain bytes are skipped
 * sixteen (SSE2) or eight at a time.  It notes where the first tab or byte
 * >= 0x80 is, so that the request line need not be looked at again; what
 * the head says is left to http.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <event2/buffer.h>

#include "http.h"
#include "http_int.h"

/* "\r\n\r" as the last three bytes before a LF ends a head. */
#define HTTP_WIN_CRLFCR 0x0d0a0dU

/*
 * Checks one new byte c of a head given the bytes before it in *win
 * (the last in the low byte).  Returns 1 when c ends the head, 0 to go
 * on, or HTTP_PARSE_ERROR with err set.
 */
static int
http_scan_byte(uint32_t *win, unsigned char c, struct duet_err *err)
{
	unsigned char prev = *win & 0xff;
	int end = 0;

	if (c == '\n') {
		if (prev != '\r')
			return http_fail(err, 400, "invalid line ending");
		end = (*win & 0xffffff) == HTTP_WIN_CRLFCR;
	} else if (prev == '\r') {
		return http_fail(err, 400, "invalid line ending");
	} else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
		return http_fail(err, 400, "invalid character in request head");
	}
	*win = (*win << 8) | c;
	return end;
}

/* Eight bytes of 0x01 and of 0x80, for tests of eight bytes at once. */
#define HTTP_ONES  0x0101010101010101ULL
#define HTTP_HIGHS 0x8080808080808080ULL

#ifdef __SSE2__
/*
 * http_ascii_run's sixteen bytes at a time (x86-64 has SSE2 always): a
 * signed compare with 0x20 finds the controls and the bytes >= 0x80 at
 * once.  Returns the length of the run at the start of b[0..n), or n
 * minus less than 16 when it has not ended by then (*ended 0).
 */
static size_t
http_ascii_run16(const unsigned char *b, size_t n, int *ended)
{
	const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
	size_t i;
	__m128i x;
	unsigned m;

	for (i = 0; n - i >= 16; i += 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
		m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmplt_epi8(x, space), _mm_cmpeq_epi8(x, del)));
		if (m != 0) {
			*ended = 1;
			return i + (size_t)__builtin_ctz(m);
		}
	}
	*ended = 0;
	return i;
}
#endif

/*
 * The length of the run of b[0..n) from its start that needs no look of
 * its own: visible ASCII and space, tested sixteen or eight bytes at a
 * time.  It stops at a tab, CR, LF, other control, DEL or byte >= 0x80,
 * which http_scan checks one by one.
 */
static size_t
http_ascii_run(const unsigned char *b, size_t n)
{
	size_t i = 0;
	uint64_t w, d;
#ifdef __SSE2__
	int ended;

	i = http_ascii_run16(b, n, &ended);
	if (ended)
		return i;
#endif
	for (; n - i >= 8; i += 8) {
		memcpy(&w, b + i, 8);
		d = w ^ (HTTP_ONES * 0x7f); /* a zero byte where w has DEL */
		/* A high bit per byte that stops the run; the lowest one
		 * set is exact (a borrow only carries past such a byte). */
		w = (((w - HTTP_ONES * 0x20) & ~w) | ((d - HTTP_ONES) & ~d) |
		        w) &
		    HTTP_HIGHS;
		if (w != 0) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return i + (size_t)__builtin_ctzll(w) / 8;
#else
			break;
#endif
		}
	}
	while (i < n && b[i] >= 0x20 && b[i] < 0x7f)
		i++;
	return i;
}

/* win after the run b[0..n): its last four bytes. */
static uint32_t
http_win_after(uint32_t win, const unsigned char *b, size_t n)
{
	size_t t;

	if (n >= 4)
		return (uint32_t)b[n - 4] << 24 | (uint32_t)b[n - 3] << 16 |
		    (uint32_t)b[n - 2] << 8 | b[n - 1];
	for (t = 0; t < n; t++)
		win = (win << 8) | b[t];
	return win;
}

/*
 * http_scan over one contiguous piece b[0..n) of the input, which starts
 * at offset *pos of it; *win holds the bytes before.  Returns 1 with *end
 * set, 0 with *pos and *win advanced past b, or HTTP_PARSE_ERROR.
 */
static int
http_scan_piece(struct http_parser *p, const unsigned char *b, size_t n,
    size_t *pos, uint32_t *win, size_t *end, struct duet_err *err)
{
	size_t i = 0, run;
	int r;

	for (; i < n && *pos < p->scanned; i++, (*pos)++)
		*win = (*win << 8) | b[i]; /* context, read again */
	while (i < n) {
		if ((*win & 0xff) != '\r') {
			/* A run of plain bytes has no state to check: win
			 * keeps its last four. */
			if ((run = http_ascii_run(b + i, n - i)) > 0) {
				*win = http_win_after(*win, b + i, run);
				i += run;
				*pos += run;
				if (i == n)
					break;
			}
			/* CRLF after anything but CR: a head ends after
			 * CRLF CRLF. */
			if (b[i] == '\r' && n - i >= 2 && b[i + 1] == '\n') {
				if ((*win & 0xffff) == 0x0d0a) {
					*end = *pos + 2;
					return 1;
				}
				*win = (*win << 16) | 0x0d0a;
				i += 2;
				*pos += 2;
				continue;
			}
		}
		if ((b[i] == '\t' || b[i] >= 0x80) && *pos < p->odd)
			p->odd = *pos;
		if ((r = http_scan_byte(win, b[i], err)) == 1) {
			*end = *pos + 1;
			return 1;
		}
		if (r != 0)
			return r;
		i++;
		(*pos)++;
	}
	return 0;
}

/*
 * Looks for the CRLF CRLF ending a head (or a trailer section) in the
 * first max bytes of in, from p->scanned on; the three bytes before it
 * are read again only as context.  win0 stands for the bytes before the
 * buffer.  The first tab or byte >= 0x80 is noted in p->odd.  Returns 1
 * with *end set to the head's length, 0 when more bytes are needed
 * (p->scanned advanced), or HTTP_PARSE_ERROR.
 */
int
http_scan(struct http_parser *p, struct evbuffer *in, size_t max, uint32_t win0,
    size_t *end, struct duet_err *err)
{
	size_t len = evbuffer_get_length(in), lim = len < max ? len : max;
	size_t pos = p->scanned >= 3 ? p->scanned - 3 : 0, stop;
	struct evbuffer_iovec v[8];
	struct evbuffer_ptr ptr;
	uint32_t win = pos == 0 ? win0 : 0;
	int n, k, r;

	while (pos < lim) {
		if (pos > 0 &&
		    evbuffer_ptr_set(in, &ptr, pos, EVBUFFER_PTR_SET) == -1)
			break;
		n = evbuffer_peek(
		    in, (ev_ssize_t)(lim - pos), pos > 0 ? &ptr : NULL, v, 8);
		if (n <= 0)
			break;
		for (k = 0; k < n && k < 8 && pos < lim; k++) {
			stop =
			    v[k].iov_len < lim - pos ? v[k].iov_len : lim - pos;
			r = http_scan_piece(
			    p, v[k].iov_base, stop, &pos, &win, end, err);
			if (r != 0)
				return r;
		}
	}
	p->scanned = lim;
	return 0;
}
