/* SPDX-License-Identifier: MIT */
/*
 * fuzz_link - libFuzzer entry for a node's command descriptors (SPEC 11:
 * LINK REGISTER's JSON, links.c's link_set_commands).  The input is the
 * JSON text.  Properties: it is refused with a reason, or every command
 * is named "n.<name>" in lower case, once, with a parsed signature whose
 * text parses again, only the readonly flag kept; and once published,
 * each is found by name in the table, in any case, and is gone after the
 * link is withdrawn.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <msgpack.h>

#include "convert.h"
#include "fuzz.h"
#include "links.h"
#include "registry.h"
#include "signature.h"
#include "util.h"

static void
fuzz_link_handler(duet_call *call)
{
	(void)call;
}

static void
fuzz_link_check(struct link *l)
{
	struct link_table *t;
	char upper[REGISTRY_NAME_MAX + 1];
	struct duet_err err;
	struct sig *again;
	size_t i, j;

	for (i = 0; i < l->ncommands; i++) {
		const struct command *c = &l->commands[i];

		FUZZ_CHECK(c->namelen == strlen(c->name));
		FUZZ_CHECK(c->namelen > 2 && strncmp(c->name, "n.", 2) == 0);
		for (j = 0; j < c->namelen; j++)
			FUZZ_CHECK(!isupper((unsigned char)c->name[j]));
		FUZZ_CHECK((c->flags & ~(unsigned)DUET_READONLY) == 0);
		FUZZ_CHECK(c->link == l && c->handler == fuzz_link_handler);
		FUZZ_CHECK(c->sig != NULL);
		again = sig_parse(c->args, &err);
		FUZZ_CHECK(again != NULL);
		FUZZ_CHECK(again->nparams == c->sig->nparams);
		sig_free(again);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(l->commands[j].name, c->name) != 0);
	}
	FUZZ_CHECK(link_publish(l, NULL) == 0);
	t = link_table_refresh(NULL);
	for (i = 0; i < l->ncommands; i++) {
		const struct command *c = &l->commands[i];

		for (j = 0; j < c->namelen; j++)
			upper[j] = (char)toupper((unsigned char)c->name[j]);
		FUZZ_CHECK(link_lookup(t, c->name, c->namelen) == c);
		FUZZ_CHECK(link_lookup(t, upper, c->namelen) == c);
	}
	FUZZ_CHECK(link_withdraw(l) == 0);
	t = link_table_refresh(t);
	for (i = 0; i < l->ncommands; i++)
		FUZZ_CHECK(link_lookup(t, l->commands[i].name,
		               l->commands[i].namelen) == NULL);
	link_table_unref(t);
}

/*
 * The libFuzzer entry point.  Always returns 0.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	struct duet_err err;
	struct link *l;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&u);
	if (convert_json_to_msgpack(&pk, (const char *)data, size,
	        CONVERT_MAX_NESTING, &err) == 0 &&
	    msgpack_unpack_next(&u, sb.data, sb.size, NULL) ==
	        MSGPACK_UNPACK_SUCCESS) {
		l = link_new("n", LINK_SIDE_HUB);
		FUZZ_CHECK(l != NULL);
		memset(&err, 0, sizeof(err));
		if (link_set_commands(
		        l, &u.data, NULL, 0, fuzz_link_handler, &err) == 0)
			fuzz_link_check(l);
		else
			FUZZ_CHECK(err.msg[0] != '\0');
		link_unref(l);
	}
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	return 0;
}
