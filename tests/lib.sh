# finscope tests: TAP helpers for the shell tests (sourced).
# Environment from Makefile.am: FINSCOPE, MKTRACE, G_TEST_SRCDIR,
# G_TEST_BUILDDIR.
set -u
: "${G_TEST_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${G_TEST_BUILDDIR:=$G_TEST_SRCDIR}"
: "${FINSCOPE:=$G_TEST_BUILDDIR/finscope}"
: "${MKTRACE:=$G_TEST_BUILDDIR/tests/mktrace}"
SAMPLES="$G_TEST_SRCDIR/samples"
# the readers' switches (mapped.h) are the tests' to set
unset FINSCOPE_MAP FINSCOPE_NO_MMAP
tap_n=0
tap_failed=0

# A scratch directory in the build tree, removed at exit.
OUT=$(mktemp -d "$G_TEST_BUILDDIR/tests/out.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

ok() {
    tap_n=$((tap_n + 1))
    echo "ok $tap_n - $*"
}

not_ok() {
    tap_n=$((tap_n + 1))
    tap_failed=$((tap_failed + 1))
    echo "not ok $tap_n - $*"
}

skip() {
    tap_n=$((tap_n + 1))
    echo "ok $tap_n - # SKIP $*"
}

# check NAME COMMAND...: one TAP line from the command's exit status;
# its output is shown as diagnostics when it fails.
check() {
    # (not $name: the tests' loops read their samples' names into it)
    check_name=$1
    shift
    if out=$("$@" 2>&1); then
        ok "$check_name"
    else
        not_ok "$check_name"
        printf '%s\n' "$out" | sed 's/^/# /'
    fi
}

# status_is WANT CMD...: the command exits WANT; its output is kept in
# $OUT/stdout and $OUT/stderr for stdout_has/stderr_has, and shown on
# failure.
status_is() {
    want=$1
    shift
    "$@" > "$OUT/stdout" 2> "$OUT/stderr"
    got=$?
    [ "$got" -eq "$want" ] || {
        echo "exit $got, want $want"; cat "$OUT/stdout" "$OUT/stderr"
        return 1
    }
}

# fs_run OUT ARGS...: finscope ARGS > OUT (stderr in OUT.err). A run that
# exits non-zero is a failed test line of its own, so that checks on OUT
# cannot pass on an empty or partial report.
fs_run() {
    fs_out=$1
    shift
    "$FINSCOPE" "$@" > "$fs_out" 2> "$fs_out.err"
    fs_status=$?
    if [ "$fs_status" -ne 0 ]; then
        not_ok "finscope $* exited $fs_status"
        sed 's/^/# /' "$fs_out.err"
    fi
    return "$fs_status"
}

# same_on_samples FN [OPTS [K/M]]: FN "NAME" OPTS -r FILE (one of the
# same/same_without kind) on every pcap and pcapng sample, or with K/M
# on every Mth from the Kth (0-based); its diagnostics in $OUT/why; sets
# $n (samples compared) and $fails (their names), $compared from 0, for
# none_failed.
same_on_samples() {
    fails=
    compared=0
    n=0
    _k=0 _m=1 _i=-1
    if [ -n "${3:-}" ]; then _k=${3%/*} _m=${3#*/}; fi
    : > "$OUT/why"
    for f in "$SAMPLES"/*.pcap "$SAMPLES"/*.pcapng; do
        [ -f "$f" ] || continue
        _i=$((_i + 1))
        [ $((_i % _m)) = "$_k" ] || continue
        n=$((n + 1))
        # shellcheck disable=SC2086 # OPTS are words
        "$1" "$f${2:+ $2}" ${2:-} -r "$f" >> "$OUT/why" ||
            fails="$fails $(basename "$f")"
    done
}

# none_failed: after a loop of comparisons (each counted in $compared by
# the caller's compare function, which the loop set to 0, and the names
# of the failed ones in $fails): some were made and none failed; else
# why ($OUT/why).
none_failed() {
    if [ "${compared:-0}" -eq 0 ]; then
        echo "nothing was compared"
        return 1
    fi
    [ -z "$fails" ] && return 0
    echo "failed:$fails"
    head -n 40 "$OUT/why"
    return 1
}

# same_without VAR NAME ARGS...: finscope --json --events ARGS, as is and
# with VAR=1 in its environment (a path turned off), the same byte for
# byte: stdout, stderr and exit status. Counted in $compared (see
# none_failed); says what differs (NAME and the first lines of each
# diff, from VAR's run to the plain one).
same_without() {
    same_with_without - "$@"
}

# same_with_without ON OFF NAME ARGS...: the same, the first run with
# ON=1 in its environment too (a path turned on; - for none).
same_with_without() {
    _on=$1 _var=$2 _name=$3
    shift 3
    compared=$((${compared:-0} + 1))
    json_run on "$_on" "$@"
    json_run off "$_var" "$@"
    on_as_off "$_name"
}

# json_run NAME VAR ARGS...: finscope --json --events ARGS, with VAR=1 in
# its environment (none for VAR "-"): stdout to $OUT/NAME.out, stderr
# and then "exit STATUS" to $OUT/NAME.err. Built with the sanitizers,
# without LeakSanitizer's check at exit: these comparisons run finscope
# thousands of times (mapped.sh), and that check took a third of each
# run's time on session 29's machine (157 ms against 103 ms a sample).
# Every other run of the tests checks for leaks, as do the fuzzers.
json_run() {
    _run=$1 _env=$2
    shift 2
    set -- ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        "$FINSCOPE" --json --events "$@"
    [ "$_env" = - ] || set -- "$_env=1" "$@"
    env "$@" < /dev/null > "$OUT/$_run.out" 2> "$OUT/$_run.err"
    echo "exit $?" >> "$OUT/$_run.err"
}

# header_kind FILE: what the readers of a capture file and the writer of
# -w go by in its file header, as one word: the hex of its bytes 0-7
# (magic, version) and 16-23 (snapshot, link type); no newline.
header_kind() {
    od -An -tx1 -N 24 "$1" | tr -d ' \n' | cut -c 1-16,33-48
}

# leaks_off / leaks_on: LeakSanitizer's check at exit off for the
# finscope runs between them (as json_run), back as it was after. For a
# loop that runs finscope over every sample several times over to
# compare outputs: the check nearly doubled a sanitized run's time on
# session 30's machine (about 120 against 65 ms), and the same paths are
# checked for leaks on the generated traces and by the other tests.
leaks_off() {
    _asan_saved=${ASAN_OPTIONS-}
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    export ASAN_OPTIONS
}
leaks_on() {
    ASAN_OPTIONS=$_asan_saved
}

# on_as_off NAME: $OUT/on.out and on.err (a run's stdout, and stderr
# with its exit status) the same as off.out and off.err; else says what
# differs (NAME and the first lines of each diff, from off to on).
on_as_off() {
    if cmp -s "$OUT/on.out" "$OUT/off.out" &&
        cmp -s "$OUT/on.err" "$OUT/off.err"; then
        return 0
    fi
    echo "differs: $1"
    diff "$OUT/off.out" "$OUT/on.out" | head -n 5
    diff "$OUT/off.err" "$OUT/on.err" | head -n 5
    return 1
}

# stdout_has TEXT / stderr_has TEXT: the last status_is printed TEXT.
stdout_has() {
    grep -qF -- "$1" "$OUT/stdout" || {
        echo "stdout lacks '$1':"; cat "$OUT/stdout"; return 1
    }
}

stderr_has() {
    grep -qF -- "$1" "$OUT/stderr" || {
        echo "stderr lacks '$1':"; cat "$OUT/stderr"; return 1
    }
}

finish() {
    echo "1..$tap_n"
    [ "$tap_failed" -eq 0 ]
}
