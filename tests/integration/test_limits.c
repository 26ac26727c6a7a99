/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of bad input over raw sockets, with Redis's own
 * protocol behaviour as the reference: a table of malformed requests with
 * their exact replies and whether the connection closes; limits refused
 * from the header alone; clients that vanish mid-request; and a client
 * that pipelines 100k commands and never reads, which must be dropped
 * while memory stays bounded and other clients are served.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define LIMITS_MAX_ARGS    16
#define LIMITS_MAX_REQUEST 65536

static struct harness limits_h;

static void
limits_setup(void)
{
	harness_start(&limits_h, NULL,
	    "limits: {max_args: 16, max_request_bytes: 64KiB}\n");
}

static void
limits_teardown(void)
{
	harness_stop(&limits_h);
}

#define PROTO_ERR(reason) "-ERR Protocol error: " reason "\r\n"

/* One malformed (or odd but valid) request and what it must get. */
struct limits_case {
	const char *name;
	const char *bytes;
	const char *want; /* exact bytes before close or before PONG */
	int closes;       /* 1: the daemon closes after want */
};

static const struct limits_case limits_cases[] = {
    {"empty lines are ignored", "\r\n\r\n\n*1\r\n$4\r\nPING\r\n", "+PONG\r\n",
        0},
    {"empty inline words are ignored", "   \r\nPING\r\n", "+PONG\r\n", 0},
    {"negative multibulk is ignored", "*-10\r\n*1\r\n$4\r\nPING\r\n",
        "+PONG\r\n", 0},
    {"zero multibulk is ignored", "*0\r\n*1\r\n$4\r\nPING\r\n", "+PONG\r\n", 0},
    {"max_args arguments are fine",
        "*16\r\n$3\r\ndel\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"
        "$1\r\ne\r\n$1\r\nf\r\n$1\r\ng\r\n$1\r\nh\r\n$1\r\ni\r\n$1\r\nj\r\n"
        "$1\r\nk\r\n$1\r\nl\r\n$1\r\nm\r\n$1\r\nn\r\n$1\r\no\r\n",
        ":0\r\n", 0},
    {"multibulk count over max_args", "*17\r\n",
        PROTO_ERR("invalid multibulk length"), 1},
    {"multibulk count over INT_MAX", "*99999999999\r\n",
        PROTO_ERR("invalid multibulk length"), 1},
    {"multibulk count not a number", "*abc\r\n",
        PROTO_ERR("invalid multibulk length"), 1},
    {"multibulk count with junk", "*1x\r\n",
        PROTO_ERR("invalid multibulk length"), 1},
    {"negative bulk length", "*1\r\n$-5\r\n", PROTO_ERR("invalid bulk length"),
        1},
    {"bulk length not a number", "*1\r\n$abc\r\n",
        PROTO_ERR("invalid bulk length"), 1},
    {"bulk length over max_request_bytes, no payload sent",
        "*2\r\n$4\r\nECHO\r\n$99999999\r\n", PROTO_ERR("invalid bulk length"),
        1},
    {"bulk length over INT64", "*1\r\n$99999999999999999999999\r\n",
        PROTO_ERR("invalid bulk length"), 1},
    {"missing $ header", "*1\r\nfoo\r\n", PROTO_ERR("expected '$', got 'f'"),
        1},
    {"multibulk followed by a non-bulk", "*2\r\n$4\r\nECHO\r\n:1\r\n",
        PROTO_ERR("expected '$', got ':'"), 1},
    {"inline words over max_args", "ECHO a b c d e f g h i j k l m n o p\r\n",
        PROTO_ERR("invalid multibulk length"), 1},
    {"unbalanced double quote", "ECHO \"abc\r\n",
        PROTO_ERR("unbalanced quotes in request"), 1},
    {"unbalanced single quote", "ECHO 'abc\r\n",
        PROTO_ERR("unbalanced quotes in request"), 1},
    {"closing quote followed by a letter", "ECHO \"a\"b\r\n",
        PROTO_ERR("unbalanced quotes in request"), 1},
};

/* Fails unless a new connection gets PONG, and old still answers. */
static void
limits_still_serving(int old)
{
	harness_roundtrip(limits_h.port, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n");
	harness_sends(old, "*2\r\n$4\r\nECHO\r\n$2\r\nok\r\n");
	harness_expects(old, "$2\r\nok\r\n");
}

START_TEST(test_limits_malformed)
{
	const struct limits_case *t = &limits_cases[_i];
	int fd, bystander;

	fprintf(stderr, "case: %s\n", t->name);
	bystander = harness_connect(limits_h.port);
	fd = harness_connect(limits_h.port);
	harness_sends(fd, t->bytes);
	if (t->closes) {
		harness_expect_close(fd, t->want);
	} else {
		harness_expects(fd, t->want);
		harness_sends(fd, "*1\r\n$4\r\nPING\r\n");
		harness_expects(fd, "+PONG\r\n");
	}
	close(fd);
	limits_still_serving(bystander);
	close(bystander);
}
END_TEST

START_TEST(test_limits_too_big_inline)
{
	size_t n = LIMITS_MAX_REQUEST + 1;
	char *line = malloc(n);
	int fd, bystander;

	ck_assert_ptr_nonnull(line);
	memset(line, 'a', n);
	bystander = harness_connect(limits_h.port);
	fd = harness_connect(limits_h.port);
	harness_send(fd, line, n);
	harness_expect_close(fd, PROTO_ERR("too big inline request"));
	close(fd);
	free(line);
	limits_still_serving(bystander);
	close(bystander);
}
END_TEST

START_TEST(test_limits_request_too_large)
{
	static const char head[] = "*3\r\n$3\r\nset\r\n$40000\r\n";
	static const char next[] = "\r\n$40000\r\n";
	size_t n = sizeof(head) - 1, len = n + 40000 + sizeof(next) - 1;
	char *req = malloc(len);
	int fd, bystander;

	/* Each bulk is within max_request_bytes, but not the two together:
	 * refused at the second header, before its payload. */
	ck_assert_ptr_nonnull(req);
	memcpy(req, head, n);
	memset(req + n, 'v', 40000);
	memcpy(req + n + 40000, next, sizeof(next) - 1);
	bystander = harness_connect(limits_h.port);
	fd = harness_connect(limits_h.port);
	harness_send(fd, req, len);
	harness_expect_close(fd, PROTO_ERR("request too large"));
	close(fd);
	free(req);
	limits_still_serving(bystander);
	close(bystander);
}
END_TEST

START_TEST(test_limits_split_request)
{
	static const char req[] = "*3\r\n$3\r\nadd\r\n$2\r\n40\r\n$1\r\n2\r\n"
	                          "PING\r\n";
	int fd = harness_connect(limits_h.port);
	size_t i;

	/* One byte per write: the parser resumes wherever a read ends. */
	for (i = 0; i < sizeof(req) - 1; i++)
		harness_send(fd, req + i, 1);
	harness_expects(fd, ":42\r\n+PONG\r\n");
	close(fd);
}
END_TEST

START_TEST(test_limits_disconnect_mid_request)
{
	static const char *const partial[] = {
	    "*3\r\n$3\r\nadd\r\n$1\r\n1",
	    "*3\r\n$3\r\nadd\r\n$1\r\n1\r\n",
	    "*2\r\n$4\r\nECHO\r\n$60000\r\nabc",
	    "*2\r\n$4\r\nEC",
	    "*2",
	    "ECHO \"unfinished",
	    "PING",
	};
	int bystander = harness_connect(limits_h.port), fd;
	size_t i;

	for (i = 0; i < sizeof(partial) / sizeof(partial[0]); i++) {
		fd = harness_connect(limits_h.port);
		harness_sends(fd, partial[i]);
		close(fd);
		limits_still_serving(bystander);
	}
	close(bystander);
}
END_TEST

/* The daemon with short timeouts and room for three clients. */
static void
limits_timeout_setup(void)
{
	harness_start(&limits_h, NULL,
	    "limits: {header_timeout: 200ms, idle_timeout: 2s, "
	    "max_connections: 3}\n");
}

START_TEST(test_limits_slow_sender_is_cut_off)
{
	int fd = harness_connect(limits_h.port);

	harness_sends(fd, "*2\r\n$4\r\nPING\r\n$2\r\nh");
	harness_expect_close(fd, "");
	close(fd);
}
END_TEST

START_TEST(test_limits_idle_client_is_closed)
{
	int fd = harness_connect(limits_h.port);

	harness_sends(fd, "PING\r\n");
	harness_expects(fd, "+PONG\r\n");
	harness_expect_close(fd, "");
	close(fd);
}
END_TEST

START_TEST(test_limits_max_connections)
{
	int a = harness_connect(limits_h.port), b, c, d;

	harness_wait_clients(a, 1);
	b = harness_connect(limits_h.port);
	harness_sends(b, "PING\r\n");
	harness_expects(b, "+PONG\r\n");
	c = harness_connect(limits_h.port);
	harness_sends(c, "PING\r\n");
	harness_expects(c, "+PONG\r\n");
	d = harness_connect(limits_h.port);
	harness_expect_close(d, "-ERR max number of clients reached\r\n");
	close(d);
	close(c);
	harness_wait_clients(a, 2);
	d = harness_connect(limits_h.port);
	harness_sends(d, "PING\r\n");
	harness_expects(d, "+PONG\r\n");
	close(d);
	close(b);
	close(a);
}
END_TEST

/* How many descriptors process pid has open. */
static int
limits_open_fds(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	ck_assert_ptr_nonnull(dir = opendir(path));
	while ((d = readdir(dir)) != NULL)
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

/*
 * Out of descriptors, the daemon's listener rests (a warning each 100
 * ms, not a loop spinning on accept) and the clients it has are served;
 * with descriptors again it takes the ones that waited.
 */
START_TEST(test_limits_out_of_descriptors)
{
	struct rlimit was, low;
	int first, fds[32], i;

	ck_assert_int_eq(prlimit(limits_h.pid, RLIMIT_NOFILE, NULL, &was), 0);
	first = harness_connect(limits_h.port);
	harness_roundtrip(limits_h.port, "PING\r\n", "+PONG\r\n");
	/* The soft limit only: raising a hard one back needs privilege. */
	low.rlim_cur = (rlim_t)limits_open_fds(limits_h.pid);
	low.rlim_max = was.rlim_max;
	ck_assert_int_eq(prlimit(limits_h.pid, RLIMIT_NOFILE, &low, NULL), 0);
	for (i = 0; i < 32; i++)
		fds[i] = harness_connect(limits_h.port);
	harness_wait_log(&limits_h, "Too many open files; it rests 100 ms");
	harness_sends(first, "PING\r\n");
	harness_expects(first, "+PONG\r\n");
	ck_assert_int_eq(prlimit(limits_h.pid, RLIMIT_NOFILE, &was, NULL), 0);
	for (i = 0; i < 32; i++) {
		harness_sends(fds[i], "PING\r\n");
		harness_expects(fds[i], "+PONG\r\n");
		close(fds[i]);
	}
	close(first);
}
END_TEST

/* The daemon with a 1 MiB output limit per client. */
static void
limits_output_setup(void)
{
	harness_start(&limits_h, NULL, "limits: {max_output_bytes: 1MiB}\n");
}

#define FLOOD_COMMANDS 100000
#define FLOOD_BATCH    100
#define FLOOD_VALUE    1024
#define FLOOD_MAX_KB   (100 * 1024) /* allowed RSS growth */

/* FLOOD_BATCH commands ECHO <1 KiB>, as one buffer. */
static char *
limits_flood_batch(size_t *len)
{
	char head[32], *buf, *p;
	size_t hlen, one;
	int i;

	hlen = (size_t)snprintf(
	    head, sizeof(head), "*2\r\n$4\r\nECHO\r\n$%d\r\n", FLOOD_VALUE);
	one = hlen + FLOOD_VALUE + 2;
	*len = one * FLOOD_BATCH;
	buf = p = malloc(*len);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < FLOOD_BATCH; i++, p += one) {
		memcpy(p, head, hlen);
		memset(p + hlen, 'x', FLOOD_VALUE);
		memcpy(p + hlen + FLOOD_VALUE, "\r\n", 2);
	}
	return buf;
}

/*
 * Writes as much of the batch as the socket takes.  Returns the bytes
 * written, 0 if none could be for a while, or -1 once the daemon dropped
 * the connection.
 */
static ssize_t
limits_flood_write(int fd, const char *p, size_t len)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT | POLLRDHUP};
	ssize_t w;

	if (poll(&pfd, 1, 200) == 0)
		return 0;
	if (pfd.revents & (POLLERR | POLLHUP | POLLRDHUP))
		return -1;
	w = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (w == -1) {
		ck_assert_msg(errno == EPIPE || errno == ECONNRESET, "send: %s",
		    strerror(errno));
		return -1;
	}
	return w;
}

/*
 * After the whole flood was written without an error: reads what the
 * daemon sends, which must end (closed) before every reply came.
 */
static void
limits_flood_expect_truncated(int fd, size_t replylen)
{
	size_t got = 0, len;
	char *buf;
	int closed = 0;

	while (!closed && got <= replylen * FLOOD_COMMANDS) {
		buf = harness_read_all(fd, HARNESS_TIMEOUT_MS, &len, &closed);
		free(buf);
		ck_assert_msg(len > 0 || closed,
		    "the non-reading client was not dropped");
		got += len;
	}
	ck_assert_msg(got < replylen * FLOOD_COMMANDS,
	    "all %zu reply bytes came: the client was never dropped", got);
}

START_TEST(test_limits_client_never_reads)
{
	size_t len, off = 0, replylen;
	long base, rss, maxrss;
	int fd, other, batches = 0, dropped = 0, stalls = 0;
	char *batch;
	ssize_t w;

	replylen =
	    (size_t)snprintf(NULL, 0, "$%d\r\n", FLOOD_VALUE) + FLOOD_VALUE + 2;
	batch = limits_flood_batch(&len);
	other = harness_connect(limits_h.port);
	fd = harness_connect(limits_h.port);
	base = maxrss = harness_rss_kb(&limits_h);
	while (!dropped && batches < FLOOD_COMMANDS / FLOOD_BATCH) {
		w = limits_flood_write(fd, batch + off, len - off);
		if (w == -1) {
			dropped = 1;
			continue;
		}
		if (w > 0 && (off += (size_t)w) < len)
			continue;
		if (w > 0) {
			off = 0;
			batches++;
		} else {
			ck_assert_msg(++stalls < 150,
			    "the daemon stopped reading but kept the client");
		}
		if (w == 0 || batches % 50 == 0)
			limits_still_serving(other);
		rss = harness_rss_kb(&limits_h);
		maxrss = rss > maxrss ? rss : maxrss;
	}
	fprintf(stderr, "flood: %s after %d of %d batches, RSS %ld -> %ld kB\n",
	    dropped ? "dropped" : "all sent", batches,
	    FLOOD_COMMANDS / FLOOD_BATCH, base, maxrss);
	if (!dropped)
		limits_flood_expect_truncated(fd, replylen);
	close(fd);
	free(batch);
	limits_still_serving(other);
	close(other);
	ck_assert_msg(maxrss - base < FLOOD_MAX_KB,
	    "RSS grew from %ld kB to %ld kB", base, maxrss);
}
END_TEST

START_TEST(test_limits_half_close_gets_whole_reply)
{
	const size_t n = 900000;
	char head[64], *value = malloc(n), *got;
	size_t len, hlen;
	int fd = harness_connect(limits_h.port), closed;

	ck_assert_ptr_nonnull(value);
	memset(value, 'x', n);
	hlen = (size_t)snprintf(
	    head, sizeof(head), "*3\r\n$3\r\nset\r\n$3\r\nbig\r\n$%zu\r\n", n);
	harness_send(fd, head, hlen);
	harness_send(fd, value, n);
	harness_sends(fd, "\r\n");
	harness_expects(fd, "+OK\r\n");
	close(fd);
	/* Ask, then close the sending side at once: the reply still comes. */
	fd = harness_connect(limits_h.port);
	harness_sends(fd, "GET big\r\n");
	shutdown(fd, SHUT_WR);
	got = harness_read_all(fd, HARNESS_TIMEOUT_MS, &len, &closed);
	hlen = (size_t)snprintf(head, sizeof(head), "$%zu\r\n", n);
	ck_assert_uint_eq(len, hlen + n + 2);
	ck_assert_int_eq(memcmp(got, head, hlen), 0);
	ck_assert_int_eq(memcmp(got + hlen, value, n), 0);
	ck_assert(closed);
	free(got);
	free(value);
	close(fd);
}
END_TEST

static Suite *
limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc;

	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, limits_setup, limits_teardown);
	tcase_add_loop_test(tc, test_limits_malformed, 0,
	    (int)(sizeof(limits_cases) / sizeof(limits_cases[0])));
	tcase_add_test(tc, test_limits_too_big_inline);
	tcase_add_test(tc, test_limits_request_too_large);
	tcase_add_test(tc, test_limits_split_request);
	tcase_add_test(tc, test_limits_disconnect_mid_request);
	tcase_add_test(tc, test_limits_out_of_descriptors);
	suite_add_tcase(s, tc);

	tc = tcase_create("timeouts");
	tcase_add_checked_fixture(tc, limits_timeout_setup, limits_teardown);
	tcase_add_test(tc, test_limits_slow_sender_is_cut_off);
	tcase_add_test(tc, test_limits_idle_client_is_closed);
	tcase_add_test(tc, test_limits_max_connections);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_add_checked_fixture(tc, limits_output_setup, limits_teardown);
	tcase_add_test(tc, test_limits_client_never_reads);
	tcase_add_test(tc, test_limits_half_close_gets_whole_reply);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(limits_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
