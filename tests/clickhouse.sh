#!/bin/sh
# finscope tests: contrib/clickhouse for real. Starts Debian's
# clickhouse-server as an ordinary process (its config, data and free
# ports under $OUT), creates the table of schema.sql, loads the records
# of a generated capture (with load.sh) and of every sample (with the
# README's one-liner), runs each query of queries.sql and compares its
# answer with finscope's own summary and service records of the same
# capture (tests/clickhouse-agree.py). Skipped without clickhouse-server
# and clickhouse-client (scripts/setup.sh installs them).
. "$(dirname "$0")/lib.sh"

CH="$G_TEST_SRCDIR/contrib/clickhouse"
AGREE="$G_TEST_SRCDIR/tests/clickhouse-agree.py"
GENTRACE="$G_TEST_BUILDDIR/bench/gentrace"

# README's SQL blocks are queries of queries.sql, which the checks below
# run: README's answers are tested too.
readme_sql() {
    python3 - "$G_TEST_SRCDIR/README.md" "$CH/queries.sql" <<'PY'
import re, sys
readme = open(sys.argv[1]).read()
section = readme[readme.index("### Records into ClickHouse"):]
section = section[:section.index("\n### ", 1)]
blocks = re.findall(r"```sql\n(.*?)```", section, re.S)
queries = open(sys.argv[2]).read()
norm = lambda t: " ".join(t.split())
if len(blocks) < 3:
    sys.exit("README has %d SQL blocks, want 3 or more" % len(blocks))
for b in blocks:
    if norm(b) + ";" not in norm(queries):
        sys.exit("not in queries.sql: " + b)
PY
}
check "README's SQL blocks are queries of queries.sql" readme_sql

if ! command -v clickhouse-server > /dev/null ||
        ! command -v clickhouse-client > /dev/null; then
    skip "ClickHouse: clickhouse-server or -client not installed" \
        "(scripts/setup.sh installs them)"
    finish
    exit
fi

# Three free loopback ports: native, HTTP, interserver.
set -- $(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
TCP_PORT=$1 HTTP_PORT=$2 INTER_PORT=$3
DIR=$OUT/clickhouse
mkdir -p "$DIR/data"
cat > "$DIR/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$DIR/server.log</log>
        <errorlog>$DIR/server.err.log</errorlog>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$TCP_PORT</tcp_port>
    <http_port>$HTTP_PORT</http_port>
    <interserver_http_port>$INTER_PORT</interserver_http_port>
    <path>$DIR/data/</path>
    <tmp_path>$DIR/data/tmp/</tmp_path>
    <user_files_path>$DIR/data/user_files/</user_files_path>
    <format_schema_path>$DIR/data/format_schemas/</format_schema_path>
    <users_config>$DIR/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mark_cache_size>67108864</mark_cache_size>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
</yandex>
XML
cat > "$DIR/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
    <profiles><default><max_threads>2</max_threads></default></profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas><default></default></quotas>
</yandex>
XML

clickhouse-server --config-file="$DIR/config.xml" > "$DIR/server.out" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2> /dev/null; wait "$SERVER" 2> /dev/null; rm -rf "$OUT"' EXIT
# a test cut short (^C, its reader gone) stops the server too
trap 'exit 1' HUP INT PIPE TERM
CLIENT="clickhouse-client --host 127.0.0.1 --port $TCP_PORT"

ready() {
    i=0
    while [ $i -lt 300 ]; do
        $CLIENT --query 'SELECT 1' > /dev/null 2>&1 && return 0
        kill -0 "$SERVER" 2> /dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
    echo "server not ready:"
    cat "$DIR/server.out" "$DIR/server.err.log" 2> /dev/null | tail -n 20
    return 1
}
if ! ready > "$DIR/ready.out"; then
    not_ok "clickhouse-server starts on 127.0.0.1:$TCP_PORT"
    sed 's/^/# /' "$DIR/ready.out"
    finish
    exit
fi
ok "clickhouse-server $($CLIENT --query 'SELECT version()') starts on 127.0.0.1:$TCP_PORT"

fresh_table() {
    $CLIENT --query 'DROP DATABASE IF EXISTS finscope' &&
        $CLIENT --multiquery < "$CH/schema.sql"
}

# agree SET CHECK...: each check of clickhouse-agree.py, one TAP line.
agree() {
    set_name=$1 report=$2
    shift 2
    for c in "$@"; do
        # shellcheck disable=SC2086
        check "$set_name: $c: SQL = finscope" \
            python3 "$AGREE" "$c" "$report" "$CH/queries.sql" $CLIENT
    done
}

# 1. A generated capture, 4000 connections of 6 clients to 3 servers,
# through load.sh; with the default MSL no TIME_WAIT ends inside it.
"$GENTRACE" --seed 7 --connections 4000 --concurrency 400 --rate 500 \
    --clients 6 --servers 3 --out "$OUT/gen.pcap" 2> /dev/null
fs_run "$OUT/gen.json" --json --top 0 -r "$OUT/gen.pcap" &&
check "generated: schema.sql creates the table" fresh_table
check "generated: load.sh loads it" env CLICKHOUSE_CLIENT="$CLIENT" \
    FINSCOPE="$FINSCOPE" sh "$CH/load.sh" "$OUT/gen.pcap"
agree generated "$OUT/gen.json" total closes services_closing_first \
    rst_senders port_pressure fin_retransmits
# 2. The same with TIME_WAIT ending inside the capture (2*MSL = 4 s):
# the spans give each service's peak and port pressure exactly, and so
# does finscope (a TIME_WAIT ends at its 2*MSL, not at the sweep after).
fs_run "$OUT/gen2.json" --json --top 0 --msl 2 -r "$OUT/gen.pcap" &&
check "generated, --msl=2: load.sh loads it" sh -c \
    "$CLIENT --query 'DROP DATABASE finscope' &&
     CLICKHOUSE_CLIENT='$CLIENT' FINSCOPE='$FINSCOPE' \
         sh '$CH/load.sh' --msl=2 '$OUT/gen.pcap'"
agree "generated, --msl=2" "$OUT/gen2.json" total service_time_wait_peak \
    port_pressure

# 3. Every sample in one run, loaded with README's one-liner.
samples=$(awk '$1 !~ /^#/ && NF { print $2 }' "$SAMPLES/TRACES" | sort -u |
          sed "s|^|-r $SAMPLES/|")
# shellcheck disable=SC2086
fs_run "$OUT/samples.json" --json --top 0 $samples &&
one_liner() {
    fresh_table || return 1
    # shellcheck disable=SC2086
    "$FINSCOPE" --json-flat $samples |
        $CLIENT --query 'INSERT INTO finscope.conns FORMAT JSONEachRow'
}
check "samples: the one-liner loads them" one_liner
agree samples "$OUT/samples.json" total closes services_closing_first \
    rst_senders port_pressure fin_retransmits close_wait_stuck

# 4. load.sh, several files: one run each, told apart by "file".
per_file() {
    fresh_table || return 1
    CLICKHOUSE_CLIENT="$CLIENT" FINSCOPE="$FINSCOPE" sh "$CH/load.sh" \
        "$SAMPLES/crafted-refused.pcap" "$SAMPLES/fin-lost.pcap" \
        "$SAMPLES/reuse-client-time-wait.pcap" || return 1
    got=$($CLIENT --query "SELECT file, count() FROM finscope.conns
                           GROUP BY file ORDER BY file" | tr '\t\n' ': ')
    want="$SAMPLES/crafted-refused.pcap:5 $SAMPLES/fin-lost.pcap:1 "
    want="$want$SAMPLES/reuse-client-time-wait.pcap:2 "
    [ "$got" = "$want" ] || { echo "got '$got', want '$want'"; return 1; }
}
check "load.sh: three files, the records of each under its name" per_file
# a capture finscope cannot read fails the load
if CLICKHOUSE_CLIENT="$CLIENT" FINSCOPE="$FINSCOPE" sh "$CH/load.sh" \
        "$OUT/missing.pcap" > "$OUT/missing.out" 2>&1; then
    not_ok "load.sh fails on a file finscope cannot read"
else
    ok "load.sh fails on a file finscope cannot read"
fi
finish
