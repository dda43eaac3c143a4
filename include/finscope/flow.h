/* finscope: the flow table — canonical 4-tuple (+VLAN) to incarnations. */
#ifndef FINSCOPE_FLOW_H
#define FINSCOPE_FLOW_H

#include <string.h>

#include <glib.h>
#include "finscope/conn.h"
#include "finscope/decode.h"
#include "finscope/pool.h"

typedef struct FsFlowTable FsFlowTable;
/* One 4-tuple and its incarnations. A FsFlow pointer stays valid only
 * until the table next changes (a new flow, a flow released). */
typedef struct FsFlow FsFlow;

/* A slot of the table: the newest incarnation's address, with in the
 * bits an address leaves free, on 64-bit hosts (user addresses fit in
 * 48 bits on x86-64 and AArch64; allocations are 8-byte aligned):
 * - the flow hash's top 16 bits (the tag): a probe reads another flow's
 *   connection (a cache miss) once in 65536 slots passed;
 * - in the low 3, how far the slot is from the flow's home slot (7: 7 or
 *   more): removing and growing find where a flow belongs without
 *   reading its connection (flow.c).
 * On 32-bit hosts the low 3 bits are the tag (the hash's top 3). Open
 * here only for fs_flow_current() and fs_flow_prefetch(), inline: every
 * packet asks. */
struct FsFlow {
    guintptr v;
};

#if GLIB_SIZEOF_VOID_P == 8
#define FS_FLOW_TAG_BITS ((guintptr)G_GUINT64_CONSTANT(0xffff000000000000))
#define FS_FLOW_TAG(hash) ((guintptr)(hash) >> 16 << 48)
#define FS_FLOW_DIST_BITS ((guintptr)7)
#else
#define FS_FLOW_TAG_BITS ((guintptr)7)
#define FS_FLOW_TAG(hash) ((guintptr)(hash) >> 29)
#define FS_FLOW_DIST_BITS ((guintptr)0)
#endif

FsFlowTable *fs_flow_table_new(void);
void fs_flow_table_free(FsFlowTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsFlowTable, fs_flow_table_free)
/* Frees every flow and incarnation (the pool's memory back to malloc)
 * and leaves table empty, as new but for the ids it gives next. */
void fs_flow_table_clear(FsFlowTable *table);

/* The flow of seg's 4-tuple in either direction, or NULL. One hash of
 * the whole key, no allocation. */
FsFlow *fs_flow_find(FsFlowTable *table, const FsSegment *seg);

#if defined(__SIZEOF_INT128__)
/* The 128-bit product of a and b, its halves xored (wyhash's "mum"): one
 * multiplication that mixes every bit of both into the middle bits. */
static inline guint64
fs_flow_mum(guint64 a, guint64 b)
{
    unsigned __int128 p = (unsigned __int128)a * b;

    return (guint64)p ^ (guint64)(p >> 64);
}

/* One endpoint for the flow hash from its address's two words (w0, w1:
 * its bytes as memcpy() reads them), family and port: the words
 * multiplied into each other, the second with the port and family in
 * it. Apart, for decode.c's fast path, which has the words in
 * registers (fs_decode_frame()). */
static inline guint64
fs_flow_endpoint_words(guint64 w0, guint64 w1, guint8 family, guint16 port)
{
    return fs_flow_mum(w0 ^ G_GUINT64_CONSTANT(0xa0761d6478bd642f),
                       w1 ^ ((guint64)port << 8 | family) ^
                           G_GUINT64_CONSTANT(0xe7037ed1a0b428db));
}

/* One endpoint for the flow hash. */
static inline guint64
fs_flow_endpoint(const FsAddr *addr, guint16 port)
{
    guint64 w0;
    guint64 w1;

    memcpy(&w0, addr->bytes, 8);
    memcpy(&w1, addr->bytes + 8, 8);
    return fs_flow_endpoint_words(w0, w1, addr->family, port);
}

/* The flow hash from its two endpoints' fs_flow_endpoint() and the
 * VLAN key (fs_flow_hash_tuple()'s last step). */
static inline guint32
fs_flow_hash_endpoints(guint64 a, guint64 b, guint32 vlan)
{
    guint32 h = (guint32)fs_flow_mum(
        (a + b) ^ G_GUINT64_CONSTANT(0x8ebc6af09c88c6e3),
        (guint64)vlan ^ G_GUINT64_CONSTANT(0x589965cc75374cc3));

    return h != 0 ? h : 1u;
}
#endif

/* The hash of a 4-tuple (+VLAN): the sum of the two endpoints' hashes is
 * the same in both directions, so no canonical ordering is needed; the
 * VLAN key is mixed in last. Never 0 (in FsSegment.flow_hash: not
 * computed). Inline: the reader computes it for every packet. Where the
 * compiler has 128-bit products, three of them (wyhash's way: 25
 * instructions where fs_endpoint_hash()'s five chained fs_mix64() took
 * 80); only the flow table (its slots and tags) and the shards (which
 * mix it again) use the value. */
static inline guint32
fs_flow_hash_tuple(const FsAddr *a, guint16 aport, const FsAddr *b,
                   guint16 bport, guint32 vlan)
{
#if defined(__SIZEOF_INT128__)
    return fs_flow_hash_endpoints(fs_flow_endpoint(a, aport),
                                  fs_flow_endpoint(b, bport), vlan);
#else
    guint32 h = (guint32)fs_mix64(fs_endpoint_hash(a, aport) +
                                  fs_endpoint_hash(b, bport) + vlan);

    return h != 0 ? h : 1u;
#endif
}

/* The hash of seg's 4-tuple (+VLAN), the same in both directions, never
 * 0. Worth storing in seg->flow_hash when it can be computed ahead (in
 * another thread): fs_flow_find() then uses it. */
static inline guint32
fs_flow_hash(const FsSegment *seg)
{
    return fs_flow_hash_tuple(&seg->src, seg->sport, &seg->dst, seg->dport,
                              seg->vlan);
}

/* Hints the CPU to load the home slot of conn's flow (its head and, for
 * a frozen one, its addresses read: loaded already), where releasing
 * conn looks first. */
void fs_flow_prefetch_slot_of(const FsFlowTable *table, const FsConn *conn);

/* The newest incarnation; older ones follow its ->older links. */
static inline FsConn *
fs_flow_current(const FsFlow *flow)
{
    return (FsConn *)(flow->v & ~(FS_FLOW_TAG_BITS | FS_FLOW_DIST_BITS));
}

/* The start of every FsFlowTable, open only for fs_flow_prefetch(),
 * inline: twice a packet. */
typedef struct {
    FsFlow *slots;    /* mask + 1 of them */
    guint32 mask;     /* capacity - 1; capacity is a power of two */
} FsFlowSlots;

/* Hints the CPU to load bytes [from, to) of conn: each of their lines
 * (a connection's lines are not aligned: the one to - 1 is in too).
 * Inline, from and to constants: the loop unrolls. */
static inline void
fs_conn_prefetch_range(const FsConn *conn, gsize from, gsize to)
{
#if defined(__GNUC__)
    for (gsize o = from; o < to; o += 64)
        __builtin_prefetch((const char *)conn + o);
    __builtin_prefetch((const char *)conn + to - 1);
#else
    (void)conn, (void)from, (void)to;
#endif
}

/* The connection most likely seg's newest, as the lookup would find
 * it, read from no more than two slots: the first under seg's tag of
 * its home slot and the one after it (which is seg's flow but for tag
 * collisions); NULL if neither. Inline: twice a packet, for the
 * prefetches (fs_flow_prefetch(), fs_store_prefetch_deadline()). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline const FsConn *
fs_flow_peek(const FsFlowTable *table, const FsSegment *seg)
{
    /* an FsFlowTable begins with its FsFlowSlots */
    const FsFlowSlots *t = (const FsFlowSlots *)(const void *)table;
    guint32 hash = seg->flow_hash != 0 ? seg->flow_hash : fs_flow_hash(seg);
    guint32 i = hash & t->mask;
    guintptr tag = FS_FLOW_TAG(hash);
    FsFlow f = t->slots[i];

    /* with the table up to 7/8 full (3/4 on 32-bit hosts), the home
     * slot holds seg's flow for about two packets in five, the slot
     * after it for three in ten (of those whose flow is held, on the
     * bench's small and medium-b): the next slot is most likely in the
     * same cache line; a longer run (the other three in ten) is left to
     * the lookup */
    if (f.v != 0 && (f.v & FS_FLOW_TAG_BITS) != tag)
        f = t->slots[(i + 1) & t->mask];
    if ((f.v & FS_FLOW_TAG_BITS) != tag)
        return NULL;
    return fs_flow_current(&f); /* NULL: an empty slot */
}

/* Hints the CPU to load the slot of seg's flow, and when conn_too, the
 * connection in it, of an ACK alone only its hot parts (conn.h; what the
 * engine's lean path reads) (call that for a slot hinted earlier:
 * reading the slot must not wait on memory): of the home slot or the
 * one after it, the first under seg's tag, which is seg's flow but for
 * once in 65536 on 64-bit hosts (once in 8 with 32-bit's 3-bit tag).
 * Changes nothing. */
#if defined(__GNUC__)
/* inlined whatever the compiler's budget says: called from a loop with
 * conn_too a constant, twice a packet (a call cost as much as the
 * prefetches) */
__attribute__((always_inline))
#endif
static inline void
fs_flow_prefetch(const FsFlowTable *table, const FsSegment *seg,
                 gboolean conn_too)
{
#if defined(__GNUC__)
    const FsConn *newest;

    /* GCC finds a function that only prefetches free of effects and
     * drops calls to it (or to an inline one's callers): this empty
     * volatile asm, no instruction, says it is not */
    __asm__ __volatile__("");
    if (!conn_too) {
        /* an FsFlowTable begins with its FsFlowSlots */
        const FsFlowSlots *t = (const FsFlowSlots *)(const void *)table;
        guint32 hash =
            seg->flow_hash != 0 ? seg->flow_hash : fs_flow_hash(seg);

        __builtin_prefetch(&t->slots[hash & t->mask]);
        return;
    }
    newest = fs_flow_peek(table, seg);
    if (newest == NULL)
        return;
    if (fs_segment_ack_alone(seg)) {
        /* most likely a segment in mid-connection, which the engine's
         * lean path takes: it reads the hot parts only (conn.h), 4 to 6
         * lines of the 9; fs_store_prefetch_deadline() asks for the rest
         * later when the connection is not in mid-connection */
        fs_conn_prefetch_range(newest, 0, FS_CONN_HOT_SIZE);
        fs_conn_prefetch_range(newest, FS_CONN_HOT_SERVER_AT,
                               FS_CONN_HOT_SERVER_AT + FS_ENDPOINT_HOT_SIZE);
        return;
    }
    /* all of it: a SYN, FIN or RST goes the full path, which reads
     * both endpoints, the times, the counters and the frame numbers,
     * across the whole record */
    fs_conn_prefetch_range(newest, 0, sizeof(FsConn));
#else
    (void)table, (void)seg, (void)conn_too;
#endif
}

/* The pool the table's frozen connections are to be frozen in (it frees
 * them there). */
FsPool *fs_flow_table_pool(FsFlowTable *table);

/* Flows held (4-tuples with at least one incarnation). */
guint fs_flow_table_size(const FsFlowTable *table);


/* Older incarnations kept on a flow's chain behind the newest: a new
 * incarnation detaches the one that falls beyond, so that what a packet
 * walks (thaws, matches to an incarnation) does not grow with how often
 * its 4-tuple was reused. A detached incarnation stays held (its record
 * is due when it would have been) but no packet finds it any more. */
#define FS_FLOW_OLDER_KEPT 3

/* Is conn on its flow's chain (FALSE: detached, see above)? */
gboolean fs_flow_attached(const FsConn *conn);

/* Appends a new incarnation (zeroed, id set, addresses and ports from
 * seg with its sender as client_is_sender says) and returns it; detaches
 * the incarnation beyond FS_FLOW_OLDER_KEPT, if any. *flow is seg's
 * flow, or NULL to create it; either way it is seg's flow after. */
FsConn *fs_flow_new_incarnation(FsFlowTable *table, FsFlow **flow,
                                const FsSegment *seg,
                                gboolean client_is_sender);

/* conn takes the place of old (which moved: frozen or thawed) among its
 * flow's incarnations. flow is theirs, or NULL to look it up. */
void fs_flow_relocate(FsFlowTable *table, FsFlow *flow, const FsConn *old,
                      FsConn *conn);

/* Forgets a finished incarnation, attached or not (frees conn); a flow
 * left with none is removed from the table. Detached incarnations are
 * not freed with the table: release them. */
void fs_flow_release(FsFlowTable *table, FsConn *conn);

/* Role (FsRole) of seg's sender in conn. Inline: the engine asks for
 * every segment. */
static inline FsRole
fs_conn_sender_role(const FsConn *conn, const FsSegment *seg)
{
    if (seg->sport == conn->port[FS_ROLE_CLIENT] &&
        fs_addr_equal(&seg->src, &conn->addr[FS_ROLE_CLIENT]))
        return FS_ROLE_CLIENT;
    return FS_ROLE_SERVER;
}

#endif /* FINSCOPE_FLOW_H */
