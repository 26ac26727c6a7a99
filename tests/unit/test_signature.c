/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of signature: parsing good and bad signatures (exact error
 * texts), optional, default and variadic parameters, Redis arity, lookup
 * by name, the type names and usage lines.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "signature.h"
#include "util.h"

struct test_sig {
	const char *text;
	int nparams;
	int nrequired;
	int variadic;
	int arity;
};

static const struct test_sig test_sig_cases[] = {
    {"", 0, 0, 0, 1},
    {"   ", 0, 0, 0, 1},
    {"a:int", 1, 1, 0, 2},
    {"a:int b:int", 2, 2, 0, 3},
    {"  a:int   b:float\tc:bool  ", 3, 3, 0, 4},
    {"key:str value:bytes", 2, 2, 0, 3},
    {"nums:float...", 1, 1, 1, -2},
    {"key:str...", 1, 1, 1, -2},
    {"dst:str src:str...", 2, 2, 1, -3},
    {"rest:any...?", 1, 0, 1, -1},
    {"a:int rest:any...?", 2, 1, 1, -2},
    {"opts:map?", 1, 0, 0, -1},
    {"n:int=10", 1, 0, 0, -1},
    {"a:int b:int? c:str=x", 3, 1, 0, -2},
    {"a:int? b:json...?", 2, 0, 1, -1},
    {"Key_2:str _x:any", 2, 2, 0, 3},
    {"a:int b:float c:bool d:str e:bytes f:any g:json h:array i:map", 9, 9, 0,
        10},
};

START_TEST(test_signature_parses)
{
	const struct test_sig *t = &test_sig_cases[_i];
	struct duet_err err;
	struct sig *sig;

	sig = sig_parse(t->text, &err);
	ck_assert_msg(sig != NULL, "'%s': %s", t->text, err.msg);
	ck_assert_int_eq(sig->nparams, t->nparams);
	ck_assert_int_eq(sig->nrequired, t->nrequired);
	ck_assert_int_eq(sig->variadic, t->variadic);
	ck_assert_int_eq(sig_arity(sig), t->arity);
	sig_free(sig);
}
END_TEST

START_TEST(test_signature_null_is_empty)
{
	struct duet_err err;
	struct sig *sig = sig_parse(NULL, &err);

	ck_assert_ptr_nonnull(sig);
	ck_assert_int_eq(sig->nparams, 0);
	ck_assert_int_eq(sig_arity(sig), 1);
	sig_free(sig);
	sig_free(NULL);
}
END_TEST

START_TEST(test_signature_params)
{
	struct duet_err err;
	struct sig *sig;

	sig = sig_parse("a:int b:str? c:float=2.5 d:any...?", &err);
	ck_assert_ptr_nonnull(sig);
	ck_assert_str_eq(sig->params[0].name, "a");
	ck_assert_int_eq(sig->params[0].type, SIG_INT);
	ck_assert_int_eq(sig->params[0].optional, 0);
	ck_assert_ptr_null(sig->params[0].defval);
	ck_assert_str_eq(sig->params[1].name, "b");
	ck_assert_int_eq(sig->params[1].type, SIG_STR);
	ck_assert_int_eq(sig->params[1].optional, 1);
	ck_assert_int_eq(sig->params[1].variadic, 0);
	ck_assert_ptr_null(sig->params[1].defval);
	ck_assert_ptr_null(sig->params[1].deftext);
	ck_assert_int_eq(sig->params[2].type, SIG_FLOAT);
	ck_assert_int_eq(sig->params[2].optional, 1);
	ck_assert_str_eq(sig->params[2].deftext, "2.5");
	ck_assert_uint_eq(sig->params[2].defval_len, 9);
	ck_assert_mem_eq(
	    sig->params[2].defval, "\xcb\x40\x04\x00\x00\x00\x00\x00\x00", 9);
	ck_assert_int_eq(sig->params[3].type, SIG_ANY);
	ck_assert_int_eq(sig->params[3].optional, 1);
	ck_assert_int_eq(sig->params[3].variadic, 1);
	sig_free(sig);
}
END_TEST

struct test_default {
	const char *text;
	const char *packed;
	size_t len;
};

static const struct test_default test_default_cases[] = {
    {"n:int=10", "\x0a", 1},
    {"n:int=-1", "\xff", 1},
    {"b:bool=true", "\xc3", 1},
    {"s:str=hello", "\xa5hello", 6},
    {"s:str=", "\xa0", 1},
    {"b:bytes=ab",
        "\xc4\x02"
        "ab",
        4},
    {"a:any=x", "\xa1x", 2},
    {"j:json=[1,2]", "\x92\x01\x02", 3},
    {"l:array=[]", "\x90", 1},
    {"m:map={\"k\":1}", "\x81\xa1k\x01", 4},
};

START_TEST(test_signature_defaults)
{
	const struct test_default *t = &test_default_cases[_i];
	struct duet_err err;
	struct sig *sig;

	sig = sig_parse(t->text, &err);
	ck_assert_msg(sig != NULL, "'%s': %s", t->text, err.msg);
	ck_assert_int_eq(sig->params[0].optional, 1);
	ck_assert_uint_eq(sig->params[0].defval_len, t->len);
	ck_assert_mem_eq(sig->params[0].defval, t->packed, t->len);
	ck_assert_str_eq(sig->params[0].deftext, strchr(t->text, '=') + 1);
	sig_free(sig);
}
END_TEST

struct test_sig_bad {
	const char *text;
	const char *msg;
};

static const struct test_sig_bad test_sig_bad_cases[] = {
    {"a", "missing ':TYPE' after argument 'a'"},
    {"a:int b", "missing ':TYPE' after argument 'b'"},
    {":int", "invalid argument name ''"},
    {"1a:int", "invalid argument name '1a'"},
    {"a-b:int", "invalid argument name 'a-b'"},
    {"a:integer", "unknown type 'integer' for argument 'a'"},
    {"a:", "unknown type '' for argument 'a'"},
    {"a:INT", "unknown type 'INT' for argument 'a'"},
    {"a:int:str", "unknown type 'int:str' for argument 'a'"},
    {"a:int b:int a:str", "duplicate argument 'a'"},
    {"a:int... b:int", "variadic argument 'a' must be the last"},
    {"a:int...? b:int?", "variadic argument 'a' must be the last"},
    {"a:int? b:int", "required argument 'b' follows optional argument 'a'"},
    {"a:int=1 b:str",
        "required argument 'b' follows optional argument "
        "'a'"},
    {"a:int? b:int...",
        "required argument 'b' follows optional argument "
        "'a'"},
    {"a:int..",
        "invalid suffix '..' for argument 'a' (expected '?', "
        "'=DEFAULT', '...' or '...?')"},
    {"a:int?"
     "?",
        "invalid suffix '?"
        "?' for argument 'a' (expected '?', "
        "'=DEFAULT', '...' or '...?')"},
    {"a:int?...",
        "invalid suffix '?...' for argument 'a' (expected '?', "
        "'=DEFAULT', '...' or '...?')"},
    {"a:int=x", "invalid default 'x' for argument 'a': expected int"},
    {"a:int=", "invalid default '' for argument 'a': expected int"},
    {"a:bool=yes", "invalid default 'yes' for argument 'a': expected bool"},
    {"a:map=[]", "invalid default '[]' for argument 'a': expected map"},
    {"a:json=[1,",
        "invalid default '[1,' for argument 'a': expected json: "
        "invalid JSON at offset 3: premature EOF"},
};

START_TEST(test_signature_rejects)
{
	const struct test_sig_bad *t = &test_sig_bad_cases[_i];
	struct duet_err err;

	ck_assert_ptr_null(sig_parse(t->text, &err));
	ck_assert_str_eq(err.code, "ERR");
	ck_assert_str_eq(err.msg, t->msg);
}
END_TEST

START_TEST(test_signature_long_names_are_clipped)
{
	char text[300];
	struct duet_err err;

	memset(text, 'x', 200);
	memcpy(text + 200, ":nope", 6);
	ck_assert_ptr_null(sig_parse(text, &err));
	ck_assert_uint_lt(strlen(err.msg), 200);
}
END_TEST

START_TEST(test_signature_find)
{
	struct duet_err err;
	struct sig *sig = sig_parse("a:int bb:str c:any...", &err);

	ck_assert_ptr_nonnull(sig);
	ck_assert_int_eq(sig_find(sig, "a", 1), 0);
	ck_assert_int_eq(sig_find(sig, "bb", 2), 1);
	ck_assert_int_eq(sig_find(sig, "bbx", 2), 1);
	ck_assert_int_eq(sig_find(sig, "c", 1), 2);
	ck_assert_int_eq(sig_find(sig, "b", 1), -1);
	ck_assert_int_eq(sig_find(sig, "A", 1), -1);
	ck_assert_int_eq(sig_find(sig, "", 0), -1);
	sig_free(sig);
}
END_TEST

START_TEST(test_signature_type_names)
{
	static const char *const names[] = {"int", "float", "bool", "str",
	    "bytes", "any", "json", "array", "map"};
	enum sig_type t;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_int_eq(
		    sig_type_parse(names[i], strlen(names[i]), &t), 0);
		ck_assert_int_eq(t, (int)i);
		ck_assert_str_eq(sig_type_name(t), names[i]);
	}
	ck_assert_int_eq(sig_type_parse("in", 2, &t), -1);
	ck_assert_int_eq(sig_type_parse("ints", 4, &t), -1);
	ck_assert_int_eq(sig_type_parse("", 0, &t), -1);
	ck_assert_int_eq(sig_type_parse("intx", 3, &t), 0);
	ck_assert_int_eq(t, SIG_INT);
	ck_assert_str_eq(sig_type_name((enum sig_type)99), "?");
}
END_TEST

/* Usage lines: optional parameters in brackets, defaults as written. */
static const struct {
	const char *sig;
	const char *usage;
} test_usage_cases[] = {
    {"", "cmd"},
    {"a:int b:int", "cmd a:int b:int"},
    {"word:str times:int=1", "cmd word:str [times:int=1]"},
    {"loud:bool=false ratio:float=0.5 sep:str=-",
        "cmd [loud:bool=false] [ratio:float=0.5] [sep:str=-]"},
    {"opts:map={}", "cmd [opts:map={}]"},
    {"nums:float...", "cmd nums:float..."},
    {"a:int? rest:any...?", "cmd [a:int] [rest:any...]"},
};

START_TEST(test_signature_usage)
{
	struct duet_err err;
	struct evbuffer *b = evbuffer_new();
	struct sig *sig = sig_parse(test_usage_cases[_i].sig, &err);
	char *got;

	ck_assert_ptr_nonnull(b);
	ck_assert_msg(sig != NULL, "%s: %s", test_usage_cases[_i].sig, err.msg);
	ck_assert_int_eq(sig_usage("cmd", sig, b), 0);
	got = strndup(
	    (const char *)evbuffer_pullup(b, -1), evbuffer_get_length(b));
	ck_assert_str_eq(got, test_usage_cases[_i].usage);
	free(got);
	sig_free(sig);
	evbuffer_free(b);
}
END_TEST

#define TEST_N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
signature_suite(void)
{
	Suite *s = suite_create("signature");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(
	    tc, test_signature_parses, 0, TEST_N(test_sig_cases));
	tcase_add_test(tc, test_signature_null_is_empty);
	tcase_add_test(tc, test_signature_params);
	suite_add_tcase(s, tc);

	tc = tcase_create("defaults");
	tcase_add_loop_test(
	    tc, test_signature_defaults, 0, TEST_N(test_default_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(
	    tc, test_signature_rejects, 0, TEST_N(test_sig_bad_cases));
	tcase_add_test(tc, test_signature_long_names_are_clipped);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_add_test(tc, test_signature_find);
	tcase_add_test(tc, test_signature_type_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("usage");
	tcase_add_loop_test(
	    tc, test_signature_usage, 0, TEST_N(test_usage_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(signature_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
