/* finscope: packet sources — capture files merged by time, or a device. */
#ifndef FINSCOPE_CAPTURE_H
#define FINSCOPE_CAPTURE_H

#include <glib.h>
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
} FsPacket;

typedef enum {
    FS_CAPTURE_PACKET = 1, /* *pkt is filled */
    FS_CAPTURE_END = 0,    /* every source is exhausted */
    FS_CAPTURE_ERROR = -1, /* a read error; *error says which file */
} FsCaptureResult;

/* Opens pcap or pcapng files ("-" is stdin) with nanosecond timestamps.
 * Packets of several files come out merged in timestamp order. bpf may be
 * NULL. Fails with FS_ERROR_OPEN, FS_ERROR_FORMAT, FS_ERROR_LINKTYPE or
 * FS_ERROR_FILTER, the message naming the file. */
FsCapture *fs_capture_open_files(const char *const *paths, guint n_paths,
                                 const char *bpf, GError **error);

FsCaptureResult fs_capture_next(FsCapture *cap, FsPacket *pkt,
                                GError **error);

guint fs_capture_n_sources(const FsCapture *cap);
const char *fs_capture_source_name(const FsCapture *cap, guint source);

/* TRUE when the source ended in the middle of its last record. */
gboolean fs_capture_source_truncated(const FsCapture *cap, guint source);

void fs_capture_free(FsCapture *cap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsCapture, fs_capture_free)

#endif /* FINSCOPE_CAPTURE_H */
