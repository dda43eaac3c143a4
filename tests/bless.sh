#!/bin/sh
# finscope: rewrite the expected output of samples after a deliberate
# change: tests/bless.sh [NAME ...] (default: every line of samples/TRACES).
# Run from the build tree (FINSCOPE=path/to/finscope to override).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
FINSCOPE=${FINSCOPE:-./finscope}
while read -r name pcap expected opts; do
    case $name in ''|'#'*) continue ;; esac
    if [ $# -gt 0 ]; then
        case " $* " in *" $name "*) ;; *) continue ;; esac
    fi
    json=--json
    case $expected in *.ladder) json= ;; esac # --ladder refuses --json
    # shellcheck disable=SC2086
    TZ=UTC LC_ALL=C "$FINSCOPE" $json -r "$top/samples/$pcap" $opts \
        > "$top/samples/$expected"
    echo "blessed $expected"
done < "$top/samples/TRACES"
