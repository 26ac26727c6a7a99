/* SPDX-License-Identifier: MIT */
/*
 * page - the HTML of GET /: a tool to call the commands and watch events
 * by hand.  It is static and written in daemon/page.html, which make turns
 * into daemon/page_html.inc (one C string literal per line) for this file.
 *
 * Its script reads GET /commands and builds, per command, a form with one
 * input per parameter typed from the signature (a number, a checkbox, a
 * text, a JSON text area), plugin commands first by plugin and the
 * built-ins folded at the end; a call is a POST of a JSON object of named
 * arguments, shown with its status and time.  Its events panel reads
 * GET /events/<channel> (or ?pattern=) as server-sent events through
 * fetch, and publishes with POST /publish/<channel>.  Every string from
 * the daemon goes into the page with textContent only, so no plugin
 * string is ever parsed as HTML.  With auth configured, the token field
 * keeps a token in the tab's sessionStorage only (never a cookie,
 * localStorage or a URL) and sends it as `Authorization: Bearer` with
 * every request, so the list shows what that user may call (SPEC 9.3).
 */
#include "autoconf.h"

#include "page.h"

const char page_html[] =
#include "page_html.inc"
    ;

const size_t page_html_len = sizeof(page_html) - 1;
