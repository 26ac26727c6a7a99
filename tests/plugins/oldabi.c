/* SPDX-License-Identifier: MIT */
/*
 * oldabi - a test-only plugin whose descriptor is ABI 1.1's size: its
 * struct_size ends before conn_close, so the daemon must never read that
 * field.  The field is set anyway, to a hook that aborts the daemon: a
 * daemon that read past struct_size would call it when a connection with
 * state closes.  The handler uses duet_conn_state (the host table is the
 * daemon's, whatever the descriptor's size).
 *
 *   oldabi.bump -> this connection's calls of it: 1, 2, 3, ...
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <msgpack.h>

#include <duet/plugin.h>

static void
oldabi_bump(duet_call *call)
{
	int64_t *n = duet_conn_state(call, sizeof(*n));

	if (n == NULL) {
		duet_reply_error(call, "ERR", "no connection state");
		return;
	}
	duet_reply_int(call, ++*n);
}

/* Never called: past the descriptor's struct_size. */
static void
oldabi_trap(void *state)
{
	(void)state;
	abort();
}

static const struct duet_command oldabi_commands[] = {
    {"oldabi.bump", "", "int", "Counts its calls on the connection.", 0,
        oldabi_bump},
    {.name = NULL},
};

const struct duet_host *duet__host;

DUET_API const struct duet_plugin duet_plugin = {
    .abi_major = DUET_ABI_MAJOR,
    .abi_minor = 1,
    .struct_size = offsetof(struct duet_plugin, conn_close),
    .command_size = sizeof(struct duet_command),
    .host = &duet__host,
    .name = "oldabi",
    .version = "1.1.0",
    .flags = DUET_THREADSAFE,
    .commands = oldabi_commands,
    .conn_close = oldabi_trap,
};
