#!/bin/sh
# finscope tests: --json-flat writes each --json conn record flattened
# (tests/json-flat.py agree), for every sample of samples/TRACES; its
# lines all have the same keys, the columns of contrib/clickhouse's
# table; "file" names each record's capture file.
. "$(dirname "$0")/lib.sh"

AGREE="$G_TEST_SRCDIR/tests/json-flat.py"
SCHEMA="$G_TEST_SRCDIR/contrib/clickhouse/schema.sql"

flat_one() {
    name=$1 pcap=$2
    shift 3
    # shellcheck disable=SC2086
    "$FINSCOPE" --json -r "$SAMPLES/$pcap" "$@" > "$OUT/$name.json" &&
        "$FINSCOPE" --json-flat -r "$SAMPLES/$pcap" "$@" \
            > "$OUT/$name.flat" &&
        python3 "$AGREE" agree "$OUT/$name.json" "$OUT/$name.flat"
}

flats=
while read -r trace pcap expected opts; do
    case $trace in ''|'#'*) continue ;; esac
    case $expected in *.ladder) continue ;; esac
    flats="$flats $OUT/$trace.flat"
    # shellcheck disable=SC2086
    check "--json-flat = --json conn records: $trace" \
        flat_one "$trace" "$pcap" "$expected" $opts
done < "$SAMPLES/TRACES"

# shellcheck disable=SC2086
check "--json-flat: same keys in every line, the columns of schema.sql" \
    python3 "$AGREE" columns "$SCHEMA" $flats
# the check itself: a table without a column fails it
sed '/^    vlan /d' "$SCHEMA" > "$OUT/no-vlan.sql"
# shellcheck disable=SC2086
if python3 "$AGREE" columns "$OUT/no-vlan.sql" $flats > /dev/null; then
    not_ok "a schema.sql without a key's column fails the check"
else
    ok "a schema.sql without a key's column fails the check"
fi

# Two files: each record names the file of its first frame.
files_named() {
    "$FINSCOPE" --json-flat -r "$SAMPLES/fin-lost.pcap" \
        -r "$SAMPLES/crafted-refused.pcap" > "$OUT/two.flat" || return 1
    python3 - "$OUT/two.flat" "$SAMPLES" <<'PY'
import collections, json, sys
files = collections.Counter(json.loads(l)["file"] for l in open(sys.argv[1]))
want = {sys.argv[2] + "/fin-lost.pcap": 1,
        sys.argv[2] + "/crafted-refused.pcap": 5}
if files != want:
    sys.exit("files %r, want %r" % (dict(files), want))
PY
}
check "--json-flat: file names each record's capture" files_named
check "--json with --json-flat is a usage error" \
    status_is 2 "$FINSCOPE" --json --json-flat -r "$SAMPLES/fin-lost.pcap"
finish
