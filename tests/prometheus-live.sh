#!/bin/sh
# finscope tests: Prometheus for real. Debian's prometheus server runs as
# a plain process in the server's namespace (its config and data under
# $OUT, scraping every second, with contrib/prometheus/finscope.rules.yml)
# and scrapes two finscopes of one --fanout group on the veth there.
# Known traffic (tests/live-traffic.py: clean closes by either side,
# resets by either side) is made; the HTTP API's sum() over both members
# must equal `ss` in each namespace for TIME_WAIT, then the traffic made
# for closes and resets. Every rule loads healthy, and every PromQL query
# of the Grafana dashboard and the rules runs without error. Needs root
# and `ip netns` (skipped otherwise).
. "$(dirname "$0")/lib.sh"
NETNS_TAG=p
. "$G_TEST_SRCDIR/tests/netns.sh"

QUERY="$G_TEST_SRCDIR/tests/prometheus-query.py"
RULES="$G_TEST_SRCDIR/contrib/prometheus/finscope.rules.yml"
DASHBOARD="$G_TEST_SRCDIR/contrib/grafana/finscope.json"
PROMETHEUS=/usr/bin/prometheus
PROM_URL=http://127.0.0.1:9090   # in the server namespace: no other user
GROUP=17
# The traffic; --msl 5 ends finscope's TIME_WAITs after 10 s (the
# kernel's last 60 s): first TIME_WAIT is compared with ss, then, once
# they are over and every record finished, the closes.
CLIENT_FIRST=60
SERVER_FIRST=40
CLIENT_RST=10
SERVER_RST=10
TOTAL=$((CLIENT_FIRST + SERVER_FIRST + CLIENT_RST + SERVER_RST))

netns_require ss "$PROMETHEUS"
netns_up

# prom EXPR: the value of EXPR's one sample, asked in the namespace.
prom() { in_s "$PY" "$QUERY" value "$PROM_URL" "$1"; }
# prom_by LABEL EXPR: "LABEL=value" lines, sorted, joined by spaces.
prom_by() { in_s "$PY" "$QUERY" by "$PROM_URL" "$1" "$2" | tr '\n' ' '; }
# prom_is EXPR WANT: for wait_for.
prom_is() { test "$(prom "$1")" = "$2"; }

# ---- two fanout members, and prometheus scraping both ---------------------

# a on libpcap's TPACKET_V3 ring, b on TPACKET_V2 (--immediate)
for p in a b; do
    port=$([ $p = a ] && echo 9187 || echo 9188)
    imm=$([ $p = a ] || echo --immediate)
    # shellcheck disable=SC2086
    start_finscope $p.jsonl --json $imm --msl 5 --fanout $GROUP \
        --metrics-listen "127.0.0.1:$port"
    check "member $p: listening in fanout group $GROUP, metrics on :$port" sh -c "
        grep -q 'fanout group $GROUP' '$OUT/$p.jsonl.err' &&
        grep -q 'metrics on http://127.0.0.1:$port/metrics' '$OUT/$p.jsonl.err'"
done

mkdir "$OUT/prom"
cat > "$OUT/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $RULES
scrape_configs:
  - job_name: finscope
    static_configs:
      - targets: ['127.0.0.1:9187', '127.0.0.1:9188']
EOF
ip netns exec "$NS" "$PROMETHEUS" --config.file="$OUT/prom/prometheus.yml" \
    --storage.tsdb.path="$OUT/prom/data" \
    --web.listen-address=127.0.0.1:9090 --log.level=warn \
    > "$OUT/prom/log" 2>&1 &
fs_pids="$fs_pids $!"
prom_pid=$!
check "prometheus: ready" wait_for 30 in_s "$PY" -c "
import urllib.request
urllib.request.urlopen('$PROM_URL/-/ready', timeout=2)"
check "prometheus: both members up" wait_for 15 prom_is 'sum(up{job="finscope"})' 2

# ---- TIME_WAIT: Prometheus' sum over the members = ss ----------------------

traffic --ports 4 --client-first $CLIENT_FIRST --server-first $SERVER_FIRST \
    --client-rst $CLIENT_RST --server-rst $SERVER_RST \
    > "$OUT/traffic.json" 2> "$OUT/traffic.err"
tw_c=$(in_c ss -Htan state time-wait | wc -l)
# prometheus' scrapes are on 127.0.0.1, not on the veth
tw_s=$(in_s ss -Htan state time-wait src "$SADDR" | wc -l)
check "traffic: $TOTAL connections made" grep -q "\"total\": $TOTAL, \"errors\": 0" "$OUT/traffic.json"
check "ss: the client namespace holds $CLIENT_FIRST TIME_WAIT" test "$tw_c" -eq $CLIENT_FIRST
# as in live.sh: the kernel has once held two fewer than the server-first
# closes; finscope is held to what it holds
check "ss: the server namespace holds TIME_WAIT for $((SERVER_FIRST - 5))-$SERVER_FIRST of $SERVER_FIRST server-first closes" \
    test "$tw_s" -ge $((SERVER_FIRST - 5)) -a "$tw_s" -le $SERVER_FIRST

tw_sum='sum(finscope_time_wait_endpoints)'
wait_for 6 prom_is "$tw_sum" $((tw_c + tw_s))
check "prometheus: $tw_sum = ss in both namespaces ($tw_c + $tw_s)" \
    test "$(prom "$tw_sum")" = $((tw_c + tw_s))
check "prometheus: TIME_WAIT of $CADDR summed = ss in the client namespace" \
    test "$(prom "sum(finscope_time_wait_endpoints{host=\"$CADDR\"})")" = "$tw_c"
check "prometheus: TIME_WAIT of $SADDR summed = ss in the server namespace" \
    test "$(prom "sum(finscope_time_wait_endpoints{host=\"$SADDR\"})")" = "$tw_s"
check "prometheus: the recording rule's sum agrees" \
    wait_for 3 prom_is 'sum(instance:finscope_time_wait_endpoints:sum)' $((tw_c + tw_s))
check "prometheus: $TOTAL connections over the members" \
    test "$(prom 'sum(finscope_connections_total)')" = $TOTAL
check "prometheus: each member saw some" \
    test "$(prom 'count(finscope_connections_total > 0)')" = 2
check "every PromQL query of the dashboard and the rules runs while TIME_WAIT is held" \
    in_s "$PY" "$QUERY" queries "$PROM_URL" "$DASHBOARD"

# ---- closes and resets, once every record is finished ---------------------

check "prometheus: every record finished (TIME_WAIT over)" \
    wait_for 30 prom_is 'sum(finscope_connections_live)' 0
check "prometheus: sum by (active_closer) of closes = the traffic" \
    test "$(prom_by active_closer 'sum by (active_closer) (finscope_closes_total)')" = \
        "client=$CLIENT_FIRST server=$SERVER_FIRST simultaneous=0 "
check "prometheus: sum by (close) of finished records = the traffic" \
    test "$(prom_by close 'sum by (close) (finscope_connections_finished_total)')" = \
        "graceful=$((CLIENT_FIRST + SERVER_FIRST)) incomplete=0 open=0 reset=$((CLIENT_RST + SERVER_RST)) "
check "prometheus: sum by (from) of resets = the traffic" \
    test "$(prom_by from 'sum by (from) (finscope_resets_total)')" = \
        "client=$CLIENT_RST server=$SERVER_RST "
check "prometheus: no kernel drops" \
    test "$(prom 'sum(finscope_packets_dropped_total)')" = 0

# ---- the rules and the dashboard against the real server -----------------

in_s "$PY" "$QUERY" rules "$PROM_URL" > "$OUT/rules"
check "rules: all of finscope.rules.yml loaded" \
    test "$(wc -l < "$OUT/rules")" -eq "$(grep -cE '^ *- (record|alert):' "$RULES")"
check "rules: every rule evaluates healthy" sh -c "
    cat '$OUT/rules'; ! grep -qv '^ok ' '$OUT/rules'"
check "every PromQL query of the dashboard and the rules runs once all is over" \
    in_s "$PY" "$QUERY" queries "$PROM_URL" "$DASHBOARD"
# the check itself: a broken query is an error
check "a broken query is reported as an error" sh -c "
    prom_out=\$(ip netns exec '$NS' '$PY' '$QUERY' value '$PROM_URL' 'sum(rate(finscope_packets_total[5m])')
    echo \"\$prom_out\"; case \$prom_out in error:*) ;; *) exit 1;; esac"

kill -TERM "$prom_pid" 2>/dev/null
for p in a b; do
    stop_finscope $p.jsonl
    check "member $p: SIGINT, clean exit 0" test "$(cat "$OUT/$p.jsonl.status")" -eq 0
done

finish
