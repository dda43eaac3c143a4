#!/usr/bin/env python3
"""The text report's streamed lines, written again from --json.

  text-lines.py split PCAP A B     the records of PCAP, half in A, half in B
  text-lines.py check JSONL TEXT   every `conn #` line and event line of
                                   TEXT is what JSONL's record says, in
                                   JSONL's order

A second writer of the lines finscope's text report streams (past 10,000
records, and with -i): a `conn #` line for each conn record, once, from
that record; an event line for each event of the kinds the text shows
(all but NOT_SHOWN; state ones are in the JSON only with --events, as
in the text), in order, from that event. Prints the first difference
and exits 1; prints what it compared and exits 0.
"""

import datetime
import json
import struct
import sys


def split(path, a, b):
    with open(path, "rb") as f:
        data = f.read()
    head, at, records = data[:24], 24, []
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    while at + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[at + 8:at + 12])[0]
        records.append(data[at:at + 16 + caplen])
        at += 16 + caplen
    half = len(records) // 2
    for out, part in ((a, records[:half]), (b, records[half:])):
        with open(out, "wb") as f:
            f.write(head + b"".join(part))
    return 0


def iso(t):
    """A JSON time (its text, 9 decimals) as the text report writes it."""
    sec, frac = t.split(".")
    when = datetime.datetime.fromtimestamp(int(sec), datetime.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S") + "." + frac[:6] + "Z"


def ms(seconds):
    """close_duration (its text, 9 decimals) as "%.3f ms" of ns / 1e6."""
    if seconds is None:
        return "-"
    sec, frac = seconds.split(".")
    ns = int(sec) * 10**9 + int(frac)
    if ns % 1000 == 500:
        return "%.3f ms" % (ns / 1e6)
    us = (ns + 500) // 1000
    return "%d.%03d ms" % (us // 1000, us % 1000)


def frame(n, file):
    if not n:
        return "-"
    return "%s:%d" % (file, n) if file else str(n)


def conn_line(c):
    if c["vlan"]:
        raise SystemExit("text-lines.py: VLANs are not covered")
    return ("conn #%d  %s -> %s  close=%s rst_from=%s active=%s client=%s "
            "server=%s close_time=%s frames=%s-%s flags=%s" % (
                c["id"], c["client"], c["server"], c["close"],
                c["rst_from"] or "-", c["active_closer"] or "-",
                c["state"]["client"], c["state"]["server"],
                ms(c["close_duration"]),
                frame(c["first_frame"], c.get("file")),
                frame(c["last_frame"], c.get("last_file") or c.get("file")),
                ",".join(c["flags"]) or "-"))


# The kinds the text report leaves out (fs_event_kind_is_anomaly() is
# FALSE for them, state aside).
NOT_SHOWN = {"fin", "rst", "simultaneous_close", "half_close"}


def event_line(e, ends):
    role = e["endpoint"]
    who = ends[e["conn"]][role] if role else "-"
    head = "%s  #%d  frame %s  " % (iso(e["time"]), e["conn"],
                                    frame(e["frame"], e.get("file")))
    if e["kind"] == "state":
        # fs_role_name() of no role is "server"
        return head + "%s %s  %s -> %s (%s)" % (role or "server", who,
                                                e["from"], e["to"],
                                                e["cause"])
    line = head + "%s %s  %s" % (role or "", who, e["kind"])
    return line + (": " + e["detail"] if e["detail"] else "")


def check(jsonl, text):
    conns, events = {}, []
    for line in open(jsonl):
        o = json.loads(line, parse_float=str)
        if o["type"] == "conn":
            conns[o["id"]] = o
        elif o["type"] == "event":
            events.append(o)
    ends = {i: {"client": c["client"], "server": c["server"]}
            for i, c in conns.items()}
    got_conns, got_events = [], []
    for line in open(text):
        line = line.rstrip("\n")
        if line.startswith("conn #"):
            got_conns.append(line)
        elif line.lstrip().startswith(("19", "20")) and "  frame " in line:
            got_events.append(line.lstrip())
    want_events = [event_line(e, ends) for e in events
                   if e["kind"] not in NOT_SHOWN]
    for n, (got, want) in enumerate(zip(got_events, want_events)):
        if got != want:
            print("event line %d:\n  text: %s\n  json: %s" % (n + 1, got, want))
            return 1
    if len(got_events) != len(want_events):
        print("%d event lines, %d such events" % (len(got_events),
                                                  len(want_events)))
        return 1
    ids = sorted(int(l[6:].split(" ")[0]) for l in got_conns)
    if ids != sorted(conns):
        print("conn lines for %d ids (%d distinct), %d records" % (
            len(ids), len(set(ids)), len(conns)))
        return 1
    for got in got_conns:
        want = conn_line(conns[int(got[6:].split(" ")[0])])
        if got != want:
            print("conn line:\n  text: %s\n  json: %s" % (got, want))
            return 1
    kinds = sorted({e["kind"] for e in events if e["kind"] not in NOT_SHOWN})
    print("%d conn lines and %d event lines (%s) as --json says" % (
        len(got_conns), len(got_events), ", ".join(kinds)))
    return 0

if __name__ == "__main__":
    if sys.argv[1:2] == ["split"] and len(sys.argv) == 5:
        sys.exit(split(*sys.argv[2:]))
    if sys.argv[1:2] == ["check"] and len(sys.argv) == 4:
        sys.exit(check(*sys.argv[2:]))
    sys.exit(__doc__)
