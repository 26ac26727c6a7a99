/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of the hub's end of a link (SPEC 11), on a daemon
 * whose users are made by the test, with the node played over a raw
 * RESP3 socket so every byte is checked: LINK REGISTER, a call of
 * "<as>.<command>" from RESP and HTTP reaching the node as a push frame
 * and its LINK REPLY / LINK ERROR reaching the caller; a node that drops
 * with a call in flight (LINKDOWN dropped, 502) and calls while it is
 * down (LINKDOWN is down, 503); the refusals (RESP2, a user without
 * link, a name pinned to another, a name in use, a malformed descriptor,
 * 100,000 commands, an unknown call id, logged); GET /links; the node's
 * commands in the listings (COMMAND COUNT, LIST, INFO, DOCS, GET
 * /commands, /openapi.json), left out for a user whose rules leave them
 * out, and still listed in the grace after the node goes; and the
 * Python node of duet-link(7) run against the hub.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "certs.h"
#include "harness.h"

static struct harness lk_h;
static char node_tok[65], pinned_tok[65], alice_tok[65], carol_tok[65];

#define DESC_UPPER                                                             \
	"[{\"name\":\"upper\",\"args\":[{\"name\":\"s\",\"type\":\"str\","     \
	"\"optional\":false,\"variadic\":false}],\"reply\":\"str\","           \
	"\"summary\":\"Upper-cases s\",\"flags\":[\"readonly\"]}]"
/* The push frame of the first call of fs.upper hello. */
#define PUSH_HELLO                                                             \
	">4\r\n$4\r\ncall\r\n:1\r\n$5\r\nupper\r\n$7\r\n\x91\xa5hello\r\n"

static void
lk_setup(void)
{
	char yaml[1024], hn[65], hp[65], ha[65], hc[65];

	certs_token(node_tok);
	certs_token(pinned_tok);
	certs_token(alice_tok);
	certs_token(carol_tok);
	certs_token_hash(node_tok, hn);
	certs_token_hash(pinned_tok, hp);
	certs_token_hash(alice_tok, ha);
	certs_token_hash(carol_tok, hc);
	snprintf(yaml, sizeof(yaml),
	    "workers: 2\n"
	    "limits: {max_request_bytes: 8MiB}\n"
	    "auth:\n  users:\n"
	    "    - name: node\n      token_sha256: %s\n"
	    "      link: true\n"
	    "    - name: pinned\n      token_sha256: %s\n"
	    "      link: true\n      link_as: other\n"
	    "    - name: alice\n      token_sha256: %s\n"
	    "    - name: carol\n      token_sha256: %s\n"
	    "      commands: [\"*\", \"-fs.*\"]\n",
	    hn, hp, ha, hc);
	harness_start(&lk_h, NULL, yaml);
}

static void
lk_teardown(void)
{
	harness_stop(&lk_h);
}

/* Sends the words as one RESP array (each a bulk of strlen bytes). */
static void
lk_cmd(int fd, int n, const char *const *words, const size_t *lens)
{
	char head[64];
	int i;

	snprintf(head, sizeof(head), "*%d\r\n", n);
	harness_sends(fd, head);
	for (i = 0; i < n; i++) {
		size_t len = lens != NULL ? lens[i] : strlen(words[i]);

		snprintf(head, sizeof(head), "$%zu\r\n", len);
		harness_sends(fd, head);
		harness_send(fd, words[i], len);
		harness_sends(fd, "\r\n");
	}
}

/* A RESP3 connection logged in as user (token tok): HELLO answered. */
static int
lk_login(const char *user, const char *tok)
{
	const char *hello[] = {"HELLO", "3", "AUTH", user, tok};
	int fd = harness_connect(lk_h.port);
	size_t len;

	lk_cmd(fd, 5, hello, NULL);
	harness_sends(fd, "*1\r\n$4\r\nPING\r\n");
	free(harness_read_until(fd, "+PONG\r\n", &len));
	return fd;
}

/* A node registered as as with the descriptors json: LINK REGISTER's
 * answer is want. */
static int
lk_node(const char *user, const char *as, const char *json, const char *want)
{
	const char *reg[] = {"LINK", "REGISTER", as, json};
	int fd =
	    lk_login(user, strcmp(user, "pinned") == 0 ? pinned_tok : node_tok);

	lk_cmd(fd, 4, reg, NULL);
	harness_expects(fd, want);
	return fd;
}

/* user's RESP2 connection (token tok). */
static int
lk_client_as(const char *user, const char *tok)
{
	const char *auth[] = {"AUTH", user, tok};
	int fd = harness_connect(lk_h.port);

	lk_cmd(fd, 3, auth, NULL);
	harness_expects(fd, "+OK\r\n");
	return fd;
}

/* alice's RESP2 connection. */
static int
lk_client(void)
{
	return lk_client_as("alice", alice_tok);
}

/*
 * alice calls fs.upper hello; the node, which must get the call push,
 * answers LINK REPLY 1 with the msgpack value mp[0..len); alice must get
 * want.
 */
static void
lk_call_answered(const char *mp, size_t len, const char *want)
{
	const char *call[] = {"fs.upper", "hello"};
	const char *rep[] = {"LINK", "REPLY", "1", mp};
	size_t replens[] = {4, 5, 1, len};
	int node = lk_node("node", "fs", DESC_UPPER, "+OK\r\n");
	int cl = lk_client();

	lk_cmd(cl, 2, call, NULL);
	harness_expects(node, PUSH_HELLO);
	lk_cmd(node, 4, rep, replens);
	harness_expects(node, "+OK\r\n");
	harness_expects(cl, want);
	close(cl);
	close(node);
}

START_TEST(test_links_call_reply)
{
	lk_call_answered("\xa5HELLO", 6, "$5\r\nHELLO\r\n");
}
END_TEST

/* An answer that is not a scalar is unpacked into the call's own zone. */
START_TEST(test_links_call_reply_array)
{
	lk_call_answered("\x92\x01\xa1"
	                 "a",
	    4, "*2\r\n:1\r\n$1\r\na\r\n");
}
END_TEST

START_TEST(test_links_http_and_error)
{
	const char *err[] = {"LINK", "ERROR", "1", "ERR", "no such file"};
	const char *rep[] = {"LINK", "REPLY", "2",
	    "\xa3"
	    "ABC"};
	size_t replens[] = {4, 5, 1, 4};
	struct harness_http r;
	char req[256];
	int node = lk_node("node", "fs", DESC_UPPER, "+OK\r\n");
	int cl = harness_connect(lk_h.port);

	snprintf(req, sizeof(req),
	    "GET /fs.upper/hello HTTP/1.1\r\nHost: localhost\r\n"
	    "Authorization: Bearer %s\r\n\r\n",
	    alice_tok);
	harness_sends(cl, req);
	harness_expects(node, PUSH_HELLO);
	lk_cmd(node, 5, err, NULL);
	harness_expects(node, "+OK\r\n");
	harness_http_read(&r, cl, 0);
	ck_assert_int_eq(r.status, 500);
	ck_assert_str_eq(r.body,
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"no such file\"}}");
	harness_http_free(&r);
	snprintf(req, sizeof(req),
	    "GET /fs.upper/abc HTTP/1.1\r\nHost: localhost\r\n"
	    "Authorization: Bearer %s\r\n\r\n",
	    alice_tok);
	harness_sends(cl, req);
	harness_expects(node,
	    ">4\r\n$4\r\ncall\r\n:2\r\n$5\r\nupper\r\n$5\r\n\x91\xa3"
	    "abc\r\n");
	lk_cmd(node, 4, rep, replens);
	harness_expects(node, "+OK\r\n");
	harness_http_read(&r, cl, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "\"ABC\"");
	harness_http_free(&r);
	close(cl);
	close(node);
}
END_TEST

START_TEST(test_links_dropped_and_down)
{
	const char *call[] = {"fs.upper", "hello"};
	struct harness_http r;
	char req[256];
	int node = lk_node("node", "fs", DESC_UPPER, "+OK\r\n");
	int cl = lk_client(), web;

	lk_cmd(cl, 2, call, NULL);
	harness_expects(node, PUSH_HELLO);
	close(node);
	harness_expects(cl,
	    "-LINKDOWN link 'fs' dropped: the call may or "
	    "may not have run\r\n");
	lk_cmd(cl, 2, call, NULL);
	harness_expects(cl, "-LINKDOWN link 'fs' is down\r\n");
	web = harness_connect(lk_h.port);
	snprintf(req, sizeof(req),
	    "GET /fs.upper/x HTTP/1.1\r\nHost: localhost\r\n"
	    "Authorization: Bearer %s\r\n\r\n",
	    alice_tok);
	harness_sends(web, req);
	harness_http_read(&r, web, 0);
	ck_assert_int_eq(r.status, 503);
	harness_http_free(&r);
	harness_wait_log(&lk_h, "link fs down: connection from");
	/* The node comes back: the same name is free again. */
	node = lk_node("node", "fs", DESC_UPPER, "+OK\r\n");
	lk_cmd(cl, 2, call, NULL);
	harness_expects(node, PUSH_HELLO);
	close(node);
	harness_expects(cl,
	    "-LINKDOWN link 'fs' dropped: the call may or "
	    "may not have run\r\n");
	close(web);
	close(cl);
}
END_TEST

START_TEST(test_links_refusals)
{
	const char *reg[] = {"LINK", "REGISTER", "fs", DESC_UPPER};
	const char *rep[] = {"LINK", "REPLY", "99", "\xc0"};
	size_t replens[] = {4, 5, 2, 1};
	int node = lk_node("node", "fs", DESC_UPPER, "+OK\r\n"), fd;
	char *log;

	/* RESP2 */
	fd = harness_connect(lk_h.port);
	lk_cmd(fd, 3, (const char *[]){"AUTH", "node", node_tok}, NULL);
	harness_expects(fd, "+OK\r\n");
	lk_cmd(fd, 4, reg, NULL);
	harness_expects(
	    fd, "-ERR LINK REGISTER needs RESP3: send HELLO 3 first\r\n");
	close(fd);
	/* alice has no link: true */
	fd = lk_login("alice", alice_tok);
	lk_cmd(fd, 4, reg, NULL);
	harness_expects(
	    fd, "-NOPERM this user may not register a link as 'fs'\r\n");
	close(fd);
	/* pinned may only be "other" */
	close(lk_node("pinned", "fs", DESC_UPPER,
	    "-NOPERM this user may not register a link as 'fs'\r\n"));
	close(lk_node("pinned", "other", DESC_UPPER, "+OK\r\n"));
	/* the name is in use */
	close(lk_node(
	    "node", "fs", DESC_UPPER, "-ERR link name 'fs' is in use\r\n"));
	close(lk_node("node", "Bad.Name", DESC_UPPER,
	    "-ERR invalid link name: use 1 to 64 of a-z 0-9 _ -\r\n"));
	close(lk_node("node", "m", "not json",
	    "-ERR descriptors: invalid JSON at offset 1: invalid string in "
	    "json text.\r\n"));
	close(lk_node("node", "m", "[{\"name\":\"x\",\"args\":[{\"name\":1}]}]",
	    "-ERR command 'm.x': bad args\r\n"));
	close(lk_node("node", "m", "[{\"name\":\"x\"},{\"name\":\"x\"}]",
	    "-ERR command 'm.x' is declared twice\r\n"));
	/* an answer for a call never made */
	lk_cmd(node, 4, rep, replens);
	harness_expects(node, "-ERR unknown call id 99\r\n");
	harness_wait_log(&lk_h,
	    "link fs: an answer for unknown call id 99: "
	    "ignored");
	log = harness_log(&lk_h);
	ck_assert_ptr_null(strstr(log, node_tok));
	free(log);
	close(node);
}
END_TEST

/* 100,000 commands are refused whole, and the hub goes on. */
START_TEST(test_links_too_many)
{
	size_t n = 100000, i, len = 0;
	char *json = malloc(n * 24 + 2);
	const char *words[4] = {"LINK", "REGISTER", "big", NULL};
	int fd, cl;

	json[len++] = '[';
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(
		    json + len, "%s{\"name\":\"c%zu\"}", i ? "," : "", i);
	json[len++] = ']';
	json[len] = '\0';
	words[3] = json;
	fd = lk_login("node", node_tok);
	lk_cmd(fd, 4, words, NULL);
	harness_expects(fd,
	    "-ERR 100000 commands: a link may register at "
	    "most 4096\r\n");
	free(json);
	cl = lk_client();
	harness_sends(cl, "*1\r\n$4\r\nPING\r\n");
	harness_expects(cl, "+PONG\r\n");
	close(cl);
	close(fd);
}
END_TEST

START_TEST(test_links_list)
{
	struct harness_http r;
	char req[256];
	int node = lk_node("node", "fs", DESC_UPPER, "+OK\r\n");
	int web = harness_connect(lk_h.port);

	snprintf(req, sizeof(req),
	    "GET /links HTTP/1.1\r\nHost: localhost\r\n"
	    "Authorization: Bearer %s\r\n\r\n",
	    alice_tok);
	harness_sends(web, req);
	harness_http_read(&r, web, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body,
	    "[{\"name\":\"fs\",\"role\":\"node\",\"peer\":\"127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(r.body, "\"state\":\"up\",\"since\":"));
	ck_assert_ptr_nonnull(strstr(r.body,
	    "\"commands\":1,\"calls_in\":0,\"calls_out\":0,"
	    "\"errors_out\":0,\"last_error\":\"\"}]"));
	harness_http_free(&r);
	close(web);
	close(node);
}
END_TEST

/* The body of GET path with the token tok (NULL: none); status 200. */
static char *
lk_get(const char *path, const char *tok)
{
	struct harness_http r;
	char req[512], auth[128] = "";
	int fd = harness_connect(lk_h.port);
	char *body;

	if (tok != NULL)
		snprintf(
		    auth, sizeof(auth), "Authorization: Bearer %s\r\n", tok);
	snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n", path, auth);
	harness_sends(fd, req);
	harness_http_read(&r, fd, 0);
	ck_assert_int_eq(r.status, 200);
	body = strdup(r.body);
	harness_http_free(&r);
	close(fd);
	return body;
}

/* The integer COMMAND COUNT answers on the RESP2 connection fd. */
static long
lk_count(int fd)
{
	size_t len;
	char *s, *end;
	long n;

	harness_sends(fd, "*2\r\n$7\r\nCOMMAND\r\n$5\r\nCOUNT\r\n");
	s = harness_read_until(fd, "\r\n", &len);
	ck_assert_int_eq(s[0], ':');
	n = strtol(s + 1, &end, 10);
	ck_assert_str_eq(end, "\r\n");
	free(s);
	return n;
}

/* fs.upper's descriptor in GET /commands, the last one. */
#define LIST_UPPER                                                             \
	",{\"name\":\"fs.upper\",\"plugin\":null,\"link\":\"fs\",\"args\":"    \
	"[{\"name\":\"s\",\"type\":\"str\",\"optional\":false,"                \
	"\"variadic\":false}],\"reply\":\"str\",\"summary\":\"Upper-cases "    \
	"s\",\"usage\":\"fs.upper s:str\",\"flags\":[\"readonly\"]}]"
/* fs.upper in /openapi.json: its POST body and its GET parameters. */
#define OPENAPI_POST                                                           \
	"\"/fs.upper\":{\"post\":{\"operationId\":\"fs.upper\",\"summary\":"   \
	"\"Upper-cases s\",\"requestBody\":{\"content\":{\"application/"       \
	"json\":{\"schema\":{\"oneOf\":[{\"type\":\"array\",\"prefixItems\":"  \
	"[{\"type\":\"string\"}],\"minItems\":1,\"items\":false},{\"type\":"   \
	"\"object\",\"properties\":{\"s\":{\"type\":\"string\"}},"             \
	"\"required\":[\"s\"],\"additionalProperties\":false}]}}"
#define OPENAPI_GET                                                            \
	"\"get\":{\"operationId\":\"get_fs.upper\",\"summary\":\"Upper-cases " \
	"s\",\"parameters\":[{\"name\":\"s\",\"in\":\"query\",\"required\":"   \
	"true,\"schema\":{\"type\":\"string\"}}]"
/* COMMAND INFO fs.upper (RESP2). */
#define INFO_UPPER                                                             \
	"*1\r\n*10\r\n$8\r\nfs.upper\r\n:2\r\n*1\r\n+readonly\r\n:0\r\n"       \
	":0\r\n:0\r\n*0\r\n*0\r\n*0\r\n*0\r\n"

/* COMMAND LIST on fd: n names, fs.upper the last, after the plugins'. */
static void
lk_expect_list(int fd, long n)
{
	static const char tail[] = "$5\r\ncount\r\n$8\r\nfs.upper\r\n";
	char head[32];
	size_t len;
	char *s;

	harness_sends(fd, "*2\r\n$7\r\nCOMMAND\r\n$4\r\nLIST\r\n");
	s = harness_read_until(fd, tail, &len);
	snprintf(head, sizeof(head), "*%ld\r\n", n);
	ck_assert_uint_gt(len, strlen(tail));
	ck_assert_str_eq(s + len - strlen(tail), tail);
	ck_assert_int_eq(strncmp(s, head, strlen(head)), 0);
	free(s);
}

/* COMMAND DOCS fs.upper (RESP2): a module command since our version. */
static void
lk_expect_docs(int fd)
{
	char want[512];

	harness_sends(
	    fd, "*3\r\n$7\r\nCOMMAND\r\n$4\r\nDOCS\r\n$8\r\nfs.upper\r\n");
	snprintf(want, sizeof(want),
	    "*2\r\n$8\r\nfs.upper\r\n*8\r\n$7\r\nsummary\r\n$13\r\nUpper-cases "
	    "s\r\n$5\r\nsince\r\n$%zu\r\n%s\r\n$5\r\ngroup\r\n$6\r\nmodule\r\n"
	    "$9\r\narguments\r\n*1\r\n*4\r\n$4\r\nname\r\n$1\r\ns\r\n$4\r\n"
	    "type\r\n$6\r\nstring\r\n",
	    strlen(PACKAGE_VERSION), PACKAGE_VERSION);
	harness_expects(fd, want);
}

/*
 * fs.upper is among the n commands cl sees, in COMMAND COUNT, LIST, INFO
 * (asked as name: 8 bytes, any case), DOCS and GET /commands.
 */
static void
lk_expect_listed(int cl, long n, const char *name)
{
	char req[64];
	size_t len;
	char *s;

	ck_assert_int_eq(lk_count(cl), n);
	lk_expect_list(cl, n);
	snprintf(req, sizeof(req),
	    "*3\r\n$7\r\nCOMMAND\r\n$4\r\nINFO\r\n$8\r\n%s\r\n", name);
	harness_sends(cl, req);
	harness_expects(cl, INFO_UPPER);
	lk_expect_docs(cl);
	s = lk_get("/commands", alice_tok);
	len = strlen(s);
	ck_assert_uint_gt(len, strlen(LIST_UPPER));
	ck_assert_str_eq(s + len - strlen(LIST_UPPER), LIST_UPPER);
	free(s);
}

/* A registered node's commands are in every listing (SPEC 11). */
START_TEST(test_links_listed)
{
	int cl = lk_client(), node;
	long n = lk_count(cl);
	char *s;

	node = lk_node("node", "fs", DESC_UPPER, "+OK\r\n");
	lk_expect_listed(cl, n + 1, "FS.UPPER");
	s = lk_get("/openapi.json", alice_tok);
	ck_assert_ptr_nonnull(strstr(s, OPENAPI_POST));
	ck_assert_ptr_nonnull(strstr(s, OPENAPI_GET));
	free(s);
	close(node);
	close(cl);
}
END_TEST

/* A user whose rules leave fs.* out sees no fs command anywhere. */
START_TEST(test_links_listed_by_rules)
{
	int node = lk_node("node", "fs", DESC_UPPER, "+OK\r\n");
	int al = lk_client(), cl = lk_client_as("carol", carol_tok);
	char *s;

	ck_assert_int_eq(lk_count(cl), lk_count(al) - 1);
	harness_sends(
	    cl, "*3\r\n$7\r\nCOMMAND\r\n$4\r\nINFO\r\n$8\r\nfs.upper\r\n");
	harness_expects(cl, "*1\r\n$-1\r\n");
	harness_sends(
	    cl, "*3\r\n$7\r\nCOMMAND\r\n$4\r\nDOCS\r\n$8\r\nfs.upper\r\n");
	harness_expects(cl, "*0\r\n");
	harness_sends(cl, "*2\r\n$8\r\nfs.upper\r\n$1\r\nx\r\n");
	harness_expects(cl,
	    "-NOPERM User carol has no permissions to run the 'fs.upper' "
	    "command\r\n");
	s = lk_get("/commands", carol_tok);
	ck_assert_ptr_null(strstr(s, "fs.upper"));
	free(s);
	s = lk_get("/openapi.json", carol_tok);
	ck_assert_ptr_null(strstr(s, "fs.upper"));
	free(s);
	s = lk_get("/commands", NULL); /* no token: no linked command */
	ck_assert_ptr_null(strstr(s, "fs.upper"));
	free(s);
	close(cl);
	close(al);
	close(node);
}
END_TEST

/*
 * A node gone is still listed during its LINK_GRACE_SEC (30 s) of grace,
 * as its commands stay callable (LINKDOWN).  That it leaves the listings
 * after the grace is not tested here: it would take 30 s.
 */
START_TEST(test_links_listed_in_grace)
{
	int node = lk_node("node", "fs", DESC_UPPER, "+OK\r\n");
	int cl = lk_client();
	long n = lk_count(cl);

	close(node);
	harness_wait_log(&lk_h, "link fs down: connection from");
	lk_expect_listed(cl, n, "fs.upper");
	close(cl);
}
END_TEST

/* Debian 13's redis-py (RESP3), unpacked by tools/deps.sh. */
#define LK_REDISPY                                                             \
	"/var/cache/duetd-test/redis-py-6.1.0/usr/lib/python3/dist-packages"
/* How long the Python node may take to register, in milliseconds: past
 * the 20 s link_node_check.py itself waits, so its report is read. */
#define LK_PY_DEADLINE_MS 25000

/*
 * tests/integration/link_node_check.py --hold as a child logging in as
 * node: its stdin (*in) and stdout and stderr (the returned fd) are pipes.
 */
static int
lk_py_spawn(pid_t *pid, int *in)
{
	char tokfile[PATH_MAX], tok[80], cmd[2 * PATH_MAX + 160];
	int ip[2], op[2];

	ck_assert_msg(access(LK_REDISPY, R_OK) == 0,
	    "%s is missing: run tools/deps.sh as root (it unpacks Debian 13's "
	    "python3-redis there)",
	    LK_REDISPY);
	snprintf(tokfile, sizeof(tokfile), "%s/node.token", lk_h.dir);
	snprintf(tok, sizeof(tok), "%s\n", node_tok);
	harness_write_file(tokfile, tok);
	snprintf(cmd, sizeof(cmd),
	    "exec /usr/bin/python3 '%s/tests/integration/link_node_check.py' "
	    "'%s' %d node '%s' --hold",
	    harness_env("DUET_SRCDIR"), LK_REDISPY, lk_h.port, tokfile);
	ck_assert(pipe2(ip, O_CLOEXEC) == 0 && pipe2(op, O_CLOEXEC) == 0);
	*pid = fork();
	ck_assert_int_ge(*pid, 0);
	if (*pid == 0) {
		dup2(ip[0], 0);
		dup2(op[1], 1);
		dup2(op[1], 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(ip[0]);
	close(op[1]);
	*in = ip[1];
	return op[0];
}

/* Reads fd until its first line is whole, it closes or the deadline
 * passes; fails unless that line is "registered". */
static void
lk_py_registered(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	struct timespec ts;
	char buf[4096];
	size_t len = 0;
	long long deadline, now;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline =
	    ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 + LK_PY_DEADLINE_MS;
	buf[0] = '\0';
	while (strchr(buf, '\n') == NULL && len + 1 < sizeof(buf)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
		if (now >= deadline ||
		    poll(&pfd, 1, (int)(deadline - now)) != 1)
			break;
		if ((n = read(fd, buf + len, sizeof(buf) - len - 1)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	ck_assert_msg(strcmp(buf, "registered\n") == 0,
	    "the Python node did not register within %d ms: '%s'",
	    LK_PY_DEADLINE_MS, buf);
}

/*
 * The Python node of duet-link(7) (doc/examples/link_node.py) against
 * the hub: it registers as py, py.upper answers from redis-cli and curl,
 * and the link is down once the node is gone.
 */
START_TEST(test_links_python_node)
{
	struct harness_out o;
	char cmd[512];
	size_t len;
	pid_t pid;
	int in, out, closed, status;
	char *rest;

	out = lk_py_spawn(&pid, &in);
	lk_py_registered(out);
	harness_wait_log(&lk_h, "link py up from 127.0.0.1:");
	snprintf(cmd, sizeof(cmd),
	    "redis-cli -p %d --no-auth-warning -a %s py.upper hello", lk_h.port,
	    alice_tok);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_msg(o.status == 0, "redis-cli: %s", o.err);
	ck_assert_str_eq(o.out, "HELLO\n");
	harness_out_free(&o);
	snprintf(cmd, sizeof(cmd),
	    "curl -sS --max-time 10 -H 'Authorization: Bearer %s' "
	    "http://127.0.0.1:%d/py.upper/hello",
	    alice_tok, lk_h.port);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_msg(o.status == 0, "curl: %s", o.err);
	ck_assert_str_eq(o.out, "\"HELLO\"");
	harness_out_free(&o);
	/* Its stdin closed, link_node_check.py stops the node and exits. */
	close(in);
	rest = harness_read_all(out, HARNESS_TIMEOUT_MS, &len, &closed);
	ck_assert_msg(closed && len == 0, "after registered: '%s'", rest);
	free(rest);
	close(out);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "link_node_check.py: status 0x%x", status);
	harness_wait_log(&lk_h, "link py down: connection from 127.0.0.1:");
}
END_TEST

static Suite *
links_suite(void)
{
	Suite *s = suite_create("links");
	TCase *tc;

	tc = tcase_create("hub");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, lk_setup, lk_teardown);
	tcase_add_test(tc, test_links_call_reply);
	tcase_add_test(tc, test_links_call_reply_array);
	tcase_add_test(tc, test_links_http_and_error);
	tcase_add_test(tc, test_links_dropped_and_down);
	tcase_add_test(tc, test_links_refusals);
	tcase_add_test(tc, test_links_too_many);
	tcase_add_test(tc, test_links_list);
	tcase_add_test(tc, test_links_listed);
	tcase_add_test(tc, test_links_listed_by_rules);
	tcase_add_test(tc, test_links_listed_in_grace);
	suite_add_tcase(s, tc);
	tc = tcase_create("python");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, lk_setup, lk_teardown);
	tcase_add_test(tc, test_links_python_node);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(links_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
