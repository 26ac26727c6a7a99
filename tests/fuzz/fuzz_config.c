/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config - libFuzzer entry for the YAML config loader (config.c,
 * config_listen.c, config_plugin.c, config_auth.c, config_link.c).  The input
 * is a whole duetd.yaml, written into a memfd that config_load() reads through
 * /proc/self/fd, so no file is left behind.  Errors are expected (and logged);
 * a crash or a leak is not.  Properties: a config comes back exactly when no
 * error was counted, and what it holds is consistent (every listen
 * address says how it is reached, every plugin has a path and a msgpack
 * map for its config, every link where it goes, its name and a way to
 * log in).
 */
#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <msgpack.h>

#include "config.h"
#include "fuzz.h"

/* The memfd the inputs are written to, and its /proc path. */
static int fuzz_config_fd = -1;
static char fuzz_config_path[64];

static void
fuzz_config_check(const struct config *cf)
{
	msgpack_unpacked up;
	size_t i, off;

	FUZZ_CHECK(cf->file != NULL && cf->nlisten > 0);
	for (i = 0; i < cf->nlisten; i++) {
		const struct config_listen *l = &cf->listen[i];

		FUZZ_CHECK(l->text != NULL && l->protocols != 0);
		FUZZ_CHECK(l->is_unix ? l->path != NULL
		                      : l->host != NULL && l->port != NULL);
	}
	for (i = 0; i < cf->nplugins; i++) {
		const struct config_plugin *p = &cf->plugins[i];

		FUZZ_CHECK(p->path != NULL && p->config != NULL);
		msgpack_unpacked_init(&up);
		off = 0;
		FUZZ_CHECK(msgpack_unpack_next(&up, p->config, p->config_len,
		               &off) == MSGPACK_UNPACK_SUCCESS);
		FUZZ_CHECK(off == p->config_len);
		FUZZ_CHECK(up.data.type == MSGPACK_OBJECT_MAP);
		msgpack_unpacked_destroy(&up);
	}
	FUZZ_CHECK(cf->limits.max_nesting >= 1 && cf->limits.max_nesting <= 32);
	for (i = 0; i < cf->nlinks; i++) {
		const struct config_link *k = &cf->links[i];

		FUZZ_CHECK(k->name != NULL && k->as != NULL && k->user != NULL);
		FUZZ_CHECK(
		    k->connect != NULL && k->host != NULL && k->port != NULL);
		FUZZ_CHECK(k->token != NULL || k->tls_cert != NULL);
		FUZZ_CHECK((k->tls_cert != NULL) == (k->tls_key != NULL));
	}
}

/*
 * The libFuzzer entry point.  Always returns 0.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cf;
	int nerrors = -1;

	if (fuzz_config_fd == -1) {
		if ((fuzz_config_fd =
		            memfd_create("duetd.yaml", MFD_CLOEXEC)) == -1)
			abort();
		snprintf(fuzz_config_path, sizeof(fuzz_config_path),
		    "/proc/self/fd/%d", fuzz_config_fd);
	}
	if (ftruncate(fuzz_config_fd, 0) == -1 ||
	    (size > 0 &&
	        pwrite(fuzz_config_fd, data, size, 0) != (ssize_t)size))
		abort();
	cf = config_load(fuzz_config_path, &nerrors);
	FUZZ_CHECK((cf != NULL) == (nerrors == 0));
	if (cf != NULL)
		fuzz_config_check(cf);
	config_free(cf);
	return 0;
}
