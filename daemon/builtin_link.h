/* SPDX-License-Identifier: MIT */
/*
 * builtin_link - LINK REGISTER / REPLY / ERROR / COMMANDS: the hub's end
 * of a link between daemons (SPEC 11).  L4.
 */
#ifndef DUET_BUILTIN_LINK_H
#define DUET_BUILTIN_LINK_H

#include <duet/plugin.h>

struct conn;
struct resp_arg;

void builtin_link(duet_call *call);
int builtin_link_answer(struct conn *c, const struct resp_arg *name,
    const struct resp_arg *argv, size_t argc);
int builtin_link_is(struct conn *c);

#endif /* DUET_BUILTIN_LINK_H */
