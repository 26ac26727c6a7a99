/* SPDX-License-Identifier: MIT */
/*
 * config_link - the links key of duetd.yaml (SPEC 11): the daemons this
 * one dials out to.  Each item names the other end, where to connect
 * (HOST:PORT or [IPV6]:PORT), optional TLS (the system's CAs or a ca
 * file, a client certificate), the hub user and its token, the name this
 * daemon registers as, and the globs of commands exported and imported
 * and of channels forwarded each way.  The token is never in the file: it
 * is read here, at load, from token_file or the environment variable
 * token_env, and it never reaches a message.  Nothing is dialled here:
 * that is the link module's.  Part of the config module.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <yaml.h>

#include "config.h"
#include "config_int.h"

#define CONFIG_WORD_MAX       64   /* longest link name or as */
#define CONFIG_LINK_TOKEN_MAX 4096 /* longest token, in bytes */

static config_handler_fn config_link_name, config_link_connect, config_link_tls,
    config_link_user, config_link_token_file, config_link_token_env,
    config_link_token, config_link_as, config_link_export, config_link_import,
    config_link_channels_out, config_link_channels_in;

static const struct config_key config_link_keys[] = {
    {"name", YAML_SCALAR_NODE, config_link_name, 0, 0, 0},
    {"connect", YAML_SCALAR_NODE, config_link_connect, 0, 0, 0},
    {"tls", YAML_NO_NODE, config_link_tls, 0, 0, 0},
    {"user", YAML_SCALAR_NODE, config_link_user, 0, 0, 0},
    {"token_file", YAML_SCALAR_NODE, config_link_token_file, 0, 0, 0},
    {"token_env", YAML_SCALAR_NODE, config_link_token_env, 0, 0, 0},
    {"token", YAML_NO_NODE, config_link_token, 0, 0, 0},
    {"as", YAML_SCALAR_NODE, config_link_as, 0, 0, 0},
    {"export", YAML_SEQUENCE_NODE, config_link_export, 0, 0, 0},
    {"import", YAML_SEQUENCE_NODE, config_link_import, 0, 0, 0},
    {"channels_out", YAML_SEQUENCE_NODE, config_link_channels_out, 0, 0, 0},
    {"channels_in", YAML_SEQUENCE_NODE, config_link_channels_in, 0, 0, 0},
    {NULL, YAML_NO_NODE, NULL, 0, 0, 0},
};

/* clang-format off */
#define LINK_FILE(name, field) \
	{#name, YAML_SCALAR_NODE, config_tls_file, \
	    offsetof(struct config_link, field), 0, 0}
/* clang-format on */

static const struct config_key config_link_tls_keys[] = {
    LINK_FILE(ca, tls_ca),
    LINK_FILE(cert, tls_cert),
    LINK_FILE(key, tls_key),
    {NULL, YAML_NO_NODE, NULL, 0, 0, 0},
};

/*
 * Copies the scalar at node for `what` as a word: 1..64 of letters,
 * digits, '_' and '-', lower-cased (a link's name and as, a user's
 * link_as: names that prefix commands).  Returns the copy (owned by the
 * caller), or NULL with the error reported.
 */
char *
config_word(struct config_ctx *ctx, yaml_node_t *node, const char *what)
{
	char *s;
	size_t i;

	if ((s = config_strdup(ctx, node, what)) == NULL)
		return NULL;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
		else if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '_' && s[i] != '-')
			break;
	}
	if (s[i] == '\0' && i <= CONFIG_WORD_MAX)
		return s;
	config_err(ctx, node,
	    "invalid %s '%s' (expected 1..%d letters, digits, '_' or '-')",
	    what, config_scalar(node), CONFIG_WORD_MAX);
	free(s);
	return NULL;
}

/* Wipes and frees a token.  NULL is a no-op. */
static void
config_link_token_wipe(char *token)
{
	if (token == NULL)
		return;
	explicit_bzero(token, strlen(token));
	free(token);
}

static void
config_link_globs_free(char **globs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(globs[i]);
	free(globs);
}

/*
 * Frees what the link l owns (not l itself: links live in an array of
 * struct config), wiping its token first, and zeroes l.  NULL is a no-op.
 */
void
config_link_free(struct config_link *l)
{
	if (l == NULL)
		return;
	free(l->name);
	free(l->connect);
	free(l->host);
	free(l->port);
	free(l->tls_ca);
	free(l->tls_cert);
	free(l->tls_key);
	free(l->user);
	config_link_token_wipe(l->token);
	free(l->as);
	config_link_globs_free(l->exports, l->nexports);
	config_link_globs_free(l->imports, l->nimports);
	config_link_globs_free(l->channels_out, l->nchannels_out);
	config_link_globs_free(l->channels_in, l->nchannels_in);
	memset(l, 0, sizeof(*l));
}

/* name: this side's name for the other end, a word. */
static void
config_link_name(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_link *l = target;

	(void)key;
	l->name = config_word(ctx, node, "link name");
}

/* connect: HOST:PORT or [IPV6]:PORT, split into host and port. */
static void
config_link_connect(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_link *l = target;

	if ((l->connect = config_strdup(ctx, node, key->name)) == NULL)
		return;
	config_host_port(ctx, node, l->connect, "HOST:PORT or [IPV6]:PORT",
	    &l->host, &l->port);
}

/*
 * tls: true (the system's CAs), false (plain), or a mapping of ca, cert
 * and key files ({} is true); a client certificate needs both cert and
 * key.
 */
static void
config_link_tls(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_link *l = target;

	if (node->type == YAML_MAPPING_NODE) {
		l->tls = 1;
		config_section(ctx, node, config_link_tls_keys, "tls", l);
		if (config_has_key(ctx, node, "cert") !=
		    config_has_key(ctx, node, "key"))
			config_err(ctx, node,
			    "tls needs both 'cert' and 'key' (a client "
			    "certificate), or neither");
		return;
	}
	if ((l->tls = config_bool(node)) != -1)
		return;
	l->tls = 0;
	if (node->type == YAML_SCALAR_NODE && !config_is_null(node))
		config_err(ctx, node,
		    "invalid tls '%s' (expected true, false or a mapping)",
		    config_scalar(node));
	else
		config_err(ctx, node,
		    "expected true, false or a mapping for '%s', got %s",
		    key->name,
		    config_is_null(node) ? "nothing"
		                         : config_type_name(node->type));
}

/* user: the hub user to log in as (default: as). */
static void
config_link_user(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_link *l = target;

	if ((l->user = config_strdup(ctx, node, key->name)) == NULL)
		return;
	if (config_auth_name_valid(l->user))
		return;
	config_err(ctx, node,
	    "invalid user '%s' (expected 1..64 letters, digits, '.', '_', "
	    "'-' or '@')",
	    l->user);
	free(l->user);
	l->user = NULL;
}

/*
 * Reads the token file at path into a new string (owned by the caller):
 * at most CONFIG_LINK_TOKEN_MAX bytes, one trailing newline stripped,
 * not empty, no NUL byte.  Returns it, or NULL with the error reported
 * at node.  What the file holds never reaches a message, and every copy
 * of it that is not returned is wiped.  Opened non-blocking, so that a
 * FIFO named by mistake is an error rather than a hung duetd -t.
 */
static char *
config_link_read_token(
    struct config_ctx *ctx, yaml_node_t *node, const char *path)
{
	char buf[CONFIG_LINK_TOKEN_MAX + 2], *token = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		config_err(ctx, node, "cannot read token_file %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	while (len < sizeof(buf) &&
	    (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			config_err(ctx, node, "cannot read token_file %s: %s",
			    path, strerror(errno));
			goto done;
		}
		len += (size_t)n;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > CONFIG_LINK_TOKEN_MAX)
		config_err(ctx, node, "token_file %s is longer than %d bytes",
		    path, CONFIG_LINK_TOKEN_MAX);
	else if (len == 0)
		config_err(ctx, node, "token_file %s is empty", path);
	else if (memchr(buf, '\0', len) != NULL)
		config_err(
		    ctx, node, "token_file %s contains a NUL byte", path);
	else if ((token = strndup(buf, len)) == NULL)
		config_err(ctx, node, "out of memory");
done:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return token;
}

/* token_file: a file holding the token (relative: from the file's folder). */
static void
config_link_token_file(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_link *l = target;
	char *path;

	if ((path = config_path(ctx, node, key->name)) == NULL)
		return;
	config_link_token_wipe(l->token);
	l->token = config_link_read_token(ctx, node, path);
	free(path);
}

/* token_env: the name of an environment variable holding the token. */
static void
config_link_token_env(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_link *l = target;
	const char *value;
	char *name;

	if ((name = config_strdup(ctx, node, key->name)) == NULL)
		return;
	if ((value = getenv(name)) == NULL)
		config_err(
		    ctx, node, "environment variable %s is not set", name);
	else if (*value == '\0')
		config_err(ctx, node, "environment variable %s is empty", name);
	else if (strlen(value) > CONFIG_LINK_TOKEN_MAX)
		config_err(ctx, node,
		    "environment variable %s is longer than %d bytes", name,
		    CONFIG_LINK_TOKEN_MAX);
	else {
		config_link_token_wipe(l->token);
		if ((l->token = strdup(value)) == NULL)
			config_err(ctx, node, "out of memory");
	}
	free(name);
}

/* token: refused, whatever its value (which is never echoed). */
static void
config_link_token(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	(void)key;
	(void)target;
	config_err(ctx, node,
	    "a token is not written in the config file: use token_file or "
	    "token_env");
}

/* as: the name the other end gives this daemon, a word. */
static void
config_link_as(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_link *l = target;

	l->as = config_word(ctx, node, key->name);
}

static void
config_link_export(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_link *l = target;

	config_str_list(ctx, key->name, node, &l->exports, &l->nexports);
}

static void
config_link_import(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_link *l = target;

	config_str_list(ctx, key->name, node, &l->imports, &l->nimports);
}

static void
config_link_channels_out(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_link *l = target;

	config_str_list(
	    ctx, key->name, node, &l->channels_out, &l->nchannels_out);
}

static void
config_link_channels_in(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_link *l = target;

	config_str_list(
	    ctx, key->name, node, &l->channels_in, &l->nchannels_in);
}

/*
 * What a link needs besides its own keys: name, connect and as; a way to
 * log in (a token or a client certificate; never two tokens); a name no
 * earlier link has.  node is the link's mapping, for positions.
 */
static void
config_link_check(struct config_ctx *ctx, yaml_node_t *node,
    const struct config *cf, struct config_link *l)
{
	const struct config_link *o;
	char what[CONFIG_WORD_MAX + 16];

	if (l->name != NULL)
		snprintf(what, sizeof(what), "link '%s'", l->name);
	else
		snprintf(what, sizeof(what), "link");
	if (!config_has_key(ctx, node, "name"))
		config_err(ctx, node, "link needs a 'name'");
	if (!config_has_key(ctx, node, "connect"))
		config_err(ctx, node, "%s needs a 'connect'", what);
	if (!config_has_key(ctx, node, "as"))
		config_err(ctx, node, "%s needs an 'as'", what);
	if (config_has_key(ctx, node, "token_file") &&
	    config_has_key(ctx, node, "token_env"))
		config_err(ctx, config_get(ctx, node, "token_env"),
		    "use token_file or token_env, not both");
	if (!config_has_key(ctx, node, "token_file") &&
	    !config_has_key(ctx, node, "token_env") &&
	    !config_has_key(ctx, node, "token") && l->tls_cert == NULL)
		config_err(ctx, node,
		    "%s needs token_file, token_env or a tls cert", what);
	if (l->name == NULL)
		return;
	for (o = cf->links; o < l; o++)
		if (o->name != NULL && strcmp(o->name, l->name) == 0)
			config_err(ctx, config_get(ctx, node, "name"),
			    "duplicate link '%s'", l->name);
}

/* One item of links: a mapping {name, connect, as, ...}. */
static void
config_link_item(struct config_ctx *ctx, yaml_node_t *node,
    const struct config *cf, struct config_link *l)
{
	l->line = (int)node->start_mark.line + 1;
	l->column = (int)node->start_mark.column + 1;
	if (node->type != YAML_MAPPING_NODE) {
		config_err(ctx, node, "expected a mapping in 'links', got %s",
		    config_type_name(node->type));
		return;
	}
	config_section(ctx, node, config_link_keys, "links", l);
	config_link_check(ctx, node, cf, l);
	if (l->user == NULL && l->as != NULL &&
	    (l->user = strdup(l->as)) == NULL)
		config_err(ctx, node, "out of memory");
}

/* Handles links: a list of links (null or [] is none). */
void
config_links(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config *cf = target;
	size_t i, n = config_nitems(node);

	(void)key;
	if (n == 0)
		return;
	if ((cf->links = calloc(n, sizeof(*cf->links))) == NULL) {
		config_err(ctx, node, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		config_link_item(ctx,
		    config_node(ctx, node->data.sequence.items.start[i]), cf,
		    &cf->links[i]);
		cf->nlinks++;
	}
}

static int
config_link_globs_copy(char ***dst, size_t *ndst, char *const *src, size_t n)
{
	size_t i;

	*dst = NULL;
	*ndst = 0;
	if (n == 0)
		return 0;
	if ((*dst = calloc(n, sizeof(**dst))) == NULL)
		return -1;
	for (i = 0; i < n; i++, (*ndst)++)
		if (((*dst)[i] = strdup(src[i])) == NULL)
			return -1;
	return 0;
}

static int
config_link_strdup(char **dst, const char *src)
{
	*dst = NULL;
	return src != NULL && (*dst = strdup(src)) == NULL ? -1 : 0;
}

/*
 * Copies src into dst (zeroed first), token included.  Returns 0, or -1
 * out of memory (dst freed).
 */
int
config_link_copy(struct config_link *dst, const struct config_link *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->tls = src->tls;
	dst->line = src->line;
	dst->column = src->column;
	if (config_link_strdup(&dst->name, src->name) == -1 ||
	    config_link_strdup(&dst->connect, src->connect) == -1 ||
	    config_link_strdup(&dst->host, src->host) == -1 ||
	    config_link_strdup(&dst->port, src->port) == -1 ||
	    config_link_strdup(&dst->tls_ca, src->tls_ca) == -1 ||
	    config_link_strdup(&dst->tls_cert, src->tls_cert) == -1 ||
	    config_link_strdup(&dst->tls_key, src->tls_key) == -1 ||
	    config_link_strdup(&dst->user, src->user) == -1 ||
	    config_link_strdup(&dst->token, src->token) == -1 ||
	    config_link_strdup(&dst->as, src->as) == -1 ||
	    config_link_globs_copy(&dst->exports, &dst->nexports, src->exports,
	        src->nexports) == -1 ||
	    config_link_globs_copy(&dst->imports, &dst->nimports, src->imports,
	        src->nimports) == -1 ||
	    config_link_globs_copy(&dst->channels_out, &dst->nchannels_out,
	        src->channels_out, src->nchannels_out) == -1 ||
	    config_link_globs_copy(&dst->channels_in, &dst->nchannels_in,
	        src->channels_in, src->nchannels_in) == -1) {
		config_link_free(dst);
		return -1;
	}
	return 0;
}

static int
config_link_str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Whether two tokens are the same, in constant time for equal lengths. */
static int
config_link_secret_eq(const char *a, const char *b)
{
	size_t n;

	if (a == NULL || b == NULL)
		return a == b;
	n = strlen(a);
	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

static int
config_link_globs_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/* Whether a and b say the same (a reload leaves such a link up). */
int
config_link_equal(const struct config_link *a, const struct config_link *b)
{
	return a->tls == b->tls && config_link_str_eq(a->name, b->name) &&
	    config_link_str_eq(a->connect, b->connect) &&
	    config_link_str_eq(a->tls_ca, b->tls_ca) &&
	    config_link_str_eq(a->tls_cert, b->tls_cert) &&
	    config_link_str_eq(a->tls_key, b->tls_key) &&
	    config_link_str_eq(a->user, b->user) &&
	    config_link_secret_eq(a->token, b->token) &&
	    config_link_str_eq(a->as, b->as) &&
	    config_link_globs_eq(
	        a->exports, a->nexports, b->exports, b->nexports) &&
	    config_link_globs_eq(
	        a->imports, a->nimports, b->imports, b->nimports) &&
	    config_link_globs_eq(a->channels_out, a->nchannels_out,
	        b->channels_out, b->nchannels_out) &&
	    config_link_globs_eq(a->channels_in, a->nchannels_in,
	        b->channels_in, b->nchannels_in);
}
