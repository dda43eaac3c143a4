#!/usr/bin/env python3
"""One TCP connection between two network namespaces sending small
segments as fast as it can for SECONDS (TCP_NODELAY), for tests/fanout.sh:
a member that joins a fanout group meanwhile must not get a packet another
member got too. Prints the number of sends. Needs root.

  fanout-flood.py CLIENT_NS SERVER_NS SERVER_ADDR PORT SECONDS
"""

import ctypes
import ctypes.util
import os
import socket
import sys
import threading
import time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def socket_in(ns):
    root = os.open("/proc/self/ns/net", os.O_RDONLY)
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        return socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    finally:
        _libc.setns(root, CLONE_NEWNET)
        os.close(fd)
        os.close(root)


def main():
    client_ns, server_ns, addr = sys.argv[1:4]
    port, seconds = int(sys.argv[4]), float(sys.argv[5])
    lst = socket_in(server_ns)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind((addr, port))
    lst.listen(1)
    c = socket_in(client_ns)
    c.connect((addr, port))
    s, _ = lst.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def drain():
        while s.recv(65536):
            pass

    reader = threading.Thread(target=drain)
    reader.start()
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        c.sendall(b"%08d" % n)  # each segment's bytes differ
        n += 1
    c.close()
    reader.join()
    s.close()
    lst.close()
    print(n)


if __name__ == "__main__":
    main()
