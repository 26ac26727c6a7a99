/* SPDX-License-Identifier: MIT */
/*
 * tls - TLS as a second transport (L2, SPEC section 9.4), with OpenSSL 3:
 * transport_tls (SSL_read / SSL_write on the conn's evbuffers, the
 * handshake driven from the read path, close_notify on close), and the
 * listeners' SSL_CTXs, made from the config's tls: settings for each
 * start and reload.  A set is made whole or not at all, so a bad file
 * fails the reload and the old contexts keep serving; each listener
 * keeps a reference to its context, each SSL one to the context it was
 * made from, so open connections keep theirs across a reload.
 */
#ifndef DUET_TLS_H
#define DUET_TLS_H

#include <stddef.h>

#include "transport.h"

struct config;
struct ssl_ctx_st;

/* One SSL_CTX per listen entry of a config, in its order. */
struct tls_set {
	size_t n;
	struct ssl_ctx_st **ctx; /* owned references; NULL: a plain one */
};

extern const struct transport transport_tls;

/*
 * The dialling side of a link (SPEC 11, tls_client.c): transport_tls_client
 * does SSL_connect's handshake where transport_tls does SSL_accept's, on
 * the same read/write/shutdown.  Its open's arg is a struct tls_client_arg.
 */
struct tls_client_arg {
	struct ssl_ctx_st *ctx; /* borrowed: from tls_client_ctx_new */
	const char *host;       /* borrowed: SNI, and the name checked */
};

extern const struct transport transport_tls_client;
struct ssl_ctx_st *tls_client_ctx_new(const char *ca, const char *cert,
    const char *key, char *err, size_t errlen);

struct tls_set *tls_set_new(const struct config *cf);
void tls_set_free(struct tls_set *s);
struct ssl_ctx_st *tls_set_get(const struct tls_set *s, size_t i);
struct ssl_ctx_st *tls_ctx_ref(struct ssl_ctx_st *ctx);
void tls_ctx_unref(struct ssl_ctx_st *ctx);

#endif /* DUET_TLS_H */
