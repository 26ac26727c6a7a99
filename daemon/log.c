/* SPDX-License-Identifier: MIT */
/*
 * log - one line per event on stderr: "<level>: <message>".
 *
 * journald (or whoever reads stderr) adds the time, so the line stays
 * plain.  Each line is built in a stack buffer and written with one
 * fprintf, so lines from several threads never interleave; the level is an
 * atomic, so log_set_level is safe at any time.  Lines longer than
 * LOG_LINE_MAX are truncated.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define LOG_LINE_MAX 4096

static atomic_int log_level = LOG_LVL_INFO;

static const char *const log_names[] = {
    [LOG_LVL_DEBUG] = "debug",
    [LOG_LVL_INFO] = "info",
    [LOG_LVL_WARN] = "warn",
    [LOG_LVL_ERROR] = "error",
};

static void log_vline(enum log_level, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

/*
 * Formats and writes one line at level, appending ": strerror(errnum)" when
 * errnum is not 0.  Lines below the current level are dropped.
 */
static void
log_vline(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n;
	int r;

	if ((int)level < atomic_load(&log_level))
		return;
	r = vsnprintf(line, sizeof(line), fmt, ap);
	n = r < 0 ? 0 : (size_t)r;
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	line[n] = '\0';
	if (errnum != 0 && n < sizeof(line) - 1) {
		errno = errnum;
		snprintf(line + n, sizeof(line) - n, ": %m");
	}
	fprintf(stderr, "%s: %s\n", log_names[level], line);
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
