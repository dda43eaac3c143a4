/* finscope: the human report — summary, connection table, anomalies. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/decode.h"
#include "decimal.h"
#include "report-private.h"
#include "text.h"

enum { COL_ID, COL_CLIENT, COL_SERVER, COL_VLAN, COL_CLOSE, COL_RST_FROM,
       COL_CLOSER, COL_CSTATE, COL_SSTATE, COL_DURATION, COL_FRAMES,
       COL_FLAGS, N_COLS };

/* Offline, records wait for the end to print as one aligned table, and
 * events as one section. Beyond this many records (or bytes of events)
 * that would make memory grow with the capture's length: the report
 * turns to lines as they come, as with -i. */
#define TABLE_MAX_ROWS 10000u
#define EVENTS_MAX_BYTES (4u << 20)

static const char *const col_titles[N_COLS] = {
    "ID", "CLIENT", "SERVER", "VLAN", "CLOSE", "RST-FROM", "ACTIVE",
    "CLIENT-END", "SERVER-END", "CLOSE-TIME", "FRAMES", "FLAGS",
};

/* A cell with nothing to say: shared, never freed (row_free). */
static const char dash[] = "-";

/* Below this many ns, ns / 1e6 as a double is within 1e-9 ms of the true
 * quotient: it rounds to 3 decimals as the quotient does unless the
 * quotient is a tie (exactly half a microsecond). */
#define MS_EXACT_BELOW (G_GINT64_CONSTANT(1) << 43)

char *
fs_report_ms_string(FsTime ns)
{
    char buf[32];
    char *p = buf;
    guint64 us;
    guint32 frac;

    /* printf("%.3f ms", ns / 1e6) rounds the double, ties to even: that
     * is left to printf; the rest rounds to the nearest microsecond in
     * integers (printf was 2,000 instructions a row) */
    if (ns < 0 || ns >= MS_EXACT_BELOW || ns % 1000 == 500)
        return g_strdup_printf("%.3f ms", (double)ns / 1e6);
    us = ((guint64)ns + 500) / 1000;
    frac = (guint32)(us % 1000);
    p = fs_put_uint(p, us / 1000);
    *p++ = '.';
    *p++ = (char)('0' + frac / 100);
    *p++ = (char)('0' + frac / 10 % 10);
    *p++ = (char)('0' + frac % 10);
    memcpy(p, " ms", 3);
    p += 3;
    return g_strndup(buf, (gsize)(p - buf));
}

static char *
format_duration(FsTime ns)
{
    if (ns < 0)
        return (char *)dash;
    return fs_report_ms_string(ns);
}

static char *
endpoint_string(const FsConn *conn, FsRole role)
{
    char buf[FS_ENDPOINT_STRLEN];

    fs_endpoint_format(&conn->addr[role], conn->port[role], buf, sizeof buf);
    return g_strdup(buf);
}

static void start_streaming(FsReport *r);

/* v in decimal as a new string (no printf: a row holds several
 * numbers). */
static char *
uint_string(guint64 v)
{
    char buf[24];

    return g_strndup(buf, (gsize)(fs_put_uint(buf, v) - buf));
}

/* "17", or "b.pcap:17" when several files were merged; "-" for none. */
static char *
frame_string(const FsReport *r, guint32 frame, guint source)
{
    const char *file = fs_report_source_name(r, source);
    char num[24];

    if (frame == 0)
        return g_strdup("-");
    if (file == NULL)
        return uint_string(frame);
    *fs_put_uint(num, frame) = '\0';
    return g_strconcat(file, ":", num, NULL);
}

/* The frames a connection spans: "12-40". */
static char *
frames_string(const FsReport *r, const FsConn *conn)
{
    g_autofree char *first = frame_string(r, conn->first_frame,
                                          conn->first_source);
    g_autofree char *last = frame_string(r, conn->last_frame,
                                         conn->last_source);

    return g_strconcat(first, "-", last, NULL);
}

void
fs_report_text_event(FsReport *r, const FsEvent *ev, const FsConn *conn)
{
    g_autofree char *when = NULL;
    g_autofree char *who = NULL;
    g_autofree char *frame = NULL;

    if (!fs_event_kind_is_anomaly(ev->kind) && ev->kind != FS_EV_STATE)
        return;
    when = fs_time_format(ev->ts);
    frame = frame_string(r, ev->frame, ev->source);
    who = ev->role == FS_ROLE_NONE ? g_strdup("-")
                                   : endpoint_string(conn, ev->role);
    if (ev->kind == FS_EV_STATE)
        g_string_append_printf(r->buf, "  %s  #%" G_GUINT64_FORMAT
                               "  frame %s  %s %s  %s -> %s (%s)\n",
                               when, ev->conn_id, frame,
                               fs_role_name(ev->role),
                               who, fs_tcp_state_name(ev->transition.from),
                               fs_tcp_state_name(ev->transition.to),
                               fs_cause_name(ev->transition.cause));
    else
        g_string_append_printf(r->buf, "  %s  #%" G_GUINT64_FORMAT
                               "  frame %s  %s %s  %s%s%s\n",
                               when, ev->conn_id, frame,
                               ev->role == FS_ROLE_NONE
                                   ? "" : fs_role_name(ev->role),
                               who, fs_event_kind_name(ev->kind),
                               ev->detail ? ": " : "",
                               ev->detail ? ev->detail : "");
    if (r->streaming) {
        fputs(r->buf->str + 2, r->out); /* no indent outside a section */
        g_string_truncate(r->buf, 0);
    } else if (r->buf->len > EVENTS_MAX_BYTES) {
        start_streaming(r);
    }
}

/* Endpoints left in a state that waits for the peer or the application:
 * FIN_WAIT_2 (peer never sent FIN), CLOSE_WAIT (application never closed),
 * LAST_ACK (final ACK never arrived), CLOSING, FIN_WAIT_1. */
static void
note_stuck(FsReport *r, const FsConn *conn, const FsOutcome *outcome)
{
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        FsTcpState st = outcome->end_state[role];
        FsTime age = fs_conn_state_age(conn, (FsRole)role);
        g_autofree char *who = NULL;

        if (st < FS_TCP_FIN_WAIT_1 || st > FS_TCP_LAST_ACK)
            continue;
        who = endpoint_string(conn, (FsRole)role);
        g_string_append_printf(r->stuck, "  #%" G_GUINT64_FORMAT "  %s %s  %s",
                               conn->id, fs_role_name((FsRole)role), who,
                               fs_tcp_state_name(st));
        /* a state whose start is not known: no age shown */
        if (age != FS_TIME_UNSET)
            g_string_append_printf(r->stuck, " for %.3f s",
                                   (double)age / 1e9);
        g_string_append_c(r->stuck, '\n');
    }
}

/* Live: one self-describing line per finished connection, as it comes;
 * the end states make a separate "stuck" list unnecessary. */
static void
print_conn_line(FsReport *r, char **row)
{
    /* the pieces appended, then one write: fprintf with fifteen %s was
     * 3,900 instructions a line */
    static const char *const before[N_COLS] = {
        [COL_ID] = "conn #", [COL_CLIENT] = "  ", [COL_SERVER] = " -> ",
        [COL_VLAN] = "  ", [COL_CLOSE] = "close=",
        [COL_RST_FROM] = " rst_from=", [COL_CLOSER] = " active=",
        [COL_CSTATE] = " client=", [COL_SSTATE] = " server=",
        [COL_DURATION] = " close_time=", [COL_FRAMES] = " frames=",
        [COL_FLAGS] = " flags=",
    };
    GString *line = r->line;
    gsize len[N_COLS];
    gsize room = 1;   /* the newline */
    char *p;

    /* sized once, then copied in (g_string_append was 100 instructions a
     * piece, 24 pieces) */
    for (int c = 0; c < N_COLS; c++) {
        len[c] = strlen(row[c]);
        room += strlen(before[c]) + len[c];
    }
    room += sizeof "vlan= ";
    g_string_set_size(line, room);
    p = line->str;
    for (int c = 0; c < N_COLS; c++) {
        p = fs_put_bytes(p, before[c], strlen(before[c]));
        if (c == COL_VLAN) {
            if (strcmp(row[COL_VLAN], "-") != 0) {
                p = fs_put_bytes(p, "vlan=", 5);
                p = fs_put_bytes(p, row[COL_VLAN], len[c]);
                *p++ = ' ';
            }
            continue;
        }
        p = fs_put_bytes(p, row[c], len[c]);
    }
    *p++ = '\n';
    g_string_truncate(line, (gsize)(p - line->str));
    fwrite(line->str, 1, line->len, r->out);
}

/* The columns whose cells are constant names (fs_close_kind_name(),
 * fs_role_name(), fs_closer_name(), fs_tcp_state_name()) or the dash,
 * never copied. */
static gboolean
col_constant(int c)
{
    return c == COL_CLOSE || c == COL_RST_FROM || c == COL_CLOSER ||
           c == COL_CSTATE || c == COL_SSTATE;
}

void
fs_report_text_row_free(gpointer p)
{
    char **row = p;

    for (int c = 0; c < N_COLS; c++) {
        if (!col_constant(c) && row[c] != dash)
            g_free(row[c]);
    }
    g_free(row);
}

/* The names of flags joined by commas, or the dash: built in place (no
 * list of names to join). */
static char *
flags_string(guint32 flags)
{
    char buf[FS_FLAG_N * 32];
    char *p = buf;

    if (flags == 0)
        return (char *)dash;
    for (int f = 0; f < FS_FLAG_N; f++) {
        const char *name;
        gsize n;

        if (!(flags & FS_FLAG_BIT(f)))
            continue;
        name = fs_flag_name((FsFlag)f);
        n = strlen(name);
        g_assert(n < 31);
        if (p != buf)
            *p++ = ',';
        memcpy(p, name, n);
        p += n;
    }
    return g_strndup(buf, (gsize)(p - buf));
}

void
fs_report_text_conn(FsReport *r, const FsConn *conn,
                    const FsOutcome *outcome)
{
    char **row = NULL;
    const char *closer = fs_closer_name(outcome->active_closer);

    if (fs_flood_add(r->flood, conn))
        return; /* a flood's half-open ones: counted, not listed */
    row = g_new0(char *, N_COLS + 1);
    row[COL_ID] = uint_string(conn->id);
    row[COL_CLIENT] = endpoint_string(conn, FS_ROLE_CLIENT);
    row[COL_SERVER] = endpoint_string(conn, FS_ROLE_SERVER);
    row[COL_VLAN] = conn->vlan != 0 ? fs_vlan_format(conn->vlan, ".")
                                    : (char *)dash;
    /* the constant names as they are (col_constant()) */
    row[COL_CLOSE] = (char *)fs_close_kind_name(outcome->close);
    row[COL_RST_FROM] = (char *)(conn->rst_from == FS_ROLE_NONE
                                     ? dash
                                     : fs_role_name((FsRole)conn->rst_from));
    row[COL_CLOSER] = (char *)(closer ? closer : dash);
    row[COL_CSTATE] = (char *)fs_tcp_state_name(
        outcome->end_state[FS_ROLE_CLIENT]);
    row[COL_SSTATE] = (char *)fs_tcp_state_name(
        outcome->end_state[FS_ROLE_SERVER]);
    row[COL_DURATION] = format_duration(outcome->close_duration);
    row[COL_FRAMES] = frames_string(r, conn);
    row[COL_FLAGS] = flags_string(outcome->flags);
    if (r->streaming) {
        print_conn_line(r, row);
        fs_report_text_row_free(row);
        return;
    }
    g_ptr_array_add(r->rows, row);
    note_stuck(r, conn, outcome);
    if (r->rows->len > TABLE_MAX_ROWS)
        start_streaming(r);
}

/* Too much to hold for the end: what is held so far goes out now (events,
 * then records as -i prints them), the rest as it comes. */
static void
start_streaming(FsReport *r)
{
    fprintf(r->out, "More than %u connections or %u MiB of events: "
            "printing them as they come (--json keeps every field)\n",
            TABLE_MAX_ROWS, EVENTS_MAX_BYTES >> 20);
    if (r->buf->len > 0) {
        fprintf(r->out, "\nEvents so far\n%s\n", r->buf->str);
        g_string_truncate(r->buf, 0);
    }
    for (guint i = 0; i < r->rows->len; i++)
        print_conn_line(r, g_ptr_array_index(r->rows, i));
    g_ptr_array_set_size(r->rows, 0);
    g_string_truncate(r->stuck, 0); /* conn lines carry the end states */
    r->streaming = TRUE;
}

static void
print_host_peak(const FsHostTimeWait *tw, gpointer user)
{
    FsReport *r = user;
    char host[FS_ENDPOINT_STRLEN];
    g_autofree char *when = fs_time_format(tw->peak_at);

    fs_addr_format(&tw->host, host, sizeof host);
    fprintf(r->out, "  %-21s %" G_GUINT64_FORMAT " at %s (%" G_GUINT64_FORMAT
            " at end, %" G_GUINT64_FORMAT " in all)\n", host, tw->peak, when,
            tw->now, tw->entered);
}

static void
print_dest(const FsDestTimeWait *d, gpointer user)
{
    FsReport *r = user;
    guint ports = fs_report_ephemeral_ports(r);
    char client[FS_ENDPOINT_STRLEN];
    char dest[FS_ENDPOINT_STRLEN];

    if (d->peak == 0)
        return;
    if (!r->dest_header_done)
        fprintf(r->out, "\nPort pressure (client TIME_WAIT per "
                "destination)\n");
    r->dest_header_done = TRUE;
    fs_addr_format(&d->client, client, sizeof client);
    fs_endpoint_format(&d->server, d->port, dest, sizeof dest);
    fprintf(r->out, "  %s -> %s: %" G_GUINT64_FORMAT " TIME_WAIT at peak, "
            "%.1f%% of %u ports (runs out above %.0f new connections/s)\n",
            client, dest, d->peak, 100.0 * (double)d->peak / ports, ports,
            (double)ports / (2.0 * (double)r->cfg.msl / 1e9));
}

static void
print_time_wait(FsReport *r, const FsEngine *engine)
{
    const FsEngineStats *stats = fs_engine_stats(engine);

    if (stats->time_wait_peak == 0)
        return;
    r->dest_header_done = FALSE;
    fprintf(r->out, "\nTIME_WAIT peak by host\n");
    fs_engine_foreach_time_wait_host_top(engine, FS_ENGINE_HOST_TOP,
                                         print_host_peak, r);
    fs_engine_foreach_time_wait_dest(engine, FS_REPORT_MAX_DESTS, print_dest,
                                     r);
}

/* Live capture only: what is tracked now, kernel drops, filter caveat. */
static void
print_live(FsReport *r, const FsEngineStats *stats)
{
    FILE *o = r->out;

    if (r->interim)
        fprintf(o, "  tracked now           %" G_GUINT64_FORMAT
                " connections, %" G_GUINT64_FORMAT
                " endpoints in TIME_WAIT\n", stats->live,
                stats->time_wait_now);
    if (r->drops_known && r->kernel_drops == 0)
        fprintf(o, "  kernel drops          0\n");
    else if (r->drops_known)
        fprintf(o, "  kernel dropped %" G_GUINT64_FORMAT " packets: the "
                "report is built on a lossy capture\n", r->kernel_drops);
    if (r->capture_note != NULL)
        fprintf(o, "  note: %s\n", r->capture_note);
}

/* Files cut inside a record: the report covers what came before. */
static void
print_truncated(FsReport *r)
{
    for (guint i = 0; r->truncated != NULL && i < r->truncated->len; i++) {
        const FsTruncatedFile *t = g_ptr_array_index(r->truncated, i);
        g_autofree char *name = fs_text_escape(t->file, 0);

        fprintf(r->out, "  TRUNCATED capture     %s ends inside a packet "
                "record", name);
        if (t->bytes_read >= 0)
            fprintf(r->out, " after %" G_GINT64_FORMAT " bytes",
                    t->bytes_read);
        fprintf(r->out, ": the report covers the packets before\n");
    }
}

/* What the engine finished early to stay within its memory budget or
 * --max-flows, and handshakes it gave up on; nothing when none. */
static void
print_evictions(FsReport *r, const FsEngineStats *stats)
{
    FILE *o = r->out;

    if (stats->evicted != 0) {
        fprintf(o, "  evicted               %" G_GUINT64_FORMAT " (",
                stats->evicted);
        for (int c = 0; c < FS_EVICT_N_CLASSES; c++)
            fprintf(o, "%s%s %" G_GUINT64_FORMAT, c == 0 ? "" : ", ",
                    fs_evict_class_name((FsEvictClass)c),
                    stats->evicted_by_class[c]);
        fprintf(o, "; memory peak %.1f MiB of %.1f MiB)\n",
                (double)stats->memory_peak / 1048576.0,
                (double)(r->cfg.max_memory ? r->cfg.max_memory
                                           : FS_ENGINE_MAX_MEMORY) /
                    1048576.0);
    }
    if (stats->handshakes_expired != 0)
        fprintf(o, "  handshakes given up   %" G_GUINT64_FORMAT "\n",
                stats->handshakes_expired);
    if (stats->hosts_pruned != 0)
        fprintf(o, "  TIME_WAIT hosts       %" G_GUINT64_FORMAT " back at zero "
                "not kept (the %u busiest are)\n", stats->hosts_pruned,
                FS_ENGINE_HOST_TOP);
}

static void
print_summary(FsReport *r, const FsEngineStats *stats)
{
    const FsTally *s = &r->sum;
    g_autoptr(GPtrArray) hosts = fs_tally_time_wait_hosts(s);
    FILE *o = r->out;

    fprintf(o, "%s (MSL %.0f s, TIME_WAIT %.0f s%s)\n",
            r->interim ? "Summary so far" : "Summary",
            (double)r->cfg.msl / 1e9, 2.0 * (double)r->cfg.msl / 1e9,
            r->cfg.rfc1337 ? ", RFC 1337" : "");
    fprintf(o, "  connections           %" G_GUINT64_FORMAT "\n",
            s->connections);
    fprintf(o, "  closed gracefully     %" G_GUINT64_FORMAT "\n",
            s->by_close[FS_CLOSE_GRACEFUL]);
    fprintf(o, "  closed by RST         %" G_GUINT64_FORMAT
            " (client %" G_GUINT64_FORMAT ", server %" G_GUINT64_FORMAT ")\n",
            s->by_close[FS_CLOSE_RESET], s->rst_from[0], s->rst_from[1]);
    fprintf(o, "  close incomplete      %" G_GUINT64_FORMAT "\n",
            s->by_close[FS_CLOSE_INCOMPLETE]);
    fprintf(o, "  still open            %" G_GUINT64_FORMAT "\n",
            s->by_close[FS_CLOSE_OPEN]);
    fprintf(o, "  active closer         client %" G_GUINT64_FORMAT
            ", server %" G_GUINT64_FORMAT "\n",
            s->by_closer[FS_CLOSER_CLIENT], s->by_closer[FS_CLOSER_SERVER]);
    fprintf(o, "  simultaneous closes   %" G_GUINT64_FORMAT "\n",
            s->by_closer[FS_CLOSER_SIMULTANEOUS]);
    fprintf(o, "  half-closes           %" G_GUINT64_FORMAT "\n",
            s->by_flag[FS_FLAG_HALF_CLOSE]);
    fprintf(o, "  FIN retransmissions   %" G_GUINT64_FORMAT "\n",
            s->fin_retransmits);
    fs_failures_print(r->failures, o);
    fprintf(o, "  TIME_WAIT at end      %" G_GUINT64_FORMAT,
            s->time_wait_at_end);
    for (guint i = 0; i < MIN(hosts->len, FS_ENGINE_HOST_TOP); i++) {
        const FsHostCount *hc = g_ptr_array_index(hosts, i);

        fprintf(o, "%s%s %" G_GUINT64_FORMAT, i == 0 ? " (" : ", ",
                hc->host, hc->count);
    }
    if (hosts->len > FS_ENGINE_HOST_TOP)
        fprintf(o, ", %u more hosts", hosts->len - FS_ENGINE_HOST_TOP);
    fprintf(o, "%s\n", hosts->len ? ")" : "");
    for (int st = FS_TCP_FIN_WAIT_1; st <= FS_TCP_LAST_ACK; st++) {
        if (s->end_states[st] != 0)
            fprintf(o, "  stuck in %-12s %" G_GUINT64_FORMAT " endpoints\n",
                    fs_tcp_state_name((FsTcpState)st), s->end_states[st]);
    }
    fprintf(o, "  packets               %" G_GUINT64_FORMAT " read, %"
            G_GUINT64_FORMAT " TCP", stats->packets, stats->tcp_segments);
    for (int k = FS_DECODE_OK + 1; k < FS_DECODE_N_STATUS; k++) {
        if (stats->skipped[k] != 0)
            fprintf(o, ", %" G_GUINT64_FORMAT " %s", stats->skipped[k],
                    fs_decode_status_name((FsDecodeStatus)k));
    }
    fprintf(o, "\n");
    print_truncated(r);
    print_evictions(r, stats);
    print_live(r, stats);
}

/* Rows in id order: records finish in the order their connections
 * ended, not began. */
static gint
row_id_cmp(gconstpointer a, gconstpointer b)
{
    char **x = *(char **const *)a;
    char **y = *(char **const *)b;
    guint64 i = g_ascii_strtoull(x[COL_ID], NULL, 10);
    guint64 j = g_ascii_strtoull(y[COL_ID], NULL, 10);

    return i < j ? -1 : i > j;
}

/* The VLAN column only when some connection is tagged. */
static gboolean
shows_column(const FsReport *r, int c)
{
    if (c != COL_VLAN)
        return TRUE;
    for (guint i = 0; i < r->rows->len; i++) {
        char **row = g_ptr_array_index(r->rows, i);

        if (strcmp(row[COL_VLAN], "-") != 0)
            return TRUE;
    }
    return FALSE;
}

static void
print_cells(FsReport *r, const char *const *cells, const int *width,
            const gboolean *shown)
{
    for (int c = 0; c < N_COLS; c++) {
        if (shown[c])
            fprintf(r->out, "%-*s%s", c == N_COLS - 1 ? 0 : width[c],
                    cells[c], c == N_COLS - 1 ? "\n" : "  ");
    }
}

static void
print_table(FsReport *r)
{
    int width[N_COLS];
    gboolean shown[N_COLS];

    g_ptr_array_sort(r->rows, row_id_cmp);
    for (int c = 0; c < N_COLS; c++) {
        width[c] = (int)strlen(col_titles[c]);
        shown[c] = shows_column(r, c);
    }
    for (guint i = 0; i < r->rows->len; i++) {
        char **row = g_ptr_array_index(r->rows, i);

        for (int c = 0; c < N_COLS; c++)
            width[c] = MAX(width[c], (int)strlen(row[c]));
    }
    print_cells(r, col_titles, width, shown);
    for (guint i = 0; i < r->rows->len; i++)
        print_cells(r, (const char *const *)g_ptr_array_index(r->rows, i),
                    width, shown);
}

enum { SVC_NAME, SVC_CONNS, SVC_CLIENT, SVC_SERVER, SVC_SIMULT, SVC_RESETS,
       SVC_REFUSED, SVC_STUCK, SVC_FIN_RTX, SVC_IDLE_MAX, SVC_TW_PEAK,
       SVC_MEANING, N_SVC_COLS };

static const char *const svc_titles[N_SVC_COLS + 1] = { /* NULL-ended */
    "SERVICE", "CONNS", "CLIENT-1ST", "SERVER-1ST", "SIMULT", "RESETS",
    "REFUSED", "STUCK", "FIN-RTX", "IDLE-MAX", "TW-PEAK", "MEANING",
};

/* "n", or "n (most often: server in ESTABLISHED m)". */
static char *
most_common(const guint64 counts[2][FS_TCP_N_STATES], gboolean by_sender)
{
    guint64 total = 0;
    guint64 best = 0;
    int best_role = 0;
    int best_state = 0;

    for (int role = 0; role < 2; role++) {
        for (int st = 0; st < FS_TCP_N_STATES; st++) {
            total += counts[role][st];
            if (counts[role][st] > best) {
                best = counts[role][st];
                best_role = role;
                best_state = st;
            }
        }
    }
    if (total == 0)
        return g_strdup("-");
    return g_strdup_printf("%" G_GUINT64_FORMAT " (%s %s%s %" G_GUINT64_FORMAT
                           ")", total, fs_role_name((FsRole)best_role),
                           by_sender ? "in " : "",
                           fs_tcp_state_name((FsTcpState)best_state), best);
}

static char **
service_row(const FsService *svc)
{
    char **row = g_new0(char *, N_SVC_COLS + 1);
    g_autofree char *stuck = most_common(svc->stuck, FALSE);
    char *meaning = fs_service_meaning(svc);

    row[SVC_NAME] = g_strdup(svc->name);
    row[SVC_CONNS] = g_strdup_printf("%" G_GUINT64_FORMAT, svc->connections);
    for (int k = 0; k < 3; k++)
        row[SVC_CLIENT + k] = g_strdup_printf("%" G_GUINT64_FORMAT,
                                              svc->by_closer[k]);
    row[SVC_RESETS] = most_common(svc->resets, TRUE);
    row[SVC_STUCK] = strcmp(stuck, "-") == 0
                         ? g_strdup(stuck)
                         : g_strdup_printf("%s, oldest %.1f s", stuck,
                                           (double)svc->stuck_oldest / 1e9);
    row[SVC_FIN_RTX] = g_strdup_printf("%" G_GUINT64_FORMAT,
                                       svc->fin_retransmits);
    row[SVC_REFUSED] = g_strdup_printf("%" G_GUINT64_FORMAT, svc->refused);
    row[SVC_IDLE_MAX] = svc->idle_max < 0
                            ? g_strdup("-")
                            : g_strdup_printf("%.1f s",
                                              (double)svc->idle_max / 1e9);
    row[SVC_TW_PEAK] = g_strdup_printf("%s%" G_GUINT64_FORMAT,
                                       svc->tw_spans_full ? ">=" : "",
                                       fs_service_time_wait_peak(svc));
    row[SVC_MEANING] = meaning != NULL ? meaning : g_strdup("-");
    return row;
}

static void
print_rows(FsReport *r, GPtrArray *rows, int n_cols)
{
    g_autofree int *width = g_new0(int, n_cols);

    for (guint i = 0; i < rows->len; i++) {
        char **row = g_ptr_array_index(rows, i);

        for (int c = 0; c < n_cols; c++)
            width[c] = MAX(width[c], (int)strlen(row[c]));
    }
    for (guint i = 0; i < rows->len; i++) {
        char **row = g_ptr_array_index(rows, i);

        fprintf(r->out, " ");
        for (int c = 0; c < n_cols; c++)
            fprintf(r->out, " %-*s", c == n_cols - 1 ? 0 : width[c], row[c]);
        fprintf(r->out, "\n");
    }
}

/* The busiest server ip:ports (--top), one line each. */
void
fs_report_text_services(FsReport *r)
{
    g_autoptr(GPtrArray) top = fs_services_top(r->services, r->top);
    g_autoptr(GPtrArray) rows =
        g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    guint n = fs_services_count(r->services);

    if (n == 0)
        return;
    if (top->len < n)
        fprintf(r->out, "\nServices: the %u busiest of %u (server ip:port; "
                "--top N for more)\n", top->len, n);
    else
        fprintf(r->out, "\nServices (server ip:port)\n");
    g_ptr_array_add(rows, g_strdupv((char **)svc_titles));
    for (guint i = 0; i < top->len; i++)
        g_ptr_array_add(rows, service_row(g_ptr_array_index(top, i)));
    print_rows(r, rows, N_SVC_COLS);
}

void
fs_report_text_finish(FsReport *r, const FsEngine *engine)
{
    print_summary(r, fs_engine_stats(engine));
    print_time_wait(r, engine);
    if (r->interim)
        return;
    fs_flood_print(r->flood, r->out);
    fs_report_text_services(r);
    if (r->rows->len > 0) {
        fprintf(r->out, "\n");
        print_table(r);
    }
    if (r->stuck->len > 0)
        fprintf(r->out, "\nStuck at capture end\n%s", r->stuck->str);
    if (r->buf->len > 0) {
        fprintf(r->out, "\nEvents\n%s", r->buf->str);
        g_string_truncate(r->buf, 0);
    }
}
