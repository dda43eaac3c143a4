#!/bin/sh
# finscope tests: the benchmark's trace generator and floor (bench/) make
# and read what they say, and finscope agrees with them.
. "$(dirname "$0")/lib.sh"

GENTRACE="$G_TEST_BUILDDIR/bench/gentrace"
FLOOR="$G_TEST_BUILDDIR/bench/floor"

# 400 connections, about 100 open at once, over 4 s of capture.
gen() {
    "$GENTRACE" --seed "$1" --connections 400 --concurrency 100 --rate 100 \
        --out "$2" 2> "$2.log"
}

check "gentrace writes a trace" gen 7 "$OUT/a.pcap"
gen 7 "$OUT/b.pcap"
check "the same seed gives the same bytes" cmp "$OUT/a.pcap" "$OUT/b.pcap"
gen 8 "$OUT/c.pcap"
if cmp -s "$OUT/a.pcap" "$OUT/c.pcap"; then
    not_ok "another seed gives another trace"
else
    ok "another seed gives another trace"
fi

packets=$("$FLOOR" "$OUT/a.pcap" | awk '{ print $2 }')
tcp=$("$FLOOR" "$OUT/a.pcap" | awk '{ print $4 }')
said=$(sed -n 's/.* \([0-9]*\) packets,.*/\1/p' "$OUT/a.pcap.log")
check "floor reads every packet as TCP ($packets)" \
    test "$packets" = "$said" -a "$tcp" = "$said"

fs_run "$OUT/a.jsonl" --json -r "$OUT/a.pcap"
summary=$(tail -n 1 "$OUT/a.jsonl")
field() {
    printf '%s\n' "$summary" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" |
        head -n 1
}
check "finscope counts the same packets" test "$(field packets)" = "$said"
check "finscope finds 400 connections" test "$(field connections)" = 400

# The generator's close mix as finscope sees it: its RST aborts reset,
# its connections left open stay open.
close=$(printf '%s\n' "$summary" | sed -n 's/.*"close":{\([^}]*\)}.*/\1/p')
gen_rst=$(sed -n 's/.* rst \([0-9]*\).*/\1/p' "$OUT/a.pcap.log")
gen_open=$(sed -n 's/.* open \([0-9]*\)$/\1/p' "$OUT/a.pcap.log")
# close_count KIND: finscope's count of that close kind.
close_count() {
    printf '%s\n' "$close" | tr ',' '\n' | sed -n "s/^\"$1\":\([0-9]*\)$/\1/p"
}
check "gentrace said how many RST aborts ($gen_rst) and left open ($gen_open)" \
    test -n "$gen_rst" -a -n "$gen_open"
check "RST aborts are resets ($gen_rst)" test "$(close_count reset)" = "$gen_rst"
check "connections left open are open ($gen_open)" \
    test "$(close_count open)" = "$gen_open"

# The reader thread changes nothing: many batches of packets, each run
# with a second thread the same as one without (a race that lost the last
# batches now and then was caught this way).
"$GENTRACE" --seed 3 --connections 4000 --concurrency 500 --rate 400 \
    --out "$OUT/t.pcap" 2> /dev/null
fs_run "$OUT/t1.jsonl" --threads 1 --json --events -r "$OUT/t.pcap"
check "the threads trace has 4000 connections" \
    test "$(grep -c '"type":"conn"' "$OUT/t1.jsonl")" = 4000
for run in 1 2 3 4 5; do
    fs_run "$OUT/t2.jsonl" --threads 2 --json --events -r "$OUT/t.pcap"
    check "--threads 2 run $run: the same output as --threads 1" \
        cmp "$OUT/t1.jsonl" "$OUT/t2.jsonl"
done

check "gentrace --print-sizes names FsConn" \
    sh -c "'$GENTRACE' --print-sizes | grep -q '^sizeof(FsConn) [0-9]'"
finish
