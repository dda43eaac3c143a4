/* finscope: the ladder diagram of one connection (finscope --ladder): the
 * two endpoints as columns, each segment an arrow between them, each
 * side's state where it changes, and the events beside the segment that
 * caused them. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/classify.h"
#include "finscope/handoff.h"
#include "finscope/ladder.h"
#include "finscope/report.h"

/* Columns of the arrow between the two bars. */
#define ARROW_W 44
/* Segments drawn in full at the end of a connection that never closed. */
#define TAIL_ROWS 6

typedef struct {
    FsSegment seg;       /* valid when has_seg */
    gboolean has_seg;    /* FALSE: a line for events a timer caused */
    FsRole sender;       /* who sent seg */
    guint first_event;   /* its events: events[first_event ...] (read
                            only with n_events > 0: row_add_event()) */
    guint n_events;
} Row;

struct FsLadder {
    FsConn conn;         /* the final record */
    GArray *rows;        /* Row, in capture order */
    GArray *events;      /* FsEvent, grouped by row */
};

typedef struct {
    const char *bar;     /* endpoint column */
    const char *line;    /* arrow shaft */
    const char *right;   /* arrow head, client to server */
    const char *left;    /* arrow head, server to client */
    const char *dots;    /* elision */
} Glyphs;

static const Glyphs ascii_glyphs = { "|", "-", ">", "<", "..." };
static const Glyphs utf8_glyphs = { "\u2502", "\u2500", "\u25b6", "\u25c0",
                                    "\u2026" };

#define SGR_STATE "\033[1;36m"
#define SGR_ANOMALY "\033[31m"
#define SGR_DIM "\033[2m"
#define SGR_OFF "\033[0m"

typedef struct {
    const FsLadder *ladder;
    const FsLadderStyle *style;
    const Glyphs *g;
    GString *out;
    guint32 base[2];     /* each side's ISN, for relative numbers */
    FsTime prev_ts;      /* previous segment's time; -1 = none yet */
} Pen;

FsLadder *
fs_ladder_new(const FsConn *conn)
{
    FsLadder *l = g_new0(FsLadder, 1);

    g_return_val_if_fail(conn != NULL, l);
    l->conn = *conn;
    l->conn.older = NULL;
    l->rows = g_array_new(FALSE, TRUE, sizeof(Row));
    l->events = g_array_new(FALSE, TRUE, sizeof(FsEvent));
    return l;
}

void
fs_ladder_free(FsLadder *l)
{
    if (l == NULL)
        return;
    g_array_unref(l->rows);
    g_array_unref(l->events);
    g_free(l);
}

void
fs_ladder_segment(FsLadder *l, const FsSegment *seg)
{
    Row row;
    const FsConn *c = &l->conn;

    memset(&row, 0, sizeof row);
    row.seg = *seg;
    row.has_seg = TRUE;
    row.sender = seg->sport == c->port[FS_ROLE_CLIENT] &&
                         fs_addr_equal(&seg->src, &c->addr[FS_ROLE_CLIENT])
                     ? FS_ROLE_CLIENT
                     : FS_ROLE_SERVER;
    g_array_append_val(l->rows, row);
}

/* Does row hold a state change of role's? */
static gboolean
row_has_state_of(const FsLadder *l, const Row *row, gint8 role)
{
    for (guint i = 0; i < row->n_events; i++) {
        const FsEvent *e = &g_array_index(l->events, FsEvent,
                                          row->first_event + i);

        if (e->kind == FS_EV_STATE && e->role == role)
            return TRUE;
    }
    return FALSE;
}

/* Where a line for ev, an event a timer caused, goes: before the first
 * segment captured after its time (settling happens lazily, on a later
 * packet or at the end, but the line belongs at its time) — yet, a
 * state change, after its endpoint's state changes said before it (a
 * state entered at the frame that proved it, dated back, comes before
 * the state that follows from it). */
static guint
timer_row_place(const FsLadder *l, const FsEvent *ev)
{
    guint i = l->rows->len;

    while (i > 0 && g_array_index(l->rows, Row, i - 1).seg.ts > ev->ts &&
           !(ev->kind == FS_EV_STATE &&
             row_has_state_of(l, &g_array_index(l->rows, Row, i - 1),
                              ev->role)))
        i--;
    return i;
}

/* ev, one of row's: its events stay together in events, in order. A
 * segment's row is added before the engine runs the segment, and a
 * timer's row may get its events in between (a sweep before that
 * segment proved an ACK by silence: rows dated earlier), so a row's
 * first event is where it lands, and one landing behind another row's
 * events makes room for itself. */
static void
row_add_event(FsLadder *l, Row *row, const FsEvent *ev)
{
    guint pos;

    if (row->n_events == 0)
        row->first_event = l->events->len;
    pos = row->first_event + row->n_events;
    if (pos < l->events->len) {
        for (guint i = 0; i < l->rows->len; i++) {
            Row *r = &g_array_index(l->rows, Row, i);

            if (r != row && r->n_events > 0 && r->first_event >= pos)
                r->first_event++;
        }
    }
    g_array_insert_val(l->events, pos, *ev);
    row->n_events++;
}

void
fs_ladder_event(FsLadder *l, const FsEvent *ev)
{
    Row *last = l->rows->len > 0
                    ? &g_array_index(l->rows, Row, l->rows->len - 1)
                    : NULL;
    FsEvent copy = *ev;

    copy.conn = NULL;
    if (last == NULL || ev->frame == 0 || !last->has_seg ||
        last->seg.frame != ev->frame || last->seg.source != ev->source) {
        Row row;
        guint at = timer_row_place(l, ev);

        memset(&row, 0, sizeof row);
        row.seg.ts = ev->ts;
        g_array_insert_val(l->rows, at, row);
        last = &g_array_index(l->rows, Row, at);
    }
    row_add_event(l, last, &copy);
}

/* ---- drawing ---- */

static const FsEvent *
row_event(const Pen *p, const Row *row, guint i)
{
    return &g_array_index(p->ladder->events, FsEvent, row->first_event + i);
}

/* Events said beside the arrow: all but state changes (the columns show
 * them) and the FIN and RST the arrow shows. */
static gboolean
is_note(const FsEvent *ev)
{
    return ev->kind != FS_EV_STATE && ev->kind != FS_EV_FIN &&
           ev->kind != FS_EV_RST;
}

static guint
row_notes(const Pen *p, const Row *row)
{
    guint n = 0;

    for (guint i = 0; i < row->n_events; i++)
        n += is_note(row_event(p, row, i)) ? 1 : 0;
    return n;
}

/* The state role entered at this row, or -1. */
static int
row_state(const Pen *p, const Row *row, FsRole role)
{
    int st = -1;

    for (guint i = 0; i < row->n_events; i++) {
        const FsEvent *ev = row_event(p, row, i);

        if (ev->kind == FS_EV_STATE && ev->role == (gint8)role)
            st = ev->transition.to;
    }
    return st;
}

static void
append_repeat(GString *s, const char *what, int n)
{
    for (int i = 0; i < n; i++)
        g_string_append(s, what);
}

/* A state name padded to 12 columns, coloured on a terminal. */
static void
put_state(Pen *p, int st)
{
    const char *name = st < 0 ? "" : fs_tcp_state_name((FsTcpState)st);

    if (st >= 0 && p->style->colour)
        g_string_append_printf(p->out, SGR_STATE "%-12s" SGR_OFF, name);
    else
        g_string_append_printf(p->out, "%-12s", name);
}

/* Time since the previous segment: "+71us", "+207.7ms", "+2.006s". */
static char *
delta_string(FsTime d)
{
    if (d < 0)
        return g_strdup("");
    if (d < 1000000)
        return g_strdup_printf("+%" G_GINT64_FORMAT "us", d / 1000);
    if (d < FS_NS_PER_SEC)
        return g_strdup_printf("+%.1fms", (double)d / 1e6);
    return g_strdup_printf("+%.3fs", (double)d / 1e9);
}

/* "[FIN, ACK] seq=301 ack=667 len=12", seq and ack relative. */
static char *
arrow_label(const Pen *p, const Row *row)
{
    static const struct {
        guint8 bit;
        const char *name;
    } names[] = {
        { FS_TH_SYN, "SYN" }, { FS_TH_FIN, "FIN" }, { FS_TH_RST, "RST" },
        { FS_TH_PSH, "PSH" }, { FS_TH_ACK, "ACK" }, { FS_TH_URG, "URG" },
        { FS_TH_ECE, "ECE" }, { FS_TH_CWR, "CWR" },
    };
    const FsSegment *seg = &row->seg;
    GString *s = g_string_new("[");

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        if (seg->flags & names[i].bit)
            g_string_append_printf(s, "%s%s", s->len > 1 ? ", " : "",
                                   names[i].name);
    }
    g_string_append_printf(s, "] seq=%u", seg->seq - p->base[row->sender]);
    if (seg->flags & FS_TH_ACK)
        g_string_append_printf(s, " ack=%u",
                               seg->ack - p->base[fs_role_peer(row->sender)]);
    if (seg->payload_len > 0)
        g_string_append_printf(s, " len=%u", seg->payload_len);
    return g_string_free(s, FALSE);
}

/* The arrow of a segment, ARROW_W columns between the bars (more when
 * the label is long). */
static void
put_arrow(Pen *p, const Row *row)
{
    g_autofree char *label = arrow_label(p, row);
    int shaft = ARROW_W - 4 - (int)strlen(label);

    shaft = MAX(shaft, 1);
    if (row->sender == FS_ROLE_CLIENT) {
        g_string_append_printf(p->out, "%s %s ", p->g->line, label);
        append_repeat(p->out, p->g->line, shaft);
        g_string_append(p->out, p->g->right);
    } else {
        g_string_append(p->out, p->g->left);
        append_repeat(p->out, p->g->line, shaft);
        g_string_append_printf(p->out, " %s %s", label, p->g->line);
    }
}

/* text centred between the bars (ASCII text only). */
static void
put_centred(Pen *p, const char *text)
{
    int len = (int)g_utf8_strlen(text, -1);
    int left = MAX((ARROW_W - len) / 2, 0);

    g_string_append_printf(p->out, "%*s%s%*s", left, "", text,
                           MAX(ARROW_W - len - left, 0), "");
}

/* frame, time, client state, bar: the start of every line. */
static void
put_lead(Pen *p, const char *frame, const char *delta, int client_state)
{
    g_string_append_printf(p->out, "%6s %9s  ", frame, delta);
    put_state(p, client_state);
    g_string_append_printf(p->out, " %s", p->g->bar);
}

static void
put_note(Pen *p, const FsEvent *ev)
{
    gboolean anomaly = fs_event_kind_is_anomaly(ev->kind);

    g_string_append_printf(p->out, "  %s%s %s%s%s%s",
                           anomaly && p->style->colour ? SGR_ANOMALY : "",
                           anomaly ? "!" : "*", fs_event_kind_name(ev->kind),
                           ev->detail != NULL ? ": " : "",
                           ev->detail != NULL ? ev->detail : "",
                           anomaly && p->style->colour ? SGR_OFF : "");
}

/* The events beside the row's arrow after its first: each a line with
 * the columns empty. */
static void
put_more_notes(Pen *p, const Row *row, guint skip)
{
    for (guint i = 0; i < row->n_events; i++) {
        const FsEvent *ev = row_event(p, row, i);

        if (!is_note(ev) || skip-- > 0)
            continue;
        put_lead(p, "", "", -1);
        g_string_append_printf(p->out, "%*s%s %-12s", ARROW_W, "",
                               p->g->bar, "");
        put_note(p, ev);
        g_string_append_c(p->out, '\n');
    }
}

/* What the arrow's place says on a line of events without its segment:
 * a timer's, or those of a segment counted under a later incarnation
 * (an old duplicate). */
static char *
timer_text(const Pen *p, const Row *row)
{
    for (guint i = 0; i < row->n_events; i++) {
        const FsEvent *ev = row_event(p, row, i);

        if (ev->frame != 0)
            return g_strdup_printf("(frame %u, a later incarnation's)",
                                   ev->frame);
        if (ev->kind == FS_EV_STATE &&
            ev->transition.cause == FS_CAUSE_TIME_WAIT_EXPIRED)
            return g_strdup("(2*MSL passed: TIME_WAIT over)");
        if (ev->kind == FS_EV_STATE &&
            ev->transition.cause == FS_CAUSE_REUSED)
            return g_strdup("(a new SYN reused the 4-tuple)");
        if (ev->kind == FS_EV_STATE &&
            ev->transition.cause == FS_CAUSE_FIN_ACKED)
            return g_strdup("(its ACK arrived: no FIN came again)");
        if (ev->kind == FS_EV_STATE &&
            ev->transition.cause == FS_CAUSE_RECV_FIN)
            return g_strdup("(the FIN arrived, decided at the end)");
    }
    return g_strdup("(no segment: time passed)");
}

static void
put_row(Pen *p, const Row *row)
{
    g_autofree char *frame = row->has_seg
                                 ? g_strdup_printf("%u", row->seg.frame)
                                 : g_strdup("");
    g_autofree char *delta =
        delta_string(p->prev_ts < 0 ? -1 : row->seg.ts - p->prev_ts);
    guint notes = row_notes(p, row);
    g_autofree char *text = row->has_seg ? NULL : timer_text(p, row);

    put_lead(p, frame, delta, row_state(p, row, FS_ROLE_CLIENT));
    if (row->has_seg)
        put_arrow(p, row);
    else
        put_centred(p, text);
    g_string_append_printf(p->out, "%s ", p->g->bar);
    put_state(p, row_state(p, row, FS_ROLE_SERVER));
    for (guint i = 0; i < row->n_events && notes > 0; i++) {
        if (is_note(row_event(p, row, i))) {
            put_note(p, row_event(p, row, i));
            break;
        }
    }
    /* no trailing blanks after a state column left empty */
    while (p->out->len > 0 && p->out->str[p->out->len - 1] == ' ')
        g_string_truncate(p->out, p->out->len - 1);
    g_string_append_c(p->out, '\n');
    if (notes > 1)
        put_more_notes(p, row, 1);
    if (row->has_seg)
        p->prev_ts = row->seg.ts;
}

/* Rows [from, to) as one line: how many segments, bytes and how long,
 * and the states the two sides reached. */
static void
put_collapsed(Pen *p, guint from, guint to)
{
    const Row *rows = (const Row *)(gpointer)p->ladder->rows->data;
    int st[2] = { -1, -1 };
    guint64 bytes = 0;
    g_autofree char *text = NULL;
    g_autofree char *span = NULL;
    g_autofree char *delta = NULL;

    for (guint i = from; i < to; i++) {
        for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
            int s = row_state(p, &rows[i], (FsRole)r);

            st[r] = s >= 0 ? s : st[r];
        }
        bytes += rows[i].seg.payload_len;
    }
    /* "+4.4ms" without its "+"; "" when the capture's clock went back
     * between them (no span said) */
    span = delta_string(rows[to - 1].seg.ts - rows[from].seg.ts);
    delta = delta_string(p->prev_ts < 0 ? -1 : rows[from].seg.ts - p->prev_ts);
    text = g_strdup_printf("%s %u segment%s, %" G_GUINT64_FORMAT " B%s%s %s",
                           p->g->dots, to - from, to - from == 1 ? "" : "s",
                           bytes, span[0] != '\0' ? ", " : "",
                           span[0] != '\0' ? span + 1 : "", p->g->dots);
    put_lead(p, "", delta, st[FS_ROLE_CLIENT]);
    put_centred(p, text);
    g_string_append_printf(p->out, "%s ", p->g->bar);
    put_state(p, st[FS_ROLE_SERVER]);
    while (p->out->len > 0 && p->out->str[p->out->len - 1] == ' ')
        g_string_truncate(p->out, p->out->len - 1);
    g_string_append_c(p->out, '\n');
    p->prev_ts = rows[to - 1].seg.ts;
}

/* Each side's ISN when its SYN was seen, else its first sequence number
 * captured; a side never seen gets the other's first ack less one. */
static void
find_bases(Pen *p)
{
    const FsLadder *l = p->ladder;
    gboolean known[2] = { FALSE, FALSE };
    guint32 first_ack[2] = { 0, 0 };
    gboolean ack_known[2] = { FALSE, FALSE };

    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        known[r] = l->conn.ep[r].isn_known;
        p->base[r] = l->conn.ep[r].isn;
    }
    for (guint i = 0; i < l->rows->len; i++) {
        const Row *row = &g_array_index(l->rows, Row, i);

        if (!row->has_seg)
            continue;
        if (!known[row->sender]) {
            p->base[row->sender] = row->seg.seq - 1;
            known[row->sender] = TRUE;
        }
        if (!ack_known[row->sender] && (row->seg.flags & FS_TH_ACK)) {
            first_ack[row->sender] = row->seg.ack;
            ack_known[row->sender] = TRUE;
        }
    }
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        FsRole peer = fs_role_peer((FsRole)r);

        if (!known[r] && ack_known[peer])
            p->base[r] = first_ack[peer] - 1;
    }
}

/* SYN to the ACK of the SYN-ACK, as the capture point saw it; -1 when
 * the handshake was not captured. */
static FsTime
handshake_rtt(const FsLadder *l)
{
    FsTime syn = -1;
    gboolean syn_ack = FALSE;

    for (guint i = 0; i < l->rows->len; i++) {
        const Row *row = &g_array_index(l->rows, Row, i);
        guint8 f = row->seg.flags;

        if (!row->has_seg)
            continue;
        if ((f & (FS_TH_SYN | FS_TH_ACK)) == FS_TH_SYN &&
            row->sender == FS_ROLE_CLIENT)
            syn = row->seg.ts;
        else if ((f & (FS_TH_SYN | FS_TH_ACK)) == (FS_TH_SYN | FS_TH_ACK))
            syn_ack = syn >= 0;
        else if (syn_ack && row->sender == FS_ROLE_CLIENT &&
                 (f & FS_TH_ACK))
            return row->seg.ts - syn;
    }
    return -1;
}

/* The first row of the close: its first FIN or RST; for a connection
 * that never closed, its last few rows. */
static guint
close_start(const FsLadder *l)
{
    for (guint i = 0; i < l->rows->len; i++) {
        const Row *row = &g_array_index(l->rows, Row, i);

        if (row->has_seg && (row->seg.flags & (FS_TH_FIN | FS_TH_RST)))
            return i;
    }
    return l->rows->len > TAIL_ROWS ? l->rows->len - TAIL_ROWS : 0;
}

static void
put_header(Pen *p)
{
    const FsConn *c = &p->ladder->conn;
    char ep[2][FS_ENDPOINT_STRLEN];
    g_autoptr(GPtrArray) flags = g_ptr_array_new();
    g_autofree char *filter = fs_handoff_filter(c);
    FsOutcome v;
    const char *closer = NULL;
    FsTime rtt = handshake_rtt(p->ladder);
    GString *o = p->out;
    g_autofree char *joined = NULL;
    g_autofree char *vlan = fs_vlan_format(c->vlan, ", inner ");

    fs_classify_outcome(c, &v);
    closer = fs_closer_name(v.active_closer);
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++)
        fs_endpoint_format(&c->addr[r], c->port[r], ep[r], sizeof ep[r]);
    g_string_append_printf(o, "conn #%" G_GUINT64_FORMAT ": client %s -> "
                           "server %s", c->id, ep[0], ep[1]);
    if (vlan != NULL)
        g_string_append_printf(o, " (vlan %s)", vlan);
    g_string_append_printf(o, "\n  close %s, active closer %s; at the end "
                           "client %s, server %s\n",
                           fs_close_kind_name(v.close),
                           closer != NULL ? closer : "none",
                           fs_tcp_state_name(v.end_state[FS_ROLE_CLIENT]),
                           fs_tcp_state_name(v.end_state[FS_ROLE_SERVER]));
    fs_flag_names(v.flags, flags);
    g_ptr_array_add(flags, NULL);
    joined = g_strjoinv(", ", (char **)flags->pdata);
    if (flags->len > 1)
        g_string_append_printf(o, "  flags: %s\n", joined);
    if (rtt >= 0)
        g_string_append_printf(o, "  rtt %.3f ms (SYN to the ACK of the "
                               "SYN-ACK, at the capture point)\n",
                               (double)rtt / 1e6);
    g_string_append_printf(o, "  %" G_GUINT64_FORMAT " packets, frames "
                           "%u-%u; wireshark: %s\n\n", c->packets,
                           c->first_frame, c->last_frame, filter);
    /* two IPv6 endpoints do not fit between the bars (the first line
     * names them whole): their ports do */
    if (strlen(ep[0]) + 1 + strlen(ep[1]) > ARROW_W)
        for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++)
            g_snprintf(ep[r], sizeof ep[r], "port %u", c->port[r]);
    g_string_append_printf(o, "%6s %9s  %-12s %s%-*s%*s%s %s\n", "FRAME",
                           "DELTA", "CLIENT", p->g->bar, ARROW_W / 2, ep[0],
                           ARROW_W - ARROW_W / 2, ep[1], p->g->bar,
                           "SERVER");
}

void
fs_ladder_write(const FsLadder *l, const FsLadderStyle *style, GString *out)
{
    Pen p = { l, style, style->utf8 ? &utf8_glyphs : &ascii_glyphs, out,
              { 0, 0 }, -1 };
    guint start = close_start(l);
    guint run = 0;

    find_bases(&p);
    put_header(&p);
    for (guint i = 0; i < l->rows->len; i++) {
        const Row *row = &g_array_index(l->rows, Row, i);
        gboolean shown = i >= start || !row->has_seg ||
                         row_notes(&p, row) > 0;

        if (!shown) {
            run++;
            continue;
        }
        if (run > 0)
            put_collapsed(&p, i - run, i);
        run = 0;
        put_row(&p, row);
    }
    if (run > 0)
        put_collapsed(&p, l->rows->len - run, l->rows->len);
}
