/* SPDX-License-Identifier: MIT */
/*
 * hello - an out-of-tree plugin, built the way a third party builds one:
 * against the installed <duet/plugin.h>, with the flags of `pkg-config
 * duet` and nothing from the duetd source tree (tests/install.sh builds it
 * with the Makefile next to it).  `hello.greet name:str` answers
 * "hello, NAME".
 */
#include <stdio.h>

#include <duet/plugin.h>

/* hello.greet name:str -> str. */
static void
hello_greet(duet_call *call)
{
	const char *name;
	char buf[256];
	size_t len;
	int n;

	name = duet_arg_bytes(call, 0, &len);
	n = snprintf(buf, sizeof(buf), "hello, %.*s", (int)len, name);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		duet_reply_error(call, "ERR", "name too long");
		return;
	}
	duet_reply_str(call, buf, (size_t)n);
}

static const struct duet_command hello_commands[] = {
    {
        .name = "hello.greet",
        .args = "name:str",
        .reply = "str",
        .summary = "Greets NAME.",
        .flags = DUET_READONLY,
        .handler = hello_greet,
    },
    {.name = NULL},
};

DUET_PLUGIN = {
    DUET_PLUGIN_HEADER,
    .name = "hello",
    .version = "1.0.0",
    .flags = DUET_THREADSAFE,
    .commands = hello_commands,
};
