/* SPDX-License-Identifier: MIT */
/*
 * demo - shows the parts of the ABI the other bundled plugins do not need:
 * `reflect value:json` packs a raw msgpack argument straight back (the way
 * a redis-cli user sends a typed value and sees what the daemon made of
 * it), `whoami` reads what the daemon knows of the caller, and
 * `fail message:str` answers with an error of the plugin's own code,
 * `sleep ms:int` is BLOCKING (it runs on the blocking pool, so the event
 * loops go on serving), `count n:int` streams 0..n-1, resuming where
 * it paused when the client reads slower than it produces, `counter`
 * counts its calls on the connection, in the connection's own memory
 * (duet_conn_state), and `tick channel:str n:int ms:int` (BLOCKING)
 * publishes 0..n-1 on a channel, one every ms milliseconds (ABI 1.3's
 * duet_publish).  Nothing here has shared state, so the plugin is
 * THREADSAFE; every command but sleep, tick and counter is READONLY: sleep
 * and tick hold a pool thread, tick publishes and counter changes its
 * count, so they take a POST,
 * never a GET that any link or prefetch could send.  whoami and counter
 * are PUBLIC: callable before authentication.
 */
#include <errno.h>
#include <inttypes.h>
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
demo_pack_entry(duet_call *call, const char *key, const char *s)
{
	duet_reply_str(call, key, strlen(key));
	if (s == NULL)
		duet_reply_nil(call);
	else
		duet_reply_str(call, s, strlen(s));
}

/*
 * whoami -> map.  Every key is always there; what the daemon does not know
 * (no authentication, no client certificate, no CLIENT SETNAME) is nil.
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
	size_t i, n = sizeof(fields) / sizeof(fields[0]);

	duet_reply_map(call, n);
	for (i = 0; i < n; i++)
		demo_pack_entry(
		    call, fields[i].key, duet_call_info(call, fields[i].what));
}

/*
 * counter -> how many times this connection has called it: 1, 2, 3, ...
 * The count lives in the connection's memory for this plugin, which the
 * daemon frees when the connection closes (demo needs no conn_close).
 */
static void
demo_counter(duet_call *call)
{
	int64_t *n = duet_conn_state(call, sizeof(*n));

	if (n == NULL) {
		duet_reply_error(call, "ERR", "no connection state");
		return;
	}
	duet_reply_int(call, ++*n);
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

/* The most a tick publishes, and its longest pause. */
#define DEMO_TICK_MAX_N  1000000
#define DEMO_TICK_MAX_MS 60000

/*
 * tick channel:str n:int ms:int -> n, after publishing the integers
 * 0..n-1 on channel, the first at once and then one every ms
 * milliseconds.  BLOCKING: it waits on the pool, and the value is packed
 * on that thread's own publish packer.
 */
static void
demo_tick(duet_call *call)
{
	int64_t i, n = duet_arg_int(call, 1), ms = duet_arg_int(call, 2);
	msgpack_packer *pk = duet_publisher(call);
	const char *channel;
	struct timespec ts;
	size_t len;

	channel = duet_arg_bytes(call, 0, &len);
	if (n < 0 || n > DEMO_TICK_MAX_N) {
		duet_reply_error(
		    call, "ERR", "n must be between 0 and %d", DEMO_TICK_MAX_N);
		return;
	}
	if (ms < 0 || ms > DEMO_TICK_MAX_MS) {
		duet_reply_error(call, "ERR", "ms must be between 0 and %d",
		    DEMO_TICK_MAX_MS);
		return;
	}
	if (pk == NULL) {
		duet_reply_error(call, "ERR", "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		ts.tv_sec = (time_t)(ms / 1000);
		ts.tv_nsec = (long)(ms % 1000) * 1000000;
		while (i > 0 && ms > 0 && nanosleep(&ts, &ts) == -1 &&
		    errno == EINTR)
			continue;
		msgpack_pack_int64(pk, i);
		if (duet_publish(call, channel, len) == -1) {
			duet_reply_error(call, "ERR",
			    "publishing %" PRId64 " failed (out of memory)", i);
			return;
		}
	}
	duet_reply_int(call, n);
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
        .flags = DUET_PUBLIC | DUET_READONLY,
        .handler = demo_whoami,
    },
    {
        .name = "counter",
        .args = "",
        .reply = "int",
        .summary = "Counts its calls on this connection: 1, 2, 3, ...",
        .flags = DUET_PUBLIC,
        .handler = demo_counter,
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
        .name = "tick",
        .args = "channel:str n:int ms:int",
        .reply = "int",
        .summary = "Publishes the integers 0 to n-1 on channel, one every "
                   "ms milliseconds, then returns n.",
        .flags = DUET_BLOCKING,
        .handler = demo_tick,
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
