/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of duetd's command line: -V, -h, and -t on the shipped
 * config, on broken configs (every error names file:line:column), on each
 * test-only plugin that must be refused at load, on plugin files loaded
 * twice or clashing, and on listen addresses that are taken (-t binds
 * each one, as a start does); the long options; the time at the start of
 * log lines (log.timestamps, $JOURNAL_STREAM).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <inttypes.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <duet/plugin.h>

#include "harness.h"

/* Runs duetd with args (shell words) and captures what it says. */
static void
cli_run(struct harness_out *o, const char *args)
{
	char cmd[PATH_MAX * 2];

	harness_env("DUETD");
	snprintf(cmd, sizeof(cmd), "\"$DUETD\" %s", args);
	harness_run(o, cmd, NULL, 0);
}

/*
 * Copies yaml into text with @PD@ replaced by DUET_PLUGIN_DIR and @TPD@ by
 * DUET_TEST_PLUGIN_DIR.
 */
static void
cli_expand(char *text, size_t size, const char *yaml)
{
	const char *pd = harness_env("DUET_PLUGIN_DIR");
	const char *tpd = harness_env("DUET_TEST_PLUGIN_DIR");
	size_t n = 0;

	while (*yaml != '\0') {
		const char *add = yaml;
		size_t skip = 1, len = 1;

		if (strncmp(yaml, "@PD@", 4) == 0) {
			add = pd;
			skip = 4;
			len = strlen(pd);
		} else if (strncmp(yaml, "@TPD@", 5) == 0) {
			add = tpd;
			skip = 5;
			len = strlen(tpd);
		}
		ck_assert_uint_lt(n + len, size);
		memcpy(text + n, add, len);
		n += len;
		yaml += skip;
	}
	text[n] = '\0';
}

/*
 * Writes yaml (see cli_expand()) to a fresh folder, runs
 * duetd -t on it, and checks that it fails with exit status 1 and a stderr
 * line starting "FILE:pos: " that also contains each of want (NULL ends).
 */
static void
cli_expect_error(const char *yaml, const char *pos, const char *const *want)
{
	char dir[64], file[PATH_MAX], text[4096], args[PATH_MAX + 16];
	char prefix[PATH_MAX + 64], *line, *end;
	struct harness_out o;

	harness_tmpdir(dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/bad.yaml", dir);
	cli_expand(text, sizeof(text), yaml);
	harness_write_file(file, text);
	snprintf(args, sizeof(args), "-t -c '%s'", file);
	cli_run(&o, args);
	ck_assert_msg(
	    o.status == 1, "exit status %d, stderr:\n%s", o.status, o.err);
	ck_assert_str_eq(o.out, "");
	snprintf(prefix, sizeof(prefix), "%s:%s: ", file, pos);
	line = strstr(o.err, prefix);
	ck_assert_msg(line != NULL, "no \"%s\" in stderr:\n%s", prefix, o.err);
	if ((end = strchr(line, '\n')) != NULL)
		*end = '\0';
	for (; *want != NULL; want++) {
		ck_assert_msg(strstr(line, *want) != NULL,
		    "no \"%s\" in error line:\n%s", *want, line);
	}
	harness_out_free(&o);
	harness_rmdir(dir);
}

START_TEST(test_cli_version)
{
	struct harness_out o;

	cli_run(&o, "-V");
	ck_assert_int_eq(o.status, 0);
	ck_assert_msg(strncmp(o.out, "duetd ", 6) == 0 && o.out[6] >= '0' &&
	        o.out[6] <= '9',
	    "-V printed \"%s\"", o.out);
	ck_assert_msg(o.outlen > 0 && o.out[o.outlen - 1] == '\n' &&
	        strchr(o.out, '\n') == o.out + o.outlen - 1,
	    "-V must print one line, printed \"%s\"", o.out);
	harness_out_free(&o);
}
END_TEST

START_TEST(test_cli_usage)
{
	struct harness_out o;
	const char *text;

	cli_run(&o, "-h");
	ck_assert_int_eq(o.status, 0);
	text = o.outlen > 0 ? o.out : o.err;
	ck_assert_msg(
	    strstr(text, "usage: duetd") != NULL, "-h printed \"%s\"", text);
	ck_assert_ptr_nonnull(strstr(text, "-c"));
	ck_assert_ptr_nonnull(strstr(text, "-t"));
	ck_assert_ptr_nonnull(strstr(text, "-V"));
	harness_out_free(&o);

	cli_run(&o, "-Z");
	ck_assert_msg(o.status != 0, "an unknown option must fail");
	ck_assert_ptr_nonnull(strstr(o.err, "usage: duetd"));
	harness_out_free(&o);
}
END_TEST

START_TEST(test_cli_check_shipped_config)
{
	char dir[64], file[PATH_MAX], args[PATH_MAX + 16], port[32];
	char *text, *at, *copy;
	struct harness_out o;
	size_t len;

	/* -t binds the listen address: the shipped one, 127.0.0.1:3838,
	 * may be in use on this machine (make run), so the copy checked
	 * here listens on a free port instead. */
	snprintf(file, sizeof(file), "%s/conf/duetd.yaml",
	    harness_env("DUET_SRCDIR"));
	text = harness_read_file(file, &len);
	ck_assert_ptr_nonnull(at = strstr(text, "  - 127.0.0.1:3838\n"));
	snprintf(port, sizeof(port), "%d", harness_pick_port());
	ck_assert_ptr_nonnull(copy = malloc(len + 32));
	snprintf(copy, len + 32, "%.*s  - 127.0.0.1:%s\n%s", (int)(at - text),
	    text, port, at + strlen("  - 127.0.0.1:3838\n"));
	harness_tmpdir(dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/duetd.yaml", dir);
	harness_write_file(file, copy);
	snprintf(args, sizeof(args), "-t -c '%s'", file);
	cli_run(&o, args);
	ck_assert_msg(
	    o.status == 0, "exit status %d, stderr:\n%s", o.status, o.err);
	ck_assert_str_eq(o.out, "configuration ok\n");
	harness_out_free(&o);
	harness_rmdir(dir);
	free(copy);
	free(text);
}
END_TEST

START_TEST(test_cli_check_all_plugins)
{
	char dir[64], file[PATH_MAX], text[4096], args[PATH_MAX + 16];
	const char *pd = harness_env("DUET_PLUGIN_DIR");
	const char *ex = harness_env("DUET_EXAMPLE_PLUGIN_DIR");
	struct harness_out o;

	/* Listed by full path with an empty plugin_dir: loaded once each. */
	harness_tmpdir(dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/ok.yaml", dir);
	snprintf(text, sizeof(text),
	    "plugin_dir: %s\n"
	    "plugins:\n"
	    "  - path: %s/math.so\n"
	    "  - path: %s/kv.so\n"
	    "    config: {max_keys: 10}\n"
	    "  - path: %s/demo.so\n"
	    "limits: {max_request_bytes: 1MiB, header_timeout: 10s}\n"
	    "log: {level: debug}\n",
	    dir, pd, pd, ex);
	harness_write_file(file, text);
	snprintf(args, sizeof(args), "-t -c '%s'", file);
	cli_run(&o, args);
	ck_assert_msg(
	    o.status == 0, "exit status %d, stderr:\n%s", o.status, o.err);
	ck_assert_str_eq(o.out, "configuration ok\n");
	harness_out_free(&o);
	harness_rmdir(dir);
}
END_TEST

/*
 * -t accepts users and rules (a rule that names no command is a warning)
 * and never prints a token_sha256 value back, not even a wrong one.
 */
START_TEST(test_cli_check_auth)
{
	char dir[64], file[PATH_MAX], text[4096], args[PATH_MAX + 16];
	const char *pd = harness_env("DUET_PLUGIN_DIR");
	struct harness_out o;

	harness_tmpdir(dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/ok.yaml", dir);
	snprintf(text, sizeof(text),
	    "listen: [127.0.0.1:%d]\n"
	    "plugin_dir: %s\n"
	    "auth:\n"
	    "  users:\n"
	    "    - name: alice\n"
	    "      token_sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B"
	    "822CD15D6C15B0F00A08\n"
	    "      commands: ['*', -del, -dell]\n"
	    "    - name: backup\n"
	    "      tls_cn: backup.example.com\n"
	    "      unix_uid: [0, 998]\n"
	    "      commands: [get, set, '@readonly', -@builtin]\n",
	    harness_pick_port(), pd);
	harness_write_file(file, text);
	snprintf(args, sizeof(args), "-t -c '%s'", file);
	cli_run(&o, args);
	ck_assert_msg(
	    o.status == 0, "exit status %d, stderr:\n%s", o.status, o.err);
	ck_assert_str_eq(o.out, "configuration ok\n");
	ck_assert_msg(strstr(o.err,
	                  ":7:29: rule '-dell' of user 'alice' "
	                  "matches no command\n") != NULL,
	    "%s", o.err);
	ck_assert_ptr_null(strstr(o.err, "-del'"));
	harness_out_free(&o);

	snprintf(text, sizeof(text),
	    "auth:\n  users:\n    - name: a\n      token_sha256: s3cr3t\n");
	harness_write_file(file, text);
	cli_run(&o, args);
	ck_assert_int_eq(o.status, 1);
	ck_assert_ptr_nonnull(strstr(o.err, "got 6 characters"));
	ck_assert_ptr_null(strstr(o.err, "s3cr3t"));
	harness_out_free(&o);
	harness_rmdir(dir);
}
END_TEST

/* A broken config: where the error points, and what it must say. */
struct cli_bad_config {
	const char *name;
	const char *yaml; /* see cli_expand() */
	const char *pos;  /* "LINE:COLUMN" */
	const char *want[3];
};

static const struct cli_bad_config cli_bad_configs[] = {
    {"unknown top-level key", "log: {level: info}\nbogus: 1\n", "2:1",
        {"unknown key", "bogus", NULL}},
    {"unknown nested key", "limits:\n  max_args: 16\n  max_foo: 3\n", "3:3",
        {"unknown key", "max_foo", NULL}},
    {"bad size", "limits: {max_request_bytes: 12XB}\n", "1:29", {NULL}},
    {"bad duration", "limits:\n  idle_timeout: soon\n", "2:17", {NULL}},
    {"listen is not a list", "listen: {a: b}\n", "1:9", {NULL}},
    {"missing plugin file",
        "plugin_dir: @PD@\nplugins:\n  - path: /nonexistent/x.so\n", "3:5",
        {"/nonexistent/x.so", NULL}},
    {"wrong ABI major",
        "plugin_dir: @PD@\nplugins:\n  - path: @TPD@/badabi.so\n", "3:5",
        {"ABI", NULL}},
    {"missing descriptor symbol",
        "plugin_dir: @PD@\nplugins:\n  - path: @TPD@/nosym.so\n", "3:5",
        {"nosym.so", "duet_plugin"}},
    {"failing init",
        "plugin_dir: @PD@\nplugins:\n  - path: @TPD@/failinit.so\n", "3:5",
        {"refused to start", NULL}},
    {"command name clash",
        "plugin_dir: @PD@\nplugins:\n  - path: @TPD@/clash.so\n", "3:5",
        {"'add'", NULL}},
    {"bad command signature",
        "plugin_dir: @PD@\nplugins:\n  - path: @TPD@/badsig.so\n", "3:5",
        {"integer", NULL}},
    {"auth without users", "auth: {users: []}\n", "1:15",
        {"auth: needs at least one user", NULL}},
    {"auth bad token hash",
        "auth:\n  users:\n    - name: a\n      token_sha256: hunter2\n", "4:21",
        {"invalid token_sha256", "got 7 characters", NULL}},
    {"auth unknown category",
        "auth:\n  users:\n    - {name: a, commands: ['*', -@write]}\n", "3:33",
        {"unknown category '@write'", NULL}},
    {"auth duplicate user", "auth:\n  users:\n    - name: a\n    - name: a\n",
        "4:13", {"duplicate user 'a'", NULL}},
};

START_TEST(test_cli_check_reports_errors)
{
	const struct cli_bad_config *t = &cli_bad_configs[_i];

	fprintf(stderr, "case: %s\n", t->name);
	cli_expect_error(t->yaml, t->pos, t->want);
}
END_TEST

/*
 * Writes text to dir/bad.yaml, runs duetd on it (with -t when test), and
 * checks that it exits 1 with nothing on stdout and a stderr line ending
 * with exactly want, whatever the log puts before it (level, time).
 * Each "@D@" in text and want stands for dir.
 */
static void
cli_expect_line(const char *dir, const char *text, int test, const char *want)
{
	char file[PATH_MAX], args[PATH_MAX + 16], buf[8192], exp[8192];
	struct harness_out o;
	const char *src[2] = {text, want};
	char *dst[2] = {buf, exp}, *at;
	int i;

	for (i = 0; i < 2; i++) {
		const char *p = src[i];
		size_t n = 0;

		for (; *p != '\0'; p++) {
			if (strncmp(p, "@D@", 3) == 0) {
				n += (size_t)snprintf(
				    dst[i] + n, sizeof(buf) - n, "%s", dir);
				p += 2;
			} else if (n + 1 < sizeof(buf)) {
				dst[i][n++] = *p;
			}
		}
		ck_assert_uint_lt(n, sizeof(buf));
		dst[i][n] = '\0';
	}
	snprintf(file, sizeof(file), "%s/bad.yaml", dir);
	harness_write_file(file, buf);
	snprintf(args, sizeof(args), "%s-c '%s'", test ? "-t " : "", file);
	cli_run(&o, args);
	ck_assert_msg(
	    o.status == 1, "exit status %d, stderr:\n%s", o.status, o.err);
	ck_assert_str_eq(o.out, "");
	at = strstr(o.err, exp);
	ck_assert_msg(at != NULL && at[strlen(exp)] == '\n',
	    "no line ending with\n%s\nin stderr:\n%s", exp, o.err);
	harness_out_free(&o);
}

/* Links dir/name to the built plugin file in the folder of env. */
static void
cli_link(const char *dir, const char *name, const char *env, const char *file)
{
	char from[PATH_MAX], to[PATH_MAX];

	snprintf(from, sizeof(from), "%s/%s", harness_env(env), file);
	snprintf(to, sizeof(to), "%s/%s", dir, name);
	ck_assert_int_eq(symlink(from, to), 0);
}

START_TEST(test_cli_clash_names_both_files)
{
	static const char want[] =
	    "@D@/bad.yaml:1:13: plugin @D@/math.so: command 'add' clashes "
	    "with @D@/clash.so (plugin clash): remove one of the two files "
	    "or rename the command";
	char dir[64];

	harness_tmpdir(dir, sizeof(dir));
	cli_link(dir, "math.so", "DUET_PLUGIN_DIR", "math.so");
	cli_link(dir, "clash.so", "DUET_TEST_PLUGIN_DIR", "clash.so");
	/* duetd -t and a start say the same, and the start refuses. */
	cli_expect_line(dir, "plugin_dir: @D@\n", 1, want);
	cli_expect_line(dir, "plugin_dir: @D@\n", 0, want);
	harness_rmdir(dir);
}
END_TEST

START_TEST(test_cli_plugin_loaded_twice)
{
	char dir[64], yaml[PATH_MAX * 3];
	const char *pd = harness_env("DUET_PLUGIN_DIR");
	char want[PATH_MAX * 3];

	harness_tmpdir(dir, sizeof(dir));
	/* The same path listed twice. */
	snprintf(yaml, sizeof(yaml),
	    "plugin_dir: @D@\nplugins:\n  - path: %s/math.so\n"
	    "  - path: %s/math.so\n",
	    pd, pd);
	snprintf(want, sizeof(want),
	    "@D@/bad.yaml:4:5: plugin %s/math.so: loaded twice (already "
	    "from @D@/bad.yaml:3:5): list each plugin file once",
	    pd);
	cli_expect_line(dir, yaml, 1, want);
	/* Another path to the same file, relative to plugin_dir. */
	cli_link(dir, "sum.so", "DUET_PLUGIN_DIR", "math.so");
	snprintf(yaml, sizeof(yaml),
	    "plugin_dir: @D@\nplugins:\n  - path: %s/math.so\n"
	    "  - path: sum.so\n",
	    pd);
	snprintf(want, sizeof(want),
	    "@D@/bad.yaml:4:5: plugin @D@/sum.so: loaded twice (the same "
	    "file as %s/math.so, from @D@/bad.yaml:3:5): list each plugin "
	    "file once",
	    pd);
	cli_expect_line(dir, yaml, 1, want);
	/* Two names for it in plugin_dir. */
	cli_link(dir, "math.so", "DUET_PLUGIN_DIR", "math.so");
	cli_expect_line(dir, "plugin_dir: @D@\n", 1,
	    "@D@/bad.yaml:1:13: plugin @D@/sum.so: loaded twice (the same "
	    "file as @D@/math.so, from @D@/bad.yaml:1:13): list each plugin "
	    "file once");
	harness_rmdir(dir);
}
END_TEST

/* Listens on a free loopback TCP port; returns the socket. */
static int
cli_take_port(int *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Binds a unix socket at path; listens on it when live. */
static int
cli_unix_socket(const char *path, int live)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if (live)
		ck_assert_int_eq(listen(fd, 1), 0);
	return fd;
}

START_TEST(test_cli_taken_port_names_position)
{
	char dir[64], yaml[512], want[512];
	int fd, port;

	harness_tmpdir(dir, sizeof(dir));
	fd = cli_take_port(&port);
	snprintf(yaml, sizeof(yaml),
	    "plugin_dir: @D@\nlisten:\n  - 127.0.0.1:%d\n"
	    "  - {address: \"127.0.0.1:%d\", protocols: [http]}\n",
	    harness_pick_port(), port);
	snprintf(want, sizeof(want),
	    "@D@/bad.yaml:4:5: listen 127.0.0.1:%d: Address already in use",
	    port);
	/* duetd -t binds each address as a start does. */
	cli_expect_line(dir, yaml, 1, want);
	cli_expect_line(dir, yaml, 0, want);
	close(fd);
	harness_rmdir(dir);
}
END_TEST

START_TEST(test_cli_check_unix_sockets)
{
	char dir[64], path[PATH_MAX], yaml[PATH_MAX * 2], file[PATH_MAX];
	char args[PATH_MAX + 16];
	struct harness_out o;
	struct stat st;
	int live, stale;

	harness_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/live.sock", dir);
	live = cli_unix_socket(path, 1);
	cli_expect_line(dir,
	    "plugin_dir: @D@\nlisten:\n  - 127.0.0.1:1\n  - "
	    "unix:@D@/live.sock\n",
	    1,
	    "@D@/bad.yaml:4:5: listen unix:@D@/live.sock: in use by another "
	    "process");
	cli_expect_line(dir, "plugin_dir: @D@\nlisten: [unix:@D@/no/x.sock]\n",
	    1,
	    "@D@/bad.yaml:2:10: listen unix:@D@/no/x.sock: cannot create a "
	    "socket in @D@/no: No such file or directory");
	cli_expect_line(dir, "plugin_dir: @D@\nlisten: [unix:@D@/bad.yaml]\n",
	    1,
	    "@D@/bad.yaml:2:10: listen unix:@D@/bad.yaml: @D@/bad.yaml exists "
	    "and is not a socket");
	/* A socket nobody accepts on (left by a crash) passes and stays. */
	snprintf(path, sizeof(path), "%s/stale.sock", dir);
	stale = cli_unix_socket(path, 0);
	snprintf(yaml, sizeof(yaml), "plugin_dir: %s\nlisten: [unix:%s]\n", dir,
	    path);
	snprintf(file, sizeof(file), "%s/ok.yaml", dir);
	harness_write_file(file, yaml);
	snprintf(args, sizeof(args), "-t -c '%s'", file);
	cli_run(&o, args);
	ck_assert_msg(
	    o.status == 0, "exit status %d, stderr:\n%s", o.status, o.err);
	ck_assert_str_eq(o.out, "configuration ok\n");
	ck_assert_int_eq(stat(path, &st), 0);
	harness_out_free(&o);
	close(stale);
	close(live);
	harness_rmdir(dir);
}
END_TEST

START_TEST(test_cli_same_address_twice)
{
	char dir[64], yaml[256], want[256];
	int port = harness_pick_port();

	harness_tmpdir(dir, sizeof(dir));
	snprintf(yaml, sizeof(yaml),
	    "plugin_dir: @D@\nlisten:\n  - localhost:%d\n  - 127.0.0.1:%d\n",
	    port, port);
	snprintf(want, sizeof(want),
	    "@D@/bad.yaml:4:5: listen 127.0.0.1:%d: the same address as "
	    "localhost:%d at line 3",
	    port, port);
	cli_expect_line(dir, yaml, 1, want);
	harness_rmdir(dir);
}
END_TEST

START_TEST(test_cli_missing_config_file)
{
	struct harness_out o;

	cli_run(&o, "-t -c /nonexistent/duetd.yaml");
	ck_assert_int_eq(o.status, 1);
	ck_assert_str_eq(o.out, "");
	ck_assert_msg(strstr(o.err, "/nonexistent/duetd.yaml") != NULL,
	    "stderr does not name the file:\n%s", o.err);
	harness_out_free(&o);
}
END_TEST

START_TEST(test_cli_sigterm_exits_zero)
{
	struct harness h;
	char *log;

	harness_start(&h, NULL, "log: {level: info}\n");
	log = harness_log(&h);
	harness_stop(&h);
	ck_assert_msg(strstr(log, "info: ") != NULL,
	    "no log line with a level:\n%s", log);
	free(log);
}
END_TEST

START_TEST(test_cli_long_options)
{
	char want[PATH_MAX + 512], file[PATH_MAX + 32], args[PATH_MAX + 64];
	const char *p, *q;
	struct harness_out o, o2;

	cli_run(&o, "--version");
	snprintf(want, sizeof(want), "duetd %s (plugin ABI %d.%d)\n",
	    PACKAGE_VERSION, DUET_ABI_MAJOR, DUET_ABI_MINOR);
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(o.out, want);
	ck_assert_str_eq(o.err, "");
	cli_run(&o2, "-V");
	ck_assert_int_eq(o2.status, 0);
	ck_assert_str_eq(o2.out, want);
	harness_out_free(&o);
	harness_out_free(&o2);

	cli_run(&o, "--help");
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(o.err, "");
	p = strstr(o.out, "(default ");
	ck_assert_ptr_nonnull(p);
	p += strlen("(default ");
	q = strchr(p, ')');
	ck_assert_ptr_nonnull(q);
	ck_assert_msg(p[0] == '/' && q - p > 16 &&
	        strncmp(q - 16, "/duet/duetd.yaml", 16) == 0,
	    "default config '%.*s'", (int)(q - p), p);
	snprintf(want, sizeof(want),
	    "usage: duetd [-c FILE] [-t] [-V] [-h]\n"
	    "  -c, --config FILE  configuration file (default %.*s)\n"
	    "  -t, --test         check the configuration and plugins, then "
	    "exit\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n",
	    (int)(q - p), p);
	ck_assert_str_eq(o.out, want);
	cli_run(&o2, "-h");
	ck_assert_int_eq(o2.status, 0);
	ck_assert_str_eq(o2.out, want);
	harness_out_free(&o2);

	/* An unknown long option: getopt's message, then the usage. */
	cli_run(&o2, "--bogus");
	ck_assert_int_eq(o2.status, 1);
	ck_assert_str_eq(o2.out, "");
	snprintf(file, sizeof(file), "%s: unrecognized option '--bogus'\n",
	    harness_env("DUETD"));
	ck_assert_uint_ge(strlen(o2.err), strlen(file));
	ck_assert_int_eq(strncmp(o2.err, file, strlen(file)), 0);
	ck_assert_str_eq(o2.err + strlen(file), o.out);
	harness_out_free(&o2);
	harness_out_free(&o);

	/* --config FILE, --config=FILE and --test are -c FILE and -t. */
	snprintf(file, sizeof(file), "%s/conf/duetd.yaml",
	    harness_env("DUET_SRCDIR"));
	snprintf(args, sizeof(args), "--test --config '%s'", file);
	cli_run(&o, args);
	ck_assert_msg(
	    o.status == 0, "exit status %d, stderr:\n%s", o.status, o.err);
	ck_assert_str_eq(o.out, "configuration ok\n");
	harness_out_free(&o);
	snprintf(args, sizeof(args), "--config='%s' --test", file);
	cli_run(&o, args);
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(o.out, "configuration ok\n");
	harness_out_free(&o);
	cli_run(&o, "--test --config /nonexistent/duetd.yaml");
	ck_assert_int_eq(o.status, 1);
	ck_assert_str_eq(o.out, "");
	ck_assert_ptr_nonnull(strstr(o.err, "/nonexistent/duetd.yaml"));
	harness_out_free(&o);
}
END_TEST

/* The start of a stamped log line: RFC 3339 UTC time with milliseconds. */
#define CLI_STAMP_RE                                                           \
	"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
#define CLI_LEVEL_RE "(debug|info|warn|error): "

/*
 * Fails unless every line of log starts with the time (stamped) or with
 * the level (not stamped); returns how many lines there were.
 */
static int
cli_expect_stamps(const char *log, int stamped)
{
	const char *re = stamped ? CLI_STAMP_RE CLI_LEVEL_RE : "^" CLI_LEVEL_RE;
	char *copy = strdup(log), *line, *save = NULL;
	regex_t rx;
	int n = 0;

	ck_assert_ptr_nonnull(copy);
	ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		ck_assert_msg(regexec(&rx, line, 0, NULL, 0) == 0,
		    "line '%s' does not match %s in:\n%s", line, re, log);
		n++;
	}
	regfree(&rx);
	free(copy);
	return n;
}

START_TEST(test_cli_log_timestamps_always)
{
	struct harness h;
	char *log;

	harness_start(&h, NULL, "log: {timestamps: always}\n");
	harness_wait_log(&h, " ready, ");
	log = harness_log(&h);
	harness_stop(&h);
	/* Three "loaded plugin" lines and the "ready" one, at least. */
	ck_assert_int_ge(cli_expect_stamps(log, 1), 4);
	free(log);
}
END_TEST

START_TEST(test_cli_log_timestamps_never)
{
	struct harness h;
	char *log;

	harness_start(&h, NULL, "log: {timestamps: never}\n");
	harness_wait_log(&h, " ready, ");
	log = harness_log(&h);
	harness_stop(&h);
	ck_assert_int_ge(cli_expect_stamps(log, 0), 4);
	free(log);
}
END_TEST

/* Rewrites h's config with from replaced by to (which must be there). */
static void
cli_edit_conf(const struct harness *h, const char *from, const char *to)
{
	char *text = harness_read_file(h->conf, NULL), *p, out[8192];

	p = strstr(text, from);
	ck_assert_ptr_nonnull(p);
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(p - text), text, to,
	    p + strlen(from));
	harness_write_file(h->conf, out);
	free(text);
}

/* Returns the log line that holds text (free it). */
static char *
cli_log_line(const struct harness *h, const char *text)
{
	char *log = harness_log(h), *p, *start, *end, *line;

	p = strstr(log, text);
	ck_assert_msg(p != NULL, "no '%s' in the log:\n%s", text, log);
	for (start = p; start > log && start[-1] != '\n'; start--)
		continue;
	end = strchr(p, '\n');
	line =
	    strndup(start, end != NULL ? (size_t)(end - start) : strlen(start));
	ck_assert_ptr_nonnull(line);
	free(log);
	return line;
}

/* A reload applies log.timestamps, once the new config is taken. */
START_TEST(test_cli_log_timestamps_reload)
{
	struct harness h;
	char *line;

	harness_start(&h, NULL, "log: {timestamps: never}\n");
	cli_edit_conf(&h, "never}\n", "always}\nbogus: 1\n");
	ck_assert_int_eq(kill(h.pid, SIGHUP), 0);
	harness_wait_log(&h, "reload failed");
	line = cli_log_line(&h, "reload failed");
	cli_expect_stamps(line, 0);
	free(line);

	cli_edit_conf(&h, "bogus: 1\n", "");
	ck_assert_int_eq(kill(h.pid, SIGHUP), 0);
	harness_wait_log(&h, "registry generation 2\n");
	line = cli_log_line(&h, "registry generation 2");
	cli_expect_stamps(line, 1);
	free(line);
	harness_stop(&h);
}
END_TEST

/* How a case sets $JOURNAL_STREAM for duetd. */
enum cli_journal {
	CLI_JOURNAL_UNSET,
	CLI_JOURNAL_STDERR, /* stderr's device:inode: the journal */
	CLI_JOURNAL_OTHER,  /* another file's: output was redirected */
	CLI_JOURNAL_BAD,    /* not DEVICE:INODE */
};

struct cli_stamp_case {
	const char *name;
	const char *args; /* options before -c */
	const char *log;  /* the config's log line, or "" */
	enum cli_journal journal;
	int stamped;
};

static const struct cli_stamp_case cli_stamp_cases[] = {
    {"default, no journal", "", "", CLI_JOURNAL_UNSET, 1},
    {"default, stderr is the journal", "", "", CLI_JOURNAL_STDERR, 0},
    {"auto, stderr is the journal", "", "log: {timestamps: auto}\n",
        CLI_JOURNAL_STDERR, 0},
    {"auto, inherited JOURNAL_STREAM", "", "log: {timestamps: auto}\n",
        CLI_JOURNAL_OTHER, 1},
    {"auto, malformed JOURNAL_STREAM", "", "log: {timestamps: auto}\n",
        CLI_JOURNAL_BAD, 1},
    {"always, even into the journal", "", "log: {timestamps: always}\n",
        CLI_JOURNAL_STDERR, 1},
    {"never", "", "log: {timestamps: never}\n", CLI_JOURNAL_UNSET, 0},
    {"-t prints no time", "-t", "log: {timestamps: always}\n",
        CLI_JOURNAL_UNSET, 0},
};

/*
 * duetd with a plugin that fails its init, so it logs an error and exits
 * 1, its stderr appended to a file whose device:inode $JOURNAL_STREAM may
 * name: the lines carry the time or not, as the case says.
 */
START_TEST(test_cli_log_journal_stream)
{
	const struct cli_stamp_case *t = &cli_stamp_cases[_i];
	char dir[64], conf[PATH_MAX], logf[PATH_MAX], text[4096];
	char cmd[PATH_MAX * 3], env[128], *log, *p;
	struct harness_out o;
	struct stat st;

	fprintf(stderr, "case: %s\n", t->name);
	harness_tmpdir(dir, sizeof(dir));
	snprintf(conf, sizeof(conf), "%s/duetd.yaml", dir);
	snprintf(logf, sizeof(logf), "%s/stderr", dir);
	snprintf(text, sizeof(text),
	    "plugin_dir: %s\nplugins:\n  - path: %s/failinit.so\n%s",
	    harness_env("DUET_PLUGIN_DIR"), harness_env("DUET_TEST_PLUGIN_DIR"),
	    t->log);
	harness_write_file(conf, text);
	harness_write_file(logf, "");
	ck_assert_int_eq(stat(logf, &st), 0);
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino + (t->journal == CLI_JOURNAL_OTHER));
	if (t->journal == CLI_JOURNAL_BAD)
		snprintf(env, sizeof(env), "journal");
	if (t->journal == CLI_JOURNAL_UNSET)
		unsetenv("JOURNAL_STREAM");
	else
		ck_assert_int_eq(setenv("JOURNAL_STREAM", env, 1), 0);
	snprintf(cmd, sizeof(cmd), "exec \"$DUETD\" %s -c '%s' 2>>'%s'",
	    t->args, conf, logf);
	harness_run(&o, cmd, NULL, 0);
	unsetenv("JOURNAL_STREAM");
	log = harness_read_file(logf, NULL);
	ck_assert_msg(
	    o.status == 1, "exit status %d, stderr:\n%s", o.status, log);
	ck_assert_msg(strstr(log, "error: ") != NULL &&
	        strstr(log, "failinit.so") != NULL,
	    "no error line:\n%s", log);
	if (strcmp(t->args, "-t") == 0) {
		/* -t's verdict closes the report; it is not a log line. */
		snprintf(cmd, sizeof(cmd), "\nconfiguration %s failed\n", conf);
		p = strstr(log, cmd);
		ck_assert_msg(p != NULL && p[strlen(cmd)] == '\0',
		    "-t did not end with '%s':\n%s", cmd + 1, log);
		p[1] = '\0';
	}
	cli_expect_stamps(log, t->stamped);
	free(log);
	harness_out_free(&o);
	harness_rmdir(dir);
}
END_TEST

START_TEST(test_cli_log_timestamps_bad_value)
{
	static const char *const want[] = {"invalid log timestamps 'sometimes' "
	                                   "(expected auto, always or never)",
	    NULL};

	cli_expect_error("log: {timestamps: sometimes}\n", "1:19", want);
}
END_TEST

static Suite *
cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc;

	tc = tcase_create("options");
	tcase_add_test(tc, test_cli_version);
	tcase_add_test(tc, test_cli_usage);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	tcase_add_test(tc, test_cli_check_shipped_config);
	tcase_add_test(tc, test_cli_check_all_plugins);
	tcase_add_test(tc, test_cli_check_auth);
	tcase_add_test(tc, test_cli_missing_config_file);
	tcase_add_loop_test(tc, test_cli_check_reports_errors, 0,
	    (int)(sizeof(cli_bad_configs) / sizeof(cli_bad_configs[0])));
	tcase_add_test(tc, test_cli_clash_names_both_files);
	tcase_add_test(tc, test_cli_plugin_loaded_twice);
	tcase_add_test(tc, test_cli_taken_port_names_position);
	tcase_add_test(tc, test_cli_check_unix_sockets);
	tcase_add_test(tc, test_cli_same_address_twice);
	suite_add_tcase(s, tc);

	tc = tcase_create("signals");
	tcase_add_test(tc, test_cli_sigterm_exits_zero);
	suite_add_tcase(s, tc);

	tc = tcase_create("long options and log");
	tcase_add_test(tc, test_cli_long_options);
	tcase_add_test(tc, test_cli_log_timestamps_always);
	tcase_add_test(tc, test_cli_log_timestamps_never);
	tcase_add_test(tc, test_cli_log_timestamps_reload);
	tcase_add_loop_test(tc, test_cli_log_journal_stream, 0,
	    (int)(sizeof(cli_stamp_cases) / sizeof(cli_stamp_cases[0])));
	tcase_add_test(tc, test_cli_log_timestamps_bad_value);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cli_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
