/* SPDX-License-Identifier: MIT */
/*
 * transport - how a conn's bytes cross its socket (L2).  The listener
 * picks one for each connection it accepts; conn calls it for every read
 * and every write and knows nothing else of it.  transport_plain is the
 * socket itself (one readv, evbuffer_write); transport_tls (tls.c) is
 * the second (SSL_read / SSL_write on the same evbuffers, its state in
 * io->state): a call that needs the other direction first (WANT_READ
 * on a write, WANT_WRITE on a read) fails with EAGAIN and sets io->want
 * to the event it waits for, which conn_arm adds to what it waits for;
 * when that event comes, conn retries both directions.  While io->busy
 * is set (a handshake), conn bounds the exchange with
 * limits.header_timeout as it bounds a request.  A transport sees only
 * its struct transport_io, never the conn.
 */
#ifndef DUET_TRANSPORT_H
#define DUET_TRANSPORT_H

#include <sys/types.h>

#include <stddef.h>

#include <event2/util.h>

struct evbuffer;

/* What a transport knows of a connection (embedded in struct conn). */
struct transport_io {
	void *state;        /* owned by the transport (TLS: SSL *), or NULL */
	evutil_socket_t fd; /* borrowed: the conn owns the socket */
	short want; /* EV_READ / EV_WRITE the transport waits for, or 0 */
	short busy; /* its own exchange (a handshake) is under way */
};

/*
 * Memory a read may lend to the input idle conns share, in place of a new
 * 64 KiB evbuffer chain for every read (the worker's; libevent frees a
 * chain once drained): the bytes are added to the input by reference,
 * and lent stays set until libevent frees that reference, wherever the
 * chain went.
 */
struct transport_spare {
	size_t size;
	int lent;
	char mem[];
};

struct transport {
	const char *name; /* "tcp", "tls": for logs */
	/*
	 * Optional: sets up io->state for a socket just accepted (nothing
	 * read yet), from arg (TLS: the listener's SSL_CTX); peer names the
	 * client in log lines.  Returns 0, or -1 (out of memory).
	 */
	int (*open)(struct transport_io *io, void *arg, const char *peer);
	/*
	 * Reads what the peer sent, max bytes at a time, into in (TLS goes
	 * on while OpenSSL holds bytes already read, which epoll would not
	 * report).  Returns the bytes read, 0 at the end of the input, or -1
	 * with errno set (EAGAIN: nothing yet).
	 */
	ssize_t (*read)(
	    struct transport_io *io, struct evbuffer *in, size_t max);
	/*
	 * Optional: read into an empty in, with spare's memory when it is
	 * not lent; otherwise as read.
	 */
	ssize_t (*read_lend)(struct transport_io *io, struct evbuffer *in,
	    size_t max, struct transport_spare *spare);
	/*
	 * Writes what it can of out and drains it.  Returns the bytes taken,
	 * or -1 with errno set (EAGAIN: none).
	 */
	int (*write)(struct transport_io *io, struct evbuffer *out);
	/* Ends the session before the socket is closed (TLS close_notify)
	 * and frees io->state. */
	void (*shutdown)(struct transport_io *io);
	/* Writes one word for CLIENT INFO and log lines ("tcp", TLS's
	 * version "TLSv1.3"); returns what snprintf does. */
	int (*describe)(const struct transport_io *io, char *buf, size_t len);
	/*
	 * Optional: the identity the transport verified (TLS: the client
	 * certificate's subject, RFC 2253, and its CN), as owned copies in
	 * *subject and *cn, both NULL when there is none.  Asked once, when
	 * the first request arrives.  Returns 0, or -1 (out of memory).
	 */
	int (*peer)(const struct transport_io *io, char **subject, char **cn);
};

extern const struct transport transport_plain;

#endif /* DUET_TRANSPORT_H */
