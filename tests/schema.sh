#!/bin/sh
# finscope tests: real --json output of every sample validates against
# schema/finscope.schema.json; a broken object is caught.
. "$(dirname "$0")/lib.sh"

py=
for p in /usr/bin/python3 python3; do
    if "$p" -c 'import jsonschema' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
    not_ok "python3 with jsonschema is installed (apt-get install python3-jsonschema)"
    finish; exit
fi
schema="$G_TEST_SRCDIR/schema/finscope.schema.json"
validate="$G_TEST_SRCDIR/tests/validate-json.py"

for pcap in "$SAMPLES"/*.pcap; do
    name=$(basename "$pcap" .pcap)
    "$FINSCOPE" --json --events -r "$pcap" > "$OUT/$name.jsonl"
    check "schema $name" "$py" "$validate" "$schema" "$OUT/$name.jsonl"
done

# A capture cut inside its last record: "truncated" and its files.
sample=$(ls "$SAMPLES"/*.pcap | head -n 1)
size=$(wc -c < "$sample")
head -c $((size - 7)) "$sample" > "$OUT/cut.pcap"
"$FINSCOPE" --json -r "$OUT/cut.pcap" > "$OUT/cut.jsonl" 2>/dev/null
check "schema: a truncated capture's summary" sh -c "
    grep -q '\"truncated\":true' '$OUT/cut.jsonl' &&
    '$py' '$validate' '$schema' '$OUT/cut.jsonl'"

# The validator itself must reject what breaks the schema.
first=$(ls "$OUT"/*.jsonl | head -n 1)
grep '"type":"conn"' "$first" | head -n 1 |
    sed 's/"close":"[a-z]*"/"close":"fine"/' > "$OUT/broken.jsonl"
grep '"type":"summary"' "$first" >> "$OUT/broken.jsonl"
if "$py" "$validate" "$schema" "$OUT/broken.jsonl" > /dev/null; then
    not_ok "schema rejects a conn with close \"fine\""
else
    ok "schema rejects a conn with close \"fine\""
fi
finish
