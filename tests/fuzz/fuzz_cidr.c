/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cidr - libFuzzer entry for address ranges (cidr.c).  The input is
 *	RANGE [ '\n' ADDRESS ]
 * where RANGE is the text of an access list item and ADDRESS, when at
 * least 16 bytes follow the newline, a peer in IPv6 form.  Properties: a
 * parsed range has a prefix of at most 128 and no bit set past it, its
 * text form parses back to the same range, it contains its own address,
 * and cidr_match agrees with a bit-by-bit comparison for the peer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cidr.h"
#include "fuzz.h"

/* Bit i (0 = most significant) of a 16-byte address. */
static int
fuzz_cidr_bit(const uint8_t *a, unsigned i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

static void
fuzz_cidr_check(const struct cidr *r, const uint8_t *peer)
{
	char text[CIDR_TEXT_MAX];
	struct cidr again;
	unsigned i;
	int in = 1;

	FUZZ_CHECK(r->prefix <= 128);
	for (i = r->prefix; i < 128; i++)
		FUZZ_CHECK(fuzz_cidr_bit(r->addr, i) == 0);
	FUZZ_CHECK(cidr_format(r, text, sizeof(text)) < sizeof(text));
	FUZZ_CHECK(cidr_parse(text, strlen(text), &again) == CIDR_OK);
	FUZZ_CHECK(again.prefix == r->prefix);
	FUZZ_CHECK(memcmp(again.addr, r->addr, 16) == 0);
	FUZZ_CHECK(cidr_match(r, r->addr));
	FUZZ_CHECK(cidr_list_match(r, 1, r->addr));
	if (peer == NULL)
		return;
	for (i = 0; i < r->prefix; i++)
		if (fuzz_cidr_bit(r->addr, i) != fuzz_cidr_bit(peer, i))
			in = 0;
	FUZZ_CHECK(cidr_match(r, peer) == in);
}

/*
 * The libFuzzer entry point.  Always returns 0.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t len = nl != NULL ? (size_t)(nl - data) : size;
	const uint8_t *peer = NULL;
	struct cidr r;

	if (nl != NULL && size - len - 1 >= 16)
		peer = nl + 1;
	if (cidr_parse((const char *)data, len, &r) == CIDR_OK)
		fuzz_cidr_check(&r, peer);
	return 0;
}
