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

static void
write_tw(FsShardSink *s, const FsEvent *ev, const FsConn *conn,
         gboolean enter)
{
    gboolean restart = ev->transition.from == FS_TCP_TIME_WAIT &&
                       ev->transition.to == FS_TCP_TIME_WAIT;
    /* back from CLOSED (rst_not_taken): the same entry again */
    gboolean resume = ev->transition.from == FS_TCP_CLOSED &&
                      ev->transition.to == FS_TCP_TIME_WAIT;
    /* out of a TIME_WAIT whose start tcpstate took back (it held none:
     * timewait.c's take_back()) */
    gboolean taken_back =
        !enter && conn->ep[ev->role].time_wait_since == FS_TIME_UNSET;
    FsJson j;

    mark_clock(s);

    fs_json_init(&j, s->buf);
    fs_json_begin_object(&j);
    FS_JSON_KEY(&j, "type");
    fs_json_string(&j, "shard_tw");
    FS_JSON_KEY(&j, "at");
    fs_json_time(&j, fs_engine_stats(s->engine)->t_last);
    FS_JSON_KEY(&j, "time");
    fs_json_time(&j, ev->ts);
    FS_JSON_KEY(&j, "conn");
    fs_json_uint(&j, ev->conn_id);
    FS_JSON_KEY(&j, "endpoint");
    fs_json_string(&j, fs_role_name((FsRole)ev->role));
    FS_JSON_KEY(&j, "enter");
    fs_json_bool(&j, enter);
    FS_JSON_KEY(&j, "timer");
    fs_json_bool(&j, ev->frame == 0);
    FS_JSON_KEY(&j, "end");
    fs_json_bool(&j, s->ending);
    if (restart) {
        /* its 2*MSL timer restarted at time (tcpstate.c) */
        FS_JSON_KEY(&j, "restart");
        fs_json_bool(&j, TRUE);
    }
    if (taken_back) {
        /* its spans since its entry, and the entry, were none */
        FS_JSON_KEY(&j, "taken_back");
        fs_json_bool(&j, TRUE);
    }
    if (resume) {
        /* a TIME_WAIT an RST seemed to end, there all along: its span
         * runs again, not a new entry (timewait.c) */
        FS_JSON_KEY(&j, "resume");
        fs_json_bool(&j, TRUE);
    }
    fs_json_end_object(&j);
    write_line(s);
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
