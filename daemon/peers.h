/* SPDX-License-Identifier: MIT */
/*
 * peers - how many connections each client address has open, for
 * limits.max_connections_per_ip: a process-wide table under one mutex,
 * touched only when a worker accepts a connection and when the conn
 * closes, never per request.  An address is counted in its IPv6 form
 * (cidr.h), so a v4 peer and its v4-mapped form are one address.
 * Layer L1 (state).
 */
#ifndef DUET_PEERS_H
#define DUET_PEERS_H

#include <stdint.h>

struct peers_entry;

struct peers_entry *peers_acquire(const uint8_t addr[16], uint64_t max);
void peers_release(struct peers_entry *e);
uint64_t peers_count(const uint8_t addr[16]);

#endif /* DUET_PEERS_H */
