/* SPDX-License-Identifier: MIT */
/*
 * tls - TLS as a second transport (L2, SPEC section 9.4), with OpenSSL 3.
 *
 * A TLS conn's state (struct tls_conn, io->state) goes SNIFF, then
 * HANDSHAKE, then OPEN.  SNIFF peeks at the first byte: a TLS record
 * (0x16) goes on to the handshake; anything else is read into head until
 * it is told: a request line (a method and a space) gets the 400 of
 * plain HTTP sent to a TLS port, other bytes a close.  The handshake is
 * driven by the conn's reads (SSL_do_handshake, non-blocking, WANT_WRITE
 * through io->want) and bounded by limits.header_timeout (io->busy);
 * then SSL_read_ex fills the conn's input evbuffer in place, and
 * SSL_write_ex takes its output a record at a time (partial writes on,
 * so a full socket keeps what it has not taken).  Every TLS error is one
 * info line with the peer and OpenSSL's reason, the error queue cleared,
 * and a closed connection; handshake failures are counted in
 * worker_stats.tls_handshake_failures.  Closing sends close_notify once
 * and never waits for the peer's.
 *
 * The listeners' SSL_CTXs (struct tls_set) are made from the config on
 * each start and reload, whole or not at all; conn and worker only hold
 * references.  The dialling side (tls_client.c) shares what comes after
 * the handshake and the contexts' common settings, through tls_int.h.
 */
#include "autoconf.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "tls.h"
#include "tls_int.h"

/* The largest TLS record's plaintext: one SSL_write_ex at most. */
#define TLS_RECORD 16384
/* Output chunks smaller than this are joined up to a record. */
#define TLS_JOIN 4096

static const char tls_plain_http[] =
    "HTTP/1.1 400 Bad Request\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 74\r\n"
    "Connection: close\r\n"
    "\r\n"
    "{\"error\":{\"code\":\"ERR\",\"message\":\"plain HTTP request sent to a "
    "TLS port\"}}";

/*
 * Fills buf with what OpenSSL's error queue says (the first error, with
 * the certificate verification result when that failed), or what errno
 * or the end of the input says when it is empty, and clears the queue.
 */
static void
tls_reason(const struct tls_conn *tc, int saved_errno, char *buf, size_t len)
{
	unsigned long e = ERR_get_error();
	long v = tc->ssl != NULL ? SSL_get_verify_result(tc->ssl) : X509_V_OK;
	size_t n;

	if (e != 0)
		ERR_error_string_n(e, buf, len);
	else if (saved_errno != 0)
		snprintf(buf, len, "%s", strerror(saved_errno));
	else
		snprintf(buf, len, "connection closed by the %s",
		    tc->dialled ? "server" : "client");
	n = strlen(buf);
	if (v != X509_V_OK && n < len)
		snprintf(buf + n, len - n, " (%s)",
		    X509_verify_cert_error_string(v));
	ERR_clear_error();
}

/*
 * A TLS error on tc: logs it with the peer and the reason (at info for a
 * client of ours, a warning with "link tls:" for a server we dialled),
 * counts it when an accepted connection's handshake had not ended, and
 * marks tc done (no close_notify after a fatal error).  Returns -1 with
 * errno set to EPROTO.
 */
int
tls_fail(struct tls_conn *tc, const char *what)
{
	int saved = errno;
	char reason[256];
	long v;

	/* A server we dialled whose certificate did not verify: X509's
	 * reason says more than OpenSSL's error queue. */
	if (tc->dialled && tc->state == TLS_ST_HANDSHAKE &&
	    (v = SSL_get_verify_result(tc->ssl)) != X509_V_OK) {
		ERR_clear_error();
		log_warnx("link tls: certificate verify failed: %s (host %s)",
		    X509_verify_cert_error_string(v), tc->host);
		tc->state = TLS_ST_DONE;
		errno = EPROTO;
		return -1;
	}
	tls_reason(tc, saved, reason, sizeof(reason));
	if (tc->dialled)
		log_warnx("link tls: %s with %s (%s) failed: %s", what,
		    tc->host, tc->peer, reason);
	else
		log_info("TLS %s with %s failed: %s", what, tc->peer, reason);
	if (tc->state != TLS_ST_OPEN && !tc->dialled)
		atomic_fetch_add_explicit(&worker_stats.tls_handshake_failures,
		    1, memory_order_relaxed);
	tc->state = TLS_ST_DONE;
	errno = EPROTO;
	return -1;
}

/*
 * Sets up the TLS state of a socket just accepted: an SSL of the
 * listener's SSL_CTX arg, server side.  Returns 0, or -1 (out of memory).
 */
static int
tls_open(struct transport_io *io, void *arg, const char *peer)
{
	struct tls_conn *tc;

	if ((tc = calloc(1, sizeof(*tc))) == NULL)
		return -1;
	if ((tc->ssl = SSL_new(arg)) == NULL ||
	    SSL_set_fd(tc->ssl, io->fd) != 1) {
		ERR_clear_error();
		SSL_free(tc->ssl);
		free(tc);
		return -1;
	}
	SSL_set_accept_state(tc->ssl);
	snprintf(tc->peer, sizeof(tc->peer), "%s", peer);
	io->state = tc;
	io->busy = 1;
	return 0;
}

/*
 * Ends the handshake of a client that is not speaking TLS: one info line
 * with why, counted as a failed handshake.  Returns -1 with errno EPROTO.
 */
static int
tls_refuse(struct tls_conn *tc, const char *why)
{
	ERR_clear_error();
	log_info("TLS handshake with %s failed: %s", tc->peer, why);
	atomic_fetch_add_explicit(
	    &worker_stats.tls_handshake_failures, 1, memory_order_relaxed);
	tc->state = TLS_ST_DONE;
	errno = EPROTO;
	return -1;
}

/*
 * Answers a request line sent in the clear: reads what else came (so the
 * close does not reset the connection before the client reads the
 * answer), writes the 400, and fails.
 */
static int
tls_refuse_plain_http(struct transport_io *io, struct tls_conn *tc)
{
	char scratch[4096];
	ssize_t n;
	int i;

	for (i = 0; i < 16; i++) {
		if (recv(io->fd, scratch, sizeof(scratch), MSG_DONTWAIT) <= 0)
			break;
	}
	n = send(io->fd, tls_plain_http, sizeof(tls_plain_http) - 1,
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	return tls_refuse(tc, "plain HTTP request sent to a TLS port");
}

/*
 * Reads a client that did not begin with a TLS record until it is told:
 * a method of capitals and a space is plain HTTP (a 400), anything else
 * a close.  Returns -1 with errno EAGAIN while undecided, or EPROTO.
 */
static int
tls_read_plain(struct transport_io *io, struct tls_conn *tc)
{
	ssize_t n;
	size_t i;

	n = recv(io->fd, tc->head + tc->nhead, sizeof(tc->head) - tc->nhead,
	    MSG_DONTWAIT);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		errno = n == 0 ? 0 : errno;
		return tls_fail(tc, "handshake");
	}
	if (n > 0)
		tc->nhead += (size_t)n;
	for (i = 0; i < tc->nhead; i++) {
		if (tc->head[i] == ' ' && i > 0)
			return tls_refuse_plain_http(io, tc);
		if (tc->head[i] < 'A' || tc->head[i] > 'Z')
			break;
	}
	if (i == tc->nhead && tc->nhead < sizeof(tc->head)) {
		errno = EAGAIN;
		return -1;
	}
	return tls_refuse(tc, "not a TLS client");
}

/*
 * The first byte decides: a TLS handshake record goes on to the
 * handshake, anything else to tls_read_plain.  Returns 0 to go on, 1 at
 * the end of the input (nothing ever sent), or -1 with errno set.
 */
static int
tls_sniff(struct transport_io *io, struct tls_conn *tc)
{
	unsigned char first;
	ssize_t n;

	n = recv(io->fd, &first, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return 1;
	if (n == -1)
		return -1;
	if (first == 0x16) {
		tc->state = TLS_ST_HANDSHAKE;
		return 0;
	}
	tc->state = TLS_ST_PLAIN;
	return tls_read_plain(io, tc);
}

/*
 * Goes on with the handshake, either side's.  Returns 0 once it is done,
 * or -1 with errno EAGAIN (waiting: io->want set for a write, and on the
 * dialling side, whose first write starts it, for a read too) or EPROTO
 * (failed, logged).
 */
int
tls_handshake(struct transport_io *io, struct tls_conn *tc)
{
	int r;

	errno = 0;
	if ((r = SSL_do_handshake(tc->ssl)) == 1) {
		tc->state = TLS_ST_OPEN;
		io->busy = 0;
		return 0;
	}
	switch (SSL_get_error(tc->ssl, r)) {
	case SSL_ERROR_WANT_WRITE:
		io->want = EV_WRITE;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_READ:
		/* A dialled write waiting for the server's answer is retried
		 * when it comes (conn adds its write to a wanted read). */
		if (tc->dialled)
			io->want = EV_READ;
		errno = EAGAIN;
		return -1;
	default:
		return tls_fail(tc, "handshake");
	}
}

/*
 * What an SSL_read_ex that read nothing means: -1 with EAGAIN (waiting,
 * io->want set for a write), 0 at the end (close_notify, or a close
 * without it: a truncated request is the session's to drop), or -1 with
 * EPROTO (logged).
 */
static ssize_t
tls_read_error(struct transport_io *io, struct tls_conn *tc, int err)
{
	unsigned long e;

	switch (err) {
	case SSL_ERROR_WANT_WRITE:
		io->want = EV_WRITE;
		/* FALLTHROUGH */
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		e = ERR_peek_error();
		if (e == 0 ||
		    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			log_debug("TLS client %s closed without close_notify",
			    tc->peer);
			tc->state = TLS_ST_DONE;
			return 0;
		}
		return tls_fail(tc, "read");
	}
}

/*
 * Decrypts into max bytes of space reserved in in, until OpenSSL has
 * nothing more that it read or wants more from the socket (*err says
 * why it stopped; SSL_ERROR_NONE: the space is full, or OpenSSL holds
 * no more bytes).  Returns the bytes, or -1 (out of memory).
 */
static ssize_t
tls_read_batch(struct tls_conn *tc, struct evbuffer *in, size_t max, int *err)
{
	struct evbuffer_iovec v[2];
	size_t got, total = 0, off = 0;
	int i = 0, nv;

	*err = SSL_ERROR_NONE;
	if ((nv = evbuffer_reserve_space(in, (ev_ssize_t)max, v, 2)) <= 0) {
		errno = ENOMEM;
		return -1;
	}
	while (i < nv) {
		if (off == v[i].iov_len) {
			i++;
			off = 0;
			continue;
		}
		if (SSL_read_ex(tc->ssl, (char *)v[i].iov_base + off,
		        v[i].iov_len - off, &got) != 1) {
			*err = SSL_get_error(tc->ssl, 0);
			break;
		}
		off += got;
		total += got;
		/* OpenSSL holds nothing more: asking again would cost a
		 * read(2) that says EAGAIN; the socket's next bytes come
		 * with its next readable event (level-triggered). */
		if (!SSL_has_pending(tc->ssl))
			break;
	}
	if (i < nv)
		v[i].iov_len = off;
	evbuffer_commit_space(in, v, i < nv ? (off > 0 ? i + 1 : i) : nv);
	return (ssize_t)total;
}

/*
 * Decrypts what has come into in, max bytes at a time, and goes on while
 * OpenSSL holds bytes it has read (the rest of a record, read-ahead):
 * epoll would never say they are there.  Returns the bytes, 0 at the
 * end, or -1.  Shared with the dialling side.
 */
ssize_t
tls_read_open(struct transport_io *io, struct tls_conn *tc, struct evbuffer *in,
    size_t max)
{
	ssize_t n, total = 0;
	int err;

	do {
		if ((n = tls_read_batch(tc, in, max, &err)) == -1)
			return -1;
		total += n;
	} while (err == SSL_ERROR_NONE && SSL_has_pending(tc->ssl));
	if (total == 0)
		return tls_read_error(io, tc, err);
	/* The data first; what ended the batch is seen now (the error
	 * queue is the thread's: it must not stay for another conn) and
	 * again by the next read. */
	if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_NONE)
		(void)tls_read_error(io, tc, err);
	return total;
}

/*
 * transport read: sniffs, handshakes, then reads application data.
 */
static ssize_t
tls_read(struct transport_io *io, struct evbuffer *in, size_t max)
{
	struct tls_conn *tc = io->state;
	int rv;

	switch (tc->state) {
	case TLS_ST_SNIFF:
		if ((rv = tls_sniff(io, tc)) != 0)
			return rv == 1 ? 0 : -1;
		/* FALLTHROUGH */
	case TLS_ST_HANDSHAKE:
		if (tls_handshake(io, tc) == -1)
			return -1;
		break;
	case TLS_ST_PLAIN:
		return tls_read_plain(io, tc);
	case TLS_ST_OPEN:
		break;
	case TLS_ST_DONE:
		errno = EPROTO;
		return -1;
	}
	return tls_read_open(io, tc, in, max);
}

/*
 * What an SSL_write_ex that wrote nothing means, after total bytes were
 * taken: total, or -1 with EAGAIN (waiting; io->want set when it waits
 * for a read) or EPIPE (logged).
 */
static int
tls_write_error(
    struct transport_io *io, struct tls_conn *tc, int r, size_t total)
{
	switch (SSL_get_error(tc->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		io->want = EV_READ;
		/* FALLTHROUGH */
	case SSL_ERROR_WANT_WRITE:
		if (total > 0)
			return (int)total;
		errno = EAGAIN;
		return -1;
	default:
		/* A client gone while its reply is written is no TLS error. */
		if (ERR_peek_error() == 0) {
			log_debug(
			    "TLS client %s: %s", tc->peer, strerror(errno));
			tc->state = TLS_ST_DONE;
		} else {
			tls_fail(tc, "write");
		}
		errno = EPIPE;
		return -1;
	}
}

/*
 * Encrypts out, once the handshake has ended, a record at a time (small
 * chunks joined up to one) and drains what the socket took.  Returns the
 * bytes taken, or -1 (EAGAIN: none).  Shared with the dialling side.
 */
int
tls_write_open(
    struct transport_io *io, struct tls_conn *tc, struct evbuffer *out)
{
	struct evbuffer_iovec v;
	size_t len, n, done, total = 0;
	int r;

	while ((len = evbuffer_get_length(out)) > 0) {
		evbuffer_peek(out, -1, NULL, &v, 1);
		n = v.iov_len < TLS_RECORD ? v.iov_len : TLS_RECORD;
		if (n < TLS_JOIN && n < len) {
			n = len < TLS_RECORD ? len : TLS_RECORD;
			if ((v.iov_base = evbuffer_pullup(
			         out, (ev_ssize_t)n)) == NULL) {
				errno = ENOMEM;
				return -1;
			}
		}
		if ((r = SSL_write_ex(tc->ssl, v.iov_base, n, &done)) != 1)
			return tls_write_error(io, tc, r, total);
		evbuffer_drain(out, done);
		total += done;
	}
	return (int)total;
}

/*
 * transport write: nothing goes out before the handshake has ended.
 */
static int
tls_write(struct transport_io *io, struct evbuffer *out)
{
	struct tls_conn *tc = io->state;

	if (evbuffer_get_length(out) == 0)
		return 0;
	if (tc->state != TLS_ST_OPEN) {
		errno = tc->state == TLS_ST_DONE ? EPIPE : EAGAIN;
		return -1;
	}
	return tls_write_open(io, tc, out);
}

/*
 * Ends the session: close_notify once (never waiting for the peer's), a
 * handshake cut short logged (and counted on the accepting side); frees
 * the state.  Shared with the dialling side.
 */
void
tls_shutdown(struct transport_io *io)
{
	struct tls_conn *tc = io->state;

	if (tc == NULL)
		return;
	if (tc->state == TLS_ST_OPEN) {
		(void)SSL_shutdown(tc->ssl);
	} else if (tc->state == TLS_ST_HANDSHAKE || tc->state == TLS_ST_PLAIN) {
		if (!tc->dialled)
			atomic_fetch_add_explicit(
			    &worker_stats.tls_handshake_failures, 1,
			    memory_order_relaxed);
		log_info("TLS handshake with %s failed: closed before it "
		         "finished",
		    tc->peer);
	}
	ERR_clear_error();
	SSL_free(tc->ssl);
	free(tc);
	io->state = NULL;
	io->busy = 0;
	io->want = 0;
}

/*
 * transport describe: the protocol version once open ("TLSv1.3"),
 * "handshake" before.  Shared with the dialling side.
 */
int
tls_describe(const struct transport_io *io, char *buf, size_t len)
{
	const struct tls_conn *tc = io->state;

	if (tc == NULL || tc->state != TLS_ST_OPEN)
		return snprintf(buf, len, "handshake");
	return snprintf(buf, len, "%s", SSL_get_version(tc->ssl));
}

/*
 * The RFC 2253 form of name (UTF-8 kept as is) in *out, owned.  Returns 0
 * or -1.
 */
static int
tls_name_text(const X509_NAME *name, char **out)
{
	unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	BIO *b;
	char *p;
	long n;

	*out = NULL;
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	if (X509_NAME_print_ex(b, name, 0, flags) >= 0 &&
	    (n = BIO_get_mem_data(b, &p)) >= 0)
		*out = strndup(p, (size_t)n);
	BIO_free(b);
	return *out != NULL ? 0 : -1;
}

/*
 * The name's CN in *out (owned), or NULL when it has none, more than one,
 * or one with a NUL byte.  Returns 0 or -1.
 */
static int
tls_name_cn(const X509_NAME *name, char **out)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *utf8;
	int n;

	*out = NULL;
	if (i < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return 0;
	n = ASN1_STRING_to_UTF8(
	    &utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n < 0)
		return 0;
	if (memchr(utf8, '\0', (size_t)n) != NULL) {
		OPENSSL_free(utf8);
		return 0;
	}
	*out = strndup((char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
	return *out != NULL ? 0 : -1;
}

/*
 * transport peer: the verified peer certificate's subject and CN (the
 * client's on the accepting side, the server's on the dialling side).
 */
int
tls_peer(const struct transport_io *io, char **subject, char **cn)
{
	const struct tls_conn *tc = io->state;
	const X509_NAME *name;
	X509 *x;

	*subject = *cn = NULL;
	if (tc == NULL || tc->state != TLS_ST_OPEN ||
	    (x = SSL_get0_peer_certificate(tc->ssl)) == NULL ||
	    SSL_get_verify_result(tc->ssl) != X509_V_OK)
		return 0;
	name = X509_get_subject_name(x);
	if (tls_name_text(name, subject) == -1 || tls_name_cn(name, cn) == -1) {
		free(*subject);
		*subject = NULL;
		ERR_clear_error();
		return -1;
	}
	return 0;
}

const struct transport transport_tls = {
    .name = "tls",
    .open = tls_open,
    .read = tls_read,
    .write = tls_write,
    .shutdown = tls_shutdown,
    .describe = tls_describe,
    .peer = tls_peer,
};

/*
 * ALPN: http/1.1 when the client offers it (a listener that serves
 * HTTP), otherwise none (RESP clients offer nothing).
 */
static int
tls_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char http11[] = "\x08http/1.1";
	unsigned char *sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, http11, sizeof(http11) - 1, in,
	        inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* A key with a passphrase is refused instead of asking a terminal. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return 0;
}

/*
 * The settings every SSL_CTX of the daemon has, accepting or dialling:
 * no compression nor renegotiation, partial writes (a full socket keeps
 * what it has not taken), read-ahead (one read(2) takes what the socket
 * holds, not a record header and then its body; tls_read_open drains
 * what is read ahead), and a key with a passphrase refused.
 */
void
tls_ctx_common(SSL_CTX *ctx)
{
	SSL_CTX_set_options(
	    ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx,
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	        SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
}

/*
 * Logs a problem with the tls: of listen entry cl in file, at its
 * file:line:column, with OpenSSL's reason, and clears the error queue.
 */
static void
tls_ctx_error(const char *file, const struct config_listen *cl,
    const char *what, const char *path)
{
	unsigned long e = ERR_get_error();
	char reason[256] = "unknown error";

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	log_error("%s:%d:%d: listen %s: tls: %s%s%s: %s", file, cl->tls->line,
	    cl->tls->column, cl->text, what, path != NULL ? " " : "",
	    path != NULL ? path : "", reason);
}

/*
 * Asks for client certificates as t says, verified with t->client_ca.
 * Returns 0, or -1 (logged).
 */
static int
tls_ctx_clients(SSL_CTX *ctx, const char *file, const struct config_listen *cl)
{
	const struct config_tls *t = cl->tls;
	STACK_OF(X509_NAME) * names;
	int mode = SSL_VERIFY_PEER;

	if (t->verify_client == CONFIG_VERIFY_NONE || t->client_ca == NULL)
		return 0;
	if (SSL_CTX_load_verify_locations(ctx, t->client_ca, NULL) != 1 ||
	    (names = SSL_load_client_CA_file(t->client_ca)) == NULL) {
		tls_ctx_error(file, cl, "cannot load client_ca", t->client_ca);
		return -1;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	if (t->verify_client == CONFIG_VERIFY_REQUIRE)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, mode, NULL);
	return 0;
}

/*
 * Makes the SSL_CTX of the TLS listen entry cl of file: TLS 1.2 at least
 * (1.3 only if asked), no compression nor renegotiation, session tickets
 * on, ALPN http/1.1, the certificate chain and its key, client
 * certificates as configured.  Returns it, or NULL (logged).
 */
static SSL_CTX *
tls_ctx_new(const char *file, const struct config_listen *cl)
{
	const struct config_tls *t = cl->tls;
	static const unsigned char sid[] = "duetd";
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_ctx_error(file, cl, "cannot make a context", NULL);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx,
	    t->versions & CONFIG_TLS_V1_2 ? TLS1_2_VERSION : TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx,
	    t->versions & CONFIG_TLS_V1_3 ? TLS1_3_VERSION : TLS1_2_VERSION);
	tls_ctx_common(ctx);
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
	/* Resumption is by tickets alone: no server-side session cache to
	 * lock, fill and flush on every handshake, and one ticket each. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 1);
	if (cl->protocols & CONFIG_PROTO_HTTP)
		SSL_CTX_set_alpn_select_cb(ctx, tls_alpn, NULL);
	if (t->ciphers != NULL && SSL_CTX_set_cipher_list(ctx, t->ciphers) != 1)
		tls_ctx_error(file, cl, "invalid ciphers", t->ciphers);
	else if (SSL_CTX_use_certificate_chain_file(ctx, t->cert) != 1)
		tls_ctx_error(file, cl, "cannot load cert", t->cert);
	else if (SSL_CTX_use_PrivateKey_file(ctx, t->key, SSL_FILETYPE_PEM) !=
	    1)
		tls_ctx_error(file, cl, "cannot load key", t->key);
	else if (SSL_CTX_check_private_key(ctx) != 1)
		tls_ctx_error(file, cl, "key does not match cert", t->key);
	else if (tls_ctx_clients(ctx, file, cl) == 0)
		return ctx;
	SSL_CTX_free(ctx);
	return NULL;
}

/*
 * Makes the SSL_CTX of every TLS listener of cf (a start, a reload,
 * duetd -t).  Returns the set (free it with tls_set_free), or NULL after
 * logging each problem with its file:line:column.
 */
struct tls_set *
tls_set_new(const struct config *cf)
{
	struct tls_set *s;
	size_t i;
	int failed = 0;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->ctx = calloc(cf->nlisten + 1, sizeof(*s->ctx))) == NULL) {
		free(s);
		log_error("%s: out of memory", cf->file);
		return NULL;
	}
	s->n = cf->nlisten;
	for (i = 0; i < cf->nlisten; i++) {
		if (cf->listen[i].tls != NULL &&
		    (s->ctx[i] = tls_ctx_new(cf->file, &cf->listen[i])) == NULL)
			failed = 1;
	}
	if (failed) {
		tls_set_free(s);
		return NULL;
	}
	return s;
}

/*
 * Drops the set's references (listeners and conns keep their own).  NULL
 * is a no-op.
 */
void
tls_set_free(struct tls_set *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		SSL_CTX_free(s->ctx[i]);
	free(s->ctx);
	free(s);
}

/*
 * The SSL_CTX of listen entry i (borrowed), or NULL for a plain one or no
 * set.
 */
SSL_CTX *
tls_set_get(const struct tls_set *s, size_t i)
{
	return s != NULL && i < s->n ? s->ctx[i] : NULL;
}

/*
 * Takes a reference to ctx (NULL: none) and returns it.
 */
SSL_CTX *
tls_ctx_ref(SSL_CTX *ctx)
{
	if (ctx != NULL)
		SSL_CTX_up_ref(ctx);
	return ctx;
}

/*
 * Drops a reference to ctx; NULL is a no-op.
 */
void
tls_ctx_unref(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}
