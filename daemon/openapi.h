/* SPDX-License-Identifier: MIT */
/*
 * openapi - GET /openapi.json: an OpenAPI 3.1 description of every
 * command of a registry generation and every linked command (those its
 * caller may call), built from the signatures.
 * Layer L1 (state); the schemas themselves are describe's.
 */
#ifndef DUET_OPENAPI_H
#define DUET_OPENAPI_H

#include <msgpack.h>

struct command;
struct describe_filter;
struct registry;

void openapi_pack(msgpack_packer *pk, const struct registry *reg,
    const struct describe_filter *f);
void openapi_pack_path(msgpack_packer *pk, const struct command *cmd);

#endif /* DUET_OPENAPI_H */
