/* SPDX-License-Identifier: MIT */
/*
 * describe - what clients are told about a command, from its struct
 * command and signature: COMMAND INFO and COMMAND DOCS entries (Redis 7
 * shapes, which redis-cli reads for hints), the GET /commands descriptors,
 * and the JSON Schema pieces of the OpenAPI document.  Each fact (a
 * type's name in each vocabulary, a flag's name, whether a command is an
 * HTTP operation) is written here once.
 *
 * Layer L1 (state).  Reads a registry generation and the linked commands
 * a listing is handed (SPEC 11), writes msgpack; the COMMAND built-in's
 * arguments are builtin's, the OpenAPI document's layout (paths,
 * responses, components) is openapi's, and turning the msgpack into RESP
 * or JSON is the writers'.
 */
#ifndef DUET_DESCRIBE_H
#define DUET_DESCRIBE_H

#include <msgpack.h>

#include "sig_type.h"

struct command;
struct registry;
struct sig_param;

/*
 * Which commands a listing shows: the generation's, then more (the linked
 * commands visible now, SPEC 11), each when shows(arg, cmd) holds (a NULL
 * shows, or a NULL filter, shows every one; a NULL filter adds none).
 * The session layer makes one from the caller's rules and the link
 * table; describe knows nothing of callers or links.  A shows means the
 * listing is for a caller of a daemon with auth (OpenAPI names Bearer).
 */
struct describe_filter {
	int (*shows)(const void *arg, const struct command *cmd);
	const void *arg;
	const struct command *const *more; /* borrowed, or NULL */
	size_t nmore;
};

int describe_shows(const struct describe_filter *f, const struct command *cmd);
const struct command *describe_next(
    const struct registry *reg, const struct describe_filter *f, size_t *i);
const struct command *describe_lookup(const struct registry *reg,
    const struct describe_filter *f, const char *name, size_t len);
size_t describe_count(
    const struct registry *reg, const struct describe_filter *f);
void describe_info(msgpack_packer *pk, const struct command *cmd);
void describe_doc(msgpack_packer *pk, const struct command *cmd);
void describe_all(msgpack_packer *pk, const struct registry *reg, int docs,
    const struct describe_filter *f);
void describe_command(msgpack_packer *pk, const struct command *cmd);
void describe_commands(msgpack_packer *pk, const struct registry *reg,
    const struct describe_filter *f);

int describe_http(const struct command *cmd);
const char *describe_schema_type(enum sig_type type);
void describe_schema(msgpack_packer *pk, const char *type);
void describe_param_schema(msgpack_packer *pk, const struct sig_param *p);
void describe_reply_schema(msgpack_packer *pk, const char *reply);

#endif /* DUET_DESCRIBE_H */
