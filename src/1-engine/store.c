/* finscope: the connection store — what the engine holds between
 * packets: the flow table (with role inference), the held classes that
 * order eviction, the memory accounting, freezing and thawing, the
 * deadlines and the once-a-second sweep. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "store.h"

/* Reset connections stay this long after their last segment, so that
 * segments still in flight meet them rather than a new record. */
#define RESET_LINGER (5 * FS_NS_PER_SEC)

/* look_at() and next_wake() run for every segment that goes through
 * the state machine: inline where they are called (a call and its frame
 * cost a fifth of a look). */
#include "inline.h"

/* What the engine's accounting charges (FsEngineStats.memory), at the
 * worst of its tables' doubling (measured with heaptrack: within 30% of
 * the heap on 1M client hosts each holding TIME_WAIT): a held
 * connection, its size (whole or frozen) and CONN_OVERHEAD for its flow
 * slot (8 bytes, 7/16 to 7/8 full), deadline entry (12, in chunks),
 * held list entry (8, up to half holes, doubling) and malloc's or the
 * pool's header (the charge was set when these took more: kept, so
 * that --max-memory means what it meant); a host holding TIME_WAIT (HOST_COST, timewait.c); a known
 * server (SERVER_COST, roles.c). */
#define CONN_OVERHEAD 96

const char *
fs_evict_class_name(FsEvictClass cls)
{
    switch (cls) {
    case FS_EVICT_HALF_OPEN: return "half_open";
    case FS_EVICT_IDLE:      return "idle";
    case FS_EVICT_WAITING:   return "waiting";
    case FS_EVICT_CLOSING:   return "closing";
    case FS_EVICT_N_CLASSES: break;
    }
    g_return_val_if_reached(NULL);
}

static void
memory_add(FsStore *s, gint64 bytes)
{
    fs_store_charge(s->stats, bytes);
}

static gint64
conn_cost(const FsConn *conn)
{
    return (gint64)(fs_conn_size(conn) + CONN_OVERHEAD);
}

static gboolean is_closed(const FsConn *conn);

/* conn_class() of rec, whose is_closed() is closed. */
static inline FsEvictClass
class_of(const FsConn *rec, gboolean closed)
{
    const FsEndpoint *c = &rec->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &rec->ep[FS_ROLE_SERVER];

    if (c->fin_sent || s->fin_sent || rec->rst_from != FS_ROLE_NONE ||
        c->state >= FS_TCP_FIN_WAIT_1 || s->state >= FS_TCP_FIN_WAIT_1)
        return closed ? FS_EVICT_WAITING : FS_EVICT_CLOSING;
    if (c->state == FS_TCP_SYN_SENT || s->state == FS_TCP_SYN_RECEIVED)
        return FS_EVICT_HALF_OPEN;
    return FS_EVICT_IDLE;
}

/* The class (FsEvictClass) of conn's record rec. */
static FsEvictClass
conn_class(const FsConn *rec)
{
    return class_of(rec, is_closed(rec));
}

/* conn->held_slot: its class (FsEvictClass) in the top bits, its number
 * in that class's list below (store.h). */
static inline FsEvictClass
held_class(const FsConn *conn)
{
    return (FsEvictClass)(conn->held_slot >> FS_HELD_CLASS_SHIFT);
}

/* Where conn is in l, its list: its number less the list's base. */
static inline guint
held_index(const FsHeldList *l, const FsConn *conn)
{
    return (conn->held_slot - l->base) & FS_HELD_INDEX_MASK;
}

/* conn->held_slot of l's conns[index], l of class cls. */
static inline guint32
held_slot_of(const FsHeldList *l, FsEvictClass cls, guint index)
{
    return (guint32)cls << FS_HELD_CLASS_SHIFT |
           ((index + l->base) & FS_HELD_INDEX_MASK);
}

/* l is full: room for twice as many (a GPtrArray's doubling). */
static G_GNUC_NO_INLINE void
held_grow(FsHeldList *l)
{
    if (G_UNLIKELY(l->len > FS_HELD_INDEX_MASK))
        g_error("finscope: more than %u connections held in one class",
                FS_HELD_INDEX_MASK + 1);
    l->cap = MAX(l->cap * 2, 16u);
    l->conns = g_renew(FsConn *, l->conns, l->cap);
}

static inline void
held_add(FsStore *s, FsConn *conn, FsEvictClass cls)
{
    FsHeldList *l = &s->held[cls];

    if (G_UNLIKELY(l->len == l->cap))
        held_grow(l);
    conn->held_slot = held_slot_of(l, cls, l->len);
    l->conns[l->len++] = conn;
}

/* l (of class cls) without its holes: each connection kept is told its
 * new number (a read of each, a cache miss). */
static G_GNUC_NO_INLINE void
held_compact(FsHeldList *l, FsEvictClass cls)
{
    guint keep = 0;

    l->base = 0;
    for (guint i = l->head; i < l->len; i++) {
        FsConn *c = l->conns[i];

        if (c == NULL)
            continue;
        c->held_slot = held_slot_of(l, cls, keep);
        l->conns[keep++] = c;
    }
    l->len = keep;
    l->head = 0;
    l->holes = 0;
}

/* l without conns[0..head), all holes: the rest moves to the front and
 * the base goes up as much, so that no connection's number changes (no
 * connection is read). */
static G_GNUC_NO_INLINE void
held_slide(FsHeldList *l)
{
    memmove(l->conns, l->conns + l->head, (l->len - l->head) * sizeof *l->conns);
    l->base = (l->base + l->head) & FS_HELD_INDEX_MASK;
    l->len -= l->head;
    l->holes -= l->head;
    l->head = 0;
}

/* Takes conn off its held list. Most leave in the order they joined
 * (2*MSL after their close): the holes at the front are slid off once
 * they are an eighth of the list, so that a list is not much longer than
 * the connections in it; the others' list is compacted once half of it
 * is holes. Either costs O(1) per connection amortized. */
static inline void
held_forget(FsStore *s, FsConn *conn)
{
    FsEvictClass cls = held_class(conn);
    FsHeldList *l = &s->held[cls];
    guint i = held_index(l, conn);

    l->conns[i] = NULL;
    l->holes++;
    if (i == l->head) {
        while (l->head < l->len && l->conns[l->head] == NULL)
            l->head++;
        if (G_UNLIKELY(l->head >= 64 && l->head > l->len / 8)) {
            held_slide(l);
            return;
        }
    }
    if (G_UNLIKELY(l->holes > l->len / 2 && l->len >= 64))
        held_compact(l, cls);
}

static void
held_relocate(FsStore *s, const FsConn *old, FsConn *conn)
{
    FsHeldList *l = &s->held[held_class(old)];

    l->conns[held_index(l, old)] = conn;
    conn->held_slot = old->held_slot;
}

/* conn's record may have changed class to cls: conn moves to the end
 * of its new class's list. */
static inline void
held_reclass(FsStore *s, FsConn *conn, FsEvictClass cls)
{
    /* most segments leave it where it is */
    if (held_class(conn) == cls)
        return;
    held_forget(s, conn);
    held_add(s, conn, cls);
}

static void wake_earlier(FsStore *s, FsConn *conn, FsTime now);

/* conn replaces old (same connection, new address) wherever the engine
 * holds it; old is freed. flow is theirs or NULL. */
static void
relocate(FsStore *s, FsFlow *flow, FsConn *old, FsConn *conn)
{
    fs_flow_relocate(s->flows, flow, old, conn);
    held_relocate(s, old, conn);
    memory_add(s, conn_cost(conn) - conn_cost(old));
    fs_deadlines_relocate(s->deadlines, old, conn);
    fs_conn_free(old, fs_flow_table_pool(s->flows));
}

/* conn, whole or frozen, is replaced by rec frozen (rec: conn's record,
 * with conn's head). flow is theirs or NULL. */
static FsConn *
freeze(FsStore *s, FsFlow *flow, FsConn *conn, const FsConn *rec)
{
    FsConn *frozen = fs_conn_freeze(rec, fs_flow_table_pool(s->flows));

    if (!fs_conn_is_frozen(conn))
        s->stats->frozen++;
    relocate(s, flow, conn, frozen);
    s->stats->freezes++;
    return frozen;
}

/* conn's record: conn itself, or decoded into *buf when it is frozen. */
static FsConn *
record_of(FsConn *conn, FsConn *buf)
{
    if (!fs_conn_is_frozen(conn))
        return conn;
    if (!fs_conn_thaw_into(conn, buf))
        g_error("finscope: a frozen connection did not decode (a bug)");
    return buf;
}

/* conn's record, maybe to be handed over: conn itself, or decoded
 * into the sink's slot (hooks.record_slot: handed over, it is not
 * copied again) or else into *buf. */
static FsConn *
record_for_hand_over(FsStore *s, FsConn *conn, FsConn *buf)
{
    FsConn *slot;

    if (!fs_conn_is_frozen(conn))
        return conn;
    slot = s->hooks.record_slot != NULL
               ? s->hooks.record_slot(s->hooks.user)
               : NULL;
    return record_of(conn, slot != NULL ? slot : buf);
}

static FsConn *
thaw(FsStore *s, FsFlow *flow, FsConn *frozen)
{
    /* not zeroed here: the thaw zeroes it */
    FsConn *conn =
        record_of(frozen, fs_conn_alloc_whole(fs_flow_table_pool(s->flows)));

    relocate(s, flow, frozen, conn);
    s->stats->frozen--;
    return conn;
}

/* The detectors look at older incarnations too: all are thawed. */
FsConn *
fs_store_thaw_flow(FsStore *s, FsFlow *flow, FsTime now)
{
    for (FsConn *c = fs_flow_current(flow); c != NULL; c = c->older) {
        if (fs_conn_is_frozen(c)) {
            c = thaw(s, flow, c);
            wake_earlier(s, c, now);
        }
    }
    return fs_flow_current(flow);
}

/* The flow table frees the incarnations on its chains, not detached
 * ones (flow.h). */
static void
free_detached(FsConn *conn, gpointer user)
{
    FsStore *s = user;

    if (!fs_flow_attached(conn))
        fs_flow_release(s->flows, conn);
}

/* conn's record rec (record_of()) is final: settle it at now and hand it
 * over (hooks.on_conn). An evicted one is not settled: its capture goes
 * on, so what only the capture's end decides stays open; only TIME_WAITs
 * that ran out by now end. */
static void
hand_over(FsStore *s, FsConn *conn, FsConn *rec, FsTime now)
{
    FsTcpOutcome out;

    fs_tcp_outcome_init(&out);
    /* evicted: its ACKs of FINs as they most likely went, and expiry */
    fs_tcpstate_settle_handed_over(rec, now, 2 * s->cfg.msl, &out);
    s->hooks.on_outcome(&out, s->hooks.user);
    s->hooks.on_conn(rec, s->hooks.user);
    s->stats->finished++;
    fs_deadlines_remove(s->deadlines, conn);
}

/* conn, handed over, leaves the store while the capture goes on. */
static void
release_finished(FsStore *s, FsConn *conn)
{
    s->stats->live--;
    if (fs_conn_is_frozen(conn))
        s->stats->frozen--;
    held_forget(s, conn);
    memory_add(s, -conn_cost(conn));
    fs_flow_release(s->flows, conn);
}

/* hand_over() of conn, frozen (size bytes), as its bytes: the sink's
 * slot gets them and thaws and settles them as how says. */
static void
hand_over_bytes(FsStore *s, FsConn *conn, gsize size, const FsSettleHow *how)
{
    FsConn *slot = s->hooks.record_slot(s->hooks.user);

    memcpy(slot, conn, size);
    s->hooks.on_frozen_conn(slot, how, s->hooks.user);
    s->stats->finished++;
    fs_deadlines_remove(s->deadlines, conn);
}

/* The size of conn's frozen bytes, with its settle view read into
 * *view, when the sink takes frozen records (hooks.on_frozen_conn) and
 * its slot holds them; 0: it does not. */
static gsize
frozen_for_hand_over(FsStore *s, const FsConn *conn, FsSettleView *view)
{
    gsize size;

    if (s->hooks.on_frozen_conn == NULL)
        return 0;
    size = fs_conn_frozen_size(conn);
    if (size > sizeof(FsConn))
        return 0;
    if (!fs_conn_frozen_settle_view(conn, view))
        g_error("finscope: a frozen connection did not decode (a bug)");
    return size;
}

/* hand_over() of conn, frozen, without thawing it, when settling it at
 * now changes only its record (fs_tcpstate_settles_quietly(), which
 * reads a few of its fields: fs_conn_frozen_settle_view()): its frozen
 * bytes go to the sink's slot, which thaws and settles them in its own
 * thread (hooks.on_frozen_conn). That is most records at the end of a
 * capture: closed, their FINs acked. FALSE: not so (or no such sink),
 * nothing done. */
static gboolean
hand_over_frozen(FsStore *s, FsConn *conn, FsTime now)
{
    FsSettleView view;
    FsSettleHow how = { now, 2 * s->cfg.msl, FALSE,
                        !s->cfg.all_events };
    gsize size;

    if (!fs_conn_is_frozen(conn) ||
        (size = frozen_for_hand_over(s, conn, &view)) == 0)
        return FALSE;
    if (!fs_tcpstate_settles_quietly(&view, now, 2 * s->cfg.msl,
                                     !s->cfg.all_events))
        return FALSE;
    /* as hand_over(): its outcome would be empty (or dropped) */
    hand_over_bytes(s, conn, size, &how);
    return TRUE;
}

/* fs_store_finish's drain: what hand_over_at_end() will read of conn
 * (its head loaded: deadline.c), frozen or whole. */
static void
hand_over_ahead(const FsConn *conn, gpointer user)
{
    (void)user;
    fs_conn_prefetch_range(conn, 64, fs_conn_size(conn));
}

/* fs_store_finish: hands conn over at the end of the capture. */
static void
hand_over_at_end(FsConn *conn, gpointer user)
{
    FsStore *s = user;
    /* the engine has seen this time (a sweep may have settled at it) */
    FsTime now = MAX(s->stats->t_last, s->latest);
    FsConn buf;

    if (!hand_over_frozen(s, conn, now))
        hand_over(s, conn, record_for_hand_over(s, conn, &buf), now);
    free_detached(conn, s);
}

/* Hands conn over and forgets it while the capture goes on (its
 * TIME_WAIT no longer counts as held: hooks.on_forget). */
static void
finish_conn(FsStore *s, FsConn *conn, FsConn *rec, FsTime now)
{
    hand_over(s, conn, rec, now);
    s->hooks.on_forget(rec, now, s->hooks.user);
    release_finished(s, conn);
}

/* Scheduling reads the likely states: an ACK of a FIN that passed the
 * sensor is taken as arrived (the record's settle decides). Without one
 * pending, the state (no call). */
static inline FsTcpState
likely_state(const FsEndpoint *ep)
{
    return ep->ack_pending ? fs_tcpstate_likely(ep) : ep->state;
}

static inline gboolean
likely_over(const FsEndpoint *ep, FsTcpState st)
{
    return st == FS_TCP_CLOSED || (st == FS_TCP_UNKNOWN && !ep->seen);
}

/* Both ends closed or in TIME_WAIT: the connection is waiting out 2*MSL
 * (or a reset's linger). */
static gboolean
is_closed(const FsConn *conn)
{
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        const FsEndpoint *ep = &conn->ep[r];
        FsTcpState st = likely_state(ep);

        if (!likely_over(ep, st) && st != FS_TCP_TIME_WAIT)
            return FALSE;
    }
    return TRUE;
}

/* Quiet a closed connection needs before its record is final: 2*MSL
 * unless a reset came before its close was done (rst_from, whether its
 * close_done_time is set: a frozen record's settle view has both, and
 * sweep_frozen() asks the same). */
static inline FsTime
quiet_needed_of(const FsStore *s, gint8 rst_from, gboolean close_done)
{
    return !close_done && rst_from != FS_ROLE_NONE ? RESET_LINGER
                                                   : 2 * s->cfg.msl;
}

static FsTime
quiet_needed(const FsStore *s, const FsConn *conn)
{
    return quiet_needed_of(s, conn->rst_from,
                           conn->close_done_time != FS_TIME_UNSET);
}

/* When the stacks give up conn's handshake if nothing more arrives (the
 * later of the two ends: FS_ENGINE_SYN_GIVE_UP after a SYN went
 * unanswered, FS_ENGINE_SYNACK_GIVE_UP after a SYN-ACK got no ACK);
 * G_MAXINT64 once it completed or a close began. */
static inline FsTime
gives_up_of(const FsConn *conn, FsEvictClass cls)
{
    FsTime at = G_MAXINT64;

    if (cls != FS_EVICT_HALF_OPEN)
        return G_MAXINT64;
    /* once a SYN-ACK answered, its sender's give-up ends the attempt
     * (the SYN's sender, still in SYN_SENT if the SYN-ACK never reached
     * it, starts over with a SYN the capture would show) */
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        const FsEndpoint *ep = &conn->ep[r];

        if (ep->state == FS_TCP_SYN_RECEIVED)
            return ep->state_since + FS_ENGINE_SYNACK_GIVE_UP;
    }
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        const FsEndpoint *ep = &conn->ep[r];

        if (ep->state == FS_TCP_SYN_SENT)
            at = MIN(at, ep->state_since + FS_ENGINE_SYN_GIVE_UP);
    }
    return at;
}

static FsTime
handshake_gives_up(const FsConn *conn)
{
    return gives_up_of(conn, conn_class(conn));
}

/* What scheduling reads of a record, looked at once: each of these
 * reads both endpoints' likely states. */
typedef struct {
    gboolean closed;        /* is_closed() */
    FsEvictClass cls;       /* conn_class() */
    FsTime finish;          /* when it is finished if nothing more
                               arrives: closed and 2*MSL quiet (late
                               duplicates and reuse checks need it until
                               then), reset and briefly quiet, its
                               handshake given up, or idle too long;
                               G_MAXINT64 for never */
} Look;

/* Fills l, reading each endpoint's likely state once. */
static inline ALWAYS_INLINE void
look_at(const FsStore *s, const FsConn *rec, Look *l)
{
    const FsEndpoint *c = &rec->ep[FS_ROLE_CLIENT];
    const FsEndpoint *sv = &rec->ep[FS_ROLE_SERVER];
    FsTcpState c_st = likely_state(c);
    FsTcpState s_st = likely_state(sv);
    gboolean c_over = likely_over(c, c_st);
    gboolean s_over = likely_over(sv, s_st);

    l->closed = (c_over || c_st == FS_TCP_TIME_WAIT) &&
                (s_over || s_st == FS_TCP_TIME_WAIT);
    l->cls = class_of(rec, l->closed);
    if (c_over && s_over) {
        l->finish = rec->t_last + quiet_needed(s, rec);
        return;
    }
    l->finish = gives_up_of(rec, l->cls);
    if (s->cfg.idle_timeout > 0)
        l->finish = MIN(l->finish, rec->t_last + s->cfg.idle_timeout);
}


/* Is freezing conn (whole) at now worth it: closed (frozen as soon as
 * its close is seen, a reset one too, though its record is final
 * RESET_LINGER after its last segment: its hand-over takes the frozen
 * bytes as a 2*MSL one's does, sweep_frozen(); the bench's medium-b and
 * medium-c held ~4,600 reset records whole at their peaks, 1.6 MiB), or
 * open and quiet for freeze_after, its record not due soon. */
static gboolean
worth_freezing(const FsStore *s, const FsConn *conn, FsTime now,
               const Look *l)
{
    return s->freeze_after > 0 &&
           (l->closed || (now - conn->t_last >= s->freeze_after &&
                          l->finish - now > RESET_LINGER));
}

/* When conn, whole, is frozen if nothing more arrives: the first sweep
 * after now at which worth_freezing(); G_MAXINT64 for never (so that a
 * sweep finding it not worth it does not come back). finish and
 * closed are the caller's Look (every segment asks: each of these costs
 * a look at both endpoints' states). */
static FsTime
freeze_at(const FsStore *s, const FsConn *conn, FsTime now, FsTime finish,
          gboolean closed)
{
    FsTime at = closed ? now + 1
                       : MAX(conn->t_last + s->freeze_after, now + 1);

    /* worth_freezing(s, conn, at), closed and finish known */
    return s->freeze_after > 0 &&
                   (closed || (at - conn->t_last >= s->freeze_after &&
                               finish - at > RESET_LINGER))
               ? at
               : G_MAXINT64;
}

/* When conn (l: its Look) next needs a look if nothing more arrives: a
 * TIME_WAIT running out, its finish, or (unless it is frozen_after this)
 * freeze_at(). At the latest 2*MSL
 * from now: no TIME_WAIT or close that later packets bring can end
 * sooner; what packets change otherwise (a reset, a lost ACK reopening a
 * close) wake_earlier() sees after each segment. But an open one that
 * stays frozen (frozen_after, class idle) waits for its finish alone:
 * no packet reaches it without a thaw, which asks wake_earlier(), and
 * a look at it before changes nothing (it took a thaw each 2*MSL: 8,334
 * of them on the bench's medium-b, ~1,800 instructions each). */
static inline ALWAYS_INLINE FsTime
next_wake(const FsStore *s, const FsConn *conn, FsTime now,
          gboolean frozen_after, const Look *l)
{
    FsTime two_msl = 2 * s->cfg.msl;
    FsTime wake = frozen_after && l->cls == FS_EVICT_IDLE
                      ? l->finish
                      : MIN(now + two_msl, l->finish);

    if (!frozen_after && s->freeze_after > 0)
        wake = MIN(wake, freeze_at(s, conn, now, l->finish, l->closed));

    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        const FsEndpoint *ep = &conn->ep[r];

        if (ep->state == FS_TCP_TIME_WAIT)
            wake = MIN(wake, FS_TIME_WAIT_TIMER(ep) + two_msl);
        else if (ep->ack_pending) /* decided 2*MSL after its FIN */
            wake = MIN(wake, ep->last_fin_time + two_msl);
    }
    return MAX(wake, now + 1);
}

/* A segment may have brought conn's deadline forward. Not when it is
 * due by now + 1 already, the earliest next_wake() gives: a new
 * connection's is its first look's (its record empty, both ends
 * unseen: closed, frozen at once), seg's time + 1, until the next
 * sweep, so that the segments of a handshake, and of a close that
 * soon after, need no next_wake() (on the bench's medium trace,
 * 418,566 of 662,214 calls). */
static inline ALWAYS_INLINE void
wake_earlier_look(FsStore *s, FsConn *conn, FsTime now, const Look *l)
{
    FsTime due = fs_deadlines_wake(s->deadlines, conn);
    FsTime wake;

    if (due <= now + 1)
        return;
    wake = next_wake(s, conn, now, FALSE, l);
    if (wake < due)
        fs_deadlines_set(s->deadlines, conn, wake);
}

static void
wake_earlier(FsStore *s, FsConn *conn, FsTime now)
{
    Look l;

    look_at(s, conn, &l);
    wake_earlier_look(s, conn, now, &l);
}

/* fs_store_sweep() of conn, frozen and due at now, without thawing it,
 * when the sweep finishes it (the usual end of a closed connection: its
 * TIME_WAIT runs out, a LAST_ACK's pending ACK is taken as arrived 2*MSL
 * after its FIN, and its record is final): what expire() does is worked
 * out on the fields it reads (fs_tcpstate_expire_view()) and its events
 * passed on; the sweep's look then reads of the record (look_at()) its
 * likely states, rst_from and t_last: with both ends CLOSED and no ACK
 * pending, it is closed, of class FS_EVICT_WAITING (CLOSED is past
 * FS_TCP_FIN_WAIT_1), and finished once t_last + quiet_needed() (2*MSL,
 * RESET_LINGER after a reset before the close was done) is past; its
 * hand-over settles quietly (fs_tcpstate_expires_quietly()),
 * on_forget has nothing to do (no TIME_WAIT left), and the sink's stage
 * thaws it, expires and settles it (FsSettleHow.expire_first). FALSE:
 * not so, nothing done. */
static gboolean
sweep_frozen(FsStore *s, FsConn *conn, FsTime now)
{
    FsTime two_msl = 2 * s->cfg.msl;
    FsSettleHow how = { now, two_msl, TRUE, !s->cfg.all_events };
    FsSettleView view;
    FsTcpOutcome out;
    FsConn head;
    gsize size = frozen_for_hand_over(s, conn, &view);

    if (size == 0)
        return FALSE;
    /* finished: quiet_needed() past */
    if (now < view.t_last + quiet_needed_of(s, view.rst_from,
                                            view.close_done))
        return FALSE;
    /* the events' connection: the record's head; its TIME_WAITs'
     * time_wait_since and time_wait_restart_us (fs_timewait_leave() reads
     * them), states as
     * expire() leaves them */
    fs_conn_head_of(conn, &head);
    fs_tcp_outcome_init(&out);
    if (!fs_tcpstate_expires_quietly(&view, now, two_msl, &head,
                                     !s->cfg.all_events, &out))
        return FALSE;
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        head.ep[r].state = view.ep[r].state;
        head.ep[r].state_since = view.ep[r].state_since;
        head.ep[r].time_wait_since = view.ep[r].time_wait_since;
        head.ep[r].time_wait_restart_us = view.ep[r].time_wait_restart_us;
    }
    s->hooks.on_outcome(&out, s->hooks.user);
    /* finish_conn(), on_forget having nothing to do (no held_reclass()
     * to FS_EVICT_WAITING: release_finished() forgets it at once) */
    hand_over_bytes(s, conn, size, &how);
    release_finished(s, conn);
    return TRUE;
}

/* The sweep's due connections were last touched up to 2*MSL ago:
 * working on one, it asks for the head of the one 2 * DUE_AHEAD on, and
 * for what it will read of the one DUE_AHEAD on (its head read) — the
 * rest of its bytes, its held list's entry and, when frozen (most are
 * finished then and leave the flow table), its flow's home slot. */
#define DUE_AHEAD 4

static inline void
due_prefetch(const FsStore *s, const FsConn *conn)
{
#if defined(__GNUC__)
    const FsHeldList *l = &s->held[held_class(conn)];

    __builtin_prefetch(&l->conns[held_index(l, conn)], 1);
    if (fs_conn_is_frozen(conn)) {
        fs_conn_prefetch_range(conn, 64, fs_conn_frozen_size(conn));
        fs_flow_prefetch_slot_of(s->flows, conn);
    } else {
        fs_conn_prefetch_range(conn, 64, sizeof *conn);
    }
#else
    (void)s, (void)conn;
#endif
}

/* Once a second of capture time: the connections due run out their
 * TIME_WAIT or are handed over when finished, in id order; the rest are
 * queued again, frozen when quiet. O(due log held), not O(held). */
void
fs_store_sweep(FsStore *s, FsTime now)
{
    FsConn *conn;

    fs_deadlines_pop_due_by_id(s->deadlines, now, s->due);
    for (guint i = 0; i < s->due->len; i++) {
        FsConn buf;
        FsConn *rec;
        gboolean was_frozen;
        gboolean expired;
        FsTime wake;
        FsTcpOutcome out;
        Look l;

        if (i + 2 * DUE_AHEAD < s->due->len)
            fs_conn_prefetch_range(
                g_ptr_array_index(s->due, i + 2 * DUE_AHEAD), 0, 64);
        if (i + DUE_AHEAD < s->due->len)
            due_prefetch(s, g_ptr_array_index(s->due, i + DUE_AHEAD));
        conn = g_ptr_array_index(s->due, i);
        if (fs_conn_is_frozen(conn) && sweep_frozen(s, conn, now))
            continue;
        rec = record_for_hand_over(s, conn, &buf);
        was_frozen = rec != conn;
        fs_tcp_outcome_init(&out);
        fs_tcpstate_expire(rec, now, 2 * s->cfg.msl, &out);
        /* read only of a frozen one (whether to freeze it again): a
         * change of state is kept (an ACK proven by silence moved
         * CLOSING on, say: passed on again at the next sweep it had
         * entered its TIME_WAIT twice) */
        expired = was_frozen && fs_tcp_outcome_len(&out) > 0;
        s->hooks.on_outcome(&out, s->hooks.user);
        /* an ACK proven by silence may complete its close */
        look_at(s, rec, &l);
        held_reclass(s, conn, l.cls);
        if (now >= l.finish) {
            if (now >= gives_up_of(rec, l.cls))
                s->stats->handshakes_expired++;
            finish_conn(s, conn, rec, now);
            continue;
        }
        if (was_frozen ? expired : worth_freezing(s, rec, now, &l)) {
            /* frozen again only when its TIME_WAIT ran out: the settle
             * time expire moved on is settled again at hand-over, at a
             * time no earlier (the sweep's, or the end) */
            wake = next_wake(s, rec, now, TRUE, &l);
            conn = freeze(s, NULL, conn, rec);
        } else {
            wake = next_wake(s, rec, now, was_frozen, &l);
        }
        fs_deadlines_set(s->deadlines, conn, wake);
    }
    g_ptr_array_set_size(s->due, 0);
    s->next_sweep = now + FS_NS_PER_SEC;
}

/* An idle connection this recently active goes to the back of its list
 * once before it is evicted. */
#define IDLE_QUIET FS_ENGINE_FREEZE_AFTER

/* A handshake is "unanswered" once its SYN is this old (Linux's initial
 * RTO: it is being retransmitted); younger ones go last of all, so that
 * a budget full of closing connections still lets new ones in. */
#define HALF_OPEN_GRACE FS_NS_PER_SEC

/* Of idle ones all active in the last IDLE_QUIET, this many are looked
 * at (each sent to the back) before a waiting one goes instead: bounds
 * an eviction's cost, and the turning list brings each in turn. */
#define IDLE_QUIET_LOOK 16

/* The next connection of class cls to evict at now, or NULL: the one
 * that joined it first, but of idle ones one active in the last
 * IDLE_QUIET goes to the back once (a second chance) while quieter ones
 * are there (quiet_only: NULL, after IDLE_QUIET_LOOK such, when none is
 * quiet), and half-open ones younger than HALF_OPEN_GRACE only when
 * young_too. */
static FsConn *
evict_candidate(FsStore *s, FsEvictClass cls, FsTime now,
                gboolean young_too, gboolean quiet_only)
{
    FsHeldList *l = &s->held[cls];
    guint second_chances = l->len - l->holes; /* those held */

    if (quiet_only)
        second_chances = MIN(second_chances, IDLE_QUIET_LOOK);
    while (l->head < l->len) {
        FsConn *conn = l->conns[l->head];
        FsConn buf;

        if (conn == NULL) {
            l->head++;
            continue;
        }
        if (cls == FS_EVICT_HALF_OPEN)
            return young_too ||
                   now - record_of(conn, &buf)->t_first >= HALF_OPEN_GRACE
                       ? conn : NULL;
        if (cls != FS_EVICT_IDLE ||
            now - record_of(conn, &buf)->t_last >= IDLE_QUIET)
            return conn;
        if (second_chances-- == 0)
            return quiet_only ? NULL : conn;
        held_forget(s, conn);
        held_add(s, conn, cls);
    }
    return NULL;
}

/* evict_one()'s order: unanswered handshakes, quiet idle connections,
 * waiting ones (their close complete, only 2*MSL to wait out), idle ones
 * active lately, closing ones, young handshakes. A waiting one goes
 * before an idle one in use, whose next segment would make it again
 * mid-stream (a budget full of TIME_WAIT thrashed so). */
static const struct {
    FsEvictClass cls;
    gboolean young_too;     /* half-open: also those in HALF_OPEN_GRACE */
    gboolean quiet_only;    /* idle: only quiet ones (while some wait) */
} evict_order[] = {
    { FS_EVICT_HALF_OPEN, FALSE, FALSE },
    { FS_EVICT_IDLE, FALSE, TRUE },
    { FS_EVICT_WAITING, FALSE, FALSE },
    { FS_EVICT_IDLE, FALSE, FALSE },
    { FS_EVICT_CLOSING, FALSE, FALSE },
    { FS_EVICT_HALF_OPEN, TRUE, FALSE },
};

/* Makes room (the memory budget, --max-flows): the least useful
 * connection held is finished early, flagged evicted; FALSE if none is
 * held. */
static gboolean
evict_one(FsStore *s, FsTime now)
{
    const FsHeldList *waiting = &s->held[FS_EVICT_WAITING];

    for (guint i = 0; i < G_N_ELEMENTS(evict_order); i++) {
        FsEvictClass cls = evict_order[i].cls;
        FsConn *conn;
        FsConn buf;
        FsConn *rec;

        /* with none waiting, idle ones go as before: quiet ones first */
        if (evict_order[i].quiet_only &&
            waiting->len == waiting->holes)
            continue;
        conn = evict_candidate(s, cls, now, evict_order[i].young_too,
                               evict_order[i].quiet_only);
        if (conn == NULL)
            continue;
        rec = record_for_hand_over(s, conn, &buf);
        rec->evicted = 1;
        s->stats->evicted++;
        s->stats->evicted_by_class[cls]++;
        finish_conn(s, conn, rec, now);
        return TRUE;
    }
    return FALSE;
}

FsStore *
fs_store_new(const FsEngineConfig *cfg, FsEngineStats *stats,
             const FsStoreHooks *hooks)
{
    FsStore *s = g_new0(FsStore, 1);

    s->cfg = *cfg;
    s->hooks = *hooks;
    s->stats = stats;
    /* held connections are mostly closed ones waiting out 2*MSL: frozen,
     * the bench's medium trace peaks at 30 MiB instead of 60 */
    s->freeze_after = cfg->freeze_after == 0 ? FS_ENGINE_FREEZE_AFTER
                      : MAX(cfg->freeze_after, 0);
    /* no sooner than next_wake() puts an idle connection's deadline
     * after a segment at now: 2*MSL, its idle timeout, its freezing */
    s->lean_wake = 2 * cfg->msl;
    if (cfg->idle_timeout > 0)
        s->lean_wake = MIN(s->lean_wake, cfg->idle_timeout);
    if (s->freeze_after > 0)
        s->lean_wake = MIN(s->lean_wake, s->freeze_after);
    s->flows = fs_flow_table_new();
    s->roles = fs_roles_new();
    s->deadlines = fs_deadlines_new();
    s->due = g_ptr_array_new();
    s->max_memory = cfg->max_memory != 0 ? cfg->max_memory
                                         : FS_ENGINE_MAX_MEMORY;
    return s;
}

void
fs_store_free(FsStore *s)
{
    if (s == NULL)
        return;
    fs_deadlines_drain_by_id(s->deadlines, free_detached, NULL, s);
    fs_deadlines_free(s->deadlines);
    g_ptr_array_unref(s->due);
    for (int c = 0; c < FS_EVICT_N_CLASSES; c++)
        g_free(s->held[c].conns);
    fs_flow_table_free(s->flows);
    fs_roles_free(s->roles);
    g_free(s);
}

void
fs_store_evict_over_budget(FsStore *s, FsTime now)
{
    while (s->stats->memory > s->max_memory && evict_one(s, now))
        ;
}


FsConn *
fs_store_new_incarnation(FsStore *s, FsFlow **flow, FsConn **prev,
                         const FsSegment *seg)
{
    gboolean inferred;
    gboolean cis;
    FsConn *conn;

    if (s->cfg.max_flows > 0 && s->stats->live >= s->cfg.max_flows) {
        /* may free the flow's connections and move its slot */
        evict_one(s, seg->ts);
        *flow = fs_flow_find(s->flows, seg);
        *prev = *flow != NULL ? fs_flow_current(*flow) : NULL;
        if (*prev != NULL)
            *prev = fs_store_thaw_flow(s, *flow, seg->ts);
    }
    cis = fs_roles_client_is_sender(s->roles, seg, &inferred);
    conn = fs_flow_new_incarnation(s->flows, flow, seg, cis);
    conn->roles_inferred = inferred ? 1 : 0;
    s->stats->connections++;
    s->stats->live++;
    s->stats->live_peak = MAX(s->stats->live_peak, s->stats->live);
    held_add(s, conn, (seg->flags & FS_TH_SYN) ? FS_EVICT_HALF_OPEN
                                                : FS_EVICT_IDLE);
    memory_add(s, conn_cost(conn));
    /* next_wake() of its look, worked out: its record is empty (both
     * ends unseen, no RST, no FIN), so look_at() finds it closed, its
     * finish 2*MSL after seg, and next_wake() gives seg's time + 1
     * (freeze_at() of a closed one), or with no freezing that finish
     * (at least seg's time + 1). A look and next_wake() took ~90
     * instructions a connection to find it (10.0M on the bench's
     * medium trace); tests/test-flow checks the deadline. */
    fs_deadlines_set(s->deadlines, conn,
                     s->freeze_after > 0
                         ? seg->ts + 1
                         : MAX(seg->ts + 2 * s->cfg.msl, seg->ts + 1));
    return conn;
}

void
fs_store_note_server(FsStore *s, const FsSegment *seg)
{
    /* over the budget (a SYN-ACK flood), no more servers are learnt */
    if (s->stats->memory <= s->max_memory)
        memory_add(s, (gint64)fs_roles_note_server(s->roles, seg));
}

void
fs_store_wake_earlier(FsStore *s, FsConn *conn, FsTime now)
{
    wake_earlier(s, conn, now);
}

void
fs_store_segment_done(FsStore *s, FsFlow *flow, FsConn *conn,
                      const FsConn *newest, FsTime now, gboolean stepped)
{
    Look l;

    look_at(s, conn, &l);
    if (stepped) {
        held_reclass(s, conn, l.cls);
        /* the segment may have brought a deadline forward: of the one
         * before the newest (a reusing SYN's answer settles the old
         * incarnation), here before conn may move (freeze()) */
        if (newest->older != NULL && newest->older != conn)
            wake_earlier(s, newest->older, now);
    }
    if (worth_freezing(s, conn, now, &l)) {
        /* closed now: frozen at once, to its next deadline (which
         * replaces any the step brought forward) */
        FsTime wake = next_wake(s, conn, now, TRUE, &l);

        conn = freeze(s, flow, conn, conn);
        fs_deadlines_set(s->deadlines, conn, wake);
    } else if (stepped) {
        /* or its own deadline came forward */
        wake_earlier_look(s, conn, now, &l);
    }
}

void
fs_store_finish(FsStore *s)
{
    /* every connection held is queued: in id order, like a sweep's.
     * TIME_WAIT still held at the end stays counted as held. */
    fs_deadlines_drain_by_id(s->deadlines, hand_over_at_end, hand_over_ahead,
                             s);
    /* every record is handed over (the sink copied what it keeps): their
     * memory goes back to malloc now, not when the engine is freed after
     * the report's end, whose summary would else add to the peak RSS what
     * it allocates (--threads 1: medium-c 44.2 -> 43.5-43.7 MiB) */
    for (int c = 0; c < FS_EVICT_N_CLASSES; c++) {
        g_clear_pointer(&s->held[c].conns, g_free);
        s->held[c].cap = 0;
        s->held[c].len = 0;
        s->held[c].head = 0;
        s->held[c].holes = 0;
        s->held[c].base = 0;
    }
    fs_flow_table_clear(s->flows);
    s->stats->live = 0;
    s->stats->frozen = 0;
}

FsEvictClass
fs_store_conn_class(const FsConn *conn)
{
    return conn_class(conn);
}

gboolean
fs_store_half_open_dropped(const FsConn *conn)
{
    return conn_class(conn) == FS_EVICT_HALF_OPEN &&
           (conn->evicted || conn->settled_at >= handshake_gives_up(conn));
}
