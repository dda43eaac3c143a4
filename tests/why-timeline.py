#!/usr/bin/env python3
"""finscope tests: --timeline and --plot against the report.

why-timeline.py TIMELINE.ndjson REPORT.jsonl [PLOT.png]: each host's most
TIME_WAIT in a step is the summary's time_wait_by_host peak (counted by
the engine as it went); the closes and resets of all rows are twice the
summary's (each counts at both hosts); a PNG rendered from the plot is
not blank. Prints what is wrong; exit 1 if anything is.
"""
import json
import struct
import sys
import zlib
from collections import defaultdict


def png_colours(path):
    """The distinct bytes of the decompressed image data (filter bytes
    included): one or two values for a blank image."""
    data = open(path, "rb").read()
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return set(zlib.decompress(idat))


def main():
    rows = [json.loads(l) for l in open(sys.argv[1])]
    recs = [json.loads(l) for l in open(sys.argv[2])]
    summary = recs[-1]
    bad = []
    peak = defaultdict(int)
    closes = defaultdict(int)
    for r in rows:
        peak[r["host"]] = max(peak[r["host"]], r["time_wait"])
        for k, v in r["closes"].items():
            closes[k] += v
        closes["resets"] += r["resets"]
    for host, tw in summary["time_wait_by_host"].items():
        if peak[host] != tw["peak"]:
            bad.append("%s: timeline peak %d, summary %d" %
                       (host, peak[host], tw["peak"]))
    for k, v in summary["active_closer"].items():
        if closes[k] != 2 * v:
            bad.append("closes by %s: %d rows, summary %d" % (k, closes[k], v))
    resets = summary["rst_from"]["client"] + summary["rst_from"]["server"]
    if closes["resets"] != 2 * resets:
        bad.append("resets: %d, summary %d" % (closes["resets"], resets))
    if len(sys.argv) > 3 and len(png_colours(sys.argv[3])) < 10:
        bad.append("%s looks blank" % sys.argv[3])
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
