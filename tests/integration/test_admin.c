/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of the administration built-ins through a real duetd
 * with two workers: CONFIG GET (and redis-benchmark's use of it), TIME,
 * MODULE LIST, INFO modules, GET /plugins, CLIENT HELP, COMMAND HELP,
 * CLIENT LIST over both workers' clients, and CLIENT KILL of clients on
 * another worker.  Replies are compared byte for byte.
 */
#include <sys/socket.h>

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <hiredis/hiredis.h>

#include "harness.h"

#define ADMIN_MAX_CLIENTS 32

static struct harness admin_h;
static char admin_empty[64]; /* an empty plugin_dir */
static time_t admin_started; /* before the daemon was started */

/*
 * Two workers, math and kv listed by path (nothing else is loaded), and
 * limits CONFIG GET reports.
 */
static void
admin_setup(void)
{
	const char *pd = harness_env("DUET_PLUGIN_DIR");
	char extra[2048];

	harness_tmpdir(admin_empty, sizeof(admin_empty));
	snprintf(extra, sizeof(extra),
	    "workers: 2\n"
	    "plugins:\n"
	    "  - path: %s/math.so\n"
	    "  - path: %s/kv.so\n"
	    "limits: {max_connections: 77, idle_timeout: 42s}\n",
	    pd, pd);
	admin_started = time(NULL);
	harness_start(&admin_h, admin_empty, extra);
}

static void
admin_teardown(void)
{
	harness_stop(&admin_h);
	harness_rmdir(admin_empty);
}

/* Sends a raw request on fd and expects exactly want. */
static void
admin_call(int fd, const char *req, const char *want)
{
	harness_sends(fd, req);
	harness_expects(fd, want);
}

/* Sends req and reads a reply that ends with suffix; owned by the caller. */
static char *
admin_call_until(int fd, const char *req, const char *suffix)
{
	size_t len;

	harness_sends(fd, req);
	return harness_read_until(fd, suffix, &len);
}

/* What CLIENT INFO says of a connection. */
struct admin_client {
	int fd;
	uint64_t id;
	char addr[64];
	int worker;
};

/* Fills cl from CLIENT INFO on its fd. */
static void
admin_client_info(struct admin_client *cl)
{
	char *info = admin_call_until(cl->fd, "CLIENT INFO\r\n", "\n\r\n");
	const char *w = strstr(info, " worker=");

	ck_assert_msg(sscanf(info, "$%*d\r\nid=%" SCNu64 " addr=%63s", &cl->id,
	                  cl->addr) == 2 &&
	        w != NULL,
	    "CLIENT INFO: \"%s\"", info);
	cl->worker = atoi(w + 8);
	free(info);
}

/*
 * Connects clients until there are n and both workers have at least one
 * (the kernel spreads them by address); returns how many it made.
 */
static int
admin_clients(struct admin_client *cl, int n)
{
	int i, seen[2] = {0, 0};

	for (i = 0; i < ADMIN_MAX_CLIENTS && (i < n || !seen[0] || !seen[1]);
	     i++) {
		cl[i].fd = harness_connect(admin_h.port);
		admin_client_info(&cl[i]);
		ck_assert(cl[i].worker == 0 || cl[i].worker == 1);
		seen[cl[i].worker] = 1;
	}
	ck_assert_msg(seen[0] && seen[1], "%d clients all on one worker", i);
	return i;
}

/* Whether the daemon closed fd without sending anything. */
static void
admin_expect_closed(int fd)
{
	size_t len;
	int closed;
	char *got = harness_read_all(fd, HARNESS_TIMEOUT_MS, &len, &closed);

	ck_assert_msg(closed && len == 0, "not closed: \"%s\"", got);
	free(got);
}

START_TEST(test_admin_config_get)
{
	int fd = harness_connect(admin_h.port);
	char want[512];

	admin_call(fd, "CONFIG GET maxclients\r\n",
	    "*2\r\n$10\r\nmaxclients\r\n$2\r\n77\r\n");
	admin_call(fd, "CONFIG GET timeout\r\n",
	    "*2\r\n$7\r\ntimeout\r\n$2\r\n42\r\n");
	admin_call(fd, "config get save appendonly\r\n",
	    "*4\r\n$10\r\nappendonly\r\n$2\r\nno\r\n$4\r\nsave\r\n$0\r\n\r\n");
	/* Patterns are globs, case-insensitive; each setting comes once. */
	admin_call(fd, "CONFIG GET MAX* maxclients\r\n",
	    "*2\r\n$10\r\nmaxclients\r\n$2\r\n77\r\n");
	admin_call(fd, "CONFIG GET nosuch\r\n", "*0\r\n");
	snprintf(want, sizeof(want),
	    "*14\r\n$10\r\nappendonly\r\n$2\r\nno\r\n$9\r\ndatabases\r\n$1\r\n1"
	    "\r\n$10\r\nmaxclients\r\n$2\r\n77\r\n$4\r\nport\r\n$%zu\r\n%d\r\n"
	    "$18\r\nproto-max-bulk-len\r\n$7\r\n1048576\r\n$4\r\nsave\r\n$0"
	    "\r\n\r\n$7\r\ntimeout\r\n$2\r\n42\r\n",
	    (size_t)snprintf(NULL, 0, "%d", admin_h.port), admin_h.port);
	admin_call(fd, "CONFIG GET *\r\n", want);
	/* RESP3: a map, as Redis 7. */
	harness_sends(fd, "HELLO 3\r\n");
	free(admin_call_until(fd, "PING\r\n", "+PONG\r\n"));
	admin_call(fd, "CONFIG GET maxclients\r\n",
	    "%1\r\n$10\r\nmaxclients\r\n$2\r\n77\r\n");
	close(fd);
}
END_TEST

START_TEST(test_admin_config_is_read_only)
{
	int fd = harness_connect(admin_h.port);
	char *help;

	admin_call(fd, "CONFIG SET maxclients 1\r\n",
	    "-ERR CONFIG SET is not supported: duetd reads its settings from "
	    "its YAML file; edit it and reload duetd (SIGHUP)\r\n");
	admin_call(fd, "CONFIG RESETSTAT\r\n",
	    "-ERR CONFIG RESETSTAT is not supported: duetd's counters only go "
	    "up while it runs\r\n");
	admin_call(fd, "CONFIG REWRITE\r\n",
	    "-ERR CONFIG REWRITE is not supported: duetd never writes its "
	    "configuration file\r\n");
	admin_call(fd, "CONFIG GET\r\n",
	    "-ERR wrong number of arguments for 'config|get' command\r\n");
	admin_call(fd, "CONFIG\r\n",
	    "-ERR wrong number of arguments for 'config' command\r\n");
	admin_call(fd, "CONFIG FOO\r\n",
	    "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n");
	help = admin_call_until(
	    fd, "CONFIG HELP\r\n", "+    Print this help.\r\n");
	ck_assert_str_eq(help,
	    "*8\r\n"
	    "+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands "
	    "are:\r\n"
	    "+GET <pattern> [<pattern> ...]\r\n"
	    "+    Return parameters matching the glob-like <pattern> and their "
	    "values.\r\n"
	    "+SET, RESETSTAT, REWRITE\r\n"
	    "+    Refused: the YAML file is duetd's configuration; edit it "
	    "and\r\n"
	    "+    reload duetd (SIGHUP).\r\n"
	    "+HELP\r\n"
	    "+    Print this help.\r\n");
	free(help);
	admin_call(fd, "CONFIG GET maxclients\r\n",
	    "*2\r\n$10\r\nmaxclients\r\n$2\r\n77\r\n");
	close(fd);
}
END_TEST

/* redis-benchmark reads save and appendonly, and warns when it cannot. */
START_TEST(test_admin_redis_benchmark_fetches_config)
{
	struct harness_out o;
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
	    "redis-benchmark -h 127.0.0.1 -p %d -t set,get -n 200 -q",
	    admin_h.port);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_int_eq(o.status, 0);
	ck_assert_msg(strstr(o.out, "GET: ") != NULL, "%s", o.out);
	ck_assert_msg(strstr(o.out, "Could not fetch") == NULL &&
	        strstr(o.err, "Could not fetch") == NULL &&
	        strstr(o.out, "WARNING") == NULL &&
	        strstr(o.err, "WARNING") == NULL,
	    "redis-benchmark warned:\n%s%s", o.out, o.err);
	harness_out_free(&o);
}
END_TEST

static int
admin_all_digits(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return 0;
	}
	return 1;
}

START_TEST(test_admin_time)
{
	redisContext *c = redisConnect("127.0.0.1", admin_h.port);
	struct harness_http hr;
	struct harness_out o;
	time_t before = time(NULL), sec;
	char cmd[256], *end;
	redisReply *r;
	int fd;

	ck_assert(c != NULL && c->err == 0);
	r = redisCommand(c, "TIME");
	ck_assert(r != NULL && r->type == REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_int_eq(r->element[0]->type, REDIS_REPLY_STRING);
	ck_assert_int_eq(r->element[1]->type, REDIS_REPLY_STRING);
	ck_assert(admin_all_digits(r->element[0]->str));
	ck_assert(admin_all_digits(r->element[1]->str));
	sec = (time_t)strtoll(r->element[0]->str, &end, 10);
	ck_assert(sec >= before && sec <= time(NULL));
	ck_assert_int_lt(strtol(r->element[1]->str, &end, 10), 1000000);
	freeReplyObject(r);
	redisFree(c);

	fd = harness_connect(admin_h.port);
	admin_call(fd, "TIME now\r\n",
	    "-ERR wrong number of arguments for 'time' command\r\n");
	close(fd);

	/* READONLY, so a GET over HTTP. */
	snprintf(cmd, sizeof(cmd),
	    "curl -sS -i --max-time 10 http://127.0.0.1:%d/time", admin_h.port);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_int_eq(o.status, 0);
	ck_assert_uint_eq(
	    harness_http_parse(&hr, o.out, o.outlen, 0), o.outlen);
	ck_assert_str_eq(hr.line, "HTTP/1.1 200 OK");
	ck_assert_msg(hr.body[0] == '[' && hr.body[1] == '"' &&
	        strstr(hr.body, "\",\"") != NULL &&
	        hr.body[hr.bodylen - 1] == ']',
	    "GET /time: %s", hr.body);
	harness_http_free(&hr);
	harness_out_free(&o);
}
END_TEST

/* One plugin's entry of MODULE LIST (RESP2, or RESP3 when map is '%'). */
static int
admin_module_entry(char *buf, size_t len, char map, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.so", harness_env("DUET_PLUGIN_DIR"),
	    name);
	return snprintf(buf, len,
	    "%c%d\r\n$4\r\nname\r\n$%zu\r\n%s\r\n$3\r\nver\r\n:10000\r\n"
	    "$4\r\npath\r\n$%zu\r\n%s\r\n$4\r\nargs\r\n*0\r\n",
	    map, map == '%' ? 4 : 8, strlen(name), name, strlen(path), path);
}

START_TEST(test_admin_module_list)
{
	int fd = harness_connect(admin_h.port);
	char want[4096];
	int n;

	n = snprintf(want, sizeof(want), "*2\r\n");
	n +=
	    admin_module_entry(want + n, sizeof(want) - (size_t)n, '*', "math");
	admin_module_entry(want + n, sizeof(want) - (size_t)n, '*', "kv");
	admin_call(fd, "MODULE LIST\r\n", want);
	admin_call(fd, "MODULE LIST x\r\n",
	    "-ERR wrong number of arguments for 'module|list' command\r\n");
	admin_call(fd, "MODULE LOAD /tmp/x.so\r\n",
	    "-ERR MODULE LOAD is not supported: plugins come from the "
	    "configuration (plugin_dir and plugins); edit it and reload duetd "
	    "(SIGHUP)\r\n");
	admin_call(fd, "module unload kv\r\n",
	    "-ERR MODULE UNLOAD is not supported: plugins come from the "
	    "configuration (plugin_dir and plugins); edit it and reload duetd "
	    "(SIGHUP)\r\n");
	admin_call(fd, "MODULE FOO\r\n",
	    "-ERR unknown subcommand 'FOO'. Try MODULE HELP.\r\n");
	free(admin_call_until(fd, "HELLO 3\r\nPING\r\n", "+PONG\r\n"));
	n = snprintf(want, sizeof(want), "*2\r\n");
	n +=
	    admin_module_entry(want + n, sizeof(want) - (size_t)n, '%', "math");
	admin_module_entry(want + n, sizeof(want) - (size_t)n, '%', "kv");
	admin_call(fd, "MODULE LIST\r\n", want);
	close(fd);
}
END_TEST

/* HELLO's "modules" is MODULE LIST's array, as in Redis 7. */
START_TEST(test_admin_hello_lists_modules)
{
	int fd = harness_connect(admin_h.port);
	char want[4096], *got;
	int n;

	n = snprintf(want, sizeof(want), "$7\r\nmodules\r\n*2\r\n");
	n +=
	    admin_module_entry(want + n, sizeof(want) - (size_t)n, '%', "math");
	admin_module_entry(want + n, sizeof(want) - (size_t)n, '%', "kv");
	got = admin_call_until(fd, "HELLO 3\r\nPING\r\n", "+PONG\r\n");
	ck_assert_msg(strstr(got, want) != NULL, "HELLO 3: \"%s\"\nwant \"%s\"",
	    got, want);
	free(got);
	close(fd);
}
END_TEST

/* One plugin's line of INFO modules. */
static int
admin_info_line(char *buf, size_t len, const char *name)
{
	return snprintf(buf, len,
	    "module:name=%s,ver=10000,api=1,filters=0,usedby=[],using=[],"
	    "options=[],path=%s/%s.so\r\n",
	    name, harness_env("DUET_PLUGIN_DIR"), name);
}

START_TEST(test_admin_info_modules)
{
	int fd = harness_connect(admin_h.port);
	char body[2048], want[2200], *got;
	int n;

	n = snprintf(body, sizeof(body), "# Modules\r\n");
	n += admin_info_line(body + n, sizeof(body) - (size_t)n, "math");
	n += admin_info_line(body + n, sizeof(body) - (size_t)n, "kv");
	snprintf(want, sizeof(want), "$%d\r\n%s\r\n", n, body);
	admin_call(fd, "INFO modules\r\n", want);
	/* Part of the default sections, as in Redis. */
	got = admin_call_until(fd, "INFO\r\nPING\r\n", "+PONG\r\n");
	ck_assert_msg(strstr(got, body) != NULL, "INFO: \"%s\"", got);
	free(got);
	close(fd);
}
END_TEST

/* The GNU build-id of a file, as readelf shows it. */
static void
admin_build_id(const char *path, char *hex, size_t len)
{
	struct harness_out o;
	char cmd[PATH_MAX + 64];
	const char *p;

	snprintf(cmd, sizeof(cmd), "readelf -n '%s'", path);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_int_eq(o.status, 0);
	p = strstr(o.out, "Build ID: ");
	ck_assert_msg(p != NULL, "no build-id in %s:\n%s", path, o.out);
	p += 10;
	snprintf(hex, len, "%.*s", (int)strspn(p, "0123456789abcdef"), p);
	harness_out_free(&o);
}

/*
 * Checks the n-th "loaded_at" of body (from 0): an RFC 3339 UTC time
 * between the daemon's start and now; copies it to out.
 */
static void
admin_loaded_at(const char *body, int n, char *out, size_t len)
{
	const char *p = body;
	struct tm tm;
	time_t t;

	do {
		p = strstr(p, "\"loaded_at\":\"");
		ck_assert_ptr_nonnull(p);
		p += 13;
	} while (n-- > 0);
	memset(&tm, 0, sizeof(tm));
	ck_assert_msg(strptime(p, "%Y-%m-%dT%H:%M:%SZ\"", &tm) == p + 21,
	    "loaded_at: %.30s", p);
	t = timegm(&tm);
	ck_assert(t >= admin_started && t <= time(NULL));
	snprintf(out, len, "%.20s", p);
}

START_TEST(test_admin_get_plugins)
{
	const char *pd = harness_env("DUET_PLUGIN_DIR");
	char path[2][PATH_MAX], id[2][200], at[2][32], want[3 * PATH_MAX];
	struct harness_http hr;
	struct harness_out o;
	char cmd[256];

	snprintf(path[0], sizeof(path[0]), "%s/math.so", pd);
	snprintf(path[1], sizeof(path[1]), "%s/kv.so", pd);
	admin_build_id(path[0], id[0], sizeof(id[0]));
	admin_build_id(path[1], id[1], sizeof(id[1]));
	snprintf(cmd, sizeof(cmd),
	    "curl -sS -i --max-time 10 http://127.0.0.1:%d/plugins",
	    admin_h.port);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_int_eq(o.status, 0);
	ck_assert_uint_eq(
	    harness_http_parse(&hr, o.out, o.outlen, 0), o.outlen);
	ck_assert_str_eq(hr.line, "HTTP/1.1 200 OK");
	ck_assert_str_eq(
	    harness_http_header(&hr, "Content-Type"), "application/json");
	admin_loaded_at(hr.body, 0, at[0], sizeof(at[0]));
	admin_loaded_at(hr.body, 1, at[1], sizeof(at[1]));
	snprintf(want, sizeof(want),
	    "[{\"name\":\"math\",\"version\":\"1.0.0\",\"path\":\"%s\","
	    "\"build_id\":\"%s\",\"commands\":[\"add\",\"sum\"],"
	    "\"loaded_at\":\"%s\"},"
	    "{\"name\":\"kv\",\"version\":\"1.0.0\",\"path\":\"%s\","
	    "\"build_id\":\"%s\",\"commands\":[\"set\",\"get\",\"del\","
	    "\"incr\",\"exists\"],\"loaded_at\":\"%s\"}]",
	    path[0], id[0], at[0], path[1], id[1], at[1]);
	ck_assert_str_eq(hr.body, want);
	harness_http_free(&hr);
	harness_out_free(&o);
}
END_TEST

/* Copies a built test plugin to dir/swap.so: a new file, then rename. */
static void
admin_install_swap(const char *dir, const char *file)
{
	char from[PATH_MAX], tmp[PATH_MAX], to[PATH_MAX];
	size_t len;
	char *data;
	FILE *f;

	snprintf(from, sizeof(from), "%s/%s",
	    harness_env("DUET_TEST_PLUGIN_DIR"), file);
	snprintf(tmp, sizeof(tmp), "%s/swap.so.tmp", dir);
	snprintf(to, sizeof(to), "%s/swap.so", dir);
	data = harness_read_file(from, &len);
	ck_assert_ptr_nonnull(f = fopen(tmp, "wb"));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(rename(tmp, to), 0);
	free(data);
}

/* GET /plugins's body from the daemon h. */
static char *
admin_get_plugins(const struct harness *h)
{
	struct harness_http hr;
	struct harness_out o;
	char cmd[256], *body;

	snprintf(cmd, sizeof(cmd),
	    "curl -sS -i --max-time 10 http://127.0.0.1:%d/plugins", h->port);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_int_eq(o.status, 0);
	ck_assert_uint_eq(
	    harness_http_parse(&hr, o.out, o.outlen, 0), o.outlen);
	ck_assert_str_eq(hr.line, "HTTP/1.1 200 OK");
	body = strdup(hr.body);
	harness_http_free(&hr);
	harness_out_free(&o);
	return body;
}

/*
 * After a reload that replaced the file, MODULE LIST and GET /plugins
 * describe the new object: its version, its build-id (read from the
 * loaded image, not the path) and the new generation's load time.
 */
START_TEST(test_admin_plugins_after_reload)
{
	char dir[64], want[PATH_MAX + 512], id[2][200], path[PATH_MAX], *body;
	struct harness h;
	int fd;

	harness_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/swap_a.so",
	    harness_env("DUET_TEST_PLUGIN_DIR"));
	admin_build_id(path, id[0], sizeof(id[0]));
	snprintf(path, sizeof(path), "%s/swap_b.so",
	    harness_env("DUET_TEST_PLUGIN_DIR"));
	admin_build_id(path, id[1], sizeof(id[1]));
	ck_assert_str_ne(id[0], id[1]);
	admin_install_swap(dir, "swap_a.so");
	harness_start(&h, dir, NULL);
	snprintf(path, sizeof(path), "%s/swap.so", dir);
	snprintf(want, sizeof(want),
	    "[{\"name\":\"swap\",\"version\":\"1.0.0\",\"path\":\"%s\","
	    "\"build_id\":\"%s\",",
	    path, id[0]);
	body = admin_get_plugins(&h);
	ck_assert_msg(strncmp(body, want, strlen(want)) == 0, "%s", body);
	free(body);
	admin_install_swap(dir, "swap_b.so");
	kill(h.pid, SIGHUP);
	harness_wait_log(&h, "reloaded: registry generation 2");
	snprintf(want, sizeof(want),
	    "[{\"name\":\"swap\",\"version\":\"2.0.0\",\"path\":\"%s\","
	    "\"build_id\":\"%s\",",
	    path, id[1]);
	body = admin_get_plugins(&h);
	ck_assert_msg(strncmp(body, want, strlen(want)) == 0, "%s", body);
	free(body);
	fd = harness_connect(h.port);
	snprintf(want, sizeof(want),
	    "*1\r\n*8\r\n$4\r\nname\r\n$4\r\nswap\r\n$3\r\nver\r\n:20000\r\n"
	    "$4\r\npath\r\n$%zu\r\n%s\r\n$4\r\nargs\r\n*0\r\n",
	    strlen(path), path);
	admin_call(fd, "MODULE LIST\r\n", want);
	close(fd);
	harness_stop(&h);
	harness_rmdir(dir);
}
END_TEST

START_TEST(test_admin_client_and_command_help)
{
	int fd = harness_connect(admin_h.port);
	static const char head[] =
	    "*36\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. "
	    "Subcommands are:\r\n+ENCODING (NATIVE|MSGPACK|JSON)\r\n";
	char *got;

	got = admin_call_until(
	    fd, "CLIENT HELP\r\n", "+    Print this help.\r\n");
	ck_assert_msg(strncmp(got, head, sizeof(head) - 1) == 0 &&
	        strstr(got, "\r\n+KILL <ip:port>\r\n") != NULL &&
	        strstr(got, "\r\n+LIST [options ...]\r\n") != NULL &&
	        strstr(got, "\r\n+SETNAME <name>\r\n") != NULL,
	    "CLIENT HELP: \"%s\"", got);
	free(got);
	got = admin_call_until(
	    fd, "COMMAND HELP\r\n", "+    Print this help.\r\n");
	ck_assert_str_eq(got,
	    "*17\r\n"
	    "+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands "
	    "are:\r\n"
	    "+(no subcommand)\r\n"
	    "+    Return details about all commands.\r\n"
	    "+COUNT\r\n"
	    "+    Return the total number of commands in this server.\r\n"
	    "+LIST\r\n"
	    "+    Return a list of all commands in this server.\r\n"
	    "+INFO [<command-name> ...]\r\n"
	    "+    Return details about multiple commands.\r\n"
	    "+    If no command names are given, documentation details for "
	    "all\r\n"
	    "+    commands are returned.\r\n"
	    "+DOCS [<command-name> ...]\r\n"
	    "+    Return documentation details about multiple commands.\r\n"
	    "+    If no command names are given, documentation details for "
	    "all\r\n"
	    "+    commands are returned.\r\n"
	    "+HELP\r\n"
	    "+    Print this help.\r\n");
	free(got);
	admin_call(fd, "CLIENT HELP x\r\n",
	    "-ERR unknown subcommand 'HELP'. Try CLIENT HELP.\r\n");
	close(fd);
}
END_TEST

/* Redis 7's CLIENT LIST fields in order, then duetd's. */
static const char *const admin_fields[] = {"id", "addr", "laddr", "fd", "name",
    "age", "idle", "flags", "db", "sub", "psub", "ssub", "multi", "qbuf",
    "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem",
    "tot-mem", "events", "cmd", "user", "redir", "resp", "cmds", "encoding",
    "proto", "worker", NULL};

/* Checks one CLIENT LIST line's field names, in order. */
static void
admin_check_fields(const char *line, size_t len)
{
	const char *p = line, *end = line + len, *eq;
	size_t i;

	for (i = 0; admin_fields[i] != NULL; i++) {
		eq = memchr(p, '=', (size_t)(end - p));
		ck_assert_msg(eq != NULL &&
		        (size_t)(eq - p) == strlen(admin_fields[i]) &&
		        memcmp(p, admin_fields[i], (size_t)(eq - p)) == 0,
		    "field %zu is not %s: %.*s", i, admin_fields[i], (int)len,
		    line);
		p = memchr(eq, ' ', (size_t)(end - eq));
		p = p != NULL ? p + 1 : end;
	}
	ck_assert_msg(p == end, "extra fields: %.*s", (int)len, line);
}

START_TEST(test_admin_client_list_every_worker)
{
	struct admin_client cl[ADMIN_MAX_CLIENTS];
	char req[64], want[64], *list = NULL, *line, *nl;
	int i, n, idle, tries, nlines = 0;
	uint64_t last = 0, id;

	n = admin_clients(cl, 6);
	for (i = 0; i < n; i++) {
		snprintf(req, sizeof(req), "CLIENT SETNAME c%d\r\n", i);
		admin_call(cl[i].fd, req, "+OK\r\n");
	}
	/* A client that has sent nothing is listed too. */
	idle = harness_connect(admin_h.port);
	/* Until a worker has accepted it (connect returns before). */
	for (tries = 0; nlines != n + 1 && tries < 1000; tries++) {
		free(list);
		list = admin_call_until(cl[0].fd, "CLIENT LIST\r\n", "\n\r\n");
		ck_assert_msg(list[0] == '$', "CLIENT LIST: \"%s\"", list);
		line = strstr(list, "\r\n") + 2;
		for (nlines = 0, last = 0;
		     (nl = strchr(line, '\n')) != NULL && nl[-1] != '\r';
		     line = nl + 1) {
			admin_check_fields(line, (size_t)(nl - line));
			ck_assert(
			    sscanf(line, "id=%" SCNu64, &id) == 1 && id > last);
			last = id;
			nlines++;
		}
	}
	ck_assert_int_eq(nlines, n + 1);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "id=%" PRIu64 " addr=%s ",
		    cl[i].id, cl[i].addr);
		line = strstr(list, want);
		ck_assert_msg(line != NULL, "no %s in %s", want, list);
		nl = strchr(line, '\n');
		snprintf(want, sizeof(want), " name=c%d ", i);
		ck_assert(
		    memmem(line, (size_t)(nl - line), want, strlen(want)));
		snprintf(want, sizeof(want), " worker=%d", cl[i].worker);
		ck_assert(
		    memmem(line, (size_t)(nl - line), want, strlen(want)));
		ck_assert(memmem(line, (size_t)(nl - line), " flags=N ", 9));
		ck_assert(
		    memmem(line, (size_t)(nl - line), " cmd=client ", 12));
	}
	ck_assert_ptr_nonnull(strstr(list, " cmd=NULL "));
	free(list);
	close(idle);
	for (i = 0; i < n; i++)
		close(cl[i].fd);
}
END_TEST

START_TEST(test_admin_client_list_filters)
{
	struct admin_client cl[ADMIN_MAX_CLIENTS];
	char req[128], *list;
	int i, n;

	n = admin_clients(cl, 2);
	snprintf(req, sizeof(req), "CLIENT LIST ID %" PRIu64 " %" PRIu64 "\r\n",
	    cl[n - 1].id, cl[0].id);
	list = admin_call_until(cl[0].fd, req, "\n\r\n");
	ck_assert_msg(
	    strncmp(list + strcspn(list, "\n") + 1, "id=", 3) == 0, "%s", list);
	snprintf(req, sizeof(req), "\nid=%" PRIu64 " ", cl[0].id);
	ck_assert_ptr_nonnull(strstr(list, req));
	snprintf(req, sizeof(req), "\nid=%" PRIu64 " ", cl[n - 1].id);
	ck_assert_ptr_nonnull(strstr(list, req));
	ck_assert_int_eq(
	    (int)(strchr(strchr(strchr(list, '\n') + 1, '\n') + 1, '\n') -
	        list) +
	        3,
	    (int)strlen(list));
	free(list);
	admin_call(cl[0].fd, "CLIENT LIST TYPE pubsub\r\n", "$0\r\n\r\n");
	admin_call(cl[0].fd, "CLIENT LIST TYPE bogus\r\n",
	    "-ERR Unknown client type 'bogus'\r\n");
	admin_call(
	    cl[0].fd, "CLIENT LIST ID x\r\n", "-ERR Invalid client ID\r\n");
	admin_call(cl[0].fd, "CLIENT LIST FOO\r\n", "-ERR syntax error\r\n");
	list =
	    admin_call_until(cl[0].fd, "CLIENT LIST TYPE normal\r\n", "\n\r\n");
	snprintf(req, sizeof(req), "\nid=%" PRIu64 " ", cl[n - 1].id);
	ck_assert_ptr_nonnull(strstr(list, req));
	free(list);
	for (i = 0; i < n; i++)
		close(cl[i].fd);
}
END_TEST

START_TEST(test_admin_client_kill_other_worker)
{
	struct admin_client cl[ADMIN_MAX_CLIENTS];
	int i, n, other[3] = {-1, -1, -1}, nother = 0, left;
	char req[128];

	n = admin_clients(cl, 8);
	/* cl[0] kills; pick victims on the other worker. */
	for (i = 1; i < n && nother < 3; i++) {
		if (cl[i].worker != cl[0].worker)
			other[nother++] = i;
	}
	ck_assert_int_ge(nother, 1);
	snprintf(req, sizeof(req), "CLIENT KILL ID %" PRIu64 "\r\n",
	    cl[other[0]].id);
	admin_call(cl[0].fd, req, ":1\r\n");
	admin_expect_closed(cl[other[0]].fd);
	admin_call(cl[0].fd, req, ":0\r\n");
	left = n - 2;
	if (nother > 1) {
		snprintf(req, sizeof(req), "CLIENT KILL ADDR %s\r\n",
		    cl[other[1]].addr);
		admin_call(cl[0].fd, req, ":1\r\n");
		admin_expect_closed(cl[other[1]].fd);
		left--;
	}
	if (nother > 2) {
		/* The old form answers +OK or an error. */
		snprintf(
		    req, sizeof(req), "CLIENT KILL %s\r\n", cl[other[2]].addr);
		admin_call(cl[0].fd, req, "+OK\r\n");
		admin_expect_closed(cl[other[2]].fd);
		admin_call(cl[0].fd, req, "-ERR No such client\r\n");
		left--;
	}
	/* Everyone else on this listener, but not the caller (SKIPME). */
	snprintf(req, sizeof(req), "CLIENT KILL LADDR 127.0.0.1:%d\r\n",
	    admin_h.port);
	snprintf(req + 64, 64, ":%d\r\n", left);
	admin_call(cl[0].fd, req, req + 64);
	for (i = 1; i < n; i++)
		admin_expect_closed(cl[i].fd);
	admin_call(cl[0].fd, "PING\r\n", "+PONG\r\n");
	for (i = 0; i < n; i++)
		close(cl[i].fd);
}
END_TEST

START_TEST(test_admin_client_kill_self)
{
	struct admin_client a = {0}, b = {0};
	char req[128];

	a.fd = harness_connect(admin_h.port);
	b.fd = harness_connect(admin_h.port);
	admin_client_info(&a);
	admin_client_info(&b);
	snprintf(req, sizeof(req), "CLIENT KILL ID %" PRIu64 "\r\n", a.id);
	admin_call(a.fd, req, ":0\r\n");
	snprintf(
	    req, sizeof(req), "CLIENT KILL ID %" PRIu64 " SKIPME no\r\n", a.id);
	harness_sends(a.fd, req);
	harness_expect_close(a.fd, ":1\r\n");
	/* The old form may kill the caller: the reply comes first. */
	snprintf(req, sizeof(req), "CLIENT KILL %s\r\n", b.addr);
	harness_sends(b.fd, req);
	harness_expect_close(b.fd, "+OK\r\n");
	close(a.fd);
	close(b.fd);
}
END_TEST

START_TEST(test_admin_client_kill_errors)
{
	int fd = harness_connect(admin_h.port);

	admin_call(fd, "CLIENT KILL\r\n",
	    "-ERR wrong number of arguments for 'client|kill' command\r\n");
	admin_call(fd, "CLIENT KILL ID 0\r\n",
	    "-ERR client-id should be greater than 0\r\n");
	admin_call(fd, "CLIENT KILL ID abc\r\n",
	    "-ERR client-id should be greater than 0\r\n");
	admin_call(fd, "CLIENT KILL FOO bar\r\n", "-ERR syntax error\r\n");
	admin_call(fd, "CLIENT KILL ID 1 ADDR\r\n", "-ERR syntax error\r\n");
	admin_call(fd, "CLIENT KILL SKIPME maybe\r\n", "-ERR syntax error\r\n");
	admin_call(fd, "CLIENT KILL TYPE bogus\r\n",
	    "-ERR Unknown client type 'bogus'\r\n");
	admin_call(fd, "CLIENT KILL TYPE master\r\n", ":0\r\n");
	admin_call(fd, "CLIENT KILL 10.9.9.9:1\r\n", "-ERR No such client\r\n");
	admin_call(fd, "PING\r\n", "+PONG\r\n");
	close(fd);
}
END_TEST

#define ADMIN_THREADS 4

struct admin_worker {
	pthread_t thread;
	int port;
	int stop;
	int calls;
};

/* A client that reconnects whenever it is killed, and calls meanwhile. */
static void *
admin_busy_client(void *arg)
{
	struct admin_worker *aw = arg;
	redisContext *c = NULL;
	redisReply *r;

	while (!__atomic_load_n(&aw->stop, __ATOMIC_RELAXED)) {
		if (c == NULL &&
		    (c = redisConnect("127.0.0.1", aw->port)) == NULL)
			break;
		r = redisCommand(c, "incr busy");
		if (r == NULL) {
			redisFree(c);
			c = NULL;
			continue;
		}
		aw->calls++;
		freeReplyObject(r);
	}
	redisFree(c);
	return NULL;
}

/*
 * Kills and lists while clients on both workers call and reconnect: no
 * crash, and (under ThreadSanitizer) no race.
 */
START_TEST(test_admin_client_kill_while_busy)
{
	struct admin_worker aw[ADMIN_THREADS];
	char req[64], *got;
	size_t len;
	int i, fd = harness_connect(admin_h.port);

	for (i = 0; i < ADMIN_THREADS; i++) {
		memset(&aw[i], 0, sizeof(aw[i]));
		aw[i].port = admin_h.port;
		ck_assert_int_eq(pthread_create(&aw[i].thread, NULL,
		                     admin_busy_client, &aw[i]),
		    0);
	}
	snprintf(req, sizeof(req), "CLIENT KILL LADDR 127.0.0.1:%d\r\n",
	    admin_h.port);
	for (i = 0; i < 50; i++) {
		harness_sends(fd, req);
		got = harness_read_until(fd, "\r\n", &len);
		ck_assert_msg(got[0] == ':', "CLIENT KILL: \"%s\"", got);
		free(got);
		free(admin_call_until(fd, "CLIENT LIST\r\n", "\n\r\n"));
	}
	for (i = 0; i < ADMIN_THREADS; i++) {
		__atomic_store_n(&aw[i].stop, 1, __ATOMIC_RELAXED);
		ck_assert_int_eq(pthread_join(aw[i].thread, NULL), 0);
	}
	admin_call(fd, "PING\r\n", "+PONG\r\n");
	close(fd);
}
END_TEST

/* The new built-ins, as COMMAND INFO describes them (arity as Redis's). */
START_TEST(test_admin_commands_described)
{
	static const struct {
		const char *name;
		long long arity;
		const char *flag;
	} want[] = {{"time", 1, "readonly"}, {"config", -2, "write"},
	    {"module", -2, "write"}, {"client", -2, "write"}};
	redisContext *c = redisConnect("127.0.0.1", admin_h.port);
	redisReply *r, *e;
	size_t i;

	ck_assert(c != NULL && c->err == 0);
	r = redisCommand(c, "COMMAND INFO time config module client");
	ck_assert(r != NULL && r->type == REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 4);
	for (i = 0; i < 4; i++) {
		e = r->element[i];
		ck_assert(e->type == REDIS_REPLY_ARRAY && e->elements >= 3);
		ck_assert_str_eq(e->element[0]->str, want[i].name);
		ck_assert_int_eq(e->element[1]->integer, want[i].arity);
		ck_assert_str_eq(e->element[2]->element[0]->str, want[i].flag);
	}
	freeReplyObject(r);
	r = redisCommand(c, "COMMAND DOCS time config module");
	ck_assert(r != NULL && r->type == REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 6);
	freeReplyObject(r);
	redisFree(c);
}
END_TEST

/* A plugin may not declare a built-in's name. */
START_TEST(test_admin_names_are_reserved)
{
	char dir[64], file[PATH_MAX], text[1024], cmd[PATH_MAX + 32];
	struct harness_out o;

	harness_tmpdir(dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/reserved.yaml", dir);
	snprintf(text, sizeof(text),
	    "plugin_dir: %s\nplugins:\n  - path: %s/reserved.so\n", dir,
	    harness_env("DUET_TEST_PLUGIN_DIR"));
	harness_write_file(file, text);
	snprintf(cmd, sizeof(cmd), "\"$DUETD\" -t -c '%s'", file);
	harness_run(&o, cmd, NULL, 0);
	ck_assert_int_eq(o.status, 1);
	ck_assert_msg(
	    strstr(o.err, ":3:5: ") != NULL && strstr(o.err, "'time'") != NULL,
	    "stderr:\n%s", o.err);
	harness_out_free(&o);
	harness_rmdir(dir);
}
END_TEST

static Suite *
admin_suite(void)
{
	Suite *s = suite_create("admin");
	TCase *tc;

	tc = tcase_create("config");
	tcase_add_checked_fixture(tc, admin_setup, admin_teardown);
	tcase_add_test(tc, test_admin_config_get);
	tcase_add_test(tc, test_admin_config_is_read_only);
	tcase_add_test(tc, test_admin_redis_benchmark_fetches_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_add_checked_fixture(tc, admin_setup, admin_teardown);
	tcase_add_test(tc, test_admin_time);
	suite_add_tcase(s, tc);

	tc = tcase_create("module");
	tcase_add_checked_fixture(tc, admin_setup, admin_teardown);
	tcase_add_test(tc, test_admin_module_list);
	tcase_add_test(tc, test_admin_hello_lists_modules);
	tcase_add_test(tc, test_admin_info_modules);
	tcase_add_test(tc, test_admin_get_plugins);
	suite_add_tcase(s, tc);

	tc = tcase_create("module_reload");
	tcase_add_test(tc, test_admin_plugins_after_reload);
	suite_add_tcase(s, tc);

	tc = tcase_create("help");
	tcase_add_checked_fixture(tc, admin_setup, admin_teardown);
	tcase_add_test(tc, test_admin_client_and_command_help);
	tcase_add_test(tc, test_admin_commands_described);
	tcase_add_test(tc, test_admin_names_are_reserved);
	suite_add_tcase(s, tc);

	tc = tcase_create("client_list");
	tcase_add_checked_fixture(tc, admin_setup, admin_teardown);
	tcase_add_test(tc, test_admin_client_list_every_worker);
	tcase_add_test(tc, test_admin_client_list_filters);
	suite_add_tcase(s, tc);

	tc = tcase_create("client_kill");
	tcase_add_checked_fixture(tc, admin_setup, admin_teardown);
	tcase_add_test(tc, test_admin_client_kill_other_worker);
	tcase_add_test(tc, test_admin_client_kill_self);
	tcase_add_test(tc, test_admin_client_kill_errors);
	tcase_add_test(tc, test_admin_client_kill_while_busy);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(admin_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
