/* SPDX-License-Identifier: MIT */
/*
 * fuzz_glob - libFuzzer entry for channel patterns (util_glob_match).
 * The input is
 *	PATTERN [ '\n' SUBJECT ]
 * both any bytes.  Property: util_glob_match, which backtracks to the
 * last '*' only, agrees with a table of every (pattern position, subject
 * position) pair filled from the end (no backtracking at all), and so
 * ends on every input in time linear in their product.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "util.h"

/* Longer inputs are cut: the table is FUZZ_GLOB_MAX squared. */
#define FUZZ_GLOB_MAX 256

/*
 * The element of pat at p: its length in *elen, and whether it accepts
 * byte c.  '*' is never passed.
 */
static int
fuzz_glob_elem(
    const uint8_t *pat, size_t plen, size_t p, uint8_t c, size_t *elen)
{
	size_t q;
	int neg, in = 0;

	if (pat[p] == '\\' && p + 1 < plen) {
		*elen = 2;
		return pat[p + 1] == c;
	}
	*elen = 1;
	if (pat[p] == '?')
		return 1;
	if (pat[p] != '[')
		return pat[p] == c;
	q = p + 1;
	neg = q < plen && pat[q] == '^';
	q += (size_t)neg;
	while (q < plen && pat[q] != ']') {
		uint8_t a, b;

		if (pat[q] == '\\' && q + 1 < plen)
			q++;
		a = b = pat[q];
		if (q + 2 < plen && pat[q + 1] == '-' && pat[q + 2] != ']') {
			b = pat[q + 2];
			q += 2;
		}
		if ((c >= a && c <= b) || (c >= b && c <= a))
			in = 1;
		q++;
	}
	*elen = (q < plen ? q + 1 : q) - p;
	return in != neg;
}

static uint8_t fuzz_glob_table[FUZZ_GLOB_MAX + 1][FUZZ_GLOB_MAX + 1];

/* match[p][i]: pat[p..] matches s[i..]. */
static int
fuzz_glob_reference(
    const uint8_t *pat, size_t plen, const uint8_t *s, size_t slen)
{
	size_t p, i, elen;

	for (p = plen + 1; p-- > 0;) {
		for (i = slen + 1; i-- > 0;) {
			uint8_t m;

			if (p == plen)
				m = i == slen;
			else if (pat[p] == '*')
				m = fuzz_glob_table[p + 1][i] ||
				    (i < slen && fuzz_glob_table[p][i + 1]);
			else
				m = i < slen &&
				    fuzz_glob_elem(pat, plen, p, s[i], &elen) &&
				    fuzz_glob_table[p + elen][i + 1];
			fuzz_glob_table[p][i] = m;
		}
	}
	return fuzz_glob_table[0][0];
}

/*
 * The libFuzzer entry point.  Always returns 0.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl != NULL ? (size_t)(nl - data) : size;
	const uint8_t *s = nl != NULL ? nl + 1 : data + size;
	size_t slen = nl != NULL ? size - plen - 1 : 0;

	if (plen > FUZZ_GLOB_MAX)
		plen = FUZZ_GLOB_MAX;
	if (slen > FUZZ_GLOB_MAX)
		slen = FUZZ_GLOB_MAX;
	FUZZ_CHECK(util_glob_match((const char *)data, plen, (const char *)s,
	               slen) == fuzz_glob_reference(data, plen, s, slen));
	return 0;
}
