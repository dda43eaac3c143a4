/* finscope tests: TIME_WAIT accounting as a listener on transitions,
 * driven without the engine: per host, per destination, its memory. */
#include "config.h"

#include <glib.h>

#include "timewait.h"

/* A connection from 10.0.0.<client> to 10.9.0.1:80, port 40000. */
static void
conn_init(FsConn *conn, guint8 client)
{
    FsAddr c = { 4, { 10, 0, 0, client } };
    FsAddr s = { 4, { 10, 9, 0, 1 } };

    memset(conn, 0, sizeof *conn);
    conn->addr[FS_ROLE_CLIENT] = c;
    conn->addr[FS_ROLE_SERVER] = s;
    conn->port[FS_ROLE_CLIENT] = 40000;
    conn->port[FS_ROLE_SERVER] = 80;
}

static void
take_host(const FsHostTimeWait *h, gpointer user)
{
    g_array_append_val((GArray *)user, *h);
}

static void
take_dest(const FsDestTimeWait *d, gpointer user)
{
    g_array_append_val((GArray *)user, *d);
}

/* Into TIME_WAIT counts for the endpoint's host (a client's, against
 * its destination too); out of it no longer; other moves change
 * nothing. */
static void
test_enter_leave(void)
{
    FsEngineStats stats = { 0 };
    g_autoptr(FsTimeWait) tw = fs_timewait_new(&stats);
    g_autoptr(GArray) hosts = g_array_new(FALSE, FALSE,
                                          sizeof(FsHostTimeWait));
    g_autoptr(GArray) dests = g_array_new(FALSE, FALSE,
                                          sizeof(FsDestTimeWait));
    FsConn a;
    FsConn b;
    const FsHostTimeWait *h;

    conn_init(&a, 1);
    conn_init(&b, 1);
    b.port[FS_ROLE_CLIENT] = 40001;
    fs_timewait_transition(tw, &a, FS_ROLE_SERVER, FS_TCP_LAST_ACK,
                           FS_TCP_CLOSED, 5);
    g_assert_cmpuint(stats.time_wait_now, ==, 0);
    g_assert_cmpuint(stats.memory, ==, 0);
    fs_timewait_transition(tw, &a, FS_ROLE_CLIENT, FS_TCP_FIN_WAIT_2,
                           FS_TCP_TIME_WAIT, 10);
    fs_timewait_transition(tw, &b, FS_ROLE_CLIENT, FS_TCP_CLOSING,
                           FS_TCP_TIME_WAIT, 20);
    g_assert_cmpuint(stats.time_wait_now, ==, 2);
    g_assert_cmpuint(stats.time_wait_peak, ==, 2);
    g_assert_cmpint(stats.time_wait_peak_at, ==, 20);
    g_assert_cmpuint(stats.memory, >, 0);
    g_assert_cmpuint(fs_timewait_dests(tw), ==, 1);
    fs_timewait_transition(tw, &a, FS_ROLE_CLIENT, FS_TCP_TIME_WAIT,
                           FS_TCP_CLOSED, 30);
    fs_timewait_transition(tw, &b, FS_ROLE_CLIENT, FS_TCP_TIME_WAIT,
                           FS_TCP_CLOSED, 40);
    g_assert_cmpuint(stats.time_wait_now, ==, 0);
    g_assert_cmpuint(stats.time_wait_peak, ==, 2);
    /* the host's entry is given back; its peak is kept (retired) */
    g_assert_cmpuint(stats.memory, ==, 0);
    g_assert_cmpuint(stats.memory_peak, >, 0);
    fs_timewait_foreach_host_top(tw, G_MAXUINT, take_host, hosts);
    g_assert_cmpuint(hosts->len, ==, 1);
    h = &g_array_index(hosts, FsHostTimeWait, 0);
    g_assert_cmpuint(h->host.bytes[3], ==, 1);
    g_assert_cmpuint(h->now, ==, 0);
    g_assert_cmpuint(h->peak, ==, 2);
    g_assert_cmpint(h->peak_at, ==, 20);
    g_assert_cmpuint(h->entered, ==, 2);
    fs_timewait_foreach_dest(tw, FS_ENGINE_DEST_TOP, take_dest, dests);
    g_assert_cmpuint(dests->len, ==, 1);
    g_assert_cmpuint(g_array_index(dests, FsDestTimeWait, 0).peak, ==, 2);
    g_assert_cmpuint(g_array_index(dests, FsDestTimeWait, 0).port, ==, 80);
}

/* A server's TIME_WAIT counts for its host, not as port pressure (that
 * is a client's, towards the server). */
static void
test_server_side(void)
{
    FsEngineStats stats = { 0 };
    g_autoptr(FsTimeWait) tw = fs_timewait_new(&stats);
    g_autoptr(GArray) hosts = g_array_new(FALSE, FALSE,
                                          sizeof(FsHostTimeWait));
    FsConn a;

    conn_init(&a, 1);
    fs_timewait_transition(tw, &a, FS_ROLE_SERVER, FS_TCP_FIN_WAIT_2,
                           FS_TCP_TIME_WAIT, 10);
    g_assert_cmpuint(stats.time_wait_now, ==, 1);
    g_assert_cmpuint(fs_timewait_dests(tw), ==, 0);
    fs_timewait_foreach_host_top(tw, G_MAXUINT, take_host, hosts);
    g_assert_cmpuint(hosts->len, ==, 1);
    g_assert_cmpuint(g_array_index(hosts, FsHostTimeWait, 0).host.bytes[1],
                     ==, 9);
}

/* Hosts back at zero keep their peak while among the FS_ENGINE_HOST_TOP
 * busiest retired; beyond, the least busy are forgotten and counted. */
static void
test_retired_top(void)
{
    FsEngineStats stats = { 0 };
    g_autoptr(FsTimeWait) tw = fs_timewait_new(&stats);
    g_autoptr(GArray) hosts = g_array_new(FALSE, FALSE,
                                          sizeof(FsHostTimeWait));
    FsConn c[2];

    /* FS_ENGINE_HOST_TOP + 1 hosts with a peak of 1, then one with 2 */
    for (guint i = 0; i <= FS_ENGINE_HOST_TOP + 1; i++) {
        guint n = i == FS_ENGINE_HOST_TOP + 1 ? 2 : 1;

        for (guint k = 0; k < n; k++) {
            conn_init(&c[k], (guint8)(i + 1));
            c[k].port[FS_ROLE_CLIENT] = (guint16)(40000 + k);
            fs_timewait_transition(tw, &c[k], FS_ROLE_CLIENT,
                                   FS_TCP_FIN_WAIT_2, FS_TCP_TIME_WAIT,
                                   (FsTime)i);
        }
        for (guint k = 0; k < n; k++)
            fs_timewait_transition(tw, &c[k], FS_ROLE_CLIENT,
                                   FS_TCP_TIME_WAIT, FS_TCP_CLOSED,
                                   (FsTime)i);
    }
    g_assert_cmpuint(stats.hosts_pruned, ==, 2);
    g_assert_cmpuint(stats.memory, ==, 0);
    fs_timewait_foreach_host_top(tw, G_MAXUINT, take_host, hosts);
    g_assert_cmpuint(hosts->len, ==, FS_ENGINE_HOST_TOP);
    /* the busiest first; of the ties, the first retired stayed */
    g_assert_cmpuint(g_array_index(hosts, FsHostTimeWait, 0).peak, ==, 2);
    g_assert_cmpuint(g_array_index(hosts, FsHostTimeWait, 0).host.bytes[3],
                     ==, FS_ENGINE_HOST_TOP + 2);
    for (guint i = 1; i < hosts->len; i++)
        g_assert_cmpuint(g_array_index(hosts, FsHostTimeWait, i)
                             .host.bytes[3], <=, FS_ENGINE_HOST_TOP);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/timewait/enter-leave", test_enter_leave);
    g_test_add_func("/timewait/server-side", test_server_side);
    g_test_add_func("/timewait/retired-top", test_retired_top);
    return g_test_run();
}
