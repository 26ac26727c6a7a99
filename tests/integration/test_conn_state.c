/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of per-connection plugin state (SPEC 9.6, ABI 1.2)
 * through a real duetd: demo's counter counts per connection over RESP
 * and HTTP keep-alive; the conn_close hook runs once per connection that
 * has state, with that state; duet_conn_state is NULL off the loop (the
 * blocking pool, a plugin thread) and for another size; after a reload a
 * connection gets fresh state and the old load's hook still runs, before
 * that load's fini; a descriptor of ABI 1.1's size never has its
 * conn_close read; and the msgpack -> RESP2 / RESP3 / JSON type table of
 * plugin.h, row by row, through demo's reflect.
 */
#include "autoconf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

static struct harness cs_h;

static void
cs_setup(void)
{
	char extra[1024];

	snprintf(extra, sizeof(extra), "plugins:\n  - path: %s/oldabi.so\n",
	    harness_env("DUET_TEST_PLUGIN_DIR"));
	harness_start_with(&cs_h, "connstate.so", extra);
}

static void
cs_teardown(void)
{
	harness_stop(&cs_h);
}

/* Sends req on fd and expects exactly want. */
static void
cs_call(int fd, const char *req, const char *want)
{
	harness_sends(fd, req);
	harness_expects(fd, want);
}

START_TEST(test_conn_state_counter_per_connection)
{
	int a = harness_connect(cs_h.port), b = harness_connect(cs_h.port);

	cs_call(a, "counter\r\n", ":1\r\n");
	cs_call(a, "counter\r\n", ":2\r\n");
	cs_call(b, "counter\r\n", ":1\r\n");
	cs_call(a, "counter\r\n", ":3\r\n");
	/* Pipelined: each call sees the one before. */
	cs_call(b, "counter\r\ncounter\r\n", ":2\r\n:3\r\n");
	close(a);
	a = harness_connect(cs_h.port);
	cs_call(a, "counter\r\n", ":1\r\n");
	/* PUBLIC (no_auth); counter changes state, whoami does not. */
	cs_call(a, "COMMAND INFO counter whoami\r\n",
	    "*2\r\n*10\r\n$7\r\ncounter\r\n:1\r\n*2\r\n+write\r\n+no_auth\r\n"
	    ":0\r\n:0\r\n:0\r\n*0\r\n*0\r\n*0\r\n*0\r\n"
	    "*10\r\n$6\r\nwhoami\r\n:1\r\n*2\r\n+readonly\r\n+no_auth\r\n"
	    ":0\r\n:0\r\n:0\r\n*0\r\n*0\r\n*0\r\n*0\r\n");
	close(a);
	close(b);
}
END_TEST

/* POSTs /counter on fd and expects the JSON count want. */
static void
cs_http_counter(int fd, const char *want)
{
	struct harness_http r;

	harness_sends(fd, "POST /counter HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	harness_http_read(&r, fd, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, want);
	harness_http_free(&r);
}

START_TEST(test_conn_state_counter_http_keepalive)
{
	int a = harness_connect(cs_h.port), b;

	cs_http_counter(a, "1");
	cs_http_counter(a, "2");
	b = harness_connect(cs_h.port);
	cs_http_counter(b, "1");
	cs_http_counter(a, "3");
	close(a);
	close(b);
}
END_TEST

START_TEST(test_conn_state_close_hook_runs_once)
{
	int a = harness_connect(cs_h.port), b = harness_connect(cs_h.port);

	cs_call(b, "connstate.closes\r\n", ":0\r\n");
	cs_call(a, "connstate.bump\r\n", ":1\r\n");
	cs_call(a, "connstate.bump\r\n", ":2\r\n");
	cs_call(a, "connstate.resize\r\n", ":1\r\n");
	cs_call(a, "connstate.bump\r\n", ":3\r\n");
	/* A connection that never asked has nothing to close. */
	cs_call(b, "PING\r\n", "+PONG\r\n");
	close(a);
	harness_wait_log(
	    &cs_h, "connstate: closed a connection that counted 3\n");
	cs_call(b, "connstate.closes\r\n", ":1\r\n");
	close(b);
	a = harness_connect(cs_h.port);
	cs_call(a, "connstate.closes\r\n", ":1\r\n");
	cs_call(a, "connstate.bump\r\n", ":1\r\n");
	/* QUIT closes it as well. */
	cs_call(a, "QUIT\r\n", "+OK\r\n");
	close(a);
	harness_wait_log(
	    &cs_h, "connstate: closed a connection that counted 1\n");
	a = harness_connect(cs_h.port);
	cs_call(a, "connstate.closes\r\n", ":2\r\n");
	close(a);
}
END_TEST

START_TEST(test_conn_state_null_off_the_loop)
{
	int fd = harness_connect(cs_h.port);

	cs_call(fd, "connstate.blocking\r\n", ":1\r\n");
	cs_call(fd, "connstate.thread\r\n", ":1\r\n");
	/* The deferred handle's memory on the loop was this conn's. */
	cs_call(fd, "connstate.resize\r\n", ":1\r\n");
	close(fd);
	harness_wait_log(
	    &cs_h, "connstate: closed a connection that counted 0\n");
}
END_TEST

START_TEST(test_conn_state_fresh_after_reload)
{
	int a = harness_connect(cs_h.port);
	const char *old, *fini;
	char *log;

	cs_call(a, "connstate.bump\r\n", ":1\r\n");
	cs_call(a, "connstate.bump\r\n", ":2\r\n");
	cs_call(a, "counter\r\n", ":1\r\n");
	kill(cs_h.pid, SIGHUP);
	harness_wait_log(&cs_h, "registry generation 2\n");
	/* The new load's memory on the same connection. */
	cs_call(a, "connstate.bump\r\n", ":1\r\n");
	cs_call(a, "counter\r\n", ":1\r\n");
	log = harness_log(&cs_h);
	ck_assert_msg(strstr(log, "connstate: fini") == NULL,
	    "the old load went while a connection held its state:\n%s", log);
	free(log);
	close(a);
	/* Both loads' hooks run, the old one's before its fini. */
	harness_wait_log(
	    &cs_h, "connstate: closed a connection that counted 2\n");
	harness_wait_log(
	    &cs_h, "connstate: closed a connection that counted 1\n");
	harness_wait_log(&cs_h, "connstate: fini after 1 closes\n");
	log = harness_log(&cs_h);
	old = strstr(log, "connstate: closed a connection that counted 2\n");
	fini = strstr(log, "connstate: fini");
	ck_assert_msg(
	    old != NULL && fini != NULL && old < fini, "log:\n%s", log);
	free(log);
}
END_TEST

START_TEST(test_conn_state_old_descriptor_has_no_hook)
{
	int fd = harness_connect(cs_h.port);

	cs_call(fd, "oldabi.bump\r\n", ":1\r\n");
	cs_call(fd, "oldabi.bump\r\n", ":2\r\n");
	close(fd);
	/* Had the daemon read conn_close past struct_size, it aborted. */
	fd = harness_connect(cs_h.port);
	cs_call(fd, "oldabi.bump\r\n", ":1\r\n");
	close(fd);
	harness_roundtrip(cs_h.port, "PING\r\n", "+PONG\r\n");
}
END_TEST

/* One row of plugin.h's type table: a JSON value reflect returns. */
struct cs_row {
	const char *json;  /* reflect's argument, RESP bulk */
	const char *resp2; /* the reply */
	const char *resp3;
	const char *http; /* the JSON body */
};

static const struct cs_row cs_rows[] = {
    {"null", "$-1\r\n", "_\r\n", "null"},
    {"true", ":1\r\n", "#t\r\n", "true"},
    {"-7", ":-7\r\n", ":-7\r\n", "-7"},
    {"18446744073709551615", "$20\r\n18446744073709551615\r\n",
        "$20\r\n18446744073709551615\r\n", "18446744073709551615"},
    {"1.5", "$3\r\n1.5\r\n", ",1.5\r\n", "1.5"},
    {"3.0", "$1\r\n3\r\n", ",3\r\n", "3.0"},
    {"\"h\\u00e9\"", "$3\r\nh\xc3\xa9\r\n", "$3\r\nh\xc3\xa9\r\n",
        "\"h\xc3\xa9\""},
    {"{\"$base64\":\"/w==\"}", "$1\r\n\xff\r\n", "$1\r\n\xff\r\n",
        "{\"$base64\":\"/w==\"}"},
    {"[1,\"a\"]", "*2\r\n:1\r\n$1\r\na\r\n", "*2\r\n:1\r\n$1\r\na\r\n",
        "[1,\"a\"]"},
    {"{\"k\":[]}", "*2\r\n$1\r\nk\r\n*0\r\n", "%1\r\n$1\r\nk\r\n*0\r\n",
        "{\"k\":[]}"},
};

/* reflect json on a RESP connection (RESP2, or RESP3 after HELLO 3). */
static void
cs_reflect_resp(int fd, const char *json, const char *want)
{
	char req[256];

	snprintf(req, sizeof(req), "*2\r\n$7\r\nreflect\r\n$%zu\r\n%s\r\n",
	    strlen(json), json);
	cs_call(fd, req, want);
}

START_TEST(test_conn_state_type_table)
{
	int r2 = harness_connect(cs_h.port), r3 = harness_connect(cs_h.port);
	struct harness_http r;
	char req[512];
	size_t i, len;
	int h;

	harness_sends(r3, "HELLO 3\r\nPING\r\n");
	free(harness_read_until(r3, "+PONG\r\n", &len));
	for (i = 0; i < sizeof(cs_rows) / sizeof(cs_rows[0]); i++) {
		cs_reflect_resp(r2, cs_rows[i].json, cs_rows[i].resp2);
		cs_reflect_resp(r3, cs_rows[i].json, cs_rows[i].resp3);
		h = harness_connect(cs_h.port);
		snprintf(req, sizeof(req),
		    "POST /reflect HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		    "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n[%s]",
		    strlen(cs_rows[i].json) + 2, cs_rows[i].json);
		harness_sends(h, req);
		harness_http_read(&r, h, 0);
		ck_assert_msg(
		    r.status == 200 && strcmp(r.body, cs_rows[i].http) == 0,
		    "%s over HTTP: %d %s", cs_rows[i].json, r.status, r.body);
		harness_http_free(&r);
		close(h);
	}
	/* A status (ext 1): +OK on RESP, "OK" in JSON. */
	cs_call(r2, "set k v\r\n", "+OK\r\n");
	cs_call(r3, "set k v\r\n", "+OK\r\n");
	close(r2);
	close(r3);
}
END_TEST

static Suite *
conn_state_suite(void)
{
	Suite *s = suite_create("conn_state");
	TCase *tc;

	tc = tcase_create("conn_state");
	tcase_add_checked_fixture(tc, cs_setup, cs_teardown);
	tcase_add_test(tc, test_conn_state_counter_per_connection);
	tcase_add_test(tc, test_conn_state_counter_http_keepalive);
	tcase_add_test(tc, test_conn_state_close_hook_runs_once);
	tcase_add_test(tc, test_conn_state_null_off_the_loop);
	tcase_add_test(tc, test_conn_state_fresh_after_reload);
	tcase_add_test(tc, test_conn_state_old_descriptor_has_no_hook);
	tcase_add_test(tc, test_conn_state_type_table);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conn_state_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
