/* SPDX-License-Identifier: MIT */
/*
 * registry - building, looking up and retiring command generations.
 *
 * A generation is immutable once published.  Workers keep a reference to
 * the generation they use and compare its id with the published one once
 * per request (registry_refresh), so the hot path costs one atomic load;
 * the mutex is only taken when a reload has published a new generation.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "paths.h"
#include "plugin.h"
#include "registry.h"
#include "signature.h"
#include "util.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct registry *registry_published; /* owned reference */
static atomic_uint_fast64_t registry_published_id;
static atomic_uint_fast64_t registry_next_id;

/* ASCII lower case, whatever the locale (names are ASCII). */
static inline unsigned char
registry_lower(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 'A' && u <= 'Z' ? (unsigned char)(u | 0x20) : u;
}

static uint64_t
registry_hash(const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= registry_lower(name[i]);
		h *= 1099511628211ULL;
	}
	return h;
}

/* Whether a[0..len) and b[0..len) are equal but for ASCII case. */
static int
registry_name_eq(const char *a, const char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (registry_lower(a[i]) != registry_lower(b[i]))
			return 0;
	}
	return 1;
}

/*
 * A command name is 1..REGISTRY_NAME_MAX of [A-Za-z0-9._:-], starting with
 * a letter.
 */
static int
registry_name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > REGISTRY_NAME_MAX ||
	    !isalpha((unsigned char)name[0]))
		return 0;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)name[i]) &&
		    strchr("._:-", name[i]) == NULL)
			return 0;
	}
	return 1;
}

/* Frees what command c owns (its strings and signature), not c itself. */
void
registry_command_fini(struct command *c)
{
	free(c->name);
	sig_free(c->sig);
	free(c->args);
	free(c->reply);
	free(c->summary);
}

/*
 * Whether dc can join reg: a valid name, a handler, a name not taken yet.
 * Returns 0, or -1 with err set.
 */
static int
registry_can_add(const struct registry *reg, const struct duet_command *dc,
    const struct plugin *owner, struct duet_err *err)
{
	const struct command *c;
	size_t i;

	if (dc->name == NULL || !registry_name_valid(dc->name)) {
		util_err_set(err, "ERR", "invalid command name '%s'",
		    dc->name != NULL ? dc->name : "(null)");
		return -1;
	}
	if (dc->handler == NULL) {
		util_err_set(
		    err, "ERR", "command '%s' has no handler", dc->name);
		return -1;
	}
	for (i = 0; i < reg->ncommands; i++) {
		c = &reg->commands[i];
		if (strcasecmp(c->name, dc->name) != 0)
			continue;
		if (c->plugin == owner)
			util_err_set(err, "ERR",
			    "command '%s' is declared twice", dc->name);
		else if (c->plugin == NULL)
			util_err_set(err, "ERR",
			    "command '%s' is a reserved built-in: rename the "
			    "command",
			    dc->name);
		else
			util_err_set(err, "ERR",
			    "command '%s' clashes with %s (plugin %s): remove "
			    "one of the two files or rename the command",
			    dc->name, c->plugin->path, c->plugin->name);
		return -1;
	}
	return 0;
}

/*
 * Appends a copy of one declared command.  Returns 0, or -1 with err set
 * (invalid name, bad signature, name taken).
 */
static int
registry_add(struct registry *reg, const struct duet_command *dc,
    struct plugin *owner, struct duet_err *err)
{
	struct command *c, *cmds;
	size_t i;

	if (registry_can_add(reg, dc, owner, err) == -1)
		return -1;
	cmds = realloc(reg->commands, (reg->ncommands + 1) * sizeof(*cmds));
	if (cmds == NULL)
		goto nomem;
	reg->commands = cmds;
	c = &cmds[reg->ncommands];
	memset(c, 0, sizeof(*c));
	if ((c->sig = sig_parse(dc->args != NULL ? dc->args : "", err)) ==
	    NULL) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		util_err_set(err, "ERR", "command '%s': %s", dc->name, why);
		return -1;
	}
	reg->ncommands++;
	c->name = strdup(dc->name);
	c->args = strdup(dc->args != NULL ? dc->args : "");
	c->reply = strdup(dc->reply != NULL ? dc->reply : "any");
	c->summary = strdup(dc->summary != NULL ? dc->summary : "");
	if (c->name == NULL || c->args == NULL || c->reply == NULL ||
	    c->summary == NULL)
		goto nomem;
	for (i = 0; c->name[i] != '\0'; i++)
		c->name[i] = (char)tolower((unsigned char)c->name[i]);
	c->namelen = i;
	c->flags = dc->flags;
	c->arity = sig_arity(c->sig);
	c->handler = dc->handler;
	c->plugin = owner;
	if ((c->stats = metrics_cmd_get(c->name)) == NULL)
		goto nomem;
	return 0;
nomem:
	util_err_set(err, "ERR", "out of memory");
	return -1;
}

/*
 * Adds every command of a table ending with a NULL name; stride is the
 * size of one entry as the plugin was built (ABI minors only append).
 */
static int
registry_add_table(struct registry *reg, const struct duet_command *table,
    size_t stride, struct plugin *owner, struct duet_err *err)
{
	const char *p = (const char *)table;

	for (; ((const struct duet_command *)p)->name != NULL; p += stride) {
		if (registry_add(
		        reg, (const struct duet_command *)p, owner, err) == -1)
			return -1;
	}
	return 0;
}

/*
 * Builds the name index (open addressing, load factor at most 1/2) and
 * the list of the commands' counters that metrics_render is handed.
 */
static int
registry_index(struct registry *reg)
{
	size_t i, j, size = 16;

	while (size < reg->ncommands * 2)
		size *= 2;
	if ((reg->index = calloc(size, sizeof(*reg->index))) == NULL ||
	    (reg->stats = calloc(reg->ncommands + 1, sizeof(*reg->stats))) ==
	        NULL)
		return -1;
	for (i = 0; i < reg->ncommands; i++)
		reg->stats[i] = reg->commands[i].stats;
	reg->indexsize = size;
	for (i = 0; i < reg->ncommands; i++) {
		struct command *c = &reg->commands[i];

		j = registry_hash(c->name, c->namelen) & (size - 1);
		while (reg->index[j] != NULL)
			j = (j + 1) & (size - 1);
		reg->index[j] = c;
	}
	return 0;
}

/*
 * Finds a command by name, case-insensitively.  Returns NULL if unknown.
 * The command is borrowed from reg.
 */
const struct command *
registry_lookup(const struct registry *reg, const char *name, size_t len)
{
	const struct command *c;
	size_t j, mask = reg->indexsize - 1;

	if (len == 0 || len > REGISTRY_NAME_MAX)
		return NULL;
	j = registry_hash(name, len) & mask;
	while ((c = reg->index[j]) != NULL) {
		if (c->namelen == len && registry_name_eq(c->name, name, len))
			return c;
		j = (j + 1) & mask;
	}
	return NULL;
}

/*
 * The plugin of reg loaded from the same file as path (the same path
 * twice, a symbolic or hard link), or NULL.
 */
static const struct plugin *
registry_same_file(const struct registry *reg, const char *path)
{
	struct stat st;
	size_t i;

	if (stat(path, &st) == -1)
		return NULL;
	for (i = 0; i < reg->nplugins; i++) {
		if (reg->plugins[i]->dev == st.st_dev &&
		    reg->plugins[i]->ino == st.st_ino)
			return reg->plugins[i];
	}
	return NULL;
}

/*
 * Loads, checks and initialises one plugin and adds its commands.  where
 * says where the config asks for it ("file:line:col" of its plugins entry
 * or of plugin_dir, or the file when plugin_dir is the default) and
 * prefixes error messages.  Returns 0 or -1 (error already logged).
 */
static int
registry_load_plugin(struct registry *reg, const char *path,
    const char *want_name, const char *config, size_t config_len,
    const struct duet_host *host, const char *where)
{
	const struct plugin *twin;
	struct plugin *p, **ps;
	struct duet_err err;

	if ((twin = registry_same_file(reg, path)) != NULL) {
		if (strcmp(twin->path, path) == 0)
			util_err_set(&err, "ERR",
			    "loaded twice (already from %s): list each plugin "
			    "file once",
			    twin->where);
		else
			util_err_set(&err, "ERR",
			    "loaded twice (the same file as %s, from %s): list "
			    "each plugin file once",
			    twin->path, twin->where);
		goto fail;
	}
	if ((p = plugin_load(path, host, &err)) == NULL)
		goto fail;
	if ((p->where = strdup(where)) == NULL ||
	    (ps = realloc(reg->plugins, (reg->nplugins + 1) * sizeof(*ps))) ==
	        NULL) {
		plugin_free(p);
		util_err_set(&err, "ERR", "out of memory");
		goto fail;
	}
	reg->plugins = ps;
	reg->plugins[reg->nplugins++] = p;
	p->gen = reg;
	if (want_name != NULL && strcmp(want_name, p->name) != 0) {
		util_err_set(&err, "ERR", "file holds plugin '%s', not '%s'",
		    p->name, want_name);
		goto fail;
	}
	if (registry_add_table(
	        reg, p->desc->commands, p->desc->command_size, p, &err) == -1 ||
	    plugin_init(p, config, config_len, &err) == -1)
		goto fail;
	log_info("loaded plugin %s %s from %s", p->name, p->version, path);
	return 0;
fail:
	log_error("%s: plugin %s: %s", where, path, err.msg);
	return -1;
}

static int
registry_so_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 3 &&
	    strcmp(d->d_name + len - 3, ".so") == 0;
}

/*
 * Whether dir/name is the same file as one of the plugins list entries
 * (the same path, a symbolic or a hard link): it is loaded once, with the
 * entry's config.
 */
static int
registry_listed(const struct config *cf, const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat a, b;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &a) == -1)
		return 0;
	for (i = 0; i < cf->nplugins; i++) {
		const char *p = cf->plugins[i].path;

		if (p[0] != '/') {
			snprintf(path, sizeof(path), "%s/%s", dir, p);
			p = path;
		}
		if (stat(p, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			return 1;
	}
	return 0;
}

/*
 * Loads every *.so of the plugin directory, in name order, except those
 * the plugins list names (they are loaded with their config).  Returns the
 * number of errors.
 */
static int
registry_load_dir(struct registry *reg, const struct config *cf,
    const char *dir, const struct duet_host *host)
{
	struct dirent **ents;
	char path[PATH_MAX], where[PATH_MAX + 32];
	int i, n, nerrors = 0;

	if ((n = scandir(dir, &ents, registry_so_filter, alphasort)) == -1) {
		if (cf->plugin_dir_line == 0 && errno == ENOENT) {
			log_info("no plugin directory %s", dir);
			return 0;
		}
		log_error("%s:%d:%d: plugin_dir %s: %s", cf->file,
		    cf->plugin_dir_line, cf->plugin_dir_column, dir,
		    strerror(errno));
		return 1;
	}
	/* Where a clash or a bad file of the directory points: the
	 * plugin_dir key, or the file when the default is used. */
	if (cf->plugin_dir_line > 0)
		snprintf(where, sizeof(where), "%s:%d:%d", cf->file,
		    cf->plugin_dir_line, cf->plugin_dir_column);
	else
		snprintf(where, sizeof(where), "%s", cf->file);
	for (i = 0; i < n; i++) {
		if (!registry_listed(cf, dir, ents[i]->d_name)) {
			snprintf(
			    path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			if (registry_load_plugin(
			        reg, path, NULL, NULL, 0, host, where) == -1)
				nerrors++;
		}
		free(ents[i]);
	}
	free(ents);
	return nerrors;
}

/*
 * Loads the plugins list entries.  Returns the number of errors.
 */
static int
registry_load_list(struct registry *reg, const struct config *cf,
    const char *dir, const struct duet_host *host)
{
	char path[PATH_MAX], where[PATH_MAX + 32];
	int nerrors = 0;
	size_t i;

	for (i = 0; i < cf->nplugins; i++) {
		const struct config_plugin *cp = &cf->plugins[i];

		if (cp->path[0] == '/')
			snprintf(path, sizeof(path), "%s", cp->path);
		else
			snprintf(path, sizeof(path), "%s/%s", dir, cp->path);
		snprintf(where, sizeof(where), "%s:%d:%d", cf->file, cp->line,
		    cp->column);
		if (registry_load_plugin(reg, path, cp->name, cp->config,
		        cp->config_len, host, where) == -1)
			nerrors++;
	}
	return nerrors;
}

/*
 * Copies the settings of cf that a generation carries.
 */
static int
registry_settings(struct registry *reg, const struct config *cf)
{
	int failed = 0;

	reg->limits = cf->limits;
	reg->allow_origins =
	    util_strv_dup(cf->allow_origins, cf->nallow_origins, &failed);
	reg->nallow_origins = cf->nallow_origins;
	reg->allow_hosts =
	    util_strv_dup(cf->allow_hosts, cf->nallow_hosts, &failed);
	reg->nallow_hosts = cf->nallow_hosts;
	if (config_acls_new(cf, &reg->access) == -1)
		failed = 1;
	return failed ? -1 : 0;
}

/*
 * Builds the generation's auth (reg->auth) from cf: what auth_build is
 * told of each command, in the generation's order.  Returns the number of
 * errors (logged).
 */
static int
registry_auth(struct registry *reg, const struct config *cf)
{
	struct auth_cmd *cmds;
	size_t i;
	int nerrors;

	if (cf->auth == NULL)
		return 0;
	if ((cmds = calloc(reg->ncommands + 1, sizeof(*cmds))) == NULL) {
		log_error("out of memory");
		return 1;
	}
	for (i = 0; i < reg->ncommands; i++) {
		cmds[i].name = reg->commands[i].name;
		cmds[i].flags = reg->commands[i].flags;
		cmds[i].builtin = reg->commands[i].plugin == NULL;
	}
	nerrors = auth_build(cf, cmds, reg->ncommands, &reg->auth);
	free(cmds);
	return nerrors;
}

/*
 * Builds a new generation: the built-in table, then the plugins of cf,
 * then the users and rules of cf's auth compiled against its commands.
 * Every problem is logged; *nerrors receives their count.  Returns the
 * generation with one reference for the caller, or NULL on any error.
 */
struct registry *
registry_build(const struct config *cf, const struct duet_host *host,
    const struct duet_command *builtins, int *nerrors)
{
	const char *dir = cf->plugin_dir != NULL ? cf->plugin_dir : PLUGINDIR;
	struct registry *reg;
	struct duet_err err;

	*nerrors = 0;
	if ((reg = calloc(1, sizeof(*reg))) == NULL) {
		log_error("out of memory");
		*nerrors = 1;
		return NULL;
	}
	atomic_init(&reg->refcnt, 1);
	reg->id = atomic_fetch_add(&registry_next_id, 1) + 1;
	if (registry_settings(reg, cf) == -1) {
		log_error("out of memory");
		(*nerrors)++;
	}
	if (builtins != NULL &&
	    registry_add_table(reg, builtins, sizeof(*builtins), NULL, &err) ==
	        -1) {
		log_error("built-in commands: %s", err.msg);
		(*nerrors)++;
	}
	*nerrors += registry_load_dir(reg, cf, dir, host);
	*nerrors += registry_load_list(reg, cf, dir, host);
	if (*nerrors == 0 && registry_index(reg) == -1) {
		log_error("out of memory");
		(*nerrors)++;
	}
	if (*nerrors == 0)
		*nerrors += registry_auth(reg, cf);
	if (*nerrors > 0) {
		registry_unref(reg);
		return NULL;
	}
	return reg;
}

/*
 * Takes one more reference on reg (any thread).
 */
void
registry_ref(struct registry *reg)
{
	atomic_fetch_add(&reg->refcnt, 1);
}

/*
 * Drops one reference; the last one finishes the plugins (fini, dlclose,
 * in reverse load order) and frees the generation.  NULL is a no-op.
 */
void
registry_unref(struct registry *reg)
{
	size_t i;

	if (reg == NULL || atomic_fetch_sub(&reg->refcnt, 1) != 1)
		return;
	for (i = 0; i < reg->ncommands; i++)
		registry_command_fini(&reg->commands[i]);
	for (i = reg->nplugins; i > 0; i--)
		plugin_free(reg->plugins[i - 1]);
	free(reg->commands);
	free(reg->plugins);
	free(reg->index);
	free(reg->stats);
	util_strv_free(reg->allow_origins, reg->nallow_origins);
	util_strv_free(reg->allow_hosts, reg->nallow_hosts);
	auth_free(reg->auth);
	config_acls_free(reg->access);
	free(reg);
}

/*
 * Makes reg the generation new requests use, taking over the caller's
 * reference, and drops the published one's.
 */
void
registry_publish(struct registry *reg)
{
	struct registry *old;

	pthread_mutex_lock(&registry_lock);
	old = registry_published;
	registry_published = reg;
	atomic_store(&registry_published_id, reg != NULL ? reg->id : 0);
	pthread_mutex_unlock(&registry_lock);
	registry_unref(old);
}

/*
 * Returns the published generation with a reference for the caller, or
 * NULL before the first publish.
 */
struct registry *
registry_current(void)
{
	struct registry *reg;

	pthread_mutex_lock(&registry_lock);
	if ((reg = registry_published) != NULL)
		registry_ref(reg);
	pthread_mutex_unlock(&registry_lock);
	return reg;
}

/*
 * Returns cached if it is still the published generation, otherwise drops
 * the caller's reference on cached and returns the published one with a
 * reference.  For a worker's once-per-request check.
 */
struct registry *
registry_refresh(struct registry *cached)
{
	if (cached != NULL && cached->id == atomic_load(&registry_published_id))
		return cached;
	registry_unref(cached);
	return registry_current();
}

/*
 * Drops the published generation (at exit).
 */
void
registry_shutdown(void)
{
	registry_publish(NULL);
}
