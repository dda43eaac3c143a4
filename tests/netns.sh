# finscope tests: two network namespaces joined by a veth, with finscope
# on the server's end (tests/live.sh, tests/fanout.sh,
# tests/prometheus-live.sh); sourced after lib.sh. Real sockets of
# tests/live-traffic.py, wire-sized segments (offloads off), as in the
# kernel samples. Set NETNS_TAG (one letter) before sourcing it, so that
# names carry the test and the PID.

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
TRAFFIC="$G_TEST_SRCDIR/tests/live-traffic.py"
NC=fs-${NETNS_TAG}c-$$  # client namespace
NS=fs-${NETNS_TAG}s-$$  # server namespace (finscope runs here)
VC=fs${NETNS_TAG}c$$    # veth ends (15 characters at most)
VS=fs${NETNS_TAG}s$$
CADDR=10.78.0.1
SADDR=10.78.0.2
PORT=8080
fs_pids=                # the finscopes started, for cleanup
fs_pid=                 # the last one started
fs_status=              # the exit status of the last one stopped

netns_cleanup() {
    for _pid in $fs_pids; do
        kill -9 "$_pid" 2>/dev/null
    done
    ip netns del "$NC" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "$OUT"
}
trap netns_cleanup EXIT
trap 'exit 1' INT TERM HUP

# The rest of the script skipped (not root, or no netns), as tests/live.sh
# does: the checks so far stand.
netns_skip_all() {
    skip "live capture in network namespaces: $*"
    finish
    exit
}

# netns_require TOOLS...: root, `ip netns`, and the tools given.
netns_require() {
    [ "$(id -u)" -eq 0 ] || netns_skip_all "needs root (uid $(id -u))"
    command -v ip > /dev/null || netns_skip_all "no ip(8)"
    ip netns add "$NC" 2> "$OUT/netns.err" ||
        netns_skip_all "ip netns add fails here: $(cat "$OUT/netns.err")"
    for tool in "$PY" "$@"; do
        if ! command -v "$tool" > /dev/null; then
            not_ok "$tool is installed (scripts/debian-packages.txt; scripts/setup.sh)"
            finish
            exit
        fi
    done
}

# wait_for SECONDS CMD...: polls every 0.1 s until CMD succeeds.
wait_for() {
    n=$(($1 * 10))
    shift
    while ! "$@" > /dev/null 2>&1; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.1
    done
}

# exited PID: the process has ended, reaped or not. A check runs its
# command in a command substitution, a subshell that cannot reap the
# test shell's children: there a process that ended is a zombie, which
# kill -0 still finds.
exited() {
    ! awk '/^State:/ { exit ($2 == "Z") }' "/proc/$1/status" 2> /dev/null
}
running() { ! exited "$1"; }

in_c() { ip netns exec "$NC" "$@"; }
in_s() { ip netns exec "$NS" "$@"; }

# netns_up: the server namespace and the veth between the two.
netns_up() {
    ip netns add "$NS"
    ip -n "$NC" link add "$VC" type veth peer name "$VS" netns "$NS"
    for side in c s; do
        if [ $side = c ]; then ns=$NC dev=$VC addr=$CADDR; else ns=$NS dev=$VS addr=$SADDR; fi
        ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off > /dev/null 2>&1
        ip -n "$ns" addr add "$addr/24" dev "$dev"
        ip -n "$ns" link set lo up
        ip -n "$ns" link set "$dev" up
    done
    wait_for 5 sh -c "ip -n $NS link show $VS | grep -q 'state UP' && ip -n $NC link show $VC | grep -q 'state UP'"
}

# finscope_started NAME PID: a finscope started by hand (stdout to
# $OUT/NAME, stderr to $OUT/NAME.err) is PID: $fs_pid, $OUT/NAME.pid,
# killed at the end, stopped by stop_finscope NAME. Returns once it says
# it is listening.
finscope_started() {
    fs_pid=$2
    echo "$fs_pid" > "$OUT/$1.pid"
    fs_pids="$fs_pids $fs_pid"
    wait_for 10 grep -q "listening on" "$OUT/$1.err"
}

# start_finscope NAME ARGS...: finscope -i $VS ARGS in the server
# namespace, stdout to $OUT/NAME, stderr to $OUT/NAME.err; its PID in
# $fs_pid and $OUT/NAME.pid. Returns once it says it is listening.
start_finscope() {
    _o=$1
    shift
    : > "$OUT/$_o.err"
    # not through a shell function: $! must be finscope itself (ip netns
    # exec execs it), so that signals reach it
    ip netns exec "$NS" "$FINSCOPE" -i "$VS" "$@" \
        > "$OUT/$_o" 2> "$OUT/$_o.err" &
    finscope_started "$_o" $!
}

# stop_finscope NAME: SIGINT, then waits; its exit status in $fs_status
# and $OUT/NAME.status (124 if it did not stop within 20 s).
stop_finscope() {
    _pid=$(cat "$OUT/$1.pid")
    kill -INT "$_pid" 2>/dev/null
    _n=200
    while kill -0 "$_pid" 2>/dev/null && [ "$_n" -gt 0 ]; do
        sleep 0.1
        _n=$((_n - 1))
    done
    if kill -0 "$_pid" 2>/dev/null; then
        kill -9 "$_pid"
        fs_status=124
    else
        wait "$_pid"
        fs_status=$?
    fi
    echo "$fs_status" > "$OUT/$1.status"
}

traffic() {
    "$PY" "$TRAFFIC" --client-ns "$NC" --server-ns "$NS" \
        --server-addr "$SADDR" --port "$PORT" "$@"
}
