/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of SIGHUP reloads: a plugin file replaced on disk runs
 * its new code (even when overwritten in place, as cp does, which must not
 * touch the running code), every plugin of the directory reloads (not only
 * the first), plugin state is the new generation's own, counters go on
 * across reloads, and a bad config, plugin or taken port leaves the
 * running generation serving.
 */
#include "autoconf.h"

#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

static struct harness reload_h;
static char reload_dir[64];

/*
 * Copies a built plugin into the test's plugin folder as name, replacing
 * it atomically (a new file, then rename), as a user should.  No child
 * process: client threads may be running, and fork() with threads can
 * deadlock the child.
 */
static void
reload_install(const char *from_env, const char *file, const char *name)
{
	char from[512], tmp[512], to[512];
	char *data;
	size_t len;
	FILE *f;

	snprintf(from, sizeof(from), "%s/%s", harness_env(from_env), file);
	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", reload_dir, name);
	snprintf(to, sizeof(to), "%s/%s", reload_dir, name);
	data = harness_read_file(from, &len);
	ck_assert_ptr_nonnull(f = fopen(tmp, "wb"));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(rename(tmp, to), 0);
	free(data);
}

static void
reload_setup(void)
{
	harness_tmpdir(reload_dir, sizeof(reload_dir));
	reload_install("DUET_PLUGIN_DIR", "math.so", "math.so");
	reload_install("DUET_PLUGIN_DIR", "kv.so", "kv.so");
	reload_install("DUET_EXAMPLE_PLUGIN_DIR", "demo.so", "demo.so");
	reload_install("DUET_TEST_PLUGIN_DIR", "swap_a.so", "swap.so");
	harness_start(&reload_h, reload_dir, NULL);
}

static void
reload_teardown(void)
{
	harness_stop(&reload_h);
	harness_rmdir(reload_dir);
}

/* Sends one inline command; returns as many reply bytes as want has. */
static char *
reload_call(const char *cmd, const char *want)
{
	int fd = harness_connect(reload_h.port);
	char *got;
	size_t len;

	harness_sends(fd, cmd);
	got = harness_read_n(fd, strlen(want), HARNESS_TIMEOUT_MS, &len);
	close(fd);
	return got;
}

/* Sends cmd and fails unless the reply is exactly want. */
static void
reload_expect(const char *cmd, const char *want)
{
	char *got = reload_call(cmd, want);

	ck_assert_str_eq(got, want);
	free(got);
}

/* Repeats cmd until it answers want; fails after the deadline. */
static void
reload_wait_for(const char *cmd, const char *want)
{
	struct timespec pause = {0, 5 * 1000 * 1000};
	char *got = NULL;
	int tries;

	for (tries = 0; tries < 2000; tries++) {
		free(got);
		got = reload_call(cmd, want);
		if (strcmp(got, want) == 0) {
			free(got);
			return;
		}
		nanosleep(&pause, NULL);
	}
	ck_abort_msg("'%s' still answers '%s', not '%s'", cmd, got, want);
}

START_TEST(test_reload_replaced_plugin_runs_new_code)
{
	char line[64];
	int i;

	reload_expect("swap.which\r\n", "$1\r\nA\r\n");
	reload_install("DUET_TEST_PLUGIN_DIR", "swap_b.so", "swap.so");
	kill(reload_h.pid, SIGHUP);
	reload_wait_for("swap.which\r\n", "$1\r\nB\r\n");
	reload_install("DUET_TEST_PLUGIN_DIR", "swap_a.so", "swap.so");
	kill(reload_h.pid, SIGHUP);
	reload_wait_for("swap.which\r\n", "$1\r\nA\r\n");
	/* Several reloads in a row, every plugin each time. */
	for (i = 4; i <= 8; i++) {
		kill(reload_h.pid, SIGHUP);
		snprintf(line, sizeof(line), "registry generation %d\n", i);
		harness_wait_log(&reload_h, line);
	}
	reload_wait_for("add 1 2\r\n", ":3\r\n");
	reload_wait_for("reflect [1]\r\n", "*1\r\n:1\r\n");
}
END_TEST

START_TEST(test_reload_plugin_state_is_per_generation)
{
	reload_expect("set k 1\r\n", "+OK\r\n");
	kill(reload_h.pid, SIGHUP);
	harness_wait_log(&reload_h, "registry generation 2\n");
	/* The new generation's kv starts empty and counts on its own. */
	reload_wait_for("exists k\r\n", ":0\r\n");
	reload_expect("incr n\r\n", ":1\r\n");
	reload_expect("incr n\r\n", ":2\r\n");
}
END_TEST

/* Whether something accepts connections on 127.0.0.1:port. */
static int
reload_port_open(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0), rv;

	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rv = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return rv;
}

START_TEST(test_reload_adds_and_removes_listeners)
{
	int old = harness_connect(reload_h.port), port = harness_pick_port();
	struct timespec pause = {0, 5 * 1000 * 1000};
	char *conf, *grown, *at, line[128];
	size_t len;
	int tries;

	harness_sends(old, "PING\r\n");
	harness_expects(old, "+PONG\r\n");
	conf = harness_read_file(reload_h.conf, &len);
	grown = malloc(len + 64);
	ck_assert_ptr_nonnull(grown);
	/* One more address at the head of the listen list. */
	ck_assert_ptr_nonnull(at = strstr(conf, "listen:\n"));
	at += strlen("listen:\n");
	snprintf(grown, len + 64, "%.*s  - 127.0.0.1:%d\n%s", (int)(at - conf),
	    conf, port, at);
	harness_write_file(reload_h.conf, grown);
	kill(reload_h.pid, SIGHUP);
	snprintf(line, sizeof(line), "listening on 127.0.0.1:%d\n", port);
	harness_wait_log(&reload_h, line);
	harness_roundtrip(port, "PING\r\n", "+PONG\r\n");
	/* The connection made before the reload is untouched. */
	harness_sends(old, "add 1 2\r\n");
	harness_expects(old, ":3\r\n");
	harness_write_file(reload_h.conf, conf);
	kill(reload_h.pid, SIGHUP);
	snprintf(
	    line, sizeof(line), "no longer listening on 127.0.0.1:%d\n", port);
	harness_wait_log(&reload_h, line);
	/* Each worker closes its own socket of that address. */
	for (tries = 0; tries < 2000 && reload_port_open(port); tries++)
		nanosleep(&pause, NULL);
	ck_assert_msg(!reload_port_open(port), "port %d still open", port);
	harness_roundtrip(reload_h.port, "PING\r\n", "+PONG\r\n");
	harness_sends(old, "PING\r\n");
	harness_expects(old, "+PONG\r\n");
	close(old);
	free(grown);
	free(conf);
}
END_TEST

START_TEST(test_reload_changes_listener_protocols)
{
	char *conf, *changed, *at, want[64];
	size_t len;
	int fd;

	conf = harness_read_file(reload_h.conf, &len);
	changed = malloc(len + 128);
	ck_assert_ptr_nonnull(changed);
	snprintf(want, sizeof(want), "  - 127.0.0.1:%d\n", reload_h.port);
	ck_assert_ptr_nonnull(at = strstr(conf, want));
	/* The same address, now HTTP only: no rebind, no failed reload. */
	snprintf(changed, len + 128,
	    "%.*s  - {address: \"127.0.0.1:%d\", protocols: [http]}\n%s",
	    (int)(at - conf), conf, reload_h.port, at + strlen(want));
	harness_write_file(reload_h.conf, changed);
	kill(reload_h.pid, SIGHUP);
	harness_wait_log(&reload_h, "registry generation 2\n");
	fd = harness_connect(reload_h.port);
	harness_sends(fd, "PING\r\n");
	free(harness_read_until(fd, "\r\n", &len));
	close(fd);
	reload_wait_for("GET /ping HTTP/1.0\r\n\r\n", "HTTP/1.1 200 OK\r\n");
	/* Back to both protocols for the harness's PING at the end. */
	harness_write_file(reload_h.conf, conf);
	kill(reload_h.pid, SIGHUP);
	harness_wait_log(&reload_h, "registry generation 3\n");
	reload_wait_for("PING\r\n", "+PONG\r\n");
	free(changed);
	free(conf);
}
END_TEST

/* Clients calling without pause while the daemon reloads. */
struct reload_load {
	atomic_int stop;
	atomic_long calls;
	atomic_long errors;
	atomic_long saw_a;
	atomic_long saw_b;
};

/*
 * Client threads take no signals: the harness waits for its children's
 * SIGCHLD on the main thread.
 */
static void
reload_block_signals(void)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
}

/* Counts one reply of swap.which, in either protocol's shape. */
static void
reload_count(struct reload_load *l, const char *got, size_t len)
{
	atomic_fetch_add(&l->calls, 1);
	if (len > 0 && got[len - 1] == 'A')
		atomic_fetch_add(&l->saw_a, 1);
	else if (len > 0 && got[len - 1] == 'B')
		atomic_fetch_add(&l->saw_b, 1);
	else
		atomic_fetch_add(&l->errors, 1);
}

/*
 * One RESP client on one connection: swap.which then add, again and
 * again.  Runs on its own thread, so it counts instead of asserting.
 */
static void *
reload_resp_client(void *arg)
{
	struct reload_load *l = arg;
	char *got;
	size_t len;
	int fd;

	reload_block_signals();
	fd = harness_connect(reload_h.port);
	while (!atomic_load(&l->stop)) {
		harness_sends(fd, "swap.which\r\nadd 1 2\r\n");
		got = harness_read_n(fd, 11, HARNESS_TIMEOUT_MS, &len);
		if (len != 11 || memcmp(got + 7, ":3\r\n", 4) != 0)
			atomic_fetch_add(&l->errors, 1);
		reload_count(l, got, len >= 7 ? 5 : 0);
		free(got);
	}
	close(fd);
	return NULL;
}

/* One HTTP client: a request per connection, read until the close. */
static void *
reload_http_client(void *arg)
{
	struct reload_load *l = arg;
	char *got;
	size_t len;
	int fd, closed;

	reload_block_signals();
	while (!atomic_load(&l->stop)) {
		fd = harness_connect(reload_h.port);
		harness_sends(fd, "GET /swap.which HTTP/1.0\r\n\r\n");
		got = harness_read_all(fd, HARNESS_TIMEOUT_MS, &len, &closed);
		if (!closed || strncmp(got, "HTTP/1.1 200 ", 13) != 0)
			atomic_fetch_add(&l->errors, 1);
		/* The body is "A" or "B", quotes included. */
		reload_count(l, got, len >= 2 ? len - 1 : 0);
		free(got);
		close(fd);
	}
	return NULL;
}

/* A reload that must fail: what to break, and what the log then says. */
static const struct reload_fault {
	const char *name;
	const char *conf;   /* replaces the config (NULL: unchanged) */
	const char *append; /* appended to the config */
	const char *plugin; /* test plugin dropped into plugin_dir */
	const char *log;    /* the error the log must show */
} reload_faults[] = {
    {"YAML syntax error", "listen: [\n", NULL, NULL, "duetd.yaml:2:1:"},
    {"unknown key", NULL, "bogus: 1\n", NULL, "unknown key 'bogus'"},
    {"missing plugin file", NULL, "plugins:\n  - path: /nonexistent/x.so\n",
        NULL, "/nonexistent/x.so"},
    {"plugin whose init fails", NULL, NULL, "failinit.so", "refused to start"},
    {"plugin for another ABI", NULL, NULL, "badabi.so", "needs ABI 2.0"},
    {"command name clash", NULL, NULL, "clash.so",
        "command 'add' clashes with "},
};

START_TEST(test_reload_faults_keep_serving)
{
	struct timespec pause = {0, 5 * 1000 * 1000};
	struct reload_load load = {0};
	pthread_t threads[2];
	char *conf, *broken, path[256];
	size_t len, i;
	int tries, failed;

	conf = harness_read_file(reload_h.conf, &len);
	pthread_create(&threads[0], NULL, reload_resp_client, &load);
	pthread_create(&threads[1], NULL, reload_http_client, &load);
	for (i = 0; i < sizeof(reload_faults) / sizeof(reload_faults[0]); i++) {
		const struct reload_fault *f = &reload_faults[i];

		fprintf(stderr, "fault: %s\n", f->name);
		broken = malloc(len + 128);
		ck_assert_ptr_nonnull(broken);
		snprintf(broken, len + 128, "%s%s", f->conf ? f->conf : conf,
		    f->append ? f->append : "");
		harness_write_file(reload_h.conf, broken);
		free(broken);
		if (f->plugin != NULL)
			reload_install(
			    "DUET_TEST_PLUGIN_DIR", f->plugin, f->plugin);
		failed = harness_log_count(&reload_h, "reload failed");
		kill(reload_h.pid, SIGHUP);
		for (tries = 0; tries < 2000 &&
		     harness_log_count(&reload_h, "reload failed") == failed;
		     tries++)
			nanosleep(&pause, NULL);
		harness_wait_log(&reload_h, f->log);
		reload_expect("add 1 2\r\n", ":3\r\n");
		reload_expect("swap.which\r\n", "$1\r\nA\r\n");
		harness_write_file(reload_h.conf, conf);
		if (f->plugin != NULL) {
			snprintf(
			    path, sizeof(path), "%s/%s", reload_dir, f->plugin);
			unlink(path);
		}
	}
	atomic_store(&load.stop, 1);
	pthread_join(threads[0], NULL);
	pthread_join(threads[1], NULL);
	free(conf);
	ck_assert_int_eq(atomic_load(&load.errors), 0);
	ck_assert_int_gt(atomic_load(&load.calls), 0);
	ck_assert_int_eq(harness_log_count(&reload_h, "reloaded: "), 0);
}
END_TEST

/* Runs a shell command as a child, its output into out; returns its pid. */
static pid_t
reload_spawn(const char *cmd, const char *out)
{
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (freopen(out, "w", stdout) == NULL)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Stops a spawned client and checks every line it printed is A or B. */
static void
reload_check_client(pid_t pid, const char *out, const char *name)
{
	char *text, *line, *save = NULL;
	int status, lines = 0;

	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	text = harness_read_file(out, NULL);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		ck_assert_msg(strcmp(line, "A") == 0 ||
		        strcmp(line, "B") == 0 || strcmp(line, "\"A\"") == 0 ||
		        strcmp(line, "\"B\"") == 0,
		    "%s printed '%s'", name, line);
		lines++;
	}
	ck_assert_msg(lines > 0, "%s printed nothing", name);
	free(text);
}

START_TEST(test_reload_under_load_loses_no_call)
{
	struct reload_load load = {0};
	pthread_t threads[2];
	char line[64], cmd[512], rout[128], cout[128];
	long rss1 = 0, rss20;
	pid_t rcli, ccurl;
	int i;

	/* Real clients too: redis-cli and curl, until stopped. */
	snprintf(rout, sizeof(rout), "%s/redis-cli.out", reload_dir);
	snprintf(cout, sizeof(cout), "%s/curl.out", reload_dir);
	snprintf(cmd, sizeof(cmd),
	    "exec redis-cli -p %d -r -1 -i 0.001 swap.which", reload_h.port);
	rcli = reload_spawn(cmd, rout);
	snprintf(cmd, sizeof(cmd),
	    "while :; do curl -sf http://127.0.0.1:%d/swap.which || "
	    "echo FAIL; echo; done",
	    reload_h.port);
	ccurl = reload_spawn(cmd, cout);
	pthread_create(&threads[0], NULL, reload_resp_client, &load);
	pthread_create(&threads[1], NULL, reload_http_client, &load);
	for (i = 1; i <= 20; i++) {
		reload_install("DUET_TEST_PLUGIN_DIR",
		    i % 2 ? "swap_b.so" : "swap_a.so", "swap.so");
		kill(reload_h.pid, SIGHUP);
		snprintf(line, sizeof(line), "registry generation %d\n", i + 1);
		harness_wait_log(&reload_h, line);
		reload_wait_for(
		    "swap.which\r\n", i % 2 ? "$1\r\nB\r\n" : "$1\r\nA\r\n");
		if (i == 1)
			rss1 = harness_rss_kb(&reload_h);
	}
	rss20 = harness_rss_kb(&reload_h);
	atomic_store(&load.stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	reload_check_client(rcli, rout, "redis-cli");
	reload_check_client(ccurl, cout, "curl");
	ck_assert_int_eq(atomic_load(&load.errors), 0);
	ck_assert_int_gt(atomic_load(&load.saw_a), 0);
	ck_assert_int_gt(atomic_load(&load.saw_b), 0);
	/* AddressSanitizer's quarantine keeps freed memory: there,
	 * LeakSanitizer at exit is what proves no generation leaked.
	 * ThreadSanitizer's shadow memory grows with every load. */
	if ((getenv("DUET_ASAN") != NULL &&
	        strcmp(getenv("DUET_ASAN"), "1") == 0) ||
	    (getenv("DUET_TSAN") != NULL &&
	        strcmp(getenv("DUET_TSAN"), "1") == 0))
		return;
	ck_assert_msg(rss20 <= rss1 + rss1 / 10,
	    "RSS grew from %ld kB after the 1st reload to %ld kB after the "
	    "20th",
	    rss1, rss20);
}
END_TEST

/*
 * Overwrites the loaded swap.so in place, as cp(1) does (open with
 * O_TRUNC, then write), with a call made while the file is empty, the
 * moment that crashed a daemon running the file's own mapping (SIGBUS).
 * Clients call throughout; the old code must answer until SIGHUP.
 */
START_TEST(test_reload_cp_over_loaded_plugin)
{
	struct reload_load load = {0};
	pthread_t threads[2];
	char from[512], to[512], *data;
	size_t len;
	int fd, i;

	snprintf(from, sizeof(from), "%s/swap_b.so",
	    harness_env("DUET_TEST_PLUGIN_DIR"));
	snprintf(to, sizeof(to), "%s/swap.so", reload_dir);
	data = harness_read_file(from, &len);
	pthread_create(&threads[0], NULL, reload_resp_client, &load);
	pthread_create(&threads[1], NULL, reload_http_client, &load);
	reload_expect("swap.which\r\n", "$1\r\nA\r\n");
	ck_assert_int_ne(fd = open(to, O_WRONLY | O_TRUNC), -1);
	reload_expect("swap.which\r\n", "$1\r\nA\r\n");
	ck_assert_int_eq(write(fd, data, len / 2), (ssize_t)(len / 2));
	reload_expect("swap.which\r\n", "$1\r\nA\r\n");
	ck_assert_int_eq(
	    write(fd, data + len / 2, len - len / 2), (ssize_t)(len - len / 2));
	ck_assert_int_eq(close(fd), 0);
	for (i = 0; i < 20; i++)
		reload_expect("swap.which\r\n", "$1\r\nA\r\n");
	ck_assert_int_eq(atomic_load(&load.saw_b), 0);
	kill(reload_h.pid, SIGHUP);
	harness_wait_log(&reload_h, "registry generation 2\n");
	reload_wait_for("swap.which\r\n", "$1\r\nB\r\n");
	atomic_store(&load.stop, 1);
	pthread_join(threads[0], NULL);
	pthread_join(threads[1], NULL);
	ck_assert_int_eq(atomic_load(&load.errors), 0);
	ck_assert_int_gt(atomic_load(&load.saw_a), 0);
	reload_expect("add 1 2\r\n", ":3\r\n");
	free(data);
}
END_TEST

/* GET /metrics; returns the body, owned by the caller. */
static char *
reload_metrics(void)
{
	int fd = harness_connect(reload_h.port), closed;
	char *got, *body;
	size_t len;

	harness_sends(fd, "GET /metrics HTTP/1.0\r\n\r\n");
	got = harness_read_all(fd, HARNESS_TIMEOUT_MS, &len, &closed);
	close(fd);
	ck_assert_msg(strncmp(got, "HTTP/1.1 200 ", 13) == 0, "%s", got);
	ck_assert_ptr_nonnull(body = strstr(got, "\r\n\r\n"));
	body = strdup(body + 4);
	free(got);
	return body;
}

/* Fails unless the text has a line that is exactly line. */
static void
reload_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') &&
		    (p[n] == '\n' || p[n] == '\r'))
			return;
		p += n;
	}
	ck_abort_msg("no line '%s' in:\n%s", line, text);
}

/* INFO's reply to section, as text (the bulk string, whole). */
static char *
reload_info(const char *section)
{
	int fd = harness_connect(reload_h.port);
	char cmd[64], *got, *more, *body;
	size_t len, n, head, morelen;

	snprintf(cmd, sizeof(cmd), "INFO %s\r\n", section);
	harness_sends(fd, cmd);
	got = harness_read_until(fd, "\r\n", &len);
	ck_assert_msg(got[0] == '$', "INFO answered %s", got);
	n = strtoul(got + 1, &body, 10);
	head = (size_t)(body - got) + 2;
	if (len < head + n + 2) {
		more = harness_read_n(
		    fd, head + n + 2 - len, HARNESS_TIMEOUT_MS, &morelen);
		ck_assert_uint_eq(morelen, head + n + 2 - len);
		ck_assert_ptr_nonnull(got = realloc(got, len + morelen + 1));
		memcpy(got + len, more, morelen + 1);
		free(more);
	}
	close(fd);
	body = strndup(got + head, n);
	free(got);
	return body;
}

/* Fails unless INFO commandstats counts calls of cmd. */
static void
reload_expect_calls(const char *cmd, unsigned calls)
{
	char *text = reload_info("commandstats"), want[128];

	snprintf(want, sizeof(want), "cmdstat_%s:calls=%u,", cmd, calls);
	ck_assert_msg(
	    strstr(text, want) != NULL, "no '%s' in:\n%s", want, text);
	free(text);
}

START_TEST(test_reload_keeps_counters)
{
	char *m, *text, *conf;
	long long t0 = (long long)time(NULL), t;
	size_t len;
	int i;

	for (i = 0; i < 3; i++) {
		reload_expect("add 1 2\r\n", ":3\r\n");
		reload_expect("echo x\r\n", "$1\r\nx\r\n");
	}
	reload_expect("add 1\r\n",
	    "-ERR wrong number of arguments for 'add' command\r\n");
	reload_expect_calls("add", 4);
	kill(reload_h.pid, SIGHUP);
	harness_wait_log(&reload_h, "registry generation 2\n");
	reload_wait_for("add 1 2\r\n", ":3\r\n");
	reload_expect("echo x\r\n", "$1\r\nx\r\n");
	/* A plugin's command and a built-in go on counting. */
	reload_expect_calls("add", 5);
	reload_expect_calls("echo", 4);
	m = reload_metrics();
	reload_has_line(
	    m, "duetd_requests_total{command=\"add\",protocol=\"resp\"} 5");
	reload_has_line(
	    m, "duetd_errors_total{command=\"add\",protocol=\"resp\"} 1");
	reload_has_line(
	    m, "duetd_requests_total{command=\"echo\",protocol=\"resp\"} 4");
	reload_has_line(
	    m, "duetd_command_duration_seconds_count{command=\"add\"} 5");
	reload_has_line(m, "duetd_reloads_total 1");
	reload_has_line(m, "duetd_reloads_failed_total 0");
	reload_has_line(m, "duetd_last_reload_success 1");
	free(m);

	/* A failed reload is counted and clears last_reload_success. */
	conf = harness_read_file(reload_h.conf, &len);
	harness_write_file(reload_h.conf, "bogus: 1\n");
	kill(reload_h.pid, SIGHUP);
	harness_wait_log(&reload_h, "reload failed");
	m = reload_metrics();
	reload_has_line(m, "duetd_reloads_total 1");
	reload_has_line(m, "duetd_reloads_failed_total 1");
	reload_has_line(m, "duetd_last_reload_success 0");
	reload_has_line(
	    m, "duetd_requests_total{command=\"add\",protocol=\"resp\"} 5");
	free(m);
	text = reload_info("stats");
	reload_has_line(text, "reloads:1");
	reload_has_line(text, "reloads_failed:1");
	reload_has_line(text, "last_reload_success:0");
	free(text);

	harness_write_file(reload_h.conf, conf);
	kill(reload_h.pid, SIGHUP);
	harness_wait_log(&reload_h, "registry generation 3\n");
	reload_wait_for("add 1 2\r\n", ":3\r\n");
	reload_expect_calls("add", 6);
	m = reload_metrics();
	reload_has_line(m, "duetd_reloads_total 2");
	reload_has_line(m, "duetd_reloads_failed_total 1");
	reload_has_line(m, "duetd_last_reload_success 1");
	text = strstr(m, "\nduetd_last_reload_success_timestamp_seconds ");
	ck_assert_ptr_nonnull(text);
	t = strtoll(
	    text + strlen("\nduetd_last_reload_success_timestamp_seconds "),
	    NULL, 10);
	ck_assert_msg(t >= t0 && t <= (long long)time(NULL),
	    "last success at %lld, test ran from %lld", t, t0);
	reload_has_line(m, "duetd_registry_generation 3");
	free(m);
	free(conf);
}
END_TEST

START_TEST(test_reload_taken_port_names_position)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t slen = sizeof(sin);
	char *conf, *grown, *at, want[PATH_MAX + 64];
	int taker, one = 1;
	size_t len;

	/* A port some other process listens on. */
	taker = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(taker, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(taker, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(taker, 1), 0);
	getsockname(taker, (struct sockaddr *)&sin, &slen);
	conf = harness_read_file(reload_h.conf, &len);
	grown = malloc(len + 64);
	ck_assert_ptr_nonnull(grown);
	ck_assert_ptr_nonnull(at = strstr(conf, "listen:\n"));
	at += strlen("listen:\n");
	snprintf(grown, len + 64, "%.*s  - 127.0.0.1:%d\n%s", (int)(at - conf),
	    conf, ntohs(sin.sin_port), at);
	harness_write_file(reload_h.conf, grown);
	kill(reload_h.pid, SIGHUP);
	harness_wait_log(&reload_h, "reload failed");
	snprintf(want, sizeof(want),
	    "%s:3:5: listen 127.0.0.1:%d: Address already in use\n",
	    reload_h.conf, ntohs(sin.sin_port));
	harness_wait_log(&reload_h, want);
	reload_expect("add 1 2\r\n", ":3\r\n");
	harness_write_file(reload_h.conf, conf);
	close(taker);
	free(grown);
	free(conf);
}
END_TEST

static Suite *
reload_suite(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("sighup");

	tcase_add_checked_fixture(tc, reload_setup, reload_teardown);
	/* Twenty reloads under load on a busy two-core CI machine. */
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_reload_replaced_plugin_runs_new_code);
	tcase_add_test(tc, test_reload_plugin_state_is_per_generation);
	tcase_add_test(tc, test_reload_faults_keep_serving);
	tcase_add_test(tc, test_reload_under_load_loses_no_call);
	tcase_add_test(tc, test_reload_adds_and_removes_listeners);
	tcase_add_test(tc, test_reload_changes_listener_protocols);
	tcase_add_test(tc, test_reload_cp_over_loaded_plugin);
	tcase_add_test(tc, test_reload_keeps_counters);
	tcase_add_test(tc, test_reload_taken_port_names_position);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(reload_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
