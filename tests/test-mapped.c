/* finscope tests: the in-place parser of pcap records read into a window
 * (src/1-engine/mapped.c): fields as libpcap gives them, and every record that is
 * not whole, or longer than the limit, left to libpcap. Likewise pcapng
 * blocks (mapped-pcapng.c). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>

#include "mapped.h"
#include "mapped-pcapng.h"

#define REC 16 /* record header bytes */

/* Appends a record header (in the given byte order) and caplen bytes. */
static void
put_record(GByteArray *b, gboolean swapped, guint32 sec, guint32 frac,
           guint32 caplen, guint32 len)
{
    guint32 v[4] = { sec, frac, caplen, len };

    for (guint i = 0; i < 4; i++) {
        guint32 x = swapped ? GUINT32_SWAP_LE_BE(v[i]) : v[i];

        g_byte_array_append(b, (const guint8 *)&x, 4);
    }
    for (guint32 i = 0; i < caplen; i++) {
        guint8 c = (guint8)(i + 1);

        g_byte_array_append(b, &c, 1);
    }
}

static void
test_two_records(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    FsMappedFormat fmt = { FALSE, FALSE, 65535 };
    struct pcap_pkthdr hdr;
    const guint8 *data = NULL;
    gsize pos = 0;

    put_record(b, FALSE, 1700000000, 123456, 5, 60);
    put_record(b, FALSE, 1700000001, 7, 0, 0);
    g_assert_true(fs_mapped_parse(b->data, b->len, &pos, &fmt, &hdr, &data));
    g_assert_cmpint(hdr.ts.tv_sec, ==, 1700000000);
    g_assert_cmpint(hdr.ts.tv_usec, ==, 123456000); /* us scaled to ns */
    g_assert_cmpuint(hdr.caplen, ==, 5);
    g_assert_cmpuint(hdr.len, ==, 60);
    g_assert_true(data == b->data + REC);
    g_assert_cmpuint(data[4], ==, 5);
    g_assert_cmpuint(pos, ==, REC + 5);
    g_assert_true(fs_mapped_parse(b->data, b->len, &pos, &fmt, &hdr, &data));
    g_assert_cmpuint(hdr.caplen, ==, 0);
    g_assert_nonnull(data);
    g_assert_cmpuint(pos, ==, b->len);
    /* the end: nothing changes */
    g_assert_false(fs_mapped_parse(b->data, b->len, &pos, &fmt, &hdr, &data));
    g_assert_cmpuint(pos, ==, b->len);
    pos = b->len + 1; /* past the end (never made here): refused */
    g_assert_false(fs_mapped_parse(b->data, b->len, &pos, &fmt, &hdr, &data));
}

/* A record cut anywhere, header or data, is libpcap's to report. */
static void
test_cut_everywhere(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    FsMappedFormat fmt = { FALSE, TRUE, 65535 };
    struct pcap_pkthdr hdr;
    const guint8 *data = NULL;

    put_record(b, FALSE, 1, 2, 40, 40);
    for (gsize size = 0; size <= b->len; size++) {
        gsize pos = 0;
        gboolean whole = size == b->len;

        g_assert_cmpint(fs_mapped_parse(b->data, size, &pos, &fmt, &hdr,
                                        &data), ==, whole);
        g_assert_cmpuint(pos, ==, whole ? b->len : 0);
    }
}

/* Longer than the snapshot (libpcap cuts it) or than libpcap's maximum
 * (an error): not taken; a caplen near 2^32 does not wrap the check. */
static void
test_limit(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(GByteArray) huge = g_byte_array_new();
    FsMappedFormat fmt = { FALSE, FALSE, 40 };
    struct pcap_pkthdr hdr;
    const guint8 *data = NULL;
    gsize pos = 0;

    put_record(b, FALSE, 1, 2, 41, 41);
    g_assert_false(fs_mapped_parse(b->data, b->len, &pos, &fmt, &hdr, &data));
    g_assert_cmpuint(pos, ==, 0);
    fmt.limit = 41;
    g_assert_true(fs_mapped_parse(b->data, b->len, &pos, &fmt, &hdr, &data));
    put_record(huge, FALSE, 1, 2, 0, 0);
    memset(huge->data + 8, 0xff, 4); /* caplen 0xffffffff */
    fmt.limit = G_MAXUINT32;
    pos = 0;
    g_assert_false(fs_mapped_parse(huge->data, huge->len, &pos, &fmt, &hdr,
                                   &data));
}

/* The other byte order; times signed 32-bit as libpcap reads them; ns
 * files not scaled. */
static void
test_swapped_signed_ns(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    FsMappedFormat fmt = { TRUE, TRUE, 65535 };
    struct pcap_pkthdr hdr;
    const guint8 *data = NULL;
    gsize pos = 0;

    put_record(b, TRUE, 0xffffffffu, 999999999u, 3, 1514);
    g_assert_true(fs_mapped_parse(b->data, b->len, &pos, &fmt, &hdr, &data));
    g_assert_cmpint(hdr.ts.tv_sec, ==, -1);
    g_assert_cmpint(hdr.ts.tv_usec, ==, 999999999);
    g_assert_cmpuint(hdr.caplen, ==, 3);
    g_assert_cmpuint(hdr.len, ==, 1514);
    /* the same bytes read as microseconds: scaled in 64 bits, no wrap */
    g_byte_array_set_size(b, 0);
    put_record(b, FALSE, 0, 0x80000000u, 0, 0);
    fmt.swapped = FALSE;
    fmt.nsec = FALSE;
    pos = 0;
    g_assert_true(fs_mapped_parse(b->data, b->len, &pos, &fmt, &hdr, &data));
    g_assert_cmpint(hdr.ts.tv_usec, ==, (gint64)G_MININT32 * 1000);
}

/* b written to a temporary file (*path), opened by libpcap (*pcap, ns
 * precision) and by the fast path (with a window of window bytes). */
static FsMapped *
open_written(const GByteArray *b, gsize window, char **path, pcap_t **pcap)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    FsMapped *m;
    FILE *fp;
    int fd = g_file_open_tmp("test-mapped-XXXXXX.pcap", path, NULL);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, b->data, b->len), ==, (gssize)b->len);
    close(fd);
    fp = fopen(*path, "rb");
    g_assert_nonnull(fp);
    *pcap = pcap_fopen_offline_with_tstamp_precision(
        fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    g_assert_nonnull(*pcap);
    m = fs_mapped_open(fp, *pcap, window);
    g_assert_nonnull(m);
    return m;
}

/* A classic pcap file of 3 MiB of 1000-byte records (1,016 bytes each
 * with their headers, after the file's 24). */
static void
put_even_file(GByteArray *b)
{
    static const guint32 file_header[6] = { 0xa1b2c3d4u, 0x00040002u, 0, 0,
                                            65535, 1 };

    g_byte_array_append(b, (const guint8 *)file_header, sizeof file_header);
    while (b->len < 3 * 1024 * 1024)
        put_record(b, FALSE, 1, 2, 1000, 1000);
}

/* A file cut short while it is read: the records past its new end are
 * left to libpcap (the window's read comes back short there). */
static void
test_file_cut_while_read(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autofree char *path = NULL;
    struct pcap_pkthdr hdr;
    const guint8 *data = NULL;
    guint n = 0;
    FsMapped *m;
    pcap_t *pcap;

    put_even_file(b);
    m = open_written(b, 256 * 1024, &path, &pcap);
    while (n < 100 && fs_mapped_next(m, &hdr, &data))
        n++;
    g_assert_cmpuint(n, ==, 100);
    g_assert_cmpint(truncate(path, 1536 * 1024), ==, 0);
    while (fs_mapped_next(m, &hdr, &data))
        g_assert_cmpuint(data[999], ==, (guint8)1000); /* read before the cut */
    g_assert_cmpint(fs_mapped_offset(m), <=, 1536 * 1024);
    g_assert_cmpint(fs_mapped_offset(m), >, 1024 * 1024);
    fs_mapped_free(m);
    pcap_close(pcap);
    g_unlink(path);
}

/* pcapng: appends v (n bytes) in the given byte order. */
static void
ng_put(GByteArray *b, gboolean swapped, guint64 v, guint n)
{
    guint8 bytes[8];

    for (guint i = 0; i < n; i++) {
        guint shift = swapped ? 8 * (n - 1 - i) : 8 * i;

        bytes[i] = (guint8)(v >> shift);
    }
    g_byte_array_append(b, bytes, n);
}

/* Appends a block of type with body (padded to 4 bytes). */
static void
ng_block(GByteArray *b, gboolean swapped, guint32 type, const guint8 *body,
         guint len)
{
    guint padded = (len + 3) / 4 * 4;
    static const guint8 zeros[4] = { 0 };

    ng_put(b, swapped, type, 4);
    ng_put(b, swapped, 12 + padded, 4);
    g_byte_array_append(b, body, len);
    g_byte_array_append(b, zeros, padded - len);
    ng_put(b, swapped, 12 + padded, 4);
}

/* A section: SHB, an ISB to skip, an IDB (Ethernet, snaplen 100, ns
 * resolution, 5 s offset), an EPB of 8 bytes at 7.000000123 s (len 60),
 * an SPB of len 300 (cut to the snapshot). */
/* Appends a Section Header Block (version 1.0, length unknown). */
static void
ng_shb(GByteArray *b, gboolean swapped)
{
    g_autoptr(GByteArray) body = g_byte_array_new();

    ng_put(body, swapped, 0x1A2B3C4D, 4);
    ng_put(body, swapped, 1, 2);
    ng_put(body, swapped, 0, 2);
    ng_put(body, swapped, G_MAXUINT64, 8);
    ng_block(b, swapped, FS_PCAPNG_SHB, body->data, body->len);
}

/* A section: SHB, a statistics block, an IDB of link type linktype, an
 * EPB and an SPB. */
static void
ng_section_of(GByteArray *b, gboolean swapped, int linktype)
{
    g_autoptr(GByteArray) body = g_byte_array_new();

    ng_shb(b, swapped);
    ng_put(body, swapped, 0, 4);
    ng_put(body, swapped, 0, 8);
    ng_block(b, swapped, 5, body->data, body->len);
    g_byte_array_set_size(body, 0);
    ng_put(body, swapped, (guint64)linktype, 2);
    ng_put(body, swapped, 0, 2);
    ng_put(body, swapped, 100, 4);
    ng_put(body, swapped, 9, 2); /* if_tsresol: 10^-9 */
    ng_put(body, swapped, 1, 2);
    ng_put(body, FALSE, 9, 4); /* one byte, padded */
    ng_put(body, swapped, 14, 2); /* if_tsoffset: 5 s */
    ng_put(body, swapped, 8, 2);
    ng_put(body, swapped, 5, 8);
    ng_put(body, swapped, 0, 4); /* opt_endofopt */
    ng_block(b, swapped, 1, body->data, body->len);
    g_byte_array_set_size(body, 0);
    ng_put(body, swapped, 0, 4);
    ng_put(body, swapped, G_GUINT64_CONSTANT(2000000123) >> 32, 4);
    ng_put(body, swapped, G_GUINT64_CONSTANT(2000000123) & 0xffffffffu, 4);
    ng_put(body, swapped, 8, 4);
    ng_put(body, swapped, 60, 4);
    ng_put(body, swapped, G_GUINT64_CONSTANT(0x0807060504030201), 8);
    ng_block(b, swapped, 6, body->data, body->len);
    g_byte_array_set_size(body, 0);
    ng_put(body, swapped, 300, 4);
    g_byte_array_set_size(body, 4 + 100);
    ng_block(b, swapped, 3, body->data, body->len);
}

static void
ng_section(GByteArray *b, gboolean swapped)
{
    ng_section_of(b, swapped, DLT_EN10MB);
}

static void
test_pcapng(gconstpointer swapped_p)
{
    gboolean swapped = GPOINTER_TO_INT(swapped_p);
    g_autoptr(GByteArray) b = g_byte_array_new();
    FsPcapng *ng = fs_pcapng_new(swapped, DLT_EN10MB, 100);
    struct pcap_pkthdr hdr;
    const guint8 *data = NULL;
    gsize pos = 0, end;
    int lt = 0;

    ng_section(b, swapped);
    ng_section(b, swapped); /* a second section: its own interfaces */
    for (guint i = 0; i < 2; i++) {
        g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr,
                                        &data, &lt), ==, FS_PCAPNG_PACKET);
        g_assert_cmpint(hdr.ts.tv_sec, ==, 7);
        g_assert_cmpint(hdr.ts.tv_usec, ==, 123); /* ns */
        g_assert_cmpuint(hdr.caplen, ==, 8);
        g_assert_cmpuint(hdr.len, ==, 60);
        g_assert_cmpuint(data[0], ==, swapped ? 8 : 1);
        g_assert_true(data > b->data && data + 8 <= b->data + pos);
        g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr,
                                        &data, &lt), ==, FS_PCAPNG_PACKET);
        g_assert_cmpint(hdr.ts.tv_sec, ==, 5); /* no time stamp: offset */
        g_assert_cmpint(hdr.ts.tv_usec, ==, 0);
        g_assert_cmpuint(hdr.caplen, ==, 100);
        g_assert_cmpuint(hdr.len, ==, 300);
    }
    g_assert_cmpuint(pos, ==, b->len);
    g_assert_cmpuint(fs_pcapng_delivered(ng), ==, 4);
    g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr, &data,
                                    &lt),
                    ==, FS_PCAPNG_FROM);
    g_assert_cmpuint(pos, ==, b->len);
    fs_pcapng_free(ng);

    /* cut anywhere in the last block: libpcap reads from that block */
    end = b->len;
    for (gsize cut = end - 1; cut > end - 12 - 4 - 100; cut--) {
        ng = fs_pcapng_new(swapped, DLT_EN10MB, 100);
        pos = 0;
        for (guint i = 0; i < 3; i++)
            g_assert_cmpint(fs_pcapng_parse(ng, b->data, cut, &pos, &hdr,
                                            &data, &lt), ==, FS_PCAPNG_PACKET);
        g_assert_cmpint(fs_pcapng_parse(ng, b->data, cut, &pos, &hdr,
                                        &data, &lt), ==, FS_PCAPNG_FROM);
        g_assert_cmpuint(pos, ==, end - 12 - 4 - 100);
        fs_pcapng_free(ng);
    }
}

/* Interfaces of other link types (libpcap 1.10 refuses the file): read
 * on, each packet with its interface's type, decoded by finscope or
 * not (LINKTYPE_RAW as DLT_RAW); but one whose pseudo-header libpcap
 * rewrites, in a file of the other byte order, stops the parser there,
 * for libpcap to refuse. */
static void
test_pcapng_other_linktype(gconstpointer swapped_p)
{
    gboolean swapped = GPOINTER_TO_INT(swapped_p);
    static const int types[] = { DLT_EN10MB, DLT_LINUX_SLL, 147, 101,
                                 DLT_EN10MB };
    static const int want[] = { DLT_EN10MB, DLT_LINUX_SLL, 147, DLT_RAW,
                                DLT_EN10MB };
    g_autoptr(GByteArray) b = g_byte_array_new();
    FsPcapng *ng = fs_pcapng_new(swapped, DLT_EN10MB, 100);
    struct pcap_pkthdr hdr;
    const guint8 *data = NULL;
    gsize pos = 0;
    int lt = 0;

    for (guint i = 0; i < G_N_ELEMENTS(types); i++)
        ng_section_of(b, swapped, types[i]);
    for (guint i = 0; i < G_N_ELEMENTS(types); i++) {
        if (swapped && types[i] == DLT_LINUX_SLL) {
            g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr,
                                            &data, &lt), ==, FS_PCAPNG_FROM);
            fs_pcapng_free(ng);
            return;
        }
        for (guint j = 0; j < 2; j++) {
            lt = -1;
            g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr,
                                            &data, &lt), ==,
                            FS_PCAPNG_PACKET);
            g_assert_cmpint(lt, ==, want[i]);
        }
    }
    g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr, &data,
                                    &lt), ==, FS_PCAPNG_FROM);
    g_assert_cmpuint(pos, ==, b->len);
    fs_pcapng_free(ng);
}

/* Appends an EPB (or an obsolete PB) on interface id, caplen bytes of
 * data in a block that holds them all. */
static void
ng_packet(GByteArray *b, guint32 type, guint32 id, guint32 caplen)
{
    g_autoptr(GByteArray) body = g_byte_array_new();

    ng_put(body, FALSE, id, type == 2 ? 2 : 4);
    if (type == 2)
        ng_put(body, FALSE, 0, 2); /* drops */
    ng_put(body, FALSE, 0, 4);
    ng_put(body, FALSE, 1000, 4);
    ng_put(body, FALSE, caplen, 4);
    ng_put(body, FALSE, caplen, 4);
    g_byte_array_set_size(body, body->len + caplen);
    ng_block(b, FALSE, type, body->data, body->len);
}

/* Appends an IDB of link type linktype, snaplen 100, no options. */
static void
ng_idb(GByteArray *b, int linktype)
{
    g_autoptr(GByteArray) body = g_byte_array_new();

    ng_put(body, FALSE, (guint64)linktype, 2);
    ng_put(body, FALSE, 0, 2);
    ng_put(body, FALSE, 100, 4);
    ng_block(b, FALSE, 1, body->data, body->len);
}

/* After interfaces libpcap refuses, libpcap reads on from where the
 * parser stops, knowing only the interface it opened the file with: at
 * a packet on that one it does what it does; at one of a later section
 * (whose interface 0 is another) or on another interface it knows of,
 * the parser stops itself, in libpcap's words where it has some. */
static void
test_pcapng_diverged_stop(void)
{
    static const struct {
        gboolean later;   /* in a second section, raw IP */
        guint32 type, id, caplen;
        FsPcapngStep want;
        const char *why;
    } cases[] = {
        { FALSE, 6, 0, 200, FS_PCAPNG_FROM, NULL },
        { FALSE, 2, 0, 8, FS_PCAPNG_FROM, NULL },
        { FALSE, 6, 9, 8, FS_PCAPNG_FROM, NULL },
        { FALSE, 6, 1, 200, FS_PCAPNG_STOP,
          "invalid packet capture length 200, bigger than snaplen of 100" },
        { TRUE, 6, 0, 200, FS_PCAPNG_STOP,
          "invalid packet capture length 200, bigger than snaplen of 100" },
        { TRUE, 2, 0, 8, FS_PCAPNG_STOP, "an obsolete Packet Block" },
        { TRUE, 6, 3, 8, FS_PCAPNG_STOP,
          "a packet arrived on interface 3, but there's no Interface "
          "Description Block for that interface" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GByteArray) b = g_byte_array_new();
        FsPcapng *ng = fs_pcapng_new(FALSE, DLT_EN10MB, 100);
        struct pcap_pkthdr hdr;
        const guint8 *data = NULL;
        gsize pos = 0, at;
        int lt = 0;
        guint packets = 2;

        ng_section_of(b, FALSE, DLT_EN10MB);
        ng_idb(b, 101); /* interface 1: libpcap refuses it */
        if (cases[i].later) {
            ng_section_of(b, FALSE, 101);
            packets += 2;
        }
        at = b->len;
        ng_packet(b, cases[i].type, cases[i].id, cases[i].caplen);
        for (guint j = 0; j < packets; j++)
            g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr,
                                            &data, &lt), ==,
                            FS_PCAPNG_PACKET);
        g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr,
                                        &data, &lt), ==, cases[i].want);
        g_assert_cmpuint(pos, ==, at);
        if (cases[i].why != NULL)
            g_assert_nonnull(strstr(fs_pcapng_stop_reason(ng),
                                    cases[i].why));
        fs_pcapng_free(ng);
    }
}

/* Two LINKTYPE_RAW interfaces: libpcap refuses the second (it compares
 * 101 with its DLT_RAW), so a packet on an interface never described
 * is left to libpcap from that block (its words), not by a replay that
 * fails at the second interface. */
static void
test_pcapng_two_raw(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    FsPcapng *ng = fs_pcapng_new(FALSE, DLT_RAW, 100);
    struct pcap_pkthdr hdr;
    const guint8 *data = NULL;
    gsize pos = 0, at;
    int lt = 0;

    ng_section_of(b, FALSE, 101);
    ng_idb(b, 101);
    ng_packet(b, 6, 1, 8);
    at = b->len;
    ng_packet(b, 6, 9, 8);
    for (guint j = 0; j < 3; j++) {
        g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr,
                                        &data, &lt), ==, FS_PCAPNG_PACKET);
        g_assert_cmpint(lt, ==, DLT_RAW);
    }
    g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr, &data,
                                    &lt), ==, FS_PCAPNG_FROM);
    g_assert_cmpuint(pos, ==, at);
    fs_pcapng_free(ng);
}

/* What libpcap fails on by itself, at that block; what it does not read
 * as is, or fails on after what it read before: replayed from the
 * start. */
static void
test_pcapng_replay(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    FsPcapng *ng = fs_pcapng_new(FALSE, DLT_EN10MB, 64);
    struct pcap_pkthdr hdr;
    const guint8 *data = NULL;
    gsize pos = 0, half;
    int lt = 0;

    /* snapshot 64 against the IDBs' 100: the first IDB is the one
     * libpcap opened with (its snapshot is libpcap's); the second
     * section's, which libpcap 1.10 refuses, is read on with its own */
    ng_section(b, FALSE);
    half = b->len;
    ng_section(b, FALSE);
    g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr, &data,
                                    &lt),
                    ==, FS_PCAPNG_PACKET);
    g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr, &data,
                                    &lt),
                    ==, FS_PCAPNG_PACKET);
    g_assert_cmpuint(hdr.caplen, ==, 64); /* the SPB, cut */
    g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr, &data,
                                    &lt),
                    ==, FS_PCAPNG_PACKET);
    g_assert_cmpuint(hdr.caplen, ==, 8);
    g_assert_cmpuint(pos, >, half);
    g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr, &data,
                                    &lt),
                    ==, FS_PCAPNG_PACKET);
    g_assert_cmpuint(hdr.caplen, ==, 100); /* the SPB, cut to its IDB's */
    g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr, &data,
                                    &lt),
                    ==, FS_PCAPNG_FROM);
    g_assert_cmpuint(pos, ==, b->len); /* the end */
    fs_pcapng_free(ng);
    /* an EPB beyond the snapshot */
    ng = fs_pcapng_new(FALSE, DLT_EN10MB, 4);
    pos = 0;
    g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr, &data,
                                    &lt),
                    ==, FS_PCAPNG_REPLAY);
    fs_pcapng_free(ng);
    /* an obsolete Packet Block */
    ng = fs_pcapng_new(FALSE, DLT_EN10MB, 100);
    pos = 0;
    g_byte_array_set_size(b, half);
    b->data[half - 116 - 40] = 2; /* EPB -> PB */
    g_assert_cmpint(fs_pcapng_parse(ng, b->data, b->len, &pos, &hdr, &data,
                                    &lt),
                    ==, FS_PCAPNG_REPLAY);
    g_assert_cmpuint(fs_pcapng_delivered(ng), ==, 0);
    fs_pcapng_free(ng);
}

/* The file in b written to a temporary file, read through the fast path
 * and through libpcap: the same records, field by field and byte by
 * byte, and the fast path read them all (records straddle its window,
 * some are longer than it reads at a time, some and a block longer than
 * the window itself). */
static void
expect_read_as_libpcap(const GByteArray *b, gsize window)
{
    g_autofree char *path = NULL;
    char errbuf[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr hdr;
    struct pcap_pkthdr *want = NULL;
    const guint8 *data = NULL;
    const u_char *want_data = NULL;
    guint n = 0;
    pcap_t *pcap;
    FsMapped *m = open_written(b, window, &path, &pcap);
    pcap_t *plain = pcap_open_offline_with_tstamp_precision(
        path, PCAP_TSTAMP_PRECISION_NANO, errbuf);

    g_assert_nonnull(plain);
    while (fs_mapped_next(m, &hdr, &data)) {
        g_assert_cmpint(pcap_next_ex(plain, &want, &want_data), ==, 1);
        g_assert_cmpint(hdr.ts.tv_sec, ==, want->ts.tv_sec);
        g_assert_cmpint(hdr.ts.tv_usec, ==, want->ts.tv_usec);
        g_assert_cmpuint(hdr.caplen, ==, want->caplen);
        g_assert_cmpuint(hdr.len, ==, want->len);
        g_assert_cmpmem(data, hdr.caplen, want_data, want->caplen);
        n++;
    }
    g_assert_cmpint(pcap_next_ex(plain, &want, &want_data), ==,
                    PCAP_ERROR_BREAK);
    g_assert_cmpuint(fs_mapped_offset(m), ==, b->len);
    g_assert_cmpuint(n, >, 50);
    fs_mapped_free(m);
    pcap_close(pcap);
    pcap_close(plain);
    g_unlink(path);
}

/* A frame of caplen bytes, each from seed. */
static void
put_frame(GByteArray *b, guint32 caplen, guint32 seed)
{
    for (guint32 i = 0; i < caplen; i++) {
        guint8 c = (guint8)(seed * 31 + i * 7);

        g_byte_array_append(b, &c, 1);
    }
}

/* Caplens from 0 to libpcap's maximum, a few near it: ~6 MiB. */
static guint32
frame_len(GRand *r, guint i)
{
    return i % 17 == 3 ? 262144 - (guint32)g_rand_int_range(r, 0, 64)
                       : (guint32)g_rand_int_range(r, 0, 9000);
}

/* A classic pcap file (snapshot libpcap's maximum) of frame_len()
 * frames from seed, to size bytes or a little more. */
static void
put_frames_file(GByteArray *b, guint32 seed, guint size)
{
    static const guint32 file_header[6] = { 0xa1b2c3d4u, 0x00040002u, 0, 0,
                                            262144, 1 };
    g_autoptr(GRand) r = g_rand_new_with_seed(seed);

    g_byte_array_append(b, (const guint8 *)file_header, sizeof file_header);
    for (guint i = 0; b->len < size; i++) {
        guint32 caplen = frame_len(r, i);
        guint32 v[4] = { 1000 + i, i % 1000000, caplen, caplen + i % 3 };

        g_byte_array_append(b, (const guint8 *)v, sizeof v);
        put_frame(b, caplen, i);
    }
}

static void
test_window_classic(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    put_frames_file(b, 14, 6 * 1024 * 1024);
    expect_read_as_libpcap(b, 256 * 1024);
    expect_read_as_libpcap(b, 4096); /* the least (mapped.c) */
}

static void
test_window_pcapng(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(GByteArray) body = g_byte_array_new();
    g_autoptr(GRand) r = g_rand_new_with_seed(14);

    ng_shb(b, FALSE);
    ng_put(body, FALSE, DLT_EN10MB, 2);
    ng_put(body, FALSE, 0, 2);
    ng_put(body, FALSE, 262144, 4);
    ng_block(b, FALSE, 1, body->data, body->len);
    for (guint i = 0; b->len < 6 * 1024 * 1024; i++) {
        guint32 caplen = frame_len(r, i);
        guint64 t = G_GUINT64_CONSTANT(1700000000000000) + i * 1000u;

        if (i == 40) {
            /* a block of a type libpcap skips, longer than the window */
            g_byte_array_set_size(body, 1024 * 1024 + 4);
            memset(body->data, 0x5a, body->len);
            ng_block(b, FALSE, 0x00000BADu, body->data, body->len);
        }
        g_byte_array_set_size(body, 0);
        ng_put(body, FALSE, 0, 4);
        ng_put(body, FALSE, t >> 32, 4);
        ng_put(body, FALSE, t & 0xffffffffu, 4);
        ng_put(body, FALSE, caplen, 4);
        ng_put(body, FALSE, caplen + i % 3, 4);
        put_frame(body, caplen, i);
        ng_block(b, FALSE, 6, body->data, body->len);
    }
    expect_read_as_libpcap(b, 256 * 1024);
    expect_read_as_libpcap(b, 4096); /* the least (mapped.c) */
}

/* b through fs_mapped_decode() in batches of 512, mapped (fs_mapped_map())
 * or read into the window: each record's status and time, in order, and
 * where the reader stopped. */
static GArray *
decode_all(const GByteArray *b, gboolean map, goffset *end)
{
    g_autofree char *path = NULL;
    g_autofree guint8 *status = g_new(guint8, 512);
    g_autofree FsSegment *seg = g_new0(FsSegment, 512);
    GArray *got = g_array_new(FALSE, FALSE, sizeof(gint64));
    guint32 frames = 0;
    guint n;
    pcap_t *pcap;
    FsMapped *m = open_written(b, 256 * 1024, &path, &pcap);

    if (map)
        g_assert_true(fs_mapped_map(m));
    do {
        n = fs_mapped_decode(m, DLT_EN10MB, 0, &frames, status, seg, 512);
        for (guint i = 0; i < n; i++) {
            gint64 v = seg[i].ts * 8 + status[i];

            g_array_append_val(got, v);
        }
    } while (n == 512);
    g_assert_cmpuint(frames, ==, got->len);
    *end = fs_mapped_offset(m);
    fs_mapped_free(m);
    pcap_close(pcap);
    g_unlink(path);
    return got;
}

/* Mapped in chunks (records straddle them, some longer than the window):
 * the same records decoded as through the window, to the file's end. */
static void
test_mapped_classic(void)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(GArray) mapped = NULL;
    g_autoptr(GArray) read = NULL;
    goffset mapped_end = 0, read_end = 0;

    put_frames_file(b, 27, 10 * 1024 * 1024);
    mapped = decode_all(b, TRUE, &mapped_end);
    read = decode_all(b, FALSE, &read_end);
    g_assert_cmpuint(mapped->len, >, 500);
    g_assert_cmpmem(mapped->data, mapped->len * sizeof(gint64), read->data,
                    read->len * sizeof(gint64));
    g_assert_cmpint(mapped_end, ==, (goffset)b->len);
    g_assert_cmpint(read_end, ==, (goffset)b->len);
}

/* A mapped file cut short while it is read, at a page's edge (the next
 * page's SIGBUS) or inside a page (whose rest reads as zeros): the
 * records whole before the cut, every one, and not the one across it,
 * which libpcap is left to find cut. */
static void
test_file_cut_while_mapped(gconstpointer cut_p)
{
    gsize cut = GPOINTER_TO_SIZE(cut_p);
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autofree char *path = NULL;
    g_autofree guint8 *status = g_new(guint8, 512);
    g_autofree FsSegment *seg = g_new0(FsSegment, 512);
    guint32 frames = 0;
    guint n;
    FsMapped *m;
    pcap_t *pcap;

    put_even_file(b);
    m = open_written(b, 256 * 1024, &path, &pcap);
    g_assert_true(fs_mapped_map(m));
    g_assert_cmpuint(fs_mapped_decode(m, DLT_EN10MB, 0, &frames, status, seg,
                                      100), ==, 100);
    g_assert_cmpint(truncate(path, (off_t)cut), ==, 0);
    do
        n = fs_mapped_decode(m, DLT_EN10MB, 0, &frames, status, seg, 512);
    while (n == 512);
    g_assert_cmpuint(frames, ==, (cut - 24) / 1016);
    g_assert_cmpint(fs_mapped_offset(m), ==, 24 + (goffset)frames * 1016);
    fs_mapped_free(m);
    pcap_close(pcap);
    g_unlink(path);
}

/* A SIGBUS not in a chunk being decoded (another file's map, cut) is
 * not taken for one: the process dies of it as without the handler. */
static void
test_other_sigbus(void)
{
    static const guint32 file_header[6] = { 0xa1b2c3d4u, 0x00040002u, 0, 0,
                                            65535, 1 };

    if (g_test_subprocess()) {
        g_autoptr(GByteArray) b = g_byte_array_new();
        g_autofree char *path = NULL;
        g_autofree char *other = NULL;
        volatile const guint8 *p;
        pcap_t *pcap;
        FsMapped *m;
        int fd;

        g_byte_array_append(b, (const guint8 *)file_header,
                            sizeof file_header);
        put_record(b, FALSE, 1, 2, 1000, 1000);
        m = open_written(b, 4096, &path, &pcap);
        g_assert_true(fs_mapped_map(m));
        fd = g_file_open_tmp("test-mapped-XXXXXX", &other, NULL);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(ftruncate(fd, 8192), ==, 0);
        p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
        g_assert_true(p != MAP_FAILED);
        g_assert_cmpint(ftruncate(fd, 0), ==, 0);
        g_unlink(other);
        g_unlink(path);
        (void)p[4096]; /* SIGBUS */
        exit(0);
    }
    /* a handler that took the fault as its own and returned would fault
     * again for ever: the time limit makes that a failure */
    g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC,
                           G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_assert_false(g_test_trap_reached_timeout());
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* the switch that keeps a file from being read in place (mapped.h)
     * would fail these tests, or pass one unchecked */
    g_unsetenv("FINSCOPE_NO_MMAP");
    g_test_add_func("/mapped/two-records", test_two_records);
    g_test_add_func("/mapped/cut-everywhere", test_cut_everywhere);
    g_test_add_func("/mapped/limit", test_limit);
    g_test_add_func("/mapped/swapped-signed-ns", test_swapped_signed_ns);
    g_test_add_func("/mapped/file-cut-while-read", test_file_cut_while_read);
    g_test_add_func("/mapped/window-classic", test_window_classic);
    g_test_add_func("/mapped/window-pcapng", test_window_pcapng);
    g_test_add_func("/mapped/mapped-classic", test_mapped_classic);
    g_test_add_data_func("/mapped/file-cut-while-mapped/page",
                         GSIZE_TO_POINTER(1536 * 1024),
                         test_file_cut_while_mapped);
    g_test_add_data_func("/mapped/file-cut-while-mapped/in-page",
                         GSIZE_TO_POINTER(1536 * 1024 + 1000),
                         test_file_cut_while_mapped);
    g_test_add_data_func("/mapped/file-cut-while-mapped/last-page",
                         GSIZE_TO_POINTER(3 * 1024 * 1024 - 3000),
                         test_file_cut_while_mapped);
    g_test_add_func("/mapped/other-sigbus", test_other_sigbus);
    g_test_add_data_func("/mapped/pcapng-le", GINT_TO_POINTER(FALSE),
                         test_pcapng);
    g_test_add_data_func("/mapped/pcapng-be", GINT_TO_POINTER(TRUE),
                         test_pcapng);
    g_test_add_func("/mapped/pcapng-replay", test_pcapng_replay);
    g_test_add_func("/mapped/pcapng-diverged-stop",
                    test_pcapng_diverged_stop);
    g_test_add_func("/mapped/pcapng-two-raw", test_pcapng_two_raw);
    g_test_add_data_func("/mapped/pcapng-other-linktype-le",
                         GINT_TO_POINTER(FALSE), test_pcapng_other_linktype);
    g_test_add_data_func("/mapped/pcapng-other-linktype-be",
                         GINT_TO_POINTER(TRUE), test_pcapng_other_linktype);
    return g_test_run();
}
