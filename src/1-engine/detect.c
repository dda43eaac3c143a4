/* finscope: detectors across the incarnations of one 4-tuple — reuse
 * within 2*MSL (RFC 1122 §4.2.2.13, RFC 6191), old duplicates, and the
 * same frame captured twice. */
#include "config.h"

#include <glib.h>

#include "finscope/detect.h"
#include "finscope/event.h"
#include "finscope/flow.h"
#include "finscope/seq.h"
#include "detect-usual.h"

/* Window assumed when the receiver's is not known yet (RFC 9293 §3.8.6). */
#define DEFAULT_WINDOW 65535u

static void
emit(FsDetectVerdict *v, const FsConn *conn, const FsSegment *seg,
     FsEventKind kind, int role, const char *detail)
{
    FsEvent ev = {
        .ts = seg->ts,
        .conn = conn,
        .conn_id = conn->id,
        .kind = kind,
        .role = (gint8)role,
        .seq = seg->seq,
        .detail = detail,
        .frame = seg->frame,
        .source = seg->source,
    };

    fs_tcp_outcome_add(&v->events, &ev);
}

void
fs_detect_verdict_clear(FsDetectVerdict *v)
{
    fs_tcp_outcome_clear(&v->events);
}

const char *
fs_reuse_outcome_name(FsReuseOutcome outcome)
{
    switch (outcome) {
    case FS_REUSE_NONE:          return NULL;
    case FS_REUSE_ACCEPTED:      return "accepted";
    case FS_REUSE_REJECTED_RST:  return "rejected_rst";
    case FS_REUSE_CHALLENGE_ACK: return "challenge_ack";
    case FS_REUSE_UNANSWERED:    return "unanswered";
    }
    g_return_val_if_reached(NULL);
}

static gboolean
is_endpoint(const FsConn *c, int role, const FsAddr *addr, guint16 port)
{
    return c->port[role] == port && fs_addr_equal(&c->addr[role], addr);
}

/* The previous incarnation's endpoint that matters to the SYN: its
 * receiver, which answers it, when that still held state; else its
 * sender. FS_ROLE_NONE when both were CLOSED. */
static int
state_holder(const FsConn *prev, const FsSegment *seg)
{
    int recv = is_endpoint(prev, FS_ROLE_CLIENT, &seg->dst, seg->dport)
                   ? FS_ROLE_CLIENT : FS_ROLE_SERVER;
    int order[2] = { recv, fs_role_peer((FsRole)recv) };

    for (int i = 0; i < 2; i++) {
        const FsEndpoint *ep = &prev->ep[order[i]];

        /* a LAST_ACK whose final ACK passed the sensor, none lost before,
         * is taken as CLOSED until the SYN's answer says otherwise */
        if (ep->state == FS_TCP_LAST_ACK && ep->ack_pending &&
            !ep->fin_acked_lost)
            continue;
        if (ep->state != FS_TCP_CLOSED && ep->state != FS_TCP_UNKNOWN)
            return order[i];
    }
    return FS_ROLE_NONE;
}

static const char *
reuse_verdict(const FsReuse *r)
{
    if (r->isn_above && r->ts_newer)
        return "ISN above the old sequence space and timestamps newer "
               "(RFC 1122, RFC 6191): safe";
    if (r->isn_above && r->ts_known)
        return "ISN above the old sequence space (RFC 1122): safe, but "
               "its TSval is older than the old connection's (another "
               "clock: a host behind the same NAT address and port, or "
               "one restarted), which PAWS refuses (RFC 6191)";
    if (r->isn_above)
        return "ISN above the old sequence space (RFC 1122): safe";
    if (r->ts_newer)
        return "ISN not above the old space, but timestamps newer "
               "(RFC 6191, PAWS): safe";
    return "ISN not above the old sequence space and no newer timestamp: "
           "old duplicates could enter the new connection";
}

/* The state the holder of a reused 4-tuple held: an ACK of its FIN
 * that passed the sensor taken as arrived when that leaves it in
 * FIN_WAIT_2 (a LAST_ACK so acked would hold nothing: the answer to the
 * SYN decides, answered_from_old_state()). */
static FsTcpState
holder_state(const FsConn *prev, int holder)
{
    const FsEndpoint *ep = &prev->ep[holder];

    if (ep->ack_pending && fs_tcpstate_likely(ep) == FS_TCP_FIN_WAIT_2)
        return FS_TCP_FIN_WAIT_2;
    return ep->state;
}

/* What a reusing SYN (seq, its TSval if has_ts, at ts) was against
 * prev, whose endpoint old_sender sent it: RFC 6191's tests. */
static void
reuse_facts(FsReuse *r, const FsConn *prev, const FsEndpoint *old_sender,
            guint32 seq, gboolean has_ts, guint32 tsval, FsTime ts)
{
    r->isn_above = old_sender->seen && fs_seq_gt(seq, old_sender->snd_nxt);
    r->ts_known = has_ts && old_sender->ts_seen;
    r->ts_newer = r->ts_known && fs_ts_older(old_sender->last_tsval, tsval);
    r->since_close = ts - (prev->close_done_time != FS_TIME_UNSET
                               ? prev->close_done_time
                           : prev->rst_time != FS_TIME_UNSET
                               ? prev->rst_time
                               : prev->t_last);
}

/* The state ep reaches once its FIN is taken as acked (fin_acked) and a
 * FIN of its peer's that passed the sensor as arrived. */
static FsTcpState
state_once_arrived(const FsEndpoint *ep, gboolean fin_acked)
{
    FsTcpState st = ep->state;
    FsTcpState to;

    if (fin_acked &&
        (to = fs_tcp_next_state(st, FS_CAUSE_FIN_ACKED)) != FS_TCP_N_STATES)
        st = to;
    if (ep->fin_pending &&
        (to = fs_tcp_next_state(st, FS_CAUSE_RECV_FIN)) != FS_TCP_N_STATES)
        st = to;
    return st;
}

/* The state ep most likely held, what the capture did not show taken
 * as done: an ACK of its FIN that passed the sensor arrived; a FIN of its
 * own sent once, not again, was acked out of sight (a stack re-sends an
 * unacked FIN); a FIN of its peer's captured reached it. One ACK missing
 * from the capture (a lost one, or a capture of SYN, FIN and RST only)
 * leaves no endpoint in FIN_WAIT_2 or LAST_ACK here that a reusing SYN
 * would take for a socket ended unseen. */
static FsTcpState
likeliest_state(const FsEndpoint *ep)
{
    return state_once_arrived(ep, ep->ack_pending ||
                                      (ep->fin_sent && !ep->fin_acked &&
                                       ep->fin_count == 1));
}

/* A state of a connected socket, not of one given up or waiting out
 * its 2*MSL. */
static gboolean
holds_a_socket(FsTcpState st)
{
    switch (st) {
    case FS_TCP_ESTABLISHED:
    case FS_TCP_CLOSE_WAIT:
    case FS_TCP_FIN_WAIT_1:
    case FS_TCP_FIN_WAIT_2:
    case FS_TCP_CLOSING:
    case FS_TCP_LAST_ACK:
        return TRUE;
    default:
        return FALSE;
    }
}

FsDetectVerdict *
fs_detect_reuse(FsConn *prev, FsConn *conn, const FsSegment *seg,
                FsDetectVerdict *v)
{
    int holder = state_holder(prev, seg);
    const FsEndpoint *old_sender;
    FsReuse *r = &conn->reuse;

    fs_detect_verdict_init(v, conn, fs_conn_sender_role(conn, seg), seg);
    v->prev = prev;
    if (holder == FS_ROLE_NONE)
        return v;
    old_sender = &prev->ep[is_endpoint(prev, FS_ROLE_CLIENT, &seg->src,
                                       seg->sport)
                               ? FS_ROLE_CLIENT : FS_ROLE_SERVER];
    r->outcome = FS_REUSE_UNANSWERED;
    r->holder = is_endpoint(conn, FS_ROLE_CLIENT, &prev->addr[holder],
                            prev->port[holder])
                    ? FS_ROLE_CLIENT : FS_ROLE_SERVER;
    /* never heard from (one direction captured): which state it held
     * is not known, its state here a guess (fin_captured()) */
    r->holder_state = prev->ep[holder].seen ? (guint8)holder_state(prev, holder)
                                            : (guint8)FS_TCP_UNKNOWN;
    reuse_facts(r, prev, old_sender, seg->seq, seg->has_ts, seg->tsval,
                seg->ts);
    for (int i = FS_ROLE_CLIENT; i <= FS_ROLE_SERVER; i++) {
        gboolean sent_it = &prev->ep[i] == old_sender;
        /* its handshake not seen, or its peer never heard from, its
         * state is a guess */
        gboolean known = sent_it && old_sender->isn_known &&
                         prev->ep[1 - i].seen;
        FsTcpState likely = known ? likeliest_state(old_sender)
                                  : (FsTcpState)prev->ep[i].state;

        if (known && holds_a_socket(likely)) {
            /* a socket holding the 4-tuple in that state keeps any
             * other from connecting from it (Linux: EADDRNOTAVAIL; only
             * a TIME_WAIT is taken over): a new one sent the SYN, or
             * another host (restarted, behind a NAT). (An ACK of its
             * FIN taken as arrived, as the answer to the SYN will
             * tell.) */
            emit(v, prev, seg, FS_EV_STATE_LOST, i,
                 "a new SYN from its address and port: its socket had "
                 "ended unseen before (closed with no FIN or RST "
                 "captured, the host restarted, or a NAT gave the port "
                 "to another host)");
            v->gone |= (guint8)(1u << i);
        }
        /* (the SYN's sender in TIME_WAIT at its likeliest, an ACK or a
         * FIN it got out of the capture's sight: taken over too, those
         * taken as arrived first) */
        if (prev->ep[i].state != FS_TCP_TIME_WAIT &&
            !(known && likely == FS_TCP_TIME_WAIT))
            continue;
        if (!conn->reuse_in_time_wait)
            emit(v, conn, seg, FS_EV_REUSE_IN_TIME_WAIT, r->holder,
                 reuse_verdict(r));
        conn->reuse_in_time_wait = 1;
        /* A connect() from its own TIME_WAIT tuple takes it over (Linux:
         * SO_REUSEADDR bind, or tcp_tw_reuse), its TSval from the same
         * clock; a SYN another clock stamped came from another host
         * given its address and port (a NAT): that TIME_WAIT runs on */
        if (sent_it && i == FS_ROLE_CLIENT &&
            fs_tcpstate_other_clock(prev, i, seg))
            v->other_host = TRUE;
        else if (sent_it)
            v->reused |= (guint8)(1u << i);
    }
    /* the take-over follows the event that notes it */
    v->actions_at = fs_tcp_outcome_len(&v->events);
    return v;
}

/* Why the SYN's receiver, in the state it held, refused it (r: what
 * the SYN was against the old connection). A TIME_WAIT answers a SYN
 * whose sequence number and timestamp are not newer with an ACK of the
 * old connection; one that is newer it lets through to the listening
 * socket (Linux tcp_timewait_state_process(): TCP_TW_SYN), and with none
 * there it answers with that ACK too (TCP_TW_ACK). */
static const char *
rejection_reason(const FsReuse *r)
{
    /* the SYN's sender held the old state (its own TIME_WAIT, taken
     * over by its connect): the receiver held none, its port refused
     * the SYN (no listener; review of session 22, packetdrill r03) */
    if (r->holder == FS_ROLE_CLIENT && r->outcome == FS_REUSE_REJECTED_RST)
        return "refused by an RST from a port that held nothing of the "
               "previous connection (no listener took the SYN)";
    switch ((FsTcpState)r->holder_state) {
    case FS_TCP_LAST_ACK:
        return "peer still in LAST_ACK: the previous incarnation's final "
               "ACK was lost";
    case FS_TCP_TIME_WAIT:
        if (r->outcome == FS_REUSE_REJECTED_RST)
            return "TIME_WAIT refused the SYN with an RST";
        /* with timestamps on both, PAWS decides first: an older TSval
         * is refused whatever the ISN (RFC 6191 §2) */
        if (r->ts_known && !r->ts_newer)
            return "TIME_WAIT refused the SYN: its timestamp was older "
                   "than the old connection's (PAWS, RFC 6191)";
        return r->isn_above || r->ts_newer
                   ? "TIME_WAIT would let the SYN through (newer), but no "
                     "listening socket took it (Linux then answers from "
                     "the old connection)"
                   : "TIME_WAIT refused the SYN: its sequence number or "
                     "timestamp was not newer";
    default:
        return "peer still held the previous connection";
    }
}

/* The SYN's receiver answered with an ACK of the old connection, so it
 * still held it. If the capture had shown the final ACK of its FIN (it
 * closed second), that ACK never arrived: it was in LAST_ACK (RFC 9293
 * §3.10.7.4; Linux sends a challenge ACK, RFC 5961 §4). An endpoint
 * that closed first answers so from FIN_WAIT_1, FIN_WAIT_2 or TIME_WAIT
 * alike, its FIN acked or not: nothing to infer. */
static void
answered_from_old_state(FsDetectVerdict *v, FsConn *prev, FsConn *conn,
                        const FsSegment *seg)
{
    int role = is_endpoint(prev, FS_ROLE_CLIENT, &seg->src, seg->sport)
                   ? FS_ROLE_CLIENT : FS_ROLE_SERVER;
    const FsEndpoint *ep = &prev->ep[role];

    if (!ep->fin_sent || !ep->fin_acked ||
        (ep->state != FS_TCP_CLOSED && !ep->ack_pending) ||
        fs_tcpstate_after_ack_lost(prev, role) != FS_TCP_LAST_ACK)
        return;
    v->ack_lost = role;
    conn->reuse.holder = FS_ROLE_SERVER;
    conn->reuse.holder_state = FS_TCP_LAST_ACK;
}

/* seg, an RST, is the first word from the receiver of the SYN that
 * opened conn: if it acks that SYN (and any data it carried, as Linux's
 * tcp_v4_send_reset() does) and its sender, the reuse's holder, held
 * FIN_WAIT_2 or TIME_WAIT in prev once an ACK of its FIN and a FIN of
 * its peer's that passed the sensor are taken as arrived, that state
 * ends at it (v->rst_ends); returns the reason the refusal event gives,
 * or NULL. Linux's orphaned
 * FIN_WAIT_2, a timewait socket, answers a SYN at or past RCV.NXT so and
 * is gone (tcp_timewait_state_process(): TCP_TW_RST; packetdrill c43);
 * a BSD TIME_WAIT closes on a SYN above RCV.NXT and, no listener taking
 * it, the port answers with that RST (4.4BSD tcp_input()), as does a
 * port whose TIME_WAIT had gone before (Linux past tcp_max_tw_buckets):
 * either way none was held past the RST. A Linux
 * socket that keeps its connection answers with an ACK: a full socket,
 * FIN_WAIT_2 included (tcp_fin_timeout above 60 s, or shut down for
 * writing only), with RFC 5961's challenge ACK; a TIME_WAIT with its
 * old ACK. From any other state (a final ACK already taken as arrived
 * leaves the holder CLOSED), the same RST is a port's with no
 * connection, or a middlebox's: what it says of the old state is left
 * to the rest (review of session 22: a LAST_ACK whose final ACK had
 * come, an ESTABLISHED server, would have been "ended" here). */
static const char *
rst_ended_old(FsDetectVerdict *v, FsConn *prev, const FsConn *conn,
              const FsSegment *seg)
{
    const FsEndpoint *syn_sender = &conn->ep[FS_ROLE_CLIENT];
    int role = is_endpoint(prev, FS_ROLE_CLIENT, &seg->src, seg->sport)
                   ? FS_ROLE_CLIENT : FS_ROLE_SERVER;
    const FsEndpoint *ep = &prev->ep[role];
    FsTcpState likely;

    if (!(seg->flags & FS_TH_ACK) || !syn_sender->isn_known ||
        seg->ack != syn_sender->snd_nxt || !ep->seen ||
        conn->reuse.holder != FS_ROLE_SERVER)
        return NULL;
    /* only an ACK of its FIN the sensor saw taken as arrived, not a FIN
     * no ACK answered, as likeliest_state() takes it: one sent again
     * after the RST showed its socket alive (review of session 22) */
    likely = state_once_arrived(ep, ep->ack_pending);
    if (likely == FS_TCP_FIN_WAIT_2) {
        v->rst_ends |= (guint8)(1u << role);
        return "the peer, in FIN_WAIT_2 in the previous connection, "
               "answered the SYN with an RST that ended it (Linux: an "
               "orphaned FIN_WAIT_2 so answers a SYN at or past RCV.NXT; "
               "one still open answers with a challenge ACK)";
    }
    if (likely == FS_TCP_TIME_WAIT) {
        v->rst_ends |= (guint8)(1u << role);
        return "the peer's TIME_WAIT was gone by the SYN, which its port "
               "answered with an RST (BSD closes a TIME_WAIT at a SYN above "
               "RCV.NXT and resets it when no listener takes it; Linux "
               "drops TIME_WAITs past tcp_max_tw_buckets; one still held "
               "answers with its old ACK)";
    }
    return NULL;
}

/* The first word from the reusing SYN's receiver. Its effects on the
 * previous incarnation come before the events the answer raises. */
static void
note_answer(FsDetectVerdict *v, FsConn *conn, const FsSegment *seg)
{
    FsReuse *r = &conn->reuse;
    FsConn *prev = conn->older;
    guint8 f = seg->flags;
    const char *ended;

    v->prev = prev;
    if ((f & (FS_TH_SYN | FS_TH_ACK)) == (FS_TH_SYN | FS_TH_ACK)) {
        r->outcome = FS_REUSE_ACCEPTED;
        /* no LAST_ACK would have accepted it: its final ACK had arrived;
         * the TIME_WAIT it reached (once those ACKs are settled) is taken
         * over */
        v->settle_acks = prev != NULL;
        if (prev != NULL && r->holder == FS_ROLE_SERVER &&
            r->holder_state == FS_TCP_TIME_WAIT)
            for (int i = FS_ROLE_CLIENT; i <= FS_ROLE_SERVER; i++) {
                if (is_endpoint(prev, i, &seg->src, seg->sport))
                    v->reused |= (guint8)(1u << i);
            }
        return;
    }
    r->outcome = (f & FS_TH_RST) ? FS_REUSE_REJECTED_RST
                                 : FS_REUSE_CHALLENGE_ACK;
    if (prev != NULL && !(f & FS_TH_RST))
        answered_from_old_state(v, prev, conn, seg);
    ended = prev != NULL && (f & FS_TH_RST)
                ? rst_ended_old(v, prev, conn, seg) : NULL;
    emit(v, conn, seg, FS_EV_REUSE_REJECTED, FS_ROLE_SERVER,
         ended != NULL ? ended : rejection_reason(r));
}

/* seg, from role, is a SYN-ACK to the SYN of c sent again after a
 * TIME_WAIT of the previous incarnation refused the first one with its
 * old ACK (note_answer()): that TIME_WAIT, still held, let the later
 * SYN through to the listener. */
static gboolean
accepted_after_refusal(const FsConn *c, FsRole role, const FsSegment *seg)
{
    const FsReuse *r = &c->reuse;
    const FsEndpoint *syn_sender = &c->ep[FS_ROLE_CLIENT];

    if ((seg->flags & (FS_TH_SYN | FS_TH_ACK)) != (FS_TH_SYN | FS_TH_ACK) ||
        r->outcome != FS_REUSE_CHALLENGE_ACK || r->holder != FS_ROLE_SERVER ||
        r->holder_state != FS_TCP_TIME_WAIT || role != FS_ROLE_SERVER ||
        c->ep[FS_ROLE_SERVER].seen || c->older == NULL ||
        syn_sender->state != FS_TCP_SYN_SENT || !syn_sender->isn_known ||
        seg->ack != syn_sender->isn + 1)
        return FALSE;
    for (int i = FS_ROLE_CLIENT; i <= FS_ROLE_SERVER; i++) {
        if (is_endpoint(c->older, i, &seg->src, seg->sport))
            return c->older->ep[i].state == FS_TCP_TIME_WAIT;
    }
    return FALSE;
}

/* accepted_after_refusal(): the reuse is judged again by the SYN the
 * listener answered, the one the SYN-ACK's TSecr echoes (a SYN-ACK
 * carries timestamps only when that SYN did: RFC 7323 §3.2), and is
 * accepted; the TIME_WAIT is taken over at that answer, as at a first
 * SYN accepted. The first refusal stays an event; since_close stays the
 * first SYN's, when the reuse began. */
static void
accept_after_refusal(FsDetectVerdict *v, FsConn *cur, const FsSegment *seg)
{
    FsReuse *r = &cur->reuse;
    FsConn *prev = cur->older;
    FsTime since_close = r->since_close;
    int old_sender = is_endpoint(prev, FS_ROLE_CLIENT, &seg->dst, seg->dport)
                         ? FS_ROLE_CLIENT : FS_ROLE_SERVER;

    reuse_facts(r, prev, &prev->ep[old_sender], cur->ep[FS_ROLE_CLIENT].isn,
                seg->has_ts, seg->tsecr, seg->ts);
    r->since_close = since_close;
    r->outcome = FS_REUSE_ACCEPTED;
    v->prev = prev;
    v->settle_acks = TRUE;
    v->reused |= (guint8)(1u << (1 - old_sender));
}

/* The first word of the reusing SYN's receiver, when the previous
 * incarnation held no state (its SYN's sender had reset it): an ACK of
 * that incarnation, from the socket the RST was to have closed (RFC 9293
 * §3.10.7.4). The RST did not reach it (tcpstate.c then makes rst_from
 * undecided): it held the connection in the state the RST found, and
 * refused the SYN from it. */
static void
answer_despite_reset(FsDetectVerdict *v, FsConn *cur, const FsConn *old,
                     FsRole old_role, const FsSegment *seg)
{
    const FsEndpoint *syn_sender = &cur->ep[FS_ROLE_CLIENT];
    const FsEndpoint *old_sender = &old->ep[fs_role_peer(old_role)];
    FsReuse *r = &cur->reuse;

    if (cur->reuse.outcome != FS_REUSE_NONE || old != cur->older ||
        cur->ep[FS_ROLE_SERVER].seen || syn_sender->state != FS_TCP_SYN_SENT ||
        !syn_sender->isn_known ||
        !is_endpoint(cur, FS_ROLE_SERVER, &seg->src, seg->sport) ||
        !fs_tcpstate_alive_after_rst(old, old_role, seg))
        return;
    r->outcome = FS_REUSE_CHALLENGE_ACK;
    r->holder = FS_ROLE_SERVER;
    r->holder_state = old->rst_peer_state;
    reuse_facts(r, old, old_sender, syn_sender->isn, syn_sender->ts_seen,
                syn_sender->first_tsval, cur->t_first);
    emit(v, cur, seg, FS_EV_REUSE_REJECTED, FS_ROLE_SERVER,
         rejection_reason(r));
}

static gboolean
carries_data(const FsSegment *seg)
{
    return seg->payload_len > 0 || (seg->flags & FS_TH_FIN);
}

/* seg acknowledges bytes from before the peer's ISN. */
static inline gboolean
acks_before_isn(const FsEndpoint *peer, const FsSegment *seg)
{
    return (seg->flags & FS_TH_ACK) && peer->isn_known &&
           fs_seq_lt(seg->ack, peer->isn + 1);
}

/* seg carries data (or a FIN) with a TSval older than anything e sent
 * in this incarnation. */
static inline gboolean
data_older_than_first(const FsEndpoint *e, const FsSegment *seg)
{
    return carries_data(seg) && seg->has_ts && e->ts_seen &&
           fs_ts_older(seg->tsval, e->first_tsval);
}

/* seg, with data or a FIN, cannot be this incarnation's whatever its
 * sequence number (belongs()'s tests that do not read it): an old
 * duplicate of an earlier incarnation, even at the new RCV.NXT, where no
 * earlier space holds its sequence number. */
static gboolean
foreign(const FsConn *c, FsRole role, const FsSegment *seg)
{
    const FsEndpoint *e = &c->ep[role];

    return e->seen && carries_data(seg) &&
           (acks_before_isn(&c->ep[fs_role_peer(role)], seg) ||
            (e->isn_known && data_older_than_first(e, seg)));
}

/* Does seg fall in this incarnation's sequence space for its sender? */
static gboolean
belongs(const FsConn *c, FsRole role, const FsSegment *seg)
{
    const FsEndpoint *e = &c->ep[role];
    const FsEndpoint *peer = &c->ep[fs_role_peer(role)];
    guint32 wnd = MAX(peer->rcv_wnd, DEFAULT_WINDOW);

    if (!e->seen) {
        /* not heard from yet: its first answer acknowledges the SYN */
        if (peer->isn_known && (seg->flags & FS_TH_ACK))
            return seg->ack == peer->isn + 1;
        return TRUE;
    }
    /* It acknowledges bytes from before the peer's ISN: not this one's. */
    if (acks_before_isn(peer, seg))
        return FALSE;
    if (!e->isn_known)
        return TRUE;
    if (!fs_seq_between(seg->seq, e->isn, e->snd_nxt + wnd + 1))
        return FALSE;
    /* In the space, yet older than anything this incarnation sent. */
    return !data_older_than_first(e, seg);
}

/* The newest incarnation older than cur whose sender space holds
 * seg->seq, and the sender's role in it (*role). */
static FsConn *
older_owner(FsConn *cur, const FsSegment *seg, FsRole *role)
{
    for (FsConn *x = cur->older; x != NULL; x = x->older) {
        FsRole r = fs_conn_sender_role(x, seg);
        const FsEndpoint *e = &x->ep[r];
        guint32 lo = e->isn_known ? e->isn : e->snd_nxt - (1u << 20);

        if (e->seen && fs_seq_between(seg->seq, lo, e->snd_nxt + 1)) {
            *role = r;
            return x;
        }
    }
    return NULL;
}

/* An old segment reached a newer incarnation: would its receiver have
 * taken it (inside the window, RFC 9293 §3.10.7.4) or did PAWS guard it
 * (TSval older than the connection's, RFC 7323 §5), or its ACK (outside
 * SND.UNA - MAX.SND.WND .. SND.NXT of the receiver, RFC 5961 §5.2: Linux
 * drops the segment, tcp_ack())? */
static void
judge_old_duplicate(FsDetectVerdict *v, FsConn *cur, FsRole role,
                    const FsSegment *seg)
{
    const FsEndpoint *snd = &cur->ep[role];
    const FsEndpoint *rcv = &cur->ep[fs_role_peer(role)];
    guint32 wnd = rcv->rcv_wnd ? rcv->rcv_wnd : DEFAULT_WINDOW;
    guint32 end = seg->seq + seg->payload_len;
    gboolean in_window = snd->seen &&
        (fs_seq_between(seg->seq, snd->snd_nxt, snd->snd_nxt + wnd) ||
         (fs_seq_lt(seg->seq, snd->snd_nxt) && fs_seq_gt(end, snd->snd_nxt)));
    gboolean paws = seg->has_ts && snd->ts_seen &&
                    fs_ts_older(seg->tsval, snd->last_tsval);
    /* no TSval read, the snap length having cut the options: it may
     * have carried one PAWS rejects (decode.c, decode_cut_options()) */
    gboolean paws_unknown = seg->opts_cut && !seg->has_ts;
    gboolean ack_refused =
        (seg->flags & FS_TH_ACK) && rcv->seen && snd->ack_seen &&
        (fs_seq_gt(seg->ack, rcv->snd_nxt) ||
         fs_seq_lt(seg->ack,
                   snd->max_ack - MAX(snd->rcv_wnd, DEFAULT_WINDOW)));

    cur->old_duplicates++;
    cur->old_dup.in_window += in_window;
    cur->old_dup.paws_rejected += paws;
    emit(v, cur, seg, FS_EV_OLD_DUPLICATE, role,
         in_window && paws_unknown
             ? "previous incarnation's segment inside the new window; the "
               "snap length cut its TCP options: whether PAWS rejects it "
               "is not known"
         : in_window && !paws && ack_refused
             ? "previous incarnation's segment inside the new window, no "
               "PAWS, but its ACK is not of what the receiver sent: "
               "dropped (RFC 5961 §5.2, Linux; a stack without that check "
               "would take it)"
         : in_window && !paws
             ? "previous incarnation's segment inside the new window, no "
               "PAWS: would be accepted (data corruption)"
         : in_window
             ? "previous incarnation's segment inside the new window; PAWS "
               "rejects its old timestamp: protected"
         : paws
             ? "previous incarnation's segment outside the new window, and "
               "PAWS rejects it: dropped"
             : "previous incarnation's segment outside the new window: "
               "dropped");
}

/* Data sent again after the connection closed: an old duplicate that a
 * TIME_WAIT absorbs (RFC 9293 §3.6.1), or that meets no state at all. */
static gboolean
late_after_close(FsDetectVerdict *v, FsConn *c, FsRole role,
                 const FsSegment *seg)
{
    const FsEndpoint *e = &c->ep[role];
    const FsEndpoint *rcv = &c->ep[fs_role_peer(role)];

    if (!fs_detect_closed_as_captured(c))
        return FALSE;
    if (seg->payload_len == 0 || (seg->flags & (FS_TH_FIN | FS_TH_SYN)) ||
        !e->seen || !fs_seq_lt(seg->seq, e->snd_nxt))
        return FALSE;
    if (fs_tcpstate_resent_after_rst(c, role, seg)) {
        /* sent again by a socket the RST did not close (or never
         * reached): no old duplicate, and who reset it a guess */
        c->rst_uncertain = 1;
        return TRUE;
    }
    c->old_duplicates++;
    if (rcv->state == FS_TCP_TIME_WAIT)
        c->old_dup.during_time_wait++;
    emit(v, c, seg, FS_EV_OLD_DUPLICATE, role,
         rcv->state == FS_TCP_TIME_WAIT
             ? "old segment during TIME_WAIT: absorbed, answered by an "
               "ACK (an RST of the closed peer to that ACK ends TIME_WAIT "
               "early: RFC 1337)"
             : "old segment after close: the receiver held no state");
    return TRUE;
}

/* The count and event of a frame captured twice. */
static void
count_twice(FsDetectVerdict *v, FsConn *c, FsRole role, const FsSegment *seg)
{
    if (c->duplicate_frames++ == 0)
        emit(v, c, seg, FS_EV_DUPLICATE_FRAME, role,
             "identical frame captured twice: capture artefact, "
             "not a retransmission");
}

static gboolean
duplicate_frame(FsDetectVerdict *v, FsConn *c, FsRole role,
                const FsSegment *seg)
{
    /* not a frame captured twice: its hash noted, as on the lean path */
    if (fs_detect_steady(c, role, seg))
        return FALSE;
    count_twice(v, c, role, seg);
    return TRUE;
}

FsDetectVerdict *
fs_detect_twice(FsConn *cur, FsRole role, const FsSegment *seg,
                FsDetectVerdict *v)
{
    fs_detect_verdict_init(v, cur, role, seg);
    count_twice(v, cur, role, seg);
    v->skip = TRUE;
    return v;
}

FsDetectVerdict *
fs_detect_copy(FsConn *cur, FsRole role, const FsSegment *seg,
               FsDetectVerdict *v)
{
    fs_detect_verdict_init(v, cur, role, seg);
    if (cur->duplicate_frames++ == 0)
        emit(v, cur, seg, FS_EV_DUPLICATE_FRAME, role,
             "the same frame in two capture files (two vantage points): "
             "one frame, not a retransmission");
    v->skip = TRUE;
    return v;
}

/* fs_detect_segment() past its usual path (detect-usual.h). */
FsDetectVerdict *
fs_detect_segment_in_full(FsConn *cur, FsRole role, const FsSegment *seg,
                          FsDetectVerdict *v)
{
    FsRole old_role;
    FsConn *old;

    if (duplicate_frame(v, cur, role, seg)) {
        v->skip = TRUE;
        return v;
    }
    if (fs_detect_awaits_reuse_answer(cur, role))
        note_answer(v, cur, seg);
    else if (accepted_after_refusal(cur, role, seg))
        accept_after_refusal(v, cur, seg);
    if (!(seg->flags & FS_TH_SYN) && cur->older != NULL &&
        !belongs(cur, role, seg)) {
        old = older_owner(cur, seg, &old_role);
        if ((old != NULL && carries_data(seg)) ||
            (old == NULL && foreign(cur, role, seg))) {
            judge_old_duplicate(v, cur, role, seg);
            v->skip = TRUE;
            return v;
        }
        if (old != NULL) {
            v->conn = old;  /* an answer from (or to) the old state */
            v->role = old_role;
            answer_despite_reset(v, cur, old, old_role, seg);
            return v;
        }
    }
    v->skip = late_after_close(v, cur, role, seg);
    return v;
}

/* detect-usual.h's, for the callers outside the engine's per-segment
 * path (tests/test-detect) */
FsDetectVerdict *
fs_detect_segment(FsConn *cur, FsRole role, const FsSegment *seg,
                  FsDetectVerdict *v)
{
    return fs_detect_segment_usual(cur, role, seg, v);
}
