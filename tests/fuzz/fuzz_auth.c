/* SPDX-License-Identifier: MIT */
/*
 * fuzz_auth - libFuzzer entry for the command rules (config_auth.c's rule
 * parser, auth.c's compiler and fnmatch globs) and logging in.  The input
 * is
 *	RULE '\n' RULE '\n' ... '\n' '\n' NAME '\n' NAME ... ['\n' '\n' TOKEN]
 * Each RULE is an item of a commands list ("glob", "-glob", "@cat",
 * "-@cat"); invalid ones are dropped, as the config would refuse them.
 * Each NAME becomes a plugin command (lower-cased, flags taken from its
 * length) after a fixed set of built-ins and plugin commands.  User "u"
 * has the rules and the token "test"; user "v" has none (all commands).
 * Properties: every verdict equals a plain re-evaluation of the rules in
 * order (last match wins), PUBLIC commands and the connection built-ins
 * are always allowed, the unauthenticated get exactly PUBLIC and AUTH
 * HELLO QUIT RESET PING, and TOKEN logs in as u only when it is "test".
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <duet/plugin.h>

#include "auth.h"
#include "config.h"
#include "fuzz.h"

#define FUZZ_AUTH_MAX_RULES 64
#define FUZZ_AUTH_MAX_NAMES 64
#define FUZZ_AUTH_NAME_MAX  128

/* sha256("test") */
static const unsigned char fuzz_auth_hash[32] = {0x9f, 0x86, 0xd0, 0x81, 0x88,
    0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0, 0xc5, 0x5a, 0xd0, 0x15, 0xa3,
    0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15, 0xb0,
    0xf0, 0x0a, 0x08};

static const struct auth_cmd fuzz_auth_fixed[] = {
    {"ping", DUET_PUBLIC | DUET_READONLY, 1},
    {"echo", DUET_READONLY, 1},
    {"auth", DUET_PUBLIC, 1},
    {"hello", DUET_PUBLIC, 1},
    {"quit", DUET_PUBLIC, 1},
    {"reset", DUET_PUBLIC, 1},
    {"select", 0, 1},
    {"client", 0, 1},
    {"command", DUET_READONLY, 1},
    {"info", DUET_READONLY, 1},
    {"config", 0, 1},
    {"multi", 0, 1},
    {"get", DUET_READONLY, 0},
    {"set", 0, 0},
    {"del", 0, 0},
    {"geo.add", 0, 0},
    {"geo.radius", DUET_READONLY, 0},
    {"whoami", DUET_PUBLIC | DUET_READONLY, 0},
};
#define FUZZ_AUTH_NFIXED (sizeof(fuzz_auth_fixed) / sizeof(fuzz_auth_fixed[0]))

struct fuzz_auth_in {
	struct config_auth_rule rules[FUZZ_AUTH_MAX_RULES];
	size_t nrules;
	struct auth_cmd cmds[FUZZ_AUTH_NFIXED + FUZZ_AUTH_MAX_NAMES];
	char names[FUZZ_AUTH_MAX_NAMES][FUZZ_AUTH_NAME_MAX + 1];
	size_t ncmds;
	const char *token; /* borrowed from the input, or NULL */
	size_t tokenlen;
};

static int
fuzz_auth_in_list(const struct auth_cmd *c, const char *const *names)
{
	for (; *names != NULL; names++)
		if (c->builtin && strcmp(c->name, *names) == 0)
			return 1;
	return 0;
}

/* The rules applied plainly, in order: whether u may call c. */
static int
fuzz_auth_expect(const struct fuzz_auth_in *in, const struct auth_cmd *c)
{
	static const char *const conn[] = {"ping", "echo", "auth", "hello",
	    "quit", "reset", "select", "client", "command", NULL};
	char glob[CONFIG_AUTH_RULE_MAX + 1];
	int allowed = 0, match;
	size_t r, i;

	for (r = 0; r < in->nrules; r++) {
		const struct config_auth_rule *rule = &in->rules[r];

		switch (rule->category) {
		case CONFIG_AUTH_ALL:
			match = 1;
			break;
		case CONFIG_AUTH_READONLY:
			match = (c->flags & DUET_READONLY) != 0;
			break;
		case CONFIG_AUTH_PUBLIC:
			match = (c->flags & DUET_PUBLIC) != 0;
			break;
		case CONFIG_AUTH_BUILTIN:
			match = c->builtin;
			break;
		default:
			for (i = 0; rule->glob[i] != '\0'; i++)
				glob[i] =
				    (char)tolower((unsigned char)rule->glob[i]);
			glob[i] = '\0';
			match = fnmatch(glob, c->name, 0) == 0;
		}
		if (match)
			allowed = !rule->remove;
	}
	return allowed || (c->flags & DUET_PUBLIC) != 0 ||
	    fuzz_auth_in_list(c, conn);
}

/* Splits the input into rules, command names and a token. */
static void
fuzz_auth_parse(struct fuzz_auth_in *in, const char *s, size_t len)
{
	const char *end = s + len, *nl;
	char line[CONFIG_AUTH_RULE_MAX + 2];
	int section = 0;
	size_t n, i;

	memcpy(in->cmds, fuzz_auth_fixed, sizeof(fuzz_auth_fixed));
	in->ncmds = FUZZ_AUTH_NFIXED;
	while (s < end && section < 2) {
		nl = memchr(s, '\n', (size_t)(end - s));
		n = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
		if (n == 0) {
			section++;
		} else if (section == 0 && in->nrules < FUZZ_AUTH_MAX_RULES &&
		    n < sizeof(line) && memchr(s, '\0', n) == NULL) {
			memcpy(line, s, n);
			line[n] = '\0';
			if (config_auth_rule_parse(
			        line, &in->rules[in->nrules]) == 0)
				in->nrules++;
		} else if (section == 1 &&
		    in->ncmds < FUZZ_AUTH_NFIXED + FUZZ_AUTH_MAX_NAMES &&
		    n <= FUZZ_AUTH_NAME_MAX && memchr(s, '\0', n) == NULL) {
			char *name = in->names[in->ncmds - FUZZ_AUTH_NFIXED];

			for (i = 0; i < n; i++)
				name[i] = (char)tolower((unsigned char)s[i]);
			name[n] = '\0';
			in->cmds[in->ncmds].name = name;
			in->cmds[in->ncmds].flags = (unsigned)n & 3;
			in->cmds[in->ncmds++].builtin = 0;
		}
		s += n + 1;
	}
	if (section == 2 && s <= end) {
		in->token = s;
		in->tokenlen = (size_t)(end - s);
	}
}

static void
fuzz_auth_check(const struct fuzz_auth_in *in, const struct auth *a)
{
	static const char *const anon[] = {
	    "auth", "hello", "quit", "reset", "ping", NULL};
	size_t i;

	for (i = 0; i < in->ncmds; i++) {
		const struct auth_cmd *c = &in->cmds[i];
		int pub = (c->flags & DUET_PUBLIC) != 0;

		FUZZ_CHECK(auth_check(a, 0, i) ==
		    (fuzz_auth_expect(in, c) ? AUTH_OK : AUTH_NOPERM));
		FUZZ_CHECK(auth_check(a, 1, i) == AUTH_OK);
		FUZZ_CHECK(auth_check(a, AUTH_NONE, i) ==
		    (pub || fuzz_auth_in_list(c, anon) ? AUTH_OK
		                                       : AUTH_NOAUTH));
	}
	FUZZ_CHECK(auth_user_index(a, "u") == 0);
	FUZZ_CHECK(auth_user_index(a, "v") == 1);
	if (in->token != NULL) {
		int want =
		    in->tokenlen == 4 && memcmp(in->token, "test", 4) == 0
		    ? 0
		    : AUTH_NONE;

		FUZZ_CHECK(
		    auth_login(a, NULL, 0, in->token, in->tokenlen) == want);
		FUZZ_CHECK(
		    auth_login(a, "u", 1, in->token, in->tokenlen) == want);
		FUZZ_CHECK(auth_login(a, "v", 1, in->token, in->tokenlen) ==
		    AUTH_NONE);
	}
}

/*
 * The libFuzzer entry point.  Always returns 0.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_auth_in *in;
	struct config_auth_user users[2];
	struct config_auth ca;
	struct config cf;
	struct auth *a = NULL;
	size_t i;

	if ((in = calloc(1, sizeof(*in))) == NULL)
		abort();
	fuzz_auth_parse(in, (const char *)data, size);
	memset(users, 0, sizeof(users));
	users[0].name = "u";
	users[0].has_token = 1;
	memcpy(users[0].token_sha256, fuzz_auth_hash, 32);
	users[0].has_rules = 1;
	users[0].rules = in->rules;
	users[0].nrules = in->nrules;
	users[1].name = "v";
	memset(&ca, 0, sizeof(ca));
	ca.users = users;
	ca.nusers = 2;
	memset(&cf, 0, sizeof(cf));
	cf.auth = &ca;
	FUZZ_CHECK(auth_build(&cf, in->cmds, in->ncmds, &a) == 0);
	FUZZ_CHECK(a != NULL);
	fuzz_auth_check(in, a);
	auth_free(a);
	for (i = 0; i < in->nrules; i++)
		free(in->rules[i].glob);
	free(in);
	return 0;
}
