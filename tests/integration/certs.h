/* SPDX-License-Identifier: MIT */
/*
 * certs - test certificates made at run time with the openssl CLI, for
 * the integration tests of TLS listeners: a CA and the certificates it
 * signs, another CA and one it signs, and an expired one.  What each
 * file is is listed at certs_make().
 */
#ifndef DUET_TEST_CERTS_H
#define DUET_TEST_CERTS_H

#include <stddef.h>

void certs_make(char *dir, size_t len);
void certs_remove(const char *dir);

#endif /* DUET_TEST_CERTS_H */
