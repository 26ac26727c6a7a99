/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for mailbox: mails delivered once each, in the order they
 * were posted, with the kicks posted while they waited merged; posts from
 * two threads at once; the loop's event delivering them; a deliver
 * function posting again; and a post after close refused.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <check.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "mailbox.h"

#define TEST_NMAILS 1000 /* mails each thread posts */

/* A mail and what its deliveries saw. */
struct test_item {
	struct mail mail; /* first */
	int id;
	unsigned kicks; /* the kicks of its last delivery */
	int ndelivered;
};

/* The ids in delivery order. */
static int test_order[2 * TEST_NMAILS + 8];
static size_t test_norder;
static struct mailbox *test_repost_mb;

static void
test_on_mail(struct mail *m, unsigned kicks)
{
	struct test_item *it = (struct test_item *)m;

	it->kicks = kicks;
	it->ndelivered++;
	if (test_norder < sizeof(test_order) / sizeof(test_order[0]))
		test_order[test_norder++] = it->id;
	/* The first delivery of a reposting item posts it once more. */
	if (test_repost_mb != NULL && it->ndelivered == 1)
		ck_assert_int_eq(mailbox_post(test_repost_mb, m, 0x10), 0);
}

static struct event_base *test_base;
static struct mailbox test_mb;

static void
test_setup(void)
{
	test_norder = 0;
	test_repost_mb = NULL;
	ck_assert_ptr_nonnull(test_base = event_base_new());
	ck_assert_int_eq(mailbox_init(&test_mb, test_base), 0);
}

static void
test_teardown(void)
{
	mailbox_fini(&test_mb);
	event_base_free(test_base);
}

static void
test_item_init(struct test_item *it, int id)
{
	it->mail = (struct mail){.deliver = test_on_mail};
	it->id = id;
	it->kicks = 0;
	it->ndelivered = 0;
}

START_TEST(test_mailbox_delivers_in_order)
{
	struct test_item it[3];
	int i;

	for (i = 0; i < 3; i++) {
		test_item_init(&it[i], i);
		ck_assert_int_eq(
		    mailbox_post(&test_mb, &it[i].mail, 1u << i), 0);
	}
	mailbox_deliver(&test_mb);
	ck_assert_uint_eq(test_norder, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(test_order[i], i);
		ck_assert_uint_eq(it[i].kicks, 1u << i);
		ck_assert_int_eq(it[i].ndelivered, 1);
		ck_assert_int_eq(it[i].mail.mailed, 0);
		ck_assert_uint_eq(it[i].mail.kicks, 0);
	}
	/* Nothing is left: a second delivery does nothing. */
	mailbox_deliver(&test_mb);
	ck_assert_uint_eq(test_norder, 3);
}
END_TEST

START_TEST(test_mailbox_merges_kicks)
{
	struct test_item a, b;

	test_item_init(&a, 1);
	test_item_init(&b, 2);
	ck_assert_int_eq(mailbox_post(&test_mb, &a.mail, 0x01), 0);
	ck_assert_int_eq(mailbox_post(&test_mb, &b.mail, 0x04), 0);
	ck_assert_int_eq(mailbox_post(&test_mb, &a.mail, 0x02), 0);
	ck_assert_int_eq(mailbox_post(&test_mb, &a.mail, 0x02), 0);
	mailbox_deliver(&test_mb);
	/* a keeps its place (first posted) and is delivered once. */
	ck_assert_uint_eq(test_norder, 2);
	ck_assert_int_eq(test_order[0], 1);
	ck_assert_int_eq(test_order[1], 2);
	ck_assert_uint_eq(a.kicks, 0x03);
	ck_assert_int_eq(a.ndelivered, 1);
	ck_assert_uint_eq(b.kicks, 0x04);
	ck_assert_int_eq(b.ndelivered, 1);
}
END_TEST

START_TEST(test_mailbox_loop_event_delivers)
{
	struct test_item a;

	test_item_init(&a, 7);
	ck_assert_int_eq(mailbox_post(&test_mb, &a.mail, 0x08), 0);
	ck_assert_int_ge(event_base_loop(test_base, EVLOOP_NONBLOCK), 0);
	ck_assert_uint_eq(test_norder, 1);
	ck_assert_int_eq(test_order[0], 7);
	ck_assert_uint_eq(a.kicks, 0x08);
	/* Posted again after its delivery: the event fires again. */
	ck_assert_int_eq(mailbox_post(&test_mb, &a.mail, 0x01), 0);
	ck_assert_int_ge(event_base_loop(test_base, EVLOOP_NONBLOCK), 0);
	ck_assert_uint_eq(test_norder, 2);
	ck_assert_uint_eq(a.kicks, 0x01);
}
END_TEST

START_TEST(test_mailbox_deliver_may_post)
{
	struct test_item a, b;

	test_item_init(&a, 1);
	test_item_init(&b, 2);
	test_repost_mb = &test_mb;
	ck_assert_int_eq(mailbox_post(&test_mb, &a.mail, 0x01), 0);
	ck_assert_int_eq(mailbox_post(&test_mb, &b.mail, 0x02), 0);
	mailbox_deliver(&test_mb);
	/* a, b, then a again (queued behind b) and b again. */
	ck_assert_uint_eq(test_norder, 4);
	ck_assert_int_eq(test_order[0], 1);
	ck_assert_int_eq(test_order[1], 2);
	ck_assert_int_eq(test_order[2], 1);
	ck_assert_int_eq(test_order[3], 2);
	ck_assert_uint_eq(a.kicks, 0x10);
	ck_assert_uint_eq(b.kicks, 0x10);
}
END_TEST

/* What one posting thread posts: its own items, in order. */
struct test_poster {
	struct test_item items[TEST_NMAILS];
	int base_id;
};

static void *
test_post_all(void *arg)
{
	struct test_poster *p = arg;
	int i;

	for (i = 0; i < TEST_NMAILS; i++) {
		if (mailbox_post(&test_mb, &p->items[i].mail, 1) == -1)
			abort();
	}
	return NULL;
}

START_TEST(test_mailbox_posts_from_two_threads)
{
	static struct test_poster p[2];
	pthread_t t[2];
	int k, i, next[2] = {0, 0};
	size_t n;

	for (k = 0; k < 2; k++) {
		p[k].base_id = k * TEST_NMAILS;
		for (i = 0; i < TEST_NMAILS; i++)
			test_item_init(&p[k].items[i], p[k].base_id + i);
	}
	for (k = 0; k < 2; k++)
		ck_assert_int_eq(
		    pthread_create(&t[k], NULL, test_post_all, &p[k]), 0);
	/* Deliver while they post: each mail still comes once, in order. */
	while (test_norder < 2 * TEST_NMAILS)
		mailbox_deliver(&test_mb);
	for (k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	mailbox_deliver(&test_mb);
	ck_assert_uint_eq(test_norder, 2 * TEST_NMAILS);
	for (n = 0; n < test_norder; n++) {
		k = test_order[n] / TEST_NMAILS;
		ck_assert_int_eq(test_order[n], p[k].base_id + next[k]);
		next[k]++;
	}
	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(next[k], TEST_NMAILS);
		for (i = 0; i < TEST_NMAILS; i++)
			ck_assert_int_eq(p[k].items[i].ndelivered, 1);
	}
}
END_TEST

START_TEST(test_mailbox_refuses_post_after_close)
{
	struct test_item a, b;

	test_item_init(&a, 1);
	test_item_init(&b, 2);
	ck_assert_int_eq(mailbox_post(&test_mb, &a.mail, 0x01), 0);
	mailbox_close(&test_mb);
	ck_assert_int_eq(mailbox_post(&test_mb, &b.mail, 0x02), -1);
	ck_assert_int_eq(mailbox_post(&test_mb, &a.mail, 0x04), -1);
	ck_assert_int_eq(b.mail.mailed, 0);
	ck_assert_uint_eq(b.mail.kicks, 0);
	/* What was queued before the close is still delivered, as it was. */
	mailbox_deliver(&test_mb);
	ck_assert_uint_eq(test_norder, 1);
	ck_assert_int_eq(test_order[0], 1);
	ck_assert_uint_eq(a.kicks, 0x01);
	ck_assert_int_eq(b.ndelivered, 0);
}
END_TEST

START_TEST(test_mailbox_cancel_drops_a_queued_mail)
{
	struct test_item a, b;

	test_item_init(&a, 1);
	test_item_init(&b, 2);
	ck_assert_int_eq(mailbox_post(&test_mb, &a.mail, 0x01), 0);
	ck_assert_int_eq(mailbox_post(&test_mb, &b.mail, 0x02), 0);
	mailbox_cancel(&test_mb, &a.mail);
	ck_assert_int_eq(a.mail.mailed, 0);
	ck_assert_uint_eq(a.mail.kicks, 0);
	mailbox_cancel(&test_mb, &a.mail); /* not queued: nothing happens */
	mailbox_deliver(&test_mb);
	ck_assert_uint_eq(test_norder, 1);
	ck_assert_int_eq(test_order[0], 2);
	ck_assert_int_eq(a.ndelivered, 0);
}
END_TEST

static Suite *
mailbox_suite(void)
{
	Suite *s = suite_create("mailbox");
	TCase *tc;

	tc = tcase_create("order");
	tcase_add_checked_fixture(tc, test_setup, test_teardown);
	tcase_add_test(tc, test_mailbox_delivers_in_order);
	tcase_add_test(tc, test_mailbox_merges_kicks);
	tcase_add_test(tc, test_mailbox_loop_event_delivers);
	tcase_add_test(tc, test_mailbox_deliver_may_post);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_add_checked_fixture(tc, test_setup, test_teardown);
	tcase_add_test(tc, test_mailbox_posts_from_two_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("close");
	tcase_add_checked_fixture(tc, test_setup, test_teardown);
	tcase_add_test(tc, test_mailbox_refuses_post_after_close);
	tcase_add_test(tc, test_mailbox_cancel_drops_a_queued_mail);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mailbox_suite());
	int failed;

	if (evthread_use_pthreads() == -1)
		return EXIT_FAILURE;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
