/* finscope: the flow table — canonical 4-tuple + VLAN to incarnations.
 *
 * Open addressing with linear probing over 8-byte slots: a pointer to the
 * 4-tuple's newest incarnation, whose addresses and ports are the key (no
 * copy of it is kept), with 16 bits of the hash (the tag) and the
 * slot's distance from the flow's home slot in the bits an address
 * leaves free (flow.h; on 32-bit hosts a 3-bit tag and no distance).
 * Older incarnations hang off conn->older. A lookup is one hash and,
 * almost always, one slot and one connection — which the packet is
 * about to update anyway; the tag skips the other flows met in the probe
 * run without reading them (each read is a cache miss). Runs are kept
 * in home-slot order (Robin Hood): a new flow goes before the first flow
 * of its run nearer its own home (those after move one slot on), so a
 * miss stops there, and the newest flows — the busy ones — are not the
 * farthest from home as first-come placement left them (at 3/4 full
 * that cost 2.2 slots a packet on the bench's medium trace; in home
 * order 0.9 at 3/4, 1.3 at 7/8). The table so fills to 7/8 (3/4 on
 * 32-bit hosts) before it doubles: over all sizes, 8 / (7/8 ln 2) =
 * 13.2 bytes a flow on average instead of 8 / (3/4 ln 2) = 15.4. A new
 * flow goes where its missed lookup stopped, if the table is as it left
 * it: an empty slot, or one whose flow (nearer its home) moves one on
 * with the rest of the run; when the lookup passed a slot whose
 * distance it could not tell (past DIST_BITS), insert_position() walks
 * the run again (probe()).
 * Deletion shifts the rest of the run back (no tombstones), so the
 * table never degrades; it and growing need each flow's home slot: the
 * distance gives it (and growing's extra bit of the hash is in the tag
 * once the table has 2^16 slots); past a distance of 6 (or on 32-bit
 * hosts) the hash is read again from the connection's head, a cache
 * miss (a 16-byte slot with the whole hash was half of the table's
 * memory). */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include <glib.h>

#include "finscope/flow.h"
#include "finscope/freeze.h"

/* A detached incarnation's older link points to itself: it is on no
 * chain (links of a chain end in NULL), and no other field is needed. */
static inline gboolean
is_detached(const FsConn *conn)
{
    return conn->older == conn;
}

/* The newest incarnation's address | TAG(hash) | its distance from home
 * (DIST_BITS); 0: the slot is empty. */
#define TAG_BITS FS_FLOW_TAG_BITS
#define TAG(hash) FS_FLOW_TAG(hash)
/* the distance bits; DIST_BITS itself: this far or more, not known
 * (0 on 32-bit hosts: never known) */
#define DIST_BITS FS_FLOW_DIST_BITS
/* what is not the address */
#define META_BITS (TAG_BITS | DIST_BITS)
/* how full the table gets before it doubles, in eighths */
#define FILL_EIGHTHS (DIST_BITS != 0 ? 7u : 6u)

/* the alignment of malloc (max_align_t's) and of the pool's blocks
 * leaves the low 3 bits free; slot_set() checks the top ones */
G_STATIC_ASSERT(G_ALIGNOF(max_align_t) > 7);
G_STATIC_ASSERT(FS_POOL_ALIGN > 7);

struct FsFlowTable {
    FsFlowSlots s;    /* first: fs_flow_prefetch() reads it (flow.h) */
    FsPool *pool;     /* connections' blocks, whole and frozen */
    guint32 n_flows;  /* slots in use */
    /* Where the last probe that missed (for a new flow, fs_flow_find()'s)
     * would put its flow, of hash vacant_hash; NULL once a slot is
     * filled or emptied: a new flow of that hash goes there without
     * probing its run a second time. */
    FsFlow *vacant;
    guint32 vacant_hash;
    guint64 next_id;  /* id of the next incarnation */
};

G_STATIC_ASSERT(offsetof(struct FsFlowTable, s) == 0);

#define INITIAL_CAPACITY 1024u

/* Is conn (frozen or not) an incarnation of seg's 4-tuple, in either
 * direction? */
static inline gboolean
same_tuple(const FsConn *conn, const FsSegment *seg)
{
    FsAddr frozen_addr[2];
    const FsAddr *addr = conn->addr;

    if (conn->vlan != seg->vlan)
        return FALSE;
    if (G_UNLIKELY(fs_conn_is_frozen(conn))) {
        fs_conn_addresses(conn, frozen_addr);
        addr = frozen_addr;
    }
    if (seg->sport == conn->port[FS_ROLE_CLIENT] &&
        seg->dport == conn->port[FS_ROLE_SERVER] &&
        fs_addr_equal(&seg->src, &addr[FS_ROLE_CLIENT]) &&
        fs_addr_equal(&seg->dst, &addr[FS_ROLE_SERVER]))
        return TRUE;
    return seg->sport == conn->port[FS_ROLE_SERVER] &&
           seg->dport == conn->port[FS_ROLE_CLIENT] &&
           fs_addr_equal(&seg->src, &addr[FS_ROLE_SERVER]) &&
           fs_addr_equal(&seg->dst, &addr[FS_ROLE_CLIENT]);
}

/* The flow hash of conn's 4-tuple (its head; it may be frozen). */
static inline guint32
conn_hash(const FsConn *conn)
{
    FsAddr addr[2];

    fs_conn_addresses(conn, addr);
    return fs_flow_hash_tuple(&addr[FS_ROLE_CLIENT],
                              conn->port[FS_ROLE_CLIENT],
                              &addr[FS_ROLE_SERVER],
                              conn->port[FS_ROLE_SERVER], conn->vlan);
}

/* Makes conn (not NULL) the newest incarnation in slot, under meta
 * (the tag and distance bits). */
static inline void
slot_set(FsFlow *slot, FsConn *conn, guintptr meta)
{
    g_assert(((guintptr)conn & META_BITS) == 0);
    slot->v = (guintptr)conn | meta;
}

/* The distance bits for slot i of a flow whose home slot is home. */
static inline guintptr
dist_bits(guint32 i, guint32 home, guint32 mask)
{
    guint32 d = (i - home) & mask;

    return MIN((guintptr)d, DIST_BITS);
}

static inline guint32
segment_hash(const FsSegment *seg)
{
    return seg->flow_hash != 0 ? seg->flow_hash : fs_flow_hash(seg);
}

/* table without flows: its first slots and an empty pool. */
static void
start_flows(FsFlowTable *table)
{
    table->s.slots = g_new0(FsFlow, INITIAL_CAPACITY);
    table->s.mask = INITIAL_CAPACITY - 1;
    table->pool = fs_pool_new();
    table->n_flows = 0;
    table->vacant = NULL;
    table->vacant_hash = 0;
}

FsFlowTable *
fs_flow_table_new(void)
{
    FsFlowTable *t = g_new0(FsFlowTable, 1);

    start_flows(t);
    t->next_id = 1;
    return t;
}

static void
free_incarnations(FsFlowTable *table, FsConn *conn)
{
    while (conn != NULL) {
        FsConn *older = conn->older;

        fs_conn_free(conn, table->pool);
        conn = older;
    }
}

/* Frees every incarnation, the slots and the pool. */
static void
free_flows(FsFlowTable *table)
{
    for (guint32 i = 0; i <= table->s.mask; i++)
        free_incarnations(table, fs_flow_current(&table->s.slots[i]));
    g_free(table->s.slots);
    fs_pool_free(table->pool);
}

void
fs_flow_table_free(FsFlowTable *table)
{
    if (table == NULL)
        return;
    free_flows(table);
    g_free(table);
}

void
fs_flow_table_clear(FsFlowTable *table)
{
    free_flows(table);
    start_flows(table);
}

/* How far slot i (not empty) is from its flow's home slot: its distance
 * bits, or when those only say "DIST_BITS or more", from its
 * connection's hash (a read of its head). */
static inline guint32
distance_at(const FsFlow *slots, guint32 i, guint32 mask)
{
    guintptr d = slots[i].v & DIST_BITS;

    if (d != DIST_BITS)
        return (guint32)d;
    return (i - conn_hash(fs_flow_current(&slots[i]))) & mask;
}

/* The slot of seg's flow, or NULL. Runs are kept in home order (Robin
 * Hood): a flow d slots from its home is absent once a slot holds one
 * nearer its own home than d, or an empty slot is met; that slot is
 * where the flow would go, kept as the table's vacant one (unless a
 * slot's distance passed on the way was not known: then the place is
 * looked for again, exactly, by insert_position()). */
static FsFlow *
probe(FsFlowTable *t, const FsSegment *seg, guint32 hash)
{
    guintptr tag = TAG(hash);
    guint32 mask = t->s.mask;
    guint32 i = hash & mask;
    guintptr d = 0; /* i's distance from hash's home */

    for (;; d++, i = (i + 1) & mask) {
        FsFlow *slot = &t->s.slots[i];
        guintptr v = slot->v;

        if (v == 0)
            break;
        if ((v & TAG_BITS) == tag && same_tuple(fs_flow_current(slot), seg))
            return slot;
        /* nearer its home than d (past DIST_BITS, only a known distance
         * says so) */
        if ((v & DIST_BITS) < d &&
            (d <= DIST_BITS || (v & DIST_BITS) != DIST_BITS))
            break;
    }
    /* past DIST_BITS, a flow nearer its home may have been passed */
    t->vacant = d <= DIST_BITS ? &t->s.slots[i] : NULL;
    t->vacant_hash = hash;
    return NULL;
}

/* Where a new flow of hash goes: the first slot of its run that is empty
 * or holds a flow nearer its home. */
static guint32
insert_position(const FsFlowTable *t, guint32 hash)
{
    guint32 i = hash & t->s.mask;

    for (guint32 d = 0;; d++, i = (i + 1) & t->s.mask) {
        if (t->s.slots[i].v == 0 ||
            distance_at(t->s.slots, i, t->s.mask) < d)
            return i;
    }
}

/* Puts conn under tag at slot i, for a flow of home slot home: the
 * flows from i to the next empty slot move one slot on, one further
 * from their homes each. */
static void
insert_at(FsFlowTable *t, guint32 i, guint32 home, FsConn *conn,
          guintptr tag)
{
    guint32 mask = t->s.mask;
    guint32 end = i;

    while (t->s.slots[end].v != 0)
        end = (end + 1) & mask;
    for (; end != i; end = (end - 1) & mask) {
        guintptr moved = t->s.slots[(end - 1) & mask].v;
        guintptr bits = moved & DIST_BITS;

        t->s.slots[end].v = bits == DIST_BITS ? moved : moved + 1;
    }
    slot_set(&t->s.slots[i], conn, tag | dist_bits(i, home, mask));
}

FsFlow *
fs_flow_find(FsFlowTable *table, const FsSegment *seg)
{
    return probe(table, seg, segment_hash(seg));
}

/* The home slot, under new_mask (twice old_mask + 1), of the flow in
 * slot i of a table under old_mask: the old home gives the hash's low
 * bits and the tag the next one, once that is among the tag's (hash bits
 * 16-31, flow.h); else (or when the distance is not known) the hash is
 * read again from the connection. */
static inline guint32
new_home_of(const FsFlow *old, guint32 i, guint32 old_mask, guint32 new_mask)
{
    guintptr d = old[i].v & DIST_BITS;
    guint32 bit = old_mask + 1; /* the hash bit new_mask adds */

    if (d != DIST_BITS && bit >= 1u << 16) {
        guint32 home = (i - (guint32)d) & old_mask;

        return (old[i].v & TAG(bit)) != 0 ? home | bit : home;
    }
    return conn_hash(fs_flow_current(&old[i])) & new_mask;
}

/* Doubles the table; each flow's home slot is found as new_home_of()
 * says (the heads of the next ones are loaded ahead in case it reads
 * them). Taken from an empty slot on, in home order, each flow goes to
 * the first empty slot from its home, which keeps the runs in home
 * order. */
static void
grow(FsFlowTable *t)
{
    enum { AHEAD = 8 };
    FsFlow *old = t->s.slots;
    guint32 old_mask = t->s.mask;
    guint32 old_cap = old_mask + 1;
    guint32 start = 0;

    t->s.mask = 2 * old_cap - 1;
    t->vacant = NULL;
    t->s.slots = g_new0(FsFlow, (gsize)old_cap * 2);
    while (old[start].v != 0)
        start++;
    for (guint32 k = 1; k <= old_cap; k++) {
        guint32 i = (start + k) & old_mask;
        guint32 home, j;

#if defined(__GNUC__)
        guint32 ahead = (i + AHEAD) & old_mask;

        if (old[ahead].v != 0 &&
            (old_cap < 1u << 16 ||
             (old[ahead].v & DIST_BITS) == DIST_BITS))
            __builtin_prefetch(fs_flow_current(&old[ahead]));
#endif
        if (old[i].v == 0)
            continue;
        home = new_home_of(old, i, old_mask, t->s.mask);
        for (j = home; t->s.slots[j].v != 0; j = (j + 1) & t->s.mask)
            ;
        t->s.slots[j].v = (old[i].v & ~DIST_BITS) |
                          dist_bits(j, home, t->s.mask);
    }
    g_free(old);
}

FsPool *
fs_flow_table_pool(FsFlowTable *table)
{
    return table->pool;
}

guint
fs_flow_table_size(const FsFlowTable *table)
{
    return table->n_flows;
}

gboolean
fs_flow_attached(const FsConn *conn)
{
    return !is_detached(conn);
}

/* Detaches the incarnations beyond the FS_FLOW_OLDER_KEPT older ones
 * behind newest (one at most: each new incarnation calls this). */
static void
trim_chain(FsConn *newest)
{
    FsConn *last = newest;
    FsConn *gone;

    for (guint i = 0; i < FS_FLOW_OLDER_KEPT && last->older != NULL; i++)
        last = last->older;
    gone = last->older;
    last->older = NULL;
    while (gone != NULL) {
        FsConn *next = gone->older;

        gone->older = gone;
        gone = next;
    }
}

FsConn *
fs_flow_new_incarnation(FsFlowTable *table, FsFlow **flow,
                        const FsSegment *seg, gboolean client_is_sender)
{
    FsConn *conn = fs_conn_new_whole(table->pool);
    FsRole sender = client_is_sender ? FS_ROLE_CLIENT : FS_ROLE_SERVER;
    FsRole receiver = fs_role_peer(sender);
    FsFlow *slot = *flow;
    guint32 hash = segment_hash(seg);

    conn->id = table->next_id++;
    conn->addr[sender] = seg->src;
    conn->port[sender] = seg->sport;
    conn->addr[receiver] = seg->dst;
    conn->port[receiver] = seg->dport;
    conn->vlan = seg->vlan;
    fs_conn_init_zeroed(conn);
    conn->t_first = seg->ts;
    conn->t_last = seg->ts;
    if (slot == NULL) {
        guint32 i;

        /* at most 7/8 full: runs in home order stay short (flow.c's
         * head comment); 3/4 where slots have no distance bits (32-bit
         * hosts), whose every insertion reads the heads of the flows it
         * passes (insert_position()) */
        if ((table->n_flows + 1) * 8u > (table->s.mask + 1) * FILL_EIGHTHS)
            grow(table);
        if (table->vacant == NULL || table->vacant_hash != hash) {
            slot = probe(table, seg, hash);
            g_assert(slot == NULL);
        }
        i = table->vacant != NULL
                ? (guint32)(table->vacant - table->s.slots) /* just looked up */
                : insert_position(table, hash);
        table->vacant = NULL;
        table->n_flows++;
        insert_at(table, i, hash & table->s.mask, conn, TAG(hash));
        slot = &table->s.slots[i];
        conn->older = NULL;
    } else {
        guintptr meta = slot->v & META_BITS;

        conn->older = fs_flow_current(slot);
        slot_set(slot, conn, meta);
    }
    trim_chain(conn);
    *flow = slot;
    return conn;
}

void
fs_flow_prefetch_slot_of(const FsFlowTable *table, const FsConn *conn)
{
#if defined(__GNUC__)
    __builtin_prefetch(&table->s.slots[conn_hash(conn) & table->s.mask]);
#else
    (void)table, (void)conn;
#endif
}

/* Empties slot i: the flows after it in its run move one slot back
 * until one at its home slot or an empty slot (runs stay in home order;
 * no tombstones). */
static void
remove_slot(FsFlowTable *t, guint32 i)
{
    guint32 mask = t->s.mask;

    t->vacant = NULL;
    for (;;) {
        guint32 j = (i + 1) & mask;
        guint32 d;

        if (t->s.slots[j].v == 0 ||
            (d = distance_at(t->s.slots, j, mask)) == 0)
            break;
        t->s.slots[i].v = (t->s.slots[j].v & ~DIST_BITS) |
                          MIN((guintptr)(d - 1), DIST_BITS);
        i = j;
    }
    t->s.slots[i].v = 0;
    t->n_flows--;
}

/* The slot of conn's flow, NULL if its flow is not held (a caller's
 * bug). Its tuple is compared only with flows whose newest incarnation
 * is not conn itself (most released or moved connections are their
 * flow's newest). */
static FsFlow *
slot_of(FsFlowTable *table, const FsConn *conn)
{
    guint32 hash = conn_hash(conn);
    guintptr tag = TAG(hash);
    guint32 mask = table->s.mask;
    FsSegment probe_seg;
    FsAddr addr[2];

    for (guint32 i = hash & mask;; i = (i + 1) & mask) {
        FsFlow *slot = &table->s.slots[i];

        if (slot->v == 0)
            return NULL;
        if (fs_flow_current(slot) == conn)
            return slot;
        if ((slot->v & TAG_BITS) == tag)
            break;
    }
    /* an older incarnation, or another flow under the same tag */
    fs_conn_addresses(conn, addr);
    memset(&probe_seg, 0, sizeof probe_seg);
    probe_seg.src = addr[FS_ROLE_CLIENT];
    probe_seg.dst = addr[FS_ROLE_SERVER];
    probe_seg.sport = conn->port[FS_ROLE_CLIENT];
    probe_seg.dport = conn->port[FS_ROLE_SERVER];
    probe_seg.vlan = conn->vlan;
    return probe(table, &probe_seg, hash);
}

/* Puts next where conn was among slot's incarnations (next NULL: takes
 * conn out). FALSE if conn is not there. */
static gboolean
replace_in(FsFlow *slot, const FsConn *conn, FsConn *next)
{
    FsConn *newer = fs_flow_current(slot);

    if (newer == conn) {
        g_assert(((guintptr)next & META_BITS) == 0);
        slot->v = next == NULL ? 0 : ((guintptr)next | (slot->v & META_BITS));
        return TRUE;
    }
    for (; newer != NULL; newer = newer->older) {
        if (newer->older == conn) {
            newer->older = next;
            return TRUE;
        }
    }
    return FALSE;
}

void
fs_flow_relocate(FsFlowTable *table, FsFlow *flow, const FsConn *old,
                 FsConn *conn)
{
    gboolean found;

    if (is_detached(old)) {
        conn->older = conn;
        return;
    }
    if (flow == NULL)
        flow = slot_of(table, old);
    g_return_if_fail(flow != NULL);
    found = replace_in(flow, old, conn);
    g_return_if_fail(found);
}

void
fs_flow_release(FsFlowTable *table, FsConn *conn)
{
    FsFlow *slot;

    if (is_detached(conn)) {
        fs_conn_free(conn, table->pool);
        return;
    }
    slot = slot_of(table, conn);
    g_return_if_fail(slot != NULL && replace_in(slot, conn, conn->older));
    fs_conn_free(conn, table->pool);
    if (slot->v == 0)
        remove_slot(table, (guint32)(slot - table->s.slots));
}
