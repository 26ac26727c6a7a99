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
 * The msgpack and JSON nesting the targets allow (limits.max_nesting):
 * two levels below msgpack-c's 32, so that what is built on a value (the
 * argument array and a variadic array; {"$base64":...} in JSON) unpacks.
 */
#define FUZZ_NESTING 30

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
