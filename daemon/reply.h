/* SPDX-License-Identifier: MIT */
/*
 * reply - L0: how one reply is encoded (struct reply_enc), and what a
 * writer of one wire format does (struct reply_writer).  There is one
 * writer per format: resp_reply.c writes every RESP byte of a reply,
 * http_reply.c every HTTP response byte, streams included.  The
 * connection (conn_reply.c) and the calls (call.c, call_stream.c) encode
 * through the writer their request chose and never name a protocol; they
 * keep the state (the reply queue, a stream's items and unsent bytes, its
 * backpressure), the writer keeps the bytes.  Knows nothing of sockets.
 */
#ifndef DUET_REPLY_H
#define DUET_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <msgpack.h>

struct duet_err;
struct http_resp;
struct reply_writer;

/* How a reply value is represented (CLIENT ENCODING, on RESP). */
enum reply_encoding {
	REPLY_ENC_NATIVE,  /* the wire format's own types */
	REPLY_ENC_MSGPACK, /* each argument and reply one msgpack value */
	REPLY_ENC_JSON,    /* each argument and reply one JSON text */
};

/* How the items of a stream reach the client. */
enum reply_stream {
	REPLY_STREAM_COLLECT,  /* kept, then sent as one array value */
	REPLY_STREAM_FRAMED,   /* sent as they come, each framed */
	REPLY_STREAM_TO_CLOSE, /* sent as they come, ended by closing */
};

/* How one reply is encoded: fixed by its request, borrowed by writers. */
struct reply_enc {
	const struct reply_writer *writer; /* the wire format */
	int encoding;                      /* enum reply_encoding */
	int resp3;                         /* RESP3 types */
	int closing;       /* the connection closes after this reply */
	size_t max_output; /* limits.max_output_bytes: no reply is larger */
	/* borrowed: HTTP's response settings (http_reply.h), unused by
	 * other writers */
	const struct http_resp *http;
	/* the session's mark on the reply (conn_proto.reply_tag): the id of
	 * a link's call that the link writer answers (link_client.c) */
	uint64_t tag;
};

/*
 * One wire format.  Every function appends to out and cannot fail: a
 * value that cannot be written (too large, no JSON form, out of memory)
 * is written as the error it meets.  The stream functions after
 * stream_mode are called only for a stream that is not collected.
 */
struct reply_writer {
	/* A successful reply: o, the unpacked value of the packed bytes
	 * mp (both borrowed). */
	void (*value)(const struct reply_enc *enc, struct evbuffer *out,
	    const msgpack_object *o, const char *mp, size_t len);
	/* An error reply. */
	void (*error)(const struct reply_enc *enc, struct evbuffer *out,
	    const struct duet_err *err);
	/* How a stream of this request's is sent.  A collected one ends
	 * with value (the array of its items) or error. */
	enum reply_stream (*stream_mode)(const struct reply_enc *enc);
	/* The stream's head, before its first body bytes. */
	void (*stream_head)(const struct reply_enc *enc, struct evbuffer *out);
	/* One item o (packed as mp) encoded at the end of body; *scratch is
	 * the stream's buffer for it, created on first use (owned by the
	 * caller).  Returns 0, or -1 with err set.  Any thread. */
	int (*stream_item)(const struct reply_enc *enc, struct evbuffer *body,
	    struct evbuffer **scratch, const msgpack_object *o, const char *mp,
	    size_t len, struct duet_err *err);
	/* Moves the body bytes in body (not empty) to out, framed. */
	void (*stream_body)(const struct reply_enc *enc, struct evbuffer *out,
	    struct evbuffer *body);
	/* Ends a stream whose head is out: err (NULL: none) as a last item
	 * (encoded in *scratch, as stream_item does), then the end of the
	 * body. */
	void (*stream_end)(const struct reply_enc *enc, struct evbuffer *out,
	    struct evbuffer **scratch, const struct duet_err *err);
};

#endif /* DUET_REPLY_H */
