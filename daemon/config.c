/* SPDX-License-Identifier: MIT */
/*
 * config - duetd.yaml into a struct config.
 *
 * The file is read whole and loaded with libyaml's document API, because
 * every node carries a start mark and so every message can name
 * FILE:LINE:COLUMN.  Each mapping is walked against a table of
 * {key, expected node type, handler} (like Redis's static_configs[]):
 * unknown and duplicate keys are errors, a wrong node type names what was
 * expected, and handlers check their own values.  Errors are logged and
 * counted, and the walk goes on so that one run reports them all; a config
 * is only returned when there were none.  The listen key is parsed in
 * config_listen.c, the plugins key (each plugin's config packed into
 * msgpack) in config_plugin.c, the auth key in config_auth.c and the
 * links key in config_link.c.
 * Nothing here touches the running daemon: the caller decides what to do
 * with a fresh config.
 */
#include "autoconf.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config.h"
#include "config_int.h"
#include "log.h"
#include "util.h"

#define CONFIG_FILE_MAX    (16 * 1024 * 1024) /* bytes of YAML we read */
#define CONFIG_THREADS_MAX 1024

static config_handler_fn config_workers, config_blocking, config_plugin_dir,
    config_limits, config_count, config_size, config_duration, config_http,
    config_origins, config_hosts, config_log, config_log_level,
    config_log_timestamps;

static const struct config_key config_root_keys[] = {
    {"listen", YAML_SEQUENCE_NODE, config_listen_list, 0, 0, 0},
    {"workers", YAML_SCALAR_NODE, config_workers, 0, 0, 0},
    {"blocking_threads", YAML_SCALAR_NODE, config_blocking, 0, 0, 0},
    {"plugin_dir", YAML_SCALAR_NODE, config_plugin_dir, 0, 0, 0},
    {"plugins", YAML_SEQUENCE_NODE, config_plugins, 0, 0, 0},
    {"limits", YAML_MAPPING_NODE, config_limits, 0, 0, 0},
    {"http", YAML_MAPPING_NODE, config_http, 0, 0, 0},
    {"log", YAML_MAPPING_NODE, config_log, 0, 0, 0},
    {"auth", YAML_NO_NODE, config_auth, 0, 0, 0},
    {"access", YAML_MAPPING_NODE, config_access_root, 0, 0, 0},
    {"links", YAML_SEQUENCE_NODE, config_links, 0, 0, 0},
    {NULL, YAML_NO_NODE, NULL, 0, 0, 0},
};

/* clang-format off */
#define LIMIT(name, fn, min, max) \
	{#name, YAML_SCALAR_NODE, fn, offsetof(struct config_limits, name), \
	    min, max}
#define LIMIT_MS(name, fn, min, max) \
	{#name, YAML_SCALAR_NODE, fn, \
	    offsetof(struct config_limits, name##_ms), min, max}
/* clang-format on */

static const struct config_key config_limits_keys[] = {
    LIMIT(max_connections, config_count, 1, INT_MAX),
    LIMIT(max_connections_per_ip, config_count, 0, INT_MAX),
    LIMIT(max_request_bytes, config_size, 1, UINT64_MAX),
    LIMIT(max_args, config_count, 1, INT_MAX),
    LIMIT(max_nesting, config_count, 1, CONFIG_PACK_DEPTH),
    LIMIT(max_output_bytes, config_size, 1, UINT64_MAX),
    LIMIT(max_pubsub_output, config_size, 1, UINT64_MAX),
    LIMIT(max_pending_blocking, config_count, 1, INT_MAX),
    LIMIT_MS(header_timeout, config_duration, 1, UINT64_MAX),
    LIMIT_MS(idle_timeout, config_duration, 0, UINT64_MAX),
    LIMIT_MS(shutdown_timeout, config_duration, 0, UINT64_MAX),
    {NULL, YAML_NO_NODE, NULL, 0, 0, 0},
};

static const struct config_key config_http_keys[] = {
    {"allow_origins", YAML_SEQUENCE_NODE, config_origins, 0, 0, 0},
    {"allow_hosts", YAML_SEQUENCE_NODE, config_hosts, 0, 0, 0},
    {NULL, YAML_NO_NODE, NULL, 0, 0, 0},
};

static const struct config_key config_log_keys[] = {
    {"level", YAML_SCALAR_NODE, config_log_level, 0, 0, 0},
    {"timestamps", YAML_SCALAR_NODE, config_log_timestamps, 0, 0, 0},
    {NULL, YAML_NO_NODE, NULL, 0, 0, 0},
};

/* Logs "FILE:LINE:COLUMN: message" at the node's start and counts it. */
void
config_err(
    struct config_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s:%zu:%zu: %s", ctx->file, node->start_mark.line + 1,
	    node->start_mark.column + 1, msg);
	ctx->nerrors++;
}

/* Returns "a scalar", "a list" or "a mapping" for messages. */
const char *
config_type_name(yaml_node_type_t type)
{
	switch (type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* Returns 1 if s is one of YAML's spellings of word (true, True, TRUE). */
int
config_spelled(
    const char *s, const char *lower, const char *title, const char *upper)
{
	return strcmp(s, lower) == 0 || strcmp(s, title) == 0 ||
	    strcmp(s, upper) == 0;
}

/*
 * Reads node as a boolean: YAML 1.2's true or false (any of their three
 * spellings), plain.  Returns 1 or 0, or -1 when it is neither (the
 * caller reports it).
 */
int
config_bool(const yaml_node_t *node)
{
	const char *s = config_scalar(node);

	if (node->type != YAML_SCALAR_NODE ||
	    node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return -1;
	if (config_spelled(s, "true", "True", "TRUE"))
		return 1;
	if (config_spelled(s, "false", "False", "FALSE"))
		return 0;
	return -1;
}

/* Returns 1 for a plain null scalar: empty, ~, null, Null, NULL. */
int
config_is_null(const yaml_node_t *node)
{
	const char *s = config_scalar(node);

	if (node->type != YAML_SCALAR_NODE ||
	    node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return strcmp(s, "") == 0 || strcmp(s, "~") == 0 ||
	    strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "NULL") == 0;
}

/*
 * Copies the scalar node's value for `what`.  An empty value or one with a
 * NUL byte is an error.  Returns the copy (owned by the caller), or NULL
 * with the error reported.
 */
char *
config_strdup(struct config_ctx *ctx, yaml_node_t *node, const char *what)
{
	const char *s = config_scalar(node);
	char *copy;

	if (node->type != YAML_SCALAR_NODE || config_is_null(node) ||
	    *s == '\0') {
		config_err(
		    ctx, node, "expected a non-empty string for '%s'", what);
		return NULL;
	}
	if (strlen(s) != node->data.scalar.length) {
		config_err(ctx, node, "'%s' contains a NUL byte", what);
		return NULL;
	}
	if ((copy = strdup(s)) == NULL)
		config_err(ctx, node, "out of memory");
	return copy;
}

/* Returns 1 if the pair's key repeats an earlier key of the mapping. */
int
config_dup_key(struct config_ctx *ctx, yaml_node_t *map, yaml_node_pair_t *pair)
{
	yaml_node_t *k = config_node(ctx, pair->key), *e;
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < pair; p++) {
		e = config_node(ctx, p->key);
		if (e->type == YAML_SCALAR_NODE &&
		    e->data.scalar.length == k->data.scalar.length &&
		    memcmp(e->data.scalar.value, k->data.scalar.value,
		        k->data.scalar.length) == 0)
			return 1;
	}
	return 0;
}

/* Returns the value of key in the mapping, or NULL if it has none. */
yaml_node_t *
config_get(struct config_ctx *ctx, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = config_node(ctx, p->key);
		if (k->type == YAML_SCALAR_NODE &&
		    strcmp(config_scalar(k), key) == 0)
			return config_node(ctx, p->value);
	}
	return NULL;
}

/* Returns 1 if the mapping has the key. */
int
config_has_key(struct config_ctx *ctx, yaml_node_t *map, const char *key)
{
	return config_get(ctx, map, key) != NULL;
}

static const struct config_key *
config_lookup(const struct config_key *table, const char *key)
{
	for (; table->name != NULL; table++)
		if (strcmp(table->name, key) == 0)
			return table;
	return NULL;
}

/*
 * Walks the mapping map against table, calling each key's handler with
 * target.  section names the mapping in messages (NULL at the top level).
 */
void
config_section(struct config_ctx *ctx, yaml_node_t *map,
    const struct config_key *table, const char *section, void *target)
{
	const char *in = section != NULL ? " in " : "";
	const struct config_key *ent;
	yaml_node_pair_t *pair;
	yaml_node_t *k, *v;

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		k = config_node(ctx, pair->key);
		v = config_node(ctx, pair->value);
		if (k->type != YAML_SCALAR_NODE) {
			config_err(ctx, k, "expected a scalar key%s%s, got %s",
			    in, section != NULL ? section : "",
			    config_type_name(k->type));
			continue;
		}
		if (config_dup_key(ctx, map, pair)) {
			config_err(ctx, k, "duplicate key '%s'%s%s",
			    config_scalar(k), in,
			    section != NULL ? section : "");
			continue;
		}
		ent = strlen(config_scalar(k)) == k->data.scalar.length
		    ? config_lookup(table, config_scalar(k))
		    : NULL;
		if (ent == NULL) {
			config_err(ctx, k, "unknown key '%s'%s%s",
			    config_scalar(k), in,
			    section != NULL ? section : "");
			continue;
		}
		if (ent->type != YAML_NO_NODE && v->type != ent->type) {
			if (ent->type != YAML_SCALAR_NODE && config_is_null(v))
				continue;
			config_err(ctx, v, "expected %s for '%s', got %s",
			    config_type_name(ent->type), ent->name,
			    config_type_name(v->type));
			continue;
		}
		/* An unsupported key is reported where the key is. */
		ent->fn(
		    ctx, ent, ent->fn == config_unsupported ? k : v, target);
	}
}

/* Rejects a key of the spec that this build does not implement yet. */
void
config_unsupported(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	(void)target;
	config_err(
	    ctx, node, "'%s' is not supported by this build yet", key->name);
}

/*
 * Parses an unsigned integer value into *out, range-checked against
 * [key->min, key->max].  Returns 0, or -1 with the error reported.
 */
static int
config_uint(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, uint64_t *out)
{
	const char *s = config_scalar(node);
	uint64_t v;

	if (util_parse_uint64(s, node->data.scalar.length, &v) == -1 ||
	    v < key->min || v > key->max) {
		config_err(ctx, node,
		    "invalid %s '%s' (expected an integer %llu..%llu)",
		    key->name, s, (unsigned long long)key->min,
		    (unsigned long long)key->max);
		return -1;
	}
	*out = v;
	return 0;
}

/* workers: an integer 1..1024, or auto (stored as 0). */
static void
config_workers(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	const char *s = config_scalar(node);
	struct config *cf = target;
	uint64_t v;

	(void)key;
	if (strcmp(s, "auto") == 0) {
		cf->workers = 0;
		return;
	}
	if (util_parse_uint64(s, node->data.scalar.length, &v) == -1 || v < 1 ||
	    v > CONFIG_THREADS_MAX) {
		config_err(ctx, node,
		    "invalid workers '%s' (expected auto or an integer 1..%d)",
		    s, CONFIG_THREADS_MAX);
		return;
	}
	cf->workers = (int)v;
}

/* blocking_threads: an integer 1..1024. */
static void
config_blocking(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	const struct config_key range = {
	    key->name, YAML_SCALAR_NODE, NULL, 0, 1, CONFIG_THREADS_MAX};
	struct config *cf = target;
	uint64_t v;

	if (config_uint(ctx, &range, node, &v) == 0)
		cf->blocking_threads = (int)v;
}
/*
 * Returns rel joined to the directory of file (made absolute when that
 * directory exists), in a new string, or NULL when out of memory.
 */
static char *
config_resolve(const char *file, const char *rel)
{
	char *copy, *abs, *out = NULL;
	const char *dir;
	size_t len;

	if ((copy = strdup(file)) == NULL)
		return NULL;
	dir = dirname(copy);
	abs = realpath(dir, NULL);
	if (abs != NULL)
		dir = abs;
	len = strlen(dir) + 1 + strlen(rel) + 1;
	if ((out = malloc(len)) != NULL)
		snprintf(
		    out, len, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, rel);
	free(abs);
	free(copy);
	return out;
}

/* plugin_dir: a directory; a relative one is taken from the file's. */
static void
config_plugin_dir(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config *cf = target;
	char *dir;

	if ((dir = config_strdup(ctx, node, key->name)) == NULL)
		return;
	if (dir[0] != '/') {
		cf->plugin_dir = config_resolve(ctx->file, dir);
		free(dir);
		if (cf->plugin_dir == NULL)
			config_err(ctx, node, "out of memory");
	} else {
		cf->plugin_dir = dir;
	}
	cf->plugin_dir_line = (int)node->start_mark.line + 1;
	cf->plugin_dir_column = (int)node->start_mark.column + 1;
}

/* limits: a mapping of the keys in config_limits_keys. */
static void
config_limits(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config *cf = target;

	(void)key;
	config_section(ctx, node, config_limits_keys, "limits", &cf->limits);
}

/* A count limit: an integer within the key's range. */
static void
config_count(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	uint64_t v;

	if (config_uint(ctx, key, node, &v) == 0)
		memcpy((char *)target + key->off, &v, sizeof(v));
}

/* A size limit: 1024, 64KiB, 1MiB, ... (binary multiples). */
static void
config_size(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	const char *s = config_scalar(node);
	uint64_t v;

	if (util_parse_size(s, &v) == -1 ||
	    strlen(s) != node->data.scalar.length) {
		config_err(ctx, node,
		    "invalid size '%s' for '%s' (expected e.g. 4096, 64KiB, "
		    "1MiB, 1GiB)",
		    s, key->name);
		return;
	}
	if (v < key->min || v > key->max) {
		config_err(ctx, node, "'%s' must be at least %llu bytes",
		    key->name, (unsigned long long)key->min);
		return;
	}
	memcpy((char *)target + key->off, &v, sizeof(v));
}

/* A duration limit: 500ms, 10s, 5m, 1h; a bare number is seconds. */
static void
config_duration(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	const char *s = config_scalar(node);
	uint64_t v;

	if (util_parse_duration(s, &v) == -1 ||
	    strlen(s) != node->data.scalar.length) {
		config_err(ctx, node,
		    "invalid duration '%s' for '%s' (expected e.g. 500ms, 10s, "
		    "5m, 1h)",
		    s, key->name);
		return;
	}
	if (v < key->min || v > key->max) {
		config_err(ctx, node, "'%s' must be at least %llums", key->name,
		    (unsigned long long)key->min);
		return;
	}
	memcpy((char *)target + key->off, &v, sizeof(v));
}

/*
 * Copies a list of non-empty strings into *out / *n (a new array of new
 * strings, owned by the caller); what names the key in messages.
 */
void
config_str_list(struct config_ctx *ctx, const char *what, yaml_node_t *node,
    char ***out, size_t *n)
{
	size_t i, count = config_nitems(node);
	char *s;

	if (count == 0)
		return;
	if ((*out = calloc(count, sizeof(**out))) == NULL) {
		config_err(ctx, node, "out of memory");
		return;
	}
	for (i = 0; i < count; i++) {
		s = config_strdup(ctx,
		    config_node(ctx, node->data.sequence.items.start[i]), what);
		if (s != NULL)
			(*out)[(*n)++] = s;
	}
}

/* http: CORS origins and Host names. */
static void
config_http(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	(void)key;
	config_section(ctx, node, config_http_keys, "http", target);
}

static void
config_origins(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config *cf = target;

	config_str_list(
	    ctx, key->name, node, &cf->allow_origins, &cf->nallow_origins);
}

static void
config_hosts(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config *cf = target;

	config_str_list(
	    ctx, key->name, node, &cf->allow_hosts, &cf->nallow_hosts);
}

/* log: {level, timestamps}. */
static void
config_log(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	(void)key;
	config_section(ctx, node, config_log_keys, "log", target);
}

static void
config_log_level(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config *cf = target;
	enum log_level level;

	(void)key;
	if (log_level_parse(config_scalar(node), &level) == -1) {
		config_err(ctx, node,
		    "invalid log level '%s' (expected debug, info, warn or "
		    "error)",
		    config_scalar(node));
		return;
	}
	cf->log_level = (int)level;
}

static void
config_log_timestamps(struct config_ctx *ctx, const struct config_key *key,
    yaml_node_t *node, void *target)
{
	struct config *cf = target;
	enum log_timestamps mode;

	(void)key;
	if (log_timestamps_parse(config_scalar(node), &mode) == -1) {
		config_err(ctx, node,
		    "invalid log timestamps '%s' (expected auto, always or "
		    "never)",
		    config_scalar(node));
		return;
	}
	cf->log_timestamps = (int)mode;
}

/*
 * Reads the whole file into a new buffer (*buf, owned by the caller).
 * Returns 0, or -1 with "FILE: reason" logged.
 */
static int
config_read(const char *file, char **buf, size_t *len)
{
	char *data = NULL, *p;
	size_t n = 0, cap = 0, r;
	FILE *fp;

	if ((fp = fopen(file, "r")) == NULL)
		goto fail;
	do {
		if (n == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if (cap > CONFIG_FILE_MAX) {
				log_error("%s: file is larger than %d bytes",
				    file, CONFIG_FILE_MAX);
				goto done;
			}
			if ((p = realloc(data, cap)) == NULL)
				goto fail;
			data = p;
		}
		r = fread(data + n, 1, cap - n, fp);
		n += r;
	} while (r > 0);
	if (ferror(fp))
		goto fail;
	fclose(fp);
	*buf = data;
	*len = n;
	return 0;
fail:
	log_error("%s: %s", file, strerror(errno));
done:
	if (fp != NULL)
		fclose(fp);
	free(data);
	return -1;
}

/* Logs libyaml's error as FILE:LINE:COLUMN: problem (context). */
static void
config_yaml_error(struct config_ctx *ctx, const yaml_parser_t *parser,
    const char *buf, size_t len)
{
	size_t line = 0, col = 0, i;

	ctx->nerrors++;
	if (parser->error == YAML_MEMORY_ERROR) {
		log_error("%s: out of memory", ctx->file);
		return;
	}
	if (parser->error == YAML_READER_ERROR) {
		for (i = 0; i < parser->problem_offset && i < len; i++, col++)
			if (buf[i] == '\n')
				line++, col = (size_t)-1;
		log_error("%s:%zu:%zu: %s", ctx->file, line + 1, col + 1,
		    parser->problem);
		return;
	}
	if (parser->context != NULL)
		log_error("%s:%zu:%zu: %s (%s at line %zu, column %zu)",
		    ctx->file, parser->problem_mark.line + 1,
		    parser->problem_mark.column + 1, parser->problem,
		    parser->context, parser->context_mark.line + 1,
		    parser->context_mark.column + 1);
	else
		log_error("%s:%zu:%zu: %s", ctx->file,
		    parser->problem_mark.line + 1,
		    parser->problem_mark.column + 1, parser->problem);
}

/* Walks the document's root: nothing or null means all defaults. */
static void
config_root(struct config_ctx *ctx, yaml_document_t *doc)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);

	ctx->doc = doc;
	if (root == NULL || config_is_null(root))
		return;
	if (root->type != YAML_MAPPING_NODE) {
		config_err(ctx, root,
		    "expected a mapping at the top level, got %s",
		    config_type_name(root->type));
		return;
	}
	config_section(ctx, root, config_root_keys, NULL, ctx->cf);
}

/* Parses buf (the file's text) into ctx->cf, counting errors. */
static void
config_parse(struct config_ctx *ctx, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *extra;

	if (!yaml_parser_initialize(&parser)) {
		log_error("%s: out of memory", ctx->file);
		ctx->nerrors++;
		return;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		config_yaml_error(ctx, &parser, buf, len);
		goto done;
	}
	config_root(ctx, &doc);
	yaml_document_delete(&doc);
	if (!yaml_parser_load(&parser, &doc)) {
		config_yaml_error(ctx, &parser, buf, len);
		goto done;
	}
	if ((extra = yaml_document_get_root_node(&doc)) != NULL) {
		ctx->doc = &doc;
		config_err(ctx, extra, "only one YAML document is allowed");
	}
	yaml_document_delete(&doc);
done:
	ctx->doc = NULL;
	yaml_parser_delete(&parser);
}

/*
 * Reads and checks the config file.  Every problem is logged (at error
 * level) as FILE:LINE:COLUMN: message, and all of them are reported, not
 * just the first.  Returns a new config (free it with config_free) with
 * *nerrors set to 0, or NULL with *nerrors set to the number of errors
 * (nerrors may be NULL).  Touches no global state but the log.
 */
struct config *
config_load(const char *file, int *nerrors)
{
	struct config_ctx ctx;
	struct config *cf;
	char *buf = NULL;
	size_t len = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.file = file;
	if ((cf = calloc(1, sizeof(*cf))) == NULL ||
	    (cf->file = strdup(file)) == NULL) {
		log_error("%s: out of memory", file);
		ctx.nerrors++;
		goto done;
	}
	ctx.cf = cf;
	cf->blocking_threads = 16;
	cf->log_level = LOG_LVL_INFO;
	cf->log_timestamps = LOG_TS_AUTO;
	cf->limits = (struct config_limits){
	    .max_connections = 10000,
	    .max_request_bytes = 1024 * 1024,
	    .max_args = 65536,
	    .max_nesting = CONFIG_PACK_DEPTH,
	    .max_output_bytes = 64 * 1024 * 1024,
	    .max_pubsub_output = 8 * 1024 * 1024,
	    .max_pending_blocking = 1024,
	    .header_timeout_ms = 10 * 1000,
	    .idle_timeout_ms = 300 * 1000,
	    .shutdown_timeout_ms = 30 * 1000,
	};
	if (config_read(file, &buf, &len) == -1)
		ctx.nerrors++;
	else
		config_parse(&ctx, buf, len);
	if (ctx.nerrors == 0 && !ctx.listen_set &&
	    config_default_listen(cf) == -1) {
		log_error("%s: out of memory", file);
		ctx.nerrors++;
	}
done:
	free(buf);
	if (ctx.nerrors > 0) {
		config_free(cf);
		cf = NULL;
	}
	if (nerrors != NULL)
		*nerrors = ctx.nerrors;
	return cf;
}

/* Frees a config and everything it owns.  NULL is a no-op. */
void
config_free(struct config *cf)
{
	size_t i;

	if (cf == NULL)
		return;
	config_access_free(cf);
	for (i = 0; i < cf->nlisten; i++) {
		free(cf->listen[i].text);
		free(cf->listen[i].host);
		free(cf->listen[i].port);
		free(cf->listen[i].path);
		config_tls_free(cf->listen[i].tls);
	}
	free(cf->listen);
	for (i = 0; i < cf->nplugins; i++) {
		free(cf->plugins[i].name);
		free(cf->plugins[i].path);
		free(cf->plugins[i].config);
	}
	free(cf->plugins);
	for (i = 0; i < cf->nallow_origins; i++)
		free(cf->allow_origins[i]);
	free(cf->allow_origins);
	for (i = 0; i < cf->nallow_hosts; i++)
		free(cf->allow_hosts[i]);
	free(cf->allow_hosts);
	free(cf->plugin_dir);
	config_auth_free(cf->auth);
	for (i = 0; i < cf->nlinks; i++)
		config_link_free(&cf->links[i]);
	free(cf->links);
	free(cf->file);
	free(cf);
}
