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
 * certificate); a slow node that does not slow the hub; events across
 * a link (channels_out and channels_in overlapping, each message once on
 * each side, proved by markers that follow them on the same path);
 * reloads of the node (a link unchanged, changed, removed) and of the
 * hub (every link stays up); and 1,000 nodes on one hub, played over raw
 * RESP3 sockets, with the hub's memory per link printed.
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

static struct harness ln_hub, ln_node, ln_node2;
static char ln_dir[64]; /* tokens (and certificates for TLS) */
static int ln_port;     /* the hub's fixed port, which nodes dial */
static char node_tok[65], alice_tok[65], bob_tok[65];

/* What the node exports and imports (see ln_node_start). */
#define LN_EXPORT "[add, sleep, incr, get]"

static long long
ln_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes tok into the file name in ln_dir. */
static void
ln_token_file(const char *name, const char *tok)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", ln_dir, name);
	harness_write_file(path, tok);
}

/* Tokens of the hub's users, in files the nodes read; the fixed port. */
static void
ln_tokens(void)
{
	certs_token(node_tok);
	certs_token(alice_tok);
	certs_token(bob_tok);
	ln_token_file("node.tok", node_tok);
	ln_token_file("bob.tok", bob_tok);
	ln_token_file("wrong.tok", "0123456789abcdef");
	ln_port = harness_pick_port();
}

static void
ln_setup(void)
{
	harness_tmpdir(ln_dir, sizeof(ln_dir));
	ln_tokens();
}

static void
ln_tls_setup(void)
{
	certs_make(ln_dir, sizeof(ln_dir));
	ln_tokens();
}

/* Stops h if it runs (a test may have killed it). */
static void
ln_stop(struct harness *h)
{
	if (h->pid > 0)
		harness_stop(h);
}

static void
ln_teardown(void)
{
	ln_stop(&ln_node2);
	ln_stop(&ln_node);
	ln_stop(&ln_hub);
	harness_rmdir(ln_dir);
}

/* SIGKILL: h is gone at once, its folder with it. */
static void
ln_kill(struct harness *h)
{
	int status;

	ck_assert_int_gt(h->pid, 0);
	ck_assert_int_eq(kill(h->pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(h->pid, &status, 0), h->pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	h->pid = 0;
	harness_rmdir(h->dir);
}

/*
 * Starts the hub: its fixed port ln_port (plain, or the listen item
 * listen if not NULL), users node (link: true), alice and bob (no link),
 * and more users in users (may be NULL).
 */
static void
ln_hub_start_on(const char *listen, const char *users)
{
	char yaml[4096], hn[65], ha[65], hb[65], item[64];

	certs_token_hash(node_tok, hn);
	certs_token_hash(alice_tok, ha);
	certs_token_hash(bob_tok, hb);
	snprintf(item, sizeof(item), "  - 127.0.0.1:%d\n", ln_port);
	snprintf(yaml, sizeof(yaml),
	    "%s"
	    "workers: 2\n"
	    "auth:\n  users:\n"
	    "    - name: node\n      token_sha256: %s\n"
	    "      link: true\n"
	    "    - name: alice\n      token_sha256: %s\n"
	    "    - name: bob\n      token_sha256: %s\n"
	    "%s",
	    listen != NULL ? listen : item, hn, ha, hb,
	    users != NULL ? users : "");
	harness_start(&ln_hub, NULL, yaml);
}

static void
ln_hub_start(void)
{
	ln_hub_start_on(NULL, NULL);
}

/*
 * Starts a node whose link "hub" dials ln_port as fs, exporting
 * LN_EXPORT, importing everything, with the link keys more (its login:
 * token_file, user, tls).
 */
static void
ln_node_start_as(struct harness *h, const char *more)
{
	char yaml[2048];

	snprintf(yaml, sizeof(yaml),
	    "links:\n"
	    "  - name: hub\n"
	    "    connect: 127.0.0.1:%d\n"
	    "    as: fs\n"
	    "    export: " LN_EXPORT "\n"
	    "    import: [\"*\"]\n"
	    "%s",
	    ln_port, more);
	harness_start(h, NULL, yaml);
}

/* The node logging in as user node with its token file. */
static void
ln_node_start(struct harness *h)
{
	char more[256];

	snprintf(more, sizeof(more),
	    "    user: node\n    token_file: %s/node.tok\n", ln_dir);
	ln_node_start_as(h, more);
}

/* How many times text is in h's log. */
static int
ln_log_count(const struct harness *h, const char *text)
{
	char *log = harness_log(h), *p = log;
	int n = 0;

	while ((p = strstr(p, text)) != NULL) {
		n++;
		p += strlen(text);
	}
	free(log);
	return n;
}

/* Waits until text is n times in h's log; fails after the harness's
 * deadline.  Returns when it saw it (ln_now_ms). */
static long long
ln_wait_count(const struct harness *h, const char *text, int n)
{
	long long deadline = ln_now_ms() + HARNESS_TIMEOUT_MS;
	struct timespec pause = {0, 2 * 1000 * 1000};

	while (ln_log_count(h, text) < n) {
		if (ln_now_ms() > deadline) {
			char *log = harness_log(h);

			ck_abort_msg("the log never said '%s' %d times:\n%s",
			    text, n, log);
		}
		nanosleep(&pause, NULL);
	}
	return ln_now_ms();
}

/*
 * The first line of h's log that holds text, from text to its end (no
 * newline), owned by the caller; NULL if none.
 */
static char *
ln_log_line(const struct harness *h, const char *text)
{
	char *log = harness_log(h), *p, *line = NULL;

	if ((p = strstr(log, text)) != NULL)
		line = strndup(p, strcspn(p, "\n"));
	free(log);
	return line;
}

/*
 * Fails unless line (may be NULL) begins with head and ends with tail,
 * with a port number (digits) or other words between them.
 */
static void
ln_assert_framed(const char *line, const char *head, const char *tail)
{
	size_t len, hl = strlen(head), tl = strlen(tail);

	ck_assert_msg(line != NULL, "no line beginning '%s'", head);
	len = strlen(line);
	ck_assert_msg(len > hl + tl && strncmp(line, head, hl) == 0 &&
	        strcmp(line + len - tl, tail) == 0,
	    "'%s' is not '%s...%s'", line, head, tail);
}

/*
 * Sends the words as one RESP array, in one write: a command whose name
 * arrives before its arguments gets an unknown-command error without
 * them (see the report of this branch).
 */
static void
ln_cmd(int fd, int n, const char *const *words)
{
	char buf[1024];
	size_t len;
	int i;

	len = (size_t)snprintf(buf, sizeof(buf), "*%d\r\n", n);
	for (i = 0; i < n; i++) {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "$%zu\r\n%s\r\n", strlen(words[i]), words[i]);
		ck_assert_uint_lt(len, sizeof(buf));
	}
	harness_send(fd, buf, len);
}

#define LN_CMD(fd, ...)                                                        \
	ln_cmd(fd, sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *),     \
	    (const char *[]){__VA_ARGS__})

/* alice's RESP2 connection to the hub. */
static int
ln_alice(void)
{
	int fd = harness_connect(ln_hub.port);

	LN_CMD(fd, "AUTH", "alice", alice_tok);
	harness_expects(fd, "+OK\r\n");
	return fd;
}

/* Sends an HTTP request (with alice's token if tok) on a new connection;
 * returns the connection. */
static int
ln_http_send(int port, const char *method, const char *path, int tok)
{
	char req[512], auth[128] = "";
	int fd = harness_connect(port);

	if (tok)
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n",
		    alice_tok);
	snprintf(req, sizeof(req),
	    "%s %s HTTP/1.1\r\nHost: localhost\r\n%sContent-Length: 0\r\n\r\n",
	    method, path, auth);
	harness_sends(fd, req);
	return fd;
}

/* One HTTP request; fills r. */
static void
ln_http(struct harness_http *r, int port, const char *method, const char *path,
    int tok)
{
	int fd = ln_http_send(port, method, path, tok);

	harness_http_read(r, fd, 0);
	close(fd);
}

/* Fails unless GET path answers 200 with exactly body. */
static void
ln_http_expect(int port, const char *path, int tok, const char *body)
{
	struct harness_http r;

	ln_http(&r, port, "GET", path, tok);
	ck_assert_str_eq(r.line, "HTTP/1.1 200 OK");
	ck_assert_str_eq(r.body, body);
	harness_http_free(&r);
}

/* GET /links of a daemon (the hub with alice's token): the body, owned. */
static char *
ln_links(int port, int tok)
{
	struct harness_http r;
	char *body;

	ln_http(&r, port, "GET", "/links", tok);
	ck_assert_int_eq(r.status, 200);
	body = r.body;
	r.body = NULL;
	harness_http_free(&r);
	return body;
}

/*
 * Waits until the node's GET /links holds text: how a test knows a call
 * from the hub has reached the node (its calls_in counts it before it is
 * dispatched).  Fails after the harness's deadline.
 */
static void
ln_wait_links(const struct harness *h, const char *text)
{
	long long deadline = ln_now_ms() + HARNESS_TIMEOUT_MS;
	char *body;

	for (;;) {
		body = ln_links(h->port, 0);
		if (strstr(body, text) != NULL)
			break;
		ck_assert_msg(ln_now_ms() < deadline,
		    "GET /links never said '%s':\n%s", text, body);
		free(body);
	}
	free(body);
}

/* Waits until the hub's CLIENT LIST (asked as alice on fd) holds text. */
static void
ln_wait_client_list(int fd, const char *text)
{
	long long deadline = ln_now_ms() + HARNESS_TIMEOUT_MS;
	size_t len;
	char *got;

	for (;;) {
		LN_CMD(fd, "CLIENT", "LIST");
		/* a bulk whose every line ends with \n */
		got = harness_read_until(fd, "\n\r\n", &len);
		if (strstr(got, text) != NULL)
			break;
		ck_assert_msg(ln_now_ms() < deadline,
		    "CLIENT LIST never said '%s':\n%s", text, got);
		free(got);
	}
	free(got);
}

/* Runs cmd with the shell: its stdout, which must be exit status 0. */
static char *
ln_run(const char *cmd)
{
	struct harness_out o;
	char *out;

	harness_run(&o, cmd, NULL, 0);
	ck_assert_msg(o.status == 0, "%s: %d %s", cmd, o.status, o.err);
	out = o.out;
	o.out = NULL;
	harness_out_free(&o);
	return out;
}

/* Hub and node up, the node's link to the hub up. */
static void
ln_pair_setup(void)
{
	ln_setup();
	ln_hub_start();
	ln_node_start(&ln_node);
	harness_wait_log(&ln_node, "link hub up: 127.0.0.1:");
	harness_wait_log(&ln_hub, "link fs up from 127.0.0.1:");
}

/* 1. Calls both ways, from RESP, redis-cli and curl; GET /links. */
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
	out = ln_run(cmd);
	ck_assert_str_eq(out, "5\n");
	free(out);
	snprintf(cmd, sizeof(cmd),
	    "curl -sS -H 'Authorization: Bearer %s' "
	    "http://127.0.0.1:%d/fs.add/2/3",
	    alice_tok, ln_hub.port);
	out = ln_run(cmd);
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
	out = ln_run(cmd);
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
	ck_assert_int_eq(ln_log_count(&ln_node, "retrying in 100 ms"), 1);
	ck_assert_int_eq(ln_log_count(&ln_node, "retrying in 200 ms"), 1);
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
	ck_assert_int_eq(ln_log_count(&ln_node2, "link hub up"), 0);
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
	ck_assert_int_eq(ln_log_count(&ln_node, "; retrying in 100 ms\n"), 1);
	ck_assert_int_ge(ln_log_count(&ln_node,
	                     "link tls: certificate verify "
	                     "failed: "),
	    2);
	ck_assert_int_eq(ln_log_count(&ln_node, "link hub up"), 0);
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
	ck_assert_int_eq(ln_log_count(&ln_node, "link hub down"), 0);
	ck_assert_int_eq(ln_log_count(&ln_hub, "link fs down"), 0);
	ck_assert_int_eq(ln_log_count(&ln_node, "link hub up: "), 1);
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
	ck_assert_msg((after - before) < 64L * LN_MANY,
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
	ck_assert_int_eq(ln_log_count(&ln_hub, "link n999 down: "), 1);
}
END_TEST

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
	SRunner *sr = srunner_create(links_node_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
