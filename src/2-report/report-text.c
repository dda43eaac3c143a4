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

/* fs_report_ms_string()'s text put at p (room for MS_PUT_ROOM bytes, no
 * NUL); returns the position after it. */
#define MS_PUT_ROOM 48
static char *
ms_put(char *p, FsTime ns)
{
    guint64 us;
    guint32 frac;

    /* printf("%.3f ms", ns / 1e6) rounds the double, ties to even: that
     * is left to printf; the rest rounds to the nearest microsecond in
     * integers (printf was 2,000 instructions a row) */
    if (ns < 0 || ns >= MS_EXACT_BELOW || ns % 1000 == 500) {
        g_autofree char *s = g_strdup_printf("%.3f ms", (double)ns / 1e6);
        gsize n = MIN(strlen(s), (gsize)MS_PUT_ROOM);

        return fs_put_bytes(p, s, n);
    }
    us = ((guint64)ns + 500) / 1000;
    frac = (guint32)(us % 1000);
    p = fs_put_uint(p, us / 1000);
    *p++ = '.';
    *p++ = (char)('0' + frac / 100);
    *p++ = (char)('0' + frac / 10 % 10);
    *p++ = (char)('0' + frac % 10);
    return fs_put_bytes(p, " ms", 3);
}

char *
fs_report_ms_string(FsTime ns)
{
    char buf[MS_PUT_ROOM];

    return g_strndup(buf, (gsize)(ms_put(buf, ns) - buf));
}

static char *
endpoint_string(const FsConn *conn, FsRole role)
{
    char buf[FS_ENDPOINT_STRLEN];

    fs_endpoint_format(&conn->addr[role], conn->port[role], buf, sizeof buf);
    return g_strdup(buf);
}

static void start_streaming(FsReport *r);

/* Puts s (NUL-ended, not the NUL) at p: fs_put_bytes() of a name. */
static inline char *
name_put(char *p, const char *s)
{
    return fs_put_bytes(p, s, strlen(s));
}

/* "17", or "b.pcap:17" when several files were merged; "-" for none. */
static char *
frame_put(char *p, const FsReport *r, guint32 frame, guint source)
{
    const char *file = fs_report_source_name(r, source);

    if (frame == 0) {
        *p++ = '-';
        return p;
    }
    if (file != NULL) {
        p = name_put(p, file);
        *p++ = ':';
    }
    return fs_put_uint(p, frame);
}

/* The names of flags joined by commas, or the dash. */
static char *
flags_put(char *p, guint32 flags)
{
    const char *start = p;

    if (flags == 0) {
        *p++ = '-';
        return p;
    }
    for (int f = 0; f < FS_FLAG_N; f++) {
        const char *name;

        if (!(flags & FS_FLAG_BIT(f)))
            continue;
        name = fs_flag_name((FsFlag)f);
        if (p != start)
            *p++ = ',';
        p = name_put(p, name);
    }
    return p;
}

/* Bytes time_put() may write. */
#define TIME_PUT_ROOM 64

/* fs_time_format(ns) put at p (no NUL); returns the position after it.
 * Its date and time to the second are kept from the last call (an
 * event line's time, taken apart by GDateTime and printed by printf,
 * was ~4,700 instructions; events come in time order). */
static char *
time_put(FsReport *r, char *p, FsTime ns)
{
    gint64 sec = ns / FS_NS_PER_SEC;
    guint32 us;

    if (ns < 0 || !r->when_known || sec != r->when_sec) {
        g_autofree char *when = fs_time_format(ns);
        gsize n = strlen(when);

        /* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" kept; anything else (before
         * 1970, past 9999) written as it is */
        if (ns < 0 || n != sizeof r->when_prefix + 8 ||
            when[sizeof r->when_prefix] != '.')
            return fs_put_bytes(p, when, MIN(n, (gsize)TIME_PUT_ROOM));
        memcpy(r->when_prefix, when, sizeof r->when_prefix);
        r->when_sec = sec;
        r->when_known = TRUE;
    }
    p = fs_put_bytes(p, r->when_prefix, sizeof r->when_prefix);
    *p++ = '.';
    us = (guint32)((ns % FS_NS_PER_SEC) / 1000);
    fs_put_pair(p, us / 10000);
    fs_put_pair(p + 2, us / 100 % 100);
    fs_put_pair(p + 4, us % 100);
    p += 6;
    *p++ = 'Z';
    return p;
}

void
fs_report_text_event(FsReport *r, const FsEvent *ev, const FsConn *conn)
{
    const char *file;
    gsize start;
    gsize room;
    char *p;

    if (!fs_event_kind_is_anomaly(ev->kind) && ev->kind != FS_EV_STATE)
        return;
    /* the line put at the end of r->buf (the events section, or only
     * it when streaming), sized first */
    file = fs_report_source_name(r, ev->source);
    room = TIME_PUT_ROOM + 24 + FS_ENDPOINT_STRLEN + 4 * 32 + 32 +
           (file != NULL ? strlen(file) : 0) +
           (ev->kind != FS_EV_STATE && ev->detail != NULL
                ? strlen(ev->detail) : 0);
    start = r->buf->len;
    g_string_set_size(r->buf, start + room);
    p = r->buf->str + start;
    p = fs_put_bytes(p, "  ", 2);
    p = time_put(r, p, ev->ts);
    p = fs_put_bytes(p, "  #", 3);
    p = fs_put_uint(p, ev->conn_id);
    p = fs_put_bytes(p, "  frame ", 8);
    p = frame_put(p, r, ev->frame, ev->source);
    p = fs_put_bytes(p, "  ", 2);
    if (ev->kind == FS_EV_STATE || ev->role != FS_ROLE_NONE)
        p = name_put(p, fs_role_name(ev->role));
    *p++ = ' ';
    if (ev->role == FS_ROLE_NONE)
        *p++ = '-';
    else
        p = fs_endpoint_put(p, &conn->addr[ev->role], conn->port[ev->role]);
    p = fs_put_bytes(p, "  ", 2);
    if (ev->kind == FS_EV_STATE) {
        p = name_put(p, fs_tcp_state_name(ev->transition.from));
        p = fs_put_bytes(p, " -> ", 4);
        p = name_put(p, fs_tcp_state_name(ev->transition.to));
        p = fs_put_bytes(p, " (", 2);
        p = name_put(p, fs_cause_name(ev->transition.cause));
        *p++ = ')';
    } else {
        p = name_put(p, fs_event_kind_name(ev->kind));
        if (ev->detail != NULL) {
            p = fs_put_bytes(p, ": ", 2);
            p = name_put(p, ev->detail);
        }
    }
    *p++ = '\n';
    g_assert((gsize)(p - r->buf->str) <= r->buf->len);
    g_string_truncate(r->buf, (gsize)(p - r->buf->str));
    if (r->streaming) {
        /* no indent outside a section */
        fwrite(r->buf->str + 2, 1, r->buf->len - 2, r->out);
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

/* A record's cells (COL_*), as the table and the streamed lines show
 * them: written one after the other into one buffer, each ended by a
 * NUL, with no allocation of its own (a row was eight strings, each
 * allocated and freed: 4,000 instructions a record, twice --json's). */
typedef struct {
    const char *cell[N_COLS];
    gsize len[N_COLS];
} Cells;

/* Bytes cells_of() may write for conn: its fixed part, the file names
 * its frames carry and its VLAN's text (vlan, if not NULL). */
static gsize
cells_room(const FsReport *r, const FsConn *conn, const char *vlan)
{
    const char *first = fs_report_source_name(r, conn->first_source);
    const char *last = fs_report_source_name(r, conn->last_source);
    gsize room = 2 * FS_ENDPOINT_STRLEN + MS_PUT_ROOM + 3 * 24 +
                 (gsize)FS_FLAG_N * 32 + 6 * 32 + N_COLS;

    room += first != NULL ? strlen(first) : 0;
    room += last != NULL ? strlen(last) : 0;
    return room + (vlan != NULL ? strlen(vlan) : 1);
}

/* Names are constants: pointed at, not copied. */
static void
cell_name(Cells *c, int col, const char *name)
{
    c->cell[col] = name;
    c->len[col] = strlen(name);
}

/* Ends the cell col that starts at start and ends at p: its NUL put,
 * the position after it returned. */
static char *
cell_end(Cells *c, int col, const char *start, char *p)
{
    c->cell[col] = start;
    c->len[col] = (gsize)(p - start);
    *p++ = '\0';
    return p;
}

/* conn's cells into out (what it held overwritten) and *c. */
static void
cells_of(FsReport *r, const FsConn *conn, const FsOutcome *outcome,
         GString *out, Cells *c)
{
    g_autofree char *vlan = conn->vlan != 0
                                ? fs_vlan_format(conn->vlan, ".") : NULL;
    const char *closer = fs_closer_name(outcome->active_closer);
    char *p;
    char *q;

    /* sized first: out->str does not move while the cells are written */
    g_string_set_size(out, cells_room(r, conn, vlan));
    p = out->str;
    q = p;
    p = cell_end(c, COL_ID, q, fs_put_uint(q, conn->id));
    q = p;
    p = cell_end(c, COL_CLIENT, q,
                 fs_endpoint_put(q, &conn->addr[FS_ROLE_CLIENT],
                                 conn->port[FS_ROLE_CLIENT]));
    q = p;
    p = cell_end(c, COL_SERVER, q,
                 fs_endpoint_put(q, &conn->addr[FS_ROLE_SERVER],
                                 conn->port[FS_ROLE_SERVER]));
    q = p;
    p = cell_end(c, COL_VLAN, q,
                 vlan != NULL ? fs_put_bytes(q, vlan, strlen(vlan))
                              : fs_put_bytes(q, dash, 1));
    q = p;
    p = cell_end(c, COL_DURATION, q,
                 outcome->close_duration < 0
                     ? fs_put_bytes(q, dash, 1)
                     : ms_put(q, outcome->close_duration));
    q = p;
    p = frame_put(p, r, conn->first_frame, conn->first_source);
    *p++ = '-';
    p = cell_end(c, COL_FRAMES, q,
                 frame_put(p, r, conn->last_frame, conn->last_source));
    q = p;
    p = cell_end(c, COL_FLAGS, q, flags_put(q, outcome->flags));
    g_assert((gsize)(p - out->str) <= out->len);
    cell_name(c, COL_CLOSE, fs_close_kind_name(outcome->close));
    cell_name(c, COL_RST_FROM, conn->rst_from == FS_ROLE_NONE
                                   ? dash
                                   : fs_role_name((FsRole)conn->rst_from));
    cell_name(c, COL_CLOSER, closer != NULL ? closer : dash);
    cell_name(c, COL_CSTATE,
              fs_tcp_state_name(outcome->end_state[FS_ROLE_CLIENT]));
    cell_name(c, COL_SSTATE,
              fs_tcp_state_name(outcome->end_state[FS_ROLE_SERVER]));
}

/* Live, and offline past TABLE_MAX_ROWS: one self-describing line per
 * finished connection, as it comes; the end states make a separate
 * "stuck" list unnecessary. */
static void
print_conn_line(FsReport *r, const Cells *c)
{
#define WORDS(lit) { lit, sizeof lit - 1 }
    static const struct {
        const char *text;
        gsize len;
    } before[N_COLS] = {
        [COL_ID] = WORDS("conn #"), [COL_CLIENT] = WORDS("  "),
        [COL_SERVER] = WORDS(" -> "), [COL_VLAN] = WORDS("  "),
        [COL_CLOSE] = WORDS("close="), [COL_RST_FROM] = WORDS(" rst_from="),
        [COL_CLOSER] = WORDS(" active="), [COL_CSTATE] = WORDS(" client="),
        [COL_SSTATE] = WORDS(" server="),
        [COL_DURATION] = WORDS(" close_time="),
        [COL_FRAMES] = WORDS(" frames="), [COL_FLAGS] = WORDS(" flags="),
    };
#undef WORDS
    GString *line = r->line;
    gsize room = 1 + sizeof "vlan= "; /* the newline, a VLAN's words */
    char *p;

    for (int col = 0; col < N_COLS; col++)
        room += before[col].len + c->len[col];
    g_string_set_size(line, room);
    p = line->str;
    for (int col = 0; col < N_COLS; col++) {
        p = fs_put_bytes(p, before[col].text, before[col].len);
        if (col == COL_VLAN) {
            if (c->cell[COL_VLAN][0] != '-') {
                p = fs_put_bytes(p, "vlan=", 5);
                p = fs_put_bytes(p, c->cell[col], c->len[col]);
                *p++ = ' ';
            }
            continue;
        }
        p = fs_put_bytes(p, c->cell[col], c->len[col]);
    }
    *p++ = '\n';
    fwrite(line->str, 1, (gsize)(p - line->str), r->out);
}

/* A row of r->rows: its N_COLS cells (and a NULL) and their text, in one
 * block (g_free() frees it). */
static char **
row_of(const Cells *c)
{
    gsize text = 0;
    char **row;
    char *p;

    for (int col = 0; col < N_COLS; col++)
        text += c->len[col] + 1;
    row = g_malloc((N_COLS + 1) * sizeof(char *) + text);
    p = (char *)(row + N_COLS + 1);
    for (int col = 0; col < N_COLS; col++) {
        row[col] = p;
        p = fs_put_bytes(p, c->cell[col], c->len[col]);
        *p++ = '\0';
    }
    row[N_COLS] = NULL;
    return row;
}

/* The cells of a row of r->rows, as print_conn_line() takes them. */
static void
cells_of_row(char **row, Cells *c)
{
    for (int col = 0; col < N_COLS; col++) {
        c->cell[col] = row[col];
        c->len[col] = strlen(row[col]);
    }
}

void
fs_report_text_conn(FsReport *r, const FsConn *conn,
                    const FsOutcome *outcome)
{
    Cells c;

    if (fs_flood_add(r->flood, conn))
        return; /* a flood's half-open ones: counted, not listed */
    cells_of(r, conn, outcome, r->cells, &c);
    if (r->streaming) {
        print_conn_line(r, &c);
        return;
    }
    g_ptr_array_add(r->rows, row_of(&c));
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
    for (guint i = 0; i < r->rows->len; i++) {
        Cells c;

        cells_of_row(g_ptr_array_index(r->rows, i), &c);
        print_conn_line(r, &c);
    }
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

/* Files not read to their end, cut inside a record or stopped by a
 * read error: the report covers what came before. */
static void
print_truncated(FsReport *r)
{
    for (guint i = 0; r->truncated != NULL && i < r->truncated->len; i++) {
        const FsTruncatedFile *t = g_ptr_array_index(r->truncated, i);
        g_autofree char *name = fs_text_escape(t->file, 0);

        if (t->error == NULL) {
            fprintf(r->out, "  TRUNCATED capture     %s ends inside a "
                    "packet record", name);
            if (t->bytes_read >= 0)
                fprintf(r->out, " after %" G_GINT64_FORMAT " bytes",
                        t->bytes_read);
        } else {
            g_autofree char *why = fs_text_escape(t->error, 0);

            fprintf(r->out, "  TRUNCATED capture     %s: reading stopped "
                    "at record %" G_GUINT64_FORMAT, name,
                    (guint64)t->records_read + 1);
            if (t->bytes_read >= 0)
                fprintf(r->out, ", byte %" G_GINT64_FORMAT, t->bytes_read);
            fprintf(r->out, " (%s)", why);
        }
        fprintf(r->out, ": the report covers the %" G_GUINT32_FORMAT
                " record%s before\n", t->records_read,
                t->records_read == 1 ? "" : "s");
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
    /* (the counts above take them as they are; each record says how
     * little it rests on: confidence low) */
    if (s->by_flag[FS_FLAG_ONE_SIDED] != 0)
        fprintf(o, "  one side captured     %" G_GUINT64_FORMAT " (the other "
                "direction not, or a SYN had no answer: their closers, end "
                "states and TIME_WAIT are guesses)\n",
                s->by_flag[FS_FLAG_ONE_SIDED]);
    if (s->by_flag[FS_FLAG_ROLES_INFERRED] != 0)
        fprintf(o, "  no SYN seen           %" G_GUINT64_FORMAT " (client "
                "and server guessed from the ports)\n",
                s->by_flag[FS_FLAG_ROLES_INFERRED]);
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
    if (stats->options_cut != 0)
        fprintf(o, " (%" G_GUINT64_FORMAT " with TCP options cut by the "
                "snap length)", stats->options_cut);
    for (int k = FS_DECODE_OK + 1; k < FS_DECODE_N_STATUS; k++) {
        if (stats->skipped[k] != 0)
            fprintf(o, ", %" G_GUINT64_FORMAT " %s", stats->skipped[k],
                    fs_decode_status_name((FsDecodeStatus)k));
    }
    fprintf(o, "\n");
    print_truncated(r);
    if (stats->back_in_time != 0)
        fprintf(o, "  OUT OF TIME ORDER     %" G_GUINT64_FORMAT " frames more "
                "than 1 s older than one before them (at most %.3f s): "
                "captures joined end to end or replayed? Verdicts around "
                "them may be wrong\n",
                stats->back_in_time,
                (double)stats->back_in_time_most / (double)FS_NS_PER_SEC);
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
