/* SPDX-License-Identifier: MIT */
/*
 * builtin_link - LINK REGISTER / REPLY / ERROR / COMMANDS: the hub's end
 * of a link between daemons (SPEC 11).  L4.
 */
#ifndef DUET_BUILTIN_LINK_H
#define DUET_BUILTIN_LINK_H

#include <duet/plugin.h>

void builtin_link(duet_call *call);

#endif /* DUET_BUILTIN_LINK_H */
