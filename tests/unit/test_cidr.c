/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for cidr: parsing address ranges (IPv4, IPv6, bare
 * addresses, v4-mapped forms, prefixes, malformed text), matching socket
 * addresses (an IPv4-mapped IPv6 peer matches IPv4 rules), allow/deny
 * lists, copies and the text form.  Inputs go in tables.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cidr.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A range as text, and its canonical text (cidr_format) once parsed. */
struct good_case {
	const char *text;
	const char *canon;
};

static const struct good_case good_cases[] = {
    {"10.0.0.0/8", "10.0.0.0/8"},
    {"10.0.0.13", "10.0.0.13/32"},
    {"0.0.0.0/0", "0.0.0.0/0"},
    {"127.0.0.1/32", "127.0.0.1/32"},
    {"10.1.2.3/8", "10.0.0.0/8"}, /* host bits cleared */
    {"192.168.1.255/23", "192.168.0.0/23"},
    {"::1", "::1/128"},
    {"::/0", "::/0"},
    {"2001:db8::/32", "2001:db8::/32"},
    {"2001:db8::1/127", "2001:db8::/127"},
    {"fe80::1:2:3:4/64", "fe80::/64"},
    {"::ffff:1.2.3.4", "1.2.3.4/32"}, /* v4-mapped: an IPv4 rule */
    {"::ffff:1.2.3.4/120", "1.2.3.0/24"},
    {"::ffff:0:0/96", "0.0.0.0/0"},
    {"::ffff:0.0.0.0/95", "::fffe:0:0/95"},
    {"1.2.3.4/0", "0.0.0.0/0"},
};

START_TEST(test_cidr_parses_good)
{
	const struct good_case *c = &good_cases[_i];
	struct cidr r, again;
	char buf[CIDR_TEXT_MAX];

	ck_assert_int_eq(cidr_parse(c->text, strlen(c->text), &r), CIDR_OK);
	ck_assert_uint_eq(cidr_format(&r, buf, sizeof(buf)), strlen(c->canon));
	ck_assert_str_eq(buf, c->canon);
	ck_assert_int_eq(cidr_parse(buf, strlen(buf), &again), CIDR_OK);
	ck_assert_uint_eq(again.prefix, r.prefix);
	ck_assert_mem_eq(again.addr, r.addr, 16);
}
END_TEST

struct bad_case {
	const char *text;
	enum cidr_error error;
};

static const struct bad_case bad_cases[] = {
    {"", CIDR_BAD},
    {"/8", CIDR_BAD},
    {"10.0.0.0/", CIDR_BAD},
    {"10.0.0.0/33", CIDR_PREFIX_V4},
    {"10.0.0.0/999", CIDR_PREFIX_V4},
    {"::1/129", CIDR_PREFIX_V6},
    {"::ffff:1.2.3.4/200", CIDR_PREFIX_V6},
    {"10.0.0.0/1000", CIDR_BAD},
    {"10.0.0.0/08", CIDR_BAD},
    {"10.0.0.0/+8", CIDR_BAD},
    {"10.0.0.0/-1", CIDR_BAD},
    {"10.0.0.0/8/8", CIDR_BAD},
    {"10.0.0.0 /8", CIDR_BAD},
    {" 10.0.0.1", CIDR_BAD},
    {"10.0.0", CIDR_BAD},
    {"10.0.0.256", CIDR_BAD},
    {"010.0.0.1", CIDR_BAD},
    {"[::1]", CIDR_BAD},
    {"fe80::1%eth0", CIDR_BAD},
    {"::g", CIDR_BAD},
    {"localhost", CIDR_BAD},
    {"1:2:3:4:5:6:7:8:9", CIDR_BAD},
    {"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000/128", CIDR_BAD},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        CIDR_BAD},
};

START_TEST(test_cidr_rejects_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct cidr r;

	ck_assert_msg(cidr_parse(c->text, strlen(c->text), &r) == c->error,
	    "'%s': want error %d", c->text, (int)c->error);
}
END_TEST

START_TEST(test_cidr_rejects_nul_and_counts_length)
{
	struct cidr r;

	ck_assert_int_eq(cidr_parse("10.0.0.1\0/8", 11, &r), CIDR_BAD);
	/* Only len bytes are read: "10.0.0.1/8" cut to "10.0.0.1". */
	ck_assert_int_eq(cidr_parse("10.0.0.1/8", 8, &r), CIDR_OK);
	ck_assert_uint_eq(r.prefix, 128);
}
END_TEST

/* Whether the peer (text, v4 or v6) is in the range. */
struct match_case {
	const char *range;
	const char *peer;
	int family;
	int in;
};

static const struct match_case match_cases[] = {
    {"127.0.0.0/8", "127.0.0.1", AF_INET, 1},
    {"127.0.0.0/8", "128.0.0.1", AF_INET, 0},
    {"127.0.0.2/32", "127.0.0.1", AF_INET, 0},
    {"127.0.0.2/32", "127.0.0.2", AF_INET, 1},
    {"10.0.0.0/9", "10.127.255.255", AF_INET, 1},
    {"10.0.0.0/9", "10.128.0.0", AF_INET, 0},
    {"0.0.0.0/0", "203.0.113.9", AF_INET, 1},
    /* An IPv4-mapped IPv6 peer matches IPv4 rules. */
    {"127.0.0.0/8", "::ffff:127.0.0.1", AF_INET6, 1},
    {"10.0.0.13", "::ffff:10.0.0.13", AF_INET6, 1},
    {"10.0.0.13", "::ffff:10.0.0.14", AF_INET6, 0},
    {"0.0.0.0/0", "::1", AF_INET6, 0},
    {"::ffff:1.2.3.0/120", "1.2.3.77", AF_INET, 1},
    {"::1", "::1", AF_INET6, 1},
    {"::1", "::2", AF_INET6, 0},
    {"::1", "127.0.0.1", AF_INET, 0},
    {"2001:db8::/32", "2001:db8:ffff::1", AF_INET6, 1},
    {"2001:db8::/32", "2001:db9::1", AF_INET6, 0},
    {"2001:db8::/31", "2001:db9::1", AF_INET6, 1},
    {"::/0", "2001:db9::1", AF_INET6, 1},
};

/* Fills ss with the peer's socket address. */
static const struct sockaddr *
peer_addr(struct sockaddr_storage *ss, const char *text, int family)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)family;
	if (family == AF_INET)
		ck_assert_int_eq(inet_pton(AF_INET, text,
		                     &((struct sockaddr_in *)ss)->sin_addr),
		    1);
	else
		ck_assert_int_eq(inet_pton(AF_INET6, text,
		                     &((struct sockaddr_in6 *)ss)->sin6_addr),
		    1);
	return (const struct sockaddr *)ss;
}

START_TEST(test_cidr_matches_peers)
{
	const struct match_case *c = &match_cases[_i];
	struct sockaddr_storage ss;
	struct cidr r;
	uint8_t addr[16];

	ck_assert_int_eq(cidr_parse(c->range, strlen(c->range), &r), CIDR_OK);
	ck_assert_int_eq(
	    cidr_from_sockaddr(peer_addr(&ss, c->peer, c->family), addr), 0);
	ck_assert_msg(cidr_match(&r, addr) == c->in, "%s in %s: want %d",
	    c->peer, c->range, c->in);
}
END_TEST

START_TEST(test_cidr_unix_peer_has_no_address)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	uint8_t addr[16];

	ck_assert_int_eq(
	    cidr_from_sockaddr((const struct sockaddr *)&sun, addr), -1);
}
END_TEST

/* Builds a list from a NULL-terminated array of texts. */
static size_t
make_list(struct cidr *v, const char *const *texts)
{
	size_t n;

	for (n = 0; texts[n] != NULL; n++)
		ck_assert_int_eq(
		    cidr_parse(texts[n], strlen(texts[n]), &v[n]), CIDR_OK);
	return n;
}

START_TEST(test_cidr_acl_deny_wins_and_empty_allow_allows)
{
	static const char *const allow[] = {"127.0.0.0/8", "::1", NULL};
	static const char *const deny[] = {"127.0.0.13", NULL};
	struct cidr av[4], dv[4];
	struct cidr_acl acl = {av, 0, dv, 0}, copy;
	struct sockaddr_storage ss;
	uint8_t a[16];

	acl.nallow = make_list(av, allow);
	acl.ndeny = make_list(dv, deny);
	cidr_from_sockaddr(peer_addr(&ss, "127.0.0.1", AF_INET), a);
	ck_assert_int_eq(cidr_acl_allows(&acl, a), 1);
	cidr_from_sockaddr(peer_addr(&ss, "127.0.0.13", AF_INET), a);
	ck_assert_int_eq(cidr_acl_allows(&acl, a), 0);
	cidr_from_sockaddr(peer_addr(&ss, "::ffff:127.0.0.13", AF_INET6), a);
	ck_assert_int_eq(cidr_acl_allows(&acl, a), 0);
	cidr_from_sockaddr(peer_addr(&ss, "10.0.0.1", AF_INET), a);
	ck_assert_int_eq(cidr_acl_allows(&acl, a), 0);
	cidr_from_sockaddr(peer_addr(&ss, "::1", AF_INET6), a);
	ck_assert_int_eq(cidr_acl_allows(&acl, a), 1);

	/* A copy decides the same; without an allow list only deny counts. */
	ck_assert_int_eq(cidr_acl_copy(&copy, &acl), 0);
	copy.nallow = 0;
	cidr_from_sockaddr(peer_addr(&ss, "10.0.0.1", AF_INET), a);
	ck_assert_int_eq(cidr_acl_allows(&copy, a), 1);
	cidr_from_sockaddr(peer_addr(&ss, "127.0.0.13", AF_INET), a);
	ck_assert_int_eq(cidr_acl_allows(&copy, a), 0);
	cidr_acl_fini(&copy);
	ck_assert_ptr_null(copy.allow);
	ck_assert_int_eq(cidr_acl_allows(&copy, a), 1);
}
END_TEST

static Suite *
cidr_suite(void)
{
	Suite *s = suite_create("cidr");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_cidr_parses_good, 0, NELEM(good_cases));
	tcase_add_loop_test(tc, test_cidr_rejects_bad, 0, NELEM(bad_cases));
	tcase_add_test(tc, test_cidr_rejects_nul_and_counts_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_loop_test(tc, test_cidr_matches_peers, 0, NELEM(match_cases));
	tcase_add_test(tc, test_cidr_unix_peer_has_no_address);
	tcase_add_test(tc, test_cidr_acl_deny_wins_and_empty_allow_allows);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cidr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
