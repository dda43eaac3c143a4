/* finscope: over time — per host and step, TIME_WAIT and CLOSE_WAIT
 * held, closes by closer and resets (--timeline), and a plot of the
 * busiest hosts (--plot).
 *
 * Both come from the finished records: each endpoint's TIME_WAIT span
 * (entered, and left after 2*MSL or when reuse or an RST cut it short),
 * its CLOSE_WAIT span (the peer's FIN to its own FIN, an RST, or the end
 * of the capture), and each connection's first FIN and first RST. A
 * step's "held" is the most held at once during it. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "finscope/classify.h"
#include "finscope/error.h"
#include "finscope/timeline.h"

enum { MARK_CLIENT, MARK_SERVER, MARK_SIMULTANEOUS, MARK_RESET, N_MARKS };

typedef struct {
    FsTime t;
    gint64 what;         /* MARK_* */
} Mark;

typedef struct {
    char *name;          /* the host's address */
    GArray *tw;          /* FsTime pairs: entered, left */
    GArray *cw;          /* FsTime pairs: entered, left (or G_MAXINT64) */
    GArray *marks;       /* Mark: closes and resets it took part in */
    gboolean sorted;     /* host_sort(): tw and cw are (time, +1/-1)
                          * edges in time order, marks in time order */
} Host;

struct FsTimeline {
    FsTime step;
    FsTime msl;
    GHashTable *by_name; /* name -> Host* */
    GPtrArray *hosts;    /* Host*, in order of first record */
    FsEngineSink inner;  /* fs_timeline_tee() */
};

/* One host's series over the plot's points. */
typedef struct {
    guint n;             /* points */
    gint64 *tw;          /* most in TIME_WAIT at once, per point */
    gint64 *cw;          /* most in CLOSE_WAIT at once, per point */
} Series;

static void
host_free(gpointer p)
{
    Host *h = p;

    g_free(h->name);
    g_array_unref(h->tw);
    g_array_unref(h->cw);
    g_array_unref(h->marks);
    g_free(h);
}

FsTimeline *
fs_timeline_new(FsTime step, FsTime msl)
{
    FsTimeline *tl = g_new0(FsTimeline, 1);

    tl->step = step > 0 ? step : FS_NS_PER_SEC;
    tl->msl = msl;
    tl->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    tl->hosts = g_ptr_array_new_with_free_func(host_free);
    return tl;
}

void
fs_timeline_free(FsTimeline *tl)
{
    if (tl == NULL)
        return;
    g_hash_table_destroy(tl->by_name);
    g_ptr_array_unref(tl->hosts);
    g_free(tl);
}

static Host *
host_of(FsTimeline *tl, const FsAddr *addr)
{
    char name[FS_ENDPOINT_STRLEN];
    Host *h;

    fs_addr_format(addr, name, sizeof name);
    h = g_hash_table_lookup(tl->by_name, name);
    if (h != NULL)
        return h;
    h = g_new0(Host, 1);
    h->name = g_strdup(name);
    h->tw = g_array_new(FALSE, FALSE, sizeof(FsTime));
    h->cw = g_array_new(FALSE, FALSE, sizeof(FsTime));
    h->marks = g_array_new(FALSE, FALSE, sizeof(Mark));
    g_hash_table_insert(tl->by_name, h->name, h);
    g_ptr_array_add(tl->hosts, h);
    return h;
}

static void
add_span(GArray *spans, FsTime from, FsTime to)
{
    g_array_append_val(spans, from);
    g_array_append_val(spans, to);
}

/* The passive side sits in CLOSE_WAIT from the peer's FIN to its own
 * FIN (or an RST, or for good). */
static void
add_close_wait(Host *h, const FsConn *conn, FsRole role)
{
    const FsEndpoint *ep = &conn->ep[role];
    const FsEndpoint *peer = &conn->ep[fs_role_peer(role)];
    FsTime left = G_MAXINT64;

    if (!peer->fin_sent || conn->simultaneous ||
        (ep->fin_sent && ep->fin_time <= peer->fin_time))
        return;
    if (ep->fin_sent)
        left = ep->fin_time;
    if (conn->rst_time != FS_TIME_UNSET && conn->rst_time < left)
        left = conn->rst_time;
    add_span(h->cw, peer->fin_time, MAX(left, peer->fin_time));
}

static void
add_time_wait(Host *h, const FsEndpoint *ep, FsTime msl)
{
    if (ep->time_wait_since == FS_TIME_UNSET)
        return;
    add_span(h->tw, ep->time_wait_since, fs_endpoint_time_wait_end(ep, msl));
}

static void
add_marks(Host *h, const FsConn *conn, FsCloser closer)
{
    Mark m;

    if (closer != FS_CLOSER_NONE) {
        m.what = closer;
        m.t = closer == FS_CLOSER_SERVER
                  ? conn->ep[FS_ROLE_SERVER].fin_time
                  : conn->ep[FS_ROLE_CLIENT].fin_time;
        if (m.t != FS_TIME_UNSET)
            g_array_append_val(h->marks, m);
    }
    if (conn->rst_time != FS_TIME_UNSET) {
        m.what = MARK_RESET;
        m.t = conn->rst_time;
        g_array_append_val(h->marks, m);
    }
}

static void
timeline_add(FsTimeline *tl, const FsConn *conn, const FsOutcome *o)
{
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        Host *h = host_of(tl, &conn->addr[r]);

        add_time_wait(h, &conn->ep[r], tl->msl);
        add_close_wait(h, conn, (FsRole)r);
        add_marks(h, conn, o->active_closer);
    }
}

/* fs_timeline_tee() installs this only over an inner on_event */
static void
tee_event(const FsEvent *ev, const FsConn *conn, gpointer user)
{
    FsTimeline *tl = user;

    tl->inner.on_event(ev, conn, tl->inner.user);
}

static void
tee_conn(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    FsTimeline *tl = user;

    timeline_add(tl, conn, outcome);
    if (tl->inner.on_conn != NULL)
        tl->inner.on_conn(conn, outcome, tl->inner.user);
}

FsEngineSink
fs_timeline_tee(FsTimeline *tl, const FsEngineSink *inner)
{
    FsEngineSink sink = { .on_event = tee_event,
                          .on_conn = tee_conn,
                          .user = tl };

    tl->inner = *inner;
    /* the timeline reads records only: events the inner sink drops are
     * not asked for (the engine, or a stage over this, skips them) */
    if (inner->on_event == NULL)
        sink.on_event = NULL;
    return sink;
}

/* ---- series ---- */

/* Rows are found by walking each host's edges in time order, not by
 * filling an array a step long: one packet dated decades off, as
 * corrupt captures have, makes billions of steps, nearly all empty. */

/* A step's index from t0; a time before t0 counts in step 0. */
static guint64
step_of(FsTime t, FsTime t0, FsTime step)
{
    if (t < t0)
        return 0;
    return ((guint64)t - (guint64)t0) / (guint64)step;
}

/* The steps `step` wide from t_first to t_last. */
static guint64
n_steps_of(FsTime step, FsTime t_first, FsTime t_last)
{
    if (t_last <= t_first)
        return 1;
    return ((guint64)t_last - (guint64)t_first) / (guint64)step + 1;
}

static guint64
n_steps(const FsTimeline *tl, FsTime t_first, FsTime t_last)
{
    return n_steps_of(tl->step, t_first, t_last);
}

/* (time, +1/-1) pairs; a leaving sorts before an entering at the same
 * time: one left as the other came. */
static gint
edge_cmp(gconstpointer a, gconstpointer b)
{
    const FsTime *x = a;
    const FsTime *y = b;

    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

static gint
mark_cmp(gconstpointer a, gconstpointer b)
{
    const Mark *x = a;
    const Mark *y = b;

    return x->t < y->t ? -1 : x->t > y->t;
}

/* The spans (entered, left pairs) as edges in time order. */
static GArray *
spans_to_edges(const GArray *spans)
{
    const FsTime *s = (const FsTime *)(gpointer)spans->data;
    GArray *edges = g_array_sized_new(FALSE, FALSE, sizeof(FsTime),
                                      2 * spans->len);

    for (guint i = 0; i < spans->len; i++) {
        FsTime e[2] = { s[i], i % 2 == 0 ? 1 : -1 };

        g_array_append_vals(edges, e, 2);
    }
    if (edges->len > 0)
        qsort(edges->data, spans->len, 2 * sizeof(FsTime), edge_cmp);
    return edges;
}

/* Once the records are in: spans become sorted edges, marks sorted. */
static void
host_sort(Host *h)
{
    GArray *tw;
    GArray *cw;

    if (h->sorted)
        return;
    tw = spans_to_edges(h->tw);
    cw = spans_to_edges(h->cw);
    g_array_unref(h->tw);
    g_array_unref(h->cw);
    h->tw = tw;
    h->cw = cw;
    g_array_sort(h->marks, mark_cmp);
    h->sorted = TRUE;
}

/* One host's edges, walked a step at a time. */
typedef struct {
    const FsTime *edges; /* (time, +1/-1) pairs */
    guint n;             /* pairs */
    guint i;             /* the next pair */
    gint64 cur;          /* held before it */
} Walk;

static void
walk_init(Walk *w, const GArray *edges)
{
    w->edges = (const FsTime *)(gpointer)edges->data;
    w->n = edges->len / 2;
    w->i = 0;
    w->cur = 0;
}

/* The step of the next edge, or G_MAXUINT64. */
static guint64
walk_next(const Walk *w, FsTime t0, FsTime step)
{
    return w->i < w->n ? step_of(w->edges[2 * w->i], t0, step) : G_MAXUINT64;
}

/* The most held at once during step b; the walk moves past it. */
static gint64
walk_step(Walk *w, guint64 b, FsTime t0, FsTime step)
{
    gint64 most = w->cur;

    while (w->i < w->n && step_of(w->edges[2 * w->i], t0, step) <= b) {
        w->cur += w->edges[2 * w->i + 1];
        most = MAX(most, w->cur);
        w->i++;
    }
    return most;
}

/* One row: a host's step, or a run of steps alike. */
typedef struct {
    gint64 tw;           /* most in TIME_WAIT at once */
    gint64 cw;           /* most in CLOSE_WAIT at once */
    gint64 marks[N_MARKS];
} Row;

/* Called for `count` steps alike from step b; FALSE stops the walk. */
typedef gboolean (*RowFunc)(const Host *h, guint64 b, guint64 count,
                            const Row *row, gpointer user);

/* Each step of h, of the n from t0, where anything was held or happened,
 * in order. Between two steps where something changes, the steps in
 * between hold what the first left, with no closes or resets: one call
 * for all of them. */
static gboolean
host_rows(const Host *h, FsTime t0, FsTime step, guint64 n, RowFunc func,
          gpointer user)
{
    const Mark *marks = (const Mark *)(gpointer)h->marks->data;
    guint n_marks = h->marks->len;
    guint m = 0;
    Walk tw;
    Walk cw;
    guint64 b;

    walk_init(&tw, h->tw);
    walk_init(&cw, h->cw);
    while (m < n_marks && marks[m].t < t0)
        m++;
    b = MIN(walk_next(&tw, t0, step), walk_next(&cw, t0, step));
    if (m < n_marks)
        b = MIN(b, step_of(marks[m].t, t0, step));
    while (b < n) {
        Row row = { 0 };
        guint64 next;

        row.tw = walk_step(&tw, b, t0, step);
        row.cw = walk_step(&cw, b, t0, step);
        for (; m < n_marks && step_of(marks[m].t, t0, step) == b; m++)
            row.marks[marks[m].what]++;
        if ((row.tw | row.cw | row.marks[MARK_CLIENT] |
             row.marks[MARK_SERVER] | row.marks[MARK_SIMULTANEOUS] |
             row.marks[MARK_RESET]) != 0 &&
            !func(h, b, 1, &row, user))
            return FALSE;
        next = MIN(walk_next(&tw, t0, step), walk_next(&cw, t0, step));
        if (m < n_marks)
            next = MIN(next, step_of(marks[m].t, t0, step));
        next = MIN(next, n);
        if (next > b + 1 && (tw.cur | cw.cur) != 0) {
            Row still = { .tw = tw.cur, .cw = cw.cur };

            if (!func(h, b + 1, next - b - 1, &still, user))
                return FALSE;
        }
        b = next;
    }
    return TRUE;
}

static gint
host_name_cmp(gconstpointer a, gconstpointer b)
{
    const Host *x = *(Host *const *)a;
    const Host *y = *(Host *const *)b;

    return strcmp(x->name, y->name);
}

/* ---- --timeline ---- */

/* No more rows than this in one --timeline file (about 700 MB of
 * CSV): past it, the --step is too fine for the capture's span. */
#define TIMELINE_ROWS_MAX G_GUINT64_CONSTANT(10000000)

typedef struct {
    FILE *fp;
    gboolean json;
    FsTime t0;
    FsTime step;
    guint64 rows;
} RowOut;

static gboolean
count_row(const Host *h, guint64 b, guint64 count, const Row *row,
          gpointer user)
{
    RowOut *out = user;

    (void)h;
    (void)b;
    (void)row;
    out->rows += count;
    return out->rows <= TIMELINE_ROWS_MAX;
}

static gboolean
write_row(const Host *h, guint64 b, guint64 count, const Row *r,
          gpointer user)
{
    RowOut *out = user;

    for (guint64 k = 0; k < count; k++) {
        FsTime t = (FsTime)((guint64)out->t0 + (b + k) * (guint64)out->step);
        gint64 sec = t / FS_NS_PER_SEC;
        gint64 ns = t % FS_NS_PER_SEC;

        if (out->json)
            fprintf(out->fp, "{\"time\":%" G_GINT64_FORMAT ".%09"
                    G_GINT64_FORMAT ",\"host\":\"%s\",\"time_wait\":%"
                    G_GINT64_FORMAT ",\"close_wait\":%" G_GINT64_FORMAT
                    ",\"closes\":{\"client\":%" G_GINT64_FORMAT
                    ",\"server\":%" G_GINT64_FORMAT ",\"simultaneous\":%"
                    G_GINT64_FORMAT "},\"resets\":%" G_GINT64_FORMAT "}\n",
                    sec, ns, h->name, r->tw, r->cw, r->marks[MARK_CLIENT],
                    r->marks[MARK_SERVER], r->marks[MARK_SIMULTANEOUS],
                    r->marks[MARK_RESET]);
        else
            fprintf(out->fp, "%" G_GINT64_FORMAT ".%09" G_GINT64_FORMAT
                    ",%s,%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%"
                    G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT
                    ",%" G_GINT64_FORMAT "\n", sec, ns, h->name, r->tw,
                    r->cw, r->marks[MARK_CLIENT], r->marks[MARK_SERVER],
                    r->marks[MARK_SIMULTANEOUS], r->marks[MARK_RESET]);
    }
    return TRUE;
}

/* Hosts by name, each host's edges and marks in time order (both
 * --timeline and --plot; the second call only sorts names again). */
static void
sort_hosts(FsTimeline *tl)
{
    g_ptr_array_sort(tl->hosts, host_name_cmp);
    for (guint i = 0; i < tl->hosts->len; i++)
        host_sort(g_ptr_array_index(tl->hosts, i));
}

static gboolean
close_file(FILE *fp, const char *path, GError **error)
{
    gboolean bad = ferror(fp) != 0;
    int saved = errno;

    if (fclose(fp) != 0 || bad) {
        g_set_error(error, FS_ERROR, FS_ERROR_WRITE, "%s: %s", path,
                    g_strerror(bad ? saved : errno));
        return FALSE;
    }
    return TRUE;
}

static FILE *
open_file(const char *path, GError **error)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL) {
        int saved = errno;

        g_set_error(error, FS_ERROR, FS_ERROR_WRITE, "%s: %s", path,
                    g_strerror(saved));
    }
    return fp;
}

/* The rows are counted before the file is opened: a --step too fine
 * for the span fails with the figures to choose another. */
gboolean
fs_timeline_write(FsTimeline *tl, const char *path, FsTime t_first,
                  FsTime t_last, GError **error)
{
    guint64 n = n_steps(tl, t_first, t_last);
    RowOut out = { NULL, g_str_has_suffix(path, ".json") ||
                             g_str_has_suffix(path, ".ndjson"),
                   t_first, tl->step, 0 };

    sort_hosts(tl);
    for (guint i = 0; i < tl->hosts->len; i++) {
        if (!host_rows(g_ptr_array_index(tl->hosts, i), t_first, tl->step,
                       n, count_row, &out)) {
            g_autofree char *from = fs_time_format(t_first);
            g_autofree char *to = fs_time_format(t_last);

            g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                        "%s: more than %" G_GUINT64_FORMAT " rows at "
                        "--step %g s from %s to %s (%.9g s); give a larger "
                        "--step", path, TIMELINE_ROWS_MAX,
                        (double)tl->step / 1e9, from, to,
                        (double)(n - 1) * (double)tl->step / 1e9);
            return FALSE;
        }
    }
    out.fp = open_file(path, error);
    if (out.fp == NULL)
        return FALSE;
    if (!out.json)
        fprintf(out.fp, "time,host,time_wait,close_wait,closes_client,"
                "closes_server,closes_simultaneous,resets\n");
    for (guint i = 0; i < tl->hosts->len; i++)
        (void)host_rows(g_ptr_array_index(tl->hosts, i), t_first, tl->step,
                        n, write_row, &out);
    return close_file(out.fp, path, error);
}

/* ---- --plot ---- */

#define PLOT_HOSTS 5
#define SVG_W 960
#define SVG_H 480
#define PAD_L 80
#define PAD_R 260
#define PAD_T 50
#define PAD_B 60
/* Points on a line at most: two a pixel of the plot's width. A capture
 * longer than that many --steps is drawn with wider steps, each
 * point the most held in its --steps. */
#define PLOT_POINTS (2 * (SVG_W - PAD_L - PAD_R))

static const char *const colours[PLOT_HOSTS] = {
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
};

typedef struct {
    const Host *host;
    gint64 peak;         /* most TIME_WAIT plus CLOSE_WAIT in a step */
    Series s;
} Plotted;

static gint
plotted_cmp(gconstpointer a, gconstpointer b)
{
    const Plotted *x = a;
    const Plotted *y = b;

    if (x->peak != y->peak)
        return x->peak > y->peak ? -1 : 1;
    return strcmp(x->host->name, y->host->name);
}

/* A round axis maximum at or above v: 1, 2, 5 times a power of ten. */
static gint64
nice_max(gint64 v)
{
    gint64 p = 1;

    while (TRUE) {
        if (v <= p)
            return p;
        if (v <= 2 * p)
            return 2 * p;
        if (v <= 5 * p)
            return 5 * p;
        p *= 10;
    }
}

static void
series_init(Series *s, guint n)
{
    s->n = n;
    s->tw = g_new(gint64, n);
    s->cw = g_new(gint64, n);
}

static void
series_clear(Series *s)
{
    g_free(s->tw);
    g_free(s->cw);
}

/* The most held at once per point, a point `step` wide from t0. */
static void
series_fill(const Host *h, FsTime t0, FsTime step, Series *s)
{
    Walk tw;
    Walk cw;

    walk_init(&tw, h->tw);
    walk_init(&cw, h->cw);
    for (guint b = 0; b < s->n; b++) {
        s->tw[b] = walk_step(&tw, b, t0, step);
        s->cw[b] = walk_step(&cw, b, t0, step);
    }
}

/* The busiest hosts (TIME_WAIT plus CLOSE_WAIT), at most PLOT_HOSTS. */
static GArray *
pick_hosts(const FsTimeline *tl, FsTime t0, FsTime step, guint n)
{
    GArray *all = g_array_new(FALSE, TRUE, sizeof(Plotted));
    Series s;

    series_init(&s, n);
    for (guint i = 0; i < tl->hosts->len; i++) {
        Plotted p = { g_ptr_array_index(tl->hosts, i), 0, { 0 } };

        series_fill(p.host, t0, step, &s);
        for (guint b = 0; b < n; b++)
            p.peak = MAX(p.peak, s.tw[b] + s.cw[b]);
        if (p.peak > 0)
            g_array_append_val(all, p);
    }
    series_clear(&s);
    g_array_sort(all, plotted_cmp);
    if (all->len > PLOT_HOSTS)
        g_array_set_size(all, PLOT_HOSTS);
    for (guint i = 0; i < all->len; i++) {
        Plotted *p = &g_array_index(all, Plotted, i);

        series_init(&p->s, n);
        series_fill(p->host, t0, step, &p->s);
    }
    return all;
}

static void
plot_axes(GString *o, double span_s, gint64 ymax, FsTime t0, FsTime step)
{
    g_autofree char *start = fs_time_format(t0);
    int w = SVG_W - PAD_L - PAD_R;
    int h = SVG_H - PAD_T - PAD_B;

    g_string_append_printf(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
                           "height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n",
                           PAD_L, PAD_T, w, h);
    for (int i = 0; i <= 5; i++) {
        double x = PAD_L + w * i / 5.0;
        double y = PAD_T + h - h * i / 5.0;

        g_string_append_printf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
                               "y2=\"%d\" stroke=\"#444\"/>\n<text x=\"%.1f\" "
                               "y=\"%d\" text-anchor=\"middle\">%.1f</text>\n",
                               x, PAD_T + h, x, PAD_T + h + 5, x,
                               PAD_T + h + 20, span_s * i / 5.0);
        g_string_append_printf(o, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
                               "y2=\"%.1f\" stroke=\"#ddd\"/>\n<text x=\"%d\" "
                               "y=\"%.1f\" text-anchor=\"end\">%"
                               G_GINT64_FORMAT "</text>\n", PAD_L, y,
                               PAD_L + w, y, PAD_L - 6, y + 4, ymax * i / 5);
    }
    g_string_append_printf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
                           "seconds since %s</text>\n", PAD_L + w / 2,
                           SVG_H - 15, start);
    g_string_append_printf(o, "<text transform=\"translate(20,%d) "
                           "rotate(-90)\" text-anchor=\"middle\">endpoints "
                           "held (most at once in each %.9g s)</text>\n",
                           PAD_T + h / 2, (double)step / 1e9);
}

static void
plot_line(GString *o, const gint64 *v, guint n, gint64 ymax,
          const char *colour, gboolean dashed)
{
    int w = SVG_W - PAD_L - PAD_R;
    int h = SVG_H - PAD_T - PAD_B;

    g_string_append_printf(o, "<polyline fill=\"none\" stroke=\"%s\" "
                           "stroke-width=\"2\"%s points=\"", colour,
                           dashed ? " stroke-dasharray=\"6,4\"" : "");
    for (guint b = 0; b < n; b++)
        g_string_append_printf(o, "%s%.1f,%.1f", b > 0 ? " " : "",
                               PAD_L + w * (b + 0.5) / n,
                               PAD_T + h - (double)h * (double)v[b] /
                                               (double)ymax);
    g_string_append(o, "\"/>\n");
}

static void
plot_legend(GString *o, const GArray *hosts)
{
    int x = SVG_W - PAD_R + 20;

    for (guint i = 0; i < hosts->len; i++) {
        const Plotted *p = &g_array_index(hosts, Plotted, i);

        for (int k = 0; k < 2; k++) {
            int y = PAD_T + 10 + 36 * (int)i + 16 * k;

            g_string_append_printf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
                                   "y2=\"%d\" stroke=\"%s\" stroke-width=\"2\""
                                   "%s/>\n<text x=\"%d\" y=\"%d\">%s %s"
                                   "</text>\n", x, y, x + 24, y, colours[i],
                                   k ? " stroke-dasharray=\"6,4\"" : "",
                                   x + 30, y + 4, p->host->name,
                                   k ? "CLOSE_WAIT" : "TIME_WAIT");
        }
    }
}

gboolean
fs_timeline_plot(FsTimeline *tl, const char *path, FsTime t_first,
                 FsTime t_last, GError **error)
{
    guint64 steps = n_steps(tl, t_first, t_last);
    FsTime step = tl->step * (FsTime)((steps + PLOT_POINTS - 1) / PLOT_POINTS);
    guint n = (guint)n_steps_of(step, t_first, t_last);
    g_autoptr(GArray) hosts = NULL;
    g_autoptr(GString) o = g_string_new(NULL);
    gint64 ymax = 1;
    FILE *fp;

    sort_hosts(tl);
    hosts = pick_hosts(tl, t_first, step, n);
    for (guint i = 0; i < hosts->len; i++) {
        const Plotted *p = &g_array_index(hosts, Plotted, i);

        for (guint b = 0; b < n; b++)
            ymax = MAX(ymax, MAX(p->s.tw[b], p->s.cw[b]));
    }
    ymax = nice_max(ymax);
    g_string_append_printf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                           "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                           "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                           "font-family=\"sans-serif\" font-size=\"12\">\n"
                           "<title>finscope: TIME_WAIT and CLOSE_WAIT held"
                           "</title>\n<rect width=\"100%%\" height=\"100%%\" "
                           "fill=\"white\"/>\n<text x=\"%d\" y=\"28\" "
                           "font-size=\"16\">TIME_WAIT (solid) and CLOSE_WAIT "
                           "(dashed) held, the %u busiest hosts</text>\n",
                           SVG_W, SVG_H, SVG_W, SVG_H, PAD_L, hosts->len);
    plot_axes(o, (double)n * (double)step / 1e9, ymax, t_first, step);
    for (guint i = 0; i < hosts->len; i++) {
        const Plotted *p = &g_array_index(hosts, Plotted, i);

        plot_line(o, p->s.tw, n, ymax, colours[i], FALSE);
        plot_line(o, p->s.cw, n, ymax, colours[i], TRUE);
    }
    plot_legend(o, hosts);
    g_string_append(o, "</svg>\n");
    for (guint i = 0; i < hosts->len; i++)
        series_clear(&g_array_index(hosts, Plotted, i).s);
    fp = open_file(path, error);
    if (fp == NULL)
        return FALSE;
    fwrite(o->str, 1, o->len, fp);
    return close_file(fp, path, error);
}
