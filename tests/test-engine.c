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
    g_test_add_func("/engine/idle-timeout", test_idle_timeout);
    return g_test_run();
}
