/* SPDX-License-Identifier: MIT */
/*
 * fuzz_msgpack - libFuzzer entry for untrusted msgpack, as a client sends
 * it (an HTTP body, an argument under CLIENT ENCODING msgpack): the input
 * goes through convert_msgpack_check() and, when that accepts it,
 * msgpack-c's unpacker, then every converter a reply or an argument
 * meets: RESP2 and RESP3, the msgpack reply rewrite, the typed checks of
 * each signature type, and JSON.  Properties: what the check accepts
 * unpacks to exactly the bytes it measured; what a typed check packs
 * unpacks again; the JSON written parses again, and is refused (leaving
 * the output as it was) only for what JSON cannot carry.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "convert.h"
#include "resp_reply.h"
#include "signature.h"
#include "util.h"
#include "fuzz.h"

/*
 * Whether o holds what JSON cannot carry: a float that is NaN or an
 * infinity, or (issue 9 item 0) a map key that is an array or a map.
 */
static int
fuzz_msgpack_unjsonable(const msgpack_object *o)
{
	const msgpack_object *k;
	uint32_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return !isfinite(o->via.f64);
	case MSGPACK_OBJECT_ARRAY:
		for (i = 0; i < o->via.array.size; i++) {
			if (fuzz_msgpack_unjsonable(&o->via.array.ptr[i]))
				return 1;
		}
		return 0;
	case MSGPACK_OBJECT_MAP:
		for (i = 0; i < o->via.map.size; i++) {
			k = &o->via.map.ptr[i].key;
			if (k->type == MSGPACK_OBJECT_ARRAY ||
			    k->type == MSGPACK_OBJECT_MAP ||
			    fuzz_msgpack_unjsonable(k) ||
			    fuzz_msgpack_unjsonable(&o->via.map.ptr[i].val))
				return 1;
		}
		return 0;
	default:
		return 0;
	}
}

/* The buffer's bytes are exactly one msgpack value. */
static void
fuzz_msgpack_unpacks(struct evbuffer *buf)
{
	size_t len = evbuffer_get_length(buf), off = 0;
	const char *p = (const char *)evbuffer_pullup(buf, -1);
	msgpack_unpacked up;

	msgpack_unpacked_init(&up);
	FUZZ_CHECK(
	    msgpack_unpack_next(&up, p, len, &off) == MSGPACK_UNPACK_SUCCESS);
	FUZZ_CHECK(off == len);
	msgpack_unpacked_destroy(&up);
}

/* Each signature type's check, as a typed argument meets it. */
static void
fuzz_msgpack_typed(const msgpack_object *o)
{
	struct evbuffer *buf = evbuffer_new();
	struct duet_err err;
	msgpack_packer pk;
	int t;

	convert_packer_init(&pk, buf);
	for (t = SIG_INT; t <= SIG_MAP; t++) {
		if (convert_typed(&pk, o, (enum sig_type)t, &err) == 0)
			fuzz_msgpack_unpacks(buf);
		evbuffer_drain(buf, evbuffer_get_length(buf));
	}
	evbuffer_free(buf);
}

/* The JSON of o parses again (its nesting may grow by one: bin). */
static void
fuzz_msgpack_json(const msgpack_object *o)
{
	struct evbuffer *json = evbuffer_new(), *back = evbuffer_new();
	struct duet_err err;
	msgpack_packer pk;
	size_t len;
	const char *p;

	if (convert_msgpack_to_json(json, o, SIZE_MAX, &err) == -1) {
		FUZZ_CHECK(evbuffer_get_length(json) == 0);
		FUZZ_CHECK(fuzz_msgpack_unjsonable(o));
		goto done;
	}
	len = evbuffer_get_length(json);
	p = (const char *)evbuffer_pullup(json, -1);
	convert_packer_init(&pk, back);
	FUZZ_CHECK(
	    convert_json_to_msgpack(&pk, p, len, FUZZ_NESTING + 1, &err) == 0);
	fuzz_msgpack_unpacks(back);
done:
	evbuffer_free(json);
	evbuffer_free(back);
}

/*
 * The libFuzzer entry point.  Always returns 0.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct evbuffer *out = evbuffer_new();
	struct duet_err err;
	msgpack_unpacked up;
	size_t used, off = 0, len;
	char buf[64];
	const char *mp;
	int rv;

	msgpack_unpacked_init(&up);
	if (convert_msgpack_check(p, size, FUZZ_NESTING, &used, &err) == -1)
		goto done;
	FUZZ_CHECK(used > 0 && used <= size);
	rv = msgpack_unpack_next(&up, p, size, &off);
	FUZZ_CHECK(rv == MSGPACK_UNPACK_SUCCESS);
	FUZZ_CHECK(off == used);
	resp_add_msgpack(out, &up.data, 0);
	resp_add_msgpack(out, &up.data, 1);
	len = used;
	mp = convert_msgpack_reply(
	    &up.data, p, &len, buf, sizeof(buf), SIZE_MAX, NULL);
	FUZZ_CHECK(mp == p ? len == used : len <= sizeof(buf));
	fuzz_msgpack_typed(&up.data);
	fuzz_msgpack_json(&up.data);
done:
	msgpack_unpacked_destroy(&up);
	evbuffer_free(out);
	return 0;
}
