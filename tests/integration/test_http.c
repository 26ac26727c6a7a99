/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of HTTP/1.1 end to end: a real duetd with the bundled
 * plugins, driven by curl, ab, wrk and raw sockets, with exact status
 * lines, headers and bodies: POST with JSON and msgpack bodies, GET with
 * a query or path segments, errors and their statuses, browser safety
 * (Host, Origin, CORS preflight, media types), HEAD, keep-alive for 1.0
 * and 1.1, pipelining, Expect: 100-continue, chunked uploads, the
 * built-in paths, protocol sniffing on a shared port, and load.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define OK200     "HTTP/1.1 200 OK"
#define ERR400    "HTTP/1.1 400 Bad Request"
#define JSON_CT   "Content-Type: application/json\r\n"
#define MP_CT     "Content-Type: application/msgpack\r\n"
#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

static struct harness http_h;
static char http_base[64]; /* http://127.0.0.1:PORT */

static void
http_setup(void)
{
	harness_start(&http_h, NULL,
	    "http: {allow_origins: [\"http://app.example\"], "
	    "allow_hosts: [\"duet.internal\"]}\n"
	    "limits: {max_request_bytes: 64KiB}\n");
	snprintf(
	    http_base, sizeof(http_base), "http://127.0.0.1:%d", http_h.port);
}

static void
http_teardown(void)
{
	harness_stop(&http_h);
}

/*
 * Runs `curl -sS -i` with the arguments fmt makes; curl must exit 0.
 */
static void http_curl(struct harness_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
http_curl(struct harness_out *o, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int n;

	n = snprintf(cmd, sizeof(cmd), "curl -sS -i -g --max-time 10 ");
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	harness_run(o, cmd, NULL, 0);
	ck_assert_msg(
	    o->status == 0, "'%s' exited %d: %s", cmd, o->status, o->err);
}

/* http_curl() for exactly one response, parsed into r. */
static void http_curl_one(struct harness_http *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
http_curl_one(struct harness_http *r, const char *fmt, ...)
{
	struct harness_out o;
	char args[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	http_curl(&o, "%s", args);
	ck_assert_uint_eq(harness_http_parse(r, o.out, o.outlen, 0), o.outlen);
	harness_out_free(&o);
}

/* Expects a JSON response: status line, extra headers, body. */
static void
http_expect_json(const struct harness_http *r, const char *line,
    const char *extra, const char *json)
{
	char hdrs[512];

	snprintf(hdrs, sizeof(hdrs), JSON_CT "Content-Length: %zu\r\n%s",
	    strlen(json), extra != NULL ? extra : "");
	harness_http_expects(r, line, hdrs, json);
}

/* On a new connection, sends req and reads one response into r. */
static void
http_raw(struct harness_http *r, const char *req, size_t len)
{
	int fd = harness_connect(http_h.port);

	harness_send(fd, req, len);
	harness_http_read(r, fd, 0);
	close(fd);
}

/* A POST with a JSON body and its exact answer. */
struct http_case {
	const char *path;
	const char *body;
	const char *line;
	const char *json;
};

static void
http_run_posts(const struct http_case *c, size_t n, const char *ctype)
{
	struct harness_http r;
	size_t i;

	for (i = 0; i < n; i++) {
		http_curl_one(&r,
		    "-H 'Content-Type: %s' --data-binary '%s' %s%s", ctype,
		    c[i].body, http_base, c[i].path);
		http_expect_json(&r, c[i].line, NULL, c[i].json);
		harness_http_free(&r);
	}
}

START_TEST(test_http_post_json)
{
	static const struct http_case cases[] = {
	    {"/add", "[1,2]", OK200, "3"},
	    {"/add", "{\"a\":1,\"b\":2}", OK200, "3"},
	    {"/add", "{\"b\":2,\"a\":40}", OK200, "42"},
	    {"/ADD", "[-5,2]", OK200, "-3"},
	    {"/sum", "[1.5,2.25]", OK200, "3.75"},
	    {"/sum", "[1,2]", OK200, "3.0"},
	    {"/reflect", "[{\"a\":[1,2.5,true,null]}]", OK200,
	        "{\"a\":[1,2.5,true,null]}"},
	    {"/reflect", "{\"value\":\"t\\u00e9xt\"}", OK200,
	        "\"t\xc3\xa9xt\""},
	    {"/echo", "[\"hi\"]", OK200, "\"hi\""},
	    {"/ping", "[]", OK200, "\"PONG\""},
	    {"/set", "[\"k\",\"v\"]", OK200, "\"OK\""},
	    {"/get", "[\"k\"]", OK200, "\"v\""},
	    {"/get", "{\"key\":\"missing\"}", OK200, "null"},
	    {"/exists", "[\"k\",\"k\",\"missing\"]", OK200, "2"},
	    {"/incr", "[\"n\"]", OK200, "1"},
	    {"/incr", "{\"key\":\"n\"}", OK200, "2"},
	    {"/del", "[\"k\",\"missing\"]", OK200, "1"},
	    {"/get", "[\"k\"]", OK200, "null"},
	};

	http_run_posts(cases, NCASES(cases), "application/json");
	http_run_posts(cases, 1, "application/json; charset=utf-8");
}
END_TEST

START_TEST(test_http_whoami)
{
	static const char req[] = "POST /whoami HTTP/1.1\r\n"
	                          "Host: 127.0.0.1\r\n\r\n";
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct harness_http r;
	char want[256];
	int fd = harness_connect(http_h.port);

	/* No body and no Content-Type: a call without arguments. */
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	snprintf(want, sizeof(want),
	    "{\"user\":null,\"peer\":\"127.0.0.1:%d\",\"protocol\":\"http\","
	    "\"tls_subject\":null,\"name\":null}",
	    ntohs(sin.sin_port));
	harness_sends(fd, req);
	harness_http_read(&r, fd, 0);
	http_expect_json(&r, OK200, NULL, want);
	harness_http_free(&r);
	close(fd);
}
END_TEST

#define MSG(m) "{\"error\":{\"code\":\"ERR\",\"message\":\"" m "\"}}"

START_TEST(test_http_errors)
{
	static const struct http_case cases[] = {
	    {"/add", "[\"x\",2]", ERR400,
	        MSG("invalid argument 'a' for 'add': expected int")},
	    {"/add", "[1]", ERR400,
	        MSG("wrong number of arguments for 'add' command")},
	    {"/add", "[1,2,3]", ERR400,
	        MSG("wrong number of arguments for 'add' command")},
	    {"/add", "{\"a\":1}", ERR400,
	        MSG("missing argument 'b' for 'add'")},
	    {"/add", "{\"a\":1,\"b\":2,\"c\":3}", ERR400,
	        MSG("unknown argument 'c' for 'add'")},
	    {"/add", "[1,", ERR400,
	        MSG("invalid JSON at offset 3: premature EOF")},
	    {"/add", "3", ERR400,
	        MSG("the body must be an array (positional arguments) or an "
	            "object (named arguments)")},
	    {"/incr", "[\"nan\"]", OK200, "1"},
	    {"/set", "[\"s\",\"abc\"]", OK200, "\"OK\""},
	    {"/incr", "[\"s\"]", "HTTP/1.1 500 Internal Server Error",
	        MSG("value is not an integer or out of range")},
	    {"/fail", "[\"boom\"]", "HTTP/1.1 500 Internal Server Error",
	        "{\"error\":{\"code\":\"DEMO\",\"message\":\"boom\"}}"},
	};
	static const char *const media[] = {
	    "text/plain",
	    "application/x-www-form-urlencoded",
	    "multipart/form-data; boundary=x",
	    "application/jsonx",
	};
	struct harness_http r;
	size_t i;

	http_run_posts(cases, NCASES(cases), "application/json");
	/* Refused from the head: the body is not read (SPEC 9.3). */
	http_curl_one(&r,
	    "-H 'Content-Type: application/json' --data-binary '[]' "
	    "%s/nosuch",
	    http_base);
	http_expect_json(&r, "HTTP/1.1 404 Not Found", "Connection: close\r\n",
	    MSG("unknown command 'nosuch', with args beginning with: "));
	harness_http_free(&r);
	for (i = 0; i < NCASES(media); i++) {
		http_curl_one(&r,
		    "-H 'Content-Type: %s' --data-binary '[1,2]' "
		    "%s/add",
		    media[i], http_base);
		http_expect_json(&r, "HTTP/1.1 415 Unsupported Media Type",
		    NULL,
		    MSG("a request body must be application/json or "
		        "application/msgpack"));
		harness_http_free(&r);
	}
	http_curl_one(&r, "-F a=1 %s/add", http_base);
	ck_assert_str_eq(r.line, "HTTP/1.1 415 Unsupported Media Type");
	harness_http_free(&r);
}
END_TEST

/* A raw msgpack request: body, Content-Type, Accept, exact answer. */
struct http_mp_case {
	const char *path;
	const char *body;
	size_t bodylen;
	const char *ctype;
	const char *accept; /* NULL: none */
	const char *line;
	const char *rtype; /* reply Content-Type header line */
	const char *reply;
	size_t replylen;
};

#define B(s) s, sizeof(s) - 1

static void
http_run_mp(const struct http_mp_case *t)
{
	char req[1024], hdrs[256];
	struct harness_http r;
	int n;

	n = snprintf(req, sizeof(req),
	    "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n"
	    "%s%s%sContent-Length: %zu\r\n\r\n",
	    t->path, t->ctype, t->accept != NULL ? "Accept: " : "",
	    t->accept != NULL ? t->accept : "", t->accept != NULL ? "\r\n" : "",
	    t->bodylen);
	memcpy(req + n, t->body, t->bodylen);
	http_raw(&r, req, (size_t)n + t->bodylen);
	snprintf(hdrs, sizeof(hdrs), "%sContent-Length: %zu\r\n", t->rtype,
	    t->replylen);
	harness_http_expect(&r, t->line, hdrs, t->reply, t->replylen);
	harness_http_free(&r);
}

static const struct http_mp_case http_mp_cases[] = {
    {"/add", B("\x92\x01\x02"), "application/msgpack", "application/msgpack",
        OK200, MP_CT, B("\x03")},
    {"/add",
        B("\x82\xa1"
          "a\x01\xa1"
          "b\x02"),
        "application/msgpack", "application/msgpack", OK200, MP_CT, B("\x03")},
    {"/add", B("\x92\x01\x02"), "application/x-msgpack", NULL, OK200, JSON_CT,
        B("3")},
    {"/add", B("\x92\x01\x02"), "application/vnd.msgpack", NULL, OK200, JSON_CT,
        B("3")},
    {"/add", B("[1,2]"), "application/json", "application/x-msgpack", OK200,
        MP_CT, B("\x03")},
    {"/add", B("[1,2]"), "application/json",
        "text/html, application/vnd.msgpack;q=0.9", OK200, MP_CT, B("\x03")},
    {"/sum", B("\x92\xcb\x3f\xf8\0\0\0\0\0\0\x02"), "application/msgpack",
        "application/msgpack", OK200, MP_CT, B("\xcb\x40\x0c\0\0\0\0\0\0")},
    {"/reflect", B("\x91\x81\xa1k\x93\x01\xc3\xc0"), "application/msgpack",
        "application/msgpack", OK200, MP_CT, B("\x81\xa1k\x93\x01\xc3\xc0")},
    {"/set",
        B("\x92\xa1"
          "b\xc4\x02\xff\xfe"),
        "application/msgpack", NULL, OK200, JSON_CT, B("\"OK\"")},
    {"/get",
        B("\x91\xa1"
          "b"),
        "application/msgpack", NULL, OK200, JSON_CT,
        B("{\"$base64\":\"//4=\"}")},
    {"/get",
        B("\x91\xa1"
          "b"),
        "application/msgpack", "application/msgpack", OK200, MP_CT,
        B("\xc4\x02\xff\xfe")},
    {"/fail",
        B("\x91\xa4"
          "boom"),
        "application/msgpack", "application/msgpack",
        "HTTP/1.1 500 Internal Server Error", MP_CT,
        B("\x81\xa5"
          "error\x82\xa4"
          "code\xa4"
          "DEMO\xa7"
          "message\xa4"
          "boom")},
    {"/add", B("\x92\xa1x\x02"), "application/msgpack", "application/msgpack",
        ERR400, MP_CT,
        B("\x81\xa5"
          "error\x82\xa4"
          "code\xa3"
          "ERR\xa7"
          "message\xd9\x2c"
          "invalid argument 'a' for 'add': expected int")},
};

START_TEST(test_http_msgpack)
{
	size_t i;

	for (i = 0; i < NCASES(http_mp_cases); i++)
		http_run_mp(&http_mp_cases[i]);
}
END_TEST

START_TEST(test_http_msgpack_curl)
{
	static const char body[] =
	    "\x91\x82\xa1k\x92\x01\xcb\x40\x04\0\0\0\0\0\0"
	    "\xa1s\xa3\xc3\xa9t";
	struct harness_out o;
	struct harness_http r;
	char path[PATH_MAX];
	char *json;
	FILE *f;

	snprintf(path, sizeof(path), "%s/body.mp", http_h.dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(
	    fwrite(body, 1, sizeof(body) - 1, f), sizeof(body) - 1);
	ck_assert_int_eq(fclose(f), 0);
	http_curl(&o,
	    "-H 'Content-Type: application/msgpack' -H 'Accept: "
	    "application/msgpack' --data-binary @%s %s/reflect",
	    path, http_base);
	ck_assert_uint_eq(harness_http_parse(&r, o.out, o.outlen, 0), o.outlen);
	harness_http_expect(&r, OK200, MP_CT "Content-Length: 20\r\n", body + 1,
	    sizeof(body) - 2);
	json = harness_msgpack_json(r.body, r.bodylen);
	ck_assert_str_eq(json, "{\"k\":[1,2.5],\"s\":\"\xc3\xa9t\"}");
	free(json);
	harness_http_free(&r);
	harness_out_free(&o);
	unlink(path);
}
END_TEST

/* A GET (or another body-less request) and its exact answer. */
struct http_get_case {
	const char *target;
	const char *line;
	const char *extra; /* headers besides Content-Type/Length */
	const char *json;
};

START_TEST(test_http_get)
{
	static const struct http_get_case cases[] = {
	    {"/add?a=1&b=2", OK200, NULL, "3"},
	    {"/add?b=2&a=40", OK200, NULL, "42"},
	    {"/add/1/2", OK200, NULL, "3"},
	    {"/add/%2d5/2", OK200, NULL, "-3"},
	    {"/echo/hello%20world", OK200, NULL, "\"hello world\""},
	    {"/echo/a+b", OK200, NULL, "\"a+b\""},
	    {"/echo?message=a+b%21", OK200, NULL, "\"a b!\""},
	    {"/echo/%c3%a9", OK200, NULL, "\"\xc3\xa9\""},
	    {"/sum/1.5/2.25", OK200, NULL, "3.75"},
	    {"/reflect/%7B%22a%22%3A%5B1%2Ctrue%5D%7D", OK200, NULL,
	        "{\"a\":[1,true]}"},
	    {"/get?key=missing", OK200, NULL, "null"},
	    {"/exists/x/y", OK200, NULL, "0"},
	    {"/ping", OK200, NULL, "\"PONG\""},
	    {"/ping/hi", OK200, NULL, "\"hi\""},
	    {"/add/x/2", ERR400, NULL,
	        MSG("invalid argument 'a' for 'add': expected int")},
	    {"/add/1", ERR400, NULL,
	        MSG("wrong number of arguments for 'add' command")},
	    {"/add?a=1", ERR400, NULL, MSG("missing argument 'b' for 'add'")},
	    {"/echo/%zz", ERR400, NULL,
	        MSG("bad percent-encoding in the request target")},
	    {"/fail/%ff", ERR400, NULL,
	        MSG("invalid argument 'message' for 'fail': expected str")},
	    {"/add/1?b=2", ERR400, NULL,
	        MSG("give arguments one way: path, query or body")},
	    {"/nosuch/1", "HTTP/1.1 404 Not Found", NULL,
	        MSG("unknown command 'nosuch', with args beginning with: "
	            "'1' ")},
	    {"/set/k/v", "HTTP/1.1 405 Method Not Allowed", "Allow: POST\r\n",
	        MSG("'set' changes state: call it with POST")},
	    {"/del/k", "HTTP/1.1 405 Method Not Allowed", "Allow: POST\r\n",
	        MSG("'del' changes state: call it with POST")},
	    {"/incr?key=k", "HTTP/1.1 405 Method Not Allowed",
	        "Allow: POST\r\n",
	        MSG("'incr' changes state: call it with POST")},
	};
	struct harness_http r;
	size_t i;

	for (i = 0; i < NCASES(cases); i++) {
		http_curl_one(&r, "'%s%s'", http_base, cases[i].target);
		http_expect_json(
		    &r, cases[i].line, cases[i].extra, cases[i].json);
		harness_http_free(&r);
	}
}
END_TEST

START_TEST(test_http_methods)
{
	static const struct http_get_case cases[] = {
	    {"PUT /add", "HTTP/1.1 405 Method Not Allowed",
	        "Allow: GET, HEAD, POST\r\n", MSG("method PUT is not allowed")},
	    {"DELETE /get/k", "HTTP/1.1 405 Method Not Allowed",
	        "Allow: GET, HEAD, POST\r\n",
	        MSG("method DELETE is not allowed")},
	    {"POST /healthz", "HTTP/1.1 405 Method Not Allowed",
	        "Allow: GET, HEAD\r\n",
	        MSG("/healthz answers GET and HEAD only")},
	    {"POST /commands", "HTTP/1.1 405 Method Not Allowed",
	        "Allow: GET, HEAD\r\n",
	        MSG("/commands answers GET and HEAD only")},
	    {"PUT /metrics", "HTTP/1.1 405 Method Not Allowed",
	        "Allow: GET, HEAD\r\n",
	        MSG("/metrics answers GET and HEAD only")},
	};
	struct harness_http r;
	size_t i;

	for (i = 0; i < NCASES(cases); i++) {
		/* target is "METHOD /path". */
		http_curl_one(&r, "-X %.*s %s%s",
		    (int)strcspn(cases[i].target, " "), cases[i].target,
		    http_base, strchr(cases[i].target, ' ') + 1);
		http_expect_json(
		    &r, cases[i].line, cases[i].extra, cases[i].json);
		harness_http_free(&r);
	}
}
END_TEST

START_TEST(test_http_head)
{
	static const char req[] =
	    "HEAD /add/1/2 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "\r\nHEAD /healthz HTTP/1.1\r\nHost: "
	    "localhost\r\n\r\n"
	    "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	struct harness_http r;
	int fd = harness_connect(http_h.port);

	/* Pipelined, so a body after a HEAD response would show. */
	harness_sends(fd, req);
	harness_http_read(&r, fd, 1);
	harness_http_expects(&r, OK200, JSON_CT "Content-Length: 1\r\n", "");
	harness_http_free(&r);
	harness_http_read(&r, fd, 1);
	harness_http_expects(&r, OK200,
	    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n",
	    "");
	harness_http_free(&r);
	harness_http_read(&r, fd, 0);
	http_expect_json(&r, OK200, NULL, "\"PONG\"");
	harness_http_free(&r);
	close(fd);
}
END_TEST

/* A request with extra curl arguments and its exact answer. */
struct http_hdr_case {
	const char *args; /* curl arguments before the URL */
	const char *path;
	const char *line;
	const char *headers; /* all but Server, Date, Content-Length */
	const char *body;
};

#define PREFLIGHT                                                              \
	"Access-Control-Allow-Origin: http://app.example\r\n"                  \
	"Vary: Origin\r\n"                                                     \
	"Access-Control-Allow-Methods: GET, HEAD, POST\r\n"                    \
	"Access-Control-Allow-Headers: Authorization, Content-Type, "          \
	"Accept\r\n"                                                           \
	"Access-Control-Max-Age: 600\r\n"
#define ACAO                                                                   \
	"Access-Control-Allow-Origin: http://app.example\r\nVary: Origin\r\n"

static void
http_run_hdr_cases(const struct http_hdr_case *c, size_t n)
{
	struct harness_http r;
	char hdrs[1024];
	size_t i;

	for (i = 0; i < n; i++) {
		http_curl_one(&r, "%s '%s%s'", c[i].args, http_base, c[i].path);
		snprintf(hdrs, sizeof(hdrs), "%s", c[i].headers);
		if (r.status != 204)
			snprintf(hdrs + strlen(hdrs),
			    sizeof(hdrs) - strlen(hdrs),
			    "Content-Length: %zu\r\n", strlen(c[i].body));
		harness_http_expects(&r, c[i].line, hdrs, c[i].body);
		harness_http_free(&r);
	}
}

START_TEST(test_http_cors)
{
	static const struct http_hdr_case cases[] = {
	    {"-X OPTIONS -H 'Origin: http://app.example' "
	     "-H 'Access-Control-Request-Method: POST' "
	     "-H 'Access-Control-Request-Headers: content-type'",
	        "/add", "HTTP/1.1 204 No Content", PREFLIGHT, ""},
	    {"-X OPTIONS", "/add", "HTTP/1.1 204 No Content",
	        "Allow: GET, HEAD, POST, OPTIONS\r\n", ""},
	    {"-H 'Origin: http://app.example' -H 'Content-Type: "
	     "application/json' --data-binary '[1,2]'",
	        "/add", OK200, ACAO JSON_CT, "3"},
	    {"-H 'Origin: http://app.example'", "/set/k/v",
	        "HTTP/1.1 405 Method Not Allowed",
	        ACAO "Allow: POST\r\n" JSON_CT,
	        MSG("'set' changes state: call it with POST")},
	    {"-H 'Origin: http://evil.example'", "/ping",
	        "HTTP/1.1 403 Forbidden", JSON_CT,
	        MSG("origin 'http://evil.example' is not allowed")},
	    {"-X OPTIONS -H 'Origin: http://evil.example' "
	     "-H 'Access-Control-Request-Method: POST'",
	        "/add", "HTTP/1.1 403 Forbidden", JSON_CT,
	        MSG("origin 'http://evil.example' is not allowed")},
	    {"-H 'Origin: null' -H 'Content-Type: application/json' "
	     "--data-binary '[\"k\",\"v\"]'",
	        "/set", "HTTP/1.1 403 Forbidden",
	        "Connection: close\r\n" JSON_CT,
	        MSG("origin 'null' is not allowed")},
	};

	http_run_hdr_cases(cases, NCASES(cases));
}
END_TEST

START_TEST(test_http_same_origin)
{
	struct harness_http r;

	/* The daemon's own page (Origin == http://Host) keeps working. */
	http_curl_one(&r, "-H 'Origin: %s' %s/add/1/2", http_base, http_base);
	http_expect_json(&r, OK200, NULL, "3");
	harness_http_free(&r);
}
END_TEST

START_TEST(test_http_host)
{
	static const struct http_hdr_case cases[] = {
	    {"-H 'Host: evil.example'", "/ping",
	        "HTTP/1.1 421 Misdirected Request", JSON_CT,
	        MSG("host 'evil.example' is not served here")},
	    {"-H 'Host: evil.example:80'", "/ping",
	        "HTTP/1.1 421 Misdirected Request", JSON_CT,
	        MSG("host 'evil.example:80' is not served here")},
	    {"-H 'Host: 127.0.0.1.nip.io'", "/ping",
	        "HTTP/1.1 421 Misdirected Request", JSON_CT,
	        MSG("host '127.0.0.1.nip.io' is not served here")},
	    /* Not IPv4 literals as inet_pton reads them. */
	    {"-H 'Host: 10.1.2.03'", "/ping",
	        "HTTP/1.1 421 Misdirected Request", JSON_CT,
	        MSG("host '10.1.2.03' is not served here")},
	    {"-H 'Host: 10.1.2.256:80'", "/ping",
	        "HTTP/1.1 421 Misdirected Request", JSON_CT,
	        MSG("host '10.1.2.256:80' is not served here")},
	    {"-H 'Host: 10.1.2'", "/ping", "HTTP/1.1 421 Misdirected Request",
	        JSON_CT, MSG("host '10.1.2' is not served here")},
	    {"-H 'Host: 10.1.2.3.'", "/ping",
	        "HTTP/1.1 421 Misdirected Request", JSON_CT,
	        MSG("host '10.1.2.3.' is not served here")},
	    {"-H 'Host: 10..2.3'", "/ping", "HTTP/1.1 421 Misdirected Request",
	        JSON_CT, MSG("host '10..2.3' is not served here")},
	    {"-H 'Host: 0.0.0.0'", "/ping", OK200, JSON_CT, "\"PONG\""},
	    {"-H 'Host: localhost:3838'", "/ping", OK200, JSON_CT, "\"PONG\""},
	    {"-H 'Host: LOCALHOST'", "/ping", OK200, JSON_CT, "\"PONG\""},
	    {"-H 'Host: 10.1.2.3:80'", "/ping", OK200, JSON_CT, "\"PONG\""},
	    {"-H 'Host: [::1]:3838'", "/ping", OK200, JSON_CT, "\"PONG\""},
	    {"-H 'Host: duet.internal'", "/ping", OK200, JSON_CT, "\"PONG\""},
	    {"-H 'Host: duet.internal:8080'", "/ping", OK200, JSON_CT,
	        "\"PONG\""},
	};

	http_run_hdr_cases(cases, NCASES(cases));
}
END_TEST

START_TEST(test_http_healthz)
{
	struct harness_http r;

	http_curl_one(&r, "%s/healthz", http_base);
	harness_http_expects(&r, OK200,
	    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n",
	    "ok\n");
	harness_http_free(&r);
}
END_TEST

START_TEST(test_http_page)
{
	struct harness_http r;

	http_curl_one(&r, "%s/", http_base);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(harness_http_header(&r, "Content-Type"),
	    "text/html; charset=utf-8");
	ck_assert_ptr_nonnull(strstr(r.body, "<title>duetd</title>"));
	/* The page builds its list from /commands with textContent only. */
	ck_assert_ptr_nonnull(strstr(r.body, "fetch('/commands', "));
	ck_assert_ptr_null(strstr(r.body, "innerHTML"));
	harness_http_free(&r);
}
END_TEST

START_TEST(test_http_openapi)
{
	struct harness_http r;

	http_curl_one(&r, "%s/openapi.json", http_base);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(
	    harness_http_header(&r, "Content-Type"), "application/json");
	ck_assert_ptr_nonnull(strstr(r.body,
	    "{\"openapi\":\"3.1.0\",\"servers\":[{\"url\":\"/\"}],"
	    "\"security\":[],\"info\":{\"title\":\"duetd\""));
	ck_assert_ptr_nonnull(
	    strstr(r.body, "\"/add\":{\"post\":{\"operationId\":\"add\""));
	ck_assert_ptr_nonnull(strstr(r.body,
	    "\"prefixItems\":[{\"type\":\"integer\"},"
	    "{\"type\":\"integer\"}],\"minItems\":2,\"items\":false}"));
	/* Only READONLY commands have GET. */
	ck_assert_ptr_nonnull(strstr(r.body, "\"operationId\":\"get_add\""));
	ck_assert_ptr_null(strstr(r.body, "\"operationId\":\"get_set\""));
	harness_http_free(&r);
}
END_TEST

START_TEST(test_http_commands)
{
	static const char *const want[] = {
	    "{\"name\":\"add\",\"plugin\":\"math\",\"args\":["
	    "{\"name\":\"a\",\"type\":\"int\",\"optional\":false,"
	    "\"variadic\":false},"
	    "{\"name\":\"b\",\"type\":\"int\",\"optional\":false,"
	    "\"variadic\":false}],"
	    "\"reply\":\"int\",\"summary\":\"Adds two integers.\","
	    "\"usage\":\"add a:int b:int\",\"flags\":[\"readonly\"]}",
	    "{\"name\":\"sum\",\"plugin\":\"math\",\"args\":["
	    "{\"name\":\"nums\",\"type\":\"float\",\"optional\":false,"
	    "\"variadic\":true}],"
	    "\"reply\":\"float\",\"summary\":\"Adds one or more floats.\","
	    "\"usage\":\"sum nums:float...\",\"flags\":[\"readonly\"]}",
	    "{\"name\":\"set\",\"plugin\":\"kv\",\"args\":["
	    "{\"name\":\"key\",\"type\":\"bytes\",\"optional\":false,"
	    "\"variadic\":false},"
	    "{\"name\":\"value\",\"type\":\"bytes\",\"optional\":false,"
	    "\"variadic\":false}],"
	    "\"reply\":\"status\",\"summary\":\"Sets a key to a value.\","
	    "\"usage\":\"set key:bytes value:bytes\",\"flags\":[]}",
	    "{\"name\":\"echo\",\"plugin\":null,",
	    "{\"name\":\"reflect\",\"plugin\":\"demo\",",
	};
	struct harness_http r;
	size_t i;

	http_curl_one(&r, "%s/commands", http_base);
	ck_assert_str_eq(r.line, OK200);
	ck_assert_str_eq(
	    harness_http_header(&r, "Content-Type"), "application/json");
	ck_assert_msg(
	    r.bodylen > 2 && r.body[0] == '[' && r.body[r.bodylen - 1] == ']',
	    "/commands is not a JSON array: %s", r.body);
	for (i = 0; i < NCASES(want); i++)
		ck_assert_msg(strstr(r.body, want[i]) != NULL,
		    "/commands has no %s:\n%s", want[i], r.body);
	harness_http_free(&r);
}
END_TEST

/* Fails unless the metrics text has the line want. */
static void
http_metric(const char *text, const char *want)
{
	char line[256];

	snprintf(line, sizeof(line), "\n%s\n", want);
	ck_assert_msg(strstr(text, line) != NULL, "/metrics has no \"%s\":\n%s",
	    want, text);
}

/* The value of metric name (a whole series name), or -1. */
static double
http_metric_value(const char *text, const char *name)
{
	char key[256];
	const char *p;

	snprintf(key, sizeof(key), "\n%s ", name);
	if ((p = strstr(text, key)) == NULL)
		return -1;
	return strtod(p + strlen(key), NULL);
}

START_TEST(test_http_metrics)
{
	struct harness_http r;
	double in, out;
	int i;

	for (i = 0; i < 3; i++) {
		http_curl_one(&r,
		    "-H 'Content-Type: application/json' "
		    "--data-binary '[1,2]' %s/add",
		    http_base);
		harness_http_free(&r);
	}
	http_curl_one(&r, "%s/add/1/x", http_base);
	harness_http_free(&r);
	http_curl_one(&r, "%s/metrics", http_base);
	ck_assert_str_eq(r.line, OK200);
	ck_assert_str_eq(harness_http_header(&r, "Content-Type"),
	    "text/plain; version=0.0.4; charset=utf-8");
	http_metric(r.body, "# TYPE duetd_requests_total counter");
	http_metric(r.body,
	    "duetd_requests_total{command=\"add\","
	    "protocol=\"http\"} 4");
	http_metric(r.body,
	    "duetd_errors_total{command=\"add\","
	    "protocol=\"http\"} 1");
	http_metric(r.body, "# TYPE duetd_command_duration_seconds histogram");
	http_metric(r.body,
	    "duetd_command_duration_seconds_bucket{"
	    "command=\"add\",le=\"+Inf\"} 4");
	http_metric(r.body,
	    "duetd_command_duration_seconds_count{"
	    "command=\"add\"} 4");
	http_metric(r.body, "duetd_connections 1");
	/* Four requests of well over 50 bytes each came in over HTTP. */
	in = http_metric_value(r.body, "duetd_received_bytes_total");
	out = http_metric_value(r.body, "duetd_sent_bytes_total");
	ck_assert_msg(in >= 4 * 50,
	    "duetd_received_bytes_total %g after four HTTP requests", in);
	ck_assert_msg(out >= 4 * 100, "duetd_sent_bytes_total %g", out);
	harness_http_free(&r);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc;

	tc = tcase_create("payloads");
	tcase_add_checked_fixture(tc, http_setup, http_teardown);
	tcase_add_test(tc, test_http_post_json);
	tcase_add_test(tc, test_http_whoami);
	tcase_add_test(tc, test_http_errors);
	tcase_add_test(tc, test_http_msgpack);
	tcase_add_test(tc, test_http_msgpack_curl);
	tcase_add_test(tc, test_http_get);
	tcase_add_test(tc, test_http_methods);
	tcase_add_test(tc, test_http_head);
	suite_add_tcase(s, tc);

	tc = tcase_create("browsers");
	tcase_add_checked_fixture(tc, http_setup, http_teardown);
	tcase_add_test(tc, test_http_cors);
	tcase_add_test(tc, test_http_same_origin);
	tcase_add_test(tc, test_http_host);
	suite_add_tcase(s, tc);

	tc = tcase_create("builtins");
	tcase_add_checked_fixture(tc, http_setup, http_teardown);
	tcase_add_test(tc, test_http_healthz);
	tcase_add_test(tc, test_http_page);
	tcase_add_test(tc, test_http_openapi);
	tcase_add_test(tc, test_http_commands);
	tcase_add_test(tc, test_http_metrics);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
