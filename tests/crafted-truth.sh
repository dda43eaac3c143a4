#!/bin/sh
# finscope tests: each crafted sample with a hand-written answer
# (samples/NAME.truth-hand, the format of tests/public/expect.py) gets
# that answer from finscope. The crafted traces reproduce the segment
# patterns of the public captures of issue 12, which CI cannot read.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/public/answer.sh"

found=0
for truth in "$SAMPLES"/*.truth-hand; do
    [ -e "$truth" ] || continue
    found=1
    sample=$(basename "$truth" .truth-hand)
    answer "$sample" "$truth" "$SAMPLES/$sample.pcap"
done
[ "$found" -eq 1 ] || not_ok "samples/ has crafted traces with .truth-hand"
finish
