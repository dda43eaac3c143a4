#!/bin/sh
# finscope tests: a short libFuzzer run of each fuzz target (fuzz/run.sh),
# FUZZ_SECONDS each (default 60, as issue 6 asks); skipped where clang
# cannot link libFuzzer.
. "$(dirname "$0")/lib.sh"

RUN="$G_TEST_SRCDIR/fuzz/run.sh"
: "${FUZZ_SECONDS:=60}"
export FUZZ_SECONDS

if [ -z "${FUZZ_LIB_SOURCES:-}" ]; then
    skip "fuzz targets: FUZZ_LIB_SOURCES unset (run through make check)"
    finish
    exit
fi
reason=$(sh "$RUN" probe 2>&1)
status=$?
if [ "$status" -eq 77 ]; then
    skip "fuzz targets: $(printf '%s' "$reason" | sed 's/^fuzz: //' |
        head -n 1)"
    finish
    exit
fi
check "fuzz targets build with clang -fsanitize=fuzzer" sh "$RUN" build
check "fuzz corpora seeded from samples/" sh "$RUN" seed
for t in fuzz-decode fuzz-pipeline fuzz-pcapng; do
    check "$t: ${FUZZ_SECONDS}s without a crash" sh "$RUN" run "$t"
done
finish
