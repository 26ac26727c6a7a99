/* SPDX-License-Identifier: MIT */
/*
 * fuzz - what the libFuzzer entries of tests/fuzz share: the entry
 * point, the nesting they allow, and FUZZ_CHECK, which aborts on a
 * violated property so that libFuzzer (or `make check`, replaying the
 * seeds) stops on the input that broke it.
 */
#ifndef DUET_FUZZ_H
#define DUET_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The msgpack and JSON nesting the targets allow (limits.max_nesting).
 * XXX issue 9 item 0: a map keyed by a map keyed by a map ... doubles its
 * JSON text at every level (2^28 bytes at 28 levels), so a fuzzer stuck on
 * that would time out instead of looking further.  Raise this to
 * CONVERT_MAX_NESTING once the JSON encoder is bounded.
 */
#define FUZZ_NESTING 16

/* Aborts, naming the property, unless cond holds. */
#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: property failed: %s\n",        \
			    __FILE__, __LINE__, #cond);                        \
			abort();                                               \
		}                                                              \
	} while (0)

#endif /* DUET_FUZZ_H */
