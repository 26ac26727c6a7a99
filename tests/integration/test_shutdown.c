/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of the graceful shutdown on SIGTERM: idle clients are
 * closed, a request already begun is answered, a new request on an open
 * connection is refused, a second signal or limits.shutdown_timeout ends
 * the wait, and the exit status is 0 every time.
 */
#include "autoconf.h"

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

static struct harness shut_h;

static void
shut_setup(void)
{
	/* One worker: its drain reaches every connection at once. */
	harness_start(&shut_h, NULL,
	    "workers: 1\nlimits: {shutdown_timeout: 500ms}\n");
}

/* Waits up to ms for the daemon to exit; returns its wait status. */
static int
shut_wait(int ms)
{
	struct timespec pause = {0, 5 * 1000 * 1000};
	int status, i;

	for (i = 0; i < ms / 5; i++) {
		if (waitpid(shut_h.pid, &status, WNOHANG) == shut_h.pid) {
			shut_h.pid = 0;
			return status;
		}
		nanosleep(&pause, NULL);
	}
	ck_abort_msg("duetd still running %d ms after SIGTERM", ms);
	return -1;
}

/* Fails unless the daemon exited 0; cleans its folder. */
static void
shut_exited_zero(int status)
{
	char *log = harness_log(&shut_h);

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status 0x%x, log:\n%s", status, log);
	free(log);
	harness_rmdir(shut_h.dir);
}

START_TEST(test_shutdown_answers_begun_requests)
{
	int idle = harness_connect(shut_h.port);
	int begun = harness_connect(shut_h.port);
	int http = harness_connect(shut_h.port);
	size_t len;

	/*
	 * Each connection sends a whole request and the start of another in
	 * one write: the first reply shows the daemon has read both.
	 */
	harness_sends(idle, "PING\r\n");
	harness_expects(idle, "+PONG\r\n");
	harness_sends(begun, "PING\r\n*3\r\n$3\r\nadd\r\n$1\r\n1\r\n");
	harness_expects(begun, "+PONG\r\n");
	harness_sends(http, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
			    "POST /add HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			    "Content-Type: application/json\r\n"
			    "Content-Length: 5\r\n\r\n[1,");
	free(harness_read_until(http, "\"PONG\"", &len));
	ck_assert_int_eq(kill(shut_h.pid, SIGTERM), 0);
	harness_expect_close(idle, "");
	harness_sends(begun, "$1\r\n2\r\nPING\r\n");
	harness_expect_close(begun, ":3\r\n");
	harness_sends(http, "2]");
	free(harness_read_until(http, "\r\n\r\n3", &len));
	close(idle);
	close(begun);
	close(http);
	shut_exited_zero(shut_wait(5000));
}
END_TEST

START_TEST(test_shutdown_timeout_ends_the_wait)
{
	int slow = harness_connect(shut_h.port);

	harness_sends(slow, "PING\r\n*2\r\n$4\r\nECHO\r\n");
	harness_expects(slow, "+PONG\r\n");
	ck_assert_int_eq(kill(shut_h.pid, SIGTERM), 0);
	/* The request never completes: shutdown_timeout (500 ms) ends it. */
	shut_exited_zero(shut_wait(5000));
	harness_expect_close(slow, "");
	close(slow);
}
END_TEST

START_TEST(test_shutdown_second_signal_stops_at_once)
{
	int slow = harness_connect(shut_h.port);

	harness_sends(slow, "PING\r\n*2\r\n$4\r\nECHO\r\n");
	harness_expects(slow, "+PONG\r\n");
	ck_assert_int_eq(kill(shut_h.pid, SIGTERM), 0);
	harness_wait_log(&shut_h, "shutting down");
	ck_assert_int_eq(kill(shut_h.pid, SIGTERM), 0);
	shut_exited_zero(shut_wait(400));
	close(slow);
}
END_TEST

static Suite *
shutdown_suite(void)
{
	Suite *s = suite_create("shutdown");
	TCase *tc = tcase_create("sigterm");

	tcase_add_checked_fixture(tc, shut_setup, NULL);
	tcase_add_test(tc, test_shutdown_answers_begun_requests);
	tcase_add_test(tc, test_shutdown_timeout_ends_the_wait);
	tcase_add_test(tc, test_shutdown_second_signal_stops_at_once);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(shutdown_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
