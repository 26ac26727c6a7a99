/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of plugin.c and of the ABI it reads: the layout of
 * include/duet/plugin.h's structs only ever grows at the end (the field
 * offsets of every minor so far, on LP64), and the descriptor's
 * conn_close (ABI 1.2) is read only when the descriptor's struct_size
 * covers it, whatever the plugin put after it.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <check.h>

#include <duet/plugin.h>

#include "plugin.h"
#include "util.h"

/* A field and where every build of the ABI so far has it. */
struct test_field {
	const char *name;
	size_t offset, want;
};

#define TEST_AT(type, field, at)                                               \
	{                                                                      \
#field, offsetof(type, field), at                              \
	}

static void
test_layout(const struct test_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ck_assert_msg(f[i].offset == f[i].want,
		    "%s is at %zu, was at %zu: fields may only be appended",
		    f[i].name, f[i].offset, f[i].want);
}

START_TEST(test_plugin_abi_layout_is_append_only)
{
#if UINTPTR_MAX == UINT64_MAX
	static const struct test_field host[] = {
	    TEST_AT(struct duet_host, abi_major, 0),
	    TEST_AT(struct duet_host, abi_minor, 2),
	    TEST_AT(struct duet_host, struct_size, 4),
	    TEST_AT(struct duet_host, argc, 8),
	    TEST_AT(struct duet_host, arg, 16),
	    TEST_AT(struct duet_host, arg_present, 24),
	    TEST_AT(struct duet_host, reply, 32),
	    TEST_AT(struct duet_host, error, 40),
	    TEST_AT(struct duet_host, info, 48),
	    TEST_AT(struct duet_host, log, 56),
	    TEST_AT(struct duet_host, defer, 64),        /* 1.1 */
	    TEST_AT(struct duet_host, finish, 72),       /* 1.1 */
	    TEST_AT(struct duet_host, stream_send, 80),  /* 1.1 */
	    TEST_AT(struct duet_host, state, 88),        /* 1.1 */
	    TEST_AT(struct duet_host, error_status, 96), /* 1.2 */
	    TEST_AT(struct duet_host, conn_state, 104),  /* 1.2 */
	    TEST_AT(struct duet_host, publisher, 112),   /* 1.3 */
	    TEST_AT(struct duet_host, publish, 120),     /* 1.3 */
	};
	static const struct test_field desc[] = {
	    TEST_AT(struct duet_plugin, abi_major, 0),
	    TEST_AT(struct duet_plugin, abi_minor, 2),
	    TEST_AT(struct duet_plugin, struct_size, 4),
	    TEST_AT(struct duet_plugin, command_size, 8),
	    TEST_AT(struct duet_plugin, host, 16),
	    TEST_AT(struct duet_plugin, name, 24),
	    TEST_AT(struct duet_plugin, version, 32),
	    TEST_AT(struct duet_plugin, flags, 40),
	    TEST_AT(struct duet_plugin, commands, 48),
	    TEST_AT(struct duet_plugin, init, 56),
	    TEST_AT(struct duet_plugin, fini, 64),
	    TEST_AT(struct duet_plugin, conn_close, 72), /* 1.2 */
	};
	static const struct test_field cmd[] = {
	    TEST_AT(struct duet_command, name, 0),
	    TEST_AT(struct duet_command, args, 8),
	    TEST_AT(struct duet_command, reply, 16),
	    TEST_AT(struct duet_command, summary, 24),
	    TEST_AT(struct duet_command, flags, 32),
	    TEST_AT(struct duet_command, handler, 40),
	};

	test_layout(host, sizeof(host) / sizeof(host[0]));
	test_layout(desc, sizeof(desc) / sizeof(desc[0]));
	test_layout(cmd, sizeof(cmd) / sizeof(cmd[0]));
	ck_assert_uint_eq(sizeof(struct duet_host), 128);
	ck_assert_uint_eq(sizeof(struct duet_plugin), 80);
#endif
	ck_assert_int_eq(DUET_ABI_MAJOR, 1);
	ck_assert_int_eq(DUET_ABI_MINOR, 3);
}
END_TEST

/* Loads the test plugin file (no init) and returns its conn_close. */
static int
test_has_conn_close(const char *file)
{
	static const struct duet_host host = {.abi_major = DUET_ABI_MAJOR,
	    .abi_minor = DUET_ABI_MINOR,
	    .struct_size = sizeof(struct duet_host)};
	const char *dir = getenv("DUET_TEST_PLUGIN_DIR");
	struct duet_err err;
	struct plugin *p;
	char path[1024];
	int has;

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	p = plugin_load(path, &host, &err);
	ck_assert_msg(p != NULL, "%s: %s", path, err.msg);
	has = p->conn_close != NULL;
	plugin_free(p);
	return has;
}

START_TEST(test_plugin_conn_close_within_struct_size)
{
	/* ABI 1.2, with the hook. */
	ck_assert(test_has_conn_close("connstate.so"));
	/* struct_size ends before conn_close, which holds a trap. */
	ck_assert(!test_has_conn_close("oldabi.so"));
	/* ABI 1.1, no hook. */
	ck_assert(!test_has_conn_close("defaults.so"));
}
END_TEST

static Suite *
plugin_suite(void)
{
	Suite *s = suite_create("plugin");
	TCase *tc;

	tc = tcase_create("abi");
	tcase_add_test(tc, test_plugin_abi_layout_is_append_only);
	tcase_add_test(tc, test_plugin_conn_close_within_struct_size);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(plugin_suite());
	int nfailed;

	srunner_run_all(sr, CK_NORMAL);
	nfailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfailed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
