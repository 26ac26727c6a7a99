/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for pubsub: Redis's glob rules (util_glob_match); a publish
 * counting every subscription and reaching subscribers on two workers
 * through their mailboxes, channel deliveries before pattern ones; a
 * wire form made once per delivery whatever the number of subscribers;
 * unsubscribing; 10,000 channels on one subscriber; a flush that drops
 * its subscriber; and the counters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <msgpack.h>

#include "config.h"
#include "env.h"
#include "mailbox.h"
#include "pubsub.h"
#include "util.h"

START_TEST(test_glob_rules)
{
	static const struct {
		const char *pat, *s;
		int match;
	} cases[] = {
	    {"*", "", 1},
	    {"*", "anything", 1},
	    {"a*", "a", 1},
	    {"a*", "abc", 1},
	    {"a*", "ba", 0},
	    {"*.log", "x.log", 1},
	    {"*.log", "x.logs", 0},
	    {"a?c", "abc", 1},
	    {"a?c", "ac", 0},
	    {"h[ae]llo", "hello", 1},
	    {"h[ae]llo", "hillo", 0},
	    {"h[^e]llo", "hallo", 1},
	    {"h[^e]llo", "hello", 0},
	    {"h[a-b]llo", "hbllo", 1},
	    {"h[b-a]llo", "hallo", 1},
	    {"h[a-b]llo", "hcllo", 0},
	    {"a\\*", "a*", 1},
	    {"a\\*", "ab", 0},
	    {"news.*.eu", "news.sport.eu", 1},
	    {"news.*.eu", "news.sport.us", 0},
	    {"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0},
	    {"", "", 1},
	    {"", "a", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(
		    util_glob_match(cases[i].pat, strlen(cases[i].pat),
		        cases[i].s, strlen(cases[i].s)) == cases[i].match,
		    "%s ~ %s", cases[i].pat, cases[i].s);
	/* Any bytes, NULs included. */
	ck_assert(util_glob_match("a?b", 3, "a\0b", 3));
	ck_assert(!util_glob_match("a", 1, "a\0", 2));
}
END_TEST

/* ---- two workers' envs, driven by hand on this thread ---- */

static struct env test_envs[2];
static struct env *test_envp[2] = {&test_envs[0], &test_envs[1]};

/* A subscriber that writes what it gets as text. */
struct test_sub {
	struct pubsub_sub sub; /* first */
	char got[4096];
	int nflush;
	int drop; /* flush drops it */
	int dropped;
};

static int test_encodes;

static int
test_encode(const struct pubsub_delivery *d, struct evbuffer *out)
{
	msgpack_unpacked up;
	msgpack_object o;

	test_encodes++;
	msgpack_unpacked_init(&up);
	ck_assert_int_eq(
	    msgpack_unpack_next(&up, d->msg->value, d->msg->vlen, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	o = up.data;
	evbuffer_add_printf(out, "%s:%.*s=%.*s;",
	    d->pattern != NULL ? d->pattern : "-", (int)d->msg->chlen,
	    d->msg->channel, (int)o.via.str.size, o.via.str.ptr);
	msgpack_unpacked_destroy(&up);
	return 0;
}

static void
test_deliver(struct pubsub_sub *sub, struct pubsub_delivery *d)
{
	struct test_sub *t = (struct test_sub *)sub;
	struct evbuffer *f = pubsub_form(d, 0, test_encode);
	size_t n = strlen(t->got), len;

	ck_assert_ptr_nonnull(f);
	len = evbuffer_get_length(f);
	ck_assert_uint_lt(n + len, sizeof(t->got));
	evbuffer_copyout(f, t->got + n, len);
	t->got[n + len] = '\0';
}

static void
test_flush(struct pubsub_sub *sub)
{
	struct test_sub *t = (struct test_sub *)sub;

	t->nflush++;
	if (t->drop) {
		pubsub_dropped();
		pubsub_sub_fini(sub);
		t->dropped = 1;
	}
}

static const struct pubsub_sink test_sink = {test_deliver, test_flush};

static void
test_sub_init(struct test_sub *t, int worker)
{
	memset(t, 0, sizeof(*t));
	pubsub_sub_init(&t->sub, &test_envs[worker], &test_sink, t);
}

static long
test_publish(const char *ch, const char *value)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	long n;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_str_with_body(&pk, value, strlen(value));
	n = pubsub_publish(ch, strlen(ch), sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return n;
}

static void
test_deliver_all(void)
{
	mailbox_deliver(&test_envs[0].mailbox);
	mailbox_deliver(&test_envs[1].mailbox);
}

static void
test_setup(void)
{
	struct config_limits limits;

	memset(&limits, 0, sizeof(limits));
	ck_assert_int_eq(env_init(&test_envs[0], 0, &limits), 0);
	ck_assert_int_eq(env_init(&test_envs[1], 1, &limits), 0);
	ck_assert_int_eq(pubsub_env_init(&test_envs[0]), 0);
	ck_assert_int_eq(pubsub_env_init(&test_envs[1]), 0);
	env_link(test_envp, 2);
	ck_assert_int_eq(pubsub_init(test_envp, 2), 0);
	test_encodes = 0;
}

static void
test_teardown(void)
{
	pubsub_env_fini(&test_envs[0]);
	pubsub_env_fini(&test_envs[1]);
	env_fini(&test_envs[0]);
	env_fini(&test_envs[1]);
	pubsub_shutdown();
}

START_TEST(test_publish_reaches_both_workers)
{
	struct test_sub a, b, c;

	test_sub_init(&a, 0);
	test_sub_init(&b, 1);
	test_sub_init(&c, 1);
	ck_assert_int_eq(pubsub_subscribe(&a.sub, 0, "news", 4), 1);
	ck_assert_int_eq(pubsub_subscribe(&a.sub, 0, "news", 4), 0);
	ck_assert_int_eq(pubsub_subscribe(&b.sub, 1, "n*", 2), 1);
	ck_assert_int_eq(pubsub_subscribe(&b.sub, 0, "news", 4), 1);
	ck_assert_int_eq(pubsub_subscribe(&c.sub, 0, "news", 4), 1);
	ck_assert_uint_eq(pubsub_count(&b.sub), 2);
	/* a, b twice (channel and pattern), c. */
	ck_assert_int_eq(test_publish("news", "hi"), 4);
	ck_assert_int_eq(test_publish("nope", "x"), 1);
	ck_assert_int_eq(test_publish("other", "x"), 0);
	ck_assert_str_eq(a.got, "");
	test_deliver_all();
	ck_assert_str_eq(a.got, "-:news=hi;");
	ck_assert_str_eq(b.got, "-:news=hi;n*:news=hi;n*:nope=x;");
	ck_assert_str_eq(c.got, "-:news=hi;");
	ck_assert_int_eq(a.nflush, 1);
	ck_assert_int_eq(b.nflush, 1);
	/* Worker 1: one form for b and c's channel, one for b's pattern,
	 * one for nope; worker 0: one. */
	ck_assert_int_eq(test_encodes, 4);
	ck_assert_int_eq(pubsub_unsubscribe(&b.sub, 1, "n*", 2), 1);
	ck_assert_int_eq(pubsub_unsubscribe(&b.sub, 1, "n*", 2), 0);
	ck_assert_int_eq(test_publish("nope", "x"), 0);
	pubsub_sub_fini(&a.sub);
	pubsub_sub_fini(&b.sub);
	pubsub_sub_fini(&c.sub);
	ck_assert_int_eq(test_publish("news", "x"), 0);
	test_deliver_all();
}
END_TEST

START_TEST(test_many_channels_and_first)
{
	struct pubsub_stats st;
	struct test_sub a;
	char name[32];
	const char *s;
	size_t len;
	int i;

	test_sub_init(&a, 0);
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "ch%d", i);
		ck_assert_int_eq(
		    pubsub_subscribe(&a.sub, 0, name, strlen(name)), 1);
	}
	ck_assert_int_eq(pubsub_subscribe(&a.sub, 1, "*", 1), 1);
	ck_assert_uint_eq(pubsub_count(&a.sub), 10001);
	pubsub_stats(&st);
	ck_assert_uint_eq(st.channels, 10000);
	ck_assert_uint_eq(st.patterns, 1);
	ck_assert_uint_eq(st.subscribers, 1);
	ck_assert_int_eq(test_publish("ch9999", "v"), 2);
	ck_assert_str_eq(pubsub_first(&a.sub, 0, &len), "ch0");
	ck_assert_str_eq(pubsub_first(&a.sub, 1, &len), "*");
	i = 0;
	while ((s = pubsub_first(&a.sub, 0, &len)) != NULL) {
		snprintf(name, sizeof(name), "ch%d", i++);
		ck_assert_str_eq(s, name);
		ck_assert_int_eq(pubsub_unsubscribe(&a.sub, 0, s, len), 1);
	}
	ck_assert_int_eq(i, 10000);
	ck_assert_uint_eq(pubsub_count(&a.sub), 1);
	pubsub_sub_fini(&a.sub);
	pubsub_stats(&st);
	ck_assert_uint_eq(st.channels, 0);
	ck_assert_uint_eq(st.patterns, 0);
	ck_assert_uint_eq(st.subscribers, 0);
	test_deliver_all();
}
END_TEST

START_TEST(test_flush_may_drop)
{
	struct pubsub_stats st0, st;
	struct test_sub a, b;

	pubsub_stats(&st0);
	test_sub_init(&a, 0);
	test_sub_init(&b, 0);
	a.drop = 1;
	ck_assert_int_eq(pubsub_subscribe(&a.sub, 0, "c", 1), 1);
	ck_assert_int_eq(pubsub_subscribe(&b.sub, 0, "c", 1), 1);
	ck_assert_int_eq(test_publish("c", "1"), 2);
	ck_assert_int_eq(test_publish("c", "2"), 2);
	test_deliver_all();
	ck_assert(a.dropped);
	ck_assert_str_eq(b.got, "-:c=1;-:c=2;");
	ck_assert_int_eq(test_publish("c", "3"), 1);
	test_deliver_all();
	ck_assert_str_eq(a.got, "-:c=1;-:c=2;");
	pubsub_stats(&st);
	ck_assert_uint_eq(st.dropped, st0.dropped + 1);
	ck_assert_uint_eq(st.published, st0.published + 3);
	ck_assert_uint_eq(st.delivered, st0.delivered + 5);
	pubsub_sub_fini(&b.sub);
}
END_TEST

static Suite *
pubsub_suite(void)
{
	Suite *s = suite_create("pubsub");
	TCase *tc = tcase_create("glob");
	TCase *tw = tcase_create("workers");

	tcase_add_test(tc, test_glob_rules);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tw, test_setup, test_teardown);
	tcase_add_test(tw, test_publish_reaches_both_workers);
	tcase_add_test(tw, test_many_channels_and_first);
	tcase_add_test(tw, test_flush_may_drop);
	suite_add_tcase(s, tw);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pubsub_suite());
	int failed;

	evthread_use_pthreads();
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
