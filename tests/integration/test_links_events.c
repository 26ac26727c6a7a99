/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of links (SPEC 11) between real daemons, continued
 * (links_pair.h has the set-up): events across a link (channels_out and
 * channels_in overlapping, each message once on each side, proved by
 * markers that follow them on the same path); reloads of the node (a
 * link unchanged, changed, removed) and of the hub (every link stays
 * up); and 1,000 nodes on one hub, played over raw RESP3 sockets, with
 * the hub's memory per link printed.
 */
#include "autoconf.h"

#include <sys/resource.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "certs.h"
#include "harness.h"
#include "links_pair.h"

/* The channels of the node of ln_events_setup: what it forwards to the
 * hub and what it takes from it (news.* in both, on purpose). */
#define LN_CHANNELS                                                            \
	"    channels_out: [\"news.*\"]\n"                                     \
	"    channels_in: [\"alerts.*\", \"news.*\"]\n"

/* The pmessage frame (p: "*" or ">") of pattern pat, channel ch, text
 * data: in buf, returned. */
static const char *
ln_pmsg(char *buf, size_t len, const char *p, const char *pat, const char *ch,
    const char *data)
{
	snprintf(buf, len,
	    "%s4\r\n$8\r\npmessage\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n$%zu\r\n%"
	    "s\r\n",
	    p, strlen(pat), pat, strlen(ch), ch, strlen(data), data);
	return buf;
}

/* Fails unless fd's next bytes are the pmessage of pat, ch and data. */
static void
ln_expect_pmsg(
    int fd, const char *p, const char *pat, const char *ch, const char *data)
{
	char want[512];

	harness_expects(fd, ln_pmsg(want, sizeof(want), p, pat, ch, data));
}

/* Fails if fd has anything to read within ms milliseconds (the failure
 * shows it).  Only after a marker proved the order, so a short
 * deadline here is a last check, not a synchronisation. */
static void
ln_expect_quiet(int fd, int ms, const char *who)
{
	size_t len;
	int closed;
	char *got = harness_read_all(fd, ms, &len, &closed);

	ck_assert_msg(len == 0 && !closed, "%s got more: '%s'%s", who, got,
	    closed ? " (closed)" : "");
	free(got);
}

/* Hub and a node that forwards LN_CHANNELS, the link up. */
static void
ln_events_setup(void)
{
	char more[512];

	ln_setup();
	ln_hub_start();
	snprintf(more, sizeof(more),
	    "    user: node\n    token_file: %s/node.tok\n" LN_CHANNELS,
	    ln_dir);
	ln_node_start_as(&ln_node, more);
	harness_wait_log(&ln_node, "link hub up: 127.0.0.1:");
	harness_wait_log(&ln_hub, "link fs up from 127.0.0.1:");
}

/* 8. Events across a link: news.* out and in, alerts.* in, each message
 * once on each side (no echo back over the link), other.* kept home. */
START_TEST(test_node_events)
{
	int hsub, nsub, hpub, npub;
	size_t len;

	/* alice on the hub (RESP2) listens to news.* */
	hsub = ln_alice();
	LN_CMD(hsub, "PSUBSCRIBE", "news.*");
	harness_expects(
	    hsub, "*3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:1\r\n");
	/* a RESP3 client of the node listens to everything */
	nsub = harness_connect(ln_node.port);
	harness_sends(nsub, "HELLO 3\r\nPING\r\n");
	free(harness_read_until(nsub, "+PONG\r\n", &len));
	LN_CMD(nsub, "PSUBSCRIBE", "*");
	harness_expects(nsub, ">3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:1\r\n");
	/* the link's PSUBSCRIBE of channels_in has reached the hub */
	hpub = ln_alice();
	ln_wait_client_list(hpub, " psub=2 ");
	npub = harness_connect(ln_node.port);

	/* node -> hub: the node's subscriber once, the hub's once (2: the
	 * local subscriber and the link's channels_out) */
	LN_CMD(npub, "PUBLISH", "news.a", "hello");
	harness_expects(npub, ":2\r\n");
	ln_expect_pmsg(nsub, ">", "*", "news.a", "hello");
	ln_expect_pmsg(hsub, "*", "news.*", "news.a", "hello");
	/* hub -> node: alerts.x.  The hub has published news.a (its
	 * subscriber has it), so had it sent news.a back to the node, that
	 * would be ahead of alerts.x on the link: the next message the
	 * node's subscriber reads shows there was no echo. */
	LN_CMD(hpub, "PUBLISH", "alerts.x", "fire");
	harness_expects(hpub, ":1\r\n");
	ln_expect_pmsg(nsub, ">", "*", "alerts.x", "fire");
	/* news.b from the hub: on the hub and on the node, once each */
	LN_CMD(hpub, "PUBLISH", "news.b", "extra");
	harness_expects(hpub, ":2\r\n");
	ln_expect_pmsg(hsub, "*", "news.*", "news.b", "extra");
	ln_expect_pmsg(nsub, ">", "*", "news.b", "extra");
	/* A marker from the node: had the node sent news.b back, it would
	 * be ahead of the marker on the link. */
	LN_CMD(npub, "PUBLISH", "news.end", "m1");
	harness_expects(npub, ":2\r\n");
	ln_expect_pmsg(nsub, ">", "*", "news.end", "m1");
	ln_expect_pmsg(hsub, "*", "news.*", "news.end", "m1");
	/* other.x stays on the hub: the next thing the node gets is the
	 * marker published after it (nor did news.end come back). */
	LN_CMD(hpub, "PUBLISH", "other.x", "home");
	harness_expects(hpub, ":0\r\n");
	LN_CMD(hpub, "PUBLISH", "alerts.end", "m2");
	harness_expects(hpub, ":1\r\n");
	ln_expect_pmsg(nsub, ">", "*", "alerts.end", "m2");
	ln_expect_quiet(nsub, 200, "the node's subscriber");
	ln_expect_quiet(hsub, 200, "the hub's subscriber");
	close(npub);
	close(hpub);
	close(nsub);
	close(hsub);
}
END_TEST

/* Writes text as h's config and SIGHUPs it; waits for generation gen. */
static void
ln_reload(const struct harness *h, const char *text, int gen)
{
	char want[64];

	if (text != NULL)
		harness_write_file(h->conf, text);
	ck_assert_int_eq(kill(h->pid, SIGHUP), 0);
	snprintf(want, sizeof(want), "reloaded: registry generation %d\n", gen);
	harness_wait_log(h, want);
}

/* h's config with from replaced by to (once, it must be there). */
static char *
ln_conf_replace(const struct harness *h, const char *from, const char *to)
{
	size_t len;
	char *conf = harness_read_file(h->conf, &len), *at, *out;

	at = strstr(conf, from);
	ck_assert_msg(at != NULL, "no '%s' in:\n%s", from, conf);
	out = malloc(len + strlen(to) + 1);
	ck_assert_ptr_nonnull(out);
	sprintf(out, "%.*s%s%s", (int)(at - conf), conf, to, at + strlen(from));
	free(conf);
	return out;
}

/* Fails if h's log, from the first line holding from up to the first one
 * after it holding to, says text. */
static void
ln_log_between_lacks(
    const struct harness *h, const char *from, const char *to, const char *text)
{
	char *log = harness_log(h), *a, *b, *hit;

	ck_assert_ptr_nonnull(a = strstr(log, from));
	ck_assert_ptr_nonnull(b = strstr(a, to));
	hit = strstr(a, text);
	ck_assert_msg(hit == NULL || hit > b, "'%s' between '%s' and '%s':\n%s",
	    text, from, to, log);
	free(log);
}

/* 9a-b. Node reloads: the same link stays up; a changed export list
 * reconnects, and the hub sees the new list. */
START_TEST(test_node_reload_link)
{
	char *conf;
	int fd;

	/* (a) unchanged: nothing happens to the link */
	ln_reload(&ln_node, NULL, 2);
	harness_roundtrip(ln_node.port,
	    "*3\r\n$7\r\nhub.add\r\n$1\r\n1\r\n$1\r\n2\r\n", ":3\r\n");
	fd = ln_alice();
	LN_CMD(fd, "fs.add", "2", "3");
	harness_expects(fd, ":5\r\n");
	/* (b) sleep no longer exported */
	conf = ln_conf_replace(
	    &ln_node, "export: " LN_EXPORT "\n", "export: [add, incr, get]\n");
	ln_reload(&ln_node, conf, 3);
	free(conf);
	harness_wait_log(&ln_node,
	    "info: link hub: its settings changed: "
	    "reconnecting\n");
	ln_wait_count(&ln_node, "link hub up: ", 2);
	ln_wait_count(&ln_hub, "link fs up from 127.0.0.1:", 2);
	/* (a)'s apply, which ran before (b)'s, closed nothing */
	ln_log_between_lacks(&ln_node, "registry generation 2\n",
	    "its settings changed", "link hub down");
	/* logged just after the name is let go, so waited for */
	harness_wait_log(&ln_hub, "link fs down: connection from 127.0.0.1:");
	LN_CMD(fd, "fs.sleep", "1");
	harness_expects(fd,
	    "-ERR unknown command 'fs.sleep', with args "
	    "beginning with: '1' \r\n");
	LN_CMD(fd, "fs.add", "1", "2");
	harness_expects(fd, ":3\r\n");
	/* sleep exported again: the hub has it back */
	conf = ln_conf_replace(
	    &ln_node, "export: [add, incr, get]\n", "export: " LN_EXPORT "\n");
	ln_reload(&ln_node, conf, 4);
	free(conf);
	ln_wait_count(&ln_node, "its settings changed: reconnecting\n", 2);
	ln_wait_count(&ln_node, "link hub up: ", 3);
	ln_wait_count(&ln_hub, "link fs up from 127.0.0.1:", 3);
	LN_CMD(fd, "fs.sleep", "1");
	harness_expects(fd, ":1\r\n");
	close(fd);
	harness_roundtrip(ln_node.port,
	    "*3\r\n$7\r\nhub.add\r\n$1\r\n1\r\n$1\r\n2\r\n", ":3\r\n");
}
END_TEST

/* 9c. The node's links: removed: the link closes, both sides say so, and
 * hub.* is gone on the node. */
START_TEST(test_node_reload_removed)
{
	size_t len;
	char *conf = harness_read_file(ln_node.conf, &len), *at;

	ck_assert_ptr_nonnull(at = strstr(conf, "links:\n"));
	*at = '\0';
	ln_reload(&ln_node, conf, 2);
	free(conf);
	harness_wait_log(
	    &ln_node, "info: link hub: no longer configured: closed\n");
	harness_wait_log(&ln_hub, "link fs down: connection from 127.0.0.1:");
	harness_roundtrip(ln_node.port,
	    "*3\r\n$7\r\nhub.add\r\n$1\r\n1\r\n$1\r\n2\r\n",
	    "-ERR unknown command 'hub.add', with args beginning with: "
	    "'1' '2' \r\n");
	ln_http_expect(ln_node.port, "/links", 0, "[]");
}
END_TEST

/* 10. A hub reload keeps the link up. */
START_TEST(test_node_hub_reload)
{
	int fd;

	ln_reload(&ln_hub, NULL, 2);
	fd = ln_alice();
	LN_CMD(fd, "fs.add", "4", "5");
	harness_expects(fd, ":9\r\n");
	close(fd);
	harness_roundtrip(ln_node.port,
	    "*3\r\n$7\r\nhub.add\r\n$1\r\n4\r\n$1\r\n5\r\n", ":9\r\n");
	ck_assert_int_eq(harness_log_count(&ln_node, "link hub down"), 0);
	ck_assert_int_eq(harness_log_count(&ln_hub, "link fs down"), 0);
	ck_assert_int_eq(harness_log_count(&ln_node, "link hub up: "), 1);
}
END_TEST

/* ---- 1,000 nodes on one hub, played over raw RESP3 sockets. ---- */

#define LN_MANY 1000
/* The descriptor of one command, "upper s". */
#define LN_MANY_DESC                                                           \
	"[{\"name\":\"upper\",\"args\":[{\"name\":\"s\",\"type\":\"str\","     \
	"\"optional\":false,\"variadic\":false}],\"reply\":\"str\","           \
	"\"summary\":\"Upper-cases s\",\"flags\":[\"readonly\"]}]"

/* At least n descriptors for this process (the hub inherits them). */
static void
ln_raise_nofile(rlim_t n)
{
	struct rlimit rl;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur >= n)
		return;
	ck_assert_msg(rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= n,
	    "RLIMIT_NOFILE's hard limit %llu is under %llu",
	    (unsigned long long)rl.rlim_max, (unsigned long long)n);
	rl.rlim_cur = n;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

/* A raw node: logged in as node, registered as name; +OK. */
static int
ln_raw_node(const char *name)
{
	int fd = harness_connect(ln_hub.port);
	size_t len;
	char *got;

	/* Pipelined: HELLO's map, then LINK REGISTER's +OK. */
	LN_CMD(fd, "HELLO", "3", "AUTH", "node", node_tok);
	LN_CMD(fd, "LINK", "REGISTER", name, LN_MANY_DESC);
	got = harness_read_until(fd, "+OK\r\n", &len);
	ck_assert_msg(len > 5 && strncmp(got, "%", 1) == 0 &&
	        strcmp(got + len - 5, "+OK\r\n") == 0,
	    "%s: %s", name, got);
	free(got);
	return fd;
}

/* 11. 1,000 nodes: all registered, one called, all listed, the hub's
 * memory per link reported; all closed, each logged down. */
START_TEST(test_node_thousand)
{
	static int fds[LN_MANY];
	long before, after;
	char name[16], *body, *p;
	int i, n, fd;

	ln_raise_nofile(LN_MANY + 256);
	ln_hub_start();
	before = harness_rss_kb(&ln_hub);
	for (i = 0; i < LN_MANY; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		fds[i] = ln_raw_node(name);
	}
	after = harness_rss_kb(&ln_hub);
	printf("links_node: %d links: hub RSS %ld -> %ld kB, %.1f kB per "
	       "link\n",
	    LN_MANY, before, after, (double)(after - before) / LN_MANY);
	fflush(stdout);
	/* Under ASan every allocation has redzones and shadow, and freed
	 * memory waits in quarantine: the figure is only a sanity bound. */
	ck_assert_msg((after - before) <
	        (strcmp(harness_env("DUET_ASAN"), "1") == 0 ? 512L : 64L) *
	            LN_MANY,
	    "the hub grew %ld kB for %d links", after - before, LN_MANY);
	/* a client's call reaches the last node, whose answer comes back */
	fd = ln_alice();
	LN_CMD(fd, "n999.upper", "hello");
	harness_expects(fds[LN_MANY - 1],
	    ">4\r\n$4\r\ncall\r\n:1\r\n$5\r\nupper\r\n$7\r\n\x91\xa5hello\r\n");
	LN_CMD(fds[LN_MANY - 1], "LINK", "REPLY", "1", "\xa5HELLO");
	harness_expects(fds[LN_MANY - 1], "+OK\r\n");
	harness_expects(fd, "$5\r\nHELLO\r\n");
	close(fd);
	/* GET /links lists them all */
	body = ln_links(ln_hub.port, 1);
	for (n = 0, p = body; (p = strstr(p, "\"name\":")) != NULL; p++)
		n++;
	ck_assert_msg(n == LN_MANY, "GET /links lists %d links", n);
	ck_assert_msg(strstr(body,
	                  "{\"name\":\"n999\",\"role\":\"node\","
	                  "\"peer\":\"127.0.0.1:") != NULL,
	    "no n999 in GET /links");
	free(body);
	for (i = 0; i < LN_MANY; i++)
		close(fds[i]);
	ln_wait_count(&ln_hub, " down: connection from 127.0.0.1:", LN_MANY);
	ck_assert_int_eq(harness_log_count(&ln_hub, "link n999 down: "), 1);
}
END_TEST

static Suite *
links_events_suite(void)
{
	Suite *s = suite_create("links_events");
	TCase *tc;

	tc = tcase_create("events");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, ln_events_setup, ln_teardown);
	tcase_add_test(tc, test_node_events);
	suite_add_tcase(s, tc);

	tc = tcase_create("reload");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, ln_pair_setup, ln_teardown);
	tcase_add_test(tc, test_node_reload_link);
	tcase_add_test(tc, test_node_reload_removed);
	tcase_add_test(tc, test_node_hub_reload);
	suite_add_tcase(s, tc);

	tc = tcase_create("many");
	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, ln_setup, ln_teardown);
	tcase_add_test(tc, test_node_thousand);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(links_events_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
