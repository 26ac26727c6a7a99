/* SPDX-License-Identifier: MIT */
/*
 * page - the daemon's own web page at GET /: a static HTML document whose
 * script reads GET /commands and builds a typed form per command that
 * POSTs JSON arguments (same origin, so the browser checks let it
 * through), and an events panel on GET /events/ and POST /publish/.
 */
#ifndef DUET_PAGE_H
#define DUET_PAGE_H

#include <stddef.h>

extern const char page_html[];
extern const size_t page_html_len;

#endif /* DUET_PAGE_H */
