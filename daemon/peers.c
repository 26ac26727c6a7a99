/* SPDX-License-Identifier: MIT */
/*
 * peers - open connections per client address (see peers.h).  A chained
 * hash table of 4096 buckets, keyed with a random seed so that clients
 * cannot choose addresses that share a chain; an entry lives while its
 * address has a connection open, and each conn holds its entry.
 */
#include "autoconf.h"

#include <sys/random.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "peers.h"

#define PEERS_BUCKETS 4096 /* a power of two */

struct peers_entry {
	struct peers_entry *next; /* in its bucket */
	uint8_t addr[16];
	uint64_t count; /* connections open from addr */
};

static pthread_mutex_t peers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct peers_entry *peers_table[PEERS_BUCKETS]; /* owned entries */
static uint64_t peers_seed;
static int peers_seeded;

/* FNV-1a over the address, from a random seed.  Under peers_lock. */
static size_t
peers_hash(const uint8_t addr[16])
{
	uint64_t h;
	size_t i;

	if (!peers_seeded) {
		if (getrandom(&peers_seed, sizeof(peers_seed), 0) !=
		    sizeof(peers_seed))
			peers_seed = (uint64_t)(uintptr_t)&peers_seed;
		peers_seeded = 1;
	}
	h = 14695981039346656037ULL ^ peers_seed;
	for (i = 0; i < 16; i++) {
		h ^= addr[i];
		h *= 1099511628211ULL;
	}
	return (size_t)(h ^ (h >> 32)) & (PEERS_BUCKETS - 1);
}

static struct peers_entry *
peers_find(const uint8_t addr[16], size_t bucket)
{
	struct peers_entry *e;

	for (e = peers_table[bucket]; e != NULL; e = e->next)
		if (memcmp(e->addr, addr, 16) == 0)
			return e;
	return NULL;
}

/*
 * Counts one more connection from addr unless it already has max open
 * (any thread).  Returns the address's entry, which the connection
 * holds until peers_release, or NULL: over the limit, or out of memory
 * (both refuse the connection).
 */
struct peers_entry *
peers_acquire(const uint8_t addr[16], uint64_t max)
{
	struct peers_entry *e;
	size_t b;

	pthread_mutex_lock(&peers_lock);
	b = peers_hash(addr);
	if ((e = peers_find(addr, b)) == NULL &&
	    (e = calloc(1, sizeof(*e))) != NULL) {
		memcpy(e->addr, addr, 16);
		e->next = peers_table[b];
		peers_table[b] = e;
	}
	if (e != NULL && e->count >= max)
		e = NULL;
	else if (e != NULL)
		e->count++;
	pthread_mutex_unlock(&peers_lock);
	return e;
}

/*
 * Counts one connection less for e's address (any thread); the entry
 * goes with the address's last connection.  NULL is a no-op.
 */
void
peers_release(struct peers_entry *e)
{
	struct peers_entry **pp;

	if (e == NULL)
		return;
	pthread_mutex_lock(&peers_lock);
	if (--e->count == 0) {
		for (pp = &peers_table[peers_hash(e->addr)]; *pp != e;
		     pp = &(*pp)->next)
			;
		*pp = e->next;
		free(e);
	}
	pthread_mutex_unlock(&peers_lock);
}

/*
 * How many connections addr has open (as counted here: only while
 * max_connections_per_ip is set).
 */
uint64_t
peers_count(const uint8_t addr[16])
{
	struct peers_entry *e;
	uint64_t n;

	pthread_mutex_lock(&peers_lock);
	e = peers_find(addr, peers_hash(addr));
	n = e != NULL ? e->count : 0;
	pthread_mutex_unlock(&peers_lock);
	return n;
}
