/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of how commands are described: defaults in COMMAND
 * DOCS (and so in redis-cli's hints, checked on a pseudo-terminal), in
 * /commands (typed, plus the usage line the page shows) and in the
 * OpenAPI schemas; the response media types of /openapi.json (msgpack,
 * and ndjson and server-sent events for streams), its 4XX and 5XX error
 * responses and its structure (checked with python3); and connection
 * built-ins (QUIT, RESET, SELECT, HELLO, CLIENT, AUTH), which are not
 * HTTP operations.  Driven by the defaults test plugin, with exact bytes.
 */
#include <sys/wait.h>

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

static struct harness desc_h;

static void
desc_setup(void)
{
	harness_start_with(&desc_h, "defaults.so", NULL);
}

static void
desc_teardown(void)
{
	harness_stop(&desc_h);
}

/* GET path on a new connection; the response goes into r. */
static void
desc_get(struct harness_http *r, const char *path)
{
	char req[512];
	int fd = harness_connect(desc_h.port);

	snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
	    path);
	harness_sends(fd, req);
	harness_http_read(r, fd, 0);
	close(fd);
}

/* Fails unless text contains want. */
static void
desc_has(const char *what, const char *text, const char *want)
{
	ck_assert_msg(strstr(text, want) != NULL, "%s has no %s:\n%.2000s",
	    what, want, text);
}

START_TEST(test_describe_commands_defaults)
{
	static const char *const want[] = {
	    "{\"name\":\"defaults.echo\",\"plugin\":\"defaults\",\"args\":["
	    "{\"name\":\"word\",\"type\":\"str\",\"optional\":false,"
	    "\"variadic\":false},"
	    "{\"name\":\"times\",\"type\":\"int\",\"optional\":true,"
	    "\"variadic\":false,\"default\":1},"
	    "{\"name\":\"loud\",\"type\":\"bool\",\"optional\":true,"
	    "\"variadic\":false,\"default\":false},"
	    "{\"name\":\"ratio\",\"type\":\"float\",\"optional\":true,"
	    "\"variadic\":false,\"default\":0.5},"
	    "{\"name\":\"sep\",\"type\":\"str\",\"optional\":true,"
	    "\"variadic\":false,\"default\":\"-\"}],"
	    "\"reply\":\"array\","
	    "\"summary\":\"Returns its arguments, defaults filled in.\","
	    "\"usage\":\"defaults.echo word:str [times:int=1] "
	    "[loud:bool=false] [ratio:float=0.5] [sep:str=-]\","
	    "\"flags\":[\"readonly\"]}",
	    "\"usage\":\"defaults.count [n:int=3]\","
	    "\"flags\":[\"readonly\",\"stream\"]}",
	    "\"usage\":\"defaults.tags [tags:str...]\",\"flags\":[]}",
	    "\"usage\":\"add a:int b:int\",\"flags\":[\"readonly\"]}",
	    "\"usage\":\"quit\",\"flags\":[\"public\",\"connection\"]}",
	    "\"usage\":\"hello [protover:bytes] [options:bytes...]\","
	    "\"flags\":[\"public\",\"connection\"]}",
	    "\"usage\":\"ping [message:any]\",\"flags\":[\"public\","
	    "\"readonly\"]}",
	};
	struct harness_http r;
	size_t i;

	desc_get(&r, "/commands");
	ck_assert_int_eq(r.status, 200);
	for (i = 0; i < NCASES(want); i++)
		desc_has("/commands", r.body, want[i]);
	harness_http_free(&r);
}
END_TEST

START_TEST(test_describe_command_docs)
{
	int fd = harness_connect(desc_h.port);

	harness_sends(fd,
	    "*3\r\n$7\r\nCOMMAND\r\n$4\r\nDOCS\r\n"
	    "$13\r\ndefaults.echo\r\n");
	harness_expects(fd,
	    "*2\r\n$13\r\ndefaults.echo\r\n*8\r\n"
	    "$7\r\nsummary\r\n$42\r\nReturns its arguments, defaults filled "
	    "in.\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$"
	    "6\r\nmodule\r\n"
	    "$9\r\narguments\r\n*5\r\n"
	    "*4\r\n$4\r\nname\r\n$4\r\nword\r\n$4\r\ntype\r\n$6\r\nstring\r\n"
	    "*6\r\n$4\r\nname\r\n$7\r\ntimes=1\r\n$4\r\ntype\r\n$"
	    "7\r\ninteger\r\n"
	    "$5\r\nflags\r\n*1\r\n+optional\r\n"
	    "*6\r\n$4\r\nname\r\n$10\r\nloud=false\r\n$4\r\ntype\r\n"
	    "$6\r\nstring\r\n$5\r\nflags\r\n*1\r\n+optional\r\n"
	    "*6\r\n$4\r\nname\r\n$9\r\nratio=0.5\r\n$4\r\ntype\r\n"
	    "$6\r\ndouble\r\n$5\r\nflags\r\n*1\r\n+optional\r\n"
	    "*6\r\n$4\r\nname\r\n$5\r\nsep=-\r\n$4\r\ntype\r\n$6\r\nstring\r\n"
	    "$5\r\nflags\r\n*1\r\n+optional\r\n");
	close(fd);
}
END_TEST

/* Milliseconds left until deadline (CLOCK_MONOTONIC), at least 0. */
static int
desc_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

/*
 * Reads the pseudo-terminal fd into buf (keeping it NUL-terminated) until
 * want appears or the deadline passes; answers linenoise's cursor
 * position queries on the way.  Returns whether want appeared.
 */
static int
desc_pty_wait(int fd, char *buf, size_t size, size_t *len, const char *want,
    const struct timespec *deadline)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	char *q;
	ssize_t n;

	while (strstr(buf, want) == NULL) {
		if (poll(&pfd, 1, desc_left(deadline)) <= 0 || *len + 1 >= size)
			return 0;
		if ((n = read(fd, buf + *len, size - *len - 1)) <= 0)
			return 0;
		*len += (size_t)n;
		buf[*len] = '\0';
		while ((q = strstr(buf, "\x1b[6n")) != NULL) {
			ck_assert_int_eq(write(fd, "\x1b[1;1R", 6), 6);
			q[1] = '.'; /* answered */
		}
	}
	return 1;
}

START_TEST(test_describe_redis_cli_hint)
{
	static const char want[] =
	    "word [times=1] [loud=false] [ratio=0.5] [sep=-]";
	struct winsize ws = {.ws_row = 24, .ws_col = 200};
	struct timespec deadline;
	char port[16], buf[65536];
	size_t len = 0;
	int fd, status, found;
	pid_t pid;

	snprintf(port, sizeof(port), "%d", desc_h.port);
	buf[0] = '\0';
	pid = forkpty(&fd, NULL, NULL, &ws);
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		setenv("TERM", "xterm", 1);
		setenv("REDISCLI_HISTFILE", "/dev/null", 1);
		setenv("REDISCLI_RCFILE", "/dev/null", 1);
		execlp("redis-cli", "redis-cli", "-p", port, (char *)NULL);
		_exit(127);
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += HARNESS_TIMEOUT_MS / 1000;
	/* The prompt shows once redis-cli has read COMMAND DOCS. */
	found = desc_pty_wait(fd, buf, sizeof(buf), &len, "> ", &deadline);
	ck_assert_int_eq(write(fd, "defaults.echo ", 14), 14);
	found =
	    found && desc_pty_wait(fd, buf, sizeof(buf), &len, want, &deadline);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	close(fd);
	ck_assert_msg(found, "redis-cli showed no hint \"%s\":\n%s", want, buf);
}
END_TEST

START_TEST(test_describe_openapi_defaults)
{
	static const char *const want[] = {
	    /* GET: typed defaults on the query parameters. */
	    "\"parameters\":[{\"name\":\"word\",\"in\":\"query\","
	    "\"required\":true,\"schema\":{\"type\":\"string\"}},"
	    "{\"name\":\"times\",\"in\":\"query\",\"required\":false,"
	    "\"schema\":{\"type\":\"integer\",\"default\":1}},"
	    "{\"name\":\"loud\",\"in\":\"query\",\"required\":false,"
	    "\"schema\":{\"type\":\"boolean\",\"default\":false}},"
	    "{\"name\":\"ratio\",\"in\":\"query\",\"required\":false,"
	    "\"schema\":{\"type\":\"number\",\"default\":0.5}},"
	    "{\"name\":\"sep\",\"in\":\"query\",\"required\":false,"
	    "\"schema\":{\"type\":\"string\",\"default\":\"-\"}}]",
	    /* POST: in the positional and the named body. */
	    "\"prefixItems\":[{\"type\":\"string\"},"
	    "{\"type\":\"integer\",\"default\":1},"
	    "{\"type\":\"boolean\",\"default\":false},"
	    "{\"type\":\"number\",\"default\":0.5},"
	    "{\"type\":\"string\",\"default\":\"-\"}],\"minItems\":1",
	    "\"properties\":{\"word\":{\"type\":\"string\"},"
	    "\"times\":{\"type\":\"integer\",\"default\":1},",
	    /* One value: JSON or msgpack. */
	    "\"content\":{\"application/json\":{\"schema\":"
	    "{\"type\":\"array\"}},\"application/msgpack\":{\"schema\":"
	    "{\"type\":\"array\"}}}}",
	    /* A stream: ndjson, server-sent events or msgpack. */
	    "\"content\":{\"application/x-ndjson\":{\"schema\":"
	    "{\"type\":\"integer\"}},\"text/event-stream\":{\"schema\":"
	    "{\"type\":\"string\"}},\"application/msgpack\":{\"schema\":"
	    "{\"type\":\"integer\"}}}}",
	    /* Errors by range, as JSON or msgpack. */
	    "\"4XX\":{\"description\":\"The request was refused: ",
	    "\"5XX\":{\"description\":\"The command failed: ",
	    "\"content\":{\"application/json\":{\"schema\":{\"$ref\":"
	    "\"#/components/schemas/Error\"}},\"application/msgpack\":"
	    "{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}}",
	    "\"/ping\":{\"post\":",
	    "\"/command\":{\"post\":",
	};
	static const char *const absent[] = {"\"/quit\"", "\"/reset\"",
	    "\"/select\"", "\"/hello\"", "\"/client\"", "\"/auth\""};
	struct harness_http r;
	size_t i;

	desc_get(&r, "/openapi.json");
	ck_assert_int_eq(r.status, 200);
	for (i = 0; i < NCASES(want); i++)
		desc_has("/openapi.json", r.body, want[i]);
	for (i = 0; i < NCASES(absent); i++)
		ck_assert_msg(strstr(r.body, absent[i]) == NULL,
		    "/openapi.json has %s:\n%.2000s", absent[i], r.body);
	harness_http_free(&r);
}
END_TEST

/*
 * The structure of an OpenAPI 3.1 document, checked by python3 on stdin:
 * every operation has a unique operationId, a 200 response and error
 * responses (the commands named in argv[1]: the 4XX and 5XX ranges),
 * every $ref resolves, every media type is one duetd speaks, and every
 * default is a value of its schema's type.
 */
static const char desc_openapi_check[] =
    "import json, re, sys\n"
    "d = json.load(sys.stdin)\n"
    "cmds = set(sys.argv[1].split(','))\n"
    "assert d['openapi'] == '3.1.0', d['openapi']\n"
    "assert set(d) == {'openapi', 'servers', 'security', 'info', 'paths',"
    " 'components'}, set(d)\n"
    "assert d['info']['title'] == 'duetd' and d['info']['version']\n"
    "media = {'application/json', 'application/msgpack',"
    " 'application/x-ndjson', 'text/event-stream'}\n"
    "types = {'integer': lambda v: type(v) is int,"
    " 'number': lambda v: type(v) in (int, float),"
    " 'boolean': lambda v: type(v) is bool,"
    " 'string': lambda v: type(v) is str,"
    " 'array': lambda v: type(v) is list,"
    " 'object': lambda v: type(v) is dict}\n"
    "ids = set()\n"
    "def walk(o):\n"
    "    if isinstance(o, dict):\n"
    "        if '$ref' in o:\n"
    "            t = d\n"
    "            for k in o['$ref'][2:].split('/'):\n"
    "                t = t[k]\n"
    "        if 'default' in o and 'type' in o:\n"
    "            assert types[o['type']](o['default']), o\n"
    "        for v in o.values():\n"
    "            walk(v)\n"
    "    elif isinstance(o, list):\n"
    "        for v in o:\n"
    "            walk(v)\n"
    "for path, item in d['paths'].items():\n"
    "    assert path.startswith('/') and path[1:].lower() not in ('quit',"
    " 'reset', 'select', 'hello', 'client', 'auth'), path\n"
    "    assert set(item) <= {'get', 'post'} and 'post' in item, path\n"
    "    for op in item.values():\n"
    "        assert op['operationId'] not in ids, op['operationId']\n"
    "        ids.add(op['operationId'])\n"
    "        rs = op['responses']\n"
    "        assert '200' in rs and len(rs) > 1, rs\n"
    "        assert all(re.fullmatch('200|[45](XX|[0-9][0-9])', k)"
    " for k in rs), rs\n"
    "        if op['operationId'].split('_')[-1] in cmds:\n"
    "            assert {'4XX', '5XX'} <= set(rs), rs\n"
    "        for r in rs.values():\n"
    "            assert r['description'] and set(r['content']) <= media\n"
    "        for m in op.get('requestBody', {}).get('content', {}):\n"
    "            assert m in ('application/json', 'application/msgpack')\n"
    "walk(d)\n"
    "assert len(ids) > 20, len(ids)\n"
    "print('ok')\n";

START_TEST(test_describe_openapi_structure)
{
	char dir[64], file[PATH_MAX], cmd[PATH_MAX + 64];
	struct harness_http r;
	struct harness_out o;

	desc_get(&r, "/openapi.json");
	ck_assert_int_eq(r.status, 200);
	harness_tmpdir(dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/check.py", dir);
	harness_write_file(file, desc_openapi_check);
	snprintf(cmd, sizeof(cmd),
	    "python3 '%s' add,sum,get,set,ping,defaults.echo,defaults.count",
	    file);
	harness_run(&o, cmd, r.body, r.bodylen);
	ck_assert_msg(o.status == 0 && strcmp(o.out, "ok\n") == 0,
	    "python3 check of /openapi.json: %d\n%s%s", o.status, o.out, o.err);
	harness_out_free(&o);
	harness_http_free(&r);
	harness_rmdir(dir);
}
END_TEST

START_TEST(test_describe_connection_not_http)
{
	static const char *const reqs[] = {
	    "POST /quit HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Length: 0\r\n\r\n",
	    "GET /quit HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
	    "POST /reset HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Length: 0\r\n\r\n",
	    "GET /select/0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
	    "POST /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/json\r\nContent-Length: "
	    "5\r\n\r\n[\"3\"]",
	    "POST /client HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/json\r\nContent-Length: 6\r\n\r\n"
	    "[\"id\"]",
	    "POST /AUTH HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/json\r\nContent-Length: "
	    "5\r\n\r\n[\"x\"]",
	};
	static const char *const names[] = {
	    "quit", "quit", "reset", "select", "hello", "client", "auth"};
	struct harness_http r;
	char json[256], hdrs[128];
	size_t i;
	int fd = harness_connect(desc_h.port), body;

	/* One keep-alive connection: none of them changes it; one that
	 * announced a body is refused from its head, unread, and closes
	 * (SPEC 9.3), so the next goes on a new connection. */
	for (i = 0; i < NCASES(reqs); i++) {
		body = strstr(reqs[i], "Content-Type") != NULL;
		harness_sends(fd, reqs[i]);
		harness_http_read(&r, fd, 0);
		snprintf(json, sizeof(json),
		    "{\"error\":{\"code\":\"ERR\",\"message\":\"'%s' acts on a "
		    "RESP connection: it is not an HTTP operation\"}}",
		    names[i]);
		snprintf(hdrs, sizeof(hdrs),
		    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		    "%s",
		    strlen(json), body ? "Connection: close\r\n" : "");
		harness_http_expects(&r, "HTTP/1.1 404 Not Found", hdrs, json);
		harness_http_free(&r);
		if (body) {
			harness_expect_close(fd, "");
			fd = harness_connect(desc_h.port);
		}
	}
	harness_sends(fd, "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	harness_http_read(&r, fd, 0);
	harness_http_expects(&r, "HTTP/1.1 200 OK",
	    "Content-Type: application/json\r\nContent-Length: 6\r\n",
	    "\"PONG\"");
	harness_http_free(&r);
	close(fd);
	/* RESP keeps them. */
	fd = harness_connect(desc_h.port);
	harness_sends(
	    fd, "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$4\r\nQUIT\r\n");
	harness_expect_close(fd, "+OK\r\n+OK\r\n");
}
END_TEST

START_TEST(test_describe_page_usage)
{
	struct harness_http r;

	desc_get(&r, "/");
	ck_assert_int_eq(r.status, 200);
	/* The usage line is the daemon's, defaults included. */
	desc_has("the page", r.body, "el('code', c.usage)");
	/* Connection commands have no form: HTTP cannot call them. */
	desc_has("the page", r.body, "c.flags.indexOf('connection') < 0");
	harness_http_free(&r);
}
END_TEST

static Suite *
describe_suite(void)
{
	Suite *s = suite_create("describe");
	TCase *tc;

	tc = tcase_create("defaults");
	tcase_add_checked_fixture(tc, desc_setup, desc_teardown);
	tcase_add_test(tc, test_describe_commands_defaults);
	tcase_add_test(tc, test_describe_command_docs);
	tcase_add_test(tc, test_describe_redis_cli_hint);
	tcase_add_test(tc, test_describe_page_usage);
	suite_add_tcase(s, tc);

	tc = tcase_create("openapi");
	tcase_add_checked_fixture(tc, desc_setup, desc_teardown);
	tcase_add_test(tc, test_describe_openapi_defaults);
	tcase_add_test(tc, test_describe_openapi_structure);
	suite_add_tcase(s, tc);

	tc = tcase_create("connection");
	tcase_add_checked_fixture(tc, desc_setup, desc_teardown);
	tcase_add_test(tc, test_describe_connection_not_http);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(describe_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
