#!/bin/sh
# finscope tests: --shard K/N and finscope merge (issue 17). For every
# sample and a small gentrace trace, merging shards 0..3 of 4 gives the
# single run's output line for line, but connections_peak (the largest
# shard's in a merge). Also: --threads N gives the same output for
# N = 1, 2.
. "$(dirname "$0")/lib.sh"

GENTRACE=${GENTRACE:-$G_TEST_BUILDDIR/bench/gentrace}

# connections_peak blanked.
normal() {
    sed 's/"connections_peak":[0-9]*/"connections_peak":_/;
         s/"memory_peak":[0-9]*/"memory_peak":_/' "$1"
}

# shard_merge NAME PCAP N [OPTIONS]: single run vs merge of N shards.
shard_merge() {
    name=$1 pcap=$2 n=$3
    shift 3
    "$FINSCOPE" --json -r "$pcap" "$@" > "$OUT/$name.one" || return 1
    files=
    k=0
    while [ "$k" -lt "$n" ]; do
        "$FINSCOPE" --json --shard "$k/$n" -r "$pcap" "$@" \
            > "$OUT/$name.$k" || return 1
        files="$files $OUT/$name.$k"
        k=$((k + 1))
    done
    # shellcheck disable=SC2086
    "$FINSCOPE" merge $files > "$OUT/$name.merged" || return 1
    normal "$OUT/$name.one" > "$OUT/$name.one.n"
    normal "$OUT/$name.merged" > "$OUT/$name.merged.n"
    diff -u "$OUT/$name.one.n" "$OUT/$name.merged.n"
}

# threads_same NAME PCAP [OPTIONS]: --threads 1 and 2 byte-identical
# but memory_peak (two engines' tables: tests/threads.sh).
threads_same() {
    name=$1 pcap=$2
    shift 2
    "$FINSCOPE" --json --threads 1 -r "$pcap" "$@" > "$OUT/$name.t1" ||
        return 1
    "$FINSCOPE" --json --threads 2 -r "$pcap" "$@" > "$OUT/$name.t2" ||
        return 1
    sed 's/"memory_peak":[0-9]*/"memory_peak":_/' "$OUT/$name.t1" \
        > "$OUT/$name.t1.n"
    sed 's/"memory_peak":[0-9]*/"memory_peak":_/' "$OUT/$name.t2" \
        > "$OUT/$name.t2.n"
    cmp "$OUT/$name.t1.n" "$OUT/$name.t2.n"
}

# (not $name: check() sets that; leak checks on the generated traces
# below: lib.sh)
leaks_off
while read -r sample pcap expected opts; do
    case $sample in ''|'#'*) continue ;; esac
    case " $opts " in *" --ladder "*) continue ;; esac
    # shellcheck disable=SC2086
    check "shard $sample: merge of 4 shards = one run" \
        shard_merge "$sample" "$SAMPLES/$pcap" 4 $opts
    # shellcheck disable=SC2086
    check "threads $sample: --threads 1 = --threads 2" \
        threads_same "$sample" "$SAMPLES/$pcap" $opts
done < "$SAMPLES/TRACES"
leaks_on

# Many connections (and more than the 100 hosts a summary lists): shards
# of other sizes, --events, two files at once.
"$GENTRACE" --seed 3 --connections 3000 --concurrency 300 --rate 500 \
    --clients 400 --servers 5 --out "$OUT/gen.pcap" > /dev/null 2>&1
check "shard gentrace: merge of 4 shards = one run" \
    shard_merge gen4 "$OUT/gen.pcap" 4
check "shard gentrace --events: merge of 4 shards = one run" \
    shard_merge gen4e "$OUT/gen.pcap" 4 --events
check "shard gentrace: merge of 3 shards = one run" \
    shard_merge gen3 "$OUT/gen.pcap" 3
check "shard gentrace: 1 shard = one run" shard_merge gen1 "$OUT/gen.pcap" 1
check "shard two files: merge of 4 shards = one run" \
    shard_merge two "$SAMPLES/reuse-client-time-wait.pcap" 4 \
    -r "$SAMPLES/simultaneous-close.pcap"
check "threads gentrace: --threads 1 = --threads 2" \
    threads_same gen "$OUT/gen.pcap"

# --idle-timeout: a connection quiet that long is handed over while the
# capture goes on, and a TIME_WAIT its record leaves no longer counts as
# held from then (engine.c's on_forget()); its shard writes that exit
# ("forgotten") for merge, and no state event (the socket is still in
# TIME_WAIT). crafted-time-wait-restart's three TIME_WAITs (2*MSL 60 s)
# are each forgotten at the first segment 2 s after their last (+10,
# +30, +91): one held at a time, peak 1. Before, merge held each to its
# 2*MSL: peak 3 at +30.0065, 3 at the end.
check "shard crafted-time-wait-restart --idle-timeout 2: merge of 4 shards = one run" \
    shard_merge idle "$SAMPLES/crafted-time-wait-restart.pcap" 4 \
    --events --idle-timeout 2
check "threads crafted-time-wait-restart --idle-timeout 2: --threads 1 = --threads 2" \
    threads_same idle "$SAMPLES/crafted-time-wait-restart.pcap" \
    --events --idle-timeout 2

# Frames beside TCP (UDP, ARP) are counted by shard 0 and move no clock,
# in any shard as in one run (audit 18p F4: in the other shards they
# moved it, so a sweep there settled records at an NTP frame's time, not
# at the next TCP segment's as one run does: other state_age, records in
# another order); a server seen accepting in one shard is known to all
# (samples/crafted-non-tcp-clock.trace, also merged from 4 shards above).
for n in 2 3; do
    check "shard crafted-non-tcp-clock: merge of $n shards = one run" \
        shard_merge non-tcp$n "$SAMPLES/crafted-non-tcp-clock.pcap" $n --events
done
# The gentrace trace with an mDNS datagram or an ARP request every 0.1 s
# from its start to its end (9.7 s: the capture's end stays its last TCP
# segment's), joined into one file in time order (ties to the trace) as
# finscope merges files.
awk 'BEGIN { for (i = 0; i < 96; i++) { t = 1700000000.05 + i * 0.1
    if (i % 3 == 2) printf "%.6f 10.99.0.1:0 > 10.99.0.2:0 arp\n", t
    else printf "%.6f 10.99.0.1:5353 > 224.0.0.251:5353 udp 40\n", t } }' \
    > "$OUT/side.trace"
"$MKTRACE" "$OUT/side.trace" "$OUT/side.pcap"
python3 - "$OUT/gen-side.pcap" "$OUT/gen.pcap" "$OUT/side.pcap" <<'PY'
import struct, sys
recs = []
for n, path in enumerate(sys.argv[2:]):
    d = open(path, 'rb').read()
    order = '<' if d[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    scale = 1 if d[:4] in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d') else 1000
    link = struct.unpack(order + 'I', d[20:24])[0]
    pos = 24
    while pos + 16 <= len(d):
        sec, frac, cap, wire = struct.unpack(order + 'IIII', d[pos:pos + 16])
        recs.append((sec * 10**9 + frac * scale, n, pos, wire,
                     d[pos + 16:pos + 16 + cap]))
        pos += 16 + cap
recs.sort(key=lambda r: r[:3])
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b23c4d, 2, 4, 0, 0, 262144, link))
    for ts, _, _, wire, data in recs:
        f.write(struct.pack('<IIII', ts // 10**9, ts % 10**9, len(data), wire))
        f.write(data)
PY
check "shard gentrace with UDP and ARP frames: merge of 4 shards = one run" \
    shard_merge side4 "$OUT/gen-side.pcap" 4
check "shard gentrace with UDP and ARP frames --events: merge of 3 shards = one run" \
    shard_merge side3e "$OUT/gen-side.pcap" 3 --events
# ... the same records and events as with a 'tcp' filter, which reads
# none of them (the summary counts them, a shard's clock lines follow
# them: not compared). Before, a shard's differed.
no_side_effect() {
    "$FINSCOPE" --json --events -r "$OUT/gen-side.pcap" "$@" |
        grep -E '"type":"(conn|event)"' > "$OUT/side.all" &&
        "$FINSCOPE" --json --events -r "$OUT/gen-side.pcap" "$@" tcp |
        grep -E '"type":"(conn|event)"' > "$OUT/side.tcp" &&
        cmp "$OUT/side.all" "$OUT/side.tcp"
}
check "frames beside TCP change no record (one run)" no_side_effect
check "frames beside TCP change no record (--shard 1/4)" no_side_effect \
    --shard 1/4

# Every connection in exactly one shard: the shards' conn records
# together are the single run's (ids aside).
conns_partition() {
    for k in 0 1 2 3; do
        grep '"type":"conn"' "$OUT/gen4.$k"
    done | sed 's/"id":[0-9]*,//; s/"reuse_of":[0-9]*/"reuse_of":_/' |
        sort > "$OUT/parts"
    grep '"type":"conn"' "$OUT/gen4.one" |
        sed 's/"id":[0-9]*,//; s/"reuse_of":[0-9]*/"reuse_of":_/' |
        sort > "$OUT/whole"
    cmp "$OUT/parts" "$OUT/whole" &&
        [ "$(grep -c '"type":"conn"' "$OUT/gen4.0")" -gt 0 ] &&
        [ "$(grep -c '"type":"conn"' "$OUT/gen4.3")" -gt 0 ]
}
check "shard gentrace: each connection in exactly one shard" conns_partition

# Shards list every service; merge applies --top (as given to the shards,
# or its own) to the sums.
top_services() {
    want=$1
    shift
    "$FINSCOPE" merge "$@" "$OUT/gen4.0" "$OUT/gen4.1" "$OUT/gen4.2" \
        "$OUT/gen4.3" > "$OUT/top" || return 1
    got=$(grep -c '"type":"service"' "$OUT/top")
    [ "$got" -eq "$want" ] || { echo "$got services, want $want"; return 1; }
}
check "merge --top 2: the 2 busiest services" top_services 2 --top 2
check "merge --top 0: every service (10)" top_services 10 --top 0

# Inputs merge refuses.
refuses() {
    status=$1
    shift
    "$FINSCOPE" merge "$@" > /dev/null 2> "$OUT/err"
    [ $? -eq "$status" ] && grep -q '^finscope merge: ' "$OUT/err"
}
check "merge: a shard missing" refuses 1 "$OUT/gen4.0" "$OUT/gen4.1" \
    "$OUT/gen4.2"
check "merge: a shard twice" refuses 1 "$OUT/gen4.0" "$OUT/gen4.1" \
    "$OUT/gen4.2" "$OUT/gen4.2"
check "merge: not a shard's output" refuses 1 "$OUT/gen4.one"
check "merge: no files" refuses 2
check "merge --top -1: a usage error" refuses 2 --top -1 "$OUT/gen4.0" \
    "$OUT/gen4.1" "$OUT/gen4.2" "$OUT/gen4.3"
usage() {
    "$FINSCOPE" --json --shard "$1" -r "$SAMPLES/simultaneous-close.pcap" \
        > /dev/null 2>&1
    [ $? -eq 2 ]
}
check "--shard 4/4 is a usage error" usage 4/4
check "--shard 1/0 is a usage error" usage 1/0
check "--shard x is a usage error" usage x
check "--shard needs --json" sh -c '"$0" --shard 0/2 -r "$1" >/dev/null 2>&1;
    [ $? -eq 2 ]' "$FINSCOPE" "$SAMPLES/simultaneous-close.pcap"
check "--threads 65 is refused (1 to 64 only)" sh -c '"$0" --threads 65 -r "$1" \
    >/dev/null 2>&1; [ $? -eq 2 ]' "$FINSCOPE" \
    "$SAMPLES/simultaneous-close.pcap"
finish
