/* SPDX-License-Identifier: MIT */
/*
 * signature - command argument signatures such as "a:int b:int",
 * "nums:float...", "opts:map?" and "n:int=10": parsed and validated once,
 * when a plugin loads.  A default value is converted to msgpack here, so
 * dispatch only copies it.  Also Redis's arity of a signature.
 *
 * Layer L0 (pure).  The types themselves are sig_type.h's.
 */
#ifndef DUET_SIGNATURE_H
#define DUET_SIGNATURE_H

#include <stddef.h>

#include "sig_type.h"

struct duet_err;
struct evbuffer;

#define SIG_MAX_PARAMS 64 /* parameters of one command */

struct sig_param {
	char *name; /* owned */
	enum sig_type type;
	int optional; /* `?` or `=default`: may be left out */
	int variadic; /* `...`: the rest of the arguments, >= 1 (>= 0 with `?`)
	               */
	char *defval; /* owned: default as packed msgpack, or NULL */
	size_t defval_len;
	char *deftext; /* owned: default as written, or NULL */
};

struct sig {
	int nparams;
	int nrequired; /* leading params that must be given */
	int variadic;  /* last param is variadic */
	/* Every param is one scalar (int, float, bool, bytes, str or any):
	 * words bind in place (dispatch) when there are at least words_min
	 * of them, so that no param left out has a default. */
	int words_only;
	int words_min;
	struct sig_param *params; /* owned array */
};

struct sig *sig_parse(const char *text, struct duet_err *err);
void sig_free(struct sig *sig);
int sig_arity(const struct sig *sig);
int sig_find(const struct sig *sig, const char *name, size_t len);
int sig_usage(const char *name, const struct sig *sig, struct evbuffer *out);

#endif /* DUET_SIGNATURE_H */
