#!/bin/sh
# finscope tests: the text report's streamed lines (past 10,000 records
# offline, and with -i: `conn #` lines and event lines as they come),
# each against the same record or event written again from --json by
# tests/text-lines.py: one file, the same packets in two files (frames
# named with their file), with and without --events.
. "$(dirname "$0")/lib.sh"

GENTRACE=${GENTRACE:-$G_TEST_BUILDDIR/bench/gentrace}
LINES="$G_TEST_SRCDIR/tests/text-lines.py"

# 10,400 connections (past the table's 10,000), 300 open at once, the
# most anomalies gentrace makes: resets, retransmitted FINs, lost final
# ACKs, simultaneous closes, over several seconds
"$GENTRACE" --seed 3 --connections 10400 --concurrency 300 --rate 2000 \
    --avg-size 100 --anomalies 3 --out "$OUT/t.pcap" 2> /dev/null
check "split: the trace in two files" \
    python3 "$LINES" split "$OUT/t.pcap" "$OUT/a.pcap" "$OUT/b.pcap"

for run in "one file|-r $OUT/t.pcap" "two files|-r $OUT/a.pcap -r $OUT/b.pcap"; do
    what=${run%%|*}
    files=${run#*|}
    for ev in "" --events; do
        # shellcheck disable=SC2086
        fs_run "$OUT/r.jsonl" --json $ev $files
        # shellcheck disable=SC2086
        fs_run "$OUT/r.txt" $ev $files
        check "$what${ev:+ $ev}: the text turns to lines" \
            grep -q '^More than 10000 connections' "$OUT/r.txt"
        check "$what${ev:+ $ev}: every line is what --json says" \
            python3 "$LINES" check "$OUT/r.jsonl" "$OUT/r.txt"
        # shellcheck disable=SC2086
        fs_run "$OUT/r1.txt" --threads 1 $ev $files
        check "$what${ev:+ $ev}: --threads 1 prints the same" \
            cmp "$OUT/r.txt" "$OUT/r1.txt"
    done
done
check "two files: frames are named with their file" \
    grep -q 'frames=.*a\.pcap:[0-9]*-.*b\.pcap:[0-9]' "$OUT/r.txt"
check "--events: state lines are among them" \
    grep -q 'SYN_SENT -> ESTABLISHED (handshake_done)$' "$OUT/r.txt"
finish
