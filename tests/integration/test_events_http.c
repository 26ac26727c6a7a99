/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of publish and subscribe over HTTP (SPEC section 10):
 * GET /events/<channel> and /events?pattern= as text/event-stream (exact
 * heads and chunks on raw sockets, and real `curl -N` children whose
 * output is read with a deadline), NDJSON, POST /publish/<channel> with
 * JSON and msgpack bodies counting its receivers, the 400s, 405s and 415
 * of bad requests, HTTP/1.0 streams, requests pipelined after a stream
 * (not served), a curl killed mid-stream (the daemon serves the others
 * and stops cleanly, so ASan finds no leak), a subscriber that never
 * reads (dropped at the output limit with one log line, the others get
 * every message in order), the 15 s keep-alive comment, and admission
 * with auth: 401 NOAUTH, 403 NOPERM decided from the head.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define HOST    "Host: 127.0.0.1\r\n"
#define JSON_CT "Content-Type: application/json\r\n"
#define MP_CT   "Content-Type: application/msgpack\r\n"
#define OK200   "HTTP/1.1 200 OK"
/* The head of every stream, besides Server and Date. */
#define SSE_HEADERS                                                            \
	"Content-Type: text/event-stream\r\n"                                  \
	"Transfer-Encoding: chunked\r\n"                                       \
	"Connection: close\r\n"                                                \
	"Cache-Control: no-cache\r\n"

/* printf %s alicetoken | sha256sum; bobtoken likewise. */
#define ALICE_SHA                                                              \
	"eb0ef26a5114934960d4b5a84a83aa94c9e393b01437a578fb3fe26544f067a9"
#define BOB_SHA                                                                \
	"f0718d6796623630e988ce4a371e4fb865c52762e82667f4f12cdca94ab4b25e"

/* printf %s caroltoken | sha256sum */
#define CAROL_SHA                                                              \
	"c0eee74e43fa774f71a23225bf46f6c71a792c2db3b06ff91d7e980c9a735320"

static struct harness eh;

static void
eh_setup(void)
{
	harness_start(&eh, NULL, "workers: 2\n");
}

/* A small output limit, for the subscriber that never reads. */
static void
eh_slow_setup(void)
{
	harness_start(
	    &eh, NULL, "workers: 2\nlimits: {max_pubsub_output: 64KiB}\n");
}

/* A short idle timeout, which streams are exempt from. */
static void
eh_idle_setup(void)
{
	harness_start(&eh, NULL, "limits: {idle_timeout: 1s}\n");
}

static void
eh_auth_setup(void)
{
	harness_start(&eh, NULL,
	    "auth:\n"
	    "  users:\n"
	    "    - name: alice\n"
	    "      token_sha256: " ALICE_SHA "\n"
	    "    - name: bob\n"
	    "      token_sha256: " BOB_SHA "\n"
	    "      commands: [\"*\", \"-subscribe\", \"-publish\"]\n"
	    "    - name: carol\n"
	    "      token_sha256: " CAROL_SHA "\n"
	    "      channels: [\"news.*\"]\n");
}

static void
eh_teardown(void)
{
	harness_stop(&eh);
}

/*
 * Opens a stream: sends GET target with extra headers on a new
 * connection, expects the exact head (headers: besides Server and Date)
 * and returns the socket, the subscription live.
 */
static int
eh_open(const char *target, const char *extra, const char *headers)
{
	struct harness_http r;
	char req[1024];
	size_t len;
	char *head;
	int fd = harness_connect(eh.port);

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n" HOST "%s\r\n", target,
	    extra != NULL ? extra : "");
	harness_sends(fd, req);
	head = harness_read_until(fd, "\r\n\r\n", &len);
	ck_assert_uint_eq(harness_http_parse(&r, head, len, 1), len);
	harness_http_expects(&r, OK200, headers, NULL);
	harness_http_free(&r);
	free(head);
	return fd;
}

/* Opens a stream of SSE events (the usual head). */
static int
eh_sse(const char *target)
{
	return eh_open(target, NULL, SSE_HEADERS);
}

/*
 * POST /publish/<channel> with body (of type ctype) on a new connection:
 * expects the status line and the JSON body want.
 */
static void
eh_publish_raw(const char *channel, const char *ctype, const void *body,
    size_t bodylen, const char *line, const char *want)
{
	struct harness_http r;
	char req[1024];
	int fd = harness_connect(eh.port);

	snprintf(req, sizeof(req),
	    "POST /publish/%s HTTP/1.1\r\n" HOST "%s"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	    channel, ctype, bodylen);
	harness_sends(fd, req);
	harness_send(fd, body, bodylen);
	harness_http_read(&r, fd, 0);
	harness_http_expects(&r, line, NULL, want);
	harness_http_free(&r);
	close(fd);
}

/* Publishes JSON json on channel, expecting {"receivers":n}. */
static void
eh_publish(const char *channel, const char *json, int n)
{
	char want[64];

	snprintf(want, sizeof(want), "{\"receivers\":%d}", n);
	eh_publish_raw(channel, JSON_CT, json, strlen(json), OK200, want);
}

/* Expects one chunk holding exactly payload on fd. */
static void
eh_expect_chunk(int fd, const char *payload)
{
	char buf[16384];
	int n = snprintf(
	    buf, sizeof(buf), "%zx\r\n%s\r\n", strlen(payload), payload);

	ck_assert_int_lt(n, (int)sizeof(buf));
	harness_expect(fd, buf, (size_t)n);
}

/* The SSE event of message id with data. */
static const char *
eh_event(char *buf, size_t len, int id, const char *data)
{
	snprintf(buf, len, "event: message\nid: %d\ndata: %s\n\n", id, data);
	return buf;
}

/* Expects an error response (status line, JSON message) on fd. */
static void
eh_expect_error(int fd, const char *line, const char *message)
{
	struct harness_http r;
	char want[512];

	snprintf(want, sizeof(want),
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"%s\"}}", message);
	harness_http_read(&r, fd, 0);
	harness_http_expects(&r, line, NULL, want);
	harness_http_free(&r);
}

START_TEST(test_events_http_sse_exact)
{
	char ev[256];
	int fd = eh_sse("/events/news");

	/* Left open: the stop closes it (and must exit 0). */
	(void)eh_sse("/events/left");
	eh_publish("news", "{\"a\":[1,2]}", 1);
	eh_expect_chunk(fd, eh_event(ev, sizeof(ev), 1, "{\"a\":[1,2]}"));
	eh_publish("news", "\"hi\"", 1);
	eh_publish("other", "1", 0);
	eh_publish("news", "null", 1);
	eh_expect_chunk(fd, eh_event(ev, sizeof(ev), 2, "\"hi\""));
	eh_expect_chunk(fd, eh_event(ev, sizeof(ev), 3, "null"));
	close(fd);
}
END_TEST

START_TEST(test_events_http_ndjson_and_pattern)
{
	int nd = eh_open("/events/news", "Accept: application/x-ndjson\r\n",
	    "Content-Type: application/x-ndjson\r\n"
	    "Transfer-Encoding: chunked\r\nConnection: close\r\n"
	    "Cache-Control: no-cache\r\n");
	int pat = eh_sse("/events?pattern=n*");
	int ndpat = eh_open("/events?pattern=%5Bn%5Dews",
	    "Accept: application/x-ndjson\r\n",
	    "Content-Type: application/x-ndjson\r\n"
	    "Transfer-Encoding: chunked\r\nConnection: close\r\n"
	    "Cache-Control: no-cache\r\n");
	char ev[256];

	eh_publish("news", "[1,{\"b\":true}]", 3);
	eh_publish("nope", "7", 1);
	eh_expect_chunk(nd, "[1,{\"b\":true}]\n");
	eh_expect_chunk(
	    ndpat, "{\"channel\":\"news\",\"data\":[1,{\"b\":true}]}\n");
	eh_expect_chunk(pat,
	    eh_event(ev, sizeof(ev), 1,
	        "{\"channel\":\"news\",\"data\":[1,{\"b\":true}]}"));
	eh_expect_chunk(pat,
	    eh_event(ev, sizeof(ev), 2, "{\"channel\":\"nope\",\"data\":7}"));
	close(nd);
	close(pat);
	close(ndpat);
}
END_TEST

/* A percent-encoded channel is the decoded name: "a b/c" here. */
START_TEST(test_events_http_decoded_channel)
{
	char ev[256];
	int fd = eh_sse("/events/a%20b%2Fc");

	eh_publish("a%20b%2Fc", "1", 1);
	eh_publish("a%20b", "2", 0);
	eh_expect_chunk(fd, eh_event(ev, sizeof(ev), 1, "1"));
	close(fd);
}
END_TEST

/* msgpack bodies, a msgpack reply, and every receiver counted. */
START_TEST(test_events_http_publish_counts)
{
	static const char arr[] = "\x93\x01\x02\xa1x";
	static const char reply[] = "\x81\xa9receivers\x02";
	char ev[256];
	struct harness_http r;
	int a = eh_sse("/events/c1"), b = eh_sse("/events/c1"), fd;
	char req[512];

	eh_publish("c1", "{\"n\":1}", 2);
	eh_publish_raw(
	    "c1", MP_CT, arr, sizeof(arr) - 1, OK200, "{\"receivers\":2}");
	eh_publish("nobody", "1", 0);
	/* Accept: msgpack gets the reply as msgpack. */
	fd = harness_connect(eh.port);
	snprintf(req, sizeof(req),
	    "POST /publish/c1 HTTP/1.1\r\n" HOST JSON_CT
	    "Accept: application/msgpack\r\nContent-Length: 1\r\n\r\n3");
	harness_sends(fd, req);
	harness_http_read(&r, fd, 0);
	harness_http_expect(&r, OK200, NULL, reply, sizeof(reply) - 1);
	harness_http_free(&r);
	close(fd);
	eh_expect_chunk(a, eh_event(ev, sizeof(ev), 1, "{\"n\":1}"));
	eh_expect_chunk(a, eh_event(ev, sizeof(ev), 2, "[1,2,\"x\"]"));
	eh_expect_chunk(a, eh_event(ev, sizeof(ev), 3, "3"));
	eh_expect_chunk(b, eh_event(ev, sizeof(ev), 1, "{\"n\":1}"));
	eh_expect_chunk(b, eh_event(ev, sizeof(ev), 2, "[1,2,\"x\"]"));
	eh_expect_chunk(b, eh_event(ev, sizeof(ev), 3, "3"));
	close(a);
	close(b);
}
END_TEST

/* Fails unless CLIENT LIST has a line with both a and b. */
static void
eh_client_list_has(const char *a, const char *b)
{
	int fd = harness_connect(eh.port);
	char *got, *line, *save = NULL;
	size_t len;
	int found = 0;

	harness_sends(fd, "CLIENT LIST\r\n");
	got = harness_read_until(fd, "\n\r\n", &len);
	for (line = strtok_r(got, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		found |= strstr(line, a) != NULL && strstr(line, b) != NULL;
	ck_assert_msg(found, "no client with '%s' and '%s'", a, b);
	free(got);
	close(fd);
}

/*
 * RESP and HTTP share the channels: a publish counts and reaches the
 * subscribers of both (a non-string value as its JSON text on RESP).
 */
START_TEST(test_events_http_resp_interop)
{
	char ev[256];
	int sse = eh_sse("/events/mix"), resp = harness_connect(eh.port);
	size_t len;

	harness_sends(resp, "SUBSCRIBE mix\r\n");
	harness_expects(resp, "*3\r\n$9\r\nsubscribe\r\n$3\r\nmix\r\n:1\r\n");
	/* CLIENT LIST counts the stream's subscription as a RESP one. */
	eh_client_list_has(" proto=http ", " sub=1 psub=0 ");
	eh_publish("mix", "{\"a\":1}", 2);
	harness_expects(
	    resp, "*3\r\n$7\r\nmessage\r\n$3\r\nmix\r\n$7\r\n{\"a\":1}\r\n");
	eh_expect_chunk(sse, eh_event(ev, sizeof(ev), 1, "{\"a\":1}"));
	close(resp);
	resp = harness_connect(eh.port);
	harness_sends(resp, "PUBLISH mix hi\r\n");
	/* The RESP subscriber may not be gone yet: 1 or 2. */
	free(harness_read_until(resp, "\r\n", &len));
	eh_expect_chunk(sse, eh_event(ev, sizeof(ev), 2, "\"hi\""));
	close(resp);
	close(sse);
}
END_TEST

/* A bad request for a reserved path and what it is answered. */
struct eh_bad {
	const char *req;
	const char *line;
	const char *message;
};

#define BAD400 "HTTP/1.1 400 Bad Request"
#define NEITHER                                                                \
	"give a channel (/events/<channel>) or a pattern "                     \
	"(/events?pattern=<glob>)"

static const struct eh_bad eh_bads[] = {
    {"GET /events HTTP/1.1\r\n" HOST "\r\n", BAD400, NEITHER},
    {"GET /events/ HTTP/1.1\r\n" HOST "\r\n", BAD400,
        "the channel name is empty"},
    {"GET /events?pattern= HTTP/1.1\r\n" HOST "\r\n", BAD400,
        "the pattern is empty"},
    {"GET /events/a?pattern=b HTTP/1.1\r\n" HOST "\r\n", BAD400,
        NEITHER ", not both"},
    {"GET /events?channel=a HTTP/1.1\r\n" HOST "\r\n", BAD400,
        "GET /events takes one query parameter: pattern"},
    {"GET /events/a%zz HTTP/1.1\r\n" HOST "\r\n", BAD400,
        "bad percent-encoding in the request target"},
    {"POST /events/a HTTP/1.1\r\n" HOST JSON_CT "Content-Length: 1\r\n\r\n1",
        "HTTP/1.1 405 Method Not Allowed", "/events answers GET and HEAD only"},
    {"GET /publish/a HTTP/1.1\r\n" HOST "\r\n",
        "HTTP/1.1 405 Method Not Allowed",
        "/publish/<channel> answers POST only"},
    {"POST /publish/ HTTP/1.1\r\n" HOST JSON_CT "Content-Length: 1\r\n\r\n1",
        BAD400, "the channel name is empty"},
    {"POST /publish/a?x=1 HTTP/1.1\r\n" HOST JSON_CT
     "Content-Length: 1\r\n\r\n1",
        BAD400, "POST /publish/<channel> takes no query"},
    {"POST /publish/a HTTP/1.1\r\n" HOST "Content-Length: 0\r\n\r\n", BAD400,
        "POST /publish/<channel> needs a body: the value to publish, as "
        "JSON or msgpack"},
    {"POST /publish/a HTTP/1.1\r\n" HOST JSON_CT "Content-Length: 2\r\n\r\n[1",
        BAD400, "invalid JSON at offset 2: premature EOF"},
    {"POST /publish/a HTTP/1.1\r\n" HOST MP_CT
     "Content-Length: 2\r\n\r\n\x01\x02",
        BAD400, "trailing bytes after the msgpack value"},
    {"POST /publish/a HTTP/1.1\r\n" HOST
     "Content-Type: text/plain\r\nContent-Length: 1\r\n\r\nx",
        "HTTP/1.1 415 Unsupported Media Type",
        "a request body must be application/json or application/msgpack"},
    {"POST /publish/a HTTP/1.1\r\n" HOST "Content-Length: 1\r\n\r\nx",
        "HTTP/1.1 415 Unsupported Media Type",
        "a request body must be application/json or application/msgpack"},
};

/* Sends GET /healthz, closing, on fd: expects ok, then the close. */
static void
eh_healthz_close(int fd)
{
	size_t len;
	int closed;
	char *got;

	harness_sends(
	    fd, "GET /healthz HTTP/1.1\r\n" HOST "Connection: close\r\n\r\n");
	got = harness_read_all(fd, HARNESS_TIMEOUT_MS, &len, &closed);
	ck_assert_msg(strncmp(got, OK200 "\r\n", 17) == 0 && len > 3 &&
	        memcmp(got + len - 3, "ok\n", 3) == 0 && closed,
	    "healthz: '%s'", got);
	free(got);
}

/* Each is answered, and the connection serves the next request. */
START_TEST(test_events_http_bad_requests)
{
	const struct eh_bad *t = &eh_bads[_i];
	int fd = harness_connect(eh.port);

	fprintf(stderr, "case: %s\n", t->req);
	harness_sends(fd, t->req);
	eh_expect_error(fd, t->line, t->message);
	eh_healthz_close(fd);
	close(fd);
}
END_TEST

/*
 * HTTP/1.0: the events are the body as they are, ended by closing; HEAD
 * gets the head alone and the connection serves on.
 */
START_TEST(test_events_http_http10_and_head)
{
	char ev[256], req[128];
	size_t len;
	char *got;
	int fd = harness_connect(eh.port);

	harness_sends(fd, "GET /events/old HTTP/1.0\r\n\r\n");
	free(harness_read_until(fd, "\r\n\r\n", &len));
	eh_publish("old", "1", 1);
	harness_expects(fd, eh_event(ev, sizeof(ev), 1, "1"));
	close(fd);

	fd = harness_connect(eh.port);
	snprintf(req, sizeof(req), "HEAD /events/h HTTP/1.1\r\n" HOST "\r\n");
	harness_sends(fd, req);
	got = harness_read_until(fd, "\r\n\r\n", &len);
	ck_assert_ptr_nonnull(strstr(got, "Content-Type: text/event-stream"));
	ck_assert_ptr_null(strstr(got, "Connection: close"));
	free(got);
	eh_publish("h", "1", 0);
	eh_healthz_close(fd);
	close(fd);
}
END_TEST

/* Requests pipelined after a stream's are not served. */
START_TEST(test_events_http_pipelined_after_stream)
{
	char ev[256];
	int fd = harness_connect(eh.port), closed;
	size_t len;
	char *got;

	harness_sends(fd,
	    "GET /events/p HTTP/1.1\r\n" HOST "\r\n"
	    "GET /healthz HTTP/1.1\r\n" HOST "\r\n");
	free(harness_read_until(fd, "\r\n\r\n", &len));
	eh_publish("p", "1", 1);
	eh_expect_chunk(fd, eh_event(ev, sizeof(ev), 1, "1"));
	harness_sends(fd, "GET /healthz HTTP/1.1\r\n" HOST "\r\n");
	eh_publish("p", "2", 1);
	eh_expect_chunk(fd, eh_event(ev, sizeof(ev), 2, "2"));
	got = harness_read_all(fd, 200, &len, &closed);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(closed, 0);
	free(got);
	close(fd);
}
END_TEST

/*
 * `curl -N` as a child, its stdout and stderr one pipe (returned): -v, so
 * the head, which says that the subscription is live, comes on stderr at
 * once (-i holds it back until the body begins).
 */
static int
eh_curl(const char *args, pid_t *pid)
{
	char cmd[1024];
	int p[2];

	snprintf(cmd, sizeof(cmd),
	    "exec curl -sS -N -v --max-time 60 http://127.0.0.1:%d%s", eh.port,
	    args);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	*pid = fork();
	ck_assert_int_ge(*pid, 0);
	if (*pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	return p[0];
}

/* Reads fd until it holds text, with a deadline (HARNESS_TIMEOUT_MS). */
static char *
eh_read_for(int fd, const char *text, int timeout_ms)
{
	struct timespec ts;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	size_t len = 0, cap = 65536;
	char *buf = calloc(1, cap);
	long long deadline, now;
	ssize_t n;

	ck_assert_ptr_nonnull(buf);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 + timeout_ms;
	while (strstr(buf, text) == NULL) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
		ck_assert_msg(now < deadline && len + 1 < cap,
		    "never read '%s'; got '%s'", text, buf);
		if (poll(&pfd, 1, (int)(deadline - now)) != 1)
			continue;
		n = read(fd, buf + len, cap - len - 1);
		ck_assert_msg(n > 0, "end before '%s'; got '%s'", text, buf);
		len += (size_t)n;
		buf[len] = '\0';
	}
	return buf;
}

/* Real curl clients; one killed mid-stream, the others go on. */
START_TEST(test_events_http_curl)
{
	pid_t pa, pb;
	int a = eh_curl("/events/tv", &pa), b = eh_curl("/events/tv", &pb);
	int status, fd;
	char *got;

	free(eh_read_for(a, "< Cache-Control: no-cache", HARNESS_TIMEOUT_MS));
	free(eh_read_for(b, "< Cache-Control: no-cache", HARNESS_TIMEOUT_MS));
	eh_publish("tv", "{\"show\":1}", 2);
	got = eh_read_for(a, "data: {\"show\":1}\n\n", HARNESS_TIMEOUT_MS);
	ck_assert_ptr_nonnull(strstr(got, "event: message\nid: 1\n"));
	free(got);
	free(eh_read_for(b, "data: {\"show\":1}\n\n", HARNESS_TIMEOUT_MS));
	/* b dies mid-stream: once the daemon has seen it go (a and fd
	 * itself are left), a and new clients are served. */
	kill(pb, SIGKILL);
	ck_assert_int_eq(waitpid(pb, &status, 0), pb);
	close(b);
	fd = harness_connect(eh.port);
	harness_wait_clients(fd, 2);
	close(fd);
	eh_publish("tv", "2", 1);
	free(eh_read_for(a, "id: 2\ndata: 2\n\n", HARNESS_TIMEOUT_MS));
	kill(pa, SIGKILL);
	ck_assert_int_eq(waitpid(pa, &status, 0), pa);
	close(a);
}
END_TEST

#define DROPPED "dropped: pub/sub output over 65536 bytes"

/*
 * A subscriber that never reads is dropped once its unsent output passes
 * the limit (one log line); a reading one gets every message in order.
 */
START_TEST(test_events_http_slow_subscriber)
{
	char big[8192 + 64], json[8192 + 128], ev[8192 + 256];
	int slow, fast, rcv = 4096, i;
	size_t len;
	char *got;

	memset(big, 'x', 8192);
	big[8192] = '\0';
	slow = harness_connect(eh.port);
	setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	harness_sends(slow, "GET /events/flood HTTP/1.1\r\n" HOST "\r\n");
	free(harness_read_until(slow, "\r\n\r\n", &len));
	fast = eh_sse("/events/flood");
	/* Until the slow one is dropped (the kernel's buffers take some
	 * first); it counts as a receiver until then. */
	for (i = 1, got = NULL; i <= 2000; i++) {
		snprintf(json, sizeof(json), "[%d,\"%s\"]", i, big);
		eh_publish_raw(
		    "flood", JSON_CT, json, strlen(json), OK200, NULL);
		eh_expect_chunk(fast, eh_event(ev, sizeof(ev), i, json));
		if (i % 16 != 0)
			continue;
		got = harness_log(&eh);
		if (strstr(got, DROPPED) != NULL)
			break;
		free(got);
		got = NULL;
	}
	ck_assert_msg(got != NULL, "the slow subscriber was never dropped");
	free(got);
	eh_publish("flood", "\"after\"", 1);
	eh_expect_chunk(fast, eh_event(ev, sizeof(ev), i + 1, "\"after\""));
	got = harness_log(&eh);
	ck_assert_ptr_null(strstr(strstr(got, DROPPED) + 1, DROPPED));
	free(got);
	close(slow);
	close(fast);
}
END_TEST

/* The keep-alive comment comes within 15 s (and a bit). */
START_TEST(test_events_http_keepalive)
{
	static const char want[] = "e\r\n: keep-alive\n\n\r\n";
	int fd = eh_sse("/events/quiet");
	size_t len;
	char *got = harness_read_n(fd, sizeof(want) - 1, 17000, &len);

	ck_assert_uint_eq(len, sizeof(want) - 1);
	ck_assert_mem_eq(got, want, len);
	free(got);
	close(fd);
}
END_TEST

/*
 * A stream outlives limits.idle_timeout: once an idle connection opened
 * after it has been closed, it still gets its events.
 */
START_TEST(test_events_http_idle_exempt)
{
	char ev[256];
	int sse = eh_sse("/events/slowly"), idle = harness_connect(eh.port);
	size_t len;
	int closed;

	harness_sends(idle, "PING\r\n");
	harness_expects(idle, "+PONG\r\n");
	free(harness_read_all(idle, HARNESS_TIMEOUT_MS, &len, &closed));
	ck_assert(len == 0 && closed);
	close(idle);
	eh_publish("slowly", "1", 1);
	eh_expect_chunk(sse, eh_event(ev, sizeof(ev), 1, "1"));
	close(sse);
}
END_TEST

#define NOAUTH_JSON                                                            \
	"{\"error\":{\"code\":\"NOAUTH\",\"message\":\"Authentication "        \
	"required.\"}}"

/* Admission as the commands subscribe and publish, from the head. */
START_TEST(test_events_http_auth)
{
	struct harness_http r;
	char ev[256];
	int fd, sse, closed;
	size_t len;

	fd = harness_connect(eh.port);
	harness_sends(fd, "GET /events/s HTTP/1.1\r\n" HOST "\r\n");
	harness_http_read(&r, fd, 0);
	harness_http_expects(
	    &r, "HTTP/1.1 401 Unauthorized", NULL, NOAUTH_JSON);
	ck_assert_str_eq(harness_http_header(&r, "WWW-Authenticate"),
	    "Bearer realm=\"duetd\"");
	harness_http_free(&r);
	/* bob may not subscribe. */
	harness_sends(fd,
	    "GET /events/s HTTP/1.1\r\n" HOST
	    "Authorization: Bearer bobtoken\r\n\r\n");
	harness_http_read(&r, fd, 0);
	harness_http_expects(&r, "HTTP/1.1 403 Forbidden", NULL,
	    "{\"error\":{\"code\":\"NOPERM\",\"message\":\"User bob has no "
	    "permissions to run the 'subscribe' command\"}}");
	harness_http_free(&r);
	/* A refused publish announcing a body: answered from its head, no
	 * 100 Continue, and the connection closes (the body is not read). */
	harness_sends(fd,
	    "POST /publish/s HTTP/1.1\r\n" HOST JSON_CT
	    "Authorization: Bearer bobtoken\r\n"
	    "Expect: 100-continue\r\nContent-Length: 50000000\r\n\r\n");
	harness_http_read(&r, fd, 0);
	ck_assert_str_eq(r.line, "HTTP/1.1 403 Forbidden");
	ck_assert_str_eq(harness_http_header(&r, "Connection"), "close");
	harness_http_free(&r);
	free(harness_read_all(fd, HARNESS_TIMEOUT_MS, &len, &closed));
	ck_assert(len == 0 && closed);
	close(fd);
	/* alice may. */
	sse = eh_open(
	    "/events/s", "Authorization: Bearer alicetoken\r\n", SSE_HEADERS);
	fd = harness_connect(eh.port);
	harness_sends(fd,
	    "POST /publish/s HTTP/1.1\r\n" HOST JSON_CT
	    "Authorization: Bearer alicetoken\r\n"
	    "Content-Length: 1\r\nConnection: close\r\n\r\n5");
	harness_http_read(&r, fd, 0);
	harness_http_expects(&r, OK200, NULL, "{\"receivers\":1}");
	harness_http_free(&r);
	close(fd);
	eh_expect_chunk(sse, eh_event(ev, sizeof(ev), 1, "5"));
	close(sse);
}
END_TEST

#define CAROL "Authorization: Bearer caroltoken\r\n"
#define NOPERM_CHANNEL(ch)                                                     \
	"{\"error\":{\"code\":\"NOPERM\",\"message\":\"User carol has no "     \
	"permissions to access the '" ch "' channel\"}}"

/*
 * The channel rules (carol: news.*): a stream or a publish elsewhere is
 * 403, a pattern only if its text matches, decided from the head.
 */
START_TEST(test_events_http_channel_rules)
{
	struct harness_http r;
	char ev[256];
	size_t len;
	int fd, sse, closed;

	fd = harness_connect(eh.port);
	harness_sends(fd, "GET /events/secret HTTP/1.1\r\n" HOST CAROL "\r\n");
	harness_http_read(&r, fd, 0);
	harness_http_expects(
	    &r, "HTTP/1.1 403 Forbidden", NULL, NOPERM_CHANNEL("secret"));
	harness_http_free(&r);
	harness_sends(
	    fd, "GET /events?pattern=* HTTP/1.1\r\n" HOST CAROL "\r\n");
	harness_http_read(&r, fd, 0);
	harness_http_expects(
	    &r, "HTTP/1.1 403 Forbidden", NULL, NOPERM_CHANNEL("*"));
	harness_http_free(&r);
	harness_sends(fd,
	    "POST /publish/secret HTTP/1.1\r\n" HOST CAROL JSON_CT
	    "Content-Length: 50000000\r\n\r\n");
	harness_http_read(&r, fd, 0);
	harness_http_expects(
	    &r, "HTTP/1.1 403 Forbidden", NULL, NOPERM_CHANNEL("secret"));
	ck_assert_str_eq(harness_http_header(&r, "Connection"), "close");
	harness_http_free(&r);
	free(harness_read_all(fd, HARNESS_TIMEOUT_MS, &len, &closed));
	ck_assert(len == 0 && closed);
	close(fd);
	/* Inside her channels she may, decoded before the rules see it. */
	sse = eh_open("/events?pattern=news.%2A", CAROL, SSE_HEADERS);
	fd = harness_connect(eh.port);
	harness_sends(fd,
	    "POST /publish/news.tv HTTP/1.1\r\n" HOST CAROL JSON_CT
	    "Content-Length: 1\r\nConnection: close\r\n\r\n7");
	harness_http_read(&r, fd, 0);
	harness_http_expects(&r, OK200, NULL, "{\"receivers\":1}");
	harness_http_free(&r);
	close(fd);
	eh_expect_chunk(sse,
	    eh_event(
	        ev, sizeof(ev), 1, "{\"channel\":\"news.tv\",\"data\":7}"));
	close(sse);
}
END_TEST

static Suite *
events_http_suite(void)
{
	Suite *s = suite_create("events_http");
	TCase *tc;

	tc = tcase_create("streams");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, eh_setup, eh_teardown);
	tcase_add_test(tc, test_events_http_sse_exact);
	tcase_add_test(tc, test_events_http_ndjson_and_pattern);
	tcase_add_test(tc, test_events_http_decoded_channel);
	tcase_add_test(tc, test_events_http_publish_counts);
	tcase_add_test(tc, test_events_http_resp_interop);
	tcase_add_test(tc, test_events_http_http10_and_head);
	tcase_add_test(tc, test_events_http_pipelined_after_stream);
	tcase_add_test(tc, test_events_http_curl);
	tcase_add_test(tc, test_events_http_keepalive);
	suite_add_tcase(s, tc);

	/* One daemon for every case: each leaves it as it found it. */
	tc = tcase_create("bad");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, eh_setup, eh_teardown);
	tcase_add_loop_test(tc, test_events_http_bad_requests, 0,
	    (int)(sizeof(eh_bads) / sizeof(eh_bads[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("slow");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, eh_slow_setup, eh_teardown);
	tcase_add_test(tc, test_events_http_slow_subscriber);
	suite_add_tcase(s, tc);

	tc = tcase_create("idle");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, eh_idle_setup, eh_teardown);
	tcase_add_test(tc, test_events_http_idle_exempt);
	suite_add_tcase(s, tc);

	tc = tcase_create("auth");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, eh_auth_setup, eh_teardown);
	tcase_add_test(tc, test_events_http_auth);
	tcase_add_test(tc, test_events_http_channel_rules);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(events_http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
