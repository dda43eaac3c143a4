/* finscope tests: the lean path's step (fs_tcpstate_steady_step) does to
 * a connection exactly what fs_tcpstate_segment does, on every segment
 * fs_tcpstate_steady accepts, and emits nothing. Random segments (data,
 * ACKs, retransmissions, ACKs beyond the data, windows, timestamps, and
 * now and then a FIN, RST or SYN) run through both. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/conn.h"
#include "finscope/decode.h"
#include "finscope/event.h"
#include "finscope/tcpoutcome.h"
#include "finscope/tcpstate.h"

/* fs_tcpstate_segment(), its events counted into *events. */
static void
full_segment(FsConn *conn, FsRole sender, const FsSegment *seg,
             guint *events)
{
    FsTcpOutcome out;

    fs_tcp_outcome_init(&out);
    *events += fs_tcp_outcome_len(fs_tcpstate_segment(conn, sender, seg,
                                                      NULL, &out));
    fs_tcp_outcome_clear(&out);
}

static void
segment(FsSegment *seg, FsRole sender, const char *flags, guint32 seq,
        guint32 ack, guint32 len, FsTime ts)
{
    memset(seg, 0, sizeof *seg);
    seg->ts = ts;
    seg->src.family = 4;
    seg->dst.family = 4;
    seg->src.bytes[3] = sender == FS_ROLE_CLIENT ? 1 : 2;
    seg->dst.bytes[3] = sender == FS_ROLE_CLIENT ? 2 : 1;
    seg->sport = sender == FS_ROLE_CLIENT ? 40000 : 80;
    seg->dport = sender == FS_ROLE_CLIENT ? 80 : 40000;
    seg->seq = seq;
    seg->ack = ack;
    seg->payload_len = len;
    seg->window = 1000;
    seg->wscale = FS_WSCALE_NONE;
    for (const char *f = flags; *f != '\0'; f++) {
        switch (*f) {
        case 'S': seg->flags |= FS_TH_SYN; break;
        case 'F': seg->flags |= FS_TH_FIN; break;
        case 'R': seg->flags |= FS_TH_RST; break;
        case 'P': seg->flags |= FS_TH_PSH; break;
        case 'A': seg->flags |= FS_TH_ACK; break;
        default: g_assert_not_reached();
        }
    }
}

/* A connection after its handshake, both ends ESTABLISHED. */
static void
open_conn(FsConn *conn, GRand *rng, FsTime ts, guint *events)
{
    guint32 ciss = g_rand_int(rng);
    guint32 siss = g_rand_int(rng);
    FsSegment seg;

    memset(conn, 0, sizeof *conn);
    fs_conn_init(conn);
    conn->addr[FS_ROLE_CLIENT].family = 4;
    conn->addr[FS_ROLE_SERVER].family = 4;
    conn->addr[FS_ROLE_CLIENT].bytes[3] = 1;
    conn->addr[FS_ROLE_SERVER].bytes[3] = 2;
    conn->port[FS_ROLE_CLIENT] = 40000;
    conn->port[FS_ROLE_SERVER] = 80;
    segment(&seg, FS_ROLE_CLIENT, "S", ciss, 0, 0, ts);
    seg.wscale = (guint8)g_rand_int_range(rng, 0, 8);
    full_segment(conn, FS_ROLE_CLIENT, &seg, events);
    segment(&seg, FS_ROLE_SERVER, "SA", siss, ciss + 1, 0, ts + 1000);
    seg.wscale = (guint8)g_rand_int_range(rng, 0, 8);
    full_segment(conn, FS_ROLE_SERVER, &seg, events);
    segment(&seg, FS_ROLE_CLIENT, "A", ciss + 1, siss + 1, 0, ts + 2000);
    full_segment(conn, FS_ROLE_CLIENT, &seg, events);
    g_assert_cmpint(conn->ep[FS_ROLE_CLIENT].state, ==, FS_TCP_ESTABLISHED);
    g_assert_cmpint(conn->ep[FS_ROLE_SERVER].state, ==, FS_TCP_ESTABLISHED);
}

/* A segment from sender: mostly new data or pure ACKs, sometimes a
 * retransmission, an ACK of bytes never sent, a FIN, RST or SYN. */
static void
random_segment(FsSegment *seg, GRand *rng, const FsConn *conn,
               FsRole sender, FsTime ts)
{
    const FsEndpoint *self = &conn->ep[sender];
    const FsEndpoint *peer = &conn->ep[fs_role_peer(sender)];
    static const char *const rare[] = { "FA", "R", "RA", "S", "SA", "F",
                                        "" };
    guint32 len = g_rand_boolean(rng) ? 0 : g_rand_int_range(rng, 1, 1461);
    guint32 seq = self->snd_nxt;
    guint32 ack = peer->snd_nxt;
    int r = g_rand_int_range(rng, 0, 100);

    if (r < 10)
        seq -= g_rand_int_range(rng, 1, 3000);   /* sent again */
    else if (r < 14)
        seq += g_rand_int_range(rng, 1, 3000);   /* bytes missed */
    r = g_rand_int_range(rng, 0, 100);
    if (r < 15)
        ack -= g_rand_int_range(rng, 0, 3000);   /* an older ACK */
    else if (r < 18)
        ack += 1;                                /* a FIN not seen? */
    else if (r < 21)
        ack += g_rand_int_range(rng, 2, 3000);   /* bytes never seen */
    segment(seg, sender, g_rand_boolean(rng) ? "A" : "PA", seq, ack, len,
            ts);
    if (g_rand_int_range(rng, 0, 300) == 0)
        segment(seg, sender, rare[g_rand_int_range(rng, 0, G_N_ELEMENTS(rare))],
                seq, ack, len, ts);
    seg->window = (guint16)g_rand_int_range(rng, 0, 65536);
    if (g_rand_int_range(rng, 0, 4) != 0) {
        seg->has_ts = TRUE;
        /* now and then an older TSval */
        seg->tsval = (guint32)(ts / 1000000) -
                     (g_rand_int_range(rng, 0, 10) == 0 ? 5000 : 0);
    }
    seg->hdr_hash = g_rand_int(rng);
}

static void
test_steady_step_equals_segment(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(16);
    FsConn conn;
    FsConn full;
    FsTime ts = G_GINT64_CONSTANT(1767225600) * FS_NS_PER_SEC;
    guint events = 0;
    guint steady = 0;
    guint other = 0;
    guint opened = 1;

    open_conn(&conn, rng, ts, &events);
    for (int i = 0; i < 200000; i++) {
        FsRole sender = g_rand_boolean(rng) ? FS_ROLE_CLIENT : FS_ROLE_SERVER;
        FsSegment seg;
        guint full_events = 0;

        ts += g_rand_int_range(rng, 1, 50000000);
        random_segment(&seg, rng, &conn, sender, ts);
        if (!fs_tcpstate_steady(&conn, sender, &seg)) {
            other++;
            full_segment(&conn, sender, &seg, &events);
            if (conn.ep[FS_ROLE_CLIENT].state != FS_TCP_ESTABLISHED ||
                conn.ep[FS_ROLE_SERVER].state != FS_TCP_ESTABLISHED ||
                conn.ep[FS_ROLE_CLIENT].fin_sent ||
                conn.ep[FS_ROLE_SERVER].fin_sent ||
                conn.rst_from != FS_ROLE_NONE) {
                open_conn(&conn, rng, ts, &events);
                opened++;
            }
            continue;
        }
        steady++;
        full = conn;
        full_segment(&full, sender, &seg, &full_events);
        fs_tcpstate_steady_step(&conn, sender, &seg);
        g_assert_cmpuint(full_events, ==, 0);
        g_assert_cmpmem(&conn, sizeof conn, &full, sizeof full);
    }
    /* both kinds, and many connections, were exercised */
    g_assert_cmpuint(steady, >, 100000);
    g_assert_cmpuint(other, >, 4000);
    g_assert_cmpuint(opened, >, 100);
}

/* What the lean path must not take. */
static void
test_steady_refuses(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(1);
    FsConn conn;
    FsSegment seg;
    FsTime ts = G_GINT64_CONSTANT(1767225600) * FS_NS_PER_SEC;
    guint events = 0;
    guint32 cnxt;
    guint32 snxt;

    open_conn(&conn, rng, ts, &events);
    cnxt = conn.ep[FS_ROLE_CLIENT].snd_nxt;
    snxt = conn.ep[FS_ROLE_SERVER].snd_nxt;
    segment(&seg, FS_ROLE_CLIENT, "PA", cnxt, snxt, 100, ts + 10);
    g_assert_true(fs_tcpstate_steady(&conn, FS_ROLE_CLIENT, &seg));
    segment(&seg, FS_ROLE_CLIENT, "A", cnxt, snxt + 1, 0, ts + 10);
    g_assert_true(fs_tcpstate_steady(&conn, FS_ROLE_CLIENT, &seg));
    /* an ACK of bytes the peer never sent: capture loss, an event */
    segment(&seg, FS_ROLE_CLIENT, "A", cnxt, snxt + 2, 0, ts + 10);
    g_assert_false(fs_tcpstate_steady(&conn, FS_ROLE_CLIENT, &seg));
    segment(&seg, FS_ROLE_CLIENT, "FA", cnxt, snxt, 0, ts + 10);
    g_assert_false(fs_tcpstate_steady(&conn, FS_ROLE_CLIENT, &seg));
    segment(&seg, FS_ROLE_CLIENT, "R", cnxt, 0, 0, ts + 10);
    g_assert_false(fs_tcpstate_steady(&conn, FS_ROLE_CLIENT, &seg));
    segment(&seg, FS_ROLE_CLIENT, "P", cnxt, 0, 10, ts + 10);
    g_assert_false(fs_tcpstate_steady(&conn, FS_ROLE_CLIENT, &seg));
    /* once a FIN is out, nothing is steady */
    segment(&seg, FS_ROLE_SERVER, "FA", snxt, cnxt, 0, ts + 20);
    full_segment(&conn, FS_ROLE_SERVER, &seg, &events);
    segment(&seg, FS_ROLE_CLIENT, "PA", cnxt, snxt, 100, ts + 30);
    g_assert_false(fs_tcpstate_steady(&conn, FS_ROLE_CLIENT, &seg));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/steady/step-equals-segment",
                    test_steady_step_equals_segment);
    g_test_add_func("/steady/refuses", test_steady_refuses);
    return g_test_run();
}
