/* finscope: NDJSON output — "event", "conn" and "summary" objects. */
#include "config.h"

#include <glib.h>

#include "finscope/decode.h"
#include "finscope/detect.h"
#include "finscope/handoff.h"
#include "finscope/json-writer.h"
#include "report-private.h"

static void
write_line(FsReport *r)
{
    g_string_append_c(r->buf, '\n');
    fwrite(r->buf->str, 1, r->buf->len, r->out);
    g_string_truncate(r->buf, 0);
}

static void
json_role(FsJson *j, int role)
{
    fs_json_string(j, role == FS_ROLE_NONE ? NULL : fs_role_name(role));
}

static void
json_endpoint(FsJson *j, const FsConn *conn, FsRole role)
{
    char buf[FS_ENDPOINT_STRLEN];

    fs_endpoint_format(&conn->addr[role], conn->port[role], buf, sizeof buf);
    fs_json_string(j, buf);
}

/* "client_host": "10.0.0.1", "client_port": 40000, and the same for the
 * server: the "client" and "server" strings split, for jq and SQL. */
static void
json_hosts_ports(FsJson *j, const FsConn *conn)
{
    static const char *const keys[2][2] = {
        { "client_host", "client_port" }, { "server_host", "server_port" },
    };

    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        char host[FS_ENDPOINT_STRLEN];

        fs_addr_format(&conn->addr[role], host, sizeof host);
        fs_json_key(j, keys[role][0]);
        fs_json_string(j, host);
        fs_json_key(j, keys[role][1]);
        fs_json_uint(j, conn->port[role]);
    }
}

/* "frame": N (null when no segment acted) and, with several capture
 * files, "file": its name. */
static void
json_frame(FsJson *j, const FsReport *r, const char *key,
           const char *file_key, guint32 frame, guint source)
{
    const char *file = fs_report_source_name(r, source);

    fs_json_key(j, key);
    if (frame == 0)
        fs_json_null(j);
    else
        fs_json_uint(j, frame);
    if (file != NULL && frame != 0) {
        fs_json_key(j, file_key);
        fs_json_string(j, file);
    }
}

void
fs_report_json_event(FsReport *r, const FsEvent *ev, const FsConn *conn)
{
    FsJson j;

    (void)conn;
    fs_json_init(&j, r->buf);
    fs_json_begin_object(&j);
    FS_JSON_KEY(&j, "type");
    fs_json_string(&j, "event");
    FS_JSON_KEY(&j, "time");
    fs_json_time(&j, ev->ts);
    FS_JSON_KEY(&j, "conn");
    fs_json_uint(&j, ev->conn_id);
    json_frame(&j, r, "frame", "file", ev->frame, ev->source);
    FS_JSON_KEY(&j, "kind");
    fs_json_string(&j, fs_event_kind_name(ev->kind));
    FS_JSON_KEY(&j, "endpoint");
    json_role(&j, ev->role);
    if (ev->kind == FS_EV_STATE) {
        FS_JSON_KEY(&j, "from");
        fs_json_string(&j, fs_tcp_state_name(ev->transition.from));
        FS_JSON_KEY(&j, "to");
        fs_json_string(&j, fs_tcp_state_name(ev->transition.to));
        FS_JSON_KEY(&j, "cause");
        fs_json_string(&j, fs_cause_name(ev->transition.cause));
    } else {
        FS_JSON_KEY(&j, "seq");
        fs_json_uint(&j, ev->seq);
    }
    if (ev->kind == FS_EV_FIN_RETRANSMIT) {
        FS_JSON_KEY(&j, "interval");   /* since the previous FIN: RTO */
        fs_json_time(&j, ev->value);
    }
    FS_JSON_KEY(&j, "detail");
    fs_json_string(&j, ev->detail);
    fs_json_end_object(&j);
    write_line(r);
}

/* {"client": a, "server": b} of two unsigned counters. */
static void
json_pair_uint(FsJson *j, const char *key, guint64 client, guint64 server)
{
    fs_json_key(j, key);
    fs_json_begin_object(j);
    FS_JSON_KEY(j, "client");
    fs_json_uint(j, client);
    FS_JSON_KEY(j, "server");
    fs_json_uint(j, server);
    fs_json_end_object(j);
}

static void
json_conn_states(FsJson *j, FsReport *r, const FsConn *conn,
                 const FsOutcome *outcome)
{
    FS_JSON_KEY(j, "state");
    fs_json_begin_object(j);
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        fs_json_key(j, fs_role_name((FsRole)role));
        fs_json_string(j, fs_tcp_state_name(outcome->end_state[role]));
    }
    fs_json_end_object(j);
    FS_JSON_KEY(j, "time_wait_until");
    fs_json_begin_object(j);
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        const FsEndpoint *ep = &conn->ep[role];

        fs_json_key(j, fs_role_name((FsRole)role));
        if (ep->time_wait_since == FS_TIME_UNSET)
            fs_json_null(j);
        else
            fs_json_time(j, ep->time_wait_since + 2 * r->cfg.msl);
    }
    fs_json_end_object(j);
}

static void
json_conn_close(FsJson *j, const FsConn *conn, const FsOutcome *outcome)
{
    FsCloser closer = outcome->active_closer;
    FsTime duration = outcome->close_duration;

    FS_JSON_KEY(j, "close");
    fs_json_string(j, fs_close_kind_name(outcome->close));
    FS_JSON_KEY(j, "active_closer");
    fs_json_string(j, fs_closer_name(closer));
    FS_JSON_KEY(j, "passive_closer");
    fs_json_string(j, fs_passive_closer_name(closer));
    FS_JSON_KEY(j, "simultaneous_close");
    fs_json_bool(j, conn->simultaneous);
    FS_JSON_KEY(j, "three_way_close");
    fs_json_bool(j, conn->three_way_close);
    FS_JSON_KEY(j, "half_close");
    fs_json_bool(j, outcome->half_close);
    json_pair_uint(j, "bytes_after_peer_fin",
                   conn->ep[FS_ROLE_CLIENT].bytes_after_peer_fin,
                   conn->ep[FS_ROLE_SERVER].bytes_after_peer_fin);
    FS_JSON_KEY(j, "close_duration");
    if (duration < 0)
        fs_json_null(j);
    else
        fs_json_time(j, duration);
    json_pair_uint(j, "fin_retransmits",
                   outcome->fin_retransmits[FS_ROLE_CLIENT],
                   outcome->fin_retransmits[FS_ROLE_SERVER]);
    FS_JSON_KEY(j, "final_ack_lost");
    fs_json_bool(j, conn->final_ack_lost > 0);
    FS_JSON_KEY(j, "rst_from");
    json_role(j, conn->rst_from);
    FS_JSON_KEY(j, "rst_interrupted");
    fs_json_string(j, conn->rst_from == FS_ROLE_NONE
                          ? NULL
                          : fs_tcp_state_name(conn->rst_state));
}

/* How this incarnation took its 4-tuple over from a previous one. */
static void
json_conn_reuse(FsJson *j, const FsConn *conn)
{
    const FsReuse *r = &conn->reuse;

    FS_JSON_KEY(j, "reuse");
    if (r->outcome == FS_REUSE_NONE) {
        fs_json_null(j);
        return;
    }
    fs_json_begin_object(j);
    FS_JSON_KEY(j, "holder");
    fs_json_string(j, fs_role_name((FsRole)r->holder));
    FS_JSON_KEY(j, "holder_state");
    fs_json_string(j, fs_tcp_state_name((FsTcpState)r->holder_state));
    FS_JSON_KEY(j, "since_close");
    fs_json_time(j, r->since_close);
    FS_JSON_KEY(j, "isn_above_old");
    fs_json_bool(j, r->isn_above);
    FS_JSON_KEY(j, "ts_newer");
    if (r->ts_known)
        fs_json_bool(j, r->ts_newer);
    else
        fs_json_null(j);
    FS_JSON_KEY(j, "safe");
    fs_json_bool(j, r->isn_above || r->ts_newer);
    FS_JSON_KEY(j, "outcome");
    fs_json_string(j, fs_reuse_outcome_name((FsReuseOutcome)r->outcome));
    fs_json_end_object(j);
}

static void
json_undecided_item(FsJson *j, const char *field, const char *reason)
{
    fs_json_begin_object(j);
    FS_JSON_KEY(j, "field");
    fs_json_string(j, field);
    FS_JSON_KEY(j, "reason");
    fs_json_string(j, reason);
    fs_json_end_object(j);
}

/* The fields that are a best choice the packets could not settle. */
static void
json_conn_undecided(FsJson *j, const FsConn *conn)
{
    FS_JSON_KEY(j, "undecided");
    fs_json_begin_array(j);
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        FsUndecided why = (FsUndecided)conn->ep[role].undecided;

        if (why != FS_UNDECIDED_NONE)
            json_undecided_item(j, role == FS_ROLE_CLIENT ? "state.client"
                                                          : "state.server",
                                fs_undecided_reason(why));
    }
    if (conn->rst_uncertain && conn->rst_from != FS_ROLE_NONE)
        json_undecided_item(j, "rst_from",
                            "the RST's receiver sent no ACK in the capture: "
                            "whether it accepted the RST is a guess");
    fs_json_end_array(j);
}

/* Old duplicates' risk, capture artefacts and how far to trust it all. */
static void
json_conn_trust(FsJson *j, const FsConn *conn)
{
    FS_JSON_KEY(j, "old_duplicate_risk");
    fs_json_begin_object(j);
    FS_JSON_KEY(j, "in_window");
    fs_json_uint(j, conn->old_dup.in_window);
    FS_JSON_KEY(j, "paws_rejected");
    fs_json_uint(j, conn->old_dup.paws_rejected);
    FS_JSON_KEY(j, "during_time_wait");
    fs_json_uint(j, conn->old_dup.during_time_wait);
    fs_json_end_object(j);
    FS_JSON_KEY(j, "duplicate_frames");
    fs_json_uint(j, conn->duplicate_frames);
    FS_JSON_KEY(j, "rst_ignored");
    fs_json_uint(j, conn->rst_ignored);
    FS_JSON_KEY(j, "confidence");
    fs_json_string(j, conn->capture_loss ? "low" : "high");
    json_conn_undecided(j, conn);
    FS_JSON_KEY(j, "state_age");
    fs_json_begin_object(j);
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        FsTime age = fs_conn_state_age(conn, (FsRole)role);

        fs_json_key(j, fs_role_name((FsRole)role));
        if (age == FS_TIME_UNSET)
            fs_json_null(j);
        else
            fs_json_time(j, age);
    }
    fs_json_end_object(j);
}

/* A Wireshark display filter for this incarnation's packets. */
static void
json_filter(FsJson *j, const FsConn *conn)
{
    g_autofree char *filter = fs_handoff_filter(conn);

    FS_JSON_KEY(j, "filter");
    fs_json_string(j, filter);
}

void
fs_report_json_conn(FsReport *r, const FsConn *conn,
                    const FsOutcome *outcome)
{
    g_autoptr(GPtrArray) flags = g_ptr_array_new();
    FsJson j;

    fs_json_init(&j, r->buf);
    fs_json_begin_object(&j);
    FS_JSON_KEY(&j, "type");
    fs_json_string(&j, "conn");
    FS_JSON_KEY(&j, "id");
    fs_json_uint(&j, conn->id);
    FS_JSON_KEY(&j, "client");
    json_endpoint(&j, conn, FS_ROLE_CLIENT);
    FS_JSON_KEY(&j, "server");
    json_endpoint(&j, conn, FS_ROLE_SERVER);
    json_hosts_ports(&j, conn);
    FS_JSON_KEY(&j, "vlan");
    fs_json_uint(&j, conn->vlan);
    FS_JSON_KEY(&j, "start");
    fs_json_time(&j, conn->t_first);
    FS_JSON_KEY(&j, "end");
    fs_json_time(&j, conn->t_last);
    FS_JSON_KEY(&j, "packets");
    fs_json_uint(&j, conn->packets);
    json_frame(&j, r, "first_frame", "file", conn->first_frame,
               conn->first_source);
    json_frame(&j, r, "last_frame", "last_file", conn->last_frame,
               conn->last_source);
    json_filter(&j, conn);
    json_pair_uint(&j, "bytes", conn->ep[FS_ROLE_CLIENT].bytes,
                   conn->ep[FS_ROLE_SERVER].bytes);
    FS_JSON_KEY(&j, "roles_inferred");
    fs_json_bool(&j, conn->roles_inferred);
    FS_JSON_KEY(&j, "one_sided");
    fs_json_bool(&j, fs_conn_one_sided(conn));
    json_conn_close(&j, conn, outcome);
    fs_failures_json_conn(&j, outcome);
    json_conn_states(&j, r, conn, outcome);
    FS_JSON_KEY(&j, "old_duplicates");
    fs_json_uint(&j, conn->old_duplicates);
    FS_JSON_KEY(&j, "reuse_of");
    if (conn->reuse_of == 0)
        fs_json_null(&j);
    else
        fs_json_uint(&j, conn->reuse_of);
    FS_JSON_KEY(&j, "reuse_in_time_wait");
    fs_json_bool(&j, conn->reuse_in_time_wait);
    json_conn_reuse(&j, conn);
    json_conn_trust(&j, conn);
    FS_JSON_KEY(&j, "capture_loss");
    fs_json_uint(&j, conn->capture_loss);
    FS_JSON_KEY(&j, "illegal_flags");
    fs_json_uint(&j, conn->illegal_flags);
    fs_flag_names(outcome->flags, flags);
    FS_JSON_KEY(&j, "flags");
    fs_json_begin_array(&j);
    for (guint i = 0; i < flags->len; i++)
        fs_json_string(&j, g_ptr_array_index(flags, i));
    fs_json_end_array(&j);
    fs_json_end_object(&j);
    write_line(r);
}

static void
json_summary_counts(FsJson *j, const FsTally *s)
{
    FS_JSON_KEY(j, "connections");
    fs_json_uint(j, s->connections);
    FS_JSON_KEY(j, "close");
    fs_json_begin_object(j);
    for (int k = FS_CLOSE_OPEN; k <= FS_CLOSE_INCOMPLETE; k++) {
        fs_json_key(j, fs_close_kind_name((FsCloseKind)k));
        fs_json_uint(j, s->by_close[k]);
    }
    fs_json_end_object(j);
    FS_JSON_KEY(j, "active_closer");
    fs_json_begin_object(j);
    for (int k = FS_CLOSER_CLIENT; k <= FS_CLOSER_SIMULTANEOUS; k++) {
        fs_json_key(j, fs_closer_name((FsCloser)k));
        fs_json_uint(j, s->by_closer[k]);
    }
    fs_json_end_object(j);
    json_pair_uint(j, "rst_from", s->rst_from[0], s->rst_from[1]);
    FS_JSON_KEY(j, "half_closes");
    fs_json_uint(j, s->by_flag[FS_FLAG_HALF_CLOSE]);
    FS_JSON_KEY(j, "three_way_closes");
    fs_json_uint(j, s->by_flag[FS_FLAG_THREE_WAY_CLOSE]);
    FS_JSON_KEY(j, "fin_retransmits");
    fs_json_uint(j, s->fin_retransmits);
    FS_JSON_KEY(j, "final_ack_lost");
    fs_json_uint(j, s->final_ack_lost);
    FS_JSON_KEY(j, "one_sided");
    fs_json_uint(j, s->by_flag[FS_FLAG_ONE_SIDED]);
    FS_JSON_KEY(j, "roles_inferred");
    fs_json_uint(j, s->by_flag[FS_FLAG_ROLES_INFERRED]);
}

static void
json_summary_states(FsJson *j, const FsTally *s)
{
    g_autoptr(GPtrArray) hosts = fs_tally_time_wait_hosts(s);

    FS_JSON_KEY(j, "end_states");
    fs_json_begin_object(j);
    for (int st = 0; st < FS_TCP_N_STATES; st++) {
        if (s->end_states[st] == 0)
            continue;
        fs_json_key(j, fs_tcp_state_name((FsTcpState)st));
        fs_json_uint(j, s->end_states[st]);
    }
    fs_json_end_object(j);
    FS_JSON_KEY(j, "time_wait_at_end");
    fs_json_uint(j, s->time_wait_at_end);
    FS_JSON_KEY(j, "time_wait_hosts");
    fs_json_begin_object(j);
    /* the busiest only: the line stays short whatever the hosts */
    for (guint i = 0; i < MIN(hosts->len, FS_ENGINE_HOST_TOP); i++) {
        const FsHostCount *hc = g_ptr_array_index(hosts, i);

        fs_json_key(j, hc->host);
        fs_json_uint(j, hc->count);
    }
    fs_json_end_object(j);
}

/* Only when the engine dropped something (memory budget, --max-flows,
 * handshakes given up, TIME_WAIT hosts forgotten): the evictions by
 * class and the memory they kept it within. */
static void
json_summary_evictions(FsJson *j, const FsEngineStats *stats)
{
    if (stats->evicted == 0 && stats->handshakes_expired == 0 &&
        stats->hosts_pruned == 0)
        return;
    FS_JSON_KEY(j, "evictions");
    fs_json_begin_object(j);
    for (int c = 0; c < FS_EVICT_N_CLASSES; c++) {
        fs_json_key(j, fs_evict_class_name((FsEvictClass)c));
        fs_json_uint(j, stats->evicted_by_class[c]);
    }
    FS_JSON_KEY(j, "handshakes_given_up");
    fs_json_uint(j, stats->handshakes_expired);
    FS_JSON_KEY(j, "time_wait_hosts_pruned");
    fs_json_uint(j, stats->hosts_pruned);
    FS_JSON_KEY(j, "memory_peak");
    fs_json_uint(j, stats->memory_peak);
    fs_json_end_object(j);
}

static void
json_summary_packets(FsJson *j, const FsEngineStats *stats)
{
    FS_JSON_KEY(j, "packets");
    fs_json_uint(j, stats->packets);
    FS_JSON_KEY(j, "tcp_segments");
    fs_json_uint(j, stats->tcp_segments);
    FS_JSON_KEY(j, "skipped");
    fs_json_begin_object(j);
    for (int k = FS_DECODE_OK + 1; k < FS_DECODE_N_STATUS; k++) {
        fs_json_key(j, fs_decode_status_name((FsDecodeStatus)k));
        fs_json_uint(j, stats->skipped[k]);
    }
    fs_json_end_object(j);
    FS_JSON_KEY(j, "connections_peak");
    fs_json_uint(j, stats->live_peak);
    FS_JSON_KEY(j, "evicted");
    fs_json_uint(j, stats->evicted);
    json_summary_evictions(j, stats);
}

static void
json_host_peak(const FsHostTimeWait *tw, gpointer user)
{
    FsJson *j = user;
    char host[FS_ENDPOINT_STRLEN];

    fs_addr_format(&tw->host, host, sizeof host);
    fs_json_key(j, host);
    fs_json_begin_object(j);
    FS_JSON_KEY(j, "peak");
    fs_json_uint(j, tw->peak);
    FS_JSON_KEY(j, "peak_at");
    fs_json_time(j, tw->peak_at);
    FS_JSON_KEY(j, "at_end");
    fs_json_uint(j, tw->now);
    FS_JSON_KEY(j, "entered");
    fs_json_uint(j, tw->entered);
    fs_json_end_object(j);
}

typedef struct {
    FsJson *j;
    const FsReport *r;
} DestCtx;

/* Each TIME_WAIT blocks one 4-tuple for 2*MSL, so towards one server
 * ip:port a client has ports/(2*MSL) new connections a second to spend
 * (Linux: 28232 / 60 s = 470/s) before connect() fails. */
static void
json_dest(const FsDestTimeWait *d, gpointer user)
{
    DestCtx *ctx = user;
    FsJson *j = ctx->j;
    guint ports = fs_report_ephemeral_ports(ctx->r);
    double two_msl_s = 2.0 * (double)ctx->r->cfg.msl / 1e9;
    char client[FS_ENDPOINT_STRLEN];
    char dest[FS_ENDPOINT_STRLEN];

    fs_addr_format(&d->client, client, sizeof client);
    fs_endpoint_format(&d->server, d->port, dest, sizeof dest);
    fs_json_begin_object(j);
    FS_JSON_KEY(j, "client");
    fs_json_string(j, client);
    FS_JSON_KEY(j, "destination");
    fs_json_string(j, dest);
    FS_JSON_KEY(j, "time_wait_peak");
    fs_json_uint(j, d->peak);
    FS_JSON_KEY(j, "peak_at");
    fs_json_time(j, d->peak_at);
    FS_JSON_KEY(j, "ephemeral_ports");
    fs_json_uint(j, ports);
    FS_JSON_KEY(j, "used_permille");
    fs_json_uint(j, (guint64)(d->peak * 1000u / ports));
    FS_JSON_KEY(j, "max_new_per_s");
    fs_json_uint(j, (guint64)((double)ports / two_msl_s));
    fs_json_end_object(j);
}

static void
json_summary_time_wait(FsJson *j, const FsReport *r, const FsEngine *engine)
{
    const FsEngineStats *stats = fs_engine_stats(engine);
    DestCtx ctx = { j, r };

    FS_JSON_KEY(j, "time_wait_peak");
    fs_json_uint(j, stats->time_wait_peak);
    FS_JSON_KEY(j, "time_wait_peak_at");
    if (stats->time_wait_peak == 0)
        fs_json_null(j);
    else
        fs_json_time(j, stats->time_wait_peak_at);
    FS_JSON_KEY(j, "time_wait_by_host");
    fs_json_begin_object(j);
    fs_engine_foreach_time_wait_host_top(engine, FS_ENGINE_HOST_TOP,
                                         json_host_peak, j);
    fs_json_end_object(j);
    FS_JSON_KEY(j, "port_pressure");
    fs_json_begin_array(j);
    fs_engine_foreach_time_wait_dest(engine, FS_REPORT_MAX_DESTS, json_dest,
                                     &ctx);
    fs_json_end_array(j);
}

/* Files that end inside a record: "truncated": true and which, with
 * the bytes read of each; nothing when every file was whole. */
static void
json_summary_truncated(FsJson *j, const FsReport *r)
{
    if (r->truncated == NULL)
        return;
    FS_JSON_KEY(j, "truncated");
    fs_json_bool(j, TRUE);
    FS_JSON_KEY(j, "truncated_files");
    fs_json_begin_array(j);
    for (guint i = 0; i < r->truncated->len; i++) {
        const FsTruncatedFile *t = g_ptr_array_index(r->truncated, i);

        fs_json_begin_object(j);
        FS_JSON_KEY(j, "file");
        fs_json_string(j, t->file);
        if (t->bytes_read >= 0) {
            FS_JSON_KEY(j, "bytes_read");
            fs_json_uint(j, (guint64)t->bytes_read);
        }
        fs_json_end_object(j);
    }
    fs_json_end_array(j);
}

/* Live capture only: kernel drops, filter caveat, interim counters. */
static void
json_summary_live(FsJson *j, const FsReport *r, const FsEngineStats *stats)
{
    if (r->drops_known) {
        FS_JSON_KEY(j, "kernel_drops");
        fs_json_uint(j, r->kernel_drops);
    }
    if (r->capture_note != NULL) {
        FS_JSON_KEY(j, "capture_note");
        fs_json_string(j, r->capture_note);
    }
    if (!r->interim)
        return;
    FS_JSON_KEY(j, "interim");
    fs_json_bool(j, TRUE);
    FS_JSON_KEY(j, "tracked_now");
    fs_json_begin_object(j);
    FS_JSON_KEY(j, "connections");
    fs_json_uint(j, stats->live);
    FS_JSON_KEY(j, "time_wait");
    fs_json_uint(j, stats->time_wait_now);
    fs_json_end_object(j);
}

/* {"client": {"STATE": n, ...}, "server": {...}}, states with n > 0. */
static void
json_by_role_state(FsJson *j, const char *key,
                   const guint64 counts[2][FS_TCP_N_STATES])
{
    fs_json_key(j, key);
    fs_json_begin_object(j);
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        fs_json_key(j, fs_role_name((FsRole)role));
        fs_json_begin_object(j);
        for (int st = 0; st < FS_TCP_N_STATES; st++) {
            if (counts[role][st] == 0)
                continue;
            fs_json_key(j, fs_tcp_state_name((FsTcpState)st));
            fs_json_uint(j, counts[role][st]);
        }
        fs_json_end_object(j);
    }
    fs_json_end_object(j);
}

/* One service record's object; finscope merge writes its sums with it
 * too. */
void
fs_report_json_service_object(FsJson *j, const FsService *svc)
{
    g_autofree char *meaning = fs_service_meaning(svc);

    fs_json_begin_object(j);
    FS_JSON_KEY(j, "type");
    fs_json_string(j, "service");
    FS_JSON_KEY(j, "server");
    fs_json_string(j, svc->name);
    FS_JSON_KEY(j, "connections");
    fs_json_uint(j, svc->connections);
    FS_JSON_KEY(j, "active_closer");
    fs_json_begin_object(j);
    for (int k = FS_CLOSER_CLIENT; k <= FS_CLOSER_SIMULTANEOUS; k++) {
        fs_json_key(j, fs_closer_name((FsCloser)k));
        fs_json_uint(j, svc->by_closer[k]);
    }
    fs_json_end_object(j);
    FS_JSON_KEY(j, "meaning");
    fs_json_string(j, meaning);
    json_by_role_state(j, "resets", svc->resets);
    json_by_role_state(j, "stuck", svc->stuck);
    FS_JSON_KEY(j, "stuck_oldest");
    fs_json_time(j, svc->stuck_oldest);
    FS_JSON_KEY(j, "fin_retransmits");
    fs_json_uint(j, svc->fin_retransmits);
    FS_JSON_KEY(j, "refused");
    fs_json_uint(j, svc->refused);
    FS_JSON_KEY(j, "idle_before_close_max");
    if (svc->idle_max < 0)
        fs_json_null(j);
    else
        fs_json_time(j, svc->idle_max);
    json_pair_uint(j, "time_wait_entered", svc->time_wait[0],
                   svc->time_wait[1]);
    FS_JSON_KEY(j, "time_wait_peak");
    fs_json_uint(j, fs_service_time_wait_peak(svc));
    FS_JSON_KEY(j, "time_wait_peak_partial");
    fs_json_bool(j, svc->tw_spans_full);
    fs_json_end_object(j);
}

static void
json_service(FsReport *r, const FsService *svc)
{
    FsJson j;

    fs_json_init(&j, r->buf);
    fs_report_json_service_object(&j, svc);
    write_line(r);
}

/* One "service" record each for the busiest server ip:ports (--top). */
void
fs_report_json_services(FsReport *r)
{
    g_autoptr(GPtrArray) top = fs_services_top(r->services, r->top);

    for (guint i = 0; i < top->len; i++)
        json_service(r, g_ptr_array_index(top, i));
}

void
fs_report_json_finish(FsReport *r, const FsEngine *engine)
{
    const FsEngineStats *stats = fs_engine_stats(engine);
    FsJson j;

    if (!r->interim)
        fs_report_json_services(r);
    fs_json_init(&j, r->buf);
    fs_json_begin_object(&j);
    FS_JSON_KEY(&j, "type");
    fs_json_string(&j, "summary");
    FS_JSON_KEY(&j, "schema_version");
    fs_json_uint(&j, FS_REPORT_SCHEMA_VERSION);
    FS_JSON_KEY(&j, "msl");
    fs_json_time(&j, r->cfg.msl);
    FS_JSON_KEY(&j, "rfc1337");
    fs_json_bool(&j, r->cfg.rfc1337);
    FS_JSON_KEY(&j, "start");
    fs_json_time(&j, stats->t_first);
    FS_JSON_KEY(&j, "end");
    fs_json_time(&j, stats->t_last);
    json_summary_counts(&j, &r->sum);
    fs_failures_json_summary(&j, r->failures, r->shard);
    json_summary_states(&j, &r->sum);
    json_summary_time_wait(&j, r, engine);
    json_summary_packets(&j, stats);
    json_summary_truncated(&j, r);
    json_summary_live(&j, r, stats);
    fs_json_end_object(&j);
    write_line(r);
}
