#!/bin/sh
# finscope fuzzing: builds the libFuzzer targets with clang, seeds their
# corpora from samples/, and runs each for a while.
#
# Usage: fuzz/run.sh [probe|build|seed|run [TARGET...]|all]   (default all)
#        fuzz/run.sh repro FILE...   runs finscope itself, built with clang
#                                    ASan+UBSan, on each capture FILE
#
# `make fuzz` calls it with the environment below; `make check` runs it
# through tests/fuzz.sh. Everything is written under FUZZ_BUILDDIR/fuzz/out
# (binaries, corpus/TARGET, crashes/TARGET-*, logs/TARGET.log).
#   FUZZ_SRCDIR       top of the source tree
#   FUZZ_BUILDDIR     top of the build tree (config.h is there)
#   FUZZ_LIB_SOURCES  Makefile.am's libfinscope_a_SOURCES (.h are ignored)
#   FUZZ_BIN_SOURCES  Makefile.am's finscope_SOURCES (for repro)
#   FUZZ_CPPFLAGS     glib and libpcap compiler flags
#   FUZZ_LIBS         glib and libpcap libraries
#   FUZZ_CC           clang (default "clang")
#   FUZZ_SECONDS      seconds per target (default 60)
#   FUZZ_JOBS         parallel fuzzing processes per target (default 1)
# Exit status: 0 done, 1 a crash or a build failure, 77 libFuzzer is not
# available here (the reason on stderr).
set -eu

: "${FUZZ_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${FUZZ_BUILDDIR:=$FUZZ_SRCDIR}"
: "${FUZZ_CC:=clang}"
: "${FUZZ_SECONDS:=60}"
: "${FUZZ_JOBS:=1}"
: "${FUZZ_LIB_SOURCES:?set by make fuzz: Makefile.am libfinscope_a_SOURCES}"
: "${FUZZ_CPPFLAGS:=}"
: "${FUZZ_LIBS:=}"

TARGETS="fuzz-decode fuzz-pipeline fuzz-pcapng"
OUT=$FUZZ_BUILDDIR/fuzz/out
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-std=c11 -g -O1 -fno-omit-frame-pointer $SAN \
    -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wformat=2"
CPPFLAGS="-I$FUZZ_BUILDDIR -I$FUZZ_SRCDIR/include"
for layer in "$FUZZ_SRCDIR"/src/*/; do
    CPPFLAGS="$CPPFLAGS -I${layer%/}"
done
# the fast reader's window 61 bytes (256 KiB in finscope): records and
# blocks straddle its windows in every input
CPPFLAGS="$CPPFLAGS -I$FUZZ_SRCDIR/fuzz -DFS_MAPPED_WINDOW=61 $FUZZ_CPPFLAGS"

say() {
    echo "fuzz: $*" >&2
}

# Exit 77 with the reason when clang or its libFuzzer runtime is missing.
probe() {
    if ! command -v "$FUZZ_CC" > /dev/null 2>&1; then
        say "$FUZZ_CC not found (Debian: apt-get install clang)"
        exit 77
    fi
    mkdir -p "$OUT"
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
        '{ (void)d; (void)n; return 0; }' > "$OUT/probe.c"
    if ! "$FUZZ_CC" -fsanitize=fuzzer,address,undefined "$OUT/probe.c" \
            -o "$OUT/probe" > "$OUT/probe.log" 2>&1; then
        say "$FUZZ_CC cannot link -fsanitize=fuzzer (Debian: apt-get" \
            "install libclang-rt-14-dev): $(head -n 1 "$OUT/probe.log")"
        exit 77
    fi
}

# cc_obj SRC OBJ: compiles when SRC or any header is newer than OBJ.
cc_obj() {
    src=$1 obj=$2
    if [ -f "$obj" ] && [ -z "$(find "$src" "$FUZZ_SRCDIR/include" \
            "$FUZZ_SRCDIR/src" "$FUZZ_SRCDIR/fuzz" "$FUZZ_BUILDDIR/config.h" \
            -newer "$obj" \( -name '*.h' -o -path "$src" \) 2>/dev/null)" ]
    then
        return 0
    fi
    echo "  CLANG    ${obj#"$FUZZ_BUILDDIR"/}"
    # shellcheck disable=SC2086
    "$FUZZ_CC" $CPPFLAGS $CFLAGS -fsanitize=fuzzer-no-link -c "$src" \
        -o "$obj"
}

# lib_objs SOURCES...: compiles the .c files among them, sets $objs.
lib_objs() {
    objs=
    for f in "$@"; do
        case $f in
        *.c) ;;
        *) continue ;;
        esac
        obj=$OUT/obj/$(basename "$f" .c).o
        cc_obj "$FUZZ_SRCDIR/$f" "$obj"
        objs="$objs $obj"
    done
}

build() {
    probe
    mkdir -p "$OUT/obj"
    # shellcheck disable=SC2086
    lib_objs $FUZZ_LIB_SOURCES
    for t in $TARGETS; do
        # Our own code: a warning (an API that moved) stops the build.
        CFLAGS="$CFLAGS -Werror" cc_obj "$FUZZ_SRCDIR/fuzz/$t.c" \
            "$OUT/obj/$t.o"
        echo "  CLANGLD  fuzz/out/$t"
        # shellcheck disable=SC2086
        "$FUZZ_CC" $CFLAGS -fsanitize=fuzzer "$OUT/obj/$t.o" $objs \
            $FUZZ_LIBS -o "$OUT/$t"
    done
    # The seed extractor is an ordinary program: no libFuzzer main.
    # shellcheck disable=SC2086
    "$FUZZ_CC" $CPPFLAGS -std=c11 -g -O1 -Wall -Wextra -Werror \
        "$FUZZ_SRCDIR/fuzz/fuzz-extract.c" $FUZZ_LIBS -o "$OUT/fuzz-extract"
}

# Seeds: every sample capture (pipeline) and every frame in them (decode);
# pcapng variants of the samples (pcapng, and some for pipeline).
# libFuzzer reads seeds/TARGET and adds what it finds to corpus/TARGET.
seed() {
    rm -rf "$OUT/seeds"
    mkdir -p "$OUT/seeds/fuzz-pipeline" "$OUT/seeds/fuzz-decode"
    for t in $TARGETS; do
        mkdir -p "$OUT/corpus/$t" "$OUT/crashes" "$OUT/logs"
    done
    cp "$FUZZ_SRCDIR"/samples/*.pcap "$OUT/seeds/fuzz-pipeline/"
    # pcapng variants of every sample (tests/mkpcapng.py): all for the
    # mapped pcapng reader, two kinds for the whole pipeline
    mkdir -p "$OUT/seeds/fuzz-pcapng"
    if command -v python3 > /dev/null 2>&1; then
        for f in "$FUZZ_SRCDIR"/samples/*.pcap; do
            python3 "$FUZZ_SRCDIR/tests/mkpcapng.py" "$f" \
                "$OUT/seeds/fuzz-pcapng"
        done
        cp "$OUT"/seeds/fuzz-pcapng/*-sections.pcapng \
            "$OUT"/seeds/fuzz-pcapng/*-be-ns.pcapng "$OUT/seeds/fuzz-pipeline/"
    else
        say "no python3: fuzz-pcapng seeded with classic pcap only"
        cp "$FUZZ_SRCDIR"/samples/*.pcap "$OUT/seeds/fuzz-pcapng/"
    fi
    "$OUT/fuzz-extract" "$OUT/seeds/fuzz-decode" "$FUZZ_SRCDIR"/samples/*.pcap
}

# run TARGET: FUZZ_SECONDS of fuzzing; fails on a crash, leak or timeout.
run_one() {
    t=$1
    log=$OUT/logs/$t.log
    say "$t: ${FUZZ_SECONDS}s x $FUZZ_JOBS job(s), log $log"
    rm -f "$OUT"/logs/fuzz-[0-9]*.log # -jobs logs of an earlier run
    if [ "$FUZZ_JOBS" -gt 1 ]; then
        set -- -jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS"
    else
        set --
    fi
    if (cd "$OUT/logs" && "$OUT/$t" "$@" -max_total_time="$FUZZ_SECONDS" \
            -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$OUT/crashes/$t-" \
            "$OUT/corpus/$t" "$OUT/seeds/$t") > "$log" 2>&1; then
        grep -E '^(stat::number_of_executed_units|Done [0-9]+ runs)' "$log" \
            >&2 || true
        return 0
    fi
    say "$t: FAILED; the end of $log:"
    tail -n 40 "$log" >&2
    find "$OUT/crashes" -name "$t-*" | sed 's/^/fuzz: artifact /' >&2
    return 1
}

# finscope itself from the same sanitized objects, run on each file.
repro() {
    probe
    mkdir -p "$OUT/obj"
    # shellcheck disable=SC2086
    lib_objs $FUZZ_LIB_SOURCES ${FUZZ_BIN_SOURCES:?set by make fuzz}
    # shellcheck disable=SC2086
    "$FUZZ_CC" $CFLAGS -fsanitize=fuzzer-no-link $objs $FUZZ_LIBS \
        -o "$OUT/finscope-san"
    status=0
    for f in "$@"; do
        say "finscope-san --json -r $f"
        "$OUT/finscope-san" --json -r "$f" > /dev/null || status=1
    done
    return $status
}

run() {
    # shellcheck disable=SC2086 # a list of words
    [ $# -gt 0 ] || set -- $TARGETS
    status=0
    for t in "$@"; do
        run_one "$t" || status=1
    done
    return $status
}

cmd=${1:-all}
[ $# -eq 0 ] || shift
case $cmd in
probe) probe ;;
build) build ;;
seed) seed ;;
run) run "$@" ;;
repro) repro "$@" ;;
all) build && seed && run ;;
*) say "unknown command $cmd (want probe, build, seed, run or all)"
   exit 2 ;;
esac
