/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of conn_state.c (duet_conn_state, SPEC 9.6) through a
 * loopback conn whose registry adds the test's commands to the built-ins,
 * owned by a stand-in plugin of the test (a struct plugin with a
 * conn_close hook, in no generation's plugin list): one memory per conn,
 * zeroed, the same on every call; NULL for another size, size 0, a
 * built-in, or another thread; the hook runs once, with the memory, when
 * the conn is freed; each memory holds a reference on its plugin's
 * generation until then.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <check.h>

#include <duet/plugin.h>

#include "builtin.h"
#include "call.h"
#include "conn_state.h"
#include "dispatch.h"
#include "loopback.h"
#include "plugin.h"
#include "registry.h"
#include "resp_session.h"

static const struct conn_proto *const test_resp_only[] = {&resp_session_proto};

/* The stand-in plugin that owns BUMP, SIZE and LATER. */
static struct plugin test_plugin;
static struct registry *test_reg;

/* conn_close calls, and the memory of the last one. */
static int test_closes;
static void *test_closed_mem;
static int64_t test_closed_count;

/* The last LATER's deferred handle, and BUMP's last memory. */
static duet_call *test_later;
static void *test_mem;

static void
test_conn_close(void *state)
{
	test_closes++;
	test_closed_mem = state;
	test_closed_count = *(int64_t *)state;
}

/* Counts its calls on the conn. */
static void
test_cmd_bump(duet_call *call)
{
	int64_t *n = duet_conn_state(call, sizeof(*n));

	if (n == NULL) {
		duet_reply_nil(call);
		return;
	}
	test_mem = n;
	duet_reply_int(call, ++*n);
}

/* Asks the size given: 1 if it got memory, 0 if NULL. */
static void
test_cmd_size(duet_call *call)
{
	duet_reply_int(
	    call, duet_conn_state(call, (size_t)duet_arg_int(call, 0)) != NULL);
}

/* Defers; the test answers. */
static void
test_cmd_later(duet_call *call)
{
	ck_assert_ptr_nonnull(test_later = duet_defer(call));
}

#define TEST_NBUILTINS 64
static struct duet_command test_table[TEST_NBUILTINS + 4];

static void
test_init(struct loopback *lb)
{
	size_t n = 0, i;
	int nerrors;

	loopback_init(lb, test_resp_only, 1);
	/* The test is the worker's loop thread. */
	lb->w.env.thread = pthread_self();
	while (builtin_commands[n].name != NULL) {
		ck_assert_uint_lt(n, TEST_NBUILTINS);
		test_table[n] = builtin_commands[n];
		n++;
	}
	test_table[n++] = (struct duet_command){
	    "bump", "", "int", "Counts", 0, test_cmd_bump};
	test_table[n++] = (struct duet_command){
	    "size", "n:int", "int", "Asks n bytes", 0, test_cmd_size};
	test_table[n++] = (struct duet_command){
	    "later", "", "int", "Defers", 0, test_cmd_later};
	memset(&test_table[n], 0, sizeof(test_table[n]));
	test_reg =
	    registry_build(lb->cf, dispatch_host(), test_table, &nerrors);
	ck_assert_ptr_nonnull(test_reg);
	memset(&test_plugin, 0, sizeof(test_plugin));
	pthread_mutex_init(&test_plugin.lock, NULL);
	test_plugin.conn_close = test_conn_close;
	test_plugin.gen = test_reg;
	for (i = 0; i < test_reg->ncommands; i++) {
		if (strcmp(test_reg->commands[i].name, "bump") == 0 ||
		    strcmp(test_reg->commands[i].name, "size") == 0 ||
		    strcmp(test_reg->commands[i].name, "later") == 0)
			test_reg->commands[i].plugin = &test_plugin;
	}
	registry_publish(test_reg);
	test_closes = 0;
	test_closed_mem = test_mem = NULL;
	test_later = NULL;
}

static void
test_fini(struct loopback *lb)
{
	loopback_fini(lb);
	pthread_mutex_destroy(&test_plugin.lock);
}

static int
test_refs(void)
{
	return atomic_load(&test_reg->refcnt);
}

START_TEST(test_conn_state_same_memory_per_conn)
{
	struct loopback lb;
	int refs;

	test_init(&lb);
	loopback_send(&lb, "PING\r\n");
	loopback_expect(&lb, "+PONG\r\n");
	refs = test_refs();
	ck_assert_ptr_null(lb.c->states);
	loopback_send(&lb, "bump\r\nbump\r\nbump\r\n");
	loopback_expect(&lb, ":1\r\n:2\r\n:3\r\n");
	/* One reference on the generation, whatever the calls. */
	ck_assert_int_eq(test_refs(), refs + 1);
	ck_assert_int_eq(test_closes, 0);
	conn_free(lb.c);
	ck_assert_int_eq(test_closes, 1);
	ck_assert_ptr_eq(test_closed_mem, test_mem);
	ck_assert_int_eq(test_closed_count, 3);
	ck_assert_int_eq(test_refs(), refs);
	test_fini(&lb);
	ck_assert_int_eq(test_closes, 1);
}
END_TEST

START_TEST(test_conn_state_refuses_other_sizes)
{
	struct loopback lb;

	test_init(&lb);
	loopback_send(&lb, "size 0\r\nsize 16\r\nsize 16\r\nsize 8\r\n");
	loopback_expect(&lb, ":0\r\n:1\r\n:1\r\n:0\r\n");
	/* The first size asked stays: bump's 8 bytes are refused. */
	loopback_send(&lb, "bump\r\n");
	loopback_expect(&lb, "$-1\r\n");
	test_fini(&lb);
	ck_assert_int_eq(test_closes, 1);
}
END_TEST

START_TEST(test_conn_state_none_for_a_builtin)
{
	struct loopback lb;
	struct duet_call call;

	test_init(&lb);
	memset(&call, 0, sizeof(call));
	call.conn = lb.c;
	call.cmd = registry_lookup(test_reg, "ping", 4);
	ck_assert_ptr_nonnull(call.cmd);
	ck_assert_ptr_null(conn_state_host(&call, 8));
	ck_assert_ptr_null(lb.c->states);
	test_fini(&lb);
	ck_assert_int_eq(test_closes, 0);
}
END_TEST

/* Another thread's duet_conn_state on the deferred handle. */
static void *
test_other_thread(void *arg)
{
	return duet_conn_state(arg, sizeof(int64_t));
}

START_TEST(test_conn_state_loop_thread_only)
{
	struct loopback lb;
	pthread_t t;
	void *got = &got;

	test_init(&lb);
	loopback_send(&lb, "bump\r\nlater\r\n");
	loopback_expect(&lb, ":1\r\n");
	ck_assert_ptr_nonnull(test_later);
	/* On the loop, the handle reaches the conn's memory. */
	ck_assert_ptr_eq(
	    duet_conn_state(test_later, sizeof(int64_t)), test_mem);
	ck_assert_int_eq(
	    pthread_create(&t, NULL, test_other_thread, test_later), 0);
	ck_assert_int_eq(pthread_join(t, &got), 0);
	ck_assert_ptr_null(got);
	duet_reply_int(test_later, 7);
	duet_finish(test_later);
	event_base_loop(lb.w.env.base, EVLOOP_NONBLOCK);
	loopback_expect(&lb, ":7\r\n");
	test_fini(&lb);
	ck_assert_int_eq(test_closes, 1);
}
END_TEST

START_TEST(test_conn_state_gone_with_its_conn)
{
	struct loopback lb;

	test_init(&lb);
	loopback_send(&lb, "later\r\n");
	ck_assert_ptr_nonnull(test_later);
	conn_free(lb.c);
	/* An orphaned handle has no conn, so no memory. */
	ck_assert_ptr_null(duet_conn_state(test_later, sizeof(int64_t)));
	duet_reply_int(test_later, 7);
	duet_finish(test_later);
	event_base_loop(lb.w.env.base, EVLOOP_NONBLOCK);
	test_fini(&lb);
	ck_assert_int_eq(test_closes, 0);
}
END_TEST

static Suite *
conn_state_suite(void)
{
	Suite *s = suite_create("conn_state");
	TCase *tc;

	tc = tcase_create("memory");
	tcase_add_test(tc, test_conn_state_same_memory_per_conn);
	tcase_add_test(tc, test_conn_state_refuses_other_sizes);
	tcase_add_test(tc, test_conn_state_none_for_a_builtin);
	suite_add_tcase(s, tc);
	tc = tcase_create("threads");
	tcase_add_test(tc, test_conn_state_loop_thread_only);
	tcase_add_test(tc, test_conn_state_gone_with_its_conn);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conn_state_suite());
	int nfailed;

	srunner_run_all(sr, CK_NORMAL);
	nfailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfailed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
