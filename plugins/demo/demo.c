/* SPDX-License-Identifier: MIT */
/*
 * demo - shows the parts of the ABI the other bundled plugins do not need:
 * `reflect value:json` packs a raw msgpack argument straight back (the way
 * a redis-cli user sends a typed value and sees what the daemon made of
 * it), `whoami` reads what the daemon knows of the caller, and
 * `fail message:str` answers with an error of the plugin's own code,
 * `sleep ms:int` is BLOCKING (it runs on the blocking pool, so the event
 * loops go on serving), and `count n:int` streams 0..n-1, resuming where
 * it paused when the client reads slower than it produces.  Nothing here
 * has side effects or shared state, so the plugin is THREADSAFE and every
 * command but sleep is READONLY: sleep holds a pool thread, so it takes a
 * POST, never a GET that any link or prefetch could send.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>

#include <duet/plugin.h>

/*
 * reflect value:json -> the value unchanged.  msgpack_pack_object() packs
 * the borrowed argument into the reply; nothing is copied by the plugin.
 */
static void
demo_reflect(duet_call *call)
{
	msgpack_pack_object(duet_reply(call), *duet_arg(call, 0));
}

/* Packs one map entry: key, then a string value or nil if s is NULL. */
static void
demo_pack_entry(msgpack_packer *pk, const char *key, const char *s)
{
	msgpack_pack_str(pk, strlen(key));
	msgpack_pack_str_body(pk, key, strlen(key));
	if (s == NULL) {
		msgpack_pack_nil(pk);
		return;
	}
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

/*
 * whoami -> map.  Every key is always there; what the daemon does not know
 * (no authentication, no TLS, no CLIENT SETNAME) is nil.
 */
static void
demo_whoami(duet_call *call)
{
	static const struct {
		const char *key;
		int what;
	} fields[] = {
	    {"user", DUET_INFO_USER},
	    {"peer", DUET_INFO_PEER},
	    {"protocol", DUET_INFO_PROTOCOL},
	    {"tls_subject", DUET_INFO_TLS_SUBJECT},
	    {"name", DUET_INFO_CLIENT_NAME},
	};
	msgpack_packer *pk = duet_reply(call);
	size_t i, n = sizeof(fields) / sizeof(fields[0]);

	msgpack_pack_map(pk, n);
	for (i = 0; i < n; i++)
		demo_pack_entry(
		    pk, fields[i].key, duet_call_info(call, fields[i].what));
}

/*
 * fail message:str -> an error with code DEMO: RESP `-DEMO message`,
 * HTTP {"error":{"code":"DEMO","message":...}}.
 */
static void
demo_fail(duet_call *call)
{
	const char *msg;
	size_t len;

	msg = duet_arg_bytes(call, 0, &len);
	duet_reply_error(call, "DEMO", "%.*s", (int)len, msg);
}

/* The longest demo sleep: one hour. */
#define DEMO_SLEEP_MAX_MS (3600 * 1000)

/*
 * sleep ms:int -> ms, after sleeping that long.  BLOCKING: this runs on a
 * thread of the blocking pool, never on an event loop.
 */
static void
demo_sleep(duet_call *call)
{
	int64_t ms = duet_arg_int(call, 0);
	struct timespec ts;

	if (ms < 0 || ms > DEMO_SLEEP_MAX_MS) {
		duet_reply_error(call, "ERR", "ms must be between 0 and %d",
		    DEMO_SLEEP_MAX_MS);
		return;
	}
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
	duet_reply_int(call, ms);
}

/*
 * count n:int -> the items 0..n-1, streamed.  The next item to send is
 * kept in the call's state, so when the client falls behind the handler
 * returns (DUET_STREAM_PAUSED) and is called again to go on from there.
 */
static void
demo_count(duet_call *call)
{
	int64_t n = duet_arg_int(call, 0);
	int64_t *next;

	if (n < 0) {
		duet_reply_error(call, "ERR", "n must not be negative");
		return;
	}
	if ((next = duet_call_state(call, sizeof(*next))) == NULL) {
		duet_reply_error(call, "ERR", "out of memory");
		return;
	}
	while (*next < n) {
		duet_reply_int(call, (*next)++);
		if (duet_stream_send(call) != 0)
			return;
	}
}

/* The command table ends with an entry whose name is NULL. */
static const struct duet_command demo_commands[] = {
    {
        .name = "reflect",
        .args = "value:json",
        .reply = "any",
        .summary = "Returns its argument unchanged.",
        .flags = DUET_READONLY,
        .handler = demo_reflect,
    },
    {
        .name = "whoami",
        .args = "",
        .reply = "map",
        .summary = "Describes the caller: user, peer, protocol, "
                   "TLS subject and client name.",
        .flags = DUET_READONLY,
        .handler = demo_whoami,
    },
    {
        .name = "fail",
        .args = "message:str",
        .reply = "error",
        .summary = "Answers with an error of code DEMO.",
        .flags = DUET_READONLY,
        .handler = demo_fail,
    },
    {
        .name = "sleep",
        .args = "ms:int",
        .reply = "int",
        .summary = "Sleeps ms milliseconds on the blocking pool, then "
                   "returns ms.",
        .flags = DUET_BLOCKING,
        .handler = demo_sleep,
    },
    {
        .name = "count",
        .args = "n:int",
        .reply = "int",
        .summary = "Streams the integers 0 to n-1.",
        .flags = DUET_READONLY | DUET_STREAM,
        .handler = demo_count,
    },
    {.name = NULL},
};

DUET_PLUGIN = {
    DUET_PLUGIN_HEADER,
    .name = "demo",
    .version = "1.0.0",
    .flags = DUET_THREADSAFE,
    .commands = demo_commands,
};
