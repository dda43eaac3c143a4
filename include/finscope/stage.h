/* finscope: the report in a stage of its own — a sink whose calls are
 * copied, queued in order and run by another thread (its own, or a
 * worker shared with the reader), so that formatting records does not
 * hold up the engine. */
#ifndef FINSCOPE_STAGE_H
#define FINSCOPE_STAGE_H

#include <glib.h>
#include "finscope/engine.h"
#include "finscope/worker.h"

typedef struct FsStage FsStage;

/* A stage in front of inner, its thread started. inner's callbacks then
 * run in that thread, one at a time, in the order the engine made them,
 * on copies of the event, the connection and its outcome (inner must
 * not keep their addresses, nor follow a connection's older link). An
 * event's conn must be the connection passed with it, or NULL, as the
 * engine's are; on_event gets a copy of the connection's head only (its
 * id, VLAN, ports and addresses, FS_CONN_HEAD_SIZE; older NULL, the rest
 * zero): what an event's line reads. on_conn gets the whole record and
 * its outcome: the caller's, or, where the caller passed NULL (the
 * engine does: the stage's sink says it classifies), fs_classify_outcome()
 * of the record, worked out in the stage's thread. The sink also offers
 * record_slot (FsEngineSink): a record built there is not copied; and
 * on_frozen_conn: a record the engine left frozen there is thawed and
 * settled (fs_conn_thaw_settled()) in the stage's thread. */
FsStage *fs_stage_new(const FsEngineSink *inner);

/* The same, its calls run as jobs of worker, in turn with the worker's
 * other jobs (the reader's, in main.c); worker must outlive the stage.
 * NULL: a thread of the stage's own, as fs_stage_new(). */
FsStage *fs_stage_new_on(const FsEngineSink *inner, FsWorker *worker);

/* The sink to give the engine. */
FsEngineSink fs_stage_sink(FsStage *stage);

/* Returns once every call made so far has run: inner's state may then
 * be read (interim reports, the summary). */
void fs_stage_sync(FsStage *stage);

/* Syncs, stops the stage's own thread (if any) and frees the stage.
 * NULL is ignored. */
void fs_stage_free(FsStage *stage);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsStage, fs_stage_free)

#endif /* FINSCOPE_STAGE_H */
