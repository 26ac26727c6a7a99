/* SPDX-License-Identifier: MIT */
/*
 * badsig - a test-only plugin whose command has an invalid signature
 * ("integer" is not a type; "int" is): the load must fail with an error
 * naming the plugin and the command.
 */
#include <msgpack.h>

#include <duet/plugin.h>

static void
badsig_cmd(duet_call *call)
{
	duet_reply_int(call, duet_arg_int(call, 0));
}

static const struct duet_command badsig_commands[] = {
    {
        .name = "badsig.cmd",
        .args = "a:integer",
        .reply = "int",
        .summary = "Never registered: its signature is invalid.",
        .handler = badsig_cmd,
    },
    {.name = NULL},
};

DUET_PLUGIN = {
    DUET_PLUGIN_HEADER,
    .name = "badsig",
    .version = "1.0.0",
    .commands = badsig_commands,
};
