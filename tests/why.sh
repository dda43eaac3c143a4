#!/bin/sh
# finscope tests: the way from a finding to its packets — frame numbers
# (checked against tshark), display filters, --extract and --ladder.
. "$(dirname "$0")/lib.sh"

if ! command -v tshark > /dev/null 2>&1; then
    skip "tshark is not installed (scripts/debian-packages.txt)"
    finish
    exit
fi
# tshark warns when run as root; it is only reading files
tshark_q() { tshark "$@" 2> /dev/null; }

samples=$(ls "$SAMPLES"/*.pcap | grep -v fuzz-crash)

# ---- frame numbers ----
for pcap in $samples; do
    name=$(basename "$pcap" .pcap)
    fs_run "$OUT/$name.jsonl" --json -r "$pcap" || continue
    check "$name: event and conn frames are tshark's" \
        python3 "$G_TEST_SRCDIR/tests/why-frames.py" "$pcap" "$OUT/$name.jsonl"
done

a="$SAMPLES/final-ack-lost.pcap"
b="$SAMPLES/simultaneous-close.pcap"
# frames of a BPF-filtered run keep their numbers in the file
fs_run "$OUT/port.jsonl" --json -r "$a" 'tcp[tcpflags] & tcp-fin != 0'
check "BPF filter: events keep the file's frame numbers" \
    sh -c "grep '\"kind\":\"fin\"' '$OUT/final-ack-lost.jsonl' | sed 's/\"time[^k]*//' > '$OUT/want' &&
           grep '\"kind\":\"fin\"' '$OUT/port.jsonl' | sed 's/\"time[^k]*//' > '$OUT/got' &&
           test -s '$OUT/want' && cmp '$OUT/want' '$OUT/got'"
fs_run "$OUT/merged.jsonl" --json -r "$a" -r "$b"
check "two files: each event names its file" \
    sh -c "! grep '\"type\":\"event\"' '$OUT/merged.jsonl' | grep -v '\"file\":\"$a\"' | grep -qv '\"file\":\"$b\"'"
check "two files: each conn names its file" \
    sh -c "test \$(grep '\"type\":\"conn\".*\"first_frame\":[0-9]*,\"file\":\"' '$OUT/merged.jsonl' | wc -l) -eq \$(grep -c '\"type\":\"conn\"' '$OUT/merged.jsonl')"
check "one file: no file named" \
    sh -c "! grep -q '\"file\"' '$OUT/final-ack-lost.jsonl'"
fs_run "$OUT/merged.txt" -r "$a" -r "$b"
check "two files, text: frames named file:N" \
    grep -qF "frame $a:12" "$OUT/merged.txt"

finish
