/* SPDX-License-Identifier: MIT */
/*
 * conn_site - where a conn comes from and what it speaks (L2): the
 * listener sites conns borrow (a listener's address and the protocols it
 * serves, interned once for the process's life, so that a conn holds one
 * pointer and survives a reload that frees its listener), the peer's
 * address text made at accept, and the sniffing that picks a conn's
 * protocol from its first bytes among its site's and starts its session.
 * Runs once per conn (at accept, and on its first reads until a protocol
 * is picked), never per request.  Reading, writing and the reply queue
 * are conn.c's and conn_reply.c's.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "conn.h"
#include "conn_int.h"

/* The most bytes sniffing looks at (an HTTP method, a space, a '/'). */
#define CONN_SNIFF_MAX 22

static pthread_mutex_t conn_sites_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn_site *conn_sites;

/*
 * Formats a peer address as "1.2.3.4:port", "[::1]:port" or "unix".
 */
void
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
 * The site of listener address local serving protos (nprotos of them),
 * made on first use.  Returns NULL when out of memory.
 */
const struct conn_site *
conn_site(
    const char *local, const struct conn_proto *const *protos, size_t nprotos)
{
	struct conn_site *s;
	size_t len = strlen(local);

	pthread_mutex_lock(&conn_sites_lock);
	for (s = conn_sites; s != NULL; s = s->next)
		if (s->protos == protos && s->nprotos == nprotos &&
		    strcmp(s->local, local) == 0)
			break;
	if (s == NULL && (s = malloc(sizeof(*s) + len + 1)) != NULL) {
		s->protos = protos;
		s->nprotos = nprotos;
		memcpy(s->local, local, len + 1);
		s->next = conn_sites;
		conn_sites = s;
	}
	pthread_mutex_unlock(&conn_sites_lock);
	return s;
}

/* The site c->local is the address of. */
static const struct conn_site *
conn_site_of(const struct conn *c)
{
	return (const struct conn_site *)(const void *)(c->local -
	    offsetof(struct conn_site, local));
}

/*
 * Picks the connection's protocol from its first bytes: the first of the
 * listener's protocols whose sniff says yes (a listener with one takes it
 * unasked), and sets up its session.  Returns 0 when decided, 1 when more
 * bytes are needed, -1 if c was freed.
 */
int
conn_sniff(struct conn *c, struct evbuffer *in)
{
	const struct conn_site *site = conn_site_of(c);
	char first[CONN_SNIFF_MAX];
	size_t i, len = evbuffer_get_length(in);
	const struct conn_proto *p = NULL;
	int yes;

	if (len == 0)
		return 1;
	if (site->nprotos == 1)
		p = site->protos[0];
	else
		len = evbuffer_copyout(in, first, sizeof(first));
	for (i = 0; p == NULL && i < site->nprotos; i++) {
		if ((yes = site->protos[i]->sniff(first, len)) == -1)
			return 1;
		if (yes)
			p = site->protos[i];
	}
	/* The transport's verified identity, before the session starts. */
	if (c->transport->peer != NULL &&
	    c->transport->peer(
	        &c->io, &c->ident.tls_subject, &c->ident.tls_cn) == -1)
		p = NULL;
	if (p == NULL || p->start(c) == -1) {
		conn_free(c);
		return -1;
	}
	c->proto = p;
	return 0;
}
