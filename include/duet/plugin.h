/* SPDX-License-Identifier: MIT */
/*
 * duet/plugin.h - the whole plugin ABI of duetd.
 *
 * A plugin is one shared object that exports one descriptor, declared with
 * DUET_PLUGIN.  The descriptor names the plugin, lists its commands and their
 * argument signatures, and may give init/fini hooks.  The daemon exports no
 * symbols: before init it stores a pointer to its host API table in the
 * plugin, and the static inline duet_* functions below call through it, so
 * plugin code reads as plain calls (the idea of Redis's GetApi).
 *
 * Arguments reach a handler already checked against the command's
 * signature, as msgpack objects; the reply is written with msgpack-c's
 * packer.  Everything a handler is given is borrowed for the duration of the
 * call.  See duet-plugin(3) for the complete guide and an example.
 */
#ifndef DUET_PLUGIN_H
#define DUET_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <msgpack.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ABI version: another major is refused at load; minors only append. */
#define DUET_ABI_MAJOR 1
#define DUET_ABI_MINOR 3

/** Marks the one symbol a plugin exports. */
#define DUET_API __attribute__((visibility("default")))

/*
 * ABI 1.2 also appends duet_conn_state() (host table), the descriptor's
 * conn_close hook, and answers DUET_INFO_USER and DUET_INFO_TLS_SUBJECT:
 * 1.2 was not released before they were added, so it stays 1.2.  A
 * plugin built against 1.2 that runs on a daemon whose host table lacks
 * conn_state gets NULL from duet_conn_state() (struct_size tells).
 *
 * ABI 1.3 appends duet_publisher() and duet_publish() (host table):
 * events on channels (SPEC section 10).  A plugin built against 1.2
 * loads unchanged.
 *
 * msgpack -> the wire: what each type a handler packs becomes.
 *
 *  msgpack       RESP2            RESP3        JSON (HTTP, CLIENT
 *                                                    ENCODING json)
 *  nil           $-1              _            null
 *  bool          :1 / :0          #t / #f      true / false
 *  int           :n (*)           :n (*)       n
 *  float         $ text (**)      ,text        shortest text that reads
 *                                              back, "3.0" if integral;
 *                                              inf / nan: an error
 *  str           $ bytes          $ bytes      "..." (not UTF-8:
 *                                              {"$base64":"..."})
 *  bin           $ bytes          $ bytes      "..." if valid UTF-8, else
 *                                              {"$base64":"..."}
 *  array         *n               *n           [...]
 *  map           *2n (flat)       %n           {...}: a key that is not a
 *                                              string becomes its JSON
 *                                              text ("1"); an array or
 *                                              map key is an error
 *  ext 1 status  +text            +text        "text"
 *  other ext     $ bytes          $ bytes      {"$ext":T,"$base64":"..."}
 *
 *  (*) an int above INT64_MAX: a bulk string of its digits.
 *  (**) the shortest %g text (at most 17 digits) that reads back: 1.5 is
 *  "1.5", 3.0 is "3"; inf, -inf and nan as Redis writes them.
 *  msgpack out (HTTP Accept: application/msgpack, CLIENT ENCODING
 *  msgpack) is the value as packed, except that a top-level status of at
 *  most 31 bytes becomes a str.  A RESP client in CLIENT ENCODING json or
 *  msgpack gets one bulk string holding that text.  Streams: RESP gets one
 *  array of every item; HTTP one JSON text per line (or msgpack values).
 */

/** Command flags (struct duet_command.flags). */
#define DUET_PUBLIC   0x01 /* callable without authentication */
#define DUET_READONLY 0x02 /* no side effects: callable with HTTP GET */
#define DUET_BLOCKING 0x04 /* runs on the blocking pool, never on a loop */
#define DUET_STREAM   0x08 /* may send several items (duet_stream_send) */

/** Plugin flags (struct duet_plugin.flags). */
#define DUET_THREADSAFE 0x01 /* handlers may run on several threads at once */

/** Log levels for duet_log(). */
#define DUET_LOG_DEBUG 0
#define DUET_LOG_INFO  1
#define DUET_LOG_WARN  2
#define DUET_LOG_ERROR 3

/** What duet_call_info() can tell about the caller. */
#define DUET_INFO_USER     0 /* the caller's user (auth), or NULL */
#define DUET_INFO_PEER     1 /* "127.0.0.1:5555", "[::1]:5555" or "unix" */
#define DUET_INFO_PROTOCOL 2 /* "resp2", "resp3" or "http" */
#define DUET_INFO_TLS_SUBJECT                                                  \
	3                       /* verified client cert subject, RFC 2253      \
	                           ("CN=alice,O=Example"), or NULL */
#define DUET_INFO_CLIENT_NAME 4 /* CLIENT SETNAME, or NULL */

/**
 * The msgpack ext type duet_reply_status() packs: a short status text such
 * as "OK", sent as a RESP simple string (+OK) and as a JSON string.
 */
#define DUET_EXT_STATUS 1

/** One call of a command: opaque, borrowed by the handler. */
typedef struct duet_call duet_call;

/**
 * A command handler.  It answers exactly once: before it returns, or, after
 * duet_defer(), with duet_finish() from any thread.
 */
typedef void (*duet_handler_fn)(duet_call *call);

/**
 * One command of a plugin; a plugin's table ends with a NULL name.  Later
 * minors only append fields; the daemon reads the table with the
 * descriptor's command_size as its stride.
 */
struct duet_command {
	/** Name, e.g. "add" or "geo.add"; case-insensitive on RESP. */
	const char *name;
	/** Argument signature, e.g. "a:int b:int" or "nums:float...". */
	const char *args;
	/** Reply type, e.g. "int", for documentation. */
	const char *reply;
	/** One-line summary, for COMMAND DOCS and /commands. */
	const char *summary;
	/** DUET_PUBLIC, DUET_READONLY, ... */
	unsigned flags;
	/** The handler. */
	duet_handler_fn handler;
};

/** The host API table; only ever appended to.  Reach it via duet_*(). */
struct duet_host {
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t struct_size;
	int (*argc)(const duet_call *call);
	const msgpack_object *(*arg)(const duet_call *call, int i);
	int (*arg_present)(const duet_call *call, int i);
	msgpack_packer *(*reply)(duet_call *call);
	void (*error)(duet_call *call, const char *code, const char *message);
	const char *(*info)(const duet_call *call, int what);
	void (*log)(const char *plugin, int level, const char *message);
	/* ABI 1.1 */
	duet_call *(*defer)(duet_call *call);
	void (*finish)(duet_call *call);
	int (*stream_send)(duet_call *call);
	void *(*state)(duet_call *call, size_t size);
	/* ABI 1.2 */
	void (*error_status)(
	    duet_call *call, int status, const char *code, const char *message);
	void *(*conn_state)(duet_call *call, size_t size);
	/* ABI 1.3 */
	msgpack_packer *(*publisher)(duet_call *call);
	long (*publish)(duet_call *call, const char *channel, size_t len);
};

struct duet_plugin;

/** The plugin descriptor: starts with the ABI header, fields only appended. */
struct duet_plugin {
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t struct_size;
	/** sizeof(struct duet_command): the stride of the command table. */
	uint32_t command_size;
	/** Where the daemon stores its host table before init. */
	const struct duet_host **host;
	/** Plugin name, e.g. "kv". */
	const char *name;
	/** Plugin version, e.g. "1.0.0". */
	const char *version;
	/** DUET_THREADSAFE or 0. */
	unsigned flags;
	/** Command table, ending with an entry whose name is NULL. */
	const struct duet_command *commands;
	/**
	 * Optional.  Called once per load with the plugin's `config:` map
	 * from duetd.yaml (an empty map if none; borrowed for the call).
	 * Returns 0, or -1 with a message in err.
	 */
	int (*init)(const msgpack_object *config, char *err, size_t errlen);
	/** Optional.  Called once when the loaded generation is retired. */
	void (*fini)(void);
	/**
	 * Optional (ABI 1.2).  Called when a connection that has
	 * duet_conn_state() memory of this plugin closes, with that memory,
	 * on the connection's thread, just before the memory is freed: free
	 * what the state points to here.  Never with NULL.
	 */
	void (*conn_close)(void *state);
};

/** Set by the daemon before init; internal to the plugin's own object. */
extern const struct duet_host *duet__host __attribute__((visibility("hidden")));
extern DUET_API const struct duet_plugin duet_plugin;

/**
 * Declares the plugin descriptor and the host pointer.  Use once per plugin:
 *
 *	DUET_PLUGIN = {
 *		DUET_PLUGIN_HEADER,
 *		.name = "math",
 *		.version = "1.0.0",
 *		.commands = commands,
 *	};
 */
#define DUET_PLUGIN                                                            \
	const struct duet_host *duet__host;                                    \
	DUET_API const struct duet_plugin duet_plugin

/** The ABI header fields of a descriptor. */
#define DUET_PLUGIN_HEADER                                                     \
	.abi_major = DUET_ABI_MAJOR, .abi_minor = DUET_ABI_MINOR,              \
	.struct_size = sizeof(struct duet_plugin),                             \
	.command_size = sizeof(struct duet_command), .host = &duet__host

/** Number of parameters in the command's signature. */
static inline int
duet_argc(const duet_call *call)
{
	return duet__host->argc(call);
}

/**
 * Argument i (0-based, in signature order) as a msgpack object.  A variadic
 * parameter is one array of every value given; an optional parameter that
 * was not given and has no default is nil.  Borrowed for the call.
 */
static inline const msgpack_object *
duet_arg(const duet_call *call, int i)
{
	return duet__host->arg(call, i);
}

/** Whether the client gave argument i (defaults do not count). */
static inline int
duet_arg_present(const duet_call *call, int i)
{
	return duet__host->arg_present(call, i);
}

/** An int msgpack object's value (e.g. one element of a variadic array). */
static inline int64_t
duet_obj_int(const msgpack_object *o)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return (int64_t)o->via.u64;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return o->via.i64;
	return 0;
}

/** A float (or int, widened) msgpack object's value. */
static inline double
duet_obj_float(const msgpack_object *o)
{
	if (o->type == MSGPACK_OBJECT_FLOAT64 ||
	    o->type == MSGPACK_OBJECT_FLOAT32)
		return o->via.f64;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return (double)o->via.u64;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return (double)o->via.i64;
	return 0.0;
}

/** Argument i of type int. */
static inline int64_t
duet_arg_int(const duet_call *call, int i)
{
	return duet_obj_int(duet_arg(call, i));
}

/** Argument i of type float (ints are widened). */
static inline double
duet_arg_float(const duet_call *call, int i)
{
	return duet_obj_float(duet_arg(call, i));
}

/** Argument i of type bool. */
static inline int
duet_arg_bool(const duet_call *call, int i)
{
	const msgpack_object *o = duet_arg(call, i);

	return o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean;
}

/**
 * Bytes of a str or bin msgpack object.  Not NUL-terminated; *len
 * receives the length.  Never NULL: "" for an empty or other object.
 */
static inline const char *
duet_obj_bytes(const msgpack_object *o, size_t *len)
{
	if (o->type == MSGPACK_OBJECT_STR && o->via.str.size > 0) {
		*len = o->via.str.size;
		return o->via.str.ptr;
	}
	if (o->type == MSGPACK_OBJECT_BIN && o->via.bin.size > 0) {
		*len = o->via.bin.size;
		return o->via.bin.ptr;
	}
	*len = 0;
	return "";
}

/** Bytes of argument i (str or bytes); see duet_obj_bytes(). */
static inline const char *
duet_arg_bytes(const duet_call *call, int i, size_t *len)
{
	return duet_obj_bytes(duet_arg(call, i), len);
}

/**
 * The packer for the reply: pack exactly one value.  Borrowed for the call.
 */
static inline msgpack_packer *
duet_reply(duet_call *call)
{
	return duet__host->reply(call);
}

/** Replies with an integer. */
static inline void
duet_reply_int(duet_call *call, int64_t v)
{
	msgpack_pack_int64(duet_reply(call), v);
}

/** Replies with a float. */
static inline void
duet_reply_float(duet_call *call, double v)
{
	msgpack_pack_double(duet_reply(call), v);
}

/** Replies with a boolean. */
static inline void
duet_reply_bool(duet_call *call, int v)
{
	if (v)
		msgpack_pack_true(duet_reply(call));
	else
		msgpack_pack_false(duet_reply(call));
}

/** Replies with nil (RESP nil, JSON null). */
static inline void
duet_reply_nil(duet_call *call)
{
	msgpack_pack_nil(duet_reply(call));
}

/** Replies with a UTF-8 string. */
static inline void
duet_reply_str(duet_call *call, const char *s, size_t len)
{
	msgpack_packer *pk = duet_reply(call);

	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

/** Replies with binary data. */
static inline void
duet_reply_bytes(duet_call *call, const void *p, size_t len)
{
	msgpack_packer *pk = duet_reply(call);

	msgpack_pack_bin(pk, len);
	msgpack_pack_bin_body(pk, p, len);
}

/** Replies with a status such as "OK" (RESP +OK, JSON "OK"). */
static inline void
duet_reply_status(duet_call *call, const char *s, size_t len)
{
	msgpack_packer *pk = duet_reply(call);

	msgpack_pack_ext(pk, len, DUET_EXT_STATUS);
	msgpack_pack_ext_body(pk, s, len);
}

/**
 * Replies with an error: code is a short upper-case word ("ERR", "DEMO")
 * sent as RESP `-CODE message` and in HTTP's JSON error object, with HTTP
 * status 500 (duet_reply_error_status() chooses another).  Replaces
 * anything already packed.
 */
static inline void duet_reply_error(duet_call *call, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline void
duet_reply_error(duet_call *call, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	duet__host->error(call, code, msg);
}

/**
 * duet_reply_error() with the HTTP status of the error (ABI 1.2): status
 * is 400 to 599, e.g. 404 for "NOTFOUND"; anything else answers 500 (and
 * is logged once).  RESP is unchanged: `-CODE message`.  Over HTTP the
 * response is that status with {"error":{"code":...,"message":...}}.  On
 * a deferred call the status travels with the error to duet_finish().
 */
static inline void duet_reply_error_status(
    duet_call *call, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline void
duet_reply_error_status(
    duet_call *call, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	duet__host->error_status(call, status, code, msg);
}

/** What the daemon knows of the caller (DUET_INFO_*); NULL if unknown. */
static inline const char *
duet_call_info(const duet_call *call, int what)
{
	return duet__host->info(call, what);
}

/**
 * Takes the answer out of the handler's hands: the handler may return at
 * once, and the call (the handle returned; arguments, reply packer and
 * duet_call_info() stay valid) is answered later by duet_finish() from any
 * thread, plugin-owned threads included.  Replies to later pipelined
 * requests wait, so they still leave in request order.  If the client
 * disconnects meanwhile, the handle stays valid and the answer is dropped.
 * Returns NULL (and the call is answered with an error) if memory runs
 * out.  On a BLOCKING command, which already runs off the loop, it keeps
 * the call open past the handler's return.
 */
static inline duet_call *
duet_defer(duet_call *call)
{
	return duet__host->defer(call);
}

/**
 * Sends a deferred call's answer: the value packed with duet_reply*()
 * (or the error), or, for a STREAM command, the end of the stream (a
 * value still packed is sent as the last item).  Exactly once per
 * deferral: the handle is invalid afterwards; a second finish is logged
 * as a plugin error and otherwise ignored.
 */
static inline void
duet_finish(duet_call *call)
{
	duet__host->finish(call);
}

/** duet_stream_send(): the client is behind; return, you are called again. */
#define DUET_STREAM_PAUSED 1

/**
 * STREAM commands: sends the one value packed with duet_reply*() as the
 * next item of the stream and empties the packer for the next one.
 * Returns 0 to go on; -1 when the client is gone or the stream was
 * refused (the handler should stop: it is answered already); or, on an
 * event loop and only for a handler that keeps its position in
 * duet_call_state(), DUET_STREAM_PAUSED: the client reads slower than the
 * handler produces, so return now; the handler is called again, with the
 * same state, when the client has caught up.  On a BLOCKING or plugin
 * thread a full client makes this call wait instead.
 */
static inline int
duet_stream_send(duet_call *call)
{
	return duet__host->stream_send(call);
}

/**
 * size bytes of zeroed memory that live as long as the call: where a
 * resumable STREAM handler keeps its position between calls.  The same
 * memory on every call (size must not grow).  Only calls that outlive
 * their request (STREAM and BLOCKING commands, deferred handles) have it;
 * NULL for others, or if out of memory.
 */
static inline void *
duet_call_state(duet_call *call, size_t size)
{
	return duet__host->state(call, size);
}

/**
 * size bytes of zeroed memory private to this connection and this plugin
 * (ABI 1.2): the same memory on every call from the connection, freed
 * when it closes, after the descriptor's conn_close hook has run with it.
 * A reloaded plugin starts with fresh memory on every connection; the old
 * load's conn_close still runs for what it created (the old load stays
 * loaded until then).
 *
 * Call it from a handler on the connection's event loop: inline commands,
 * STREAM handlers, and a deferred handle before the handler returns.
 * Returns NULL on a BLOCKING command (it runs on the pool) and on any
 * other thread, for a connection that is gone, for a built-in, with size
 * 0 or another size than the first call's, or when out of memory.  Only
 * the connection's thread touches the memory, so it needs no lock; a
 * plugin that is not THREADSAFE also has its conn_close serialised with
 * its handlers.
 */
static inline void *
duet_conn_state(duet_call *call, size_t size)
{
	if (duet__host->struct_size <
	    offsetof(struct duet_host, conn_state) + sizeof(void *))
		return NULL;
	return duet__host->conn_state(call, size);
}

/**
 * Starts a reply that is an array of n values (ABI 1.2): pack them next,
 * with the duet_reply_*() helpers or msgpack_pack_*() on duet_reply().
 * RESP *n; JSON [...].  See the type table at the top of this file.
 */
static inline void
duet_reply_array(duet_call *call, size_t n)
{
	msgpack_pack_array(duet_reply(call), n);
}

/**
 * Starts a reply that is a map of n pairs (ABI 1.2): pack 2n values next,
 * each key followed by its value.  RESP2 a flat *2n array, RESP3 %n,
 * JSON an object (keys should be strings).
 */
static inline void
duet_reply_map(duet_call *call, size_t n)
{
	msgpack_pack_map(duet_reply(call), n);
}

/**
 * The calling thread's publish packer (ABI 1.3): pack the ONE value to
 * publish on it with msgpack_pack_*(), then call duet_publish().  Each
 * thread has its own (a handler, a BLOCKING handler on the pool, a thread
 * the plugin started), so no lock is needed; call may be NULL.  Returns
 * NULL when out of memory, or on a daemon before 1.3.
 */
static inline msgpack_packer *
duet_publisher(duet_call *call)
{
	if (duet__host->struct_size <
	    offsetof(struct duet_host, publisher) + sizeof(void *))
		return NULL;
	return duet__host->publisher(call);
}

/**
 * Publishes on channel (len bytes) the one value packed on this thread's
 * duet_publisher() since its last duet_publish() (ABI 1.3), from any
 * thread, and returns how many subscribers it reached (0: nobody
 * listens).  Returns -1, and sends nothing, when no value or more than
 * one was packed, or on a daemon before 1.3.  The packer is empty again
 * afterwards either way.  It never waits for a subscriber: a slow one is
 * dropped by the daemon.  call may be NULL.
 */
static inline long
duet_publish(duet_call *call, const char *channel, size_t len)
{
	if (duet__host->struct_size <
	    offsetof(struct duet_host, publish) + sizeof(void *))
		return -1;
	return duet__host->publish(call, channel, len);
}

/** Logs one line through the daemon's log, tagged with the plugin name. */
static inline void duet_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void
duet_log(int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	duet__host->log(duet_plugin.name, level, msg);
}

#ifdef __cplusplus
}
#endif

#endif /* DUET_PLUGIN_H */
