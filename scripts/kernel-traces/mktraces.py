#!/usr/bin/env python3
"""Generate real TCP close-handshake traces from the Linux kernel.

Every scenario runs in two fresh network namespaces (client, server) joined by a
veth pair.  One process drives both ends: each socket is opened inside its
namespace (setns(2) through ctypes, then socket()), after which connect, accept,
send, recv, shutdown and close happen in an exact order.  tcpdump captures on
the server's veth end.  Loss is made with nftables rules on a namespace's input
hook (after the capture point, so dropped segments are still in the trace).

Right after the close has settled, `ss -tanoi` is recorded in both namespaces;
the kernel's state for the connection's two sockets is the truth.  A scenario
only produces files when both the trace and the kernel state show what the
scenario is meant to show; otherwise it is retried and finally reported as a
failure (exit status 1).

Outputs per scenario (in --out, default: <repo>/samples):
  NAME.pcap   the capture (pcap, Ethernet link type)
  NAME.ss     raw `ss -tanoi` output of the client and server namespaces
  NAME.truth  scenario NAME / family 4|6 / client ADDR:PORT STATE /
              server ADDR:PORT STATE / [note three-way]

Needs root, iproute2 (ip, ss), tcpdump, nftables, procps (sysctl); ethtool
is optional (without it veth offloads stay on).
Python 3 standard library only.
"""

import argparse
import ctypes
import ctypes.util
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
import time
from collections import namedtuple
from contextlib import contextmanager

# --------------------------------------------------------------------------
# constants

CLONE_NEWNET = 0x40000000
SOCK_TIMEOUT = 5.0          # every blocking socket operation
CMD_TIMEOUT = 10.0          # every helper command
ATTEMPT_TIMEOUT = 30.0      # watchdog for one attempt of one scenario
SETTLE = 0.2                # kernel settle time before the ss snapshot

CLIENT_DEV, SERVER_DEV = "veth-c", "veth-s"
CLIENT_MAC, SERVER_MAC = "02:00:00:77:00:01", "02:00:00:77:00:02"
ADDRS = {
    4: ("10.77.0.1", "10.77.0.2", 24),
    6: ("fd77::1", "fd77::2", 64),
}

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
        self.ns = {"client": "fs-c-%d" % pid, "server": "fs-s-%d" % pid}
        self.dev = {"client": CLIENT_DEV, "server": SERVER_DEV}
        self.root_fd = os.open("/proc/self/ns/net", os.O_RDONLY)
        self.have_ethtool = shutil.which("ethtool") is not None
        self.up = False
        self.nft_tables = set()
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

    def setup(self):
        self.teardown()
        self.up = True
        for side in ("client", "server"):
            run(["ip", "netns", "add", self.ns[side]])
            # no DAD: set before the veth exists so link-local addresses too
            self.exec(side, ["sysctl", "-qw",
                             "net.ipv6.conf.all.accept_dad=0",
                             "net.ipv6.conf.default.accept_dad=0",
                             "net.ipv6.conf.default.router_solicitations=0"])
        c, s = self.ns["client"], self.ns["server"]
        run(["ip", "-n", c, "link", "add", CLIENT_DEV, "address", CLIENT_MAC,
             "type", "veth", "peer", "name", SERVER_DEV, "address", SERVER_MAC,
             "netns", s])
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

    def teardown(self):
        if not self.up:
            return
        for side in ("client", "server"):
            if os.path.exists("/run/netns/" + self.ns[side]):
                run(["ip", "netns", "del", self.ns[side]], check=False)
        self.up = False
        self.nft_tables.clear()
        self.flushed_drops.clear()

    # ---- nftables ------------------------------------------------------

    def nft_add(self, side, rule):
        """Add a rule to the input chain of table inet fs in SIDE."""
        if side not in self.nft_tables:
            self.exec(side, ["nft", "-f", "-"], input=(
                "table inet fs {\n"
                "  chain input { type filter hook input priority 0; "
                "policy accept; }\n}\n"))
            self.nft_tables.add(side)
        self.exec(side, ["nft", "add rule inet fs input " + rule])

    def nft_flush(self, side):
        """Remove the rules of SIDE, keeping their counters."""
        counts = self.nft_drops(side)
        self.exec(side, ["nft", "flush chain inet fs input"])
        self.flushed_drops.setdefault(side, []).extend(counts)

    def all_drops(self, side):
        """Counters of all rules ever added in SIDE (removed ones first)."""
        return self.flushed_drops.get(side, []) + self.nft_drops(side)

    def nft_drops(self, side):
        """Packets counted by the rules of the input chain (list per rule)."""
        p = self.exec(side, ["nft", "-j", "list", "chain", "inet", "fs",
                             "input"])
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
    def __init__(self, lab, side, path):
        self.path = path
        cmd = ["ip", "netns", "exec", lab.ns[side], "tcpdump", "-i",
               lab.dev[side], "-U", "--immediate-mode", "-w", path, "-s", "0",
               "-Z", "root", "tcp or icmp or icmp6"]
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

Seg = namedtuple("Seg", "t dir seq ack flags plen")


def read_pcap(path, cend, send):
    """Segments of the connection cend<->send; dir is 'c' or 's' (sender)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
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
    off, segs, foreign = 24, [], 0
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(e + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = sec + frac / (1e9 if nsec else 1e6)
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
        else:
            foreign += 1
            continue
        segs.append(Seg(t, d, seq, ack, flags, tcplen - doff))
    if foreign:
        raise Failed("trace holds %d segments of other connections" % foreign)
    return segs


def seq_lt(a, b):
    return ((a - b) & 0xFFFFFFFF) >= 0x80000000


def seq_add(a, n):
    return (a + n) & 0xFFFFFFFF


def flag_str(f):
    s = "".join(c for bit, c in ((SYN, "S"), (FIN, "F"), (RST, "R"), (PSH, "P"))
                if f & bit)
    return s + ("." if f & ACK else "")


def fmt_trace(segs):
    """Compact human-readable trace with relative sequence numbers."""
    if not segs:
        return "  (empty)"
    isn = {}
    for s in segs:
        if s.flags & SYN:
            isn.setdefault(s.dir, s.seq)
    t0 = segs[0].t
    out = []
    for s in segs:
        other = "s" if s.dir == "c" else "c"
        rs = (s.seq - isn.get(s.dir, s.seq)) & 0xFFFFFFFF
        ra = (s.ack - isn.get(other, s.ack)) & 0xFFFFFFFF
        out.append("  %8.3f %s> [%s] seq %d ack %d len %d" % (
            s.t - t0, "client " if s.dir == "c" else "server ",
            flag_str(s.flags), rs, ra if s.flags & ACK else 0, s.plen))
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

    # ---- sockets -----------------------------------------------------

    def _sock(self, side):
        with self.lab.inside(side):
            sk = socket.socket(self.af, socket.SOCK_STREAM)
        self.socks.append(sk)
        sk.settimeout(SOCK_TIMEOUT)
        sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sk.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sk

    def connect(self):
        lst = self._sock("server")
        lst.bind((self.saddr, self.sport))
        lst.listen(4)
        c = self._sock("client")
        c.bind((self.caddr, self.cport))
        c.connect((self.saddr, self.sport))
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
        for sk in self.socks:
            try:
                sk.close()
            except OSError:
                pass
        self.socks = []

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
                     ("client", "server")}
        eps = self.endpoints()
        return {side: ss_state(texts[side], *eps[side]) for side in eps}

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
    t = Trial(lab, sc)
    cap = None
    done = False
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, ATTEMPT_TIMEOUT)
    try:
        lab.setup()
        if sc.base == "rst-answers-fin-retransmit":
            lab.exec("client", ["sysctl", "-qw",
                                "net.ipv4.tcp_max_tw_buckets=0"])
        cap = Capture(lab, "server", tmp_pcap)
        try:
            sc.body(t)
        except (socket.timeout, OSError) as e:
            raise Failed("socket operation failed: %s" % e)
        got = t.wait_states(t.expect)
        time.sleep(SETTLE)
        snap = {side: lab.ss(side) for side in ("client", "server")}
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
        tcpdump_err = cap.stop()
        if cap.early_exit:
            raise Failed("tcpdump exited during the capture: %s"
                         % tcpdump_err.strip())
        for fn in t.after_snapshot:
            fn()
        signal.setitimer(signal.ITIMER_REAL, 0)
        truth = t.states(snap)
        m = re.search(r"(\d+) packets? dropped by kernel", tcpdump_err)
        if m and int(m.group(1)):
            raise Failed("tcpdump dropped %s packets" % m.group(1))
        eps = t.endpoints()
        segs = read_pcap(tmp_pcap, (t.caddr, t.cport), (t.saddr, t.sport))
        problems = []
        if truth != t.expect:
            problems.append("kernel state %s, expected %s" % (truth, t.expect))
        if len(segs) < 3 or [flag_str(s.flags) for s in segs[:3]] != \
                ["S", "S.", "."] or [s.dir for s in segs[:3]] != ["c", "s", "c"]:
            problems.append("trace does not start with a clean handshake")
        else:
            problems += sc.verify(t, segs, counters)
        if problems:
            raise Failed("; ".join(problems) + "\ntrace:\n" + fmt_trace(segs))
        lines = ["scenario " + sc.name, "family %d" % sc.family,
                 "client %s %s" % (eps["client"][0], truth["client"]),
                 "server %s %s" % (eps["server"][0], truth["server"])]
        lines += ["note " + n for n in t.notes]
        ss_text = "".join(
            "# %s namespace (%s): ss -tanoi\n%s" % (
                side, ADDRS[sc.family][0 if side == "client" else 1],
                snap[side] if snap[side].endswith("\n") or not snap[side]
                else snap[side] + "\n")
            for side in ("client", "server"))
        done = True
        return {"pcap_tmp": tmp_pcap, "truth": "\n".join(lines) + "\n",
                "ss": ss_text, "trace": fmt_trace(segs)}
    except Watchdog:
        raise Failed("attempt took longer than %d s" % ATTEMPT_TIMEOUT)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if not done and os.path.exists(tmp_pcap):
            os.unlink(tmp_pcap)
        old = signal.pthread_sigmask(signal.SIG_BLOCK,
                                     {signal.SIGINT, signal.SIGTERM})
        try:
            if cap is not None:
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
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
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
]


def all_scenarios():
    out = []
    for base, n, desc, body, verify, attempts in CORE:
        for fam in (4, 6):
            out.append(Scenario(base, n, fam, "-v%d" % fam, desc, body, verify,
                                attempts))
    for base, n, desc, body, verify, attempts in EXTRA:
        out.append(Scenario(base, n, 4, "", desc, body, verify, attempts))
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
    missing = [tool for tool in ("ip", "ss", "tcpdump", "nft", "sysctl")
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
                os.replace(res["pcap_tmp"], base + ".pcap")
                os.chmod(base + ".pcap", 0o644)
                write_atomic(base + ".ss", res["ss"])
                write_atomic(base + ".truth", res["truth"])
                truth = res["truth"].strip().split("\n")[2:]
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
