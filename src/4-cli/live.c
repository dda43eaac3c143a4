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
#include "finscope/report.h"
#include "live.h"
#include "metrics.h"
#include "text.h"
#include "writer.h"

#define TICK_S 1               /* engine clock, -w flush */
#define STATUS_TICKS 5         /* status line on a terminal's stderr */
#define METRICS_FILE_TICKS 5   /* --metrics-file rewrite */
#define POLL_MS 50             /* no selectable fd: poll this often */
#define BATCH_MAX 4096         /* packets per wake-up, then signals/timers */
#define DRAIN_MAX 1000000      /* at stop: packets the kernel still holds */
#define FLUSH_MS 2000          /* at stop: how long stdout may take the
                                  rest of the report */
/* The engine's clock runs this far behind the wall clock, so that packets
 * still in the kernel's buffer (up to the capture timeout) do not arrive
 * from the engine's past. */
#define CLOCK_LAG_NS FS_NS_PER_SEC

typedef struct {
    const FsCliOptions *opts;
    FsCapture *cap;
    FsReport *report;
    FsMetrics *metrics;         /* wraps the report's sink */
    FsEngine *engine;
    FsMetricsServer *server;    /* --metrics-listen, or NULL */
    FsWriter *out;              /* stdout, through a bounded queue */
    GMainLoop *loop;
    guint sources[5];           /* signal, fd and timer sources */
    guint n_sources;
    guint64 drops;              /* kernel drops, as last read */
    guint ticks;                /* TICK_S ticks since the start */
    gboolean status_tty;        /* stderr is a terminal */
    gboolean drained;           /* the last read emptied the kernel's
                                   buffer: the wall clock may drive time */
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
    FsCaptureStats st;

    if (fs_capture_stats(lv->cap, &st, NULL))
        lv->drops = st.dropped;
    return lv->drops;
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

static gboolean
count_reached(const Live *lv)
{
    return lv->opts->count > 0 &&
           fs_engine_stats(lv->engine)->packets >= (guint64)lv->opts->count;
}

/* Up to max packets that are ready; FALSE when the capture must stop
 * (-c reached, the device went away). */
static gboolean
read_packets(Live *lv, guint max)
{
    FsPacket pkt;

    for (guint n = 0; n < max; n++) {
        FsCaptureResult res;

        if (count_reached(lv))
            return FALSE;
        res = fs_capture_next(lv->cap, &pkt, &lv->error);
        lv->drained = res == FS_CAPTURE_NONE;
        if (res == FS_CAPTURE_NONE)
            return TRUE;
        if (res != FS_CAPTURE_PACKET)
            return FALSE;
        fs_engine_packet(lv->engine, &pkt);
    }
    return !count_reached(lv);
}

static gboolean
on_poll(gpointer user)
{
    Live *lv = user;

    if (!read_packets(lv, BATCH_MAX))
        g_main_loop_quit(lv->loop);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_readable(gint fd, GIOCondition cond, gpointer user)
{
    (void)fd;
    (void)cond;
    return on_poll(user);
}

/* A quiet interface still moves time on: TIME_WAITs run out and idle
 * connections are finished. Only once the kernel's buffer was emptied:
 * packets still queued there would otherwise come from the past. */
static void
advance_clock(Live *lv)
{
    const FsEngineStats *st = fs_engine_stats(lv->engine);
    FsTime now = g_get_real_time() * 1000 - CLOCK_LAG_NS;

    if (lv->drained && st->packets > 0 && now > st->t_last)
        fs_engine_advance(lv->engine, now);
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

static gboolean
on_tick(gpointer user)
{
    Live *lv = user;

    /* Also a safety net should the fd not wake us for a partial block. */
    if (!read_packets(lv, BATCH_MAX))
        g_main_loop_quit(lv->loop);
    advance_clock(lv);
    fs_capture_flush_saved(lv->cap);
    lv->ticks++;
    if (lv->status_tty && lv->ticks % STATUS_TICKS == 0)
        print_status(lv);
    if (lv->ticks % METRICS_FILE_TICKS == 0)
        write_metrics_file(lv);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_stop(gpointer user)
{
    Live *lv = user;

    g_main_loop_quit(lv->loop);
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

    lv->cap = fs_capture_open_live(opts->iface, &opts->live, filter, error);
    if (lv->cap == NULL)
        return g_error_matches(*error, FS_ERROR, FS_ERROR_FILTER) ||
                       g_error_matches(*error, FS_ERROR, FS_ERROR_USAGE)
                   ? 2 : 1;
    desc = fs_capture_describe(lv->cap);
    fprintf(stderr, "finscope: listening on %s\n", desc);
    if (opts->write_file != NULL &&
        !fs_capture_save_to(lv->cap, opts->write_file, error))
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
    lv->engine = fs_engine_new(&lv->opts->engine, &sink);
}

static void
watch_sources(Live *lv)
{
    int fd = fs_capture_selectable_fd(lv->cap);

    lv->loop = g_main_loop_new(NULL, FALSE);
    lv->status_tty = isatty(STDERR_FILENO);
    /* Without a selectable fd (not on Linux), poll every POLL_MS. */
    lv->sources[lv->n_sources++] =
        fd >= 0 ? g_unix_fd_add(fd, G_IO_IN, on_readable, lv)
                : g_timeout_add(POLL_MS, on_poll, lv);
    lv->sources[lv->n_sources++] = g_timeout_add_seconds(TICK_S, on_tick,
                                                         lv);
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
        fprintf(stderr, "finscope: %s\n", error->message);
    return ok;
}

static int
finish(Live *lv)
{
    gboolean out_ok = FALSE;

    if (lv->error == NULL)
        (void)read_packets(lv, DRAIN_MAX);
    fs_report_set_capture_drops(lv->report, kernel_drops(lv));
    fs_engine_finish(lv->engine);
    fs_report_finish(lv->report, lv->engine);
    out_ok = flush_report(lv);
    write_metrics_file(lv);
    fs_capture_flush_saved(lv->cap);
    if (lv->error != NULL) {
        fprintf(stderr, "finscope: %s\n", lv->error->message);
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
    g_clear_pointer(&lv->engine, fs_engine_free);
    g_clear_pointer(&lv->metrics, fs_metrics_free);
    g_clear_pointer(&lv->report, fs_report_free);
    g_clear_pointer(&lv->out, fs_writer_free);
    g_clear_pointer(&lv->cap, fs_capture_free);
    g_clear_pointer(&lv->loop, g_main_loop_unref);
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
    watch_sources(&lv);
    g_main_loop_run(lv.loop);
    status = finish(&lv);
    teardown(&lv);
    return status;
}
