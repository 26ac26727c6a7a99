/* SPDX-License-Identifier: MIT */
/*
 * cidr - address ranges as written in duetd.yaml's access lists
 * ("10.0.0.0/8", "::1", "10.0.0.13", "::ffff:1.2.3.4/120") and the match
 * of a peer's socket address against them.  Every address is kept in its
 * IPv6 form, an IPv4 one as ::ffff:a.b.c.d with its prefix moved up by
 * 96 bits, so an IPv4-mapped IPv6 peer matches IPv4 rules and one
 * comparison serves both families.  Layer L0: no state, no sockets of
 * its own; fuzzed (tests/fuzz/fuzz_cidr.c).
 */
#ifndef DUET_CIDR_H
#define DUET_CIDR_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#define CIDR_TEXT_MAX 64 /* longest range we read, "/128" included */

/* One range: the address (host bits cleared) and the prefix length. */
struct cidr {
	uint8_t addr[16]; /* IPv6 form; IPv4 as ::ffff:a.b.c.d */
	unsigned prefix;  /* 0..128, over the 16 bytes */
};

/* Why a range did not parse (cidr_parse). */
enum cidr_error {
	CIDR_OK,
	CIDR_BAD,       /* not an address, or a malformed /prefix */
	CIDR_PREFIX_V4, /* an IPv4 prefix over 32 */
	CIDR_PREFIX_V6, /* an IPv6 prefix over 128 */
};

/* An allow list and a deny list (each owned, may be empty). */
struct cidr_acl {
	struct cidr *allow;
	size_t nallow;
	struct cidr *deny;
	size_t ndeny;
};

enum cidr_error cidr_parse(const char *s, size_t len, struct cidr *out);
int cidr_from_sockaddr(const struct sockaddr *sa, uint8_t out[16]);
int cidr_match(const struct cidr *c, const uint8_t addr[16]);
int cidr_list_match(const struct cidr *v, size_t n, const uint8_t addr[16]);
int cidr_acl_allows(const struct cidr_acl *acl, const uint8_t addr[16]);
int cidr_acl_copy(struct cidr_acl *dst, const struct cidr_acl *src);
void cidr_acl_fini(struct cidr_acl *acl);
size_t cidr_format(const struct cidr *c, char *buf, size_t size);

#endif /* DUET_CIDR_H */
