/* finscope: per-endpoint close-state machine (RFC 9293 §3.3.2). */
#ifndef FINSCOPE_TCPSTATE_H
#define FINSCOPE_TCPSTATE_H

#include <glib.h>
#include "finscope/types.h"

typedef enum {
    FS_TCP_UNKNOWN = 0, /* the capture cannot tell */
    FS_TCP_SYN_SENT,
    FS_TCP_SYN_RECEIVED,
    FS_TCP_ESTABLISHED,
    FS_TCP_FIN_WAIT_1,
    FS_TCP_FIN_WAIT_2,
    FS_TCP_CLOSE_WAIT,
    FS_TCP_CLOSING,
    FS_TCP_LAST_ACK,
    FS_TCP_TIME_WAIT,
    FS_TCP_CLOSED,
    FS_TCP_N_STATES
} FsTcpState;

/* "FIN_WAIT_1", "TIME_WAIT", ... — the one table every reporter uses. */
const char *fs_tcp_state_name(FsTcpState state);

/* Why an endpoint changed state. */
typedef enum {
    FS_CAUSE_SEND_SYN,
    FS_CAUSE_RECV_SYN,
    FS_CAUSE_HANDSHAKE_DONE,
    FS_CAUSE_SEND_FIN,
    FS_CAUSE_RECV_FIN,
    FS_CAUSE_FIN_ACKED,
    FS_CAUSE_SEND_RST,
    FS_CAUSE_RECV_RST,
    FS_CAUSE_TIME_WAIT_EXPIRED,
    FS_CAUSE_ACK_LOST,        /* its FIN came again: the ACK never arrived */
    FS_CAUSE_REUSED,          /* a new incarnation took the 4-tuple over */
    FS_CAUSE_GONE,            /* its RST was a port's reply: the connection
                                 had ended unseen before (the RST then
                                 leaves from CLOSED, no send_rst edge) */
    FS_CAUSE_RST_NOT_TAKEN,   /* an endpoint an RST seemed to end showed
                                 later that it never took it (ignored, or
                                 lost): back from CLOSED to the state the
                                 RST found (tcpstate.c, rst_not_taken()) */
    FS_CAUSE_N
} FsCause;

const char *fs_cause_name(FsCause cause);

/* One state change of one endpoint. */
typedef struct {
    FsTcpState from;
    FsTcpState to;
    FsCause cause;
} FsTransition;

typedef struct FsConn FsConn;
typedef struct FsSegment FsSegment;
/* A step's transitions and events, in order (tcpoutcome.h). Every step below
 * appends what happened to the caller's outcome and returns it: the
 * machine calls nothing back. */
typedef struct FsTcpOutcome FsTcpOutcome;

typedef struct {
    gboolean rfc1337;   /* the stacks ignore RSTs in TIME_WAIT (RFC 1337) */
    FsTime two_msl;     /* how long a TIME_WAIT lasts (0: not known; a
                           FIN again restarts any TIME_WAIT still in
                           that state, over or not) */
    gboolean time_wait_states_only; /* a segment's step records only the
                           transitions into or out of TIME_WAIT (the
                           only ones a caller without --all-events
                           reads: the TIME_WAIT accounting); the others
                           still change the states */
} FsTcpConfig;

/* The state RFC 9293's diagram (with the transitions a capture forces:
 * an ACK lost after the sensor, a TIME_WAIT taken over) reaches from
 * `from` on `cause`; FS_TCP_N_STATES when the diagram has no such edge. */
FsTcpState fs_tcp_next_state(FsTcpState from, FsCause cause);

/* Why an endpoint's end state is a best choice, not a certainty. */
typedef enum {
    FS_UNDECIDED_NONE = 0,
    FS_UNDECIDED_ACK_AFTER_LOSS, /* its FIN's last ACK followed lost ones;
                                    the capture ended before a re-sent FIN
                                    was due */
    FS_UNDECIDED_FIN_UNACKED,    /* the peer's FIN came last; no ACK of it
                                    was captured */
    FS_UNDECIDED_ACK_BEFORE_RST, /* its FIN's last ACK followed lost ones;
                                    it aborted (RST+ACK) before a re-sent
                                    FIN was due */
    FS_UNDECIDED_HANDSHAKE_ACK,  /* its SYN-ACK came again after an ACK of
                                    it passed (lost); the bare ACK after,
                                    taken as arrived, no segment showed */
    FS_UNDECIDED_NEVER_ACCEPTED, /* the server, silent since its SYN-ACK,
                                    answered the client's data at once
                                    with a bare RST at its ISN + 1: a port's
                                    reply as much as an abort */
    FS_UNDECIDED_GAVE_UP,        /* its FIN re-sent, never acked, it reset
                                    the peer's data from FIN_WAIT_1: it
                                    may have given up before (a port's
                                    RST reads the same) */
    FS_UNDECIDED_OTHER_CLOCK,    /* in TIME_WAIT when a SYN from its
                                    address and port came stamped by
                                    another clock: another host behind a
                                    NAT (it runs on) or itself restarted
                                    (it ended unseen) */
    FS_UNDECIDED_RST_UNANSWERED, /* an RST in its window, not at RCV.NXT,
                                    taken as refused (RFC 5961's
                                    challenge ACK), and it sent nothing
                                    after: a stack before RFC 5961, or
                                    Linux's orphaned FIN_WAIT_2, takes
                                    it (set at the RST, cleared by its
                                    next segment; the lean path passes
                                    no endpoint undecided) */
    FS_UNDECIDED_STOPPED_RESENDING, /* its FIN, sent again and never
                                    acked, was not sent again for three
                                    times its last interval before the
                                    capture ended: it gave up silently
                                    (CLOSED), or its copies were lost
                                    before the sensor */
} FsUndecided;

const char *fs_undecided_reason(FsUndecided why);
/* The record's field whose value it leaves a guess, of role's endpoint:
 * its end state, the state the first RST interrupted, or the
 * handshake. */
const char *fs_undecided_field(FsUndecided why, int role);

/* Applies one captured segment, sent by the endpoint with role sender, to
 * both endpoints of conn; what happened goes to out. */
FsTcpOutcome *fs_tcpstate_segment(FsConn *conn, int sender,
                                  const FsSegment *seg,
                                  const FsTcpConfig *cfg, FsTcpOutcome *out);

/* seg, from role sender, cannot change a close: an ACK (with or without
 * data; no SYN, FIN or RST) while both ends are ESTABLISHED with no FIN,
 * RST or pending proof on either side, acknowledging nothing beyond what
 * the peer sent (or one past it). Reads conn only. */
gboolean fs_tcpstate_steady(const FsConn *conn, int sender,
                            const FsSegment *seg);

/* What fs_tcpstate_segment() does with such a segment, without its
 * general checks: the sender's window, timestamps, ACK, bytes, sequence
 * high and RTT probes. Emits nothing. */
void fs_tcpstate_steady_step(FsConn *conn, int sender,
                             const FsSegment *seg);

/* Capture time reached now: endpoints whose TIME_WAIT (entered at least
 * two_msl before now) has run out go to CLOSED (cause
 * FS_CAUSE_TIME_WAIT_EXPIRED in out). */
FsTcpOutcome *fs_tcpstate_expire(FsConn *conn, FsTime now, FsTime two_msl,
                                 FsTcpOutcome *out);

typedef struct FsEndpoint FsEndpoint;

/* seg, a SYN from role sender on conn's 4-tuple while conn is in
 * TIME_WAIT, is older (TSval) than that sender's last segment, by no
 * more than the sender's clock ticks in an MSL (2 minutes at 1 ms a
 * tick, RFC 7323 §5.4's fastest): an old duplicate that PAWS rejects
 * (RFC 7323 §5), not a new connection. Older by more, the SYN was not
 * stamped by that clock: a new connection from another host behind a
 * NAT that gave it the same address and port, or from the host
 * restarted (a new TS offset), which the TIME_WAIT refuses by PAWS
 * all the same (RFC 6191 §2; Linux tcp_timewait_state_process()):
 * fs_tcpstate_other_clock(), which reads no state. */
gboolean fs_tcpstate_other_clock(const FsConn *conn, int sender,
                                 const FsSegment *seg);
gboolean fs_tcpstate_old_syn(const FsConn *conn, int sender,
                             const FsSegment *seg);

/* The state ep will be in once what is pending is decided as it most
 * likely will be (an ACK of its FIN that passed the sensor arrived): for
 * scheduling, never for reporting. */
FsTcpState fs_tcpstate_likely(const FsEndpoint *ep);

/* What conn's pending ACKs of FINs are taken to be at now, before a
 * new incarnation of its 4-tuple is judged against it (and as the first
 * step of fs_tcpstate_settle()): proven by silence, or the best choice
 * (arrived, unless ACKs of that FIN were lost before: then lost, and
 * the end state undecided). */
FsTcpOutcome *fs_tcpstate_settle_acks(FsConn *conn, FsTime now,
                                      FsTcpOutcome *out);

/* The capture of conn ends at now: what only silence could prove is
 * decided (an ACK after lost ones did arrive or not; an ACK of a FIN
 * never captured is capture loss), then TIME_WAITs expire as above. */
FsTcpOutcome *fs_tcpstate_settle(FsConn *conn, FsTime now, FsTime two_msl,
                                 FsTcpOutcome *out);

/* A record handed over at now is settled so (the store's hand-over):
 * evicted, only its pending ACKs and expiry (fs_tcpstate_settle_acks(),
 * fs_tcpstate_expire()), else fs_tcpstate_settle(). */
FsTcpOutcome *fs_tcpstate_settle_handed_over(FsConn *conn, FsTime now,
                                             FsTime two_msl,
                                             FsTcpOutcome *out);

/* FsEndpoint's flags, in their order, as the bit fields that hold them
 * (two bytes between its rst_count and wscale: freeze.c copies them as
 * those). FsSettleEnd declares the same, so that a frozen record's
 * settle view takes the two bytes as they are (a copy of each of the 7
 * it reads, bit by bit, cost the view ~60 instructions a record). */
#define FS_ENDPOINT_FLAGS                                                    \
    guint8 seen : 1;         /* any segment from this endpoint captured */   \
    guint8 isn_known : 1;    /* its SYN (or SYN-ACK) was captured */         \
    guint8 ack_seen : 1;     /* it sent at least one ACK */                  \
    guint8 fin_sent : 1;     /* it sent a FIN */                             \
    guint8 fin_acked : 1;    /* an ACK of that FIN was captured (not         \
                                known lost) */                               \
    guint8 ts_seen : 1;      /* it sent TCP timestamps */                    \
    guint8 recv_fin : 1;     /* it received (or provably got) peer's FIN */  \
    guint8 unseen_fin_acked : 1; /* peer acked snd_nxt+1: a FIN not seen */  \
    guint8 fin_acked_lost : 1;   /* FIN re-sent after its ACK was seen */    \
    guint8 fin_pending : 1;  /* peer's FIN captured; its arrival here is     \
                                not proven yet (no ACK of it from here),     \
                                or proven (FsConn's fin_receipt_waits) */    \
    guint8 fin_ack_proven : 1;   /* it acked a peer segment that carried     \
                                    the ACK of its FIN: that ACK arrived */  \
    guint8 ack_carrier_seen : 1; /* ack_carrier_end is set */                \
    guint8 fin_gap : 1;      /* its FIN came past bytes not captured (yet):  \
                                fin_gap_lo is the first of them */           \
    guint8 ack_pending : 1;  /* the ACK of its FIN was captured; that it     \
                                arrived is not proven yet (fin_acked) */     \
    guint8 fin_held_back : 1; /* its first ACK to reach the peer's FIN,      \
                                which came with data, stopped at it: the     \
                                FIN's segment came, the FIN was not taken */ \
    guint8 fin_with_data : 1; /* its first FIN came with payload */

/* Of one endpoint, all that fs_tcpstate_settles_quietly() reads (a
 * frozen record's, fs_conn_frozen_settle_view()). */
typedef struct {
    FsTcpState state;
    FsTime time_wait_since;     /* FS_TIME_UNSET: none */
    guint32 time_wait_restart_us; /* 0: none */
    FsTime state_since;         /* these three for fs_tcpstate_expire_view() */
    FsTime last_fin_time;
    FsTime fin_acked_time;
    FS_ENDPOINT_FLAGS           /* FsEndpoint's two bytes of them (settling
                                   reads 7), after fin_acked_time */
} FsSettleEnd;

typedef struct {
    FsSettleEnd ep[2];          /* client, server */
    FsTime t_last;              /* the record's, its rst_from and whether */
    gint8 rst_from;             /* its close_done_time is set: what the */
    guint8 close_done;          /* store reads besides (store.c) */
} FsSettleView;

/* How a record handed over still frozen is to be settled: at settle_at,
 * expired there first (fs_tcpstate_expire()) if expire_first (the
 * sweep's record: the store emitted what that emits,
 * fs_tcpstate_expire_view()), then fs_tcpstate_settle_handed_over(). */
typedef struct {
    FsTime settle_at;
    FsTime two_msl;
    gboolean expire_first;
    gboolean state_events_dropped; /* fs_tcpstate_settles_quietly()'s */
} FsSettleHow;

/* Whether fs_tcpstate_settle_handed_over() of the record v views, at
 * now, changes nothing the engine keeps: it writes only the record (its
 * states, times and flags), and of what it emits nothing that the
 * engine passes on: no event but state changes, none of them into or
 * out of TIME_WAIT (the TIME_WAIT accounting's), and none at all unless
 * state_events_dropped (the engine's sink gets no state events). Then
 * a record may be settled anywhere, later, by that same call. */
gboolean fs_tcpstate_settles_quietly(const FsSettleView *v, FsTime now,
                                     FsTime two_msl,
                                     gboolean state_events_dropped);

/* fs_tcpstate_expire() of the record v views, on v: its states, their
 * times and ack_pending as that leaves them, and what it emits into out
 * (each event's conn: conn, which the caller fills before it passes
 * them on: the TIME_WAIT accounting reads its head and each endpoint's
 * time_wait_since). FALSE, v and out as they were, if an endpoint would
 * enter TIME_WAIT (the accounting reads more of that one). */
gboolean fs_tcpstate_expire_view(FsSettleView *v, FsTime now,
                                 FsTime two_msl, const FsConn *conn,
                                 FsTcpOutcome *out);

/* The store's test of a finished record, frozen, that v views (its
 * sweep, store.c: handed over still frozen if so): whether
 * fs_tcpstate_expire_view() of it holds, leaving both ends CLOSED with
 * no ACK pending, and fs_tcpstate_settles_quietly() of v so expired.
 * Then fs_conn_thaw_settled() with FsSettleHow.expire_first says quiet
 * (the stage stops with an error if not). TRUE: v expired, out holding
 * what the expiry emits (conn as for fs_tcpstate_expire_view()), for
 * the caller to pass on; FALSE: out empty, v not to be used. */
gboolean fs_tcpstate_expires_quietly(FsSettleView *v, FsTime now,
                                     FsTime two_msl, const FsConn *conn,
                                     gboolean state_events_dropped,
                                     FsTcpOutcome *out);

/* What fs_tcpstate_settles_quietly() allows in out: FALSE if anything
 * else is there (a bug). */
gboolean fs_tcpstate_outcome_quiet(const FsTcpOutcome *out,
                                   gboolean state_events_dropped);

/* The ACK of role's FIN, which the capture showed, never arrived (the
 * endpoint still acts on the old connection): it goes back to LAST_ACK
 * (CLOSING, FIN_WAIT_1) and the final ACK counts as lost. */
FsTcpOutcome *fs_tcpstate_ack_lost(FsConn *conn, int role, FsTime ts,
                                   FsTcpOutcome *out);

/* seg, from sender, seen again later at another capture point
 * (copies.h): it went on past the first. An ACK of the peer's FIN whose
 * arrival was pending (the FIN's sender in FIN_WAIT_1, CLOSING or
 * LAST_ACK as captured) arrived, unless such a proof was already undone
 * on conn (the FIN came again: the loss lies past both points). Returns
 * out. */
FsTcpOutcome *fs_tcpstate_copy_seen(FsConn *conn, int sender,
                                    const FsSegment *seg, FsTcpOutcome *out);

/* The state fs_tcpstate_ack_lost(conn, role, ...) would leave role in,
 * changing nothing: for a detector that judges before the engine acts. */
FsTcpState fs_tcpstate_after_ack_lost(const FsConn *conn, int role);

/* Sets one endpoint's state from outside a segment (a new incarnation
 * taking over a TIME_WAIT), if the diagram has that edge from its state:
 * the transition goes to out. */
FsTcpOutcome *fs_tcpstate_force(FsConn *conn, int role, FsTcpState to,
                                FsCause cause, FsTime ts, FsTcpOutcome *out);

/* seg, from sender, a bare ACK of all its peer had sent and of nothing
 * sender had not acked, shows that the first RST of conn, the peer's,
 * did not close sender: sender is CLOSED by it, and seg came later than
 * it could have crossed that RST (tcpstate.c: rst_from undecided; the
 * detectors: a reusing SYN refused from the state the RST found). */
gboolean fs_tcpstate_alive_after_rst(const FsConn *conn, int sender,
                                     const FsSegment *seg);

/* seg, from sender, data it had sent before, comes as a retransmission
 * after the first RST of conn, the peer's, CLOSED sender: stamped with
 * a TSval newer than any it sent before, longer after the RST than any
 * RTO and than sender's RTT leg. A reset socket sends nothing; only a
 * queue deeper than that could have held it (tcpstate.c: rst_from
 * undecided; the detectors: no old duplicate). */
gboolean fs_tcpstate_resent_after_rst(const FsConn *conn, int sender,
                                      const FsSegment *seg);

/* A new SYN came at ts from role's address and port, which its old
 * socket here no longer held: an ACK of its FIN and a FIN of its peer's
 * that passed the sensor taken as arrived first (the detectors judged it
 * at its likeliest), then its TIME_WAIT ends, taken over (cause reused),
 * or any other state, its socket ended unseen before (cause gone). */
FsTcpOutcome *fs_tcpstate_new_syn_ends(FsConn *conn, int role, FsTime ts,
                                       FsTcpOutcome *out);

/* role answered a new SYN on its 4-tuple with rst, a segment of the new
 * connection, which ended its FIN_WAIT_2 or TIME_WAIT here (the
 * detectors' rst_ends, which judged it at its likeliest): an ACK of its
 * FIN and a FIN of its peer's that passed the sensor taken as arrived
 * first, then CLOSED at rst (cause send_rst, the event naming rst's
 * frame). */
FsTcpOutcome *fs_tcpstate_syn_reset_ends(FsConn *conn, int role,
                                         const FsSegment *rst,
                                         FsTcpOutcome *out);

/* A new SYN came from the client's address and port, the client in
 * TIME_WAIT, which another clock stamped (fs_tcpstate_other_clock()):
 * another host shares them (a NAT gave it the same public address and
 * port). The client's TIME_WAIT is not taken over and runs on; an RST
 * from there at the server's latest ACK is that host's SYN_SENT
 * answering it (RFC 9293 §3.10.7.3), not the client's: it ends the
 * server's state, not the client's (FsConn other_host). */
void fs_tcpstate_other_host(FsConn *conn);

#endif /* FINSCOPE_TCPSTATE_H */
