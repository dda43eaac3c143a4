#!/bin/sh
# finscope tests: issue 18's attacks on the engine's resources, on small
# captures from bench/genattack: the right output, not the time (the bench
# measures that).
. "$(dirname "$0")/lib.sh"

GENATTACK="$G_TEST_BUILDDIR/bench/genattack"

# jq_py FILE EXPR: python's verdict on the NDJSON records of FILE; EXPR
# sees conns (list of conn records) and summary, and must be true.
jq_py() {
    python3 - "$1" "$2" <<'PY'
import json, sys
conns, summary = [], None
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["type"] == "conn":
        conns.append(d)
    elif d["type"] == "summary":
        summary = d
ok = eval("(" + sys.argv[2] + ")")
if not ok:
    print("false:", sys.argv[2])
    print("summary:", json.dumps(summary)[:2000])
sys.exit(0 if ok else 1)
PY
}

# Item 1: one 4-tuple opened and closed 2,000 times, 1 ms apart.
"$GENATTACK" --reuse 2000 --out "$OUT/reuse.pcap"
if fs_run "$OUT/reuse.jsonl" --json -r "$OUT/reuse.pcap"; then
    check "reuse: 2000 connections, each graceful, client first" \
        jq_py "$OUT/reuse.jsonl" \
        'len(conns) == 2000 and summary["connections"] == 2000 and
         all(c["close"] == "graceful" and c["active_closer"] == "client"
             for c in conns)'
    check "reuse: each reuses the one before it, in id order" \
        jq_py "$OUT/reuse.jsonl" \
        '[c["id"] for c in conns] == list(range(1, 2001)) and
         all(c["reuse_of"] == (c["id"] - 1 if c["id"] > 1 else None)
             for c in conns)'
    check "reuse: each took over the client's TIME_WAIT, none left but the last" \
        jq_py "$OUT/reuse.jsonl" \
        'all(c["reuse_in_time_wait"] == (c["id"] > 1) for c in conns) and
         summary["time_wait_at_end"] == 1 and
         sum(c["old_duplicates"] for c in conns) == 0'
fi

# Item 6: 1,000 connections 1 s apart, each leaving the client in
# TIME_WAIT; 60 are within 2*MSL of the end. --max-flows 10 evicts 990:
# each says what it held when evicted (TIME_WAIT), flagged, and is not
# counted as TIME_WAIT at the end.
"$GENATTACK" --reuse 1000 --interval-us 1000000 --new-ports \
    --out "$OUT/slow.pcap"
if fs_run "$OUT/slow.jsonl" --json -r "$OUT/slow.pcap"; then
    check "max-flows: without it, 60 TIME_WAIT at the end, none evicted" \
        jq_py "$OUT/slow.jsonl" \
        'summary["time_wait_at_end"] == 60 and summary["evicted"] == 0 and
         not any("evicted" in c["flags"] for c in conns)'
fi
if fs_run "$OUT/evict.jsonl" --json --max-flows 10 -r "$OUT/slow.pcap"; then
    check "max-flows 10: 990 evicted, 10 TIME_WAIT at the end" \
        jq_py "$OUT/evict.jsonl" \
        'summary["evicted"] == 990 and summary["time_wait_at_end"] == 10 and
         summary["time_wait_hosts"] == {"10.0.0.1": 10}'
    check "max-flows 10: the evicted are flagged, in the state they held" \
        jq_py "$OUT/evict.jsonl" \
        'sum("evicted" in c["flags"] for c in conns) == 990 and
         all(("evicted" in c["flags"]) == (c["id"] <= 990) and
             c["state"] == {"client": "TIME_WAIT", "server": "CLOSED"} and
             c["close"] == "graceful" for c in conns)'
fi

finish
