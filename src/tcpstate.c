/* finscope: per-endpoint TCP close-state machine (RFC 9293 §3.3.2).
 *
 * A captured segment is taken as delivered when it is seen (the sensor's
 * vantage point); acknowledgment numbers then prove or correct that
 * view: a FIN whose ack does not cover the peer's earlier FIN was sent
 * before its sender had received that FIN (simultaneous close). */
#include "config.h"

#include <glib.h>

#include "finscope/conn.h"
#include "finscope/decode.h"
#include "finscope/event.h"
#include "finscope/seq.h"
#include "finscope/tcpstate.h"

static const char *const state_names[FS_TCP_N_STATES] = {
    [FS_TCP_UNKNOWN] = "UNKNOWN",
    [FS_TCP_SYN_SENT] = "SYN_SENT",
    [FS_TCP_SYN_RECEIVED] = "SYN_RECEIVED",
    [FS_TCP_ESTABLISHED] = "ESTABLISHED",
    [FS_TCP_FIN_WAIT_1] = "FIN_WAIT_1",
    [FS_TCP_FIN_WAIT_2] = "FIN_WAIT_2",
    [FS_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
    [FS_TCP_CLOSING] = "CLOSING",
    [FS_TCP_LAST_ACK] = "LAST_ACK",
    [FS_TCP_TIME_WAIT] = "TIME_WAIT",
    [FS_TCP_CLOSED] = "CLOSED",
};

const char *
fs_tcp_state_name(FsTcpState state)
{
    g_return_val_if_fail(state < FS_TCP_N_STATES, "?");
    return state_names[state];
}

const char *
fs_cause_name(FsCause cause)
{
    switch (cause) {
    case FS_CAUSE_SEND_SYN:          return "send_syn";
    case FS_CAUSE_RECV_SYN:          return "recv_syn";
    case FS_CAUSE_HANDSHAKE_DONE:    return "handshake_done";
    case FS_CAUSE_SEND_FIN:          return "send_fin";
    case FS_CAUSE_RECV_FIN:          return "recv_fin";
    case FS_CAUSE_FIN_ACKED:         return "fin_acked";
    case FS_CAUSE_SEND_RST:          return "send_rst";
    case FS_CAUSE_RECV_RST:          return "recv_rst";
    case FS_CAUSE_TIME_WAIT_EXPIRED: return "time_wait_expired";
    case FS_CAUSE_ACK_LOST:          return "ack_lost";
    case FS_CAUSE_REUSED:            return "reused";
    }
    g_return_val_if_reached("?");
}

/* What one step needs to emit events. */
typedef struct {
    FsConn *conn;
    const FsSegment *seg; /* NULL when a timer, not a segment, acts */
    FsTime ts;            /* when it happened */
    const FsTcpConfig *cfg;
    FsEmitFunc emit;
    gpointer user;
} Step;

static void
emit_event_value(const Step *st, FsEventKind kind, int role, guint32 seq,
                 const char *detail, gint64 value)
{
    FsEvent ev = {
        .ts = st->ts,
        .conn = st->conn,
        .conn_id = st->conn->id,
        .kind = kind,
        .role = (gint8)role,
        .seq = seq,
        .detail = detail,
        .value = value,
        .frame = st->seg != NULL ? st->seg->frame : 0,
        .source = st->seg != NULL ? st->seg->source : 0,
    };

    if (st->emit != NULL)
        st->emit(&ev, st->user);
}

static void
emit_event(const Step *st, FsEventKind kind, int role, guint32 seq,
           const char *detail)
{
    emit_event_value(st, kind, role, seq, detail, 0);
}

static void
set_state(const Step *st, FsRole role, FsTcpState to, FsCause cause)
{
    FsEndpoint *ep = &st->conn->ep[role];
    FsEvent ev = {
        .ts = st->ts,
        .conn = st->conn,
        .conn_id = st->conn->id,
        .kind = FS_EV_STATE,
        .role = (gint8)role,
        .transition = { ep->state, to, cause },
        .frame = st->seg != NULL ? st->seg->frame : 0,
        .source = st->seg != NULL ? st->seg->source : 0,
    };

    if (ep->state == to)
        return;
    ep->state = to;
    ep->state_since = st->ts;
    if (to == FS_TCP_TIME_WAIT)
        ep->time_wait_since = st->ts;
    if (st->emit != NULL)
        st->emit(&ev, st->user);
}

void
fs_tcpstate_force(FsConn *conn, int role, FsTcpState to, FsCause cause,
                  FsTime ts, FsEmitFunc emit, gpointer user)
{
    Step st = { conn, NULL, ts, NULL, emit, user };

    set_state(&st, (FsRole)role, to, cause);
}

/* Flag mixes no conforming stack sends. SYN+FIN and SYN+RST are dropped by
 * receivers (RFC 9293 §3.10.7); a FIN or data without ACK likewise, since
 * every segment after the handshake carries ACK (§3.10.7.4, "fifth"). */
static const char *
illegal_flags(const FsSegment *seg)
{
    guint8 f = seg->flags;

    if ((f & (FS_TH_SYN | FS_TH_FIN)) == (FS_TH_SYN | FS_TH_FIN))
        return "SYN+FIN";
    if ((f & (FS_TH_SYN | FS_TH_RST)) == (FS_TH_SYN | FS_TH_RST))
        return "SYN+RST";
    if ((f & (FS_TH_FIN | FS_TH_RST)) == (FS_TH_FIN | FS_TH_RST))
        return "FIN+RST";
    if ((f & (FS_TH_SYN | FS_TH_RST | FS_TH_FIN | FS_TH_ACK)) == 0)
        return "no SYN, ACK, FIN or RST";
    if ((f & FS_TH_FIN) && !(f & FS_TH_ACK))
        return "FIN without ACK";
    return NULL;
}

/* A segment that a receiver would drop outright changes no state. */
static gboolean
is_dropped_by_receivers(const FsSegment *seg)
{
    guint8 f = seg->flags;

    return (f & FS_TH_SYN) ? (f & (FS_TH_FIN | FS_TH_RST)) != 0
                           : (f & (FS_TH_ACK | FS_TH_RST)) == 0;
}

/* Handshake (RFC 9293 §3.5): only what the close analysis needs. */
static void
on_syn(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsEndpoint *self = &st->conn->ep[sender];
    FsRole peer = fs_role_peer(sender);

    if (!self->isn_known) {
        self->isn = seg->seq;
        self->isn_known = 1;
    }
    if (!(seg->flags & FS_TH_ACK)) {
        st->conn->syn_seen = 1;
        set_state(st, sender, FS_TCP_SYN_SENT, FS_CAUSE_SEND_SYN);
        return;
    }
    set_state(st, sender, FS_TCP_SYN_RECEIVED, FS_CAUSE_RECV_SYN);
    if (st->conn->ep[peer].state == FS_TCP_SYN_SENT ||
        st->conn->ep[peer].state == FS_TCP_UNKNOWN)
        set_state(st, peer, FS_TCP_ESTABLISHED, FS_CAUSE_HANDSHAKE_DONE);
}

/* The receiver of a FIN: RFC 9293 §3.10.7.4, "eighth, check the FIN bit". */
static void
on_recv_fin(const Step *st, FsRole role)
{
    FsEndpoint *ep = &st->conn->ep[role];

    if (ep->recv_fin)
        return;
    ep->recv_fin = 1;
    switch (ep->state) {
    case FS_TCP_UNKNOWN:
    case FS_TCP_SYN_SENT:
    case FS_TCP_SYN_RECEIVED:
    case FS_TCP_ESTABLISHED:
        set_state(st, role, FS_TCP_CLOSE_WAIT, FS_CAUSE_RECV_FIN);
        break;
    case FS_TCP_FIN_WAIT_1:
        set_state(st, role, FS_TCP_CLOSING, FS_CAUSE_RECV_FIN);
        break;
    case FS_TCP_FIN_WAIT_2:
        set_state(st, role, FS_TCP_TIME_WAIT, FS_CAUSE_RECV_FIN);
        break;
    case FS_TCP_CLOSE_WAIT:
    case FS_TCP_CLOSING:
    case FS_TCP_LAST_ACK:
    case FS_TCP_TIME_WAIT:
    case FS_TCP_CLOSED:
    case FS_TCP_N_STATES:
        break;
    }
}

/* The sender of a FIN gets its ACK: FIN-WAIT-1, CLOSING and LAST-ACK
 * processing of RFC 9293 §3.10.7.4, "fifth, check the ACK field". */
static void
on_fin_acked(const Step *st, FsRole role)
{
    FsEndpoint *ep = &st->conn->ep[role];

    ep->fin_acked = 1;
    ep->fin_acked_time = st->ts;
    switch (ep->state) {
    case FS_TCP_FIN_WAIT_1:
        set_state(st, role, FS_TCP_FIN_WAIT_2, FS_CAUSE_FIN_ACKED);
        break;
    case FS_TCP_CLOSING:
        set_state(st, role, FS_TCP_TIME_WAIT, FS_CAUSE_FIN_ACKED);
        break;
    case FS_TCP_LAST_ACK:
        set_state(st, role, FS_TCP_CLOSED, FS_CAUSE_FIN_ACKED);
        break;
    default:
        break;
    }
}

/* ACK processing: proves what the sender received and what the peer's
 * FIN reached. RST acks are not trusted (RFC 5961 §3). */
static gboolean
on_ack(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsConn *conn = st->conn;
    FsEndpoint *self = &conn->ep[sender];
    FsEndpoint *peer = &conn->ep[fs_role_peer(sender)];
    gboolean acked_fin_now = FALSE;

    if (!self->ack_seen || fs_seq_gt(seg->ack, self->max_ack))
        self->max_ack = seg->ack;
    self->ack_seen = 1;
    if (peer->fin_sent && !peer->fin_acked &&
        fs_seq_geq(seg->ack, peer->fin_seq + 1)) {
        on_recv_fin(st, sender);
        on_fin_acked(st, fs_role_peer(sender));
        acked_fin_now = TRUE;
        if (self->fin_acked && conn->close_done_time == 0 &&
            conn->rst_from == FS_ROLE_NONE)
            conn->close_done_time = seg->ts;
    } else if (peer->seen && !peer->fin_sent &&
               seg->ack == peer->snd_nxt + 1) {
        /* Perhaps a FIN not captured yet: judged when the peer's FIN
         * shows up or the incarnation ends (fs_tcpstate_expire). */
        peer->unseen_fin_acked = 1;
    } else if (peer->seen && fs_seq_gt(seg->ack, peer->snd_nxt) &&
               !peer->fin_sent) {
        if (conn->capture_loss++ == 0)
            emit_event(st, FS_EV_CAPTURE_LOSS, fs_role_peer(sender),
                       seg->ack, "ACK for bytes never captured");
    }
    return acked_fin_now;
}

/* Payload after a FIN: the peer's (half-close, legal) or its own. */
static void
on_payload(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsEndpoint *self = &st->conn->ep[sender];
    const FsEndpoint *peer = &st->conn->ep[fs_role_peer(sender)];
    guint32 end = seg->seq + seg->payload_len;

    self->bytes += seg->payload_len;
    if (self->fin_sent && fs_seq_gt(end, self->fin_seq)) {
        if (self->bytes_after_own_fin == 0)
            emit_event(st, FS_EV_DATA_AFTER_FIN, sender, seg->seq,
                       "payload beyond the sender's own FIN");
        self->bytes_after_own_fin += seg->payload_len;
        return;
    }
    /* Half-close: the ack proves the peer's FIN had arrived; only bytes
     * never sent before count (not retransmissions). */
    if (peer->fin_sent && (seg->flags & FS_TH_ACK) &&
        fs_seq_geq(seg->ack, peer->fin_seq + 1) &&
        fs_seq_gt(end, self->snd_nxt)) {
        guint32 fresh = fs_seq_lt(seg->seq, self->snd_nxt)
                            ? end - self->snd_nxt
                            : seg->payload_len;
        if (self->bytes_after_peer_fin == 0)
            emit_event(st, FS_EV_HALF_CLOSE, sender, seg->seq,
                       "data sent after the peer's FIN");
        self->bytes_after_peer_fin += fresh;
    }
}

/* The peer's FIN, already captured, acknowledged this FIN: the capture
 * saw them in the opposite order (vantage point, or reordering). Replay
 * in the order the ack numbers prove: this FIN first, then the peer's
 * FIN carrying its ACK (a three-way close). */
static void
fin_captured_late(const Step *st, FsRole sender)
{
    FsConn *conn = st->conn;
    FsRole peer_role = fs_role_peer(sender);
    FsEndpoint *peer = &conn->ep[peer_role];

    conn->three_way_close = 1;
    peer->unseen_fin_acked = 0;
    set_state(st, sender, FS_TCP_FIN_WAIT_1, FS_CAUSE_SEND_FIN);
    set_state(st, peer_role, FS_TCP_LAST_ACK, FS_CAUSE_SEND_FIN);
    on_fin_acked(st, sender);
    conn->ep[sender].recv_fin = 0;
    on_recv_fin(st, sender);
}

static void
on_first_fin(const Step *st, FsRole sender, gboolean acked_peer_fin_now)
{
    const FsSegment *seg = st->seg;
    FsConn *conn = st->conn;
    FsEndpoint *self = &conn->ep[sender];
    const FsEndpoint *peer = &conn->ep[fs_role_peer(sender)];
    gboolean covers_peer_fin = (seg->flags & FS_TH_ACK) && peer->fin_sent &&
                               fs_seq_geq(seg->ack, peer->fin_seq + 1);

    if (fs_seq_gt(seg->seq, self->snd_nxt)) {
        conn->fin_beyond_data = 1;
        conn->capture_loss++;
        emit_event(st, FS_EV_FIN_BEYOND_DATA, sender, seg->seq,
                   "FIN past the highest data captured: bytes missed");
    }
    self->fin_sent = 1;
    self->fin_seq = seg->seq + seg->payload_len;
    self->fin_ack = seg->ack;
    self->fin_time = seg->ts;
    self->last_fin_time = seg->ts;
    self->fin_count = 1;
    emit_event(st, FS_EV_FIN, sender, self->fin_seq, NULL);

    if (peer->fin_sent && fs_seq_geq(peer->fin_ack, self->fin_seq + 1)) {
        fin_captured_late(st, sender);
        return;
    }
    if (peer->fin_sent && !covers_peer_fin) {
        /* Sent before the peer's FIN arrived: it left FIN-WAIT-1 for
         * CLOSING when that FIN came in (RFC 9293 §3.6, simultaneous). */
        if (!conn->simultaneous)
            emit_event(st, FS_EV_SIMULTANEOUS_CLOSE, sender, self->fin_seq,
                       "each FIN sent before the peer's FIN arrived");
        conn->simultaneous = 1;
        set_state(st, sender, self->recv_fin ? FS_TCP_CLOSING
                                             : FS_TCP_FIN_WAIT_1,
                  FS_CAUSE_SEND_FIN);
        return;
    }
    /* Its FIN carried the first ACK of the peer's FIN: FIN, FIN+ACK, ACK. */
    if (acked_peer_fin_now)
        conn->three_way_close = 1;
    set_state(st, sender,
              self->state == FS_TCP_CLOSE_WAIT ? FS_TCP_LAST_ACK
                                               : FS_TCP_FIN_WAIT_1,
              FS_CAUSE_SEND_FIN);
}

/* A FIN re-sent after the capture showed its ACK: that ACK never reached
 * the sender, which is still where it was before it (LAST_ACK, CLOSING,
 * FIN_WAIT_1); the next ACK decides again. */
static void
ack_was_lost(const Step *st, FsRole sender)
{
    FsEndpoint *self = &st->conn->ep[sender];
    FsTcpState back = self->state;

    self->fin_acked = 0;
    self->fin_acked_lost = 1;
    st->conn->close_done_time = 0; /* not done until an ACK gets through */
    switch (self->state) {
    case FS_TCP_CLOSED:      back = FS_TCP_LAST_ACK; break;
    case FS_TCP_TIME_WAIT:   back = FS_TCP_CLOSING; break;
    case FS_TCP_FIN_WAIT_2:  back = FS_TCP_FIN_WAIT_1; break;
    default: break;
    }
    if (back == FS_TCP_CLOSING)
        self->time_wait_since = 0;
    set_state(st, sender, back, FS_CAUSE_ACK_LOST);
}

/* The same FIN again (RFC 9293 §3.8.1 retransmission). When the capture
 * already showed its ACK, that ACK was lost beyond the sensor: for the
 * passive closer's FIN, the final ACK of the close. */
static void
on_fin_again(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsConn *conn = st->conn;
    FsEndpoint *self = &conn->ep[sender];

    if (seg->seq + seg->payload_len != self->fin_seq)
        return;
    self->fin_count++;
    self->prev_fin_time = self->last_fin_time;
    self->last_fin_time = seg->ts;
    emit_event_value(st, FS_EV_FIN_RETRANSMIT, sender, self->fin_seq,
                     self->fin_acked
                         ? "its ACK was captured: lost after the sensor"
                         : "FIN or its ACK lost before the sensor",
                     seg->ts - self->prev_fin_time);
    if (!self->fin_acked)
        return;
    if (conn->ep[fs_role_peer(sender)].fin_sent &&
        fs_seq_geq(self->fin_ack,
                   conn->ep[fs_role_peer(sender)].fin_seq + 1)) {
        conn->final_ack_lost++;
        emit_event(st, FS_EV_FINAL_ACK_LOST, fs_role_peer(sender),
                   self->fin_seq,
                   "passive closer re-sent its FIN after the final ACK");
    }
    ack_was_lost(st, sender);
}

/* What an RST says beyond "abort": sent after the sender's own FIN
 * (closing with unread data, SO_LINGER 0 after shutdown), or in answer
 * to the peer's re-sent FIN — RST.seq is that FIN's ack (RFC 9293
 * §3.10.7.1) — which means the active closer held no TIME_WAIT. */
static void
rst_meaning(const Step *st, FsRole sender)
{
    FsConn *conn = st->conn;
    FsEndpoint *self = &conn->ep[sender];
    FsEndpoint *peer = &conn->ep[fs_role_peer(sender)];

    if (peer->fin_sent && peer->fin_count > 1 &&
        st->seg->seq == peer->fin_ack && self->fin_sent) {
        conn->rst_answers_fin = 1;
        self->time_wait_since = 0;
        emit_event(st, FS_EV_RST_ANSWERS_FIN, sender, st->seg->seq,
                   "active closer answered the re-sent FIN with RST: "
                   "it held no TIME_WAIT");
    } else if (self->fin_sent && self->rst_count == 1 &&
               self->state != FS_TCP_CLOSED) {
        emit_event(st, FS_EV_RST_AFTER_FIN, sender, st->seg->seq,
                   fs_tcp_state_name(self->state));
    }
}

/* RST: its sender is gone; its receiver too, except a TIME-WAIT that
 * follows RFC 1337 and ignores it (Linux: net.ipv4.tcp_rfc1337). */
static void
on_rst(const Step *st, FsRole sender)
{
    FsConn *conn = st->conn;
    FsEndpoint *self = &conn->ep[sender];
    FsRole peer_role = fs_role_peer(sender);
    FsEndpoint *peer = &conn->ep[peer_role];

    self->rst_count++;
    rst_meaning(st, sender);
    if (conn->rst_from == FS_ROLE_NONE) {
        conn->rst_from = (gint8)sender;
        conn->rst_time = st->ts;
        conn->rst_state = (guint8)self->state;
        conn->rst_peer_state = (guint8)peer->state;
        emit_event(st, FS_EV_RST, sender, st->seg->seq,
                   fs_tcp_state_name(self->state));
    }
    set_state(st, sender, FS_TCP_CLOSED, FS_CAUSE_SEND_RST);
    if (peer->state == FS_TCP_TIME_WAIT) {
        if (st->cfg->rfc1337)
            return;
        conn->tw_assassinated = 1;
        emit_event(st, FS_EV_TIME_WAIT_ASSASSINATED, peer_role, st->seg->seq,
                   "RST accepted in TIME_WAIT (RFC 1337 hazard)");
    }
    set_state(st, peer_role, FS_TCP_CLOSED, FS_CAUSE_RECV_RST);
}

/* The handshake's last ACK: SYN-RECEIVED to ESTABLISHED (§3.5). */
static void
on_handshake_ack(const Step *st, FsRole sender)
{
    FsRole peer = fs_role_peer(sender);
    const FsEndpoint *ep = &st->conn->ep[peer];

    if (ep->state == FS_TCP_SYN_RECEIVED && ep->isn_known &&
        fs_seq_geq(st->seg->ack, ep->isn + 1))
        set_state(st, peer, FS_TCP_ESTABLISHED, FS_CAUSE_HANDSHAKE_DONE);
}

static void
note_sender(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsEndpoint *self = &st->conn->ep[sender];

    if (!self->seen) {
        self->seen = 1;
        self->snd_nxt = seg->seq;
        if (!(seg->flags & (FS_TH_SYN | FS_TH_RST)) &&
            self->state == FS_TCP_UNKNOWN)
            set_state(st, sender, FS_TCP_ESTABLISHED,
                      FS_CAUSE_HANDSHAKE_DONE);
    }
    if (seg->flags & FS_TH_SYN) {
        self->wscale = seg->wscale == FS_WSCALE_NONE ? 0 : seg->wscale;
        if ((seg->flags & FS_TH_ACK) && seg->wscale == FS_WSCALE_NONE)
            st->conn->ep[fs_role_peer(sender)].wscale = 0;
    }
    if (!(seg->flags & FS_TH_RST))
        self->rcv_wnd = (guint32)seg->window
                        << ((seg->flags & FS_TH_SYN) ? 0 : self->wscale);
    if (seg->has_ts && (!self->ts_seen ||
                        !fs_ts_older(seg->tsval, self->last_tsval))) {
        if (!self->ts_seen)
            self->first_tsval = seg->tsval;
        self->last_tsval = seg->tsval;
        self->ts_seen = 1;
    }
}

static void
advance_snd_nxt(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsEndpoint *self = &st->conn->ep[sender];
    guint32 end = seg->seq + seg->payload_len +
                  ((seg->flags & FS_TH_SYN) ? 1 : 0) +
                  ((seg->flags & FS_TH_FIN) ? 1 : 0);

    if (seg->flags & FS_TH_RST)
        return;
    if (fs_seq_gt(end, self->snd_nxt))
        self->snd_nxt = end;
}

void
fs_tcpstate_segment(FsConn *conn, int sender_role, const FsSegment *seg,
                    const FsTcpConfig *cfg, FsEmitFunc emit, gpointer user)
{
    Step st = { conn, seg, seg->ts, cfg, emit, user };
    FsRole sender = (FsRole)sender_role;
    const char *illegal = illegal_flags(seg);
    gboolean acked_peer_fin = FALSE;

    g_return_if_fail(sender_role == FS_ROLE_CLIENT ||
                     sender_role == FS_ROLE_SERVER);
    if (illegal != NULL) {
        conn->illegal_flags++;
        emit_event(&st, FS_EV_ILLEGAL_FLAGS, sender, seg->seq, illegal);
        if (is_dropped_by_receivers(seg))
            return;
    }
    note_sender(&st, sender);
    if (seg->flags & FS_TH_SYN)
        on_syn(&st, sender);
    if ((seg->flags & FS_TH_ACK) && !(seg->flags & FS_TH_RST)) {
        on_handshake_ack(&st, sender);
        acked_peer_fin = on_ack(&st, sender);
    }
    if (seg->payload_len > 0 && !(seg->flags & FS_TH_RST))
        on_payload(&st, sender);
    if (seg->flags & FS_TH_FIN) {
        if (!conn->ep[sender].fin_sent)
            on_first_fin(&st, sender, acked_peer_fin);
        else
            on_fin_again(&st, sender);
        on_recv_fin(&st, fs_role_peer(sender));
    }
    if (seg->flags & FS_TH_RST)
        on_rst(&st, sender);
    advance_snd_nxt(&st, sender);
}

/* After ACKs of an endpoint's FIN were lost (it re-sent the FIN), the
 * last ACK captured looks like every lost one before it. Only silence
 * proves it arrived: no FIN again within the next, doubled, RTO
 * (RFC 6298 §5.5). A capture that ends sooner leaves the endpoint where
 * the lost ACKs kept it. */
static gboolean
ack_unconfirmed(const FsEndpoint *ep, FsTime now)
{
    FsTime rto = ep->last_fin_time - ep->prev_fin_time;

    return ep->fin_acked_lost && ep->fin_acked &&
           now - ep->fin_acked_time < 2 * rto;
}

gboolean
fs_tcpstate_expire(FsConn *conn, FsTime now, FsTime two_msl,
                   FsEmitFunc emit, gpointer user)
{
    gboolean expired = FALSE;

    conn->settled_at = MAX(conn->settled_at, now);
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        FsEndpoint *ep = &conn->ep[r];
        Step st = { conn, NULL, ep->time_wait_since + two_msl, NULL, emit,
                    user };

        if (ep->state == FS_TCP_TIME_WAIT &&
            ep->time_wait_since + two_msl <= now) {
            set_state(&st, (FsRole)r, FS_TCP_CLOSED,
                      FS_CAUSE_TIME_WAIT_EXPIRED);
            expired = TRUE;
        }
    }
    return expired;
}

void
fs_tcpstate_settle(FsConn *conn, FsTime now, FsTime two_msl,
                   FsEmitFunc emit, gpointer user)
{
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        FsEndpoint *ep = &conn->ep[r];
        Step st = { conn, NULL, now, NULL, emit, user };

        if (ack_unconfirmed(ep, now))
            ack_was_lost(&st, (FsRole)r);
        if (ep->unseen_fin_acked && !ep->fin_sent) {
            ep->unseen_fin_acked = 0;
            st.ts = conn->t_last;
            conn->capture_loss++;
            emit_event(&st, FS_EV_CAPTURE_LOSS, r, ep->snd_nxt,
                       "ACK of a FIN never captured");
        }
    }
    fs_tcpstate_expire(conn, now, two_msl, emit, user);
}

void
fs_tcpstate_ack_lost(FsConn *conn, int role, FsTime ts, FsEmitFunc emit,
                     gpointer user)
{
    Step st = { conn, NULL, ts, NULL, emit, user };
    FsEndpoint *ep = &conn->ep[role];

    if (!ep->fin_sent || !ep->fin_acked)
        return;
    conn->final_ack_lost++;
    emit_event(&st, FS_EV_FINAL_ACK_LOST, fs_role_peer((FsRole)role),
               ep->fin_seq,
               "the peer answered a new SYN from LAST_ACK: the final ACK "
               "never arrived");
    ack_was_lost(&st, (FsRole)role);
}
