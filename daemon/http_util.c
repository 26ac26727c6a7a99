/* SPDX-License-Identifier: MIT */
/*
 * http_util - the HTTP codec's helpers around the request parser: the
 * request-line test that tells HTTP from RESP on a new connection, query
 * strings and percent-decoding, comma-separated header values and media
 * types, status reason phrases, and the writers of response heads (with a
 * Date cached per second and per worker thread).  Stateless apart from
 * that cache; the parser itself is in http.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "http.h"
#include "util.h"

/* The head writer's stack buffer; longer heads are written in pieces. */
#define HTTP_HEAD_BUF 1024

static int
http_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Returns the value of hex digit c, or -1.
 */
int
http_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/*
 * Returns true iff s[0..len) is lower[0..lowerlen) (lower-case ASCII)
 * ignoring the ASCII case of s.  Cheaper than util_strcaseeq: the lengths
 * are compared first and only s is folded.
 */
int
http_lower_eq(const char *s, size_t len, const char *lower, size_t lowerlen)
{
	size_t i;

	if (len != lowerlen)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((unsigned char)(c - 'A') < 26)
			c |= 0x20;
		if (c != (unsigned char)lower[i])
			return 0;
	}
	return 1;
}

/*
 * Returns s without the optional whitespace (SP, HTAB) at both ends.
 */
struct http_str
http_trim(struct http_str s)
{
	while (s.len > 0 && http_is_ows(s.ptr[0])) {
		s.ptr++;
		s.len--;
	}
	while (s.len > 0 && http_is_ows(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

/*
 * Takes the next element of a comma-separated header value from *rest,
 * trimmed of OWS (possibly empty: "a,,b" has three).  An absent value
 * (ptr NULL) has none; rest->ptr becomes NULL after the last element.
 * Returns 1 with *elem set (pointing into the value), 0 at the end.
 */
int
http_list_next(struct http_str *rest, struct http_str *elem)
{
	const char *comma;

	if (rest->ptr == NULL)
		return 0;
	comma = memchr(rest->ptr, ',', rest->len);
	elem->ptr = rest->ptr;
	elem->len = comma != NULL ? (size_t)(comma - rest->ptr) : rest->len;
	*elem = http_trim(*elem);
	if (comma == NULL) {
		rest->ptr = NULL;
		rest->len = 0;
	} else {
		rest->len -= (size_t)(comma - rest->ptr) + 1;
		rest->ptr = comma + 1;
	}
	return 1;
}

/*
 * Returns true iff line[0..len) (one line, without its CRLF) reads as an
 * HTTP/1.x request line: 1 to 20 upper-case letters, SP, a target that
 * starts with '/' or is "*", SP, "HTTP/1.0" or "HTTP/1.1".  Used to tell
 * HTTP from RESP, where an inline "GET foo" must stay RESP.
 */
int
http_is_request_line(const char *line, size_t len)
{
	size_t i = 0, t;

	while (i < len && i <= 20 && line[i] >= 'A' && line[i] <= 'Z')
		i++;
	if (i == 0 || i > 20 || i == len || line[i] != ' ')
		return 0;
	for (t = ++i; i < len && line[i] != ' '; i++) {
		if ((unsigned char)line[i] <= 0x20 ||
		    (unsigned char)line[i] >= 0x7f)
			return 0;
	}
	if (i == t || i == len)
		return 0;
	if (line[t] != '/' && !(i - t == 1 && line[t] == '*'))
		return 0;
	i++;
	return len - i == 8 &&
	    (memcmp(line + i, "HTTP/1.0", 8) == 0 ||
	        memcmp(line + i, "HTTP/1.1", 8) == 0);
}

/*
 * Takes the next name=value pair of a query string from *rest ("a=1&b=2",
 * without the '?'), skipping empty pairs; a pair without '=' has an empty
 * value.  The slices are raw (still percent-encoded) and point into the
 * query.  Returns 1 with *name and *value set, or 0 at the end.
 */
int
http_query_next(
    struct http_str *rest, struct http_str *name, struct http_str *value)
{
	const char *amp, *eq;
	size_t n, skip;

	while (rest->len > 0) {
		amp = memchr(rest->ptr, '&', rest->len);
		n = amp != NULL ? (size_t)(amp - rest->ptr) : rest->len;
		skip = amp != NULL ? n + 1 : n;
		name->ptr = rest->ptr;
		name->len = n;
		rest->ptr += skip;
		rest->len -= skip;
		if (n == 0)
			continue;
		if ((eq = memchr(name->ptr, '=', n)) != NULL) {
			name->len = (size_t)(eq - name->ptr);
			value->ptr = eq + 1;
			value->len = n - name->len - 1;
		} else {
			value->ptr = name->ptr + n;
			value->len = 0;
		}
		return 1;
	}
	return 0;
}

/*
 * Returns true iff the comma-separated header value holds token (lower
 * case), ignoring case and OWS ("Connection: keep-alive, Upgrade").
 */
int
http_header_has_token(struct http_str value, const char *token)
{
	struct http_str e;
	size_t n = strlen(token);

	while (http_list_next(&value, &e)) {
		if (http_lower_eq(e.ptr, e.len, token, n))
			return 1;
	}
	return 0;
}

/*
 * Returns true iff an element of a Content-Type or Accept value has the
 * media type type (lower case), ignoring case, OWS and parameters: for
 * "text/html, application/json; q=0.9", "application/json" is true.
 * Wildcards are not expanded.
 */
int
http_media_type_is(struct http_str value, const char *type)
{
	struct http_str e;
	const char *semi;
	size_t n = strlen(type);

	while (http_list_next(&value, &e)) {
		if ((semi = memchr(e.ptr, ';', e.len)) != NULL)
			e.len = (size_t)(semi - e.ptr);
		e = http_trim(e);
		if (http_lower_eq(e.ptr, e.len, type, n))
			return 1;
	}
	return 0;
}

/*
 * Returns the reason phrase of an HTTP status duetd sends, or "Unknown".
 */
const char *
http_reason(int status)
{
	static const struct {
		int status;
		const char *reason;
	} reasons[] = {{100, "Continue"}, {200, "OK"}, {204, "No Content"},
	    {400, "Bad Request"}, {401, "Unauthorized"},
	    {402, "Payment Required"}, {403, "Forbidden"}, {404, "Not Found"},
	    {405, "Method Not Allowed"}, {406, "Not Acceptable"},
	    {407, "Proxy Authentication Required"}, {408, "Request Timeout"},
	    {409, "Conflict"}, {410, "Gone"}, {411, "Length Required"},
	    {412, "Precondition Failed"}, {413, "Content Too Large"},
	    {414, "URI Too Long"}, {415, "Unsupported Media Type"},
	    {416, "Range Not Satisfiable"}, {417, "Expectation Failed"},
	    {421, "Misdirected Request"}, {422, "Unprocessable Content"},
	    {423, "Locked"}, {424, "Failed Dependency"}, {425, "Too Early"},
	    {426, "Upgrade Required"}, {428, "Precondition Required"},
	    {429, "Too Many Requests"},
	    {431, "Request Header Fields Too Large"},
	    {451, "Unavailable For Legal Reasons"},
	    {500, "Internal Server Error"}, {501, "Not Implemented"},
	    {502, "Bad Gateway"}, {503, "Service Unavailable"},
	    {504, "Gateway Timeout"}, {505, "HTTP Version Not Supported"},
	    {507, "Insufficient Storage"}, {508, "Loop Detected"},
	    {511, "Network Authentication Required"}};
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (reasons[i].status == status)
			return reasons[i].reason;
	}
	return "Unknown";
}

/*
 * Returns now as an IMF-fixdate (its length in *len), formatted once per
 * second per thread (workers are threads).
 */
static const char *
http_date(time_t now, size_t *len)
{
	static const char days[7][4] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const char epoch[] = "Thu, 01 Jan 1970 00:00:00 GMT";
	static _Thread_local time_t cached = (time_t)-1;
	static _Thread_local char buf[64];
	static _Thread_local size_t buflen;
	struct tm tm;

	if (now == cached) {
		*len = buflen;
		return buf;
	}
	if (gmtime_r(&now, &tm) == NULL) {
		*len = sizeof(epoch) - 1;
		return epoch;
	}
	snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	buflen = strlen(buf);
	cached = now;
	*len = buflen;
	return buf;
}

/*
 * Writes v in decimal to buf (room for 20 digits and a sign), without a
 * NUL.  Returns the length.
 */
static size_t
http_itoa(char *buf, int64_t v)
{
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	char tmp[20];
	size_t n = 0, i = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		buf[i++] = '-';
	while (n > 0)
		buf[i++] = tmp[--n];
	return i;
}

/* A response head being built on the stack, spilled if it outgrows it. */
struct http_hbuf {
	struct evbuffer *out;
	size_t n;
	char b[HTTP_HEAD_BUF];
};

/* Spills h into h->out and puts s[0..len) (longer than h's room). */
static void
http_hbuf_spill(struct http_hbuf *h, const char *s, size_t len)
{
	evbuffer_add(h->out, h->b, h->n);
	h->n = 0;
	if (len > sizeof(h->b)) {
		evbuffer_add(h->out, s, len);
		return;
	}
	memcpy(h->b, s, len);
	h->n = len;
}

/* Inline: most calls put a literal, whose copy is then a few moves. */
static inline void
http_hbuf_put(struct http_hbuf *h, const char *s, size_t len)
{
	if (len > sizeof(h->b) - h->n) {
		http_hbuf_spill(h, s, len);
		return;
	}
	memcpy(h->b + h->n, s, len);
	h->n += len;
}

/* A string literal, its length known when compiled. */
#define HTTP_HBUF_LIT(h, s) http_hbuf_put((h), (s), sizeof(s) - 1)

static void
http_hbuf_puts(struct http_hbuf *h, const char *s)
{
	http_hbuf_put(h, s, strlen(s));
}

/*
 * The status line, Server and Date of the last head a thread wrote, kept
 * for the next one of the same status in the same second.
 */
struct http_status_cache {
	time_t when;
	int status;
	size_t len;
	char b[192];
};

/*
 * Puts "HTTP/1.1 <status> <reason>\r\nServer: duetd\r\nDate: <date>\r\n"
 * into h, which is empty: a copy of the last one when status and second
 * are the same.
 */
static void
http_hbuf_status(struct http_hbuf *h, int status)
{
	static _Thread_local struct http_status_cache sc = {.when = -1};
	time_t now = time(NULL);
	const char *date;
	size_t len;

	if (sc.when == now && sc.status == status) {
		memcpy(h->b, sc.b, sc.len);
		h->n = sc.len;
		return;
	}
	HTTP_HBUF_LIT(h, "HTTP/1.1 ");
	h->n += http_itoa(h->b + h->n, status);
	HTTP_HBUF_LIT(h, " ");
	http_hbuf_puts(h, http_reason(status));
	HTTP_HBUF_LIT(h, "\r\nServer: duetd\r\nDate: ");
	date = http_date(now, &len);
	http_hbuf_put(h, date, len);
	HTTP_HBUF_LIT(h, "\r\n");
	if (h->n <= sizeof(sc.b)) {
		memcpy(sc.b, h->b, h->n);
		sc.len = h->n;
		sc.when = now;
		sc.status = status;
	}
}

/*
 * Appends a response head to out: the status line (always HTTP/1.1, RFC
 * 9110 2.5), Server, Date, Content-Type when not NULL, then the framing:
 * Content-Length when content_length >= 0, chunked when it is -1 (for an
 * HTTP/1.0 client, which knows no chunked coding, no framing header and
 * the connection closes), none when below -1 (204, 304).  Connection
 * says keep-alive to an HTTP/1.0 client that keeps it and close when the
 * connection closes.  extra_headers (NULL or lines ending in CRLF) are
 * copied verbatim before the empty line.  Usually one evbuffer_add; no
 * printf (it was most of the cost of a small response).
 */
void
http_add_head(struct evbuffer *out, int minor, int status,
    const char *content_type, int64_t content_length, int keep_alive,
    const char *extra_headers)
{
	struct http_hbuf h;
	char num[24];

	h.out = out;
	h.n = 0;
	http_hbuf_status(&h, status);
	if (content_type != NULL) {
		HTTP_HBUF_LIT(&h, "Content-Type: ");
		http_hbuf_puts(&h, content_type);
		HTTP_HBUF_LIT(&h, "\r\n");
	}
	if (content_length >= 0) {
		HTTP_HBUF_LIT(&h, "Content-Length: ");
		http_hbuf_put(&h, num, http_itoa(num, content_length));
		HTTP_HBUF_LIT(&h, "\r\n");
	} else if (content_length == -1 && minor == 0) {
		keep_alive = 0;
	} else if (content_length == -1) {
		HTTP_HBUF_LIT(&h, "Transfer-Encoding: chunked\r\n");
	}
	if (!keep_alive)
		HTTP_HBUF_LIT(&h, "Connection: close\r\n");
	else if (minor == 0)
		HTTP_HBUF_LIT(&h, "Connection: keep-alive\r\n");
	if (extra_headers != NULL)
		http_hbuf_puts(&h, extra_headers);
	HTTP_HBUF_LIT(&h, "\r\n");
	evbuffer_add(out, h.b, h.n);
}

/*
 * Appends the interim "100 Continue" response, which a client sending
 * Expect: 100-continue waits for before its body.
 */
void
http_add_continue(struct evbuffer *out, int minor)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

	(void)minor;
	evbuffer_add(out, cont, sizeof(cont) - 1);
}

/*
 * Percent-decodes s[0..len) into out, which has room for len bytes (it
 * may be s itself).  With plus_is_space, '+' becomes ' ' (query strings).
 * Returns 0 with *outlen set, or -1 on a '%' not followed by two hex
 * digits (*outlen then 0).
 */
int
http_pct_decode(
    const char *s, size_t len, char *out, size_t *outlen, int plus_is_space)
{
	const char *pct, *plus;
	size_t i = 0, n = 0, run;
	int hi, lo;

	*outlen = 0;
	while (i < len) {
		/* Copy the run up to the next '%' (or '+') at once. */
		pct = memchr(s + i, '%', len - i);
		run = (pct != NULL ? (size_t)(pct - s) : len) - i;
		if (plus_is_space && (plus = memchr(s + i, '+', run)) != NULL)
			run = (size_t)(plus - (s + i));
		if (out + n != s + i) /* in place, no escape before */
			memmove(out + n, s + i, run);
		n += run;
		i += run;
		if (i == len)
			break;
		if (s[i] == '+') {
			out[n++] = ' ';
			i++;
			continue;
		}
		if (len - i < 3 || (hi = http_hexval(s[i + 1])) < 0 ||
		    (lo = http_hexval(s[i + 2])) < 0)
			return -1;
		out[n++] = (char)(hi << 4 | lo);
		i += 3;
	}
	*outlen = n;
	return 0;
}
