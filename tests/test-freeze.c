/* finscope tests: frozen connections — lossless, compact, and invisible
 * in what the engine reports. (Every segment-script test also runs its
 * script never frozen and frozen at every sweep and compares: segscript.c.) */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include <glib.h>

#include "finscope/classify.h"
#include "finscope/freeze.h"
#include "finscope/pipeline.h"
#include "finscope/stage.h"
#include "finscope/tcpoutcome.h"
#include "finscope/tcpstate.h"
#include "segscript.h"

/* A value of the kinds the encoding treats apart: unset, equal to its
 * base, near it on either side, anything. */
static guint64
pick(GRand *rng, guint64 base, guint64 max)
{
    guint64 any = ((guint64)g_rand_int(rng) << 32 | g_rand_int(rng)) & max;

    switch (g_rand_int_range(rng, 0, 5)) {
    case 0: return 0;
    case 1: return base & max;
    case 2: return (base + (guint64)g_rand_int_range(rng, 1, 100000)) & max;
    case 3: return (base - (guint64)g_rand_int_range(rng, 1, 100000)) & max;
    default: return any;
    }
}

/* Times are whole multiples of this many nanoseconds (1000: a capture
 * in microseconds, which the encoding codes in microseconds). */
static FsTime time_unit = 1;

static FsTime
pick_time(GRand *rng, FsTime base)
{
    FsTime t = (FsTime)pick(rng, (guint64)base, (guint64)FS_TIME_MAX - 1);

    if (g_rand_int_range(rng, 0, 6) == 0)
        return FS_TIME_UNSET; /* and 0 (1970) stays a time */
    return t - t % time_unit;
}

static void
random_endpoint(GRand *rng, FsEndpoint *ep, FsTime t_last)
{
    ep->state = (FsTcpState)g_rand_int_range(rng, 0, FS_TCP_N_STATES);
    ep->isn = g_rand_int(rng);
    ep->snd_nxt = (guint32)pick(rng, ep->isn, G_MAXUINT32);
    ep->max_ack = g_rand_int(rng);
    ep->fin_seq = (guint32)pick(rng, ep->snd_nxt - 1, G_MAXUINT32);
    ep->fin_ack = g_rand_int(rng);
    ep->first_tsval = g_rand_int(rng);
    ep->last_tsval = (guint32)pick(rng, ep->first_tsval, G_MAXUINT32);
    ep->rcv_wnd = (guint32)pick(rng, 65535, G_MAXUINT32);
    ep->fin_count = (guint16)pick(rng, 1, G_MAXUINT16);
    ep->rst_count = (guint16)pick(rng, 1, G_MAXUINT16);
    ep->seen = g_rand_boolean(rng);
    ep->isn_known = g_rand_boolean(rng);
    ep->ack_seen = g_rand_boolean(rng);
    ep->fin_sent = g_rand_boolean(rng);
    ep->fin_acked = g_rand_boolean(rng);
    ep->ts_seen = g_rand_boolean(rng);
    ep->recv_fin = g_rand_boolean(rng);
    ep->unseen_fin_acked = g_rand_boolean(rng);
    ep->fin_acked_lost = g_rand_boolean(rng);
    ep->fin_pending = g_rand_boolean(rng);
    ep->fin_ack_proven = g_rand_boolean(rng);
    ep->ack_carrier_seen = g_rand_boolean(rng);
    ep->undecided = (guint8)g_rand_int_range(rng, 0, 3);
    ep->rtt_leg_us = (guint32)pick(rng, 1, G_MAXUINT32);
    ep->probe_end = g_rand_int(rng);
    ep->ack_carrier_end = g_rand_int(rng);
    ep->fin_gap = g_rand_boolean(rng);
    ep->ack_pending = g_rand_boolean(rng);
    ep->fin_gap_lo = g_rand_int(rng);
    ep->probe_ts = g_rand_boolean(rng) ? FS_TIME_UNSET
                                       : pick_time(rng, t_last);
    ep->wscale = (guint8)g_rand_int_range(rng, 0, 15);
    ep->state_since = pick_time(rng, t_last);
    ep->prev_fin_time = pick_time(rng, t_last);
    ep->fin_time = pick_time(rng, t_last);
    ep->last_fin_time = pick_time(rng, ep->fin_time);
    ep->fin_acked_time = pick_time(rng, ep->last_fin_time);
    ep->time_wait_since = pick_time(rng, t_last);
    /* a restart (0: none, most), after time_wait_since */
    ep->time_wait_restart_us =
        ep->time_wait_since != FS_TIME_UNSET && g_rand_int_range(rng, 0, 4) == 0
            ? (guint32)g_rand_int_range(rng, 1, G_MAXINT32)
            : 0;
    ep->last_payload_time = pick_time(rng, t_last);
    ep->bytes = pick(rng, 1000, G_MAXUINT64);
    ep->bytes_after_peer_fin = pick(rng, 1000, G_MAXUINT64);
    ep->bytes_after_own_fin = pick(rng, 1000, G_MAXUINT32);
}

/* Every field set, zeroed first so that padding compares equal. */
static void
random_conn(GRand *rng, FsConn *c)
{
    gboolean v6 = g_rand_boolean(rng);

    memset(c, 0, sizeof *c);
    for (int r = 0; r < 2; r++) {
        c->addr[r].family = v6 ? 6 : 4;
        for (int i = 0; i < (v6 ? 16 : 4); i++)
            c->addr[r].bytes[i] = (guint8)g_rand_int(rng);
    }
    c->port[0] = (guint16)g_rand_int(rng);
    c->port[1] = (guint16)g_rand_int(rng);
    c->older = (FsConn *)(gsize)0x1000;
    c->id = pick(rng, 1, G_MAXUINT64);
    c->vlan = g_rand_int(rng);
    c->deadline_slot = g_rand_int(rng);
    c->held_slot = g_rand_int(rng);
    c->t_last = (FsTime)g_rand_int_range(rng, 0, G_MAXINT32) * 1000000;
    c->t_first = pick_time(rng, c->t_last);
    for (int r = 0; r < 2; r++)
        random_endpoint(rng, &c->ep[r], c->t_last);
    c->close_done_time = pick_time(rng, c->t_last);
    c->rst_time = pick_time(rng, c->t_last);
    c->settled_at = pick_time(rng, c->t_last);
    c->packets = pick(rng, 10, G_MAXUINT64);
    c->reuse_of = pick(rng, c->id - 1, G_MAXUINT64);
    c->illegal_flags = g_rand_int(rng);
    c->old_duplicates = (guint32)pick(rng, 1, G_MAXUINT32);
    c->capture_loss = (guint32)pick(rng, 1, G_MAXUINT32);
    c->final_ack_lost = (guint32)pick(rng, 1, G_MAXUINT32);
    c->duplicate_frames = (guint32)pick(rng, 1, G_MAXUINT32);
    c->rst_from = (gint8)g_rand_int_range(rng, -1, 2);
    c->rst_ignored = (guint16)pick(rng, 1, G_MAXUINT16);
    c->aborted_after_close = g_rand_boolean(rng);
    c->rst_uncertain = g_rand_boolean(rng);
    c->peer_silent = g_rand_boolean(rng);
    c->rst_state = (guint8)g_rand_int_range(rng, 0, FS_TCP_N_STATES);
    c->rst_peer_state = (guint8)g_rand_int_range(rng, 0, FS_TCP_N_STATES);
    c->roles_inferred = g_rand_boolean(rng);
    c->syn_seen = g_rand_boolean(rng);
    c->simultaneous = g_rand_boolean(rng);
    c->three_way_close = g_rand_boolean(rng);
    c->reuse_in_time_wait = g_rand_boolean(rng);
    c->tw_assassinated = g_rand_boolean(rng);
    c->rst_answers_fin = g_rand_boolean(rng);
    c->fin_beyond_data = g_rand_boolean(rng);
    c->evicted = g_rand_boolean(rng);
    c->copy_proof_spent = g_rand_boolean(rng);
    c->rst_at_una = g_rand_boolean(rng);
    c->rst_outlived = g_rand_boolean(rng);
    c->rst_sender_talked = g_rand_boolean(rng);
    c->rst_sender_was = (guint8)g_rand_int_range(rng, 0, FS_TCP_N_STATES);
    c->fin_not_taken = (guint8)g_rand_int_range(rng, 0, 4);
    c->fin_rtx_crossed = (guint8)g_rand_int_range(rng, 0, 4);
    c->reuse.outcome = (guint8)g_rand_int_range(rng, 0, 5);
    c->reuse.holder = (gint8)g_rand_int_range(rng, -1, 2);
    c->reuse.holder_state = (guint8)g_rand_int_range(rng, 0, 12);
    c->reuse.isn_above = g_rand_boolean(rng);
    c->reuse.ts_known = g_rand_boolean(rng);
    c->reuse.ts_newer = g_rand_boolean(rng);
    c->reuse.since_close = (FsTime)pick(rng, 0, G_MAXUINT64);
    c->reuse.since_close -= c->reuse.since_close % time_unit;
    c->old_dup.in_window = g_rand_int(rng);
    c->old_dup.paws_rejected = g_rand_int(rng);
    c->old_dup.during_time_wait = g_rand_int(rng);
    c->first_frame = (guint32)pick(rng, 0, G_MAXUINT32);
    c->last_frame = (guint32)pick(rng, c->first_frame, G_MAXUINT32);
    c->first_source = (guint16)g_rand_int_range(rng, 0, 3);
    c->last_source = (guint16)g_rand_int_range(rng, 0, 3);
}

/* Frozen and thawed, every field comes back; in nanoseconds, in whole
 * microseconds, and in microseconds but for one time (nanoseconds
 * then). */
static void
round_trips(guint32 seed, FsTime unit, gboolean one_off)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(seed);

    time_unit = unit;
    for (int i = 0; i < 20000; i++) {
        FsConn c;
        FsConn back;
        g_autofree FsConn *frozen = NULL;

        random_conn(rng, &c);
        c.last_hash[0] = g_rand_int(rng);
        c.last_hash[1] = (guint32)pick(rng, 0, G_MAXUINT32);
        c.last_hash_ts[0] = pick_time(rng, c.t_last);
        c.last_hash_ts[1] = pick_time(rng, c.t_last);
        if (one_off)
            c.ep[i % 2].fin_acked_time = c.ep[i % 2].last_fin_time + 1;
        frozen = fs_conn_freeze(&c, NULL);
        g_assert_true(fs_conn_is_frozen(frozen));
        /* what the engine reads of a frozen connection */
        memcpy(&back, frozen, FS_CONN_LINKS_SIZE);
        back.frozen_len = 0;
        g_assert_cmpmem(&back, FS_CONN_LINKS_SIZE, &c, FS_CONN_LINKS_SIZE);
        fs_conn_addresses(frozen, back.addr);
        g_assert_cmpmem(back.addr, sizeof back.addr, c.addr, sizeof c.addr);
        g_assert_cmpuint(fs_conn_frozen_size(frozen), ==,
                         FS_CONN_LINKS_SIZE + (c.addr[0].family == 4 ? 9 : 34) +
                             frozen->frozen_len);
        /* every byte written by the thaw, padding included */
        memset(&back, 0xa5, sizeof back);
        g_assert_true(fs_conn_thaw_into(frozen, &back));
        g_assert_cmpmem(&back, sizeof back, &c, sizeof c);
    }
    time_unit = 1;
}

static void
test_round_trip(void)
{
    round_trips(7, 1, FALSE);
}

static void
test_round_trip_microseconds(void)
{
    round_trips(9, 1000, FALSE);
    round_trips(10, 1000, TRUE);
}

/* A damaged encoding is reported, not read past its end. */
static void
test_damaged(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(8);
    FsConn c;
    FsConn back;
    g_autofree FsConn *frozen = NULL;

    random_conn(rng, &c);
    frozen = fs_conn_freeze(&c, NULL);
    for (guint16 len = 1; len < frozen->frozen_len; len++) {
        guint16 full = frozen->frozen_len;

        frozen->frozen_len = len;
        g_assert_false(fs_conn_thaw_into(frozen, &back));
        frozen->frozen_len = full;
    }
    g_assert_true(fs_conn_thaw_into(frozen, &back));
}

/* A connection with data both ways, timestamps, the server closing first
 * and a retransmitted FIN, as the engine left it. */
static const FsScriptStep server_closes[] = {
    { C2S, "S",  1000, 0,    0,   0,   100, 0, 0 },
    { S2C, "SA", 5000, 1001, 0,   1,   900, 0, 0 },
    { C2S, "A",  1001, 5001, 0,   2,   101, 0, 0 },
    { C2S, "PA", 1001, 5001, 100, 3,   102, 0, 0 },
    { S2C, "PA", 5001, 1101, 200, 4,   901, 0, 0 },
    { C2S, "A",  1101, 5201, 0,   5,   103, 0, 0 },
    { S2C, "FA", 5201, 1101, 0,   10,  910, 0, 0 },
    { S2C, "FA", 5201, 1101, 0,   220, 930, 0, 0 },
    { C2S, "FA", 1101, 5202, 0,   221, 130, 0, 0 },
    { S2C, "A",  5202, 1102, 0,   222, 931, 0, 0 },
};

static void
test_compact(void)
{
    g_autoptr(FsScriptResult) res =
        fs_script_run(server_closes, G_N_ELEMENTS(server_closes), NULL);
    const FsConn *conn = fs_script_conn(res, 0);
    g_autofree FsConn *frozen = fs_conn_freeze(conn, NULL);

    g_test_message("frozen: %u bytes encoded, %zu in all (FsConn: %zu)",
                   frozen->frozen_len, fs_conn_frozen_size(frozen),
                   sizeof(FsConn));
    g_assert_true(conn->close_done_time != FS_TIME_UNSET);
    /* 4 bytes more since the last payload times (idle before close);
     * ISNs and TSvals are 4 raw bytes (this script's are tiny: random
     * ones, as on the wire, take a byte less each than as varints) */
    g_assert_cmpuint(frozen->frozen_len, <=, 94);
    /* 5 bytes more since the RTT legs and the FIN-arrival proof */
    g_assert_cmpuint(fs_conn_frozen_size(frozen), <=, 140);

    /* its times are whole microseconds (the script's are milliseconds):
     * one nanosecond off, they cost more */
    {
        FsConn ns = *conn;
        g_autofree FsConn *frozen_ns = NULL;

        ns.t_first += 1;
        frozen_ns = fs_conn_freeze(&ns, NULL);
        g_test_message("in nanoseconds: %u bytes encoded", frozen_ns->frozen_len);
        g_assert_cmpuint(frozen_ns->frozen_len, >=, frozen->frozen_len + 8);
    }
}

/* conn frozen: its encoding's length, checking that it thaws back as
 * it was. */
static guint
frozen_len_of(const FsConn *conn)
{
    g_autofree FsConn *frozen = fs_conn_freeze(conn, NULL);
    FsConn back;

    memset(&back, 0xa5, sizeof back);
    g_assert_true(fs_conn_thaw_into(frozen, &back));
    g_assert_cmpmem(&back, sizeof back, conn, sizeof *conn);
    return frozen->frozen_len;
}

/* An endpoint's window, a multiple of its scale as every scaled window
 * is, is kept shifted down (2 bytes here, not 3); a state below 16 with
 * a scale up to 7 is one byte (2 with a scale of 8); any scale, state
 * and window come back. */
static void
test_window_scale(void)
{
    g_autoptr(FsScriptResult) res =
        fs_script_run(server_closes, G_N_ELEMENTS(server_closes), NULL);
    FsConn c = *fs_script_conn(res, 0);
    static const guint8 scales[] = { 0, 1, 7, 8, 14, 15, 16, 31, 32, 200, 255 };
    guint scaled;
    guint unscaled;
    guint scale_8;

    for (int r = 0; r < 2; r++) {
        c.ep[r].wscale = 7;
        c.ep[r].rcv_wnd = 502u << 7;
    }
    scaled = frozen_len_of(&c);
    for (int r = 0; r < 2; r++)
        c.ep[r].rcv_wnd = (502u << 7) + 1;
    unscaled = frozen_len_of(&c);
    g_test_message("windows 502 << 7: %u bytes encoded, + 1: %u",
                   scaled, unscaled);
    /* a window of 2 bytes each, against 3 */
    g_assert_cmpuint(scaled + 2, <=, unscaled);
    for (int r = 0; r < 2; r++) {
        c.ep[r].wscale = 8;
        c.ep[r].rcv_wnd = 502u << 8;
    }
    scale_8 = frozen_len_of(&c);
    g_assert_cmpuint(scaled + 2, <=, scale_8);

    for (guint i = 0; i < G_N_ELEMENTS(scales); i++) {
        for (guint st = 0; st < 256; st += 17) {
            c.ep[0].wscale = scales[i];
            c.ep[1].wscale = scales[G_N_ELEMENTS(scales) - 1 - i];
            c.ep[0].state = (FsTcpState)st;
            c.ep[1].state = (FsTcpState)(255 - st);
            c.ep[0].rcv_wnd = scales[i] < 32 ? 502u << scales[i] : 502u;
            c.ep[1].rcv_wnd = G_MAXUINT32 - st;
            c.ep[0].undecided = (guint8)st;
            (void)frozen_len_of(&c);
        }
    }
}

/* The six 32-bit words (ISNs, first TSvals, frame hashes) go without
 * a byte saying which follow when all do: one zero among them saves its
 * 4 bytes but costs that byte. */
static void
test_all_words(void)
{
    g_autoptr(FsScriptResult) res =
        fs_script_run(server_closes, G_N_ELEMENTS(server_closes), NULL);
    FsConn c = *fs_script_conn(res, 0);
    guint all;
    guint one_zero;

    g_assert_cmpuint(c.ep[0].isn, !=, 0);
    g_assert_cmpuint(c.ep[1].isn, !=, 0);
    g_assert_cmpuint(c.ep[0].first_tsval, !=, 0);
    g_assert_cmpuint(c.ep[1].first_tsval, !=, 0);
    c.last_hash[FS_ROLE_CLIENT] = 0x12345678;
    c.last_hash[FS_ROLE_SERVER] = 0x9abcdef0;
    all = frozen_len_of(&c);
    c.last_hash[FS_ROLE_SERVER] = 0;
    one_zero = frozen_len_of(&c);
    g_test_message("all words: %u bytes encoded, one 0: %u", all, one_zero);
    g_assert_cmpuint(one_zero + 3, ==, all);
}

/* An endpoint's last TSval is kept as it differs from its first moved
 * on by the connection's span at 1 kHz (Linux's clock): a minute at
 * 1 kHz takes a byte, a TSval that stood still three. */
static void
test_tsval_clock(void)
{
    g_autoptr(FsScriptResult) res =
        fs_script_run(server_closes, G_N_ELEMENTS(server_closes), NULL);
    FsConn c = *fs_script_conn(res, 0);
    guint khz;
    guint still;

    c.t_first = c.t_last - 60 * FS_NS_PER_SEC;
    for (int r = 0; r < 2; r++)
        c.ep[r].last_tsval = c.ep[r].first_tsval + 60000 - 3;
    khz = frozen_len_of(&c);
    for (int r = 0; r < 2; r++)
        c.ep[r].last_tsval = c.ep[r].first_tsval + 3;
    still = frozen_len_of(&c);
    g_test_message("TSvals at 1 kHz: %u bytes encoded, still: %u", khz,
                   still);
    g_assert_cmpuint(khz + 4, <=, still);
    /* any span, times going back too, comes back */
    for (gint64 span = -3; span < 4; span++) {
        c.t_first = c.t_last - span * 1000 * FS_NS_PER_SEC - 1000;
        (void)frozen_len_of(&c);
    }
}

/* An endpoint's flags are kept as they differ from those of its state
 * most often: the typical ones (in TIME_WAIT and ESTABLISHED here) take
 * less than none at all (2 and 1 bytes more), and any come back. */
static void
test_typical_flags(void)
{
    g_autoptr(FsScriptResult) res =
        fs_script_run(server_closes, G_N_ELEMENTS(server_closes), NULL);
    FsConn c = *fs_script_conn(res, 0);
    FsEndpoint *tw = &c.ep[FS_ROLE_SERVER];
    FsEndpoint *est = &c.ep[FS_ROLE_CLIENT];
    guint typical;
    guint none;

    tw->state = FS_TCP_TIME_WAIT;
    est->state = FS_TCP_ESTABLISHED;
    for (int r = 0; r < 2; r++) {
        FsEndpoint *ep = &c.ep[r];

        ep->seen = ep->isn_known = ep->ack_seen = ep->ts_seen = 1;
        ep->fin_sent = ep->fin_acked = ep->recv_fin = 0;
        ep->unseen_fin_acked = ep->fin_acked_lost = ep->fin_pending = 0;
        ep->fin_ack_proven = ep->ack_carrier_seen = 0;
        ep->fin_gap = ep->ack_pending = 0;
    }
    tw->fin_sent = tw->fin_acked = tw->recv_fin = 1;
    tw->fin_ack_proven = tw->ack_carrier_seen = 1;
    typical = frozen_len_of(&c);
    for (int r = 0; r < 2; r++) {
        FsEndpoint *ep = &c.ep[r];

        ep->seen = ep->isn_known = ep->ack_seen = ep->ts_seen = 0;
        ep->fin_sent = ep->fin_acked = ep->recv_fin = 0;
        ep->fin_ack_proven = ep->ack_carrier_seen = 0;
    }
    none = frozen_len_of(&c);
    g_test_message("typical flags: %u bytes encoded, none: %u", typical,
                   none);
    g_assert_cmpuint(typical + 3, <=, none);
    /* every flag of every state, alone, comes back */
    for (guint st = 0; st < FS_TCP_N_STATES + 1; st++) {
        for (guint bit = 0; bit < 16; bit++) {
            guint16 flags = (guint16)(1u << bit);

            tw->state = (FsTcpState)st;
            memcpy((guint8 *)tw + offsetof(FsEndpoint, rst_count) +
                       sizeof(guint16),
                   &flags, sizeof flags);
            (void)frozen_len_of(&c);
        }
    }
}

/* A varint of every length: one byte more at each 2^(7k), in a dense
 * value (the packets), in a masked one (bytes after the peer's FIN) and
 * in one of the last groups (the id reused), and every value comes back
 * (encode_in() writes up to 4 bytes without a loop, the rest with one). */
static void
test_varint_lengths(void)
{
    g_autoptr(FsScriptResult) res =
        fs_script_run(server_closes, G_N_ELEMENTS(server_closes), NULL);
    const FsConn *closed = fs_script_conn(res, 0);

    for (int field = 0; field < 3; field++) {
        FsConn c = *closed;
        guint prev = 0;

        for (guint k = 0; k <= 9; k++) {
            /* the largest of k + 1 bytes; for k = 9, 2^64 - 1 */
            guint64 top = k < 9 ? (G_GUINT64_CONSTANT(1) << (7 * (k + 1))) - 1
                                : G_MAXUINT64;
            /* the least of k + 1 bytes (1: a masked 0 is not written) */
            guint64 vals[] = { k == 0 ? 1 : G_GUINT64_CONSTANT(1) << (7 * k),
                               top - 1, top };
            guint len = 0;

            for (guint i = 0; i < G_N_ELEMENTS(vals); i++) {
                guint n;

                switch (field) {
                case 0: c.packets = vals[i]; break;
                case 1: c.ep[FS_ROLE_SERVER].bytes_after_peer_fin = vals[i];
                        break;
                default: c.reuse_of = vals[i]; break;
                }
                n = frozen_len_of(&c);
                /* the same number of bytes across one length */
                if (i > 0)
                    g_assert_cmpuint(n, ==, len);
                len = n;
            }
            /* one byte more than the length before */
            if (k > 0)
                g_assert_cmpuint(len, ==, prev + 1);
            prev = len;
        }
    }
}

/* The last two groups (bytes past a FIN, RSTs, reuse, anomalies, capture
 * files) are not written when every field they code is as in a usual
 * connection: any one of them otherwise, alone, is written and comes
 * back. */
static void
test_rare_tail(void)
{
    g_autoptr(FsScriptResult) res =
        fs_script_run(server_closes, G_N_ELEMENTS(server_closes), NULL);
    const FsConn *closed = fs_script_conn(res, 0);
    guint usual;

    g_assert_true(closed->rst_time == FS_TIME_UNSET);
    g_assert_cmpint(closed->rst_from, ==, FS_ROLE_NONE);
    g_assert_cmpuint(closed->reuse_of, ==, 0);
    usual = frozen_len_of(closed);
    for (int field = 0; field < 25; field++) {
        FsConn c = *closed;

        switch (field) {
        case 0: c.ep[FS_ROLE_CLIENT].bytes_after_own_fin = 1; break;
        case 1: c.ep[FS_ROLE_SERVER].bytes_after_own_fin = 300; break;
        case 2: c.rst_time = c.t_last; break;
        case 3: c.rst_time = c.t_last - 2000; break;
        case 4: c.rst_from = FS_ROLE_CLIENT; break;
        case 5: c.rst_from = FS_ROLE_SERVER; break;
        case 6: c.rst_state = FS_TCP_ESTABLISHED; break;
        case 7: c.rst_peer_state = FS_TCP_FIN_WAIT_2; break;
        case 8: c.rst_ignored = 2; break;
        case 9: c.reuse_of = 1; break;
        case 10: c.reuse.outcome = FS_REUSE_ACCEPTED; break;
        case 11: c.reuse.holder = FS_ROLE_NONE; break;
        case 12: c.reuse.holder = FS_ROLE_SERVER; break;
        case 13: c.reuse.holder_state = FS_TCP_TIME_WAIT; break;
        case 14: c.reuse.since_close = FS_TIME_UNSET; break;
        case 15: c.reuse.since_close = 5000; break;
        case 16: c.illegal_flags = 1; break;
        case 17: c.old_duplicates = 1; break;
        case 18: c.capture_loss = 1; break;
        case 19: c.duplicate_frames = 1; break;
        case 20: c.old_dup.in_window = 1; break;
        case 21: c.old_dup.paws_rejected = 1; break;
        case 22: c.old_dup.during_time_wait = 1; break;
        case 23: c.first_source = 1; break;
        default: c.last_source = 2; break;
        }
        g_assert_cmpuint(frozen_len_of(&c), >, usual);
    }
}

/* In microseconds each time is coded as its difference to its base in
 * whole microseconds: a time some nanoseconds off (a multiple of 8, of
 * 125, or of neither) is found and the connection coded in
 * nanoseconds, and comes back; whole microseconds either way stay in
 * microseconds. */
static void
test_microsecond_exactness(void)
{
    g_autoptr(FsScriptResult) res =
        fs_script_run(server_closes, G_N_ELEMENTS(server_closes), NULL);
    const FsConn *closed = fs_script_conn(res, 0);
    const gint64 offs[] = { 8, -8, 125, -125, 250, 500, 504, 992, 1008,
                            -1008, 1, 999, 64 * 1000 + 8 };
    guint us = frozen_len_of(closed);

    for (int field = 0; field < 5; field++) {
        for (guint i = 0; i <= G_N_ELEMENTS(offs); i++) {
            FsConn c = *closed;
            /* the last: a whole millisecond off */
            gint64 off = i < G_N_ELEMENTS(offs) ? offs[i] : -1000000;
            FsTime *t;
            guint len;

            switch (field) {
            case 0: t = &c.t_first; break;
            case 1: t = &c.ep[FS_ROLE_SERVER].fin_time; break;
            case 2: t = &c.ep[FS_ROLE_CLIENT].state_since; break;
            case 3: t = &c.last_hash_ts[FS_ROLE_SERVER]; break;
            default: t = &c.reuse.since_close; break;
            }
            *t += off;
            len = frozen_len_of(&c);
            if (off % 1000 != 0)
                g_assert_cmpuint(len, >=, us + 8);
            else
                g_assert_cmpuint(len, <, us + 8);
        }
    }
}

/* The engine does freeze: a connection frozen at its close, in
 * TIME_WAIT, then an old duplicate, a reuse of the 4-tuple and its old
 * duplicate (each meeting a frozen incarnation). That the records are
 * the same as never frozen fs_script_run() checks. */
static void
test_engine_freezes(void)
{
    const FsScriptStep steps[] = {
        { C2S, "S",  1000, 0,    0,   0,    100, 0, 0 },
        { S2C, "SA", 5000, 1001, 0,   1,    900, 0, 0 },
        { C2S, "A",  1001, 5001, 0,   2,    101, 0, 0 },
        { S2C, "PA", 5001, 1001, 200, 3,    901, 0, 0 },
        { C2S, "A",  1001, 5201, 0,   4,    102, 0, 0 },
        { C2S, "FA", 1001, 5201, 0,   10,   110, 0, 0 },
        { S2C, "FA", 5201, 1002, 0,   11,   910, 0, 0 },
        { C2S, "A",  1002, 5202, 0,   12,   111, 0, 0 },
        { S2C, "PA", 5001, 1001, 200, 2000, 901, 0, 0 },  /* old copy */
        { C2S, "A",  1002, 5202, 0,   2001, 112, 0, 0 },  /* re-ack */
        { C2S, "S",  900000, 0,  0,   4000, 5000, 0, 0 }, /* reuse */
        { S2C, "SA", 700000, 900001, 0, 4001, 6000, 0, 0 },
        { C2S, "A",  900001, 700001, 0, 4002, 5001, 0, 0 },
        { S2C, "PA", 5001, 1001, 200, 6000, 901, 0, 0 },  /* old again */
    };
    g_autoptr(FsScriptResult) res =
        fs_script_run(steps, G_N_ELEMENTS(steps), NULL);

    g_assert_cmpuint(res->stats.freezes, >=, 2);
    g_assert_cmpuint(res->conns->len, ==, 2);
    g_assert_cmpuint(fs_script_conn(res, 0)->old_dup.during_time_wait, ==, 1);
    g_assert_cmpuint(fs_script_conn(res, 1)->old_duplicates, ==, 1);
}

static void
keep_record(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    (void)outcome;
    g_array_append_val((GArray *)user, *conn);
}

/* A connection left in CLOSE_WAIT on a quiet interface (-i: the clock
 * moves on without packets), frozen after 10 s or never: the same record
 * (its state age once depended on how often a sweep had seen it).
 * *frozen_at_15s: connections frozen before the end. */
static GArray *
run_quiet_close_wait(FsTime freeze_after, guint64 *frozen_at_15s)
{
    const FsScriptStep steps[] = {
        { C2S, "S",  1000, 0,    0, 0,  0, 0, 0 },
        { S2C, "SA", 5000, 1001, 0, 1,  0, 0, 0 },
        { C2S, "A",  1001, 5001, 0, 2,  0, 0, 0 },
        { C2S, "FA", 1001, 5001, 0, 10, 0, 0, 0 },
        { S2C, "A",  5001, 1002, 0, 11, 0, 0, 0 },
    };
    GArray *records = g_array_new(FALSE, TRUE, sizeof(FsConn));
    FsEngineConfig cfg = { .msl = 30 * FS_NS_PER_SEC,
                           .freeze_after = freeze_after };
    FsEngineSink sink = { .on_conn = keep_record,
                          .user = records };
    g_autoptr(FsEngine) e = fs_engine_new(&cfg, &sink);

    for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
        FsSegment seg;

        fs_script_segment(&steps[i], &seg);
        fs_engine_segment(e, &seg);
    }
    for (int s = 1; s <= 15; s++)
        fs_engine_advance(e, FS_SCRIPT_T0 + s * FS_NS_PER_SEC);
    *frozen_at_15s = fs_engine_stats(e)->frozen;
    fs_engine_finish(e);
    return records;
}

static void
test_quiet_interface(void)
{
    guint64 frozen_never;
    guint64 frozen_default;
    g_autoptr(GArray) never = run_quiet_close_wait(-1, &frozen_never);
    g_autoptr(GArray) frozen = run_quiet_close_wait(0, &frozen_default);
    const FsConn *a;
    const FsConn *b;

    /* open (CLOSE_WAIT) and quiet for 10 s by 15 s: frozen by default */
    g_assert_cmpuint(frozen_never, ==, 0);
    g_assert_cmpuint(frozen_default, ==, 1);
    g_assert_cmpuint(never->len, ==, 1);
    g_assert_cmpuint(frozen->len, ==, 1);
    a = &g_array_index(never, FsConn, 0);
    b = &g_array_index(frozen, FsConn, 0);
    g_assert_cmpint(a->ep[FS_ROLE_SERVER].state, ==, FS_TCP_CLOSE_WAIT);
    /* settled at the last time the engine saw, 15 s */
    g_assert_cmpint(a->settled_at, ==, FS_SCRIPT_T0 + 15 * FS_NS_PER_SEC);
    g_assert_cmpint(b->settled_at, ==, a->settled_at);
    g_assert_cmpint(b->ep[FS_ROLE_SERVER].state_since, ==,
                    a->ep[FS_ROLE_SERVER].state_since);
}

/* A sink that offers a slot for the records (as the stage does), and
 * counts how often the engine asks for it: once each time a sweep
 * decodes a frozen connection. */
typedef struct {
    GArray *records;
    FsConn slot;
    guint slots_asked;
} SlotSink;

static FsConn *
slot_of(gpointer user)
{
    SlotSink *k = user;

    k->slots_asked++;
    return &k->slot;
}

static void
keep_slot_record(const FsConn *conn, const FsOutcome *outcome,
                 gpointer user)
{
    keep_record(conn, outcome, ((SlotSink *)user)->records);
}

/* An established connection quiet for 200 s, then closed (its FINs
 * acked) and quiet for 70 s more: the records' count at 200 s (*at_200)
 * and at 270 s (*at_270), the slots asked for before the close
 * (*asked_quiet), the record. */
static FsConn
run_quiet_then_close(FsTime freeze_after, guint *asked_quiet, guint *at_200,
                     guint *at_270)
{
    const FsScriptStep open[] = {
        { C2S, "S",  1000, 0,    0,   0, 0, 0, 0 },
        { S2C, "SA", 5000, 1001, 0,   1, 0, 0, 0 },
        { C2S, "A",  1001, 5001, 0,   2, 0, 0, 0 },
        { S2C, "PA", 5001, 1001, 100, 3, 0, 0, 0 },
        { C2S, "A",  1001, 5101, 0,   4, 0, 0, 0 },
    };
    const FsScriptStep close[] = {
        { C2S, "FA", 1001, 5101, 0, 200000, 0, 0, 0 },
        { S2C, "FA", 5101, 1002, 0, 200001, 0, 0, 0 },
        { C2S, "A",  1002, 5102, 0, 200002, 0, 0, 0 },
    };
    SlotSink k = { g_array_new(FALSE, TRUE, sizeof(FsConn)), { 0 }, 0 };
    FsEngineConfig cfg = { .msl = 30 * FS_NS_PER_SEC,
                           .freeze_after = freeze_after };
    FsEngineSink sink = { .on_conn = keep_slot_record,
                          .user = &k,
                          .record_slot = slot_of };
    FsEngine *e = fs_engine_new(&cfg, &sink);
    FsSegment seg;
    FsConn rec;

    for (guint i = 0; i < G_N_ELEMENTS(open); i++) {
        fs_script_segment(&open[i], &seg);
        fs_engine_segment(e, &seg);
    }
    for (int s = 1; s < 200; s++)
        fs_engine_advance(e, FS_SCRIPT_T0 + s * FS_NS_PER_SEC);
    *asked_quiet = k.slots_asked;
    *at_200 = k.records->len;
    for (guint i = 0; i < G_N_ELEMENTS(close); i++) {
        fs_script_segment(&close[i], &seg);
        fs_engine_segment(e, &seg);
    }
    for (int s = 201; s <= 270; s++)
        fs_engine_advance(e, FS_SCRIPT_T0 + s * FS_NS_PER_SEC);
    *at_270 = k.records->len;
    fs_engine_finish(e);
    fs_engine_free(e);
    g_assert_cmpuint(k.records->len, ==, 1);
    rec = g_array_index(k.records, FsConn, 0);
    g_array_unref(k.records);
    return rec;
}

/* A quiet open connection, frozen after 10 s, is not decoded again
 * while nothing reaches it (a sweep once decoded it every 2*MSL to find
 * nothing changed); the packets that close it thaw it and bring its
 * deadline back: it is handed over 2*MSL after its close, as never
 * frozen, with the same record. */
static void
test_quiet_idle_not_woken(void)
{
    guint asked_never, asked_frozen;
    guint at_200_never, at_200_frozen, at_270_never, at_270_frozen;
    FsConn never = run_quiet_then_close(-1, &asked_never, &at_200_never,
                                        &at_270_never);
    FsConn frozen = run_quiet_then_close(0, &asked_frozen, &at_200_frozen,
                                         &at_270_frozen);

    g_assert_cmpuint(asked_never, ==, 0);
    g_assert_cmpuint(asked_frozen, ==, 0);
    g_assert_cmpuint(at_200_never, ==, 0);
    g_assert_cmpuint(at_200_frozen, ==, 0);
    /* closed at 200 s, handed over by 270 s (2*MSL), not at the end */
    g_assert_cmpuint(at_270_never, ==, 1);
    g_assert_cmpuint(at_270_frozen, ==, 1);
    g_assert_cmpint(frozen.settled_at, ==, never.settled_at);
    g_assert_cmpint(frozen.ep[FS_ROLE_CLIENT].state, ==,
                    never.ep[FS_ROLE_CLIENT].state);
    g_assert_cmpint(frozen.ep[FS_ROLE_SERVER].state_since, ==,
                    never.ep[FS_ROLE_SERVER].state_since);
    g_assert_cmpint(frozen.packets, ==, never.packets);
}

typedef struct {
    guint64 conns;
    guint64 bytes;   /* fs_conn_frozen_size() of each, summed */
    guint64 lossy;   /* records that did not come back as they were */
} SampleFreezes;

/* Every record the engine hands over, frozen and thawed: the same bytes
 * (the engine's records are zeroed before they are filled, padding
 * included). */
static void
freeze_record(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    SampleFreezes *f = user;
    g_autofree FsConn *frozen = fs_conn_freeze(conn, NULL);
    FsConn back;

    (void)outcome;
    memset(&back, 0xa5, sizeof back);
    f->conns++;
    f->bytes += fs_conn_frozen_size(frozen);
    if (!fs_conn_thaw_into(frozen, &back) ||
        memcmp(&back, conn, sizeof back) != 0) {
        if (f->lossy++ == 0)
            g_test_message("connection %" G_GUINT64_FORMAT
                           " did not come back", conn->id);
    }
}

static void
freeze_file(const char *path, SampleFreezes *f)
{
    const char *files[] = { path, NULL };
    FsPipelineConfig cfg = { .files = files };
    g_autoptr(GError) error = NULL;
    g_autoptr(FsPipeline) p = fs_pipeline_open(&cfg, &error);
    FsEngineConfig ecfg = { .msl = 30 * FS_NS_PER_SEC };
    FsEngineSink sink = { .on_conn = freeze_record, .user = f };

    g_assert_no_error(error);
    fs_pipeline_start(p, &ecfg, &sink);
    fs_pipeline_run(p, NULL); /* a sample cut short still hands over */
    fs_pipeline_finish(p);
}

/* The paths of every sample capture (*.pcap, *.pcapng). */
static GPtrArray *
all_sample_paths(void)
{
    g_autofree char *dir = g_test_build_filename(G_TEST_DIST, "samples", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d)) != NULL) {
        if (g_str_has_suffix(name, ".pcap") ||
            g_str_has_suffix(name, ".pcapng"))
            g_ptr_array_add(paths, g_build_filename(dir, name, NULL));
    }
    return paths;
}

/* The connections of every sample (or of the capture in
 * FINSCOPE_FREEZE_TRACE: its mean frozen size), as the engine hands
 * them over, round trip. */
static void
test_samples(void)
{
    const char *trace = g_getenv("FINSCOPE_FREEZE_TRACE");
    SampleFreezes f = { 0, 0, 0 };
    guint files = 0;

    if (trace != NULL) {
        freeze_file(trace, &f);
        files++;
    } else {
        g_autoptr(GPtrArray) paths = all_sample_paths();

        for (guint i = 0; i < paths->len; i++, files++)
            freeze_file(g_ptr_array_index(paths, i), &f);
    }
    g_test_message("%u files, %" G_GUINT64_FORMAT " connections, %.1f bytes "
                   "frozen on average", files, f.conns,
                   f.conns != 0 ? (double)f.bytes / (double)f.conns : 0.0);
    g_assert_cmpuint(files, >, 0);
    g_assert_cmpuint(f.conns, >, files);
    g_assert_cmpuint(f.lossy, ==, 0);
}

/* The expiry at now of c (view: its settle view) worked out on the view
 * (fs_tcpstate_expire_view()) and on the record (fs_tcpstate_expire()):
 * the same events and the same states, times and pending ACKs after,
 * unless the view declines. counts[]: emitted, nothing to emit,
 * declined. */
static void
expire_both_ways(const FsConn *c, const FsSettleView *view, FsTime now,
                 FsTime two_msl, guint counts[3])
{
    FsConn rec = *c;
    FsSettleView v = *view;
    FsTcpOutcome by_record;
    FsTcpOutcome by_view;

    fs_tcp_outcome_init(&by_record);
    fs_tcp_outcome_init(&by_view);
    fs_tcpstate_expire(&rec, now, two_msl, &by_record);
    if (!fs_tcpstate_expire_view(&v, now, two_msl, &rec, &by_view)) {
        g_assert_cmpmem(&v, sizeof v, view, sizeof v);
        g_assert_cmpuint(fs_tcp_outcome_len(&by_view), ==, 0);
        counts[2]++;
        return;
    }
    counts[fs_tcp_outcome_len(&by_record) > 0 ? 0 : 1]++;
    g_assert_cmpuint(fs_tcp_outcome_len(&by_view), ==,
                     fs_tcp_outcome_len(&by_record));
    for (guint i = 0; i < fs_tcp_outcome_len(&by_record); i++)
        g_assert_cmpmem(fs_tcp_outcome_at(&by_view, i), sizeof(FsEvent),
                        fs_tcp_outcome_at(&by_record, i), sizeof(FsEvent));
    for (int r = 0; r < 2; r++) {
        g_assert_cmpint(v.ep[r].state, ==, rec.ep[r].state);
        g_assert_cmpint(v.ep[r].state_since, ==, rec.ep[r].state_since);
        g_assert_cmpint(v.ep[r].time_wait_since, ==,
                        rec.ep[r].time_wait_since);
        g_assert_cmpint(v.ep[r].ack_pending, ==, rec.ep[r].ack_pending);
    }
    fs_tcp_outcome_clear(&by_record);
    fs_tcp_outcome_clear(&by_view);
}

/* view holds c's values. */
static void
assert_view_of(const FsSettleView *view, const FsConn *c)
{
    for (int r = 0; r < 2; r++) {
        const FsSettleEnd *v = &view->ep[r];
        const FsEndpoint *ep = &c->ep[r];

        g_assert_cmpint(v->state, ==, ep->state);
        g_assert_cmpint(v->time_wait_since, ==, ep->time_wait_since);
        g_assert_cmpint(v->time_wait_restart_us, ==, ep->time_wait_restart_us);
        g_assert_cmpint(v->ack_pending, ==, ep->ack_pending);
        g_assert_cmpint(v->fin_gap, ==, ep->fin_gap);
        g_assert_cmpint(v->fin_pending, ==, ep->fin_pending);
        g_assert_cmpint(v->fin_sent, ==, ep->fin_sent);
        g_assert_cmpint(v->fin_acked, ==, ep->fin_acked);
        g_assert_cmpint(v->unseen_fin_acked, ==, ep->unseen_fin_acked);
        g_assert_cmpint(v->fin_acked_lost, ==, ep->fin_acked_lost);
        g_assert_cmpint(v->state_since, ==, ep->state_since);
        g_assert_cmpint(v->last_fin_time, ==, ep->last_fin_time);
        g_assert_cmpint(v->fin_acked_time, ==, ep->fin_acked_time);
    }
    g_assert_cmpint(view->t_last, ==, c->t_last);
    g_assert_cmpint(view->rst_from, ==, c->rst_from);
    g_assert_cmpint(view->close_done, ==,
                    c->close_done_time != FS_TIME_UNSET);
}

/* A frozen record's settle view (fs_conn_frozen_settle_view()) holds
 * the fields as they are; whenever fs_tcpstate_settles_quietly() says
 * so of it, settling the record whole emits no more than it allows
 * (fs_tcpstate_outcome_quiet()): over random records, most of them
 * closing ones, settled at random times around their TIME_WAIT's end. */
static void
test_settle_view(void)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(1605);
    static const FsTcpState closing[] = {
        FS_TCP_FIN_WAIT_1, FS_TCP_FIN_WAIT_2, FS_TCP_CLOSING,
        FS_TCP_LAST_ACK, FS_TCP_TIME_WAIT, FS_TCP_CLOSED,
    };
    FsTime two_msl = 60 * FS_NS_PER_SEC;
    guint quiet[2] = { 0, 0 };
    guint loud[2] = { 0, 0 };
    guint expired[3] = { 0, 0, 0 };
    guint expired_first[2] = { 0, 0 };

    for (int i = 0; i < 40000; i++) {
        FsConn c;
        g_autofree FsConn *frozen = NULL;
        FsSettleView view;
        FsTime now;

        time_unit = i % 2 ? 1000 : 1;
        random_conn(rng, &c);
        for (int r = 0; r < 2; r++) {
            FsEndpoint *ep = &c.ep[r];

            /* times the settling does arithmetic with, sane */
            ep->last_fin_time =
                c.t_last - (FsTime)g_rand_int_range(rng, 0, 100) * FS_NS_PER_SEC;
            ep->prev_fin_time =
                ep->last_fin_time - (FsTime)g_rand_int_range(rng, 0, 4000000) * 1000;
            ep->fin_time = ep->prev_fin_time;
            ep->fin_acked_time =
                ep->last_fin_time + (FsTime)g_rand_int_range(rng, 0, 1000000) * 1000;
            ep->state_since =
                ep->last_fin_time + (FsTime)g_rand_int_range(rng, -10, 10) * 1000;
            ep->fin_count = (guint16)g_rand_int_range(rng, 1, 4);
            ep->rtt_leg_us = (guint32)g_rand_int_range(rng, 0, 2000000);
            if (g_rand_int_range(rng, 0, 4) == 0)
                continue; /* its state and flags as random_endpoint() */
            ep->state = closing[g_rand_int_range(rng, 0,
                                                 G_N_ELEMENTS(closing))];
            ep->fin_gap = g_rand_int_range(rng, 0, 8) == 0;
            ep->fin_pending = g_rand_int_range(rng, 0, 8) == 0;
            ep->unseen_fin_acked = g_rand_int_range(rng, 0, 8) == 0;
            ep->fin_sent = g_rand_int_range(rng, 0, 8) != 0;
            ep->fin_acked = ep->fin_sent && g_rand_int_range(rng, 0, 8) != 0;
            ep->ack_pending = ep->fin_acked && g_rand_boolean(rng);
            ep->fin_acked_lost = g_rand_int_range(rng, 0, 4) == 0;
            ep->time_wait_since =
                ep->state == FS_TCP_TIME_WAIT
                    ? c.t_last - g_rand_int_range(rng, 0, 120) *
                                     FS_NS_PER_SEC / 2
                    : FS_TIME_UNSET;
        }
        frozen = fs_conn_freeze(&c, NULL);
        g_assert_true(fs_conn_frozen_settle_view(frozen, &view));
        assert_view_of(&view, &c);
        /* around a TIME_WAIT's end, a while after a FIN (silence
         * proving its ACK or not), or later */
        if (i % 3 == 0 && c.ep[i % 2].time_wait_since != FS_TIME_UNSET)
            now = c.ep[i % 2].time_wait_since + two_msl +
                  g_rand_int_range(rng, -2, 2) * time_unit;
        else if (i % 3 == 1)
            now = MAX(c.ep[i % 2].last_fin_time, c.t_last) +
                  (FsTime)g_rand_int_range(rng, 0, 10000) * 1000000;
        else
            now = c.t_last + (FsTime)g_rand_int_range(rng, 0, 90) *
                                 FS_NS_PER_SEC;
        expire_both_ways(&c, &view, now, two_msl, expired);
        for (int dropped = 0; dropped <= 1; dropped++) {
            FsConn rec = c;
            FsConn settled;
            FsTcpOutcome out;
            gboolean said = fs_tcpstate_settles_quietly(&view, now, two_msl,
                                                        dropped);

            fs_tcp_outcome_init(&out);
            fs_tcpstate_settle_handed_over(&rec, now, two_msl, &out);
            if (said) {
                g_assert_true(fs_tcpstate_outcome_quiet(&out, dropped));
                /* and the stage's settling of it is the same */
                FsSettleHow how = { now, two_msl, FALSE, dropped };

                g_assert_true(fs_conn_thaw_settled(frozen, &settled, &how));
                g_assert_cmpmem(&settled, sizeof settled, &rec, sizeof rec);
                quiet[dropped]++;
            } else if (!fs_tcpstate_outcome_quiet(&out, dropped)) {
                loud[dropped]++;
            }
            fs_tcp_outcome_clear(&out);
            /* the sweep's record (FsSettleHow.expire_first): whenever
             * the store's test says it may go still frozen
             * (fs_tcpstate_expires_quietly() of the view, store.c's
             * sweep_frozen()), the stage's settling of it says quiet
             * (else it stops, stage.c) and leaves the record as
             * expiring it, then settling it, does */
            {
                FsSettleHow how = { now, two_msl, TRUE, dropped };
                FsSettleView v = view;

                fs_tcp_outcome_init(&out);
                if (fs_tcpstate_expires_quietly(&v, now, two_msl, &c,
                                                dropped, &out)) {
                    fs_tcp_outcome_clear(&out);
                    rec = c;
                    fs_tcpstate_expire(&rec, now, two_msl, &out);
                    fs_tcp_outcome_clear(&out);
                    fs_tcpstate_settle_handed_over(&rec, now, two_msl, &out);
                    fs_tcp_outcome_clear(&out);
                    g_assert_true(fs_conn_thaw_settled(frozen, &settled,
                                                       &how));
                    g_assert_cmpmem(&settled, sizeof settled, &rec,
                                    sizeof rec);
                    expired_first[dropped]++;
                } else {
                    g_assert_cmpuint(fs_tcp_outcome_len(&out), ==, 0);
                }
                fs_tcp_outcome_clear(&out);
            }
        }
    }
    time_unit = 1;
    g_test_message("quiet %u/%u, loud %u/%u (state events kept/dropped)",
                   quiet[0], quiet[1], loud[0], loud[1]);
    /* both answers, many times over */
    for (int dropped = 0; dropped <= 1; dropped++) {
        g_assert_cmpuint(quiet[dropped], >, 1000);
        g_assert_cmpuint(loud[dropped], >, 1000);
    }
    g_assert_cmpuint(quiet[1], >, quiet[0]);
    g_test_message("expiry: %u emitted, %u not, %u declined", expired[0],
                   expired[1], expired[2]);
    for (int k = 0; k < 3; k++)
        g_assert_cmpuint(expired[k], >, 1000);
    g_test_message("expired first, still frozen: %u (state events kept), "
                   "%u (dropped)", expired_first[0], expired_first[1]);
    /* (798 each: both ends CLOSED after expiry is the rarer case) */
    g_assert_cmpuint(expired_first[0], >, 500);
    g_assert_cmpuint(expired_first[1], >, 500);
}

/* The settle view reads the front of the encoding, where what it wants
 * is, and stops there unless the rare tail (V_RST) is written: on a
 * usual closed connection (random ones write every group), with each
 * value it reads changed alone, its group written or not, and with the
 * groups after it written too (a rarer value of group 1, a value of the
 * groups between, an RST), it holds each value as the record does. */
static void
test_settle_view_usual(void)
{
    g_autoptr(FsScriptResult) res =
        fs_script_run(server_closes, G_N_ELEMENTS(server_closes), NULL);
    const FsConn *closed = fs_script_conn(res, 0);
    guint differ = 0;

    for (int later = 0; later < 5; later++) {
        for (int field = 0; field < 20; field++) {
            FsConn c = *closed;
            FsEndpoint *ep = &c.ep[field % 2];
            FsEndpoint *peer = &c.ep[!(field % 2)];
            g_autofree FsConn *frozen = NULL;
            FsSettleView view;

            switch (field / 2) {
            case 0: break;
            case 1: ep->fin_acked_time += 3000; break;
            case 2: ep->state_since -= 5000; break;
            case 3: ep->last_fin_time = ep->fin_time + 7000; break;
            case 4: ep->fin_time -= 2000; break;
            case 5:
                ep->time_wait_since = ep->time_wait_since == FS_TIME_UNSET
                                          ? c.t_last - 4000
                                          : FS_TIME_UNSET;
                break;
            case 6:
                ep->state = FS_TCP_LAST_ACK;
                ep->ack_pending = !ep->ack_pending;
                break;
            case 7:
                ep->fin_acked_lost = 1;
                ep->fin_gap = 1;
                ep->unseen_fin_acked = 1;
                ep->fin_pending = 1;
                ep->fin_acked = !ep->fin_acked;
                ep->fin_sent = !ep->fin_sent;
                break;
            default:
                /* group 0 not written: all its values as their bases */
                for (int r = 0; r < 2; r++) {
                    FsEndpoint *e = &c.ep[r];

                    e->fin_acked_time = e->last_fin_time;
                    e->state_since = e->time_wait_since != FS_TIME_UNSET
                                         ? e->time_wait_since
                                         : c.t_last;
                    e->fin_count = 0;
                    e->rst_count = 0;
                    e->fin_ack = c.ep[!r].snd_nxt;
                }
                if (field % 2)
                    ep->last_fin_time = ep->fin_time + 1000;
                break;
            }
            if (later == 1 || later == 4)
                peer->probe_end = ep->snd_nxt + 5; /* group 1, after */
            if (later == 2 || later == 4)
                ep->max_ack = peer->snd_nxt + 9;   /* group 3 */
            if (later >= 3) {                      /* the tail */
                c.rst_from = (gint8)(field % 2);
                c.rst_state = FS_TCP_ESTABLISHED;
                c.illegal_flags = 1;
            }
            frozen = fs_conn_freeze(&c, NULL);
            g_assert_true(fs_conn_frozen_settle_view(frozen, &view));
            assert_view_of(&view, &c);
            differ += memcmp(&c, closed, sizeof c) != 0;
        }
    }
    /* each case changed the record but the first (both roles) */
    g_assert_cmpuint(differ, ==, 5 * 20 - 2);
}

/* What a run hands over, in order: each record's bytes and verdict,
 * each event's facts and its connection's head. */
typedef struct {
    GByteArray *conns;
    GByteArray *outcomes;
    GByteArray *events;
} Handed;

static void
hand_conn(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    Handed *h = user;
    FsConn rec;
    FsOutcome o;

    g_assert_nonnull(conn);
    g_assert_nonnull(outcome);
    /* older, an address of the run's (not to be followed), only as
     * whether there is one */
    rec = *conn;
    rec.older = conn->older != NULL ? (FsConn *)&rec : NULL;
    g_byte_array_append(h->conns, (const guint8 *)&rec, sizeof rec);
    /* field by field: the copy's padding is nobody's */
    memset(&o, 0, sizeof o);
    o.close = outcome->close;
    o.active_closer = outcome->active_closer;
    o.rst_from = outcome->rst_from;
    o.half_close = outcome->half_close;
    o.end_state[0] = outcome->end_state[0];
    o.end_state[1] = outcome->end_state[1];
    o.fin_retransmits[0] = outcome->fin_retransmits[0];
    o.fin_retransmits[1] = outcome->fin_retransmits[1];
    o.final_ack_lost = outcome->final_ack_lost;
    o.flags = outcome->flags;
    o.old_duplicates = outcome->old_duplicates;
    o.handshake = outcome->handshake;
    o.close_duration = outcome->close_duration;
    o.idle_before_close = outcome->idle_before_close;
    g_byte_array_append(h->outcomes, (const guint8 *)&o, sizeof o);
}

static void
hand_event(const FsEvent *ev, const FsConn *conn, gpointer user)
{
    Handed *h = user;
    gint64 facts[] = { ev->ts, (gint64)ev->conn_id, ev->kind, ev->role,
                       ev->seq, ev->value, ev->frame,
                       ev->kind == FS_EV_STATE ? (gint64)ev->transition.from
                                               : -1,
                       ev->kind == FS_EV_STATE ? (gint64)ev->transition.to : -1,
                       ev->kind == FS_EV_STATE
                           ? (gint64)ev->transition.cause
                           : -1 };

    g_byte_array_append(h->events, (const guint8 *)facts, sizeof facts);
    if (conn != NULL) {
        FsConn head;

        memcpy(&head, conn, FS_CONN_HEAD_SIZE);
        head.older = NULL; /* the stage's copy has none */
        g_byte_array_append(h->events, (const guint8 *)&head,
                            FS_CONN_HEAD_SIZE);
    }
}

/* The stage's sink, counting the records handed over frozen: all, and
 * those the sweep finished (expired first), not the capture's end. */
typedef struct {
    FsEngineSink stage;
    guint64 frozen;
    guint64 swept;
} Counting;

static void
count_event(const FsEvent *ev, const FsConn *conn, gpointer user)
{
    Counting *c = user;

    c->stage.on_event(ev, conn, c->stage.user);
}

static void
count_conn(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    Counting *c = user;

    c->stage.on_conn(conn, outcome, c->stage.user);
}

static FsConn *
count_slot(gpointer user)
{
    Counting *c = user;

    return c->stage.record_slot(c->stage.user);
}

static void
count_frozen(const FsConn *frozen, const FsSettleHow *how, gpointer user)
{
    Counting *c = user;

    c->frozen++;
    if (how->expire_first)
        c->swept++;
    c->stage.on_frozen_conn(frozen, how, c->stage.user);
}

/* path through the report's stage, which settles records handed over
 * frozen (frozen_too) or gets them all thawed by the engine: what it
 * hands over goes to h; the number handed over frozen is returned, and
 * of those the sweep's added to *swept. */
static guint64
settle_run(const char *path, gboolean all_events, gboolean frozen_too,
           Handed *h, FsEngineStats *stats, guint64 *swept)
{
    const char *files[] = { path, NULL };
    FsPipelineConfig cfg = { .files = files };
    g_autoptr(GError) error = NULL;
    g_autoptr(FsPipeline) p = fs_pipeline_open(&cfg, &error);
    FsEngineConfig ecfg = { .msl = 30 * FS_NS_PER_SEC,
                            .all_events = all_events };
    FsEngineSink inner = { .on_event = hand_event, .on_conn = hand_conn,
                           .user = h };
    FsStage *stage = fs_stage_new(&inner);
    Counting c = { fs_stage_sink(stage), 0, 0 };
    FsEngineSink sink = { .on_event = count_event,
                          .on_conn = count_conn,
                          .user = &c,
                          .record_slot = count_slot,
                          .classifies = TRUE,
                          .on_frozen_conn = frozen_too ? count_frozen : NULL };
    FsEngine *engine;

    g_assert_no_error(error);
    h->conns = g_byte_array_new();
    h->outcomes = g_byte_array_new();
    h->events = g_byte_array_new();
    engine = fs_pipeline_start(p, &ecfg, &sink);
    fs_pipeline_run(p, NULL); /* a sample cut short still hands over */
    fs_pipeline_finish(p);
    fs_stage_free(stage);
    *stats = *fs_engine_stats(engine);
    *swept += c.swept;
    return c.frozen;
}

static void
handed_clear(Handed *h)
{
    g_byte_array_unref(h->conns);
    g_byte_array_unref(h->outcomes);
    g_byte_array_unref(h->events);
}

/* Records settled both ways, the engine thawing them or the stage
 * thawing what the engine handed over frozen: the same records, byte for
 * byte, the same verdicts, events and statistics, with and without
 * state events. */
static guint64
settle_both_ways(const char *path, guint64 *swept)
{
    guint64 frozen = 0;

    for (int all_events = 0; all_events <= 1; all_events++) {
        Handed thawed, settled;
        FsEngineStats st_thawed, st_settled;

        g_assert_cmpuint(settle_run(path, all_events, FALSE, &thawed,
                                    &st_thawed, swept), ==, 0);
        frozen += settle_run(path, all_events, TRUE, &settled, &st_settled,
                             swept);
        g_assert_cmpmem(settled.conns->data, settled.conns->len,
                        thawed.conns->data, thawed.conns->len);
        g_assert_cmpmem(settled.outcomes->data, settled.outcomes->len,
                        thawed.outcomes->data, thawed.outcomes->len);
        g_assert_cmpmem(settled.events->data, settled.events->len,
                        thawed.events->data, thawed.events->len);
        g_assert_cmpmem(&st_settled, sizeof st_settled, &st_thawed,
                        sizeof st_thawed);
        handed_clear(&thawed);
        handed_clear(&settled);
    }
    return frozen;
}

/* Every sample (and the capture in FINSCOPE_SETTLE_TRACE, if set: the
 * bench's small one) settled both ways; some records went frozen. */
static void
test_settle_both_ways(void)
{
    const char *trace = g_getenv("FINSCOPE_SETTLE_TRACE");
    g_autoptr(GPtrArray) paths = all_sample_paths();
    guint64 frozen = 0;
    guint64 swept = 0;
    guint files = 0;

    for (guint i = 0; i < paths->len; i++, files++)
        frozen += settle_both_ways(g_ptr_array_index(paths, i), &swept);
    if (trace != NULL) {
        guint64 n = settle_both_ways(trace, &swept);

        g_test_message("%s: %" G_GUINT64_FORMAT " records handed over "
                       "frozen", trace, n);
        g_assert_cmpuint(n, >, 0);
    }
    g_test_message("%u files, %" G_GUINT64_FORMAT " records handed over "
                   "frozen, %" G_GUINT64_FORMAT " of them by the sweep",
                   files, frozen, swept);
    g_assert_cmpuint(files, >, 0);
    g_assert_cmpuint(frozen, >, 0);
    /* both frozen hand-overs ran: the sweep's (sweep_frozen()) and the
     * capture's end's */
    g_assert_cmpuint(swept, >, 0);
    g_assert_cmpuint(swept, <, frozen);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/freeze/round-trip", test_round_trip);
    g_test_add_func("/freeze/damaged", test_damaged);
    g_test_add_func("/freeze/round-trip-microseconds",
                    test_round_trip_microseconds);
    g_test_add_func("/freeze/compact", test_compact);
    g_test_add_func("/freeze/window-scale", test_window_scale);
    g_test_add_func("/freeze/typical-flags", test_typical_flags);
    g_test_add_func("/freeze/all-words", test_all_words);
    g_test_add_func("/freeze/tsval-clock", test_tsval_clock);
    g_test_add_func("/freeze/varint-lengths", test_varint_lengths);
    g_test_add_func("/freeze/rare-tail", test_rare_tail);
    g_test_add_func("/freeze/microsecond-exactness",
                    test_microsecond_exactness);
    g_test_add_func("/freeze/samples", test_samples);
    g_test_add_func("/freeze/settle-view", test_settle_view);
    g_test_add_func("/freeze/settle-view-usual", test_settle_view_usual);
    g_test_add_func("/freeze/settle-both-ways", test_settle_both_ways);
    g_test_add_func("/freeze/engine-freezes", test_engine_freezes);
    g_test_add_func("/freeze/quiet-interface", test_quiet_interface);
    g_test_add_func("/freeze/quiet-idle-not-woken",
                    test_quiet_idle_not_woken);
    return g_test_run();
}
