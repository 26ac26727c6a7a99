/* SPDX-License-Identifier: MIT */
/*
 * tls_client - the dialling side of TLS (L2, SPEC section 11): the
 * transport of a link this daemon opens to another duetd, and the
 * SSL_CTX it is made from.
 *
 * transport_tls_client goes HANDSHAKE, then OPEN, as transport_tls does
 * without its sniffing: the dialling side speaks first, so the handshake
 * (SSL_connect's, non-blocking) is driven by whichever of the conn's
 * reads and writes comes first, the first write of "HELLO 3 ..." mostly;
 * what it waits for goes in io->want, and io->busy stays set until it
 * ends.  The server's certificate is always verified, against the
 * context's CAs and the host dialled (its DNS name, also sent as SNI, or
 * its IP address).  A failed handshake is one warning line, a
 * verification failure with X509's reason, and a closed connection.
 * Once open, read, write, shutdown, describe and peer are tls.c's
 * (tls_int.h); peer is the server certificate's subject.
 */
#include "autoconf.h"

#include <sys/socket.h>

#include <arpa/inet.h>

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "tls.h"
#include "tls_int.h"

/*
 * Sets what ssl checks the server's certificate against: host's IP
 * address when it is an IPv4 or IPv6 literal (no brackets), otherwise
 * its DNS name (no partial wildcards), which also goes out as SNI.
 * Returns 0, or -1 (out of memory).
 */
static int
tls_client_name(SSL *ssl, const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(
		           SSL_get0_param(ssl), host) == 1
		    ? 0
		    : -1;
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set_tlsext_host_name(ssl, host) != 1 ||
	    SSL_set1_host(ssl, host) != 1)
		return -1;
	return 0;
}

/*
 * transport open: sets up the client side of a socket just connected,
 * from arg, a struct tls_client_arg (its host is copied); peer names the
 * address dialled in log lines.  Returns 0, or -1 (out of memory).
 */
static int
tls_client_open(struct transport_io *io, void *arg, const char *peer)
{
	const struct tls_client_arg *a = arg;
	struct tls_conn *tc;

	assert(a != NULL && a->ctx != NULL && a->host != NULL);
	if ((tc = calloc(1, sizeof(*tc))) == NULL)
		return -1;
	tc->dialled = 1;
	tc->state = TLS_ST_HANDSHAKE;
	snprintf(tc->peer, sizeof(tc->peer), "%s", peer);
	snprintf(tc->host, sizeof(tc->host), "%s", a->host);
	if ((tc->ssl = SSL_new(a->ctx)) == NULL ||
	    SSL_set_fd(tc->ssl, io->fd) != 1 ||
	    tls_client_name(tc->ssl, a->host) == -1) {
		ERR_clear_error();
		SSL_free(tc->ssl);
		free(tc);
		return -1;
	}
	SSL_set_connect_state(tc->ssl);
	io->state = tc;
	io->busy = 1;
	return 0;
}

/*
 * transport read: handshakes, then reads application data.
 */
static ssize_t
tls_client_read(struct transport_io *io, struct evbuffer *in, size_t max)
{
	struct tls_conn *tc = io->state;

	if (tc->state == TLS_ST_HANDSHAKE && tls_handshake(io, tc) == -1)
		return -1;
	if (tc->state != TLS_ST_OPEN) {
		errno = EPROTO;
		return -1;
	}
	return tls_read_open(io, tc, in, max);
}

/*
 * transport write: the first one starts the handshake (the dialling side
 * speaks first), and what is written waits for its end.  Returns the
 * bytes taken, or -1 (EAGAIN: none yet; EPROTO or EPIPE: failed).
 */
static int
tls_client_write(struct transport_io *io, struct evbuffer *out)
{
	struct tls_conn *tc = io->state;

	if (evbuffer_get_length(out) == 0)
		return 0;
	if (tc->state == TLS_ST_HANDSHAKE && tls_handshake(io, tc) == -1)
		return -1;
	if (tc->state != TLS_ST_OPEN) {
		errno = EPIPE;
		return -1;
	}
	return tls_write_open(io, tc, out);
}

const struct transport transport_tls_client = {
    .name = "tls",
    .open = tls_client_open,
    .read = tls_client_read,
    .write = tls_client_write,
    .shutdown = tls_shutdown,
    .describe = tls_describe,
    .peer = tls_peer,
};

/*
 * Writes "what path: OpenSSL's first reason" into err (errlen bytes),
 * clears the error queue, and frees ctx.  Returns NULL.
 */
static SSL_CTX *
tls_client_ctx_error(
    SSL_CTX *ctx, char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_get_error();
	char reason[256] = "unknown error";

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	snprintf(err, errlen, "%s%s%s: %s", what, path != NULL ? " " : "",
	    path != NULL ? path : "", reason);
	SSL_CTX_free(ctx);
	return NULL;
}

/*
 * Makes the SSL_CTX a link dials with: TLS 1.2 at least, the settings of
 * the daemon's other contexts, the server's certificate always verified
 * against ca (a PEM file of trusted CAs; NULL: the system's default
 * paths), and the client certificate chain cert with its key when given
 * (both or neither).  Returns it (free it with tls_ctx_unref), or NULL
 * with one line in err naming the file and OpenSSL's reason, as
 * "cannot load cert /etc/duet/node.crt: error:...".
 */
SSL_CTX *
tls_client_ctx_new(
    const char *ca, const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if ((cert == NULL) != (key == NULL)) {
		snprintf(err, errlen, "%s",
		    cert == NULL ? "key given without cert"
		                 : "cert given without key");
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return tls_client_ctx_error(
		    NULL, err, errlen, "cannot make a context", NULL);
	tls_ctx_common(ctx);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca != NULL && SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		return tls_client_ctx_error(
		    ctx, err, errlen, "cannot load ca", ca);
	if (ca == NULL && SSL_CTX_set_default_verify_paths(ctx) != 1)
		return tls_client_ctx_error(
		    ctx, err, errlen, "cannot load the system's CAs", NULL);
	if (cert == NULL)
		return ctx;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		return tls_client_ctx_error(
		    ctx, err, errlen, "cannot load cert", cert);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		return tls_client_ctx_error(
		    ctx, err, errlen, "cannot load key", key);
	if (SSL_CTX_check_private_key(ctx) != 1)
		return tls_client_ctx_error(
		    ctx, err, errlen, "key does not match cert", key);
	return ctx;
}
