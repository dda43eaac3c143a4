/* finscope: classic pcap and pcapng files read from a memory map (see
 * mapped.h; pcapng blocks are parsed in mapped-pcapng.c).
 *
 * libpcap reads a file through stdio: the kernel copies every byte into
 * the stream's buffer, libpcap copies each record into its own. Here the
 * file's pages are mapped and each record is handed over where it lies,
 * after one bounds check of its header. What is behind the read position
 * is unmapped every RELEASE bytes, so the peak RSS does not grow with the
 * file (the page cache keeps the pages). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <pcap/pcap.h>

#include "finscope/decode.h"
#include "finscope/engine.h"
#include "mapped.h"
#include "mapped-pcapng.h"

#define FILE_HEADER 24   /* classic pcap file header, bytes */
#define RECORD_HEADER 16 /* ts_sec, ts_frac, caplen, len: 4 bytes each */
#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du
/* libpcap's MAXIMUM_SNAPLEN: its limit for every link type finscope
 * decodes (max_snaplen_for_dlt) */
#define MAX_SNAPLEN 262144u
/* Bytes read between two madvise(MADV_DONTNEED) of what lies behind. */
#define RELEASE (1024u * 1024)
/* Bytes ahead of the read position asked into the cache as records are
 * read (read_ahead()). */
#define READ_AHEAD 2048u
#define CACHE_LINE 64u

struct FsMapped {
    const guint8 *base;  /* the whole file, read-only */
    gsize length;        /* bytes mapped: the file's size when opened */
    gsize size;          /* bytes read here: length, or less once the
                            file was found cut short */
    gsize pos;           /* offset of the next record */
    gsize released;      /* bytes at base already given back (a multiple
                            of the page size) */
    gsize ahead;         /* bytes at base asked into the cache
                            (read_ahead()) */
    gsize page;          /* the page size */
    int fd;              /* the file's descriptor (libpcap's stream) */
    FsMappedFormat fmt;  /* how its records read */
    FsPcapng *ng;        /* pcapng: its blocks' parser; NULL: pcap */
    goffset opened_at;   /* pcapng: where libpcap stood once opened */
    gboolean replay;     /* pcapng: libpcap reads on from opened_at,
                            after the packets handed out (else from pos) */
};

static guint32
u32_at(const guint8 *p, gboolean swapped)
{
    guint32 v;

    memcpy(&v, p, sizeof v);
    return swapped ? GUINT32_SWAP_LE_BE(v) : v;
}

/* What each record goes through inline, whatever the compiler makes of
 * the number of places that call it. */
#if defined(__GNUC__)
#define EACH_RECORD static inline __attribute__((always_inline))
#else
#define EACH_RECORD static inline
#endif

/* fs_mapped_parse(), inlined where each record goes through it. */
EACH_RECORD gboolean
parse_record(const guint8 *base, gsize size, gsize *pos,
             const FsMappedFormat *fmt, struct pcap_pkthdr *hdr,
             const guint8 **data)
{
    gsize at = *pos;
    const guint8 *rec = base + at;
    guint32 caplen;
    gsize next;

    if (G_UNLIKELY(at > size || size - at < RECORD_HEADER))
        return FALSE;
    caplen = u32_at(rec + 8, fmt->swapped);
    if (G_UNLIKELY(caplen > fmt->limit ||
                   size - at - RECORD_HEADER < caplen))
        return FALSE;
    next = at + RECORD_HEADER + caplen;
#if defined(__GNUC__)
    /* The next record's header and the start of its frame, which decode
     * reads, asked for while this one is decoded: its address is only
     * known now, and the first touch of each record otherwise waits on
     * memory. A prefetch past the map's end does not fault. */
    __builtin_prefetch(base + next);
    __builtin_prefetch(base + next + 64);
#endif
    /* as libpcap: the 32-bit fields are signed (bpf_int32), widened */
    hdr->ts.tv_sec = (gint32)u32_at(rec, fmt->swapped);
    hdr->ts.tv_usec = (gint32)u32_at(rec + 4, fmt->swapped);
    if (!fmt->nsec)
        hdr->ts.tv_usec *= 1000; /* libpcap's SCALE_UP */
    hdr->caplen = caplen;
    hdr->len = u32_at(rec + 12, fmt->swapped);
    *data = rec + RECORD_HEADER;
    *pos = next;
    return TRUE;
}

/* Asks the cache for each line of base[*ahead, pos + READ_AHEAD) not
 * asked for yet, *ahead (a multiple of CACHE_LINE) then past them. The
 * records that lie there are not known yet (a record's start is known
 * once the one before is parsed, one record ahead: too late), and the
 * hardware prefetcher stops at each 4 KiB page, so without it the first
 * read of each record's header waits on memory. Stops at size: a
 * prefetch of a page not mapped in yet is dropped, never a fault. */
EACH_RECORD void
read_ahead(const guint8 *base, gsize size, gsize pos, gsize *ahead)
{
#if defined(__GNUC__)
    gsize lead = MIN(pos + READ_AHEAD, size);
    gsize at = MAX(*ahead, pos / CACHE_LINE * CACHE_LINE);

    for (; at < lead; at += CACHE_LINE)
        __builtin_prefetch(base + at);
    *ahead = at;
#else
    (void)base;
    (void)size;
    (void)pos;
    (void)ahead;
#endif
}

gboolean
fs_mapped_parse(const guint8 *base, gsize size, gsize *pos,
                const FsMappedFormat *fmt, struct pcap_pkthdr *hdr,
                const guint8 **data)
{
    return parse_record(base, size, pos, fmt, hdr, data);
}

/* What libpcap made of the file header, checked against the bytes: only
 * the plain case is read here. */
static gboolean
format_of(const guint8 *base, gsize size, pcap_t *pcap, FsMappedFormat *fmt)
{
    guint32 magic;
    int snapshot = pcap_snapshot(pcap);
    int linktype = pcap_datalink(pcap);

    if (size < FILE_HEADER)
        return FALSE;
    memcpy(&magic, base, sizeof magic);
    fmt->swapped = magic == GUINT32_SWAP_LE_BE(MAGIC_US) ||
                   magic == GUINT32_SWAP_LE_BE(MAGIC_NS);
    if (fmt->swapped)
        magic = GUINT32_SWAP_LE_BE(magic);
    if ((magic != MAGIC_US && magic != MAGIC_NS) ||
        fmt->swapped != (pcap_is_swapped(pcap) != 0))
        return FALSE;
    fmt->nsec = magic == MAGIC_NS;
    /* 2.3 and older may have caplen and len the other way round */
    if (pcap_major_version(pcap) != 2 || pcap_minor_version(pcap) != 4)
        return FALSE;
    /* libpcap rewrites these pseudo-headers in byte-swapped files */
    if (fmt->swapped &&
        (linktype == DLT_LINUX_SLL || linktype == DLT_LINUX_SLL2))
        return FALSE;
    if (snapshot <= 0)
        return FALSE;
    fmt->limit = MIN((guint32)snapshot, MAX_SNAPLEN);
    return TRUE;
}

/* A pcapng file (libpcap read its first section header and interface)
 * of a link type decoded here (whose snapshot limits mapped-pcapng.c
 * knows): read here unless libpcap rewrites its packets. */
static gboolean
is_pcapng(const guint8 *base, pcap_t *pcap)
{
    guint32 type;
    int linktype = pcap_datalink(pcap);

    memcpy(&type, base, sizeof type);
    if (type != FS_PCAPNG_SHB || pcap_major_version(pcap) != 1 ||
        !fs_decode_linktype_supported(linktype))
        return FALSE;
    if (pcap_is_swapped(pcap) &&
        (linktype == DLT_LINUX_SLL || linktype == DLT_LINUX_SLL2))
        return FALSE;
    return pcap_snapshot(pcap) > 0;
}

FsMapped *
fs_mapped_open(FILE *fp, pcap_t *pcap)
{
    const char *off = g_getenv("FINSCOPE_NO_MMAP");
    struct stat st;
    FsMappedFormat fmt;
    FsMapped *m = NULL;
    void *base;
    int fd;
    FsPcapng *ng = NULL;
    goffset opened_at = 0;

    if ((off != NULL && *off != '\0') || fp == stdin)
        return NULL;
    fd = fileno(fp);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size < FILE_HEADER || (guint64)st.st_size > G_MAXSIZE)
        return NULL;
    base = mmap(NULL, (gsize)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (base == MAP_FAILED)
        return NULL;
    memset(&fmt, 0, sizeof fmt);
    if (is_pcapng(base, pcap)) {
        opened_at = (goffset)ftello(fp);
        if (opened_at <= 0) {
            munmap(base, (gsize)st.st_size);
            return NULL;
        }
        ng = fs_pcapng_new(pcap_is_swapped(pcap) != 0, pcap_datalink(pcap),
                           pcap_snapshot(pcap));
    } else if (!format_of(base, (gsize)st.st_size, pcap, &fmt)) {
        munmap(base, (gsize)st.st_size);
        return NULL;
    }
    (void)madvise(base, (gsize)st.st_size, MADV_SEQUENTIAL);
    m = g_new0(FsMapped, 1);
    m->base = base;
    m->length = (gsize)st.st_size;
    m->size = m->length;
    m->pos = ng != NULL ? 0 : FILE_HEADER;
    m->ng = ng;
    m->opened_at = opened_at;
    m->page = (gsize)sysconf(_SC_PAGESIZE);
    m->fd = fd;
    m->fmt = fmt;
    return m;
}

/* The previous record is done with: gives back whole pages behind.
 * Once a MiB: kept out of fs_mapped_next(), whose every call would
 * otherwise pay for its frame. */
static G_GNUC_NO_INLINE void
release_behind(FsMapped *m)
{
    gsize upto = m->pos / m->page * m->page;
    struct stat st;

    (void)madvise((void *)(m->base + m->released), upto - m->released,
                  MADV_DONTNEED);
    m->released = upto;
    /* A file cut short while it is read (rotated, rewritten) would
     * raise SIGBUS past its new end: from there libpcap reads, and
     * says what it finds. (Checked each MiB: a cut within the next
     * MiB still can.) */
    if (fstat(m->fd, &st) == 0 && st.st_size >= 0 &&
        (guint64)st.st_size < m->size)
        m->size = MAX((gsize)st.st_size, m->pos);
}

/* fs_mapped_next(), inlined into fs_mapped_decode()'s loop. */
static inline gboolean
mapped_next(FsMapped *m, struct pcap_pkthdr *hdr, const guint8 **data)
{
    if (G_UNLIKELY(m->pos - m->released >= RELEASE + m->page))
        release_behind(m);
    read_ahead(m->base, m->size, m->pos, &m->ahead);
    if (G_LIKELY(m->ng == NULL))
        return parse_record(m->base, m->size, &m->pos, &m->fmt, hdr, data);
    switch (fs_pcapng_parse(m->ng, m->base, m->size, &m->pos, hdr, data)) {
    case FS_PCAPNG_PACKET:
        return TRUE;
    case FS_PCAPNG_FROM:
        return FALSE;
    case FS_PCAPNG_REPLAY:
        m->replay = TRUE;
        return FALSE;
    }
    g_assert_not_reached();
}

gboolean
fs_mapped_next(FsMapped *m, struct pcap_pkthdr *hdr, const guint8 **data)
{
    return mapped_next(m, hdr, data);
}

/* One record, decoded where it lies as fs_engine_decode() would decode
 * the packet capture.c makes of it. */
static inline guint8
decode_record(int linktype, guint source, guint32 frame,
              const struct pcap_pkthdr *hdr, const guint8 *data,
              FsSegment *seg)
{
    return (guint8)fs_engine_decode_frame(
        linktype, data, hdr->caplen, hdr->len,
        fs_pcap_time(hdr, 1) /* PCAP_TSTAMP_PRECISION_NANO */, frame, source,
        seg);
}

/* fs_mapped_decode() of classic pcap records: mapped_next()'s, the
 * map's fields held in locals (the segments' stores could otherwise
 * alias them), and the format's, a constant where the caller gives one. */
EACH_RECORD guint
decode_classic(FsMapped *m, const FsMappedFormat fmt, int linktype,
               guint source, guint32 *frames, guint8 *status, FsSegment *seg,
               guint max)
{
    struct pcap_pkthdr hdr;
    const guint8 *data = NULL;
    const guint8 *base = m->base;
    gsize pos = m->pos;
    gsize size = m->size;
    gsize release_at = m->released + RELEASE + m->page;
    gsize ahead = m->ahead;
    guint n = 0;

    for (; n < max; n++) {
        if (G_UNLIKELY(pos >= release_at)) {
            m->pos = pos;
            release_behind(m);
            size = m->size;
            release_at = m->released + RELEASE + m->page;
        }
        read_ahead(base, size, pos, &ahead);
        if (G_UNLIKELY(!parse_record(base, size, &pos, &fmt, &hdr, &data)))
            break;
        status[n] = decode_record(linktype, source, *frames + n + 1, &hdr,
                                  data, &seg[n]);
    }
    m->pos = pos;
    m->ahead = ahead;
    *frames += n;
    return n;
}

guint
fs_mapped_decode(FsMapped *m, int linktype, guint source, guint32 *frames,
                 guint8 *status, FsSegment *seg, guint max)
{
    struct pcap_pkthdr hdr;
    const guint8 *data = NULL;
    guint n = 0;

    if (m->ng != NULL) {
        for (; n < max && mapped_next(m, &hdr, &data); n++)
            status[n] = decode_record(linktype, source, ++*frames, &hdr,
                                      data, &seg[n]);
        return n;
    }
    /* the usual file: this machine's byte order, microseconds */
    if (!m->fmt.swapped && !m->fmt.nsec) {
        const FsMappedFormat usual = { FALSE, FALSE, m->fmt.limit };

        return decode_classic(m, usual, linktype, source, frames, status,
                              seg, max);
    }
    return decode_classic(m, m->fmt, linktype, source, frames, status, seg,
                          max);
}

gboolean
fs_mapped_hand_over(const FsMapped *m, pcap_t *pcap)
{
    FILE *fp = pcap_file(pcap);
    struct pcap_pkthdr *hdr = NULL;
    const u_char *bytes = NULL;

    if (!m->replay)
        return fseeko(fp, (off_t)m->pos, SEEK_SET) == 0;
    if (fseeko(fp, (off_t)m->opened_at, SEEK_SET) != 0)
        return FALSE;
    for (guint64 i = fs_pcapng_delivered(m->ng); i > 0; i--) {
        if (pcap_next_ex(pcap, &hdr, &bytes) != 1) {
            errno = EIO; /* libpcap disagrees with the parser */
            return FALSE;
        }
    }
    return TRUE;
}

goffset
fs_mapped_offset(const FsMapped *m)
{
    return (goffset)m->pos;
}

void
fs_mapped_free(FsMapped *m)
{
    if (m == NULL)
        return;
    munmap((void *)m->base, m->length);
    fs_pcapng_free(m->ng);
    g_free(m);
}
