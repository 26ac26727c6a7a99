/* SPDX-License-Identifier: MIT */
/*
 * plugin - one loaded plugin object: dlopen of a private copy of the file
 * in a memfd (so nothing done to the file on disk touches the running code,
 * and a reload gets the new code even when the path is the same), the ABI
 * check of its descriptor, init with its config map, and fini/dlclose.
 * The commands it declares are indexed by registry.c.
 */
#ifndef DUET_PLUGIN_INTERNAL_H
#define DUET_PLUGIN_INTERNAL_H

#include <sys/types.h>

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include <duet/plugin.h>

struct duet_err;
struct registry;

struct plugin {
	char *name;    /* owned copy of the descriptor's name */
	char *version; /* owned copy */
	char *path;    /* owned: the file it was loaded from */
	char *where;   /* owned: where the config names it, for messages */
	dev_t dev;     /* that file's identity when it was copied */
	ino_t ino;
	void *handle; /* owned: dlopen handle of the copy */
	int copyfd;   /* owned: memfd of the private copy, or -1 */
	const struct duet_plugin *desc; /* borrowed: valid until dlclose */
	unsigned flags;                 /* DUET_THREADSAFE */
	int initialised;                /* init succeeded: fini is due */
	time_t loaded_at;               /* when plugin_load loaded it */
	pthread_mutex_t lock; /* serialises handlers unless THREADSAFE */
	/* the descriptor's conn_close (ABI 1.2), NULL if it has none or its
	 * struct_size ends before it */
	void (*conn_close)(void *state);
	/* borrowed: the generation that loaded it (registry.c sets it);
	 * a reference on it keeps this plugin loaded */
	struct registry *gen;
};

struct plugin *plugin_load(
    const char *path, const struct duet_host *host, struct duet_err *err);
int plugin_init(struct plugin *p, const char *config, size_t config_len,
    struct duet_err *err);
void plugin_free(struct plugin *p);

#endif /* DUET_PLUGIN_INTERNAL_H */
