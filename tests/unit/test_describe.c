/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of describe.c (and openapi.c's path item, built from it):
 * one command of a small registry generation, described as COMMAND INFO,
 * COMMAND DOCS, GET /commands and OpenAPI, each asserted as the exact JSON
 * text of its msgpack; and listings through a filter (the commands a
 * caller may call, and the linked commands after the generation's).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <msgpack.h>

#include "config.h"
#include "convert.h"
#include "describe.h"
#include "links.h"
#include "metrics.h"
#include "openapi.h"
#include "registry.h"
#include "signature.h"
#include "util.h"

static void
test_handler(duet_call *call)
{
	(void)call;
}

static const struct duet_command test_table[] = {
    {"repeat", "word:str times:int=1", "str", "Repeats a word", DUET_READONLY,
        test_handler},
    {"quit", "", "status", "Closes the connection",
        DUET_PUBLIC | REGISTRY_CONNECTION, test_handler},
    {"sum", "nums:float...", "float", "Adds numbers", DUET_BLOCKING,
        test_handler},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

/* A generation of test_table, the only one of these tests. */
static struct registry *test_reg;
static struct config *test_cf;
static char test_dir[32];

static void
test_setup(void)
{
	int nerrors;

	snprintf(test_dir, sizeof(test_dir), "/tmp/duet-describe-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	test_cf = calloc(1, sizeof(*test_cf));
	ck_assert_ptr_nonnull(test_cf);
	test_cf->file = strdup("test.yaml");
	test_cf->plugin_dir = strdup(test_dir);
	test_cf->plugin_dir_line = 1;
	test_reg = registry_build(test_cf, NULL, test_table, &nerrors);
	ck_assert_ptr_nonnull(test_reg);
	ck_assert_int_eq(nerrors, 0);
}

static void
test_teardown(void)
{
	registry_unref(test_reg);
	config_free(test_cf);
	rmdir(test_dir);
	metrics_shutdown();
}

typedef void (*test_pack_fn)(msgpack_packer *pk, const struct command *cmd);

/*
 * Packs cmd with fn, inside a map of one entry when fn packs a key and its
 * value (COMMAND DOCS, OpenAPI paths), and asserts the JSON text of it.
 */
static void
test_json_eq(test_pack_fn fn, const char *name, int keyed, const char *want)
{
	const struct command *cmd =
	    registry_lookup(test_reg, name, strlen(name));
	struct evbuffer *mp = evbuffer_new(), *json = evbuffer_new();
	msgpack_unpacked u;
	msgpack_packer pk;
	struct duet_err err;
	size_t off = 0;

	ck_assert_ptr_nonnull(cmd);
	convert_packer_init(&pk, mp);
	if (keyed)
		msgpack_pack_map(&pk, 1);
	fn(&pk, cmd);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(
	    msgpack_unpack_next(&u, (const char *)evbuffer_pullup(mp, -1),
	        evbuffer_get_length(mp), &off),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(off, evbuffer_get_length(mp));
	ck_assert_int_eq(
	    convert_msgpack_to_json(json, &u.data, 1 << 20, &err), 0);
	evbuffer_add(json, "", 1);
	ck_assert_str_eq((const char *)evbuffer_pullup(json, -1), want);
	msgpack_unpacked_destroy(&u);
	evbuffer_free(json);
	evbuffer_free(mp);
}

START_TEST(test_describe_command_info)
{
	test_json_eq(describe_info, "repeat", 0,
	    "[\"repeat\",-2,[\"readonly\"],0,0,0,[],[],[],[]]");
	test_json_eq(describe_info, "quit", 0,
	    "[\"quit\",1,[\"write\",\"no_auth\"],0,0,0,[],[],[],[]]");
}
END_TEST

START_TEST(test_describe_command_docs)
{
	test_json_eq(describe_doc, "repeat", 1,
	    "{\"repeat\":{\"summary\":\"Repeats a "
	    "word\",\"since\":\"" PACKAGE_VERSION
	    "\",\"group\":\"server\",\"arguments\":[{\"name\":\"word\","
	    "\"type\":\"string\"},{\"name\":\"times=1\",\"type\":\"integer\","
	    "\"flags\":[\"optional\"]}]}}");
	test_json_eq(describe_doc, "sum", 1,
	    "{\"sum\":{\"summary\":\"Adds "
	    "numbers\",\"since\":\"" PACKAGE_VERSION
	    "\",\"group\":\"server\",\"arguments\":[{\"name\":\"nums\","
	    "\"type\":\"double\",\"flags\":[\"multiple\"]}]}}");
}
END_TEST

START_TEST(test_describe_commands_descriptor)
{
	test_json_eq(describe_command, "repeat", 0,
	    "{\"name\":\"repeat\",\"plugin\":null,\"args\":[{\"name\":\"word\","
	    "\"type\":\"str\",\"optional\":false,\"variadic\":false},"
	    "{\"name\":\"times\",\"type\":\"int\",\"optional\":true,"
	    "\"variadic\":false,\"default\":1}],\"reply\":\"str\","
	    "\"summary\":\"Repeats a word\",\"usage\":\"repeat word:str "
	    "[times:int=1]\",\"flags\":[\"readonly\"]}");
	test_json_eq(describe_command, "quit", 0,
	    "{\"name\":\"quit\",\"plugin\":null,\"args\":[],\"reply\":"
	    "\"status\",\"summary\":\"Closes the connection\",\"usage\":"
	    "\"quit\",\"flags\":[\"public\",\"connection\"]}");
}
END_TEST

/* The error responses of every OpenAPI operation, and their content. */
#define TEST_ERROR_CONTENT                                                     \
	"\"content\":{\"application/json\":{\"schema\":{\"$ref\":"             \
	"\"#/components/schemas/Error\"}},\"application/msgpack\":{"           \
	"\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}"
#define TEST_ERRORS                                                            \
	"\"4XX\":{\"description\":\"The request was refused: bad arguments "   \
	"or request (400), unknown command (404), wrong method (405), too "    \
	"large (413), wrong media type (415), or the command's own error "     \
	"with the status it chose\"," TEST_ERROR_CONTENT "},\"5XX\":{"         \
	"\"description\":\"The command failed: the command's own error "       \
	"(500, or the status it chose), or too busy "                          \
	"(503)\"," TEST_ERROR_CONTENT "}"
/* repeat's responses: a str reply as JSON or msgpack. */
#define TEST_REPEAT_RESPONSES                                                  \
	"\"responses\":{\"200\":{\"description\":\"The reply: JSON, or "       \
	"msgpack with Accept: application/msgpack\",\"content\":{"             \
	"\"application/json\":{\"schema\":{\"type\":\"string\"}},"             \
	"\"application/"                                                       \
	"msgpack\":{\"schema\":{\"type\":\"string\"}}}}," TEST_ERRORS "}"
/* repeat's body: [word, times] or {"word": ..., "times": ...}. */
#define TEST_REPEAT_BODY                                                       \
	"{\"schema\":{\"oneOf\":[{\"type\":\"array\",\"prefixItems\":["        \
	"{\"type\":\"string\"},{\"type\":\"integer\",\"default\":1}],"         \
	"\"minItems\":1,\"items\":false},{\"type\":\"object\",\"properties\":" \
	"{\"word\":{\"type\":\"string\"},\"times\":{\"type\":\"integer\","     \
	"\"default\":1}},\"required\":[\"word\"],\"additionalProperties\":"    \
	"false}]}}"

START_TEST(test_describe_openapi_path)
{
	test_json_eq(openapi_pack_path, "repeat", 1,
	    "{\"/repeat\":{\"post\":{\"operationId\":\"repeat\",\"summary\":"
	    "\"Repeats a word\",\"requestBody\":{\"content\":{"
	    "\"application/json\":" TEST_REPEAT_BODY
	    ",\"application/msgpack\":" TEST_REPEAT_BODY
	    "}}," TEST_REPEAT_RESPONSES "},\"get\":{"
	    "\"operationId\":\"get_repeat\",\"summary\":\"Repeats a word\","
	    "\"parameters\":[{\"name\":\"word\",\"in\":\"query\",\"required\":"
	    "true,\"schema\":{\"type\":\"string\"}},{\"name\":\"times\",\"in\":"
	    "\"query\",\"required\":false,\"schema\":{\"type\":\"integer\","
	    "\"default\":1}}]," TEST_REPEAT_RESPONSES "}}}");
}
END_TEST

START_TEST(test_describe_param_schemas)
{
	const struct command *sum = registry_lookup(test_reg, "sum", 3);
	struct evbuffer *mp = evbuffer_new();
	msgpack_packer pk;

	/* A variadic parameter is an array of its type. */
	convert_packer_init(&pk, mp);
	describe_param_schema(&pk, &sum->sig->params[0]);
	ck_assert_uint_eq(evbuffer_get_length(mp), 31);
	ck_assert_mem_eq(evbuffer_pullup(mp, -1),
	    "\x82\xa4type\xa5"
	    "array\xa5items\x81\xa4type\xa6number",
	    31);
	evbuffer_free(mp);
}
END_TEST

START_TEST(test_describe_http_leaves_out_connection_builtins)
{
	ck_assert_int_eq(
	    describe_http(registry_lookup(test_reg, "repeat", 6)), 1);
	ck_assert_int_eq(
	    describe_http(registry_lookup(test_reg, "quit", 4)), 0);
	ck_assert_str_eq(describe_schema_type(SIG_FLOAT), "number");
	ck_assert_ptr_null(describe_schema_type(SIG_ANY));
	ck_assert_ptr_null(describe_schema_type((enum sig_type)99));
}
END_TEST

/* describe_filter.shows: only the command *arg. */
static int
test_shows_one(const void *arg, const struct command *cmd)
{
	return cmd == *(const struct command *const *)arg;
}

/* The JSON text of what pack writes for test_reg through filter f. */
static char *
test_listing(void (*pack)(msgpack_packer *, const struct registry *,
                 const struct describe_filter *),
    const struct describe_filter *f)
{
	struct evbuffer *mp = evbuffer_new(), *json = evbuffer_new();
	msgpack_unpacked u;
	msgpack_packer pk;
	struct duet_err err;
	char *s;

	convert_packer_init(&pk, mp);
	pack(&pk, test_reg, f);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(
	    msgpack_unpack_next(&u, (const char *)evbuffer_pullup(mp, -1),
	        evbuffer_get_length(mp), NULL),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(
	    convert_msgpack_to_json(json, &u.data, 1 << 20, &err), 0);
	evbuffer_add(json, "", 1);
	s = strdup((const char *)evbuffer_pullup(json, -1));
	msgpack_unpacked_destroy(&u);
	evbuffer_free(json);
	evbuffer_free(mp);
	return s;
}

/* COMMAND INFO's array of every command f shows. */
static void
test_pack_info(msgpack_packer *pk, const struct registry *reg,
    const struct describe_filter *f)
{
	describe_all(pk, reg, 0, f);
}

START_TEST(test_describe_filter_lists_only_shown)
{
	const struct command *sum = registry_lookup(test_reg, "sum", 3);
	struct describe_filter f = {test_shows_one, &sum, NULL, 0};
	char *s;

	ck_assert_uint_eq(describe_count(test_reg, NULL), 3);
	ck_assert_uint_eq(describe_count(test_reg, &f), 1);
	ck_assert(describe_shows(NULL, &test_reg->commands[0]));
	ck_assert(!describe_shows(&f, &test_reg->commands[0]) &&
	    describe_shows(&f, sum));
	s = test_listing(test_pack_info, &f);
	ck_assert_str_eq(s, "[[\"sum\",-2,[\"write\"],0,0,0,[],[],[],[]]]");
	free(s);
	s = test_listing(describe_commands, &f);
	ck_assert_ptr_nonnull(strstr(s, "\"name\":\"sum\""));
	ck_assert_ptr_null(strstr(s, "\"name\":\"repeat\""));
	free(s);
	s = test_listing(openapi_pack, &f);
	ck_assert_ptr_nonnull(strstr(s, "\"/sum\":"));
	ck_assert_ptr_null(strstr(s, "\"/repeat\":"));
	ck_assert_ptr_nonnull(strstr(s, "\"security\":[{\"bearer\":[]}]"));
	free(s);
	s = test_listing(openapi_pack, NULL);
	ck_assert_ptr_nonnull(strstr(s, "\"/repeat\":"));
	ck_assert_ptr_nonnull(strstr(s, "\"security\":[]"));
	ck_assert_ptr_null(strstr(s, "bearer"));
	free(s);
}
END_TEST

/* COMMAND DOCS's map of every command f shows. */
static void
test_pack_docs(msgpack_packer *pk, const struct registry *reg,
    const struct describe_filter *f)
{
	describe_all(pk, reg, 1, f);
}

/*
 * A listing's more commands (linked ones, SPEC 11) come after the
 * generation's, unless a generation's command has the name; one is found
 * by name in any case; it is a module's command with its link named.
 */
START_TEST(test_describe_lists_more)
{
	struct link *l = link_new("fs", LINK_SIDE_HUB);
	struct command linked, hidden;
	const struct command *more[] = {&linked, &hidden};
	struct describe_filter f = {NULL, NULL, more, 2};
	char name[] = "fs.repeat", sum[] = "sum";
	char *s;

	ck_assert_ptr_nonnull(l);
	linked = *registry_lookup(test_reg, "repeat", 6);
	linked.name = name;
	linked.namelen = strlen(name);
	linked.link = l;
	hidden = linked;
	hidden.name = sum;
	hidden.namelen = strlen(sum);
	ck_assert_uint_eq(describe_count(test_reg, &f), 4);
	ck_assert_ptr_eq(
	    describe_lookup(test_reg, &f, "FS.Repeat", 9), &linked);
	ck_assert_ptr_eq(describe_lookup(test_reg, &f, "sum", 3),
	    registry_lookup(test_reg, "sum", 3));
	ck_assert_ptr_null(describe_lookup(test_reg, &f, "fs.x", 4));
	s = test_listing(describe_commands, &f);
	ck_assert_ptr_nonnull(strstr(s,
	    "},{\"name\":\"fs.repeat\",\"plugin\":null,\"link\":\"fs\","
	    "\"args\":"
	    "[{\"name\":\"word\",\"type\":\"str\",\"optional\":false,"
	    "\"variadic\":false},{\"name\":\"times\",\"type\":\"int\","
	    "\"optional\":true,\"variadic\":false,\"default\":1}],\"reply\":"
	    "\"str\",\"summary\":\"Repeats a word\",\"usage\":\"fs.repeat "
	    "word:str [times:int=1]\",\"flags\":[\"readonly\"]}]"));
	free(s);
	s = test_listing(test_pack_docs, &f);
	ck_assert_ptr_nonnull(strstr(s,
	    ",\"fs.repeat\":{\"summary\":\"Repeats a "
	    "word\",\"since\":\"" PACKAGE_VERSION
	    "\",\"group\":\"module\",\"arguments\":"));
	free(s);
	s = test_listing(openapi_pack, &f);
	ck_assert_ptr_nonnull(strstr(s, "\"/fs.repeat\":{\"post\":"));
	ck_assert_ptr_nonnull(strstr(s, "\"security\":[]"));
	free(s);
	link_unref(l);
}
END_TEST

static Suite *
describe_suite(void)
{
	Suite *s = suite_create("describe");
	TCase *tc;

	tc = tcase_create("redis");
	tcase_add_checked_fixture(tc, test_setup, test_teardown);
	tcase_add_test(tc, test_describe_command_info);
	tcase_add_test(tc, test_describe_command_docs);
	suite_add_tcase(s, tc);
	tc = tcase_create("http");
	tcase_add_checked_fixture(tc, test_setup, test_teardown);
	tcase_add_test(tc, test_describe_commands_descriptor);
	tcase_add_test(tc, test_describe_openapi_path);
	tcase_add_test(tc, test_describe_param_schemas);
	tcase_add_test(tc, test_describe_http_leaves_out_connection_builtins);
	tcase_add_test(tc, test_describe_filter_lists_only_shown);
	tcase_add_test(tc, test_describe_lists_more);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(describe_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
