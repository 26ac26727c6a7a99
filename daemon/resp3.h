/* SPDX-License-Identifier: MIT */
/*
 * resp3 - L0: a reader of RESP3 (and RESP2) *replies*, what a client
 * reads from a server: the one duetd needs at the dialling end of a link
 * (SPEC 11), where the other daemon answers commands and sends push
 * frames.  resp.c parses requests; this parses every reply type:
 * + - : $ * _ , # ! = ( % ~ > and | (an attribute, skipped).  Pure: bytes
 * in, a msgpack value out; no sockets, no daemon state.  And
 * resp3_read_call(), the one-pass reader of the frame a link reads most,
 * a call push, in place.  Fuzzed (fuzz_resp3), the latter against the
 * former.
 */
#ifndef DUET_RESP3_H
#define DUET_RESP3_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

/* The type of a reply's outermost value. */
enum resp3_kind {
	RESP3_SIMPLE, /* +text */
	RESP3_ERROR,  /* -CODE text, or !<len> (a blob error) */
	RESP3_INT,    /* :n */
	RESP3_BULK,   /* $<len>, or =<len> (verbatim: its "txt:" kept) */
	RESP3_NULL,   /* _, $-1, *-1 */
	RESP3_DOUBLE, /* ,d */
	RESP3_BOOL,   /* #t / #f */
	RESP3_BIGNUM, /* (digits */
	RESP3_ARRAY,  /* *n, or ~n (a set) */
	RESP3_MAP,    /* %n */
	RESP3_PUSH,   /* >n: out of band, not the answer to a command */
};

/* Limits on one reply. */
struct resp3_limits {
	size_t max_depth;    /* nesting of aggregates; 0: 32 */
	size_t max_bytes;    /* the whole reply's wire bytes; 0: 512 MiB */
	size_t max_elements; /* elements of one aggregate; 0: 1M */
};

/*
 * Reads the one reply that starts at p[0..len).  Returns its length in
 * bytes (> 0) with *kind the type of its outermost value and the value
 * packed into pk (which may be NULL: only measure it); 0 when len holds
 * only part of it (pk untouched: call again with more bytes); -1 when it
 * is malformed or over a limit, with a one-line reason in err (pk may
 * hold a part: the caller discards it).
 *
 * Packed as: simple string, error (its whole text, "CODE message"),
 * big number -> str; bulk, verbatim, blob error -> bin (the bytes as
 * sent, verbatim's "txt:" prefix removed); integer -> int; double ->
 * float64 (inf, -inf, nan too); boolean -> bool; null -> nil; array, set,
 * push -> array; map -> map.  An attribute before a value is skipped.
 * An error inside an aggregate is packed as its str.
 */
ssize_t resp3_read(const char *p, size_t len, const struct resp3_limits *lim,
    enum resp3_kind *kind, msgpack_packer *pk, char *err, size_t errlen);

/*
 * The longest frame resp3_read_call() takes: half resp3_read()'s default
 * max_bytes, so that no limit of that reader is reached by a prefix of it.
 */
#define RESP3_CALL_MAX ((size_t)256 << 20)

/*
 * A link's call push (SPEC 11) read in place by resp3_read_call(): the
 * pointers are borrowed from its bytes.
 */
struct resp3_call {
	uint64_t id;
	const char *name; /* the command's name, namelen bytes */
	size_t namelen;
	const char *args; /* the msgpack array of arguments, unchecked */
	size_t arglen;
};

/*
 * Reads, in one pass and without packing anything, the call push that
 * starts at p[0..len) when it has exactly the shape the hub writes:
 * >4 $4 call :<id> $<name> $<args>, the id and lengths in canonical
 * decimal, the whole frame at most RESP3_CALL_MAX bytes.  Returns its
 * length (> 0) with *call filled; 0 when the bytes so far begin such a
 * frame (more must come); -1 when they do not: the reply is another
 * (or malformed), for resp3_read() to read.  Whenever it returns a
 * length, resp3_read() reads the same length and the same values
 * (["call", id, name, args]), and whenever it returns 0, resp3_read()
 * with the default limits does too.  Thread-safe.
 */
ssize_t resp3_read_call(const char *p, size_t len, struct resp3_call *call);

#endif /* DUET_RESP3_H */
