/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of conn_reply.c, through a loopback conn (no socket): a slot
 * with an owner holds back later finished replies until it is done, bytes
 * leave in request order, a conn freed with a slot owed orphans it once,
 * and drained reports the backlog.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include <check.h>

#include "loopback.h"
#include "resp_session.h"

static const struct conn_proto *const test_resp_only[] = {&resp_session_proto};

struct test_owner {
	int ndrained;
	int norphaned;
	size_t backlog;
};

static void
test_drained(void *arg, size_t backlog)
{
	struct test_owner *o = arg;

	o->ndrained++;
	o->backlog = backlog;
}

static void
test_orphaned(void *arg)
{
	struct test_owner *o = arg;

	o->norphaned++;
}

static const struct conn_slot_owner test_owner_ops = {
    test_drained, test_orphaned};

/* Writes a finished reply the way a session does. */
static void
test_reply(struct conn *c, const char *bytes)
{
	struct evbuffer *out = conn_reply_buffer(c);

	ck_assert_ptr_nonnull(out);
	evbuffer_add(out, bytes, strlen(bytes));
	conn_reply_done(c);
}

START_TEST(test_conn_reply_slot_holds_back_later_replies)
{
	struct test_owner o = {0};
	struct loopback lb;
	struct conn_reply *r;

	loopback_init(&lb, test_resp_only, 1);
	test_reply(lb.c, "+one\r\n");
	loopback_expect(&lb, "+one\r\n");
	ck_assert_ptr_nonnull(r = conn_reply_slot(lb.c, &test_owner_ops, &o));
	test_reply(lb.c, "+three\r\n");
	test_reply(lb.c, "+four\r\n");
	loopback_expect(&lb, "");
	/* three and four wait together, in one finished slot */
	ck_assert_uint_eq(lb.c->npending, 2);
	evbuffer_add(r->buf, "+two\r\n", 6);
	ck_assert_int_eq(conn_reply_slot_done(lb.c, r), 0);
	loopback_expect(&lb, "+two\r\n+three\r\n+four\r\n");
	ck_assert_uint_eq(lb.c->npending, 0);
	ck_assert(TAILQ_EMPTY(&lb.c->pending));
	ck_assert_int_eq(o.norphaned, 0);
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_conn_reply_two_slots_in_request_order)
{
	struct test_owner o1 = {0}, o2 = {0};
	struct conn_reply *r1, *r2;
	struct loopback lb;

	loopback_init(&lb, test_resp_only, 1);
	ck_assert_ptr_nonnull(r1 = conn_reply_slot(lb.c, &test_owner_ops, &o1));
	ck_assert_ptr_nonnull(r2 = conn_reply_slot(lb.c, &test_owner_ops, &o2));
	test_reply(lb.c, "+c\r\n");
	/* The second finishes first: nothing leaves. */
	evbuffer_add(r2->buf, "+b\r\n", 4);
	ck_assert_int_eq(conn_reply_slot_done(lb.c, r2), 0);
	loopback_expect(&lb, "");
	evbuffer_add(r1->buf, "+a\r\n", 4);
	ck_assert_int_eq(conn_reply_slot_done(lb.c, r1), 0);
	loopback_expect(&lb, "+a\r\n+b\r\n+c\r\n");
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_conn_reply_stream_at_head_goes_out)
{
	struct test_owner o = {0};
	struct conn_reply *r;
	struct loopback lb;

	loopback_init(&lb, test_resp_only, 1);
	ck_assert_ptr_nonnull(r = conn_reply_slot(lb.c, &test_owner_ops, &o));
	test_reply(lb.c, "+after\r\n");
	evbuffer_add(r->buf, "part1 ", 6);
	conn_flush_pending(lb.c);
	loopback_expect(&lb, "part1 ");
	evbuffer_add(r->buf, "part2\r\n", 7);
	ck_assert_int_eq(conn_reply_slot_done(lb.c, r), 0);
	loopback_expect(&lb, "part2\r\n+after\r\n");
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_conn_reply_drained_reports_backlog)
{
	struct test_owner o = {0};
	struct conn_reply *r;
	struct loopback lb;
	int n;

	loopback_init(&lb, test_resp_only, 1);
	ck_assert_ptr_nonnull(r = conn_reply_slot(lb.c, &test_owner_ops, &o));
	/* Everything written (told at the flush and as the bytes left):
	 * nothing left unsent. */
	evbuffer_add(r->buf, "abc", 3);
	conn_flush_pending(lb.c);
	ck_assert_int_ge(n = o.ndrained, 1);
	ck_assert_uint_eq(o.backlog, 0);
	loopback_expect(&lb, "abc");
	/* Serving a read holds output back until its end: a backlog. */
	lb.c->in_read = 1;
	evbuffer_add(r->buf, "defgh", 5);
	conn_flush_pending(lb.c);
	ck_assert_int_eq(o.ndrained, n + 1);
	ck_assert_uint_eq(o.backlog, 5);
	loopback_expect(&lb, "");
	lb.c->in_read = 0;
	ck_assert_int_eq(conn_reply_slot_done(lb.c, r), 0);
	loopback_expect(&lb, "defgh");
	/* A finished slot has no owner left to tell. */
	ck_assert_int_eq(o.ndrained, n + 1);
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_conn_reply_free_orphans_owed_slot_once)
{
	struct test_owner o = {0};
	struct loopback lb;
	int ndrained;

	loopback_init(&lb, test_resp_only, 1);
	test_reply(lb.c, "+first\r\n");
	ck_assert_ptr_nonnull(conn_reply_slot(lb.c, &test_owner_ops, &o));
	test_reply(lb.c, "+held\r\n");
	ndrained = o.ndrained;
	conn_free(lb.c);
	ck_assert(loopback_closed(&lb));
	ck_assert_int_eq(o.norphaned, 1);
	ck_assert_int_eq(o.ndrained, ndrained);
	loopback_expect(&lb, "+first\r\n");
	event_base_loop(lb.w.env.base, EVLOOP_NONBLOCK);
	loopback_fini(&lb);
	ck_assert_int_eq(o.norphaned, 1);
	ck_assert_int_eq(o.ndrained, ndrained);
}
END_TEST

static Suite *
conn_reply_suite(void)
{
	Suite *s = suite_create("conn_reply");
	TCase *tc;

	tc = tcase_create("order");
	tcase_add_test(tc, test_conn_reply_slot_holds_back_later_replies);
	tcase_add_test(tc, test_conn_reply_two_slots_in_request_order);
	tcase_add_test(tc, test_conn_reply_stream_at_head_goes_out);
	suite_add_tcase(s, tc);
	tc = tcase_create("owner");
	tcase_add_test(tc, test_conn_reply_drained_reports_backlog);
	tcase_add_test(tc, test_conn_reply_free_orphans_owed_slot_once);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conn_reply_suite());
	int nfailed;

	srunner_run_all(sr, CK_NORMAL);
	nfailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfailed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
