/* finscope: live capture — the main loop of `finscope -i`. */
#ifndef FINSCOPE_LIVE_H
#define FINSCOPE_LIVE_H

#include "cli.h"

/* The default filter, and what --closes-only adds to it. IPv6 has no
 * tcp[] offsets in libpcap: its flags byte is read at ip6[53], which holds
 * for TCP right after the fixed header (no extension headers). */
#define FS_LIVE_FILTER_DEFAULT "tcp"
#define FS_LIVE_FILTER_CLOSES \
    "((ip and tcp[tcpflags] & (tcp-fin|tcp-rst|tcp-syn) != 0) or " \
    "(ip6 and ip6[6] == 6 and ip6[53] & 0x07 != 0))"

/* What a --closes-only capture cannot see; the report states it. */
#define FS_LIVE_CLOSES_ONLY_NOTE \
    "--closes-only kept only SYN/FIN/RST segments: data and pure ACKs " \
    "were not captured, so half-close data, old duplicates without " \
    "those flags, final-ACK loss (and with it graceful completion) are " \
    "invisible; IPv6 with extension headers was not captured"

/* Captures on opts->iface until SIGINT/SIGTERM, -c COUNT packets or a
 * capture error; streams the report to stdout. SIGUSR1 writes an interim
 * summary. Returns the exit status: 0, 1 runtime error, 2 usage. */
int fs_live_run(const FsCliOptions *opts);

#endif /* FINSCOPE_LIVE_H */
