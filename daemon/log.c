/* SPDX-License-Identifier: MIT */
/*
 * log - one line per event on stderr: "[<time> ]<level>: <message>".
 *
 * The time is RFC 3339 in UTC with milliseconds (2026-12-02T15:20:01.123Z)
 * and is left out when stderr is the journal, which stamps lines itself:
 * log_set_timestamps(LOG_TS_AUTO) compares $JOURNAL_STREAM with stderr's
 * device and inode, as systemd.exec(5) says to.  Until log_set_timestamps
 * is called, lines carry no time.  Each line is built in a stack buffer
 * and written with one write(2), so lines from several threads never
 * interleave; the level and the stamping are atomics, so both may change
 * at any time.  Lines longer than LOG_LINE_MAX are truncated.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define LOG_LINE_MAX 4096

static atomic_int log_level = LOG_LVL_INFO;
static atomic_int log_stamp; /* 1: lines start with the time */

static const char *const log_names[] = {
    [LOG_LVL_DEBUG] = "debug",
    [LOG_LVL_INFO] = "info",
    [LOG_LVL_WARN] = "warn",
    [LOG_LVL_ERROR] = "error",
};

static void log_vline(enum log_level, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

/* Writes all of p[0..len) to stderr, retrying after EINTR. */
static void
log_write(const char *p, size_t len)
{
	ssize_t r;

	while (len > 0) {
		r = write(STDERR_FILENO, p, len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		p += r;
		len -= (size_t)r;
	}
}

/*
 * Formats and writes one line at level, appending ": strerror(errnum)" when
 * errnum is not 0.  Lines below the current level are dropped.  errno is
 * left as it was.
 */
static void
log_vline(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	struct timespec now;
	size_t n = 0, room = sizeof(line) - 1; /* one byte for the newline */
	int saved = errno, r;

	if ((int)level < atomic_load(&log_level))
		return;
	if (atomic_load(&log_stamp) &&
	    clock_gettime(CLOCK_REALTIME, &now) == 0 &&
	    (n = log_format_time(&now, line, room)) > 0)
		line[n++] = ' ';
	r = snprintf(line + n, room - n, "%s: ", log_names[level]);
	n += (size_t)r;
	r = vsnprintf(line + n, room - n, fmt, ap);
	n = r < 0 ? n : n + (size_t)r;
	if (n >= room)
		n = room - 1;
	if (errnum != 0 && n < room - 1) {
		errno = errnum;
		r = snprintf(line + n, room - n, ": %m");
		n = r < 0 ? n : n + (size_t)r;
		if (n >= room)
			n = room - 1;
	}
	line[n++] = '\n';
	log_write(line, n);
	errno = saved;
}

/*
 * Writes ts as RFC 3339 in UTC with milliseconds, such as
 * "2026-12-02T15:20:01.123Z" (LOG_TIME_LEN bytes), and a NUL into buf.
 * The milliseconds are truncated, never rounded up.  Returns LOG_TIME_LEN,
 * or 0 when size is too small or the year is outside 0000..9999.  Any
 * thread.
 */
size_t
log_format_time(const struct timespec *ts, char *buf, size_t size)
{
	struct tm tm;
	int r;

	if (size < LOG_TIME_LEN + 1 || gmtime_r(&ts->tv_sec, &tm) == NULL ||
	    tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 || ts->tv_nsec < 0 ||
	    ts->tv_nsec >= 1000000000L)
		return 0;
	r = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts->tv_nsec / 1000000L);
	return r == LOG_TIME_LEN ? LOG_TIME_LEN : 0;
}

/*
 * Returns 1 when env, the value of $JOURNAL_STREAM ("DEVICE:INODE" in
 * decimal, see systemd.exec(5)), names the file fd is open on, so that fd
 * is connected to the journal; 0 otherwise (env NULL or malformed, fd not
 * open, or another file: a process that inherited the variable but
 * redirected its output).
 */
int
log_is_journal(const char *env, int fd)
{
	const char *colon;
	uint64_t dev, ino;
	struct stat st;

	if (env == NULL || (colon = strchr(env, ':')) == NULL ||
	    util_parse_uint64(env, (size_t)(colon - env), &dev) == -1 ||
	    util_parse_uint64(colon + 1, strlen(colon + 1), &ino) == -1 ||
	    fstat(fd, &st) == -1)
		return 0;
	return (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

/*
 * Decides whether lines start with the time: always, never, or (auto)
 * unless stderr is the journal, as $JOURNAL_STREAM tells.  Reads the
 * environment: call it from the main thread (start and reload); lines
 * logged concurrently by other threads see the old or the new choice.
 */
void
log_set_timestamps(enum log_timestamps mode)
{
	int stamp;

	switch (mode) {
	case LOG_TS_ALWAYS:
		stamp = 1;
		break;
	case LOG_TS_NEVER:
		stamp = 0;
		break;
	default:
		stamp =
		    !log_is_journal(getenv("JOURNAL_STREAM"), STDERR_FILENO);
		break;
	}
	atomic_store(&log_stamp, stamp);
}

/*
 * Parses a timestamps mode: auto, always or never.  Returns 0 with *out
 * set, or -1 for any other name.
 */
int
log_timestamps_parse(const char *name, enum log_timestamps *out)
{
	static const char *const names[] = {
	    [LOG_TS_AUTO] = "auto",
	    [LOG_TS_ALWAYS] = "always",
	    [LOG_TS_NEVER] = "never",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum log_timestamps)i;
			return 0;
		}
	}
	return -1;
}

/* Sets the lowest level that is written.  Any thread. */
void
log_set_level(enum log_level level)
{
	atomic_store(&log_level, (int)level);
}

/* Returns the lowest level that is written. */
enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load(&log_level);
}

/*
 * Parses a level name: debug, info, warn (or warning), error.  Returns 0
 * with *out set, or -1 for any other name.
 */
int
log_level_parse(const char *name, enum log_level *out)
{
	if (strcmp(name, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcmp(name, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/* Logs a line at debug level. */
void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LVL_DEBUG, 0, fmt, ap);
	va_end(ap);
}

/* Logs a line at info level. */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LVL_INFO, 0, fmt, ap);
	va_end(ap);
}

/* Logs a line at warn level followed by ": strerror(errno)". */
void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LVL_WARN, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* Logs a line at warn level, without errno. */
void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LVL_WARN, 0, fmt, ap);
	va_end(ap);
}

/* Logs a line at error level, without errno. */
void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
}

/* Logs a line at the given level, without errno. */
void
log_at(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if ((unsigned)level > LOG_LVL_ERROR)
		level = LOG_LVL_ERROR;
	va_start(ap, fmt);
	log_vline(level, 0, fmt, ap);
	va_end(ap);
}

/*
 * Logs at error level with ": strerror(errno)" appended, then exits with
 * status 1.  For startup failures and broken invariants only.
 */
void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LVL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Logs at error level, without errno, then exits with status 1. */
void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
