/* SPDX-License-Identifier: MIT */
/*
 * http_int - what the parts of the HTTP request parser share: http.c
 * drives the parse and reads what the head says, http_scan.c finds where a
 * head ends.  Not for other modules: they use http.h.
 */
#ifndef DUET_HTTP_INT_H
#define DUET_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "http.h"
#include "util.h"

/*
 * Fails the parse with an HTTP status and a short message.  Returns
 * HTTP_PARSE_ERROR so callers can return it directly.
 */
static inline int
http_fail(struct duet_err *err, int status, const char *msg)
{
	util_err_set(err, "ERR", "%s", msg);
	if (err != NULL)
		err->status = status;
	return HTTP_PARSE_ERROR;
}

int http_scan(struct http_parser *p, struct evbuffer *in, size_t max,
    uint32_t win0, size_t *end, struct duet_err *err);

#endif /* DUET_HTTP_INT_H */
