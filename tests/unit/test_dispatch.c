/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of dispatch.c, through a loopback conn (no socket): admit,
 * bind and call step by step, Redis 7's unknown-command and arity error
 * text, a refusal's -1, and an HTTP GET of a command that changes state.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "dispatch.h"
#include "env.h"
#include "http_session.h"
#include "loopback.h"
#include "registry.h"
#include "resp_session.h"
#include "signature.h"

static const struct conn_proto *const test_resp_only[] = {&resp_session_proto};
static const struct conn_proto *const test_http_only[] = {&http_session_proto};

/* A RESP loopback conn, its protocol picked by a first PING. */
static void
test_resp_conn(struct loopback *lb)
{
	loopback_init(lb, test_resp_only, 1);
	loopback_send(lb, "PING\r\n");
	loopback_expect(lb, "+PONG\r\n");
	ck_assert_ptr_nonnull(lb->c);
	ck_assert_ptr_eq(lb->c->proto, &resp_session_proto);
}

/* A text request: name, then argc words (borrowed). */
static struct request
test_request(const char *name, const struct resp_arg *argv, size_t argc)
{
	struct request req;

	memset(&req, 0, sizeof(req));
	req.name = name;
	req.namelen = strlen(name);
	req.kind = REQUEST_TEXT;
	req.argc = argc;
	req.argv = argv;
	return req;
}

START_TEST(test_dispatch_admit_bind_call_steps)
{
	const struct resp_arg argv[] = {{"hi", 2}};
	struct request req = test_request("echo", argv, 1);
	const struct command *cmd;
	struct loopback lb;
	uint64_t present;

	test_resp_conn(&lb);
	ck_assert_ptr_nonnull(cmd = dispatch_admit(lb.c, &req));
	ck_assert_int_eq(dispatch_bind(lb.c, cmd, &req, &present), 0);
	ck_assert_uint_eq(present, 1);
	loopback_expect(&lb, "");
	ck_assert_int_eq(dispatch_call(lb.c, cmd, present), 0);
	loopback_expect(&lb, "$2\r\nhi\r\n");
	ck_assert_str_eq(lb.c->lastcmd, "echo");
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_dispatch_request_answers_in_order)
{
	const struct resp_arg argv[] = {{"x", 1}};
	struct request ping = test_request("PING", NULL, 0);
	struct request echo = test_request("ECHO", argv, 1);
	struct loopback lb;

	test_resp_conn(&lb);
	ck_assert_int_eq(dispatch_request(lb.c, &ping), 0);
	ck_assert_int_eq(dispatch_request(lb.c, &echo), 0);
	loopback_expect(&lb, "+PONG\r\n$1\r\nx\r\n");
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_dispatch_unknown_command_text)
{
	const struct resp_arg argv[] = {{"a", 1}, {"b", 1}};
	struct request req = test_request("nope", argv, 2);
	struct loopback lb;

	test_resp_conn(&lb);
	ck_assert_ptr_null(dispatch_admit(lb.c, &req));
	loopback_expect(&lb,
	    "-ERR unknown command 'nope', with args beginning with: "
	    "'a' 'b' \r\n");
	ck_assert_int_eq(dispatch_request(lb.c, &req), -1);
	loopback_expect(&lb,
	    "-ERR unknown command 'nope', with args beginning with: "
	    "'a' 'b' \r\n");
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_dispatch_arity_error_text)
{
	const struct resp_arg argv[] = {{"a", 1}, {"b", 1}};
	struct request none = test_request("echo", NULL, 0);
	struct request two = test_request("echo", argv, 2);
	const struct command *cmd;
	struct loopback lb;
	uint64_t present;

	test_resp_conn(&lb);
	ck_assert_ptr_nonnull(cmd = dispatch_admit(lb.c, &none));
	ck_assert_int_eq(dispatch_bind(lb.c, cmd, &none, &present), -1);
	loopback_expect(
	    &lb, "-ERR wrong number of arguments for 'echo' command\r\n");
	ck_assert_int_eq(dispatch_request(lb.c, &two), -1);
	loopback_expect(
	    &lb, "-ERR wrong number of arguments for 'echo' command\r\n");
	/* The conn serves on. */
	ck_assert_int_eq(dispatch_request(lb.c, &none), -1);
	loopback_send(&lb, "PING\r\n");
	loopback_expect(&lb,
	    "-ERR wrong number of arguments for 'echo' command\r\n+PONG\r\n");
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_dispatch_readonly_only_refuses_writer)
{
	const struct resp_arg argv[] = {{"get", 3}, {"port", 4}};
	struct request req = test_request("config", argv, 2);
	struct request ping = test_request("ping", NULL, 0);
	struct loopback lb;

	test_resp_conn(&lb);
	req.readonly_only = 1;
	ping.readonly_only = 1;
	ck_assert_ptr_null(dispatch_admit(lb.c, &req));
	loopback_expect(
	    &lb, "-ERR 'config' changes state: call it with POST\r\n");
	ck_assert_int_eq(dispatch_request(lb.c, &req), -1);
	loopback_expect(
	    &lb, "-ERR 'config' changes state: call it with POST\r\n");
	/* A READONLY command passes. */
	ck_assert_int_eq(dispatch_request(lb.c, &ping), 0);
	loopback_expect(&lb, "+PONG\r\n");
	loopback_fini(&lb);
}
END_TEST

START_TEST(test_dispatch_http_get_of_writer_is_405)
{
	struct loopback lb;
	char *got, *date, *end;

	loopback_init(&lb, test_http_only, 1);
	loopback_send(
	    &lb, "GET /config/get/port HTTP/1.1\r\nHost: localhost\r\n\r\n");
	got = loopback_take(&lb);
	/* The Date header's value is the time of day: "-". */
	ck_assert_ptr_nonnull(date = strstr(got, "\r\nDate: "));
	date += 8;
	ck_assert_ptr_nonnull(end = strstr(date, "\r\n"));
	*date = '-';
	memmove(date + 1, end, strlen(end) + 1);
	ck_assert_str_eq(got,
	    "HTTP/1.1 405 Method Not Allowed\r\n"
	    "Server: duetd\r\n"
	    "Date: -\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 78\r\n"
	    "Allow: POST\r\n"
	    "\r\n"
	    "{\"error\":{\"code\":\"ERR\",\"message\":\"'config' "
	    "changes state: call it with POST\"}}");
	free(got);
	loopback_fini(&lb);
}
END_TEST

/*
 * Words bind in place (no msgpack packed and unpacked) for scalar
 * parameters, int, float and bool among them, as the objects the general
 * path would give; with defaults in the signature only when every
 * parameter that has one is given.  A word its type does not take goes
 * to the general path, which words the error.
 */
START_TEST(test_dispatch_bind_words_in_place)
{
	const struct resp_arg all[] = {
	    {"-3", 2}, {"2.5", 3}, {"true", 4}, {"hi", 2}, {"\xff", 1}};
	const struct resp_arg bad[] = {
	    {"1", 1}, {"x", 1}, {"true", 4}, {"hi", 2}, {"y", 1}};
	const struct resp_arg two[] = {{"1", 1}, {"7", 1}};
	struct request req = test_request("t", all, 5);
	struct command cmd;
	struct duet_err err;
	struct loopback lb;
	struct env *e;
	uint64_t present;

	test_resp_conn(&lb);
	e = lb.c->env;
	memset(&cmd, 0, sizeof(cmd));
	cmd.name = (char *)"t";
	ck_assert_ptr_nonnull(
	    cmd.sig =
	        sig_parse("a:int b:float c:bool d:str e:any f:int?", &err));
	ck_assert_int_eq(dispatch_bind_args(e, &cmd, &req, &present, &err), 0);
	ck_assert_int_eq(e->args_inplace, 1);
	ck_assert_uint_eq(present, 0x1f);
	ck_assert_uint_eq(e->nargv, 6);
	ck_assert_int_eq(e->argv[0].type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
	ck_assert_int_eq(e->argv[0].via.i64, -3);
	ck_assert_int_eq(e->argv[1].type, MSGPACK_OBJECT_FLOAT64);
	ck_assert(e->argv[1].via.f64 == 2.5);
	ck_assert_int_eq(e->argv[2].type, MSGPACK_OBJECT_BOOLEAN);
	ck_assert(e->argv[2].via.boolean);
	ck_assert_int_eq(e->argv[3].type, MSGPACK_OBJECT_STR);
	ck_assert_ptr_eq(e->argv[3].via.str.ptr, all[3].ptr);
	ck_assert_int_eq(e->argv[4].type, MSGPACK_OBJECT_BIN);
	ck_assert_int_eq(e->argv[5].type, MSGPACK_OBJECT_NIL);
	dispatch_reset(lb.c);

	/* A word that is not a float: the general path's error. */
	req.argv = bad;
	ck_assert_int_eq(dispatch_bind_args(e, &cmd, &req, &present, &err), -1);
	ck_assert_str_eq(
	    err.msg, "invalid argument 'b' for 't': expected float");
	dispatch_reset(lb.c);
	sig_free(cmd.sig);

	/* A default left out is filled in by the general path; given, in
	 * place. */
	ck_assert_ptr_nonnull(cmd.sig = sig_parse("a:int b:int=7", &err));
	req.argv = all;
	req.argc = 1;
	ck_assert_int_eq(dispatch_bind_args(e, &cmd, &req, &present, &err), 0);
	ck_assert_int_eq(e->args_inplace, 0);
	dispatch_reset(lb.c);
	req.argc = 2;
	req.argv = two;
	ck_assert_int_eq(dispatch_bind_args(e, &cmd, &req, &present, &err), 0);
	ck_assert_int_eq(e->args_inplace, 1);
	ck_assert_uint_eq(e->argv[1].via.u64, 7);
	dispatch_reset(lb.c);
	req.argv = bad;
	ck_assert_int_eq(dispatch_bind_args(e, &cmd, &req, &present, &err), -1);
	ck_assert_str_eq(err.msg, "invalid argument 'b' for 't': expected int");
	dispatch_reset(lb.c);
	sig_free(cmd.sig);
	loopback_fini(&lb);
}
END_TEST

static Suite *
dispatch_suite(void)
{
	Suite *s = suite_create("dispatch");
	TCase *tc;

	tc = tcase_create("call");
	tcase_add_test(tc, test_dispatch_admit_bind_call_steps);
	tcase_add_test(tc, test_dispatch_request_answers_in_order);
	tcase_add_test(tc, test_dispatch_bind_words_in_place);
	suite_add_tcase(s, tc);
	tc = tcase_create("refuse");
	tcase_add_test(tc, test_dispatch_unknown_command_text);
	tcase_add_test(tc, test_dispatch_arity_error_text);
	tcase_add_test(tc, test_dispatch_readonly_only_refuses_writer);
	tcase_add_test(tc, test_dispatch_http_get_of_writer_is_405);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dispatch_suite());
	int nfailed;

	srunner_run_all(sr, CK_NORMAL);
	nfailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfailed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
