#!/usr/bin/env python3
"""Generate real TCP close-handshake traces from the Linux kernel.

Every scenario runs in two fresh network namespaces (client, server) joined by a
veth pair.  One process drives both ends: each socket is opened inside its
namespace (setns(2) through ctypes, then socket()), after which connect, accept,
send, recv, shutdown and close happen in an exact order.  tcpdump captures on
the server's veth end.  Loss is made with nftables rules on a namespace's input
hook (after the capture point, so dropped segments are still in the trace;
fw2-reboot drops one segment at the client's output hook instead).
The nat-* scenarios put a router namespace between two client hosts and
the server instead (see setup_nat()): nftables masquerades both hosts to one
public address and port, as a NAT with one address does.

Right after the close has settled, `ss -tanoi` is recorded in both namespaces;
the kernel's state for the connection's two sockets is the truth.  A scenario
only produces files when both the trace and the kernel state show what the
scenario is meant to show; otherwise it is retried and finally reported as a
failure (exit status 1).

Outputs per scenario (in --out, default: <repo>/samples):
  NAME.pcap   the capture (pcap, Ethernet link type); vantage-relay and
              vantage-router-v4/-v6: NAME-c.pcap (client's veth) and
              NAME-s.pcap (server's); vantage-last-ack: NAME-r.pcap (the
              router's end of the server's veth) and NAME-s.pcap
  NAME.ss     raw `ss -tanoi` output of the client and server namespaces
  NAME.truth  scenario NAME / family 4|6 / client ADDR:PORT STATE /
              server ADDR:PORT STATE / note lines (free-form facts that
              were verified, e.g. "note three-way"); with several
              incarnations of the 4-tuple, client/server describe the
              newest one

Needs root, iproute2 (ip, ss), tcpdump, nftables, procps (sysctl); ethtool
is optional (without it veth offloads stay on); nstat (iproute2) for the
counters noted by the reuse scenarios.  Injected segments are rebuilt from
the bytes of the capture in progress and sent through an AF_PACKET socket.
Python 3 standard library only.
"""

import argparse
import ctypes
import ctypes.util
import errno
import heapq
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter, namedtuple
from contextlib import contextmanager

# --------------------------------------------------------------------------
# constants

CLONE_NEWNET = 0x40000000
SOCK_TIMEOUT = 5.0          # every blocking socket operation
CMD_TIMEOUT = 10.0          # every helper command
ATTEMPT_TIMEOUT = 30.0      # watchdog for one attempt of one scenario
SETTLE = 0.2                # kernel settle time before the ss snapshot

CLIENT_DEV, SERVER_DEV = "veth-c", "veth-s"
# fin-crosses-late-ack: the peers of veth-c/veth-s in the relay namespace,
# and the veth there on which the relay shows tcpdump what passes its sensor
RELAY_DEVS = {"client": "rly-c", "server": "rly-s"}
SENSOR_DEV = "sensor"
CLIENT_MAC, SERVER_MAC = "02:00:00:77:00:01", "02:00:00:77:00:02"
ADDRS = {
    4: ("10.77.0.1", "10.77.0.2", 24),
    6: ("fd77::1", "fd77::2", 64),
}

# nat-*: two client hosts, each on its own veth to a router that
# masquerades them to its address on the server's link (NAT_PUBLIC) and to
# the one public port cport; the server keeps ADDRS[family][1]
NAT_HOSTS = {
    4: {"client": ("192.168.77.1", "192.168.77.254", 24),
        "client2": ("192.168.79.1", "192.168.79.254", 24)},
    6: {"client": ("fd78::1", "fd78::fe", 64),
        "client2": ("fd79::1", "fd79::fe", 64)},
}
NAT_PUBLIC = {4: "10.77.0.254", 6: "fd77::fe"}
NAT_DEVS = {"client": ("veth-c", "rt-c", "02:00:00:78:00:01",
                       "02:00:00:78:00:fe"),
            "client2": ("veth-c2", "rt-c2", "02:00:00:79:00:01",
                        "02:00:00:79:00:fe"),
            "server": ("veth-s", "rt-s", SERVER_MAC, "02:00:00:77:00:fe")}
# conntrack timeouts of the router: its entry for the first host's
# connection goes 1 s after the close, so that the second host's SYN
# gets the same public port
NAT_CT_SHORT = ["net.netfilter.nf_conntrack_tcp_timeout_time_wait=1",
                "net.netfilter.nf_conntrack_tcp_timeout_close_wait=2",
                "net.netfilter.nf_conntrack_tcp_timeout_fin_wait=2",
                "net.netfilter.nf_conntrack_tcp_timeout_last_ack=2",
                "net.netfilter.nf_conntrack_tcp_timeout_close=1"]
TCP_TIMESTAMP = 24          # getsockopt: the socket's current TSval clock
SO_LINGER_ZERO = struct.pack("ii", 1, 0)

SS_STATES = {
    "ESTAB": "ESTABLISHED",
    "SYN-SENT": "SYN_SENT",
    "SYN-RECV": "SYN_RECEIVED",
    "FIN-WAIT-1": "FIN_WAIT_1",
    "FIN-WAIT-2": "FIN_WAIT_2",
    "CLOSE-WAIT": "CLOSE_WAIT",
    "LAST-ACK": "LAST_ACK",
    "CLOSING": "CLOSING",
    "TIME-WAIT": "TIME_WAIT",
    "UNCONN": "CLOSED",
    "CLOSED": "CLOSED",
}

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

REQUEST = (b"GET /finscope/close-handshake HTTP/1.1\r\n"
           b"Host: server.finscope.test\r\n"
           b"User-Agent: finscope-mktraces/1\r\n"
           b"Accept: */*\r\n")
REQUEST += b"X-Pad: " + b"r" * (300 - len(REQUEST) - 11) + b"\r\n\r\n"
RESPONSE_HEAD = (b"HTTP/1.1 200 OK\r\n"
                 b"Content-Type: text/plain\r\n"
                 b"Content-Length: 600\r\n\r\n")
RESPONSE = RESPONSE_HEAD + b"".join(
    b"line %02d of the finscope test response body.................\n" % i
    for i in range(10))[:600]
REQUEST2 = b"GET /finscope/second-incarnation HTTP/1.1\r\n\r\n"
RESPONSE2 = (b"HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\n"
             b"second incarnation body.\r\n")
# nstat counters recorded in notes of the reuse/injection scenarios
COUNTERS_OF_INTEREST = re.compile(
    r"^(TcpExt(PAWS\w+|TW|TWRecycled|TWKilled|TCPChallengeACK|TCPSYNChallenge"
    r"|TCPACKSkipped\w+|TCPDSACKOldSent|DelayedACKLost|TCPAbortOn\w+)"
    r"|Tcp(OutRsts"
    r"|EstabResets|AttemptFails))$")
HALF_CLOSE_CHUNK = 2000     # bytes per send after the client's FIN
HALF_CLOSE_SENDS = 3


class Failed(Exception):
    """A scenario attempt could not be run or verified."""


class Watchdog(Exception):
    """An attempt exceeded ATTEMPT_TIMEOUT."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# helpers: commands, namespaces

def run(cmd, timeout=CMD_TIMEOUT, check=True, input=None):
    try:
        p = subprocess.run(cmd, input=input, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed("command timed out: %s" % " ".join(cmd))
    if check and p.returncode != 0:
        raise Failed("command failed (%d): %s\n%s" %
                     (p.returncode, " ".join(cmd), p.stderr.strip()))
    return p


_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


class Lab:
    """Two namespaces joined by a veth pair.  Fresh for every attempt."""

    def __init__(self, pid):
        self.ns = {"client": "fs-c-%d" % pid, "server": "fs-s-%d" % pid,
                   "relay": "fs-r-%d" % pid, "router": "fs-n-%d" % pid,
                   "client2": "fs-d-%d" % pid}
        self.dev = {"client": CLIENT_DEV, "server": SERVER_DEV,
                    "relay": SENSOR_DEV, "client2": NAT_DEVS["client2"][0]}
        # namespaces whose sockets ss reports (client2: nat-*)
        self.hosts = ("client", "server")
        self.root_fd = os.open("/proc/self/ns/net", os.O_RDONLY)
        self.have_ethtool = shutil.which("ethtool") is not None
        self.up = False
        self.nft_tables = set()
        self.nft_chains = set()     # (side, hook) of chains besides input
        self.flushed_drops = {}     # counters of rules already removed

    @contextmanager
    def inside(self, side):
        fd = os.open("/run/netns/" + self.ns[side], os.O_RDONLY)
        try:
            _setns(fd)
            try:
                yield
            finally:
                _setns(self.root_fd)
        finally:
            os.close(fd)

    def exec(self, side, cmd, **kw):
        return run(["ip", "netns", "exec", self.ns[side]] + cmd, **kw)

    def setup(self, relay=False, router=False, nat=False):
        """With RELAY, the veths of client and server end in a third
        namespace (RELAY_DEVS) instead of in each other; see Relay.  With
        ROUTER, that namespace is a kernel router instead (_setup_router).
        With NAT, see setup_nat()."""
        self.teardown()
        self.up = True
        self.hosts = ("client", "server")
        if nat:
            self.setup_nat()
            return
        for side in ("client", "server"):
            run(["ip", "netns", "add", self.ns[side]])
            # no DAD: set before the veth exists so link-local addresses too
            self.exec(side, ["sysctl", "-qw",
                             "net.ipv6.conf.all.accept_dad=0",
                             "net.ipv6.conf.default.accept_dad=0",
                             "net.ipv6.conf.default.router_solicitations=0"])
        c, s = self.ns["client"], self.ns["server"]
        if router:
            self._setup_router()
        elif relay:
            self._setup_relay()
        else:
            run(["ip", "-n", c, "link", "add", CLIENT_DEV, "address",
                 CLIENT_MAC, "type", "veth", "peer", "name", SERVER_DEV,
                 "address", SERVER_MAC, "netns", s])
        for side, me, peer_mac in (("client", c, SERVER_MAC),
                                   ("server", s, CLIENT_MAC)):
            dev = self.dev[side]
            if self.have_ethtool:
                self.exec(side, ["ethtool", "-K", dev, "tx", "off", "tso", "off",
                                 "gso", "off", "gro", "off"], check=False)
            cmds = []
            for fam in (4, 6):
                cl, sv, plen = ADDRS[fam]
                mine = cl if side == "client" else sv
                extra = " nodad" if fam == 6 else ""
                cmds.append("addr add %s/%d dev %s%s" % (mine, plen, dev, extra))
            cmds += ["link set lo up", "link set %s up" % dev]
            for fam in (4, 6):
                cl, sv, _ = ADDRS[fam]
                peer = sv if side == "client" else cl
                cmds.append("neigh replace %s lladdr %s dev %s nud permanent"
                            % (peer, peer_mac, dev))
            run(["ip", "-n", me, "-batch", "-"], input="\n".join(cmds) + "\n")
        # wait until both links are up and no address is tentative
        deadline = time.monotonic() + 5
        while True:
            ok = True
            for side in ("client", "server"):
                p = run(["ip", "-n", self.ns[side], "-o", "link", "show",
                         self.dev[side]])
                if "state UP" not in p.stdout:
                    ok = False
                p = run(["ip", "-n", self.ns[side], "-o", "addr", "show",
                         "dev", self.dev[side], "tentative"])
                if p.stdout.strip():
                    ok = False
            if ok:
                return
            if time.monotonic() > deadline:
                raise Failed("veth/addresses did not become usable in 5 s")
            time.sleep(0.02)

    def setup_nat(self):
        """client (NAT_HOSTS) and client2, each on a veth to the router,
        which forwards to the server's veth (veth-s: ADDRS[f][1], the
        router NAT_PUBLIC there).  Neighbours static, offloads off; the
        masquerade rules are the scenario's (nat_masquerade())."""
        self.hosts = ("client", "client2", "server")
        r = self.ns["router"]
        for side in ("client", "client2", "server", "router"):
            run(["ip", "netns", "add", self.ns[side]])
            self.exec(side, ["sysctl", "-qw",
                             "net.ipv6.conf.all.accept_dad=0",
                             "net.ipv6.conf.default.accept_dad=0",
                             "net.ipv6.conf.default.router_solicitations=0"])
        self.exec("router", ["sysctl", "-qw", "net.ipv4.ip_forward=1",
                             "net.ipv6.conf.all.forwarding=1"])
        for side in ("client", "client2", "server"):
            dev, rdev, mac, rmac = NAT_DEVS[side]
            run(["ip", "-n", self.ns[side], "link", "add", dev, "address",
                 mac, "type", "veth", "peer", "name", rdev, "address", rmac,
                 "netns", r])
            if self.have_ethtool:
                for who, d in ((side, dev), ("router", rdev)):
                    self.exec(who, ["ethtool", "-K", d, "tx", "off", "tso",
                                    "off", "gso", "off", "gro", "off"],
                              check=False)
            mine, theirs, rcmds = [], [], []
            for fam in (4, 6):
                if side == "server":
                    addr, plen = ADDRS[fam][1], ADDRS[fam][2]
                    gw = NAT_PUBLIC[fam]
                else:
                    addr, gw, plen = NAT_HOSTS[fam][side]
                extra = " nodad" if fam == 6 else ""
                mine.append("addr add %s/%d dev %s%s" % (addr, plen, dev,
                                                         extra))
                theirs.append("neigh replace %s lladdr %s dev %s nud "
                              "permanent" % (gw, rmac, dev))
                if side != "server":
                    theirs.append("route add default via %s" % gw)
                rcmds.append("addr add %s/%d dev %s%s" % (gw, plen, rdev,
                                                          extra))
                rcmds.append("neigh replace %s lladdr %s dev %s nud "
                             "permanent" % (addr, mac, rdev))
            run(["ip", "-n", self.ns[side], "-batch", "-"], input="\n".join(
                mine + ["link set lo up", "link set %s up" % dev] + theirs)
                + "\n")
            run(["ip", "-n", r, "-batch", "-"], input="\n".join(
                ["link set lo up", "link set %s up" % rdev] + rcmds) + "\n")
        deadline = time.monotonic() + 5
        while True:
            p = run(["ip", "-n", r, "-o", "addr", "show", "tentative"])
            ok = not p.stdout.strip()
            for side in ("client", "client2", "server"):
                q = run(["ip", "-n", self.ns[side], "-o", "addr", "show",
                         "tentative"])
                ok = ok and not q.stdout.strip()
            if ok:
                return
            if time.monotonic() > deadline:
                raise Failed("routed addresses did not become usable in 5 s")
            time.sleep(0.02)

    def conntrack(self):
        """The router's conntrack table (text)."""
        return self.exec("router", ["cat", "/proc/net/nf_conntrack"],
                         check=False).stdout

    def _setup_relay(self):
        r = self.ns["relay"]
        run(["ip", "netns", "add", r])
        self.exec("relay", ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                            "net.ipv6.conf.default.disable_ipv6=1"])
        for side, dev, mac in (("client", CLIENT_DEV, CLIENT_MAC),
                               ("server", SERVER_DEV, SERVER_MAC)):
            run(["ip", "-n", self.ns[side], "link", "add", dev, "address",
                 mac, "type", "veth", "peer", "name", RELAY_DEVS[side],
                 "netns", r])
        run(["ip", "-n", r, "link", "add", SENSOR_DEV, "type", "veth",
             "peer", "name", SENSOR_DEV + "-p"])
        for dev in list(RELAY_DEVS.values()) + [SENSOR_DEV,
                                                SENSOR_DEV + "-p"]:
            if self.have_ethtool:
                self.exec("relay", ["ethtool", "-K", dev, "tx", "off", "tso",
                                    "off", "gso", "off", "gro", "off"],
                          check=False)
            run(["ip", "-n", r, "link", "set", dev, "up"])

    def _setup_router(self):
        """The third namespace forwards with the kernel's IP stack: its
        end of the client's veth has the server's MAC and its end of the
        server's veth the client's, so the addresses, the neighbour
        entries and the Ethernet headers are those of the plain veth pair;
        only the TTL / hop limit goes down by one on the way.  /32 and
        /128 routes to each end, static neighbours, nft rules on its
        forward hook (nft_add(..., "relay", hook="forward"))."""
        r = self.ns["relay"]
        run(["ip", "netns", "add", r])
        self.exec("relay", ["sysctl", "-qw",
                            "net.ipv6.conf.all.accept_dad=0",
                            "net.ipv6.conf.default.accept_dad=0",
                            "net.ipv6.conf.default.router_solicitations=0",
                            "net.ipv4.ip_forward=1",
                            "net.ipv6.conf.all.forwarding=1"])
        cmds = ["link set lo up"]
        for side, dev, mac, peer_mac in (
                ("client", CLIENT_DEV, CLIENT_MAC, SERVER_MAC),
                ("server", SERVER_DEV, SERVER_MAC, CLIENT_MAC)):
            rdev = RELAY_DEVS[side]
            run(["ip", "-n", self.ns[side], "link", "add", dev, "address",
                 mac, "type", "veth", "peer", "name", rdev, "address",
                 peer_mac, "netns", r])
            if self.have_ethtool:
                self.exec("relay", ["ethtool", "-K", rdev, "tx", "off", "tso",
                                    "off", "gso", "off", "gro", "off"],
                          check=False)
            cmds.append("link set %s up" % rdev)
            for fam in (4, 6):
                cl, sv, _ = ADDRS[fam]
                addr = cl if side == "client" else sv
                cmds.append("route add %s/%d dev %s" % (
                    addr, 32 if fam == 4 else 128, rdev))
                cmds.append("neigh replace %s lladdr %s dev %s nud permanent"
                            % (addr, mac, rdev))
        run(["ip", "-n", r, "-batch", "-"], input="\n".join(cmds) + "\n")

    def teardown(self):
        if not self.up:
            return
        for side in ("client", "server", "relay", "router", "client2"):
            if os.path.exists("/run/netns/" + self.ns[side]):
                run(["ip", "netns", "del", self.ns[side]], check=False)
        self.up = False
        self.nft_tables.clear()
        self.nft_chains.clear()
        self.flushed_drops.clear()

    # ---- nftables ------------------------------------------------------

    def nft_add(self, side, rule, hook="input"):
        """Add a rule to the input chain of table inet fs in SIDE (with
        HOOK "output": to an output chain, for what must not reach the
        wire at all)."""
        if side not in self.nft_tables:
            self.exec(side, ["nft", "-f", "-"], input=(
                "table inet fs {\n"
                "  chain input { type filter hook input priority 0; "
                "policy accept; }\n}\n"))
            self.nft_tables.add(side)
        if hook != "input" and (side, hook) not in self.nft_chains:
            self.exec(side, ["nft", "-f", "-"], input=(
                "add chain inet fs %s { type filter hook %s priority 0; "
                "policy accept; }\n" % (hook, hook)))
            self.nft_chains.add((side, hook))
        self.exec(side, ["nft", "add rule inet fs %s %s" % (hook, rule)])

    def nft_flush(self, side, hook="input"):
        """Remove the rules of SIDE, keeping their counters."""
        counts = self.nft_drops(side, hook)
        self.exec(side, ["nft", "flush chain inet fs " + hook])
        self.flushed_drops.setdefault((side, hook), []).extend(counts)

    def all_drops(self, side, hook="input"):
        """Counters of all rules ever added in SIDE (removed ones first)."""
        return self.flushed_drops.get((side, hook), []) + \
            self.nft_drops(side, hook)

    def nft_drops(self, side, hook="input"):
        """Packets counted by the rules of chain HOOK (list per rule)."""
        p = self.exec(side, ["nft", "-j", "list", "chain", "inet", "fs",
                             hook])
        counts = []
        for item in json.loads(p.stdout).get("nftables", []):
            rule = item.get("rule")
            if not rule:
                continue
            for e in rule.get("expr", []):
                if "counter" in e:
                    counts.append(e["counter"]["packets"])
        return counts

    def ss(self, side, extra="-tanoi"):
        return run(["ss", "-N", self.ns[side], extra]).stdout


class Capture:
    def __init__(self, lab, side, path, dev=None):
        """tcpdump on SIDE's veth (lab.dev), or on DEV in SIDE's
        namespace."""
        self.path = path
        cmd = ["ip", "netns", "exec", lab.ns[side], "tcpdump", "-i",
               dev or lab.dev[side], "-U", "--immediate-mode", "-w", path,
               "-s", "0", "-Z", "root", "tcp or icmp or icmp6"]
        # own session: a terminal Ctrl-C reaches only us; we stop tcpdump
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE,
                                  start_new_session=True)
        self.early_exit = False
        self.err = b""
        try:
            self._wait_listening()
        except BaseException:       # also Ctrl-C/SIGTERM/watchdog
            self.stop()
            raise

    def _wait_listening(self):
        deadline = time.monotonic() + 5
        while b"listening on" not in self.err:
            left = deadline - time.monotonic()
            if left <= 0 or self.p.poll() is not None:
                raise Failed("tcpdump did not start: %s" %
                             self.err.decode(errors="replace").strip())
            r, _, _ = select.select([self.p.stderr], [], [], left)
            if r:
                chunk = os.read(self.p.stderr.fileno(), 4096)
                if chunk:
                    self.err += chunk

    def stop(self):
        """SIGINT, wait; returns tcpdump's stderr."""
        if self.p is None:
            return self.err.decode(errors="replace")
        p, self.p = self.p, None
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
        else:
            self.early_exit = True
        try:
            rest = p.communicate(timeout=5)[1] or b""
        except subprocess.TimeoutExpired:
            p.kill()
            rest = p.communicate()[1] or b""
        self.err += rest
        return self.err.decode(errors="replace")


# --------------------------------------------------------------------------
# pcap reading

Seg = namedtuple("Seg", "t dir seq ack flags plen tsval tsecr sack raw")
# tsval/tsecr: the timestamp option (None without one); sack: tuple of
# (left, right) blocks; raw: the whole captured frame (bytes)


def pcap_records(path, partial=False):
    """(time, frame) of every record of a classic pcap file (Ethernet).

    With PARTIAL a file still being written is accepted: a short header or
    an incomplete last record is ignored."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        if partial:
            return []
        raise Failed("pcap file too short")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise Failed("not a pcap file")
    nsec = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    if linktype != 1:
        raise Failed("unexpected link type %d" % linktype)
    off, out = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(e + "IIII", data[off:off + 16])
        if off + 16 + incl > len(data):
            break               # incomplete last record
        out.append((sec + frac / (1e9 if nsec else 1e6),
                    data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return out


def tcp_options(opts):
    """(tsval, tsecr, sack blocks) from the option bytes of a TCP header."""
    tsval = tsecr = None
    sack = []
    i = 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        ln = opts[i + 1]
        body = opts[i + 2:i + ln]
        if kind == 8 and len(body) == 8:
            tsval, tsecr = struct.unpack("!II", body)
        elif kind == 5:
            sack = [struct.unpack("!II", body[j:j + 8])
                    for j in range(0, len(body) - 7, 8)]
        i += ln
    return tsval, tsecr, tuple(sack)


def read_pcap(path, cend, send, partial=False, also=()):
    """Segments of the connection cend<->send; dir is 'c' or 's' (sender).
    Those of the connections from the client endpoints in ALSO to send
    (further connections a scenario makes on purpose) are left out; any
    other connection in the trace fails it."""
    segs, foreign = [], 0
    for t, pkt in pcap_records(path, partial):
        etype = struct.unpack("!H", pkt[12:14])[0]
        ip = pkt[14:]
        if etype == 0x0800:
            ihl = (ip[0] & 15) * 4
            if ip[9] != 6:
                continue
            tot = struct.unpack("!H", ip[2:4])[0]
            src = socket.inet_ntop(socket.AF_INET, ip[12:16])
            dst = socket.inet_ntop(socket.AF_INET, ip[16:20])
            tcp, tcplen = ip[ihl:tot], tot - ihl
        elif etype == 0x86DD:
            if ip[6] != 6:
                continue
            plen = struct.unpack("!H", ip[4:6])[0]
            src = socket.inet_ntop(socket.AF_INET6, ip[8:24])
            dst = socket.inet_ntop(socket.AF_INET6, ip[24:40])
            tcp, tcplen = ip[40:40 + plen], plen
        else:
            continue
        sport, dport, seq, ack, offflags = struct.unpack("!HHIIH", tcp[:14])
        doff = (offflags >> 12) * 4
        flags = offflags & 0x1FF
        a, b = (src, sport), (dst, dport)
        if (a, b) == (cend, send):
            d = "c"
        elif (a, b) == (send, cend):
            d = "s"
        elif (a in also and b == send) or (b in also and a == send):
            continue
        else:
            foreign += 1
            continue
        tsval, tsecr, sack = tcp_options(tcp[20:doff])
        segs.append(Seg(t, d, seq, ack, flags, tcplen - doff, tsval, tsecr,
                        sack, bytes(pkt)))
    if foreign:
        raise Failed("trace holds %d segments of other connections" % foreign)
    return segs


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def rewrite_frame(frame, seq=None, tsval=None):
    """Copy of a captured Ethernet/IP/TCP frame with a new sequence number
    and/or TSval; the TCP checksum is recomputed."""
    frame = bytearray(frame)
    etype = struct.unpack("!H", frame[12:14])[0]
    if etype == 0x0800:
        ihl = (frame[14] & 15) * 4
        tot = struct.unpack("!H", frame[16:18])[0]
        t0, tlen = 14 + ihl, tot - ihl
        pseudo = bytes(frame[26:34]) + struct.pack("!BBH", 0, 6, tlen)
    elif etype == 0x86DD:
        tlen = struct.unpack("!H", frame[18:20])[0]
        t0 = 54
        pseudo = bytes(frame[22:54]) + struct.pack("!IxxxB", tlen, 6)
    else:
        raise Failed("cannot rewrite a non-IP frame")
    if seq is not None:
        frame[t0 + 4:t0 + 8] = struct.pack("!I", seq & 0xFFFFFFFF)
    if tsval is not None:
        doff = (frame[t0 + 12] >> 4) * 4
        i, found = t0 + 20, False
        while i < t0 + doff:
            kind = frame[i]
            if kind == 0:
                break
            if kind == 1:
                i += 1
                continue
            if kind == 8:
                frame[i + 2:i + 6] = struct.pack("!I", tsval & 0xFFFFFFFF)
                found = True
            i += max(frame[i + 1], 2)
        if not found:
            raise Failed("segment to rewrite has no timestamp option")
    frame[t0 + 16:t0 + 18] = b"\0\0"
    frame[t0 + 16:t0 + 18] = struct.pack(
        "!H", _csum(pseudo + bytes(frame[t0:t0 + tlen])))
    return bytes(frame)


def craft_frame(frame, seq, ack, flags, reverse=False, window=0):
    """A new Ethernet/IP/TCP frame built from the headers of a captured
    FRAME: same MACs, addresses and ports (swapped with REVERSE, i.e. a
    segment in the other direction), the given sequence and acknowledgment
    numbers, FLAGS and WINDOW, no TCP options, no payload; IP lengths and
    all checksums recomputed."""
    frame = bytes(frame)
    dmac, smac, etype = frame[0:6], frame[6:12], frame[12:14]
    if reverse:
        dmac, smac = smac, dmac
    ip_type = struct.unpack("!H", etype)[0]
    if ip_type == 0x0800:
        ihl = (frame[14] & 15) * 4
        ip = bytearray(frame[14:14 + 20])
        ip[0] = 0x45
        src, dst = bytes(ip[12:16]), bytes(ip[16:20])
        t0 = 14 + ihl
    elif ip_type == 0x86DD:
        ip = bytearray(frame[14:54])
        src, dst = bytes(ip[8:24]), bytes(ip[24:40])
        t0 = 54
    else:
        raise Failed("cannot craft from a non-IP frame")
    sport, dport = struct.unpack("!HH", frame[t0:t0 + 4])
    if reverse:
        src, dst, sport, dport = dst, src, dport, sport
    tcp = bytearray(struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                                ack & 0xFFFFFFFF, 5 << 4, flags, window, 0, 0))
    if ip_type == 0x0800:
        ip[2:4] = struct.pack("!H", 20 + len(tcp))
        ip[10:12] = b"\0\0"
        ip[12:16], ip[16:20] = src, dst
        ip[10:12] = struct.pack("!H", _csum(bytes(ip)))
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    else:
        ip[4:6] = struct.pack("!H", len(tcp))
        ip[8:24], ip[24:40] = src, dst
        pseudo = src + dst + struct.pack("!IxxxB", len(tcp), 6)
    tcp[16:18] = struct.pack("!H", _csum(pseudo + bytes(tcp)))
    return dmac + smac + etype + bytes(ip) + bytes(tcp)


def seq_lt(a, b):
    return ((a - b) & 0xFFFFFFFF) >= 0x80000000


def seq_add(a, n):
    return (a + n) & 0xFFFFFFFF


def flag_str(f):
    s = "".join(c for bit, c in ((SYN, "S"), (FIN, "F"), (RST, "R"), (PSH, "P"))
                if f & bit)
    return s + ("." if f & ACK else "")


def fmt_trace(segs, injected=None):
    """Compact human-readable trace with relative sequence numbers.

    Numbers are relative to the latest SYN of each side, so a new
    incarnation on the same 4-tuple starts again at 0.  INJECTED (a set of
    indices into SEGS of frames this script injected, possibly empty) turns
    on the details for the reuse scenarios: relative numbers are signed,
    TSvals and SACK blocks are shown, injected segments are marked and do
    not rebase."""
    if not segs:
        return "  (empty)"
    detail = injected is not None
    injected = injected or set()
    isn = {}
    for s in segs:
        if s.flags & SYN:
            isn.setdefault(s.dir, s.seq)

    def rel(x, d):
        r = (x - isn.get(d, x)) & 0xFFFFFFFF
        return r - (1 << 32) if detail and r >= 0x80000000 else r

    t0 = segs[0].t
    out = []
    for i, s in enumerate(segs):
        if s.flags & SYN and i not in injected:
            isn[s.dir] = s.seq
        other = "s" if s.dir == "c" else "c"
        line = "  %8.3f %s> [%s] seq %d ack %d len %d" % (
            s.t - t0, "client " if s.dir == "c" else "server ",
            flag_str(s.flags), rel(s.seq, s.dir),
            rel(s.ack, other) if s.flags & ACK else 0, s.plen)
        if detail:
            if s.tsval is not None:
                line += " TS %d ecr %d" % (s.tsval, s.tsecr)
            if s.sack:
                line += " SACK " + ",".join(
                    "%d..%d" % (rel(l, other), rel(r, other))
                    for l, r in s.sack)
            if i in injected:
                line += "   <- injected"
        out.append(line)
    return "\n".join(out)


# --------------------------------------------------------------------------
# ss parsing

def parse_ss(text):
    for line in text.splitlines():
        if not line or line[0].isspace() or line.startswith("State"):
            continue
        f = line.split()
        if len(f) >= 5:
            yield f[0], f[3], f[4]


def ss_state(text, local, peer):
    found = [st for st, l, p in parse_ss(text)
             if st != "LISTEN" and l == local and p == peer]
    if len(found) > 1:
        raise Failed("ss shows %d sockets for %s -> %s" % (len(found), local,
                                                           peer))
    if not found:
        return "CLOSED"
    return SS_STATES.get(found[0], found[0].replace("-", "_"))


def ep(addr, port):
    return ("[%s]:%d" if ":" in addr else "%s:%d") % (addr, port)


# --------------------------------------------------------------------------
# one attempt of one scenario

class Trial:
    def __init__(self, lab, sc):
        self.lab, self.sc, self.fam = lab, sc, sc.family
        self.caddr, self.saddr, _ = ADDRS[sc.family]
        self.cport, self.sport = sc.cport, sc.sport
        self.af = socket.AF_INET if sc.family == 4 else socket.AF_INET6
        self.c = self.s = None
        self.socks = []
        self.notes = []
        self.after_snapshot = []    # callables run after ss + capture stop
        self.expect = {}
        self.linger = 0.0           # seconds to keep capturing after ss
        self.pcap = None            # the capture being written
        self.injected = set()       # indices (into the trace) of injected
                                    # frames, set by inject()
        self.detail = False         # print the trace with TSvals etc.
        self.inj = []               # per-injection facts for verify
        self.inj_counters = {}
        self.own_handshake = False  # verify() checks the handshake itself
        self.relay = None           # Relay (fin-crosses-late-ack)
        self.other_cports = ()      # client ports of further connections
                                    # to the server port (defer-accept)
        # nat-*: the client's address on the server's link is the router's
        # (NAT_PUBLIC), the port cport the masquerade gives every host;
        # each host binds cport on its own address (host_addr); the
        # client line of the truth is nat_host's socket
        self.nat_host = None
        self.host_addr = {}
        if sc.base in NATTED:
            self.caddr = NAT_PUBLIC[sc.family]
            self.nat_host = "client"
            self.host_addr = {side: NAT_HOSTS[sc.family][side][0]
                              for side in ("client", "client2")}

    # ---- sockets -----------------------------------------------------

    def _sock(self, side):
        with self.lab.inside(side):
            sk = socket.socket(self.af, socket.SOCK_STREAM)
        self.socks.append(sk)
        sk.settimeout(SOCK_TIMEOUT)
        sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sk.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sk

    def connect(self, bind=True):
        """Listener, client socket bound to cport (without BIND: connect()
        picks the port, which must come out as cport), connect, accept;
        the listener is closed."""
        lst = self._sock("server")
        lst.bind((self.saddr, self.sport))
        lst.listen(4)
        c = self._sock("client")
        if bind:
            c.bind((self.caddr, self.cport))
        c.connect((self.saddr, self.sport))
        self.check_port(c)
        s, _ = lst.accept()
        self.socks.append(s)
        s.settimeout(SOCK_TIMEOUT)
        lst.close()
        self.c, self.s = c, s
        return c, s

    @staticmethod
    def recv_exact(sk, n):
        buf = b""
        while len(buf) < n:
            chunk = sk.recv(n - len(buf))
            if not chunk:
                raise Failed("unexpected EOF after %d of %d bytes"
                             % (len(buf), n))
            buf += chunk
        return buf

    @staticmethod
    def recv_eof(sk):
        chunk = sk.recv(65536)
        if chunk:
            raise Failed("expected EOF, got %d bytes" % len(chunk))

    def exchange(self):
        """Request from the client, response from the server, all read."""
        self.c.sendall(REQUEST)
        if self.recv_exact(self.s, len(REQUEST)) != REQUEST:
            raise Failed("request corrupted")
        self.s.sendall(RESPONSE)
        if self.recv_exact(self.c, len(RESPONSE)) != RESPONSE:
            raise Failed("response corrupted")
        time.sleep(0.1)     # let the delayed ACKs of the data go out

    def close_all(self):
        if self.relay is not None:
            self.relay.stop()
        for sk in self.socks:
            try:
                sk.close()
            except OSError:
                pass
        self.socks = []

    # ---- more incarnations, injection, counters (reuse scenarios) -------

    def reconnect(self, bind=True):
        """A new incarnation on the same 4-tuple: a new listener on the
        server port, a new client socket bound (SO_REUSEADDR) to the same
        client port (without BIND: connect() must pick it), connect,
        accept.  Returns the new (client, server)."""
        lst = self._sock("server")
        lst.bind((self.saddr, self.sport))
        lst.listen(4)
        c = self._sock("client")
        if bind:
            c.bind((self.caddr, self.cport))
        c.connect((self.saddr, self.sport))
        self.check_port(c)
        s, _ = lst.accept()
        self.socks.append(s)
        s.settimeout(SOCK_TIMEOUT)
        lst.close()
        self.c, self.s = c, s
        return c, s

    def exchange_small(self):
        """A short request and response that differ from exchange()'s."""
        self.c.sendall(REQUEST2)
        if self.recv_exact(self.s, len(REQUEST2)) != REQUEST2:
            raise Failed("second request corrupted")
        self.s.sendall(RESPONSE2)
        if self.recv_exact(self.c, len(RESPONSE2)) != RESPONSE2:
            raise Failed("second response corrupted")
        time.sleep(0.1)

    def check_port(self, c):
        if c.getsockname()[1] != self.cport:
            raise Failed("the client connected from port %d, not %d"
                         % (c.getsockname()[1], self.cport))

    def others(self):
        return [(self.caddr, p) for p in self.other_cports]

    def segs_so_far(self):
        return read_pcap(self.pcap, (self.caddr, self.cport),
                         (self.saddr, self.sport), partial=True,
                         also=self.others())

    def wait_trace(self, pred, timeout=2.0, what="segment"):
        """Poll the capture being written until PRED(segs) is true-ish;
        returns (segs, value)."""
        deadline = time.monotonic() + timeout
        while True:
            segs = self.segs_so_far()
            v = pred(segs)
            if v or time.monotonic() > deadline:
                if not v and what:
                    raise Failed("%s not seen in the capture within %.1f s"
                                 % (what, timeout))
                return segs, v
            time.sleep(0.01)

    def inject(self, side, frame, answer_from, timeout=1.0):
        """Send FRAME (bytes of an Ethernet frame) out of SIDE's veth end
        through an AF_PACKET socket, so that it reaches the other namespace
        as if from the wire and the capture on veth-s sees it.  Waits until
        the capture holds it, then up to TIMEOUT for a segment from
        ANSWER_FROM ('c' or 's') after it.  Returns (index of the injected
        frame, the answering Seg or None)."""
        n0 = len(self.segs_so_far())
        with self.lab.inside(side):
            sk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        try:
            sk.bind((self.lab.dev[side], 0))
            sk.send(frame)
        finally:
            sk.close()
        segs, idx = self.wait_trace(
            lambda sg: next((i + 1 for i in range(n0, len(sg))
                             if sg[i].raw == frame), 0),
            what="injected frame")
        idx -= 1
        self.injected.add(idx)
        segs, ans = self.wait_trace(
            lambda sg: next((x for x in sg[idx + 1:] if x.dir == answer_from),
                            None), timeout=timeout, what=None)
        time.sleep(0.05)    # nothing else should follow (checked later)
        return idx, ans

    def nstat(self, side):
        """All TCP/IP counters of SIDE's namespace (nstat -asz: absolute,
        zeros included, history file untouched)."""
        out = self.lab.exec(side, ["nstat", "-asz"]).stdout
        vals = {}
        for line in out.splitlines():
            f = line.split()
            if len(f) >= 2 and f[1].isdigit():
                vals[f[0]] = int(f[1])
        return vals

    @staticmethod
    def counter_delta(before, after):
        """Changed counters of interest: {name: delta}."""
        return {k: after[k] - before.get(k, 0) for k in sorted(after)
                if COUNTERS_OF_INTEREST.match(k)
                and after[k] != before.get(k, 0)}

    @staticmethod
    def fmt_delta(d):
        return ", ".join("%s %+d" % kv for kv in d.items()) or \
            "no PAWS/TW/challenge-ACK/RST counter changed"

    # ---- nft rules matching this connection ----------------------------

    def from_client(self):
        ipk = "ip" if self.fam == 4 else "ip6"
        return "%s saddr %s tcp sport %d tcp dport %d" % (
            ipk, self.caddr, self.cport, self.sport)

    def from_server(self):
        ipk = "ip" if self.fam == 4 else "ip6"
        return "%s saddr %s tcp sport %d tcp dport %d" % (
            ipk, self.saddr, self.sport, self.cport)

    # ---- kernel state ------------------------------------------------

    def endpoints(self):
        return {"client": (ep(self.caddr, self.cport), ep(self.saddr, self.sport)),
                "server": (ep(self.saddr, self.sport), ep(self.caddr, self.cport))}

    def states(self, texts=None):
        if texts is None:
            texts = {side: self.lab.ss(side, "-tan") for side in
                     self.lab.hosts}
        eps = self.endpoints()
        if self.nat_host is not None:
            # the host's socket has its own address, not the public one
            texts = dict(texts, client=texts[self.nat_host])
            eps["client"] = (ep(self.host_addr[self.nat_host], self.cport),
                             eps["client"][1])
        return {side: ss_state(texts[side], *eps[side]) for side in eps}

    def side_addr(self, side):
        """The address of SIDE's namespace on its veth."""
        if side in self.host_addr:
            return self.host_addr[side]
        return ADDRS[self.fam][0 if side == "client" else 1]

    def wait_states(self, expect, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            st = self.states()
            if st == expect or time.monotonic() > deadline:
                return st
            time.sleep(0.02)


class Scenario:
    def __init__(self, base, number, family, suffix, desc, body, verify,
                 attempts=3):
        self.base, self.number, self.family = base, number, family
        self.name = base + suffix
        self.desc, self.body, self.verify = desc, body, verify
        self.attempts = attempts
        self.sport = 8000 + number
        self.cport = 40000 + 10 * number + family


def _alarm(signum, frame):
    raise Watchdog()


def run_attempt(lab, sc, outdir):
    """Run SC once.  Returns dict of file contents; raises Failed."""
    # ends in .pcap: Debian's AppArmor profile for tcpdump only lets it
    # write files with capture-like names
    tmp_pcap = os.path.join(outdir, ".%s.%d.tmp.pcap" % (sc.name, os.getpid()))
    vantages = sc.base in VANTAGES
    # two vantage points: tmp_pcap on the client's veth, tmp_s on the
    # server's (written as NAME-c.pcap and NAME-s.pcap; VANTAGE_POINTS
    # gives others)
    points = VANTAGE_POINTS.get(sc.base, VANTAGE_POINTS_DEFAULT)
    tmp_s = os.path.join(outdir, ".%s-s.%d.tmp.pcap"
                         % (sc.name, os.getpid())) if vantages else None
    t = Trial(lab, sc)
    t.pcap = tmp_pcap
    caps = []
    done = False
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, ATTEMPT_TIMEOUT)
    try:
        relayed = sc.base in RELAYED or vantages
        lab.setup(relay=relayed, router=sc.base in ROUTED,
                  nat=sc.base in NATTED)
        if sc.base in NATTED:
            nat_prepare(t)
        for side, settings in SYSCTLS.get(sc.base, {}).items():
            lab.exec(side, ["sysctl", "-qw"] + settings)
        if vantages:
            for (side, dev, _, _), tmp in zip(points, (tmp_pcap, tmp_s)):
                caps.append(Capture(lab, side, tmp, dev))
        else:
            caps.append(Capture(lab, "relay" if relayed else "server",
                                tmp_pcap))
        try:
            sc.body(t)
        except (socket.timeout, OSError) as e:
            raise Failed("socket operation failed: %s" % e)
        got = t.wait_states(t.expect)
        time.sleep(SETTLE)
        snap = {side: lab.ss(side) for side in lab.hosts}
        # keep capturing where the trace must show what did NOT happen
        # next (no further retransmission): see Trial.linger
        if t.linger > 0:
            time.sleep(t.linger)
            # One ICMP echo dates the end of the capture: a pcap ends at its
            # last packet, so without it the silence would not be on record.
            lab.exec("client", ["ping", "-c", "1", "-W", "1",
                                ADDRS[sc.family][1]], check=False)
        counters = {}
        for side in sorted(lab.nft_tables):
            counters[side] = lab.all_drops(side)
        for side, hook in sorted(lab.nft_chains):
            counters["%s %s" % (side, hook)] = lab.all_drops(side, hook)
        tcpdump_errs = []
        for cap in caps:
            tcpdump_errs.append(cap.stop())
            if cap.early_exit:
                raise Failed("tcpdump exited during the capture: %s"
                             % tcpdump_errs[-1].strip())
        for fn in t.after_snapshot:
            fn()
        signal.setitimer(signal.ITIMER_REAL, 0)
        truth = t.states(snap)
        for tcpdump_err in tcpdump_errs:
            m = re.search(r"(\d+) packets? dropped by kernel", tcpdump_err)
            if m and int(m.group(1)):
                raise Failed("tcpdump dropped %s packets" % m.group(1))
        eps = t.endpoints()
        segs = read_pcap(tmp_pcap, (t.caddr, t.cport), (t.saddr, t.sport),
                         also=t.others())
        if vantages:
            t.pcap_s = tmp_s
            t.segs_s = read_pcap(tmp_s, (t.caddr, t.cport),
                                 (t.saddr, t.sport))
        problems = []
        if truth != t.expect:
            problems.append("kernel state %s, expected %s" % (truth, t.expect))
        if t.own_handshake:
            problems += sc.verify(t, segs, counters)
        elif len(segs) < 3 or [flag_str(s.flags) for s in segs[:3]] != \
                ["S", "S.", "."] or [s.dir for s in segs[:3]] != ["c", "s", "c"]:
            problems.append("trace does not start with a clean handshake")
        else:
            problems += sc.verify(t, segs, counters)
        if problems:
            raise Failed("; ".join(problems) + "\ntrace:\n" +
                         fmt_trace(segs, t.injected if t.detail else None))
        lines = ["scenario " + sc.name, "family %d" % sc.family,
                 "client %s %s" % (eps["client"][0], truth["client"]),
                 "server %s %s" % (eps["server"][0], truth["server"])]
        lines += ["note " + n for n in t.notes]
        ss_text = "".join(
            "# %s namespace (%s): ss -tanoi\n%s" % (
                side, t.side_addr(side),
                snap[side] if snap[side].endswith("\n") or not snap[side]
                else snap[side] + "\n")
            for side in lab.hosts)
        done = True
        trace = fmt_trace(segs, t.injected if t.detail else None)
        if vantages:
            trace = "%s:\n%s\n%s:\n%s" % (
                points[0][3], trace, points[1][3], fmt_trace(t.segs_s))
        return {"pcaps": [(tmp_pcap, points[0][2]), (tmp_s, points[1][2])]
                if vantages
                else [(tmp_pcap, "")],
                "truth": "\n".join(lines) + "\n", "ss": ss_text,
                "trace": trace}
    except Watchdog:
        raise Failed("attempt took longer than %d s" % ATTEMPT_TIMEOUT)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for tmp in (tmp_pcap, tmp_s):
            if not done and tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
        old = signal.pthread_sigmask(signal.SIG_BLOCK,
                                     {signal.SIGINT, signal.SIGTERM})
        try:
            for cap in caps:
                cap.stop()
            t.close_all()
            lab.teardown()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


# --------------------------------------------------------------------------
# trace checks shared by scenarios

def fins(segs, d):
    return [s for s in segs if s.dir == d and s.flags & FIN]


def rsts(segs, d=None):
    return [s for s in segs if s.flags & RST and (d is None or s.dir == d)]


def from_first_fin(segs):
    for i, s in enumerate(segs):
        if s.flags & FIN:
            return segs[i:]
    return []


def fin_end(f):
    """Sequence number just after the FIN segment f."""
    return seq_add(f.seq, f.plen + 1)


def check_orderly(segs, first, second, retrans_ok=()):
    """FIN from FIRST, then FIN from SECOND, no RST, each FIN acked."""
    p = []
    if rsts(segs):
        p.append("unexpected RST")
    f1, f2 = fins(segs, first), fins(segs, second)
    if not f1 or not f2:
        return p + ["missing FIN (client %d, server %d)" % (
            len(fins(segs, "c")), len(fins(segs, "s")))]
    if segs.index(f1[0]) > segs.index(f2[0]):
        p.append("%s closed first, expected %s" % (
            "server" if first == "c" else "client",
            "client" if first == "c" else "server"))
    for d, fl in ((first, f1), (second, f2)):
        if len(set(s.seq for s in fl)) != 1:
            p.append("FINs with different sequence numbers")
        if len(fl) > 1 and d not in retrans_ok:
            p.append("unexpected FIN retransmission")
        other = "s" if d == "c" else "c"
        end = fin_end(fl[0])
        if not any(s.dir == other and s.flags & ACK and s.ack == end
                   for s in segs[segs.index(fl[0]):]):
            p.append("FIN of %s never acked" % ("client" if d == "c"
                                                else "server"))
    return p


def shape(segs):
    return [(s.dir, flag_str(s.flags), s.plen) for s in segs]


def check_four_way(segs, first):
    second = "s" if first == "c" else "c"
    p = check_orderly(segs, first, second)
    close = from_first_fin(segs)
    want = [(first, "F.", 0), (second, ".", 0), (second, "F.", 0),
            (first, ".", 0)]
    if shape(close) != want:
        p.append("close is not FIN / ACK / FIN / ACK (%d segments)"
                 % len(close))
    elif close[1].ack != fin_end(close[0]) or close[3].ack != fin_end(close[2]):
        p.append("close ACKs do not ack the FINs")
    return p


# --------------------------------------------------------------------------
# scenarios

def linger0(sk):
    """SO_LINGER {1,0}: close() aborts with an RST instead of a FIN."""
    sk.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def body_client_close_first(t):
    c, s = t.connect()
    t.exchange()
    c.close()
    t.recv_eof(s)
    time.sleep(0.3)     # longer than the delayed ACK: the FIN's ACK goes alone
    s.close()
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_client_close_first(t, segs, counters):
    return check_four_way(segs, "c")


def body_server_close_first(t):
    c, s = t.connect()
    t.exchange()
    s.close()
    t.recv_eof(c)
    time.sleep(0.3)
    c.close()
    t.expect = {"client": "CLOSED", "server": "TIME_WAIT"}


def verify_server_close_first(t, segs, counters):
    return check_four_way(segs, "s")


def body_three_way(t):
    c, s = t.connect()
    t.exchange()
    c.close()
    t.recv_eof(s)
    s.close()           # at once: the server's FIN carries the FIN's ACK
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_three_way(t, segs, counters):
    p = check_orderly(segs, "c", "s")
    close = from_first_fin(segs)
    if shape(close) != [("c", "F.", 0), ("s", "F.", 0), ("c", ".", 0)]:
        p.append("close came out as %d segments, not FIN / FIN+ACK / ACK"
                 % len(close))
    elif close[1].ack != fin_end(close[0]) or close[2].ack != fin_end(close[1]):
        p.append("server FIN does not ack the client FIN")
    if not p:
        t.notes.append("three-way")
    return p


def body_half_close(t):
    c, s = t.connect()
    t.exchange()
    c.shutdown(socket.SHUT_WR)
    t.recv_eof(s)
    for i in range(HALF_CLOSE_SENDS):
        chunk = bytes([0x41 + i]) * HALF_CLOSE_CHUNK
        s.sendall(chunk)
        if t.recv_exact(c, len(chunk)) != chunk:
            raise Failed("half-close data corrupted")
        time.sleep(0.03)
    time.sleep(0.1)
    s.close()
    t.recv_eof(c)
    c.close()
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_half_close(t, segs, counters):
    p = check_orderly(segs, "c", "s")
    cf = fins(segs, "c")
    if cf:
        after = segs[segs.index(cf[0]):]
        data = sum(s.plen for s in after if s.dir == "s")
        sends = [s for s in after if s.dir == "s" and s.plen]
        if data != HALF_CLOSE_CHUNK * HALF_CLOSE_SENDS:
            p.append("server sent %d bytes after the client's FIN, expected %d"
                     % (data, HALF_CLOSE_CHUNK * HALF_CLOSE_SENDS))
        if any(s.flags & FIN for s in sends):
            p.append("server FIN carries data")
        if any(s.plen for s in after if s.dir == "c"):
            p.append("client sent data after its FIN")
    return p


def body_rst_linger0(t):
    c, s = t.connect()
    t.exchange()
    linger0(c)
    c.close()
    try:
        t.recv_eof(s)
        raise Failed("server read EOF instead of a reset")
    except ConnectionResetError:
        pass
    s.close()
    t.expect = {"client": "CLOSED", "server": "CLOSED"}


def verify_rst_linger0(t, segs, counters):
    p = []
    if fins(segs, "c") or fins(segs, "s"):
        p.append("FIN in an abortive close")
    r = rsts(segs)
    if len(r) != 1 or r[0].dir != "c":
        p.append("expected exactly one RST, from the client (got %d)" % len(r))
    elif r[0] is not segs[-1]:
        p.append("segments after the RST")
    return p


def body_final_ack_lost(t):
    c, s = t.connect()
    t.exchange()
    c.close()
    t.recv_eof(s)
    # drop the client's pure ACKs (no FIN/SYN/RST) at the server's input
    t.lab.nft_add("server", t.from_client() +
                  " tcp flags & (fin|syn|rst) == 0 counter drop")
    time.sleep(0.3)
    s.close()
    time.sleep(1.5)
    t.lab.nft_flush("server")
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}
    # the next retransmitted FIN (exponential backoff) gets through
    st = t.wait_states(t.expect, timeout=8.0)
    if st != t.expect:
        raise Failed("server did not close after the rule was removed: %s" % st)
    # The last ACK looks like every lost one before it; only the silence
    # after it (no FIN again within the next, doubled RTO) proves that it
    # arrived. Keep capturing past that point.
    t.linger = 2.5


def verify_final_ack_lost(t, segs, counters):
    p = check_orderly(segs, "c", "s", retrans_ok=("s",))
    sf = fins(segs, "s")
    if len(sf) < 2:
        p.append("server FIN not retransmitted")
    else:
        acks = [x for x in segs[segs.index(sf[0]):]
                if x.dir == "c" and not x.flags & (FIN | SYN | RST)
                and x.ack == fin_end(sf[0])]
        if len(acks) < len(sf):
            p.append("client answered %d of %d server FINs" % (len(acks),
                                                               len(sf)))
    drops = sum(counters.get("server", []))
    if drops < len(sf) - 1 or drops < 1:
        p.append("nft dropped %d ACKs for %d FINs" % (drops, len(sf)))
    return p


def body_fin_lost(t):
    c, s = t.connect()
    t.exchange()
    # the quota matches the first FIN only (52 or 72 bytes at the IP layer)
    t.lab.nft_add("server", t.from_client() +
                  " tcp flags & fin == fin quota until 80 bytes counter drop")
    c.close()
    t.recv_eof(s)       # after the client's retransmitted FIN
    time.sleep(0.3)
    s.close()
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_fin_lost(t, segs, counters):
    p = check_orderly(segs, "c", "s", retrans_ok=("c",))
    cf = fins(segs, "c")
    if len(cf) != 2:
        p.append("client FIN sent %d times, expected 2" % len(cf))
    if counters.get("server") != [1]:
        p.append("nft counters %s, expected one dropped FIN"
                 % counters.get("server"))
    return p


def body_simultaneous(t):
    c, s = t.connect()
    t.exchange()
    t.lab.nft_add("server", t.from_client() +
                  " tcp flags & fin == fin counter drop")
    t.lab.nft_add("client", t.from_server() +
                  " tcp flags & fin == fin counter drop")
    aff = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(aff)})
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
        except (OSError, AttributeError):
            pass
        c.shutdown(socket.SHUT_WR)
        s.shutdown(socket.SHUT_WR)
    finally:
        try:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
        except (OSError, AttributeError):
            pass
        os.sched_setaffinity(0, aff)
    time.sleep(0.1)
    t.lab.nft_flush("server")
    t.lab.nft_flush("client")
    t.expect = {"client": "TIME_WAIT", "server": "TIME_WAIT"}


def verify_simultaneous(t, segs, counters):
    p = []
    if rsts(segs):
        p.append("unexpected RST")
    cf, sf = fins(segs, "c"), fins(segs, "s")
    if not cf or not sf:
        return p + ["missing FIN"]
    # each side's first FIN was sent before it had the peer's FIN
    if cf[0].ack == fin_end(sf[0]) or sf[0].ack == fin_end(cf[0]):
        p.append("sequential close: a first FIN already acks the peer's FIN")
    if not counters.get("server") or not counters["server"][0] or \
            not counters.get("client") or not counters["client"][0]:
        p.append("nft dropped no FIN on one side (%s)" % counters)
    for d, fl in (("c", cf), ("s", sf)):
        other = "s" if d == "c" else "c"
        if not any(x.dir == other and x.flags & ACK and x.ack == fin_end(fl[0])
                   for x in segs):
            p.append("a FIN was never acked")
    return p


def body_stuck(t):
    c, s = t.connect()
    t.exchange()
    c.close()
    t.recv_eof(s)
    # the server never closes while capturing; close it only afterwards
    t.after_snapshot.append(s.close)
    t.expect = {"client": "FIN_WAIT_2", "server": "CLOSE_WAIT"}


def verify_stuck(t, segs, counters):
    p = []
    if rsts(segs):
        p.append("unexpected RST")
    cf, sf = fins(segs, "c"), fins(segs, "s")
    if len(cf) != 1 or sf:
        p.append("expected one client FIN and no server FIN (%d/%d)"
                 % (len(cf), len(sf)))
    elif not any(x.dir == "s" and x.ack == fin_end(cf[0])
                 for x in segs[segs.index(cf[0]):]):
        p.append("client FIN not acked")
    return p


def body_last_ack_hanging(t):
    c, s = t.connect()
    t.exchange()
    c.close()
    t.recv_eof(s)
    t.lab.nft_add("server", t.from_client() + " counter drop")
    time.sleep(0.3)
    s.close()
    time.sleep(1.0)     # FIN retransmitted from LAST_ACK, never acked
    t.expect = {"client": "TIME_WAIT", "server": "LAST_ACK"}


def verify_last_ack_hanging(t, segs, counters):
    p = []
    if rsts(segs):
        p.append("unexpected RST")
    cf, sf = fins(segs, "c"), fins(segs, "s")
    if len(cf) != 1 or len(sf) < 2:
        p.append("expected one client FIN and a retransmitted server FIN "
                 "(%d/%d)" % (len(cf), len(sf)))
    elif len(set(x.seq for x in sf)) != 1:
        p.append("server FINs differ")
    drops = sum(counters.get("server", []))
    if drops < len(sf):
        p.append("nft dropped %d segments for %d server FINs" % (drops,
                                                                  len(sf)))
    return p


def body_rst_answers(t):
    c, s = t.connect()
    t.exchange()
    c.shutdown(socket.SHUT_WR)      # not orphaned: TIME_WAIT is attempted on
    t.recv_eof(s)                   # the server's FIN (and refused)
    t.lab.nft_add("server", t.from_client() +
                  " tcp flags & (fin|syn|rst) == 0 counter drop")
    time.sleep(0.3)
    s.close()
    t.recv_eof(c)
    c.close()
    t.expect = {"client": "CLOSED", "server": "CLOSED"}


def verify_rst_answers(t, segs, counters):
    p = []
    cf, sf = fins(segs, "c"), fins(segs, "s")
    if len(cf) != 1 or len(sf) < 2:
        return ["expected one client FIN and a retransmitted server FIN "
                "(%d/%d)" % (len(cf), len(sf))]
    r = rsts(segs)
    if len(r) != 1 or r[0].dir != "c":
        return p + ["expected exactly one RST, from the client (got %d)"
                    % len(r)]
    i = segs.index(r[0])
    if segs[i - 1] is not sf[-1] or len(sf) != 2:
        p.append("RST does not answer the retransmitted server FIN")
    if r[0].seq != sf[-1].ack:
        p.append("RST sequence number is not the FIN's ACK number")
    if not any(x.dir == "c" and x.flags == ACK and x.ack == fin_end(sf[0])
               for x in segs[segs.index(sf[0]):i]):
        p.append("client did not ack the first server FIN")
    if counters.get("server", [0])[0] < 1:
        p.append("nft dropped no ACK")
    return p


# --------------------------------------------------------------------------
# reuse of the 4-tuple and old segments (scenarios 12-17, IPv4)
#
# These write `note` lines into the truth: every note states something that
# was checked in the trace or read from ss / nstat during the attempt.

MOD = 1 << 32
TW_ISN_STEP = 65535 + 2     # tcp_twsk_unique / tcp_timewait_state_process:
                            # new ISN = old snd_nxt + 65535 + 2


def seq_diff(a, b):
    """a - b as a signed 32-bit serial-number distance."""
    d = (a - b) & 0xFFFFFFFF
    return d - MOD if d >= 0x80000000 else d


def incarnations(segs, skip=()):
    """Split a trace into incarnations of the 4-tuple: a new one starts at
    every client SYN (without ACK) with a new ISN.  Indices in SKIP
    (injected frames) are left out."""
    parts, isn = [], None
    for i, x in enumerate(segs):
        if i in skip:
            continue
        if x.dir == "c" and x.flags & (SYN | ACK) == SYN and x.seq != isn:
            parts.append([])
            isn = x.seq
        if parts:
            parts[-1].append(x)
    return parts


def check_handshake(part):
    if len(part) < 3 or shape(part[:3]) != [("c", "S", 0), ("s", "S.", 0),
                                            ("c", ".", 0)] \
            or part[1].ack != seq_add(part[0].seq, 1):
        return ["does not start with a clean handshake"]
    return []


def prefixed(prefix, problems):
    return [prefix + x for x in problems]


def close_client_first(t):
    """Four-way close, client first (as in client-close-first)."""
    t.c.close()
    t.recv_eof(t.s)
    time.sleep(0.3)
    t.s.close()


def close_server_first(t):
    t.s.close()
    t.recv_eof(t.c)
    time.sleep(0.3)
    t.c.close()


def settle(t, expect, what):
    st = t.wait_states(expect)
    if st != expect:
        raise Failed("%s: kernel state %s, expected %s" % (what, st, expect))


def established_after_reuse(t, who, state="TIME_WAIT"):
    """ss right after the new connection: exactly one socket per side for
    the 4-tuple (ss_state fails on two), both ESTABLISHED."""
    st = t.states()
    want = {"client": "ESTABLISHED", "server": "ESTABLISHED"}
    if st != want:
        raise Failed("after the reuse ss shows %s" % st)
    t.notes.append("ss after the new connect: the %s's %s socket is "
                   "gone, the new incarnation is ESTABLISHED on both sides"
                   % (who, state))


def client_data_waiting(c):
    """Bytes readable on C right now (0 if none); the data stays queued."""
    r, _, _ = select.select([c], [], [], 0)
    if not r:
        return 0
    return len(c.recv(65536, socket.MSG_PEEK)) or -1    # -1: EOF


def note_reused_syn(t, p1, p2, tw_side):
    """Notes on the new SYN against the old incarnation's numbers."""
    syn = p2[0]
    old_c = [x for x in p1 if x.dir == "c"]
    gap = syn.t - p1[-1].t
    d_isn = seq_diff(syn.seq, fin_end(fins(p1, "c")[0]))
    d_ts = seq_diff(syn.tsval, old_c[-1].tsval) if syn.tsval is not None \
        and old_c[-1].tsval is not None else None
    t.notes.append(
        "new SYN %.3f s after the first incarnation's last segment; its ISN "
        "is old client FIN end %+d, its TSval %s than the old last one"
        % (gap, d_isn, "n/a" if d_ts is None else
           "%d ms newer" % d_ts if d_ts > 0 else "%d ms older" % -d_ts))
    return d_isn, d_ts


# ---- 12 reuse-client-time-wait ------------------------------------------

def body_reuse_client_tw(t):
    t.detail = True
    t.connect()
    t.exchange()
    close_client_first(t)
    settle(t, {"client": "TIME_WAIT", "server": "CLOSED"}, "first close")
    reuse = t.lab.exec("client", ["sysctl", "-n", "net.ipv4.tcp_tw_reuse"]
                       ).stdout.strip()
    n0 = t.nstat("client")
    t.reconnect()
    n1 = t.nstat("client")
    t.notes.append("client in TIME_WAIT reconnected from the same port: "
                   "bind() with SO_REUSEADDR + connect() succeeded with "
                   "net.ipv4.tcp_tw_reuse=%s (client counters: %s)"
                   % (reuse, t.fmt_delta(t.counter_delta(n0, n1))))
    established_after_reuse(t, "client")
    t.exchange_small()
    close_client_first(t)
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_reuse_client_tw(t, segs, counters):
    parts = incarnations(segs)
    if len(parts) != 2:
        return ["expected 2 incarnations, found %d" % len(parts)]
    p1, p2 = parts
    p = prefixed("first: ", check_four_way(p1, "c"))
    p += prefixed("second: ", check_handshake(p2) + check_four_way(p2, "c"))
    if p:
        return p
    d_isn, d_ts = note_reused_syn(t, p1, p2, "client")
    if d_isn != TW_ISN_STEP:
        p.append("new ISN is old FIN end %+d, expected +%d" % (d_isn,
                                                               TW_ISN_STEP))
    if d_ts is None or d_ts <= 0:
        p.append("new SYN's TSval does not advance")
    if not p:
        t.notes.append("the client's new ISN is exactly the TIME_WAIT's "
                       "snd_nxt + 65537 (tw_snd_nxt + 65535 + 2)")
        t.notes.append("server answered the reused SYN with SYN-ACK "
                       "(listener; the old server socket was CLOSED)")
    return p


# ---- 13 reuse-server-time-wait ------------------------------------------

def body_reuse_server_tw(t):
    t.detail = True
    t.connect()
    t.exchange()
    close_server_first(t)
    settle(t, {"client": "CLOSED", "server": "TIME_WAIT"}, "first close")
    n0 = t.nstat("server")
    t.reconnect()
    n1 = t.nstat("server")
    established_after_reuse(t, "server")
    t.notes.append("server counters across the reuse: %s"
                   % t.fmt_delta(t.counter_delta(n0, n1)))
    t.exchange_small()
    close_client_first(t)
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_reuse_server_tw(t, segs, counters):
    parts = incarnations(segs)
    if len(parts) != 2:
        return ["expected 2 incarnations, found %d" % len(parts)]
    p1, p2 = parts
    p = prefixed("first: ", check_four_way(p1, "s"))
    p += prefixed("second: ", check_handshake(p2) + check_four_way(p2, "c"))
    if p:
        return p
    d_isn, d_ts = note_reused_syn(t, p1, p2, "server")
    if d_isn <= 0:
        p.append("new SYN's ISN is not after the TIME_WAIT's rcv_nxt")
    if d_ts is None or d_ts <= 0:
        p.append("new SYN's TSval does not advance")
    d_srv = seq_diff(p2[1].seq, fin_end(fins(p1, "s")[0]))
    if not p:
        t.notes.append("server TIME_WAIT accepted the reused SYN (ISN and "
                       "TSval advance, RFC 6191) and answered with SYN-ACK")
        t.notes.append("the server's new ISN is its old FIN end %+d%s" % (
            d_srv, " (tw_snd_nxt + 65535 + 2)" if d_srv == TW_ISN_STEP
            else ""))
    return p


# ---- 14 reuse-time-wait-rejected ----------------------------------------

OLD_SYN_ISN_BACK = 100000   # injected SYN: ISN this far below the old ISN
OLD_SYN_TS_BACK = 1000      # and TSval this far below the old SYN's


def body_reuse_tw_rejected(t):
    t.detail = True
    t.connect()
    t.exchange()
    close_server_first(t)
    settle(t, {"client": "CLOSED", "server": "TIME_WAIT"}, "first close")
    # The client has no socket left: it would answer the TIME_WAIT's ACK
    # with RST, and that RST (tcp_rfc1337=0) would kill the TIME_WAIT.
    t.lab.nft_add("client", t.from_server() + " counter drop")
    segs = t.segs_so_far()
    syn = segs[0]
    frame = rewrite_frame(syn.raw, seq=syn.seq - OLD_SYN_ISN_BACK,
                          tsval=syn.tsval - OLD_SYN_TS_BACK)
    n0 = t.nstat("server")
    idx, ans = t.inject("client", frame, "s")
    n1 = t.nstat("server")
    t.inj_counters = t.counter_delta(n0, n1)
    t.expect = {"client": "CLOSED", "server": "TIME_WAIT"}


def verify_reuse_tw_rejected(t, segs, counters):
    if len(t.injected) != 1:
        return ["injected frame not found"]
    idx = min(t.injected)
    p = check_four_way(segs[:idx], "s")
    if incarnations(segs, t.injected).__len__() != 1:
        p.append("more than one real incarnation")
    if p:
        return p
    inj, rest = segs[idx], segs[idx + 1:]
    cfin, sfin = fins(segs, "c")[0], fins(segs, "s")[0]
    last_c = [x for x in segs[:idx] if x.dir == "c"][-1]
    if len(rest) != 1:
        return ["expected exactly one answer to the injected SYN, got %d "
                "segments" % len(rest)]
    a = rest[0]
    if a.dir != "s" or a.flags != ACK or a.plen:
        return ["the TIME_WAIT answered the old SYN with [%s] from %s"
                % (flag_str(a.flags), a.dir)]
    if a.seq != fin_end(sfin) or a.ack != fin_end(cfin):
        p.append("the ACK does not carry the old connection's numbers")
    if counters.get("client") != [1]:
        p.append("client input dropped %s, expected the one ACK"
                 % counters.get("client"))
    if p:
        return p
    t.notes.append(
        "injected SYN on the same 4-tuple (AF_PACKET on veth-c): ISN %d "
        "below the old client ISN (%d below the old rcv_nxt), TSval %d ms "
        "older than the old SYN's and %d ms older than the TIME_WAIT's "
        "ts_recent" % (OLD_SYN_ISN_BACK,
                       -seq_diff(inj.seq, fin_end(cfin)), OLD_SYN_TS_BACK,
                       -seq_diff(inj.tsval, last_c.tsval)))
    t.notes.append(
        "server TIME_WAIT answered the old SYN with a bare ACK of the old "
        "connection (seq = its FIN + 1, ack = client FIN + 1, TSecr = the "
        "old last TSval%s), not SYN-ACK; it stayed in TIME_WAIT"
        % ("" if a.tsecr == last_c.tsval else " NOT: %s" % a.tsecr))
    t.notes.append("server counters across the injection: %s"
                   % t.fmt_delta(t.inj_counters))
    t.notes.append("the client namespace dropped that ACK (nft), so the "
                   "closed client sent no RST to the TIME_WAIT")
    return p


def check_challenged_reconnect(p2, seq, ack):
    """The second incarnation starts with the client's SYN, the server's
    bare ACK of the old connection (SEQ, ACK), the client's bare RST at
    that ACK's ack number, the same SYN again, SYN-ACK, ACK; then an
    exchange and a four-way close, client first."""
    got = shape(p2[:6])
    want = [("c", "S", 0), ("s", ".", 0), ("c", "R", 0), ("c", "S", 0),
            ("s", "S.", 0), ("c", ".", 0)]
    if got != want:
        return ["second incarnation starts %s, expected SYN, ACK, RST, SYN, "
                "SYN-ACK, ACK" % " ".join(d + ":" + f for d, f, _ in got)]
    syn, cack, rst, syn2 = p2[:4]
    p = []
    if cack.seq != seq or cack.ack != ack:
        p.append("server's answer to the SYN does not carry the old numbers")
    if rst.seq != cack.ack:
        p.append("client RST seq is not the challenge ACK's ack number")
    if syn2.seq != syn.seq:
        p.append("second SYN has a different ISN")
    return p + prefixed("second: ", check_handshake(p2[3:]) +
                        check_four_way(p2[3:], "c"))


# ---- 15 syn-to-last-ack -------------------------------------------------

def body_syn_to_last_ack(t):
    t.detail = True
    c, s = t.connect()
    t.exchange()
    c.close()
    t.recv_eof(s)
    # drop the client's final ACK (pure ACKs) at the server's input
    t.lab.nft_add("server", t.from_client() +
                  " tcp flags & (fin|syn|rst) == 0 counter drop")
    n0 = {side: t.nstat(side) for side in ("client", "server")}
    time.sleep(0.3)     # the ACK of the client's FIN goes out alone
    s.close()
    # take the rule out as soon as the final ACK was dropped, long before
    # the server's FIN retransmission (RTO >= 200 ms)
    deadline = time.monotonic() + 0.15
    while sum(t.lab.nft_drops("server")) < 1:
        if time.monotonic() > deadline:
            raise Failed("the client's final ACK was not dropped")
        time.sleep(0.002)
    t.lab.nft_flush("server")
    st = t.states()
    if st != {"client": "TIME_WAIT", "server": "LAST_ACK"}:
        raise Failed("before the reuse: %s" % st)
    t.reconnect()       # SYN -> challenge ACK -> RST -> SYN again
    n1 = {side: t.nstat(side) for side in ("client", "server")}
    established_after_reuse(t, "client")
    for side in ("client", "server"):
        t.notes.append("%s counters from the server's close() to the new "
                       "connection: %s" % (
            side, t.fmt_delta(t.counter_delta(n0[side], n1[side]))))
        # (n0 was read before the server's close(): the client's entry into
        # TIME_WAIT is inside the window too)
    t.exchange_small()
    close_client_first(t)
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_syn_to_last_ack(t, segs, counters):
    parts = incarnations(segs)
    if len(parts) != 2:
        return ["expected 2 incarnations, found %d" % len(parts)]
    p1, p2 = parts
    p = prefixed("first: ", check_four_way(p1, "c"))
    if counters.get("server") != [1]:
        p.append("server input dropped %s, expected the final ACK only"
                 % counters.get("server"))
    if p:
        return p
    cfin, sfin = fins(p1, "c")[0], fins(p1, "s")[0]
    p = check_challenged_reconnect(p2, fin_end(sfin), fin_end(cfin))
    if p:
        return p
    syn, cack, rst, syn2 = p2[:4]
    d_isn, _ = note_reused_syn(t, p1, p2, "client")
    t.notes.append("server in LAST_ACK (final ACK dropped at its input) "
                   "answered the reused SYN with a challenge ACK of the old "
                   "connection (seq = its FIN + 1, ack = client FIN + 1)")
    t.notes.append("client (SYN_SENT) answered the challenge ACK with RST "
                   "(seq = its ack number); the RST closed the server's "
                   "LAST_ACK socket")
    gap = syn2.t - syn.t
    if gap > 0.5:
        p.append("SYN retransmitted only after %.3f s" % gap)
        return p
    t.notes.append("client retransmitted the SYN (same ISN) %.3f s later, "
                   "not after the 1 s initial RTO (a SYN_SENT socket that "
                   "answers an unacceptable ACK with RST re-arms its "
                   "retransmit timer to TCP_TIMEOUT_MIN); the server "
                   "answered it with SYN-ACK" % gap)
    return p


# ---- 16 old-dup-time-wait -----------------------------------------------

def body_old_dup_tw(t):
    t.detail = True
    t.connect()
    t.exchange()
    close_client_first(t)
    settle(t, {"client": "TIME_WAIT", "server": "CLOSED"}, "close")
    # The closed server would answer the TIME_WAIT's ACK with RST, which
    # (tcp_rfc1337=0) would kill the TIME_WAIT: drop at the server's input.
    t.lab.nft_add("server", t.from_client() + " counter drop")
    segs = t.segs_so_far()
    data = [x for x in segs if x.dir == "s" and x.plen]
    n0 = t.nstat("client")
    t.inject("server", data[0].raw, "c")
    t.inj_counters = t.counter_delta(n0, t.nstat("client"))
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_old_dup_tw(t, segs, counters):
    if len(t.injected) != 1:
        return ["injected frame not found"]
    idx = min(t.injected)
    p = check_four_way(segs[:idx], "c")
    if p:
        return p
    inj, rest = segs[idx], segs[idx + 1:]
    orig = [x for x in segs[:idx] if x.raw == inj.raw]
    cfin, sfin = fins(segs, "c")[0], fins(segs, "s")[0]
    if not orig:
        p.append("injected frame is not a copy of an earlier one")
    if len(rest) != 1:
        return p + ["expected exactly one answer to the old segment, got %d"
                    % len(rest)]
    a = rest[0]
    if a.dir != "c" or a.flags != ACK or a.plen:
        return p + ["the TIME_WAIT answered with [%s] from %s"
                    % (flag_str(a.flags), a.dir)]
    if a.seq != fin_end(cfin) or a.ack != fin_end(sfin):
        p.append("the ACK does not carry the TIME_WAIT's numbers")
    if counters.get("server") != [1]:
        p.append("server input dropped %s, expected the one ACK"
                 % counters.get("server"))
    if p:
        return p
    t.notes.append(
        "injected an exact copy of the server's %d-byte data segment "
        "(seq = server ISN + 1, TSval %d ms older than the server FIN's) "
        "%.3f s after the close, out of veth-s"
        % (inj.plen, -seq_diff(inj.tsval, sfin.tsval),
           inj.t - segs[idx - 1].t))
    t.notes.append(
        "client TIME_WAIT answered the old duplicate with an ACK (seq = its "
        "FIN + 1, ack = server FIN + 1, TSecr = the server FIN's TSval%s) "
        "and stayed in TIME_WAIT" % (
            "" if a.tsecr == sfin.tsval else " NOT: %s" % a.tsecr))
    t.notes.append("client counters across the injection: %s"
                   % t.fmt_delta(t.inj_counters))
    t.notes.append("the server namespace dropped that ACK (nft), so the "
                   "closed server sent no RST to the TIME_WAIT")
    return p


# ---- 17 old-dup-after-reuse ---------------------------------------------

def body_old_dup_after_reuse(t):
    t.detail = True
    t.connect()
    t.exchange()
    close_client_first(t)
    settle(t, {"client": "TIME_WAIT", "server": "CLOSED"}, "first close")
    t.reconnect()
    established_after_reuse(t, "client")
    t.exchange_small()
    segs = t.segs_so_far()
    p1, p2 = incarnations(segs)
    old = [x for x in p1 if x.dir == "s" and x.plen][0]
    rcv_nxt = [x for x in p2 if x.dir == "c"][-1].ack
    t.inj = []
    for label, frame in (
            ("exact copy", old.raw),
            ("in-window copy", rewrite_frame(old.raw, seq=rcv_nxt))):
        n0 = t.nstat("client")
        idx, ans = t.inject("server", frame, "c")
        delta = t.counter_delta(n0, t.nstat("client"))
        t.inj.append((label, idx, rcv_nxt, delta, client_data_waiting(t.c)))
    close_client_first(t)
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_old_dup_after_reuse(t, segs, counters):
    if len(t.injected) != 2:
        return ["injected frames not found"]
    parts = incarnations(segs, t.injected)
    if len(parts) != 2:
        return ["expected 2 incarnations, found %d" % len(parts)]
    p1, p2 = parts
    p = prefixed("first: ", check_four_way(p1, "c"))
    p += prefixed("second: ", check_handshake(p2) + check_four_way(p2, "c"))
    if p:
        return p
    old = [x for x in p1 if x.dir == "s" and x.plen][0]
    note_reused_syn(t, p1, p2, "client")
    for label, idx, rcv_nxt, delta, waiting in t.inj:
        inj = segs[idx]
        a = segs[idx + 1] if idx + 1 < len(segs) else None
        if a is None or a.dir != "c" or a.flags != ACK or a.plen:
            return ["%s: no bare ACK from the client after it" % label]
        if a.ack != rcv_nxt:
            p.append("%s: answer acks %s, not the new rcv_nxt" % (label,
                                                                  a.ack))
        if waiting:
            p.append("%s: %d bytes of the old segment reached the socket"
                     % (label, waiting))
        if p:
            return p
        sack = ""
        if a.sack:
            sack = " with SACK block(s) %s" % ", ".join(
                "%s..%s (%s the injected range)" % (
                    "old+%d" % seq_diff(l, old.seq),
                    "old+%d" % seq_diff(r, old.seq),
                    "=" if (l, r) == (inj.seq, seq_add(inj.seq, inj.plen))
                    else "not") for l, r in a.sack)
        t.notes.append(
            "%s of the first incarnation's %d-byte server segment (seq = new "
            "rcv_nxt %+d, TSval %d ms older than the new incarnation's last "
            "server TSval): the client answered with a duplicate ACK (ack = "
            "new rcv_nxt)%s; the data was not delivered; client counters: %s"
            % (label, inj.plen, seq_diff(inj.seq, rcv_nxt),
               -seq_diff(inj.tsval, [x for x in p2 if x.dir == "s"
                                     and x.t < inj.t][-1].tsval),
               sack, t.fmt_delta(delta)))
    return p


# --------------------------------------------------------------------------
# RST acceptability, old segments into TIME_WAIT, data after close, loss of
# ACKs after the sensor (scenarios 18-26, IPv4; issue 12)

RST_IN_WINDOW_OFFSET = 1000         # injected RST: rcv_nxt + this (in window)
RST_OUT_OF_WINDOW_OFFSET = 1 << 30  # rcv_nxt + this: far outside the window
LATE_DATA = b"late data after the peer closed\n"[:31]   # 31 bytes
TBF_RATE = 1000                     # bytes/s of the client's token bucket
TBF_BURST = 150                     # its size in bytes
TBF_DRAIN = 150                     # frame that empties it: a 54-byte RST
                                    # then waits ~54 ms


def no_injected(t, segs):
    return [x for i, x in enumerate(segs) if i not in t.injected]


def client_numbers(segs):
    """(client snd_nxt, client rcv_nxt) from the client's last segment."""
    last_c = [x for x in segs if x.dir == "c"][-1]
    return seq_add(last_c.seq, last_c.plen), last_c.ack


def inject_rst_established(t, offset):
    """Connection, exchange, then an RST+ACK from the server's direction
    (out of veth-s) with seq = the client's rcv_nxt + OFFSET and ack = its
    snd_nxt; records the client's answer and counters; both must still be
    ESTABLISHED afterwards.  Then a four-way close, client first."""
    t.detail = True
    t.connect()
    t.exchange()
    segs = t.segs_so_far()
    snd_nxt, rcv_nxt = client_numbers(segs)
    last_s = [x for x in segs if x.dir == "s"][-1]
    frame = craft_frame(last_s.raw, seq=seq_add(rcv_nxt, offset),
                        ack=snd_nxt, flags=RST | ACK)
    n0 = t.nstat("client")
    idx, ans = t.inject("server", frame, "c", timeout=0.3)
    delta = t.counter_delta(n0, t.nstat("client"))
    st = t.states()
    if st != {"client": "ESTABLISHED", "server": "ESTABLISHED"}:
        raise Failed("after the injected RST ss shows %s" % st)
    t.inj = [(idx, snd_nxt, rcv_nxt, delta)]
    close_client_first(t)
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_rst_established(t, segs, want_answer):
    if len(t.injected) != 1:
        return ["injected frame not found"]
    idx, snd_nxt, rcv_nxt, delta = t.inj[0]
    p = check_four_way(no_injected(t, segs), "c")
    if p:
        return p
    inj, nxt = segs[idx], segs[idx + 1]
    if want_answer:
        if nxt.dir != "c" or nxt.flags != ACK or nxt.plen or \
                nxt.seq != snd_nxt or nxt.ack != rcv_nxt:
            return ["no challenge ACK (seq = snd_nxt, ack = rcv_nxt) right "
                    "after the RST"]
        if delta.get("TcpExtTCPChallengeACK") != 1:
            p.append("TcpExtTCPChallengeACK did not count 1: %s" % delta)
        if seg_after(segs, idx + 1) is not fins(segs, "c")[0]:
            p.append("more than the challenge ACK between the RST and the "
                     "client's FIN")
    else:
        if nxt is not fins(segs, "c")[0]:
            return ["the client answered the out-of-window RST "
                    "([%s] from %s)" % (flag_str(nxt.flags), nxt.dir)]
        if delta.get("TcpExtTCPChallengeACK"):
            p.append("challenge ACK counted for an out-of-window RST")
    if p:
        return p
    t.notes.append(
        "injected RST+ACK towards the client (AF_PACKET on veth-s) %.3f s "
        "after the exchange: seq = client rcv_nxt %+d, ack = client snd_nxt, "
        "no options" % (inj.t - segs[idx - 1].t, seq_diff(inj.seq, rcv_nxt)))
    if want_answer:
        t.notes.append(
            "the RST was ignored with a challenge ACK: in the receive window "
            "but not RCV.NXT (RFC 5961 3.2); the client answered %.1f ms "
            "later with a bare ACK (seq = snd_nxt, ack = rcv_nxt)"
            % ((nxt.t - inj.t) * 1000))
    else:
        t.notes.append(
            "the RST was dropped silently: its sequence number is outside the "
            "receive window; the client sent nothing in answer")
    t.notes.append("client counters across the injection: %s"
                   % t.fmt_delta(delta))
    t.notes.append("ss after the injection: both sides still ESTABLISHED; "
                   "then a graceful four-way close, client first")
    return p


def seg_after(segs, i):
    return segs[i + 1] if i + 1 < len(segs) else None


# ---- 18 rst-in-window ---------------------------------------------------

def body_rst_in_window(t):
    inject_rst_established(t, RST_IN_WINDOW_OFFSET)


def verify_rst_in_window(t, segs, counters):
    return verify_rst_established(t, segs, True)


# ---- 19 rst-out-of-window -----------------------------------------------

def body_rst_out_of_window(t):
    inject_rst_established(t, RST_OUT_OF_WINDOW_OFFSET)


def verify_rst_out_of_window(t, segs, counters):
    return verify_rst_established(t, segs, False)


# ---- 20 rst-ack-iss-syn-sent --------------------------------------------

def body_rst_ack_iss(t):
    t.detail = True
    t.own_handshake = True
    lst = t._sock("server")
    lst.bind((t.saddr, t.sport))
    lst.listen(4)
    # the first SYN-ACK (60 bytes at the IP layer) is dropped at the
    # client's input, so the client stays in SYN_SENT
    t.lab.nft_add("client", t.from_server() + " tcp flags & (syn|ack) == "
                  "syn|ack quota until 70 bytes counter drop")
    c = t._sock("client")
    c.bind((t.caddr, t.cport))
    c.setblocking(False)
    err = c.connect_ex((t.saddr, t.sport))
    if err not in (0, errno.EINPROGRESS):
        raise Failed("connect: %s" % os.strerror(err))
    segs, _ = t.wait_trace(lambda sg: len(sg) >= 2, what="SYN and SYN-ACK")
    syn, synack = segs[0], segs[1]
    if shape(segs[:2]) != [("c", "S", 0), ("s", "S.", 0)]:
        raise Failed("no SYN / SYN-ACK at the start")
    if t.states()["client"] != "SYN_SENT":
        raise Failed("client not in SYN_SENT after the dropped SYN-ACK")
    # RST+ACK built from the SYN's bytes with ack = ISS (not ISS + 1)
    frame = craft_frame(syn.raw, seq=0, ack=syn.seq, flags=RST | ACK,
                        reverse=True)
    n0 = t.nstat("client")
    t.inject("server", frame, "c", timeout=1.5)
    t.inj_counters = t.counter_delta(n0, t.nstat("client"))
    _, w, _ = select.select([], [c], [], SOCK_TIMEOUT)
    if not w:
        raise Failed("connect did not complete")
    err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err:
        raise Failed("connect failed after the RST+ACK: %s" % os.strerror(err))
    c.settimeout(SOCK_TIMEOUT)
    s, _ = lst.accept()
    t.socks.append(s)
    s.settimeout(SOCK_TIMEOUT)
    lst.close()
    t.c, t.s = c, s
    t.exchange()
    close_client_first(t)
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_rst_ack_iss(t, segs, counters):
    if len(t.injected) != 1:
        return ["injected frame not found"]
    idx = min(t.injected)
    got = shape(segs[:6])
    want = [("c", "S", 0), ("s", "S.", 0), ("s", "R.", 0), ("c", "S", 0),
            ("s", "S.", 0), ("c", ".", 0)]
    if got != want or idx != 2:
        return ["trace starts %s, expected SYN, SYN-ACK, RST+ACK (injected), "
                "SYN, SYN-ACK, ACK" % " ".join(d + ":" + f for d, f, _ in got)]
    syn, synack, rst, syn2, synack2 = segs[:5]
    p = []
    if rst.ack != syn.seq:
        p.append("RST+ACK does not ack the ISS")
    if syn2.seq != syn.seq or synack2.seq != synack.seq:
        p.append("the handshake after the RST is not the same connection "
                 "(ISNs differ)")
    if counters.get("client") != [1]:
        p.append("client input dropped %s, expected the first SYN-ACK"
                 % counters.get("client"))
    rest = segs[3:]
    p += check_handshake(rest) + check_four_way(rest, "c")
    if p:
        return p
    t.notes.append("the client's first SYN-ACK was dropped at its input "
                   "(nft, after the capture point): client in SYN_SENT")
    t.notes.append(
        "injected RST+ACK towards the client (AF_PACKET on veth-s) %.1f ms "
        "after the SYN-ACK: seq 0, ack = the client's ISS (not ISS + 1)"
        % ((rst.t - synack.t) * 1000))
    t.notes.append(
        "the RST was ignored: its ACK is unacceptable in SYN_SENT (RFC 9293 "
        "3.10.7.3); the client re-sent the same SYN (same ISN) %.1f ms "
        "later (Linux re-arms the SYN timer to TCP_TIMEOUT_MIN), the server "
        "re-sent its SYN-ACK (same ISN) and the handshake completed"
        % ((syn2.t - rst.t) * 1000))
    t.notes.append("client counters across the injection: %s"
                   % t.fmt_delta(t.inj_counters))
    t.notes.append("one connection: exchange, then a graceful four-way "
                   "close, client first")
    return p


# ---- 21 old-rst-time-wait -----------------------------------------------

def body_old_rst_tw(t):
    t.detail = True
    t.connect()
    t.exchange()
    close_client_first(t)
    settle(t, {"client": "TIME_WAIT", "server": "CLOSED"}, "close")
    t.rfc1337 = t.lab.exec("client", ["sysctl", "-n",
                                      "net.ipv4.tcp_rfc1337"]).stdout.strip()
    segs = t.segs_so_far()
    synack = segs[1]
    # a listener's RST answering an old duplicate: seq = its SEG.ACK, here
    # the server's old ISN + 1; no ACK bit
    frame = craft_frame(synack.raw, seq=seq_add(synack.seq, 1), ack=0,
                        flags=RST)
    n0 = t.nstat("client")
    t.inject("server", frame, "c", timeout=0.3)
    t.inj_counters = t.counter_delta(n0, t.nstat("client"))
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_old_rst_tw(t, segs, counters):
    if len(t.injected) != 1:
        return ["injected frame not found"]
    idx = min(t.injected)
    p = check_four_way(segs[:idx], "c")
    if p:
        return p
    inj, rest = segs[idx], segs[idx + 1:]
    sfin = fins(segs, "s")[0]
    if rest:
        return ["the TIME_WAIT answered the old RST ([%s] from %s)"
                % (flag_str(rest[0].flags), rest[0].dir)]
    if t.rfc1337 != "0":
        return ["tcp_rfc1337 is %s, expected the default 0" % t.rfc1337]
    t.notes.append(
        "injected RST (no ACK bit) towards the client's TIME_WAIT (AF_PACKET "
        "on veth-s) %.3f s after the close: seq = the server's old ISN + 1, "
        "as a listener's RST answering an old duplicate carries; the "
        "TIME_WAIT's rcv_nxt is %d bytes further (server FIN + 1)"
        % (inj.t - segs[idx - 1].t, seq_diff(fin_end(sfin), inj.seq)))
    t.notes.append(
        "the RST was ignored (seq != RCV.NXT, out of window): no answer, "
        "the client stayed in TIME_WAIT (ss TIME-WAIT) with "
        "net.ipv4.tcp_rfc1337=0; client counters: %s"
        % t.fmt_delta(t.inj_counters))
    return p


# ---- 22 syn-replay-time-wait --------------------------------------------

def body_syn_replay_tw(t):
    t.detail = True
    t.connect()
    t.exchange()
    close_server_first(t)
    settle(t, {"client": "CLOSED", "server": "TIME_WAIT"}, "first close")
    # the closed client would answer the TIME_WAIT's ACK with RST
    t.lab.nft_add("client", t.from_server() + " counter drop")
    syn = t.segs_so_far()[0]
    n0 = t.nstat("server")
    t.inject("client", syn.raw, "s")
    t.inj_counters = t.counter_delta(n0, t.nstat("server"))
    t.expect = {"client": "CLOSED", "server": "TIME_WAIT"}


def verify_syn_replay_tw(t, segs, counters):
    if len(t.injected) != 1:
        return ["injected frame not found"]
    idx = min(t.injected)
    p = check_four_way(segs[:idx], "s")
    if p:
        return p
    inj, rest = segs[idx], segs[idx + 1:]
    cfin, sfin = fins(segs, "c")[0], fins(segs, "s")[0]
    last_c = [x for x in segs[:idx] if x.dir == "c"][-1]
    if inj.raw != segs[0].raw:
        return ["injected frame is not the original SYN"]
    if len(rest) != 1:
        return ["expected exactly one answer to the replayed SYN, got %d "
                "segments" % len(rest)]
    a = rest[0]
    if a.dir != "s" or a.flags != ACK or a.plen:
        return ["the TIME_WAIT answered the replayed SYN with [%s] from %s"
                % (flag_str(a.flags), a.dir)]
    if a.seq != fin_end(sfin) or a.ack != fin_end(cfin):
        p.append("the ACK does not carry the old connection's numbers")
    if counters.get("client") != [1]:
        p.append("client input dropped %s, expected the one ACK"
                 % counters.get("client"))
    if p:
        return p
    t.notes.append(
        "injected an exact copy of the client's original SYN (same ISN, "
        "TSval %d ms older than the TIME_WAIT's ts_recent) on veth-c %.3f s "
        "after the close" % (-seq_diff(inj.tsval, last_c.tsval),
                             inj.t - segs[idx - 1].t))
    t.notes.append(
        "server TIME_WAIT answered it with a bare ACK of the old connection "
        "(seq = its FIN + 1, ack = client FIN + 1), not SYN-ACK; no new "
        "connection; it stayed in TIME_WAIT; server counters: %s"
        % t.fmt_delta(t.inj_counters))
    t.notes.append("the client namespace dropped that ACK (nft), so the "
                   "closed client sent no RST to the TIME_WAIT")
    return p


# ---- 23 data-after-close ------------------------------------------------

def drain_client_tbf(t):
    """A token bucket on the client's veth, emptied, delays what the
    client sends next by ~54 ms: on a veth the client's answer would
    otherwise reach the server inside the server's send() call, before its
    close()."""
    t.lab.exec("client", ["tc", "qdisc", "add", "dev", CLIENT_DEV, "root",
                          "tbf", "rate", "%dkbit" % (TBF_RATE * 8 // 1000),
                          "burst", str(TBF_BURST), "latency", "1s"])
    # empty the bucket with a frame nobody answers (local experimental
    # ethertype; not in the capture filter)
    with t.lab.inside("client"):
        sk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    try:
        sk.bind((CLIENT_DEV, 0))
        mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
        sk.send(mac(SERVER_MAC) + mac(CLIENT_MAC) + b"\x88\xb5" +
                bytes(TBF_DRAIN - 14))
    finally:
        sk.close()


def body_data_after_close(t):
    c, s = t.connect()
    t.exchange()
    n0 = t.nstat("client")
    c.close()
    t.recv_eof(s)
    drain_client_tbf(t)
    s.send(LATE_DATA)
    s.close()           # at once: data and FIN well under 1 ms apart
    t.expect = {"client": "CLOSED", "server": "CLOSED"}
    t.wait_states(t.expect)
    t.inj_counters = t.counter_delta(n0, t.nstat("client"))


def verify_data_after_close(t, segs, counters):
    cf, sf = fins(segs, "c"), fins(segs, "s")
    if len(cf) != 1 or len(sf) != 1:
        return ["expected one FIN per side (%d/%d)" % (len(cf), len(sf))]
    after = segs[segs.index(cf[0]) + 1:]
    data = [x for x in after if x.dir == "s" and x.plen]
    if len(data) != 1 or data[0].plen != len(LATE_DATA) or \
            data[0].flags & FIN:
        return ["expected one %d-byte server segment without FIN after the "
                "client's FIN" % len(LATE_DATA)]
    d, f = data[0], sf[0]
    p = []
    if f.seq != seq_add(d.seq, d.plen) or segs.index(f) < segs.index(d):
        p.append("server FIN does not follow the data")
    gap = f.t - d.t
    if gap >= 0.001:
        p.append("data and FIN %.3f ms apart, not under 1 ms" % (gap * 1000))
    r = rsts(segs)
    if len(r) != 2 or any(x.dir != "c" or x.flags != RST for x in r):
        return p + ["expected two bare RSTs from the client (got %s)"
                    % [(x.dir, flag_str(x.flags)) for x in r]]
    if any(x.seq != fin_end(cf[0]) for x in r):
        p.append("RSTs not at seq = client FIN + 1")
    if any(x.dir == "c" and x.flags & ACK and x.ack == fin_end(f)
           for x in segs):
        p.append("the client acked the server's FIN")
    if any(x.dir == "c" for x in after if not x.flags & RST):
        p.append("the client sent more than RSTs after its FIN")
    if segs.index(r[0]) < segs.index(f):
        p.append("RST before the server's FIN")
    if t.inj_counters.get("TcpExtTCPAbortOnData") != 1:
        p.append("TcpExtTCPAbortOnData did not count 1: %s" % t.inj_counters)
    if p:
        return p
    pre = [x for x in after if x.dir == "s" and not x.plen
           and not x.flags & (FIN | RST) and segs.index(x) < segs.index(d)]
    t.notes.append(
        "client close() with everything read: FIN; the server read EOF, "
        "sent %d bytes (ack = client FIN + 1%s) and closed: data and FIN "
        "%.3f ms apart" % (d.plen, "; a bare ACK of the FIN before them"
                           if pre else "; no bare ACK of the FIN before "
                           "them", gap * 1000))
    t.notes.append(
        "the client (socket closed, FIN sent) answered the data with a bare "
        "RST (seq = its FIN + 1) and was gone: aborted by data after close "
        "(RFC 1122 4.2.2.13), never in TIME_WAIT; the FIN drew a second RST "
        "(no socket); the server's FIN was never acked")
    t.notes.append("client counters over the close: %s"
                   % t.fmt_delta(t.inj_counters))
    t.notes.append(
        "a tbf qdisc on the client's veth delayed the client's RSTs (first "
        "%.1f ms after the data), as a real path would: on a bare veth the "
        "RST reaches the server inside its send(), before close() sends "
        "the FIN; the server namespace has net.ipv4.tcp_early_retrans=0 "
        "(no tail loss probe of the FIN meanwhile)" % ((r[0].t - d.t) * 1000))
    t.notes.append("the first RST (seq = the server's RCV.NXT) closed the "
                   "server (LAST_ACK -> CLOSED)")
    return p


# ---- 24 peer-vanishes ---------------------------------------------------

def body_peer_vanishes(t):
    c, s = t.connect()
    t.exchange()
    c.close()
    t.recv_eof(s)
    time.sleep(0.3)     # the ACK of the client's FIN goes out alone
    t.lab.nft_add("client", t.from_server() + " counter drop")
    s.close()
    time.sleep(1.0)     # the server's FIN is retransmitted, never acked
    t.expect = {"client": "FIN_WAIT_2", "server": "LAST_ACK"}


def verify_peer_vanishes(t, segs, counters):
    p = []
    if rsts(segs):
        p.append("unexpected RST")
    cf, sf = fins(segs, "c"), fins(segs, "s")
    if len(cf) != 1 or len(sf) < 3:
        return p + ["expected one client FIN and a server FIN sent at least "
                    "3 times (%d/%d)" % (len(cf), len(sf))]
    close = from_first_fin(segs)
    if shape(close[:2]) != [("c", "F.", 0), ("s", ".", 0)] or \
            close[1].ack != fin_end(cf[0]):
        p.append("the client's FIN is not acked alone")
    if len(set(x.seq for x in sf)) != 1:
        p.append("server FINs differ")
    if any(x.dir == "c" for x in segs[segs.index(sf[0]):]):
        p.append("the client sent something after the server's FIN")
    drops = sum(counters.get("client", []))
    if drops != len(sf):
        p.append("nft dropped %d segments for %d server FINs" % (drops,
                                                                  len(sf)))
    if p:
        return p
    t.notes.append(
        "client FIN acked by the server; then everything from the server is "
        "dropped at the client's input (nft, after the capture point): the "
        "server's FIN was sent %d times (%s s after the first), never acked"
        % (len(sf), ", ".join("+%.2f" % (x.t - sf[0].t) for x in sf[1:])))
    t.notes.append("the client never received the server's FIN: it stayed "
                   "in FIN_WAIT_2 (orphaned, tcp_fin_timeout); ss taken "
                   "before the timers ended either side")
    return p


# ---- 25 ack-lost-then-peer-fin ------------------------------------------

def body_ack_lost_peer_fin(t):
    c, s = t.connect()
    t.exchange()
    # the server's pure ACKs are dropped at the client's input
    t.lab.nft_add("client", t.from_server() +
                  " tcp flags & (fin|syn|rst) == 0 counter drop")
    c.close()
    t.recv_eof(s)
    # wait until the client has sent its FIN 3 times (2 retransmissions)
    t.wait_trace(lambda sg: len(fins(sg, "c")) >= 3, timeout=3.0,
                 what="third client FIN")
    t.wait_trace(lambda sg: sg[-1].dir == "s", timeout=0.5,
                 what="the server's ACK of the third FIN")
    s.close()
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_ack_lost_peer_fin(t, segs, counters):
    p = check_orderly(segs, "c", "s", retrans_ok=("c",))
    if p:
        return p
    cf, sf = fins(segs, "c"), fins(segs, "s")
    close = from_first_fin(segs)
    want = [("c", "F.", 0), ("s", ".", 0)] * 3 + [("s", "F.", 0),
                                                  ("c", ".", 0)]
    if shape(close) != want:
        return ["close is %s, expected (client FIN, server ACK) x 3, server "
                "FIN, client ACK" % " ".join(d + ":" + f for d, f, _ in
                                             shape(close))]
    cend = fin_end(cf[0])
    if any(x.ack != cend for x in close[1:7:2]) or sf[0].ack != cend:
        p.append("server ACKs / FIN do not ack the client's FIN")
    if close[-1].ack != fin_end(sf[0]):
        p.append("client ACK does not ack the server's FIN")
    if counters.get("client") != [3]:
        p.append("client input dropped %s, expected the 3 ACKs"
                 % counters.get("client"))
    if p:
        return p
    t.notes.append(
        "the server's pure ACKs are dropped at the client's input (nft, "
        "after the capture point): the client sent its FIN 3 times (+%s s), "
        "the server acked each (3 drops counted)"
        % ", +".join("%.2f" % (x.t - cf[0].t) for x in cf[1:]))
    t.notes.append(
        "then the server closed: its FIN (ack = client FIN + 1) got through, "
        "the client acked it and went to TIME_WAIT; the server's FIN was "
        "never re-sent, so the client's ACK arrived")
    return p


# ---- 49 fin-ack-unseen-dsack --------------------------------------------

def body_fin_ack_unseen_dsack(t):
    c, s = t.connect()
    t.exchange()
    # The server's first pure ACK of the client's FIN is dropped at the
    # server's OUTPUT hook: it never reaches the wire (nor the capture).
    # Its ack number is the FIN's end: the client's last segment (its ACK
    # of the response, at its snd_nxt) + 1.
    last_c = [x for x in t.segs_so_far() if x.dir == "c"][-1]
    t.fin_end = seq_add(last_c.seq, last_c.plen + 1)
    ipk = "ip" if t.fam == 4 else "ip6"
    t.lab.nft_add("server", "%s daddr %s tcp sport %d tcp dport %d "
                  "tcp ackseq %d tcp flags & (fin|syn|rst) == 0 "
                  "quota until 80 bytes counter drop"
                  % (ipk, t.caddr, t.sport, t.cport, t.fin_end),
                  hook="output")
    c.close()
    t.recv_eof(s)       # the server took the first FIN
    # the capture may lag the socket: wait for the first FIN in it; the
    # copy comes one RTO (>= 200 ms) later, so one FIN means EOF came
    # before the copy was sent
    t.wait_trace(lambda sg: len(fins(sg, "c")) >= 1, timeout=0.15,
                 what="the client's first FIN")
    t.fins_at_eof = len(fins(t.segs_so_far(), "c"))
    # the client re-sends its FIN (no ACK came); the server, in
    # CLOSE_WAIT, answers the copy with a D-SACK of it
    t.wait_trace(lambda sg: len(fins(sg, "c")) >= 2 and sg[-1].dir == "s",
                 timeout=3.0, what="the server's ACK of the re-sent FIN")
    settle(t, {"client": "FIN_WAIT_2", "server": "CLOSE_WAIT"},
           "after the D-SACK")
    t.notes.append("ss after the server's ACK of the re-sent FIN: client "
                   "FIN-WAIT-2, server CLOSE-WAIT")
    time.sleep(0.3)
    s.close()
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_fin_ack_unseen_dsack(t, segs, counters):
    p = check_orderly(segs, "c", "s", retrans_ok=("c",))
    if p:
        return p
    cf, sf = fins(segs, "c"), fins(segs, "s")
    close = from_first_fin(segs)
    want = [("c", "F.", 0), ("c", "F.", 0), ("s", ".", 0), ("s", "F.", 0),
            ("c", ".", 0)]
    if shape(close) != want:
        return ["close is %s, expected client FIN x 2, server ACK, server "
                "FIN, client ACK" % " ".join(d + ":" + f for d, f, _ in
                                             shape(close))]
    cend = fin_end(cf[0])
    if cend != t.fin_end:
        p.append("the client's FIN ends at %d, the rule matched %d"
                 % (cend, t.fin_end))
    ack = close[2]
    if ack.ack != cend:
        p.append("the server's ACK does not ack the client's FIN")
    if not ack.sack or ack.sack[0] != (cf[0].seq, cend):
        p.append("the server's ACK carries SACK %s, expected the D-SACK "
                 "[%d, %d)" % (ack.sack, cf[0].seq, cend))
    if t.fins_at_eof != 1:
        p.append("the server read EOF with %d client FINs in the trace, "
                 "expected 1" % t.fins_at_eof)
    if counters.get("server output") != [1]:
        p.append("server output dropped %s, expected one ACK"
                 % counters.get("server output"))
    if counters.get("server", []) != []:
        p.append("server input dropped %s, expected nothing"
                 % counters.get("server"))
    if p:
        return p
    t.notes.append(
        "the server's first ACK of the client's FIN was dropped at its "
        "output hook (before the capture point, 1 drop counted): not on "
        "the wire; the server had the FIN (its recv() returned EOF with "
        "one client FIN in the trace)")
    t.notes.append(
        "the client re-sent its FIN +%.3f s later; the server (CLOSE_WAIT) "
        "answered the copy with ACK %d and the D-SACK block [%d, %d) (RFC "
        "2883: the FIN's sequence number, received twice)"
        % (cf[1].t - cf[0].t, cend, cf[0].seq, cend))
    t.notes.append(
        "then the server closed: FIN, the client's ACK; client TIME_WAIT, "
        "server CLOSED")
    return p


# ---- 26 simultaneous-acks-lost ------------------------------------------

def body_simultaneous_acks_lost(t):
    c, s = t.connect()
    t.exchange()
    # both first FINs (52 bytes) are dropped, so the FINs cross; then every
    # pure ACK is dropped on both inputs until each side sent 3 FINs
    for side, rule in (("server", t.from_client()),
                       ("client", t.from_server())):
        t.lab.nft_add(side, rule + " tcp flags & fin == fin quota until 60 "
                      "bytes counter drop")
        t.lab.nft_add(side, rule + " tcp flags & (fin|syn|rst) == 0 "
                      "counter drop")
    aff = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(aff)})
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
        except (OSError, AttributeError):
            pass
        c.shutdown(socket.SHUT_WR)
        s.shutdown(socket.SHUT_WR)
    finally:
        try:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
        except (OSError, AttributeError):
            pass
        os.sched_setaffinity(0, aff)
    t.wait_trace(lambda sg: len(fins(sg, "c")) >= 3 and
                 len(fins(sg, "s")) >= 3, timeout=4.0,
                 what="three FINs from each side")
    time.sleep(0.05)
    t.lab.nft_flush("server")
    t.lab.nft_flush("client")
    t.expect = {"client": "TIME_WAIT", "server": "TIME_WAIT"}
    st = t.wait_states(t.expect, timeout=8.0)
    if st != t.expect:
        raise Failed("not both TIME_WAIT after the rules went: %s" % st)
    t.linger = 1.0


def verify_simultaneous_acks_lost(t, segs, counters):
    p = []
    if rsts(segs):
        p.append("unexpected RST")
    cf, sf = fins(segs, "c"), fins(segs, "s")
    if len(cf) < 3 or len(sf) < 3:
        return p + ["each side should send its FIN 3 times or more (%d/%d)"
                    % (len(cf), len(sf))]
    if cf[0].ack == fin_end(sf[0]) or sf[0].ack == fin_end(cf[0]):
        p.append("sequential close: a first FIN already acks the peer's FIN")
    if cf[1].ack == fin_end(sf[0]) or sf[1].ack == fin_end(cf[0]):
        p.append("second FINs do not cross (one acks the peer's FIN)")
    for side in ("client", "server"):
        got = counters.get(side, [])
        if len(got) != 2 or got[0] != 1 or got[1] < 1:
            p.append("%s input dropped %s, expected [1 FIN, >= 1 ACK]"
                     % (side, got))
    for d, fl in (("c", cf), ("s", sf)):
        other = "s" if d == "c" else "c"
        if not any(x.dir == other and x.flags == ACK and
                   x.ack == fin_end(fl[0]) for x in segs):
            p.append("no pure ACK of a FIN was captured")
    if not p:
        third = [x for x in segs if x.flags & FIN][4:6]
        if len(cf) != 3 or len(sf) != 3 or \
                cf[2].ack != fin_end(sf[0]) or sf[2].ack != fin_end(cf[0]):
            p.append("the third FINs do not both ack the peer's FIN")
        elif segs[-1] not in third:
            p.append("segments after the third FINs")
    if p:
        return p
    t.notes.append(
        "both sides shutdown(SHUT_WR) back to back; each first FIN was "
        "dropped at the peer's input, the second FINs crossed (neither acks "
        "the peer's FIN): both sides went through CLOSING")
    t.notes.append(
        "every pure ACK was dropped at both inputs (after the capture point) "
        "until each side had sent its FIN 3 times: client FINs %d, server "
        "FINs %d; ACKs dropped: client input %d, server input %d"
        % (len(cf), len(sf), counters["client"][1], counters["server"][1]))
    t.notes.append(
        "the third FINs crossed again (%.2f ms apart), each now acking the "
        "peer's FIN: each side went from CLOSING to TIME_WAIT on the peer's "
        "FIN and sent nothing more (Linux does not ack a retransmitted FIN "
        "that completes CLOSING); nothing followed after the rules were "
        "removed" % (abs(cf[2].t - sf[2].t) * 1000))
    return p


# ---- 27 fin-crosses-late-ack --------------------------------------------

RELAY_DELAY = 0.08      # one-way delay between the sensor and the server (s)
RELAYED = {"fin-crosses-late-ack"}
PACKET_OUTGOING = 4     # sll_pkttype of a frame this host sent


def tcp_fields(frame):
    """(flags, seq, ack, payload length) of an Ethernet/IPv4|6/TCP frame,
    or None for anything else."""
    etype = struct.unpack("!H", frame[12:14])[0]
    if etype == 0x0800 and len(frame) >= 34 and frame[23] == 6:
        ihl = (frame[14] & 15) * 4
        tot = struct.unpack("!H", frame[16:18])[0]
        t0, tlen = 14 + ihl, tot - ihl
    elif etype == 0x86DD and len(frame) >= 54 and frame[20] == 6:
        t0, tlen = 54, struct.unpack("!H", frame[18:20])[0]
    else:
        return None
    if len(frame) < t0 + 20:
        return None
    seq, ack, offflags = struct.unpack("!IIH", frame[t0 + 4:t0 + 14])
    return offflags & 0x1FF, seq, ack, tlen - (offflags >> 12) * 4


class Relay(threading.Thread):
    """Forwards Ethernet frames between the client's and the server's veth
    (through their peers in the relay namespace) with a userspace
    AF_PACKET loop, and shows tcpdump every TCP frame at the moment it
    passes a sensor next to the client: a copy is sent out of SENSOR_DEV.

    client <-> sensor: no delay.  sensor <-> server: DELAY each way, so
    the RTT seen at the sensor is 2 * DELAY.  Armed with fin_hold, the
    server's first FIN is held that long *after* the sensor (the client
    gets it late, so its ACK passes the sensor late); the client's first
    ACK of that FIN is forwarded, later ones are dropped after the sensor.
    Every frame's fate is logged in self.log (monotonic times).

    drop_rules (vantage-relay): [side, pred, count] entries; a TCP frame
    from SIDE for which pred(flags, seq, ack, payload length) holds is
    dropped on arrival, before the sensor and the delay, COUNT times;
    each drop is logged in self.dropped as (side, flags, seq, ack,
    payload length, monotonic time)."""

    def __init__(self, lab, delay):
        super().__init__(daemon=True)
        self.delay = delay
        self.fin_hold = None        # seconds; set before the server closes
        self.fin_end = None         # the held FIN's seq + 1
        self.acks_of_fin = 0
        self.log = []               # (dir, flags, seq, ack, t_in, t_out)
        self.heap = []
        self.n = 0
        self.stopping = False
        self.error = None
        self.drop_rules = []
        self.dropped = []
        self.socks = {}
        with lab.inside("relay"):
            for side in ("client", "server"):
                sk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                   socket.htons(0x0003))
                sk.bind((RELAY_DEVS[side], 0x0003))
                sk.setblocking(False)
                self.socks[side] = sk
            self.sensor = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
            self.sensor.bind((SENSOR_DEV, 0))

    def _at(self, when, sk, frame, entry=None):
        self.n += 1
        heapq.heappush(self.heap, (when, self.n, sk, frame, entry))

    def _frame_in(self, side, frame, now):
        f = tcp_fields(frame)
        out = self.socks["server" if side == "client" else "client"]
        if f is None:           # not TCP: straight through, not sensed
            self._at(now, out, frame)
            return
        flags, seq, ack, plen = f
        for rule in self.drop_rules:
            if rule[0] == side and rule[2] > 0 and rule[1](*f):
                rule[2] -= 1
                self.dropped.append((side,) + f + (now,))
                return      # lost between the two veths
        entry = ["c" if side == "client" else "s", flags, seq, ack, now, None]
        self.log.append(entry)
        if side == "client":
            self._at(now, self.sensor, frame)
            if self.fin_end is not None and flags & ACK and \
                    ack == self.fin_end and not flags & (FIN | SYN | RST):
                self.acks_of_fin += 1
                if self.acks_of_fin > 1:
                    return      # dropped after the sensor
            self._at(now + self.delay, out, frame, entry)
        else:
            hold = 0.0
            if flags & FIN and self.fin_hold is not None and \
                    self.fin_end is None:
                hold = self.fin_hold
                self.fin_end = seq_add(seq, plen + 1)
            self._at(now + self.delay, self.sensor, frame)
            self._at(now + self.delay + hold, out, frame, entry)

    def run(self):
        try:
            by_fd = {sk.fileno(): side for side, sk in self.socks.items()}
            while not self.stopping:
                now = time.monotonic()
                while self.heap and self.heap[0][0] <= now:
                    _, _, sk, frame, entry = heapq.heappop(self.heap)
                    sk.send(frame)
                    if entry is not None:
                        entry[5] = time.monotonic()
                wait = 0.05 if not self.heap else \
                    max(0.0, min(0.05, self.heap[0][0] - time.monotonic()))
                r, _, _ = select.select(list(self.socks.values()), [], [],
                                        wait)
                for sk in r:
                    while True:
                        try:
                            frame, addr = sk.recvfrom(65535)
                        except BlockingIOError:
                            break
                        if addr[2] == PACKET_OUTGOING:
                            continue
                        self._frame_in(by_fd[sk.fileno()], frame,
                                       time.monotonic())
        except Exception as e:      # reported by stop()
            self.error = e

    def stop(self):
        self.stopping = True
        if self.is_alive():
            self.join(2.0)
        for sk in list(self.socks.values()) + [self.sensor]:
            sk.close()
        self.socks = {}


def server_rto(t):
    """The server socket's current RTO in seconds, from ss -tnoi."""
    text = t.lab.ss("server", "-tnoi")
    lines = text.splitlines()
    local, peer = t.endpoints()["server"]
    for i, line in enumerate(lines):
        f = line.split()
        if len(f) >= 5 and f[3] == local and f[4] == peer:
            m = re.search(r"\brto:(\d+(?:\.\d+)?)", " ".join(lines[i:i + 2]))
            if m:
                return float(m.group(1)) / 1000
    raise Failed("no rto for the server socket in ss:\n" + text)


def body_fin_crosses(t):
    t.relay = Relay(t.lab, RELAY_DELAY)
    t.relay.start()
    c, s = t.connect()
    t.exchange()
    c.close()
    t.recv_eof(s)
    time.sleep(0.3)     # the ACK of the client's FIN goes out alone
    t.rto = server_rto(t)
    # the client gets the server's FIN (rto - delay) after the sensor saw
    # it; its ACK then passes the sensor `delay` before the server's RTO
    # fires and reaches the server `delay` after it: they cross in flight
    t.relay.fin_hold = t.rto - RELAY_DELAY
    s.close()
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}
    t.wait_trace(lambda sg: len(fins(sg, "s")) >= 2 and sg[-1].dir == "c",
                 timeout=3.0, what="the client's ACK of the re-sent FIN")
    if t.relay.error:
        raise Failed("relay failed: %s" % t.relay.error)


def verify_fin_crosses(t, segs, counters):
    close = from_first_fin(segs)
    want = [("c", "F.", 0), ("s", ".", 0), ("s", "F.", 0), ("c", ".", 0),
            ("s", "F.", 0), ("c", ".", 0)]
    if shape(close) != want:
        return ["close is %s, expected client FIN, server ACK, server FIN, "
                "client ACK, server FIN again, client ACK"
                % " ".join(d + ":" + f for d, f, _ in shape(close))]
    cfin, sack, sfin, ack1, sfin2, ack2 = close
    p = []
    if sack.ack != fin_end(cfin) or sfin.ack != fin_end(cfin):
        p.append("the server does not ack the client's FIN")
    if sfin2.seq != sfin.seq:
        p.append("the second server FIN is not a retransmission")
    if ack1.ack != fin_end(sfin) or ack2.ack != fin_end(sfin):
        p.append("the client's ACKs do not ack the server's FIN")
    rtt = segs[1].t - segs[0].t
    late, gap = ack1.t - sfin.t, sfin2.t - ack1.t
    if gap >= rtt:
        p.append("re-sent FIN %.1f ms after the ACK, not under the RTT "
                 "(%.1f ms)" % (gap * 1000, rtt * 1000))
    # from the relay's log: when the server sent the FIN again and when
    # the first ACK reached it
    log = t.relay.log
    fin_in = [e for e in log if e[0] == "s" and e[1] & FIN]
    ack_out = [e for e in log if e[0] == "c" and e[3] == fin_end(sfin)
               and not e[1] & FIN]
    if len(fin_in) != 2 or len(ack_out) != 2:
        return p + ["relay log holds %d server FINs and %d client ACKs of "
                    "it" % (len(fin_in), len(ack_out))]
    if ack_out[0][5] is None or ack_out[1][5] is not None:
        p.append("relay did not forward the first ACK and drop the second")
    elif not fin_in[1][4] < ack_out[0][5]:
        p.append("the server re-sent its FIN %.1f ms after the ACK reached "
                 "it: no crossing" % ((fin_in[1][4] - ack_out[0][5]) * 1000))
    if rsts(segs):
        p.append("unexpected RST")
    if p:
        return p
    t.notes.append(
        "a userspace relay (AF_PACKET, relay namespace) sits between the "
        "veths; the sensor is next to the client, the path sensor <-> "
        "server is %d ms each way (RTT at the sensor %.1f ms); the server's "
        "RTO was %d ms (ss), tcp_early_retrans=0 in the server namespace "
        "(no tail loss probe)" % (RELAY_DELAY * 1000, rtt * 1000,
                                  t.rto * 1000))
    t.notes.append(
        "client close(); the server acked the FIN and closed 0.3 s later; "
        "the relay held the server's FIN %.0f ms after the sensor, so the "
        "client's ACK passed the sensor %.1f ms after that FIN (late)"
        % (t.relay.fin_hold * 1000, late * 1000))
    t.notes.append(
        "the server's RTO fired while that ACK was in flight: its re-sent "
        "FIN passed the sensor %.1f ms after the ACK (less than the RTT); "
        "the ACK reached the server %.1f ms after the server re-sent the "
        "FIN: they crossed, nothing was lost; the server went LAST_ACK -> "
        "CLOSED on that ACK (ss)" % (gap * 1000,
                                     (ack_out[0][5] - fin_in[1][4]) * 1000))
    t.notes.append(
        "the TIME_WAIT client acked the re-sent FIN again; the relay dropped "
        "that ACK after the sensor (the closed server would answer it with "
        "an RST that kills the TIME_WAIT)")
    return p



# --------------------------------------------------------------------------
# connections lost on one side before the RST that ends them (session 16)

def wait_client_closed(t, timeout):
    deadline = time.monotonic() + timeout
    while t.states()["client"] != "CLOSED":
        if time.monotonic() > deadline:
            raise Failed("the client socket did not go away within %d s"
                         % timeout)
        time.sleep(0.05)


def orphan_gone(t):
    """The client closes while everything it sends is dropped at the
    server's input; tcp_orphan_retries=1: its FIN is sent ~4 times, then
    the orphan goes. The rule is removed; the server socket is returned."""
    c, s = t.connect()
    t.exchange()
    t.lab.nft_add("server", t.from_client() + " counter drop")
    c.close()
    wait_client_closed(t, 15)
    t.lab.nft_flush("server")
    time.sleep(0.1)
    t.expect = {"client": "CLOSED", "server": "CLOSED"}
    return s


def body_orphan_gives_up(t):
    orphan_gone(t).sendall(b"z" * 50)   # to a port with no socket: RST


def verify_orphan_gone(t, segs, counters, answer_fin):
    """The client's FIN sent 2+ times and never acked; the server's last
    segment (data, or its FIN when answer_fin) acks only up to that FIN;
    the client's only RST follows it, bare, at that ack (no socket)."""
    p = []
    cf = fins(segs, "c")
    if len(cf) < 2 or len(set(x.seq for x in cf)) != 1:
        return ["expected the client FIN re-sent (%d)" % len(cf)]
    fin_seq = cf[0].seq + cf[0].plen
    if any(x.dir == "s" and x.flags & ACK and
           not seq_lt(x.ack, fin_end(cf[0])) for x in segs):
        p.append("the server acked the client FIN")
    r = rsts(segs)
    if len(r) != 1 or r[0].dir != "c":
        return p + ["expected exactly one RST, from the client (%d)" % len(r)]
    i = segs.index(r[0])
    last = segs[i - 1]
    if last.dir != "s" or last.ack != fin_seq or \
            bool(last.flags & FIN) != answer_fin or \
            (not answer_fin and last.plen == 0):
        p.append("the segment before the RST is not the server's %s acking "
                 "the FIN's own seq" % ("FIN" if answer_fin else "data"))
    if r[0].flags != RST or r[0].seq != fin_seq:
        p.append("the RST is not a bare RST at the FIN's seq")
    if not p:
        t.notes.append("client FIN sent %d times, never acked; the orphan "
                       "gave up (ss: no client socket before the server's "
                       "%s); the server's %s acks the FIN's own seq, and a "
                       "bare RST at it answers" % (
                           len(cf), "FIN" if answer_fin else "data",
                           "FIN" if answer_fin else "data"))
    return p


def verify_orphan_gives_up(t, segs, counters):
    return verify_orphan_gone(t, segs, counters, False)


def body_orphan_gives_up_peer_fin(t):
    orphan_gone(t).close()   # its FIN, to a port with no socket: RST


def verify_orphan_gives_up_peer_fin(t, segs, counters):
    return verify_orphan_gone(t, segs, counters, True)


TCP_USER_TIMEOUT = 18           # linux/tcp.h


def body_user_timeout_abort(t):
    c, s = t.connect()
    t.exchange()
    c.setsockopt(socket.IPPROTO_TCP, TCP_USER_TIMEOUT, 700)
    t.lab.nft_add("server", t.from_client() + " counter drop")
    c.send(b"u" * 100)
    wait_client_closed(t, 6)    # re-sent until the user timeout aborts it
    try:
        c.recv(10)
        raise Failed("recv() on the aborted client returned")
    except OSError as e:
        if e.errno != errno.ETIMEDOUT:
            raise Failed("recv() on the aborted client: %s, not ETIMEDOUT"
                         % e)
    t.lab.nft_flush("server")
    s.sendall(b"v" * 40)        # to a port with no socket: RST
    t.expect = {"client": "CLOSED", "server": "CLOSED"}


def verify_user_timeout_abort(t, segs, counters):
    p = []
    if fins(segs, "c") or fins(segs, "s"):
        p.append("unexpected FIN")
    data = [x for x in segs if x.dir == "c" and x.plen == 100]
    if len(data) < 2 or len(set(x.seq for x in data)) != 1:
        return p + ["expected the client's 100 bytes re-sent (%d)"
                    % len(data)]
    r = rsts(segs)
    if len(r) != 1 or r[0].dir != "c":
        return p + ["expected exactly one RST, from the client (%d)" % len(r)]
    i = segs.index(r[0])
    last = segs[i - 1]
    if last.dir != "s" or last.plen == 0 or last.ack != data[0].seq:
        p.append("the segment before the RST is not the server's data "
                 "acking below the client's 100 bytes")
    if r[0].flags != RST or r[0].seq != data[0].seq:
        p.append("the RST is not a bare RST at the server's ack")
    if not p:
        t.notes.append("client 100 bytes sent %d times, never acked; "
                       "TCP_USER_TIMEOUT aborted it (recv: ETIMEDOUT; ss: "
                       "no client socket before the server's data); a bare "
                       "RST at the server's ack, 100 bytes below what the "
                       "client sent, answers that data" % len(data))
    return p


def body_fin_wait_2_timeout(t):
    c, s = t.connect()
    t.exchange()
    c.close()                   # an orphan in FIN_WAIT_2 (a timewait sock)
    t.recv_eof(s)
    wait_client_closed(t, 5)    # tcp_fin_timeout=1
    s.close()                   # its FIN, to a port with no socket: RST
    t.expect = {"client": "CLOSED", "server": "CLOSED"}


def verify_fin_wait_2_timeout(t, segs, counters):
    p = []
    cf, sf = fins(segs, "c"), fins(segs, "s")
    if len(cf) != 1 or len(sf) != 1:
        return ["expected one FIN each way (%d/%d)" % (len(cf), len(sf))]
    i = segs.index(sf[0])
    if not any(x.dir == "s" and x.flags == ACK and x.ack == fin_end(cf[0])
               for x in segs[segs.index(cf[0]):i]):
        p.append("the server did not ack the client FIN before its own")
    r = rsts(segs)
    if len(r) != 1 or r[0].dir != "c" or segs.index(r[0]) != i + 1:
        return p + ["expected one client RST, right after the server FIN"]
    if r[0].flags != RST or r[0].seq != sf[0].ack:
        p.append("the RST is not a bare RST at the server FIN's ack")
    if sf[0].t - cf[0].t < 1.0:
        p.append("the server FIN came before tcp_fin_timeout ran out")
    if not p:
        t.notes.append("client FIN acked (FIN_WAIT_2 orphan); ss: no client "
                       "socket after tcp_fin_timeout=1, before the server's "
                       "FIN %.1f s later; a bare RST at that FIN's ack"
                       % (sf[0].t - cf[0].t))
    return p


def body_closing_linger0(t):
    c, s = t.connect()
    t.exchange()
    for side, frm in (("server", t.from_client()),
                      ("client", t.from_server())):
        t.lab.nft_add(side, frm + " counter drop")
    c.shutdown(socket.SHUT_WR)
    s.shutdown(socket.SHUT_WR)  # the FINs cross, both dropped
    time.sleep(0.05)
    # let in the first re-sent FIN each way, nothing else
    for side, frm in (("server", t.from_client()),
                      ("client", t.from_server())):
        t.lab.nft_flush(side)
        t.lab.nft_add(side, frm + " tcp flags & fin == 0 counter drop")
        t.lab.nft_add(side, frm + " tcp flags & fin == fin "
                      "quota over 60 bytes counter drop")
    got = t.wait_states({"client": "CLOSING", "server": "CLOSING"}, 3.0)
    if got != {"client": "CLOSING", "server": "CLOSING"}:
        raise Failed("not both CLOSING: %s" % got)
    linger0(c)
    c.close()                   # from CLOSING: nothing sent (tcp_need_reset)
    wait_client_closed(t, 1)
    t.lab.nft_flush("client")
    t.lab.nft_flush("server")   # the server's next re-sent FIN: an RST
    t.expect = {"client": "CLOSED", "server": "CLOSED"}


def verify_closing_linger0(t, segs, counters):
    p = []
    cf, sf = fins(segs, "c"), fins(segs, "s")
    if len(cf) < 2 or len(sf) < 3:
        return ["expected re-sent FINs both ways (%d/%d)" % (len(cf),
                                                             len(sf))]
    if not (seq_lt(cf[0].ack, fin_end(sf[0])) and
            seq_lt(sf[0].ack, fin_end(cf[0]))):
        p.append("the first FINs do not cross")
    r = rsts(segs)
    if len(r) != 1 or r[0].dir != "c":
        return p + ["expected one RST, from the client (%d)" % len(r)]
    i = segs.index(r[0])
    if segs[i - 1] is not sf[-1] or r[0].flags != RST or \
            r[0].seq != sf[-1].ack or sf[-1].ack != fin_end(cf[0]):
        p.append("the RST is not a bare RST answering the server's last "
                 "re-sent FIN at its ack")
    if not p:
        t.notes.append("simultaneous close, both CLOSING (ss); client "
                       "SO_LINGER 0 close() from CLOSING sent nothing (ss: "
                       "no client socket); the server's re-sent FIN drew a "
                       "bare RST at its ack: no TIME_WAIT ever")
    return p


def body_both_linger0_rst_lost(t):
    c, s = t.connect()
    t.exchange()
    t.lab.nft_add("server", t.from_client() +
                  " tcp flags & rst == rst counter drop")
    linger0(c)
    c.close()                   # its RST dropped after the sensor
    time.sleep(0.05)
    got = t.states()
    if got["server"] != "ESTABLISHED":
        raise Failed("the server is %s after the lost RST" % got["server"])
    linger0(s)
    s.close()                   # its own RST, unprompted
    t.expect = {"client": "CLOSED", "server": "CLOSED"}


def verify_both_linger0_rst_lost(t, segs, counters):
    p = []
    r = rsts(segs)
    if len(r) != 2 or [x.dir for x in r] != ["c", "s"]:
        return ["expected an RST from the client, then one from the server"]
    if fins(segs, "c") or fins(segs, "s"):
        p.append("unexpected FIN")
    if not (r[0].flags & ACK and r[1].flags & ACK):
        p.append("the RSTs do not carry ACK (aborts of live sockets)")
    if segs.index(r[1]) != segs.index(r[0]) + 1:
        p.append("something between the two RSTs")
    if counters.get("server") != [1]:
        p.append("nft counters %s, expected the client's RST dropped"
                 % counters.get("server"))
    if not p:
        t.notes.append("client SO_LINGER 0 close: RST+ACK dropped after the "
                       "sensor (ss: server still ESTAB); %.0f ms later the "
                       "server's own SO_LINGER 0 close: RST+ACK"
                       % ((r[1].t - r[0].t) * 1000))
    return p


def body_linger0_fin_wait_1(t):
    c, s = t.connect()
    t.exchange()
    # the server's pure ACKs are dropped at the client's input
    t.lab.nft_add("client", t.from_server() +
                  " tcp flags & (fin|syn|rst) == 0 counter drop")
    c.shutdown(socket.SHUT_WR)
    t.recv_eof(s)
    # the FIN sent 3 times (each ACK dropped), then an abort
    deadline = time.monotonic() + 3
    while sum(t.lab.all_drops("client")) < 3:
        if time.monotonic() > deadline:
            raise Failed("fewer than 3 ACKs dropped")
        time.sleep(0.01)
    got = t.states()
    if got["client"] != "FIN_WAIT_1":
        raise Failed("the client is %s, not FIN_WAIT_1" % got["client"])
    linger0(c)
    c.close()                   # RST+ACK from FIN_WAIT_1
    t.after_snapshot.append(s.close)
    t.expect = {"client": "CLOSED", "server": "CLOSED"}


def verify_linger0_fin_wait_1(t, segs, counters):
    p = []
    cf = fins(segs, "c")
    if len(cf) != 3 or fins(segs, "s"):
        return ["expected the client FIN 3 times and no server FIN (%d)"
                % len(cf)]
    acks = [x for x in segs if x.dir == "s" and x.flags == ACK and
            x.ack == fin_end(cf[0])]
    if len(acks) < 3:
        p.append("expected each FIN acked (%d ACKs)" % len(acks))
    r = rsts(segs)
    if len(r) != 1 or r[0].dir != "c" or not r[0].flags & ACK or \
            r[0].seq != fin_end(cf[0]) or segs[-1] is not r[0]:
        p.append("expected one RST+ACK from the client at FIN + 1, last")
    if not p:
        t.notes.append("every ACK of the client's FIN (3 sent) dropped after "
                       "the sensor; ss: client FIN_WAIT_1 before its SO_LINGER "
                       "0 close(): RST+ACK at FIN + 1, from FIN_WAIT_1")
    return p


def body_connect_abandoned(t):
    t.own_handshake = True
    lst = t._sock("server")
    lst.bind((t.saddr, t.sport))
    lst.listen(4)
    t.lab.nft_add("client", t.from_server() + " counter drop")
    c = t._sock("client")
    c.bind((t.caddr, t.cport))
    c.setblocking(False)
    try:
        c.connect((t.saddr, t.sport))
    except BlockingIOError:
        pass
    time.sleep(1.5)             # SYN-ACKs dropped, the SYN re-sent
    c.close()                   # abandoned in SYN_SENT: nothing sent
    t.socks.remove(c)
    wait_client_closed(t, 1)
    t.lab.nft_flush("client")
    # the server's next SYN-ACK (~3 s after the first) meets no socket
    deadline = time.monotonic() + 4
    while "SYN-RECV" in t.lab.ss("server", "-tan"):
        if time.monotonic() > deadline:
            raise Failed("the server's request socket stayed")
        time.sleep(0.05)
    lst.close()
    t.expect = {"client": "CLOSED", "server": "CLOSED"}


def verify_connect_abandoned(t, segs, counters):
    p = []
    syns = [x for x in segs if x.dir == "c" and x.flags == SYN]
    synacks = [x for x in segs if x.dir == "s" and x.flags == SYN | ACK]
    if not syns or len(synacks) < 2 or segs[0] is not syns[0]:
        return ["expected the client's SYN first and SYN-ACKs re-sent "
                "(%d/%d)" % (len(syns), len(synacks))]
    isn = syns[0].seq
    r = rsts(segs)
    if len(r) != 1 or r[0].dir != "c" or r[0].flags != RST or \
            r[0].seq != seq_add(isn, 1) or segs[segs.index(r[0]) - 1] \
            is not synacks[-1] or segs[-1] is not r[0]:
        p.append("expected one bare RST from the client at ISN + 1, "
                 "answering the last SYN-ACK, last")
    if any(x.dir == "c" and x.flags & ACK for x in segs):
        p.append("the client acked something")
    if not p:
        t.notes.append("SYN-ACKs dropped at the client's input; the client "
                       "closed its SYN_SENT socket after 1.5 s (nothing "
                       "sent; ss: no client socket); the server's SYN-ACK "
                       "%d drew a bare RST at the client's ISN + 1"
                       % len(synacks))
    return p


# --------------------------------------------------------------------------
# a SYN from the same port meeting what is left of the old connection, a
# TIME_WAIT gone before the peer's FIN comes again, deferred accept
# (scenarios 36-41, IPv4; audit 18k)

def drop_acks_of_server_fin(t):
    """Drop at the server's input every pure ACK of the server's FIN (its
    ack number is the FIN's end: after the exchange, the end of the
    server's last segment + 1), not the client's FIN or anything else."""
    last_s = [x for x in t.segs_so_far() if x.dir == "s"][-1]
    t.lab.nft_add("server", t.from_client() + " tcp ackseq %d tcp flags & "
                  "(fin|syn|rst) == 0 counter drop"
                  % seq_add(last_s.seq, last_s.plen + 1))


def close_fin_acks_lost(t, fins_sent):
    """Client closes first; the ACKs of the server's FIN are dropped at
    the server's input (drop_acks_of_server_fin); the server closes 300 ms
    after reading EOF and re-sends its FIN from LAST_ACK.  Returns once the
    server has sent its FIN FINS_SENT times and the client (TIME_WAIT) has
    acked the last one; ss must show client TIME_WAIT, server LAST_ACK."""
    drop_acks_of_server_fin(t)
    t.c.close()
    t.recv_eof(t.s)
    time.sleep(0.3)     # the ACK of the client's FIN goes out alone
    t.s.close()
    t.wait_trace(lambda sg: len(fins(sg, "s")) >= fins_sent and
                 sg[-1].dir == "c", timeout=4.0,
                 what="the client's ACK of server FIN %d" % fins_sent)
    settle(t, {"client": "TIME_WAIT", "server": "LAST_ACK"},
           "after %d server FINs" % fins_sent)


def check_fin_acks_lost(p1, fins_sent, end=()):
    """P1: four-way start, client first, then the server's FIN sent
    FINS_SENT times in all, each acked by the client (the ACKs dropped
    after the sensor), then END (shapes)."""
    want = [("c", "F.", 0), ("s", ".", 0)] + \
        [("s", "F.", 0), ("c", ".", 0)] * fins_sent + list(end)
    close = from_first_fin(p1)
    if shape(close) != want:
        return ["close is %s, expected client FIN, server ACK, (server "
                "FIN, client ACK) x %d%s" % (
                    " ".join(d + ":" + f for d, f, _ in shape(close)),
                    fins_sent, " and more" if end else "")]
    cfin, sfin = close[0], close[2]
    p = []
    if close[1].ack != fin_end(cfin) or sfin.ack != fin_end(cfin):
        p.append("the server does not ack the client's FIN")
    if any(x.seq != sfin.seq for x in fins(close, "s")):
        p.append("server FINs differ")
    if any(x.ack != fin_end(sfin) or x.seq != fin_end(cfin)
           for x in close[3:3 + 2 * fins_sent:2]):
        p.append("the client's ACKs do not ack the server's FIN")
    return p


def rcv_window(seg, syn):
    """The receive window SEG advertises in bytes: its window field scaled
    by the window scale option of SYN, the same side's SYN or SYN-ACK."""
    def tcp_start(frame):
        etype = struct.unpack("!H", frame[12:14])[0]
        return 14 + (frame[14] & 15) * 4 if etype == 0x0800 else 54
    t0 = tcp_start(syn.raw)
    opts = syn.raw[t0 + 20:t0 + (syn.raw[t0 + 12] >> 4) * 4]
    shift, i = 0, 0
    while i < len(opts) and opts[i] != 0:
        if opts[i] == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        if opts[i] == 3:
            shift = opts[i + 2]
        i += opts[i + 1]
    t0 = tcp_start(seg.raw)
    return struct.unpack("!H", seg.raw[t0 + 14:t0 + 16])[0] << shift


def fin_resend_times(p1):
    sf = fins(p1, "s")
    return ", ".join("+%.2f" % (x.t - sf[0].t) for x in sf[1:])


def syn_retry_note(t, p2, answered_by):
    """Note on the RST and the SYN again (check_challenged_reconnect)."""
    syn, cack, rst, syn2 = p2[:4]
    gap = syn2.t - syn.t
    if gap > 0.5:
        return ["SYN re-sent only after %.3f s" % gap]
    t.notes.append(
        "the client (SYN_SENT) answered that ACK %.3f ms later with a bare "
        "RST (seq = its ack number), which ended the old server socket; it "
        "re-sent the same SYN (same ISN) %.3f s after the first, not after "
        "the 1 s initial RTO, and %s answered it with SYN-ACK"
        % ((rst.t - cack.t) * 1000, gap, answered_by))
    return []


# ---- 36 tw-reuse-last-ack -----------------------------------------------

def body_tw_reuse_last_ack(t):
    t.detail = True
    # connect() picks the client port: the range holds only cport
    t.lab.exec("client", ["sysctl", "-qw", "net.ipv4.ip_local_port_range="
                          "%d %d" % (t.cport, t.cport)])
    t.connect(bind=False)
    t.exchange()
    n0 = {side: t.nstat(side) for side in ("client", "server")}
    close_fin_acks_lost(t, 5)
    time.sleep(0.2)     # the next re-sent FIN is ~1.6 s away
    t.lab.nft_flush("server")
    t.reconnect(bind=False)     # takes over the client's TIME_WAIT
    n1 = {side: t.nstat(side) for side in ("client", "server")}
    established_after_reuse(t, "client")
    for side in ("client", "server"):
        t.notes.append("%s counters from the client's close() to the new "
                       "connection: %s" % (
                           side, t.fmt_delta(t.counter_delta(n0[side],
                                                             n1[side]))))
    t.exchange_small()
    close_client_first(t)
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_tw_reuse_last_ack(t, segs, counters):
    parts = incarnations(segs)
    if len(parts) != 2:
        return ["expected 2 incarnations, found %d" % len(parts)]
    p1, p2 = parts
    p = prefixed("first: ", check_handshake(p1) + check_fin_acks_lost(p1, 5))
    if counters.get("server") != [5]:
        p.append("server input dropped %s, expected the 5 ACKs of the "
                 "server's FIN" % counters.get("server"))
    if p:
        return p
    cfin, sfin = fins(p1, "c")[0], fins(p1, "s")[0]
    p = check_challenged_reconnect(p2, fin_end(sfin), fin_end(cfin))
    if p:
        return p
    d_isn, _ = note_reused_syn(t, p1, p2, "client")
    if d_isn != TW_ISN_STEP:
        return ["new ISN is old FIN end %+d, expected +%d" % (d_isn,
                                                              TW_ISN_STEP)]
    t.notes.append(
        "connect() without bind (net.ipv4.tcp_tw_reuse=1, "
        "ip_local_port_range = the one client port); client close() first; "
        "every ACK of the server's FIN was dropped at the server's input "
        "(nft, after the capture point; 5 dropped): the server (LAST_ACK) "
        "re-sent its FIN at %s s, the client acked the first (FIN_WAIT_2 "
        "-> TIME_WAIT) and re-acked each re-sent one from TIME_WAIT; ss: "
        "client TIME-WAIT, server LAST-ACK" % fin_resend_times(p1))
    t.notes.append(
        "%.3f s after the client's last ACK a second connect() without bind "
        "took over the client's TIME_WAIT (tcp_tw_reuse; the new ISN is "
        "the TIME_WAIT's snd_nxt + 65537); its SYN reached the server's "
        "LAST_ACK socket, which answered with a challenge ACK of the old "
        "connection (seq = its FIN + 1, ack = client FIN + 1)"
        % (p2[0].t - p1[-1].t))
    return syn_retry_note(t, p2, "the listener")


# ---- 37 tw-killed-fin-again ---------------------------------------------

def body_tw_killed_fin_again(t):
    t.connect()
    t.exchange()
    close_fin_acks_lost(t, 3)
    n0 = t.nstat("client")
    # the client's TIME_WAIT goes without a segment, as in a reboot
    t.lab.exec("client", ["ss", "-K", "state", "time-wait", "dport", "=",
                          ":%d" % t.sport])
    settle(t, {"client": "CLOSED", "server": "LAST_ACK"}, "after ss -K")
    t.lab.nft_flush("server")
    t.wait_trace(lambda sg: rsts(sg), timeout=3.0,
                 what="an RST answering the next re-sent FIN")
    t.inj_counters = t.counter_delta(n0, t.nstat("client"))
    t.expect = {"client": "CLOSED", "server": "CLOSED"}


def verify_tw_killed_fin_again(t, segs, counters):
    p = check_fin_acks_lost(segs, 3, [("s", "F.", 0), ("c", "R", 0)])
    if counters.get("server") != [3]:
        p.append("server input dropped %s, expected the 3 ACKs of the "
                 "server's FIN" % counters.get("server"))
    if p:
        return p
    sf = fins(segs, "s")
    rst = segs[-1]
    if rst.seq != sf[-1].ack:
        return ["the RST is not at the re-sent FIN's ack number"]
    t.notes.append(
        "client close() first; every ACK of the server's FIN was dropped at "
        "the server's input (nft, after the capture point; 3 dropped): the "
        "server (LAST_ACK) re-sent its FIN at %s s, the client acked the "
        "first (FIN_WAIT_2 -> TIME_WAIT) and re-acked each re-sent one "
        "from TIME_WAIT; ss: client TIME-WAIT, server LAST-ACK"
        % fin_resend_times(segs[:-2]))
    t.notes.append(
        "then ss -K in the client namespace removed the client's TIME_WAIT "
        "(standing for a reboot of the client host): nothing sent; ss: no "
        "client socket, server LAST-ACK; the rule was removed")
    t.notes.append(
        "the server's next re-sent FIN (+%.2f s) met no socket: a bare RST "
        "at its ack number (client FIN + 1) %.3f ms later, which closed the "
        "server (LAST_ACK -> CLOSED); client counters from ss -K to the "
        "RST: %s" % (sf[-1].t - sf[0].t, (rst.t - sf[-1].t) * 1000,
                     t.fmt_delta(t.inj_counters)))
    return p


# ---- 38 fw2-restart, 39 fw2-reboot --------------------------------------

def body_fw2_client_gone(t, silent):
    """Server closes first; the client, in CLOSE_WAIT, aborts with
    SO_LINGER {1,0}; its RST is dropped at the server's input, or with
    SILENT at the client's own output (never on the wire): the server's
    orphan FIN_WAIT_2 stays.  A new listener on the server port; the
    client connects again from the same port."""
    t.detail = True
    c, s = t.connect()
    t.exchange()
    s.close()
    t.recv_eof(c)
    t.wait_trace(lambda sg: fins(sg, "s") and sg[-1].dir == "c" and
                 sg[-1].ack == fin_end(fins(sg, "s")[0]), timeout=1.0,
                 what="the client's ACK of the server's FIN")
    settle(t, {"client": "CLOSE_WAIT", "server": "FIN_WAIT_2"},
           "server close()")
    time.sleep(0.05)
    side, hook = ("client", "output") if silent else ("server", "input")
    t.lab.nft_add(side, t.from_client() + " tcp flags & rst == rst "
                  "counter drop", hook=hook)
    linger0(c)
    c.close()
    deadline = time.monotonic() + 1.0
    while sum(t.lab.nft_drops(side, hook)) < 1:
        if time.monotonic() > deadline:
            raise Failed("the client's RST was not dropped")
        time.sleep(0.005)
    settle(t, {"client": "CLOSED", "server": "FIN_WAIT_2"}, "client abort")
    time.sleep(0.1)
    t.lab.nft_flush(side, hook)
    n0 = {x: t.nstat(x) for x in ("client", "server")}
    t.reconnect()       # SYN -> the FIN_WAIT_2's ACK -> RST -> SYN again
    n1 = {x: t.nstat(x) for x in ("client", "server")}
    established_after_reuse(t, "server", "FIN_WAIT_2")
    for x in ("client", "server"):
        t.notes.append("%s counters across the new connect: %s" % (
            x, t.fmt_delta(t.counter_delta(n0[x], n1[x]))))
    t.exchange_small()
    close_client_first(t)
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_fw2_client_gone(t, segs, counters, silent):
    parts = incarnations(segs)
    if len(parts) != 2:
        return ["expected 2 incarnations, found %d" % len(parts)]
    p1, p2 = parts
    end = [] if silent else [("c", "R.", 0)]
    close = from_first_fin(p1)
    if shape(close) != [("s", "F.", 0), ("c", ".", 0)] + end:
        return ["first incarnation ends %s, expected server FIN, client "
                "ACK%s" % (" ".join(d + ":" + f for d, f, _ in shape(close)),
                           "" if silent else ", client RST+ACK")]
    sfin = close[0]
    p = prefixed("first: ", check_handshake(p1))
    if close[1].ack != fin_end(sfin):
        p.append("the client's ACK does not ack the server's FIN")
    if not silent and (close[2].seq != sfin.ack or
                       close[2].ack != fin_end(sfin)):
        p.append("the RST+ACK is not at the client's snd_nxt")
    key = "client output" if silent else "server"
    if counters.get(key) != [1]:
        p.append("%s dropped %s, expected the client's RST"
                 % (key, counters.get(key)))
    p += check_challenged_reconnect(p2, fin_end(sfin), sfin.ack)
    if p:
        return p
    syn = p2[0]
    wnd = rcv_window(sfin, p1[1])
    if not 0 < seq_diff(syn.seq, sfin.ack) - wnd:
        return ["the new SYN is inside the server's receive window (%d)"
                % wnd]
    if silent:
        t.notes.append(
            "server close() first: FIN, acked by the client (CLOSE_WAIT); "
            "ss: server FIN-WAIT-2 (orphan), client CLOSE-WAIT; the client's "
            "SO_LINGER 0 close() sent an RST that was dropped at the "
            "client's own output (nft counter 1): nothing on the wire, as "
            "when the client host reboots; ss: no client socket, server "
            "still FIN-WAIT-2")
    else:
        t.notes.append(
            "server close() first: FIN, acked by the client (CLOSE_WAIT); "
            "ss: server FIN-WAIT-2 (orphan), client CLOSE-WAIT; the client's "
            "SO_LINGER 0 close(): RST+ACK (seq = its snd_nxt, ack = server "
            "FIN + 1), dropped at the server's input (nft, after the "
            "capture point; counter 1); ss: no client socket, server still "
            "FIN-WAIT-2")
    t.notes.append(
        "a new listener on the server port; %.3f s after the server's FIN "
        "(never re-sent: acked) the client connected again from the same "
        "port (bind, SO_REUSEADDR): the SYN (ISN = old client snd_nxt %+d, "
        "past the %d-byte receive window the server's FIN advertised) "
        "reached the server's FIN_WAIT_2 socket, which answered with a bare "
        "ACK of the old connection (seq = its FIN + 1, ack = the client's "
        "old snd_nxt)" % (syn.t - sfin.t, seq_diff(syn.seq, sfin.ack), wnd))
    return syn_retry_note(t, p2, "the new listener")


def body_fw2_restart(t):
    body_fw2_client_gone(t, False)


def verify_fw2_restart(t, segs, counters):
    return verify_fw2_client_gone(t, segs, counters, False)


def body_fw2_reboot(t):
    body_fw2_client_gone(t, True)


def verify_fw2_reboot(t, segs, counters):
    return verify_fw2_client_gone(t, segs, counters, True)


# ---- 40 close-wait-reconnect --------------------------------------------

def body_close_wait_reconnect(t):
    t.detail = True
    c, s = t.connect()
    t.exchange()
    c.close()           # an orphan in FIN_WAIT_2 (tcp_fin_timeout=1)
    t.recv_eof(s)       # the server never closes: CLOSE_WAIT
    t.wait_trace(lambda sg: fins(sg, "c") and sg[-1].dir == "s",
                 timeout=1.0, what="the server's ACK of the client's FIN")
    settle(t, {"client": "FIN_WAIT_2", "server": "CLOSE_WAIT"},
           "client close()")
    wait_client_closed(t, 5)
    time.sleep(0.4)
    settle(t, {"client": "CLOSED", "server": "CLOSE_WAIT"},
           "tcp_fin_timeout")
    n0 = {x: t.nstat(x) for x in ("client", "server")}
    t.reconnect()       # SYN -> challenge ACK -> RST -> SYN again
    n1 = {x: t.nstat(x) for x in ("client", "server")}
    established_after_reuse(t, "server", "CLOSE_WAIT")
    for x in ("client", "server"):
        t.notes.append("%s counters across the new connect: %s" % (
            x, t.fmt_delta(t.counter_delta(n0[x], n1[x]))))
    t.exchange_small()
    close_client_first(t)
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}


def verify_close_wait_reconnect(t, segs, counters):
    parts = incarnations(segs)
    if len(parts) != 2:
        return ["expected 2 incarnations, found %d" % len(parts)]
    p1, p2 = parts
    close = from_first_fin(p1)
    if shape(close) != [("c", "F.", 0), ("s", ".", 0)]:
        return ["first incarnation ends %s, expected client FIN, server ACK"
                % " ".join(d + ":" + f for d, f, _ in shape(close))]
    cfin = close[0]
    p = prefixed("first: ", check_handshake(p1))
    if close[1].ack != fin_end(cfin):
        p.append("the server's ACK does not ack the client's FIN")
    p += check_challenged_reconnect(p2, cfin.ack, fin_end(cfin))
    if p:
        return p
    syn = p2[0]
    if syn.t - cfin.t < 1.0:
        return ["the SYN came %.3f s after the client's FIN, before "
                "tcp_fin_timeout" % (syn.t - cfin.t)]
    t.notes.append(
        "client close() first: FIN, acked by the server, which read EOF and "
        "never called close() (CLOSE_WAIT); the client namespace has net.ipv4.tcp_fin_timeout=1: ss showed the "
        "client's orphan FIN-WAIT-2, then no client socket, the server "
        "still CLOSE-WAIT")
    t.notes.append(
        "%.3f s after its FIN the client connected again from the same "
        "port (bind, SO_REUSEADDR): the SYN (ISN = old client FIN end %+d) "
        "reached the server's CLOSE_WAIT socket, which answered with a "
        "challenge ACK of the old connection (seq = its snd_nxt, ack = "
        "client FIN + 1)" % (syn.t - cfin.t,
                             seq_diff(syn.seq, fin_end(cfin))))
    return syn_retry_note(t, p2, "the new listener")


# ---- 41 defer-accept ----------------------------------------------------

TCP_DEFER_ACCEPT = 9            # linux/tcp.h
DEFER_SECS = 3                  # request sockets wait this long for data
DEFER_A_DATA = 2.3              # A's request this long after the connects


def body_defer_accept(t):
    """Listener with TCP_DEFER_ACCEPT; A (cport + 1) and B (cport, the
    connection of the truth lines) connect and send nothing.  A's request
    comes within the defer period and is served; the listener is closed
    while B is still deferred; once B's request socket is gone B sends its
    request.  A's close comes last."""
    aport = t.cport + 1
    t.other_cports = (aport,)
    lst = t._sock("server")
    lst.setsockopt(socket.IPPROTO_TCP, TCP_DEFER_ACCEPT, DEFER_SECS)
    lst.bind((t.saddr, t.sport))
    lst.listen(8)
    n0 = t.nstat("server")
    a = t._sock("client")
    a.bind((t.caddr, aport))
    a.connect((t.saddr, t.sport))
    b = t._sock("client")
    b.bind((t.caddr, t.cport))
    b.connect((t.saddr, t.sport))
    t0 = time.monotonic()
    local = ep(t.saddr, t.sport)

    def server_states():
        text = t.lab.ss("server", "-tan")
        return tuple(ss_state(text, local, ep(t.caddr, p))
                     for p in (aport, t.cport))

    time.sleep(0.5)
    st = server_states()
    text = t.lab.ss("client", "-tan")
    cst = tuple(ss_state(text, ep(t.caddr, p), local)
                for p in (aport, t.cport))
    if st != ("SYN_RECEIVED", "SYN_RECEIVED") or \
            cst != ("ESTABLISHED", "ESTABLISHED"):
        raise Failed("before any data: server %s, clients %s" % (st, cst))
    time.sleep(max(0.0, t0 + DEFER_A_DATA - time.monotonic()))
    a.sendall(REQUEST)
    s, _ = lst.accept()
    t.socks.append(s)
    s.settimeout(SOCK_TIMEOUT)
    if t.recv_exact(s, len(REQUEST)) != REQUEST:
        raise Failed("request corrupted")
    s.sendall(RESPONSE)
    if t.recv_exact(a, len(RESPONSE)) != RESPONSE:
        raise Failed("response corrupted")
    st = server_states()
    if st != ("ESTABLISHED", "SYN_RECEIVED"):
        raise Failed("after A's request the server shows %s" % (st,))
    time.sleep(0.3)
    lst.close()
    t.socks.remove(lst)
    t.closed_at = time.monotonic() - t0
    t.after_close = server_states()[1]
    if t.closed_at > DEFER_SECS - 0.2:
        raise Failed("listener closed %.2f s after the connects, too close "
                     "to the end of the defer period" % t.closed_at)
    deadline = time.monotonic() + 2.0
    while server_states()[1] != "CLOSED":
        if time.monotonic() > deadline:
            raise Failed("B's request socket stayed")
        time.sleep(0.02)
    t.gone_at = time.monotonic() - t0
    time.sleep(0.3)
    b.sendall(REQUEST)      # no socket, no listener: RST
    try:
        b.recv(10)
        raise Failed("B's recv() returned")
    except ConnectionResetError:
        pass
    time.sleep(0.1)
    a.close()
    t.recv_eof(s)
    time.sleep(0.3)
    s.close()
    deadline = time.monotonic() + 2.0
    while True:
        text = {x: t.lab.ss(x, "-tan") for x in ("client", "server")}
        t.a_end = (ss_state(text["client"], ep(t.caddr, aport), local),
                   ss_state(text["server"], local, ep(t.caddr, aport)))
        if t.a_end == ("TIME_WAIT", "CLOSED") or \
                time.monotonic() > deadline:
            break
        time.sleep(0.02)
    if t.a_end != ("TIME_WAIT", "CLOSED"):
        raise Failed("A ended %s / %s" % t.a_end)
    n1 = t.nstat("server")
    t.inj_counters = {k: n1[k] - n0.get(k, 0) for k in ("TcpPassiveOpens",
                                                        "TcpOutRsts")}
    t.expect = {"client": "CLOSED", "server": "CLOSED"}


def verify_defer_accept(t, segs, counters):
    want = [("c", "S", 0), ("s", "S.", 0), ("c", ".", 0),
            ("c", "P.", len(REQUEST)), ("s", "R", 0)]
    if shape(segs) != want:
        return ["B is %s, expected SYN, SYN-ACK, ACK, request, RST"
                % " ".join(d + ":" + f for d, f, _ in shape(segs))]
    aport = t.other_cports[0]
    asegs = read_pcap(t.pcap, (t.caddr, aport), (t.saddr, t.sport),
                      also=[(t.caddr, t.cport)])
    p = prefixed("A: ", check_handshake(asegs) + check_four_way(asegs, "c"))
    if p:
        return p
    if shape(asegs[3:4]) != [("c", "P.", len(REQUEST))]:
        return ["A: the request does not follow the handshake"]
    data, rst = segs[3], segs[4]
    p = []
    if rst.seq != data.ack or data.ack != seq_add(segs[1].seq, 1):
        p.append("B's RST is not at its ack number (server ISN + 1)")
    if not asegs[0].t < segs[0].t < asegs[3].t < rst.t < \
            fins(asegs, "c")[0].t:
        p.append("not in the order: A's SYN, B's SYN, A's request, B's "
                 "RST, A's close")
    if t.inj_counters != {"TcpPassiveOpens": 1, "TcpOutRsts": 1}:
        p.append("server counters %s, expected TcpPassiveOpens +1, "
                 "TcpOutRsts +1" % t.inj_counters)
    if p:
        return p
    t.notes.append(
        "listener with TCP_DEFER_ACCEPT %d s; A (port %d) and B (port %d, "
        "the client/server lines) connected back to back: both handshakes complete on the "
        "wire and both clients ESTABLISHED, but ss in the server namespace "
        "showed both as SYN-RECV (request sockets: the bare ACK is ignored "
        "while the defer period runs); no SYN-ACK was sent again"
        % (DEFER_SECS, aport, t.cport))
    t.notes.append(
        "A sent its %d-byte request %.2f s after its handshake: the server "
        "created the socket (accept()) and answered %d bytes; ss: A "
        "ESTABLISHED, B still SYN-RECV" % (len(REQUEST), asegs[3].t -
                                            asegs[2].t, len(RESPONSE)))
    t.notes.append(
        "the listener was closed %.2f s after the connects, within B's "
        "defer period: ss right after it showed B %s; B's request socket "
        "went %.2f s after the connects (ss), and the server sent nothing "
        "to B" % (t.closed_at, t.after_close.replace("_RECEIVED", "-RECV"),
                  t.gone_at))
    t.notes.append(
        "B sent its %d-byte request %.2f s after its handshake: no socket "
        "and no listener on the server, which answered %.3f ms later with "
        "a bare RST at the request's ack number (server ISN + 1, no ACK "
        "bit); B's recv(): ECONNRESET" % (data.plen, data.t - segs[2].t,
                                          (rst.t - data.t) * 1000))
    t.notes.append(
        "server counters over the scenario: TcpPassiveOpens +1 (A only), "
        "TcpOutRsts +1; A then closed four-way, client first (ss at the "
        "end: A's client TIME-WAIT, no server socket)")
    return p


# ---- 42 vantage-relay (audit 18k2) ----------------------------------------
#
# Two vantage points: tcpdump on the client's veth and on the server's, the
# relay of fin-crosses-late-ack between them (no sensor used), frames lost
# in the relay: each capture holds what the other lacks.

VANTAGE_DELAY = 0.015   # one-way delay, client's veth <-> server's veth (s)
VANTAGES = {"vantage-relay", "vantage-router",  # NAME-c.pcap, NAME-s.pcap
            "vantage-last-ack"}
# a kernel router between (Lab._setup_router)
ROUTED = {"vantage-router", "vantage-last-ack"}
# (namespace, device (None: its veth), file suffix, label) of each capture
VANTAGE_POINTS_DEFAULT = (("client", None, "-c", "client's veth"),
                          ("server", None, "-s", "server's veth"))
VANTAGE_POINTS = {
    # both on the server's link: the router's end of it and the server's
    "vantage-last-ack": (("relay", RELAY_DEVS["server"], "-r",
                          "router's veth to the server"),
                         ("server", None, "-s", "server's veth")),
}
VANTAGE_DATA = 3000     # server bytes after the exchange (1448+1448+104)


def body_vantage_relay(t):
    t.relay = Relay(t.lab, VANTAGE_DELAY)
    t.relay.start()
    c, s = t.connect()
    t.exchange()
    # lost between the veths: the server's first full data segment, ...
    t.relay.drop_rules.append(
        ["server", lambda fl, sq, ak, pl: pl >= 1000, 1])
    s.sendall(b"d" * VANTAGE_DATA)
    t.recv_exact(c, VANTAGE_DATA)
    time.sleep(0.3)
    # ... the client's first FIN ...
    t.relay.drop_rules.append(["client", lambda fl, sq, ak, pl: fl & FIN, 1])
    c.close()
    t.recv_eof(s)       # the re-sent FIN got through
    _, cf = t.wait_trace(lambda sg: fins(sg, "c")[:1], what="client FIN")
    end = fin_end(cf[0])
    # ... and the client's first ACK of the server's FIN (its first pure
    # ACK after its own FIN)
    t.relay.drop_rules.append(
        ["client", lambda fl, sq, ak, pl: sq == end and pl == 0 and
         fl & (FIN | SYN | RST | ACK) == ACK, 1])
    time.sleep(0.1)
    s.close()
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}
    st = t.wait_states(t.expect, timeout=5.0)
    if st != t.expect:
        raise Failed("kernel state %s after the server's close" % st)
    if t.relay.error:
        raise Failed("relay failed: %s" % t.relay.error)
    # No ICMP echo dates a silence at the end (no Trial.linger): the last
    # ACK is the last frame of both captures, and on the client's veth it
    # looks like the lost one before it.  That it arrived shows only where
    # the two captures meet: its copy on the server's veth.


def body_vantage_router(t):
    """As body_vantage_relay, the kernel router forwarding (no delay) and
    its nft forward rules losing the same three frames."""
    c, s = t.connect()
    t.exchange()
    resp = [x for x in t.segs_so_far() if x.dir == "s"
            and x.plen == len(RESPONSE)]
    if len(resp) != 1:
        raise Failed("the response is not one segment")
    # quota: the first matching frame only (the next one is over it)
    t.lab.nft_add("relay", t.from_server() + " tcp sequence %d meta length "
                  "> 1000 quota until 1600 bytes counter drop"
                  % seq_add(resp[0].seq, resp[0].plen), hook="forward")
    s.sendall(b"d" * VANTAGE_DATA)
    t.recv_exact(c, VANTAGE_DATA)
    time.sleep(0.3)
    t.lab.nft_add("relay", t.from_client() + " tcp flags & fin == fin "
                  "quota until 80 bytes counter drop", hook="forward")
    c.close()
    t.recv_eof(s)
    _, cf = t.wait_trace(lambda sg: fins(sg, "c")[:1], what="client FIN")
    t.lab.nft_add("relay", t.from_client() + " tcp sequence %d tcp flags & "
                  "(fin|syn|rst|ack) == ack quota until 80 bytes counter "
                  "drop" % fin_end(cf[0]), hook="forward")
    time.sleep(0.1)
    s.close()
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}
    st = t.wait_states(t.expect, timeout=5.0)
    if st != t.expect:
        raise Failed("kernel state %s after the server's close" % st)


def tcp_part(x):
    """The TCP header and payload of a Seg's frame (what a router leaves
    as it was)."""
    raw = x.raw
    if struct.unpack("!H", raw[12:14])[0] == 0x0800:
        return raw[14 + (raw[14] & 15) * 4:]
    return raw[54:]


def hop_limit(x):
    """IPv4 TTL or IPv6 hop limit of a Seg's frame."""
    return x.raw[22] if struct.unpack("!H", x.raw[12:14])[0] == 0x0800 \
        else x.raw[21]


def verify_vantage_relay(t, segs, counters):
    sg = t.segs_s
    routed = t.sc.base in ROUTED
    p = prefixed("client's veth: ", check_orderly(segs, "c", "s",
                                                  retrans_ok=("c", "s")))
    p += prefixed("server's veth: ", check_orderly(sg, "c", "s",
                                                   retrans_ok=("c", "s")))
    if [(x.dir, flag_str(x.flags)) for x in sg[:3]] != \
            [("c", "S"), ("s", "S."), ("c", ".")]:
        p.append("server's veth: no clean handshake first")
    if p:
        return p
    # frames one capture holds and the other does not, byte for byte (a
    # router: their TCP segments)
    key = tcp_part if routed else (lambda x: x.raw)
    cc, sc = Counter(key(x) for x in segs), Counter(key(x) for x in sg)
    only_c = [x for x in segs if key(x) in cc - sc]
    only_s = [x for x in sg if key(x) in sc - cc]
    both = sum((cc & sc).values())
    lost = [(x.dir, x.flags, x.seq, x.ack, x.plen) for x in only_c + only_s]
    if routed:
        if counters.get("relay forward") != [1, 1, 1] or len(lost) != 3:
            return ["router's nft dropped %s, the captures differ by %s"
                    % (counters.get("relay forward"), lost)]
        hops = {(hop_limit(a), hop_limit(b)) for a in segs for b in sg
                if key(a) == key(b)}
        if hops != {(64, 63)} and hops != {(64, 63), (63, 64)}:
            return ["TTL / hop limit pairs (client's veth, server's) %s"
                    % sorted(hops)]
    else:
        drops = [(d[0][0], d[1], d[2], d[3], d[4]) for d in t.relay.dropped]
        if sorted(drops) != sorted(lost):
            return ["relay dropped %s, the captures differ by %s"
                    % (drops, lost)]
        if len(drops) != 3:
            return ["relay dropped %d frames, expected 3" % len(drops)]
    data, cfin, ack = only_s[0], only_c[0], only_c[-1]
    sfins_c, sfins_s = fins(segs, "s"), fins(sg, "s")
    cfins_c, cfins_s = fins(segs, "c"), fins(sg, "c")
    if not (data.dir == "s" and data.plen >= 1000 and cfin.flags & FIN
            and cfin.dir == "c" and ack.dir == "c"
            and ack.ack == fin_end(sfins_c[0])):
        return ["lost frames %s, expected the server's data, the client's "
                "FIN and its ACK of the server's FIN" % lost]
    if (len(cfins_c), len(cfins_s), len(sfins_c), len(sfins_s)) != \
            (2, 1, 2, 2):
        p.append("client FINs %d (client's veth) / %d (server's), server "
                 "FINs %d / %d; expected 2/1 and 2/2"
                 % (len(cfins_c), len(cfins_s), len(sfins_c), len(sfins_s)))

    def acks_of(sq, d):
        return [x for x in sq if x.dir == "c" and x.plen == 0
                and x.flags & (FIN | SYN | RST | ACK) == ACK
                and x.ack == fin_end(d[0])]
    acks_c, acks_s = acks_of(segs, sfins_c), acks_of(sg, sfins_s)
    if (len(acks_c), len(acks_s)) != (2, 1):
        p.append("client ACKs of the server's FIN: %d on the client's veth, "
                 "%d on the server's; expected 2 and 1"
                 % (len(acks_c), len(acks_s)))
    resent = [x for x in segs if x.dir == "s" and x.seq == data.seq
              and x.plen == data.plen]
    if len(resent) != 1 or key(resent[0]) == key(data):
        p.append("the lost data segment is not on the client's veth once, "
                 "re-sent")
    if p:
        return p
    rtt = segs[1].t - segs[0].t
    name = t.sc.name
    if routed:
        t.notes.append(
            "two captures of one connection: %s-c.pcap on the client's "
            "veth, %s-s.pcap on the server's; a router namespace (kernel "
            "forwarding, no added delay; its veth ends have the MACs of "
            "the far ends, so the Ethernet headers are those of a plain "
            "veth pair) between them: TTL / hop limit 64 where a frame was "
            "sent, 63 where it arrived (handshake RTT %.3f ms on the "
            "client's veth)" % (name, name, rtt * 1000))
        t.notes.append(
            "the router's nft forward rules dropped 3 frames (counters 1, "
            "1, 1): the server's first %d-byte data segment (only in -s; "
            "re-sent, the copy in both), the client's first FIN and the "
            "client's first ACK of the server's FIN (each only in -c); the "
            "other %d frames are in both captures, their TCP segments byte "
            "for byte (%d in -c, %d in -s)"
            % (data.plen, both, len(segs), len(sg)))
    else:
        t.notes.append(
            "two captures of one connection: %s-c.pcap on the client's "
            "veth, %s-s.pcap on the server's; a userspace relay (AF_PACKET, "
            "relay namespace) forwards the frames between them unchanged, "
            "%d ms each way (handshake RTT %.1f ms on the client's veth)"
            % (name, name, VANTAGE_DELAY * 1000, rtt * 1000))
        t.notes.append(
            "the relay dropped 3 frames between the veths: the server's "
            "first %d-byte data segment (only in -s; re-sent, the copy in "
            "both), the client's first FIN and the client's first ACK of "
            "the server's FIN (each only in -c); the other %d frames are in "
            "both captures, byte for byte (%d in -c, %d in -s)"
            % (data.plen, both, len(segs), len(sg)))
    t.notes.append(
        "client close(): its FIN re-sent %.1f ms after the lost one; the "
        "server acked it and closed %.0f ms later; the client's ACK of the "
        "server's FIN was lost, the server re-sent its FIN %.1f ms after "
        "the first, the TIME_WAIT client acked it again and that ACK "
        "arrived: server LAST_ACK -> CLOSED (ss); FIN retransmissions: "
        "client 1, server 1"
        % ((cfins_c[1].t - cfins_c[0].t) * 1000,
           (sfins_s[0].t - cfins_s[0].t) * 1000,
           (sfins_c[1].t - sfins_c[0].t) * 1000))
    if segs[-1].raw != acks_c[1].raw or sg[-1].raw != acks_s[0].raw or \
            key(acks_c[1]) != key(acks_s[0]):
        return ["the captures do not both end with the ACK that arrived"]
    t.notes.append(
        "both captures end with that ACK (nothing dates a silence after "
        "it); on the client's veth it looks like the lost one, only its "
        "copy on the server's veth shows that it arrived")
    return p


# ---- 47 vantage-last-ack (audit 19k F1) -----------------------------------
#
# Two captures on the server's link, both before the server's input hook:
# the router's end of the link and the server's own veth.  Every ACK of the
# server's FIN passes both and is then dropped, so seeing it twice proves
# nothing about its arrival.

VANTAGE_LAST_ACK_FINS = 4   # the server's FIN sent 4 times (3 re-sent)


def body_vantage_last_ack(t):
    """Client closes first; every ACK of the server's FIN is dropped at
    the server's input (drop_acks_of_server_fin), behind both capture
    points: the server stays in LAST_ACK, re-sending its FIN."""
    t.connect()
    t.exchange()
    close_fin_acks_lost(t, VANTAGE_LAST_ACK_FINS)
    t.expect = {"client": "TIME_WAIT", "server": "LAST_ACK"}


def verify_vantage_last_ack(t, segs, counters):
    sg = t.segs_s
    n = VANTAGE_LAST_ACK_FINS
    p = prefixed("router's veth: ", check_fin_acks_lost(segs, n))
    p += prefixed("server's veth: ", check_fin_acks_lost(sg, n))
    if [(x.dir, flag_str(x.flags)) for x in sg[:3]] != \
            [("c", "S"), ("s", "S."), ("c", ".")]:
        p.append("server's veth: no clean handshake first")
    if counters.get("server") != [n]:
        p.append("server input dropped %s, expected the %d ACKs of the "
                 "server's FIN" % (counters.get("server"), n))
    if p:
        return p
    # one link seen from its two ends: the same frames, byte for byte
    if [x.raw for x in segs] != [x.raw for x in sg]:
        return ["the two captures differ (%d and %d frames)"
                % (len(segs), len(sg))]
    hops = {(x.dir, hop_limit(x)) for x in segs}
    if hops != {("c", 63), ("s", 64)}:
        return ["TTLs (direction, TTL) %s, expected client 63 (routed), "
                "server 64" % sorted(hops)]
    lag = [b.t - a.t if a.dir == "c" else a.t - b.t
           for a, b in zip(segs, sg)]
    if min(lag) < 0:
        return ["a frame was captured at the server's veth before the "
                "router's end of the link in its direction of travel"]
    name = t.sc.name
    t.notes.append(
        "two captures of one connection, both on the server's link: "
        "%s-r.pcap on the router namespace's end of it (kernel forwarding, "
        "its veth end has the client's MAC), %s-s.pcap on the server's "
        "veth; the same %d frames in both, byte for byte (TTL 63 from the "
        "client, 64 from the server), %.0f-%.0f us apart"
        % (name, name, len(segs), min(lag) * 1e6, max(lag) * 1e6))
    t.notes.append(
        "client close() first; every ACK of the server's FIN was dropped "
        "at the server's input (nft, after both capture points; %d "
        "dropped): the server (LAST_ACK) re-sent its FIN at %s s, the "
        "client acked the first (FIN_WAIT_2 -> TIME_WAIT) and re-acked each "
        "re-sent one from TIME_WAIT; FIN retransmissions: client 0, server "
        "%d; ss: client TIME-WAIT, server LAST-ACK"
        % (counters["server"][0], fin_resend_times(segs), n - 1))
    t.notes.append(
        "both captures end with the client's ACK of the last FIN, dropped "
        "like the others: each ACK is in both files, and neither arrived")
    return p


# ---- 48 fin-lost-nots-v6 (audit 19k F2) ------------------------------------
#
# fin-lost over IPv6 without TCP timestamps: the re-sent FIN is the lost
# one byte for byte (no TSval, and IPv6 has no identification field), one
# capture point.  tests/pieces.sh cuts it with editcap.

V6_ONLY = {"fin-lost-nots"}     # EXTRA scenarios made over IPv6 only


def verify_fin_lost_nots(t, segs, counters):
    p = verify_fin_lost(t, segs, counters)
    if p:
        return p
    if any(x.tsval is not None for x in segs):
        return ["a segment carries TCP timestamps"]
    f1, f2 = fins(segs, "c")
    if f1.raw != f2.raw:
        return ["the re-sent FIN differs from the lost one"]
    t.notes.append(
        "net.ipv4.tcp_timestamps=0 in both namespaces: no segment carries "
        "TCP timestamps, so the client's re-sent FIN (%.1f ms after the "
        "first, which nft dropped at the server's input after the capture "
        "point, counter 1) is the same frame byte for byte; FIN "
        "retransmissions: client 1, server 0" % ((f2.t - f1.t) * 1000))
    return p


# ---- 44-46 nat-*: two hosts behind one public address and port ----------

NATTED = {"nat-time-wait-paws", "nat-time-wait-paws-norst",
          "nat-last-ack-paws"}
# The second host's TSval must be older than the first's last by more than
# any clock ticks in an MSL at 1 ms a tick (2 min): else its SYN could
# pass for an old duplicate of the first host's (finscope's reading too).
NAT_TS_GAP_MIN = 120 * 1000


def host_clock(t, side):
    """SIDE's TSval clock towards the server (TCP_TIMESTAMP of a connected
    socket: Linux's clock plus the offset it draws from the connection's
    addresses (6.x: and ports), the same for every connection on them),
    from a connection on the scenario's own 4-tuple made before the
    capture starts and reset at once from both ends."""
    lst = t._sock("server")
    lst.bind((t.saddr, t.sport))
    lst.listen(4)
    c = nat_socket(t, side)
    c.connect((t.saddr, t.sport))
    s, _ = lst.accept()
    t.socks.append(s)
    v = struct.unpack("I", c.getsockopt(socket.IPPROTO_TCP, TCP_TIMESTAMP,
                                        4))[0]
    for sk in (c, s):
        sk.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, SO_LINGER_ZERO)
        sk.close()
    lst.close()
    return v


def nat_prepare(t):
    """The router masquerades every TCP connection leaving on the server's
    link to its own address and the one port cport (a NAT with one public
    address whose port was free again), drops what conntrack finds
    invalid (else its own stack would answer the server's segments of a
    forgotten connection with RSTs), and forgets a closed connection
    after 1 s (NAT_CT_SHORT).  Host A (nat_order[0]) is the one whose
    TSval clock is ahead: host B's SYN then carries an older TSval."""
    ipk = "ip" if t.fam == 4 else "ip6"
    t.lab.exec("router", ["nft", "-f", "-"], input=(
        "table %s nat {\n"
        "  chain post { type nat hook postrouting priority 100; "
        "policy accept;\n"
        "    oifname \"%s\" meta l4proto tcp masquerade to :%d; }\n}\n"
        "table inet natfilter {\n"
        "  chain forward { type filter hook forward priority 0; "
        "policy accept; ct state invalid counter drop; }\n"
        "  chain input { type filter hook input priority 0; "
        "policy accept; ct state invalid counter drop; }\n}\n"
        % (ipk, NAT_DEVS["server"][1], t.cport)))
    t.lab.exec("router", ["sysctl", "-qw"] + NAT_CT_SHORT)
    clock = {}
    for side in ("client", "client2"):
        clock[side] = (host_clock(t, side), time.monotonic())
        # the probe's conntrack entry goes: the public port is free
        wait_ct_gone(t)
    (ca, ta), (cb, tb) = clock["client"], clock["client2"]
    ahead = seq_diff(ca, cb) + int(round((tb - ta) * 1000))
    t.nat_order = ("client", "client2") if ahead > 0 else \
        ("client2", "client")
    t.nat_host = t.nat_order[0]
    t.nat_clock_gap = abs(ahead)


def wait_ct_gone(t, timeout=4.0):
    """Wait until the router has no conntrack entry for the server port:
    the public port is free for the next host.  Returns the wait, s."""
    key = "dport=%d " % t.sport
    t0 = time.monotonic()
    while key in t.lab.conntrack():
        if time.monotonic() - t0 > timeout:
            raise Failed("the router kept its conntrack entry for %s" % key)
        time.sleep(0.02)
    return time.monotonic() - t0


def nat_socket(t, side):
    c = t._sock(side)
    c.bind((t.host_addr[side], t.cport))
    return c


def nat_connect(t, side):
    """SIDE connects from its own address and port cport; the server
    must see it as the public address and port cport."""
    lst = t._sock("server")
    lst.bind((t.saddr, t.sport))
    lst.listen(4)
    c = nat_socket(t, side)
    c.connect((t.saddr, t.sport))
    s, peer = lst.accept()
    t.socks.append(s)
    s.settimeout(SOCK_TIMEOUT)
    lst.close()
    if tuple(peer[:2]) != (t.caddr, t.cport):
        raise Failed("the router masqueraded %s to %s, not %s"
                     % (side, ep(*peer[:2]), ep(t.caddr, t.cport)))
    t.c, t.s = c, s
    return c, s


def nat_hosts_note(t):
    a, b = t.nat_order
    t.notes.append(
        "router: nftables masquerade to %s port %d of every TCP connection "
        "towards the server, conntrack time_wait/close timeouts 1 s, "
        "invalid dropped; host A = %s (%s), host B = %s (%s), each bound "
        "to port %d; A's TSval clock towards the server is %d ms ahead of "
        "B's (Linux draws a TS offset for each 4-tuple)"
        % (t.caddr, t.cport, a, t.host_addr[a], b, t.host_addr[b], t.cport,
           t.nat_clock_gap))


def nat_new_syn(t, p1, syn):
    """Checks and notes the new host's SYN against host A's numbers."""
    last_a = [x for x in p1 if x.dir == "c"][-1]
    if syn.tsval is None or last_a.tsval is None:
        return ["no timestamps"]
    d_ts = seq_diff(syn.tsval, last_a.tsval)
    if d_ts >= -NAT_TS_GAP_MIN:
        return ["host B's SYN TSval is %+d ms from host A's last: not older "
                "by %d" % (d_ts, NAT_TS_GAP_MIN)]
    t.notes.append(
        "host B's SYN (pub %s) %.3f s after host A's last segment: new ISN "
        "(A's FIN end %+d), TSval %d ms older than A's last (another "
        "clock): PAWS rejects it"
        % (ep(t.caddr, t.cport), syn.t - p1[-1].t,
           seq_diff(syn.seq, fin_end(fins(p1, "c")[0])), -d_ts))
    return []


def body_nat_tw_paws(t, drop_rst=False):
    t.detail = True
    a, b = t.nat_order
    ipk = "ip" if t.fam == 4 else "ip6"
    if drop_rst:
        # a firewall on the path drops host B's RSTs; B gives up sooner
        t.lab.nft_add("router", "%s saddr %s tcp flags & rst == rst counter "
                      "drop" % (ipk, t.host_addr[b]), hook="forward")
        t.lab.exec(b, ["sysctl", "-qw", "net.ipv4.tcp_syn_retries=2"])
    nat_connect(t, a)
    t.exchange()
    close_server_first(t)
    settle(t, {"client": "CLOSED", "server": "TIME_WAIT"}, "first close")
    t.ct_wait = wait_ct_gone(t)
    n0 = {side: t.nstat(side) for side in ("server", b)}
    if not drop_rst:
        t.nat_host = b
        nat_connect(t, b)
        n1 = {side: t.nstat(side) for side in ("server", b)}
        st = t.states()
        if st != {"client": "ESTABLISHED", "server": "ESTABLISHED"}:
            raise Failed("after host B's connect ss shows %s" % st)
        t.exchange_small()
        close_client_first(t)
        t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}
    else:
        c = nat_socket(t, b)
        c.settimeout(25)
        t0 = time.monotonic()
        try:
            c.connect((t.saddr, t.sport))
        except OSError as e:
            # (Python's own timeout is an OSError too, without errno)
            if e.errno is None:
                raise Failed("host B's connect() did not end in 25 s")
            t.nat_failed = (time.monotonic() - t0, e.errno)
        else:
            raise Failed("host B's connect() succeeded")
        n1 = {side: t.nstat(side) for side in ("server", b)}
        t.expect = {"client": "CLOSED", "server": "TIME_WAIT"}
    t.nat_deltas = {side: t.counter_delta(n0[side], n1[side])
                    for side in n0}


def verify_nat_tw_paws(t, segs, counters):
    parts = incarnations(segs)
    if len(parts) != 2:
        return ["expected 2 incarnations, found %d" % len(parts)]
    p1, p2 = parts
    p = prefixed("first: ", check_four_way(p1, "s"))
    if p:
        return p
    cfin, sfin = fins(p1, "c")[0], fins(p1, "s")[0]
    p = check_challenged_reconnect(p2, fin_end(sfin), fin_end(cfin))
    p += nat_new_syn(t, p1, p2[0])
    paws = t.nat_deltas["server"].get("TcpExtPAWSTimewait", 0)
    if paws != 1:
        p.append("server PAWSTimewait %+d, expected +1" % paws)
    if p:
        return p
    syn, cack, rst, syn2 = p2[:4]
    a, b = t.nat_order
    nat_hosts_note(t)
    t.notes.append(
        "host A connected, the server closed first (server TIME_WAIT on "
        "the public 4-tuple, A CLOSED); the router forgot the connection "
        "%.2f s after A's last ACK; then host B connected: the router gave "
        "it the same public port" % t.ct_wait)
    t.notes.append(
        "the server's TIME_WAIT answered B's SYN with an ACK of the old "
        "connection (seq = its FIN + 1, ack = A's FIN + 1), not SYN-ACK; "
        "B (SYN_SENT) answered it %.3f ms later with a bare RST (seq = its "
        "ack number), which ended the TIME_WAIT; B re-sent the same SYN "
        "(same ISN) %.3f s after the first and the listener answered it"
        % ((rst.t - cack.t) * 1000, syn2.t - syn.t))
    for side in ("server", b):
        t.notes.append("%s counters across B's connect: %s" % (
            "server" if side == "server" else "host B",
            t.fmt_delta(t.nat_deltas[side])))
    t.notes.append("then B closed first: B TIME_WAIT, server CLOSED (ss)")
    return p


def body_nat_tw_paws_norst(t):
    body_nat_tw_paws(t, drop_rst=True)


def verify_nat_tw_paws_norst(t, segs, counters):
    parts = incarnations(segs)
    if len(parts) != 2:
        return ["expected 2 incarnations, found %d" % len(parts)]
    p1, p2 = parts
    p = prefixed("first: ", check_four_way(p1, "s"))
    if p:
        return p
    cfin, sfin = fins(p1, "c")[0], fins(p1, "s")[0]
    syns = [x for x in p2 if x.dir == "c"]
    acks = [x for x in p2 if x.dir == "s"]
    if any(x.flags != SYN or x.seq != p2[0].seq for x in syns):
        p.append("host B sent something other than its SYN again")
    if any(x.flags != ACK or x.plen or x.seq != fin_end(sfin) or
           x.ack != fin_end(cfin) for x in acks):
        p.append("the server answered otherwise than with the old ACK")
    if len(syns) < 3 or not acks:
        p.append("%d SYNs, %d ACKs" % (len(syns), len(acks)))
    if any(seq_diff(y.tsval, x.tsval) <= 0 for x, y in zip(syns, syns[1:])):
        p.append("the SYNs' TSvals do not advance")
    p += nat_new_syn(t, p1, p2[0])
    fails = getattr(t, "nat_failed", None)
    if fails is None or fails[1] != errno.ETIMEDOUT:
        p.append("host B's connect() ended with %s" % (fails,))
    drops = counters.get("router forward")
    if not drops or drops[0] < 1:
        p.append("the router dropped no RST of host B (%s)" % drops)
    paws = t.nat_deltas["server"].get("TcpExtPAWSTimewait", 0)
    if paws < 1:
        p.append("server PAWSTimewait %+d" % paws)
    if p:
        return p
    a, b = t.nat_order
    nat_hosts_note(t)
    t.notes.append(
        "host A connected, the server closed first (server TIME_WAIT on "
        "the public 4-tuple, A CLOSED); the router forgot the connection "
        "%.2f s after A's last ACK; then host B (net.ipv4.tcp_syn_retries"
        "=2) connected: the router gave it the same public port, and "
        "dropped every RST host B sent (nft forward: %d)"
        % (t.ct_wait, drops[0]))
    t.notes.append(
        "B sent its SYN %d times, one ISN, the TSval advancing (%s s after "
        "the first); the server's TIME_WAIT answered %d of them with an "
        "ACK of the old connection (seq = its FIN + 1, ack = A's FIN + 1), "
        "none with SYN-ACK; B's connect() failed with ETIMEDOUT %.2f s "
        "after it began"
        % (len(syns), ", ".join("+%.3f" % (x.t - syns[0].t)
                                for x in syns[1:]), len(acks),
           fails[0]))
    for side in ("server", b):
        t.notes.append("%s counters across B's connect: %s" % (
            "server" if side == "server" else "host B",
            t.fmt_delta(t.nat_deltas[side])))
    t.notes.append("ss at the end: the server still TIME-WAIT, host A's "
                   "socket CLOSED, host B none")
    return p


def body_nat_last_ack_paws(t):
    t.detail = True
    a, b = t.nat_order
    nat_connect(t, a)
    t.exchange()
    close_fin_acks_lost(t, 5)
    t.ct_wait = wait_ct_gone(t)
    t.lab.nft_flush("server")
    n0 = {side: t.nstat(side) for side in ("server", b)}
    t.nat_host = b
    nat_connect(t, b)       # SYN, challenge ACK, RST, SYN again, SYN-ACK
    n1 = {side: t.nstat(side) for side in ("server", b)}
    st = t.states()
    if st != {"client": "ESTABLISHED", "server": "ESTABLISHED"}:
        raise Failed("after host B's connect ss shows %s" % st)
    t.nat_deltas = {side: t.counter_delta(n0[side], n1[side])
                    for side in n0}
    t.exchange_small()
    close_client_first(t)
    t.expect = {"client": "TIME_WAIT", "server": "CLOSED"}
    t.a_state = ss_state(t.lab.ss(a, "-tan"), ep(t.host_addr[a], t.cport),
                         ep(t.saddr, t.sport))


def verify_nat_last_ack_paws(t, segs, counters):
    parts = incarnations(segs)
    if len(parts) != 2:
        return ["expected 2 incarnations, found %d" % len(parts)]
    p1, p2 = parts
    p = prefixed("first: ", check_handshake(p1) + check_fin_acks_lost(p1, 5))
    if counters.get("server") != [5]:
        p.append("server input dropped %s, expected the 5 ACKs of the "
                 "server's FIN" % counters.get("server"))
    if p:
        return p
    cfin, sfin = fins(p1, "c")[0], fins(p1, "s")[0]
    p = check_challenged_reconnect(p2, fin_end(sfin), fin_end(cfin))
    p += nat_new_syn(t, p1, p2[0])
    if t.nat_deltas["server"].get("TcpExtTCPSYNChallenge", 0) != 1:
        p.append("server TCPSYNChallenge %+d, expected +1"
                 % t.nat_deltas["server"].get("TcpExtTCPSYNChallenge", 0))
    if t.a_state != "TIME_WAIT":
        p.append("host A's socket %s at the end, expected TIME_WAIT"
                 % t.a_state)
    if p:
        return p
    syn, cack, rst, syn2 = p2[:4]
    a, b = t.nat_order
    nat_hosts_note(t)
    t.notes.append(
        "host A closed first; every ACK of the server's FIN was dropped at "
        "the server's input (nft, after the capture point; 5 dropped): the "
        "server (LAST_ACK) re-sent its FIN at %s s, A acked the first "
        "(TIME_WAIT) and re-acked each re-sent one; the router forgot the "
        "connection %.2f s after A's last ACK" % (fin_resend_times(p1),
                                                  t.ct_wait))
    t.notes.append(
        "host B connected: the router gave it the same public port; the "
        "server's LAST_ACK answered its SYN with a challenge ACK of the old "
        "connection (seq = its FIN + 1, ack = A's FIN + 1); B (SYN_SENT) "
        "answered it %.3f ms later with a bare RST (seq = its ack number), "
        "which ended the LAST_ACK; B re-sent the same SYN %.3f s after the "
        "first and the listener answered it"
        % ((rst.t - cack.t) * 1000, syn2.t - syn.t))
    for side in ("server", b):
        t.notes.append("%s counters across B's connect: %s" % (
            "server" if side == "server" else "host B",
            t.fmt_delta(t.nat_deltas[side])))
    t.notes.append("then B closed first: B TIME_WAIT, server CLOSED (ss); "
                   "host A's socket still TIME-WAIT at the end (ss: %s)"
                   % t.a_state)
    return p


SYSCTLS = {
    "rst-answers-fin-retransmit": {
        "client": ["net.ipv4.tcp_max_tw_buckets=0"]},
    # the explicit bind() takes over the client's own TIME_WAIT without
    # tcp_tw_reuse: prove it by switching it off
    "reuse-client-time-wait": {"client": ["net.ipv4.tcp_tw_reuse=0"]},
    "syn-to-last-ack": {"client": ["net.ipv4.tcp_tw_reuse=0"]},
    "old-dup-after-reuse": {"client": ["net.ipv4.tcp_tw_reuse=0"]},
    # no tail loss probe: it would re-send the FIN ~10 ms after it, while
    # the client's RST still waits in the token bucket
    "data-after-close": {"server": ["net.ipv4.tcp_early_retrans=0"]},
    # the FIN is re-sent exactly at the RTO read from ss
    "fin-crosses-late-ack": {"server": ["net.ipv4.tcp_early_retrans=0"]},
    # the orphan gives up after a few re-sent FINs (~2 s), not 8 minutes
    "orphan-gives-up": {"client": ["net.ipv4.tcp_orphan_retries=1"]},
    "orphan-gives-up-peer-fin": {"client": ["net.ipv4.tcp_orphan_retries=1"]},
    # the FIN_WAIT_2 orphan goes after 1 s, not 60
    "fin-wait-2-timeout": {"client": ["net.ipv4.tcp_fin_timeout=1"]},
    # connect() without bind() takes over a TIME_WAIT only with
    # tcp_tw_reuse (the body makes cport the only ephemeral port)
    "tw-reuse-last-ack": {"client": ["net.ipv4.tcp_tw_reuse=1"]},
    "close-wait-reconnect": {"client": ["net.ipv4.tcp_fin_timeout=1"]},
    # no TCP timestamps: a re-sent segment is the first one byte for byte
    "fin-lost-nots": {"client": ["net.ipv4.tcp_timestamps=0"],
                      "server": ["net.ipv4.tcp_timestamps=0"]},
}


CORE = [
    ("client-close-first", 1,
     "client closes first, server reads EOF and closes 300 ms later: "
     "four-way close, client TIME_WAIT, server CLOSED",
     body_client_close_first, verify_client_close_first, 3),
    ("server-close-first", 2,
     "server closes first, client reads EOF and closes 300 ms later: "
     "four-way close, server TIME_WAIT, client CLOSED",
     body_server_close_first, verify_server_close_first, 3),
    ("three-way-close", 3,
     "client closes, server closes as soon as recv() returns 0: "
     "FIN, FIN+ACK, ACK; client TIME_WAIT, server CLOSED",
     body_three_way, verify_three_way, 6),
    ("half-close", 4,
     "client shutdown(SHUT_WR); server sends 3 x 2000 bytes after the "
     "client's FIN, then closes: client TIME_WAIT, server CLOSED",
     body_half_close, verify_half_close, 3),
    ("rst-linger0", 5,
     "client SO_LINGER {1,0} then close(): one RST, no FIN, no TIME_WAIT",
     body_rst_linger0, verify_rst_linger0, 3),
    ("vantage-router", 43,
     "captured on the client's veth and on the server's, a kernel router "
     "between them whose nft forward rules lose the server's first data "
     "segment, the client's first FIN and its first ACK of the server's "
     "FIN: each FIN sent twice; client TIME_WAIT, server CLOSED",
     body_vantage_router, verify_vantage_relay, 3),
]

EXTRA = [
    ("final-ack-lost", 6,
     "client closes first; the client's ACKs are dropped at the server's "
     "input for 1.5 s: the server re-sends its FIN from LAST_ACK, the "
     "TIME_WAIT client re-acks each; client TIME_WAIT, server CLOSED",
     body_final_ack_lost, verify_final_ack_lost, 3),
    ("fin-lost", 7,
     "the client's first FIN is dropped at the server's input (nft quota): "
     "the client retransmits it; client TIME_WAIT, server CLOSED",
     body_fin_lost, verify_fin_lost, 3),
    ("simultaneous-close", 8,
     "both shutdown(SHUT_WR) back to back while FINs are dropped on both "
     "inputs for 100 ms: the FINs cross; both TIME_WAIT",
     body_simultaneous, verify_simultaneous, 10),
    ("stuck-fin-wait-2-close-wait", 9,
     "client closes, server reads EOF but never closes: client FIN_WAIT_2, "
     "server CLOSE_WAIT at capture end",
     body_stuck, verify_stuck, 3),
    ("last-ack-hanging", 10,
     "client closes first, server closes; everything from the client is "
     "dropped at the server's input: server still LAST_ACK at capture end, "
     "client TIME_WAIT",
     body_last_ack_hanging, verify_last_ack_hanging, 3),
    ("rst-answers-fin-retransmit", 11,
     "client namespace has tcp_max_tw_buckets=0 and its final ACK is "
     "dropped: no TIME_WAIT, the client answers the retransmitted FIN with "
     "RST; both CLOSED",
     body_rst_answers, verify_rst_answers, 3),
    ("reuse-client-time-wait", 12,
     "client closes first (TIME_WAIT), then binds the same port again "
     "(SO_REUSEADDR, tcp_tw_reuse=0) and reconnects: the server answers the "
     "new SYN with SYN-ACK; second incarnation closed client first",
     body_reuse_client_tw, verify_reuse_client_tw, 3),
    ("reuse-server-time-wait", 13,
     "server closes first (TIME_WAIT); the client reconnects from the same "
     "port: the TIME_WAIT accepts the SYN (ISN and TSval advance, RFC 6191) "
     "with SYN-ACK; second incarnation closed client first",
     body_reuse_server_tw, verify_reuse_server_tw, 3),
    ("reuse-time-wait-rejected", 14,
     "server closes first (TIME_WAIT); an injected SYN on the same 4-tuple "
     "with an older ISN and TSval gets an ACK of the old connection, not "
     "SYN-ACK; server stays TIME_WAIT",
     body_reuse_tw_rejected, verify_reuse_tw_rejected, 3),
    ("syn-to-last-ack", 15,
     "client closes first, its final ACK is dropped (server LAST_ACK); the "
     "client reconnects from the same port: challenge ACK, client RST, SYN "
     "again (after ~10 ms, not 1 s), SYN-ACK",
     body_syn_to_last_ack, verify_syn_to_last_ack, 5),
    ("old-dup-time-wait", 16,
     "client closes first (TIME_WAIT); an injected copy of the server's old "
     "data segment is answered by the TIME_WAIT with an ACK",
     body_old_dup_tw, verify_old_dup_tw, 3),
    ("old-dup-after-reuse", 17,
     "client TIME_WAIT taken over by a new incarnation; copies of the first "
     "incarnation's server data segment (old seq, then in-window seq, both "
     "old TSval) are answered with duplicate ACKs (PAWS)",
     body_old_dup_after_reuse, verify_old_dup_after_reuse, 3),
    ("rst-in-window", 18,
     "an injected RST+ACK with seq in the client's receive window but not "
     "RCV.NXT: challenge ACK, the connection stays; then a graceful close",
     body_rst_in_window, verify_rst_in_window, 3),
    ("rst-out-of-window", 19,
     "an injected RST+ACK with seq 2^30 past the client's RCV.NXT: dropped "
     "silently; then a graceful close",
     body_rst_out_of_window, verify_rst_out_of_window, 3),
    ("rst-ack-iss-syn-sent", 20,
     "first SYN-ACK dropped at the client; an injected RST+ACK with ack = "
     "the client's ISS is ignored in SYN_SENT; the SYN is re-sent and the "
     "handshake completes; graceful close",
     body_rst_ack_iss, verify_rst_ack_iss, 3),
    ("old-rst-time-wait", 21,
     "client TIME_WAIT; an injected RST with seq = the server's old ISN + 1 "
     "(out of window) is ignored; TIME_WAIT stays",
     body_old_rst_tw, verify_old_rst_tw, 3),
    ("syn-replay-time-wait", 22,
     "server TIME_WAIT; the client's original SYN replayed (same ISN, old "
     "TSval) gets an ACK of the old connection; TIME_WAIT stays",
     body_syn_replay_tw, verify_syn_replay_tw, 3),
    ("data-after-close", 23,
     "client close(); the server sends 31 bytes and its FIN < 1 ms apart: "
     "the client answers with two RSTs, never in TIME_WAIT; both CLOSED",
     body_data_after_close, verify_data_after_close, 5),
    ("peer-vanishes", 24,
     "client FIN acked; then everything from the server is dropped at the "
     "client's input: server FIN re-sent, never acked; client FIN_WAIT_2, "
     "server LAST_ACK",
     body_peer_vanishes, verify_peer_vanishes, 3),
    ("ack-lost-then-peer-fin", 25,
     "the server's ACKs of the client's FIN are dropped at the client: FIN "
     "sent 3 times; then the server's FIN (acking it) gets through; client "
     "TIME_WAIT, server CLOSED",
     body_ack_lost_peer_fin, verify_ack_lost_peer_fin, 3),
    ("simultaneous-acks-lost", 26,
     "simultaneous close whose ACKs are dropped after the sensor until each "
     "side sent its FIN 3 times; both TIME_WAIT",
     body_simultaneous_acks_lost, verify_simultaneous_acks_lost, 10),
    ("fin-crosses-late-ack", 27,
     "relay with a sensor next to the client, 80 ms to the server: the "
     "client's final ACK passes the sensor late and crosses the server's "
     "re-sent FIN in flight; client TIME_WAIT, server CLOSED",
     body_fin_crosses, verify_fin_crosses, 3),
    ("orphan-gives-up", 28,
     "client close() while everything it sends is dropped at the server's "
     "input; tcp_orphan_retries=1: the FIN is re-sent, then the socket "
     "goes; the server, still ESTABLISHED, sends data: a bare RST from "
     "the port; both CLOSED",
     body_orphan_gives_up, verify_orphan_gives_up, 3),
    ("orphan-gives-up-peer-fin", 29,
     "as orphan-gives-up, but the server close()s: its FIN (acking up to "
     "the lost client FIN) draws the bare RST; both CLOSED, no "
     "simultaneous close",
     body_orphan_gives_up_peer_fin, verify_orphan_gives_up_peer_fin, 3),
    ("user-timeout-abort", 30,
     "client TCP_USER_TIMEOUT 700 ms, its 100 bytes dropped at the "
     "server's input until the timeout aborts it; the server's data then "
     "draws a bare RST 100 bytes below what the client sent; both CLOSED",
     body_user_timeout_abort, verify_user_timeout_abort, 3),
    ("fin-wait-2-timeout", 31,
     "client close(), its FIN acked; tcp_fin_timeout=1: the FIN_WAIT_2 "
     "orphan goes; the server's FIN then draws a bare RST from the port, "
     "not the ACK of a FIN_WAIT_2; both CLOSED",
     body_fin_wait_2_timeout, verify_fin_wait_2_timeout, 3),
    ("closing-linger0", 32,
     "simultaneous close, everything else dropped until both are CLOSING; "
     "the client's SO_LINGER 0 close() there sends nothing; the server's "
     "re-sent FIN draws a bare RST, where a TIME_WAIT would have acked it; "
     "both CLOSED",
     body_closing_linger0, verify_closing_linger0, 5),
    ("both-linger0-rst-lost", 33,
     "both ends close with SO_LINGER 0, the client first; its RST is "
     "dropped at the server's input, so the server, still ESTABLISHED, "
     "aborts on its own 50 ms later; both CLOSED",
     body_both_linger0_rst_lost, verify_both_linger0_rst_lost, 3),
    ("linger0-fin-wait-1", 34,
     "the server's pure ACKs dropped at the client's input: the client's "
     "FIN is sent 3 times, each ACK captured and lost; in FIN_WAIT_1 (ss) "
     "the client closes with SO_LINGER 0: RST+ACK at FIN + 1; both CLOSED",
     body_linger0_fin_wait_1, verify_linger0_fin_wait_1, 3),
    ("connect-abandoned", 35,
     "SYN-ACKs dropped at the client's input; the client closes its "
     "SYN_SENT socket after 1.5 s (as a browser abandons the slower of two "
     "connects), which sends nothing; the server's next SYN-ACK draws a "
     "bare RST at the client's ISN + 1; both CLOSED",
     body_connect_abandoned, verify_connect_abandoned, 3),
    ("tw-reuse-last-ack", 36,
     "client closes first, every ACK of the server's FIN is dropped: the "
     "server re-sends it 4 times, the TIME_WAIT client re-acks each; then "
     "connect() without bind (tcp_tw_reuse=1) takes over the TIME_WAIT: "
     "challenge ACK from LAST_ACK, client RST, SYN again, SYN-ACK",
     body_tw_reuse_last_ack, verify_tw_reuse_last_ack, 3),
    ("tw-killed-fin-again", 37,
     "client closes first, every ACK of the server's FIN is dropped: the "
     "TIME_WAIT client re-acks 2 re-sent FINs; ss -K then removes the "
     "TIME_WAIT (a reboot): the next re-sent FIN draws a bare RST; both "
     "CLOSED",
     body_tw_killed_fin_again, verify_tw_killed_fin_again, 3),
    ("fw2-restart", 38,
     "server closes first (FIN_WAIT_2); the client's SO_LINGER 0 RST is "
     "dropped at the server's input; the client reconnects from the same "
     "port: the FIN_WAIT_2 answers the SYN with an old ACK, client RST, "
     "SYN again, SYN-ACK from a new listener",
     body_fw2_restart, verify_fw2_restart, 3),
    ("fw2-reboot", 39,
     "as fw2-restart, but the client's RST is dropped at its own output: "
     "it never reaches the wire (the client vanished silently)",
     body_fw2_reboot, verify_fw2_reboot, 3),
    ("close-wait-reconnect", 40,
     "client close(), the server never closes (CLOSE_WAIT); the client's "
     "FIN_WAIT_2 orphan expires (tcp_fin_timeout=1); it reconnects from "
     "the same port: challenge ACK from CLOSE_WAIT, client RST, SYN again, "
     "SYN-ACK",
     body_close_wait_reconnect, verify_close_wait_reconnect, 3),
    ("defer-accept", 41,
     "listener with TCP_DEFER_ACCEPT 3 s, two clients send nothing (server "
     "SYN-RECV); A's data is served; the listener is closed while B is "
     "deferred; B's data then draws a bare RST; B CLOSED / CLOSED",
     body_defer_accept, verify_defer_accept, 3),
    ("vantage-relay", 42,
     "captured on the client's veth and on the server's, 15 ms apart "
     "through a relay that loses the server's first data segment, the "
     "client's first FIN and its first ACK of the server's FIN: each FIN "
     "sent twice; client TIME_WAIT, server CLOSED",
     body_vantage_relay, verify_vantage_relay, 3),
    ("nat-time-wait-paws", 44,
     "two hosts behind a router masquerading both to one public address "
     "and port: the server closes host A's connection first (TIME_WAIT); "
     "host B, whose TSval clock is behind A's, connects: PAWS refuses its "
     "SYN (the old ACK), B's RST ends the TIME_WAIT, its SYN again is "
     "accepted",
     body_nat_tw_paws, verify_nat_tw_paws, 3),
    ("nat-time-wait-paws-norst", 45,
     "as nat-time-wait-paws, but the router drops host B's RSTs: every "
     "SYN of B's is refused by the TIME_WAIT (the old ACK) until its "
     "connect() times out; server TIME_WAIT",
     body_nat_tw_paws_norst, verify_nat_tw_paws_norst, 2),
    ("nat-last-ack-paws", 46,
     "two hosts behind one public address and port: host A closes first, "
     "the ACKs of the server's FIN are dropped (LAST_ACK, FIN re-sent 4 "
     "times); host B, its TSval clock behind A's, connects: challenge ACK "
     "from LAST_ACK, B's RST, SYN again, SYN-ACK",
     body_nat_last_ack_paws, verify_nat_last_ack_paws, 3),
    ("vantage-last-ack", 47,
     "captured on the router's veth to the server and on the server's "
     "veth, both before the server's input, where every ACK of the "
     "server's FIN is dropped: client TIME_WAIT, server LAST_ACK, its "
     "FIN sent 4 times, each ACK in both captures",
     body_vantage_last_ack, verify_vantage_last_ack, 3),
    ("fin-lost-nots", 48,
     "fin-lost over IPv6 without TCP timestamps (both namespaces): the "
     "client's re-sent FIN is the lost one byte for byte; client "
     "TIME_WAIT, server CLOSED",
     body_fin_lost, verify_fin_lost_nots, 3),
    ("fin-ack-unseen-dsack", 49,
     "the server's first ACK of the client's FIN is dropped at its output "
     "(never on the wire): the client re-sends the FIN and the server "
     "answers the copy with a D-SACK of it; client TIME_WAIT, server "
     "CLOSED",
     body_fin_ack_unseen_dsack, verify_fin_ack_unseen_dsack, 3),
]


def all_scenarios():
    out = []
    for base, n, desc, body, verify, attempts in CORE:
        for fam in (4, 6):
            out.append(Scenario(base, n, fam, "-v%d" % fam, desc, body, verify,
                                attempts))
    for base, n, desc, body, verify, attempts in EXTRA:
        if base in V6_ONLY:
            out.append(Scenario(base, n, 6, "-v6", desc, body, verify,
                                attempts))
            continue
        out.append(Scenario(base, n, 4, "", desc, body, verify, attempts))
        # the nat-* TIME_WAIT one over IPv6 too (NAT66: masquerade)
        if base == "nat-time-wait-paws":
            out.append(Scenario(base, n, 6, "-v6", desc, body, verify,
                                attempts))
    return out


# --------------------------------------------------------------------------
# main

def _term(signum, frame):
    raise SystemExit(128 + signum)


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "..", "samples"))
    ap = argparse.ArgumentParser(
        description="Make real TCP close traces with the Linux kernel "
                    "(network namespaces + veth + tcpdump + nftables).")
    ap.add_argument("--out", default=default_out,
                    help="output directory (default: %(default)s)")
    ap.add_argument("--list", action="store_true",
                    help="list the scenarios and exit")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print each verified trace")
    ap.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                    help="scenario names (a core name without -v4/-v6 "
                         "selects both); default: all")
    args = ap.parse_args()

    scenarios = all_scenarios()
    if args.list:
        for sc in scenarios:
            print("%-30s %s" % (sc.name, sc.desc))
        return 0
    if args.scenarios:
        chosen = []
        for name in args.scenarios:
            hit = [sc for sc in scenarios if name in (sc.name, sc.base)]
            if not hit:
                log("mktraces: unknown scenario %r (see --list)" % name)
                return 2
            chosen += [sc for sc in hit if sc not in chosen]
        scenarios = chosen

    if os.geteuid() != 0:
        log("mktraces: must run as root (network namespaces, tcpdump, nft)")
        return 2
    missing = [tool for tool in ("ip", "ss", "tcpdump", "nft", "sysctl",
                                 "nstat")
               if shutil.which(tool) is None]
    if missing:
        log("mktraces: missing tools: %s (see scripts/kernel-traces/"
            "packages.txt)" % ", ".join(missing))
        return 2
    if not hasattr(_libc, "setns"):
        log("mktraces: libc has no setns()")
        return 2
    os.makedirs(args.out, exist_ok=True)

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _term)
    signal.signal(signal.SIGHUP, _term)
    lab = Lab(os.getpid())
    if not lab.have_ethtool:
        log("mktraces: ethtool not found; veth offloads stay on")
    start = time.monotonic()
    failed = []
    try:
        for sc in scenarios:
            t0 = time.monotonic()
            for attempt in range(1, sc.attempts + 1):
                try:
                    res = run_attempt(lab, sc, args.out)
                except Failed as e:
                    log("%s: attempt %d/%d not verified: %s"
                        % (sc.name, attempt, sc.attempts, e))
                    continue
                base = os.path.join(args.out, sc.name)
                for tmp, suffix in res["pcaps"]:
                    os.replace(tmp, base + suffix + ".pcap")
                    os.chmod(base + suffix + ".pcap", 0o644)
                write_atomic(base + ".ss", res["ss"])
                write_atomic(base + ".truth", res["truth"])
                truth = res["truth"].strip().split("\n")[2:]
                notes = [x for x in truth if x.startswith("note ")]
                if len(notes) > 1 and not args.verbose:    # long ones
                    truth = [x for x in truth if x not in notes] + [
                        "%d notes" % len(notes)]
                log("%-30s ok  %4.1fs%s  %s" % (
                    sc.name, time.monotonic() - t0,
                    "" if attempt == 1 else " (attempt %d)" % attempt,
                    " | ".join(truth)))
                if args.verbose:
                    log(res["trace"])
                break
            else:
                failed.append(sc.name)
                log("%s: FAILED, could not be verified in %d attempts; "
                    "no files written" % (sc.name, sc.attempts))
    except KeyboardInterrupt:
        log("mktraces: interrupted")
        return 130
    finally:
        lab.teardown()
    log("mktraces: %d of %d scenarios verified in %.1f s, output in %s"
        % (len(scenarios) - len(failed), len(scenarios),
           time.monotonic() - start, args.out))
    if failed:
        log("mktraces: FAILED: " + " ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
