#!/usr/bin/env python3
"""finscope tests: --extract against the records' display filters.

why-extract.py PCAP JSONL SELECTOR EXTRACTED: the connections of JSONL
(finscope --json on PCAP) that SELECTOR chooses (ids, anomalous, reset,
stuck, as finscope reads it) have display filters; tshark on PCAP with
their union must show the same frames (time and length, in order) as
tshark on EXTRACTED. Prints the difference; exit 1 if any.
"""
import json
import subprocess
import sys

# the anomaly flags (fs_event_kind_is_anomaly in src/1-engine/event.c)
ANOMALIES = {"fin_retransmit", "final_ack_lost", "data_after_fin",
             "illegal_flags", "time_wait_assassinated", "capture_loss",
             "old_duplicate", "reuse_in_time_wait", "reuse_rejected",
             "rst_answers_fin", "rst_after_fin", "fin_beyond_data",
             "duplicate_frame"}
STUCK = {"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK"}


def chosen(conn, words):
    return (str(conn["id"]) in words
            or ("reset" in words and conn["close"] == "reset")
            or ("stuck" in words and STUCK & set(conn["state"].values()))
            or ("anomalous" in words and ANOMALIES & set(conn["flags"])))


def frames(pcap, dfilter=None):
    cmd = ["tshark", "-n", "-r", pcap, "-T", "fields",
           "-e", "frame.time_epoch", "-e", "frame.len"]
    if dfilter is not None:
        cmd[4:4] = ["-Y", dfilter]
    out = subprocess.run(cmd, check=True, capture_output=True,
                         text=True).stdout
    return out.splitlines()


def main():
    pcap, jsonl, selector, extracted = sys.argv[1:5]
    words = set(selector.split(","))
    conns = [r for r in map(json.loads, open(jsonl))
             if r["type"] == "conn" and chosen(r, words)]
    got = frames(extracted)
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
