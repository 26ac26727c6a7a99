# SPDX-License-Identifier: MIT
# redis-py (Debian's python3-redis 4.3.4, RESP2) against a pub/sub server
# on 127.0.0.1:<argv[1]>: pubsub(), subscribe, psubscribe, get_message
# with a timeout, a handler run by run_in_thread.  Prints what it gets, one
# line per message, for tests/integration/test_pubsub.c to compare.
import sys
import threading

import redis

DEADLINE = 10.0

r = redis.Redis(port=int(sys.argv[1]))


def get(p):
    """The next message, or fail after DEADLINE seconds."""
    m = p.get_message(timeout=DEADLINE)
    if m is None:
        sys.exit("no message within %s s" % DEADLINE)
    return m


def show(m):
    print(m["type"], m["pattern"], m["channel"], m["data"])


p = r.pubsub()
p.subscribe("py:a", "py:b")
show(get(p))
show(get(p))
p.psubscribe("py:*")
show(get(p))
print("publish", r.publish("py:a", "hello"))
show(get(p))
show(get(p))
print("publish", r.publish("py:c", b"\x00\xff"))
show(get(p))
print("publish", r.publish("py:b", 42))
show(get(p))
show(get(p))
p.unsubscribe("py:a")
show(get(p))
p.punsubscribe()
show(get(p))
print("subscribed", p.subscribed)
p.unsubscribe()
show(get(p))
print("subscribed", p.subscribed)
p.close()

# A handler in a thread of redis-py's own: the messages arrive in order.
got = []
done = threading.Event()


def handler(m):
    got.append(m["data"])
    if len(got) == 3:
        done.set()


p = r.pubsub()
p.subscribe(**{"py:t": handler})
# The subscription is live once its reply came: read it here.
show(get(p))
t = p.run_in_thread(sleep_time=0.01, daemon=True)
for i in range(3):
    r.publish("py:t", "m%d" % i)
if not done.wait(DEADLINE):
    sys.exit("the handler got %r" % got)
t.stop()
t.join(DEADLINE)
print("thread", got)
