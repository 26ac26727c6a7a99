/* SPDX-License-Identifier: MIT */
/*
 * certs - makes the integration tests' certificates with the openssl CLI
 * in a fresh temporary folder (nothing is kept in the tree, so none can
 * expire).  Failures fail the calling Check test.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "certs.h"
#include "harness.h"

/*
 * Makes, in the current folder: a CA (ca), another CA (other), a server
 * certificate for localhost and 127.0.0.1 (server) and a second one
 * (server2, CN localhost2), a client certificate of ca (alice, subject
 * O=Example, CN=alice), one of other (mallory, CN=alice) and an expired
 * one of ca (expired, 2020), the last with openssl ca's -startdate and
 * -enddate (OpenSSL 3.0's x509 has no -not_before).
 */
static const char certs_script[] =
    "set -e\n"
    "key() { openssl genpkey -algorithm EC -pkeyopt "
    "ec_paramgen_curve:P-256 -out $1.key; }\n"
    "ca() { key $1; openssl req -x509 -new -key $1.key -subj \"/CN=$2\" "
    "-days 30 -out $1.crt; }\n"
    "csr() { key $1; openssl req -new -key $1.key -subj \"$2\" -out "
    "$1.csr; }\n"
    "sign() { openssl x509 -req -in $1.csr -CA $2.crt -CAkey $2.key "
    "-CAcreateserial -days 30 $3 -out $1.crt; }\n"
    "ca ca 'duet test CA'\n"
    "ca other 'other CA'\n"
    "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext\n"
    "csr server /CN=localhost\n"
    "sign server ca '-extfile san.ext'\n"
    "csr server2 /CN=localhost2\n"
    "sign server2 ca '-extfile san.ext'\n"
    "csr alice /O=Example/CN=alice\n"
    "sign alice ca\n"
    "csr mallory /CN=alice\n"
    "sign mallory other\n"
    "csr expired /CN=alice\n"
    "printf '[ca]\\ndefault_ca=d\\n[d]\\ndatabase=index.txt\\n"
    "new_certs_dir=.\\nserial=serial\\ndefault_md=sha256\\npolicy=p\\n"
    "[p]\\ncommonName=supplied\\n' > ca.cnf\n"
    ": > index.txt\n"
    "echo 01 > serial\n"
    "openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key "
    "-in expired.csr -out expired.crt -notext "
    "-startdate 20200101000000Z -enddate 20200102000000Z\n";

/*
 * Creates a temporary folder, writes its path into dir (len bytes) and
 * makes the certificates listed above in it, each NAME as NAME.crt and
 * NAME.key.  Remove it with certs_remove().
 */
void
certs_make(char *dir, size_t len)
{
	struct harness_out o;
	char cmd[256];

	harness_tmpdir(dir, len);
	snprintf(cmd, sizeof(cmd), "cd '%s' && sh -s", dir);
	harness_run(&o, cmd, certs_script, sizeof(certs_script) - 1);
	ck_assert_msg(o.status == 0, "making certificates: %s", o.err);
	harness_out_free(&o);
}

/*
 * Removes the folder made by certs_make() and what is in it.
 */
void
certs_remove(const char *dir)
{
	harness_rmdir(dir);
}

/* 32 random bytes in hex, as `openssl rand -hex 32` makes a token. */
void
certs_token(char out[65])
{
	unsigned char raw[32];
	size_t i;

	ck_assert_int_eq(RAND_bytes(raw, sizeof(raw)), 1);
	for (i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* The token's SHA-256 in hex, as `printf %s TOKEN | sha256sum` prints. */
void
certs_token_hash(const char *tok, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int i, n = 0;

	ck_assert_int_eq(
	    EVP_Digest(tok, strlen(tok), md, &n, EVP_sha256(), NULL), 1);
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}
