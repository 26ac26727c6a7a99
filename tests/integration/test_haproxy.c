/* SPDX-License-Identifier: MIT */
/*
 * Integration test of scaling out (SPEC section 8): the shipped
 * conf/haproxy.cfg, with its ports replaced by free ones, puts two real
 * duetd behind a real HAProxy.  HAProxy's own health checks (`option
 * redis-check` on the RESP backend, `GET /healthz` on the HTTP one) must
 * pass against duetd, calls through both frontends (redis-cli and curl)
 * must reach both instances, and after one instance stops every call must
 * still succeed, before and after HAProxy marks it down.  HAProxy is a
 * test dependency (tools/deps.sh installs it): without it the test fails.
 */
#include "autoconf.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define HAPROXY_READY_MS 15000 /* HAProxy start to both checks passing */
#define HAPROXY_DOWN_MS  15000 /* duetd stop to HAProxy marking it down */
#define HAPROXY_STOP_MS  10000 /* SIGTERM to HAProxy's exit */
#define HAPROXY_AFTER    20    /* calls of each kind once the server is down */

/* The backends of conf/haproxy.cfg and their servers. */
static const char *const haproxy_backends[] = {"duet_resp", "duet_http"};
static const char *const haproxy_servers[] = {"duet1", "duet2"};

static struct harness haproxy_duetd[2]; /* duet1, duet2 */
static char haproxy_dir[64];            /* the HAProxy config, log and socket */
static char haproxy_sock[PATH_MAX];     /* its runtime API (stats socket) */
static pid_t haproxy_pid;
static int haproxy_resp_port, haproxy_http_port;

static long long
haproxy_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A short pause between two polls of a condition that has a deadline. */
static void
haproxy_pause(void)
{
	struct timespec pause = {0, 20 * 1000 * 1000};

	nanosleep(&pause, NULL);
}

/* Appends s (n bytes) to the growing string *buf of length *len. */
static void
haproxy_append(char **buf, size_t *len, const char *s, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	ck_assert_ptr_nonnull(*buf);
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/*
 * Returns text with every from[i] replaced by to[i] in a single pass (a
 * replacement is never matched again), failing unless each from[i] occurs.
 * Owned by the caller.
 */
static char *
haproxy_subst(
    const char *text, const char *const *from, char *const *to, size_t n)
{
	char *out = NULL;
	size_t len = 0, i, *seen;
	const char *p = text;

	seen = calloc(n, sizeof(*seen));
	ck_assert_ptr_nonnull(seen);
	haproxy_append(&out, &len, "", 0);
	while (*p != '\0') {
		for (i = 0; i < n; i++) {
			if (strncmp(p, from[i], strlen(from[i])) == 0)
				break;
		}
		if (i == n) {
			haproxy_append(&out, &len, p++, 1);
			continue;
		}
		haproxy_append(&out, &len, to[i], strlen(to[i]));
		p += strlen(from[i]);
		seen[i]++;
	}
	for (i = 0; i < n; i++)
		ck_assert_msg(
		    seen[i] > 0, "conf/haproxy.cfg has no \"%s\"", from[i]);
	free(seen);
	return out;
}

/*
 * Writes haproxy_dir/haproxy.cfg: the shipped example with free ports, a
 * small maxconn (the file descriptor limit may be low here) and a stats
 * socket instead of syslog.
 */
static void
haproxy_write_config(const char *cfg)
{
	static const char *const from[] = {"127.0.0.1:3838", "127.0.0.1:3839",
	    "127.0.0.1:6380", "127.0.0.1:8080", "maxconn 4096",
	    "log /dev/log local0"};
	char to[6][PATH_MAX + 64], path[PATH_MAX];
	char *tp[6], *example, *text;
	size_t i;

	snprintf(to[0], sizeof(to[0]), "127.0.0.1:%d", haproxy_duetd[0].port);
	snprintf(to[1], sizeof(to[1]), "127.0.0.1:%d", haproxy_duetd[1].port);
	snprintf(to[2], sizeof(to[2]), "127.0.0.1:%d", haproxy_resp_port);
	snprintf(to[3], sizeof(to[3]), "127.0.0.1:%d", haproxy_http_port);
	snprintf(to[4], sizeof(to[4]), "maxconn 256");
	snprintf(to[5], sizeof(to[5]), "stats socket %s mode 600 level admin",
	    haproxy_sock);
	for (i = 0; i < 6; i++)
		tp[i] = to[i];
	snprintf(path, sizeof(path), "%s/conf/haproxy.cfg",
	    harness_env("DUET_SRCDIR"));
	example = harness_read_file(path, NULL);
	text = haproxy_subst(example, from, tp, 6);
	harness_write_file(cfg, text);
	free(example);
	free(text);
}

/* Fails the test unless the haproxy program can be run. */
static void
haproxy_require_haproxy(void)
{
	struct harness_out o;

	harness_run(&o, "haproxy -v", NULL, 0);
	ck_assert_msg(o.status == 0 && strstr(o.out, "HAProxy") != NULL,
	    "haproxy is not installed (tools/deps.sh installs it): %s", o.err);
	harness_out_free(&o);
}

/*
 * Forks `haproxy -db -f cfg` (in the foreground, without daemonizing),
 * its output in log.  The child gets SIGCHLD unblocked again (the harness
 * keeps it blocked here) and dies with the test.
 */
static void
haproxy_spawn(const char *cfg, const char *log)
{
	sigset_t set;
	int in, out;

	in = open("/dev/null", O_RDONLY);
	out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	ck_assert_msg(in >= 0 && out >= 0, "open: %s", strerror(errno));
	haproxy_pid = fork();
	ck_assert_int_ge(haproxy_pid, 0);
	if (haproxy_pid == 0) {
		if (dup2(in, 0) == -1 || dup2(out, 1) == -1 ||
		    dup2(out, 2) == -1)
			_exit(127);
		sigemptyset(&set);
		sigaddset(&set, SIGCHLD);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		signal(SIGPIPE, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execlp("haproxy", "haproxy", "-db", "-f", cfg, (char *)NULL);
		_exit(127);
	}
	close(in);
	close(out);
}

/* Fails, with HAProxy's log, if HAProxy has exited. */
static void
haproxy_check_alive(void)
{
	char path[PATH_MAX], *log;
	int status;

	if (waitpid(haproxy_pid, &status, WNOHANG) != haproxy_pid)
		return;
	haproxy_pid = 0;
	snprintf(path, sizeof(path), "%s/haproxy.log", haproxy_dir);
	log = harness_read_file(path, NULL);
	ck_abort_msg("haproxy exited (status 0x%x):\n%s", status, log);
}

/*
 * Stops HAProxy with SIGTERM and reaps it, with SIGKILL after a deadline.
 * SIGCHLD is blocked (see harness.c), so the wait is a sigtimedwait() in
 * short slices around waitpid().
 */
static void
haproxy_stop(void)
{
	long long deadline = haproxy_now_ms() + HAPROXY_STOP_MS;
	struct timespec slice = {0, 100 * 1000 * 1000};
	sigset_t set;
	int status;

	if (haproxy_pid <= 0)
		return;
	kill(haproxy_pid, SIGTERM);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	while (waitpid(haproxy_pid, &status, WNOHANG) != haproxy_pid) {
		if (haproxy_now_ms() > deadline) {
			kill(haproxy_pid, SIGKILL);
			waitpid(haproxy_pid, &status, 0);
			break;
		}
		sigtimedwait(&set, NULL, &slice);
	}
	haproxy_pid = 0;
}

/*
 * Sends one command to HAProxy's runtime API and returns its whole answer
 * (HAProxy closes the connection after it).  Owned by the caller.
 */
static char *
haproxy_api(const char *cmd)
{
	struct sockaddr_un sun;
	size_t len;
	int fd, closed;
	char *out;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(haproxy_sock), sizeof(sun.sun_path));
	strcpy(sun.sun_path, haproxy_sock);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
	    "%s: %s", haproxy_sock, strerror(errno));
	harness_sends(fd, cmd);
	out = harness_read_all(fd, HARNESS_TIMEOUT_MS, &len, &closed);
	ck_assert_msg(closed, "haproxy: '%s' got no complete answer", cmd);
	close(fd);
	return out;
}

/* Returns field number idx (from 0) of the CSV line, in buf. */
static const char *
haproxy_field(const char *line, int idx, char *buf, size_t len)
{
	const char *p = line, *end;
	size_t n;

	for (; idx > 0 && p != NULL; idx--) {
		p = strpbrk(p, ",\n");
		p = p != NULL && *p == ',' ? p + 1 : NULL;
	}
	ck_assert_msg(p != NULL, "short stats line: %.80s", line);
	end = p + strcspn(p, ",\n");
	n = (size_t)(end - p) < len - 1 ? (size_t)(end - p) : len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

/* Returns the index of column name in the "# pxname,svname,..." header. */
static int
haproxy_column(const char *stats, const char *name)
{
	char buf[64];
	int idx;

	ck_assert_msg(strncmp(stats, "# ", 2) == 0, "stats: %.200s", stats);
	for (idx = 0; idx < 200; idx++) {
		if (strcmp(haproxy_field(stats + 2, idx, buf, sizeof(buf)),
		        name) == 0)
			return idx;
	}
	ck_abort_msg("stats have no column %s", name);
	return -1;
}

/*
 * Copies the value of column col for backend/server from the CSV answer of
 * "show stat" into buf.
 */
static const char *
haproxy_stat(const char *backend, const char *server, const char *col,
    char *buf, size_t len)
{
	char *stats = haproxy_api("show stat\n"), key[128];
	const char *line;
	int idx = haproxy_column(stats, col);

	snprintf(key, sizeof(key), "\n%s,%s,", backend, server);
	line = strstr(stats, key);
	ck_assert_msg(line != NULL, "stats have no %s/%s", backend, server);
	haproxy_field(line + 1, idx, buf, len);
	free(stats);
	return buf;
}

/*
 * Waits until every server of both backends has passed a health check:
 * check_status L7OK means that HAProxy's PING got +PONG (redis-check) and
 * GET /healthz got 200 from duetd.
 */
static void
haproxy_wait_checks_ok(void)
{
	long long deadline = haproxy_now_ms() + HAPROXY_READY_MS;
	char buf[64];
	size_t b, s;

	for (b = 0; b < 2; b++) {
		for (s = 0; s < 2; s++) {
			while (strcmp(haproxy_stat(haproxy_backends[b],
			                  haproxy_servers[s], "check_status",
			                  buf, sizeof(buf)),
			           "L7OK") != 0) {
				haproxy_check_alive();
				ck_assert_msg(haproxy_now_ms() < deadline,
				    "%s/%s: check status %s, not L7OK",
				    haproxy_backends[b], haproxy_servers[s],
				    buf);
				haproxy_pause();
			}
		}
	}
}

/* Whether server of both backends is marked DOWN by HAProxy. */
static int
haproxy_is_down(const char *server)
{
	char buf[64];
	size_t b;

	for (b = 0; b < 2; b++) {
		if (strncmp(haproxy_stat(haproxy_backends[b], server, "status",
		                buf, sizeof(buf)),
		        "DOWN", 4) != 0)
			return 0;
	}
	return 1;
}

/* Runs cmd; returns 1 when it exits 0 with exactly want on stdout. */
static int
haproxy_try(const char *cmd, const char *want, char *got, size_t len)
{
	struct harness_out o;
	int ok;

	harness_run(&o, cmd, NULL, 0);
	ok = o.status == 0 && strcmp(o.out, want) == 0;
	snprintf(got, len, "status %d, stdout \"%s\", stderr \"%s\"", o.status,
	    o.out, o.err);
	harness_out_free(&o);
	return ok;
}

/* Waits until both frontends answer: PING over RESP, /healthz over HTTP. */
static void
haproxy_wait_frontends(void)
{
	long long deadline = haproxy_now_ms() + HAPROXY_READY_MS;
	char cmd[256], got[512];

	snprintf(cmd, sizeof(cmd), "redis-cli -p %d ping", haproxy_resp_port);
	while (!haproxy_try(cmd, "PONG\n", got, sizeof(got))) {
		haproxy_check_alive();
		ck_assert_msg(
		    haproxy_now_ms() < deadline, "'%s': %s", cmd, got);
		haproxy_pause();
	}
	snprintf(cmd, sizeof(cmd),
	    "curl -sS --noproxy '*' -w ' %%{http_code}' "
	    "http://127.0.0.1:%d/healthz",
	    haproxy_http_port);
	while (!haproxy_try(cmd, "ok\n 200", got, sizeof(got))) {
		haproxy_check_alive();
		ck_assert_msg(
		    haproxy_now_ms() < deadline, "'%s': %s", cmd, got);
		haproxy_pause();
	}
}

/* One `add 1 2` through each frontend; both must answer 3. */
static void
haproxy_call_both(void)
{
	char cmd[512], got[512];

	snprintf(
	    cmd, sizeof(cmd), "redis-cli -p %d add 1 2", haproxy_resp_port);
	ck_assert_msg(
	    haproxy_try(cmd, "3\n", got, sizeof(got)), "'%s': %s", cmd, got);
	snprintf(cmd, sizeof(cmd),
	    "curl -sS --noproxy '*' -w ' %%{http_code}' "
	    "-H 'Content-Type: application/json' --data-binary '[1,2]' "
	    "http://127.0.0.1:%d/add",
	    haproxy_http_port);
	ck_assert_msg(
	    haproxy_try(cmd, "3 200", got, sizeof(got)), "'%s': %s", cmd, got);
}

static void
haproxy_setup(void)
{
	char cfg[PATH_MAX], log[PATH_MAX];

	haproxy_require_haproxy();
	harness_start(&haproxy_duetd[0], NULL, NULL);
	harness_start(&haproxy_duetd[1], NULL, NULL);
	harness_tmpdir(haproxy_dir, sizeof(haproxy_dir));
	snprintf(cfg, sizeof(cfg), "%s/haproxy.cfg", haproxy_dir);
	snprintf(log, sizeof(log), "%s/haproxy.log", haproxy_dir);
	snprintf(
	    haproxy_sock, sizeof(haproxy_sock), "%s/admin.sock", haproxy_dir);
	haproxy_resp_port = harness_pick_port();
	haproxy_http_port = harness_pick_port();
	haproxy_write_config(cfg);
	haproxy_spawn(cfg, log);
	haproxy_wait_frontends();
	haproxy_wait_checks_ok();
}

static void
haproxy_teardown(void)
{
	size_t i;

	haproxy_stop();
	for (i = 0; i < 2; i++) {
		if (haproxy_duetd[i].pid > 0)
			harness_stop(&haproxy_duetd[i]);
	}
	harness_rmdir(haproxy_dir);
}

START_TEST(test_haproxy_calls_reach_both_instances)
{
	char buf[64];
	size_t b, s;
	int i;

	for (i = 0; i < 10; i++)
		haproxy_call_both();
	for (b = 0; b < 2; b++) {
		for (s = 0; s < 2; s++) {
			haproxy_stat(haproxy_backends[b], haproxy_servers[s],
			    "stot", buf, sizeof(buf));
			ck_assert_msg(atoi(buf) > 0, "%s/%s served no call",
			    haproxy_backends[b], haproxy_servers[s]);
		}
	}
}
END_TEST

START_TEST(test_haproxy_survives_one_instance_down)
{
	long long deadline;
	char buf[64];
	size_t b;
	int i, before = 0;

	for (i = 0; i < 5; i++)
		haproxy_call_both();
	harness_stop(&haproxy_duetd[0]);
	deadline = haproxy_now_ms() + HAPROXY_DOWN_MS;
	while (!haproxy_is_down("duet1")) {
		haproxy_check_alive();
		ck_assert_msg(haproxy_now_ms() < deadline,
		    "haproxy did not mark duet1 down in %d ms",
		    HAPROXY_DOWN_MS);
		haproxy_call_both();
		before++;
	}
	for (i = 0; i < HAPROXY_AFTER; i++)
		haproxy_call_both();
	for (b = 0; b < 2; b++)
		ck_assert_str_eq(haproxy_stat(haproxy_backends[b], "duet2",
		                     "status", buf, sizeof(buf)),
		    "UP");
	/* The calls made before the checks noticed went through too. */
	ck_assert_int_gt(before, 0);
}
END_TEST

START_TEST(test_haproxy_example_is_valid)
{
	struct harness_out o;
	char cmd[PATH_MAX + 64];

	haproxy_require_haproxy();
	snprintf(cmd, sizeof(cmd), "haproxy -c -f '%s/conf/haproxy.cfg'",
	    harness_env("DUET_SRCDIR"));
	harness_run(&o, cmd, NULL, 0);
	ck_assert_msg(o.status == 0, "'%s': %s%s", cmd, o.out, o.err);
	harness_out_free(&o);
}
END_TEST

static Suite *
haproxy_suite(void)
{
	Suite *s = suite_create("haproxy");
	TCase *tc = tcase_create("failover");
	TCase *tc_conf = tcase_create("config");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, haproxy_setup, haproxy_teardown);
	tcase_add_test(tc, test_haproxy_calls_reach_both_instances);
	tcase_add_test(tc, test_haproxy_survives_one_instance_down);
	suite_add_tcase(s, tc);
	tcase_add_test(tc_conf, test_haproxy_example_is_valid);
	suite_add_tcase(s, tc_conf);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(haproxy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
