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
} Host;

struct FsTimeline {
    FsTime step;
    FsTime msl;
    GHashTable *by_name; /* name -> Host* */
    GPtrArray *hosts;    /* Host*, in order of first record */
    FsEngineSink inner;  /* fs_timeline_tee() */
};

/* One host's series over the steps. */
typedef struct {
    guint n;             /* steps */
    gint64 *tw;          /* most in TIME_WAIT at once, per step */
    gint64 *cw;          /* most in CLOSE_WAIT at once, per step */
    gint64 *marks[N_MARKS];
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

/* The most spans open at once in each step from t0. */
static void
held(const GArray *spans, FsTime t0, FsTime step, guint n, gint64 *out)
{
    guint n_edges = spans->len;
    const FsTime *s = (const FsTime *)(gpointer)spans->data;
    g_autofree FsTime *edges = NULL;
    gint64 cur = 0;
    guint e = 0;

    memset(out, 0, n * sizeof *out);
    if (n_edges == 0)
        return;
    edges = g_new(FsTime, 2 * (gsize)n_edges);
    for (guint i = 0; i < n_edges; i++) {
        edges[2 * i] = s[i];
        edges[2 * i + 1] = i % 2 == 0 ? 1 : -1;
    }
    qsort(edges, n_edges, 2 * sizeof(FsTime),
          (int (*)(const void *, const void *))edge_cmp);
    for (guint b = 0; b < n; b++) {
        FsTime end = t0 + (FsTime)(b + 1) * step;
        gint64 most = cur;

        while (e < n_edges && edges[2 * e] < end) {
            cur += edges[2 * e + 1];
            most = MAX(most, cur);
            e++;
        }
        out[b] = most;
    }
}

static void
series_fill(const FsTimeline *tl, const Host *h, FsTime t0, Series *s)
{
    held(h->tw, t0, tl->step, s->n, s->tw);
    held(h->cw, t0, tl->step, s->n, s->cw);
    for (int k = 0; k < N_MARKS; k++)
        memset(s->marks[k], 0, s->n * sizeof(gint64));
    for (guint i = 0; i < h->marks->len; i++) {
        const Mark *m = &g_array_index(h->marks, Mark, i);
        FsTime b = (m->t - t0) / tl->step;

        if (m->t >= t0 && b < (FsTime)s->n)
            s->marks[m->what][b]++;
    }
}

static void
series_init(Series *s, guint n)
{
    s->n = n;
    s->tw = g_new(gint64, n);
    s->cw = g_new(gint64, n);
    for (int k = 0; k < N_MARKS; k++)
        s->marks[k] = g_new(gint64, n);
}

static void
series_clear(Series *s)
{
    g_free(s->tw);
    g_free(s->cw);
    for (int k = 0; k < N_MARKS; k++)
        g_free(s->marks[k]);
}

static guint
n_steps(const FsTimeline *tl, FsTime t_first, FsTime t_last)
{
    FsTime span = MAX(t_last - t_first, 0);

    return (guint)MIN(span / tl->step + 1, (FsTime)G_MAXUINT / 2);
}

static gint
host_name_cmp(gconstpointer a, gconstpointer b)
{
    const Host *x = *(Host *const *)a;
    const Host *y = *(Host *const *)b;

    return strcmp(x->name, y->name);
}

/* ---- --timeline ---- */

static void
write_row(FILE *fp, gboolean json, const char *host, FsTime t,
          const Series *s, guint b)
{
    gint64 sec = t / FS_NS_PER_SEC;
    gint64 ns = t % FS_NS_PER_SEC;

    if (json)
        fprintf(fp, "{\"time\":%" G_GINT64_FORMAT ".%09" G_GINT64_FORMAT
                ",\"host\":\"%s\",\"time_wait\":%" G_GINT64_FORMAT
                ",\"close_wait\":%" G_GINT64_FORMAT ",\"closes\":{\"client\":%"
                G_GINT64_FORMAT ",\"server\":%" G_GINT64_FORMAT
                ",\"simultaneous\":%" G_GINT64_FORMAT "},\"resets\":%"
                G_GINT64_FORMAT "}\n", sec, ns, host, s->tw[b], s->cw[b],
                s->marks[MARK_CLIENT][b], s->marks[MARK_SERVER][b],
                s->marks[MARK_SIMULTANEOUS][b], s->marks[MARK_RESET][b]);
    else
        fprintf(fp, "%" G_GINT64_FORMAT ".%09" G_GINT64_FORMAT ",%s,%"
                G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%"
                G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "\n",
                sec, ns, host, s->tw[b], s->cw[b], s->marks[MARK_CLIENT][b],
                s->marks[MARK_SERVER][b], s->marks[MARK_SIMULTANEOUS][b],
                s->marks[MARK_RESET][b]);
}

static gboolean
row_empty(const Series *s, guint b)
{
    gint64 any = s->tw[b] | s->cw[b];

    for (int k = 0; k < N_MARKS; k++)
        any |= s->marks[k][b];
    return any == 0;
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

gboolean
fs_timeline_write(FsTimeline *tl, const char *path, FsTime t_first,
                  FsTime t_last, GError **error)
{
    gboolean json = g_str_has_suffix(path, ".json") ||
                    g_str_has_suffix(path, ".ndjson");
    FILE *fp = open_file(path, error);
    Series s;

    if (fp == NULL)
        return FALSE;
    series_init(&s, n_steps(tl, t_first, t_last));
    if (!json)
        fprintf(fp, "time,host,time_wait,close_wait,closes_client,"
                "closes_server,closes_simultaneous,resets\n");
    g_ptr_array_sort(tl->hosts, host_name_cmp);
    for (guint i = 0; i < tl->hosts->len; i++) {
        const Host *h = g_ptr_array_index(tl->hosts, i);

        series_fill(tl, h, t_first, &s);
        for (guint b = 0; b < s.n; b++) {
            if (!row_empty(&s, b))
                write_row(fp, json, h->name,
                          t_first + (FsTime)b * tl->step, &s, b);
        }
    }
    series_clear(&s);
    return close_file(fp, path, error);
}

/* ---- --plot ---- */

#define PLOT_HOSTS 5
#define SVG_W 960
#define SVG_H 480
#define PAD_L 80
#define PAD_R 260
#define PAD_T 50
#define PAD_B 60

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

/* The busiest hosts (TIME_WAIT plus CLOSE_WAIT), at most PLOT_HOSTS. */
static GArray *
pick_hosts(const FsTimeline *tl, FsTime t0, guint n)
{
    GArray *all = g_array_new(FALSE, TRUE, sizeof(Plotted));
    Series s;

    series_init(&s, n);
    for (guint i = 0; i < tl->hosts->len; i++) {
        Plotted p = { g_ptr_array_index(tl->hosts, i), 0, { 0 } };

        series_fill(tl, p.host, t0, &s);
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
        series_fill(tl, p->host, t0, &p->s);
    }
    return all;
}

static void
plot_axes(GString *o, double span_s, gint64 ymax, FsTime t0)
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
                           "held (most at once per step)</text>\n",
                           PAD_T + h / 2);
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
    guint n = n_steps(tl, t_first, t_last);
    g_autoptr(GArray) hosts = pick_hosts(tl, t_first, n);
    g_autoptr(GString) o = g_string_new(NULL);
    gint64 ymax = 1;
    FILE *fp;

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
    plot_axes(o, (double)n * (double)tl->step / 1e9, ymax, t_first);
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
