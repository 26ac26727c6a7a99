#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# bench/links_mem.py: the hub's memory per link (duet-link(7)).
#
#   bench/links_mem.py HUB_PID PORT USER TOKEN_FILE [N]
#
# Opens N (1000) RESP3 connections to the hub at 127.0.0.1:PORT, each
# logged in with HELLO 3 AUTH USER TOKEN, then registers a node on each
# (LINK REGISTER n<i> with one small descriptor, math's add).  USER needs
# "link: true" and no "link_as" on the hub.  Reads the hub's VmRSS
# (/proc/HUB_PID/status) before, after the logins and after the
# registrations, and prints one line:
#
#   rss_kib BEFORE AUTHED LINKED conn_bytes C link_bytes L
#
# where C = (AUTHED - BEFORE) / N, the cost of a logged-in RESP3
# connection, and L = (LINKED - BEFORE) / N, the cost of a registered
# node, its connection included.  The hub closes a link silent for 15 s,
# so the registrations and the last reading are done well within that.
# Exits 1 with a message on any reply other than the expected one.
import resource
import socket
import sys
import time

DESCRIPTOR = (b'[{"name":"add","args":[{"name":"a","type":"int",'
              b'"optional":false,"variadic":false},{"name":"b","type":'
              b'"int","optional":false,"variadic":false}],"reply":"int",'
              b'"summary":"Adds two integers.","flags":["readonly"]}]')


def command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def frame(f):
    """One RESP3 frame from the file f, as a value (enough for HELLO's map
    and simple replies); an error reply is returned as ("error", text)."""
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise EOFError("connection closed by the hub")
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b":", b",", b"#", b"("):
        return rest
    if t == b"_":
        return None
    if t == b"-":
        return ("error", rest.decode(errors="replace"))
    if t in (b"$", b"=", b"!"):
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        if t == b"!":
            return ("error", data[:-2].decode(errors="replace"))
        return data[:-2]
    if t in (b"*", b"~", b">"):
        return [frame(f) for _ in range(int(rest))]
    if t == b"%":
        return [(frame(f), frame(f)) for _ in range(int(rest))]
    if t == b"|":
        for _ in range(int(rest)):
            frame(f), frame(f)
        return frame(f)
    raise ValueError("unexpected RESP3 type %r" % t)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as s:
        for line in s:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit("usage: links_mem.py HUB_PID PORT USER TOKEN_FILE [N]")
    pid, port, user = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    with open(sys.argv[4], "rb") as t:
        token = t.read().rstrip(b"\n")
    n = int(sys.argv[5]) if len(sys.argv) == 6 else 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        if hard != resource.RLIM_INFINITY and hard < n + 64:
            sys.exit("ulimit -n: %d descriptors allowed, %d needed" %
                     (hard, n + 64))
        resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64, hard))

    before = rss_kib(pid)
    conns = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(command("HELLO", 3, "AUTH", user, token))
        f = s.makefile("rb")
        r = frame(f)
        if not isinstance(r, list):
            sys.exit("connection %d: HELLO 3 AUTH answered %r" % (i, r))
        conns.append((s, f))
    time.sleep(1)
    authed = rss_kib(pid)
    for i, (s, f) in enumerate(conns):
        s.sendall(command("LINK", "REGISTER", "n%d" % i, DESCRIPTOR))
        r = frame(f)
        if r != b"OK":
            sys.exit("node n%d: LINK REGISTER answered %r" % (i, r))
    time.sleep(1)
    linked = rss_kib(pid)
    for s, f in conns:
        f.close()
        s.close()
    print("rss_kib %d %d %d conn_bytes %d link_bytes %d" %
          (before, authed, linked, (authed - before) * 1024 // n,
           (linked - before) * 1024 // n))


if __name__ == "__main__":
    main()
