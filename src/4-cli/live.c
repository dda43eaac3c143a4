/* finscope: live capture — device, engine, report and metrics in a loop. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>

#include "finscope/capture.h"
#include "finscope/engine.h"
#include "finscope/error.h"
#include "finscope/pipeline.h"
#include "finscope/report.h"
#include "live.h"
#include "metrics.h"
#include "text.h"
#include "writer.h"

/* The pipeline ticks once a second (fs_pipeline_run()). */
#define STATUS_TICKS 5         /* status line on a terminal's stderr */
#define METRICS_FILE_TICKS 5   /* --metrics-file rewrite */
#define FLUSH_MS 2000          /* at stop: how long stdout may take the
                                  rest of the report */

typedef struct {
    const FsCliOptions *opts;
    FsPipeline *pipeline;       /* the device -> engine -> metrics */
    FsReport *report;
    FsMetrics *metrics;         /* wraps the report's sink */
    FsEngine *engine;           /* the pipeline's */
    FsMetricsServer *server;    /* --metrics-listen, or NULL */
    FsWriter *out;              /* stdout, through a bounded queue */
    guint sources[3];           /* signal sources */
    guint n_sources;
    guint ticks;                /* the pipeline's ticks since the start */
    gboolean status_tty;        /* stderr is a terminal */
    GError *error;              /* what ended the capture, if not us */
} Live;

/* Messages echo what the user gave (-Z USER, --metrics-listen ADDR,
 * paths): escaped and cut, as main.c's fail() does. */
static void
print_error(const GError *error)
{
    g_autofree char *msg = fs_text_escape_lines(error->message, 1024);

    fprintf(stderr, "finscope: %s\n", msg);
}

static char *
live_filter(const FsCliOptions *opts)
{
    const char *base = opts->bpf != NULL ? opts->bpf : FS_LIVE_FILTER_DEFAULT;

    if (!opts->closes_only)
        return g_strdup(base);
    return g_strdup_printf("(%s) and %s", base, FS_LIVE_FILTER_CLOSES);
}

static guint64
kernel_drops(Live *lv)
{
    return fs_pipeline_kernel_drops(lv->pipeline);
}

static char *
render_metrics(gpointer user)
{
    Live *lv = user;

    fs_metrics_set_report_dropped(lv->metrics,
                                  fs_writer_dropped_lines(lv->out));
    return fs_metrics_render(lv->metrics, lv->engine, kernel_drops(lv));
}

static void
write_metrics_file(Live *lv)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;

    if (lv->opts->metrics_file == NULL)
        return;
    text = render_metrics(lv);
    if (!fs_metrics_write_file(lv->opts->metrics_file, text, &error))
        print_error(error);
}

static void
print_status(Live *lv)
{
    const FsEngineStats *st = fs_engine_stats(lv->engine);

    fprintf(stderr, "finscope: %" G_GUINT64_FORMAT " packets, %"
            G_GUINT64_FORMAT " connections live, %" G_GUINT64_FORMAT
            " endpoints in TIME_WAIT, %" G_GUINT64_FORMAT
            " dropped by the kernel\n", st->packets, st->live,
            st->time_wait_now, kernel_drops(lv));
}

static void
on_tick(FsEngine *engine, gpointer user)
{
    Live *lv = user;

    (void)engine;
    lv->ticks++;
    if (lv->status_tty && lv->ticks % STATUS_TICKS == 0)
        print_status(lv);
    if (lv->ticks % METRICS_FILE_TICKS == 0)
        write_metrics_file(lv);
}

/* Signal sources are dispatched only while the pipeline runs. */
static gboolean
on_stop(gpointer user)
{
    Live *lv = user;

    if (lv->pipeline != NULL)
        fs_pipeline_stop(lv->pipeline);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_interim(gpointer user)
{
    Live *lv = user;

    fs_report_set_capture_drops(lv->report, kernel_drops(lv));
    fs_report_interim(lv->report, lv->engine);
    return G_SOURCE_CONTINUE;
}

/* -Z: after the device (and the metrics port) are open, as tcpdump does.
 * glibc applies set*id to every thread of the process. */
static gboolean
drop_privileges(const char *user, GError **error)
{
    struct passwd *pw = getpwnam(user);
    g_autofree char *shown = fs_text_escape(user, FS_TEXT_ECHO_MAX);
    int saved = 0;

    if (pw == NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE, "-Z %s: no such user",
                    shown);
        return FALSE;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
        setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        saved = errno;
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "-Z %s: %s", shown,
                    g_strerror(saved));
        return FALSE;
    }
    if (pw->pw_uid != 0 && setuid(0) == 0) {
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN,
                    "-Z %s: root could be regained", shown);
        return FALSE;
    }
    return TRUE;
}

/* The device, -w and the metrics port: everything that may need root.
 * Returns an exit status, 0 to go on. */
static int
open_inputs(Live *lv, GError **error)
{
    const FsCliOptions *opts = lv->opts;
    g_autofree char *filter = live_filter(opts);
    g_autofree char *desc = NULL;

    FsPipelineConfig pc = {
        .iface = opts->iface, .live = &opts->live, .bpf = filter,
        .count = opts->count > 0 ? (guint64)opts->count : 0,
        .tick = on_tick, .tick_user = lv };

    lv->pipeline = fs_pipeline_open(&pc, error);
    if (lv->pipeline == NULL)
        return g_error_matches(*error, FS_ERROR, FS_ERROR_FILTER) ||
                       g_error_matches(*error, FS_ERROR, FS_ERROR_USAGE)
                   ? 2 : 1;
    desc = fs_capture_describe(fs_pipeline_capture(lv->pipeline));
    fprintf(stderr, "finscope: listening on %s\n", desc);
    if (opts->write_file != NULL &&
        !fs_capture_save_to(fs_pipeline_capture(lv->pipeline),
                            opts->write_file, error))
        return 1;
    if (opts->metrics_listen != NULL) {
        lv->server = fs_metrics_server_new(opts->metrics_listen,
                                           render_metrics, lv, error);
        if (lv->server == NULL)
            return g_error_matches(*error, FS_ERROR, FS_ERROR_USAGE) ? 2 : 1;
        fprintf(stderr, "finscope: metrics on http://%s/metrics\n",
                fs_metrics_server_address(lv->server));
    }
    if (opts->user != NULL && !drop_privileges(opts->user, error))
        return g_error_matches(*error, FS_ERROR, FS_ERROR_USAGE) ? 2 : 1;
    return 0;
}

static void
build_pipeline(Live *lv)
{
    FsEngineSink report_sink;
    FsEngineSink sink;

    lv->out = fs_writer_new(STDOUT_FILENO, FS_WRITER_QUEUE_BYTES);
    lv->report = fs_report_new(lv->opts->format, fs_writer_file(lv->out),
                               &lv->opts->engine);
    fs_report_set_streaming(lv->report, TRUE);
    if (lv->opts->top >= 0)
        fs_report_set_top(lv->report, (guint)lv->opts->top);
    if (lv->opts->closes_only)
        fs_report_set_capture_note(lv->report, FS_LIVE_CLOSES_ONLY_NOTE);
    report_sink = fs_report_sink(lv->report);
    lv->metrics = fs_metrics_new(&report_sink);
    fs_metrics_attach_server(lv->metrics, lv->server);
    sink = fs_metrics_sink(lv->metrics);
    lv->engine = fs_pipeline_start(lv->pipeline, &lv->opts->engine, &sink);
}

/* The report's end goes to stdout within FLUSH_MS or is abandoned, so
 * that a reader that stopped reading cannot keep finscope from exiting.
 * Returns FALSE if the report is not all out. */
static gboolean
flush_report(Live *lv)
{
    g_autoptr(GError) error = NULL;
    gboolean ok = fs_writer_drain(lv->out, FLUSH_MS, &error);
    guint64 dropped = fs_writer_dropped_lines(lv->out);

    if (dropped > 0)
        fprintf(stderr, "finscope: %" G_GUINT64_FORMAT " report lines "
                "were dropped: stdout did not keep up\n", dropped);
    if (!ok)
        print_error(error);
    return ok;
}

static int
finish(Live *lv)
{
    gboolean out_ok = FALSE;

    fs_pipeline_finish(lv->pipeline);
    fs_report_set_capture_drops(lv->report, kernel_drops(lv));
    fs_report_finish(lv->report, lv->engine);
    out_ok = flush_report(lv);
    write_metrics_file(lv);
    fs_capture_flush_saved(fs_pipeline_capture(lv->pipeline));
    if (lv->error != NULL) {
        print_error(lv->error);
        return 1;
    }
    return out_ok ? 0 : 1;
}

static void
teardown(Live *lv)
{
    for (guint i = 0; i < lv->n_sources; i++)
        g_source_remove(lv->sources[i]);
    g_clear_pointer(&lv->server, fs_metrics_server_free);
    lv->engine = NULL;
    g_clear_pointer(&lv->pipeline, fs_pipeline_free);
    g_clear_pointer(&lv->metrics, fs_metrics_free);
    g_clear_pointer(&lv->report, fs_report_free);
    g_clear_pointer(&lv->out, fs_writer_free);
    g_clear_error(&lv->error);
}

int
fs_live_run(const FsCliOptions *opts)
{
    g_autoptr(GError) error = NULL;
    Live lv = { 0 };
    int status;

    lv.opts = opts;
    if (opts->metrics_listen != NULL &&
        !fs_metrics_listen_check(opts->metrics_listen, &error)) {
        print_error(error);
        return 2;
    }
    /* Before anything else, so that an early SIGINT still ends cleanly. */
    lv.sources[lv.n_sources++] = g_unix_signal_add(SIGINT, on_stop, &lv);
    lv.sources[lv.n_sources++] = g_unix_signal_add(SIGTERM, on_stop, &lv);
    lv.sources[lv.n_sources++] = g_unix_signal_add(SIGUSR1, on_interim, &lv);
    status = open_inputs(&lv, &error);
    if (status != 0) {
        print_error(error);
        teardown(&lv);
        return status;
    }
    build_pipeline(&lv);
    lv.status_tty = isatty(STDERR_FILENO);
    (void)fs_pipeline_run(lv.pipeline, &lv.error);
    status = finish(&lv);
    teardown(&lv);
    return status;
}
