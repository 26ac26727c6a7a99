# SPDX-License-Identifier: MIT
# redis-py's RESP3 pub/sub against duetd (test_pubsub.c runs it): a
# pubsub() whose push handler collects subscribe confirmations and
# messages, a publish from a second RESP3 client, then ordinary commands
# on the subscriber's client.  Prints what the handler got, one per line.
# argv: the directory holding redis-py 6 (tools/deps.sh), the port.
import sys
import time

sys.path.insert(0, sys.argv[1])
import redis  # noqa: E402


def drain(p, got, n):
    deadline = time.monotonic() + 10
    while len(got) < n and time.monotonic() < deadline:
        p.get_message(timeout=0.1)


port = int(sys.argv[2])
r = redis.Redis(port=port, protocol=3)
got = []
p = r.pubsub(push_handler_func=got.append)
p.subscribe("py3:news")
p.psubscribe("py3:*")
drain(p, got, 2)
pub = redis.Redis(port=port, protocol=3)
print("version", redis.__version__.split(".")[0])
print("publish", pub.publish("py3:news", "hello"))
print("publish", pub.publish("py3:other", 42))
drain(p, got, 5)
p.unsubscribe("py3:news")
p.punsubscribe()
drain(p, got, 7)
for m in got:
    print(m)
print("ping", r.ping(), r.echo("e"), r.connection_pool.connection_kwargs.get("protocol"))
