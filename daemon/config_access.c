/* SPDX-License-Identifier: MIT */
/*
 * config_access - who may connect (SPEC 9.5): the `access` key, global
 * and per TCP listener ({allow, deny} lists of address ranges, parsed by
 * cidr.c), a unix listener's `mode`, `owner` and `group` (names resolved
 * here, at load), and the copy of the lists a registry generation keeps
 * (config_acls).  Part of the config module: every error names
 * file:line:column; nothing here touches a socket.
 */
#include "autoconf.h"

#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cidr.h"
#include "config.h"
#include "config_int.h"
#include "util.h"

#define CONFIG_PW_BUF_MAX (1024 * 1024) /* getpwnam_r/getgrnam_r buffer */

static config_handler_fn config_allow, config_deny;

static const struct config_key config_access_keys[] = {
    {"allow", YAML_SEQUENCE_NODE, config_allow, 0, 0, 0},
    {"deny", YAML_SEQUENCE_NODE, config_deny, 0, 0, 0},
    {NULL, YAML_NO_NODE, NULL, 0, 0, 0},
};

/*
 * Parses a list of ranges into *out / *n (owned by the access struct);
 * what names the list in messages.
 */
static void
config_cidr_list(struct config_ctx *ctx, const char *what, yaml_node_t *node,
    struct cidr **out, size_t *n)
{
	size_t i, count = config_nitems(node);
	enum cidr_error e;
	yaml_node_t *v;
	const char *s;

	if (count == 0)
		return;
	if ((*out = calloc(count, sizeof(**out))) == NULL) {
		config_err(ctx, node, "out of memory");
		return;
	}
	for (i = 0; i < count; i++) {
		v = config_node(ctx, node->data.sequence.items.start[i]);
		if (v->type != YAML_SCALAR_NODE) {
			config_err(ctx, v,
			    "expected an address or a range in '%s', got %s",
			    what, config_type_name(v->type));
			continue;
		}
		s = config_scalar(v);
		e = cidr_parse(s, v->data.scalar.length, &(*out)[*n]);
		if (e == CIDR_OK)
			(*n)++;
		else if (e == CIDR_BAD)
			config_err(ctx, v,
			    "invalid address range '%s' in '%s' (expected e.g. "
			    "10.0.0.0/8, 10.0.0.13 or ::1)",
			    s, what);
		else
			config_err(ctx, v,
			    "prefix too long in '%s' (an %s prefix is at most "
			    "%d)",
			    s, e == CIDR_PREFIX_V4 ? "IPv4" : "IPv6",
			    e == CIDR_PREFIX_V4 ? 32 : 128);
	}
}

static void
config_allow(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_access *a = target;

	config_cidr_list(ctx, key->name, node, &a->acl.allow, &a->acl.nallow);
}

static void
config_deny(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_access *a = target;

	config_cidr_list(ctx, key->name, node, &a->acl.deny, &a->acl.ndeny);
}

/* The top-level access key: the global lists. */
void
config_access_root(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config *cf = target;

	(void)key;
	cf->access.set = 1;
	config_section(ctx, node, config_access_keys, "access", &cf->access);
}

/* A listener's access key: replaces the global lists there. */
void
config_access_listen(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_listen *l = target;

	(void)key;
	l->access.set = 1;
	config_section(ctx, node, config_access_keys, "access", &l->access);
}

/* mode: the socket file's permissions, 3 or 4 octal digits ("0660"). */
void
config_mode(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_listen *l = target;
	const char *s = config_scalar(node);
	size_t i, len = node->data.scalar.length;
	unsigned v = 0;

	(void)key;
	for (i = 0; i < len && s[i] >= '0' && s[i] <= '7'; i++)
		v = v * 8 + (unsigned)(s[i] - '0');
	if (len < 3 || len > 4 || i != len) {
		config_err(ctx, node,
		    "invalid mode '%s' (expected 3 or 4 octal digits, e.g. "
		    "\"0660\")",
		    s);
		return;
	}
	l->has_mode = 1;
	l->mode = (mode_t)v;
}

/*
 * Looks a user (group 0) or a group (1) up by name, then as a number.
 * Returns 0 with *id set, 1 when there is no such one, or -1 (out of
 * memory, or the lookup failed: errno).
 */
static int
config_lookup_id(const char *name, int group, unsigned long *id)
{
	size_t size = 4096;
	char *buf = NULL, *p;
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	uint64_t v;
	int rv;

	for (;;) {
		if ((p = realloc(buf, size)) == NULL) {
			free(buf);
			return -1;
		}
		buf = p;
		rv = group ? getgrnam_r(name, &gr, buf, size, &grp)
		           : getpwnam_r(name, &pw, buf, size, &pwp);
		if (rv != ERANGE || size >= CONFIG_PW_BUF_MAX)
			break;
		size *= 2;
	}
	if (pwp != NULL || grp != NULL) {
		*id =
		    group ? (unsigned long)gr.gr_gid : (unsigned long)pw.pw_uid;
		rv = 0;
	} else if (util_parse_uint64(name, strlen(name), &v) == 0 &&
	    v < (uint64_t)(uid_t)-1) {
		*id = (unsigned long)v;
		rv = 0;
	} else if (rv == 0 || rv == ENOENT || rv == ESRCH) {
		rv = 1;
	} else {
		errno = rv;
		rv = -1;
	}
	free(buf);
	return rv;
}

/* owner, group: a user or group name (or number) for the socket file. */
static void
config_owner_group(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, struct config_listen *l, int group)
{
	unsigned long id;
	char *name;
	int rv;

	if ((name = config_strdup(ctx, node, key->name)) == NULL)
		return;
	if ((rv = config_lookup_id(name, group, &id)) == 1)
		config_err(ctx, node, "unknown %s '%s'",
		    group ? "group" : "user", name);
	else if (rv == -1)
		config_err(ctx, node, "cannot look %s '%s' up: %s",
		    group ? "group" : "user", name, strerror(errno));
	else if (group) {
		l->has_group = 1;
		l->group = (gid_t)id;
	} else {
		l->has_owner = 1;
		l->owner = (uid_t)id;
	}
	free(name);
}

void
config_owner(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	config_owner_group(ctx, key, node, target, 0);
}

void
config_group(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	config_owner_group(ctx, key, node, target, 1);
}

/*
 * Checks, once a listener's mapping is read, that its keys fit its kind
 * of address: mode, owner and group only on a unix socket, access only
 * on a TCP address.  Errors name the key's position.
 */
void
config_listen_check_kind(
    struct config_ctx *ctx, yaml_node_t *map, const struct config_listen *l)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;
	const char *s;

	if (l->text == NULL)
		return;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = config_node(ctx, p->key);
		if (k->type != YAML_SCALAR_NODE)
			continue;
		s = config_scalar(k);
		if (!l->is_unix &&
		    (strcmp(s, "mode") == 0 || strcmp(s, "owner") == 0 ||
		        strcmp(s, "group") == 0))
			config_err(ctx, k,
			    "'%s' applies to a unix socket listener only", s);
		else if (l->is_unix && strcmp(s, "access") == 0)
			config_err(ctx, k,
			    "'access' does not apply to a unix socket (its "
			    "mode, owner and group do)");
	}
}

/* Frees the access lists of cf and of its listeners. */
void
config_access_free(struct config *cf)
{
	size_t i;

	cidr_acl_fini(&cf->access.acl);
	for (i = 0; i < cf->nlisten; i++)
		cidr_acl_fini(&cf->listen[i].access.acl);
}

/*
 * Copies the address lists of cf that a generation serves with into a
 * new *out (free it with config_acls_free): the global lists, and those
 * of each TCP listener that has its own.  *out is NULL when cf has no
 * access key at all, so that accepting costs one NULL check.  Returns 0,
 * or -1 when out of memory.
 */
int
config_acls_new(const struct config *cf, struct config_acls **out)
{
	struct config_acls *a;
	size_t i, n = 0;

	*out = NULL;
	for (i = 0; i < cf->nlisten; i++)
		n += !cf->listen[i].is_unix && cf->listen[i].access.set;
	if (!cf->access.set && n == 0)
		return 0;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (n > 0 && (a->listen = calloc(n, sizeof(*a->listen))) == NULL))
		goto fail;
	a->has_global = cf->access.set;
	if (cidr_acl_copy(&a->global, &cf->access.acl) == -1)
		goto fail;
	for (i = 0; i < cf->nlisten; i++) {
		const struct config_listen *l = &cf->listen[i];
		struct config_acl_listen *e = &a->listen[a->nlisten];

		if (l->is_unix || !l->access.set)
			continue;
		a->nlisten++;
		if ((e->listen = strdup(l->text)) == NULL ||
		    cidr_acl_copy(&e->acl, &l->access.acl) == -1)
			goto fail;
	}
	*out = a;
	return 0;
fail:
	config_acls_free(a);
	return -1;
}

/*
 * The lists that govern the TCP listener whose address is written
 * listen: its own, else the global ones, else NULL (everyone may
 * connect).  Borrowed from a.
 */
const struct cidr_acl *
config_acls_for(const struct config_acls *a, const char *listen)
{
	size_t i;

	for (i = 0; i < a->nlisten; i++)
		if (strcmp(a->listen[i].listen, listen) == 0)
			return &a->listen[i].acl;
	return a->has_global ? &a->global : NULL;
}

/*
 * Frees a generation's lists.  NULL is a no-op.
 */
void
config_acls_free(struct config_acls *a)
{
	size_t i;

	if (a == NULL)
		return;
	cidr_acl_fini(&a->global);
	for (i = 0; i < a->nlisten; i++) {
		free(a->listen[i].listen);
		cidr_acl_fini(&a->listen[i].acl);
	}
	free(a->listen);
	free(a);
}
