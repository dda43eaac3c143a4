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
fs_run "$OUT/tl.json" --json --top 0 --msl 2 --timeline "$OUT/tl.ndjson" \
    -r "$OUT/few.pcap" &&
    check "few, --msl 2: --timeline's most per host = the peaks" \
        python3 "$SPANS" "$OUT/tl.json" "$OUT/few-2.flat" "$OUT/tl.ndjson"
finish
