#!/bin/sh
# finscope bench: finscope's speed and memory next to the floor (a bare
# libpcap read loop) and, where installed, tcpdump, tcptrace and tshark;
# then whether finscope's memory stays flat as a capture gets longer.
#
# Run it as `make bench`. Traces go to $BENCH_OUT (default bench/out in
# the build tree) and are made again only when their options change.
# Environment (defaults in brackets):
#   BENCH_SMALL, BENCH_MEDIUM   connections in the small and medium traces
#                               [11000 (~200k packets), 110000 (~2M, 1.1 GB)]
#   BENCH_MEDIUM_B              connections in the second medium trace,
#                               "medium-b", made with other options:
#                               BENCH_B_OPTS [--seed 2 --concurrency 20000
#                               --rate 5000 --avg-size 300 --clients 20000
#                               --anomalies 2: five times the concurrency,
#                               twice the non-clean closes] [110000 (~1.3M
#                               packets, 390 MB); 0: skip it]
#   BENCH_MEDIUM_C              connections in "medium-c", built to issue
#                               16's description of its second trace
#                               (medium's size, ~2M packets, with more
#                               concurrency and anomalies): BENCH_C_OPTS
#                               [medium-b's options without its
#                               --avg-size 300 (medium's 560-byte
#                               frames): --seed 2 --concurrency 20000
#                               --rate 5000 --clients 20000 --anomalies 2]
#                               [110000 (~1.95M packets, 1.1 GB); 0: skip]
#   BENCH_LARGE=1               also issue 16's large trace (made, measured
#                               and removed): BENCH_LARGE_CONNS connections
#                               at BENCH_LARGE_RATE a second, all held to
#                               the end (the capture is shorter than 2*MSL)
#                               [1000000, 20000/s: ~18M packets, 10.5 GB],
#                               run BENCH_LARGE_REPEAT times [3] with
#                               --threads 1 and BENCH_LARGE_OPTS
#                               [--max-memory 1G: the default 160M budget
#                               would evict]; BENCH_LARGE_KEEP=1 keeps it
#   BENCH_CONCURRENCY, BENCH_RATE, BENCH_AVG_SIZE, BENCH_SEED
#                               gentrace options [4000, 2000/s, 560 B, 1]
#   BENCH_REPEAT                paired runs (the floor, then the tool) of
#                               finscope, 1-thread and 4-shards; the
#                               medians count [7]
#   BENCH_TOOLS                 [finscope 1-thread 4-shards floor tcpdump
#                               tcptrace tshark]; 1-thread is finscope
#                               --threads 1, 4-shards --threads 4
#   BENCH_B_TOOLS               the same for medium-b [finscope 1-thread
#                               4-shards]; BENCH_C_TOOLS for medium-c
#                               [finscope 1-thread]
#   BENCH_FLAT=0                skip the flatness check
#   BENCH_CHECK=0               skip check --update on many hosts;
#                               BENCH_CHECK_CONNS connections [60000]
#   BENCH_FLAT_RATE, BENCH_FLAT_SHORT, BENCH_FLAT_LONG
#                               its connection rate and the two capture
#                               lengths in seconds [300/s, 300, 3000]
#   BENCH_FLAT_AVG_SIZE, BENCH_FLAT_CONCURRENCY            [150 B, 600]
#   BENCH_FLAT_FEW_CLIENTS      clients of the few-hosts traces (with 10
#                               servers) [200]
#   BENCH_FLAT_OPTS             finscope options of its second row
#                               [--idle-timeout 300]
#   BENCH_ATTACKS=0             skip issue 18's attack traces; =only:
#                               run nothing else
#   BENCH_REUSES, BENCH_FLOOD   their sizes: reuses of one 4-tuple, 1 ms
#                               apart, and random-source SYNs, 100,000 a
#                               second [32000, 3000000]
# Needs /usr/bin/time (Debian package "time") for peak RSS.
set -eu

: "${BENCH_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${BENCH_BUILDDIR:=$(pwd)}"
OUT=${BENCH_OUT:-$BENCH_BUILDDIR/bench/out}
FINSCOPE=${FINSCOPE:-$BENCH_BUILDDIR/finscope}
GENTRACE=$BENCH_BUILDDIR/bench/gentrace
GENATTACK=$BENCH_BUILDDIR/bench/genattack
FLOOR=$BENCH_BUILDDIR/bench/floor
REPEAT=${BENCH_REPEAT:-7}
TOOLS=${BENCH_TOOLS:-finscope 1-thread 4-shards floor tcpdump tcptrace tshark}
GEN_OPTS="--seed ${BENCH_SEED:-1} --concurrency ${BENCH_CONCURRENCY:-4000}"
GEN_OPTS="$GEN_OPTS --rate ${BENCH_RATE:-2000}"
GEN_OPTS="$GEN_OPTS --avg-size ${BENCH_AVG_SIZE:-560}"
B_OPTS=${BENCH_B_OPTS:---seed 2 --concurrency 20000 --rate 5000 --avg-size 300 --clients 20000 --anomalies 2}
B_TOOLS=${BENCH_B_TOOLS:-finscope 1-thread 4-shards}
C_OPTS=${BENCH_C_OPTS:---seed 2 --concurrency 20000 --rate 5000 --clients 20000 --anomalies 2}
C_TOOLS=${BENCH_C_TOOLS:-finscope 1-thread}
FLAT_RATE=${BENCH_FLAT_RATE:-300}
FLAT_OPTS=${BENCH_FLAT_OPTS:---idle-timeout 300}
TIME=/usr/bin/time

if [ ! -x "$TIME" ]; then
    echo "bench: $TIME is missing (Debian: apt-get install time)" >&2
    exit 1
fi
mkdir -p "$OUT"
RESULTS=$OUT/results.md
: > "$RESULTS"
if ldd "$FINSCOPE" 2>/dev/null | grep -q -e libasan -e libubsan; then
    echo "bench: WARNING: $FINSCOPE is built with sanitizers" \
        "(./configure --enable-sanitizers): its numbers mean little;" \
        "configure without them to measure" | tee -a "$RESULTS" >&2
fi

# Both to the terminal and to results.md (for README's Performance).
say() {
    printf '%s\n' "$*" | tee -a "$RESULTS"
}

machine() {
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
    rev=$(git -C "$BENCH_SRCDIR" describe --always --dirty 2>/dev/null ||
          echo unknown)
    say "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $mem RAM;" \
        "$(date -u +%Y-%m-%d); finscope $rev"
}

# gen NAME CONNECTIONS GENTRACE-OPTIONS...: makes $OUT/NAME.pcap unless
# it exists with the same options and a gentrace no newer than it.
gen() {
    name=$1 conns=$2
    shift 2
    f=$OUT/$name.pcap
    args="--connections $conns $*"
    if [ -f "$f" ] && [ "$(cat "$f.args" 2>/dev/null)" = "$args" ] &&
        [ -z "$(find "$GENTRACE" -newer "$f")" ]; then
        return 0
    fi
    rm -f "$f.args"
    # shellcheck disable=SC2086
    "$GENTRACE" $args --out "$f" 2> "$OUT/$name.gen"
    echo "$args" > "$f.args"
    sed 's/^/  /' "$OUT/$name.gen"
}

# measure N COMMAND...: runs it N times (output thrown away); sets $wall
# (best wall-clock seconds, from date +%N: time's %e has 10 ms steps),
# $rss (peak KiB from /usr/bin/time, largest of the runs) and $cpu (user
# + system seconds of the last run). 0 0 if it failed.
measure() {
    n=$1
    shift
    wall='' rss=0
    for _ in $(seq "$n"); do
        t0=$(date +%s%N)
        if ! "$TIME" -f '%M %U %S' -o "$OUT/time.txt" "$@" > /dev/null \
                2> "$OUT/stderr.txt"; then
            echo "bench: failed: $* ($(tail -n 1 "$OUT/stderr.txt"))" >&2
            wall=0 rss=0
            return 0
        fi
        t1=$(date +%s%N)
        w=$(awk "BEGIN { printf \"%.3f\", ($t1 - $t0) / 1e9 }")
        r=$(tail -n 1 "$OUT/time.txt" | awk '{ print $1 }')
        cpu=$(tail -n 1 "$OUT/time.txt" | awk '{ printf "%.2f", $2 + $3 }')
        if [ -z "$wall" ] || awk "BEGIN { exit !($w < $wall) }"; then
            wall=$w
        fi
        [ "$r" -le "$rss" ] || rss=$r
    done
}

# median: the median of the numbers on standard input, one a line.
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2];
        else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# paired N TRACE COMMAND...: N paired runs, the floor on TRACE and then
# COMMAND, so that both see the same load on a shared machine; sets $wall
# (the median wall time of COMMAND), $ratio (the median of the N ratios
# COMMAND / floor), $cpu (the median user + system seconds: steadier than
# wall time when others share the CPUs) and $rss (largest of COMMAND's
# runs). 0 0 if it failed.
paired() {
    n=$1 pt=$2
    shift 2
    : > "$OUT/pairs.txt"
    p_rss=0
    for _ in $(seq "$n"); do
        measure 1 "$FLOOR" "$pt"
        fw=$wall
        measure 1 "$@"
        if [ "$wall" = 0 ]; then
            rss=0 ratio=0
            return 0
        fi
        [ "$rss" -le "$p_rss" ] || p_rss=$rss
        echo "$wall $fw $cpu" >> "$OUT/pairs.txt"
    done
    wall=$(awk '{ print $1 }' "$OUT/pairs.txt" | median)
    cpu=$(awk '{ print $3 }' "$OUT/pairs.txt" | median)
    ratio=$(awk '{ printf "%.4f\n", $1 / $2 }' "$OUT/pairs.txt" | median)
    rss=$p_rss
}

have() {
    command -v "$1" > /dev/null 2>&1
}

# tool_run TOOL TRACE: measure; fails when the tool is not installed.
tool_run() {
    tool=$1 t=$2
    case $tool in
    finscope) paired "$REPEAT" "$t" "$FINSCOPE" --json -r "$t" ;;
    1-thread) paired "$REPEAT" "$t" "$FINSCOPE" --threads 1 --json -r "$t" ;;
    4-shards) paired "$REPEAT" "$t" "$FINSCOPE" --threads 4 --json -r "$t" ;;
    floor) paired "$REPEAT" "$t" "$FLOOR" "$t" ;;
    tcpdump) have tcpdump || return 1
             measure 1 tcpdump -n -r "$t" -w /dev/null ;;
    tcptrace) have tcptrace || return 1
              measure 1 tcptrace -n "$t" ;;
    tshark) have tshark || return 1
            measure 1 tshark -q -z conv,tcp -r "$t" ;;
    *) echo "bench: unknown tool $tool" >&2
       return 1 ;;
    esac
}

row() {
    printf '| %-8s | %-9s | %8s | %7s | %7s | %8s | %6s |\n' "$@" |
        tee -a "$RESULTS"
}

# bench_trace NAME [TOOLS]: one table block for a trace, with TOOLS
# [$TOOLS]. Sets fs_ratio and fs1_ratio (empty if not run).
bench_trace() {
    name=$1 t=$OUT/$1.pcap
    cat "$t" > /dev/null # page cache: every tool reads from memory
    packets=$("$FLOOR" "$t" | awk '{ print $2 }')
    size=$(du -m "$t" | cut -f1)
    floor_wall='' fs_ratio='' fs1_ratio=''
    for tool in floor ${2:-$TOOLS}; do
        if [ "$tool" = floor ] && [ -n "$floor_wall" ]; then
            continue # measured first, as the reference
        fi
        if ! tool_run "$tool" "$t"; then
            continue
        fi
        [ -n "$floor_wall" ] || floor_wall=$wall floor_rss=$rss
        case $tool in
        finscope|1-thread|4-shards|floor) ;;
        *) ratio=$(awk "BEGIN { print $wall / $floor_wall }") ;;
        esac
        if [ "$wall" = 0 ]; then
            row "$name" "$tool" failed - - - -
            continue
        fi
        row "$name" "$tool" "$(printf %.2f "$wall")" \
            "$(awk "BEGIN { printf \"%.2f\", $packets / $wall / 1e6 }")" \
            "$(awk "BEGIN { printf \"%.0f\", $rss / 1024 }")" \
            "$(awk "BEGIN { printf \"%.2fx\", $ratio }")" "$cpu"
        [ "$tool" != finscope ] || { fs_wall=$wall fs_rss=$rss fs_ratio=$ratio; }
        [ "$tool" != 1-thread ] || { fs1_wall=$wall fs1_ratio=$ratio; }
    done
    # Connections held at once at the peak, if the summary says.
    fs_conns=$("$FINSCOPE" --json -r "$t" | tail -n 1 |
        sed -n 's/.*"connections_peak":\([0-9]*\).*/\1/p')
    fs_held="held at the peak"
    if [ -z "$fs_conns" ]; then
        fs_conns=$(awk '{ print $2 }' "$t.args") fs_held="in the trace"
    fi
    fs_floor_wall=$floor_wall
    notes="$notes${notes:+; }$name: $packets packets, $size MB"
}

# other_trace NAME CONNECTIONS GENTRACE-OPTIONS TOOLS: a table block for
# a trace made with other options than medium's; sets fs_ratio and
# fs1_ratio (bench_trace()) and o_notes, and keeps medium's memory
# figures and notes, which the targets read.
other_trace() {
    m_fs_rss=${fs_rss:-} m_fs_conns=$fs_conns m_fs_held=$fs_held
    m_floor_rss=$floor_rss m_notes=$notes
    # shellcheck disable=SC2086 # the options are a list of words
    gen "$1" "$2" $3
    fs_rss=
    bench_trace "$1" "$4"
    o_notes="$packets packets, $size MB"
    o_rss=${fs_rss:-} o_conns=$fs_conns o_held=$fs_held
    fs_rss=$m_fs_rss fs_conns=$m_fs_conns fs_held=$m_fs_held
    floor_rss=$m_floor_rss notes=$m_notes
}

# shellcheck disable=SC2086 # GEN_OPTS is a list of words
speed() {
    notes=
    say ""
    say "finscope --json -r TRACE > /dev/null, median of $REPEAT runs each" \
        "paired with a run of the floor (vs floor: the median ratio; CPU s:" \
        "the median user + system time; others: 1 run), page cache warm:"
    say ""
    row trace tool "wall s" "Mpkt/s" "RSS MiB" "vs floor" "CPU s"
    row -------- --------- -------- ------- ------- -------- ------
    gen small "${BENCH_SMALL:-11000}" $GEN_OPTS
    bench_trace small
    gen medium "${BENCH_MEDIUM:-110000}" $GEN_OPTS
    bench_trace medium
    last_trace=medium
    med_ratio=$fs_ratio med1_ratio=$fs1_ratio
    b_notes='' c_notes=''
    if [ "${BENCH_MEDIUM_B:-110000}" != 0 ]; then
        other_trace medium-b "${BENCH_MEDIUM_B:-110000}" "$B_OPTS" "$B_TOOLS"
        b_ratio=$fs_ratio b1_ratio=$fs1_ratio b_notes=$o_notes
        b_rss=$o_rss b_conns=$o_conns b_held=$o_held
    fi
    if [ "${BENCH_MEDIUM_C:-110000}" != 0 ]; then
        other_trace medium-c "${BENCH_MEDIUM_C:-110000}" "$C_OPTS" "$C_TOOLS"
        c_ratio=$fs_ratio c1_ratio=$fs1_ratio c_notes=$o_notes
        c_rss=$o_rss c_conns=$o_conns c_held=$o_held
    fi
    say ""
    say "Traces ($GEN_OPTS): $notes."
    [ -z "$b_notes" ] || say "Trace medium-b ($B_OPTS): $b_notes."
    [ -z "$c_notes" ] || say "Trace medium-c ($C_OPTS): $c_notes."
}

# finscope's peak RSS on a short and a long capture at the same rate:
# with the default host mix (4093 clients, 50 servers), and with few
# hosts, so that what finscope keeps per pair of hosts stops growing early
# and what it keeps per connection shows alone.
flatness() {
    short=${BENCH_FLAT_SHORT:-300} long=${BENCH_FLAT_LONG:-3000}
    opts="--seed ${BENCH_SEED:-1} --rate $FLAT_RATE"
    opts="$opts --concurrency ${BENCH_FLAT_CONCURRENCY:-600}"
    opts="$opts --avg-size ${BENCH_FLAT_AVG_SIZE:-150}"
    few="--clients ${BENCH_FLAT_FEW_CLIENTS:-200} --servers 10"
    n_short=$(awk "BEGIN { print int($FLAT_RATE * $short) }")
    n_long=$(awk "BEGIN { print int($FLAT_RATE * $long) }")
    say ""
    say "Flatness: $FLAT_RATE connections/s for ${short} s and ${long} s" \
        "of capture time:"
    say ""
    # shellcheck disable=SC2086
    gen flat-short "$n_short" $opts
    # shellcheck disable=SC2086
    gen flat-long "$n_long" $opts
    # shellcheck disable=SC2086
    gen flat-short-few "$n_short" $opts $few
    # shellcheck disable=SC2086
    gen flat-long-few "$n_long" $opts $few
    flat_line "finscope --json" "short MiB" "long MiB" ratio
    flat_line "------------------------------------------------" \
        --------- --------- -------
    flat_row "" flat "(defaults)"
    flat_row "$FLAT_OPTS" flat "$FLAT_OPTS"
    flat_row "$FLAT_OPTS" flat-few \
        "$FLAT_OPTS; ${BENCH_FLAT_FEW_CLIENTS:-200} clients, 10 servers"
}

flat_line() {
    printf '| %-48s | %9s | %9s | %7s |\n' "$@" | tee -a "$RESULTS"
}

# flat_row OPTIONS TRACES LABEL: TRACES is flat or flat-few.
flat_row() {
    # shellcheck disable=SC2086
    measure 1 "$FINSCOPE" --json $1 -r "$OUT/${2%-few}-short${2#flat}.pcap"
    r_short=$rss
    # shellcheck disable=SC2086
    measure 1 "$FINSCOPE" --json $1 -r "$OUT/${2%-few}-long${2#flat}.pcap"
    r_long=$rss
    flat_line "$3" "$(awk "BEGIN { printf \"%.0f\", $r_short / 1024 }")" \
        "$(awk "BEGIN { printf \"%.0f\", $r_long / 1024 }")" \
        "$(awk "BEGIN { printf \"%.2f\", $r_long / ($r_short + 0.001) }")"
    # The verdict: the first row with options (by default the trace's
    # never-closed connections, 5%, stay open to the end: concurrency
    # itself grows with the capture there).
    [ -z "$1" ] || [ -n "${flat_ratio:-}" ] ||
        flat_ratio=$(awk "BEGIN { print $r_long / $r_short }")
}

# Issue 16's large trace: as many connections as gentrace makes at
# BENCH_LARGE_RATE, all held to the end, next to the medium trace, the
# two measured in turns (medium, large) with one thread; throughput is
# packets per CPU second (user + system: steadier than wall time when
# others share the CPUs), the medians of the runs. Sets large_rss (KiB),
# large_conns (held at the peak), large_fixed_rss (a one-connection
# capture's, KiB) and large_ratio (large / medium throughput).
# shellcheck disable=SC2086 # GEN_OPTS and the options are lists of words
large() {
    l_n=${BENCH_LARGE_REPEAT:-3}
    lopts=${BENCH_LARGE_OPTS:---max-memory 1G}
    l_gen="--seed ${BENCH_SEED:-1} --concurrency ${BENCH_CONCURRENCY:-4000}"
    l_gen="$l_gen --rate ${BENCH_LARGE_RATE:-20000}"
    l_gen="$l_gen --avg-size ${BENCH_AVG_SIZE:-560}"
    gen medium "${BENCH_MEDIUM:-110000}" $GEN_OPTS
    gen large "${BENCH_LARGE_CONNS:-1000000}" $l_gen
    gen tiny 1 --seed 1
    measure 1 "$FINSCOPE" --json --threads 1 $lopts -r "$OUT/tiny.pcap"
    large_fixed_rss=$rss
    m_pkts=$("$FLOOR" "$OUT/medium.pcap" | awk '{ print $2 }')
    l_pkts=$("$FLOOR" "$OUT/large.pcap" | awk '{ print $2 }')
    : > "$OUT/large-runs.txt"
    large_rss=0
    for _ in $(seq "$l_n"); do
        measure 1 "$FINSCOPE" --json --threads 1 $lopts -r "$OUT/medium.pcap"
        m_cpu=$cpu m_wall=$wall m_rss=$rss
        measure 1 "$FINSCOPE" --json --threads 1 $lopts -r "$OUT/large.pcap"
        [ "$rss" -le "$large_rss" ] || large_rss=$rss
        echo "$m_cpu $cpu $m_wall $wall $m_rss" >> "$OUT/large-runs.txt"
    done
    m_cpu=$(awk '{ print $1 }' "$OUT/large-runs.txt" | median)
    l_cpu=$(awk '{ print $2 }' "$OUT/large-runs.txt" | median)
    m_wall=$(awk '{ print $3 }' "$OUT/large-runs.txt" | median)
    l_wall=$(awk '{ print $4 }' "$OUT/large-runs.txt" | median)
    m_rss=$(awk '{ print $5 }' "$OUT/large-runs.txt" | sort -n | tail -n 1)
    l_summary=$("$FINSCOPE" --json --threads 1 $lopts -r "$OUT/large.pcap" |
        tail -n 1)
    large_conns=$(printf '%s\n' "$l_summary" |
        sed -n 's/.*"connections_peak":\([0-9]*\).*/\1/p')
    l_evicted=$(printf '%s\n' "$l_summary" |
        sed -n 's/.*"evicted":\([0-9]*\).*/\1/p')
    large_ratio=$(awk "BEGIN { printf \"%.3f\", \
        ($l_pkts / $l_cpu) / ($m_pkts / $m_cpu) }")
    say ""
    say "Large trace (issue 16; gentrace --connections" \
        "${BENCH_LARGE_CONNS:-1000000} $l_gen): $l_pkts packets," \
        "$(du -m "$OUT/large.pcap" | cut -f1) MB, $large_conns connections" \
        "held at the peak, $l_evicted evicted; finscope --json --threads 1" \
        "$lopts, medians of $l_n runs taken in turns with the medium trace:"
    say ""
    flat_line "finscope --json --threads 1 $lopts" "medium" "large" ratio
    flat_line "------------------------------------------------" \
        --------- --------- -------
    flat_line "CPU s (user + system)" "$m_cpu" "$l_cpu" \
        "$(awk "BEGIN { printf \"%.2f\", $l_cpu / $m_cpu }")"
    flat_line "Mpkt per CPU s" \
        "$(awk "BEGIN { printf \"%.3f\", $m_pkts / $m_cpu / 1e6 }")" \
        "$(awk "BEGIN { printf \"%.3f\", $l_pkts / $l_cpu / 1e6 }")" \
        "$large_ratio"
    flat_line "Mpkt per wall s" \
        "$(awk "BEGIN { printf \"%.3f\", $m_pkts / $m_wall / 1e6 }")" \
        "$(awk "BEGIN { printf \"%.3f\", $l_pkts / $l_wall / 1e6 }")" \
        "$(awk "BEGIN { printf \"%.2f\", \
            ($l_pkts / $l_wall) / ($m_pkts / $m_wall) }")"
    flat_line "peak RSS MiB" \
        "$(awk "BEGIN { printf \"%.0f\", $m_rss / 1024 }")" \
        "$(awk "BEGIN { printf \"%.0f\", $large_rss / 1024 }")" \
        "$(awk "BEGIN { printf \"%.2f\", $large_rss / $m_rss }")"
    if [ "${BENCH_LARGE_KEEP:-0}" != 1 ]; then
        rm -f "$OUT/large.pcap" "$OUT/large.pcap.args" "$OUT/large.gen"
    fi
}

# verdict WHAT MEASURED OK: one line of the targets list.
verdict() {
    if [ "$3" = 1 ]; then
        say "- $1: $2 (met)"
    else
        say "- $1: $2 (NOT met)"
    fi
}

# The targets of issue 6, on the last trace of the speed table (medium
# unless BENCH_LARGE=1). Bytes per connection: what the peak RSS has
# beyond finscope's own on a one-connection capture (its code, shared
# libraries and buffers: fixed, whatever the capture), per connection
# held at the peak; beyond the floor's RSS too, for comparison.
targets() {
    gen tiny 1 --seed 1
    measure 1 "$FINSCOPE" --json -r "$OUT/tiny.pcap"
    fixed_rss=$rss
    per_conn=$(awk "BEGIN { printf \"%.0f\", \
        ($fs_rss - $fixed_rss) * 1024 / $fs_conns }")
    per_conn_floor=$(awk "BEGIN { printf \"%.0f\", \
        ($fs_rss - $floor_rss) * 1024 / $fs_conns }")
    say ""
    say "Targets (issues 6 and 16), on the $last_trace trace (speed also on" \
        "medium-b and medium-c):"
    speed_verdicts "$last_trace" "${med_ratio:-}" "${med1_ratio:-}"
    if [ -n "${b_ratio:-}${b1_ratio:-}" ]; then
        speed_verdicts medium-b "${b_ratio:-}" "${b1_ratio:-}"
    fi
    if [ -n "${c_ratio:-}${c1_ratio:-}" ]; then
        speed_verdicts medium-c "${c_ratio:-}" "${c1_ratio:-}"
    fi
    verdict "peak RSS at most 64 MiB" \
        "$(awk "BEGIN { printf \"%.0f MiB\", $fs_rss / 1024 }")" \
        "$(awk "BEGIN { print ($fs_rss <= 65536) }")"
    verdict "at most 256 bytes per connection" "(RSS - finscope's RSS on\
 a one-connection capture, $(awk "BEGIN { printf \"%.1f\", $fixed_rss / 1024 }")\
 MiB) / $fs_conns connections $fs_held = $per_conn bytes; against the\
 floor's RSS $per_conn_floor (a whole FsConn is $conn_size; quiet ones are\
 kept frozen)" \
        "$(awk "BEGIN { print ($per_conn <= 256) }")"
    other_per_conn medium-b "${b_rss:-}" "${b_conns:-}" "${b_held:-}"
    other_per_conn medium-c "${c_rss:-}" "${c_conns:-}" "${c_held:-}"
    if [ -n "${large_ratio:-}" ]; then
        large_targets
    fi
    if [ -n "${flat_ratio:-}" ]; then
        verdict "RSS flat within 10% from ${BENCH_FLAT_SHORT:-300} s to\
 ${BENCH_FLAT_LONG:-3000} s of capture ($FLAT_OPTS)" \
            "$(awk "BEGIN { printf \"%.2fx\", $flat_ratio }")" \
            "$(awk "BEGIN { print ($flat_ratio <= 1.10) }")"
    fi
}

# other_per_conn TRACE RSS CONNECTIONS HELD: the bytes a connection on
# another trace than medium, measured as on medium (RSS empty: finscope
# with default threads did not run on it). medium-b and medium-c keep
# 20,000 connections open at once (medium 4,000), each a whole FsConn
# until it closes or is quiet for --freeze-after: issue 16 says "per
# connection" without naming a trace, so the figure is given on each.
other_per_conn() {
    [ -n "$2" ] && [ -n "$3" ] || return 0
    o_per_conn=$(awk "BEGIN { printf \"%.0f\", ($2 - $fixed_rss) * 1024 / $3 }")
    verdict "$1: at most 256 bytes per connection" "(RSS\
 $(awk "BEGIN { printf \"%.1f\", $2 / 1024 }") MiB - \
$(awk "BEGIN { printf \"%.1f\", $fixed_rss / 1024 }") MiB) / $3\
 connections $4 = $o_per_conn bytes" \
        "$(awk "BEGIN { print ($o_per_conn <= 256) }")"
}

# speed_verdicts TRACE RATIO RATIO-1-THREAD: issue 16's speed targets on
# a trace (an empty ratio: not measured). Three decimals: with two, a
# ratio just over a target read as the target, "NOT met" (session 31's
# medium-b, 1.50x).
speed_verdicts() {
    if [ -n "$2" ]; then
        verdict "$1: wall time at most 1.5x the floor's (median of\
 $REPEAT pairs)" "$(printf %.3f "$2")x" "$(awk "BEGIN { print ($2 <= 1.5) }")"
    fi
    if [ -n "$3" ]; then
        verdict "$1: at most 2.0x, one thread (--threads 1)" \
            "$(printf %.3f "$3")x" "$(awk "BEGIN { print ($3 <= 2.0) }")"
    fi
}

# Issue 16's targets on the large trace (large() measured it).
large_targets() {
    l_per_conn=$(awk "BEGIN { printf \"%.0f\", \
        ($large_rss - $large_fixed_rss) * 1024 / $large_conns }")
    verdict "large trace: peak RSS at most 256 MiB" \
        "$(awk "BEGIN { printf \"%.0f MiB\", $large_rss / 1024 }")" \
        "$(awk "BEGIN { print ($large_rss <= 262144) }")"
    verdict "large trace: at most 256 bytes per connection" \
        "(RSS - $(awk "BEGIN { printf \"%.1f\", $large_fixed_rss / 1024 }")\
 MiB on a one-connection capture) / $large_conns held = $l_per_conn bytes" \
        "$(awk "BEGIN { print ($l_per_conn <= 256) }")"
    verdict "large trace: throughput at least 0.9x the medium's" \
        "${large_ratio}x (packets per CPU second)" \
        "$(awk "BEGIN { print ($large_ratio >= 0.9) }")"
}

# finscope check --update on a capture with many hosts in TIME_WAIT at the
# end (issue 18, item 8: it was O(hosts x connections), 97 s for 40,000
# hosts), next to finscope -r on the same trace.
check_hosts() {
    gen hosts "${BENCH_CHECK_CONNS:-60000}" --seed 1 --clients 60000 \
        --servers 1 --concurrency 2000 --rate 2000 --avg-size 100
    t=$OUT/hosts.pcap
    measure "$REPEAT" "$FINSCOPE" --json -r "$t"
    say ""
    say "finscope check --update on $(awk '{ print $2 }' "$t.args")" \
        "connections from 60000 client hosts:"
    say "- finscope --json -r: $wall s, $((rss / 1024)) MiB"
    # a new baseline each run: an earlier run's, read and compared, took
    # twice the memory (session 29)
    rm -f "$OUT/hosts.expect"
    measure 1 "$FINSCOPE" check --update --baseline "$OUT/hosts.expect" \
        -r "$t"
    say "- finscope check --update: $wall s, $((rss / 1024)) MiB," \
        "$(grep -c '^summary time_wait_at_end{host=' "$OUT/hosts.expect")" \
        "hosts in TIME_WAIT at the end"
    # a 50 MB line in a baseline is refused at 64 KiB, not read whole
    # (exit 2 is what measure counts as failed: time it through sh)
    [ -f "$OUT/long-line.expect" ] ||
        head -c 52428800 /dev/zero | tr '\0' a > "$OUT/long-line.expect"
    measure 1 sh -c '"$1" check --baseline "$2" -r "$3"; [ $? -eq 2 ]' sh \
        "$FINSCOPE" "$OUT/long-line.expect" "$OUT/tiny.pcap"
    say "- finscope check on a baseline of one 50 MB line (refused):" \
        "$wall s, $((rss / 1024)) MiB"
    merge_files
}

# The same trace cut into 2,000 files (editcap -c) and merged again with
# 2,000 -r options (issue 18, item 13: each packet looked at every file).
merge_files() {
    have editcap || return 0
    t=$OUT/hosts.pcap
    if [ ! -d "$OUT/split" ] || [ -n "$(find "$t" -newer "$OUT/split")" ]; then
        rm -rf "$OUT/split"
        mkdir "$OUT/split"
        n=$("$FLOOR" "$t" | awk '{ print $2 }')
        editcap -F pcap -c $((n / 2000 + 1)) "$t" "$OUT/split/p.pcap"
    fi
    set --
    for f in "$OUT"/split/p*.pcap; do
        set -- "$@" -r "$f"
    done
    measure "$REPEAT" "$FINSCOPE" --json "$@"
    say "- finscope --json on it cut into $(($# / 2)) files (-r each):" \
        "$wall s, $((rss / 1024)) MiB"
}

# Issue 18's attacks on the engine (bench/genattack): one 4-tuple reused
# every 1 ms must cost no more per packet than any traffic, and a
# random-source SYN flood must stay within the default memory budget.
attacks() {
    reuses=${BENCH_REUSES:-32000} flood=${BENCH_FLOOD:-3000000}
    say ""
    say "Attacks (issue 18):"
    for spec in "reuse-$reuses --reuse $reuses" \
            "synflood-$flood --syn-flood $flood"; do
        name=${spec%% *}
        f=$OUT/$name.pcap
        if [ ! -f "$f" ] || [ -n "$(find "$GENATTACK" -newer "$f")" ]; then
            # shellcheck disable=SC2086
            "$GENATTACK" ${spec#* } --out "$f"
        fi
    done
    measure "$REPEAT" "$FINSCOPE" --json -r "$OUT/reuse-$reuses.pcap"
    verdict "$reuses reuses of one 4-tuple in under 1 s" "${wall} s" \
        "$(awk "BEGIN { print ($wall > 0 && $wall < 1) }")"
    measure 1 "$FINSCOPE" -r "$OUT/synflood-$flood.pcap"
    verdict "$flood-SYN random-source flood under 256 MiB peak RSS" \
        "$(awk "BEGIN { printf \"%.0f MiB in %s s\", $rss / 1024, $wall }")" \
        "$(awk "BEGIN { print ($rss > 0 && $rss < 262144) }")"
    "$FINSCOPE" -r "$OUT/synflood-$flood.pcap" 2>&1 |
        grep -i -e evict -e expired -e flood | head -n 12 |
        sed 's/^/    /' | tee -a "$RESULTS"
}

sizes() {
    conn_size=$("$GENTRACE" --print-sizes | awk '/FsConn/ { print $2 }')
    say "Struct sizes: $("$GENTRACE" --print-sizes | paste -sd ' ' |
        sed 's/) /): /g; s/\([0-9]\) s/\1, s/g')"
}

machine
if [ "${BENCH_ATTACKS:-1}" != only ]; then
    sizes
    speed
    [ "${BENCH_FLAT:-1}" = 0 ] || flatness
    [ "${BENCH_LARGE:-0}" != 1 ] || large
    targets
    [ "${BENCH_CHECK:-1}" = 0 ] || check_hosts
fi
[ "${BENCH_ATTACKS:-1}" = 0 ] || attacks
echo
echo "bench: this summary is also in $RESULTS"
