#!/usr/bin/env python3
"""What tests/fanout.sh compares between finscope -i processes.

  records JSONL PCAP   one line per conn record of JSONL: "client server
                       ISN" then the record as sorted JSON without what is
                       local to a process (id, frame numbers, the filter
                       that names them, reuse_of) or timing; the ISN is the
                       client's SYN's seq, the k-th SYN of that 4-tuple in
                       PCAP (the process's own -w file) for its k-th record
                       ("-" when it saw none)
  packets PCAP         one line per packet: its bytes in hex
  tuples PCAP          one line per TCP 4-tuple in PCAP, lower end first

PCAP is what finscope -w writes: classic pcap, Ethernet, IPv4.
"""

import json
import struct
import sys

LOCAL = ("id", "first_frame", "last_frame", "filter", "reuse_of")
TIMING = ("start", "end", "close_duration", "idle_before_close",
          "time_wait_until", "state_age")


def pcap_packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        yield data[off:off + caplen]
        off += caplen


def tcp_of(frame):
    """(src, sport, dst, dport, flags, seq) of an Ethernet/IPv4/TCP frame."""
    if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 6 or len(ip) < ihl + 20:
        return None
    src = ".".join(str(b) for b in ip[12:16])
    dst = ".".join(str(b) for b in ip[16:20])
    sport, dport, seq = struct.unpack(">HHI", ip[ihl:ihl + 8])
    return src, sport, dst, dport, ip[ihl + 13], seq


def records(jsonl, pcap):
    syns = {}
    for frame in pcap_packets(pcap):
        t = tcp_of(frame)
        if t is not None and t[4] & 0x12 == 0x02:  # SYN without ACK
            key = "%s:%d %s:%d" % t[:4]
            syns.setdefault(key, []).append(t[5])
    seen = {}
    out = []
    for line in open(jsonl):
        o = json.loads(line)
        if o.get("type") != "conn":
            continue
        key = "%s %s" % (o["client"], o["server"])
        k = seen.get(key, 0)
        seen[key] = k + 1
        isn = syns.get(key, [])
        isn = str(isn[k]) if k < len(isn) else "-"
        for name in LOCAL + TIMING:
            o.pop(name, None)
        out.append("%s %s %s" % (key, isn, json.dumps(o, sort_keys=True)))
    return out


def tuples(pcap):
    out = set()
    for frame in pcap_packets(pcap):
        t = tcp_of(frame)
        if t is not None:
            ends = sorted(["%s:%d" % t[0:2], "%s:%d" % t[2:4]])
            out.add(" ".join(ends))
    return sorted(out)


def main():
    what = sys.argv[1]
    if what == "records":
        lines = records(sys.argv[2], sys.argv[3])
    elif what == "packets":
        lines = [f.hex() for f in pcap_packets(sys.argv[2])]
    elif what == "tuples":
        lines = tuples(sys.argv[2])
    else:
        sys.exit(__doc__)
    for line in sorted(lines):
        print(line)


if __name__ == "__main__":
    main()
