/* finscope tests: verdicts as pure functions of a connection record. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/classify.h"
#include "finscope/engine.h"

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

/* One handshake case: what the capture showed of both ends. */
typedef struct {
    const char *what;
    guint8 syn_seen, c_seen, s_seen;   /* the client's SYN; each side */
    guint8 s_isn_known;                /* the server's SYN-ACK */
    guint8 c_ack_seen;                 /* the client sent an ACK */
    FsTcpState c_state, s_state;       /* end states */
    gint64 s_since_s;                  /* server entered s_state, s */
    gint8 rst_from;                    /* first RST's sender */
    FsTcpState rst_state, rst_peer;    /* its sender's, receiver's state */
    guint8 fin, evicted;               /* client FIN sent; record evicted */
    gint64 settled_s;                  /* record settled at, s */
    const char *want;
} HandshakeCase;

#define C FS_ROLE_CLIENT
#define S FS_ROLE_SERVER
#define N FS_ROLE_NONE
#define UNK FS_TCP_UNKNOWN
#define SSNT FS_TCP_SYN_SENT
#define SRCV FS_TCP_SYN_RECEIVED
#define EST FS_TCP_ESTABLISHED
#define TW FS_TCP_TIME_WAIT
#define CLD FS_TCP_CLOSED
static const HandshakeCase handshake_cases[] = {
    /* what          syn c s isn ack c_st s_st since rst r_st r_peer fin ev
     *   settled want */
    { "normal",          1,1,1,1,1, TW,  CLD, 0, N, 0,   0,   1,0, 10,
      "completed" },
    { "midstream",       0,1,1,0,1, EST, EST, 0, N, 0,   0,   0,0, 10,
      "not_seen" },
    { "syn alone",       1,1,0,0,0, SSNT,UNK, 0, N, 0,   0,   0,0, 10,
      "syn_unanswered" },
    { "syn, client rst", 1,1,0,0,0, CLD, UNK, 0, C, SSNT,UNK, 0,0, 10,
      "syn_unanswered" },
    { "rst to syn",      1,1,1,0,0, CLD, UNK, 0, S, UNK, SSNT,0,0, 10,
      "refused" },
    { "synack, rst",     1,1,1,1,0, CLD, CLD, 0, C, SSNT,SRCV,0,0, 10,
      "given_up" },
    { "synack, 63 s",    1,1,1,1,0, EST, SRCV,1, N, 0,   0,   0,0, 64,
      "given_up" },
    { "synack, 62 s",    1,1,1,1,0, EST, SRCV,1, N, 0,   0,   0,0, 63,
      "unfinished" },
    { "synack evicted",  1,1,1,1,0, EST, SRCV,1, N, 0,   0,   0,1, 2,
      "given_up" },
    { "acked, then rst", 1,1,1,1,1, CLD, CLD, 0, C, EST, EST, 0,0, 10,
      "completed" },
    { "client side only",1,1,0,0,1, EST, UNK, 0, N, 0,   0,   0,0, 10,
      "completed" },
    { "server side only",0,0,1,1,0, UNK, SRCV,0, N, 0,   0,   0,0, 10,
      "not_seen" },
};
#undef C
#undef S
#undef N
#undef UNK
#undef SSNT
#undef SRCV
#undef EST
#undef TW
#undef CLD

static void
test_handshake_table(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(handshake_cases); i++) {
        const HandshakeCase *t = &handshake_cases[i];
        FsConn c = conn_new();

        c.syn_seen = t->syn_seen;
        c.ep[FS_ROLE_CLIENT].seen = t->c_seen;
        c.ep[FS_ROLE_SERVER].seen = t->s_seen;
        c.ep[FS_ROLE_SERVER].isn_known = t->s_isn_known;
        c.ep[FS_ROLE_CLIENT].isn_known = t->syn_seen;
        c.ep[FS_ROLE_CLIENT].ack_seen = t->c_ack_seen;
        c.ep[FS_ROLE_CLIENT].state = t->c_state;
        c.ep[FS_ROLE_SERVER].state = t->s_state;
        c.ep[FS_ROLE_SERVER].state_since = t->s_since_s * FS_NS_PER_SEC;
        c.rst_from = t->rst_from;
        c.rst_state = (guint8)t->rst_state;
        c.rst_peer_state = (guint8)t->rst_peer;
        c.ep[FS_ROLE_CLIENT].fin_sent = t->fin;
        c.evicted = t->evicted;
        c.settled_at = t->settled_s * FS_NS_PER_SEC;
        g_test_message("%s", t->what);
        g_assert_cmpstr(fs_handshake_name(fs_classify_handshake(&c)), ==,
                        t->want);
    }
    /* the engine drops an unanswered SYN-ACK at the same time */
    g_assert_cmpint(FS_CLASSIFY_SYNACK_GIVE_UP, ==, FS_ENGINE_SYNACK_GIVE_UP);
}

/* Last payload before any FIN to the first FIN, else the first RST. */
static void
test_idle_before_close(void)
{
    FsConn c = conn_new();

    g_assert_cmpint(fs_classify_idle_before_close(&c), ==, -1);
    c.ep[FS_ROLE_CLIENT].last_payload_time = 100;
    c.ep[FS_ROLE_SERVER].last_payload_time = 400;
    g_assert_cmpint(fs_classify_idle_before_close(&c), ==, -1); /* open */
    c.rst_time = 1000;
    g_assert_cmpint(fs_classify_idle_before_close(&c), ==, 600);
    c.ep[FS_ROLE_SERVER].fin_time = 900;
    g_assert_cmpint(fs_classify_idle_before_close(&c), ==, 500);
    c.ep[FS_ROLE_CLIENT].fin_time = 700; /* the first FIN counts */
    g_assert_cmpint(fs_classify_idle_before_close(&c), ==, 300);
    c.ep[FS_ROLE_CLIENT].last_payload_time = FS_TIME_UNSET;
    c.ep[FS_ROLE_SERVER].last_payload_time = FS_TIME_UNSET;
    g_assert_cmpint(fs_classify_idle_before_close(&c), ==, -1); /* no data */
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/classify/close-kind", test_close_kind);
    g_test_add_func("/classify/closer-by-ack", test_closer_by_ack);
    g_test_add_func("/classify/end-state-unknown", test_end_state_unknown);
    g_test_add_func("/classify/state-names", test_state_names);
    g_test_add_func("/classify/handshake-table", test_handshake_table);
    g_test_add_func("/classify/idle-before-close", test_idle_before_close);
    return g_test_run();
}
