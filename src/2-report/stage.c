/* finscope: the report in a stage of its own (stage.h).
 *
 * The engine's thread copies each sink call (the event and its
 * connection's head, or the record's place in the records' ring and
 * its outcome, if the engine worked it out) into the current block;
 * full blocks go to a worker (worker.h) as
 * urgent jobs and come back empty through a queue, BLOCKS of them in all, so memory
 * stays bounded and order is kept (as reader.c does for packets). The
 * worker is the stage's own or one shared with the reader (main.c): then
 * the reader's thread runs the report between batches. A sync sends the
 * current block, even empty, marked: the job answers once it has run.
 * A record the engine left frozen (on_frozen_conn) is in its ring slot
 * already, its bytes as the engine held them: the item notes the slot
 * and the FsSettleHow that comes with it, and the worker thaws it into
 * a record of its own and settles it as that says
 * (fs_conn_thaw_settled()) before classifying it. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/classify.h"
#include "finscope/conn.h"
#include "finscope/freeze.h"
#include "finscope/stage.h"

#define BLOCK_ITEMS 64
#define BLOCKS 8
/* full blocks at which a sleeping worker is woken (fewer wait for the
 * engine's thread to need a block, or a sync) */
#define WAKE_AT (BLOCKS / 2)
/* full blocks queued at which the worker is behind: the engine's
 * thread then thaws and settles frozen records itself (its share of the
 * work grows until the worker keeps up; more than WAKE_AT, which a
 * sleeping worker reaches) */
#define BEHIND_AT (BLOCKS - 2)
/* The records' ring: one more than the blocks can hold at once. The
 * record taken RECORDS ago was handed over at least BLOCKS + 1 blocks
 * back (a block holds at most BLOCK_ITEMS), so one block of those went
 * round: the worker ran it, and every earlier one (in order), before the
 * engine's thread took it from the empty queue again. */
#define RECORDS (BLOCKS * BLOCK_ITEMS + 1)

typedef struct {
    gboolean is_conn;     /* on_conn(conn, outcome), else on_event(ev,
                             conn) */
    gboolean has_conn;    /* a copy of the connection is held (else the
                             call had NULL) */
    gboolean has_outcome; /* is_conn: outcome holds a copy (else NULL) */
    gboolean frozen;      /* is_conn: record.conn is frozen, to be thawed
                             and settled here (on_frozen_conn) */
    union {
        struct {
            FsEvent ev;   /* the event; its conn set when run */
            /* the connection's head (FS_CONN_HEAD_SIZE): all an event's
             * sinks read of it (id, ports, addresses) */
            guint8 head[FS_CONN_HEAD_SIZE];
        } event;
        struct {
            FsOutcome outcome; /* a copy of the record's verdict */
            const FsConn *conn;/* a copy of the connection, in the
                                  records' ring */
            FsSettleHow how; /* frozen: how to settle it */
        } record;
    };
} Item;

typedef struct {
    FsJob job;            /* first: run me (block_job) */
    FsStage *stage;
    guint n;              /* items[0..n) to run */
    gboolean sync;        /* answer on done once run */
    Item items[BLOCK_ITEMS];
} Block;

struct FsStage {
    FsEngineSink inner;
    FsWorker *worker;     /* runs the blocks */
    FsWorker *own;        /* worker, if the stage's own; else NULL */
    GAsyncQueue *empty;   /* Block*, to fill again */
    GAsyncQueue *done;    /* the answer to a sync */
    Block *blocks;        /* BLOCKS of them */
    Block *cur;           /* being filled by the engine's thread, or NULL */
    FsConn *records;      /* the ring of records' copies, RECORDS */
    guint next_record;    /* the engine's: the slot the next one takes */
    FsConn event_conn;    /* the worker's: an event's connection, its head
                             copied in, the rest zero */
    FsConn thawed;        /* the worker's: a frozen record, thawed */
    FsConn thawing;       /* the engine's: the same, when it thaws one */
    gint queued;          /* full blocks given to the worker and not yet
                             run (atomic) */
};

/* The record of it, still frozen, thawed and settled as the engine would
 * have done it (it proved that changes only the record): in s->thawed,
 * the worker's. */
static const FsConn *
thaw_settled(FsStage *s, const Item *it)
{
    if (!fs_conn_thaw_settled(it->record.conn, &s->thawed, &it->record.how))
        g_error("finscope: a frozen record did not settle as the engine "
                "found it would (a bug)");
    return &s->thawed;
}

static void
run_block(FsStage *s, Block *b)
{
    const FsEngineSink *inner = &s->inner;

    for (guint i = 0; i < b->n; i++) {
        Item *it = &b->items[i];

        if (it->is_conn) {
            const FsOutcome *outcome = NULL;
            const FsConn *conn = it->has_conn ? it->record.conn : NULL;

            if (it->frozen)
                conn = thaw_settled(s, it);
            if (it->has_outcome) {
                outcome = &it->record.outcome;
            } else if (conn != NULL) {
                /* the engine left it to this thread */
                fs_classify_outcome(conn, &it->record.outcome);
                outcome = &it->record.outcome;
            }
            inner->on_conn(conn, outcome, inner->user);
        } else {
            const FsConn *conn = NULL;

            if (it->has_conn) {
                memcpy(&s->event_conn, it->event.head, FS_CONN_HEAD_SIZE);
                s->event_conn.older = NULL;
                conn = &s->event_conn;
            }
            if (it->event.ev.conn != NULL)
                it->event.ev.conn = conn;
            inner->on_event(&it->event.ev, conn, inner->user);
        }
    }
}

/* The worker's job: runs the block's calls, answers a sync, and hands the
 * block back to be filled again. */
static void
block_job(FsJob *job)
{
    Block *b = (Block *)job;
    FsStage *s = b->stage;
    GAsyncQueue *done = NULL;

    run_block(s, b);
    g_atomic_int_add(&s->queued, -1);
    if (b->sync)
        done = g_async_queue_ref(s->done);
    b->n = 0;
    b->sync = FALSE;
    /* b belongs to the engine's thread again: not to be read after */
    g_async_queue_push(s->empty, b);
    if (done != NULL) {
        /* the stage may be freed once answered: done is held until the
         * push returned */
        g_async_queue_push(done, GINT_TO_POINTER(1));
        g_async_queue_unref(done);
    }
}

/* The next free item of the current block. */
static Item *
next_item(FsStage *s)
{
    if (s->cur == NULL)
        s->cur = fs_worker_pop(s->worker, s->empty);
    return &s->cur->items[s->cur->n];
}

/* The item just filled is queued; a full block goes to the worker. */
static void
item_done(FsStage *s)
{
    if (++s->cur->n == BLOCK_ITEMS) {
        g_atomic_int_inc(&s->queued);
        fs_worker_push_urgent_lazy(s->worker, &s->cur->job, WAKE_AT);
        s->cur = NULL;
    }
}

/* An event's line needs its connection's head only (every sink that gets
 * events reads no further: the text and JSON reports): its 72 bytes are
 * copied, not the whole record. */
static void
stage_event(const FsEvent *ev, const FsConn *conn, gpointer user)
{
    FsStage *s = user;
    Item *it;

    /* fs_stage_sink() installs this only over an inner on_event */
    /* the engine passes the event's own connection: one copy serves */
    g_return_if_fail(ev->conn == NULL || ev->conn == conn);
    it = next_item(s);
    it->is_conn = FALSE;
    it->frozen = FALSE;
    it->has_conn = conn != NULL;
    if (conn != NULL)
        memcpy(it->event.head, conn, FS_CONN_HEAD_SIZE);
    it->event.ev = *ev;
    item_done(s);
}

/* The engine's: the ring's next slot, where a record may be built and
 * then handed over without a copy (FsEngineSink.record_slot). */
static FsConn *
stage_record_slot(gpointer user)
{
    FsStage *s = user;

    return &s->records[s->next_record];
}

static void
stage_conn(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    FsStage *s = user;
    Item *it;

    if (s->inner.on_conn == NULL)
        return;
    it = next_item(s);
    it->is_conn = TRUE;
    it->frozen = FALSE;
    it->has_conn = conn != NULL;
    if (conn != NULL) {
        FsConn *slot = &s->records[s->next_record];

        /* built in the slot (the engine thawed it there), or copied */
        if (conn != slot)
            memcpy(slot, conn, sizeof *slot);
        it->record.conn = slot;
        s->next_record = (s->next_record + 1) % RECORDS;
    }
    /* NULL: the engine left it to run_block(), in the worker's thread */
    it->has_outcome = outcome != NULL;
    if (outcome != NULL)
        it->record.outcome = *outcome;
    item_done(s);
}

/* A record still frozen (FsEngineSink.on_frozen_conn): its bytes, in
 * the slot (engine.h: the engine copied them there), are thawed and
 * settled in the worker's thread (run_block()), which then classifies
 * it; or here, in the engine's, while the worker is behind (at the end
 * of a capture most records come at once, each of them more work for
 * the report than for the engine: the engine's thread waited for
 * blocks ~8% of medium-b's wall time). The record is the same either
 * way. */
static void
stage_frozen_conn(const FsConn *frozen, const FsSettleHow *how,
                  gpointer user)
{
    FsStage *s = user;
    FsConn *slot = &s->records[s->next_record];
    gboolean thaw_here;
    Item *it;

    if (s->inner.on_conn == NULL)
        return;
    g_return_if_fail(frozen == slot);
    s->next_record = (s->next_record + 1) % RECORDS;
    thaw_here = g_atomic_int_get(&s->queued) >= BEHIND_AT;
    if (thaw_here) {
        if (!fs_conn_thaw_settled(slot, &s->thawing, how))
            g_error("finscope: a frozen record did not settle as the "
                    "engine found it would (a bug)");
        memcpy(slot, &s->thawing, sizeof *slot);
    }
    it = next_item(s);
    it->is_conn = TRUE;
    it->has_conn = TRUE;
    it->has_outcome = FALSE;
    it->frozen = !thaw_here;
    it->record.conn = slot;
    it->record.how = *how;
    item_done(s);
}

FsStage *
fs_stage_new(const FsEngineSink *inner)
{
    return fs_stage_new_on(inner, NULL);
}

FsStage *
fs_stage_new_on(const FsEngineSink *inner, FsWorker *worker)
{
    FsStage *s = g_new0(FsStage, 1);

    s->inner = *inner;
    if (worker == NULL)
        worker = s->own = fs_worker_new("finscope-report");
    s->worker = worker;
    s->empty = g_async_queue_new();
    s->done = g_async_queue_new();
    s->blocks = g_new0(Block, BLOCKS);
    s->records = g_new(FsConn, RECORDS);
    for (guint i = 0; i < BLOCKS; i++) {
        s->blocks[i].job.run = block_job;
        s->blocks[i].stage = s;
        g_async_queue_push(s->empty, &s->blocks[i]);
    }
    return s;
}

FsEngineSink
fs_stage_sink(FsStage *stage)
{
    /* the records' verdicts are worked out in the worker's thread */
    FsEngineSink sink = { .on_event = stage_event,
                          .on_conn = stage_conn,
                          .user = stage,
                          .record_slot = stage_record_slot,
                          .classifies = TRUE,
                          .on_frozen_conn = stage_frozen_conn };

    /* events the inner sink drops are not staged */
    if (stage->inner.on_event == NULL)
        sink.on_event = NULL;

    return sink;
}

void
fs_stage_sync(FsStage *stage)
{
    Block *b;

    g_return_if_fail(stage != NULL);
    /* the current block, or an empty one, marked; its job answers */
    b = stage->cur != NULL ? stage->cur
                           : fs_worker_pop(stage->worker, stage->empty);
    stage->cur = NULL;
    b->sync = TRUE;
    g_atomic_int_inc(&stage->queued);
    fs_worker_push_urgent(stage->worker, &b->job);
    (void)g_async_queue_pop(stage->done);
}

void
fs_stage_free(FsStage *stage)
{
    if (stage == NULL)
        return;
    /* after a sync every block is back in empty: none is the worker's */
    fs_stage_sync(stage);
    fs_worker_free(stage->own);
    g_async_queue_unref(stage->empty);
    g_async_queue_unref(stage->done);
    g_free(stage->blocks);
    g_free(stage->records);
    g_free(stage);
}
