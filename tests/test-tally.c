/* finscope tests: the one tally — a record's outcome and the sums every
 * view reads (src/1-engine/tally.c). */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h> /* AF_INET */

#include <glib.h>

#include "tally.h"

#define CLIENT FS_ROLE_CLIENT
#define SERVER FS_ROLE_SERVER

static void
set_addr(FsAddr *a, const char *ip)
{
    memset(a, 0, sizeof *a);
    a->family = 4;
    g_assert_cmpint(inet_pton(AF_INET, ip, a->bytes), ==, 1);
}

/* A graceful close the client began: client in TIME_WAIT, its FIN sent
 * three times (two retransmissions), FIN, FIN+ACK, ACK. */
static void
client_closed(FsConn *conn, const char *client, const char *server)
{
    memset(conn, 0, sizeof *conn);
    set_addr(&conn->addr[CLIENT], client);
    set_addr(&conn->addr[SERVER], server);
    conn->rst_from = FS_ROLE_NONE;
    conn->rst_time = FS_TIME_UNSET;
    conn->ep[CLIENT].seen = conn->ep[SERVER].seen = 1;
    conn->ep[CLIENT].state = FS_TCP_TIME_WAIT;
    conn->ep[SERVER].state = FS_TCP_CLOSED;
    conn->ep[CLIENT].fin_sent = conn->ep[SERVER].fin_sent = 1;
    conn->ep[CLIENT].fin_seq = 100;
    conn->ep[SERVER].fin_ack = 101;
    conn->ep[CLIENT].fin_count = 3;
    conn->close_done_time = 5;
    conn->three_way_close = 1;
}

/* Every FsFlag has a name that leads back to it; unknown names are -1
 * and add no bit. */
static void
test_flag_names(void)
{
    const char *const names[] = { "half_close", "no_such_flag", "evicted",
                                  NULL };

    for (int f = 0; f < FS_FLAG_N; f++) {
        g_assert_nonnull(fs_flag_name((FsFlag)f));
        g_assert_cmpint(fs_flag_from_name(fs_flag_name((FsFlag)f)), ==, f);
    }
    g_assert_cmpint(fs_flag_from_name("no_such_flag"), ==, -1);
    g_assert_cmpuint(fs_flag_bits(names), ==,
                     FS_FLAG_BIT(FS_FLAG_HALF_CLOSE) |
                         FS_FLAG_BIT(FS_FLAG_EVICTED));
}

/* The outcome is classify.c's verdict, flags as bits. */
static void
test_outcome(void)
{
    FsConn conn;
    FsOutcome o;

    client_closed(&conn, "10.0.0.1", "10.0.0.2");
    fs_classify_outcome(&conn, &o);
    g_assert_cmpint(o.close, ==, FS_CLOSE_GRACEFUL);
    g_assert_cmpint(o.active_closer, ==, FS_CLOSER_CLIENT);
    g_assert_cmpint(o.rst_from, ==, FS_ROLE_NONE);
    g_assert_cmpint(o.end_state[CLIENT], ==, FS_TCP_TIME_WAIT);
    g_assert_cmpint(o.end_state[SERVER], ==, FS_TCP_CLOSED);
    g_assert_cmpuint(o.fin_retransmits[CLIENT], ==, 2);
    g_assert_cmpuint(o.fin_retransmits[SERVER], ==, 0);
    g_assert_cmpuint(o.flags, ==,
                     FS_FLAG_BIT(FS_FLAG_THREE_WAY_CLOSE) |
                         FS_FLAG_BIT(FS_FLAG_FIN_RETRANSMIT));
    g_assert_false(o.half_close);
    g_assert_cmpint(o.handshake, ==, fs_classify_handshake(&conn));

    /* FINs at 2 and 3 ns, the last payload at 1 ns, data after a FIN */
    conn.ep[CLIENT].fin_time = 2;
    conn.ep[SERVER].fin_time = 3;
    conn.ep[SERVER].last_payload_time = 1;
    conn.ep[SERVER].bytes_after_peer_fin = 10;
    fs_classify_outcome(&conn, &o);
    g_assert_cmpint(o.close_duration, ==, 5 - 2);
    g_assert_cmpint(o.idle_before_close, ==, 2 - 1);
    g_assert_true(o.half_close);
    g_assert_true(o.flags & FS_FLAG_BIT(FS_FLAG_HALF_CLOSE));
}

/* Sets what makes conn carry flag f (and nothing else). */
static void
set_flag(FsConn *conn, FsFlag f)
{
    switch (f) {
    case FS_FLAG_SIMULTANEOUS_CLOSE: conn->simultaneous = 1; return;
    case FS_FLAG_THREE_WAY_CLOSE: conn->three_way_close = 1; return;
    case FS_FLAG_HALF_CLOSE: conn->ep[SERVER].bytes_after_peer_fin = 1;
                             return;
    case FS_FLAG_FIN_RETRANSMIT: conn->ep[SERVER].fin_count = 2; return;
    case FS_FLAG_FINAL_ACK_LOST: conn->final_ack_lost = 1; return;
    case FS_FLAG_DATA_AFTER_FIN: conn->ep[CLIENT].bytes_after_own_fin = 1;
                                 return;
    case FS_FLAG_RST_ANSWERS_FIN: conn->rst_answers_fin = 1; return;
    case FS_FLAG_ABORT_AFTER_CLOSE: conn->aborted_after_close = 1; return;
    case FS_FLAG_RST_IGNORED: conn->rst_ignored = 1; return;
    case FS_FLAG_PEER_SILENT: conn->peer_silent = 1; return;
    case FS_FLAG_FIN_BEYOND_DATA: conn->fin_beyond_data = 1; return;
    case FS_FLAG_TIME_WAIT_ASSASSINATED: conn->tw_assassinated = 1; return;
    case FS_FLAG_REUSE_IN_TIME_WAIT: conn->reuse_in_time_wait = 1; return;
    case FS_FLAG_REUSE_REJECTED:
        conn->reuse.outcome = FS_REUSE_REJECTED_RST;
        return;
    case FS_FLAG_DUPLICATE_FRAME: conn->duplicate_frames = 1; return;
    case FS_FLAG_OLD_DUPLICATE: conn->old_duplicates = 1; return;
    case FS_FLAG_CAPTURE_LOSS: conn->capture_loss = 1; return;
    case FS_FLAG_ILLEGAL_FLAGS: conn->illegal_flags = 1; return;
    case FS_FLAG_ONE_SIDED: conn->ep[SERVER].seen = 0; return;
    case FS_FLAG_ROLES_INFERRED: conn->roles_inferred = 1; return;
    case FS_FLAG_EVICTED: conn->evicted = 1; return;
    case FS_FLAG_N: break;
    }
    g_assert_not_reached();
}

/* Each trait sets its one bit in the outcome, and fs_classify_flags()
 * names exactly the bits the outcome carries. */
static void
test_outcome_flags(void)
{
    for (int f = 0; f < FS_FLAG_N; f++) {
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        FsConn conn;
        FsOutcome o;

        client_closed(&conn, "10.0.0.1", "10.0.0.2");
        conn.ep[CLIENT].fin_count = 1;
        conn.three_way_close = 0;
        set_flag(&conn, (FsFlag)f);
        fs_classify_outcome(&conn, &o);
        g_assert_cmpuint(o.flags, ==, FS_FLAG_BIT(f));
        fs_classify_flags(&conn, names);
        g_assert_cmpuint(names->len, ==, 1);
        g_assert_cmpstr(g_ptr_array_index(names, 0), ==,
                        fs_flag_name((FsFlag)f));
    }
}

/* Sums, TIME_WAIT by host, and an evicted record's TIME_WAIT not at the
 * end. */
static void
test_sums(void)
{
    FsTally t;
    FsConn conn;
    g_autoptr(GPtrArray) hosts = NULL;
    const FsHostCount *hc = NULL;

    fs_tally_init(&t);
    client_closed(&conn, "10.0.0.1", "10.0.0.9");
    fs_tally_add_conn(&t, &conn);
    fs_tally_add_conn(&t, &conn);
    client_closed(&conn, "10.0.0.2", "10.0.0.9");
    fs_tally_add_conn(&t, &conn);
    conn.evicted = 1;
    fs_tally_add_conn(&t, &conn);
    g_assert_cmpuint(t.connections, ==, 4);
    g_assert_cmpuint(t.by_close[FS_CLOSE_GRACEFUL], ==, 4);
    g_assert_cmpuint(t.by_closer[FS_CLOSER_CLIENT], ==, 4);
    g_assert_cmpuint(t.by_flag[FS_FLAG_THREE_WAY_CLOSE], ==, 4);
    g_assert_cmpuint(t.by_flag[FS_FLAG_EVICTED], ==, 1);
    g_assert_cmpuint(t.fin_retransmits, ==, 8);
    g_assert_cmpuint(t.end_states[FS_TCP_TIME_WAIT], ==, 4);
    g_assert_cmpuint(t.time_wait_at_end, ==, 3);
    hosts = fs_tally_time_wait_hosts(&t);
    g_assert_cmpuint(hosts->len, ==, 2);
    hc = g_ptr_array_index(hosts, 0);
    g_assert_cmpstr(hc->host, ==, "10.0.0.1");
    g_assert_cmpuint(hc->count, ==, 2);
    hc = g_ptr_array_index(hosts, 1);
    g_assert_cmpstr(hc->host, ==, "10.0.0.2");
    g_assert_cmpuint(hc->count, ==, 1);
    fs_tally_clear(&t);
}

/* TIME_WAIT hosts are counted by address but listed by text: equal
 * counts in text order ("10.0.0.10" before "10.0.0.2"), an IPv4 address
 * with stray bytes past its four the same host as without. */
static void
test_time_wait_hosts_order(void)
{
    FsTally t;
    FsConn conn;
    g_autoptr(GPtrArray) hosts = NULL;
    const FsHostCount *hc = NULL;

    fs_tally_init(&t);
    client_closed(&conn, "10.0.0.2", "10.0.0.1");
    fs_tally_add_conn(&t, &conn);
    client_closed(&conn, "10.0.0.9", "10.0.0.1");
    fs_tally_add_conn(&t, &conn);
    client_closed(&conn, "10.0.0.10", "10.0.0.1");
    fs_tally_add_conn(&t, &conn);
    client_closed(&conn, "10.0.0.9", "10.0.0.1");
    conn.addr[CLIENT].bytes[9] = 0x5a;
    fs_tally_add_conn(&t, &conn);
    hosts = fs_tally_time_wait_hosts(&t);
    g_assert_cmpuint(hosts->len, ==, 3);
    hc = g_ptr_array_index(hosts, 0);
    g_assert_cmpstr(hc->host, ==, "10.0.0.9");
    g_assert_cmpuint(hc->count, ==, 2);
    hc = g_ptr_array_index(hosts, 1);
    g_assert_cmpstr(hc->host, ==, "10.0.0.10");
    g_assert_cmpuint(hc->count, ==, 1);
    hc = g_ptr_array_index(hosts, 2);
    g_assert_cmpstr(hc->host, ==, "10.0.0.2");
    g_assert_cmpuint(hc->count, ==, 1);
    fs_tally_clear(&t);
}

/* The endpoints mask keeps an endpoint's own counts out, not the
 * connection's. */
static void
test_endpoint_mask(void)
{
    FsTally t;
    FsConn conn;
    FsOutcome o;

    client_closed(&conn, "10.0.0.1", "10.0.0.9");
    fs_classify_outcome(&conn, &o);
    fs_tally_init(&t);
    fs_tally_add(&t, &o, conn.addr, 1u << SERVER);
    g_assert_cmpuint(t.connections, ==, 1);
    g_assert_cmpuint(t.by_closer[FS_CLOSER_CLIENT], ==, 1);
    g_assert_cmpuint(t.fin_retransmits, ==, 0);
    g_assert_cmpuint(t.time_wait_at_end, ==, 0);
    g_assert_cmpuint(t.end_states[FS_TCP_CLOSED], ==, 1);
    fs_tally_clear(&t);
}

/* Each catalogue field is found by its name and reads the tally. */
static void
test_catalogue(void)
{
    guint n = 0;
    const FsTallyField *fields = fs_tally_fields(&n);
    const FsTallyField *f = NULL;
    FsTally t;
    FsConn conn;

    g_assert_cmpuint(n, >, 20);
    for (guint i = 0; i < n; i++) {
        f = fs_tally_field_find(fields[i].name, strlen(fields[i].name));
        g_assert_true(f == &fields[i]);
        g_assert_nonnull(f->meaning);
    }
    g_assert_null(fs_tally_field_find("resetsx", 7));
    g_assert_nonnull(fs_tally_field_find("resetsx", 6));
    fs_tally_init(&t);
    client_closed(&conn, "10.0.0.1", "10.0.0.9");
    fs_tally_add_conn(&t, &conn);
    f = fs_tally_field_find("fin_retransmits", 15);
    g_assert_true(f->per_endpoint);
    g_assert_cmpuint(fs_tally_field_value(f, &t), ==, 2);
    f = fs_tally_field_find("three_way_closes", 16);
    g_assert_false(f->per_endpoint);
    g_assert_cmpuint(fs_tally_field_value(f, &t), ==, 1);
    f = fs_tally_field_find("time_wait_at_end", 16);
    g_assert_cmpuint(fs_tally_field_value(f, &t), ==, 1);
    f = fs_tally_field_find("resets", 6);
    g_assert_cmpuint(fs_tally_field_value(f, &t), ==, 0);
    fs_tally_clear(&t);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tally/flags/names", test_flag_names);
    g_test_add_func("/tally/outcome", test_outcome);
    g_test_add_func("/tally/outcome/flags", test_outcome_flags);
    g_test_add_func("/tally/sums", test_sums);
    g_test_add_func("/tally/time-wait-hosts/order",
                    test_time_wait_hosts_order);
    g_test_add_func("/tally/endpoint-mask", test_endpoint_mask);
    g_test_add_func("/tally/catalogue", test_catalogue);
    return g_test_run();
}
