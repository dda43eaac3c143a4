#!/usr/bin/env python3
"""finscope tests: the TIME_WAIT counts of the --json summary against the
spans of the --json-flat records of the same run (tests/timewait-exact.sh).

Each endpoint's span runs from time_wait_since to time_wait_end (null:
still held at the end of the capture); an end at the time of another's
entry does not overlap it (a leave before an enter, as report-service.c
counts). Checked: the summary's time_wait_peak, each host's peak in
time_wait_by_host (and its entries, at most its records' spans), each
(client, destination) peak in port_pressure, and
that port_pressure's first is the busiest of all; given a --timeline
NDJSON of the same run, also that each host's most in a step is its
peak.

usage: timewait-spans.py SUMMARY.json RECORDS.flat [TIMELINE.json]
"""
import collections
import json
import sys

INF = float("inf")


def peak(spans):
    edges = []
    for since, end in spans:
        edges.append((since, 1))
        edges.append((end, -1))
    edges.sort()  # at one time, -1 (a leave) before +1 (an enter)
    now = top = 0
    for _, d in edges:
        now += d
        top = max(top, now)
    return top


def main():
    summary = None
    with open(sys.argv[1]) as f:
        for line in f:
            rec = json.loads(line)
            if rec["type"] == "summary":
                summary = rec
    every, hosts, dests = [], collections.defaultdict(list), \
        collections.defaultdict(list)
    with open(sys.argv[2]) as f:
        for line in f:
            r = json.loads(line)
            for role in ("client", "server"):
                since = r["time_wait_since_%s_ns" % role]
                if since is None:
                    continue
                end = r["time_wait_end_%s_ns" % role]
                span = (since, INF if end is None else end)
                every.append(span)
                hosts[r["%s_host" % role]].append(span)
                if role == "client":
                    dest = "%s:%d" % (r["server_host"], r["server_port"]) \
                        if ":" not in r["server_host"] else \
                        "[%s]:%d" % (r["server_host"], r["server_port"])
                    dests[(r["client_host"], dest)].append(span)
    bad = []
    n = 0

    def same(what, want, got):
        nonlocal n
        n += 1
        if want != got:
            bad.append("%s: spans %s, finscope %s" % (what, want, got))

    same("time_wait_peak", peak(every), summary["time_wait_peak"])
    for host, v in summary["time_wait_by_host"].items():
        same("host %s peak" % host, peak(hosts[host]), v["peak"])
        # its entries ("in all"): no more than the records' spans (fewer
        # once it was retired at zero and forgotten); a TIME_WAIT whose
        # start was taken back (an RST to the FIN sent again: it held
        # none) counts in neither
        n += 1
        if v["entered"] > len(hosts[host]):
            bad.append("host %s entered: spans %d, finscope %d"
                       % (host, len(hosts[host]), v["entered"]))
    pressure = summary["port_pressure"]
    for p in pressure:
        same("%s -> %s peak" % (p["client"], p["destination"]),
             peak(dests[(p["client"], p["destination"])]),
             p["time_wait_peak"])
    if dests:
        same("busiest destination's peak",
             max(peak(s) for s in dests.values()),
             pressure[0]["time_wait_peak"] if pressure else 0)
    if len(sys.argv) > 3:
        steps = collections.Counter()
        with open(sys.argv[3]) as f:
            for line in f:
                row = json.loads(line)
                steps[row["host"]] = max(steps[row["host"]],
                                         row["time_wait"])
        for host, v in summary["time_wait_by_host"].items():
            same("host %s: --timeline's most in a step" % host,
                 steps[host], v["peak"])
    for b in bad:
        print(b)
    if not bad:
        print("%d peaks agree" % n)
    sys.exit(1 if bad or n < 3 else 0)


if __name__ == "__main__":
    main()
