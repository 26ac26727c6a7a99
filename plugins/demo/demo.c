/* SPDX-License-Identifier: MIT */
/*
 * demo - shows the parts of the ABI the other bundled plugins do not need:
 * `reflect value:json` packs a raw msgpack argument straight back (the way
 * a redis-cli user sends a typed value and sees what the daemon made of
 * it), `whoami` reads what the daemon knows of the caller, and
 * `fail message:str` answers with an error of the plugin's own code.
 * Nothing here has side effects or state: every command is READONLY and
 * the plugin is THREADSAFE.
 */
#include <string.h>

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
    {.name = NULL},
};

DUET_PLUGIN = {
    DUET_PLUGIN_HEADER,
    .name = "demo",
    .version = "1.0.0",
    .flags = DUET_THREADSAFE,
    .commands = demo_commands,
};
