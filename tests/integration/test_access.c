/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of who may connect (SPEC 9.5) on a real duetd, with
 * loopback addresses only: clients bind 127.0.0.2 or 127.0.0.3 as their
 * source to stand for other hosts.  A peer refused by an access list is
 * closed before a byte is read; a listener's own list replaces the
 * global one; a reload changes the lists for new connections; ::1 when
 * the host has IPv6 loopback; a unix socket gets its mode, owner and
 * group (also after a reload); limits.max_connections_per_ip and an
 * exact limits.max_connections with two workers answer Redis's errors;
 * every refusal shows in duetd_connections_refused_total{reason}.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

static struct harness access_h;

/* Connects to 127.0.0.1:port from the loopback address src. */
static int
access_connect_from(const char *src, int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(inet_pton(AF_INET, src, &sin.sin_addr), 1);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "bind %s: %s", src, strerror(errno));
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "connect 127.0.0.1:%d from %s: %s", port, src, strerror(errno));
	return fd;
}

/* Connects to [::1]:port. */
static int
access_connect6(int port)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ne(fd, -1);
	sin6.sin6_addr = in6addr_loopback;
	sin6.sin6_port = htons((uint16_t)port);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0,
	    "connect [::1]:%d: %s", port, strerror(errno));
	return fd;
}

/* Whether this host has IPv6 loopback (a socket binds [::1]). */
static int
access_have_ipv6(void)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (fd == -1)
		return 0;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return ok;
}

/* The connection is served: PING answers. */
static void
access_served(int fd)
{
	harness_sends(fd, "PING\r\n");
	harness_expects(fd, "+PONG\r\n");
}

/* The connection was closed at accept: no byte, then EOF. */
static void
access_closed(int fd)
{
	harness_expect_close(fd, "");
	close(fd);
}

/* GET /metrics on port, with curl.  Owned by the caller. */
static char *
access_metrics(int port)
{
	struct harness_out o;
	char cmd[128];
	char *text;

	snprintf(
	    cmd, sizeof(cmd), "curl -sS http://127.0.0.1:%d/metrics", port);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_msg(o.status == 0, "curl: %s", o.err);
	text = o.out;
	o.out = NULL;
	harness_out_free(&o);
	return text;
}

/* Fails unless /metrics on port has the line want. */
static void
access_metric(int port, const char *want)
{
	char *text = access_metrics(port), line[256];

	snprintf(line, sizeof(line), "\n%s\n", want);
	ck_assert_msg(strstr(text, line) != NULL, "/metrics has no \"%s\":\n%s",
	    want, text);
	free(text);
}

/* Rewrites the config, replacing from with to, and reloads. */
static void
access_reload(const char *from, const char *to, int generation)
{
	char *text = harness_read_file(access_h.conf, NULL), *p, want[64];
	char *out;
	size_t n;

	ck_assert_ptr_nonnull(p = strstr(text, from));
	n = strlen(text) + strlen(to) + 1;
	ck_assert_ptr_nonnull(out = malloc(n));
	snprintf(
	    out, n, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
	harness_write_file(access_h.conf, out);
	free(out);
	free(text);
	kill(access_h.pid, SIGHUP);
	snprintf(
	    want, sizeof(want), "reloaded: registry generation %d", generation);
	harness_wait_log(&access_h, want);
}

START_TEST(test_access_lists_at_accept)
{
	int p2 = harness_pick_port(), fd;
	char yaml[512];

	/* 127.0.0.2 is denied everywhere but on p2, whose own list lets
	 * only it in. */
	snprintf(yaml, sizeof(yaml),
	    "  - address: 127.0.0.1:%d\n"
	    "    access: {allow: [127.0.0.2/32]}\n"
	    "access:\n"
	    "  allow: [127.0.0.0/8]\n"
	    "  deny: [127.0.0.2]\n",
	    p2);
	harness_start(&access_h, NULL, yaml);

	fd = access_connect_from("127.0.0.1", access_h.port);
	access_served(fd);
	close(fd);
	access_closed(access_connect_from("127.0.0.2", access_h.port));
	access_closed(access_connect_from("127.0.0.1", p2));
	access_closed(access_connect_from("127.0.0.3", p2));
	fd = access_connect_from("127.0.0.2", p2);
	access_served(fd);
	close(fd);
	access_metric(access_h.port,
	    "duetd_connections_refused_total{reason=\"access\"} 3");
	access_metric(access_h.port,
	    "duetd_connections_refused_total{reason=\"limit\"} 0");
	harness_stop(&access_h);
}
END_TEST

START_TEST(test_access_reload_changes_lists)
{
	int p2 = harness_pick_port(), kept, fd;
	char yaml[256];

	snprintf(yaml, sizeof(yaml),
	    "  - address: 127.0.0.1:%d\n"
	    "    access: {allow: [127.0.0.2/32]}\n",
	    p2);
	harness_start(&access_h, NULL, yaml);
	kept = access_connect_from("127.0.0.2", p2);
	access_served(kept);
	access_closed(access_connect_from("127.0.0.1", p2));

	access_reload("127.0.0.2/32", "127.0.0.1/32", 2);
	fd = access_connect_from("127.0.0.1", p2);
	access_served(fd);
	close(fd);
	access_closed(access_connect_from("127.0.0.2", p2));
	/* The lists are checked at accept: an open connection goes on. */
	access_served(kept);
	close(kept);

	/* A global list added by a reload governs the first listener. */
	access_reload("listen:\n", "access: {deny: [127.0.0.3]}\nlisten:\n", 3);
	access_closed(access_connect_from("127.0.0.3", access_h.port));
	fd = access_connect_from("127.0.0.2", access_h.port);
	access_served(fd);
	close(fd);
	harness_stop(&access_h);
}
END_TEST

START_TEST(test_access_ipv6_loopback)
{
	int p3, p4, fd;
	char yaml[512];

	if (!access_have_ipv6()) {
		fprintf(stderr,
		    "test_access_ipv6_loopback: skipped, this "
		    "host has no IPv6 loopback\n");
		return;
	}
	p3 = harness_pick_port();
	p4 = harness_pick_port();
	snprintf(yaml, sizeof(yaml),
	    "  - address: \"[::1]:%d\"\n"
	    "    access: {deny: [\"::1\"]}\n"
	    "  - address: \"[::1]:%d\"\n"
	    "    access: {allow: [\"::1/128\"]}\n"
	    "access: {allow: [127.0.0.0/8]}\n",
	    p3, p4);
	harness_start(&access_h, NULL, yaml);
	access_closed(access_connect6(p3));
	fd = access_connect6(p4);
	access_served(fd);
	close(fd);
	access_metric(access_h.port,
	    "duetd_connections_refused_total{reason=\"access\"} 1");
	harness_stop(&access_h);
}
END_TEST

/* The socket file's permissions, owner and group. */
static void
access_expect_file(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat st;

	ck_assert_msg(
	    stat(path, &st) == 0, "stat %s: %s", path, strerror(errno));
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, mode);
	ck_assert_uint_eq(st.st_uid, uid);
	ck_assert_uint_eq(st.st_gid, gid);
}

START_TEST(test_access_unix_socket_mode_owner_group)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct passwd *pw = getpwuid(getuid());
	struct group *gr = getgrgid(getgid());
	char dir[64], yaml[1024];
	int fd;

	ck_assert_ptr_nonnull(pw);
	ck_assert_ptr_nonnull(gr);
	harness_tmpdir(dir, sizeof(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/duet.sock", dir);
	snprintf(yaml, sizeof(yaml),
	    "  - address: unix:%s\n"
	    "    mode: \"0660\"\n"
	    "    owner: %s\n"
	    "    group: %s\n"
	    "workers: 1\n",
	    sun.sun_path, pw->pw_name, gr->gr_name);
	harness_start(&access_h, NULL, yaml);
	access_expect_file(sun.sun_path, 0660, getuid(), getgid());
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	access_served(fd);

	/* A reload gives the socket it keeps its new mode. */
	access_reload("\"0660\"", "\"0600\"", 2);
	access_served(fd); /* worker 0 has run the relisten posted before */
	access_expect_file(sun.sun_path, 0600, getuid(), getgid());
	close(fd);
	harness_stop(&access_h);
	harness_rmdir(dir);
}
END_TEST

START_TEST(test_access_max_connections_per_ip)
{
	int watcher, a, b, c;

	harness_start(&access_h, NULL, "limits: {max_connections_per_ip: 2}\n");
	/* From another address, so as not to count against 127.0.0.1;
	 * once it is the only client, the start's PINGs are gone. */
	watcher = access_connect_from("127.0.0.2", access_h.port);
	harness_wait_clients(watcher, 1);
	a = access_connect_from("127.0.0.1", access_h.port);
	access_served(a);
	b = access_connect_from("127.0.0.1", access_h.port);
	access_served(b);
	c = access_connect_from("127.0.0.1", access_h.port);
	harness_expect_close(
	    c, "-ERR max number of clients per address reached\r\n");
	close(c);
	close(a);
	harness_wait_clients(watcher, 2);
	c = access_connect_from("127.0.0.1", access_h.port);
	access_served(c);
	close(c);
	close(b);
	access_metric(access_h.port,
	    "duetd_connections_refused_total{reason=\"limit\"} 1");
	close(watcher);
	harness_stop(&access_h);
}
END_TEST

#define RACE_CLIENTS 8 /* = max_connections: the watcher takes one */

/* One racing client: connects, then (all connected) PINGs. */
struct race_client {
	pthread_barrier_t *connected, *answered;
	int port;
	int result; /* 1 served, 0 refused, -1 something else */
	char reply[128];
};

static void *
race_client_run(void *arg)
{
	struct race_client *rc = arg;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct pollfd pfd = {.events = POLLIN};
	size_t len = 0;
	ssize_t n;

	rc->result = -1;
	pfd.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sin.sin_port = htons((uint16_t)rc->port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	if (connect(pfd.fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		pfd.fd = -1;
	pthread_barrier_wait(rc->connected);
	if (pfd.fd != -1 && send(pfd.fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6) {
		while (len < sizeof(rc->reply) - 1 &&
		    poll(&pfd, 1, HARNESS_TIMEOUT_MS) == 1 &&
		    (n = read(pfd.fd, rc->reply + len,
		         sizeof(rc->reply) - 1 - len)) > 0) {
			len += (size_t)n;
			if (rc->reply[len - 1] == '\n')
				break;
		}
	}
	rc->reply[len] = '\0';
	if (strcmp(rc->reply, "+PONG\r\n") == 0)
		rc->result = 1;
	else if (pfd.fd != -1 &&
	    (strcmp(rc->reply, "-ERR max number of clients reached\r\n") == 0 ||
	        len == 0)) /* refused, our PING making the close a reset */
		rc->result = 0;
	pthread_barrier_wait(rc->answered);
	if (pfd.fd != -1)
		close(pfd.fd);
	return NULL;
}

START_TEST(test_access_max_connections_exact_across_workers)
{
	struct race_client rc[RACE_CLIENTS];
	pthread_t t[RACE_CLIENTS];
	pthread_barrier_t connected, answered;
	int i, watcher, served = 0, refused = 0;

	harness_start(
	    &access_h, NULL, "workers: 2\nlimits: {max_connections: 8}\n");
	watcher = harness_connect(access_h.port);
	harness_wait_clients(watcher, 1);
	pthread_barrier_init(&connected, NULL, RACE_CLIENTS);
	pthread_barrier_init(&answered, NULL, RACE_CLIENTS + 1);
	for (i = 0; i < RACE_CLIENTS; i++) {
		rc[i] = (struct race_client){
		    .connected = &connected,
		    .answered = &answered,
		    .port = access_h.port,
		};
		ck_assert_int_eq(
		    pthread_create(&t[i], NULL, race_client_run, &rc[i]), 0);
	}
	pthread_barrier_wait(&answered); /* every client holds its place */
	for (i = 0; i < RACE_CLIENTS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(
		    rc[i].result != -1, "client %d got \"%s\"", i, rc[i].reply);
		served += rc[i].result == 1;
		refused += rc[i].result == 0;
	}
	pthread_barrier_destroy(&connected);
	pthread_barrier_destroy(&answered);
	ck_assert_int_eq(served, RACE_CLIENTS - 1);
	ck_assert_int_eq(refused, 1);
	close(watcher);
	harness_stop(&access_h);
}
END_TEST

static Suite *
access_suite(void)
{
	Suite *s = suite_create("access");
	TCase *tc;

	tc = tcase_create("lists");
	tcase_add_test(tc, test_access_lists_at_accept);
	tcase_add_test(tc, test_access_reload_changes_lists);
	tcase_add_test(tc, test_access_ipv6_loopback);
	suite_add_tcase(s, tc);

	tc = tcase_create("unix");
	tcase_add_test(tc, test_access_unix_socket_mode_owner_group);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_access_max_connections_per_ip);
	tcase_add_test(tc, test_access_max_connections_exact_across_workers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(access_suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
