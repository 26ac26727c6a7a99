/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for config: YAML files written to /tmp, loaded, and checked
 * field by field; bad files must fail with the exact FILE:LINE:COLUMN
 * message on stderr (captured with dup2) and the right error count.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "config.h"
#include "log.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* sha256("test") */
#define HASH "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* Writes text to a new temporary file; path receives its name. */
static void
write_temp(char *path, size_t size, const char *text)
{
	int fd;

	snprintf(path, size, "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Reads a whole small file into a new string. */
static char *
read_all(int fd)
{
	char *buf = calloc(1, 65536);
	ssize_t n;
	size_t len = 0;

	ck_assert_ptr_nonnull(buf);
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf + len, 65535 - len)) > 0)
		len += (size_t)n;
	return buf;
}

/*
 * Loads path with stderr redirected to a temporary file.  Returns the
 * config; *errtext receives what was logged (free it).
 */
static struct config *
load_capture(const char *path, int *nerrors, char **errtext)
{
	char tmp[] = "/tmp/test_config_err.XXXXXX";
	struct config *cf;
	int fd, saved;

	fd = mkstemp(tmp);
	ck_assert_int_ne(fd, -1);
	unlink(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ne(saved, -1);
	dup2(fd, STDERR_FILENO);
	cf = config_load(path, nerrors);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	*errtext = read_all(fd);
	close(fd);
	return cf;
}

/* Loads text as a config file that must be valid. */
static struct config *
load_good(const char *text)
{
	char path[64], *errtext;
	struct config *cf;
	int nerrors = -1;

	write_temp(path, sizeof(path), text);
	cf = load_capture(path, &nerrors, &errtext);
	unlink(path);
	ck_assert_msg(cf != NULL, "rejected: %s", errtext);
	ck_assert_int_eq(nerrors, 0);
	ck_assert_str_eq(errtext, "");
	free(errtext);
	return cf;
}

static void
check_default_listen(const struct config *cf)
{
	ck_assert_uint_eq(cf->nlisten, 1);
	ck_assert_str_eq(cf->listen[0].text, "127.0.0.1:3838");
	ck_assert_str_eq(cf->listen[0].host, "127.0.0.1");
	ck_assert_str_eq(cf->listen[0].port, "3838");
	ck_assert_int_eq(cf->listen[0].is_unix, 0);
	ck_assert_ptr_null(cf->listen[0].path);
	ck_assert_uint_eq(
	    cf->listen[0].protocols, CONFIG_PROTO_RESP | CONFIG_PROTO_HTTP);
}

static void
check_defaults(const struct config *cf)
{
	check_default_listen(cf);
	ck_assert_int_eq(cf->workers, 0);
	ck_assert_int_eq(cf->blocking_threads, 16);
	ck_assert_ptr_null(cf->plugin_dir);
	ck_assert_int_eq(cf->plugin_dir_line, 0);
	ck_assert_uint_eq(cf->nplugins, 0);
	ck_assert_uint_eq(cf->limits.max_connections, 10000);
	ck_assert_uint_eq(cf->limits.max_request_bytes, 1024 * 1024);
	ck_assert_uint_eq(cf->limits.max_args, 65536);
	ck_assert_uint_eq(cf->limits.max_nesting, 32);
	ck_assert_uint_eq(cf->limits.max_output_bytes, 64 * 1024 * 1024);
	ck_assert_uint_eq(cf->limits.max_pubsub_output, 8 * 1024 * 1024);
	ck_assert_uint_eq(cf->limits.max_pending_blocking, 1024);
	ck_assert_uint_eq(cf->limits.header_timeout_ms, 10000);
	ck_assert_uint_eq(cf->limits.idle_timeout_ms, 300000);
	ck_assert_uint_eq(cf->limits.shutdown_timeout_ms, 30000);
	ck_assert_uint_eq(cf->nallow_origins, 0);
	ck_assert_uint_eq(cf->nallow_hosts, 0);
	ck_assert_int_eq(cf->log_level, LOG_LVL_INFO);
}

static const char *const empty_files[] = {
    "",
    "# only a comment\n\n# and another\n",
    "---\n",
    "~\n",
    "limits:\nplugins:\nhttp:\nlog:\n",
    "listen:\n",
};

START_TEST(test_config_empty_is_defaults)
{
	struct config *cf = load_good(empty_files[_i]);

	check_defaults(cf);
	config_free(cf);
}
END_TEST

START_TEST(test_config_full)
{
	struct config *cf =
	    load_good("listen:\n"
	              "  - 0.0.0.0:3839\n"
	              "workers: 4\n"
	              "blocking_threads: 2\n"
	              "plugin_dir: /opt/duet/plugins\n"
	              "limits:\n"
	              "  max_connections: 5\n"
	              "  max_request_bytes: 64k\n"
	              "  max_args: 10\n"
	              "  max_nesting: 8\n"
	              "  max_output_bytes: 2MiB\n"
	              "  max_pubsub_output: 64KiB\n"
	              "  max_pending_blocking: 7\n"
	              "  header_timeout: 500ms\n"
	              "  idle_timeout: 5m\n"
	              "  shutdown_timeout: 0\n"
	              "http:\n"
	              "  allow_origins: [\"https://a.example\"]\n"
	              "  allow_hosts: [a.example, b.example]\n"
	              "log: {level: debug}\n");

	ck_assert_uint_eq(cf->nlisten, 1);
	ck_assert_str_eq(cf->listen[0].host, "0.0.0.0");
	ck_assert_str_eq(cf->listen[0].port, "3839");
	ck_assert_int_eq(cf->listen[0].line, 2);
	ck_assert_int_eq(cf->listen[0].column, 5);
	ck_assert_int_eq(cf->workers, 4);
	ck_assert_int_eq(cf->blocking_threads, 2);
	ck_assert_str_eq(cf->plugin_dir, "/opt/duet/plugins");
	ck_assert_int_eq(cf->plugin_dir_line, 5);
	ck_assert_int_eq(cf->plugin_dir_column, 13);
	ck_assert_uint_eq(cf->limits.max_connections, 5);
	ck_assert_uint_eq(cf->limits.max_request_bytes, 65536);
	ck_assert_uint_eq(cf->limits.max_args, 10);
	ck_assert_uint_eq(cf->limits.max_nesting, 8);
	ck_assert_uint_eq(cf->limits.max_output_bytes, 2 * 1024 * 1024);
	ck_assert_uint_eq(cf->limits.max_pubsub_output, 64 * 1024);
	ck_assert_uint_eq(cf->limits.max_pending_blocking, 7);
	ck_assert_uint_eq(cf->limits.header_timeout_ms, 500);
	ck_assert_uint_eq(cf->limits.idle_timeout_ms, 300000);
	ck_assert_uint_eq(cf->limits.shutdown_timeout_ms, 0);
	ck_assert_uint_eq(cf->nallow_origins, 1);
	ck_assert_str_eq(cf->allow_origins[0], "https://a.example");
	ck_assert_uint_eq(cf->nallow_hosts, 2);
	ck_assert_str_eq(cf->allow_hosts[0], "a.example");
	ck_assert_str_eq(cf->allow_hosts[1], "b.example");
	ck_assert_int_eq(cf->log_level, LOG_LVL_DEBUG);
	config_free(cf);
}
END_TEST

START_TEST(test_config_workers_auto)
{
	struct config *cf = load_good("workers: auto\nlog: {level: warning}\n");

	ck_assert_int_eq(cf->workers, 0);
	ck_assert_int_eq(cf->log_level, LOG_LVL_WARN);
	config_free(cf);
}
END_TEST

START_TEST(test_config_listen_forms)
{
	struct config *cf =
	    load_good("listen:\n"
	              "  - localhost:80\n"
	              "  - \"[::1]:4000\"\n"
	              "  - unix:/run/duet/duetd.sock\n"
	              "  - address: 127.0.0.1:03839\n"
	              "    protocols: [http]\n"
	              "  - {address: '[::]:1', protocols: [resp]}\n");

	ck_assert_uint_eq(cf->nlisten, 5);
	ck_assert_str_eq(cf->listen[0].host, "localhost");
	ck_assert_str_eq(cf->listen[0].port, "80");
	ck_assert_str_eq(cf->listen[1].text, "[::1]:4000");
	ck_assert_str_eq(cf->listen[1].host, "::1");
	ck_assert_str_eq(cf->listen[1].port, "4000");
	ck_assert_int_eq(cf->listen[2].is_unix, 1);
	ck_assert_str_eq(cf->listen[2].path, "/run/duet/duetd.sock");
	ck_assert_ptr_null(cf->listen[2].host);
	ck_assert_ptr_null(cf->listen[2].port);
	ck_assert_uint_eq(
	    cf->listen[2].protocols, CONFIG_PROTO_RESP | CONFIG_PROTO_HTTP);
	ck_assert_str_eq(cf->listen[3].text, "127.0.0.1:03839");
	ck_assert_str_eq(cf->listen[3].port, "3839");
	ck_assert_uint_eq(cf->listen[3].protocols, CONFIG_PROTO_HTTP);
	ck_assert_int_eq(cf->listen[3].line, 5);
	ck_assert_int_eq(cf->listen[3].column, 5);
	ck_assert_str_eq(cf->listen[4].host, "::");
	ck_assert_uint_eq(cf->listen[4].protocols, CONFIG_PROTO_RESP);
	config_free(cf);
}
END_TEST

START_TEST(test_config_listen_tls)
{
	struct config *cf =
	    load_good("listen:\n"
	              "  - address: 127.0.0.1:1\n"
	              "    tls: {cert: ../dev/null, key: /dev/null, client_ca: "
	              "/dev/null}\n"
	              "  - address: 127.0.0.1:2\n"
	              "    tls:\n"
	              "      cert: /dev/null\n"
	              "      key: /dev/null\n"
	              "      client_ca: /dev/null\n"
	              "      verify_client: optional\n"
	              "      protocols: [TLSv1.3]\n"
	              "      ciphers: HIGH\n"
	              "  - address: 127.0.0.1:3\n"
	              "    tls: {cert: /dev/null, key: /dev/null}\n"
	              "  - 127.0.0.1:4\n");
	const struct config_tls *t = cf->listen[0].tls;

	ck_assert_uint_eq(cf->nlisten, 4);
	/* A relative path is taken from the file's folder, /tmp. */
	ck_assert_str_eq(t->cert, "/tmp/../dev/null");
	ck_assert_str_eq(t->key, "/dev/null");
	ck_assert_str_eq(t->client_ca, "/dev/null");
	ck_assert_int_eq(t->verify_client, CONFIG_VERIFY_REQUIRE);
	ck_assert_uint_eq(t->versions, CONFIG_TLS_V1_2 | CONFIG_TLS_V1_3);
	ck_assert_ptr_null(t->ciphers);
	ck_assert_int_eq(t->line, 3);
	ck_assert_int_eq(t->column, 10);
	t = cf->listen[1].tls;
	ck_assert_int_eq(t->verify_client, CONFIG_VERIFY_OPTIONAL);
	ck_assert_uint_eq(t->versions, CONFIG_TLS_V1_3);
	ck_assert_str_eq(t->ciphers, "HIGH");
	t = cf->listen[2].tls;
	ck_assert_ptr_null(t->client_ca);
	ck_assert_int_eq(t->verify_client, CONFIG_VERIFY_NONE);
	ck_assert_ptr_null(cf->listen[3].tls);
	config_free(cf);
}
END_TEST

START_TEST(test_config_relative_plugin_dir)
{
	struct config *cf = load_good("plugin_dir: plugins\n");

	/* The temporary file lives in /tmp. */
	ck_assert_str_eq(cf->plugin_dir, "/tmp/plugins");
	ck_assert_int_eq(cf->plugin_dir_line, 1);
	ck_assert_int_eq(cf->plugin_dir_column, 13);
	config_free(cf);
}
END_TEST

START_TEST(test_config_plugins)
{
	static const unsigned char kv[] = {0x81, 0xa8, 'm', 'a', 'x', '_', 'k',
	    'e', 'y', 's', 0xce, 0x00, 0x01, 0x86, 0xa0};
	struct config *cf = load_good("plugins:\n"
	                              "  - name: kv\n"
	                              "    path: kv.so\n"
	                              "    config: {max_keys: 100000}\n"
	                              "  - path: /opt/math.so\n"
	                              "  - path: x.so\n"
	                              "    config:\n");

	ck_assert_uint_eq(cf->nplugins, 3);
	ck_assert_str_eq(cf->plugins[0].name, "kv");
	ck_assert_str_eq(cf->plugins[0].path, "kv.so");
	ck_assert_int_eq(cf->plugins[0].line, 2);
	ck_assert_int_eq(cf->plugins[0].column, 5);
	ck_assert_uint_eq(cf->plugins[0].config_len, sizeof(kv));
	ck_assert_mem_eq(cf->plugins[0].config, kv, sizeof(kv));
	ck_assert_ptr_null(cf->plugins[1].name);
	ck_assert_str_eq(cf->plugins[1].path, "/opt/math.so");
	ck_assert_uint_eq(cf->plugins[1].config_len, 1);
	ck_assert_int_eq((unsigned char)cf->plugins[1].config[0], 0x80);
	ck_assert_uint_eq(cf->plugins[2].config_len, 1);
	ck_assert_int_eq((unsigned char)cf->plugins[2].config[0], 0x80);
	config_free(cf);
}
END_TEST

/* Every scalar kind, a list and a nested map, packed as msgpack. */
START_TEST(test_config_plugin_config_types)
{
	static const unsigned char want[] = {
	    0x83,                               /* map of 3 */
	    0xa1, 'l',                          /* "l" */
	    0x9c,                               /* array of 12 */
	    0x01,                               /* 1 */
	    0xfe,                               /* -2 */
	    0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, /* 1.5 */
	    0xc3, 0xc2,                         /* true false */
	    0xc0, 0xc0,                         /* null ~ */
	    0xa1, '5',                          /* "5" quoted */
	    0xa4, 't', 'r', 'u', 'e',           /* 'true' quoted */
	    0xa2, 'h', 'i',                     /* hi */
	    0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xcb, 0xff,
	    0xf0, 0, 0, 0, 0, 0, 0, /* -.inf */
	    0xa1, 'm',              /* "m" */
	    0x81, 0xa1, 'k', 0x90,  /* {k: []} */
	    0xa1, 'e',              /* "e" */
	    0x80,                   /* {} */
	};
	struct config *cf = load_good(
	    "plugins:\n"
	    "  - path: a.so\n"
	    "    config:\n"
	    "      l: [1, -2, 1.5, true, false, null, ~, \"5\", 'true', hi,\n"
	    "          18446744073709551615, -.inf]\n"
	    "      m: {k: []}\n"
	    "      e: {}\n");

	ck_assert_uint_eq(cf->plugins[0].config_len, sizeof(want));
	ck_assert_mem_eq(cf->plugins[0].config, want, sizeof(want));
	config_free(cf);
}
END_TEST

/* The auth section: every key of a user, defaults, and hex of any case. */
START_TEST(test_config_auth_users)
{
	struct config *cf =
	    load_good("auth:\n"
	              "  users:\n"
	              "    - name: alice\n"
	              "      token_sha256: " HASH "\n"
	              "      commands: ['*', -del, '@readonly', "
	              "-@builtin, GEO.*]\n"
	              "    - name: backup\n"
	              "      tls_cn: backup.example.com\n"
	              "      unix_uid: [0, 998]\n"
	              "      commands:\n"
	              "      link: true\n"
	              "      link_as: File-Server\n"
	              "    - name: m\n"
	              "      unix_uid: 5\n"
	              "      token_sha256: 9F86D081884C7D659A2"
	              "FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F"
	              "00A09\n");
	const struct config_auth_user *u;
	static const unsigned char hash[32] = {0x9f, 0x86, 0xd0, 0x81, 0x88,
	    0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0, 0xc5, 0x5a, 0xd0, 0x15,
	    0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c, 0xd1, 0x5d, 0x6c,
	    0x15, 0xb0, 0xf0, 0x0a, 0x08};

	ck_assert_ptr_nonnull(cf->auth);
	ck_assert_uint_eq(cf->auth->nusers, 3);
	ck_assert_int_eq(cf->auth->line, 2);
	u = &cf->auth->users[0];
	ck_assert_str_eq(u->name, "alice");
	ck_assert_int_eq(u->has_token, 1);
	ck_assert_mem_eq(u->token_sha256, hash, 32);
	ck_assert_int_eq(u->has_rules, 1);
	ck_assert_uint_eq(u->nrules, 5);
	ck_assert_int_eq(u->rules[0].remove, 0);
	ck_assert_int_eq(u->rules[0].category, CONFIG_AUTH_GLOB);
	ck_assert_str_eq(u->rules[0].glob, "*");
	ck_assert_int_eq(u->rules[1].remove, 1);
	ck_assert_str_eq(u->rules[1].glob, "del");
	ck_assert_int_eq(u->rules[1].line, 5);
	ck_assert_int_eq(u->rules[1].column, 23);
	ck_assert_int_eq(u->rules[2].category, CONFIG_AUTH_READONLY);
	ck_assert_ptr_null(u->rules[2].glob);
	ck_assert_int_eq(u->rules[3].remove, 1);
	ck_assert_int_eq(u->rules[3].category, CONFIG_AUTH_BUILTIN);
	ck_assert_str_eq(u->rules[4].glob, "GEO.*");
	ck_assert_ptr_null(u->tls_cn);
	ck_assert_uint_eq(u->nuids, 0);
	ck_assert_int_eq(u->link, 0);
	ck_assert_ptr_null(u->link_as);
	u = &cf->auth->users[1];
	ck_assert_int_eq(u->link, 1);
	ck_assert_str_eq(u->link_as, "file-server");
	ck_assert_str_eq(u->name, "backup");
	ck_assert_int_eq(u->has_token, 0);
	ck_assert_int_eq(u->has_rules, 1); /* commands: null = none */
	ck_assert_uint_eq(u->nrules, 0);
	ck_assert_str_eq(u->tls_cn, "backup.example.com");
	ck_assert_uint_eq(u->nuids, 2);
	ck_assert_uint_eq(u->uids[0], 0);
	ck_assert_uint_eq(u->uids[1], 998);
	ck_assert_int_eq(u->line, 6);
	ck_assert_int_eq(u->column, 7);
	u = &cf->auth->users[2];
	ck_assert_int_eq(u->has_rules, 0); /* default ["*"] */
	ck_assert_uint_eq(u->nuids, 1);
	ck_assert_uint_eq(u->uids[0], 5);
	ck_assert_int_eq(u->token_sha256[31], 0x09);
	config_free(cf);

	cf = load_good("workers: 1\n");
	ck_assert_ptr_null(cf->auth);
	config_free(cf);
}
END_TEST

/* channels: globs as written; absent is ["*"], null and [] are none. */
START_TEST(test_config_auth_channels)
{
	struct config *cf = load_good("auth:\n"
	                              "  users:\n"
	                              "    - name: bob\n"
	                              "      channels: ['news.*', '[-]x', "
	                              "'a?/b']\n"
	                              "    - name: carol\n"
	                              "      channels:\n"
	                              "    - name: dave\n"
	                              "      channels: []\n"
	                              "    - name: erin\n");
	const struct config_auth_user *u;

	u = &cf->auth->users[0];
	ck_assert_int_eq(u->has_channels, 1);
	ck_assert_uint_eq(u->nchannels, 3);
	ck_assert_str_eq(u->channels[0], "news.*");
	ck_assert_str_eq(u->channels[1], "[-]x");
	ck_assert_str_eq(u->channels[2], "a?/b");
	u = &cf->auth->users[1];
	ck_assert_int_eq(u->has_channels, 1);
	ck_assert_uint_eq(u->nchannels, 0);
	u = &cf->auth->users[2];
	ck_assert_int_eq(u->has_channels, 1);
	ck_assert_uint_eq(u->nchannels, 0);
	u = &cf->auth->users[3];
	ck_assert_int_eq(u->has_channels, 0);
	ck_assert_ptr_null(u->channels);
	config_free(cf);
}
END_TEST

/* Rules parsed alone, as the fuzz target does. */
START_TEST(test_config_auth_rule_parse)
{
	struct config_auth_rule r;

	ck_assert_int_eq(config_auth_rule_parse("-@public", &r), 0);
	ck_assert_int_eq(r.remove, 1);
	ck_assert_int_eq(r.category, CONFIG_AUTH_PUBLIC);
	ck_assert_ptr_null(r.glob);
	ck_assert_int_eq(config_auth_rule_parse("@all", &r), 0);
	ck_assert_int_eq(r.category, CONFIG_AUTH_ALL);
	ck_assert_int_eq(config_auth_rule_parse("?et", &r), 0);
	ck_assert_int_eq(r.remove, 0);
	ck_assert_str_eq(r.glob, "?et");
	free(r.glob);
	ck_assert_int_eq(config_auth_rule_parse("--x", &r), 0);
	ck_assert_str_eq(r.glob, "-x");
	free(r.glob);
	ck_assert_int_eq(config_auth_rule_parse("", &r), -1);
	ck_assert_int_eq(config_auth_rule_parse("-", &r), -1);
	ck_assert_int_eq(config_auth_rule_parse("@", &r), -1);
	ck_assert_int_eq(config_auth_rule_parse("@ALL", &r), -1);
	ck_assert_int_eq(config_auth_rule_parse("-@readonlyx", &r), -1);
}
END_TEST

START_TEST(test_config_default_file)
{
	const char *srcdir = getenv("DUET_SRCDIR");
	char path[4096], *errtext;
	struct config *cf;
	int nerrors;

	snprintf(path, sizeof(path), "%s/conf/duetd.yaml",
	    srcdir != NULL ? srcdir : ".");
	if (access(path, R_OK) != 0)
		return; /* not run from the source tree */
	cf = load_capture(path, &nerrors, &errtext);
	ck_assert_msg(cf != NULL, "%s", errtext);
	ck_assert_int_eq(nerrors, 0);
	check_default_listen(cf);
	free(errtext);
	config_free(cf);
}
END_TEST

/* The token the links tests put in DUET_TEST_LINK_TOKEN. */
#define LINK_TOKEN "s3cret-token"

/* The environment the links tests read tokens from. */
static void
link_env(void)
{
	ck_assert_int_eq(setenv("DUET_TEST_LINK_TOKEN", LINK_TOKEN, 1), 0);
	ck_assert_int_eq(setenv("DUET_TEST_LINK_EMPTY", "", 1), 0);
	ck_assert_int_eq(unsetenv("DUET_TEST_LINK_UNSET"), 0);
}

static void
check_globs(char **globs, size_t n, const char *first, size_t want)
{
	ck_assert_uint_eq(n, want);
	if (want > 0)
		ck_assert_str_eq(globs[0], first);
	else
		ck_assert_ptr_null(globs);
}

/* links: every key, the defaults, and tokens from a file and the env. */
START_TEST(test_config_links)
{
	char tokfile[64], text[2048];
	const struct config_link *l;
	struct config *cf;

	link_env();
	write_temp(tokfile, sizeof(tokfile), "from-a-file\n");
	snprintf(text, sizeof(text),
	    "links:\n"
	    "  - name: Hub\n"
	    "    connect: hub.example.com:3839\n"
	    "    tls: {ca: /dev/null, cert: /dev/null, key: /dev/null}\n"
	    "    token_file: %s\n"
	    "    as: FileServer\n"
	    "    export: [\"files.*\", stat]\n"
	    "    import: [\"*\"]\n"
	    "    channels_out: [\"logs.*\"]\n"
	    "    channels_in: [news, \"alerts.*\"]\n"
	    "  - name: edge_2\n"
	    "    connect: \"[::1]:4000\"\n"
	    "    tls: true\n"
	    "    user: node@edge\n"
	    "    token_env: DUET_TEST_LINK_TOKEN\n"
	    "    as: edge\n"
	    "    export:\n"
	    "  - name: cert-only\n"
	    "    connect: 10.0.0.1:1\n"
	    "    tls: {cert: /dev/null, key: /dev/null}\n"
	    "    as: c\n"
	    "  - name: plain\n"
	    "    connect: h:2\n"
	    "    tls: false\n"
	    "    token_env: DUET_TEST_LINK_TOKEN\n"
	    "    as: p\n"
	    "  - name: empty-tls\n"
	    "    connect: h:3\n"
	    "    tls: {}\n"
	    "    token_file: %s\n"
	    "    as: e\n",
	    tokfile, strrchr(tokfile, '/') + 1);
	cf = load_good(text);
	unlink(tokfile);
	ck_assert_uint_eq(cf->nlinks, 5);

	l = &cf->links[0];
	ck_assert_str_eq(l->name, "hub");
	ck_assert_str_eq(l->connect, "hub.example.com:3839");
	ck_assert_str_eq(l->host, "hub.example.com");
	ck_assert_str_eq(l->port, "3839");
	ck_assert_int_eq(l->tls, 1);
	ck_assert_str_eq(l->tls_ca, "/dev/null");
	ck_assert_str_eq(l->tls_cert, "/dev/null");
	ck_assert_str_eq(l->tls_key, "/dev/null");
	ck_assert_str_eq(l->token, "from-a-file");
	ck_assert_str_eq(l->as, "fileserver");
	ck_assert_str_eq(l->user, "fileserver"); /* default: as */
	check_globs(l->exports, l->nexports, "files.*", 2);
	ck_assert_str_eq(l->exports[1], "stat");
	check_globs(l->imports, l->nimports, "*", 1);
	check_globs(l->channels_out, l->nchannels_out, "logs.*", 1);
	check_globs(l->channels_in, l->nchannels_in, "news", 2);
	ck_assert_int_eq(l->line, 2);
	ck_assert_int_eq(l->column, 5);

	l = &cf->links[1];
	ck_assert_str_eq(l->name, "edge_2");
	ck_assert_str_eq(l->host, "::1");
	ck_assert_str_eq(l->port, "4000");
	ck_assert_int_eq(l->tls, 1);
	ck_assert_ptr_null(l->tls_ca); /* the system's CAs */
	ck_assert_ptr_null(l->tls_cert);
	ck_assert_ptr_null(l->tls_key);
	ck_assert_str_eq(l->user, "node@edge");
	ck_assert_str_eq(l->token, LINK_TOKEN);
	check_globs(l->exports, l->nexports, NULL, 0); /* null: none */
	check_globs(l->imports, l->nimports, NULL, 0);
	check_globs(l->channels_out, l->nchannels_out, NULL, 0);
	check_globs(l->channels_in, l->nchannels_in, NULL, 0);

	l = &cf->links[2];
	ck_assert_ptr_null(l->token); /* logs in with its certificate */
	ck_assert_str_eq(l->tls_cert, "/dev/null");
	ck_assert_str_eq(l->user, "c");
	ck_assert_int_eq(cf->links[3].tls, 0);
	ck_assert_str_eq(cf->links[3].token, LINK_TOKEN);
	/* tls: {} is TLS with the system's CAs; a relative token_file is
	 * taken from the config file's folder. */
	ck_assert_int_eq(cf->links[4].tls, 1);
	ck_assert_ptr_null(cf->links[4].tls_ca);
	ck_assert_str_eq(cf->links[4].token, "from-a-file");
	config_free(cf);

	cf = load_good("links:\n");
	ck_assert_uint_eq(cf->nlinks, 0);
	ck_assert_ptr_null(cf->links);
	config_free(cf);
}
END_TEST

/*
 * Token files: one trailing newline is stripped (only one); a NUL byte,
 * an empty file or one over 4096 bytes is refused, and the message never
 * holds what the file does.
 */
START_TEST(test_config_link_token_file)
{
	static const struct {
		const char *content;
		size_t len;
		const char *token; /* NULL: refused with msg */
		const char *msg;
	} cases[] = {
	    {"abc", 3, "abc", NULL},
	    {"abc\n", 4, "abc", NULL},
	    {"abc\n\n", 5, "abc\n", NULL},
	    {"a b\tc\r\n", 7, "a b\tc\r", NULL},
	    {"\n", 1, NULL, "is empty"},
	    {"ab\0c\n", 5, NULL, "contains a NUL byte"},
	};
	char tokfile[64], cfgfile[64], text[256], want[256], *errtext, *big;
	struct config *cf;
	size_t i;
	int nerrors, fd;

	for (i = 0; i < NELEM(cases); i++) {
		snprintf(tokfile, sizeof(tokfile), "/tmp/test_config.XXXXXX");
		fd = mkstemp(tokfile);
		ck_assert_int_ne(fd, -1);
		ck_assert_int_eq(write(fd, cases[i].content, cases[i].len),
		    (ssize_t)cases[i].len);
		close(fd);
		snprintf(text, sizeof(text),
		    "links:\n  - {name: h, connect: 'h:1', as: a, "
		    "token_file: %s}\n",
		    tokfile);
		write_temp(cfgfile, sizeof(cfgfile), text);
		cf = load_capture(cfgfile, &nerrors, &errtext);
		unlink(cfgfile);
		unlink(tokfile);
		if (cases[i].token != NULL) {
			ck_assert_msg(cf != NULL, "%zu: %s", i, errtext);
			ck_assert_str_eq(cf->links[0].token, cases[i].token);
		} else {
			ck_assert_ptr_null(cf);
			ck_assert_int_eq(nerrors, 1);
			snprintf(want, sizeof(want),
			    "error: %s:2:50: token_file %s %s\n", cfgfile,
			    tokfile, cases[i].msg);
			ck_assert_str_eq(errtext, want);
		}
		config_free(cf);
		free(errtext);
	}

	/* 4096 bytes (and a newline) is the most. */
	big = malloc(4098);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 4097);
	big[4096] = '\n';
	big[4097] = '\0';
	for (i = 0; i < 2; i++) {
		if (i == 1)
			big[4096] = 'x';
		write_temp(tokfile, sizeof(tokfile), big);
		snprintf(text, sizeof(text),
		    "links:\n  - {name: h, connect: 'h:1', as: a, "
		    "token_file: %s}\n",
		    tokfile);
		write_temp(cfgfile, sizeof(cfgfile), text);
		cf = load_capture(cfgfile, &nerrors, &errtext);
		unlink(cfgfile);
		unlink(tokfile);
		if (i == 0) {
			ck_assert_ptr_nonnull(cf);
			ck_assert_uint_eq(strlen(cf->links[0].token), 4096);
		} else {
			ck_assert_ptr_null(cf);
			snprintf(want, sizeof(want),
			    "error: %s:2:50: token_file %s is longer than "
			    "4096 bytes\n",
			    cfgfile, tokfile);
			ck_assert_str_eq(errtext, want);
		}
		config_free(cf);
		free(errtext);
	}
	free(big);
}
END_TEST

/*
 * Whatever else is wrong with a link, its token (from a file, from the
 * environment, or pasted inline by mistake) is in no message.
 */
START_TEST(test_config_link_token_not_echoed)
{
	char tokfile[64], cfgfile[64], text[1024], *errtext;
	struct config *cf;
	int nerrors;

	ck_assert_int_eq(setenv("DUET_TEST_LINK_TOKEN", "TOPSECRET-env", 1), 0);
	write_temp(tokfile, sizeof(tokfile), "TOPSECRET-file\n");
	snprintf(text, sizeof(text),
	    "links:\n"
	    "  - name: a\n"
	    "    connect: nohost\n"
	    "    token_file: %s\n"
	    "    token_env: DUET_TEST_LINK_TOKEN\n"
	    "    token: TOPSECRET-inline\n"
	    "    as: a.b\n"
	    "    tls: {cert: /nonexistent/c}\n"
	    "    foo: 1\n"
	    "  - {name: a, connect: 'h:1', as: b, token: [TOPSECRET-list]}\n"
	    "  - {name: c, connect: 'h:1', as: c, token: {TOPSECRET: map}}\n"
	    "  - {name: d, connect: 'h:1', as: d, token_file: %s, "
	    "token_env: DUET_TEST_LINK_TOKEN, tls: {key: /dev/null}}\n",
	    tokfile, tokfile);
	write_temp(cfgfile, sizeof(cfgfile), text);
	cf = load_capture(cfgfile, &nerrors, &errtext);
	unlink(cfgfile);
	unlink(tokfile);
	ck_assert_ptr_null(cf);
	ck_assert_msg(nerrors == 12, "%d errors:\n%s", nerrors, errtext);
	ck_assert_msg(strstr(errtext, "TOPSECRET-") == NULL, "%s", errtext);
	ck_assert_msg(strstr(errtext, "TOPSECRET: ") == NULL, "%s", errtext);
	free(errtext);
}
END_TEST

/*
 * A bad file: its text, how many errors it has, and the message expected
 * after "error: FILE" on stderr.
 */
struct bad_case {
	const char *name;
	const char *text;
	int nerrors;
	const char *msg;
};

/* 257 bytes: one more than a glob may have. */
#define LONG32  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LONG257 LONG32 LONG32 LONG32 LONG32 LONG32 LONG32 LONG32 LONG32 "b"

static const struct bad_case bad_cases[] = {
    {"unknown key", "workers: 2\nlimits:\n  foo: 1\n", 1,
        ":3:3: unknown key 'foo' in limits"},
    {"unknown top key", "listen: [127.0.0.1:1]\nfoo: bar\n", 1,
        ":2:1: unknown key 'foo'\n"},
    {"limits not a mapping", "limits: 3\n", 1,
        ":1:9: expected a mapping for 'limits', got a scalar"},
    {"listen not a list", "listen: {a: b}\n", 1,
        ":1:9: expected a list for 'listen', got a mapping"},
    {"workers not a scalar", "workers: [1]\n", 1,
        ":1:10: expected a scalar for 'workers', got a list"},
    {"root not a mapping", "- 1\n", 1,
        ":1:1: expected a mapping at the top level, got a list"},
    {"bad size", "limits:\n  max_request_bytes: 1XB\n", 1,
        ":2:22: invalid size '1XB' for 'max_request_bytes'"},
    {"zero size", "limits:\n  max_output_bytes: 0\n", 1,
        ":2:21: 'max_output_bytes' must be at least 1 bytes"},
    {"bad duration", "limits:\n  idle_timeout: 10x\n", 1,
        ":2:17: invalid duration '10x' for 'idle_timeout'"},
    {"zero header timeout", "limits:\n  header_timeout: 0s\n", 1,
        ":2:19: 'header_timeout' must be at least 1ms"},
    {"nesting too deep", "limits:\n  max_nesting: 33\n", 1,
        ":2:16: invalid max_nesting '33' (expected an integer 1..32)"},
    {"bad count", "limits:\n  max_args: -1\n", 1,
        ":2:13: invalid max_args '-1'"},
    {"port zero", "listen:\n  - 127.0.0.1:0\n", 1,
        ":2:5: invalid port '0' in '127.0.0.1:0' (expected 1..65535)"},
    {"port too big", "listen: [\"127.0.0.1:65536\"]\n", 1,
        ":1:10: invalid port '65536'"},
    {"no port", "listen: [localhost]\n", 1,
        ":1:10: invalid address 'localhost'"},
    {"bad ipv4", "listen: [1.2.3:5]\n", 1,
        ":1:10: invalid host '1.2.3' in '1.2.3:5'"},
    {"bare ipv6", "listen: ['::1:80']\n", 1,
        ":1:10: invalid host '::1' in '::1:80' (an IPv6 address "
        "goes in brackets)"},
    {"bad ipv6", "listen: ['[::g]:80']\n", 1, ":1:10: invalid host '::g'"},
    {"empty unix", "listen: ['unix:']\n", 1, ":1:10: empty unix socket path"},
    {"empty listen", "listen: []\n", 1,
        ":1:9: 'listen' needs at least one address"},
    {"listener without address", "listen:\n  - protocols: [http]\n", 1,
        ":2:5: listener needs an 'address'"},
    {"bad protocol", "listen:\n  - {address: 'a:1', protocols: [ftp]}\n", 1,
        ":2:34: invalid protocol 'ftp' (expected resp or http)"},
    {"auth without users", "auth:\n  users: []\n", 1,
        ":2:10: auth: needs at least one user"},
    {"auth null", "auth:\n", 1, ":1:6: auth: needs at least one user"},
    {"auth empty mapping", "auth: {}\n", 1,
        ":1:7: auth: needs at least one user"},
    {"auth not a mapping", "auth: [a]\n", 1,
        ":1:7: expected a mapping for 'auth', got a list"},
    {"auth unknown key", "auth:\n  users: [{name: a}]\n  password: x\n", 1,
        ":3:3: unknown key 'password' in auth"},
    {"user unknown key", "auth:\n  users:\n    - {name: a, pass: x}\n", 1,
        ":3:17: unknown key 'pass' in users"},
    {"user without name", "auth:\n  users:\n    - {tls_cn: x}\n", 1,
        ":3:7: user needs a 'name'"},
    {"user not a mapping", "auth:\n  users: [alice]\n", 1,
        ":2:11: expected a mapping in 'users', got a scalar"},
    {"bad user name", "auth:\n  users: [{name: 'a b'}]\n", 1,
        ":2:18: invalid user name 'a b' (expected 1..64 letters, digits, "
        "'.', '_', '-' or '@')"},
    {"reserved user name", "auth:\n  users: [{name: default}]\n", 1,
        ":2:18: user name 'default' is reserved"},
    {"duplicate user",
        "auth:\n  users:\n    - name: alice\n    - name: bob\n"
        "    - name: alice\n",
        1, ":5:13: duplicate user 'alice'"},
    {"short hex", "auth:\n  users:\n    - name: a\n      token_sha256: abc\n",
        1,
        ":4:21: invalid token_sha256: expected 64 hex digits (the SHA-256 "
        "of the token, never the token itself), got 3 characters"},
    {"bad hex",
        "auth:\n  users:\n    - name: a\n      token_sha256: "
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g\n",
        1,
        ":4:21: invalid token_sha256: expected 64 hex digits, character 64 "
        "is not one"},
    {"empty token",
        "auth:\n  users:\n    - name: a\n      token_sha256: "
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n",
        1, ":4:21: invalid token_sha256: it is the SHA-256 of an empty token"},
    {"same token",
        "auth:\n  users:\n    - {name: a, token_sha256: " HASH "}\n"
        "    - {name: b, token_sha256: " HASH "}\n",
        1, ":4:14: user 'b' has the same token_sha256 as user 'a'"},
    {"unknown category",
        "auth:\n  users:\n    - name: a\n      commands: ['*', -@write]\n", 1,
        ":4:23: unknown category '@write' (expected @all, @readonly, "
        "@public or @builtin)"},
    {"empty rule", "auth:\n  users:\n    - {name: a, commands: ['-']}\n", 1,
        ":3:28: invalid rule '-'"},
    {"commands not a list", "auth:\n  users:\n    - {name: a, commands: get}\n",
        1, ":3:27: expected a list for 'commands', got a scalar"},
    {"bad uid", "auth:\n  users:\n    - {name: a, unix_uid: [0, -1]}\n", 1,
        ":3:31: invalid unix_uid '-1' (expected an integer 0..4294967294)"},
    {"uid of two users",
        "auth:\n  users:\n    - {name: a, unix_uid: 7}\n"
        "    - {name: b, unix_uid: [8, 7]}\n",
        1, ":4:14: user 'b' has the same unix_uid 7 as user 'a'"},
    {"empty tls_cn", "auth:\n  users:\n    - {name: a, tls_cn: ''}\n", 1,
        ":3:25: expected a non-empty string for 'tls_cn'"},
    {"channels not a list",
        "auth:\n  users:\n    - {name: a, channels: 'news.*'}\n", 1,
        ":3:27: expected a list for 'channels', got a scalar"},
    {"empty channel glob",
        "auth:\n  users:\n    - {name: a, channels: ['x', '']}\n", 1,
        ":3:33: expected a non-empty string for 'channels'"},
    {"channel glob not a string",
        "auth:\n  users:\n    - name: a\n      channels: [[x]]\n", 1,
        ":4:18: expected a non-empty string for 'channels'"},
    {"channel glob with NUL",
        "auth:\n  users:\n    - {name: a, channels: [\"a\\0b\"]}\n", 1,
        ":3:28: 'channels' contains a NUL byte"},
    {"channel -glob",
        "auth:\n  users:\n    - {name: a, channels: ['*', -secret]}\n", 1,
        ":3:33: invalid channel glob '-secret': channels only allows, "
        "there is no -glob (write '[-]secret' for a channel that starts "
        "with '-')"},
    {"channel glob too long",
        "auth:\n  users:\n    - {name: a, channels: [" LONG257 "]}\n", 1,
        ":3:28: invalid channel glob 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' "
        "(longer than 256 bytes)"},
    {"zero pubsub output", "limits:\n  max_pubsub_output: 0\n", 1,
        ":2:22: 'max_pubsub_output' must be at least 1 bytes"},
    {"access prefix too long",
        "log: {level: info}\naccess: {allow: "
        "[10.0.0.0/33]}\n",
        1,
        ":2:18: prefix too long in '10.0.0.0/33' (an IPv4 prefix is at "
        "most 32)"},
    {"access v6 prefix too long", "access:\n  deny: ['::1/129']\n", 1,
        ":2:10: prefix too long in '::1/129' (an IPv6 prefix is at most "
        "128)"},
    {"access bad cidr", "access:\n  allow: [127.0.0.1, 10.0.0.0/8x]\n", 1,
        ":2:22: invalid address range '10.0.0.0/8x' in 'allow' (expected "
        "e.g. 10.0.0.0/8, 10.0.0.13 or ::1)"},
    {"access item not a scalar", "access: {deny: [[10.0.0.1]]}\n", 1,
        ":1:17: expected an address or a range in 'deny', got a list"},
    {"access unknown key", "access: {permit: [10.0.0.1]}\n", 1,
        ":1:10: unknown key 'permit' in access"},
    {"access not a mapping", "access: [10.0.0.1]\n", 1,
        ":1:9: expected a mapping for 'access', got a list"},
    {"listener access bad cidr",
        "listen:\n  - address: 127.0.0.1:1\n    access:\n"
        "      allow: [300.0.0.1]\n",
        1, ":4:15: invalid address range '300.0.0.1' in 'allow'"},
    {"access on a unix socket",
        "listen:\n  - {address: 'unix:/tmp/s', access: {allow: []}}\n", 1,
        ":2:30: 'access' does not apply to a unix socket (its mode, owner "
        "and group do)"},
    {"mode not octal",
        "listen:\n  - address: unix:/tmp/s\n    mode: \"0680\"\n", 1,
        ":3:11: invalid mode '0680' (expected 3 or 4 octal digits, e.g. "
        "\"0660\")"},
    {"mode too long", "listen:\n  - {address: 'unix:/tmp/s', mode: 10660}\n", 1,
        ":2:36: invalid mode '10660'"},
    {"unknown owner",
        "listen:\n  - address: unix:/tmp/s\n    owner: no-such-user-duet\n", 1,
        ":3:12: unknown user 'no-such-user-duet'"},
    {"unknown group",
        "listen:\n  - address: unix:/tmp/s\n    group: no-such-group-duet\n", 1,
        ":3:12: unknown group 'no-such-group-duet'"},
    {"mode on a TCP listener",
        "listen:\n  - {address: '127.0.0.1:1', mode: '0600'}\n", 1,
        ":2:30: 'mode' applies to a unix socket listener only"},
    {"group on a TCP listener",
        "listen:\n  - address: 127.0.0.1:1\n    group: root\n", 1,
        ":3:5: 'group' applies to a unix socket listener only"},
    {"bad max_connections_per_ip", "limits: {max_connections_per_ip: x}\n", 1,
        ":1:34: invalid max_connections_per_ip 'x' (expected an integer "
        "0..2147483647)"},
    {"tls file missing",
        "listen:\n  - address: a:1\n    tls: {cert: /nonexistent/c, key: "
        "/dev/null}\n",
        1,
        ":3:17: cannot read cert file /nonexistent/c: No such file or "
        "directory"},
    {"tls without key", "listen:\n  - address: a:1\n    tls: {cert: c}\n", 2,
        ":3:10: tls needs a 'cert' and a 'key'"},
    {"tls on unix",
        "listen:\n  - address: unix:/tmp/s\n    tls: {cert: /dev/null, "
        "key: /dev/null}\n",
        1, ":2:5: tls is for TCP listeners, not unix sockets"},
    {"tls verify without ca",
        "listen:\n  - address: a:1\n    tls: {cert: /dev/null, key: "
        "/dev/null, verify_client: optional}\n",
        1, ":3:10: verify_client needs a 'client_ca' to verify with"},
    {"tls bad verify",
        "listen:\n  - address: a:1\n    tls: {cert: /dev/null, key: "
        "/dev/null, verify_client: yes}\n",
        1,
        ":3:59: invalid verify_client 'yes' (expected none, optional or "
        "require)"},
    {"tls bad protocol",
        "listen:\n  - address: a:1\n    tls: {cert: /dev/null, key: "
        "/dev/null, protocols: [SSLv3]}\n",
        1,
        ":3:56: invalid TLS protocol 'SSLv3' (expected TLSv1.2 or "
        "TLSv1.3)"},
    {"tls unknown key",
        "listen:\n  - address: a:1\n    tls: {cert: /dev/null, key: "
        "/dev/null, crl: x}\n",
        1, ":3:44: unknown key 'crl' in tls"},
    {"duplicate key", "workers: 1\nlimits: {}\nworkers: 2\n", 1,
        ":3:1: duplicate key 'workers'"},
    {"duplicate nested key", "limits:\n  max_args: 1\n  max_args: 2\n", 1,
        ":3:3: duplicate key 'max_args' in limits"},
    {"syntax error", "limits:\n  max_args: [1\n", 1, ":3:1: "},
    {"bad utf-8", "log: {level: \"\xff\"}\n", 1,
        ":1:15: invalid leading UTF-8 octet"},
    {"two documents", "workers: 1\n---\nworkers: 2\n", 1,
        ":3:1: only one YAML document is allowed"},
    {"workers zero", "workers: 0\n", 1,
        ":1:10: invalid workers '0' (expected auto or an integer 1..1024)"},
    {"blocking threads", "blocking_threads: 1025\n", 1,
        ":1:19: invalid blocking_threads '1025'"},
    {"empty plugin_dir", "plugin_dir: ''\n", 1,
        ":1:13: expected a non-empty string for 'plugin_dir'"},
    {"plugin without path", "plugins:\n  - name: kv\n", 1,
        ":2:5: plugin needs a 'path'"},
    {"plugin not a mapping", "plugins: [kv.so]\n", 1,
        ":1:11: expected a mapping in 'plugins', got a scalar"},
    {"plugin config not a mapping", "plugins:\n  - {path: a, config: 1}\n", 1,
        ":2:23: expected a mapping for 'config', got a scalar"},
    {"plugin config alias",
        "plugins:\n  - path: a\n    config: {a: &x [1], b: *x}\n", 1,
        ":3:17: aliases are not supported in plugin config"},
    {"plugin config duplicate",
        "plugins:\n  - path: a\n    config: {a: 1, "
        "a: 2}\n",
        1, ":3:20: duplicate key 'a' in plugin config"},
    {"bad log level", "log:\n  level: loud\n", 1,
        ":2:10: invalid log level 'loud'"},
    {"origin not a string", "http:\n  allow_origins: [[a]]\n", 1,
        ":2:19: expected a non-empty string for 'allow_origins'"},
    {"links not a list", "links: {a: 1}\n", 1,
        ":1:8: expected a list for 'links', got a mapping\n"},
    {"link not a mapping", "links: [hub]\n", 1,
        ":1:9: expected a mapping in 'links', got a scalar\n"},
    {"link without name",
        "links:\n  - {connect: 'h:1', as: n, token_env: "
        "DUET_TEST_LINK_TOKEN}\n",
        1, ":2:5: link needs a 'name'\n"},
    {"link without connect",
        "links:\n  - {name: hub, as: n, token_env: DUET_TEST_LINK_TOKEN}\n", 1,
        ":2:5: link 'hub' needs a 'connect'\n"},
    {"link without as",
        "links:\n  - {name: Hub, connect: 'h:1', token_env: "
        "DUET_TEST_LINK_TOKEN}\n",
        1, ":2:5: link 'hub' needs an 'as'\n"},
    {"link bad name",
        "links:\n  - {name: hub.x, connect: 'h:1', as: n, "
        "token_env: DUET_TEST_LINK_TOKEN}\n",
        1,
        ":2:12: invalid link name 'hub.x' (expected 1..64 letters, "
        "digits, '_' or '-')\n"},
    {"link name too long",
        "links:\n  - {name: " LONG32 LONG32 "b, connect: 'h:1', as: n, "
        "token_env: DUET_TEST_LINK_TOKEN}\n",
        1, ":2:12: invalid link name '" LONG32 LONG32 "b' (expected 1..64"},
    {"duplicate link",
        "links:\n"
        "  - {name: hub, connect: 'h:1', as: n, token_env: "
        "DUET_TEST_LINK_TOKEN}\n"
        "  - {name: HUB, connect: 'h:2', as: m, token_env: "
        "DUET_TEST_LINK_TOKEN}\n",
        1, ":3:12: duplicate link 'hub'\n"},
    {"link connect without port",
        "links:\n  - {name: h, connect: hub, as: n, token_env: "
        "DUET_TEST_LINK_TOKEN}\n",
        1,
        ":2:24: invalid address 'hub' (expected HOST:PORT or "
        "[IPV6]:PORT)\n"},
    {"link connect bad port",
        "links:\n  - {name: h, connect: 'hub:0', as: n, token_env: "
        "DUET_TEST_LINK_TOKEN}\n",
        1, ":2:24: invalid port '0' in 'hub:0' (expected 1..65535)\n"},
    {"link connect bad v6",
        "links:\n  - {name: h, connect: '[::g]:1', as: n, token_env: "
        "DUET_TEST_LINK_TOKEN}\n",
        1, ":2:24: invalid host '::g' in '[::g]:1'\n"},
    {"link connect v6 without brackets",
        "links:\n  - {name: h, connect: '::1:1', as: n, token_env: "
        "DUET_TEST_LINK_TOKEN}\n",
        1,
        ":2:24: invalid host '::1' in '::1:1' (an IPv6 address goes in "
        "brackets)\n"},
    {"link tls cert without key",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    tls: {cert: /dev/null}\n",
        1,
        ":5:10: tls needs both 'cert' and 'key' (a client certificate), "
        "or neither\n"},
    {"link tls not a boolean",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token_env: DUET_TEST_LINK_TOKEN\n    tls: yes\n",
        1, ":6:10: invalid tls 'yes' (expected true, false or a mapping)\n"},
    {"link tls null",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token_env: DUET_TEST_LINK_TOKEN\n    tls:\n",
        1, ":6:9: expected true, false or a mapping for 'tls', got nothing\n"},
    {"link tls a list",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token_env: DUET_TEST_LINK_TOKEN\n    tls: [ca]\n",
        1, ":6:10: expected true, false or a mapping for 'tls', got a list\n"},
    {"link tls unknown key",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token_env: DUET_TEST_LINK_TOKEN\n    tls: {ciphers: HIGH}\n",
        1, ":6:11: unknown key 'ciphers' in tls\n"},
    {"link tls ca missing",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token_env: DUET_TEST_LINK_TOKEN\n    tls: {ca: /nonexistent/ca}\n",
        1,
        ":6:15: cannot read ca file /nonexistent/ca: No such file or "
        "directory\n"},
    {"link inline token",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token: hunter2\n",
        1,
        ":5:12: a token is not written in the config file: use token_file "
        "or token_env\n"},
    {"link token_file and token_env",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token_env: DUET_TEST_LINK_TOKEN\n"
        "    token_file: /nonexistent/t\n",
        2, ":5:16: use token_file or token_env, not both\n"},
    {"link without a way to log in",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n    tls: true\n", 1,
        ":2:5: link 'h' needs token_file, token_env or a tls cert\n"},
    {"link token_file missing",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token_file: /nonexistent/t\n",
        1,
        ":5:17: cannot read token_file /nonexistent/t: No such file or "
        "directory\n"},
    {"link token_file empty",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token_file: /dev/null\n",
        1, ":5:17: token_file /dev/null is empty\n"},
    {"link token_env unset",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token_env: DUET_TEST_LINK_UNSET\n",
        1, ":5:16: environment variable DUET_TEST_LINK_UNSET is not set\n"},
    {"link token_env empty",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token_env: DUET_TEST_LINK_EMPTY\n",
        1, ":5:16: environment variable DUET_TEST_LINK_EMPTY is empty\n"},
    {"link bad as",
        "links:\n  - name: h\n    connect: h:1\n    as: file server\n"
        "    token_env: DUET_TEST_LINK_TOKEN\n",
        1,
        ":4:9: invalid as 'file server' (expected 1..64 letters, digits, "
        "'_' or '-')\n"},
    {"link bad user",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n    user: a/b\n"
        "    token_env: DUET_TEST_LINK_TOKEN\n",
        1,
        ":5:11: invalid user 'a/b' (expected 1..64 letters, digits, '.', "
        "'_', '-' or '@')\n"},
    {"link unknown key",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token_env: DUET_TEST_LINK_TOKEN\n    exports: [a]\n",
        1, ":6:5: unknown key 'exports' in links\n"},
    {"link export not a list",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token_env: DUET_TEST_LINK_TOKEN\n    export: files.*\n",
        1, ":6:13: expected a list for 'export', got a scalar\n"},
    {"link import empty glob",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token_env: DUET_TEST_LINK_TOKEN\n    import: ['*', '']\n",
        1, ":6:19: expected a non-empty string for 'import'\n"},
    {"link channels_in not strings",
        "links:\n  - name: h\n    connect: h:1\n    as: n\n"
        "    token_env: DUET_TEST_LINK_TOKEN\n    channels_in: [{a: 1}]\n",
        1, ":6:19: expected a non-empty string for 'channels_in'\n"},
    {"user link not a boolean",
        "auth:\n  users:\n    - {name: hub, tls_cn: x, link: yes}\n", 1,
        ":3:36: expected true or false for 'link'\n"},
    {"user link_as without link",
        "auth:\n  users:\n    - {name: hub, tls_cn: x, link_as: fs}\n", 1,
        ":3:39: 'link_as' needs 'link: true'\n"},
    {"user link_as with link false",
        "auth:\n  users:\n    - {name: hub, tls_cn: x, link: false, "
        "link_as: fs}\n",
        1, ":3:52: 'link_as' needs 'link: true'\n"},
    {"user bad link_as",
        "auth:\n  users:\n    - {name: hub, tls_cn: x, link: true, "
        "link_as: f.s}\n",
        1,
        ":3:51: invalid link_as 'f.s' (expected 1..64 letters, digits, "
        "'_' or '-')\n"},
    {"several errors",
        "workers: x\nlimits:\n  foo: 1\n  idle_timeout: 1d\nauth: {}\n", 4,
        ":5:7: auth: needs at least one user"},
};

START_TEST(test_config_access)
{
	struct config *cf =
	    load_good("access:\n"
	              "  allow: [127.0.0.0/8, \"::1\", 10.0.0.0/8]\n"
	              "  deny: [10.0.0.13]\n"
	              "listen:\n"
	              "  - 127.0.0.1:3838\n"
	              "  - address: 127.0.0.1:3839\n"
	              "    access: {allow: [127.0.0.2/32]}\n"
	              "  - address: unix:/tmp/duet-test.sock\n"
	              "    mode: \"0660\"\n"
	              "    owner: \"0\"\n"
	              "    group: root\n"
	              "limits: {max_connections_per_ip: 100}\n");
	struct config_acls *acls;
	const struct cidr_acl *acl;
	char text[CIDR_TEXT_MAX];

	ck_assert_int_eq(cf->access.set, 1);
	ck_assert_uint_eq(cf->access.acl.nallow, 3);
	ck_assert_uint_eq(cf->access.acl.ndeny, 1);
	cidr_format(&cf->access.acl.allow[1], text, sizeof(text));
	ck_assert_str_eq(text, "::1/128");
	cidr_format(&cf->access.acl.deny[0], text, sizeof(text));
	ck_assert_str_eq(text, "10.0.0.13/32");
	ck_assert_int_eq(cf->listen[0].access.set, 0);
	ck_assert_int_eq(cf->listen[1].access.set, 1);
	ck_assert_uint_eq(cf->listen[1].access.acl.nallow, 1);
	ck_assert_int_eq(cf->listen[2].has_mode, 1);
	ck_assert_uint_eq(cf->listen[2].mode, 0660);
	ck_assert_int_eq(cf->listen[2].has_owner, 1);
	ck_assert_uint_eq(cf->listen[2].owner, 0);
	ck_assert_int_eq(cf->listen[2].has_group, 1);
	ck_assert_uint_eq(cf->listen[2].group, 0);
	ck_assert_int_eq(cf->listen[0].has_mode, 0);
	ck_assert_uint_eq(cf->limits.max_connections_per_ip, 100);

	/* A generation's copy: the listener's own lists replace the
	 * global ones there; the others get the global ones. */
	ck_assert_int_eq(config_acls_new(cf, &acls), 0);
	ck_assert_ptr_nonnull(acls);
	acl = config_acls_for(acls, "127.0.0.1:3839");
	ck_assert_uint_eq(acl->nallow, 1);
	ck_assert_uint_eq(acl->ndeny, 0);
	acl = config_acls_for(acls, "127.0.0.1:3838");
	ck_assert_uint_eq(acl->nallow, 3);
	config_acls_free(acls);
	config_free(cf);

	/* Without any access key a generation has no lists at all. */
	cf = load_good("limits: {max_connections: 5}\n");
	ck_assert_int_eq(config_acls_new(cf, &acls), 0);
	ck_assert_ptr_null(acls);
	ck_assert_uint_eq(cf->limits.max_connections_per_ip, 0);
	config_free(cf);
}
END_TEST

START_TEST(test_config_rejects_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	char path[64], want[512], *errtext;
	struct config *cf;
	int nerrors = 0;

	link_env();
	write_temp(path, sizeof(path), c->text);
	cf = load_capture(path, &nerrors, &errtext);
	unlink(path);
	snprintf(want, sizeof(want), "error: %s%s", path, c->msg);
	ck_assert_msg(cf == NULL, "%s: accepted", c->name);
	ck_assert_msg(nerrors == c->nerrors, "%s: %d errors, want %d:\n%s",
	    c->name, nerrors, c->nerrors, errtext);
	ck_assert_msg(strstr(errtext, want) != NULL, "%s: want '%s' in:\n%s",
	    c->name, want, errtext);
	free(errtext);
}
END_TEST

/* Writes a plugin config of depth nested maps: {a: {a: ... {}}}. */
static void
write_nested(char *path, size_t size, int depth)
{
	char text[1024];
	size_t n;
	int i;

	n = (size_t)snprintf(
	    text, sizeof(text), "plugins:\n  - path: a\n    config: ");
	for (i = 1; i < depth; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "{a: ");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "{}");
	for (i = 1; i < depth; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "}");
	snprintf(text + n, sizeof(text) - n, "\n");
	write_temp(path, size, text);
}

/* msgpack-c 4 unpacks 32 levels, so the config map may hold 32. */
START_TEST(test_config_deep_plugin_config)
{
	char path[64], want[128], *errtext;
	struct config *cf;
	int nerrors;

	write_nested(path, sizeof(path), 32);
	cf = load_capture(path, &nerrors, &errtext);
	unlink(path);
	ck_assert_msg(cf != NULL, "%s", errtext);
	ck_assert_uint_eq(cf->plugins[0].config_len, 1 + 31 * 3);
	config_free(cf);
	free(errtext);

	write_nested(path, sizeof(path), 33);
	cf = load_capture(path, &nerrors, &errtext);
	unlink(path);
	ck_assert_ptr_null(cf);
	ck_assert_int_eq(nerrors, 1);
	snprintf(want, sizeof(want),
	    "error: %s:3:141: plugin config is nested deeper than 32 levels",
	    path);
	ck_assert_msg(strstr(errtext, want) != NULL, "%s", errtext);
	free(errtext);
}
END_TEST

START_TEST(test_config_missing_file)
{
	const char *path = "/tmp/test_config.does-not-exist.yaml";
	char *errtext;
	struct config *cf;
	int nerrors = 0;

	cf = load_capture(path, &nerrors, &errtext);
	ck_assert_ptr_null(cf);
	ck_assert_int_eq(nerrors, 1);
	ck_assert_str_eq(errtext,
	    "error: /tmp/test_config.does-not-exist.yaml: "
	    "No such file or directory\n");
	free(errtext);
}
END_TEST

START_TEST(test_config_free_null)
{
	config_free(NULL);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("defaults");
	tcase_add_loop_test(
	    tc, test_config_empty_is_defaults, 0, NELEM(empty_files));
	tcase_add_test(tc, test_config_default_file);
	tcase_add_test(tc, test_config_free_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, test_config_full);
	tcase_add_test(tc, test_config_workers_auto);
	tcase_add_test(tc, test_config_listen_forms);
	tcase_add_test(tc, test_config_access);
	tcase_add_test(tc, test_config_listen_tls);
	tcase_add_test(tc, test_config_relative_plugin_dir);
	suite_add_tcase(s, tc);

	tc = tcase_create("plugins");
	tcase_add_test(tc, test_config_plugins);
	tcase_add_test(tc, test_config_plugin_config_types);
	tcase_add_test(tc, test_config_deep_plugin_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("auth");
	tcase_add_test(tc, test_config_auth_users);
	tcase_add_test(tc, test_config_auth_rule_parse);
	tcase_add_test(tc, test_config_auth_channels);
	suite_add_tcase(s, tc);

	tc = tcase_create("links");
	tcase_add_test(tc, test_config_links);
	tcase_add_test(tc, test_config_link_token_file);
	tcase_add_test(tc, test_config_link_token_not_echoed);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_config_rejects_bad, 0, NELEM(bad_cases));
	tcase_add_test(tc, test_config_missing_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
