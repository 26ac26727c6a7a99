/* SPDX-License-Identifier: MIT */
/*
 * hiredis_field - reading a RESP2 map reply (a flat array of key, value)
 * with hiredis, for the integration tests that use hiredis.
 */
#ifndef DUET_TEST_HIREDIS_FIELD_H
#define DUET_TEST_HIREDIS_FIELD_H

#include <string.h>

#include <check.h>
#include <hiredis/hiredis.h>

/* The value after key in a flat RESP2 map reply, or NULL. */
static inline redisReply *
hiredis_field(const redisReply *map, const char *key)
{
	size_t i;

	ck_assert_int_eq(map->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(map->elements % 2, 0);
	for (i = 0; i + 1 < map->elements; i += 2) {
		if (map->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(map->element[i]->str, key) == 0)
			return map->element[i + 1];
	}
	return NULL;
}

#endif /* DUET_TEST_HIREDIS_FIELD_H */
