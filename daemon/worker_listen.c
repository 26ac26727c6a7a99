/* SPDX-License-Identifier: MIT */
/*
 * worker_listen - the listeners of the workers (L5): opening them, the
 * accept path (a conn with the listener's transport and protocols, the
 * sessions being the only L4 modules named here), unix-socket handoff to
 * other workers, and checking and reopening them on a reload.  The
 * threads and their loops are worker.c's.
 *
 * Each worker binds its own SO_REUSEPORT socket per TCP listen address, so
 * the kernel spreads connections across workers with no shared accept
 * queue.  A listener is a level-triggered event that accepts one
 * connection per wakeup, as nginx does (multi_accept off): the loop serves
 * what else is ready before it takes the next, so a wave of new TLS
 * connections cannot queue a run of handshakes (hundreds of µs each)
 * ahead of requests already read.  Because SO_REUSEPORT would also let a second
 * daemon share the port silently, the address is first probed with a plain
 * bind: a port in use is an error, as users expect.  Unix sockets are served by
 * worker 0. Every error about an address names the file:line:column of its
 * listen entry.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "call.h"
#include "conn.h"
#include "http_session.h"
#include "log.h"
#include "registry.h"
#include "resp_session.h"
#include "tls.h"
#include "transport.h"
#include "worker.h"

#define WORKER_BACKLOG 511
/* How long a listener rests after accept failed for want of descriptors
 * or memory (a readable listener would otherwise spin). */
#define WORKER_ACCEPT_REST_MS 100
/* Marks, during a relisten, a listener the new set has not claimed. */
#define WORKER_STALE 0x80000000u

/* A listener's protocols, in sniffing order (HTTP's sniff says no to
 * what is not a request line; RESP takes the rest). */
static const struct conn_proto *const worker_protos_both[] = {
    &http_session_proto, &resp_session_proto};
static const struct conn_proto *const worker_protos_resp[] = {
    &resp_session_proto};
static const struct conn_proto *const worker_protos_http[] = {
    &http_session_proto};

/*
 * Takes an accepted socket up as a conn of w (on w's thread), with the
 * transport and the protocols of a listener that serves protocols
 * (CONFIG_PROTO_*), once the connection limits let it in (see
 * worker_admit).  Returns the conn, or NULL (socket closed).
 */
struct conn *
worker_conn_new(struct worker *w, evutil_socket_t fd, const struct sockaddr *sa,
    const char *local, unsigned protocols)
{
	const struct conn_proto *const *protos = worker_protos_both;
	struct peers_entry *peer;
	struct conn *c;
	size_t n = 2;

	if (protocols == CONFIG_PROTO_RESP) {
		protos = worker_protos_resp;
		n = 1;
	} else if (protocols == CONFIG_PROTO_HTTP) {
		protos = worker_protos_http;
		n = 1;
	}
	if (worker_admit(w, fd, sa, &peer) == -1)
		return NULL;
	c = conn_new(&w->env, fd, sa, local, &transport_plain, protos, n);
	if (c == NULL)
		worker_unadmit(peer);
	else
		worker_admitted(c, sa, peer);
	return c;
}

static void worker_handoff(
    struct worker *to, evutil_socket_t fd, const struct worker_listener *l);
static int worker_check_twins(const struct config *cf);
static void worker_listen_error(
    const char *file, const struct config_listen *cl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
worker_on_accept(
    struct worker_listener *l, evutil_socket_t fd, struct sockaddr *sa)
{
	struct worker *w = l->worker;
	struct conn *c;

	if (!worker_admit_address(w, fd, sa, l->text))
		return;
	/* Unix sockets have one acceptor: spread its clients round-robin. */
	if (sa->sa_family == AF_UNIX && w->npeers > 1) {
		struct worker *to =
		    &w->peers[w->next_peer++ % (unsigned)w->npeers];

		if (to != w) {
			worker_handoff(to, fd, l);
			return;
		}
	}
	c = worker_conn_new(w, fd, sa, l->text, l->protocols);
	if (c != NULL && l->tls != NULL)
		conn_start_transport(c, &transport_tls, l->tls);
}

/*
 * What a failed accept means: nothing (the queue is empty, or the client
 * left first), a rest of the listener when descriptors or memory ran out,
 * or a warning.
 */
static void
worker_accept_failed(struct worker_listener *l, int err)
{
	struct timeval rest = {0, WORKER_ACCEPT_REST_MS * 1000};

	switch (err) {
	case EAGAIN:
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
		return;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		log_warnx("accept on %s: %s; it rests %d ms", l->text,
		    strerror(err), WORKER_ACCEPT_REST_MS);
		event_del(l->ev);
		evtimer_add(l->rest, &rest);
		return;
	default:
		log_warnx("accept on %s: %s", l->text, strerror(err));
	}
}

/* A listener is readable: accepts one connection (see the top). */
static void
worker_on_listen(evutil_socket_t fd, short what, void *arg)
{
	struct worker_listener *l = arg;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	evutil_socket_t s;

	(void)what;
	s = accept4(
	    fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (s == -1)
		worker_accept_failed(l, errno);
	else
		worker_on_accept(l, s, (struct sockaddr *)&ss);
}

/* A listener's rest is over: it accepts again. */
static void
worker_on_rest(evutil_socket_t fd, short what, void *arg)
{
	struct worker_listener *l = arg;

	(void)fd;
	(void)what;
	event_add(l->ev, NULL);
}

/*
 * Passes an accepted unix-socket connection to worker to (any thread).
 */
static void
worker_handoff(
    struct worker *to, evutil_socket_t fd, const struct worker_listener *l)
{
	struct worker_handoff *h;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	h->fd = fd;
	h->protocols = l->protocols;
	snprintf(h->text, sizeof(h->text), "%s", l->text);
	pthread_mutex_lock(&to->handoff_lock);
	STAILQ_INSERT_TAIL(&to->handoffs, h, entry);
	pthread_mutex_unlock(&to->handoff_lock);
	event_active(to->handoff_ev, EV_READ, 0);
}

/*
 * Takes up the connections worker 0 handed over (on w's thread); once
 * draining, closes them instead.  Also frees what is left at the end.
 */
void
worker_on_handoff(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	STAILQ_HEAD(, worker_handoff) list = STAILQ_HEAD_INITIALIZER(list);
	struct worker_handoff *h;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&w->handoff_lock);
	STAILQ_CONCAT(&list, &w->handoffs);
	pthread_mutex_unlock(&w->handoff_lock);
	while ((h = STAILQ_FIRST(&list)) != NULL) {
		STAILQ_REMOVE_HEAD(&list, entry);
		if (w->env.draining || w->env.base == NULL)
			evutil_closesocket(h->fd);
		else
			worker_conn_new(w, h->fd, (struct sockaddr *)&sun,
			    h->text, h->protocols);
		free(h);
	}
}

/*
 * Logs an error about the listen entry cl of the config file: its
 * file:line:column (only the file for the default address), its address,
 * then what went wrong.
 */
static void
worker_listen_error(
    const char *file, const struct config_listen *cl, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (cl->line > 0)
		log_error("%s:%d:%d: listen %s: %s", file, cl->line, cl->column,
		    cl->text, why);
	else
		log_error(
		    "%s: listen %s (the default): %s", file, cl->text, why);
}

/*
 * Resolves a TCP listen address.  Returns 0 or -1 (logged).
 */
static int
worker_resolve(const char *file, const struct config_listen *cl,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct evutil_addrinfo hints, *ai;
	int rv;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_ADDRCONFIG;
	if ((rv = evutil_getaddrinfo(cl->host, cl->port, &hints, &ai)) != 0) {
		worker_listen_error(file, cl, "%s", evutil_gai_strerror(rv));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = (socklen_t)ai->ai_addrlen;
	evutil_freeaddrinfo(ai);
	return 0;
}

/*
 * A TCP socket bound to sa (non-blocking, close-on-exec), with
 * SO_REUSEPORT when reuseport is set (every worker binds the address).
 * Returns it, or -1 (errno set).
 */
static evutil_socket_t
worker_tcp_bind(const struct sockaddr *sa, socklen_t len, int reuseport)
{
	evutil_socket_t fd;
	int one = 1, err;

	fd = socket(
	    sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    (reuseport &&
	        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ==
	            -1) ||
	    bind(fd, sa, len) == -1) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * Fails if the address is taken, before SO_REUSEPORT could hide it: a
 * plain bind, let go at once.
 */
static int
worker_probe(const char *file, const struct config_listen *cl,
    const struct sockaddr *sa, socklen_t len)
{
	evutil_socket_t fd;

	if ((fd = worker_tcp_bind(sa, len, 0)) == -1) {
		worker_listen_error(file, cl, "%s", strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Whether something accepts connections on the unix socket.
 */
static int
worker_unix_in_use(const struct sockaddr_un *sun, socklen_t len)
{
	int fd, rv;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	rv = connect(fd, (const struct sockaddr *)sun, len) == 0;
	close(fd);
	return rv;
}

/*
 * Binds a unix socket at cl's path (filling sun) and gives the file its
 * owner, group and mode before it listens.  Returns the socket
 * (non-blocking, close-on-exec), or -1 (logged).
 */
static evutil_socket_t
worker_unix_bind(
    const char *file, const struct config_listen *cl, struct sockaddr_un *sun)
{
	socklen_t len = sizeof(*sun);
	const char *what = "bind";
	evutil_socket_t fd;
	struct stat st;

	if (strlen(cl->path) >= sizeof(sun->sun_path)) {
		worker_listen_error(file, cl, "path too long");
		return -1;
	}
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, cl->path);
	/* A socket left by an earlier run would make bind fail; one that
	 * still answers belongs to a running daemon. */
	if (stat(cl->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		if (worker_unix_in_use(sun, len)) {
			worker_listen_error(
			    file, cl, "in use by another process");
			return -1;
		}
		unlink(cl->path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		worker_listen_error(file, cl, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)sun, len) == -1)
		goto fail;
	if (worker_unix_perms(cl, &what) == -1) {
		unlink(cl->path);
		goto fail;
	}
	return fd;
fail:
	worker_listen_error(file, cl, "%s: %s", what, strerror(errno));
	close(fd);
	return -1;
}

/*
 * Opens one listener of w for the listen entry cl of file.  Returns 0 or
 * -1 (logged).
 */
static int
worker_listen(struct worker *w, const char *file,
    const struct config_listen *cl, int probe, struct ssl_ctx_st *tls)
{
	struct worker_listener *l = NULL;
	struct sockaddr_storage ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
	socklen_t sslen;
	evutil_socket_t fd;

	memset(&ss, 0, sizeof(ss));
	if (cl->is_unix) {
		sslen = sizeof(*sun);
		if ((fd = worker_unix_bind(file, cl, sun)) == -1)
			return -1;
	} else {
		if (worker_resolve(file, cl, &ss, &sslen) == -1)
			return -1;
		if (probe &&
		    worker_probe(file, cl, (struct sockaddr *)&ss, sslen) == -1)
			return -1;
		if ((fd = worker_tcp_bind((struct sockaddr *)&ss, sslen, 1)) ==
		    -1) {
			worker_listen_error(file, cl, "%s", strerror(errno));
			return -1;
		}
	}
	if (listen(fd, WORKER_BACKLOG) == -1) {
		worker_listen_error(file, cl, "listen: %s", strerror(errno));
		goto fail;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->ev = event_new(w->env.base, fd, EV_READ | EV_PERSIST,
	         worker_on_listen, l)) == NULL ||
	    (l->rest = evtimer_new(w->env.base, worker_on_rest, l)) == NULL ||
	    event_add(l->ev, NULL) == -1) {
		worker_listen_error(file, cl, "out of memory");
		goto fail;
	}
	l->fd = fd;
	l->worker = w;
	l->protocols = cl->protocols;
	l->tls = tls_ctx_ref(tls);
	memcpy(&l->addr, &ss, sizeof(ss));
	l->addrlen = sslen;
	snprintf(l->text, sizeof(l->text), "%s", cl->text);
	TAILQ_INSERT_TAIL(&w->listeners, l, entry);
	return 0;
fail:
	if (l != NULL) {
		if (l->ev != NULL)
			event_free(l->ev);
		if (l->rest != NULL)
			event_free(l->rest);
		free(l);
	}
	close(fd);
	if (cl->is_unix)
		unlink(cl->path);
	return -1;
}

/*
 * Closes one listener of w and frees it.
 */
static void
worker_listener_free(struct worker *w, struct worker_listener *l)
{
	TAILQ_REMOVE(&w->listeners, l, entry);
	event_free(l->ev);
	event_free(l->rest);
	close(l->fd);
	/* A unix socket's file goes with it. */
	if (l->addr.ss_family == AF_UNIX)
		unlink(((struct sockaddr_un *)&l->addr)->sun_path);
	tls_ctx_unref(l->tls);
	free(l);
}

/*
 * Opens the listeners of every worker: TCP addresses on each, unix
 * sockets on worker 0.  Returns 0, or -1 after logging each failure.
 */
int
worker_listen_all(struct worker *workers, int n, const struct config *cf,
    const struct tls_set *tls)
{
	size_t i;
	int k, rv = 0;

	if (worker_check_twins(cf) == -1)
		return -1;
	for (k = 0; k < n; k++) {
		struct worker *w = &workers[k];

		w->peers = workers;
		w->npeers = n;
		for (i = 0; i < cf->nlisten; i++) {
			if (cf->listen[i].is_unix && k != 0)
				continue;
			if (worker_listen(w, cf->file, &cf->listen[i], k == 0,
			        tls_set_get(tls, i)) == -1)
				rv = -1;
		}
		if (rv == -1)
			return -1;
	}
	for (i = 0; i < cf->nlisten; i++)
		log_info("listening on %s", cf->listen[i].text);
	return 0;
}

/*
 * Closes w's listeners (on w's thread, or once it has ended).
 */
void
worker_close_listeners(struct worker *w)
{
	struct worker_listener *l;

	while ((l = TAILQ_FIRST(&w->listeners)) != NULL)
		worker_listener_free(w, l);
}

/*
 * The socket address of the listen entry cl of file, TCP or unix.
 * Returns 0 or -1 (logged).
 */
static int
worker_address(const char *file, const struct config_listen *cl,
    struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof(*ss));
	if (!cl->is_unix)
		return worker_resolve(file, cl, ss, len);
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", cl->path);
	*len = sizeof(*sun);
	return 0;
}

static int
worker_addr_eq(const struct sockaddr_storage *a, socklen_t alen,
    const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/*
 * Fails when two listen entries of cf name the same address (however
 * written): the second would find it taken by the first.  Returns 0, or
 * -1 after logging each.
 */
static int
worker_check_twins(const struct config *cf)
{
	struct sockaddr_storage a, b;
	socklen_t alen, blen;
	size_t i, j;
	int rv = 0;

	for (i = 1; i < cf->nlisten; i++) {
		if (worker_address(cf->file, &cf->listen[i], &a, &alen) == -1) {
			rv = -1;
			continue;
		}
		for (j = 0; j < i; j++) {
			if (worker_address(
			        cf->file, &cf->listen[j], &b, &blen) == 0 &&
			    worker_addr_eq(&a, alen, &b, blen)) {
				worker_listen_error(cf->file, &cf->listen[i],
				    "the same address as %s at line %d",
				    cf->listen[j].text, cf->listen[j].line);
				rv = -1;
				break;
			}
		}
	}
	return rv;
}

/*
 * Whether the daemon already listens on cl's address in the old config
 * (however it was written, whatever its protocols).
 */
static int
worker_already_bound(
    const struct config *old, const char *file, const struct config_listen *cl)
{
	struct sockaddr_storage a, b;
	socklen_t alen, blen;
	size_t i;

	if (old == NULL || worker_address(file, cl, &a, &alen) == -1)
		return 0;
	for (i = 0; i < old->nlisten; i++) {
		if (worker_address(old->file, &old->listen[i], &b, &blen) ==
		        0 &&
		    worker_addr_eq(&a, alen, &b, blen))
			return 1;
	}
	return 0;
}

/*
 * Checks that a unix socket could be made at cl's path as a start makes
 * it, without touching what is there: nothing accepts on it, it is not
 * another kind of file, and its folder exists and is writable.  A socket
 * nobody accepts on is left by an earlier run; the start removes it.
 * Returns 0, or -1 (logged).
 */
static int
worker_check_unix(const char *file, const struct config_listen *cl)
{
	struct sockaddr_un sun;
	struct stat st;
	char dir[sizeof(sun.sun_path)], *slash;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", cl->path);
	if (stat(cl->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			worker_listen_error(file, cl,
			    "%s exists and is not a socket", cl->path);
			return -1;
		}
		if (worker_unix_in_use(&sun, sizeof(sun))) {
			worker_listen_error(
			    file, cl, "in use by another process");
			return -1;
		}
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s", cl->path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, W_OK | X_OK) == -1) {
		worker_listen_error(file, cl,
		    "cannot create a socket in %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Checks that the listen addresses of cf are free, binding each TCP one
 * and closing it at once as a start probes it: for duetd -t (old is NULL:
 * every address) and before a reload is published (only the addresses old
 * does not already listen on).  Returns 0, or -1 after logging each
 * problem with its file:line:column.
 */
int
worker_check_listeners(const struct config *old, const struct config *cf)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	size_t i;
	int rv = 0;

	if (worker_check_twins(cf) == -1)
		return -1;
	for (i = 0; i < cf->nlisten; i++) {
		const struct config_listen *cl = &cf->listen[i];

		if (worker_already_bound(old, cf->file, cl))
			continue;
		if (cl->is_unix) {
			if (worker_check_unix(cf->file, cl) == -1)
				rv = -1;
		} else if (worker_resolve(cf->file, cl, &ss, &sslen) == -1 ||
		    worker_probe(cf->file, cl, (struct sockaddr *)&ss, sslen) ==
		        -1) {
			rv = -1;
		}
	}
	return rv;
}

/*
 * The listener of w bound to cl's address, or NULL.
 */
static struct worker_listener *
worker_find_listener(
    struct worker *w, const char *file, const struct config_listen *cl)
{
	struct sockaddr_storage ss;
	struct worker_listener *l;
	socklen_t len;

	if (worker_address(file, cl, &ss, &len) == -1)
		return NULL;
	TAILQ_FOREACH(l, &w->listeners, entry) {
		if (worker_addr_eq(&l->addr, l->addrlen, &ss, len))
			return l;
	}
	return NULL;
}

/* A new set of listen addresses for one worker; owned by the event. */
struct worker_relisten {
	struct worker *w;
	char *file;                   /* owned copy of the config's path */
	struct config_listen *listen; /* owned deep copy (but tls) */
	struct ssl_ctx_st **tls;      /* owned references, one per listen */
	size_t n;
};

static void
worker_relisten_free(struct worker_relisten *rl)
{
	size_t i;

	for (i = 0; i < rl->n; i++) {
		free(rl->listen[i].text);
		free(rl->listen[i].host);
		free(rl->listen[i].port);
		free(rl->listen[i].path);
		tls_ctx_unref(rl->tls[i]);
	}
	free(rl->listen);
	free(rl->tls);
	free(rl->file);
	free(rl);
}

/*
 * Gives a unix socket a reload keeps its new owner, group and mode.
 */
static void
worker_relisten_perms(const char *file, const struct config_listen *cl)
{
	const char *what;

	if (worker_unix_perms(cl, &what) == -1)
		worker_listen_error(file, cl, "%s: %s", what, strerror(errno));
}

/*
 * On w's thread: keeps the listeners whose address the new set still has
 * (taking up its protocols), closes those it drops and opens those it
 * adds.  Connections are left alone.  Nothing happens once draining.
 */
static void
worker_on_relisten(evutil_socket_t fd, short what, void *arg)
{
	struct worker_relisten *rl = arg;
	struct worker *w = rl->w;
	struct worker_listener *l, *next;
	size_t i;

	(void)fd;
	(void)what;
	TAILQ_FOREACH(l, &w->listeners, entry)
		l->protocols |= WORKER_STALE;
	for (i = 0; i < rl->n && !w->env.draining; i++) {
		const struct config_listen *cl = &rl->listen[i];

		if (cl->is_unix && w->env.index != 0)
			continue;
		if ((l = worker_find_listener(w, rl->file, cl)) != NULL) {
			l->protocols = cl->protocols;
			snprintf(l->text, sizeof(l->text), "%s", cl->text);
			if (cl->is_unix)
				worker_relisten_perms(rl->file, cl);
			/* New conns get the new certificates. */
			tls_ctx_unref(l->tls);
			l->tls = tls_ctx_ref(rl->tls[i]);
		} else if (worker_listen(w, rl->file, cl, 0, rl->tls[i]) == 0 &&
		    w->env.index == 0) {
			log_info("listening on %s", cl->text);
		}
	}
	for (l = TAILQ_FIRST(&w->listeners); l != NULL; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (!(l->protocols & WORKER_STALE) || w->env.draining)
			continue;
		if (w->env.index == 0)
			log_info("no longer listening on %s", l->text);
		worker_listener_free(w, l);
	}
	worker_relisten_free(rl);
}

static char *
worker_strdup(const char *s, int *failed)
{
	char *copy;

	if (s == NULL)
		return NULL;
	if ((copy = strdup(s)) == NULL)
		*failed = 1;
	return copy;
}

/*
 * Asks w, from the main thread, to listen on cf's addresses after a
 * reload (see worker_on_relisten), TLS ones with the contexts of tls.
 * A failure is logged.
 */
void
worker_relisten(
    struct worker *w, const struct config *cf, const struct tls_set *tls)
{
	struct worker_relisten *rl;
	int failed = 0;
	size_t i;

	if ((rl = calloc(1, sizeof(*rl))) == NULL ||
	    (rl->listen = calloc(cf->nlisten, sizeof(*rl->listen))) == NULL ||
	    (rl->tls = calloc(cf->nlisten, sizeof(*rl->tls))) == NULL) {
		if (rl != NULL)
			free(rl->listen);
		free(rl);
		log_error("reload: listeners unchanged: out of memory");
		return;
	}
	rl->w = w;
	rl->file = worker_strdup(cf->file, &failed);
	rl->n = cf->nlisten;
	for (i = 0; i < cf->nlisten; i++) {
		rl->listen[i] = cf->listen[i];
		/* The lists stay the config's: a generation has its copy. */
		memset(&rl->listen[i].access, 0, sizeof(rl->listen[i].access));
		rl->listen[i].tls = NULL;
		rl->tls[i] = tls_ctx_ref(tls_set_get(tls, i));
		rl->listen[i].text = worker_strdup(cf->listen[i].text, &failed);
		rl->listen[i].host = worker_strdup(cf->listen[i].host, &failed);
		rl->listen[i].port = worker_strdup(cf->listen[i].port, &failed);
		rl->listen[i].path = worker_strdup(cf->listen[i].path, &failed);
	}
	if (failed ||
	    event_base_once(w->env.base, -1, EV_TIMEOUT, worker_on_relisten, rl,
	        NULL) == -1) {
		log_error("reload: listeners unchanged: out of memory");
		worker_relisten_free(rl);
	}
}
