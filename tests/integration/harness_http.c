/* SPDX-License-Identifier: MIT */
/*
 * harness_http - what the HTTP integration tests share: a parser of HTTP
 * responses (from a raw socket or from `curl -i` output) that checks what
 * every duetd response must carry (Server, a well-formed Date, framing by
 * Content-Length), exact comparison of a response with its expected
 * status line, headers (in any order) and body, and a msgpack to JSON
 * renderer following duetd's documented mapping, so that msgpack replies
 * can be compared with JSON ones.  Failures are Check asserts.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

#define HARNESS_HTTP_MAX_HEAD 65536

/*
 * Returns a loopback TCP port that was free a moment ago, for a listener of
 * the daemon.  The kernel may hand the same ephemeral port out twice once
 * it is closed, so a port this process picked before is never returned
 * again: a test that picks the ports of several listeners, then starts the
 * daemon on a fresh main port, gets distinct ones.
 */
int
harness_pick_port(void)
{
	static int picked[256];
	static size_t next; /* picks so far; picked[] keeps the last 256 */
	struct sockaddr_in sin;
	socklen_t slen;
	size_t i;
	int fd, port, tries;

	for (tries = 0;; tries++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_ge(fd, 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		slen = sizeof(sin);
		ck_assert_int_eq(
		    bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
		ck_assert_int_eq(
		    getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
		port = ntohs(sin.sin_port);
		close(fd);
		for (i = 0; i < next && i < 256 && picked[i] != port; i++)
			;
		if (i == next || i == 256 || tries == 100)
			break;
	}
	picked[next++ % 256] = port;
	return port;
}

/* Whether s is an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". */
static int
harness_http_date_ok(const char *s)
{
	struct tm tm;
	const char *end;

	if (strlen(s) != 29)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	return end != NULL && *end == '\0';
}

/* Checks the status line and the headers every response carries. */
static void
harness_http_check_common(const struct harness_http *r)
{
	const char *v;

	ck_assert_msg(strncmp(r->line, "HTTP/1.1 ", 9) == 0 &&
	        isdigit((unsigned char)r->line[9]) &&
	        isdigit((unsigned char)r->line[10]) &&
	        isdigit((unsigned char)r->line[11]) && r->line[12] == ' ' &&
	        r->line[13] != '\0',
	    "bad status line \"%s\"", r->line);
	if (r->status < 200)
		return;
	v = harness_http_header(r, "Server");
	ck_assert_msg(v != NULL && strcmp(v, "duetd") == 0,
	    "%s: Server is \"%s\", not duetd", r->line, v != NULL ? v : "");
	v = harness_http_header(r, "Date");
	ck_assert_msg(v != NULL && harness_http_date_ok(v),
	    "%s: bad or missing Date \"%s\"", r->line, v != NULL ? v : "");
}

/* Splits one "Name: value" line (NUL-terminated, in place) into r. */
static void
harness_http_add_header(struct harness_http *r, char *line)
{
	char *colon = strchr(line, ':'), *v, *end;

	ck_assert_msg(colon != NULL && colon != line,
	    "%s: header line without a name: \"%s\"", r->line, line);
	ck_assert_msg(r->nheaders < HARNESS_HTTP_MAX_HEADERS,
	    "%s: too many headers", r->line);
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	r->names[r->nheaders] = line;
	r->values[r->nheaders++] = v;
}

/*
 * Parses the head buf[0..len) (ending with the empty line) into r.
 */
static void
harness_http_parse_head(struct harness_http *r, const char *buf, size_t len)
{
	char *p, *eol;
	size_t n;

	memset(r, 0, sizeof(*r));
	r->head = malloc(len + 1);
	ck_assert_ptr_nonnull(r->head);
	memcpy(r->head, buf, len);
	r->head[len] = '\0';
	p = r->head;
	eol = strstr(p, "\r\n");
	ck_assert_ptr_nonnull(eol);
	n = (size_t)(eol - p);
	ck_assert_msg(n < sizeof(r->line), "status line too long");
	memcpy(r->line, p, n);
	r->line[n] = '\0';
	r->status = atoi(r->line + 9 > r->line + n ? "" : r->line + 9);
	for (p = eol + 2; (eol = strstr(p, "\r\n")) != NULL && eol != p;
	     p = eol + 2) {
		*eol = '\0';
		harness_http_add_header(r, p);
	}
	harness_http_check_common(r);
}

/*
 * The body length r announces: Content-Length, or 0 for statuses that
 * have no body.  Fails on any other framing.
 */
static size_t
harness_http_body_len(const struct harness_http *r)
{
	const char *cl = harness_http_header(r, "Content-Length"), *te;
	char *end;
	unsigned long long n;

	te = harness_http_header(r, "Transfer-Encoding");
	ck_assert_msg(
	    te == NULL, "%s: unexpected Transfer-Encoding %s", r->line, te);
	if (r->status < 200 || r->status == 204 || r->status == 304) {
		ck_assert_msg(cl == NULL, "%s with Content-Length", r->line);
		return 0;
	}
	ck_assert_msg(cl != NULL, "%s: no Content-Length", r->line);
	errno = 0;
	n = strtoull(cl, &end, 10);
	ck_assert_msg(errno == 0 && end != cl && *end == '\0' && n < (1 << 30),
	    "%s: bad Content-Length \"%s\"", r->line, cl);
	return (size_t)n;
}

/*
 * Parses one response at the start of buf[0..len), such as `curl -i`
 * output.  head_only: the response to a HEAD (no body follows its
 * Content-Length).  Returns the number of bytes it took; fails the test
 * if the response is malformed or incomplete.  Free r with
 * harness_http_free().
 */
size_t
harness_http_parse(
    struct harness_http *r, const char *buf, size_t len, int head_only)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	size_t headlen, n;

	ck_assert_msg(end != NULL, "no complete HTTP head in %zu bytes: %.*s",
	    len, (int)(len < 300 ? len : 300), buf);
	headlen = (size_t)(end - buf) + 4;
	harness_http_parse_head(r, buf, headlen);
	n = head_only ? 0 : harness_http_body_len(r);
	ck_assert_msg(len - headlen >= n, "%s: body has %zu of %zu bytes",
	    r->line, len - headlen, n);
	r->body = malloc(n + 1);
	ck_assert_ptr_nonnull(r->body);
	memcpy(r->body, buf + headlen, n);
	r->body[n] = '\0';
	r->bodylen = n;
	return headlen + n;
}

/*
 * Reads one response from fd (a byte at a time up to the end of the
 * head, so that a pipelined next response stays in the socket) and
 * parses it into r.  head_only as for harness_http_parse().
 */
void
harness_http_read(struct harness_http *r, int fd, int head_only)
{
	char *head, *body;
	size_t len = 0, n, got;

	head = malloc(HARNESS_HTTP_MAX_HEAD);
	ck_assert_ptr_nonnull(head);
	while (len < 4 || memcmp(head + len - 4, "\r\n\r\n", 4) != 0) {
		ck_assert_msg(len < HARNESS_HTTP_MAX_HEAD, "endless head");
		body = harness_read_n(fd, 1, HARNESS_TIMEOUT_MS, &got);
		if (got == 0) {
			head[len] = '\0';
			ck_abort_msg("no complete response (closed or timed "
			             "out) after %zu bytes: \"%s\"",
			    len, head);
		}
		head[len++] = body[0];
		free(body);
	}
	harness_http_parse_head(r, head, len);
	free(head);
	n = head_only ? 0 : harness_http_body_len(r);
	r->body = harness_read_n(fd, n, HARNESS_TIMEOUT_MS, &got);
	ck_assert_msg(
	    got == n, "%s: body has %zu of %zu bytes", r->line, got, n);
	r->bodylen = n;
}

/*
 * Returns the value of header name (case-insensitive) in r, or NULL.
 */
const char *
harness_http_header(const struct harness_http *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->names[i], name) == 0)
			return r->values[i];
	}
	return NULL;
}

/*
 * Frees what harness_http_parse() or harness_http_read() allocated.
 */
void
harness_http_free(struct harness_http *r)
{
	free(r->head);
	free(r->body);
	r->head = r->body = NULL;
}

static int
harness_http_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends line to the list, name lower-cased; returns the new count. */
static size_t
harness_http_canon_add(char **list, size_t n, const char *name, size_t namelen,
    const char *value, size_t valuelen)
{
	char *s;
	size_t i;

	ck_assert_uint_lt(n, HARNESS_HTTP_MAX_HEADERS);
	s = malloc(namelen + valuelen + 3);
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < namelen; i++)
		s[i] = (char)tolower((unsigned char)name[i]);
	memcpy(s + namelen, ": ", 2);
	memcpy(s + namelen + 2, value, valuelen);
	s[namelen + 2 + valuelen] = '\0';
	list[n] = s;
	return n + 1;
}

/* Sorts the n lines, joins them with "\r\n" and frees them. */
static char *
harness_http_canon_join(char **list, size_t n)
{
	size_t i, len = 1;
	char *s;

	qsort(list, n, sizeof(*list), harness_http_cmp);
	for (i = 0; i < n; i++)
		len += strlen(list[i]) + 2;
	s = malloc(len);
	ck_assert_ptr_nonnull(s);
	s[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(s, list[i]);
		strcat(s, "\r\n");
		free(list[i]);
	}
	return s;
}

/* r's headers other than Server and Date, sorted, one per line. */
static char *
harness_http_canon_got(const struct harness_http *r)
{
	char *list[HARNESS_HTTP_MAX_HEADERS];
	size_t i, n = 0;

	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->names[i], "Server") == 0 ||
		    strcasecmp(r->names[i], "Date") == 0)
			continue;
		n = harness_http_canon_add(list, n, r->names[i],
		    strlen(r->names[i]), r->values[i], strlen(r->values[i]));
	}
	return harness_http_canon_join(list, n);
}

/* want ("Name: value\r\n" lines), sorted, one per line. */
static char *
harness_http_canon_want(const char *want)
{
	char *list[HARNESS_HTTP_MAX_HEADERS];
	const char *p, *eol, *colon;
	size_t n = 0;

	for (p = want; (eol = strstr(p, "\r\n")) != NULL; p = eol + 2) {
		colon = memchr(p, ':', (size_t)(eol - p));
		ck_assert_msg(colon != NULL && colon[1] == ' ',
		    "bad expected header \"%.*s\"", (int)(eol - p), p);
		n = harness_http_canon_add(list, n, p, (size_t)(colon - p),
		    colon + 2, (size_t)(eol - colon - 2));
	}
	ck_assert_msg(*p == '\0', "expected headers not CRLF-terminated");
	return harness_http_canon_join(list, n);
}

/*
 * Fails the test unless r has exactly the status line line, exactly the
 * headers headers ("Name: value\r\n" each, in any order, besides Server
 * and Date, which every response has) and, unless body is NULL, exactly
 * the body body[0..bodylen).
 */
void
harness_http_expect(const struct harness_http *r, const char *line,
    const char *headers, const void *body, size_t bodylen)
{
	char *got, *want;

	ck_assert_msg(strcmp(r->line, line) == 0,
	    "status line \"%s\", want \"%s\" (body \"%s\")", r->line, line,
	    r->body != NULL ? r->body : "");
	ck_assert_msg(body == NULL ||
	        (r->bodylen == bodylen && memcmp(r->body, body, bodylen) == 0),
	    "%s: body \"%s\" (%zu bytes), want \"%.*s\" (%zu bytes)", line,
	    r->body, r->bodylen, (int)bodylen, (const char *)body, bodylen);
	if (headers == NULL)
		return;
	got = harness_http_canon_got(r);
	want = harness_http_canon_want(headers);
	ck_assert_msg(strcmp(got, want) == 0, "%s: headers\n%s\nwant\n%s", line,
	    got, want);
	free(got);
	free(want);
}

/*
 * harness_http_expect() with a string body.
 */
void
harness_http_expects(const struct harness_http *r, const char *line,
    const char *headers, const char *body)
{
	harness_http_expect(
	    r, line, headers, body, body != NULL ? strlen(body) : 0);
}

/* A growing text buffer for the msgpack renderer. */
struct harness_text {
	char *s;
	size_t len, cap;
};

static void
harness_text_add(struct harness_text *t, const char *p, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		ck_assert_ptr_nonnull(t->s);
	}
	memcpy(t->s + t->len, p, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void
harness_text_adds(struct harness_text *t, const char *s)
{
	harness_text_add(t, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
harness_utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

static int
harness_utf8_ok(const unsigned char *p, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i += k) {
		if ((k = harness_utf8_seq(p + i, n - i)) == 0)
			return 0;
	}
	return 1;
}

/* Appends p[0..n) as a JSON string, escaped as yajl does. */
static void
harness_json_str(struct harness_text *t, const unsigned char *p, size_t n)
{
	char esc[8];
	size_t i;

	harness_text_adds(t, "\"");
	for (i = 0; i < n; i++) {
		switch (p[i]) {
		case '"':
			harness_text_adds(t, "\\\"");
			break;
		case '\\':
			harness_text_adds(t, "\\\\");
			break;
		case '\b':
			harness_text_adds(t, "\\b");
			break;
		case '\f':
			harness_text_adds(t, "\\f");
			break;
		case '\n':
			harness_text_adds(t, "\\n");
			break;
		case '\r':
			harness_text_adds(t, "\\r");
			break;
		case '\t':
			harness_text_adds(t, "\\t");
			break;
		default:
			if (p[i] < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
				harness_text_adds(t, esc);
			} else {
				harness_text_add(t, (const char *)p + i, 1);
			}
		}
	}
	harness_text_adds(t, "\"");
}

/* Appends standard padded base64 of p[0..n). */
static void
harness_base64(struct harness_text *t, const unsigned char *p, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                          "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	size_t i;
	uint32_t v;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		harness_text_add(t, q, 4);
	}
}

/* Bytes: a JSON string when valid UTF-8, else {"$base64":"..."}. */
static void
harness_json_bytes(struct harness_text *t, const unsigned char *p, size_t n)
{
	if (harness_utf8_ok(p, n)) {
		harness_json_str(t, p, n);
		return;
	}
	harness_text_adds(t, "{\"$base64\":\"");
	harness_base64(t, p, n);
	harness_text_adds(t, "\"}");
}

/* A double in its shortest exact %.Ng form, ".0" if integral. */
static void
harness_json_double(struct harness_text *t, double d)
{
	char buf[40];
	int prec, n = 0;

	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (strspn(buf, "-0123456789") == (size_t)n)
		strcat(buf, ".0");
	harness_text_adds(t, buf);
}

/* Big-endian unsigned integer of n bytes at p. */
static uint64_t
harness_be(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

struct harness_mp {
	const unsigned char *p;
	size_t len, off;
	int depth;
};

/* Takes n bytes; 0 if the input ends first. */
static const unsigned char *
harness_mp_take(struct harness_mp *m, uint64_t n)
{
	const unsigned char *q = m->p + m->off;

	if (n > m->len - m->off)
		return NULL;
	m->off += (size_t)n;
	return q;
}

static int harness_mp_value(struct harness_mp *m, struct harness_text *t);

/* n elements (map: n pairs) of a container. */
static int
harness_mp_container(
    struct harness_mp *m, struct harness_text *t, uint64_t n, int map)
{
	uint64_t i;

	if (++m->depth > 64 || n > m->len - m->off)
		return -1;
	harness_text_adds(t, map ? "{" : "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			harness_text_adds(t, ",");
		if (harness_mp_value(m, t) == -1)
			return -1;
		if (map) {
			harness_text_adds(t, ":");
			if (harness_mp_value(m, t) == -1)
				return -1;
		}
	}
	harness_text_adds(t, map ? "}" : "]");
	m->depth--;
	return 0;
}

/* An ext: type 1 (a status) as its text, others {"$ext":T,...}. */
static int
harness_mp_ext(struct harness_mp *m, struct harness_text *t, uint64_t n)
{
	const unsigned char *type = harness_mp_take(m, 1), *d;
	char buf[32];

	if (type == NULL || (d = harness_mp_take(m, n)) == NULL)
		return -1;
	if (*type == 1 && harness_utf8_ok(d, (size_t)n)) {
		harness_json_str(t, d, (size_t)n);
		return 0;
	}
	snprintf(buf, sizeof(buf), "{\"$ext\":%d,\"$base64\":\"",
	    (int)(signed char)*type);
	harness_text_adds(t, buf);
	harness_base64(t, d, (size_t)n);
	harness_text_adds(t, "\"}");
	return 0;
}

/* Numbers: ints, floats. */
static int
harness_mp_number(struct harness_mp *m, struct harness_text *t, unsigned c)
{
	static const size_t width[] = {1, 2, 4, 8};
	const unsigned char *q;
	char buf[32];
	uint64_t v;
	float f;

	if (c == 0xca || c == 0xcb) {
		if ((q = harness_mp_take(m, c == 0xca ? 4 : 8)) == NULL)
			return -1;
		v = harness_be(q, c == 0xca ? 4 : 8);
		if (c == 0xca) {
			uint32_t u = (uint32_t)v;

			memcpy(&f, &u, 4);
			harness_json_double(t, f);
		} else {
			double d;

			memcpy(&d, &v, 8);
			harness_json_double(t, d);
		}
		return 0;
	}
	if ((q = harness_mp_take(m, width[c & 3])) == NULL)
		return -1;
	v = harness_be(q, width[c & 3]);
	if (c >= 0xd0 && width[c & 3] < 8 && v >> (width[c & 3] * 8 - 1))
		v |= ~(uint64_t)0 << (width[c & 3] * 8);
	if (c >= 0xd0)
		snprintf(buf, sizeof(buf), "%lld", (long long)(int64_t)v);
	else
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	harness_text_adds(t, buf);
	return 0;
}

/* Strings and binaries of a length given by n following bytes. */
static int
harness_mp_sized(struct harness_mp *m, struct harness_text *t, unsigned c)
{
	static const size_t width[] = {1, 2, 4};
	const unsigned char *q;
	size_t w;
	uint64_t n;

	w = c >= 0xd9   ? width[c - 0xd9]
	    : c <= 0xc6 ? width[c - 0xc4]
	                : width[c - 0xc7];
	if ((q = harness_mp_take(m, w)) == NULL)
		return -1;
	n = harness_be(q, w);
	if (c >= 0xc7 && c <= 0xc9)
		return harness_mp_ext(m, t, n);
	if ((q = harness_mp_take(m, n)) == NULL)
		return -1;
	harness_json_bytes(t, q, (size_t)n);
	return 0;
}

static int
harness_mp_value(struct harness_mp *m, struct harness_text *t)
{
	const unsigned char *q = harness_mp_take(m, 1);
	char buf[16];
	unsigned c;

	if (q == NULL)
		return -1;
	c = *q;
	if (c <= 0x7f || c >= 0xe0) {
		snprintf(
		    buf, sizeof(buf), "%d", c <= 0x7f ? (int)c : (int)c - 256);
		harness_text_adds(t, buf);
		return 0;
	}
	if (c <= 0x8f || (c >= 0x90 && c <= 0x9f))
		return harness_mp_container(m, t, c & 0x0f, c <= 0x8f);
	if (c <= 0xbf) {
		if ((q = harness_mp_take(m, c & 0x1f)) == NULL)
			return -1;
		harness_json_bytes(t, q, c & 0x1f);
		return 0;
	}
	if (c == 0xc0 || c == 0xc2 || c == 0xc3) {
		harness_text_adds(t,
		    c == 0xc0       ? "null"
		        : c == 0xc2 ? "false"
		                    : "true");
		return 0;
	}
	if ((c >= 0xc4 && c <= 0xc9) || (c >= 0xd9 && c <= 0xdb))
		return harness_mp_sized(m, t, c);
	if (c >= 0xca && c <= 0xd3)
		return harness_mp_number(m, t, c);
	if (c >= 0xd4 && c <= 0xd8)
		return harness_mp_ext(m, t, 1u << (c - 0xd4));
	if (c >= 0xdc) {
		if ((q = harness_mp_take(m, c & 1 ? 4 : 2)) == NULL)
			return -1;
		return harness_mp_container(
		    m, t, harness_be(q, c & 1 ? 4 : 2), c >= 0xde);
	}
	return -1; /* 0xc1, never used */
}

/*
 * Renders the one msgpack value p[0..len) as compact JSON, the way duetd
 * maps msgpack to JSON: bytes as a string when valid UTF-8, otherwise
 * {"$base64":"..."}; the status ext (type 1) as its text, other exts as
 * {"$ext":type,"$base64":"..."}; floats in the shortest form that reads
 * back, with ".0" when integral.  Returns a string owned by the caller,
 * or NULL when p is not exactly one valid msgpack value.
 */
char *
harness_msgpack_json(const void *p, size_t len)
{
	struct harness_mp m = {p, len, 0, 0};
	struct harness_text t = {NULL, 0, 0};

	harness_text_adds(&t, "");
	if (harness_mp_value(&m, &t) == -1 || m.off != len) {
		free(t.s);
		return NULL;
	}
	return t.s;
}
