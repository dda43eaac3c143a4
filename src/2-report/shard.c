/* finscope: --shard K/N — the sink a shard's engine feeds, and the line
 * that tells finscope merge how the shard was run. */
#include "config.h"

#include <stdio.h>

#include <glib.h>

#include "finscope/json-writer.h"
#include "finscope/tcpstate.h"
#include "shard.h"

static void
write_line(FsShardSink *s)
{
    g_string_append_c(s->buf, '\n');
    fwrite(s->buf->str, 1, s->buf->len, s->out);
    g_string_truncate(s->buf, 0);
}

/* Before a line: the engine's clock, if it moved since the last. */
static void
mark_clock(FsShardSink *s)
{
    FsTime at = fs_engine_stats(s->engine)->t_last;
    FsJson j;

    if (s->clock_at == at && s->clock_end == s->ending)
        return;
    s->clock_at = at;
    s->clock_end = s->ending;
    fs_json_init(&j, s->buf);
    fs_json_begin_object(&j);
    FS_JSON_KEY(&j, "type");
    fs_json_string(&j, "shard_clock");
    FS_JSON_KEY(&j, "at");
    fs_json_time(&j, at);
    FS_JSON_KEY(&j, "end");
    fs_json_bool(&j, s->ending);
    fs_json_end_object(&j);
    write_line(s);
}

/* What a shard_tw line says beyond entry or exit. */
enum {
    TW_RESTART = 1 << 0,    /* its 2*MSL timer restarted at time
                               (tcpstate.c) */
    TW_TAKEN_BACK = 1 << 1, /* its spans since its entry, and the entry,
                               were none */
    TW_RESUME = 1 << 2,     /* a TIME_WAIT an RST seemed to end, there
                               all along: its span runs again, not a new
                               entry (timewait.c) */
    TW_FORGOTTEN = 1 << 3,  /* its record handed over while it was held
                               (--idle-timeout, an eviction): the engine
                               stops counting it at time, no state event
                               (on_time_wait_forgotten) */
};

static void
write_tw_line(FsShardSink *s, guint64 conn_id, FsRole role, FsTime t,
              gboolean enter, gboolean timer, guint flags)
{
    static const struct {
        guint flag;
        const char *key;
    } keys[] = { { TW_RESTART, "restart" },
                 { TW_TAKEN_BACK, "taken_back" },
                 { TW_RESUME, "resume" },
                 { TW_FORGOTTEN, "forgotten" } };
    FsJson j;

    mark_clock(s);

    fs_json_init(&j, s->buf);
    fs_json_begin_object(&j);
    FS_JSON_KEY(&j, "type");
    fs_json_string(&j, "shard_tw");
    FS_JSON_KEY(&j, "at");
    fs_json_time(&j, fs_engine_stats(s->engine)->t_last);
    FS_JSON_KEY(&j, "time");
    fs_json_time(&j, t);
    FS_JSON_KEY(&j, "conn");
    fs_json_uint(&j, conn_id);
    FS_JSON_KEY(&j, "endpoint");
    fs_json_string(&j, fs_role_name(role));
    FS_JSON_KEY(&j, "enter");
    fs_json_bool(&j, enter);
    FS_JSON_KEY(&j, "timer");
    fs_json_bool(&j, timer);
    FS_JSON_KEY(&j, "end");
    fs_json_bool(&j, s->ending);
    for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
        if (flags & keys[i].flag) {
            fs_json_key(&j, keys[i].key);
            fs_json_bool(&j, TRUE);
        }
    }
    fs_json_end_object(&j);
    write_line(s);
}

static void
write_tw(FsShardSink *s, const FsEvent *ev, const FsConn *conn,
         gboolean enter)
{
    guint flags = 0;

    if (ev->transition.from == FS_TCP_TIME_WAIT &&
        ev->transition.to == FS_TCP_TIME_WAIT)
        flags |= TW_RESTART;
    /* back from CLOSED (rst_not_taken): the same entry again */
    if (ev->transition.from == FS_TCP_CLOSED &&
        ev->transition.to == FS_TCP_TIME_WAIT)
        flags |= TW_RESUME;
    /* out of a TIME_WAIT whose start tcpstate took back (it held none:
     * timewait.c's take_back()) */
    if (!enter && conn->ep[ev->role].time_wait_since == FS_TIME_UNSET)
        flags |= TW_TAKEN_BACK;
    write_tw_line(s, ev->conn_id, (FsRole)ev->role, ev->ts, enter,
                  ev->frame == 0, flags);
}

/* The engine's: a record handed over mid-capture left an endpoint in
 * TIME_WAIT, which no longer counts as held from now (engine.c's
 * on_forget). An exit for merge, no event for the report (--events
 * prints none: the socket changed nothing). A sweep's (--idle-timeout)
 * runs before the packet that moved the clock, as timers; an eviction
 * at that packet. */
static void
shard_forgotten(const FsConn *rec, FsRole role, FsTime now, gpointer user)
{
    write_tw_line(user, rec->id, role, now, FALSE, !rec->evicted,
                  TW_FORGOTTEN);
}

/* As the engine counts them (timewait.c): any move to TIME_WAIT
 * enters it (from TIME_WAIT: its timer restarted), a move out of it
 * leaves. */
static void
shard_event(const FsEvent *ev, const FsConn *conn, gpointer user)
{
    FsShardSink *s = user;

    if (ev->kind == FS_EV_STATE) {
        if (ev->transition.to == FS_TCP_TIME_WAIT)
            write_tw(s, ev, conn, TRUE);
        else if (ev->transition.from == FS_TCP_TIME_WAIT)
            write_tw(s, ev, conn, FALSE);
        if (!s->all_events)
            return;
    }
    mark_clock(s);
    if (s->inner.on_event != NULL)
        s->inner.on_event(ev, conn, s->inner.user);
}

static void
shard_conn(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    FsShardSink *s = user;

    mark_clock(s);
    if (s->inner.on_conn != NULL)
        s->inner.on_conn(conn, outcome, s->inner.user);
}

FsEngineSink
fs_shard_sink(FsShardSink *shard, const FsEngineSink *inner,
              gboolean all_events, FILE *out)
{
    FsEngineSink sink = { .on_event = shard_event,
                          .on_conn = shard_conn,
                          .on_time_wait_forgotten = shard_forgotten,
                          .user = shard };

    shard->inner = *inner;
    shard->all_events = all_events;
    shard->engine = NULL;
    shard->ending = FALSE;
    shard->clock_at = FS_TIME_UNSET;
    shard->clock_end = FALSE;
    shard->out = out;
    shard->buf = g_string_new(NULL);
    return sink;
}

void
fs_shard_sink_clear(FsShardSink *shard)
{
    if (shard->buf != NULL)
        g_string_free(shard->buf, TRUE);
    shard->buf = NULL;
}

void
fs_shard_write_trailer(FILE *out, const FsEngineConfig *cfg, guint sources,
                       guint top, const FsEngineStats *stats)
{
    g_autoptr(GString) buf = g_string_new(NULL);
    FsJson j;

    fs_json_init(&j, buf);
    fs_json_begin_object(&j);
    FS_JSON_KEY(&j, "type");
    fs_json_string(&j, "shard");
    FS_JSON_KEY(&j, "shard");
    fs_json_uint(&j, cfg->shard);
    FS_JSON_KEY(&j, "of");
    fs_json_uint(&j, cfg->shards);
    FS_JSON_KEY(&j, "events");
    fs_json_bool(&j, cfg->all_events);
    FS_JSON_KEY(&j, "sources");
    fs_json_uint(&j, sources);
    FS_JSON_KEY(&j, "top");
    fs_json_uint(&j, top);
    FS_JSON_KEY(&j, "ephemeral_ports");
    fs_json_uint(&j, cfg->ephemeral_ports ? cfg->ephemeral_ports : 28232);
    FS_JSON_KEY(&j, "packets_skipped");
    fs_json_uint(&j, stats->shard_skipped);
    fs_json_end_object(&j);
    g_string_append_c(buf, '\n');
    fwrite(buf->str, 1, buf->len, out);
    fflush(out);
}
