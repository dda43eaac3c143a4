#!/bin/sh
# finscope: loads the connection records of capture files into ClickHouse
# (table finscope.conns of schema.sql, created when missing).
#
# Usage: load.sh [--FINSCOPE-OPTION=VALUE ...] FILE...
#   Each FILE is read by its own finscope run (its ids start at 1; the
#   column "file" tells the runs apart). Arguments that start with - are
#   passed to finscope (give values with =, as --msl=60).
# Environment:
#   FINSCOPE            finscope to run [finscope]
#   CLICKHOUSE_CLIENT   client and its options
#                       [clickhouse-client], e.g. "clickhouse-client
#                       --host db --port 9000 --user loader"
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${FINSCOPE:=finscope}"
: "${CLICKHOUSE_CLIENT:=clickhouse-client}"

opts=
for arg in "$@"; do
    case $arg in -*) opts="$opts $arg" ;; esac
done
failed=$(mktemp)
trap 'rm -f "$failed"' EXIT
# shellcheck disable=SC2086
$CLICKHOUSE_CLIENT --multiquery < "$here/schema.sql"
for file in "$@"; do
    case $file in -*) continue ;; esac
    # A capture finscope cannot read fails the load (the rows it wrote
    # before are in the table: see the column "file"); one without a TCP
    # connection inserts nothing (the client refuses an empty INSERT).
    # shellcheck disable=SC2086
    { "$FINSCOPE" --json-flat $opts -r "$file" || echo "$file" > "$failed"; } |
        { if IFS= read -r first; then
              { printf '%s\n' "$first"; cat; } | $CLICKHOUSE_CLIENT \
                  --query 'INSERT INTO finscope.conns FORMAT JSONEachRow'
          fi; }
    if [ -s "$failed" ]; then
        echo "load.sh: finscope failed on $file" >&2
        exit 1
    fi
done
