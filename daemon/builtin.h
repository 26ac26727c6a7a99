/* SPDX-License-Identifier: MIT */
/*
 * builtin - the commands duetd itself serves (PING, ECHO, HELLO, COMMAND,
 * INFO, CLIENT, ...): a compiled-in table of struct duet_command, added
 * first to every registry generation, so their names are reserved and they
 * go through the same dispatch as plugin commands.
 */
#ifndef DUET_BUILTIN_H
#define DUET_BUILTIN_H

#include <duet/plugin.h>

extern const struct duet_command builtin_commands[];

#endif /* DUET_BUILTIN_H */
