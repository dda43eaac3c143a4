#!/bin/sh
# finscope tests: live capture (-i). Real sockets in two network namespaces
# joined by a veth (tests/live-traffic.py), finscope on the server's end:
# its counts against the traffic, its TIME_WAIT against `ss` in each
# namespace, the Prometheus endpoint and file, SIGUSR1, -w, -Z, -c,
# --closes-only; then tcpreplay of the kernel samples onto the veth gives
# their connections, with the records `finscope -r` gives on the packets
# captured. Needs root.
. "$(dirname "$0")/lib.sh"
NETNS_TAG=l
. "$G_TEST_SRCDIR/tests/netns.sh"

SLOWLORIS="$G_TEST_SRCDIR/tests/slowloris.py"
MPORT=9187

# ---- usage (no root needed) ----------------------------------------------

sample="$SAMPLES/client-close-first-v4.pcap"
check "-w without -i: usage error 2" status_is 2 "$FINSCOPE" -r "$sample" -w "$OUT/x.pcap"
check "-w without -i: says -i is needed" grep -q -- "-w needs -i" "$OUT/stderr"
check "--metrics-listen without -i: 2" status_is 2 "$FINSCOPE" -r "$sample" --metrics-listen 127.0.0.1:1
# checked before the interface is opened: no root needed
for bad in '[]:9187' '[' ':' ':99999' 'host:' '[::1' '::1:9187'; do
    check "--metrics-listen '$bad': usage error 2" status_is 2 "$FINSCOPE" -i lo --metrics-listen "$bad"
    check "--metrics-listen '$bad': says ADDR:PORT" grep -q "is not ADDR:PORT" "$OUT/stderr"
done
check "-i and -r together: 2" status_is 2 "$FINSCOPE" -i lo -r "$sample"
check "-c -3: 2" status_is 2 "$FINSCOPE" -i lo -c -3
"$FINSCOPE" --help > "$OUT/help"
check "--help lists -i" grep -q -- "--interface=INTERFACE" "$OUT/help"

# ---- can this machine do it? ---------------------------------------------

netns_require curl ss tcpreplay

# ---- helpers ------------------------------------------------------------

# A field of the last final (non-interim) summary: sumval FILE a/b.
sumval() {
    "$PY" - "$@" <<'EOF'
import json, sys
s = None
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("type") == "summary" and not o.get("interim"):
        s = o
for k in sys.argv[2].split("/"):
    s = s.get(k) if isinstance(s, dict) else None
print(json.dumps(s, sort_keys=True) if isinstance(s, (dict, list)) else s)
EOF
}

# One line per connection record, sorted: what must not depend on timing.
conn_fields() {
    "$PY" - "$@" <<'EOF'
import json, sys
rows = []
for path in sys.argv[1:]:
    for line in open(path):
        o = json.loads(line)
        if o.get("type") == "conn":
            rows.append(" ".join(str(x) for x in (
                o["client"], o["server"], o["close"], o["active_closer"],
                o["state"]["client"], o["state"]["server"], o["rst_from"])))
print("\n".join(sorted(rows)))
EOF
}

# The value of one sample in a scrape: metric FILE 'name{label="v"}'.
metric() {
    awk -v m="$2" '$1 == m { print $2 }' "$1"
}

tw_client() { in_c ss -Htan state time-wait | wc -l; }
# The scrapes' own connections on 127.0.0.1 are not on the veth.
tw_server() { in_s ss -Htan state time-wait src "$SADDR" | wc -l; }
scrape() { in_s curl -sS -m 5 -D "$OUT/$1.head" -o "$OUT/$1" "http://127.0.0.1:$MPORT$2"; }

# ---- the namespaces ------------------------------------------------------

netns_up
check "veth between the namespaces carries traffic" in_c ping -c 1 -W 2 "$SADDR"
check "no such interface: exit 1" status_is 1 in_s "$FINSCOPE" -i nosuch0
check "no such interface: says so" grep -q "nosuch0: No such device" "$OUT/stderr"
check "bad filter: exit 2" status_is 2 in_s "$FINSCOPE" -i "$VS" "tcp and and"
check "-Z unknown user: exit 2" status_is 2 in_s "$FINSCOPE" -i "$VS" -Z fs-no-such-user
check "-Z user with ESC: exit 2" status_is 2 in_s "$FINSCOPE" -i "$VS" -Z "$(printf 'fs\033[2Jx')"
check "-Z user with ESC: escaped on stderr" stderr_has '-Z fs\x1b[2Jx: no such user'
check "-Z user with ESC: no raw ESC on stderr" sh -c "! grep -q \"\$(printf '\\033')\" '$OUT/stderr'"

# ---- live: real connections ------------------------------------------------

mkdir "$OUT/nobody"
chmod 755 "$OUT"
chmod 1777 "$OUT/nobody"
start_finscope live.jsonl --json --immediate -Z nobody -w "$OUT/live.pcap" \
    --metrics-listen "127.0.0.1:$MPORT" --metrics-file "$OUT/nobody/finscope.prom"
check "live: finscope starts on the veth" grep -q "listening on $VS" "$OUT/live.jsonl.err"
# privileges go after the capture, -w and the metrics port are open,
# which is a moment after "listening on"
check "-Z nobody: runs as uid 65534 once open" wait_for 5 \
    sh -c "awk '/^Uid:/ { exit !(\$2 == 65534 && \$3 == 65534) }' /proc/$fs_pid/status"

traffic --client-first 120 --server-first 100 --client-rst 30 --server-rst 20 \
    > "$OUT/traffic.json" 2> "$OUT/traffic.err"
check "traffic: 270 connections made" grep -q '"total": 270, "errors": 0' "$OUT/traffic.json"

# The resets' records are finished once the RST has been quiet for 5 s.
resets_in() {
    scrape m0 /metrics &&
        [ "$(metric "$OUT/m0" 'finscope_resets_total{from="client"}')" = 30 ]
}
wait_for 20 resets_in
tw_c=$(tw_client)
tw_s=$(tw_server)
scrape metrics /metrics
m() { metric "$OUT/metrics" "$1"; }
# The kernel is the truth finscope is held to below. It has, once under a
# loaded make check-slow, held 98 TIME_WAIT for the 100 server-first
# closes (finscope's count said 98 too); what ended the other two was not
# caught then, so a shortfall now leaves what would tell.
check "ss: the client namespace holds 120 TIME_WAIT" test "$tw_c" -eq 120
if [ "$tw_s" -ne 100 ]; then
    echo "# the server namespace holds $tw_s TIME_WAIT for 100 server-first closes"
    sed 's/^/# /' "$OUT/traffic.json"
    in_s ss -tan | sed 's/^/# ss: /'
    in_s nstat -az 2>/dev/null | grep -Ei 'TW|Wait|Rst|Abort|Drop' | sed 's/^/# nstat: /'
    grep '"type":"conn"' "$OUT/live.jsonl" | grep -v '"server":"TIME_WAIT"' |
        grep '"active_closer":"server"' | sed 's/^/# finscope: /'
fi
check "ss: the server namespace holds TIME_WAIT for 95-100 of 100 server-first closes" \
    test "$tw_s" -ge 95 -a "$tw_s" -le 100
check "metrics: HTTP 200" grep -q "^HTTP/1.1 200" "$OUT/metrics.head"
check "metrics: Content-Type text/plain; version=0.0.4" \
    grep -qi "^Content-Type: text/plain; version=0.0.4" "$OUT/metrics.head"
for name in time_wait_endpoints closes_total fin_retransmits_total \
        resets_total old_duplicates_total reuse_in_time_wait_total \
        stuck_endpoints connections_live packets_total packets_dropped_total; do
    check "metrics: HELP and TYPE of finscope_$name" \
        sh -c "grep -q '^# HELP finscope_$name ' '$OUT/metrics' && grep -q '^# TYPE finscope_$name ' '$OUT/metrics'"
done
check "metrics: TIME_WAIT of $CADDR = ss in the client namespace ($tw_c)" \
    test "$(m "finscope_time_wait_endpoints{host=\"$CADDR\"}")" = "$tw_c"
check "metrics: TIME_WAIT of $SADDR = ss in the server namespace ($tw_s)" \
    test "$(m "finscope_time_wait_endpoints{host=\"$SADDR\"}")" = "$tw_s"
check "metrics: 270 connections seen" test "$(m finscope_connections_total)" = 270
check "metrics: resets from the server 20" test "$(m 'finscope_resets_total{from="server"}')" = 20
live_now=$(m finscope_connections_live)
check "metrics: live connections ($live_now): the graceful closes held for 2*MSL" \
    test "$live_now" -ge $((tw_c + tw_s)) -a "$live_now" -le 220
check "metrics: packets counted" test "$(m finscope_packets_total)" -ge 2000
check "metrics: no kernel drops" test "$(m finscope_packets_dropped_total)" = 0
check "metrics: rst events as they happened" test "$(m 'finscope_events_total{kind="rst"}')" = 50
scrape notfound /
check "metrics: / is 404" grep -q "^HTTP/1.1 404" "$OUT/notfound.head"
check "metrics file: written as nobody" test "$(stat -c %U "$OUT/nobody/finscope.prom")" = nobody
check "metrics file: same families" grep -q '^# TYPE finscope_time_wait_endpoints gauge' "$OUT/nobody/finscope.prom"
# (and a TIME_WAIT the kernel did not hold may have finished its record)
check "streaming: the 50 reset records are out before the end" \
    test "$(grep -c '"type":"conn"' "$OUT/live.jsonl")" -ge 50 -a \
        "$(grep -c '"type":"conn"' "$OUT/live.jsonl")" -le $((150 - tw_s))
check "streaming: events are out before the end" grep -q '"type":"event"' "$OUT/live.jsonl"

kill -USR1 "$fs_pid"
wait_for 5 grep -q '"interim":true' "$OUT/live.jsonl"
check "SIGUSR1: interim summary with what is tracked now" \
    sh -c "interim=\$(grep '\"interim\":true' '$OUT/live.jsonl'); echo \"\$interim\"; echo \"\$interim\" | grep -q '\"tracked_now\":{\"connections\":$live_now,\"time_wait\":$((tw_c + tw_s))}'"
check "SIGUSR1: finscope goes on" running "$fs_pid"

tw_c=$(tw_client)
tw_s=$(tw_server)
stop_finscope live.jsonl
check "SIGINT: clean exit 0" test "$fs_status" -eq 0
final="$OUT/live.jsonl"
check "final: 270 connection records" test "$(grep -c '"type":"conn"' "$final")" -eq 270
check "final: 270 connections" test "$(sumval "$final" connections)" = 270
check "final: closes graceful 220, reset 50" \
    test "$(sumval "$final" close)" = '{"graceful": 220, "incomplete": 0, "open": 0, "reset": 50}'
check "final: active closer client 120, server 100" \
    test "$(sumval "$final" active_closer)" = '{"client": 120, "server": 100, "simultaneous": 0}'
check "final: RST from client 30, server 20" \
    test "$(sumval "$final" rst_from)" = '{"client": 30, "server": 20}'
check "final: TIME_WAIT by host = ss in each namespace ($tw_c, $tw_s)" \
    test "$(sumval "$final" time_wait_hosts)" = "{\"$CADDR\": $tw_c, \"$SADDR\": $tw_s}"
check "final: kernel_drops in the summary" test "$(sumval "$final" kernel_drops)" = 0
if "$PY" -c 'import jsonschema' 2>/dev/null; then
    check "final: the stream validates against the schema" "$PY" \
        "$G_TEST_SRCDIR/tests/validate-json.py" "$G_TEST_SRCDIR/schema/finscope.schema.json" "$final"
fi
check "final: metrics file rewritten at exit" \
    grep -q '^finscope_closes_total{active_closer="client"} 120$' "$OUT/nobody/finscope.prom"
"$FINSCOPE" --json -r "$OUT/live.pcap" > "$OUT/saved.jsonl" 2>&1
conn_fields "$final" > "$OUT/live.fields"
conn_fields "$OUT/saved.jsonl" > "$OUT/saved.fields"
check "-w: finscope -r on the saved file gives the same records" \
    diff "$OUT/live.fields" "$OUT/saved.fields"

# ---- -c and --closes-only -------------------------------------------------

start_finscope closes.jsonl --json --closes-only -c 12 -s 128
traffic --port 8200 --client-first 4 > "$OUT/c12.traffic" 2>&1
# A check runs its command in a subshell, which cannot reap the test
# shell's children: finscope gone after the traffic ended stays a zombie
# there (exited() counts that as ended; kill -0 did not, and failed).
stopped_by_itself() {
    wait_for 10 exited "$fs_pid" && return 0
    echo "still running after 10 s: $(grep '^State' "/proc/$fs_pid/status")"
    cat "$OUT/c12.traffic" "$OUT/closes.jsonl.err"
    return 1
}
check "-c 12: stops by itself" stopped_by_itself
stop_finscope closes.jsonl
check "-c 12: exit 0" test "$fs_status" -eq 0
check "-c 12: 12 packets read" test "$(sumval "$OUT/closes.jsonl" packets)" = 12
check "--closes-only: the summary says what it cannot see" \
    grep -q '"capture_note":"--closes-only.*half-close data' "$OUT/closes.jsonl"

# ---- --top applies to -i too (it was ignored) ----------------------------

start_finscope top.jsonl --json --top 1
traffic --port 8210 --client-first 2 > /dev/null 2>&1
traffic --port 8211 --client-first 3 > /dev/null 2>&1
sleep 1
stop_finscope top.jsonl
check "--top 1 with -i: exit 0" test "$fs_status" -eq 0
check "--top 1 with -i: one service record, the busiest (3 connections)" \
    sh -c "test \$(grep -c '\"type\":\"service\"' '$OUT/top.jsonl') -eq 1 &&
        grep -q '\"type\":\"service\",\"server\":\"$SADDR:8211\",\"connections\":3,' '$OUT/top.jsonl'"

# ---- kernel drops: a tiny buffer, finscope stopped during a burst --------

start_finscope drops.txt -B 1 --metrics-listen "127.0.0.1:$MPORT"
kill -STOP "$fs_pid"
traffic --port 8300 --client-first 300 > /dev/null 2>&1
kill -CONT "$fs_pid"
sleep 1
scrape drops.prom /metrics
check "kernel drops: a metric while running" \
    test "$(metric "$OUT/drops.prom" finscope_packets_dropped_total)" -gt 0
stop_finscope drops.txt
check "kernel drops: exit 0" test "$fs_status" -eq 0
check "kernel drops: the text summary says the capture is lossy" \
    grep -q "kernel dropped [1-9][0-9]* packets: the report is built on a lossy capture" "$OUT/drops.txt"

# ---- the metrics endpoint under attack (issue 18) ------------------------

# json_field FILE KEY: one field of slowloris.py's JSON line.
json_field() {
    "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}
fd_count() { ls "/proc/$fs_pid/fd" | wc -l; }

# 1,000 connections trickling a byte each second, reopened when closed:
# a scrape every 0.2 s with a 1 s timeout must always be answered.
start_finscope attack.txt --metrics-listen "127.0.0.1:$MPORT" \
    --metrics-file "$OUT/attack.prom"
in_s "$PY" "$SLOWLORIS" --port "$MPORT" --conns 1000 --duration 4 \
    > "$OUT/slowloris.json" 2> "$OUT/slowloris.err"
cat "$OUT/slowloris.json"
tried=$(json_field "$OUT/slowloris.json" tried)
# about 16 in 4 s on an idle machine; a loaded one (CI beside other
# work) got 8-9: enough that it ran is what this asks
check "slowloris x1000: scrapes were tried ($tried)" test "$tried" -ge 5
check "slowloris x1000: every scrape answered within 1 s" \
    test "$(json_field "$OUT/slowloris.json" answered)" = "$tried"
check "slowloris x1000: the attackers were closed" \
    test "$(json_field "$OUT/slowloris.json" closed_by_server)" -ge 1000
scrape attack.prom /metrics
check "slowloris x1000: closes counted" \
    test "$(metric "$OUT/attack.prom" 'finscope_metrics_clients_closed_total{reason="capacity"}')" -ge 1000
# connections that send a request and never read: held fds stay bounded
in_s "$PY" "$SLOWLORIS" --port "$MPORT" --noread 150 --duration 3 \
    > "$OUT/noread.json" 2>&1 &
sleep 2
fds=$(fd_count)
wait $!
check "150 never-reading scrapers: finscope holds $fds fds (at most 64 clients)" \
    test "$fds" -le 90
check "150 never-reading scrapers: scrapes answered" \
    test "$(json_field "$OUT/noread.json" answered)" = "$(json_field "$OUT/noread.json" tried)"
stop_finscope attack.txt
check "slowloris: clean exit" test "$fs_status" -eq 0
check "slowloris: stderr stays short" test "$(wc -l < "$OUT/attack.txt.err")" -le 5

# The same with 64 fds (ulimit -n 64): the clients' share shrinks, the
# capture and --metrics-file keep theirs.
: > "$OUT/low.err"
ip netns exec "$NS" sh -c 'ulimit -n 64 && exec "$0" "$@"' "$FINSCOPE" \
    -i "$VS" --metrics-listen "127.0.0.1:$MPORT" --metrics-file "$OUT/low.prom" \
    > "$OUT/low" 2> "$OUT/low.err" &
finscope_started low $!
check "ulimit -n 64: finscope runs with 64 fds" \
    sh -c "grep -q '^Max open files *64 ' /proc/$fs_pid/limits"
wait_for 10 test -s "$OUT/low.prom"
rm -f "$OUT/low.prom"
in_s "$PY" "$SLOWLORIS" --port "$MPORT" --conns 1000 --duration 6 \
    > "$OUT/low.json" 2> "$OUT/low-sl.err"
cat "$OUT/low.json"
tried=$(json_field "$OUT/low.json" tried)
check "ulimit -n 64, slowloris x1000: scrapes were tried ($tried)" test "$tried" -ge 5
check "ulimit -n 64, slowloris x1000: every scrape answered within 1 s" \
    test "$(json_field "$OUT/low.json" answered)" = "$tried"
check "ulimit -n 64: --metrics-file rewritten during the attack" test -s "$OUT/low.prom"
stop_finscope low
check "ulimit -n 64: clean exit" test "$fs_status" -eq 0
check "ulimit -n 64: stderr stays short" test "$(wc -l < "$OUT/low.err")" -le 5

# ---- a stdout nobody reads (issue 18) -------------------------------------

# A FIFO opened read-write and never read: the pipe fills, then the
# report's queue; capture, /metrics and SIGTERM must not care.
mkfifo "$OUT/stalled"
: > "$OUT/stalled.err"
ip netns exec "$NS" "$FINSCOPE" -i "$VS" --json --events --msl 1 \
    --metrics-listen "127.0.0.1:$MPORT" 1<> "$OUT/stalled" 2> "$OUT/stalled.err" &
finscope_started stalled $!
traffic --port 8400 --client-first 1500 --server-first 1500 \
    > "$OUT/stalled-traffic.json" 2>&1
check "stalled stdout: the traffic went through" \
    grep -q '"total": 3000, "errors": 0' "$OUT/stalled-traffic.json"
t0=$(date +%s%N)
scrape stalled.prom /metrics
t1=$(date +%s%N)
check "stalled stdout: /metrics answers ($(( (t1 - t0) / 1000000 )) ms)" \
    test $(( (t1 - t0) / 1000000 )) -lt 1000
# the capture goes on: every connection is seen (the last ones within
# the capture's timeout)
all_seen() {
    scrape stalled.prom /metrics &&
        [ "$(metric "$OUT/stalled.prom" finscope_connections_total)" -eq 3000 ]
}
wait_for 5 all_seen
check "stalled stdout: the capture went on (3000 connections, $(metric "$OUT/stalled.prom" finscope_connections_total) seen)" \
    test "$(metric "$OUT/stalled.prom" finscope_connections_total)" -eq 3000
check "stalled stdout: dropped report lines counted" \
    test "$(metric "$OUT/stalled.prom" finscope_report_lines_dropped_total)" -gt 0
check "stalled stdout: said once on stderr" \
    test "$(grep -c "stdout is not keeping up" "$OUT/stalled.err")" -eq 1
t0=$(date +%s)
kill -TERM "$fs_pid"
n=50
while kill -0 "$fs_pid" 2>/dev/null && [ "$n" -gt 0 ]; do
    sleep 0.1
    n=$((n - 1))
done
t1=$(date +%s)
check "stalled stdout: SIGTERM ends finscope within 5 s ($((t1 - t0)) s)" \
    exited "$fs_pid"
stop_finscope stalled
check "stalled stdout: exit 1, the report's end abandoned" test "$fs_status" -eq 1
check "stalled stdout: says what was abandoned" grep -q "abandoned" "$OUT/stalled.err"
check "stalled stdout: says how many lines were dropped" \
    grep -q "[1-9][0-9]* report lines were dropped" "$OUT/stalled.err"

# ---- tcpreplay of the kernel samples == finscope -r of what it captured ----

# Every kernel sample (Ethernet), one after another. last-ack-hanging goes
# last: whether its server's final ACK arrived is decided by the silence
# after it (no FIN again within twice the RTO), so its capture must end
# where the file does, as `finscope -r` sees it.
: > "$OUT/offline.jsonl"
replay=
last="$SAMPLES/last-ack-hanging.pcap"
for truth in "$SAMPLES"/*.truth; do
    pcap=${truth%.truth}.pcap
    # (a trace captured at two points, NAME-c.pcap and NAME-s.pcap, is
    # one connection twice: not replayed)
    [ -f "$pcap" ] || continue
    [ "$pcap" = "$last" ] || replay="$replay $pcap"
done
[ -f "$last" ] && replay="$replay $last"
# The samples, one after another, last over a minute: with the default
# MSL the first samples' TIME_WAITs would run out within the replay
# (CLOSED) but not within their own file. --msl 300 for both.
for pcap in $replay; do
    "$FINSCOPE" --json --msl 300 -r "$pcap" >> "$OUT/offline.jsonl"
done
start_finscope replay.jsonl --json --msl 300 -w "$OUT/replay.pcap"
# shellcheck disable=SC2086
in_c tcpreplay -q -i "$VC" $replay > "$OUT/tcpreplay.out" 2>&1
check "tcpreplay: every sample sent" grep -q "Successful packets" "$OUT/tcpreplay.out"
sleep 1
stop_finscope replay.jsonl
check "tcpreplay: clean exit" test "$fs_status" -eq 0
conn_fields "$OUT/offline.jsonl" > "$OUT/offline.fields"
conn_fields "$OUT/replay.jsonl" > "$OUT/replay.fields"
# Every sample's connections came through: the same 4-tuples, in order.
cut -d' ' -f1,2 "$OUT/offline.fields" > "$OUT/offline.tuples"
cut -d' ' -f1,2 "$OUT/replay.fields" > "$OUT/replay.tuples"
check "tcpreplay: $(wc -l < "$OUT/offline.fields") records, the samples' connections" \
    diff "$OUT/offline.tuples" "$OUT/replay.tuples"
# The verdicts: as finscope -r gives them on the packets as they were
# captured live (-w). Not the sample files': tcpreplay keeps their
# timing only roughly, and on a loaded machine a gap of 30 us can become
# milliseconds, which some verdicts rightly read otherwise
# (simultaneous-acks-lost: the client's FIN sent again 30 us after the
# server's is its answer to it, 2 ms after it a timer's re-send still
# waiting for its ACK: CLOSING at the end; seen in CI under make -j2).
"$FINSCOPE" --json --msl 300 -r "$OUT/replay.pcap" > "$OUT/recaptured.jsonl"
conn_fields "$OUT/recaptured.jsonl" > "$OUT/recaptured.fields"
check "tcpreplay: same close, closer, states as finscope -r of the packets captured" \
    diff "$OUT/recaptured.fields" "$OUT/replay.fields"
# and the samples' own verdicts wherever the replay kept their timing
# (most runs: all of them; a difference is shown, not failed)
if ! diff "$OUT/offline.fields" "$OUT/replay.fields" > "$OUT/replay.diff"; then
    echo "# the replay's timing changed these verdicts from the files':"
    sed 's/^/# /' "$OUT/replay.diff"
fi
finish
