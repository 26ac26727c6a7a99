/* SPDX-License-Identifier: MIT */
/*
 * log - one line per event on stderr, with a level (journald keeps it)
 * and, unless stderr is the journal, the time in UTC.  log_warn appends
 * strerror(errno); log_warnx does not.  fatal/fatalx are for startup
 * failures and broken invariants only.  Thread-safe.
 */
#ifndef DUET_LOG_H
#define DUET_LOG_H

#include <stddef.h>
#include <time.h>

enum log_level {
	LOG_LVL_DEBUG,
	LOG_LVL_INFO,
	LOG_LVL_WARN,
	LOG_LVL_ERROR,
};

/* Whether lines start with the time (duetd.yaml log.timestamps). */
enum log_timestamps {
	LOG_TS_AUTO,   /* unless stderr is the journal ($JOURNAL_STREAM) */
	LOG_TS_ALWAYS, /* every line */
	LOG_TS_NEVER,  /* no line */
};

/* Bytes of "2026-12-02T15:20:01.123Z", without the NUL. */
#define LOG_TIME_LEN 24

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
int log_level_parse(const char *name, enum log_level *out);
void log_set_timestamps(enum log_timestamps mode);
int log_timestamps_parse(const char *name, enum log_timestamps *out);
size_t log_format_time(const struct timespec *ts, char *buf, size_t size);
int log_is_journal(const char *env, int fd);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_at(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif /* DUET_LOG_H */
