/* finscope: a batch of decoded packets, as the reader thread fills it
 * for the engine's thread (reader.c) or the shards' (shards.c, which
 * adds each packet's shard and the shards' output beside it). */
#ifndef FINSCOPE_BATCH_H
#define FINSCOPE_BATCH_H

#include <glib.h>
#include "finscope/capture.h"
#include "finscope/decode.h"

/* Packets a batch holds: the engine's thread takes them (and a reader's
 * tick comes) this many at a time. */
#define FS_BATCH_PACKETS 512

typedef struct {
    guint n;                          /* packets in seg[] */
    FsCaptureResult end;              /* PACKET: more follow; else how
                                         the capture ended */
    GError *error;                    /* with FS_CAPTURE_ERROR */
    guint8 status[FS_BATCH_PACKETS];  /* FsDecodeStatus of each */
    FsSegment seg[FS_BATCH_PACKETS];  /* ts always set, rest when OK */
} FsBatch;

/* Reads up to a batch of packets from cap and decodes them. */
static inline void
fs_batch_fill(FsBatch *b, FsCapture *cap)
{
    b->end = fs_capture_decode_batch(cap, b->status, b->seg,
                                     FS_BATCH_PACKETS, &b->n, &b->error);
}

/* How the capture ended, after its last batch: the read error handed on
 * to *error with FS_CAPTURE_ERROR. */
static inline FsCaptureResult
fs_batch_finish(FsBatch *b, GError **error)
{
    FsCaptureResult end = b->end;

    if (end == FS_CAPTURE_ERROR)
        g_propagate_error(error, g_steal_pointer(&b->error));
    return end;
}

#endif /* FINSCOPE_BATCH_H */
