/* SPDX-License-Identifier: MIT */
/*
 * reserved - a test-only plugin declaring `time`, a built-in name: it
 * must fail to load.
 */
#include <msgpack.h>

#include <duet/plugin.h>

static void
reserved_time(duet_call *call)
{
	duet_reply_int(call, 0);
}

static const struct duet_command reserved_commands[] = {
    {
        .name = "time",
        .args = "",
        .reply = "int",
        .summary = "Clashes with the TIME built-in.",
        .handler = reserved_time,
    },
    {.name = NULL},
};

DUET_PLUGIN = {
    DUET_PLUGIN_HEADER,
    .name = "reserved",
    .version = "1.0.0",
    .commands = reserved_commands,
};
