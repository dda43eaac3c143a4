#!/usr/bin/env python3
"""finscope tests: pcapng variants of a classic pcap file.

Usage: mkpcapng.py IN.pcap OUTDIR
       mkpcapng.py --other-snaps IN.pcap OUT.pcapng

Writes OUTDIR/<stem>-<variant>.pcapng for each variant below, with the
packets of IN.pcap (its link type, snapshot and time stamps). The
variants cover what the mapped pcapng reader (src/1-engine/mapped-pcapng.c)
reads itself and what it leaves to libpcap, so that tests/mapped.sh can
compare both paths on each:
  le-us        little-endian, default resolution (us), EPBs
  be-ns        big-endian, if_tsresol 9 (ns), comments on packets
  sections     three sections, two interfaces each (packets alternate),
               with NRB, ISB, DSB and custom blocks between packets
  bin          if_tsresol 2^-20 and an if_tsoffset (the first second)
  ms           if_tsresol 3 (ms); ps: if_tsresol 12 (scaled down)
  spb          Simple Packet Blocks (no time stamps), snaplen 96
  pb           an obsolete Packet Block half-way (left to libpcap)
  bad-iface    a packet on an interface never described, half-way
  other-link   a second interface of another link type, half-way
  other-order  a second section in the other byte order
  over-snap    an interface with snaplen 64 and longer packets
  len-mismatch a block whose trailer disagrees with its header, half-way
With --other-snaps, one file of two interfaces whose snapshots differ
(libpcap 1.10 refuses it; the mapped reader reads it).

       mkpcapng.py --two-links ETH.pcap OTHER.pcap KIND OUT.pcapng

Interfaces of other link types (libpcap 1.10 refuses them; the mapped
reader reads them), the packets of two Ethernet captures:
  raw          interface 0 Ethernet (ETH's packets), interface 1 raw IP
               (LINKTYPE_RAW 101: OTHER's without their Ethernet header)
  nflog        the same, interface 1 NFLOG (OTHER's packets in NFLOG TLVs)
  section2     ETH's packets in a first section, OTHER's as raw IP in a
               second one whose interface 0 has snaplen 40 (shorter than
               them: no reader takes them as they are)
  be-sll       big-endian, interface 0 Linux cooked (ETH's packets in
               its header, which libpcap rewrites in a byte-swapped file:
               not read in place), interface 1 Ethernet (OTHER's)
"""
import os
import struct
import sys


def read_pcap(path, strict=False):
    """(link type, snapshot, [(time in ns, length on the wire, data)]) of
    a classic pcap file; a record cut short ends it, or with STRICT is
    an error, as is a file that is not classic pcap
    (tests/why-extract.py)."""
    d = open(path, 'rb').read()
    magic = struct.unpack('<I', d[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        e = '<'
    else:
        e = '>'
        magic = struct.unpack('>I', d[:4])[0]
    if strict and (len(d) < 24 or magic not in (0xa1b2c3d4, 0xa1b23c4d)):
        raise ValueError('%s: not a classic pcap file' % path)
    nsec = magic == 0xa1b23c4d
    _, _, _, _, snap, link = struct.unpack(e + 'HHiIII', d[4:24])
    pkts = []
    pos = 24
    while pos + 16 <= len(d):
        sec, frac, cap, ln = struct.unpack(e + 'IIII', d[pos:pos + 16])
        data = d[pos + 16:pos + 16 + cap]
        if len(data) < cap:
            if strict:
                raise ValueError('%s: record cut at %d' % (path, pos))
            break
        ns = sec * 10**9 + (frac if nsec else frac * 1000)
        pkts.append((ns, ln, data))
        pos += 16 + cap
    if strict and pos != len(d):
        raise ValueError('%s: record header cut at %d' % (path, pos))
    return link & 0xffff, snap, pkts


def pad4(b):
    return b + b'\0' * (-len(b) % 4)


class Writer:
    def __init__(self, e):
        self.e = e
        self.out = bytearray()

    def block(self, btype, body, trailer_delta=0):
        body = pad4(body)
        total = 12 + len(body)
        self.out += struct.pack(self.e + 'II', btype, total) + body
        self.out += struct.pack(self.e + 'I', total + trailer_delta)

    def opt(self, code, value):
        return struct.pack(self.e + 'HH', code, len(value)) + pad4(value)

    def shb(self):
        body = struct.pack(self.e + 'IHHq', 0x1A2B3C4D, 1, 0, -1)
        body += self.opt(4, b'finscope mkpcapng') + self.opt(0, b'')
        self.block(0x0A0D0D0A, body)

    def idb(self, link, snap, tsresol=None, tsoffset=None):
        body = struct.pack(self.e + 'HHI', link, 0, snap)
        body += self.opt(2, b'eth0')
        if tsresol is not None:
            body += self.opt(9, bytes([tsresol]))
        if tsoffset is not None:
            body += self.opt(14, struct.pack(self.e + 'q', tsoffset))
        body += self.opt(0, b'')
        self.block(1, body)

    def epb(self, iface, units, ln, data, comment=None, trailer_delta=0):
        body = struct.pack(self.e + 'IIIII', iface, units >> 32,
                           units & 0xffffffff, len(data), ln) + pad4(data)
        if comment is not None:
            body += self.opt(1, comment) + self.opt(0, b'')
        self.block(6, body, trailer_delta)

    def spb(self, ln, data):
        self.block(3, struct.pack(self.e + 'I', ln) + data)

    def pb(self, iface, units, ln, data):
        body = struct.pack(self.e + 'HHIIII', iface, 0, units >> 32,
                           units & 0xffffffff, len(data), ln) + data
        self.block(2, body)

    def others(self):
        # NRB (one IPv4 record), ISB, DSB, custom: all skipped
        nrb = struct.pack(self.e + 'HH', 1, 14) + pad4(
            bytes([10, 0, 0, 1]) + b'host.test\0') + struct.pack(
            self.e + 'HH', 0, 0)
        self.block(4, nrb)
        self.block(5, struct.pack(self.e + 'III', 0, 0, 0))
        self.block(0x0000000A, struct.pack(self.e + 'II', 0x544c534b, 4)
                   + b'abcd')
        self.block(0x00000BAD, struct.pack(self.e + 'I', 32473) + b'xyz!')


def units_of(ns, tsresol):
    """Time stamp ns in units of an if_tsresol byte (rounded down)."""
    if tsresol & 0x80:
        return ns * (1 << (tsresol & 0x7f)) // 10**9
    return ns * 10**tsresol // 10**9


def simple(link, snap, pkts, e, tsresol=None, comment=None, off=None):
    w = Writer(e)
    w.shb()
    w.idb(link, snap, tsresol, off)
    r = 6 if tsresol is None else tsresol
    for ns, ln, data in pkts:
        u = units_of(ns - (off or 0) * 10**9, r) & 0xffffffffffffffff
        w.epb(0, u, ln, data, comment)
    return w


def variants(link, snap, pkts):
    half = len(pkts) // 2
    # an offset that keeps time stamps positive (and ps within 64 bits)
    off = min([ns // 10**9 for ns, _, _ in pkts] or [0])
    v = {}
    v['le-us'] = simple(link, snap, pkts, '<')
    v['be-ns'] = simple(link, snap, pkts, '>', 9, b'a comment')
    v['ms'] = simple(link, snap, pkts, '<', 3)
    v['ps'] = simple(link, snap, pkts, '<', 12, off=off)

    w = Writer('<')
    thirds = [pkts[:len(pkts) // 3], pkts[len(pkts) // 3:2 * len(pkts) // 3],
              pkts[2 * len(pkts) // 3:]]
    for part in thirds:
        w.shb()
        w.others()
        w.idb(link, snap, 9)
        # snaplen 0 is libpcap's maximum: the same snapshot, adjusted
        w.idb(link, 0 if snap == 0 or snap >= 262144 else snap, 6)
        for i, (ns, ln, data) in enumerate(part):
            if i % 2:
                w.epb(1, units_of(ns, 6), ln, data)
            else:
                w.epb(0, units_of(ns, 9), ln, data)
            if i == 1:
                w.others()
    v['sections'] = w

    w = Writer('<')
    w.shb()
    w.idb(link, snap, 0x80 | 20, off)
    for ns, ln, data in pkts:
        w.epb(0, units_of(ns - off * 10**9, 0x80 | 20), ln, data)
    v['bin'] = w

    w = Writer('<')
    w.shb()
    w.idb(link, 96)
    for ns, ln, data in pkts:
        cap = min(ln, 96)
        w.spb(ln, data[:cap] + b'\0' * (cap - len(data[:cap])))
    v['spb'] = w

    def broken(kind):
        w = Writer('<')
        w.shb()
        w.idb(link, 64 if kind == 'over-snap' else snap)
        for i, (ns, ln, data) in enumerate(pkts):
            u = units_of(ns, 6)
            if i == half and kind == 'pb':
                w.pb(0, u, ln, data)
            elif i == half and kind == 'bad-iface':
                w.epb(3, u, ln, data)
            elif i == half and kind == 'other-link':
                w.idb(link ^ 1, snap)
                w.epb(0, u, ln, data)
            elif i == half and kind == 'other-order':
                w.e = '>'
                w.shb()
                w.idb(link, snap)
                w.epb(0, u, ln, data)
            elif i == half and kind == 'len-mismatch':
                w.epb(0, u, ln, data, trailer_delta=4)
            else:
                w.epb(0, u, ln, data)
        return w

    for kind in ('pb', 'bad-iface', 'other-link', 'other-order', 'over-snap',
                 'len-mismatch'):
        v[kind] = broken(kind)
    return v


def other_snaps(link, snap, pkts):
    """Two interfaces of the same link type and other snapshots, packets
    alternating (dumpcap capturing on two interfaces): libpcap 1.10
    refuses it, finscope reads it in place."""
    w = Writer('<')
    w.shb()
    w.idb(link, snap)
    w.idb(link, 65535 if snap != 65535 else 262144)
    for i, (ns, ln, data) in enumerate(pkts):
        w.epb(i % 2, units_of(ns, 6), ln, data)
    return w


def two_links(a, b, kind):
    link, snap, pkts = a
    _, _, other = b
    if kind == 'be-sll':
        w = Writer('>')
        w.shb()
        w.idb(113, snap)
        w.idb(link, snap)
        for ns, ln, data in pkts:
            cooked = struct.pack('>HHH8s', 0, 1, 6, data[6:12]) + data[12:]
            w.epb(0, units_of(ns, 6), ln + 2, cooked)
        for ns, ln, data in other:
            w.epb(1, units_of(ns, 6), ln, data)
        return w
    w = Writer('<')
    w.shb()
    w.idb(link, snap)
    if kind != 'section2':
        w.idb(239 if kind == 'nflog' else 101, snap)
    for ns, ln, data in pkts:
        w.epb(0, units_of(ns, 6), ln, data)
    if kind == 'section2':
        w.shb()
        w.idb(101, 40)
    for ns, ln, data in other:
        ip = data[14:]
        if kind == 'nflog':
            tlvs = struct.pack('<HH', 8, 1) + b'\x08\x00\x01\x00'
            tlvs += pad4(struct.pack('<HH', 4 + len(ip), 9) + ip)
            ip = bytes([2, 0, 0, 0]) + tlvs
        w.epb(0 if kind == 'section2' else 1, units_of(ns, 6), len(ip), ip)
    return w


def main():
    if sys.argv[1] == '--two-links':
        a, b = read_pcap(sys.argv[2]), read_pcap(sys.argv[3])
        with open(sys.argv[5], 'wb') as f:
            f.write(two_links(a, b, sys.argv[4]).out)
        return
    if sys.argv[1] == '--other-snaps':
        link, snap, pkts = read_pcap(sys.argv[2])
        with open(sys.argv[3], 'wb') as f:
            f.write(other_snaps(link, snap, pkts).out)
        return
    src, outdir = sys.argv[1], sys.argv[2]
    link, snap, pkts = read_pcap(src)
    stem = os.path.splitext(os.path.basename(src))[0]
    for name, w in variants(link, snap, pkts).items():
        with open(os.path.join(outdir, '%s-%s.pcapng' % (stem, name)),
                  'wb') as f:
            f.write(w.out)


if __name__ == '__main__':
    main()
