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
 *
 * Layer L1 (state).  The document's layout is written here; every schema
 * of a parameter or a reply, and which commands are HTTP operations, come
 * from describe, which also answers COMMAND DOCS and GET /commands.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "convert.h"
#include "describe.h"
#include "openapi.h"
#include "registry.h"
#include "signature.h"

/* The body schema: positional array or named object. */
static void
openapi_body_schema(msgpack_packer *pk, const struct sig *sig)
{
	int i, fixed = sig->nparams - sig->variadic;

	msgpack_pack_map(pk, 1);
	convert_pack_cstr(pk, "oneOf");
	msgpack_pack_array(pk, 2);
	msgpack_pack_map(pk, 4);
	convert_pack_cstr(pk, "type");
	convert_pack_cstr(pk, "array");
	convert_pack_cstr(pk, "prefixItems");
	msgpack_pack_array(pk, (size_t)fixed);
	for (i = 0; i < fixed; i++)
		describe_param_schema(pk, &sig->params[i]);
	convert_pack_cstr(pk, "minItems");
	msgpack_pack_int(pk, sig->nrequired);
	convert_pack_cstr(pk, "items");
	if (sig->variadic)
		describe_schema(pk,
		    describe_schema_type(sig->params[sig->nparams - 1].type));
	else
		msgpack_pack_false(pk);
	msgpack_pack_map(pk, 4);
	convert_pack_cstr(pk, "type");
	convert_pack_cstr(pk, "object");
	convert_pack_cstr(pk, "properties");
	msgpack_pack_map(pk, (size_t)sig->nparams);
	for (i = 0; i < sig->nparams; i++) {
		convert_pack_cstr(pk, sig->params[i].name);
		describe_param_schema(pk, &sig->params[i]);
	}
	convert_pack_cstr(pk, "required");
	msgpack_pack_array(pk, (size_t)sig->nrequired);
	for (i = 0; i < sig->nrequired; i++)
		convert_pack_cstr(pk, sig->params[i].name);
	convert_pack_cstr(pk, "additionalProperties");
	msgpack_pack_false(pk);
}

/* The media types of requests and of replies that are one value. */
static const char *const openapi_types[] = {
    "application/json", "application/msgpack"};

/* content: the same schema under JSON and msgpack. */
static void
openapi_content_ref(msgpack_packer *pk, const char *ref)
{
	size_t i;

	convert_pack_cstr(pk, "content");
	msgpack_pack_map(pk, 2);
	for (i = 0; i < 2; i++) {
		convert_pack_cstr(pk, openapi_types[i]);
		msgpack_pack_map(pk, 1);
		convert_pack_cstr(pk, "schema");
		msgpack_pack_map(pk, 1);
		convert_pack_cstr(pk, "$ref");
		convert_pack_cstr(pk, ref);
	}
}

/* One range of error responses ("4XX", "5XX"): the error object. */
static void
openapi_error(msgpack_packer *pk, const char *status, const char *what)
{
	convert_pack_cstr(pk, status);
	msgpack_pack_map(pk, 2);
	convert_pack_cstr(pk, "description");
	convert_pack_cstr(pk, what);
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

	convert_pack_cstr(pk, "content");
	if (!(cmd->flags & DUET_STREAM)) {
		msgpack_pack_map(pk, 2);
		for (i = 0; i < 2; i++) {
			convert_pack_cstr(pk, openapi_types[i]);
			msgpack_pack_map(pk, 1);
			convert_pack_cstr(pk, "schema");
			describe_reply_schema(pk, cmd->reply);
		}
		return;
	}
	msgpack_pack_map(pk, 3);
	for (i = 0; i < 3; i++) {
		convert_pack_cstr(pk, stream_types[i]);
		msgpack_pack_map(pk, 1);
		convert_pack_cstr(pk, "schema");
		if (i == 1)
			describe_schema(pk, "string");
		else
			describe_reply_schema(pk, cmd->reply);
	}
}

/*
 * responses: 200 with the reply (a stream of items for STREAM commands),
 * 4XX and 5XX with the error object.
 */
static void
openapi_responses(msgpack_packer *pk, const struct command *cmd)
{
	convert_pack_cstr(pk, "responses");
	msgpack_pack_map(pk, 3);
	convert_pack_cstr(pk, "200");
	msgpack_pack_map(pk, 2);
	convert_pack_cstr(pk, "description");
	convert_pack_cstr(pk,
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

	convert_pack_cstr(pk, "post");
	msgpack_pack_map(pk, 4);
	convert_pack_cstr(pk, "operationId");
	convert_pack_cstr(pk, cmd->name);
	convert_pack_cstr(pk, "summary");
	convert_pack_cstr(pk, cmd->summary);
	convert_pack_cstr(pk, "requestBody");
	msgpack_pack_map(pk, 1);
	convert_pack_cstr(pk, "content");
	msgpack_pack_map(pk, 2);
	for (i = 0; i < 2; i++) {
		convert_pack_cstr(pk, openapi_types[i]);
		msgpack_pack_map(pk, 1);
		convert_pack_cstr(pk, "schema");
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
	convert_pack_cstr(pk, "get");
	msgpack_pack_map(pk, 4);
	convert_pack_cstr(pk, "operationId");
	convert_pack_cstr(pk, id);
	convert_pack_cstr(pk, "summary");
	convert_pack_cstr(pk, cmd->summary);
	convert_pack_cstr(pk, "parameters");
	msgpack_pack_array(pk, (size_t)sig->nparams);
	for (i = 0; i < sig->nparams; i++) {
		msgpack_pack_map(pk, 4);
		convert_pack_cstr(pk, "name");
		convert_pack_cstr(pk, sig->params[i].name);
		convert_pack_cstr(pk, "in");
		convert_pack_cstr(pk, "query");
		convert_pack_cstr(pk, "required");
		if (i < sig->nrequired)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		convert_pack_cstr(pk, "schema");
		describe_param_schema(pk, &sig->params[i]);
	}
	openapi_responses(pk, cmd);
}

/* Starts {"type": "array", "items": ...}: the caller packs the items. */
static void
openapi_array_of(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	convert_pack_cstr(pk, "type");
	convert_pack_cstr(pk, "array");
	convert_pack_cstr(pk, "items");
}

/*
 * POST /batch: an array of [command, args...] arrays in, an array of
 * results (each a value or an error object) out.
 */
static void
openapi_batch(msgpack_packer *pk)
{
	convert_pack_cstr(pk, "/batch");
	msgpack_pack_map(pk, 1);
	convert_pack_cstr(pk, "post");
	msgpack_pack_map(pk, 4);
	convert_pack_cstr(pk, "operationId");
	convert_pack_cstr(pk, "batch");
	convert_pack_cstr(pk, "summary");
	convert_pack_cstr(
	    pk, "Runs several commands in order: one result each");
	convert_pack_cstr(pk, "requestBody");
	msgpack_pack_map(pk, 1);
	convert_pack_cstr(pk, "content");
	msgpack_pack_map(pk, 1);
	convert_pack_cstr(pk, "application/json");
	msgpack_pack_map(pk, 1);
	convert_pack_cstr(pk, "schema");
	openapi_array_of(pk);
	msgpack_pack_map(pk, 3);
	convert_pack_cstr(pk, "type");
	convert_pack_cstr(pk, "array");
	convert_pack_cstr(pk, "prefixItems");
	msgpack_pack_array(pk, 1);
	describe_schema(pk, "string");
	convert_pack_cstr(pk, "minItems");
	msgpack_pack_int(pk, 1);
	convert_pack_cstr(pk, "responses");
	msgpack_pack_map(pk, 2);
	convert_pack_cstr(pk, "200");
	msgpack_pack_map(pk, 2);
	convert_pack_cstr(pk, "description");
	convert_pack_cstr(pk, "Each command's value or error object, in order");
	convert_pack_cstr(pk, "content");
	msgpack_pack_map(pk, 1);
	convert_pack_cstr(pk, "application/json");
	msgpack_pack_map(pk, 1);
	convert_pack_cstr(pk, "schema");
	openapi_array_of(pk);
	msgpack_pack_map(pk, 0);
	openapi_error(pk, "400", "Not an array of [command, args...] arrays");
}

/*
 * The security scheme of a daemon with auth (SPEC 9.3): a Bearer token
 * (Basic user:token works too, but Bearer is what clients are told).
 */
static void
openapi_security_schemes(msgpack_packer *pk)
{
	convert_pack_cstr(pk, "securitySchemes");
	msgpack_pack_map(pk, 1);
	convert_pack_cstr(pk, "bearer");
	msgpack_pack_map(pk, 2);
	convert_pack_cstr(pk, "type");
	convert_pack_cstr(pk, "http");
	convert_pack_cstr(pk, "scheme");
	convert_pack_cstr(pk, "bearer");
}

/* The document's components: the error object, the security scheme. */
static void
openapi_components(msgpack_packer *pk, int auth)
{
	convert_pack_cstr(pk, "components");
	msgpack_pack_map(pk, auth ? 2 : 1);
	if (auth)
		openapi_security_schemes(pk);
	convert_pack_cstr(pk, "schemas");
	msgpack_pack_map(pk, 1);
	convert_pack_cstr(pk, "Error");
	msgpack_pack_map(pk, 2);
	convert_pack_cstr(pk, "type");
	convert_pack_cstr(pk, "object");
	convert_pack_cstr(pk, "properties");
	msgpack_pack_map(pk, 1);
	convert_pack_cstr(pk, "error");
	msgpack_pack_map(pk, 2);
	convert_pack_cstr(pk, "type");
	convert_pack_cstr(pk, "object");
	convert_pack_cstr(pk, "properties");
	msgpack_pack_map(pk, 2);
	convert_pack_cstr(pk, "code");
	describe_schema(pk, "string");
	convert_pack_cstr(pk, "message");
	describe_schema(pk, "string");
}

/*
 * The next command of a listing of reg through f (describe_next) that has
 * a path in the document: an HTTP operation not named "batch" (the
 * built-in path is written).
 */
static const struct command *
openapi_next_path(
    const struct registry *reg, const struct describe_filter *f, size_t *i)
{
	const struct command *cmd;

	while ((cmd = describe_next(reg, f, i)) != NULL) {
		if (describe_http(cmd) && strcmp(cmd->name, "batch") != 0)
			return cmd;
	}
	return NULL;
}

/*
 * Packs one command's entry of the document's paths: the key "/name",
 * then its path item (POST, and GET for a READONLY command).  The caller
 * leaves out the commands that are no HTTP operation (describe_http).
 */
void
openapi_pack_path(msgpack_packer *pk, const struct command *cmd)
{
	char path[REGISTRY_NAME_MAX + 2];
	int get = (cmd->flags & DUET_READONLY) != 0;

	path[0] = '/';
	memcpy(path + 1, cmd->name, cmd->namelen + 1);
	convert_pack_cstr(pk, path);
	msgpack_pack_map(pk, get ? 2 : 1);
	openapi_post(pk, cmd);
	if (get)
		openapi_get(pk, cmd);
}

/*
 * Packs the OpenAPI 3.1 document of reg as one map: the paths of the
 * commands f lists (NULL: every command of reg; linked ones after them,
 * describe_next); a filter with shows means auth is configured, so the
 * document names the Bearer scheme.
 */
void
openapi_pack(msgpack_packer *pk, const struct registry *reg,
    const struct describe_filter *f)
{
	int bearer = f != NULL && f->shows != NULL;
	const struct command *cmd;
	size_t i, npaths = 1; /* /batch */

	msgpack_pack_map(pk, 6);
	convert_pack_cstr(pk, "openapi");
	convert_pack_cstr(pk, "3.1.0");
	convert_pack_cstr(pk, "servers");
	msgpack_pack_array(pk, 1);
	msgpack_pack_map(pk, 1);
	convert_pack_cstr(pk, "url");
	convert_pack_cstr(pk, "/");
	convert_pack_cstr(pk, "security");
	msgpack_pack_array(pk, bearer);
	if (bearer) {
		msgpack_pack_map(pk, 1);
		convert_pack_cstr(pk, "bearer");
		msgpack_pack_array(pk, 0);
	}
	convert_pack_cstr(pk, "info");
	msgpack_pack_map(pk, 2);
	convert_pack_cstr(pk, "title");
	convert_pack_cstr(pk, "duetd");
	convert_pack_cstr(pk, "version");
	convert_pack_cstr(pk, PACKAGE_VERSION);
	/* Connection built-ins (QUIT, HELLO, ...) are not HTTP operations;
	 * /batch is the built-in path, even beside a command "batch". */
	for (i = 0; openapi_next_path(reg, f, &i) != NULL;)
		npaths++;
	convert_pack_cstr(pk, "paths");
	msgpack_pack_map(pk, npaths);
	openapi_batch(pk);
	for (i = 0; (cmd = openapi_next_path(reg, f, &i)) != NULL;)
		openapi_pack_path(pk, cmd);
	openapi_components(pk, bearer);
}
