/* SPDX-License-Identifier: MIT */
/*
 * bench/pubsub_client.c: the load of the pub/sub rows of bench/compare.sh
 * and bench/ir.sh.  Opens N subscriber connections (RESP2 SUBSCRIBE ch,
 * or with -m sse an HTTP GET /events/ch counting "data:" lines), waits
 * for each to be subscribed, then one publisher connection sends PUBLISH
 * ch <payload> with up to -w commands in flight for -d seconds or -n
 * messages, and counts the messages every subscriber receives.  Every
 * PUBLISH reply must be :N (each subscriber reached), every RESP message
 * the exact bytes Redis sends; anything else is an error.  The publisher
 * also waits while the slowest subscriber is more than -l messages behind,
 * so a server never holds more than that for one subscriber (Redis drops
 * a subscriber past 32 MiB of output, or 8 MiB for a minute; duetd past
 * limits.max_pubsub_output, 8 MiB by default).
 * Prints one line:
 *
 *     published P delivered D seconds S delivered/s R
 *
 * where S runs from the first PUBLISH sent to the last message received.
 * Exit status 0 when D = P * N, 1 otherwise (the reason on stderr), 2 on
 * bad usage.  Single-threaded, epoll; needs nothing but libc:
 *
 *     cc -O2 -o pubsub_client bench/pubsub_client.c
 *     pubsub_client -p 6379 -c 50 -d 3
 *     pubsub_client -p 23838 -c 50 -n 100000 -m sse
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE    (256 * 1024)
#define SETUP_SECS  10 /* connecting and subscribing, each connection */
#define DRAIN_SECS  10 /* after the last PUBLISH, for the rest to arrive */
#define MAX_PAYLOAD (1024 * 1024)

enum mode { MODE_RESP, MODE_SSE };

struct sub {
	int fd;
	long long got; /* messages received */
	size_t pos;    /* RESP: offset in the expected message; SSE: in
	                  the "data:" prefix, at a line start */
	int midline;   /* SSE: inside a line other than "data:" */
};

struct opts {
	const char *host;
	int port;
	int subs;
	int window;
	double secs;
	long long msgs;
	size_t size;
	long long lag;
	const char *channel;
	enum mode mode;
};

static struct opts o = {
    "127.0.0.1", 6379, 50, 16, 0, 0, 16, 10000, "bench", MODE_RESP};
static struct sub *subs;
static char *expect; /* RESP: the bytes of one message to a subscriber */
static size_t expect_len;
static char *cmd; /* one PUBLISH command */
static size_t cmd_len;
static char buf[BUF_SIZE];

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pubsub_client: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pubsub_client [-h host] [-p port] [-c subscribers] "
	    "[-w window]\n"
	    "           [-d seconds | -n messages] [-s payload bytes] "
	    "[-l max lag]\n"
	    "           [-C channel] [-m resp|sse]\n");
	exit(2);
}

static long long
num(const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

static void
parse_args(int argc, char **argv)
{
	int c;
	char *end;

	while ((c = getopt(argc, argv, "h:p:c:w:d:n:s:l:C:m:")) != -1) {
		switch (c) {
		case 'h':
			o.host = optarg;
			break;
		case 'p':
			o.port = num(optarg, 1, 65535);
			break;
		case 'c':
			o.subs = num(optarg, 1, 100000);
			break;
		case 'w':
			o.window = num(optarg, 1, 1000000);
			break;
		case 'n':
			o.msgs = num(optarg, 1, 1LL << 40);
			break;
		case 's':
			o.size = num(optarg, 0, MAX_PAYLOAD);
			break;
		case 'l':
			o.lag = num(optarg, 1, 1LL << 40);
			break;
		case 'C':
			o.channel = optarg;
			break;
		case 'd':
			o.secs = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || !(o.secs > 0))
				usage();
			break;
		case 'm':
			if (strcmp(optarg, "resp") == 0)
				o.mode = MODE_RESP;
			else if (strcmp(optarg, "sse") == 0)
				o.mode = MODE_SSE;
			else
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (o.secs > 0) == (o.msgs > 0))
		usage();
	if (strpbrk(o.channel, "/?# \r\n%") != NULL)
		die("the channel must not need escaping in a URL");
}

/* A blocking connection with SETUP_SECS for every read and write. */
static int
dial(void)
{
	struct sockaddr_in sa;
	struct timeval tv = {SETUP_SECS, 0};
	int fd, one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(o.port);
	if (inet_pton(AF_INET, o.host, &sa.sin_addr) != 1)
		die("%s is not an IPv4 address", o.host);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		die("connect to %s:%d: %s", o.host, o.port, strerror(errno));
	return fd;
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			die("write: %s", strerror(errno));
		}
		p += w;
		n -= w;
	}
}

/* Reads exactly n bytes (blocking, with the set-up time limit). */
static void
read_exact(int fd, char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = read(fd, p, n);
		if (r == 0)
			die("the server closed a subscriber's connection");
		if (r == -1) {
			if (errno == EINTR)
				continue;
			die("subscribing: %s", strerror(errno));
		}
		p += r;
		n -= r;
	}
}

static void
printable(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			p[i] = '.';
}

static void
subscribe_resp(struct sub *s)
{
	char want[512], got[512];
	int n;

	n = snprintf(want, sizeof(want),
	    "*2\r\n$9\r\nSUBSCRIBE\r\n$%zu\r\n%s\r\n", strlen(o.channel),
	    o.channel);
	write_all(s->fd, want, n);
	n = snprintf(want, sizeof(want),
	    "*3\r\n$9\r\nsubscribe\r\n$%zu\r\n%s\r\n:1\r\n", strlen(o.channel),
	    o.channel);
	read_exact(s->fd, got, n);
	if (memcmp(got, want, n) != 0) {
		printable(got, n);
		die("SUBSCRIBE answered %.*s", n, got);
	}
}

static void count_sse(struct sub *s, const char *p, size_t n);

/* GET /events/<channel>: the response head must be a 200; what follows
 * it in the same read is counted. */
static void
subscribe_sse(struct sub *s)
{
	char req[512], *end;
	size_t have = 0;
	ssize_t r;
	int n;

	n = snprintf(req, sizeof(req),
	    "GET /events/%s HTTP/1.1\r\nHost: %s:%d\r\n"
	    "Accept: text/event-stream\r\n\r\n",
	    o.channel, o.host, o.port);
	write_all(s->fd, req, n);
	while ((end = memmem(buf, have, "\r\n\r\n", 4)) == NULL) {
		if (have == 8192)
			die("GET /events/%s: no end of the head", o.channel);
		r = read(s->fd, buf + have, 8192 - have);
		if (r == 0 || (r == -1 && errno != EINTR))
			die("GET /events/%s: %s", o.channel,
			    r == 0 ? "closed" : strerror(errno));
		if (r > 0)
			have += r;
	}
	if (have < 12 || memcmp(buf, "HTTP/1.1 200", 12) != 0) {
		n = have > 200 ? 200 : (int)have;
		printable(buf, n);
		die("GET /events/%s answered %.*s", o.channel, n, buf);
	}
	end += 4;
	count_sse(s, end, have - (end - buf));
}

/* RESP: every byte must be the next one of the expected message. */
static void
count_resp(struct sub *s, const char *p, size_t n)
{
	size_t k;

	while (n > 0) {
		k = expect_len - s->pos;
		if (k > n)
			k = n;
		if (memcmp(p, expect + s->pos, k) != 0) {
			k = n > 60 ? 60 : n;
			memmove(buf, p, k);
			printable(buf, k);
			die("subscriber %d: unexpected bytes after %lld "
			    "messages: %.*s",
			    (int)(s - subs), s->got, (int)k, buf);
		}
		s->pos += k;
		p += k;
		n -= k;
		if (s->pos == expect_len) {
			s->pos = 0;
			s->got++;
		}
	}
}

/* SSE: counts the lines that start with "data:" (chunk-size lines and
 * other fields are lines too, so chunked framing does not matter). */
static void
count_sse(struct sub *s, const char *p, size_t n)
{
	static const char prefix[] = "data:";

	for (; n > 0; p++, n--) {
		if (*p == '\n') {
			s->midline = 0;
			s->pos = 0;
			continue;
		}
		if (s->midline)
			continue;
		if (*p == prefix[s->pos]) {
			if (++s->pos == sizeof(prefix) - 1) {
				s->got++;
				s->midline = 1;
			}
		} else {
			s->midline = 1;
		}
	}
}

static void
build_messages(void)
{
	size_t cl = strlen(o.channel);
	char *payload;
	int n;

	if ((payload = malloc(o.size + 1)) == NULL)
		die("out of memory");
	memset(payload, 'x', o.size);
	payload[o.size] = '\0';
	n = snprintf(NULL, 0, "*3\r\n$7\r\nPUBLISH\r\n$%zu\r\n%s\r\n$%zu\r\n",
	    cl, o.channel, o.size);
	cmd_len = n + o.size + 2;
	expect_len = cmd_len; /* "message" is as long as "PUBLISH" */
	cmd = malloc(cmd_len + 1);
	expect = malloc(expect_len + 1);
	if (cmd == NULL || expect == NULL)
		die("out of memory");
	snprintf(cmd, cmd_len + 1,
	    "*3\r\n$7\r\nPUBLISH\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n", cl,
	    o.channel, o.size, payload);
	snprintf(expect, expect_len + 1,
	    "*3\r\n$7\r\nmessage\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n", cl,
	    o.channel, o.size, payload);
	free(payload);
}

static void
nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		die("fcntl: %s", strerror(errno));
}

struct pub {
	int fd;
	long long sent, acked;
	char *out; /* unsent bytes of whole commands */
	size_t out_len, out_cap;
	char line[64]; /* a reply line being read */
	size_t line_len;
	int want_out; /* EPOLLOUT registered */
};

static struct pub pub;
static int ep;

static long long
slowest(void)
{
	long long m = subs[0].got;

	for (int i = 1; i < o.subs; i++)
		if (subs[i].got < m)
			m = subs[i].got;
	return m;
}

/* Queues PUBLISH commands while the window, the lag limit and the
 * message count allow, and writes what it can. */
static void
pub_send(int stopping)
{
	long long n = 0, low = -1;
	ssize_t w;

	while (!stopping && pub.sent + n - pub.acked < o.window &&
	    (o.msgs == 0 || pub.sent + n < o.msgs)) {
		if (low == -1)
			low = slowest();
		if (pub.sent + n - low >= o.lag)
			break;
		n++;
	}
	if (pub.out_len + n * cmd_len > pub.out_cap) {
		pub.out_cap = pub.out_len + n * cmd_len;
		if ((pub.out = realloc(pub.out, pub.out_cap)) == NULL)
			die("out of memory");
	}
	for (long long i = 0; i < n; i++) {
		memcpy(pub.out + pub.out_len, cmd, cmd_len);
		pub.out_len += cmd_len;
	}
	pub.sent += n;
	if (pub.out_len == 0)
		return;
	w = write(pub.fd, pub.out, pub.out_len);
	if (w == -1 && errno != EAGAIN && errno != EINTR)
		die("publisher: write: %s", strerror(errno));
	if (w > 0) {
		memmove(pub.out, pub.out + w, pub.out_len - w);
		pub.out_len -= w;
	}
	if ((pub.out_len > 0) != pub.want_out) {
		struct epoll_event ev = {EPOLLIN, {.u32 = (uint32_t)o.subs}};

		pub.want_out = pub.out_len > 0;
		if (pub.want_out)
			ev.events |= EPOLLOUT;
		epoll_ctl(ep, EPOLL_CTL_MOD, pub.fd, &ev);
	}
}

/* Each reply must be ":<subscribers>\r\n". */
static void
pub_reply(const char *p, size_t n)
{
	char want[32];
	int wl = snprintf(want, sizeof(want), ":%d\r\n", o.subs);

	for (; n > 0; p++, n--) {
		if (pub.line_len == sizeof(pub.line))
			die("PUBLISH answered a line too long");
		pub.line[pub.line_len++] = *p;
		if (*p != '\n')
			continue;
		if (pub.line_len != (size_t)wl ||
		    memcmp(pub.line, want, wl) != 0) {
			printable(pub.line, pub.line_len);
			die("PUBLISH answered %.*s (%d subscribers expected)",
			    (int)pub.line_len, pub.line, o.subs);
		}
		pub.line_len = 0;
		pub.acked++;
	}
}

/* Reads what fd has; returns 0 when there is nothing more for now. */
static size_t
drain(int fd, const char *who)
{
	ssize_t r = read(fd, buf, sizeof(buf));

	if (r == 0)
		die("the server closed the %s's connection", who);
	if (r == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		die("%s: read: %s", who, strerror(errno));
	}
	return r;
}

static void
on_event(struct epoll_event *ev)
{
	size_t n;
	struct sub *s;

	if (ev->data.u32 == (uint32_t)o.subs) {
		if (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			while ((n = drain(pub.fd, "publisher")) > 0)
				pub_reply(buf, n);
		return;
	}
	s = &subs[ev->data.u32];
	if ((n = drain(s->fd, "subscriber")) == 0)
		return;
	if (o.mode == MODE_RESP)
		count_resp(s, buf, n);
	else
		count_sse(s, buf, n);
}

static long long
delivered(void)
{
	long long d = 0;

	for (int i = 0; i < o.subs; i++)
		d += subs[i].got;
	return d;
}

/* The load: returns the time of the last message received. */
static double
run(double t0)
{
	struct epoll_event evs[64];
	double t = t0, deadline = 0;
	int stopping = 0, n;

	for (;;) {
		if (!stopping &&
		    ((o.msgs > 0 && pub.sent == o.msgs) ||
		        (o.secs > 0 && t - t0 >= o.secs))) {
			stopping = 1;
			deadline = t + DRAIN_SECS;
		}
		pub_send(stopping);
		if (delivered() > pub.sent * o.subs)
			die("%lld messages received, %lld published to %d "
			    "subscribers",
			    delivered(), pub.sent, o.subs);
		if (stopping && pub.out_len == 0 && pub.acked == pub.sent &&
		    delivered() == pub.sent * o.subs)
			return t;
		if (stopping && t > deadline)
			die("%lld of %lld messages delivered %d s after the "
			    "last PUBLISH (%lld of %lld acknowledged)",
			    delivered(), pub.sent * o.subs, DRAIN_SECS,
			    pub.acked, pub.sent);
		n = epoll_wait(ep, evs, 64, 100);
		if (n == -1 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			on_event(&evs[i]);
		t = now();
	}
}

static void
add(int fd, uint32_t id)
{
	struct epoll_event ev = {EPOLLIN, {.u32 = id}};

	nonblock(fd);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		die("epoll_ctl: %s", strerror(errno));
}

int
main(int argc, char **argv)
{
	double t0, t1;
	long long d;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	build_messages();
	if ((subs = calloc(o.subs, sizeof(*subs))) == NULL)
		die("out of memory");
	if ((ep = epoll_create1(0)) == -1)
		die("epoll_create1: %s", strerror(errno));
	for (int i = 0; i < o.subs; i++) {
		subs[i].fd = dial();
		if (o.mode == MODE_RESP)
			subscribe_resp(&subs[i]);
		else
			subscribe_sse(&subs[i]);
		add(subs[i].fd, i);
	}
	pub.fd = dial();
	add(pub.fd, o.subs);
	t0 = now();
	t1 = run(t0);
	d = delivered();
	printf("published %lld delivered %lld seconds %.3f delivered/s %.0f\n",
	    pub.sent, d, t1 - t0, t1 > t0 ? d / (t1 - t0) : 0);
	return 0;
}
