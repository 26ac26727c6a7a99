/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of links (SPEC 11) between real daemons on loopback:
 * a node that dials its hub (link_client.c) and the hub's end
 * (builtin_link.c).  Calls both ways from RESP, redis-cli and curl; GET
 * /links on both; a hub that is down when the node starts (the redial
 * steps logged) and one that is restarted on the same port (the node is
 * up again within 2 s of the hub being ready); a cut with a call in
 * flight each way (SIGKILL: LINKDOWN dropped, 502; then is down, 503; no
 * call run twice); the refusals (wrong token, a user without link, a name
 * in use, seen from both sides); TLS (a CA, a wrong CA, a client
 * certificate); and a slow node that does not slow the hub.  Events,
 * reloads and 1,000 nodes are test_links_events.c's.
 *
 * The hub listens on a port picked by the harness and on a FIXED second
 * one (an extra listen item), which the node dials, so the hub can be
 * stopped and started again where the node expects it.  Both load the
 * bundled plugins (math's add, kv's incr and get) and demo (sleep, which
 * is BLOCKING).  Every wait is on a log line, a reply or a poll with a
 * deadline; nothing sleeps to synchronise.
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

START_TEST(test_node_both_ways)
{
	char cmd[512], *out, want[256];
	int fd;

	/* hub -> node */
	fd = ln_alice();
	LN_CMD(fd, "fs.add", "2", "3");
	harness_expects(fd, ":5\r\n");
	close(fd);
	snprintf(cmd, sizeof(cmd),
	    "redis-cli -p %d --user alice --pass %s --no-auth-warning "
	    "fs.add 2 3",
	    ln_hub.port, alice_tok);
	out = harness_run_ok(cmd);
	ck_assert_str_eq(out, "5\n");
	free(out);
	snprintf(cmd, sizeof(cmd),
	    "curl -sS -H 'Authorization: Bearer %s' "
	    "http://127.0.0.1:%d/fs.add/2/3",
	    alice_tok, ln_hub.port);
	out = harness_run_ok(cmd);
	ck_assert_str_eq(out, "5");
	free(out);
	ln_http_expect(ln_hub.port, "/fs.add/2/3", 1, "5");
	/* node -> hub */
	harness_roundtrip(ln_node.port,
	    "*3\r\n$7\r\nhub.add\r\n$1\r\n5\r\n"
	    "$1\r\n6\r\n",
	    ":11\r\n");
	snprintf(cmd, sizeof(cmd), "curl -sS http://127.0.0.1:%d/hub.add/5/6",
	    ln_node.port);
	out = harness_run_ok(cmd);
	ck_assert_str_eq(out, "11");
	free(out);
	/* GET /links on both */
	out = ln_links(ln_hub.port, 1);
	ck_assert_msg(strstr(out,
	                  "[{\"name\":\"fs\",\"role\":\"node\","
	                  "\"peer\":\"127.0.0.1:") != NULL,
	    "%s", out);
	ck_assert_msg(
	    strstr(out, "\"state\":\"up\",\"since\":") != NULL, "%s", out);
	ck_assert_msg(strstr(out,
	                  "\"commands\":4,\"calls_in\":0,"
	                  "\"calls_out\":4,\"errors_out\":0,"
	                  "\"last_error\":\"\"}]") != NULL,
	    "%s", out);
	free(out);
	out = ln_links(ln_node.port, 0);
	snprintf(want, sizeof(want),
	    "[{\"name\":\"hub\",\"role\":\"hub\",\"peer\":\"127.0.0.1:%d\","
	    "\"state\":\"up\",\"since\":",
	    ln_port);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_msg(strstr(out,
	                  "\"commands\":14,\"calls_in\":4,\"calls_out\":2,"
	                  "\"errors_out\":0,\"last_error\":\"\"}]") != NULL,
	    "%s", out);
	free(out);
}
END_TEST

/* 2. The hub is down when the node starts: redials logged step by step,
 * local calls served meanwhile; the hub starts and the link comes up. */
START_TEST(test_node_hub_down_first)
{
	char want[256], *line;
	int fd;

	ln_node_start(&ln_node);
	snprintf(want, sizeof(want),
	    "warn: link hub: cannot connect to 127.0.0.1:%d: Connection "
	    "refused; retrying in 100 ms\n",
	    ln_port);
	harness_wait_log(&ln_node, want);
	snprintf(want, sizeof(want),
	    "warn: link hub: cannot connect to 127.0.0.1:%d: Connection "
	    "refused; retrying in 200 ms\n",
	    ln_port);
	harness_wait_log(&ln_node, want);
	ck_assert_int_eq(harness_log_count(&ln_node, "retrying in 100 ms"), 1);
	ck_assert_int_eq(harness_log_count(&ln_node, "retrying in 200 ms"), 1);
	fd = harness_connect(ln_node.port);
	LN_CMD(fd, "add", "1", "2");
	harness_expects(fd, ":3\r\n");
	/* Down from the start: its commands are not known yet, but any
	 * name under it answers LINKDOWN, as a link that went down does. */
	LN_CMD(fd, "hub.add", "1", "2");
	harness_expects(fd, "-LINKDOWN link 'hub' is down\r\n");
	ln_hub_start();
	harness_wait_log(&ln_node, "link hub up: 127.0.0.1:");
	line = ln_log_line(&ln_node, "link hub up: ");
	snprintf(want, sizeof(want),
	    "link hub up: 127.0.0.1:%d as fs, 14 command(s) imported", ln_port);
	ck_assert_str_eq(line, want);
	free(line);
	LN_CMD(fd, "hub.add", "1", "2");
	harness_expects(fd, ":3\r\n");
	close(fd);
}
END_TEST

/* 3. The hub restarted on the same port: the node is up again within 2 s
 * of the hub being ready (SPEC 11: redial from 100 ms, doubling). */
START_TEST(test_node_hub_restart)
{
	long long ready, up;
	int fd;

	harness_stop(&ln_hub);
	harness_wait_log(
	    &ln_node, "info: link hub down (0 call(s) in flight)\n");
	harness_wait_log(&ln_node,
	    "warn: link hub: connection closed by the "
	    "other end; retrying in 100 ms\n");
	ln_hub_start();
	ready = ln_now_ms();
	up = ln_wait_count(&ln_node, "link hub up: ", 2);
	ck_assert_msg(up - ready <= 2000,
	    "the node came back %lld ms after the hub was ready", up - ready);
	fd = ln_alice();
	LN_CMD(fd, "fs.add", "20", "22");
	harness_expects(fd, ":42\r\n");
	close(fd);
	harness_roundtrip(ln_node.port,
	    "*3\r\n$7\r\nhub.add\r\n$1\r\n1\r\n$1\r\n1\r\n", ":2\r\n");
}
END_TEST

/* 4a. The node killed with calls of the hub's in flight (RESP and HTTP):
 * dropped (502), then down (503); a node that comes back; the hub's
 * counter, bumped from the node through the link, shows no call twice. */
START_TEST(test_node_cut_node)
{
	struct harness_http r;
	int fd, web, nfd;

	/* The node bumps a counter on the hub: once. */
	nfd = harness_connect(ln_node.port);
	LN_CMD(nfd, "hub.incr", "runs");
	harness_expects(nfd, ":1\r\n");
	close(nfd);
	fd = ln_alice();
	LN_CMD(fd, "fs.sleep", "3000");
	web = ln_http_send(ln_hub.port, "POST", "/fs.sleep/3000", 1);
	/* Both calls reached the node (counted before they are run). */
	ln_wait_links(&ln_node, "\"calls_in\":2,");
	ln_kill(&ln_node);
	harness_expects(fd,
	    "-LINKDOWN link 'fs' dropped: the call may or "
	    "may not have run\r\n");
	harness_http_read(&r, web, 0);
	ck_assert_str_eq(r.line, "HTTP/1.1 502 Bad Gateway");
	ck_assert_str_eq(r.body,
	    "{\"error\":{\"code\":\"LINKDOWN\",\"message\":\"link 'fs' "
	    "dropped: the call may or may not have run\"}}");
	harness_http_free(&r);
	close(web);
	LN_CMD(fd, "fs.sleep", "3000");
	harness_expects(fd, "-LINKDOWN link 'fs' is down\r\n");
	ln_http(&r, ln_hub.port, "POST", "/fs.sleep/3000", 1);
	ck_assert_str_eq(r.line, "HTTP/1.1 503 Service Unavailable");
	ck_assert_str_eq(r.body,
	    "{\"error\":{\"code\":\"LINKDOWN\",\"message\":\"link 'fs' is "
	    "down\"}}");
	harness_http_free(&r);
	harness_wait_log(&ln_hub, "link fs down: connection from 127.0.0.1:");
	/* A node comes back under the same name. */
	ln_node_start(&ln_node);
	harness_wait_log(&ln_node, "link hub up: 127.0.0.1:");
	LN_CMD(fd, "fs.add", "1", "2");
	harness_expects(fd, ":3\r\n");
	nfd = harness_connect(ln_node.port);
	LN_CMD(nfd, "hub.incr", "runs");
	harness_expects(nfd, ":2\r\n");
	close(nfd);
	close(fd);
}
END_TEST

/* 4b. The hub killed with a call of the node's in flight: dropped; the
 * hub back on its port; the node's counter, bumped by the hub through the
 * link before the cut, shows no call twice. */
START_TEST(test_node_cut_hub)
{
	int fd, nfd;

	fd = ln_alice();
	LN_CMD(fd, "fs.incr", "runs");
	harness_expects(fd, ":1\r\n");
	nfd = harness_connect(ln_node.port);
	LN_CMD(nfd, "hub.sleep", "3000");
	/* The hub runs it: the link's connection's last command is sleep. */
	ln_wait_client_list(fd, " cmd=sleep ");
	close(fd);
	ln_kill(&ln_hub);
	harness_expects(nfd,
	    "-LINKDOWN link 'hub' dropped: the call may or "
	    "may not have run\r\n");
	LN_CMD(nfd, "hub.add", "1", "2");
	harness_expects(nfd, "-LINKDOWN link 'hub' is down\r\n");
	harness_wait_log(
	    &ln_node, "info: link hub down (1 call(s) in flight)\n");
	ln_hub_start();
	ln_wait_count(&ln_node, "link hub up: ", 2);
	fd = ln_alice();
	LN_CMD(fd, "fs.incr", "runs");
	harness_expects(fd, ":2\r\n");
	close(fd);
	LN_CMD(nfd, "hub.add", "1", "2");
	harness_expects(nfd, ":3\r\n");
	close(nfd);
}
END_TEST

/* 7. A slow call on the node does not slow the hub. */
START_TEST(test_node_slow)
{
	long long t0;
	int fd, other;

	fd = ln_alice();
	LN_CMD(fd, "fs.sleep", "2000");
	ln_wait_links(&ln_node, "\"calls_in\":1,");
	other = ln_alice();
	t0 = ln_now_ms();
	LN_CMD(other, "PING");
	harness_expects(other, "+PONG\r\n");
	ck_assert_msg(ln_now_ms() - t0 < 500,
	    "the hub took %lld ms to answer while the node was busy",
	    ln_now_ms() - t0);
	/* Nor another call through the same link: the node's answers
	 * carry their ids and do not wait for the slow one's. */
	t0 = ln_now_ms();
	LN_CMD(other, "fs.add", "1", "1");
	harness_expects(other, ":2\r\n");
	ck_assert_msg(ln_now_ms() - t0 < 500,
	    "fs.add took %lld ms behind the node's slow call",
	    ln_now_ms() - t0);
	harness_expects(fd, ":2000\r\n");
	close(other);
	close(fd);
}
END_TEST

/* 5. A wrong token: refused by the hub, retried by the node. */
START_TEST(test_node_wrong_token)
{
	char more[256], *line;
	int fd;

	ln_hub_start();
	snprintf(more, sizeof(more),
	    "    user: node\n    token_file: %s/wrong.tok\n", ln_dir);
	ln_node_start_as(&ln_node, more);
	harness_wait_log(&ln_node, "retrying in 200 ms");
	line = ln_log_line(&ln_node, "link hub: login refused: ");
	ck_assert_str_eq(line,
	    "link hub: login refused: WRONGPASS invalid username-password "
	    "pair or user is disabled.; retrying in 100 ms");
	free(line);
	/* the hub stays fine */
	fd = ln_alice();
	LN_CMD(fd, "add", "1", "2");
	harness_expects(fd, ":3\r\n");
	LN_CMD(fd, "fs.add", "1", "2");
	harness_expects(fd,
	    "-ERR unknown command 'fs.add', with args "
	    "beginning with: '1' '2' \r\n");
	close(fd);
	line = harness_log(&ln_node);
	ck_assert_ptr_null(strstr(line, "0123456789abcdef"));
	free(line);
}
END_TEST

/* The hub by name: resolved on a thread of its own (the node serves
 * meanwhile), each address it has tried in turn; a name that does not
 * resolve is retried like a refused connection, the other link unharmed. */
START_TEST(test_node_by_name)
{
	char yaml[1024];
	int fd;

	ln_hub_start();
	snprintf(yaml, sizeof(yaml),
	    "links:\n"
	    "  - name: hub\n"
	    "    connect: localhost:%d\n"
	    "    as: fs\n"
	    "    import: [\"*\"]\n"
	    "    user: node\n"
	    "    token_file: %s/node.tok\n"
	    "  - name: nowhere\n"
	    "    connect: no-such-host.invalid:1\n"
	    "    as: gone\n"
	    "    user: node\n"
	    "    token_file: %s/node.tok\n",
	    ln_port, ln_dir, ln_dir);
	harness_start(&ln_node, NULL, yaml);
	harness_wait_log(&ln_node, "link hub up: ");
	harness_wait_log(&ln_node,
	    "warn: link nowhere: cannot resolve no-such-host.invalid: ");
	fd = harness_connect(ln_node.port);
	LN_CMD(fd, "hub.add", "1", "2");
	harness_expects(fd, ":3\r\n");
	LN_CMD(fd, "add", "2", "2");
	harness_expects(fd, ":4\r\n");
	close(fd);
}
END_TEST

/* 5. A user without link: true. */
START_TEST(test_node_no_link_user)
{
	char more[256], *line;

	ln_hub_start();
	snprintf(more, sizeof(more),
	    "    user: bob\n    token_file: %s/bob.tok\n", ln_dir);
	ln_node_start_as(&ln_node, more);
	harness_wait_log(&ln_node, "retrying in 200 ms");
	line = ln_log_line(&ln_node, "link hub: LINK REGISTER refused: ");
	ck_assert_str_eq(line,
	    "link hub: LINK REGISTER refused: NOPERM this user may not "
	    "register a link as 'fs'; retrying in 100 ms");
	free(line);
	line = ln_log_line(&ln_hub, "link fs refused from 127.0.0.1:");
	ck_assert_ptr_nonnull(line);
	ck_assert_msg(strstr(line, ": user bob may not link as that name") ==
	        line + strlen(line) -
	            strlen(": user bob may not link as that name"),
	    "%s", line);
	free(line);
	line = harness_log(&ln_node);
	ck_assert_ptr_null(strstr(line, bob_tok));
	free(line);
	line = harness_log(&ln_hub);
	ck_assert_ptr_null(strstr(line, bob_tok));
	free(line);
}
END_TEST

/* 5. Two nodes claiming the same name: the second is refused. */
START_TEST(test_node_name_in_use)
{
	char *line;
	int fd;

	ln_hub_start();
	ln_node_start(&ln_node);
	harness_wait_log(&ln_node, "link hub up: 127.0.0.1:");
	ln_node_start(&ln_node2);
	harness_wait_log(&ln_node2, "retrying in 200 ms");
	line = ln_log_line(&ln_node2, "link hub: LINK REGISTER refused: ");
	ck_assert_str_eq(line,
	    "link hub: LINK REGISTER refused: ERR link name 'fs' is in use; "
	    "retrying in 100 ms");
	free(line);
	line = ln_log_line(&ln_hub, "link fs refused from 127.0.0.1:");
	ck_assert_ptr_nonnull(line);
	ck_assert_msg(strstr(line, ": the name is in use") ==
	        line + strlen(line) - strlen(": the name is in use"),
	    "%s", line);
	free(line);
	/* the first link serves on */
	fd = ln_alice();
	LN_CMD(fd, "fs.add", "1", "2");
	harness_expects(fd, ":3\r\n");
	close(fd);
	ck_assert_int_eq(harness_log_count(&ln_node2, "link hub up"), 0);
}
END_TEST

/* The hub's TLS listener on ln_port (client certificates of ca asked,
 * optional), and a user whose certificate's common name is alice. */
static void
ln_tls_hub_start(void)
{
	char listen[512];

	snprintf(listen, sizeof(listen),
	    "  - address: 127.0.0.1:%d\n"
	    "    tls: {cert: %s/server.crt, key: %s/server.key, "
	    "client_ca: %s/ca.crt, verify_client: optional}\n",
	    ln_port, ln_dir, ln_dir, ln_dir);
	ln_hub_start_on(listen,
	    "    - name: certnode\n      tls_cn: alice\n      link: true\n");
}

/* 6. TLS with a CA and a token. */
START_TEST(test_node_tls_token)
{
	char more[512];
	int fd;

	ln_tls_hub_start();
	snprintf(more, sizeof(more),
	    "    tls: {ca: %s/ca.crt}\n"
	    "    user: node\n    token_file: %s/node.tok\n",
	    ln_dir, ln_dir);
	ln_node_start_as(&ln_node, more);
	harness_wait_log(&ln_node, "link hub up: 127.0.0.1:");
	fd = ln_alice();
	LN_CMD(fd, "fs.add", "2", "3");
	harness_expects(fd, ":5\r\n");
	close(fd);
	harness_roundtrip(ln_node.port,
	    "*3\r\n$7\r\nhub.add\r\n$1\r\n5\r\n$1\r\n6\r\n", ":11\r\n");
}
END_TEST

/* 6. A CA that did not sign the hub's certificate: refused, retried. */
START_TEST(test_node_tls_wrong_ca)
{
	char more[512], *line;
	int fd;

	ln_tls_hub_start();
	snprintf(more, sizeof(more),
	    "    tls: {ca: %s/other.crt}\n"
	    "    user: node\n    token_file: %s/node.tok\n",
	    ln_dir, ln_dir);
	ln_node_start_as(&ln_node, more);
	harness_wait_log(&ln_node, "link hub: ");
	line = ln_log_line(&ln_node, "warn: link tls: ");
	ck_assert_ptr_nonnull(line);
	/* The reason's words are OpenSSL's: only its frame is checked. */
	ln_assert_framed(line,
	    "warn: link tls: certificate verify failed: ", " (host 127.0.0.1)");
	free(line);
	/* it keeps retrying, one line per step */
	harness_wait_log(&ln_node, "; retrying in 200 ms\n");
	ck_assert_int_eq(
	    harness_log_count(&ln_node, "; retrying in 100 ms\n"), 1);
	ck_assert_int_ge(harness_log_count(&ln_node,
	                     "link tls: certificate verify "
	                     "failed: "),
	    2);
	ck_assert_int_eq(harness_log_count(&ln_node, "link hub up"), 0);
	/* the hub, which saw a failed handshake, serves on */
	harness_wait_log(&ln_hub, "failed: ");
	fd = ln_alice();
	LN_CMD(fd, "add", "1", "2");
	harness_expects(fd, ":3\r\n");
	close(fd);
}
END_TEST

/* 6. A node that logs in with its client certificate, no token. */
START_TEST(test_node_tls_client_cert)
{
	char more[512], *line;
	int fd;

	ln_tls_hub_start();
	snprintf(more, sizeof(more),
	    "    tls: {ca: %s/ca.crt, cert: %s/alice.crt, key: %s/alice.key}\n",
	    ln_dir, ln_dir, ln_dir);
	ln_node_start_as(&ln_node, more);
	harness_wait_log(&ln_node, "link hub up: 127.0.0.1:");
	line = ln_log_line(&ln_hub, "link fs up from 127.0.0.1:");
	ck_assert_ptr_nonnull(line);
	free(line);
	fd = ln_alice();
	LN_CMD(fd, "fs.add", "2", "3");
	harness_expects(fd, ":5\r\n");
	close(fd);
}
END_TEST

/* ---- Events across a link, reloads, and many nodes on one hub. ---- */

static Suite *
links_node_suite(void)
{
	Suite *s = suite_create("links_node");
	TCase *tc;

	tc = tcase_create("pair");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, ln_pair_setup, ln_teardown);
	tcase_add_test(tc, test_node_both_ways);
	tcase_add_test(tc, test_node_hub_restart);
	tcase_add_test(tc, test_node_cut_node);
	tcase_add_test(tc, test_node_cut_hub);
	tcase_add_test(tc, test_node_slow);
	suite_add_tcase(s, tc);

	tc = tcase_create("apart");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, ln_setup, ln_teardown);
	tcase_add_test(tc, test_node_hub_down_first);
	tcase_add_test(tc, test_node_wrong_token);
	tcase_add_test(tc, test_node_by_name);
	tcase_add_test(tc, test_node_no_link_user);
	tcase_add_test(tc, test_node_name_in_use);
	suite_add_tcase(s, tc);

	tc = tcase_create("tls");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, ln_tls_setup, ln_teardown);
	tcase_add_test(tc, test_node_tls_token);
	tcase_add_test(tc, test_node_tls_wrong_ca);
	tcase_add_test(tc, test_node_tls_client_cert);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(links_node_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
