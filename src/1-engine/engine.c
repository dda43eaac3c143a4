/* finscope: the per-packet pipeline — decode, shard, store (flow,
 * incarnation), detectors, state machine, then the listeners (TIME_WAIT
 * accounting) and the sink. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/classify.h"
#include "finscope/detect.h"
#include "finscope/engine.h"
#include "finscope/flow.h"
#include "finscope/seq.h"
#include "finscope/tcpoutcome.h"
#include "finscope/tcpstate.h"
#include "copies.h"
#include "detect-usual.h"
#include "engine-ledger.h"
#include "fin-copies.h"
#include "steady.h"
#include "store.h"
#include "timewait.h"

struct FsEngine {
    FsEngineConfig cfg;
    FsEngineSink sink;
    FsTcpConfig tcp;
    FsStore *store;         /* the connections held */
    FsTimeWait *tw;         /* TIME_WAIT per host and destination: a
                               listener on transitions, but not only
                               read at the end: what it holds now
                               (TW_COST, HOST_COST) is charged to
                               stats.memory, which the store's budget
                               (--max-memory) reads every packet and
                               memory_peak reports */
    FsCopies *copies;       /* with cfg.sources > 1: frames seen in two
                               files (copies.h); else NULL */
    FsEngineStats stats;
    gboolean lean;          /* lean_segment() is tried (not with
                               FINSCOPE_NO_LEAN set: tests/lean.sh) */
    gboolean finished;      /* fs_engine_finish() was called */
    FsFinCopies fin_copies; /* the latest FINs, for their copies (last:
                               6 KiB, off the lines read every packet) */
};

#include "inline.h"

static void
on_emit(const FsEvent *ev, gpointer user)
{
    FsEngine *e = user;

    if (ev->kind == FS_EV_STATE) {
        fs_timewait_transition(e->tw, ev->conn, ev->role,
                               ev->transition.from, ev->transition.to,
                               ev->ts, ev->value);
        if (!e->cfg.all_events)
            return;
    }
    if (e->sink.on_event != NULL)
        e->sink.on_event(ev, ev->conn, e->sink.user);
}

/* apply_outcome() of an outcome with events. */
static void
apply_events(FsEngine *e, FsTcpOutcome *out)
{
    for (guint i = 0; i < fs_tcp_outcome_len(out); i++)
        on_emit(fs_tcp_outcome_at(out, i), e);
    fs_tcp_outcome_clear(out);
}

/* A tcpstate step returned out: its transitions and events go on in the
 * order they happened (on_emit), then it is emptied for the next. Most
 * outcomes are empty (and an empty one holds nothing to free: its more
 * comes only with an event past the inline ones): those are tested
 * here, no call (callgrind --json medium, default threads: the engine's
 * thread less the stage's hand-off of records, -6.0M instructions,
 * -0.33%). */
static inline void
apply_outcome(FsEngine *e, FsTcpOutcome *out)
{
    if (fs_tcp_outcome_len(out) != 0)
        apply_events(e, out);
}

/* The store's: the outcome of a step it ran (expiry, settling). */
static void
on_outcome(FsTcpOutcome *out, gpointer user)
{
    apply_outcome(user, out);
}

/* The detectors' verdict v, in its order: the events noted before the
 * actions, the actions on the previous incarnation (tcpstate steps),
 * the other events. */
static void
apply_verdict(FsEngine *e, FsDetectVerdict *v)
{
    FsTcpOutcome out;
    guint i;

    if (!fs_detect_verdict_acts(v))
        return;
    fs_tcp_outcome_init(&out);
    for (i = 0; i < v->actions_at; i++)
        on_emit(fs_tcp_outcome_at(&v->events, i), e);
    if (v->prev != NULL && v->settle_acks)
        fs_tcpstate_settle_acks(v->prev, v->seg->ts, &out);
    if (v->prev != NULL && v->ack_lost != FS_ROLE_NONE)
        fs_tcpstate_ack_lost(v->prev, v->ack_lost, v->seg->ts, &out);
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        if (v->prev != NULL && ((v->reused | v->gone) & (1u << r)))
            fs_tcpstate_new_syn_ends(v->prev, r, v->seg->ts, &out);
        if (v->prev != NULL && (v->rst_ends & (1u << r)))
            fs_tcpstate_syn_reset_ends(v->prev, r, v->seg, &out);
    }
    if (v->prev != NULL && v->other_host)
        fs_tcpstate_other_host(v->prev);
    apply_outcome(e, &out);
    for (; i < fs_tcp_outcome_len(&v->events); i++)
        on_emit(fs_tcp_outcome_at(&v->events, i), e);
    fs_detect_verdict_clear(v);
}

/* The store's: a record is final. */
static void
on_conn(const FsConn *rec, gpointer user)
{
    FsEngine *e = user;

    if (e->sink.on_conn != NULL) {
        FsOutcome outcome;

        /* a sink that classifies does it itself (the stage: in its
         * worker's thread, not this one) */
        if (e->sink.classifies) {
            e->sink.on_conn(rec, NULL, e->sink.user);
            return;
        }
        /* the record's verdict, worked out once for every view */
        fs_classify_outcome(rec, &outcome);
        e->sink.on_conn(rec, &outcome, e->sink.user);
    }
}

/* The store's, with a sink that offers one: where the next record
 * handed over may be built (the sink's slot, so that it need not copy
 * it). */
static FsConn *
record_slot(gpointer user)
{
    FsEngine *e = user;

    return e->sink.record_slot(e->sink.user);
}

/* The store's, with a sink that takes records frozen: one whose
 * hand-over's settling changes only the record (what it would emit
 * passes nothing on; at the sweep, the store has already passed on its
 * expiry's events) goes to the sink frozen. */
static void
on_frozen_conn(const FsConn *frozen, const FsSettleHow *how, gpointer user)
{
    FsEngine *e = user;

    e->sink.on_frozen_conn(frozen, how, e->sink.user);
}

/* The store's: a connection finished while the capture goes on; its
 * TIME_WAIT no longer counts as held. Not a state event (the socket
 * is still in TIME_WAIT): the sink hears of it apart
 * (on_time_wait_forgotten: a shard writes it for merge). */
static void
on_forget(const FsConn *rec, FsTime now, gpointer user)
{
    FsEngine *e = user;

    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        if (rec->ep[r].state != FS_TCP_TIME_WAIT)
            continue;
        fs_timewait_transition(e->tw, rec, (FsRole)r, FS_TCP_TIME_WAIT,
                               FS_TCP_CLOSED, now,
                               FS_TIME_WAIT_TIMER(&rec->ep[r]));
        if (e->sink.on_time_wait_forgotten != NULL)
            e->sink.on_time_wait_forgotten(rec, (FsRole)r, now,
                                           e->sink.user);
    }
}

FsEngine *
fs_engine_new(const FsEngineConfig *cfg, const FsEngineSink *sink)
{
    FsEngine *e = g_new0(FsEngine, 1);
    FsStoreHooks hooks = { .on_outcome = on_outcome,
                           .on_conn = on_conn,
                           .on_forget = on_forget,
                           .user = e };

    e->cfg = *cfg;
    if (sink != NULL)
        e->sink = *sink;
    if (e->sink.on_conn != NULL && e->sink.record_slot != NULL)
        hooks.record_slot = record_slot;
    /* records settled in the sink's thread (on_emit() passes state
     * events to the sink only with all_events, and every transition to
     * the TIME_WAIT accounting: the store settles quietly only what
     * neither would see) */
    if (hooks.record_slot != NULL && e->sink.classifies &&
        e->sink.on_frozen_conn != NULL &&
        g_getenv("FINSCOPE_THAW_ALL") == NULL)
        hooks.on_frozen_conn = on_frozen_conn;
    e->tcp.rfc1337 = cfg->rfc1337;
    e->tcp.two_msl = 2 * cfg->msl;
    /* on_emit() passes the other transitions on only with all_events */
    e->tcp.time_wait_states_only = !cfg->all_events;
    e->store = fs_store_new(cfg, &e->stats, &hooks);
    e->lean = g_getenv("FINSCOPE_NO_LEAN") == NULL;
    e->tw = fs_timewait_new(&e->stats, 2 * cfg->msl);
    /* the spans kept for exact peaks: a quarter of the memory budget */
    fs_timewait_set_span_budget(e->tw, (cfg->max_memory != 0
                                            ? cfg->max_memory
                                            : FS_ENGINE_MAX_MEMORY) /
                                           4);
    if (cfg->sources > 1) {
        /* a fixed table, as the reader's window and the stage's blocks:
         * not connection state, not charged to stats.memory (a memory
         * budget of --max-memory 256K must still hold connections) */
        e->copies = fs_copies_new(cfg->sources);
    }
    return e;
}

void
fs_engine_free(FsEngine *engine)
{
    if (engine == NULL)
        return;
    fs_store_free(engine->store);
    fs_timewait_free(engine->tw);
    fs_copies_free(engine->copies);
    g_free(engine);
}

/* The longest a connect() goes between two SYNs before it gives up
 * (Linux: 1, 2, 4 ... 32 s, then 64 s more; Windows less). */
#define SYN_RETRY_GAP_MAX (64 * FS_NS_PER_SEC)

/* Whether seg, a bare SYN from the server, comes after nothing of the
 * server's but ACKs of the client's SYN (no data, FIN or RST, its highest
 * ACK the client's ISN + 1) and SYNs of seg's ISN: a split handshake
 * (SYN; ACK; SYN; SYN-ACK; ACK), the server's ACK answering the SYN
 * before its own SYN, as some stacks and middleboxes do (Suricata's
 * tcp-split-handshake tests), its SYN perhaps sent again. */
static gboolean
acked_syn_only(const FsEndpoint *client, const FsEndpoint *server,
               const FsSegment *seg)
{
    return (!server->isn_known || seg->seq == server->isn) &&
           server->bytes == 0 && !server->fin_sent &&
           server->rst_count == 0 && client->isn_known && server->ack_seen &&
           server->max_ack == client->isn + 1;
}

/* A bare SYN from cur's server while its client is in SYN_SENT, nothing
 * but SYNs from that server before (the same ISN) or bare ACKs of the
 * client's SYN (acked_syn_only()), the client still trying: both ends
 * connected to each other at once (RFC 9293 §3.5, figure 8, simultaneous
 * open; TCP hole punching through NATs), or a split handshake. One
 * connection: the first SYN's sender stays the client. */
static gboolean
simultaneous_open(const FsConn *cur, const FsSegment *seg)
{
    const FsEndpoint *client = &cur->ep[FS_ROLE_CLIENT];
    const FsEndpoint *server = &cur->ep[FS_ROLE_SERVER];

    return client->state == FS_TCP_SYN_SENT && cur->syn_seen &&
           cur->rst_from == FS_ROLE_NONE &&
           seg->ts - cur->t_last < SYN_RETRY_GAP_MAX &&
           (!server->seen ||
            (server->state == FS_TCP_SYN_SENT && server->isn_known &&
             seg->seq == server->isn) ||
            acked_syn_only(client, server, seg));
}

/* opens_incarnation() of a bare SYN to cur. */
static G_GNUC_NO_INLINE gboolean
syn_opens_incarnation(const FsConn *cur, const FsSegment *seg)
{
    const FsEndpoint *client;
    const FsEndpoint *server;

    client = &cur->ep[FS_ROLE_CLIENT];
    server = &cur->ep[FS_ROLE_SERVER];
    if (fs_conn_sender_role(cur, seg) != FS_ROLE_CLIENT)
        return !simultaneous_open(cur, seg);
    /* its own SYN again, or the SYN its SYN-ACK (captured first: two
     * capture points, reordering) acknowledged */
    if (client->isn_known && seg->seq == client->isn)
        return FALSE;
    if (fs_tcpstate_old_syn(cur, FS_ROLE_CLIENT, seg))
        return FALSE;
    if (client->isn_known)
        return TRUE;
    return !(server->isn_known && server->ack_seen &&
             server->max_ack == seg->seq + 1);
}

/* A SYN-ACK from cur's server with another ISN, after that server closed
 * (its FIN, or an RST): a new incarnation whose SYN the capture lacks
 * (one direction captured, or the SYN missed). */
static G_GNUC_NO_INLINE gboolean
synack_opens_incarnation(const FsConn *cur, const FsSegment *seg)
{
    const FsEndpoint *server = &cur->ep[FS_ROLE_SERVER];

    return fs_conn_sender_role(cur, seg) == FS_ROLE_SERVER &&
           server->isn_known && seg->seq != server->isn &&
           (server->fin_sent || cur->rst_from != FS_ROLE_NONE);
}

/* A SYN (no ACK) that is not a retransmission of the current client's
 * SYN opens a new incarnation of the 4-tuple (RFC 9293 §3.4); so does a
 * SYN-ACK of a new ISN after the server closed. Inline: every segment
 * of the full path asks, few are SYNs. */
static inline ALWAYS_INLINE gboolean
opens_incarnation(const FsConn *cur, const FsSegment *seg)
{
    guint f = seg->flags & (FS_TH_SYN | FS_TH_ACK | FS_TH_RST | FS_TH_FIN);

    if (cur == NULL)
        return TRUE;
    if (f == FS_TH_SYN)
        return syn_opens_incarnation(cur, seg);
    if (f == (FS_TH_SYN | FS_TH_ACK))
        return synack_opens_incarnation(cur, seg);
    return FALSE;
}

static FsConn *
new_incarnation(FsEngine *e, FsFlow **flow, FsConn *prev,
                const FsSegment *seg)
{
    FsConn *conn = fs_store_new_incarnation(e->store, flow, &prev, seg);
    FsDetectVerdict verdict;
    FsTcpOutcome out;

    if (prev == NULL)
        return conn;
    conn->reuse_of = prev->id;
    fs_tcp_outcome_init(&out);
    apply_outcome(e, fs_tcpstate_expire(prev, seg->ts, 2 * e->cfg.msl, &out));
    apply_verdict(e, fs_detect_reuse(prev, conn, seg, &verdict));
    fs_store_wake_earlier(e->store, prev, seg->ts);
    return conn;
}

FsEvictClass
fs_engine_conn_class(const FsConn *conn)
{
    return fs_store_conn_class(conn);
}

gboolean
fs_engine_half_open_dropped(const FsConn *conn)
{
    return fs_store_half_open_dropped(conn);
}

/* Capture time moved to now: the store's sweep, once a second. Inline
 * in fs_engine_segment() (every packet: a call and its frame cost as
 * much as the two tests that mostly find nothing to do). */
static inline ALWAYS_INLINE void
tick(FsEngine *e, FsTime now)
{
    /* port pressure is reported for the busiest destinations only */
    if (fs_store_tick(e->store, now))
        fs_timewait_prune(e->tw);
    /* TIME_WAITs run out at their end, not at the sweep's; after it:
     * the starts it dates back are in */
    fs_timewait_advance(e->tw, now);
}

void
fs_engine_advance(FsEngine *e, FsTime now)
{
    g_return_if_fail(!e->finished);
    now = CLAMP(now, 0, FS_TIME_MAX);
    /* the end, for records still held then: the engine has seen this
     * time (a sweep may have settled them at it) */
    tick(e, now);
}

/* seg is conn's latest frame (counted by the caller). */
static inline ALWAYS_INLINE void
note_last_frame(FsConn *conn, const FsSegment *seg)
{
    conn->last_frame = seg->frame;
    conn->last_source = (guint16)seg->source;
    conn->t_last = seg->ts;
}

/* The lean path: most segments are data and ACKs in mid-connection,
 * which cannot change a close. Of such a segment (fs_tcpstate_steady())
 * to conn, whole and the only incarnation of its flow, the full path
 * below would do nothing but count it and run fs_tcpstate_steady_step():
 * - nothing opens or thaws an incarnation (no SYN; conn is whole, with
 *   no older one) and the detectors have no older one to look at;
 * - conn stays in the idle class: the store's held_reclass() has
 *   nothing to do (conn_class() reads states, FINs and RSTs, which it
 *   leaves alone);
 * - its deadline stands: the store's next_wake() at seg->ts would come
 *   no sooner than seg->ts + the store's lean_wake (no TIME_WAIT, no
 *   close, t_last is seg->ts), and the deadline is already no later
 *   (fs_store_steady_held());
 * - the store's worth_freezing() is FALSE (t_last is seg->ts, nothing
 *   is closed).
 * TRUE if it took seg. The test and the step are steady.h's, inline
 * here (fs_steady_holds(), fs_steady_step()); tests/test-steady checks
 * the step against fs_tcpstate_segment(); golden outputs, truths and the
 * bench traces stay byte-identical. */
static inline ALWAYS_INLINE gboolean
lean_segment(FsEngine *e, FsConn *conn, const FsSegment *seg)
{
    FsDetectVerdict verdict;
    FsRole sender;

    /* fs_tcpstate_steady()'s first test, before the sender's role is
     * worked out: SYNs, FINs and RSTs (close to half the segments that
     * reach here) go the full path at once */
    if (!fs_segment_ack_alone(seg) || conn == NULL || conn->older != NULL ||
        fs_conn_is_frozen(conn) || conn->packets == 0)
        return FALSE;
    sender = fs_conn_sender_role(conn, seg);
    if (!fs_steady_holds(conn, sender, seg) ||
        !fs_store_steady_held(e->store, conn, seg->ts))
        return FALSE;
    e->stats.tcp_segments++;
    e->stats.lean_segments++;
    conn->packets++;
    note_last_frame(conn, seg);
    /* most: the detectors only note the frame */
    if (fs_detect_steady(conn, sender, seg)) {
        fs_steady_step(conn, sender, seg);
        return TRUE;
    }
    /* with no older incarnation it keeps conn and sender; it skips a
     * frame captured twice (and says so, once) */
    fs_detect_segment(conn, sender, seg, &verdict);
    if (fs_detect_verdict_acts(&verdict))
        apply_verdict(e, &verdict);
    if (!verdict.skip)
        fs_steady_step(verdict.conn, verdict.role, seg);
    return TRUE;
}

/* seg is a copy, from another capture file, of a frame already run
 * (copies.h): counted on its connection as a duplicate frame, and a
 * copy of the pending ACK of a FIN proves that ACK went on. FALSE: no
 * connection holds it (evicted since), seg goes the usual way. Apart
 * from segment_step(): two files or more only. */
static G_GNUC_NO_INLINE gboolean
copy_step(FsEngine *e, FsFlow *flow, FsConn *newest, const FsSegment *seg)
{
    FsDetectVerdict verdict;
    FsTcpOutcome out;

    if (newest == NULL)
        return FALSE;
    newest = fs_store_thawed(e->store, flow, newest, seg->ts);
    e->stats.tcp_segments++;
    newest->packets++;
    note_last_frame(newest, seg);
    fs_detect_copy(newest, fs_conn_sender_role(newest, seg), seg, &verdict);
    if (fs_detect_verdict_acts(&verdict))
        apply_verdict(e, &verdict);
    fs_tcp_outcome_init(&out);
    apply_outcome(e, fs_tcpstate_copy_seen(newest, verdict.role, seg, &out));
    fs_store_segment_done(e->store, flow, newest, newest, seg->ts, TRUE);
    return TRUE;
}

/* fs_engine_segment(), e not finished: inline in fs_engine_decoded_run()
 * (every packet: calls and their frames, three a packet, cost as much as
 * the tests they lead to). */
static inline ALWAYS_INLINE void
segment_step(FsEngine *e, const FsSegment *seg, gboolean copies)
{
    FsFlow *flow;
    FsConn *newest;
    FsConn *conn;
    FsRole sender;
    FsDetectVerdict verdict;
    FsTcpOutcome out;

    e->stats.options_cut += seg->opts_cut;
    tick(e, seg->ts);
    fs_store_evict_to_budget(e->store, seg->ts);
    newest = fs_store_peek(e->store, seg, &flow);
    if (copies && fs_copies_seen(e->copies, seg) &&
        copy_step(e, flow, newest, seg))
        return;
    if (e->lean && lean_segment(e, newest, seg))
        return;
    newest = fs_store_thawed(e->store, flow, newest, seg->ts);
    e->stats.tcp_segments++;
    if (opens_incarnation(newest, seg))
        newest = new_incarnation(e, &flow, newest, seg);
    if ((seg->flags & (FS_TH_SYN | FS_TH_ACK)) == (FS_TH_SYN | FS_TH_ACK))
        fs_store_note_server(e->store, seg);
    if (newest->packets++ == 0) {
        newest->first_frame = seg->frame;
        newest->first_source = (guint16)seg->source;
    }
    note_last_frame(newest, seg);
    sender = fs_conn_sender_role(newest, seg);
    if (G_UNLIKELY(seg->flags & FS_TH_FIN) &&
        fs_fin_copies_seen(&e->fin_copies, newest, sender, seg)) {
        fs_detect_twice(newest, sender, seg, &verdict);
    } else {
        /* (after a FIN every segment of the connection comes here) */
        if (G_UNLIKELY(seg->payload_len != 0) && newest->ep[sender].fin_sent)
            fs_fin_copies_forget(&e->fin_copies, newest, sender, seg);
        fs_detect_segment_usual(newest, sender, seg, &verdict);
    }
    conn = verdict.conn;
    if (fs_detect_verdict_acts(&verdict)) /* most segments: nothing */
        apply_verdict(e, &verdict);
    if (!verdict.skip) {
        fs_tcp_outcome_init(&out);
        apply_outcome(e, fs_tcpstate_segment(conn, verdict.role, seg,
                                             &e->tcp, &out));
        conn->t_last = seg->ts;
        if (G_UNLIKELY(seg->flags & FS_TH_FIN))
            fs_fin_copies_note(&e->fin_copies, newest, sender, seg);
    }
    /* closed now: frozen at once, to its next deadline */
    fs_store_segment_done(e->store, flow, conn, newest, seg->ts,
                          !verdict.skip);
}

void
fs_engine_segment(FsEngine *e, const FsSegment *seg)
{
    g_return_if_fail(!e->finished);
    segment_step(e, seg, e->copies != NULL);
}

/* --shard K/N: fs_shard_of()'s split. */
static gboolean
in_shard(const FsEngine *e, FsDecodeStatus status, const FsSegment *seg)
{
    return fs_shard_of(status, seg, e->cfg.shards) == e->cfg.shard;
}

/* A frame another engine runs (--shard's other shards, --threads'
 * engines), at ts: what one engine reading everything takes from it
 * before its flow. A TCP segment's time runs timers out (tick() in
 * segment_step()); a frame that is none moves no clock, for it is only
 * counted there (decoded()): the traffic beside TCP sweeps nothing, and
 * a 'tcp' filter (a live capture's default) changes no record but
 * through the capture's end, its last frame's time, whatever that frame
 * is. A SYN-ACK names its server, for the roles of connections whose
 * handshake was not seen (roles.c). */
static void
elsewhere(FsEngine *e, FsDecodeStatus status, const FsSegment *seg,
          FsTime ts)
{
    if (status != FS_DECODE_OK)
        return;
    fs_engine_advance(e, ts);
    if ((seg->flags & (FS_TH_SYN | FS_TH_ACK)) == (FS_TH_SYN | FS_TH_ACK))
        fs_store_note_server(e->store, seg);
}

/* seg at ts, its time clamped: apart, so that fs_engine_decoded() keeps
 * no copy of a segment on its stack for the others. */
static G_GNUC_NO_INLINE void
segment_clamped(FsEngine *e, const FsSegment *seg, FsTime ts)
{
    FsSegment clamped = *seg;

    clamped.ts = ts;
    fs_engine_segment(e, &clamped);
}

static G_GNUC_NO_INLINE void
back_in_time(FsEngine *e, FsTime ts)
{
    e->stats.back_in_time++;
    e->stats.back_in_time_most =
        MAX(e->stats.back_in_time_most, e->stats.t_last - ts);
}

/* A frame at ts counted: the latest time seen, and (t_last 0 before the
 * first) whether it came out of time order. */
static inline ALWAYS_INLINE void
time_seen(FsEngine *e, FsTime ts)
{
    if (G_UNLIKELY(e->stats.t_last - ts > FS_ENGINE_BACK_IN_TIME))
        back_in_time(e, ts);
    e->stats.t_last = MAX(e->stats.t_last, ts);
}

/* fs_engine_decoded(), e not finished; copies: e->copies != NULL (a
 * constant where inlined for one file). */
static inline ALWAYS_INLINE void
decoded(FsEngine *e, FsDecodeStatus status, const FsSegment *seg,
        gboolean copies)
{
    /* whatever the source claims: times stay in [0, FS_TIME_MAX], so no
     * sum or difference of two of them overflows */
    FsTime ts = CLAMP(seg->ts, 0, FS_TIME_MAX);

    if (e->stats.packets == 0 && e->stats.shard_skipped == 0)
        e->stats.t_first = ts;
    time_seen(e, ts);
    if (e->cfg.shards > 1 && !in_shard(e, status, seg)) {
        /* another shard's (counted there: shard 0 counts the frames
         * that are no TCP segment) */
        e->stats.shard_skipped++;
        elsewhere(e, status, seg, ts);
        return;
    }
    e->stats.packets++;
    if (status != FS_DECODE_OK) {
        e->stats.skipped[status]++;
        return;
    }
    if (G_LIKELY(ts == seg->ts))
        segment_step(e, seg, copies);
    else
        segment_clamped(e, seg, ts);
}

void
fs_engine_decoded(FsEngine *e, FsDecodeStatus status, const FsSegment *seg)
{
    g_return_if_fail(!e->finished);
    decoded(e, status, seg, e->copies != NULL);
}

/* How far ahead of the packet being processed its flow slot, and then
 * its connection, are asked into the cache: the flow table and the
 * connections are far larger than the cache, and each packet would
 * otherwise wait on memory twice. */
#define SLOT_AHEAD 16
#define CONN_AHEAD 8
/* and then its deadline entry, read from the connection */
#define DEADLINE_AHEAD 4

/* The batch loop's prefetches for seg[i] (status[i] its decoding):
 * seg's flow slot, connection or deadline entry (which), when it
 * decoded. */
#define PREFETCH_SLOT 0
#define PREFETCH_CONN 1
#define PREFETCH_DEADLINE 2

static inline ALWAYS_INLINE void
prefetch_ahead(const FsEngine *e, guint8 status, const FsSegment *seg,
               int which)
{
    if (status != FS_DECODE_OK)
        return;
    if (which == PREFETCH_DEADLINE)
        fs_store_prefetch_deadline(e->store, seg);
    else
        fs_store_prefetch(e->store, seg, which == PREFETCH_CONN);
}

void
fs_engine_decoded_run(FsEngine *e, const guint8 *status,
                      const FsSegment *seg, guint n)
{
    guint i = 0;

    g_return_if_fail(!e->finished);
    if (G_UNLIKELY(e->copies != NULL)) {
        /* two files or more (copies.h): frame by frame */
        for (; i < n; i++)
            fs_engine_decoded(e, (FsDecodeStatus)status[i], &seg[i]);
        return;
    }
    /* the batch but its last SLOT_AHEAD: each prefetch in range */
    for (; i + SLOT_AHEAD < n; i++) {
        prefetch_ahead(e, status[i + SLOT_AHEAD], &seg[i + SLOT_AHEAD],
                       PREFETCH_SLOT);
        prefetch_ahead(e, status[i + CONN_AHEAD], &seg[i + CONN_AHEAD],
                       PREFETCH_CONN);
        prefetch_ahead(e, status[i + DEADLINE_AHEAD],
                       &seg[i + DEADLINE_AHEAD], PREFETCH_DEADLINE);
        decoded(e, (FsDecodeStatus)status[i], &seg[i], FALSE);
    }
    for (; i < n; i++) {
        if (i + CONN_AHEAD < n)
            prefetch_ahead(e, status[i + CONN_AHEAD], &seg[i + CONN_AHEAD],
                           PREFETCH_CONN);
        if (i + DEADLINE_AHEAD < n)
            prefetch_ahead(e, status[i + DEADLINE_AHEAD],
                           &seg[i + DEADLINE_AHEAD], PREFETCH_DEADLINE);
        decoded(e, (FsDecodeStatus)status[i], &seg[i], FALSE);
    }
}

FsDecodeStatus
fs_engine_decode(const FsPacket *pkt, FsSegment *seg)
{
    return fs_engine_decode_frame(pkt->linktype, pkt->data, pkt->caplen,
                                  pkt->wirelen, pkt->ts, pkt->frame,
                                  pkt->source, seg);
}

void
fs_engine_packet(FsEngine *e, const FsPacket *pkt)
{
    FsSegment seg;
    FsDecodeStatus status = fs_engine_decode(pkt, &seg);

    fs_engine_decoded(e, status, &seg);
}

void
fs_engine_finish(FsEngine *e)
{
    g_return_if_fail(!e->finished);
    fs_store_finish(e->store);
    fs_timewait_finish(e->tw);
    e->finished = TRUE;
}

void
fs_engine_foreach_time_wait_host(const FsEngine *engine,
                                 void (*fn)(const FsHostTimeWait *tw,
                                            gpointer user),
                                 gpointer user)
{
    fs_engine_foreach_time_wait_host_top(engine, G_MAXUINT, fn, user);
}

void
fs_engine_foreach_time_wait_host_top(const FsEngine *engine, guint max,
                                     void (*fn)(const FsHostTimeWait *tw,
                                                gpointer user),
                                     gpointer user)
{
    fs_timewait_foreach_host_top(engine->tw, max, fn, user);
}

void
fs_engine_foreach_time_wait_dest(const FsEngine *engine, guint max,
                                 void (*fn)(const FsDestTimeWait *d,
                                            gpointer user),
                                 gpointer user)
{
    fs_timewait_foreach_dest(engine->tw, max, fn, user);
}

const FsEngineStats *
fs_engine_stats(const FsEngine *engine)
{
    FsEngine *e = (FsEngine *)engine; /* a cache of a count, not state */

    e->stats.dests_tracked = fs_timewait_dests(engine->tw);
    return &engine->stats;
}

const FsEngineConfig *
fs_engine_config(const FsEngine *engine)
{
    return &engine->cfg;
}

/* ---- --threads N: hooks for shards.c (engine-ledger.h) ---- */

void
fs_engine_elsewhere(FsEngine *e, FsDecodeStatus status, const FsSegment *seg)
{
    FsTime ts = CLAMP(seg->ts, 0, FS_TIME_MAX);

    /* the end's time (hand_over_at_end) is the last of every packet */
    e->stats.t_last = MAX(e->stats.t_last, ts);
    elsewhere(e, status, seg, ts);
}

void
fs_engine_ledger_packet(FsEngine *e, FsDecodeStatus status,
                        const FsSegment *seg)
{
    FsTime ts = CLAMP(seg->ts, 0, FS_TIME_MAX);

    /* as fs_engine_decoded() and fs_engine_segment() count */
    if (e->stats.packets == 0)
        e->stats.t_first = ts;
    time_seen(e, ts);
    e->stats.packets++;
    if (status != FS_DECODE_OK) {
        e->stats.skipped[status]++;
        return;
    }
    e->stats.tcp_segments++;
    e->stats.options_cut += seg->opts_cut;
    fs_engine_advance(e, ts);
}

guint64
fs_engine_ledger_created(FsEngine *e)
{
    e->stats.live++;
    e->stats.live_peak = MAX(e->stats.live_peak, e->stats.live);
    return ++e->stats.connections;
}

void
fs_engine_ledger_event(FsEngine *e, const FsEvent *ev)
{
    /* on_emit's listener, without passing it on */
    if (ev->kind == FS_EV_STATE)
        fs_timewait_transition(e->tw, ev->conn, ev->role,
                               ev->transition.from, ev->transition.to,
                               ev->ts, ev->value);
}

void
fs_engine_ledger_finished(FsEngine *e, const FsConn *rec, FsTime now)
{
    /* as the store's on_forget */
    on_forget(rec, now, e);
    if (e->stats.live > 0)
        e->stats.live--;
}

void
fs_engine_ledger_sum(FsEngine *e, const FsEngineStats *shards, guint n)
{
    FsEngineStats *st = &e->stats;

    st->frozen = st->freezes = st->finished = st->evicted = 0;
    /* memory (now) stays the ledger's own: its hosts */
    st->handshakes_expired = st->memory_peak = st->lean_segments = 0;
    memset(st->evicted_by_class, 0, sizeof st->evicted_by_class);
    for (guint i = 0; i < n; i++) {
        st->frozen += shards[i].frozen;
        st->freezes += shards[i].freezes;
        st->finished += shards[i].finished;
        st->evicted += shards[i].evicted;
        for (int c = 0; c < FS_EVICT_N_CLASSES; c++)
            st->evicted_by_class[c] += shards[i].evicted_by_class[c];
        st->handshakes_expired += shards[i].handshakes_expired;
        st->lean_segments += shards[i].lean_segments;
        st->memory_peak += shards[i].memory_peak;
    }
}
