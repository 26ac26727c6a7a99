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
    {"auth", "auth:\n  users: []\n", 1,
        ":1:1: 'auth' is not supported by this build yet"},
    {"access", "log: {level: info}\naccess: {allow: []}\n", 1,
        ":2:1: 'access' is not supported by this build yet"},
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
    {"several errors",
        "workers: x\nlimits:\n  foo: 1\n  idle_timeout: 1d\nauth: {}\n", 4,
        ":5:1: 'auth' is not supported by this build yet"},
};

START_TEST(test_config_rejects_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	char path[64], want[512], *errtext;
	struct config *cf;
	int nerrors = 0;

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
	tcase_add_test(tc, test_config_listen_tls);
	tcase_add_test(tc, test_config_relative_plugin_dir);
	suite_add_tcase(s, tc);

	tc = tcase_create("plugins");
	tcase_add_test(tc, test_config_plugins);
	tcase_add_test(tc, test_config_plugin_config_types);
	tcase_add_test(tc, test_config_deep_plugin_config);
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
