/* SPDX-License-Identifier: MIT */
/*
 * auth - users, tokens, command rules and the failed-login throttle
 * (see auth.h).
 *
 * auth_build compiles each user's rules once per generation into one bit
 * per command (uint64_t words): the rules are applied in order, so the
 * last match wins, and the commands every authenticated user may call
 * (PUBLIC ones and the connection built-ins) are folded in, so that
 * auth_check on the request path is one bit test.  The unauthenticated
 * get a bitset of their own.  A struct auth is immutable once built and
 * may be read from any thread.  Channel globs (SPEC 10) are kept as
 * written and matched with fnmatch on each subscribe or publish; a user
 * whose globs include "*" (the default) needs no match at all.
 *
 * The throttle (auth_failed, auth_succeeded) is process-wide and outlives
 * generations: a bounded table of source addresses (the oldest entry is
 * reused when it is full), each with its failures per second over the
 * last minute, under one mutex that only failed and successful logins
 * take.  IPv6 addresses count per /64, the block one host usually has.
 * Tokens are hashed with SHA-256 and compared with CRYPTO_memcmp against
 * every user's hash; no token ever reaches a log line.
 */
#include "autoconf.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <duet/plugin.h>

#include "auth.h"
#include "config.h"
#include "log.h"

#define AUTH_HASH_LEN 32 /* SHA-256 */

struct auth_user {
	char *name; /* owned */
	int has_token;
	unsigned char hash[AUTH_HASH_LEN]; /* SHA-256 of the token */
	char *tls_cn;                      /* owned, or NULL */
	uid_t *uids;                       /* owned */
	size_t nuids;
	uint64_t *bits;  /* borrowed from struct auth.words */
	char **channels; /* owned array of owned globs */
	size_t nchannels;
	int all_channels; /* "*" is one of them (or channels was not given) */
	/* owned copies of its command rules, lower-cased globs: applied by
	 * name to linked commands, which no generation compiles */
	struct config_auth_rule *rules;
	size_t nrules; /* 0 with has_rules 0: ["*"] */
	int has_rules;
	int link;      /* may register as a linked daemon (SPEC 11) */
	char *link_as; /* owned: the one name it may register, or NULL */
};

/*
 * Invariant: users[i].bits is words + (i + 1) * nwords; words[0..nwords)
 * is the unauthenticated set.  A bit beyond ncmds is never set.
 */
struct auth {
	struct auth_user *users; /* owned array */
	size_t nusers;
	size_t ncmds;
	size_t nwords;   /* (ncmds + 63) / 64 */
	uint64_t *words; /* owned: (nusers + 1) * nwords */
};

/* Built-ins the unauthenticated may call (SPEC 9.1), besides PUBLIC. */
static const char *const auth_anon_names[] = {
    "auth", "hello", "quit", "reset", "ping", NULL};

/* Built-ins every authenticated user may call, whatever its rules. */
static const char *const auth_conn_names[] = {"ping", "echo", "auth", "hello",
    "quit", "reset", "select", "client", "command", NULL};

/* What a user with link: true may call, whatever its rules (SPEC 11). */
static const char *const auth_link_names[] = {"link", NULL};

static int
auth_named(const struct auth_cmd *cmd, const char *const *names)
{
	if (!cmd->builtin)
		return 0;
	for (; *names != NULL; names++)
		if (strcmp(cmd->name, *names) == 0)
			return 1;
	return 0;
}

static void
auth_bit_set(uint64_t *bits, size_t i, int on)
{
	if (on)
		bits[i / 64] |= UINT64_C(1) << (i % 64);
	else
		bits[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

/* Whether rule names cmd; glob is the rule's glob in lower case. */
static int
auth_rule_matches(const struct config_auth_rule *rule, const char *glob,
    const struct auth_cmd *cmd)
{
	switch (rule->category) {
	case CONFIG_AUTH_ALL:
		return 1;
	case CONFIG_AUTH_READONLY:
		return (cmd->flags & DUET_READONLY) != 0;
	case CONFIG_AUTH_PUBLIC:
		return (cmd->flags & DUET_PUBLIC) != 0;
	case CONFIG_AUTH_BUILTIN:
		return cmd->builtin != 0;
	default:
		return fnmatch(glob, cmd->name, 0) == 0;
	}
}

/*
 * Applies rules[0..nrules) in order to bits (the last match wins) for
 * cmds[0..ncmds).  Returns how many rules matched no command, each logged
 * as a warning for user (a typo like "-dell" allows what it meant to
 * deny).  file may be NULL (no warnings).
 */
static size_t
auth_apply_rules(uint64_t *bits, const struct config_auth_rule *rules,
    size_t nrules, const struct auth_cmd *cmds, size_t ncmds, const char *file,
    const char *user)
{
	char glob[CONFIG_AUTH_RULE_MAX + 1];
	size_t r, i, unmatched = 0;
	int any;

	for (r = 0; r < nrules; r++) {
		const struct config_auth_rule *rule = &rules[r];

		glob[0] = '\0';
		if (rule->glob != NULL) {
			for (i = 0;
			     rule->glob[i] != '\0' && i < CONFIG_AUTH_RULE_MAX;
			     i++)
				glob[i] =
				    (char)tolower((unsigned char)rule->glob[i]);
			glob[i] = '\0';
		}
		for (i = 0, any = 0; i < ncmds; i++) {
			if (!auth_rule_matches(rule, glob, &cmds[i]))
				continue;
			auth_bit_set(bits, i, !rule->remove);
			any = 1;
		}
		if (!any && rule->category == CONFIG_AUTH_GLOB) {
			unmatched++;
			if (file != NULL)
				log_warnx("%s:%d:%d: rule '%s%s' of user '%s' "
				          "matches no command",
				    file, rule->line, rule->column,
				    rule->remove ? "-" : "", rule->glob, user);
		}
	}
	return unmatched;
}

/* The default rules: ["*"]. */
static const struct config_auth_rule auth_default_rule = {
    0, CONFIG_AUTH_GLOB, "*", 0, 0};

/* Compiles user u's bits: its rules, then what 9.2 always allows. */
static void
auth_compile_user(struct auth *a, size_t ui, const struct config_auth_user *cu,
    const struct auth_cmd *cmds, const char *file)
{
	uint64_t *bits = a->words + (ui + 1) * a->nwords;
	size_t i;

	a->users[ui].bits = bits;
	if (cu->has_rules)
		auth_apply_rules(bits, cu->rules, cu->nrules, cmds, a->ncmds,
		    file, cu->name);
	else
		auth_apply_rules(
		    bits, &auth_default_rule, 1, cmds, a->ncmds, NULL, NULL);
	for (i = 0; i < a->ncmds; i++)
		if ((cmds[i].flags & DUET_PUBLIC) != 0 ||
		    auth_named(&cmds[i], auth_conn_names) ||
		    (cu->link && auth_named(&cmds[i], auth_link_names)))
			auth_bit_set(bits, i, 1);
}

/* Copies the user's channel globs; none given is ["*"]. */
static int
auth_copy_channels(struct auth_user *u, const struct config_auth_user *cu)
{
	size_t i;

	u->all_channels = !cu->has_channels;
	if (cu->nchannels == 0)
		return 0;
	if ((u->channels = calloc(cu->nchannels, sizeof(*u->channels))) == NULL)
		return -1;
	for (i = 0; i < cu->nchannels; i++) {
		if ((u->channels[i] = strdup(cu->channels[i])) == NULL)
			return -1;
		u->nchannels++;
		if (strcmp(cu->channels[i], "*") == 0)
			u->all_channels = 1;
	}
	return 0;
}

/* Copies the user's command rules, globs lower-cased. */
static int
auth_copy_rules(struct auth_user *u, const struct config_auth_user *cu)
{
	size_t i, k;

	u->has_rules = cu->has_rules;
	if (cu->nrules == 0)
		return 0;
	if ((u->rules = calloc(cu->nrules, sizeof(*u->rules))) == NULL)
		return -1;
	for (i = 0; i < cu->nrules; i++, u->nrules++) {
		u->rules[i] = cu->rules[i];
		if (cu->rules[i].glob == NULL)
			continue;
		if ((u->rules[i].glob = strdup(cu->rules[i].glob)) == NULL)
			return -1;
		for (k = 0; u->rules[i].glob[k] != '\0'; k++)
			u->rules[i].glob[k] =
			    (char)tolower((unsigned char)u->rules[i].glob[k]);
	}
	return 0;
}

/*
 * Copies what a user is (name, token hash, tls_cn, uids, channels, link,
 * link_as).
 */
static int
auth_copy_user(struct auth_user *u, const struct config_auth_user *cu)
{
	if (auth_copy_channels(u, cu) == -1 ||
	    (u->name = strdup(cu->name)) == NULL ||
	    (cu->tls_cn != NULL && (u->tls_cn = strdup(cu->tls_cn)) == NULL) ||
	    (cu->link_as != NULL && (u->link_as = strdup(cu->link_as)) == NULL))
		return -1;
	u->link = cu->link;
	if (cu->nuids > 0) {
		if ((u->uids = calloc(cu->nuids, sizeof(*u->uids))) == NULL)
			return -1;
		memcpy(u->uids, cu->uids, cu->nuids * sizeof(*u->uids));
		u->nuids = cu->nuids;
	}
	u->has_token = cu->has_token;
	memcpy(u->hash, cu->token_sha256, AUTH_HASH_LEN);
	return auth_copy_rules(u, cu);
}

/*
 * Builds the auth of a generation from cf->auth, its rules compiled
 * against cmds[0..n-1] (the generation's commands, in registry order: a
 * command's index there is its index here).  *out is NULL when cf has no
 * auth section, else a new struct auth owned by the caller (auth_free).
 * A rule that matches no command is a warning, not an error.  Returns
 * the number of errors (logged; only running out of memory).  Main
 * thread, while a generation is built.
 */
int
auth_build(const struct config *cf, const struct auth_cmd *cmds, size_t n,
    struct auth **out)
{
	const struct config_auth *ca = cf->auth;
	struct auth *a;
	size_t i;

	*out = NULL;
	if (ca == NULL)
		return 0;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		goto nomem;
	a->ncmds = n;
	a->nwords = (n + 63) / 64;
	if ((a->users = calloc(ca->nusers, sizeof(*a->users))) == NULL ||
	    (a->words = calloc(
	         (ca->nusers + 1) * a->nwords + 1, sizeof(*a->words))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if ((cmds[i].flags & DUET_PUBLIC) != 0 ||
		    auth_named(&cmds[i], auth_anon_names))
			auth_bit_set(a->words, i, 1);
	for (i = 0; i < ca->nusers; i++) {
		if (auth_copy_user(&a->users[a->nusers++], &ca->users[i]) == -1)
			goto nomem;
		auth_compile_user(a, i, &ca->users[i], cmds, cf->file);
	}
	*out = a;
	return 0;
nomem:
	log_error(
	    "%s: auth: out of memory", cf->file != NULL ? cf->file : "config");
	auth_free(a);
	return 1;
}

/*
 * Frees an auth built by auth_build, wiping its token hashes.  NULL is a
 * no-op.
 */
void
auth_free(struct auth *a)
{
	size_t i, j;

	if (a == NULL)
		return;
	for (i = 0; i < a->nusers; i++) {
		for (j = 0; j < a->users[i].nchannels; j++)
			free(a->users[i].channels[j]);
		free(a->users[i].channels);
		for (j = 0; j < a->users[i].nrules; j++)
			free(a->users[i].rules[j].glob);
		free(a->users[i].rules);
		free(a->users[i].name);
		free(a->users[i].tls_cn);
		free(a->users[i].link_as);
		free(a->users[i].uids);
		OPENSSL_cleanse(a->users[i].hash, AUTH_HASH_LEN);
	}
	free(a->users);
	free(a->words);
	free(a);
}

/*
 * Whether user (an index of a, or AUTH_NONE) may call the command at
 * index cmd of the generation: AUTH_OK, AUTH_NOAUTH (log in first) or
 * AUTH_NOPERM.  a NULL (no auth) allows everything.  One bit test; any
 * thread.
 */
enum auth_verdict
auth_check(const struct auth *a, int user, size_t cmd)
{
	const uint64_t *bits;
	int allowed;

	if (a == NULL)
		return AUTH_OK;
	if (cmd >= a->ncmds)
		return user == AUTH_NONE ? AUTH_NOAUTH : AUTH_NOPERM;
	if (user < 0 || (size_t)user >= a->nusers) {
		bits = a->words;
		allowed = (bits[cmd / 64] >> (cmd % 64) & 1) != 0;
		return allowed ? AUTH_OK : AUTH_NOAUTH;
	}
	bits = a->users[user].bits;
	allowed = (bits[cmd / 64] >> (cmd % 64) & 1) != 0;
	return allowed ? AUTH_OK : AUTH_NOPERM;
}

/* Whether one of u's globs matches the NUL-terminated text. */
static int
auth_channel_matches(const struct auth_user *u, const char *text)
{
	size_t i;

	for (i = 0; i < u->nchannels; i++)
		if (fnmatch(u->channels[i], text, 0) == 0)
			return 1;
	return 0;
}

/*
 * Whether user (an index of a, or AUTH_NONE) may subscribe to, or publish
 * on, the channel name[0..len), or subscribe to the pattern whose text it
 * is: one of the user's channel globs must match the text (fnmatch, case
 * sensitive, '/' and '.' are plain characters).  A name with a NUL byte
 * never matches a glob.  AUTH_OK, AUTH_NOAUTH (not logged in, or the
 * user is gone from this generation) or AUTH_NOPERM; a NULL (no auth)
 * allows everything.  Any thread; allocates only for a name longer than
 * a few hundred bytes (out of memory: AUTH_NOPERM).
 */
enum auth_verdict
auth_channel_check(const struct auth *a, int user, const char *name, size_t len)
{
	const struct auth_user *u;
	char small[256], *text = small;
	int ok;

	if (a == NULL)
		return AUTH_OK;
	if (user < 0 || (size_t)user >= a->nusers)
		return AUTH_NOAUTH;
	u = &a->users[user];
	if (name == NULL)
		name = "", len = 0;
	if (memchr(name, '\0', len) != NULL)
		return AUTH_NOPERM;
	if (u->all_channels)
		return AUTH_OK;
	if (len >= sizeof(small) && (text = malloc(len + 1)) == NULL)
		return AUTH_NOPERM;
	memcpy(text, name, len);
	text[len] = '\0';
	ok = auth_channel_matches(u, text);
	if (text != small)
		free(text);
	return ok ? AUTH_OK : AUTH_NOPERM;
}

/*
 * Logs in with token (tokenlen bytes) and user (userlen bytes; NULL,
 * empty or "default": whichever user the token belongs to).  The token is
 * hashed once and compared with every user's hash, and the names with
 * every user's name, with CRYPTO_memcmp and no early exit, so the time
 * taken says nothing about which user or which part was wrong.  A user
 * without token_sha256 never matches.  Returns the user's index, or
 * AUTH_NONE.  Any thread.
 */
int
auth_login(const struct auth *a, const char *user, size_t userlen,
    const char *token, size_t tokenlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int any, found = AUTH_NONE;
	size_t i, nlen;

	if (a == NULL || (token == NULL && tokenlen > 0) ||
	    EVP_Digest(token != NULL ? token : "", tokenlen, md, &mdlen,
	        EVP_sha256(), NULL) != 1 ||
	    mdlen != AUTH_HASH_LEN)
		return AUTH_NONE;
	any = user == NULL || userlen == 0 ||
	    (userlen == 7 && memcmp(user, "default", 7) == 0);
	for (i = 0; i < a->nusers; i++) {
		const struct auth_user *u = &a->users[i];
		int tok_ok, name_ok;

		nlen = strlen(u->name);
		tok_ok = CRYPTO_memcmp(md, u->hash, AUTH_HASH_LEN) == 0;
		name_ok = any ||
		    (nlen == userlen &&
		        CRYPTO_memcmp(u->name, user, nlen) == 0);
		if (tok_ok & name_ok & u->has_token)
			found = (int)i;
	}
	OPENSSL_cleanse(md, sizeof(md));
	return found;
}

/*
 * The user whose tls_cn is cn (a verified client certificate's CN), or
 * AUTH_NONE.
 */
int
auth_user_by_cn(const struct auth *a, const char *cn)
{
	size_t i;

	if (a == NULL || cn == NULL)
		return AUTH_NONE;
	for (i = 0; i < a->nusers; i++)
		if (a->users[i].tls_cn != NULL &&
		    strcmp(a->users[i].tls_cn, cn) == 0)
			return (int)i;
	return AUTH_NONE;
}

/*
 * Whether the user at index user may register as a linked daemon under
 * the name as[0..aslen) (LINK REGISTER, SPEC 11): 1 if it has link: true
 * and either no link_as or a link_as equal to that name, else 0 (also
 * for AUTH_NONE, an index a does not have, or a NULL a).
 */
int
auth_user_may_link(
    const struct auth *a, int user_index, const char *as, size_t aslen)
{
	const struct auth_user *u;

	if (a == NULL || user_index < 0 || (size_t)user_index >= a->nusers)
		return 0;
	u = &a->users[user_index];
	if (!u->link)
		return 0;
	if (u->link_as == NULL)
		return 1;
	return as != NULL && strlen(u->link_as) == aslen &&
	    memcmp(u->link_as, as, aslen) == 0;
}

/* The user whose unix_uid list has uid (a unix peer), or AUTH_NONE. */
int
auth_user_by_uid(const struct auth *a, uid_t uid)
{
	size_t i, j;

	if (a == NULL)
		return AUTH_NONE;
	for (i = 0; i < a->nusers; i++)
		for (j = 0; j < a->users[i].nuids; j++)
			if (a->users[i].uids[j] == uid)
				return (int)i;
	return AUTH_NONE;
}

/* The index of the user called name, or AUTH_NONE (NULL: AUTH_NONE). */
int
auth_user_index(const struct auth *a, const char *name)
{
	size_t i;

	if (a == NULL || name == NULL)
		return AUTH_NONE;
	for (i = 0; i < a->nusers; i++)
		if (strcmp(a->users[i].name, name) == 0)
			return (int)i;
	return AUTH_NONE;
}

/*
 * The name of the user at index user (borrowed from a), or NULL for
 * AUTH_NONE or an index a does not have.
 */
const char *
auth_user_name(const struct auth *a, int user)
{
	if (a == NULL || user < 0 || (size_t)user >= a->nusers)
		return NULL;
	return a->users[user].name;
}

/*
 * The throttle.  Entries auth_throttle[0..auth_throttle_used) are in use
 * (no holes: a cleared entry is replaced by the last one); each counts
 * its address's failures per second in AUTH_WINDOW slots, slot s % 60
 * holding second s when sec[slot] == s.
 */
#define AUTH_THROTTLE_SIZE  4096 /* addresses remembered at most */
#define AUTH_THROTTLE_FREE  5    /* failures a minute answered at once */
#define AUTH_THROTTLE_FIRST 100  /* ms: the first delay, then doubling */
#define AUTH_THROTTLE_MAX   5000 /* ms: the longest delay */
#define AUTH_WINDOW         60   /* s: the sliding window */
#define AUTH_KEY_MAX        64   /* an address's key, NUL included */

struct auth_throttle_entry {
	char key[AUTH_KEY_MAX]; /* the address, or its IPv6 /64 */
	uint64_t last_ms;       /* the last failure, to evict the oldest */
	uint64_t logged_ms;     /* the last log line; 0: none yet */
	uint32_t sec[AUTH_WINDOW];
	uint16_t count[AUTH_WINDOW];
};

static pthread_mutex_t auth_throttle_lock = PTHREAD_MUTEX_INITIALIZER;
static struct auth_throttle_entry auth_throttle[AUTH_THROTTLE_SIZE];
static size_t auth_throttle_used;
static atomic_uint_fast64_t auth_failures;

static uint64_t
auth_clock_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t (*auth_clock)(void) = auth_clock_monotonic;

/*
 * Replaces the throttle's clock (milliseconds, monotonic) by now_ms, or
 * restores the real one for NULL.  For tests; call before any thread
 * logs in.
 */
void
auth_set_clock(uint64_t (*now_ms)(void))
{
	auth_clock = now_ms != NULL ? now_ms : auth_clock_monotonic;
}

/*
 * The throttle's key of addr: an IPv4 address as is (also when written
 * IPv4-mapped), an IPv6 address's /64 ("2001:db8:0:1::/64"), anything
 * else ("unix") as given, cut to AUTH_KEY_MAX - 1 bytes.
 */
static void
auth_key(const char *addr, char *key)
{
	unsigned char a6[16];
	struct in_addr a4;
	char text[INET6_ADDRSTRLEN];

	if (addr == NULL)
		addr = "unknown";
	if (inet_pton(AF_INET6, addr, a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a6)) {
			memcpy(&a4, a6 + 12, 4);
			inet_ntop(AF_INET, &a4, key, AUTH_KEY_MAX);
			return;
		}
		memset(a6 + 8, 0, 8);
		inet_ntop(AF_INET6, a6, text, sizeof(text));
		snprintf(key, AUTH_KEY_MAX, "%s/64", text);
		return;
	}
	snprintf(key, AUTH_KEY_MAX, "%s", addr);
}

/* The entry of key, or NULL.  Under auth_throttle_lock. */
static struct auth_throttle_entry *
auth_throttle_find(const char *key)
{
	size_t i;

	for (i = 0; i < auth_throttle_used; i++)
		if (strcmp(auth_throttle[i].key, key) == 0)
			return &auth_throttle[i];
	return NULL;
}

/*
 * A new entry for key: a free one, or the one whose last failure is the
 * oldest.  Under auth_throttle_lock.
 */
static struct auth_throttle_entry *
auth_throttle_take(const char *key)
{
	struct auth_throttle_entry *e;
	size_t i;

	if (auth_throttle_used < AUTH_THROTTLE_SIZE) {
		e = &auth_throttle[auth_throttle_used++];
	} else {
		e = &auth_throttle[0];
		for (i = 1; i < AUTH_THROTTLE_SIZE; i++)
			if (auth_throttle[i].last_ms < e->last_ms)
				e = &auth_throttle[i];
	}
	memset(e, 0, sizeof(*e));
	snprintf(e->key, sizeof(e->key), "%s", key);
	return e;
}

/* Counts one failure at now_ms; returns the failures of the window. */
static unsigned
auth_throttle_count(struct auth_throttle_entry *e, uint64_t now_ms)
{
	uint32_t s = (uint32_t)(now_ms / 1000);
	unsigned slot = s % AUTH_WINDOW, n = 0, i;

	if (e->sec[slot] != s) {
		e->sec[slot] = s;
		e->count[slot] = 0;
	}
	if (e->count[slot] < UINT16_MAX)
		e->count[slot]++;
	e->last_ms = now_ms;
	for (i = 0; i < AUTH_WINDOW; i++)
		if (e->sec[i] <= s && s - e->sec[i] < AUTH_WINDOW)
			n += e->count[i];
	return n;
}

/* The delay in ms for the n-th failure of a minute. */
static uint64_t
auth_throttle_delay(unsigned n)
{
	unsigned k;

	if (n <= AUTH_THROTTLE_FREE)
		return 0;
	k = n - AUTH_THROTTLE_FREE - 1;
	if (k >= 16 || (AUTH_THROTTLE_FIRST << k) > AUTH_THROTTLE_MAX)
		return AUTH_THROTTLE_MAX;
	return (uint64_t)AUTH_THROTTLE_FIRST << k;
}

/*
 * Counts one failed login from addr (the peer's address without port,
 * "unix" for a unix socket) and returns how long to wait before answering
 * it, in ms: 0 for the first 5 failures within a minute, then 100,
 * doubling, at most 5000.  The first throttled failure of a minute logs
 * one warning naming the address and the count (never a token).  Any
 * thread.
 */
uint64_t
auth_failed(const char *addr)
{
	struct auth_throttle_entry *e;
	char key[AUTH_KEY_MAX];
	uint64_t now = auth_clock(), delay;
	unsigned n;
	int log = 0;

	atomic_fetch_add(&auth_failures, 1);
	auth_key(addr, key);
	pthread_mutex_lock(&auth_throttle_lock);
	if ((e = auth_throttle_find(key)) == NULL)
		e = auth_throttle_take(key);
	n = auth_throttle_count(e, now);
	delay = auth_throttle_delay(n);
	if (delay > 0 &&
	    (e->logged_ms == 0 || now - e->logged_ms >= AUTH_WINDOW * 1000)) {
		e->logged_ms = now != 0 ? now : 1;
		log = 1;
	}
	pthread_mutex_unlock(&auth_throttle_lock);
	if (log)
		log_warnx("auth: %u failed logins from %s in the last minute",
		    n, key);
	return delay;
}

/*
 * Clears addr's failures after a successful login: its next failure is
 * the first again.  Any thread.
 */
void
auth_succeeded(const char *addr)
{
	struct auth_throttle_entry *e;
	char key[AUTH_KEY_MAX];

	auth_key(addr, key);
	pthread_mutex_lock(&auth_throttle_lock);
	if ((e = auth_throttle_find(key)) != NULL) {
		auth_throttle_used--;
		if (e != &auth_throttle[auth_throttle_used])
			*e = auth_throttle[auth_throttle_used];
	}
	pthread_mutex_unlock(&auth_throttle_lock);
}

/* Failed logins since the daemon started (duetd_auth_failures_total). */
uint64_t
auth_failures_total(void)
{
	return atomic_load(&auth_failures);
}

/*
 * Whether user (an index, or AUTH_NONE) may call the linked command name
 * with flags (SPEC 11: a linked command is under 9.2's rules, applied
 * here by name since no generation has it; it is never PUBLIC).
 */
enum auth_verdict
auth_check_linked(
    const struct auth *a, int user, const char *name, unsigned flags)
{
	const struct auth_user *u;
	struct auth_cmd cmd = {name, flags, 0};
	size_t r;
	int allowed;

	if (a == NULL)
		return AUTH_OK;
	if (user < 0 || (size_t)user >= a->nusers)
		return AUTH_NOAUTH;
	u = &a->users[user];
	if (!u->has_rules)
		return AUTH_OK;
	for (r = 0, allowed = 0; r < u->nrules; r++) {
		if (auth_rule_matches(&u->rules[r],
		        u->rules[r].glob != NULL ? u->rules[r].glob : "", &cmd))
			allowed = !u->rules[r].remove;
	}
	return allowed ? AUTH_OK : AUTH_NOPERM;
}
