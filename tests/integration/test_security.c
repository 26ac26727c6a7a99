/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of where the parts of SPEC section 9 meet, on one
 * daemon with a plain listener, a TLS listener that requires a client
 * certificate, a TLS listener without one, a unix socket and two
 * listeners with an access list: a verified certificate's CN is a user
 * (redis-cli, curl, CLIENT INFO and demo's whoami show it, RESET comes
 * back to it, AUTH leaves it); AUTH and HELLO AUTH as seen by whoami; a
 * unix socket peer's uid is a user while TCP stays unauthenticated; a
 * reload that takes a command from a user and adds another user while
 * RESP and HTTP clients pipeline, every reply valid; redis-py over TLS
 * with a token; and an access list that closes a peer before its valid
 * token is read.  Certificates and tokens are made at run time.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "certs.h"
#include "harness.h"

#define NOAUTH "-NOAUTH Authentication required.\r\n"
#define NOPERM(user, cmd)                                                      \
	"-NOPERM User " user " has no permissions to run the '" cmd            \
	"' command\r\n"
#define SUBJECT "CN=alice,O=Example" /* alice.crt's, RFC 2253 */

static struct harness sec_h;
static char sec_dir[64]; /* certificates, made once per test case */
static char sec_sock[128];
static char alice_tok[65], carol_tok[65];
static int sec_req_port;  /* TLS, client_ca: user backup by tls_cn */
static int sec_tls_port;  /* TLS, no client certificates */
static int sec_acc_port;  /* plain, access: allow 127.0.0.2 only */
static int sec_tacc_port; /* TLS, access: allow 127.0.0.2 only */

static void
sec_certs_setup(void)
{
	certs_make(sec_dir, sizeof(sec_dir));
	snprintf(sec_sock, sizeof(sec_sock), "%s/duet.sock", sec_dir);
	certs_token(alice_tok);
	certs_token(carol_tok);
}

static void
sec_certs_teardown(void)
{
	certs_remove(sec_dir);
}

/* A free port that is none of the n in used. */
static int
sec_port(const int *used, size_t n)
{
	size_t i;
	int port;

again:
	port = harness_pick_port();
	for (i = 0; i < n; i++)
		if (used[i] == port)
			goto again;
	return port;
}

/*
 * alice has a token and may call anything; backup is whoever shows a
 * client certificate with CN alice, and may call get (and the PUBLIC
 * whoami); ops is this uid over the unix socket and may call get.  The
 * auth section comes last, so that a reload can append a user.
 */
static void
sec_setup(void)
{
	char yaml[4096], ha[65], tls[512];
	int used[4];

	used[0] = sec_req_port = sec_port(used, 0);
	used[1] = sec_tls_port = sec_port(used, 1);
	used[2] = sec_acc_port = sec_port(used, 2);
	used[3] = sec_tacc_port = sec_port(used, 3);
	certs_token_hash(alice_tok, ha);
	snprintf(tls, sizeof(tls), "cert: %s/server.crt, key: %s/server.key",
	    sec_dir, sec_dir);
	snprintf(yaml, sizeof(yaml),
	    "  - address: 127.0.0.1:%d\n"
	    "    tls: {%s, client_ca: %s/ca.crt, verify_client: require}\n"
	    "  - address: 127.0.0.1:%d\n"
	    "    tls: {%s}\n"
	    "  - address: 127.0.0.1:%d\n"
	    "    access: {allow: [127.0.0.2/32]}\n"
	    "  - address: 127.0.0.1:%d\n"
	    "    tls: {%s}\n"
	    "    access: {allow: [127.0.0.2/32]}\n"
	    "  - address: unix:%s\n"
	    "workers: 2\n"
	    "auth:\n  users:\n"
	    "    - name: alice\n      token_sha256: %s\n"
	    "      commands: [\"*\"]\n"
	    "    - name: backup\n      tls_cn: alice\n"
	    "      commands: [get, whoami]\n"
	    "    - name: ops\n      unix_uid: [%d]\n"
	    "      commands: [get]\n",
	    sec_req_port, tls, sec_dir, sec_tls_port, tls, sec_acc_port,
	    sec_tacc_port, tls, sec_sock, ha, (int)getuid());
	harness_start(&sec_h, NULL, yaml);
}

static void
sec_teardown(void)
{
	harness_stop(&sec_h);
}

/* Sends req on fd and expects exactly want. */
static void
sec_call(int fd, const char *req, const char *want)
{
	harness_sends(fd, req);
	harness_expects(fd, want);
}

/* A new connection to the plain listener, logged in as alice. */
static int
sec_alice(void)
{
	int fd = harness_connect(sec_h.port);
	char line[128];

	snprintf(line, sizeof(line), "AUTH %s\r\n", alice_tok);
	sec_call(fd, line, "+OK\r\n");
	return fd;
}

/* Runs the shell command made by fmt and ap in the certificates' folder. */
static void
sec_vrun(struct harness_out *o, const char *fmt, va_list ap)
{
	char cmd[2048], full[2200];

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	snprintf(full, sizeof(full), "cd '%s' && %s", sec_dir, cmd);
	harness_run(o, full, NULL, 0);
}

/* The shell command made by fmt must exit 0 and print exactly want. */
static void __attribute__((format(printf, 2, 3)))
sec_expect(const char *want, const char *fmt, ...)
{
	struct harness_out o;
	va_list ap;

	va_start(ap, fmt);
	sec_vrun(&o, fmt, ap);
	va_end(ap);
	ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
	ck_assert_str_eq(o.out, want);
	harness_out_free(&o);
}

/* redis-cli on the certificate listener, with alice.crt. */
#define CLI_CERT                                                               \
	"redis-cli --tls --cacert ca.crt --cert alice.crt --key alice.key "    \
	"-p %d "
#define CURL_CERT                                                              \
	"curl -sS --max-time 10 --cacert ca.crt --cert alice.crt --key "       \
	"alice.key "

START_TEST(test_security_tls_cn_is_a_user)
{
	int fd = sec_alice();

	sec_call(fd, "SET k v\r\n", "+OK\r\n");
	close(fd);
	/* backup without AUTH: get yes, set no. */
	sec_expect("v\n", CLI_CERT "GET k", sec_req_port);
	sec_expect("NOPERM User backup has no permissions to run the 'set' "
	           "command\n\n",
	    CLI_CERT "SET k w", sec_req_port);
	sec_expect(" user=backup  tls-subject=" SUBJECT " \n",
	    CLI_CERT "CLIENT INFO | grep -o ' user=[a-z]* \\| tls-subject=[^ "
	             "]* ' | tr -d '\\n'; echo",
	    sec_req_port);
	sec_expect(
	    "user\nbackup\npeer\nPEER\nprotocol\nresp2\ntls_subject\n" SUBJECT
	    "\nname\n\n",
	    CLI_CERT "whoami | sed 's/^127\\.0\\.0\\.1:[0-9]*$/PEER/'",
	    sec_req_port);
	/* AUTH leaves it for alice; RESET comes back to backup. */
	sec_expect("OK\nOK\nRESET\nNOPERM User backup has no permissions to "
	           "run the 'set' command\n\nv2\n",
	    "printf 'AUTH %s\\nSET k v2\\nRESET\\nSET k v3\\nGET k\\n' "
	    "| " CLI_CERT,
	    alice_tok, sec_req_port);
	/* HTTP over the same listener: no token needed. */
	sec_expect("\"v2\" 200",
	    CURL_CERT "-w ' %%{http_code}' https://127.0.0.1:%d/get/k",
	    sec_req_port);
	sec_expect("{\"user\":\"backup\",\"peer\":\"PEER\",\"protocol\":"
	           "\"http\",\"tls_subject\":\"" SUBJECT "\",\"name\":null}\n",
	    CURL_CERT "https://127.0.0.1:%d/whoami | sed "
	              "'s/127\\.0\\.0\\.1:[0-9]*/PEER/'; echo",
	    sec_req_port);
	sec_expect("{\"error\":{\"code\":\"NOPERM\",\"message\":\"User "
	           "backup has no permissions to run the 'set' command\"}} 403",
	    CURL_CERT "-w ' %%{http_code}' -H 'Content-Type: application/json' "
	              "-d '[\"k\",\"x\"]' https://127.0.0.1:%d/set",
	    sec_req_port);
}
END_TEST

/* whoami's RESP2 reply (a flat map) for user (NULL: nil) on fd. */
static void
sec_whoami(int fd, const char *user, const char *proto)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	char peer[64], want[512], u[64];

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	snprintf(peer, sizeof(peer), "127.0.0.1:%d", ntohs(sin.sin_port));
	if (user == NULL)
		snprintf(u, sizeof(u), "$-1\r\n");
	else
		snprintf(u, sizeof(u), "$%zu\r\n%s\r\n", strlen(user), user);
	snprintf(want, sizeof(want),
	    "*10\r\n$4\r\nuser\r\n%s$4\r\npeer\r\n$%zu\r\n%s\r\n"
	    "$8\r\nprotocol\r\n$%zu\r\n%s\r\n$11\r\ntls_subject\r\n$-1\r\n"
	    "$4\r\nname\r\n$-1\r\n",
	    u, strlen(peer), peer, strlen(proto), proto);
	sec_call(fd, "whoami\r\n", want);
}

START_TEST(test_security_auth_then_whoami)
{
	int fd = harness_connect(sec_h.port);
	char line[256], want[512], peer[64];
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);

	/* PUBLIC: callable before AUTH, with no user. */
	sec_whoami(fd, NULL, "resp2");
	sec_call(fd, "GET k\r\n", NOAUTH);
	snprintf(line, sizeof(line), "AUTH %s\r\n", alice_tok);
	sec_call(fd, line, "+OK\r\n");
	sec_whoami(fd, "alice", "resp2");
	sec_call(fd, "AUTH nope\r\n",
	    "-WRONGPASS invalid username-password pair or user is "
	    "disabled.\r\n");
	sec_whoami(fd, "alice", "resp2");
	sec_call(fd, "RESET\r\n", "+RESET\r\n");
	sec_whoami(fd, NULL, "resp2");
	/* HELLO 3 AUTH ... SETNAME: a RESP3 map with every field. */
	snprintf(line, sizeof(line), "HELLO 3 AUTH alice %s SETNAME cli\r\n",
	    alice_tok);
	harness_sends(fd, line);
	free(harness_read_until(fd, "*0\r\n", &(size_t){0}));
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	snprintf(peer, sizeof(peer), "127.0.0.1:%d", ntohs(sin.sin_port));
	snprintf(want, sizeof(want),
	    "%%5\r\n$4\r\nuser\r\n$5\r\nalice\r\n$4\r\npeer\r\n$%zu\r\n%s\r\n"
	    "$8\r\nprotocol\r\n$5\r\nresp3\r\n$11\r\ntls_subject\r\n_\r\n"
	    "$4\r\nname\r\n$3\r\ncli\r\n",
	    strlen(peer), peer);
	sec_call(fd, "whoami\r\n", want);
	close(fd);
	/* Over HTTP: a Bearer token is alice; none is no user. */
	sec_expect("{\"user\":null,\"peer\":\"PEER\",\"protocol\":\"http\","
	           "\"tls_subject\":null,\"name\":null}\n"
	           "{\"user\":\"alice\",\"peer\":\"PEER\",\"protocol\":"
	           "\"http\",\"tls_subject\":null,\"name\":null}\n",
	    "{ curl -sS --max-time 10 http://127.0.0.1:%d/whoami && echo && "
	    "curl -sS --max-time 10 -H 'Authorization: Bearer %s' "
	    "http://127.0.0.1:%d/whoami && echo; } | "
	    "sed 's/127\\.0\\.0\\.1:[0-9]*/PEER/'",
	    sec_h.port, alice_tok, sec_h.port);
}
END_TEST

START_TEST(test_security_unix_uid_is_a_user)
{
	int fd = sec_alice();

	sec_call(fd, "SET k v\r\n", "+OK\r\n");
	close(fd);
	sec_expect(" user=ops \n",
	    "redis-cli -s '%s' CLIENT INFO | grep -o ' user=[a-z]* '",
	    sec_sock);
	sec_expect("v\n", "redis-cli -s '%s' GET k", sec_sock);
	sec_expect("NOPERM User ops has no permissions to run the 'set' "
	           "command\n\n",
	    "redis-cli -s '%s' SET k w", sec_sock);
	/* RESET: back to ops, the identity it started with. */
	sec_expect("RESET\nv\n",
	    "printf 'RESET\\nGET k\\n' | redis-cli -s '%s'", sec_sock);
	sec_expect("user\nops\npeer\nunix\nprotocol\nresp2\ntls_subject\n\n"
	           "name\n\n",
	    "redis-cli -s '%s' whoami", sec_sock);
	sec_expect("\"v\"",
	    "curl -sS --max-time 10 --unix-socket '%s' "
	    "http://localhost/get/k",
	    sec_sock);
	/* TCP from the same uid is nobody. */
	fd = harness_connect(sec_h.port);
	sec_call(fd, "GET k\r\n", NOAUTH);
	sec_call(fd, "CLIENT INFO\r\n", NOAUTH);
	close(fd);
	sec_expect("NOAUTH Authentication required.\n\n",
	    "redis-cli -p %d GET k", sec_h.port);
}
END_TEST

/* One GET k reply is at the head of buf (len bytes): 0 if incomplete. */
static size_t
sec_get_reply(const char *buf, size_t len, int *refused)
{
	static const char ok[] = "$1\r\nv\r\n";
	static const char no[] = NOPERM("alice", "get");
	const char *want = buf[0] == '-' ? no : ok;
	size_t n = buf[0] == '-' ? sizeof(no) - 1 : sizeof(ok) - 1;

	ck_assert_msg(memcmp(buf, want, len < n ? len : n) == 0,
	    "not a valid GET reply: %.*s", (int)len, buf);
	if (len < n)
		return 0;
	*refused = buf[0] == '-';
	return n;
}

#define SEC_BATCH 32 /* GETs sent at once */

/*
 * Sends SEC_BATCH GETs on fd and reads their replies, each "v" or
 * alice's NOPERM, never "v" again after a NOPERM (*refused set by the
 * first).  Returns how many were refused.
 */
static int
sec_get_batch(int fd, int *refused)
{
	char req[SEC_BATCH * 7 + 1] = "", buf[8192];
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	size_t len = 0, n;
	int i, got = 0, no = 0, r;
	ssize_t rd;

	for (i = 0; i < SEC_BATCH; i++)
		strcat(req, "GET k\r\n");
	harness_sends(fd, req);
	while (got < SEC_BATCH) {
		ck_assert_msg(poll(&pfd, 1, HARNESS_TIMEOUT_MS) == 1,
		    "no reply after %d of %d", got, SEC_BATCH);
		rd = read(fd, buf + len, sizeof(buf) - len);
		ck_assert_msg(rd > 0, "connection lost after %d replies", got);
		len += (size_t)rd;
		while (len > 0 && (n = sec_get_reply(buf, len, &r)) > 0) {
			ck_assert_msg(
			    !*refused || r, "GET served after NOPERM");
			*refused |= r;
			no += r;
			memmove(buf, buf + n, len - n);
			len -= n;
			got++;
		}
	}
	ck_assert_msg(len == 0, "more replies than requests");
	return no;
}

/* One GET /get/k on the keep-alive fd: 1 if refused (403), 0 if "v". */
static int
sec_http_get(int fd)
{
	struct harness_http r;
	char req[256];
	int refused;

	snprintf(req, sizeof(req),
	    "GET /get/k HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer %s\r\n\r\n",
	    alice_tok);
	harness_sends(fd, req);
	harness_http_read(&r, fd, 0);
	refused = r.status == 403;
	if (refused)
		ck_assert_str_eq(r.body,
		    "{\"error\":{\"code\":\"NOPERM\",\"message\":\"User alice "
		    "has no permissions to run the 'get' command\"}}");
	else
		harness_http_expects(&r, "HTTP/1.1 200 OK", NULL, "\"v\"");
	harness_http_free(&r);
	return refused;
}

START_TEST(test_security_reload_changes_users)
{
	int fd = sec_alice(), web = harness_connect(sec_h.port), other;
	int refused = 0, web_refused = 0, r, batches;
	char *text, *p, *yaml, hc[65], line[128];
	size_t n;

	sec_call(fd, "SET k v\r\n", "+OK\r\n");
	ck_assert_int_eq(sec_get_batch(fd, &refused), 0);
	ck_assert_int_eq(sec_http_get(web), 0);
	/* alice loses get; carol appears. */
	certs_token_hash(carol_tok, hc);
	text = harness_read_file(sec_h.conf, NULL);
	ck_assert_ptr_nonnull(p = strstr(text, "[\"*\"]"));
	n = strlen(text) + 256;
	ck_assert_ptr_nonnull(yaml = malloc(n));
	snprintf(yaml, n,
	    "%.*s[\"*\", \"-get\"]%s"
	    "    - name: carol\n      token_sha256: %s\n",
	    (int)(p - text), text, p + 5, hc);
	harness_write_file(sec_h.conf, yaml);
	free(yaml);
	free(text);
	ck_assert_int_eq(kill(sec_h.pid, SIGHUP), 0);
	/* Pipelining on until the new rules hold, every reply valid. */
	for (batches = 0; refused == 0 || web_refused == 0; batches++) {
		ck_assert_int_lt(batches, 100000);
		sec_get_batch(fd, &refused);
		r = sec_http_get(web);
		ck_assert_msg(!web_refused || r, "HTTP GET served after 403");
		web_refused |= r;
	}
	ck_assert_int_eq(sec_get_batch(fd, &refused), SEC_BATCH);
	harness_wait_log(&sec_h, "reloaded: registry generation 2");
	/* alice keeps the rest; carol logs in, here and anew. */
	sec_call(fd, "SET k w\r\n", "+OK\r\n");
	snprintf(line, sizeof(line), "AUTH carol %s\r\n", carol_tok);
	sec_call(fd, line, "+OK\r\n");
	sec_call(fd, "GET k\r\n", "$1\r\nw\r\n");
	other = harness_connect(sec_h.port);
	snprintf(line, sizeof(line), "AUTH %s\r\n", carol_tok);
	sec_call(other, line, "+OK\r\n");
	harness_sends(other, "CLIENT INFO\r\n");
	text = harness_read_until(other, "\n\r\n", &n);
	ck_assert_msg(strstr(text, " user=carol ") != NULL, "%s", text);
	free(text);
	close(other);
	close(web);
	close(fd);
}
END_TEST

static const char sec_py_tls[] =
    "import sys, redis\n"
    "def user(r):\n"
    "    # CLIENT INFO split as redis-py's client_list() does: 4.3's\n"
    "    # client_info() fails on the '=' of tls-subject=CN=...\n"
    "    info = r.execute_command('CLIENT', 'INFO').decode().split()\n"
    "    return dict(f.split('=', 1) for f in info)['user']\n"
    "port, req, tok = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]\n"
    "r = redis.Redis(host='127.0.0.1', port=port, ssl=True,\n"
    "                ssl_ca_certs='ca.crt', password=tok)\n"
    "print(r.ping(), r.set('py', 'v'), r.get('py'),\n"
    "      r.client_info()['user'], r.execute_command('whoami')[1])\n"
    "try:\n"
    "    redis.Redis(host='127.0.0.1', port=port, ssl=True,\n"
    "                ssl_ca_certs='ca.crt', password=tok + 'x').ping()\n"
    "except redis.RedisError as e:\n"
    "    print(type(e).__name__, e)\n"
    "c = redis.Redis(host='127.0.0.1', port=req, ssl=True,\n"
    "                ssl_ca_certs='ca.crt', ssl_certfile='alice.crt',\n"
    "                ssl_keyfile='alice.key')\n"
    "print(c.get('py'), user(c))\n"
    "c = redis.Redis(host='127.0.0.1', port=req, ssl=True,\n"
    "                ssl_ca_certs='ca.crt', ssl_certfile='alice.crt',\n"
    "                ssl_keyfile='alice.key', password=tok)\n"
    "print(c.set('py', 'w'), user(c))\n";

START_TEST(test_security_redis_py_tls_token)
{
	struct harness_out o;
	char cmd[256];

	/* Debian's python3-redis, whatever python3 is first on PATH. */
	snprintf(cmd, sizeof(cmd), "cd '%s' && /usr/bin/python3 - %d %d %s",
	    sec_dir, sec_tls_port, sec_req_port, alice_tok);
	harness_run(&o, cmd, sec_py_tls, sizeof(sec_py_tls) - 1);
	ck_assert_msg(o.status == 0, "python3: %s", o.err);
	ck_assert_str_eq(o.out,
	    "True True b'v' alice b'alice'\n"
	    "ResponseError WRONGPASS invalid username-password pair or user "
	    "is disabled.\n"
	    "b'v' backup\n"
	    "True alice\n");
	harness_out_free(&o);
}
END_TEST

/* Connects to 127.0.0.1:port from the loopback address src. */
static int
sec_connect_from(const char *src, int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(inet_pton(AF_INET, src, &sin.sin_addr), 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/*
 * From 127.0.0.1 to port, which allows 127.0.0.2 only: req (may be
 * NULL) gets no byte back, then the close.  The send may fail: the
 * daemon may have closed first, which is the point.
 */
static void
sec_refused(int port, const char *req)
{
	int fd = sec_connect_from("127.0.0.1", port);

	if (req != NULL)
		(void)send(fd, req, strlen(req), MSG_NOSIGNAL);
	harness_expect_close(fd, "");
	close(fd);
}

START_TEST(test_security_access_before_auth)
{
	char line[256];
	int fd;

	snprintf(line, sizeof(line), "AUTH %s\r\nPING\r\n", alice_tok);
	sec_refused(sec_acc_port, NULL);
	sec_refused(sec_acc_port, line);
	snprintf(line, sizeof(line),
	    "GET /get/k HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer %s\r\n\r\n",
	    alice_tok);
	sec_refused(sec_acc_port, line);
	sec_refused(sec_tacc_port, NULL);
	sec_expect("duetd_connections_refused_total{reason=\"access\"} 4\n",
	    "curl -sS --max-time 10 -H 'Authorization: Bearer %s' "
	    "http://127.0.0.1:%d/metrics | grep 'reason=\"access\"'",
	    alice_tok, sec_h.port);
	sec_expect("refused\n",
	    "redis-cli --tls --cacert ca.crt -p %d -a %s --no-auth-warning "
	    "PING >/dev/null 2>&1 && echo served || echo refused",
	    sec_tacc_port, alice_tok);
	/* 127.0.0.2 gets in, and still needs the token. */
	fd = sec_connect_from("127.0.0.2", sec_acc_port);
	sec_call(fd, "GET k\r\n", NOAUTH);
	snprintf(line, sizeof(line), "AUTH %s\r\n", alice_tok);
	sec_call(fd, line, "+OK\r\n");
	sec_call(fd, "GET k\r\n", "$-1\r\n");
	close(fd);
	/* redis-cli may try a second time when its handshake fails (it
	 * depends on when the close reaches it): 5 or 6 refusals. */
	sec_expect("access 5 or 6\n",
	    "curl -sS --max-time 10 -H 'Authorization: Bearer %s' "
	    "http://127.0.0.1:%d/metrics | grep -qE "
	    "'^duetd_connections_refused_total\\{reason=\"access\"\\} [56]$' "
	    "&& echo 'access 5 or 6'",
	    alice_tok, sec_h.port);
}
END_TEST

static Suite *
security_suite(void)
{
	Suite *s = suite_create("security");
	TCase *tc = tcase_create("seams");

	tcase_add_unchecked_fixture(tc, sec_certs_setup, sec_certs_teardown);
	tcase_add_checked_fixture(tc, sec_setup, sec_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_security_tls_cn_is_a_user);
	tcase_add_test(tc, test_security_auth_then_whoami);
	tcase_add_test(tc, test_security_unix_uid_is_a_user);
	tcase_add_test(tc, test_security_reload_changes_users);
	tcase_add_test(tc, test_security_redis_py_tls_token);
	tcase_add_test(tc, test_security_access_before_auth);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(security_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
