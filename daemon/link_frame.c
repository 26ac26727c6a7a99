/* SPDX-License-Identifier: MIT */
/*
 * link_frame - L0: the RESP frames the dialling end of a link writes
 * (SPEC 11).  Its link logs in with CLIENT ENCODING MSGPACK, so every
 * argument after a command's name is one msgpack value in a bulk; and
 * link_frame_writer, the reply_writer of its session, answers the other
 * end's calls as LINK REPLY <id> <value> NOREPLY or LINK ERROR <id>
 * <code> <message> NOREPLY (the id is struct reply_enc.tag), each made
 * on the stack and added to the output at once when it fits LF_ANSWER
 * bytes.  Bytes in, bytes out: no sockets, no daemon state.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include <duet/plugin.h>

#include "link_frame.h"
#include "reply.h"
#include "resp_reply.h"
#include "util.h"

/* A bulk up to this long is made on the stack and added at once. */
#define LF_SMALL 224

/* A msgpack str or bin head for len bytes into buf; returns its size. */
static size_t
lc_mp_head(unsigned char *buf, int bin, size_t len)
{
	if (!bin && len < 32) {
		buf[0] = (unsigned char)(0xa0 | len);
		return 1;
	}
	if (len < 256) {
		buf[0] = bin ? 0xc4 : 0xd9;
		buf[1] = (unsigned char)len;
		return 2;
	}
	if (len < 65536) {
		buf[0] = bin ? 0xc5 : 0xda;
		buf[1] = (unsigned char)(len >> 8);
		buf[2] = (unsigned char)len;
		return 3;
	}
	buf[0] = bin ? 0xc6 : 0xdb;
	buf[1] = (unsigned char)(len >> 24);
	buf[2] = (unsigned char)(len >> 16);
	buf[3] = (unsigned char)(len >> 8);
	buf[4] = (unsigned char)len;
	return 5;
}

/*
 * Writes at q one RESP bulk holding p as a msgpack str (bin 0) or bin
 * (bin 1); returns the end (q has room for LF_MP_MAX(len) bytes).
 */
static char *
lf_mp(char *q, int bin, const void *p, size_t len)
{
	unsigned char head[5];
	size_t n = lc_mp_head(head, bin, len);

	q = resp_put_head(q, '$', n + len);
	memcpy(q, head, n);
	memcpy(q + n, p, len);
	q += n + len;
	*q++ = '\r';
	*q++ = '\n';
	return q;
}

/* The most lf_mp writes for len bytes: head, msgpack head, CRLF. */
#define LF_MP_MAX(len) (23 + 5 + (len) + 2)

/* One RESP bulk holding p as a msgpack str (bin 0) or bin (bin 1). */
void
link_frame_mp(struct evbuffer *out, int bin, const void *p, size_t len)
{
	unsigned char head[5];
	char buf[LF_MP_MAX(LF_SMALL)];
	size_t n;

	if (len <= LF_SMALL) {
		evbuffer_add(out, buf, (size_t)(lf_mp(buf, bin, p, len) - buf));
		return;
	}
	n = lc_mp_head(head, bin, len);
	resp_add_bulk_head(out, n + len);
	evbuffer_add(out, head, n);
	evbuffer_add(out, p, len);
	evbuffer_add(out, "\r\n", 2);
}

void
link_frame_mp_cstr(struct evbuffer *out, const char *s)
{
	link_frame_mp(out, 0, s, strlen(s));
}

/*
 * A call to the other end: the push >4 call <id> <name> <args> (args: the
 * msgpack array of its arguments, as they are), added at once when it is
 * small.
 */
void
link_frame_call(struct evbuffer *out, uint64_t id, const char *name,
    size_t namelen, const char *args, size_t arglen)
{
	static const char lead[] = ">4\r\n$4\r\ncall\r\n";
	char buf[sizeof(lead) - 1 + 3 * 24 + 2 * LF_SMALL + 4], *q = buf;

	memcpy(q, lead, sizeof(lead) - 1);
	q = resp_put_head(q + sizeof(lead) - 1, ':', id);
	if (namelen > LF_SMALL || arglen > LF_SMALL) {
		evbuffer_add(out, buf, (size_t)(q - buf));
		resp_add_bulk(out, name, namelen);
		resp_add_bulk(out, args, arglen);
		return;
	}
	q = resp_put_head(q, '$', namelen);
	memcpy(q, name, namelen);
	q += namelen;
	*q++ = '\r';
	*q++ = '\n';
	q = resp_put_head(q, '$', arglen);
	memcpy(q, args, arglen);
	q += arglen;
	*q++ = '\r';
	*q++ = '\n';
	evbuffer_add(out, buf, (size_t)(q - buf));
}

/* A whole answer up to this long is made on the stack and added at once. */
#define LF_ANSWER 512

/* The words of an answer around its id and its value or error. */
#define LF_REPLY_HEAD "*5\r\n$4\r\nLINK\r\n$6\r\n\xa5REPLY\r\n"
#define LF_ERROR_HEAD                                                          \
	"*6\r\n$4\r\nLINK\r\n$6\r\n\xa5"                                       \
	"ERROR\r\n"
#define LF_NOREPLY     "$8\r\n\xa7NOREPLY\r\n"
#define LF_LIT(q, lit) lf_put((q), (lit), sizeof(lit) - 1)

/* Copies len bytes of p to q; returns their end. */
static char *
lf_put(char *q, const char *p, size_t len)
{
	memcpy(q, p, len);
	return q + len;
}

/* The most the head of an answer takes: its first words and the id. */
#define LF_ANSWER_HEAD (sizeof(LF_REPLY_HEAD) - 1 + LF_MP_MAX(20))

/* The longest value of a LINK REPLY, and code and message together of a
 * LINK ERROR, that LF_ANSWER holds with its head and NOREPLY. */
#define LF_REPLY_SMALL                                                         \
	(LF_ANSWER - LF_ANSWER_HEAD - LF_MP_MAX(0) - (sizeof(LF_NOREPLY) - 1))
#define LF_ERROR_SMALL (LF_REPLY_SMALL - LF_MP_MAX(0))

/* Writes the id of a call at q as a msgpack str in a bulk; returns the end
 * (room for LF_MP_MAX(20)). */
static char *
lf_id(char *q, uint64_t id)
{
	char num[20];

	return lf_mp(q, 0, num, (size_t)(resp_put_u64(num, id) - num));
}

/*
 * reply_writer.value: LINK REPLY <id> <the value's msgpack, as bin>
 * NOREPLY.  The other end answers nothing, so an answer written late (a
 * slow command's, in the reply queue) needs no place among the answers
 * this session waits for, and what it writes out of band goes first.
 * An answer up to LF_ANSWER bytes is one evbuffer_add.
 */
static void
lc_write_value(const struct reply_enc *enc, struct evbuffer *out,
    const msgpack_object *o, const char *mp, size_t len)
{
	char buf[LF_ANSWER], *q;

	(void)o;
	q = lf_id(LF_LIT(buf, LF_REPLY_HEAD), enc->tag);
	if (len <= LF_REPLY_SMALL) {
		q = lf_mp(q, 1, mp, len);
		q = LF_LIT(q, LF_NOREPLY);
		evbuffer_add(out, buf, (size_t)(q - buf));
		return;
	}
	evbuffer_add(out, buf, (size_t)(q - buf));
	link_frame_mp(out, 1, mp, len);
	LINK_FRAME_LIT(out, LF_NOREPLY);
}

/*
 * reply_writer.error: LINK ERROR <id> <code> <message> NOREPLY, one
 * evbuffer_add up to LF_ANSWER bytes.
 */
static void
lc_write_error(const struct reply_enc *enc, struct evbuffer *out,
    const struct duet_err *err)
{
	size_t clen = strlen(err->code), mlen = strlen(err->msg);
	char buf[LF_ANSWER], *q;

	q = lf_id(LF_LIT(buf, LF_ERROR_HEAD), enc->tag);
	if (clen + mlen <= LF_ERROR_SMALL) {
		q = lf_mp(q, 0, err->code, clen);
		q = lf_mp(q, 0, err->msg, mlen);
		q = LF_LIT(q, LF_NOREPLY);
		evbuffer_add(out, buf, (size_t)(q - buf));
		return;
	}
	evbuffer_add(out, buf, (size_t)(q - buf));
	link_frame_mp(out, 0, err->code, clen);
	link_frame_mp(out, 0, err->msg, mlen);
	LINK_FRAME_LIT(out, LF_NOREPLY);
}

/* A stream is collected: its items reach the other end as one array. */
static enum reply_stream
lc_stream_mode(const struct reply_enc *enc)
{
	(void)enc;
	return REPLY_STREAM_COLLECT;
}

static void
lc_stream_head(const struct reply_enc *enc, struct evbuffer *out)
{
	(void)enc;
	(void)out;
}

static int
lc_stream_item(const struct reply_enc *enc, struct evbuffer *body,
    struct evbuffer **scratch, const msgpack_object *o, const char *mp,
    size_t len, struct duet_err *err)
{
	(void)enc;
	(void)body;
	(void)scratch;
	(void)o;
	(void)mp;
	(void)len;
	(void)err;
	return 0;
}

static void
lc_stream_body(
    const struct reply_enc *enc, struct evbuffer *out, struct evbuffer *body)
{
	(void)enc;
	(void)out;
	(void)body;
}

static void
lc_stream_end(const struct reply_enc *enc, struct evbuffer *out,
    struct evbuffer **scratch, const struct duet_err *err)
{
	(void)scratch;
	if (err != NULL)
		lc_write_error(enc, out, err);
}

const struct reply_writer link_frame_writer = {
    .value = lc_write_value,
    .error = lc_write_error,
    .stream_mode = lc_stream_mode,
    .stream_head = lc_stream_head,
    .stream_item = lc_stream_item,
    .stream_body = lc_stream_body,
    .stream_end = lc_stream_end,
};
