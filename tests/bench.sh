#!/bin/sh
# finscope tests: the benchmark's trace generator and floor (bench/) make
# and read what they say, and finscope agrees with them.
. "$(dirname "$0")/lib.sh"

GENTRACE="$G_TEST_BUILDDIR/bench/gentrace"
FLOOR="$G_TEST_BUILDDIR/bench/floor"

# gen SEED FILE [OPTIONS]: 400 connections, about 100 open at once,
# over 4 s of capture.
gen() {
    seed=$1 file=$2
    shift 2
    "$GENTRACE" --seed "$seed" --connections 400 --concurrency 100 \
        --rate 100 "$@" --out "$file" 2> "$file.log"
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

# --anomalies scales the non-clean closes: 1 is the default mix, byte for
# byte (the bench's traces stay the same), 2 doubles them, 0 leaves only
# clean ones; finscope sees what gentrace says it wrote.
gen 7 "$OUT/a1.pcap" --anomalies 1
check "--anomalies 1 gives the default's bytes" cmp "$OUT/a.pcap" "$OUT/a1.pcap"
gen 7 "$OUT/a2.pcap" --anomalies 2
gen_rst2=$(sed -n 's/.* rst \([0-9]*\).*/\1/p' "$OUT/a2.pcap.log")
gen_open2=$(sed -n 's/.* open \([0-9]*\)$/\1/p' "$OUT/a2.pcap.log")
check "--anomalies 2: more than 1.5 times the RST aborts ($gen_rst2, $gen_rst)" \
    test "$((2 * gen_rst2))" -gt "$((3 * gen_rst))"
fs_run "$OUT/a2.jsonl" --json -r "$OUT/a2.pcap"
close=$(tail -n 1 "$OUT/a2.jsonl" | sed -n 's/.*"close":{\([^}]*\)}.*/\1/p')
check "--anomalies 2: resets and open as gentrace said" \
    test "$(close_count reset)" = "$gen_rst2" -a \
        "$(close_count open)" = "$gen_open2"
gen 7 "$OUT/a0.pcap" --anomalies 0
fs_run "$OUT/a0.jsonl" --json -r "$OUT/a0.pcap"
close=$(tail -n 1 "$OUT/a0.jsonl" | sed -n 's/.*"close":{\([^}]*\)}.*/\1/p')
check "--anomalies 0: no reset, none left open" \
    test "$(close_count reset)" = 0 -a "$(close_count open)" = 0
check "--anomalies 0: gentrace wrote only clean closes" \
    grep -q ' half_close 0 rst 0 simultaneous 0 fin_retransmit 0 final_ack_lost 0 open 0$' \
    "$OUT/a0.pcap.log"
check "--anomalies 4 (more than 100%) is refused (exit 2)" \
    sh -c "'$GENTRACE' --anomalies 4 --out '$OUT/x.pcap' 2> /dev/null;
           test \$? = 2"

# The reader thread changes nothing: many batches of packets, each run
# with a second thread the same as one without (a race that lost the last
# batches now and then was caught this way); nor do two engine shards
# behind it (--threads 2).
"$GENTRACE" --seed 3 --connections 4000 --concurrency 500 --rate 400 \
    --out "$OUT/t.pcap" 2> /dev/null
fs_run "$OUT/t1.jsonl" --threads 1 --json --events -r "$OUT/t.pcap"
check "the threads trace has 4000 connections" \
    test "$(grep -c '"type":"conn"' "$OUT/t1.jsonl")" = 4000
for run in 1 2 3 4 5; do
    fs_run "$OUT/t2.jsonl" --json --events -r "$OUT/t.pcap"
    check "reader thread run $run: the same output as --threads 1" \
        cmp "$OUT/t1.jsonl" "$OUT/t2.jsonl"
    fs_run "$OUT/t2.jsonl" --threads 2 --json --events -r "$OUT/t.pcap"
    check "--threads 2 run $run: the same output as --threads 1" \
        cmp "$OUT/t1.jsonl" "$OUT/t2.jsonl"
done

# Offline text holds records for one table at the end, up to 10,000: past
# that it prints them as they come, so memory does not grow with the
# capture; every record is still printed once, the summary last.
"$GENTRACE" --seed 5 --connections 10500 --concurrency 300 --rate 2000 \
    --avg-size 100 --out "$OUT/many.pcap" 2> /dev/null
fs_run "$OUT/many.txt" -r "$OUT/many.pcap"
check "past 10,000 records text says it turns to lines" \
    grep -q '^More than 10000 connections' "$OUT/many.txt"
check "every one of the 10,500 records printed once" \
    test "$(grep '^conn #' "$OUT/many.txt" | sort -u | wc -l)" = 10500
check "the summary comes last, with all 10,500 connections" \
    sh -c "sed -n '/^Summary/,\$p' '$OUT/many.txt' |
           grep -q '^  connections  *10500\$'"
fs_run "$OUT/few.txt" -r "$OUT/t.pcap"
check "4,000 records: one table, no such line" \
    sh -c "! grep -q -e '^More than' -e '^conn #' '$OUT/few.txt' &&
           grep -q '^ID  *CLIENT' '$OUT/few.txt'"

check "gentrace --print-sizes names FsConn" \
    sh -c "'$GENTRACE' --print-sizes | grep -q '^sizeof(FsConn) [0-9]'"
finish
