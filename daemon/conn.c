/* SPDX-License-Identifier: MIT */
/*
 * conn - the connection layer shared by every codec.
 *
 * Input: the read callback hands the input evbuffer to the codec's
 * incremental parser; each whole request goes to dispatch, and only then
 * is it drained.  Output: replies are encoded straight into the
 * bufferevent's output when nothing earlier is pending, otherwise queued
 * on c->pending and flushed in order.  A client whose unread output passes
 * limits.max_output_bytes is dropped (as Redis drops a client over its
 * output buffer limit); other clients never notice.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conn.h"
#include "convert.h"
#include "dispatch.h"
#include "log.h"
#include "util.h"
#include "worker.h"

static void conn_on_read(struct bufferevent *bev, void *arg);
static void conn_on_write(struct bufferevent *bev, void *arg);
static void conn_on_event(struct bufferevent *bev, short what, void *arg);

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
 * Arms the read timeout: limits.header_timeout while a request is half
 * read (slow senders are cut off), limits.idle_timeout between requests
 * (0: none).
 */
static void
conn_set_timeout(struct conn *c, int partial)
{
	uint64_t ms = partial ? c->worker->limits.header_timeout_ms :
				c->worker->limits.idle_timeout_ms;
	struct timeval tv;

	c->partial = partial;
	if (ms == 0) {
		bufferevent_set_timeouts(c->bev, NULL, NULL);
		return;
	}
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	bufferevent_set_timeouts(c->bev, &tv, NULL);
}

/*
 * Creates the conn for an accepted socket, owned by worker w, which links
 * it into its list.  Returns NULL (socket closed) on failure.
 */
struct conn *
conn_new(struct worker *w, evutil_socket_t fd, const struct sockaddr *sa,
    int salen, const char *local)
{
	struct conn *c;
	int one = 1;

	(void)salen;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return NULL;
	}
	c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return NULL;
	}
	if (sa->sa_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->worker = w;
	c->id = atomic_fetch_add(&worker_stats.next_conn_id, 1) + 1;
	c->created = c->last_active = time(NULL);
	conn_format_addr(sa, c->peer, sizeof(c->peer));
	snprintf(c->local, sizeof(c->local), "%s", local);
	resp_parser_init(&c->resp);
	TAILQ_INIT(&c->pending);
	bufferevent_setcb(c->bev, conn_on_read, conn_on_write, conn_on_event, c);
	conn_set_timeout(c, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	atomic_fetch_add(&worker_stats.connections, 1);
	atomic_fetch_add(&worker_stats.total_connections, 1);
	log_debug("client %" PRIu64 " connected from %s", c->id, c->peer);
	return c;
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
		evbuffer_free(r->buf);
		free(r);
	}
	resp_parser_fini(&c->resp);
	bufferevent_free(c->bev);
	free(c->name);
	free(c);
	atomic_fetch_sub(&worker_stats.connections, 1);
}

/*
 * Where the next reply goes: the output itself when nothing is pending,
 * otherwise a new finished entry at the end of the queue.  Returns NULL on
 * allocation failure.
 */
static struct evbuffer *
conn_reply_target(struct conn *c)
{
	struct conn_reply *r;

	if (TAILQ_EMPTY(&c->pending))
		return bufferevent_get_output(c->bev);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->buf = evbuffer_new()) == NULL) {
		free(r);
		return NULL;
	}
	r->done = 1;
	TAILQ_INSERT_TAIL(&c->pending, r, entry);
	return r->buf;
}

/*
 * Moves every finished reply at the head of the queue to the output.
 */
static void
conn_flush_pending(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct conn_reply *r;

	while ((r = TAILQ_FIRST(&c->pending)) != NULL && r->done) {
		TAILQ_REMOVE(&c->pending, r, entry);
		evbuffer_add_buffer(out, r->buf);
		evbuffer_free(r->buf);
		free(r);
	}
}

/*
 * Queues a successful reply: o is the unpacked value of the packed bytes
 * mp (both borrowed), encoded as the request's encoding asked.
 */
void
conn_reply_value(struct conn *c, int encoding, const msgpack_object *o,
    const char *mp, size_t len)
{
	struct evbuffer *out, *json;
	struct duet_err err;

	if ((out = conn_reply_target(c)) == NULL) {
		conn_close_after_reply(c);
		return;
	}
	switch (encoding) {
	case CONN_ENC_MSGPACK:
		resp_add_bulk(out, mp, len);
		break;
	case CONN_ENC_JSON:
		if ((json = evbuffer_new()) == NULL) {
			conn_close_after_reply(c);
			return;
		}
		if (convert_msgpack_to_json(json, o, &err) == -1) {
			resp_add_error(out, err.code, err.msg);
		} else {
			resp_add_bulk(out, evbuffer_pullup(json, -1),
			    evbuffer_get_length(json));
		}
		evbuffer_free(json);
		break;
	default:
		convert_msgpack_to_resp(out, o, c->resp3);
		break;
	}
	conn_flush_pending(c);
}

/*
 * Queues an error reply: -CODE message.
 */
void
conn_reply_error(struct conn *c, const struct duet_err *err)
{
	struct evbuffer *out;

	if ((out = conn_reply_target(c)) == NULL) {
		conn_close_after_reply(c);
		return;
	}
	resp_add_error(out, err->code, err->msg);
	conn_flush_pending(c);
}

/*
 * Stops reading from c; it is closed once its output is written (QUIT, a
 * protocol error).
 */
void
conn_close_after_reply(struct conn *c)
{
	c->closing = 1;
	bufferevent_disable(c->bev, EV_READ);
}

/*
 * Builds the request for a parsed RESP command and dispatches it.
 */
static void
conn_dispatch_resp(struct conn *c)
{
	struct request req = {0};

	req.name = c->resp.argv[0].ptr;
	req.namelen = c->resp.argv[0].len;
	req.argc = c->resp.argc - 1;
	req.argv = c->resp.argv + 1;
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
	struct evbuffer *out = bufferevent_get_output(c->bev);

	return evbuffer_get_length(out) > c->worker->limits.max_output_bytes;
}

/*
 * Parses and serves every whole request in the input.  Returns -1 if c
 * was freed.
 */
static int
conn_process(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct resp_limits lim = {
		.max_args = c->worker->limits.max_args,
		.max_request_bytes = c->worker->limits.max_request_bytes,
	};
	struct duet_err err;

	c->proto = CONN_PROTO_RESP;
	while (!c->closing) {
		switch (resp_parse(&c->resp, in, &lim, &err)) {
		case RESP_MORE:
			return 0;
		case RESP_ERROR:
			log_debug("client %" PRIu64 ": %s", c->id, err.msg);
			conn_reply_error(c, &err);
			conn_close_after_reply(c);
			return 0;
		case RESP_DONE:
			conn_dispatch_resp(c);
			atomic_fetch_add(&worker_stats.net_input_bytes,
			    c->resp.reqlen);
			resp_consume(&c->resp, in);
			break;
		}
		if (conn_output_over_limit(c)) {
			log_warnx("client %" PRIu64 " (%s) dropped: output "
				  "over %" PRIu64 " bytes",
			    c->id, c->peer, c->worker->limits.max_output_bytes);
			conn_free(c);
			return -1;
		}
	}
	return 0;
}

static void
conn_on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (conn_process(c) == -1)
		return;
	if (!c->closing &&
	    (evbuffer_get_length(bufferevent_get_input(bev)) > 0) != c->partial)
		conn_set_timeout(c, !c->partial);
	if (c->closing &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(c);
}

static void
conn_on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->closing && TAILQ_EMPTY(&c->pending))
		conn_free(c);
}

static void
conn_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("client %" PRIu64 " %s: closed", c->id,
		    c->partial ? "too slow sending a request" : "idle");
	else if (what & BEV_EVENT_ERROR)
		log_debug("client %" PRIu64 ": %s", c->id,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	conn_free(c);
}

/*
 * Formats c as CLIENT INFO / CLIENT LIST do (one line, no newline).
 */
void
conn_describe(const struct conn *c, char *buf, size_t len)
{
	time_t now = time(NULL);

	snprintf(buf, len,
	    "id=%" PRIu64 " addr=%s laddr=%s name=%s age=%lld idle=%lld "
	    "db=0 cmds=%" PRIu64 " resp=%d encoding=%s",
	    c->id, c->peer, c->local, c->name != NULL ? c->name : "",
	    (long long)(now - c->created), (long long)(now - c->last_active),
	    c->ncommands, c->resp3 ? 3 : 2,
	    c->encoding == CONN_ENC_MSGPACK ? "msgpack" :
	    c->encoding == CONN_ENC_JSON    ? "json" :
					      "native");
}
