/* SPDX-License-Identifier: MIT */
/*
 * auth - users, tokens, command rules and the failed-login throttle
 * (see auth.h).
 *
 * A stub until section 9 lands: no config has an auth section yet, so
 * every generation has none and every caller may call everything.
 */
#include "autoconf.h"

#include <stddef.h>

#include "auth.h"

int
auth_build(const struct config *cf, const struct auth_cmd *cmds, size_t n,
    struct auth **out)
{
	(void)cf;
	(void)cmds;
	(void)n;
	*out = NULL;
	return 0;
}

void
auth_free(struct auth *a)
{
	(void)a;
}

int
auth_login(const struct auth *a, const char *user, size_t userlen,
    const char *token, size_t tokenlen)
{
	(void)a;
	(void)user;
	(void)userlen;
	(void)token;
	(void)tokenlen;
	return AUTH_NONE;
}

int
auth_user_by_cn(const struct auth *a, const char *cn)
{
	(void)a;
	(void)cn;
	return AUTH_NONE;
}

int
auth_user_by_uid(const struct auth *a, uid_t uid)
{
	(void)a;
	(void)uid;
	return AUTH_NONE;
}

int
auth_user_index(const struct auth *a, const char *name)
{
	(void)a;
	(void)name;
	return AUTH_NONE;
}

const char *
auth_user_name(const struct auth *a, int user)
{
	(void)a;
	(void)user;
	return NULL;
}

enum auth_verdict
auth_check(const struct auth *a, int user, size_t cmd)
{
	(void)a;
	(void)user;
	(void)cmd;
	return AUTH_OK;
}

uint64_t
auth_failed(const char *addr)
{
	(void)addr;
	return 0;
}

void
auth_succeeded(const char *addr)
{
	(void)addr;
}

uint64_t
auth_failures_total(void)
{
	return 0;
}
