/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of calls that are not answered on the event loop:
 * BLOCKING handlers on the blocking pool (demo's `sleep`, the defer
 * plugin's `defer.block`) and deferred calls answered by plugin threads
 * (tests/plugins/defer.c).  The one loop of `workers: 1` answers 100
 * connections' PINGs within 50 ms while a call sleeps two seconds; replies
 * keep request order on a pipelined connection whichever call ends first;
 * clients that leave while their call runs or waits do no harm (the stop
 * must still exit 0, so ASan finds no leak); a second duet_finish() is
 * logged as an error and ignored; the pool runs calls in parallel and
 * refuses those beyond limits.max_pending_blocking with BUSY; kv's incr
 * stays atomic for 8 clients on 2 workers.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <hiredis/hiredis.h>

#include "harness.h"

#define OK200   "HTTP/1.1 200 OK"
#define ERR500  "HTTP/1.1 500 Internal Server Error"
#define JSON_CT "Content-Type: application/json\r\n"
#define MS_ERR  "ms must be between 0 and 3600000"
#define BUSY_MSG                                                               \
	"too many blocking calls waiting (limits.max_pending_blocking is 1)"

static struct harness blocking_h;

/* Starts duetd with the bundled plugins, the defer plugin and extra. */
static void
blocking_start(const char *extra)
{
	harness_start_with(&blocking_h, "defer.so", extra);
}

/* One event loop, so every connection shares the loop under test. */
static void
blocking_setup(void)
{
	blocking_start("workers: 1\nblocking_threads: 4\n");
}

/* One pool thread and room for one waiting call. */
static void
blocking_busy_setup(void)
{
	blocking_start("workers: 1\nblocking_threads: 1\n"
	               "limits: {max_pending_blocking: 1}\n");
}

/* Two loops for the concurrent kv clients. */
static void
blocking_incr_setup(void)
{
	blocking_start("workers: 2\n");
}

static void
blocking_teardown(void)
{
	harness_stop(&blocking_h);
}

/* Sends req on fd and expects exactly want. */
static void
blocking_call(int fd, const char *req, const char *want)
{
	harness_sends(fd, req);
	harness_expects(fd, want);
}

/* Monotonic time in microseconds. */
static long long
blocking_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Expects r to be 200 with the JSON body json. */
static void
blocking_expect_json(
    const struct harness_http *r, const char *line, const char *json)
{
	char hdrs[256];

	snprintf(hdrs, sizeof(hdrs), JSON_CT "Content-Length: %zu\r\n",
	    strlen(json));
	harness_http_expects(r, line, hdrs, json);
}

/* Sends POST /sleep with the argument ms (sleep is not READONLY). */
static void
blocking_post_sleep(int fd, const char *ms)
{
	char req[256];

	snprintf(req, sizeof(req),
	    "POST /sleep HTTP/1.1\r\nHost: 127.0.0.1\r\n" JSON_CT
	    "Content-Length: %zu\r\n\r\n[%s]",
	    strlen(ms) + 2, ms);
	harness_sends(fd, req);
}

/*
 * A loop held by the 2000 ms sleep would answer a PING after about 2 s;
 * one that is free answers 100 at once in a few ms, but a sanitizer
 * build sharing 2 cores with other tests has taken 60 ms.  500 ms tells
 * the two apart without timing the machine.
 */
#define PINGERS     100
#define PING_MAX_US (500 * 1000)

/*
 * Sends PING on each of the n connections at once, then reads every
 * +PONG, timing each from its own send.  Fails if one takes longer than
 * max_us (0: no limit).  Returns the slowest round trip in microseconds.
 */
static long long
blocking_ping_round(const int *fds, int n, long long max_us, int round)
{
	long long sent[PINGERS], deadline, rtt, worst = 0;
	struct pollfd pfd[PINGERS];
	char buf[PINGERS][8];
	size_t got[PINGERS];
	int i, pending = n;
	ssize_t r;

	for (i = 0; i < n; i++) {
		sent[i] = blocking_now_us();
		harness_sends(fds[i], "PING\r\n");
		pfd[i].fd = fds[i];
		pfd[i].events = POLLIN;
		got[i] = 0;
	}
	deadline = blocking_now_us() + HARNESS_TIMEOUT_MS * 1000LL;
	while (pending > 0) {
		ck_assert_msg(poll(pfd, (nfds_t)n, 100) >= 0, "poll failed");
		ck_assert_msg(blocking_now_us() < deadline,
		    "round %d: %d PINGs unanswered", round, pending);
		for (i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			r = read(fds[i], buf[i] + got[i], 7 - got[i]);
			ck_assert_msg(
			    r > 0, "round %d: connection %d closed", round, i);
			if ((got[i] += (size_t)r) < 7)
				continue;
			rtt = blocking_now_us() - sent[i];
			ck_assert_msg(memcmp(buf[i], "+PONG\r\n", 7) == 0,
			    "round %d: connection %d: not +PONG", round, i);
			ck_assert_msg(max_us == 0 || rtt <= max_us,
			    "round %d: PING on connection %d took %lld us",
			    round, i, rtt);
			worst = rtt > worst ? rtt : worst;
			pfd[i].fd = -1;
			pending--;
		}
	}
	return worst;
}

START_TEST(test_blocking_loop_answers_during_sleep)
{
	struct pollfd pfd = {.events = POLLIN};
	long long t0, worst = 0, w, took;
	int fds[PINGERS], i, rounds = 0;

	for (i = 0; i < PINGERS; i++)
		fds[i] = harness_connect(blocking_h.port);
	/* Untimed: every connection is accepted and has answered once. */
	blocking_ping_round(fds, PINGERS, 0, 0);
	pfd.fd = harness_connect(blocking_h.port);
	t0 = blocking_now_us();
	harness_sends(pfd.fd, "sleep 2000\r\n");
	/* Rounds of 100 PINGs until the sleep answers, 20 ms apart. */
	do {
		w = blocking_ping_round(fds, PINGERS, PING_MAX_US, ++rounds);
		worst = w > worst ? w : worst;
		ck_assert_msg(
		    blocking_now_us() - t0 < HARNESS_TIMEOUT_MS * 1000LL,
		    "sleep 2000 never answered");
	} while (poll(&pfd, 1, 20) == 0);
	harness_expects(pfd.fd, ":2000\r\n");
	took = blocking_now_us() - t0;
	fprintf(stderr,
	    "%d rounds of %d PINGs, slowest %lld us; sleep %lld ms\n", rounds,
	    PINGERS, worst, took / 1000);
	ck_assert_msg(took >= 2000 * 1000LL, "sleep 2000 took %lld us", took);
	close(pfd.fd);
	for (i = 0; i < PINGERS; i++)
		close(fds[i]);
}
END_TEST

START_TEST(test_blocking_client_leaves_during_call)
{
	int other = harness_connect(blocking_h.port), fd;

	/* Gone at once: the call may still be read, run and answered. */
	fd = harness_connect(blocking_h.port);
	harness_sends(fd, "sleep 500\r\n");
	close(fd);
	/* Gone with replies queued behind a running call. */
	fd = harness_connect(blocking_h.port);
	harness_sends(fd, "sleep 200\r\nPING\r\nsleep 100\r\nadd 1 2\r\n");
	close(fd);
	blocking_call(other, "PING\r\n", "+PONG\r\n");
	/* Surely running on the pool when the client leaves. */
	fd = harness_connect(blocking_h.port);
	harness_sends(fd, "defer.block 300\r\n");
	harness_wait_log(&blocking_h, "defer.block 300 started");
	close(fd);
	harness_wait_log(&blocking_h, "defer.block 300 finished");
	blocking_call(other, "PING\r\n", "+PONG\r\n");
	/* By now the 500 ms call has ended too; the pool still works. */
	blocking_call(other, "sleep 600\r\n", ":600\r\n");
	blocking_call(other, "sleep 1\r\n", ":1\r\n");
	close(other);
}
END_TEST

/* Sends req on a new connection, waits for the log line, leaves. */
static void
blocking_leave_after(const char *req, const char *logged)
{
	int fd = harness_connect(blocking_h.port);

	harness_sends(fd, req);
	if (logged != NULL)
		harness_wait_log(&blocking_h, logged);
	close(fd);
}

START_TEST(test_blocking_client_leaves_during_deferred_call)
{
	int other = harness_connect(blocking_h.port);

	/* Gone at once: the call may or may not be read and run. */
	blocking_leave_after("defer.later 300\r\nPING\r\n", NULL);
	blocking_leave_after(
	    "GET /defer.later/301 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", NULL);
	/* Gone while the call is surely deferred. */
	blocking_leave_after(
	    "defer.later 200\r\nPING\r\n", "defer.later 200 deferred");
	blocking_leave_after(
	    "GET /defer.later/201 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
	    "defer.later 201 deferred");
	blocking_call(other, "PING\r\n", "+PONG\r\n");
	harness_wait_log(&blocking_h, "defer.later 200 finished");
	harness_wait_log(&blocking_h, "defer.later 201 finished");
	blocking_call(other, "PING\r\n", "+PONG\r\n");
	blocking_call(other, "defer.later 1\r\n", ":1\r\n");
	close(other);
}
END_TEST

/* Fails unless the log has a line at error level containing text. */
static void
blocking_expect_error_line(const char *text)
{
	char *log = harness_log(&blocking_h), *line, *save = NULL;
	int found = 0;

	for (line = strtok_r(log, "\n", &save); line != NULL && !found;
	     line = strtok_r(NULL, "\n", &save))
		found = strstr(line, text) != NULL &&
		    (strncmp(line, "error: ", 7) == 0 ||
		        strstr(line, "Z error: ") ==
		            line + 23); /* after the time */
	free(log);
	ck_assert_msg(found, "no error line with '%s' in the log", text);
}

START_TEST(test_blocking_finish_twice)
{
	int fd = harness_connect(blocking_h.port);

	blocking_call(fd, "defer.twice\r\n", ":1\r\n");
	harness_wait_log(&blocking_h, "finish called twice");
	blocking_expect_error_line("finish called twice");
	/* Exactly PONG next: the second finish sent nothing. */
	blocking_call(fd, "PING\r\n", "+PONG\r\n");
	blocking_call(fd, "defer.twice\r\nPING\r\n", ":1\r\n+PONG\r\n");
	blocking_call(fd, "defer.later 5\r\n", ":5\r\n");
	close(fd);
	harness_roundtrip(blocking_h.port, "PING\r\n", "+PONG\r\n");
}
END_TEST

/*
 * A deferred call's string argument outlives the request it came in (the
 * daemon binds it in place, pointing into the request, and copies it
 * when the handler defers): the thread reads it after later requests
 * have replaced the input.
 */
START_TEST(test_blocking_deferred_argument_outlives_request)
{
	int fd = harness_connect(blocking_h.port);

	blocking_call(fd,
	    "*2\r\n$10\r\ndefer.echo\r\n$5\r\nhello\r\n"
	    "*3\r\n$3\r\nset\r\n$1\r\nk\r\n$5\r\nXXXXX\r\n"
	    "*2\r\n$10\r\ndefer.echo\r\n$6\r\nw\xc3\xb6rld\r\n",
	    "$5\r\nhello\r\n+OK\r\n$6\r\nw\xc3\xb6rld\r\n");
	blocking_call(fd, "defer.echo \"\\xff\"\r\n",
	    "-ERR invalid argument 's' for 'defer.echo': expected str\r\n");
	close(fd);
}
END_TEST

START_TEST(test_blocking_pipeline_order)
{
	int fd = harness_connect(blocking_h.port);

	blocking_call(fd, "defer.later 200\r\nPING\r\n", ":200\r\n+PONG\r\n");
	blocking_call(fd, "sleep 300\r\nPING\r\n", ":300\r\n+PONG\r\n");
	/* Later calls end first; the replies still leave in order. */
	blocking_call(fd,
	    "defer.later 300\r\ndefer.later 10\r\nsleep 100\r\nsleep 0\r\n"
	    "PING\r\nadd 1 2\r\ndefer.later 0\r\n",
	    ":300\r\n:10\r\n:100\r\n:0\r\n+PONG\r\n:3\r\n:0\r\n");
	blocking_call(fd,
	    "*2\r\n$11\r\ndefer.later\r\n$3\r\n100\r\n*1\r\n$4\r\nPING\r\n",
	    ":100\r\n+PONG\r\n");
	close(fd);
}
END_TEST

START_TEST(test_blocking_http_pipeline_order)
{
	static const char req[] =
	    "GET /defer.later/200 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
	    "POST /sleep HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/json\r\nContent-Length: 5\r\n\r\n[100]"
	    "POST /sleep HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/json\r\nContent-Length: 4\r\n\r\n[50]"
	    "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	static const char *const want[] = {"200", "100", "50", "\"PONG\""};
	struct harness_http r;
	size_t i;
	int fd = harness_connect(blocking_h.port);

	harness_sends(fd, req);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		harness_http_read(&r, fd, 0);
		blocking_expect_json(&r, OK200, want[i]);
		harness_http_free(&r);
	}
	close(fd);
}
END_TEST

START_TEST(test_blocking_bad_arguments)
{
	static const char ms_err[] = "-ERR " MS_ERR "\r\n";
	struct harness_http r;
	int fd = harness_connect(blocking_h.port);

	blocking_call(fd, "sleep -1\r\n", ms_err);
	blocking_call(fd, "sleep 3600001\r\n", ms_err);
	blocking_call(fd, "sleep abc\r\n",
	    "-ERR invalid argument 'ms' for 'sleep': expected int\r\n");
	blocking_call(fd, "defer.later -5\r\n", ms_err);
	blocking_call(fd, "defer.block -5\r\n", ms_err);
	blocking_call(fd, "PING\r\n", "+PONG\r\n");
	close(fd);
	fd = harness_connect(blocking_h.port);
	blocking_post_sleep(fd, "-1");
	harness_http_read(&r, fd, 0);
	blocking_expect_json(&r, ERR500,
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"" MS_ERR "\"}}");
	harness_http_free(&r);
	close(fd);
}
END_TEST

/*
 * sleep is BLOCKING, so it is not READONLY: a GET (a link, a prefetch)
 * is refused at once and takes no pool thread.
 */
START_TEST(test_blocking_sleep_needs_post)
{
	static const char body[] =
	    "{\"error\":{\"code\":\"ERR\",\"message\":"
	    "\"'sleep' changes state: call it with POST\"}}";
	char hdrs[256];
	struct harness_http r;
	int fd = harness_connect(blocking_h.port);

	harness_sends(
	    fd, "GET /sleep/60000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	harness_http_read(&r, fd, 0);
	snprintf(hdrs, sizeof(hdrs),
	    "Allow: POST\r\n" JSON_CT "Content-Length: %zu\r\n",
	    sizeof(body) - 1);
	harness_http_expects(&r, "HTTP/1.1 405 Method Not Allowed", hdrs, body);
	harness_http_free(&r);
	blocking_post_sleep(fd, "0");
	harness_http_read(&r, fd, 0);
	blocking_expect_json(&r, OK200, "0");
	harness_http_free(&r);
	close(fd);
}
END_TEST

#define PARALLEL 4

START_TEST(test_blocking_pool_runs_in_parallel)
{
	long long t0, took;
	int fds[PARALLEL], i;

	for (i = 0; i < PARALLEL; i++)
		fds[i] = harness_connect(blocking_h.port);
	t0 = blocking_now_us();
	for (i = 0; i < PARALLEL; i++)
		harness_sends(fds[i], "sleep 500\r\n");
	for (i = 0; i < PARALLEL; i++) {
		harness_expects(fds[i], ":500\r\n");
		close(fds[i]);
	}
	took = (blocking_now_us() - t0) / 1000;
	/* Four threads: about 500 ms; two or fewer would take 1000. */
	ck_assert_msg(took >= 500 && took < 950,
	    "%d sleeps of 500 ms on %d threads took %lld ms", PARALLEL,
	    PARALLEL, took);
}
END_TEST

START_TEST(test_blocking_busy)
{
	static const char busy[] = "-BUSY " BUSY_MSG "\r\n";
	int a, b, c, d = harness_connect(blocking_h.port);
	struct harness_http r;

	/* a runs on the one pool thread ... */
	a = harness_connect(blocking_h.port);
	harness_sends(a, "defer.block 1000\r\n");
	harness_wait_log(&blocking_h, "defer.block 1000 started");
	/* ... b waits: the queue is full.  c's PING comes after b's sleep
	 * was read, since the loop is one and b sent first. */
	b = harness_connect(blocking_h.port);
	harness_sends(b, "sleep 1000\r\n");
	c = harness_connect(blocking_h.port);
	blocking_call(c, "PING\r\n", "+PONG\r\n");
	blocking_call(c, "sleep 1000\r\nPING\r\n",
	    "-BUSY " BUSY_MSG "\r\n"
	    "+PONG\r\n");
	blocking_call(c, "defer.block 5\r\n", busy);
	/* Deferred calls are not the pool's: they still run. */
	blocking_call(c, "defer.later 10\r\n", ":10\r\n");
	blocking_post_sleep(d, "10");
	harness_http_read(&r, d, 0);
	harness_http_expects(&r, "HTTP/1.1 503 Service Unavailable", NULL,
	    "{\"error\":{\"code\":\"BUSY\",\"message\":\"" BUSY_MSG "\"}}");
	ck_assert_str_eq(
	    harness_http_header(&r, "Content-Type"), "application/json");
	harness_http_free(&r);
	harness_expects(a, ":1000\r\n");
	harness_expects(b, ":1000\r\n");
	/* The queue is empty again. */
	blocking_call(c, "sleep 0\r\n", ":0\r\n");
	close(a);
	close(b);
	close(c);
	close(d);
}
END_TEST

#define INCR_CLIENTS 8
#define INCR_EACH    10000
#define INCR_BATCH   100

struct blocking_incr {
	pthread_t thread;
	int port;
	long long *values; /* owned: the INCR_EACH replies in order */
	const char *fail;  /* NULL, or what went wrong */
};

/* Pipelines INCR_BATCH commands, then reads their replies. */
static void
blocking_incr_batch(redisContext *c, struct blocking_incr *bi, int *k)
{
	redisReply *r;
	void *reply;
	int i;

	for (i = 0; i < INCR_BATCH; i++)
		redisAppendCommand(c, "INCR c");
	for (i = 0; i < INCR_BATCH && bi->fail == NULL; i++) {
		if (redisGetReply(c, &reply) != REDIS_OK) {
			bi->fail = "no reply";
			return;
		}
		r = reply;
		if (r->type == REDIS_REPLY_INTEGER)
			bi->values[(*k)++] = r->integer;
		else
			bi->fail = "INCR did not answer an integer";
		freeReplyObject(r);
	}
}

/* One client: INCR_EACH incr of the shared key c. */
static void *
blocking_incr_client(void *arg)
{
	struct blocking_incr *bi = arg;
	redisContext *c = redisConnect("127.0.0.1", bi->port);
	int k = 0;

	if (c == NULL || c->err != 0)
		bi->fail = "connect failed";
	while (bi->fail == NULL && k < INCR_EACH)
		blocking_incr_batch(c, bi, &k);
	redisFree(c);
	return NULL;
}

START_TEST(test_blocking_concurrent_incr)
{
	struct blocking_incr bi[INCR_CLIENTS];
	char *seen = calloc(INCR_CLIENTS * INCR_EACH + 1, 1);
	long long v;
	int i, k, fd;

	ck_assert_ptr_nonnull(seen);
	for (i = 0; i < INCR_CLIENTS; i++) {
		bi[i].port = blocking_h.port;
		bi[i].fail = NULL;
		bi[i].values = calloc(INCR_EACH, sizeof(long long));
		ck_assert_ptr_nonnull(bi[i].values);
		ck_assert_int_eq(pthread_create(&bi[i].thread, NULL,
		                     blocking_incr_client, &bi[i]),
		    0);
	}
	for (i = 0; i < INCR_CLIENTS; i++)
		ck_assert_int_eq(pthread_join(bi[i].thread, NULL), 0);
	/* Every value 1..80000 came back exactly once. */
	for (i = 0; i < INCR_CLIENTS; i++) {
		ck_assert_msg(
		    bi[i].fail == NULL, "client %d: %s", i, bi[i].fail);
		for (k = 0; k < INCR_EACH; k++) {
			v = bi[i].values[k];
			ck_assert_msg(
			    v >= 1 && v <= INCR_CLIENTS * INCR_EACH && !seen[v],
			    "client %d got %lld twice or out of range", i, v);
			seen[v] = 1;
		}
		free(bi[i].values);
	}
	free(seen);
	fd = harness_connect(blocking_h.port);
	blocking_call(fd, "GET c\r\n", "$5\r\n80000\r\n");
	close(fd);
}
END_TEST

static Suite *
blocking_suite(void)
{
	Suite *s = suite_create("blocking");
	TCase *tc;

	tc = tcase_create("pool");
	tcase_add_checked_fixture(tc, blocking_setup, blocking_teardown);
	tcase_add_test(tc, test_blocking_loop_answers_during_sleep);
	tcase_add_test(tc, test_blocking_client_leaves_during_call);
	tcase_add_test(tc, test_blocking_client_leaves_during_deferred_call);
	tcase_add_test(tc, test_blocking_finish_twice);
	tcase_add_test(tc, test_blocking_deferred_argument_outlives_request);
	tcase_add_test(tc, test_blocking_pipeline_order);
	tcase_add_test(tc, test_blocking_http_pipeline_order);
	tcase_add_test(tc, test_blocking_bad_arguments);
	tcase_add_test(tc, test_blocking_sleep_needs_post);
	tcase_add_test(tc, test_blocking_pool_runs_in_parallel);
	suite_add_tcase(s, tc);

	tc = tcase_create("busy");
	tcase_add_checked_fixture(tc, blocking_busy_setup, blocking_teardown);
	tcase_add_test(tc, test_blocking_busy);
	suite_add_tcase(s, tc);

	tc = tcase_create("incr");
	tcase_add_checked_fixture(tc, blocking_incr_setup, blocking_teardown);
	tcase_add_test(tc, test_blocking_concurrent_incr);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(blocking_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
