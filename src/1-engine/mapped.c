/* finscope: classic pcap and pcapng files read in place from a window
 * of the file (see mapped.h; pcapng blocks are parsed in
 * mapped-pcapng.c).
 *
 * libpcap reads a file through stdio: the kernel copies every byte into
 * the stream's buffer, libpcap copies each record into its own and
 * hands it over one call a packet. Here the kernel copies the file into
 * a window the size of that stream buffer (256 KiB for one file,
 * capture.c's share for many), the bytes from the record cut at its end
 * on moved to its start first (pread(), one call each half window or
 * so), and each record is parsed where it lies there after one bounds
 * check of its header. The window stays in the CPU's cache and its
 * pages in the TLB: on this machine kind (a virtual machine) the file's
 * pages mapped into the process (mmap() until session 14, given back
 * each MiB) cost more in the kernel than the copy does (doc/HACKING.md
 * has the figures).
 * The window is the same whatever the file's size, so the peak RSS does
 * not grow with it.
 *
 * With FINSCOPE_MAP set, where the engine's own thread decodes
 * (--threads 1, or one CPU: fs_mapped_map()),
 * classic pcap is read from the file mapped instead, 1 MiB at a time
 * with its page tables filled in the one mmap() call (MAP_POPULATE: no
 * fault a page), each chunk given back when the next is mapped; every
 * cache line of it is asked for 4 KiB ahead of the record parsed, as
 * the hardware's prefetcher stops at each page's end. That thread then
 * does without the kernel's copy: a few percent faster on session 27's
 * machine, far slower on session 29's, whose hypervisor (PVM) makes
 * filling page tables dear, as session 14's was (doc/HACKING.md); so not
 * by default. With a reader thread the copy is in that thread, and
 * mapping measured slower there. A file cut short under a mapped chunk
 * raises SIGBUS past the page its new end lies in (on_sigbus() takes
 * the decode loop back) and reads as zeros in the rest of that page, so
 * each batch's records are checked against the file's size (one
 * fstat()): the file ends for the reader after the last whole record,
 * as after a read that came back short. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
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
/* The window's size when the caller gives a smaller one. The fuzz
 * targets build with FS_MAPPED_WINDOW a few bytes (fuzz/run.sh), and it
 * is then every window's: their records straddle windows. */
#ifdef FS_MAPPED_WINDOW
#define WINDOW(bytes) ((gsize)FS_MAPPED_WINDOW)
#else
#define WINDOW_MIN 4096u
#define WINDOW(bytes) MAX((gsize)(bytes), (gsize)WINDOW_MIN)
#endif
/* Mapped (fs_mapped_map()): each chunk of the file mapped at once, its
 * page tables filled by the kernel in one call, and how far ahead of the
 * record being parsed each cache line of the file is asked for (the
 * hardware's prefetcher stops at each 4 KiB page). */
#ifdef FS_MAPPED_WINDOW
#define MAP_CHUNK ((gsize)FS_MAPPED_WINDOW)
#else
#define MAP_CHUNK ((gsize)1 << 20)
#endif
#define PREFETCH_AHEAD ((gsize)4096)
#define LINE 64u

struct FsMapped {
    guint8 *buf;         /* the window: the file's bytes [at, at + have) */
    gsize cap;           /* its size */
    gsize at;            /* the file offset of buf[0] */
    gsize have;          /* bytes in it */
    gsize length;        /* bytes read here: the file's size when opened,
                            or less once it was found cut short */
    gsize pos;           /* file offset of the next record */
    int fd;              /* the file's descriptor (libpcap's stream,
                            read with pread(): its offset stays) */
    FsMappedFormat fmt;  /* how its records read */
    FsPcapng *ng;        /* pcapng: its blocks' parser; NULL: pcap */
    gboolean ng_swapped; /* pcapng: in the other byte order */
    goffset opened_at;   /* pcapng: where libpcap stood once opened */
    gboolean replay;     /* pcapng: libpcap reads on from opened_at,
                            after the packets handed out (else from pos) */
    gsize records_end;   /* pcapng: where the last packet handed out ends
                            (pos is past the blocks skipped after it) */
    int linktype;        /* the last packet's link type (pcapng: its
                            interface's), the file's before the first */
    const char *stop;    /* pcapng: libpcap cannot take over, why */
    gboolean mapped;     /* buf maps the file's [at, at + have) */
    gsize page;          /* mapped: the page size (at is a multiple
                            while a chunk is mapped) */
    gsize ahead;         /* mapped: the window's bytes before this were
                            asked into the cache */
    /* mapped, while fs_mapped_decode() reads: where each record decoded
     * so far ends (ends_cap of them at most), and how many (what a
     * SIGBUS leaves, and what a file cut short under them keeps) */
    volatile gsize *ends;
    guint ends_cap;
    volatile guint done_n;
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
    if (fmt->swapped && fs_mapped_swaps_pseudo_header(linktype))
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
    if (pcap_is_swapped(pcap) && fs_mapped_swaps_pseudo_header(linktype))
        return FALSE;
    return pcap_snapshot(pcap) > 0;
}

/* A mapped chunk raises SIGBUS where the file was cut short after it was
 * mapped. The decode loop reading it (decode_mapped(), this thread's)
 * is taken back to where it began when the address lies in its chunk;
 * any other SIGBUS goes to the handler that was there before (a
 * sanitizer's, a fuzzer's), or gets the default action. */
static __thread sigjmp_buf *volatile bus_jump;
static __thread const guint8 *volatile bus_lo;
static __thread const guint8 *volatile bus_hi;
static struct sigaction bus_before;

static void
on_sigbus(int sig, siginfo_t *info, void *context)
{
    const guint8 *addr = info->si_addr;
    /* the kernel's, at a fault (not kill() or sigqueue(), whose si_addr
     * is not an address) */
    gboolean fault = info->si_code > 0;

    if (fault && bus_jump != NULL && addr >= bus_lo && addr < bus_hi)
        siglongjmp(*bus_jump, 1);
    if ((bus_before.sa_flags & SA_SIGINFO) != 0) {
        bus_before.sa_sigaction(sig, info, context);
    } else if (bus_before.sa_handler == SIG_IGN && !fault) {
        return;
    } else if (bus_before.sa_handler != SIG_DFL &&
               bus_before.sa_handler != SIG_IGN) {
        bus_before.sa_handler(sig);
    } else {
        struct sigaction dfl;

        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        (void)sigaction(sig, &dfl, NULL);
        (void)raise(sig);
    }
}

/* on_sigbus() installed, once. */
static gboolean
catch_sigbus(void)
{
    static gsize once = 0;
    static gboolean caught = FALSE;

    if (g_once_init_enter(&once)) {
        struct sigaction sa;

        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_sigbus;
        sa.sa_flags = SA_SIGINFO | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        caught = sigaction(SIGBUS, &sa, &bus_before) == 0;
        g_once_init_leave(&once, 1);
    }
    return caught;
}

/* refill() of a mapped reader: the chunk from the page of pos on (at
 * least need bytes from pos, unless the file ends first) mapped in
 * place of the last. When the map fails, the file ends at pos here
 * (libpcap reads on from there, as after a failed read). */
static gboolean
map_on(FsMapped *m, gsize need)
{
    gsize start = m->pos - m->pos % m->page;
    gsize len = MIN(MAX(MAP_CHUNK, m->pos - start + need),
                    m->length - start);
    void *p = MAP_FAILED;

    if (m->buf != NULL)
        (void)munmap(m->buf, m->cap);
    if (len > 0)
        p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, m->fd,
                 (off_t)start);
    m->at = start;
    if (p == MAP_FAILED) {
        m->buf = NULL;
        m->cap = m->have = 0;
        m->at = m->length = m->pos;
        return TRUE;
    }
    m->buf = p;
    m->cap = m->have = len;
    m->ahead = m->pos - start;
    bus_lo = m->buf;
    bus_hi = m->buf + len;
    return TRUE;
}

/* Reads on into the window (which keeps the bytes from pos, the record
 * begun there, moved to its start) until it holds need bytes from pos
 * and is at least half filled anew, or is full, or the file ends (one
 * pread() usually). A record longer than the window grows it to twice
 * the record (a pcapng block may take 16 MiB). FALSE, nothing changed, when it
 * cannot hold more of the record: need is 0 (the record is not one
 * libpcap hands over as it is), the window holds need bytes already, or
 * the file was read to its end. A read that fails or comes back short
 * ends the file here (cut short while it is read, an I/O error):
 * libpcap reads from pos on and says what it finds. */
static G_GNUC_NO_INLINE gboolean
refill(FsMapped *m, gsize need)
{
    gsize keep = m->at + m->have - m->pos;

    if (need == 0 || keep >= need || m->at + m->have >= m->length)
        return FALSE;
    if (m->mapped)
        return map_on(m, need);
    if (need > m->cap) {
        m->cap = 2 * need;
        m->buf = g_realloc(m->buf, m->cap);
    }
    memmove(m->buf, m->buf + (m->pos - m->at), keep);
    m->at = m->pos;
    m->have = keep;
    while (m->at + m->have < m->length &&
           (m->have < need || m->have - keep < m->cap / 2) &&
           m->have < m->cap) {
        gsize want = MIN(m->cap - m->have, m->length - (m->at + m->have));
        gssize got = pread(m->fd, m->buf + m->have, want,
                           (off_t)(m->at + m->have));

        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            m->length = m->at + m->have;
            break;
        }
        m->have += (gsize)got;
    }
    return TRUE;
}

/* Bytes the classic record at the window's offset rel needs in it (its
 * header, then all of it); 0 when it is not one to read here. */
static gsize
record_need(const FsMapped *m, gsize rel)
{
    guint32 caplen;

    if (m->have - rel < RECORD_HEADER)
        return RECORD_HEADER;
    caplen = u32_at(m->buf + rel + 8, m->fmt.swapped);
    return caplen <= m->fmt.limit ? RECORD_HEADER + (gsize)caplen : 0;
}

/* Bytes the pcapng block at pos needs in the window (its type and
 * length, then all of it); 0 when its length is not one libpcap reads
 * (the parser says what then). */
static gsize
block_need(const FsMapped *m)
{
    gsize rel = m->pos - m->at;
    guint32 total;

    if (m->have - rel < 8)
        return 8;
    total = u32_at(m->buf + rel + 4, m->ng_swapped);
    return total >= FS_PCAPNG_BLOCK_MIN && total <= FS_PCAPNG_BLOCK_MAX
               ? total : 0;
}

FsMapped *
fs_mapped_open(FILE *fp, pcap_t *pcap, gsize window)
{
    struct stat st;
    FsMapped *m = NULL;
    int fd;

    if (fs_mapped_switch("FINSCOPE_NO_MMAP") || fp == stdin)
        return NULL;
    fd = fileno(fp);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size < FILE_HEADER || (guint64)st.st_size > G_MAXSIZE)
        return NULL;
    m = g_new0(FsMapped, 1);
    m->fd = fd;
    m->length = (gsize)st.st_size;
    m->cap = WINDOW(window);
    m->buf = g_malloc(m->cap);
    m->linktype = pcap_datalink(pcap);
    /* the file's first bytes, from its start (libpcap's stream stays
     * where it stands) */
    if (!refill(m, FILE_HEADER) || m->have < FILE_HEADER)
        goto not_here;
    if (is_pcapng(m->buf, pcap)) {
        m->opened_at = (goffset)ftello(fp);
        if (m->opened_at <= 0)
            goto not_here;
        m->ng_swapped = pcap_is_swapped(pcap) != 0;
        m->ng = fs_pcapng_new(m->ng_swapped, pcap_datalink(pcap),
                              pcap_snapshot(pcap));
        m->records_end = (gsize)m->opened_at;
    } else if (format_of(m->buf, m->have, pcap, &m->fmt)) {
        m->pos = FILE_HEADER;
    } else {
        goto not_here;
    }
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return m;

not_here:
    fs_mapped_free(m);
    return NULL;
}

gboolean
fs_mapped_map(FsMapped *m)
{
    long page = sysconf(_SC_PAGESIZE);

    if (m->ng != NULL || m->mapped || page <= 0 || !catch_sigbus())
        return FALSE;
    m->page = (gsize)page;
    g_free(m->buf);
    m->buf = NULL;
    m->cap = m->have = 0;
    m->at = m->pos;
    m->mapped = TRUE;
    (void)map_on(m, RECORD_HEADER);
    return TRUE;
}

/* fs_mapped_next(), inlined into fs_mapped_decode()'s loop. */
static inline gboolean
mapped_next(FsMapped *m, struct pcap_pkthdr *hdr, const guint8 **data)
{
    FsPcapngStep step;

    for (;;) {
        gsize rel = m->pos - m->at;

        if (G_LIKELY(m->ng == NULL)) {
            if (G_LIKELY(parse_record(m->buf, m->have, &rel, &m->fmt, hdr,
                                      data))) {
                m->pos = m->at + rel;
                return TRUE;
            }
            if (!refill(m, record_need(m, rel)))
                return FALSE;
            continue;
        }
        step = fs_pcapng_parse(m->ng, m->buf, m->have, &rel, hdr, data,
                               &m->linktype);
        /* (blocks it skipped before stopping are done with) */
        m->pos = m->at + rel;
        if (step == FS_PCAPNG_PACKET) {
            m->records_end = m->pos;
            return TRUE;
        }
        if (refill(m, block_need(m)))
            continue;
        m->replay = step == FS_PCAPNG_REPLAY;
        if (step == FS_PCAPNG_STOP)
            m->stop = fs_pcapng_stop_reason(m->ng);
        return FALSE;
    }
}

gboolean
fs_mapped_next(FsMapped *m, struct pcap_pkthdr *hdr, const guint8 **data)
{
    g_return_val_if_fail(!m->mapped, FALSE);
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
 * window's fields held in locals (the segments' stores could otherwise
 * alias them), and the format's, a constant where the caller gives one. */
EACH_RECORD guint
decode_classic(FsMapped *m, const FsMappedFormat fmt, int linktype,
               guint source, guint32 *frames, guint8 *status, FsSegment *seg,
               guint max, const gboolean mapped)
{
    struct pcap_pkthdr hdr;
    const guint8 *data = NULL;
    const guint8 *base = m->buf;
    gsize at = m->at;
    gsize rel = m->pos - at;
    gsize size = m->have;
    gsize ahead = m->ahead;
    guint n = 0;

    while (n < max) {
        if (G_UNLIKELY(!parse_record(base, size, &rel, &fmt, &hdr, &data))) {
            m->pos = at + rel;
            if (!refill(m, record_need(m, rel)))
                break;
            base = m->buf;
            at = m->at;
            rel = m->pos - at;
            size = m->have;
            ahead = m->ahead;
            continue;
        }
        if (mapped) {
            gsize upto = MIN(rel + PREFETCH_AHEAD, size);

            for (; ahead < upto; ahead += LINE)
                __builtin_prefetch(base + ahead);
        }
        status[n] = decode_record(linktype, source, *frames + n + 1, &hdr,
                                  data, &seg[n]);
        n++;
        if (mapped) {
            m->ends[n - 1] = at + rel;
            m->done_n = n;
        }
    }
    m->pos = at + rel;
    if (mapped)
        m->ahead = ahead;
    *frames += n;
    return n;
}

/* decode_classic() with the format a constant for the usual file (this
 * machine's byte order, microseconds), m->fmt for any other. */
EACH_RECORD guint
decode_any_classic(FsMapped *m, int linktype, guint source, guint32 *frames,
                   guint8 *status, FsSegment *seg, guint max,
                   const gboolean mapped)
{
    if (!m->fmt.swapped && !m->fmt.nsec) {
        const FsMappedFormat usual = { FALSE, FALSE, m->fmt.limit };

        return decode_classic(m, usual, linktype, source, frames, status,
                              seg, max, mapped);
    }
    return decode_classic(m, m->fmt, linktype, source, frames, status, seg,
                          max, mapped);
}

/* Of the n records decoded from from on, those wholly in the file as
 * it is now: all unless it was cut short under them (a page of a map
 * past the file's new end raises SIGBUS, but the rest of the page the
 * end lies in reads as zeros, which pass for records). When some are
 * not, or a SIGBUS came (bus), the map ends after the last one kept
 * (fewer than the caller's max are returned, and libpcap reads on from
 * there, saying what it finds, as after a read that came back short). */
static guint
whole_records(FsMapped *m, guint n, gsize from, gboolean bus)
{
    struct stat st;
    gsize size = G_MAXSIZE;

    if (fstat(m->fd, &st) == 0 && st.st_size >= 0 &&
        (guint64)st.st_size < (guint64)G_MAXSIZE)
        size = (gsize)st.st_size;
    if (!bus && (n == 0 || m->ends[n - 1] <= size))
        return n;
    while (n > 0 && m->ends[n - 1] > size)
        n--;
    m->pos = n > 0 ? m->ends[n - 1] : from;
    m->length = m->pos;
    m->have = m->pos > m->at ? MIN(m->have, m->pos - m->at) : 0;
    return n;
}

/* decode_classic() of a mapped reader, taken back here by a SIGBUS in
 * its chunk (on_sigbus()); the records checked against the file's size
 * (whole_records()), one fstat() a call. */
static G_GNUC_NO_INLINE guint
decode_mapped(FsMapped *m, int linktype, guint source, guint32 *frames,
              guint8 *status, FsSegment *seg, guint max)
{
    sigjmp_buf jump;
    volatile gsize from = m->pos; /* (read after a siglongjmp()) */
    guint n;

    if (m->buf == NULL) /* the map failed: libpcap reads from pos */
        return 0;
    if (max > m->ends_cap) {
        g_free((gsize *)m->ends);
        m->ends = g_new(gsize, max);
        m->ends_cap = max;
    }
    m->done_n = 0;
    if (sigsetjmp(jump, 0) != 0) {
        bus_jump = NULL;
        n = whole_records(m, m->done_n, from, TRUE);
        *frames += n;
        return n;
    }
    bus_lo = m->buf;
    bus_hi = m->buf + m->cap;
    bus_jump = &jump;
    n = decode_any_classic(m, linktype, source, frames, status, seg, max,
                           TRUE);
    bus_jump = NULL;
    if (n > 0) {
        guint kept = whole_records(m, n, from, FALSE);

        *frames -= n - kept;
        n = kept;
    }
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
        /* each packet by its interface's link type */
        for (; n < max && mapped_next(m, &hdr, &data); n++)
            status[n] = decode_record(m->linktype, source, ++*frames, &hdr,
                                      data, &seg[n]);
        return n;
    }
    if (m->mapped)
        return decode_mapped(m, linktype, source, frames, status, seg, max);
    return decode_any_classic(m, linktype, source, frames, status, seg, max,
                              FALSE);
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

const char *
fs_mapped_stop_reason(const FsMapped *m)
{
    return m->stop;
}

int
fs_mapped_linktype(const FsMapped *m)
{
    return m->linktype;
}

goffset
fs_mapped_offset(const FsMapped *m)
{
    return (goffset)m->pos;
}

goffset
fs_mapped_records_end(const FsMapped *m)
{
    return (goffset)(m->ng != NULL ? m->records_end : m->pos);
}

void
fs_mapped_free(FsMapped *m)
{
    if (m == NULL)
        return;
    if (!m->mapped)
        g_free(m->buf);
    else if (m->buf != NULL)
        (void)munmap(m->buf, m->cap);
    g_free((gsize *)m->ends);
    fs_pcapng_free(m->ng);
    g_free(m);
}
