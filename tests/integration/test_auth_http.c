/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of HTTP meeting auth (SPEC 9.3): a real duetd with
 * two users (alice: everything but del; bob: @readonly), driven by curl
 * (Bearer, Basic with -u) and raw sockets for exact statuses, headers and
 * bodies: 401 NOAUTH with its WWW-Authenticate challenge, 401 WRONGPASS
 * with error="invalid_token", 403 NOPERM; refusals decided from the head
 * (401 before 413, no 100 Continue, Connection: close and a close, a 50
 * MB body never read); no identity carried from one request of a
 * keep-alive connection to the next; the open paths, /metrics and the
 * listings filtered per caller; the failed-login throttle answering late
 * without slowing other clients.  No token reaches the log.
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

#include "harness.h"

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))
#define JSON_CT   "Content-Type: application/json\r\n"
#define HOST      "Host: 127.0.0.1\r\n"

/* printf %s alicetoken | sha256sum; bobtoken likewise. */
#define ALICE_SHA                                                              \
	"eb0ef26a5114934960d4b5a84a83aa94c9e393b01437a578fb3fe26544f067a9"
#define BOB_SHA                                                                \
	"f0718d6796623630e988ce4a371e4fb865c52762e82667f4f12cdca94ab4b25e"

#define NOAUTH_JSON                                                            \
	"{\"error\":{\"code\":\"NOAUTH\",\"message\":\"Authentication "        \
	"required.\"}}"
#define WRONGPASS_JSON                                                         \
	"{\"error\":{\"code\":\"WRONGPASS\",\"message\":\"invalid "            \
	"username-password pair or user is disabled.\"}}"
#define NOPERM_SET_JSON                                                        \
	"{\"error\":{\"code\":\"NOPERM\",\"message\":\"User bob has no "       \
	"permissions to run the 'set' command\"}}"
#define CHALLENGE "WWW-Authenticate: Bearer realm=\"duetd\"\r\n"
#define CHALLENGE_INVALID                                                      \
	"WWW-Authenticate: Bearer realm=\"duetd\", "                           \
	"error=\"invalid_token\"\r\n"

static struct harness ah;
static char ah_base[64]; /* http://127.0.0.1:PORT */

static void
ah_setup(void)
{
	harness_start(&ah, NULL,
	    "limits: {max_request_bytes: 64KiB}\n"
	    "auth:\n"
	    "  users:\n"
	    "    - name: alice\n"
	    "      token_sha256: " ALICE_SHA "\n"
	    "      commands: [\"*\", \"-del\"]\n"
	    "    - name: bob\n"
	    "      token_sha256: " BOB_SHA "\n"
	    "      commands: [\"@readonly\"]\n");
	snprintf(ah_base, sizeof(ah_base), "http://127.0.0.1:%d", ah.port);
}

static void
ah_teardown(void)
{
	char *log = harness_log(&ah);

	/* Secrets never reach a log line (SPEC 9.1). */
	ck_assert_msg(strstr(log, "alicetoken") == NULL &&
	        strstr(log, "bobtoken") == NULL &&
	        strstr(log, "wrong-token") == NULL,
	    "a token in the log:\n%s", log);
	free(log);
	harness_stop(&ah);
}

/* Runs curl -sS -i with the arguments fmt makes; one response into r. */
static void ah_curl(struct harness_http *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
ah_curl(struct harness_http *r, const char *fmt, ...)
{
	struct harness_out o;
	char cmd[2048];
	va_list ap;
	int n;

	n = snprintf(cmd, sizeof(cmd), "curl -sS -i -g --max-time 10 ");
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_msg(
	    o.status == 0, "'%s' exited %d: %s", cmd, o.status, o.err);
	ck_assert_uint_eq(harness_http_parse(r, o.out, o.outlen, 0), o.outlen);
	harness_out_free(&o);
}

/* Expects a JSON response: status line, headers besides type/length. */
static void
ah_expect_json(const struct harness_http *r, const char *line,
    const char *extra, const char *json)
{
	char hdrs[512];

	snprintf(hdrs, sizeof(hdrs), JSON_CT "Content-Length: %zu\r\n%s",
	    strlen(json), extra != NULL ? extra : "");
	harness_http_expects(r, line, hdrs, json);
}

/* Sends req on fd and reads one response into r. */
static void
ah_exchange(int fd, const char *req, struct harness_http *r)
{
	harness_sends(fd, req);
	harness_http_read(r, fd, 0);
}

static long long
ah_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(test_auth_http_noauth_exact)
{
	struct harness_http r;
	int fd = harness_connect(ah.port);

	ah_exchange(fd, "GET /get/k HTTP/1.1\r\n" HOST "\r\n", &r);
	ah_expect_json(&r, "HTTP/1.1 401 Unauthorized", CHALLENGE, NOAUTH_JSON);
	harness_http_free(&r);
	/* The connection stays (no body was announced). */
	ah_exchange(fd,
	    "GET /get/k HTTP/1.1\r\n" HOST
	    "Authorization: Bearer alicetoken\r\n"
	    "\r\n",
	    &r);
	ah_expect_json(&r, "HTTP/1.1 200 OK", NULL, "null");
	harness_http_free(&r);
	close(fd);
}
END_TEST

START_TEST(test_auth_http_wrongpass_exact)
{
	static const char *const creds[] = {
	    "Bearer wrong-token",
	    "Bearer bobtoken-",
	    "Basic YWxpY2U6Ym9idG9rZW4=",     /* alice:bobtoken */
	    "Basic bm9ib2R5OmFsaWNldG9rZW4=", /* nobody:alicetoken */
	    "Basic !!!!",                     /* not base64 */
	    "Basic YWxpY2U=",                 /* alice (no colon) */
	    "Bearer ",
	    "Basic",
	};
	struct harness_http r;
	char req[256];
	size_t i;
	int fd = harness_connect(ah.port);

	for (i = 0; i < NCASES(creds); i++) {
		snprintf(req, sizeof(req),
		    "GET /ping HTTP/1.1\r\n" HOST "Authorization: %s\r\n\r\n",
		    creds[i]);
		ah_exchange(fd, req, &r);
		ah_expect_json(&r, "HTTP/1.1 401 Unauthorized",
		    CHALLENGE_INVALID, WRONGPASS_JSON);
		harness_http_free(&r);
		if (i == 3) {
			/* Clears the address's failures: no throttle yet. */
			ah_exchange(fd,
			    "GET /ping HTTP/1.1\r\n" HOST
			    "Authorization: Bearer alicetoken\r\n\r\n",
			    &r);
			ck_assert_int_eq(r.status, 200);
			harness_http_free(&r);
			close(fd);
			fd = harness_connect(ah.port);
		}
	}
	/* A scheme the daemon does not take is no credentials. */
	ah_exchange(fd,
	    "GET /get/k HTTP/1.1\r\n" HOST "Authorization: Digest x=1\r\n\r\n",
	    &r);
	ah_expect_json(&r, "HTTP/1.1 401 Unauthorized", CHALLENGE, NOAUTH_JSON);
	harness_http_free(&r);
	close(fd);
}
END_TEST

START_TEST(test_auth_http_noperm_closes)
{
	static const char req[] =
	    "POST /set HTTP/1.1\r\n" HOST "Authorization: Bearer bobtoken\r\n"
	    "Content-Type: application/json\r\nContent-Length: 9\r\n\r\n"
	    "[\"a\",\"b\"]";
	struct harness_http r;
	int fd = harness_connect(ah.port);

	ah_exchange(fd, req, &r);
	ah_expect_json(&r, "HTTP/1.1 403 Forbidden", "Connection: close\r\n",
	    NOPERM_SET_JSON);
	harness_http_free(&r);
	harness_expect_close(fd, "");
	close(fd);
	/* Without a body the connection stays. */
	fd = harness_connect(ah.port);
	ah_exchange(fd,
	    "GET /del/a HTTP/1.1\r\n" HOST
	    "Authorization: Basic YWxpY2U6YWxpY2V0b2tlbg==\r\n\r\n",
	    &r);
	/* Who may call it comes before how (405 for a GET). */
	ah_expect_json(&r, "HTTP/1.1 403 Forbidden", NULL,
	    "{\"error\":{\"code\":\"NOPERM\",\"message\":\"User alice has no "
	    "permissions to run the 'del' command\"}}");
	harness_http_free(&r);
	ah_exchange(fd,
	    "POST /del HTTP/1.1\r\n" HOST
	    "Authorization: Basic YWxpY2U6YWxpY2V0b2tlbg==\r\n"
	    "Content-Length: 0\r\n\r\n",
	    &r);
	ah_expect_json(&r, "HTTP/1.1 403 Forbidden", NULL,
	    "{\"error\":{\"code\":\"NOPERM\",\"message\":\"User alice has no "
	    "permissions to run the 'del' command\"}}");
	harness_http_free(&r);
	close(fd);
}
END_TEST

START_TEST(test_auth_http_curl_bearer_and_basic)
{
	struct harness_http r;

	ah_curl(&r,
	    "-H 'Authorization: Bearer alicetoken' -H 'Content-Type: "
	    "application/json' --data-binary '[\"k\",\"v\"]' %s/set",
	    ah_base);
	ah_expect_json(&r, "HTTP/1.1 200 OK", NULL, "\"OK\"");
	harness_http_free(&r);
	ah_curl(&r, "-u alice:alicetoken %s/get/k", ah_base);
	ah_expect_json(&r, "HTTP/1.1 200 OK", NULL, "\"v\"");
	harness_http_free(&r);
	ah_curl(&r, "-u bob:bobtoken %s/get?key=k", ah_base);
	ah_expect_json(&r, "HTTP/1.1 200 OK", NULL, "\"v\"");
	harness_http_free(&r);
	/* AUTH default token = AUTH token: Basic with user "default". */
	ah_curl(&r, "-u default:bobtoken %s/get/k", ah_base);
	ah_expect_json(&r, "HTTP/1.1 200 OK", NULL, "\"v\"");
	harness_http_free(&r);
	ah_curl(&r, "-u bob:alicetoken %s/get/k", ah_base);
	ah_expect_json(
	    &r, "HTTP/1.1 401 Unauthorized", CHALLENGE_INVALID, WRONGPASS_JSON);
	harness_http_free(&r);
	ah_curl(&r,
	    "-H 'Content-Type: application/json' --data-binary '[\"k\",\"w\"]' "
	    "%s/set",
	    ah_base);
	ah_expect_json(&r, "HTTP/1.1 401 Unauthorized",
	    CHALLENGE "Connection: close\r\n", NOAUTH_JSON);
	harness_http_free(&r);
}
END_TEST

START_TEST(test_auth_http_401_before_413)
{
	static const char *const reqs[] = {
	    /* Far over max_request_bytes (64 KiB). */
	    "POST /set HTTP/1.1\r\n" HOST "Content-Type: application/json\r\n"
	    "Content-Length: 99999999999\r\n\r\n[\"k\"",
	    "POST /set HTTP/1.1\r\n" HOST "Content-Type: application/json\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n10000000\r\n[\"k\"",
	    /* Expect: 100-continue gets the 401 and no 100 Continue. */
	    "POST /set HTTP/1.1\r\n" HOST "Content-Type: application/json\r\n"
	    "Expect: 100-continue\r\nContent-Length: 99999999\r\n\r\n",
	    "POST /set HTTP/1.1\r\n" HOST "Content-Type: application/json\r\n"
	    "Expect: 100-continue\r\nContent-Length: 9\r\n\r\n",
	};
	struct harness_http r;
	size_t i;
	int fd;

	for (i = 0; i < NCASES(reqs); i++) {
		fd = harness_connect(ah.port);
		ah_exchange(fd, reqs[i], &r);
		ah_expect_json(&r, "HTTP/1.1 401 Unauthorized",
		    CHALLENGE "Connection: close\r\n", NOAUTH_JSON);
		harness_http_free(&r);
		harness_expect_close(fd, "");
		close(fd);
	}
	/* An authenticated caller who may set meets the size limit. */
	fd = harness_connect(ah.port);
	ah_exchange(fd,
	    "POST /set HTTP/1.1\r\n" HOST "Authorization: Bearer alicetoken\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 99999999999\r\n\r\n",
	    &r);
	ck_assert_str_eq(r.line, "HTTP/1.1 413 Content Too Large");
	harness_http_free(&r);
	close(fd);
	/* bob may not set: 403 before 413. */
	fd = harness_connect(ah.port);
	ah_exchange(fd,
	    "POST /set HTTP/1.1\r\n" HOST "Authorization: Bearer bobtoken\r\n"
	    "Content-Type: application/json\r\nExpect: 100-continue\r\n"
	    "Content-Length: 99999999999\r\n\r\n",
	    &r);
	ah_expect_json(&r, "HTTP/1.1 403 Forbidden", "Connection: close\r\n",
	    NOPERM_SET_JSON);
	harness_http_free(&r);
	harness_expect_close(fd, "");
	close(fd);
}
END_TEST

START_TEST(test_auth_http_continue_when_admitted)
{
	struct harness_http r;
	int fd = harness_connect(ah.port);

	harness_sends(fd,
	    "POST /set HTTP/1.1\r\n" HOST "Authorization: Bearer alicetoken\r\n"
	    "Content-Type: application/json\r\nExpect: 100-continue\r\n"
	    "Content-Length: 9\r\n\r\n");
	harness_expects(fd, "HTTP/1.1 100 Continue\r\n\r\n");
	ah_exchange(fd, "[\"a\",\"b\"]", &r);
	ah_expect_json(&r, "HTTP/1.1 200 OK", NULL, "\"OK\"");
	harness_http_free(&r);
	close(fd);
}
END_TEST

START_TEST(test_auth_http_big_body_unread)
{
	static char chunk[65536];
	struct harness_http r;
	long before, after;
	int fd, i;

	memset(chunk, 'x', sizeof(chunk));
	before = harness_rss_kb(&ah);
	for (i = 0; i < 4; i++) {
		fd = harness_connect(ah.port);
		/* 50 MB announced; the head and a little of it sent. */
		harness_sends(fd,
		    "POST /set HTTP/1.1\r\n" HOST
		    "Content-Type: application/json\r\n"
		    "Content-Length: 52428800\r\n\r\n[\"k\",\"");
		harness_send(fd, chunk, sizeof(chunk));
		harness_http_read(&r, fd, 0);
		ah_expect_json(&r, "HTTP/1.1 401 Unauthorized",
		    CHALLENGE "Connection: close\r\n", NOAUTH_JSON);
		harness_http_free(&r);
		harness_expect_close(fd, "");
		close(fd);
	}
	after = harness_rss_kb(&ah);
	ck_assert_msg(after - before < 16 * 1024,
	    "RSS grew %ld kB refusing 50 MB bodies", after - before);
}
END_TEST

START_TEST(test_auth_http_keepalive_no_carry)
{
	struct harness_http r;
	int fd = harness_connect(ah.port);

	ah_exchange(fd,
	    "GET /get/k HTTP/1.1\r\n" HOST "Authorization: Bearer bobtoken\r\n"
	    "\r\n",
	    &r);
	ck_assert_int_eq(r.status, 200);
	harness_http_free(&r);
	ah_exchange(fd, "GET /get/k HTTP/1.1\r\n" HOST "\r\n", &r);
	ah_expect_json(&r, "HTTP/1.1 401 Unauthorized", CHALLENGE, NOAUTH_JSON);
	harness_http_free(&r);
	ah_exchange(fd, "GET /metrics HTTP/1.1\r\n" HOST "\r\n", &r);
	ck_assert_int_eq(r.status, 401);
	harness_http_free(&r);
	/* A failed login does not keep the previous user either. */
	ah_exchange(fd,
	    "GET /get/k HTTP/1.1\r\n" HOST
	    "Authorization: Bearer alicetoken\r\n"
	    "\r\n",
	    &r);
	ck_assert_int_eq(r.status, 200);
	harness_http_free(&r);
	ah_exchange(fd,
	    "GET /get/k HTTP/1.1\r\n" HOST
	    "Authorization: Bearer wrong-token\r\n"
	    "\r\n",
	    &r);
	ck_assert_int_eq(r.status, 401);
	harness_http_free(&r);
	ah_exchange(fd, "GET /get/k HTTP/1.1\r\n" HOST "\r\n", &r);
	ah_expect_json(&r, "HTTP/1.1 401 Unauthorized", CHALLENGE, NOAUTH_JSON);
	harness_http_free(&r);
	close(fd);
}
END_TEST

START_TEST(test_auth_http_open_paths)
{
	struct harness_http r;
	struct harness_out o;
	char cmd[512];

	ah_curl(&r, "%s/healthz", ah_base);
	ck_assert_int_eq(r.status, 200);
	harness_http_free(&r);
	ah_curl(&r, "%s/", ah_base);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "sessionStorage"));
	ck_assert_ptr_null(strstr(r.body, "localStorage.")); /* only session */
	ck_assert_ptr_null(strstr(r.body, "document.cookie"));
	harness_http_free(&r);
	/* PING and PUBLIC commands answer everyone. */
	ah_curl(&r, "%s/ping", ah_base);
	ah_expect_json(&r, "HTTP/1.1 200 OK", NULL, "\"PONG\"");
	harness_http_free(&r);
	ah_curl(&r, "%s/metrics", ah_base);
	ah_expect_json(&r, "HTTP/1.1 401 Unauthorized", CHALLENGE, NOAUTH_JSON);
	harness_http_free(&r);
	ah_curl(&r, "%s/plugins", ah_base);
	ck_assert_int_eq(r.status, 401);
	harness_http_free(&r);
	ah_curl(&r, "-H 'Authorization: Bearer bobtoken' %s/metrics", ah_base);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "duetd_"));
	harness_http_free(&r);
	/* An unauthenticated /batch is refused before its body is read. */
	ah_curl(&r,
	    "-H 'Content-Type: application/json' --data-binary '[[\"ping\"]]' "
	    "%s/batch",
	    ah_base);
	ah_expect_json(&r, "HTTP/1.1 401 Unauthorized",
	    CHALLENGE "Connection: close\r\n", NOAUTH_JSON);
	harness_http_free(&r);
	/* An authenticated one: each element admitted by bob's rules. */
	snprintf(cmd, sizeof(cmd),
	    "curl -sS --max-time 10 -u bob:bobtoken -H 'Content-Type: "
	    "application/json' --data-binary '[[\"get\",\"k\"],[\"set\",\"k\","
	    "\"v\"]]' %s/batch",
	    ah_base);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(o.out,
	    "[null,{\"error\":{\"code\":\"NOPERM\",\"message\":\"User bob has "
	    "no permissions to run the 'set' command\"}}]");
	harness_out_free(&o);
}
END_TEST

/* Whether the JSON text has the command "name" ("name":"x"). */
static int
ah_lists(const char *json, const char *name)
{
	char pat[128];

	snprintf(pat, sizeof(pat), "\"name\":\"%s\"", name);
	return strstr(json, pat) != NULL;
}

/* How many command descriptors the /commands body has. */
static int
ah_count(const char *json)
{
	const char *p = json;
	int n = 0;

	while ((p = strstr(p, "\"usage\":")) != NULL) {
		n++;
		p++;
	}
	return n;
}

START_TEST(test_auth_http_listings_filtered)
{
	struct harness_http r;
	const char *p;
	char want[32];
	int n;

	ah_curl(&r, "%s/commands", ah_base);
	ck_assert_int_eq(r.status, 200);
	ck_assert(ah_lists(r.body, "ping"));
	ck_assert(!ah_lists(r.body, "set") && !ah_lists(r.body, "get") &&
	    !ah_lists(r.body, "command") && !ah_lists(r.body, "info"));
	/* Unauthenticated: only what anyone may call, all flagged public. */
	for (p = r.body; (p = strstr(p, "\"flags\":[")) != NULL; p++)
		ck_assert_msg(strncmp(strchr(p, '['), "[\"public\"", 9) == 0,
		    "not public: %.60s", p);
	harness_http_free(&r);
	ah_curl(&r, "%s/openapi.json", ah_base);
	ck_assert_ptr_nonnull(strstr(r.body, "\"/ping\":"));
	ck_assert_ptr_null(strstr(r.body, "\"/get\":"));
	ck_assert_ptr_nonnull(strstr(r.body, "\"scheme\":\"bearer\""));
	harness_http_free(&r);
	ah_curl(&r, "-u alice:alicetoken %s/commands", ah_base);
	ck_assert(ah_lists(r.body, "set") && ah_lists(r.body, "get"));
	ck_assert(!ah_lists(r.body, "del"));
	harness_http_free(&r);
	ah_curl(&r, "-u bob:bobtoken %s/commands", ah_base);
	ck_assert(ah_lists(r.body, "get") && !ah_lists(r.body, "set"));
	n = ah_count(r.body);
	harness_http_free(&r);
	ah_curl(&r, "-u bob:bobtoken %s/openapi.json", ah_base);
	ck_assert_ptr_nonnull(strstr(r.body, "\"/get\":"));
	ck_assert_ptr_null(strstr(r.body, "\"/set\":"));
	harness_http_free(&r);
	/* COMMAND counts and lists what bob may call, as /commands does. */
	ah_curl(&r, "-u bob:bobtoken %s/command/count", ah_base);
	snprintf(want, sizeof(want), "%d", n);
	ah_expect_json(&r, "HTTP/1.1 200 OK", NULL, want);
	harness_http_free(&r);
	ah_curl(&r, "-u bob:bobtoken %s/command/list", ah_base);
	ck_assert_ptr_nonnull(strstr(r.body, "\"get\""));
	ck_assert_ptr_null(strstr(r.body, "\"set\""));
	harness_http_free(&r);
	ah_curl(&r, "-u bob:bobtoken %s/command/info/set/get", ah_base);
	ck_assert_str_eq(r.line, "HTTP/1.1 200 OK");
	ck_assert_int_eq(strncmp(r.body, "[null,[\"get\",", 13), 0);
	harness_http_free(&r);
}
END_TEST

/* Sends a request with a wrong token on a new connection. */
static int
ah_fail_once(void)
{
	int fd = harness_connect(ah.port);

	harness_sends(fd,
	    "GET /ping HTTP/1.1\r\n" HOST
	    "Authorization: Bearer wrong-token\r\n"
	    "\r\n");
	return fd;
}

/* Reads a WRONGPASS on fd and closes it; returns how long it took. */
static long long
ah_wrongpass(int fd, long long t0)
{
	struct harness_http r;

	harness_http_read(&r, fd, 0);
	ah_expect_json(
	    &r, "HTTP/1.1 401 Unauthorized", CHALLENGE_INVALID, WRONGPASS_JSON);
	harness_http_free(&r);
	close(fd);
	return ah_now_ms() - t0;
}

START_TEST(test_auth_http_throttle_late)
{
	struct pollfd pfd = {.events = POLLIN};
	struct harness_http r;
	long long t0, took;
	int i, a, b;

	/* Five failures within a minute, then 100, 200, 400, 800 ms. */
	for (i = 0; i < 9; i++)
		ah_wrongpass(ah_fail_once(), ah_now_ms());
	/* The 10th waits 1.6 s on a timer, its reply slot in order... */
	b = harness_connect(ah.port);
	t0 = ah_now_ms();
	a = harness_connect(ah.port);
	harness_sends(a,
	    "GET /ping HTTP/1.1\r\n" HOST
	    "Authorization: Bearer wrong-token\r\n"
	    "\r\nGET /healthz HTTP/1.1\r\n" HOST "\r\n");
	/* ...while another client is served at once. */
	ah_exchange(b, "GET /healthz HTTP/1.1\r\n" HOST "\r\n", &r);
	ck_assert_int_eq(r.status, 200);
	harness_http_free(&r);
	pfd.fd = a;
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	harness_http_read(&r, a, 0);
	ah_expect_json(
	    &r, "HTTP/1.1 401 Unauthorized", CHALLENGE_INVALID, WRONGPASS_JSON);
	harness_http_free(&r);
	took = ah_now_ms() - t0;
	ck_assert_msg(
	    took >= 1000, "10th failure answered after %lld ms", took);
	harness_http_read(&r, a, 0);
	ck_assert_str_eq(r.body, "ok\n");
	harness_http_free(&r);
	close(a);
	/* A client that leaves while its answer waits frees it. */
	close(ah_fail_once());
	ah_exchange(b,
	    "GET /ping HTTP/1.1\r\n" HOST "Authorization: Bearer alicetoken\r\n"
	    "\r\n",
	    &r);
	ck_assert_int_eq(r.status, 200);
	harness_http_free(&r);
	close(b);
	/* That success cleared the address: the next failure is at once. */
	took = ah_wrongpass(ah_fail_once(), ah_now_ms());
	ck_assert_msg(took < 1000, "failure after success took %lld ms", took);
}
END_TEST

static Suite *
auth_http_suite(void)
{
	Suite *s = suite_create("auth_http");
	TCase *tc;

	tc = tcase_create("answers");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, ah_setup, ah_teardown);
	tcase_add_test(tc, test_auth_http_noauth_exact);
	tcase_add_test(tc, test_auth_http_wrongpass_exact);
	tcase_add_test(tc, test_auth_http_noperm_closes);
	tcase_add_test(tc, test_auth_http_curl_bearer_and_basic);
	suite_add_tcase(s, tc);

	tc = tcase_create("head");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, ah_setup, ah_teardown);
	tcase_add_test(tc, test_auth_http_401_before_413);
	tcase_add_test(tc, test_auth_http_continue_when_admitted);
	tcase_add_test(tc, test_auth_http_big_body_unread);
	tcase_add_test(tc, test_auth_http_keepalive_no_carry);
	suite_add_tcase(s, tc);

	tc = tcase_create("paths");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, ah_setup, ah_teardown);
	tcase_add_test(tc, test_auth_http_open_paths);
	tcase_add_test(tc, test_auth_http_listings_filtered);
	suite_add_tcase(s, tc);

	tc = tcase_create("throttle");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, ah_setup, ah_teardown);
	tcase_add_test(tc, test_auth_http_throttle_late);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(auth_http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
