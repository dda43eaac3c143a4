/* finscope: pcapng blocks parsed in place (see mapped-pcapng.h).
 *
 * The checks and the time stamp arithmetic are libpcap's (sf-pcapng.c,
 * pcap_ng_next_packet with nanosecond precision), so that a packet read
 * here is the one libpcap would give. Where libpcap would fail or do
 * something special, the parser stops and says from where libpcap has to
 * read: a block that libpcap fails on by itself (a cut or inconsistent
 * block length, a bad section header, an interface of another link type,
 * bad interface options) from that block; anything else
 * (an unknown interface, a packet beyond the snapshot or its block, an
 * obsolete Packet Block) by a replay from the start. */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <pcap/pcap.h>

#include "finscope/decode.h"
#include "mapped.h"
#include "mapped-pcapng.h"

#define BT_IDB 0x00000001u
#define BT_PB 0x00000002u  /* obsolete Packet Block: left to libpcap */
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define MAX_SNAPLEN 262144u /* libpcap's MAXIMUM_SNAPLEN */
#define USER_TSRESOL G_GUINT64_CONSTANT(1000000000) /* ns, as opened */
#define EPB_FIXED 20u      /* interface, ts high, ts low, caplen, len */
#define SPB_FIXED 4u       /* len */
#define IDB_FIXED 8u       /* linktype, reserved, snaplen */
#define SHB_FIXED 16u      /* magic, major, minor, section length */
#define OPT_ENDOFOPT 0
#define IF_TSRESOL 9
#define IF_TSOFFSET 14

typedef enum {
    SCALE_PASS,     /* the resolution is ns */
    SCALE_UP_DEC,   /* frac * factor */
    SCALE_DOWN_DEC, /* frac / factor */
    SCALE_BIN,      /* frac * 10^9 / tsresol (both ways, as libpcap) */
} Scale;

typedef struct {
    int linktype;     /* its link type, as a DLT_ */
    guint32 snapshot; /* its snaplen, adjusted: the longest caplen read */
    guint64 tsresol; /* time stamp units per second */
    gint64 tsoffset; /* seconds added to every time stamp */
    Scale scale;     /* how fractions become ns */
    guint64 factor;  /* for SCALE_UP_DEC / SCALE_DOWN_DEC */
} Iface;

struct FsPcapng {
    gboolean swapped;    /* the file's byte order is not ours */
    guint32 linktype;    /* pcap_datalink(): later IDBs must match */
    guint32 snapshot;    /* pcap_snapshot(): the first IDB's */
    gboolean opened;     /* the first IDB (read by libpcap at open) seen */
    gboolean diverged;   /* an IDB of another snapshot or link type
                            read (libpcap refuses it): no replay from
                            the start */
    gboolean later;      /* a section after the one libpcap opened */
    char stop[160];      /* FS_PCAPNG_STOP: why */
    GArray *ifaces;      /* Iface of the current section, by id */
    guint64 delivered;   /* packets handed out */
};

static guint16
u16_at(const FsPcapng *ng, const guint8 *p)
{
    guint16 v;

    memcpy(&v, p, sizeof v);
    return ng->swapped ? GUINT16_SWAP_LE_BE(v) : v;
}

static guint32
u32_at(const FsPcapng *ng, const guint8 *p)
{
    guint32 v;

    memcpy(&v, p, sizeof v);
    return ng->swapped ? GUINT32_SWAP_LE_BE(v) : v;
}

FsPcapng *
fs_pcapng_new(gboolean swapped, int linktype, int snapshot)
{
    FsPcapng *ng = g_new0(FsPcapng, 1);

    ng->swapped = swapped;
    ng->linktype = (guint32)linktype;
    ng->snapshot = (guint32)snapshot;
    ng->ifaces = g_array_new(FALSE, TRUE, sizeof(Iface));
    return ng;
}

void
fs_pcapng_free(FsPcapng *ng)
{
    if (ng == NULL)
        return;
    g_array_free(ng->ifaces, TRUE);
    g_free(ng);
}

guint64
fs_pcapng_delivered(const FsPcapng *ng)
{
    return ng->delivered;
}

/* libpcap's pcap_adjust_snapshot() (1.10) for the link types decoded
 * here: only 0 and lengths above INT_MAX become the maximum. */
static guint32
adjust_snapshot(guint32 snaplen)
{
    return snaplen == 0 || snaplen > G_MAXINT ? MAX_SNAPLEN : snaplen;
}

/* The options of an IDB (len bytes at p) into iface, as libpcap's
 * process_idb_options(); FALSE where libpcap fails. */
static gboolean
idb_options(const FsPcapng *ng, const guint8 *p, gsize len, Iface *iface)
{
    gboolean saw_tsresol = FALSE, saw_tsoffset = FALSE, binary = FALSE;

    iface->tsresol = 1000000;
    iface->tsoffset = 0;
    while (len != 0) {
        guint16 code, olen;
        gsize padded;

        if (len < 4)
            return FALSE;
        code = u16_at(ng, p);
        olen = u16_at(ng, p + 2);
        padded = ((gsize)olen + 3) / 4 * 4;
        if (len - 4 < padded)
            return FALSE;
        p += 4;
        len -= 4;
        if (code == OPT_ENDOFOPT) {
            if (olen != 0)
                return FALSE;
            break;
        }
        if (code == IF_TSRESOL) {
            guint8 v = p[0];

            if (olen != 1 || saw_tsresol)
                return FALSE;
            saw_tsresol = TRUE;
            if (v & 0x80) {
                if ((v & 0x7f) > 63)
                    return FALSE;
                binary = TRUE;
                iface->tsresol = G_GUINT64_CONSTANT(1) << (v & 0x7f);
            } else {
                if (v > 19)
                    return FALSE;
                binary = FALSE;
                iface->tsresol = 1;
                for (guint i = 0; i < v; i++)
                    iface->tsresol *= 10;
            }
        } else if (code == IF_TSOFFSET) {
            guint64 off;

            if (olen != 8 || saw_tsoffset)
                return FALSE;
            saw_tsoffset = TRUE;
            memcpy(&off, p, sizeof off);
            if (ng->swapped)
                off = GUINT64_SWAP_LE_BE(off);
            iface->tsoffset = (gint64)off;
        }
        p += padded;
        len -= padded;
    }
    if (iface->tsresol == USER_TSRESOL) {
        iface->scale = SCALE_PASS;
    } else if (binary) {
        iface->scale = SCALE_BIN;
    } else if (iface->tsresol > USER_TSRESOL) {
        iface->scale = SCALE_DOWN_DEC;
        iface->factor = iface->tsresol / USER_TSRESOL;
    } else {
        iface->scale = SCALE_UP_DEC;
        iface->factor = USER_TSRESOL / iface->tsresol;
    }
    return TRUE;
}

/* A fraction of a second in iface's units, in ns, as libpcap. */
static guint64
scaled(const Iface *iface, guint64 frac)
{
    switch (iface->scale) {
    case SCALE_PASS:
        return frac;
    case SCALE_UP_DEC:
        return frac * iface->factor;
    case SCALE_DOWN_DEC:
        return frac / iface->factor;
    case SCALE_BIN:
        return frac * USER_TSRESOL / iface->tsresol;
    }
    g_assert_not_reached();
}

/* The time stamp t of a packet on iface into hdr, as libpcap. The usual
 * resolutions divide by a constant (a multiplication, not a division). */
static void
set_time(const Iface *iface, guint64 t, struct pcap_pkthdr *hdr)
{
    guint64 sec, frac;

    if (iface->tsresol == 1000000) {
        sec = t / 1000000;
        frac = t % 1000000 * 1000;
    } else if (iface->tsresol == USER_TSRESOL) {
        sec = t / USER_TSRESOL;
        frac = t % USER_TSRESOL;
    } else {
        sec = t / iface->tsresol;
        frac = scaled(iface, t % iface->tsresol);
    }
    hdr->ts.tv_sec = (time_t)(sec + (guint64)iface->tsoffset);
    hdr->ts.tv_usec = (int)frac;
}

/* An IDB's LINKTYPE_ as libpcap's DLT_: the same number for every link
 * type decoded here but raw IP (LINKTYPE_RAW 101 is DLT_RAW). */
static int
idb_dlt(guint16 linktype)
{
    return linktype == 101 ? FS_DLT_RAW : (int)linktype;
}

/* An interface of a link type other than the first one's (which libpcap
 * 1.10 refuses) is read here, each packet handed out with its own
 * interface's type: decoded when finscope decodes it, else counted as
 * not IP (fs_decode()); not one whose pseudo-header libpcap rewrites
 * in a file of the other byte order. */
static gboolean
other_linktype_read(const FsPcapng *ng, int dlt)
{
    return !(ng->swapped && fs_mapped_swaps_pseudo_header(dlt));
}

/* A block (body of len bytes at p) that is not a packet: FALSE when
 * libpcap fails on it by itself. */
static gboolean
other_block(FsPcapng *ng, guint32 type, const guint8 *p, gsize len)
{
    Iface iface;

    if (type == FS_PCAPNG_SHB) {
        /* the byte order magic read in the file's order: libpcap fails
         * on a section in the other order */
        if (len < SHB_FIXED || u32_at(ng, p) != BYTE_ORDER_MAGIC ||
            u16_at(ng, p + 4) != 1)
            return FALSE;
        g_array_set_size(ng->ifaces, 0);
        ng->later = ng->later || ng->opened;
        return TRUE;
    }
    if (type != BT_IDB)
        return TRUE; /* NRB, ISB, DSB, custom, ...: skipped */
    if (len < IDB_FIXED)
        return FALSE;
    /* libpcap compares the raw link type with its DLT_ (so it fails on
     * a second LINKTYPE_RAW interface too), and fails on another one,
     * as on an interface whose snapshot differs from the first one's
     * (dumpcap writes such files capturing on several interfaces):
     * read on, each packet checked against its own interface's
     * snapshot and decoded by its own link type. */
    iface.linktype = ng->opened ? idb_dlt(u16_at(ng, p)) : (int)ng->linktype;
    if (ng->opened && u16_at(ng, p) != ng->linktype) {
        if (iface.linktype != (int)ng->linktype &&
            !other_linktype_read(ng, iface.linktype))
            return FALSE;
        ng->diverged = TRUE;
    }
    /* the first is the one libpcap opened the file with */
    iface.snapshot = ng->opened ? adjust_snapshot(u32_at(ng, p + 4))
                                : ng->snapshot;
    if (iface.snapshot != ng->snapshot)
        ng->diverged = TRUE;
    if (!idb_options(ng, p + IDB_FIXED, len - IDB_FIXED, &iface))
        return FALSE;
    g_array_append_val(ng->ifaces, iface);
    ng->opened = TRUE;
    return TRUE;
}

/* The packet of an EPB or SPB (body of len bytes at p): FALSE when
 * libpcap would not give it as read here. */
static gboolean
packet_block(FsPcapng *ng, guint32 type, const guint8 *p, gsize len,
             struct pcap_pkthdr *hdr, const guint8 **data, int *linktype)
{
    guint32 id = 0;
    guint64 t = 0;
    gsize fixed;

    if (type == BT_EPB) {
        if (len < EPB_FIXED)
            return FALSE;
        id = u32_at(ng, p);
        t = (guint64)u32_at(ng, p + 4) << 32 | u32_at(ng, p + 8);
        hdr->caplen = u32_at(ng, p + 12);
        hdr->len = u32_at(ng, p + 16);
        fixed = EPB_FIXED;
    } else {
        if (len < SPB_FIXED)
            return FALSE;
        /* on the section's first interface, cut to its snapshot (the
         * file's, as libpcap, but where another section's differs), no
         * time stamp */
        hdr->len = u32_at(ng, p);
        hdr->caplen = MIN(hdr->len,
                          ng->ifaces->len > 0
                              ? g_array_index(ng->ifaces, Iface, 0).snapshot
                              : ng->snapshot);
        fixed = SPB_FIXED;
    }
    if (id >= ng->ifaces->len ||
        hdr->caplen > g_array_index(ng->ifaces, Iface, id).snapshot ||
        hdr->caplen > len - fixed)
        return FALSE;
    set_time(&g_array_index(ng->ifaces, Iface, id), t, hdr);
    *data = p + fixed;
    *linktype = g_array_index(ng->ifaces, Iface, id).linktype;
    return TRUE;
}

/* After interfaces libpcap refuses (diverged), libpcap reads on from
 * the block where the parser stopped knowing only the interface it
 * opened the file with, the first section's first: at a packet on it
 * (or on one neither knows) it does what it would do there reading the
 * file itself; at a packet on another interface of the first section, or
 * anywhere in a later section, it would take the packet for one of that
 * first interface (its link type, its time stamps), or fail with words
 * that do not fit. The parser stops there instead (FS_PCAPNG_STOP),
 * saying why, as libpcap would where it has words for it. A packet block
 * of type type, body of len bytes at p, that packet_block() refused. */
static FsPcapngStep
diverged_stop(FsPcapng *ng, guint32 type, const guint8 *p, gsize len)
{
    guint32 id = 0, caplen = 0;
    const Iface *iface = NULL;

    if (type == BT_SPB && len >= SPB_FIXED) {
        caplen = u32_at(ng, p);
    } else if (len >= EPB_FIXED) { /* EPB, PB: the same fixed part */
        id = type == BT_PB ? u16_at(ng, p) : u32_at(ng, p);
        caplen = u32_at(ng, p + 12);
    } else {
        return FS_PCAPNG_FROM; /* too short: libpcap fails on it alone */
    }
    if (!ng->later && (id == 0 || id >= ng->ifaces->len))
        return FS_PCAPNG_FROM;
    if (id >= ng->ifaces->len)
        g_snprintf(ng->stop, sizeof ng->stop, "a packet arrived on "
                   "interface %u, but there's no Interface Description "
                   "Block for that interface", id);
    else if (type == BT_PB)
        g_snprintf(ng->stop, sizeof ng->stop, "an obsolete Packet Block "
                   "after interfaces of other link types or snapshots: "
                   "not read there");
    else if (iface = &g_array_index(ng->ifaces, Iface, id),
             type == BT_EPB && caplen > iface->snapshot)
        g_snprintf(ng->stop, sizeof ng->stop, "invalid packet capture "
                   "length %u, bigger than snaplen of %u", caplen,
                   iface->snapshot);
    else
        g_snprintf(ng->stop, sizeof ng->stop, "a packet block shorter "
                   "than its capture length %u", caplen);
    return FS_PCAPNG_STOP;
}

const char *
fs_pcapng_stop_reason(const FsPcapng *ng)
{
    return ng->stop;
}

static FsPcapngStep parse_step(FsPcapng *ng, const guint8 *base,
                               gsize size, gsize *pos,
                               struct pcap_pkthdr *hdr,
                               const guint8 **data, int *linktype);

/* After an interface of another snapshot or link type, which libpcap
 * refuses, it cannot replay from the start: it reads from the block
 * where the parser stopped instead (its own error, as a block it does
 * not know the interface of), or not at all (diverged_stop()). */
FsPcapngStep
fs_pcapng_parse(FsPcapng *ng, const guint8 *base, gsize size, gsize *pos,
                struct pcap_pkthdr *hdr, const guint8 **data, int *linktype)
{
    FsPcapngStep step = parse_step(ng, base, size, pos, hdr, data,
                                   linktype);

    return step == FS_PCAPNG_REPLAY && ng->diverged ? FS_PCAPNG_FROM : step;
}

static FsPcapngStep
parse_step(FsPcapng *ng, const guint8 *base, gsize size, gsize *pos,
           struct pcap_pkthdr *hdr, const guint8 **data, int *linktype)
{
    for (;;) {
        gsize at = *pos;
        guint32 type, total;
        const guint8 *body;
        gsize len;

        if (at > size)
            return FS_PCAPNG_REPLAY;
        if (at == size) /* the end, where libpcap finds it too */
            return ng->opened ? FS_PCAPNG_FROM : FS_PCAPNG_REPLAY;
        /* libpcap's read_block(): errors that depend on nothing read
         * before (once past what libpcap read when it opened the file) */
        if (size - at < 8)
            return ng->opened ? FS_PCAPNG_FROM : FS_PCAPNG_REPLAY;
        type = u32_at(ng, base + at);
        total = u32_at(ng, base + at + 4);
        if (total < FS_PCAPNG_BLOCK_MIN || total % 4 != 0 ||
            total > FS_PCAPNG_BLOCK_MAX || total > size - at ||
            u32_at(ng, base + at + total - 4) != total)
            return ng->opened ? FS_PCAPNG_FROM : FS_PCAPNG_REPLAY;
        body = base + at + 8;
        len = total - FS_PCAPNG_BLOCK_MIN;
        if (type == BT_EPB || type == BT_SPB) {
            if (!ng->opened)
                return FS_PCAPNG_REPLAY;
            if (!packet_block(ng, type, body, len, hdr, data, linktype))
                return ng->diverged ? diverged_stop(ng, type, body, len)
                                    : FS_PCAPNG_REPLAY;
            *pos = at + total;
            ng->delivered++;
            return FS_PCAPNG_PACKET;
        }
        if (type == BT_PB)
            return ng->diverged ? diverged_stop(ng, type, body, len)
                                : FS_PCAPNG_REPLAY;
        if (!other_block(ng, type, body, len))
            return ng->opened ? FS_PCAPNG_FROM : FS_PCAPNG_REPLAY;
        *pos = at + total;
    }
}
