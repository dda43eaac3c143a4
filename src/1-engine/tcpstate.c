/* finscope: per-endpoint TCP close-state machine (RFC 9293 §3.3.2).
 *
 * Every state change goes through one table (next_state) of the diagram's
 * edges. A segment moves its sender at once (it sent it); its receiver
 * only once the capture proves the receiver got it and would accept it:
 * - a FIN is pending at its receiver until the receiver's ACK covers it
 *   (or an RST, or the end of the capture, decides);
 * - an RST changes state only if its receiver would accept it (RFC 9293
 *   §3.10.7, RFC 5961 §3; Linux tcp_validate_incoming, tcp_rcv_synsent_
 *   state_process, tcp_timewait_state_process);
 * - a FIN re-sent after the capture showed its ACK is a loss only if it
 *   left after that ACK could have arrived (one RTT leg): sooner, the two
 *   crossed in flight. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/conn.h"
#include "finscope/decode.h"
#include "finscope/event.h"
#include "finscope/tcpoutcome.h"
#include "finscope/seq.h"
#include "finscope/tcpstate.h"
#include "inline.h"
#include "steady.h"

#define NS_PER_US 1000
/* Linux's least retransmission timeout (TCP_RTO_MIN): nothing sent again
 * sooner than this after its ACK was a retransmission. */
#define MIN_RTO_NS (200 * G_GINT64_CONSTANT(1000000))
/* Jitter allowed on an RTT leg when deciding that two segments crossed. */
#define CROSSING_SLACK_NS (1 * G_GINT64_CONSTANT(1000000))
/* The first retransmission timeout of a SYN-ACK (Linux TCP_TIMEOUT_INIT,
 * RFC 6298 §2.1). */
#define SYNACK_FIRST_TIMEOUT_NS (1 * G_GINT64_CONSTANT(1000000000))
/* A FIN unanswered this long without being sent again was acked (the
 * ACK escaped the capture): a stack re-sends within an RTO. */
#define FIN_ANSWER_WAIT_NS (3 * G_GINT64_CONSTANT(1000000000))
/* The most a sender's timestamp clock ticks while one of its segments
 * lives in the network: an MSL (RFC 9293 §3.4.2: 2 minutes) at the
 * fastest clock RFC 7323 §5.4 allows (1 ms a tick). An old duplicate
 * carries its sender's TSval from when it was sent, so at most this much
 * older than the sender's last segment (sent before the duplicate
 * arrived). */
#define OLD_DUPLICATE_TS_SPAN (120u * 1000u)
/* Linux's TCP_PAWS_MSL: an RST whose TSval fails PAWS is still taken
 * once the last timestamp taken is this old (tcp_paws_reject()). */
#define PAWS_MSL_NS (60 * G_GINT64_CONSTANT(1000000000))

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
    case FS_CAUSE_GONE:              return "gone";
    case FS_CAUSE_RST_NOT_TAKEN:     return "rst_not_taken";
    case FS_CAUSE_N:                 break;
    }
    g_return_val_if_reached("?");
}

const char *
fs_undecided_reason(FsUndecided why)
{
    switch (why) {
    case FS_UNDECIDED_NONE:
        return NULL;
    case FS_UNDECIDED_ACK_AFTER_LOSS:
        return "the last ACK of its FIN followed lost ones and the capture "
               "ended before a re-sent FIN was due";
    case FS_UNDECIDED_FIN_UNACKED:
        return "the peer's FIN came at the end of the capture; no ACK of it "
               "was captured";
    case FS_UNDECIDED_ACK_BEFORE_RST:
        return "the last ACK of its FIN followed lost ones and it aborted "
               "with an RST of its own before a re-sent FIN was due";
    case FS_UNDECIDED_GAVE_UP:
        return "its FIN, sent again, was never acked: before the peer's "
               "data came it may have given up (TCP_USER_TIMEOUT, "
               "tcp_orphan_retries) and its port answered the data, with "
               "the same RST a FIN_WAIT_1 aborting on data sends";
    case FS_UNDECIDED_NEVER_ACCEPTED:
        return "silent since its SYN-ACK, it answered the client's data at "
               "once with a bare RST at its ISN + 1, as a port with no "
               "connection does: its socket may never have been "
               "ESTABLISHED (a listener closed, TCP_DEFER_ACCEPT, a full "
               "accept queue) rather than aborted from it";
    case FS_UNDECIDED_HANDSHAKE_ACK:
        return "its SYN-ACK was sent again after the client's ACK of it "
               "passed the sensor (lost); the bare ACK after it is taken as "
               "arrived, but no segment showed it did";
    case FS_UNDECIDED_OTHER_CLOCK:
        return "a SYN from its address and port came stamped by another "
               "clock while it held TIME_WAIT: another host behind the "
               "same NAT address and port, its TIME_WAIT running on, or "
               "this host restarted, its TIME_WAIT ended unseen";
    case FS_UNDECIDED_STOPPED_RESENDING:
        return "its FIN, sent again and never acked, was not sent again "
               "for three times its last interval before the capture "
               "ended: it may have given up (TCP_USER_TIMEOUT, "
               "tcp_orphan_retries, tcp_retries2), CLOSED without a "
               "segment, or its copies were lost before the sensor";
    case FS_UNDECIDED_RST_UNANSWERED:
        return "an RST in its window but not at RCV.NXT came, taken as "
               "refused, and it sent nothing after: no challenge ACK "
               "(RFC 5961 §3) showed it kept the connection; a stack "
               "before RFC 5961 takes such an RST, as does Linux's "
               "orphaned FIN_WAIT_2 (tcp_timewait_state_process())";
    }
    g_return_val_if_reached(NULL);
}

const char *
fs_undecided_field(FsUndecided why, int role)
{
    switch (why) {
    case FS_UNDECIDED_ACK_BEFORE_RST:
    case FS_UNDECIDED_NEVER_ACCEPTED:
    case FS_UNDECIDED_GAVE_UP:
        return "rst_interrupted";
    case FS_UNDECIDED_HANDSHAKE_ACK:
        return "handshake";
    case FS_UNDECIDED_NONE:
    case FS_UNDECIDED_ACK_AFTER_LOSS:
    case FS_UNDECIDED_FIN_UNACKED:
    case FS_UNDECIDED_OTHER_CLOCK:
    case FS_UNDECIDED_RST_UNANSWERED:
    case FS_UNDECIDED_STOPPED_RESENDING:
        break;
    }
    return role == FS_ROLE_CLIENT ? "state.client" : "state.server";
}

/* The edges of RFC 9293 §3.3.2 (Figure 5) that a passive observer takes,
 * row by row; every pair not listed has no edge (0 below stands for "no
 * edge": UNKNOWN is never a target). ACK_LOST undoes FIN_ACKED or, from
 * ESTABLISHED, HANDSHAKE_DONE (the ACK the capture showed never
 * arrived), REUSED ends a TIME_WAIT taken over
 * by a new SYN (RFC 1122 §4.2.2.13), GONE ends a state whose socket an
 * RST showed gone before (a port's reply: rst_meaning(), state_lost()).
 * One edge is not in the table, its end being the state an RST found:
 * RST_NOT_TAKEN gives an endpoint an RST seemed to end back that state
 * (rst_not_taken()). */
#define ABORTS [FS_CAUSE_SEND_RST] = FS_TCP_CLOSED, \
               [FS_CAUSE_RECV_RST] = FS_TCP_CLOSED, \
               [FS_CAUSE_GONE] = FS_TCP_CLOSED
static const guint8 edges[FS_TCP_N_STATES][FS_CAUSE_N] = {
    [FS_TCP_UNKNOWN] = {
        [FS_CAUSE_SEND_SYN] = FS_TCP_SYN_SENT,
        [FS_CAUSE_RECV_SYN] = FS_TCP_SYN_RECEIVED,
        [FS_CAUSE_HANDSHAKE_DONE] = FS_TCP_ESTABLISHED,
        [FS_CAUSE_SEND_FIN] = FS_TCP_FIN_WAIT_1,
        [FS_CAUSE_RECV_FIN] = FS_TCP_CLOSE_WAIT,
        ABORTS,
    },
    [FS_TCP_SYN_SENT] = {
        [FS_CAUSE_RECV_SYN] = FS_TCP_SYN_RECEIVED, /* simultaneous open */
        [FS_CAUSE_HANDSHAKE_DONE] = FS_TCP_ESTABLISHED,
        [FS_CAUSE_SEND_FIN] = FS_TCP_FIN_WAIT_1,   /* SYN-ACK not captured */
        [FS_CAUSE_RECV_FIN] = FS_TCP_CLOSE_WAIT,
        ABORTS,
    },
    [FS_TCP_SYN_RECEIVED] = {
        [FS_CAUSE_HANDSHAKE_DONE] = FS_TCP_ESTABLISHED,
        [FS_CAUSE_SEND_FIN] = FS_TCP_FIN_WAIT_1,
        [FS_CAUSE_RECV_FIN] = FS_TCP_CLOSE_WAIT,
        ABORTS,
    },
    [FS_TCP_ESTABLISHED] = {
        [FS_CAUSE_SEND_FIN] = FS_TCP_FIN_WAIT_1,
        [FS_CAUSE_RECV_FIN] = FS_TCP_CLOSE_WAIT,
        [FS_CAUSE_ACK_LOST] = FS_TCP_SYN_RECEIVED, /* SYN-ACK sent again */
        ABORTS,
    },
    [FS_TCP_FIN_WAIT_1] = {
        [FS_CAUSE_FIN_ACKED] = FS_TCP_FIN_WAIT_2,
        [FS_CAUSE_RECV_FIN] = FS_TCP_CLOSING,
        ABORTS,
    },
    [FS_TCP_FIN_WAIT_2] = {
        [FS_CAUSE_RECV_FIN] = FS_TCP_TIME_WAIT,
        [FS_CAUSE_ACK_LOST] = FS_TCP_FIN_WAIT_1,
        ABORTS,
    },
    [FS_TCP_CLOSE_WAIT] = {
        [FS_CAUSE_SEND_FIN] = FS_TCP_LAST_ACK,
        ABORTS,
    },
    [FS_TCP_CLOSING] = {
        [FS_CAUSE_FIN_ACKED] = FS_TCP_TIME_WAIT,
        ABORTS,
    },
    [FS_TCP_LAST_ACK] = {
        [FS_CAUSE_FIN_ACKED] = FS_TCP_CLOSED,
        ABORTS,
    },
    [FS_TCP_TIME_WAIT] = {
        /* a FIN again: acked, its 2*MSL restarted (time_wait_fin_again()) */
        [FS_CAUSE_RECV_FIN] = FS_TCP_TIME_WAIT,
        [FS_CAUSE_TIME_WAIT_EXPIRED] = FS_TCP_CLOSED,
        [FS_CAUSE_ACK_LOST] = FS_TCP_CLOSING,
        [FS_CAUSE_REUSED] = FS_TCP_CLOSED,
        ABORTS, /* RECV_RST: assassination (RFC 1337) */
    },
    [FS_TCP_CLOSED] = {
        /* a refused connect's SYN sent again, and its answer (on_syn()) */
        [FS_CAUSE_SEND_SYN] = FS_TCP_SYN_SENT,
        [FS_CAUSE_RECV_SYN] = FS_TCP_SYN_RECEIVED,
        [FS_CAUSE_ACK_LOST] = FS_TCP_LAST_ACK,
    },
};

FsTcpState
fs_tcp_next_state(FsTcpState from, FsCause cause)
{
    g_return_val_if_fail(from < FS_TCP_N_STATES && cause < FS_CAUSE_N,
                         FS_TCP_N_STATES);
    return edges[from][cause] == FS_TCP_UNKNOWN ? FS_TCP_N_STATES
                                                : edges[from][cause];
}

/* What one step works on, and where what happens goes. */
typedef struct {
    FsConn *conn;
    const FsSegment *seg; /* NULL when a timer, not a segment, acts */
    FsTime ts;            /* when it happened */
    const FsTcpConfig *cfg;
    FsTcpOutcome *out;    /* the caller's: transitions and events, in order */
} Step;

/* Fills ev, an outcome's slot, whole: padding too, since events are
 * compared as bytes (tests). */
static inline void
fill_event(FsEvent *ev, const Step *st, FsEventKind kind, int role,
           FsTime ts)
{
    memset(ev, 0, sizeof *ev);
    ev->ts = ts;
    ev->conn = st->conn;
    ev->conn_id = st->conn->id;
    ev->kind = kind;
    ev->role = (gint8)role;
    ev->frame = st->seg != NULL ? st->seg->frame : 0;
    ev->source = st->seg != NULL ? st->seg->source : 0;
}

static inline void
fill_fact(FsEvent *ev, const Step *st, FsEventKind kind, int role,
          guint32 seq, const char *detail, gint64 value)
{
    fill_event(ev, st, kind, role, st->ts);
    ev->seq = seq;
    ev->value = value;
    ev->detail = detail;
}

static G_GNUC_NO_INLINE void
emit_event_spilled(const Step *st, FsEventKind kind, int role, guint32 seq,
                   const char *detail, gint64 value)
{
    fill_fact(fs_tcp_outcome_push_more(st->out), st, kind, role, seq,
              detail, value);
}

static void
emit_event_value(const Step *st, FsEventKind kind, int role, guint32 seq,
                 const char *detail, gint64 value)
{
    FsEvent *ev = fs_tcp_outcome_push_inline(st->out);

    if (ev == NULL) {
        emit_event_spilled(st, kind, role, seq, detail, value);
        return;
    }
    fill_fact(ev, st, kind, role, seq, detail, value);
}

static void
emit_event(const Step *st, FsEventKind kind, int role, guint32 seq,
           const char *detail)
{
    emit_event_value(st, kind, role, seq, detail, 0);
}

static inline void
fill_transition(FsEvent *ev, const Step *st, FsRole role, FsTcpState from,
                FsTcpState to, FsCause cause, FsTime ts)
{
    fill_event(ev, st, FS_EV_STATE, role, ts);
    ev->transition.from = from;
    ev->transition.to = to;
    ev->transition.cause = cause;
}

/* enter_state()'s event, role having moved from from to to, in the
 * outcome's next slot: its value (a move out of TIME_WAIT's) read after
 * the move, which writes the timer's fields only on a move into
 * TIME_WAIT, whose value is 0. Apart: enter_state()'s usual path, an
 * event nobody reads, saves no register and sets up no frame. */
static G_GNUC_NO_INLINE gboolean
record_transition(const Step *st, FsRole role, FsTcpState from,
                  FsTcpState to, FsCause cause, FsTime ts)
{
    const FsEndpoint *ep = FS_ENDPOINT(st->conn, role);
    FsEvent *ev = fs_tcp_outcome_push(st->out);

    fill_transition(ev, st, role, from, to, cause, ts);
    ev->value = from == FS_TCP_TIME_WAIT && to != FS_TCP_TIME_WAIT
                    ? FS_TIME_WAIT_TIMER(ep) : 0;
    return TRUE;
}

/* role goes to state to on cause at time ts, the transition recorded.
 * Every state change of the module comes here: take_edge_at()'s, and
 * rst_not_taken()'s, whose end the table does not hold. A move out of
 * TIME_WAIT carries, as its value, when that TIME_WAIT's 2*MSL timer
 * last started (FS_TIME_WAIT_TIMER()): where its start is taken back
 * (ack_was_lost(), an RST answering a FIN sent again: the endpoint held
 * none), the record forgets it once the step is over, and the TIME_WAIT
 * accounting (timewait.c) learns from the value which span to drop. */
static inline gboolean
enter_state(const Step *st, FsRole role, FsTcpState to, FsCause cause,
            FsTime ts)
{
    FsEndpoint *ep = FS_ENDPOINT(st->conn, role);
    FsTcpState from = ep->state;

    ep->state = to;
    ep->state_since = ts;
    if (to == FS_TCP_TIME_WAIT) {
        ep->time_wait_since = ts;
        ep->time_wait_restart_us = 0;
    }
    /* an event nobody reads is not built (~3% of the engine's work on
     * the bench's medium-b, 1.0M of its 1.3M transitions) */
    if (st->cfg != NULL && st->cfg->time_wait_states_only &&
        from != FS_TCP_TIME_WAIT && to != FS_TCP_TIME_WAIT)
        return TRUE;
    return record_transition(st, role, from, to, cause, ts);
}

/* Takes the diagram's edge from role's state on cause, at time ts; TRUE
 * if there was one. Inline: a segment of the full path takes one or
 * two, most of them recorded nowhere (time_wait_states_only); apart,
 * with the event built in it, its 1.05M calls on the bench's medium
 * cost 22.1M instructions more. */
static inline gboolean
take_edge_at(const Step *st, FsRole role, FsCause cause, FsTime ts)
{
    /* fs_tcp_next_state() without its checks: states and causes held
     * here are in range */
    FsTcpState to = edges[FS_ENDPOINT(st->conn, role)->state][cause];

    if (to == FS_TCP_UNKNOWN)
        return FALSE;
    return enter_state(st, role, to, cause, ts);
}

static gboolean
take_edge(const Step *st, FsRole role, FsCause cause)
{
    return take_edge_at(st, role, cause, st->ts);
}

FsTcpOutcome *
fs_tcpstate_force(FsConn *conn, int role, FsTcpState to, FsCause cause,
                  FsTime ts, FsTcpOutcome *out)
{
    Step st = { conn, NULL, ts, NULL, out };

    if (fs_tcp_next_state(FS_ENDPOINT(conn, role)->state, cause) == to)
        take_edge(&st, (FsRole)role, cause);
    return out;
}

/* A segment's shape: its SYN, FIN, RST and ACK bits. */
#define SHAPE_FLAGS (FS_TH_SYN | FS_TH_FIN | FS_TH_RST | FS_TH_ACK)

/* The shapes conforming stacks send, as a set (bit n: the shape n): SYN,
 * RST, ACK, FIN+ACK, SYN+ACK, RST+ACK. SHAPE_FLAGS < 32. */
#define LEGAL_SHAPES                                                       \
    ((1u << FS_TH_SYN) | (1u << FS_TH_RST) | (1u << FS_TH_ACK) |           \
     (1u << (FS_TH_FIN | FS_TH_ACK)) | (1u << (FS_TH_SYN | FS_TH_ACK)) |   \
     (1u << (FS_TH_RST | FS_TH_ACK)))

/* Flag mixes no conforming stack sends. SYN+FIN and SYN+RST are dropped by
 * receivers (RFC 9293 §3.10.7); a FIN or data without ACK likewise, since
 * every segment after the handshake carries ACK (§3.10.7.4, "fifth"). */
static const char *
illegal_flags(const FsSegment *seg)
{
    guint8 f = seg->flags;

    /* every segment comes here: one test before the ones that name what
     * is wrong */
    if (G_LIKELY((LEGAL_SHAPES >> (f & SHAPE_FLAGS)) & 1u))
        return NULL;

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

/* ---- RTT: one leg per endpoint ----
 * The sensor sits somewhere on the path. An endpoint's leg is the least
 * time from a segment to it passing the sensor to its ACK passing back;
 * the two legs add up to the RTT. Karn's rule: a probe that was sent
 * again measures nothing. The probes are steady.h's (fs_rtt_probe_start(),
 * fs_rtt_probe_answer()): the lean path runs them too. */

/* The time an answer from role takes to come back past the sensor, or
 * -1 when the capture never measured it. */
static FsTime
answer_time(const FsConn *conn, FsRole role)
{
    const FsEndpoint *ep = FS_ENDPOINT(conn, role);
    const FsEndpoint *peer = FS_ENDPOINT(conn, fs_role_peer(role));

    if (ep->rtt_leg_us != 0)
        return (FsTime)ep->rtt_leg_us * NS_PER_US;
    if (peer->rtt_leg_us != 0) /* the sensor at the other end */
        return (FsTime)peer->rtt_leg_us * NS_PER_US;
    return -1;
}

/* How long after a segment passed the sensor an answer from role (or a
 * segment of role's that crossed it) may still pass: role's RTT leg,
 * jitter allowed; -1 when the capture never measured one. */
static FsTime
leg_window(const FsConn *conn, FsRole role)
{
    FsTime leg = answer_time(conn, role);

    return leg < 0 ? -1 : leg + leg / 4 + CROSSING_SLACK_NS;
}

/* ---- the FIN's receiver ---- */

static void ack_arrived(const Step *st, FsRole role);

/* The receiver of a FIN: RFC 9293 §3.10.7.4, "eighth, check the FIN bit",
 * at the time the FIN reached it (not later than its own last change).
 * A FIN that acknowledged role's own FIN brought that ACK along. */
static void fin_received_by(const Step *st, FsRole role, FsTime at);

static void
fin_received(const Step *st, FsRole role)
{
    fin_received_by(st, role, st->ts);
}

/* fin_received(), the FIN come by at at the latest. */
static void
fin_received_by(const Step *st, FsRole role, FsTime at)
{
    FsEndpoint *ep = FS_ENDPOINT(st->conn, role);
    const FsEndpoint *peer = FS_ENDPOINT(st->conn, fs_role_peer(role));

    if (ep->recv_fin)
        return;
    ep->recv_fin = 1;
    ep->fin_pending = 0;
    st->conn->fin_receipt_waits &= ~(1u << role);
    if (ep->fin_sent && peer->fin_sent &&
        fs_seq_geq(peer->fin_ack, ep->fin_seq + 1))
        ack_arrived(st, role);
    if (peer->fin_sent && peer->last_fin_time != FS_TIME_UNSET &&
        peer->last_fin_time < at)
        at = peer->last_fin_time;
    if (ep->state_since != FS_TIME_UNSET && at < ep->state_since)
        at = ep->state_since;
    take_edge_at(st, role, FS_CAUSE_RECV_FIN, at);
}

/* A FIN from role's peer passed the sensor. Its arrival waits for the
 * receiver's ACK, which also says whether the receiver sent its own FIN
 * before (simultaneous close) or after (a normal close). A receiver the
 * capture never heard from since the handshake (one direction
 * captured) takes it as delivered; in a capture that began mid-stream
 * one not heard from yet may still speak: its FIN may show it had not
 * taken this one (an audit's captures that began with one side's data
 * had their simultaneous closes taken for normal ones), so it waits too,
 * taken as delivered only if it never speaks (settle_pending_fin()). A
 * receiver an RST closed acks nothing: nothing is pending there. */
static void
fin_captured(const Step *st, FsRole role)
{
    FsEndpoint *ep = FS_ENDPOINT(st->conn, role);

    if (ep->recv_fin || ep->fin_pending || ep->state == FS_TCP_CLOSED)
        return;
    if (!ep->seen && FS_ENDPOINT(st->conn, fs_role_peer(role))->isn_known)
        fin_received(st, role);
    else
        ep->fin_pending = 1;
}

/* The ACK of role's FIN passed the sensor. Its arrival is proven later
 * (ack_arrived), or disproven by the FIN coming again. */
static void
fin_ack_captured(const Step *st, FsRole role)
{
    FsEndpoint *ep = FS_ENDPOINT(st->conn, role);

    ep->fin_acked = 1;
    ep->ack_pending = 1;
    ep->fin_acked_time = st->ts;
}

/* Both FINs acknowledged and both ACKs arrived: graceful, at the later
 * ACK's time. */
static void
note_close_done(const Step *st)
{
    FsConn *conn = st->conn;
    const FsEndpoint *c = &conn->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &conn->ep[FS_ROLE_SERVER];

    if (c->fin_acked && s->fin_acked && !c->ack_pending &&
        !s->ack_pending && conn->close_done_time == FS_TIME_UNSET &&
        conn->rst_from == FS_ROLE_NONE)
        conn->close_done_time = MAX(c->fin_acked_time, s->fin_acked_time);
}

/* The sender of a FIN got its ACK: FIN-WAIT-1, CLOSING and LAST-ACK
 * processing of RFC 9293 §3.10.7.4, "fifth, check the ACK field", at
 * the time that ACK passed the sensor. */
static void
ack_arrived(const Step *st, FsRole role)
{
    FsEndpoint *ep = FS_ENDPOINT(st->conn, role);
    FsTime at = ep->fin_acked_time;

    if (!ep->ack_pending)
        return;
    ep->ack_pending = 0;
    if (ep->state_since != FS_TIME_UNSET && at < ep->state_since)
        at = ep->state_since;
    take_edge_at(st, role, FS_CAUSE_FIN_ACKED, at);
    note_close_done(st);
}

/* The ACK of role's FIN, which the capture showed, never arrived (the
 * endpoint still acts on the old connection). Not yet acted on, it is
 * dropped; acted on (proven by silence, then contradicted), the state
 * goes back. */
static void
ack_was_lost(const Step *st, FsRole role)
{
    FsEndpoint *ep = FS_ENDPOINT(st->conn, role);
    gboolean acted = ep->fin_acked && !ep->ack_pending;

    ep->fin_acked = 0;
    ep->ack_pending = 0;
    ep->fin_acked_lost = 1;
    st->conn->close_done_time = FS_TIME_UNSET;
    if (acted)
        st->conn->copy_proof_spent = 1;
    if (acted && take_edge(st, role, FS_CAUSE_ACK_LOST) &&
        ep->state == FS_TCP_CLOSING) {
        ep->time_wait_since = FS_TIME_UNSET;
        ep->time_wait_restart_us = 0;
    }
}

/* How long role's FIN may go without being sent again before silence
 * proves its ACK arrived: past the doubled retransmission interval seen
 * (RFC 6298 §5.5; 3x leaves room for jitter: Linux's 4th try of a
 * LAST_ACK came at 2.07x), or a second (4 RTTs if longer) for a FIN
 * sent once, above any stack's first RTO on a measured connection. The
 * interval is a difference of two times in [0, FS_TIME_MAX], of either
 * sign where the capture's clock jumped: three times it is kept within
 * what an FsTime holds (a fuzzed capture's jump of ~2^61 ns, 97 years,
 * overflowed). */
static FsTime
silence_needed(const FsConn *conn, const FsEndpoint *ep)
{
    FsTime rtt = ((FsTime)conn->ep[FS_ROLE_CLIENT].rtt_leg_us +
                  conn->ep[FS_ROLE_SERVER].rtt_leg_us) * NS_PER_US;

    if (ep->fin_count > 1)
        return 3 * CLAMP(ep->last_fin_time - ep->prev_fin_time,
                         -FS_TIME_MAX / 3, FS_TIME_MAX / 3);
    return MAX(FS_NS_PER_SEC, 4 * rtt);
}

/* Pending ACKs are decided in the order they passed the sensor. */
static FsRole
earlier_ack_first(const FsConn *conn)
{
    return conn->ep[FS_ROLE_SERVER].fin_acked_time <
                   conn->ep[FS_ROLE_CLIENT].fin_acked_time
               ? FS_ROLE_SERVER
               : FS_ROLE_CLIENT;
}

/* At now, the ACKs whose FIN was not sent again in time arrived. Only
 * when a record is settled: mid-stream a re-sent FIN may still come
 * (its earlier tries lost before the sensor), and a state change once
 * shown is never taken back. */
static void
acks_proven_by_silence(const Step *st, FsTime now)
{
    FsRole first = earlier_ack_first(st->conn);

    for (int i = 0; i < 2; i++) {
        FsRole r = i == 0 ? first : fs_role_peer(first);
        const FsEndpoint *ep = &st->conn->ep[r];

        if (ep->ack_pending &&
            now - ep->last_fin_time >= silence_needed(st->conn, ep))
            ack_arrived(st, r);
    }
}

FsTcpState
fs_tcpstate_likely(const FsEndpoint *ep)
{
    FsTcpState to;

    if (!ep->ack_pending)
        return ep->state;
    to = fs_tcp_next_state(ep->state, FS_CAUSE_FIN_ACKED);
    return to == FS_TCP_N_STATES ? ep->state : to;
}

/* A segment that acknowledged role's FIN and occupied sequence space
 * (data or a FIN) reached role if role acked it: so did its ACK field.
 * Only sequence space role had not acked before: a copy of what it had
 * acked draws the same ACK whether it came or not (a FIN re-sent in
 * CLOSING after its ACK was lost). */
static void
note_ack_carrier(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsEndpoint *fin_owner = FS_ENDPOINT(st->conn, fs_role_peer(sender));
    guint32 end = seg->seq + seg->payload_len +
                  ((seg->flags & FS_TH_FIN) ? 1 : 0);

    if (fin_owner->fin_sent && !fin_owner->ack_carrier_seen &&
        (seg->payload_len > 0 || (seg->flags & FS_TH_FIN)) &&
        fs_seq_geq(seg->ack, fin_owner->fin_seq + 1) &&
        (!fin_owner->ack_seen || fs_seq_gt(end, fin_owner->max_ack))) {
        fin_owner->ack_carrier_seen = 1;
        fin_owner->ack_carrier_end = end;
    }
}

static void
prove_ack_arrival(const Step *st, FsRole sender)
{
    FsEndpoint *self = FS_ENDPOINT(st->conn, sender);

    if (!self->ack_carrier_seen || self->fin_ack_proven ||
        !fs_seq_geq(st->seg->ack, self->ack_carrier_end))
        return;
    self->fin_ack_proven = 1;
    if (self->fin_sent && !self->fin_acked)
        fin_ack_captured(st, sender);
    ack_arrived(st, sender);
}

/* role, in TIME_WAIT, acked its peer's FIN (this segment). If the peer
 * sent that FIN again after role's 2*MSL timer last started, and this
 * is role's first ACK since (none passed the sensor between that FIN
 * and this one), the FIN sent again reached role: RFC 9293 §3.10.7.4
 * (TIME-WAIT: "Acknowledge it, and restart the 2 MSL timeout"), Linux's
 * tcp_timewait_state_process() -> inet_twsk_reschedule(). The restart
 * is dated when that FIN reached role, as near as the capture shows:
 * its ACK passing the sensor. A FIN sent again that role never acked in
 * the capture (it shows role) restarts nothing: it was lost on the way,
 * or its ACK before the sensor, and nothing tells which; an endpoint the
 * capture never showed is never in TIME_WAIT (it takes no FIN of its
 * own), so the ACK is always there to date it. A TIME_WAIT whose 2*MSL
 * ran out before this ACK (the store expires it at its next sweep) is
 * over: nothing to restart. The transition TIME_WAIT -> TIME_WAIT
 * (cause recv_fin), its value the timer's previous start, tells the
 * TIME_WAIT accounting (timewait.c) and --events. */
static void
time_wait_fin_again(const Step *st, FsRole role)
{
    FsEndpoint *ep = FS_ENDPOINT(st->conn, role);
    const FsEndpoint *peer = FS_ENDPOINT(st->conn, fs_role_peer(role));
    FsTime timer = FS_TIME_WAIT_TIMER(ep);
    FsEvent *ev;

    if (peer->fin_count < 2 || timer == FS_TIME_UNSET ||
        peer->last_fin_time <= timer || st->ts < peer->last_fin_time ||
        st->ts <= timer ||
        (st->cfg != NULL && st->cfg->two_msl > 0 &&
         timer + st->cfg->two_msl <= st->ts))
        return;
    /* kept in us after the entry (FsEndpoint's 4 spare bytes), rounded
     * up: the restart, and its event, lie within 1 us after the ACK */
    ep->time_wait_restart_us = (guint32)MIN(
        (st->ts - ep->time_wait_since + 999) / 1000, (FsTime)G_MAXUINT32);
    ev = fs_tcp_outcome_push_inline(st->out);
    if (ev == NULL)
        ev = fs_tcp_outcome_push_more(st->out);
    fill_transition(ev, st, role, FS_TCP_TIME_WAIT, FS_TCP_TIME_WAIT,
                    FS_CAUSE_RECV_FIN, FS_TIME_WAIT_TIMER(ep));
    ev->value = timer;
}

/* role, the receiver of the first RST, CLOSED by it as the capture had
 * it, never took it (ignored, or lost past the sensor), as role's
 * segment in hand shows (why; seq: the number that shows it): the RST
 * is judged away for role after the fact, as rst_judged_away() would
 * have (rst_ignored, no assassination), and role goes back from CLOSED
 * to found, the state the RST found (rst_peer_state; cause
 * rst_not_taken) from this segment on, a FIN of its peer's it had not
 * taken waiting for its ACK again (fin_captured()). The transitions
 * already handed out stay, this one after them. */
static void
receiver_back(const Step *st, FsRole role, FsTcpState found, guint32 seq,
              const char *why)
{
    FsConn *conn = st->conn;
    FsEndpoint *ep = FS_ENDPOINT(conn, role);

    conn->tw_assassinated = 0;
    conn->rst_ignored++;
    if (FS_ENDPOINT(conn, fs_role_peer(role))->fin_sent && !ep->recv_fin)
        ep->fin_pending = 1;
    emit_event(st, FS_EV_RST_IGNORED, role, seq, why);
    enter_state(st, role, found, FS_CAUSE_RST_NOT_TAKEN, st->ts);
}

/* No RST of the connection's is taken any more: rst_from and the rest
 * of the first RST's record cleared. */
static void
rst_forgotten(FsConn *conn)
{
    conn->rst_from = FS_ROLE_NONE;
    conn->rst_time = FS_TIME_UNSET;
    conn->rst_state = 0;
    conn->rst_peer_state = 0;
    conn->rst_uncertain = 0;
    conn->rst_at_una = 0;
    conn->rst_outlived = 0;
    conn->rst_sender_talked = 0;
    conn->rst_sender_was = 0;
}

/* receiver_back(), and the RST forgotten: no reset. The RST's sender
 * stays as the RST left it: it sent it (its FIN acked before, CLOSED
 * either way). */
static void
rst_not_taken(const Step *st, FsRole role, guint32 seq, const char *why)
{
    FsTcpState found = (FsTcpState)st->conn->rst_peer_state;

    rst_forgotten(st->conn);
    receiver_back(st, role, found, seq, why);
}

/* role, CLOSED by an RST it took in TIME_WAIT (time_wait_assassinated)
 * and sending none since, acks its peer's FIN sent again after that
 * RST: a bare ACK at the FIN, as only a TIME_WAIT gives it (a port with
 * no connection answers a FIN with an RST, RFC 9293 §3.10.7.1, as
 * Linux does once its TIME_WAIT is gone). The RST never took it:
 * ignored (RFC 1337: Linux's net.ipv4.tcp_rfc1337=1, which --rfc1337
 * tells beforehand) or lost past the sensor: role is in TIME_WAIT again
 * from this ACK, the 2*MSL the FIN sent again restarts (packetdrill
 * audit F9: tcp_rfc1337=1, the kernel's TIME_WAIT "assassinated" then
 * acking the FIN). Only the RST's receiver goes back: its sender had its
 * FIN acked (CLOSED either way). */
static void
time_wait_outlived_rst(const Step *st, FsRole role)
{
    FsConn *conn = st->conn;
    const FsSegment *seg = st->seg;
    const FsEndpoint *ep = FS_ENDPOINT(conn, role);
    const FsEndpoint *peer = FS_ENDPOINT(conn, fs_role_peer(role));

    if (!conn->tw_assassinated || ep->state != FS_TCP_CLOSED ||
        conn->rst_from != (gint8)fs_role_peer(role) ||
        conn->rst_peer_state != FS_TCP_TIME_WAIT ||
        conn->rst_state != FS_TCP_CLOSED || ep->rst_count != 0 ||
        peer->fin_count < 2 || peer->last_fin_time <= conn->rst_time ||
        (seg->flags & (FS_TH_SYN | FS_TH_FIN | FS_TH_RST)) ||
        seg->payload_len != 0 || seg->ack != peer->fin_seq + 1)
        return;
    rst_not_taken(st, role, seg->ack,
                  "its TIME_WAIT acked the peer's FIN sent after the RST: "
                  "the RST never took it (RFC 1337, net.ipv4.tcp_rfc1337, "
                  "or lost past the sensor)");
}

/* role acked its peer's FIN while that FIN's arrival still waits
 * (fin_pending): fin_receipt_waits() left it so (FsConn's
 * fin_receipt_waits), and the peer's fin_acked_time is that ACK's. */
static gboolean
fin_receipt_proven(const FsConn *conn, FsRole role)
{
    return ((conn->fin_receipt_waits >> role) & 1) &&
           FS_ENDPOINT(conn, role)->fin_pending &&
           FS_ENDPOINT(conn, fs_role_peer(role))->fin_sent;
}

/* sender acks its peer's FIN from one past its own SND.NXT, a bare ACK,
 * no FIN of its own captured: a FIN of its own, not captured yet, took
 * that number (sent before this ACK, overtaken by it: Linux's selftest
 * tcp_disorder_fin_in_FIN_WAIT), or a byte the capture missed. The
 * peer's FIN reached it, but whether it was in CLOSE_WAIT or, its own
 * FIN sent before, CLOSING (a simultaneous close) its FIN will tell:
 * the arrival waits (fin_pending) for that FIN (on_first_fin()), or for
 * the end (settle_pending_fin()), and is dated at this ACK. Once
 * waiting, its later ACKs leave it waiting. */
static gboolean
fin_receipt_waits(const Step *st, FsRole sender, gboolean waiting)
{
    const FsSegment *seg = st->seg;
    const FsEndpoint *self = FS_ENDPOINT(st->conn, sender);

    if (!self->fin_pending || self->fin_sent || self->recv_fin)
        return FALSE;
    if (waiting)
        return TRUE;
    if (seg->payload_len != 0 ||
        (seg->flags & (FS_TH_SYN | FS_TH_FIN | FS_TH_RST)) ||
        seg->seq != self->snd_nxt + 1)
        return FALSE;
    st->conn->fin_receipt_waits |= 1u << sender;
    return TRUE;
}

/* rcv's ACK carries a D-SACK (RFC 2883) of its peer's FIN, which the
 * capture showed sent more than once: rcv had received that FIN before
 * the copy this answers (Linux: a segment wholly below RCV.NXT,
 * tcp_data_queue() -> tcp_dsack_set(), or tcp_send_dupack(), with SACK
 * agreed and net.ipv4.tcp_dsack=1), so the copy was spurious: not the
 * FIN but its ACK went missing (or came late). Only when rcv had taken
 * every byte before the FIN by then: its ACKs before this one
 * (max_ack, not yet moved by this one) had reached the FIN, the capture missed none of them.
 * A FIN that came past a hole waits in the out-of-order queue (SACKed,
 * not acked) and is taken when the hole fills, as a copy that re-sends
 * the missing bytes does: its D-SACK then says the FIN's segment came
 * twice, not that the FIN was taken at the first (a public capture,
 * tls-ecdhe: data + FIN re-sent after a SACK of the FIN alone). And
 * only as the answer to the last copy captured: no ACK of the FIN passed
 * since it (else the D-SACK answers a copy the capture lacks, or a
 * duplicate of the one that filled a hole: tls1_1), and it passed within
 * rcv's answering time of that copy (leg_window(): Linux answers a
 * duplicate at once, a quick ACK with the D-SACK; one that comes later
 * answers a copy the capture lacks, sent after the last captured one:
 * "the first copy lost, the second taken and its ACK lost, a third not
 * captured" fits as well). No answering time measured: not used. The
 * block covers the FIN when it ends one past it (FsSegment.dsack_right:
 * a block is never empty, and nothing of the sender's lies past its
 * FIN). */
static gboolean
dsack_covers_fin(const Step *st, FsRole rcv_role)
{
    const FsSegment *seg = st->seg;
    const FsEndpoint *rcv = FS_ENDPOINT(st->conn, rcv_role);
    const FsEndpoint *fin_owner =
        FS_ENDPOINT(st->conn, fs_role_peer(rcv_role));
    FsTime window;

    if (!(fin_owner->fin_sent && fin_owner->fin_count > 1 &&
          fs_seq_geq(seg->ack, fin_owner->fin_seq + 1) &&
          (!fin_owner->fin_acked ||
           fin_owner->fin_acked_time < fin_owner->last_fin_time) &&
          !fin_owner->fin_gap && rcv->ack_seen &&
          fs_seq_geq(rcv->max_ack, fin_owner->fin_seq) &&
          seg->dsack_right == fin_owner->fin_seq + 1))
        return FALSE;
    window = leg_window(st->conn, rcv_role);
    return window >= 0 && seg->ts - fin_owner->last_fin_time <= window;
}

/* The D-SACK of dsack_covers_fin(): role (the FIN's receiver) got its
 * peer's FIN no later than the copy before the last (the first FIN, if
 * sent twice), not at the copy (packetdrill and kernel audits G11 and
 * D5). Said once per copy answered (Linux sends a D-SACK for each). */
static void
fin_dsacked(const Step *st, FsRole role)
{
    const FsEndpoint *ep = FS_ENDPOINT(st->conn, role);
    const FsEndpoint *owner = FS_ENDPOINT(st->conn, fs_role_peer(role));
    FsTime at = owner->fin_count == 2 ? owner->fin_time
                                      : owner->prev_fin_time;
    const char *why;

    /* as the copy's fin_retransmit said (on_fin_again()): an ACK that
     * crossed it, or one captured before that it found lost (an ACK
     * taken since as crossing the copy, acked_again_in_flight(), leaves
     * that said: zeek's ssh.pcap, conn 20, frames 912-913) */
    if (st->conn->fin_rtx_crossed & (1u << fs_role_peer(role)))
        why = "D-SACK: the FIN had arrived before it was sent again; the "
              "copy crossed its ACK in flight: nothing lost";
    else if (owner->fin_acked || owner->fin_acked_lost)
        why = "D-SACK: the FIN had arrived before it was sent again; its "
              "ACK, captured, was lost after the sensor (or late)";
    else
        why = "D-SACK: the FIN had arrived before it was sent again; no "
              "ACK of it passed the sensor: that ACK was lost before the "
              "sensor (or is late), not the FIN";
    emit_event(st, FS_EV_FIN_RTX_SPURIOUS, fs_role_peer(role),
               owner->fin_seq, why);
    /* role acked short of the FIN after a copy could have reached it:
     * that copy was not taken then, whichever came later was; dated at
     * the last copy, as without the D-SACK (review of dsack21:
     * data-after-fin1.pcap) */
    if (st->conn->fin_not_taken & (1u << role))
        at = st->ts;
    /* role's own FIN acked, that ACK not proven arrived, and the first
     * FIN did not carry it (a simultaneous close): its arrival would be
     * dated by the first ACK captured (ack_arrived()), which may have
     * been lost; the ACK proven is the one a later copy carried. Nothing
     * earlier than the last copy (review of dsack21: simul-dsack.pcap,
     * a TIME_WAIT at an ACK its own FIN sent again proved lost) */
    if (ep->fin_sent && ep->ack_pending &&
        (owner->fin_count > 2 || !fs_seq_geq(owner->fin_ack,
                                             ep->fin_seq + 1)))
        at = st->ts;
    fin_received_by(st, role, at);
}

/* sender acked short of its peer's FIN: once the FIN could have reached
 * it (sender's answering time after the first copy passed the sensor;
 * none measured: at once), no copy had been taken by then
 * (FsConn.fin_not_taken). */
static void
note_fin_not_taken(const Step *st, FsRole sender)
{
    FsTime window = leg_window(st->conn, sender);

    const FsEndpoint *fin_owner = FS_ENDPOINT(st->conn, fs_role_peer(sender));

    if (window < 0 || st->seg->ts - fin_owner->fin_time > window)
        st->conn->fin_not_taken |= 1u << sender;
}

/* A segment from role with a D-SACK (FsSegment.dsack), before its ACK
 * field is taken (its earlier ACKs are what dsack_covers_fin() asks):
 * fin_dsacked() if it covers the FIN sent again. Apart and cold: the
 * common ACK pays one test. */
#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
static void
fin_dsack_check(const Step *st, FsRole role)
{
    if (dsack_covers_fin(st, role))
        fin_dsacked(st, role);
}

/* ACK processing: proves what the sender received and what the peer's
 * FIN reached. RST acks are not trusted (RFC 5961 §3). Inline in
 * segment_step(), its one caller, whatever the inlining budget: most
 * segments of the full path carry an ACK, and apart (as GCC left it)
 * its call, frame, saved registers and the Step read again cost 21.3M
 * instructions more on the bench's medium (0.65M calls, ~33 a call). */
static inline ALWAYS_INLINE gboolean
on_ack(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsConn *conn = st->conn;
    FsEndpoint *self = FS_ENDPOINT(conn, sender);
    FsEndpoint *peer = FS_ENDPOINT(conn, fs_role_peer(sender));
    gboolean acked_fin_now = FALSE;
    /* its first ACK to reach seg->ack */
    gboolean first_here =
        !self->ack_seen || fs_seq_gt(seg->ack, self->max_ack);
    gboolean waiting = fin_receipt_proven(conn, sender);

    if (G_UNLIKELY(seg->dsack))
        fin_dsack_check(st, sender);
    if (first_here)
        self->max_ack = seg->ack;
    self->ack_seen = 1;
    if (peer->fin_sent && fs_seq_geq(seg->ack, peer->fin_seq + 1)) {
        if (self->state == FS_TCP_CLOSED)
            time_wait_outlived_rst(st, sender);
        else if (self->state == FS_TCP_TIME_WAIT)
            time_wait_fin_again(st, sender);
        if (!fin_receipt_waits(st, sender, waiting))
            fin_received(st, sender);
        if (!peer->fin_acked) {
            fin_ack_captured(st, fs_role_peer(sender));
            acked_fin_now = TRUE;
        }
    } else if (peer->fin_sent) {
        /* (once known, not again on each segment of a half-close) */
        if (!self->recv_fin && !(conn->fin_not_taken & (1u << sender)))
            note_fin_not_taken(st, sender);
    } else if (peer->seen && seg->ack == peer->snd_nxt + 1) {
        /* Perhaps a FIN not captured yet: judged when the peer's FIN
         * shows up or the incarnation ends (fs_tcpstate_settle). */
        peer->unseen_fin_acked = 1;
    } else if (peer->seen && fs_seq_gt(seg->ack, peer->snd_nxt)) {
        if (conn->capture_loss++ == 0)
            emit_event(st, FS_EV_CAPTURE_LOSS, fs_role_peer(sender),
                       seg->ack, "ACK for bytes never captured");
    }
    /* The first ACK of the data a FIN came with, after it passed, stops
     * at the FIN: the FIN's own segment came and the FIN was not taken
     * (taken, the ACK would be past it). Any later ACK at the FIN may
     * have crossed it (sent before it came, however late it passes the
     * sensor: segments queued behind a bulk transfer do). */
    if (first_here && peer->fin_sent && peer->fin_with_data &&
        !self->recv_fin && seg->ack == peer->fin_seq &&
        seg->ts > peer->last_fin_time)
        self->fin_held_back = 1;
    prove_ack_arrival(st, sender);
    note_ack_carrier(st, sender);
    return acked_fin_now;
}

/* Payload of sender's, which sent its FIN past bytes not captured
 * (fin_gap), ending at end: does it fill the hole? A bare FIN's hole
 * runs from fin_gap_lo, the first byte not captured so far, to the FIN
 * (fin_seq): a segment from at or below fin_gap_lo moves it on, and the
 * hole is gone when one reaches the FIN. A FIN that came with data
 * brought the bytes from its segment's first, fin_gap_lo then, to the
 * FIN: the hole is gone when a segment reaches that byte from at or
 * below what the receiver had acked (its RCV.NXT: every byte before it
 * it had, and the segment every one after up to the FIN's segment).
 * (Packetdrill audit G6: data+FIN arriving before the 100 bytes in front
 * of it, then those bytes, read as bytes missed: the hole was taken to
 * end at the FIN, past the FIN segment's own payload.) */
static void
fin_gap_fills(const Step *st, FsRole sender, guint32 end)
{
    const FsSegment *seg = st->seg;
    FsEndpoint *self = FS_ENDPOINT(st->conn, sender);
    const FsEndpoint *rcv = FS_ENDPOINT(st->conn, fs_role_peer(sender));

    if (self->fin_with_data) {
        if (fs_seq_lt(seg->seq, self->fin_gap_lo) &&
            fs_seq_geq(end, self->fin_gap_lo) && rcv->ack_seen &&
            fs_seq_leq(seg->seq, rcv->max_ack))
            self->fin_gap = 0;
        return;
    }
    if (fs_seq_leq(seg->seq, self->fin_gap_lo) &&
        fs_seq_gt(end, self->fin_gap_lo)) {
        self->fin_gap_lo = end; /* the hole before the FIN fills up */
        if (fs_seq_geq(end, self->fin_seq))
            self->fin_gap = 0;
    }
}

/* Payload after a FIN: the peer's (half-close, legal) or its own. */
static void
on_payload(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsEndpoint *self = FS_ENDPOINT(st->conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(st->conn, fs_role_peer(sender));
    guint32 end = seg->seq + seg->payload_len;

    self->bytes += seg->payload_len;
    if (!self->fin_sent && !peer->fin_sent)
        self->last_payload_time = st->ts; /* the idle before the close */
    if (self->fin_gap)
        fin_gap_fills(st, sender, end);
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

/* ---- FINs sent ---- */

/* The peer's FIN, already captured, acknowledged this FIN: the capture
 * saw them in the opposite order (vantage point, or reordering). This
 * FIN came first; the peer's FIN carried its ACK (a three-way close). */
static void
fin_captured_late(const Step *st, FsRole sender)
{
    FsConn *conn = st->conn;
    FsEndpoint *self = FS_ENDPOINT(conn, sender);

    conn->three_way_close = 1;
    self->unseen_fin_acked = 0;
    take_edge(st, sender, FS_CAUSE_SEND_FIN);
    fin_ack_captured(st, sender);
    if (self->fin_pending) {
        self->fin_pending = 0;
        fin_received(st, sender);
    }
}

/* Its FIN acknowledges a FIN of the peer's that the capture has not
 * shown yet (the peer's FIN passed the sensor later, or never): it had
 * received that FIN, so it closes from CLOSE_WAIT. */
static gboolean
answers_unseen_fin(const Step *st, FsRole sender)
{
    FsEndpoint *self = FS_ENDPOINT(st->conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(st->conn, fs_role_peer(sender));

    if (!peer->unseen_fin_acked || peer->fin_sent || self->recv_fin ||
        !(st->seg->flags & FS_TH_ACK) || st->seg->ack != peer->snd_nxt + 1)
        return FALSE;
    self->recv_fin = 1;
    take_edge(st, sender, FS_CAUSE_RECV_FIN);
    return TRUE;
}

/* The peer's FIN, which sender's first FIN does not acknowledge, was
 * lost on its way to sender, not crossing: sent again (unanswered) and
 * last sent longer before sender's FIN than sender takes to answer and
 * than any RTO, so that sender, had any copy come, would have taken it
 * first. Then sender closed on its own later, not simultaneously (an
 * orphan that gave up retransmitting its FIN, say). FALSE when unsure
 * (no RTT leg measured). */
static gboolean
peer_fin_lost_before(const Step *st, FsRole sender)
{
    const FsEndpoint *peer = FS_ENDPOINT(st->conn, fs_role_peer(sender));
    FsTime window = leg_window(st->conn, sender);
    FsTime since_fin = st->seg->ts - peer->last_fin_time;

    return peer->fin_count > 1 && !peer->fin_acked && window >= 0 &&
           since_fin >= MIN_RTO_NS && since_fin >= window;
}

/* An endpoint's first FIN: where it closes from, and whether the close
 * is simultaneous or three-way. Inline in on_fin(), its one caller,
 * whatever the inlining budget: a graceful close takes two, and apart
 * (as GCC left it) the calls cost 9.7M instructions more on the
 * bench's medium (0.19M calls, ~50 a FIN). */
static inline ALWAYS_INLINE void
on_first_fin(const Step *st, FsRole sender, gboolean acked_peer_fin_now)
{
    const FsSegment *seg = st->seg;
    FsConn *conn = st->conn;
    FsEndpoint *self = FS_ENDPOINT(conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(conn, fs_role_peer(sender));
    gboolean sent_before_receipt = FALSE;

    if (fs_seq_gt(seg->seq, self->snd_nxt)) {
        /* bytes before it not captured (yet): reordered if they come
         * later, missed if not (settle_fin_gap); fin_gap_fills() */
        self->fin_gap = 1;
        self->fin_gap_lo =
            seg->payload_len > 0 ? seg->seq : self->snd_nxt;
    }
    self->fin_sent = 1;
    self->fin_with_data = seg->payload_len > 0;
    self->fin_seq = seg->seq + seg->payload_len;
    self->fin_ack = seg->ack;
    self->fin_time = seg->ts;
    self->last_fin_time = seg->ts;
    self->fin_count = 1;
    emit_event(st, FS_EV_FIN, sender, self->fin_seq, NULL);

    if (fin_receipt_proven(conn, sender)) {
        /* An ACK of the peer's FIN from one past this FIN passed the
         * sensor first (fin_receipt_waits()). This FIN below the
         * sequence number that ACK came from, not acking the peer's
         * FIN, was sent before it, before the peer's FIN came: a
         * simultaneous close, the ACK sent from CLOSING; else it
         * closes from CLOSE_WAIT. Decided by the ack numbers, not by
         * the order the capture shows. */
        if (fs_seq_lt(self->fin_seq, self->snd_nxt) &&
            !fs_seq_geq(seg->ack, peer->fin_seq + 1))
            sent_before_receipt = TRUE;
        else
            fin_received_by(st, sender, peer->fin_acked_time);
    }
    if (peer->fin_sent && fs_seq_geq(peer->fin_ack, self->fin_seq + 1)) {
        fin_captured_late(st, sender);
        return;
    }
    if (answers_unseen_fin(st, sender))
        conn->three_way_close = 1;
    else if (peer->fin_sent && !self->recv_fin &&
             conn->rst_from == FS_ROLE_NONE &&
             !peer_fin_lost_before(st, sender)) {
        /* (after an RST, the peer's socket was gone: nothing to cross) */
        /* Sent before the peer's FIN arrived (its ack does not cover it):
         * FIN-WAIT-1 now, CLOSING when that FIN comes (RFC 9293 §3.6). */
        if (!conn->simultaneous)
            emit_event(st, FS_EV_SIMULTANEOUS_CLOSE, sender, self->fin_seq,
                       "each FIN sent before the peer's FIN arrived");
        conn->simultaneous = 1;
    } else if (acked_peer_fin_now) {
        /* Its FIN carried the first ACK of the peer's FIN: FIN, FIN+ACK,
         * ACK. */
        conn->three_way_close = 1;
    }
    take_edge(st, sender, FS_CAUSE_SEND_FIN);
    if (sent_before_receipt)
        fin_received_by(st, sender, peer->fin_acked_time);
}

/* Did the segment sent again leave before the ACK of it captured at
 * acked_at could reach its sender? Then the two crossed in flight:
 * nothing was lost. Sooner than one leg of the RTT (and than any RTO)
 * it must have. */
static gboolean
crossed_its_ack(const Step *st, FsRole sender, FsTime acked_at)
{
    FsTime window = leg_window(st->conn, sender);
    FsTime since_ack = st->seg->ts - acked_at;

    return window >= 0 && since_ack < MIN_RTO_NS && since_ack < window;
}

/* role's FIN, sent again, crossed a later segment of the peer's that
 * acked it too (both sides re-sending FINs on their timers after their
 * ACKs were lost, in a simultaneous close): the first ACK was lost, but
 * that one was in flight and may arrive: pending again, from its time
 * (a FIN sent once more after it says it was lost too; silence, that
 * it arrived). */
static void
acked_again_in_flight(const Step *st, FsRole role)
{
    FsConn *conn = st->conn;
    const FsEndpoint *ep = FS_ENDPOINT(conn, role);
    FsRole peer_role = fs_role_peer(role);
    FsTime last = conn->last_hash_ts[peer_role];
    Step at = *st;

    if (ep->fin_acked || !FS_ENDPOINT(conn, peer_role)->ack_seen ||
        !fs_seq_geq(FS_ENDPOINT(conn, peer_role)->max_ack, ep->fin_seq + 1) ||
        last <= ep->fin_acked_time || !crossed_its_ack(st, role, last))
        return;
    at.ts = last;
    fin_ack_captured(&at, role);
}

/* sender's FIN again, the first ACK of the peer's FIN (acked_now), is
 * its answer to that FIN, which passed the sensor before the ACK of
 * sender's FIN captured at acked_at (and so reached sender first): a
 * BSD stack sets the FIN bit on the ACK it sends from CLOSING while its
 * own FIN is unacked (Linux sends a bare ACK), whatever sender takes to
 * answer, and nothing about that ACK follows from it. Sooner than any
 * RTO after it, it must be that answer, not a copy on a timer (Suricata's
 * ftp-data capture: 5.6 ms after the ACK, the server's leg 1.5 ms). */
static gboolean
answers_peer_fin(const Step *st, FsRole sender, gboolean acked_now,
                 FsTime acked_at)
{
    const FsEndpoint *peer = FS_ENDPOINT(st->conn, fs_role_peer(sender));

    return acked_now && peer->fin_time <= acked_at &&
           st->seg->ts - acked_at < MIN_RTO_NS;
}

/* The same FIN again (RFC 9293 §3.8.1 retransmission). When the capture
 * already showed its ACK long enough before, that ACK was lost beyond the
 * sensor: for the passive closer's FIN (or either in a simultaneous
 * close), the final ACK of the close. acked_peer_fin_now: it is the
 * first ACK of the peer's FIN (on_ack()). */
static void
on_fin_again(const Step *st, FsRole sender, gboolean acked_peer_fin_now)
{
    const FsSegment *seg = st->seg;
    FsConn *conn = st->conn;
    FsEndpoint *self = FS_ENDPOINT(conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(conn, fs_role_peer(sender));
    gboolean crossed;
    gboolean answer;

    if (seg->seq + seg->payload_len != self->fin_seq)
        return;
    /* sent again: whether the peer takes it is to be seen */
    FS_ENDPOINT(conn, fs_role_peer(sender))->fin_held_back = 0;
    self->fin_count++;
    self->prev_fin_time = self->last_fin_time;
    self->last_fin_time = seg->ts;
    if ((seg->flags & FS_TH_ACK) && seg->ack != self->fin_ack)
        conn->fin_again_acked_more |= 1u << sender;
    else
        conn->fin_again_acked_more &= ~(1u << sender);
    /* (crossed within a leg: its own words, as before the answer) */
    crossed = self->fin_acked &&
              crossed_its_ack(st, sender, self->fin_acked_time);
    answer = self->fin_acked && !crossed &&
             answers_peer_fin(st, sender, acked_peer_fin_now,
                              self->fin_acked_time);
    crossed |= answer;
    if (crossed) /* for a D-SACK of the copy (fin_dsacked()) */
        conn->fin_rtx_crossed |= 1u << sender;
    else
        conn->fin_rtx_crossed &= ~(1u << sender);
    emit_event_value(st, FS_EV_FIN_RETRANSMIT, sender, self->fin_seq,
                     !self->fin_acked ? "no ACK of it captured: the FIN "
                                        "lost past the sensor, or its ACK "
                                        "before it"
                     : answer ? "its answer to the peer's FIN, which came "
                                "before the ACK of its own: the two "
                                "crossed, nothing lost"
                     : crossed ? "sent again as its ACK was in flight: "
                                 "the two crossed, nothing lost"
                               : "its ACK was captured: lost after the "
                                 "sensor",
                     seg->ts - self->prev_fin_time);
    if (!self->fin_acked || crossed || self->fin_ack_proven)
        return;
    if (conn->simultaneous ||
        (peer->fin_sent && fs_seq_geq(self->fin_ack, peer->fin_seq + 1))) {
        conn->final_ack_lost++;
        emit_event(st, FS_EV_FINAL_ACK_LOST, fs_role_peer(sender),
                   self->fin_seq,
                   conn->simultaneous
                       ? "a FIN re-sent after its ACK was captured: that "
                         "ACK was lost"
                       : "passive closer re-sent its FIN after the final "
                         "ACK");
    }
    ack_was_lost(st, sender);
    acked_again_in_flight(st, sender);
}

/* ---- RSTs ---- */

/* rst_refusal()'s answer for an RST in a synchronized state's window,
 * not at RCV.NXT: refused on the word of RFC 5961 §3, whose challenge
 * ACK the receiver's next segment shows (rst_judged_away(): until then
 * its end state is undecided). */
static const char RST_IN_WINDOW[] =
    "in the window but not RCV.NXT: a challenge ACK expected (RFC 5961), "
    "the connection kept; undecided until its receiver sends again";

/* seg, from sender, whose end state an RST refused in its window left
 * undecided (rst_judged_away()): a word sent after that RST arrived
 * shows it alive, as refused (its challenge ACK, or more). One sent
 * before passes the sensor less than sender's RTT leg after the RST
 * (review of session 22: a segment that crossed the RST cleared it);
 * the challenge ACK, sent at once, a leg after: the least leg measured
 * is the line (the peer's last segment, the RST or later, its start;
 * 1 ms when none was measured). Its own RST decides it too: a live
 * socket's abort or a closed port's reply, it ends CLOSED either way
 * (rst_accepted(), rst_not_taken_ends_sender()). */
static void
rst_answered(const Step *st, FsRole sender)
{
    FsConn *conn = st->conn;
    FsTime leg = answer_time(conn, sender);

    if ((st->seg->flags & FS_TH_RST) ||
        st->seg->ts - conn->last_hash_ts[fs_role_peer(sender)] >=
            (leg >= 0 ? leg : CROSSING_SLACK_NS))
        FS_ENDPOINT(conn, sender)->undecided = FS_UNDECIDED_NONE;
}

/* Would rcv accept an RST from its peer (RFC 9293 §3.10.7.x with RFC
 * 5961 §3, as Linux does)? NULL if so; else why not. *uncertain: the
 * capture lacks what the judgement needs. */
static const char *
rst_refusal(const Step *st, FsRole sender, gboolean *uncertain)
{
    const FsSegment *seg = st->seg;
    const FsEndpoint *snd = FS_ENDPOINT(st->conn, sender);
    const FsEndpoint *rcv = FS_ENDPOINT(st->conn, fs_role_peer(sender));
    guint32 lo;
    guint32 hi = snd->snd_nxt;
    gboolean at_fin;

    *uncertain = FALSE;
    switch ((FsTcpState)rcv->state) {
    case FS_TCP_SYN_SENT:
        /* only an RST whose ACK is acceptable (§3.10.7.3: ISS < SEG.ACK
         * =< SND.NXT, past data a TCP Fast Open SYN carried) */
        if (!rcv->isn_known) {
            *uncertain = TRUE;
            return NULL;
        }
        return (seg->flags & FS_TH_ACK) && fs_seq_gt(seg->ack, rcv->isn) &&
                       fs_seq_leq(seg->ack, rcv->snd_nxt)
                   ? NULL
                   : "unacceptable ACK in SYN_SENT: dropped";
    case FS_TCP_TIME_WAIT:
        /* Linux kills a TIME_WAIT only on seq == RCV.NXT, and only
         * past PAWS (tcp_timewait_state_process(): tcp_paws_reject()
         * drops an RST whose TSval is older than the last it took,
         * ts_recent, unless that one is older than TCP_PAWS_MSL, 60 s:
         * the 2*MSL timer's last start stands for it; packetdrill
         * audit G4). In a synchronized state Linux takes an RST that
         * failed PAWS (tcp_validate_incoming()): not there. */
        if (seg->seq != hi)
            return "not RCV.NXT in TIME_WAIT: dropped, TIME_WAIT stays";
        return seg->has_ts && snd->ts_seen &&
                       fs_ts_older(seg->tsval, snd->last_tsval) &&
                       st->ts - FS_TIME_WAIT_TIMER(rcv) < PAWS_MSL_NS
                   ? "TSval older than the last the TIME_WAIT took (PAWS): "
                     "dropped, TIME_WAIT stays"
                   : NULL;
    case FS_TCP_UNKNOWN:
    case FS_TCP_CLOSED:
        *uncertain = !rcv->seen;
        return NULL; /* no state to protect */
    case FS_TCP_SYN_RECEIVED:
    case FS_TCP_ESTABLISHED:
    case FS_TCP_FIN_WAIT_1:
    case FS_TCP_FIN_WAIT_2:
    case FS_TCP_CLOSE_WAIT:
    case FS_TCP_CLOSING:
    case FS_TCP_LAST_ACK:
    case FS_TCP_N_STATES:
        break;
    }
    if (!rcv->ack_seen || !snd->seen) {
        *uncertain = TRUE;
        return NULL;
    }
    /* Linux (tcp_reset_check()) also takes one at RCV.NXT - 1 once the
     * FIN there came: at the FIN's own seq in CLOSE_WAIT, CLOSING or
     * LAST_ACK (a closed socket's RST answering data that acked only up
     * to the FIN). From FIN_WAIT_1 or ESTABLISHED it is accepted either
     * way, once rcv had all before the FIN: at RCV.NXT if the FIN had
     * not come yet. */
    at_fin = snd->fin_sent && seg->seq == snd->fin_seq &&
             (rcv->state == FS_TCP_CLOSE_WAIT ||
              rcv->state == FS_TCP_CLOSING || rcv->state == FS_TCP_LAST_ACK ||
              (!rcv->recv_fin && !snd->fin_gap &&
               fs_seq_geq(rcv->max_ack, snd->fin_seq) &&
               (rcv->state == FS_TCP_ESTABLISHED ||
                rcv->state == FS_TCP_FIN_WAIT_1)));
    /* (with the ACK bit, below its sender's SND.NXT: neither a port's
     * reply, which has none answering an ACK, nor a live abort, at
     * SND.NXT: a guess, as below) */
    if (at_fin) {
        *uncertain = (seg->flags & FS_TH_ACK) != 0;
        return NULL;
    }
    /* RCV.NXT lies between what rcv acked and what snd sent (past a FIN
     * rcv took, max_ack reached it: at_fin above took the one seq where
     * RCV.NXT - 1 and max_ack differ), short of a FIN it did not take */
    lo = rcv->max_ack;
    if (rcv->fin_held_back && snd->fin_sent && hi == snd->fin_seq + 1)
        hi = snd->fin_seq;
    if (fs_seq_gt(lo, hi))
        hi = lo;
    if (fs_seq_between(seg->seq, lo, hi + 1)) {
        /* at RCV.NXT only if what its sender sent before it on the same
         * path, up to hi, had not all arrived: a guess */
        *uncertain = seg->seq != hi;
        return NULL;
    }
    /* (Linux's tcp_sequence(): in the window up to RCV.NXT + RCV.WND,
     * that one included; in SYN_RECEIVED as well, RFC 9293 §3.10.7.4
     * with RFC 5961: Linux's tcp_check_req() drops one outside the
     * SYN-ACK's window and answers one in it, not at RCV.NXT, with a
     * challenge ACK, the request kept; packetdrill audit G2) */
    if (fs_seq_between(seg->seq, lo, lo + rcv->rcv_wnd + 1u))
        return RST_IN_WINDOW;
    return "outside the receive window: dropped";
}

/* A bare RST (a port's reply: no ACK bit; a live socket's abort has
 * it) in FIN_WAIT_2 at the ack of the peer's FIN, which brought no
 * data the sender had not acked: a live FIN_WAIT_2 acks that FIN and
 * enters TIME_WAIT (RFC 9293 §3.10.7.4; only new data after close draws
 * an RST, abort_after_close). Or, no FIN of the peer's, one answering
 * (within an RTT leg) a peer segment that brought nothing new, at its
 * ack (a keep-alive, a window update): a live FIN_WAIT_2 acks it. The
 * orphan was gone before (Linux: timed out, tcp_fin_timeout, or never
 * kept, tcp_max_tw_buckets): the RST is a port's with no connection. */
/* The segment (an RST) answers the peer's last one: it passed the
 * sensor within the sender's RTT leg (jitter allowed) after it. */
static gboolean
answers_peer(const Step *st, FsRole sender)
{
    FsTime window = leg_window(st->conn, sender);

    return window >= 0 &&
           st->seg->ts - st->conn->last_hash_ts[fs_role_peer(sender)] <
               window;
}

/* sender's segment sits at the peer's latest ACK: <SEQ=SEG.ACK>, as a
 * port with no connection answers it (RFC 9293 §3.10.7.1). */
static gboolean
at_peer_ack(const Step *st, FsRole sender)
{
    const FsEndpoint *peer = FS_ENDPOINT(st->conn, fs_role_peer(sender));

    return peer->ack_seen && st->seg->seq == peer->max_ack;
}

/* sender answers, within its RTT leg, a peer segment that brought
 * nothing sender had not acked: what a live socket answers with nothing
 * or an ACK. */
static gboolean
answers_nothing_new(const Step *st, FsRole sender)
{
    const FsEndpoint *self = FS_ENDPOINT(st->conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(st->conn, fs_role_peer(sender));

    return !fs_seq_gt(peer->snd_nxt, self->max_ack) &&
           answers_peer(st, sender);
}

static gboolean
fin_wait_2_gone(const Step *st, FsRole sender)
{
    const FsConn *conn = st->conn;
    const FsEndpoint *self = FS_ENDPOINT(conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(conn, fs_role_peer(sender));

    if ((st->seg->flags & FS_TH_ACK) || self->state != FS_TCP_FIN_WAIT_2 ||
        !self->ack_seen)
        return FALSE;
    if (peer->fin_sent)
        return !peer->fin_with_data &&
               fs_seq_geq(self->max_ack, peer->fin_seq) &&
               st->seg->seq == peer->fin_ack;
    return at_peer_ack(st, sender) && answers_nothing_new(st, sender);
}

/* An RST without the ACK bit at the peer's latest ACK from an address
 * and port another host's SYN came from (fs_tcpstate_other_host()):
 * that host's SYN_SENT answering the peer's ACK of this connection
 * (RFC 9293 §3.10.7.3: <SEQ=SEG.ACK>), as a TIME_WAIT sends no RST. The
 * sender's own state here is untouched. */
static gboolean
other_host_rst(const Step *st, FsRole sender)
{
    return st->conn->other_host && sender == FS_ROLE_CLIENT &&
           !(st->seg->flags & FS_TH_ACK) && at_peer_ack(st, sender);
}

/* An RST at the peer's first FIN's ACK, the peer's FIN sent again
 * since with another ACK, and data of the peer's past what the sender
 * acked: it answers that data (or that first FIN), which reached a live
 * socket after its close (an abort after close), not the copy, which is
 * answered at its own ACK (nDPI's ethereum capture). With no such data
 * the RST answers the first FIN, its sender already gone. */
static gboolean
first_ack_answers_data(const Step *st, FsRole sender)
{
    const FsEndpoint *self = FS_ENDPOINT(st->conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(st->conn, fs_role_peer(sender));

    return ((st->conn->fin_again_acked_more >> fs_role_peer(sender)) & 1) &&
           peer->bytes > 0 &&
           fs_seq_gt(peer->snd_nxt - (peer->fin_sent ? 1 : 0),
                     self->max_ack);
}

/* An RST of the sender of a FIN answering the peer's re-sent FIN: at
 * that FIN's ack, the first one's (when the copy carried it too) or, in
 * a simultaneous close, the ack of the peer's FIN that followed its own,
 * without the ACK bit (RFC 9293 §3.10.7.1: a port's reply; a live abort
 * at FIN + 1 has it). A TIME_WAIT would have acked it: the sender held
 * no connection. Not at the first FIN's ACK when the copy acked more and
 * the peer's data went unacked (first_ack_answers_data()). */
static gboolean
answers_fin_again(const Step *st, FsRole sender)
{
    const FsEndpoint *self = FS_ENDPOINT(st->conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(st->conn, fs_role_peer(sender));

    /* (not from an endpoint already CLOSED: a new socket of its address
     * and port, after a reuse took its TIME_WAIT over or found it gone,
     * answering its peer's old ACK, RFC 9293 §3.10.7.3) */
    /* (nor from the passive closer: its FIN acked the peer's, which it
     * had taken; a FIN of the peer's again finds it in LAST_ACK, which
     * acks it) */
    /* (nor another host's, sharing its address and port:
     * other_host_rst()) */
    return peer->fin_sent && peer->fin_count > 1 && self->fin_sent &&
           self->state != FS_TCP_CLOSED &&
           !fs_seq_geq(self->fin_ack, peer->fin_seq + 1) &&
           !other_host_rst(st, sender) &&
           ((st->seg->seq == peer->fin_ack &&
             !first_ack_answers_data(st, sender)) ||
            (!(st->seg->flags & FS_TH_ACK) && peer->ack_seen &&
             st->seg->seq == peer->max_ack &&
             st->seg->seq == self->fin_seq + 1));
}

/* A bare RST at the peer's ACK of the sender's FIN (<SEQ=SEG.ACK>, its
 * SND.NXT), answering within a leg a peer segment that brought nothing
 * new, from an endpoint the capture has in CLOSING or TIME_WAIT: a port
 * with no connection answers so (RFC 9293 §3.10.7.1). A live CLOSING
 * takes that ACK into TIME_WAIT, and a TIME_WAIT answers no ACK with an
 * RST (Linux sends one from a timewait socket only in its FIN_WAIT_2
 * substate). The socket had gone before that ACK came (a SO_LINGER 0
 * close from CLOSING sends nothing, Linux tcp_disconnect(); packetdrill
 * audit G8): that ACK reached no TIME_WAIT. */
static gboolean
closing_gone(const Step *st, FsRole sender)
{
    const FsEndpoint *self = FS_ENDPOINT(st->conn, sender);

    return !(st->seg->flags & FS_TH_ACK) && self->fin_sent &&
           (self->state == FS_TCP_CLOSING ||
            self->state == FS_TCP_TIME_WAIT) &&
           at_peer_ack(st, sender) && st->seg->seq == self->fin_seq + 1 &&
           self->ack_seen && answers_nothing_new(st, sender);
}

/* What an accepted RST says beyond "abort": an answer to the peer's
 * re-sent FIN (RST.seq is that FIN's ack, the first one's or, in a
 * simultaneous close, the ack of the peer's FIN that followed its own,
 * RFC 9293 §3.10.7.1: the active closer held no TIME_WAIT, which would
 * have acked it), or a closed socket that got data (Linux resets on data
 * after close: it never reached TIME_WAIT), or a FIN_WAIT_2 gone before
 * the peer's FIN came, or an RST after the sender's own FIN. TRUE when
 * its sender held no connection any more; *no_time_wait then when the
 * sender's TIME_WAIT is taken back (the caller forgets its start once
 * the sender has left it: that move says which TIME_WAIT went). */
static gboolean state_lost(const Step *st, FsRole sender);

static gboolean
rst_meaning(const Step *st, FsRole sender, gboolean *no_time_wait)
{
    FsConn *conn = st->conn;
    FsEndpoint *self = FS_ENDPOINT(conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(conn, fs_role_peer(sender));
    guint32 peer_data_end = peer->snd_nxt - (peer->fin_sent ? 1 : 0);
    gboolean fin_again = answers_fin_again(st, sender);

    if (fin_again && self->state == FS_TCP_TIME_WAIT &&
        self->time_wait_restart_us != 0) {
        /* it had acked a copy of that FIN sent again, as only a
         * TIME_WAIT does: the TIME_WAIT was there, and ended unseen
         * before this copy came (killed, the host restarted) */
        conn->rst_answers_fin = 1;
        self->ack_pending = 0;
        emit_event(st, FS_EV_RST_ANSWERS_FIN, sender, st->seg->seq,
                   "active closer answered the re-sent FIN with RST: its "
                   "TIME_WAIT, which had acked an earlier copy, had ended "
                   "unseen (killed, or the host restarted)");
        return TRUE;
    } else if (fin_again) {
        conn->rst_answers_fin = 1;
        *no_time_wait = TRUE;
        self->ack_pending = 0; /* gone: whether it arrived is moot */
        emit_event(st, FS_EV_RST_ANSWERS_FIN, sender, st->seg->seq,
                   "active closer answered the re-sent FIN with RST: "
                   "it held no TIME_WAIT");
        return TRUE;
    } else if (self->fin_sent && !self->recv_fin && self->ack_seen &&
               peer->bytes > 0 && fs_seq_gt(peer_data_end, self->max_ack) &&
               (self->state == FS_TCP_FIN_WAIT_1 ||
                self->state == FS_TCP_FIN_WAIT_2)) {
        conn->aborted_after_close = 1;
        /* its FIN sent again, never acked: it may have given up before
         * the data came (a user timeout, orphan retries), the RST then a
         * port's, which reads the same (kernel audit 18k2 F4) */
        if (self->state == FS_TCP_FIN_WAIT_1 && self->fin_count > 1 &&
            !self->fin_acked && self->undecided == FS_UNDECIDED_NONE)
            self->undecided = FS_UNDECIDED_GAVE_UP;
        emit_event(st, FS_EV_ABORT_AFTER_CLOSE, sender, st->seg->seq,
                   fs_tcp_state_name(self->state));
    } else if (fin_wait_2_gone(st, sender)) {
        emit_event(st, FS_EV_STATE_LOST, sender, st->seg->seq,
                   peer->fin_sent
                       ? "RST, not the ACK a FIN_WAIT_2 gives the peer's "
                         "FIN: it was gone before (timed out, "
                         "tcp_fin_timeout, or not kept, tcp_max_tw_buckets), "
                         "the port held no connection"
                       : "RST, not the ACK a FIN_WAIT_2 gives the peer's "
                         "segment (a keep-alive): it was gone before (timed "
                         "out, tcp_fin_timeout), the port held no "
                         "connection");
        return TRUE;
    } else if (self->fin_sent && self->rst_count == 1 &&
               self->state != FS_TCP_CLOSED &&
               !(conn->rst_from == FS_ROLE_NONE && state_lost(st, sender))) {
        emit_event(st, FS_EV_RST_AFTER_FIN, sender, st->seg->seq,
                   fs_tcp_state_name(self->state));
    }
    return FALSE;
}

/* An RST from SYN_SENT answering the peer's ACK of another connection
 * (half-open discovery, RFC 9293 §3.5.1, Figure 10): <SEQ=SEG.ACK>. It
 * clears the peer's stale state; the sender stays in SYN_SENT. */
static gboolean
half_open_reset(const Step *st, FsRole sender)
{
    FsConn *conn = st->conn;
    FsEndpoint *self = FS_ENDPOINT(conn, sender);
    FsEndpoint *peer = FS_ENDPOINT(conn, fs_role_peer(sender));

    if (self->state != FS_TCP_SYN_SENT || !self->isn_known ||
        (st->seg->flags & FS_TH_ACK) || !peer->ack_seen ||
        peer->max_ack == self->isn + 1 || st->seg->seq != peer->max_ack)
        return FALSE;
    emit_event(st, FS_EV_HALF_OPEN_RESET, sender, st->seg->seq,
               "RST from SYN_SENT to an ACK of an older connection: the "
               "peer's stale state goes, the SYN goes on");
    /* what the peer said belonged to the old connection */
    fs_endpoint_init(peer);
    return TRUE;
}

/* An RST without the ACK bit at the peer's acknowledgment (SEG.ACK),
 * below what its sender had sent, from an endpoint the capture has
 * ESTABLISHED, CLOSE_WAIT or LAST_ACK: the reply of a port that holds no connection (RFC 9293
 * §3.10.7.1; Linux tcp_v4_send_reset()). A live socket in ESTABLISHED
 * answers a segment with an ACK and aborts at SND.NXT (RFC 9293
 * §3.10.4; with the ACK bit on Linux and the BSDs, without it on some
 * stacks: Windows XP, Darwin in public captures, so an RST at SND.NXT
 * tells nothing). Its connection was gone before: retransmissions given
 * up, a user timeout, a reboot. (A socket closed by its user that gets
 * data answers the same way from FIN_WAIT_1 or FIN_WAIT_2:
 * abort_after_close, not this.) So is one from SYN_SENT answering a
 * SYN-ACK that acknowledges its SYN, and one from CLOSING or TIME_WAIT
 * at the ACK of its FIN (closing_gone()). */
static gboolean
state_lost(const Step *st, FsRole sender)
{
    const FsEndpoint *self = FS_ENDPOINT(st->conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(st->conn, fs_role_peer(sender));

    if ((st->seg->flags & FS_TH_ACK) || !peer->ack_seen ||
        st->seg->seq != peer->max_ack)
        return FALSE;
    /* in SYN_SENT, at the ACK of a SYN-ACK that acknowledges its SYN:
     * a live SYN_SENT acks that SYN-ACK (RFC 9293 §3.10.7.3); the
     * connect had given up, or the SYN came from no socket (a scan) */
    if (self->state == FS_TCP_SYN_SENT)
        return self->isn_known && peer->isn_known &&
               st->seg->seq == self->isn + 1;
    if (closing_gone(st, sender))
        return TRUE;
    if (!fs_seq_lt(st->seg->seq, self->snd_nxt))
        return FALSE;
    if (self->state == FS_TCP_ESTABLISHED)
        return !self->fin_sent;
    /* a live FIN_WAIT_1 or CLOSING answers a peer segment that brought
     * nothing new (a duplicate ACK) with nothing, or an ACK; after its
     * FIN was sent again and never acked it may have given up (a user
     * timeout, its orphan retries): its port answers so (packetdrill
     * audit: nstat TCPAbortOnTimeout). One that brought data it had not
     * acked is abort_after_close's (rst_meaning()) */
    if (self->state == FS_TCP_FIN_WAIT_1 || self->state == FS_TCP_CLOSING)
        return self->ack_seen && self->fin_count > 1 && !self->fin_acked &&
               answers_nothing_new(st, sender);
    /* a live CLOSE_WAIT or LAST_ACK (its FIN unacked) answers a segment
     * with an ACK too; one that answers the peer's (after its own FIN,
     * in LAST_ACK) with a bare RST below SND.NXT is a port's (some
     * stacks abort on their own with a bare RST at SND.UNA: not an
     * answer) */
    return (self->state == FS_TCP_CLOSE_WAIT ||
            (self->state == FS_TCP_LAST_ACK &&
             st->conn->last_hash_ts[fs_role_peer(sender)] >
                 self->last_fin_time)) &&
           answers_peer(st, sender);
}

/* The first RST, bare, from an endpoint ESTABLISHED that sent nothing
 * past its SYN, at its ISN + 1, all the peer had acked, answering the
 * peer's data within a leg: what a port with no connection sends
 * (<SEQ=SEG.ACK>), a socket never accepted too (Linux: a request dropped
 * as its listener closed, under TCP_DEFER_ACCEPT, or a full accept
 * queue with tcp_abort_on_overflow); a live socket's abort (RST+ACK on
 * Linux) would hardly follow that data at once. Which state the RST
 * left is a guess. */
static void
never_accepted(const Step *st, FsRole sender)
{
    const FsConn *conn = st->conn;
    FsEndpoint *self = FS_ENDPOINT(st->conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(conn, fs_role_peer(sender));

    if (sender != FS_ROLE_SERVER || conn->rst_from != FS_ROLE_NONE ||
        (st->seg->flags & FS_TH_ACK) ||
        self->state != FS_TCP_ESTABLISHED || !self->isn_known ||
        self->snd_nxt != self->isn + 1 || self->bytes > 0 ||
        !peer->ack_seen || st->seg->seq != self->snd_nxt ||
        peer->max_ack != self->snd_nxt || peer->bytes == 0 ||
        conn->last_hash_ts[fs_role_peer(sender)] <= self->state_since ||
        !answers_peer(st, sender) || self->undecided != FS_UNDECIDED_NONE)
        return;
    self->undecided = FS_UNDECIDED_NEVER_ACCEPTED;
}

/* The first RST, with the ACK bit, from an endpoint ESTABLISHED at its
 * SND.NXT (a live socket's abort: Linux's tcp_send_active_reset()),
 * acking the peer's FIN exactly: its RCV.NXT was past that FIN, which
 * had reached it. It aborted from CLOSE_WAIT (packetdrill audit F7: the
 * peer's read() after the RST fails; a port's reply to the FIN would
 * carry no ACK bit, RFC 9293 §3.10.7.1). */
static void
rst_acks_fin(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    const FsEndpoint *self = FS_ENDPOINT(st->conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(st->conn, fs_role_peer(sender));

    if ((seg->flags & FS_TH_ACK) && st->conn->rst_from == FS_ROLE_NONE &&
        self->state == FS_TCP_ESTABLISHED && !self->recv_fin &&
        !self->fin_sent && peer->fin_sent &&
        seg->ack == peer->fin_seq + 1 && seg->seq == self->snd_nxt)
        fin_received(st, sender);
}

static void
rst_accepted(const Step *st, FsRole sender, gboolean uncertain)
{
    FsConn *conn = st->conn;
    FsEndpoint *self = FS_ENDPOINT(conn, sender);
    FsRole peer_role = fs_role_peer(sender);
    FsEndpoint *peer = FS_ENDPOINT(conn, peer_role);
    /* another host's, sharing the sender's address and port: the
     * sender's state here is not its to end */
    gboolean hosts_rst = other_host_rst(st, sender);
    gboolean no_time_wait = FALSE;
    FsTcpState from;
    FsTcpState was;

    /* an RST taken ends what an earlier one refused in the window left
     * undecided (RFC 5961 §3's challenge ACK not captured, the RST at
     * RCV.NXT after it), before the reasons below may take the slot
     * (review of session 22: a GAVE_UP lost) */
    if (peer->undecided == FS_UNDECIDED_RST_UNANSWERED)
        peer->undecided = FS_UNDECIDED_NONE;
    if (!hosts_rst && self->undecided == FS_UNDECIDED_RST_UNANSWERED)
        self->undecided = FS_UNDECIDED_NONE;
    /* a FIN whose arrival its receiver's ACK proved, waiting for that
     * receiver's own FIN (fin_receipt_waits()), which will not come
     * now: it arrived at that ACK */
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        FsRole other = fs_role_peer((FsRole)r);

        if (fin_receipt_proven(conn, (FsRole)r))
            fin_received_by(st, (FsRole)r,
                            FS_ENDPOINT(conn, other)->fin_acked_time);
    }
    rst_acks_fin(st, sender);
    from = self->state;
    was = from;

    /* the receiver of the first RST aborts on its own after it (ACK bit,
     * at its SND.NXT: a live socket's, not a port's reply): that first
     * RST may never have arrived */
    if (conn->rst_from == (gint8)peer_role && self->rst_count == 0 &&
        self->state == FS_TCP_CLOSED && (st->seg->flags & FS_TH_ACK) &&
        st->seg->seq == self->snd_nxt)
        conn->rst_uncertain = 1;
    never_accepted(st, sender);
    self->rst_count++;
    /* on one path, the sender's ACK of the peer's FIN got there first */
    if (hosts_rst)
        from = FS_TCP_CLOSED; /* no socket of this connection sent it */
    else
        ack_arrived(st, peer_role);
    if (!hosts_rst && rst_meaning(st, sender, &no_time_wait))
        from = FS_TCP_CLOSED; /* no TIME_WAIT: the socket was gone */
    if (conn->rst_from == FS_ROLE_NONE) {
        if (from != FS_TCP_CLOSED && state_lost(st, sender)) {
            from = FS_TCP_CLOSED;
            emit_event(st, FS_EV_STATE_LOST, sender, st->seg->seq,
                       self->state == FS_TCP_SYN_SENT
                           ? "RST without ACK answering a SYN-ACK that "
                             "acknowledges its SYN, the reply of a port with "
                             "no connection: a connect given up, or a SYN "
                             "sent with no socket (a port scan)"
                           : self->state == FS_TCP_ESTABLISHED
                           ? "RST without ACK at the peer's ACK, the reply "
                             "of a port with no connection: ESTABLISHED had "
                             "ended unseen before (retries given up, user "
                             "timeout, reboot)"
                           : "RST without ACK at the peer's ACK, answering "
                             "it, the reply of a port with no connection: "
                             "the closing socket had ended unseen before "
                             "(removed, retries given up)");
        }
        conn->rst_from = (gint8)sender;
        conn->rst_time = st->ts;
        conn->rst_state = (guint8)from;
        conn->rst_peer_state = (guint8)peer->state;
        conn->rst_uncertain = uncertain ? 1 : 0;
        conn->rst_at_una = at_peer_ack(st, sender) &&
                           fs_seq_lt(st->seg->seq, self->snd_nxt);
        /* (kept only where rst_state does not say it: a frozen record's
         * flag byte stays 0) */
        conn->rst_sender_was = was != from ? (guint8)was : 0;
        emit_event(st, FS_EV_RST, sender, st->seg->seq,
                   fs_tcp_state_name(from));
    } else if (conn->rst_from == (gint8)sender && !at_peer_ack(st, sender)) {
        /* (one elsewhere may be the one its receiver took: rst_outlived()) */
        conn->rst_at_una = 0;
    }
    self->fin_pending = 0;
    peer->fin_pending = 0;
    /* a port's reply: its connection ended before, unseen (the RST
     * itself leaves from CLOSED: no send_rst edge) */
    if (!hosts_rst && from == FS_TCP_CLOSED && self->state != FS_TCP_CLOSED)
        take_edge(st, sender, FS_CAUSE_GONE);
    if (no_time_wait) {
        /* it held none: after the move out of it, which names it */
        self->time_wait_since = FS_TIME_UNSET;
        self->time_wait_restart_us = 0;
    }
    if (!hosts_rst)
        take_edge(st, sender, FS_CAUSE_SEND_RST);
    if (peer->state == FS_TCP_TIME_WAIT) {
        conn->tw_assassinated = 1;
        emit_event(st, FS_EV_TIME_WAIT_ASSASSINATED, peer_role, st->seg->seq,
                   "RST accepted in TIME_WAIT (RFC 1337 hazard)");
    }
    take_edge(st, peer_role, FS_CAUSE_RECV_RST);
}

/* An RST from the sender of a FIN whose ACK passed the sensor: the
 * socket was gone, so that ACK had arrived — unless it aborts on its own
 * (RST+ACK, a live socket's: SO_LINGER 0, unread data) after ACKs of
 * that FIN were lost (it was sent again) and before it was due again:
 * then the last ACK is as likely lost as the ones before it, as at the
 * capture's end (settle_ack()): taken so, and undecided, when the RST is
 * accepted. */
static gboolean
abort_before_fin_due(const Step *st, FsRole sender)
{
    const FsEndpoint *self = FS_ENDPOINT(st->conn, sender);

    return (st->seg->flags & FS_TH_ACK) && self->ack_pending &&
           self->fin_acked_lost &&
           st->ts - self->last_fin_time < silence_needed(st->conn, self);
}

/* abort_before_fin_due() of an RST its receiver accepted. */
static void
ack_before_abort_lost(const Step *st, FsRole sender)
{
    ack_was_lost(st, sender);
    FS_ENDPOINT(st->conn, sender)->undecided = FS_UNDECIDED_ACK_BEFORE_RST;
}

/* An RST its receiver drops that is a port's reply (state_lost(): a
 * bare RST at the peer's ACK, below SND.NXT, answering it, from a state
 * whose live socket would have acked): whatever the receiver made of
 * it, its sender held no connection after it (packetdrill audit G7: a
 * LAST_ACK that got data past its RCV.NXT aborts, Linux's
 * TCPAbortOnData, and answers with RST <SEQ=SEG.ACK> at its FIN, which
 * the peer, its RCV.NXT past that FIN, drops). */
static void
rst_not_taken_ends_sender(const Step *st, FsRole sender)
{
    const FsEndpoint *self = FS_ENDPOINT(st->conn, sender);

    if (st->conn->rst_from != FS_ROLE_NONE ||
        self->state == FS_TCP_CLOSED || self->state == FS_TCP_UNKNOWN ||
        !state_lost(st, sender))
        return;
    emit_event(st, FS_EV_STATE_LOST, sender, st->seg->seq,
               "RST without ACK at the peer's ACK, answering it, the reply "
               "of a port with no connection (or of a closed socket "
               "aborting on data): its receiver did not take it, but its "
               "sender held no connection after it");
    take_edge(st, sender, FS_CAUSE_GONE);
}

/* RST: both ends are gone if its receiver accepts it; one it would not
 * accept changes nothing, not even what the capture knows of its sender
 * (an injected RST, an old one). TRUE when it is so judged away. A
 * TIME_WAIT that follows RFC 1337 ignores every RST (Linux
 * net.ipv4.tcp_rfc1337). */
static gboolean
rst_judged_away(const Step *st, FsRole sender, gboolean *uncertain)
{
    FsConn *conn = st->conn;
    FsEndpoint *snd = FS_ENDPOINT(conn, sender);
    const FsEndpoint *rcv = FS_ENDPOINT(conn, fs_role_peer(sender));
    const char *refused;

    /* an RST after its FIN's ACK passed the sensor: the socket was gone,
     * so that ACK had arrived — unless the RST answers a segment from
     * before it: without the ACK bit, at an acknowledgment below what
     * its sender had sent (<SEQ=SEG.ACK> of a segment that did not
     * acknowledge its FIN: the data that reset a closed socket); or the
     * peer's FIN sent again, which says only that no TIME_WAIT was
     * there to ack it (the socket was gone, whatever came before) */
    gboolean fin_again = answers_fin_again(st, sender);
    gboolean infer = ((st->seg->flags & FS_TH_ACK) ||
                      !fs_seq_lt(st->seg->seq, snd->snd_nxt)) &&
                     !fin_again;
    gboolean defer;

    /* a port's answer to the ACK of its FIN from CLOSING: that ACK
     * found no socket, and took it to no TIME_WAIT (its FIN acked: the
     * close done, as from LAST_ACK) */
    if (infer && snd->ack_pending && closing_gone(st, sender)) {
        infer = FALSE;
        snd->ack_pending = 0;
        note_close_done(st);
    }
    defer = infer && abort_before_fin_due(st, sender);

    if (infer && !defer)
        ack_arrived(st, sender);
    if (half_open_reset(st, sender))
        return TRUE;
    refused = rst_refusal(st, sender, uncertain);
    /* the first RST, bare, to an endpoint whose own close was done (its
     * FIN acked by the RST's sender before: CLOSED, or LAST_ACK with
     * that ACK on its way, which came first on the one path): no
     * connection there to take it (a middlebox's reset after the close,
     * say), and its sender keeps what it held. Not one with the ACK bit
     * (at its sender's SND.NXT: that stack's own abort, of a TIME_WAIT
     * it still held open, BSD/XNU, Windows), nor one answering the
     * peer's FIN sent again (no TIME_WAIT answers that with an RST:
     * rst_meaning()) */
    if (refused == NULL && !(st->seg->flags & FS_TH_ACK) && !fin_again &&
        rcv->seen && rcv->fin_sent &&
        rcv->rst_count == 0 && conn->rst_from == FS_ROLE_NONE &&
        ((rcv->state == FS_TCP_CLOSED && rcv->fin_acked) ||
         (rcv->ack_pending && fs_tcpstate_likely(rcv) == FS_TCP_CLOSED)))
        refused = "its receiver had closed (its FIN acked): no connection "
                  "took it";
    if (refused == NULL && rcv->state == FS_TCP_TIME_WAIT &&
        st->cfg != NULL && st->cfg->rfc1337)
        refused = "RFC 1337: TIME_WAIT ignores RSTs";
    /* an abort after lost ACKs of its FIN: the last one taken as lost
     * too only when the RST is taken (one dropped changes nothing) */
    if (defer) {
        if (refused == NULL)
            ack_before_abort_lost(st, sender);
        else
            ack_arrived(st, sender);
    }
    if (refused == NULL)
        return FALSE;
    /* its challenge ACK still to show (segment_step()) */
    if (refused == RST_IN_WINDOW &&
        FS_ENDPOINT(conn, fs_role_peer(sender))->undecided ==
            FS_UNDECIDED_NONE)
        FS_ENDPOINT(conn, fs_role_peer(sender))->undecided =
            FS_UNDECIDED_RST_UNANSWERED;
    conn->rst_ignored++;
    emit_event(st, FS_EV_RST_IGNORED, fs_role_peer(sender), st->seg->seq,
               refused);
    rst_not_taken_ends_sender(st, sender);
    return TRUE;
}

/* ---- the handshake (RFC 9293 §3.5): what the close analysis needs ---- */

/* The same SYN-ACK again from an endpoint the capture has ESTABLISHED
 * by the peer's ACK of it, which it sent nothing past (no data, nor an
 * ACK of any: of the peer's data or FIN, if it sent some, none was
 * taken, as a full accept queue drops them): only SYN_RECEIVED re-sends
 * a SYN-ACK (RFC 9293 §3.10.7.4;
 * Linux: the request's timer), so that ACK never arrived, unless the two
 * crossed in flight, or it answers the peer's SYN sent again (sooner
 * than any RTO after that ACK: the timer's re-send comes later). */
static gboolean
synack_again(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    const FsEndpoint *self = FS_ENDPOINT(st->conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(st->conn, fs_role_peer(sender));

    return self->state == FS_TCP_ESTABLISHED && self->isn_known &&
           seg->seq == self->isn && self->snd_nxt == self->isn + 1 &&
           !self->fin_sent && peer->isn_known && seg->ack == peer->isn + 1 &&
           self->max_ack == peer->isn + 1 &&
           self->state_since != FS_TIME_UNSET &&
           seg->ts - self->state_since >= MIN_RTO_NS &&
           !crossed_its_ack(st, sender, self->state_since);
}

/* An endpoint whose SYN-ACK came again (handshake_ack_lost) that shows
 * it got an ACK since: it sends data or a FIN (an application's: a
 * socket still in SYN_RECEIVED has none), or acks the peer's data (an
 * RST+ACK too). */
static void
handshake_ack_shown(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsEndpoint *self = FS_ENDPOINT(st->conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(st->conn, fs_role_peer(sender));
    gboolean acks_data = (seg->flags & FS_TH_ACK) && peer->isn_known &&
                         fs_seq_gt(seg->ack, peer->isn + 1);

    if ((self->state != FS_TCP_SYN_RECEIVED &&
         self->undecided != FS_UNDECIDED_HANDSHAKE_ACK) ||
        (seg->flags & FS_TH_SYN) ||
        ((seg->flags & FS_TH_RST)
             ? !acks_data
             : seg->payload_len == 0 && !(seg->flags & FS_TH_FIN) &&
                   !acks_data))
        return;
    if (self->undecided == FS_UNDECIDED_HANDSHAKE_ACK)
        self->undecided = FS_UNDECIDED_NONE;
    take_edge(st, sender, FS_CAUSE_HANDSHAKE_DONE);
}

static gboolean refused_syn_again(const Step *st, FsRole sender);

/* A SYN-ACK from the endpoint that refused the peer's connect (its RST
 * to the peer's SYN_SENT), now acking the peer's SYN sent again (back
 * in SYN_SENT, on_syn()): a SYN that came after the RST, answered by a
 * listener: the refusal did not end the connection, which goes on from
 * here (packetdrill audit F5: a SYN refused, then answered; Windows
 * re-sends a refused SYN). The refusal is forgotten: no reset. */
static gboolean
refusal_answered(const Step *st, FsRole sender)
{
    FsConn *conn = st->conn;
    const FsEndpoint *peer = FS_ENDPOINT(conn, fs_role_peer(sender));

    if (conn->rst_from != (gint8)sender ||
        conn->rst_peer_state != FS_TCP_SYN_SENT ||
        peer->state != FS_TCP_SYN_SENT || !peer->isn_known ||
        st->seg->ack != peer->isn + 1)
        return FALSE;
    rst_forgotten(conn);
    return TRUE;
}

static void
on_syn(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsEndpoint *self = FS_ENDPOINT(st->conn, sender);

    if (!self->isn_known) {
        self->isn = seg->seq;
        self->isn_known = 1;
    }
    if (!(seg->flags & FS_TH_ACK)) {
        st->conn->syn_seen = 1;
        /* from CLOSED, only a refused connect's SYN sent again (RFC 9293
         * Figure 5: CLOSED -> SYN_SENT), SYN_SENT again */
        if (self->state != FS_TCP_CLOSED || refused_syn_again(st, sender))
            take_edge(st, sender, FS_CAUSE_SEND_SYN);
        return;
    }
    if (self->state == FS_TCP_CLOSED) {
        if (refusal_answered(st, sender))
            take_edge(st, sender, FS_CAUSE_RECV_SYN);
        return;
    }
    if (synack_again(st, sender)) {
        st->conn->handshake_ack_lost = 1;
        emit_event(st, FS_EV_HANDSHAKE_ACK_LOST, fs_role_peer(sender),
                   seg->seq,
                   "SYN-ACK sent again after the ACK of it was captured: "
                   "that ACK was lost after the sensor, or not taken (a "
                   "full accept queue, TCP_DEFER_ACCEPT); its sender is "
                   "back in SYN_RECEIVED");
        take_edge(st, sender, FS_CAUSE_ACK_LOST);
        return;
    }
    /* the SYN's sender is ESTABLISHED once its ACK of this SYN-ACK shows
     * it arrived (on_handshake_ack) */
    take_edge(st, sender, FS_CAUSE_RECV_SYN);
}

gboolean
fs_tcpstate_other_clock(const FsConn *conn, int sender, const FsSegment *seg)
{
    const FsEndpoint *self = FS_ENDPOINT(conn, sender);

    return seg->has_ts && self->ts_seen &&
           fs_ts_older(seg->tsval, self->last_tsval) &&
           self->last_tsval - seg->tsval > OLD_DUPLICATE_TS_SPAN;
}

gboolean
fs_tcpstate_old_syn(const FsConn *conn, int sender, const FsSegment *seg)
{
    const FsEndpoint *self = FS_ENDPOINT(conn, sender);
    gboolean time_wait = FALSE;

    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++)
        time_wait |= fs_tcpstate_likely(&conn->ep[r]) == FS_TCP_TIME_WAIT;
    return (seg->flags & (FS_TH_SYN | FS_TH_ACK)) == FS_TH_SYN &&
           time_wait && seg->has_ts && self->ts_seen &&
           fs_ts_older(seg->tsval, self->last_tsval) &&
           !fs_tcpstate_other_clock(conn, sender, seg);
}

/* The SYN of a connect refused by an RST in SYN_SENT sent again, its
 * ISN the same: the stack kept the connection (Windows re-sends a
 * refused SYN twice, 500 ms apart), not an old duplicate. It is taken
 * as the first was. */
static gboolean
refused_syn_again(const Step *st, FsRole sender)
{
    const FsConn *conn = st->conn;
    const FsEndpoint *self = FS_ENDPOINT(conn, sender);

    return self->state == FS_TCP_CLOSED && st->seg->seq == self->isn &&
           conn->rst_from == (gint8)fs_role_peer(sender) &&
           conn->rst_peer_state == FS_TCP_SYN_SENT;
}

/* A SYN repeating the ISN of an endpoint already past SYN_SENT, or one
 * older (TSval) than its sender's last segment, by no more than its
 * sender's clock ticks in an MSL, while the 4-tuple is in TIME_WAIT
 * (PAWS rejects it: RFC 7323 §5, RFC 6191; fs_tcpstate_old_syn()), is
 * an old duplicate (RFC 9293 §3.5, Figure 9): it opens nothing, moves
 * nobody. */
static gboolean
old_duplicate_syn(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    const FsEndpoint *self = FS_ENDPOINT(st->conn, sender);

    if ((seg->flags & (FS_TH_SYN | FS_TH_ACK)) != FS_TH_SYN ||
        !self->isn_known ||
        (seg->seq != self->isn &&
         !fs_tcpstate_old_syn(st->conn, sender, seg)) ||
        self->state == FS_TCP_SYN_SENT || self->state == FS_TCP_UNKNOWN ||
        refused_syn_again(st, sender))
        return FALSE;
    st->conn->old_duplicates++;
    emit_event(st, FS_EV_OLD_DUPLICATE, sender, seg->seq,
               seg->seq == self->isn
                   ? "old duplicate SYN (the connection's own ISN): no new "
                     "connection"
                   : "old duplicate SYN (TSval older than its sender's "
                     "last, into TIME_WAIT): no new connection");
    return TRUE;
}

/* An ACK to an endpoint in SYN_SENT that does not acknowledge its SYN
 * (RFC 9293 §3.10.7.3): the peer speaks of another connection. It is
 * answered by an RST and changes nothing here. */
static gboolean
stale_ack(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    const FsEndpoint *rcv = FS_ENDPOINT(st->conn, fs_role_peer(sender));

    return rcv->state == FS_TCP_SYN_SENT && rcv->isn_known &&
           (seg->flags & (FS_TH_ACK | FS_TH_SYN | FS_TH_RST)) == FS_TH_ACK &&
           seg->ack != rcv->isn + 1 &&
           !FS_ENDPOINT(st->conn, sender)->isn_known;
}

/* A SYN-ACK to an endpoint in SYN_SENT that does not acknowledge its
 * SYN, or acks beyond what it sent (RFC 9293 §3.10.7.3: acceptable is
 * ISS < SEG.ACK =< SND.NXT, SND.NXT past a TCP Fast Open SYN's data;
 * else answered by an RST and dropped): it changes nothing, nor makes
 * its sender's ISN (a copy of the server's segments in another sequence
 * space, a NAT's, or one of another connection). */
static gboolean
unacceptable_synack(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    const FsEndpoint *rcv = FS_ENDPOINT(st->conn, fs_role_peer(sender));

    return (seg->flags & (FS_TH_SYN | FS_TH_ACK | FS_TH_RST)) ==
               (FS_TH_SYN | FS_TH_ACK) &&
           rcv->state == FS_TCP_SYN_SENT && rcv->isn_known &&
           !(fs_seq_gt(seg->ack, rcv->isn) &&
             (seg->ack == rcv->isn + 1 ||
              fs_seq_leq(seg->ack, rcv->snd_nxt)));
}

/* A FIN its receiver would not take, and why; NULL if it may. RFC 9293
 * §3.10.7.4, "first, check the sequence number": a segment outside the
 * receive window, or wholly below RCV.NXT, is answered by an ACK and
 * dropped, its FIN with it (Linux's tcp_sequence(): a duplicate ACK, a
 * D-SACK for one below). Judged only on what the capture proves of the
 * receiver, in a capture that has missed nothing so far (no ACK for
 * bytes never captured: a window update lost with the bytes would move
 * the window's edge, and an ACK numbered in another sequence space
 * proves nothing): its ACK (RCV.NXT) for one below it, a FIN whose last
 * byte the receiver had acked past (no real FIN lies below an ACK; the
 * ACK within what the FIN's sender was seen sending), and for one past
 * the window also its window scale (its SYN captured) and a window not
 * 0 (past a zero window the sender had a window update the capture
 * missed, most likely): else a FIN past
 * bytes not captured stays the FIN it may be (fin_gap). Only a first
 * FIN, to a receiver that has not taken one. (Packetdrill audit G1:
 * Linux 6.18 answered a FIN 5 MB past RCV.NXT, and one below RCV.NXT,
 * with an ACK not covering it, sent data from ESTABLISHED and took the
 * real FIN later.) */
static const char *
fin_refusal(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    const FsConn *conn = st->conn;
    const FsEndpoint *self = FS_ENDPOINT(conn, sender);
    const FsEndpoint *rcv = FS_ENDPOINT(conn, fs_role_peer(sender));
    guint32 fin_pos = seg->seq + seg->payload_len;

    if ((seg->flags & (FS_TH_SYN | FS_TH_RST)) || self->fin_sent ||
        rcv->recv_fin || rcv->fin_pending || !rcv->seen)
        return NULL;
    if (!rcv->ack_seen || conn->capture_loss != 0)
        return NULL;
    if (fs_seq_lt(fin_pos + 1, rcv->max_ack) &&
        fs_seq_leq(rcv->max_ack, self->snd_nxt))
        return "wholly below RCV.NXT (its receiver had acked past it): "
               "an old or forged segment, dropped";
    /* not past a zero window: the window update that let the sender go
     * on is the capture's commonest loss there (review 19 #4) */
    if (rcv->isn_known && rcv->rcv_wnd != 0 &&
        fs_seq_gt(seg->seq, rcv->max_ack + rcv->rcv_wnd))
        return "outside the receive window: dropped";
    return NULL;
}

/* The handshake's last ACK (§3.5): its sender got the SYN-ACK (SYN-SENT
 * to ESTABLISHED), the SYN-ACK's sender gets it (SYN-RECEIVED to
 * ESTABLISHED). */
static void
on_handshake_ack(const Step *st, FsRole sender)
{
    FsRole peer = fs_role_peer(sender);
    FsEndpoint *ep = FS_ENDPOINT(st->conn, peer);
    const FsEndpoint *self = FS_ENDPOINT(st->conn, sender);

    /* a peer the capture never heard from (one direction captured): an
     * ACK from SYN_SENT acknowledges a SYN-ACK that came */
    if (!ep->seen && self->state == FS_TCP_SYN_SENT &&
        !(st->seg->flags & FS_TH_SYN)) {
        take_edge(st, sender, FS_CAUSE_HANDSHAKE_DONE);
        return;
    }
    if (!ep->isn_known || !fs_seq_geq(st->seg->ack, ep->isn + 1))
        return;
    if (self->state == FS_TCP_SYN_SENT)
        take_edge(st, sender, FS_CAUSE_HANDSHAKE_DONE);
    /* the peer takes it only at or past RCV.NXT, the end of the
     * sender's SYN (RFC 9293 §3.10.7.4): one below is not acceptable */
    if (ep->state != FS_TCP_SYN_RECEIVED ||
        !((st->seg->flags & FS_TH_SYN) || !self->isn_known ||
          fs_seq_geq(st->seg->seq, self->isn + 1)))
        return;
    /* after an ACK of its SYN-ACK was lost, the next one may be lost the
     * same way (with data or not): taken as arrived, as any, but the
     * handshake is undecided until the server's data, FIN or ACK of
     * data shows it (handshake_ack_shown()) */
    if (st->conn->handshake_ack_lost)
        ep->undecided = FS_UNDECIDED_HANDSHAKE_ACK;
    take_edge(st, peer, FS_CAUSE_HANDSHAKE_DONE);
}

static void
note_sender(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsEndpoint *self = FS_ENDPOINT(st->conn, sender);

    if (!self->seen) {
        self->seen = 1;
        self->snd_nxt = seg->seq;
        if (!(seg->flags & (FS_TH_SYN | FS_TH_RST)) &&
            self->state == FS_TCP_UNKNOWN)
            take_edge(st, sender, FS_CAUSE_HANDSHAKE_DONE);
    }
    if (seg->flags & FS_TH_SYN) {
        self->wscale = seg->wscale == FS_WSCALE_NONE ? 0 : seg->wscale;
        if ((seg->flags & FS_TH_ACK) && seg->wscale == FS_WSCALE_NONE)
            FS_ENDPOINT(st->conn, fs_role_peer(sender))->wscale = 0;
    }
    if (!(seg->flags & FS_TH_RST))
        self->rcv_wnd = (guint32)seg->window
                        << ((seg->flags & FS_TH_SYN) ? 0 : self->wscale);
    fs_endpoint_note_tsval(self, seg);
}

static void
advance_snd_nxt(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsEndpoint *self = FS_ENDPOINT(st->conn, sender);
    guint32 end = seg->seq + seg->payload_len +
                  ((seg->flags & FS_TH_SYN) ? 1 : 0) +
                  ((seg->flags & FS_TH_FIN) ? 1 : 0);

    if (seg->flags & FS_TH_RST)
        return;
    if (fs_seq_gt(end, self->snd_nxt))
        self->snd_nxt = end;
}

/* An RST from the sender of a FIN still pending at its receiver: on one
 * path the FIN got there first, and the RST is judged against the
 * receiver as that FIN left it (RCV.NXT past it, rst_refusal()) — if
 * the receiver could take the FIN: its ACKs had reached the FIN's
 * sequence number (no hole before it at the receiver, as its dupacks
 * would show), the first to reach it did not stop there
 * (fin_held_back), the capture shows every byte before it, and the FIN
 * was sent once: a FIN sent again went unanswered (a receiver that took
 * it acks every copy), so it or every ACK of it was lost, and the RST
 * that follows (an orphan giving up) says nothing of which. Any other
 * segment proves nothing yet: the receiver's ACK will (a FIN lost on
 * the way answers a later segment with a dupack below it; a FIN past a
 * hole waits for the hole). */
static void
earlier_fin_arrived(const Step *st, FsRole sender)
{
    const FsEndpoint *self = FS_ENDPOINT(st->conn, sender);
    const FsEndpoint *rcv = FS_ENDPOINT(st->conn, fs_role_peer(sender));

    if (!(st->seg->flags & FS_TH_RST) || !rcv->fin_pending ||
        !self->fin_sent || self->fin_gap || !rcv->ack_seen ||
        fs_seq_lt(rcv->max_ack, self->fin_seq) || rcv->fin_held_back ||
        self->fin_count > 1)
        return;
    fin_received(st, fs_role_peer(sender));
}

static void
on_fin(const Step *st, FsRole sender, gboolean acked_peer_fin_now)
{
    if (!FS_ENDPOINT(st->conn, sender)->fin_sent)
        on_first_fin(st, sender, acked_peer_fin_now);
    else
        on_fin_again(st, sender, acked_peer_fin_now);
    fin_captured(st, fs_role_peer(sender));
}

/* The first RST's sender goes back from CLOSED to the state it was in
 * before it (rst_sender_was; cause rst_not_taken), as the segment in
 * hand shows it alive, and no RST is taken any more (rst_forgotten()):
 * the RST was not its own (forged in its name, a middlebox's reject).
 * FALSE, nothing done, when it was CLOSED before (or UNKNOWN). */
static gboolean
sender_back(const Step *st, FsRole sender)
{
    FsConn *conn = st->conn;
    FsTcpState was = conn->rst_sender_was != 0
                         ? (FsTcpState)conn->rst_sender_was
                         : (FsTcpState)conn->rst_state;

    if (was == FS_TCP_CLOSED || was == FS_TCP_UNKNOWN)
        return FALSE;
    rst_forgotten(conn);
    conn->aborted_after_close = 0;
    enter_state(st, sender, was, FS_CAUSE_RST_NOT_TAKEN, st->ts);
    return TRUE;
}

/* role, the receiver of the first RST and CLOSED by it as the capture
 * had it, sends what only a socket that outlived that RST sends: an ACK
 * past the RST's seq, no further than all the RST's sender had sent
 * (its SND.NXT: an ACK of more is no stack's), the RST having lain at
 * role's latest ACK below what its sender had sent (rst_at_una; not at
 * its sender's FIN, which Linux takes at RCV.NXT - 1 after that FIN,
 * tcp_reset_check()): sent before the RST came, it shows role's
 * RCV.NXT (and last ACK sent) past the RST, which then lay below the
 * window and every stack drops (RFC 9293 §3.10.7.4, RFC 5961 §3;
 * Linux, which lets in one between its last ACK sent and RCV.NXT,
 * answers it with a challenge ACK, this one); sent after, role was
 * alive (RCV.NXT never goes back). Either way, crossing the RST or not;
 * and so for every RST its sender sent since, all at the same seq
 * (rst_accepted()).
 * New data or a FIN of role's is no such proof, however late and
 * whatever its TSval: it may have left role's socket before the RST
 * came and waited in a queue past role's least RTT leg (a qdisc, a
 * bloated uplink: Linux, packetdrill-rst-then-queued-data), its TSval
 * stamped then: talks_after_rst() judges it (rst_from undecided when
 * it came later than a crossing), as without a proof.
 * role goes back to the state the RST found (receiver_back()); the
 * RST's sender keeps rst_from and its state (it sent the RST: an abort,
 * or its port's reply), unless it sent new sequence space since
 * (rst_sender_talked, rst_not_its_own(): alive, the RST not its own),
 * then both go back and no RST is taken (sender_back()). Not when role
 * sent its FIN since the RST (from the CLOSED the capture had: the
 * state that FIN led to is not rebuilt), nor an RST of its own (it
 * aborted), nor when the RST found it in a state its seq does not
 * decide (UNKNOWN, SYN_SENT, CLOSED) or in TIME_WAIT (which sends
 * neither: time_wait_outlived_rst()). TRUE when so judged. */
static gboolean
rst_outlived(const Step *st, FsRole role)
{
    const FsSegment *seg = st->seg;
    FsConn *conn = st->conn;
    const FsEndpoint *ep = FS_ENDPOINT(conn, role);
    FsRole sender = fs_role_peer(role);
    const FsEndpoint *snd = FS_ENDPOINT(conn, sender);

    if (conn->rst_from != (gint8)sender || ep->state != FS_TCP_CLOSED ||
        conn->rst_outlived || ep->rst_count != 0 ||
        (seg->flags & (FS_TH_SYN | FS_TH_RST)) ||
        conn->rst_peer_state < FS_TCP_SYN_RECEIVED ||
        conn->rst_peer_state > FS_TCP_LAST_ACK ||
        (ep->fin_sent && ep->fin_time >= conn->rst_time) ||
        !conn->rst_at_una || !(seg->flags & FS_TH_ACK) || !ep->ack_seen ||
        !fs_seq_gt(seg->ack, ep->max_ack) ||
        !fs_seq_leq(seg->ack, snd->snd_nxt) ||
        (snd->fin_sent && ep->max_ack == snd->fin_seq))
        return FALSE;
    receiver_back(st, role, (FsTcpState)conn->rst_peer_state, seg->ack,
                  "it acked past the RST's seq: its RCV.NXT had "
                  "passed it, below the window the RST was dropped, or "
                  "it acked after the RST: the RST never took it");
    if (!conn->rst_sender_talked || !sender_back(st, sender)) {
        conn->rst_outlived = 1;
        conn->rst_uncertain = 0;
    }
    return TRUE;
}

/* The sender of the first RST, CLOSED by it, sends new sequence space
 * (data or a FIN ending past all it had sent when the RST passed, its
 * SND.NXT then, which lay past the RST's seq: rst_at_una), without RST
 * or SYN: bytes no socket had queued before its abort, and a port with
 * no connection only RSTs (RFC 9293 §3.10.7.1). A bare ACK, a keep-
 * alive or bytes it had sent before are no such talk: queued before
 * the RST, they may pass the sensor after it (fq pacing reorders). Its
 * SND.NXT as the capture has it stays where the RST found it until
 * that talk (an RST moves none). When the RST's receiver has shown it
 * never took the RST (rst_outlived) and holds its state still, the RST
 * ended neither: both ends as before it, no reset (sender_back();
 * TRUE). Else it is noted (rst_sender_talked), for the receiver's proof
 * to come, and talks_after_rst() judges as before. Only where a proof
 * may come (rst_at_una). */
static gboolean
rst_not_its_own(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsConn *conn = st->conn;
    const FsEndpoint *self = FS_ENDPOINT(conn, sender);
    guint32 end = seg->seq + seg->payload_len +
                  ((seg->flags & FS_TH_FIN) ? 1 : 0);

    if (conn->rst_from != (gint8)sender || !conn->rst_at_una ||
        self->state != FS_TCP_CLOSED ||
        (seg->flags & (FS_TH_SYN | FS_TH_RST)) ||
        !fs_seq_gt(end, self->snd_nxt))
        return FALSE;
    if (!conn->rst_outlived ||
        FS_ENDPOINT(conn, fs_role_peer(sender))->state == FS_TCP_CLOSED) {
        conn->rst_sender_talked = 1;
        return FALSE;
    }
    return sender_back(st, sender);
}

/* After the first accepted RST, an endpoint sends what it had not sent
 * (data past its SND.NXT, or its first FIN), later than that could have
 * crossed the RST: a reset socket sends nothing, so the RST did not do
 * what it seemed (lost past the sensor, or forged in its sender's name
 * by a middlebox's reject): who reset the connection is a guess. The
 * RST's receiver must have had nothing in flight then (all it had sent
 * acked by the RST's sender): data queued before the RST came, as a
 * cancelled download's, passes the sensor long after it. */
/* A bare ACK from the receiver of the first RST, CLOSED by it, of all
 * the RST's sender had sent and of nothing it had not acked before: a
 * socket still there answering what came after the RST (a SYN from the
 * same port with the old connection's ACK, RFC 9293 §3.10.7.4; a
 * keep-alive); an ACK of more answers what came before it (late). */
static gboolean
acks_as_alive(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    const FsConn *conn = st->conn;
    const FsEndpoint *self = FS_ENDPOINT(conn, sender);

    /* (with no leg measured, a keep-alive that crossed the RST could
     * not be told from one after it) */
    return conn->rst_from == (gint8)fs_role_peer(sender) &&
           leg_window(conn, sender) >= 0 &&
           self->state == FS_TCP_CLOSED &&
           self->ack_seen && seg->ack == self->max_ack &&
           (seg->flags & (FS_TH_SYN | FS_TH_FIN | FS_TH_RST | FS_TH_ACK)) ==
               FS_TH_ACK &&
           seg->payload_len == 0 &&
           seg->ack == FS_ENDPOINT(conn, fs_role_peer(sender))->snd_nxt;
}

gboolean
fs_tcpstate_alive_after_rst(const FsConn *conn, int sender,
                            const FsSegment *seg)
{
    Step st = { (FsConn *)conn, seg, seg->ts, NULL, NULL };

    return acks_as_alive(&st, (FsRole)sender) &&
           seg->ts - conn->rst_time >=
               MAX(leg_window(conn, (FsRole)sender), CROSSING_SLACK_NS);
}

gboolean
fs_tcpstate_resent_after_rst(const FsConn *conn, int sender,
                             const FsSegment *seg)
{
    const FsEndpoint *self = FS_ENDPOINT(conn, (FsRole)sender);

    return conn->rst_from == (gint8)fs_role_peer((FsRole)sender) &&
           self->state == FS_TCP_CLOSED && !conn->rst_outlived &&
           seg->payload_len > 0 && !(seg->flags & (FS_TH_SYN | FS_TH_RST)) &&
           fs_seq_leq(seg->seq + seg->payload_len, self->snd_nxt) &&
           seg->has_ts && self->ts_seen &&
           fs_ts_older(self->last_tsval, seg->tsval) &&
           seg->ts - conn->rst_time >=
               MAX(leg_window(conn, (FsRole)sender), MIN_RTO_NS);
}

static void
talks_after_rst(const Step *st, FsRole sender)
{
    const FsSegment *seg = st->seg;
    FsConn *conn = st->conn;
    const FsEndpoint *self = FS_ENDPOINT(conn, sender);
    const FsEndpoint *peer = FS_ENDPOINT(conn, fs_role_peer(sender));

    if (conn->rst_uncertain || (seg->flags & FS_TH_RST) ||
        (conn->rst_from != (gint8)sender &&
         (!peer->ack_seen || fs_seq_gt(self->snd_nxt, peer->max_ack))) ||
        !((seg->payload_len > 0 &&
           fs_seq_gt(seg->seq + seg->payload_len, self->snd_nxt)) ||
          ((seg->flags & FS_TH_FIN) && !self->fin_sent) ||
          acks_as_alive(st, sender)) ||
        st->ts - conn->rst_time <
            MAX(leg_window(conn, sender), CROSSING_SLACK_NS))
        return;
    conn->rst_uncertain = 1;
}

/* A keep-alive of the sender's (steady.h, fs_endpoint_keepalive()): of
 * an endpoint with no FIN sent, in a segment with no SYN, FIN or RST. */
static void
keepalive_seen(const Step *st, FsRole sender)
{
    FsEndpoint *self = FS_ENDPOINT(st->conn, sender);

    if (!self->fin_sent &&
        !(st->seg->flags & (FS_TH_SYN | FS_TH_FIN | FS_TH_RST)))
        fs_endpoint_keepalive(self, st->seg);
}

/* The segment's happenings, in order, into st's outcome. */
static void
segment_step(const Step *st, FsRole sender)
{
    FsConn *conn = st->conn;
    const FsSegment *seg = st->seg;
    FsEndpoint *self = FS_ENDPOINT(conn, sender);
    const char *illegal = illegal_flags(seg);
    gboolean acked_peer_fin = FALSE;
    gboolean rst_uncertain = FALSE;
    guint32 old_snd_nxt;

    if (G_UNLIKELY(self->undecided == FS_UNDECIDED_RST_UNANSWERED))
        rst_answered(st, sender);
    if (illegal != NULL) {
        conn->illegal_flags++;
        emit_event(st, FS_EV_ILLEGAL_FLAGS, sender, seg->seq, illegal);
        if (is_dropped_by_receivers(seg))
            return;
    }
    if (stale_ack(st, sender)) {
        /* remembered only for the RST that answers it */
        self->max_ack = seg->ack;
        self->ack_seen = 1;
        return;
    }
    if (old_duplicate_syn(st, sender))
        return;
    if (unacceptable_synack(st, sender)) {
        /* from an endpoint not heard from before: its ACK remembered
         * only for the RST that answers it, <SEQ=SEG.ACK> (RFC 9293
         * §3.10.7.3), from a SYN_SENT that stays (half_open_reset();
         * packetdrill audit F4: a SYN-ACK acking 5000 past the ISN,
         * the kernel's RST, its SYN again, ESTABLISHED) */
        if (!self->seen) {
            self->max_ack = seg->ack;
            self->ack_seen = 1;
        }
        return;
    }
    if (seg->flags & FS_TH_FIN) {
        const char *why = fin_refusal(st, sender);

        if (why != NULL) {
            emit_event(st, FS_EV_FIN_IGNORED, sender,
                       seg->seq + seg->payload_len, why);
            return;
        }
    }
    earlier_fin_arrived(st, sender);
    if ((seg->flags & FS_TH_RST) &&
        rst_judged_away(st, sender, &rst_uncertain))
        return;
    /* (the receiver the first RST did not take, in the state it found,
     * talks as it may) */
    if (conn->rst_from != FS_ROLE_NONE && !rst_outlived(st, sender) &&
        !rst_not_its_own(st, sender) &&
        !(conn->rst_outlived && conn->rst_from != (gint8)sender &&
          self->state != FS_TCP_CLOSED))
        talks_after_rst(st, sender);
    note_sender(st, sender);
    keepalive_seen(st, sender);
    if (conn->handshake_ack_lost)
        handshake_ack_shown(st, sender);
    old_snd_nxt = self->snd_nxt;
    if (seg->flags & FS_TH_SYN)
        on_syn(st, sender);
    if ((seg->flags & FS_TH_ACK) && !(seg->flags & FS_TH_RST)) {
        fs_rtt_probe_answer(self, seg);
        on_handshake_ack(st, sender);
        acked_peer_fin = on_ack(st, sender);
    }
    if (seg->payload_len > 0 && !(seg->flags & FS_TH_RST))
        on_payload(st, sender);
    if (seg->flags & FS_TH_FIN)
        on_fin(st, sender, acked_peer_fin);
    if (seg->flags & FS_TH_RST)
        rst_accepted(st, sender, rst_uncertain);
    advance_snd_nxt(st, sender);
    if (!(seg->flags & FS_TH_RST))
        fs_rtt_probe_start(self, FS_ENDPOINT(conn, fs_role_peer(sender)),
                           seg, old_snd_nxt);
}

FsTcpOutcome *
fs_tcpstate_segment(FsConn *conn, int sender, const FsSegment *seg,
                    const FsTcpConfig *cfg, FsTcpOutcome *out)
{
    Step st = { conn, seg, seg->ts, cfg, out };

    g_return_val_if_fail(sender == FS_ROLE_CLIENT ||
                         sender == FS_ROLE_SERVER, out);
    segment_step(&st, (FsRole)sender);
    return out;
}

/* ---- the steady state: segments that cannot change a close ---- */

/* steady.h's fs_steady_holds() and fs_steady_step(), out of line for
 * whoever else asks (the engine's lean path runs them inline): what
 * segment_step() does to a segment in mid-connection, without its
 * general checks. steady.h lists what of segment_step() the step leaves
 * out, and why it may: a change to segment_step() may need one there
 * (tests/test-steady checks the two agree). */

gboolean
fs_tcpstate_steady(const FsConn *conn, int sender, const FsSegment *seg)
{
    return fs_steady_holds(conn, (FsRole)sender, seg);
}

void
fs_tcpstate_steady_step(FsConn *conn, int sender, const FsSegment *seg)
{
    fs_steady_step(conn, (FsRole)sender, seg);
}

/* ---- what only silence decides ---- */

/* The server re-sent its SYN-ACK after an ACK of it was lost, and the
 * client's next ACK (taken as arrived, undecided) came state_since: a
 * SYN_RECEIVED re-sends its SYN-ACK with the timeout doubled (Linux: 1,
 * 2, 4 ... s), so the next was due about as long after that ACK as the
 * handshake had taken until then, plus the first timeout. None came by
 * now (it would have put the server back in SYN_RECEIVED): that ACK
 * arrived. An RST ends the wait (nothing is re-sent after it). */
static void
settle_handshake_ack(FsConn *conn, FsTime now)
{
    FsEndpoint *ep = &conn->ep[FS_ROLE_SERVER];
    FsTime taken;

    if (ep->state_since == FS_TIME_UNSET || conn->t_first == FS_TIME_UNSET)
        return;
    if (conn->rst_from != FS_ROLE_NONE)
        now = MIN(now, conn->rst_time);
    taken = ep->state_since - conn->t_first;
    if (now - ep->state_since >
        taken + taken / 2 + SYNACK_FIRST_TIMEOUT_NS)
        ep->undecided = FS_UNDECIDED_NONE;
}

/* An ACK of role's FIN still unproven when the capture ends (silence
 * has not yet proven it). The first ACK of a FIN, with no sign of loss,
 * arrived. After ACKs of that FIN were lost (it was sent again), the
 * last one looks like every lost one before it: best taken as lost too,
 * and undecided. */
static void
settle_ack(const Step *st, FsRole role)
{
    FsEndpoint *ep = FS_ENDPOINT(st->conn, role);

    if (!ep->ack_pending)
        return;
    if (!ep->fin_acked_lost) {
        ack_arrived(st, role);
        return;
    }
    ack_was_lost(st, role);
    ep->undecided = FS_UNDECIDED_ACK_AFTER_LOSS;
}

/* The settle and expiry predicates below read fields that an
 * FsEndpoint and a frozen record's FsSettleEnd both have, by the same
 * names: each is written once, as a macro, and used as one for
 * either. */

/* ep's FIN sent and not acked (as captured). */
#define FIN_UNACKED(ep) ((ep)->fin_sent && !(ep)->fin_acked)
/* ep's peer acked a FIN of ep's that the capture never held. */
#define ACKED_FIN_UNSEEN(ep) ((ep)->unseen_fin_acked && !(ep)->fin_sent)
/* The ACK of ep's FIN, pending, has been quiet for 2*MSL at now: a FIN
 * not coming again. */
#define ACK_PENDING_EXPIRED(ep, now, two_msl) \
    ((ep)->ack_pending && (now) - (ep)->last_fin_time >= (two_msl))
/* ep's TIME_WAIT is over at now. */
#define TIME_WAIT_OVER(ep, now, two_msl) \
    ((ep)->state == FS_TCP_TIME_WAIT && \
     FS_TIME_WAIT_TIMER(ep) + (two_msl) <= (now))
/* What fs_tcpstate_settle() might decide of ep: the entry guards of
 * settle_fin_gap (a FIN past missed bytes), settle_pending_fin (a FIN of
 * its peer pending), settle_unanswered_fin (a FIN of its own unacked)
 * and of an ACK of a FIN never captured. */
#define LEFT_TO_SETTLE(ep) \
    ((ep)->fin_gap || (ep)->fin_pending || FIN_UNACKED(ep) || \
     ACKED_FIN_UNSEEN(ep))

/* The peer's FIN is still pending at role when the capture ends: it went
 * unanswered. Re-sent while role was heard from and never acked, it was
 * not processed (the peer stopped answering); sent once, long enough
 * before the end, it was acked out of the capture's sight; else nobody
 * can tell yet. */
static void
settle_pending_fin(const Step *st, FsRole role)
{
    FsConn *conn = st->conn;
    FsEndpoint *ep = FS_ENDPOINT(conn, role);
    const FsEndpoint *peer = FS_ENDPOINT(conn, fs_role_peer(role));

    if (!ep->fin_pending)
        return;
    if (fin_receipt_proven(conn, role)) {
        /* its ACK proved it, its own FIN never came (or a byte was
         * missed): at that ACK (fin_receipt_waits()) */
        fin_received_by(st, role, peer->fin_acked_time);
        return;
    }
    if (!ep->seen) {
        /* never heard from: taken as delivered, the first time */
        fin_received_by(st, role, peer->fin_time);
        return;
    }
    if (peer->fin_count > 1) {
        ep->fin_pending = 0;
        conn->peer_silent = 1;
        emit_event(st, FS_EV_PEER_SILENT, role, peer->fin_seq,
                   "its peer's FIN was sent again and never acknowledged: "
                   "it stopped answering");
        return;
    }
    if (st->ts - peer->last_fin_time < FIN_ANSWER_WAIT_NS)
        ep->undecided = FS_UNDECIDED_FIN_UNACKED;
    else if (conn->capture_loss++ == 0)
        emit_event(st, FS_EV_CAPTURE_LOSS, role, peer->fin_seq,
                   "the ACK of a FIN was never captured");
    fin_received(st, role);
}

/* role's FIN, sent once, was never acked in the capture while its peer
 * was heard from. A stack re-sends an unacked FIN within an RTO: quiet
 * for seconds, it had its ACK, which escaped the capture, about when
 * the peer answers (its RTT leg after the FIN), not when the capture
 * ends; from CLOSING, which it ends in TIME_WAIT, not more than 2*MSL
 * before now: the engine's TIME_WAIT peaks take a start dated back that
 * far, no further (timewait.c). Never report an endpoint stuck for
 * minutes that would have retransmitted long before. */
static void
settle_unanswered_fin(const Step *st, FsRole role, FsTime two_msl)
{
    FsConn *conn = st->conn;
    FsEndpoint *ep = FS_ENDPOINT(conn, role);
    FsTime leg = answer_time(conn, fs_role_peer(role));
    Step at_ack = *st;

    if (!FIN_UNACKED(ep) || ep->fin_count > 1 ||
        !FS_ENDPOINT(conn, fs_role_peer(role))->seen ||
        st->ts - ep->last_fin_time < FIN_ANSWER_WAIT_NS ||
        conn->rst_from != FS_ROLE_NONE)
        return;
    if (conn->capture_loss++ == 0)
        emit_event(st, FS_EV_CAPTURE_LOSS, role, ep->fin_seq,
                   "a FIN never sent again was acked out of the capture's "
                   "sight");
    at_ack.ts = MIN(ep->last_fin_time + MAX(leg, 0), st->ts);
    if (ep->state == FS_TCP_CLOSING)
        at_ack.ts = MAX(at_ack.ts, st->ts - two_msl);
    fin_ack_captured(&at_ack, role);
    ack_arrived(&at_ack, role);
}

/* role's FIN, sent again on a timer (its last interval at least the
 * least RTO) and never acked while both directions were captured, was
 * not sent again for silence_needed() (three times that interval)
 * before the capture ended, nor was an RST seen: a stack re-sends an
 * unacked FIN on a doubling timer until it gives up, and then (a user
 * timeout, its orphan or retries limit) drops the socket without a
 * segment. The capture cannot tell that from copies lost before the
 * sensor: its state as seen stays, undecided. */
static void
settle_stopped_resending(const Step *st, FsRole role)
{
    FsEndpoint *ep = FS_ENDPOINT(st->conn, role);

    if (!FIN_UNACKED(ep) || ep->fin_count < 2 ||
        ep->undecided != FS_UNDECIDED_NONE ||
        st->conn->rst_from != FS_ROLE_NONE ||
        fs_conn_one_sided(st->conn) || /* (role sent its FIN: seen) */
        ep->last_fin_time - ep->prev_fin_time < MIN_RTO_NS ||
        (ep->state != FS_TCP_FIN_WAIT_1 && ep->state != FS_TCP_CLOSING &&
         ep->state != FS_TCP_LAST_ACK) ||
        st->ts - ep->last_fin_time < silence_needed(st->conn, ep))
        return;
    ep->undecided = FS_UNDECIDED_STOPPED_RESENDING;
}

/* Bytes before role's FIN never captured, not even later: missed. */
static void
settle_fin_gap(const Step *st, FsRole role)
{
    FsConn *conn = st->conn;
    FsEndpoint *ep = FS_ENDPOINT(conn, role);
    Step at_fin;

    if (!ep->fin_gap)
        return;
    at_fin = *st;
    ep->fin_gap = 0;
    at_fin.ts = ep->fin_time;
    conn->fin_beyond_data = 1;
    conn->capture_loss++;
    emit_event(&at_fin, FS_EV_FIN_BEYOND_DATA, role, ep->fin_seq,
               "FIN past the highest data captured: bytes missed");
}

/* fs_tcpstate_expire() once something in it is due. */
static G_GNUC_NO_INLINE void
expire_due(FsConn *conn, FsTime now, FsTime two_msl, FsTcpOutcome *out)
{
    /* a FIN quiet for 2*MSL after its ACK passed is not coming again */
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        Step st = { conn, NULL, now, NULL, out };

        if (ACK_PENDING_EXPIRED(&conn->ep[r], now, two_msl))
            ack_arrived(&st, (FsRole)r);
    }
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        FsEndpoint *ep = &conn->ep[r];
        Step st = { conn, NULL, FS_TIME_WAIT_TIMER(ep) + two_msl, NULL,
                    out };

        if (TIME_WAIT_OVER(ep, now, two_msl))
            take_edge(&st, (FsRole)r, FS_CAUSE_TIME_WAIT_EXPIRED);
    }
}

/* Whether expire_due() has anything to do with ep at now. (An ACK taken
 * as arrived may bring a TIME_WAIT that is over: that ACK is due
 * first.) */
static inline gboolean
expiry_due(const FsEndpoint *ep, FsTime now, FsTime two_msl)
{
    return ACK_PENDING_EXPIRED(ep, now, two_msl) ||
           TIME_WAIT_OVER(ep, now, two_msl);
}

FsTcpOutcome *
fs_tcpstate_expire(FsConn *conn, FsTime now, FsTime two_msl,
                   FsTcpOutcome *out)
{
    conn->settled_at = MAX(conn->settled_at, now);
    /* most calls (every segment's, through the store): nothing is due,
     * and the usual path calls nothing */
    if (expiry_due(&conn->ep[FS_ROLE_CLIENT], now, two_msl) ||
        expiry_due(&conn->ep[FS_ROLE_SERVER], now, two_msl))
        expire_due(conn, now, two_msl, out);
    return out;
}

FsTcpOutcome *
fs_tcpstate_settle_acks(FsConn *conn, FsTime now, FsTcpOutcome *out)
{
    Step st = { conn, NULL, now, NULL, out };
    FsRole first;

    /* most records: every ACK of a FIN already proven */
    if (!conn->ep[FS_ROLE_CLIENT].ack_pending &&
        !conn->ep[FS_ROLE_SERVER].ack_pending)
        return out;
    first = earlier_ack_first(conn);
    acks_proven_by_silence(&st, now);
    settle_ack(&st, first);
    settle_ack(&st, fs_role_peer(first));
    return out;
}

FsTcpOutcome *
fs_tcpstate_settle(FsConn *conn, FsTime now, FsTime two_msl,
                   FsTcpOutcome *out)
{
    Step st = { conn, NULL, now, NULL, out };

    fs_tcpstate_settle_acks(conn, now, out);
    if (conn->ep[FS_ROLE_SERVER].undecided == FS_UNDECIDED_HANDSHAKE_ACK)
        settle_handshake_ack(conn, now);
    /* most records: nothing below applies to either end, and doing
     * nothing for one changes nothing for the other */
    if (!LEFT_TO_SETTLE(&conn->ep[FS_ROLE_CLIENT]) &&
        !LEFT_TO_SETTLE(&conn->ep[FS_ROLE_SERVER]))
        return fs_tcpstate_expire(conn, now, two_msl, out);
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        FsEndpoint *ep = &conn->ep[r];

        st.ts = now;
        settle_fin_gap(&st, (FsRole)r);
        settle_pending_fin(&st, (FsRole)r);
        settle_unanswered_fin(&st, (FsRole)r, two_msl);
        settle_stopped_resending(&st, (FsRole)r);
        if (ACKED_FIN_UNSEEN(ep)) {
            ep->unseen_fin_acked = 0;
            st.ts = conn->t_last;
            conn->capture_loss++;
            emit_event(&st, FS_EV_CAPTURE_LOSS, r, ep->snd_nxt,
                       "ACK of a FIN never captured");
        }
    }
    return fs_tcpstate_expire(conn, now, two_msl, out);
}

FsTcpOutcome *
fs_tcpstate_settle_handed_over(FsConn *conn, FsTime now, FsTime two_msl,
                               FsTcpOutcome *out)
{
    if (conn->evicted) {
        /* its capture goes on: what only its end decides stays open;
         * its ACKs of FINs as they most likely went */
        fs_tcpstate_settle_acks(conn, now, out);
        return fs_tcpstate_expire(conn, now, two_msl, out);
    }
    return fs_tcpstate_settle(conn, now, two_msl, out);
}

/* Why fs_tcpstate_settles_quietly() is right, from the code above. What
 * each step reads to decide whether it acts is in FsSettleView (state,
 * time_wait_since, the flags ack_pending, fin_acked_lost, fin_gap,
 * fin_pending, fin_sent, fin_acked, unseen_fin_acked); what it reads
 * once it acts it reads of the whole record, wherever that is settled.
 * - fs_tcpstate_settle_acks() (both branches, evicted or not) acts only
 *   on an endpoint with ack_pending. Without fin_acked_lost the ACK
 *   arrives (proven by silence or taken so: ack_arrived()), which takes
 *   the FIN_ACKED edge from its state (a state event, or none; into
 *   TIME_WAIT only from CLOSING: excluded) and may write
 *   close_done_time (note_close_done()): the record only. With
 *   fin_acked_lost it may be taken as lost (ack_was_lost(), clearing
 *   fin_acked): excluded. An endpoint without ack_pending is not
 *   touched. After it no endpoint has ack_pending, the flags below are
 *   as they were, and so are the endpoints in TIME_WAIT and their
 *   time_wait_since.
 * - fs_tcpstate_settle() goes on to the settle_*() steps only if
 *   LEFT_TO_SETTLE() of an endpoint (fin_gap, fin_pending, fin_sent
 *   without fin_acked, unseen_fin_acked without fin_sent): those emit
 *   other events (FIN beyond data, peer silent, capture loss).
 *   Excluded.
 * - fs_tcpstate_expire() writes settled_at and acts (expiry_due()) on
 *   an ack_pending (none is left) or on a TIME_WAIT entered at
 *   time_wait_since with time_wait_since + two_msl <= now (an event out
 *   of TIME_WAIT): excluded.
 * fs_tcpstate_outcome_quiet() checks the outcome against this claim
 * (fs_conn_thaw_settled(), freeze.c, of each record the stage settles). */
gboolean
fs_tcpstate_settles_quietly(const FsSettleView *v, FsTime now,
                            FsTime two_msl, gboolean state_events_dropped)
{
    /* by pointer: with an index gcc worked each end's address out again
     * for the second byte of its flags (FS_ENDPOINT_FLAGS), +0.84M on
     * medium's 110k calls; this way 0.18M fewer than before */
    for (const FsSettleEnd *ep = v->ep; ep < v->ep + 2; ep++) {
        /* its ACK arrives: the FIN_ACKED edge, a state event (or
         * none), not into TIME_WAIT */
        if (ep->ack_pending &&
            (!state_events_dropped || ep->fin_acked_lost ||
             ep->state >= FS_TCP_N_STATES ||
             edges[ep->state][FS_CAUSE_FIN_ACKED] == FS_TCP_TIME_WAIT))
            return FALSE;
        if (LEFT_TO_SETTLE(ep))
            return FALSE;
        /* expiry_due() once no ACK is pending */
        if (TIME_WAIT_OVER(ep, now, two_msl))
            return FALSE;
    }
    return TRUE;
}

/* The FIN_ACKED edge from ep's state (FS_TCP_UNKNOWN: none). */
static inline FsTcpState
fin_acked_edge(const FsSettleEnd *ep)
{
    return ep->state < FS_TCP_N_STATES
               ? (FsTcpState)edges[ep->state][FS_CAUSE_FIN_ACKED]
               : FS_TCP_UNKNOWN;
}

/* expire_due() on the view: ack_arrived() (its note_close_done() writes
 * the record only) and take_edge_at() as they act on the fields v has,
 * in the same order, each event filled as fill_transition() does. */
gboolean
fs_tcpstate_expire_view(FsSettleView *v, FsTime now, FsTime two_msl,
                        const FsConn *conn, FsTcpOutcome *out)
{
    Step st = { (FsConn *)conn, NULL, now, NULL, out };

    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        const FsSettleEnd *ep = &v->ep[r];

        if (ACK_PENDING_EXPIRED(ep, now, two_msl) &&
            fin_acked_edge(ep) == FS_TCP_TIME_WAIT)
            return FALSE;
    }
    /* (expiry_due() of neither: the loops below do nothing either) */
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        FsSettleEnd *ep = &v->ep[r];
        FsTime at = ep->fin_acked_time;
        FsTcpState to = fin_acked_edge(ep);

        if (!ACK_PENDING_EXPIRED(ep, now, two_msl))
            continue;
        /* ack_arrived() */
        ep->ack_pending = 0;
        if (ep->state_since != FS_TIME_UNSET && at < ep->state_since)
            at = ep->state_since;
        if (to == FS_TCP_UNKNOWN)
            continue;
        fill_transition(fs_tcp_outcome_push(out), &st, (FsRole)r,
                        ep->state, to, FS_CAUSE_FIN_ACKED, at);
        ep->state = to;
        ep->state_since = at;
    }
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        FsSettleEnd *ep = &v->ep[r];
        FsTime at = FS_TIME_WAIT_TIMER(ep) + two_msl;
        FsEvent *ev;

        if (!TIME_WAIT_OVER(ep, now, two_msl))
            continue;
        ev = fs_tcp_outcome_push(out);
        fill_transition(ev, &st, (FsRole)r, FS_TCP_TIME_WAIT,
                        FS_TCP_CLOSED, FS_CAUSE_TIME_WAIT_EXPIRED, at);
        ev->value = FS_TIME_WAIT_TIMER(ep); /* as enter_state()'s */
        ep->state = FS_TCP_CLOSED;
        ep->state_since = at;
    }
    return TRUE;
}

gboolean
fs_tcpstate_expires_quietly(FsSettleView *v, FsTime now, FsTime two_msl,
                            const FsConn *conn,
                            gboolean state_events_dropped,
                            FsTcpOutcome *out)
{
    if (!fs_tcpstate_expire_view(v, now, two_msl, conn, out))
        return FALSE;
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        if (v->ep[r].state != FS_TCP_CLOSED || v->ep[r].ack_pending) {
            fs_tcp_outcome_clear(out);
            return FALSE;
        }
    }
    if (!fs_tcpstate_settles_quietly(v, now, two_msl, state_events_dropped)) {
        fs_tcp_outcome_clear(out);
        return FALSE;
    }
    return TRUE;
}

gboolean
fs_tcpstate_outcome_quiet(const FsTcpOutcome *out,
                          gboolean state_events_dropped)
{
    for (guint i = 0; i < fs_tcp_outcome_len(out); i++) {
        const FsEvent *ev = fs_tcp_outcome_at(out, i);

        if (!state_events_dropped || ev->kind != FS_EV_STATE ||
            ev->transition.from == FS_TCP_TIME_WAIT ||
            ev->transition.to == FS_TCP_TIME_WAIT)
            return FALSE;
    }
    return TRUE;
}

FsTcpState
fs_tcpstate_after_ack_lost(const FsConn *conn, int role)
{
    const FsEndpoint *ep = FS_ENDPOINT(conn, role);
    FsTcpState to;

    /* as ack_was_lost: only an ACK already acted on is undone */
    if (!ep->fin_sent || !ep->fin_acked || ep->ack_pending)
        return ep->state;
    to = fs_tcp_next_state(ep->state, FS_CAUSE_ACK_LOST);
    return to == FS_TCP_N_STATES ? ep->state : to;
}

FsTcpOutcome *
fs_tcpstate_ack_lost(FsConn *conn, int role, FsTime ts, FsTcpOutcome *out)
{
    Step st = { conn, NULL, ts, NULL, out };
    FsEndpoint *ep = FS_ENDPOINT(conn, role);

    if (!ep->fin_sent || !ep->fin_acked)
        return out;
    conn->final_ack_lost++;
    emit_event(&st, FS_EV_FINAL_ACK_LOST, fs_role_peer((FsRole)role),
               ep->fin_seq,
               "the peer answered a new SYN from LAST_ACK: the final ACK "
               "never arrived");
    ack_was_lost(&st, (FsRole)role);
    return out;
}

FsTcpOutcome *
fs_tcpstate_copy_seen(FsConn *conn, int sender, const FsSegment *seg,
                      FsTcpOutcome *out)
{
    Step st = { conn, seg, seg->ts, NULL, out };
    FsRole owner = fs_role_peer((FsRole)sender);
    const FsEndpoint *ep = FS_ENDPOINT(conn, owner);

    /* not once an ACK so proven was lost after all (copy_proof_spent):
     * then both points lie before the loss */
    if ((seg->flags & FS_TH_ACK) && ep->fin_sent && ep->ack_pending &&
        seg->ack == ep->fin_seq + 1 && !conn->copy_proof_spent)
        ack_arrived(&st, owner);
    return out;
}

void
fs_tcpstate_other_host(FsConn *conn)
{
    FsEndpoint *client = &conn->ep[FS_ROLE_CLIENT];

    conn->other_host = 1;
    /* a NAT's other host, or this one restarted: the capture cannot
     * tell (review 19 #5) */
    if (client->state == FS_TCP_TIME_WAIT &&
        client->undecided == FS_UNDECIDED_NONE)
        client->undecided = FS_UNDECIDED_OTHER_CLOCK;
}

/* role's old state ends at ts, by the edge cause takes (a cause of
 * FS_CAUSE_N: reused from TIME_WAIT, else gone): an ACK of its FIN and a
 * FIN of its peer's that passed the sensor taken as arrived first (the
 * detectors judged it so); seg, if any, names the edge's frame (a
 * segment of another incarnation: only the event reads it). An RST
 * refused before leaves no guess: its socket ended. */
static void
old_state_ends(FsConn *conn, FsRole role, const FsSegment *seg, FsTime ts,
               FsCause cause, FsTcpOutcome *out)
{
    Step settle = { conn, NULL, ts, NULL, out };
    Step edge = { conn, seg, ts, NULL, out };
    FsEndpoint *ep = FS_ENDPOINT(conn, role);

    if (ep->ack_pending)
        ack_arrived(&settle, role);
    if (ep->fin_pending)
        fin_received(&settle, role);
    if (cause == FS_CAUSE_N)
        cause = ep->state == FS_TCP_TIME_WAIT ? FS_CAUSE_REUSED
                                              : FS_CAUSE_GONE;
    take_edge(&edge, role, cause);
    if (ep->undecided == FS_UNDECIDED_RST_UNANSWERED)
        ep->undecided = FS_UNDECIDED_NONE;
}

FsTcpOutcome *
fs_tcpstate_new_syn_ends(FsConn *conn, int role, FsTime ts,
                         FsTcpOutcome *out)
{
    old_state_ends(conn, (FsRole)role, NULL, ts, FS_CAUSE_N, out);
    return out;
}

FsTcpOutcome *
fs_tcpstate_syn_reset_ends(FsConn *conn, int role, const FsSegment *rst,
                           FsTcpOutcome *out)
{
    old_state_ends(conn, (FsRole)role, rst, rst->ts, FS_CAUSE_SEND_RST, out);
    return out;
}
