#!/bin/sh
# finscope: the figures README quotes outside make bench's table, measured
# again: sharding and merging a 30,000-connection trace, --threads 4 and
# the default on it, the threads' CPU (bench/thread-cpu.py) on three
# traces, --json-flat / --json / text on the bench's medium trace, a
# 3-million-SYN flood, 1M client hosts each leaving a TIME_WAIT, and
# 32,000 reuses of one 4-tuple (wall time and peak RSS from
# /usr/bin/time). Run from a build tree configured without sanitizers,
# on an idle machine, after make bench (it reads bench/out/medium.pcap
# unless MEDIUM names another):
#     sh bench/figures.sh [OUTDIR]
# OUTDIR [/tmp/finscope-figures] gets the traces it makes (~1.5 GB at
# most at once; the largest removed after use). The output is plain
# lines, one a measurement, for README's ranges.
set -u
O=${1:-/tmp/finscope-figures}
mkdir -p "$O"
F=./finscope
B=$(dirname "$0")
M=${MEDIUM:-bench/out/medium.pcap}
T() { /usr/bin/time -f '%e s %M KiB' "$@" 2>&1 >/dev/null | tail -n 1; }

for f in $F ./bench/gentrace ./bench/genattack "$M"; do
    if [ ! -e "$f" ]; then
        echo "bench/figures.sh: $f is missing: run it from a build tree" \
            "after make bench (or make finscope bench/gentrace" \
            "bench/genattack, and MEDIUM=TRACE)" >&2
        exit 1
    fi
done
echo "commit $(git -C "$B" describe --always --dirty 2>/dev/null)"
./bench/gentrace --seed 1 --connections 30000 --out "$O/t30k.pcap" 2>/dev/null
for _ in 1 2 3; do echo "t30k threads1: $(T $F --threads 1 --json -r "$O/t30k.pcap")"; done
for _ in 1 2 3; do echo "t30k default: $(T $F --json -r "$O/t30k.pcap")"; done
for _ in 1 2 3; do echo "t30k threads4: $(T $F --threads 4 --json -r "$O/t30k.pcap")"; done
for k in 0 1 2 3; do
    echo "t30k shard $k/4: $(/usr/bin/time -f '%e s %M KiB' $F --json \
        --shard $k/4 -r "$O/t30k.pcap" 2>&1 > "$O/shard-$k.jsonl" | tail -n 1)"
done
echo "merge: $(T $F merge "$O"/shard-0.jsonl "$O"/shard-1.jsonl \
    "$O"/shard-2.jsonl "$O"/shard-3.jsonl)"
./bench/gentrace --seed 2 --connections 100000 --avg-size 100 \
    --concurrency 20000 --rate 20000 --out "$O/t2.pcap" 2>/dev/null
./bench/genattack --syn-flood 300000 --out "$O/syn300k.pcap" 2>/dev/null
for t in t30k t2 syn300k; do
    for n in 1 4; do
        echo "thread-cpu $t threads$n: $(python3 "$B/thread-cpu.py" $F \
            --threads $n --json -r "$O/$t.pcap" | tr '\n' ' ')"
    done
done
for _ in 1 2 3; do
    echo "medium json-flat: $(T $F --json-flat -r "$M")"
    echo "medium json: $(T $F --json -r "$M")"
    echo "medium text: $(T $F -r "$M")"
done
echo "medium json-flat bytes: $($F --json-flat -r "$M" | wc -c)"
./bench/genattack --syn-flood 3000000 --out "$O/syn3m.pcap" 2>/dev/null
for _ in 1 2; do echo "synflood 3M: $(T $F --json -r "$O/syn3m.pcap")"; done
rm -f "$O/syn3m.pcap"
./bench/genattack --reuse 1000000 --new-hosts --interval-us 100 \
    --out "$O/tw1m.pcap" 2>/dev/null
echo "tw1m json: $(T $F --json -r "$O/tw1m.pcap")"
echo "tw1m text: $(T $F -r "$O/tw1m.pcap")"
rm -f "$O/tw1m.pcap"
./bench/genattack --reuse 32000 --out "$O/reuse32k.pcap" 2>/dev/null
for _ in 1 2 3; do echo "reuse 32000: $(T $F --json -r "$O/reuse32k.pcap")"; done
