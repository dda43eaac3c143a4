#!/bin/sh
# finscope soak test (not in CI): finscope -i on a veth between two network
# namespaces while tests/live-traffic.py opens and closes RATE connections
# a second (45% client closes first, 45% server first, 10% RST) for
# MINUTES. Samples finscope's RSS every 10 s, prints the series and the
# max/min ratio (over the whole run, and once TIME_WAIT is in steady state
# after 2*MSL), then stops finscope with SIGINT and prints its summary.
#
# usage: scripts/soak.sh [MINUTES [RATE]]    (default 10 minutes, 3000/s)
# env:   FINSCOPE (default ./finscope of this tree), SOAK_ARGS (more finscope
#        options, e.g. "--max-flows 100000"). Needs root.
set -u
cd "$(dirname "$0")/.." || exit 2
minutes=${1:-10}
rate=${2:-3000}
FINSCOPE=${FINSCOPE:-$(pwd)/finscope}
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
NC=fs-soakc-$$ NS=fs-soaks-$$ VC=fssc$$ VS=fsss$$
SADDR=10.79.0.2 CADDR=10.79.0.1 MPORT=9188
work=$(mktemp -d /tmp/finscope-soak.XXXXXX)
fs_pid= gen_pid=

cleanup() {
    [ -n "$gen_pid" ] && kill "$gen_pid" 2>/dev/null
    [ -n "$fs_pid" ] && kill -9 "$fs_pid" 2>/dev/null
    ip netns del "$NC" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ "$(id -u)" -eq 0 ] || { echo "soak: needs root" >&2; exit 2; }
[ -x "$FINSCOPE" ] || { echo "soak: no $FINSCOPE (make first)" >&2; exit 2; }

ip netns add "$NC" && ip netns add "$NS" || exit 1
ip -n "$NC" link add "$VC" type veth peer name "$VS" netns "$NS"
for side in c s; do
    if [ $side = c ]; then ns=$NC dev=$VC addr=$CADDR; else ns=$NS dev=$VS addr=$SADDR; fi
    ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off > /dev/null 2>&1
    ip -n "$ns" addr add "$addr/24" dev "$dev"
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$dev" up
done
# A wide port range, and reuse of the client's own TIME_WAIT 4-tuples:
# 32 server ports keep RATE within what 2*MSL of TIME_WAIT allows.
ip netns exec "$NC" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" \
    net.ipv4.tcp_tw_reuse=1
sleep 1

# Only the summary of the record stream is kept (through a FIFO, so that
# $! is finscope's own pid).
mkfifo "$work/out"
grep '"type":"summary"' < "$work/out" > "$work/summary" &
# shellcheck disable=SC2086
ip netns exec "$NS" "$FINSCOPE" -i "$VS" --json -B 65536 \
    --metrics-listen "127.0.0.1:$MPORT" ${SOAK_ARGS:-} \
    > "$work/out" 2> "$work/finscope.err" &
fs_pid=$!
sleep 1
kill -0 "$fs_pid" 2>/dev/null || { cat "$work/finscope.err"; exit 1; }

seconds=$((minutes * 60))
"$PY" tests/live-traffic.py --client-ns "$NC" --server-ns "$NS" \
    --server-addr "$SADDR" --port 10000 --ports 32 --rate "$rate" \
    --duration "$seconds" > "$work/traffic.json" 2>&1 &
gen_pid=$!

metric() {
    ip netns exec "$NS" curl -s -m 5 "http://127.0.0.1:$MPORT/metrics" |
        awk -v m="$1" '$1 == m { s += $2 } END { print s + 0 }'
}

echo "soak: $minutes min at $rate connections/s; finscope pid $fs_pid"
printf '%6s %10s %10s %10s %10s %8s\n' "t(s)" "rss(kB)" "live" "tw_now" \
    "conns" "drops"
: > "$work/rss"
t=0
while [ "$t" -lt "$seconds" ]; do
    sleep 10
    t=$((t + 10))
    kill -0 "$fs_pid" 2>/dev/null || { echo "soak: finscope died"; cat "$work/finscope.err"; exit 1; }
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$fs_pid/status")
    echo "$t $rss" >> "$work/rss"
    printf '%6d %10d %10d %10d %10d %8d\n' "$t" "$rss" \
        "$(metric finscope_connections_live)" \
        "$(metric 'finscope_time_wait_endpoints{host="'$CADDR'"}')" \
        "$(metric finscope_connections_total)" \
        "$(metric finscope_packets_dropped_total)"
done
wait "$gen_pid"
gen_pid=
echo "traffic: $(cat "$work/traffic.json")"
# (client TIME_WAIT only in tw_now above; the server holds as many)

awk '
    { rss[NR] = $2; t[NR] = $1 }
    END {
        min = max = rss[1]; smin = smax = 0
        for (i = 1; i <= NR; i++) {
            if (rss[i] < min) min = rss[i]
            if (rss[i] > max) max = rss[i]
            if (t[i] >= 80) {    # 2*MSL (60 s) of TIME_WAIT built up
                if (smin == 0 || rss[i] < smin) smin = rss[i]
                if (rss[i] > smax) smax = rss[i]
            }
        }
        printf "rss: min %d kB, max %d kB, max/min %.2f\n", min, max, max / min
        if (smin > 0)
            printf "rss from t=80 s (steady state): min %d kB, max %d kB, " \
                   "max/min %.2f\n", smin, smax, smax / smin
    }' "$work/rss"

kill -INT "$fs_pid"
wait "$fs_pid"
echo "finscope exit status $?"
fs_pid=
sleep 1
grep -v "listening on\|metrics on" "$work/finscope.err"
echo "final summary:"
cat "$work/summary"
