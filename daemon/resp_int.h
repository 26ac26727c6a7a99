/* SPDX-License-Identifier: MIT */
/*
 * resp_int - what the parts of the resp module share: the constants of
 * the step-by-step parser and the helpers both parts call.  resp.c
 * reads multibulk requests (the fast path and the steps) and drives the
 * steps; resp_inline.c reads an inline request, one of those steps.  Not
 * for other modules: they use resp.h.
 */
#ifndef DUET_RESP_INT_H
#define DUET_RESP_INT_H

#include <stddef.h>
#include <stdlib.h>

#include <event2/buffer.h>

#include "resp.h"
#include "util.h"

/* Redis's PROTO_INLINE_MAX_SIZE: the longest line we wait for. */
#define RESP_INLINE_MAX (64 * 1024)
/* What a step of the parser returns to go on with the next step. */
#define RESP_NEXT (-1)

/*
 * Makes room for argument number p->argc.  Returns 0, or -1 with err set.
 * Defined here, static and not inline, so that each part has the copy it
 * had in resp.c: the fast path calls it per argument, and either an
 * extern function or an inlined one changes its instruction count.
 */
static inline int
resp_grow_args(struct resp_parser *p, struct duet_err *err)
{
	struct resp_arg *argv;
	size_t *argoff, cap;

	if (p->argc < p->argcap)
		return 0;
	cap = p->argcap == 0 ? 8 : p->argcap * 2;
	argoff = realloc(p->argoff, cap * sizeof(*argoff));
	if (argoff == NULL)
		goto fail;
	p->argoff = argoff;
	argv = realloc(p->argv, cap * sizeof(*argv));
	if (argv == NULL)
		goto fail;
	p->argv = argv;
	p->argcap = cap;
	return 0;
fail:
	util_err_set(err, "ERR", "out of memory reading the request");
	return -1;
}

/* resp.c */
int resp_skip(struct resp_parser *p, struct evbuffer *in, size_t off);

/* resp_inline.c */
int resp_step_inline(struct resp_parser *p, struct evbuffer *in,
    const struct resp_limits *lim, struct duet_err *err);

#endif /* DUET_RESP_INT_H */
