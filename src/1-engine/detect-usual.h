/* finscope: fs_detect_segment()'s usual path, inline in the engine's
 * per-segment step (engine.c segment_step(), 766k calls on the bench's
 * medium): a call cost its frame and the verdict's stores through a
 * pointer, and the engine then tested what it knew (callgrind --threads 1
 * --json medium: 2,751.73M -> 2,735.96M instructions, -0.57%). The rest
 * stays in detect.c (fs_detect_segment_in_full()). */
#ifndef FINSCOPE_DETECT_USUAL_H
#define FINSCOPE_DETECT_USUAL_H

#include <glib.h>

#include "finscope/detect.h"

/* A verdict that processes seg on conn and asks nothing more. */
static inline FsDetectVerdict *
fs_detect_verdict_init(FsDetectVerdict *v, FsConn *conn, FsRole role,
                       const FsSegment *seg)
{
    v->conn = conn;
    v->role = role;
    v->skip = FALSE;
    v->prev = NULL;
    v->seg = seg;
    v->settle_acks = FALSE;
    v->ack_lost = FS_ROLE_NONE;
    v->reused = 0;
    v->gone = 0;
    v->rst_ends = 0;
    v->other_host = FALSE;
    v->actions_at = 0;
    fs_tcp_outcome_init(&v->events);
    return v;
}

/* c is closed as captured: reset, or both FINs acked (their ACKs may
 * not be proven yet). */
static inline gboolean
fs_detect_closed_as_captured(const FsConn *c)
{
    return c->rst_from != FS_ROLE_NONE ||
           (c->ep[FS_ROLE_CLIENT].fin_acked && c->ep[FS_ROLE_SERVER].fin_acked);
}

/* seg, from role, may be the first answer to the reusing SYN that
 * opened c (note_answer()). */
static inline gboolean
fs_detect_awaits_reuse_answer(const FsConn *c, FsRole role)
{
    return c->reuse.outcome == FS_REUSE_UNANSWERED &&
           role == FS_ROLE_SERVER && !c->ep[FS_ROLE_SERVER].seen;
}

/* fs_detect_segment() past its usual path (detect.c). */
FsDetectVerdict *fs_detect_segment_in_full(FsConn *cur, FsRole role,
                                           const FsSegment *seg,
                                           FsDetectVerdict *v);

/* fs_detect_segment(). Its usual path calls nothing (no registers to
 * save): a segment of the only incarnation of its flow (no older one to
 * judge it against), not the first answer to a reusing SYN, before both
 * FINs are acked and with no RST (late_after_close() has nothing to
 * say), not a frame captured twice: fs_detect_segment_in_full() would
 * only note its frame. */
static inline FsDetectVerdict *
fs_detect_segment_usual(FsConn *cur, FsRole role, const FsSegment *seg,
                        FsDetectVerdict *v)
{
    fs_detect_verdict_init(v, cur, role, seg);
    if (G_LIKELY(cur->older == NULL && !fs_detect_closed_as_captured(cur) &&
                 !fs_detect_awaits_reuse_answer(cur, role) &&
                 fs_detect_steady(cur, role, seg)))
        return v;
    return fs_detect_segment_in_full(cur, role, seg, v);
}

#endif /* FINSCOPE_DETECT_USUAL_H */
