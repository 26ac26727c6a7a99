/* SPDX-License-Identifier: MIT */
/*
 * defaults - a test-only plugin whose signatures have defaults, for the
 * tests of how commands are described (COMMAND DOCS, /commands, the page,
 * /openapi.json):
 *
 *   defaults.echo word:str times:int=1 loud:bool=false ratio:float=0.5
 *                 sep:str=-
 *           -> the five arguments as an array, defaults filled in.
 *   defaults.count n:int=3
 *           -> STREAM: the items 0..n-1.
 *   defaults.tags tags:str...?
 *           -> how many tags were given.
 *
 * Its descriptor says ABI 1.1, so the tests also show that a plugin built
 * for an older minor loads.
 */
#include <stdint.h>

#include <msgpack.h>

#include <duet/plugin.h>

static void
defaults_echo(duet_call *call)
{
	msgpack_packer *pk = duet_reply(call);
	int i;

	msgpack_pack_array(pk, 5);
	for (i = 0; i < 5; i++)
		msgpack_pack_object(pk, *duet_arg(call, i));
}

static void
defaults_count(duet_call *call)
{
	int64_t i, n = duet_arg_int(call, 0);

	for (i = 0; i < n; i++) {
		duet_reply_int(call, i);
		if (duet_stream_send(call) != 0)
			return;
	}
}

static void
defaults_tags(duet_call *call)
{
	const msgpack_object *o = duet_arg(call, 0);

	duet_reply_int(
	    call, o->type == MSGPACK_OBJECT_ARRAY ? o->via.array.size : 0);
}

static const struct duet_command defaults_commands[] = {
    {
        .name = "defaults.echo",
        .args = "word:str times:int=1 loud:bool=false ratio:float=0.5 "
                "sep:str=-",
        .reply = "array",
        .summary = "Returns its arguments, defaults filled in.",
        .flags = DUET_READONLY,
        .handler = defaults_echo,
    },
    {
        .name = "defaults.count",
        .args = "n:int=3",
        .reply = "int",
        .summary = "Streams the integers 0 to n-1.",
        .flags = DUET_READONLY | DUET_STREAM,
        .handler = defaults_count,
    },
    {
        .name = "defaults.tags",
        .args = "tags:str...?",
        .reply = "int",
        .summary = "Counts its tags.",
        .flags = 0,
        .handler = defaults_tags,
    },
    {.name = NULL},
};

/* Built as for ABI 1.1 (it needs nothing newer): older minors still load. */
DUET_PLUGIN = {
    .abi_major = DUET_ABI_MAJOR,
    .abi_minor = 1,
    .struct_size = sizeof(struct duet_plugin),
    .command_size = sizeof(struct duet_command),
    .host = &duet__host,
    .name = "defaults",
    .version = "1.0.0",
    .flags = DUET_THREADSAFE,
    .commands = defaults_commands,
};
