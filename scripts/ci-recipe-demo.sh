#!/bin/sh
# finscope: README's "finscope in CI" recipe, run for real on loopback.
#
# A tiny service (python3 -m http.server on a free port) gets a few curl
# requests while tcpdump captures them; the first run records the
# baseline (finscope check --update), a second run of the same "tests" is
# checked against it, with a policy assertion, as CI would on each
# commit. Needs root (tcpdump on lo), python3, curl and tcpdump; touches
# only 127.0.0.1 and a scratch directory, and stops what it started.
#
# Usage: scripts/ci-recipe-demo.sh [REQUESTS]    (default 5)
# Environment: FINSCOPE (default: ./finscope beside scripts/), KEEP=1
# keeps the scratch directory.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
finscope=${FINSCOPE:-$top/finscope}
requests=${1:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/finscope-ci-demo.XXXXXX")
server_pid=
tcpdump_pid=

# shellcheck disable=SC2317 # called by the EXIT trap
stop() {
    # Only the processes this script started, by their ids.
    if [ -n "$tcpdump_pid" ]; then kill "$tcpdump_pid" 2>/dev/null || :; fi
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || :; fi
    if [ "${KEEP:-0}" = 1 ]; then
        echo "demo: kept $work"
    else
        rm -rf "$work"
    fi
}
trap stop EXIT
trap 'exit 130' INT TERM

need() {
    command -v "$1" > /dev/null 2>&1 || {
        echo "demo: needs $1 (Debian: $2)" >&2; exit 2
    }
}
need python3 python3
need curl curl
need tcpdump tcpdump
[ -x "$finscope" ] || { echo "demo: build finscope first (make)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "demo: tcpdump on lo needs root" >&2; exit 2; }

port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$work/www"
echo "hello from the service under test" > "$work/www/index.html"

# The service. HTTP/1.1 keeps connections open, so each curl closes its
# own when it exits and the server follows: the client closes first, every
# time. (With HTTP/1.0 both sides close once the response is complete,
# and who is first is a race: a baseline would flip between runs.)
python3 -m http.server "$port" --bind 127.0.0.1 --protocol HTTP/1.1 \
    --directory "$work/www" > "$work/server.log" 2>&1 &
server_pid=$!
tries=0
until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
    tries=$((tries + 1))
    [ "$tries" -lt 50 ] || { echo "demo: no server" >&2; exit 1; }
    sleep 0.1
done
echo "demo: service on 127.0.0.1:$port (pid $server_pid)"

# One CI run: capture while the "integration tests" run, then stop.
# --immediate-mode: without it tcpdump holds packets in its ring for up to
# a second, and stopping it sooner loses them (0 packets captured). Wait
# for "listening on" so that the first connection is captured too.
run_tests() {
    pcap=$1
    : > "$work/tcpdump.log"
    tcpdump -i lo -U --immediate-mode -w "$pcap" "tcp port $port" \
        2> "$work/tcpdump.log" &
    tcpdump_pid=$!
    tries=0
    until grep -q "listening on" "$work/tcpdump.log"; do
        tries=$((tries + 1))
        [ "$tries" -lt 50 ] || { echo "demo: no tcpdump" >&2; exit 1; }
        sleep 0.1
    done
    i=0
    while [ "$i" -lt "$requests" ]; do
        curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$port/index.html"
        i=$((i + 1))
    done
    sleep 0.5   # let the last ACKs reach the capture
    kill "$tcpdump_pid"
    wait "$tcpdump_pid" || :
    tcpdump_pid=
}

cd "$work"
echo "demo: run 1 records the baseline"
run_tests run1.pcap
"$finscope" check --update --baseline service.expect -r run1.pcap
echo
sed 's/^/    /' service.expect | grep -v '^    summary .* 0$'
echo "    (summary lines with a count of 0 left out here)"
echo
echo "demo: run 2 is checked against it"
run_tests run2.pcap
status=0
"$finscope" check --baseline service.expect \
    --assert 'resets == 0' --assert 'stuck_close_wait == 0' \
    --junit report.xml -r run2.pcap || status=$?
echo "demo: finscope check exited $status; JUnit report:"
sed 's/^/    /' report.xml | head -n 12
exit "$status"
