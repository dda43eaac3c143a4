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

msl_of() { "$FINSCOPE" --json "$@" | sed -n 's/.*"type":"summary","msl":\([0-9.]*\).*/\1/p'; }
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
check "--threads 3: usage error (2)" status_is 2 "$FINSCOPE" --threads 3 -r "$sample"
check "--threads 3 says what to give" stderr_has "give 1 or 2"
fs_run "$OUT/t1" --threads 1 --json -r "$sample" -r "$other"
fs_run "$OUT/t2" --threads 2 --json -r "$sample" -r "$other"
check "--threads 1 and 2 agree on merged files" cmp "$OUT/t1" "$OUT/t2"
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
finish
