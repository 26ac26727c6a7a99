/* SPDX-License-Identifier: MIT */
/*
 * links_pair - the hub and nodes of the links integration tests (see
 * links_pair.h).
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

struct harness ln_hub, ln_node, ln_node2;
char ln_dir[64]; /* tokens (and certificates for TLS) */
int ln_port;     /* the hub's fixed port, which nodes dial */
char node_tok[65], alice_tok[65], bob_tok[65];

long long
ln_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes tok into the file name in ln_dir. */
void
ln_token_file(const char *name, const char *tok)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", ln_dir, name);
	harness_write_file(path, tok);
}

/* Tokens of the hub's users, in files the nodes read; the fixed port. */
void
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

void
ln_setup(void)
{
	harness_tmpdir(ln_dir, sizeof(ln_dir));
	ln_tokens();
}

void
ln_tls_setup(void)
{
	certs_make(ln_dir, sizeof(ln_dir));
	ln_tokens();
}

/* Stops h if it runs (a test may have killed it). */
void
ln_stop(struct harness *h)
{
	if (h->pid > 0)
		harness_stop(h);
}

void
ln_teardown(void)
{
	ln_stop(&ln_node2);
	ln_stop(&ln_node);
	ln_stop(&ln_hub);
	harness_rmdir(ln_dir);
}

/* SIGKILL: h is gone at once, its folder with it. */
void
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
void
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

void
ln_hub_start(void)
{
	ln_hub_start_on(NULL, NULL);
}

/*
 * Starts a node whose link "hub" dials ln_port as fs, exporting
 * LN_EXPORT, importing everything, with the link keys more (its login:
 * token_file, user, tls).
 */
void
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
void
ln_node_start(struct harness *h)
{
	char more[256];

	snprintf(more, sizeof(more),
	    "    user: node\n    token_file: %s/node.tok\n", ln_dir);
	ln_node_start_as(h, more);
}

/* Waits until text is n times in h's log; fails after the harness's
 * deadline.  Returns when it saw it (ln_now_ms). */
long long
ln_wait_count(const struct harness *h, const char *text, int n)
{
	long long deadline = ln_now_ms() + HARNESS_TIMEOUT_MS;
	struct timespec pause = {0, 2 * 1000 * 1000};

	while (harness_log_count(h, text) < n) {
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
char *
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
void
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
void
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

/* alice's RESP2 connection to the hub. */
int
ln_alice(void)
{
	int fd = harness_connect(ln_hub.port);

	LN_CMD(fd, "AUTH", "alice", alice_tok);
	harness_expects(fd, "+OK\r\n");
	return fd;
}

/* Sends an HTTP request (with alice's token if tok) on a new connection;
 * returns the connection. */
int
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
void
ln_http(struct harness_http *r, int port, const char *method, const char *path,
    int tok)
{
	int fd = ln_http_send(port, method, path, tok);

	harness_http_read(r, fd, 0);
	close(fd);
}

/* Fails unless GET path answers 200 with exactly body. */
void
ln_http_expect(int port, const char *path, int tok, const char *body)
{
	struct harness_http r;

	ln_http(&r, port, "GET", path, tok);
	ck_assert_str_eq(r.line, "HTTP/1.1 200 OK");
	ck_assert_str_eq(r.body, body);
	harness_http_free(&r);
}

/* GET /links of a daemon (the hub with alice's token): the body, owned. */
char *
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
void
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
void
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

/* Hub and node up, the node's link to the hub up. */
void
ln_pair_setup(void)
{
	ln_setup();
	ln_hub_start();
	ln_node_start(&ln_node);
	harness_wait_log(&ln_node, "link hub up: 127.0.0.1:");
	harness_wait_log(&ln_hub, "link fs up from 127.0.0.1:");
}

/* 1. Calls both ways, from RESP, redis-cli and curl; GET /links. */
