/* SPDX-License-Identifier: MIT */
/*
 * fuzz_resp3 - libFuzzer entry for the RESP3 reply reader.  The first
 * input byte picks the limits: its low bits the nesting (1 to
 * FUZZ_NESTING, so that every packed value unpacks), its high bit small
 * caps on elements and bytes.  The rest is read as replies one after
 * another, as a link reads what the other daemon sends, until one is
 * incomplete or refused.  Properties, for each reply: measuring
 * (pk == NULL) and packing agree on the outcome and the length; a refusal
 * says why; an incomplete reply packs nothing; what is packed unpacks
 * completely, to the msgpack type its kind promises; and every shorter
 * prefix of a whole reply is "not yet", never a refusal.  And at each
 * reply, resp3_read_call() (a link's fast path for call pushes) is
 * checked against resp3_read() with the default limits, as the link
 * reads: see fuzz_resp3_call().
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "resp3.h"
#include "fuzz.h"

/* Prefixes are tried for replies up to this long (the check is n^2). */
#define FUZZ_PREFIX_MAX 512

/*
 * Whether a value of this kind may be packed as type.
 */
static int
fuzz_resp3_kind_fits(enum resp3_kind kind, msgpack_object_type type)
{
	switch (kind) {
	case RESP3_SIMPLE:
	case RESP3_BIGNUM:
		return type == MSGPACK_OBJECT_STR;
	case RESP3_ERROR:
		return type == MSGPACK_OBJECT_STR || type == MSGPACK_OBJECT_BIN;
	case RESP3_INT:
		return type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
	case RESP3_BULK:
		return type == MSGPACK_OBJECT_BIN;
	case RESP3_NULL:
		return type == MSGPACK_OBJECT_NIL;
	case RESP3_DOUBLE:
		return type == MSGPACK_OBJECT_FLOAT64;
	case RESP3_BOOL:
		return type == MSGPACK_OBJECT_BOOLEAN;
	case RESP3_ARRAY:
	case RESP3_PUSH:
		return type == MSGPACK_OBJECT_ARRAY;
	case RESP3_MAP:
		return type == MSGPACK_OBJECT_MAP;
	}
	return 0;
}

/*
 * Checks that the packed reply unpacks completely, as its kind says.
 */
static void
fuzz_resp3_unpack(const msgpack_sbuffer *sb, enum resp3_kind kind)
{
	msgpack_unpacked u;
	size_t off = 0;

	msgpack_unpacked_init(&u);
	FUZZ_CHECK(msgpack_unpack_next(&u, sb->data, sb->size, &off) ==
	    MSGPACK_UNPACK_SUCCESS);
	FUZZ_CHECK(off == sb->size);
	FUZZ_CHECK(fuzz_resp3_kind_fits(kind, u.data.type));
	msgpack_unpacked_destroy(&u);
}

/*
 * Reads the reply at p[0..len) twice, measuring and packing.  Returns
 * its length, 0 or -1, as resp3_read() does.
 */
static ssize_t
fuzz_resp3_one(const char *p, size_t len, const struct resp3_limits *lim)
{
	enum resp3_kind kind, kind2;
	char err[128] = "", err2[128] = "";
	msgpack_sbuffer sb;
	msgpack_packer pk;
	ssize_t n, m;
	size_t i;

	n = resp3_read(p, len, lim, &kind, NULL, err, sizeof(err));
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	m = resp3_read(p, len, lim, &kind2, &pk, err2, sizeof(err2));
	FUZZ_CHECK(n == m);
	if (n == -1)
		FUZZ_CHECK(err[0] != '\0' && strcmp(err, err2) == 0);
	if (n == 0)
		FUZZ_CHECK(sb.size == 0);
	if (n > 0) {
		FUZZ_CHECK((size_t)n <= len && kind == kind2);
		fuzz_resp3_unpack(&sb, kind);
	}
	msgpack_sbuffer_destroy(&sb);
	if (n > 0 && n <= FUZZ_PREFIX_MAX)
		for (i = 0; i < (size_t)n; i++)
			FUZZ_CHECK(resp3_read(p, i, lim, &kind, NULL, err,
			               sizeof(err)) == 0);
	return n;
}

/*
 * Whether o is a call push as resp3_read() packs it, ["call", id, name,
 * args] with a bin name and args; *call then points into o.
 */
static int
fuzz_resp3_as_call(const msgpack_object *o, struct resp3_call *call)
{
	const msgpack_object *v = o->via.array.ptr;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4 ||
	    v[0].type != MSGPACK_OBJECT_BIN || v[0].via.bin.size != 4 ||
	    memcmp(v[0].via.bin.ptr, "call", 4) != 0 ||
	    v[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    v[2].type != MSGPACK_OBJECT_BIN || v[3].type != MSGPACK_OBJECT_BIN)
		return 0;
	call->id = v[1].via.u64;
	call->name = v[2].via.bin.ptr;
	call->namelen = v[2].via.bin.size;
	call->args = v[3].via.bin.ptr;
	call->arglen = v[3].via.bin.size;
	return 1;
}

/*
 * Whether p[0..len) is call written as the hub writes it (SPEC 11).
 */
static int
fuzz_resp3_canonical(const char *p, size_t len, const struct resp3_call *call)
{
	char head[96];
	int n;

	n = snprintf(head, sizeof(head),
	    ">4\r\n$4\r\ncall\r\n:%" PRIu64 "\r\n$%zu\r\n", call->id,
	    call->namelen);
	if (n < 0 || (size_t)n + call->namelen + 2 > len ||
	    memcmp(p, head, (size_t)n) != 0)
		return 0;
	p += n;
	len -= (size_t)n;
	if (memcmp(p, call->name, call->namelen) != 0 ||
	    memcmp(p + call->namelen, "\r\n", 2) != 0)
		return 0;
	p += call->namelen + 2;
	len -= call->namelen + 2;
	n = snprintf(head, sizeof(head), "$%zu\r\n", call->arglen);
	return n > 0 && (size_t)n + call->arglen + 2 == len &&
	    memcmp(p, head, (size_t)n) == 0 &&
	    memcmp(p + n, call->args, call->arglen) == 0 &&
	    memcmp(p + n + call->arglen, "\r\n", 2) == 0;
}

/*
 * resp3_read_call() against resp3_read() with the default limits (a
 * link's): a frame it takes, resp3_read() reads to the same length as a
 * push of the same id, name and args (and each shorter prefix of it is
 * "more"); when it waits, resp3_read() waits; and a call push written
 * exactly as the hub writes one is never left to resp3_read().
 */
static void
fuzz_resp3_call(const char *p, size_t len)
{
	struct resp3_call call = {0}, want = {0};
	enum resp3_kind kind;
	msgpack_unpacked u;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	char err[128];
	ssize_t n, m;
	size_t i;
	int is_call = 0;

	n = resp3_read_call(p, len, &call);
	FUZZ_CHECK(n >= -1 && n <= (ssize_t)len);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	m = resp3_read(p, len, NULL, &kind, &pk, err, sizeof(err));
	msgpack_unpacked_init(&u);
	/* 32 deep (the default) may not unpack: not a call push, then. */
	if (m > 0 && kind == RESP3_PUSH &&
	    msgpack_unpack_next(&u, sb.data, sb.size, NULL) ==
	        MSGPACK_UNPACK_SUCCESS)
		is_call = fuzz_resp3_as_call(&u.data, &want);
	if (n == 0)
		FUZZ_CHECK(m == 0);
	if (n > 0) {
		FUZZ_CHECK(m == n && is_call);
		FUZZ_CHECK(call.id == want.id);
		FUZZ_CHECK(call.namelen == want.namelen &&
		    memcmp(call.name, want.name, want.namelen) == 0);
		FUZZ_CHECK(call.arglen == want.arglen &&
		    memcmp(call.args, want.args, want.arglen) == 0);
		FUZZ_CHECK(call.name > p && call.args > call.name &&
		    call.args + call.arglen + 2 == p + n);
		if (n <= FUZZ_PREFIX_MAX)
			for (i = 0; i < (size_t)n; i++)
				FUZZ_CHECK(resp3_read_call(p, i, &call) == 0);
	}
	if (n == -1 && is_call)
		FUZZ_CHECK(!fuzz_resp3_canonical(p, (size_t)m, &want));
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * The libFuzzer entry point.  Always returns 0.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resp3_limits lim = {0, 0, 0};
	const char *p;
	size_t len;
	ssize_t n;

	if (size == 0)
		return 0;
	lim.max_depth = 1 + (data[0] & 0x7f) % FUZZ_NESTING;
	if (data[0] & 0x80) {
		lim.max_bytes = 256;
		lim.max_elements = 8;
	}
	p = (const char *)data + 1;
	len = size - 1;
	for (;;) {
		fuzz_resp3_call(p, len);
		if (len == 0 || (n = fuzz_resp3_one(p, len, &lim)) <= 0)
			break;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
