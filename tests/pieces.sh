#!/bin/sh
# finscope tests: pieces of one capture (editcap -c N or -i SECONDS, as
# tcpdump -C or -G would have written them) read together, one -r each,
# give the records of the whole file: no frame of one piece is a copy of
# another piece's. fin-lost-nots-v6 (IPv6 without TCP timestamps) re-sends
# its lost FIN byte for byte ~0.2 s later; kernel audit 19k F2 found that
# FIN, cut into the next piece, read as a copy of the first (duplicate
# frame, no FIN retransmission). Compared: every record of finscope --json
# --events, without what names a frame or a file (frame, file, first_frame,
# last_frame, last_file, and filter, which holds frame numbers).
# fin-lost and final-ack-lost (IPv4, timestamps) re-send FINs that differ
# from the first (TSval, IPv4 identification): they held before too.
# old-dup-time-wait, old-dup-after-reuse and syn-replay-time-wait hold an
# exact replay (TSval too) of an earlier segment, an old duplicate: cut
# into the next piece it read as a copy seen at another capture point
# until copies needed files whose frames interleave (review 19 #3);
# connect-abandoned's duplicate frame read as such a copy.
. "$(dirname "$0")/lib.sh"

if ! command -v editcap > /dev/null 2>&1; then
    skip "editcap (Debian: wireshark-common, installed with tshark) not found"
    finish
    exit
fi

same_records() {
    python3 - "$1" "$2" <<'PY'
import json, sys
DROP = {"frame", "file", "first_frame", "last_frame", "last_file", "filter"}
def records(path):
    return [{k: v for k, v in json.loads(line).items() if k not in DROP}
            for line in open(path)]
whole, pieces = records(sys.argv[1]), records(sys.argv[2])
if whole == pieces:
    sys.exit(0)
print(f"{len(whole)} records from the whole file, {len(pieces)} from the pieces")
for i, (a, b) in enumerate(zip(whole, pieces)):
    if a != b:
        print(f"record {i + 1} differs:")
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                print(f"  {k}: whole {json.dumps(a.get(k))}, pieces {json.dumps(b.get(k))}")
        break
sys.exit(1)
PY
}

for name in fin-lost-nots-v6 fin-lost final-ack-lost old-dup-time-wait \
        old-dup-after-reuse syn-replay-time-wait connect-abandoned; do
    pcap=$SAMPLES/$name.pcap
    fs_run "$OUT/$name.whole.jsonl" --json --events -r "$pcap" || continue
    for cut in "-c 1" "-c 2" "-i 0.2"; do
        dir=$OUT/$name$(echo "$cut" | tr -d ' ')
        mkdir -p "$dir"
        # shellcheck disable=SC2086
        if ! editcap $cut "$pcap" "$dir/p.pcap" > "$dir/editcap.log" 2>&1; then
            not_ok "$name: editcap $cut"
            sed 's/^/# /' "$dir/editcap.log"
            continue
        fi
        set --
        for piece in "$dir"/p_*.pcap; do
            set -- "$@" -r "$piece"
        done
        n=$(($# / 2))
        if [ "$n" -lt 2 ]; then
            not_ok "$name: editcap $cut cut it into $n piece(s), not several"
            continue
        fi
        fs_run "$OUT/$name.pieces.jsonl" --json --events "$@" || continue
        check "$name: its $n pieces of editcap $cut read as the whole file" \
            same_records "$OUT/$name.whole.jsonl" "$OUT/$name.pieces.jsonl"
    done
done
finish
