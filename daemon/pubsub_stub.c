/* SPDX-License-Identifier: MIT */
/*
 * pubsub_stub - XXX(issue 13): a stand-in for the core's pubsub.c so the
 * rules branch links before the core is merged; deleted on that merge.
 */
#include "autoconf.h"

#include <stddef.h>

#include "pubsub.h"

/* Reaches nobody. */
long
pubsub_publish(
    const char *channel, size_t chlen, const char *value, size_t vlen)
{
	(void)channel;
	(void)chlen;
	(void)value;
	(void)vlen;
	return 0;
}
