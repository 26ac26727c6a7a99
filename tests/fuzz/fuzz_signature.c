/* SPDX-License-Identifier: MIT */
/*
 * fuzz_signature - libFuzzer entry for signatures (signature.c) and
 * argument binding (dispatch_args.c).  The input is
 *	SIGNATURE '\n' MODE ARGUMENTS
 * where MODE says how the arguments come, as the daemon's codecs hand
 * them to dispatch:
 *	'p'	RESP words (text), one per line
 *	'n'	an HTTP query: NAME=VALUE per line (text, named)
 *	'j'	CLIENT ENCODING json: one JSON text per line
 *	'm'	CLIENT ENCODING msgpack: msgpack values one after another
 *	'o'	a JSON body (an array or an object)
 *	'b'	a msgpack body (an array or a map)
 * Without a newline only the signature is parsed.  Properties: a parsed
 * signature keeps its invariants (required before optional, only the
 * last variadic, sig_find finds each name); bound arguments are one array
 * with an element per parameter: a variadic one an array (empty only
 * when not given) of values of its type, another its value of that type,
 * or when left out its default or nil.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "convert.h"
#include "dispatch.h"
#include "registry.h"
#include "signature.h"
#include "util.h"
#include "worker.h"
#include "fuzz.h"

/* The request being built from the input, and what it owns. */
struct fuzz_sig_req {
	struct request req;
	struct resp_arg *argv;  /* owned */
	struct resp_arg *names; /* owned, or NULL */
	msgpack_sbuffer body;   /* owned: a JSON body as msgpack */
	msgpack_unpacked up;    /* owned: the body */
};

static void
fuzz_sig_check(const struct sig *sig)
{
	int i, required = 0;

	FUZZ_CHECK(sig->nparams >= 0 && sig->nparams <= SIG_MAX_PARAMS);
	for (i = 0; i < sig->nparams; i++) {
		const struct sig_param *p = &sig->params[i];

		FUZZ_CHECK(sig_find(sig, p->name, strlen(p->name)) == i);
		FUZZ_CHECK(!p->variadic || i == sig->nparams - 1);
		FUZZ_CHECK((p->defval != NULL) == (p->deftext != NULL));
		FUZZ_CHECK(p->defval == NULL || p->optional);
		if (!p->optional) {
			FUZZ_CHECK(required == i);
			required++;
		}
	}
	FUZZ_CHECK(sig->nrequired == required);
	FUZZ_CHECK(sig_arity(sig) != 0);
}

/* Whether a bound value is of type t (bytes are packed as bin). */
static int
fuzz_sig_type_ok(const msgpack_object *o, enum sig_type t)
{
	switch (t) {
	case SIG_INT:
		return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
	case SIG_FLOAT:
		return o->type == MSGPACK_OBJECT_FLOAT64;
	case SIG_BOOL:
		return o->type == MSGPACK_OBJECT_BOOLEAN;
	case SIG_STR:
		return o->type == MSGPACK_OBJECT_STR &&
		    util_utf8_valid(o->via.str.ptr, o->via.str.size);
	case SIG_BYTES:
		return o->type == MSGPACK_OBJECT_BIN;
	case SIG_ARRAY:
		return o->type == MSGPACK_OBJECT_ARRAY;
	case SIG_MAP:
		return o->type == MSGPACK_OBJECT_MAP;
	default:
		return 1;
	}
}

/* The bound arguments (packed in w->env.args, or in place in
 * w->env.argv) against the signature. */
static void
fuzz_sig_check_args(struct worker *w, const struct sig *sig, uint64_t present)
{
	msgpack_object o;
	size_t off = 0;
	uint32_t i;
	int k;

	if (w->env.args_inplace) {
		/* Bound in place: objects pointing into the request. */
		FUZZ_CHECK(w->env.args.size == 0);
		o.type = MSGPACK_OBJECT_ARRAY;
		o.via.array.ptr = w->env.argv;
		o.via.array.size = (uint32_t)w->env.nargv;
	} else {
		FUZZ_CHECK(
		    msgpack_unpack(w->env.args.data, w->env.args.size, &off,
		        &w->env.zone, &o) == MSGPACK_UNPACK_SUCCESS);
		FUZZ_CHECK(off == w->env.args.size);
	}
	FUZZ_CHECK(o.type == MSGPACK_OBJECT_ARRAY);
	FUZZ_CHECK(o.via.array.size == (uint32_t)sig->nparams);
	FUZZ_CHECK(sig->nparams == 64 || present >> sig->nparams == 0);
	for (k = 0; k < sig->nparams; k++) {
		const struct sig_param *p = &sig->params[k];
		const msgpack_object *v = &o.via.array.ptr[k];
		int given = (present >> k & 1) != 0;

		FUZZ_CHECK(given || p->optional);
		if (p->variadic) {
			FUZZ_CHECK(v->type == MSGPACK_OBJECT_ARRAY);
			FUZZ_CHECK(given == (v->via.array.size > 0));
			for (i = 0; i < v->via.array.size; i++)
				FUZZ_CHECK(fuzz_sig_type_ok(
				    &v->via.array.ptr[i], p->type));
		} else if (given) {
			FUZZ_CHECK(fuzz_sig_type_ok(v, p->type));
		} else {
			/* Nil, or the default (which json may make nil). */
			FUZZ_CHECK(v->type == MSGPACK_OBJECT_NIL ||
			    (p->defval != NULL &&
			        fuzz_sig_type_ok(v, p->type)));
		}
	}
}

/* Splits s[0..len) at newlines into r->argv (and names, for 'n'). */
static int
fuzz_sig_lines(struct fuzz_sig_req *r, const char *s, size_t len, int named)
{
	const char *end = s + len, *nl, *eq;
	size_t n = 0, cap = 1;

	for (nl = s; (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL; nl++)
		cap++;
	if ((r->argv = calloc(cap, sizeof(*r->argv))) == NULL ||
	    (named && (r->names = calloc(cap, sizeof(*r->names))) == NULL))
		return -1;
	while (len > 0 && s <= end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		r->argv[n].ptr = s;
		r->argv[n].len =
		    nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
		if (named) {
			eq = memchr(s, '=', r->argv[n].len);
			r->names[n].ptr = s;
			r->names[n].len =
			    eq != NULL ? (size_t)(eq - s) : r->argv[n].len;
			if (eq != NULL) {
				r->argv[n].len -= (size_t)(eq + 1 - s);
				r->argv[n].ptr = eq + 1;
			}
		}
		n++;
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	r->req.argc = n;
	r->req.argv = r->argv;
	r->req.argnames = r->names;
	return 0;
}

/* Splits msgpack values one after another; what is left is one more. */
static int
fuzz_sig_values(struct fuzz_sig_req *r, const char *s, size_t len)
{
	struct duet_err err;
	size_t n = 0, used;

	if ((r->argv = calloc(len + 1, sizeof(*r->argv))) == NULL)
		return -1;
	while (len > 0) {
		if (convert_msgpack_check(s, len, FUZZ_NESTING, &used, &err) ==
		    -1)
			used = len;
		r->argv[n].ptr = s;
		r->argv[n++].len = used;
		s += used;
		len -= used;
	}
	r->req.argc = n;
	r->req.argv = r->argv;
	return 0;
}

/* A body, decoded as route_body() does.  Returns -1 if refused. */
static int
fuzz_sig_body(struct fuzz_sig_req *r, const char *s, size_t len, int json)
{
	struct duet_err err;
	msgpack_packer pk;
	size_t used, off = 0;

	if (json) {
		msgpack_packer_init(&pk, &r->body, msgpack_sbuffer_write);
		if (convert_json_to_msgpack(&pk, s, len, FUZZ_NESTING, &err) ==
		    -1)
			return -1;
		s = r->body.data;
		len = r->body.size;
	} else if (convert_msgpack_check(s, len, FUZZ_NESTING, &used, &err) ==
	    -1) {
		return -1;
	}
	if (msgpack_unpack_next(&r->up, s, len, &off) !=
	        MSGPACK_UNPACK_SUCCESS ||
	    off != len)
		return -1;
	if (r->up.data.type != MSGPACK_OBJECT_ARRAY &&
	    r->up.data.type != MSGPACK_OBJECT_MAP)
		return -1;
	r->req.kind = REQUEST_OBJECT;
	r->req.body = &r->up.data;
	return 0;
}

/* Builds the request from MODE ARGUMENTS.  Returns -1 if there is none. */
static int
fuzz_sig_request(struct fuzz_sig_req *r, const char *s, size_t len)
{
	char mode;

	if (len == 0)
		return -1;
	mode = s[0];
	s++;
	len--;
	r->req.name = "fuzz";
	r->req.namelen = 4;
	switch (mode) {
	case 'p':
		r->req.kind = REQUEST_TEXT;
		return fuzz_sig_lines(r, s, len, 0);
	case 'n':
		r->req.kind = REQUEST_TEXT;
		return fuzz_sig_lines(r, s, len, 1);
	case 'j':
		r->req.kind = REQUEST_JSON;
		return fuzz_sig_lines(r, s, len, 0);
	case 'm':
		r->req.kind = REQUEST_MSGPACK;
		return fuzz_sig_values(r, s, len);
	case 'o':
		return fuzz_sig_body(r, s, len, 1);
	case 'b':
		return fuzz_sig_body(r, s, len, 0);
	default:
		return -1;
	}
}

/* Binds the request to cmd in a worker of its own and checks the result. */
static void
fuzz_sig_bind(const struct command *cmd, struct fuzz_sig_req *r)
{
	struct worker w;
	struct duet_err err;
	uint64_t present;

	memset(&w, 0, sizeof(w));
	w.env.limits.max_nesting = FUZZ_NESTING;
	msgpack_sbuffer_init(&w.env.args);
	if (!msgpack_zone_init(&w.env.zone, 8192))
		abort();
	if (dispatch_bind_args(&w.env, cmd, &r->req, &present, &err) == 0)
		fuzz_sig_check_args(&w, cmd->sig, present);
	else
		FUZZ_CHECK(err.status == 400 && strcmp(err.code, "ERR") == 0);
	msgpack_sbuffer_destroy(&w.env.args);
	msgpack_zone_destroy(&w.env.zone);
}

/*
 * The libFuzzer entry point.  Always returns 0.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *nl = memchr(s, '\n', size);
	size_t siglen = nl != NULL ? (size_t)(nl - s) : size;
	struct fuzz_sig_req r;
	struct command cmd;
	struct duet_err err;
	char *text;

	memset(&r, 0, sizeof(r));
	memset(&cmd, 0, sizeof(cmd));
	msgpack_sbuffer_init(&r.body);
	msgpack_unpacked_init(&r.up);
	if ((text = strndup(s, siglen)) == NULL)
		abort();
	if ((cmd.sig = sig_parse(text, &err)) == NULL) {
		FUZZ_CHECK(strcmp(err.code, "ERR") == 0 && err.msg[0] != '\0');
		goto done;
	}
	fuzz_sig_check(cmd.sig);
	cmd.name = "fuzz";
	cmd.namelen = 4;
	if (nl != NULL && fuzz_sig_request(&r, nl + 1, size - siglen - 1) == 0)
		fuzz_sig_bind(&cmd, &r);
done:
	sig_free(cmd.sig);
	free(text);
	free(r.argv);
	free(r.names);
	msgpack_unpacked_destroy(&r.up);
	msgpack_sbuffer_destroy(&r.body);
	return 0;
}
