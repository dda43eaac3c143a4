/* finscope: the offline loop, optionally in two threads.
 *
 * Reading a capture file (the kernel copying it out of the page cache,
 * libpcap parsing records) and decoding headers cost about as much as the
 * engine's work per packet, and neither needs the other's state. So a
 * worker thread (worker.h) fills batches of decoded segments and this one
 * runs them through the engine; BATCHES batches circulate, each queued to
 * the worker as a job to fill and coming back through a queue, so memory
 * stays bounded whatever the file's size, and order is kept. The worker
 * may be shared (with the report's stage, main.c): it fills a batch and
 * runs a report block in the order the engine's thread queued them. */
#include "config.h"

#include <glib.h>

#include "finscope/reader.h"
#include "batch.h"

#define BATCHES 8
/* given back batches at which a sleeping worker is woken */
#define WAKE_AT (BATCHES / 2)

typedef struct Shared Shared;

typedef struct {
    FsJob job;    /* first: fill me (fill_job) */
    Shared *sh;
    FsBatch pkts; /* the packets, read and decoded */
} Batch;

struct Shared {
    FsCapture *cap;
    GAsyncQueue *full;  /* Batch* filled, in order */
    gboolean ended;     /* the worker's: a batch came to the end; the
                           batches queued after it come back empty */
};

/* The worker's job: fills the batch (once the capture ended, only hands
 * it back) and passes it to the engine's thread. */
static void
fill_job(FsJob *job)
{
    Batch *b = (Batch *)job;
    Shared *sh = b->sh;
    GAsyncQueue *full;

    if (sh->ended) {
        b->pkts.n = 0;
        b->pkts.end = FS_CAPTURE_END;
    } else {
        fs_batch_fill(&b->pkts, sh->cap);
        sh->ended = b->pkts.end != FS_CAPTURE_PACKET;
    }
    /* b belongs to the engine's thread now: not to be read after; nor is
     * sh once the last batch is in (the queue is held until the push
     * returned) */
    full = g_async_queue_ref(sh->full);
    g_async_queue_push(full, b);
    g_async_queue_unref(full);
}

FsCaptureResult
fs_reader_run(FsCapture *cap, FsEngine *engine, gboolean threaded,
              GError **error)
{
    return fs_reader_run_ticking(cap, engine, threaded, NULL, NULL, NULL,
                                 error);
}

FsCaptureResult
fs_reader_run_ticking(FsCapture *cap, FsEngine *engine, gboolean threaded,
                      FsWorker *worker, FsReaderTick tick, gpointer user,
                      GError **error)
{
    Shared sh = { cap, NULL, FALSE };
    g_autoptr(FsWorker) own = NULL;
    Batch *batches;
    FsCaptureResult end;
    Batch *b;

    g_return_val_if_fail(error == NULL || *error == NULL, FS_CAPTURE_ERROR);
    batches = g_new0(Batch, threaded ? BATCHES : 1);
    if (!threaded) {
        FsBatch *pkts = &batches[0].pkts;

        do {
            fs_batch_fill(pkts, cap);
            fs_engine_decoded_run(engine, pkts->status, pkts->seg, pkts->n);
            if (tick != NULL)
                tick(engine, user);
        } while (pkts->end == FS_CAPTURE_PACKET);
        end = fs_batch_finish(pkts, error);
        g_free(batches);
        return end;
    }
    if (worker == NULL)
        worker = own = fs_worker_new("finscope-reader");
    sh.full = g_async_queue_new();
    for (guint i = 0; i < BATCHES; i++) {
        batches[i].job.run = fill_job;
        batches[i].sh = &sh;
        fs_worker_push(worker, &batches[i].job);
    }
    for (;;) {
        b = fs_worker_pop(worker, sh.full);
        fs_engine_decoded_run(engine, b->pkts.status, b->pkts.seg, b->pkts.n);
        if (tick != NULL)
            tick(engine, user);
        if (b->pkts.end != FS_CAPTURE_PACKET)
            break;
        /* b belongs to the worker again: not to be read after this.
         * A worker that keeps ahead is woken once WAKE_AT batches wait
         * for it, not for each. */
        fs_worker_push_lazy(worker, &b->job, WAKE_AT);
    }
    /* the batches queued after the last come back empty: none is the
     * worker's once they are in */
    fs_worker_kick(worker);
    for (guint i = 1; i < BATCHES; i++)
        (void)g_async_queue_pop(sh.full);
    end = fs_batch_finish(&b->pkts, error);
    g_async_queue_unref(sh.full);
    g_free(batches);
    return end;
}

gboolean
fs_reader_threads_help(void)
{
    return g_get_num_processors() > 1;
}
