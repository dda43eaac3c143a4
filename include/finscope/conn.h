/* finscope: one incarnation of a 4-tuple and its two endpoints. */
#ifndef FINSCOPE_CONN_H
#define FINSCOPE_CONN_H

#include <stddef.h>

#include <glib.h>
#include "finscope/types.h"
#include "finscope/tcpstate.h"

/* What the capture shows of one endpoint, by what it sent and what the
 * peer acknowledged. Sequence fields are valid only when their flag is.
 *
 * Its first FS_ENDPOINT_HOT_SIZE bytes are what a segment in
 * mid-connection (the engine's lean path: fs_tcpstate_steady() and
 * fs_tcpstate_steady_step()) reads and writes of either endpoint, with
 * a few cold fields filling the holes; the rest after. The flags stay
 * between rst_count and wscale (freeze.c copies them as those bytes). */
struct FsEndpoint {
    /* hot */
    FsTcpState state;        /* current state as the capture shows it */
    guint32 snd_nxt;         /* highest seq + len (+SYN, +FIN) sent */
    guint32 max_ack;         /* highest ack number sent (ack_seen) */
    guint32 last_tsval;      /* latest TSval sent (ts_seen) */
    guint32 rcv_wnd;         /* latest window it advertised, scaled, bytes */
    guint32 rtt_leg_us;      /* least time from a segment to it passing
                                the sensor to its ACK passing back, us;
                                0 = not measured */
    guint32 probe_end;       /* peer's seq it must ack to close the RTT
                                probe started at probe_ts */
    guint16 rst_count;       /* RSTs sent */
    FS_ENDPOINT_FLAGS /* 16 flags, two bytes: tcpstate.h */
    guint8 wscale;           /* its window-scale shift (0 if none) */
    guint8 undecided;        /* FsUndecided: its end state is a guess */
    guint16 fin_count;       /* FIN transmissions; > 1 = retransmitted */
    guint32 first_tsval;     /* first TSval sent in this incarnation */
    FsTime probe_ts;         /* RTT probe sent, ns; FS_TIME_UNSET = none */
    FsTime last_payload_time;/* its last payload sent before either side's
                                FIN, ns; FS_TIME_UNSET = none */
    guint64 bytes;           /* payload bytes sent */
    /* cold */
    guint32 isn;             /* initial sequence number (isn_known) */
    guint32 fin_seq;         /* sequence number of the FIN (fin_sent) */
    guint32 fin_ack;         /* ack field carried on the first FIN */
    guint32 ack_carrier_end; /* end of the first sequence-occupying peer
                                segment that acked its FIN */
    guint32 fin_gap_lo;      /* fin_gap: first byte before the FIN not
                                captured so far; of a FIN with data
                                (fin_with_data), its segment's first */
    guint32 time_wait_restart_us; /* its 2*MSL timer last restarted in
                                that TIME_WAIT (a FIN of the peer's sent
                                again reached it: its ACK passed the
                                sensor), us after time_wait_since,
                                rounded up (at most ~71 min); 0: never */
    FsTime state_since;      /* when it entered its current state, ns */
    FsTime prev_fin_time;    /* FIN transmission before last_fin_time */
    FsTime fin_time;         /* first FIN sent, ns */
    FsTime last_fin_time;    /* latest FIN transmission, ns */
    FsTime fin_acked_time;   /* when the peer's ACK of the FIN was seen */
    FsTime time_wait_since;  /* entered TIME_WAIT, ns; FS_TIME_UNSET */
    guint64 bytes_after_peer_fin; /* half-close: sent after peer's FIN */
    guint64 bytes_after_own_fin;  /* payload beyond its own FIN (illegal) */
};

/* The bytes of an FsEndpoint a mid-connection segment touches. */
#define FS_ENDPOINT_HOT_SIZE offsetof(FsEndpoint, isn)

/* What happened when this incarnation's SYN reused a 4-tuple whose
 * previous incarnation still held state (RFC 1122 §4.2.2.13, RFC 6191). */
typedef enum {
    FS_REUSE_NONE = 0,        /* no previous incarnation held state */
    FS_REUSE_ACCEPTED,        /* answered with SYN-ACK */
    FS_REUSE_REJECTED_RST,    /* answered with RST */
    FS_REUSE_CHALLENGE_ACK,   /* answered with an ACK of the old connection */
    FS_REUSE_UNANSWERED,      /* no answer captured */
} FsReuseOutcome;

typedef struct {
    guint8 outcome;          /* FsReuseOutcome */
    gint8 holder;            /* FsRole (new roles) holding old state */
    guint8 holder_state;     /* FsTcpState it held when the SYN came */
    guint8 isn_above : 1;    /* new ISN above the old sequence space */
    guint8 ts_known : 1;     /* both had timestamps to compare */
    guint8 ts_newer : 1;     /* new TSval newer than the old (RFC 6191) */
    FsTime since_close;      /* SYN time minus the old close, ns */
} FsReuse;

/* Old duplicates seen by a new incarnation: could they do harm? */
typedef struct {
    guint32 in_window;       /* inside the receiver's window: accepted */
    guint32 paws_rejected;   /* TSval older than the connection's: dropped */
    guint32 during_time_wait;/* arrived while the old incarnation was in TW */
} FsOldDup;

/* One incarnation of a 4-tuple. ep[] and addr[] are indexed by FsRole.
 *
 * The fields before illegal_flags are its head: the engine's links and
 * the flow key. A connection quiet for a while is kept frozen (freeze.h):
 * its links as they are, its addresses (only the 4 bytes of each that
 * IPv4 uses, when it is IPv4) and a compact encoding of the rest; of a
 * frozen connection, only the fields before addr may be read as they
 * are, and its addresses through flow.c. */
typedef struct FsConn FsConn;
struct FsConn {
    /* head: links */
    FsConn *older;           /* previous incarnation of the 4-tuple */
    guint64 id;              /* 1-based, in order of first packet */
    guint32 vlan;            /* VLAN key, part of the flow key */
    guint32 deadline_slot;   /* its place in the engine's FsDeadlines */
    guint32 held_slot;       /* its eviction class (FsEvictClass) in the
                                top 2 bits, its index in that class's
                                held list below (store.h) */
    guint16 port[2];         /* client, server */
    guint16 frozen_len;      /* bytes encoded after the head; 0 = not frozen */
    /* head: addresses */
    FsAddr addr[2];          /* client, server */
    /* body: first what a segment in mid-connection touches (with the
     * head: FS_CONN_HOT_SIZE bytes, and each endpoint's hot part) */
    guint32 illegal_flags;   /* SYN+FIN, FIN without ACK, ... */
    guint64 packets;         /* segments of this incarnation */
    FsTime t_last;           /* last packet, ns */
    /* duplicate frames: hdr_hash of the last segment and its capture
     * time, by sender */
    FsTime last_hash_ts[2];
    guint32 last_hash[2];
    guint32 last_frame;      /* frame of its last segment (last_source) */
    guint16 last_source;     /* capture file index of last_frame */
    gint8 rst_from;          /* FsRole of the first RST, FS_ROLE_NONE */
    guint8 rst_state;        /* FsTcpState the first RST's sender was in */
    FsEndpoint ep[2];        /* client, server */
    /* body: the rest */
    FsTime t_first;          /* first packet, ns */
    FsTime close_done_time;  /* both FINs acked (graceful), or UNSET */
    FsTime rst_time;         /* first accepted RST, or FS_TIME_UNSET */
    FsTime settled_at;       /* time its states were last settled at */
    guint64 reuse_of;        /* id of the previous incarnation, 0 = none */
    FsReuse reuse;           /* how this incarnation took over the tuple */
    FsOldDup old_dup;        /* what the old duplicates it saw could do */
    guint32 old_duplicates;  /* segments of an older incarnation seen */
    guint32 capture_loss;    /* ACKs for bytes never captured */
    guint32 final_ack_lost;  /* final ACK lost: FIN re-sent after it */
    guint32 duplicate_frames;/* the same frame captured twice (skipped) */
    guint32 first_frame;     /* frame of its first segment, 1-based in
                                file first_source; 0 = unknown */
    guint8 rst_peer_state;   /* FsTcpState of the RST's receiver */
    guint8 roles_inferred : 1;  /* no SYN seen: roles guessed from ports */
    guint8 syn_seen : 1;        /* the client's SYN was captured */
    guint8 simultaneous : 1;    /* each FIN sent before the peer's arrived */
    guint8 three_way_close : 1; /* passive FIN carried the ACK (FIN, FA, A) */
    guint8 reuse_in_time_wait : 1; /* SYN while old incarnation in TW */
    guint8 tw_assassinated : 1; /* an RST ended a TIME_WAIT (RFC 1337) */
    guint8 rst_answers_fin : 1; /* RST answered a retransmitted FIN: no
                                   TIME_WAIT left at the active closer */
    guint8 fin_beyond_data : 1; /* a FIN past the highest data captured */
    guint8 evicted : 1;      /* finished early: --max-flows was reached */
    guint8 aborted_after_close : 1; /* an endpoint that had sent its FIN
                                       got data and answered RST: it was
                                       gone, never in TIME_WAIT */
    guint8 rst_uncertain : 1;   /* an RST's receiver showed no ACK, or
                                   the RST is below what its sender had
                                   sent: its acceptance is a guess */
    guint8 peer_silent : 1;     /* a FIN re-sent, never acked, while the
                                   peer was seen: the peer stopped
                                   answering */
    guint8 handshake_ack_lost : 1; /* the server's SYN-ACK came again after
                                      the client's ACK of it passed: that
                                      ACK was lost, and a bare ACK since
                                      proves nothing */
    guint8 fin_receipt_waits : 2; /* by role (1 << FsRole): it acked the
                                     peer's FIN from one past its SND.NXT,
                                     no FIN of its own captured: that FIN
                                     arrived (at the peer's
                                     fin_acked_time), fin_pending waits
                                     for its own FIN to tell in which
                                     state (tcpstate.c) */
    guint8 other_host : 1;   /* a SYN another clock stamped
                                (fs_tcpstate_other_clock()) came from the
                                client's address and port while it held
                                TIME_WAIT: another host shares them (a
                                NAT); its TIME_WAIT was not taken over,
                                and an RST from there at the server's ACK
                                is that host's (tcpstate.c) */
    guint8 copy_proof_spent : 1; /* (a third byte: freeze.c copies it)
                                    an ACK of a FIN proven arrived (by its
                                    copy in another capture file, or
                                    otherwise before the end) was lost
                                    after all, the FIN sent again: the
                                    capture points lie before the loss,
                                    and a copy proves no arrival since
                                    (fs_tcpstate_copy_seen()) */
    guint8 rst_at_una : 1;   /* (the third byte too) the first RST lay at
                                its receiver's latest ACK (its sender's
                                SND.UNA), below its sender's SND.NXT, and
                                so did every RST of its sender since: an
                                ACK of the receiver's past that proves
                                the RST below its RCV.NXT (tcpstate.c) */
    guint8 rst_outlived : 1; /* the first RST's receiver showed it never
                                took it, and went back to the state it
                                found; its sender keeps rst_from (it sent
                                it: an abort, or its port's reply) */
    guint8 rst_sender_talked : 1; /* the first RST's sender sent new
                                     sequence space after it (past all
                                     it had sent then): alive, the RST
                                     not its own (forged) */
    guint8 rst_sender_was : 4; /* FsTcpState the first RST's sender was
                                  in before it, where rst_state says
                                  CLOSED for it (state_lost(): "gone"),
                                  else 0 (rst_state says it): to go back
                                  to if the RST was not its own */
    /* (a fourth byte: freeze.c copies it too) */
    guint8 fin_not_taken : 2; /* by role (1 << FsRole): after its peer's
                                 first FIN could have reached it (its
                                 answering time, leg_window(), passed;
                                 none measured: at once), a segment of
                                 its own acked short of that FIN: no copy
                                 before it had been taken then (a D-SACK
                                 of a later copy dates nothing earlier:
                                 tcpstate.c, fin_dsacked()) */
    guint8 fin_rtx_crossed : 2; /* by role (1 << FsRole): its FIN's last
                                   copy was judged to have crossed its
                                   ACK in flight (on_fin_again()): a
                                   D-SACK of it says the same */
    guint8 fin_again_acked_more : 2; /* by role (1 << FsRole): its FIN's
                                        last copy carried another ACK
                                        than its first FIN (it had acked
                                        more of the peer's since: its
                                        FIN, its data): an RST at the
                                        first's ACK answers no such copy
                                        (tcpstate.c, answers_fin_again()) */
    guint16 rst_ignored;     /* RSTs the receiver would not accept */
    guint16 first_source;    /* capture file index of first_frame */
};

#define FS_CONN_HEAD_SIZE offsetof(FsConn, illegal_flags)
#define FS_CONN_LINKS_SIZE offsetof(FsConn, addr)
/* What a segment in mid-connection touches of an open FsConn: its first
 * FS_CONN_HOT_SIZE bytes (the head, the counters, the last frame's, the
 * duplicate-frame hashes, and the client's hot part) and the server's
 * hot part, FS_ENDPOINT_HOT_SIZE bytes at FS_CONN_HOT_SERVER_AT
 * (fs_flow_prefetch()). */
#define FS_CONN_HOT_SIZE (offsetof(FsConn, ep) + FS_ENDPOINT_HOT_SIZE)
#define FS_CONN_HOT_SERVER_AT \
    (offsetof(FsConn, ep) + sizeof(FsEndpoint))

/* &conn->ep[role], role an endpoint's (client or server), written as a
 * choice of the two: indexed, GCC folds role * sizeof (FsEndpoint), 152
 * bytes (no scale an x86 address takes), into every access of a field
 * and works it out again, three instructions, in nearly every block it
 * is used in; chosen, it is a pointer held in a register (callgrind,
 * medium: a sixth fewer of tcpstate.c's full path's own instructions,
 * nearly a quarter fewer of the lean path's step's). */
#define FS_ENDPOINT(conn, role)                             \
    ((role) == FS_ROLE_CLIENT ? &(conn)->ep[FS_ROLE_CLIENT] \
                              : &(conn)->ep[FS_ROLE_SERVER])

/* Capture-end view of one endpoint, computed by classify: one side
 * seen and not the other. Inline: each record's classification and
 * report ask several times. */
static inline gboolean
fs_conn_one_sided(const FsConn *conn)
{
    return conn->ep[FS_ROLE_CLIENT].seen != conn->ep[FS_ROLE_SERVER].seen;
}

/* How long role had been in its state when the record was settled;
 * FS_TIME_UNSET when that is not known. Inline: a report writes both
 * endpoints' of every record. */
static inline FsTime
fs_conn_state_age(const FsConn *conn, FsRole role)
{
    FsTime since = conn->ep[role].state_since;

    return since == FS_TIME_UNSET || conn->settled_at < since
               ? FS_TIME_UNSET
               : conn->settled_at - since;
}

/* When an endpoint in (or once in) TIME_WAIT last started its 2*MSL
 * timer: when it entered, or when a FIN of its peer's sent again
 * restarted it (RFC 9293 §3.10.7.4). */
#define FS_TIME_WAIT_TIMER(ep)                                       \
    ((ep)->time_wait_restart_us != 0                                  \
         ? (ep)->time_wait_since +                                    \
               (FsTime)(ep)->time_wait_restart_us * 1000              \
         : (ep)->time_wait_since)

/* When an endpoint that entered TIME_WAIT (time_wait_since set) leaves
 * or left it: 2*MSL after its timer last started (FS_TIME_WAIT_TIMER()),
 * or earlier when it was cut short (a reuse, an RST) and is CLOSED
 * now. */
static inline FsTime
fs_endpoint_time_wait_end(const FsEndpoint *ep, FsTime msl)
{
    FsTime expiry = FS_TIME_WAIT_TIMER(ep) + 2 * msl;

    if (ep->state != FS_TCP_TIME_WAIT && ep->state_since != FS_TIME_UNSET)
        return MIN(ep->state_since, expiry);
    return expiry;
}

/* An endpoint nothing is known of: UNKNOWN, every time unset. */
void fs_endpoint_init(FsEndpoint *ep);

/* A new incarnation's body: endpoints as above, its times unset, no RST. */
void fs_conn_init(FsConn *conn);

/* fs_conn_init() of a connection all zero (fs_conn_new_whole()'s): only
 * what is not zero is written. */
void fs_conn_init_zeroed(FsConn *conn);

#endif /* FINSCOPE_CONN_H */
