/* SPDX-License-Identifier: MIT */
/*
 * conn_state - L3 calls: the memory a plugin keeps per connection
 * (duet_conn_state, SPEC section 9.6), and the plugin's conn_close hook
 * when the connection goes.  The conn (L2) holds the list as an opaque
 * pointer and calls the fini this module installs; it never names a
 * plugin.
 */
#ifndef DUET_CONN_STATE_H
#define DUET_CONN_STATE_H

#include <stddef.h>

#include <duet/plugin.h>

struct conn;
struct plugin;

void *conn_state_get(struct conn *c, struct plugin *p, size_t size);
void *conn_state_host(duet_call *call, size_t size);
void *conn_state_own(struct conn *c, const void *key, size_t size,
    void (*close)(void *mem));
void *conn_state_find(struct conn *c, const void *key);

#endif /* DUET_CONN_STATE_H */
