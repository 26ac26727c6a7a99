# SPDX-License-Identifier: MIT
# Starts the example link node (doc/examples/link_node.py) against a hub
# and exits 0, printing "registered", once the hub has accepted its LINK
# REGISTER (the node registers as "py": the hub then serves py.upper).
# With --hold it keeps the node running after that until its own stdin
# closes, so a test can call py.upper through the link meanwhile.  Exits
# 1, with the node's output, if the node does not register within 20 s.
# argv: the directory holding redis-py 6 (tools/deps.sh), the hub's port,
# the hub user, a file holding its token, optionally --hold.
import os
import selectors
import subprocess
import sys
import tempfile
import time

NODE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "..", "..", "doc", "examples", "link_node.py")


def wait_registered(proc):
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if sel.select(deadline - time.monotonic()):
            line = proc.stdout.readline()
            if line == b"registered\n":
                return True
            if line == b"":
                return False
    return False


def main():
    redispy, port, user, token_file = sys.argv[1:5]
    hold = sys.argv[5:] == ["--hold"]
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        ["/usr/bin/python3", NODE, "127.0.0.1", port, user, token_file],
        env=dict(os.environ, PYTHONPATH=redispy),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
    try:
        ok = wait_registered(proc)
        if ok:
            print("registered", flush=True)
            if hold:
                sys.stdin.buffer.read()
    finally:
        proc.kill()
        proc.wait()
    if not ok:
        err.seek(0)
        sys.stdout.write("node did not register:\n" +
                         err.read().decode(errors="replace"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
