/* SPDX-License-Identifier: MIT */
/*
 * conn_info - what a conn tells of itself (L2): its CLIENT INFO / CLIENT
 * LIST line, its peer's address for the login throttle, and the settings
 * a client names for itself (CLIENT SETNAME, CLIENT ENCODING, HELLO).
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "conn.h"
#include "env.h"

/*
 * c's peer address without its port ("127.0.0.1", "::1", "unix"), what
 * the failed-login throttle counts, into buf.
 */
void
conn_peer_addr(const struct conn *c, char *buf, size_t len)
{
	const char *peer = c->peer, *end = strrchr(peer, ':');
	size_t n;

	if (len == 0)
		return;
	if (peer[0] == '[') {
		peer++;
		end = strchr(peer, ']');
	}
	n = end != NULL ? (size_t)(end - peer) : strlen(peer);
	if (n >= len)
		n = len - 1;
	memcpy(buf, peer, n);
	buf[n] = '\0';
}

/*
 * Writes CLIENT INFO's fields of a transport with an identity of its own
 * (TLS): " tls=TLSv1.3", and " tls-subject=..." (spaces as \20, RFC
 * 4514's escape, so the field stays one word) for a verified client
 * certificate; nothing on a plain conn.
 */
static void
conn_describe_tls(const struct conn *c, char *buf, size_t len)
{
	const char *s = c->ident.tls_subject;
	size_t n;

	buf[0] = '\0';
	if (c->transport->peer == NULL)
		return;
	n = (size_t)snprintf(buf, len, " tls=");
	if (n < len)
		c->transport->describe(&c->io, buf + n, len - n);
	n = strlen(buf);
	if (s == NULL || n + 14 >= len)
		return;
	n += (size_t)snprintf(buf + n, len - n, " tls-subject=");
	for (; *s != '\0' && n + 4 < len; s++)
		n += (size_t)snprintf(
		    buf + n, len - n, *s == ' ' ? "\\20" : "%c", *s);
}

/*
 * Appends c's line of CLIENT INFO / CLIENT LIST to out, ending in "\n":
 * Redis 7's fields in Redis's order (those duetd has no use for are
 * constant: db=0, ssub=0, multi=-1, ...; sub and psub are what the
 * session tells; user is the logged-in user, or
 * "default" as Redis shows a client that has none), then duetd's own:
 * cmds, encoding, proto, tls and tls-subject (TLS only) and worker
 * (last).  Owning worker's thread.
 */
void
conn_describe(const struct conn *c, struct evbuffer *out)
{
	size_t qbuf = c->in != NULL ? evbuffer_get_length(c->in) : 0;
	size_t omem = c->out != NULL ? evbuffer_get_length(c->out) : 0;
	int unixsock = strcmp(c->peer, "unix") == 0;
	time_t now = time(NULL);
	size_t sub = 0, psub = 0;
	char tls[512];

	if (c->proto != NULL && c->proto->subscriptions != NULL) {
		sub = c->proto->subscriptions(c, 0);
		psub = c->proto->subscriptions(c, 1);
	}
	conn_describe_tls(c, tls, sizeof(tls));
	evbuffer_add_printf(out,
	    "id=%" PRIu64 " addr=%s laddr=%s fd=%d name=%s age=%lld "
	    "idle=%lld flags=%s%s%s%s db=0 sub=%zu psub=%zu ssub=0 multi=-1 "
	    "qbuf=%zu qbuf-free=0 argv-mem=0 multi-mem=0 rbs=%zu rbp=0 "
	    "obl=0 oll=%u omem=%zu tot-mem=%zu events=%s%s cmd=%s "
	    "user=%s redir=-1 resp=%d cmds=%" PRIu64 " encoding=%s "
	    "proto=%s%s worker=%d\n",
	    c->id, c->peer, c->local, (int)c->io.fd,
	    c->name != NULL ? c->name : "",
	    (long long)(now - (time_t)c->created),
	    (long long)(now - c->last_active), c->closing ? "c" : "",
	    unixsock ? "U" : "", sub + psub > 0 ? "P" : "",
	    !c->closing && !unixsock && sub + psub == 0 ? "N" : "", sub, psub,
	    qbuf, qbuf, c->npending, omem, sizeof(*c) + qbuf + omem,
	    c->armed & EV_READ ? "r" : "", c->armed & EV_WRITE ? "w" : "",
	    c->lastcmd != NULL ? c->lastcmd : "NULL",
	    c->ident.user != NULL ? c->ident.user : "default", c->resp3 ? 3 : 2,
	    c->ncommands,
	    c->encoding == CONN_ENC_MSGPACK    ? "msgpack"
	        : c->encoding == CONN_ENC_JSON ? "json"
	                                       : "native",
	    c->proto != NULL ? c->proto->name : "unknown", tls, c->env->index);
}

/*
 * CLIENT SETNAME, HELLO SETNAME, RESET: sets c's name to the len bytes
 * at name (copied), or none when len is 0.  Returns 0, or -1 when out of
 * memory (the name is unchanged).
 */
int
conn_set_name(struct conn *c, const char *name, size_t len)
{
	char *copy = NULL;

	if (len > 0 && (copy = strndup(name, len)) == NULL)
		return -1;
	free(c->name);
	c->name = copy;
	return 0;
}

/*
 * CLIENT ENCODING, RESET: how c's later requests and replies are encoded.
 */
void
conn_set_encoding(struct conn *c, enum conn_encoding encoding)
{
	c->encoding = encoding;
}

/*
 * HELLO, RESET: whether c's replies use RESP3 types.
 */
void
conn_set_resp3(struct conn *c, int resp3)
{
	c->resp3 = resp3 != 0;
}
