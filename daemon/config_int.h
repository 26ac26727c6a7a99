/* SPDX-License-Identifier: MIT */
/*
 * config_int - what the parts of the config module share: the load
 * context, the key tables and the helpers that walk them.  config.c reads
 * the file and walks the top level, config_listen.c parses listen
 * addresses, config_plugin.c reads the plugins list and packs each
 * plugin's YAML config into msgpack, config_auth.c reads the auth key,
 * config_access.c who may connect (access lists, unix socket mode, owner
 * and group), config_link.c the links to other daemons (SPEC 11).  Not
 * for other modules: they use config.h.
 */
#ifndef DUET_CONFIG_INT_H
#define DUET_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "config.h"

#define CONFIG_PACK_DEPTH 32 /* msgpack-c 4 unpacks 32 levels */

/* One load: the document being walked and the config being built. */
struct config_ctx {
	const char *file;     /* borrowed: the caller's path */
	yaml_document_t *doc; /* borrowed: the document being walked */
	struct config *cf;    /* the config being built */
	int nerrors;
	int listen_set;      /* the file has a listen key */
	unsigned char *seen; /* owned: per plugin config, node ids packed */
};

struct config_key;
typedef void config_handler_fn(
    struct config_ctx *, const struct config_key *, yaml_node_t *, void *);

/*
 * One key of a mapping.  type is the node type the value must have
 * (YAML_NO_NODE: any); a null value for a list or mapping key counts as
 * empty and leaves the defaults.  off, min and max parameterise the
 * generic handlers (limits).
 */
struct config_key {
	const char *name;
	yaml_node_type_t type;
	config_handler_fn *fn;
	size_t off;
	uint64_t min;
	uint64_t max;
};

static inline const char *
config_scalar(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

static inline yaml_node_t *
config_node(struct config_ctx *ctx, int id)
{
	return yaml_document_get_node(ctx->doc, id);
}

static inline size_t
config_nitems(const yaml_node_t *node)
{
	return (size_t)(node->data.sequence.items.top -
	    node->data.sequence.items.start);
}

void config_err(struct config_ctx *ctx, const yaml_node_t *node,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *config_type_name(yaml_node_type_t type);
int config_is_null(const yaml_node_t *node);
char *config_strdup(
    struct config_ctx *ctx, yaml_node_t *node, const char *what);
int config_dup_key(
    struct config_ctx *ctx, yaml_node_t *map, yaml_node_pair_t *pair);
yaml_node_t *config_get(
    struct config_ctx *ctx, yaml_node_t *map, const char *key);
int config_has_key(struct config_ctx *ctx, yaml_node_t *map, const char *key);
void config_section(struct config_ctx *ctx, yaml_node_t *map,
    const struct config_key *table, const char *section, void *target);
int config_default_listen(struct config *cf);
int config_spelled(
    const char *s, const char *lower, const char *title, const char *upper);
int config_bool(const yaml_node_t *node);
void config_str_list(struct config_ctx *ctx, const char *what,
    yaml_node_t *node, char ***out, size_t *n);

config_handler_fn config_unsupported, config_listen_list, config_plugins,
    config_auth;

/* config_listen.c */
int config_host_port(struct config_ctx *ctx, yaml_node_t *node,
    const char *text, const char *forms, char **host, char **port);
char *config_path(struct config_ctx *ctx, yaml_node_t *node, const char *what);
config_handler_fn config_tls_file;

/* config_auth.c */
int config_auth_name_valid(const char *s);

/* config_link.c */
config_handler_fn config_links;
char *config_word(struct config_ctx *ctx, yaml_node_t *node, const char *what);

/* config_access.c */
config_handler_fn config_access_root, config_access_listen, config_mode,
    config_owner, config_group;
void config_listen_check_kind(
    struct config_ctx *ctx, yaml_node_t *map, const struct config_listen *l);
void config_access_free(struct config *cf);

#endif /* DUET_CONFIG_INT_H */
