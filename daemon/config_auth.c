/* SPDX-License-Identifier: MIT */
/*
 * config_auth - the auth key of duetd.yaml (SPEC 9.1, 9.2): a list of
 * users, each with a name, the SHA-256 of its token (64 hex digits, never
 * the token itself), its command rules, its channel globs (SPEC 10), a
 * client certificate CN, unix peer uids, and whether it may register as a
 * linked daemon (link, link_as: SPEC 11).  Rules are parsed here (category or
 * glob, added or removed) and compiled against a generation's commands by
 * auth.c.  Every error names file:line:column; a token_sha256 value is never
 * echoed, since a token pasted there by mistake is a secret.  Part of the
 * config module.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config.h"
#include "config_int.h"
#include "util.h"

#define CONFIG_AUTH_NAME_MAX 64            /* longest user name */
#define CONFIG_AUTH_UID_MAX  4294967294ULL /* (uid_t)-1 is no uid */

static config_handler_fn config_auth_users, config_auth_name, config_auth_token,
    config_auth_commands, config_auth_channels, config_auth_cn, config_auth_uid,
    config_auth_link, config_auth_link_as;

static const struct config_key config_auth_keys[] = {
    {"users", YAML_SEQUENCE_NODE, config_auth_users, 0, 0, 0},
    {NULL, YAML_NO_NODE, NULL, 0, 0, 0},
};

static const struct config_key config_auth_user_keys[] = {
    {"name", YAML_SCALAR_NODE, config_auth_name, 0, 0, 0},
    {"token_sha256", YAML_SCALAR_NODE, config_auth_token, 0, 0, 0},
    {"commands", YAML_NO_NODE, config_auth_commands, 0, 0, 0},
    {"channels", YAML_NO_NODE, config_auth_channels, 0, 0, 0},
    {"tls_cn", YAML_SCALAR_NODE, config_auth_cn, 0, 0, 0},
    {"unix_uid", YAML_NO_NODE, config_auth_uid, 0, 0, 0},
    {"link", YAML_SCALAR_NODE, config_auth_link, 0, 0, 0},
    {"link_as", YAML_SCALAR_NODE, config_auth_link_as, 0, 0, 0},
    {NULL, YAML_NO_NODE, NULL, 0, 0, 0},
};

static const struct {
	const char *name;
	enum config_auth_category category;
} config_auth_categories[] = {
    {"@all", CONFIG_AUTH_ALL},
    {"@readonly", CONFIG_AUTH_READONLY},
    {"@public", CONFIG_AUTH_PUBLIC},
    {"@builtin", CONFIG_AUTH_BUILTIN},
};

/*
 * Parses one item of a commands list: "glob", "-glob", "@category" or
 * "-@category".  Sets rule's remove, category and glob (a new copy of the
 * glob, owned by the caller; NULL for a category); line and column are
 * left alone.  Returns 0, -1 when text is no rule (empty, a lone '-',
 * longer than CONFIG_AUTH_RULE_MAX, an unknown category), -2 out of
 * memory.
 */
int
config_auth_rule_parse(const char *text, struct config_auth_rule *rule)
{
	size_t i, len = strlen(text);

	rule->remove = text[0] == '-';
	rule->category = CONFIG_AUTH_GLOB;
	rule->glob = NULL;
	if (rule->remove)
		text++, len--;
	if (len == 0 || len > CONFIG_AUTH_RULE_MAX)
		return -1;
	if (text[0] == '@') {
		for (i = 0; i < sizeof(config_auth_categories) /
		         sizeof(config_auth_categories[0]);
		     i++) {
			if (strcmp(text, config_auth_categories[i].name) == 0) {
				rule->category =
				    config_auth_categories[i].category;
				return 0;
			}
		}
		return -1;
	}
	if ((rule->glob = strdup(text)) == NULL)
		return -2;
	return 0;
}

/* Frees an auth section and everything it owns.  NULL is a no-op. */
void
config_auth_free(struct config_auth *auth)
{
	size_t i, j;

	if (auth == NULL)
		return;
	for (i = 0; i < auth->nusers; i++) {
		struct config_auth_user *u = &auth->users[i];

		free(u->name);
		for (j = 0; j < u->nrules; j++)
			free(u->rules[j].glob);
		free(u->rules);
		for (j = 0; j < u->nchannels; j++)
			free(u->channels[j]);
		free(u->channels);
		free(u->tls_cn);
		free(u->link_as);
		free(u->uids);
		explicit_bzero(u->token_sha256, sizeof(u->token_sha256));
	}
	free(auth->users);
	free(auth);
}

/*
 * Returns 1 if s can be a user's name: 1..64 of letters, digits, '.',
 * '_', '-', '@' (also what a link logs in as), else 0.
 */
int
config_auth_name_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("._-@", s[i]) == NULL)
			return 0;
	return i >= 1 && i <= CONFIG_AUTH_NAME_MAX;
}

/* name: 1..64 of letters, digits, '.', '_', '-', '@'; not "default". */
static void
config_auth_name(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_auth_user *u = target;
	const char *s;

	if ((u->name = config_strdup(ctx, node, key->name)) == NULL)
		return;
	s = u->name;
	if (!config_auth_name_valid(s)) {
		config_err(ctx, node,
		    "invalid user name '%s' (expected 1..%d letters, digits, "
		    "'.', '_', '-' or '@')",
		    s, CONFIG_AUTH_NAME_MAX);
	} else if (strcmp(s, "default") == 0) {
		config_err(ctx, node,
		    "user name 'default' is reserved: AUTH default TOKEN logs "
		    "in whichever user TOKEN belongs to");
	} else {
		return;
	}
	free(u->name);
	u->name = NULL;
}

/* sha256(""): a login with no token at all must not succeed. */
static const unsigned char config_auth_empty_sha256[32] = {0xe3, 0xb0, 0xc4,
    0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9,
    0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99,
    0x1b, 0x78, 0x52, 0xb8, 0x55};

static int
config_auth_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* token_sha256: 64 hex digits, either case.  The value is never echoed. */
static void
config_auth_token(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_auth_user *u = target;
	const char *s = config_scalar(node);
	size_t i, len = node->data.scalar.length;
	int hi, lo;

	(void)key;
	if (len != 64) {
		config_err(ctx, node,
		    "invalid token_sha256: expected 64 hex digits (the SHA-256 "
		    "of the token, never the token itself), got %zu characters",
		    len);
		return;
	}
	for (i = 0; i < 32; i++) {
		hi = config_auth_hexval(s[2 * i]);
		lo = config_auth_hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			config_err(ctx, node,
			    "invalid token_sha256: expected 64 hex digits, "
			    "character %zu is not one",
			    hi < 0 ? 2 * i + 1 : 2 * i + 2);
			explicit_bzero(
			    u->token_sha256, sizeof(u->token_sha256));
			return;
		}
		u->token_sha256[i] = (unsigned char)(hi << 4 | lo);
	}
	if (memcmp(u->token_sha256, config_auth_empty_sha256, 32) == 0) {
		config_err(ctx, node,
		    "invalid token_sha256: it is the SHA-256 of an empty "
		    "token");
		return;
	}
	u->has_token = 1;
}

/* One item of commands, at node, into rule.  Returns 0 or -1. */
static int
config_auth_rule(
    struct config_ctx *ctx, yaml_node_t *node, struct config_auth_rule *rule)
{
	char *text;
	int r;

	if ((text = config_strdup(ctx, node, "commands")) == NULL)
		return -1;
	rule->line = (int)node->start_mark.line + 1;
	rule->column = (int)node->start_mark.column + 1;
	r = config_auth_rule_parse(text, rule);
	if (r == -2)
		config_err(ctx, node, "out of memory");
	else if (r == -1 && text[rule->remove] == '@')
		config_err(ctx, node,
		    "unknown category '%s' (expected @all, @readonly, @public "
		    "or @builtin)",
		    text + rule->remove);
	else if (r == -1)
		config_err(ctx, node,
		    "invalid rule '%s' (expected a glob, -glob, @category or "
		    "-@category of at most %d bytes)",
		    text, CONFIG_AUTH_RULE_MAX);
	free(text);
	return r == 0 ? 0 : -1;
}

/*
 * The list at node for key, for a user's rules or globs: an array of n
 * zeroed elements of size bytes each (owned by the caller), n in *n;
 * NULL with *n 0 when it is null or empty, or refused (reported).
 */
static void *
config_auth_list(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, size_t size, size_t *n)
{
	void *a;

	*n = 0;
	if (config_is_null(node))
		return NULL;
	if (node->type != YAML_SEQUENCE_NODE) {
		config_err(ctx, node, "expected a list for '%s', got %s",
		    key->name, config_type_name(node->type));
		return NULL;
	}
	if (config_nitems(node) == 0)
		return NULL;
	if ((a = calloc(config_nitems(node), size)) == NULL) {
		config_err(ctx, node, "out of memory");
		return NULL;
	}
	*n = config_nitems(node);
	return a;
}

/* commands: a list of rules; null is an empty list (nothing but 9.2's). */
static void
config_auth_commands(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_auth_user *u = target;
	size_t i, n;

	u->has_rules = 1;
	u->rules = config_auth_list(ctx, key, node, sizeof(*u->rules), &n);
	for (i = 0; i < n; i++) {
		if (config_auth_rule(ctx,
		        config_node(ctx, node->data.sequence.items.start[i]),
		        &u->rules[u->nrules]) == 0)
			u->nrules++;
	}
}

/*
 * One item of channels, at node: a glob of 1..CONFIG_AUTH_RULE_MAX bytes
 * that allows the channels (and pattern texts) it matches.  There is no
 * removal: an item starting with '-' is refused rather than read as a
 * channel name, since "-secret" after "*" would allow what it seems to
 * deny ("[-]x" names a channel that starts with '-').  Returns the glob
 * (owned by the caller), or NULL with the error reported.
 */
static char *
config_auth_channel(struct config_ctx *ctx, yaml_node_t *node)
{
	char *glob;

	if ((glob = config_strdup(ctx, node, "channels")) == NULL)
		return NULL;
	if (strlen(glob) > CONFIG_AUTH_RULE_MAX)
		config_err(ctx, node,
		    "invalid channel glob '%.32s...' (longer than %d bytes)",
		    glob, CONFIG_AUTH_RULE_MAX);
	else if (glob[0] == '-')
		config_err(ctx, node,
		    "invalid channel glob '%s': channels only allows, there "
		    "is no -glob (write '[-]%s' for a channel that starts "
		    "with '-')",
		    glob, glob + 1);
	else
		return glob;
	free(glob);
	return NULL;
}

/*
 * channels: the globs of the channels the user may subscribe to and
 * publish on (SPEC 10); null or [] is none.  Absent: ["*"].
 */
static void
config_auth_channels(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_auth_user *u = target;
	size_t i, n;
	char *glob;

	u->has_channels = 1;
	u->channels =
	    config_auth_list(ctx, key, node, sizeof(*u->channels), &n);
	for (i = 0; i < n; i++) {
		glob = config_auth_channel(
		    ctx, config_node(ctx, node->data.sequence.items.start[i]));
		if (glob != NULL)
			u->channels[u->nchannels++] = glob;
	}
}

static void
config_auth_cn(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_auth_user *u = target;

	u->tls_cn = config_strdup(ctx, node, key->name);
}

/* link: true lets the user register as a linked daemon (SPEC 11). */
static void
config_auth_link(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_auth_user *u = target;
	int v;

	if ((v = config_bool(node)) == -1) {
		config_err(
		    ctx, node, "expected true or false for '%s'", key->name);
		return;
	}
	u->link = v;
}

/* link_as: the one `as` name the user may register (a word). */
static void
config_auth_link_as(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_auth_user *u = target;

	free(u->link_as);
	u->link_as = config_word(ctx, node, key->name);
}

/* One uid, from a scalar node, appended to u->uids (sized by caller). */
static void
config_auth_uid_one(
    struct config_ctx *ctx, yaml_node_t *node, struct config_auth_user *u)
{
	const char *s = config_scalar(node);
	uint64_t v;

	if (node->type != YAML_SCALAR_NODE ||
	    util_parse_uint64(s, node->data.scalar.length, &v) == -1 ||
	    v > CONFIG_AUTH_UID_MAX) {
		config_err(ctx, node,
		    "invalid unix_uid '%s' (expected an integer 0..%llu)",
		    node->type == YAML_SCALAR_NODE ? s : "(not a scalar)",
		    CONFIG_AUTH_UID_MAX);
		return;
	}
	u->uids[u->nuids++] = (uid_t)v;
}

/* unix_uid: an integer or a list of integers. */
static void
config_auth_uid(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_auth_user *u = target;
	size_t i, n;

	(void)key;
	if (node->type == YAML_MAPPING_NODE || config_is_null(node)) {
		config_err(ctx, node,
		    "expected an integer or a list of integers for "
		    "'unix_uid', got %s",
		    config_is_null(node) ? "nothing"
		                         : config_type_name(node->type));
		return;
	}
	n = node->type == YAML_SCALAR_NODE ? 1 : config_nitems(node);
	if (n == 0)
		return;
	if ((u->uids = calloc(n, sizeof(*u->uids))) == NULL) {
		config_err(ctx, node, "out of memory");
		return;
	}
	if (node->type == YAML_SCALAR_NODE) {
		config_auth_uid_one(ctx, node, u);
		return;
	}
	for (i = 0; i < n; i++)
		config_auth_uid_one(ctx,
		    config_node(ctx, node->data.sequence.items.start[i]), u);
}

/*
 * What the users before u share with it: a name (an error), a token (two
 * users with one token could not be told apart), a tls_cn or a uid.
 * node is u's mapping, for positions.
 */
static void
config_auth_clash(struct config_ctx *ctx, yaml_node_t *node,
    const struct config_auth *auth, const struct config_auth_user *u)
{
	const struct config_auth_user *o;
	size_t j, k;

	for (o = auth->users; o < u; o++) {
		if (o->name == NULL)
			continue;
		if (strcmp(u->name, o->name) == 0)
			config_err(ctx, node, "duplicate user '%s'", u->name);
		if (u->has_token && o->has_token &&
		    memcmp(u->token_sha256, o->token_sha256, 32) == 0)
			config_err(ctx, node,
			    "user '%s' has the same token_sha256 as user '%s'",
			    u->name, o->name);
		if (u->tls_cn != NULL && o->tls_cn != NULL &&
		    strcmp(u->tls_cn, o->tls_cn) == 0)
			config_err(ctx, node,
			    "user '%s' has the same tls_cn as user '%s'",
			    u->name, o->name);
		for (j = 0; j < u->nuids; j++)
			for (k = 0; k < o->nuids; k++)
				if (u->uids[j] == o->uids[k])
					config_err(ctx, node,
					    "user '%s' has the same unix_uid "
					    "%u as user '%s'",
					    u->name, (unsigned)u->uids[j],
					    o->name);
	}
}

/* Returns the node of key in mapping map, or map itself. */
static yaml_node_t *
config_auth_at(struct config_ctx *ctx, yaml_node_t *map, const char *key)
{
	yaml_node_t *v = config_get(ctx, map, key);

	return v != NULL ? v : map;
}

/* One item of users: a mapping {name, token_sha256?, commands?, ...}. */
static void
config_auth_user(struct config_ctx *ctx, yaml_node_t *node,
    struct config_auth *auth, struct config_auth_user *u)
{
	u->line = (int)node->start_mark.line + 1;
	u->column = (int)node->start_mark.column + 1;
	if (node->type != YAML_MAPPING_NODE) {
		config_err(ctx, node, "expected a mapping in 'users', got %s",
		    config_type_name(node->type));
		return;
	}
	config_section(ctx, node, config_auth_user_keys, "users", u);
	if (!config_has_key(ctx, node, "name"))
		config_err(ctx, node, "user needs a 'name'");
	if (u->link_as != NULL && !u->link)
		config_err(ctx, config_get(ctx, node, "link_as"),
		    "'link_as' needs 'link: true'");
	if (u->name != NULL)
		config_auth_clash(
		    ctx, config_auth_at(ctx, node, "name"), auth, u);
}

/* users: the list of users; at least one (checked by config_auth). */
static void
config_auth_users(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_auth *auth = target;
	size_t i, n = config_nitems(node);

	(void)key;
	if (n == 0)
		return;
	if ((auth->users = calloc(n, sizeof(*auth->users))) == NULL) {
		config_err(ctx, node, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		config_auth_user(ctx,
		    config_node(ctx, node->data.sequence.items.start[i]), auth,
		    &auth->users[i]);
		auth->nusers++;
	}
}

/*
 * Handles auth: a mapping with users.  Present means auth is on, so an
 * auth key without a user is an error rather than a daemon open to all.
 */
void
config_auth(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config *cf = target;
	yaml_node_t *users;

	(void)key;
	if ((cf->auth = calloc(1, sizeof(*cf->auth))) == NULL) {
		config_err(ctx, node, "out of memory");
		return;
	}
	cf->auth->line = (int)node->start_mark.line + 1;
	cf->auth->column = (int)node->start_mark.column + 1;
	if (node->type != YAML_MAPPING_NODE && !config_is_null(node)) {
		config_err(ctx, node, "expected a mapping for 'auth', got %s",
		    config_type_name(node->type));
		return;
	}
	if (node->type == YAML_MAPPING_NODE)
		config_section(ctx, node, config_auth_keys, "auth", cf->auth);
	if (cf->auth->nusers == 0) {
		users = node->type == YAML_MAPPING_NODE
		    ? config_auth_at(ctx, node, "users")
		    : node;
		config_err(ctx, users, "auth: needs at least one user");
	}
}
