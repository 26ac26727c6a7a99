/* SPDX-License-Identifier: MIT */
/*
 * builtin_http - the daemon's own HTTP paths (L4, beside builtin.c's
 * commands): /, /healthz, /commands, /metrics, /openapi.json, /plugins.
 * The HTTP session (http_session.c) asks here before it looks for a
 * command; the responses are written by route.c's encoders.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "builtin.h"
#include "builtin_http.h"
#include "builtin_module.h"
#include "conn.h"
#include "describe.h"
#include "env.h"
#include "http.h"
#include "http_reply.h"
#include "metrics.h"
#include "openapi.h"
#include "page.h"
#include "registry.h"
#include "util.h"

/*
 * GET /commands: every command's descriptor, from its signature; or
 * GET /openapi.json: the same as an OpenAPI document; or GET /plugins:
 * the loaded plugins.  pack writes the document for reg.
 */
static void
builtin_http_commands(struct conn *c, const struct registry *reg,
    void (*pack)(msgpack_packer *, const struct registry *))
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack(&pk, reg);
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, sb.data, sb.size, NULL) ==
	    MSGPACK_UNPACK_SUCCESS)
		conn_reply_value(
		    c, CONN_ENC_NATIVE, &up.data, sb.data, sb.size);
	else
		conn_reply_fail(c, 500, "cannot describe the commands");
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * GET /, /healthz, /commands, /metrics, /openapi.json, /plugins of the
 * HTTP session of c (ctx: its response settings; req borrowed).  Returns
 * 0 if path is one of them (answered), -1 if not.
 */
int
builtin_http_path(struct conn *c, struct http_resp *ctx,
    const struct http_request *req, struct http_str path)
{
	static const char ok[] = "ok\n";
	struct evbuffer *out, *body;
	const struct registry *reg;
	int which;

	if (path.len == 1 && path.ptr[0] == '/')
		which = 3;
	else if (util_strcaseeq(path.ptr, path.len, "/healthz") &&
	    path.len == 8)
		which = 0;
	else if (path.len == 9 && memcmp(path.ptr, "/commands", 9) == 0)
		which = 1;
	else if (path.len == 8 && memcmp(path.ptr, "/metrics", 8) == 0)
		which = 2;
	else if (path.len == 13 && memcmp(path.ptr, "/openapi.json", 13) == 0)
		which = 4;
	else if (path.len == 8 && memcmp(path.ptr, "/plugins", 8) == 0)
		which = 5;
	else
		return -1;
	if (req->method != HTTP_M_GET && req->method != HTTP_M_HEAD) {
		ctx->allow = "GET, HEAD";
		conn_reply_fail(c, 405, "%.*s answers GET and HEAD only",
		    (int)path.len, path.ptr);
		return 0;
	}
	reg = env_registry(c->env);
	if (which == 1 || which == 4 || which == 5) {
		builtin_http_commands(c, reg,
		    which == 1       ? describe_commands
		        : which == 4 ? openapi_pack
		                     : builtin_module_pack_plugins);
		return 0;
	}
	if ((out = conn_reply_buffer(c)) == NULL)
		return 0;
	if (which == 3) {
		http_reply_respond(ctx, c->closing, out, 200,
		    "text/html; charset=utf-8", page_html, page_html_len);
	} else if (which == 0 && atomic_load(&worker_draining)) {
		http_reply_respond(ctx, c->closing, out, 503,
		    "text/plain; charset=utf-8", "shutting down\n", 14);
	} else if (which == 0) {
		http_reply_respond(ctx, c->closing, out, 200,
		    "text/plain; charset=utf-8", ok, sizeof(ok) - 1);
	} else if ((body = evbuffer_new()) != NULL) {
		metrics_render(body, reg->stats, reg->ncommands, reg->id);
		http_reply_respond(ctx, c->closing, out, 200,
		    "text/plain; version=0.0.4; charset=utf-8",
		    evbuffer_pullup(body, -1), evbuffer_get_length(body));
		evbuffer_free(body);
	}
	conn_reply_done(c);
	return 0;
}
