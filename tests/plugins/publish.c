/* SPDX-License-Identifier: MIT */
/*
 * publish - a test-only plugin for duet_publisher() and duet_publish()
 * (ABI 1.3) used wrong and from a thread of the plugin's own:
 *
 *   publish.none ch:str      -> int: what duet_publish answers when
 *                               nothing was packed (-1)
 *   publish.two ch:str       -> [int, int]: duet_publish after packing
 *                               two values (-1, nothing sent), then after
 *                               packing one, "one" (its receivers): the
 *                               first call emptied the packer
 *   publish.big ch:str n:int -> [int, int]: publishes a string of n
 *                               'x', then the integer 7 (a packer that
 *                               grew large is given back in between)
 *   publish.thread ch:str n:int -> int: a new thread publishes the
 *                               strings "t0".."t<n-1>" with call NULL on
 *                               its own packer, then ends (its packer is
 *                               freed with it); the reply is the sum of
 *                               their receivers, or -1 if one failed
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include <duet/plugin.h>

static void
publish_none(duet_call *call)
{
	size_t len;
	const char *ch = duet_arg_bytes(call, 0, &len);

	duet_reply_int(call, duet_publish(call, ch, len));
}

static void
publish_two(duet_call *call)
{
	msgpack_packer *pk = duet_publisher(call);
	size_t len;
	const char *ch = duet_arg_bytes(call, 0, &len);

	duet_reply_array(call, 2);
	msgpack_pack_int(pk, 1);
	msgpack_pack_int(pk, 2);
	duet_reply_int(call, duet_publish(call, ch, len));
	msgpack_pack_str_with_body(pk, "one", 3);
	duet_reply_int(call, duet_publish(call, ch, len));
}

static void
publish_big(duet_call *call)
{
	msgpack_packer *pk = duet_publisher(call);
	int64_t i, n = duet_arg_int(call, 1);
	size_t len;
	const char *ch = duet_arg_bytes(call, 0, &len);

	if (n < 0 || n > 16 * 1024 * 1024) {
		duet_reply_error(call, "ERR", "n must be between 0 and 16MiB");
		return;
	}
	duet_reply_array(call, 2);
	msgpack_pack_str(pk, (size_t)n);
	for (i = 0; i < n; i++)
		msgpack_pack_str_body(pk, "x", 1);
	duet_reply_int(call, duet_publish(call, ch, len));
	msgpack_pack_int(pk, 7);
	duet_reply_int(call, duet_publish(call, ch, len));
}

struct publish_job {
	const char *ch; /* borrowed: the call's argument, joined before */
	size_t len;
	int64_t n;
	long sum;
};

static void *
publish_thread_main(void *arg)
{
	struct publish_job *job = arg;
	msgpack_packer *pk = duet_publisher(NULL);
	char item[32];
	long r;
	int64_t i;

	for (i = 0; i < job->n && job->sum >= 0; i++) {
		snprintf(item, sizeof(item), "t%lld", (long long)i);
		msgpack_pack_str_with_body(pk, item, strlen(item));
		r = duet_publish(NULL, job->ch, job->len);
		job->sum = r < 0 ? -1 : job->sum + r;
	}
	return NULL;
}

static void
publish_thread(duet_call *call)
{
	struct publish_job job = {NULL, 0, duet_arg_int(call, 1), 0};
	pthread_t t;

	job.ch = duet_arg_bytes(call, 0, &job.len);
	if (pthread_create(&t, NULL, publish_thread_main, &job) != 0) {
		duet_reply_error(call, "ERR", "no thread");
		return;
	}
	pthread_join(t, NULL);
	duet_reply_int(call, job.sum);
}

static const struct duet_command publish_commands[] = {
    {"publish.none", "ch:str", "int", "duet_publish with nothing packed.", 0,
        publish_none},
    {"publish.two", "ch:str", "array",
        "duet_publish with two values packed, then one.", 0, publish_two},
    {"publish.big", "ch:str n:int", "array", "Publishes n 'x', then 7.", 0,
        publish_big},
    {"publish.thread", "ch:str n:int", "int",
        "Publishes t0..t<n-1> from a thread of the plugin.", 0, publish_thread},
    {.name = NULL},
};

DUET_PLUGIN = {
    DUET_PLUGIN_HEADER,
    .name = "publish",
    .version = "1.0.0",
    .flags = DUET_THREADSAFE,
    .commands = publish_commands,
};
