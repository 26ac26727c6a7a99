/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for log: the RFC 3339 time of a line, $JOURNAL_STREAM
 * against stderr's device and inode, the timestamps modes, and whole
 * lines as written to stderr (captured in a temporary file), from one
 * thread and from several at once.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "log.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A stamped line: the time, one space, a level. */
#define LOG_STAMP_RE                                                           \
	"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "

struct time_case {
	time_t sec;
	long nsec;
	const char *text;
};

static const struct time_case time_cases[] = {
    {0, 0, "1970-01-01T00:00:00.000Z"},
    {1796224801, 123000000, "2026-12-02T15:20:01.123Z"},
    {1796224801, 123999999, "2026-12-02T15:20:01.123Z"}, /* truncated */
    {1796224801, 999999999, "2026-12-02T15:20:01.999Z"},
    {951868799, 1000000, "2000-02-29T23:59:59.001Z"},
    {253402300799, 0, "9999-12-31T23:59:59.000Z"},
};

START_TEST(test_log_formats_rfc3339_utc)
{
	const struct time_case *c = &time_cases[_i];
	struct timespec ts = {c->sec, c->nsec};
	char buf[LOG_TIME_LEN + 1];

	memset(buf, 'x', sizeof(buf));
	ck_assert_uint_eq(log_format_time(&ts, buf, sizeof(buf)), LOG_TIME_LEN);
	ck_assert_str_eq(buf, c->text);
}
END_TEST

START_TEST(test_log_time_refuses_what_does_not_fit)
{
	struct timespec ts = {0, 0};
	struct timespec y10k = {253402300800, 0}; /* 10000-01-01 */
	struct timespec bad_ns = {0, 1000000000L};
	char buf[64];

	ck_assert_uint_eq(log_format_time(&ts, buf, LOG_TIME_LEN), 0);
	ck_assert_uint_eq(log_format_time(&y10k, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(log_format_time(&bad_ns, buf, sizeof(buf)), 0);
}
END_TEST

static const struct {
	const char *name;
	int ok;
	enum log_timestamps mode;
} ts_names[] = {
    {"auto", 1, LOG_TS_AUTO},
    {"always", 1, LOG_TS_ALWAYS},
    {"never", 1, LOG_TS_NEVER},
    {"", 0, LOG_TS_AUTO},
    {"Always", 0, LOG_TS_AUTO},
    {"yes", 0, LOG_TS_AUTO},
    {"true", 0, LOG_TS_AUTO},
    {"never ", 0, LOG_TS_AUTO},
};

START_TEST(test_log_timestamps_parse)
{
	enum log_timestamps mode = (enum log_timestamps)42;
	int r = log_timestamps_parse(ts_names[_i].name, &mode);

	ck_assert_int_eq(r, ts_names[_i].ok ? 0 : -1);
	if (ts_names[_i].ok)
		ck_assert_int_eq(mode, ts_names[_i].mode);
	else
		ck_assert_int_eq(mode, 42);
}
END_TEST

/* Opens a fresh temporary file (already unlinked); returns its fd. */
static int
log_tmpfile(void)
{
	char path[] = "/tmp/test_log.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ne(fd, -1);
	unlink(path);
	return fd;
}

START_TEST(test_log_journal_stream_matches_dev_ino)
{
	char env[128];
	struct stat st;
	int fd = log_tmpfile(), other = log_tmpfile();

	ck_assert_int_eq(fstat(fd, &st), 0);
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino);
	ck_assert_int_eq(log_is_journal(env, fd), 1);
	/* The variable was inherited, but this output goes elsewhere. */
	ck_assert_int_eq(log_is_journal(env, other), 0);
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino + 1);
	ck_assert_int_eq(log_is_journal(env, fd), 0);
	snprintf(env, sizeof(env), "%ju:%ju ", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino);
	ck_assert_int_eq(log_is_journal(env, fd), 0);
	snprintf(env, sizeof(env), "+%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino);
	ck_assert_int_eq(log_is_journal(env, fd), 0);
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino);
	ck_assert_int_eq(log_is_journal(env, -1), 0);
	ck_assert_int_eq(log_is_journal(NULL, fd), 0);
	ck_assert_int_eq(log_is_journal("", fd), 0);
	ck_assert_int_eq(log_is_journal(":", fd), 0);
	ck_assert_int_eq(log_is_journal("12", fd), 0);
	ck_assert_int_eq(log_is_journal("1:2:3", fd), 0);
	close(fd);
	close(other);
}
END_TEST

/* Points stderr at a fresh temporary file; returns the old stderr. */
static int
log_capture_begin(int *fd)
{
	int saved;

	*fd = log_tmpfile();
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ne(saved, -1);
	ck_assert_int_ne(dup2(*fd, STDERR_FILENO), -1);
	return saved;
}

/* Puts stderr back and returns what was written (free it). */
static char *
log_capture_end(int fd, int saved)
{
	char *buf;
	off_t len;
	ssize_t n;

	dup2(saved, STDERR_FILENO);
	close(saved);
	len = lseek(fd, 0, SEEK_END);
	ck_assert_int_ge(len, 0);
	buf = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	n = pread(fd, buf, (size_t)len, 0);
	ck_assert_int_eq(n, len);
	buf[len] = '\0';
	close(fd);
	return buf;
}

/* Fails unless line matches the extended regular expression re. */
static void
log_expect_match(const char *line, const char *re)
{
	regex_t rx;

	ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&rx, line, 0, NULL, 0) == 0,
	    "'%s' does not match %s", line, re);
	regfree(&rx);
}

START_TEST(test_log_line_modes)
{
	char *text, *second, *third;
	int fd, saved = log_capture_begin(&fd);

	log_set_timestamps(LOG_TS_ALWAYS);
	log_info("hello %d", 1);
	log_set_timestamps(LOG_TS_NEVER);
	log_warnx("plain");
	log_set_timestamps(LOG_TS_ALWAYS);
	errno = ENOENT;
	log_warn("open x");
	text = log_capture_end(fd, saved);
	second = strchr(text, '\n');
	ck_assert_ptr_nonnull(second);
	*second++ = '\0';
	third = strchr(second, '\n');
	ck_assert_ptr_nonnull(third);
	*third++ = '\0';
	log_expect_match(text, LOG_STAMP_RE "info: hello 1$");
	ck_assert_str_eq(second, "warn: plain");
	log_expect_match(third,
	    LOG_STAMP_RE "warn: open x: No such file or "
	                 "directory\n$");
	ck_assert_int_eq(errno, ENOENT);
	free(text);
}
END_TEST

/* auto: no time when $JOURNAL_STREAM names stderr, else the time. */
START_TEST(test_log_auto_follows_journal_stream)
{
	char env[128], *text;
	struct stat st;
	int fd, saved = log_capture_begin(&fd);

	ck_assert_int_eq(fstat(fd, &st), 0);
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino);
	ck_assert_int_eq(setenv("JOURNAL_STREAM", env, 1), 0);
	log_set_timestamps(LOG_TS_AUTO);
	log_info("to the journal");
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino + 1);
	ck_assert_int_eq(setenv("JOURNAL_STREAM", env, 1), 0);
	log_set_timestamps(LOG_TS_AUTO);
	log_info("redirected");
	ck_assert_int_eq(unsetenv("JOURNAL_STREAM"), 0);
	log_set_timestamps(LOG_TS_AUTO);
	log_info("no journal");
	text = log_capture_end(fd, saved);
	log_expect_match(text,
	    "^info: to the journal\n" LOG_STAMP_RE
	    "info: redirected\n" LOG_STAMP_RE "info: no journal\n$");
	free(text);
}
END_TEST

START_TEST(test_log_truncates_long_lines)
{
	char *text, *big;
	size_t len;
	int fd, saved = log_capture_begin(&fd);

	big = malloc(10000);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 9999);
	big[9999] = '\0';
	log_set_timestamps(LOG_TS_ALWAYS);
	log_error("%s", big);
	text = log_capture_end(fd, saved);
	len = strlen(text);
	ck_assert_uint_lt(len, 4096);
	ck_assert_uint_gt(len, 4000);
	ck_assert_int_eq(text[len - 1], '\n');
	ck_assert_ptr_eq(strchr(text, '\n'), text + len - 1);
	log_expect_match(text, LOG_STAMP_RE "error: a+\n$");
	free(big);
	free(text);
}
END_TEST

#define LOG_THREADS 4
#define LOG_LINES   2000

static void *
log_thread(void *arg)
{
	int id = (int)(intptr_t)arg, i;

	for (i = 0; i < LOG_LINES; i++)
		log_info("thread %d line %d of a line long enough to be torn "
		         "if it were written in parts",
		    id, i);
	return NULL;
}

/* Lines logged by several threads at once each arrive whole. */
START_TEST(test_log_threads_write_whole_lines)
{
	pthread_t th[LOG_THREADS];
	char *text, *line, *save = NULL;
	int fd, saved, i, n = 0;

	saved = log_capture_begin(&fd);
	log_set_timestamps(LOG_TS_ALWAYS);
	for (i = 0; i < LOG_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, log_thread,
		                     (void *)(intptr_t)i),
		    0);
	for (i = 0; i < LOG_THREADS; i++)
		pthread_join(th[i], NULL);
	text = log_capture_end(fd, saved);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		log_expect_match(line,
		    LOG_STAMP_RE "info: thread [0-9] line "
		                 "[0-9]+ of a line long "
		                 "enough to be torn if it "
		                 "were written in parts$");
		n++;
	}
	ck_assert_int_eq(n, LOG_THREADS * LOG_LINES);
	free(text);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc;

	tc = tcase_create("time");
	tcase_add_loop_test(
	    tc, test_log_formats_rfc3339_utc, 0, NELEM(time_cases));
	tcase_add_test(tc, test_log_time_refuses_what_does_not_fit);
	suite_add_tcase(s, tc);

	tc = tcase_create("journal");
	tcase_add_loop_test(tc, test_log_timestamps_parse, 0, NELEM(ts_names));
	tcase_add_test(tc, test_log_journal_stream_matches_dev_ino);
	suite_add_tcase(s, tc);

	tc = tcase_create("lines");
	tcase_add_test(tc, test_log_line_modes);
	tcase_add_test(tc, test_log_auto_follows_journal_stream);
	tcase_add_test(tc, test_log_truncates_long_lines);
	tcase_add_test(tc, test_log_threads_write_whole_lines);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
