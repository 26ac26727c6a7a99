/* SPDX-License-Identifier: MIT */
/*
 * util - small helpers every module uses: the error struct that carries a
 * code and a message to RESP and HTTP alike, strict number parsing, sizes
 * and durations as written in duetd.yaml, and UTF-8 validation.  No state.
 */
#ifndef DUET_UTIL_H
#define DUET_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* An error: a short code ("ERR", "NOAUTH", a plugin's own) and a message. */
struct duet_err {
	char code[32];
	char msg[512];
	int status; /* HTTP status for this error, 0 = decided by the caller */
};

void util_err_set(struct duet_err *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void util_err_vset(struct duet_err *err, const char *code, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));
void util_repr(char *s, size_t size);

int util_parse_int64(const char *s, size_t len, int64_t *out);
int util_parse_uint64(const char *s, size_t len, uint64_t *out);
int util_parse_double(const char *s, size_t len, double *out);
int util_parse_size(const char *s, uint64_t *out);
int util_parse_duration(const char *s, uint64_t *out_ms);
int util_utf8_valid(const char *s, size_t len);
int util_printable(const char *s, size_t len, int space_ok);
int util_strcaseeq(const char *a, size_t alen, const char *b);
void util_strlcpy(char *dst, const char *src, size_t size);
int util_glob_match(
    const char *pat, size_t plen, const char *s, size_t slen);
uint64_t util_hash(const uint64_t key[2], const char *p, size_t len);

char **util_strv_dup(char *const *v, size_t n, int *failed);
void util_strv_free(char **v, size_t n);

#endif /* DUET_UTIL_H */
