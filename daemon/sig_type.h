/* SPDX-License-Identifier: MIT */
/*
 * sig_type - the types an argument can be declared with ("int", "str",
 * "map", ...): the enum, and its names as written in signatures.
 *
 * Layer L0 (pure).  The vocabulary that both signature (which parses
 * declarations of typed parameters, and packs their defaults with convert)
 * and convert (which turns text or msgpack into a value of a type) speak,
 * so neither includes the other's header for it: signature -> convert ->
 * sig_type, one way.
 */
#ifndef DUET_SIG_TYPE_H
#define DUET_SIG_TYPE_H

#include <stddef.h>

enum sig_type {
	SIG_INT,
	SIG_FLOAT,
	SIG_BOOL,
	SIG_STR,
	SIG_BYTES,
	SIG_ANY,
	SIG_JSON,
	SIG_ARRAY,
	SIG_MAP,
};

const char *sig_type_name(enum sig_type type);
int sig_type_parse(const char *s, size_t len, enum sig_type *out);

#endif /* DUET_SIG_TYPE_H */
