/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of TLS listeners (SPEC section 9.4) with real
 * clients: redis-cli --tls, curl https, redis-py ssl=True and openssl
 * s_client; client certificates (verified, from another CA, expired,
 * missing) under verify_client require and optional; TLS 1.1 and 1.2
 * refused where they must be; ALPN; plain HTTP, garbage, a stalled half
 * ClientHello, a disconnect mid-handshake and a truncated record; 1000
 * handshakes from 50 clients while another client is served; a reload
 * with a bad key (the old certificate serves on) and with a new
 * certificate (new connections get it, open ones go on); config errors
 * from duetd -t.  Certificates are made at run time with the openssl CLI.
 */
#include "autoconf.h"

#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "certs.h"
#include "harness.h"

static struct harness tls_h;
static char tls_dir[64]; /* the certificates, made once per test case */
static int tls_opt_port; /* verify_client: optional */
static int tls_req_port; /* client_ca, verify_client: require (default) */
static int tls_v13_port; /* protocols: [TLSv1.3], no client_ca */

#define PLAIN_400                                                              \
	"HTTP/1.1 400 Bad Request\r\n"                                         \
	"Content-Type: application/json\r\n"                                   \
	"Content-Length: 74\r\n"                                               \
	"Connection: close\r\n"                                                \
	"\r\n"                                                                 \
	"{\"error\":{\"code\":\"ERR\",\"message\":\"plain HTTP request sent "  \
	"to a TLS port\"}}"

/* The certificates, and a value of several TLS records (big.txt). */
static void
tls_certs_setup(void)
{
	struct harness_out o;
	char cmd[256];

	certs_make(tls_dir, sizeof(tls_dir));
	snprintf(cmd, sizeof(cmd), "openssl rand -hex 50000 > '%s/big.txt'",
	    tls_dir);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_msg(o.status == 0, "openssl rand: %s", o.err);
	harness_out_free(&o);
}

static void
tls_certs_teardown(void)
{
	certs_remove(tls_dir);
}

/* A listen item with TLS on port, with more settings in extra. */
static int
tls_listener(char *buf, size_t len, int port, const char *extra)
{
	return snprintf(buf, len,
	    "  - address: 127.0.0.1:%d\n"
	    "    tls: {cert: %s/server.crt, key: %s/server.key%s}\n",
	    port, tls_dir, tls_dir, extra);
}

static void
tls_setup(void)
{
	char extra[4096], ca[128], opt[192];
	int n = 0;

	tls_opt_port = harness_pick_port();
	tls_req_port = harness_pick_port();
	tls_v13_port = harness_pick_port();
	snprintf(ca, sizeof(ca), ", client_ca: %s/ca.crt", tls_dir);
	snprintf(opt, sizeof(opt), "%s, verify_client: optional", ca);
	n += tls_listener(
	    extra + n, sizeof(extra) - (size_t)n, tls_opt_port, opt);
	n += tls_listener(
	    extra + n, sizeof(extra) - (size_t)n, tls_req_port, ca);
	n += tls_listener(extra + n, sizeof(extra) - (size_t)n, tls_v13_port,
	    ", protocols: [TLSv1.3]");
	snprintf(extra + n, sizeof(extra) - (size_t)n,
	    "limits: {header_timeout: 2s}\n");
	harness_start(&tls_h, NULL, extra);
}

static void
tls_teardown(void)
{
	harness_stop(&tls_h);
}

/* Runs a shell command made by fmt (in the certificates' folder). */
static void __attribute__((format(printf, 2, 3)))
tls_run(struct harness_out *o, const char *fmt, ...)
{
	char cmd[2048], full[2200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && %s", tls_dir, cmd);
	harness_run(o, full, NULL, 0);
}

/* Runs python3 (Debian's, with python3-redis) on script with args. */
static void
tls_python(struct harness_out *o, const char *script, const char *args)
{
	char cmd[PATH_MAX + 256];

	snprintf(cmd, sizeof(cmd), "cd '%s' && /usr/bin/python3 - %s", tls_dir,
	    args);
	harness_run(o, cmd, script, strlen(script));
}

/* Fails unless the daemon's log comes to hold text. */
static void
tls_log_has(const char *text)
{
	/* The daemon logs the failure after the client has seen the close:
	 * wait for the line (with the harness's deadline). */
	harness_wait_log(&tls_h, text);
}

START_TEST(test_tls_redis_cli)
{
	struct harness_out o;

	tls_run(&o,
	    "redis-cli --tls --cacert ca.crt -p %d PING && "
	    "redis-cli --tls --cacert ca.crt -p %d SET tls:k v && "
	    "redis-cli --tls --cacert ca.crt -p %d GET tls:k",
	    tls_opt_port, tls_opt_port, tls_opt_port);
	ck_assert_msg(o.status == 0, "redis-cli: %s", o.err);
	ck_assert_str_eq(o.out, "PONG\nOK\nv\n");
	harness_out_free(&o);
	/* A value of several records goes through whole, both ways. */
	tls_run(&o,
	    "redis-cli --tls --cacert ca.crt -p %d -x SET tls:big < "
	    "big.txt >/dev/null && redis-cli --tls --cacert ca.crt -p %d "
	    "--raw GET tls:big | head -c -1 | cmp - big.txt && echo same",
	    tls_opt_port, tls_opt_port);
	ck_assert_msg(o.status == 0, "redis-cli: %s%s", o.out, o.err);
	ck_assert_str_eq(o.out, "same\n");
	harness_out_free(&o);
}
END_TEST

START_TEST(test_tls_curl)
{
	struct harness_out o;

	tls_run(&o,
	    "curl -sS --max-time 10 --cacert ca.crt https://127.0.0.1:%d/ping "
	    "&& echo && curl -sS --max-time 10 --cacert ca.crt -H "
	    "'Content-Type: application/json' -d '[1,2]' "
	    "https://localhost:%d/add",
	    tls_opt_port, tls_opt_port);
	ck_assert_msg(o.status == 0, "curl: %s", o.err);
	ck_assert_str_eq(o.out, "\"PONG\"\n3");
	harness_out_free(&o);
}
END_TEST

static const char tls_py_redis[] =
    "import sys, redis\n"
    "r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]), ssl=True,\n"
    "                ssl_ca_certs='ca.crt')\n"
    "print(r.ping(), r.set('tls:py', 'x' * 40000), "
    "len(r.get('tls:py')))\n";

START_TEST(test_tls_redis_py)
{
	struct harness_out o;
	char args[32];

	snprintf(args, sizeof(args), "%d", tls_opt_port);
	tls_python(&o, tls_py_redis, args);
	ck_assert_msg(o.status == 0, "python3: %s", o.err);
	ck_assert_str_eq(o.out, "True True 40000\n");
	harness_out_free(&o);
}
END_TEST

START_TEST(test_tls_alpn)
{
	struct harness_out o;

	tls_run(&o,
	    "openssl s_client -connect 127.0.0.1:%d -CAfile ca.crt -alpn "
	    "http/1.1 </dev/null 2>/dev/null | grep ALPN; openssl s_client "
	    "-connect 127.0.0.1:%d -CAfile ca.crt -alpn h2 </dev/null "
	    "2>/dev/null | grep ALPN",
	    tls_opt_port, tls_opt_port);
	ck_assert_str_eq(
	    o.out, "ALPN protocol: http/1.1\nNo ALPN negotiated\n");
	harness_out_free(&o);
}
END_TEST

START_TEST(test_tls_plain_http_gets_400)
{
	int fd = harness_connect(tls_opt_port);

	harness_sends(fd, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	harness_expect_close(fd, PLAIN_400);
	close(fd);
	tls_log_has("failed: plain HTTP request sent to a TLS port");
}
END_TEST

START_TEST(test_tls_garbage_closed)
{
	int fd = harness_connect(tls_opt_port);

	harness_sends(fd, "*1\r\n$4\r\nPING\r\n");
	harness_expect_close(fd, "");
	close(fd);
	fd = harness_connect(tls_opt_port);
	harness_send(fd, "\x00\x01\x02\x03garbage", 11);
	harness_expect_close(fd, "");
	close(fd);
	tls_log_has("failed: not a TLS client");
	harness_roundtrip(tls_h.port, "PING\r\n", "+PONG\r\n");
}
END_TEST

/* The start of a TLS 1.2 ClientHello record that never ends. */
static const char tls_half_hello[] =
    "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
    "0123456789abcdefghij";

START_TEST(test_tls_half_hello_cut_at_header_timeout)
{
	int fd = harness_connect(tls_opt_port);

	harness_send(fd, tls_half_hello, sizeof(tls_half_hello) - 1);
	harness_expect_close(fd, "");
	close(fd);
	tls_log_has("failed: closed before it finished");
	harness_roundtrip(tls_h.port, "PING\r\n", "+PONG\r\n");
}
END_TEST

/*
 * A client that stops mid-handshake, one whose request ends in half a
 * record, and one idle past header_timeout after its handshake (which
 * must not be cut).
 */
static const char tls_py_faults[] =
    "import socket, ssl, sys, time\n"
    "port = int(sys.argv[1])\n"
    "ctx = ssl.create_default_context(cafile='ca.crt')\n"
    "def start():\n"
    "    s = socket.create_connection(('127.0.0.1', port), timeout=10)\n"
    "    i, o = ssl.MemoryBIO(), ssl.MemoryBIO()\n"
    "    return s, i, o, ctx.wrap_bio(i, o, server_hostname='127.0.0.1')\n"
    "def closed(s):\n"
    "    while s.recv(65536):\n"
    "        pass\n"
    "    return 'closed'\n"
    "s, i, o, t = start()\n"
    "try:\n"
    "    t.do_handshake()\n"
    "except ssl.SSLWantReadError:\n"
    "    pass\n"
    "s.sendall(o.read())\n"
    "s.recv(65536)\n"
    "s.close()\n"
    "s, i, o, t = start()\n"
    "while True:\n"
    "    try:\n"
    "        t.do_handshake()\n"
    "        break\n"
    "    except ssl.SSLWantReadError:\n"
    "        s.sendall(o.read())\n"
    "        i.write(s.recv(65536))\n"
    "s.sendall(o.read())\n"
    "t.write(b'*3\\r\\n$3\\r\\nSET\\r\\n$3\\r\\nkey\\r\\n$5\\r\\nvalue\\r\\n')"
    "\n"
    "rec = o.read()\n"
    "s.sendall(rec[:len(rec) // 2])\n"
    "s.shutdown(socket.SHUT_WR)\n"
    "print(closed(s))\n"
    "s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', port)),\n"
    "                    server_hostname='127.0.0.1')\n"
    "time.sleep(2.5)\n"
    "s.sendall(b'PING\\r\\n')\n"
    "print(s.recv(64))\n";

START_TEST(test_tls_client_faults)
{
	struct harness_out o;
	char args[32];

	snprintf(args, sizeof(args), "%d", tls_opt_port);
	tls_python(&o, tls_py_faults, args);
	ck_assert_msg(o.status == 0, "python3: %s", o.err);
	ck_assert_str_eq(o.out, "closed\nb'+PONG\\r\\n'\n");
	harness_out_free(&o);
	tls_log_has("TLS handshake with 127.0.0.1:");
	harness_roundtrip(tls_h.port, "GET key\r\n", "$-1\r\n");
}
END_TEST

START_TEST(test_tls_versions)
{
	struct harness_out o;

	tls_run(&o,
	    "openssl s_client -connect 127.0.0.1:%d -tls1_1 </dev/null "
	    ">/dev/null 2>&1 || echo 1.1 refused; "
	    "openssl s_client -connect 127.0.0.1:%d -tls1_2 </dev/null "
	    ">/dev/null 2>&1 && echo 1.2 ok; "
	    "openssl s_client -connect 127.0.0.1:%d -tls1_2 </dev/null "
	    ">/dev/null 2>&1 || echo 1.2 refused; "
	    "openssl s_client -connect 127.0.0.1:%d -tls1_3 </dev/null "
	    "2>/dev/null | grep -m1 -o 'TLSv1.3'",
	    tls_opt_port, tls_opt_port, tls_v13_port, tls_v13_port);
	ck_assert_str_eq(o.out, "1.1 refused\n1.2 ok\n1.2 refused\nTLSv1.3\n");
	harness_out_free(&o);
	tls_log_has("unsupported protocol");
}
END_TEST

/* redis-cli PING to port with the client certificate name (or none). */
static void
tls_cli_cert(struct harness_out *o, int port, const char *name)
{
	char cert[128] = "";

	if (name != NULL)
		snprintf(cert, sizeof(cert), "--cert %s.crt --key %s.key", name,
		    name);
	tls_run(o, "redis-cli --tls --cacert ca.crt %s -p %d PING 2>&1", cert,
	    port);
}

START_TEST(test_tls_client_certificates)
{
	static const char *refused[] = {NULL, "mallory", "expired"};
	struct harness_out o;
	size_t i;

	tls_cli_cert(&o, tls_req_port, "alice");
	ck_assert_str_eq(o.out, "PONG\n");
	harness_out_free(&o);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		tls_cli_cert(&o, tls_req_port, refused[i]);
		ck_assert_msg(strstr(o.out, "PONG") == NULL,
		    "%s served under require", refused[i]);
		harness_out_free(&o);
	}
	tls_log_has("(certificate has expired)");
	tls_log_has("(unable to get local issuer certificate)");
	tls_log_has("peer did not return a certificate");
	/* optional: none is fine; one that does not verify is not. */
	tls_cli_cert(&o, tls_opt_port, NULL);
	ck_assert_str_eq(o.out, "PONG\n");
	harness_out_free(&o);
	tls_cli_cert(&o, tls_opt_port, "mallory");
	ck_assert(strstr(o.out, "PONG") == NULL);
	harness_out_free(&o);
}
END_TEST

START_TEST(test_tls_client_info_shows_subject)
{
	struct harness_out o;

	tls_run(&o,
	    "redis-cli --tls --cacert ca.crt --cert alice.crt --key alice.key "
	    "-p %d CLIENT INFO | grep -o ' proto=.*'; redis-cli --tls "
	    "--cacert ca.crt -p %d CLIENT INFO | grep -o ' proto=.*'; "
	    "redis-cli -p %d CLIENT INFO | grep -o ' proto=.*'",
	    tls_opt_port, tls_opt_port, tls_h.port);
	ck_assert_msg(o.status == 0, "%s", o.err);
	ck_assert_msg(strncmp(o.out,
	                  " proto=resp tls=TLSv1.3 tls-subject=CN=alice,"
	                  "O=Example worker=",
	                  58) == 0,
	    "%s", o.out);
	ck_assert_msg(
	    strstr(o.out, "\n proto=resp tls=TLSv1.3 worker=") != NULL, "%s",
	    o.out);
	ck_assert_msg(
	    strstr(o.out, "\n proto=resp worker=") != NULL, "%s", o.out);
	harness_out_free(&o);
}
END_TEST

/*
 * 1000 handshakes, 50 at a time, each with a PING, while a plain client
 * keeps being served.
 */
static const char tls_py_many[] =
    "import socket, ssl, sys, threading\n"
    "from concurrent.futures import ThreadPoolExecutor\n"
    "port, plain = int(sys.argv[1]), int(sys.argv[2])\n"
    "ctx = ssl.create_default_context(cafile='ca.crt')\n"
    "def one(i):\n"
    "    with socket.create_connection(('127.0.0.1', port), timeout=60) as "
    "s:\n"
    "        with ctx.wrap_socket(s, server_hostname='127.0.0.1') as t:\n"
    "            t.sendall(b'PING\\r\\n')\n"
    "            return t.recv(16)\n"
    "done = threading.Event()\n"
    "served = []\n"
    "def other():\n"
    "    s = socket.create_connection(('127.0.0.1', plain), timeout=60)\n"
    "    while not done.is_set() or not served:\n"
    "        s.sendall(b'PING\\r\\n')\n"
    "        served.append(s.recv(16) == b'+PONG\\r\\n')\n"
    "th = threading.Thread(target=other, daemon=True)\n"
    "th.start()\n"
    "try:\n"
    "    with ThreadPoolExecutor(50) as ex:\n"
    "        res = list(ex.map(one, range(1000)))\n"
    "finally:\n"
    "    done.set()\n"
    "th.join(60)\n"
    "print(sum(r == b'+PONG\\r\\n' for r in res), all(served))\n";

START_TEST(test_tls_many_handshakes)
{
	struct harness_out o;
	char args[32];

	snprintf(args, sizeof(args), "%d %d", tls_opt_port, tls_h.port);
	tls_python(&o, tls_py_many, args);
	ck_assert_msg(o.status == 0, "python3: %s", o.err);
	ck_assert_str_eq(o.out, "1000 True\n");
	harness_out_free(&o);
}
END_TEST

START_TEST(test_tls_metrics_count_failures)
{
	struct harness_out o;
	int fd = harness_connect(tls_opt_port);

	harness_sends(fd, "garbage\r\n");
	harness_expect_close(fd, "");
	close(fd);
	tls_run(&o,
	    "curl -sS --max-time 10 http://127.0.0.1:%d/metrics | grep "
	    "'^duetd_tls_handshake_failures_total'",
	    tls_h.port);
	ck_assert_str_eq(o.out, "duetd_tls_handshake_failures_total 1\n");
	harness_out_free(&o);
}
END_TEST

/*
 * Reloads: a bad key fails the reload and the old certificate serves
 * on; a new certificate goes to new connections while an open one goes
 * on.  Run by python3, which holds a connection across the reloads.
 */
static const char tls_py_reload[] =
    "import os, shutil, signal, socket, ssl, sys, time\n"
    "port, pid, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]\n"
    "ctx = ssl.create_default_context(cafile='ca.crt')\n"
    "def conn():\n"
    "    return ctx.wrap_socket(socket.create_connection(('127.0.0.1', "
    "port),\n"
    "        timeout=10), server_hostname='127.0.0.1')\n"
    "def ping(s):\n"
    "    s.sendall(b'PING\\r\\n')\n"
    "    return s.recv(16).decode().strip()\n"
    "def cn(s):\n"
    "    return dict(x[0] for x in s.getpeercert()['subject'])['commonName']\n"
    "def reload(text):\n"
    "    before = open(log).read().count(text)\n"
    "    os.kill(pid, signal.SIGHUP)\n"
    "    deadline = time.time() + 10\n"
    "    while open(log).read().count(text) == before:\n"
    "        assert time.time() < deadline, text\n"
    "        time.sleep(0.01)\n"
    "old = conn()\n"
    "print(ping(old), cn(old))\n"
    "open('r.key', 'w').write('not a key\\n')\n"
    "reload('reload failed')\n"
    "s = conn()\n"
    "print(ping(old), ping(s), cn(s))\n"
    "shutil.copy('server2.crt', 'r.crt')\n"
    "shutil.copy('server2.key', 'r.key')\n"
    "reload('reloaded: registry')\n"
    "s = conn()\n"
    "print(ping(old), ping(s), cn(s))\n";

START_TEST(test_tls_reload_certificates)
{
	struct harness h;
	struct harness_out o;
	char extra[512], args[PATH_MAX + 64];
	int port = harness_pick_port();

	tls_run(&o, "cp server.crt r.crt && cp server.key r.key");
	ck_assert_int_eq(o.status, 0);
	harness_out_free(&o);
	snprintf(extra, sizeof(extra),
	    "  - address: 127.0.0.1:%d\n"
	    "    tls: {cert: %s/r.crt, key: %s/r.key}\n",
	    port, tls_dir, tls_dir);
	harness_start(&h, NULL, extra);
	snprintf(args, sizeof(args), "%d %d '%s'", port, (int)h.pid, h.log);
	tls_python(&o, tls_py_reload, args);
	ck_assert_msg(o.status == 0, "python3: %s%s", o.out, o.err);
	ck_assert_str_eq(o.out,
	    "+PONG localhost\n"
	    "+PONG +PONG localhost\n"
	    "+PONG +PONG localhost2\n");
	harness_out_free(&o);
	harness_stop(&h);
}
END_TEST

/* duetd -t on a config with one listen item (yaml); what it printed. */
static void
tls_check_config(struct harness_out *o, const char *item)
{
	char path[128], yaml[1024], cmd[512];

	snprintf(path, sizeof(path), "%s/check.yaml", tls_dir);
	snprintf(yaml, sizeof(yaml), "listen:\n%s", item);
	harness_write_file(path, yaml);
	snprintf(cmd, sizeof(cmd), "\"$DUETD\" -t -c '%s' 2>&1", path);
	harness_run(o, cmd, NULL, 0);
	ck_assert_int_eq(o->status, 1);
}

START_TEST(test_tls_config_errors)
{
	static const struct {
		const char *item;
		const char *error; /* up to the certificates' folder, */
		const char *tail;  /* and after it, or NULL */
	} cases[] = {
	    {"  - address: 127.0.0.1:1\n"
	     "    tls: {cert: nothere.crt, key: server.key}\n",
	        "check.yaml:3:17: cannot read cert file ",
	        "/nothere.crt: No such file or directory"},
	    {"  - address: 127.0.0.1:1\n    tls: {cert: server.crt}\n",
	        "check.yaml:3:10: tls needs a 'cert' and a 'key'", NULL},
	    {"  - address: unix:/tmp/x.sock\n"
	     "    tls: {cert: server.crt, key: server.key}\n",
	        "check.yaml:2:5: tls is for TCP listeners, not unix sockets",
	        NULL},
	    {"  - address: 127.0.0.1:1\n"
	     "    tls: {cert: server.crt, key: server.key, verify_client: "
	     "require}\n",
	        "check.yaml:3:10: verify_client needs a 'client_ca' to verify "
	        "with",
	        NULL},
	    {"  - address: 127.0.0.1:1\n"
	     "    tls: {cert: server.crt, key: server.key, protocols: "
	     "[TLSv1.1]}\n",
	        "check.yaml:3:58: invalid TLS protocol 'TLSv1.1' (expected "
	        "TLSv1.2 or TLSv1.3)",
	        NULL},
	    {"  - address: 127.0.0.1:1\n"
	     "    tls: {cert: server.crt, key: server.key, verify_client: "
	     "maybe}\n",
	        "check.yaml:3:61: invalid verify_client 'maybe' (expected "
	        "none, optional or require)",
	        NULL},
	    {"  - address: 127.0.0.1:1\n"
	     "    tls: {cert: server.crt, key: alice.key}\n",
	        "check.yaml:3:10: listen 127.0.0.1:1: tls: cannot load key ",
	        "/alice.key: error:05800074:x509 certificate routines::key "
	        "values mismatch"},
	    {"  - address: 127.0.0.1:1\n"
	     "    tls: {cert: server.crt, key: server.key, ciphers: NOPE}\n",
	        "check.yaml:3:10: listen 127.0.0.1:1: tls: invalid ciphers "
	        "NOPE: ",
	        NULL},
	};
	struct harness_out o;
	char want[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tls_check_config(&o, cases[i].item);
		snprintf(want, sizeof(want), "%s%s%s", cases[i].error,
		    cases[i].tail != NULL ? tls_dir : "",
		    cases[i].tail != NULL ? cases[i].tail : "");
		ck_assert_msg(strstr(o.out, want) != NULL,
		    "case %zu: want '%s' in:\n%s", i, want, o.out);
		harness_out_free(&o);
	}
}
END_TEST

static Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");

	tcase_add_unchecked_fixture(tc, tls_certs_setup, tls_certs_teardown);
	tcase_add_checked_fixture(tc, tls_setup, tls_teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_tls_redis_cli);
	tcase_add_test(tc, test_tls_curl);
	tcase_add_test(tc, test_tls_redis_py);
	tcase_add_test(tc, test_tls_alpn);
	tcase_add_test(tc, test_tls_plain_http_gets_400);
	tcase_add_test(tc, test_tls_garbage_closed);
	tcase_add_test(tc, test_tls_half_hello_cut_at_header_timeout);
	tcase_add_test(tc, test_tls_client_faults);
	tcase_add_test(tc, test_tls_versions);
	tcase_add_test(tc, test_tls_client_certificates);
	tcase_add_test(tc, test_tls_client_info_shows_subject);
	tcase_add_test(tc, test_tls_many_handshakes);
	tcase_add_test(tc, test_tls_metrics_count_failures);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_unchecked_fixture(tc, tls_certs_setup, tls_certs_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_tls_reload_certificates);
	tcase_add_test(tc, test_tls_config_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tls_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
