#!/bin/sh
# finscope tests: for every kernel trace in samples/ (NAME.truth beside
# NAME.pcap, written by scripts/kernel-traces/mktraces.py from `ss -tan`
# right after the close), finscope's end state of each endpoint is the
# state the kernel itself reported. A trace captured at two points
# (NAME-c.pcap on the client's side, NAME-s.pcap on the server's;
# vantage-last-ack: NAME-r.pcap and NAME-s.pcap, both on the server's
# link) is read as its NAME-*.pcap files together.
. "$(dirname "$0")/lib.sh"

compare() {
    python3 - "$1" "$2" <<'PY'
import json, sys
truth_path, report_path = sys.argv[1], sys.argv[2]
conns = [json.loads(l) for l in open(report_path)]
conns = [c for c in conns if c.get("type") == "conn"]
want = {}
for line in open(truth_path):
    f = line.split()
    if len(f) == 3 and f[0] in ("client", "server"):
        want[f[0]] = (f[1], f[2])
if set(want) != {"client", "server"}:
    sys.exit(f"{truth_path}: no client and server lines")
match = [c for c in conns
         if c["client"] == want["client"][0] and c["server"] == want["server"][0]]
if not match:
    sys.exit(f"no connection {want['client'][0]} -> {want['server'][0]} in the report")
# The newest incarnation is the one ss saw; a SYN its peer refused (RST,
# or an ACK of the old connection) and never answered created no socket.
def refused(c):
    r = c.get("reuse") or {}
    return r.get("outcome") in ("rejected_rst", "challenge_ack") and \
        c["state"]["server"] == "UNKNOWN"
real = [c for c in match if not refused(c)]
conn = (real or match)[-1]
bad = 0
for role in ("client", "server"):
    if conn["state"][role] != want[role][1]:
        print(f"{role} {want[role][0]}: finscope {conn['state'][role]}, kernel {want[role][1]}")
        bad = 1
sys.exit(bad)
PY
}

found=0
for truth in "$SAMPLES"/*.truth; do
    [ -e "$truth" ] || continue
    found=1
    name=$(basename "$truth" .truth)
    if [ -e "$SAMPLES/$name.pcap" ]; then
        fs_run "$OUT/$name.jsonl" --json -r "$SAMPLES/$name.pcap"
    else
        set --
        for pcap in "$SAMPLES/$name"-*.pcap; do
            set -- "$@" -r "$pcap"
        done
        fs_run "$OUT/$name.jsonl" --json "$@"
    fi
    check "kernel truth $name" compare "$truth" "$OUT/$name.jsonl"
done
[ "$found" -eq 1 ] || not_ok "samples/ has kernel traces with .truth files"
finish
