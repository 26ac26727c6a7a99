/* SPDX-License-Identifier: MIT */
/*
 * fuzz_json - libFuzzer entry for JSON <-> msgpack (convert_json.c).  The
 * input is JSON text, converted as a JSON body or argument is: by
 * convert_json_to_msgpack() and by convert_json_text() for the json,
 * array and map parameter types.  Properties, for text it accepts: the
 * msgpack passes convert_msgpack_check() and unpacks to exactly one value;
 * convert_msgpack_to_json() writes JSON that converts again, to the same
 * value (a float to the same bits; bin that is UTF-8 becomes str); and
 * one round trip reaches a fixed point (JSON written from msgpack that
 * came from JSON written by the encoder is the same text).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "convert.h"
#include "signature.h"
#include "util.h"
#include "fuzz.h"

/*
 * Converts JSON text to msgpack in mp, checks it, unpacks it into up and
 * writes its JSON into json.  Returns 0, or -1 if the text is refused.
 */
static int
fuzz_json_cycle(const char *text, size_t len, struct evbuffer *mp,
    msgpack_unpacked *up, struct evbuffer *json)
{
	struct duet_err err;
	msgpack_packer pk;
	size_t n, used, off = 0;
	const char *p;

	convert_packer_init(&pk, mp);
	if (convert_json_to_msgpack(
	        &pk, text, len, CONVERT_MAX_NESTING, &err) == -1) {
		FUZZ_CHECK(evbuffer_get_length(mp) == 0);
		FUZZ_CHECK(strncmp(err.msg, "invalid JSON", 12) == 0 ||
		    strncmp(err.msg, "JSON nested deeper", 18) == 0);
		return -1;
	}
	n = evbuffer_get_length(mp);
	p = (const char *)evbuffer_pullup(mp, -1);
	FUZZ_CHECK(
	    convert_msgpack_check(p, n, CONVERT_MAX_NESTING, &used, &err) == 0);
	FUZZ_CHECK(used == n);
	FUZZ_CHECK(
	    msgpack_unpack_next(up, p, n, &off) == MSGPACK_UNPACK_SUCCESS);
	FUZZ_CHECK(off == n);
	/* From JSON every float is finite: the encoder must not refuse. */
	FUZZ_CHECK(
	    convert_msgpack_to_json(json, &up->data, SIZE_MAX, &err) == 0);
	return 0;
}

/*
 * Whether b, read back from the JSON of a, is the same value: the same
 * type and bits, except that bin holding UTF-8 comes back as str (the
 * one conversion JSON text makes on the way; see convert_json.c).
 */
static int
fuzz_json_same(const msgpack_object *a, const msgpack_object *b)
{
	uint32_t i;

	if (a->type == MSGPACK_OBJECT_BIN && b->type == MSGPACK_OBJECT_STR)
		return a->via.bin.size == b->via.str.size &&
		    util_utf8_valid(b->via.str.ptr, b->via.str.size) &&
		    (a->via.bin.size == 0 ||
		        memcmp(a->via.bin.ptr, b->via.str.ptr,
		            a->via.bin.size) == 0);
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case MSGPACK_OBJECT_ARRAY:
		if (a->via.array.size != b->via.array.size)
			return 0;
		for (i = 0; i < a->via.array.size; i++) {
			if (!fuzz_json_same(
			        &a->via.array.ptr[i], &b->via.array.ptr[i]))
				return 0;
		}
		return 1;
	case MSGPACK_OBJECT_MAP:
		if (a->via.map.size != b->via.map.size)
			return 0;
		for (i = 0; i < a->via.map.size; i++) {
			if (!fuzz_json_same(&a->via.map.ptr[i].key,
			        &b->via.map.ptr[i].key) ||
			    !fuzz_json_same(
			        &a->via.map.ptr[i].val, &b->via.map.ptr[i].val))
				return 0;
		}
		return 1;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return memcmp(&a->via.f64, &b->via.f64, sizeof(double)) == 0;
	case MSGPACK_OBJECT_STR:
	case MSGPACK_OBJECT_BIN:
		return a->via.str.size == b->via.str.size &&
		    (a->via.str.size == 0 ||
		        memcmp(a->via.str.ptr, b->via.str.ptr,
		            a->via.str.size) == 0);
	case MSGPACK_OBJECT_BOOLEAN:
		return a->via.boolean == b->via.boolean;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return a->via.u64 == b->via.u64;
	default:
		return 1; /* nil */
	}
}

/* convert_json_text() for a type: packs exactly one value, or nothing. */
static void
fuzz_json_typed(const char *text, size_t len, enum sig_type type)
{
	struct evbuffer *buf = evbuffer_new();
	struct duet_err err;
	msgpack_packer pk;
	msgpack_unpacked up;
	size_t off = 0;

	convert_packer_init(&pk, buf);
	msgpack_unpacked_init(&up);
	if (convert_json_text(
	        &pk, type, text, len, CONVERT_MAX_NESTING, &err) == -1) {
		FUZZ_CHECK(evbuffer_get_length(buf) == 0);
		goto done;
	}
	FUZZ_CHECK(
	    msgpack_unpack_next(&up, (const char *)evbuffer_pullup(buf, -1),
	        evbuffer_get_length(buf), &off) == MSGPACK_UNPACK_SUCCESS);
	FUZZ_CHECK(off == evbuffer_get_length(buf));
	FUZZ_CHECK(type != SIG_ARRAY || up.data.type == MSGPACK_OBJECT_ARRAY);
	FUZZ_CHECK(type != SIG_MAP || up.data.type == MSGPACK_OBJECT_MAP);
done:
	msgpack_unpacked_destroy(&up);
	evbuffer_free(buf);
}

/*
 * The libFuzzer entry point.  Always returns 0.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *mp1 = evbuffer_new(), *json1 = evbuffer_new();
	struct evbuffer *mp2 = evbuffer_new(), *json2 = evbuffer_new();
	const char *text = (const char *)data;
	msgpack_unpacked up1, up2;
	size_t len1;

	msgpack_unpacked_init(&up1);
	msgpack_unpacked_init(&up2);
	fuzz_json_typed(text, size, SIG_JSON);
	fuzz_json_typed(text, size, SIG_ARRAY);
	fuzz_json_typed(text, size, SIG_MAP);
	if (fuzz_json_cycle(text, size, mp1, &up1, json1) == -1)
		goto done;
	/* What the encoder wrote is JSON, and one round trip later the
	 * same JSON. */
	len1 = evbuffer_get_length(json1);
	FUZZ_CHECK(fuzz_json_cycle((const char *)evbuffer_pullup(json1, -1),
	               len1, mp2, &up2, json2) == 0);
	FUZZ_CHECK(evbuffer_get_length(json2) == len1);
	FUZZ_CHECK(memcmp(evbuffer_pullup(json1, -1),
	               evbuffer_pullup(json2, -1), len1) == 0);
	FUZZ_CHECK(fuzz_json_same(&up1.data, &up2.data));
done:
	msgpack_unpacked_destroy(&up1);
	msgpack_unpacked_destroy(&up2);
	evbuffer_free(mp1);
	evbuffer_free(json1);
	evbuffer_free(mp2);
	evbuffer_free(json2);
	return 0;
}
