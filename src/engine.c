/* finscope: the per-packet pipeline — decode, flow, incarnation, state. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/detect.h"
#include "finscope/engine.h"
#include "finscope/flow.h"
#include "finscope/seq.h"
#include "finscope/tcpstate.h"

/* An (address, port) seen answering a SYN: a server, for role inference
 * on connections whose handshake was not captured. */
typedef struct {
    guint8 addr[16];
    guint16 port;
    guint8 family;
    guint8 pad;
} ServerKey;

struct FsEngine {
    FsEngineConfig cfg;
    FsEngineSink sink;
    FsTcpConfig tcp;
    FsDetectContext detect;
    FsFlowTable *flows;
    GPtrArray *conns;       /* FsConn* in id order (owned by the flows) */
    GHashTable *servers;    /* ServerKey* set */
    FsEngineStats stats;
    const FsConn *cur_conn; /* connection of the segment being processed */
};

static guint
server_key_hash(gconstpointer p)
{
    const ServerKey *k = p;
    guint h = k->port * 2654435761u;

    for (gsize i = 0; i < sizeof k->addr; i++)
        h = (h ^ k->addr[i]) * 16777619u;
    return h ^ (h >> 15);
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
    memcpy(k->addr, addr->bytes, sizeof k->addr);
    k->port = port;
    k->family = addr->family;
}

static void
on_emit(const FsEvent *ev, gpointer user)
{
    FsEngine *e = user;

    if (ev->kind == FS_EV_STATE && !e->cfg.all_events)
        return;
    if (e->sink.on_event != NULL)
        e->sink.on_event(ev, e->cur_conn, e->sink.user);
}

FsEngine *
fs_engine_new(const FsEngineConfig *cfg, const FsEngineSink *sink)
{
    FsEngine *e = g_new0(FsEngine, 1);

    e->cfg = *cfg;
    if (sink != NULL)
        e->sink = *sink;
    e->tcp.rfc1337 = cfg->rfc1337;
    e->detect.two_msl = 2 * cfg->msl;
    e->detect.emit = on_emit;
    e->detect.user = e;
    e->flows = fs_flow_table_new();
    e->conns = g_ptr_array_new();
    e->servers = g_hash_table_new_full(server_key_hash, server_key_equal,
                                       g_free, NULL);
    return e;
}

void
fs_engine_free(FsEngine *engine)
{
    if (engine == NULL)
        return;
    g_ptr_array_unref(engine->conns);
    fs_flow_table_free(engine->flows);
    g_hash_table_destroy(engine->servers);
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
    ServerKey *k = g_new(ServerKey, 1);

    server_key_set(k, &seg->src, seg->sport);
    g_hash_table_add(e->servers, k);
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

    if (cur == NULL)
        return TRUE;
    if ((seg->flags & (FS_TH_SYN | FS_TH_ACK | FS_TH_RST | FS_TH_FIN)) !=
        FS_TH_SYN)
        return FALSE;
    client = &cur->ep[FS_ROLE_CLIENT];
    return !(client->isn_known && fs_conn_sender_role(cur, seg) ==
             FS_ROLE_CLIENT && seg->seq == client->isn);
}

static FsConn *
new_incarnation(FsEngine *e, FsFlow *flow, FsConn *prev,
                const FsSegment *seg)
{
    gboolean inferred;
    gboolean cis = client_is_sender(e, seg, &inferred);
    FsConn *conn = fs_flow_new_incarnation(e->flows, flow, seg, cis);

    conn->roles_inferred = inferred ? 1 : 0;
    e->stats.connections++;
    g_ptr_array_add(e->conns, conn);
    if (prev == NULL)
        return conn;
    conn->reuse_of = prev->id;
    e->cur_conn = prev;
    fs_tcpstate_expire(prev, seg->ts, 2 * e->cfg.msl, on_emit, e);
    e->cur_conn = conn;
    fs_detect_reuse(&e->detect, prev, conn, seg);
    return conn;
}

void
fs_engine_segment(FsEngine *e, const FsSegment *seg)
{
    FsFlow *flow = fs_flow_lookup(e->flows, seg);
    FsConn *conn = fs_flow_current(flow);
    FsRole sender;

    e->stats.tcp_segments++;
    if (opens_incarnation(conn, seg))
        conn = new_incarnation(e, flow, conn, seg);
    if ((seg->flags & (FS_TH_SYN | FS_TH_ACK)) == (FS_TH_SYN | FS_TH_ACK))
        note_server(e, seg);
    e->cur_conn = conn;
    conn->packets++;
    conn->t_last = seg->ts;
    if (fs_detect_segment(&e->detect, flow, &conn, seg) == FS_DETECT_SKIP)
        return;
    e->cur_conn = conn;
    sender = fs_conn_sender_role(conn, seg);
    fs_tcpstate_segment(conn, sender, seg, &e->tcp, on_emit, e);
    conn->t_last = seg->ts;
}

void
fs_engine_packet(FsEngine *e, const FsPacket *pkt)
{
    FsSegment seg;
    FsDecodeStatus status;

    if (e->stats.packets == 0)
        e->stats.t_first = pkt->ts;
    e->stats.packets++;
    e->stats.t_last = MAX(e->stats.t_last, pkt->ts);
    status = fs_decode(pkt->linktype, pkt->data, pkt->caplen, pkt->wirelen,
                       &seg);
    if (status != FS_DECODE_OK) {
        e->stats.skipped[status]++;
        return;
    }
    seg.ts = pkt->ts;
    fs_engine_segment(e, &seg);
}

void
fs_engine_finish(FsEngine *e)
{
    FsTime end = e->stats.t_last;

    for (guint i = 0; i < e->conns->len; i++) {
        FsConn *conn = g_ptr_array_index(e->conns, i);

        end = MAX(end, conn->t_last);
    }
    for (guint i = 0; i < e->conns->len; i++) {
        FsConn *conn = g_ptr_array_index(e->conns, i);

        e->cur_conn = conn;
        fs_tcpstate_expire(conn, end, 2 * e->cfg.msl, on_emit, e);
        if (e->sink.on_conn != NULL)
            e->sink.on_conn(conn, e->sink.user);
    }
    g_ptr_array_set_size(e->conns, 0);
}

const FsEngineStats *
fs_engine_stats(const FsEngine *engine)
{
    return &engine->stats;
}

const FsEngineConfig *
fs_engine_config(const FsEngine *engine)
{
    return &engine->cfg;
}
