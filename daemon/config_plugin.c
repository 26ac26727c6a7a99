/* SPDX-License-Identifier: MIT */
/*
 * config_plugin - the plugins key of duetd.yaml: a list of {name, path,
 * config}, where config is any YAML mapping packed into a msgpack map for
 * the plugin's init.  Plain scalars are typed as YAML 1.2's core schema
 * reads them (null, bool, int, float), everything else is a string.
 * Aliases (nodes reached twice: loops, billion laughs) and nesting deeper
 * than msgpack-c unpacks are refused.  Part of the config module.
 */
#include "autoconf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <yaml.h>

#include "config.h"
#include "config_int.h"
#include "util.h"

static config_handler_fn config_plugin_name, config_plugin_path,
    config_plugin_config;

static const struct config_key config_plugin_keys[] = {
    {"name", YAML_SCALAR_NODE, config_plugin_name, 0, 0, 0},
    {"path", YAML_SCALAR_NODE, config_plugin_path, 0, 0, 0},
    {"config", YAML_MAPPING_NODE, config_plugin_config, 0, 0, 0},
    {NULL, YAML_NO_NODE, NULL, 0, 0, 0},
};

static int config_pack(
    struct config_ctx *, msgpack_packer *, yaml_node_t *, int);

/* A plugin's name (optional: the descriptor has one). */
static void
config_plugin_name(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_plugin *p = target;

	p->name = config_strdup(ctx, node, key->name);
}

/* A plugin's path, kept as written (relative to plugin_dir if relative). */
static void
config_plugin_path(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config_plugin *p = target;

	p->path = config_strdup(ctx, node, key->name);
}

/* Returns 1 if s is a YAML 1.2 core-schema decimal float: 1.5, -2e3. */
static int
config_is_float(const char *s)
{
	size_t i = 0, digits = 0;

	if (s[i] == '-' || s[i] == '+')
		i++;
	for (; s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (s[i] == '.')
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (digits == 0)
		return 0;
	if (s[i] == 'e' || s[i] == 'E') {
		i++;
		if (s[i] == '-' || s[i] == '+')
			i++;
		if (!(s[i] >= '0' && s[i] <= '9'))
			return 0;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return s[i] == '\0';
}

/*
 * Packs a plain scalar the way YAML 1.2's core schema reads it: bool, int
 * or float (with .inf and .nan).  Returns 1 when packed, 0 when it is just
 * a string (nothing packed), -1 when packing failed.
 */
static int
config_pack_plain(msgpack_packer *pk, const char *s, size_t len)
{
	const char *num = s[0] == '+' ? s + 1 : s;
	const char *abs = s[0] == '+' || s[0] == '-' ? s + 1 : s;
	size_t nlen = (size_t)(len - (size_t)(num - s));
	uint64_t u;
	int64_t i;
	double d;

	if (config_spelled(s, "true", "True", "TRUE"))
		return msgpack_pack_true(pk) == 0 ? 1 : -1;
	if (config_spelled(s, "false", "False", "FALSE"))
		return msgpack_pack_false(pk) == 0 ? 1 : -1;
	if (num[0] != '+' && !(num != s && num[0] == '-')) {
		if (util_parse_int64(num, nlen, &i) == 0)
			return msgpack_pack_int64(pk, i) == 0 ? 1 : -1;
		if (util_parse_uint64(num, nlen, &u) == 0)
			return msgpack_pack_uint64(pk, u) == 0 ? 1 : -1;
	}
	if (config_spelled(abs, ".inf", ".Inf", ".INF"))
		d = s[0] == '-' ? -HUGE_VAL : HUGE_VAL;
	else if (config_spelled(s, ".nan", ".NaN", ".NAN"))
		d = NAN;
	else if (!config_is_float(s) || util_parse_double(s, len, &d) == -1)
		return 0;
	return msgpack_pack_double(pk, d) == 0 ? 1 : -1;
}

/*
 * Packs a scalar: typed if plain and it reads as a value, else a string.
 * Returns 0, or -1 when packing failed.
 */
static int
config_pack_scalar(msgpack_packer *pk, const yaml_node_t *node)
{
	const char *s = config_scalar(node);
	size_t len = node->data.scalar.length;
	int r;

	if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (config_is_null(node))
			return msgpack_pack_nil(pk);
		if (strlen(s) == len &&
		    (r = config_pack_plain(pk, s, len)) != 0)
			return r == 1 ? 0 : -1;
	}
	if (msgpack_pack_str(pk, len) != 0 ||
	    msgpack_pack_str_body(pk, s, len) != 0)
		return -1;
	return 0;
}

/* Packs a mapping; keys must be unique scalars and are packed as strings. */
static int
config_pack_map(
    struct config_ctx *ctx, msgpack_packer *pk, yaml_node_t *node, int depth)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k;

	if (msgpack_pack_map(pk,
	        (size_t)(node->data.mapping.pairs.top -
	            node->data.mapping.pairs.start)) != 0)
		return -1;
	for (pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		k = config_node(ctx, pair->key);
		if (k->type != YAML_SCALAR_NODE) {
			config_err(
			    ctx, k, "plugin config keys must be scalars");
			return -1;
		}
		if (config_dup_key(ctx, node, pair)) {
			config_err(ctx, k,
			    "duplicate key '%s' in plugin config",
			    config_scalar(k));
			return -1;
		}
		if (msgpack_pack_str(pk, k->data.scalar.length) != 0 ||
		    msgpack_pack_str_body(
		        pk, k->data.scalar.value, k->data.scalar.length) != 0 ||
		    config_pack(ctx, pk, config_node(ctx, pair->value),
		        depth + 1) == -1)
			return -1;
	}
	return 0;
}

/*
 * Packs a node of a plugin config.  A node reached twice is an alias (which
 * could also be a loop or a billion laughs) and is refused; so is nesting
 * deeper than msgpack-c unpacks.  Returns 0, or -1 with an error reported
 * (a failure of the packer itself is reported by the caller).
 */
static int
config_pack(
    struct config_ctx *ctx, msgpack_packer *pk, yaml_node_t *node, int depth)
{
	size_t id = (size_t)(node - ctx->doc->nodes.start);
	yaml_node_item_t *it;

	if (ctx->seen[id]) {
		config_err(ctx, node,
		    "aliases are not supported in plugin config "
		    "(this node is used again)");
		return -1;
	}
	ctx->seen[id] = 1;
	if (node->type == YAML_SCALAR_NODE)
		return config_pack_scalar(pk, node);
	if (depth > CONFIG_PACK_DEPTH) {
		config_err(ctx, node,
		    "plugin config is nested deeper than %d levels",
		    CONFIG_PACK_DEPTH);
		return -1;
	}
	if (node->type == YAML_MAPPING_NODE)
		return config_pack_map(ctx, pk, node, depth);
	if (msgpack_pack_array(pk, config_nitems(node)) != 0)
		return -1;
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++)
		if (config_pack(ctx, pk, config_node(ctx, *it), depth + 1) ==
		    -1)
			return -1;
	return 0;
}

/* A plugin's config: any mapping, handed to its init as a msgpack map. */
static void
config_plugin_config(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	size_t nnodes = (size_t)(ctx->doc->nodes.top - ctx->doc->nodes.start);
	struct config_plugin *p = target;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int before = ctx->nerrors;

	(void)key;
	if ((ctx->seen = calloc(nnodes, 1)) == NULL) {
		config_err(ctx, node, "out of memory");
		return;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (config_pack(ctx, &pk, node, 1) == -1) {
		if (ctx->nerrors == before)
			config_err(ctx, node, "out of memory");
		msgpack_sbuffer_destroy(&sb);
	} else {
		p->config_len = sb.size;
		p->config = msgpack_sbuffer_release(&sb);
	}
	free(ctx->seen);
	ctx->seen = NULL;
}

/* One item of plugins: a mapping {name?, path, config?}. */
static void
config_plugin_item(
    struct config_ctx *ctx, yaml_node_t *node, struct config_plugin *p)
{
	p->line = (int)node->start_mark.line + 1;
	p->column = (int)node->start_mark.column + 1;
	if (node->type != YAML_MAPPING_NODE) {
		config_err(ctx, node, "expected a mapping in 'plugins', got %s",
		    config_type_name(node->type));
		return;
	}
	config_section(ctx, node, config_plugin_keys, "plugins", p);
	if (!config_has_key(ctx, node, "path"))
		config_err(ctx, node, "plugin needs a 'path'");
	if (p->config == NULL) {
		if ((p->config = malloc(1)) == NULL) {
			config_err(ctx, node, "out of memory");
			return;
		}
		p->config[0] = (char)0x80; /* an empty msgpack map */
		p->config_len = 1;
	}
}

/* Handles plugins: a list of plugins to load with their config. */
void
config_plugins(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config *cf = target;
	size_t i, n = config_nitems(node);

	(void)key;
	if (n == 0)
		return;
	if ((cf->plugins = calloc(n, sizeof(*cf->plugins))) == NULL) {
		config_err(ctx, node, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		config_plugin_item(ctx,
		    config_node(ctx, node->data.sequence.items.start[i]),
		    &cf->plugins[i]);
		cf->nplugins++;
	}
}
