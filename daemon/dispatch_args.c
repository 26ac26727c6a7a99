/* SPDX-License-Identifier: MIT */
/*
 * dispatch_args - L3 calls: binding a request's arguments to a command's
 * signature, into the env's args sbuffer and zone.
 *
 * Arguments come positional (RESP words, a JSON or msgpack array body,
 * HTTP path segments) or named (an HTTP query, a JSON or msgpack object
 * body).  Either way the result is one msgpack array with one element
 * per parameter: a variadic parameter is an array of its values, a
 * parameter left out is its default or nil.  Every value is converted by
 * its parameter's type on the way.
 */
#include "autoconf.h"

#include <stdint.h>
#include <string.h>

#include <msgpack.h>

#include "convert.h"
#include "dispatch.h"
#include "env.h"
#include "registry.h"
#include "signature.h"
#include "util.h"

/* One argument value: text (in the request's kind) or a decoded object. */
struct dispatch_val {
	const struct resp_arg *text;
	const msgpack_object *obj;
};

/*
 * A JSON argument: parsed to msgpack, then checked like a msgpack one.
 */
static int
dispatch_convert_json(struct env *e, msgpack_packer *pk,
    const struct resp_arg *a, enum sig_type type, struct duet_err *err)
{
	msgpack_sbuffer sb;
	msgpack_packer tmp;
	msgpack_object o;
	size_t off = 0;
	int rv = -1;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&tmp, &sb, msgpack_sbuffer_write);
	if (convert_json_to_msgpack(
	        &tmp, a->ptr, a->len, (int)e->limits.max_nesting, err) == -1)
		goto done;
	if (msgpack_unpack(sb.data, sb.size, &off, &e->zone, &o) !=
	    MSGPACK_UNPACK_SUCCESS) {
		util_err_set(err, "ERR", "JSON nested too deep");
		goto done;
	}
	rv = convert_typed(pk, &o, type, err);
done:
	msgpack_sbuffer_destroy(&sb);
	return rv;
}

/*
 * A msgpack argument: unpacked (exactly one value), then checked.
 */
static int
dispatch_convert_msgpack(struct env *e, msgpack_packer *pk,
    const struct resp_arg *a, enum sig_type type, struct duet_err *err)
{
	msgpack_object o;
	size_t off = 0, used;
	int rv;

	if (convert_msgpack_check(
	        a->ptr, a->len, (int)e->limits.max_nesting, &used, err) == -1)
		return -1;
	rv = msgpack_unpack(a->ptr, a->len, &off, &e->zone, &o);
	if (rv == MSGPACK_UNPACK_NOMEM_ERROR) {
		util_err_set(err, "ERR", "msgpack nested too deep");
		return -1;
	}
	if (rv != MSGPACK_UNPACK_SUCCESS || off != a->len) {
		util_err_set(err, "ERR", "invalid msgpack");
		return -1;
	}
	return convert_typed(pk, &o, type, err);
}

/*
 * Converts one value by parameter type, into the packer.
 */
static int
dispatch_convert(struct env *e, msgpack_packer *pk, const struct request *req,
    struct dispatch_val v, enum sig_type type, struct duet_err *err)
{
	if (v.obj != NULL)
		return convert_typed(pk, v.obj, type, err);
	switch (req->kind) {
	case REQUEST_JSON:
		return dispatch_convert_json(e, pk, v.text, type, err);
	case REQUEST_MSGPACK:
		return dispatch_convert_msgpack(e, pk, v.text, type, err);
	default:
		return convert_text(pk, type, v.text->ptr, v.text->len,
		    (int)e->limits.max_nesting, err);
	}
}

/*
 * Positional arguments: argv words, or the elements of an array body.
 */
static size_t
dispatch_npositional(const struct request *req)
{
	if (req->kind == REQUEST_OBJECT)
		return req->body->via.array.size;
	return req->argc;
}

static struct dispatch_val
dispatch_positional(const struct request *req, size_t i)
{
	struct dispatch_val v = {NULL, NULL};

	if (req->kind == REQUEST_OBJECT)
		v.obj = &req->body->via.array.ptr[i];
	else
		v.text = &req->argv[i];
	return v;
}

/*
 * Whether req names its arguments (a query, or an object body).
 */
static int
dispatch_named(const struct request *req)
{
	if (req->kind == REQUEST_OBJECT)
		return req->body->type == MSGPACK_OBJECT_MAP;
	return req->argnames != NULL;
}

/*
 * The name of named argument i.
 */
static struct resp_arg
dispatch_name(const struct request *req, size_t i)
{
	struct resp_arg n = {"", 0};
	const msgpack_object *k;

	if (req->kind != REQUEST_OBJECT) {
		n = req->argnames[i];
	} else {
		k = &req->body->via.map.ptr[i].key;
		if (k->type == MSGPACK_OBJECT_STR) {
			n.ptr = k->via.str.ptr;
			n.len = k->via.str.size;
		}
	}
	return n;
}

static size_t
dispatch_nnamed(const struct request *req)
{
	return req->kind == REQUEST_OBJECT ? req->body->via.map.size
	                                   : req->argc;
}

static struct dispatch_val
dispatch_named_val(const struct request *req, size_t i)
{
	struct dispatch_val v = {NULL, NULL};

	if (req->kind == REQUEST_OBJECT)
		v.obj = &req->body->via.map.ptr[i].val;
	else
		v.text = &req->argv[i];
	return v;
}

/*
 * Checks that every named argument is a parameter, given once unless it
 * is variadic, and that every required one is there.
 */
static int
dispatch_check_names(
    const struct command *cmd, const struct request *req, struct duet_err *err)
{
	const struct sig *sig = cmd->sig;
	size_t i, j, n = dispatch_nnamed(req);
	int k;

	for (i = 0; i < n; i++) {
		struct resp_arg name = dispatch_name(req, i);

		if ((k = sig_find(sig, name.ptr, name.len)) == -1) {
			util_err_set(err, "ERR",
			    "unknown argument '%.*s' for '%s'",
			    (int)(name.len < 64 ? name.len : 64), name.ptr,
			    cmd->name);
			return -1;
		}
		for (j = 0; j < i && !sig->params[k].variadic; j++) {
			struct resp_arg other = dispatch_name(req, j);

			if (other.len == name.len &&
			    memcmp(other.ptr, name.ptr, name.len) == 0) {
				util_err_set(err, "ERR",
				    "argument '%s' given more than once for "
				    "'%s'",
				    sig->params[k].name, cmd->name);
				return -1;
			}
		}
	}
	return 0;
}

/*
 * Whether named argument i is parameter p.
 */
static int
dispatch_names_param(
    const struct request *req, size_t i, const struct sig_param *p, size_t plen)
{
	struct resp_arg name = dispatch_name(req, i);

	return name.len == plen && memcmp(name.ptr, p->name, plen) == 0;
}

/*
 * Packs parameter p from named arguments; *given says if any was there.
 * A variadic parameter takes an array value (JSON or msgpack body) or
 * every repeat of its name (a query such as nums=1&nums=2).
 */
static int
dispatch_bind_named(struct env *e, msgpack_packer *pk,
    const struct request *req, const struct sig_param *p, int *given,
    struct duet_err *err)
{
	size_t i, count = 0, n = dispatch_nnamed(req), plen = strlen(p->name);
	struct dispatch_val v = {NULL, NULL};
	uint32_t j;

	for (i = 0; i < n; i++) {
		if (dispatch_names_param(req, i, p, plen)) {
			if (count++ == 0)
				v = dispatch_named_val(req, i);
		}
	}
	*given = count > 0;
	if (!p->variadic)
		return count == 0
		    ? 0
		    : dispatch_convert(e, pk, req, v, p->type, err);
	if (count == 1 && v.obj != NULL &&
	    v.obj->type == MSGPACK_OBJECT_ARRAY) {
		const msgpack_object_array *a = &v.obj->via.array;

		*given = a->size > 0;
		msgpack_pack_array(pk, a->size);
		for (j = 0; j < a->size; j++) {
			v.obj = &a->ptr[j];
			if (dispatch_convert(e, pk, req, v, p->type, err) == -1)
				return -1;
		}
		return 0;
	}
	msgpack_pack_array(pk, count);
	for (i = 0; i < n && count > 0; i++) {
		if (dispatch_names_param(req, i, p, plen) &&
		    dispatch_convert(e, pk, req, dispatch_named_val(req, i),
		        p->type, err) == -1)
			return -1;
	}
	return 0;
}

/*
 * Packs parameter k from positional arguments starting at *i.
 */
static int
dispatch_bind_positional(struct env *e, msgpack_packer *pk,
    const struct request *req, const struct sig_param *p, size_t *i, int *given,
    struct duet_err *err)
{
	size_t n = dispatch_npositional(req);

	*given = *i < n;
	if (!p->variadic) {
		if (*i >= n)
			return 0;
		return dispatch_convert(
		    e, pk, req, dispatch_positional(req, (*i)++), p->type, err);
	}
	msgpack_pack_array(pk, n - *i);
	for (; *i < n; (*i)++) {
		if (dispatch_convert(e, pk, req, dispatch_positional(req, *i),
		        p->type, err) == -1)
			return -1;
	}
	return 0;
}

/*
 * Checks the argument count against the signature (positional only).
 */
static int
dispatch_arity(
    const struct command *cmd, const struct request *req, struct duet_err *err)
{
	const struct sig *sig = cmd->sig;
	size_t given = dispatch_npositional(req);

	if (given >= (size_t)sig->nrequired &&
	    (sig->variadic || given <= (size_t)sig->nparams))
		return 0;
	util_err_set(err, "ERR", "wrong number of arguments for '%s' command",
	    cmd->name);
	return -1;
}

/*
 * The fast path of binding, for the common call: positional words (RESP,
 * HTTP path segments) for an inline command whose every parameter is one
 * int, float, bool, bytes, str or any value (sig->words_only, decided
 * once per signature), each given or optional with no default.  Nothing is
 * packed and unpacked again: e->argv gets the objects the general path
 * would unpack, a string pointing into the request as the general path's
 * would point into the packed copy.  Returns 1 when bound so, 0 when the
 * general path must bind (it also words every error, a word its type
 * does not take among them).
 */
static int
dispatch_bind_inplace(struct env *e, const struct command *cmd,
    const struct request *req, uint64_t *present)
{
	const struct sig *sig = cmd->sig;
	size_t k, n = req->argc;

	if (!sig->words_only || req->kind != REQUEST_TEXT ||
	    req->argnames != NULL || n > (size_t)sig->nparams ||
	    n < (size_t)sig->nrequired || n < (size_t)sig->words_min ||
	    (cmd->flags & (DUET_BLOCKING | DUET_STREAM)))
		return 0;
	for (k = n; k < (size_t)sig->nparams; k++)
		e->argv[k].type = MSGPACK_OBJECT_NIL;
	for (k = 0; k < n; k++) {
		if (convert_text_object(&e->argv[k], sig->params[k].type,
		        req->argv[k].ptr, req->argv[k].len, req->ascii) == -1)
			return 0;
	}
	e->args_inplace = 1;
	e->nargv = (size_t)sig->nparams;
	*present = n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
	return 1;
}

/*
 * Binds the arguments of req for cmd: in place (see above), or packed as
 * one array, one element per parameter, in e->args.  Returns 0, or -1
 * with the client's error in err (status 400).
 */
int
dispatch_bind_args(struct env *e, const struct command *cmd,
    const struct request *req, uint64_t *present, struct duet_err *err)
{
	const struct sig *sig = cmd->sig;
	int k, given, named = dispatch_named(req);
	struct duet_err why;
	msgpack_packer pk;
	size_t i = 0;

	*present = 0;
	if (dispatch_bind_inplace(e, cmd, req, present))
		return 0;
	if (named ? dispatch_check_names(cmd, req, err)
	          : dispatch_arity(cmd, req, err))
		goto fail;
	msgpack_packer_init(&pk, &e->args, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, (size_t)sig->nparams);
	for (k = 0; k < sig->nparams; k++) {
		const struct sig_param *p = &sig->params[k];
		size_t before = e->args.size;

		if ((named ? dispatch_bind_named(e, &pk, req, p, &given, &why)
		           : dispatch_bind_positional(
		                 e, &pk, req, p, &i, &given, &why)) == -1) {
			util_err_set(err, "ERR",
			    "invalid argument '%s' for '%s': %s", p->name,
			    cmd->name, why.msg);
			goto fail;
		}
		if (given) {
			*present |= 1ULL << k;
		} else if (!p->optional) {
			util_err_set(err, "ERR",
			    "missing argument '%s' for '%s'", p->name,
			    cmd->name);
			goto fail;
		} else if (e->args.size == before && p->defval != NULL) {
			msgpack_sbuffer_write(
			    &e->args, p->defval, p->defval_len);
		} else if (e->args.size == before) {
			msgpack_pack_nil(&pk);
		}
	}
	return 0;
fail:
	err->status = 400;
	return -1;
}
