#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# A duetd link node (duet-link(7)): dials a hub, registers as "py" and
# serves "upper", which the hub calls py.upper.  Needs redis-py 5 or later
# (RESP3) and msgpack.  Usage: link_node.py HOST PORT USER TOKEN_FILE
import json, random, sys, time
import msgpack, redis

COMMANDS = {b"upper": lambda s: s.upper()}
DESCRIPTORS = [{"name": "upper", "args": [{"name": "s", "type": "str",
                "optional": False, "variadic": False}], "reply": "str",
                "summary": "Upper-cases a string.", "flags": ["readonly"]}]


def answer(c, cid, name, args):  # one call push: LINK REPLY or LINK ERROR
    try:
        result = msgpack.packb(COMMANDS[name](*msgpack.unpackb(args)))
    except Exception as e:
        return c.send_command("LINK", "ERROR", cid, "ERR", f"{e!r}")
    c.send_command("LINK", "REPLY", cid, result)


def serve(c):  # until the hub has been silent for 3 heartbeats (15 s)
    heard = ping = time.monotonic()
    while time.monotonic() - heard < 15:
        if time.monotonic() - ping >= 5:
            c.send_command("PING")
            ping = time.monotonic()
        if not c.can_read(timeout=max(0, ping + 5 - time.monotonic())):
            continue
        heard = time.monotonic()
        try:  # a call push, or the reply to a command: +OK, PONG
            m = c.read_response(push_request=True)
        except redis.ResponseError as e:  # -ERR: LINK REPLY's id unknown
            print("hub:", e, file=sys.stderr)
            continue
        if isinstance(m, list) and m[0] == b"call":
            answer(c, *m[1:])


host, port, user, token_file = sys.argv[1:]
token = open(token_file).read().strip()
delay = 0.1
while True:
    c = redis.Connection(host=host, port=int(port), username=user,
                         password=token, protocol=3, socket_timeout=15,
                         lib_name=None, lib_version=None)
    try:  # connects first: HELLO 3 AUTH user token
        c.send_command("LINK", "REGISTER", "py", json.dumps(DESCRIPTORS))
        c.read_response()  # +OK, or the hub's -ERR raised
        print("registered", flush=True)
        delay = 0.1
        serve(c)
    except redis.RedisError as e:
        print("link down:", e, file=sys.stderr, flush=True)
    c.disconnect()
    time.sleep(delay * random.uniform(0.5, 1.5))
    delay = min(delay * 2, 30)
