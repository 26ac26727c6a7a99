/* SPDX-License-Identifier: MIT */
/*
 * kv - a Redis-compatible key-value store shared by every connection and
 * every worker thread: SET, GET, DEL, EXISTS and INCR with Redis's
 * semantics and error texts, under Redis's bare names, so redis-cli and
 * redis-benchmark work against it.  Keys and values are bytes: any octets,
 * NUL included.
 *
 * The plugin is THREADSAFE, so its handlers run on several workers at once
 * and do their own locking.  The store is split into KV_STRIPES stripes,
 * each a chained hash table behind its own rwlock: a key's hash picks its
 * stripe, so calls on different keys seldom wait for each other, and each
 * stripe grows on its own.  Keys are hashed with SipHash-1-3 under a random
 * key, as Redis does, so a client cannot pick keys that share one chain.
 *
 * Config (the plugin's `config:` map in duetd.yaml): `max_keys`, the most
 * keys the store holds; 0, the default, is no limit.  The data lives in
 * this loaded object only: after a reload the store starts empty.
 */
#include <sys/random.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <endian.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include <duet/plugin.h>

#define KV_STRIPE_BITS 6
#define KV_STRIPES     (1 << KV_STRIPE_BITS)
#define KV_MIN_BUCKETS 16 /* per stripe; always a power of two */

#define KV_ERR_NOT_INT  "value is not an integer or out of range"
#define KV_ERR_OVERFLOW "increment or decrement would overflow"

/* One key and its value, in the chain of its bucket. */
struct kv_entry {
	struct kv_entry *next; /* owned: the rest of the chain */
	uint64_t hash;
	char *val; /* owned */
	size_t vallen;
	size_t valcap; /* bytes allocated at val */
	size_t keylen;
	char key[]; /* keylen bytes, not NUL-terminated */
};

/*
 * One stripe: the keys whose hash ends in its index.  The read lock is
 * enough to look a key up; any change takes the write lock.  Aligned to a
 * cache line so that two stripes' locks never share one.
 */
struct kv_stripe {
	pthread_rwlock_t lock;
	struct kv_entry **buckets; /* owned: nbuckets chains, or NULL */
	size_t nbuckets;           /* 0 or a power of two */
	size_t count;              /* entries in this stripe */
} __attribute__((aligned(64)));

/* What storing a value can run into. */
enum kv_status {
	KV_OK,
	KV_NOMEM,
	KV_FULL,
};

static struct kv_stripe kv_stripes[KV_STRIPES];
static uint64_t kv_sipkey[2]; /* set by init, then only read */
static int64_t kv_max_keys;   /* set by init, then only read; 0: none */
static atomic_llong kv_nkeys; /* keys in all stripes together */

static inline uint64_t
kv_rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void
kv_sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = kv_rotl(v[1], 13) ^ v[0];
	v[0] = kv_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = kv_rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = kv_rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = kv_rotl(v[1], 17) ^ v[2];
	v[2] = kv_rotl(v[2], 32);
}

/*
 * SipHash-1-3 of len bytes at p under kv_sipkey (one compression round,
 * three finalisation rounds: the variant Redis uses for its dict).
 */
static uint64_t
kv_hash(const char *p, size_t len)
{
	uint64_t v[4] = {
	    0x736f6d6570736575ULL ^ kv_sipkey[0],
	    0x646f72616e646f6dULL ^ kv_sipkey[1],
	    0x6c7967656e657261ULL ^ kv_sipkey[0],
	    0x7465646279746573ULL ^ kv_sipkey[1],
	};
	uint64_t m;
	size_t i;

	/* Whole little-endian words, then the last one, which ends with the
	 * length's low byte. */
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		m = le64toh(m);
		v[3] ^= m;
		kv_sipround(v);
		v[0] ^= m;
	}
	m = (uint64_t)len << 56;
	switch (len - i) {
	case 7:
		m |= (uint64_t)(unsigned char)p[i + 6] << 48;
		/* FALLTHROUGH */
	case 6:
		m |= (uint64_t)(unsigned char)p[i + 5] << 40;
		/* FALLTHROUGH */
	case 5:
		m |= (uint64_t)(unsigned char)p[i + 4] << 32;
		/* FALLTHROUGH */
	case 4:
		m |= (uint64_t)(unsigned char)p[i + 3] << 24;
		/* FALLTHROUGH */
	case 3:
		m |= (uint64_t)(unsigned char)p[i + 2] << 16;
		/* FALLTHROUGH */
	case 2:
		m |= (uint64_t)(unsigned char)p[i + 1] << 8;
		/* FALLTHROUGH */
	case 1:
		m |= (uint64_t)(unsigned char)p[i];
	}
	v[3] ^= m;
	kv_sipround(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	kv_sipround(v);
	kv_sipround(v);
	kv_sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static struct kv_stripe *
kv_stripe_of(uint64_t hash)
{
	return &kv_stripes[hash & (KV_STRIPES - 1)];
}

/*
 * Finds a key in its stripe, whose lock the caller holds.  Returns the link
 * that points to the entry (so that it can be unlinked), or NULL.
 */
static struct kv_entry **
kv_find(struct kv_stripe *s, uint64_t hash, const char *key, size_t keylen)
{
	struct kv_entry **ep;

	if (s->nbuckets == 0)
		return NULL;
	ep = &s->buckets[(hash >> KV_STRIPE_BITS) & (s->nbuckets - 1)];
	for (; *ep != NULL; ep = &(*ep)->next) {
		if ((*ep)->hash == hash && (*ep)->keylen == keylen &&
		    (keylen == 0 || memcmp((*ep)->key, key, keylen) == 0))
			return ep;
	}
	return NULL;
}

/*
 * Doubles a stripe's bucket array (write lock held), keeping chains short
 * as keys arrive.  Returns 0, or -1 if out of memory.
 */
static int
kv_grow(struct kv_stripe *s)
{
	struct kv_entry **nb, *e, *next;
	size_t n, i, slot;

	n = s->nbuckets != 0 ? s->nbuckets * 2 : KV_MIN_BUCKETS;
	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return -1;
	for (i = 0; i < s->nbuckets; i++) {
		for (e = s->buckets[i]; e != NULL; e = next) {
			next = e->next;
			slot = (e->hash >> KV_STRIPE_BITS) & (n - 1);
			e->next = nb[slot];
			nb[slot] = e;
		}
	}
	free(s->buckets);
	s->buckets = nb;
	s->nbuckets = n;
	return 0;
}

/*
 * Adds a new key (write lock held), taking ownership of val on success.
 * The key counts against max_keys before anything is allocated.
 */
static enum kv_status
kv_insert(struct kv_stripe *s, uint64_t hash, const char *key, size_t keylen,
    char *val, size_t vallen)
{
	struct kv_entry *e, **head;

	if (atomic_fetch_add(&kv_nkeys, 1) >= kv_max_keys && kv_max_keys > 0) {
		atomic_fetch_sub(&kv_nkeys, 1);
		return KV_FULL;
	}
	/* A failed growth only makes chains longer, unless there are none. */
	if (s->count >= s->nbuckets && kv_grow(s) == -1 && s->nbuckets == 0)
		goto nomem;
	if ((e = malloc(sizeof(*e) + keylen)) == NULL)
		goto nomem;
	e->hash = hash;
	e->val = val;
	e->vallen = e->valcap = vallen;
	e->keylen = keylen;
	if (keylen > 0)
		memcpy(e->key, key, keylen);
	head = &s->buckets[(hash >> KV_STRIPE_BITS) & (s->nbuckets - 1)];
	e->next = *head;
	*head = e;
	s->count++;
	return KV_OK;
nomem:
	atomic_fetch_sub(&kv_nkeys, 1);
	return KV_NOMEM;
}

/*
 * Sets key, found at ep (or NULL: absent), to a copy of val (write lock
 * held), adding the key if needed.  A value that fits the old one's
 * allocation (and does not leave most of it unused) is copied in place.
 */
static enum kv_status
kv_store(struct kv_stripe *s, struct kv_entry **ep, uint64_t hash,
    const char *key, size_t keylen, const char *val, size_t vallen)
{
	struct kv_entry *e = ep != NULL ? *ep : NULL;
	enum kv_status st;
	char *copy;

	if (e != NULL && vallen <= e->valcap && e->valcap / 2 <= vallen + 32) {
		if (vallen > 0)
			memcpy(e->val, val, vallen);
		e->vallen = vallen;
		return KV_OK;
	}
	/* malloc(0) may return NULL, so an empty value still takes a byte. */
	if ((copy = malloc(vallen > 0 ? vallen : 1)) == NULL)
		return KV_NOMEM;
	if (vallen > 0)
		memcpy(copy, val, vallen);
	if (e != NULL) {
		free(e->val);
		e->val = copy;
		e->vallen = e->valcap = vallen;
		return KV_OK;
	}
	if ((st = kv_insert(s, hash, key, keylen, copy, vallen)) != KV_OK)
		free(copy);
	return st;
}

/*
 * Sets key to a copy of val (write lock held), adding the key if needed.
 */
static enum kv_status
kv_put(struct kv_stripe *s, uint64_t hash, const char *key, size_t keylen,
    const char *val, size_t vallen)
{
	return kv_store(
	    s, kv_find(s, hash, key, keylen), hash, key, keylen, val, vallen);
}

/* Answers with the outcome of kv_put(). */
static void
kv_reply_put(duet_call *call, enum kv_status st)
{
	switch (st) {
	case KV_OK:
		duet_reply_status(call, "OK", 2);
		break;
	case KV_FULL:
		duet_reply_error(call, "ERR", "max number of keys reached");
		break;
	case KV_NOMEM:
		duet_reply_error(call, "OOM", "out of memory");
		break;
	}
}

/* set key:bytes value:bytes -> status OK. */
static void
kv_set(duet_call *call)
{
	const char *key, *val;
	size_t keylen, vallen;
	struct kv_stripe *s;
	enum kv_status st;
	uint64_t hash;

	key = duet_arg_bytes(call, 0, &keylen);
	val = duet_arg_bytes(call, 1, &vallen);
	hash = kv_hash(key, keylen);
	s = kv_stripe_of(hash);
	pthread_rwlock_wrlock(&s->lock);
	st = kv_put(s, hash, key, keylen, val, vallen);
	pthread_rwlock_unlock(&s->lock);
	kv_reply_put(call, st);
}

/*
 * get key:bytes -> bytes, or nil.  The value is packed under the read
 * lock, straight from the store, instead of being copied out first.
 */
static void
kv_get(duet_call *call)
{
	struct kv_entry **ep;
	struct kv_stripe *s;
	const char *key;
	size_t keylen;
	uint64_t hash;

	key = duet_arg_bytes(call, 0, &keylen);
	hash = kv_hash(key, keylen);
	s = kv_stripe_of(hash);
	pthread_rwlock_rdlock(&s->lock);
	if ((ep = kv_find(s, hash, key, keylen)) != NULL)
		duet_reply_bytes(call, (*ep)->val, (*ep)->vallen);
	else
		duet_reply_nil(call);
	pthread_rwlock_unlock(&s->lock);
}

/*
 * Counts the keys of argument 0 that exist (a key named twice counts
 * twice, as in Redis), removing them when remove is set.  Each key takes
 * its stripe's lock on its own: write to remove, read to look.
 */
static int64_t
kv_count_keys(duet_call *call, int remove)
{
	const msgpack_object *keys = duet_arg(call, 0);
	struct kv_entry **ep, *e;
	struct kv_stripe *s;
	const char *key;
	int64_t n = 0;
	size_t keylen;
	uint64_t hash;
	uint32_t i;

	for (i = 0; i < keys->via.array.size; i++) {
		key = duet_obj_bytes(&keys->via.array.ptr[i], &keylen);
		hash = kv_hash(key, keylen);
		s = kv_stripe_of(hash);
		if (remove)
			pthread_rwlock_wrlock(&s->lock);
		else
			pthread_rwlock_rdlock(&s->lock);
		if ((ep = kv_find(s, hash, key, keylen)) != NULL) {
			n++;
			if (remove) {
				e = *ep;
				*ep = e->next;
				s->count--;
				atomic_fetch_sub(&kv_nkeys, 1);
				free(e->val);
				free(e);
			}
		}
		pthread_rwlock_unlock(&s->lock);
	}
	return n;
}

/*
 * del key... -> int: how many of the keys existed (and are now gone).
 */
static void
kv_del(duet_call *call)
{
	duet_reply_int(call, kv_count_keys(call, 1));
}

/*
 * exists key... -> int: how many of the keys exist.
 */
static void
kv_exists(duet_call *call)
{
	duet_reply_int(call, kv_count_keys(call, 0));
}

/*
 * Parses a stored value as Redis's string2ll() does: an optional minus,
 * then digits with no leading zero, and nothing else ("0" itself is fine,
 * "+1", " 1", "01" and "-0" are not).  Returns 0, or -1 if p is not an
 * integer or does not fit in 64 bits.
 */
static int
kv_parse_int(const char *p, size_t len, int64_t *out)
{
	uint64_t v = 0, limit = INT64_MAX, d;
	size_t i = 0;
	int neg = 0;

	if (len == 1 && p[0] == '0') {
		*out = 0;
		return 0;
	}
	if (len > 0 && p[0] == '-') {
		neg = 1;
		limit = (uint64_t)INT64_MAX + 1;
		i = 1;
	}
	if (i == len || p[i] < '1' || p[i] > '9')
		return -1;
	for (; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		d = (uint64_t)(p[i] - '0');
		if (v > (limit - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	/* Negate without overflow: INT64_MIN has no positive twin. */
	*out = neg ? -(int64_t)(v - 1) - 1 : (int64_t)v;
	return 0;
}

/*
 * Writes v in decimal at the start of text[24], as "%" PRId64 would.
 * Returns its length.
 */
static size_t
kv_format_int(char text[24], int64_t v)
{
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	char buf[24], *p = buf + sizeof(buf);

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	memcpy(text, p, (size_t)(buf + sizeof(buf) - p));
	return (size_t)(buf + sizeof(buf) - p);
}

/*
 * incr key:bytes -> int, the new value.  A missing key counts as 0; the
 * result is stored back as decimal text, as Redis does.  The whole
 * read-modify-write happens under the stripe's write lock.
 */
static void
kv_incr(duet_call *call)
{
	const char *key, *errmsg = NULL;
	struct kv_entry **ep;
	struct kv_stripe *s;
	enum kv_status st = KV_OK;
	char text[24];
	size_t keylen, len;
	uint64_t hash;
	int64_t v = 0;

	key = duet_arg_bytes(call, 0, &keylen);
	hash = kv_hash(key, keylen);
	s = kv_stripe_of(hash);
	pthread_rwlock_wrlock(&s->lock);
	ep = kv_find(s, hash, key, keylen);
	if (ep != NULL && kv_parse_int((*ep)->val, (*ep)->vallen, &v) == -1)
		errmsg = KV_ERR_NOT_INT;
	else if (__builtin_add_overflow(v, 1, &v))
		errmsg = KV_ERR_OVERFLOW;
	else {
		len = kv_format_int(text, v);
		st = kv_store(s, ep, hash, key, keylen, text, len);
	}
	pthread_rwlock_unlock(&s->lock);
	if (errmsg != NULL)
		duet_reply_error(call, "ERR", "%s", errmsg);
	else if (st != KV_OK)
		kv_reply_put(call, st);
	else
		duet_reply_int(call, v);
}

/* Whether a msgpack str is the NUL-terminated string s. */
static int
kv_str_is(const msgpack_object *o, const char *s)
{
	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
	    memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

/*
 * Reads the config map into the kv_* settings.  Unknown keys and wrong
 * types are errors, as everywhere in duetd.yaml.  Returns 0, or -1 with a
 * message in err.
 */
static int
kv_configure(const msgpack_object *config, char *err, size_t errlen)
{
	const msgpack_object *k, *v;
	uint32_t i;

	kv_max_keys = 0;
	if (config->type != MSGPACK_OBJECT_MAP) {
		snprintf(err, errlen, "config must be a map");
		return -1;
	}
	for (i = 0; i < config->via.map.size; i++) {
		k = &config->via.map.ptr[i].key;
		v = &config->via.map.ptr[i].val;
		if (!kv_str_is(k, "max_keys")) {
			if (k->type == MSGPACK_OBJECT_STR)
				snprintf(err, errlen,
				    "unknown config key '%.*s'",
				    (int)k->via.str.size, k->via.str.ptr);
			else
				snprintf(
				    err, errlen, "config keys must be strings");
			return -1;
		}
		if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    v->via.u64 > INT64_MAX) {
			snprintf(
			    err, errlen, "max_keys: expected an integer >= 0");
			return -1;
		}
		kv_max_keys = (int64_t)v->via.u64;
	}
	return 0;
}

/*
 * Picks a fresh SipHash key.  Without getrandom(2) entropy (very early at
 * boot), the clock and pid still make the key differ between runs.
 */
static void
kv_seed(void)
{
	struct timespec ts;

	if (getrandom(kv_sipkey, sizeof(kv_sipkey), GRND_NONBLOCK) ==
	    (ssize_t)sizeof(kv_sipkey))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	kv_sipkey[0] = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)getpid();
	kv_sipkey[1] = (uint64_t)ts.tv_nsec ^ (uintptr_t)&ts;
}

/*
 * init: reads the config and prepares an empty store.  Runs once per load,
 * before any handler.  Returns 0, or -1 with a message in err.
 */
static int
kv_init(const msgpack_object *config, char *err, size_t errlen)
{
	int i;

	if (kv_configure(config, err, errlen) == -1)
		return -1;
	kv_seed();
	atomic_store(&kv_nkeys, 0);
	for (i = 0; i < KV_STRIPES; i++) {
		if (pthread_rwlock_init(&kv_stripes[i].lock, NULL) != 0) {
			while (--i >= 0)
				pthread_rwlock_destroy(&kv_stripes[i].lock);
			snprintf(err, errlen, "cannot create locks");
			return -1;
		}
	}
	return 0;
}

/*
 * fini: frees every key and value.  Runs once, when the last call of this
 * loaded generation has returned, so no lock is needed any more.
 */
static void
kv_fini(void)
{
	struct kv_entry *e, *next;
	struct kv_stripe *s;
	size_t i, j;

	for (i = 0; i < KV_STRIPES; i++) {
		s = &kv_stripes[i];
		for (j = 0; j < s->nbuckets; j++) {
			for (e = s->buckets[j]; e != NULL; e = next) {
				next = e->next;
				free(e->val);
				free(e);
			}
		}
		free(s->buckets);
		s->buckets = NULL;
		s->nbuckets = 0;
		s->count = 0;
		pthread_rwlock_destroy(&s->lock);
	}
	atomic_store(&kv_nkeys, 0);
}

/* The command table ends with an entry whose name is NULL. */
static const struct duet_command kv_commands[] = {
    {
        .name = "set",
        .args = "key:bytes value:bytes",
        .reply = "status",
        .summary = "Sets a key to a value.",
        .handler = kv_set,
    },
    {
        .name = "get",
        .args = "key:bytes",
        .reply = "bytes",
        .summary = "Returns the value of a key, or nil if it is missing.",
        .flags = DUET_READONLY,
        .handler = kv_get,
    },
    {
        .name = "del",
        .args = "key:bytes...",
        .reply = "int",
        .summary = "Removes keys; returns how many existed.",
        .handler = kv_del,
    },
    {
        .name = "incr",
        .args = "key:bytes",
        .reply = "int",
        .summary = "Adds one to the integer value of a key.",
        .handler = kv_incr,
    },
    {
        .name = "exists",
        .args = "key:bytes...",
        .reply = "int",
        .summary = "Counts the keys that exist (repeats count again).",
        .flags = DUET_READONLY,
        .handler = kv_exists,
    },
    {.name = NULL},
};

DUET_PLUGIN = {
    DUET_PLUGIN_HEADER,
    .name = "kv",
    .version = "1.0.0",
    .flags = DUET_THREADSAFE,
    .commands = kv_commands,
    .init = kv_init,
    .fini = kv_fini,
};
