/* SPDX-License-Identifier: MIT */
/*
 * describe - a command as clients see it, in three vocabularies: Redis's
 * (COMMAND INFO and COMMAND DOCS), duetd's own (GET /commands) and JSON
 * Schema's (the OpenAPI document).  All of it is packed as msgpack from
 * the command's struct command and signature; nothing is cached, since
 * these are rare requests.
 *
 * Layer L1 (state): includes registry, plugin, links, signature and
 * convert (for packing helpers), nothing above.  Which linked commands a
 * listing adds, and which commands a caller sees, is handed in by the
 * session layer (struct describe_filter).  Which commands a request names
 * is the COMMAND built-in's business; the document around the schemas is
 * openapi's.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "convert.h"
#include "describe.h"
#include "links.h"
#include "plugin.h"
#include "registry.h"
#include "signature.h"

/* A signature type in the two outer vocabularies. */
struct describe_type {
	const char *docs;   /* COMMAND DOCS: the type redis-cli shows */
	const char *schema; /* JSON Schema; NULL: any value */
};

static const struct describe_type describe_types[] = {
    [SIG_INT] = {"integer", "integer"},
    [SIG_FLOAT] = {"double", "number"},
    [SIG_BOOL] = {"string", "boolean"},
    [SIG_STR] = {"string", "string"},
    [SIG_BYTES] = {"string", "string"},
    [SIG_ANY] = {"string", NULL},
    [SIG_JSON] = {"string", NULL},
    [SIG_ARRAY] = {"string", "array"},
    [SIG_MAP] = {"string", "object"},
};

/* A command's flags by name, in GET /commands order. */
static const struct {
	unsigned flag;
	const char *name;
} describe_flag_names[] = {{DUET_PUBLIC, "public"}, {DUET_READONLY, "readonly"},
    {DUET_BLOCKING, "blocking"}, {DUET_STREAM, "stream"}};

#define DESCRIBE_NFLAGS                                                        \
	(sizeof(describe_flag_names) / sizeof(describe_flag_names[0]))

static const struct describe_type *
describe_type_of(enum sig_type type)
{
	static const struct describe_type unknown = {"string", NULL};

	if ((size_t)type >= sizeof(describe_types) / sizeof(describe_types[0]))
		return &unknown;
	return &describe_types[type];
}

static void
describe_pack_bool(msgpack_packer *pk, int b)
{
	if (b)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

/*
 * Whether cmd is an HTTP operation: every command but the built-ins that
 * act on the RESP connection (QUIT, HELLO, CLIENT, ...), which have no
 * path in the OpenAPI document and the flag "connection" in /commands.
 */
int
describe_http(const struct command *cmd)
{
	return !REGISTRY_CONN_ONLY(cmd);
}

/*
 * Packs cmd's COMMAND INFO entry (Redis 7: ten fields).
 */
void
describe_info(msgpack_packer *pk, const struct command *cmd)
{
	int nflags = 1 + ((cmd->flags & DUET_PUBLIC) != 0);

	msgpack_pack_array(pk, 10);
	convert_pack_cstr(pk, cmd->name);
	msgpack_pack_int(pk, cmd->arity);
	msgpack_pack_array(pk, (size_t)nflags);
	convert_pack_status(
	    pk, cmd->flags & DUET_READONLY ? "readonly" : "write");
	if (cmd->flags & DUET_PUBLIC)
		convert_pack_status(pk, "no_auth");
	msgpack_pack_int(pk, 0);   /* first key */
	msgpack_pack_int(pk, 0);   /* last key */
	msgpack_pack_int(pk, 0);   /* key step */
	msgpack_pack_array(pk, 0); /* ACL categories */
	msgpack_pack_array(pk, 0); /* tips */
	msgpack_pack_array(pk, 0); /* key specs */
	msgpack_pack_array(pk, 0); /* subcommands */
}

/*
 * One argument of COMMAND DOCS, in the shape redis-cli reads for hints.
 * redis-cli shows the name, so a default is part of it: "times=1", which
 * it hints as "[times=1]".
 */
static void
describe_doc_arg(msgpack_packer *pk, const struct sig_param *p)
{
	int nflags = p->optional + p->variadic;
	char name[256];

	if (p->deftext != NULL)
		snprintf(name, sizeof(name), "%s=%s", p->name, p->deftext);
	else
		snprintf(name, sizeof(name), "%s", p->name);
	msgpack_pack_map(pk, nflags > 0 ? 3 : 2);
	convert_pack_cstr(pk, "name");
	convert_pack_cstr(pk, name);
	convert_pack_cstr(pk, "type");
	convert_pack_cstr(pk, describe_type_of(p->type)->docs);
	if (nflags == 0)
		return;
	convert_pack_cstr(pk, "flags");
	msgpack_pack_array(pk, (size_t)nflags);
	if (p->optional)
		convert_pack_status(pk, "optional");
	if (p->variadic)
		convert_pack_status(pk, "multiple");
}

/*
 * Packs cmd's COMMAND DOCS entry: its name, then a map of summary, since,
 * group and arguments (a key and its value of the reply's map).  A
 * plugin's command is in the group "module" since its plugin's version;
 * a linked one (SPEC 11) too, since this daemon's version (the other end
 * declares none); a built-in is in "server" since this daemon's.
 */
void
describe_doc(msgpack_packer *pk, const struct command *cmd)
{
	const struct sig *sig = cmd->sig;
	int i;

	convert_pack_cstr(pk, cmd->name);
	msgpack_pack_map(pk, 4);
	convert_pack_cstr(pk, "summary");
	convert_pack_cstr(pk, cmd->summary);
	convert_pack_cstr(pk, "since");
	convert_pack_cstr(
	    pk, cmd->plugin != NULL ? cmd->plugin->version : PACKAGE_VERSION);
	convert_pack_cstr(pk, "group");
	convert_pack_cstr(
	    pk, cmd->plugin != NULL || cmd->link != NULL ? "module" : "server");
	convert_pack_cstr(pk, "arguments");
	msgpack_pack_array(pk, (size_t)sig->nparams);
	for (i = 0; i < sig->nparams; i++)
		describe_doc_arg(pk, &sig->params[i]);
}

/*
 * Whether filter f (NULL: every command) shows cmd.
 */
int
describe_shows(const struct describe_filter *f, const struct command *cmd)
{
	return f == NULL || f->shows == NULL || f->shows(f->arg, cmd);
}

/*
 * The next command f shows from position *i (start at 0) of a listing:
 * reg's commands in load order, then f's more; *i is advanced past it.
 * NULL at the end.  A linked command whose name reg has (a reload may add
 * one) is not listed: dispatch calls reg's.
 */
const struct command *
describe_next(
    const struct registry *reg, const struct describe_filter *f, size_t *i)
{
	size_t n = reg->ncommands + (f != NULL ? f->nmore : 0);
	const struct command *cmd;

	while (*i < n) {
		cmd = *i < reg->ncommands ? &reg->commands[*i]
		                          : f->more[*i - reg->ncommands];
		(*i)++;
		if (*i > reg->ncommands &&
		    registry_lookup(reg, cmd->name, cmd->namelen) != NULL)
			continue;
		if (describe_shows(f, cmd))
			return cmd;
	}
	return NULL;
}

/*
 * The command called name (len bytes, any case) that a listing of reg
 * through f shows, or NULL: reg's first, then f's more.
 */
const struct command *
describe_lookup(const struct registry *reg, const struct describe_filter *f,
    const char *name, size_t len)
{
	const struct command *cmd = registry_lookup(reg, name, len);
	size_t i;

	for (i = 0; cmd == NULL && f != NULL && i < f->nmore; i++) {
		if (f->more[i]->namelen == len &&
		    strncasecmp(f->more[i]->name, name, len) == 0)
			cmd = f->more[i];
	}
	return cmd != NULL && describe_shows(f, cmd) ? cmd : NULL;
}

/*
 * How many commands of reg and f's more f shows (NULL: reg's).
 */
size_t
describe_count(const struct registry *reg, const struct describe_filter *f)
{
	size_t i = 0, n = 0;

	if (f == NULL)
		return reg->ncommands;
	while (describe_next(reg, f, &i) != NULL)
		n++;
	return n;
}

/*
 * Packs every command of reg and f's more that f shows (NULL: reg's), in
 * load order: COMMAND DOCS's map when docs is set, otherwise COMMAND
 * INFO's array.
 */
void
describe_all(msgpack_packer *pk, const struct registry *reg, int docs,
    const struct describe_filter *f)
{
	const struct command *cmd;
	size_t i = 0, n = describe_count(reg, f);

	if (docs)
		msgpack_pack_map(pk, n);
	else
		msgpack_pack_array(pk, n);
	while ((cmd = describe_next(reg, f, &i)) != NULL) {
		if (docs)
			describe_doc(pk, cmd);
		else
			describe_info(pk, cmd);
	}
}

/* One parameter of a command descriptor (GET /commands). */
static void
describe_param(msgpack_packer *pk, const struct sig_param *p)
{
	msgpack_pack_map(pk, p->deftext != NULL ? 5 : 4);
	convert_pack_cstr(pk, "name");
	convert_pack_cstr(pk, p->name);
	convert_pack_cstr(pk, "type");
	convert_pack_cstr(pk, sig_type_name(p->type));
	convert_pack_cstr(pk, "optional");
	describe_pack_bool(pk, p->optional);
	convert_pack_cstr(pk, "variadic");
	describe_pack_bool(pk, p->variadic);
	if (p->deftext != NULL) {
		convert_pack_cstr(pk, "default");
		pk->callback(pk->data, p->defval, p->defval_len);
	}
}

/*
 * A command's flags by name; "connection" for a built-in that acts on
 * the RESP connection (not an HTTP operation).
 */
static void
describe_flags(msgpack_packer *pk, const struct command *cmd)
{
	size_t i, n = describe_http(cmd) ? 0 : 1;

	for (i = 0; i < DESCRIBE_NFLAGS; i++)
		n += (cmd->flags & describe_flag_names[i].flag) != 0;
	msgpack_pack_array(pk, n);
	for (i = 0; i < DESCRIBE_NFLAGS; i++) {
		if (cmd->flags & describe_flag_names[i].flag)
			convert_pack_cstr(pk, describe_flag_names[i].name);
	}
	if (!describe_http(cmd))
		convert_pack_cstr(pk, "connection");
}

/*
 * A command's usage line, "repeat word:str [times:int=1]" (sig_usage);
 * its bare name if that cannot be made.
 */
static void
describe_usage(msgpack_packer *pk, const struct command *cmd)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL || sig_usage(cmd->name, cmd->sig, b) == -1) {
		convert_pack_cstr(pk, cmd->name);
	} else {
		msgpack_pack_str(pk, evbuffer_get_length(b));
		msgpack_pack_str_body(
		    pk, evbuffer_pullup(b, -1), evbuffer_get_length(b));
	}
	if (b != NULL)
		evbuffer_free(b);
}

/*
 * Packs cmd's descriptor for GET /commands: a map of name, plugin (nil
 * for a built-in or a linked command), for a linked command link (the
 * link's name, SPEC 11), args, reply, summary, usage and flags.
 */
void
describe_command(msgpack_packer *pk, const struct command *cmd)
{
	int k;

	msgpack_pack_map(pk, cmd->link != NULL ? 8 : 7);
	convert_pack_cstr(pk, "name");
	convert_pack_cstr(pk, cmd->name);
	convert_pack_cstr(pk, "plugin");
	if (cmd->plugin != NULL)
		convert_pack_cstr(pk, cmd->plugin->name);
	else
		msgpack_pack_nil(pk);
	if (cmd->link != NULL) {
		convert_pack_cstr(pk, "link");
		convert_pack_cstr(pk, cmd->link->name);
	}
	convert_pack_cstr(pk, "args");
	msgpack_pack_array(pk, (size_t)cmd->sig->nparams);
	for (k = 0; k < cmd->sig->nparams; k++)
		describe_param(pk, &cmd->sig->params[k]);
	convert_pack_cstr(pk, "reply");
	convert_pack_cstr(pk, cmd->reply);
	convert_pack_cstr(pk, "summary");
	convert_pack_cstr(pk, cmd->summary);
	convert_pack_cstr(pk, "usage");
	describe_usage(pk, cmd);
	convert_pack_cstr(pk, "flags");
	describe_flags(pk, cmd);
}

/*
 * Packs the descriptor of every command of reg and f's more that f shows
 * (NULL: reg's) as one array, in load order: the body of GET /commands.
 */
void
describe_commands(msgpack_packer *pk, const struct registry *reg,
    const struct describe_filter *f)
{
	const struct command *cmd;
	size_t i = 0;

	msgpack_pack_array(pk, describe_count(reg, f));
	while ((cmd = describe_next(reg, f, &i)) != NULL)
		describe_command(pk, cmd);
}

/*
 * The JSON Schema type of a signature type, or NULL for any value.
 */
const char *
describe_schema_type(enum sig_type type)
{
	return describe_type_of(type)->schema;
}

/*
 * Packs the schema {"type": type}, or {} when type is NULL.
 */
void
describe_schema(msgpack_packer *pk, const char *type)
{
	if (type == NULL) {
		msgpack_pack_map(pk, 0);
		return;
	}
	msgpack_pack_map(pk, 1);
	convert_pack_cstr(pk, "type");
	convert_pack_cstr(pk, type);
}

/*
 * Packs the JSON Schema of one parameter (a variadic one is an array of
 * it), with its default as a value of its type: {"type":"integer",
 * "default":1}.
 */
void
describe_param_schema(msgpack_packer *pk, const struct sig_param *p)
{
	const char *type = describe_schema_type(p->type);

	if (!p->variadic) {
		msgpack_pack_map(
		    pk, (size_t)(type != NULL) + (size_t)(p->defval != NULL));
		if (type != NULL) {
			convert_pack_cstr(pk, "type");
			convert_pack_cstr(pk, type);
		}
		if (p->defval != NULL) {
			convert_pack_cstr(pk, "default");
			pk->callback(pk->data, p->defval, p->defval_len);
		}
		return;
	}
	msgpack_pack_map(pk, 2);
	convert_pack_cstr(pk, "type");
	convert_pack_cstr(pk, "array");
	convert_pack_cstr(pk, "items");
	describe_schema(pk, type);
}

/*
 * Packs the JSON Schema of a reply type as written in a command's
 * declaration ("status" is a string, "nil" null, unknown ones any value).
 */
void
describe_reply_schema(msgpack_packer *pk, const char *reply)
{
	enum sig_type t;

	if (strcmp(reply, "status") == 0)
		describe_schema(pk, "string");
	else if (strcmp(reply, "nil") == 0)
		describe_schema(pk, "null");
	else if (sig_type_parse(reply, strlen(reply), &t) == 0)
		describe_schema(pk, describe_schema_type(t));
	else
		describe_schema(pk, NULL);
}
