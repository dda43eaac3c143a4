/* finscope: the connection store — what the engine holds between
 * packets: the flow table (with role inference, roles.h), the held
 * classes that order eviction (FsEvictClass), the memory accounting
 * (FsEngineStats.memory), freezing and thawing (freeze.h), the
 * deadlines (deadline.h) and the once-a-second sweep. The pipeline
 * (engine.c) asks it for a segment's connection and tells it what the
 * segment did; it hands finished records back through its hooks. */
#ifndef FINSCOPE_STORE_H
#define FINSCOPE_STORE_H

#include <glib.h>

#include "finscope/conn.h"
#include "finscope/deadline.h"
#include "finscope/decode.h"
#include "finscope/engine.h"
#include "finscope/flow.h"
#include "finscope/freeze.h"
#include "finscope/tcpoutcome.h"
#include "finscope/tcpstate.h"
#include "inline.h"
#include "roles.h"

/* What the store calls back into the pipeline. */
typedef struct {
    /* What a step it runs (expiry at a deadline, settling at hand-over)
     * returned: handed on and emptied. */
    void (*on_outcome)(FsTcpOutcome *out, gpointer user);
    /* A record is final (it is freed after). */
    void (*on_conn)(const FsConn *rec, gpointer user);
    /* That record's connection is forgotten while the capture goes on
     * (finished early or at a deadline, not at the end): what it held
     * (its TIME_WAIT) is held no more. Nothing to do for a record with
     * no endpoint in TIME_WAIT: then it may not be called. */
    void (*on_forget)(const FsConn *rec, FsTime now, gpointer user);
    /* NULL, or where a record about to be handed over may be decoded
     * (the sink's FsEngineSink.record_slot); else (NULL either way) a
     * buffer of the store's own. */
    FsConn *(*record_slot)(gpointer user);
    gpointer user;
    /* NULL, or (with record_slot) on_conn of a record still frozen, in
     * the slot, that settling as how says changes only the record
     * (FsEngineSink.on_frozen_conn): what the hand-over's settling
     * would emit is nothing, or without cfg.all_events state changes
     * it drops (none into or out of TIME_WAIT); at the sweep, the store
     * passes on the expiry's events itself. */
    void (*on_frozen_conn)(const FsConn *frozen, const FsSettleHow *how,
                           gpointer user);
} FsStoreHooks;

/* The engine's memory accounting: bytes more (or fewer) held now. */
static inline void
fs_store_charge(FsEngineStats *stats, gint64 bytes)
{
    stats->memory += (guint64)bytes;
    stats->memory_peak = MAX(stats->memory_peak, stats->memory);
}

/* The connections held of one FsEvictClass, in the order they joined it
 * (the order they are evicted in); NULL where one left. conn->held_slot
 * holds its class (above FS_HELD_CLASS_SHIFT) and its number in that
 * class's list (FS_HELD_INDEX_MASK; its index there plus the list's
 * base, modulo the mask): no list is searched for it. */
#define FS_HELD_CLASS_SHIFT 30
#define FS_HELD_INDEX_MASK ((1u << FS_HELD_CLASS_SHIFT) - 1)
G_STATIC_ASSERT(FS_EVICT_N_CLASSES <= 1u << (32 - FS_HELD_CLASS_SHIFT));

typedef struct {
    FsConn **conns;         /* conns[0..len): held or NULL; room for cap
                               (an array of its own: added to inline,
                               no call a class change) */
    guint len;
    guint cap;
    guint head;             /* conns[0..head) are NULL */
    guint holes;            /* NULLs in conns */
    guint base;             /* the number of conns[0]: the holes slid off
                               the front (store.c's held_slide()) */
} FsHeldList;

/* Long-lived, but its body is here for the inline fast paths below (a
 * call per packet each costs): only store.c changes it. */
typedef struct FsStore {
    FsEngineConfig cfg;     /* the engine's */
    FsStoreHooks hooks;
    FsEngineStats *stats;   /* the engine's: counts and memory */
    FsFlowTable *flows;
    FsRoles *roles;         /* servers seen, beside the flows */
    FsDeadlines *deadlines; /* every connection held, by when it is due
                               (owned by flows) */
    FsHeldList held[FS_EVICT_N_CLASSES]; /* every connection held, by class */
    guint64 max_memory;     /* budget of stats->memory, bytes */
    GPtrArray *due;         /* scratch: the connections of one sweep */
    FsTime next_sweep;      /* capture time of the next sweep */
    FsTime latest;          /* latest segment time seen */
    FsTime freeze_after;    /* quiet before freezing; 0 = never */
    FsTime lean_wake;       /* next_wake() - now is at least this for a
                               whole idle connection whose t_last is now
                               (fs_store_steady_held()) */
} FsStore;

/* cfg is the engine's (msl, idle_timeout, max_flows, freeze_after,
 * max_memory); stats the engine's, whose connection and memory counts
 * the store keeps. */
FsStore *fs_store_new(const FsEngineConfig *cfg, FsEngineStats *stats,
                      const FsStoreHooks *hooks);
/* Frees what is held without handing it over. */
void fs_store_free(FsStore *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsStore, fs_store_free)

/* Hints the CPU to load seg's flow slot (conn_too FALSE) or, later, its
 * connection (TRUE), a few packets ahead (fs_engine_decoded_run()). */
static inline ALWAYS_INLINE void
fs_store_prefetch(const FsStore *s, const FsSegment *seg, gboolean conn_too)
{
    fs_flow_prefetch(s->flows, seg, conn_too);
}

/* Hints the CPU to load the deadline entry of seg's connection, a few
 * packets ahead, after fs_store_prefetch() of its slot and connection
 * (reading them must not wait on memory): the connection found as
 * fs_flow_prefetch() finds it (the slot under seg's tag, at home or the
 * one after), its deadline_slot read as the table holds it now. The
 * lean path's fs_store_steady_held() and the full path's
 * fs_store_segment_done() read that entry: without this, a quarter of
 * the batch loop's time waited on it (perf, medium-b). Of an ACK
 * alone to a connection not in the idle class (the full path's), the
 * rest of the connection too, beyond the hot parts fs_flow_prefetch()
 * asked for. Changes nothing. */
static inline ALWAYS_INLINE void
fs_store_prefetch_deadline(const FsStore *s, const FsSegment *seg)
{
    const FsConn *conn = fs_flow_peek(s->flows, seg);

    if (conn == NULL)
        return;
    fs_deadlines_prefetch(s->deadlines, conn);
    /* of an ACK's connection, fs_flow_prefetch() asked for the hot
     * parts only: the rest too when it is not in the idle class (the
     * handshake's last ACK, the ACKs of a close): the lean path turns
     * it away and the full path reads all of it. The class is in
     * held_slot, by deadline_slot: no other line waited on */
    if (fs_segment_ack_alone(seg) && !fs_conn_is_frozen(conn) &&
        conn->held_slot >> FS_HELD_CLASS_SHIFT != FS_EVICT_IDLE) {
        fs_conn_prefetch_range(conn, FS_CONN_HOT_SIZE,
                               FS_CONN_HOT_SERVER_AT);
        fs_conn_prefetch_range(conn,
                               FS_CONN_HOT_SERVER_AT + FS_ENDPOINT_HOT_SIZE,
                               sizeof(FsConn));
    }
}

/* fs_store_tick()'s sweep: the connections due run out their TIME_WAIT
 * or are handed over when finished, in id order. */
void fs_store_sweep(FsStore *s, FsTime now);

/* Capture time is now: once a second of it, the sweep. TRUE if it
 * swept. */
static inline gboolean
fs_store_tick(FsStore *s, FsTime now)
{
    s->latest = MAX(s->latest, now);
    if (now < s->next_sweep)
        return FALSE;
    fs_store_sweep(s, now);
    return TRUE;
}

/* fs_store_evict_to_budget()'s evictions. */
void fs_store_evict_over_budget(FsStore *s, FsTime now);

/* Over the memory budget: finishes the least useful connections early
 * (evicted, FsEvictClass order) until under it or none is held. */
static inline void
fs_store_evict_to_budget(FsStore *s, FsTime now)
{
    if (s->stats->memory > s->max_memory)
        fs_store_evict_over_budget(s, now);
}

/* Thaws every frozen incarnation of flow, each to be frozen again once
 * quiet; returns the newest. */
FsConn *fs_store_thaw_flow(FsStore *s, FsFlow *flow, FsTime now);

/* The newest incarnation of seg's 4-tuple as held (maybe frozen), or
 * NULL; *flow is its flow or NULL. */
static inline FsConn *
fs_store_peek(const FsStore *s, const FsSegment *seg, FsFlow **flow)
{
    *flow = fs_flow_find(s->flows, seg);
    return *flow != NULL ? fs_flow_current(*flow) : NULL;
}

/* newest (fs_store_peek()'s, of flow) with every incarnation of flow
 * thawed (the detectors look at older ones). */
static inline FsConn *
fs_store_thawed(FsStore *s, FsFlow *flow, FsConn *newest, FsTime now)
{
    if (newest != NULL && (fs_conn_is_frozen(newest) || newest->older != NULL))
        newest = fs_store_thaw_flow(s, flow, now);
    return newest;
}

/* The engine's lean path (engine.c): conn (whole) is held in the idle
 * class and due no later than now + s->lean_wake, so a segment at now
 * that leaves its class alone (and so would put its deadline at least
 * that far off: next_wake() of an idle connection last seen at now)
 * needs nothing of the store. */
static inline gboolean
fs_store_steady_held(const FsStore *s, const FsConn *conn, FsTime now)
{
    return conn->held_slot >> FS_HELD_CLASS_SHIFT == FS_EVICT_IDLE &&
           fs_deadlines_wake(s->deadlines, conn) - now <= s->lean_wake;
}

/* seg opens a new incarnation of its 4-tuple: returns it, held and
 * scheduled, with its roles (inferred without a handshake). *prev is
 * the newest before it (or NULL); at --max-flows one connection is
 * evicted first, which may free *prev and move *flow: both are looked
 * up again. */
FsConn *fs_store_new_incarnation(FsStore *s, FsFlow **flow, FsConn **prev,
                                 const FsSegment *seg);

/* seg is a SYN-ACK: its sender is a server (role inference), learnt
 * while the memory budget allows. */
void fs_store_note_server(FsStore *s, const FsSegment *seg);

/* Something may have brought conn's deadline forward. */
void fs_store_wake_earlier(FsStore *s, FsConn *conn, FsTime now);

/* A segment at now went to conn (of flow; newest: its flow's newest
 * incarnation), through the state machine when stepped (not a frame
 * skipped as captured twice): then conn may have changed eviction
 * class, and its deadline or that of the incarnation before the newest
 * may come sooner. Then conn is frozen to its next deadline if that is
 * worth it (closed, or quiet long enough). */
void fs_store_segment_done(FsStore *s, FsFlow *flow, FsConn *conn,
                           const FsConn *newest, FsTime now,
                           gboolean stepped);

/* End of input: hands every connection held over, in id order, settled
 * at the latest time seen. */
void fs_store_finish(FsStore *s);

/* fs_engine_conn_class(), fs_engine_half_open_dropped(). */
FsEvictClass fs_store_conn_class(const FsConn *conn);
gboolean fs_store_half_open_dropped(const FsConn *conn);

#endif /* FINSCOPE_STORE_H */
