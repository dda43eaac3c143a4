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
#include "json-put.h"
#include "report-flat.h"
#include "report-private.h"

/* A time in nanoseconds, or null when unset (negative). */
static inline char *
put_ns(char *p, FsTime ns)
{
    return ns < 0 ? fs_put_null(p) : fs_put_int(p, ns);
}

/* A value known or not: true, false or null. */
static inline char *
put_known_bool(char *p, gboolean known, gboolean value)
{
    return known ? fs_put_bool(p, value) : fs_put_null(p);
}

/* Frame numbers (null: no segment), the capture file of the first
 * frame (null: a live capture), the Wireshark filter. */
static char *
put_frames(GString *out, char *p, const FsReport *r, const FsConn *conn,
           const FsHandoffHosts *hosts)
{
    FS_JSON_LIT(p, ",\"packets\":");
    p = fs_put_uint(p, conn->packets);
    FS_JSON_LIT(p, ",\"first_frame\":");
    p = conn->first_frame == 0
            ? fs_put_null(p)
            : fs_handoff_put_digits(p, hosts->frame[0], hosts->frame_len[0]);
    FS_JSON_LIT(p, ",\"last_frame\":");
    p = conn->last_frame == 0
            ? fs_put_null(p)
            : fs_handoff_put_digits(p, hosts->frame[1], hosts->frame_len[1]);
    FS_JSON_LIT(p, ",\"file\":");
    p = fs_json_put_string(out, p,
                           conn->first_source < r->n_sources
                               ? r->sources[conn->first_source]
                               : NULL);
    p = fs_json_room(out, p, FS_HANDOFF_FILTER_MAX);
    FS_JSON_LIT(p, ",\"filter\":\"");
    p = fs_handoff_put_filter_hosts(p, conn, hosts);
    *p++ = '"';
    return p;
}

static char *
put_close(const FsNames *nm, GString *out, char *p, const FsConn *conn,
          const FsOutcome *outcome)
{
    const FsEndpoint *c = &conn->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &conn->ep[FS_ROLE_SERVER];

    p = fs_report_put_close_run(nm, out, p, outcome);
    FS_JSON_LIT(p, ",\"simultaneous_close\":");
    p = fs_put_bool(p, conn->simultaneous);
    FS_JSON_LIT(p, ",\"three_way_close\":");
    p = fs_put_bool(p, conn->three_way_close);
    FS_JSON_LIT(p, ",\"half_close\":");
    p = fs_put_bool(p, outcome->half_close);
    FS_JSON_LIT(p, ",\"bytes_after_peer_fin_client\":");
    p = fs_put_uint(p, c->bytes_after_peer_fin);
    FS_JSON_LIT(p, ",\"bytes_after_peer_fin_server\":");
    p = fs_put_uint(p, s->bytes_after_peer_fin);
    FS_JSON_LIT(p, ",\"close_duration_ns\":");
    p = put_ns(p, outcome->close_duration);
    FS_JSON_LIT(p, ",\"fin_retransmits_client\":");
    p = fs_put_uint(p, outcome->fin_retransmits[FS_ROLE_CLIENT]);
    FS_JSON_LIT(p, ",\"fin_retransmits_server\":");
    p = fs_put_uint(p, outcome->fin_retransmits[FS_ROLE_SERVER]);
    FS_JSON_LIT(p, ",\"final_ack_lost\":");
    p = fs_put_bool(p, outcome->final_ack_lost > 0);
    FS_JSON_LIT(p, ",\"rst_from\":");
    p = fs_report_put_role(p, conn->rst_from);
    FS_JSON_LIT(p, ",\"rst_interrupted\":");
    if (conn->rst_from == FS_ROLE_NONE)
        p = fs_put_null(p);
    else
        PUT_NAME(out, p, nm->state, conn->rst_state,
                 fs_tcp_state_name(conn->rst_state));
    FS_JSON_LIT(p, ",\"handshake\":");
    PUT_NAME(out, p, nm->handshake, outcome->handshake,
             fs_handshake_name(outcome->handshake));
    FS_JSON_LIT(p, ",\"idle_before_close_ns\":");
    return put_ns(p, outcome->idle_before_close);
}

/* End states and TIME_WAIT: the span it was held, since to end (2*MSL
 * after it began, or earlier when cut short: a reuse, an RST), as the
 * service view counts it (report-service.c): the spans give TIME_WAIT
 * held at once by a client towards a destination; until is that end too,
 * as --json's time_wait_until (end kept for older queries). */
static char *
put_states(const FsNames *nm, GString *out, char *p, const FsReport *r,
           const FsConn *conn, const FsOutcome *outcome)
{
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        const FsEndpoint *ep = &conn->ep[role];
        FsTime since = ep->time_wait_since;
        FsTime until = FS_TIME_UNSET;
        FsTime end = FS_TIME_UNSET;

        if (since != FS_TIME_UNSET) {
            /* --json's time_wait_until: when it leaves or left */
            until = fs_endpoint_time_wait_end(ep, r->cfg.msl);
            end = until;
        }
        if (role == FS_ROLE_CLIENT)
            FS_JSON_LIT(p, ",\"state_client\":");
        else
            FS_JSON_LIT(p, ",\"state_server\":");
        PUT_NAME(out, p, nm->state, outcome->end_state[role],
                 fs_tcp_state_name(outcome->end_state[role]));
        if (role == FS_ROLE_CLIENT)
            FS_JSON_LIT(p, ",\"time_wait_until_client_ns\":");
        else
            FS_JSON_LIT(p, ",\"time_wait_until_server_ns\":");
        p = put_ns(p, until);
        if (role == FS_ROLE_CLIENT)
            FS_JSON_LIT(p, ",\"time_wait_since_client_ns\":");
        else
            FS_JSON_LIT(p, ",\"time_wait_since_server_ns\":");
        p = put_ns(p, since);
        if (role == FS_ROLE_CLIENT)
            FS_JSON_LIT(p, ",\"time_wait_end_client_ns\":");
        else
            FS_JSON_LIT(p, ",\"time_wait_end_server_ns\":");
        p = put_ns(p, end);
    }
    return p;
}

/* reuse_*: how this incarnation took its 4-tuple over; all null when no
 * previous incarnation held state. */
static char *
put_reuse(GString *out, char *p, const FsConn *conn)
{
    const FsReuse *u = &conn->reuse;
    gboolean none = u->outcome == FS_REUSE_NONE;

    FS_JSON_LIT(p, ",\"old_duplicates\":");
    p = fs_put_uint(p, conn->old_duplicates);
    FS_JSON_LIT(p, ",\"reuse_of\":");
    p = conn->reuse_of == 0 ? fs_put_null(p) : fs_put_uint(p, conn->reuse_of);
    FS_JSON_LIT(p, ",\"reuse_in_time_wait\":");
    p = fs_put_bool(p, conn->reuse_in_time_wait);
    if (none) {   /* the common case, whole */
        FS_JSON_LIT(p, ",\"reuse_holder\":null,\"reuse_holder_state\":null,"
                       "\"reuse_since_close_ns\":null,"
                       "\"reuse_isn_above_old\":null,"
                       "\"reuse_ts_newer\":null,\"reuse_safe\":null,"
                       "\"reuse_outcome\":null");
        return p;
    }
    FS_JSON_LIT(p, ",\"reuse_holder\":");
    p = fs_json_put_string(out, p, fs_role_name((FsRole)u->holder));
    FS_JSON_LIT(p, ",\"reuse_holder_state\":");
    p = fs_json_put_string(out, p,
                           fs_tcp_state_name((FsTcpState)u->holder_state));
    FS_JSON_LIT(p, ",\"reuse_since_close_ns\":");
    p = put_ns(p, u->since_close);
    FS_JSON_LIT(p, ",\"reuse_isn_above_old\":");
    p = fs_put_bool(p, u->isn_above);
    FS_JSON_LIT(p, ",\"reuse_ts_newer\":");
    p = put_known_bool(p, u->ts_known, u->ts_newer);
    FS_JSON_LIT(p, ",\"reuse_safe\":");
    p = fs_put_bool(p, u->isn_above || u->ts_newer);
    FS_JSON_LIT(p, ",\"reuse_outcome\":");
    return fs_json_put_string(out, p,
                              fs_reuse_outcome_name((FsReuseOutcome)u->outcome));
}

/* undecided and undecided_reason: two arrays, a field and why its value
 * is a guess at the same index. */
static char *
put_undecided(GString *out, char *p, const FsConn *conn)
{
    const char *field[3];
    const char *reason[3];
    guint n = 0;

    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        FsUndecided why = (FsUndecided)conn->ep[role].undecided;

        if (why == FS_UNDECIDED_NONE)
            continue;
        field[n] = fs_undecided_field(why, role);
        reason[n++] = fs_undecided_reason(why);
    }
    if (conn->rst_uncertain && conn->rst_from != FS_ROLE_NONE) {
        field[n] = "rst_from";
        reason[n++] = FS_RST_UNDECIDED_REASON;
    }
    if (n == 0) {
        FS_JSON_LIT(p, ",\"undecided\":[],\"undecided_reason\":[]");
        return p;
    }
    FS_JSON_LIT(p, ",\"undecided\":[");
    for (guint i = 0; i < n; i++) {
        if (i > 0)
            *p++ = ',';
        p = fs_json_put_string(out, p, field[i]);
    }
    FS_JSON_LIT(p, "],\"undecided_reason\":[");
    for (guint i = 0; i < n; i++) {
        if (i > 0)
            *p++ = ',';
        p = fs_json_put_string(out, p, reason[i]);
    }
    *p++ = ']';
    return p;
}

static char *
put_trust(GString *out, char *p, const FsConn *conn)
{
    FS_JSON_LIT(p, ",\"old_duplicate_risk_in_window\":");
    p = fs_put_uint(p, conn->old_dup.in_window);
    FS_JSON_LIT(p, ",\"old_duplicate_risk_paws_rejected\":");
    p = fs_put_uint(p, conn->old_dup.paws_rejected);
    FS_JSON_LIT(p, ",\"old_duplicate_risk_during_time_wait\":");
    p = fs_put_uint(p, conn->old_dup.during_time_wait);
    FS_JSON_LIT(p, ",\"duplicate_frames\":");
    p = fs_put_uint(p, conn->duplicate_frames);
    FS_JSON_LIT(p, ",\"rst_ignored\":");
    p = fs_put_uint(p, conn->rst_ignored);
    if (fs_classify_confidence_low(conn))
        FS_JSON_LIT(p, ",\"confidence\":\"low\"");
    else
        FS_JSON_LIT(p, ",\"confidence\":\"high\"");
    p = put_undecided(out, p, conn);
    FS_JSON_LIT(p, ",\"state_age_client_ns\":");
    p = put_ns(p, fs_conn_state_age(conn, FS_ROLE_CLIENT));
    FS_JSON_LIT(p, ",\"state_age_server_ns\":");
    p = put_ns(p, fs_conn_state_age(conn, FS_ROLE_SERVER));
    FS_JSON_LIT(p, ",\"capture_loss\":");
    p = fs_put_uint(p, conn->capture_loss);
    FS_JSON_LIT(p, ",\"illegal_flags\":");
    return fs_put_uint(p, conn->illegal_flags);
}

/* The row is written in one pass at p (json-put.h), as the --json conn
 * record is. */
void
fs_report_flat_conn(FsReport *r, const FsConn *conn,
                    const FsOutcome *outcome)
{
    const FsNames *nm = fs_report_names();
    GString *out = r->buf;
    char *p = fs_json_room(out, NULL, 0);
    FsHandoffHosts hosts;

    fs_handoff_hosts(&hosts, conn);
    FS_JSON_LIT(p, "{\"id\":");
    p = fs_put_uint(p, conn->id);
    p = fs_report_put_endpoints(p, conn, &hosts);
    FS_JSON_LIT(p, ",\"vlan\":");
    p = fs_put_uint(p, conn->vlan);
    FS_JSON_LIT(p, ",\"start_ns\":");
    p = put_ns(p, conn->t_first);
    FS_JSON_LIT(p, ",\"end_ns\":");
    p = put_ns(p, conn->t_last);
    p = put_frames(out, p, r, conn, &hosts);
    FS_JSON_LIT(p, ",\"bytes_client\":");
    p = fs_put_uint(p, conn->ep[FS_ROLE_CLIENT].bytes);
    FS_JSON_LIT(p, ",\"bytes_server\":");
    p = fs_put_uint(p, conn->ep[FS_ROLE_SERVER].bytes);
    FS_JSON_LIT(p, ",\"roles_inferred\":");
    p = fs_put_bool(p, conn->roles_inferred);
    FS_JSON_LIT(p, ",\"one_sided\":");
    p = fs_put_bool(p, fs_conn_one_sided(conn));
    p = put_close(nm, out, p, conn, outcome);
    p = put_states(nm, out, p, r, conn, outcome);
    p = put_reuse(out, p, conn);
    p = put_trust(out, p, conn);
    p = fs_report_put_flags(out, p, outcome->flags);
    *p++ = '}';
    fs_report_put_line_end(r, p);
}
