/* SPDX-License-Identifier: MIT */
/*
 * plugin - loading one plugin object.  The file is copied into a memfd and
 * the copy is dlopen()ed (RTLD_NOW | RTLD_LOCAL), at start as on every
 * reload: the running code never maps the file on disk, so whatever
 * happens to that file (cp, install, mv, an editor) cannot touch it, and
 * each load is a new object even when the path is the same.  The
 * descriptor's ABI header is checked before anything else is read.
 * Registering the commands is registry.c's work.
 */
#include "autoconf.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <dlfcn.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "log.h"
#include "plugin.h"
#include "util.h"

/* The command fields ABI 1.0 defines, up to and including handler. */
#define PLUGIN_COMMAND_V1_SIZE                                                 \
	(offsetof(struct duet_command, handler) + sizeof(duet_handler_fn))

/* The descriptor fields ABI 1.0 defines, up to and including fini. */
#define PLUGIN_DESC_V1_SIZE                                                    \
	(offsetof(struct duet_plugin, fini) + sizeof(void (*)(void)))

/* Whether descriptor d, as its plugin was built, has field. */
#define PLUGIN_DESC_HAS(d, field)                                              \
	((d)->struct_size >=                                                   \
	    offsetof(struct duet_plugin, field) + sizeof((d)->field))

/*
 * Copies the file at fd into a fresh memfd and returns the memfd, or -1.
 */
static int
plugin_copy_to_memfd(int fd, const char *path)
{
	char buf[65536];
	const char *base;
	ssize_t n;
	int mfd;

	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	if ((mfd = memfd_create(base, MFD_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (write(mfd, buf, (size_t)n) != n)
			goto fail;
	}
	if (n == 0)
		return mfd;
fail:
	close(mfd);
	return -1;
}

/*
 * Orders every dlopen after the dlclose before it, whichever threads
 * they run on (a reload loads on the main thread; a worker may drop the
 * last reference to the generation before).  glibc orders them already,
 * with a lock ThreadSanitizer cannot see: a plugin reloaded at the same
 * address would otherwise look like a race between its old fini and its
 * new init.
 */
static pthread_mutex_t plugin_dl_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Puts dlerror()'s text into err with the copy's name, /proc/self/fd/N,
 * replaced by the file's path, which is what the user knows.
 */
static void
plugin_dlerror(struct duet_err *err, const char *fdpath, const char *path)
{
	const char *msg = dlerror(), *at;
	size_t n = strlen(fdpath);

	if (msg == NULL)
		msg = "dlopen failed";
	if ((at = strstr(msg, fdpath)) != NULL)
		util_err_set(
		    err, "ERR", "%.*s%s%s", (int)(at - msg), msg, path, at + n);
	else
		util_err_set(err, "ERR", "%s", msg);
}

/*
 * dlopen()s a private copy of path, made in a memfd.  The memfd stays open
 * (*copyfd) while the object is loaded: glibc knows a loaded object by its
 * name, /proc/self/fd/N, so N must not be reused by another plugin's copy
 * meanwhile.  The file's identity goes to *st (to tell a file loaded
 * twice).  Returns the handle, or NULL with err set.
 */
static void *
plugin_dlopen(
    const char *path, int *copyfd, struct stat *st, struct duet_err *err)
{
	char fdpath[64];
	void *handle;
	int fd, mfd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		util_err_set(
		    err, "ERR", "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, st) == -1 ||
	    (mfd = plugin_copy_to_memfd(fd, path)) == -1) {
		util_err_set(
		    err, "ERR", "cannot copy %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	close(fd);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", mfd);
	if ((handle = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		plugin_dlerror(err, fdpath, path);
		close(mfd);
		return NULL;
	}
	*copyfd = mfd;
	return handle;
}

/*
 * Checks the descriptor's ABI header and required fields.
 */
static int
plugin_check_desc(const struct duet_plugin *d, struct duet_err *err)
{
	if (d->abi_major != DUET_ABI_MAJOR || d->abi_minor > DUET_ABI_MINOR) {
		util_err_set(err, "ERR", "needs ABI %u.%u, duetd has %d.%d",
		    d->abi_major, d->abi_minor, DUET_ABI_MAJOR, DUET_ABI_MINOR);
		return -1;
	}
	if (d->struct_size < PLUGIN_DESC_V1_SIZE) {
		util_err_set(err, "ERR",
		    "plugin descriptor too small (%u bytes)", d->struct_size);
		return -1;
	}
	if (d->command_size < PLUGIN_COMMAND_V1_SIZE) {
		util_err_set(err, "ERR", "command table stride too small (%u)",
		    d->command_size);
		return -1;
	}
	if (d->host == NULL || d->name == NULL || d->name[0] == '\0' ||
	    d->commands == NULL) {
		util_err_set(err, "ERR",
		    "plugin descriptor lacks host, name or commands");
		return -1;
	}
	return 0;
}

/*
 * Loads a private copy of the plugin object at path, checks its
 * descriptor and hands it the host table.  Does not call init (see
 * plugin_init).  Returns a new plugin owned by the caller (free with
 * plugin_free), or NULL with err set.
 */
struct plugin *
plugin_load(
    const char *path, const struct duet_host *host, struct duet_err *err)
{
	const struct duet_plugin *desc;
	struct plugin *p;
	struct stat st;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		util_err_set(err, "ERR", "out of memory");
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->copyfd = -1;
	if ((p->path = strdup(path)) == NULL)
		goto nomem;
	pthread_mutex_lock(&plugin_dl_lock);
	p->handle = plugin_dlopen(path, &p->copyfd, &st, err);
	pthread_mutex_unlock(&plugin_dl_lock);
	if (p->handle == NULL)
		goto fail;
	desc = dlsym(p->handle, "duet_plugin");
	if (desc == NULL) {
		util_err_set(
		    err, "ERR", "no 'duet_plugin' symbol: not a duetd plugin");
		goto fail;
	}
	if (plugin_check_desc(desc, err) == -1)
		goto fail;
	p->desc = desc;
	p->flags = desc->flags;
	p->conn_close =
	    PLUGIN_DESC_HAS(desc, conn_close) ? desc->conn_close : NULL;
	p->loaded_at = time(NULL);
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	if ((p->name = strdup(desc->name)) == NULL ||
	    (p->version = strdup(desc->version != NULL ? desc->version : "")) ==
	        NULL)
		goto nomem;
	*desc->host = host;
	return p;
nomem:
	util_err_set(err, "ERR", "out of memory");
fail:
	plugin_free(p);
	return NULL;
}

/*
 * Calls the plugin's init with its config, a packed msgpack map (an empty
 * map when config is NULL).  Returns 0, or -1 with err set.
 */
int
plugin_init(struct plugin *p, const char *config, size_t config_len,
    struct duet_err *err)
{
	static const char empty_map[] = "\x80";
	msgpack_unpacked up;
	char msg[512] = "";
	size_t off = 0;
	int rv = -1;

	if (p->desc->init == NULL) {
		p->initialised = 1;
		return 0;
	}
	if (config == NULL) {
		config = empty_map;
		config_len = 1;
	}
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, config, config_len, &off) !=
	        MSGPACK_UNPACK_SUCCESS ||
	    up.data.type != MSGPACK_OBJECT_MAP) {
		util_err_set(err, "ERR", "config is not a map");
		goto done;
	}
	if (p->desc->init(&up.data, msg, sizeof(msg)) != 0) {
		msg[sizeof(msg) - 1] = '\0';
		util_err_set(err, "ERR", "init failed: %s",
		    msg[0] != '\0' ? msg : "no reason given");
		goto done;
	}
	p->initialised = 1;
	rv = 0;
done:
	msgpack_unpacked_destroy(&up);
	return rv;
}

/*
 * Calls fini if init succeeded, then unloads the object.  NULL is a no-op.
 */
void
plugin_free(struct plugin *p)
{
	if (p == NULL)
		return;
	if (p->initialised && p->desc->fini != NULL)
		p->desc->fini();
	if (p->handle != NULL) {
		pthread_mutex_lock(&plugin_dl_lock);
		dlclose(p->handle);
		pthread_mutex_unlock(&plugin_dl_lock);
	}
	if (p->copyfd != -1)
		close(p->copyfd);
	pthread_mutex_destroy(&p->lock);
	free(p->name);
	free(p->version);
	free(p->path);
	free(p->where);
	free(p);
}
