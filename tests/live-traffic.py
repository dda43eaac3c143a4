#!/usr/bin/env python3
"""Real TCP connections between two network namespaces, for finscope -i.

One process drives both ends (as scripts/kernel-traces/mktraces.py does):
each socket is opened inside its namespace (setns(2) before socket()), then
connect, accept, a request and a response, and a close in an exact order:

  client-first  the client closes first: TIME_WAIT in the client namespace
  server-first  the server closes first: TIME_WAIT in the server namespace
  client-rst    the client aborts (SO_LINGER {1, 0}): RST, no TIME_WAIT
  server-rst    the server aborts: RST from the server, no TIME_WAIT

Each connection's close finishes (EOF or reset seen) before the next one
starts, so the counts are exact. The kinds are interleaved.

  plan:  --client-first N --server-first N --client-rst N --server-rst N
  soak:  --rate R --duration S  (45% client-first, 45% server-first, 5% of
         each RST; runs until S seconds have passed)

Prints one JSON object: what was done, by kind, and how many connections
used a 4-tuple an earlier one of this run had used (a new SYN ends the
server's TIME_WAIT of that 4-tuple).  Needs root and python3.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
TIMEOUT = 5.0
REQUEST = b"GET /live HTTP/1.1\r\nHost: finscope.test\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nlive\n"
KINDS = ("client-first", "server-first", "client-rst", "server-rst")

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


class Netns:
    """Opens sockets inside named network namespaces."""

    def __init__(self):
        self.root = os.open("/proc/self/ns/net", os.O_RDONLY)
        self.fds = {}

    def _enter(self, fd):
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns: " + os.strerror(e))

    def socket(self, ns, family):
        if ns not in self.fds:
            self.fds[ns] = os.open("/run/netns/" + ns, os.O_RDONLY)
        self._enter(self.fds[ns])
        try:
            s = socket.socket(family, socket.SOCK_STREAM)
        finally:
            self._enter(self.root)
        s.settimeout(TIMEOUT)
        return s


def recv_exactly(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("peer closed early")
        buf += chunk
    return buf


def wait_eof(s):
    """Until the peer's FIN (b"") or its RST (an exception)."""
    try:
        while s.recv(4096):
            pass
        return "eof"
    except (ConnectionResetError, ConnectionAbortedError):
        return "reset"


def abort(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def one_connection(ns, args, listeners, kind, n):
    """One connection of KIND; returns its 4-tuple's two ports."""
    family = socket.AF_INET6 if ":" in args.server_addr else socket.AF_INET
    port = args.port + n % len(listeners)
    c = ns.socket(args.client_ns, family)
    try:
        c.connect((args.server_addr, port))
        ports = (c.getsockname()[1], port)
        s, _ = listeners[n % len(listeners)].accept()
    except Exception:
        c.close()
        raise
    s.settimeout(TIMEOUT)
    c.sendall(REQUEST)
    recv_exactly(s, len(REQUEST))
    s.sendall(RESPONSE)
    recv_exactly(c, len(RESPONSE))
    first, second = (c, s) if kind.startswith("client-") else (s, c)
    aborts = kind in ("client-rst", "server-rst")
    if aborts:
        abort(first)
    else:
        first.close()
    seen = wait_eof(second)
    second.close()
    want = "reset" if aborts else "eof"
    if seen != want:
        raise RuntimeError("%s: the peer saw %s, not %s" % (kind, seen, want))
    return ports


def make_listeners(ns, args, count):
    family = socket.AF_INET6 if ":" in args.server_addr else socket.AF_INET
    out = []
    for i in range(count):
        lst = ns.socket(args.server_ns, family)
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lst.bind((args.server_addr, args.port + i))
        lst.listen(4096)
        out.append(lst)
    return out


def plan_kinds(args):
    want = {"client-first": args.client_first,
            "server-first": args.server_first,
            "client-rst": args.client_rst, "server-rst": args.server_rst}
    left = dict(want)
    while any(left.values()):
        for k in KINDS:
            if left[k] > 0:
                left[k] -= 1
                yield k


def soak_kinds(args):
    # 45% / 45% / 5% / 5%, spread out
    cycle = ["client-first", "server-first"] * 9 + ["client-rst",
                                                    "server-rst"]
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < args.duration:
        target = start + i / args.rate
        delay = target - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield cycle[i % len(cycle)]
        i += 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--client-ns", required=True)
    p.add_argument("--server-ns", required=True)
    p.add_argument("--server-addr", required=True)
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--ports", type=int, default=1,
                   help="listen on PORT..PORT+N-1, used in turn")
    for k in KINDS:
        p.add_argument("--" + k, type=int, default=0, metavar="N")
    p.add_argument("--rate", type=float, help="soak: connections per second")
    p.add_argument("--duration", type=float, default=60.0,
                   help="soak: seconds")
    args = p.parse_args()

    ns = Netns()
    listeners = make_listeners(ns, args, args.ports)
    done = {k: 0 for k in KINDS}
    errors = 0
    seen_tuples = set()
    reused = 0
    kinds = soak_kinds(args) if args.rate else plan_kinds(args)
    t0 = time.monotonic()
    for n, kind in enumerate(kinds):
        try:
            ports = one_connection(ns, args, listeners, kind, n)
            done[kind] += 1
            reused += ports in seen_tuples
            seen_tuples.add(ports)
        except (OSError, RuntimeError, ConnectionError) as e:
            errors += 1
            if not args.rate:
                print("live-traffic: %s #%d: %s" % (kind, n, e),
                      file=sys.stderr)
                return 1
    elapsed = time.monotonic() - t0
    for lst in listeners:
        lst.close()
    print(json.dumps({"done": done, "total": sum(done.values()),
                      "errors": errors, "tuples_reused": reused,
                      "seconds": round(elapsed, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
