#!/bin/sh
# finscope tests: --threads N, the engine in N flow-hash shards (issue
# 17). For every sample and generated traces, N = 2, 3, 4 print what
# --threads 1 prints, byte for byte: JSON with --events and text, conn
# ids, record and event order, summary, peaks, --timeline. Not compared:
# memory_peak (printed only when something was evicted, given up or
# pruned): the shards' engines each hold their own tables (and every
# server known), so it is the sum of their peaks, not one engine's.
. "$(dirname "$0")/lib.sh"

GENTRACE=${GENTRACE:-$G_TEST_BUILDDIR/bench/gentrace}
GENATTACK=${GENATTACK:-$G_TEST_BUILDDIR/bench/genattack}

# memory_peak blanked (see above).
normal() {
    sed 's/"memory_peak":[0-9]*/"memory_peak":_/' "$1"
}

# same_all NAME [OPTIONS]: finscope OPTIONS with --threads 1, 2, 3, 4;
# every output (and, with TIMELINE=1, the --timeline CSV) the same as
# --threads 1's.
same_all() {
    name=$1
    shift
    for n in 1 2 3 4; do
        if [ "${TIMELINE:-0}" = 1 ]; then
            "$FINSCOPE" --threads "$n" "$@" \
                --timeline "$OUT/$name.t$n.csv" > "$OUT/$name.t$n" ||
                return 1
            [ -s "$OUT/$name.t$n.csv" ] || { echo "empty timeline"; return 1; }
            cmp "$OUT/$name.t1.csv" "$OUT/$name.t$n.csv" || return 1
        else
            "$FINSCOPE" --threads "$n" "$@" > "$OUT/$name.t$n" || return 1
        fi
        normal "$OUT/$name.t$n" > "$OUT/$name.n$n"
        if [ "$n" -eq 1 ]; then
            [ -s "$OUT/$name.t1" ] || { echo "empty output"; return 1; }
            continue
        fi
        diff -u "$OUT/$name.n1" "$OUT/$name.n$n" | head -20
        cmp -s "$OUT/$name.n1" "$OUT/$name.n$n" || {
            echo "--threads $n differs"
            return 1
        }
    done
}

# (leak checks on the generated traces below: lib.sh)
leaks_off
while read -r name pcap expected opts; do
    case $name in ''|'#'*) continue ;; esac
    case " $opts " in *" --ladder "*) continue ;; esac
    # shellcheck disable=SC2086
    check "threads $name: JSON --events, N = 1..4 the same" \
        same_all "$name.j" --json --events $opts -r "$SAMPLES/$pcap"
    # shellcheck disable=SC2086
    check "threads $name: text, N = 1..4 the same" \
        same_all "$name.x" $opts -r "$SAMPLES/$pcap"
done < "$SAMPLES/TRACES"
leaks_on

# Generated: many connections interleaved (sweeps finishing several
# shards' connections at once, more than the 100 hosts a summary keeps),
# one 4-tuple reused 300 times, a SYN flood; two files at once.
"$GENTRACE" --seed 5 --connections 3000 --concurrency 300 --rate 500 \
    --clients 400 --servers 5 --out "$OUT/gen.pcap" > /dev/null 2>&1
"$GENATTACK" --reuse 300 --interval-us 3000 --out "$OUT/reuse.pcap" \
    > /dev/null 2>&1
"$GENATTACK" --syn-flood 2000 --rate 1000 --out "$OUT/flood.pcap" \
    > /dev/null 2>&1
for t in gen reuse flood; do
    check "threads $t: JSON --events, N = 1..4 the same" \
        same_all "$t.j" --json --events -r "$OUT/$t.pcap"
    check "threads $t: text, N = 1..4 the same" \
        same_all "$t.x" -r "$OUT/$t.pcap"
done
same_all_timeline() {
    TIMELINE=1
    same_all "$@"
}
check "threads gen: --timeline, N = 1..4 the same" \
    same_all_timeline gen.tl --json -r "$OUT/gen.pcap"
check "threads gen + reuse (two files): N = 1..4 the same" \
    same_all two.j --json --events -r "$OUT/gen.pcap" -r "$OUT/reuse.pcap"
check "threads gen: --top 3, N = 1..4 the same" \
    same_all gen.top --top 3 -r "$OUT/gen.pcap"
# --msl 1: TIME_WAITs end at 2*MSL inside the capture (timewait.c), in
# the ledger as in one engine
check "threads gen: --msl 1, N = 1..4 the same" \
    same_all gen.msl --json --events --msl 1 -r "$OUT/gen.pcap"

# Roles: a SYN-ACK teaches that 10.9.0.1:9000 is a server; 24
# connections caught mid-stream (their server speaks first, from the
# higher port) are then told by it, whichever shard runs them and
# whichever ran the handshake.
{
    echo "1700000000.000000 10.9.0.2:40000 > 10.9.0.1:9000 S 100 0 0"
    echo "1700000000.000100 10.9.0.1:9000 > 10.9.0.2:40000 SA 500 101 0"
    echo "1700000000.000200 10.9.0.2:40000 > 10.9.0.1:9000 A 101 501 0"
    p=100
    while [ "$p" -lt 124 ]; do
        echo "1700000000.$((100000 + 20 * p)) 10.9.0.1:9000 >" \
            "10.9.0.3:$p PA 7000 3000 10"
        echo "1700000000.$((100010 + 20 * p)) 10.9.0.3:$p >" \
            "10.9.0.1:9000 A 3000 7010 0"
        p=$((p + 1))
    done
} > "$OUT/roles.trace"
"$MKTRACE" "$OUT/roles.trace" "$OUT/roles.pcap" > /dev/null
roles_known() {
    same_all roles.j --json -r "$OUT/roles.pcap" || return 1
    # the mid-stream ones: server 10.9.0.1:9000, roles inferred
    n=$(grep -c '"client":"10.9.0.3:[0-9]*","server":"10.9.0.1:9000"' \
        "$OUT/roles.j.t4")
    [ "$n" -eq 24 ] || { echo "$n of 24 with the known server"; return 1; }
}
check "threads roles: a server learnt in one shard tells roles in others" \
    roles_known

# finscope check --threads N: the same baseline and the same verdicts
# (failing ones list connections by id, and the TIME_WAIT peak the
# ledger counted).
check_same() {
    for n in 1 2 3 4; do
        "$FINSCOPE" check --threads "$n" --update \
            --baseline "$OUT/check.t$n.expect" -r "$OUT/gen.pcap" \
            > /dev/null || return 1
        cmp "$OUT/check.t1.expect" "$OUT/check.t$n.expect" || return 1
        "$FINSCOPE" check --threads "$n" --tap \
            --baseline "$OUT/check.t1.expect" \
            --assert 'time_wait_peak < 2' --assert 'resets == 0' \
            --assert 'final_ack_lost == 0' \
            -r "$OUT/gen.pcap" > "$OUT/check.t$n.tap"
        [ $? -eq 1 ] || { echo "check --threads $n: not 1"; return 1; }
        cmp "$OUT/check.t1.tap" "$OUT/check.t$n.tap" || return 1
    done
    grep -q '^ok 1 - baseline' "$OUT/check.t4.tap" &&
        grep -q 'time_wait_peak is [1-9][0-9]*,' "$OUT/check.t4.tap" &&
        grep -q '^#   #[0-9]' "$OUT/check.t4.tap" ||
        { echo "no verdicts to compare"; return 1; }
}
check "check --threads N: N = 1..4 the same baseline and verdicts" \
    check_same

# N shards are N threads: a capture read from a FIFO that stays open
# holds them (main, reader, 4 shards), finscope's and finscope check's.
shard_threads() {
    rm -f "$OUT/fifo"
    mkfifo "$OUT/fifo" || return 1
    "$FINSCOPE" "$@" --threads 4 -r "$OUT/fifo" > "$OUT/fifo.out" &
    pid=$!
    # read-write: does not block should finscope be gone already
    exec 3<> "$OUT/fifo"
    head -c 2000 "$OUT/gen.pcap" >&3
    tasks=0
    i=0
    while [ "$i" -lt 50 ]; do
        tasks=$(ls "/proc/$pid/task" 2>/dev/null | wc -l)
        [ "$tasks" -ge 6 ] && break
        sleep 0.1
        i=$((i + 1))
    done
    exec 3>&-
    # not all there: it may still wait to open the FIFO
    [ "$tasks" -ge 6 ] || kill "$pid" 2>/dev/null
    wait "$pid"
    [ "$tasks" -ge 6 ] || { echo "$tasks threads, want 6"; return 1; }
}
check "--threads 4: four engine threads and a reader" shard_threads --json
check "check --threads 4: four engine threads and a reader" \
    shard_threads check --assert 'resets >= 0'

usage() {
    "$FINSCOPE" "$@" -r "$SAMPLES/simultaneous-close.pcap" > /dev/null 2>&1
    [ $? -eq 2 ]
}
check "--threads 65 is a usage error" usage --threads 65
check "--threads -1 is a usage error" usage --threads -1
check "--threads 2 with --shard is a usage error" \
    usage --json --threads 2 --shard 0/2
check "check --threads 65 is a usage error" usage check --threads 65
finish
