/* SPDX-License-Identifier: MIT */
/*
 * conn - the connection layer shared by every codec.
 *
 * Input: when the socket is readable, one readv of up to 64 KiB lands in
 * the input evbuffer and the codec's incremental parser serves every
 * whole request in it (each goes to dispatch, and only then is it
 * drained).  Output: replies are encoded straight into the output
 * evbuffer when nothing earlier is pending, otherwise queued on
 * c->pending (conn_reply.c) and flushed in order; at the end of the
 * batch the output is written at once, and a write event waits only for
 * what the socket did not take (as Redis does; libevent's bufferevent
 * would read 4 KiB at a time and toggle EPOLLOUT around every batch).  A
 * client whose unread output passes limits.max_output_bytes is dropped
 * (as Redis drops a client over its output buffer limit); other clients
 * never notice.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <sys/uio.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "call.h"
#include "config.h"
#include "conn.h"
#include "convert.h"
#include "dispatch.h"
#include "log.h"
#include "metrics.h"
#include "multi.h"
#include "resp_reply.h"
#include "route.h"
#include "util.h"
#include "worker.h"

/* The longest HTTP method sniffing accepts. */
#define CONN_METHOD_MAX       20
#define CONN_HTTP_MAX_HEADER  16384
#define CONN_HTTP_MAX_HEADERS 100
/* How long a closing connection may take to read its last reply when no
 * idle timeout is set. */
#define CONN_LINGER_S 30
/* The most one read takes from the socket. */
#define CONN_READ_MAX (64 * 1024)
/* Replies a client may owe (queued behind a running call) before the
 * conn stops reading from it. */
#define CONN_PENDING_MAX 1024

static void conn_on_io(evutil_socket_t fd, short what, void *arg);
static int conn_keep_input(struct conn *c, struct evbuffer *in);
static void conn_release(struct conn *c);

/*
 * Formats a peer address as "1.2.3.4:port", "[::1]:port" or "unix".
 */
static void
conn_format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "unix");
	}
}

/*
 * Counts the bytes the kernel took from the output, and tells a stream
 * waiting for the client to catch up how far behind it still is.
 */
static void
conn_on_sent(
    struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *c = arg;
	struct conn_reply *r;

	if (info->n_deleted == 0)
		return;
	atomic_fetch_add_explicit(&worker_stats.net_output_bytes,
	    info->n_deleted, memory_order_relaxed);
	if ((r = TAILQ_FIRST(&c->pending)) != NULL && r->call != NULL)
		call_drained(r->call,
		    evbuffer_get_length(buf) + evbuffer_get_length(r->buf));
}

/*
 * Waits for what c needs from its socket, with one event: bytes to read
 * unless c is closing or has paused reading, room to write while output
 * waits.  The timeout is limits.idle_timeout (no byte read, or none of
 * the output taken); a closing conn without one lingers CONN_LINGER_S.
 * The event is changed only when that changes.
 */
void
conn_arm(struct conn *c)
{
	uint64_t ms = c->worker->limits.idle_timeout_ms;
	short what = 0;
	struct timeval tv;

	if (!c->closing && !c->read_paused)
		what |= EV_READ;
	if (c->writing)
		what |= EV_WRITE;
	if (what == c->armed)
		return;
	event_del(c->ev);
	c->armed = what;
	if (what == 0)
		return;
	event_assign(
	    c->ev, c->worker->base, c->fd, what | EV_PERSIST, conn_on_io, c);
	if (ms == 0 && c->closing)
		ms = CONN_LINGER_S * 1000;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	event_add(c->ev, ms > 0 ? &tv : NULL);
}

/*
 * A request took longer than limits.header_timeout to arrive: 408 for
 * HTTP, then close (RESP just closes, as there is no reply to send).
 */
static void
conn_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct duet_err err;

	(void)fd;
	(void)what;
	log_debug(
	    "client %" PRIu64 " too slow sending a request: closed", c->id);
	if (c->proto != CONN_PROTO_HTTP) {
		conn_free(c);
		return;
	}
	util_err_set(&err, "ERR", "request not received in time");
	err.status = 408;
	http_resp_reset(&c->route, 1);
	conn_close_after_reply(c);
	conn_reply_error(c, &err);
	conn_free_if_done(c);
}

/*
 * Starts the request deadline when a request has begun (input left after
 * serving, and a new request since the last arming), stops it when the
 * input is empty.  Slow senders are cut off however they trickle bytes.
 */
static void
conn_update_deadline(struct conn *c, uint64_t served)
{
	int partial = (c->in != NULL && evbuffer_get_length(c->in) > 0) ||
	    (c->proto == CONN_PROTO_HTTP && c->p.http.state != HTTP_ST_HEAD);
	uint64_t ms = c->worker->limits.header_timeout_ms;
	struct timeval tv;

	if (!partial || c->closing) {
		if (c->deadline != NULL)
			evtimer_del(c->deadline);
		return;
	}
	if (c->deadline == NULL &&
	    (c->deadline = evtimer_new(c->worker->base, conn_on_deadline, c)) ==
	        NULL)
		return;
	if (served == 0 && evtimer_pending(c->deadline, NULL))
		return;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(c->deadline, &tv);
}

/*
 * Creates the conn for an accepted socket, owned by worker w, which links
 * it into its list.  protocols: the CONFIG_PROTO_* its listener serves.
 * Returns NULL (socket closed) on failure.
 */
struct conn *
conn_new(struct worker *w, evutil_socket_t fd, const struct sockaddr *sa,
    const char *local, unsigned protocols)
{
	struct conn *c;
	int one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return NULL;
	}
	c->fd = fd;
	c->out = evbuffer_new();
	c->ev = event_new(w->base, fd, EV_READ | EV_PERSIST, conn_on_io, c);
	if (c->out == NULL || c->ev == NULL) {
		conn_release(c);
		return NULL;
	}
	if (sa->sa_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->worker = w;
	c->env = &w->env;
	c->id = atomic_fetch_add(&worker_stats.next_conn_id, 1) + 1;
	c->created = c->last_active = time(NULL);
	conn_format_addr(sa, c->peer, sizeof(c->peer));
	snprintf(c->local, sizeof(c->local), "%s", local);
	c->protocols = protocols;
	TAILQ_INIT(&c->pending);
	evbuffer_add_cb(c->out, conn_on_sent, c);
	conn_arm(c);
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	atomic_fetch_add(&worker_stats.connections, 1);
	atomic_fetch_add(&worker_stats.total_connections, 1);
	log_debug("client %" PRIu64 " connected from %s", c->id, c->peer);
	return c;
}

/*
 * Frees what conn_new allocated and closes the socket.
 */
static void
conn_release(struct conn *c)
{
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	evutil_closesocket(c->fd);
	free(c->name);
	multi_free(c->multi);
	free(c);
}

/*
 * Closes and frees c, unlinking it from its worker.  NULL is a no-op.
 */
void
conn_free(struct conn *c)
{
	struct conn_reply *r;

	if (c == NULL)
		return;
	log_debug("client %" PRIu64 " closed", c->id);
	TAILQ_REMOVE(&c->worker->conns, c, entry);
	while ((r = TAILQ_FIRST(&c->pending)) != NULL) {
		TAILQ_REMOVE(&c->pending, r, entry);
		if (r->call != NULL)
			call_orphan(r->call);
		evbuffer_free(r->buf);
		free(r);
		c->npending--;
	}
	if (c->deadline != NULL)
		event_free(c->deadline);
	if (c->proto == CONN_PROTO_RESP)
		resp_parser_fini(&c->p.resp);
	else if (c->proto == CONN_PROTO_HTTP)
		http_parser_fini(&c->p.http);
	http_resp_reset(&c->route, 0);
	conn_release(c);
	atomic_fetch_sub(&worker_stats.connections, 1);
}

/*
 * Stops reading from c; it is closed once its output is written (QUIT, a
 * protocol error).
 */
void
conn_close_after_reply(struct conn *c)
{
	c->closing = 1;
	conn_arm(c);
}

/*
 * Writes the output to the socket now, and waits for EPOLLOUT only for
 * what the socket does not take: most replies cost one writev and no
 * epoll_ctl.  While a read is being served, the push waits for its end:
 * one write per batch.  A write error is left to conn_on_writable, which
 * meets it again and closes (the caller may still use c).
 */
void
conn_push(struct conn *c)
{
	if (c->in_read || c->writing || evbuffer_get_length(c->out) == 0)
		return;
	if ((evbuffer_write(c->out, c->fd) == -1 && errno != EAGAIN &&
	        errno != EINTR) ||
	    evbuffer_get_length(c->out) > 0) {
		c->writing = 1;
		conn_arm(c);
	}
}

/*
 * Reads what the socket holds, up to CONN_READ_MAX, into the input (a
 * pipelined batch in one readv; libevent 2.1's bufferevent would read 4
 * KiB at a time, each after an ioctl).  Returns the bytes read, 0 at end
 * of file, or -1 (errno set; EAGAIN: nothing yet).
 */
static ssize_t
conn_read(struct conn *c, struct evbuffer *in)
{
	struct evbuffer_iovec v[2];
	ssize_t n;
	int nv;

	if ((nv = evbuffer_reserve_space(in, CONN_READ_MAX, v, 2)) <= 0) {
		errno = ENOMEM;
		return -1;
	}
	n = readv(c->fd, (struct iovec *)v, nv);
	if (n <= 0) {
		evbuffer_commit_space(in, v, 0);
		return n;
	}
	if ((size_t)n <= v[0].iov_len) {
		v[0].iov_len = (size_t)n;
		nv = 1;
	} else {
		v[1].iov_len = (size_t)n - v[0].iov_len;
	}
	evbuffer_commit_space(in, v, nv);
	return n;
}

/*
 * Reading was paused while too many replies were owed: resumes it once
 * half of them are written.
 */
void
conn_resume_reading(struct conn *c)
{
	if (!c->read_paused || c->closing ||
	    c->npending >= CONN_PENDING_MAX / 2)
		return;
	c->read_paused = 0;
	conn_arm(c);
}

/*
 * Frees c if it is closing and every reply it owes has been written.
 * Returns -1 if c was freed.
 */
int
conn_free_if_done(struct conn *c)
{
	if (!c->closing || !TAILQ_EMPTY(&c->pending) ||
	    evbuffer_get_length(c->out) > 0)
		return 0;
	conn_free(c);
	return -1;
}

/*
 * Builds the request for a parsed RESP command and dispatches it.  Like
 * Redis, a "command" that is an HTTP method or header is an attack from a
 * web page (cross-protocol scripting): it gets no reply, only a close.
 */
static void
conn_dispatch_resp(struct conn *c)
{
	struct request req = {0};
	const struct resp_arg *a0 = &c->p.resp.argv[0];

	if (util_strcaseeq(a0->ptr, a0->len, "POST") ||
	    util_strcaseeq(a0->ptr, a0->len, "Host:")) {
		log_warnx("client %" PRIu64 " (%s) sent %.*s on RESP: possible "
		          "cross-protocol attack, closed",
		    c->id, c->peer, (int)a0->len, a0->ptr);
		conn_close_after_reply(c);
		return;
	}

	req.name = c->p.resp.argv[0].ptr;
	req.namelen = c->p.resp.argv[0].len;
	req.argc = c->p.resp.argc - 1;
	req.argv = c->p.resp.argv + 1;
	switch (c->encoding) {
	case CONN_ENC_MSGPACK:
		req.kind = REQUEST_MSGPACK;
		break;
	case CONN_ENC_JSON:
		req.kind = REQUEST_JSON;
		break;
	default:
		req.kind = REQUEST_TEXT;
		break;
	}
	c->last_active = time(NULL);
	dispatch_request(c, &req);
}

/*
 * Whether c has more unread output than its limit allows.
 */
static int
conn_output_over_limit(struct conn *c)
{
	struct evbuffer *out = c->out;

	return evbuffer_get_length(out) > c->worker->limits.max_output_bytes;
}

/*
 * Drops c if its unread output passed the limit.  Returns -1 if so.
 */
static int
conn_check_output(struct conn *c)
{
	if (!conn_output_over_limit(c))
		return 0;
	/* Unread is what the socket does not take now (a write error is
	 * met again by the usual path). */
	if (!c->writing)
		(void)evbuffer_write(c->out, c->fd);
	if (!conn_output_over_limit(c))
		return 0;
	log_warnx("client %" PRIu64 " (%s) dropped: output over %" PRIu64
	          " bytes",
	    c->id, c->peer, c->worker->limits.max_output_bytes);
	conn_free(c);
	return -1;
}

/*
 * During a graceful shutdown: whether this request may still be served
 * (one begun before the shutdown) or is refused with "shutting down"
 * (503 on HTTP).  Either way the connection closes after the reply.
 * Returns 1 if refused.
 */
static int
conn_drain_refuses(struct conn *c, int minor)
{
	struct duet_err err;

	/* Per worker: requests it read before its drain began are served. */
	if (!c->worker->draining)
		return 0;
	conn_close_after_reply(c);
	if (c->drain_grace) {
		c->drain_grace = 0;
		return 0;
	}
	util_err_set(&err, "ERR", "shutting down");
	err.status = 503;
	http_resp_reset(&c->route, minor);
	conn_reply_error(c, &err);
	return 1;
}

/*
 * Starts closing c for a graceful shutdown (on its worker's thread): at
 * once when it is between requests, otherwise after the request it is
 * sending has been answered.
 */
void
conn_drain(struct conn *c)
{
	int midway = (c->in != NULL && evbuffer_get_length(c->in) > 0) ||
	    (c->proto == CONN_PROTO_HTTP && c->p.http.state != HTTP_ST_HEAD);

	if (midway) {
		c->drain_grace = 1;
		return;
	}
	conn_close_after_reply(c);
	if (evbuffer_get_length(c->out) == 0 && TAILQ_EMPTY(&c->pending))
		conn_free(c);
}

/*
 * Serves every whole RESP request in the input.  Returns -1 if c was
 * freed.
 */
static int
conn_process_resp(struct conn *c, struct evbuffer *in)
{
	struct resp_limits lim = {
	    .max_args = c->worker->limits.max_args,
	    .max_request_bytes = c->worker->limits.max_request_bytes,
	};
	struct duet_err err;

	while (!c->closing) {
		switch (resp_parse(&c->p.resp, in, &lim, &err)) {
		case RESP_MORE:
			return 0;
		case RESP_ERROR:
			log_debug("client %" PRIu64 ": %s", c->id, err.msg);
			conn_reply_error(c, &err);
			conn_close_after_reply(c);
			return 0;
		case RESP_DONE:
			c->nrequests++;
			if (!conn_drain_refuses(c, 1))
				conn_dispatch_resp(c);
			atomic_fetch_add(
			    &worker_stats.net_input_bytes, c->p.resp.reqlen);
			resp_consume(&c->p.resp, in);
			break;
		}
		if (conn_check_output(c) == -1)
			return -1;
	}
	return 0;
}

/*
 * Answers 100 Continue, or the final status, to a request that waits
 * for it before sending its body.
 */
static void
conn_http_expect(struct conn *c)
{
	struct http_request *req = &c->p.http.req;

	if (!req->expect_continue || !http_body_pending(&c->p.http))
		return;
	req->expect_continue = 0; /* answered once */
	if (route_expect(c, req) == 0)
		http_add_continue(c->out, req->minor);
	/* Sent at the end of this read (conn_push). */
}

/*
 * Serves every whole HTTP request in the input.  Returns -1 if c was
 * freed.
 */
static int
conn_process_http(struct conn *c, struct evbuffer *in)
{
	struct http_limits lim = {
	    .max_request_bytes = c->worker->limits.max_request_bytes,
	    .max_header_bytes = CONN_HTTP_MAX_HEADER,
	    .max_headers = CONN_HTTP_MAX_HEADERS,
	};
	struct duet_err err;

	while (!c->closing) {
		switch (http_parse(&c->p.http, in, &lim, &err)) {
		case HTTP_PARSE_MORE:
			conn_http_expect(c);
			return 0;
		case HTTP_PARSE_ERROR:
			log_debug("client %" PRIu64 ": %s", c->id, err.msg);
			http_resp_reset(&c->route, 1);
			conn_close_after_reply(c);
			conn_reply_error(c, &err);
			return 0;
		case HTTP_PARSE_DONE:
			c->nrequests++;
			c->last_active = time(NULL);
			if (!conn_drain_refuses(c, c->p.http.req.minor))
				route_request(c, &c->p.http.req);
			if (!c->p.http.req.keep_alive)
				conn_close_after_reply(c);
			http_consume(&c->p.http);
			break;
		}
		if (conn_check_output(c) == -1)
			return -1;
	}
	return 0;
}

/*
 * Whether the first bytes read as the start of an HTTP request line:
 * 1 to 20 upper-case letters, a space, then '/' or '*'.  Returns 1 (HTTP),
 * 0 (not HTTP) or -1 (too few bytes to tell).
 */
static int
conn_looks_http(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len && i <= CONN_METHOD_MAX; i++) {
		if (p[i] == ' ')
			break;
		if (p[i] < 'A' || p[i] > 'Z')
			return 0;
	}
	if (i == 0 || i > CONN_METHOD_MAX)
		return 0;
	if (i + 1 >= len)
		return -1;
	return p[i + 1] == '/' || p[i + 1] == '*';
}

/*
 * Picks the connection's protocol from its first bytes: what starts like
 * an HTTP request line is HTTP, anything else RESP (so an inline
 * "GET foo" stays RESP).  Deciding from the start of the line, not the
 * whole of it, keeps a long request line from being read as RESP inline
 * commands (a browser could otherwise send RESP commands in a body).  A
 * listener that serves one protocol only gets that one.  Returns 0 when
 * decided, 1 when more bytes are needed.
 */
static int
conn_sniff(struct conn *c, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in);
	unsigned char first[CONN_METHOD_MAX + 2];
	int http;

	if (len == 0)
		return 1;
	if (c->protocols == CONFIG_PROTO_RESP ||
	    c->protocols == CONFIG_PROTO_HTTP) {
		http = c->protocols == CONFIG_PROTO_HTTP;
	} else {
		len = evbuffer_copyout(in, first, sizeof(first));
		if ((http = conn_looks_http((const char *)first, len)) == -1)
			return 1;
	}
	c->proto = http ? CONN_PROTO_HTTP : CONN_PROTO_RESP;
	c->writer = http ? &http_reply_writer : &resp_reply_writer;
	if (http)
		http_parser_init(&c->p.http);
	else
		resp_parser_init(&c->p.resp);
	return 0;
}

/*
 * Parses and serves every whole request in the input.  Returns -1 if c
 * was freed.
 */
static int
conn_process(struct conn *c, struct evbuffer *in)
{

	if (c->proto == CONN_PROTO_UNKNOWN && conn_sniff(c, in) == 1)
		return 0;
	if (c->proto == CONN_PROTO_HTTP) {
		size_t before = evbuffer_get_length(in);
		int rv = conn_process_http(c, in);

		/* The HTTP parser drains what it has read (c may be gone). */
		if (rv == 0)
			atomic_fetch_add(&worker_stats.net_input_bytes,
			    before - evbuffer_get_length(in));
		return rv;
	}
	return conn_process_resp(c, in);
}

/*
 * The end of the client's input: a half-close still gets the replies it
 * asked for.  Returns -1 if c was freed.
 */
static int
conn_on_eof(struct conn *c)
{
	if (evbuffer_get_length(c->out) > 0 || !TAILQ_EMPTY(&c->pending)) {
		conn_close_after_reply(c);
		return 0;
	}
	log_debug("client %" PRIu64 " closed the connection", c->id);
	conn_free(c);
	return -1;
}

/*
 * The socket has bytes (or the end): reads them into the conn's input, or
 * the worker's shared one when the conn has no partial request waiting,
 * and serves every whole request.  What is left of a request moves to an
 * input of the conn's own: an idle conn has none (Redis 7.4's reusable
 * query buffer).
 */
static void
conn_on_readable(struct conn *c)
{
	struct evbuffer *shared = c->worker->rbuf;
	struct evbuffer *in = c->in != NULL ? c->in : shared;
	uint64_t before = c->nrequests;
	ssize_t n;

	if ((n = conn_read(c, in)) <= 0) {
		if (n == 0)
			conn_on_eof(c);
		else if (errno != EAGAIN && errno != EINTR) {
			log_debug(
			    "client %" PRIu64 ": %s", c->id, strerror(errno));
			conn_free(c);
		}
		return;
	}
	c->in_read = 1;
	if (conn_process(c, in) == -1) {
		/* c is gone, and its own input with it. */
		if (in == shared)
			evbuffer_drain(shared, evbuffer_get_length(shared));
		return;
	}
	c->in_read = 0;
	if (conn_keep_input(c, in) == -1)
		return;
	conn_push(c);
	/* Too many replies still owed: read again once they are written. */
	if (c->npending >= CONN_PENDING_MAX && !c->closing) {
		c->read_paused = 1;
		conn_arm(c);
	}
	conn_update_deadline(c, c->nrequests - before);
	conn_free_if_done(c);
}

/*
 * After serving a read from in: keeps a partial request in the conn's
 * own input, and lets go of an empty one.  Returns -1 if c was freed
 * (out of memory).
 */
static int
conn_keep_input(struct conn *c, struct evbuffer *in)
{
	size_t left = evbuffer_get_length(in);

	if (in == c->in) {
		if (left == 0) {
			evbuffer_free(c->in);
			c->in = NULL;
		}
		return 0;
	}
	if (left == 0)
		return 0;
	if (c->closing) {
		evbuffer_drain(in, left);
		return 0;
	}
	if ((c->in = evbuffer_new()) == NULL) {
		evbuffer_drain(in, left);
		conn_free(c);
		return -1;
	}
	evbuffer_add_buffer(c->in, in);
	return 0;
}

/*
 * The socket takes output again: writes, and goes back to writing first
 * once all is out.  Returns -1 if c was freed.
 */
static int
conn_on_writable(struct conn *c)
{
	if (evbuffer_write(c->out, c->fd) == -1 && errno != EAGAIN &&
	    errno != EINTR) {
		log_debug("client %" PRIu64 ": %s", c->id, strerror(errno));
		conn_free(c);
		return -1;
	}
	if (evbuffer_get_length(c->out) > 0)
		return 0;
	c->writing = 0;
	conn_arm(c);
	return conn_free_if_done(c);
}

static void
conn_on_io(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	if (what & EV_TIMEOUT) {
		log_debug("client %" PRIu64 " %s: closed", c->id,
		    c->writing ? "not reading its replies" : "idle");
		conn_free(c);
		return;
	}
	if ((what & EV_WRITE) && conn_on_writable(c) == -1)
		return;
	if (what & EV_READ)
		conn_on_readable(c);
}

/*
 * Appends c's line of CLIENT INFO / CLIENT LIST to out, ending in "\n":
 * Redis 7's fields in Redis's order (those duetd has no use for are
 * constant: db=0, sub=0, multi=-1, user=default, ...), then duetd's own:
 * cmds, encoding, proto and worker (last).  Owning worker's thread.
 */
void
conn_describe(const struct conn *c, struct evbuffer *out)
{
	size_t qbuf = c->in != NULL ? evbuffer_get_length(c->in) : 0;
	size_t omem = evbuffer_get_length(c->out);
	int unixsock = strcmp(c->peer, "unix") == 0;
	time_t now = time(NULL);

	evbuffer_add_printf(out,
	    "id=%" PRIu64 " addr=%s laddr=%s fd=%d name=%s age=%lld "
	    "idle=%lld flags=%s%s%s db=0 sub=0 psub=0 ssub=0 multi=-1 "
	    "qbuf=%zu qbuf-free=0 argv-mem=0 multi-mem=0 rbs=%zu rbp=0 "
	    "obl=0 oll=%u omem=%zu tot-mem=%zu events=%s%s cmd=%s "
	    "user=default redir=-1 resp=%d cmds=%" PRIu64 " encoding=%s "
	    "proto=%s worker=%d\n",
	    c->id, c->peer, c->local, (int)c->fd,
	    c->name != NULL ? c->name : "", (long long)(now - c->created),
	    (long long)(now - c->last_active), c->closing ? "c" : "",
	    unixsock ? "U" : "", !c->closing && !unixsock ? "N" : "", qbuf,
	    qbuf, c->npending, omem, sizeof(*c) + qbuf + omem,
	    c->armed & EV_READ ? "r" : "", c->armed & EV_WRITE ? "w" : "",
	    c->lastcmd != NULL ? c->lastcmd->name : "NULL", c->resp3 ? 3 : 2,
	    c->ncommands,
	    c->encoding == CONN_ENC_MSGPACK    ? "msgpack"
	        : c->encoding == CONN_ENC_JSON ? "json"
	                                       : "native",
	    c->proto == CONN_PROTO_HTTP       ? "http"
	        : c->proto == CONN_PROTO_RESP ? "resp"
	                                      : "unknown",
	    c->worker->index);
}
