/* finscope fuzzing: the in-place readers (src/1-engine/mapped.c, and
 * mapped-pcapng.c for pcapng) against libpcap, packet by packet.
 *
 * Input: a pcapng (or classic pcap) file, written to a memfd and opened
 * twice by libpcap with nanosecond precision. One copy is read through
 * fs_mapped_next() until it hands over (fs_mapped_hand_over()) and then
 * by its libpcap; the other by libpcap alone. Every packet (time stamp,
 * lengths, bytes), the end and the error text must be the same; ASan
 * checks that the parser reads nothing outside its window (of 61 bytes
 * here, fuzz/run.sh: records straddle windows). Lighter than
 * fuzz-pipeline (no engine), so it goes deeper into block layouts. One
 * difference is by design: libpcap 1.10 refuses an interface whose
 * snapshot differs from the first one's, the mapped reader reads on
 * (mapped-pcapng.h); from there, only that it reads within bounds. */
#define _GNU_SOURCE /* memfd_create */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>
#include <pcap/pcap.h>

#include "mapped.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pcap_t *
open_path(const char *path, FILE **fp)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p;

    *fp = fopen(path, "rb");
    g_assert_nonnull(*fp);
    p = pcap_fopen_offline_with_tstamp_precision(
        *fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (p == NULL)
        fclose(*fp);
    return p;
}

/* libpcap stopped at an interface whose snapshot or link type differs
 * from the first one's, which the mapped reader reads. */
static gboolean
refused_other_snapshot(pcap_t *p)
{
    return strstr(pcap_geterr(p), "different from the snapshot length of "
                                  "the first interface") != NULL ||
           strstr(pcap_geterr(p), "different from the type of the first "
                                  "interface") != NULL;
}

static void
differ(const char *what, guint64 n)
{
    fprintf(stderr, "fuzz-pcapng: packet %" G_GUINT64_FORMAT ": %s\n", n,
            what);
    abort();
}

static void
same_packet(const struct pcap_pkthdr *a, const guint8 *da,
            const struct pcap_pkthdr *b, const guint8 *db, guint64 n)
{
    if (a->ts.tv_sec != b->ts.tv_sec || a->ts.tv_usec != b->ts.tv_usec)
        differ("time stamps differ", n);
    if (a->caplen != b->caplen || a->len != b->len)
        differ("lengths differ", n);
    if (memcmp(da, db, a->caplen) != 0)
        differ("bytes differ", n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *path = NULL;
    FILE *fp_m = NULL, *fp_l = NULL;
    pcap_t *pm, *pl;
    FsMapped *m;
    struct pcap_pkthdr hm, *hl = NULL, *h2 = NULL;
    const guint8 *dm = NULL;
    const u_char *dl = NULL, *d2 = NULL;
    guint64 n = 0;
    int rm, rl;
    int fd;

    if (size < 4 || size > 1 << 20)
        return 0;
    fd = memfd_create("fuzz-input", 0);
    g_assert(fd >= 0);
    g_assert(write(fd, data, size) == (ssize_t)size);
    path = g_strdup_printf("/proc/self/fd/%d", fd);
    g_unsetenv("FINSCOPE_NO_MMAP");
    pm = open_path(path, &fp_m);
    pl = open_path(path, &fp_l);
    g_assert((pm == NULL) == (pl == NULL));
    if (pm == NULL)
        goto out;
    m = fs_mapped_open(fp_m, pm, 256 * 1024);
    if (m != NULL) {
        while (fs_mapped_next(m, &hm, &dm)) {
            n++;
            if (pcap_next_ex(pl, &hl, &dl) != 1) {
                if (!refused_other_snapshot(pl))
                    differ("libpcap has no such packet", n);
                while (fs_mapped_next(m, &hm, &dm))
                    ;
                fs_mapped_free(m);
                pcap_close(pm);
                pcap_close(pl);
                goto out;
            }
            same_packet(&hm, dm, hl, dl, n);
        }
        if (!fs_mapped_hand_over(m, pm))
            differ("libpcap cannot take over", n);
        fs_mapped_free(m);
    }
    for (;;) {
        n++;
        rm = pcap_next_ex(pm, &h2, &d2);
        rl = pcap_next_ex(pl, &hl, &dl);
        if (rl == PCAP_ERROR && refused_other_snapshot(pl))
            break; /* the mapped reader read past it */
        if (rm != rl)
            differ("the ends differ", n);
        if (rm != 1)
            break;
        same_packet(h2, d2, hl, dl, n);
    }
    if (rm == PCAP_ERROR && !refused_other_snapshot(pl) &&
        strcmp(pcap_geterr(pm), pcap_geterr(pl)) != 0) {
        fprintf(stderr, "mapped: %s\nlibpcap: %s\n", pcap_geterr(pm),
                pcap_geterr(pl));
        differ("the errors differ", n);
    }
    pcap_close(pm);
    pcap_close(pl);
out:
    close(fd);
    return 0;
}
