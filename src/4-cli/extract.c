/* finscope: --extract and --ladder, a second pass over the capture files
 * for the connections a first pass picked.
 *
 * Pass 1 is the ordinary analysis; its records say which connections
 * are wanted and which frames each spans (first_frame..last_frame of its
 * 4-tuple). Pass 2 reads the files again and keeps the frames of those
 * 4-tuples inside those ranges: exactly the packets the first pass
 * counted for them, which is also what each record's display filter
 * selects in Wireshark. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <pcap/pcap.h>

#include "connexpr.h"
#include "extract.h"
#include "finscope/capture.h"
#include "finscope/classify.h"
#include "finscope/engine.h"
#include "finscope/error.h"
#include "finscope/ladder.h"
#include "finscope/pipeline.h"
#include "finscope/reader.h"

/* The frames of one chosen incarnation. */
typedef struct {
    guint32 first_frame;  /* in file first_source */
    guint32 last_frame;   /* in file last_source */
    guint16 first_source;
    guint16 last_source;
} Range;

typedef struct {
    GArray *ids;          /* guint64 ids asked for */
    gboolean anomalous;   /* any anomaly flag */
    gboolean reset;       /* closed by RST */
    gboolean stuck;       /* an endpoint left in a close state */
    FsConnExpr *expr;     /* a field expression instead, or NULL */
} Selector;

typedef struct {
    const Selector *sel;
    GHashTable *ranges;   /* tuple key -> GArray of Range */
    guint64 n_conns;      /* connections chosen */
    FsConn *chosen;       /* --ladder: a copy of the record, or NULL */
} Pick;

static int
fail(int status, const char *message)
{
    fprintf(stderr, "finscope: %s\n", message);
    return status;
}

/* "vlan lower-endpoint higher-endpoint": both directions, one key. */
static char *
tuple_key(const FsAddr *a, guint16 pa, const FsAddr *b, guint16 pb,
          guint32 vlan)
{
    char x[FS_ENDPOINT_STRLEN];
    char y[FS_ENDPOINT_STRLEN];
    gboolean swap;

    fs_endpoint_format(a, pa, x, sizeof x);
    fs_endpoint_format(b, pb, y, sizeof y);
    swap = strcmp(x, y) > 0;
    return g_strdup_printf("%u %s %s", vlan, swap ? y : x, swap ? x : y);
}

static char *
conn_key(const FsConn *c)
{
    return tuple_key(&c->addr[FS_ROLE_CLIENT], c->port[FS_ROLE_CLIENT],
                     &c->addr[FS_ROLE_SERVER], c->port[FS_ROLE_SERVER],
                     c->vlan);
}

static gboolean
parse_selector(const char *text, Selector *sel, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);

    sel->ids = g_array_new(FALSE, FALSE, sizeof(guint64));
    if (fs_conn_expr_is_expression(text)) {
        sel->expr = fs_conn_expr_parse(text, error);
        return sel->expr != NULL;
    }
    for (guint i = 0; parts[i] != NULL; i++) {
        const char *p = g_strstrip(parts[i]);
        guint64 id = 0;

        if (strcmp(p, "anomalous") == 0)
            sel->anomalous = TRUE;
        else if (strcmp(p, "reset") == 0)
            sel->reset = TRUE;
        else if (strcmp(p, "stuck") == 0)
            sel->stuck = TRUE;
        else if (g_ascii_string_to_unsigned(p, 10, 1, G_MAXUINT64, &id,
                                            NULL))
            g_array_append_val(sel->ids, id);
        else {
            g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                        "--extract: '%s' is not a connection id, "
                        "anomalous, reset or stuck", p);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
is_anomalous(const FsOutcome *outcome)
{
    g_autoptr(GPtrArray) flags = g_ptr_array_new();

    fs_flag_names(outcome->flags, flags);
    for (guint i = 0; i < flags->len; i++) {
        for (int k = 0; k < FS_EV_N_KINDS; k++) {
            if (fs_event_kind_is_anomaly((FsEventKind)k) &&
                strcmp(g_ptr_array_index(flags, i),
                       fs_event_kind_name((FsEventKind)k)) == 0)
                return TRUE;
        }
    }
    return FALSE;
}

static gboolean
is_stuck(const FsOutcome *outcome)
{
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        FsTcpState st = outcome->end_state[role];

        if (st >= FS_TCP_FIN_WAIT_1 && st <= FS_TCP_LAST_ACK)
            return TRUE;
    }
    return FALSE;
}

static gboolean
selected(const Selector *sel, const FsConn *conn, const FsOutcome *outcome)
{
    for (guint i = 0; i < sel->ids->len; i++) {
        if (g_array_index(sel->ids, guint64, i) == conn->id)
            return TRUE;
    }
    return (sel->expr && fs_conn_expr_matches(sel->expr, conn, outcome)) ||
           (sel->reset && outcome->close == FS_CLOSE_RESET) ||
           (sel->stuck && is_stuck(outcome)) ||
           (sel->anomalous && is_anomalous(outcome));
}

static void
pick_conn(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    Pick *pick = user;
    g_autofree char *key = NULL;
    GArray *ranges;
    Range r = { conn->first_frame, conn->last_frame, conn->first_source,
                conn->last_source };

    if (!selected(pick->sel, conn, outcome))
        return;
    key = conn_key(conn);
    ranges = g_hash_table_lookup(pick->ranges, key);
    if (ranges == NULL) {
        ranges = g_array_new(FALSE, FALSE, sizeof(Range));
        g_hash_table_insert(pick->ranges, g_steal_pointer(&key), ranges);
    }
    g_array_append_val(ranges, r);
    pick->n_conns++;
    if (pick->chosen == NULL)
        pick->chosen = g_memdup2(conn, sizeof *conn);
}

static gboolean
in_range(const Range *r, guint source, guint32 frame)
{
    if (r->first_source == r->last_source)
        return source == r->first_source && frame >= r->first_frame &&
               frame <= r->last_frame;
    /* files merged: the frames after the first in its file, before the
     * last in its file, and any file in between */
    return (source == r->first_source && frame >= r->first_frame) ||
           (source == r->last_source && frame <= r->last_frame) ||
           (source != r->first_source && source != r->last_source);
}

/* The Range of pick that holds this decoded segment, or NULL. */
static const Range *
range_of(const Pick *pick, const FsSegment *seg)
{
    g_autofree char *key = tuple_key(&seg->src, seg->sport, &seg->dst,
                                     seg->dport, seg->vlan);
    GArray *ranges = g_hash_table_lookup(pick->ranges, key);

    for (guint i = 0; ranges != NULL && i < ranges->len; i++) {
        const Range *r = &g_array_index(ranges, Range, i);

        if (in_range(r, seg->source, seg->frame))
            return r;
    }
    return NULL;
}

static void
free_ranges(gpointer p)
{
    g_array_unref(p);
}

static FsCapture *
open_files(const FsCliOptions *opts, GError **error)
{
    return fs_capture_open_files((const char *const *)opts->read_files,
                                 g_strv_length(opts->read_files), opts->bpf,
                                 error);
}

/* Both passes that run the engine: the files, read as pass 1 read them. */
static FsPipeline *
open_pipeline(const FsCliOptions *opts, FsPipelineSelect select,
              gpointer user, GError **error)
{
    FsPipelineConfig pc = {
        .files = (const char *const *)opts->read_files, .bpf = opts->bpf,
        .threaded = fs_reader_threads_help(), .select = select,
        .select_user = user };

    return fs_pipeline_open(&pc, error);
}

/* Pass 1: the ordinary analysis, keeping the chosen records' ranges. */
static gboolean
first_pass(const FsCliOptions *opts, Pick *pick, GError **error)
{
    g_autoptr(FsPipeline) pl = open_pipeline(opts, NULL, NULL, error);
    FsEngineSink sink = { .user = pick };
    FsEngineConfig cfg = opts->engine;

    if (pl == NULL)
        return FALSE;
    sink.on_conn = pick_conn;
    cfg.all_events = FALSE;
    (void)fs_pipeline_start(pl, &cfg, &sink);
    if (!fs_pipeline_run(pl, error))
        return FALSE;
    fs_pipeline_finish(pl);
    return TRUE;
}

static gboolean
reads_stdin(const FsCliOptions *opts)
{
    for (guint i = 0; opts->read_files[i] != NULL; i++) {
        if (strcmp(opts->read_files[i], "-") == 0)
            return TRUE;
    }
    return FALSE;
}

/* ---- --extract ---- */

/* pcap keeps nanoseconds or microseconds by its magic number; pcapng
 * per interface (written as nanoseconds: nothing is lost). */
static int
file_precision(const char *path)
{
    guint8 m[4] = { 0 };
    FILE *fp = fopen(path, "rb");
    gsize n = 0;

    if (fp != NULL) {
        n = fread(m, 1, sizeof m, fp);
        fclose(fp);
    }
    if (n == 4 && ((m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0xc3) ||
                   (m[3] == 0xa1 && m[2] == 0xb2 && m[1] == 0xc3)))
        return PCAP_TSTAMP_PRECISION_MICRO;
    return PCAP_TSTAMP_PRECISION_NANO;
}

typedef struct {
    pcap_t *dead;
    pcap_dumper_t *dumper;
    int linktype;
    int precision;
    guint64 written;
} Writer;

static gboolean
writer_open(Writer *w, const char *path, int linktype, GError **error)
{
    w->linktype = linktype;
    w->dead = pcap_open_dead_with_tstamp_precision(linktype, 262144,
                                                   (u_int)w->precision);
    if (w->dead == NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_WRITE, "%s: cannot write "
                    "link type %d", path, linktype);
        return FALSE;
    }
    w->dumper = pcap_dump_open(w->dead, path);
    if (w->dumper == NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_WRITE, "%s",
                    pcap_geterr(w->dead));
        return FALSE;
    }
    return TRUE;
}

static void
writer_put(Writer *w, const FsPacket *pkt)
{
    struct pcap_pkthdr h;
    FsTime frac = pkt->ts % FS_NS_PER_SEC;

    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)(pkt->ts / FS_NS_PER_SEC);
    h.ts.tv_usec = (suseconds_t)(w->precision == PCAP_TSTAMP_PRECISION_NANO
                                     ? frac : frac / 1000);
    h.caplen = pkt->caplen;
    h.len = pkt->wirelen;
    pcap_dump((u_char *)w->dumper, &h, pkt->data);
    w->written++;
}

static gboolean
writer_close(Writer *w, const char *path, GError **error)
{
    gboolean ok = TRUE;

    if (w->dumper != NULL) {
        ok = pcap_dump_flush(w->dumper) == 0;
        pcap_dump_close(w->dumper);
    }
    if (w->dead != NULL)
        pcap_close(w->dead);
    if (!ok)
        g_set_error(error, FS_ERROR, FS_ERROR_WRITE, "%s: write error",
                    path);
    return ok;
}

/* Pass 2: every frame of a chosen range goes to the writer. */
static gboolean
extract_pass(const FsCliOptions *opts, const Pick *pick, Writer *w,
             GError **error)
{
    g_autoptr(FsCapture) cap = open_files(opts, error);
    FsPacket pkt;
    FsSegment seg;
    FsCaptureResult res;
    int first = DLT_EN10MB; /* no packet at all: the usual kind */
    gboolean any = FALSE;

    if (cap == NULL)
        return FALSE;
    while ((res = fs_capture_next(cap, &pkt, error)) == FS_CAPTURE_PACKET) {
        if (!any)
            first = pkt.linktype;
        any = TRUE;
        if (fs_engine_decode(&pkt, &seg) != FS_DECODE_OK ||
            range_of(pick, &seg) == NULL)
            continue;
        /* a pcap file has one link type: only the packets written need
         * share it (files, or a pcapng file's interfaces, of others
         * may hold connections not asked for) */
        if (w->dumper == NULL &&
            !writer_open(w, opts->write_file, pkt.linktype, error))
            return FALSE;
        if (pkt.linktype != w->linktype) {
            g_set_error(error, FS_ERROR, FS_ERROR_LINKTYPE, "--extract: "
                        "frame %" G_GUINT32_FORMAT " of %s, of a chosen "
                        "connection, has link type %d, the frames chosen "
                        "before %d: a pcap file holds one link type; "
                        "extract the connections of each apart",
                        pkt.frame, fs_capture_source_name(cap, pkt.source),
                        pkt.linktype, w->linktype);
            return FALSE;
        }
        writer_put(w, &pkt);
    }
    if (res == FS_CAPTURE_ERROR)
        return FALSE;
    /* no packet chosen: an empty capture of the first packet's kind */
    return w->dumper != NULL || writer_open(w, opts->write_file, first,
                                            error);
}

int
fs_extract_run(const FsCliOptions *opts)
{
    g_autoptr(GError) error = NULL;
    Selector sel = { NULL, FALSE, FALSE, FALSE, NULL };
    Pick pick = { &sel, NULL, 0, NULL };
    Writer w = { NULL, NULL, 0, PCAP_TSTAMP_PRECISION_MICRO, 0 };
    gboolean ok;

    if (reads_stdin(opts))
        return fail(2, "--extract reads the capture twice: give files, "
                    "not -");
    if (!parse_selector(opts->extract, &sel, &error)) {
        g_array_unref(sel.ids);
        fs_conn_expr_free(sel.expr);
        return fail(2, error->message);
    }
    for (guint i = 0; opts->read_files[i] != NULL; i++) {
        if (file_precision(opts->read_files[i]) ==
            PCAP_TSTAMP_PRECISION_NANO)
            w.precision = PCAP_TSTAMP_PRECISION_NANO;
    }
    pick.ranges = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        free_ranges);
    ok = first_pass(opts, &pick, &error) &&
         extract_pass(opts, &pick, &w, &error);
    ok = writer_close(&w, opts->write_file, ok ? &error : NULL) && ok;
    if (ok)
        fprintf(stderr, "finscope: wrote %" G_GUINT64_FORMAT " packets of %"
                G_GUINT64_FORMAT " connections to %s\n", w.written,
                pick.n_conns, opts->write_file);
    g_hash_table_destroy(pick.ranges);
    g_array_unref(sel.ids);
    fs_conn_expr_free(sel.expr);
    g_free(pick.chosen);
    if (!ok)
        return fail(g_error_matches(error, FS_ERROR, FS_ERROR_FILTER) ? 2 : 1,
                    error->message);
    return 0;
}

/* ---- --ladder ---- */

typedef struct {
    FsLadder *ladder;
    const FsConn *want;   /* the record of pass 1 */
} LadderCtx;

/* Pass 2's engine numbers connections afresh: the wanted one is the
 * incarnation that starts at the wanted one's first frame (a reusing
 * SYN's events come before its first frame is noted). */
static gboolean
is_wanted(const LadderCtx *ctx, const FsConn *conn, const FsEvent *ev)
{
    if (conn == NULL)
        return FALSE;
    if (conn->packets == 0)
        return ev->frame == ctx->want->first_frame &&
               ev->source == ctx->want->first_source;
    return conn->first_frame == ctx->want->first_frame &&
           conn->first_source == ctx->want->first_source;
}

static void
ladder_event(const FsEvent *ev, const FsConn *conn, gpointer user)
{
    LadderCtx *ctx = user;

    if (is_wanted(ctx, conn, ev))
        fs_ladder_event(ctx->ladder, ev);
}

typedef struct {
    LadderCtx *ctx;
    const char *want;     /* conn_key() of the wanted record */
} LadderPass;

/* The wanted 4-tuple's packets go through the engine, the wanted
 * incarnation's segments to the ladder as well. */
static gboolean
ladder_select(FsDecodeStatus st, const FsSegment *seg, gpointer user)
{
    const LadderPass *lp = user;
    const FsConn *want = lp->ctx->want;
    g_autofree char *key = NULL;
    Range r = { want->first_frame, want->last_frame, want->first_source,
                want->last_source };

    if (st == FS_DECODE_OK)
        key = tuple_key(&seg->src, seg->sport, &seg->dst, seg->dport,
                        seg->vlan);
    if (key == NULL || strcmp(key, lp->want) != 0)
        return FALSE;
    if (in_range(&r, seg->source, seg->frame))
        fs_ladder_segment(lp->ctx->ladder, seg);
    return TRUE;
}

/* Pass 2: the wanted 4-tuple's packets, the earlier incarnations' too
 * (reuse is judged against them), through a fresh engine that reports
 * every transition; the wanted incarnation's segments and events go to
 * the ladder. Other packets only move the clock. */
static gboolean
ladder_pass(const FsCliOptions *opts, const Pick *pick, LadderCtx *ctx,
            GError **error)
{
    g_autofree char *want = conn_key(ctx->want);
    LadderPass lp = { ctx, want };
    g_autoptr(FsPipeline) pl = open_pipeline(opts, ladder_select, &lp,
                                             error);
    FsEngineSink sink = { .on_event = ladder_event,
                          .user = ctx };
    FsEngineConfig cfg = opts->engine;

    (void)pick;
    if (pl == NULL)
        return FALSE;
    cfg.all_events = TRUE;
    cfg.max_flows = 0;
    (void)fs_pipeline_start(pl, &cfg, &sink);
    if (!fs_pipeline_run(pl, error))
        return FALSE;
    fs_pipeline_finish(pl);
    return TRUE;
}

/* UTF-8 box drawing where the locale's charset is UTF-8 (LC_ALL=C
 * gives ASCII); colour only on a terminal and never with NO_COLOR. */
static FsLadderStyle
ladder_style(void)
{
    FsLadderStyle style = { FALSE, FALSE };
    const char *no_colour = g_getenv("NO_COLOR");

    setlocale(LC_CTYPE, "");
    style.utf8 = g_get_charset(NULL);
    style.colour = isatty(STDOUT_FILENO) &&
                   (no_colour == NULL || *no_colour == '\0');
    return style;
}

int
fs_ladder_run(const FsCliOptions *opts)
{
    g_autoptr(GError) error = NULL;
    Selector sel = { NULL, FALSE, FALSE, FALSE, NULL };
    Pick pick = { &sel, NULL, 0, NULL };
    LadderCtx ctx = { NULL, NULL };
    FsLadderStyle style = ladder_style();
    g_autoptr(GString) out = g_string_new(NULL);
    gboolean ok;

    if (reads_stdin(opts))
        return fail(2, "--ladder reads the capture twice: give files, "
                    "not -");
    sel.ids = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_array_append_val(sel.ids, opts->ladder);
    pick.ranges = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        free_ranges);
    ok = first_pass(opts, &pick, &error);
    if (ok && pick.chosen != NULL) {
        ctx.want = pick.chosen;
        ctx.ladder = fs_ladder_new(pick.chosen);
        ok = ladder_pass(opts, &pick, &ctx, &error);
        if (ok)
            fs_ladder_write(ctx.ladder, &style, out);
        fs_ladder_free(ctx.ladder);
    }
    g_hash_table_destroy(pick.ranges);
    g_array_unref(sel.ids);
    g_free(pick.chosen);
    if (!ok)
        return fail(g_error_matches(error, FS_ERROR, FS_ERROR_FILTER) ? 2 : 1,
                    error->message);
    if (ctx.want == NULL) {
        g_autofree char *msg = g_strdup_printf(
            "--ladder: no connection #%" G_GUINT64_FORMAT " in the capture",
            opts->ladder);

        return fail(1, msg);
    }
    fwrite(out->str, 1, out->len, stdout);
    return ferror(stdout) ? 1 : 0;
}
