/* SPDX-License-Identifier: MIT */
/*
 * math - the smallest bundled plugin, and the one duet-plugin(3) walks
 * through.  `add a:int b:int` adds two integers and refuses to overflow,
 * with Redis's error text; `sum nums:float...` adds any number of floats.
 * Neither command has side effects, so both are READONLY (callable with
 * HTTP GET), and with no state at all the plugin is THREADSAFE.
 *
 * Build out of tree with:
 *	cc -shared -fPIC $(pkg-config --cflags duet) -o math.so math.c
 */
#include <math.h>
#include <stdint.h>

#include <msgpack.h>

#include <duet/plugin.h>

/*
 * add a:int b:int -> int.  The arguments arrive checked and converted, so
 * only the overflow is left to refuse.
 */
static void
math_add(duet_call *call)
{
	int64_t a, b, r;

	a = duet_arg_int(call, 0);
	b = duet_arg_int(call, 1);
	if (__builtin_add_overflow(a, b, &r)) {
		duet_reply_error(
		    call, "ERR", "increment or decrement would overflow");
		return;
	}
	duet_reply_int(call, r);
}

/*
 * sum nums:float... -> float.  A variadic parameter is one argument: an
 * array of every value the client gave (at least one).
 */
static void
math_sum(duet_call *call)
{
	const msgpack_object *nums = duet_arg(call, 0);
	double total = 0.0;
	uint32_t i;

	for (i = 0; i < nums->via.array.size; i++)
		total += duet_obj_float(&nums->via.array.ptr[i]);
	if (!isfinite(total)) {
		/* JSON has no NaN or Infinity; Redis's INCRBYFLOAT refuses too.
		 */
		duet_reply_error(
		    call, "ERR", "sum would produce NaN or Infinity");
		return;
	}
	duet_reply_float(call, total);
}

/* The command table ends with an entry whose name is NULL. */
static const struct duet_command math_commands[] = {
    {
        .name = "add",
        .args = "a:int b:int",
        .reply = "int",
        .summary = "Adds two integers.",
        .flags = DUET_READONLY,
        .handler = math_add,
    },
    {
        .name = "sum",
        .args = "nums:float...",
        .reply = "float",
        .summary = "Adds one or more floats.",
        .flags = DUET_READONLY,
        .handler = math_sum,
    },
    {.name = NULL},
};

DUET_PLUGIN = {
    DUET_PLUGIN_HEADER,
    .name = "math",
    .version = "1.0.0",
    .flags = DUET_THREADSAFE,
    .commands = math_commands,
};
