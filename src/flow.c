/* finscope: the flow table — canonical 4-tuple + VLAN to incarnations. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/flow.h"

/* Canonical key: the lower (address, port) first, so both directions of a
 * connection find the same entry. Packed, so it hashes and compares as
 * bytes. */
typedef struct {
    guint8 addr_lo[16];
    guint8 addr_hi[16];
    guint16 port_lo;
    guint16 port_hi;
    guint32 vlan;
    guint8 family;
    guint8 pad[3];
} FlowKey;

struct FsFlow {
    FlowKey key;
    GPtrArray *conns; /* FsConn*, oldest first; owned */
};

struct FsFlowTable {
    GHashTable *flows; /* FlowKey* -> FsFlow* (key lives in the flow) */
    guint64 next_id;   /* id of the next incarnation */
};

/* FNV-1a over the whole key, then a final avalanche (murmur3 fmix32):
 * ports alone vary in the low bits, so every byte must reach every bit. */
static guint
key_hash(gconstpointer p)
{
    const guint8 *b = p;
    guint32 h = 2166136261u;

    for (gsize i = 0; i < sizeof(FlowKey); i++) {
        h ^= b[i];
        h *= 16777619u;
    }
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static gboolean
key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(FlowKey)) == 0;
}

static void
flow_free(gpointer p)
{
    FsFlow *flow = p;

    g_ptr_array_unref(flow->conns);
    g_free(flow);
}

FsFlowTable *
fs_flow_table_new(void)
{
    FsFlowTable *t = g_new0(FsFlowTable, 1);

    t->flows = g_hash_table_new_full(key_hash, key_equal, NULL, flow_free);
    t->next_id = 1;
    return t;
}

void
fs_flow_table_free(FsFlowTable *table)
{
    if (table == NULL)
        return;
    g_hash_table_destroy(table->flows);
    g_free(table);
}

static void
key_from_segment(FlowKey *k, const FsSegment *seg)
{
    int c = fs_addr_compare(&seg->src, &seg->dst);
    gboolean src_lo = c < 0 || (c == 0 && seg->sport <= seg->dport);
    const FsAddr *lo = src_lo ? &seg->src : &seg->dst;
    const FsAddr *hi = src_lo ? &seg->dst : &seg->src;

    memset(k, 0, sizeof *k);
    memcpy(k->addr_lo, lo->bytes, 16);
    memcpy(k->addr_hi, hi->bytes, 16);
    k->port_lo = src_lo ? seg->sport : seg->dport;
    k->port_hi = src_lo ? seg->dport : seg->sport;
    k->vlan = seg->vlan;
    k->family = seg->src.family;
}

FsFlow *
fs_flow_lookup(FsFlowTable *table, const FsSegment *seg)
{
    FlowKey key;
    FsFlow *flow;

    key_from_segment(&key, seg);
    flow = g_hash_table_lookup(table->flows, &key);
    if (flow == NULL) {
        flow = g_new0(FsFlow, 1);
        flow->key = key;
        flow->conns = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(table->flows, &flow->key, flow);
    }
    return flow;
}

guint
fs_flow_table_size(const FsFlowTable *table)
{
    return g_hash_table_size(table->flows);
}

FsConn *
fs_flow_current(const FsFlow *flow)
{
    if (flow->conns->len == 0)
        return NULL;
    return g_ptr_array_index(flow->conns, flow->conns->len - 1);
}

FsConn *
fs_flow_new_incarnation(FsFlowTable *table, FsFlow *flow,
                        const FsSegment *seg, gboolean client_is_sender)
{
    FsConn *conn = g_new0(FsConn, 1);
    FsRole sender = client_is_sender ? FS_ROLE_CLIENT : FS_ROLE_SERVER;
    FsRole receiver = fs_role_peer(sender);

    conn->id = table->next_id++;
    conn->addr[sender] = seg->src;
    conn->port[sender] = seg->sport;
    conn->addr[receiver] = seg->dst;
    conn->port[receiver] = seg->dport;
    conn->vlan = seg->vlan;
    conn->rst_from = FS_ROLE_NONE;
    conn->t_first = seg->ts;
    conn->t_last = seg->ts;
    g_ptr_array_add(flow->conns, conn);
    return conn;
}

void
fs_flow_release(FsFlowTable *table, FsConn *conn)
{
    FsSegment probe;
    FlowKey key;
    FsFlow *flow;

    memset(&probe, 0, sizeof probe);
    probe.src = conn->addr[FS_ROLE_CLIENT];
    probe.dst = conn->addr[FS_ROLE_SERVER];
    probe.sport = conn->port[FS_ROLE_CLIENT];
    probe.dport = conn->port[FS_ROLE_SERVER];
    probe.vlan = conn->vlan;
    key_from_segment(&key, &probe);
    flow = g_hash_table_lookup(table->flows, &key);
    g_return_if_fail(flow != NULL);
    g_ptr_array_remove(flow->conns, conn); /* keeps order; frees conn */
    if (flow->conns->len == 0)
        g_hash_table_remove(table->flows, &flow->key);
}

guint
fs_flow_n_incarnations(const FsFlow *flow)
{
    return flow->conns->len;
}

FsConn *
fs_flow_incarnation(const FsFlow *flow, guint i)
{
    g_return_val_if_fail(i < flow->conns->len, NULL);
    return g_ptr_array_index(flow->conns, i);
}

FsRole
fs_conn_sender_role(const FsConn *conn, const FsSegment *seg)
{
    if (seg->sport == conn->port[FS_ROLE_CLIENT] &&
        fs_addr_compare(&seg->src, &conn->addr[FS_ROLE_CLIENT]) == 0)
        return FS_ROLE_CLIENT;
    return FS_ROLE_SERVER;
}
