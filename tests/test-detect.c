/* finscope tests: detectors across incarnations of one 4-tuple — reuse
 * in TIME_WAIT, SYN to LAST_ACK, old duplicates, duplicate frames. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/classify.h"
#include "finscope/detect.h"
#include "finscope/flow.h"
#include "segscript.h"

/* First incarnation: ISNs 1000/5000, timestamps, 100 + 200 bytes, the
 * SERVER closes first and holds TIME_WAIT from 21 ms. */
#define FIRST_INCARNATION_SERVER_CLOSES                    \
    { C2S, "S",  1000, 0,    0,   0,  100, 0, 0 },            \
    { S2C, "SA", 5000, 1001, 0,   1,  900, 0, 0 },            \
    { C2S, "A",  1001, 5001, 0,   2,  101, 0, 0 },            \
    { C2S, "PA", 1001, 5001, 100, 3,  102, 0, 0 },            \
    { S2C, "PA", 5001, 1101, 200, 4,  901, 0, 0 },            \
    { C2S, "A",  1101, 5201, 0,   5,  103, 0, 0 },            \
    { S2C, "FA", 5201, 1101, 0,   10, 910, 0, 0 },            \
    { C2S, "FA", 1101, 5202, 0,   20, 110, 0, 0 },            \
    { S2C, "A",  5202, 1102, 0,   21, 911, 0, 0 }

/* 1 s later the client comes back from the same port with an ISN above
 * the old space and newer timestamps: the TIME_WAIT accepts it. */
static const FsScriptStep reuse_accepted[] = {
    FIRST_INCARNATION_SERVER_CLOSES,
    { C2S, "S",  900000, 0,      0, 1000, 1100, 0, 0 },
    { S2C, "SA", 700000, 900001, 0, 1001, 1900, 0, 0 },
    { C2S, "A",  900001, 700001, 0, 1002, 1101, 0, 0 },
};

/* The new SYN's ISN (500) is below the old space and it has no
 * timestamps: the TIME_WAIT answers with an ACK of the old connection. */
static const FsScriptStep reuse_unsafe_rejected[] = {
    FIRST_INCARNATION_SERVER_CLOSES,
    { C2S, "S", 500,  0,    0, 1000, 0,   0, 0 },
    { S2C, "A", 5202, 1102, 0, 1001, 912, 0, 0 },  /* old numbers */
};

/* That SYN sent again 500 ms later, its ISN the same, now with a TSval
 * (2000) newer than the client's last: the TIME_WAIT lets it through to
 * the listener, whose SYN-ACK (TSecr 2000) takes the TIME_WAIT over
 * (packetdrill-tw-syn-refused-then-newer). */
static const FsScriptStep reuse_refused_then_newer[] = {
    FIRST_INCARNATION_SERVER_CLOSES,
    { C2S, "S",  500,    0,    0, 1000, 0,    0, 0 },
    { S2C, "A",  5202,   1102, 0, 1001, 912,  0, 0 },  /* old numbers */
    { C2S, "S",  500,    0,    0, 1500, 2000, 0, 0 },
    { S2C, "SA", 700000, 501,  0, 1501, 1900, 0, 0 },
    { C2S, "A",  501,  700001, 0, 1502, 2001, 0, 0 },
};

/* The same SYN with a TSval (50) older than the client's last: PAWS in
 * the TIME_WAIT rejects it (RFC 7323 §5), an old duplicate (issue 12
 * §5): no new connection, nobody in SYN_SENT. */
static const FsScriptStep old_syn_older_tsval[] = {
    FIRST_INCARNATION_SERVER_CLOSES,
    { C2S, "S", 500,  0,    0, 1000, 50,  0, 0 },
    { S2C, "A", 5202, 1102, 0, 1001, 912, 0, 0 },  /* old numbers */
};

/* The same SYN with a TSval 120,000 ticks older than the client's last
 * (110): an MSL (2 min) at 1 ms a tick, as old as an old duplicate of
 * the client's own can be: still one. */
static const FsScriptStep old_syn_tsval_at_span[] = {
    FIRST_INCARNATION_SERVER_CLOSES,
    { C2S, "S", 500,  0,    0, 1000, 110u - 120000u, 0, 0 },
    { S2C, "A", 5202, 1102, 0, 1001, 912, 0, 0 },  /* old numbers */
};

/* One tick older than that: not the client's clock (another host behind
 * the same NAT address and port): a new connection, which the TIME_WAIT
 * refuses by PAWS with an ACK of the old one (nat-time-wait-paws). */
static const FsScriptStep nat_syn_older_clock[] = {
    FIRST_INCARNATION_SERVER_CLOSES,
    { C2S, "S", 500,  0,    0, 1000, 110u - 120001u, 0, 0 },
    { S2C, "A", 5202, 1102, 0, 1001, 912, 0, 0 },  /* old numbers */
};

/* Client closes first; its final ACK is lost; the server sits in
 * LAST_ACK when the client reconnects from the same port. Linux answers
 * with a challenge ACK, the client RSTs it, and the retried SYN wins. */
static const FsScriptStep syn_to_last_ack[] = {
    { C2S, "S",  1000, 0,    0,   0,  0, 0, 0 },
    { S2C, "SA", 5000, 1001, 0,   1,  0, 0, 0 },
    { C2S, "A",  1001, 5001, 0,   2,  0, 0, 0 },
    { C2S, "FA", 1001, 5001, 0,   10, 0, 0, 0 },
    { S2C, "A",  5001, 1002, 0,   11, 0, 0, 0 },
    { S2C, "FA", 5001, 1002, 0,   20, 0, 0, 0 },
    { C2S, "A",  1002, 5002, 0,   21, 0, 0, 0 },      /* lost after sensor */
    { S2C, "FA", 5001, 1002, 0,   230, 0, 0, 0 },     /* server re-sends */
    { C2S, "S",  800000, 0,  0,   300, 0, 0, 0 },     /* reconnect */
    { S2C, "A",  5002, 1002, 0,   301, 0, 0, 0 },     /* challenge ACK */
    { C2S, "R",  1002, 0,    0,   302, 0, 0, 0 },     /* from SYN_SENT */
    { C2S, "S",  800000, 0,  0,   1300, 0, 0, 0 },    /* SYN retried */
    { S2C, "SA", 600000, 800001, 0, 1301, 0, 0, 0 },
    { C2S, "A",  800001, 600001, 0, 1302, 0, 0, 0 },
};

/* The same with timestamps, the new SYN's TSval (100) older than the
 * client's last (5000230) by more than an MSL of ticks: another host
 * behind the same NAT address and port (nat-last-ack-paws). The old
 * client's TIME_WAIT is not taken over; the RST at the challenge ACK's
 * ack is that host's SYN_SENT's and ends the server's LAST_ACK only. */
static const FsScriptStep nat_syn_to_last_ack[] = {
    { C2S, "S",  1000, 0,    0,   0,    5000000, 0, 0 },
    { S2C, "SA", 5000, 1001, 0,   1,    700,     0, 0 },
    { C2S, "A",  1001, 5001, 0,   2,    5000002, 0, 0 },
    { C2S, "FA", 1001, 5001, 0,   10,   5000010, 0, 0 },
    { S2C, "A",  5001, 1002, 0,   11,   711,     0, 0 },
    { S2C, "FA", 5001, 1002, 0,   20,   720,     0, 0 },
    { C2S, "A",  1002, 5002, 0,   21,   5000021, 0, 0 }, /* lost */
    { S2C, "FA", 5001, 1002, 0,   230,  930,     0, 0 }, /* re-sent */
    { C2S, "A",  1002, 5002, 0,   231,  5000231, 0, 0 }, /* TIME_WAIT */
    { C2S, "S",  800000, 0,  0,   1300, 100,     0, 0 }, /* host B */
    { S2C, "A",  5002, 1002, 0,   1301, 2001,    0, 0 }, /* challenge */
    { C2S, "R",  1002, 0,    0,   1302, 0,       0, 0 }, /* B's SYN_SENT */
    { C2S, "S",  800000, 0,  0,   1310, 110,     0, 0 }, /* SYN again */
    { S2C, "SA", 600000, 800001, 0, 1311, 2011,  0, 0 },
    { C2S, "A",  800001, 600001, 0, 1312, 111,   0, 0 },
};

/* The server closes first and the client acks its FIN, never closing:
 * the server's (orphaned) FIN_WAIT_2. 0.8 s later a SYN from the
 * client's port is answered with RST+ACK acking it (Linux's timewait
 * socket in FIN_WAIT_2: TCP_TW_RST, packetdrill c43), which ends that
 * FIN_WAIT_2. */
#define FW2_BEFORE_SYN                                      \
    { C2S, "S",  1000,   0,    0, 0,   0, 0, 0 },              \
    { S2C, "SA", 5000,   1001, 0, 1,   0, 0, 0 },              \
    { C2S, "A",  1001,   5001, 0, 2,   0, 0, 0 },              \
    { S2C, "FA", 5001,   1001, 0, 10,  0, 0, 0 },              \
    { C2S, "A",  1001,   5002, 0, 20,  0, 0, 0 }
#define FW2_THEN_SYN                                        \
    FW2_BEFORE_SYN,                                         \
    { C2S, "S",  800000, 0,    0, 800, 0, 0, 0 }
static const FsScriptStep fw2_syn_reset[] = {
    FW2_THEN_SYN,
    { S2C, "RA", 0, 800001, 0, 801, 0, 0, 0 },
};

/* The same RST acking something else than the SYN: not its answer. */
static const FsScriptStep fw2_syn_reset_other_ack[] = {
    FW2_THEN_SYN,
    { S2C, "RA", 0, 700001, 0, 801, 0, 0, 0 },
};

/* The server's port answers a SYN above the old space with an RST
 * acking it (a BSD TIME_WAIT closes at such a SYN, and no listener took
 * it; not Linux's answer): the TIME_WAIT was gone by that RST. */
static const FsScriptStep time_wait_syn_reset[] = {
    FIRST_INCARNATION_SERVER_CLOSES,
    { C2S, "S",  900000, 0,      0, 1000, 1100, 0, 0 },
    { S2C, "RA", 0,      900001, 0, 1001, 0,    0, 0 },
};

/* A LAST_ACK whose final ACK passed the sensor (then CLOSED), its port
 * with no listener: a SYN from the peer's port is answered with an RST
 * acking it, a closed port's (a LAST_ACK answers a SYN with a challenge
 * ACK): it ended nothing, the close was done at that ACK (review of
 * session 22, packetdrill p3). */
static const FsScriptStep last_ack_done_syn_reset[] = {
    { C2S, "S",  1000,   0,      0, 0,   0, 0, 0 },
    { S2C, "SA", 5000,   1001,   0, 1,   0, 0, 0 },
    { C2S, "A",  1001,   5001,   0, 2,   0, 0, 0 },
    { C2S, "FA", 1001,   5001,   0, 10,  0, 0, 0 },
    { S2C, "A",  5001,   1002,   0, 11,  0, 0, 0 },
    { S2C, "FA", 5001,   1002,   0, 20,  0, 0, 0 },
    { C2S, "A",  1002,   5002,   0, 21,  0, 0, 0 },
    { C2S, "S",  800000, 0,      0, 800, 0, 0, 0 },
    { S2C, "RA", 0,      800001, 0, 801, 0, 0, 0 },
};

/* A SYN carrying 10 bytes (TCP Fast Open) to an orphaned FIN_WAIT_2:
 * Linux's RST acks them too (tcp_v4_send_reset()). */
static const FsScriptStep fw2_syn_data_reset[] = {
    FW2_BEFORE_SYN,
    { C2S, "S",  800000, 0,      10, 800, 0, 0, 0 },
    { S2C, "RA", 0,      800011, 0,  801, 0, 0, 0 },
};

/* A FIN_WAIT_1 whose FIN no ACK answered in the capture: the RST acking
 * the SYN is not proof it was in FIN_WAIT_2 (a Linux FIN_WAIT_1, a full
 * socket, answers a SYN with a challenge ACK: a middlebox's RST), and
 * its FIN comes again 1 s later (review of session 22, t3). */
static const FsScriptStep fw1_syn_reset_fin_again[] = {
    { C2S, "S",  1000,   0,      0, 0,    0, 0, 0 },
    { S2C, "SA", 5000,   1001,   0, 1,    0, 0, 0 },
    { C2S, "A",  1001,   5001,   0, 2,    0, 0, 0 },
    { S2C, "FA", 5001,   1001,   0, 10,   0, 0, 0 },
    { C2S, "S",  900000, 0,      0, 5000, 0, 0, 0 },
    { S2C, "RA", 0,      900001, 0, 5001, 0, 0, 0 },
    { S2C, "FA", 5001,   1001,   0, 6000, 0, 0, 0 },
};

/* An ESTABLISHED server (data acked) answers the client's new SYN with
 * an RST acking it: a Linux socket answers with a challenge ACK, so the
 * RST is a port's (its state lost unseen) or a middlebox's; it is not
 * taken to end the old state (review of session 22, t2b: it took the
 * handshake with it). */
static const FsScriptStep established_syn_reset[] = {
    { C2S, "S",  1000,   0,      0,   0,   0, 0, 0 },
    { S2C, "SA", 5000,   1001,   0,   1,   0, 0, 0 },
    { C2S, "A",  1001,   5001,   0,   2,   0, 0, 0 },
    { C2S, "PA", 1001,   5001,   100, 3,   0, 0, 0 },
    { S2C, "A",  5001,   1101,   0,   4,   0, 0, 0 },
    { C2S, "S",  900000, 0,      0,   800, 0, 0, 0 },
    { S2C, "RA", 0,      900001, 0,   801, 0, 0, 0 },
};

/* How many state events of res took cause. */
static guint
count_cause(const FsScriptResult *res, FsCause cause)
{
    guint n = 0;

    for (guint i = 0; i < res->events->len; i++) {
        const FsEvent *ev = &g_array_index(res->events, FsEvent, i);

        n += ev->kind == FS_EV_STATE && ev->transition.cause == cause;
    }
    return n;
}

/* Client closes first (client TIME_WAIT); the server's data segment
 * 5001+200 shows up again 2 s later: absorbed by the TIME_WAIT. */
static const FsScriptStep old_dup_in_time_wait[] = {
    { C2S, "S",  1000, 0,    0,   0,  0, 0, 0 },
    { S2C, "SA", 5000, 1001, 0,   1,  0, 0, 0 },
    { C2S, "A",  1001, 5001, 0,   2,  0, 0, 0 },
    { S2C, "PA", 5001, 1001, 200, 3,  0, 0, 0 },
    { C2S, "A",  1001, 5201, 0,   4,  0, 0, 0 },
    { C2S, "FA", 1001, 5201, 0,   10, 0, 0, 0 },
    { S2C, "FA", 5201, 1002, 0,   11, 0, 0, 0 },
    { C2S, "A",  1002, 5202, 0,   12, 0, 0, 0 },
    { S2C, "PA", 5001, 1001, 200, 2000, 0, 0, 0 },  /* old copy */
    { C2S, "A",  1002, 5202, 0,   2001, 0, 0, 0 },  /* TIME_WAIT re-acks */
};

/* Reuse whose new server ISN (5100) lands the old segment 5001+200
 * inside the new window; with no timestamps nothing stops it. Then the
 * same with timestamps: PAWS rejects it. */
#define REUSE_NEAR_OLD_SPACE(ts_old, ts_new)                         \
    { C2S, "S",  1000, 0,    0,   0,  ts_old, 0, 0 },                   \
    { S2C, "SA", 5000, 1001, 0,   1,  ts_old, 0, 0 },                   \
    { C2S, "A",  1001, 5001, 0,   2,  ts_old, 0, 0 },                   \
    { S2C, "PA", 5001, 1001, 200, 3,  ts_old, 0, 0 },                   \
    { C2S, "A",  1001, 5201, 0,   4,  ts_old, 0, 0 },                   \
    { C2S, "FA", 1001, 5201, 0,   10, ts_old, 0, 0 },                   \
    { S2C, "FA", 5201, 1002, 0,   11, ts_old, 0, 0 },                   \
    { C2S, "A",  1002, 5202, 0,   12, ts_old, 0, 0 },                   \
    { C2S, "S",  1500, 0,    0,   1000, ts_new, 0, 0 },                 \
    { S2C, "SA", 4990, 1501, 0,   1001, ts_new, 0, 0 },                 \
    { C2S, "A",  1501, 4991, 0,   1002, ts_new, 0, 0 },                 \
    { S2C, "PA", 5001, 1001, 200, 1500, ts_old, 0, 0 }  /* the old copy */

static const FsScriptStep old_dup_accepted[] = {
    REUSE_NEAR_OLD_SPACE(0, 0),
};

static const FsScriptStep old_dup_paws[] = {
    REUSE_NEAR_OLD_SPACE(100, 5000),
};

/* Each frame captured twice, 0 ms apart (two interfaces). */
static const FsScriptStep duplicate_frames[] = {
    { C2S, "S",  1000, 0,    0, 0,  0, 0, 0 },
    { C2S, "S",  1000, 0,    0, 0,  0, 0, 0 },
    { S2C, "SA", 5000, 1001, 0, 1,  0, 0, 0 },
    { S2C, "SA", 5000, 1001, 0, 1,  0, 0, 0 },
    { C2S, "A",  1001, 5001, 0, 2,  0, 0, 0 },
    { C2S, "RA", 1001, 5001, 0, 10, 0, 0, 0 },
    { C2S, "RA", 1001, 5001, 0, 10, 0, 0, 0 },
};

#define RUN(steps) fs_script_run(steps, G_N_ELEMENTS(steps), NULL)

static void
test_reuse_accepted(void)
{
    g_autoptr(FsScriptResult) res = RUN(reuse_accepted);
    const FsConn *old = fs_script_conn(res, 0);
    const FsConn *neu = fs_script_conn(res, 1);

    g_assert_cmpuint(res->conns->len, ==, 2);
    g_assert_cmpuint(neu->reuse_of, ==, old->id);
    g_assert_true(neu->reuse_in_time_wait);
    g_assert_cmpint(neu->reuse.holder, ==, FS_ROLE_SERVER);
    g_assert_cmpint(neu->reuse.holder_state, ==, FS_TCP_TIME_WAIT);
    g_assert_true(neu->reuse.isn_above);
    g_assert_true(neu->reuse.ts_known);
    g_assert_true(neu->reuse.ts_newer);
    g_assert_cmpstr(fs_reuse_outcome_name(neu->reuse.outcome), ==,
                    "accepted");
    /* the TIME_WAIT was taken over by the new connection */
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_SERVER), ==,
                    FS_TCP_CLOSED);
    g_assert_cmpint(fs_classify_end_state(neu, FS_ROLE_CLIENT), ==,
                    FS_TCP_ESTABLISHED);
    g_assert_cmpuint(fs_script_count(res, FS_EV_REUSE_IN_TIME_WAIT,
                                     FS_ROLE_NONE), ==, 1);
}

static void
test_reuse_unsafe_rejected(void)
{
    g_autoptr(FsScriptResult) res = RUN(reuse_unsafe_rejected);
    const FsConn *old = fs_script_conn(res, 0);
    const FsConn *neu = fs_script_conn(res, 1);

    g_assert_true(neu->reuse_in_time_wait);
    g_assert_false(neu->reuse.isn_above);
    g_assert_false(neu->reuse.ts_newer);
    g_assert_cmpstr(fs_reuse_outcome_name(neu->reuse.outcome), ==,
                    "challenge_ack");
    g_assert_cmpuint(fs_script_count(res, FS_EV_REUSE_REJECTED,
                                     FS_ROLE_SERVER), ==, 1);
    /* the old-numbered ACK belonged to the old connection */
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_SERVER), ==,
                    FS_TCP_TIME_WAIT);
    g_assert_cmpuint(neu->ep[FS_ROLE_SERVER].seen, ==, 0);
}

static void
test_old_syn_older_tsval(void)
{
    g_autoptr(FsScriptResult) res = RUN(old_syn_older_tsval);
    const FsConn *old = fs_script_conn(res, 0);

    g_assert_cmpuint(res->conns->len, ==, 1);
    g_assert_cmpuint(old->old_duplicates, ==, 1);
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_SERVER), ==,
                    FS_TCP_TIME_WAIT);
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_CLIENT), ==,
                    FS_TCP_CLOSED);
    g_assert_cmpuint(fs_script_count(res, FS_EV_REUSE_REJECTED,
                                     FS_ROLE_NONE), ==, 0);
}

static void
test_reuse_refused_then_newer(void)
{
    g_autoptr(FsScriptResult) res = RUN(reuse_refused_then_newer);
    const FsConn *old = fs_script_conn(res, 0);
    const FsConn *neu = fs_script_conn(res, 1);

    g_assert_cmpuint(res->conns->len, ==, 2);
    g_assert_cmpuint(neu->reuse_of, ==, old->id);
    g_assert_true(neu->reuse_in_time_wait);
    g_assert_cmpint(neu->reuse.holder, ==, FS_ROLE_SERVER);
    g_assert_cmpint(neu->reuse.holder_state, ==, FS_TCP_TIME_WAIT);
    /* judged by the SYN the listener answered */
    g_assert_false(neu->reuse.isn_above);
    g_assert_true(neu->reuse.ts_known);
    g_assert_true(neu->reuse.ts_newer);
    g_assert_cmpint(neu->reuse.outcome, ==, FS_REUSE_ACCEPTED);
    /* since the first SYN, when the reuse began */
    g_assert_cmpint(neu->reuse.since_close, ==, 979 * FS_NS_PER_MSEC);
    /* the first refusal stays an event */
    g_assert_cmpuint(fs_script_count(res, FS_EV_REUSE_REJECTED,
                                     FS_ROLE_NONE), ==, 1);
    /* the TIME_WAIT ended at the SYN-ACK, taken over */
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_SERVER), ==,
                    FS_TCP_CLOSED);
    g_assert_cmpint(fs_endpoint_time_wait_end(&old->ep[FS_ROLE_SERVER],
                                              30 * FS_NS_PER_SEC),
                    ==, FS_SCRIPT_T0 + 1501 * FS_NS_PER_MSEC);
    g_assert_cmpint(fs_classify_end_state(neu, FS_ROLE_CLIENT), ==,
                    FS_TCP_ESTABLISHED);
}

static void
test_old_syn_tsval_at_span(void)
{
    g_autoptr(FsScriptResult) res = RUN(old_syn_tsval_at_span);
    const FsConn *old = fs_script_conn(res, 0);

    g_assert_cmpuint(res->conns->len, ==, 1);
    g_assert_cmpuint(old->old_duplicates, ==, 1);
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_SERVER), ==,
                    FS_TCP_TIME_WAIT);
}

static void
test_nat_syn_older_clock(void)
{
    g_autoptr(FsScriptResult) res = RUN(nat_syn_older_clock);
    const FsConn *old = fs_script_conn(res, 0);
    const FsConn *neu = fs_script_conn(res, 1);

    g_assert_cmpuint(res->conns->len, ==, 2);
    g_assert_cmpuint(old->old_duplicates, ==, 0);
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_SERVER), ==,
                    FS_TCP_TIME_WAIT);
    g_assert_true(neu->reuse_in_time_wait);
    g_assert_cmpint(neu->reuse.holder, ==, FS_ROLE_SERVER);
    g_assert_cmpint(neu->reuse.holder_state, ==, FS_TCP_TIME_WAIT);
    g_assert_true(neu->reuse.ts_known);
    g_assert_false(neu->reuse.ts_newer);
    g_assert_cmpint(neu->reuse.outcome, ==, FS_REUSE_CHALLENGE_ACK);
    g_assert_cmpint(fs_classify_end_state(neu, FS_ROLE_CLIENT), ==,
                    FS_TCP_SYN_SENT);
    g_assert_cmpuint(fs_script_count(res, FS_EV_REUSE_REJECTED,
                                     FS_ROLE_NONE), ==, 1);
}

static void
test_syn_to_last_ack(void)
{
    g_autoptr(FsScriptResult) res = RUN(syn_to_last_ack);
    const FsConn *old = fs_script_conn(res, 0);
    const FsConn *neu = fs_script_conn(res, 1);

    g_assert_cmpuint(res->conns->len, ==, 2);
    g_assert_cmpint(neu->reuse.holder, ==, FS_ROLE_SERVER);
    g_assert_cmpint(neu->reuse.holder_state, ==, FS_TCP_LAST_ACK);
    /* the client took its own TIME_WAIT over to reconnect */
    g_assert_true(neu->reuse_in_time_wait);
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_CLIENT), ==,
                    FS_TCP_CLOSED);
    g_assert_cmpstr(fs_reuse_outcome_name(neu->reuse.outcome), ==,
                    "challenge_ack");
    g_assert_cmpuint(old->final_ack_lost, ==, 1);
    /* the client's RST ended the old LAST_ACK; the retry got through */
    g_assert_cmpint(old->rst_from, ==, FS_ROLE_CLIENT);
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_SERVER), ==,
                    FS_TCP_CLOSED);
    g_assert_cmpint(neu->rst_from, ==, FS_ROLE_NONE);
    g_assert_cmpint(fs_classify_end_state(neu, FS_ROLE_SERVER), ==,
                    FS_TCP_ESTABLISHED);
}

static void
test_fw2_syn_reset(void)
{
    g_autoptr(FsScriptResult) res = RUN(fw2_syn_reset);
    const FsConn *old = fs_script_conn(res, 0);
    const FsConn *neu = fs_script_conn(res, 1);

    g_assert_cmpuint(res->conns->len, ==, 2);
    g_assert_cmpint(neu->reuse.holder, ==, FS_ROLE_SERVER);
    g_assert_cmpint(neu->reuse.holder_state, ==, FS_TCP_FIN_WAIT_2);
    g_assert_cmpstr(fs_reuse_outcome_name(neu->reuse.outcome), ==,
                    "rejected_rst");
    /* the RST ended the FIN_WAIT_2 (its FIN's ACK taken as arrived
     * first): nothing left stuck at the end */
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_SERVER), ==,
                    FS_TCP_CLOSED);
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_CLIENT), ==,
                    FS_TCP_CLOSED);
    g_assert_true(old->ep[FS_ROLE_SERVER].fin_acked);
    g_assert_cmpuint(fs_script_count(res, FS_EV_REUSE_REJECTED,
                                     FS_ROLE_SERVER), ==, 1);
    /* the old record's own RST fields stay unset: the RST is the new
     * connection's */
    g_assert_cmpint(old->rst_from, ==, FS_ROLE_NONE);
    g_assert_cmpint(neu->rst_from, ==, FS_ROLE_SERVER);
}

static void
test_fw2_syn_reset_other_ack(void)
{
    g_autoptr(FsScriptResult) res = RUN(fw2_syn_reset_other_ack);
    const FsConn *old = fs_script_conn(res, 0);

    g_assert_cmpuint(res->conns->len, ==, 2);
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_SERVER), ==,
                    FS_TCP_FIN_WAIT_2);
}

static void
test_time_wait_syn_reset(void)
{
    g_autoptr(FsScriptResult) res = RUN(time_wait_syn_reset);
    const FsConn *old = fs_script_conn(res, 0);
    const FsConn *neu = fs_script_conn(res, 1);

    g_assert_cmpuint(res->conns->len, ==, 2);
    g_assert_cmpint(neu->reuse.holder_state, ==, FS_TCP_TIME_WAIT);
    g_assert_cmpstr(fs_reuse_outcome_name(neu->reuse.outcome), ==,
                    "rejected_rst");
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_SERVER), ==,
                    FS_TCP_CLOSED);
}

static void
test_last_ack_done_syn_reset(void)
{
    g_autoptr(FsScriptResult) res = RUN(last_ack_done_syn_reset);
    const FsConn *old = fs_script_conn(res, 0);

    g_assert_cmpuint(res->conns->len, ==, 2);
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_SERVER), ==,
                    FS_TCP_CLOSED);
    /* closed at its final ACK, not by the RST (the new connection's
     * own server went CLOSED by it: one send_rst) */
    g_assert_cmpuint(count_cause(res, FS_CAUSE_SEND_RST), ==, 1);
}

static void
test_fw2_syn_data_reset(void)
{
    g_autoptr(FsScriptResult) res = RUN(fw2_syn_data_reset);
    const FsConn *old = fs_script_conn(res, 0);

    g_assert_cmpuint(res->conns->len, ==, 2);
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_SERVER), ==,
                    FS_TCP_CLOSED);
    g_assert_cmpuint(count_cause(res, FS_CAUSE_SEND_RST), ==, 2);
}

static void
test_fw1_syn_reset_fin_again(void)
{
    g_autoptr(FsScriptResult) res = RUN(fw1_syn_reset_fin_again);

    g_assert_cmpuint(res->conns->len, ==, 2);
    /* only the new connection's server: the old FIN_WAIT_1 not ended */
    g_assert_cmpuint(count_cause(res, FS_CAUSE_SEND_RST), ==, 1);
}

static void
test_established_syn_reset(void)
{
    g_autoptr(FsScriptResult) res = RUN(established_syn_reset);
    const FsConn *old = fs_script_conn(res, 0);

    g_assert_cmpuint(res->conns->len, ==, 2);
    g_assert_cmpuint(count_cause(res, FS_CAUSE_SEND_RST), ==, 1);
    g_assert_cmpstr(fs_handshake_name(fs_classify_handshake(old)),
                    ==, "completed");
}

static void
test_nat_syn_to_last_ack(void)
{
    g_autoptr(FsScriptResult) res = RUN(nat_syn_to_last_ack);
    const FsConn *old = fs_script_conn(res, 0);
    const FsConn *neu = fs_script_conn(res, 1);

    g_assert_cmpuint(res->conns->len, ==, 2);
    g_assert_cmpint(neu->reuse.holder, ==, FS_ROLE_SERVER);
    g_assert_cmpint(neu->reuse.holder_state, ==, FS_TCP_LAST_ACK);
    g_assert_true(neu->reuse_in_time_wait);
    g_assert_cmpstr(fs_reuse_outcome_name(neu->reuse.outcome), ==,
                    "challenge_ack");
    /* host A's TIME_WAIT runs on: 2*MSL from its last ACK of a FIN */
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_CLIENT), ==,
                    FS_TCP_TIME_WAIT);
    g_assert_cmpint(fs_endpoint_time_wait_end(&old->ep[FS_ROLE_CLIENT],
                                              30 * FS_NS_PER_SEC),
                    ==, FS_SCRIPT_T0 + 60231 * FS_NS_PER_MSEC);
    g_assert_cmpuint(fs_script_count(res, FS_EV_RST_ANSWERS_FIN,
                                     FS_ROLE_NONE), ==, 0);
    /* host B's RST ended the server's LAST_ACK */
    g_assert_cmpint(old->rst_from, ==, FS_ROLE_CLIENT);
    g_assert_cmpint(old->rst_state, ==, FS_TCP_CLOSED);
    g_assert_cmpint(fs_classify_end_state(old, FS_ROLE_SERVER), ==,
                    FS_TCP_CLOSED);
    g_assert_cmpint(fs_classify_end_state(neu, FS_ROLE_SERVER), ==,
                    FS_TCP_ESTABLISHED);
}

static void
test_old_dup_in_time_wait(void)
{
    g_autoptr(FsScriptResult) res = RUN(old_dup_in_time_wait);
    const FsConn *c = fs_script_conn(res, 0);

    g_assert_cmpuint(res->conns->len, ==, 1);
    g_assert_cmpuint(c->old_duplicates, ==, 1);
    g_assert_cmpuint(c->old_dup.during_time_wait, ==, 1);
    g_assert_cmpuint(c->old_dup.in_window, ==, 0);
    g_assert_cmpint(fs_classify_end_state(c, FS_ROLE_CLIENT), ==,
                    FS_TCP_TIME_WAIT);
    g_assert_cmpuint(c->ep[FS_ROLE_SERVER].bytes, ==, 200);
}

static void
test_old_dup_accepted(void)
{
    g_autoptr(FsScriptResult) res = RUN(old_dup_accepted);
    const FsConn *neu = fs_script_conn(res, 1);

    g_assert_cmpuint(neu->old_duplicates, ==, 1);
    g_assert_cmpuint(neu->old_dup.in_window, ==, 1);
    g_assert_cmpuint(neu->old_dup.paws_rejected, ==, 0);
    g_assert_cmpuint(neu->ep[FS_ROLE_SERVER].bytes, ==, 0);
}

static void
test_old_dup_paws(void)
{
    g_autoptr(FsScriptResult) res = RUN(old_dup_paws);
    const FsConn *neu = fs_script_conn(res, 1);

    g_assert_cmpuint(neu->old_duplicates, ==, 1);
    g_assert_cmpuint(neu->old_dup.in_window, ==, 1);
    g_assert_cmpuint(neu->old_dup.paws_rejected, ==, 1);
}

/* Plain closes raise no old-duplicate or reuse alarm. */
static void
test_no_false_alarm(void)
{
    static const FsScriptStep plain[] = {
        FIRST_INCARNATION_SERVER_CLOSES,
    };
    g_autoptr(FsScriptResult) res = RUN(plain);
    const FsConn *c = fs_script_conn(res, 0);

    g_assert_cmpuint(c->old_duplicates, ==, 0);
    g_assert_cmpuint(c->duplicate_frames, ==, 0);
    g_assert_cmpint(c->reuse.outcome, ==, FS_REUSE_NONE);
}

static void
test_duplicate_frames(void)
{
    g_autoptr(FsScriptResult) res = RUN(duplicate_frames);
    const FsConn *c = fs_script_conn(res, 0);

    g_assert_cmpuint(res->conns->len, ==, 1);
    g_assert_cmpuint(c->duplicate_frames, ==, 3);
    g_assert_cmpuint(c->ep[FS_ROLE_CLIENT].rst_count, ==, 1);
    g_assert_cmpuint(fs_script_count(res, FS_EV_DUPLICATE_FRAME,
                                     FS_ROLE_NONE), ==, 1);
}

/* ---- verdicts, without the engine: the detectors judge, the test
 * does what the engine would (tcpstate applies the actions) ---- */

#define TWO_MSL (60 * FS_NS_PER_SEC)

/* An incarnation opened by syn (its sender the client), after older. */
static void
conn_open(FsConn *c, guint64 id, const FsSegment *syn, FsConn *older)
{
    memset(c, 0, sizeof *c);
    fs_conn_init(c);
    c->id = id;
    c->addr[FS_ROLE_CLIENT] = syn->src;
    c->port[FS_ROLE_CLIENT] = syn->sport;
    c->addr[FS_ROLE_SERVER] = syn->dst;
    c->port[FS_ROLE_SERVER] = syn->dport;
    c->older = older;
}

/* The state machine alone takes seg on c. */
static void
machine(FsConn *c, const FsSegment *seg)
{
    FsTcpConfig cfg = { .rfc1337 = FALSE };
    FsTcpOutcome out;

    fs_tcp_outcome_init(&out);
    fs_tcpstate_segment(c, fs_conn_sender_role(c, seg), seg, &cfg, &out);
    fs_tcp_outcome_clear(&out);
}

/* The first incarnation, steps[0] its SYN, through the machine alone. */
static void
first_incarnation(FsConn *c, const FsScriptStep *steps, gsize n)
{
    FsSegment seg;

    fs_script_segment(&steps[0], &seg);
    conn_open(c, 1, &seg, NULL);
    for (gsize i = 0; i < n; i++) {
        fs_script_segment(&steps[i], &seg);
        machine(c, &seg);
    }
}

/* The server in TIME_WAIT accepts the client's new SYN: the reuse is
 * noted (an event, nothing to change yet); the SYN-ACK proves the old
 * final ACKs and asks for the server's TIME_WAIT to be taken over — a
 * verdict only, until the test has tcpstate apply it. */
static void
test_verdict_reuse_accepted(void)
{
    static const FsScriptStep first[] = { FIRST_INCARNATION_SERVER_CLOSES };
    static const FsScriptStep syn =
        { C2S, "S",  900000, 0,      0, 1000, 1100, 0, 0 };
    static const FsScriptStep syn_ack =
        { S2C, "SA", 700000, 900001, 0, 1001, 1900, 0, 0 };
    FsConn old;
    FsConn neu;
    FsSegment seg;
    FsDetectVerdict v;
    FsTcpOutcome out;
    const FsEvent *ev;

    first_incarnation(&old, first, G_N_ELEMENTS(first));
    g_assert_cmpint(old.ep[FS_ROLE_SERVER].state, ==, FS_TCP_TIME_WAIT);
    fs_script_segment(&syn, &seg);
    conn_open(&neu, 2, &seg, &old);
    fs_detect_reuse(&old, &neu, &seg, &v);
    g_assert_true(v.conn == &neu);
    g_assert_true(v.prev == &old);
    g_assert_cmpint(v.role, ==, FS_ROLE_CLIENT);
    g_assert_false(v.skip);
    g_assert_false(v.settle_acks);
    g_assert_cmpint(v.ack_lost, ==, FS_ROLE_NONE);
    g_assert_cmpuint(v.reused, ==, 0); /* the client held no TIME_WAIT */
    g_assert_cmpuint(fs_tcp_outcome_len(&v.events), ==, 1);
    g_assert_cmpuint(v.actions_at, ==, 1);
    ev = fs_tcp_outcome_at(&v.events, 0);
    g_assert_cmpstr(fs_event_kind_name(ev->kind), ==, "reuse_in_time_wait");
    g_assert_true(ev->conn == &neu);
    g_assert_cmpint(ev->role, ==, FS_ROLE_SERVER);
    g_assert_cmpint(neu.reuse.holder_state, ==, FS_TCP_TIME_WAIT);
    fs_detect_verdict_clear(&v);
    machine(&neu, &seg);

    fs_script_segment(&syn_ack, &seg);
    fs_detect_segment(&neu, FS_ROLE_SERVER, &seg, &v);
    g_assert_true(v.conn == &neu);
    g_assert_cmpint(v.role, ==, FS_ROLE_SERVER);
    g_assert_false(v.skip);
    g_assert_true(v.prev == &old);
    g_assert_true(v.settle_acks);
    g_assert_cmpint(v.ack_lost, ==, FS_ROLE_NONE);
    g_assert_cmpuint(v.reused, ==, 1u << FS_ROLE_SERVER);
    g_assert_cmpuint(fs_tcp_outcome_len(&v.events), ==, 0);
    g_assert_cmpstr(fs_reuse_outcome_name(neu.reuse.outcome), ==,
                    "accepted");
    /* judged, not done: the old TIME_WAIT is still there */
    g_assert_cmpint(old.ep[FS_ROLE_SERVER].state, ==, FS_TCP_TIME_WAIT);
    fs_detect_verdict_clear(&v);

    fs_tcp_outcome_init(&out);
    fs_tcpstate_settle_acks(&old, seg.ts, &out);
    fs_tcpstate_force(&old, FS_ROLE_SERVER, FS_TCP_CLOSED, FS_CAUSE_REUSED,
                      seg.ts, &out);
    g_assert_cmpuint(fs_tcp_outcome_count_cause(&out, FS_CAUSE_REUSED), ==,
                     1);
    ev = fs_tcp_outcome_at(&out, fs_tcp_outcome_len(&out) - 1);
    g_assert_cmpint(ev->role, ==, FS_ROLE_SERVER);
    g_assert_cmpint(ev->transition.from, ==, FS_TCP_TIME_WAIT);
    g_assert_cmpint(ev->transition.to, ==, FS_TCP_CLOSED);
    fs_tcp_outcome_clear(&out);
    g_assert_cmpint(old.ep[FS_ROLE_SERVER].state, ==, FS_TCP_CLOSED);
}

/* The client reconnects while the server, whose final ACK passed the
 * sensor, is still in LAST_ACK: the client's own TIME_WAIT is taken
 * over (after the event), and the server's challenge ACK, an answer
 * from the old connection, says that final ACK was lost (before the
 * rejection event); the ACK itself goes to the old incarnation. */
static void
test_verdict_challenge_ack(void)
{
    static const FsScriptStep first[] = {
        { C2S, "S",  1000, 0,    0, 0,  0, 0, 0 },
        { S2C, "SA", 5000, 1001, 0, 1,  0, 0, 0 },
        { C2S, "A",  1001, 5001, 0, 2,  0, 0, 0 },
        { C2S, "FA", 1001, 5001, 0, 10, 0, 0, 0 },
        { S2C, "A",  5001, 1002, 0, 11, 0, 0, 0 },
        { S2C, "FA", 5001, 1002, 0, 20, 0, 0, 0 },
        { C2S, "A",  1002, 5002, 0, 21, 0, 0, 0 },  /* lost after sensor */
    };
    static const FsScriptStep syn = { C2S, "S", 800000, 0, 0, 300, 0, 0, 0 };
    static const FsScriptStep challenge =
        { S2C, "A", 5002, 1002, 0, 301, 0, 0, 0 };
    FsConn old;
    FsConn neu;
    FsSegment seg;
    FsDetectVerdict v;
    FsTcpOutcome out;

    first_incarnation(&old, first, G_N_ELEMENTS(first));
    g_assert_cmpint(old.ep[FS_ROLE_CLIENT].state, ==, FS_TCP_TIME_WAIT);
    fs_script_segment(&syn, &seg);
    conn_open(&neu, 2, &seg, &old);
    fs_tcp_outcome_init(&out);
    fs_tcpstate_expire(&old, seg.ts, TWO_MSL, &out);
    fs_tcp_outcome_clear(&out);
    fs_detect_reuse(&old, &neu, &seg, &v);
    g_assert_cmpuint(v.reused, ==, 1u << FS_ROLE_CLIENT);
    g_assert_cmpuint(fs_tcp_outcome_len(&v.events), ==, 1);
    g_assert_cmpuint(v.actions_at, ==, 1);
    fs_detect_verdict_clear(&v);
    fs_tcpstate_force(&old, FS_ROLE_CLIENT, FS_TCP_CLOSED, FS_CAUSE_REUSED,
                      seg.ts, &out);
    g_assert_cmpuint(fs_tcp_outcome_count_cause(&out, FS_CAUSE_REUSED), ==,
                     1);
    fs_tcp_outcome_clear(&out);
    machine(&neu, &seg);

    fs_script_segment(&challenge, &seg);
    fs_detect_segment(&neu, FS_ROLE_SERVER, &seg, &v);
    g_assert_true(v.prev == &old);
    g_assert_false(v.settle_acks);
    g_assert_cmpint(v.ack_lost, ==, FS_ROLE_SERVER);
    g_assert_cmpuint(v.reused, ==, 0);
    g_assert_cmpuint(v.actions_at, ==, 0);
    g_assert_cmpuint(fs_tcp_outcome_len(&v.events), ==, 1);
    g_assert_cmpstr(fs_event_kind_name(fs_tcp_outcome_at(&v.events,
                                                         0)->kind),
                    ==, "reuse_rejected");
    g_assert_cmpstr(fs_reuse_outcome_name(neu.reuse.outcome), ==,
                    "challenge_ack");
    /* the old-numbered ACK belongs to the old incarnation's server */
    g_assert_true(v.conn == &old);
    g_assert_cmpint(v.role, ==, FS_ROLE_SERVER);
    g_assert_false(v.skip);
    g_assert_cmpuint(old.final_ack_lost, ==, 0);
    fs_detect_verdict_clear(&v);

    fs_tcpstate_ack_lost(&old, FS_ROLE_SERVER, seg.ts, &out);
    g_assert_cmpuint(fs_tcp_outcome_len(&out), >=, 1);
    g_assert_cmpstr(fs_event_kind_name(fs_tcp_outcome_at(&out, 0)->kind),
                    ==, "final_ack_lost");
    fs_tcp_outcome_clear(&out);
    g_assert_cmpuint(old.final_ack_lost, ==, 1);
    /* the state the verdict's reason named is the one ack_lost left */
    g_assert_cmpint(neu.reuse.holder_state, ==, FS_TCP_LAST_ACK);
    g_assert_cmpint(old.ep[FS_ROLE_SERVER].state, ==,
                    neu.reuse.holder_state);
}

/* A LAST_ACK proven CLOSED by silence answers a new SYN from the old
 * state: ack_lost takes it back to LAST_ACK, as the detector foresaw. */
static void
test_verdict_after_ack_lost(void)
{
    static const FsScriptStep first[] = {
        { C2S, "S",  1000, 0,    0, 0,  0, 0, 0 },
        { S2C, "SA", 5000, 1001, 0, 1,  0, 0, 0 },
        { C2S, "A",  1001, 5001, 0, 2,  0, 0, 0 },
        { C2S, "FA", 1001, 5001, 0, 10, 0, 0, 0 },
        { S2C, "A",  5001, 1002, 0, 11, 0, 0, 0 },
        { S2C, "FA", 5001, 1002, 0, 20, 0, 0, 0 },
        { C2S, "A",  1002, 5002, 0, 21, 0, 0, 0 },
    };
    FsConn old;
    FsTcpOutcome out;
    FsTcpState foreseen;

    first_incarnation(&old, first, G_N_ELEMENTS(first));
    fs_tcp_outcome_init(&out);
    /* pending, the ACK is dropped, the state stays */
    g_assert_cmpint(fs_tcpstate_after_ack_lost(&old, FS_ROLE_SERVER), ==,
                    FS_TCP_LAST_ACK);
    fs_tcpstate_settle_acks(&old, FS_SCRIPT_T0 + 10 * FS_NS_PER_SEC, &out);
    fs_tcp_outcome_clear(&out);
    g_assert_cmpint(old.ep[FS_ROLE_SERVER].state, ==, FS_TCP_CLOSED);
    foreseen = fs_tcpstate_after_ack_lost(&old, FS_ROLE_SERVER);
    g_assert_cmpint(foreseen, ==, FS_TCP_LAST_ACK);
    fs_tcpstate_ack_lost(&old, FS_ROLE_SERVER,
                         FS_SCRIPT_T0 + 11 * FS_NS_PER_SEC, &out);
    g_assert_cmpuint(fs_tcp_outcome_count_cause(&out, FS_CAUSE_ACK_LOST), ==,
                     1);
    fs_tcp_outcome_clear(&out);
    g_assert_cmpint(old.ep[FS_ROLE_SERVER].state, ==, foreseen);
    /* the client's acted-on ACK would take its TIME_WAIT back too */
    g_assert_cmpint(fs_tcpstate_after_ack_lost(&old, FS_ROLE_CLIENT), ==,
                    FS_TCP_CLOSING);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/detect/reuse/accepted", test_reuse_accepted);
    g_test_add_func("/detect/reuse/unsafe-rejected",
                    test_reuse_unsafe_rejected);
    g_test_add_func("/detect/reuse/old-syn-older-tsval",
                    test_old_syn_older_tsval);
    g_test_add_func("/detect/reuse/refused-then-newer",
                    test_reuse_refused_then_newer);
    g_test_add_func("/detect/reuse/old-syn-tsval-at-span",
                    test_old_syn_tsval_at_span);
    g_test_add_func("/detect/reuse/nat-syn-older-clock",
                    test_nat_syn_older_clock);
    g_test_add_func("/detect/reuse/syn-to-last-ack", test_syn_to_last_ack);
    g_test_add_func("/detect/reuse/nat-syn-to-last-ack",
                    test_nat_syn_to_last_ack);
    g_test_add_func("/detect/reuse/fin-wait-2-syn-reset",
                    test_fw2_syn_reset);
    g_test_add_func("/detect/reuse/fin-wait-2-syn-reset-other-ack",
                    test_fw2_syn_reset_other_ack);
    g_test_add_func("/detect/reuse/time-wait-syn-reset",
                    test_time_wait_syn_reset);
    g_test_add_func("/detect/reuse/last-ack-done-syn-reset",
                    test_last_ack_done_syn_reset);
    g_test_add_func("/detect/reuse/fin-wait-2-syn-data-reset",
                    test_fw2_syn_data_reset);
    g_test_add_func("/detect/reuse/fin-wait-1-syn-reset-fin-again",
                    test_fw1_syn_reset_fin_again);
    g_test_add_func("/detect/reuse/established-syn-reset",
                    test_established_syn_reset);
    g_test_add_func("/detect/old-dup/time-wait", test_old_dup_in_time_wait);
    g_test_add_func("/detect/old-dup/accepted", test_old_dup_accepted);
    g_test_add_func("/detect/old-dup/paws", test_old_dup_paws);
    g_test_add_func("/detect/no-false-alarm", test_no_false_alarm);
    g_test_add_func("/detect/duplicate-frames", test_duplicate_frames);
    g_test_add_func("/detect/verdict/reuse-accepted",
                    test_verdict_reuse_accepted);
    g_test_add_func("/detect/verdict/challenge-ack",
                    test_verdict_challenge_ack);
    g_test_add_func("/detect/verdict/after-ack-lost",
                    test_verdict_after_ack_lost);
    return g_test_run();
}
