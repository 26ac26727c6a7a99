/* SPDX-License-Identifier: MIT */
/*
 * failinit - a test-only plugin whose init always refuses, so its load
 * must fail with the message below and none of its commands may be
 * registered.
 */
#include <stdio.h>

#include <msgpack.h>

#include <duet/plugin.h>

static void
failinit_ping(duet_call *call)
{
	duet_reply_str(call, "never", 5);
}

static int
failinit_init(const msgpack_object *config, char *err, size_t errlen)
{
	(void)config;
	snprintf(err, errlen, "failinit: refused to start");
	return -1;
}

static const struct duet_command failinit_commands[] = {
    {
        .name = "failinit.ping",
        .args = "",
        .reply = "str",
        .summary = "Never callable: init refuses.",
        .handler = failinit_ping,
    },
    {.name = NULL},
};

DUET_PLUGIN = {
    DUET_PLUGIN_HEADER,
    .name = "failinit",
    .version = "1.0.0",
    .commands = failinit_commands,
    .init = failinit_init,
};
