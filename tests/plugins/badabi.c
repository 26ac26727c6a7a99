/* SPDX-License-Identifier: MIT */
/*
 * badabi - a test-only plugin built for the next ABI major, which duetd
 * must refuse at load ("plugin badabi needs ABI 2.x, duetd has 1.y")
 * without reading past the descriptor's header.  The descriptor is written
 * out by hand because DUET_PLUGIN_HEADER always names the current major.
 */
#include <msgpack.h>

#include <duet/plugin.h>

static void
badabi_ping(duet_call *call)
{
	duet_reply_str(call, "never", 5);
}

static const struct duet_command badabi_commands[] = {
    {
        .name = "badabi.ping",
        .args = "",
        .reply = "str",
        .summary = "Never callable: the plugin is refused.",
        .handler = badabi_ping,
    },
    {.name = NULL},
};

const struct duet_host *duet__host;

DUET_API const struct duet_plugin duet_plugin = {
    .abi_major = DUET_ABI_MAJOR + 1,
    .abi_minor = 0,
    .struct_size = sizeof(struct duet_plugin),
    .command_size = sizeof(struct duet_command),
    .host = &duet__host,
    .name = "badabi",
    .version = "2.0.0",
    .commands = badabi_commands,
};
