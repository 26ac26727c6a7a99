/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of duetd's command line: -V, -h, and -t on the shipped
 * config, on broken configs (every error names file:line:column) and on
 * each test-only plugin that must be refused at load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

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
