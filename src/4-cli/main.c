/* finscope: picks the mode (files, -i, check) and wires capture ->
 * engine -> report for files. */
#include "config.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "check.h"
#include "cli.h"
#include "extract.h"
#include "finscope/capture.h"
#include "finscope/engine.h"
#include "finscope/error.h"
#include "finscope/pipeline.h"
#include "finscope/reader.h"
#include "finscope/report.h"
#include "finscope/stage.h"
#include "finscope/timeline.h"
#include "finscope/worker.h"
#include "live.h"
#include "shard.h"
#include "text.h"

/* Messages name files, filters and interfaces as given: escaped, and
 * cut if some echo grew without bound. */
static int
fail(int status, const GError *error)
{
    g_autofree char *msg = fs_text_escape_lines(error->message, 1024);

    fprintf(stderr, "finscope: %s\n", msg);
    return status;
}

/* SIGUSR1 asks for a summary so far, as with -i: the handler only sets
 * a flag, which the engine's thread sees between batches of packets. */
static volatile sig_atomic_t interim_wanted;

static void
on_sigusr1(int sig)
{
    (void)sig;
    interim_wanted = 1;
}

/* What an interim summary reads: the report (made once the files are
 * open), and the stage in front of it (NULL if none), which must have
 * run everything up to now first. */
typedef struct {
    FsReport *report;
    FsStage *stage;
} Interim;

static void
maybe_interim(FsEngine *engine, gpointer user)
{
    Interim *in = user;

    if (!interim_wanted)
        return;
    interim_wanted = 0;
    if (in->stage != NULL)
        fs_stage_sync(in->stage);
    fs_report_interim(in->report, engine);
}

/* SA_RESTART: the reads under libpcap must not fail with EINTR. */
static void
catch_sigusr1(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGUSR1, &sa, NULL);
}

/* Each -r file stays open for the merge: allow as many as the hard limit
 * lets (fs_capture_open_files() names the limit when that is too few). */
static void
raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* --timeline and --plot, once the records are in. */
static gboolean
write_timeline(const FsCliOptions *opts, FsTimeline *timeline,
               const FsEngine *engine)
{
    g_autoptr(GError) error = NULL;
    const FsEngineStats *st = fs_engine_stats(engine);

    if ((opts->timeline != NULL &&
         !fs_timeline_write(timeline, opts->timeline, st->t_first,
                            st->t_last, &error)) ||
        (opts->plot != NULL &&
         !fs_timeline_plot(timeline, opts->plot, st->t_first, st->t_last,
                           &error))) {
        fail(1, error);
        return FALSE;
    }
    return TRUE;
}

/* Each file not read to its end (cut inside a record, or stopped by a
 * read error), for the summary. */
static void
report_truncated(FsReport *report, const FsCapture *cap,
                 char *const *paths)
{
    for (guint i = 0; i < fs_capture_n_sources(cap); i++) {
        FsSourceCut cut;

        if (fs_capture_source_cut(cap, i, &cut))
            fs_report_add_truncated(report, paths[i], &cut);
    }
}

/* A file cut inside a packet record: said, and the rest analysed. */
static void
warn(const char *message, gpointer user)
{
    (void)user;
    fprintf(stderr, "finscope: %s\n", message);
}

static int
run(const FsCliOptions *opts)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(FsReport) report = NULL;
    g_autoptr(FsPipeline) pl = NULL;
    g_autoptr(FsWorker) worker = NULL; /* freed after the stage */
    g_autoptr(FsStage) stage = NULL; /* freed before the report */
    g_autoptr(FsTimeline) timeline = NULL;
    FsEngine *engine = NULL;
    FsEngineSink sink;
    FsEngineConfig cfg = opts->engine;
    FsShardSink shard = { { NULL, NULL, NULL, NULL, FALSE, NULL, NULL },
                          FALSE, NULL, FALSE, 0, FALSE,
                          NULL, NULL };
    Interim interim = { NULL, NULL };
    /* --threads N >= 2: N engine shards behind a reader thread;
     * else, by default, a reader thread with more than one CPU (and the
     * report's stage below) */
    FsPipelineConfig pc = {
        .files = (const char *const *)opts->read_files, .bpf = opts->bpf,
        .threaded = opts->threads == 0 && fs_reader_threads_help(),
        .shards = opts->threads >= 2 ? (guint)opts->threads : 0,
        .tick = maybe_interim, .tick_user = &interim, .warn = warn };
    /* the report's stage below: the default with a reader thread, whose
     * thread then runs it too, between batches (two threads busy on two
     * CPUs, not three) */
    gboolean staged = pc.threaded && cfg.shards == 0 &&
                      opts->timeline == NULL && opts->plot == NULL;
    gboolean ran;

    if (staged) {
        /* records are formatted in another thread (issue 16), which
         * allocates from the main arena too: an arena of its own would
         * hold about 1.4 MiB more at the bench medium trace's peak (it
         * cannot reuse what the engine freed), 14 bytes a connection.
         * Before the thread starts: a thread keeps the arena of its
         * first malloc, and GLib's thread start-up allocates (set after
         * it, the limit left the worker an arena of its own, 1.1 MiB of
         * medium's peak RSS) */
#ifdef M_ARENA_MAX
        (void)mallopt(M_ARENA_MAX, 1);
#endif
        worker = fs_worker_new("finscope-reader");
        pc.worker = worker;
    }
    pl = fs_pipeline_open(&pc, &error);
    if (pl == NULL)
        return fail(g_error_matches(error, FS_ERROR, FS_ERROR_FILTER) ? 2 : 1,
                    error);
    report = fs_report_new(opts->format, stdout, &opts->engine);
    fs_report_set_sources(report, (const char *const *)opts->read_files,
                          g_strv_length(opts->read_files));
    if (opts->top >= 0)
        fs_report_set_top(report, (guint)opts->top);
    /* files read: the JSON lines go out a batch at a time (the shards'
     * sink writes lines of its own between them) */
    fs_report_set_batched(report, cfg.shards == 0);
    sink = fs_report_sink(report);
    if (opts->timeline != NULL || opts->plot != NULL) {
        FsEngineSink inner = sink;

        timeline = fs_timeline_new(opts->step, opts->engine.msl);
        sink = fs_timeline_tee(timeline, &inner);
    }
    if (cfg.shards > 0) {
        /* merge applies --top to the sum: every service and RST sender
         * goes out here */
        fs_report_set_shard(report);
        sink = fs_shard_sink(&shard, &sink, cfg.all_events, stdout);
        cfg.all_events = TRUE;
    }
    if (staged) {
        stage = fs_stage_new_on(&sink, worker);
        sink = fs_stage_sink(stage);
    }
    interim.report = report;
    interim.stage = stage;
    engine = fs_pipeline_start(pl, &cfg, &sink);
    shard.engine = engine;
    catch_sigusr1();
    ran = fs_pipeline_run(pl, &error);
    if (stage != NULL)
        fs_stage_sync(stage);
    report_truncated(report, fs_pipeline_capture(pl), opts->read_files);
    shard.ending = TRUE;
    fs_pipeline_finish(pl);
    g_clear_pointer(&stage, fs_stage_free);
    g_clear_pointer(&worker, fs_worker_free);
    fs_report_finish(report, engine);
    if (cfg.shards > 0)
        fs_shard_write_trailer(stdout, &opts->engine,
                               g_strv_length(opts->read_files),
                               opts->top >= 0 ? (guint)opts->top
                                              : FS_REPORT_TOP_SERVICES,
                               fs_engine_stats(engine));
    fs_shard_sink_clear(&shard);
    if (timeline != NULL && !write_timeline(opts, timeline, engine))
        return 1;
    if (ferror(stdout)) {
        fprintf(stderr, "finscope: error writing the report\n");
        return 1;
    }
    if (!ran)
        return fail(1, error);
    return 0;
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    FsCliOptions opts;
    int status;

    raise_fd_limit();
    if (argc > 1 && g_strcmp0(argv[1], "check") == 0)
        return fs_check_main(argc - 1, argv + 1);
    if (argc > 1 && g_strcmp0(argv[1], "merge") == 0)
        return fs_merge_main(argc - 1, argv + 1);
    if (!fs_cli_parse(argc, argv, &opts, &error)) {
        fs_cli_options_clear(&opts);
        return fail(2, error);
    }
    if (opts.version) {
        printf("%s\n", PACKAGE_STRING);
        fs_cli_options_clear(&opts);
        return 0;
    }
    status = opts.iface != NULL    ? fs_live_run(&opts)
             : opts.extract != NULL ? fs_extract_run(&opts)
             : opts.ladder != 0     ? fs_ladder_run(&opts)
                                    : run(&opts);
    fs_cli_options_clear(&opts);
    return status;
}
