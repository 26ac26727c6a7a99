/* SPDX-License-Identifier: MIT */
/*
 * certs - test certificates made at run time with the openssl CLI, for
 * the integration tests of TLS listeners: a CA and the certificates it
 * signs, another CA and one it signs, and an expired one.  What each
 * file is is listed at certs_make().  Also the tokens of auth users:
 * certs_token and the hash that goes in the config, certs_token_hash.
 */
#ifndef DUET_TEST_CERTS_H
#define DUET_TEST_CERTS_H

#include <stddef.h>

void certs_make(char *dir, size_t len);
void certs_remove(const char *dir);
void certs_token(char out[65]);
void certs_token_hash(const char *tok, char out[65]);

#endif /* DUET_TEST_CERTS_H */
