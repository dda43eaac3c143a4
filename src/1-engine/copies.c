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
 * its kind, from another file whose frames interleave with its own:
 * each had a frame 10 ms or more after the other's first (the pieces of
 * one capture cut by tcpdump -C, -G or editcap follow each other, but
 * for a few frames stamped out of order at the cut: review 19 #3; an
 * old duplicate replayed into the next piece stays one). Within
 * WINDOW when the header holds what a sender changes when it
 * sends a segment again: a TSval (a clock's tick, 1 ms on Linux, apart)
 * or an IPv4 identification not 0 (Linux counts per socket, others per
 * host). One without (IPv6 without timestamps, Linux's SYN-ACKs and
 * TIME_WAIT replies without them: ID 0) is the same bytes if sent again:
 * only within a second. A copy is not noted: the latest sending stays
 * the first sighting's. Clocks of two files apart by more than the
 * path's delay still pair one sending of the same bytes with another's
 * sighting (kernel audit 19k F4): the man page asks for clocks that
 * agree.
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
/* Two sightings of one frame are at most this apart: far more than a
 * path's delay between two capture points and their clocks' offset; a
 * header a segment sent again would have too, at most SAME_BYTES_WINDOW
 * apart. */
#define WINDOW (60 * FS_NS_PER_SEC)
#define SAME_BYTES_WINDOW FS_NS_PER_SEC

typedef struct {
    guint32 hdr_hash;  /* 0: empty */
    guint32 seq;
    guint32 ack;
    guint16 sport;
    guint16 dport;
    FsTime ts;
    guint32 source;
} Sighting;

/* A file's first and latest frame times. */
typedef struct {
    FsTime first;
    FsTime last;
    gboolean seen;
} Span;

struct FsCopies {
    Sighting slots[SLOTS];
    guint n_sources;
    Span *spans;  /* by source */
};

FsCopies *
fs_copies_new(guint sources)
{
    FsCopies *copies = g_new0(FsCopies, 1);

    copies->n_sources = MAX(sources, 1);
    copies->spans = g_new0(Span, copies->n_sources);
    return copies;
}

void
fs_copies_free(FsCopies *copies)
{
    if (copies == NULL)
        return;
    g_free(copies->spans);
    g_free(copies);
}

/* Files a and b each had a frame later than the other's first by more
 * than INTERLEAVE_MIN: two captures at once, not pieces of one (at a cut
 * a frame or two of the next piece may be stamped a little before the
 * last of the one before it: several queues, editcap on disordered
 * input; review 19 #3: 2 us). */
#define INTERLEAVE_MIN (10 * G_GINT64_CONSTANT(1000000))

static gboolean
interleave(const FsCopies *copies, guint32 a, guint32 b)
{
    const Span *x, *y;

    if (a >= copies->n_sources || b >= copies->n_sources)
        return FALSE;
    x = &copies->spans[a];
    y = &copies->spans[b];
    return x->seen && y->seen && x->last - y->first > INTERLEAVE_MIN &&
           y->last - x->first > INTERLEAVE_MIN;
}

gboolean
fs_copies_seen(FsCopies *copies, const FsSegment *seg)
{
    /* the hash's high bits: its low ones pick flow table slots too */
    Sighting *s = &copies->slots[seg->hdr_hash >> (32 - SLOT_BITS)];
    gboolean identified = seg->has_ts || seg->ip_ident;

    if (seg->source < copies->n_sources) {
        Span *span = &copies->spans[seg->source];

        if (!span->seen) {
            span->seen = TRUE;
            span->first = seg->ts;
        }
        span->last = MAX(span->last, seg->ts);
    }
    if (seg->hdr_hash == 0)
        return FALSE;
    if (s->hdr_hash == seg->hdr_hash && s->seq == seg->seq &&
        s->ack == seg->ack && s->sport == seg->sport &&
        s->dport == seg->dport && s->source != seg->source &&
        ABS(seg->ts - s->ts) <= (identified ? WINDOW : SAME_BYTES_WINDOW) &&
        interleave(copies, s->source, seg->source))
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
