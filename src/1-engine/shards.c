/* finscope: --threads N — the engine in N flow-hash shards.
 *
 * One thread reads and decodes batches of packets and says of each TCP
 * segment which shard runs it (its flow hash mixed, mod N; anything not
 * TCP goes to shard 0, which only counts it). Each shard's thread runs
 * every batch through its own engine: its own segments whole, the
 * others' for their time only (and a SYN-ACK for the server it shows),
 * so every shard sweeps at the same packets one engine would
 * (engine-ledger.h). What a shard's engine emits is copied, tagged with
 * the packet it came at and whether it came of that packet's sweep, of
 * its segment or of the end.
 *
 * The calling thread then puts the shards' output of each batch in the
 * order one engine emits it: packet by packet, first the sweep's (one
 * engine sweeps its due connections by id: the shards' are merged by
 * id), then the segment's (one shard's). Ids are one engine's: in the
 * order of the packets that created the connections. The ledger counts
 * TIME_WAIT per host and destination and the connections held in that
 * order, so its peaks are one engine's. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/classify.h"
#include "finscope/shards.h"
#include "batch.h"
#include "engine-ledger.h"

/* Items a batch's output keeps room for between batches (~600 bytes
 * each) */
#define ITEMS_KEPT 1024
/* The end hands over every connection still held: its items go to the
 * merging thread in chunks of this many, CHUNKS at most in flight per
 * shard, not all at once. */
#define CHUNK_ITEMS 1024
#define CHUNKS 4

typedef enum {
    PHASE_SWEEP,   /* of the sweep before a packet's segment */
    PHASE_SEGMENT, /* of the segment (evictions too) */
    PHASE_END,     /* of fs_engine_finish() */
} Phase;

typedef struct {
    guint32 index;  /* packet in its batch (PHASE_END: none) */
    guint8 phase;   /* Phase */
    guint8 is_conn; /* a record (conn), else an event (ev) */
    FsConn conn;    /* the record, or the event's connection, as it was
                       then; shard-local ids */
    union {
        FsEvent ev;        /* an event; ev.conn unset (it is conn) */
        FsOutcome outcome; /* a record's verdict, as its shard handed it
                              over (no ids in it) */
    };
} Item;

typedef struct {
    guint32 index;     /* packet that created it */
    guint64 local_id;  /* its id in its shard's engine */
} Created;

typedef struct {
    GArray *items;        /* Item, in the order the shard emitted them */
    GArray *created;      /* Created, in packet order */
    FsEngineStats stats;  /* the shard's engine's, after the batch */
} ShardOut;

typedef struct {
    GArray *items;        /* Item of the end, in order */
    gboolean last;        /* the end's last chunk */
    FsEngineStats stats;  /* with last: the shard's engine's at the end */
} Chunk;

typedef struct {
    FsBatch pkts;                     /* the packets, read and decoded */
    guint8 owner[FS_BATCH_PACKETS];   /* shard that runs each */
    ShardOut *out;                    /* one per shard */
} Batch;

typedef struct Run Run;

typedef struct {
    Run *run;
    guint k;              /* its share of the flow hash */
    FsEngine *engine;
    GAsyncQueue *in;      /* Batch* to run, in order */
    GAsyncQueue *done;    /* Batch* run (out[k] filled), in order */
    ShardOut *out;        /* the batch being run's output */
    GArray *items;        /* where its engine's items go now */
    Chunk *chunk;         /* at the end: the chunk being filled */
    GAsyncQueue *free_chunks; /* Chunk* to fill */
    GAsyncQueue *end;     /* Chunk* filled, in order */
    guint32 index;        /* packet being run */
    Phase phase;
    GThread *thread;
    /* the rest is the merging thread's */
    ShardOut *merging;    /* the batch's output being merged */
    guint pos;            /* next of merging->items (at the end: of
                             merging_chunk->items) */
    guint created_pos;    /* next of merging->created */
    GArray *ids;          /* guint64: one engine's id of local id i+1 */
    Chunk *merging_chunk; /* at the end: the chunk being merged */
} Shard;

struct Run {
    FsCapture *cap;
    guint n;              /* shards */
    gboolean all_events;  /* state events reach the sink */
    Shard *shards;
    GAsyncQueue *empty;   /* Batch* to fill */
    FsEngine *ledger;
    FsEngineSink sink;
    FsTime now;           /* time of the packet being merged, as the
                             engine clamps it */
};

/* ---- the shards' threads ---- */

static Item *
add_item(Shard *s, gboolean is_conn, const FsConn *conn)
{
    GArray *a = s->items;
    Item *it;

    g_array_set_size(a, a->len + 1);
    it = &g_array_index(a, Item, a->len - 1);
    it->index = s->index;
    it->phase = (guint8)s->phase;
    it->is_conn = is_conn ? 1 : 0;
    it->conn = *conn;
    it->conn.older = NULL; /* not to be followed out of its shard */
    return it;
}

/* At the end: a full chunk (or, last, the rest) goes to the merging
 * thread, and the items go on in a free one. */
static void
flush_chunk(Shard *s, gboolean last)
{
    if (s->phase != PHASE_END || (!last && s->items->len < CHUNK_ITEMS))
        return;
    s->chunk->last = last;
    if (last)
        s->chunk->stats = *fs_engine_stats(s->engine);
    g_async_queue_push(s->end, s->chunk);
    if (last)
        return;
    s->chunk = g_async_queue_pop(s->free_chunks);
    s->items = s->chunk->items;
    g_array_set_size(s->items, 0);
}

static void
shard_event(const FsEvent *ev, const FsConn *conn, gpointer user)
{
    Shard *s = user;
    Item *it;

    /* a state event matters to the ledger only into or out of
     * TIME_WAIT, and to the sink with --events */
    if (ev->kind == FS_EV_STATE && !s->run->all_events &&
        ev->transition.to != FS_TCP_TIME_WAIT &&
        ev->transition.from != FS_TCP_TIME_WAIT)
        return;
    it = add_item(s, FALSE, conn);
    it->ev = *ev;
    it->ev.conn = NULL;
    flush_chunk(s, FALSE);
}

static void
shard_conn(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    Item *it = add_item(user, TRUE, conn);

    it->outcome = *outcome;
    flush_chunk(user, FALSE);
}

/* Runs batch b through shard s's engine into b->out[s->k]. */
static void
run_batch(Shard *s, Batch *b)
{
    FsEngine *e = s->engine;
    const FsEngineStats *st = fs_engine_stats(e);

    s->out = &b->out[s->k];
    s->items = s->out->items;
    g_array_set_size(s->out->items, 0);
    g_array_set_size(s->out->created, 0);
    for (guint i = 0; i < b->pkts.n; i++) {
        FsDecodeStatus status = (FsDecodeStatus)b->pkts.status[i];
        const FsSegment *seg = &b->pkts.seg[i];
        guint64 before;

        s->index = i;
        s->phase = PHASE_SWEEP;
        if (b->owner[i] != s->k) {
            fs_engine_elsewhere(e, status, seg);
            continue;
        }
        if (status != FS_DECODE_OK) {
            fs_engine_decoded(e, status, seg);
            continue;
        }
        /* the sweep fs_engine_segment() would begin with, apart */
        fs_engine_advance(e, seg->ts);
        s->phase = PHASE_SEGMENT;
        before = st->connections;
        fs_engine_decoded(e, status, seg);
        if (st->connections != before) {
            Created c = { i, st->connections };

            g_array_append_val(s->out->created, c);
        }
    }
    s->out->stats = *fs_engine_stats(e);
}

/* fs_engine_finish(), its items in chunks to s->end. */
static void
run_end(Shard *s)
{
    s->index = G_MAXUINT32;
    s->phase = PHASE_END;
    s->chunk = g_async_queue_pop(s->free_chunks);
    s->items = s->chunk->items;
    g_array_set_size(s->items, 0);
    fs_engine_finish(s->engine);
    flush_chunk(s, TRUE);
}

static gpointer
shard_thread(gpointer data)
{
    Shard *s = data;
    gboolean more;

    do {
        Batch *b = g_async_queue_pop(s->in);

        run_batch(s, b);
        more = b->pkts.end == FS_CAPTURE_PACKET;
        /* b is the merging thread's now, as far as out[k] goes */
        g_async_queue_push(s->done, b);
    } while (more);
    run_end(s);
    return NULL;
}

/* ---- the reader's thread ---- */

/* Reads and decodes a batch, each packet's shard beside it. */
static void
fill(Run *run, Batch *b)
{
    fs_batch_fill(&b->pkts, run->cap);
    for (guint i = 0; i < b->pkts.n; i++)
        b->owner[i] = (guint8)fs_shard_of(
            (FsDecodeStatus)b->pkts.status[i], &b->pkts.seg[i], run->n);
}

static gpointer
reader_thread(gpointer data)
{
    Run *run = data;
    gboolean more;

    do {
        Batch *b = g_async_queue_pop(run->empty);

        fill(run, b);
        more = b->pkts.end == FS_CAPTURE_PACKET;
        /* every shard reads b; none writes it but its own out[k] */
        for (guint k = 0; k < run->n; k++)
            g_async_queue_push(run->shards[k].in, b);
    } while (more);
    return NULL;
}

/* ---- merging, in the calling thread ---- */

/* One engine's id of shard s's local id (0: none). */
static guint64
global_id(const Shard *s, guint64 local)
{
    if (local == 0)
        return 0;
    g_assert(local <= s->ids->len);
    return g_array_index(s->ids, guint64, local - 1);
}

static guint64
item_local_id(const Item *it)
{
    return it->is_conn ? it->conn.id : it->ev.conn_id;
}

/* Item it of shard s to the ledger and the sink, with one engine's ids,
 * as engine.c's on_emit and finish_conn() count them. */
static void
deliver(Run *run, Shard *s, Item *it)
{
    FsConn *conn = &it->conn;

    conn->id = global_id(s, conn->id);
    conn->reuse_of = global_id(s, conn->reuse_of);
    if (it->is_conn) {
        if (run->sink.on_conn != NULL)
            run->sink.on_conn(conn, &it->outcome, run->sink.user);
        if (it->phase != PHASE_END)
            fs_engine_ledger_finished(run->ledger, conn, run->now);
        return;
    }
    it->ev.conn = conn;
    it->ev.conn_id = global_id(s, it->ev.conn_id);
    fs_engine_ledger_event(run->ledger, &it->ev);
    if (it->ev.kind == FS_EV_STATE && !run->all_events)
        return;
    if (run->sink.on_event != NULL)
        run->sink.on_event(&it->ev, conn, run->sink.user);
}

static Item *
next_item(Shard *s, guint32 index, Phase phase)
{
    GArray *items = s->merging->items;
    Item *it;

    if (phase == PHASE_END) {
        /* the end's chunks, one after the other */
        while (s->pos >= s->merging_chunk->items->len &&
               !s->merging_chunk->last) {
            g_async_queue_push(s->free_chunks, s->merging_chunk);
            s->merging_chunk = g_async_queue_pop(s->end);
            s->pos = 0;
        }
        items = s->merging_chunk->items;
    }
    if (s->pos >= items->len)
        return NULL;
    it = &g_array_index(items, Item, s->pos);
    return it->index == index && it->phase == phase ? it : NULL;
}

/* The shards' items of packet index (or the end) and phase: one
 * engine's sweep and end go through its connections by id, each shard's
 * did through its own by id: merged by id, a connection's items kept
 * together. */
static void
deliver_by_id(Run *run, guint32 index, Phase phase)
{
    for (;;) {
        Shard *best = NULL;
        guint64 best_id = 0;
        guint64 local;
        Item *it;

        for (guint k = 0; k < run->n; k++) {
            Shard *s = &run->shards[k];
            guint64 id;

            it = next_item(s, index, phase);
            if (it == NULL)
                continue;
            id = global_id(s, item_local_id(it));
            if (best == NULL || id < best_id) {
                best = s;
                best_id = id;
            }
        }
        if (best == NULL)
            return;
        local = item_local_id(next_item(best, index, phase));
        while ((it = next_item(best, index, phase)) != NULL &&
               item_local_id(it) == local) {
            best->pos++;
            deliver(run, best, it);
        }
    }
}

/* Shard s created a connection at packet index: one engine's id for it
 * (the ledger counts creations in packet order). */
static void
note_created(Run *run, Shard *s, guint32 index)
{
    GArray *created = s->merging->created;

    while (s->created_pos < created->len) {
        const Created *c = &g_array_index(created, Created, s->created_pos);
        guint64 id;

        if (c->index != index)
            return;
        g_assert(c->local_id == s->ids->len + 1);
        id = fs_engine_ledger_created(run->ledger);
        g_array_append_val(s->ids, id);
        s->created_pos++;
    }
}

static void
merge_batch(Run *run, Batch *b)
{
    g_autofree FsEngineStats *stats = g_new(FsEngineStats, run->n);

    for (guint k = 0; k < run->n; k++) {
        run->shards[k].merging = &b->out[k];
        run->shards[k].pos = 0;
        run->shards[k].created_pos = 0;
    }
    for (guint i = 0; i < b->pkts.n; i++) {
        Shard *owner = &run->shards[b->owner[i]];
        Item *it;

        run->now = CLAMP(b->pkts.seg[i].ts, 0, FS_TIME_MAX);
        if (b->pkts.status[i] == FS_DECODE_OK)
            deliver_by_id(run, i, PHASE_SWEEP);
        fs_engine_ledger_packet(run->ledger,
                                (FsDecodeStatus)b->pkts.status[i],
                                &b->pkts.seg[i]);
        note_created(run, owner, i);
        while ((it = next_item(owner, i, PHASE_SEGMENT)) != NULL) {
            owner->pos++;
            deliver(run, owner, it);
        }
    }
    for (guint k = 0; k < run->n; k++) {
        Shard *s = &run->shards[k];

        /* every item went out in its place */
        g_assert(s->pos == s->merging->items->len);
        stats[k] = s->merging->stats;
        /* a sweep that finished many connections at once: its room goes
         * back, not kept for every batch */
        if (s->merging->items->len > ITEMS_KEPT) {
            g_array_unref(s->merging->items);
            s->merging->items = g_array_new(FALSE, FALSE, sizeof(Item));
        }
    }
    fs_engine_ledger_sum(run->ledger, stats, run->n);
}

/* The shards' fs_engine_finish(), merged by id as it comes. */
static void
merge_end(Run *run)
{
    g_autofree FsEngineStats *stats = g_new(FsEngineStats, run->n);

    for (guint k = 0; k < run->n; k++) {
        run->shards[k].merging_chunk = g_async_queue_pop(run->shards[k].end);
        run->shards[k].pos = 0;
    }
    deliver_by_id(run, G_MAXUINT32, PHASE_END);
    for (guint k = 0; k < run->n; k++) {
        Shard *s = &run->shards[k];

        g_assert(s->merging_chunk->last &&
                 s->pos == s->merging_chunk->items->len);
        stats[k] = s->merging_chunk->stats;
        g_async_queue_push(s->free_chunks, s->merging_chunk);
        s->merging_chunk = NULL;
    }
    fs_engine_ledger_sum(run->ledger, stats, run->n);
}

FsCaptureResult
fs_shards_run(FsCapture *cap, FsEngine *ledger, const FsEngineSink *sink,
              guint n, FsReaderTick tick, gpointer user, GError **error)
{
    FsEngineConfig cfg = *fs_engine_config(ledger);
    guint n_batches = 4 + 2 * n;
    Batch *batches;
    GThread *reader;
    FsCaptureResult end;
    Run run;
    Batch *b;

    g_return_val_if_fail(error == NULL || *error == NULL, FS_CAPTURE_ERROR);
    g_return_val_if_fail(n >= 2 && n <= FS_SHARDS_MAX, FS_CAPTURE_ERROR);
    memset(&run, 0, sizeof run);
    run.cap = cap;
    run.n = n;
    run.all_events = cfg.all_events;
    run.ledger = ledger;
    run.sink = *sink;
    run.empty = g_async_queue_new();
    run.shards = g_new0(Shard, n);
    /* each shard's engine passes every event on: shard_event() keeps
     * what the ledger or the sink needs */
    cfg.all_events = TRUE;
    cfg.shard = 0;
    cfg.shards = 0;
    /* the budgets are shared: each shard evicts within its share (not
     * where one engine would have: the output differs once they bite) */
    cfg.max_memory = (cfg.max_memory != 0 ? cfg.max_memory
                                          : FS_ENGINE_MAX_MEMORY) / n;
    cfg.max_flows = (cfg.max_flows + n - 1) / n;
    batches = g_new0(Batch, n_batches);
    for (guint j = 0; j < n_batches; j++) {
        batches[j].out = g_new0(ShardOut, n);
        for (guint k = 0; k < n; k++) {
            batches[j].out[k].items = g_array_new(FALSE, FALSE, sizeof(Item));
            batches[j].out[k].created =
                g_array_new(FALSE, FALSE, sizeof(Created));
        }
        g_async_queue_push(run.empty, &batches[j]);
    }
    for (guint k = 0; k < n; k++) {
        Shard *s = &run.shards[k];
        FsEngineSink shard_sink = { .on_event = shard_event,
                                    .on_conn = shard_conn,
                                    .user = s };

        s->run = &run;
        s->k = k;
        s->engine = fs_engine_new(&cfg, &shard_sink);
        s->in = g_async_queue_new();
        s->done = g_async_queue_new();
        s->ids = g_array_new(FALSE, FALSE, sizeof(guint64));
        s->free_chunks = g_async_queue_new();
        s->end = g_async_queue_new();
        for (guint j = 0; j < CHUNKS; j++) {
            Chunk *c = g_new0(Chunk, 1);

            c->items = g_array_sized_new(FALSE, FALSE, sizeof(Item),
                                         CHUNK_ITEMS);
            g_async_queue_push(s->free_chunks, c);
        }
        s->thread = g_thread_new("finscope-shard", shard_thread, s);
    }
    reader = g_thread_new("finscope-reader", reader_thread, &run);
    for (;;) {
        b = g_async_queue_pop(run.shards[0].done);
        for (guint k = 1; k < n; k++) {
            Batch *same = g_async_queue_pop(run.shards[k].done);

            g_assert(same == b);
        }
        merge_batch(&run, b);
        if (tick != NULL)
            tick(ledger, user);
        if (b->pkts.end != FS_CAPTURE_PACKET)
            break;
        g_async_queue_push(run.empty, b);
    }
    merge_end(&run);
    if (tick != NULL)
        tick(ledger, user);
    g_thread_join(reader);
    end = fs_batch_finish(&b->pkts, error);
    for (guint k = 0; k < n; k++) {
        Shard *s = &run.shards[k];

        g_thread_join(s->thread);
        fs_engine_free(s->engine);
        g_async_queue_unref(s->in);
        g_async_queue_unref(s->done);
        g_array_unref(s->ids);
        for (Chunk *c; (c = g_async_queue_try_pop(s->free_chunks)) != NULL;) {
            g_array_unref(c->items);
            g_free(c);
        }
        g_async_queue_unref(s->free_chunks);
        g_async_queue_unref(s->end);
    }
    for (guint j = 0; j < n_batches; j++) {
        for (guint k = 0; k < n; k++) {
            g_array_unref(batches[j].out[k].items);
            g_array_unref(batches[j].out[k].created);
        }
        g_free(batches[j].out);
    }
    g_free(batches);
    g_free(run.shards);
    g_async_queue_unref(run.empty);
    return end;
}
