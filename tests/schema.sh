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
# ... and one a corrupt record stopped (the second record's caplen
# 2^31-1, little-endian as the samples are): "truncated" with the error.
cp "$sample" "$OUT/bad.pcap"
len=$(od -An -tu4 -j 32 -N 4 "$sample" | tr -d ' ')
printf '\377\377\377\177' |
    dd of="$OUT/bad.pcap" bs=1 seek=$((24 + 16 + len + 8)) conv=notrunc 2>/dev/null
"$FINSCOPE" --json -r "$OUT/bad.pcap" > "$OUT/bad.jsonl" 2>/dev/null
check "schema: the summary of a capture a read error stopped" sh -c "
    grep -q '\"truncated\":true,.*\"error\":' '$OUT/bad.jsonl' &&
    '$py' '$validate' '$schema' '$OUT/bad.jsonl'"

# Every property the schema lists says what it means.
check "schema: every property has a description" "$py" -c '
import json, sys
bad = []
def walk(node, path):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "properties":
                for pk, pv in v.items():
                    if "description" not in pv:
                        bad.append(path + "." + pk)
                    walk(pv, path + "." + pk)
            elif k == "$defs":
                for dk, dv in v.items():
                    walk(dv, dk)
            elif k != "if":
                walk(v, path)
    elif isinstance(node, list):
        for x in node:
            walk(x, path)
walk(json.load(open(sys.argv[1])), "")
if bad:
    sys.exit("no description: " + ", ".join(bad))
' "$schema"

# The split address fields say what the "client"/"server" strings say,
# IPv4 and IPv6 alike; the summary names the schema version.
check "conn: client_host/port and server_host/port match client/server" \
    "$py" -c '
import json, sys
n = 0
for path in sys.argv[1:]:
    for line in open(path):
        o = json.loads(line)
        if o["type"] == "summary" and o["schema_version"] != 1:
            sys.exit("schema_version %r" % o["schema_version"])
        if o["type"] != "conn":
            continue
        for role in ("client", "server"):
            host, port = o[role + "_host"], o[role + "_port"]
            want = ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)
            if o[role] != want:
                sys.exit("%s: %s != %s" % (path, o[role], want))
        n += 1
if n < 20:
    sys.exit("only %d conn records" % n)
' "$OUT"/*.jsonl

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
