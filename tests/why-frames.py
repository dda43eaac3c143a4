#!/usr/bin/env python3
"""finscope tests: frame numbers in --json output checked against tshark.

why-frames.py PCAP JSONL: reads every frame of PCAP with tshark (one run)
and checks that each fin/rst event names a frame carrying that flag, sent
by the event's endpoint, and that each conn's first_frame..last_frame
holds exactly its packets of that 4-tuple (the incarnations of a reused
4-tuple split its frames between them). Prints what is wrong; exit 1 if
anything is.
"""
import json
import subprocess
import sys


def endpoint(addr, port):
    return ("[%s]:%s" % (addr, port)) if ":" in addr else "%s:%s" % (addr, port)


def frames_of(pcap):
    out = subprocess.run(
        ["tshark", "-n", "-r", pcap, "-Y", "tcp", "-T", "fields",
         "-E", "separator=\t", "-e", "frame.number", "-e", "ip.src",
         "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "ip.dst",
         "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "tcp.flags",
         "-e", "icmp.type", "-e", "icmpv6.type", "-e", "frame.protocols"],
        check=True, capture_output=True, text=True).stdout
    frames = {}
    for line in out.splitlines():
        f = line.split("\t")
        # an ICMP error quoting a TCP header is no segment of finscope's
        if f[8] or f[9]:
            continue
        # a tunnel gives several addresses, the outer first: the TCP
        # segment's are the innermost, the last of its own family, the
        # one the protocol stack names last before tcp
        layers = f[10].split(":")
        inner = [x for x in layers[:layers.index("tcp")]
                 if x in ("ip", "ipv6")][-1]
        src = (f[1] if inner == "ip" else f[2]).split(",")[-1]
        dst = (f[4] if inner == "ip" else f[5]).split(",")[-1]
        frames[int(f[0])] = (endpoint(src, f[3].split(",")[0]),
                             endpoint(dst, f[6].split(",")[0]),
                             int(f[7].split(",")[0], 16))
    return frames


def main():
    pcap, jsonl = sys.argv[1], sys.argv[2]
    frames = frames_of(pcap)
    recs = [json.loads(l) for l in open(jsonl)]
    conns = {r["id"]: r for r in recs if r["type"] == "conn"}
    bad = []
    for ev in (r for r in recs if r["type"] == "event"):
        flag = {"fin": 0x01, "rst": 0x04}.get(ev["kind"])
        if flag is None:
            continue
        fr = frames.get(ev["frame"])
        sender = conns[ev["conn"]][ev["endpoint"]]
        if fr is None or not fr[2] & flag or fr[0] != sender:
            bad.append("event %s of conn %s: frame %s is %r" %
                       (ev["kind"], ev["conn"], ev["frame"], fr))
    for c in conns.values():
        ends = {c["client"], c["server"]}
        mine = [n for n, fr in frames.items()
                if {fr[0], fr[1]} == ends
                and c["first_frame"] <= n <= c["last_frame"]]
        if len(mine) != c["packets"] or (
                mine and (mine[0] != c["first_frame"]
                          or mine[-1] != c["last_frame"])):
            bad.append("conn %s: frames %s-%s, %d packets; tshark: %s" %
                       (c["id"], c["first_frame"], c["last_frame"],
                        c["packets"], mine))
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
