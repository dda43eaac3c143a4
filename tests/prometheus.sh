#!/bin/sh
# finscope tests: contrib/prometheus/finscope.rules.yml parses and its
# alerts fire as finscope.rules.test.yml says (promtool test rules), every
# PromQL query of the Grafana dashboard parses, and every finscope_*
# metric they name is one finscope exports (src/4-cli/metrics.c). Skipped
# without promtool (Debian package prometheus).
. "$(dirname "$0")/lib.sh"

PROM="$G_TEST_SRCDIR/contrib/prometheus"
DASHBOARD="$G_TEST_SRCDIR/contrib/grafana/finscope.json"

if ! command -v promtool > /dev/null; then
    skip "promtool check rules: promtool not installed"
    skip "promtool test rules: promtool not installed"
    skip "dashboard queries parse: promtool not installed"
else
    check "promtool check rules finscope.rules.yml" \
        promtool check rules "$PROM/finscope.rules.yml"
    check "promtool test rules finscope.rules.test.yml" \
        promtool test rules "$PROM/finscope.rules.test.yml"
    # Each query as a recording rule, Grafana's variables given values.
    python3 - "$DASHBOARD" > "$OUT/dashboard.rules.yml" <<'PY'
import json, sys
board = json.load(open(sys.argv[1]))
print("groups:\n  - name: dashboard\n    rules:")
n = 0
for panel in board["panels"]:
    for target in panel.get("targets", []):
        expr = (target["expr"].replace("$__rate_interval", "5m")
                .replace("$instance", ".*"))
        n += 1
        print("      - record: dashboard:query_%d" % n)
        print("        expr: %s" % json.dumps(expr))
if n == 0:
    sys.exit("no queries in the dashboard")
PY
    check "dashboard: every query parses (promtool check rules)" \
        promtool check rules "$OUT/dashboard.rules.yml"
    # the check itself: a broken query fails it
    printf 'groups:\n  - name: x\n    rules:\n      - record: x:y\n        expr: "sum(rate(finscope_packets_total[5m])"\n' \
        > "$OUT/broken.rules.yml"
    if promtool check rules "$OUT/broken.rules.yml" > /dev/null 2>&1; then
        not_ok "promtool check rules rejects a broken query"
    else
        ok "promtool check rules rejects a broken query"
    fi
fi

# Metric names: every finscope_* series the rules and the dashboard read
# (not the rules' own level:metric:operation names) is one src/4-cli/metrics.c
# writes.
names_exported() {
    missing=
    for name in $(grep -oh '[a-z:]*finscope_[a-z_]*' \
                      "$PROM/finscope.rules.yml" \
                      "$PROM/finscope.rules.test.yml" "$DASHBOARD" |
                  grep -v ':' | sort -u); do
        grep -q "\"$name\"" "$G_TEST_SRCDIR/src/4-cli/metrics.c" ||
            missing="$missing $name"
    done
    [ -z "$missing" ] || { echo "not exported by finscope:$missing"; return 1; }
}
check "rules and dashboard read only metrics finscope exports" names_exported
finish
