/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of channel rules and plugin publishing (SPEC 10), on
 * a daemon with two workers and two users: bob may use the channels
 * news.* only, alice (no channels key) every channel.  Over raw sockets,
 * exact bytes: bob's SUBSCRIBE secret, SUBSCRIBE news.a secret (refused
 * whole: the connection stays out of subscribed mode, and a later
 * SUBSCRIBE counts 1), PSUBSCRIBE * and PUBLISH secret x get Redis's
 * NOPERM text naming the channel as given (a NUL byte as \x00, a long
 * name cut at 128 bytes), while SUBSCRIBE news.a and PSUBSCRIBE news.*
 * are allowed and receive what alice publishes; demo's tick publishes
 * 0, 1, 2 from the blocking pool to a subscriber (RESP2 and RESP3) and
 * then answers 3, and refuses bad n and ms; the test plugin publish.so
 * calls duet_publish with nothing packed and with two values (-1, nothing
 * sent), with a value of 100000 bytes, and from a thread of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "certs.h"
#include "harness.h"

#define NOPERM(ch)                                                             \
	"-NOPERM User bob has no permissions to access the '" ch "' "          \
	"channel\r\n"
#define MSG(rest) "*3\r\n$7\r\nmessage\r\n" rest "\r\n"

static struct harness ch_h;
static char alice_tok[65], bob_tok[65];

static void
ch_setup(void)
{
	char yaml[1024], ha[65], hb[65];

	certs_token(alice_tok);
	certs_token(bob_tok);
	certs_token_hash(alice_tok, ha);
	certs_token_hash(bob_tok, hb);
	snprintf(yaml, sizeof(yaml),
	    "workers: 2\n"
	    "auth:\n  users:\n"
	    "    - name: alice\n      token_sha256: %s\n"
	    "    - name: bob\n      token_sha256: %s\n"
	    "      channels: [\"news.*\"]\n",
	    ha, hb);
	harness_start(&ch_h, NULL, yaml);
}

static void
ch_teardown(void)
{
	harness_stop(&ch_h);
}

/* Sends s on fd and expects exactly want back. */
static void
ch_call(int fd, const char *s, const char *want)
{
	harness_sends(fd, s);
	harness_expects(fd, want);
}

/* A new connection logged in as user with tok. */
static int
ch_login(const char *user, const char *tok)
{
	char line[256];
	int fd = harness_connect(ch_h.port);

	snprintf(line, sizeof(line), "AUTH %s %s\r\n", user, tok);
	ch_call(fd, line, "+OK\r\n");
	return fd;
}

/*
 * bob: every refusal is NOPERM naming the channel, and leaves the
 * connection with no subscription (PING answers +PONG, not RESP2's
 * subscribed-mode pong, and the first allowed SUBSCRIBE counts 1).
 */
/* SUBSCRIBE "news.\0b": a name with a NUL byte, as a multibulk. */
static const char nul_req[] = "*2\r\n$9\r\nSUBSCRIBE\r\n$7\r\nnews.\0b\r\n";

START_TEST(test_channels_refused)
{
	int fd = ch_login("bob", bob_tok);

	ch_call(fd, "SUBSCRIBE secret\r\n", NOPERM("secret"));
	ch_call(fd, "PING\r\n", "+PONG\r\n");
	ch_call(fd, "SUBSCRIBE news.a secret\r\n", NOPERM("secret"));
	ch_call(fd, "PING\r\n", "+PONG\r\n");
	ch_call(fd, "PSUBSCRIBE *\r\n", NOPERM("*"));
	ch_call(fd, "PSUBSCRIBE news*\r\n", NOPERM("news*"));
	ch_call(fd, "PUBLISH secret x\r\n", NOPERM("secret"));
	ch_call(fd, "PUBLISH News.a x\r\n", NOPERM("News.a"));
	/* a NUL byte never matches, and is shown escaped */
	harness_send(fd, nul_req, sizeof(nul_req) - 1);
	harness_expects(fd, NOPERM("news.\\x00b"));
	ch_call(fd, "PING\r\n", "+PONG\r\n");
	/* allowed: a channel, then a pattern whose text matches news.* */
	ch_call(fd, "PUBLISH news.a x\r\n", ":0\r\n");
	ch_call(fd, "SUBSCRIBE news.a\r\n",
	    "*3\r\n$9\r\nsubscribe\r\n$6\r\nnews.a\r\n:1\r\n");
	ch_call(fd, "PSUBSCRIBE news.*\r\n",
	    "*3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:2\r\n");
	close(fd);
}
END_TEST

/* A long refused name is repeated up to 128 bytes, as command names are. */
START_TEST(test_channels_refused_long_name)
{
	char req[512], want[512], name[301];
	int fd = ch_login("bob", bob_tok);

	memset(name, 'z', 300);
	name[300] = '\0';
	snprintf(
	    req, sizeof(req), "*2\r\n$9\r\nSUBSCRIBE\r\n$300\r\n%s\r\n", name);
	snprintf(want, sizeof(want),
	    "-NOPERM User bob has no permissions to access the '%.128s' "
	    "channel\r\n",
	    name);
	ch_call(fd, req, want);
	close(fd);
}
END_TEST

/* bob receives what alice publishes on news.a, once per match. */
START_TEST(test_channels_allowed_delivery)
{
	int bob = ch_login("bob", bob_tok),
	    alice = ch_login("alice", alice_tok);

	ch_call(bob, "SUBSCRIBE news.a\r\n",
	    "*3\r\n$9\r\nsubscribe\r\n$6\r\nnews.a\r\n:1\r\n");
	ch_call(bob, "PSUBSCRIBE news.*\r\n",
	    "*3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:2\r\n");
	/* alice has every channel (no channels key: ["*"]) */
	ch_call(alice, "PUBLISH secret x\r\n", ":0\r\n");
	ch_call(alice, "PUBLISH news.a hi\r\n", ":2\r\n");
	harness_expects(bob, MSG("$6\r\nnews.a\r\n$2\r\nhi"));
	harness_expects(bob,
	    "*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n"
	    "$6\r\nnews.a\r\n$2\r\nhi\r\n");
	close(bob);
	close(alice);
}
END_TEST

/*
 * demo's tick, on the blocking pool, publishes 0, 1, 2 (as JSON text in
 * one bulk string) to a RESP2 and a RESP3 subscriber, then answers 3.
 */
START_TEST(test_channels_tick)
{
	int sub2 = ch_login("alice", alice_tok);
	int sub3 = ch_login("bob", bob_tok);
	int pub = ch_login("alice", alice_tok);
	char *got;
	size_t len;

	ch_call(sub2, "SUBSCRIBE t\r\n",
	    "*3\r\n$9\r\nsubscribe\r\n$1\r\nt\r\n:1\r\n");
	harness_sends(sub3, "HELLO 3\r\n");
	got = harness_read_until(sub3, "proto\r\n:3\r\n", &len);
	free(got);
	got = harness_read_until(sub3, "modules\r\n*0\r\n", &len);
	free(got);
	ch_call(sub3, "SUBSCRIBE news.t\r\n",
	    ">3\r\n$9\r\nsubscribe\r\n$6\r\nnews.t\r\n:1\r\n");
	ch_call(pub, "tick t 3 10\r\n", ":3\r\n");
	harness_expects(sub2, MSG("$1\r\nt\r\n$1\r\n0"));
	harness_expects(sub2, MSG("$1\r\nt\r\n$1\r\n1"));
	harness_expects(sub2, MSG("$1\r\nt\r\n$1\r\n2"));
	ch_call(pub, "tick news.t 2 0\r\n", ":2\r\n");
	harness_expects(sub3,
	    ">3\r\n$7\r\nmessage\r\n$6\r\nnews.t\r\n$1\r\n0"
	    "\r\n>3\r\n$7\r\nmessage\r\n$6\r\nnews.t\r\n"
	    "$1\r\n1\r\n");
	/* RESP3: other commands keep working on the subscriber */
	ch_call(sub3, "PING\r\n", "+PONG\r\n");
	ch_call(pub, "tick t 0 0\r\n", ":0\r\n");
	ch_call(sub2, "PING\r\n", "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
	close(sub2);
	close(sub3);
	close(pub);
}
END_TEST

START_TEST(test_channels_tick_bad_args)
{
	int fd = ch_login("alice", alice_tok);

	ch_call(
	    fd, "tick t -1 0\r\n", "-ERR n must be between 0 and 1000000\r\n");
	ch_call(fd, "tick t 1000001 0\r\n",
	    "-ERR n must be between 0 and 1000000\r\n");
	ch_call(
	    fd, "tick t 1 -1\r\n", "-ERR ms must be between 0 and 60000\r\n");
	ch_call(fd, "tick t 1 60001\r\n",
	    "-ERR ms must be between 0 and 60000\r\n");
	close(fd);
}
END_TEST

/* The same daemon with the test plugin publish.so. */
static void
ch_plugin_setup(void)
{
	char yaml[1024], ha[65], hb[65];

	certs_token(alice_tok);
	certs_token(bob_tok);
	certs_token_hash(alice_tok, ha);
	certs_token_hash(bob_tok, hb);
	snprintf(yaml, sizeof(yaml),
	    "workers: 2\n"
	    "auth:\n  users:\n"
	    "    - name: alice\n      token_sha256: %s\n"
	    "    - name: bob\n      token_sha256: %s\n"
	    "      channels: [\"news.*\"]\n",
	    ha, hb);
	harness_start_with(&ch_h, "publish.so", yaml);
}

/*
 * duet_publish with nothing packed, or two values, is -1 and sends
 * nothing (the next message is the next good publish); from a thread of
 * the plugin's own, with call NULL, every value arrives in order.
 */
START_TEST(test_channels_plugin_publish)
{
	int sub = ch_login("alice", alice_tok);
	int pub = ch_login("alice", alice_tok);
	char *big;
	int n;

	ch_call(sub, "SUBSCRIBE p\r\n",
	    "*3\r\n$9\r\nsubscribe\r\n$1\r\np\r\n:1\r\n");
	ch_call(pub, "publish.none p\r\n", ":-1\r\n");
	ch_call(pub, "publish.two p\r\n", "*2\r\n:-1\r\n:1\r\n");
	harness_expects(sub, MSG("$1\r\np\r\n$3\r\none"));
	ch_call(pub, "publish.thread p 3\r\n", ":3\r\n");
	harness_expects(sub, MSG("$1\r\np\r\n$2\r\nt0"));
	harness_expects(sub, MSG("$1\r\np\r\n$2\r\nt1"));
	harness_expects(sub, MSG("$1\r\np\r\n$2\r\nt2"));
	ch_call(pub, "publish.thread nobody 2\r\n", ":0\r\n");
	/* a packer that grew past 64 KiB is given back, and works after */
	ch_call(pub, "publish.big p 100000\r\n", "*2\r\n:1\r\n:1\r\n");
	big = malloc(100100);
	ck_assert_ptr_nonnull(big);
	n = snprintf(
	    big, 100100, "*3\r\n$7\r\nmessage\r\n$1\r\np\r\n$100000\r\n");
	memset(big + n, 'x', 100000);
	memcpy(big + n + 100000, "\r\n", 2);
	harness_expect(sub, big, (size_t)n + 100002);
	free(big);
	harness_expects(sub, MSG("$1\r\np\r\n$1\r\n7"));
	ch_call(sub, "PING\r\n", "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
	close(sub);
	close(pub);
}
END_TEST

static Suite *
channels_suite(void)
{
	Suite *s = suite_create("channels");
	TCase *tc;

	tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, ch_setup, ch_teardown);
	tcase_add_test(tc, test_channels_refused);
	tcase_add_test(tc, test_channels_refused_long_name);
	tcase_add_test(tc, test_channels_allowed_delivery);
	suite_add_tcase(s, tc);
	tc = tcase_create("tick");
	tcase_add_checked_fixture(tc, ch_setup, ch_teardown);
	tcase_add_test(tc, test_channels_tick);
	tcase_add_test(tc, test_channels_tick_bad_args);
	suite_add_tcase(s, tc);
	tc = tcase_create("plugin");
	tcase_add_checked_fixture(tc, ch_plugin_setup, ch_teardown);
	tcase_add_test(tc, test_channels_plugin_publish);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(channels_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
