#!/bin/sh
# finscope tests: the way from a finding to its packets — frame numbers
# (checked against tshark), display filters, --extract and --ladder.
. "$(dirname "$0")/lib.sh"

if ! command -v tshark > /dev/null 2>&1; then
    skip "tshark is not installed (scripts/debian-packages.txt)"
    finish
    exit
fi

samples=$(ls "$SAMPLES"/*.pcap | grep -v fuzz-crash)

# ---- frame numbers ----
# (check sets $name: the loops use $sample)
for pcap in $samples; do
    sample=$(basename "$pcap" .pcap)
    fs_run "$OUT/$sample.jsonl" --json -r "$pcap" || continue
    check "$sample: event and conn frames are tshark's" \
        python3 "$G_TEST_SRCDIR/tests/why-frames.py" "$pcap" \
            "$OUT/$sample.jsonl"
done

a="$SAMPLES/final-ack-lost.pcap"
b="$SAMPLES/simultaneous-close.pcap"
# frames of a BPF-filtered run keep their numbers in the file
fs_run "$OUT/port.jsonl" --json -r "$a" 'tcp[tcpflags] & tcp-fin != 0'
check "BPF filter: events keep the file's frame numbers" \
    sh -c "grep '\"kind\":\"fin\"' '$OUT/final-ack-lost.jsonl' | sed 's/\"time[^k]*//' > '$OUT/want' &&
           grep '\"kind\":\"fin\"' '$OUT/port.jsonl' | sed 's/\"time[^k]*//' > '$OUT/got' &&
           test -s '$OUT/want' && cmp '$OUT/want' '$OUT/got'"
fs_run "$OUT/merged.jsonl" --json -r "$a" -r "$b"
check "two files: there are events to name their files" \
    grep -q '"type":"event"' "$OUT/merged.jsonl"
check "two files: each event names its file" \
    sh -c "! grep '\"type\":\"event\"' '$OUT/merged.jsonl' | grep -v '\"file\":\"$a\"' | grep -qv '\"file\":\"$b\"'"
check "two files: each conn names its file" \
    sh -c "test \$(grep '\"type\":\"conn\".*\"first_frame\":[0-9]*,\"file\":\"' '$OUT/merged.jsonl' | wc -l) -eq \$(grep -c '\"type\":\"conn\"' '$OUT/merged.jsonl')"
check "one file: no file named" \
    sh -c "! grep -q '\"file\"' '$OUT/final-ack-lost.jsonl'"
fs_run "$OUT/merged.txt" -r "$a" -r "$b"
check "two files, text: frames named file:N" \
    grep -qF "frame $a:12" "$OUT/merged.txt"


# ---- Wireshark handoff: --extract holds what the filters show ----
extract_check() { # NAME PCAP JSONL SELECTOR
    "$FINSCOPE" -r "$2" --extract "$4" -w "$OUT/x.pcap" 2> "$OUT/x.err" &&
        python3 "$G_TEST_SRCDIR/tests/why-extract.py" "$2" "$3" "$4" \
            "$OUT/x.pcap"
}
# Every connection of each sample that holds more than one (there a
# filter must tell apart connections of one file, incarnations of one
# 4-tuple among them). Of the samples of one connection (102 of 155),
# each whose file header (magic, version, snapshot, link type: what the
# writer of -w goes by) or filter (its fields and operators, values
# aside) is the first of its kind, and every third besides: each is
# ~1 s here, mostly tshark's start (session 31).
extract_kind() { # PCAP JSONL: the file header's and the filter's kind
    header_kind "$1"
    grep -o '"filter":"[^"]*"' "$2" |
        sed 's/\(==\|>=\|<=\)[^ &|)"]*/\1N/g'
}
: > "$OUT/kinds"
i=0
for pcap in $samples; do
    sample=$(basename "$pcap" .pcap)
    n=$(grep -c '"type":"conn"' "$OUT/$sample.jsonl")
    i=$((i + 1))
    kind=$(extract_kind "$pcap" "$OUT/$sample.jsonl" | tr '\n' ' ')
    if [ "$n" -eq 1 ] && [ $((i % 3)) -ne 0 ] &&
        grep -qxF "$kind" "$OUT/kinds"; then
        continue
    fi
    echo "$kind" >> "$OUT/kinds"
    for id in $(seq 1 "$n"); do
        check "$sample: --extract $id holds its filter's frames" \
            extract_check "$sample" "$pcap" "$OUT/$sample.jsonl" "$id"
    done
done
check "pcapng in, nanoseconds out" \
    sh -c "'$FINSCOPE' -r '$SAMPLES/crafted-one-sided-pcapng.pcap' --extract 1 -w '$OUT/ng.pcap' 2>/dev/null &&
           od -An -tx1 -N4 '$OUT/ng.pcap' | grep -q '4d 3c b2 a1'"

gentrace="$G_TEST_BUILDDIR/bench/gentrace"
if [ -x "$gentrace" ]; then
    "$gentrace" --connections 400 --out "$OUT/gen.pcap" 2> /dev/null
    fs_run "$OUT/gen.jsonl" --json -r "$OUT/gen.pcap"
    for sel in anomalous reset stuck 1,2,3,77,200,399 reset,anomalous; do
        check "bench trace: --extract $sel holds its filters' frames" \
            extract_check gen "$OUT/gen.pcap" "$OUT/gen.jsonl" "$sel"
    done
    check "bench trace: anomalous and reset chose some" \
        sh -c "'$FINSCOPE' -r '$OUT/gen.pcap' --extract anomalous,reset -w '$OUT/ar.pcap' 2>&1 |
               grep -q 'wrote [1-9][0-9]* packets of [1-9][0-9]* connections'"
else
    skip "bench/gentrace not built"
fi

fs_run "$OUT/ab.err" -r "$a" -r "$b" --extract 1,2 -w "$OUT/ab.pcap"
check "two files merged: --extract takes each connection's frames from its file" \
    test "$(tshark -r "$OUT/ab.pcap" 2> /dev/null | wc -l)" = \
        "$(cat "$OUT/final-ack-lost.jsonl" "$OUT/simultaneous-close.jsonl" |
           sed -n 's/.*"type":"conn".*"packets":\([0-9]*\).*/\1/p' |
           awk '{ n += $1 } END { print n }')"
# a pcapng file whose interfaces differ in link type (Ethernet, raw IP):
# each connection extracted alone; both together cannot share one pcap
if command -v python3 > /dev/null 2>&1; then
    python3 "$G_TEST_SRCDIR/tests/mkpcapng.py" --two-links \
        "$SAMPLES/half-close-v4.pcap" "$SAMPLES/client-close-first-v4.pcap" \
        raw "$OUT/two.pcapng"
    check "--extract from a pcapng of two link types: a connection of each" \
        sh -c "'$FINSCOPE' -r '$OUT/two.pcapng' --extract 1 -w '$OUT/t1.pcap' 2> /dev/null &&
               '$FINSCOPE' -r '$OUT/two.pcapng' --extract 2 -w '$OUT/t2.pcap' 2> /dev/null &&
               test \$(tshark -r '$OUT/t1.pcap' 2>/dev/null | wc -l) = 22 &&
               test \$(tshark -r '$OUT/t2.pcap' 2>/dev/null | wc -l) = 11"
    check "--extract of connections of two link types: which frame says so" \
        sh -c "! '$FINSCOPE' -r '$OUT/two.pcapng' --extract 1,2 -w '$OUT/t3.pcap' 2> '$OUT/t3.err' &&
               grep -q 'frame 23 of .*two.pcapng, of a chosen connection, has link type 12' '$OUT/t3.err'"
else
    skip "--extract from a pcapng of two link types: no python3"
fi
# by field expression, as check's conn fields (why-extract.py reads the
# same fields from the records)
r="$SAMPLES/crafted-refused.pcap"
fs_run "$OUT/refused.jsonl" --json -r "$r"
for sel in 'close == "reset" && server_port == 8080' \
           'handshake == "refused"' 'conn.handshake != "refused"' \
           'rst_from == "server" && client_port >= 40002'; do
    check "--extract '$sel' holds its filters' frames" \
        extract_check refused "$r" "$OUT/refused.jsonl" "$sel"
done
check "--extract 'close == \"reset\" && server_port == 8080': three" \
    sh -c "'$FINSCOPE' -r '$r' --extract 'close == \"reset\" && server_port == 8080' -w '$OUT/e.pcap' 2>&1 |
           grep -q 'wrote 6 packets of 3 connections' &&
           test \$(tshark -r '$OUT/e.pcap' 2>/dev/null | wc -l) = 6"
check "--extract by a label: the one graceful connection to :80" \
    sh -c "'$FINSCOPE' -r '$r' --extract 'conn.close{server_port=\"80\"} == \"graceful\"' -w '$OUT/e.pcap' 2>&1 |
           grep -q 'of 1 connections'"
if [ -x "$gentrace" ]; then
    for sel in 'close == "reset"' 'active_closer == "server" && fin_retransmits >= 1' \
               'handshake != "completed"'; do
        check "bench trace: --extract '$sel' holds its filters' frames" \
            extract_check gen "$OUT/gen.pcap" "$OUT/gen.jsonl" "$sel"
    done
fi
check "--extract 'close == \"nope\"': 2" \
    status_is 2 "$FINSCOPE" -r "$r" --extract 'close == "nope"' -w "$OUT/bad.pcap"
check "--extract 'close == \"nope\"': names the values" \
    stderr_has 'conn.close is never "nope"'
check "--extract 'resets == 1' (a summary field): 2" \
    status_is 2 "$FINSCOPE" -r "$r" --extract 'resets == 1' -w "$OUT/bad.pcap"
check "--extract with an empty term: 2" \
    status_is 2 "$FINSCOPE" -r "$r" --extract 'close == "reset" &&' -w "$OUT/bad.pcap"

check "files of two link types: --extract refuses, 1" \
    status_is 1 "$FINSCOPE" -r "$a" -r "$SAMPLES/crafted-reordered-close-sll2.pcap" \
        --extract 1,2 -w "$OUT/two.pcap"
check "--extract without -w: 2" \
    status_is 2 "$FINSCOPE" -r "$a" --extract 1
check "--extract 1x: 2, names the word" \
    status_is 2 "$FINSCOPE" -r "$a" --extract 1x -w "$OUT/bad.pcap"
check "--extract 1x: says why" stderr_has "'1x' is not a connection id"
check "--extract from stdin: 2" \
    sh -c "'$FINSCOPE' -r - --extract 1 -w '$OUT/in.pcap' < '$a' 2>/dev/null; test \$? -eq 2"
check "-w without -i or --extract: 2" \
    status_is 2 "$FINSCOPE" -r "$a" -w "$OUT/w.pcap"

# ---- --ladder (the golden ladders are in samples/TRACES) ----
fs_run "$OUT/ladder.txt" -r "$a" --ladder 1
check "--ladder: the close in full, frame by frame" \
    sh -c "grep -q '^ *8 .*FIN_WAIT_1 .*\[FIN, ACK\] seq=301 ack=667' '$OUT/ladder.txt' &&
           grep -q '^ *19 .*\[ACK\] seq=302 ack=668' '$OUT/ladder.txt'"
check "--ladder: the handshake shrinks to one line" \
    grep -q '\.\.\. 7 segments, 966 B' "$OUT/ladder.txt"
check "--ladder: anomalies beside their segment" \
    grep -q '^ *12 .*! fin_retransmit' "$OUT/ladder.txt"
check "--ladder, LC_ALL=C: ASCII only" \
    sh -c "! LC_ALL=C tr -d '\\000-\\177' < '$OUT/ladder.txt' | grep -q ."
check "--ladder, not a terminal: no colour" \
    sh -c "! grep -q \"$(printf '\033')\" '$OUT/ladder.txt'"
if locale -a 2> /dev/null | grep -qi '^C\.utf-\?8$'; then
    LC_ALL=C.UTF-8 "$FINSCOPE" -r "$a" --ladder 1 > "$OUT/utf8.txt"
    check "--ladder, UTF-8 locale: box drawing" \
        grep -q "$(printf '\342\224\202')" "$OUT/utf8.txt"
else
    skip "no C.UTF-8 locale"
fi
if command -v script > /dev/null 2>&1; then
    # script(1) gives finscope a terminal
    script -qec "'$FINSCOPE' -r '$a' --ladder 1" /dev/null \
        > "$OUT/tty.txt" 2>&1 < /dev/null
    check "--ladder on a terminal: colour" \
        grep -q "$(printf '\033')\[31m! fin_retransmit" "$OUT/tty.txt"
    NO_COLOR=1 script -qec "'$FINSCOPE' -r '$a' --ladder 1" /dev/null \
        > "$OUT/nocolor.txt" 2>&1 < /dev/null
    check "--ladder on a terminal, NO_COLOR: no colour" \
        sh -c "grep -q 'fin_retransmit' '$OUT/nocolor.txt' &&
               ! grep -q \"$(printf '\033')\[\" '$OUT/nocolor.txt'"
else
    skip "script(1) is not installed: no terminal to test colour on"
fi
check "--ladder 99: no such connection, 1" status_is 1 "$FINSCOPE" -r "$a" --ladder 99
check "--ladder 99: says so" stderr_has "no connection #99"
check "--ladder x: 2" status_is 2 "$FINSCOPE" -r "$a" --ladder x
check "--ladder with --extract: 2" \
    status_is 2 "$FINSCOPE" -r "$a" --ladder 1 --extract 1 -w "$OUT/l.pcap"

# ---- per service ----
svc_field() { # JSONL SERVER FIELD: that service record's field
    python3 -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] == "service" and r["server"] == sys.argv[2]:
        print(r[sys.argv[3]])' "$@"
}
check "service: a reused 4-tuple's TIME_WAIT ends at the reuse (peak 1)" \
    test "$(svc_field "$OUT/reuse-client-time-wait.jsonl" 10.77.0.2:8012 time_wait_peak)" = 1
check "service: a simultaneous close leaves both in TIME_WAIT (peak 2)" \
    test "$(svc_field "$OUT/simultaneous-close.jsonl" 10.77.0.2:8008 time_wait_peak)" = 2
check "service: client closes first, and what it means" \
    test "$(svc_field "$OUT/final-ack-lost.jsonl" 10.77.0.2:8006 meaning)" = "client closes first in 100%: the clients hold TIME_WAIT"
refused="$SAMPLES/crafted-refused.pcap"
fs_run "$OUT/refused-svc.jsonl" --json -r "$refused"
check "service: SYNs refused (RST to the SYN), per service" \
    test "$(svc_field "$OUT/refused-svc.jsonl" 10.40.0.2:8080 refused)" = 3
check "service: the longest idle before a close" \
    test "$(svc_field "$OUT/refused-svc.jsonl" 10.40.0.2:80 idle_before_close_max)" = 2.0001
check "service: no close, no idle time (null)" \
    test "$(svc_field "$OUT/refused-svc.jsonl" 10.40.0.2:9090 idle_before_close_max)" = None
fs_run "$OUT/refused.txt" -r "$refused"
check "text: failure classes and the top RST senders in the summary" \
    sh -c "grep -q '^  never established     4 (SYN unanswered 0, refused 4, handshake given up 0, unfinished 0)\$' '$OUT/refused.txt' &&
           grep -q '^  RST senders           10.40.0.2:8080 3, 10.40.0.2:9090 1\$' '$OUT/refused.txt'"
check "text: REFUSED and IDLE-MAX per service" \
    sh -c "grep -Eq '^  SERVICE .* REFUSED .* IDLE-MAX ' '$OUT/refused.txt' &&
           grep -Eq '^  10\.40\.0\.2:8080 +3 .* 3 +- +0 +- ' '$OUT/refused.txt' &&
           grep -Eq '^  10\.40\.0\.2:80 +1 .* 2\.0 s ' '$OUT/refused.txt'"
if [ -x "$gentrace" ]; then
    fs_run "$OUT/all.jsonl" --json --top 0 -r "$OUT/gen.pcap"
    check "bench trace, --top 0: a service record per server ip:port, connections add up" \
        python3 -c 'import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
conns = [r for r in recs if r["type"] == "conn"]
svcs = {r["server"]: r["connections"] for r in recs if r["type"] == "service"}
want = {}
for c in conns:
    want[c["server"]] = want.get(c["server"], 0) + 1
sys.exit(0 if svcs == want and len(svcs) > 20 else "%r != %r" % (svcs, want))' "$OUT/all.jsonl"
    check "bench trace: 20 service records by default" \
        test "$(grep -c '"type":"service"' "$OUT/gen.jsonl")" = 20
    fs_run "$OUT/top3.txt" --top 3 -r "$OUT/gen.pcap"
    check "bench trace, text --top 3: three services, and how many in all" \
        sh -c "grep -q '^Services: the 3 busiest of [0-9]* ' '$OUT/top3.txt' &&
               test \$(sed -n '/^Services/,/^\$/p' '$OUT/top3.txt' | grep -c '^  10\.2\.') = 3"
fi
check "--top -2: 2" status_is 2 "$FINSCOPE" -r "$a" --top -2

# ---- the text table ----
if [ -x "$gentrace" ]; then
    fs_run "$OUT/gen.txt" -r "$OUT/gen.pcap"
    check "text table: sorted by id" \
        sh -c "sed -n '/^ID  /,/^\$/p' '$OUT/gen.txt' | sed '1d;/^\$/d' | awk '{print \$1}' > '$OUT/ids' &&
               test \$(wc -l < '$OUT/ids') = 400 && sort -n -c '$OUT/ids'"
fi
fs_run "$OUT/rst.txt" -r "$SAMPLES/rst-linger0-v4.pcap"
check "text table: who sent the RST" \
    grep -Eq '^1 .* reset +client ' "$OUT/rst.txt"
check "text table: no VLAN column when nothing is tagged" \
    sh -c "! grep -q '^ID .*VLAN' '$OUT/rst.txt'"
fs_run "$OUT/qinq.txt" -r "$SAMPLES/crafted-midstream-qinq.pcap"
check "text table: a VLAN column when tagged (outer.inner)" \
    grep -Eq '^1 .* 100\.200 +graceful' "$OUT/qinq.txt"

# ---- over time: --timeline, --plot ----
fs_run "$OUT/stuck.txt" -r "$SAMPLES/stuck-fin-wait-2-close-wait.pcap" \
    --timeline "$OUT/stuck.csv"
check "timeline: the server left in CLOSE_WAIT holds it" \
    grep -q '^[0-9.]*,10\.77\.0\.2,0,1,1,0,0,0$' "$OUT/stuck.csv"
fs_run "$OUT/sim.txt" -r "$b" --timeline "$OUT/sim.csv"
check "timeline: a simultaneous close, TIME_WAIT at both hosts" \
    test "$(grep -c '^[0-9.]*,10\.77\.0\.[12],1,0,0,0,1,0$' "$OUT/sim.csv")" = 2
check "timeline: CSV header" \
    test "$(head -n 1 "$OUT/sim.csv")" = "time,host,time_wait,close_wait,closes_client,closes_server,closes_simultaneous,resets"
if [ -x "$gentrace" ]; then
    fs_run "$OUT/tl.txt" -r "$OUT/gen.pcap" --timeline "$OUT/tl.ndjson" \
        --plot "$OUT/tl.svg"
    check "plot: xmllint accepts the SVG" xmllint --noout "$OUT/tl.svg"
    if command -v rsvg-convert > /dev/null 2>&1; then
        check "plot: rsvg-convert renders it" \
            rsvg-convert "$OUT/tl.svg" -o "$OUT/tl.png"
        png="$OUT/tl.png"
    else
        skip "rsvg-convert is not installed (librsvg2-bin)"
        png=
    fi
    check "bench trace, timeline: peaks per host are the engine's, closes and resets add up${png:+, the PNG is not blank}" \
        python3 "$G_TEST_SRCDIR/tests/why-timeline.py" "$OUT/tl.ndjson" \
            "$OUT/gen.jsonl" $png
fi
check "--step 0: 2" status_is 2 "$FINSCOPE" -r "$a" --timeline "$OUT/x.csv" --step 0

# A capture whose packets span 68 years (one connection at the epoch,
# one in 2038): rows only where something is held or happens. A row a
# step over the whole span was 2^31 steps, a 16 GiB allocation and an
# abort; were that back, the memory cap makes it fail here, not the
# machine (ulimit -v, or ASan's own cap under the sanitizers).
capped() {
    if ldd "$FINSCOPE" 2>/dev/null | grep -q libasan; then
        ASAN_OPTIONS="$ASAN_OPTIONS:max_allocation_size_mb=1024:allocator_may_return_null=1" \
            "$@"
    else
        (ulimit -v 2000000 && exec "$@")
    fi
}
epoch="$SAMPLES/crafted-epoch-and-2038.pcap"
check "1970 to 2038, --timeline and --plot: 0" status_is 0 capped \
    "$FINSCOPE" -r "$epoch" --timeline "$OUT/epoch.csv" --plot "$OUT/epoch.svg"
check "1970 to 2038: TIME_WAIT at 10.3.0.1 for 2*MSL from the epoch (61 rows), then once at the end" \
    test "$(grep -c '^[0-9.]*,10\.3\.0\.1,1,0,' "$OUT/epoch.csv")" = 62
check "1970 to 2038: the 2038 close at its own time" \
    grep -qx '2147483648\.000000000,10\.3\.0\.1,1,0,1,0,0,0' "$OUT/epoch.csv"
check "1970 to 2038: 64 rows and the header, not a row a second" \
    test "$(wc -l < "$OUT/epoch.csv")" = 65
check "1970 to 2038, plot: xmllint accepts the SVG" \
    xmllint --noout "$OUT/epoch.svg"
check "1970 to 2038, plot: at most 1,240 points a line" \
    test "$(grep -o 'points="[^"]*"' "$OUT/epoch.svg" | awk '{ if (NF > m) m = NF } END { print m }')" -le 1240
check "1970 to 2038, plot: the axis says a point's width (2^31 steps over 1,240 points)" \
    grep -q 'most at once in each 1731842 s' "$OUT/epoch.svg"
fs_run "$OUT/sim2.txt" -r "$SAMPLES/simultaneous-close.pcap" --plot "$OUT/sim.svg" \
    --step 0.5
check "plot of a short capture: a point a --step" \
    grep -q 'most at once in each 0.5 s' "$OUT/sim.svg"
# A --step so fine that the rows would not fit: a clear error before the
# file is opened.
rm -f "$OUT/fine.csv"
"$FINSCOPE" -r "$SAMPLES/stuck-fin-wait-2-close-wait.pcap" \
    --timeline "$OUT/fine.csv" --step 0.000000001 > /dev/null 2> "$OUT/fine.err"
fine_status=$?
check "--step 1 ns over a CLOSE_WAIT held 0.14 s: 1" test "$fine_status" = 1
check "--step 1 ns: names the limit, the span and what to do" \
    grep -q 'fine\.csv: more than 10000000 rows at --step 1e-09 s from 2026-11-21T17:06:58\.102196Z to .*give a larger --step' "$OUT/fine.err"
check "--step 1 ns: no file written" test ! -e "$OUT/fine.csv"
check "--timeline to a directory that is not there: 1" \
    status_is 1 "$FINSCOPE" -r "$a" --timeline "$OUT/no/such/dir.csv"

finish
