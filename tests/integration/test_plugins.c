/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of the bundled plugins through a real duetd: per-plugin
 * config reaching init (kv's max_keys), demo's errors and caller identity,
 * redis-benchmark against kv, and concurrent clients on kv's shared store.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <hiredis/hiredis.h>

#include "harness.h"
#include "hiredis_field.h"

static struct harness plugins_h;
static char plugins_empty[64];

static void
plugins_setup(void)
{
	harness_start(&plugins_h, NULL, NULL);
}

static void
plugins_teardown(void)
{
	harness_stop(&plugins_h);
}

/*
 * Every plugin listed by full path with its own config, and an empty
 * plugin_dir, so none is loaded twice.
 */
static void
plugins_listed_setup(void)
{
	const char *pd = harness_env("DUET_PLUGIN_DIR");
	const char *ex = harness_env("DUET_EXAMPLE_PLUGIN_DIR");
	char extra[4096];

	harness_tmpdir(plugins_empty, sizeof(plugins_empty));
	snprintf(extra, sizeof(extra),
	    "plugins:\n"
	    "  - path: %s/kv.so\n"
	    "    config: {max_keys: 2}\n"
	    "  - path: %s/math.so\n"
	    "  - path: %s/demo.so\n",
	    pd, pd, ex);
	harness_start(&plugins_h, plugins_empty, extra);
}

static void
plugins_listed_teardown(void)
{
	harness_stop(&plugins_h);
	harness_rmdir(plugins_empty);
}

/* Sends a raw request on fd and expects exactly want. */
static void
plugins_call(int fd, const char *req, const char *want)
{
	harness_sends(fd, req);
	harness_expects(fd, want);
}

START_TEST(test_plugins_config_reaches_init)
{
	int fd = harness_connect(plugins_h.port);

	plugins_call(fd, "set a 1\r\n", "+OK\r\n");
	plugins_call(fd, "set b 2\r\n", "+OK\r\n");
	plugins_call(fd, "set c 3\r\n", "-ERR max number of keys reached\r\n");
	plugins_call(fd, "get c\r\n", "$-1\r\n");
	plugins_call(fd, "set a 10\r\n", "+OK\r\n");
	plugins_call(fd, "incr a\r\n", ":11\r\n");
	plugins_call(fd, "incr c\r\n", "-ERR max number of keys reached\r\n");
	/* Values rewritten in place or reallocated read back the same. */
	plugins_call(fd, "set a -10\r\n", "+OK\r\n");
	plugins_call(fd, "incr a\r\n", ":-9\r\n");
	plugins_call(fd, "set a 99\r\n", "+OK\r\n");
	plugins_call(fd, "incr a\r\n", ":100\r\n");
	plugins_call(fd, "get a\r\n", "$3\r\n100\r\n");
	plugins_call(fd, "set a -9223372036854775807\r\n", "+OK\r\n");
	plugins_call(fd, "get a\r\n", "$20\r\n-9223372036854775807\r\n");
	plugins_call(fd, "set a 9223372036854775806\r\n", "+OK\r\n");
	plugins_call(fd, "incr a\r\n", ":9223372036854775807\r\n");
	plugins_call(fd, "incr a\r\n",
	    "-ERR increment or decrement would overflow\r\n");
	plugins_call(fd, "set a x\r\n", "+OK\r\n");
	plugins_call(fd, "get a\r\n", "$1\r\nx\r\n");
	plugins_call(fd, "set a 10\r\n", "+OK\r\n");
	plugins_call(fd, "del b\r\n", ":1\r\n");
	plugins_call(fd, "set c 3\r\n", "+OK\r\n");
	plugins_call(fd, "exists a b c\r\n", ":2\r\n");
	plugins_call(fd, "add 1 2\r\n", ":3\r\n");
	plugins_call(fd, "fail x\r\n", "-DEMO x\r\n");
	close(fd);
}
END_TEST

START_TEST(test_plugins_bad_plugin_config)
{
	char dir[64], file[PATH_MAX], text[1024], cmd[PATH_MAX + 32];
	struct harness_out o;

	harness_tmpdir(dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/kv.yaml", dir);
	snprintf(text, sizeof(text),
	    "plugin_dir: %s\nplugins:\n  - path: %s/kv.so\n"
	    "    config: {max_keys: lots}\n",
	    dir, harness_env("DUET_PLUGIN_DIR"));
	harness_write_file(file, text);
	snprintf(cmd, sizeof(cmd), "\"$DUETD\" -t -c '%s'", file);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_int_eq(o.status, 1);
	ck_assert_msg(strstr(o.err, ":3:5: ") != NULL &&
	        strstr(o.err, "max_keys: expected an integer >= 0") != NULL,
	    "stderr:\n%s", o.err);
	harness_out_free(&o);
	harness_rmdir(dir);
}
END_TEST

START_TEST(test_plugins_demo_fail)
{
	int fd = harness_connect(plugins_h.port);

	plugins_call(fd, "fail boom\r\n", "-DEMO boom\r\n");
	/* As Redis does, newlines in an error become spaces. */
	plugins_call(fd, "*2\r\n$4\r\nfail\r\n$8\r\nno\r\nluck\r\n",
	    "-DEMO no  luck\r\n");
	plugins_call(fd, "PING\r\n", "+PONG\r\n");
	plugins_call(fd, "fail\r\n",
	    "-ERR wrong number of arguments for 'fail' command\r\n");
	close(fd);
}
END_TEST

START_TEST(test_plugins_whoami)
{
	redisContext *c = redisConnect("127.0.0.1", plugins_h.port);
	const redisReply *f;
	redisReply *r;
	size_t len;
	char *got;
	int fd;

	ck_assert(c != NULL && c->err == 0);
	r = redisCommand(c, "CLIENT SETNAME tester");
	freeReplyObject(r);
	r = redisCommand(c, "whoami");
	ck_assert(r != NULL);
	f = hiredis_field(r, "protocol");
	ck_assert(f != NULL && f->type == REDIS_REPLY_STRING);
	ck_assert_str_eq(f->str, "resp2");
	f = hiredis_field(r, "peer");
	ck_assert(f != NULL && strncmp(f->str, "127.0.0.1:", 10) == 0);
	f = hiredis_field(r, "name");
	ck_assert(f != NULL && f->type == REDIS_REPLY_STRING);
	ck_assert_str_eq(f->str, "tester");
	f = hiredis_field(r, "user");
	ck_assert(f != NULL && f->type == REDIS_REPLY_NIL);
	freeReplyObject(r);
	redisFree(c);

	/* hiredis 0.14 has no RESP3 reader: raw bytes. */
	fd = harness_connect(plugins_h.port);
	harness_sends(fd, "HELLO 3\r\nPING\r\n");
	free(harness_read_until(fd, "+PONG\r\n", &len));
	harness_sends(fd, "whoami\r\nPING\r\n");
	got = harness_read_until(fd, "+PONG\r\n", &len);
	ck_assert_msg(got[0] == '%' &&
	        strstr(got, "$8\r\nprotocol\r\n$5\r\nresp3\r\n") != NULL &&
	        strstr(got, "$4\r\nuser\r\n_\r\n") != NULL,
	    "whoami in RESP3: \"%s\"", got);
	free(got);
	close(fd);
}
END_TEST

/* Prints redis-benchmark's results without its progress lines. */
static void
plugins_print_results(const char *s)
{
	const char *end, *from;

	for (; *s != '\0'; s = *end != '\0' ? end + 1 : end) {
		end = s + strcspn(s, "\n");
		for (from = end; from > s && from[-1] != '\r'; from--)
			continue;
		if (from < end)
			fprintf(stderr, "%.*s\n", (int)(end - from), from);
	}
}

START_TEST(test_plugins_redis_benchmark)
{
	struct harness_out o;
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
	    "redis-benchmark -h 127.0.0.1 -p %d -t set,get,incr -n 20000 -q",
	    plugins_h.port);
	harness_run(&o, cmd, NULL, 0);
	plugins_print_results(o.out);
	ck_assert_int_eq(o.status, 0);
	ck_assert_ptr_nonnull(strstr(o.out, "SET: "));
	ck_assert_ptr_nonnull(strstr(o.out, "GET: "));
	ck_assert_ptr_nonnull(strstr(o.out, "INCR: "));
	ck_assert_msg(
	    strstr(o.out, "ERR") == NULL && strstr(o.err, "ERR") == NULL,
	    "redis-benchmark saw errors:\n%s%s", o.out, o.err);
	harness_out_free(&o);
}
END_TEST

#define PLUGINS_CLIENTS 4
#define PLUGINS_INCRS   1000

struct plugins_client {
	pthread_t thread;
	int port;
	const char *fail; /* NULL, or what went wrong */
};

/* One client: PLUGINS_INCRS incr of the shared counter. */
static void *
plugins_incr_client(void *arg)
{
	struct plugins_client *pc = arg;
	redisContext *c = redisConnect("127.0.0.1", pc->port);
	redisReply *r;
	int i;

	if (c == NULL || c->err != 0)
		pc->fail = "connect failed";
	for (i = 0; pc->fail == NULL && i < PLUGINS_INCRS; i++) {
		r = redisCommand(c, "incr counter");
		if (r == NULL || r->type != REDIS_REPLY_INTEGER)
			pc->fail = "incr did not answer an integer";
		freeReplyObject(r);
	}
	redisFree(c);
	return NULL;
}

START_TEST(test_plugins_concurrent_incr)
{
	struct plugins_client pc[PLUGINS_CLIENTS];
	int i, fd;

	for (i = 0; i < PLUGINS_CLIENTS; i++) {
		pc[i].port = plugins_h.port;
		pc[i].fail = NULL;
		ck_assert_int_eq(pthread_create(&pc[i].thread, NULL,
		                     plugins_incr_client, &pc[i]),
		    0);
	}
	for (i = 0; i < PLUGINS_CLIENTS; i++) {
		ck_assert_int_eq(pthread_join(pc[i].thread, NULL), 0);
		ck_assert_msg(
		    pc[i].fail == NULL, "client %d: %s", i, pc[i].fail);
	}
	fd = harness_connect(plugins_h.port);
	plugins_call(fd, "get counter\r\n", "$4\r\n4000\r\n");
	close(fd);
}
END_TEST

static Suite *
plugins_suite(void)
{
	Suite *s = suite_create("plugins");
	TCase *tc;

	tc = tcase_create("config");
	tcase_add_checked_fixture(
	    tc, plugins_listed_setup, plugins_listed_teardown);
	tcase_add_test(tc, test_plugins_config_reaches_init);
	suite_add_tcase(s, tc);

	tc = tcase_create("config_errors");
	tcase_add_test(tc, test_plugins_bad_plugin_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("demo");
	tcase_add_checked_fixture(tc, plugins_setup, plugins_teardown);
	tcase_add_test(tc, test_plugins_demo_fail);
	tcase_add_test(tc, test_plugins_whoami);
	suite_add_tcase(s, tc);

	tc = tcase_create("kv_load");
	tcase_add_checked_fixture(tc, plugins_setup, plugins_teardown);
	tcase_add_test(tc, test_plugins_redis_benchmark);
	tcase_add_test(tc, test_plugins_concurrent_incr);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(plugins_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
