/* SPDX-License-Identifier: MIT */
/*
 * Integration test that every bundled command gives the same result over
 * each protocol: one table of calls, each made with redis-cli --json,
 * with a raw RESP3 socket, with curl and a JSON body, and with curl and a
 * msgpack body (msgpack reply); every answer is decoded to one canonical
 * JSON text and compared with the row's value, so RESP ":3", JSON "3"
 * and msgpack 0x03 must agree.  Stateful kv rows run in order, on keys
 * cleared before each protocol's pass.  whoami is left out: it reports
 * the protocol, which differs by design.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

static struct harness cross_h;

static void
cross_setup(void)
{
	harness_start(&cross_h, NULL, NULL);
}

static void
cross_teardown(void)
{
	harness_stop(&cross_h);
}

#define CROSS_ARGS 4

/* One call and its result, the same over every protocol. */
struct cross_case {
	const char *argv[CROSS_ARGS]; /* command and arguments, as RESP text */
	const char *json;             /* the POST body as JSON */
	const char *mp;               /* the POST body as msgpack */
	size_t mplen;
	int status;       /* HTTP status */
	const char *want; /* canonical JSON; errors {"error":{...}} */
};

#define MP(s) s, sizeof(s) - 1
#define ERRV(code, msg)                                                        \
	"{\"error\":{\"code\":\"" code "\",\"message\":\"" msg "\"}}"

/* Doubles in msgpack: 0xcb and 8 big-endian bytes. */
#define D1_5  "\xcb\x3f\xf8\0\0\0\0\0\0"
#define D2_25 "\xcb\x40\x02\0\0\0\0\0\0"
#define D2_5  "\xcb\x40\x04\0\0\0\0\0\0"
#define D0_1  "\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a"
#define D0_2  "\xcb\x3f\xc9\x99\x99\x99\x99\x99\x9a"

static const struct cross_case cross_cases[] = {
    {{"add", "1", "2"}, "[1,2]", MP("\x92\x01\x02"), 200, "3"},
    {{"add", "-5", "2"}, "{\"a\":-5,\"b\":2}", MP("\x92\xfb\x02"), 200, "-3"},
    {{"add", "9223372036854775806", "1"}, "[9223372036854775806,1]",
        MP("\x92\xd3\x7f\xff\xff\xff\xff\xff\xff\xfe\x01"), 200,
        "9223372036854775807"},
    {{"add", "x", "2"}, "[\"x\",2]", MP("\x92\xa1x\x02"), 400,
        ERRV("ERR", "invalid argument 'a' for 'add': expected int")},
    {{"add", "1"}, "[1]", MP("\x91\x01"), 400,
        ERRV("ERR", "wrong number of arguments for 'add' command")},
    {{"sum", "1.5", "2.25"}, "[1.5,2.25]", MP("\x92" D1_5 D2_25), 200, "3.75"},
    {{"sum", "1", "2"}, "[1,2]", MP("\x92\x01\x02"), 200, "3.0"},
    {{"sum", "0.1", "0.2"}, "[0.1,0.2]", MP("\x92" D0_1 D0_2), 200,
        "0.30000000000000004"},
    {{"sum", "2.5"}, "{\"nums\":[2.5]}", MP("\x81\xa4nums\x91" D2_5), 200,
        "2.5"},
    {{"set", "k", "v"}, "[\"k\",\"v\"]", MP("\x92\xa1k\xa1v"), 200, "\"OK\""},
    {{"get", "k"}, "[\"k\"]", MP("\x91\xa1k"), 200, "\"v\""},
    {{"get", "missing"}, "{\"key\":\"missing\"}", MP("\x81\xa3key\xa7missing"),
        200, "null"},
    {{"exists", "k", "k", "missing"}, "[\"k\",\"k\",\"missing\"]",
        MP("\x93\xa1k\xa1k\xa7missing"), 200, "2"},
    {{"incr", "n"}, "[\"n\"]", MP("\x91\xa1n"), 200, "1"},
    {{"incr", "n"}, "[\"n\"]", MP("\x91\xa1n"), 200, "2"},
    {{"get", "n"}, "[\"n\"]", MP("\x91\xa1n"), 200, "\"2\""},
    {{"incr", "k"}, "[\"k\"]", MP("\x91\xa1k"), 500,
        ERRV("ERR", "value is not an integer or out of range")},
    {{"del", "k", "missing"}, "[\"k\",\"missing\"]", MP("\x92\xa1k\xa7missing"),
        200, "1"},
    {{"get", "k"}, "[\"k\"]", MP("\x91\xa1k"), 200, "null"},
    {{"set", "u", "\xc3\xa9t\xc3\xa9"}, "[\"u\",\"\\u00e9t\\u00e9\"]",
        MP("\x92\xa1u\xa5\xc3\xa9t\xc3\xa9"), 200, "\"OK\""},
    {{"get", "u"}, "[\"u\"]", MP("\x91\xa1u"), 200, "\"\xc3\xa9t\xc3\xa9\""},
    {{"reflect", "{\"a\":[1,2.5,true,null]}"}, "[{\"a\":[1,2.5,true,null]}]",
        MP("\x91\x81\xa1"
           "a\x94\x01" D2_5 "\xc3\xc0"),
        200, "{\"a\":[1,2.5,true,null]}"},
    {{"reflect", "\"text\""}, "[\"text\"]", MP("\x91\xa4text"), 200,
        "\"text\""},
    {{"reflect", "[1,\"x\"]"}, "{\"value\":[1,\"x\"]}",
        MP("\x81\xa5value\x92\x01\xa1x"), 200, "[1,\"x\"]"},
    {{"reflect", "-7"}, "[-7]", MP("\x91\xf9"), 200, "-7"},
    {{"reflect", "true"}, "[true]", MP("\x91\xc3"), 200, "true"},
    {{"reflect", "false"}, "[false]", MP("\x91\xc2"), 200, "false"},
    {{"reflect", "null"}, "[null]", MP("\x91\xc0"), 200, "null"},
    {{"reflect", "{\"k\":{\"n\":[]}}"}, "[{\"k\":{\"n\":[]}}]",
        MP("\x91\x81\xa1k\x81\xa1n\x90"), 200, "{\"k\":{\"n\":[]}}"},
    {{"reflect", "\"a\\\"b\\\\c\\n\""}, "[\"a\\\"b\\\\c\\n\"]",
        MP("\x91\xa6"
           "a\"b\\c\n"),
        200, "\"a\\\"b\\\\c\\n\""},
    {{"fail", "boom"}, "[\"boom\"]",
        MP("\x91\xa4"
           "boom"),
        500, ERRV("DEMO", "boom")},
    {{"fail", "a b"}, "{\"message\":\"a b\"}",
        MP("\x81\xa7message\xa3"
           "a b"),
        500, ERRV("DEMO", "a b")},
    {{"ping"}, "[]", MP("\x90"), 200, "\"PONG\""},
    {{"ping", "hi"}, "[\"hi\"]", MP("\x91\xa2hi"), 200, "\"hi\""},
    {{"echo", "hello"}, "[\"hello\"]", MP("\x91\xa5hello"), 200, "\"hello\""},
    {{"echo", "42"}, "[\"42\"]",
        MP("\x91\xa2"
           "42"),
        200, "\"42\""},
    {{"nosuch"}, "[]", MP("\x90"), 404,
        ERRV("ERR", "unknown command 'nosuch', with args beginning with: ")},
};

#define NCROSS (sizeof(cross_cases) / sizeof(cross_cases[0]))

static int
cross_argc(const struct cross_case *t)
{
	int n = 0;

	while (n < CROSS_ARGS && t->argv[n] != NULL)
		n++;
	return n;
}

/* Appends s to buf (of size cap) in single quotes for /bin/sh. */
static void
cross_shell_quote(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(buf);

	ck_assert_msg(strchr(s, '\'') == NULL, "quote in %s", s);
	snprintf(buf + n, cap - n, " '%s'", s);
}

/* Trims one trailing newline from o->out. */
static void
cross_chomp(struct harness_out *o)
{
	if (o->outlen > 0 && o->out[o->outlen - 1] == '\n')
		o->out[--o->outlen] = '\0';
}

/*
 * What redis-cli --json prints for want: the same JSON, except that an
 * error is error:"CODE message" and a RESP3 double has no ".0" (",3").
 */
static void
cross_cli_want(const char *want, char *buf, size_t cap)
{
	const char *code, *msg;
	size_t i, n = 0;

	if (strncmp(want, "{\"error\":", 9) == 0) {
		code = strstr(want, "\"code\":\"") + 8;
		msg = strstr(want, "\"message\":\"") + 11;
		snprintf(buf, cap, "error:\"%.*s %.*s\"",
		    (int)strcspn(code, "\""), code, (int)(strlen(msg) - 3),
		    msg);
		return;
	}
	for (i = 0; want[i] != '\0' && n + 1 < cap; i++) {
		if (want[i] == '.' && want[i + 1] == '0' && i > 0 &&
		    want[i - 1] >= '0' && want[i - 1] <= '9' &&
		    (want[i + 2] < '0' || want[i + 2] > '9'))
			i++;
		else
			buf[n++] = want[i];
	}
	buf[n] = '\0';
}

static void
cross_redis_cli(const struct cross_case *t)
{
	char cmd[1024], want[512];
	struct harness_out o;
	int i;

	snprintf(cmd, sizeof(cmd), "redis-cli --json -p %d", cross_h.port);
	for (i = 0; i < cross_argc(t); i++)
		cross_shell_quote(cmd, sizeof(cmd), t->argv[i]);
	harness_run(&o, cmd, NULL, 0);
	cross_chomp(&o);
	cross_cli_want(t->want, want, sizeof(want));
	ck_assert_msg(strcmp(o.out, want) == 0,
	    "redis-cli %s %s: \"%s\", want \"%s\" (%s)", t->argv[0],
	    t->argv[1] != NULL ? t->argv[1] : "", o.out, want, o.err);
	harness_out_free(&o);
}

/* Appends the JSON of msgpack header h (n bytes) followed by p[0..len). */
static void
cross_mp_json(FILE *f, const char *h, size_t n, const void *p, size_t len)
{
	char *mp = malloc(n + len), *json;

	ck_assert_ptr_nonnull(mp);
	memcpy(mp, h, n);
	memcpy(mp + n, p, len);
	json = harness_msgpack_json(mp, n + len);
	ck_assert_ptr_nonnull(json);
	fputs(json, f);
	free(json);
	free(mp);
}

/* RESP bytes as JSON, as duetd renders bytes: via a msgpack bin. */
static void
cross_bytes_json(FILE *f, const char *p, size_t len)
{
	char h[5] = {'\xc6', (char)(len >> 24), (char)(len >> 16),
	    (char)(len >> 8), (char)len};

	cross_mp_json(f, h, sizeof(h), p, len);
}

/* A RESP3 double as JSON, as duetd renders doubles. */
static void
cross_double_json(FILE *f, const char *text)
{
	char h[9];
	double d = strtod(text, NULL);
	uint64_t u;
	int i;

	memcpy(&u, &d, 8);
	h[0] = '\xcb';
	for (i = 0; i < 8; i++)
		h[1 + i] = (char)(u >> (56 - 8 * i));
	cross_mp_json(f, h, sizeof(h), "", 0);
}

static long cross_resp(FILE *f, const char *p, size_t len);

/* n elements (maps: 2n) of an aggregate after its header line. */
static long
cross_resp_aggr(FILE *f, const char *p, size_t len, long n, int map)
{
	long i, used = 0, r;

	fputc(map ? '{' : '[', f);
	for (i = 0; i < (map ? 2 * n : n); i++) {
		if (i > 0)
			fputc(map && i % 2 == 1 ? ':' : ',', f);
		if ((r = cross_resp(f, p + used, len - (size_t)used)) < 0)
			return r;
		used += r;
	}
	fputc(map ? '}' : ']', f);
	return used;
}

/*
 * Renders the RESP3 reply at p[0..len) as canonical JSON into f.
 * Returns the bytes it took, -2 if it is incomplete, -1 if invalid.
 */
static long
cross_resp(FILE *f, const char *p, size_t len)
{
	const char *eol = len > 0 ? memmem(p, len, "\r\n", 2) : NULL;
	long hl, n, r;
	char line[512];

	if (eol == NULL)
		return -2;
	hl = eol - p + 2;
	if ((size_t)hl - 3 >= sizeof(line))
		return -1;
	memcpy(line, p + 1, (size_t)hl - 3);
	line[hl - 3] = '\0';
	n = strtol(line, NULL, 10);
	switch (p[0]) {
	case '+':
		cross_bytes_json(f, line, strlen(line));
		return hl;
	case '-':
		fprintf(f, "{\"error\":{\"code\":\"%.*s\",\"message\":",
		    (int)strcspn(line, " "), line);
		cross_bytes_json(f, line + strcspn(line, " ") + 1,
		    strlen(line + strcspn(line, " ") + 1));
		fputs("}}", f);
		return hl;
	case ':':
		fputs(line, f);
		return hl;
	case ',':
		cross_double_json(f, line);
		return hl;
	case '#':
		fputs(line[0] == 't' ? "true" : "false", f);
		return hl;
	case '_':
		fputs("null", f);
		return hl;
	case '$':
		if (n < 0) {
			fputs("null", f);
			return hl;
		}
		if ((size_t)(hl + n + 2) > len)
			return -2;
		cross_bytes_json(f, p + hl, (size_t)n);
		return hl + n + 2;
	case '*':
	case '~':
	case '%':
		r = cross_resp_aggr(
		    f, p + hl, len - (size_t)hl, n, p[0] == '%');
		return r < 0 ? r : hl + r;
	default:
		return -1;
	}
}

/* Reads one RESP3 reply from fd; returns it as canonical JSON. */
static char *
cross_resp_read(int fd)
{
	char *buf = NULL, *got, *json;
	size_t len = 0, jsonlen, n;
	long r = -2;
	FILE *f;

	while (r == -2) {
		got = harness_read_n(fd, 1, HARNESS_TIMEOUT_MS, &n);
		ck_assert_msg(n == 1, "RESP reply ends after %zu bytes", len);
		buf = realloc(buf, len + 1);
		ck_assert_ptr_nonnull(buf);
		buf[len++] = got[0];
		free(got);
		if (buf[len - 1] != '\n')
			continue;
		f = open_memstream(&json, &jsonlen);
		ck_assert_ptr_nonnull(f);
		r = cross_resp(f, buf, len);
		fclose(f);
		if (r == -2)
			free(json);
	}
	ck_assert_msg(r == (long)len, "bad RESP3 reply: %.*s", (int)len, buf);
	free(buf);
	return json;
}

/* Sends argv as a RESP multibulk request. */
static void
cross_resp_send(int fd, const char *const *argv, int argc)
{
	char buf[1024];
	size_t n;
	int i;

	n = (size_t)snprintf(buf, sizeof(buf), "*%d\r\n", argc);
	for (i = 0; i < argc; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
	ck_assert_uint_lt(n, sizeof(buf));
	harness_send(fd, buf, n);
}

static int cross_fd = -1; /* the RESP3 connection of a pass */

static void
cross_resp3(const struct cross_case *t)
{
	char *got;

	cross_resp_send(cross_fd, t->argv, cross_argc(t));
	got = cross_resp_read(cross_fd);
	ck_assert_msg(strcmp(got, t->want) == 0, "RESP3 %s %s: %s, want %s",
	    t->argv[0], t->argv[1] != NULL ? t->argv[1] : "", got, t->want);
	free(got);
}

/* POSTs body (from the file path) as ctype; checks status and reply. */
static void
cross_curl(const struct cross_case *t, const char *ctype, const char *path,
    int msgpack)
{
	struct harness_http r;
	struct harness_out o;
	char cmd[1024], *got;

	snprintf(cmd, sizeof(cmd),
	    "curl -sS -i --max-time 10 -H 'Content-Type: %s' %s "
	    "--data-binary @%s http://127.0.0.1:%d/%s",
	    ctype, msgpack ? "-H 'Accept: application/msgpack'" : "", path,
	    cross_h.port, t->argv[0]);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_msg(o.status == 0, "%s: %s", cmd, o.err);
	ck_assert_uint_eq(harness_http_parse(&r, o.out, o.outlen, 0), o.outlen);
	ck_assert_str_eq(harness_http_header(&r, "Content-Type"), ctype);
	got =
	    msgpack ? harness_msgpack_json(r.body, r.bodylen) : strdup(r.body);
	ck_assert_msg(
	    got != NULL, "%s: reply is not one msgpack value", t->argv[0]);
	ck_assert_msg(r.status == t->status && strcmp(got, t->want) == 0,
	    "%s %s (%s): %s %s, want %d %s", t->argv[0], t->json, ctype, r.line,
	    got, t->status, t->want);
	free(got);
	harness_http_free(&r);
	harness_out_free(&o);
}

static void
cross_write(const char *path, const char *p, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void
cross_http_json(const struct cross_case *t)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/body.json", cross_h.dir);
	cross_write(path, t->json, strlen(t->json));
	cross_curl(t, "application/json", path, 0);
	unlink(path);
}

static void
cross_http_msgpack(const struct cross_case *t)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/body.mp", cross_h.dir);
	cross_write(path, t->mp, t->mplen);
	cross_curl(t, "application/msgpack", path, 1);
	unlink(path);
}

/* Clears the keys the table uses, over RESP. */
static void
cross_reset(void)
{
	int fd = harness_connect(cross_h.port);

	harness_sends(fd, "DEL k n u missing\r\n");
	free(cross_resp_read(fd));
	close(fd);
}

/* Runs the whole table, in order, through one protocol. */
static void
cross_pass(void (*call)(const struct cross_case *))
{
	size_t i;

	cross_reset();
	for (i = 0; i < NCROSS; i++)
		call(&cross_cases[i]);
}

START_TEST(test_cross_redis_cli)
{
	cross_pass(cross_redis_cli);
}
END_TEST

START_TEST(test_cross_resp3)
{
	char *hello;

	cross_fd = harness_connect(cross_h.port);
	harness_sends(cross_fd, "HELLO 3\r\n");
	hello = cross_resp_read(cross_fd);
	ck_assert_msg(
	    strstr(hello, "\"proto\":3") != NULL, "HELLO 3: %s", hello);
	free(hello);
	cross_pass(cross_resp3);
	close(cross_fd);
	cross_fd = -1;
}
END_TEST

START_TEST(test_cross_http_json)
{
	cross_pass(cross_http_json);
}
END_TEST

START_TEST(test_cross_http_msgpack)
{
	cross_pass(cross_http_msgpack);
}
END_TEST

static Suite *
cross_suite(void)
{
	Suite *s = suite_create("cross");
	TCase *tc;

	tc = tcase_create("protocols");
	tcase_add_checked_fixture(tc, cross_setup, cross_teardown);
	tcase_add_test(tc, test_cross_redis_cli);
	tcase_add_test(tc, test_cross_resp3);
	tcase_add_test(tc, test_cross_http_json);
	tcase_add_test(tc, test_cross_http_msgpack);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cross_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
