/* finscope tests: the per-service view's pure parts (report-service.c):
 * the TIME_WAIT peak from spans, and what who-closes-first means; and
 * the text report's close times (report-text.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "report-private.h"

static FsService *
service_with_spans(const FsTime *spans, guint n_spans)
{
    FsService *svc = g_new0(FsService, 1);

    svc->name = g_strdup("10.0.0.1:80");
    svc->tw_spans = g_array_new(FALSE, FALSE, sizeof(FsTime));
    g_array_append_vals(svc->tw_spans, spans, 2 * n_spans);
    svc->tw_whole_us = g_array_new(FALSE, FALSE, sizeof(guint32));
    return svc;
}

static void
service_free(FsService *svc)
{
    if (svc->tw_whole != NULL)
        g_array_unref(svc->tw_whole);
    g_array_unref(svc->tw_whole_us);
    g_array_unref(svc->tw_spans);
    g_free(svc->name);
    g_free(svc);
}

static void
test_peak(void)
{
    /* entered, left (ns): [0,10) [5,15) [8,9) overlap three deep at 8;
     * [15,20) starts as [5,15) ends: not four */
    static const FsTime spans[] = { 0, 10, 5, 15, 8, 9, 15, 20, 30, 40 };
    FsService *svc = service_with_spans(spans, 5);

    g_assert_cmpuint(fs_service_time_wait_peak(svc), ==, 3);
    service_free(svc);
}

static void
test_peak_touching(void)
{
    /* one leaves as the next enters, all along: never two at once */
    static const FsTime spans[] = { 20, 30, 0, 10, 10, 20 };
    FsService *svc = service_with_spans(spans, 3);

    g_assert_cmpuint(fs_service_time_wait_peak(svc), ==, 1);
    service_free(svc);
}

static void
test_peak_whole(void)
{
    /* spans cut short [0,10) [25,27); whole ones (10 long) from 5, 10,
     * 15, 26: [5,15) [10,20) [15,25) [26,36). Deepest at 10 (0-10 left
     * as 10-20 came): [5,15) [10,20) two; at 26: [15,25) left, [25,27)
     * [26,36) two; three nowhere */
    static const FsTime spans[] = { 0, 10, 25, 27 };
    static const FsTime whole[] = { 5, 10, 15, 26 };
    FsService *svc = service_with_spans(spans, 2);

    svc->tw_whole = g_array_new(FALSE, FALSE, sizeof(FsTime));
    svc->tw_whole_len = 10;
    g_array_append_vals(svc->tw_whole, whole, G_N_ELEMENTS(whole));
    g_assert_cmpuint(fs_service_time_wait_peak(svc), ==, 2);
    /* one more whole from 6: [0,10) [5,15) [6,16) three at 6 */
    g_array_append_val(svc->tw_whole, (FsTime){ 6 });
    g_assert_cmpuint(fs_service_time_wait_peak(svc), ==, 3);
    service_free(svc);
}

/* Whole spans only, no pair ever appended (its array has no data): the
 * fuzzer's first find under UBSan (a pointer past NULL). */
static void
test_peak_whole_only(void)
{
    static const FsTime whole[] = { 5, 10, 15, 26 };
    FsService *svc = service_with_spans(NULL, 0);

    svc->tw_whole = g_array_new(FALSE, FALSE, sizeof(FsTime));
    svc->tw_whole_len = 10;
    g_array_append_vals(svc->tw_whole, whole, G_N_ELEMENTS(whole));
    /* [5,15) [10,20) [15,25) [26,36): two at once at most */
    g_assert_cmpuint(fs_service_time_wait_peak(svc), ==, 2);
    service_free(svc);
}

/* The most spans of an array held at once, by brute force: at each
 * enter, those entered before or then and not yet left (a leave first
 * at one time). */
static guint
brute_peak(const FsTime *enter, const FsTime *leave, guint n)
{
    guint max = 0;

    for (guint i = 0; i < n; i++) {
        guint now = 0;

        for (guint j = 0; j < n; j++)
            now += enter[j] <= enter[i] && leave[j] > enter[i];
        max = MAX(max, now);
    }
    return max;
}

/* Spans in no order, or nearly in order (each start a little off its
 * place: the merges' halves overlap at their seams), more than one
 * sorting run of report-service.c: the peak as brute_peak() counts
 * it. */
static void
check_peak_many(gboolean nearly_in_order)
{
    enum { N = 1000 };
    g_autofree FsTime *spans = g_new(FsTime, 2 * N);
    g_autofree FsTime *enter = g_new(FsTime, N);
    g_autofree FsTime *leave = g_new(FsTime, N);
    GRand *rand = g_rand_new_with_seed(16);
    FsService *svc;
    guint want;

    for (guint i = 0; i < N; i++) {
        enter[i] = nearly_in_order
                       ? (FsTime)i * 100 + g_rand_int_range(rand, 0, 700)
                       : g_rand_int_range(rand, 0, 100000);
        leave[i] = enter[i] + g_rand_int_range(rand, 1, 2000);
        spans[2 * i] = enter[i];
        spans[2 * i + 1] = leave[i];
    }
    want = brute_peak(enter, leave, N);
    svc = service_with_spans(spans, N);
    g_assert_cmpuint(want, >, 3);
    g_assert_cmpuint(fs_service_time_wait_peak(svc), ==, want);
    service_free(svc);
    g_rand_free(rand);
}

static void
test_peak_many(void)
{
    check_peak_many(FALSE);
    check_peak_many(TRUE);
}

static int
cmp_time(gconstpointer a, gconstpointer b)
{
    FsTime x = *(const FsTime *)a;
    FsTime y = *(const FsTime *)b;

    return (x > y) - (x < y);
}

/* fs_sort_times() against qsort(): in no order, nearly in order (each
 * time a little off its place, by up to jitter places: the merges'
 * halves overlap at their seams), in order, reversed, with ties; every
 * length up to several sorting runs and merges. */
static void
test_sort_times(void)
{
    static const gint32 jitters[] = { 0, 3, 20, 100, 100000 };
    GRand *rand = g_rand_new_with_seed(1793);

    for (gsize n = 0; n <= 300; n++) {
        g_autofree FsTime *t = g_new(FsTime, MAX(n, 1));
        g_autofree FsTime *want = g_new(FsTime, MAX(n, 1));
        g_autofree FsTime *scratch = g_new(FsTime, MAX(n, 1));

        for (gsize k = 0; k < G_N_ELEMENTS(jitters) + 1; k++) {
            for (gsize i = 0; i < n; i++) {
                if (k == G_N_ELEMENTS(jitters))
                    t[i] = (FsTime)(n - i) / 2;     /* reversed, ties */
                else
                    t[i] = (FsTime)i * 10 +
                           g_rand_int_range(rand, 0, 10 * jitters[k] + 1);
            }
            memcpy(want, t, n * sizeof *t);
            if (n > 0)
                qsort(want, n, sizeof *want, cmp_time);
            fs_sort_times(t, scratch, n);
            g_assert_cmpmem(t, n * sizeof *t, want, n * sizeof *want);
        }
    }
    g_rand_free(rand);
}

static void
test_peak_empty(void)
{
    FsService *svc = service_with_spans(NULL, 0);

    g_assert_cmpuint(fs_service_time_wait_peak(svc), ==, 0);
    service_free(svc);
}

/* A client's connection towards 10.0.0.0:80 (g_free() it) whose
 * TIME_WAIT began at since: held, settled then. */
static FsConn *
client_time_wait(FsTime since)
{
    FsConn *conn = g_new0(FsConn, 1);
    FsEndpoint *ep = &conn->ep[FS_ROLE_CLIENT];

    fs_conn_init(conn);
    conn->addr[FS_ROLE_SERVER].family = 4;
    conn->addr[FS_ROLE_SERVER].bytes[0] = 10;
    conn->port[FS_ROLE_SERVER] = 80;
    conn->rst_from = FS_ROLE_NONE;
    ep->time_wait_since = since;
    ep->state = FS_TCP_TIME_WAIT;
    ep->state_since = since;
    conn->settled_at = since;
    return conn;
}

/* Spans added through fs_services_add() over a capture far longer than
 * 4*MSL are folded as they come (FOLD_AT, 512 kept at least): the peak
 * is the same as from every span at once, and the service keeps only a
 * few times the spans of the last 6*MSL. Records come out of order
 * (their TIME_WAIT began up to 4*MSL before they settle), whole spans
 * and spans cut short mixed, with a burst at one time, and an hour
 * with none. With whole_us, every start lies whole microseconds from
 * the others (a pcap's), so whole spans are kept in tw_whole_us and
 * folded there; those after the hour lie too far from the first for
 * its base, until a fold has emptied tw_whole_us and the next sets it
 * anew. Else starts are in nanoseconds, and most whole spans go to
 * tw_whole. */
static void
check_peak_folded(gboolean whole_us)
{
    enum { N = 6000, AFTER_GAP = 4500 };
    const FsTime msl = 1 * FS_NS_PER_SEC;
    FsServices *services = fs_services_new();
    FsTime *enter = g_new(FsTime, N);
    FsTime *leave = g_new(FsTime, N);
    g_autoptr(GPtrArray) top = NULL;
    const FsService *svc;
    GRand *rand = g_rand_new_with_seed(16);

    for (guint i = 0; i < N; i++) {
        /* about 100 at once, 50 a second; 40 start together at 60 s;
         * an hour with none before the last 1500 */
        FsTime jitter = g_rand_int_range(rand, 0, 1000);
        FsTime since = i >= 3000 && i < 3040
                           ? 60 * FS_NS_PER_SEC
                           : (FsTime)i * 20 * 1000 * 1000 +
                                 (whole_us ? jitter * 1000 : jitter);
        FsConn *conn;
        FsOutcome outcome = { 0 };
        FsEndpoint *ep;

        if (i >= AFTER_GAP)
            since += 3600 * FS_NS_PER_SEC;
        conn = client_time_wait(since);
        ep = &conn->ep[FS_ROLE_CLIENT];
        if (i % 7 == 0) {
            /* cut short: CLOSED since then */
            ep->state = FS_TCP_CLOSED;
            ep->state_since = since + g_rand_int_range(rand, 1, 2 * 1000 *
                                                                 1000 * 1000);
        }
        /* settled up to 4*MSL after its TIME_WAIT began */
        conn->settled_at = since + g_rand_int_range(rand, 0, 4000) *
                                       (FsTime)1000 * 1000;
        outcome.end_state[FS_ROLE_CLIENT] = ep->state;
        outcome.end_state[FS_ROLE_SERVER] = FS_TCP_CLOSED;
        outcome.active_closer = FS_CLOSER_CLIENT;
        outcome.idle_before_close = 0;
        enter[i] = since;
        leave[i] = ep->state == FS_TCP_TIME_WAIT
                       ? since + 2 * msl
                       : MIN(ep->state_since, since + 2 * msl);
        fs_services_add(services, conn, &outcome, msl);
        g_free(conn);
    }
    top = fs_services_top(services, 0);
    g_assert_cmpuint(top->len, ==, 1);
    svc = g_ptr_array_index(top, 0);
    g_assert_false(svc->tw_spans_full);
    g_assert_true(svc->folded_to != FS_TIME_UNSET);
    /* 6*MSL of spans is about 350: kept with a fold's slack, not 6000 */
    g_assert_cmpuint(fs_service_spans_kept(svc), <, 2000);
    /* the whole spans kept (about 160, all after the hour): in 4 bytes
     * each with whole_us, the base set anew after the hour; else in 8 */
    if (whole_us) {
        g_assert_cmpuint(svc->tw_whole_us->len, >, 100);
    } else {
        g_assert_nonnull(svc->tw_whole);
        g_assert_cmpuint(svc->tw_whole->len, >, 100);
    }
    g_assert_cmpuint(fs_service_time_wait_peak(svc), ==,
                     brute_peak(enter, leave, N));
    g_assert_cmpuint(fs_service_time_wait_peak(svc), >=, 40);
    g_rand_free(rand);
    g_free(enter);
    g_free(leave);
    fs_services_free(services);
}

static void
test_peak_folded(void)
{
    check_peak_folded(FALSE);
}

static void
test_peak_folded_us(void)
{
    check_peak_folded(TRUE);
}

/* A service's meaning from its closers (first by the client, the
 * server, both at once) and the endpoints that entered TIME_WAIT
 * (client's, server's). */
static void
test_meaning(void)
{
    static const struct {
        guint64 closers[3];
        guint64 time_wait[2];
        guint64 guessed;
        const char *want;
    } cases[] = {
        { { 2, 98, 0 }, { 2, 98 }, 0,
          "server closes first in 98%: the server holds TIME_WAIT" },
        /* the same closers, every close reset after the first FIN (a
         * client's RST answering the server's FIN): no TIME_WAIT */
        { { 2, 98, 0 }, { 0, 0 }, 0,
          "server closes first in 98%: none held TIME_WAIT (the closes "
          "reset or unfinished)" },
        /* ... or most of the server's: the few clients' were held */
        { { 2, 98, 0 }, { 2, 1 }, 0,
          "server closes first in 98%: both sides hold TIME_WAIT" },
        { { 2, 98, 0 }, { 2, 0 }, 0,
          "server closes first in 98%: the clients hold TIME_WAIT" },
        /* 79%: not one side's habit */
        { { 21, 79, 0 }, { 21, 79 }, 0,
          "no side closes first consistently (client 21%, server 79%): "
          "both sides hold TIME_WAIT" },
        { { 0, 0, 3 }, { 3, 3 }, 0,
          "simultaneous closes in 100%: both sides hold TIME_WAIT" },
        /* closers of one-sided records (fs_classify_closer_guessed()) */
        { { 0, 11, 0 }, { 0, 0 }, 11,
          "server closes first in 100% (every closer guessed: confidence "
          "low): none held TIME_WAIT (the closes reset or unfinished)" },
        { { 2, 98, 0 }, { 2, 98 }, 5,
          "server closes first in 98% (5 of the 100 closers guessed: "
          "confidence low): the server holds TIME_WAIT" },
        { { 21, 79, 0 }, { 21, 79 }, 1,
          "no side closes first consistently (client 21%, server 79%; 1 of "
          "the 100 closers guessed: confidence low): both sides hold "
          "TIME_WAIT" },
    };
    FsService *svc = service_with_spans(NULL, 0);
    char *m = fs_service_meaning(svc);

    g_assert_null(m);   /* nothing closed: nothing to say */
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        memcpy(svc->by_closer, cases[i].closers, sizeof svc->by_closer);
        memcpy(svc->time_wait, cases[i].time_wait, sizeof svc->time_wait);
        svc->closers_guessed = cases[i].guessed;
        m = fs_service_meaning(svc);
        g_assert_cmpstr(m, ==, cases[i].want);
        g_free(m);
    }
    service_free(svc);
}

/* The text report's close time is what printf("%.3f ms", ns / 1e6)
 * writes: every rounding side, the ties printf decides, large values. */
static void
expect_ms(FsTime ns)
{
    g_autofree char *want = g_strdup_printf("%.3f ms", (double)ns / 1e6);
    g_autofree char *got = fs_report_ms_string(ns);

    g_assert_cmpstr(got, ==, want);
}

static void
test_ms_string(void)
{
    static const FsTime fixed[] = {
        0, 1, 499, 500, 501, 999, 1000, 1499, 1500, 1501, 2500, 999499,
        999500, 999501, 1000000, 123456789, 9999999500,
        (G_GINT64_CONSTANT(1) << 43) - 1, G_GINT64_CONSTANT(1) << 43,
        (G_GINT64_CONSTANT(1) << 43) + 501, G_GINT64_CONSTANT(86400) *
        1000000000 * 400 + 777,
    };
    GRand *rand = g_rand_new_with_seed(16);

    for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
        expect_ms(fixed[i]);
    for (FsTime ns = 0; ns < 20000; ns++)
        expect_ms(ns);
    for (guint i = 0; i < 200000; i++) {
        /* scales from microseconds to hours, and the ties */
        FsTime ns = (FsTime)(g_rand_double(rand) *
                             (double)(G_GINT64_CONSTANT(1)
                                      << g_rand_int_range(rand, 10, 44)));

        expect_ms(ns);
        expect_ms(ns - ns % 1000 + 500);
    }
    g_rand_free(rand);
}

/* One whole TIME_WAIT (its 2*MSL) from since, of a client towards
 * 10.0.0.0:80, added to services. */
static void
add_whole(FsServices *services, FsTime since, FsTime msl)
{
    FsConn *conn = client_time_wait(since);
    FsOutcome outcome = { 0 };

    outcome.end_state[FS_ROLE_CLIENT] = conn->ep[FS_ROLE_CLIENT].state;
    outcome.end_state[FS_ROLE_SERVER] = FS_TCP_CLOSED;
    outcome.active_closer = FS_CLOSER_CLIENT;
    fs_services_add(services, conn, &outcome, msl);
    g_free(conn);
}

/* Whole spans whose starts are whole microseconds from the first (a
 * pcap's) are kept in 4 bytes each (tw_whole_us); one in nanoseconds,
 * or hours away, in 8 (tw_whole): the peak counts them all. */
static void
test_peak_whole_us(void)
{
    const FsTime msl = FS_NS_PER_SEC;
    const FsTime t0 = 1700000000 * FS_NS_PER_SEC + 123456000;
    FsServices *services = fs_services_new();
    g_autoptr(GPtrArray) top = NULL;
    const FsService *svc;

    /* 100 within 99 ms, so all held at once; one learnt out of order,
     * 35 minutes before (still microseconds from the first) */
    for (guint i = 0; i < 100; i++)
        add_whole(services, t0 + (FsTime)i * FS_NS_PER_MSEC, msl);
    add_whole(services, t0 - 35 * 60 * FS_NS_PER_SEC, msl);
    /* in nanoseconds, within the others: 101 at once */
    add_whole(services, t0 + 50 * FS_NS_PER_MSEC + 1, msl);
    /* three hours on */
    add_whole(services, t0 + 3 * 3600 * FS_NS_PER_SEC, msl);
    add_whole(services, t0 + 3 * 3600 * FS_NS_PER_SEC + FS_NS_PER_SEC, msl);
    top = fs_services_top(services, 0);
    svc = g_ptr_array_index(top, 0);
    g_assert_cmpuint(svc->tw_whole_us->len, ==, 101);
    g_assert_nonnull(svc->tw_whole);
    g_assert_cmpuint(svc->tw_whole->len, ==, 3);
    g_assert_cmpuint(fs_service_time_wait_peak(svc), ==, 101);
    fs_services_free(services);
}

/* Over a capture much longer than 2^31 microseconds (35 minutes), the
 * folds move the base of the whole spans kept in 4 bytes along: none is
 * ever kept in 8 (tw_whole; from the first's base, every one from 35
 * minutes on was, until the spans kept from before had all gone), and
 * the peak is theirs. One whole TIME_WAIT every 100 ms for 80 minutes,
 * 2*MSL 2 s: 20 at once (one leaves as the next enters). */
static void
test_peak_whole_us_long(void)
{
    const FsTime msl = FS_NS_PER_SEC;
    const FsTime t0 = 1700000000 * FS_NS_PER_SEC + 123456000;
    const guint n = 80 * 60 * 10;
    FsServices *services = fs_services_new();
    g_autoptr(GPtrArray) top = NULL;
    const FsService *svc;

    add_whole(services, t0, msl);
    top = fs_services_top(services, 0);
    svc = g_ptr_array_index(top, 0);
    for (guint i = 1; i < n; i++) {
        add_whole(services, t0 + (FsTime)i * 100 * FS_NS_PER_MSEC, msl);
        if (svc->tw_whole != NULL && svc->tw_whole->len > 0)
            g_error("span %u (%u s on) kept in 8 bytes", i, i / 10);
    }
    g_assert_true(svc->folded_to != FS_TIME_UNSET);
    g_assert_cmpuint(svc->tw_whole_us->len, <, 2000);
    g_assert_cmpuint(fs_service_time_wait_peak(svc), ==, 20);
    fs_services_free(services);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/service/peak", test_peak);
    g_test_add_func("/service/sort-times", test_sort_times);
    g_test_add_func("/service/peak-touching", test_peak_touching);
    g_test_add_func("/service/peak-whole", test_peak_whole);
    g_test_add_func("/service/peak-whole-only", test_peak_whole_only);
    g_test_add_func("/service/peak-many", test_peak_many);
    g_test_add_func("/service/peak-empty", test_peak_empty);
    g_test_add_func("/service/peak-folded", test_peak_folded);
    g_test_add_func("/service/peak-folded-us", test_peak_folded_us);
    g_test_add_func("/service/peak-whole-us", test_peak_whole_us);
    g_test_add_func("/service/peak-whole-us-long", test_peak_whole_us_long);
    g_test_add_func("/service/meaning", test_meaning);
    g_test_add_func("/report-text/ms-string", test_ms_string);
    return g_test_run();
}
