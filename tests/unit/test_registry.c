/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of registry.c: building generations from a command table,
 * case-insensitive lookup, name clashes, reference counting, and the
 * per-name counters that outlive generations.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <pthread.h>

#include "auth.h"
#include "config.h"
#include "metrics.h"
#include "registry.h"

static void
test_handler(duet_call *call)
{
	(void)call;
}

static const struct duet_command test_table[] = {
    {"ping", "message:any?", "status", "", 0, test_handler},
    {"geo.add", "lat:float lon:float name:str...", "int", "", 0, test_handler},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

/* An empty config whose plugin_dir is an empty folder. */
static struct config *
test_config(char *dir)
{
	struct config *cf = calloc(1, sizeof(*cf));

	ck_assert_ptr_nonnull(mkdtemp(dir));
	cf->file = strdup("test.yaml");
	cf->plugin_dir = strdup(dir);
	cf->plugin_dir_line = 1;
	return cf;
}

START_TEST(test_registry_lookup_ignores_case)
{
	char dir[] = "/tmp/duet-reg-XXXXXX";
	struct config *cf = test_config(dir);
	struct registry *reg;
	const struct command *c;
	int nerrors;

	reg = registry_build(cf, NULL, test_table, &nerrors);
	ck_assert_ptr_nonnull(reg);
	ck_assert_int_eq(nerrors, 0);
	ck_assert_uint_eq(reg->ncommands, 2);
	c = registry_lookup(reg, "GEO.Add", 7);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->name, "geo.add");
	ck_assert_int_eq(c->arity, -4);
	c = registry_lookup(reg, "PING", 4);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->arity, -1);
	ck_assert_ptr_null(registry_lookup(reg, "pin", 3));
	ck_assert_ptr_null(registry_lookup(reg, "", 0));
	registry_unref(reg);
	config_free(cf);
	rmdir(dir);
}
END_TEST

START_TEST(test_registry_rejects_duplicate_names)
{
	static const struct duet_command dup[] = {
	    {"x", "", "nil", "", 0, test_handler},
	    {"X", "", "nil", "", 0, test_handler},
	    {NULL, NULL, NULL, NULL, 0, NULL},
	};
	char dir[] = "/tmp/duet-reg-XXXXXX";
	struct config *cf = test_config(dir);
	int nerrors;

	ck_assert_ptr_null(registry_build(cf, NULL, dup, &nerrors));
	ck_assert_int_eq(nerrors, 1);
	config_free(cf);
	rmdir(dir);
}
END_TEST

START_TEST(test_registry_rejects_bad_signature)
{
	static const struct duet_command bad[] = {
	    {"x", "a:integer", "nil", "", 0, test_handler},
	    {NULL, NULL, NULL, NULL, 0, NULL},
	};
	char dir[] = "/tmp/duet-reg-XXXXXX";
	struct config *cf = test_config(dir);
	int nerrors;

	ck_assert_ptr_null(registry_build(cf, NULL, bad, &nerrors));
	ck_assert_int_eq(nerrors, 1);
	config_free(cf);
	rmdir(dir);
}
END_TEST

START_TEST(test_registry_refresh_follows_publish)
{
	char dir[] = "/tmp/duet-reg-XXXXXX";
	struct config *cf = test_config(dir);
	struct registry *a, *b, *cached;
	int nerrors;

	a = registry_build(cf, NULL, test_table, &nerrors);
	b = registry_build(cf, NULL, test_table, &nerrors);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_ne(a->id, b->id);
	registry_publish(a);
	cached = registry_refresh(NULL);
	ck_assert_ptr_eq(cached, a);
	ck_assert_ptr_eq(registry_refresh(cached), a);
	registry_publish(b);
	cached = registry_refresh(cached);
	ck_assert_ptr_eq(cached, b);
	registry_unref(cached);
	registry_shutdown();
	config_free(cf);
	rmdir(dir);
}
END_TEST

/* Counts one failed HTTP call of the command, and 3 commands, from a
 * thread of its own. */
static void *
registry_count_elsewhere(void *arg)
{
	metrics_observe(arg, METRICS_HTTP, 7, 1);
	metrics_add(METRICS_COMMANDS, 3);
	return NULL;
}

START_TEST(test_registry_counters_outlive_generations)
{
	static const struct duet_command other[] = {
	    {"geo.add", "", "int", "", 0, test_handler},
	    {"geo.del", "", "int", "", 0, test_handler},
	    {NULL, NULL, NULL, NULL, 0, NULL},
	};
	char dir[] = "/tmp/duet-reg-XXXXXX";
	struct config *cf = test_config(dir);
	const struct command *ca, *cb;
	struct metrics_totals t;
	struct registry *a, *b;
	pthread_t th;
	int nerrors;

	a = registry_build(cf, NULL, test_table, &nerrors);
	ck_assert_ptr_nonnull(a);
	ca = registry_lookup(a, "geo.add", 7);
	metrics_observe(ca->stats, METRICS_RESP, 10, 0);
	metrics_observe(ca->stats, METRICS_HTTP, 20, 1);
	/* A new generation: same name, other signature, same counters. */
	b = registry_build(cf, NULL, other, &nerrors);
	ck_assert_ptr_nonnull(b);
	registry_unref(a);
	cb = registry_lookup(b, "geo.add", 7);
	ck_assert_ptr_eq(cb->stats, metrics_cmd_get("geo.add"));
	ck_assert_uint_eq(metrics_calls(cb->stats), 2);
	ck_assert_uint_eq(metrics_errors(cb->stats), 1);
	metrics_observe(cb->stats, METRICS_RESP, 5, 0);
	ck_assert_uint_eq(metrics_calls(cb->stats), 3);
	metrics_read(cb->stats, &t);
	ck_assert_uint_eq(t.usec, 35);
	/* Another thread's counts are its own shard's, summed by readers. */
	ck_assert_int_eq(
	    pthread_create(&th, NULL, registry_count_elsewhere, cb->stats), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	metrics_read(cb->stats, &t);
	ck_assert_uint_eq(t.calls[METRICS_RESP], 2);
	ck_assert_uint_eq(t.calls[METRICS_HTTP], 2);
	ck_assert_uint_eq(t.errors[METRICS_HTTP], 2);
	ck_assert_uint_eq(t.usec, 35 + 7);
	ck_assert_uint_eq(metrics_total(METRICS_COMMANDS), 3);
	/* A name new to this generation starts at zero. */
	ck_assert_uint_eq(
	    metrics_calls(registry_lookup(b, "geo.del", 7)->stats), 0);
	registry_unref(b);
	metrics_shutdown();
	config_free(cf);
	rmdir(dir);
}
END_TEST

/* cf->auth with one user "u" whose commands are the one rule given. */
static void
test_auth_user(struct config *cf, const char *rule)
{
	struct config_auth_user *u;

	config_auth_free(cf->auth);
	ck_assert_ptr_nonnull(cf->auth = calloc(1, sizeof(*cf->auth)));
	ck_assert_ptr_nonnull(u = calloc(1, sizeof(*u)));
	cf->auth->users = u;
	cf->auth->nusers = 1;
	u->name = strdup("u");
	u->has_rules = 1;
	ck_assert_ptr_nonnull(u->rules = calloc(1, sizeof(*u->rules)));
	ck_assert_int_eq(config_auth_rule_parse(rule, &u->rules[0]), 0);
	u->nrules = 1;
}

/*
 * Each generation compiles the auth of its config against its commands,
 * in its order; a config without auth gives a generation without.
 */
START_TEST(test_registry_builds_auth)
{
	char dir[] = "/tmp/duet-reg-XXXXXX";
	struct config *cf = test_config(dir);
	struct registry *a, *b, *c;
	int nerrors;

	test_auth_user(cf, "-geo.*");
	a = registry_build(cf, NULL, test_table, &nerrors);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(a->auth);
	ck_assert_int_eq(auth_user_index(a->auth, "u"), 0);
	ck_assert_int_eq(auth_check(a->auth, 0, 1), AUTH_NOPERM);
	ck_assert_int_eq(auth_check(a->auth, AUTH_NONE, 1), AUTH_NOAUTH);
	test_auth_user(cf, "geo.*");
	b = registry_build(cf, NULL, test_table, &nerrors);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(auth_check(b->auth, 0, 1), AUTH_OK);
	ck_assert_int_eq(auth_check(a->auth, 0, 1), AUTH_NOPERM);
	config_auth_free(cf->auth);
	cf->auth = NULL;
	c = registry_build(cf, NULL, test_table, &nerrors);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->auth);
	registry_unref(a);
	registry_unref(b);
	registry_unref(c);
	config_free(cf);
	rmdir(dir);
}
END_TEST

static Suite *
registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc;

	tc = tcase_create("lookup");
	tcase_add_test(tc, test_registry_lookup_ignores_case);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_registry_rejects_duplicate_names);
	tcase_add_test(tc, test_registry_rejects_bad_signature);
	suite_add_tcase(s, tc);
	tc = tcase_create("generations");
	tcase_add_test(tc, test_registry_refresh_follows_publish);
	tcase_add_test(tc, test_registry_counters_outlive_generations);
	tcase_add_test(tc, test_registry_builds_auth);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(registry_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
