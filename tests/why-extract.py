#!/usr/bin/env python3
"""finscope tests: --extract against the records' display filters.

why-extract.py PCAP JSONL SELECTOR EXTRACTED: the connections of JSONL
(finscope --json on PCAP) that SELECTOR chooses (ids, anomalous, reset,
stuck; or an expression such as close == "reset" && server_port == 443,
read here from the records' own fields) have display filters; tshark on
PCAP with their union must show the same frames (time and length on the
wire, in order) as the records of EXTRACTED. Prints the difference; exit
1 if any.
"""
import json
import subprocess
import sys

from mkpcapng import read_pcap

# the anomaly flags (fs_event_kind_is_anomaly in src/1-engine/event.c)
ANOMALIES = {"fin_retransmit", "final_ack_lost", "data_after_fin",
             "illegal_flags", "time_wait_assassinated", "capture_loss",
             "old_duplicate", "reuse_in_time_wait", "reuse_rejected",
             "rst_answers_fin", "rst_after_fin", "fin_beyond_data",
             "duplicate_frame"}
STUCK = {"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK"}


OPS = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b,
       "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
       "<": lambda a, b: a < b, ">": lambda a, b: a > b}


def port(endpoint):
    return int(endpoint.rsplit(":", 1)[1])


def field(conn, name):
    """A conn field of `finscope check`, from the JSON record."""
    name = name[len("conn."):] if name.startswith("conn.") else name
    if name == "server_port":
        return port(conn["server"])
    if name == "client_port":
        return port(conn["client"])
    if name in ("client_end", "server_end"):
        return conn["state"][name[:-len("_end")]]
    if name == "fin_retransmits":
        return sum(conn["fin_retransmits"].values())
    if name in ("rst_from", "active_closer"):
        return conn[name] or "none"
    return conn[name]


def term_holds(conn, term):
    for op in ("==", "!=", "<=", ">=", "<", ">"):
        if op in term:
            name, value = (s.strip() for s in term.split(op, 1))
            value = value.strip('"') if value.startswith('"') else int(value)
            return OPS[op](field(conn, name), value)
    raise ValueError("no operator in " + term)


def chosen(conn, words):
    if any(op in "".join(words) for op in "=<>!"):
        return all(term_holds(conn, t) for t in ",".join(words).split("&&"))
    return (str(conn["id"]) in words
            or ("reset" in words and conn["close"] == "reset")
            or ("stuck" in words and STUCK & set(conn["state"].values()))
            or ("anomalous" in words and ANOMALIES & set(conn["flags"])))


def frames(pcap, dfilter):
    """(time in ns, length on the wire) of the frames of PCAP that
    tshark shows through DFILTER."""
    cmd = ["tshark", "-n", "-r", pcap, "-Y", dfilter, "-T", "fields",
           "-e", "frame.time_epoch", "-e", "frame.len"]
    out = subprocess.run(cmd, check=True, capture_output=True,
                         text=True).stdout
    got = []
    for line in out.splitlines():
        epoch, length = line.split("\t")
        sec, _, frac = epoch.partition(".")
        got.append((int(sec) * 10**9 + int((frac + "0" * 9)[:9]),
                    int(length)))
    return got


def main():
    pcap, jsonl, selector, extracted = sys.argv[1:5]
    words = set(selector.split(","))
    conns = [r for r in map(json.loads, open(jsonl))
             if r["type"] == "conn" and chosen(r, words)]
    # (read here, not by tshark: one tshark run a connection fewer, at
    # 0.6-1.1 s each here; a record cut short, or a file of another
    # kind, is an error)
    got = [(ns, length) for ns, length, _ in
           read_pcap(extracted, strict=True)[2]]
    want = []
    if conns:
        want = frames(pcap, " || ".join("(%s)" % c["filter"]
                                        for c in conns))
    if got == want:
        print("%d connections, %d frames" % (len(conns), len(got)))
        return 0
    print("%s: %d connections; extracted %d frames, the filters show %d" %
          (selector, len(conns), len(got), len(want)))
    for g, w in zip(got, want):
        if g != w:
            print("first difference: extracted %s, filter %s" % (g, w))
            break
    return 1


if __name__ == "__main__":
    sys.exit(main())
