/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of RESP meeting auth (SPEC 9.1, 9.3), on a daemon
 * with an auth section whose tokens are made by the test: Redis 7's texts
 * byte for byte over raw sockets (NOAUTH before login, PING allowed,
 * WRONGPASS leaving the identity as it was for a wrong token, an unknown
 * user or another user's token, NOPERM, HELLO without AUTH, HELLO 3 AUTH
 * answering a RESP3 map, RESET back to unauthenticated, INFO needing a
 * user, CLIENT INFO's user= and no token anywhere); Redis 7's
 * unauthenticated multibulk and bulk caps (then a close), lifted by
 * AUTH; a 100 MiB SET streamed by a user who may not SET, and an unknown
 * command with a 100 MiB argument, answered before 1 MiB is sent with
 * the daemon's memory flat and the connection usable after; ten wrong
 * logins in a row, the sixth and later answered late while another
 * client's PINGs are answered at once; and redis-cli (-a, --user/--pass)
 * and redis-py (password=, username=, and HELLO 3 AUTH in a RESP3
 * session).
 */
#include <sys/socket.h>

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "certs.h"
#include "harness.h"

#define NOAUTH "-NOAUTH Authentication required.\r\n"
#define WRONG                                                                  \
	"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
#define NOPERM_A "-NOPERM User alice has no permissions to run the "
#define NOPERM_B "-NOPERM User bob has no permissions to run the "
#define HELLO_NOAUTH                                                           \
	"-NOAUTH HELLO must be called with the client already "                \
	"authenticated, otherwise the HELLO <proto> AUTH <user> <pass> "       \
	"option can be used to authenticate the client and select the RESP "   \
	"protocol version at the same time\r\n"
#define PROTO_ERR(reason) "-ERR Protocol error: " reason "\r\n"
#define MIB               (1024 * 1024)

static struct harness auth_h;
/* The users' tokens, made for each daemon. */
static char alice_tok[65], bob_tok[65];

/* alice may call all but del; bob get and echo. */
static void
auth_setup(void)
{
	char yaml[1024], ha[65], hb[65];

	certs_token(alice_tok);
	certs_token(bob_tok);
	certs_token_hash(alice_tok, ha);
	certs_token_hash(bob_tok, hb);
	snprintf(yaml, sizeof(yaml),
	    "workers: 1\n"
	    "auth:\n  users:\n"
	    "    - name: alice\n      token_sha256: %s\n"
	    "      commands: [\"*\", \"-del\"]\n"
	    "    - name: bob\n      token_sha256: %s\n"
	    "      commands: [get, echo]\n",
	    ha, hb);
	harness_start(&auth_h, NULL, yaml);
}

/*
 * Under ASan, freed memory waits in a 256 MB quarantine before reuse, so
 * the daemon's RSS would grow with every byte it ever allocated; a small
 * quarantine leaves the RSS to what the daemon holds at once.
 */
static void
auth_memory_setup(void)
{
	const char *old = getenv("ASAN_OPTIONS");
	char opts[1024];

	if (strcmp(harness_env("DUET_ASAN"), "1") == 0) {
		snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=4",
		    old != NULL ? old : "", old != NULL ? ":" : "");
		setenv("ASAN_OPTIONS", opts, 1);
	}
	auth_setup();
}

static void
auth_teardown(void)
{
	harness_stop(&auth_h);
}

/* Sends s on fd and expects exactly want back. */
static void
auth_call(int fd, const char *s, const char *want)
{
	harness_sends(fd, s);
	harness_expects(fd, want);
}

/* Sends "AUTH args" (printf-style) on fd and expects want. */
static void auth_login(int fd, const char *want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
auth_login(int fd, const char *want, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "AUTH ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	snprintf(line + n, sizeof(line) - (size_t)n, "\r\n");
	auth_call(fd, line, want);
}

/* The daemon's log and what CLIENT LIST shows never hold a token. */
static void
auth_no_secrets(int fd)
{
	char *log = harness_log(&auth_h), *got;
	size_t len;

	ck_assert_ptr_null(strstr(log, alice_tok));
	ck_assert_ptr_null(strstr(log, bob_tok));
	free(log);
	harness_sends(fd, "CLIENT LIST\r\n");
	got = harness_read_until(fd, "\n\r\n", &len);
	ck_assert_ptr_null(strstr(got, alice_tok));
	ck_assert_ptr_null(strstr(got, bob_tok));
	ck_assert_ptr_nonnull(strstr(got, " cmd="));
	free(got);
}

START_TEST(test_auth_resp_noauth_before_login)
{
	int fd = harness_connect(auth_h.port);

	auth_call(fd, "GET k\r\n", NOAUTH);
	/* Refused from the name: the rest is skipped. */
	auth_call(fd, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n", NOAUTH);
	auth_call(fd, "$1\r\nv\r\n", "");
	auth_call(fd, "PING\r\n", "+PONG\r\n");
	auth_call(fd, "INFO\r\n", NOAUTH);
	auth_call(fd, "CLIENT INFO\r\n", NOAUTH);
	auth_call(fd, "ECHO x\r\n", NOAUTH);
	auth_call(fd, "HELLO 3\r\n", HELLO_NOAUTH);
	auth_call(fd, "HELLO\r\n", HELLO_NOAUTH);
	auth_call(fd, "AUTH a b c\r\n", "-ERR syntax error\r\n");
	auth_call(fd, "PING\r\n", "+PONG\r\n");
	close(fd);
}
END_TEST

START_TEST(test_auth_resp_wrongpass_keeps_identity)
{
	int fd = harness_connect(auth_h.port);

	/* A wrong token, unknown user, another user's token. */
	auth_login(fd, WRONG, "%s", "not-a-token");
	auth_call(fd, "GET k\r\n", NOAUTH);
	auth_login(fd, "+OK\r\n", "%s", bob_tok);
	auth_call(fd, "GET k\r\n", "$-1\r\n");
	auth_login(fd, WRONG, "carol %s", alice_tok);
	auth_login(fd, WRONG, "alice %s", bob_tok);
	auth_login(fd, WRONG, "bob %s", alice_tok);
	/* Still bob. */
	auth_call(fd, "GET k\r\n", "$-1\r\n");
	auth_call(fd, "SET k v\r\n", NOPERM_B "'set' command\r\n");
	auth_call(fd, "INFO\r\n", NOPERM_B "'info' command\r\n");
	auth_call(fd, "CLIENT GETNAME\r\n", "$-1\r\n");
	/* AUTH default TOKEN is AUTH TOKEN (redis-py without a username). */
	auth_login(fd, "+OK\r\n", "default %s", alice_tok);
	auth_call(fd, "SET k v\r\n", "+OK\r\n");
	auth_call(fd, "DEL k\r\n", NOPERM_A "'del' command\r\n");
	auth_login(fd, "+OK\r\n", "alice %s", alice_tok);
	auth_no_secrets(fd);
	close(fd);
}
END_TEST

START_TEST(test_auth_resp_client_info_user)
{
	int fd = harness_connect(auth_h.port);
	char *got;
	size_t len;

	auth_login(fd, "+OK\r\n", "%s", alice_tok);
	harness_sends(fd, "INFO server\r\n");
	got = harness_read_until(fd, "\r\n\r\n", &len);
	ck_assert_ptr_nonnull(strstr(got, "# Server\r\n"));
	free(got);
	harness_sends(fd, "CLIENT INFO\r\n");
	got = harness_read_until(fd, "\n\r\n", &len);
	ck_assert_msg(
	    strstr(got, " cmd=client user=alice ") != NULL, "%s", got);
	free(got);
	/* RESET: back to the start identity, unauthenticated. */
	auth_call(fd, "RESET\r\n", "+RESET\r\n");
	auth_call(fd, "GET k\r\n", NOAUTH);
	auth_login(fd, "+OK\r\n", "bob %s", bob_tok);
	harness_sends(fd, "CLIENT LIST\r\n");
	got = harness_read_until(fd, "\n\r\n", &len);
	ck_assert_msg(strstr(got, " user=bob ") != NULL, "%s", got);
	free(got);
	close(fd);
}
END_TEST

START_TEST(test_auth_resp_hello_auth)
{
	int fd = harness_connect(auth_h.port);
	char line[512], *got;
	size_t len;

	/* A failed HELLO AUTH switches nothing. */
	snprintf(line, sizeof(line), "HELLO 3 AUTH alice %s\r\n", bob_tok);
	auth_call(fd, line, WRONG);
	auth_call(fd, "GET k\r\n", NOAUTH);
	snprintf(line, sizeof(line), "HELLO 3 AUTH alice %s SETNAME cli\r\n",
	    alice_tok);
	harness_sends(fd, line);
	got = harness_read_until(fd, "*0\r\n", &len);
	ck_assert_msg(strncmp(got,
	                  "%7\r\n$6\r\nserver\r\n$5\r\nduetd\r\n$7\r\n"
	                  "version\r\n",
	                  38) == 0,
	    "%s", got);
	ck_assert_ptr_nonnull(strstr(got, "$5\r\nproto\r\n:3\r\n"));
	free(got);
	auth_call(fd, "CLIENT GETNAME\r\n", "$3\r\ncli\r\n");
	auth_call(fd, "GET nokey\r\n", "_\r\n");
	auth_call(fd, "RESET\r\n", "+RESET\r\n");
	auth_call(fd, "GET nokey\r\n", NOAUTH);
	close(fd);
}
END_TEST

START_TEST(test_auth_resp_unauthenticated_caps)
{
	char big[16385 + 64];
	int fd;

	fd = harness_connect(auth_h.port);
	harness_sends(fd, "*11\r\n");
	harness_expect_close(fd, PROTO_ERR("unauthenticated multibulk length"));
	close(fd);
	fd = harness_connect(auth_h.port);
	harness_sends(fd, "*2\r\n$4\r\nECHO\r\n$16385\r\n");
	harness_expect_close(fd, PROTO_ERR("unauthenticated bulk length"));
	close(fd);
	/* Within the caps, a refused request is skipped. */
	fd = harness_connect(auth_h.port);
	memset(big, 'x', sizeof(big));
	harness_sends(fd, "*10\r\n$3\r\nSET\r\n$16384\r\n");
	harness_expects(fd, NOAUTH);
	harness_send(fd, big, 16384);
	auth_call(fd,
	    "\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n"
	    "$0\r\n\r\n$0\r\n\r\n$0\r\n\r\nPING\r\n",
	    "+PONG\r\n");
	/* After AUTH, only the daemon's own limits. */
	auth_login(fd, "+OK\r\n", "%s", alice_tok);
	auth_call(fd,
	    "*12\r\n$4\r\nPING\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"
	    "$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"
	    "$1\r\na\r\n",
	    "-ERR wrong number of arguments for 'ping' command\r\n");
	snprintf(big, sizeof(big), "*2\r\n$4\r\nECHO\r\n$16385\r\n");
	harness_sends(fd, big);
	memset(big, 'y', 16385);
	memcpy(big + 16385, "\r\n", 2);
	harness_send(fd, big, 16387);
	harness_expects(fd, "$16385\r\n");
	harness_expect(fd, big, 16387);
	close(fd);
}
END_TEST

/* The daemon's VmRSS now, the largest seen kept in *max. */
static void
auth_rss(long *max)
{
	long kb = harness_rss_kb(&auth_h);

	if (kb > *max)
		*max = kb;
}

/*
 * Streams a request of 100 MiB whose head is head (its last bulk of
 * 100 MiB announced): want must arrive before 1 MiB is sent, the
 * daemon's RSS must not grow by 16 MiB, and the connection serves a
 * PING after.
 */
static void
auth_stream_refused(int fd, const char *head, const char *want)
{
	static char chunk[64 * 1024];
	size_t sent = 0, total = 100 * MIB;
	long before = harness_rss_kb(&auth_h), max = before;

	memset(chunk, 'z', sizeof(chunk));
	harness_sends(fd, head);
	while (sent + sizeof(chunk) < MIB - strlen(head)) {
		harness_send(fd, chunk, sizeof(chunk));
		sent += sizeof(chunk);
	}
	/* Answered before 1 MiB of the request is sent. */
	harness_expects(fd, want);
	while (sent < total) {
		harness_send(fd, chunk,
		    total - sent < sizeof(chunk) ? total - sent
		                                 : sizeof(chunk));
		sent +=
		    total - sent < sizeof(chunk) ? total - sent : sizeof(chunk);
		if (sent % (8 * MIB) == 0)
			auth_rss(&max);
	}
	auth_call(fd, "\r\nPING\r\n", "+PONG\r\n");
	auth_rss(&max);
	ck_assert_msg(max - before < 16 * 1024, "RSS grew from %ld to %ld kB",
	    before, max);
}

START_TEST(test_auth_resp_streamed_set_refused)
{
	int fd = harness_connect(auth_h.port);

	auth_login(fd, "+OK\r\n", "bob %s", bob_tok);
	auth_stream_refused(fd, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$104857600\r\n",
	    NOPERM_B "'set' command\r\n");
	auth_login(fd, "+OK\r\n", "alice %s", alice_tok);
	auth_stream_refused(fd, "*3\r\n$4\r\nnope\r\n$1\r\na\r\n$104857600\r\n",
	    "-ERR unknown command 'nope', with args beginning with: 'a' \r\n");
	auth_call(fd, "GET k\r\n", "$-1\r\n");
	close(fd);
}
END_TEST

static long long
auth_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Sends a wrong AUTH on fd and, until its WRONGPASS arrives, PINGs on
 * other (each answered at once).  Returns how many PINGs were answered
 * meanwhile.
 */
static int
auth_wrong_while_pinging(int fd, int other)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int pings = 0;

	harness_sends(fd, "AUTH not-a-token\r\n");
	while (poll(&pfd, 1, 0) == 0) {
		auth_call(other, "PING\r\n", "+PONG\r\n");
		pings++;
		ck_assert_int_lt(pings, 10000000);
	}
	harness_expects(fd, WRONG);
	return pings;
}

START_TEST(test_auth_resp_throttle)
{
	int fd = harness_connect(auth_h.port);
	int other = harness_connect(auth_h.port), i, late, gone;
	long long t0;

	for (i = 1; i <= 5; i++)
		auth_login(fd, WRONG, "%s", "not-a-token");
	for (i = 6; i <= 10; i++) {
		t0 = auth_now_ms();
		late = auth_wrong_while_pinging(fd, other);
		/* Late (100 ms, doubling; the loop's clock is cached, so
		 * allow it a few ms), others served. */
		ck_assert_int_ge(auth_now_ms() - t0, 90);
		ck_assert_int_ge(late, 1);
	}
	/* The late answer keeps its place in the pipeline. */
	harness_sends(fd, "AUTH not-a-token\r\nPING\r\n");
	harness_expects(fd, WRONG "+PONG\r\n");
	/* A conn closed while its answer waits frees the timer. */
	gone = harness_connect(auth_h.port);
	harness_sends(gone, "AUTH not-a-token\r\n");
	auth_call(other, "PING\r\n", "+PONG\r\n");
	close(gone);
	/* A good login is answered at once and clears the count. */
	auth_login(fd, "+OK\r\n", "%s", alice_tok);
	auth_login(fd, WRONG, "%s", "not-a-token");
	auth_no_secrets(fd);
	close(other);
	close(fd);
}
END_TEST

/* Runs redis-cli with args against the daemon: its output. */
static char *
auth_cli(const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "redis-cli -p %d %s", auth_h.port, args);
	return harness_run_ok(cmd);
}

/* redis-cli with args prints exactly want. */
static void
auth_cli_expect(const char *args, const char *want)
{
	char *got = auth_cli(args);

	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_auth_resp_redis_cli)
{
	char args[512];

	auth_cli_expect("GET k", "NOAUTH Authentication required.\n\n");
	snprintf(
	    args, sizeof(args), "-a %s --no-auth-warning SET k v", alice_tok);
	auth_cli_expect(args, "OK\n");
	snprintf(args, sizeof(args),
	    "--user bob --pass %s --no-auth-warning GET k", bob_tok);
	auth_cli_expect(args, "v\n");
	snprintf(args, sizeof(args),
	    "--user bob --pass %s --no-auth-warning SET k w", bob_tok);
	auth_cli_expect(args,
	    "NOPERM User bob has no permissions to run the 'set' command\n\n");
	snprintf(args, sizeof(args),
	    "--user alice --pass %s --no-auth-warning GET k", bob_tok);
	/* The failure is on stderr; the command goes on unauthenticated. */
	auth_cli_expect(args, "NOAUTH Authentication required.\n\n");
}
END_TEST

static const char auth_py[] =
    "import sys, redis\n"
    "port, alice, bob = int(sys.argv[1]), sys.argv[2], sys.argv[3]\n"
    "r = redis.Redis(port=port, password=alice)\n"
    "print(r.set('py', 'v'), r.get('py'))\n"
    "b = redis.Redis(port=port, username='bob', password=bob)\n"
    "print(b.get('py'))\n"
    "for c in (lambda: b.set('py', 'w'),\n"
    "          lambda: redis.Redis(port=port, password=bob + 'x').get('py'),\n"
    "          lambda: redis.Redis(port=port).get('py')):\n"
    "    try:\n"
    "        c()\n"
    "    except redis.RedisError as e:\n"
    "        print(type(e).__name__, e)\n";

/*
 * Runs the python script (len bytes) with the port and both tokens, and
 * expects it to print want.
 */
static void
auth_py_expect(const char *script, size_t len, const char *want)
{
	struct harness_out o;
	char cmd[512];

	/* Debian's python3-redis, whatever python3 is first on PATH. */
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 - %d %s %s", auth_h.port,
	    alice_tok, bob_tok);
	harness_run(&o, cmd, script, len);
	ck_assert_msg(o.status == 0, "python3 exited %d: %s", o.status, o.err);
	ck_assert_str_eq(o.out, want);
	harness_out_free(&o);
}

START_TEST(test_auth_resp_redis_py)
{
	auth_py_expect(auth_py, sizeof(auth_py) - 1,
	    "True b'v'\n"
	    "b'v'\n"
	    "NoPermissionError User bob has no permissions to run the 'set' "
	    "command\n"
	    "ResponseError WRONGPASS invalid username-password pair or user is "
	    "disabled.\n"
	    "AuthenticationError Authentication required.\n");
}
END_TEST

/*
 * redis-py's own connection and command path in a RESP3 session opened by
 * HELLO 3 AUTH.  Debian 12's redis-py (4.3.4) has no protocol=3 and reads
 * RESP2 only, so the script gives its connection pool a parser that also
 * reads RESP3's map, set, null, boolean and double (redis-py 5 has its
 * own); everything else is redis-py's.
 */
static const char auth_py_resp3[] =
    "import sys, redis\n"
    "from redis.connection import PythonParser\n"
    "port, alice, bob = int(sys.argv[1]), sys.argv[2], sys.argv[3]\n"
    "class Resp3(PythonParser):\n"
    "    # Debian 12's redis-py 4.3.4 reads RESP2 only; this parser adds "
    "RESP3's\n"
    "    # map, set, null, boolean and double, so that redis-py's own "
    "connection\n"
    "    # and command path run a RESP3 session.\n"
    "    def read_response(self, disable_decoding=False):\n"
    "        raw = self._buffer.readline()\n"
    "        t, rest = raw[:1], raw[1:]\n"
    "        if t == b'-':\n"
    "            err = self.parse_error(rest.decode('utf-8', 'replace'))\n"
    "            if isinstance(err, redis.ConnectionError):\n"
    "                raise err\n"
    "            return err\n"
    "        if t == b'+':\n"
    "            return rest\n"
    "        if t == b':':\n"
    "            return int(rest)\n"
    "        if t == b'$':\n"
    "            return None if int(rest) == -1 else "
    "self._buffer.read(int(rest))\n"
    "        if t in (b'*', b'~'):\n"
    "            return [self.read_response() for _ in range(int(rest))]\n"
    "        if t == b'%':\n"
    "            items = [self.read_response() for _ in range(2 * int(rest))]\n"
    "            return dict(zip(items[::2], items[1::2]))\n"
    "        if t == b'_':\n"
    "            return None\n"
    "        if t == b'#':\n"
    "            return rest == b't'\n"
    "        if t == b',':\n"
    "            return float(rest)\n"
    "        raise redis.exceptions.InvalidResponse('unexpected %r' % raw)\n"
    "def client():\n"
    "    return redis.Redis(connection_pool=redis.ConnectionPool(\n"
    "        port=port, parser_class=Resp3))\n"
    "r = client()\n"
    "h = r.execute_command('HELLO', 3, 'AUTH', 'alice', alice)\n"
    "print(h[b'proto'], h[b'server'])\n"
    "info = r.execute_command('CLIENT', 'INFO')\n"
    "print(r.set('py3', 'v'), r.get('py3'), b' user=alice ' in info, b' resp=3 "
    "' in info)\n"
    "b = client()\n"
    "for c in (lambda: b.execute_command('HELLO', 3, 'AUTH', 'alice', bob),\n"
    "          lambda: b.get('py3')):\n"
    "    try:\n"
    "        print(c())\n"
    "    except redis.RedisError as e:\n"
    "        print(type(e).__name__, e)\n"
    "h = b.execute_command('HELLO', 3, 'AUTH', 'bob', bob)\n"
    "print(h[b'proto'], b.get('py3'))\n"
    "try:\n"
    "    b.set('py3', 'w')\n"
    "except redis.RedisError as e:\n"
    "    print(type(e).__name__, e)\n";

START_TEST(test_auth_resp_redis_py_hello_3)
{
	auth_py_expect(auth_py_resp3, sizeof(auth_py_resp3) - 1,
	    "3 b'duetd'\n"
	    "True b'v' True True\n"
	    "ResponseError WRONGPASS invalid username-password pair or user is "
	    "disabled.\n"
	    "AuthenticationError Authentication required.\n"
	    "3 b'v'\n"
	    "NoPermissionError User bob has no permissions to run the 'set' "
	    "command\n");
}
END_TEST

static Suite *
auth_resp_suite(void)
{
	Suite *s = suite_create("auth_resp");
	TCase *tc;

	tc = tcase_create("wire");
	tcase_add_checked_fixture(tc, auth_setup, auth_teardown);
	tcase_add_test(tc, test_auth_resp_noauth_before_login);
	tcase_add_test(tc, test_auth_resp_wrongpass_keeps_identity);
	tcase_add_test(tc, test_auth_resp_client_info_user);
	tcase_add_test(tc, test_auth_resp_hello_auth);
	tcase_add_test(tc, test_auth_resp_unauthenticated_caps);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, auth_memory_setup, auth_teardown);
	tcase_add_test(tc, test_auth_resp_streamed_set_refused);
	tcase_add_test(tc, test_auth_resp_throttle);
	suite_add_tcase(s, tc);
	tc = tcase_create("clients");
	tcase_add_checked_fixture(tc, auth_setup, auth_teardown);
	tcase_add_test(tc, test_auth_resp_redis_cli);
	tcase_add_test(tc, test_auth_resp_redis_py);
	tcase_add_test(tc, test_auth_resp_redis_py_hello_3);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(auth_resp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
