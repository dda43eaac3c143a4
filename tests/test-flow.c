/* finscope tests: the flow table's canonical key and incarnations. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>

#include <glib.h>

#include "finscope/flow.h"
#include "finscope/freeze.h"
#include "roles.h"
#include "store.h"

static FsSegment
segment(const char *src, guint16 sport, const char *dst, guint16 dport,
        guint32 vlan)
{
    FsSegment seg;

    memset(&seg, 0, sizeof seg);
    seg.src.family = strchr(src, ':') ? 6 : 4;
    seg.dst.family = seg.src.family;
    g_assert_cmpint(inet_pton(seg.src.family == 6 ? AF_INET6 : AF_INET, src,
                              seg.src.bytes), ==, 1);
    g_assert_cmpint(inet_pton(seg.dst.family == 6 ? AF_INET6 : AF_INET, dst,
                              seg.dst.bytes), ==, 1);
    seg.sport = sport;
    seg.dport = dport;
    seg.vlan = vlan;
    return seg;
}

/* The flow of seg, created with a first incarnation when absent. */
static FsFlow *
lookup(FsFlowTable *t, const FsSegment *seg)
{
    FsFlow *flow = fs_flow_find(t, seg);

    if (flow == NULL)
        fs_flow_new_incarnation(t, &flow, seg, TRUE);
    return flow;
}

static void
test_symmetric(void)
{
    g_autoptr(FsFlowTable) t = fs_flow_table_new();
    FsSegment a = segment("10.0.0.1", 40000, "10.0.0.2", 80, 0);
    FsSegment b = segment("10.0.0.2", 80, "10.0.0.1", 40000, 0);

    g_assert_null(fs_flow_find(t, &a));
    g_assert_true(lookup(t, &a) == lookup(t, &b));
    g_assert_cmpuint(fs_flow_table_size(t), ==, 1);
}

static void
test_distinct(void)
{
    g_autoptr(FsFlowTable) t = fs_flow_table_new();
    FsSegment base = segment("10.0.0.1", 40000, "10.0.0.2", 80, 0);
    FsSegment port = segment("10.0.0.1", 40001, "10.0.0.2", 80, 0);
    FsSegment vlan = segment("10.0.0.1", 40000, "10.0.0.2", 80, 7);
    FsSegment v6 = segment("fd00::1", 40000, "fd00::2", 80, 0);
    /* same port numbers swapped between the hosts: another 4-tuple */
    FsSegment swapped = segment("10.0.0.1", 80, "10.0.0.2", 40000, 0);

    lookup(t, &base);
    lookup(t, &port);
    lookup(t, &vlan);
    lookup(t, &v6);
    lookup(t, &swapped);
    g_assert_cmpuint(fs_flow_table_size(t), ==, 5);
    /* each finds its own first incarnation */
    g_assert_cmpuint(fs_flow_current(fs_flow_find(t, &base))->id, ==, 1);
    g_assert_cmpuint(fs_flow_current(fs_flow_find(t, &port))->id, ==, 2);
    g_assert_cmpuint(fs_flow_current(fs_flow_find(t, &vlan))->id, ==, 3);
    g_assert_cmpuint(fs_flow_current(fs_flow_find(t, &v6))->id, ==, 4);
    g_assert_cmpuint(fs_flow_current(fs_flow_find(t, &swapped))->id, ==, 5);
}

static void
test_incarnations(void)
{
    g_autoptr(FsFlowTable) t = fs_flow_table_new();
    FsSegment syn = segment("10.0.0.1", 40000, "10.0.0.2", 80, 0);
    FsSegment reply = segment("10.0.0.2", 80, "10.0.0.1", 40000, 0);
    FsFlow *flow = NULL;
    FsConn *first;
    FsConn *second;

    first = fs_flow_new_incarnation(t, &flow, &syn, TRUE);
    second = fs_flow_new_incarnation(t, &flow, &reply, FALSE);
    g_assert_cmpuint(first->id, ==, 1);
    g_assert_cmpuint(second->id, ==, 2);
    g_assert_true(fs_flow_current(flow) == second);
    g_assert_true(second->older == first);
    g_assert_null(first->older);
    g_assert_cmpuint(first->port[FS_ROLE_CLIENT], ==, 40000);
    g_assert_cmpuint(second->port[FS_ROLE_CLIENT], ==, 40000);
    g_assert_cmpint(fs_conn_sender_role(first, &syn), ==, FS_ROLE_CLIENT);
    g_assert_cmpint(fs_conn_sender_role(first, &reply), ==, FS_ROLE_SERVER);
}

/* A 4-tuple reused again and again keeps the newest incarnation and
 * FS_FLOW_OLDER_KEPT older ones on its chain; the ones beyond are
 * detached, each released on its own without touching the flow. */
static void
test_chain_bounded(void)
{
    g_autoptr(FsFlowTable) t = fs_flow_table_new();
    FsSegment syn = segment("10.0.0.1", 40000, "10.0.0.2", 80, 0);
    FsFlow *flow = NULL;
    FsConn *conns[10];
    guint len = 0;

    for (guint i = 0; i < G_N_ELEMENTS(conns); i++)
        conns[i] = fs_flow_new_incarnation(t, &flow, &syn, TRUE);
    for (FsConn *c = fs_flow_current(flow); c != NULL; c = c->older) {
        g_assert_true(fs_flow_attached(c));
        g_assert_true(c == conns[G_N_ELEMENTS(conns) - 1 - len]);
        len++;
    }
    g_assert_cmpuint(len, ==, FS_FLOW_OLDER_KEPT + 1);
    for (guint i = 0; i + len < G_N_ELEMENTS(conns); i++) {
        g_assert_false(fs_flow_attached(conns[i]));
        fs_flow_release(t, conns[i]);
    }
    g_assert_cmpuint(fs_flow_table_size(t), ==, 1);
    /* the chain's oldest, then the rest: the flow goes with the last */
    for (guint i = G_N_ELEMENTS(conns) - len; i < G_N_ELEMENTS(conns); i++)
        fs_flow_release(t, conns[i]);
    g_assert_cmpuint(fs_flow_table_size(t), ==, 0);
    g_assert_null(fs_flow_find(t, &syn));
}

/* Many flows that differ only in port spread over the table. */
static void
test_many(void)
{
    g_autoptr(FsFlowTable) t = fs_flow_table_new();

    for (guint p = 1; p <= 20000; p++) {
        FsSegment s = segment("10.0.0.1", (guint16)p, "10.0.0.2", 80, 0);

        lookup(t, &s);
    }
    g_assert_cmpuint(fs_flow_table_size(t), ==, 20000);
}

/* Releasing flows in a random order, with the table growing and probe
 * runs shifting back, never loses or confuses another flow. */
static void
test_release(void)
{
    g_autoptr(FsFlowTable) t = fs_flow_table_new();
    g_autoptr(GRand) rng = g_rand_new_with_seed(3);
    g_autoptr(GPtrArray) live = g_ptr_array_new();
    enum { N = 30000 };
    static gboolean released[N + 1];

    for (guint p = 1; p <= N; p++) {
        FsSegment s = segment("10.0.0.1", (guint16)p, "10.0.0.2", 80, 0);
        FsFlow *flow = NULL;

        g_ptr_array_add(live, fs_flow_new_incarnation(t, &flow, &s, TRUE));
    }
    for (guint k = 0; k < N / 2; k++) {
        guint i = g_rand_int_range(rng, 0, (gint32)live->len);
        FsConn *c = g_ptr_array_steal_index_fast(live, i);

        released[c->port[FS_ROLE_CLIENT]] = TRUE;
        fs_flow_release(t, c);
    }
    g_assert_cmpuint(fs_flow_table_size(t), ==, N - N / 2);
    for (guint p = 1; p <= N; p++) {
        FsSegment s = segment("10.0.0.2", 80, "10.0.0.1", (guint16)p, 0);
        FsFlow *flow = fs_flow_find(t, &s);

        if (released[p]) {
            g_assert_null(flow);
            continue;
        }
        g_assert_nonnull(flow);
        g_assert_cmpuint(fs_flow_current(flow)->port[FS_ROLE_CLIENT], ==, p);
    }
}

/* Releasing the newest or an older incarnation keeps the rest in order. */
static void
test_release_incarnation(void)
{
    g_autoptr(FsFlowTable) t = fs_flow_table_new();
    FsSegment syn = segment("10.0.0.1", 40000, "10.0.0.2", 80, 0);
    FsFlow *flow = NULL;
    FsConn *a = fs_flow_new_incarnation(t, &flow, &syn, TRUE);
    FsConn *b = fs_flow_new_incarnation(t, &flow, &syn, TRUE);
    FsConn *c = fs_flow_new_incarnation(t, &flow, &syn, TRUE);

    g_assert_true(fs_flow_current(flow) == c);
    g_assert_true(c->older == b && b->older == a);
    fs_flow_release(t, b);
    flow = fs_flow_find(t, &syn);
    g_assert_true(fs_flow_current(flow) == c);
    g_assert_true(c->older == a);
    g_assert_null(a->older);
    fs_flow_release(t, c);
    flow = fs_flow_find(t, &syn);
    g_assert_true(fs_flow_current(flow) == a);
    fs_flow_release(t, a);
    g_assert_null(fs_flow_find(t, &syn));
    g_assert_cmpuint(fs_flow_table_size(t), ==, 0);
}

/* A new table's slot mask: its capacity less one. */
static guint32
new_table_mask(void)
{
    g_autoptr(FsFlowTable) t = fs_flow_table_new();

    return ((const FsFlowSlots *)(const void *)t)->mask;
}

/* Two flows whose hashes share their home slot in a new table (and the
 * slot after it free). */
static void
same_home_pair(FsSegment *a, FsSegment *b)
{
    guint32 mask = new_table_mask();
    guint32 home;

    *a = segment("10.0.0.1", 40000, "10.0.0.2", 80, 0);
    home = fs_flow_hash(a) & mask;
    for (guint p = 1;; p++) {
        *b = segment("10.0.0.3", (guint16)p, "10.0.0.2", 80, 0);
        if ((fs_flow_hash(b) & mask) == home)
            return;
    }
}

/* Runs stay in home-slot order: a flow goes before those of its run
 * nearer their homes, which move one slot on (first-come placement put
 * it after them, farther from its home than the flows it passed); a
 * release moves them back. */
static void
test_home_order(void)
{
#if GLIB_SIZEOF_VOID_P == 8
    g_autoptr(FsFlowTable) t = fs_flow_table_new();
    FsSegment a, b, c;
    FsFlow *flow = NULL;
    FsConn *ac, *bc, *cc;
    guint32 mask = new_table_mask();
    guint32 home;
    guint p;

    /* b and c share a home; a's is the slot after it */
    same_home_pair(&b, &c);
    home = fs_flow_hash(&b) & mask;
    for (p = 1;; p++) {
        a = segment("10.0.0.4", (guint16)p, "10.0.0.2", 80, 0);
        if ((fs_flow_hash(&a) & mask) == ((home + 1) & mask))
            break;
    }
    ac = fs_flow_new_incarnation(t, &flow, &a, TRUE);
    g_assert_null(fs_flow_find(t, &b));
    flow = NULL;
    bc = fs_flow_new_incarnation(t, &flow, &b, TRUE);
    g_assert_null(fs_flow_find(t, &c));
    flow = NULL;
    cc = fs_flow_new_incarnation(t, &flow, &c, TRUE);
    /* b at home, c next, a pushed one slot from its home */
    g_assert_cmpuint(fs_flow_find(t, &b)->v & FS_FLOW_DIST_BITS, ==, 0);
    g_assert_cmpuint(fs_flow_find(t, &c)->v & FS_FLOW_DIST_BITS, ==, 1);
    g_assert_cmpuint(fs_flow_find(t, &a)->v & FS_FLOW_DIST_BITS, ==, 1);
    g_assert_true(fs_flow_current(fs_flow_find(t, &a)) == ac);
    g_assert_true(fs_flow_find(t, &c) == fs_flow_find(t, &b) + 1);
    /* b leaves: c moves home, a too */
    fs_flow_release(t, bc);
    g_assert_cmpuint(fs_flow_find(t, &c)->v & FS_FLOW_DIST_BITS, ==, 0);
    g_assert_cmpuint(fs_flow_find(t, &a)->v & FS_FLOW_DIST_BITS, ==, 0);
    g_assert_true(fs_flow_current(fs_flow_find(t, &c)) == cc);
    g_assert_true(fs_flow_current(fs_flow_find(t, &a)) == ac);
    g_assert_null(fs_flow_find(t, &b));
    g_assert_cmpuint(fs_flow_table_size(t), ==, 2);
#else
    g_test_skip("no distance bits on 32-bit hosts");
#endif
}

/* Removing a flow and growing the table find the other flows' home
 * slots from the slots (their distance bits, and for growing past 2^16
 * slots the tag), not by hashing their connections again: a connection
 * whose key was (briefly) changed stays where its real hash says. */
static void
test_home_from_slot(void)
{
#if GLIB_SIZEOF_VOID_P == 8
    g_autoptr(FsFlowTable) t = fs_flow_table_new();
    FsSegment a = segment("10.0.0.1", 40000, "10.0.0.2", 80, 0);
    FsSegment b;
    FsFlow *flow = NULL;
    FsConn *bc, *moved = NULL;
    guint32 mask = new_table_mask();
    guint32 home = fs_flow_hash(&a) & mask;
    guint p;

    /* b's home is the slot after a's: b must not shift back into a's
     * slot when a goes (hashing b under a changed key says it may) */
    for (p = 1;; p++) {
        b = segment("10.0.0.3", (guint16)p, "10.0.0.2", 80, 0);
        if ((fs_flow_hash(&b) & mask) == ((home + 1) & mask))
            break;
    }
    fs_flow_new_incarnation(t, &flow, &a, TRUE);
    flow = NULL;
    bc = fs_flow_new_incarnation(t, &flow, &b, TRUE);
    g_assert_cmpuint(flow->v & FS_FLOW_DIST_BITS, ==, 0);
    bc->vlan = 7;
    fs_flow_release(t, fs_flow_current(fs_flow_find(t, &a)));
    bc->vlan = 0;
    flow = fs_flow_find(t, &b);
    g_assert_nonnull(flow);
    g_assert_true(fs_flow_current(flow) == bc);

    /* growing from 2^16 to 2^17 slots places a flow by its slot alone */
    for (p = 1; fs_flow_table_size(t) < 57344; p++) {
        FsSegment s = segment("10.0.1.1", (guint16)p, "10.0.0.2", 80, 0);

        lookup(t, &s);
        flow = fs_flow_find(t, &s);
        if (moved == NULL && (flow->v & FS_FLOW_DIST_BITS) == 2)
            moved = fs_flow_current(flow);
    }
    g_assert_cmpuint(((const FsFlowSlots *)(const void *)t)->mask, ==,
                     65535);
    g_assert_nonnull(moved);
    moved->vlan = 7;
    b = segment("10.0.2.1", 1, "10.0.0.2", 80, 0);
    lookup(t, &b);
    g_assert_cmpuint(((const FsFlowSlots *)(const void *)t)->mask, ==,
                     131071);
    moved->vlan = 0;
    b = segment("10.0.1.1", moved->port[FS_ROLE_CLIENT], "10.0.0.2", 80, 0);
    flow = fs_flow_find(t, &b);
    g_assert_nonnull(flow);
    g_assert_true(fs_flow_current(flow) == moved);
#else
    g_test_skip("no distance bits on 32-bit hosts");
#endif
}

/* A new flow goes where its missed lookup stopped (an empty slot, or
 * one whose flow, nearer its own home, moves one on) only while that
 * is still where it belongs: not once another flow has taken the
 * place, nor once a release has emptied a slot before it. */
static void
test_vacant_slot(void)
{
    FsSegment a;
    FsSegment b;
    FsFlow *flow = NULL;
    FsFlow *flow_b;

    same_home_pair(&a, &b);
    {
        g_autoptr(FsFlowTable) t = fs_flow_table_new();

        g_assert_null(fs_flow_find(t, &a));
        /* b takes a's home slot without a lookup of its own */
        fs_flow_new_incarnation(t, &flow, &b, TRUE);
        flow_b = flow;
        flow = NULL;
        fs_flow_new_incarnation(t, &flow, &a, TRUE);
        g_assert_cmpuint(fs_flow_table_size(t), ==, 2);
        g_assert_true(fs_flow_find(t, &a) == flow);
        g_assert_true(fs_flow_find(t, &b) == flow_b);
        g_assert_true(flow_b != flow);
    }
    {
        g_autoptr(FsFlowTable) t = fs_flow_table_new();
        FsConn *first;

        flow = NULL;
        first = fs_flow_new_incarnation(t, &flow, &b, TRUE);
        /* a's run ends after b, which then leaves */
        g_assert_null(fs_flow_find(t, &a));
        fs_flow_release(t, first);
        flow = NULL;
        fs_flow_new_incarnation(t, &flow, &a, TRUE);
        g_assert_true(fs_flow_find(t, &a) == flow);
        g_assert_null(fs_flow_find(t, &b));
        g_assert_cmpuint(fs_flow_table_size(t), ==, 1);
    }
}

/* Frozen, a connection keeps 9 bytes of IPv4 addresses (all 34 of
 * IPv6): its flow is still found from either side, among many others in
 * the table, and only by its own 4-tuple; growing and deletion read its
 * key too. */
static void
frozen_flows(const char *client_prefix, const char *server)
{
    g_autoptr(FsFlowTable) t = fs_flow_table_new();
    g_autoptr(GPtrArray) conns = g_ptr_array_new();
    enum { N = 3000 };

    for (guint i = 0; i < N; i++) {
        g_autofree char *client = g_strdup_printf("%s%u", client_prefix, i % 250 + 1);
        FsSegment s = segment(client, (guint16)(20000 + i), server, 443, 0);
        FsFlow *flow = NULL;
        FsConn *conn = fs_flow_new_incarnation(t, &flow, &s, TRUE);
        FsConn *frozen = fs_conn_freeze(conn, fs_flow_table_pool(t));

        fs_flow_relocate(t, i % 2 ? flow : NULL, conn, frozen);
        fs_conn_free(conn, fs_flow_table_pool(t));
        g_ptr_array_add(conns, frozen);
    }
    for (guint i = 0; i < N; i++) {
        g_autofree char *client = g_strdup_printf("%s%u", client_prefix, i % 250 + 1);
        FsSegment back = segment(server, 443, client, (guint16)(20000 + i), 0);
        FsSegment other = segment(server, 443, client, (guint16)(20000 + i), 9);
        FsFlow *flow = fs_flow_find(t, &back);
        FsConn *frozen = g_ptr_array_index(conns, i);

        g_assert_nonnull(flow);
        g_assert_true(fs_flow_current(flow) == frozen);
        g_assert_true(fs_conn_is_frozen(frozen));
        g_assert_null(fs_flow_find(t, &other));
    }
    for (guint i = 0; i < N; i += 2)
        fs_flow_release(t, g_ptr_array_index(conns, i));
    g_assert_cmpuint(fs_flow_table_size(t), ==, N / 2);
    for (guint i = 1; i < N; i += 2) {
        g_autofree char *client = g_strdup_printf("%s%u", client_prefix, i % 250 + 1);
        FsSegment s = segment(client, (guint16)(20000 + i), server, 443, 0);
        FsFlow *flow = fs_flow_find(t, &s);

        g_assert_nonnull(flow);
        g_assert_true(fs_flow_current(flow) == g_ptr_array_index(conns, i));
    }
}

static void
test_frozen_v4(void)
{
    frozen_flows("10.1.2.", "192.0.2.7");
}

static void
test_frozen_v6(void)
{
    frozen_flows("fd00::10:", "2001:db8::7");
}

/* Servers noted once each count once, however many share a slot of
 * the cache of recent ones (more than its 256 slots, in rounds that
 * evict each other), and are then known for role inference. */
static void
test_roles_servers(void)
{
    g_autoptr(FsRoles) roles = fs_roles_new();
    enum { N = 2000 };
    gsize cost = 0;

    for (int round = 0; round < 3; round++) {
        for (guint i = 0; i < N; i++) {
            char src[32];
            FsSegment seg;
            gsize more;

            g_snprintf(src, sizeof src, "10.2.%u.%u", i / 250, i % 250 + 1);
            seg = segment(src, (guint16)(443 + i % 3), "10.1.0.1", 50000,
                          0);
            seg.flags = FS_TH_SYN | FS_TH_ACK;
            more = fs_roles_note_server(roles, &seg);
            if (round == 0) {
                /* the same charge for each new one */
                if (cost == 0)
                    cost = more;
                g_assert_cmpuint(more, >, 0);
                g_assert_cmpuint(more, ==, cost);
            } else {
                g_assert_cmpuint(more, ==, 0);
            }
        }
    }
    /* a mid-connection segment from a known server to a lower port (the
     * port rule alone would make the sender the client): it is no client */
    {
        FsSegment seg = segment("10.2.3.7", 443 + (3 * 250 + 6) % 3,
                                "10.1.0.1", 80, 0);
        gboolean inferred;

        seg.flags = FS_TH_ACK;
        g_assert_false(fs_roles_client_is_sender(roles, &seg, &inferred));
        g_assert_true(inferred);
        /* an unknown one with the higher port is */
        seg = segment("10.9.9.9", 60000, "10.1.0.1", 50000, 0);
        seg.flags = FS_TH_ACK;
        g_assert_true(fs_roles_client_is_sender(roles, &seg, &inferred));
    }
}

/* A whole connection comes from the table's pool, zeroed but for its
 * flow's values, and its block serves the next one once it is released
 * (no malloc a connection). */
static void
test_whole_from_pool(void)
{
    g_autoptr(FsFlowTable) t = fs_flow_table_new();
    FsPool *pool = fs_flow_table_pool(t);
    FsSegment a = segment("10.0.0.1", 40000, "10.0.0.2", 80, 0);
    FsSegment b = segment("10.0.0.3", 40000, "10.0.0.2", 80, 0);
    FsFlow *flow = NULL;
    FsConn *first;
    FsConn *second;
    FsConn ref;
    gsize footprint;

    g_assert_cmpuint(fs_pool_footprint(pool), ==, 0);
    first = fs_flow_new_incarnation(t, &flow, &a, TRUE);
    footprint = fs_pool_footprint(pool);
    g_assert_cmpuint(footprint, >, 0);
    g_assert_false(fs_conn_is_frozen(first));
    g_assert_cmpuint(first->packets, ==, 0);
    g_assert_null(first->older);
    /* fs_conn_init_zeroed() of it is fs_conn_init() of any memory */
    memset(&ref, 0xa5, sizeof ref);
    fs_conn_init(&ref);
    g_assert_cmpmem(first->ep, sizeof first->ep, ref.ep, sizeof ref.ep);
    g_assert_cmpint(first->close_done_time, ==, ref.close_done_time);
    g_assert_cmpint(first->rst_time, ==, ref.rst_time);
    g_assert_cmpint(first->settled_at, ==, ref.settled_at);
    g_assert_cmpint(first->rst_from, ==, ref.rst_from);
    /* dirtied, released: the next whole one is that block, zeroed */
    first->packets = 7;
    first->evicted = 1;
    fs_flow_release(t, first);
    flow = NULL;
    second = fs_flow_new_incarnation(t, &flow, &b, TRUE);
    g_assert_true(second == first);
    g_assert_cmpuint(second->packets, ==, 0);
    g_assert_cmpuint(second->evicted, ==, 0);
    g_assert_cmpuint(fs_pool_footprint(pool), ==, footprint);
}

static void
on_outcome_none(FsTcpOutcome *out, gpointer user)
{
    (void)out, (void)user;
}

static void
on_conn_count(const FsConn *rec, gpointer user)
{
    (void)rec;
    (*(guint *)user)++;
}

static void
on_forget_none(const FsConn *rec, FsTime now, gpointer user)
{
    (void)rec, (void)now, (void)user;
}

/* A held list whose connections leave from its front, in the order they
 * joined (--max-flows evicting the oldest unanswered SYN for each new
 * one), slides its holes off the front: its holes stay at most an
 * eighth of the list, plus 64, where compaction alone let it grow
 * to twice as many; no connection's place is lost (each is forgotten
 * at its own entry: the store's asserts and the evictions' order). */
static void
test_held_front_slides(void)
{
    enum { KEPT = 1000, N = 6000 };
    FsEngineConfig cfg = { .msl = 30 * FS_NS_PER_SEC, .max_flows = KEPT };
    FsEngineStats stats;
    guint handed = 0;
    FsStoreHooks hooks = { .on_outcome = on_outcome_none,
                           .on_conn = on_conn_count,
                           .on_forget = on_forget_none,
                           .user = &handed };
    g_autoptr(FsStore) s = NULL;
    guint longest = 0;

    memset(&stats, 0, sizeof stats);
    s = fs_store_new(&cfg, &stats, &hooks);
    for (guint i = 0; i < N; i++) {
        g_autofree char *client = g_strdup_printf("10.1.%u.%u", i / 200,
                                                  i % 200 + 1);
        FsSegment seg = segment(client, (guint16)(1024 + i), "10.0.0.2", 80,
                                0);
        FsFlow *flow = NULL;
        FsConn *prev = NULL;
        const FsHeldList *l = &s->held[FS_EVICT_HALF_OPEN];

        FsConn *conn;

        seg.flags = FS_TH_SYN;
        seg.ts = (FsTime)i * FS_NS_PER_SEC / 1000;
        conn = fs_store_new_incarnation(s, &flow, &prev, &seg);
        /* its record empty, it looks closed: frozen at the next sweep */
        g_assert_cmpint(fs_deadlines_wake(s->deadlines, conn), ==,
                        seg.ts + 1);
        g_assert_cmpuint(l->len - l->holes, ==, MIN(i + 1, (guint)KEPT));
        longest = MAX(longest, l->len);
    }
    g_assert_cmpuint(handed, ==, N - KEPT);
    g_assert_cmpuint(stats.evicted, ==, N - KEPT);
    g_assert_cmpuint(longest, <=, KEPT + KEPT / 7 + 64);
    fs_store_finish(s);
    g_assert_cmpuint(handed, ==, N);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/flow/key/symmetric", test_symmetric);
    g_test_add_func("/flow/key/distinct", test_distinct);
    g_test_add_func("/flow/incarnations", test_incarnations);
    g_test_add_func("/flow/chain-bounded", test_chain_bounded);
    g_test_add_func("/flow/many", test_many);
    g_test_add_func("/flow/release", test_release);
    g_test_add_func("/flow/release-incarnation", test_release_incarnation);
    g_test_add_func("/flow/vacant-slot", test_vacant_slot);
    g_test_add_func("/flow/whole-from-pool", test_whole_from_pool);
    g_test_add_func("/flow/home-from-slot", test_home_from_slot);
    g_test_add_func("/flow/home-order", test_home_order);
    g_test_add_func("/flow/store/held-front-slides", test_held_front_slides);
    g_test_add_func("/flow/frozen/v4", test_frozen_v4);
    g_test_add_func("/flow/frozen/v6", test_frozen_v6);
    g_test_add_func("/flow/roles/servers", test_roles_servers);
    return g_test_run();
}
