/* SPDX-License-Identifier: MIT */
/*
 * swap - a test-only plugin built twice from this file: swap_a.so answers
 * `swap.which` with "A", and swap_b.so (compiled with -DSWAP_B) with "B".
 * The reload tests copy one over the other and check that the new code
 * answers after SIGHUP.
 */
#include <msgpack.h>

#include <duet/plugin.h>

#ifdef SWAP_B
#define SWAP_WHICH   "B"
#define SWAP_VERSION "2.0.0"
#else
#define SWAP_WHICH   "A"
#define SWAP_VERSION "1.0.0"
#endif

/* swap.which -> str, the build this object came from. */
static void
swap_which(duet_call *call)
{
	duet_reply_str(call, SWAP_WHICH, sizeof(SWAP_WHICH) - 1);
}

static const struct duet_command swap_commands[] = {
    {
        .name = "swap.which",
        .args = "",
        .reply = "str",
        .summary = "Returns which build is loaded: A or B.",
        .flags = DUET_READONLY,
        .handler = swap_which,
    },
    {.name = NULL},
};

DUET_PLUGIN = {
    DUET_PLUGIN_HEADER,
    .name = "swap",
    .version = SWAP_VERSION,
    .flags = DUET_THREADSAFE,
    .commands = swap_commands,
};
