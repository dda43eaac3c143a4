#!/bin/sh
# finscope: regenerates a samples/packetdrill-* capture from its script.
# Usage (root): scripts/packetdrill/capture.sh PACKETDRILL SCRIPT.pkt OUT.pcap
# PACKETDRILL: a build of google/packetdrill that prints
# "PD_TEARDOWN <epoch>.<usec>" to stderr as its teardown begins (README.md).
# The run happens in a new network namespace (unshare -n), captured on
# every interface by tcpdump; OUT.pcap keeps the frames before teardown,
# OUT.pcap.full all of them, OUT.pcap.log packetdrill's output.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 PACKETDRILL SCRIPT.pkt OUT.pcap" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
pd=$(readlink -f "$1")
script=$(readlink -f "$2")
out=$(readlink -f "$3")
if [ "${FS_PD_INNER:-}" != 1 ]; then
    FS_PD_INNER=1 exec unshare -n "$0" "$@"
fi
ip link set lo up
tcpdump -i any -U --immediate-mode -w "$out.full" 2> "$out.tcpdump" &
tpid=$!
i=0
until grep -q listening "$out.tcpdump" 2> /dev/null; do
    i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1
done
rc=0
(cd "$(dirname "$script")" &&
 "$pd" --send_omit_free --ip_version=ipv4 --local_ip=192.168.0.1 \
     --gateway_ip=192.168.0.1 --netmask_ip=255.255.0.0 \
     --remote_ip=192.0.2.1 --tolerance_usecs=100000 \
     "$(basename "$script")") > "$out.log" 2>&1 || rc=$?
sleep 0.3
kill "$tpid"; wait "$tpid" 2> /dev/null || true
rm -f "$out.tcpdump"
[ $rc -eq 0 ] || { echo "$0: packetdrill failed ($rc): $out.log" >&2; exit 1; }
python3 "$here/trim.py" "$out.full" "$out.log" "$out"
