/* SPDX-License-Identifier: MIT */
/*
 * cidr - address ranges and their match against a peer (see cidr.h).
 * Parsing is strict: inet_pton's forms only (dotted quads, RFC 4291
 * text), an optional /PREFIX of one to three decimal digits, nothing
 * else (no brackets, no zone, no spaces).  Host bits past the prefix are
 * cleared, as most tools read "10.1.2.3/8".
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

/* The ::ffff:0:0/96 prefix IPv4 addresses are kept under. */
static const uint8_t cidr_v4_mapped[12] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Clears the bits of c->addr past c->prefix. */
static void
cidr_mask(struct cidr *c)
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (c->prefix >= (i + 1) * 8)
			continue;
		if (c->prefix <= i * 8)
			c->addr[i] = 0;
		else
			c->addr[i] &= (uint8_t)(0xff00u >> (c->prefix - i * 8));
	}
}

/*
 * Parses a prefix length: 1 to 3 decimal digits, no sign, no leading
 * zero but for "0".  Returns it, or -1.
 */
static int
cidr_prefix(const char *s, size_t len)
{
	int v = 0;
	size_t i;

	if (len == 0 || len > 3 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Parses s[0..len) (no NUL needed) as an address or ADDRESS/PREFIX into
 * *out: an IPv4 address is a /32 and an IPv6 one a /128 when no prefix
 * is given.  Returns CIDR_OK, or why it is not a range (*out is then
 * unspecified).
 */
enum cidr_error
cidr_parse(const char *s, size_t len, struct cidr *out)
{
	char buf[CIDR_TEXT_MAX];
	const char *slash;
	int prefix = -1, v4;

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return CIDR_BAD;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL) {
		prefix =
		    cidr_prefix(slash + 1, len - (size_t)(slash + 1 - buf));
		if (prefix == -1)
			return CIDR_BAD;
		buf[slash - buf] = '\0';
	}
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr + 12) == 1) {
		v4 = 1;
		memcpy(out->addr, cidr_v4_mapped, sizeof(cidr_v4_mapped));
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		v4 = 0;
	} else {
		return CIDR_BAD;
	}
	if (prefix > (v4 ? 32 : 128))
		return v4 ? CIDR_PREFIX_V4 : CIDR_PREFIX_V6;
	if (prefix == -1)
		prefix = v4 ? 32 : 128;
	out->prefix = (unsigned)prefix + (v4 ? 96 : 0);
	cidr_mask(out);
	return CIDR_OK;
}

/*
 * Puts the IPv6 form of an AF_INET or AF_INET6 socket address in out.
 * Returns 0, or -1 for another family (a unix socket).
 */
int
cidr_from_sockaddr(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		memcpy(out, cidr_v4_mapped, sizeof(cidr_v4_mapped));
		memcpy(out + 12, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		memcpy(out, &sin6->sin6_addr, 16);
		return 0;
	}
	return -1;
}

/*
 * Whether addr (IPv6 form, see cidr_from_sockaddr) is in the range c.
 */
int
cidr_match(const struct cidr *c, const uint8_t addr[16])
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;
	uint8_t mask;

	if (memcmp(c->addr, addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff00u >> rest);
	return (addr[full] & mask) == c->addr[full];
}

/*
 * Whether addr is in one of the n ranges of v.
 */
int
cidr_list_match(const struct cidr *v, size_t n, const uint8_t addr[16])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cidr_match(&v[i], addr))
			return 1;
	return 0;
}

/*
 * Whether a peer at addr may connect under acl: not in its deny list,
 * and in its allow list unless that is empty.
 */
int
cidr_acl_allows(const struct cidr_acl *acl, const uint8_t addr[16])
{
	if (cidr_list_match(acl->deny, acl->ndeny, addr))
		return 0;
	return acl->nallow == 0 ||
	    cidr_list_match(acl->allow, acl->nallow, addr);
}

static int
cidr_dup(struct cidr **dst, const struct cidr *src, size_t n)
{
	*dst = NULL;
	if (n == 0)
		return 0;
	if ((*dst = calloc(n, sizeof(**dst))) == NULL)
		return -1;
	memcpy(*dst, src, n * sizeof(**dst));
	return 0;
}

/*
 * Copies src's lists into dst (owned by the caller: cidr_acl_fini).
 * Returns 0, or -1 when out of memory (dst is then empty).
 */
int
cidr_acl_copy(struct cidr_acl *dst, const struct cidr_acl *src)
{
	memset(dst, 0, sizeof(*dst));
	if (cidr_dup(&dst->allow, src->allow, src->nallow) == -1 ||
	    cidr_dup(&dst->deny, src->deny, src->ndeny) == -1) {
		cidr_acl_fini(dst);
		return -1;
	}
	dst->nallow = src->nallow;
	dst->ndeny = src->ndeny;
	return 0;
}

/*
 * Frees acl's lists and empties it (which allows every peer).
 */
void
cidr_acl_fini(struct cidr_acl *acl)
{
	free(acl->allow);
	free(acl->deny);
	memset(acl, 0, sizeof(*acl));
}

/*
 * Writes c as text into buf (size bytes, NUL-terminated): an IPv4 range
 * as "a.b.c.d/p", another as IPv6 text "x::y/p".  Returns the length
 * the whole text has (as snprintf).
 */
size_t
cidr_format(const struct cidr *c, char *buf, size_t size)
{
	char text[INET6_ADDRSTRLEN];
	int n;

	if (c->prefix >= 96 &&
	    memcmp(c->addr, cidr_v4_mapped, sizeof(cidr_v4_mapped)) == 0) {
		inet_ntop(AF_INET, c->addr + 12, text, sizeof(text));
		n = snprintf(buf, size, "%s/%u", text, c->prefix - 96);
	} else {
		inet_ntop(AF_INET6, c->addr, text, sizeof(text));
		n = snprintf(buf, size, "%s/%u", text, c->prefix);
	}
	return n < 0 ? 0 : (size_t)n;
}
