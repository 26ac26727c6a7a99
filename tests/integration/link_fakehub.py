# SPDX-License-Identifier: MIT
# A scripted stand-in for a duetd hub (duet-link(7)) that checks the
# example node doc/examples/link_node.py byte by byte, with no daemon:
# the node's HELLO 3 AUTH, its LINK REGISTER descriptors, its answers to
# call pushes (LINK REPLY, LINK ERROR), that it survives a -ERR, that it
# PINGs within 5 s, and that it dials again after the hub closes the link
# and after a refused LINK REGISTER.  tests/link_node.sh runs it.
# argv: the node program, the directory holding redis-py 6.
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import msgpack

DEADLINE = time.monotonic() + 30
DESCRIPTORS = [{"name": "upper", "args": [{"name": "s", "type": "str",
                "optional": False, "variadic": False}], "reply": "str",
                "summary": "Upper-cases a string.", "flags": ["readonly"]}]
failed = 0


def check(what, got, want):
    global failed
    if got == want:
        print("ok", what)
    else:
        print("FAIL", what, "got", repr(got), "want", repr(want))
        failed += 1


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def push_call(cid, name, args):
    return b">4\r\n" + bulk(b"call") + b":%d\r\n" % cid + bulk(name) + \
        bulk(msgpack.packb(args))


class Peer:
    """One accepted connection: reads RESP commands, writes raw bytes."""

    def __init__(self, lsock):
        lsock.settimeout(max(0.1, DEADLINE - time.monotonic()))
        self.sock, _ = lsock.accept()
        self.sock.settimeout(max(0.1, DEADLINE - time.monotonic()))
        self.f = self.sock.makefile("rb")

    def command(self):
        line = self.f.readline()
        if not line.startswith(b"*"):
            raise RuntimeError("not a multibulk: %r" % line)
        args = []
        for _ in range(int(line[1:])):
            n = int(self.f.readline()[1:])
            args.append(self.f.read(n + 2)[:-2])
        return args

    def send(self, b):
        self.sock.sendall(b)

    def close(self):
        self.f.close()
        self.sock.close()


def handshake(p, register_reply=b"+OK\r\n"):
    check("HELLO 3 AUTH user token", p.command(),
          [b"HELLO", b"3", b"AUTH", b"nodeuser", b"s3cret"])
    p.send(b"%2\r\n$6\r\nserver\r\n$5\r\nduetd\r\n$5\r\nproto\r\n:3\r\n")
    cmd = p.command()
    check("LINK REGISTER py", cmd[:3], [b"LINK", b"REGISTER", b"py"])
    check("descriptors", json.loads(cmd[3]), DESCRIPTORS)
    p.send(register_reply)


def main():
    node, redispy = sys.argv[1], sys.argv[2]
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    port = lsock.getsockname()[1]
    tok = tempfile.NamedTemporaryFile("w", suffix=".token")
    tok.write("s3cret\n")
    tok.flush()
    env = dict(os.environ, PYTHONPATH=redispy)
    proc = subprocess.Popen(["/usr/bin/python3", node, "127.0.0.1",
                             str(port), "nodeuser", tok.name],
                            env=env, stdout=subprocess.PIPE, stderr=sys.stdout)
    try:
        run(lsock, proc)
    finally:
        proc.kill()
        proc.wait()
    print("%s: %d failed" % ("FAIL" if failed else "PASS", failed))
    return 1 if failed else 0


def run(lsock, proc):
    p = Peer(lsock)
    handshake(p)
    check("node says", proc.stdout.readline(), b"registered\n")
    p.send(push_call(1, b"upper", ["hello"]) +
           push_call(2, b"nosuch", []) + push_call(3, b"upper", [42]))
    check("reply 1", p.command(),
          [b"LINK", b"REPLY", b"1", msgpack.packb("HELLO")])
    p.send(b"+OK\r\n")
    check("error 2", p.command(),
          [b"LINK", b"ERROR", b"2", b"ERR", b"KeyError(b'nosuch')"])
    p.send(b"+OK\r\n")
    check("error 3", p.command(), [b"LINK", b"ERROR", b"3", b"ERR",
          b"AttributeError(\"'int' object has no attribute 'upper'\")"])
    p.send(b"-ERR no link call 3 in flight\r\n")
    p.send(push_call(4, b"upper", ["\u00e9t\u00e9"]))
    check("reply 4 after an -ERR", p.command(),
          [b"LINK", b"REPLY", b"4", msgpack.packb("\u00c9T\u00c9")])
    p.send(b"+OK\r\n")
    t = time.monotonic()
    check("heartbeat", p.command(), [b"PING"])
    check("within 5 s", time.monotonic() - t < 5.5, True)
    p.send(b"+PONG\r\n")
    p.close()

    p = Peer(lsock)  # dials again once the hub closed the link
    handshake(p, b"-ERR link name 'py' is in use\r\n")
    p.close()
    p = Peer(lsock)  # and again after a refused LINK REGISTER
    handshake(p)
    check("node says again", proc.stdout.readline(), b"registered\n")
    p.send(push_call(7, b"upper", ["x"]))
    check("reply 7", p.command(), [b"LINK", b"REPLY", b"7", msgpack.packb("X")])
    p.close()


if __name__ == "__main__":
    sys.exit(main())
