/* finscope: the latest FIN of the connections that sent one lately, by
 * incarnation and sender, for a mirror port's copy of a FIN that comes
 * after a copy of another frame of the same sender.
 *
 * fs_detect_frame_twice() takes a frame for a copy when it has the
 * header hash of its sender's last frame. A mirror port that copies
 * each frame of a close twice can interleave them: the passive closer's
 * FIN, its copy, a copy of its earlier ACK, then the FIN's two copies
 * again (Arkime's wireshark-retrans capture: the same IP identification
 * on all four, 1 ms between the pairs, the peer silent). The third was
 * counted as a retransmitted FIN. Here each engine keeps the header hash
 * and time of the latest FIN a sender sent (in a few slots: a copy comes
 * within 1.5 ms, in which a new FIN of another connection seldom takes
 * the same slot; one that does only loses this test), and a FIN with
 * that hash again is a copy on fs_detect_frame_twice()'s windows: within
 * FS_DUPLICATE_FRAME_WINDOW, or within FS_DUPLICATE_FRAME_QUIET_WINDOW
 * with no frame of the peer's since, and no RST; no data of the
 * sender's between (fs_fin_copies_forget()). The hash covers the IP
 * identification and the TCP timestamps, so a FIN its stack sent again
 * (another identification, or timestamps ticked) is no copy
 * (PcapPlusPlus's sll2 capture: the same FIN twice, 90 us apart, two
 * identifications); one with the very same header (IPv6, or an
 * identification of 0, without timestamps) is taken for a copy within
 * those windows, as fs_detect_frame_twice() takes any frame. No memory
 * per connection, nothing to freeze: included by engine.c only. */
#ifndef FINSCOPE_FIN_COPIES_H
#define FINSCOPE_FIN_COPIES_H

#include <glib.h>

#include "finscope/conn.h"
#include "finscope/decode.h"
#include "finscope/detect.h"

#define FS_FIN_COPIES 256 /* slots, a power of two */

typedef struct {
    guint64 key;  /* incarnation id << 1 | sender's FsRole; 0: empty */
    FsTime ts;    /* when that FIN passed */
    guint32 hash; /* its header hash */
} FsFinSeen;

typedef struct {
    FsFinSeen slot[FS_FIN_COPIES];
} FsFinCopies;

static inline FsFinSeen *
fs_fin_copies_slot(FsFinCopies *c, const FsConn *conn, FsRole role,
                   guint64 *key)
{
    *key = conn->id << 1 | (guint64)role;
    return &c->slot[*key & (FS_FIN_COPIES - 1)];
}

/* seg, a FIN from role in conn, is a copy of the latest FIN that sender
 * sent (fs_fin_copies_note()), no data of its since
 * (fs_fin_copies_forget()). Not an RST (fs_detect_frame_twice() takes an
 * RST alone again, a port's answer to each of a burst). */
static inline gboolean
fs_fin_copies_seen(FsFinCopies *c, const FsConn *conn, FsRole role,
                   const FsSegment *seg)
{
    guint64 key;
    const FsFinSeen *s = fs_fin_copies_slot(c, conn, role, &key);
    FsTime since = seg->ts - s->ts;

    if (s->key != key || seg->hdr_hash == 0 || s->hash != seg->hdr_hash ||
        since < 0 || (seg->flags & FS_TH_RST))
        return FALSE;
    if (since <= FS_DUPLICATE_FRAME_WINDOW)
        return TRUE;
    /* the peer's last frame passed before that FIN */
    return since <= FS_DUPLICATE_FRAME_QUIET_WINDOW &&
           conn->last_hash_ts[fs_role_peer(role)] <= s->ts;
}

/* seg, a FIN from role in conn, was taken as sent (no copy). */
static inline void
fs_fin_copies_note(FsFinCopies *c, const FsConn *conn, FsRole role,
                   const FsSegment *seg)
{
    guint64 key;
    FsFinSeen *s = fs_fin_copies_slot(c, conn, role, &key);

    s->key = key;
    s->ts = seg->ts;
    s->hash = seg->hdr_hash;
}

/* seg from role in conn, not a copy of its FIN, carries data, sent no
 * earlier than that FIN (a copy of older data, in a capture that repeats
 * itself, dates nothing): no later FIN of that sender's is a copy of the
 * one before it. A stack that retransmitted data after its FIN (a fast
 * retransmit, RACK) may then retransmit the FIN with the same header
 * (IPv6, or an IP identification of 0, without TCP timestamps or before
 * they tick). Bare ACKs (the copies of one a mirror interleaves) leave
 * the FIN's slot, and so does an RST: its sender is gone and sends no
 * FIN again (nDPI's wow capture: the client's FIN, its RST, then a copy
 * of each). */
static inline void
fs_fin_copies_forget(FsFinCopies *c, const FsConn *conn, FsRole role,
                     const FsSegment *seg)
{
    guint64 key;
    FsFinSeen *s = fs_fin_copies_slot(c, conn, role, &key);

    if (s->key == key && seg->ts >= s->ts)
        s->key = 0;
}

#endif /* FINSCOPE_FIN_COPIES_H */
