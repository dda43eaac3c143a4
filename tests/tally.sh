#!/bin/sh
# finscope tests: one tally feeds every view. On every sample the text
# summary, the JSON summary, the Prometheus exposition and `finscope
# check`'s summary fields agree number for number (tests/tally-agree.py).
. "$(dirname "$0")/lib.sh"

metrics="$G_TEST_BUILDDIR/tests/tally-metrics"
agree="$G_TEST_SRCDIR/tests/tally-agree.py"

names=
while read -r name pcap expected opts; do
    case $name in ''|'#'*) continue ;; esac
    msl=$(printf '%s\n' "$opts" | sed -n 's/.*--msl \([^ ]*\).*/\1/p')
    set -- -r "$SAMPLES/$pcap"
    [ -z "$msl" ] || set -- "$@" --msl "$msl"
    "$FINSCOPE" "$@" > "$OUT/$name.txt" 2> /dev/null
    "$FINSCOPE" --json "$@" > "$OUT/$name.jsonl" 2> /dev/null
    "$metrics" "$@" > "$OUT/$name.prom" 2> /dev/null
    "$FINSCOPE" check --update --baseline "$OUT/$name.expect" "$@" \
        > /dev/null 2>&1
    names="$names $name"
done < "$SAMPLES/TRACES"
# shellcheck disable=SC2086
python3 "$agree" "$OUT" $names > "$OUT/tap"
cat "$OUT/tap"
tap_n=$(grep -c '^\(not \)\?ok ' "$OUT/tap")
tap_failed=$(grep -c '^not ok ' "$OUT/tap")

# The comparison itself must catch a view that counts differently.
first=$(ls "$OUT"/*.prom | head -n 1)
base=$(basename "$first" .prom)
for ext in txt jsonl expect; do cp "$OUT/$base.$ext" "$OUT/skewed.$ext"; done
sed 's/^\(finscope_closes_total{active_closer="server"}\) \([0-9]*\)/\1 9\2/' \
    "$first" > "$OUT/skewed.prom"
if python3 "$agree" "$OUT" skewed > /dev/null; then
    not_ok "tally-agree catches metrics that differ"
else
    ok "tally-agree catches metrics that differ"
fi

# README's list of summary fields is the catalogue's (src/1-engine/tally.c), no
# more and no fewer: finscope check --help prints the catalogue.
"$FINSCOPE" check --help | sed -n '/^Summary fields/,/^$/p' |
    sed -n 's/^  \([a-z][a-z0-9_]*\) .*/\1/p' | sort > "$OUT/catalogue"
sed -n '/^- Summary fields count over the run/,/They compare with a/p' \
    "$G_TEST_SRCDIR/README.md" | grep -o '`[a-z0-9_]*`' | tr -d '`' |
    sort > "$OUT/readme"
if [ "$(wc -l < "$OUT/catalogue")" -gt 20 ] &&
        diff "$OUT/catalogue" "$OUT/readme" > "$OUT/diff"; then
    ok "README lists every summary field of the catalogue"
else
    not_ok "README lists every summary field of the catalogue"
    sed 's/^/# /' "$OUT/diff"
fi
finish
