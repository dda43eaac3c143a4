#!/bin/sh
# finscope tests: capture files read in place (src/1-engine/mapped.c)
# give the same report as through libpcap (FINSCOPE_NO_MMAP=1), byte for
# byte — stdout of --json --events, stderr and exit status — on every
# sample, cut anywhere, corrupted, merged, filtered, byte-swapped, and on
# the fuzz corpora when there are; pcapng too (tests/mkpcapng.py).
. "$(dirname "$0")/lib.sh"

# same NAME ARGS...: finscope --json --events ARGS read in place and through
# libpcap, compared (lib.sh).
same() { same_without FINSCOPE_NO_MMAP "$@"; }

# records_read on|off: the records the run's report says it read of the
# file it stopped in (0 when it names none).
records_read() {
    grep -o '"records_read":[0-9]*' "$OUT/$1.out" | tail -n 1 |
        sed 's/.*://' | grep . || echo 0
}

# same_ng NAME ARGS...: same (or $SAME), but where libpcap refuses an interface whose
# snapshot or link type differs from the first one's (the mapped reader
# reads on: mapped-pcapng.h), only that the mapped reader did not refuse
# it.
same_ng() {
    "${SAME:-same}" "$@" && return 0
    # (the mapped reader stopped at the same interface for another reason
    # and libpcap's words are all it says: FINSCOPE_NO_MMAP adds why the
    # file read in place might go further, and nothing else differs)
    for _f in out err; do
        sed 's/ (finscope [^)]* only when it reads the file in place[^)]*)//' \
            "$OUT/off.$_f" > "$OUT/off-plain.$_f"
    done
    if cmp -s "$OUT/off-plain.out" "$OUT/on.out" &&
        cmp -s "$OUT/off-plain.err" "$OUT/on.err"; then
        echo "(libpcap's refusal, its reason added without the mapped reader: $1)"
        return 0
    fi
    # (libpcap refused an interface the mapped reader read past: it read
    # on to its end, or to a later interface libpcap then refused when
    # it handed the file over: more records either way)
    if grep -q "different from the snapshot length of the first interface" \
        "$OUT/off.err" && { ! grep -q "snapshot length" "$OUT/on.err" ||
        [ "$(records_read on)" -gt "$(records_read off)" ]; }; then
        echo "(libpcap refused another snapshot: $1)"
        return 0
    fi
    # (the mapped reader may stop at a later interface that libpcap then
    # refuses the same way: one whose options libpcap fails on)
    grep -q "different from the type of the first interface" \
        "$OUT/off.err" &&
        echo "(libpcap refused another link type: $1)"
}

# traced SYSCALL WORD VAR ARGS...: "some" or "none": SYSCALL calls with
# WORD in them that finscope ARGS -r $sample makes (strace), with VAR=1
# in its environment (- for none).
traced() {
    _sys=$1 _word=$2 _var=$3
    shift 3
    set -- strace -f -o "$OUT/strace" -e trace="$_sys" "$FINSCOPE" "$@" \
        -r "$sample"
    [ "$_var" = - ] || set -- "$_var=1" "$@"
    env "$@" > /dev/null 2>&1
    if grep -q "$_word" "$OUT/strace"; then echo some; else echo none; fi
}

# on_not_off NAME SYSCALL WORD VAR ARGS...: finscope ARGS -r $sample
# makes SYSCALL calls with WORD in them, and none with VAR=1 in its
# environment; off_not_on: the other way round. Skipped when strace
# cannot run here.
on_not_off() { strace_check some,none "$@"; }
off_not_on() { strace_check none,some "$@"; }
strace_check() {
    if ! command -v strace > /dev/null 2>&1 ||
        ! strace -f -o "$OUT/strace" -e trace="$3" true 2> /dev/null; then
        skip "strace cannot run here"
        return 0
    fi
    _want=$1 _name=$2 _s=$3 _w=$4 _v=$5
    shift 5
    _got=$(traced "$_s" "$_w" - "$@"),$(traced "$_s" "$_w" "$_v" "$@")
    if [ "$_got" = "$_want" ]; then
        ok "$_name"
    else
        not_ok "$_name: $_w seen as is and with $_v: $_got"
    fi
}

# The fast path is taken at all: posix_fadvise(POSIX_FADV_SEQUENTIAL) on
# the file (before its reads into the window), and none with
# FINSCOPE_NO_MMAP set.
sample=$SAMPLES/client-close-first-v4.pcap
on_not_off "pcap files are read in place, FINSCOPE_NO_MMAP turns it off" \
    fadvise64 POSIX_FADV_SEQUENTIAL FINSCOPE_NO_MMAP

same_on_samples same
check "every sample ($n) the same both ways" none_failed

# With --threads 1 the engine's thread decodes, and with FINSCOPE_MAP
# set the file is mapped in chunks (fs_capture_map()): mmap(MAP_POPULATE)
# seen only then; the same reports as through libpcap.
same1() { same_with_without FINSCOPE_MAP FINSCOPE_NO_MMAP "$@" --threads 1; }
off_not_on "--threads 1 maps the file only with FINSCOPE_MAP set" \
    mmap MAP_POPULATE FINSCOPE_MAP --threads 1
same_on_samples same1
check "every sample ($n) the same mapped (--threads 1) and through libpcap" \
    none_failed

# same_and_same1 NAME ARGS...: same and same1 in three runs, not four:
# the window's report and the map's (--threads 1) each against the one
# libpcap run (--threads 1 changes no report of libpcap's either);
# returns 1 when the window's differs, 2 when the map's.
same_and_same1() {
    _name=$1
    shift
    compared=$((${compared:-0} + 1))
    json_run off FINSCOPE_NO_MMAP "$@"
    json_run on - "$@"
    on_as_off "$_name" || return 1
    json_run on FINSCOPE_MAP "$@" --threads 1
    on_as_off "$_name, mapped" || return 2
}

# The samples cut and corrupted below: each first one of its file header
# (magic, version, snapshot and link type: what the readers go by), and
# every third one besides (59 of 157). Each is compared two or three
# times for each of 9 cuts and 13 corruptions: over all samples those
# ~8,300 runs took about 13 of the 25 minutes this script took under
# the sanitizers (session 30), for no reader path the subset misses.
mutated_samples() {
    _i=0
    _kinds=
    for _f in "$SAMPLES"/*.pcap; do
        _k=$(header_kind "$_f")
        case " $_kinds " in
            *" $_k "*) [ $((_i % 3)) = 0 ] && echo "$_f" ;;
            *) _kinds="$_kinds $_k"; echo "$_f" ;;
        esac
        _i=$((_i + 1))
    done
}
mutated_samples > "$OUT/mutated"
mutated=$(wc -l < "$OUT/mutated")

# Cut inside the first record's header, inside its data, and near the
# end (inside the last header or data).
fails=
compared=0
: > "$OUT/why"
while read -r f; do
    size=$(wc -c < "$f")
    for cut in 25 32 39 41 60 $((size / 2)) $((size - 1)) $((size - 7)) \
            $((size - 17)); do
        [ "$cut" -gt 0 ] && [ "$cut" -lt "$size" ] || continue
        head -c "$cut" "$f" > "$OUT/cut.pcap"
        same_and_same1 "$f cut at $cut" -r "$OUT/cut.pcap" >> "$OUT/why"
        case $? in
            1) fails="$fails $(basename "$f"):$cut" ;;
            2) fails="$fails $(basename "$f"):$cut:mapped" ;;
        esac
    done
done < "$OUT/mutated"
check "$mutated samples cut anywhere: the same both ways (and mapped)" \
    none_failed

# u32_at FILE OFFSET: the 32-bit little-endian number there.
u32_at() {
    od -An -tu1 -j "$2" -N 4 "$1" |
        awk '{ printf "%.0f\n", $1 + 256 * ($2 + 256 * ($3 + 256 * $4)) }'
}

# put FILE OFFSET OCTAL-BYTES: overwrites bytes in place.
put() {
    # shellcheck disable=SC2059 # the bytes are the format
    printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2> /dev/null
}

# corrupted ORIGINAL COPY NAME: the copy differs from what it was made
# from (else the comparison after it is one more of a sample as it is);
# says so and fails if not.
corrupted() {
    cmp -s "$1" "$2" || return 0
    echo "not corrupted: $3"
    return 1
}

# Corrupt records (the samples are little-endian): the second record's
# caplen huge, beyond libpcap's maximum, one past the snapshot; the
# file's snapshot below its packets (libpcap cuts them); a time stamp
# with the sign bit set; bytes overwritten at spread offsets.
fails=
compared=0
: > "$OUT/why"
while read -r f; do
    magic=$(u32_at "$f" 0)
    # 2712847316 = 0xa1b2c3d4, 2712812621 = 0xa1b23c4d (little-endian)
    [ "$magic" = 2712847316 ] || [ "$magic" = 2712812621 ] || continue
    size=$(wc -c < "$f")
    second=$((24 + 16 + $(u32_at "$f" 32)))
    [ $((second + 16)) -le "$size" ] || continue
    b=$(basename "$f")
    for spec in "$((second + 8)) \377\377\377\377 huge" \
            "$((second + 8)) \001\000\004\000 over-max" \
            "16 \050\000\000\000 snap-40" \
            "$((second + 8)) \000\000\001\000 snap+1" \
            "$((second + 3)) \200 negative-time"; do
        set -- $spec
        cp "$f" "$OUT/bad.pcap"
        if [ "$3" = snap+1 ]; then
            put "$OUT/bad.pcap" 16 '\377\377\000\000' # snapshot 65535
        fi
        put "$OUT/bad.pcap" "$1" "$2"
        corrupted "$f" "$OUT/bad.pcap" "$b $3" >> "$OUT/why" &&
            same "$b $3" -r "$OUT/bad.pcap" >> "$OUT/why" ||
            fails="$fails $b:$3"
    done
    for off in $(awk -v n="$size" 'BEGIN { srand(16); for (i = 0; i < 8; i++)
                                        print 24 + int(rand() * (n - 24)) }'); do
        cp "$f" "$OUT/bad.pcap"
        put "$OUT/bad.pcap" "$off" '\377\177'
        corrupted "$f" "$OUT/bad.pcap" "$b byte $off" >> "$OUT/why" &&
            same "$b byte $off" -r "$OUT/bad.pcap" >> "$OUT/why" ||
            fails="$fails $b@$off"
    done
done < "$OUT/mutated"
check "corrupt records of $mutated samples: the same both ways" none_failed

# Several files merged by time, a filter on each record (frames counted
# all the same), and a file given twice.
set -- "$SAMPLES"/*.pcap
check "merge of every sample" same merge $(printf ' -r %s' "$@")
check "filter" same filter -r "$SAMPLES/reuse-in-time-wait.pcap" \
    -r "$SAMPLES/client-close-first-v4.pcap" 'tcp port 8001'
check "one file twice" same twice -r "$sample" -r "$sample"

# A byte-swapped (big-endian) copy of a sample: read in place too.
if command -v python3 > /dev/null 2>&1; then
    python3 - "$sample" "$OUT/swapped.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
out = bytearray(struct.pack('>IHHiIII', *struct.unpack('<IHHiIII', d[:24])))
pos = 24
while pos + 16 <= len(d):
    sec, frac, cap, ln = struct.unpack('<IIII', d[pos:pos + 16])
    out += struct.pack('>IIII', sec, frac, cap, ln) + d[pos + 16:pos + 16 + cap]
    pos += 16 + cap
open(sys.argv[2], 'wb').write(out)
PY
    check "byte-swapped file" same swapped -r "$OUT/swapped.pcap"
    size=$(wc -c < "$OUT/swapped.pcap")
    head -c $((size - 5)) "$OUT/swapped.pcap" > "$OUT/swapped-cut.pcap"
    check "byte-swapped file, cut" same swapped-cut -r "$OUT/swapped-cut.pcap"
else
    skip "byte-swapped file: no python3"
fi

# pcapng (src/1-engine/mapped-pcapng.c): every sample written as pcapng
# in each variant of tests/mkpcapng.py (both byte orders, several
# sections and interfaces, us, ns, ms, ps and 2^-20 resolutions, time
# offsets, simple packet blocks, blocks to skip, and half-way through a
# file what the parser leaves to libpcap); then cut anywhere and
# corrupted.
if command -v python3 > /dev/null 2>&1; then
    mkdir -p "$OUT/ng"
    fails=
    compared=0
    : > "$OUT/why"
    for f in "$SAMPLES"/*.pcap; do
        python3 "$G_TEST_SRCDIR/tests/mkpcapng.py" "$f" "$OUT/ng" ||
            fails="$fails mkpcapng:$(basename "$f")"
    done
    # every sample in three variants, every fifth in all (the whole set
    # takes minutes)
    n=0
    i=0
    for f in "$SAMPLES"/*.pcap; do
        stem=$OUT/ng/$(basename "$f" .pcap)
        if [ $((i % 5)) = 0 ]; then
            set -- "$stem"-*.pcapng
        else
            set -- "$stem"-le-us.pcapng "$stem"-be-ns.pcapng \
                "$stem"-sections.pcapng
        fi
        i=$((i + 1))
        for g in "$@"; do
            n=$((n + 1))
            same_ng "$g" -r "$g" >> "$OUT/why" ||
                fails="$fails $(basename "$g")"
        done
    done
    check "every sample as pcapng, $n files: the same both ways" none_failed

    # and pcapng files are read in place too
    ng=$OUT/ng/client-close-first-v4-sections.pcapng
    if command -v strace > /dev/null 2>&1 &&
        strace -f -o "$OUT/strace" -e trace=fadvise64 true 2> /dev/null; then
        strace -f -o "$OUT/strace" -e trace=fadvise64 "$FINSCOPE" -r "$ng" \
            > /dev/null 2>&1
        check "pcapng files are read in place" grep -q POSIX_FADV_SEQUENTIAL "$OUT/strace"
    else
        skip "pcapng files are read in place: strace cannot run here"
    fi

    # cut and corrupted: every eighth of two variants (every fourth took
    # 2,300 sanitized runs, 4 of CI's minutes)
    fails=
    compared=0
    : > "$OUT/why"
    i=0
    for f in "$OUT"/ng/*-sections.pcapng "$OUT"/ng/*-be-ns.pcapng; do
        i=$((i + 1))
        [ $((i % 8)) = 1 ] || continue
        size=$(wc -c < "$f")
        for cut in 4 12 30 100 $((size / 3)) $((size / 2)) $((size - 1)) \
                $((size - 4)) $((size - 13)); do
            [ "$cut" -gt 0 ] && [ "$cut" -lt "$size" ] || continue
            head -c "$cut" "$f" > "$OUT/cut.pcapng"
            same_ng "$f cut at $cut" -r "$OUT/cut.pcapng" >> "$OUT/why" ||
                fails="$fails $(basename "$f"):$cut"
        done
        for off in $(awk -v n="$size" 'BEGIN { srand(n); for (i = 0; i < 6; i++)
                                            print 28 + int(rand() * (n - 28)) }'); do
            cp "$f" "$OUT/bad.pcapng"
            put "$OUT/bad.pcapng" "$off" '\377\177'
            corrupted "$f" "$OUT/bad.pcapng" "$f byte $off" >> "$OUT/why" &&
                same_ng "$f byte $off" -r "$OUT/bad.pcapng" >> "$OUT/why" ||
                fails="$fails $(basename "$f")@$off"
        done
    done
    check "pcapng cut anywhere and corrupted: the same both ways" none_failed
    set -- "$OUT"/ng/*-sections.pcapng
    check "merge of the pcapng samples" same merge-ng $(printf ' -r %s' "$@")

    # Interfaces of other snapshots (dumpcap on several interfaces):
    # libpcap 1.10 refuses the file, the mapped reader reads it, the
    # report that of the same packets on one interface.
    f=$SAMPLES/half-close-v4.pcap
    python3 "$G_TEST_SRCDIR/tests/mkpcapng.py" --other-snaps "$f" \
        "$OUT/snaps.pcapng"
    fs_run "$OUT/snaps.json" --json --events -r "$OUT/snaps.pcapng"
    fs_run "$OUT/one.json" --json --events -r "$OUT/ng/half-close-v4-le-us.pcapng"
    check "interfaces of other snapshots: read, as on one interface" \
        cmp -s "$OUT/snaps.json" "$OUT/one.json"
    check "... where libpcap refuses them" sh -c '
        ! FINSCOPE_NO_MMAP=1 "$1" -r "$2" > /dev/null 2> "$3" &&
        grep -q "snapshot length" "$3"' sh "$FINSCOPE" "$OUT/snaps.pcapng" \
        "$OUT/snaps.err"
    check "... from standard input: 1, and says it reads on only by name" sh -c '
        "$1" -r - < "$2" > /dev/null 2> "$3"; [ $? = 1 ] &&
        grep -q "different from the snapshot length of the first interface (finscope reads on past it only when it reads the file in place: by name, not from standard input" "$3"' \
        sh "$FINSCOPE" "$OUT/snaps.pcapng" "$OUT/snaps-stdin.err"

    # A second section whose interface 0 is raw IP, after interfaces
    # libpcap refuses: its packets, longer than its snaplen, are not read
    # on by libpcap (which knows only the first section's Ethernet
    # interface and would take them for Ethernet frames): the file stops
    # there, in libpcap's words for such a packet.
    python3 "$G_TEST_SRCDIR/tests/mkpcapng.py" --two-links "$f" \
        "$SAMPLES/client-close-first-v4.pcap" section2 "$OUT/section2.pcapng"
    check "a later section's packets are not read as the first's" sh -c '
        "$1" -r "$2" > "$3.out" 2> "$3"; [ $? = 1 ] &&
        grep -q "bigger than snaplen of 40" "$3" &&
        grep -q "TRUNCATED.*the 22 records before" "$3.out"' sh \
        "$FINSCOPE" "$OUT/section2.pcapng" "$OUT/section2.err"

    # A filter that does not compile for a later interface's link type
    # (anything on NFLOG) keeps none of its packets: said, with how many.
    python3 "$G_TEST_SRCDIR/tests/mkpcapng.py" --two-links "$f" \
        "$SAMPLES/client-close-first-v4.pcap" nflog "$OUT/nflog.pcapng"
    check "packets a filter does not compile for are said to be skipped" \
        sh -c '"$1" -r "$2" tcp > /dev/null 2> "$3" &&
        grep -q "^finscope: .*nflog.pcapng: the filter does not compile for link type 239, NFLOG (.*): the 11 packets of its interfaces skipped" "$3" &&
        [ "$(wc -l < "$3")" = 1 ]' sh "$FINSCOPE" "$OUT/nflog.pcapng" "$OUT/nflog.err"

    # Interfaces of other link types are read only in place: read by
    # name, a file that is not (big-endian, Linux cooked first) is
    # refused by libpcap, and the words say why that one was not.
    python3 "$G_TEST_SRCDIR/tests/mkpcapng.py" --two-links "$f" \
        "$SAMPLES/client-close-first-v4.pcap" be-sll "$OUT/be-sll.pcapng"
    check "another link type not read in place: why, read by name" sh -c '
        ! "$1" -r "$2" > /dev/null 2> "$3" &&
        grep -q "different from the type of the first interface.*does not for a file in the other byte order" "$3" &&
        ! grep -q "standard input" "$3" &&
        ! "$1" -r - < "$2" > /dev/null 2> "$3" &&
        grep -q "by name, not from standard input" "$3"' sh \
        "$FINSCOPE" "$OUT/be-sll.pcapng" "$OUT/be-sll.err"
else
    skip "pcapng samples: no python3"
fi

# What the fuzzer kept (fuzz/run.sh), when it ran in this build tree.
for t in fuzz-pipeline fuzz-pcapng; do
    corpus=$G_TEST_BUILDDIR/fuzz/out/corpus/$t
    if [ -d "$corpus" ] && [ -n "$(ls "$corpus")" ]; then
        fails=
        compared=0
        : > "$OUT/why"
        n=0
        for f in $(ls "$corpus" | head -n 300); do
            n=$((n + 1))
            same_ng "$f" -r "$corpus/$f" >> "$OUT/why" || fails="$fails $f"
            SAME=same1
            same_ng "$f, mapped" -r "$corpus/$f" >> "$OUT/why" ||
                fails="$fails $f:mapped"
            SAME=same
        done
        check "$t corpus ($n files): the same both ways, and mapped" none_failed
    else
        skip "no fuzz corpus in $corpus"
    fi
done

# A file of several mapped chunks (1 MiB each, records across their
# edges): the largest sample's records again and again.
big=$(ls -S "$SAMPLES"/*.pcap | head -n 1)
: > "$OUT/big.tail"
{
    cat "$big"
    i=0
    while [ "$(wc -c < "$OUT/big.tail")" -lt 10485760 ]; do
        tail -c +25 "$big" >> "$OUT/big.tail"
        i=$((i + 1))
    done
    cat "$OUT/big.tail"
} > "$OUT/big.pcap"
compared=0
check "a file of ten mapped chunks (--threads 1): as through libpcap" \
    same1 big -r "$OUT/big.pcap"
rm -f "$OUT/big.pcap" "$OUT/big.tail"

# The bench's medium trace, when it is there: large enough that pages
# behind are given back (every MiB).
medium=$G_TEST_BUILDDIR/bench/out/medium.pcap
if [ -f "$medium" ] && [ "${FINSCOPE_SLOW_TESTS:-0}" = 1 ]; then
    check "bench medium trace" same medium -r "$medium"
    check "bench medium trace mapped (--threads 1)" same1 medium -r "$medium"
    if command -v editcap > /dev/null 2>&1 &&
        editcap -F pcapng "$medium" "$OUT/medium.pcapng"; then
        check "bench medium trace as pcapng" same medium-ng \
            -r "$OUT/medium.pcapng"
        rm -f "$OUT/medium.pcapng"
    else
        skip "bench medium trace as pcapng: no editcap"
    fi
else
    skip "bench medium trace (FINSCOPE_SLOW_TESTS=1 after make bench)"
fi
finish
