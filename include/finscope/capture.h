/* finscope: packet sources — capture files merged by time, or a device. */
#ifndef FINSCOPE_CAPTURE_H
#define FINSCOPE_CAPTURE_H

#include <glib.h>
#include "finscope/decode.h"
#include "finscope/types.h"

typedef struct FsCapture FsCapture;

/* One captured frame; data stays valid until the next fs_capture_next(). */
typedef struct {
    FsTime ts;             /* nanoseconds */
    int linktype;          /* DLT_ of the source it came from */
    const guint8 *data;    /* caplen readable bytes */
    guint32 caplen;        /* bytes captured */
    guint32 wirelen;       /* bytes on the wire */
    guint source;          /* index of the file it came from */
    guint32 frame;         /* record number in that file, 1-based, as
                              Wireshark numbers it (filtered-out records
                              count too); live: packets read so far */
} FsPacket;

typedef enum {
    FS_CAPTURE_PACKET = 1, /* *pkt is filled */
    FS_CAPTURE_END = 0,    /* every source is exhausted */
    FS_CAPTURE_ERROR = -1, /* every source is exhausted, and a read error
                              stopped one: *error names the first such
                              file (fs_capture_source_cut() says where
                              each stopped) */
    FS_CAPTURE_NONE = 2,   /* live: no packet ready now; wait on the
                              selectable fd (files never return this) */
} FsCaptureResult;

/* Opens pcap or pcapng files ("-" is stdin) with nanosecond timestamps.
 * Packets of several files come out merged in timestamp order (ties to
 * the file given first), O(log n_paths) a packet. bpf may be NULL. Fails
 * with FS_ERROR_OPEN (also when n_paths files would not fit under the
 * limit of open files), FS_ERROR_FORMAT, FS_ERROR_LINKTYPE or
 * FS_ERROR_FILTER, the message naming the file. */
FsCapture *fs_capture_open_files(const char *const *paths, guint n_paths,
                                 const char *bpf, GError **error);

FsCaptureResult fs_capture_next(FsCapture *cap, FsPacket *pkt,
                                GError **error);

/* Reads up to max packets of capture files (not a device) and decodes
 * them: status[i] and seg[i] are what fs_engine_decode() (engine.h)
 * gives for the ith, *n says how many. FS_CAPTURE_PACKET: *n is max and
 * more may follow; FS_CAPTURE_END or FS_CAPTURE_ERROR (*error set) after
 * the *n packets before. The packets are fs_capture_next()'s; a single
 * mapped file without a filter (the usual case) is decoded record after
 * record where it lies, without a call or an FsPacket each. */
FsCaptureResult fs_capture_decode_batch(FsCapture *cap, guint8 *status,
                                        FsSegment *seg, guint max, guint *n,
                                        GError **error);

/* A single file without a filter, read from here on by
 * fs_capture_decode_batch() alone and on this thread (the engine's):
 * its records read from the file mapped into memory rather than copied
 * (mapped.h, fs_mapped_map()), when FINSCOPE_MAP is set (not empty) in
 * the environment: faster on some machines, far slower on others. TRUE
 * if so; the results are the same (a file cut short while it is read
 * ends after its last whole record either way). */
gboolean fs_capture_map(FsCapture *cap);

guint fs_capture_n_sources(const FsCapture *cap);
/* The path as given, control characters escaped (\x1b): for messages. */
const char *fs_capture_source_name(const FsCapture *cap, guint source);

/* TRUE when the source ended in the middle of its last record. */
gboolean fs_capture_source_truncated(const FsCapture *cap, guint source);

/* Where a capture file that was not read to its end stopped: it ends
 * inside its last record (truncated), or a read error stopped it at a
 * record (a length field that lies, an I/O error). Either way its packets
 * end there, what came before is analysed and the other files are read
 * to their end. */
typedef struct {
    const char *error;     /* the read error (libpcap's message), or NULL:
                              the file ends inside its last record */
    gint64 bytes_read;     /* where the records read end: the file's size
                              for a cut, the failed record's (or block's)
                              offset for an error; -1 unknown (standard
                              input, a pipe) */
    guint32 records_read;  /* records read before, filtered out or not:
                              the one that failed is number
                              records_read + 1 */
} FsSourceCut;

/* FALSE when the source was read to its end (or not yet to where it
 * stops); else fills *cut, whose error lives as long as cap. */
gboolean fs_capture_source_cut(const FsCapture *cap, guint source,
                               FsSourceCut *cut);

/* A pcapng file's packets on interfaces of a link type the filter does
 * not compile for (it does for the file's first: "ip" on NFLOG) are
 * skipped, none matching: one line for each such link type, saying how
 * many (a NULL-terminated array, empty when none; g_strfreev() it). */
char **fs_capture_source_unfiltered(const FsCapture *cap, guint source);

/* ---- live capture (finscope -i) ---- */

/* How to open a device; zero fields take the defaults. */
typedef struct {
    int snaplen;          /* bytes kept of each frame; 0 = 262144 */
    int buffer_kib;       /* kernel capture buffer, KiB; 0 = libpcap's */
    gboolean immediate;   /* hand each packet over as it arrives */
    gboolean no_promisc;  /* leave the interface out of promiscuous mode */
    gboolean fanout;      /* join AF_PACKET fanout group fanout_group */
    guint16 fanout_group; /* the group's id (Linux packet(7)) */
} FsLiveOptions;

/* What the kernel says about a live capture since it was opened. */
typedef struct {
    guint64 received;     /* packets that passed the filter (ps_recv) */
    guint64 dropped;      /* lost by the kernel: ps_drop + ps_ifdrop */
} FsCaptureStats;

/* Opens a network device ("any" included) with nanosecond timestamps
 * where the kernel offers them, else microseconds. The handle is
 * non-blocking: fs_capture_next() returns FS_CAPTURE_NONE when nothing is
 * ready, and the caller waits on fs_capture_selectable_fd(). bpf may be
 * NULL. With opts->fanout the device's socket joins that AF_PACKET
 * fanout group (PACKET_FANOUT_HASH: both directions of a flow reach the
 * same member) and packets stamped before the join are skipped. Fails
 * with FS_ERROR_OPEN (no such device, no permission, fanout refused),
 * FS_ERROR_USAGE (fanout where there is none: not Linux),
 * FS_ERROR_LINKTYPE or FS_ERROR_FILTER. */
FsCapture *fs_capture_open_live(const char *iface, const FsLiveOptions *opts,
                                const char *bpf, GError **error);

/* A descriptor that polls readable when packets may be ready; -1 for
 * capture files. */
int fs_capture_selectable_fd(const FsCapture *cap);

/* "eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes, ...",
 * with any warning pcap_activate() gave. */
char *fs_capture_describe(const FsCapture *cap);

/* Also writes every packet fs_capture_next() returns to PATH (pcap, as
 * tcpdump -w). Live captures only; fails with FS_ERROR_WRITE. */
gboolean fs_capture_save_to(FsCapture *cap, const char *path,
                            GError **error);

/* Pushes saved packets out to the file (as tcpdump -U would). */
void fs_capture_flush_saved(FsCapture *cap);

/* The kernel's counters (pcap_stats), widened to 64 bits. Fails with
 * FS_ERROR_OPEN when the device gives none, or for capture files. */
gboolean fs_capture_stats(FsCapture *cap, FsCaptureStats *stats,
                          GError **error);

void fs_capture_free(FsCapture *cap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsCapture, fs_capture_free)

#endif /* FINSCOPE_CAPTURE_H */
