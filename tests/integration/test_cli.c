/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of duetd's command line: -V, -h, and -t on the shipped
 * config, on broken configs (every error names file:line:column) and on
 * each test-only plugin that must be refused at load; the long options;
 * the time at the start of log lines (log.timestamps, $JOURNAL_STREAM).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <inttypes.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	char args[PATH_MAX + 16];
	struct harness_out o;

	snprintf(args, sizeof(args), "-t -c '%s/conf/duetd.yaml'",
	    harness_env("DUET_SRCDIR"));
	cli_run(&o, args);
	ck_assert_msg(
	    o.status == 0, "exit status %d, stderr:\n%s", o.status, o.err);
	ck_assert_str_eq(o.out, "configuration ok\n");
	harness_out_free(&o);
}
END_TEST

START_TEST(test_cli_check_all_plugins)
{
	char dir[64], file[PATH_MAX], text[4096], args[PATH_MAX + 16];
	const char *pd = harness_env("DUET_PLUGIN_DIR");
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
	    dir, pd, pd, pd);
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
};

START_TEST(test_cli_check_reports_errors)
{
	const struct cli_bad_config *t = &cli_bad_configs[_i];

	fprintf(stderr, "case: %s\n", t->name);
	cli_expect_error(t->yaml, t->pos, t->want);
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
	tcase_add_test(tc, test_cli_missing_config_file);
	tcase_add_loop_test(tc, test_cli_check_reports_errors, 0,
	    (int)(sizeof(cli_bad_configs) / sizeof(cli_bad_configs[0])));
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
