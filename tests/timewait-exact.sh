#!/bin/sh
# finscope tests: the TIME_WAIT peaks of the summary (time_wait_peak,
# each host's in time_wait_by_host, port_pressure) are those of the
# records' spans exactly (tests/timewait-spans.py), with TIME_WAITs
# ending inside the capture (a short --msl) as new ones start, whatever
# the once-a-second sweep: on generated captures, across several MSLs;
# and --timeline's per host and step counts agree with those peaks.
. "$(dirname "$0")/lib.sh"

SPANS="$G_TEST_SRCDIR/tests/timewait-spans.py"
GENTRACE="$G_TEST_BUILDDIR/bench/gentrace"

# few clients and servers: busy destinations (port pressure); many: the
# host tables' retiring and pruning
"$GENTRACE" --seed 7 --connections 4000 --concurrency 400 --rate 500 \
    --clients 6 --servers 3 --out "$OUT/few.pcap" 2> /dev/null
"$GENTRACE" --seed 1 --connections 3000 --out "$OUT/many.pcap" 2> /dev/null

for trace in few many; do
    for msl in 1 2 3 5 30; do
        fs_run "$OUT/$trace-$msl.json" --json --top 0 --msl "$msl" \
            -r "$OUT/$trace.pcap" &&
            fs_run "$OUT/$trace-$msl.flat" --json-flat --msl "$msl" \
                -r "$OUT/$trace.pcap" &&
            check "$trace, --msl $msl: peaks = the records' spans" \
                python3 "$SPANS" "$OUT/$trace-$msl.json" \
                "$OUT/$trace-$msl.flat"
    done
done
# TIME_WAITs restarted by a FIN sent again (gentrace's lost final ACKs):
# the case above holds some, their spans to the restarted end
fs_run "$OUT/few-events.json" --json --events --msl 2 -r "$OUT/few.pcap" &&
    check "few, --msl 2: TIME_WAITs restarted (a FIN again)" \
        grep -q '"from":"TIME_WAIT","to":"TIME_WAIT"' "$OUT/few-events.json"
# and --threads (the ledger engine's count, restarts through its events)
fs_run "$OUT/few-2-t2.json" --json --top 0 --msl 2 --threads 2 \
    -r "$OUT/few.pcap" &&
    check "few, --msl 2, --threads 2: peaks = the records' spans" \
        python3 "$SPANS" "$OUT/few-2-t2.json" "$OUT/few-2.flat"
# the crafted restarts: expired after a restart, held at the end, and
# (--msl 1) restarted with 2*MSL shorter than the outage
for msl in 1 30; do
    fs_run "$OUT/restart-$msl.json" --json --top 0 --msl "$msl" \
        -r "$G_TEST_SRCDIR/samples/crafted-time-wait-restart.pcap" &&
        fs_run "$OUT/restart-$msl.flat" --json-flat --msl "$msl" \
            -r "$G_TEST_SRCDIR/samples/crafted-time-wait-restart.pcap" &&
        check "crafted-time-wait-restart, --msl $msl: peaks = the spans" \
            python3 "$SPANS" "$OUT/restart-$msl.json" "$OUT/restart-$msl.flat"
done
# a TIME_WAIT taken back (its host's entries count it no more)
fs_run "$OUT/taken-back.json" --json --top 0 \
    -r "$G_TEST_SRCDIR/samples/crafted-time-wait-taken-back.pcap" &&
    fs_run "$OUT/taken-back.flat" --json-flat \
        -r "$G_TEST_SRCDIR/samples/crafted-time-wait-taken-back.pcap" &&
    check "crafted-time-wait-taken-back: entries = the spans" \
        python3 "$SPANS" "$OUT/taken-back.json" "$OUT/taken-back.flat"
fs_run "$OUT/tl.json" --json --top 0 --msl 2 --timeline "$OUT/tl.ndjson" \
    -r "$OUT/few.pcap" &&
    check "few, --msl 2: --timeline's most per host = the peaks" \
        python3 "$SPANS" "$OUT/tl.json" "$OUT/few-2.flat" "$OUT/tl.ndjson"
finish
