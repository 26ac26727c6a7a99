/* SPDX-License-Identifier: MIT */
/*
 * resp3 - L0: a reader of RESP3 (and RESP2) *replies*, what a client
 * reads from a server: the one duetd needs at the dialling end of a link
 * (SPEC 11), where the other daemon answers commands and sends push
 * frames.  resp.c parses requests; this parses every reply type:
 * + - : $ * _ , # ! = ( % ~ > and | (an attribute, skipped).  Pure: bytes
 * in, a msgpack value out; no sockets, no daemon state.  Fuzzed
 * (fuzz_resp3).
 */
#ifndef DUET_RESP3_H
#define DUET_RESP3_H

#include <sys/types.h>

#include <stddef.h>

#include <msgpack.h>

/* The type of a reply's outermost value. */
enum resp3_kind {
	RESP3_SIMPLE,   /* +text */
	RESP3_ERROR,    /* -CODE text, or !<len> (a blob error) */
	RESP3_INT,      /* :n */
	RESP3_BULK,     /* $<len>, or =<len> (verbatim: its "txt:" kept) */
	RESP3_NULL,     /* _, $-1, *-1 */
	RESP3_DOUBLE,   /* ,d */
	RESP3_BOOL,     /* #t / #f */
	RESP3_BIGNUM,   /* (digits */
	RESP3_ARRAY,    /* *n, or ~n (a set) */
	RESP3_MAP,      /* %n */
	RESP3_PUSH,     /* >n: out of band, not the answer to a command */
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

#endif /* DUET_RESP3_H */
