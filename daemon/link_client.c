/* SPDX-License-Identifier: MIT */
/*
 * link_client - the dialling end of links (see link_client.h).
 *
 * Every configured link is a struct node_link on worker 0.  Its life:
 * dial (a host name resolved on a thread of its own: link_resolve.c; a
 * non-blocking connect to each address in turn, then TLS if asked) ->
 * HELLO 3 [AUTH] ->
 * CLIENT ENCODING MSGPACK -> LINK REGISTER <as> <our exported commands'
 * descriptors> -> LINK COMMANDS (what to import) -> up.  Each step is
 * written when the previous one is answered.  Up, it serves the other
 * end's calls (push frames) by dispatching them here, answering through
 * this session's writer as LINK REPLY / LINK ERROR ... NOREPLY, which the
 * other end does not answer: those answers wait in the conn's reply
 * queue (a slow command's behind it) while everything else is written
 * out of band, ahead of them: our calls of "<name>.<command>" as ordinary
 * commands, heartbeats, forwarded publishes.  The other end answers those
 * in the order they were written, so a FIFO of what each answer is for
 * (struct lc_exp) pairs them.  Down, it redials after
 * 100 ms doubling to 30 s, with +-20% jitter; every call it owed fails
 * with LINKDOWN and none is sent twice.
 *
 * L4, on worker 0's thread (but link_client_prepare, on the main thread).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/ssl.h>

#include "config.h"
#include "conn.h"
#include "convert.h"
#include "describe.h"
#include "dispatch.h"
#include "env.h"
#include "link_call.h"
#include "link_client.h"
#include "link_client_int.h"
#include "links.h"
#include "pubsub.h"
#include "log.h"
#include "registry.h"
#include "reply.h"
#include "resp3.h"
#include "tls.h"
#include "util.h"

/* The links of the config being applied (link_client_prepare). */
struct link_client_set {
	struct env *env;           /* borrowed: worker 0's, once applied */
	struct config_link *links; /* owned copies */
	struct ssl_ctx_st **tls;   /* owned references, NULL: plain */
	size_t n;
};
static struct node_link *lc_links; /* worker 0's */

static void lc_dial(struct node_link *nl);

static const struct conn_proto *const lc_protos[] = {&lc_proto};

/* Keeps why as the reason nl's link is down (GET /links, the log). */
void
lc_why(struct node_link *nl, const char *why)
{
	pthread_mutex_lock(&nl->link->lock);
	snprintf(nl->link->error, sizeof(nl->link->error), "%s", why);
	pthread_mutex_unlock(&nl->link->lock);
	nl->failed = 1;
}

/* Logs why nl's link went or stays down, and closes its conn. */
void
lc_fail(struct node_link *nl, const char *fmt, ...)
{
	char why[sizeof(((struct link *)0)->error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	lc_why(nl, why);
	if (nl->c != NULL)
		conn_free(nl->c); /* lc_fini redials */
	else
		lc_schedule(nl, nl->backoff_ms);
}
/* Waits ms, +-20%, then dials; the next wait doubles, up to the most. */
void
lc_schedule(struct node_link *nl, uint64_t ms)
{
	uint32_t r;
	struct timeval tv;

	if (nl->removed || nl->env->draining)
		return;
	pthread_mutex_lock(&nl->link->lock);
	log_warnx("link %s: %s; retrying in %" PRIu64 " ms", nl->cfg.name,
	    nl->link->error, ms);
	pthread_mutex_unlock(&nl->link->lock);
	nl->failed = 0;
	evutil_secure_rng_get_bytes(&r, sizeof(r));
	ms = ms * 8 / 10 + (ms * 4 / 10) * (r % 1000) / 1000;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	nl->state = LC_WAITING;
	event_add(nl->timer, &tv);
	nl->backoff_ms *= 2;
	if (nl->backoff_ms > LC_BACKOFF_MAX_MS)
		nl->backoff_ms = LC_BACKOFF_MAX_MS;
}

/* The connected socket of nl becomes its conn; the handshake begins. */
static void
lc_attach(struct node_link *nl, const struct sockaddr *sa)
{
	struct tls_client_arg arg = {nl->tls, nl->cfg.host};
	const char *words[5] = {
	    "HELLO", "3", "AUTH", nl->cfg.user, nl->cfg.token};
	struct lc_sess *s;
	struct conn *c;
	char local[96];

	snprintf(local, sizeof(local), "link %s", nl->cfg.name);
	c = conn_new(
	    nl->env, nl->fd, sa, local, &transport_plain, lc_protos, 1);
	nl->fd = -1;
	if (c == NULL) {
		lc_fail(nl, "out of memory");
		return;
	}
	if (nl->tls != NULL &&
	    conn_start_transport(c, &transport_tls_client, &arg) == -1) {
		lc_fail(nl, "out of memory");
		return;
	}
	if (lc_start(c) == -1) {
		conn_free(c);
		lc_fail(nl, "out of memory");
		return;
	}
	c->proto = &lc_proto;
	s = c->sess;
	s->nl = nl;
	nl->c = c;
	nl->state = LC_HANDSHAKE;
	conn_set_idle_exempt(c, 1);
	event_add(nl->timer,
	    &(struct timeval){
	        LC_CONNECT_MS / 1000, (LC_CONNECT_MS % 1000) * 1000});
	if (lc_send_words(
	        c, LC_EXP_HELLO, nl->cfg.token != NULL ? 5 : 2, words) == -1)
		lc_fail(nl, "out of memory");
}

/* Forgets the addresses of nl's last dial. */
static void
lc_addrs_free(struct node_link *nl)
{
	if (nl->addrs != NULL)
		evutil_freeaddrinfo(nl->addrs);
	nl->addrs = nl->next_addr = NULL;
}

static void lc_on_connect(evutil_socket_t fd, short what, void *arg);

/*
 * Connects to nl's next address (non-blocking; lc_on_connect follows),
 * or, when none is left, fails with err, the last address's error.
 */
static void
lc_connect_next(struct node_link *nl, int err)
{
	struct timeval tv = {LC_CONNECT_MS / 1000, 0};
	struct evutil_addrinfo *ai;

	nl->state = LC_DIALLING;
	while ((ai = nl->next_addr) != NULL) {
		nl->next_addr = ai->ai_next;
		nl->fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (nl->fd != -1 &&
		    evutil_make_socket_nonblocking(nl->fd) == 0 &&
		    evutil_make_socket_closeonexec(nl->fd) == 0 &&
		    (connect(nl->fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		        errno == EINPROGRESS)) {
			nl->connect_ev = event_new(
			    nl->env->base, nl->fd, EV_WRITE, lc_on_connect, nl);
			if (nl->connect_ev != NULL &&
			    event_add(nl->connect_ev, &tv) == 0)
				return;
			err = ENOMEM;
		} else
			err = errno;
		if (nl->connect_ev != NULL)
			event_free(nl->connect_ev);
		nl->connect_ev = NULL;
		if (nl->fd != -1)
			evutil_closesocket(nl->fd);
		nl->fd = -1;
	}
	lc_addrs_free(nl);
	lc_fail(nl, "cannot connect to %s: %s", nl->cfg.connect, strerror(err));
}

/* The dial of nl finished (EV_WRITE) or timed out: the next address is
 * tried after a failure. */
static void
lc_on_connect(evutil_socket_t fd, short what, void *arg)
{
	struct node_link *nl = arg;
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	int err = 0;
	socklen_t elen = sizeof(err);

	event_free(nl->connect_ev);
	nl->connect_ev = NULL;
	if (!(what & EV_WRITE))
		err = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
		err = errno;
	if (err == 0 && getpeername(fd, (struct sockaddr *)&ss, &slen) == -1)
		err = errno;
	if (err != 0) {
		evutil_closesocket(fd);
		nl->fd = -1;
		lc_connect_next(nl, err);
		return;
	}
	lc_addrs_free(nl);
	lc_attach(nl, (struct sockaddr *)&ss);
}

/* The addresses of nl's name (taken), or getaddrinfo's error rc. */
static void
lc_resolved(void *arg, struct evutil_addrinfo *ai, int rc)
{
	struct node_link *nl = arg;

	nl->resolving = NULL;
	event_del(nl->timer);
	if (rc != 0) {
		lc_fail(nl, "cannot resolve %s: %s", nl->cfg.host,
		    evutil_gai_strerror(rc));
		return;
	}
	nl->addrs = nl->next_addr = ai;
	lc_connect_next(nl, EHOSTUNREACH);
}

/*
 * Dials nl's address: an address literal at once, a name once a thread
 * has resolved it (worker 0 goes on serving meanwhile), each address it
 * has in turn.
 */
static void
lc_dial(struct node_link *nl)
{
	struct evutil_addrinfo *ai = NULL;

	lc_addrs_free(nl);
	if (lc_resolve_numeric(nl->cfg.host, nl->cfg.port, &ai) == 0) {
		lc_resolved(nl, ai, 0);
		return;
	}
	nl->state = LC_RESOLVING;
	nl->resolving = lc_resolve_start(
	    nl->env, nl->cfg.host, nl->cfg.port, lc_resolved, nl);
	if (nl->resolving == NULL) {
		lc_fail(nl, "cannot resolve %s: out of memory", nl->cfg.host);
		return;
	}
	event_add(nl->timer,
	    &(struct timeval){
	        LC_CONNECT_MS / 1000, (LC_CONNECT_MS % 1000) * 1000});
}

/* nl's timer: redial, the handshake's deadline, or a heartbeat. */
static void
lc_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct node_link *nl = arg;
	const char *ping[] = {"PING"};

	(void)fd;
	(void)what;
	switch (nl->state) {
	case LC_WAITING:
		lc_dial(nl);
		break;
	case LC_RESOLVING:
		lc_resolve_cancel(nl->resolving);
		nl->resolving = NULL;
		lc_fail(nl, "cannot resolve %s: no answer within %d ms",
		    nl->cfg.host, LC_CONNECT_MS);
		break;
	case LC_HANDSHAKE:
		lc_fail(
		    nl, "no answer to the login within %d ms", LC_CONNECT_MS);
		break;
	case LC_UP:
		if (nl->missed >= LC_MISSED_MAX) {
			lc_fail(
			    nl, "no answer to %d heartbeats", LC_MISSED_MAX);
			break;
		}
		nl->missed++;
		if (lc_send_words(nl->c, LC_EXP_PING, 1, ping) == -1) {
			lc_fail(nl, "out of memory");
			break;
		}
		event_add(
		    nl->timer, &(struct timeval){LC_HEARTBEAT_MS / 1000, 0});
		break;
	default:
		break;
	}
}

/* Stops nl for good: its conn closes, its link leaves the table. */
static void
lc_remove(struct node_link *nl)
{
	nl->removed = 1;
	if (nl->c != NULL)
		conn_free(nl->c);
	pubsub_sub_fini(&nl->out);
	if (nl->connect_ev != NULL) {
		event_free(nl->connect_ev);
		evutil_closesocket(nl->fd);
	}
	if (nl->resolving != NULL)
		lc_resolve_cancel(nl->resolving);
	lc_addrs_free(nl);
	event_free(nl->timer);
	if (nl->link != NULL) {
		nl->link->owner = NULL;
		link_withdraw(nl->link);
		link_unref(nl->link);
	}
	if (nl->tls != NULL)
		tls_ctx_unref(nl->tls);
	config_link_free(&nl->cfg);
	free(nl);
}

/* A new node_link for cfg (moved from the set), dialling now. */
static void
lc_add(struct env *e, struct config_link *cfg, struct ssl_ctx_st *tls)
{
	struct node_link *nl = calloc(1, sizeof(*nl));
	size_t i;

	if (nl == NULL ||
	    (nl->link = link_new(cfg->name, LINK_SIDE_NODE)) == NULL ||
	    (nl->timer = event_new(e->base, -1, 0, lc_on_timer, nl)) == NULL) {
		log_error("link %s: out of memory", cfg->name);
		if (nl != NULL)
			link_unref(nl->link);
		free(nl);
		config_link_free(cfg);
		if (tls != NULL)
			tls_ctx_unref(tls);
		return;
	}
	nl->env = e;
	nl->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	nl->tls = tls;
	nl->fd = -1;
	/* GET /links shows where it dials before it is ever up. */
	snprintf(nl->link->peer, sizeof(nl->link->peer), "%s", nl->cfg.connect);
	nl->backoff_ms = LC_BACKOFF_MIN_MS;
	nl->link->owner = nl;
	link_publish(nl->link, NULL);
	pubsub_sub_init(&nl->out, e, &lc_out_sink, nl);
	for (i = 0; i < nl->cfg.nchannels_out; i++)
		pubsub_subscribe(&nl->out, 1, nl->cfg.channels_out[i],
		    strlen(nl->cfg.channels_out[i]));
	nl->next = lc_links;
	lc_links = nl;
	lc_dial(nl);
}

static void
lc_set_free(struct link_client_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		config_link_free(&set->links[i]);
		if (set->tls[i] != NULL)
			tls_ctx_unref(set->tls[i]);
	}
	free(set->links);
	free(set->tls);
	free(set);
}

/*
 * The links of cf, ready to apply: copies of their settings and their TLS
 * contexts.  Returns NULL (logged) when a context cannot be made or out
 * of memory.  Main thread.
 */
struct link_client_set *
link_client_prepare(const struct config *cf)
{
	struct link_client_set *set = calloc(1, sizeof(*set));
	char err[256];
	size_t i;

	if (set == NULL)
		return NULL;
	set->links = calloc(cf->nlinks + 1, sizeof(*set->links));
	set->tls = calloc(cf->nlinks + 1, sizeof(*set->tls));
	if (set->links == NULL || set->tls == NULL)
		goto fail;
	for (i = 0; i < cf->nlinks; i++, set->n++) {
		const struct config_link *l = &cf->links[i];

		if (config_link_copy(&set->links[i], l) == -1)
			goto fail;
		if (l->tls &&
		    (set->tls[i] = tls_client_ctx_new(l->tls_ca, l->tls_cert,
		         l->tls_key, err, sizeof(err))) == NULL) {
			log_error("%s:%d:%d: link %s: %s", cf->file, l->line,
			    l->column, l->name, err);
			set->n++;
			goto fail;
		}
	}
	return set;
fail:
	lc_set_free(set);
	return NULL;
}

/*
 * On worker 0: links no longer configured (or configured otherwise) stop,
 * new ones start; the same ones stay up.
 */
static void
lc_on_apply(evutil_socket_t fd, short what, void *arg)
{
	struct link_client_set *set = arg;
	struct node_link **pp, *nl;
	size_t i;

	(void)fd;
	(void)what;
	for (pp = &lc_links; (nl = *pp) != NULL;) {
		for (i = 0; i < set->n; i++)
			if (set->links[i].name != NULL &&
			    config_link_equal(&nl->cfg, &set->links[i]))
				break;
		if (i < set->n) {
			config_link_free(&set->links[i]); /* kept as is */
			if (set->tls[i] != NULL)
				tls_ctx_unref(set->tls[i]);
			set->tls[i] = NULL;
			pp = &nl->next;
			continue;
		}
		*pp = nl->next;
		for (i = 0; i < set->n; i++)
			if (set->links[i].name != NULL &&
			    strcmp(set->links[i].name, nl->cfg.name) == 0)
				break;
		log_info("link %s: %s", nl->cfg.name,
		    i < set->n ? "its settings changed: reconnecting"
		               : "no longer configured: closed");
		lc_remove(nl);
	}
	for (i = 0; i < set->n; i++) {
		if (set->links[i].name == NULL)
			continue;
		lc_add(set->env, &set->links[i], set->tls[i]);
		set->tls[i] = NULL;
	}
	lc_set_free(set);
}

/*
 * Applies set (taken) on worker e's thread: at start and after each
 * reload that loaded.
 */
void
link_client_apply(struct env *e, struct link_client_set *set)
{
	set->env = e;
	if (env_post(e, lc_on_apply, set) == -1)
		lc_set_free(set);
}

/* After the workers have stopped: every link goes (main thread). */
void
link_client_shutdown(void)
{
	struct node_link *nl;

	lc_resolve_shutdown();
	while ((nl = lc_links) != NULL) {
		lc_links = nl->next;
		lc_remove(nl);
	}
}
