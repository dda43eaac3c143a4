/* finscope: the state machine's steady state (tcpstate.h,
 * fs_tcpstate_steady()), inline where the engine's lean path runs it
 * (engine.c, lean_segment()): the test that a segment cannot change a
 * close, the step that does to the connection what fs_tcpstate_segment()
 * would, and the few updates of an endpoint's that the full path
 * (tcpstate.c, segment_step()) shares with that step. tcpstate.c's
 * fs_tcpstate_steady() and fs_tcpstate_steady_step() are these, for the
 * tests (tests/test-steady checks the step against the full path). */
#ifndef FINSCOPE_STEADY_H
#define FINSCOPE_STEADY_H

#include <glib.h>
#include "finscope/conn.h"
#include "finscope/decode.h"
#include "finscope/seq.h"
#include "inline.h"

/* The sender's timestamps: its first TSval, and its last unless seg's
 * is older (a reordered or old segment). */
static inline void
fs_endpoint_note_tsval(FsEndpoint *self, const FsSegment *seg)
{
    if (seg->has_ts && (!self->ts_seen ||
                        !fs_ts_older(seg->tsval, self->last_tsval))) {
        if (!self->ts_seen)
            self->first_tsval = seg->tsval;
        self->last_tsval = seg->tsval;
        self->ts_seen = 1;
    }
}

/* A bare segment at snd_nxt from an endpoint its peer acked one past
 * (unseen_fin_acked), mid-connection (no ISN seen): no FIN took that
 * number (what follows a FIN comes one later). A keep-alive, whose seq
 * is SND.NXT - 1 (RFC 9293 §3.8.4; the capture began at one): SND.NXT
 * is one more, and that ACK acked no FIN. The full path's (no FIN sent,
 * no SYN, FIN or RST in seg) and the steady step's. */
static inline void
fs_endpoint_keepalive(FsEndpoint *self, const FsSegment *seg)
{
    if (G_UNLIKELY(self->unseen_fin_acked) && seg->payload_len == 0 &&
        seg->seq == self->snd_nxt && !self->isn_known) {
        self->snd_nxt++;
        self->unseen_fin_acked = 0;
    }
}

/* RTT probes (tcpstate.c: one leg per endpoint; Karn's rule: a probe
 * that was sent again measures nothing). seg, from self (its SND.NXT
 * before seg: old_snd_nxt), sent again what rcv's probe waits for, or
 * starts one at rcv. */
static inline void
fs_rtt_probe_start(const FsEndpoint *self, FsEndpoint *rcv,
                   const FsSegment *seg, guint32 old_snd_nxt)
{
    if (fs_seq_lt(seg->seq, old_snd_nxt) && rcv->probe_ts != FS_TIME_UNSET &&
        fs_seq_gt(rcv->probe_end, seg->seq)) {
        rcv->probe_ts = FS_TIME_UNSET; /* sent again: ambiguous */
        return;
    }
    if (rcv->probe_ts == FS_TIME_UNSET && fs_seq_gt(self->snd_nxt,
                                                    old_snd_nxt)) {
        rcv->probe_end = self->snd_nxt;
        rcv->probe_ts = seg->ts;
    }
}

/* seg, from self, answers self's probe: its leg measured. */
static inline void
fs_rtt_probe_answer(FsEndpoint *self, const FsSegment *seg)
{
    FsTime leg;

    if (self->probe_ts == FS_TIME_UNSET || !(seg->flags & FS_TH_ACK) ||
        (seg->flags & FS_TH_RST) || fs_seq_lt(seg->ack, self->probe_end))
        return;
    leg = MAX(seg->ts - self->probe_ts, FS_NS_PER_USEC) / FS_NS_PER_USEC;
    if (self->rtt_leg_us == 0 || leg < self->rtt_leg_us)
        self->rtt_leg_us = (guint32)MIN(leg, G_MAXUINT32);
    self->probe_ts = FS_TIME_UNSET;
}

/* fs_tcpstate_steady(). It and fs_steady_step() are inline in the
 * engine's lean path whatever the inlining budget: as calls to
 * tcpstate.c they cost 37.6M instructions more on the bench's medium
 * (1.59M and 1.25M of them, 1.29% of all); inline, the segment's
 * shape is lean_segment()'s test already and the sender's endpoints are
 * chosen once, with no frame or saved registers. Left to itself, GCC
 * inlines this one but keeps fs_steady_step() apart (9.7M more). */
static inline ALWAYS_INLINE gboolean
fs_steady_holds(const FsConn *conn, FsRole sender, const FsSegment *seg)
{
    const FsEndpoint *peer = FS_ENDPOINT(conn, fs_role_peer(sender));

    if (!fs_segment_ack_alone(seg) || conn->rst_from != FS_ROLE_NONE)
        return FALSE;
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        const FsEndpoint *ep = &conn->ep[r];

        if (ep->state != FS_TCP_ESTABLISHED || !ep->seen || ep->fin_sent ||
            ep->fin_pending || ep->ack_pending || ep->recv_fin ||
            ep->fin_acked || ep->fin_gap || ep->ack_carrier_seen ||
            ep->undecided != FS_UNDECIDED_NONE)
            return FALSE;
    }
    /* an ACK beyond what the peer sent is capture loss (on_ack) */
    return seg->ack == peer->snd_nxt + 1 ||
           fs_seq_leq(seg->ack, peer->snd_nxt);
}

/* fs_tcpstate_segment() on a segment fs_steady_holds() accepts, step by
 * step: with no FIN, RST or SYN on either side and both ends
 * ESTABLISHED, illegal_flags(), stale_ack(), old_duplicate_syn(),
 * earlier_fin_arrived(), on_handshake_ack(), prove_ack_arrival() and
 * note_ack_carrier() do nothing, note_sender() only records the window
 * and timestamps, and on_ack() and on_payload() only their counters;
 * nothing is emitted (fs_tcpstate_steady_step(); tests/test-steady
 * checks the two agree). Inline whatever the inlining budget, as
 * above. */
static inline ALWAYS_INLINE void
fs_steady_step(FsConn *conn, FsRole sender, const FsSegment *seg)
{
    FsEndpoint *self = FS_ENDPOINT(conn, sender);
    FsEndpoint *peer = FS_ENDPOINT(conn, fs_role_peer(sender));
    guint32 old_snd_nxt = self->snd_nxt;
    guint32 end = seg->seq + seg->payload_len;

    /* note_sender(), keepalive_seen() */
    self->rcv_wnd = (guint32)seg->window << self->wscale;
    fs_endpoint_note_tsval(self, seg);
    fs_endpoint_keepalive(self, seg);
    fs_rtt_probe_answer(self, seg);
    /* on_ack() */
    if (!self->ack_seen || fs_seq_gt(seg->ack, self->max_ack))
        self->max_ack = seg->ack;
    self->ack_seen = 1;
    if (seg->ack == peer->snd_nxt + 1)
        peer->unseen_fin_acked = 1;
    /* on_payload() */
    if (seg->payload_len > 0) {
        self->bytes += seg->payload_len;
        self->last_payload_time = seg->ts;
    }
    /* advance_snd_nxt() */
    if (fs_seq_gt(end, self->snd_nxt))
        self->snd_nxt = end;
    fs_rtt_probe_start(self, peer, seg, old_snd_nxt);
}

#endif /* FINSCOPE_STEADY_H */
