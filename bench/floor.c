/* finscope bench: the floor, a bare libpcap read loop that touches each
 * TCP header; no tool that reads every packet can be much faster.
 *
 * Usage: floor FILE
 * Reads FILE (pcap or pcapng; Ethernet, untagged IPv4) with pcap_next_ex
 * and nanosecond timestamps, as finscope opens it, finds each TCP header
 * past the Ethernet header and the IPv4 header's own length, and sums
 * the TCP flag bytes. Prints "packets N tcp N flag_sum N". */
#include "config.h"

#include <stdio.h>

#include <glib.h>
#include <pcap/pcap.h>

typedef struct {
    guint64 packets;    /* frames read */
    guint64 tcp;        /* frames whose TCP flags byte was read */
    guint64 flag_sum;   /* sum of those bytes */
} FloorCount;

static void
touch(const guint8 *p, guint32 caplen, FloorCount *n)
{
    guint ihl;

    /* Ethernet, EtherType IPv4, IPv4 protocol TCP. */
    if (caplen < 14 + 20 || p[12] != 0x08 || p[13] != 0x00 ||
        p[14 + 9] != 6)
        return;
    ihl = (p[14] & 0x0fu) * 4u;
    if (ihl < 20 || caplen < 14 + ihl + 14)
        return;
    n->tcp++;
    n->flag_sum += p[14 + ihl + 13];
}

int
main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    struct pcap_pkthdr *hdr = NULL;
    const u_char *bytes = NULL;
    FloorCount n = { 0, 0, 0 };
    pcap_t *pcap;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: floor FILE\n");
        return 2;
    }
    pcap = pcap_open_offline_with_tstamp_precision(
        argv[1], PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (pcap == NULL) {
        fprintf(stderr, "floor: %s\n", errbuf);
        return 1;
    }
    while ((rc = pcap_next_ex(pcap, &hdr, &bytes)) == 1) {
        n.packets++;
        touch(bytes, hdr->caplen, &n);
    }
    if (rc == PCAP_ERROR)
        fprintf(stderr, "floor: %s\n", pcap_geterr(pcap));
    pcap_close(pcap);
    printf("packets %" G_GUINT64_FORMAT " tcp %" G_GUINT64_FORMAT
           " flag_sum %" G_GUINT64_FORMAT "\n", n.packets, n.tcp, n.flag_sum);
    return rc == PCAP_ERROR ? 1 : 0;
}
