/* SPDX-License-Identifier: MIT */
/*
 * clash - a test-only plugin declaring `add`, which the bundled math
 * plugin already has: loading both must fail with an error naming the
 * command and both plugins.
 */
#include <msgpack.h>

#include <duet/plugin.h>

static void
clash_add(duet_call *call)
{
	duet_reply_int(call, 0);
}

static const struct duet_command clash_commands[] = {
    {
        .name = "add",
        .args = "a:int b:int",
        .reply = "int",
        .summary = "Clashes with math's add.",
        .handler = clash_add,
    },
    {.name = NULL},
};

DUET_PLUGIN = {
    DUET_PLUGIN_HEADER,
    .name = "clash",
    .version = "1.0.0",
    .commands = clash_commands,
};
