#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""layers - keeps ../DESIGN.md's layering of daemon/ honest.

Reads the #include "x.h" lines of daemon/*.c and daemon/*.h, groups files
into modules (a file stem; the groups below count as one module), and
reports:
  - every dependency cycle between modules (strongly connected components
    of the include graph);
  - every include that points up the layer table (a file may include its
    own layer's headers and those below, never an upper layer's);
  - every file that is in no layer.
Exits 1 if it found any of them, 0 otherwise.

Usage: tools/layers.py [daemon-dir]     (default: daemon/ beside tools/)
"""
import os
import re
import sys

# Files whose stems count as one module (the first name is the module's).
GROUPS = [
    ("conn", "conn_reply", "conn_idle", "conn_info", "conn_site", "conn_int"),
    ("resp", "resp_inline", "resp_int"),
    ("call", "call_stream"),
    ("convert", "convert_json", "convert_json_out"),
    ("config", "config_int", "config_listen", "config_plugin", "config_auth",
     "config_access", "config_link"),
    ("dispatch", "dispatch_args"),
    ("http", "http_int", "http_scan", "http_util"),
    ("tls", "tls_int", "tls_client"),
    ("link_client", "link_client_int", "link_session", "link_resolve"),
    ("http_session", "http_session_int", "http_session_body", "http_admit",
     "http_events"),
]

# DESIGN.md's layers, bottom (L0) to top (L5), by module.
LAYERS = {
    0: "resp resp_reply http http_reply reply convert signature config util "
       "log paths autoconf sig_type cidr resp3 link_frame",
    1: "registry plugin auth metrics describe openapi page mailbox env "
       "peers pubsub links",
    2: "conn transport tls",
    3: "dispatch call pool conn_state link_call",
    4: "resp_session http_session builtin builtin_admin builtin_auth "
       "builtin_module builtin_pubsub builtin_link link_client "
       "builtin_http multi",
    5: "main worker worker_listen worker_admit",
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"', re.M)


def module_of(stem):
    for g in GROUPS:
        if stem in g:
            return g[0]
    return stem


def layer_of():
    table = {}
    for n, names in LAYERS.items():
        for name in names.split():
            table[name] = n
    return table


def read_graph(root):
    """{module: {included module: [(file, header), ...]}}"""
    graph = {}
    files = sorted(f for f in os.listdir(root) if f.endswith((".c", ".h")))
    for f in files:
        stem = f.rsplit(".", 1)[0]
        mod = module_of(stem)
        edges = graph.setdefault(mod, {})
        with open(os.path.join(root, f), encoding="utf-8") as fp:
            text = fp.read()
        for inc in INCLUDE.findall(text):
            dep = module_of(inc)
            if dep != mod:
                edges.setdefault(dep, []).append((f, inc + ".h"))
    return graph


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, {})):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..",
                                                              "daemon")
    graph = read_graph(root)
    table = layer_of()
    bad = 0
    for comp in cycles(graph):
        bad += 1
        print("cycle: " + " ".join(comp))
        members = set(comp)
        for m in comp:
            for dep in sorted(graph[m]):
                if dep in members:
                    f, h = graph[m][dep][0]
                    print("  %s -> %s (%s includes %s)" % (m, dep, f, h))
    for mod in sorted(graph):
        if mod not in table:
            bad += 1
            print("no layer: %s (add it to tools/layers.py and DESIGN.md)"
                  % mod)
            continue
        for dep, where in sorted(graph[mod].items()):
            if dep in table and table[dep] > table[mod]:
                bad += 1
                for f, h in where:
                    print("upward: %s (L%d) includes %s (L%d)"
                          % (f, table[mod], h, table[dep]))
    if bad:
        print("layers: %d problem(s); see DESIGN.md's layer table" % bad)
        return 1
    print("layers: %d modules, no cycle, no upward include" % len(graph))
    return 0


if __name__ == "__main__":
    sys.exit(main())
