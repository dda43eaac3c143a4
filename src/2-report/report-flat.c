/* finscope: --json-flat — each connection record as one flat JSON object
 * (no nesting, the same keys in every line) for loaders such as
 * ClickHouse's JSONEachRow, which cannot read nested objects into
 * columns. The --json "conn" record's facts, from the same classify
 * functions; times as integer nanoseconds (no DateTime64 to hold them). */
#include "config.h"

#include <glib.h>

#include "finscope/detect.h"
#include "finscope/handoff.h"
#include "finscope/json-writer.h"
#include "report-flat.h"
#include "report-private.h"

static const char *const role_key[2] = { "client", "server" };

/* key: nanoseconds, or null when unset (negative). */
static void
flat_ns(FsJson *j, const char *key, FsTime ns)
{
    fs_json_key(j, key);
    if (ns < 0)
        fs_json_null(j);
    else
        fs_json_int(j, ns);
}

/* prefix_client and prefix_server: two unsigned counters. */
static void
flat_pair(FsJson *j, const char *prefix, guint64 client, guint64 server)
{
    g_autofree char *c = g_strconcat(prefix, "_client", NULL);
    g_autofree char *s = g_strconcat(prefix, "_server", NULL);

    fs_json_key(j, c);
    fs_json_uint(j, client);
    fs_json_key(j, s);
    fs_json_uint(j, server);
}

/* key: value, or null when not known. */
static void
flat_bool(FsJson *j, const char *key, gboolean known, gboolean value)
{
    fs_json_key(j, key);
    if (known)
        fs_json_bool(j, value);
    else
        fs_json_null(j);
}

static void
flat_role(FsJson *j, const char *key, int role)
{
    fs_json_key(j, key);
    fs_json_string(j, role == FS_ROLE_NONE ? NULL
                                           : fs_role_name((FsRole)role));
}

static void
flat_endpoints(FsJson *j, const FsConn *conn)
{
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        char buf[FS_ENDPOINT_STRLEN];

        fs_endpoint_format(&conn->addr[role], conn->port[role], buf,
                           sizeof buf);
        fs_json_key(j, role_key[role]);
        fs_json_string(j, buf);
    }
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        char host[FS_ENDPOINT_STRLEN];
        g_autofree char *hk = g_strconcat(role_key[role], "_host", NULL);
        g_autofree char *pk = g_strconcat(role_key[role], "_port", NULL);

        fs_addr_format(&conn->addr[role], host, sizeof host);
        fs_json_key(j, hk);
        fs_json_string(j, host);
        fs_json_key(j, pk);
        fs_json_uint(j, conn->port[role]);
    }
}

/* Frame numbers (null: no segment), the capture file of the first
 * frame (null: a live capture), the Wireshark filter. */
static void
flat_frames(FsJson *j, const FsReport *r, const FsConn *conn)
{
    g_autofree char *filter = fs_handoff_filter(conn);

    FS_JSON_KEY(j, "packets");
    fs_json_uint(j, conn->packets);
    FS_JSON_KEY(j, "first_frame");
    if (conn->first_frame == 0)
        fs_json_null(j);
    else
        fs_json_uint(j, conn->first_frame);
    FS_JSON_KEY(j, "last_frame");
    if (conn->last_frame == 0)
        fs_json_null(j);
    else
        fs_json_uint(j, conn->last_frame);
    FS_JSON_KEY(j, "file");
    fs_json_string(j, conn->first_source < r->n_sources
                          ? r->sources[conn->first_source]
                          : NULL);
    FS_JSON_KEY(j, "filter");
    fs_json_string(j, filter);
}

static void
flat_close(FsJson *j, const FsConn *conn, const FsOutcome *outcome)
{
    FsCloser closer = outcome->active_closer;
    const FsEndpoint *c = &conn->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &conn->ep[FS_ROLE_SERVER];

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
    flat_pair(j, "bytes_after_peer_fin", c->bytes_after_peer_fin,
              s->bytes_after_peer_fin);
    flat_ns(j, "close_duration_ns", outcome->close_duration);
    flat_pair(j, "fin_retransmits", outcome->fin_retransmits[FS_ROLE_CLIENT],
              outcome->fin_retransmits[FS_ROLE_SERVER]);
    FS_JSON_KEY(j, "final_ack_lost");
    fs_json_bool(j, outcome->final_ack_lost > 0);
    flat_role(j, "rst_from", conn->rst_from);
    FS_JSON_KEY(j, "rst_interrupted");
    fs_json_string(j, conn->rst_from == FS_ROLE_NONE
                          ? NULL
                          : fs_tcp_state_name(conn->rst_state));
    FS_JSON_KEY(j, "handshake");
    fs_json_string(j, fs_handshake_name(outcome->handshake));
    flat_ns(j, "idle_before_close_ns", outcome->idle_before_close);
}

/* End states and TIME_WAIT: until (2*MSL after it began, as --json), and
 * the span it was held, which ends early when it was cut short (reuse,
 * an RST) as the service view counts it (report-service.c): the spans
 * give TIME_WAIT held at once by a client towards a destination. */
static void
flat_states(FsJson *j, const FsReport *r, const FsConn *conn,
            const FsOutcome *outcome)
{
    static const char *const keys[2][4] = {
        { "state_client", "time_wait_until_client_ns",
          "time_wait_since_client_ns", "time_wait_end_client_ns" },
        { "state_server", "time_wait_until_server_ns",
          "time_wait_since_server_ns", "time_wait_end_server_ns" },
    };

    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        const FsEndpoint *ep = &conn->ep[role];
        FsTime since = ep->time_wait_since;
        FsTime until = FS_TIME_UNSET;
        FsTime end = FS_TIME_UNSET;

        if (since != FS_TIME_UNSET) {
            until = since + 2 * r->cfg.msl;
            end = until;
            if (ep->state != FS_TCP_TIME_WAIT &&
                ep->state_since != FS_TIME_UNSET)
                end = MIN(ep->state_since, until);
        }
        fs_json_key(j, keys[role][0]);
        fs_json_string(j, fs_tcp_state_name(outcome->end_state[role]));
        flat_ns(j, keys[role][1], until);
        flat_ns(j, keys[role][2], since);
        flat_ns(j, keys[role][3], end);
    }
}

/* reuse_*: how this incarnation took its 4-tuple over; all null when no
 * previous incarnation held state. */
static void
flat_reuse(FsJson *j, const FsConn *conn)
{
    const FsReuse *u = &conn->reuse;
    gboolean none = u->outcome == FS_REUSE_NONE;

    FS_JSON_KEY(j, "old_duplicates");
    fs_json_uint(j, conn->old_duplicates);
    FS_JSON_KEY(j, "reuse_of");
    if (conn->reuse_of == 0)
        fs_json_null(j);
    else
        fs_json_uint(j, conn->reuse_of);
    FS_JSON_KEY(j, "reuse_in_time_wait");
    fs_json_bool(j, conn->reuse_in_time_wait);
    FS_JSON_KEY(j, "reuse_holder");
    fs_json_string(j, none ? NULL : fs_role_name((FsRole)u->holder));
    FS_JSON_KEY(j, "reuse_holder_state");
    fs_json_string(j, none ? NULL
                           : fs_tcp_state_name((FsTcpState)u->holder_state));
    flat_ns(j, "reuse_since_close_ns", none ? FS_TIME_UNSET : u->since_close);
    flat_bool(j, "reuse_isn_above_old", !none, u->isn_above);
    flat_bool(j, "reuse_ts_newer", !none && u->ts_known, u->ts_newer);
    flat_bool(j, "reuse_safe", !none, u->isn_above || u->ts_newer);
    FS_JSON_KEY(j, "reuse_outcome");
    fs_json_string(j, none ? NULL
                           : fs_reuse_outcome_name(
                                 (FsReuseOutcome)u->outcome));
}

/* undecided and undecided_reason: two arrays, a field and why its value
 * is a guess at the same index. */
static void
flat_undecided(FsJson *j, const FsConn *conn)
{
    const char *field[3];
    const char *reason[3];
    guint n = 0;

    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        FsUndecided why = (FsUndecided)conn->ep[role].undecided;

        if (why == FS_UNDECIDED_NONE)
            continue;
        field[n] = role == FS_ROLE_CLIENT ? "state.client" : "state.server";
        reason[n++] = fs_undecided_reason(why);
    }
    if (conn->rst_uncertain && conn->rst_from != FS_ROLE_NONE) {
        field[n] = "rst_from";
        reason[n++] = "the RST's receiver sent no ACK in the capture: "
                      "whether it accepted the RST is a guess";
    }
    FS_JSON_KEY(j, "undecided");
    fs_json_begin_array(j);
    for (guint i = 0; i < n; i++)
        fs_json_string(j, field[i]);
    fs_json_end_array(j);
    FS_JSON_KEY(j, "undecided_reason");
    fs_json_begin_array(j);
    for (guint i = 0; i < n; i++)
        fs_json_string(j, reason[i]);
    fs_json_end_array(j);
}

static void
flat_trust(FsJson *j, const FsConn *conn)
{
    FS_JSON_KEY(j, "old_duplicate_risk_in_window");
    fs_json_uint(j, conn->old_dup.in_window);
    FS_JSON_KEY(j, "old_duplicate_risk_paws_rejected");
    fs_json_uint(j, conn->old_dup.paws_rejected);
    FS_JSON_KEY(j, "old_duplicate_risk_during_time_wait");
    fs_json_uint(j, conn->old_dup.during_time_wait);
    FS_JSON_KEY(j, "duplicate_frames");
    fs_json_uint(j, conn->duplicate_frames);
    FS_JSON_KEY(j, "rst_ignored");
    fs_json_uint(j, conn->rst_ignored);
    FS_JSON_KEY(j, "confidence");
    fs_json_string(j, conn->capture_loss ? "low" : "high");
    flat_undecided(j, conn);
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        g_autofree char *key =
            g_strconcat("state_age_", role_key[role], "_ns", NULL);

        flat_ns(j, key, fs_conn_state_age(conn, (FsRole)role));
    }
    FS_JSON_KEY(j, "capture_loss");
    fs_json_uint(j, conn->capture_loss);
    FS_JSON_KEY(j, "illegal_flags");
    fs_json_uint(j, conn->illegal_flags);
}

static void
flat_flags(FsJson *j, const FsOutcome *outcome)
{
    g_autoptr(GPtrArray) flags = g_ptr_array_new();

    fs_flag_names(outcome->flags, flags);
    FS_JSON_KEY(j, "flags");
    fs_json_begin_array(j);
    for (guint i = 0; i < flags->len; i++)
        fs_json_string(j, g_ptr_array_index(flags, i));
    fs_json_end_array(j);
}

void
fs_report_flat_conn(FsReport *r, const FsConn *conn,
                    const FsOutcome *outcome)
{
    FsJson j;

    fs_json_init(&j, r->buf);
    fs_json_begin_object(&j);
    FS_JSON_KEY(&j, "id");
    fs_json_uint(&j, conn->id);
    flat_endpoints(&j, conn);
    FS_JSON_KEY(&j, "vlan");
    fs_json_uint(&j, conn->vlan);
    flat_ns(&j, "start_ns", conn->t_first);
    flat_ns(&j, "end_ns", conn->t_last);
    flat_frames(&j, r, conn);
    flat_pair(&j, "bytes", conn->ep[FS_ROLE_CLIENT].bytes,
              conn->ep[FS_ROLE_SERVER].bytes);
    FS_JSON_KEY(&j, "roles_inferred");
    fs_json_bool(&j, conn->roles_inferred);
    FS_JSON_KEY(&j, "one_sided");
    fs_json_bool(&j, fs_conn_one_sided(conn));
    flat_close(&j, conn, outcome);
    flat_states(&j, r, conn, outcome);
    flat_reuse(&j, conn);
    flat_trust(&j, conn);
    flat_flags(&j, outcome);
    fs_json_end_object(&j);
    g_string_append_c(r->buf, '\n');
    fwrite(r->buf->str, 1, r->buf->len, r->out);
    g_string_truncate(r->buf, 0);
}
