/* SPDX-License-Identifier: MIT */
/*
 * link_frame - L0: the frames the dialling end of a link writes, and the
 * reply_writer that answers the other end's calls (link_frame.c).
 */
#ifndef DUET_LINK_FRAME_H
#define DUET_LINK_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/* Appends a string literal, without its NUL. */
#define LINK_FRAME_LIT(out, lit) evbuffer_add((out), (lit), sizeof(lit) - 1)

void link_frame_call(struct evbuffer *out, uint64_t id, const char *name,
    size_t namelen, const char *args, size_t arglen);
void link_frame_mp(struct evbuffer *out, int bin, const void *p, size_t len);
void link_frame_mp_cstr(struct evbuffer *out, const char *s);

extern const struct reply_writer link_frame_writer;

#endif /* DUET_LINK_FRAME_H */
