/* finscope tests: verdicts as pure functions of a connection record. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/classify.h"

static FsConn
conn_new(void)
{
    FsConn c;

    memset(&c, 0, sizeof c);
    fs_conn_init(&c);
    c.ep[FS_ROLE_CLIENT].seen = 1;
    c.ep[FS_ROLE_SERVER].seen = 1;
    c.ep[FS_ROLE_CLIENT].state = FS_TCP_ESTABLISHED;
    c.ep[FS_ROLE_SERVER].state = FS_TCP_ESTABLISHED;
    return c;
}

/* "graceful" once both FINs were acked; a later RST does not change it. */
static void
test_close_kind(void)
{
    FsConn c = conn_new();

    g_assert_cmpstr(fs_close_kind_name(fs_classify_close(&c)), ==, "open");
    c.ep[FS_ROLE_SERVER].fin_sent = 1;
    g_assert_cmpstr(fs_close_kind_name(fs_classify_close(&c)), ==,
                    "incomplete");
    c.rst_from = FS_ROLE_CLIENT;
    g_assert_cmpstr(fs_close_kind_name(fs_classify_close(&c)), ==, "reset");
    c.close_done_time = 5;
    g_assert_cmpstr(fs_close_kind_name(fs_classify_close(&c)), ==,
                    "graceful");
}

/* The passive closer's FIN acks the active closer's, whatever the times. */
static void
test_closer_by_ack(void)
{
    FsConn c = conn_new();

    c.ep[FS_ROLE_CLIENT].fin_sent = 1;
    c.ep[FS_ROLE_CLIENT].fin_seq = 0xffffffffu;
    c.ep[FS_ROLE_CLIENT].fin_time = 20;
    c.ep[FS_ROLE_SERVER].fin_sent = 1;
    c.ep[FS_ROLE_SERVER].fin_seq = 700;
    c.ep[FS_ROLE_SERVER].fin_ack = 0; /* covers 0xffffffff + 1, wrapped */
    c.ep[FS_ROLE_SERVER].fin_time = 10;
    g_assert_cmpint(fs_classify_active_closer(&c), ==, FS_CLOSER_CLIENT);
    g_assert_cmpstr(fs_closer_name(FS_CLOSER_CLIENT), ==, "client");
    c.simultaneous = 1;
    g_assert_cmpint(fs_classify_active_closer(&c), ==,
                    FS_CLOSER_SIMULTANEOUS);
    g_assert_null(fs_closer_name(FS_CLOSER_NONE));
}

static void
test_end_state_unknown(void)
{
    FsConn c = conn_new();

    c.ep[FS_ROLE_SERVER].seen = 0;
    c.ep[FS_ROLE_CLIENT].state = FS_TCP_FIN_WAIT_1;
    g_assert_true(fs_conn_one_sided(&c));
    g_assert_cmpint(fs_classify_end_state(&c, FS_ROLE_SERVER), ==,
                    FS_TCP_UNKNOWN);
    g_assert_cmpint(fs_classify_end_state(&c, FS_ROLE_CLIENT), ==,
                    FS_TCP_UNKNOWN);
    c.ep[FS_ROLE_CLIENT].state = FS_TCP_CLOSED;
    c.ep[FS_ROLE_CLIENT].rst_count = 1;
    g_assert_cmpint(fs_classify_end_state(&c, FS_ROLE_CLIENT), ==,
                    FS_TCP_CLOSED);
}

static void
test_state_names(void)
{
    g_assert_cmpstr(fs_tcp_state_name(FS_TCP_FIN_WAIT_2), ==, "FIN_WAIT_2");
    g_assert_cmpstr(fs_tcp_state_name(FS_TCP_TIME_WAIT), ==, "TIME_WAIT");
    g_assert_cmpstr(fs_tcp_state_name(FS_TCP_CLOSE_WAIT), ==, "CLOSE_WAIT");
    for (int s = 0; s < FS_TCP_N_STATES; s++)
        g_assert_nonnull(fs_tcp_state_name((FsTcpState)s));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/classify/close-kind", test_close_kind);
    g_test_add_func("/classify/closer-by-ack", test_closer_by_ack);
    g_test_add_func("/classify/end-state-unknown", test_end_state_unknown);
    g_test_add_func("/classify/state-names", test_state_names);
    return g_test_run();
}
