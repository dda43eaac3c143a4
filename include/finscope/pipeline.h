/* finscope: the one pipeline, capture -> engine -> sink, that every mode
 * (files, -i, check, --extract, --ladder) runs. */
#ifndef FINSCOPE_PIPELINE_H
#define FINSCOPE_PIPELINE_H

#include <glib.h>
#include "finscope/capture.h"
#include "finscope/engine.h"
#include "finscope/worker.h"

typedef struct FsPipeline FsPipeline;

/* Called in the thread that runs the engine it is given: offline between
 * batches of packets (512 at most; with engine shards, in the merging
 * thread, given the ledger engine the report reads), live once a second
 * after the clock moved on. */
typedef void (*FsPipelineTick)(FsEngine *engine, gpointer user);

/* A warning for the user, without a program name: the front end says it
 * (nothing below a front end prints). */
typedef void (*FsPipelineWarn)(const char *message, gpointer user);

/* Offline only: TRUE to run a decoded packet through the engine; FALSE
 * only moves the engine's clock to its time. With one, the pipeline reads
 * in one thread. */
typedef gboolean (*FsPipelineSelect)(FsDecodeStatus status,
                                     const FsSegment *seg, gpointer user);

typedef struct {
    const char *const *files;  /* capture files, "-" for stdin, NULL-ended;
                                  or NULL with iface */
    const char *iface;         /* a device to capture on live */
    const FsLiveOptions *live; /* with iface; NULL for the defaults */
    const char *bpf;           /* filter, or NULL */
    gboolean threaded;         /* offline: read and decode in a second
                                  thread (the output is the same) */
    FsWorker *worker;          /* with threaded, without shards: that
                                  thread, shared (the report's stage's
                                  jobs run on it too); NULL: one of the
                                  reader's own */
    guint shards;              /* offline, without select: 2 to
                                  FS_SHARDS_MAX runs that many engine
                                  shards behind a reader thread
                                  (shards.h; the output is the same but
                                  for memory_peak); 0 or 1: one engine */
    guint64 count;             /* live: stop after this many packets;
                                  0 = no limit */
    FsPipelineTick tick;       /* or NULL */
    gpointer tick_user;
    FsPipelineWarn warn;       /* files cut inside a record; or NULL */
    gpointer warn_user;
    FsPipelineSelect select;   /* or NULL: every packet */
    gpointer select_user;
} FsPipelineConfig;

/* Opens the sources (cfg is copied; its strings must outlive the
 * pipeline). Fails as fs_capture_open_files() or fs_capture_open_live()
 * does. */
FsPipeline *fs_pipeline_open(const FsPipelineConfig *cfg, GError **error);

/* The opened capture, for -w, its description, its sources. */
FsCapture *fs_pipeline_capture(FsPipeline *p);

/* Makes the engine, with sink (copied) for its results. Once. With
 * cfg.shards, the engine returned is the shards' ledger: its stats and
 * TIME_WAIT counts are the run's (shards.h). */
FsEngine *fs_pipeline_start(FsPipeline *p, const FsEngineConfig *cfg,
                            const FsEngineSink *sink);

/* Runs packets through the engine: offline every packet of the files
 * (then warns of each file cut inside a record); live until
 * fs_pipeline_stop(), the packet count or the device ends, in a main loop
 * on the default context (which also serves the caller's sources), the
 * engine's clock following the wall clock. FALSE with *error set when the
 * capture failed; the packets read before went through. Does not finish
 * the engine. */
gboolean fs_pipeline_run(FsPipeline *p, GError **error);

/* Ends a live fs_pipeline_run() (from a signal source, say). */
void fs_pipeline_stop(FsPipeline *p);

/* Live: reads what the kernel still holds (unless the capture failed).
 * Then finishes the engine: every connection still open is handed over. */
void fs_pipeline_finish(FsPipeline *p);

/* Live: packets the kernel dropped, as last read (read now if it can). */
guint64 fs_pipeline_kernel_drops(FsPipeline *p);

void fs_pipeline_free(FsPipeline *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsPipeline, fs_pipeline_free)

#endif /* FINSCOPE_PIPELINE_H */
