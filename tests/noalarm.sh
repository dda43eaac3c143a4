#!/bin/sh
# finscope tests: the plain kernel samples of a normal close raise no
# anomaly — no anomaly event, no anomaly flag, full confidence.
. "$(dirname "$0")/lib.sh"

plain="client-close-first-v4 client-close-first-v6 server-close-first-v4
server-close-first-v6 three-way-close-v4 three-way-close-v6 half-close-v4
half-close-v6 rst-linger0-v4 rst-linger0-v6"

quiet() {
    python3 - "$1" <<'PY'
import json, sys
allowed = {"three_way_close", "half_close"}
anomalies = {"fin_retransmit", "final_ack_lost", "data_after_fin",
             "illegal_flags", "time_wait_assassinated", "capture_loss",
             "old_duplicate", "reuse_in_time_wait", "reuse_rejected",
             "rst_answers_fin", "fin_beyond_data", "duplicate_frame",
             "rst_ignored", "abort_after_close", "peer_silent",
             "half_open_reset", "state_lost", "handshake_ack_lost",
             "fin_ignored", "fin_rtx_spurious"}
bad = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == "event" and o["kind"] in anomalies:
        print("event", o["kind"], o.get("detail")); bad = 1
    if o["type"] == "conn":
        extra = set(o["flags"]) - allowed
        if extra or o["confidence"] != "high" or o["old_duplicates"]:
            print("conn", o["id"], sorted(extra), o["confidence"]); bad = 1
sys.exit(bad)
PY
}

for name in $plain; do
    fs_run "$OUT/$name.jsonl" --json -r "$SAMPLES/$name.pcap"
    check "no false alarm on $name" quiet "$OUT/$name.jsonl"
done
finish
