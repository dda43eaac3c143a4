/* finscope: --shard K/N — one of N processes over the same files, each
 * keeping the flows of its share of the flow hash; finscope merge
 * (merge.c) joins their NDJSON into what one run prints. */
#ifndef FINSCOPE_SHARD_H
#define FINSCOPE_SHARD_H

#include <stdio.h>

#include <glib.h>
#include "finscope/engine.h"

/* Wraps a report's sink for a shard's engine, which runs with every
 * state event on: state events reach the report only when the user
 * asked for --events, and each TIME_WAIT entry or exit is also written
 * to out as {"type":"shard_tw","at":..,"time":..,"conn":..,
 * "endpoint":..,"enter":..,"timer":..,"end":..}, "at" the engine's clock
 * when it happened and "end" whether fs_engine_finish() settled it (the
 * order one engine would have counted them in), an exit also with
 * "taken_back" (it held none) or "forgotten" (its record handed over
 * mid-capture, --idle-timeout or an eviction: no longer counted from
 * "time", the engine's on_time_wait_forgotten), an entry with
 * "restart" or "resume": merge builds the peaks of the sum from
 * these. Before the first line written at a new clock
 * (or once the end began) goes {"type":"shard_clock","at":..,"end":..},
 * by which merge interleaves the shards' lines as one engine wrote
 * them. */
typedef struct {
    FsEngineSink inner;     /* the report's */
    gboolean all_events;    /* --events given */
    const FsEngine *engine; /* set once created: its clock */
    gboolean ending;        /* set before fs_engine_finish() */
    FsTime clock_at;        /* the last shard_clock written; */
    gboolean clock_end;     /* FS_TIME_UNSET before the first */
    FILE *out;              /* where the report writes */
    GString *buf;
} FsShardSink;

FsEngineSink fs_shard_sink(FsShardSink *shard, const FsEngineSink *inner,
                           gboolean all_events, FILE *out);
void fs_shard_sink_clear(FsShardSink *shard);

/* What merge needs beyond the records, as the shard's last line:
 * {"type":"shard","shard":K,"of":N,"events":..,"sources":..,"top":..,
 *  "ephemeral_ports":..,"packets_skipped":..}. */
void fs_shard_write_trailer(FILE *out, const FsEngineConfig *cfg,
                            guint sources, guint top,
                            const FsEngineStats *stats);

/* `finscope merge FILE...`: exit 0, 1 (unreadable input), 2 (usage). */
int fs_merge_main(int argc, char **argv);

#endif /* FINSCOPE_SHARD_H */
