/* finscope tests: the streaming engine — records released when finished,
 * TIME_WAIT per host over time, --max-flows eviction, idle timeout. */
#include "config.h"

#include <glib.h>

#include "finscope/classify.h"
#include "segscript.h"

/* Appends one complete client-closes-first connection from port at t_ms:
 * a three-way close, so the client holds TIME_WAIT from t_ms + 2. */
static void
add_client_close(GArray *steps, guint16 port, gint64 t)
{
    const FsScriptStep conn[] = {
        { C2S, "S",  1000, 0,    0, t,     0, 0, port },
        { S2C, "SA", 5000, 1001, 0, t + 1, 0, 0, port },
        { C2S, "A",  1001, 5001, 0, t + 1, 0, 0, port },
        { C2S, "FA", 1001, 5001, 0, t + 2, 0, 0, port },
        { S2C, "FA", 5001, 1002, 0, t + 2, 0, 0, port },
        { C2S, "A",  1002, 5002, 0, t + 3, 0, 0, port },
    };

    g_array_append_vals(steps, conn, G_N_ELEMENTS(conn));
}

static void
count_host(const FsHostTimeWait *tw, gpointer user)
{
    (void)tw;
    (*(guint *)user)++;
}

static void
max_peak(const FsHostTimeWait *tw, gpointer user)
{
    *(guint64 *)user = MAX(*(guint64 *)user, tw->peak);
}

static FsScriptResult *
run(GArray *steps, const FsEngineConfig *cfg)
{
    return fs_script_run((const FsScriptStep *)steps->data, steps->len, cfg);
}

/* Three closes at 0 s, 10 s and 70 s: TIME_WAIT 60 s each, so at most two
 * overlap (10-60 s) and one is held at the end. */
static void
test_time_wait_peak(void)
{
    g_autoptr(GArray) steps = g_array_new(FALSE, TRUE, sizeof(FsScriptStep));
    g_autoptr(FsScriptResult) res = NULL;
    const FsHostTimeWait *client;

    add_client_close(steps, 41000, 0);
    add_client_close(steps, 41001, 10000);
    add_client_close(steps, 41002, 70000);
    res = run(steps, NULL);
    g_assert_cmpuint(res->stats.time_wait_peak, ==, 2);
    g_assert_cmpint(res->stats.time_wait_peak_at, ==,
                    FS_SCRIPT_T0 + 10002 * FS_NS_PER_MSEC);
    g_assert_cmpuint(res->tw_hosts->len, ==, 1);
    client = &g_array_index(res->tw_hosts, FsHostTimeWait, 0);
    g_assert_cmpuint(client->peak, ==, 2);
    g_assert_cmpuint(client->entered, ==, 3);
    g_assert_cmpuint(client->now, ==, 1);
}

/* A closed connection's record comes out 2*MSL after its close, while
 * the capture goes on: memory follows concurrency, not capture length. */
static void
test_streaming_release(void)
{
    g_autoptr(GArray) steps = g_array_new(FALSE, TRUE, sizeof(FsScriptStep));
    g_autoptr(FsScriptResult) res = NULL;

    for (guint i = 0; i < 20; i++)
        add_client_close(steps, (guint16)(42000 + i), (gint64)i * 10000);
    res = run(steps, NULL);
    g_assert_cmpuint(res->conns->len, ==, 20);
    /* the first record left long before the last segment was seen */
    g_assert_cmpuint(g_array_index(res->finished_at, guint64, 0), <,
                     20 * 6 / 2);
    /* at most ~7 connections (60 s of TIME_WAIT at one per 10 s) held */
    g_assert_cmpuint(res->stats.live_peak, <=, 8);
    g_assert_cmpuint(res->stats.finished, ==, 20);
    g_assert_cmpuint(res->stats.evicted, ==, 0);
}

/* A flood of SYNs on new 4-tuples: --max-flows 10 holds ten, reports the
 * rest early as evicted, and loses none. */
static void
test_max_flows(void)
{
    g_autoptr(GArray) steps = g_array_new(FALSE, TRUE, sizeof(FsScriptStep));
    g_autoptr(FsScriptResult) res = NULL;
    FsEngineConfig cfg = { .msl = 30 * FS_NS_PER_SEC, .max_flows = 10 };
    guint evicted = 0;

    for (guint i = 0; i < 100; i++) {
        FsScriptStep syn = { C2S, "S", 1000 + i, 0, 0, i, 0, 0,
                             (guint16)(50000 + i) };

        g_array_append_val(steps, syn);
    }
    res = run(steps, &cfg);
    g_assert_cmpuint(res->conns->len, ==, 100);
    g_assert_cmpuint(res->stats.evicted, ==, 90);
    g_assert_cmpuint(res->stats.live_peak, ==, 10);
    for (guint i = 0; i < res->conns->len; i++)
        evicted += fs_script_conn(res, i)->evicted;
    g_assert_cmpuint(evicted, ==, 90);
    /* oldest first */
    g_assert_cmpuint(fs_script_conn(res, 0)->id, ==, 1);
    g_assert_true(fs_script_conn(res, 0)->evicted);
}

/* A handshake the stacks give up on is finished then, also offline: a
 * SYN-ACK without its ACK at 63 s, an unanswered SYN at 127 s (from when
 * the state was entered; the packets of other connections move the
 * clock). Not before, and not flagged evicted. */
static void
test_handshake_gives_up(void)
{
    const FsScriptStep synack[] = {
        { C2S, "S",  1000, 0,    0, 0,      0, 0, 0 },
        { S2C, "SA", 5000, 1001, 0, 1,      0, 0, 0 },
        { 'c', "S",  7000, 0,    0, 62000,  0, 0, 0 },
        { 'c', "S",  7000, 0,    0, 64000,  0, 0, 0 },
        { 'c', "S",  7000, 0,    0, 128000, 0, 0, 0 },
        { 'c', "S",  7000, 0,    0, 129000, 0, 0, 0 },
    };
    g_autoptr(FsScriptResult) early = fs_script_run(synack, 3, NULL);
    g_autoptr(FsScriptResult) res = fs_script_run(synack, 4, NULL);
    g_autoptr(FsScriptResult) syn = fs_script_run(synack + 2, 4, NULL);
    const FsConn *c;

    g_assert_cmpuint(early->stats.handshakes_expired, ==, 0);
    g_assert_cmpuint(res->stats.handshakes_expired, ==, 1);
    c = fs_script_conn(res, 0);
    g_assert_cmpuint(c->id, ==, 1);
    g_assert_cmpint(c->ep[FS_ROLE_SERVER].state, ==, FS_TCP_SYN_RECEIVED);
    g_assert_false(c->evicted);
    g_assert_true(fs_engine_half_open_dropped(c));
    /* the SYN of 62 s (retransmitted at 64 s: the same state) goes at
     * 189 s; at 129 s it is still held */
    g_assert_cmpuint(syn->stats.handshakes_expired, ==, 0);
    g_assert_false(fs_engine_half_open_dropped(fs_script_conn(syn, 0)));
    {
        const FsScriptStep later[] = {
            { 'c', "S", 7000, 0, 0, 0,      0, 0, 0 },
            { C2S, "S", 1000, 0, 0, 126000, 0, 0, 0 },
            { C2S, "S", 1000, 0, 0, 128000, 0, 0, 0 },
        };
        g_autoptr(FsScriptResult) r2 = fs_script_run(later, 3, NULL);

        g_assert_cmpuint(r2->stats.handshakes_expired, ==, 1);
        g_assert_cmpint(fs_script_conn(r2, 0)->ep[FS_ROLE_CLIENT].state, ==,
                        FS_TCP_SYN_SENT);
    }
}

/* Room is made with the least useful first: handshakes never completed,
 * then idle connections quiet for 10 s, then waiting ones (close
 * complete), then idle ones active lately, then closing ones, each
 * counted by class. */
static void
test_evict_order(void)
{
    g_autoptr(GArray) steps = g_array_new(FALSE, TRUE, sizeof(FsScriptStep));
    g_autoptr(FsScriptResult) res = NULL;
    FsEngineConfig cfg = { .msl = 30 * FS_NS_PER_SEC, .max_flows = 4 };
    const FsScriptStep rest[] = {
        /* 41001: established, idle */
        { C2S, "S",  1000, 0,    0, 10, 0, 0, 41001 },
        { S2C, "SA", 5000, 1001, 0, 11, 0, 0, 41001 },
        { C2S, "A",  1001, 5001, 0, 12, 0, 0, 41001 },
        /* 41002, 41003: SYNs; the second makes room: 41002 goes, 1.5 s
         * unanswered (a younger one would go after the closing ones) */
        { C2S, "S",  1000, 0,    0, 20,   0, 0, 41002 },
        { C2S, "S",  1000, 0,    0, 1520, 0, 0, 41003 },
        /* 41003 answered: no half-open left; 41004 evicts the older
         * waiting one, 40999: both idle ones were active lately */
        { S2C, "SA", 5000, 1001, 0, 1521, 0, 0, 41003 },
        { C2S, "A",  1001, 5001, 0, 1522, 0, 0, 41003 },
        { C2S, "S",  1000, 0,    0, 1530, 0, 0, 41004 },
        { S2C, "SA", 5000, 1001, 0, 1531, 0, 0, 41004 },
        { C2S, "A",  1001, 5001, 0, 1532, 0, 0, 41004 },
        /* 41005, 11 s on: 41001 is quiet, it goes before 41000 waiting */
        { C2S, "S",  1000, 0,    0, 11020, 0, 0, 41005 },
    };

    add_client_close(steps, 40999, 0);   /* waiting (TIME_WAIT) */
    add_client_close(steps, 41000, 4);   /* waiting (TIME_WAIT) */
    g_array_append_vals(steps, rest, G_N_ELEMENTS(rest));
    res = run(steps, &cfg);
    g_assert_cmpuint(res->stats.evicted, ==, 3);
    g_assert_cmpuint(res->stats.evicted_by_class[FS_EVICT_HALF_OPEN], ==, 1);
    g_assert_cmpuint(res->stats.evicted_by_class[FS_EVICT_WAITING], ==, 1);
    g_assert_cmpuint(res->stats.evicted_by_class[FS_EVICT_IDLE], ==, 1);
    g_assert_cmpuint(res->stats.evicted_by_class[FS_EVICT_CLOSING], ==, 0);
    /* out first: 41002 (half-open), then 40999 (waiting, before the two
     * idle ones active in the last 10 s), then 41001 (idle, quiet), while
     * 41000 (waiting) stays */
    g_assert_cmpuint(fs_script_conn(res, 0)->port[FS_ROLE_CLIENT], ==, 41002);
    g_assert_true(fs_script_conn(res, 0)->evicted);
    g_assert_cmpuint(fs_script_conn(res, 1)->port[FS_ROLE_CLIENT], ==, 40999);
    g_assert_true(fs_script_conn(res, 1)->evicted);
    g_assert_cmpuint(fs_script_conn(res, 2)->port[FS_ROLE_CLIENT], ==, 41001);
    g_assert_true(fs_script_conn(res, 2)->evicted);
    for (guint i = 3; i < res->conns->len; i++)
        g_assert_false(fs_script_conn(res, i)->evicted);
}

/* Hosts back at zero TIME_WAIT leave the table: it keeps those holding
 * TIME_WAIT now and the FS_ENGINE_HOST_TOP busiest of the others. */
static void
test_time_wait_hosts_pruned(void)
{
    FsEngineConfig cfg = { .msl = 30 * FS_NS_PER_SEC };
    g_autoptr(FsEngine) e = fs_engine_new(&cfg, NULL);
    const guint hosts = 3 * FS_ENGINE_HOST_TOP;
    guint listed = 0;
    guint64 busiest = 0;

    for (guint h = 0; h < hosts; h++) {
        /* host h closes 1 + h / 100 connections at once, 1 s apart */
        for (guint k = 0; k <= h / 100; k++) {
            g_autoptr(GArray) steps =
                g_array_new(FALSE, TRUE, sizeof(FsScriptStep));

            add_client_close(steps, (guint16)(40000 + k), (gint64)h * 1000);
            for (guint i = 0; i < steps->len; i++) {
                FsSegment seg;
                gboolean c2s;

                fs_script_segment(&g_array_index(steps, FsScriptStep, i),
                                  &seg);
                c2s = g_array_index(steps, FsScriptStep, i).dir == C2S;
                (c2s ? &seg.src : &seg.dst)->bytes[2] = (guint8)(h >> 8);
                (c2s ? &seg.src : &seg.dst)->bytes[3] = (guint8)h;
                seg.flow_hash = 0;
                fs_engine_segment(e, &seg);
            }
        }
    }
    fs_engine_finish(e);
    g_assert_cmpuint(fs_engine_stats(e)->hosts_pruned, >, 0);
    fs_engine_foreach_time_wait_host(e, count_host, &listed);
    /* 60 s of hosts still hold TIME_WAIT, plus the kept busiest */
    g_assert_cmpuint(listed, <=, 61 + FS_ENGINE_HOST_TOP);
    g_assert_cmpuint(listed, >=, 60 + FS_ENGINE_HOST_TOP - 1);
    fs_engine_foreach_time_wait_host(e, max_peak, &busiest);
    g_assert_cmpuint(busiest, ==, 3);
}

/* An open connection quiet for longer than --idle-timeout is finished
 * (live capture); offline, without the option, it stays to the end. */
static void
test_idle_timeout(void)
{
    const FsScriptStep steps[] = {
        { C2S, "S",  1000, 0,    0, 0,      0, 0, 0 },
        { S2C, "SA", 5000, 1001, 0, 1,      0, 0, 0 },
        { C2S, "A",  1001, 5001, 0, 2,      0, 0, 0 },
        { 'c', "S",  7000, 0,    0, 400000, 0, 0, 0 },
    };
    FsEngineConfig idle = { .msl = 30 * FS_NS_PER_SEC,
                            .idle_timeout = 300 * FS_NS_PER_SEC };
    g_autoptr(FsScriptResult) with = fs_script_run(steps, 4, &idle);
    g_autoptr(FsScriptResult) without = fs_script_run(steps, 4, NULL);

    /* out before the 4th segment (400 s later) was counted, versus only
     * at the end of the capture */
    g_assert_cmpuint(g_array_index(with->finished_at, guint64, 0), ==, 3);
    g_assert_cmpuint(g_array_index(without->finished_at, guint64, 0), ==, 4);
    g_assert_cmpuint(with->stats.live_peak, ==, 1);
    g_assert_cmpuint(without->stats.live_peak, ==, 2);
    g_assert_cmpstr(fs_close_kind_name(fs_classify_close(
                        fs_script_conn(with, 0))), ==, "open");
}

/* A reset comes long after the connection opened: its record still comes
 * out RESET_LINGER (5 s) after the reset, not when the open connection's
 * next look was due (2*MSL after it opened). */
static void
test_reset_finishes_soon(void)
{
    const FsScriptStep steps[] = {
        { C2S, "S",  1000, 0,    0,   0,     0, 0, 0 },
        { S2C, "SA", 5000, 1001, 0,   1,     0, 0, 0 },
        { C2S, "A",  1001, 5001, 0,   2,     0, 0, 0 },
        { C2S, "PA", 1001, 5001, 100, 10000, 0, 0, 0 },
        { S2C, "R",  5001, 0,    0,   20000, 0, 0, 0 },
        { 'c', "S",  7000, 0,    0,   26000, 0, 0, 0 },
        { 'c', "S",  7000, 0,    0,   27000, 0, 0, 0 },
    };
    g_autoptr(FsScriptResult) res = fs_script_run(steps, 7, NULL);

    g_assert_cmpuint(g_array_index(res->finished_at, guint64, 0), ==, 5);
    g_assert_cmpstr(fs_close_kind_name(fs_classify_close(
                        fs_script_conn(res, 0))), ==, "reset");
}

/* At the --max-flows cap, packets of connections already held do not
 * evict anything: only a new connection makes room. */
static void
test_max_flows_existing(void)
{
    const FsScriptStep steps[] = {
        { C2S, "S",  1000, 0,    0,   0, 0, 0, 0 },
        { S2C, "SA", 5000, 1001, 0,   1, 0, 0, 0 },
        { C2S, "A",  1001, 5001, 0,   2, 0, 0, 0 },
        { 'c', "S",  7000, 0,    0,   3, 0, 0, 0 },
        { 's', "SA", 9000, 7001, 0,   4, 0, 0, 0 },
        { 'c', "A",  7001, 9001, 0,   5, 0, 0, 0 },
        { C2S, "PA", 1001, 5001, 100, 6, 0, 0, 0 },
        { 'c', "PA", 7001, 9001, 100, 7, 0, 0, 0 },
    };
    FsEngineConfig cfg = { .msl = 30 * FS_NS_PER_SEC, .max_flows = 2 };
    g_autoptr(FsScriptResult) res = fs_script_run(steps, 8, &cfg);

    g_assert_cmpuint(res->stats.evicted, ==, 0);
    g_assert_cmpuint(res->conns->len, ==, 2);
    g_assert_false(fs_script_conn(res, 0)->roles_inferred);
    g_assert_false(fs_script_conn(res, 1)->roles_inferred);
}

/* The server holds TIME_WAIT and reconnects from it (its SYN makes it the
 * new incarnation's client); the client's SYN-ACK ends that TIME_WAIT.
 * The leave is counted for the host that held it, not for whichever host
 * has that role in the new incarnation. */
static void
test_time_wait_leave_on_reuse(void)
{
    const FsScriptStep steps[] = {
        { C2S, "S",  1000,  0,     0, 0,    0, 0, 0 },
        { S2C, "SA", 5000,  1001,  0, 1,    0, 0, 0 },
        { C2S, "A",  1001,  5001,  0, 2,    0, 0, 0 },
        { S2C, "FA", 5001,  1001,  0, 10,   0, 0, 0 },
        { C2S, "FA", 1001,  5002,  0, 11,   0, 0, 0 },
        { S2C, "A",  5002,  1002,  0, 12,   0, 0, 0 },
        { S2C, "S",  90000, 0,     0, 1000, 0, 0, 0 },
        { C2S, "SA", 70000, 90001, 0, 1001, 0, 0, 0 },
    };
    g_autoptr(FsScriptResult) res = fs_script_run(steps, 8, NULL);
    guint64 held = 0;

    g_assert_cmpuint(res->conns->len, ==, 2);
    g_assert_cmpuint(res->stats.time_wait_peak, ==, 1);
    for (guint i = 0; i < res->tw_hosts->len; i++) {
        const FsHostTimeWait *h =
            &g_array_index(res->tw_hosts, FsHostTimeWait, i);

        g_assert_cmpuint(h->now, <=, h->entered);
        held += h->now;
    }
    g_assert_cmpuint(held, ==, res->stats.time_wait_now);
}

/* One client-closes-first connection from host 10.<a>.<b>.1 to
 * 10.9.0.1:80 at t_ms: the client holds TIME_WAIT from t_ms + 2. */
static void
feed_close(FsEngine *e, guint a, guint b, guint16 port, gint64 t_ms)
{
    static const struct {
        gboolean c2s;
        guint8 flags;
        guint32 seq, ack;
        gint64 dt;
    } steps[] = {
        { TRUE,  FS_TH_SYN,               1000, 0,    0 },
        { FALSE, FS_TH_SYN | FS_TH_ACK,   5000, 1001, 1 },
        { TRUE,  FS_TH_ACK,               1001, 5001, 1 },
        { TRUE,  FS_TH_FIN | FS_TH_ACK,   1001, 5001, 2 },
        { FALSE, FS_TH_FIN | FS_TH_ACK,   5001, 1002, 2 },
        { TRUE,  FS_TH_ACK,               1002, 5002, 3 },
    };
    FsAddr client = { 4, { 10, (guint8)a, (guint8)b, 1 } };
    FsAddr server = { 4, { 10, 9, 0, 1 } };

    for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
        FsSegment seg = { 0 };

        seg.ts = FS_SCRIPT_T0 + (t_ms + steps[i].dt) * FS_NS_PER_MSEC;
        seg.src = steps[i].c2s ? client : server;
        seg.dst = steps[i].c2s ? server : client;
        seg.sport = steps[i].c2s ? port : 80;
        seg.dport = steps[i].c2s ? 80 : port;
        seg.seq = steps[i].seq;
        seg.ack = steps[i].ack;
        seg.flags = steps[i].flags;
        seg.window = 65535;
        seg.wscale = FS_WSCALE_NONE;
        fs_engine_segment(e, &seg);
    }
}

static void
take_dest(const FsDestTimeWait *d, gpointer user)
{
    g_array_append_val((GArray *)user, *d);
}

/* Port pressure: idle destinations below the busiest ones are forgotten,
 * so their table follows the destinations busy within 2*MSL, while the
 * busiest still come out with their true peaks. */
static void
test_dests_pruned(void)
{
    FsEngineConfig cfg = { .msl = 30 * FS_NS_PER_SEC };
    g_autoptr(FsEngine) e = fs_engine_new(&cfg, NULL);
    g_autoptr(GArray) top = g_array_new(FALSE, FALSE,
                                        sizeof(FsDestTimeWait));
    const FsDestTimeWait *first;

    /* the busiest: three TIME_WAITs at once from 10.200.0.1 */
    for (guint16 p = 0; p < 3; p++)
        feed_close(e, 200, 0, (guint16)(50000 + p), p * 10);
    /* then 6000 clients with one TIME_WAIT each, over 600 s */
    for (guint i = 0; i < 6000; i++)
        feed_close(e, 1 + i / 250, i % 250, 40000, 100 + (gint64)i * 100);
    g_assert_cmpuint(fs_engine_stats(e)->dests_tracked, <, 3000);
    fs_engine_finish(e);
    fs_engine_foreach_time_wait_dest(e, FS_ENGINE_DEST_TOP, take_dest, top);
    g_assert_cmpuint(top->len, ==, FS_ENGINE_DEST_TOP);
    first = &g_array_index(top, FsDestTimeWait, 0);
    g_assert_cmpuint(first->peak, ==, 3);
    g_assert_cmpuint(first->client.bytes[1], ==, 200);
    for (guint i = 1; i < top->len; i++)
        g_assert_cmpuint(g_array_index(top, FsDestTimeWait, i).peak, ==, 1);
}

/* The lean path (engine.c lean_segment()) is taken: mid-stream data and
 * ACKs of a connection go by it (FsEngineStats.lean_segments), none with
 * FINSCOPE_NO_LEAN set, and the records are the same either way. */
static void
test_lean_taken(void)
{
    const FsScriptStep steps[] = {
        { C2S, "S",  1000, 0,    0,   0, 0, 0, 0 },
        { S2C, "SA", 5000, 1001, 0,   1, 0, 0, 0 },
        { C2S, "A",  1001, 5001, 0,   2, 0, 0, 0 },
        { C2S, "PA", 1001, 5001, 100, 3, 0, 0, 0 },
        { S2C, "A",  5001, 1101, 0,   4, 0, 0, 0 },
        { S2C, "PA", 5001, 1101, 300, 5, 0, 0, 0 },
        { C2S, "A",  1101, 5301, 0,   6, 0, 0, 0 },
        { C2S, "FA", 1101, 5301, 0,   7, 0, 0, 0 },
        { S2C, "FA", 5301, 1102, 0,   8, 0, 0, 0 },
        { C2S, "A",  1102, 5302, 0,   9, 0, 0, 0 },
    };
    g_autoptr(FsScriptResult) lean = NULL;
    g_autoptr(FsScriptResult) full = NULL;

    g_unsetenv("FINSCOPE_NO_LEAN");
    lean = fs_script_run(steps, G_N_ELEMENTS(steps), NULL);
    g_setenv("FINSCOPE_NO_LEAN", "1", TRUE);
    full = fs_script_run(steps, G_N_ELEMENTS(steps), NULL);
    g_unsetenv("FINSCOPE_NO_LEAN");
    g_assert_cmpuint(lean->stats.lean_segments, ==, 4);
    g_assert_cmpuint(full->stats.lean_segments, ==, 0);
    g_assert_cmpuint(lean->stats.tcp_segments, ==, G_N_ELEMENTS(steps));
    g_assert_cmpuint(full->stats.tcp_segments, ==, G_N_ELEMENTS(steps));
    g_assert_cmpuint(lean->conns->len, ==, 1);
    g_assert_cmpuint(full->conns->len, ==, 1);
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        const FsEndpoint *a = &fs_script_conn(lean, 0)->ep[r];
        const FsEndpoint *b = &fs_script_conn(full, 0)->ep[r];

        g_assert_cmpuint(a->bytes, ==, b->bytes);
        g_assert_cmpuint(a->snd_nxt, ==, b->snd_nxt);
        g_assert_cmpuint(a->max_ack, ==, b->max_ack);
        g_assert_cmpint(a->state, ==, b->state);
    }
    g_assert_cmpuint(fs_script_conn(lean, 0)->packets, ==,
                     fs_script_conn(full, 0)->packets);
}

/* A sink that classifies (the stage) and offers a slot for records. */
typedef struct {
    FsConn slot;          /* what record_slot() offers */
    gboolean slotted;     /* offer it (else a plain sink) */
    GArray *records;      /* FsConn, as handed over */
    GArray *outcomes;     /* FsOutcome, the sink's or its own */
    guint in_slot;        /* records handed over in the slot */
} SlotSink;

static FsConn *
slot_of(gpointer user)
{
    return &((SlotSink *)user)->slot;
}

static void
slot_conn(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    SlotSink *k = user;
    FsOutcome own;

    if (k->slotted) {
        /* left to the sink */
        g_assert_null(outcome);
        fs_classify_outcome(conn, &own);
        outcome = &own;
        k->in_slot += conn == &k->slot;
    }
    g_array_append_val(k->records, *conn);
    g_array_append_vals(k->outcomes, outcome, 1);
}

static void
run_slot_sink(SlotSink *k)
{
    /* 40000 closes (frozen at once, handed over by a sweep 2*MSL on),
     * 40001 waits in CLOSE_WAIT (frozen when quiet, handed over at the
     * end), 40002 is still sending at the end (whole) */
    const FsScriptStep steps[] = {
        { C2S, "S",  1000, 0,    0, 0,     0, 0, 0 },
        { S2C, "SA", 5000, 1001, 0, 1,     0, 0, 0 },
        { C2S, "A",  1001, 5001, 0, 2,     0, 0, 0 },
        { C2S, "FA", 1001, 5001, 0, 3,     0, 0, 0 },
        { S2C, "FA", 5001, 1002, 0, 4,     0, 0, 0 },
        { C2S, "A",  1002, 5002, 0, 5,     0, 0, 0 },
        { 'c', "S",  2000, 0,    0, 10,    0, 0, 0 },
        { 's', "SA", 7000, 2001, 0, 11,    0, 0, 0 },
        { 'c', "A",  2001, 7001, 0, 12,    0, 0, 0 },
        { 'c', "FA", 2001, 7001, 0, 13,    0, 0, 0 },
        { 's', "A",  7001, 2002, 0, 14,    0, 0, 0 },
        { C2S, "S",  3000, 0,    0, 70000, 0, 0, 40002 },
        { S2C, "SA", 9000, 3001, 0, 70001, 0, 0, 40002 },
        { C2S, "A",  3001, 9001, 0, 70002, 0, 0, 40002 },
    };
    FsEngineConfig cfg = { .msl = 30 * FS_NS_PER_SEC };
    FsEngineSink sink = { .on_conn = slot_conn,
                          .user = k,
                          .record_slot = k->slotted ? slot_of : NULL,
                          .classifies = k->slotted };
    g_autoptr(FsEngine) e = fs_engine_new(&cfg, &sink);

    k->records = g_array_new(FALSE, TRUE, sizeof(FsConn));
    k->outcomes = g_array_new(FALSE, TRUE, sizeof(FsOutcome));
    for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
        FsSegment seg;

        fs_script_segment(&steps[i], &seg);
        fs_engine_segment(e, &seg);
    }
    fs_engine_finish(e);
}

/* A sink that classifies gets outcome NULL; one that offers a slot gets
 * each frozen record decoded straight into it: the same records, byte
 * for byte (links and padding too: the engine's records are zeroed
 * before they are filled), the same verdicts as a plain sink's. */
static void
test_record_slot(void)
{
    SlotSink plain = { .slotted = FALSE };
    SlotSink slotted = { .slotted = TRUE };

    run_slot_sink(&plain);
    run_slot_sink(&slotted);
    g_assert_cmpuint(plain.records->len, ==, 3);
    g_assert_cmpuint(slotted.records->len, ==, 3);
    /* the two frozen ones (a sweep's, the end's), not the whole one */
    g_assert_cmpuint(slotted.in_slot, ==, 2);
    for (guint i = 0; i < 3; i++) {
        const FsConn *a = &g_array_index(plain.records, FsConn, i);
        const FsConn *b = &g_array_index(slotted.records, FsConn, i);

        g_assert_cmpmem(a, sizeof *a, b, sizeof *b);
        g_assert_cmpmem(&g_array_index(plain.outcomes, FsOutcome, i),
                        sizeof(FsOutcome),
                        &g_array_index(slotted.outcomes, FsOutcome, i),
                        sizeof(FsOutcome));
    }
    g_array_unref(plain.records);
    g_array_unref(plain.outcomes);
    g_array_unref(slotted.records);
    g_array_unref(slotted.outcomes);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/engine/time-wait-peak", test_time_wait_peak);
    g_test_add_func("/engine/reset-finishes-soon", test_reset_finishes_soon);
    g_test_add_func("/engine/dests-pruned", test_dests_pruned);
    g_test_add_func("/engine/max-flows-existing", test_max_flows_existing);
    g_test_add_func("/engine/time-wait-leave-on-reuse",
                    test_time_wait_leave_on_reuse);
    g_test_add_func("/engine/streaming-release", test_streaming_release);
    g_test_add_func("/engine/max-flows", test_max_flows);
    g_test_add_func("/engine/handshake-gives-up", test_handshake_gives_up);
    g_test_add_func("/engine/evict-order", test_evict_order);
    g_test_add_func("/engine/time-wait-hosts-pruned",
                    test_time_wait_hosts_pruned);
    g_test_add_func("/engine/idle-timeout", test_idle_timeout);
    g_test_add_func("/engine/lean-taken", test_lean_taken);
    g_test_add_func("/engine/record-slot", test_record_slot);
    return g_test_run();
}
