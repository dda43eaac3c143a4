/* finscope: the report in a stage of its own (stage.h).
 *
 * The engine's thread copies each sink call (the event, the connection)
 * into the current block; full blocks go to the stage's thread through a
 * queue and come back empty through another, BLOCKS of them in all, so
 * memory stays bounded and order is kept (as reader.c does for packets).
 * A sync sends the current block, even empty, marked: the stage's thread
 * answers once it has run it. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/classify.h"
#include "finscope/conn.h"
#include "finscope/stage.h"

#define BLOCK_ITEMS 64
#define BLOCKS 8

typedef struct {
    gboolean is_conn;     /* on_conn(conn, outcome), else on_event(ev,
                             conn) */
    gboolean has_conn;    /* conn holds a copy (else the call had NULL) */
    gboolean has_outcome; /* is_conn: outcome holds a copy (else NULL) */
    union {
        FsEvent ev;       /* the event, its conn pointing at conn */
        FsOutcome outcome; /* a copy of the record's verdict */
    };
    FsConn conn;          /* a copy of the connection */
} Item;

typedef struct {
    guint n;              /* items[0..n) to run */
    gboolean sync;        /* answer on done once run */
    gboolean stop;        /* the last block: the thread ends after it */
    Item items[BLOCK_ITEMS];
} Block;

struct FsStage {
    FsEngineSink inner;
    GAsyncQueue *full;    /* Block*, for the stage's thread, in order */
    GAsyncQueue *empty;   /* Block*, to fill again */
    GAsyncQueue *done;    /* the answer to a sync */
    Block *blocks;        /* BLOCKS of them */
    Block *cur;           /* being filled by the engine's thread, or NULL */
    GThread *thread;
};

static void
run_block(const FsEngineSink *inner, Block *b)
{
    for (guint i = 0; i < b->n; i++) {
        Item *it = &b->items[i];
        const FsConn *conn = it->has_conn ? &it->conn : NULL;

        if (it->is_conn)
            inner->on_conn(conn, it->has_outcome ? &it->outcome : NULL,
                           inner->user);
        else
            inner->on_event(&it->ev, conn, inner->user);
    }
}

static gpointer
stage_thread(gpointer data)
{
    FsStage *s = data;
    gboolean stop;

    do {
        Block *b = g_async_queue_pop(s->full);

        run_block(&s->inner, b);
        stop = b->stop;
        if (b->sync)
            g_async_queue_push(s->done, GINT_TO_POINTER(1));
        b->n = 0;
        b->sync = FALSE;
        g_async_queue_push(s->empty, b);
    } while (!stop);
    return NULL;
}

/* The next free item of the current block. */
static Item *
next_item(FsStage *s)
{
    if (s->cur == NULL)
        s->cur = g_async_queue_pop(s->empty);
    return &s->cur->items[s->cur->n];
}

/* The item just filled is queued; a full block goes to the thread. */
static void
item_done(FsStage *s)
{
    if (++s->cur->n == BLOCK_ITEMS) {
        g_async_queue_push(s->full, s->cur);
        s->cur = NULL;
    }
}

static void
copy_conn(Item *it, const FsConn *conn)
{
    it->has_conn = conn != NULL;
    if (conn != NULL)
        memcpy(&it->conn, conn, sizeof it->conn);
}

static void
stage_event(const FsEvent *ev, const FsConn *conn, gpointer user)
{
    FsStage *s = user;
    Item *it;

    if (s->inner.on_event == NULL)
        return;
    /* the engine passes the event's own connection: one copy serves */
    g_return_if_fail(ev->conn == NULL || ev->conn == conn);
    it = next_item(s);
    it->is_conn = FALSE;
    copy_conn(it, conn);
    it->ev = *ev;
    if (ev->conn != NULL)
        it->ev.conn = &it->conn;
    item_done(s);
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
    copy_conn(it, conn);
    it->has_outcome = outcome != NULL;
    if (outcome != NULL)
        it->outcome = *outcome;
    item_done(s);
}

FsStage *
fs_stage_new(const FsEngineSink *inner)
{
    FsStage *s = g_new0(FsStage, 1);

    s->inner = *inner;
    s->full = g_async_queue_new();
    s->empty = g_async_queue_new();
    s->done = g_async_queue_new();
    s->blocks = g_new0(Block, BLOCKS);
    for (guint i = 0; i < BLOCKS; i++)
        g_async_queue_push(s->empty, &s->blocks[i]);
    s->thread = g_thread_new("finscope-report", stage_thread, s);
    return s;
}

FsEngineSink
fs_stage_sink(FsStage *stage)
{
    FsEngineSink sink = { stage_event, stage_conn, stage };

    return sink;
}

/* Sends the current block (an empty one if none), marked sync and, if
 * stop, last; waits for the answer. */
static void
send_marked(FsStage *s, gboolean stop)
{
    Block *b = s->cur != NULL ? s->cur : g_async_queue_pop(s->empty);

    s->cur = NULL;
    b->sync = TRUE;
    b->stop = stop;
    g_async_queue_push(s->full, b);
    (void)g_async_queue_pop(s->done);
}

void
fs_stage_sync(FsStage *stage)
{
    g_return_if_fail(stage != NULL);
    send_marked(stage, FALSE);
}

void
fs_stage_free(FsStage *stage)
{
    if (stage == NULL)
        return;
    send_marked(stage, TRUE);
    g_thread_join(stage->thread);
    g_async_queue_unref(stage->full);
    g_async_queue_unref(stage->empty);
    g_async_queue_unref(stage->done);
    g_free(stage->blocks);
    g_free(stage);
}
