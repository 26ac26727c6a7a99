/* SPDX-License-Identifier: MIT */
/*
 * registry - the commands that can be called, as one immutable,
 * reference-counted generation: built-ins first, then every plugin of the
 * config (plugin_dir and the plugins list), indexed by lower-case name.  A
 * reload builds a new generation beside the old and swaps one pointer; the
 * old one is finished (fini, dlclose) when its last reference goes.
 *
 * Layer L1 (state).  Each command borrows the process-wide counters of its
 * name from metrics (registry -> metrics, never the other way); describing
 * a command for clients is describe's, calling one is dispatch's.
 */
#ifndef DUET_REGISTRY_H
#define DUET_REGISTRY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <duet/plugin.h>

#include "config.h"

struct auth;
struct link;
struct config;
struct metrics_cmd;
struct plugin;
struct sig;

#define REGISTRY_NAME_MAX 128 /* longest command name */

/*
 * struct command.flags of a built-in that acts on the RESP connection
 * (QUIT, RESET, SELECT, HELLO, CLIENT, AUTH): not an HTTP operation.
 * Only built-ins have it; a plugin's bit is ignored (REGISTRY_CONN_ONLY).
 */
#define REGISTRY_CONNECTION 0x10000
#define REGISTRY_CONN_ONLY(cmd)                                                \
	((cmd)->plugin == NULL && ((cmd)->flags & REGISTRY_CONNECTION) != 0)

struct command {
	char *name; /* owned, lower-case */
	size_t namelen;
	struct sig *sig;         /* owned */
	char *args;              /* owned: the signature as written */
	char *reply;             /* owned */
	char *summary;           /* owned */
	unsigned flags;          /* DUET_PUBLIC, DUET_READONLY, ... */
	int arity;               /* Redis's, name included */
	duet_handler_fn handler; /* borrowed from the plugin or built-in */
	struct plugin
	    *plugin; /* borrowed from the generation; NULL if built-in */
	/* borrowed: the counters of this name, which outlive generations */
	struct metrics_cmd *stats;
	/* borrowed: the link that serves this command (links.h), or NULL */
	struct link *link;
};

struct registry {
	atomic_int refcnt;
	uint64_t id;             /* generation number, from 1 */
	struct plugin **plugins; /* owned array of owned plugins */
	size_t nplugins;
	struct command *commands; /* owned array, in load order */
	size_t ncommands;
	struct command **index; /* owned: open-addressing hash table */
	size_t indexsize;       /* a power of two */
	/* owned array of ncommands borrowed pointers: commands[i].stats, in
	 * load order, what metrics_render is handed for GET /metrics */
	const struct metrics_cmd **stats;
	/* The settings this generation serves with (a reload changes them). */
	struct config_limits limits;
	char **allow_origins; /* owned copy of http.allow_origins */
	size_t nallow_origins;
	char **allow_hosts; /* owned copy of http.allow_hosts */
	size_t nallow_hosts;
	struct auth *auth; /* owned: users and rules, or NULL (no auth) */
	struct config_acls *access; /* owned: address lists, or NULL */
};

struct registry *registry_build(const struct config *cf,
    const struct duet_host *host, const struct duet_command *builtins,
    int *nerrors);
const struct command *registry_lookup(
    const struct registry *reg, const char *name, size_t len);
void registry_command_fini(struct command *c);
void registry_ref(struct registry *reg);
void registry_unref(struct registry *reg);

void registry_publish(struct registry *reg);
struct registry *registry_current(void);
struct registry *registry_refresh(struct registry *cached);
void registry_shutdown(void);

#endif /* DUET_REGISTRY_H */
