/* SPDX-License-Identifier: MIT */
/*
 * signature - parses a command's argument signature once, when its plugin
 * loads, into a struct sig that dispatch walks on every call.
 *
 * Grammar: parameters separated by spaces (or tabs), each
 *	NAME ':' TYPE [ '?' | '=' DEFAULT | '...' | '...?' ]
 * NAME is [A-Za-z_][A-Za-z0-9_]*, TYPE one of int float bool str bytes any
 * json array map.  `?` makes the parameter optional (nil when left out),
 * `=DEFAULT` optional with a default (the text runs to the next space, so
 * a default cannot contain one), `...` variadic (one or more values; only
 * the last parameter), `...?` variadic with zero or more.  A required
 * parameter may not follow an optional one.  Defaults are converted with
 * convert_text() here, so a bad default is a load error and dispatch only
 * copies the packed bytes.  Errors carry code "ERR" and a message naming
 * the parameter; the caller prefixes plugin and command.
 *
 * Layer L0 (pure).  The type names are sig_type's; signature uses convert
 * for defaults, and convert never includes signature.h (only sig_type.h).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "convert.h"
#include "signature.h"
#include "util.h"

/* Nesting allowed in a default such as "opts:map={}". */
#define SIG_DEFAULT_NESTING 32

/* Longest name or type quoted in an error message (also the "%.64s"s). */
#define SIG_QUOTE_MAX 64

/* One parameter as written: pieces of the signature text. */
struct sig_token {
	const char *name;
	size_t namelen;
	const char *type;
	size_t typelen;
	const char *suffix; /* "", "?", "...", "...?" or "=DEFAULT" */
	size_t suffixlen;
};

static int
sig_is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int
sig_name_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '_' || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z'))
			continue;
		if (i > 0 && c >= '0' && c <= '9')
			continue;
		return 0;
	}
	return 1;
}

static int
sig_quote_len(size_t len)
{
	return len > SIG_QUOTE_MAX ? SIG_QUOTE_MAX : (int)len;
}

/* Splits one space-free token of len bytes into name, type and suffix. */
static int
sig_split(const char *s, size_t len, struct sig_token *t, struct duet_err *err)
{
	const char *colon = memchr(s, ':', len);
	size_t i;

	memset(t, 0, sizeof(*t));
	t->name = s;
	t->namelen = colon == NULL ? len : (size_t)(colon - s);
	if (!sig_name_valid(t->name, t->namelen)) {
		util_err_set(err, "ERR", "invalid argument name '%.*s'",
		    sig_quote_len(t->namelen), t->name);
		return -1;
	}
	if (colon == NULL) {
		util_err_set(err, "ERR",
		    "missing ':TYPE' after argument '%.*s'",
		    sig_quote_len(t->namelen), t->name);
		return -1;
	}
	t->type = colon + 1;
	for (i = 0; t->type + i < s + len; i++) {
		if (strchr("?.=", t->type[i]) != NULL)
			break;
	}
	t->typelen = i;
	t->suffix = t->type + i;
	t->suffixlen = len - (size_t)(t->suffix - s);
	return 0;
}

static int
sig_suffix_is(const struct sig_token *t, const char *suffix)
{
	return t->suffixlen == strlen(suffix) &&
	    memcmp(t->suffix, suffix, t->suffixlen) == 0;
}

/* Packs the default text of p (suffix after '=') into p->defval. */
static int
sig_default(
    struct sig_param *p, const struct sig_token *t, struct duet_err *err)
{
	struct evbuffer *buf;
	msgpack_packer pk;
	struct duet_err cerr;
	size_t len = t->suffixlen - 1;
	int rc = -1;

	if ((p->deftext = strndup(t->suffix + 1, len)) == NULL ||
	    (buf = evbuffer_new()) == NULL) {
		util_err_set(err, "ERR", "out of memory");
		return -1;
	}
	convert_packer_init(&pk, buf);
	if (convert_text(&pk, p->type, p->deftext, len, SIG_DEFAULT_NESTING,
	        &cerr) == -1) {
		util_err_set(err, "ERR",
		    "invalid default '%.*s' for argument "
		    "'%.64s': %s",
		    sig_quote_len(len), p->deftext, p->name, cerr.msg);
		goto done;
	}
	p->defval_len = evbuffer_get_length(buf);
	if ((p->defval = malloc(p->defval_len)) == NULL) {
		util_err_set(err, "ERR", "out of memory");
		goto done;
	}
	evbuffer_remove(buf, p->defval, p->defval_len);
	rc = 0;
done:
	evbuffer_free(buf);
	return rc;
}

/* Fills p from token t: type, suffix and default. */
static int
sig_param_init(
    struct sig_param *p, const struct sig_token *t, struct duet_err *err)
{
	if ((p->name = strndup(t->name, t->namelen)) == NULL) {
		util_err_set(err, "ERR", "out of memory");
		return -1;
	}
	if (sig_type_parse(t->type, t->typelen, &p->type) == -1) {
		util_err_set(err, "ERR",
		    "unknown type '%.*s' for argument '%.64s'",
		    sig_quote_len(t->typelen), t->type, p->name);
		return -1;
	}
	if (sig_suffix_is(t, "?")) {
		p->optional = 1;
	} else if (sig_suffix_is(t, "...")) {
		p->variadic = 1;
	} else if (sig_suffix_is(t, "...?")) {
		p->variadic = 1;
		p->optional = 1;
	} else if (t->suffixlen > 0 && t->suffix[0] == '=') {
		p->optional = 1;
		return sig_default(p, t, err);
	} else if (t->suffixlen > 0) {
		util_err_set(err, "ERR",
		    "invalid suffix '%.*s' for argument "
		    "'%.64s' (expected '?', '=DEFAULT', '...' or '...?')",
		    sig_quote_len(t->suffixlen), t->suffix, p->name);
		return -1;
	}
	return 0;
}

/* Checks the new parameter sig->params[n] against those before it. */
static int
sig_check_order(const struct sig *sig, int n, struct duet_err *err)
{
	const struct sig_param *p = &sig->params[n];
	int i;

	for (i = 0; i < n; i++) {
		const struct sig_param *q = &sig->params[i];

		if (strcmp(q->name, p->name) == 0) {
			util_err_set(
			    err, "ERR", "duplicate argument '%.64s'", p->name);
			return -1;
		}
		if (q->variadic) {
			util_err_set(err, "ERR",
			    "variadic argument '%.64s' must "
			    "be the last",
			    q->name);
			return -1;
		}
		if (q->optional && !p->optional) {
			util_err_set(err, "ERR",
			    "required argument '%.64s' "
			    "follows optional argument '%.64s'",
			    p->name, q->name);
			return -1;
		}
	}
	return 0;
}

static int
sig_count(const char *text)
{
	const char *s = text;
	int n = 0;

	while (*s != '\0') {
		while (sig_is_space(*s))
			s++;
		if (*s == '\0')
			break;
		n++;
		while (*s != '\0' && !sig_is_space(*s))
			s++;
	}
	return n;
}

/* Sets sig->words_only and words_min (see signature.h), once per
 * signature. */
static void
sig_note_words(struct sig *sig)
{
	int k;

	sig->words_only = !sig->variadic;
	sig->words_min = 0;
	for (k = 0; k < sig->nparams; k++) {
		const struct sig_param *p = &sig->params[k];

		if (p->type == SIG_JSON || p->type == SIG_ARRAY ||
		    p->type == SIG_MAP)
			sig->words_only = 0;
		if (p->defval != NULL)
			sig->words_min = k + 1;
	}
}

/*
 * Parses a signature such as "a:int b:int" (NULL or "" is a command with no
 * arguments).  Returns a new struct sig, freed with sig_free(), or NULL with
 * the reason in err (code "ERR").
 */
struct sig *
sig_parse(const char *text, struct duet_err *err)
{
	struct sig *sig;
	struct sig_token t;
	const char *s = text == NULL ? "" : text;
	size_t len;
	int n;

	if ((sig = calloc(1, sizeof(*sig))) == NULL)
		goto nomem;
	if ((n = sig_count(s)) > SIG_MAX_PARAMS) {
		util_err_set(
		    err, "ERR", "more than %d arguments", SIG_MAX_PARAMS);
		goto fail;
	}
	if (n > 0 &&
	    (sig->params = calloc((size_t)n, sizeof(*sig->params))) == NULL)
		goto nomem;
	while (sig->nparams < n) {
		while (sig_is_space(*s))
			s++;
		for (len = 0; s[len] != '\0' && !sig_is_space(s[len]); len++)
			;
		if (sig_split(s, len, &t, err) == -1)
			goto fail;
		sig->nparams++;
		if (sig_param_init(&sig->params[sig->nparams - 1], &t, err) ==
		        -1 ||
		    sig_check_order(sig, sig->nparams - 1, err) == -1)
			goto fail;
		if (!sig->params[sig->nparams - 1].optional)
			sig->nrequired++;
		s += len;
	}
	sig->variadic = n > 0 && sig->params[n - 1].variadic;
	sig_note_words(sig);
	return sig;
nomem:
	util_err_set(err, "ERR", "out of memory");
fail:
	sig_free(sig);
	return NULL;
}

/* Frees a signature from sig_parse(); NULL is a no-op. */
void
sig_free(struct sig *sig)
{
	int i;

	if (sig == NULL)
		return;
	for (i = 0; i < sig->nparams; i++) {
		free(sig->params[i].name);
		free(sig->params[i].defval);
		free(sig->params[i].deftext);
	}
	free(sig->params);
	free(sig);
}

/*
 * Redis's arity of a command with this signature, counting the command
 * name: nparams + 1 when every parameter is required and none variadic,
 * else -(nrequired + 1), "at least".
 */
int
sig_arity(const struct sig *sig)
{
	if (sig->nrequired == sig->nparams && !sig->variadic)
		return sig->nparams + 1;
	return -(sig->nrequired + 1);
}

/*
 * Finds a parameter by its exact (case-sensitive) name of len bytes.
 * Returns its index, or -1.
 */
int
sig_find(const struct sig *sig, const char *name, size_t len)
{
	int i;

	for (i = 0; i < sig->nparams; i++) {
		if (strlen(sig->params[i].name) == len &&
		    memcmp(sig->params[i].name, name, len) == 0)
			return i;
	}
	return -1;
}

/*
 * Appends the usage text of one parameter to out, as signatures are
 * written but with optional ones in brackets: "a:int", "[times:int=1]",
 * "nums:float...", "[keys:bytes...]".  Returns 0, or -1 when out of memory.
 */
static int
sig_param_usage(const struct sig_param *p, struct evbuffer *out)
{
	return evbuffer_add_printf(out, " %s%s:%s%s%s%s%s",
	           p->optional ? "[" : "", p->name, sig_type_name(p->type),
	           p->variadic ? "..." : "", p->deftext != NULL ? "=" : "",
	           p->deftext != NULL ? p->deftext : "",
	           p->optional ? "]" : "") < 0
	    ? -1
	    : 0;
}

/*
 * Appends the usage line of a command to out: its name, then each
 * parameter as sig_param_usage writes it, separated by spaces, e.g.
 * "repeat word:str [times:int=1]".  Returns 0, or -1 when out of memory.
 */
int
sig_usage(const char *name, const struct sig *sig, struct evbuffer *out)
{
	int i;

	if (evbuffer_add_printf(out, "%s", name) < 0)
		return -1;
	for (i = 0; i < sig->nparams; i++) {
		if (sig_param_usage(&sig->params[i], out) == -1)
			return -1;
	}
	return 0;
}
