#!/bin/sh
# finscope tests: bad input gets a clear one-line error and a non-zero
# exit when the whole run fails; bad packets are counted, never fatal.
. "$(dirname "$0")/lib.sh"

# expect_error NAME STATUS PATTERN FILE: finscope -r FILE exits STATUS
# and says one line on stderr matching PATTERN (and naming the file).
expect_error() {
    name=$1 want=$2 pattern=$3 file=$4
    "$FINSCOPE" -r "$file" > "$OUT/stdout" 2> "$OUT/stderr"
    status=$?
    lines=$(wc -l < "$OUT/stderr")
    if [ "$status" -eq "$want" ] && [ "$lines" -eq 1 ] &&
        grep -q "^finscope: .*$pattern" "$OUT/stderr" &&
        grep -qF "$file" "$OUT/stderr"; then
        ok "$name"
    else
        not_ok "$name (exit $status, stderr follows)"
        sed 's/^/# /' "$OUT/stderr"
    fi
}

expect_error "missing file" 1 "" "$OUT/no-such.pcap"
: > "$OUT/empty.pcap"
expect_error "empty file" 1 "" "$OUT/empty.pcap"
head -c 4096 /dev/urandom > "$OUT/random.bin"
expect_error "random bytes" 1 "" "$OUT/random.bin"
printf 'this is not a capture\n' > "$OUT/text.pcap"
expect_error "text file" 1 "" "$OUT/text.pcap"

# A pcap header for link type 147 (USER0, private) and no packets.
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\223\000\000\000' \
    > "$OUT/user0.pcap"
expect_error "unsupported link type" 1 "link" "$OUT/user0.pcap"

# A real capture cut in the middle of its last record: the packets
# before the cut are still analysed, and the cut is said.
sample=$(ls "$SAMPLES"/*.pcap | head -n 1)
size=$(wc -c < "$sample")
packets=$("$FINSCOPE" --json -r "$sample" | grep '"type":"summary"' |
    sed -n 's/.*"packets":\([0-9]*\).*/\1/p')
head -c $((size - 7)) "$sample" > "$OUT/cut.pcap"
"$FINSCOPE" --json -r "$OUT/cut.pcap" > "$OUT/cut.jsonl" 2> "$OUT/cut.err"
status=$?
if [ "$status" -eq 0 ] && grep -q '"type":"summary"' "$OUT/cut.jsonl" &&
    grep -q 'cut.pcap' "$OUT/cut.err"; then
    ok "truncated file: report of what was read, warning names the file"
else
    not_ok "truncated file (exit $status)"
    sed 's/^/# /' "$OUT/cut.err"
fi
# ... and the summary records it: the file and the bytes read.
if grep '"type":"summary"' "$OUT/cut.jsonl" | grep -qF \
    "\"truncated\":true,\"truncated_files\":[{\"file\":\"$OUT/cut.pcap\",\"bytes_read\":$((size - 7)),\"records_read\":$((packets - 1))}]"
then
    ok "truncated file: JSON summary has truncated, the file, bytes read"
else
    not_ok "truncated file: JSON summary lacks truncated"
    grep '"type":"summary"' "$OUT/cut.jsonl" | sed 's/^/# /'
fi
if "$FINSCOPE" -r "$OUT/cut.pcap" 2>/dev/null | grep -qF \
    "TRUNCATED capture     $OUT/cut.pcap ends inside a packet record after $((size - 7)) bytes"
then
    ok "truncated file: the text summary says so"
else
    not_ok "truncated file: the text summary does not say so"
fi
if "$FINSCOPE" --json -r "$sample" 2>/dev/null | grep -q '"truncated":true'
then
    not_ok "a whole file: no truncated in the summary"
else
    ok "a whole file: no truncated in the summary"
fi
# stdin cut short: truncated, bytes unknown
if "$FINSCOPE" --json -r - < "$OUT/cut.pcap" 2>/dev/null | grep -qF \
    "\"truncated\":true,\"truncated_files\":[{\"file\":\"-\",\"records_read\":$((packets - 1))}]"
then
    ok "truncated stdin: truncated, no bytes_read"
else
    not_ok "truncated stdin: truncated, no bytes_read"
fi

# A record whose length field lies (caplen 2^31-1) in the middle of a
# real capture: a read error, not a cut. The run still fails (exit 1,
# libpcap's message on stderr), but the report of the records before says
# it stopped, where and why, as for a cut: the 4th of the sample's
# records, so 3 are read; read in place and by libpcap alike.
python3 - "$sample" "$OUT/bad.pcap" 4 > "$OUT/bad.at" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
order = '<' if d[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
pos = 24
for _ in range(int(sys.argv[3]) - 1):
    pos += 16 + struct.unpack(order + 'I', d[pos + 8:pos + 12])[0]
d[pos + 8:pos + 12] = struct.pack(order + 'I', 0x7fffffff)
open(sys.argv[2], 'wb').write(d)
print(pos)
PY
at=$(cat "$OUT/bad.at")
expect_error "corrupt record mid-file: exit 1, one line" 1 \
    "invalid packet capture length" "$OUT/bad.pcap"
why=$(sed "s|^finscope: $OUT/bad.pcap: ||" "$OUT/stderr")
"$FINSCOPE" --json -r "$OUT/bad.pcap" > "$OUT/bad.jsonl" 2> /dev/null
status=$?
if [ "$status" -eq 1 ] && grep '"type":"summary"' "$OUT/bad.jsonl" |
    grep -qF "\"packets\":3,\"tcp_segments\":3," &&
    grep '"type":"summary"' "$OUT/bad.jsonl" | grep -qF \
    "\"truncated\":true,\"truncated_files\":[{\"file\":\"$OUT/bad.pcap\",\"bytes_read\":$at,\"records_read\":3,\"error\":\"$why\"}]"
then
    ok "corrupt record: JSON summary of the 3 records before: truncated, where, why"
else
    not_ok "corrupt record: JSON summary (exit $status)"
    grep '"type":"summary"' "$OUT/bad.jsonl" | sed 's/^/# /'
fi
"$FINSCOPE" -r "$OUT/bad.pcap" > "$OUT/bad.txt" 2> /dev/null
status=$?
if [ "$status" -eq 1 ] && grep -qF \
    "TRUNCATED capture     $OUT/bad.pcap: reading stopped at record 4, byte $at ($why): the report covers the 3 records before" \
    "$OUT/bad.txt"
then
    ok "corrupt record: the text summary says so"
else
    not_ok "corrupt record: the text summary (exit $status)"
    grep TRUNCATED "$OUT/bad.txt" | sed 's/^/# /'
fi
check "corrupt record: libpcap's path reports it alike" sh -c '
    FINSCOPE_NO_MMAP=1 "$1" --json -r "$2" > "$3" 2> /dev/null
    [ $? -eq 1 ] && cmp "$3" "$4"' sh "$FINSCOPE" "$OUT/bad.pcap" \
    "$OUT/bad-libpcap.jsonl" "$OUT/bad.jsonl"
check "corrupt record: --threads 2 reports it alike" sh -c '
    "$1" --threads 2 --json -r "$2" > "$3" 2> /dev/null
    [ $? -eq 1 ] && cmp "$3" "$4"' sh "$FINSCOPE" "$OUT/bad.pcap" \
    "$OUT/bad-threads.jsonl" "$OUT/bad.jsonl"
if "$FINSCOPE" --json -r - < "$OUT/bad.pcap" 2>/dev/null | grep -qF \
    "\"truncated\":true,\"truncated_files\":[{\"file\":\"-\",\"records_read\":3,\"error\":\"$why\"}]"
then
    ok "corrupt record on stdin: where (no bytes_read) and why"
else
    not_ok "corrupt record on stdin: where (no bytes_read) and why"
fi
# Merged with a whole file: that one is read to its end (the bad one's
# error does not end it), and the run still fails.
"$FINSCOPE" --json -r "$OUT/bad.pcap" -r "$sample" > "$OUT/two.jsonl" \
    2> "$OUT/two.err"
status=$?
if [ "$status" -eq 1 ] && grep '"type":"summary"' "$OUT/two.jsonl" |
    grep -qF "\"packets\":$((packets + 3)),\"tcp_segments\":$((packets + 3))," &&
    grep '"type":"summary"' "$OUT/two.jsonl" | grep -qF \
    "\"truncated_files\":[{\"file\":\"$OUT/bad.pcap\",\"bytes_read\":$at,\"records_read\":3,\"error\":\"$why\"}]}" &&
    [ "$(wc -l < "$OUT/two.err")" -eq 1 ]
then
    ok "corrupt record merged with a whole file: the other read to its end, exit 1"
else
    not_ok "corrupt record merged with a whole file (exit $status)"
    grep '"type":"summary"' "$OUT/two.jsonl" | sed 's/^/# /'
    sed 's/^/# /' "$OUT/two.err"
fi
check "corrupt record: finscope check cannot run (2) and says why" sh -c '
    "$1" check --assert "resets >= 0" -r "$2" > /dev/null 2> "$3"
    [ $? -eq 2 ] && grep -qF "finscope check: $2: $4" "$3"' sh \
    "$FINSCOPE" "$OUT/bad.pcap" "$OUT/check.err" "$why"

# Every packet cut by a small snap length: counted as truncated, and the
# run completes. 40 bytes of Ethernet keeps the IP header but not TCP;
# 53 stops one byte short of the whole TCP header.
cat > "$OUT/script.trace" <<'TRACE'
0 10.0.0.1:40000 > 10.0.0.2:80 S 1000 0 0
1000 10.0.0.2:80 > 10.0.0.1:40000 SA 5000 1001 0
2000 10.0.0.1:40000 > 10.0.0.2:80 A 1001 5001 0
TRACE
for snap in 10 20 40 53; do
    "$MKTRACE" --snaplen "$snap" "$OUT/script.trace" "$OUT/snap.pcap" &&
        "$FINSCOPE" --json -r "$OUT/snap.pcap" > "$OUT/snap.jsonl"
    status=$?
    if [ "$status" -eq 0 ] &&
        grep -q '"truncated":3' "$OUT/snap.jsonl"; then
        ok "snaplen $snap: 3 packets counted as truncated"
    else
        not_ok "snaplen $snap (exit $status)"
        tail -n 1 "$OUT/snap.jsonl" | sed 's/^/# /'
    fi
done

# Segments whose TCP options the snap length cut are analysed and counted
# apart, in text and JSON; a whole capture says nothing of it.
cut=$SAMPLES/snap68-reuse-client-time-wait.pcap
check "options cut: the text summary counts them" sh -c "
    '$FINSCOPE' -r '$cut' | grep -q '^  packets  *22 read, 22 TCP (4 with TCP options cut by the snap length)\$'"
check "options cut: the JSON summary counts them" sh -c "
    '$FINSCOPE' --json -r '$cut' | tail -n 1 |
        grep -q '\"tcp_segments\":22,\"options_cut\":4,\"skipped\"'"
check "options cut: none in a whole capture, text or JSON" sh -c "
    ! '$FINSCOPE' -r '$SAMPLES/reuse-client-time-wait.pcap' |
        grep -q 'options cut' &&
    ! '$FINSCOPE' --json -r '$SAMPLES/reuse-client-time-wait.pcap' |
        grep -q options_cut"

# Random bytes inside valid pcap records: every packet is data, never
# fatal.
python3 - "$OUT/garbage.pcap" <<'PY'
import random, struct, sys
rnd = random.Random(7)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(2000):
        n = rnd.randrange(0, 200)
        f.write(struct.pack("<IIII", 1700000000 + i, 0, n, n))
        f.write(bytes(rnd.randrange(256) for _ in range(n)))
PY
"$FINSCOPE" --json -r "$OUT/garbage.pcap" > "$OUT/garbage.jsonl"
status=$?
if [ "$status" -eq 0 ] && grep -q '"packets":2000' "$OUT/garbage.jsonl"; then
    ok "2000 random frames: all counted, exit 0"
else
    not_ok "2000 random frames (exit $status)"
fi
finish
