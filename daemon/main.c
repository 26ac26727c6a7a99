/* SPDX-License-Identifier: MIT */
/*
 * main - L5 process: options, startup, signals and shutdown.
 *
 * duetd runs in the foreground and logs to stderr.  The main thread owns
 * the signal events and the published registry; the workers serve.
 * SIGHUP loads the config's plugins into a new registry generation and
 * publishes it (a bad one is reported and the running one keeps serving);
 * SIGINT/SIGTERM stop the workers and exit 0.
 */
#include "autoconf.h"

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <systemd/sd-daemon.h>

#include "builtin.h"
#include "call.h"
#include "config.h"
#include "dispatch.h"
#include "env.h"
#include "link_client.h"
#include "links.h"
#include "log.h"
#include "mailbox.h"
#include "metrics.h"
#include "paths.h"
#include "pool.h"
#include "pubsub.h"
#include "registry.h"
#include "tls.h"
#include "worker.h"

#define MAIN_DEFAULT_CONFIG SYSCONFDIR "/duet/duetd.yaml"

struct main_state {
	const char *config_file;
	struct config *cf;       /* owned: the running config */
	struct tls_set *tls;     /* owned: its TLS listeners' contexts */
	struct event_base *base; /* owned: signals only */
	struct worker *workers;  /* owned array */
	struct env **envs;       /* owned array: each worker's env */
	int nworkers;
	struct event *drain_ev;         /* owned: polls a graceful shutdown */
	struct timespec drain_deadline; /* when to stop waiting for clients */
};

/*
 * Workers kept at exit because a plugin never finished one of their
 * calls: a late duet_finish posts to a closed mailbox, not freed memory.
 */
static struct worker *main_kept_workers;

/* How long a stop waits for plugin threads to finish orphaned calls. */
#define MAIN_SETTLE_MS     2000
#define MAIN_DRAIN_POLL_MS 10

static void
main_usage(FILE *f)
{
	fprintf(f,
	    "usage: duetd [-c FILE] [-t] [-V] [-h]\n"
	    "  -c, --config FILE  configuration file (default %s)\n"
	    "  -t, --test         check the configuration and plugins, then "
	    "exit\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n",
	    MAIN_DEFAULT_CONFIG);
}

/* Applies the config's log level and timestamps. */
static void
main_log_apply(const struct config *cf)
{
	log_set_level((enum log_level)cf->log_level);
	log_set_timestamps((enum log_timestamps)cf->log_timestamps);
}

/*
 * Loads the config, builds a registry from it and makes the contexts of
 * its TLS listeners (certificates and keys read now).  At start
 * (starting set), the config's log settings apply before the plugins
 * load, so their lines follow them too; a reload applies them only once
 * it succeeds.  Returns 0, or -1 after logging every problem.
 */
static int
main_load(const char *file, struct config **cfp, struct registry **regp,
    struct tls_set **tlsp, int starting)
{
	struct config *cf;
	struct registry *reg;
	struct tls_set *tls;
	int nerrors;

	if ((cf = config_load(file, &nerrors)) == NULL)
		return -1;
	if (starting)
		main_log_apply(cf);
	if ((tls = tls_set_new(cf)) == NULL) {
		config_free(cf);
		return -1;
	}
	reg = registry_build(cf, dispatch_host(), builtin_commands, &nerrors);
	if (reg == NULL) {
		tls_set_free(tls);
		config_free(cf);
		return -1;
	}
	*cfp = cf;
	*regp = reg;
	*tlsp = tls;
	return 0;
}

/*
 * Tells systemd the state, with STATUS= saying what serves.
 */
static void
main_notify_status(const char *state, const char *what)
{
	struct registry *reg = registry_current();

	sd_notifyf(0,
	    "%s\nSTATUS=%s: %zu plugin(s), %zu command(s), %" PRIu64
	    " connection(s)",
	    state, what, reg != NULL ? reg->nplugins : 0,
	    reg != NULL ? reg->ncommands : 0,
	    (uint64_t)atomic_load(&worker_stats.connections));
	registry_unref(reg);
}

static void
main_on_reload(evutil_socket_t sig, short what, void *arg)
{
	struct main_state *st = arg;
	struct link_client_set *links;
	struct registry *reg;
	struct config *cf;
	struct tls_set *tls;
	struct timespec now;
	int i;

	(void)sig;
	(void)what;
	if (st->drain_ev != NULL) {
		log_warnx("reload ignored: shutting down");
		return;
	}
	log_info("reloading %s", st->config_file);
	clock_gettime(CLOCK_MONOTONIC, &now);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)now.tv_sec * 1000000ULL +
	        (unsigned long long)now.tv_nsec / 1000);
	if (main_load(st->config_file, &cf, &reg, &tls, 0) == -1)
		goto fail;
	if (worker_check_listeners(st->cf, cf) == -1 ||
	    (links = link_client_prepare(cf)) == NULL) {
		tls_set_free(tls);
		registry_unref(reg);
		config_free(cf);
		goto fail;
	}
	registry_publish(reg);
	link_client_apply(st->envs[0], links);
	main_log_apply(cf);
	if (cf->blocking_threads != st->cf->blocking_threads ||
	    cf->workers != st->cf->workers)
		log_warnx("workers and blocking_threads take effect at the "
		          "next restart: keeping %d worker(s) and the running "
		          "pool",
		    st->nworkers);
	for (i = 0; i < st->nworkers; i++) {
		worker_refresh(&st->workers[i]);
		worker_relisten(&st->workers[i], cf, tls);
	}
	tls_set_free(st->tls);
	st->tls = tls;
	metrics_note_load(METRICS_LOAD_RELOADED);
	config_free(st->cf);
	st->cf = cf;
	log_info(
	    "reloaded: registry generation %llu", (unsigned long long)reg->id);
	main_notify_status("READY=1", "serving");
	return;
fail:
	metrics_note_load(METRICS_LOAD_FAILED);
	log_error("reload failed: the running configuration keeps serving");
	main_notify_status("READY=1", "reload failed");
}

/*
 * While draining: ends the main loop once every client has gone, or when
 * limits.shutdown_timeout has passed.
 */
static void
main_on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct main_state *st = arg;
	struct timespec now;

	(void)fd;
	(void)what;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (atomic_load(&worker_stats.connections) == 0 && call_live() == 0) {
		event_base_loopbreak(st->base);
	} else if (now.tv_sec > st->drain_deadline.tv_sec ||
	    (now.tv_sec == st->drain_deadline.tv_sec &&
	        now.tv_nsec >= st->drain_deadline.tv_nsec)) {
		log_warnx("shutdown_timeout passed: closing %" PRIu64
		          " connection(s)",
		    (uint64_t)atomic_load(&worker_stats.connections));
		event_base_loopbreak(st->base);
	}
}

/*
 * SIGTERM/SIGINT: a graceful shutdown (stop accepting, finish what is
 * running, refuse new requests); a second signal stops at once.
 */
static void
main_on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct main_state *st = arg;
	struct timeval poll = {0, MAIN_DRAIN_POLL_MS * 1000};
	uint64_t ms = st->cf->limits.shutdown_timeout_ms;
	int i;

	(void)what;
	if (st->drain_ev != NULL) {
		log_info("%s again: stopping now", strsignal((int)sig));
		event_base_loopbreak(st->base);
		return;
	}
	log_info("%s: shutting down", strsignal((int)sig));
	sd_notify(0, "STOPPING=1");
	atomic_store(&worker_draining, 1);
	for (i = 0; i < st->nworkers; i++)
		worker_drain(&st->workers[i]);
	clock_gettime(CLOCK_MONOTONIC, &st->drain_deadline);
	st->drain_deadline.tv_sec += (time_t)(ms / 1000);
	st->drain_deadline.tv_nsec += (long)(ms % 1000) * 1000000;
	if (st->drain_deadline.tv_nsec >= 1000000000) {
		st->drain_deadline.tv_sec++;
		st->drain_deadline.tv_nsec -= 1000000000;
	}
	st->drain_ev =
	    event_new(st->base, -1, EV_PERSIST, main_on_drain_tick, st);
	if (st->drain_ev == NULL || event_add(st->drain_ev, &poll) == -1)
		event_base_loopbreak(st->base);
}

/*
 * Starts the workers on the running config.  Returns 0 or -1 (logged).
 */
static int
main_start_workers(struct main_state *st)
{
	struct link_client_set *links;
	long ncpu;
	int i;

	st->nworkers = st->cf->workers;
	if (st->nworkers <= 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		st->nworkers = ncpu > 0 ? (int)ncpu : 1;
	}
	st->workers = calloc((size_t)st->nworkers, sizeof(*st->workers));
	if (st->workers == NULL ||
	    (st->envs = calloc((size_t)st->nworkers, sizeof(*st->envs))) ==
	        NULL)
		return -1;
	for (i = 0; i < st->nworkers; i++) {
		if (worker_init(&st->workers[i], i, st->cf) == -1)
			return -1;
		st->envs[i] = &st->workers[i].env;
	}
	env_link(st->envs, st->nworkers);
	if (pubsub_init(st->envs, st->nworkers) == -1)
		return -1;
	if (worker_listen_all(st->workers, st->nworkers, st->cf, st->tls) == -1)
		return -1;
	for (i = 0; i < st->nworkers; i++) {
		if (worker_start(&st->workers[i]) == -1)
			return -1;
	}
	/* The links this daemon dials live on worker 0. */
	if ((links = link_client_prepare(st->cf)) == NULL)
		return -1;
	link_client_apply(st->envs[0], links);
	return 0;
}

/*
 * After the workers have ended: deferred calls whose clients are gone may
 * still be finished by plugin threads.  Their answers are taken here, for
 * up to MAIN_SETTLE_MS, so that their generations (and plugins) are
 * released; later posts are refused.
 */
static void
main_settle_calls(struct main_state *st)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	int i, waited;

	for (waited = 0;; waited += 10) {
		for (i = 0; i < st->nworkers; i++)
			mailbox_deliver(&st->workers[i].env.mailbox);
		if (call_live() == 0 || waited >= MAIN_SETTLE_MS)
			break;
		nanosleep(&tick, NULL);
	}
	for (i = 0; i < st->nworkers; i++) {
		mailbox_close(&st->workers[i].env.mailbox);
		mailbox_deliver(&st->workers[i].env.mailbox);
	}
	if (call_live() > 0)
		log_warnx(
		    "%" PRIu64 " deferred call(s) never finished", call_live());
}

static void
main_stop_workers(struct main_state *st)
{
	int i;

	for (i = 0; i < st->nworkers; i++) {
		if (st->workers[i].env.thread != 0) {
			worker_stop(&st->workers[i]);
			worker_join(&st->workers[i]);
		}
	}
	link_client_shutdown();
	main_settle_calls(st);
	if (call_live() > 0) {
		main_kept_workers = st->workers;
	} else {
		for (i = 0; i < st->nworkers; i++)
			worker_fini(&st->workers[i]);
		pubsub_shutdown();
		free(st->workers);
		free(st->envs);
	}
	st->workers = NULL;
	st->envs = NULL;
}

/*
 * Serves until SIGINT or SIGTERM.  Returns the exit code.
 */
static int
main_serve(struct main_state *st)
{
	struct event *ev_int = NULL, *ev_term = NULL, *ev_hup = NULL;
	int rv = 1;

	if ((st->base = event_base_new()) == NULL) {
		log_error("out of memory");
		return 1;
	}
	ev_int = evsignal_new(st->base, SIGINT, main_on_stop, st);
	ev_term = evsignal_new(st->base, SIGTERM, main_on_stop, st);
	ev_hup = evsignal_new(st->base, SIGHUP, main_on_reload, st);
	if (ev_int == NULL || ev_term == NULL || ev_hup == NULL) {
		log_error("out of memory");
		goto done;
	}
	event_add(ev_int, NULL);
	event_add(ev_term, NULL);
	event_add(ev_hup, NULL);
	if (pool_start(st->cf->blocking_threads) == -1 ||
	    main_start_workers(st) == -1)
		goto done;
	log_info("duetd %s ready, %d worker%s", PACKAGE_VERSION, st->nworkers,
	    st->nworkers == 1 ? "" : "s");
	main_notify_status("READY=1", "serving");
	event_base_dispatch(st->base);
	rv = 0;
done:
	/* Calls on the pool are answered while the workers still run. */
	pool_stop();
	if (st->workers != NULL)
		main_stop_workers(st);
	if (ev_int != NULL)
		event_free(ev_int);
	if (ev_term != NULL)
		event_free(ev_term);
	if (ev_hup != NULL)
		event_free(ev_hup);
	if (st->drain_ev != NULL)
		event_free(st->drain_ev);
	if (st->base != NULL)
		event_base_free(st->base);
	return rv;
}

/*
 * duetd -t, once the config and its plugins have loaded: binds each
 * listen address and closes it at once, as a start would, so a taken
 * port fails the check too.  Frees cf and reg; returns the exit code.
 */
static int
main_test(const char *file, struct config *cf, struct registry *reg)
{
	int rv = 0;

	if (worker_check_listeners(NULL, cf) == -1) {
		fprintf(stderr, "configuration %s failed\n", file);
		rv = 1;
	} else {
		printf("configuration ok\n");
	}
	registry_unref(reg);
	metrics_shutdown();
	config_free(cf);
	return rv;
}

int
main(int argc, char *argv[])
{
	struct main_state st;
	struct registry *reg;
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"test", no_argument, NULL, 't'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch, test = 0, rv;

	memset(&st, 0, sizeof(st));
	st.config_file = MAIN_DEFAULT_CONFIG;
	while ((ch = getopt_long(argc, argv, "c:tVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			st.config_file = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'V':
			printf("duetd %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
			    DUET_ABI_MAJOR, DUET_ABI_MINOR);
			return 0;
		case 'h':
			main_usage(stdout);
			return 0;
		default:
			main_usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		main_usage(stderr);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() == -1) {
		log_error("libevent has no thread support");
		return 1;
	}
	/* -t reports to a terminal; a daemon's lines carry the time. */
	log_set_timestamps(test ? LOG_TS_NEVER : LOG_TS_AUTO);
	if (main_load(st.config_file, &st.cf, &reg, &st.tls, !test) == -1) {
		if (test)
			fprintf(stderr, "configuration %s failed\n",
			    st.config_file);
		return 1;
	}
	if (test) {
		tls_set_free(st.tls);
		return main_test(st.config_file, st.cf, reg);
	}
	metrics_note_load(METRICS_LOAD_START);
	registry_publish(reg);
	rv = main_serve(&st);
	registry_shutdown();
	link_shutdown();
	metrics_shutdown();
	tls_set_free(st.tls);
	config_free(st.cf);
	libevent_global_shutdown();
	log_info("exiting");
	return rv;
}
