#!/usr/bin/env python3
"""finscope tests: --json-flat against --json and the ClickHouse table.

Usage: json-flat.py agree JSON FLAT   each flat record is its --json conn
                                      record flattened (a.b -> a_b, times
                                      -> *_ns integers), plus its extras
       json-flat.py columns SCHEMA FLAT...
                                      every line has the same keys, which
                                      are the columns of schema.sql
Exit status 0 when it holds; what differs goes to stdout."""
import decimal
import json
import re
import sys

# --json seconds (9 decimals) that --json-flat writes as nanoseconds
TIMES = {"start", "end", "close_duration", "idle_before_close",
         "time_wait_until_client", "time_wait_until_server",
         "reuse_since_close", "state_age_client", "state_age_server"}
# --json-flat keys --json has not, or has in another shape
EXTRAS = {"file", "undecided", "undecided_reason",
          "time_wait_since_client_ns", "time_wait_since_server_ns",
          "time_wait_end_client_ns", "time_wait_end_server_ns"}


def load(path):
    with open(path) as f:
        return [json.loads(line, parse_float=decimal.Decimal) for line in f]


def flatten(obj, prefix=""):
    out = {}
    for key, value in obj.items():
        name = prefix + key
        if isinstance(value, dict):
            out.update(flatten(value, name + "_"))
        elif name in TIMES:
            out[name + "_ns"] = (None if value is None
                                 else int(value * 1000000000))
        else:
            out[name] = value
    return out


def agree(json_path, flat_path):
    conns = [r for r in load(json_path) if r.get("type") == "conn"]
    flats = load(flat_path)
    bad = 0
    if len(conns) != len(flats):
        print("%d conn records, %d flat ones" % (len(conns), len(flats)))
        return 1
    for conn, flat in zip(conns, flats):
        want = flatten(conn)
        want.pop("type")
        want.pop("last_file", None)
        # "reuse": null stands for every reuse_* key null
        if want.pop("reuse", 1) is None:
            for key in flat:
                if key.startswith("reuse_") and key not in want:
                    want[key] = None
        want["undecided"] = [u["field"] for u in conn["undecided"]]
        want["undecided_reason"] = [u["reason"] for u in conn["undecided"]]
        for key in sorted(set(want) | set(flat) - EXTRAS):
            if key == "file" or want.get(key, "-") == flat.get(key, "-"):
                continue
            bad += 1
            print("conn %s: %s: --json %r, --json-flat %r"
                  % (conn["id"], key, want.get(key, "(none)"),
                     flat.get(key, "(none)")))
    return 1 if bad else 0


def columns(schema_path, flat_paths):
    with open(schema_path) as f:
        text = f.read()
    body = text[text.index("finscope.conns"):]
    cols = re.findall(r"^    ([a-z_0-9]+) (?!.*MATERIALIZED)", body, re.M)
    keys = None
    for path in flat_paths:
        for rec in load(path):
            if keys is None:
                keys = list(rec)
            if list(rec) != keys:
                print("%s: keys differ from the first line's" % path)
                return 1
            for key, value in rec.items():
                if isinstance(value, dict) or (
                        isinstance(value, list) and
                        not all(isinstance(v, str) for v in value)):
                    print("%s: %s is not flat: %r" % (path, key, value))
                    return 1
    if keys is None:
        print("no flat records")
        return 1
    if sorted(keys) != sorted(cols):
        print("keys not columns:", sorted(set(keys) - set(cols)))
        print("columns not keys:", sorted(set(cols) - set(keys)))
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "agree":
        sys.exit(agree(sys.argv[2], sys.argv[3]))
    sys.exit(columns(sys.argv[2], sys.argv[3:]))
