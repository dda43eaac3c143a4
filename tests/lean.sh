#!/bin/sh
# finscope tests: the engine's lean path (lean_segment() in
# src/1-engine/engine.c) changes nothing: --json --events, stderr and the
# exit status are the same byte for byte with it turned off
# (FINSCOPE_NO_LEAN=1), on every sample, under the options that move
# deadlines and freezing, with one thread and two, and on a generated
# trace of thousands of connections.
. "$(dirname "$0")/lib.sh"

# same NAME ARGS...: finscope --json --events ARGS with the lean path
# and without, compared (lib.sh).
same() { same_without FINSCOPE_NO_LEAN "$@"; }

for opts in "" "--threads 1"; do
    same_on_samples same "$opts"
    check "every sample ($n) the same without the lean path${opts:+ ($opts)}" \
        none_failed
done
# The options that move deadlines, freezing and eviction each on every
# other sample, in turn: each sample under three of the six (all six on
# every sample ran 1,884 finscopes, about two minutes of one make slot
# under the sanitizers, session 30).
k=0
for opts in "--freeze-after 0" "--freeze-after 0.2" "--idle-timeout 1" \
        "--msl 0.5" "--max-flows 2" "--rfc1337"; do
    same_on_samples same "$opts" $((k % 2))/2
    check "every other sample ($n) the same without the lean path ($opts)" \
        none_failed
    k=$((k + 1))
done

GENTRACE=${GENTRACE:-$G_TEST_BUILDDIR/bench/gentrace}
if [ -x "$GENTRACE" ]; then
    "$GENTRACE" --seed 16 --connections 3000 --concurrency 600 --rate 500 \
        --avg-size 300 --out "$OUT/gen.pcap" 2> /dev/null
    check "a generated trace: the same without the lean path" \
        same gen -r "$OUT/gen.pcap"
    check "... and with --idle-timeout 2 --max-memory 1M" \
        same gen-budget --idle-timeout 2 --max-memory 1M -r "$OUT/gen.pcap"
else
    skip "bench/gentrace missing: no generated trace"
fi
finish
