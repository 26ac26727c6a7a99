/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for tls_client: transport_tls_client driven directly over a
 * socketpair against duetd's own accepting side (transport_tls), with
 * certificates made by the openssl CLI (tests/integration/certs.c): the
 * handshake started by the first write and bytes both ways, by name and
 * by IP address; a server of another CA, a name or an address the
 * certificate is not for (one warning line each, and a closed
 * connection); a client certificate the server requires, given or not;
 * tls_client_ctx_new's errors, text for text; and a conn dialling out,
 * whose first write waits for the server without spinning.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "../integration/certs.h"
#include "../integration/harness.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "registry.h"
#include "resp_session.h"
#include "tls.h"
#include "worker.h"

static char certs_dir[64];

/* A path in the certificates' folder, in a static buffer of 4. */
static const char *
cpath(const char *name)
{
	static char paths[4][PATH_MAX];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", certs_dir, name);
	return p;
}

static void
setup(void)
{
	certs_make(certs_dir, sizeof(certs_dir));
	log_set_timestamps(LOG_TS_NEVER);
}

static void
teardown(void)
{
	certs_remove(certs_dir);
}

/*
 * Both ends of a socketpair: the server on transport_tls with the
 * certificate for localhost and 127.0.0.1 (requiring one of ca from
 * clients when require is set), the client on transport_tls_client.
 */
struct pair {
	struct tls_set *set;
	SSL_CTX *cctx;
	struct transport_io s, c;
	struct evbuffer *sbuf, *cbuf;
};

static void
pair_open(struct pair *p, SSL_CTX *cctx, const char *host, int require)
{
	struct config_tls t = {.cert = (char *)cpath("server.crt"),
	    .key = (char *)cpath("server.key"),
	    .client_ca = require ? (char *)cpath("ca.crt") : NULL,
	    .verify_client =
	        require ? CONFIG_VERIFY_REQUIRE : CONFIG_VERIFY_NONE,
	    .versions = CONFIG_TLS_V1_2 | CONFIG_TLS_V1_3,
	    .line = 1,
	    .column = 1};
	struct config_listen l = {.text = (char *)"127.0.0.1:1",
	    .protocols = CONFIG_PROTO_RESP,
	    .tls = &t};
	struct config cf = {.file = (char *)"test", .listen = &l, .nlisten = 1};
	struct tls_client_arg arg = {.ctx = cctx, .host = host};
	int sv[2];

	memset(p, 0, sizeof(*p));
	ck_assert_ptr_nonnull(p->set = tls_set_new(&cf));
	p->cctx = cctx;
	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	p->s.fd = sv[0];
	p->c.fd = sv[1];
	ck_assert_ptr_nonnull(p->sbuf = evbuffer_new());
	ck_assert_ptr_nonnull(p->cbuf = evbuffer_new());
	ck_assert_int_eq(
	    transport_tls.open(&p->s, tls_set_get(p->set, 0), "client"), 0);
	ck_assert_int_eq(
	    transport_tls_client.open(&p->c, &arg, "127.0.0.1:3839"), 0);
	ck_assert_int_eq(p->c.busy, 1);
}

static void
pair_close(struct pair *p)
{
	transport_tls_client.shutdown(&p->c);
	ck_assert_ptr_null(p->c.state);
	transport_tls.shutdown(&p->s);
	close(p->c.fd);
	close(p->s.fd);
	evbuffer_free(p->sbuf);
	evbuffer_free(p->cbuf);
	tls_set_free(p->set);
	tls_ctx_unref(p->cctx);
}

/*
 * Writes what cbuf holds from the client, the server reading, until the
 * client has written it all or failed.  Returns the client's last write
 * (the bytes, or -1 with errno set), the client's errno kept.
 */
static int
pair_client_write(struct pair *p)
{
	int i, n = -1, saved;

	for (i = 0; i < 20; i++) {
		errno = 0;
		n = transport_tls_client.write(&p->c, p->cbuf);
		if (n >= 0 || errno != EAGAIN)
			break;
		/* The handshake waits for the server's answer. */
		ck_assert_int_eq(p->c.want, EV_READ);
		p->c.want = 0;
		saved = errno;
		(void)transport_tls.read(&p->s, p->sbuf, 65536);
		errno = saved;
	}
	return n;
}

/* The server reads: returns its read's result. */
static ssize_t
pair_server_read(struct pair *p)
{
	int i;
	ssize_t n = -1;

	for (i = 0; i < 20; i++) {
		errno = 0;
		if ((n = transport_tls.read(&p->s, p->sbuf, 65536)) != -1 ||
		    errno != EAGAIN)
			break;
	}
	return n;
}

/* What the test's stderr had while it was redirected to a file. */
struct capture {
	int saved;
	FILE *f;
	char text[1024];
};

static void
capture_start(struct capture *cap)
{
	ck_assert_ptr_nonnull(cap->f = tmpfile());
	ck_assert_int_ge(cap->saved = dup(STDERR_FILENO), 0);
	ck_assert_int_ge(dup2(fileno(cap->f), STDERR_FILENO), 0);
}

static const char *
capture_end(struct capture *cap)
{
	size_t n;

	ck_assert_int_ge(dup2(cap->saved, STDERR_FILENO), 0);
	close(cap->saved);
	rewind(cap->f);
	n = fread(cap->text, 1, sizeof(cap->text) - 1, cap->f);
	cap->text[n] = '\0';
	fclose(cap->f);
	return cap->text;
}

/* The handshake comes from the first write; PING goes, +PONG comes. */
static void
roundtrip(const char *host)
{
	SSL_CTX *cctx;
	struct pair p;
	char err[256], word[32], buf[16];
	char *subject, *cn;

	cctx =
	    tls_client_ctx_new(cpath("ca.crt"), NULL, NULL, err, sizeof(err));
	ck_assert_msg(cctx != NULL, "%s", err);
	pair_open(&p, cctx, host, 0);
	transport_tls_client.describe(&p.c, word, sizeof(word));
	ck_assert_str_eq(word, "handshake");
	evbuffer_add(p.cbuf, "PING\r\n", 6);
	ck_assert_int_eq(pair_client_write(&p), 6);
	ck_assert_int_eq(p.c.busy, 0);
	ck_assert_uint_eq(evbuffer_get_length(p.cbuf), 0);
	ck_assert_int_eq(pair_server_read(&p), 6);
	ck_assert_int_eq(memcmp(evbuffer_pullup(p.sbuf, -1), "PING\r\n", 6), 0);
	evbuffer_drain(p.sbuf, 6);
	evbuffer_add(p.sbuf, "+PONG\r\n", 7);
	ck_assert_int_eq(transport_tls.write(&p.s, p.sbuf), 7);
	ck_assert_int_eq(transport_tls_client.read(&p.c, p.cbuf, 65536), 7);
	evbuffer_remove(p.cbuf, buf, sizeof(buf));
	ck_assert_int_eq(memcmp(buf, "+PONG\r\n", 7), 0);
	transport_tls_client.describe(&p.c, word, sizeof(word));
	ck_assert_str_eq(word, "TLSv1.3");
	ck_assert_int_eq(transport_tls_client.peer(&p.c, &subject, &cn), 0);
	ck_assert_str_eq(subject, "CN=localhost");
	ck_assert_str_eq(cn, "localhost");
	free(subject);
	free(cn);
	/* close_notify: the server reads the end. */
	transport_tls_client.shutdown(&p.c);
	ck_assert_int_eq(transport_tls.read(&p.s, p.sbuf, 65536), 0);
	pair_close(&p);
}

START_TEST(test_tls_client_roundtrip_by_name)
{
	roundtrip("localhost");
}
END_TEST

START_TEST(test_tls_client_roundtrip_by_address)
{
	roundtrip("127.0.0.1");
}
END_TEST

/* The client reads first: the handshake starts from the read as well. */
START_TEST(test_tls_client_handshake_from_read)
{
	struct pair p;
	char err[256];
	int i;

	pair_open(&p,
	    tls_client_ctx_new(cpath("ca.crt"), NULL, NULL, err, sizeof(err)),
	    "localhost", 0);
	for (i = 0; i < 20 && p.c.busy; i++) {
		ck_assert_int_eq(
		    transport_tls_client.read(&p.c, p.cbuf, 65536), -1);
		ck_assert_int_eq(errno, EAGAIN);
		(void)transport_tls.read(&p.s, p.sbuf, 65536);
	}
	ck_assert_int_eq(p.c.busy, 0);
	pair_close(&p);
}
END_TEST

/*
 * Servers the client must not trust: one warning line, the write fails
 * (EPROTO, then EPIPE) and nothing loops.
 */
static const struct {
	const char *ca, *host, *log;
} tls_client_refused[] = {
    {"other.crt", "localhost",
        "warn: link tls: certificate verify failed: unable to get local "
        "issuer certificate (host localhost)\n"},
    {"ca.crt", "localhost2",
        "warn: link tls: certificate verify failed: hostname mismatch "
        "(host localhost2)\n"},
    {"ca.crt", "127.0.0.2",
        "warn: link tls: certificate verify failed: IP address mismatch "
        "(host 127.0.0.2)\n"},
    {"ca.crt", "::1",
        "warn: link tls: certificate verify failed: IP address mismatch "
        "(host ::1)\n"},
    {"ca.crt", "calhost",
        "warn: link tls: certificate verify failed: hostname mismatch "
        "(host calhost)\n"},
};

START_TEST(test_tls_client_refuses_server)
{
	struct capture cap;
	struct pair p;
	char err[256];
	SSL_CTX *cctx;

	cctx = tls_client_ctx_new(
	    cpath(tls_client_refused[_i].ca), NULL, NULL, err, sizeof(err));
	ck_assert_msg(cctx != NULL, "%s", err);
	pair_open(&p, cctx, tls_client_refused[_i].host, 0);
	evbuffer_add(p.cbuf, "PING\r\n", 6);
	capture_start(&cap);
	ck_assert_int_eq(pair_client_write(&p), -1);
	ck_assert_str_eq(capture_end(&cap), tls_client_refused[_i].log);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_int_eq(transport_tls_client.write(&p.c, p.cbuf), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(transport_tls_client.read(&p.c, p.cbuf, 65536), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_uint_eq(evbuffer_get_length(p.cbuf), 6);
	pair_close(&p);
}
END_TEST

/*
 * A server gone mid-handshake (its ClientHello unread: a reset): one
 * warning line with the reason.
 */
START_TEST(test_tls_client_server_gone)
{
	struct capture cap;
	struct pair p;
	char err[256];

	pair_open(&p,
	    tls_client_ctx_new(cpath("ca.crt"), NULL, NULL, err, sizeof(err)),
	    "localhost", 0);
	evbuffer_add(p.cbuf, "PING\r\n", 6);
	ck_assert_int_eq(transport_tls_client.write(&p.c, p.cbuf), -1);
	ck_assert_int_eq(errno, EAGAIN);
	close(p.s.fd);
	p.s.fd = -1;
	capture_start(&cap);
	ck_assert_int_eq(transport_tls_client.write(&p.c, p.cbuf), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_str_eq(capture_end(&cap),
	    "warn: link tls: handshake with localhost (127.0.0.1:3839) "
	    "failed: Connection reset by peer\n");
	pair_close(&p);
}
END_TEST

/* A server requiring a client certificate of ca sees alice's. */
START_TEST(test_tls_client_presents_certificate)
{
	struct pair p;
	char err[256];
	char *subject, *cn;
	SSL_CTX *cctx;

	cctx = tls_client_ctx_new(cpath("ca.crt"), cpath("alice.crt"),
	    cpath("alice.key"), err, sizeof(err));
	ck_assert_msg(cctx != NULL, "%s", err);
	pair_open(&p, cctx, "localhost", 1);
	evbuffer_add(p.cbuf, "PING\r\n", 6);
	ck_assert_int_eq(pair_client_write(&p), 6);
	ck_assert_int_eq(pair_server_read(&p), 6);
	ck_assert_int_eq(transport_tls.peer(&p.s, &subject, &cn), 0);
	ck_assert_str_eq(subject, "CN=alice,O=Example");
	ck_assert_str_eq(cn, "alice");
	free(subject);
	free(cn);
	pair_close(&p);
}
END_TEST

/*
 * Without one, TLS 1.3's client has ended its handshake when the
 * server's alert comes: the next read fails, with one warning line.
 */
START_TEST(test_tls_client_certificate_required)
{
	struct capture cap;
	struct pair p;
	char err[256];

	pair_open(&p,
	    tls_client_ctx_new(cpath("ca.crt"), NULL, NULL, err, sizeof(err)),
	    "localhost", 1);
	evbuffer_add(p.cbuf, "PING\r\n", 6);
	ck_assert_int_eq(pair_client_write(&p), 6);
	capture_start(&cap);
	ck_assert_int_eq(pair_server_read(&p), -1);
	ck_assert_int_eq(transport_tls_client.read(&p.c, p.cbuf, 65536), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_str_eq(capture_end(&cap),
	    "info: TLS handshake with client failed: error:0A0000C7:SSL "
	    "routines::peer did not return a certificate\n"
	    "warn: link tls: read with localhost (127.0.0.1:3839) failed: "
	    "error:0A00045C:SSL routines::tlsv13 alert certificate "
	    "required\n");
	pair_close(&p);
}
END_TEST

/* tls_client_ctx_new's errors: one line naming the file. */
START_TEST(test_tls_client_ctx_errors)
{
	char err[512], want[512];
	SSL_CTX *ctx;

	ck_assert_ptr_null(tls_client_ctx_new(cpath("ca.crt"),
	    cpath("missing.crt"), cpath("alice.key"), err, sizeof(err)));
	snprintf(want, sizeof(want),
	    "cannot load cert %s/missing.crt: error:80000002:system "
	    "library::No such file or directory",
	    certs_dir);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(tls_client_ctx_new(
	    cpath("missing.crt"), NULL, NULL, err, sizeof(err)));
	snprintf(want, sizeof(want),
	    "cannot load ca %s/missing.crt: error:80000002:system "
	    "library::No such file or directory",
	    certs_dir);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(tls_client_ctx_new(cpath("ca.crt"),
	    cpath("alice.crt"), cpath("mallory.key"), err, sizeof(err)));
	snprintf(want, sizeof(want),
	    "cannot load key %s/mallory.key: error:05800074:x509 "
	    "certificate routines::key values mismatch",
	    certs_dir);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(tls_client_ctx_new(
	    NULL, cpath("alice.crt"), NULL, err, sizeof(err)));
	ck_assert_str_eq(err, "cert given without key");
	ck_assert_ptr_null(tls_client_ctx_new(
	    NULL, NULL, cpath("alice.key"), err, sizeof(err)));
	ck_assert_str_eq(err, "key given without cert");
	/* NULL: the system's CAs; alice's certificate and key go together. */
	ck_assert_ptr_nonnull(
	    ctx = tls_client_ctx_new(NULL, NULL, NULL, err, sizeof(err)));
	tls_ctx_unref(ctx);
	ck_assert_ptr_nonnull(ctx = tls_client_ctx_new(NULL, cpath("alice.crt"),
	                          cpath("alice.key"), err, sizeof(err)));
	tls_ctx_unref(ctx);
}
END_TEST

/* transport_tls_client, its writes counted. */
static struct transport counting;
static int counting_writes;

static int
counting_write(struct transport_io *io, struct evbuffer *out)
{
	counting_writes++;
	return transport_tls_client.write(io, out);
}

/* A worker (default limits, no plugins) for a conn of its own. */
static void
conn_worker(struct worker *w, struct config **cf, char *dir, size_t len)
{
	char path[128];
	struct registry *reg;
	FILE *f;
	int nerrors;

	snprintf(dir, len, "/tmp/duet-tlsc-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/duetd.yaml", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "plugin_dir: %s\nlog: {level: error}\n", dir);
	fclose(f);
	ck_assert_ptr_nonnull(*cf = config_load(path, &nerrors));
	unlink(path);
	ck_assert_ptr_nonnull(reg = registry_build(*cf, NULL, NULL, &nerrors));
	registry_publish(reg);
	ck_assert_int_eq(worker_init(w, 0, *cf), 0);
}

/*
 * A conn put on transport_tls_client writes first: its write begins the
 * handshake, and then the conn waits for the server's answer to read, not
 * for room to write (which the socket always has: a busy loop), and
 * writes what it holds once the answer came.
 */
START_TEST(test_tls_client_conn_writes_first)
{
	static const struct conn_proto *const protos[] = {&resp_session_proto};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct tls_client_arg arg = {.host = "localhost"};
	struct config *cf;
	struct worker w;
	struct pair p;
	struct conn *c;
	char dir[32], err[256];
	int i;

	conn_worker(&w, &cf, dir, sizeof(dir));
	counting = transport_tls_client;
	counting.write = counting_write;
	counting_writes = 0;
	arg.ctx =
	    tls_client_ctx_new(cpath("ca.crt"), NULL, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(arg.ctx);
	/* The pair's server end; its client end's socket goes to a conn. */
	pair_open(&p, tls_ctx_ref(arg.ctx), "localhost", 0);
	transport_tls_client.shutdown(&p.c);
	c = conn_new(&w.env, p.c.fd, (struct sockaddr *)&sun, "test",
	    &transport_plain, protos, 1);
	p.c.fd = -1;
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(conn_start_transport(c, &counting, &arg), 0);
	ck_assert_int_eq(c->io.busy, 1);
	evbuffer_add(conn_output(c), "HELLO 3\r\n", 9);
	conn_push(c);
	ck_assert_int_eq(counting_writes, 1);
	ck_assert_int_eq(c->io.want, EV_READ);
	/* No answer yet: nothing wakes the conn. */
	for (i = 0; i < 5; i++)
		event_base_loop(w.env.base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(counting_writes, 1);
	/* The server answers: the conn ends the handshake and writes. */
	ck_assert_int_eq(transport_tls.read(&p.s, p.sbuf, 65536), -1);
	ck_assert_int_eq(errno, EAGAIN);
	event_base_loop(w.env.base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(counting_writes, 2);
	ck_assert_int_eq(c->io.busy, 0);
	ck_assert_uint_eq(conn_unsent(c), 0);
	ck_assert_int_eq(pair_server_read(&p), 9);
	ck_assert_int_eq(
	    memcmp(evbuffer_pullup(p.sbuf, -1), "HELLO 3\r\n", 9), 0);
	conn_free(c);
	pair_close(&p);
	tls_ctx_unref(arg.ctx);
	worker_fini(&w);
	registry_publish(NULL);
	config_free(cf);
	rmdir(dir);
}
END_TEST

static Suite *
tls_client_suite(void)
{
	Suite *s = suite_create("tls_client");
	TCase *tc = tcase_create("dial");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tls_client_roundtrip_by_name);
	tcase_add_test(tc, test_tls_client_roundtrip_by_address);
	tcase_add_test(tc, test_tls_client_handshake_from_read);
	tcase_add_loop_test(tc, test_tls_client_refuses_server, 0,
	    sizeof(tls_client_refused) / sizeof(tls_client_refused[0]));
	tcase_add_test(tc, test_tls_client_server_gone);
	tcase_add_test(tc, test_tls_client_presents_certificate);
	tcase_add_test(tc, test_tls_client_certificate_required);
	tcase_add_test(tc, test_tls_client_ctx_errors);
	tcase_add_test(tc, test_tls_client_conn_writes_first);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tls_client_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
