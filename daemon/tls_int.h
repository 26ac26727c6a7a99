/* SPDX-License-Identifier: MIT */
/*
 * tls_int - what tls.c (the accepting side) shares with tls_client.c (the
 * dialling side) and no other module sees: the state of one TLS
 * connection, and the read, write, shutdown, describe and peer that both
 * transports run once their handshakes are over, and the settings every
 * SSL_CTX of the daemon gets.
 */
#ifndef DUET_TLS_INT_H
#define DUET_TLS_INT_H

#include <sys/types.h>

#include <stddef.h>

#include <openssl/ssl.h>

#include "transport.h"

/* The most bytes of a request line's method looked at (then: close). */
#define TLS_HEAD_MAX 16

enum tls_state {
	TLS_ST_SNIFF,     /* nothing read yet (accepting side only) */
	TLS_ST_PLAIN,     /* not TLS: reading a request line's method */
	TLS_ST_HANDSHAKE, /* handshaking */
	TLS_ST_OPEN,      /* application data */
	TLS_ST_DONE,      /* failed or ended: no close_notify */
};

/* One TLS connection: io->state of a conn on transport_tls(_client). */
struct tls_conn {
	SSL *ssl; /* owned: holds a reference to its SSL_CTX */
	enum tls_state state;
	int dialled; /* the dialling side: no server counters */
	size_t nhead;
	char head[TLS_HEAD_MAX]; /* what SNIFF read of a non-TLS client */
	char peer[64];           /* for log lines */
	char host[256];          /* dialling side: the name it checks */
};

void tls_ctx_common(SSL_CTX *ctx);
int tls_fail(struct tls_conn *tc, const char *what);
int tls_handshake(struct transport_io *io, struct tls_conn *tc);
ssize_t tls_read_open(struct transport_io *io, struct tls_conn *tc,
    struct evbuffer *in, size_t max);
int tls_write_open(
    struct transport_io *io, struct tls_conn *tc, struct evbuffer *out);
void tls_shutdown(struct transport_io *io);
int tls_describe(const struct transport_io *io, char *buf, size_t len);
int tls_peer(const struct transport_io *io, char **subject, char **cn);

#endif /* DUET_TLS_INT_H */
