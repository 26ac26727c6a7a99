/* SPDX-License-Identifier: MIT */
/*
 * loopback - a conn with no socket for unit tests (see loopback.h).
 */
#include "autoconf.h"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include <check.h>

#include "builtin.h"
#include "config.h"
#include "dispatch.h"
#include "log.h"
#include "loopback.h"
#include "registry.h"
#include "transport.h"

static ssize_t
loopback_read(struct transport_io *io, struct evbuffer *in, size_t max)
{
	struct loopback *lb = io->state;
	int n;

	if (evbuffer_get_length(lb->wire) == 0) {
		if (lb->eof)
			return 0;
		errno = EAGAIN;
		return -1;
	}
	n = evbuffer_remove_buffer(lb->wire, in, max);
	return n;
}

static int
loopback_write(struct transport_io *io, struct evbuffer *out)
{
	struct loopback *lb = io->state;
	size_t n = evbuffer_get_length(out);

	evbuffer_add_buffer(lb->answer, out);
	return (int)n;
}

static void
loopback_shutdown(struct transport_io *io)
{
	struct loopback *lb = io->state;

	if (lb != NULL)
		lb->c = NULL; /* the conn is being freed */
}

static int
loopback_describe(const struct transport_io *io, char *buf, size_t len)
{
	(void)io;
	return snprintf(buf, len, "loopback");
}

static const struct transport loopback_transport = {
    .name = "loopback",
    .read = loopback_read,
    .write = loopback_write,
    .shutdown = loopback_shutdown,
    .describe = loopback_describe,
};

/*
 * A worker with the built-in commands and default limits, and one conn
 * of it serving protos over the loopback transport.
 */
void
loopback_init(
    struct loopback *lb, const struct conn_proto *const *protos, size_t nprotos)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char path[64];
	struct registry *reg;
	FILE *f;
	int fd, nerrors;

	memset(lb, 0, sizeof(*lb));
	snprintf(lb->dir, sizeof(lb->dir), "/tmp/duet-lb-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(lb->dir));
	snprintf(path, sizeof(path), "%s/duetd.yaml", lb->dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(
	    f, "workers: 1\nplugin_dir: %s\nlog: {level: error}\n", lb->dir);
	fclose(f);
	ck_assert_ptr_nonnull(lb->cf = config_load(path, NULL));
	unlink(path);
	log_set_level((enum log_level)lb->cf->log_level);
	reg =
	    registry_build(lb->cf, dispatch_host(), builtin_commands, &nerrors);
	ck_assert_ptr_nonnull(reg);
	registry_publish(reg);
	ck_assert_int_eq(worker_init(&lb->w, 0, lb->cf), 0);
	lb->wire = evbuffer_new();
	lb->answer = evbuffer_new();
	/* A descriptor that never becomes readable: no socket. */
	ck_assert_int_ge(fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), 0);
	lb->c = conn_new(&lb->w.env, fd, (struct sockaddr *)&sun, "loopback",
	    &loopback_transport, protos, nprotos);
	ck_assert_ptr_nonnull(lb->c);
	lb->c->io.state = lb;
}

/*
 * The client sends bytes: the conn reads and serves them, and the loop
 * runs what that started.
 */
void
loopback_send(struct loopback *lb, const char *bytes)
{
	evbuffer_add(lb->wire, bytes, strlen(bytes));
	if (lb->c != NULL)
		event_active(&lb->c->ev, EV_READ, 0);
	event_base_loop(lb->w.env.base, EVLOOP_NONBLOCK);
}

/*
 * What the conn wrote since the last call, as a string the caller frees.
 */
char *
loopback_take(struct loopback *lb)
{
	size_t n = evbuffer_get_length(lb->answer);
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	evbuffer_remove(lb->answer, s, n);
	s[n] = '\0';
	return s;
}

/*
 * Asserts that what the conn wrote since the last take is exactly want.
 */
void
loopback_expect(struct loopback *lb, const char *want)
{
	char *got = loopback_take(lb);

	ck_assert_str_eq(got, want);
	free(got);
}

/*
 * Whether the conn has freed itself.
 */
int
loopback_closed(const struct loopback *lb)
{
	return lb->c == NULL;
}

void
loopback_fini(struct loopback *lb)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&lb->w.env.conns)) != NULL)
		conn_free(c);
	worker_fini(&lb->w);
	registry_publish(NULL);
	evbuffer_free(lb->wire);
	evbuffer_free(lb->answer);
	config_free(lb->cf);
	rmdir(lb->dir);
}
