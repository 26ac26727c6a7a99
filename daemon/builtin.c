/* SPDX-License-Identifier: MIT */
/*
 * builtin - the commands of duetd itself.  They are ordinary handlers in
 * a compiled-in command table, so dispatch checks their arguments like any
 * plugin's; being daemon code, they may also reach the caller's conn.
 * Replies follow Redis's shapes, so redis-cli and client libraries work.
 *
 * Layer L4 (sessions).  What COMMAND tells about commands is describe's,
 * INFO commandstats' text is metrics'; this file handles the arguments.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "builtin.h"
#include "builtin_admin.h"
#include "builtin_auth.h"
#include "builtin_link.h"
#include "builtin_http.h"
#include "builtin_module.h"
#include "builtin_pubsub.h"
#include "conn.h"
#include "convert.h"
#include "describe.h"
#include "dispatch.h"
#include "env.h"
#include "metrics.h"
#include "multi.h"
#include "plugin.h"
#include "pubsub.h"
#include "registry.h"
#include "resp_session.h"
#include "util.h"

/* The Redis version whose protocol and replies duetd follows. */
#define BUILTIN_REDIS_VERSION "7.0.0"

static time_t builtin_start_time;

/* Built-ins use the plugin ABI's duet_*() calls like any plugin. */
const struct duet_host *duet__host = &dispatch_host_table;

static void
builtin_ping(duet_call *call)
{
	if (call->conn != NULL && builtin_pubsub_subscribed(call->conn))
		builtin_pubsub_ping(call);
	else if (duet_arg_present(call, 0))
		msgpack_pack_object(duet_reply(call), *duet_arg(call, 0));
	else
		convert_pack_status(duet_reply(call), "PONG");
}

static void
builtin_echo(duet_call *call)
{
	msgpack_pack_object(duet_reply(call), *duet_arg(call, 0));
}

static void
builtin_quit(duet_call *call)
{
	convert_pack_status(duet_reply(call), "OK");
	conn_close_after_reply(call->conn);
}

/*
 * Back to a fresh connection's state, as Redis's RESET, and to the
 * identity the connection started with (SPEC 9.1); like HELLO, its own
 * reply is already in the new state (CLIENT ENCODING applies from the
 * next command).
 */
static void
builtin_reset(duet_call *call)
{
	struct conn *c = call->conn;

	dispatch_ident_reset(c);
	conn_set_name(c, NULL, 0);
	resp_session_multi_discard(c);
	resp_session_unsubscribe(c);
	conn_set_resp3(c, 0);
	conn_set_encoding(c, CONN_ENC_NATIVE);
	call->encoding = CONN_ENC_NATIVE;
	convert_pack_status(duet_reply(call), "RESET");
}

static void
builtin_select(duet_call *call)
{
	size_t len;
	const char *s = duet_arg_bytes(call, 0, &len);
	int64_t db;

	if (util_parse_int64(s, len, &db) == -1)
		duet_reply_error(
		    call, "ERR", "value is not an integer or out of range");
	else if (db != 0)
		duet_reply_error(call, "ERR", "DB index is out of range");
	else
		convert_pack_status(duet_reply(call), "OK");
}

/*
 * Client names follow Redis's rule: printable ASCII, no spaces.
 */
static int
builtin_setname(duet_call *call, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] < '!' || s[i] > '~') {
			duet_reply_error(call, "ERR",
			    "Client names cannot contain spaces, newlines or "
			    "special characters.");
			return -1;
		}
	}
	if (conn_set_name(call->conn, s, len) == -1) {
		duet_reply_error(call, "ERR", "out of memory");
		return -1;
	}
	return 0;
}

static void
builtin_hello_reply(duet_call *call)
{
	msgpack_packer *pk = duet_reply(call);
	struct conn *c = call->conn;

	msgpack_pack_map(pk, 7);
	convert_pack_cstr(pk, "server");
	convert_pack_cstr(pk, "duetd");
	convert_pack_cstr(pk, "version");
	convert_pack_cstr(pk, PACKAGE_VERSION);
	convert_pack_cstr(pk, "proto");
	msgpack_pack_int(pk, c->resp3 ? 3 : 2);
	convert_pack_cstr(pk, "id");
	msgpack_pack_uint64(pk, c->id);
	convert_pack_cstr(pk, "mode");
	convert_pack_cstr(pk, "standalone");
	convert_pack_cstr(pk, "role");
	convert_pack_cstr(pk, "master");
	convert_pack_cstr(pk, "modules");
	builtin_module_pack_list(pk, c->env->reg);
}

/* HELLO's options, as Redis reads them before acting on any. */
struct builtin_hello_opts {
	const char *user, *pass, *name; /* borrowed from the call, or NULL */
	size_t userlen, passlen, namelen;
};

/*
 * Reads HELLO's options after the protocol version.  Returns 0, or -1
 * after answering a syntax error.
 */
static int
builtin_hello_options(duet_call *call, struct builtin_hello_opts *o)
{
	uint32_t i, n = builtin_admin_nrest(call, 1);
	const char *s;
	size_t len;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < n; i++) {
		s = builtin_admin_rest(call, 1, i, &len);
		if (util_strcaseeq(s, len, "AUTH") && i + 2 < n) {
			o->user = builtin_admin_rest(call, 1, ++i, &o->userlen);
			o->pass = builtin_admin_rest(call, 1, ++i, &o->passlen);
		} else if (util_strcaseeq(s, len, "SETNAME") && i + 1 < n) {
			o->name = builtin_admin_rest(call, 1, ++i, &o->namelen);
		} else {
			duet_reply_error(call, "ERR",
			    "Syntax error in HELLO option '%.*s'", (int)len, s);
			return -1;
		}
	}
	return 0;
}

/*
 * HELLO [protover [AUTH user pass] [SETNAME name]], in Redis 7's order:
 * the options are read, AUTH logs in (a failure changes nothing), a
 * connection still unauthenticated where auth is configured is refused,
 * then the name is set and the protocol switched.
 */
static void
builtin_hello(duet_call *call)
{
	struct builtin_hello_opts o;
	int64_t proto = 0;
	const char *s;
	size_t len;

	s = duet_arg_bytes(call, 0, &len);
	if (duet_arg_present(call, 0) &&
	    util_parse_int64(s, len, &proto) == -1) {
		duet_reply_error(call, "ERR",
		    "Protocol version is not an integer or out of range");
		return;
	}
	if (duet_arg_present(call, 0) && proto != 2 && proto != 3) {
		duet_reply_error(
		    call, "NOPROTO", "unsupported protocol version");
		return;
	}
	if (builtin_hello_options(call, &o) == -1 ||
	    (o.pass != NULL &&
	        builtin_auth_login(
	            call, o.user, o.userlen, o.pass, o.passlen) == -1))
		return;
	if (builtin_auth_required(call->conn)) {
		duet_reply_error(call, "NOAUTH",
		    "HELLO must be called with the client already "
		    "authenticated, otherwise the HELLO <proto> AUTH <user> "
		    "<pass> option can be used to authenticate the client and "
		    "select the RESP protocol version at the same time");
		return;
	}
	if (o.name != NULL && builtin_setname(call, o.name, o.namelen) == -1)
		return;
	if (duet_arg_present(call, 0))
		conn_set_resp3(call->conn, proto == 3);
	builtin_hello_reply(call);
}

/*
 * CLIENT SETNAME|GETNAME|ID|INFO|LIST|KILL|ENCODING|SETINFO|HELP
 */
static void
builtin_client(duet_call *call)
{
	struct conn *c = call->conn;
	uint32_t n = builtin_admin_nrest(call, 1);
	const char *s;
	size_t len;

	if (builtin_admin_arg_is(call, 0, "ID") && n == 0) {
		msgpack_pack_uint64(duet_reply(call), c->id);
	} else if (builtin_admin_arg_is(call, 0, "GETNAME") && n == 0) {
		if (c->name == NULL)
			duet_reply_nil(call);
		else
			duet_reply_str(call, c->name, strlen(c->name));
	} else if (builtin_admin_arg_is(call, 0, "SETNAME") && n == 1) {
		s = builtin_admin_rest(call, 1, 0, &len);
		if (builtin_setname(call, s, len) == 0)
			convert_pack_status(duet_reply(call), "OK");
	} else if (builtin_admin_arg_is(call, 0, "INFO") && n == 0) {
		builtin_admin_client_info(call);
	} else if (builtin_admin_arg_is(call, 0, "LIST")) {
		builtin_admin_client_list(call);
	} else if (builtin_admin_arg_is(call, 0, "KILL")) {
		builtin_admin_client_kill(call);
	} else if (builtin_admin_arg_is(call, 0, "HELP") && n == 0) {
		builtin_admin_client_help(call);
	} else if (builtin_admin_arg_is(call, 0, "SETINFO") && n == 2) {
		convert_pack_status(duet_reply(call), "OK");
	} else if (builtin_admin_arg_is(call, 0, "ENCODING") && n == 1) {
		s = builtin_admin_rest(call, 1, 0, &len);
		if (util_strcaseeq(s, len, "native"))
			conn_set_encoding(c, CONN_ENC_NATIVE);
		else if (util_strcaseeq(s, len, "msgpack"))
			conn_set_encoding(c, CONN_ENC_MSGPACK);
		else if (util_strcaseeq(s, len, "json"))
			conn_set_encoding(c, CONN_ENC_JSON);
		else {
			duet_reply_error(call, "ERR",
			    "unknown encoding '%.*s': expected native, "
			    "msgpack or json",
			    (int)(len < 64 ? len : 64), s);
			return;
		}
		convert_pack_status(duet_reply(call), "OK");
	} else {
		builtin_admin_unknown_sub(call, "CLIENT");
	}
}

/*
 * COMMAND INFO/DOCS with names: only those (INFO: nil for unknown ones,
 * DOCS: unknown ones left out); without names: every command, linked
 * ones last (SPEC 11).  Commands the caller may not call count as
 * unknown (f, SPEC 9.1).
 */
static void
builtin_command_each(duet_call *call, const struct registry *reg, int docs,
    const struct describe_filter *f)
{
	msgpack_packer *pk = duet_reply(call);
	uint32_t i, found = 0, n = builtin_admin_nrest(call, 1);
	const struct command *cmd;
	const char *s;
	size_t len;

	if (n == 0) {
		describe_all(pk, reg, docs, f);
		return;
	}
	for (i = 0; i < n; i++) {
		s = builtin_admin_rest(call, 1, i, &len);
		found += describe_lookup(reg, f, s, len) != NULL;
	}
	if (docs)
		msgpack_pack_map(pk, found);
	else
		msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++) {
		s = builtin_admin_rest(call, 1, i, &len);
		cmd = describe_lookup(reg, f, s, len);
		if (cmd != NULL && docs)
			describe_doc(pk, cmd);
		else if (cmd != NULL)
			describe_info(pk, cmd);
		else if (!docs)
			msgpack_pack_nil(pk);
	}
}

/*
 * COMMAND [COUNT | LIST | INFO [name ...] | DOCS [name ...] | HELP]: of
 * the commands the caller may call, the linked ones included (SPEC 11).
 */
static void
builtin_command(duet_call *call)
{
	const struct registry *reg = call->conn->env->reg;
	msgpack_packer *pk = duet_reply(call);
	uint32_t n = builtin_admin_nrest(call, 1);
	struct builtin_http_listing l;
	const struct describe_filter *f;
	const struct command *cmd;
	size_t i = 0;

	if ((f = builtin_http_listing(&l, call->conn, reg)) == NULL) {
		duet_reply_error(call, "ERR", "out of memory");
		return;
	}
	if (!duet_arg_present(call, 0)) {
		builtin_command_each(call, reg, 0, f);
	} else if (builtin_admin_arg_is(call, 0, "COUNT") && n == 0) {
		msgpack_pack_uint64(pk, describe_count(reg, f));
	} else if (builtin_admin_arg_is(call, 0, "LIST") && n == 0) {
		msgpack_pack_array(pk, describe_count(reg, f));
		while ((cmd = describe_next(reg, f, &i)) != NULL)
			convert_pack_cstr(pk, cmd->name);
	} else if (builtin_admin_arg_is(call, 0, "INFO")) {
		builtin_command_each(call, reg, 0, f);
	} else if (builtin_admin_arg_is(call, 0, "DOCS")) {
		builtin_command_each(call, reg, 1, f);
	} else if (builtin_admin_arg_is(call, 0, "HELP") && n == 0) {
		builtin_admin_command_help(call);
	} else {
		builtin_admin_unknown_sub(call, "COMMAND");
	}
	builtin_http_listing_fini(&l);
}

static void
builtin_info_server(struct evbuffer *b, const struct conn *c)
{
	time_t up = time(NULL) - builtin_start_time;
	const char *port = strrchr(c->local, ':');

	evbuffer_add_printf(b,
	    "# Server\r\n"
	    "redis_version:" BUILTIN_REDIS_VERSION "\r\n"
	    "duetd_version:" PACKAGE_VERSION "\r\n"
	    "redis_mode:standalone\r\n"
	    "process_id:%ld\r\n"
	    "tcp_port:%s\r\n"
	    "uptime_in_seconds:%lld\r\n"
	    "uptime_in_days:%lld\r\n"
	    "registry_generation:%" PRIu64 "\r\n"
	    "\r\n",
	    (long)getpid(), port != NULL ? port + 1 : "0", (long long)up,
	    (long long)up / 86400, c->env->reg->id);
}

static void
builtin_info_clients(struct evbuffer *b)
{
	evbuffer_add_printf(b,
	    "# Clients\r\n"
	    "connected_clients:%" PRIu64 "\r\n"
	    "\r\n",
	    (uint64_t)atomic_load(&worker_stats.connections));
}

static void
builtin_info_stats(struct evbuffer *b)
{
	struct pubsub_stats ps;

	pubsub_stats(&ps);
	evbuffer_add_printf(b,
	    "# Stats\r\n"
	    "total_connections_received:%" PRIu64 "\r\n"
	    "total_commands_processed:%" PRIu64 "\r\n"
	    "rejected_connections:%" PRIu64 "\r\n"
	    "total_net_input_bytes:%" PRIu64 "\r\n"
	    "reloads:%" PRIu64 "\r\n"
	    "reloads_failed:%" PRIu64 "\r\n"
	    "last_reload_success:%d\r\n"
	    "last_reload_success_time:%" PRId64 "\r\n"
	    "pubsub_channels:%" PRIu64 "\r\n"
	    "pubsub_patterns:%" PRIu64 "\r\n"
	    "pubsub_subscribers:%" PRIu64 "\r\n"
	    "pubsub_messages_published:%" PRIu64 "\r\n"
	    "pubsub_messages_delivered:%" PRIu64 "\r\n"
	    "pubsub_subscribers_dropped:%" PRIu64 "\r\n"
	    "\r\n",
	    (uint64_t)atomic_load(&worker_stats.total_connections),
	    metrics_total(METRICS_COMMANDS),
	    (uint64_t)atomic_load(&worker_stats.rejected_connections),
	    metrics_total(METRICS_NET_INPUT),
	    (uint64_t)atomic_load(&metrics_reloads.done),
	    (uint64_t)atomic_load(&metrics_reloads.failed),
	    atomic_load(&metrics_reloads.last_ok),
	    (int64_t)atomic_load(&metrics_reloads.last_ok_time), ps.channels,
	    ps.patterns, ps.subscribers, ps.published, ps.delivered,
	    ps.dropped);
}

/*
 * Whether INFO's arguments ask for section (none: the default ones).
 */
static int
builtin_info_wants(const duet_call *call, const char *section, int dflt)
{
	uint32_t i, n = builtin_admin_nrest(call, 0);
	const char *s;
	size_t len;

	if (n == 0)
		return dflt;
	for (i = 0; i < n; i++) {
		s = builtin_admin_rest(call, 0, i, &len);
		if (util_strcaseeq(s, len, section) ||
		    util_strcaseeq(s, len, "all") ||
		    util_strcaseeq(s, len, "everything") ||
		    (dflt && util_strcaseeq(s, len, "default")))
			return 1;
	}
	return 0;
}

/*
 * INFO [section ...]: server, clients, stats, modules, commandstats.
 */
static void
builtin_info(duet_call *call)
{
	struct conn *c = call->conn;
	struct evbuffer *b = evbuffer_new();
	size_t len;

	if (b == NULL) {
		duet_reply_error(call, "ERR", "out of memory");
		return;
	}
	if (builtin_info_wants(call, "server", 1))
		builtin_info_server(b, c);
	if (builtin_info_wants(call, "clients", 1))
		builtin_info_clients(b);
	if (builtin_info_wants(call, "stats", 1))
		builtin_info_stats(b);
	if (builtin_info_wants(call, "modules", 1))
		builtin_module_info(b, c->env->reg);
	if (builtin_info_wants(call, "commandstats", 0))
		metrics_render_commandstats(
		    b, c->env->reg->stats, c->env->reg->ncommands);
	/* Redis ends the text without the last blank line. */
	len = evbuffer_get_length(b);
	len = len >= 2 ? len - 2 : len;
	duet_reply_str(call, (const char *)evbuffer_pullup(b, -1), len);
	evbuffer_free(b);
}

static void builtin_init_clock(void) __attribute__((constructor));

static void
builtin_init_clock(void)
{
	builtin_start_time = time(NULL);
}

/* The built-in commands, added first to every registry generation. */
const struct duet_command builtin_commands[] = {
    {"ping", "message:any?", "status", "Answers PONG, or the message",
        DUET_PUBLIC | DUET_READONLY, builtin_ping},
    {"echo", "message:any", "any", "Answers the message", DUET_READONLY,
        builtin_echo},
    {"quit", "", "status", "Closes the connection",
        DUET_PUBLIC | REGISTRY_CONNECTION, builtin_quit},
    {"auth", "args:bytes...", "status", "Authenticates the connection",
        DUET_PUBLIC | REGISTRY_CONNECTION, builtin_auth},
    {"reset", "", "status", "Resets the connection's state",
        DUET_PUBLIC | REGISTRY_CONNECTION, builtin_reset},
    {"select", "index:bytes", "status", "Selects database 0 (the only one)",
        REGISTRY_CONNECTION, builtin_select},
    {"hello", "protover:bytes? options:bytes...?", "map",
        "Handshakes: protocol version and client name",
        DUET_PUBLIC | REGISTRY_CONNECTION, builtin_hello},
    {"command", "subcommand:str? args:bytes...?", "array",
        "Describes commands (COUNT, LIST, INFO, DOCS)", DUET_READONLY,
        builtin_command},
    {"info", "sections:str...?", "str",
        "Server, clients, stats, modules and commandstats", DUET_READONLY,
        builtin_info},
    {"client", "subcommand:str args:bytes...?", "any",
        "Connection commands (SETNAME, GETNAME, ID, INFO, LIST, KILL, "
        "ENCODING, HELP)",
        REGISTRY_CONNECTION, builtin_client},
    {"config", "subcommand:str args:bytes...?", "any",
        "Server settings, read-only (GET, HELP)", 0, builtin_admin_config},
    {"time", "", "array", "The server time: seconds and microseconds",
        DUET_READONLY, builtin_admin_time},
    {"module", "subcommand:str args:bytes...?", "array",
        "Loaded plugins (LIST, HELP)", 0, builtin_module},
    {"multi", "", "status", "Queues the next commands until EXEC",
        REGISTRY_CONNECTION, multi_cmd_multi},
    {"exec", "", "array", "Runs the queued commands: an array of replies",
        REGISTRY_CONNECTION, multi_cmd_exec},
    {"discard", "", "status", "Forgets the queued commands",
        REGISTRY_CONNECTION, multi_cmd_discard},
    {"watch", "keys:bytes...", "status",
        "Not supported: MULTI/EXEC is a batch without optimistic locking",
        REGISTRY_CONNECTION, multi_cmd_watch},
    {"unwatch", "", "status", "Answers OK: nothing is ever watched",
        REGISTRY_CONNECTION, multi_cmd_unwatch},
    {"publish", "channel:bytes message:any", "int",
        "Sends the message to the channel's subscribers: how many got it",
        0, builtin_publish},
    {"subscribe", "channels:bytes...", "array",
        "Subscribes the connection to the channels", REGISTRY_CONNECTION,
        builtin_subscribe},
    {"unsubscribe", "channels:bytes...?", "array",
        "Unsubscribes from the channels, or from all", REGISTRY_CONNECTION,
        builtin_unsubscribe},
    {"psubscribe", "patterns:bytes...", "array",
        "Subscribes the connection to the channels matching the globs",
        REGISTRY_CONNECTION, builtin_psubscribe},
    {"punsubscribe", "patterns:bytes...?", "array",
        "Unsubscribes from the patterns, or from all", REGISTRY_CONNECTION,
        builtin_punsubscribe},
    {"link", "subcommand:str args:bytes...?", "any",
        "Links between daemons (REGISTER, REPLY, ERROR, COMMANDS)",
        REGISTRY_CONNECTION, builtin_link},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
