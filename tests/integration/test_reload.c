/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of SIGHUP reloads: a plugin file replaced on disk runs
 * its new code, every plugin of the directory reloads (not only the first),
 * plugin state is the new generation's own, and a bad config or plugin
 * leaves the running generation serving.
 */
#include "autoconf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

static struct harness reload_h;
static char reload_dir[64];

/* Copies a built plugin into the test's plugin folder as name. */
static void
reload_install(const char *from_env, const char *file, const char *name)
{
	struct harness_out o;
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cp '%s/%s' '%s/%s.tmp' && mv -f '%s/%s.tmp' "
				   "'%s/%s'",
	    harness_env(from_env), file, reload_dir, name, reload_dir, name,
	    reload_dir, name);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_int_eq(o.status, 0);
	harness_out_free(&o);
}

static void
reload_setup(void)
{
	harness_tmpdir(reload_dir, sizeof(reload_dir));
	reload_install("DUET_PLUGIN_DIR", "math.so", "math.so");
	reload_install("DUET_PLUGIN_DIR", "kv.so", "kv.so");
	reload_install("DUET_PLUGIN_DIR", "demo.so", "demo.so");
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

/* Waits until the daemon's log holds text. */
static void
reload_wait_log(const char *text)
{
	struct timespec pause = {0, 5 * 1000 * 1000};
	char *log;
	int tries;

	for (tries = 0; tries < 2000; tries++) {
		log = harness_log(&reload_h);
		if (strstr(log, text) != NULL) {
			free(log);
			return;
		}
		free(log);
		nanosleep(&pause, NULL);
	}
	ck_abort_msg("the log never said '%s'", text);
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
		reload_wait_log(line);
	}
	reload_wait_for("add 1 2\r\n", ":3\r\n");
	reload_wait_for("reflect [1]\r\n", "*1\r\n:1\r\n");
}
END_TEST

START_TEST(test_reload_plugin_state_is_per_generation)
{
	reload_expect("set k 1\r\n", "+OK\r\n");
	kill(reload_h.pid, SIGHUP);
	reload_wait_log("registry generation 2\n");
	/* The new generation's kv starts empty and counts on its own. */
	reload_wait_for("exists k\r\n", ":0\r\n");
	reload_expect("incr n\r\n", ":1\r\n");
	reload_expect("incr n\r\n", ":2\r\n");
}
END_TEST

START_TEST(test_reload_bad_config_keeps_serving)
{
	size_t len;
	char *conf = harness_read_file(reload_h.conf, &len);

	harness_write_file(reload_h.conf, "listen: [\n");
	kill(reload_h.pid, SIGHUP);
	reload_wait_log("reload failed");
	reload_expect("add 1 2\r\n", ":3\r\n");
	harness_write_file(reload_h.conf, conf);
	free(conf);
	/* A plugin that fails to load: the old generation serves on. */
	reload_install("DUET_TEST_PLUGIN_DIR", "clash.so", "clash.so");
	kill(reload_h.pid, SIGHUP);
	reload_wait_log("is already declared by plugin");
	reload_expect("swap.which\r\n", "$1\r\nA\r\n");
}
END_TEST

static Suite *
reload_suite(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("sighup");

	tcase_add_checked_fixture(tc, reload_setup, reload_teardown);
	tcase_add_test(tc, test_reload_replaced_plugin_runs_new_code);
	tcase_add_test(tc, test_reload_plugin_state_is_per_generation);
	tcase_add_test(tc, test_reload_bad_config_keeps_serving);
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
