#!/bin/sh
# finscope tests: each line of samples/TRACES — "name pcap expected
# [options]" — runs finscope --json (a .ladder: without --json, which
# --ladder refuses) and diffs with the expected output.
. "$(dirname "$0")/lib.sh"

golden_one() {
    name=$1 pcap=$2 expected=$3
    shift 3
    json=--json
    case $expected in *.ladder) json= ;; esac
    # shellcheck disable=SC2086
    "$FINSCOPE" $json -r "$SAMPLES/$pcap" "$@" > "$OUT/$name.jsonl" ||
        return 1
    diff -u "$SAMPLES/$expected" "$OUT/$name.jsonl"
}

while read -r name pcap expected opts; do
    case $name in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086
    check "golden $name" golden_one "$name" "$pcap" "$expected" $opts
done < "$SAMPLES/TRACES"
finish
