/* SPDX-License-Identifier: MIT */
/*
 * sig_type - names of the argument types, both ways.
 *
 * Layer L0 (pure): a table and two look-ups; parsing whole signatures is
 * signature's, converting values to a type is convert's.
 */
#include "autoconf.h"

#include <string.h>

#include "sig_type.h"

static const char *const sig_type_names[] = {
    [SIG_INT] = "int",
    [SIG_FLOAT] = "float",
    [SIG_BOOL] = "bool",
    [SIG_STR] = "str",
    [SIG_BYTES] = "bytes",
    [SIG_ANY] = "any",
    [SIG_JSON] = "json",
    [SIG_ARRAY] = "array",
    [SIG_MAP] = "map",
};

#define SIG_NTYPES (sizeof(sig_type_names) / sizeof(sig_type_names[0]))

/*
 * Returns the name of a type as written in signatures ("int"), or "?" for
 * a value outside the enum.
 */
const char *
sig_type_name(enum sig_type type)
{
	if ((size_t)type >= SIG_NTYPES)
		return "?";
	return sig_type_names[type];
}

/*
 * Parses a type name of len bytes (exact, lower case) into *out.  Returns 0,
 * or -1 if it names no type.
 */
int
sig_type_parse(const char *s, size_t len, enum sig_type *out)
{
	size_t i;

	for (i = 0; i < SIG_NTYPES; i++) {
		if (strlen(sig_type_names[i]) == len &&
		    memcmp(sig_type_names[i], s, len) == 0) {
			*out = (enum sig_type)i;
			return 0;
		}
	}
	return -1;
}
