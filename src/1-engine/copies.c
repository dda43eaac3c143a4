/* finscope: frames captured at two vantage points (copies.h).
 *
 * Files read together are merged by time. When they are one capture cut
 * into pieces no frame is in two of them; when they are captures at two
 * points of a path (both ends of a connection, two interfaces of a
 * router) most frames are, the second sighting a path's delay later.
 * Taken as sent twice, each FIN's second sighting reads as a FIN sent
 * again, and the verdict as a loss (kernel audit 18k2 F3: 5 FIN
 * retransmissions for a true 2, merging a client's and a server's
 * capture 15 ms apart). The per-connection rule (detect.h) only knows
 * each sender's last frame, so it cannot see a copy with other frames
 * between.
 *
 * A direct-mapped table of the latest frame of each header, by its hash:
 * header hash, ports, sequence and acknowledgment numbers, the source it
 * came from and when. A frame is a copy when its header is the latest of
 * its kind, from another source, within FS_COPIES_WINDOW. The header
 * holds what a sender changes when it sends a segment again (IPv4
 * identification, TSval), so a segment sent again is another header;
 * where it does not (IPv6 without timestamps: the same bytes), the
 * latest sighting decides: a capture point at or before the sender sees
 * each sending, so a re-sent frame is noted from there before another
 * file's sighting of it. A copy is not noted: the latest sending stays
 * the first sighting's (noting the copy's source would make the sender
 * side's next sending of the same bytes a "copy").
 *
 * A slot's frame is overwritten by any other header of its hash: a copy
 * further behind than the table holds is missed (it then counts as
 * sent twice, as before). 2^16 slots hold the last ~65,000 frames at
 * best: at 100,000 frames a second, 0.6 s. */
#include "config.h"

#include <glib.h>

#include "copies.h"

#define SLOT_BITS 16
#define SLOTS (1u << SLOT_BITS)

typedef struct {
    guint32 hdr_hash;  /* 0: empty */
    guint32 seq;
    guint32 ack;
    guint16 sport;
    guint16 dport;
    FsTime ts;
    guint32 source;
} Sighting;

struct FsCopies {
    Sighting slots[SLOTS];
};

FsCopies *
fs_copies_new(void)
{
    return g_new0(FsCopies, 1);
}

void
fs_copies_free(FsCopies *copies)
{
    g_free(copies);
}

gsize
fs_copies_size(void)
{
    return sizeof(FsCopies);
}

gboolean
fs_copies_seen(FsCopies *copies, const FsSegment *seg)
{
    /* the hash's high bits: its low ones pick flow table slots too */
    Sighting *s = &copies->slots[seg->hdr_hash >> (32 - SLOT_BITS)];

    if (seg->hdr_hash == 0)
        return FALSE;
    if (s->hdr_hash == seg->hdr_hash && s->seq == seg->seq &&
        s->ack == seg->ack && s->sport == seg->sport &&
        s->dport == seg->dport && s->source != seg->source &&
        ABS(seg->ts - s->ts) <= FS_COPIES_WINDOW)
        return TRUE;
    s->hdr_hash = seg->hdr_hash;
    s->seq = seg->seq;
    s->ack = seg->ack;
    s->sport = seg->sport;
    s->dport = seg->dport;
    s->ts = seg->ts;
    s->source = seg->source;
    return FALSE;
}
