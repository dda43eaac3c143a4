#!/bin/sh
# finscope tests: each crafted sample's pcap is exactly what tests/mktrace
# makes from its readable .trace script (options on a "# mktrace:" line),
# so the script a reviewer reads is the trace the tests run.
. "$(dirname "$0")/lib.sh"

for trace in "$SAMPLES"/crafted-*.trace; do
    name=$(basename "$trace" .trace)
    opts=$(sed -n 's/^# mktrace: //p' "$trace" | head -n 1)
    # shellcheck disable=SC2086
    "$MKTRACE" $opts "$trace" "$OUT/$name.pcap"
    check "crafted $name matches its script" \
        cmp "$OUT/$name.pcap" "$SAMPLES/$name.pcap"
done
finish
