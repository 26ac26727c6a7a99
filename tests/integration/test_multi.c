/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of batches: MULTI / EXEC / DISCARD on RESP with Redis
 * 7's replies byte for byte (+QUEUED, the array of replies with errors
 * inside it, -EXECABORT after a refused command, the errors of EXEC and
 * DISCARD without MULTI, RESET and QUIT inside MULTI), WATCH refused and
 * UNWATCH a no-op, BLOCKING, deferred and STREAM commands inside EXEC
 * keeping their places (while other clients of the one loop are served),
 * transactions of several clients on two workers interleaving without
 * losing a command, the queue's limits, hiredis, redis-cli and redis-py's
 * default pipeline(); and POST /batch: its chunked JSON or msgpack array
 * over curl and raw sockets, per-entry errors, 400 for a malformed body,
 * HTTP/1.0, and the connection staying usable after it.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <hiredis/hiredis.h>

#include "harness.h"

#define QUEUED "+QUEUED\r\n"
#define EXECABORT                                                              \
	"-EXECABORT Transaction discarded because of previous errors.\r\n"
#define NO_WATCH                                                               \
	"-ERR WATCH is not supported by duetd: MULTI/EXEC is a batch "         \
	"without optimistic locking\r\n"
#define HOST "Host: 127.0.0.1\r\n"
#define JSON "Content-Type: application/json\r\n"
/* A response head as duetd writes it; the Date is compared by length. */
#define HEAD_CHUNKED(ctype)                                                    \
	"HTTP/1.1 200 OK\r\nServer: duetd\r\n"                                 \
	"Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"                              \
	"Content-Type: " ctype "\r\nTransfer-Encoding: chunked\r\n\r\n"

static struct harness multi_h;

/* Starts duetd with the bundled plugins, the defer plugin and extra. */
static void
multi_start(const char *extra)
{
	harness_start_with(&multi_h, "defer.so", extra);
}

/* One loop, so a client waiting on EXEC shares it with the others. */
static void
multi_setup(void)
{
	multi_start("workers: 1\nblocking_threads: 4\n");
}

/* Two loops for the interleaving clients. */
static void
multi_two_setup(void)
{
	multi_start("workers: 2\n");
}

/* Small limits: four commands, 1 KiB. */
static void
multi_limits_setup(void)
{
	multi_start("limits: {max_args: 4, max_request_bytes: 1KiB}\n");
}

static void
multi_teardown(void)
{
	harness_stop(&multi_h);
}

/* Sends req on fd and expects exactly want. */
static void
multi_call(int fd, const char *req, const char *want)
{
	harness_sends(fd, req);
	harness_expects(fd, want);
}

/* Monotonic time in microseconds. */
static long long
multi_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

START_TEST(test_multi_resp_replies)
{
	int fd = harness_connect(multi_h.port);

	multi_call(fd, "MULTI\r\n", "+OK\r\n");
	multi_call(fd, "MULTI\r\n", "-ERR MULTI calls can not be nested\r\n");
	multi_call(fd, "add 1 2\r\n", QUEUED);
	multi_call(fd, "*2\r\n$4\r\necho\r\n$2\r\nhi\r\n", QUEUED);
	multi_call(fd, "fail boom\r\n", QUEUED);
	multi_call(fd, "get multi:nokey\r\n", QUEUED);
	multi_call(fd, "UNWATCH\r\n", QUEUED);
	multi_call(fd, "EXEC\r\n",
	    "*5\r\n:3\r\n$2\r\nhi\r\n-DEMO boom\r\n$-1\r\n+OK\r\n");
	multi_call(fd, "EXEC\r\n", "-ERR EXEC without MULTI\r\n");
	multi_call(fd, "DISCARD\r\n", "-ERR DISCARD without MULTI\r\n");
	multi_call(fd, "MULTI\r\nset multi:k v\r\nDISCARD\r\nget multi:k\r\n",
	    "+OK\r\n" QUEUED "+OK\r\n$-1\r\n");
	multi_call(fd, "MULTI\r\nEXEC\r\n", "+OK\r\n*0\r\n");
	/* Refused while queuing: answered at once, and EXEC aborts. */
	multi_call(fd, "MULTI\r\nnope x\r\nadd 1 2\r\nEXEC\r\n",
	    "+OK\r\n-ERR unknown command 'nope', with args beginning with: "
	    "'x' \r\n" QUEUED EXECABORT);
	multi_call(fd,
	    "MULTI\r\nadd 1\r\nset multi:k v\r\nEXEC\r\nget multi:k\r\n",
	    "+OK\r\n-ERR wrong number of arguments for 'add' command\r\n" QUEUED
	        EXECABORT "$-1\r\n");
	multi_call(fd, "MULTI\r\nadd 1 x\r\nEXEC\r\n",
	    "+OK\r\n-ERR invalid argument 'b' for 'add': expected "
	    "int\r\n" EXECABORT);
	multi_call(fd, "MULTI\r\nEXEC x\r\nEXEC\r\n",
	    "+OK\r\n-ERR wrong number of arguments for 'exec' "
	    "command\r\n" EXECABORT);
	multi_call(fd, "MULTI x\r\nEXEC\r\n",
	    "-ERR wrong number of arguments for 'multi' command\r\n"
	    "-ERR EXEC without MULTI\r\n");
	/* WATCH is refused, inside MULTI too (without aborting it). */
	multi_call(fd, "WATCH k\r\n", NO_WATCH);
	multi_call(fd, "MULTI\r\nWATCH k\r\nadd 1 2\r\nEXEC\r\n",
	    "+OK\r\n" NO_WATCH QUEUED "*1\r\n:3\r\n");
	multi_call(fd, "UNWATCH\r\n", "+OK\r\n");
	/* RESET ends the MULTI; QUIT closes without running it. */
	multi_call(fd, "MULTI\r\nadd 1 2\r\nRESET\r\nEXEC\r\n",
	    "+OK\r\n" QUEUED "+RESET\r\n-ERR EXEC without MULTI\r\n");
	harness_sends(fd, "MULTI\r\nset multi:quit v\r\nQUIT\r\nEXEC\r\n");
	harness_expect_close(fd, "+OK\r\n" QUEUED "+OK\r\n");
	close(fd);
	harness_roundtrip(multi_h.port, "get multi:quit\r\n", "$-1\r\n");
}
END_TEST

START_TEST(test_multi_resp3_and_encoding)
{
	int fd = harness_connect(multi_h.port);
	size_t len;
	char *got;

	harness_sends(fd, "HELLO 3\r\nPING\r\n");
	got = harness_read_until(fd, "+PONG\r\n", &len);
	ck_assert_msg(len > 7 && got[0] == '%', "HELLO 3: %s", got);
	free(got);
	multi_call(fd,
	    "MULTI\r\nping\r\nget multi:nokey\r\nreflect true\r\nEXEC\r\n",
	    "+OK\r\n" QUEUED QUEUED QUEUED "*3\r\n+PONG\r\n_\r\n#t\r\n");
	/* In CLIENT ENCODING json, EXEC's elements are JSON bulk strings. */
	multi_call(fd, "CLIENT ENCODING json\r\nMULTI\r\nadd 1 2\r\nEXEC\r\n",
	    "+OK\r\n$4\r\n\"OK\"\r\n$8\r\n\"QUEUED\"\r\n*1\r\n$1\r\n3\r\n");
	close(fd);
}
END_TEST

START_TEST(test_multi_exec_async)
{
	int fd = harness_connect(multi_h.port);
	int other = harness_connect(multi_h.port);
	long long t0, rtt;

	multi_call(other, "PING\r\n", "+PONG\r\n");
	harness_sends(fd,
	    "MULTI\r\nsleep 300\r\ndefer.later 100\r\ncount 3\r\n"
	    "defer.block 50\r\nadd 1 2\r\ndefer.stream 2\r\nEXEC\r\nPING\r\n");
	harness_expects(
	    fd, "+OK\r\n" QUEUED QUEUED QUEUED QUEUED QUEUED QUEUED);
	/* The loop serves others while EXEC's calls run. */
	t0 = multi_now_us();
	multi_call(other, "PING\r\n", "+PONG\r\n");
	rtt = multi_now_us() - t0;
	ck_assert_msg(rtt < 250000, "PING took %lld us during EXEC", rtt);
	harness_expects(fd,
	    "*6\r\n:300\r\n:100\r\n*3\r\n:0\r\n:1\r\n:2\r\n:50\r\n:3\r\n"
	    "*2\r\n:0\r\n:1\r\n+PONG\r\n");
	close(fd);
	close(other);
}
END_TEST

/* Parses ":n\r\n" at *p into *v.  Returns 0, or -1 if *p is not one. */
static int
multi_int(const char **p, long long *v)
{
	char *end;

	if (**p != ':')
		return -1;
	*v = strtoll(*p + 1, &end, 10);
	if (strncmp(end, "\r\n", 2) != 0)
		return -1;
	*p = end + 2;
	return 0;
}

#define MULTI_CLIENTS 4
#define MULTI_TX      20
#define MULTI_INCRS   10

START_TEST(test_multi_interleaved)
{
	static char seen[MULTI_CLIENTS * MULTI_TX * MULTI_INCRS + 201];
	char tx[512], *req, *got;
	int fds[MULTI_CLIENTS + 1], i, k, n = 0;
	const char *p;
	long long v, prev;
	size_t len;

	/* Each client pipelines all its transactions in one write. */
	strcpy(tx, "MULTI\r\n");
	for (k = 0; k < MULTI_INCRS; k++)
		strcat(tx, "incr multi:ctr\r\n");
	strcat(tx, "EXEC\r\n");
	req = calloc(MULTI_TX, strlen(tx) + 8);
	ck_assert_ptr_nonnull(req);
	for (k = 0; k < MULTI_TX; k++)
		strcat(req, tx);
	strcat(req, "PING\r\n");
	for (i = 0; i < MULTI_CLIENTS; i++)
		fds[i] = harness_connect(multi_h.port);
	fds[i] = harness_connect(multi_h.port);
	for (i = 0; i < MULTI_CLIENTS; i++)
		harness_sends(fds[i], req);
	/* And one more client increments outside any MULTI meanwhile. */
	free(req);
	req = calloc(200, 20);
	ck_assert_ptr_nonnull(req);
	for (k = 0; k < 200; k++)
		strcat(req, "incr multi:ctr\r\n");
	strcat(req, "PING\r\n");
	harness_sends(fds[MULTI_CLIENTS], req);
	free(req);
	for (i = 0; i <= MULTI_CLIENTS; i++) {
		got = harness_read_until(fds[i], "+PONG\r\n", &len);
		p = got;
		for (k = 0; k < (i < MULTI_CLIENTS ? MULTI_TX : 1); k++) {
			int j, m = i < MULTI_CLIENTS ? MULTI_INCRS : 200;

			if (i < MULTI_CLIENTS) {
				ck_assert_msg(strncmp(p, "+OK\r\n", 5) == 0,
				    "client %d: %.80s", i, p);
				p += 5;
				for (j = 0; j < m; j++) {
					ck_assert(strncmp(p, QUEUED, 9) == 0);
					p += 9;
				}
				ck_assert_msg(strncmp(p, "*10\r\n", 5) == 0,
				    "client %d: %.80s", i, p);
				p += 5;
			}
			for (j = 0, prev = 0; j < m; j++, prev = v) {
				ck_assert_msg(multi_int(&p, &v) == 0 &&
				        v > prev && v < (long long)sizeof(seen),
				    "client %d: %.80s", i, p);
				ck_assert_msg(!seen[v], "%lld twice", v);
				seen[v] = 1;
				n++;
			}
		}
		ck_assert_str_eq(p, "+PONG\r\n");
		free(got);
		close(fds[i]);
	}
	ck_assert_int_eq(n, (int)sizeof(seen) - 1);
	harness_roundtrip(multi_h.port, "get multi:ctr\r\n", "$4\r\n1000\r\n");
}
END_TEST

START_TEST(test_multi_limits)
{
	int fd = harness_connect(multi_h.port);
	char big[600], req[2048];
	struct harness_out o;
	char cmd[512];

	multi_call(fd, "MULTI\r\nadd 1 2\r\nadd 1 2\r\nadd 1 2\r\nadd 1 2\r\n",
	    "+OK\r\n" QUEUED QUEUED QUEUED QUEUED);
	multi_call(fd, "add 1 2\r\nadd 1 2\r\nEXEC\r\n",
	    "-ERR too many commands queued: MULTI holds at most "
	    "limits.max_args (4)\r\n" QUEUED EXECABORT);
	memset(big, 'x', 400);
	big[400] = '\0';
	snprintf(req, sizeof(req),
	    "MULTI\r\nset multi:a %s\r\nset multi:b %s\r\nset multi:c %s\r\n"
	    "add 1 2\r\nEXEC\r\nget multi:a\r\n",
	    big, big, big);
	multi_call(fd, req,
	    "+OK\r\n" QUEUED QUEUED
	    "-ERR queued commands over limits.max_request_bytes "
	    "(1024 bytes)\r\n" QUEUED EXECABORT "$-1\r\n");
	multi_call(fd, "MULTI\r\nadd 1 2\r\nEXEC\r\n",
	    "+OK\r\n" QUEUED "*1\r\n:3\r\n");
	close(fd);
	snprintf(cmd, sizeof(cmd),
	    "curl -sS --max-time 10 -H 'Content-Type: application/json' -d "
	    "'[[\"ping\"],[\"ping\"],[\"ping\"],[\"ping\"],[\"ping\"]]' "
	    "http://127.0.0.1:%d/batch",
	    multi_h.port);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_str_eq(o.out,
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"a batch holds at most "
	    "limits.max_args (4) commands\"}}");
	harness_out_free(&o);
}
END_TEST

START_TEST(test_multi_hiredis)
{
	redisContext *c = redisConnect("127.0.0.1", multi_h.port);
	redisReply *r;
	void *v;

	ck_assert(c != NULL && c->err == 0);
	r = redisCommand(c, "MULTI");
	ck_assert(r != NULL && r->type == REDIS_REPLY_STATUS);
	ck_assert_str_eq(r->str, "OK");
	freeReplyObject(r);
	r = redisCommand(c, "set %s %b", "multi:h", "a\0b", (size_t)3);
	ck_assert(r != NULL && r->type == REDIS_REPLY_STATUS);
	ck_assert_str_eq(r->str, "QUEUED");
	freeReplyObject(r);
	redisAppendCommand(c, "get multi:h");
	redisAppendCommand(c, "sleep 10");
	redisAppendCommand(c, "EXEC");
	ck_assert_int_eq(redisGetReply(c, &v), REDIS_OK);
	freeReplyObject(v);
	ck_assert_int_eq(redisGetReply(c, &v), REDIS_OK);
	freeReplyObject(v);
	ck_assert_int_eq(redisGetReply(c, &v), REDIS_OK);
	r = v;
	ck_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3);
	ck_assert_int_eq(r->element[0]->type, REDIS_REPLY_STATUS);
	ck_assert(r->element[1]->type == REDIS_REPLY_STRING &&
	    r->element[1]->len == 3 &&
	    memcmp(r->element[1]->str, "a\0b", 3) == 0);
	ck_assert(r->element[2]->type == REDIS_REPLY_INTEGER &&
	    r->element[2]->integer == 10);
	freeReplyObject(r);
	redisFree(c);
}
END_TEST

START_TEST(test_multi_redis_cli)
{
	static const char input[] = "multi\nadd 1 2\nfail boom\nexec\n";
	struct harness_out o;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "redis-cli -p %d", multi_h.port);
	harness_run(&o, cmd, input, strlen(input));
	ck_assert_int_eq(o.status, 0);
	/* redis-cli ends an array with an error in it by a blank line. */
	ck_assert_str_eq(o.out, "OK\nQUEUED\nQUEUED\n3\nDEMO boom\n\n");
	harness_out_free(&o);
}
END_TEST

/* redis-py's default pipeline() wraps its commands in MULTI/EXEC. */
static const char multi_py[] = "import redis, sys\n"
                               "r = redis.Redis(port=int(sys.argv[1]))\n"
                               "p = r.pipeline()\n"
                               "p.set('multi:py', 1)\n"
                               "p.execute_command('incr', 'multi:py')\n"
                               "p.get('multi:py')\n"
                               "p.execute_command('add', 1, 2)\n"
                               "p.execute_command('sleep', 10)\n"
                               "p.execute_command('count', 2)\n"
                               "print(p.execute())\n"
                               "p = r.pipeline()\n"
                               "p.execute_command('fail', 'boom')\n"
                               "p.get('multi:py')\n"
                               "print(p.execute(raise_on_error=False))\n"
                               "p = r.pipeline()\n"
                               "p.execute_command('add', 1, 'x')\n"
                               "try:\n"
                               "    p.execute()\n"
                               "except redis.ResponseError as e:\n"
                               "    print(e)\n"
                               "try:\n"
                               "    r.pipeline().watch('multi:py')\n"
                               "except redis.ResponseError as e:\n"
                               "    print(e)\n";

START_TEST(test_multi_redis_py)
{
	struct harness_out o;
	char cmd[256];

	/* Debian's python3-redis, whatever python3 is first on PATH. */
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 - %d", multi_h.port);
	harness_run(&o, cmd, multi_py, sizeof(multi_py) - 1);
	ck_assert_msg(o.status == 0, "python3 exited %d: %s", o.status, o.err);
	ck_assert_str_eq(o.out,
	    "[True, 2, b'2', 3, 10, [0, 1]]\n"
	    "[ResponseError('DEMO boom'), b'2']\n"
	    "Command # 1 (add 1 x) of pipeline caused error: invalid "
	    "argument 'b' for 'add': expected int\n"
	    "WATCH is not supported by duetd: MULTI/EXEC is a batch without "
	    "optimistic locking\n");
	harness_out_free(&o);
}
END_TEST

/* Runs curl with args; returns what it printed (the body), owned. */
static char *
multi_curl(const char *args)
{
	struct harness_out o;
	char cmd[2048];
	char *out;

	snprintf(cmd, sizeof(cmd),
	    "curl -sS --max-time 10 -H 'Content-Type: application/json' %s "
	    "http://127.0.0.1:%d/batch",
	    args, multi_h.port);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_msg(
	    o.status == 0, "'%s' exited %d: %s", cmd, o.status, o.err);
	out = o.out;
	o.out = NULL;
	harness_out_free(&o);
	return out;
}

/* POST /batch with body (JSON) through curl: exactly want. */
static void
multi_curl_expect(const char *body, const char *want)
{
	char args[1024], *got;

	snprintf(args, sizeof(args), "-d '%s'", body);
	got = multi_curl(args);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_multi_batch_curl)
{
	multi_curl_expect(
	    "[[\"add\",1,2],[\"nope\"],[\"add\",1],[\"echo\",\"hi\"],"
	    "[\"set\",\"multi:b\",\"v\"],[\"get\",\"multi:b\"],"
	    "[\"fail\",\"boom\"],[\"ping\"],[\"add\",1,\"x\"]]",
	    "[3,{\"error\":{\"code\":\"ERR\",\"message\":\"unknown command "
	    "'nope', with args beginning with: "
	    "\"}},{\"error\":{\"code\":\"ERR\","
	    "\"message\":\"wrong number of arguments for 'add' command\"}},"
	    "\"hi\",\"OK\",\"v\",{\"error\":{\"code\":\"DEMO\",\"message\":"
	    "\"boom\"}},\"PONG\",{\"error\":{\"code\":\"ERR\",\"message\":"
	    "\"invalid argument 'b' for 'add': expected int\"}}]");
	/* BLOCKING, deferred and STREAM entries keep their places. */
	multi_curl_expect("[[\"sleep\",200],[\"defer.later\",50],[\"count\",3],"
	                  "[\"defer.stream\",2],[\"add\",2,3]]",
	    "[200,50,[0,1,2],[0,1],5]");
	multi_curl_expect("[]", "[]");
	multi_curl_expect("[[\"multi\"],[\"exec\"],[\"quit\"],[\"RESET\"]]",
	    "[{\"error\":{\"code\":\"ERR\",\"message\":\"'multi' is not "
	    "allowed in a batch\"}},{\"error\":{\"code\":\"ERR\",\"message\":"
	    "\"'exec' is not allowed in a batch\"}},{\"error\":{\"code\":"
	    "\"ERR\",\"message\":\"'quit' is not allowed in a batch\"}},"
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"'RESET' is not allowed "
	    "in a batch\"}}]");
}
END_TEST

#define BAD400 "HTTP/1.1 400 Bad Request"
#define NOT_ARRAY                                                              \
	"the body of /batch must be an array of [command, args...] arrays"
#define BAD_ENTRY(n)                                                           \
	"batch entry " n " is not an array starting with a command name"

/* Malformed bodies: an error for the whole request. */
static const struct {
	const char *args;
	const char *line;
	const char *want; /* the start of the error message */
} multi_bad[] = {
    {"-d '{}'", BAD400, NOT_ARRAY},
    {"-d '[1]'", BAD400, BAD_ENTRY("0")},
    {"-d '[[\"ping\"],[]]'", BAD400, BAD_ENTRY("1")},
    {"-d '[[\"ping\"],[1,2]]'", BAD400, BAD_ENTRY("1")},
    {"-X POST", BAD400, NOT_ARRAY},
    {"-d '[['", BAD400, "invalid JSON"},
    {"-G", "HTTP/1.1 405 Method Not Allowed", "/batch answers POST only"},
};

START_TEST(test_multi_batch_bad)
{
	char args[256], want[256], *got;

	snprintf(args, sizeof(args), "-i %s", multi_bad[_i].args);
	got = multi_curl(args);
	snprintf(want, sizeof(want),
	    "\r\n\r\n{\"error\":{\"code\":\"ERR\",\"message\":\"%s",
	    multi_bad[_i].want);
	ck_assert_msg(
	    strncmp(got, multi_bad[_i].line, strlen(multi_bad[_i].line)) == 0 &&
	        strstr(got, want) != NULL,
	    "%s: %s", multi_bad[_i].args, got);
	free(got);
}
END_TEST

/*
 * Reads exactly want's length and compares, but for the value of each
 * Date header (its length is fixed).
 */
static void
multi_expect_http(int fd, const char *want)
{
	size_t len = strlen(want), gotlen;
	char *got = harness_read_n(fd, len, HARNESS_TIMEOUT_MS, &gotlen);
	const char *d = want;
	char *copy = strdup(want);

	ck_assert_ptr_nonnull(copy);
	while (gotlen == len && (d = strstr(d, "\r\nDate: ")) != NULL) {
		memcpy(copy + (d - want), got + (d - want), 37);
		d += 37;
	}
	ck_assert_msg(gotlen == len && memcmp(got, copy, len) == 0,
	    "want \"%s\"\n got \"%s\"", copy, got);
	free(copy);
	free(got);
}

START_TEST(test_multi_batch_raw)
{
	int fd = harness_connect(multi_h.port);
	static const char body[] = "[[\"add\",1,2],[\"nope\"],[\"sleep\",20]]";
	static const char mp[] = "\x92\x93\xa3"
	                         "add\x01\x02\x91\xa4ping";
	char req[512];
	size_t n;
	int closed;
	char *got;

	snprintf(req, sizeof(req),
	    "POST /batch HTTP/1.1\r\n" HOST JSON "Content-Length: %zu\r\n\r\n%s"
	    "GET /ping HTTP/1.1\r\n" HOST "\r\n",
	    sizeof(body) - 1, body);
	harness_sends(fd, req);
	multi_expect_http(fd,
	    HEAD_CHUNKED(
	        "application/json") "2\r\n[3\r\n"
	                            "58\r\n,{\"error\":{\"code\":\"ERR\","
	                            "\"message\":\"unknown command "
	                            "'nope', with args beginning with: \"}}\r\n"
	                            "3\r\n,20\r\n1\r\n]\r\n0\r\n\r\n"
	                            "HTTP/1.1 200 OK\r\nServer: duetd\r\n"
	                            "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
	                            "Content-Type: "
	                            "application/json\r\nContent-Length: "
	                            "6\r\n\r\n"
	                            "\"PONG\"");
	/* msgpack in and out: the array header, then each element. */
	n = (size_t)snprintf(req, sizeof(req),
	    "POST /batch HTTP/1.1\r\n" HOST
	    "Content-Type: application/msgpack\r\n"
	    "Accept: application/msgpack\r\nContent-Length: %zu\r\n\r\n",
	    sizeof(mp) - 1);
	memcpy(req + n, mp, sizeof(mp) - 1);
	harness_send(fd, req, n + sizeof(mp) - 1);
	multi_expect_http(fd,
	    HEAD_CHUNKED("application/msgpack") "1\r\n\x92\r\n1\r\n\x03\r\n5\r"
	                                        "\n\xa4PONG\r\n0\r\n\r\n");
	close(fd);
	/* HTTP/1.0: no chunks, the body ends with the connection. */
	fd = harness_connect(multi_h.port);
	snprintf(req, sizeof(req),
	    "POST /batch HTTP/1.0\r\nConnection: keep-alive\r\n" JSON
	    "Content-Length: %zu\r\n\r\n%s",
	    sizeof(body) - 1, body);
	harness_sends(fd, req);
	got = harness_read_all(fd, HARNESS_TIMEOUT_MS, &n, &closed);
	ck_assert_msg(closed && strstr(got, "\r\nConnection: close\r\n") &&
	        strstr(got, "Transfer-Encoding") == NULL,
	    "%s", got);
	ck_assert_str_eq(strstr(got, "\r\n\r\n"),
	    "\r\n\r\n[3,{\"error\":{\"code\":\"ERR\",\"message\":\"unknown "
	    "command 'nope', with args beginning with: \"}},20]");
	free(got);
	close(fd);
}
END_TEST

START_TEST(test_multi_http_refused)
{
	static const char *const names[] = {
	    "multi", "exec", "discard", "watch"};
	char args[256], want[512], *got;
	struct harness_out o;
	size_t i;

	for (i = 0; i < 4; i++) {
		snprintf(args, sizeof(args),
		    "curl -sS -i --max-time 10 -H 'Content-Type: "
		    "application/json' "
		    "-d '[%s]' http://127.0.0.1:%d/%s",
		    i == 3 ? "\"k\"" : "", multi_h.port, names[i]);
		harness_run(&o, args, NULL, 0);
		snprintf(want, sizeof(want),
		    "{\"error\":{\"code\":\"ERR\",\"message\":\"'%s' acts on "
		    "a RESP connection: it is not an HTTP operation\"}}",
		    names[i]);
		got = strstr(o.out, "\r\n\r\n");
		ck_assert_msg(strncmp(o.out, "HTTP/1.1 404", 12) == 0 &&
		        got != NULL && strcmp(got + 4, want) == 0,
		    "%s: %s", names[i], o.out);
		harness_out_free(&o);
	}
	/* /batch is in the OpenAPI document. */
	snprintf(args, sizeof(args),
	    "curl -sS --max-time 10 http://127.0.0.1:%d/openapi.json",
	    multi_h.port);
	harness_run(&o, args, NULL, 0);
	ck_assert_ptr_nonnull(
	    strstr(o.out, "\"/batch\":{\"post\":{\"operationId\":\"batch\""));
	harness_out_free(&o);
}
END_TEST

static Suite *
multi_suite(void)
{
	Suite *s = suite_create("multi");
	TCase *tc;

	tc = tcase_create("resp");
	tcase_add_checked_fixture(tc, multi_setup, multi_teardown);
	tcase_add_test(tc, test_multi_resp_replies);
	tcase_add_test(tc, test_multi_resp3_and_encoding);
	tcase_add_test(tc, test_multi_exec_async);
	tcase_add_test(tc, test_multi_hiredis);
	tcase_add_test(tc, test_multi_redis_cli);
	tcase_add_test(tc, test_multi_redis_py);
	suite_add_tcase(s, tc);

	tc = tcase_create("interleaved");
	tcase_add_checked_fixture(tc, multi_two_setup, multi_teardown);
	tcase_add_test(tc, test_multi_interleaved);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, multi_limits_setup, multi_teardown);
	tcase_add_test(tc, test_multi_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("batch");
	tcase_add_checked_fixture(tc, multi_setup, multi_teardown);
	tcase_add_test(tc, test_multi_batch_curl);
	tcase_add_loop_test(tc, test_multi_batch_bad, 0,
	    (int)(sizeof(multi_bad) / sizeof(multi_bad[0])));
	tcase_add_test(tc, test_multi_batch_raw);
	tcase_add_test(tc, test_multi_http_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(multi_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
