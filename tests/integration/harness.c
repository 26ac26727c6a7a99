/* SPDX-License-Identifier: MIT */
/*
 * harness - starting and stopping a real duetd, running client programs,
 * and raw socket I/O for the integration tests.  Every wait has a deadline:
 * readiness is a PING loop, the stop waits for SIGCHLD with sigtimedwait,
 * and socket reads poll().  Errors fail the calling Check test.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define HARNESS_READY_MS 10000  /* daemon start to first PONG */
#define HARNESS_STOP_MS  30000  /* SIGTERM to exit */
#define HARNESS_RUN_MS   180000 /* one shell command */
#define HARNESS_ATTEMPTS 3      /* ports tried when one is taken meanwhile */

static const char harness_ping[] = "*1\r\n$4\r\nPING\r\n";

static long long
harness_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline, at least 0, for poll(). */
static int
harness_left(long long deadline)
{
	long long left = deadline - harness_now_ms();

	return left < 0 ? 0 : (int)left;
}

/*
 * Returns a printable copy of p for failure messages: control bytes as
 * \r, \n or \xNN, cut after 400 bytes.  Owned by the caller.
 */
static char *
harness_escape(const char *p, size_t len)
{
	size_t i, n = 0, max = len > 400 ? 400 : len;
	char *s;

	s = malloc(max * 4 + 8);
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < max; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r' || c == '\n')
			n += (size_t)sprintf(
			    s + n, "\\%c", c == '\r' ? 'r' : 'n');
		else if (c < 0x20 || c >= 0x7f || c == '\\')
			n += (size_t)sprintf(s + n, "\\x%02x", c);
		else
			s[n++] = (char)c;
	}
	strcpy(s + n, max < len ? "..." : "");
	return s;
}

/*
 * Returns the value of an environment variable the test suite needs; a
 * missing one fails the test (run the tests through `make check`).
 */
const char *
harness_env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && *v != '\0',
	    "environment variable %s is not set (run via make check)", name);
	return v;
}

/*
 * Creates a fresh private folder and writes its path into dir.
 */
void
harness_tmpdir(char *dir, size_t len)
{
	ck_assert_int_lt(snprintf(dir, len, "/tmp/duet-test-XXXXXX"), (int)len);
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
}

/*
 * Writes text to path, replacing the file.
 */
void
harness_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fputs(text, f) < 0, 0);
	ck_assert_int_eq(fclose(f), 0);
}

/*
 * Removes a folder made by harness_tmpdir and the files in it.
 */
void
harness_rmdir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/*
 * Returns the whole content of path, NUL-terminated, length in *len if len
 * is not NULL.  Owned by the caller.
 */
char *
harness_read_file(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f;
	int c;

	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	buf = malloc(1);
	ck_assert_ptr_nonnull(buf);
	while ((c = fgetc(f)) != EOF) {
		if ((n & 4095) == 0) {
			buf = realloc(buf, n + 4097);
			ck_assert_ptr_nonnull(buf);
		}
		buf[n++] = (char)c;
	}
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

/*
 * SIGCHLD stays blocked in the test process, so that harness_wait() can
 * take it with sigtimedwait(); children get the old mask back before exec.
 */
static sigset_t harness_oldmask;

static void
harness_block_sigchld(void)
{
	static int done;
	sigset_t set;

	if (done)
		return;
	done = 1;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &harness_oldmask);
}

/*
 * Waits up to timeout_ms for pid to exit.  Returns its wait status, or -1
 * if it is still running.
 */
static int
harness_wait(pid_t pid, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	struct timespec ts;
	sigset_t set;
	int status, left;
	pid_t r;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		ck_assert_msg(r != -1, "waitpid: %s", strerror(errno));
		if (r == pid)
			return status;
		if ((left = harness_left(deadline)) == 0)
			return -1;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (long)(left % 1000) * 1000000;
		sigtimedwait(&set, NULL, &ts);
	}
}

/* Runs /bin/sh -c cmd in the child, with stdin/stdout/stderr from fds. */
static void
harness_exec_child(const char *cmd, int in, int out, int err)
{
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(err, 2) == -1)
		_exit(127);
	sigprocmask(SIG_SETMASK, &harness_oldmask, NULL);
	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* Forks "exec duetd -c conf" with its stdout and stderr in h->log. */
static void
harness_spawn(struct harness *h)
{
	char cmd[PATH_MAX * 2 + 32];
	int in, log;

	snprintf(cmd, sizeof(cmd), "exec \"$DUETD\" -c '%s'", h->conf);
	in = open("/dev/null", O_RDONLY);
	log = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	ck_assert_msg(in >= 0 && log >= 0, "open: %s", strerror(errno));
	h->pid = fork();
	ck_assert_int_ge(h->pid, 0);
	if (h->pid == 0)
		harness_exec_child(cmd, in, log, log);
	close(in);
	close(log);
}

/* Connects to 127.0.0.1:port; returns the socket or -1 (no assertion:
 * for probing a server that may not be up yet). */
int
harness_try_connect(int port)
{
	struct sockaddr_in sin;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One PING; returns 1 when +PONG came back. */
static int
harness_pong(int port, long long deadline)
{
	char buf[16];
	size_t n = 0;
	ssize_t r;
	int fd, ok = 0;
	struct pollfd pfd;

	if ((fd = harness_try_connect(port)) == -1)
		return 0;
	if (send(fd, harness_ping, sizeof(harness_ping) - 1, MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(harness_ping) - 1)
		goto done;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (n < 7 && poll(&pfd, 1, harness_left(deadline)) == 1) {
		if ((r = read(fd, buf + n, 7 - n)) <= 0)
			break;
		n += (size_t)r;
	}
	ok = n == 7 && memcmp(buf, "+PONG\r\n", 7) == 0;
done:
	close(fd);
	return ok;
}

/*
 * Waits until the daemon has logged that it is ready (every listener is
 * bound) and then answers PING.  A PONG alone is not enough: another
 * test's daemon may hold the port this one is about to find taken, and
 * would answer for it.  Returns 1 when ready, 0 when the daemon exited
 * because its port was taken meanwhile (retry on another one).
 */
static int
harness_ready(struct harness *h)
{
	long long deadline = harness_now_ms() + HARNESS_READY_MS;
	struct timespec pause = {0, 5 * 1000 * 1000};
	char *log;
	int status;

	while (harness_log_count(h, " ready, ") == 0 ||
	    !harness_pong(h->port, deadline)) {
		if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
			log = harness_log(h);
			if (strstr(log, "in use") != NULL) {
				free(log);
				return 0;
			}
			ck_abort_msg("duetd exited (status 0x%x) at start:\n%s",
			    status, log);
		}
		if (harness_left(deadline) == 0) {
			log = harness_log(h);
			ck_abort_msg(
			    "duetd did not answer PING within %d ms:\n%s",
			    HARNESS_READY_MS, log);
		}
		nanosleep(&pause, NULL);
	}
	return 1;
}

/*
 * Returns where extra_yaml's own top-level "plugins:" list begins (just
 * after that line), or NULL if it has none.
 */
static const char *
harness_plugins_list(const char *extra_yaml)
{
	const char *p;

	if (extra_yaml == NULL)
		return NULL;
	if (strncmp(extra_yaml, "plugins:\n", 9) == 0)
		return extra_yaml + 9;
	p = strstr(extra_yaml, "\nplugins:\n");
	return p != NULL ? p + 10 : NULL;
}

/*
 * Starts duetd on a free loopback port with a config of plugin_dir, a
 * plugins list, the listen list and extra_yaml (may be NULL), and waits
 * until PING answers.  The plugins list has the example plugin demo (from
 * DUET_EXAMPLE_PLUGIN_DIR: it is not in the bundled plugin_dir) when
 * with_demo is set and the test plugin test_plugin (from
 * DUET_TEST_PLUGIN_DIR) unless it is NULL; if extra_yaml has a plugins
 * list of its own, they go at its head.
 */
static void
harness_start_plugins(struct harness *h, const char *plugin_dir, int with_demo,
    const char *test_plugin, const char *extra_yaml)
{
	char items[2048] = "", yaml[8192];
	const char *extra = extra_yaml != NULL ? extra_yaml : "";
	const char *list = harness_plugins_list(extra_yaml);
	int attempt, n = 0;

	harness_block_sigchld();
	harness_env("DUETD");
	if (with_demo)
		n += snprintf(items + n, sizeof(items) - n,
		    "  - path: %s/demo.so\n",
		    harness_env("DUET_EXAMPLE_PLUGIN_DIR"));
	if (test_plugin != NULL)
		n += snprintf(items + n, sizeof(items) - n, "  - path: %s/%s\n",
		    harness_env("DUET_TEST_PLUGIN_DIR"), test_plugin);
	ck_assert_int_lt(n, (int)sizeof(items));
	memset(h, 0, sizeof(*h));
	harness_tmpdir(h->dir, sizeof(h->dir));
	snprintf(h->conf, sizeof(h->conf), "%s/duetd.yaml", h->dir);
	snprintf(h->log, sizeof(h->log), "%s/duetd.log", h->dir);
	for (attempt = 0; attempt < HARNESS_ATTEMPTS; attempt++) {
		h->port = harness_pick_port();
		if (list != NULL)
			n = snprintf(yaml, sizeof(yaml),
			    "plugin_dir: %s\nlisten:\n  - 127.0.0.1:%d\n"
			    "%.*s%s%s",
			    plugin_dir, h->port, (int)(list - extra), extra,
			    items, list);
		else
			n = snprintf(yaml, sizeof(yaml),
			    "plugin_dir: %s\n%s%slisten:\n  - 127.0.0.1:%d\n%s",
			    plugin_dir, items[0] != '\0' ? "plugins:\n" : "",
			    items, h->port, extra);
		ck_assert_int_lt(n, (int)sizeof(yaml));
		harness_write_file(h->conf, yaml);
		harness_spawn(h);
		if (harness_ready(h))
			return;
	}
	ck_abort_msg(
	    "no free port for duetd after %d attempts", HARNESS_ATTEMPTS);
}

/*
 * Starts duetd as harness_start does with the bundled plugins and demo,
 * plus the test plugin named test_plugin (e.g. "defer.so", from
 * DUET_TEST_PLUGIN_DIR) and extra_yaml.
 */
void
harness_start_with(
    struct harness *h, const char *test_plugin, const char *extra_yaml)
{
	harness_start_plugins(
	    h, harness_env("DUET_PLUGIN_DIR"), 1, test_plugin, extra_yaml);
}

/*
 * Starts duetd on a free loopback port, with a config listening there,
 * plugin_dir set to plugin_dir and extra_yaml (may be NULL) appended, and
 * waits until PING answers.  When plugin_dir is NULL, it is DUET_PLUGIN_DIR
 * (the bundled plugins) and the example plugin demo is listed under
 * plugins: as `make run` lists it (at the head of extra_yaml's own block
 * list "plugins:\n  - ...", if it has one).  extra_yaml comes right after
 * the listen list, so it may begin with more "  - ADDRESS" items, followed
 * by other top-level keys.
 */
void
harness_start(struct harness *h, const char *plugin_dir, const char *extra_yaml)
{
	if (plugin_dir == NULL)
		harness_start_plugins(
		    h, harness_env("DUET_PLUGIN_DIR"), 1, NULL, extra_yaml);
	else
		harness_start_plugins(h, plugin_dir, 0, NULL, extra_yaml);
}

/*
 * Stops the daemon with SIGTERM and fails the test unless it exits with
 * status 0 within the deadline (sanitizer reports make the status
 * non-zero).  Removes the temporary folder when all went well.
 */
void
harness_stop(struct harness *h)
{
	char *log;
	int status;

	ck_assert_int_gt(h->pid, 0);
	ck_assert_int_eq(kill(h->pid, SIGTERM), 0);
	status = harness_wait(h->pid, HARNESS_STOP_MS);
	if (status == -1) {
		kill(h->pid, SIGKILL);
		harness_wait(h->pid, HARNESS_STOP_MS);
	}
	h->pid = 0;
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log = harness_log(h);
		ck_abort_msg("duetd did not exit 0 after SIGTERM (status "
		             "0x%x):\n%s",
		    status, log);
	}
	harness_rmdir(h->dir);
}

/*
 * Returns what the daemon wrote to stderr so far.  Owned by the caller.
 */
char *
harness_log(const struct harness *h)
{
	return harness_read_file(h->log, NULL);
}

/* How many times text stands in h's log. */
int
harness_log_count(const struct harness *h, const char *text)
{
	char *log = harness_log(h), *p = log;
	int n = 0;

	while ((p = strstr(p, text)) != NULL) {
		n++;
		p += strlen(text);
	}
	free(log);
	return n;
}

/*
 * Waits until the daemon's log holds text (how a test knows a signal was
 * handled: signals do not queue); fails after HARNESS_TIMEOUT_MS.
 */
void
harness_wait_log(const struct harness *h, const char *text)
{
	long long deadline = harness_now_ms() + HARNESS_TIMEOUT_MS;
	struct timespec pause = {0, 5 * 1000 * 1000};
	char *log;

	do {
		log = harness_log(h);
		if (strstr(log, text) != NULL) {
			free(log);
			return;
		}
		free(log);
		nanosleep(&pause, NULL);
	} while (harness_now_ms() < deadline);
	ck_abort_msg("the log never said '%s'", text);
}

/*
 * Returns the daemon's resident set size in kB (VmRSS).
 */
long
harness_rss_kb(const struct harness *h)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)h->pid);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	ck_assert_int_ge(kb, 0);
	return kb;
}

/* Appends what fd has to *buf; returns 0 at EOF, 1 otherwise. */
static int
harness_drain(int fd, char **buf, size_t *len)
{
	char tmp[65536];
	ssize_t r;

	r = read(fd, tmp, sizeof(tmp));
	if (r == -1 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (r <= 0)
		return 0;
	*buf = realloc(*buf, *len + (size_t)r + 1);
	ck_assert_ptr_nonnull(*buf);
	memcpy(*buf + *len, tmp, (size_t)r);
	*len += (size_t)r;
	(*buf)[*len] = '\0';
	return 1;
}

/* Feeds input to the child and collects its stdout and stderr. */
static void
harness_pump(struct harness_out *o, int fds[3], const char *input, size_t inlen)
{
	long long deadline = harness_now_ms() + HARNESS_RUN_MS;
	struct pollfd pfd[3];
	size_t off = 0;
	ssize_t w;
	int i;

	while (fds[1] != -1 || fds[2] != -1) {
		for (i = 0; i < 3; i++) {
			pfd[i].fd = fds[i];
			pfd[i].events = i == 0 ? POLLOUT : POLLIN;
		}
		ck_assert_msg(poll(pfd, 3, harness_left(deadline)) > 0,
		    "command still running after %d ms", HARNESS_RUN_MS);
		if (pfd[0].revents != 0) {
			w = write(fds[0], input + off, inlen - off);
			if (w > 0)
				off += (size_t)w;
			if (w <= 0 || off == inlen) {
				close(fds[0]);
				fds[0] = -1;
			}
		}
		for (i = 1; i < 3; i++) {
			if (pfd[i].revents != 0 &&
			    !harness_drain(fds[i], i == 1 ? &o->out : &o->err,
			        i == 1 ? &o->outlen : &o->errlen)) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
	}
	if (fds[0] != -1)
		close(fds[0]);
}

/*
 * Runs cmd with /bin/sh and returns its stdout (free it); fails the test
 * unless it exits 0.
 */
char *
harness_run_ok(const char *cmd)
{
	struct harness_out o;
	char *out;

	harness_run(&o, cmd, NULL, 0);
	ck_assert_msg(o.status == 0, "%s: %d %s", cmd, o.status, o.err);
	out = o.out;
	o.out = NULL;
	harness_out_free(&o);
	return out;
}

/*
 * Runs cmd with /bin/sh, writing input (may be NULL) to its stdin, and
 * fills o with its stdout, stderr and exit status.  Free o with
 * harness_out_free().
 */
void
harness_run(
    struct harness_out *o, const char *cmd, const char *input, size_t inlen)
{
	int in[2], out[2], err[2], fds[3], status;
	pid_t pid;

	harness_block_sigchld();
	memset(o, 0, sizeof(*o));
	o->out = calloc(1, 1);
	o->err = calloc(1, 1);
	ck_assert(o->out != NULL && o->err != NULL);
	ck_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 &&
	    pipe2(err, O_CLOEXEC) == 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		harness_exec_child(cmd, in[0], out[1], err[1]);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	fds[0] = in[1];
	fds[1] = out[0];
	fds[2] = err[0];
	if (input == NULL) {
		close(fds[0]);
		fds[0] = -1;
	}
	harness_pump(o, fds, input, inlen);
	status = harness_wait(pid, HARNESS_RUN_MS);
	ck_assert_msg(status != -1, "'%s' did not exit", cmd);
	o->status =
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Frees what harness_run() captured.
 */
void
harness_out_free(struct harness_out *o)
{
	free(o->out);
	free(o->err);
	o->out = o->err = NULL;
}

/*
 * Connects to the daemon at 127.0.0.1:port; fails the test if it can't.
 */
int
harness_connect(int port)
{
	int fd, one = 1;

	harness_block_sigchld();
	fd = harness_try_connect(port);
	ck_assert_msg(
	    fd != -1, "connect 127.0.0.1:%d: %s", port, strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/*
 * Sends all len bytes of p; fails the test on error or after the deadline.
 */
void
harness_send(int fd, const void *p, size_t len)
{
	long long deadline = harness_now_ms() + HARNESS_TIMEOUT_MS;
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	size_t off = 0;
	ssize_t w;

	while (off < len) {
		ck_assert_msg(poll(&pfd, 1, harness_left(deadline)) == 1,
		    "send: peer not reading after %d ms", HARNESS_TIMEOUT_MS);
		w = send(fd, (const char *)p + off, len - off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		ck_assert_msg(w > 0, "send: %s", strerror(errno));
		off += (size_t)w;
	}
}

/*
 * Sends the string s.
 */
void
harness_sends(int fd, const char *s)
{
	harness_send(fd, s, strlen(s));
}

/*
 * Reads until the peer closes (or resets) the connection or timeout_ms
 * pass without it.  Returns the bytes, NUL-terminated, owned by the caller;
 * *closed tells whether the connection was closed.
 */
char *
harness_read_all(int fd, int timeout_ms, size_t *len, int *closed)
{
	long long deadline = harness_now_ms() + timeout_ms;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char *buf = calloc(1, 1);

	ck_assert_ptr_nonnull(buf);
	*len = 0;
	*closed = 0;
	while (poll(&pfd, 1, harness_left(deadline)) == 1) {
		if (!harness_drain(fd, &buf, len)) {
			*closed = 1;
			break;
		}
	}
	return buf;
}

/*
 * Reads until what came so far ends with suffix, the peer closed, or the
 * deadline passed.  Returns the bytes, NUL-terminated, owned by the caller.
 */
char *
harness_read_until(int fd, const char *suffix, size_t *len)
{
	long long deadline = harness_now_ms() + HARNESS_TIMEOUT_MS;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	size_t slen = strlen(suffix);
	char *buf = calloc(1, 1);

	ck_assert_ptr_nonnull(buf);
	*len = 0;
	while (*len < slen || memcmp(buf + *len - slen, suffix, slen) != 0) {
		if (poll(&pfd, 1, harness_left(deadline)) != 1 ||
		    !harness_drain(fd, &buf, len))
			break;
	}
	return buf;
}

/*
 * Reads until n bytes came, the peer closed, or timeout_ms passed.  Returns
 * the bytes (maybe fewer than n), NUL-terminated, owned by the caller.
 */
char *
harness_read_n(int fd, size_t n, int timeout_ms, size_t *len)
{
	long long deadline = harness_now_ms() + timeout_ms;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char *buf = malloc(n + 1);
	ssize_t r;

	ck_assert_ptr_nonnull(buf);
	*len = 0;
	while (*len < n && poll(&pfd, 1, harness_left(deadline)) == 1) {
		r = read(fd, buf + *len, n - *len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		*len += (size_t)r;
	}
	buf[*len] = '\0';
	return buf;
}

/* Fails the test with both byte strings shown. */
static void
harness_compare(const char *got, size_t gotlen, const void *want, size_t len,
    const char *what)
{
	char *g, *w;

	if (gotlen == len && memcmp(got, want, len) == 0)
		return;
	g = harness_escape(got, gotlen);
	w = harness_escape(want, len);
	ck_abort_msg("%s:\n want \"%s\" (%zu bytes)\n  got \"%s\" (%zu bytes)",
	    what, w, len, g, gotlen);
}

/*
 * Reads len bytes and fails the test unless they are exactly want.
 */
void
harness_expect(int fd, const void *want, size_t len)
{
	size_t gotlen;
	char *got;

	got = harness_read_n(fd, len, HARNESS_TIMEOUT_MS, &gotlen);
	harness_compare(got, gotlen, want, len, "reply");
	free(got);
}

/*
 * harness_expect() for a string.
 */
void
harness_expects(int fd, const char *want)
{
	harness_expect(fd, want, strlen(want));
}

/*
 * Fails the test unless exactly want arrives and then the daemon closes
 * the connection.
 */
void
harness_expect_close(int fd, const char *want)
{
	size_t gotlen;
	char *got;
	int closed;

	got = harness_read_all(fd, HARNESS_TIMEOUT_MS, &gotlen, &closed);
	harness_compare(got, gotlen, want, strlen(want), "reply before close");
	ck_assert_msg(closed, "connection still open after \"%s\"", got);
	free(got);
}

/*
 * Waits until the daemon counts exactly n clients (INFO clients asked on
 * fd, which is one of them): how a test knows closed connections are
 * gone.  Fails after 1000 tries.
 */
void
harness_wait_clients(int fd, int n)
{
	char want[64], *got;
	size_t len;
	int tries;

	snprintf(want, sizeof(want), "connected_clients:%d\r\n", n);
	for (tries = 0; tries < 1000; tries++) {
		harness_sends(fd, "INFO clients\r\n");
		got = harness_read_until(fd, "\r\n\r\n", &len);
		if (strstr(got, want) != NULL) {
			free(got);
			return;
		}
		free(got);
	}
	ck_abort_msg("the daemon never counted %d clients", n);
}

/*
 * On a new connection, sends req and expects exactly want in reply.
 */
void
harness_roundtrip(int port, const char *req, const char *want)
{
	int fd = harness_connect(port);

	harness_sends(fd, req);
	harness_expects(fd, want);
	close(fd);
}
