/* finscope tests: the one pipeline (src/1-engine/pipeline.c) — files in
 * one or two threads or in engine shards, a packet selector, warnings
 * handed back, and the verdict handed over with each record. */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>

#include "finscope/classify.h"
#include "finscope/error.h"
#include "finscope/pipeline.h"

typedef struct {
    guint64 id;
    FsOutcome outcome;
} Record;

typedef struct {
    GArray *records;  /* Record, in hand-over order */
    guint mismatches; /* outcomes not fs_classify_outcome() of the record */
} Sink;

/* Field by field: a copied struct's padding is anybody's. */
static gboolean
outcome_equal(const FsOutcome *a, const FsOutcome *b)
{
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        if (a->end_state[r] != b->end_state[r] ||
            a->fin_retransmits[r] != b->fin_retransmits[r])
            return FALSE;
    }
    return a->close == b->close && a->active_closer == b->active_closer &&
           a->rst_from == b->rst_from && a->half_close == b->half_close &&
           a->final_ack_lost == b->final_ack_lost && a->flags == b->flags &&
           a->old_duplicates == b->old_duplicates &&
           a->handshake == b->handshake &&
           a->close_duration == b->close_duration &&
           a->idle_before_close == b->idle_before_close;
}

static void
on_conn(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    Sink *s = user;
    Record r = { conn->id, *outcome };
    FsOutcome again;

    fs_classify_outcome(conn, &again);
    s->mismatches += !outcome_equal(&again, outcome);
    g_array_append_val(s->records, r);
}

/* Several samples at once: the capture merges them by time. */
static char **
sample_paths(void)
{
    const char *names[] = { "half-close-v4.pcap", "old-dup-after-reuse.pcap",
                            "reuse-client-time-wait.pcap",
                            "syn-to-last-ack.pcap",
                            "client-close-first-v4.pcap" };
    char **paths = g_new0(char *, G_N_ELEMENTS(names) + 1);

    for (guint i = 0; i < G_N_ELEMENTS(names); i++)
        paths[i] = g_test_build_filename(G_TEST_DIST, "samples", names[i],
                                         NULL);
    return paths;
}

/* Runs cfg to the end into s; returns the engine's packet count and,
 * in *t_last, its clock. */
static guint64
run(const FsPipelineConfig *cfg, Sink *s, FsTime *t_last)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(FsPipeline) p = fs_pipeline_open(cfg, &error);
    FsEngineConfig ecfg = { .msl = 30 * FS_NS_PER_SEC };
    FsEngineSink sink = { .on_conn = on_conn,
                          .user = s };
    FsEngine *engine = NULL;

    g_assert_no_error(error);
    engine = fs_pipeline_start(p, &ecfg, &sink);
    g_assert_true(fs_pipeline_run(p, &error));
    g_assert_no_error(error);
    fs_pipeline_finish(p);
    if (t_last != NULL)
        *t_last = fs_engine_stats(engine)->t_last;
    return fs_engine_stats(engine)->packets;
}

static void
assert_same_records(const GArray *a, const GArray *b)
{
    g_assert_cmpuint(a->len, ==, b->len);
    for (guint i = 0; i < a->len; i++) {
        const Record *x = &g_array_index(a, Record, i);
        const Record *y = &g_array_index(b, Record, i);

        g_assert_cmpuint(x->id, ==, y->id);
        g_assert_true(outcome_equal(&x->outcome, &y->outcome));
    }
}

/* One thread or two (the reader's own, or a worker given): the same
 * records, each with its own verdict. */
static void
test_threads(void)
{
    g_auto(GStrv) paths = sample_paths();
    FsPipelineConfig cfg = { .files = (const char *const *)paths };
    Sink one = { g_array_new(FALSE, FALSE, sizeof(Record)), 0 };
    Sink two = { g_array_new(FALSE, FALSE, sizeof(Record)), 0 };
    Sink shared = { g_array_new(FALSE, FALSE, sizeof(Record)), 0 };
    FsWorker *worker = fs_worker_new("test-worker");
    guint64 n1 = run(&cfg, &one, NULL);
    guint64 n2 = 0;

    cfg.threaded = TRUE;
    n2 = run(&cfg, &two, NULL);
    g_assert_cmpuint(n1, >, 0);
    g_assert_cmpuint(n1, ==, n2);
    g_assert_cmpuint(one.records->len, >=, 5);
    g_assert_cmpuint(one.mismatches, ==, 0);
    g_assert_cmpuint(two.mismatches, ==, 0);
    assert_same_records(one.records, two.records);
    /* read in a worker given (main.c shares it with the report), which
     * is left to serve its other jobs */
    cfg.worker = worker;
    g_assert_cmpuint(run(&cfg, &shared, NULL), ==, n1);
    assert_same_records(one.records, shared.records);
    fs_worker_free(worker);
    g_array_unref(one.records);
    g_array_unref(two.records);
    g_array_unref(shared.records);
}

/* --threads N: N engine shards behind a reader give one engine's
 * records, ids and verdicts, each verdict handed over with its record
 * (carried across from the shard that worked it out). */
static void
test_shards(void)
{
    g_auto(GStrv) paths = sample_paths();
    FsPipelineConfig cfg = { .files = (const char *const *)paths };
    Sink one = { g_array_new(FALSE, FALSE, sizeof(Record)), 0 };
    FsTime t_one = 0;
    guint64 n = run(&cfg, &one, &t_one);

    g_assert_cmpuint(one.records->len, >=, 5);
    for (guint k = 2; k <= 4; k++) {
        Sink many = { g_array_new(FALSE, FALSE, sizeof(Record)), 0 };
        FsTime t_many = 0;

        cfg.shards = k;
        g_assert_cmpuint(run(&cfg, &many, &t_many), ==, n);
        g_assert_cmpint(t_many, ==, t_one);
        g_assert_cmpuint(many.mismatches, ==, 0);
        assert_same_records(one.records, many.records);
        g_array_unref(many.records);
    }
    g_array_unref(one.records);
}

static gboolean
select_all(FsDecodeStatus st, const FsSegment *seg, gpointer user)
{
    (void)st;
    (void)seg;
    (*(guint *)user)++;
    return TRUE;
}

static gboolean
select_none(FsDecodeStatus st, const FsSegment *seg, gpointer user)
{
    (void)st;
    (void)seg;
    (*(guint *)user)++;
    return FALSE;
}

/* A selector sees every packet; what it lets through is analysed, the
 * rest only moves the clock (not counted as the engine's packets). */
static void
test_select(void)
{
    g_auto(GStrv) paths = sample_paths();
    FsPipelineConfig cfg = { .files = (const char *const *)paths };
    Sink plain = { g_array_new(FALSE, FALSE, sizeof(Record)), 0 };
    Sink all = { g_array_new(FALSE, FALSE, sizeof(Record)), 0 };
    Sink none = { g_array_new(FALSE, FALSE, sizeof(Record)), 0 };
    guint seen_all = 0;
    guint seen_none = 0;
    FsTime t_plain = 0;
    guint64 n = run(&cfg, &plain, &t_plain);

    cfg.select = select_all;
    cfg.select_user = &seen_all;
    g_assert_cmpuint(run(&cfg, &all, NULL), ==, n);
    assert_same_records(plain.records, all.records);
    g_assert_cmpuint(seen_all, ==, n);
    cfg.select = select_none;
    cfg.select_user = &seen_none;
    g_assert_cmpuint(run(&cfg, &none, NULL), ==, 0);
    g_assert_cmpuint(seen_none, ==, n);
    g_assert_cmpuint(none.records->len, ==, 0);
    g_assert_cmpint(t_plain, >, 0);
    g_array_unref(plain.records);
    g_array_unref(all.records);
    g_array_unref(none.records);
}

static void
keep_warning(const char *message, gpointer user)
{
    g_ptr_array_add(user, g_strdup(message));
}

/* A file cut inside a record: what came before is analysed, and the
 * warning goes back to the front end, not to stderr. */
static void
test_truncated(void)
{
    g_autofree char *sample = g_test_build_filename(
        G_TEST_DIST, "samples", "half-close-v4.pcap", NULL);
    g_autofree char *dir = g_dir_make_tmp("test-pipeline-XXXXXX", NULL);
    g_autofree char *cut = g_build_filename(dir, "cut.pcap", NULL);
    g_autofree char *want = g_strdup_printf(
        "%s: file ends inside a packet record; analysed what came before",
        cut);
    g_autofree char *data = NULL;
    gsize size = 0;
    const char *files[] = { cut, NULL };
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    FsPipelineConfig cfg = { .files = files, .warn = keep_warning,
                             .warn_user = warnings };
    Sink s = { g_array_new(FALSE, FALSE, sizeof(Record)), 0 };

    g_assert_true(g_file_get_contents(sample, &data, &size, NULL));
    g_assert_true(g_file_set_contents(cut, data, (gssize)size - 7, NULL));
    g_assert_cmpuint(run(&cfg, &s, NULL), >, 0);
    g_assert_cmpuint(warnings->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(warnings, 0), ==, want);
    g_array_unref(s.records);
    g_unlink(cut);
    g_rmdir(dir);
}

static void
test_missing(void)
{
    const char *files[] = { "/nonexistent/finscope.pcap", NULL };
    FsPipelineConfig cfg = { .files = files };
    g_autoptr(GError) error = NULL;
    g_autoptr(FsPipeline) p = fs_pipeline_open(&cfg, &error);

    g_assert_null(p);
    g_assert_error(error, FS_ERROR, FS_ERROR_OPEN);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pipeline/files/threads", test_threads);
    g_test_add_func("/pipeline/files/shards", test_shards);
    g_test_add_func("/pipeline/files/select", test_select);
    g_test_add_func("/pipeline/files/truncated", test_truncated);
    g_test_add_func("/pipeline/files/missing", test_missing);
    return g_test_run();
}
