/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conn - libFuzzer entry for a whole connection: sniffing, both
 * codecs, routing, dispatch, the commands and the replies.  Each input
 * gets a fresh registry generation (the built-ins, and the bundled math
 * and kv plugins when DUET_PLUGIN_DIR names a folder holding them, as
 * `make check` and `make fuzz` do), a worker with its event loop, and a
 * conn made by conn_new() on one end of a socketpair.  The first input
 * byte picks the listener's protocols (bits 0-1: both, RESP only, HTTP
 * only, both) and the size of the chunks the rest is written in (bits
 * 2-7, 0 for all at once); between chunks the loop runs until it has
 * nothing to do, and every reply is read from the other end.  After the
 * input, the write side is shut (the client's end of file) and the loop
 * runs until the conn closes or FUZZ_CONN_ROUNDS turns have passed.
 * Everything is freed at the end of each input, the plugins unloaded, so
 * LeakSanitizer sees any leak.
 */
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "builtin.h"
#include "config.h"
#include "conn.h"
#include "dispatch.h"
#include "log.h"
#include "registry.h"
#include "worker.h"
#include "fuzz.h"

/* Loop turns after the end of the input before the conn is closed. */
#define FUZZ_CONN_ROUNDS 64

/* The plugins loaded from DUET_PLUGIN_DIR (demo is left out: it sleeps). */
static const char *const fuzz_conn_plugins[] = {"math.so", "kv.so"};

/*
 * The plugin_dir: a folder that always exists and holds no *.so, so that
 * only the plugins listed are loaded (not those installed on the host).
 */
#define FUZZ_CONN_NO_PLUGINS "/proc/self/fdinfo"

static struct config *fuzz_conn_cf; /* the config of every input */

static void
fuzz_conn_cleanup(void)
{
	config_free(fuzz_conn_cf);
}

/* Writes the config, plugins included, into the open file f. */
static void
fuzz_conn_write_config(FILE *f)
{
	const char *dir = getenv("DUET_PLUGIN_DIR");
	char path[4096];
	size_t i;

	fprintf(f,
	    "workers: 1\n"
	    "limits:\n"
	    "  max_nesting: %d\n"
	    "  max_request_bytes: 64KiB\n"
	    "  max_output_bytes: 1MiB\n"
	    "log: {level: warn}\n"
	    "plugin_dir: %s\n"
	    "plugins:\n",
	    FUZZ_NESTING, FUZZ_CONN_NO_PLUGINS);
	for (i = 0; dir != NULL &&
	     i < sizeof(fuzz_conn_plugins) / sizeof(fuzz_conn_plugins[0]);
	     i++) {
		snprintf(
		    path, sizeof(path), "%s/%s", dir, fuzz_conn_plugins[i]);
		if (access(path, R_OK) == 0)
			fprintf(f, "  - path: \"%s\"\n", path);
	}
}

/* Loads the config once (from a memfd).  Aborts if it cannot. */
static void
fuzz_conn_setup(void)
{
	char path[64];
	FILE *f;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	if ((fd = memfd_create("duetd.yaml", MFD_CLOEXEC)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL)
		abort();
	fuzz_conn_write_config(f);
	fflush(f);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((fuzz_conn_cf = config_load(path, NULL)) == NULL)
		abort();
	fclose(f);
	atexit(fuzz_conn_cleanup);
	log_set_level((enum log_level)fuzz_conn_cf->log_level);
}

/*
 * Runs the loop once without waiting and reads every reply the conn has
 * written.  Returns the bytes read.
 */
static size_t
fuzz_conn_turn(struct worker *w, int peer)
{
	static char sink[65536];
	size_t total = 0;
	ssize_t n;

	event_base_loop(w->env.base, EVLOOP_NONBLOCK);
	while ((n = read(peer, sink, sizeof(sink))) > 0)
		total += (size_t)n;
	return total;
}

/*
 * Writes p[0..len) to the conn, turning the loop while the socket is full.
 * Returns -1 once the conn stopped taking bytes (it closed, or stopped
 * reading).
 */
static int
fuzz_conn_write(struct worker *w, int peer, const uint8_t *p, size_t len)
{
	int stalled = 0;
	ssize_t n;

	while (len > 0) {
		if ((n = write(peer, p, len)) > 0) {
			p += n;
			len -= (size_t)n;
			stalled = 0;
		} else if (n == -1 && errno == EAGAIN &&
		    !TAILQ_EMPTY(&w->env.conns) && stalled++ < 4) {
			fuzz_conn_turn(w, peer);
		} else {
			return -1;
		}
	}
	/* Until the conn has served everything it can. */
	while (fuzz_conn_turn(w, peer) > 0)
		;
	return 0;
}

/* Feeds the input to the conn and waits for it to close. */
static void
fuzz_conn_feed(struct worker *w, int peer, const uint8_t *data, size_t size)
{
	size_t chunk = data[0] >> 2 == 0 ? SIZE_MAX : data[0] >> 2;
	size_t off, n;
	int rounds;

	for (off = 1; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		if (fuzz_conn_write(w, peer, data + off, n) == -1)
			break;
	}
	shutdown(peer, SHUT_WR);
	for (rounds = 0;
	     rounds < FUZZ_CONN_ROUNDS && !TAILQ_EMPTY(&w->env.conns); rounds++)
		fuzz_conn_turn(w, peer);
}

/*
 * The libFuzzer entry point.  Always returns 0.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned protocols[] = {
	    CONFIG_PROTO_RESP | CONFIG_PROTO_HTTP,
	    CONFIG_PROTO_RESP,
	    CONFIG_PROTO_HTTP,
	    CONFIG_PROTO_RESP | CONFIG_PROTO_HTTP,
	};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct registry *reg;
	struct worker w;
	struct conn *c;
	int sv[2], nerrors;

	if (size == 0)
		return 0;
	if (fuzz_conn_cf == NULL)
		fuzz_conn_setup();
	reg = registry_build(
	    fuzz_conn_cf, dispatch_host(), builtin_commands, &nerrors);
	FUZZ_CHECK(reg != NULL);
	registry_publish(reg);
	FUZZ_CHECK(worker_init(&w, 0, fuzz_conn_cf) == 0);
	FUZZ_CHECK(socketpair(AF_UNIX,
	               SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	c = worker_conn_new(
	    &w, sv[0], (struct sockaddr *)&sun, "fuzz", protocols[data[0] & 3]);
	FUZZ_CHECK(c != NULL);
	fuzz_conn_feed(&w, sv[1], data, size);
	while ((c = TAILQ_FIRST(&w.env.conns)) != NULL)
		conn_free(c);
	close(sv[1]);
	worker_fini(&w);
	registry_publish(NULL);
	return 0;
}
