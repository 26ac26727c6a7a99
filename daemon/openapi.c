/* SPDX-License-Identifier: MIT */
/*
 * openapi - the OpenAPI 3.1 document of the HTTP side, packed as msgpack
 * (the route turns it into JSON like any reply).  Each command is a path:
 * POST with a JSON or msgpack body, an array (prefixItems, the variadic
 * parameter as items) or an object (properties); READONLY commands also
 * have GET with query parameters.  Defaults are schema defaults.  The 200
 * response is JSON or msgpack (a STREAM command's: ndjson, server-sent
 * events or msgpack); errors are the 4XX and 5XX ranges.  Connection
 * built-ins (QUIT, HELLO, ...) are not HTTP operations and have no path.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "openapi.h"
#include "registry.h"
#include "signature.h"

static void
openapi_str(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);

	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

/* Packs {"type": type} or {} when type is NULL. */
static void
openapi_type(msgpack_packer *pk, const char *type)
{
	if (type == NULL) {
		msgpack_pack_map(pk, 0);
		return;
	}
	msgpack_pack_map(pk, 1);
	openapi_str(pk, "type");
	openapi_str(pk, type);
}

/* The JSON Schema type of a signature type (NULL: any value). */
static const char *
openapi_sig_type(enum sig_type t)
{
	switch (t) {
	case SIG_INT:
		return "integer";
	case SIG_FLOAT:
		return "number";
	case SIG_BOOL:
		return "boolean";
	case SIG_STR:
	case SIG_BYTES:
		return "string";
	case SIG_ARRAY:
		return "array";
	case SIG_MAP:
		return "object";
	default:
		return NULL;
	}
}

/*
 * The schema of one parameter (a variadic one is an array of it), with
 * its default as a value of its type: {"type":"integer","default":1}.
 */
static void
openapi_param_schema(msgpack_packer *pk, const struct sig_param *p)
{
	const char *type = openapi_sig_type(p->type);

	if (!p->variadic) {
		msgpack_pack_map(
		    pk, (size_t)(type != NULL) + (size_t)(p->defval != NULL));
		if (type != NULL) {
			openapi_str(pk, "type");
			openapi_str(pk, type);
		}
		if (p->defval != NULL) {
			openapi_str(pk, "default");
			pk->callback(pk->data, p->defval, p->defval_len);
		}
		return;
	}
	msgpack_pack_map(pk, 2);
	openapi_str(pk, "type");
	openapi_str(pk, "array");
	openapi_str(pk, "items");
	openapi_type(pk, openapi_sig_type(p->type));
}

/* The body schema: positional array or named object. */
static void
openapi_body_schema(msgpack_packer *pk, const struct sig *sig)
{
	int i, fixed = sig->nparams - sig->variadic;

	msgpack_pack_map(pk, 1);
	openapi_str(pk, "oneOf");
	msgpack_pack_array(pk, 2);
	msgpack_pack_map(pk, 4);
	openapi_str(pk, "type");
	openapi_str(pk, "array");
	openapi_str(pk, "prefixItems");
	msgpack_pack_array(pk, (size_t)fixed);
	for (i = 0; i < fixed; i++)
		openapi_param_schema(pk, &sig->params[i]);
	openapi_str(pk, "minItems");
	msgpack_pack_int(pk, sig->nrequired);
	openapi_str(pk, "items");
	if (sig->variadic)
		openapi_type(
		    pk, openapi_sig_type(sig->params[sig->nparams - 1].type));
	else
		msgpack_pack_false(pk);
	msgpack_pack_map(pk, 4);
	openapi_str(pk, "type");
	openapi_str(pk, "object");
	openapi_str(pk, "properties");
	msgpack_pack_map(pk, (size_t)sig->nparams);
	for (i = 0; i < sig->nparams; i++) {
		openapi_str(pk, sig->params[i].name);
		openapi_param_schema(pk, &sig->params[i]);
	}
	openapi_str(pk, "required");
	msgpack_pack_array(pk, (size_t)sig->nrequired);
	for (i = 0; i < sig->nrequired; i++)
		openapi_str(pk, sig->params[i].name);
	openapi_str(pk, "additionalProperties");
	msgpack_pack_false(pk);
}

/* The schema of a reply type as written in a command's declaration. */
static void
openapi_reply_schema(msgpack_packer *pk, const char *reply)
{
	enum sig_type t;

	if (strcmp(reply, "status") == 0)
		openapi_type(pk, "string");
	else if (strcmp(reply, "nil") == 0)
		openapi_type(pk, "null");
	else if (sig_type_parse(reply, strlen(reply), &t) == 0)
		openapi_type(pk, openapi_sig_type(t));
	else
		openapi_type(pk, NULL);
}

/* The media types of requests and of replies that are one value. */
static const char *const openapi_types[] = {
    "application/json", "application/msgpack"};

/* content: the same schema under JSON and msgpack. */
static void
openapi_content_ref(msgpack_packer *pk, const char *ref)
{
	size_t i;

	openapi_str(pk, "content");
	msgpack_pack_map(pk, 2);
	for (i = 0; i < 2; i++) {
		openapi_str(pk, openapi_types[i]);
		msgpack_pack_map(pk, 1);
		openapi_str(pk, "schema");
		msgpack_pack_map(pk, 1);
		openapi_str(pk, "$ref");
		openapi_str(pk, ref);
	}
}

/* One range of error responses ("4XX", "5XX"): the error object. */
static void
openapi_error(msgpack_packer *pk, const char *status, const char *what)
{
	openapi_str(pk, status);
	msgpack_pack_map(pk, 2);
	openapi_str(pk, "description");
	openapi_str(pk, what);
	openapi_content_ref(pk, "#/components/schemas/Error");
}

/*
 * The 200 content of a command: its reply as JSON or msgpack; for a
 * STREAM command, its items as ndjson, server-sent events or msgpack.
 */
static void
openapi_reply_content(msgpack_packer *pk, const struct command *cmd)
{
	static const char *const stream_types[] = {
	    "application/x-ndjson", "text/event-stream", "application/msgpack"};
	size_t i;

	openapi_str(pk, "content");
	if (!(cmd->flags & DUET_STREAM)) {
		msgpack_pack_map(pk, 2);
		for (i = 0; i < 2; i++) {
			openapi_str(pk, openapi_types[i]);
			msgpack_pack_map(pk, 1);
			openapi_str(pk, "schema");
			openapi_reply_schema(pk, cmd->reply);
		}
		return;
	}
	msgpack_pack_map(pk, 3);
	for (i = 0; i < 3; i++) {
		openapi_str(pk, stream_types[i]);
		msgpack_pack_map(pk, 1);
		openapi_str(pk, "schema");
		if (i == 1)
			openapi_type(pk, "string");
		else
			openapi_reply_schema(pk, cmd->reply);
	}
}

/*
 * responses: 200 with the reply (a stream of items for STREAM commands),
 * 4XX and 5XX with the error object.
 */
static void
openapi_responses(msgpack_packer *pk, const struct command *cmd)
{
	openapi_str(pk, "responses");
	msgpack_pack_map(pk, 3);
	openapi_str(pk, "200");
	msgpack_pack_map(pk, 2);
	openapi_str(pk, "description");
	openapi_str(pk,
	    cmd->flags & DUET_STREAM
	        ? "A stream of items, each of the reply type: one JSON value "
	          "per line, one server-sent event per item (Accept: "
	          "text/event-stream), or msgpack values one after another "
	          "(Accept: application/msgpack)"
	        : "The reply: JSON, or msgpack with Accept: "
	          "application/msgpack");
	openapi_reply_content(pk, cmd);
	openapi_error(pk, "4XX",
	    "The request was refused: bad arguments or request (400), "
	    "unknown command (404), wrong method (405), too large (413), "
	    "wrong media type (415), or the command's own error with the "
	    "status it chose");
	openapi_error(pk, "5XX",
	    "The command failed: the command's own error (500, or the status "
	    "it chose), or too busy (503)");
}

static void
openapi_post(msgpack_packer *pk, const struct command *cmd)
{
	size_t i;

	openapi_str(pk, "post");
	msgpack_pack_map(pk, 4);
	openapi_str(pk, "operationId");
	openapi_str(pk, cmd->name);
	openapi_str(pk, "summary");
	openapi_str(pk, cmd->summary);
	openapi_str(pk, "requestBody");
	msgpack_pack_map(pk, 1);
	openapi_str(pk, "content");
	msgpack_pack_map(pk, 2);
	for (i = 0; i < 2; i++) {
		openapi_str(pk, openapi_types[i]);
		msgpack_pack_map(pk, 1);
		openapi_str(pk, "schema");
		openapi_body_schema(pk, cmd->sig);
	}
	openapi_responses(pk, cmd);
}

static void
openapi_get(msgpack_packer *pk, const struct command *cmd)
{
	const struct sig *sig = cmd->sig;
	char id[REGISTRY_NAME_MAX + 8];
	int i;

	snprintf(id, sizeof(id), "get_%s", cmd->name);
	openapi_str(pk, "get");
	msgpack_pack_map(pk, 4);
	openapi_str(pk, "operationId");
	openapi_str(pk, id);
	openapi_str(pk, "summary");
	openapi_str(pk, cmd->summary);
	openapi_str(pk, "parameters");
	msgpack_pack_array(pk, (size_t)sig->nparams);
	for (i = 0; i < sig->nparams; i++) {
		msgpack_pack_map(pk, 4);
		openapi_str(pk, "name");
		openapi_str(pk, sig->params[i].name);
		openapi_str(pk, "in");
		openapi_str(pk, "query");
		openapi_str(pk, "required");
		if (i < sig->nrequired)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		openapi_str(pk, "schema");
		openapi_param_schema(pk, &sig->params[i]);
	}
	openapi_responses(pk, cmd);
}

/* Starts {"type": "array", "items": ...}: the caller packs the items. */
static void
openapi_array_of(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	openapi_str(pk, "type");
	openapi_str(pk, "array");
	openapi_str(pk, "items");
}

/*
 * POST /batch: an array of [command, args...] arrays in, an array of
 * results (each a value or an error object) out.
 */
static void
openapi_batch(msgpack_packer *pk)
{
	openapi_str(pk, "/batch");
	msgpack_pack_map(pk, 1);
	openapi_str(pk, "post");
	msgpack_pack_map(pk, 4);
	openapi_str(pk, "operationId");
	openapi_str(pk, "batch");
	openapi_str(pk, "summary");
	openapi_str(pk, "Runs several commands in order: one result each");
	openapi_str(pk, "requestBody");
	msgpack_pack_map(pk, 1);
	openapi_str(pk, "content");
	msgpack_pack_map(pk, 1);
	openapi_str(pk, "application/json");
	msgpack_pack_map(pk, 1);
	openapi_str(pk, "schema");
	openapi_array_of(pk);
	msgpack_pack_map(pk, 3);
	openapi_str(pk, "type");
	openapi_str(pk, "array");
	openapi_str(pk, "prefixItems");
	msgpack_pack_array(pk, 1);
	openapi_type(pk, "string");
	openapi_str(pk, "minItems");
	msgpack_pack_int(pk, 1);
	openapi_str(pk, "responses");
	msgpack_pack_map(pk, 2);
	openapi_str(pk, "200");
	msgpack_pack_map(pk, 2);
	openapi_str(pk, "description");
	openapi_str(pk, "Each command's value or error object, in order");
	openapi_str(pk, "content");
	msgpack_pack_map(pk, 1);
	openapi_str(pk, "application/json");
	msgpack_pack_map(pk, 1);
	openapi_str(pk, "schema");
	openapi_array_of(pk);
	msgpack_pack_map(pk, 0);
	openapi_error(pk, "400", "Not an array of [command, args...] arrays");
}

static void
openapi_components(msgpack_packer *pk)
{
	openapi_str(pk, "components");
	msgpack_pack_map(pk, 1);
	openapi_str(pk, "schemas");
	msgpack_pack_map(pk, 1);
	openapi_str(pk, "Error");
	msgpack_pack_map(pk, 2);
	openapi_str(pk, "type");
	openapi_str(pk, "object");
	openapi_str(pk, "properties");
	msgpack_pack_map(pk, 1);
	openapi_str(pk, "error");
	msgpack_pack_map(pk, 2);
	openapi_str(pk, "type");
	openapi_str(pk, "object");
	openapi_str(pk, "properties");
	msgpack_pack_map(pk, 2);
	openapi_str(pk, "code");
	openapi_type(pk, "string");
	openapi_str(pk, "message");
	openapi_type(pk, "string");
}

/*
 * Packs the OpenAPI 3.1 document of every command of reg as one map.
 */
void
openapi_pack(msgpack_packer *pk, const struct registry *reg)
{
	char path[REGISTRY_NAME_MAX + 2];
	size_t i, npaths = 1; /* /batch */

	msgpack_pack_map(pk, 6);
	openapi_str(pk, "openapi");
	openapi_str(pk, "3.1.0");
	openapi_str(pk, "servers");
	msgpack_pack_array(pk, 1);
	msgpack_pack_map(pk, 1);
	openapi_str(pk, "url");
	openapi_str(pk, "/");
	openapi_str(pk, "security"); /* no authentication in this version */
	msgpack_pack_array(pk, 0);
	openapi_str(pk, "info");
	msgpack_pack_map(pk, 2);
	openapi_str(pk, "title");
	openapi_str(pk, "duetd");
	openapi_str(pk, "version");
	openapi_str(pk, PACKAGE_VERSION);
	/* Connection built-ins (QUIT, HELLO, ...) are not HTTP operations. */
	for (i = 0; i < reg->ncommands; i++)
		npaths += !REGISTRY_CONN_ONLY(&reg->commands[i]);
	openapi_str(pk, "paths");
	/* /batch is the built-in path, even beside a command "batch". */
	if (registry_lookup(reg, "batch", 5) != NULL)
		npaths--;
	msgpack_pack_map(pk, npaths);
	openapi_batch(pk);
	for (i = 0; i < reg->ncommands; i++) {
		const struct command *cmd = &reg->commands[i];
		int get = (cmd->flags & DUET_READONLY) != 0;

		/* Connection built-ins have no path; /batch is written above. */
		if (REGISTRY_CONN_ONLY(cmd) || strcmp(cmd->name, "batch") == 0)
			continue;
		path[0] = '/';
		memcpy(path + 1, cmd->name, cmd->namelen + 1);
		openapi_str(pk, path);
		msgpack_pack_map(pk, get ? 2 : 1);
		openapi_post(pk, cmd);
		if (get)
			openapi_get(pk, cmd);
	}
	openapi_components(pk);
}
