/* SPDX-License-Identifier: MIT */
/*
 * conn - the connection layer shared by every protocol (L2).
 *
 * Input: when the socket is readable, one transport read of up to 64 KiB
 * lands in the input evbuffer and the session's serve (struct
 * conn_proto, picked by sniffing the first bytes) serves every whole
 * request in it.  Output: replies are encoded straight into the output
 * evbuffer when nothing earlier is pending, otherwise queued on
 * c->pending (conn_reply.c) and flushed in order; at the end of the
 * batch the output is written at once, and a write event waits only for
 * what the socket did not take (as Redis does; libevent's bufferevent
 * would read 4 KiB at a time and toggle EPOLLOUT around every batch).  A
 * client whose unread output passes limits.max_output_bytes is dropped
 * (as Redis drops a client over its output buffer limit); other clients
 * never notice.  Nothing here knows RESP or HTTP (the sessions, L4),
 * a call (the slot owner, L3) or the socket calls (the transport).  The
 * idle timeout is conn_idle.c's, CLIENT INFO conn_info.c's, the listener
 * sites, the peer's address text and sniffing conn_site.c's.
 *
 * An idle connection costs its struct conn (the peer's address at its
 * end, the listener's borrowed from a struct conn_site) with its socket's
 * event embedded, and libevent's entry for the descriptor: the output is
 * made when the client first sends, and the input only holds a request
 * left partial by a read (the worker's shared one serves the rest).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "conn.h"
#include "conn_int.h"
#include "env.h"
#include "log.h"
#include "peers.h"
#include "transport.h"
#include "util.h"

/* How long a closing connection may take to read its last reply when no
 * idle timeout is set. */
#define CONN_LINGER_S 30
/* The most one read takes from the socket. */
#define CONN_READ_MAX (64 * 1024)
/* Replies a client may owe (queued behind a running call) before the
 * conn stops reading from it. */
#define CONN_PENDING_MAX 1024

void (*_Atomic conn_states_fini)(struct conn *c);

static void conn_on_io(evutil_socket_t fd, short what, void *arg);
static int conn_keep_input(struct conn *c, struct evbuffer *in);
static void conn_release(struct conn *c);

/*
 * Makes c's output (conn_output), on first use: an idle connection has
 * none.  Returns NULL when out of memory.
 */
struct evbuffer *
conn_output_new(struct conn *c)
{
	return c->out = evbuffer_new();
}

/* The bytes c has yet to write. */
static size_t
conn_out_len(const struct conn *c)
{
	return c->out != NULL ? evbuffer_get_length(c->out) : 0;
}

/*
 * Writes what the socket takes of the output, counts it (INFO's
 * total_net_output_bytes), and tells a stream waiting at the head of the
 * queue for the client to catch up how far behind it still is.  Done
 * here rather than in an evbuffer callback, which libevent would run on
 * every append as well.  Returns what the transport's write does (-1
 * with errno set).
 */
static int
conn_write(struct conn *c)
{
	struct conn_reply *r;
	int n;

	if (c->out == NULL)
		return 0;
	if ((n = c->transport->write(&c->io, c->out)) <= 0)
		return n;
	metrics_add(METRICS_NET_OUTPUT, (size_t)n);
	if ((r = TAILQ_FIRST(&c->pending)) != NULL && r->owner != NULL)
		r->owner->drained(r->arg,
		    evbuffer_get_length(c->out) + evbuffer_get_length(r->buf));
	return n;
}

/*
 * Waits for what c needs from its socket, with one event: bytes to read
 * unless c is closing or has paused reading, room to write while output
 * waits.  The timeout is limits.idle_timeout (no byte read, or none of
 * the output taken), kept by conn_idle.c, not by the event; a closing
 * conn without one lingers CONN_LINGER_S.  What the transport waits for
 * (io.want) is added.  The event is changed only when that changes.
 */
void
conn_arm(struct conn *c)
{
	uint64_t ms = c->idle_exempt ? 0
	    : c->idle_link           ? CONN_LINK_IDLE_MS
	                             : c->env->limits.idle_timeout_ms;
	short what = 0;

	if (!c->closing && !c->read_paused)
		what |= EV_READ;
	/* Not while the transport must read before it can write (a TLS
	 * handshake a write began): room in the socket would wake c for
	 * nothing until the peer answers.  The read it waits for retries
	 * the write (conn_on_io). */
	if (c->writing && c->io.want != EV_READ)
		what |= EV_WRITE;
	what |= c->io.want;
	if (what == c->armed)
		return;
	if (c->armed != 0)
		event_del(&c->ev);
	c->armed = what;
	if (what == 0) {
		conn_idle_set(c, 0);
		return;
	}
	event_assign(
	    &c->ev, c->env->base, c->io.fd, what | EV_PERSIST, conn_on_io, c);
	event_add(&c->ev, NULL);
	if (ms == 0 && c->closing)
		ms = CONN_LINGER_S * 1000;
	conn_idle_set(c, ms);
}

/*
 * A request took longer than limits.header_timeout to arrive: the
 * session answers (HTTP 408) and/or closes; before a protocol is known,
 * the conn just closes.
 */
static void
conn_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	log_debug(
	    "client %" PRIu64 " too slow sending a request: closed", c->id);
	if (c->proto == NULL) {
		conn_free(c);
		return;
	}
	c->proto->timeout(c);
}

/*
 * Whether c is midway through a request: its transport's handshake, input
 * left unparsed, or a request its session has begun.
 */
static int
conn_midway(const struct conn *c)
{
	if (c->io.busy)
		return 1;
	if (c->in != NULL && evbuffer_get_length(c->in) > 0)
		return 1;
	return c->proto != NULL && c->proto->midway(c);
}

/*
 * Starts the request deadline when a request has begun (input left after
 * serving, and a new request since the last arming), stops it when the
 * input is empty.  Slow senders are cut off however they trickle bytes.
 */
static void
conn_update_deadline(struct conn *c, uint64_t served)
{
	int partial = conn_midway(c);
	uint64_t ms = c->env->limits.header_timeout_ms;
	struct timeval tv;

	if (!partial || c->closing) {
		if (c->deadline != NULL)
			evtimer_del(c->deadline);
		return;
	}
	if (c->deadline == NULL &&
	    (c->deadline = evtimer_new(c->env->base, conn_on_deadline, c)) ==
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
 * it into its list.  t: the transport its listener chose; protos (nprotos
 * of them, static like t): the protocols it serves, in sniffing order.
 * Returns NULL (socket closed) on failure.
 */
struct conn *
conn_new(struct env *e, evutil_socket_t fd, const struct sockaddr *sa,
    const char *local, const struct transport *t,
    const struct conn_proto *const *protos, size_t nprotos)
{
	const struct conn_site *site = conn_site(local, protos, nprotos);
	char peer[CONN_ADDR_MAX];
	time_t now = time(NULL);
	struct conn *c;
	size_t len;
	int one = 1;

	conn_format_addr(sa, peer, sizeof(peer));
	len = strlen(peer) + 1;
	if (site == NULL || (c = calloc(1, sizeof(*c) + len)) == NULL) {
		evutil_closesocket(fd);
		return NULL;
	}
	memcpy(c->peer, peer, len);
	c->local = site->local;
	c->io.fd = fd;
	c->transport = t;
	if (sa->sa_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->env = e;
	c->id = atomic_fetch_add(&worker_stats.next_conn_id, 1) + 1;
	c->ident.user_index = -1;
	c->created = (uint32_t)now;
	c->last_active = now;
	TAILQ_INIT(&c->pending);
	conn_arm(c);
	TAILQ_INSERT_TAIL(&e->conns, c, entry);
	atomic_fetch_add(&worker_stats.total_connections, 1);
	log_debug("client %" PRIu64 " connected from %s", c->id, c->peer);
	return c;
}

/*
 * Puts transport t under c, just made by conn_new (nothing read yet), in
 * place of the one conn_new was given; arg is for t's open (TLS: the
 * listener's SSL_CTX).  A transport that begins with a handshake has it
 * bounded by limits.header_timeout.  Returns 0, or -1 with c freed.
 */
int
conn_start_transport(struct conn *c, const struct transport *t, void *arg)
{
	c->transport->shutdown(&c->io);
	c->transport = t;
	if (t->open != NULL && t->open(&c->io, arg, c->peer) == -1) {
		log_warnx(
		    "client %" PRIu64 " (%s): out of memory", c->id, c->peer);
		conn_free(c);
		return -1;
	}
	conn_update_deadline(c, 1);
	return 0;
}

/*
 * Frees what conn_new allocated and closes the socket.
 */
static void
conn_release(struct conn *c)
{
	if (c->transport != NULL)
		c->transport->shutdown(&c->io);
	if (c->armed != 0)
		event_del(&c->ev);
	if (c->idle_at != 0)
		conn_idle_set(c, 0);
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	evutil_closesocket(c->io.fd);
	free(c->name);
	free(c->ident.user);
	free(c->ident.start_user);
	free(c->ident.tls_subject);
	free(c->ident.tls_cn);
	free(c);
}

/*
 * Closes and frees c, unlinking it from its worker.  NULL is a no-op.
 */
void
conn_free(struct conn *c)
{
	void (*states_fini)(struct conn *);
	struct peers_entry *peer;
	struct conn_reply *r;
	int counted;

	if (c == NULL)
		return;
	log_debug("client %" PRIu64 " closed", c->id);
	TAILQ_REMOVE(&c->env->conns, c, entry);
	if (c->held) {
		size_t i;

		for (i = 0; i < c->env->nheld; i++)
			if (c->env->held[i] == c)
				c->env->held[i] = NULL;
	}
	while ((r = TAILQ_FIRST(&c->pending)) != NULL) {
		TAILQ_REMOVE(&c->pending, r, entry);
		if (r->owner != NULL)
			r->owner->orphaned(r->arg);
		conn_reply_free(c, r);
	}
	if (c->deadline != NULL)
		event_free(c->deadline);
	if (c->states != NULL &&
	    (states_fini = atomic_load_explicit(
	         &conn_states_fini, memory_order_relaxed)) != NULL)
		states_fini(c);
	if (c->proto != NULL)
		c->proto->fini(c);
	counted = c->counted;
	peer = c->peer_count;
	conn_release(c);
	if (counted)
		atomic_fetch_sub(&worker_stats.connections, 1);
	peers_release(peer);
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
	struct env *e = c->env;
	struct conn **held;

	if (c->in_read || c->held || c->writing || conn_out_len(c) == 0)
		return;
	if (e->holding) {
		if (e->nheld == e->heldcap) {
			held = realloc(e->held,
			    (e->heldcap ? e->heldcap * 2 : 16) * sizeof(*held));
			if (held == NULL)
				goto now; /* out of memory: write now */
			e->held = held;
			e->heldcap = e->heldcap ? e->heldcap * 2 : 16;
		}
		e->held[e->nheld++] = c;
		c->held = 1;
		return;
	}
now:
	if ((conn_write(c) == -1 && errno != EAGAIN && errno != EINTR) ||
	    evbuffer_get_length(c->out) > 0) {
		c->writing = 1;
		conn_arm(c);
	}
}

/*
 * mailbox.batch of a worker's mailbox (arg: its env): while a batch is
 * delivered, conn_push holds each conn's output; at its end each is
 * written once, so the replies of many calls finished in one batch share
 * a write.
 */
void
conn_batch(void *arg, int end)
{
	struct env *e = arg;
	struct conn *c;
	size_t i;

	e->holding = !end;
	if (!end)
		return;
	for (i = 0; i < e->nheld; i++) {
		if ((c = e->held[i]) == NULL)
			continue;
		c->held = 0;
		conn_push(c);
		/* A conn closing after its replies goes once they are out. */
		conn_free_if_done(c);
	}
	e->nheld = 0;
}

/*
 * Exempts c from limits.idle_timeout (on: it waits for events that may
 * be long in coming), or puts it back under it, running from now.
 */
void
conn_set_idle_exempt(struct conn *c, int on)
{
	if (c->idle_exempt == (unsigned)(on != 0))
		return;
	c->idle_exempt = on != 0;
	if (!c->closing && c->armed != 0)
		conn_idle_set(c, on ? 0 : c->env->limits.idle_timeout_ms);
}

/*
 * c is the hub's end of a link: its idle timeout is CONN_LINK_IDLE_MS
 * (three of the node's heartbeats), whatever limits.idle_timeout says.
 */
void
conn_set_idle_link(struct conn *c)
{
	c->idle_exempt = 0;
	c->idle_link = 1;
	if (!c->closing && c->armed != 0)
		conn_idle_set(c, CONN_LINK_IDLE_MS);
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
	if (!c->closing || !TAILQ_EMPTY(&c->pending) || conn_out_len(c) > 0)
		return 0;
	conn_free(c);
	return -1;
}

/*
 * Whether c has more unread output than its limit allows.
 */
static int
conn_output_over_limit(struct conn *c)
{
	return conn_out_len(c) > c->env->limits.max_output_bytes;
}

/*
 * Drops c if its unread output passed the limit (sessions call it after
 * each request).  Returns -1 if so.
 */
int
conn_check_output(struct conn *c)
{
	if (!conn_output_over_limit(c))
		return 0;
	/* Unread is what the socket does not take now (a write error is
	 * met again by the usual path). */
	if (!c->writing)
		(void)conn_write(c);
	if (!conn_output_over_limit(c))
		return 0;
	log_warnx("client %" PRIu64 " (%s) dropped: output over %" PRIu64
	          " bytes",
	    c->id, c->peer, c->env->limits.max_output_bytes);
	conn_free(c);
	return -1;
}

/*
 * During a graceful shutdown: whether this request may still be served
 * (one begun before the shutdown) or is to be refused with "shutting
 * down" by the session.  Either way the connection closes after the
 * reply.  Returns 1 if refused.
 */
int
conn_drain_refuses(struct conn *c)
{
	/* Per worker: requests it read before its drain began are served. */
	if (!c->env->draining)
		return 0;
	conn_close_after_reply(c);
	if (c->drain_grace) {
		c->drain_grace = 0;
		return 0;
	}
	return 1;
}

/*
 * Counts n bytes of requests read (INFO's total_net_input_bytes).
 */
void
conn_count_input(size_t n)
{
	metrics_add(METRICS_NET_INPUT, n);
}

/*
 * Starts closing c for a graceful shutdown (on its worker's thread): at
 * once when it is between requests, otherwise after the request it is
 * sending has been answered.
 */
void
conn_drain(struct conn *c)
{
	if (conn_midway(c)) {
		c->drain_grace = 1;
		return;
	}
	conn_close_after_reply(c);
	if (conn_out_len(c) == 0 && TAILQ_EMPTY(&c->pending))
		conn_free(c);
}

/*
 * Parses and serves every whole request in the input.  Returns -1 if c
 * was freed.
 */
static int
conn_process(struct conn *c, struct evbuffer *in)
{
	int rv;

	if (c->proto == NULL && (rv = conn_sniff(c, in)) != 0)
		return rv == 1 ? 0 : -1;
	return c->proto->serve(c, in);
}

/*
 * The end of the client's input: a half-close still gets the replies it
 * asked for.  Returns -1 if c was freed.
 */
static int
conn_on_eof(struct conn *c)
{
	if (conn_out_len(c) > 0 || !TAILQ_EMPTY(&c->pending)) {
		conn_close_after_reply(c);
		return 0;
	}
	log_debug("client %" PRIu64 " closed the connection", c->id);
	conn_free(c);
	return -1;
}

/*
 * Nothing to read yet: waits for what the transport wants, and stops the
 * deadline once a handshake has ended with no request begun.
 */
static void
conn_read_later(struct conn *c)
{
	conn_arm(c);
	if (c->deadline != NULL && !conn_midway(c))
		evtimer_del(c->deadline);
}

/*
 * The worker's memory reads into the shared input lend it (made on first
 * use), or NULL when out of memory.
 */
static struct transport_spare *
conn_spare(struct env *e)
{
	struct transport_spare *spare = e->rspare;

	if (spare == NULL &&
	    (spare = malloc(sizeof(*spare) + CONN_READ_MAX)) != NULL) {
		spare->size = CONN_READ_MAX;
		spare->lent = 0;
		e->rspare = spare;
	}
	return spare;
}

/*
 * One transport read into in: into the worker's spare memory when in is
 * the shared input and the transport can lend it (no 64 KiB chain made
 * and freed per read).
 */
static ssize_t
conn_read(struct conn *c, struct evbuffer *in)
{
	struct transport_spare *spare;

	if (in == c->env->rbuf && c->transport->read_lend != NULL &&
	    (spare = conn_spare(c->env)) != NULL)
		return c->transport->read_lend(
		    &c->io, in, CONN_READ_MAX, spare);
	return c->transport->read(&c->io, in, CONN_READ_MAX);
}

/*
 * Moves what is left in the shared input to c's own: copied while the
 * worker's spare memory is lent (it is the next read's), moved otherwise.
 * Returns 0, or -1 when out of memory.
 */
static int
conn_take_input(struct conn *c, struct evbuffer *in)
{
	const struct transport_spare *spare = c->env->rspare;
	size_t len;

	if (spare == NULL || !spare->lent)
		return evbuffer_add_buffer(c->in, in);
	while ((len = evbuffer_get_contiguous_space(in)) > 0) {
		if (evbuffer_add(
		        c->in, evbuffer_pullup(in, (ev_ssize_t)len), len) == -1)
			return -1;
		evbuffer_drain(in, len);
	}
	return 0;
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
	struct evbuffer *shared = c->env->rbuf;
	struct evbuffer *in = c->in != NULL ? c->in : shared;
	uint64_t before = c->nrequests;
	ssize_t n;

	/* The output is made when the client first sends (or closes). */
	if (c->out == NULL && conn_output(c) == NULL) {
		log_warnx(
		    "client %" PRIu64 " (%s): out of memory", c->id, c->peer);
		conn_free(c);
		return;
	}
	if ((n = conn_read(c, in)) <= 0) {
		if (n == 0)
			conn_on_eof(c);
		else if (errno != EAGAIN && errno != EINTR) {
			log_debug(
			    "client %" PRIu64 ": %s", c->id, strerror(errno));
			conn_free(c);
		} else {
			conn_read_later(c);
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
	if ((c->in = evbuffer_new()) == NULL || conn_take_input(c, in) == -1) {
		evbuffer_drain(in, evbuffer_get_length(in));
		conn_free(c);
		return -1;
	}
	return 0;
}

/*
 * The socket takes output again: writes, and goes back to writing first
 * once all is out.  Returns -1 if c was freed.
 */
static int
conn_on_writable(struct conn *c)
{
	if (conn_write(c) == -1 && errno != EAGAIN && errno != EINTR) {
		log_debug("client %" PRIu64 ": %s", c->id, strerror(errno));
		conn_free(c);
		return -1;
	}
	if (evbuffer_get_length(c->out) > 0) {
		/* What the transport waits for may have changed. */
		conn_arm(c);
		return 0;
	}
	c->writing = 0;
	conn_arm(c);
	return conn_free_if_done(c);
}

static void
conn_on_io(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	/* The idle timeout runs again from this activation. */
	if (c->idle_ms != 0)
		conn_idle_touch(c);
	/* What the transport waited for came: it may go on either way. */
	if (what & c->io.want) {
		c->io.want = 0;
		what |= EV_READ | (c->writing ? EV_WRITE : 0);
	}
	if ((what & EV_WRITE) && conn_on_writable(c) == -1)
		return;
	if (what & EV_READ)
		conn_on_readable(c);
}
