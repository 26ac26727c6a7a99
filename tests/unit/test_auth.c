/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for auth: users and rules read from YAML (config_load) and
 * compiled against a fixed command table of 90 commands (so that the
 * bitsets span two words), then checked command by command; logging in by
 * token, by user and token, "default"; the look-ups by name, CN and uid;
 * the failed-login throttle on a fake clock, with its log line captured.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include <duet/plugin.h>

#include "auth.h"
#include "config.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* sha256("test") and sha256("other") */
#define HASH_TEST                                                              \
	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define HASH_OTHER                                                             \
	"d9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa"

enum {
	C_PING,
	C_ECHO,
	C_AUTH,
	C_HELLO,
	C_QUIT,
	C_RESET,
	C_SELECT,
	C_CLIENT,
	C_COMMAND,
	C_INFO,
	C_CONFIG,
	C_MULTI,
	C_GET,
	C_SET,
	C_DEL,
	C_GEO_ADD,
	C_GEO_RADIUS,
	C_WHOAMI,
	C_FILLER, /* cmd00 .. cmd71: plugin commands */
	C_NCMDS = C_FILLER + 72,
};

#define RO  DUET_READONLY
#define PUB DUET_PUBLIC

static struct auth_cmd cmds[C_NCMDS] = {
    {"ping", PUB | RO, 1},
    {"echo", RO, 1},
    {"auth", PUB, 1},
    {"hello", PUB, 1},
    {"quit", PUB, 1},
    {"reset", PUB, 1},
    {"select", 0, 1},
    {"client", 0, 1},
    {"command", RO, 1},
    {"info", RO, 1},
    {"config", 0, 1},
    {"multi", 0, 1},
    {"get", RO, 0},
    {"set", 0, 0},
    {"del", 0, 0},
    {"geo.add", 0, 0},
    {"geo.radius", RO, 0},
    {"whoami", PUB | RO, 0},
};
static char filler_names[72][8];

static void
setup_cmds(void)
{
	int i;

	for (i = 0; i < 72; i++) {
		snprintf(
		    filler_names[i], sizeof(filler_names[i]), "cmd%02d", i);
		cmds[C_FILLER + i].name = filler_names[i];
		cmds[C_FILLER + i].flags = i % 2 == 0 ? RO : 0;
	}
}

/* Loads text as a config, which must be valid, and builds its auth. */
static struct auth *
build(const char *text)
{
	char path[] = "/tmp/test_auth.XXXXXX";
	struct config *cf;
	struct auth *a = NULL;
	int fd, nerrors = 0;

	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cf = config_load(path, &nerrors);
	unlink(path);
	ck_assert_msg(cf != NULL, "config rejected");
	ck_assert_int_eq(auth_build(cf, cmds, C_NCMDS, &a), 0);
	ck_assert_ptr_nonnull(a);
	config_free(cf);
	return a;
}

/* An auth of one user "u" with the commands list rules (YAML flow). */
static struct auth *
build_rules(const char *rules)
{
	char text[1024];

	snprintf(text, sizeof(text),
	    "auth:\n  users:\n    - name: u\n      token_sha256: " HASH_TEST
	    "\n      commands: %s\n",
	    rules);
	return build(text);
}

/*
 * The verdicts of user for the first commands, as a string of O (OK), A
 * (NOAUTH) and P (NOPERM); a '|' in want only separates groups.
 */
static void
check_verdicts(const struct auth *a, int user, const char *want)
{
	char got[2 * C_NCMDS + 1];
	size_t i, cmd = 0;

	for (i = 0; want[i] != '\0'; i++) {
		enum auth_verdict v;

		if (want[i] == '|') {
			got[i] = '|';
			continue;
		}
		v = auth_check(a, user, cmd++);
		got[i] = v == AUTH_OK ? 'O' : v == AUTH_NOAUTH ? 'A' : 'P';
	}
	got[i] = '\0';
	ck_assert_str_eq(got, want);
}

/*
 * Verdict strings, in the order of the enum: ping echo auth hello quit
 * reset select client command | info config multi | get set del geo.add
 * geo.radius whoami.
 */
static const struct {
	const char *rules;
	const char *want;
} rule_cases[] = {
    /* default ["*"] is the same as writing it */
    {"['*']", "OOOOOOOOO|OOO|OOOOOO"},
    /* last match wins, both ways */
    {"['*', '-del']", "OOOOOOOOO|OOO|OOPOOO"},
    {"['-del', '*']", "OOOOOOOOO|OOO|OOOOOO"},
    {"['*', '-del', 'del']", "OOOOOOOOO|OOO|OOOOOO"},
    {"[get, set, 'geo.*']", "OOOOOOOOO|PPP|OOPOOO"},
    {"['?et']", "OOOOOOOOO|PPP|OOPPPO"},
    {"['GET', 'Geo.Radius']", "OOOOOOOOO|PPP|OPPPOO"},
    {"['*', '-geo.*', geo.radius]", "OOOOOOOOO|OOO|OOOPOO"},
    {"['[gs]et']", "OOOOOOOOO|PPP|OOPPPO"},
    /* categories and their removal */
    {"['@readonly']", "OOOOOOOOO|OPP|OPPPOO"},
    {"['@all', '-@readonly']", "OOOOOOOOO|POO|POOOPO"},
    {"['@builtin']", "OOOOOOOOO|OOO|PPPPPO"},
    {"['@all', '-@builtin']", "OOOOOOOOO|PPP|OOOOOO"},
    {"['@public']", "OOOOOOOOO|PPP|PPPPPO"},
    {"['*', '-@all', get]", "OOOOOOOOO|PPP|OPPPPO"},
    /* PUBLIC cannot be taken away; the connection built-ins neither */
    {"['*', '-whoami', '-@public', '-ping', '-command', '-client']",
        "OOOOOOOOO|OOO|OOOOOO"},
    {"['-@all']", "OOOOOOOOO|PPP|PPPPPO"},
    /* commands: [] and commands: null are nothing but the above */
    {"[]", "OOOOOOOOO|PPP|PPPPPO"},
    {"", "OOOOOOOOO|PPP|PPPPPO"},
    /* a glob that matches nothing changes nothing (a warning) */
    {"['*', '-dell']", "OOOOOOOOO|OOO|OOOOOO"},
};

START_TEST(test_auth_rules_in_order)
{
	struct auth *a;

	setup_cmds();
	a = build_rules(rule_cases[_i].rules);
	check_verdicts(a, 0, rule_cases[_i].want);
	auth_free(a);
}
END_TEST

/* The unauthenticated: AUTH HELLO QUIT RESET PING and PUBLIC, else NOAUTH. */
START_TEST(test_auth_unauthenticated_set)
{
	struct auth *a;

	setup_cmds();
	a = build_rules("['*']");
	check_verdicts(a, AUTH_NONE, "OAOOOOAAA|AAA|AAAAAO");
	/* an index the generation does not have counts as unauthenticated */
	check_verdicts(a, 1, "OAOOOOAAA|AAA|AAAAAO");
	ck_assert_int_eq(auth_check(a, AUTH_NONE, C_FILLER + 3), AUTH_NOAUTH);
	ck_assert_int_eq(auth_check(a, AUTH_NONE, C_NCMDS), AUTH_NOAUTH);
	ck_assert_int_eq(auth_check(a, 0, C_NCMDS), AUTH_NOPERM);
	auth_free(a);
}
END_TEST

/* Commands past the first 64 (the second word of each bitset). */
START_TEST(test_auth_second_word)
{
	struct auth *a;
	int i;

	setup_cmds();
	a = build_rules("['cmd7?', '-cmd71', '@readonly', '-cmd0*']");
	for (i = 0; i < 72; i++) {
		enum auth_verdict want = AUTH_NOPERM;

		if ((i >= 70 && i != 71) || (i % 2 == 0 && i >= 10))
			want = AUTH_OK;
		ck_assert_msg(auth_check(a, 0, (size_t)(C_FILLER + i)) == want,
		    "cmd%02d", i);
	}
	ck_assert_int_eq(auth_check(a, AUTH_NONE, C_FILLER + 70), AUTH_NOAUTH);
	auth_free(a);
}
END_TEST

/* No auth section: no struct auth, and everything allowed. */
START_TEST(test_auth_none_configured)
{
	struct config cf;
	struct auth *a = (struct auth *)&cf;

	memset(&cf, 0, sizeof(cf));
	cf.file = "x.yaml";
	setup_cmds();
	ck_assert_int_eq(auth_build(&cf, cmds, C_NCMDS, &a), 0);
	ck_assert_ptr_null(a);
	ck_assert_int_eq(auth_check(NULL, AUTH_NONE, C_SET), AUTH_OK);
	ck_assert_int_eq(auth_login(NULL, NULL, 0, "test", 4), AUTH_NONE);
	ck_assert_int_eq(auth_user_index(NULL, "alice"), AUTH_NONE);
	ck_assert_ptr_null(auth_user_name(NULL, 0));
	auth_free(NULL);
}
END_TEST

/*
 * Channel rules (SPEC 10): user 0 has bob's globs, user 1 none given
 * (["*"]), user 2 channels: [] (none), user 3 globs with "*" among them.
 */
static const char *const channels_yaml =
    "auth:\n"
    "  users:\n"
    "    - {name: bob, channels: ['news.*', 'x[0-9]', 'a/?', '[-]d']}\n"
    "    - {name: all}\n"
    "    - {name: none, channels: []}\n"
    "    - {name: star, channels: ['q', '*']}\n";

/* A channel (or pattern text), its length, and bob's verdict. */
static const struct {
	const char *name;
	size_t len;
	enum auth_verdict bob;
} channel_cases[] = {
    {"news.a", 6, AUTH_OK},
    {"news.", 5, AUTH_OK},
    {"news.a.b", 8, AUTH_OK},   /* '.' is a plain character */
    {"news.*", 6, AUTH_OK},     /* a pattern whose text matches */
    {"news.[ab]", 9, AUTH_OK},  /* likewise */
    {"News.a", 6, AUTH_NOPERM}, /* case sensitive */
    {"news", 4, AUTH_NOPERM},
    {"secret", 6, AUTH_NOPERM},
    {"*", 1, AUTH_NOPERM}, /* PSUBSCRIBE *: the text "*" */
    {"news*", 5, AUTH_NOPERM},
    {"x7", 2, AUTH_OK},
    {"x77", 3, AUTH_NOPERM},
    {"a/b", 3, AUTH_OK}, /* '/' is a plain character */
    {"a//", 3, AUTH_OK},
    {"-d", 2, AUTH_OK},
    {"", 0, AUTH_NOPERM},
    {"news.a\0b", 8, AUTH_NOPERM}, /* a NUL byte never matches */
    {"x7\0", 3, AUTH_NOPERM},
};

START_TEST(test_auth_channels)
{
	struct auth *a;
	size_t i;

	setup_cmds();
	a = build(channels_yaml);
	for (i = 0; i < NELEM(channel_cases); i++) {
		const char *n = channel_cases[i].name;
		size_t len = channel_cases[i].len;
		int nul = memchr(n, '\0', len) != NULL;

		ck_assert_msg(
		    auth_channel_check(a, 0, n, len) == channel_cases[i].bob,
		    "bob: %s", n);
		ck_assert_msg(auth_channel_check(a, 1, n, len) ==
		        (nul ? AUTH_NOPERM : AUTH_OK),
		    "all: %s", n);
		ck_assert_msg(auth_channel_check(a, 2, n, len) == AUTH_NOPERM,
		    "none: %s", n);
		ck_assert_msg(auth_channel_check(a, 3, n, len) ==
		        (nul ? AUTH_NOPERM : AUTH_OK),
		    "star: %s", n);
		/* not logged in, or a user this generation does not have */
		ck_assert_int_eq(
		    auth_channel_check(a, AUTH_NONE, n, len), AUTH_NOAUTH);
		ck_assert_int_eq(auth_channel_check(a, 4, n, len), AUTH_NOAUTH);
		/* no auth: anything */
		ck_assert_int_eq(
		    auth_channel_check(NULL, AUTH_NONE, n, len), AUTH_OK);
	}
	auth_free(a);
}
END_TEST

/* A name past the stack buffer is matched as well (copied to the heap). */
START_TEST(test_auth_channels_long)
{
	char name[5000];
	struct auth *a;

	setup_cmds();
	a = build(channels_yaml);
	memset(name, 'z', sizeof(name));
	memcpy(name, "news.", 5);
	ck_assert_int_eq(auth_channel_check(a, 0, name, sizeof(name)), AUTH_OK);
	name[0] = 'N';
	ck_assert_int_eq(
	    auth_channel_check(a, 0, name, sizeof(name)), AUTH_NOPERM);
	ck_assert_int_eq(auth_channel_check(a, 0, NULL, 0), AUTH_NOPERM);
	ck_assert_int_eq(auth_channel_check(a, 1, NULL, 0), AUTH_OK);
	auth_free(a);
}
END_TEST

static const char *const login_yaml = "auth:\n"
                                      "  users:\n"
                                      "    - name: alice\n"
                                      "      token_sha256: " HASH_TEST "\n"
                                      "    - name: bob\n"
                                      "      token_sha256: " HASH_OTHER "\n"
                                      "      tls_cn: bob.example.com\n"
                                      "    - name: carol\n"
                                      "      tls_cn: carol.example.com\n"
                                      "      unix_uid: [0, 998]\n";

static const struct {
	const char *user; /* NULL: no user */
	const char *token;
	int want;
} login_cases[] = {
    {NULL, "test", 0},
    {"default", "test", 0},
    {"", "test", 0},
    {NULL, "other", 1},
    {"alice", "test", 0},
    {"bob", "other", 1},
    {"bob", "test", AUTH_NONE}, /* the token of another user */
    {"alice", "other", AUTH_NONE},
    {"alic", "test", AUTH_NONE},
    {"alice2", "test", AUTH_NONE},
    {"nobody", "test", AUTH_NONE},
    {NULL, "tesT", AUTH_NONE}, /* a wrong token */
    {NULL, "test ", AUTH_NONE},
    {NULL, "", AUTH_NONE},
    {"carol", "", AUTH_NONE}, /* a user without a token */
    {"carol", "test", AUTH_NONE},
    {"Alice", "test", AUTH_NONE},
};

START_TEST(test_auth_login)
{
	const char *user = login_cases[_i].user;
	const char *token = login_cases[_i].token;
	struct auth *a;

	setup_cmds();
	a = build(login_yaml);
	ck_assert_int_eq(auth_login(a, user, user != NULL ? strlen(user) : 0,
	                     token, strlen(token)),
	    login_cases[_i].want);
	auth_free(a);
}
END_TEST

/* The lengths are what counts, not NUL bytes. */
START_TEST(test_auth_login_lengths)
{
	struct auth *a;

	setup_cmds();
	a = build(login_yaml);
	ck_assert_int_eq(auth_login(a, "alicex", 5, "testx", 4), 0);
	ck_assert_int_eq(auth_login(a, "bob", 3, "test\0", 5), AUTH_NONE);
	ck_assert_int_eq(auth_login(a, NULL, 0, NULL, 0), AUTH_NONE);
	auth_free(a);
}
END_TEST

START_TEST(test_auth_lookups)
{
	struct auth *a;

	setup_cmds();
	a = build(login_yaml);
	ck_assert_int_eq(auth_user_index(a, "alice"), 0);
	ck_assert_int_eq(auth_user_index(a, "carol"), 2);
	ck_assert_int_eq(auth_user_index(a, "dave"), AUTH_NONE);
	ck_assert_int_eq(auth_user_index(a, NULL), AUTH_NONE);
	ck_assert_str_eq(auth_user_name(a, 1), "bob");
	ck_assert_ptr_null(auth_user_name(a, 3));
	ck_assert_ptr_null(auth_user_name(a, AUTH_NONE));
	ck_assert_int_eq(auth_user_by_cn(a, "bob.example.com"), 1);
	ck_assert_int_eq(auth_user_by_cn(a, "carol.example.com"), 2);
	ck_assert_int_eq(auth_user_by_cn(a, "BOB.example.com"), AUTH_NONE);
	ck_assert_int_eq(auth_user_by_cn(a, NULL), AUTH_NONE);
	ck_assert_int_eq(auth_user_by_uid(a, 0), 2);
	ck_assert_int_eq(auth_user_by_uid(a, 998), 2);
	ck_assert_int_eq(auth_user_by_uid(a, 1000), AUTH_NONE);
	auth_free(a);
}
END_TEST

/*
 * Who may register as a linked daemon (SPEC 11): link: true, pinned or
 * not to one as name; link: false or no link key never may.
 */
START_TEST(test_auth_user_may_link)
{
	struct auth *a;

	setup_cmds();
	a = build("auth:\n"
	          "  users:\n"
	          "    - name: hub-any\n"
	          "      token_sha256: " HASH_TEST "\n"
	          "      link: true\n"
	          "    - name: hub-fs\n"
	          "      token_sha256: " HASH_OTHER "\n"
	          "      link: true\n"
	          "      link_as: FileServer\n"
	          "    - name: plain\n"
	          "      tls_cn: plain.example.com\n"
	          "    - name: off\n"
	          "      tls_cn: off.example.com\n"
	          "      link: false\n");
	ck_assert_int_eq(auth_user_may_link(a, 0, "fileserver", 10), 1);
	ck_assert_int_eq(auth_user_may_link(a, 0, "anything", 8), 1);
	/* link_as was lower-cased; the comparison is exact, by length. */
	ck_assert_int_eq(auth_user_may_link(a, 1, "fileserver", 10), 1);
	ck_assert_int_eq(auth_user_may_link(a, 1, "fileserverx", 10), 1);
	ck_assert_int_eq(auth_user_may_link(a, 1, "FileServer", 10), 0);
	ck_assert_int_eq(auth_user_may_link(a, 1, "fileserve", 9), 0);
	ck_assert_int_eq(auth_user_may_link(a, 1, "fileserverx", 11), 0);
	ck_assert_int_eq(auth_user_may_link(a, 1, "other", 5), 0);
	ck_assert_int_eq(auth_user_may_link(a, 1, NULL, 0), 0);
	ck_assert_int_eq(auth_user_may_link(a, 2, "fileserver", 10), 0);
	ck_assert_int_eq(auth_user_may_link(a, 3, "fileserver", 10), 0);
	ck_assert_int_eq(auth_user_may_link(a, 4, "fileserver", 10), 0);
	ck_assert_int_eq(auth_user_may_link(a, AUTH_NONE, "fileserver", 10), 0);
	ck_assert_int_eq(auth_user_may_link(NULL, 0, "fileserver", 10), 0);
	auth_free(a);
}
END_TEST

static uint64_t fake_now = 1000000;

static uint64_t
fake_clock(void)
{
	return fake_now;
}

/* 0 five times, then 100 ms doubling up to 5 s; success clears it. */
START_TEST(test_auth_throttle_delays)
{
	static const uint64_t want[] = {0, 0, 0, 0, 0, 100, 200, 400, 800, 1600,
	    3200, 5000, 5000, 5000, 5000, 5000, 5000, 5000, 5000, 5000};
	size_t i;

	auth_set_clock(fake_clock);
	for (i = 0; i < NELEM(want); i++) {
		ck_assert_uint_eq(auth_failed("192.0.2.1"), want[i]);
		fake_now += 10;
	}
	ck_assert_uint_eq(auth_failures_total(), NELEM(want));
	/* another address is not slowed */
	ck_assert_uint_eq(auth_failed("192.0.2.2"), 0);
	/* the IPv4-mapped form is the same address */
	ck_assert_uint_eq(auth_failed("::ffff:192.0.2.1"), 5000);
	auth_succeeded("192.0.2.1");
	for (i = 0; i < 5; i++)
		ck_assert_uint_eq(auth_failed("192.0.2.1"), 0);
	ck_assert_uint_eq(auth_failed("192.0.2.1"), 100);
	ck_assert_uint_eq(auth_failures_total(), NELEM(want) + 8);
	auth_succeeded("192.0.2.9"); /* unknown: nothing to clear */
	auth_set_clock(NULL);
}
END_TEST

/* The window slides: failures older than a minute no longer count. */
START_TEST(test_auth_throttle_window)
{
	int i;

	auth_set_clock(fake_clock);
	for (i = 0; i < 5; i++)
		ck_assert_uint_eq(auth_failed("unix"), 0);
	fake_now += 30000;
	ck_assert_uint_eq(auth_failed("unix"), 100);
	fake_now += 30500; /* the first five are now a minute old */
	ck_assert_uint_eq(auth_failed("unix"), 0);
	ck_assert_uint_eq(auth_failed("unix"), 0);
	ck_assert_uint_eq(auth_failed("unix"), 0);
	ck_assert_uint_eq(auth_failed("unix"), 0);
	ck_assert_uint_eq(auth_failed("unix"), 100);
	fake_now += 120000;
	ck_assert_uint_eq(auth_failed("unix"), 0);
	auth_set_clock(NULL);
}
END_TEST

/* IPv6 addresses count per /64. */
START_TEST(test_auth_throttle_ipv6_prefix)
{
	int i;

	auth_set_clock(fake_clock);
	for (i = 0; i < 5; i++)
		ck_assert_uint_eq(
		    auth_failed(i % 2 ? "2001:db8::1" : "2001:db8::ffff:2"), 0);
	ck_assert_uint_eq(auth_failed("2001:db8::abcd"), 100);
	ck_assert_uint_eq(auth_failed("2001:db8:0:1::1"), 0);
	auth_succeeded("2001:db8::77");
	ck_assert_uint_eq(auth_failed("2001:db8::1"), 0);
	auth_set_clock(NULL);
}
END_TEST

/* More addresses than the table holds: the oldest is forgotten. */
START_TEST(test_auth_throttle_bounded)
{
	char addr[32];
	int i;

	auth_set_clock(fake_clock);
	for (i = 0; i < 6; i++)
		auth_failed("198.51.100.1");
	for (i = 0; i < 5000; i++) {
		fake_now++;
		snprintf(addr, sizeof(addr), "10.%d.%d.1", i / 256, i % 256);
		ck_assert_uint_eq(auth_failed(addr), 0);
	}
	/* 198.51.100.1 was the oldest: it starts again */
	ck_assert_uint_eq(auth_failed("198.51.100.1"), 0);
	auth_set_clock(NULL);
}
END_TEST

/* Captures stderr while f runs; returns what was written (free it). */
static char *
capture(void (*f)(void))
{
	char tmp[] = "/tmp/test_auth_err.XXXXXX", *buf;
	int fd, saved;
	ssize_t n;

	fd = mkstemp(tmp);
	ck_assert_int_ne(fd, -1);
	unlink(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	f();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	buf = calloc(1, 4096);
	ck_assert_ptr_nonnull(buf);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, 4095);
	ck_assert_int_ge(n, 0);
	close(fd);
	return buf;
}

static void
fail_many(void)
{
	int i;

	for (i = 0; i < 30; i++) {
		auth_failed("203.0.113.5");
		fake_now += 1000;
	}
}

/* One warning per address and minute, with the count of that minute. */
START_TEST(test_auth_throttle_logs_once_a_minute)
{
	char *text;

	auth_set_clock(fake_clock);
	text = capture(fail_many);
	ck_assert_str_eq(text,
	    "warn: auth: 6 failed logins from 203.0.113.5 in the last "
	    "minute\n");
	free(text);
	fake_now += 30000;
	text = capture(fail_many);
	ck_assert_str_eq(text,
	    "warn: auth: 30 failed logins from 203.0.113.5 in the last "
	    "minute\n");
	free(text);
	auth_set_clock(NULL);
}
END_TEST

static Suite *
auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc;

	tc = tcase_create("rules");
	tcase_add_loop_test(tc, test_auth_rules_in_order, 0, NELEM(rule_cases));
	tcase_add_test(tc, test_auth_unauthenticated_set);
	tcase_add_test(tc, test_auth_second_word);
	tcase_add_test(tc, test_auth_none_configured);
	tcase_add_test(tc, test_auth_channels);
	tcase_add_test(tc, test_auth_channels_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("login");
	tcase_add_loop_test(tc, test_auth_login, 0, NELEM(login_cases));
	tcase_add_test(tc, test_auth_login_lengths);
	tcase_add_test(tc, test_auth_lookups);
	tcase_add_test(tc, test_auth_user_may_link);
	suite_add_tcase(s, tc);

	tc = tcase_create("throttle");
	tcase_add_test(tc, test_auth_throttle_delays);
	tcase_add_test(tc, test_auth_throttle_window);
	tcase_add_test(tc, test_auth_throttle_ipv6_prefix);
	tcase_add_test(tc, test_auth_throttle_bounded);
	tcase_add_test(tc, test_auth_throttle_logs_once_a_minute);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(auth_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
