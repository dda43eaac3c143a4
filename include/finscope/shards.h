/* finscope: --threads N — the engine in N flow-hash shards, each in its
 * own thread, behind one reader thread; the same output as one engine. */
#ifndef FINSCOPE_SHARDS_H
#define FINSCOPE_SHARDS_H

#include <glib.h>
#include "finscope/capture.h"
#include "finscope/engine.h"
#include "finscope/reader.h"

/* Most shards --threads takes. */
#define FS_SHARDS_MAX 64

/* Reads every packet of cap, as fs_reader_run_ticking() does, through n
 * engines (2 <= n <= FS_SHARDS_MAX) made with ledger's configuration,
 * each keeping the connections of its share of the flow hash. Their
 * records and events go to sink in the order and with the ids one
 * engine would have given them, and ledger (made with fs_engine_new()
 * and given no packet itself) counts what crosses connections (TIME_WAIT
 * by host and destination, packets, connections held), so that a report
 * reading it prints what one engine's would. The shards are finished
 * (their last records handed over) before it returns; the caller still
 * calls fs_engine_finish(ledger). tick (if not NULL) is called with the
 * ledger between batches of packets. Not one engine's: memory_peak (the
 * sum of the shards' peaks) and, once the memory budget or max_flows
 * (each shard has 1/n of them) is reached, which connections are
 * evicted. */
FsCaptureResult fs_shards_run(FsCapture *cap, FsEngine *ledger,
                              const FsEngineSink *sink, guint n,
                              FsReaderTick tick, gpointer user,
                              GError **error);

#endif /* FINSCOPE_SHARDS_H */
