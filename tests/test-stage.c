/* finscope tests: the report stage runs the sink's calls in order, on
 * copies (of the connection, event and outcome; of an event's
 * connection its head only) taken when they were made, all of them by
 * each sync. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/classify.h"
#include "finscope/conn.h"
#include "finscope/freeze.h"
#include "finscope/pool.h"
#include "finscope/stage.h"
#include "finscope/timeline.h"

typedef struct {
    GThread *caller;      /* the test's thread */
    GString *log;         /* one line per call, as run */
    gboolean other_thread;/* every call ran in another thread */
    GThread *ran_in;      /* the thread of the last call */
} Recorder;

static void
rec_event(const FsEvent *ev, const FsConn *conn, gpointer user)
{
    Recorder *r = user;

    r->other_thread &= g_thread_self() != r->caller;
    g_assert_true(ev->conn == conn);
    /* an event's connection: its head (here the id and server port), the
     * rest not copied (packets reads 0) */
    g_string_append_printf(r->log, "e%" G_GUINT64_FORMAT ":%u:%" G_GUINT64_FORMAT
                           ":%u:%" G_GUINT64_FORMAT ":%s\n", ev->conn_id,
                           (guint)ev->kind,
                           conn != NULL ? conn->id : 0,
                           conn != NULL ? conn->port[FS_ROLE_SERVER] : 0,
                           conn != NULL ? conn->packets : 0,
                           ev->detail != NULL ? ev->detail : "-");
}

static void
rec_conn(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    Recorder *r = user;

    r->other_thread &= g_thread_self() != r->caller;
    if (r->ran_in == NULL)
        r->ran_in = g_thread_self();
    g_assert_true(r->ran_in == g_thread_self());
    g_assert_nonnull(outcome);
    g_string_append_printf(r->log, "c%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT
                           ":%u:%u:%u\n", conn->id, conn->packets,
                           (guint)conn->ep[FS_ROLE_SERVER].state,
                           outcome->old_duplicates,
                           (guint)outcome->end_state[FS_ROLE_CLIENT]);
}

static void
test_order_and_copies(void)
{
    g_autoptr(GString) want = g_string_new(NULL);
    Recorder r = { g_thread_self(), g_string_new(NULL), TRUE, NULL };
    FsEngineSink inner = { .on_event = rec_event,
                           .on_conn = rec_conn,
                           .user = &r };
    FsStage *stage = fs_stage_new(&inner);
    FsEngineSink sink = fs_stage_sink(stage);
    FsConn conn;
    FsOutcome outcome;

    memset(&conn, 0, sizeof conn);
    memset(&outcome, 0, sizeof outcome);
    fs_conn_init(&conn);
    /* 1000 calls: several blocks, a sync in the middle of one */
    for (guint i = 1; i <= 1000; i++) {
        FsEvent ev = { 0 };

        conn.id = i / 3 + 1;
        conn.packets = i;
        conn.port[FS_ROLE_SERVER] = (guint16)(i + 7);
        conn.ep[FS_ROLE_SERVER].state = (FsTcpState)(i % FS_TCP_N_STATES);
        ev.conn = &conn;
        ev.conn_id = conn.id;
        ev.kind = (FsEventKind)(i % 5);
        ev.detail = i % 2 ? "odd" : NULL;
        outcome.old_duplicates = i * 3;
        outcome.end_state[FS_ROLE_CLIENT] = (FsTcpState)(i % FS_TCP_N_STATES);
        if (i % 7 == 0) {
            sink.on_conn(&conn, &outcome, sink.user);
            g_string_append_printf(want, "c%u:%u:%u:%u:%u\n", i / 3 + 1, i,
                                   i % FS_TCP_N_STATES, i * 3,
                                   i % FS_TCP_N_STATES);
        } else {
            sink.on_event(&ev, &conn, sink.user);
            g_string_append_printf(want, "e%u:%u:%u:%u:0:%s\n", i / 3 + 1,
                                   i % 5, i / 3 + 1, i + 7,
                                   i % 2 ? "odd" : "-");
        }
        /* the caller goes on changing its connection: the stage ran on
         * the copy taken at the call */
        conn.packets = 0;
        conn.port[FS_ROLE_SERVER] = 0;
        conn.ep[FS_ROLE_SERVER].state = FS_TCP_UNKNOWN;
        outcome.old_duplicates = 0;
        outcome.end_state[FS_ROLE_CLIENT] = FS_TCP_UNKNOWN;
        if (i == 500) {
            fs_stage_sync(stage);
            g_assert_cmpstr(r.log->str, ==, want->str);
        }
    }
    fs_stage_sync(stage);
    g_assert_cmpstr(r.log->str, ==, want->str);
    fs_stage_sync(stage); /* nothing new: returns all the same */
    fs_stage_free(stage);
    g_assert_cmpstr(r.log->str, ==, want->str);
    g_assert_true(r.other_thread);
    g_string_free(r.log, TRUE);
}

/* Freed with calls still queued, the stage runs them first. */
static void
test_free_runs_the_rest(void)
{
    Recorder r = { g_thread_self(), g_string_new(NULL), TRUE, NULL };
    FsEngineSink inner = { .on_conn = rec_conn,
                           .user = &r };
    FsStage *stage = fs_stage_new(&inner);
    FsEngineSink sink = fs_stage_sink(stage);
    FsConn conn;
    FsOutcome outcome = { 0 };
    guint lines = 0;

    memset(&conn, 0, sizeof conn);
    fs_conn_init(&conn);
    /* no on_event in inner: none in the stage's sink either */
    g_assert_null(sink.on_event);
    for (guint i = 0; i < 300; i++) {
        conn.id = i;
        sink.on_conn(&conn, &outcome, sink.user);
    }
    fs_stage_free(stage);
    for (const char *p = r.log->str; *p != '\0'; p++)
        lines += *p == '\n';
    g_assert_cmpuint(lines, ==, 300);
    g_string_free(r.log, TRUE);
}

/* A job of the worker's own, beside the stage's: notes its thread and
 * a line in the log; with gate, it then waits for something on it. */
typedef struct {
    FsJob job;
    Recorder *r;
    const char *line;
    GAsyncQueue *gate;    /* or NULL */
    GAsyncQueue *started; /* with gate: told before the wait */
    GThread *ran_in;
} Mark;

static void
mark_run(FsJob *job)
{
    Mark *m = (Mark *)job;

    m->ran_in = g_thread_self();
    g_string_append(m->r->log, m->line);
    if (m->gate != NULL) {
        g_async_queue_push(m->started, GINT_TO_POINTER(1));
        (void)g_async_queue_pop(m->gate);
    }
}

/* On a shared worker (main.c: the reader's), the stage's calls run in
 * the worker's thread, a block when full or synced, before the worker's
 * other jobs that wait (the batches to read); the worker outlives the
 * stage. */
static void
test_shared_worker(void)
{
    Recorder r = { g_thread_self(), g_string_new(NULL), TRUE, NULL };
    FsEngineSink inner = { .on_conn = rec_conn,
                           .user = &r };
    FsWorker *worker = fs_worker_new("test-worker");
    g_autoptr(GAsyncQueue) gate = g_async_queue_new();
    g_autoptr(GAsyncQueue) started = g_async_queue_new();
    Mark first = { { mark_run }, &r, "first\n", gate, started, NULL };
    Mark later = { { mark_run }, &r, "later\n", NULL, NULL, NULL };
    Mark last = { { mark_run }, &r, "last\n", NULL, NULL, NULL };
    FsStage *stage;
    FsEngineSink sink;
    FsConn conn;
    FsOutcome outcome = { 0 };
    g_autoptr(GString) want = g_string_new("first\n");

    /* the worker held in its first job while the rest is queued */
    fs_worker_push(worker, &first.job);
    (void)g_async_queue_pop(started);
    fs_worker_push(worker, &later.job);
    stage = fs_stage_new_on(&inner, worker);
    sink = fs_stage_sink(stage);
    memset(&conn, 0, sizeof conn);
    fs_conn_init(&conn);
    for (guint i = 1; i <= 128; i++) { /* two full blocks */
        conn.id = i;
        conn.packets = i;
        sink.on_conn(&conn, &outcome, sink.user);
        g_string_append_printf(want, "c%u:%u:0:0:0\n", i, i);
    }
    g_async_queue_push(gate, GINT_TO_POINTER(1));
    fs_stage_free(stage);
    fs_worker_push(worker, &last.job);
    fs_worker_free(worker);
    g_string_append(want, "later\nlast\n");
    g_assert_cmpstr(r.log->str, ==, want->str);
    g_assert_true(r.other_thread);
    g_assert_true(r.ran_in == first.ran_in);
    g_assert_true(later.ran_in == first.ran_in);
    g_assert_true(last.ran_in == first.ran_in);
    g_string_free(r.log, TRUE);
}

static void
rec_close(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    Recorder *r = user;

    r->other_thread &= g_thread_self() != r->caller;
    g_assert_nonnull(outcome);
    g_string_append_printf(r->log, "c%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT
                           ":%s:%s\n", conn->id, conn->packets,
                           fs_close_kind_name(outcome->close),
                           fs_tcp_state_name(outcome->end_state[FS_ROLE_CLIENT]));
}

/* Record i, built in the stage's next slot and handed over: with the
 * caller's verdict (i a multiple of 3), frozen (i one past one), or for
 * the stage to classify. Of the frozen ones, the odd are settled at i
 * seconds, which changes nothing; the even have the client in a
 * TIME_WAIT from i seconds, and *how says to settle them 2*MSL later,
 * expired first (as the store's sweep hands them over): the verdict
 * then has the client CLOSED, so only a stage that settles each with
 * its own copy of its how (then overwritten here) gets it. The
 * recorder's line of it is appended to want. */
static void
hand_over(const FsEngineSink *sink, guint i, FsPool *pool, FsSettleHow *how,
          GString *want)
{
    const FsTime two_msl = 60 * FS_NS_PER_SEC;
    const FsTime since = (FsTime)i * FS_NS_PER_SEC;
    FsConn *slot = sink->record_slot(sink->user);
    const char *close = i % 2 ? "reset" : "open";
    const char *client = "ESTABLISHED";

    /* the same slot until a record is handed over */
    g_assert_true(sink->record_slot(sink->user) == slot);
    memset(slot, 0, sizeof *slot);
    fs_conn_init(slot);
    slot->id = i;
    slot->packets = i * 2;
    slot->rst_from = i % 2 ? FS_ROLE_CLIENT : FS_ROLE_NONE;
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        slot->ep[r].seen = 1;
        slot->ep[r].state = FS_TCP_ESTABLISHED;
        slot->ep[r].state_since = since - FS_NS_PER_SEC;
    }
    if (i % 3 == 0) {
        /* the caller's verdict is passed on as it is */
        FsOutcome outcome = { 0 };

        outcome.close = FS_CLOSE_INCOMPLETE;
        outcome.end_state[FS_ROLE_CLIENT] = FS_TCP_FIN_WAIT_2;
        sink->on_conn(slot, &outcome, sink->user);
        close = "incomplete";
        client = "FIN_WAIT_2";
    } else if (i % 3 == 1) {
        /* handed over frozen, in the slot: thawed and settled in the
         * worker's thread, as the store does */
        FsConn *frozen;

        *how = (FsSettleHow){ since, two_msl, FALSE, TRUE };
        if (i % 2 == 0) {
            FsEndpoint *ep = &slot->ep[FS_ROLE_CLIENT];

            ep->state = FS_TCP_TIME_WAIT;
            ep->state_since = since;
            ep->time_wait_since = since;
            *how = (FsSettleHow){ since + two_msl, two_msl, TRUE, TRUE };
            client = "CLOSED";
        }
        frozen = fs_conn_freeze(slot, pool);
        memcpy(slot, frozen, fs_conn_frozen_size(frozen));
        fs_conn_free(frozen, pool);
        sink->on_frozen_conn(slot, how, sink->user);
        /* the caller's, not the stage's: it goes on changing */
        memset(how, 0, sizeof *how);
    } else {
        sink->on_conn(slot, NULL, sink->user);
    }
    g_string_append_printf(want, "c%u:%u:%s:%s\n", i, i * 2, close, client);
}

/* The stage's sink classifies (in the worker's thread: the engine passes
 * outcome NULL) and offers the records' ring: a record built in its slot
 * is handed over without a copy, a frozen one is thawed and settled as
 * its FsSettleHow says, and a slot written but not handed over (a
 * record the engine decoded and kept) clobbers none still queued, even
 * with every block full and waiting for the worker: once from the
 * ring's first slot, once across its wrap. */
static void
test_record_slots(void)
{
    Recorder r = { g_thread_self(), g_string_new(NULL), TRUE, NULL };
    FsEngineSink inner = { .on_conn = rec_close,
                           .user = &r };
    FsWorker *worker = fs_worker_new("test-worker");
    g_autoptr(GAsyncQueue) gate = g_async_queue_new();
    g_autoptr(GAsyncQueue) started = g_async_queue_new();
    Mark first = { { mark_run }, &r, "first\n", gate, started, NULL };
    Mark second = { { mark_run }, &r, "second\n", gate, started, NULL };
    g_autoptr(GString) want = g_string_new("first\n");
    g_autoptr(FsPool) pool = fs_pool_new();
    FsSettleHow how;
    FsStage *stage;
    FsEngineSink sink;
    FsConn *slot;
    FsConn *kept;
    FsConn *ring;

    fs_worker_push(worker, &first.job);
    (void)g_async_queue_pop(started);
    stage = fs_stage_new_on(&inner, worker);
    sink = fs_stage_sink(stage);
    g_assert_true(sink.classifies);
    g_assert_nonnull(sink.record_slot);
    g_assert_nonnull(sink.on_frozen_conn);
    /* every block full (8 of 64), none run: the worker is held; the
     * records take the ring's slots 0 to 511 */
    for (guint i = 1; i <= 8 * 64; i++)
        hand_over(&sink, i, pool, &how, want);
    /* one more decoded into the next slot (512, the ring's last), then
     * kept (not handed over) */
    kept = sink.record_slot(sink.user);
    ring = kept - 512;
    memset(kept, 0xa5, sizeof *kept);
    g_async_queue_push(gate, GINT_TO_POINTER(1));
    fs_stage_sync(stage);
    g_assert_cmpstr(r.log->str, ==, want->str);
    /* the slot is offered again, and a record given from elsewhere is
     * copied into it */
    g_assert_true(sink.record_slot(sink.user) == kept);
    memset(kept, 0, sizeof *kept);
    {
        FsConn conn;

        memset(&conn, 0, sizeof conn);
        fs_conn_init(&conn);
        conn.id = 1000;
        conn.packets = 7;
        sink.on_conn(&conn, NULL, sink.user);
        conn.packets = 0;
    }
    g_string_append(want, "c1000:7:open:UNKNOWN\n");
    /* the worker running: 200 more take slots 0 to 199 */
    for (guint i = 1001; i <= 1200; i++)
        hand_over(&sink, i, pool, &how, want);
    fs_stage_sync(stage);
    g_assert_cmpstr(r.log->str, ==, want->str);
    /* held again, every block full: 512 more take slots 200 to 512 and
     * then, the ring (513 slots) wrapped, 0 to 198, none of them run */
    fs_worker_push(worker, &second.job);
    (void)g_async_queue_pop(started);
    g_string_append(want, "second\n");
    slot = sink.record_slot(sink.user);
    g_assert_true(slot == ring + 200);
    for (guint i = 1201; i <= 1200 + 8 * 64; i++)
        hand_over(&sink, i, pool, &how, want);
    /* one more kept in the next slot, 199: the one not queued */
    kept = sink.record_slot(sink.user);
    g_assert_true(kept == ring + 199);
    memset(kept, 0xa5, sizeof *kept);
    g_async_queue_push(gate, GINT_TO_POINTER(1));
    fs_stage_free(stage);
    fs_worker_free(worker);
    g_assert_cmpstr(r.log->str, ==, want->str);
    g_assert_true(r.other_thread);
    g_string_free(r.log, TRUE);
}

/* The timeline's tee (--timeline, --plot) over a sink without events
 * has none either, and so neither has a stage over the tee (no event is
 * staged to be dropped in the worker); over one with events, the tee
 * passes them on. */
static void
test_timeline_tee_events(void)
{
    Recorder r = { g_thread_self(), g_string_new(NULL), TRUE, NULL };
    FsEngineSink plain = { .on_conn = rec_conn,
                           .user = &r };
    FsEngineSink with_events = { .on_event = rec_event,
                                 .on_conn = rec_conn,
                                 .user = &r };
    g_autoptr(FsTimeline) tl = fs_timeline_new(FS_NS_PER_SEC,
                                               30 * FS_NS_PER_SEC);
    FsEngineSink tee = fs_timeline_tee(tl, &plain);
    FsStage *stage;
    FsEngineSink staged;
    FsConn conn;
    FsEvent ev;
    g_autofree char *want = NULL;

    g_assert_null(tee.on_event);
    g_assert_nonnull(tee.on_conn);
    stage = fs_stage_new(&tee);
    staged = fs_stage_sink(stage);
    g_assert_null(staged.on_event);
    fs_stage_free(stage);

    memset(&conn, 0, sizeof conn);
    fs_conn_init(&conn);
    conn.id = 5;
    memset(&ev, 0, sizeof ev);
    ev.conn = &conn;
    ev.conn_id = 5;
    ev.kind = FS_EV_RST;
    tee = fs_timeline_tee(tl, &with_events);
    g_assert_nonnull(tee.on_event);
    tee.on_event(&ev, &conn, tee.user);
    want = g_strdup_printf("e5:%u:5:0:0:-\n", (guint)FS_EV_RST);
    g_assert_cmpstr(r.log->str, ==, want);
    g_string_free(r.log, TRUE);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/stage/order-and-copies", test_order_and_copies);
    g_test_add_func("/stage/free-runs-the-rest", test_free_runs_the_rest);
    g_test_add_func("/stage/shared-worker", test_shared_worker);
    g_test_add_func("/stage/record-slots", test_record_slots);
    g_test_add_func("/stage/timeline-tee-events", test_timeline_tee_events);
    return g_test_run();
}
