/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of the page at GET / in a real headless Chromium,
 * driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
 * JSON messages ended by a NUL byte, commands on the browser's fd 3,
 * answers and events on its fd 4).  The page comes from a duetd with the
 * bundled plugins, demo and the defaults test plugin.  Each check is one
 * Runtime.evaluate of a script that does what a person would (fill the
 * inputs, click) and waits, with a deadline, for what the page shows; its
 * answer is compared byte for byte.  CHROMIUM names the browser
 * (default: chromium; tools/deps.sh installs it).
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <yajl/yajl_tree.h>

#include "harness.h"

/* How long the browser may take to answer one command. */
#define PAGE_CDP_TIMEOUT_MS 30000

/* A browser driven over --remote-debugging-pipe. */
struct cdp {
	pid_t pid;         /* chromium, leader of its own process group */
	int to;            /* our end of its fd 3 */
	int from;          /* our end of its fd 4 */
	char dir[64];      /* its profile and its log, removed at the end */
	char *buf;         /* owned: bytes read, not yet a whole message */
	size_t len;        /* bytes in buf */
	int id;            /* the last command's id */
	char session[128]; /* the page target's session */
};

static struct harness page_h;
static struct cdp page_cdp;

/*
 * A script run in the page: until(f, what) resolves to f()'s first truthy
 * value, checked every 20 ms, and fails after 10 s.
 */
#define PAGE_JS(body)                                                          \
	"(async () => {"                                                       \
	"const until = async (f, what) => {"                                   \
	"  const end = Date.now() + 10000;"                                    \
	"  for (;;) {"                                                         \
	"    const v = f();"                                                   \
	"    if (v) return v;"                                                 \
	"    if (Date.now() > end) throw new Error('no ' + what);"             \
	"    await new Promise(r => setTimeout(r, 20));"                       \
	"  }"                                                                  \
	"};" body "})()"

static long long
page_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: chromium with the pipe on fds 3 and 4; never returns. */
static void
cdp_exec(const struct cdp *b, int r, int w)
{
	const char *exe = getenv("CHROMIUM") ? getenv("CHROMIUM") : "chromium";
	char profile[128], logpath[128];
	sigset_t none;
	int in, log;

	snprintf(
	    profile, sizeof(profile), "--user-data-dir=%s/profile", b->dir);
	snprintf(logpath, sizeof(logpath), "%s/chromium.log", b->dir);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	in = open("/dev/null", O_RDONLY);
	log = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	/* The pipe's ends may sit on 3 or 4: move them out of the way. */
	r = fcntl(r, F_DUPFD, 10);
	w = fcntl(w, F_DUPFD, 10);
	if (in < 0 || log < 0 || r < 0 || w < 0 || dup2(in, 0) < 0 ||
	    dup2(log, 1) < 0 || dup2(log, 2) < 0 || dup2(r, 3) < 0 ||
	    dup2(w, 4) < 0)
		_exit(127);
	execlp(exe, exe, "--headless=new", "--no-sandbox", "--disable-gpu",
	    "--remote-debugging-pipe", profile, "--no-first-run",
	    "--no-default-browser-check", "--disable-extensions",
	    "--disable-background-networking", "--disable-sync",
	    "--disable-dev-shm-usage", "--mute-audio", "about:blank",
	    (char *)NULL);
	dprintf(2, "exec %s: %s\n", exe, strerror(errno));
	_exit(127);
}

static void
cdp_start(struct cdp *b)
{
	int to[2], from[2];

	memset(b, 0, sizeof(*b));
	harness_tmpdir(b->dir, sizeof(b->dir));
	ck_assert_int_eq(pipe2(to, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(from, O_CLOEXEC), 0);
	b->pid = fork();
	ck_assert_int_ge(b->pid, 0);
	if (b->pid == 0)
		cdp_exec(b, to[0], from[1]);
	close(to[0]);
	close(from[1]);
	b->to = to[1];
	b->from = from[0];
}

/* Fails the test, with the end of the browser's log. */
static void
cdp_fail(const struct cdp *b, const char *what)
{
	char path[128], *log;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/chromium.log", b->dir);
	log = harness_read_file(path, &len);
	ck_abort_msg("%s (is chromium installed? tools/deps.sh installs it); "
	             "its log ends:\n%s",
	    what, len > 2000 ? log + len - 2000 : log);
}

/* Appends s to *m as a JSON string. */
static void
cdp_quote(char **m, size_t *n, const char *s)
{
	FILE *f = open_memstream(m, n);

	ck_assert_ptr_nonnull(f);
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
	fclose(f);
}

/*
 * Sends one command (to the page's session when in_page) with params, a
 * JSON object; returns its id.
 */
static int
cdp_send(struct cdp *b, int in_page, const char *method, const char *params)
{
	char *m;
	int n, off = 0;
	ssize_t w;

	n = asprintf(&m, "{\"id\":%d,%s%s%s\"method\":\"%s\",\"params\":%s}",
	    ++b->id, in_page ? "\"sessionId\":\"" : "",
	    in_page ? b->session : "", in_page ? "\"," : "", method, params);
	ck_assert_int_gt(n, 0);
	n++; /* the NUL that ends a message */
	while (off < n) {
		w = write(b->to, m + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			free(m);
			cdp_fail(b, "cannot write to chromium");
		}
		off += (int)w;
	}
	free(m);
	return b->id;
}

/*
 * Reads messages until the answer to command id, within the deadline;
 * returns it parsed (the caller frees it with yajl_tree_free).  Events
 * and other answers are dropped; an error answer fails the test.
 */
static yajl_val
cdp_answer(struct cdp *b, int id)
{
	static const char *id_path[] = {"id", NULL};
	static const char *err_path[] = {"error", "message", NULL};
	long long deadline = page_now_ms() + PAGE_CDP_TIMEOUT_MS;
	char ebuf[256], chunk[65536];

	for (;;) {
		char *end = b->len > 0 ? memchr(b->buf, '\0', b->len) : NULL;
		struct pollfd p = {.fd = b->from, .events = POLLIN};
		long long left;
		ssize_t r;

		if (end != NULL) {
			size_t mlen = (size_t)(end - b->buf) + 1;
			yajl_val v =
			    yajl_tree_parse(b->buf, ebuf, sizeof(ebuf));
			yajl_val vid = v != NULL
			    ? yajl_tree_get(v, id_path, yajl_t_number)
			    : NULL;

			ck_assert_msg(v != NULL,
			    "chromium sent bad JSON: %s: %s", ebuf, b->buf);
			memmove(b->buf, b->buf + mlen, b->len - mlen);
			b->len -= mlen;
			if (vid != NULL && YAJL_GET_INTEGER(vid) == id) {
				yajl_val e =
				    yajl_tree_get(v, err_path, yajl_t_string);

				ck_assert_msg(e == NULL, "chromium: %s",
				    e != NULL ? YAJL_GET_STRING(e) : "");
				return v;
			}
			yajl_tree_free(v);
			continue;
		}
		left = deadline - page_now_ms();
		if (left <= 0)
			cdp_fail(b, "no answer from chromium in time");
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			cdp_fail(b, "poll");
		if (p.revents == 0)
			continue;
		r = read(b->from, chunk, sizeof(chunk));
		if (r == 0)
			cdp_fail(b, "chromium closed its pipe");
		if (r < 0 && errno == EINTR)
			continue;
		ck_assert_int_gt(r, 0);
		b->buf = realloc(b->buf, b->len + (size_t)r);
		ck_assert_ptr_nonnull(b->buf);
		memcpy(b->buf + b->len, chunk, (size_t)r);
		b->len += (size_t)r;
	}
}

/* Sends a command and returns the string at path of its answer (owned). */
static char *
cdp_call(struct cdp *b, int in_page, const char *method, const char *params,
    const char **path)
{
	yajl_val v = cdp_answer(b, cdp_send(b, in_page, method, params));
	yajl_val s = yajl_tree_get(v, path, yajl_t_string);
	char *text;

	ck_assert_msg(s != NULL, "%s: no %s in the answer", method, path[1]);
	text = strdup(s->u.string);
	yajl_tree_free(v);
	return text;
}

/*
 * Runs script in the page and returns its value, a string (owned); a
 * script that throws fails the test with its message.
 */
static char *
cdp_eval(struct cdp *b, const char *script)
{
	static const char *value_path[] = {"result", "result", "value", NULL};
	static const char *exc_path[] = {
	    "result", "exceptionDetails", "exception", "description", NULL};
	char *q = NULL, *params;
	size_t qlen = 0;
	yajl_val v, s, e;

	cdp_quote(&q, &qlen, script);
	ck_assert_int_gt(asprintf(&params,
	                     "{\"expression\":%s,\"awaitPromise\":true,"
	                     "\"returnByValue\":true}",
	                     q),
	    0);
	v = cdp_answer(b, cdp_send(b, 1, "Runtime.evaluate", params));
	free(params);
	free(q);
	e = yajl_tree_get(v, exc_path, yajl_t_string);
	ck_assert_msg(e == NULL, "the script threw: %s",
	    e != NULL ? YAJL_GET_STRING(e) : "");
	s = yajl_tree_get(v, value_path, yajl_t_string);
	ck_assert_msg(s != NULL, "the script gave no string");
	q = strdup(s->u.string);
	yajl_tree_free(v);
	return q;
}

/* Opens a tab, attaches to it and loads url there. */
static void
cdp_open(struct cdp *b, const char *url)
{
	static const char *target_path[] = {"result", "targetId", NULL};
	static const char *session_path[] = {"result", "sessionId", NULL};
	static const char *frame_path[] = {"result", "frameId", NULL};
	char params[512], *target, *session, *frame;

	target = cdp_call(b, 0, "Target.createTarget",
	    "{\"url\":\"about:blank\"}", target_path);
	snprintf(params, sizeof(params),
	    "{\"targetId\":\"%s\",\"flatten\":true}", target);
	session = cdp_call(b, 0, "Target.attachToTarget", params, session_path);
	ck_assert_uint_lt(strlen(session), sizeof(b->session));
	strcpy(b->session, session);
	/* Answered once the new document is committed. */
	snprintf(params, sizeof(params), "{\"url\":\"%s\"}", url);
	frame = cdp_call(b, 1, "Page.navigate", params, frame_path);
	free(frame);
	free(session);
	free(target);
}

static int
cdp_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/*
 * Closes the browser: Browser.close, then its pipe's end of file within
 * the deadline; whatever of its process group is left is killed.
 */
static void
cdp_stop(struct cdp *b)
{
	long long deadline = page_now_ms() + HARNESS_TIMEOUT_MS;
	char chunk[4096];

	if (b->pid <= 0)
		return;
	cdp_send(b, 0, "Browser.close", "{}");
	for (;;) {
		struct pollfd p = {.fd = b->from, .events = POLLIN};
		long long left = deadline - page_now_ms();

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		if (read(b->from, chunk, sizeof(chunk)) <= 0)
			break;
	}
	kill(-b->pid, SIGKILL);
	waitpid(b->pid, NULL, 0);
	close(b->to);
	close(b->from);
	free(b->buf);
	nftw(b->dir, cdp_rm, 16, FTW_DEPTH | FTW_PHYS);
	b->pid = 0;
}

static void
page_setup(void)
{
	char url[64];

	harness_start_with(&page_h, "defaults.so", NULL);
	cdp_start(&page_cdp);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", page_h.port);
	cdp_open(&page_cdp, url);
}

static void
page_teardown(void)
{
	cdp_stop(&page_cdp);
	harness_stop(&page_h);
}

/* Runs script in the page and fails unless it gives want. */
static void
page_expect(const char *script, const char *want)
{
	char *got = cdp_eval(&page_cdp, script);

	ck_assert_str_eq(got, want);
	free(got);
}

/*
 * An HTTP request to the daemon on a new connection; returns the
 * response's status line and body as "LINE|BODY" (owned).
 */
static char *
page_http(const char *method, const char *path, const char *body)
{
	struct harness_http r;
	char *req, *out;
	int fd = harness_connect(page_h.port);

	ck_assert_int_gt(
	    asprintf(&req,
	        "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	        "Content-Type: application/json\r\n"
	        "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
	        method, path, strlen(body), body),
	    0);
	harness_sends(fd, req);
	harness_http_read(&r, fd, 0);
	close(fd);
	ck_assert_int_gt(asprintf(&out, "%s|%s", r.line, r.body), 0);
	harness_http_free(&r);
	free(req);
	return out;
}

/* The page lists plugin commands by plugin, then the built-ins folded. */
START_TEST(test_page_groups)
{
	page_expect(PAGE_JS("await until(() => document.querySelector('.cmd'),"
	                    " 'command list');"
	                    "return [...document.querySelectorAll("
	                    "  '#commands > .group')].map(g =>"
	                    "  g.tagName + (g.open ? ' open ' : ' ') +"
	                    "  g.querySelector('h2').textContent + ': ' +"
	                    "  [...g.querySelectorAll('.cmd')].map(d =>"
	                    "    d.id.slice(4)).join(' ')).join('\\n');"),
	    "SECTION kv: set get del incr exists\n"
	    "SECTION math: add sum\n"
	    "SECTION demo: reflect whoami counter fail sleep tick count\n"
	    "SECTION defaults: defaults.echo defaults.count defaults.tags\n"
	    "DETAILS Built-in commands: ping echo command info config time "
	    "module publish");
	/* #name opens that command; opening one puts its name there. */
	page_expect(PAGE_JS("location.hash = '#sum';"
	                    "const d = document.getElementById('cmd-sum');"
	                    "await until(() => d.open, 'sum opened');"
	                    "const add = document.getElementById('cmd-add');"
	                    "add.querySelector('summary').click();"
	                    "await until(() => location.hash === '#add',"
	                    "  '#add');"
	                    "return location.hash + ' ' + add.open;"),
	    "#add true");
	/* Its Content-Security-Policy lets nothing load from elsewhere. */
	page_expect(PAGE_JS("const v = new Promise(r =>"
	                    "  document.addEventListener("
	                    "    'securitypolicyviolation',"
	                    "    e => r(e.effectiveDirective)));"
	                    "new Image().src = 'http://127.0.0.2:1/x.png';"
	                    "return await v;"),
	    "img-src");
	/* The filter box: by name, plugin or summary. */
	page_expect(PAGE_JS("const f = document.getElementById('filter');"
	                    "const seen = q => {"
	                    "  f.value = q;"
	                    "  f.dispatchEvent(new Event('input'));"
	                    "  return q + ': ' + [...document.querySelectorAll("
	                    "    '.cmd')].filter(d => d.offsetParent)"
	                    "    .map(d => d.id.slice(4)).join(' ');"
	                    "};"
	                    "return [seen('SUM'), seen('math'), seen('pong'),"
	                    "  seen('nothing like it'), seen('')"
	                    "    .split(' ').length].join('\\n');"),
	    "SUM: sum\n"
	    "math: add sum\n"
	    "pong: ping\n"
	    "nothing like it: \n"
	    "26");
}
END_TEST

/* Fill add's fields with 1 and 2, click Call, read 3. */
START_TEST(test_page_call_add)
{
	page_expect(PAGE_JS("const d = await until(() =>"
	                    "  document.getElementById('cmd-add'), 'add');"
	                    "d.querySelector('summary').click();"
	                    "const f = d.querySelectorAll('input');"
	                    "f[0].value = '1';"
	                    "f[1].value = '2';"
	                    "d.querySelector('button').click();"
	                    "const pre = d.querySelector('.result pre');"
	                    "await until(() => pre.textContent, 'result');"
	                    "return [d.open, f.length, f[0].type,"
	                    "  d.querySelector('label').textContent,"
	                    "  d.querySelector('.status').textContent"
	                    "    .replace(/[0-9]+ ms$/, 'N ms'),"
	                    "  pre.textContent].join('|');"),
	    "true|2|number|a int|200 OK \xc2\xb7 N ms|3");
}
END_TEST

/*
 * Inputs are typed from the signature, defaults are placeholders, and
 * empty optional fields are left out (the daemon fills the defaults).
 */
START_TEST(test_page_typed_defaults)
{
	page_expect(
	    PAGE_JS("const d = await until(() =>"
	            "  document.getElementById('cmd-defaults.echo'),"
	            "  'defaults.echo');"
	            "const f = [...d.querySelectorAll("
	            "  'input, textarea')];"
	            "const kinds = f.map(x => x.type + '=' +"
	            "  x.placeholder + (x.checked ? '+' : '')).join(' ');"
	            "const opt = [...d.querySelectorAll('.opt')]"
	            "  .map(x => x.textContent).join(';');"
	            "f[0].value = 'hi';"
	            "f[1].value = '2';"
	            "d.querySelector('button').click();"
	            "const pre = d.querySelector('.result pre');"
	            "await until(() => pre.textContent, 'result');"
	            "return [d.querySelector('summary code').textContent,"
	            "  kinds, opt, pre.textContent,"
	            "  d.querySelector('.result code').textContent"
	            "    .replace(location.origin, 'ORIGIN')]"
	            "  .join('\\n');"),
	    "defaults.echo word:str [times:int=1] [loud:bool=false] "
	    "[ratio:float=0.5] [sep:str=-]\n"
	    "text= number=1 checkbox= number=0.5 text=-\n"
	    " optional, default 1; optional, default false;"
	    " optional, default 0.5; optional, default \"-\"\n"
	    "[\n  \"hi\",\n  2,\n  false,\n  0.5,\n  \"-\"\n]\n"
	    "curl -H 'Content-Type: application/json' -d "
	    "'{\"word\":\"hi\",\"times\":2}' ORIGIN/defaults.echo");
}
END_TEST

/*
 * Errors show in red with their status and code; bad input in a field is
 * refused before anything is sent; a stream shows each value.
 */
START_TEST(test_page_errors_and_streams)
{
	page_expect(PAGE_JS("const call = async (name, values) => {"
	                    "  const d = await until(() =>"
	                    "    document.getElementById('cmd-' + name), name);"
	                    "  const f = d.querySelectorAll('input, textarea');"
	                    "  values.forEach((v, i) => { f[i].value = v; });"
	                    "  const st = d.querySelector('.status');"
	                    "  st.textContent = '';"
	                    "  d.querySelector('button').click();"
	                    "  await until(() => / ms$|: /.test("
	                    "    st.textContent), name + ' result');"
	                    "  return [st.className,"
	                    "    st.textContent.replace(/[0-9]+ ms$/, 'N ms'),"
	                    "    d.querySelector('.result pre').textContent]"
	                    "    .join('|');"
	                    "};"
	                    "return [await call('fail', ['boom']),"
	                    "  await call('reflect', ['{\"a\": [1, 2]}']),"
	                    "  await call('reflect', ['{nope']),"
	                    "  await call('sum', ['[1.5, 2]']),"
	                    "  await call('count', ['3'])].join('\\n');"),
	    "status err|500 DEMO \xc2\xb7 N ms|boom\n"
	    "status|200 OK \xc2\xb7 N ms|{\n  \"a\": [\n    1,\n    2\n  ]\n}\n"
	    "status err|value: not valid JSON|\n"
	    "status|200 OK \xc2\xb7 N ms|3.5\n"
	    "status|200 OK \xc2\xb7 3 values \xc2\xb7 N ms|0\n1\n2\n");
}
END_TEST

/*
 * The events panel: subscribe in the page, publish from here and from the
 * page's own Publish box, and see both events, newest first.
 */
START_TEST(test_page_events)
{
	char *probe;

	page_expect(PAGE_JS("await until(() => document.querySelector('.cmd'),"
	                    " 'command list');"
	                    "document.getElementById('ev-chan').value = 'news';"
	                    "document.getElementById('ev-go').click();"
	                    "const st = document.getElementById('ev-state');"
	                    "await until(() => st.textContent === 'listening',"
	                    "  'subscription');"
	                    "return st.textContent;"),
	    "listening");
	probe = page_http("POST", "/publish/news", "{\"n\":1}");
	ck_assert_str_eq(probe, "HTTP/1.1 200 OK|{\"receivers\":1}");
	free(probe);
	page_expect(PAGE_JS("const list = document.getElementById('ev-list');"
	                    "await until(() => list.children.length === 1,"
	                    "  'first event');"
	                    "document.getElementById('pub-val').value = '[2]';"
	                    "document.querySelector('#pub button').click();"
	                    "const out = document.getElementById('pub-out');"
	                    "await until(() => out.textContent, 'publish');"
	                    "await until(() => list.children.length === 2,"
	                    "  'second event');"
	                    "return [out.textContent,"
	                    "  document.getElementById('pub-chan').value,"
	                    "  ...[...list.children].map(li =>"
	                    "    [...li.children].slice(1).map(e =>"
	                    "      e.textContent).join(' '))].join('\\n');"),
	    "1 receiver\nnews\n#2 news [2]\n#1 news {\"n\":1}");
	/* Stop, then a pattern: each event names its channel. */
	page_expect(PAGE_JS("document.getElementById('ev-stop').click();"
	                    "const st = document.getElementById('ev-state');"
	                    "const stopped = st.textContent;"
	                    "document.getElementById('ev-chan').value = 'ne*';"
	                    "document.getElementById('ev-pat').checked = true;"
	                    "document.getElementById('ev-go').click();"
	                    "await until(() => st.textContent === 'listening',"
	                    "  'pattern subscription');"
	                    "return stopped;"),
	    "stopped");
	probe = page_http("POST", "/publish/newt", "\"x<b>\"");
	ck_assert_str_eq(probe, "HTTP/1.1 200 OK|{\"receivers\":1}");
	free(probe);
	page_expect(
	    PAGE_JS("const list = document.getElementById('ev-list');"
	            "await until(() => list.children.length === 3,"
	            "  'pattern event');"
	            "const li = list.firstChild;"
	            "return [...li.children].slice(1).map(e =>"
	            "  e.textContent).join(' ') + ' ' +"
	            "  li.querySelectorAll('b').length + ' ' +"
	            "  document.getElementById('ev-state').textContent;"),
	    "#1 newt \"x<b>\" 0 listening, 1 event");
}
END_TEST

/* printf %s bobtoken | sha256sum */
#define PAGE_BOB_SHA                                                           \
	"f0718d6796623630e988ce4a371e4fb865c52762e82667f4f12cdca94ab4b25e"

static void
page_auth_setup(void)
{
	char url[64];

	harness_start(&page_h, NULL,
	    "auth:\n"
	    "  users:\n"
	    "    - name: bob\n"
	    "      token_sha256: " PAGE_BOB_SHA "\n"
	    "      commands: [\"@readonly\"]\n");
	cdp_start(&page_cdp);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", page_h.port);
	cdp_open(&page_cdp, url);
}

/* The commands the page lists, by group. */
#define PAGE_JS_GROUPS                                                         \
	"[...document.querySelectorAll('#commands > .group')].map(g =>"        \
	"  g.querySelector('h2').textContent + ': ' +"                         \
	"  [...g.querySelectorAll('.cmd')].map(d => d.id.slice(4))"            \
	"  .join(' ')).join('\\n')"

/*
 * With auth, the page lists what the token's user may call, keeps the
 * token in sessionStorage only and sends it with each call; an empty
 * token forgets it.
 */
START_TEST(test_page_token)
{
	page_expect(PAGE_JS("await until(() => document.querySelector('.cmd'),"
	                    " 'command list');"
	                    "const before = " PAGE_JS_GROUPS ";"
	                    "document.getElementById('token').value ="
	                    "  'bobtoken';"
	                    "document.querySelector('#login button').click();"
	                    "const d = await until(() =>"
	                    "  document.getElementById('cmd-add'), 'add');"
	                    "const f = d.querySelectorAll('input');"
	                    "f[0].value = '1';"
	                    "f[1].value = '2';"
	                    "d.querySelector('button').click();"
	                    "const pre = d.querySelector('.result pre');"
	                    "await until(() => pre.textContent, 'result');"
	                    "return [before, '--', " PAGE_JS_GROUPS ", '--',"
	                    "  pre.textContent,"
	                    "  sessionStorage.getItem('duetd.token'),"
	                    "  localStorage.length, document.cookie,"
	                    "  location.href.indexOf('bobtoken'),"
	                    "  document.getElementById('token').value,"
	                    "  d.querySelector('.result code').textContent"
	                    "    .indexOf('$TOKEN') > 0].join('\\n');"),
	    "demo: whoami counter\n"
	    "Built-in commands: ping\n"
	    "--\n"
	    "kv: get exists\n"
	    "math: add sum\n"
	    "demo: reflect whoami counter fail count\n"
	    "Built-in commands: ping echo command info time\n"
	    "--\n"
	    "3\n"
	    "bobtoken\n"
	    "0\n"
	    "\n"
	    "-1\n"
	    "\n"
	    "true");
	page_expect(PAGE_JS("document.querySelector('#login button').click();"
	                    "await until(() =>"
	                    "  !document.getElementById('cmd-add'), 'reload');"
	                    "return " PAGE_JS_GROUPS " + '\\n' +"
	                    "  sessionStorage.length;"),
	    "demo: whoami counter\n"
	    "Built-in commands: ping\n"
	    "0");
}
END_TEST

/* printf %s nodetoken | sha256sum */
#define PAGE_NODE_SHA                                                          \
	"afe59431bfd46ad72487e88ee8a2ad4248a6f801b88428ec3bde982dad5e0727"

static void
page_link_setup(void)
{
	char url[64];

	harness_start(&page_h, NULL,
	    "auth:\n"
	    "  users:\n"
	    "    - name: bob\n"
	    "      token_sha256: " PAGE_BOB_SHA "\n"
	    "      commands: [\"@readonly\"]\n"
	    "    - name: node\n"
	    "      token_sha256: " PAGE_NODE_SHA "\n"
	    "      link: true\n");
	cdp_start(&page_cdp);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", page_h.port);
	cdp_open(&page_cdp, url);
}

/*
 * A linked daemon's commands (SPEC 11) are grouped as "linked: <as>",
 * after the plugins' and before the built-ins.  The node is played over
 * a raw RESP3 connection, as in test_links.
 */
START_TEST(test_page_linked)
{
	static const char reg[] =
	    "*4\r\n$4\r\nLINK\r\n$8\r\nREGISTER\r\n$2\r\nfs\r\n$148\r\n"
	    "[{\"name\":\"upper\",\"args\":[{\"name\":\"s\",\"type\":\"str\","
	    "\"optional\":false,\"variadic\":false}],\"reply\":\"str\","
	    "\"summary\":\"Upper-cases s\",\"flags\":[\"readonly\"]}]\r\n";
	int node = harness_connect(page_h.port);
	size_t len;

	harness_sends(node,
	    "*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$4\r\nnode\r\n"
	    "$9\r\nnodetoken\r\n*1\r\n$4\r\nPING\r\n");
	free(harness_read_until(node, "+PONG\r\n", &len));
	harness_sends(node, reg);
	harness_expects(node, "+OK\r\n");
	page_expect(PAGE_JS("await until(() => document.querySelector('.cmd'),"
	                    " 'command list');"
	                    "document.getElementById('token').value ="
	                    "  'bobtoken';"
	                    "document.querySelector('#login button').click();"
	                    "const d = await until(() =>"
	                    "  document.getElementById('cmd-fs.upper'), 'fs');"
	                    "return " PAGE_JS_GROUPS " + '\\n' +"
	                    "  d.querySelector('summary').textContent;"),
	    "kv: get exists\n"
	    "math: add sum\n"
	    "demo: reflect whoami counter fail count\n"
	    "linked: fs: fs.upper\n"
	    "Built-in commands: ping echo command info time\n"
	    "fs.upper s:str \xe2\x86\x92 "
	    "strUpper-cases sreadonly");
	close(node);
}
END_TEST

static Suite *
page_suite(void)
{
	Suite *s = suite_create("page");
	TCase *tc = tcase_create("browser");

	tcase_add_checked_fixture(tc, page_setup, page_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_page_groups);
	tcase_add_test(tc, test_page_call_add);
	tcase_add_test(tc, test_page_typed_defaults);
	tcase_add_test(tc, test_page_errors_and_streams);
	tcase_add_test(tc, test_page_events);
	suite_add_tcase(s, tc);
	tc = tcase_create("auth");
	tcase_add_checked_fixture(tc, page_auth_setup, page_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_page_token);
	suite_add_tcase(s, tc);
	tc = tcase_create("link");
	tcase_add_checked_fixture(tc, page_link_setup, page_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_page_linked);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(page_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
