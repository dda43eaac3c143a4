/* finscope: detectors across the incarnations of one 4-tuple — reuse
 * within 2*MSL, old duplicates, and frames captured twice. They judge and
 * return a verdict; they change no endpoint state (the engine has
 * tcpstate apply what a verdict asks). */
#ifndef FINSCOPE_DETECT_H
#define FINSCOPE_DETECT_H

#include <glib.h>
#include "finscope/conn.h"
#include "finscope/decode.h"
#include "finscope/tcpoutcome.h"
#include "finscope/tcpstate.h"

/* What the detectors found about one segment (or one new incarnation),
 * in the order the engine applies it: first the events before
 * actions_at, then the actions on prev (settle_acks, ack_lost, reused,
 * gone, rst_ends: tcpstate steps at seg's time), then the other events;
 * then, unless skip, the segment itself through the state machine of
 * conn. */
typedef struct {
    FsConn *conn;         /* incarnation the segment belongs to */
    FsRole role;          /* the segment's sender's role in conn */
    gboolean skip;        /* counted (duplicate frame, old duplicate) only */
    FsConn *prev;         /* incarnation the actions concern, or NULL */
    const FsSegment *seg; /* the segment judged (the caller's); the
                             actions happen at its time */
    gboolean settle_acks; /* prev's ACKs of FINs decided (an answer to a
                             reusing SYN proves them) */
    int ack_lost;         /* FsRole in prev whose final ACK never arrived
                             (it answered from LAST_ACK), or FS_ROLE_NONE */
    guint8 reused;        /* bit 1 << FsRole per endpoint of prev whose
                             TIME_WAIT the new incarnation takes over
                             (if in TIME_WAIT once the ACKs are settled) */
    gboolean other_host;  /* prev's client, in TIME_WAIT, is not the host
                             that sent the SYN from its address and port
                             (another clock stamped it): not taken over
                             (fs_tcpstate_other_host()) */
    guint8 gone;          /* bit 1 << FsRole per endpoint of prev that
                             sent the new incarnation's SYN from a state
                             no connect() leaves: its socket had ended */
    guint8 rst_ends;      /* bit 1 << FsRole per endpoint of prev that
                             answered the reusing SYN with an RST acking
                             it: that reply ended its connection (RFC 793
                             §3.9 on a SYN in the window: "send a reset
                             ... enter the CLOSED state"; Linux's orphaned
                             FIN_WAIT_2 on a SYN at or past RCV.NXT) */
    guint actions_at;     /* events[] before the actions */
    FsTcpOutcome events;  /* the detectors' own events, in order */
} FsDetectVerdict;

/* Frees what the verdict's events allocated. */
void fs_detect_verdict_clear(FsDetectVerdict *v);

/* TRUE if v has events or actions (most segments' have neither). */
static inline gboolean
fs_detect_verdict_acts(const FsDetectVerdict *v)
{
    return fs_tcp_outcome_len(&v->events) > 0 ||
           (v->prev != NULL && (v->settle_acks ||
                                v->ack_lost != FS_ROLE_NONE ||
                                v->reused != 0 || v->gone != 0 ||
                                v->rst_ends != 0 || v->other_host));
}

/* Records how conn, a new incarnation opened by seg (a SYN), reuses the
 * 4-tuple of prev: who still held state, whether the SYN was safe by the
 * rules of RFC 1122 §4.2.2.13 and RFC 6191. Fills v and returns it. */
FsDetectVerdict *fs_detect_reuse(FsConn *prev, FsConn *conn,
                                 const FsSegment *seg, FsDetectVerdict *v);

/* Picks the incarnation a segment belongs to (conn is the newest of its
 * 4-tuple, older ones by conn->older; role the sender's FsRole in it) by
 * sequence space, judges old duplicates and duplicate frames, and notes
 * the answer to a reusing SYN. Fills v and returns it. */
FsDetectVerdict *fs_detect_segment(FsConn *conn, FsRole role,
                                   const FsSegment *seg, FsDetectVerdict *v);

/* fs_detect_segment() for a frame another capture file already held
 * (copies.h): a duplicate frame of conn (role its sender's), skipped. */
FsDetectVerdict *fs_detect_copy(FsConn *conn, FsRole role,
                                const FsSegment *seg, FsDetectVerdict *v);

/* seg, from role, is a frame captured twice (fs_detect_frame_twice() or
 * the engine's own test): counted on conn as a duplicate frame (its
 * event once), skipped. Fills v and returns it. */
FsDetectVerdict *fs_detect_twice(FsConn *conn, FsRole role,
                                 const FsSegment *seg, FsDetectVerdict *v);

/* Two copies of a frame within this are one frame seen on two interfaces
 * (a capture artefact), not a retransmission: RTOs are 200 ms and up. */
#define FS_DUPLICATE_FRAME_WINDOW (200 * G_GINT64_CONSTANT(1000))
/* Within this, when the peer sent nothing between them and it is no
 * RST: a mirror port that copies each frame a millisecond later (public
 * captures show 0.3 to 1 ms). No stack sends the same header again so
 * soon unprompted: Linux's tail loss probe waits 2 ms at least
 * (TCP_TIMEOUT_MIN), an RTO 200 ms, and a fast retransmit answers the
 * peer's duplicate ACKs. A port without the connection answers each of
 * a burst of segments with the same RST (<SEQ=SEG.ACK>). */
#define FS_DUPLICATE_FRAME_QUIET_WINDOW (1500 * G_GINT64_CONSTANT(1000))

/* seg is a frame captured twice: the header hash (0: none) its sender's
 * last frame had, within FS_DUPLICATE_FRAME_WINDOW of it (an RST only
 * with no frame of the peer since: a port answers each of a burst with
 * the same RST), or within FS_DUPLICATE_FRAME_QUIET_WINDOW, no RST,
 * with no frame of the peer since. */
static inline gboolean
fs_detect_frame_twice(const FsConn *conn, FsRole role, const FsSegment *seg)
{
    FsTime since = seg->ts - conn->last_hash_ts[role];
    gboolean peer_quiet;

    if (seg->hdr_hash == 0 || conn->last_hash[role] != seg->hdr_hash)
        return FALSE;
    peer_quiet = conn->last_hash_ts[fs_role_peer(role)] <=
                 conn->last_hash_ts[role];
    if (since <= FS_DUPLICATE_FRAME_WINDOW)
        return peer_quiet || !(seg->flags & FS_TH_RST);
    return since <= FS_DUPLICATE_FRAME_QUIET_WINDOW &&
           !(seg->flags & FS_TH_RST) && peer_quiet;
}

/* fs_detect_segment() for a segment the engine's lean path holds
 * (fs_tcpstate_steady(), conn the only incarnation of its 4-tuple):
 * there it only notes the frame's header hash, unless the frame is one
 * captured twice. TRUE if so noted (the verdict would process seg on
 * conn and ask nothing more); FALSE, conn untouched, for a duplicate
 * frame: fs_detect_segment() judges it. */
static inline gboolean
fs_detect_steady(FsConn *conn, FsRole role, const FsSegment *seg)
{
    if (fs_detect_frame_twice(conn, role, seg))
        return FALSE;
    conn->last_hash[role] = seg->hdr_hash;
    conn->last_hash_ts[role] = seg->ts;
    return TRUE;
}

const char *fs_reuse_outcome_name(FsReuseOutcome outcome);

#endif /* FINSCOPE_DETECT_H */
