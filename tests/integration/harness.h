/* SPDX-License-Identifier: MIT */
/*
 * harness - what the integration tests share: a real duetd on a free
 * loopback port with a generated config in its own temporary folder, its
 * stderr kept in a log file there, readiness by a PING loop with a deadline,
 * a SIGTERM stop that must exit 0 (so sanitizer reports fail the test),
 * shell commands with their output captured, and raw socket helpers that
 * never wait past a deadline.  Failures are reported with Check's asserts,
 * so these helpers are only called from inside a test.
 */
#ifndef DUET_TEST_HARNESS_H
#define DUET_TEST_HARNESS_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>

/* How long a reply may take before a test fails, in milliseconds. */
#define HARNESS_TIMEOUT_MS 10000

struct harness {
	char dir[64];        /* the daemon's temporary folder */
	char conf[PATH_MAX]; /* dir/duetd.yaml */
	char log[PATH_MAX];  /* dir/duetd.log: the daemon's stderr */
	int port;
	pid_t pid;
};

struct harness_out {
	char *out; /* owned: everything written to stdout */
	size_t outlen;
	char *err; /* owned: everything written to stderr */
	size_t errlen;
	int status; /* exit status, or 128 + signal */
};

const char *harness_env(const char *name);
void harness_tmpdir(char *dir, size_t len);
void harness_write_file(const char *path, const char *text);
void harness_rmdir(const char *dir);
char *harness_read_file(const char *path, size_t *len);

void harness_start_with(
    struct harness *h, const char *test_plugin, const char *extra_yaml);
void harness_start(
    struct harness *h, const char *plugin_dir, const char *extra_yaml);
void harness_stop(struct harness *h);
char *harness_log(const struct harness *h);
int harness_log_count(const struct harness *h, const char *text);
void harness_wait_log(const struct harness *h, const char *text);
long harness_rss_kb(const struct harness *h);

void harness_run(
    struct harness_out *o, const char *cmd, const char *input, size_t inlen);
void harness_out_free(struct harness_out *o);
char *harness_run_ok(const char *cmd);

int harness_connect(int port);
int harness_try_connect(int port);
void harness_send(int fd, const void *p, size_t len);
void harness_sends(int fd, const char *s);
char *harness_read_all(int fd, int timeout_ms, size_t *len, int *closed);
char *harness_read_until(int fd, const char *suffix, size_t *len);
char *harness_read_n(int fd, size_t n, int timeout_ms, size_t *len);
void harness_expect(int fd, const void *want, size_t len);
void harness_expects(int fd, const char *want);
void harness_expect_close(int fd, const char *want);
void harness_roundtrip(int port, const char *req, const char *want);
void harness_wait_clients(int fd, int n);

/* One HTTP response, parsed by harness_http_parse() or _read(). */
#define HARNESS_HTTP_MAX_HEADERS 64
struct harness_http {
	int status;
	char line[256]; /* the status line, without CRLF */
	char *head;     /* owned: the head; names and values point here */
	char *names[HARNESS_HTTP_MAX_HEADERS];
	char *values[HARNESS_HTTP_MAX_HEADERS];
	size_t nheaders;
	char *body; /* owned, NUL-terminated */
	size_t bodylen;
};

int harness_pick_port(void);
size_t harness_http_parse(
    struct harness_http *r, const char *buf, size_t len, int head_only);
void harness_http_read(struct harness_http *r, int fd, int head_only);
const char *harness_http_header(const struct harness_http *r, const char *name);
void harness_http_free(struct harness_http *r);
void harness_http_expect(const struct harness_http *r, const char *line,
    const char *headers, const void *body, size_t bodylen);
void harness_http_expects(const struct harness_http *r, const char *line,
    const char *headers, const char *body);
char *harness_msgpack_json(const void *p, size_t len);

#endif /* DUET_TEST_HARNESS_H */
