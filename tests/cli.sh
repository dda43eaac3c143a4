#!/bin/sh
# finscope tests: options, exit codes, stdin, merging and filters.
. "$(dirname "$0")/lib.sh"

sample=$(ls "$SAMPLES"/*.pcap | head -n 1)
other=$(ls "$SAMPLES"/*.pcap | sed -n 2p)

check "no arguments: usage error 2" status_is 2 "$FINSCOPE"
check "no arguments: says what is missing" stderr_has "nothing to read"
check "unknown option: 2" status_is 2 "$FINSCOPE" --bogus -r "$sample"
check "--msl abc: 2" status_is 2 "$FINSCOPE" --msl abc -r "$sample"
check "--msl abc: names the option" stderr_has "msl"
check "--msl -5: 2" status_is 2 "$FINSCOPE" --msl -5 -r "$sample"
check "--os plan9: 2" status_is 2 "$FINSCOPE" --os plan9 -r "$sample"
check "bad BPF: 2" status_is 2 "$FINSCOPE" -r "$sample" "tcp and and"
check "--help: 0" status_is 0 "$FINSCOPE" --help
check "--help documents exit codes" grep -q "Exit status" "$OUT/stdout"
check "--version: 0" status_is 0 "$FINSCOPE" --version

# An option that does not apply is a usage error (2) naming it, never
# ignored: live-only options with -r, file-only ones with -i (checked
# before the interface is opened, so no root is needed), and the options
# --extract and --ladder have no use for.
inapplicable() {
    want=$1
    shift
    check "$* : usage error (2)" status_is 2 "$FINSCOPE" "$@"
    check "$* : says '$want'" stderr_has "$want"
}
inapplicable "--closes-only needs -i" --closes-only -r "$sample"
for opt in "-c 5" "-s 96" "-B 1024" "--immediate" "-p" "-Z nobody" \
           "-w $OUT/w.pcap" "--metrics-listen 127.0.0.1:0" \
           "--metrics-file $OUT/m.prom" "--fanout 3"; do
    # shellcheck disable=SC2086
    inapplicable "${opt%% *} needs -i" $opt -r "$sample"
done
# 0 given is given: -s 0 (262144, as tcpdump) still needs -i; -c 0 and
# -B 0 are out of range (they were the values for "not given")
inapplicable "-s needs -i" -s 0 -r "$sample"
inapplicable "-c: a count of packets, 1 or more" -c 0 -i nosuchif0
inapplicable "-B: a buffer size in KiB, 1-4194304" -B 0 -i nosuchif0
inapplicable "--max-flows: 0: a count of connections, 1 or more" \
    --max-flows 0 -r "$sample"
inapplicable "--max-flows: -3: a count" --max-flows -3 -r "$sample"
inapplicable "--threads is for capture files" --threads 1 -i nosuchif0
inapplicable "--fanout: '65536' is not a group id 0-65535" --fanout 65536 \
    -i nosuchif0
inapplicable "--fanout: '-1' is not a group id" --fanout=-1 -i nosuchif0
inapplicable "--fanout: '7x' is not a group id" --fanout 7x -i nosuchif0
inapplicable "--timeline and --plot read capture files" \
    --timeline "$OUT/tl.csv" -i nosuchif0
inapplicable "--timeline and --plot read capture files" \
    --plot "$OUT/tl.svg" -i nosuchif0
inapplicable "--extract and --ladder read capture files" --ladder 1 \
    -i nosuchif0
inapplicable "--json does not apply to --extract or --ladder" \
    --json --ladder 1 -r "$sample"
inapplicable "--json does not apply to --extract or --ladder" \
    --json --extract 1 -w "$OUT/x.pcap" -r "$sample"
inapplicable "--top does not apply" --top 3 --ladder 1 -r "$sample"
inapplicable "--threads does not apply" --threads 1 --ladder 1 -r "$sample"
inapplicable "cannot be combined with --extract" --timeline "$OUT/tl.csv" \
    --extract 1 -w "$OUT/x.pcap" -r "$sample"
inapplicable "--step needs --timeline or --plot" --step 2 -r "$sample"
check "--step with --timeline applies: 0" status_is 0 "$FINSCOPE" \
    --step 2 --timeline "$OUT/tl.csv" -r "$sample"
check "--closes-only with -i passes the option checks" sh -c "
    '$FINSCOPE' --closes-only -i nosuchif0 2>&1 >/dev/null |
    grep -v 'needs -i\\|does not apply' | grep -q ."

msl_of() { "$FINSCOPE" --json "$@" | sed -n 's/.*"type":"summary",.*"msl":\([0-9.]*\).*/\1/p'; }
check "default MSL is 30 s" test "$(msl_of -r "$sample")" = "30.000000000"
check "--os windows: MSL 120 s" test "$(msl_of --os windows -r "$sample")" = "120.000000000"
check "--os macos: MSL 15 s" test "$(msl_of --os macos -r "$sample")" = "15.000000000"
check "--msl beats --os" test "$(msl_of --os windows --msl 2.5 -r "$sample")" = "2.500000000"

fs_run "$OUT/file.jsonl" --json -r "$sample"
fs_run "$OUT/stdin.jsonl" --json -r - < "$sample"
check "-r - reads stdin like a file" cmp "$OUT/file.jsonl" "$OUT/stdin.jsonl"

conns() { grep -c '"type":"conn"' "$1"; }
fs_run "$OUT/other.jsonl" --json -r "$other"
fs_run "$OUT/both.jsonl" --json -r "$sample" -r "$other"
check "two files merged: connections of both" \
    test "$(conns "$OUT/both.jsonl")" -eq $(( $(conns "$OUT/file.jsonl") + $(conns "$OUT/other.jsonl") ))

fs_run "$OUT/filtered.jsonl" --json -r "$sample" "tcp port 9"
check "BPF filter keeps nothing on port 9" \
    grep -q '"type":"summary".*"connections":0,' "$OUT/filtered.jsonl"

fs_run "$OUT/text" -r "$sample"
check "text report has the summary" grep -q "^Summary" "$OUT/text"
check "text report has the table" grep -q "^ID  *CLIENT  *SERVER" "$OUT/text"
fs_run "$OUT/a" --json -r "$sample"
fs_run "$OUT/b" --json -r "$sample"
check "output is deterministic" cmp "$OUT/a" "$OUT/b"
check "--threads 65: usage error (2)" status_is 2 "$FINSCOPE" --threads 65 -r "$sample"
check "--threads 65 says what to give" stderr_has "give 1 to 64"
check "--threads 0: usage error (2)" status_is 2 "$FINSCOPE" --threads 0 -r "$sample"
check "--threads 0 says what to give" stderr_has "give 1 to 64"
fs_run "$OUT/t1" --threads 1 --json -r "$sample" -r "$other"
fs_run "$OUT/t2" --threads 2 --json -r "$sample" -r "$other"
check "--threads 1 and 2 agree on merged files" cmp "$OUT/t1" "$OUT/t2"
check "--top -1: usage error (2)" status_is 2 "$FINSCOPE" --top -1 -r "$sample"
check "--top -1 says it is negative" stderr_has "--top: -1 is negative"
check "--freeze-after -1: usage error (2)" status_is 2 "$FINSCOPE" --freeze-after -1 -r "$sample"
check "--freeze-after -1 names the option" stderr_has "--freeze-after"
check "--freeze-after 0.0 is 0: never" status_is 0 "$FINSCOPE" --freeze-after 0.0 -r "$sample"
check "--freeze-after . is no number: 2" status_is 2 "$FINSCOPE" --freeze-after . -r "$sample"
# Frozen connections are invisible in the output: never frozen, frozen at
# every sweep (1 ns quiet) and the default, on traces where 4-tuples are
# reused and old duplicates meet frozen TIME_WAITs.
for s in old-dup-after-reuse old-dup-time-wait reuse-client-time-wait \
         syn-to-last-ack; do
    fs_run "$OUT/fz0" --freeze-after 0 --json --events -r "$SAMPLES/$s.pcap"
    fs_run "$OUT/fz1" --freeze-after 0.000000001 --json --events \
        -r "$SAMPLES/$s.pcap"
    fs_run "$OUT/fzd" --json --events -r "$SAMPLES/$s.pcap"
    check "$s: frozen at every sweep, same output" cmp "$OUT/fz0" "$OUT/fz1"
    check "$s: frozen as by default, same output" cmp "$OUT/fz0" "$OUT/fzd"
done
# -- names and filters with control characters reach stderr escaped -------
esc=$(printf '\033')
no_raw_esc() { ! grep -q "$esc" "$OUT/stderr"; }
check "missing file with ESC in its name: 1" \
    status_is 1 "$FINSCOPE" -r "$OUT/a${esc}[31mb.pcap"
check "... the name escaped on stderr" stderr_has 'a\x1b[31mb.pcap'
check "... no raw ESC on stderr" no_raw_esc
size=$(wc -c < "$sample")
head -c $((size - 7)) "$sample" > "$OUT/cut${esc}]0;title.pcap"
check "cut file with ESC in its name: 0" \
    status_is 0 "$FINSCOPE" -r "$OUT/cut${esc}]0;title.pcap"
check "... its warning escaped" stderr_has 'cut\x1b]0;title.pcap: file ends'
check "... no raw ESC on stderr" no_raw_esc
check "bad filter with ESC: 2" \
    status_is 2 "$FINSCOPE" -r "$sample" "tcp and ${esc}[2J"
check "... the filter escaped on stderr" stderr_has 'tcp and \x1b[2J'
check "... no raw ESC on stderr" no_raw_esc
check "interface name with ESC: fails" sh -c "
    ! '$FINSCOPE' -i 'no${esc}[5msuch' -c 1 > '$OUT/stdout' 2> '$OUT/stderr'"
check "... the name escaped on stderr" stderr_has 'no\x1b[5msuch'
check "... no raw ESC on stderr" no_raw_esc
check "--metrics-listen with ESC: 2" \
    status_is 2 "$FINSCOPE" -i lo --metrics-listen "a${esc}[2J:1"
check "... the address escaped on stderr" stderr_has "'a\x1b[2J:1' is not"
check "... no raw ESC on stderr" no_raw_esc

# -- many files merged: the same as their packets in one file ------------
# split_pcap IN N PREFIX: deals the records of a classic pcap round-robin
# into N files PREFIX.0.pcap ... (each with the same file header); records
# with the same time go to the same file, whose order the merge keeps.
split_pcap() {
    python3 - "$@" << 'PY'
import struct, sys
src, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = open(src, 'rb').read()
head, pos = data[:24], 24
end = '<' if head[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
outs = [open('%s.%d.pcap' % (prefix, i), 'wb') for i in range(n)]
for f in outs:
    f.write(head)
k, last = -1, None
while pos + 16 <= len(data):
    ts = data[pos:pos + 8]
    incl = struct.unpack(end + 'I', data[pos + 8:pos + 12])[0]
    k += ts != last
    last = ts
    outs[k % n].write(data[pos:pos + 16 + incl])
    pos += 16 + incl
for f in outs:
    f.close()
PY
}
# same_but_frames A B: the same records, but for where their frames are
# (frame numbers are per input file, and name it when there are several)
same_but_frames() {
    python3 - "$1" "$2" <<'PY'
import json, sys
drop = {"frame", "file", "first_frame", "last_frame", "first_file",
        "last_file", "filter"}
def load(p):
    return [{k: v for k, v in json.loads(l).items() if k not in drop}
            for l in open(p)]
sys.exit(0 if load(sys.argv[1]) == load(sys.argv[2]) else 1)
PY
}
# -r PREFIX.0.pcap -r PREFIX.1.pcap ... for N files
r_args() {
    i=0
    while [ "$i" -lt "$2" ]; do
        printf ' -r %s.%d.pcap' "$1" "$i"
        i=$((i + 1))
    done
}
GENTRACE=${GENTRACE:-$G_TEST_BUILDDIR/bench/gentrace}
if command -v python3 > /dev/null 2>&1 && [ -x "$GENTRACE" ]; then
    "$GENTRACE" --connections 2000 --concurrency 200 --rate 1000 \
        --avg-size 100 --out "$OUT/whole.pcap" 2> /dev/null
    fs_run "$OUT/whole.jsonl" --json --events -r "$OUT/whole.pcap"
    split_pcap "$OUT/whole.pcap" 7 "$OUT/seven"
    # shellcheck disable=SC2046
    fs_run "$OUT/seven.jsonl" --json --events $(r_args "$OUT/seven" 7)
    check "7 files merged: the same output as one file" \
        same_but_frames "$OUT/whole.jsonl" "$OUT/seven.jsonl"
    # shellcheck disable=SC2046
    fs_run "$OUT/seven1.jsonl" --threads 1 --json --events \
        $(r_args "$OUT/seven" 7)
    check "7 files merged, one thread: the same" \
        same_but_frames "$OUT/whole.jsonl" "$OUT/seven1.jsonl"
    mkdir "$OUT/many"
    split_pcap "$OUT/whole.pcap" 1500 "$OUT/many/p"
    if [ "$(ulimit -H -n)" = unlimited ] || [ "$(ulimit -H -n)" -ge 1600 ]; then
        # a soft limit below the files: finscope raises it to the hard one
        # (names relative to their directory: one argument of sh -c is
        # at most 128 KiB, and 1,500 absolute names under a deep build
        # tree, as distcheck's, pass that)
        # shellcheck disable=SC2046
        check "1,500 files (soft limit 1024): merged like one file" sh -c "
            ulimit -S -n 1024 && cd '$OUT/many' &&
            '$FINSCOPE' --json --events $(r_args p 1500) \
                > '$OUT/many.jsonl'" &&
            check "... the same records as one file" \
                same_but_frames "$OUT/whole.jsonl" "$OUT/many.jsonl"
    else
        skip "the hard limit of open files is below 1,600"
    fi
    # shellcheck disable=SC2046
    check "1,500 files over a hard limit of 200: runtime error (1)" sh -c "
        ulimit -n 200 && cd '$OUT/many' &&
        '$FINSCOPE' --json $(r_args p 1500) \
            > '$OUT/stdout' 2> '$OUT/stderr'; test \$? -eq 1"
    check "... naming the limit before reading anything" sh -c "
        grep -q 'limit of open files is 200' '$OUT/stderr' &&
        test ! -s '$OUT/stdout'"
else
    skip "python3 or bench/gentrace missing: no split captures"
fi

# -- SIGUSR1 offline: a summary so far, and the run goes on ---------------
# A FIFO holds the run open: the header and half the packets, SIGUSR1,
# then the rest.
if command -v python3 > /dev/null 2>&1 && [ -f "$OUT/whole.pcap" ]; then
    mkfifo "$OUT/usr1.fifo"
    size=$(wc -c < "$OUT/whole.pcap")
    "$FINSCOPE" -r "$OUT/usr1.fifo" > "$OUT/usr1.out" 2> "$OUT/usr1.err" &
    fs_pid=$!
    {
        head -c $((size / 2)) "$OUT/whole.pcap"
        sleep 1
        kill -USR1 "$fs_pid"
        sleep 1
        tail -c +$((size / 2 + 1)) "$OUT/whole.pcap"
    } > "$OUT/usr1.fifo"
    wait "$fs_pid"
    usr1_status=$?
    check "SIGUSR1 during an offline run: exit 0 (not 138)" \
        test "$usr1_status" -eq 0
    check "SIGUSR1: a summary so far is printed" \
        grep -q '^Summary so far' "$OUT/usr1.out"
    fs_run "$OUT/usr1.whole" -r "$OUT/whole.pcap"
    check "SIGUSR1: then the whole report, as without it" sh -c "
        sed -n '/^Summary\$/,\$p' '$OUT/usr1.out' > '$OUT/usr1.tail' &&
        sed -n '/^Summary\$/,\$p' '$OUT/usr1.whole' | cmp - '$OUT/usr1.tail'"
    check "finscope check ignores SIGUSR1" sh -c "
        '$FINSCOPE' check -a 'resets >= 0' -r '$OUT/usr1.fifo' > '$OUT/c1.out' &
        pid=\$!
        { head -c 24 '$OUT/whole.pcap'; sleep 1; kill -USR1 \$pid; sleep 0.5
          tail -c +25 '$OUT/whole.pcap'; } > '$OUT/usr1.fifo'
        wait \$pid && grep -q '1 passed' '$OUT/c1.out'"
else
    skip "no capture to read through a FIFO"
fi

# The text summary says how many connections rest on one direction or
# on no SYN (their closers guessed), and says nothing of it otherwise.
check "one-sided: the summary counts it" status_is 0 "$FINSCOPE" \
    -r "$SAMPLES/crafted-one-sided-pcapng.pcap"
check "... one side captured 1" stdout_has "one side captured     1 ("
check "mid-stream: the summary counts it" status_is 0 "$FINSCOPE" \
    -r "$SAMPLES/crafted-midstream-qinq.pcap"
check "... no SYN seen 1" stdout_has "no SYN seen           1 ("
check "both sides: no such line" status_is 0 "$FINSCOPE" \
    -r "$SAMPLES/client-close-first-v4.pcap"
check "... not one" sh -c "! grep -q 'one side captured\|no SYN seen' '$OUT/stdout'"
finish
