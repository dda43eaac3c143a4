/* finscope: the offline loop — capture files decoded into segments and
 * run through the engine, reading and decoding in a second thread. */
#ifndef FINSCOPE_READER_H
#define FINSCOPE_READER_H

#include <glib.h>
#include "finscope/capture.h"
#include "finscope/engine.h"
#include "finscope/worker.h"

/* Reads every packet of cap into engine, in capture order, and returns
 * FS_CAPTURE_END, or FS_CAPTURE_ERROR with *error set after the packets
 * read before the error went through. With threaded, a second thread
 * reads and decodes batches of packets while this one runs the engine:
 * the output is the same either way. Does not call fs_engine_finish. */
FsCaptureResult fs_reader_run(FsCapture *cap, FsEngine *engine,
                              gboolean threaded, GError **error);

/* Called by fs_reader_run_ticking() in the engine's thread between
 * batches of packets (512 at most), where it may look at the engine. */
typedef void (*FsReaderTick)(FsEngine *engine, gpointer user);

/* fs_reader_run(), calling tick (if not NULL) between batches: finscope
 * prints a summary so far there when SIGUSR1 came. With threaded, the
 * batches are read and decoded as jobs of worker, in turn with its other
 * jobs (the report stage's, say), or in a thread of its own if NULL. */
FsCaptureResult fs_reader_run_ticking(FsCapture *cap, FsEngine *engine,
                                      gboolean threaded, FsWorker *worker,
                                      FsReaderTick tick, gpointer user,
                                      GError **error);

/* TRUE when a second thread can help (more than one CPU). */
gboolean fs_reader_threads_help(void);

#endif /* FINSCOPE_READER_H */
