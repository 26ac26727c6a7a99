/* SPDX-License-Identifier: MIT */
/*
 * worker_admit - who the workers let in (L5, SPEC 9.5), decided at
 * accept before a byte is read: the generation's address lists (a
 * refused peer is closed at once), limits.max_connections, exact across
 * workers (one atomic reservation, undone when over), and
 * limits.max_connections_per_ip (peers.c), both answered as Redis
 * answers at accept, then closed.  Also what a unix socket brings: the
 * peer's uid (SO_PEERCRED) for auth's unix_uid, and the socket file's
 * owner, group and mode after bind.  The listeners are worker_listen.c's.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include <event2/util.h>

#include "cidr.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "metrics.h"
#include "peers.h"
#include "registry.h"
#include "worker.h"

static const char worker_msg_max[] = "-ERR max number of clients reached\r\n";
static const char worker_msg_per_ip[] =
    "-ERR max number of clients per address reached\r\n";

/* The peer's address as text, for a debug line ("unix" if not IP). */
static const char *
worker_peer_text(const struct sockaddr *sa, char *buf, size_t size)
{
	const void *a = NULL;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (a == NULL || inet_ntop(sa->sa_family, a, buf, size) == NULL)
		return "unix";
	return buf;
}

/*
 * Refuses a connection over a limit the way Redis does: the error, then
 * close (whatever the listener's protocol, as for max_connections).
 */
static void
worker_reject(
    evutil_socket_t fd, const struct sockaddr *sa, const char *msg, size_t len)
{
	char text[INET6_ADDRSTRLEN];
	ssize_t n;

	log_debug("client from %s refused: %.*s",
	    worker_peer_text(sa, text, sizeof(text)), (int)(len - 7), msg + 5);
	n = send(fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	evutil_closesocket(fd);
	atomic_fetch_add(&worker_stats.rejected_connections, 1);
}

/*
 * Whether the peer at sa may connect to the TCP listener written listen,
 * under the access lists of w's generation.  When not, fd is closed (no
 * byte read or written) and counted.  Returns 1 (go on) or 0 (closed).
 * With no access key anywhere this is one NULL check.
 */
int
worker_admit_address(struct worker *w, evutil_socket_t fd,
    const struct sockaddr *sa, const char *listen)
{
	struct registry *reg = worker_registry(w);
	char text[INET6_ADDRSTRLEN];
	const struct cidr_acl *acl;
	uint8_t addr[16];

	if (reg == NULL || reg->access == NULL ||
	    cidr_from_sockaddr(sa, addr) == -1)
		return 1;
	if ((acl = config_acls_for(reg->access, listen)) == NULL ||
	    cidr_acl_allows(acl, addr))
		return 1;
	log_debug("client from %s refused by the access list of %s",
	    worker_peer_text(sa, text, sizeof(text)), listen);
	evutil_closesocket(fd);
	atomic_fetch_add(&worker_stats.refused_access, 1);
	return 0;
}

/*
 * Counts a new connection against limits.max_connections and, for a TCP
 * peer, limits.max_connections_per_ip (*peer: its address's count, or
 * NULL).  The count is reserved first and undone when over, so no number
 * of workers accepting at once can go past the limit.  Returns 0, or -1
 * (refused: answered, closed and counted).
 */
int
worker_admit(struct worker *w, evutil_socket_t fd, const struct sockaddr *sa,
    struct peers_entry **peer)
{
	uint64_t per_ip = w->env.limits.max_connections_per_ip;
	uint8_t addr[16];

	*peer = NULL;
	if (atomic_fetch_add(&worker_stats.connections, 1) >=
	    w->env.limits.max_connections) {
		atomic_fetch_sub(&worker_stats.connections, 1);
		worker_reject(
		    fd, sa, worker_msg_max, sizeof(worker_msg_max) - 1);
		return -1;
	}
	if (per_ip > 0 && cidr_from_sockaddr(sa, addr) == 0 &&
	    (*peer = peers_acquire(addr, per_ip)) == NULL) {
		atomic_fetch_sub(&worker_stats.connections, 1);
		worker_reject(
		    fd, sa, worker_msg_per_ip, sizeof(worker_msg_per_ip) - 1);
		return -1;
	}
	return 0;
}

/*
 * Undoes worker_admit for a connection that did not become a conn.
 */
void
worker_unadmit(struct peers_entry *peer)
{
	atomic_fetch_sub(&worker_stats.connections, 1);
	peers_release(peer);
}

/*
 * Hands what worker_admit counted to the new conn c (conn_free undoes
 * it), and records a unix socket peer's uid (SO_PEERCRED) in c->ident.
 */
void
worker_admitted(
    struct conn *c, const struct sockaddr *sa, struct peers_entry *peer)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	c->counted = 1;
	c->peer_count = peer;
	if (sa->sa_family == AF_UNIX &&
	    getsockopt(c->io.fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 &&
	    len == sizeof(uc)) {
		c->ident.has_uid = 1;
		c->ident.uid = uc.uid;
	}
}

/*
 * Gives the unix socket file of cl its owner, group and mode, if set:
 * after bind, before listen, so no client connects in between.  Returns
 * 0, or -1 with errno set and *what naming the step that failed.
 */
int
worker_unix_perms(const struct config_listen *cl, const char **what)
{
	uid_t uid = cl->has_owner ? cl->owner : (uid_t)-1;
	gid_t gid = cl->has_group ? cl->group : (gid_t)-1;

	if ((cl->has_owner || cl->has_group) &&
	    chown(cl->path, uid, gid) == -1) {
		*what = "chown";
		return -1;
	}
	if (cl->has_mode && chmod(cl->path, cl->mode) == -1) {
		*what = "chmod";
		return -1;
	}
	return 0;
}
