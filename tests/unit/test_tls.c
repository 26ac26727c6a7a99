/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for tls: transport_tls driven directly over a socketpair,
 * against an OpenSSL client on the other end, with a key and a
 * self-signed certificate made in memory: the handshake from the read
 * path, data both ways (more than the socket holds), close_notify, the
 * sniffing of plain HTTP (the exact 400) and of other bytes, a client
 * gone before a byte, and the SSL_CTX set made from a config.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "config.h"
#include "metrics.h"
#include "tls.h"

static char test_cert[] = "/tmp/test_tls_cert.XXXXXX";
static char test_key[] = "/tmp/test_tls_key.XXXXXX";
static struct tls_set *test_set;
static SSL_CTX *test_client_ctx;

/* Writes a new P-256 key and a self-signed certificate for it. */
static void
tls_test_files(void)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	FILE *f;
	int fd;

	ck_assert_ptr_nonnull(pk);
	ck_assert_ptr_nonnull(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pk);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	ck_assert_int_gt(X509_sign(x, pk, EVP_sha256()), 0);
	ck_assert_int_ge(fd = mkstemp(test_cert), 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	PEM_write_X509(f, x);
	fclose(f);
	ck_assert_int_ge(fd = mkstemp(test_key), 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(pk);
}

static void
tls_test_setup(void)
{
	struct config_tls t = {.cert = test_cert,
	    .key = test_key,
	    .verify_client = CONFIG_VERIFY_NONE,
	    .versions = CONFIG_TLS_V1_2 | CONFIG_TLS_V1_3,
	    .line = 1,
	    .column = 1};
	struct config_listen l = {.text = (char *)"127.0.0.1:1",
	    .protocols = CONFIG_PROTO_RESP | CONFIG_PROTO_HTTP,
	    .tls = &t};
	struct config cf = {.file = (char *)"test", .listen = &l, .nlisten = 1};

	tls_test_files();
	test_set = tls_set_new(&cf);
	ck_assert_ptr_nonnull(test_set);
	ck_assert_ptr_nonnull(tls_set_get(test_set, 0));
	ck_assert_ptr_null(tls_set_get(test_set, 1));
	test_client_ctx = SSL_CTX_new(TLS_client_method());
	ck_assert_ptr_nonnull(test_client_ctx);
}

static void
tls_test_teardown(void)
{
	SSL_CTX_free(test_client_ctx);
	tls_set_free(test_set);
	unlink(test_cert);
	unlink(test_key);
}

/* A server end (io, on transport_tls) and a client end (fd) of a pair. */
struct pair {
	struct transport_io io;
	int client;
	struct evbuffer *in;
};

static void
pair_open(struct pair *p)
{
	int sv[2];

	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	memset(p, 0, sizeof(*p));
	p->io.fd = sv[0];
	p->client = sv[1];
	p->in = evbuffer_new();
	ck_assert_int_eq(
	    transport_tls.open(&p->io, tls_set_get(test_set, 0), "peer"), 0);
	ck_assert_int_eq(p->io.busy, 1);
}

static void
pair_close(struct pair *p)
{
	transport_tls.shutdown(&p->io);
	ck_assert_ptr_null(p->io.state);
	close(p->io.fd);
	if (p->client != -1)
		close(p->client);
	evbuffer_free(p->in);
}

/* Runs both handshakes to their end; returns the client's SSL. */
static SSL *
pair_handshake(struct pair *p)
{
	SSL *ssl = SSL_new(test_client_ctx);
	int i, done = 0;

	ck_assert_ptr_nonnull(ssl);
	SSL_set_fd(ssl, p->client);
	SSL_set_connect_state(ssl);
	for (i = 0; i < 100 && (!done || p->io.busy); i++) {
		if (!done && SSL_do_handshake(ssl) == 1)
			done = 1;
		errno = 0;
		ck_assert_int_eq(transport_tls.read(&p->io, p->in, 65536), -1);
		ck_assert_int_eq(errno, EAGAIN);
	}
	ck_assert_int_eq(done, 1);
	ck_assert_int_eq(p->io.busy, 0);
	return ssl;
}

START_TEST(test_tls_roundtrip)
{
	struct pair p;
	char buf[64], word[32];
	char *subject, *cn;
	SSL *ssl;
	size_t n;

	pair_open(&p);
	ssl = pair_handshake(&p);
	transport_tls.describe(&p.io, word, sizeof(word));
	ck_assert_str_eq(word, "TLSv1.3");
	ck_assert_int_eq(transport_tls.peer(&p.io, &subject, &cn), 0);
	ck_assert_ptr_null(subject);
	ck_assert_ptr_null(cn);
	ck_assert_int_eq(SSL_write(ssl, "PING\r\n", 6), 6);
	ck_assert_int_eq(transport_tls.read(&p.io, p.in, 65536), 6);
	ck_assert_uint_eq(evbuffer_get_length(p.in), 6);
	evbuffer_add(p.in, "", 1);
	ck_assert_str_eq((char *)evbuffer_pullup(p.in, -1), "PING\r\n");
	evbuffer_drain(p.in, 7);
	evbuffer_add(p.in, "+PONG\r\n", 7);
	ck_assert_int_eq(transport_tls.write(&p.io, p.in), 7);
	ck_assert_uint_eq(evbuffer_get_length(p.in), 0);
	ck_assert_int_eq(SSL_read_ex(ssl, buf, sizeof(buf), &n), 1);
	ck_assert_uint_eq(n, 7);
	ck_assert_int_eq(memcmp(buf, "+PONG\r\n", 7), 0);
	/* close_notify goes out on shutdown. */
	transport_tls.shutdown(&p.io);
	ck_assert_int_le(SSL_read_ex(ssl, buf, sizeof(buf), &n), 0);
	ck_assert_int_eq(SSL_get_error(ssl, 0), SSL_ERROR_ZERO_RETURN);
	SSL_free(ssl);
	pair_close(&p);
}
END_TEST

/* More than the socket holds: writes stop at EAGAIN and go on later. */
START_TEST(test_tls_write_backpressure)
{
	enum { TOTAL = 4 * 1024 * 1024 };
	struct pair p;
	char *data = malloc(TOTAL), *got = malloc(TOTAL);
	size_t i, have = 0, n;
	int rounds = 0;
	SSL *ssl;

	ck_assert(data != NULL && got != NULL);
	for (i = 0; i < TOTAL; i++)
		data[i] = (char)(i * 7 + i / 4096);
	pair_open(&p);
	ssl = pair_handshake(&p);
	evbuffer_add(p.in, data, TOTAL);
	while (have < TOTAL && rounds++ < 100000) {
		if (evbuffer_get_length(p.in) > 0 &&
		    transport_tls.write(&p.io, p.in) == -1)
			ck_assert_int_eq(errno, EAGAIN);
		while (SSL_read_ex(ssl, got + have, TOTAL - have, &n) == 1)
			have += n;
	}
	ck_assert_uint_eq(have, TOTAL);
	ck_assert_int_eq(memcmp(got, data, TOTAL), 0);
	SSL_free(ssl);
	pair_close(&p);
	free(data);
	free(got);
}
END_TEST

/*
 * Reads as conn does (only when poll says the socket is readable), a
 * small max at a time: nothing may stay in OpenSSL's buffers unseen.
 */
START_TEST(test_tls_read_leaves_nothing_behind)
{
	enum { TOTAL = 1024 * 1024 };
	char *data = malloc(TOTAL);
	struct pollfd pfd;
	size_t off = 0, n;
	ssize_t got, total = 0;
	struct pair p;
	SSL *ssl;
	int k;

	ck_assert_ptr_nonnull(data);
	memset(data, 'x', TOTAL);
	pair_open(&p);
	ssl = pair_handshake(&p);
	pfd.fd = p.io.fd;
	pfd.events = POLLIN;
	for (k = 0; k < 100000; k++) {
		while (off < TOTAL &&
		    SSL_write_ex(ssl, data + off, TOTAL - off, &n) == 1)
			off += n;
		if (poll(&pfd, 1, 0) != 1) {
			if (off == TOTAL)
				break;
			continue;
		}
		if ((got = transport_tls.read(&p.io, p.in, 1000)) > 0)
			total += got;
		evbuffer_drain(p.in, evbuffer_get_length(p.in));
	}
	ck_assert_uint_eq(off, TOTAL);
	ck_assert_int_eq(total, TOTAL);
	SSL_free(ssl);
	pair_close(&p);
	free(data);
}
END_TEST

#define PLAIN_400                                                              \
	"HTTP/1.1 400 Bad Request\r\n"                                         \
	"Content-Type: application/json\r\n"                                   \
	"Content-Length: 74\r\n"                                               \
	"Connection: close\r\n"                                                \
	"\r\n"                                                                 \
	"{\"error\":{\"code\":\"ERR\",\"message\":\"plain HTTP request sent "  \
	"to a TLS port\"}}"

START_TEST(test_tls_plain_http_gets_400)
{
	uint64_t before = atomic_load(&worker_stats.tls_handshake_failures);
	struct pair p;
	char buf[512];
	ssize_t n;

	pair_open(&p);
	ck_assert_int_eq(write(p.client, "GE", 2), 2);
	ck_assert_int_eq(transport_tls.read(&p.io, p.in, 65536), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(write(p.client, "T / HTTP/1.1\r\n\r\n", 16), 16);
	ck_assert_int_eq(transport_tls.read(&p.io, p.in, 65536), -1);
	ck_assert_int_eq(errno, EPROTO);
	n = read(p.client, buf, sizeof(buf));
	ck_assert_int_eq(n, (ssize_t)sizeof(PLAIN_400) - 1);
	ck_assert_int_eq(memcmp(buf, PLAIN_400, (size_t)n), 0);
	ck_assert_uint_eq(
	    atomic_load(&worker_stats.tls_handshake_failures), before + 1);
	pair_close(&p);
}
END_TEST

START_TEST(test_tls_other_bytes_close)
{
	static const char *const bad[] = {"\x00\x01", "*1\r\n$4\r\nPING\r\n",
	    "PING\r\n", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"};
	struct pair p;
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pair_open(&p);
		ck_assert_int_eq(write(p.client, bad[i], strlen(bad[i]) + 1),
		    (ssize_t)strlen(bad[i]) + 1);
		ck_assert_int_eq(transport_tls.read(&p.io, p.in, 65536), -1);
		ck_assert_int_eq(errno, EPROTO);
		ck_assert_int_eq(read(p.client, buf, sizeof(buf)), -1);
		ck_assert_int_eq(errno, EAGAIN);
		pair_close(&p);
	}
}
END_TEST

START_TEST(test_tls_client_gone_before_a_byte)
{
	uint64_t before = atomic_load(&worker_stats.tls_handshake_failures);
	struct pair p;

	pair_open(&p);
	close(p.client);
	p.client = -1;
	ck_assert_int_eq(transport_tls.read(&p.io, p.in, 65536), 0);
	pair_close(&p);
	ck_assert_uint_eq(
	    atomic_load(&worker_stats.tls_handshake_failures), before);
}
END_TEST

START_TEST(test_tls_set_fails_whole)
{
	struct config_tls good = {.cert = test_cert,
	    .key = test_key,
	    .versions = CONFIG_TLS_V1_3,
	    .line = 1,
	    .column = 1};
	struct config_tls bad = good;
	struct config_listen l[3] = {
	    {.text = (char *)"a:1", .tls = &good},
	    {.text = (char *)"a:2"},
	    {.text = (char *)"a:3", .tls = &bad},
	};
	struct config cf = {.file = (char *)"test", .listen = l, .nlisten = 3};
	struct tls_set *s;

	l[2].tls = NULL;
	ck_assert_ptr_nonnull(s = tls_set_new(&cf));
	ck_assert_ptr_nonnull(tls_set_get(s, 0));
	ck_assert_ptr_null(tls_set_get(s, 1));
	tls_set_free(s);
	bad.key = test_cert; /* a certificate is no key */
	l[2].tls = &bad;
	ck_assert_ptr_null(tls_set_new(&cf));
	tls_set_free(NULL);
}
END_TEST

static Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("transport");

	tcase_add_checked_fixture(tc, tls_test_setup, tls_test_teardown);
	tcase_add_test(tc, test_tls_roundtrip);
	tcase_add_test(tc, test_tls_write_backpressure);
	tcase_add_test(tc, test_tls_read_leaves_nothing_behind);
	tcase_add_test(tc, test_tls_plain_http_gets_400);
	tcase_add_test(tc, test_tls_other_bytes_close);
	tcase_add_test(tc, test_tls_client_gone_before_a_byte);
	tcase_add_test(tc, test_tls_set_fails_whole);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tls_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
