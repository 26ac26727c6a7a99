/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of RESP end to end: a real duetd with the bundled
 * plugins, driven by raw sockets (exact reply bytes), hiredis and
 * redis-cli: replies, inline commands, errors that keep the connection,
 * pipelining, RESP3, JSON and msgpack encodings, kv semantics, binary
 * safety, mass insert with redis-cli --pipe, and the built-in commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <hiredis/hiredis.h>

#include "harness.h"
#include "hiredis_field.h"

static struct harness resp_h;

static void
resp_setup(void)
{
	harness_start(&resp_h, NULL, NULL);
}

static void
resp_teardown(void)
{
	harness_stop(&resp_h);
}

/*
 * Returns words (separated by single spaces) as one RESP multibulk
 * request.  Owned by the caller.
 */
static char *
resp_mbulk(const char *words)
{
	size_t cap = strlen(words) * 8 + 32, n, argc = 1;
	const char *w, *sp;
	char *buf;

	for (w = words; *w != '\0'; w++)
		argc += *w == ' ';
	buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	n = (size_t)snprintf(buf, cap, "*%zu\r\n", argc);
	for (w = words;; w = sp + 1) {
		if ((sp = strchr(w, ' ')) == NULL)
			sp = w + strlen(w);
		n += (size_t)snprintf(buf + n, cap - n, "$%d\r\n%.*s\r\n",
		    (int)(sp - w), (int)(sp - w), w);
		if (*sp == '\0')
			break;
	}
	return buf;
}

/* Sends words as a multibulk request on fd and expects exactly want. */
static void
resp_call(int fd, const char *words, const char *want)
{
	char *req = resp_mbulk(words);

	harness_sends(fd, req);
	harness_expects(fd, want);
	free(req);
}

/* Sends raw bytes on fd and expects exactly want (with its length). */
static void
resp_raw(
    int fd, const char *req, size_t reqlen, const char *want, size_t wantlen)
{
	harness_send(fd, req, reqlen);
	harness_expect(fd, want, wantlen);
}

/* A request (multibulk words, or raw inline text) and its exact reply. */
struct resp_case {
	const char *req;
	const char *want;
};

static void
resp_run_cases(int fd, const struct resp_case *c, size_t n, int inl)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (inl) {
			harness_sends(fd, c[i].req);
			harness_expects(fd, c[i].want);
		} else {
			resp_call(fd, c[i].req, c[i].want);
		}
	}
}

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_resp_replies)
{
	static const struct resp_case cases[] = {
	    {"add 1 2", ":3\r\n"},
	    {"ADD 1 2", ":3\r\n"},
	    {"add -5 2", ":-3\r\n"},
	    {"add 9223372036854775806 1", ":9223372036854775807\r\n"},
	    {"sum 1.5 2.25", "$4\r\n3.75\r\n"},
	    {"sum 1 2 0.75", "$4\r\n3.75\r\n"},
	    {"PING", "+PONG\r\n"},
	    {"ping hi", "$2\r\nhi\r\n"},
	    {"ECHO hello", "$5\r\nhello\r\n"},
	    {"echo 12", "$2\r\n12\r\n"},
	};
	int fd = harness_connect(resp_h.port);

	resp_run_cases(fd, cases, NCASES(cases), 0);
	close(fd);
}
END_TEST

START_TEST(test_resp_inline)
{
	static const struct resp_case cases[] = {
	    {"add 1 2\r\n", ":3\r\n"},
	    {"PING\n", "+PONG\r\n"},
	    {"  add   4   5  \r\n", ":9\r\n"},
	    {"ECHO \"a b\"\r\n", "$3\r\na b\r\n"},
	    {"ECHO \"\\x41\\n\"\r\n", "$2\r\nA\n\r\n"},
	    {"ECHO \"abc\r\n",
	        "-ERR Protocol error: unbalanced quotes in request\r\n"},
	};
	int fd = harness_connect(resp_h.port);

	resp_run_cases(fd, cases, NCASES(cases) - 1, 1);
	harness_sends(fd, cases[NCASES(cases) - 1].req);
	harness_expect_close(fd, cases[NCASES(cases) - 1].want);
	close(fd);
}
END_TEST

START_TEST(test_resp_errors_keep_connection)
{
	static const struct resp_case cases[] = {
	    {"foo a b",
	        "-ERR unknown command 'foo', with args beginning "
	        "with: 'a' 'b' \r\n"},
	    {"nosuch",
	        "-ERR unknown command 'nosuch', with args beginning "
	        "with: \r\n"},
	    {"add 1", "-ERR wrong number of arguments for 'add' command\r\n"},
	    {"add 1 2 3",
	        "-ERR wrong number of arguments for 'add' command\r\n"},
	    {"get", "-ERR wrong number of arguments for 'get' command\r\n"},
	    {"add x 2",
	        "-ERR invalid argument 'a' for 'add': expected int\r\n"},
	    {"add 1 2.5",
	        "-ERR invalid argument 'b' for 'add': expected int\r\n"},
	    {"SELECT 1", "-ERR DB index is out of range\r\n"},
	    {"fail boom", "-DEMO boom\r\n"},
	    {"PING", "+PONG\r\n"},
	};
	int fd = harness_connect(resp_h.port);

	resp_run_cases(fd, cases, NCASES(cases), 0);
	close(fd);
}
END_TEST

START_TEST(test_resp_pipeline)
{
	char *req, *want, *got;
	size_t n = 0, m = 0, len;
	int i, fd;

	req = malloc(1000 * 64);
	want = malloc(1000 * 16);
	ck_assert(req != NULL && want != NULL);
	for (i = 0; i < 1000; i++) {
		n += (size_t)sprintf(req + n,
		    "*3\r\n$3\r\nadd\r\n$%d\r\n%d\r\n$1\r\n1\r\n",
		    snprintf(NULL, 0, "%d", i), i);
		m += (size_t)sprintf(want + m, ":%d\r\n", i + 1);
	}
	fd = harness_connect(resp_h.port);
	harness_send(fd, req, n);
	got = harness_read_n(fd, m, HARNESS_TIMEOUT_MS, &len);
	ck_assert_uint_eq(len, m);
	ck_assert_msg(memcmp(got, want, m) == 0, "replies out of order");
	resp_call(fd, "PING", "+PONG\r\n");
	free(got);
	free(req);
	free(want);
	close(fd);
}
END_TEST

/* Sends words, then PING, and returns everything before the PONG. */
static char *
resp_call_unknown_len(int fd, const char *words, size_t *len)
{
	char *req = resp_mbulk(words), *got;

	harness_sends(fd, req);
	harness_sends(fd, "*1\r\n$4\r\nPING\r\n");
	got = harness_read_until(fd, "+PONG\r\n", len);
	ck_assert_msg(*len >= 7, "no PONG after '%s': \"%s\"", words, got);
	*len -= 7;
	got[*len] = '\0';
	free(req);
	return got;
}

START_TEST(test_resp_resp3)
{
	static const struct resp_case cases[] = {
	    {"get missing", "_\r\n"},
	    {"sum 1.5 2.25", ",3.75\r\n"},
	    {"add 1 2", ":3\r\n"},
	    {"reflect true", "#t\r\n"},
	    {"reflect false", "#f\r\n"},
	    {"reflect null", "_\r\n"},
	    {"reflect {\"k\":\"v\"}", "%1\r\n$1\r\nk\r\n$1\r\nv\r\n"},
	    {"HELLO 4", "-NOPROTO unsupported protocol version\r\n"},
	};
	int fd = harness_connect(resp_h.port);
	size_t len;
	char *got;

	got = resp_call_unknown_len(fd, "HELLO 3", &len);
	ck_assert_msg(got[0] == '%', "HELLO 3 is not a map: \"%s\"", got);
	ck_assert_msg(strstr(got, "$5\r\nproto\r\n:3\r\n") != NULL,
	    "HELLO 3 without proto 3: \"%s\"", got);
	free(got);
	resp_run_cases(fd, cases, NCASES(cases), 0);

	got = resp_call_unknown_len(fd, "HELLO 2", &len);
	ck_assert_msg(got[0] == '*', "HELLO 2 is not an array: \"%s\"", got);
	ck_assert_ptr_nonnull(strstr(got, "$5\r\nproto\r\n:2\r\n"));
	free(got);
	resp_call(fd, "get missing", "$-1\r\n");
	resp_call(fd, "reflect true", ":1\r\n");
	close(fd);
}
END_TEST

START_TEST(test_resp_reflect_json)
{
	static const char v2[] = "*2\r\n$1\r\na\r\n"
	                         "*4\r\n:1\r\n$3\r\n2.5\r\n:1\r\n$-1\r\n";
	static const char v3[] = "%1\r\n$1\r\na\r\n"
	                         "*4\r\n:1\r\n,2.5\r\n#t\r\n_\r\n";
	int fd = harness_connect(resp_h.port);
	size_t len;
	char *got;

	resp_call(fd, "reflect {\"a\":[1,2.5,true,null]}", v2);
	resp_call(fd, "reflect \"text\"", "$4\r\ntext\r\n");
	resp_call(fd, "reflect [1,\"x\"]", "*2\r\n:1\r\n$1\r\nx\r\n");
	resp_call(fd, "reflect -7", ":-7\r\n");
	got = resp_call_unknown_len(fd, "reflect {\"a\":", &len);
	ck_assert_msg(strncmp(got,
	                  "-ERR invalid argument 'value' for "
	                  "'reflect': ",
	                  45) == 0,
	    "reflect of bad JSON: \"%s\"", got);
	free(got);
	got = resp_call_unknown_len(fd, "HELLO 3", &len);
	free(got);
	resp_call(fd, "reflect {\"a\":[1,2.5,true,null]}", v3);
	close(fd);
}
END_TEST

START_TEST(test_resp_kv)
{
	static const struct resp_case cases[] = {
	    {"get k", "$-1\r\n"},
	    {"set k v", "+OK\r\n"},
	    {"get k", "$1\r\nv\r\n"},
	    {"set k value2", "+OK\r\n"},
	    {"get k", "$6\r\nvalue2\r\n"},
	    {"exists k missing k", ":2\r\n"},
	    {"del k missing", ":1\r\n"},
	    {"del k", ":0\r\n"},
	    {"get k", "$-1\r\n"},
	    {"exists k", ":0\r\n"},
	    {"incr n", ":1\r\n"},
	    {"incr n", ":2\r\n"},
	    {"get n", "$1\r\n2\r\n"},
	    {"set n -10", "+OK\r\n"},
	    {"incr n", ":-9\r\n"},
	    {"set s abc", "+OK\r\n"},
	    {"incr s", "-ERR value is not an integer or out of range\r\n"},
	    {"set s 01", "+OK\r\n"},
	    {"incr s", "-ERR value is not an integer or out of range\r\n"},
	    {"set big 9223372036854775807", "+OK\r\n"},
	    {"incr big", "-ERR increment or decrement would overflow\r\n"},
	    {"get big", "$19\r\n9223372036854775807\r\n"},
	    {"SET upper case", "+OK\r\n"},
	    {"GET upper", "$4\r\ncase\r\n"},
	};
	int fd = harness_connect(resp_h.port);

	resp_run_cases(fd, cases, NCASES(cases), 0);
	close(fd);
}
END_TEST

START_TEST(test_resp_binary_safe)
{
	static const char set[] = "*3\r\n$3\r\nset\r\n$4\r\nk\0\r\n\r\n"
	                          "$6\r\na\0b\r\nc\r\n";
	static const char get[] = "*2\r\n$3\r\nget\r\n$4\r\nk\0\r\n\r\n";
	static const char echo[] = "*2\r\n$4\r\nECHO\r\n$3\r\n\xff\0\xfe\r\n";
	int fd = harness_connect(resp_h.port);

	resp_raw(fd, set, sizeof(set) - 1, "+OK\r\n", 5);
	resp_raw(fd, get, sizeof(get) - 1, "$6\r\na\0b\r\nc\r\n", 12);
	resp_call(fd, "get k", "$-1\r\n");
	resp_raw(fd, echo, sizeof(echo) - 1, "$3\r\n\xff\0\xfe\r\n", 9);
	close(fd);
}
END_TEST

START_TEST(test_resp_hiredis)
{
	redisContext *c = redisConnect("127.0.0.1", resp_h.port);
	char val[256];
	redisReply *r;
	int i;

	ck_assert(c != NULL && c->err == 0);
	r = redisCommand(c, "add %d %d", 40, 2);
	ck_assert(r != NULL && r->type == REDIS_REPLY_INTEGER);
	ck_assert_int_eq(r->integer, 42);
	freeReplyObject(r);

	for (i = 0; i < 256; i++)
		val[i] = (char)i;
	r = redisCommand(c, "set %b %b", "bin", (size_t)3, val, sizeof(val));
	ck_assert(r != NULL && r->type == REDIS_REPLY_STATUS);
	ck_assert_str_eq(r->str, "OK");
	freeReplyObject(r);
	r = redisCommand(c, "get bin");
	ck_assert(r != NULL && r->type == REDIS_REPLY_STRING);
	ck_assert_uint_eq(r->len, sizeof(val));
	ck_assert(memcmp(r->str, val, sizeof(val)) == 0);
	freeReplyObject(r);

	r = redisCommand(c, "add %s %s", "one", "2");
	ck_assert(r != NULL && r->type == REDIS_REPLY_ERROR);
	ck_assert_str_eq(
	    r->str, "ERR invalid argument 'a' for 'add': expected int");
	freeReplyObject(r);
	r = redisCommand(c, "get nothing");
	ck_assert(r != NULL && r->type == REDIS_REPLY_NIL);
	freeReplyObject(r);
	redisFree(c);
}
END_TEST

/* Runs redis-cli with args against the daemon. */
static void
resp_cli(
    struct harness_out *o, const char *args, const char *input, size_t inlen)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "redis-cli -h 127.0.0.1 -p %d %s",
	    resp_h.port, args);
	harness_run(o, cmd, input, inlen);
}

START_TEST(test_resp_redis_cli)
{
	struct harness_out o;

	resp_cli(&o, "add 1 2", NULL, 0);
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(o.out, "3\n");
	harness_out_free(&o);
	resp_cli(&o, "ping", NULL, 0);
	ck_assert_str_eq(o.out, "PONG\n");
	harness_out_free(&o);
	resp_cli(&o, "sum 1 2.5", NULL, 0);
	ck_assert_str_eq(o.out, "3.5\n");
	harness_out_free(&o);
	resp_cli(&o, "add 1", NULL, 0);
	ck_assert_msg(strncmp(o.out,
	                  "ERR wrong number of arguments for 'add' "
	                  "command\n",
	                  48) == 0,
	    "redis-cli add 1 printed \"%s\"", o.out);
	harness_out_free(&o);
}
END_TEST

START_TEST(test_resp_redis_cli_pipe)
{
	size_t n = 0, cap = 10000 * 64;
	struct harness_out o;
	char *input;
	int i;

	input = malloc(cap);
	ck_assert_ptr_nonnull(input);
	for (i = 0; i < 10000; i++) {
		char k[32], v[32];
		int kl = snprintf(k, sizeof(k), "key:%d", i);
		int vl = snprintf(v, sizeof(v), "val:%d", i * 7);

		n += (size_t)snprintf(input + n, cap - n,
		    "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", kl, k, vl,
		    v);
	}
	resp_cli(&o, "--pipe", input, n);
	free(input);
	ck_assert_msg(o.status == 0, "status %d: %s%s", o.status, o.out, o.err);
	ck_assert_msg(strstr(o.out, "errors: 0, replies: 10000") != NULL,
	    "redis-cli --pipe said: %s%s", o.out, o.err);
	harness_out_free(&o);

	i = harness_connect(resp_h.port);
	resp_call(i, "get key:0", "$5\r\nval:0\r\n");
	resp_call(i, "get key:4999", "$9\r\nval:34993\r\n");
	resp_call(i, "get key:9999", "$9\r\nval:69993\r\n");
	resp_call(i, "exists key:0 key:1234 key:9999 key:10000", ":3\r\n");
	close(i);
}
END_TEST

START_TEST(test_resp_command)
{
	redisContext *c = redisConnect("127.0.0.1", resp_h.port);
	redisReply *r, *e, *args;
	size_t i;
	int found = 0;

	ck_assert(c != NULL && c->err == 0);
	r = redisCommand(c, "COMMAND COUNT");
	ck_assert(r != NULL && r->type == REDIS_REPLY_INTEGER);
	ck_assert_int_ge(r->integer, 9 + 10);
	freeReplyObject(r);

	r = redisCommand(c, "COMMAND LIST");
	ck_assert(r != NULL && r->type == REDIS_REPLY_ARRAY);
	for (i = 0; i < r->elements; i++)
		found += strcmp(r->element[i]->str, "add") == 0;
	ck_assert_int_eq(found, 1);
	freeReplyObject(r);

	r = redisCommand(c, "COMMAND INFO add sum get nosuch");
	ck_assert(r != NULL && r->type == REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 4);
	e = r->element[0];
	ck_assert(e->type == REDIS_REPLY_ARRAY && e->elements >= 2);
	ck_assert_str_eq(e->element[0]->str, "add");
	ck_assert_int_eq(e->element[1]->integer, 3);
	ck_assert_int_eq(r->element[1]->element[1]->integer, -2);
	ck_assert_int_eq(r->element[2]->element[1]->integer, 2);
	ck_assert_int_eq(r->element[3]->type, REDIS_REPLY_NIL);
	freeReplyObject(r);

	r = redisCommand(c, "COMMAND DOCS add");
	ck_assert(r != NULL && r->type == REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_str_eq(r->element[0]->str, "add");
	e = hiredis_field(r->element[1], "summary");
	ck_assert(e != NULL && e->type == REDIS_REPLY_STRING && e->len > 0);
	args = hiredis_field(r->element[1], "arguments");
	ck_assert(args != NULL && args->type == REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(args->elements, 2);
	ck_assert_str_eq(hiredis_field(args->element[0], "name")->str, "a");
	ck_assert_str_eq(hiredis_field(args->element[0], "type")->str, "integer");
	ck_assert_str_eq(hiredis_field(args->element[1], "name")->str, "b");
	freeReplyObject(r);
	redisFree(c);
}
END_TEST

START_TEST(test_resp_client)
{
	int fd = harness_connect(resp_h.port), fd2;
	char *id, *id2, *info, want[64];
	size_t len;

	resp_call(fd, "CLIENT GETNAME", "$-1\r\n");
	resp_call(fd, "CLIENT SETNAME myname", "+OK\r\n");
	resp_call(fd, "CLIENT GETNAME", "$6\r\nmyname\r\n");
	resp_call(fd, "client getname", "$6\r\nmyname\r\n");
	resp_call(fd, "CLIENT SETNAME a\nb",
	    "-ERR Client names cannot "
	    "contain spaces, newlines or "
	    "special characters.\r\n");
	id = resp_call_unknown_len(fd, "CLIENT ID", &len);
	ck_assert_msg(len > 3 && id[0] == ':' && id[1] >= '1' && id[1] <= '9' &&
	        strcmp(id + len - 2, "\r\n") == 0,
	    "CLIENT ID: \"%s\"", id);
	fd2 = harness_connect(resp_h.port);
	id2 = resp_call_unknown_len(fd2, "CLIENT ID", &len);
	ck_assert_msg(strcmp(id, id2) != 0, "two clients with ID %s", id);
	info = resp_call_unknown_len(fd, "CLIENT INFO", &len);
	snprintf(
	    want, sizeof(want), "id=%.*s ", (int)strcspn(id + 1, "\r"), id + 1);
	ck_assert_msg(info[0] == '$' && strstr(info, want) != NULL &&
	        strstr(info, " name=myname ") != NULL,
	    "CLIENT INFO without \"%s\" and name=myname: \"%s\"", want, info);
	free(info);
	free(id);
	free(id2);
	close(fd2);
	close(fd);
}
END_TEST

START_TEST(test_resp_client_encoding)
{
	/* In msgpack mode every argument is one msgpack value. */
	static const char mp_add[] = "*3\r\n$3\r\nadd\r\n$1\r\n\x01\r\n"
	                             "$1\r\n\x02\r\n";
	static const char mp_reflect[] = "*2\r\n$7\r\nreflect\r\n$4\r\n"
	                                 "\x81\xa1k\x01\r\n";
	static const char mp_bad[] = "*3\r\n$3\r\nadd\r\n$1\r\n\xcd\r\n"
	                             "$1\r\n\x02\r\n";
	static const char mp_native[] = "*3\r\n$6\r\nCLIENT\r\n"
	                                "$9\r\n\xa8"
	                                "ENCODING\r\n"
	                                "$7\r\n\xa6native\r\n";
	int fd = harness_connect(resp_h.port);

	resp_call(fd, "CLIENT ENCODING json", "+OK\r\n");
	resp_call(fd, "add 1 2", "$1\r\n3\r\n");
	resp_call(fd, "reflect {\"a\":[1,true,null]}",
	    "$19\r\n{\"a\":[1,true,null]}\r\n");
	resp_call(fd, "add \"1\" 2",
	    "-ERR invalid argument 'a' for 'add': expected int\r\n");
	resp_call(fd, "get \"nokey\"", "$4\r\nnull\r\n");
	resp_call(fd, "PING", "$6\r\n\"PONG\"\r\n");
	resp_call(fd, "CLIENT \"ENCODING\" \"msgpack\"", "$4\r\n\"OK\"\r\n");
	resp_raw(fd, mp_add, sizeof(mp_add) - 1, "$1\r\n\x03\r\n", 7);
	resp_raw(fd, mp_reflect, sizeof(mp_reflect) - 1,
	    "$4\r\n\x81\xa1k\x01\r\n", 10);
	resp_raw(fd, mp_bad, sizeof(mp_bad) - 1,
	    "-ERR invalid argument 'a' for 'add': truncated msgpack\r\n", 56);
	resp_raw(
	    fd, mp_native, sizeof(mp_native) - 1, "$3\r\n\xa2OK\r\n", 9);
	resp_call(fd, "add 1 2", ":3\r\n");
	resp_call(fd, "CLIENT ENCODING xml",
	    "-ERR unknown encoding 'xml': "
	    "expected native, msgpack or "
	    "json\r\n");
	close(fd);
}
END_TEST

START_TEST(test_resp_connection_commands)
{
	int fd = harness_connect(resp_h.port);
	size_t len;
	char *got;

	resp_call(fd, "SELECT 0", "+OK\r\n");
	resp_call(fd, "SELECT 1", "-ERR DB index is out of range\r\n");
	got = resp_call_unknown_len(fd, "HELLO 3", &len);
	free(got);
	resp_call(fd, "CLIENT SETNAME x", "+OK\r\n");
	resp_call(fd, "RESET", "+RESET\r\n");
	resp_call(fd, "get missing", "$-1\r\n");
	resp_call(fd, "CLIENT GETNAME", "$-1\r\n");
	/* RESET also leaves the json encoding, and answers natively. */
	resp_call(fd, "CLIENT ENCODING json", "+OK\r\n");
	resp_call(fd, "RESET", "+RESET\r\n");
	resp_call(fd, "add 1 2", ":3\r\n");
	resp_call(fd, "QUIT", "+OK\r\n");
	harness_expect_close(fd, "");
	close(fd);
}
END_TEST

START_TEST(test_resp_info)
{
	int fd = harness_connect(resp_h.port);
	size_t len;
	char *got;

	resp_call(fd, "add 1 2", ":3\r\n");
	got = resp_call_unknown_len(fd, "INFO", &len);
	ck_assert_msg(got[0] == '$' && strstr(got, "# Server\r\n") &&
	        strstr(got, "# Clients\r\n") && strstr(got, "# Stats\r\n"),
	    "INFO: \"%s\"", got);
	free(got);
	got = resp_call_unknown_len(fd, "INFO commandstats", &len);
	ck_assert_msg(strstr(got, "# Commandstats\r\n") &&
	        strstr(got, "cmdstat_add:calls=1,") && !strstr(got, "# Server"),
	    "INFO commandstats: \"%s\"", got);
	free(got);
	close(fd);
}
END_TEST

/* A second listener on a unix socket, in a folder of the test's own. */
static char resp_sockdir[64];

static void
resp_unix_setup(void)
{
	char extra[256];

	harness_tmpdir(resp_sockdir, sizeof(resp_sockdir));
	snprintf(extra, sizeof(extra), "  - unix:%s/duetd.sock\nworkers: 2\n",
	    resp_sockdir);
	harness_start(&resp_h, NULL, extra);
}

static void
resp_unix_teardown(void)
{
	harness_stop(&resp_h);
	harness_rmdir(resp_sockdir);
}

START_TEST(test_resp_unix_socket)
{
	struct harness_out o;
	char cmd[256];
	redisContext *c;
	redisReply *r;

	snprintf(cmd, sizeof(cmd), "redis-cli -s %s/duetd.sock add 2 3",
	    resp_sockdir);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(o.out, "5\n");
	harness_out_free(&o);

	snprintf(cmd, sizeof(cmd), "%s/duetd.sock", resp_sockdir);
	c = redisConnectUnix(cmd);
	ck_assert(c != NULL && c->err == 0);
	r = redisCommand(c, "whoami");
	ck_assert(r != NULL && r->type == REDIS_REPLY_ARRAY);
	ck_assert_str_eq(hiredis_field(r, "peer")->str, "unix");
	freeReplyObject(r);
	redisFree(c);
}
END_TEST

/* Worker 0 accepts the unix socket and hands clients round-robin. */
START_TEST(test_resp_unix_socket_spreads_over_workers)
{
	redisContext *c[4];
	redisReply *r;
	char path[256];
	int i, seen[2] = {0, 0};

	snprintf(path, sizeof(path), "%s/duetd.sock", resp_sockdir);
	for (i = 0; i < 4; i++) {
		c[i] = redisConnectUnix(path);
		ck_assert(c[i] != NULL && c[i]->err == 0);
		r = redisCommand(c[i], "CLIENT INFO");
		ck_assert(r != NULL && r->type == REDIS_REPLY_STRING);
		if (strstr(r->str, " worker=0\n") != NULL)
			seen[0]++;
		else if (strstr(r->str, " worker=1\n") != NULL)
			seen[1]++;
		else
			ck_abort_msg("no worker in '%s'", r->str);
		freeReplyObject(r);
	}
	ck_assert_int_eq(seen[0], 2);
	ck_assert_int_eq(seen[1], 2);
	for (i = 0; i < 4; i++)
		redisFree(c[i]);
}
END_TEST

static Suite *
resp_suite(void)
{
	Suite *s = suite_create("resp");
	TCase *tc;

	tc = tcase_create("replies");
	tcase_add_checked_fixture(tc, resp_setup, resp_teardown);
	tcase_add_test(tc, test_resp_replies);
	tcase_add_test(tc, test_resp_inline);
	tcase_add_test(tc, test_resp_errors_keep_connection);
	tcase_add_test(tc, test_resp_pipeline);
	tcase_add_test(tc, test_resp_resp3);
	tcase_add_test(tc, test_resp_reflect_json);
	suite_add_tcase(s, tc);

	tc = tcase_create("kv");
	tcase_add_checked_fixture(tc, resp_setup, resp_teardown);
	tcase_add_test(tc, test_resp_kv);
	tcase_add_test(tc, test_resp_binary_safe);
	suite_add_tcase(s, tc);

	tc = tcase_create("clients");
	tcase_add_checked_fixture(tc, resp_setup, resp_teardown);
	tcase_add_test(tc, test_resp_hiredis);
	tcase_add_test(tc, test_resp_redis_cli);
	tcase_add_test(tc, test_resp_redis_cli_pipe);
	suite_add_tcase(s, tc);

	tc = tcase_create("builtins");
	tcase_add_checked_fixture(tc, resp_setup, resp_teardown);
	tcase_add_test(tc, test_resp_command);
	tcase_add_test(tc, test_resp_client);
	tcase_add_test(tc, test_resp_client_encoding);
	tcase_add_test(tc, test_resp_connection_commands);
	tcase_add_test(tc, test_resp_info);
	suite_add_tcase(s, tc);

	tc = tcase_create("unix");
	tcase_add_checked_fixture(tc, resp_unix_setup, resp_unix_teardown);
	tcase_add_test(tc, test_resp_unix_socket);
	tcase_add_test(tc, test_resp_unix_socket_spreads_over_workers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(resp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
