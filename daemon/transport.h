/* SPDX-License-Identifier: MIT */
/*
 * transport - how a conn's bytes cross its socket (L2).  The listener
 * picks one for each connection it accepts; conn calls it for every read
 * and every write and knows nothing else of it.  transport_plain is the
 * socket itself (one readv, evbuffer_write).  TLS will be a second
 * implementation (SSL_read / SSL_write on the same evbuffers): a call
 * that needs the other direction first (WANT_READ on a write, WANT_WRITE
 * on a read) fails with EAGAIN and sets conn's io_want to the event it
 * waits for, which conn_arm adds to what it waits for.
 */
#ifndef DUET_TRANSPORT_H
#define DUET_TRANSPORT_H

#include <stddef.h>
#include <sys/types.h>

struct conn;
struct evbuffer;

struct transport {
	const char *name; /* "tcp", "tls": for logs */
	/*
	 * Reads what the peer sent, at most max bytes, into in.  Returns the
	 * bytes read, 0 at the end of the input, or -1 with errno set
	 * (EAGAIN: nothing yet).
	 */
	ssize_t (*read)(struct conn *c, struct evbuffer *in, size_t max);
	/*
	 * Writes what it can of out and drains it.  Returns the bytes taken,
	 * or -1 with errno set (EAGAIN: none).
	 */
	int (*write)(struct conn *c, struct evbuffer *out);
	/* Ends the session before the socket is closed (TLS close_notify)
	 * and frees the transport's state of c. */
	void (*shutdown)(struct conn *c);
	/* Writes what a log line says of c's transport ("tcp"). */
	int (*describe)(const struct conn *c, char *buf, size_t len);
};

extern const struct transport transport_plain;

#endif /* DUET_TRANSPORT_H */
