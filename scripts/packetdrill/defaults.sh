#!/bin/sh
# finscope: the settings the scripts here were run with (Linux 6.18),
# run by each script's first line inside its network namespace.
ip tcp_metrics flush all > /dev/null 2>&1
sysctl -q net.ipv4.tcp_rmem="4096 540000 15728640"
sysctl -q net.ipv4.tcp_wmem="4096 262144 4194304"
sysctl -q net.ipv4.tcp_timestamps=1
sysctl -q net.ipv4.tcp_sack=1
sysctl -q net.ipv4.tcp_syn_retries=5
sysctl -q net.ipv4.tcp_synack_retries=5
sysctl -q net.ipv4.tcp_syncookies=1
sysctl -q net.ipv4.tcp_ecn=0
# no pacing qdisc on the tun device: timing is the script's
tc qdisc add dev tun0 root pfifo 2> /dev/null
exit 0
