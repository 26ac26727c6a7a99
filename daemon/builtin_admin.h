/* SPDX-License-Identifier: MIT */
/*
 * builtin_admin - the Redis administration commands that clients and
 * tools expect of a server: CONFIG GET (read-only), TIME, the HELP
 * subcommands, and CLIENT LIST / CLIENT KILL over the connections of
 * every worker.  A command that looks at other workers' connections is
 * deferred: each worker does its part on its own thread, and the last
 * one to finish answers.
 */
#ifndef DUET_BUILTIN_ADMIN_H
#define DUET_BUILTIN_ADMIN_H

#include <stdint.h>

#include <duet/plugin.h>

int builtin_admin_arg_is(const duet_call *call, int i, const char *word);
uint32_t builtin_admin_nrest(const duet_call *call, int v);
const char *builtin_admin_rest(
    const duet_call *call, int v, uint32_t i, size_t *len);
void builtin_admin_unknown_sub(duet_call *call, const char *cmd);
void builtin_admin_arity_error(duet_call *call, const char *name);

void builtin_admin_time(duet_call *call);
void builtin_admin_config(duet_call *call);
void builtin_admin_help(
    duet_call *call, const char *cmd, const char *const *lines);
void builtin_admin_client_help(duet_call *call);
void builtin_admin_command_help(duet_call *call);
void builtin_admin_client_info(duet_call *call);
void builtin_admin_client_list(duet_call *call);
void builtin_admin_client_kill(duet_call *call);

#endif /* DUET_BUILTIN_ADMIN_H */
