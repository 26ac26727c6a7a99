/* SPDX-License-Identifier: MIT */
/*
 * openapi - GET /openapi.json: an OpenAPI 3.1 description of every
 * command of a registry generation, built from the signatures.
 */
#ifndef DUET_OPENAPI_H
#define DUET_OPENAPI_H

#include <msgpack.h>

struct registry;

void openapi_pack(msgpack_packer *pk, const struct registry *reg);

#endif /* DUET_OPENAPI_H */
