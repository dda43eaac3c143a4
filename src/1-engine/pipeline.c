/* finscope: the one pipeline — sources opened, packets run through the
 * engine (files in one thread, a reader thread and the engine's, or a
 * reader, N engine shards and their merge (shards.c); a device in a main
 * loop), the engine finished. Front ends only choose options and sinks. */
#include "config.h"

#include <glib.h>
#include <glib-unix.h>

#include "finscope/pipeline.h"
#include "finscope/reader.h"
#include "finscope/shards.h"
#include "engine-ledger.h"

#define TICK_S 1               /* live: engine clock, -w flush, tick */
#define POLL_MS 50             /* no selectable fd: poll this often */
#define BATCH_MAX 4096         /* packets per wake-up, then signals/timers */
#define DRAIN_MAX 1000000      /* at stop: packets the kernel still holds */
/* The engine's clock runs this far behind the wall clock, so that packets
 * still in the kernel's buffer (up to the capture timeout) do not arrive
 * from the engine's past. */
#define CLOCK_LAG_NS FS_NS_PER_SEC

struct FsPipeline {
    FsPipelineConfig cfg;
    FsCapture *cap;
    FsEngine *engine;
    FsEngineSink sink;     /* the engine's, for the shards' records */
    GMainLoop *loop;       /* live */
    guint sources[2];      /* live: fd (or poll) and tick sources */
    guint n_sources;
    guint64 drops;         /* kernel drops, as last read */
    gboolean drained;      /* the last read emptied the kernel's buffer:
                              the wall clock may drive time */
    gboolean stopped;      /* fs_pipeline_stop() came */
    GError *error;         /* what ended a live capture, if not us */
};

FsPipeline *
fs_pipeline_open(const FsPipelineConfig *cfg, GError **error)
{
    FsPipeline *p = NULL;
    FsCapture *cap = NULL;
    FsLiveOptions defaults = { 0 };

    g_return_val_if_fail(cfg != NULL, NULL);
    g_return_val_if_fail((cfg->files == NULL) != (cfg->iface == NULL), NULL);
    g_return_val_if_fail(cfg->shards < 2 || (cfg->files != NULL &&
                                             cfg->select == NULL &&
                                             cfg->shards <= FS_SHARDS_MAX),
                         NULL);
    if (cfg->files != NULL)
        cap = fs_capture_open_files(cfg->files,
                                    g_strv_length((char **)cfg->files),
                                    cfg->bpf, error);
    else
        cap = fs_capture_open_live(cfg->iface,
                                   cfg->live != NULL ? cfg->live : &defaults,
                                   cfg->bpf, error);
    if (cap == NULL)
        return NULL;
    p = g_new0(FsPipeline, 1);
    p->cfg = *cfg;
    p->cap = cap;
    return p;
}

FsCapture *
fs_pipeline_capture(FsPipeline *p)
{
    return p->cap;
}

FsEngine *
fs_pipeline_start(FsPipeline *p, const FsEngineConfig *cfg,
                  const FsEngineSink *sink)
{
    g_return_val_if_fail(p->engine == NULL, p->engine);
    p->engine = fs_engine_new(cfg, sink);
    if (sink != NULL)
        p->sink = *sink;
    return p->engine;
}

/* ---- offline ---- */

/* Each file cut inside a record, and each a read error stopped but the
 * first (whose error the run ends with: fs_capture_next()). */
static void
warn_truncated(const FsPipeline *p)
{
    gboolean first = TRUE;

    for (guint i = 0; i < fs_capture_n_sources(p->cap); i++) {
        g_autofree char *msg = NULL;
        FsSourceCut cut;

        if (!fs_capture_source_cut(p->cap, i, &cut))
            continue;
        if (cut.error == NULL)
            msg = g_strdup_printf("%s: file ends inside a packet record; "
                                  "analysed what came before",
                                  fs_capture_source_name(p->cap, i));
        else if (!first)
            msg = g_strdup_printf("%s: %s", fs_capture_source_name(p->cap, i),
                                  cut.error);
        first = first && cut.error == NULL;
        if (msg != NULL)
            p->cfg.warn(msg, p->cfg.warn_user);
    }
}

/* Each file's packets that a filter could not be compiled for (pcapng
 * interfaces of another link type), once per link type. */
static void
warn_unfiltered(const FsPipeline *p)
{
    for (guint i = 0; i < fs_capture_n_sources(p->cap); i++) {
        g_auto(GStrv) lines = fs_capture_source_unfiltered(p->cap, i);

        for (guint j = 0; lines != NULL && lines[j] != NULL; j++) {
            g_autofree char *msg = g_strdup_printf(
                "%s: %s", fs_capture_source_name(p->cap, i), lines[j]);

            p->cfg.warn(msg, p->cfg.warn_user);
        }
    }
}

/* One thread, each packet past cfg.select: chosen ones go through the
 * engine; of the others, as of another shard's (engine-ledger.h), a
 * TCP segment moves its clock and a SYN-ACK teaches its server, a frame
 * that is no TCP segment only the capture's end time (as in one run,
 * where it runs no sweep). */
static FsCaptureResult
run_selected(FsPipeline *p, GError **error)
{
    FsCaptureResult res;
    FsPacket pkt;
    FsSegment seg;

    while ((res = fs_capture_next(p->cap, &pkt, error)) ==
           FS_CAPTURE_PACKET) {
        FsDecodeStatus st = fs_engine_decode(&pkt, &seg);

        if (p->cfg.select(st, &seg, p->cfg.select_user))
            fs_engine_decoded(p->engine, st, &seg);
        else
            fs_engine_elsewhere(p->engine, st, &seg);
    }
    return res;
}

static gboolean
run_files(FsPipeline *p, GError **error)
{
    FsCaptureResult res;

    if (p->cfg.select != NULL)
        res = run_selected(p, error);
    else if (p->cfg.shards >= 2)
        res = fs_shards_run(p->cap, p->engine, &p->sink, p->cfg.shards,
                            p->cfg.tick, p->cfg.tick_user, error);
    else {
        /* the engine's thread decodes too: with FINSCOPE_MAP set it
         * reads the file mapped (doc/HACKING.md, session 29) */
        if (!p->cfg.threaded)
            (void)fs_capture_map(p->cap);
        res = fs_reader_run_ticking(p->cap, p->engine, p->cfg.threaded,
                                    p->cfg.worker, p->cfg.tick,
                                    p->cfg.tick_user, error);
    }
    if (p->cfg.warn != NULL) {
        warn_unfiltered(p);
        warn_truncated(p);
    }
    return res != FS_CAPTURE_ERROR;
}

/* ---- live ---- */

static gboolean
count_reached(const FsPipeline *p)
{
    return p->cfg.count > 0 &&
           fs_engine_stats(p->engine)->packets >= p->cfg.count;
}

/* Up to max packets that are ready; FALSE when the capture must stop
 * (-c reached, the device went away). */
static gboolean
read_packets(FsPipeline *p, guint max)
{
    FsPacket pkt;

    for (guint n = 0; n < max; n++) {
        FsCaptureResult res;

        if (count_reached(p))
            return FALSE;
        res = fs_capture_next(p->cap, &pkt, &p->error);
        p->drained = res == FS_CAPTURE_NONE;
        if (res == FS_CAPTURE_NONE)
            return TRUE;
        if (res != FS_CAPTURE_PACKET)
            return FALSE;
        fs_engine_packet(p->engine, &pkt);
    }
    return !count_reached(p);
}

static gboolean
on_poll(gpointer user)
{
    FsPipeline *p = user;

    if (!read_packets(p, BATCH_MAX))
        g_main_loop_quit(p->loop);
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
advance_clock(FsPipeline *p)
{
    const FsEngineStats *st = fs_engine_stats(p->engine);
    FsTime now = g_get_real_time() * 1000 - CLOCK_LAG_NS;

    if (p->drained && st->packets > 0 && now > st->t_last)
        fs_engine_advance(p->engine, now);
}

static gboolean
on_tick(gpointer user)
{
    FsPipeline *p = user;

    /* Also a safety net should the fd not wake us for a partial block. */
    if (!read_packets(p, BATCH_MAX))
        g_main_loop_quit(p->loop);
    advance_clock(p);
    fs_capture_flush_saved(p->cap);
    if (p->cfg.tick != NULL)
        p->cfg.tick(p->engine, p->cfg.tick_user);
    return G_SOURCE_CONTINUE;
}

static gboolean
run_live(FsPipeline *p, GError **error)
{
    int fd = fs_capture_selectable_fd(p->cap);

    p->loop = g_main_loop_new(NULL, FALSE);
    /* Without a selectable fd (not on Linux), poll every POLL_MS. */
    p->sources[p->n_sources++] =
        fd >= 0 ? g_unix_fd_add(fd, G_IO_IN, on_readable, p)
                : g_timeout_add(POLL_MS, on_poll, p);
    p->sources[p->n_sources++] = g_timeout_add_seconds(TICK_S, on_tick, p);
    if (!p->stopped)
        g_main_loop_run(p->loop);
    if (p->error != NULL) {
        g_propagate_error(error, g_error_copy(p->error));
        return FALSE;
    }
    return TRUE;
}

gboolean
fs_pipeline_run(FsPipeline *p, GError **error)
{
    g_return_val_if_fail(p->engine != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    return p->cfg.files != NULL ? run_files(p, error) : run_live(p, error);
}

void
fs_pipeline_stop(FsPipeline *p)
{
    p->stopped = TRUE;
    if (p->loop != NULL)
        g_main_loop_quit(p->loop);
}

void
fs_pipeline_finish(FsPipeline *p)
{
    g_return_if_fail(p->engine != NULL);
    if (p->cfg.iface != NULL && p->error == NULL)
        (void)read_packets(p, DRAIN_MAX);
    fs_engine_finish(p->engine);
}

guint64
fs_pipeline_kernel_drops(FsPipeline *p)
{
    FsCaptureStats st;

    if (p->cfg.iface != NULL && fs_capture_stats(p->cap, &st, NULL))
        p->drops = st.dropped;
    return p->drops;
}

void
fs_pipeline_free(FsPipeline *p)
{
    if (p == NULL)
        return;
    for (guint i = 0; i < p->n_sources; i++)
        g_source_remove(p->sources[i]);
    g_clear_pointer(&p->engine, fs_engine_free);
    g_clear_pointer(&p->cap, fs_capture_free);
    g_clear_pointer(&p->loop, g_main_loop_unref);
    g_clear_error(&p->error);
    g_free(p);
}
