/* SPDX-License-Identifier: MIT */
/*
 * transport - the plain socket transport (L2): one readv of up to 64 KiB
 * into space reserved in the input evbuffer, evbuffer_write for output.
 * What the bytes mean is left to the conn's session; when to read or
 * write, and the timeouts, to conn.c.
 */
#include "autoconf.h"

#include <sys/uio.h>

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "transport.h"

/*
 * Reads what the socket holds, up to max, into in (a pipelined batch in
 * one readv; libevent 2.1's bufferevent would read 4 KiB at a time, each
 * after an ioctl).  Returns the bytes read, 0 at end of file, or -1
 * (errno set; EAGAIN: nothing yet).
 */
static ssize_t
transport_plain_read(struct transport_io *io, struct evbuffer *in, size_t max)
{
	struct evbuffer_iovec v[2];
	ssize_t n;
	int nv;

	if ((nv = evbuffer_reserve_space(in, (ev_ssize_t)max, v, 2)) <= 0) {
		errno = ENOMEM;
		return -1;
	}
	n = readv(io->fd, (struct iovec *)v, nv);
	if (n <= 0) {
		evbuffer_commit_space(in, v, 0);
		return n;
	}
	if ((size_t)n <= v[0].iov_len) {
		v[0].iov_len = (size_t)n;
		nv = 1;
	} else {
		v[1].iov_len = (size_t)n - v[0].iov_len;
	}
	evbuffer_commit_space(in, v, nv);
	return n;
}

/* libevent freed the reference to spare's memory: it may be lent again. */
static void
transport_spare_back(const void *data, size_t len, void *arg)
{
	struct transport_spare *spare = arg;

	(void)data;
	(void)len;
	spare->lent = 0;
}

/*
 * transport_plain_read into spare's memory, added to in by reference
 * when spare is free and in empty: no chain is allocated and freed for
 * each read (libevent's reference chain header comes from malloc's
 * thread cache).
 */
static ssize_t
transport_plain_read_lend(struct transport_io *io, struct evbuffer *in,
    size_t max, struct transport_spare *spare)
{
	ssize_t n;

	if (spare->lent || evbuffer_get_length(in) > 0)
		return transport_plain_read(io, in, max);
	if ((n = read(io->fd, spare->mem,
	         max < spare->size ? max : spare->size)) <= 0)
		return n;
	spare->lent = 1;
	if (evbuffer_add_reference(
	        in, spare->mem, (size_t)n, transport_spare_back, spare) == 0)
		return n;
	spare->lent = 0;
	if (evbuffer_add(in, spare->mem, (size_t)n) == 0)
		return n;
	errno = ENOMEM;
	return -1;
}

/*
 * Writes what the socket takes of out.  Returns the bytes written, or -1
 * (errno set).
 */
static int
transport_plain_write(struct transport_io *io, struct evbuffer *out)
{
	return evbuffer_write(out, io->fd);
}

/*
 * Nothing to end: conn closes the socket.
 */
static void
transport_plain_shutdown(struct transport_io *io)
{
	(void)io;
}

static int
transport_plain_describe(const struct transport_io *io, char *buf, size_t len)
{
	(void)io;
	return snprintf(buf, len, "tcp");
}

const struct transport transport_plain = {
    .name = "tcp",
    .read = transport_plain_read,
    .read_lend = transport_plain_read_lend,
    .write = transport_plain_write,
    .shutdown = transport_plain_shutdown,
    .describe = transport_plain_describe,
};
