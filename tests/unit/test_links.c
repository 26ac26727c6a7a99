/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for links.c and link_call.c's wire (SPEC 11): a node's
 * descriptors made into "<as>.<command>" commands (signatures rebuilt from
 * GET /commands' args, defaults, variadics, optionals; only readonly
 * kept; import globs), every refusal with its text; the table of linked
 * commands (published, found in any case, the same snapshot while nothing
 * changes, replaced and withdrawn); the hub's grace for a down link; a
 * call queued only while its link is up; and the ids of calls in flight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "convert.h"
#include "link_call.h"
#include "links.h"
#include "registry.h"
#include "signature.h"
#include "util.h"

static void
lt_handler(duet_call *call)
{
	(void)call;
}

/* link_set_commands on the descriptors JSON; returns its result. */
static int
lt_set(struct link *l, const char *json, char *const *globs, size_t nglobs,
    struct duet_err *err)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	int rv;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(convert_json_to_msgpack(
	                     &pk, json, strlen(json), CONVERT_MAX_NESTING, err),
	    0);
	ck_assert_int_eq(msgpack_unpack_next(&u, sb.data, sb.size, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	memset(err, 0, sizeof(*err));
	rv = link_set_commands(l, &u.data, globs, nglobs, lt_handler, err);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	return rv;
}

#define P(name, type, opt, var)                                                \
	"{\"name\":\"" name "\",\"type\":\"" type "\",\"optional\":" opt       \
	",\"variadic\":" var "}"

START_TEST(test_links_descriptors)
{
	static const char json[] =
	    "[{\"name\":\"Add\",\"plugin\":\"math\",\"args\":[" P(
	        "a", "int", "false", "false") "," P("b", "int", "false",
	        "false") "],\"reply\":\"int\",\"summary\":\"a + b\","
	                 "\"flags\":[\"public\",\"readonly\",\"blocking\"]},"
	                 "{\"name\":\"sum\",\"args\":[" P("nums", "float",
	                     "false",
	                     "true") "],\"reply\":\"float\"},"
	                             "{\"name\":\"repeat\",\"args\":[" P("word",
	                                 "str", "false",
	                                 "false") ",{\"name\":\"times\","
	                                          "\"type\":\"int\","
	                                          "\"optional\":true,"
	                                          "\"variadic\":false,"
	                                          "\"default\":1}],"
	                                          "\"flags\":[\"stream\"]},"
	                                          "{\"name\":\"opt\","
	                                          "\"args\":[" P("m", "map",
	                                              "true", "false") "]}]";
	struct link *l = link_new("fs", LINK_SIDE_HUB);
	struct duet_err err;

	ck_assert_int_eq(lt_set(l, json, NULL, 0, &err), 0);
	ck_assert_uint_eq(l->ncommands, 4);
	ck_assert_str_eq(l->commands[0].name, "fs.add");
	ck_assert_uint_eq(l->commands[0].namelen, 6);
	ck_assert_str_eq(l->commands[0].args, "a:int b:int");
	ck_assert_str_eq(l->commands[0].reply, "int");
	ck_assert_str_eq(l->commands[0].summary, "a + b");
	ck_assert_uint_eq(l->commands[0].flags, DUET_READONLY);
	ck_assert_int_eq(l->commands[0].arity, 3);
	ck_assert_ptr_eq(l->commands[0].link, l);
	ck_assert_ptr_null(l->commands[0].plugin);
	ck_assert_str_eq(l->commands[1].args, "nums:float...");
	ck_assert_str_eq(l->commands[1].summary, "");
	ck_assert_str_eq(l->commands[2].args, "word:str times:int=1");
	ck_assert_str_eq(l->commands[2].reply, "any");
	ck_assert_uint_eq(l->commands[2].flags, 0);
	ck_assert_str_eq(l->commands[3].args, "m:map?");
	link_unref(l);
}
END_TEST

START_TEST(test_links_descriptors_globs)
{
	static const char json[] =
	    "[{\"name\":\"files.cat\"},{\"name\":\"files.ls\"},"
	    "{\"name\":\"admin.kill\"}]";
	char *globs[] = {"files.*"};
	struct link *l = link_new("hub", LINK_SIDE_NODE);
	struct duet_err err;

	ck_assert_int_eq(lt_set(l, json, globs, 1, &err), 0);
	ck_assert_uint_eq(l->ncommands, 2);
	ck_assert_str_eq(l->commands[0].name, "hub.files.cat");
	ck_assert_str_eq(l->commands[1].name, "hub.files.ls");
	/* No globs given (NULL) takes all; an empty list takes none. */
	ck_assert_int_eq(lt_set(l, json, globs, 0, &err), 0);
	ck_assert_uint_eq(l->ncommands, 0);
	link_unref(l);
}
END_TEST

START_TEST(test_links_descriptors_refused)
{
	static const struct {
		const char *json, *msg;
	} cases[] = {
	    {"{\"name\":\"x\"}", "descriptors must be a JSON array"},
	    {"[1]", "a descriptor has no valid name"},
	    {"[{\"name\":\"a b\"}]", "a descriptor has no valid name"},
	    {"[{\"name\":\"a/b\"}]", "a descriptor has no valid name"},
	    {"[{\"name\":\"\"}]", "a descriptor has no valid name"},
	    {"[{\"name\":\"x\",\"args\":[{\"name\":1}]}]",
	        "command 'fs.x': bad args"},
	    {"[{\"name\":\"x\",\"args\":{}}]", "command 'fs.x': bad args"},
	    {"[{\"name\":\"x\",\"args\":[" P(
	         "a", "nosuch", "false", "false") "]}]",
	        "command 'fs.x': unknown type 'nosuch' for argument 'a'"},
	    {"[{\"name\":\"x\",\"args\":[{\"name\":\"a\",\"type\":\"int\","
	     "\"default\":[1]}]}]",
	        "command 'fs.x': bad args"},
	    {"[{\"name\":\"x\",\"reply\":7}]",
	        "command 'fs.x': bad reply or summary"},
	    {"[{\"name\":\"x\"},{\"name\":\"X\"}]",
	        "command 'fs.x' is declared twice"},
	};
	struct link *l = link_new("fs", LINK_SIDE_HUB);
	struct duet_err err;
	char big[4200 * 20 + 3];
	size_t i, n = 0;

	ck_assert_int_eq(lt_set(l, "[{\"name\":\"keep\"}]", NULL, 0, &err), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(lt_set(l, cases[i].json, NULL, 0, &err) == -1,
		    "%s", cases[i].json);
		ck_assert_str_eq(err.msg, cases[i].msg);
		/* Whole or not at all: the link keeps what it had. */
		ck_assert_uint_eq(l->ncommands, 1);
		ck_assert_str_eq(l->commands[0].name, "fs.keep");
	}
	big[n++] = '[';
	for (i = 0; i < LINK_MAX_COMMANDS + 1; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "%s{\"name\":\"c%zu\"}", i > 0 ? "," : "", i);
	big[n++] = ']';
	big[n] = '\0';
	ck_assert_int_eq(lt_set(l, big, NULL, 0, &err), -1);
	ck_assert_str_eq(err.msg,
	    "4097 commands: a link may register at most "
	    "4096");
	memset(big, 'a', 200);
	snprintf(big, sizeof(big), "[{\"name\":\"%.*s\"}]", 200,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaa");
	ck_assert_int_eq(lt_set(l, big, NULL, 0, &err), -1);
	ck_assert_str_eq(err.msg,
	    "command name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is too long");
	link_unref(l);
}
END_TEST

START_TEST(test_links_table)
{
	struct link *a = link_new("fs", LINK_SIDE_HUB);
	struct link *b = link_new("fs", LINK_SIDE_HUB);
	struct link_table *t, *t2;
	struct duet_err err;
	const struct command *out[4];

	ck_assert_int_eq(
	    lt_set(a, "[{\"name\":\"cat\"},{\"name\":\"ls\"}]", NULL, 0, &err),
	    0);
	ck_assert_int_eq(lt_set(b, "[{\"name\":\"cat\"}]", NULL, 0, &err), 0);
	ck_assert_int_eq(link_publish(a, NULL), 0);
	t = link_table_refresh(NULL);
	ck_assert_ptr_nonnull(t);
	/* Nothing changed: the same snapshot, no lock taken. */
	ck_assert_ptr_eq(link_table_refresh(t), t);
	ck_assert_ptr_eq(link_lookup(t, "fs.cat", 6), &a->commands[0]);
	ck_assert_ptr_eq(link_lookup(t, "FS.LS", 5), &a->commands[1]);
	ck_assert_ptr_null(link_lookup(t, "fs.rm", 5));
	ck_assert_ptr_null(link_lookup(t, "", 0));
	ck_assert_uint_eq(link_table_commands(t, out, 4, time(NULL)), 2);
	/* A hub's link that is down stays callable for the grace. */
	link_up(a, NULL, NULL, "127.0.0.1:1");
	ck_assert(link_visible(a, time(NULL)));
	{
		struct link_jobs unsent = TAILQ_HEAD_INITIALIZER(unsent);

		link_down(a, "gone", &unsent);
		ck_assert(TAILQ_EMPTY(&unsent));
	}
	ck_assert(link_visible(a, time(NULL)));
	ck_assert(!link_visible(a, time(NULL) + LINK_GRACE_SEC));
	ck_assert_str_eq(a->error, "gone");
	ck_assert_ptr_eq(link_find("fs"), a);
	link_unref(a); /* link_find's */
	/* The node comes back: the new link takes the old one's place. */
	ck_assert_int_eq(link_publish(b, a), 0);
	t2 = link_table_refresh(t);
	ck_assert_ptr_ne(t2, NULL);
	ck_assert_ptr_eq(link_lookup(t2, "fs.cat", 6), &b->commands[0]);
	ck_assert_ptr_null(link_lookup(t2, "fs.ls", 5));
	ck_assert_int_eq(link_withdraw(b), 0);
	t2 = link_table_refresh(t2);
	ck_assert_ptr_null(link_lookup(t2, "fs.cat", 6));
	ck_assert_ptr_null(link_find("fs"));
	link_table_unref(t2);
	link_unref(a);
	link_unref(b);
}
END_TEST

START_TEST(test_links_queue_only_up)
{
	struct link *l = link_new("hub", LINK_SIDE_NODE);
	struct link_job *job = calloc(1, sizeof(*job));
	struct link_jobs jobs = TAILQ_HEAD_INITIALIZER(jobs);

	ck_assert_int_eq(link_queue(l, job), -1);
	ck_assert_uint_eq(link_take(l, &jobs), 0);
	/* A node's link is always visible: a down one answers LINKDOWN. */
	ck_assert(link_visible(l, time(NULL) + 3600));
	link_job_free(job);
	link_unref(l);
}
END_TEST

START_TEST(test_links_wire_ids)
{
	struct link_job jobs[40];
	struct link_wire w;
	uint64_t id;
	size_t i;

	link_wire_init(&w);
	for (i = 0; i < 40; i++) {
		id = link_wire_add(&w, &jobs[i]);
		ck_assert_uint_eq(id, i + 1);
	}
	ck_assert_uint_eq(w.live, 40);
	/* Answers in any order; each id once. */
	ck_assert_ptr_eq(link_wire_take(&w, 7), &jobs[6]);
	ck_assert_ptr_null(link_wire_take(&w, 7));
	ck_assert_ptr_eq(link_wire_take(&w, 1), &jobs[0]);
	ck_assert_ptr_null(link_wire_take(&w, 0));
	ck_assert_ptr_null(link_wire_take(&w, 41));
	for (i = 2; i <= 40; i++)
		if (i != 7)
			ck_assert_ptr_eq(link_wire_take(&w, i), &jobs[i - 1]);
	ck_assert_uint_eq(w.live, 0);
	/* Ids go on from where they were after the ring emptied. */
	ck_assert_uint_eq(link_wire_add(&w, &jobs[0]), 41);
	ck_assert_ptr_eq(link_wire_take(&w, 41), &jobs[0]);
	free(w.v);
}
END_TEST

static Suite *
links_suite(void)
{
	Suite *s = suite_create("links");
	TCase *tc = tcase_create("links");

	tcase_add_test(tc, test_links_descriptors);
	tcase_add_test(tc, test_links_descriptors_globs);
	tcase_add_test(tc, test_links_descriptors_refused);
	tcase_add_test(tc, test_links_table);
	tcase_add_test(tc, test_links_queue_only_up);
	tcase_add_test(tc, test_links_wire_ids);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(links_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
