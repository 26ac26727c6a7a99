/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for worker_admit: what a worker checks when it takes up an
 * accepted socket (worker_conn_new), on socketpairs standing in for
 * clients: a unix peer's uid (SO_PEERCRED) lands in conn->ident,
 * limits.max_connections is exact (also with threads racing for the last
 * place), limits.max_connections_per_ip counts an address (IPv4 and its
 * v4-mapped form as one), and refusals are Redis's error then close.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "config.h"
#include "conn.h"
#include "log.h"
#include "metrics.h"
#include "peers.h"
#include "registry.h"
#include "worker.h"

static struct config *admit_cf;
static struct worker admit_w;
static char admit_dir[64];

/* A worker whose generation has the given limits mapping. */
static void
admit_start(const char *limits)
{
	char path[128], text[512];
	struct registry *reg;
	FILE *f;
	int nerrors;

	snprintf(admit_dir, sizeof(admit_dir), "/tmp/duet-admit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(admit_dir));
	snprintf(path, sizeof(path), "%s/duetd.yaml", admit_dir);
	snprintf(text, sizeof(text),
	    "plugin_dir: %s\nlog: {level: error}\nlimits: %s\n", admit_dir,
	    limits);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	admit_cf = config_load(path, &nerrors);
	unlink(path);
	ck_assert_ptr_nonnull(admit_cf);
	reg = registry_build(admit_cf, NULL, NULL, &nerrors);
	ck_assert_ptr_nonnull(reg);
	registry_publish(reg);
	ck_assert_int_eq(worker_init(&admit_w, 0, admit_cf), 0);
}

static void
admit_stop(void)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&admit_w.env.conns)) != NULL)
		conn_free(c);
	worker_fini(&admit_w);
	registry_publish(NULL);
	config_free(admit_cf);
	rmdir(admit_dir);
}

/* A new client: *peer is its end, the daemon's end goes to a conn. */
static struct conn *
admit_client(const struct sockaddr *sa, int *peer)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX,
	                     SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
	    0);
	*peer = sv[1];
	return worker_conn_new(&admit_w, sv[0], sa, "test", CONFIG_PROTO_RESP);
}

/* Reads what the daemon wrote to a refused client: all, up to EOF. */
static void
admit_expect_refused(int peer, const char *want)
{
	char buf[256];
	size_t len = 0;
	ssize_t n;

	while ((n = read(peer, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	ck_assert_int_eq(n, 0); /* closed, so no EAGAIN */
	buf[len] = '\0';
	ck_assert_str_eq(buf, want);
	close(peer);
}

static const struct sockaddr *
admit_inet(struct sockaddr_storage *ss, const char *text)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		ck_assert_int_eq(
		    inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, text, &sin->sin_addr), 1);
	}
	return (const struct sockaddr *)ss;
}

START_TEST(test_worker_admit_unix_peer_uid)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct sockaddr_storage ss;
	struct conn *c;
	int peer, tcp_peer;

	admit_start("{}");
	c = admit_client((struct sockaddr *)&sun, &peer);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->ident.has_uid, 1);
	ck_assert_uint_eq(c->ident.uid, getuid());
	ck_assert_int_eq(c->counted, 1);
	ck_assert_uint_eq(atomic_load(&worker_stats.connections), 1);
	/* A TCP peer has no uid, whatever the socket under it. */
	c = admit_client(admit_inet(&ss, "127.0.0.1"), &tcp_peer);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->ident.has_uid, 0);
	ck_assert_uint_eq(atomic_load(&worker_stats.connections), 2);
	conn_free(c);
	ck_assert_uint_eq(atomic_load(&worker_stats.connections), 1);
	close(tcp_peer);
	close(peer);
	admit_stop();
	ck_assert_uint_eq(atomic_load(&worker_stats.connections), 0);
}
END_TEST

START_TEST(test_worker_admit_max_connections_refused)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct conn *a, *b;
	int pa, pb, pc;

	admit_start("{max_connections: 2}");
	a = admit_client((struct sockaddr *)&sun, &pa);
	b = admit_client((struct sockaddr *)&sun, &pb);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_null(admit_client((struct sockaddr *)&sun, &pc));
	admit_expect_refused(pc, "-ERR max number of clients reached\r\n");
	ck_assert_uint_eq(atomic_load(&worker_stats.connections), 2);
	ck_assert_uint_eq(atomic_load(&worker_stats.rejected_connections), 1);
	conn_free(a);
	a = admit_client((struct sockaddr *)&sun, &pc);
	ck_assert_ptr_nonnull(a);
	close(pa);
	close(pb);
	close(pc);
	admit_stop();
}
END_TEST

START_TEST(test_worker_admit_per_ip_refused)
{
	struct sockaddr_storage ss;
	struct conn *a, *b, *c;
	int pa, pb, pc, pd;
	uint8_t addr[16] = {[10] = 0xff, [11] = 0xff, 10, 0, 0, 1};

	admit_start("{max_connections_per_ip: 2}");
	a = admit_client(admit_inet(&ss, "10.0.0.1"), &pa);
	b = admit_client(admit_inet(&ss, "::ffff:10.0.0.1"), &pb);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(peers_count(addr), 2);
	ck_assert_ptr_null(admit_client(admit_inet(&ss, "10.0.0.1"), &pc));
	admit_expect_refused(
	    pc, "-ERR max number of clients per address reached\r\n");
	ck_assert_uint_eq(atomic_load(&worker_stats.rejected_connections), 1);
	ck_assert_uint_eq(atomic_load(&worker_stats.connections), 2);
	/* Another address has its own count. */
	c = admit_client(admit_inet(&ss, "10.0.0.2"), &pc);
	ck_assert_ptr_nonnull(c);
	conn_free(c);
	close(pc);
	conn_free(a);
	ck_assert_uint_eq(peers_count(addr), 1);
	a = admit_client(admit_inet(&ss, "10.0.0.1"), &pd);
	ck_assert_ptr_nonnull(a);
	close(pa);
	close(pb);
	close(pd);
	admit_stop();
	ck_assert_uint_eq(peers_count(addr), 0);
}
END_TEST

#define RACE_THREADS 8
#define RACE_ROUNDS  2000
#define RACE_MAX     3

static atomic_int race_held, race_worst;

/* Admits and gives back over and over, as workers accepting at once. */
static void *
race_thread(void *arg)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct peers_entry *peer;
	int i, held, worst;

	(void)arg;
	for (i = 0; i < RACE_ROUNDS; i++) {
		if (worker_admit(
		        &admit_w, -1, (struct sockaddr *)&sun, &peer) == -1)
			continue;
		held = atomic_fetch_add(&race_held, 1) + 1;
		worst = atomic_load(&race_worst);
		while (held > worst &&
		    !atomic_compare_exchange_weak(&race_worst, &worst, held))
			;
		atomic_fetch_sub(&race_held, 1);
		worker_unadmit(peer);
	}
	return NULL;
}

START_TEST(test_worker_admit_max_connections_exact_across_threads)
{
	pthread_t t[RACE_THREADS];
	int i;

	admit_start("{max_connections: 3}");
	for (i = 0; i < RACE_THREADS; i++)
		ck_assert_int_eq(
		    pthread_create(&t[i], NULL, race_thread, NULL), 0);
	for (i = 0; i < RACE_THREADS; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_le(atomic_load(&race_worst), RACE_MAX);
	ck_assert_int_gt(atomic_load(&race_worst), 0);
	ck_assert_uint_eq(atomic_load(&worker_stats.connections), 0);
	admit_stop();
}
END_TEST

static Suite *
worker_admit_suite(void)
{
	Suite *s = suite_create("worker_admit");
	TCase *tc;

	tc = tcase_create("identity");
	tcase_add_test(tc, test_worker_admit_unix_peer_uid);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_worker_admit_max_connections_refused);
	tcase_add_test(tc, test_worker_admit_per_ip_refused);
	tcase_add_test(
	    tc, test_worker_admit_max_connections_exact_across_threads);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(worker_admit_suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
