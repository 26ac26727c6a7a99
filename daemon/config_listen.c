/* SPDX-License-Identifier: MIT */
/*
 * config_listen - the listen key of duetd.yaml: HOST:PORT, [IPV6]:PORT and
 * unix:PATH addresses, optionally with a protocols restriction, checked
 * (IPv4 and IPv6 literals, host names, ports 1..65535, socket path length)
 * and split into struct config_listen, and a listener's tls: settings
 * (files checked readable here, so duetd -t names a missing one; their
 * content is tls.c's).  Part of the config module.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"
#include "config_int.h"
#include "util.h"

#define CONFIG_DEFAULT_HOST "127.0.0.1"
#define CONFIG_DEFAULT_PORT "3838"

static config_handler_fn config_address, config_protocols, config_tls,
    config_tls_verify, config_tls_versions, config_tls_ciphers;

static const struct config_key config_listen_keys[] = {
    {"address", YAML_SCALAR_NODE, config_address, 0, 0, 0},
    {"protocols", YAML_SEQUENCE_NODE, config_protocols, 0, 0, 0},
    {"tls", YAML_MAPPING_NODE, config_tls, 0, 0, 0},
    {"access", YAML_MAPPING_NODE, config_access_listen, 0, 0, 0},
    {"mode", YAML_SCALAR_NODE, config_mode, 0, 0, 0},
    {"owner", YAML_SCALAR_NODE, config_owner, 0, 0, 0},
    {"group", YAML_SCALAR_NODE, config_group, 0, 0, 0},
    {NULL, YAML_NO_NODE, NULL, 0, 0, 0},
};

/* clang-format off */
#define TLS_FILE(name) \
	{#name, YAML_SCALAR_NODE, config_tls_file, \
	    offsetof(struct config_tls, name), 0, 0}
/* clang-format on */

static const struct config_key config_tls_keys[] = {
    TLS_FILE(cert),
    TLS_FILE(key),
    TLS_FILE(client_ca),
    {"verify_client", YAML_SCALAR_NODE, config_tls_verify, 0, 0, 0},
    {"protocols", YAML_SEQUENCE_NODE, config_tls_versions, 0, 0, 0},
    {"ciphers", YAML_SCALAR_NODE, config_tls_ciphers, 0, 0, 0},
    {NULL, YAML_NO_NODE, NULL, 0, 0, 0},
};

/* Returns 1 if host is an IPv4 literal or a plausible host name. */
static int
config_host_valid(const char *host)
{
	struct in_addr a4;
	const char *p;
	int name = 0;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return 1;
	for (p = host; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    *p == '-')
			name = 1;
		else if (!(*p >= '0' && *p <= '9') && *p != '.')
			return 0;
	}
	/* All digits and dots but not an IPv4 literal: a typo. */
	return name && host[0] != '-' && host[0] != '.';
}

/*
 * Splits text, "host:port" or "[v6]:port", into new strings *host and
 * *port (the port re-printed in decimal; both owned by the caller, set
 * even on failure so that the caller's free finds them).  forms names
 * what was expected in messages ("HOST:PORT or [IPV6]:PORT").  Returns
 * 0, or -1 with the error reported at node.
 */
int
config_host_port(struct config_ctx *ctx, yaml_node_t *node, const char *text,
    const char *forms, char **host, char **port)
{
	const char *s = text, *end, *p;
	struct in6_addr a6;
	uint64_t pnum;
	char buf[8];

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':')
			goto bad;
		*host = strndup(s + 1, (size_t)(end - s - 1));
		p = end + 2;
		if (*host != NULL && inet_pton(AF_INET6, *host, &a6) != 1)
			goto badhost;
	} else {
		if ((end = strrchr(s, ':')) == NULL)
			goto bad;
		*host = strndup(s, (size_t)(end - s));
		p = end + 1;
		if (*host != NULL && !config_host_valid(*host))
			goto badhost;
	}
	if (*host == NULL)
		goto nomem;
	if (util_parse_uint64(p, strlen(p), &pnum) == -1 || pnum < 1 ||
	    pnum > 65535) {
		config_err(ctx, node,
		    "invalid port '%s' in '%s' (expected 1..65535)", p, s);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%u", (unsigned)pnum);
	if ((*port = strdup(buf)) == NULL)
		goto nomem;
	return 0;
bad:
	config_err(ctx, node, "invalid address '%s' (expected %s)", s, forms);
	return -1;
badhost:
	config_err(ctx, node, "invalid host '%s' in '%s'%s", *host, s,
	    strchr(*host, ':') != NULL && s[0] != '['
	        ? " (an IPv6 address goes in brackets)"
	        : "");
	return -1;
nomem:
	config_err(ctx, node, "out of memory");
	return -1;
}

/* Sets a listener's address from a scalar: HOST:PORT, [V6]:PORT, unix:PATH. */
static void
config_address(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_listen *l = target;
	struct sockaddr_un sun;

	if ((l->text = config_strdup(ctx, node, key->name)) == NULL)
		return;
	if (strncmp(l->text, "unix:", 5) != 0) {
		config_host_port(ctx, node, l->text,
		    "HOST:PORT, [IPV6]:PORT or unix:PATH", &l->host, &l->port);
		return;
	}
	l->is_unix = 1;
	if (l->text[5] == '\0') {
		config_err(
		    ctx, node, "empty unix socket path in '%s'", l->text);
		return;
	}
	if (strlen(l->text + 5) >= sizeof(sun.sun_path)) {
		config_err(ctx, node,
		    "unix socket path too long (%zu bytes max)",
		    sizeof(sun.sun_path) - 1);
		return;
	}
	if ((l->path = strdup(l->text + 5)) == NULL)
		config_err(ctx, node, "out of memory");
}

/* A word of a list of flags (protocols:) and its bit. */
struct config_flag {
	const char *name;
	unsigned bit;
};

/*
 * Reads node, a non-empty list of words of flags, into a mask of their
 * bits.  what names a word in messages ("protocol"), expected the words
 * ("resp or http"), all the list of them ("resp, http").
 */
static unsigned
config_flags(struct config_ctx *ctx, yaml_node_t *node,
    const struct config_flag *flags, const char *what, const char *expected,
    const char *all)
{
	const struct config_flag *f;
	yaml_node_item_t *it;
	unsigned mask = 0;
	yaml_node_t *v;
	const char *s;

	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		v = config_node(ctx, *it);
		s = v->type == YAML_SCALAR_NODE ? config_scalar(v) : NULL;
		for (f = flags; f->name != NULL; f++)
			if (s != NULL && strcmp(s, f->name) == 0)
				break;
		if (f->name != NULL)
			mask |= f->bit;
		else
			config_err(ctx, v, "invalid %s %s%s%s (expected %s)",
			    what, s != NULL ? "'" : "",
			    s != NULL ? s : "(not a scalar)",
			    s != NULL ? "'" : "", expected);
	}
	if (it == node->data.sequence.items.start)
		config_err(
		    ctx, node, "'protocols' needs at least one of %s", all);
	return mask;
}

/* Restricts a listener to some protocols: a list of resp, http. */
static void
config_protocols(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	static const struct config_flag protocols[] = {
	    {"resp", CONFIG_PROTO_RESP},
	    {"http", CONFIG_PROTO_HTTP},
	    {NULL, 0},
	};
	struct config_listen *l = target;

	(void)key;
	l->protocols = config_flags(
	    ctx, node, protocols, "protocol", "resp or http", "resp, http");
}

/*
 * Copies the path at node for `what`; a relative one is taken from the
 * config file's folder.  Returns the path (owned by the caller), or NULL
 * with the error reported.
 */
char *
config_path(struct config_ctx *ctx, yaml_node_t *node, const char *what)
{
	const char *slash = strrchr(ctx->file, '/');
	char *path, *full = NULL;

	if ((path = config_strdup(ctx, node, what)) == NULL)
		return NULL;
	if (path[0] == '/' || slash == NULL)
		return path;
	if (asprintf(&full, "%.*s/%s", (int)(slash - ctx->file), ctx->file,
	        path) == -1) {
		config_err(ctx, node, "out of memory");
		full = NULL;
	}
	free(path);
	return full;
}

/*
 * A file of tls: (cert, key, client_ca; a link's ca, cert, key), stored
 * at key->off in target (config_path); the file must be readable now, so
 * that duetd -t and a reload name a missing one where it is written.
 */
void
config_tls_file(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	char **slot = (char **)((char *)target + key->off);
	char *path;

	if ((path = config_path(ctx, node, key->name)) == NULL)
		return;
	if (access(path, R_OK) == -1)
		config_err(ctx, node, "cannot read %s file %s: %s", key->name,
		    path, strerror(errno));
	free(*slot);
	*slot = path;
}

/* verify_client: none, optional or require. */
static void
config_tls_verify(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_tls *t = target;
	const char *v = config_scalar(node);

	(void)key;
	if (strcmp(v, "none") == 0)
		t->verify_client = CONFIG_VERIFY_NONE;
	else if (strcmp(v, "optional") == 0)
		t->verify_client = CONFIG_VERIFY_OPTIONAL;
	else if (strcmp(v, "require") == 0)
		t->verify_client = CONFIG_VERIFY_REQUIRE;
	else
		config_err(ctx, node,
		    "invalid verify_client '%s' (expected none, optional or "
		    "require)",
		    v);
}

/* protocols: a list of TLSv1.2, TLSv1.3. */
static void
config_tls_versions(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	static const struct config_flag versions[] = {
	    {"TLSv1.2", CONFIG_TLS_V1_2},
	    {"TLSv1.3", CONFIG_TLS_V1_3},
	    {NULL, 0},
	};
	struct config_tls *t = target;

	(void)key;
	t->versions = config_flags(ctx, node, versions, "TLS protocol",
	    "TLSv1.2 or TLSv1.3", "TLSv1.2, TLSv1.3");
}

/* ciphers: an OpenSSL cipher list (checked when the SSL_CTX is made). */
static void
config_tls_ciphers(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_tls *t = target;

	free(t->ciphers);
	t->ciphers = config_strdup(ctx, node, key->name);
}

/*
 * Frees a listener's TLS settings.  NULL is a no-op.
 */
void
config_tls_free(struct config_tls *tls)
{
	if (tls == NULL)
		return;
	free(tls->cert);
	free(tls->key);
	free(tls->client_ca);
	free(tls->ciphers);
	free(tls);
}

/* tls: a mapping with cert and key, more optional. */
static void
config_tls(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_listen *l = target;
	struct config_tls *t;

	(void)key;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		config_err(ctx, node, "out of memory");
		return;
	}
	config_tls_free(l->tls);
	l->tls = t;
	t->versions = CONFIG_TLS_V1_2 | CONFIG_TLS_V1_3;
	t->verify_client = (enum config_verify) - 1;
	t->line = (int)node->start_mark.line + 1;
	t->column = (int)node->start_mark.column + 1;
	config_section(ctx, node, config_tls_keys, "tls", t);
	if (!config_has_key(ctx, node, "cert") ||
	    !config_has_key(ctx, node, "key"))
		config_err(ctx, node, "tls needs a 'cert' and a 'key'");
	if (t->verify_client == (enum config_verify) - 1)
		t->verify_client = t->client_ca != NULL ? CONFIG_VERIFY_REQUIRE
		                                        : CONFIG_VERIFY_NONE;
	else if (t->verify_client != CONFIG_VERIFY_NONE && t->client_ca == NULL)
		config_err(ctx, node,
		    "verify_client needs a 'client_ca' to verify with");
}

/* One item of listen: an address scalar or a mapping. */
static void
config_listen_item(
    struct config_ctx *ctx, yaml_node_t *node, struct config_listen *l)
{
	l->protocols = CONFIG_PROTO_RESP | CONFIG_PROTO_HTTP;
	l->line = (int)node->start_mark.line + 1;
	l->column = (int)node->start_mark.column + 1;
	if (node->type == YAML_SCALAR_NODE) {
		config_address(ctx, &config_listen_keys[0], node, l);
	} else if (node->type == YAML_MAPPING_NODE) {
		config_section(ctx, node, config_listen_keys, "listen", l);
		if (!config_has_key(ctx, node, "address"))
			config_err(ctx, node, "listener needs an 'address'");
		config_listen_check_kind(ctx, node, l);
		if (l->tls != NULL && l->is_unix)
			config_err(ctx, node,
			    "tls is for TCP listeners, not unix sockets");
	} else {
		config_err(ctx, node,
		    "expected an address or a mapping in 'listen', got %s",
		    config_type_name(node->type));
	}
}

/* Handles listen: a non-empty list of listeners.  Errors go to ctx. */
void
config_listen_list(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config *cf = target;
	size_t i, n = config_nitems(node);

	(void)key;
	ctx->listen_set = 1;
	if (n == 0) {
		config_err(ctx, node, "'listen' needs at least one address");
		return;
	}
	if ((cf->listen = calloc(n, sizeof(*cf->listen))) == NULL) {
		config_err(ctx, node, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		config_listen_item(ctx,
		    config_node(ctx, node->data.sequence.items.start[i]),
		    &cf->listen[i]);
		cf->nlisten++;
	}
}

/*
 * Adds the default listener, 127.0.0.1:3838, for a file without listen.
 * Returns 0, or -1 when out of memory.
 */
int
config_default_listen(struct config *cf)
{
	struct config_listen *l;

	if ((cf->listen = calloc(1, sizeof(*cf->listen))) == NULL)
		return -1;
	l = &cf->listen[0];
	cf->nlisten = 1;
	l->protocols = CONFIG_PROTO_RESP | CONFIG_PROTO_HTTP;
	l->text = strdup(CONFIG_DEFAULT_HOST ":" CONFIG_DEFAULT_PORT);
	l->host = strdup(CONFIG_DEFAULT_HOST);
	l->port = strdup(CONFIG_DEFAULT_PORT);
	if (l->text == NULL || l->host == NULL || l->port == NULL)
		return -1;
	return 0;
}
