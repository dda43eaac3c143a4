/* finscope: the per-packet pipeline — decode, flow, incarnation, state. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/deadline.h"
#include "finscope/detect.h"
#include "finscope/engine.h"
#include "finscope/flow.h"
#include "finscope/freeze.h"
#include "finscope/seq.h"
#include "finscope/tcpstate.h"
#include "engine-ledger.h"
#include "pressure.h"

/* An (address, port) seen answering a SYN: a server, for role inference
 * on connections whose handshake was not captured. */
typedef struct {
    FsAddr addr;
    guint16 port;
} ServerKey;                /* zeroed first: compared whole */

/* The connections held of one FsEvictClass, in the order they joined it
 * (the order they are evicted in); NULL where one left. conn->held_slot
 * is its index in its class's list. */
typedef struct {
    GPtrArray *conns;       /* FsConn* */
    guint head;             /* conns[0..head) are NULL */
    guint holes;            /* NULLs in conns */
} HeldList;

struct FsEngine {
    FsEngineConfig cfg;
    FsEngineSink sink;
    FsTcpConfig tcp;
    FsDetectContext detect;
    FsFlowTable *flows;
    FsDeadlines *deadlines; /* every connection held, by when it is due
                               (owned by flows) */
    HeldList held[FS_EVICT_N_CLASSES]; /* every connection held, by class */
    guint64 max_memory;     /* budget of stats.memory, bytes */
    GPtrArray *due;         /* scratch: the connections of one sweep */
    FsTime next_sweep;      /* capture time of the next sweep */
    GHashTable *servers;    /* ServerKey* set */
    GHashTable *tw_hosts;   /* FsAddr* -> FsHostTimeWait* (owned): hosts
                               holding TIME_WAIT now */
    GHashTable *tw_retired; /* the same, of hosts back at zero: the
                               FS_ENGINE_HOST_TOP busiest peaks only */
    guint64 retired_min;    /* lowest peak in tw_retired when full */
    FsPressure *pressure;   /* TIME_WAIT per client -> server ip:port */
    FsEngineStats stats;
    FsTime latest;          /* latest segment time seen */
    FsTime freeze_after;    /* quiet before freezing; 0 = never */
    gboolean finished;      /* fs_engine_finish() was called */
};

/* Reset connections stay this long after their last segment, so that
 * segments still in flight meet them rather than a new record. */
#define RESET_LINGER (5 * FS_NS_PER_SEC)

/* What the engine's accounting charges (FsEngineStats.memory), at the
 * worst of its tables' doubling (measured with heaptrack: within 30% of
 * the heap on 1M client hosts each holding TIME_WAIT): a held
 * connection, its size (whole or frozen) and CONN_OVERHEAD for its flow
 * slot (8 bytes, 3/8 to 3/4 full), deadline (16, doubling), held list
 * entry (8, up to half holes, doubling) and malloc's or the pool's
 * header; a host holding TIME_WAIT, its entry and hash node and, as a
 * client, its port-pressure destination (28 bytes and index) and host
 * entry; a known server, its key and hash node. */
#define CONN_OVERHEAD 96
#define HOST_COST (sizeof(FsHostTimeWait) + 208)
#define SERVER_COST (sizeof(ServerKey) + 48)

const char *
fs_evict_class_name(FsEvictClass cls)
{
    switch (cls) {
    case FS_EVICT_HALF_OPEN: return "half_open";
    case FS_EVICT_IDLE:      return "idle";
    case FS_EVICT_CLOSING:   return "closing";
    case FS_EVICT_N_CLASSES: break;
    }
    g_return_val_if_reached(NULL);
}

static void
memory_add(FsEngine *e, gint64 bytes)
{
    e->stats.memory += (guint64)bytes;
    e->stats.memory_peak = MAX(e->stats.memory_peak, e->stats.memory);
}

static gint64
conn_cost(const FsConn *conn)
{
    return (gint64)((fs_conn_is_frozen(conn) ? fs_conn_frozen_size(conn)
                                             : sizeof(FsConn)) +
                    CONN_OVERHEAD);
}

static guint
server_key_hash(gconstpointer p)
{
    const ServerKey *k = p;

    return (guint)fs_endpoint_hash(&k->addr, k->port);
}

static gboolean
server_key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(ServerKey)) == 0;
}

static void
server_key_set(ServerKey *k, const FsAddr *addr, guint16 port)
{
    memset(k, 0, sizeof *k);
    k->addr = *addr;
    k->port = port;
}

/* An endpoint entered TIME_WAIT: count it for its host (and, for a
 * client, against its destination's port range). */
static void
time_wait_enter(FsEngine *e, const FsConn *conn, int role, FsTime ts)
{
    FsHostTimeWait *h = g_hash_table_lookup(e->tw_hosts, &conn->addr[role]);

    if (h == NULL) {
        /* back from zero: its kept peak, if it was among the busiest */
        if (g_hash_table_steal_extended(e->tw_retired, &conn->addr[role],
                                        NULL, (gpointer *)&h)) {
            e->retired_min = 0;
        } else {
            h = g_new0(FsHostTimeWait, 1);
            h->host = conn->addr[role];
        }
        g_hash_table_insert(e->tw_hosts, &h->host, h);
        memory_add(e, HOST_COST);
    }
    h->entered++;
    if (++h->now > h->peak) {
        h->peak = h->now;
        h->peak_at = ts;
    }
    if (++e->stats.time_wait_now > e->stats.time_wait_peak) {
        e->stats.time_wait_peak = e->stats.time_wait_now;
        e->stats.time_wait_peak_at = ts;
    }
    if (role == FS_ROLE_CLIENT)
        fs_pressure_enter(e->pressure, &conn->addr[FS_ROLE_CLIENT],
                          &conn->addr[FS_ROLE_SERVER],
                          conn->port[FS_ROLE_SERVER], ts);
}

/* The least busy host kept in tw_retired (it is full). */
static FsHostTimeWait *
retired_least(FsEngine *e)
{
    FsHostTimeWait *least = NULL;
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, e->tw_retired);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        FsHostTimeWait *h = v;

        if (least == NULL || h->peak < least->peak ||
            (h->peak == least->peak &&
             fs_addr_compare(&h->host, &least->host) > 0))
            least = h;
    }
    return least;
}

/* h holds no TIME_WAIT any more: it leaves tw_hosts (which stays as
 * large as the TIME_WAIT held, not as the hosts ever seen); its peak is
 * kept while it is among the FS_ENGINE_HOST_TOP busiest retired (ties:
 * the first retired stays). */
static void
time_wait_retire(FsEngine *e, FsHostTimeWait *h)
{
    g_hash_table_steal(e->tw_hosts, &h->host);
    memory_add(e, -(gint64)HOST_COST);
    if (g_hash_table_size(e->tw_retired) >= FS_ENGINE_HOST_TOP) {
        e->stats.hosts_pruned++;
        if (h->peak <= e->retired_min) {
            g_free(h);
            return;
        }
        g_hash_table_remove(e->tw_retired, &retired_least(e)->host);
    }
    g_hash_table_insert(e->tw_retired, &h->host, h);
    if (g_hash_table_size(e->tw_retired) >= FS_ENGINE_HOST_TOP)
        e->retired_min = retired_least(e)->peak;
}

static void
time_wait_leave(FsEngine *e, const FsConn *conn, int role)
{
    FsHostTimeWait *h = g_hash_table_lookup(e->tw_hosts, &conn->addr[role]);

    if (h != NULL && h->now > 0 && --h->now == 0)
        time_wait_retire(e, h);
    if (e->stats.time_wait_now > 0)
        e->stats.time_wait_now--;
    if (role == FS_ROLE_CLIENT)
        fs_pressure_leave(e->pressure, &conn->addr[FS_ROLE_CLIENT],
                          &conn->addr[FS_ROLE_SERVER],
                          conn->port[FS_ROLE_SERVER]);
}

static void
on_emit(const FsEvent *ev, gpointer user)
{
    FsEngine *e = user;

    if (ev->kind == FS_EV_STATE) {
        if (ev->transition.to == FS_TCP_TIME_WAIT)
            time_wait_enter(e, ev->conn, ev->role, ev->ts);
        else if (ev->transition.from == FS_TCP_TIME_WAIT)
            time_wait_leave(e, ev->conn, ev->role);
        if (!e->cfg.all_events)
            return;
    }
    if (e->sink.on_event != NULL)
        e->sink.on_event(ev, ev->conn, e->sink.user);
}

FsEngine *
fs_engine_new(const FsEngineConfig *cfg, const FsEngineSink *sink)
{
    FsEngine *e = g_new0(FsEngine, 1);

    e->cfg = *cfg;
    /* held connections are mostly closed ones waiting out 2*MSL: frozen,
     * the bench's medium trace peaks at 30 MiB instead of 60 */
    e->freeze_after = cfg->freeze_after == 0 ? FS_ENGINE_FREEZE_AFTER
                      : MAX(cfg->freeze_after, 0);
    if (sink != NULL)
        e->sink = *sink;
    e->tcp.rfc1337 = cfg->rfc1337;
    e->detect.emit = on_emit;
    e->detect.user = e;
    e->flows = fs_flow_table_new();
    e->deadlines = fs_deadlines_new();
    e->due = g_ptr_array_new();
    for (int c = 0; c < FS_EVICT_N_CLASSES; c++)
        e->held[c].conns = g_ptr_array_new();
    e->max_memory = cfg->max_memory != 0 ? cfg->max_memory
                                         : FS_ENGINE_MAX_MEMORY;
    e->servers = g_hash_table_new_full(server_key_hash, server_key_equal,
                                       g_free, NULL);
    e->tw_hosts = g_hash_table_new_full(fs_addr_hash, fs_addr_equal_func,
                                        NULL, g_free);
    e->tw_retired = g_hash_table_new_full(fs_addr_hash, fs_addr_equal_func,
                                          NULL, g_free);
    e->pressure = fs_pressure_new();
    return e;
}

/* fs_engine_free: the flow table frees the incarnations on its chains,
 * not detached ones (flow.h). */
static void
free_detached(FsConn *conn, gpointer user)
{
    FsEngine *e = user;

    if (!fs_flow_attached(conn))
        fs_flow_release(e->flows, conn);
}

void
fs_engine_free(FsEngine *engine)
{
    if (engine == NULL)
        return;
    fs_deadlines_drain_by_id(engine->deadlines, free_detached, engine);
    fs_deadlines_free(engine->deadlines);
    g_ptr_array_unref(engine->due);
    for (int c = 0; c < FS_EVICT_N_CLASSES; c++)
        g_ptr_array_unref(engine->held[c].conns);
    fs_flow_table_free(engine->flows);
    g_hash_table_destroy(engine->servers);
    g_hash_table_destroy(engine->tw_hosts);
    g_hash_table_destroy(engine->tw_retired);
    fs_pressure_free(engine->pressure);
    g_free(engine);
}

static gboolean
is_known_server(FsEngine *e, const FsAddr *addr, guint16 port)
{
    ServerKey k;

    server_key_set(&k, addr, port);
    return g_hash_table_contains(e->servers, &k);
}

static void
note_server(FsEngine *e, const FsSegment *seg)
{
    ServerKey probe;

    server_key_set(&probe, &seg->src, seg->sport);
    /* over the budget (a SYN-ACK flood), no more servers are learnt */
    if (e->stats.memory <= e->max_memory &&
        !g_hash_table_contains(e->servers, &probe)) {
        g_hash_table_add(e->servers, g_memdup2(&probe, sizeof probe));
        memory_add(e, SERVER_COST);
    }
}

/* Roles: the SYN's sender is the client; without a handshake, an
 * endpoint already seen accepting connections is the server, else the
 * side using the lower (well-known) port. */
static gboolean
client_is_sender(FsEngine *e, const FsSegment *seg, gboolean *inferred)
{
    *inferred = FALSE;
    if (seg->flags & FS_TH_SYN)
        return !(seg->flags & FS_TH_ACK);
    *inferred = TRUE;
    if (is_known_server(e, &seg->src, seg->sport))
        return FALSE;
    if (is_known_server(e, &seg->dst, seg->dport))
        return TRUE;
    return seg->sport >= seg->dport;
}

/* A SYN (no ACK) that is not a retransmission of the current client's
 * SYN opens a new incarnation of the 4-tuple (RFC 9293 §3.4). */
static gboolean
opens_incarnation(const FsConn *cur, const FsSegment *seg)
{
    const FsEndpoint *client;
    const FsEndpoint *server;

    if (cur == NULL)
        return TRUE;
    if ((seg->flags & (FS_TH_SYN | FS_TH_ACK | FS_TH_RST | FS_TH_FIN)) !=
        FS_TH_SYN)
        return FALSE;
    client = &cur->ep[FS_ROLE_CLIENT];
    server = &cur->ep[FS_ROLE_SERVER];
    if (fs_conn_sender_role(cur, seg) != FS_ROLE_CLIENT)
        return TRUE;
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

/* The class (FsEvictClass) of conn's record rec. */
static FsEvictClass
conn_class(const FsConn *rec)
{
    const FsEndpoint *c = &rec->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &rec->ep[FS_ROLE_SERVER];

    if (c->fin_sent || s->fin_sent || rec->rst_from != FS_ROLE_NONE ||
        c->state >= FS_TCP_FIN_WAIT_1 || s->state >= FS_TCP_FIN_WAIT_1)
        return FS_EVICT_CLOSING;
    if (c->state == FS_TCP_SYN_SENT || s->state == FS_TCP_SYN_RECEIVED)
        return FS_EVICT_HALF_OPEN;
    return FS_EVICT_IDLE;
}

/* The class whose held list holds conn. */
static FsEvictClass
held_class(const FsEngine *e, const FsConn *conn)
{
    for (int c = 0; c < FS_EVICT_N_CLASSES; c++) {
        const GPtrArray *a = e->held[c].conns;

        if (conn->held_slot < a->len &&
            g_ptr_array_index(a, conn->held_slot) == conn)
            return (FsEvictClass)c;
    }
    g_return_val_if_reached(FS_EVICT_IDLE);
}

static void
held_add(FsEngine *e, FsConn *conn, FsEvictClass cls)
{
    conn->held_slot = e->held[cls].conns->len;
    g_ptr_array_add(e->held[cls].conns, conn);
}

/* Takes conn off its held list; a list is compacted once half of it is
 * holes, so that costs O(1) per connection amortized. */
static void
held_forget(FsEngine *e, FsConn *conn)
{
    HeldList *l = &e->held[held_class(e, conn)];
    guint keep = 0;

    g_ptr_array_index(l->conns, conn->held_slot) = NULL;
    if (++l->holes <= l->conns->len / 2 || l->conns->len < 64)
        return;
    for (guint i = l->head; i < l->conns->len; i++) {
        FsConn *c = g_ptr_array_index(l->conns, i);

        if (c == NULL)
            continue;
        c->held_slot = keep;
        g_ptr_array_index(l->conns, keep++) = c;
    }
    g_ptr_array_set_size(l->conns, keep);
    l->head = 0;
    l->holes = 0;
}

static void
held_relocate(FsEngine *e, const FsConn *old, FsConn *conn)
{
    g_ptr_array_index(e->held[held_class(e, old)].conns, old->held_slot) =
        conn;
    conn->held_slot = old->held_slot;
}

/* rec (conn's record) may have changed class: conn moves to the end of
 * its new class's list. */
static void
held_reclass(FsEngine *e, FsConn *conn, const FsConn *rec)
{
    FsEvictClass cls = conn_class(rec);

    if (held_class(e, conn) != cls) {
        held_forget(e, conn);
        held_add(e, conn, cls);
    }
}

static FsTime next_wake(const FsEngine *e, const FsConn *conn, FsTime now,
                        gboolean frozen_after);
static void wake_earlier(FsEngine *e, FsConn *conn, FsTime now);

/* conn replaces old (same connection, new address) wherever the engine
 * holds it; old is freed. flow is theirs or NULL. */
static void
relocate(FsEngine *e, FsFlow *flow, FsConn *old, FsConn *conn)
{
    fs_flow_relocate(e->flows, flow, old, conn);
    held_relocate(e, old, conn);
    memory_add(e, conn_cost(conn) - conn_cost(old));
    fs_deadlines_relocate(e->deadlines, old, conn);
    fs_conn_free(old, fs_flow_table_pool(e->flows));
}

/* conn, whole or frozen, is replaced by rec frozen (rec: conn's record,
 * with conn's head). flow is theirs or NULL. */
static FsConn *
freeze(FsEngine *e, FsFlow *flow, FsConn *conn, const FsConn *rec)
{
    FsConn *frozen = fs_conn_freeze(rec, fs_flow_table_pool(e->flows));

    if (!fs_conn_is_frozen(conn))
        e->stats.frozen++;
    relocate(e, flow, conn, frozen);
    e->stats.freezes++;
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

static FsConn *
thaw(FsEngine *e, FsFlow *flow, FsConn *frozen)
{
    FsConn *conn = record_of(frozen, g_new(FsConn, 1));

    relocate(e, flow, frozen, conn);
    e->stats.frozen--;
    return conn;
}

/* Thaws every frozen incarnation of flow (the detectors look at older
 * ones), each to be frozen again once quiet; returns the newest. */
static FsConn *
thaw_flow(FsEngine *e, FsFlow *flow, FsTime now)
{
    for (FsConn *c = fs_flow_current(flow); c != NULL; c = c->older) {
        if (fs_conn_is_frozen(c)) {
            c = thaw(e, flow, c);
            wake_earlier(e, c, now);
        }
    }
    return fs_flow_current(flow);
}

static FsConn *
new_incarnation(FsEngine *e, FsFlow **flow, FsConn *prev,
                const FsSegment *seg)
{
    gboolean inferred;
    gboolean cis = client_is_sender(e, seg, &inferred);
    FsConn *conn = fs_flow_new_incarnation(e->flows, flow, seg, cis);

    conn->roles_inferred = inferred ? 1 : 0;
    e->stats.connections++;
    e->stats.live++;
    e->stats.live_peak = MAX(e->stats.live_peak, e->stats.live);
    held_add(e, conn, (seg->flags & FS_TH_SYN) ? FS_EVICT_HALF_OPEN
                                                : FS_EVICT_IDLE);
    memory_add(e, conn_cost(conn));
    fs_deadlines_set(e->deadlines, conn, next_wake(e, conn, seg->ts, FALSE));
    if (prev == NULL)
        return conn;
    conn->reuse_of = prev->id;
    fs_tcpstate_expire(prev, seg->ts, 2 * e->cfg.msl, on_emit, e);
    fs_detect_reuse(&e->detect, prev, conn, seg);
    wake_earlier(e, prev, seg->ts);
    return conn;
}

/* conn's record rec (record_of()) is final: settle it at now and hand it
 * to the sink. An evicted one is not settled: its capture goes on, so
 * what only the capture's end decides stays open; only TIME_WAITs that
 * ran out by now end. */
static void
hand_over(FsEngine *e, FsConn *conn, FsConn *rec, FsTime now)
{
    if (rec->evicted) {
        /* its ACKs of FINs as they most likely went */
        fs_tcpstate_settle_acks(rec, now, on_emit, e);
        fs_tcpstate_expire(rec, now, 2 * e->cfg.msl, on_emit, e);
    } else
        fs_tcpstate_settle(rec, now, 2 * e->cfg.msl, on_emit, e);
    if (e->sink.on_conn != NULL)
        e->sink.on_conn(rec, e->sink.user);
    e->stats.finished++;
    fs_deadlines_remove(e->deadlines, conn);
}

/* fs_engine_finish: hands conn over at the end of the capture. */
static void
hand_over_at_end(FsConn *conn, gpointer user)
{
    FsEngine *e = user;
    FsConn buf;

    /* the engine has seen this time (a sweep may have settled at it) */
    hand_over(e, conn, record_of(conn, &buf),
              MAX(e->stats.t_last, e->latest));
    free_detached(conn, e);
}

/* Hands conn over and forgets it while the capture goes on (its
 * TIME_WAIT no longer counts as held). */
static void
finish_conn(FsEngine *e, FsConn *conn, FsConn *rec, FsTime now)
{
    hand_over(e, conn, rec, now);
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        if (rec->ep[r].state == FS_TCP_TIME_WAIT)
            time_wait_leave(e, rec, r);
    }
    e->stats.live--;
    if (rec != conn)
        e->stats.frozen--;
    held_forget(e, conn);
    memory_add(e, -conn_cost(conn));
    fs_flow_release(e->flows, conn);
}

/* Scheduling reads the likely states: an ACK of a FIN that passed the
 * sensor is taken as arrived (the record's settle decides). */
static gboolean
state_over(const FsEndpoint *ep)
{
    FsTcpState st = fs_tcpstate_likely(ep);

    return st == FS_TCP_CLOSED || (st == FS_TCP_UNKNOWN && !ep->seen);
}

/* Both ends closed or in TIME_WAIT: the connection is waiting out 2*MSL
 * (or a reset's linger). */
static gboolean
is_closed(const FsConn *conn)
{
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        if (!state_over(&conn->ep[r]) &&
            fs_tcpstate_likely(&conn->ep[r]) != FS_TCP_TIME_WAIT)
            return FALSE;
    }
    return TRUE;
}

/* Quiet a closed connection needs before its record is final. */
static FsTime
quiet_needed(const FsEngine *e, const FsConn *conn)
{
    return conn->close_done_time == FS_TIME_UNSET && conn->rst_from != FS_ROLE_NONE
               ? RESET_LINGER
               : 2 * e->cfg.msl;
}

/* When the stacks give up conn's handshake if nothing more arrives (the
 * later of the two ends: FS_ENGINE_SYN_GIVE_UP after a SYN went
 * unanswered, FS_ENGINE_SYNACK_GIVE_UP after a SYN-ACK got no ACK);
 * G_MAXINT64 once it completed or a close began. */
static FsTime
handshake_gives_up(const FsConn *conn)
{
    FsTime at = G_MAXINT64;

    if (conn_class(conn) != FS_EVICT_HALF_OPEN)
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

FsEvictClass
fs_engine_conn_class(const FsConn *conn)
{
    return conn_class(conn);
}

gboolean
fs_engine_half_open_dropped(const FsConn *conn)
{
    return conn_class(conn) == FS_EVICT_HALF_OPEN &&
           (conn->evicted || conn->settled_at >= handshake_gives_up(conn));
}

/* When conn is finished if nothing more arrives: closed and 2*MSL quiet
 * (late duplicates and reuse checks need it until then), reset and
 * briefly quiet, its handshake given up, or idle too long; G_MAXINT64
 * for never. */
static FsTime
finish_at(const FsEngine *e, const FsConn *conn)
{
    FsTime at = handshake_gives_up(conn);

    if (state_over(&conn->ep[FS_ROLE_CLIENT]) &&
        state_over(&conn->ep[FS_ROLE_SERVER]))
        return conn->t_last + quiet_needed(e, conn);
    if (e->cfg.idle_timeout > 0)
        return MIN(at, conn->t_last + e->cfg.idle_timeout);
    return at;
}

/* Is freezing conn (whole) at now worth it: closed (frozen as soon as
 * its close is seen), or open and quiet for freeze_after; and its record
 * not due soon (a reset's is). */
static gboolean
worth_freezing(const FsEngine *e, const FsConn *conn, FsTime now)
{
    return e->freeze_after > 0 &&
           (is_closed(conn) || now - conn->t_last >= e->freeze_after) &&
           finish_at(e, conn) - now > RESET_LINGER;
}

/* When conn, whole, is frozen if nothing more arrives: the first sweep
 * after now at which worth_freezing(); G_MAXINT64 for never (so that a
 * sweep finding it not worth it does not come back). finish is
 * finish_at(e, conn), which the caller has (every segment asks: each of
 * these costs a look at both endpoints' states). */
static FsTime
freeze_at(const FsEngine *e, const FsConn *conn, FsTime now, FsTime finish)
{
    gboolean closed = is_closed(conn);
    FsTime at = closed ? now + 1
                       : MAX(conn->t_last + e->freeze_after, now + 1);

    /* worth_freezing(e, conn, at), closed and finish known */
    return e->freeze_after > 0 &&
                   (closed || at - conn->t_last >= e->freeze_after) &&
                   finish - at > RESET_LINGER
               ? at
               : G_MAXINT64;
}

/* When conn next needs a look if nothing more arrives: a TIME_WAIT
 * running out, finish_at(), or (unless it is frozen_after this)
 * freeze_at(). At the latest 2*MSL
 * from now: no TIME_WAIT or close that later packets bring can end
 * sooner; what packets change otherwise (a reset, a lost ACK reopening a
 * close) wake_earlier() sees after each segment. */
static FsTime
next_wake(const FsEngine *e, const FsConn *conn, FsTime now,
          gboolean frozen_after)
{
    FsTime two_msl = 2 * e->cfg.msl;
    FsTime finish = finish_at(e, conn);
    FsTime wake = MIN(now + two_msl, finish);

    if (!frozen_after && e->freeze_after > 0)
        wake = MIN(wake, freeze_at(e, conn, now, finish));

    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        const FsEndpoint *ep = &conn->ep[r];

        if (ep->state == FS_TCP_TIME_WAIT)
            wake = MIN(wake, ep->time_wait_since + two_msl);
        else if (ep->ack_pending) /* decided 2*MSL after its FIN */
            wake = MIN(wake, ep->last_fin_time + two_msl);
    }
    return MAX(wake, now + 1);
}

/* A segment may have brought conn's deadline forward. */
static void
wake_earlier(FsEngine *e, FsConn *conn, FsTime now)
{
    FsTime wake = next_wake(e, conn, now, FALSE);

    if (wake < fs_deadlines_wake(e->deadlines, conn))
        fs_deadlines_set(e->deadlines, conn, wake);
}

static gint
conn_id_cmp(gconstpointer a, gconstpointer b)
{
    const FsConn *x = *(FsConn *const *)a;
    const FsConn *y = *(FsConn *const *)b;

    return x->id < y->id ? -1 : x->id > y->id;
}

/* Once a second of capture time: the connections due run out their
 * TIME_WAIT or go to the sink when finished, in id order; the rest are
 * queued again, frozen when quiet. O(due log held), not O(held). */
static void
sweep(FsEngine *e, FsTime now)
{
    FsConn *conn;

    while ((conn = fs_deadlines_pop_due(e->deadlines, now)) != NULL)
        g_ptr_array_add(e->due, conn);
    g_ptr_array_sort(e->due, conn_id_cmp);
    for (guint i = 0; i < e->due->len; i++) {
        FsConn buf;
        FsConn *rec;
        gboolean was_frozen;
        gboolean expired;
        FsTime wake;

        conn = g_ptr_array_index(e->due, i);
        rec = record_of(conn, &buf);
        was_frozen = rec != conn;
        expired = fs_tcpstate_expire(rec, now, 2 * e->cfg.msl, on_emit, e);
        if (now >= finish_at(e, rec)) {
            if (now >= handshake_gives_up(rec))
                e->stats.handshakes_expired++;
            finish_conn(e, conn, rec, now);
            continue;
        }
        if (was_frozen ? expired : worth_freezing(e, rec, now)) {
            /* frozen again only when its TIME_WAIT ran out: the settle
             * time expire moved on is settled again at hand-over, at a
             * time no earlier (the sweep's, or the end) */
            wake = next_wake(e, rec, now, TRUE);
            conn = freeze(e, NULL, conn, rec);
        } else {
            wake = next_wake(e, rec, now, was_frozen);
        }
        fs_deadlines_set(e->deadlines, conn, wake);
    }
    g_ptr_array_set_size(e->due, 0);
    /* port pressure is reported for the busiest destinations only */
    fs_pressure_prune(e->pressure, FS_ENGINE_DEST_TOP);
    e->next_sweep = now + FS_NS_PER_SEC;
}

/* An idle connection this recently active goes to the back of its list
 * once before it is evicted. */
#define IDLE_QUIET FS_ENGINE_FREEZE_AFTER

/* A handshake is "unanswered" once its SYN is this old (Linux's initial
 * RTO: it is being retransmitted); younger ones go last of all, so that
 * a budget full of closing connections still lets new ones in. */
#define HALF_OPEN_GRACE FS_NS_PER_SEC

/* The next connection of class cls to evict at now, or NULL: the one
 * that joined it first, but of idle ones one active in the last
 * IDLE_QUIET goes to the back once (a second chance) while quieter ones
 * are there, and half-open ones younger than HALF_OPEN_GRACE only when
 * young_too. */
static FsConn *
evict_candidate(FsEngine *e, FsEvictClass cls, FsTime now,
                gboolean young_too)
{
    HeldList *l = &e->held[cls];
    guint second_chances = l->conns->len - l->holes; /* those held */

    while (l->head < l->conns->len) {
        FsConn *conn = g_ptr_array_index(l->conns, l->head);
        FsConn buf;

        if (conn == NULL) {
            l->head++;
            continue;
        }
        if (cls == FS_EVICT_HALF_OPEN)
            return young_too ||
                   now - record_of(conn, &buf)->t_first >= HALF_OPEN_GRACE
                       ? conn : NULL;
        if (cls != FS_EVICT_IDLE || second_chances-- == 0 ||
            now - record_of(conn, &buf)->t_last >= IDLE_QUIET)
            return conn;
        held_forget(e, conn);
        held_add(e, conn, cls);
    }
    return NULL;
}

/* Makes room (the memory budget, --max-flows): the least useful
 * connection held is finished early, flagged evicted; FALSE if none is
 * held. */
static gboolean
evict_one(FsEngine *e, FsTime now)
{
    /* the classes in order, then the young half-open ones */
    for (int i = 0; i <= FS_EVICT_N_CLASSES; i++) {
        int cls = i % FS_EVICT_N_CLASSES;
        FsConn *conn = evict_candidate(e, (FsEvictClass)cls, now,
                                       i == FS_EVICT_N_CLASSES);
        FsConn buf;
        FsConn *rec;

        if (conn == NULL)
            continue;
        rec = record_of(conn, &buf);
        rec->evicted = 1;
        e->stats.evicted++;
        e->stats.evicted_by_class[cls]++;
        finish_conn(e, conn, rec, now);
        return TRUE;
    }
    return FALSE;
}

void
fs_engine_advance(FsEngine *e, FsTime now)
{
    g_return_if_fail(!e->finished);
    now = CLAMP(now, 0, FS_TIME_MAX);
    /* the end, for records still held then: the engine has seen this
     * time (a sweep may have settled them at it) */
    e->latest = MAX(e->latest, now);
    if (now >= e->next_sweep)
        sweep(e, now);
}

void
fs_engine_segment(FsEngine *e, const FsSegment *seg)
{
    FsFlow *flow;
    FsConn *newest;
    FsConn *conn;
    FsRole sender;

    g_return_if_fail(!e->finished);
    e->latest = MAX(e->latest, seg->ts);
    if (seg->ts >= e->next_sweep)
        sweep(e, seg->ts);
    while (e->stats.memory > e->max_memory && evict_one(e, seg->ts))
        ;
    flow = fs_flow_find(e->flows, seg);
    newest = flow != NULL ? fs_flow_current(flow) : NULL;
    if (newest != NULL && (fs_conn_is_frozen(newest) || newest->older != NULL))
        newest = thaw_flow(e, flow, seg->ts);
    e->stats.tcp_segments++;
    if (opens_incarnation(newest, seg)) {
        if (e->cfg.max_flows > 0 && e->stats.live >= e->cfg.max_flows) {
            /* may free the flow's connections and move its slot */
            evict_one(e, seg->ts);
            flow = fs_flow_find(e->flows, seg);
            newest = flow != NULL ? fs_flow_current(flow) : NULL;
            if (newest != NULL)
                newest = thaw_flow(e, flow, seg->ts);
        }
        newest = new_incarnation(e, &flow, newest, seg);
    }
    if ((seg->flags & (FS_TH_SYN | FS_TH_ACK)) == (FS_TH_SYN | FS_TH_ACK))
        note_server(e, seg);
    if (newest->packets++ == 0) {
        newest->first_frame = seg->frame;
        newest->first_source = (guint16)seg->source;
    }
    newest->last_frame = seg->frame;
    newest->last_source = (guint16)seg->source;
    newest->t_last = seg->ts;
    conn = newest;
    sender = fs_conn_sender_role(conn, seg);
    if (fs_detect_segment(&e->detect, &conn, &sender, seg) !=
        FS_DETECT_SKIP) {
        fs_tcpstate_segment(conn, sender, seg, &e->tcp, on_emit, e);
        conn->t_last = seg->ts;
        held_reclass(e, conn, conn);
        /* the segment may have brought a deadline forward: of the
         * connection it went to, or of the one before the newest (a
         * reusing SYN's answer settles the old incarnation) */
        wake_earlier(e, conn, seg->ts);
        if (newest->older != NULL && newest->older != conn)
            wake_earlier(e, newest->older, seg->ts);
    }
    /* closed now: frozen at once, to its next deadline */
    if (worth_freezing(e, conn, seg->ts)) {
        FsTime wake = next_wake(e, conn, seg->ts, TRUE);

        conn = freeze(e, flow, conn, conn);
        fs_deadlines_set(e->deadlines, conn, wake);
    }
}

/* --shard K/N: a TCP segment belongs to the shard of its flow hash (the
 * same both ways, flow.h); anything else is counted by shard 0 only, so
 * the shards' counts add up to one run's. */
static gboolean
in_shard(const FsEngine *e, FsDecodeStatus status, const FsSegment *seg)
{
    guint32 hash;

    if (status != FS_DECODE_OK)
        return e->cfg.shard == 0;
    hash = seg->flow_hash != 0 ? seg->flow_hash : fs_flow_hash(seg);
    /* mixed again: the flow table places flows by the hash's low bits
     * and tags them with its high ones, which a shard must not fix */
    return fs_mix64(hash) % e->cfg.shards == e->cfg.shard;
}

void
fs_engine_decoded(FsEngine *e, FsDecodeStatus status, const FsSegment *seg)
{
    /* whatever the source claims: times stay in [0, FS_TIME_MAX], so no
     * sum or difference of two of them overflows */
    FsTime ts = CLAMP(seg->ts, 0, FS_TIME_MAX);

    if (e->stats.packets == 0 && e->stats.shard_skipped == 0)
        e->stats.t_first = ts;
    e->stats.t_last = MAX(e->stats.t_last, ts);
    if (e->cfg.shards > 1 && !in_shard(e, status, seg)) {
        /* another shard's: its time still runs timers out, as one
         * process reading everything would at this packet */
        e->stats.shard_skipped++;
        fs_engine_advance(e, ts);
        return;
    }
    e->stats.packets++;
    if (status != FS_DECODE_OK) {
        e->stats.skipped[status]++;
        return;
    }
    if (ts == seg->ts) {
        fs_engine_segment(e, seg);
    } else {
        FsSegment clamped = *seg;

        clamped.ts = ts;
        fs_engine_segment(e, &clamped);
    }
}

void
fs_engine_prefetch(const FsEngine *e, const FsSegment *seg,
                   gboolean conn_too)
{
    fs_flow_prefetch(e->flows, seg, conn_too);
}

FsDecodeStatus
fs_engine_decode(const FsPacket *pkt, FsSegment *seg)
{
    FsDecodeStatus status = fs_decode(pkt->linktype, pkt->data, pkt->caplen,
                                      pkt->wirelen, seg);

    seg->ts = pkt->ts;
    seg->frame = pkt->frame;
    seg->source = pkt->source;
    if (status == FS_DECODE_OK)
        seg->flow_hash = fs_flow_hash(seg);
    return status;
}

void
fs_engine_packet(FsEngine *e, const FsPacket *pkt)
{
    FsSegment seg;
    FsDecodeStatus status = fs_engine_decode(pkt, &seg);

    fs_engine_decoded(e, status, &seg);
}

static gint
host_peak_cmp(gconstpointer a, gconstpointer b)
{
    const FsHostTimeWait *x = *(FsHostTimeWait *const *)a;
    const FsHostTimeWait *y = *(FsHostTimeWait *const *)b;

    if (x->peak != y->peak)
        return x->peak > y->peak ? -1 : 1;
    return fs_addr_compare(&x->host, &y->host);
}

void
fs_engine_finish(FsEngine *e)
{
    g_return_if_fail(!e->finished);
    /* every connection held is queued: in id order, like a sweep's.
     * TIME_WAIT still held at the end stays counted as held. */
    fs_deadlines_drain_by_id(e->deadlines, hand_over_at_end, e);
    for (int c = 0; c < FS_EVICT_N_CLASSES; c++) {
        g_ptr_array_set_size(e->held[c].conns, 0);
        e->held[c].head = 0;
        e->held[c].holes = 0;
    }
    e->stats.live = 0;
    e->stats.frozen = 0;
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
    g_autoptr(GPtrArray) hosts = g_ptr_array_new();
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, engine->tw_hosts);
    while (g_hash_table_iter_next(&it, NULL, &v))
        g_ptr_array_add(hosts, v);
    g_hash_table_iter_init(&it, engine->tw_retired);
    while (g_hash_table_iter_next(&it, NULL, &v))
        g_ptr_array_add(hosts, v);
    g_ptr_array_sort(hosts, host_peak_cmp);
    for (guint i = 0; i < MIN(hosts->len, max); i++)
        fn(g_ptr_array_index(hosts, i), user);
}

void
fs_engine_foreach_time_wait_dest(const FsEngine *engine, guint max,
                                 void (*fn)(const FsDestTimeWait *d,
                                            gpointer user),
                                 gpointer user)
{
    fs_pressure_foreach_top(engine->pressure, max, fn, user);
}

const FsEngineStats *
fs_engine_stats(const FsEngine *engine)
{
    FsEngine *e = (FsEngine *)engine; /* a cache of a count, not state */

    e->stats.dests_tracked = fs_pressure_size(engine->pressure);
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
    if (status != FS_DECODE_OK)
        return;
    /* as fs_engine_segment() before it looks at the flow */
    fs_engine_advance(e, ts);
    if ((seg->flags & (FS_TH_SYN | FS_TH_ACK)) == (FS_TH_SYN | FS_TH_ACK))
        note_server(e, seg);
}

void
fs_engine_ledger_packet(FsEngine *e, FsDecodeStatus status,
                        const FsSegment *seg)
{
    FsTime ts = CLAMP(seg->ts, 0, FS_TIME_MAX);

    /* as fs_engine_decoded() and fs_engine_segment() count */
    if (e->stats.packets == 0)
        e->stats.t_first = ts;
    e->stats.t_last = MAX(e->stats.t_last, ts);
    e->stats.packets++;
    if (status != FS_DECODE_OK) {
        e->stats.skipped[status]++;
        return;
    }
    e->stats.tcp_segments++;
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
    FsEngineSink none = e->sink;

    /* on_emit's counting, without passing it on */
    e->sink.on_event = NULL;
    on_emit(ev, e);
    e->sink = none;
}

void
fs_engine_ledger_finished(FsEngine *e, const FsConn *rec)
{
    /* as finish_conn() */
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        if (rec->ep[r].state == FS_TCP_TIME_WAIT)
            time_wait_leave(e, rec, r);
    }
    if (e->stats.live > 0)
        e->stats.live--;
}

void
fs_engine_ledger_sum(FsEngine *e, const FsEngineStats *shards, guint n)
{
    FsEngineStats *st = &e->stats;

    st->frozen = st->freezes = st->finished = st->evicted = 0;
    /* memory (now) stays the ledger's own: its hosts */
    st->handshakes_expired = st->memory_peak = 0;
    memset(st->evicted_by_class, 0, sizeof st->evicted_by_class);
    for (guint i = 0; i < n; i++) {
        st->frozen += shards[i].frozen;
        st->freezes += shards[i].freezes;
        st->finished += shards[i].finished;
        st->evicted += shards[i].evicted;
        for (int c = 0; c < FS_EVICT_N_CLASSES; c++)
            st->evicted_by_class[c] += shards[i].evicted_by_class[c];
        st->handshakes_expired += shards[i].handshakes_expired;
        st->memory_peak += shards[i].memory_peak;
    }
}
