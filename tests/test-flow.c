/* finscope tests: the flow table's canonical key and incarnations. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>

#include <glib.h>

#include "finscope/flow.h"

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

static void
test_symmetric(void)
{
    g_autoptr(FsFlowTable) t = fs_flow_table_new();
    FsSegment a = segment("10.0.0.1", 40000, "10.0.0.2", 80, 0);
    FsSegment b = segment("10.0.0.2", 80, "10.0.0.1", 40000, 0);

    g_assert_true(fs_flow_lookup(t, &a) == fs_flow_lookup(t, &b));
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

    fs_flow_lookup(t, &base);
    g_assert_true(fs_flow_lookup(t, &port) != fs_flow_lookup(t, &base));
    g_assert_true(fs_flow_lookup(t, &vlan) != fs_flow_lookup(t, &base));
    g_assert_true(fs_flow_lookup(t, &v6) != fs_flow_lookup(t, &base));
    g_assert_true(fs_flow_lookup(t, &swapped) != fs_flow_lookup(t, &base));
    g_assert_cmpuint(fs_flow_table_size(t), ==, 5);
}

static void
test_incarnations(void)
{
    g_autoptr(FsFlowTable) t = fs_flow_table_new();
    FsSegment syn = segment("10.0.0.1", 40000, "10.0.0.2", 80, 0);
    FsSegment reply = segment("10.0.0.2", 80, "10.0.0.1", 40000, 0);
    FsFlow *flow = fs_flow_lookup(t, &syn);
    FsConn *first;
    FsConn *second;

    g_assert_null(fs_flow_current(flow));
    first = fs_flow_new_incarnation(t, flow, &syn, TRUE);
    second = fs_flow_new_incarnation(t, flow, &reply, FALSE);
    g_assert_cmpuint(first->id, ==, 1);
    g_assert_cmpuint(second->id, ==, 2);
    g_assert_true(fs_flow_current(flow) == second);
    g_assert_cmpuint(fs_flow_n_incarnations(flow), ==, 2);
    g_assert_true(fs_flow_incarnation(flow, 0) == first);
    g_assert_cmpuint(first->port[FS_ROLE_CLIENT], ==, 40000);
    g_assert_cmpuint(second->port[FS_ROLE_CLIENT], ==, 40000);
    g_assert_cmpint(fs_conn_sender_role(first, &syn), ==, FS_ROLE_CLIENT);
    g_assert_cmpint(fs_conn_sender_role(first, &reply), ==, FS_ROLE_SERVER);
}

/* Many flows that differ only in port spread over the table. */
static void
test_many(void)
{
    g_autoptr(FsFlowTable) t = fs_flow_table_new();

    for (guint p = 1; p <= 20000; p++) {
        FsSegment s = segment("10.0.0.1", (guint16)p, "10.0.0.2", 80, 0);

        fs_flow_lookup(t, &s);
    }
    g_assert_cmpuint(fs_flow_table_size(t), ==, 20000);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/flow/key/symmetric", test_symmetric);
    g_test_add_func("/flow/key/distinct", test_distinct);
    g_test_add_func("/flow/incarnations", test_incarnations);
    g_test_add_func("/flow/many", test_many);
    return g_test_run();
}
