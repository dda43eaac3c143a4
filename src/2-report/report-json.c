/* finscope: NDJSON output — "event", "conn" and "summary" objects. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/decode.h"
#include "finscope/detect.h"
#include "finscope/handoff.h"
#include "finscope/json-writer.h"
#include "json-put.h"
#include "report-private.h"

static void
write_line(FsReport *r)
{
    g_string_append_c(r->buf, '\n');
    fwrite(r->buf->str, 1, r->buf->len, r->out);
    g_string_truncate(r->buf, 0);
}

void
fs_report_put_pending(FsReport *r)
{
    if (r->buf->len == 0)
        return;
    fwrite(r->buf->str, 1, r->buf->len, r->out);
    g_string_truncate(r->buf, 0);
}

/* Ends the record at p with its newline and writes it out, or, batched,
 * what buf holds once it is a batch (write_line() writes the rest
 * before the summary). */
void
fs_report_put_line_end(FsReport *r, char *p)
{
    *p++ = '\n';
    fs_json_done(r->buf, p);
    if (r->batched && r->buf->len < FS_REPORT_BATCH_BYTES)
        return;
    fs_report_put_pending(r);
}

static FsNames names;

static void
name_set(FsName *n, const char *s)
{
    g_autoptr(GString) out = g_string_new(NULL);
    FsJson j;

    fs_json_init(&j, out);
    fs_json_string(&j, s);
    if (out->len < sizeof n->text) {
        memcpy(n->text, out->str, out->len);
        n->len = (guint8)out->len;
    }
}

/* Appends member (a literal: ,"name":) and value's JSON string (null
 * for NULL) to run, as the slow way of PUT_NAME() writes it. */
static void
run_add(GString *run, const char *member, const char *value)
{
    char *p = fs_json_room(run, NULL, 0);

    p = fs_put_bytes(p, member, strlen(member));
    p = fs_json_put_string(run, p, value);
    fs_json_done(run, p);
}

/* run's text into to, whose copies are of copy bytes: the names are
 * fixed strings, so a run longer than that is a bug of the tables. */
static void
run_set(FsNameRun *to, const GString *run, gsize copy)
{
    g_assert(run->len <= copy && copy <= sizeof to->text);
    memcpy(to->text, run->str, run->len);
    to->len = (guint8)run->len;
}

/* The runs of FsNames, for every pair of values, from the same name
 * functions and writer as the members put one by one. */
static void
runs_set(void)
{
    g_autoptr(GString) run = g_string_new(NULL);

    for (int k = 0; k <= FS_CLOSE_INCOMPLETE; k++) {
        for (int c = FS_CLOSER_NONE; c <= FS_CLOSER_SIMULTANEOUS; c++) {
            g_string_truncate(run, 0);
            run_add(run, ",\"close\":", fs_close_kind_name((FsCloseKind)k));
            run_add(run, ",\"active_closer\":", fs_closer_name((FsCloser)c));
            run_add(run, ",\"passive_closer\":",
                    fs_passive_closer_name((FsCloser)c));
            run_set(&names.close_run[k][c - FS_CLOSER_NONE], run,
                    FS_RUN_COPY_CLOSE);
        }
    }
    for (int a = 0; a < FS_TCP_N_STATES; a++) {
        for (int b = 0; b < FS_TCP_N_STATES; b++) {
            g_string_truncate(run, 0);
            run_add(run, ",\"state\":{\"client\":",
                    fs_tcp_state_name((FsTcpState)a));
            run_add(run, ",\"server\":", fs_tcp_state_name((FsTcpState)b));
            g_string_append_c(run, '}');
            run_set(&names.states_run[a][b], run, FS_RUN_COPY_STATES);
        }
    }
}

const FsNames *
fs_report_names(void)
{
    static gsize done;

    if (!g_once_init_enter(&done))
        return &names;
    for (int i = 0; i < FS_TCP_N_STATES; i++)
        name_set(&names.state[i], fs_tcp_state_name((FsTcpState)i));
    for (int i = 0; i < FS_EV_N_KINDS; i++)
        name_set(&names.kind[i], fs_event_kind_name((FsEventKind)i));
    for (int i = 0; i < FS_CAUSE_N; i++)
        name_set(&names.cause[i], fs_cause_name((FsCause)i));
    for (int i = 0; i <= FS_CLOSE_INCOMPLETE; i++)
        name_set(&names.close[i], fs_close_kind_name((FsCloseKind)i));
    for (int i = 0; i <= FS_CLOSER_SIMULTANEOUS; i++) {
        name_set(&names.closer[i], fs_closer_name((FsCloser)i));
        name_set(&names.passive[i], fs_passive_closer_name((FsCloser)i));
    }
    for (int i = 0; i < FS_HANDSHAKE_N; i++)
        name_set(&names.handshake[i], fs_handshake_name((FsHandshake)i));
    for (int i = 0; i < 2; i++)
        name_set(&names.role[i], fs_role_name((FsRole)i));
    for (int i = 0; i < FS_FLAG_N; i++)
        name_set(&names.flag[i], fs_flag_name((FsFlag)i));
    runs_set();
    g_once_init_leave(&done, 1);
    return &names;
}


/* {"client": a, "server": b} of two unsigned counters, after its name. */
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

/* The same written at p: the member's name and colon are the caller's. */
static inline char *
put_pair_uint(char *p, guint64 client, guint64 server)
{
    if (client == 0 && server == 0) {   /* the common value, whole */
        FS_JSON_LIT(p, "{\"client\":0,\"server\":0}");
        return p;
    }
    FS_JSON_LIT(p, "{\"client\":");
    p = fs_put_uint_inline(p, client);
    FS_JSON_LIT(p, ",\"server\":");
    p = fs_put_uint_inline(p, server);
    *p++ = '}';
    return p;
}

/* A time, or null when it is below zero (FS_TIME_UNSET, or -1 for "not
 * known" of the classify functions). */
static inline char *
put_time_or_null(char *p, FsTime t)
{
    return t < 0 ? fs_put_null(p) : fs_put_time(p, t);
}

/* With several capture files, file_member (",\"file\":") and the
 * name of the file source, after a frame number. */
#define PUT_FRAME_FILE(r, p, file_member, source)                          \
    do {                                                                   \
        const char *file_ = fs_report_source_name((r), (source));          \
                                                                           \
        if (file_ != NULL) {                                               \
            FS_JSON_LIT((p), file_member);                                 \
            (p) = fs_json_put_string((r)->buf, (p), file_);                \
        }                                                                  \
    } while (0)

/* A frame number's value (null when no segment acted) and its file. */
#define PUT_FRAME(r, p, file_member, frame, source)                        \
    do {                                                                   \
        guint32 frame_ = (frame);                                          \
                                                                           \
        if (frame_ == 0) {                                                 \
            (p) = fs_put_null(p);                                          \
            break;                                                         \
        }                                                                  \
        (p) = fs_put_uint_inline((p), frame_);                             \
        PUT_FRAME_FILE((r), (p), file_member, (source));                   \
    } while (0)

/* The same of a connection's first (i 0) or last (1) frame, its digits
 * put in hosts. */
#define PUT_CONN_FRAME(r, p, file_member, hosts, i, number, source)        \
    do {                                                                   \
        if ((number) == 0) {                                                \
            (p) = fs_put_null(p);                                          \
            break;                                                         \
        }                                                                  \
        (p) = fs_handoff_put_digits((p), (hosts)->frame[i],                \
                                    (hosts)->frame_len[i]);                \
        PUT_FRAME_FILE((r), (p), file_member, (source));                   \
    } while (0)

/* The quoted forms of event details kept, by their address: 2^bits of
 * them, of up to DETAIL_TEXT bytes. */
#define DETAIL_MEMO_BITS 6
#define DETAIL_TEXT 96

/* An event's detail, quoted, or null. Details are static text (event.h)
 * of a few dozen kinds, so the JSON of each, once written, is kept by
 * its address (a table a thread, like fs_put_seconds()'s) and put again
 * as one fixed-size copy, with no strlen() and no scan for bytes to
 * escape. A longer one is written the usual way each time; two that
 * share a slot take it in turn. */
static inline char *
put_detail(GString *out, char *p, const char *detail)
{
    static _Thread_local struct {
        const char *detail;     /* NULL: none yet */
        char text[DETAIL_TEXT]; /* its JSON string, no NUL */
        gsize len;
    } memo[1u << DETAIL_MEMO_BITS];
    __typeof__(memo[0]) *m;
    gsize at;
    gsize n;

    if (detail == NULL)
        return fs_put_null(p);
    m = &memo[((guint64)(guintptr)detail *
               G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)) >>
              (64 - DETAIL_MEMO_BITS)];
    if (G_LIKELY(m->detail == detail)) {
        memcpy(p, m->text, sizeof m->text); /* within the slack */
        return p + m->len;
    }
    at = (gsize)(p - out->str);
    p = fs_json_put_string(out, p, detail); /* may move out->str */
    n = (gsize)(p - (out->str + at));
    if (n <= sizeof m->text) {
        memcpy(m->text, out->str + at, n);
        m->len = n;
        m->detail = detail;
    }
    return p;
}

void
fs_report_json_event(FsReport *r, const FsEvent *ev, const FsConn *conn)
{
    GString *out = r->buf;
    char *p = fs_json_room(out, NULL, 0);

    (void)conn;
    (void)fs_report_names();   /* filled before the first line */

    FS_JSON_LIT(p, "{\"type\":\"event\",\"time\":");
    p = fs_put_time(p, ev->ts);
    FS_JSON_LIT(p, ",\"conn\":");
    p = fs_put_uint_inline(p, ev->conn_id);
    FS_JSON_LIT(p, ",\"frame\":");
    PUT_FRAME(r, p, ",\"file\":", ev->frame, ev->source);
    FS_JSON_LIT(p, ",\"kind\":");
    PUT_NAME(out, p, names.kind, ev->kind, fs_event_kind_name(ev->kind));
    FS_JSON_LIT(p, ",\"endpoint\":");
    p = fs_report_put_role(p, ev->role);
    if (ev->kind == FS_EV_STATE) {
        FS_JSON_LIT(p, ",\"from\":");
        PUT_NAME(out, p, names.state, ev->transition.from,
                 fs_tcp_state_name(ev->transition.from));
        FS_JSON_LIT(p, ",\"to\":");
        PUT_NAME(out, p, names.state, ev->transition.to,
                 fs_tcp_state_name(ev->transition.to));
        FS_JSON_LIT(p, ",\"cause\":");
        PUT_NAME(out, p, names.cause, ev->transition.cause,
                 fs_cause_name(ev->transition.cause));
    } else {
        FS_JSON_LIT(p, ",\"seq\":");
        p = fs_put_u32(p, ev->seq);
    }
    if (ev->kind == FS_EV_FIN_RETRANSMIT) {
        FS_JSON_LIT(p, ",\"interval\":");   /* since the previous FIN: RTO */
        p = fs_put_time(p, ev->value);
    }
    FS_JSON_LIT(p, ",\"detail\":");
    p = put_detail(out, p, ev->detail);
    *p++ = '}';
    fs_report_put_line_end(r, p);
}

/* The endpoint "ip:port" ("[ip]:port" for IPv6) quoted, as
 * fs_endpoint_format writes it, from its address and port already
 * formatted in hosts. */
static inline char *
put_endpoint(char *p, const FsAddr *addr, const FsHandoffHosts *hosts,
             int role)
{
    gboolean v6 = addr->family == 6;

    *p++ = '"';
    if (v6)
        *p++ = '[';
    p = fs_handoff_put_host(p, hosts, role);
    if (v6)
        *p++ = ']';
    *p++ = ':';
    p = fs_handoff_put_digits(p, hosts->port[role], hosts->port_len[role]);
    *p++ = '"';
    return p;
}

/* ,"close":..,"active_closer":..,"passive_closer":.. of outcome, each
 * name the usual way (values outside the runs' tables). */
char *
fs_report_put_close_names(GString *out, char *p, const FsOutcome *outcome)
{
    FsCloser closer = outcome->active_closer;

    FS_JSON_LIT(p, ",\"close\":");
    PUT_NAME(out, p, names.close, outcome->close,
             fs_close_kind_name(outcome->close));
    FS_JSON_LIT(p, ",\"active_closer\":");
    PUT_NAME(out, p, names.closer, closer, fs_closer_name(closer));
    FS_JSON_LIT(p, ",\"passive_closer\":");
    PUT_NAME(out, p, names.passive, closer,
             fs_passive_closer_name(closer));
    return p;
}

/* "client", "server" and their hosts and ports, from the addresses
 * and ports put once in hosts. */
char *
fs_report_put_endpoints(char *p, const FsConn *conn,
                        const FsHandoffHosts *hosts)
{
    const int c = FS_ROLE_CLIENT;
    const int s = FS_ROLE_SERVER;

    FS_JSON_LIT(p, ",\"client\":");
    p = put_endpoint(p, &conn->addr[c], hosts, c);
    FS_JSON_LIT(p, ",\"server\":");
    p = put_endpoint(p, &conn->addr[s], hosts, s);
    /* the "client" and "server" strings split, for jq and SQL */
    FS_JSON_LIT(p, ",\"client_host\":\"");
    p = fs_handoff_put_host(p, hosts, c);
    FS_JSON_LIT(p, "\",\"client_port\":");
    p = fs_handoff_put_digits(p, hosts->port[c], hosts->port_len[c]);
    FS_JSON_LIT(p, ",\"server_host\":\"");
    p = fs_handoff_put_host(p, hosts, s);
    FS_JSON_LIT(p, "\",\"server_port\":");
    return fs_handoff_put_digits(p, hosts->port[s], hosts->port_len[s]);
}

static char *
put_conn_close(GString *out, char *p, const FsConn *conn,
               const FsOutcome *outcome)
{
    p = fs_report_put_close_run(&names, out, p, outcome);
    if (!conn->simultaneous && !conn->three_way_close &&
        !outcome->half_close &&
        (conn->ep[FS_ROLE_CLIENT].bytes_after_peer_fin |
         conn->ep[FS_ROLE_SERVER].bytes_after_peer_fin) == 0) {
        /* the usual close, its members in one run */
        FS_JSON_LIT(p, ",\"simultaneous_close\":false"
                       ",\"three_way_close\":false,\"half_close\":false"
                       ",\"bytes_after_peer_fin\":{\"client\":0,"
                       "\"server\":0},\"close_duration\":");
    } else {
        FS_JSON_LIT(p, ",\"simultaneous_close\":");
        p = fs_put_bool(p, conn->simultaneous);
        FS_JSON_LIT(p, ",\"three_way_close\":");
        p = fs_put_bool(p, conn->three_way_close);
        FS_JSON_LIT(p, ",\"half_close\":");
        p = fs_put_bool(p, outcome->half_close);
        FS_JSON_LIT(p, ",\"bytes_after_peer_fin\":");
        p = put_pair_uint(p, conn->ep[FS_ROLE_CLIENT].bytes_after_peer_fin,
                          conn->ep[FS_ROLE_SERVER].bytes_after_peer_fin);
        FS_JSON_LIT(p, ",\"close_duration\":");
    }
    p = put_time_or_null(p, outcome->close_duration);
    if ((outcome->fin_retransmits[FS_ROLE_CLIENT] |
         outcome->fin_retransmits[FS_ROLE_SERVER]) == 0 &&
        conn->final_ack_lost == 0) {
        FS_JSON_LIT(p, ",\"fin_retransmits\":{\"client\":0,\"server\":0}"
                       ",\"final_ack_lost\":false");
    } else {
        FS_JSON_LIT(p, ",\"fin_retransmits\":");
        p = put_pair_uint(p, outcome->fin_retransmits[FS_ROLE_CLIENT],
                          outcome->fin_retransmits[FS_ROLE_SERVER]);
        FS_JSON_LIT(p, ",\"final_ack_lost\":");
        p = fs_put_bool(p, conn->final_ack_lost > 0);
    }
    if (conn->rst_from == FS_ROLE_NONE) {
        /* no RST (most records): one run */
        FS_JSON_LIT(p, ",\"rst_from\":null,\"rst_interrupted\":null");
    } else {
        FS_JSON_LIT(p, ",\"rst_from\":");
        p = fs_report_put_role(p, conn->rst_from);
        FS_JSON_LIT(p, ",\"rst_interrupted\":");
        PUT_NAME(out, p, names.state, conn->rst_state,
                 fs_tcp_state_name(conn->rst_state));
    }
    /* the failure class (report-failure.c counts them) */
    FS_JSON_LIT(p, ",\"handshake\":");
    PUT_NAME(out, p, names.handshake, outcome->handshake,
             fs_handshake_name(outcome->handshake));
    FS_JSON_LIT(p, ",\"idle_before_close\":");
    return put_time_or_null(p, outcome->idle_before_close);
}

static char *
put_conn_states(GString *out, char *p, FsReport *r, const FsConn *conn,
                const FsOutcome *outcome)
{
    guint client = (guint)outcome->end_state[FS_ROLE_CLIENT];
    guint server = (guint)outcome->end_state[FS_ROLE_SERVER];

    if (G_LIKELY(client < FS_TCP_N_STATES && server < FS_TCP_N_STATES)) {
        PUT_RUN(p, names.states_run[client][server], FS_RUN_COPY_STATES);
    } else {
        FS_JSON_LIT(p, ",\"state\":{\"client\":");
        PUT_NAME(out, p, names.state, outcome->end_state[0],
                 fs_tcp_state_name(outcome->end_state[0]));
        FS_JSON_LIT(p, ",\"server\":");
        PUT_NAME(out, p, names.state, outcome->end_state[1],
                 fs_tcp_state_name(outcome->end_state[1]));
        *p++ = '}';
    }
    FS_JSON_LIT(p, ",\"time_wait_until\":{\"client\":");
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        const FsEndpoint *ep = &conn->ep[role];
        FsTime since = ep->time_wait_since;

        if (role == FS_ROLE_SERVER)
            FS_JSON_LIT(p, ",\"server\":");
        if (since == FS_TIME_UNSET)
            p = fs_put_null(p);
        else
            p = fs_put_time(p, fs_endpoint_time_wait_end(ep, r->cfg.msl));
    }
    *p++ = '}';
    return p;
}

/* How this incarnation took its 4-tuple over from a previous one. */
static char *
put_conn_reuse(GString *out, char *p, const FsConn *conn)
{
    const FsReuse *u = &conn->reuse;

    if (u->outcome == FS_REUSE_NONE) {
        FS_JSON_LIT(p, ",\"reuse\":null");
        return p;
    }
    FS_JSON_LIT(p, ",\"reuse\":{\"holder\":");
    p = fs_json_put_string(out, p, fs_role_name((FsRole)u->holder));
    FS_JSON_LIT(p, ",\"holder_state\":");
    p = fs_json_put_string(out, p,
                           fs_tcp_state_name((FsTcpState)u->holder_state));
    FS_JSON_LIT(p, ",\"since_close\":");
    p = fs_put_time(p, u->since_close);
    FS_JSON_LIT(p, ",\"isn_above_old\":");
    p = fs_put_bool(p, u->isn_above);
    FS_JSON_LIT(p, ",\"ts_newer\":");
    p = u->ts_known ? fs_put_bool(p, u->ts_newer) : fs_put_null(p);
    FS_JSON_LIT(p, ",\"safe\":");
    p = fs_put_bool(p, u->isn_above || u->ts_newer);
    FS_JSON_LIT(p, ",\"outcome\":");
    p = fs_json_put_string(out, p,
                           fs_reuse_outcome_name((FsReuseOutcome)u->outcome));
    *p++ = '}';
    return p;
}

/* The fields that are a best choice the packets could not settle. */
static char *
put_conn_undecided(GString *out, char *p, const FsConn *conn)
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
    FS_JSON_LIT(p, ",\"undecided\":[");
    for (guint i = 0; i < n; i++) {
        if (i > 0)
            *p++ = ',';
        FS_JSON_LIT(p, "{\"field\":");
        p = fs_json_put_string(out, p, field[i]);
        FS_JSON_LIT(p, ",\"reason\":");
        p = fs_json_put_string(out, p, reason[i]);
        *p++ = '}';
    }
    *p++ = ']';
    return p;
}

/* Old duplicates' risk, capture artefacts and how far to trust it all:
 * up to the confidence. */
static char *
put_conn_trust(char *p, const FsConn *conn)
{
    const FsOldDup *risk = &conn->old_dup;

    if (risk->in_window == 0 && risk->paws_rejected == 0 &&
        risk->during_time_wait == 0) {
        FS_JSON_LIT(p, ",\"old_duplicate_risk\":{\"in_window\":0,"
                       "\"paws_rejected\":0,\"during_time_wait\":0}");
    } else {
        FS_JSON_LIT(p, ",\"old_duplicate_risk\":{\"in_window\":");
        p = fs_put_uint(p, risk->in_window);
        FS_JSON_LIT(p, ",\"paws_rejected\":");
        p = fs_put_uint(p, risk->paws_rejected);
        FS_JSON_LIT(p, ",\"during_time_wait\":");
        p = fs_put_uint(p, risk->during_time_wait);
        *p++ = '}';
    }
    FS_JSON_LIT(p, ",\"duplicate_frames\":");
    p = fs_put_uint(p, conn->duplicate_frames);
    FS_JSON_LIT(p, ",\"rst_ignored\":");
    p = fs_put_uint(p, conn->rst_ignored);
    if (fs_classify_confidence_low(conn))
        FS_JSON_LIT(p, ",\"confidence\":\"low\"");
    else
        FS_JSON_LIT(p, ",\"confidence\":\"high\"");
    return p;
}

/* Each endpoint's time in its last state. */
static char *
put_conn_state_age(char *p, const FsConn *conn)
{
    FS_JSON_LIT(p, ",\"state_age\":{\"client\":");
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        FsTime age = fs_conn_state_age(conn, (FsRole)role);

        if (role == FS_ROLE_SERVER)
            FS_JSON_LIT(p, ",\"server\":");
        if (age == FS_TIME_UNSET)
            p = fs_put_null(p);
        else
            p = fs_put_time(p, age);
    }
    *p++ = '}';
    return p;
}

/* TRUE when the members from old_duplicates to confidence all hold
 * their usual values (0, null, false, "high"): then they are one
 * literal. */
static inline gboolean
conn_untroubled(const FsConn *conn)
{
    const FsOldDup *risk = &conn->old_dup;

    return (conn->old_duplicates | conn->reuse_of | conn->duplicate_frames |
            conn->rst_ignored | conn->capture_loss | risk->in_window |
            risk->paws_rejected | risk->during_time_wait) == 0 &&
           !fs_classify_confidence_low(conn) &&
           !conn->reuse_in_time_wait && conn->reuse.outcome == FS_REUSE_NONE;
}

/* The names of the FS_FLAG_BIT()s in flags, in FsFlag order. */
char *
fs_report_put_flags(GString *out, char *p, guint32 flags)
{
    gboolean first = TRUE;

    FS_JSON_LIT(p, ",\"flags\":[");
    for (int f = 0; flags != 0 && f < FS_FLAG_N; f++) {
        if (!(flags & FS_FLAG_BIT(f)))
            continue;
        flags &= ~FS_FLAG_BIT(f);
        if (!first)
            *p++ = ',';
        first = FALSE;
        PUT_NAME(out, p, names.flag, f, fs_flag_name((FsFlag)f));
    }
    *p++ = ']';
    return p;
}

/* The record is written in one pass at p (json-put.h): its shape is
 * fixed, so names and punctuation are literals. */
void
fs_report_json_conn(FsReport *r, const FsConn *conn,
                    const FsOutcome *outcome)
{
    GString *out = r->buf;
    char *p = fs_json_room(out, NULL, 0);
    FsHandoffHosts hosts;

    (void)fs_report_names();   /* filled before the first line */

    fs_handoff_hosts(&hosts, conn);
    FS_JSON_LIT(p, "{\"type\":\"conn\",\"id\":");
    p = fs_put_uint_inline(p, conn->id);
    p = fs_report_put_endpoints(p, conn, &hosts);
    if (conn->vlan == 0) {
        /* untagged (most records): one run */
        FS_JSON_LIT(p, ",\"vlan\":0,\"start\":");
    } else {
        FS_JSON_LIT(p, ",\"vlan\":");
        p = fs_put_uint(p, conn->vlan);
        FS_JSON_LIT(p, ",\"start\":");
    }
    p = fs_put_time(p, conn->t_first);
    FS_JSON_LIT(p, ",\"end\":");
    p = fs_put_time(p, conn->t_last);
    FS_JSON_LIT(p, ",\"packets\":");
    p = fs_put_uint_inline(p, conn->packets);
    FS_JSON_LIT(p, ",\"first_frame\":");
    PUT_CONN_FRAME(r, p, ",\"file\":", &hosts, 0, conn->first_frame,
                   conn->first_source);
    FS_JSON_LIT(p, ",\"last_frame\":");
    PUT_CONN_FRAME(r, p, ",\"last_file\":", &hosts, 1, conn->last_frame,
                   conn->last_source);
    /* a Wireshark display filter for this incarnation's packets */
    p = fs_json_room(out, p, FS_HANDOFF_FILTER_MAX);
    FS_JSON_LIT(p, ",\"filter\":\"");
    p = fs_handoff_put_filter_hosts(p, conn, &hosts);
    FS_JSON_LIT(p, "\",\"bytes\":");
    p = put_pair_uint(p, conn->ep[FS_ROLE_CLIENT].bytes,
                      conn->ep[FS_ROLE_SERVER].bytes);
    if (!conn->roles_inferred && !fs_conn_one_sided(conn)) {
        /* handshake and both sides seen (most records): one run */
        FS_JSON_LIT(p, ",\"roles_inferred\":false,\"one_sided\":false");
    } else {
        FS_JSON_LIT(p, ",\"roles_inferred\":");
        p = fs_put_bool(p, conn->roles_inferred);
        FS_JSON_LIT(p, ",\"one_sided\":");
        p = fs_put_bool(p, fs_conn_one_sided(conn));
    }
    p = put_conn_close(out, p, conn, outcome);
    p = put_conn_states(out, p, r, conn, outcome);
    if (conn_untroubled(conn)) {
        /* the usual record: no reuse, no duplicates, nothing lost */
        FS_JSON_LIT(p, ",\"old_duplicates\":0,\"reuse_of\":null"
                       ",\"reuse_in_time_wait\":false,\"reuse\":null"
                       ",\"old_duplicate_risk\":{\"in_window\":0,"
                       "\"paws_rejected\":0,\"during_time_wait\":0}"
                       ",\"duplicate_frames\":0,\"rst_ignored\":0"
                       ",\"confidence\":\"high\"");
    } else {
        FS_JSON_LIT(p, ",\"old_duplicates\":");
        p = fs_put_uint(p, conn->old_duplicates);
        FS_JSON_LIT(p, ",\"reuse_of\":");
        p = conn->reuse_of == 0 ? fs_put_null(p)
                                : fs_put_uint(p, conn->reuse_of);
        FS_JSON_LIT(p, ",\"reuse_in_time_wait\":");
        p = fs_put_bool(p, conn->reuse_in_time_wait);
        p = put_conn_reuse(out, p, conn);
        p = put_conn_trust(p, conn);
    }
    if ((conn->ep[FS_ROLE_CLIENT].undecided |
         conn->ep[FS_ROLE_SERVER].undecided) == FS_UNDECIDED_NONE &&
        !conn->rst_uncertain) {
        /* every field settled by the packets (most records) */
        FS_JSON_LIT(p, ",\"undecided\":[]");
    } else {
        p = put_conn_undecided(out, p, conn);
    }
    p = put_conn_state_age(p, conn);
    if ((conn->capture_loss | conn->illegal_flags | outcome->flags) == 0) {
        FS_JSON_LIT(p, ",\"capture_loss\":0,\"illegal_flags\":0"
                       ",\"flags\":[]}");
    } else {
        FS_JSON_LIT(p, ",\"capture_loss\":");
        p = fs_put_uint(p, conn->capture_loss);
        FS_JSON_LIT(p, ",\"illegal_flags\":");
        p = fs_put_uint(p, conn->illegal_flags);
        p = fs_report_put_flags(out, p, outcome->flags);
        *p++ = '}';
    }
    fs_report_put_line_end(r, p);
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
    if (stats->options_cut != 0) { /* a snap length below the headers */
        FS_JSON_KEY(j, "options_cut");
        fs_json_uint(j, stats->options_cut);
    }
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

/* Files not read to their end: "truncated": true and which, with where
 * each stopped and, when a read error stopped it rather than its end
 * inside a record, the error; nothing when every file was whole. */
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
        FS_JSON_KEY(j, "records_read");
        fs_json_uint(j, t->records_read);
        if (t->error != NULL) {
            FS_JSON_KEY(j, "error");
            fs_json_string(j, t->error);
        }
        fs_json_end_object(j);
    }
    fs_json_end_array(j);
}

/* Frames out of time order: "back_in_time" {frames, most (seconds)};
 * nothing when every frame came in time order. */
static void
json_summary_back_in_time(FsJson *j, const FsEngineStats *stats)
{
    if (stats->back_in_time == 0)
        return;
    FS_JSON_KEY(j, "back_in_time");
    fs_json_begin_object(j);
    FS_JSON_KEY(j, "frames");
    fs_json_uint(j, stats->back_in_time);
    FS_JSON_KEY(j, "most");
    fs_json_time(j, stats->back_in_time_most);
    fs_json_end_object(j);
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
    FS_JSON_KEY(j, "closers_guessed");
    fs_json_uint(j, svc->closers_guessed);
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
    json_summary_back_in_time(&j, stats);
    json_summary_live(&j, r, stats);
    fs_json_end_object(&j);
    write_line(r);
}
