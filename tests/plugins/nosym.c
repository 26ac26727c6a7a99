/* SPDX-License-Identifier: MIT */
/*
 * nosym - a test-only shared object that is not a plugin: it exports a
 * function but no `duet_plugin` descriptor, so loading it must fail with a
 * clear error naming the missing symbol.
 */
#include <msgpack.h>

#include <duet/plugin.h>

DUET_API int nosym_answer(void);

/*
 * The one exported symbol, so the object is a well-formed library with
 * something in its dynamic symbol table, just not the descriptor.
 */
DUET_API int
nosym_answer(void)
{
	return 42;
}
