/* finscope: classic pcap and pcapng files read into a window of a few
 * hundred KiB, records parsed in place there (no copy of a packet, no
 * call a packet), or, when asked, from the file mapped in chunks
 * (fs_mapped_map(); mapped.c says why not by default). Only the records
 * libpcap would hand over unchanged are read here; from the first record
 * that is not (cut off by the end of the file, longer than the snapshot,
 * ...) on, libpcap reads the rest of the file, so the results are the
 * same whichever reads. */
#ifndef FINSCOPE_MAPPED_H
#define FINSCOPE_MAPPED_H

#include <stdio.h>

#include <glib.h>
#include <pcap/pcap.h>

#include "finscope/decode.h"
#include "finscope/types.h"

typedef struct FsMapped FsMapped;

/* The environment variable var is set and not empty: a switch of the
 * file readers (FINSCOPE_NO_MMAP, FINSCOPE_MAP). */
static inline gboolean
fs_mapped_switch(const char *var)
{
    const char *value = g_getenv(var);

    return value != NULL && *value != '\0';
}

/* The link types whose pseudo-header libpcap rewrites when the file was
 * written in the other byte order (swap_pseudo_headers(): Linux cooked
 * v1 and v2, NFLOG's TLVs): such files are left to libpcap. */
static inline gboolean
fs_mapped_swaps_pseudo_header(int linktype)
{
    return linktype == DLT_LINUX_SLL || linktype == DLT_LINUX_SLL2 ||
           linktype == FS_DLT_NFLOG;
}

/* A packet header's time in ns (frac_ns: ns per tv_usec unit), clamped
 * into [0, FS_TIME_MAX]: a corrupt file may claim any time at all. */
static inline FsTime
fs_pcap_time(const struct pcap_pkthdr *hdr, gint64 frac_ns)
{
    gint64 sec = (gint64)hdr->ts.tv_sec;
    gint64 frac = (gint64)hdr->ts.tv_usec;

    /* pcap's seconds are unsigned 32-bit (to 2106); libpcap hands them
     * over sign-extended, so 2038 and later arrive negative */
    if (sec < 0 && sec >= G_MININT32)
        sec += G_GINT64_CONSTANT(1) << 32;
    if (sec < 0 || frac < 0)
        return 0;
    if (sec >= FS_TIME_MAX / FS_NS_PER_SEC - 1)
        return FS_TIME_MAX;
    if (frac * frac_ns >= FS_NS_PER_SEC) /* not a fraction of a second */
        frac = 0;
    return sec * FS_NS_PER_SEC + frac * frac_ns;
}

/* How to read the records of a classic pcap file. */
typedef struct {
    gboolean swapped; /* written in the other byte order */
    gboolean nsec;    /* time stamps in ns (else in us) */
    guint32 limit;    /* longest caplen taken as is: libpcap's snapshot
                         and its maximum, whichever is lower */
} FsMappedFormat;

/* The next record at *pos of the size bytes at base, if it is whole and
 * caplen <= fmt->limit: fills hdr as libpcap with nanosecond precision
 * would (time stamps sign-extended, us scaled to ns), points *data into
 * base, moves *pos past it. FALSE (nothing changed) otherwise: libpcap
 * must read from *pos on. Reads no byte outside base[0, size). */
gboolean fs_mapped_parse(const guint8 *base, gsize size, gsize *pos,
                         const FsMappedFormat *fmt, struct pcap_pkthdr *hdr,
                         const guint8 **data);

/* The file that libpcap just opened (its header read from fp), to be
 * read here through a window of window bytes (at least 4 KiB; more for
 * a record that needs it), its first bytes read already; or NULL when the fast path
 * does not read it: not a regular file, not classic pcap 2.4 or pcapng
 * (mapped-pcapng.h), a byte-swapped Linux cooked capture (whose headers
 * libpcap rewrites), its first bytes could not be read, or
 * FINSCOPE_NO_MMAP (the name from when it was a memory map) is set in
 * the environment. fp's offset is left as it is (the reads are
 * pread()s). */
FsMapped *fs_mapped_open(FILE *fp, pcap_t *pcap, gsize window);

/* The next record, as fs_mapped_parse(); its bytes stay in the window
 * until the next call. FALSE: libpcap must read the rest, from
 * fs_mapped_offset(). */
gboolean fs_mapped_next(FsMapped *m, struct pcap_pkthdr *hdr,
                        const guint8 **data);

/* Once fs_mapped_next() said FALSE: NULL, or why libpcap cannot take
 * over (a pcapng file whose interfaces libpcap refuses, at a packet it
 * would misread: FS_PCAPNG_STOP), the file then to end there. */
const char *fs_mapped_stop_reason(const FsMapped *m);

/* The link type of the packet fs_mapped_next() handed out last: the
 * file's, but in a pcapng file whose interfaces differ in link type
 * (which libpcap refuses) its interface's. */
int fs_mapped_linktype(const FsMapped *m);

/* Up to max records, as fs_mapped_next() hands them out, decoded as
 * fs_engine_decode() would decode them as packets of source (of link
 * type linktype; pcapng: each its interface's, fs_mapped_linktype())
 * whose records *frames counted before: status[i] and
 * seg[i] for the ith; *frames counts them. Returns how many: fewer than
 * max when fs_mapped_next() would have said FALSE. No call, no copy a
 * record: the reader's batches (fs_capture_decode_batch()). */
guint fs_mapped_decode(FsMapped *m, int linktype, guint source,
                       guint32 *frames, guint8 *status, FsSegment *seg,
                       guint max);

/* From now on the classic pcap file's records are read from chunks of
 * it mapped into memory (1 MiB, page tables filled at once, each cache
 * line asked for 4 KiB ahead of the record parsed) instead of copied
 * into the window: for a reader whose decoding shares its thread with
 * the engine (mapped.c says why). Only fs_mapped_decode() reads it then,
 * on this thread. A file cut short under a chunk ends for the reader
 * after the last record wholly before its new end, as after a read that
 * came back short (a SIGBUS handler is installed for that, once; any
 * other SIGBUS goes to the one before; and each fs_mapped_decode() call
 * checks the records against the file's size). FALSE, nothing changed,
 * for pcapng, when mapped already, or when the page size or the handler
 * cannot be had. */
gboolean fs_mapped_map(FsMapped *m);

/* Puts libpcap where the records read here end (after fs_mapped_next()
 * said FALSE): the stream moved there, or for pcapng when libpcap cannot
 * start there, back where it stood once opened and the packets handed
 * out read again. FALSE with errno set when that fails. */
gboolean fs_mapped_hand_over(const FsMapped *m, pcap_t *pcap);

/* Where the first record not read here starts. */
goffset fs_mapped_offset(const FsMapped *m);

/* Where the last record handed out ends (none yet: where libpcap stood
 * once it had read the file's header): fs_mapped_offset() for classic
 * pcap; for pcapng before the blocks skipped after that record, as a
 * read of libpcap's, which takes them with the next packet, ends. */
goffset fs_mapped_records_end(const FsMapped *m);

void fs_mapped_free(FsMapped *m);

#endif /* FINSCOPE_MAPPED_H */
