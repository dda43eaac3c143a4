/* finscope: report plumbing and the summary both formats print. */
#include "config.h"

#include <glib.h>

#include "finscope/report.h"
#include "report-flat.h"
#include "report-private.h"

char *
fs_vlan_format(guint32 vlan, const char *between)
{
    guint32 outer = vlan >> 12;
    guint32 inner = vlan & 0xfffu;

    if (vlan == 0)
        return NULL;
    if (outer != 0)
        return g_strdup_printf("%u%s%u", outer, between, inner);
    return g_strdup_printf("%u", inner);
}

FsReport *
fs_report_new(FsReportFormat format, FILE *out, const FsEngineConfig *cfg)
{
    FsReport *r = g_new0(FsReport, 1);

    r->format = format;
    r->out = out;
    r->cfg = *cfg;
    fs_tally_init(&r->sum);
    r->rows = g_ptr_array_new_with_free_func(g_free);
    r->buf = g_string_sized_new(512);
    r->stuck = g_string_new(NULL);
    r->line = g_string_new(NULL);
    r->cells = g_string_new(NULL);
    r->flood = fs_flood_new();
    r->services = fs_services_new();
    r->failures = fs_failures_new();
    r->top = FS_REPORT_TOP_SERVICES;
    return r;
}

void
fs_report_free(FsReport *r)
{
    if (r == NULL)
        return;
    fs_tally_clear(&r->sum);
    g_ptr_array_unref(r->rows);
    g_string_free(r->buf, TRUE);
    g_string_free(r->stuck, TRUE);
    g_string_free(r->line, TRUE);
    g_string_free(r->cells, TRUE);
    g_free(r->capture_note);
    fs_flood_free(r->flood);
    g_strfreev(r->sources);
    fs_services_free(r->services);
    if (r->truncated != NULL)
        g_ptr_array_unref(r->truncated);
    fs_failures_free(r->failures);
    g_free(r);
}

void
fs_report_set_sources(FsReport *r, const char *const *names, guint n)
{
    g_return_if_fail(r != NULL);
    g_strfreev(r->sources);
    r->sources = g_new0(char *, n + 1);
    for (guint i = 0; i < n; i++)
        r->sources[i] = g_strdup(names[i]);
    r->n_sources = n;
}

void
fs_report_set_top(FsReport *r, guint top)
{
    g_return_if_fail(r != NULL);
    r->top = top;
}

void
fs_report_set_batched(FsReport *r, gboolean batched)
{
    g_return_if_fail(r != NULL);
    r->batched = batched;
}

void
fs_report_set_shard(FsReport *r)
{
    g_return_if_fail(r != NULL);
    r->top = 0;
    r->shard = TRUE;
}

static void
sink_event(const FsEvent *ev, const FsConn *conn, gpointer user)
{
    FsReport *r = user;

    if (r->format == FS_REPORT_JSON)
        fs_report_json_event(r, ev, conn);
    else if (r->format == FS_REPORT_TEXT)
        fs_report_text_event(r, ev, conn);
}

static void
sink_conn(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    FsReport *r = user;

    fs_tally_add(&r->sum, outcome, conn->addr, FS_TALLY_BOTH);
    fs_services_add(r->services, conn, outcome, r->cfg.msl);
    fs_failures_add(r->failures, conn, outcome);
    if (r->format == FS_REPORT_JSON)
        fs_report_json_conn(r, conn, outcome);
    else if (r->format == FS_REPORT_FLAT)
        fs_report_flat_conn(r, conn, outcome);
    else
        fs_report_text_conn(r, conn, outcome);
}

FsEngineSink
fs_report_sink(FsReport *report)
{
    FsEngineSink sink = { .on_event = sink_event,
                          .on_conn = sink_conn,
                          .user = report };

    /* --json-flat writes records only: no event is passed on (nor, with
     * a stage, copied to it) */
    if (report->format == FS_REPORT_FLAT)
        sink.on_event = NULL;

    return sink;
}

void
fs_report_finish(FsReport *r, const FsEngine *engine)
{
    if (r->format == FS_REPORT_JSON)
        fs_report_json_finish(r, engine);
    else if (r->format == FS_REPORT_TEXT)
        fs_report_text_finish(r, engine);
    else
        fs_report_put_pending(r);   /* --json-flat: the last batch */
    fflush(r->out);
}

guint
fs_report_ephemeral_ports(const FsReport *r)
{
    return r->cfg.ephemeral_ports ? r->cfg.ephemeral_ports
                                  : FS_ENGINE_EPHEMERAL_PORTS;
}

/* ---- live capture (finscope -i) ---- */

void
fs_report_set_capture_drops(FsReport *r, guint64 drops)
{
    g_return_if_fail(r != NULL);
    r->drops_known = TRUE;
    r->kernel_drops = drops;
}

void
fs_report_set_streaming(FsReport *r, gboolean streaming)
{
    g_return_if_fail(r != NULL);
    r->streaming = streaming;
}

void
fs_report_set_capture_note(FsReport *r, const char *note)
{
    g_return_if_fail(r != NULL);
    g_free(r->capture_note);
    r->capture_note = g_strdup(note);
}

static void
truncated_file_free(gpointer p)
{
    FsTruncatedFile *t = p;

    g_free(t->file);
    g_free(t->error);
    g_free(t);
}

void
fs_report_add_truncated(FsReport *r, const char *file,
                        const FsSourceCut *cut)
{
    FsTruncatedFile *t = NULL;

    g_return_if_fail(r != NULL);
    g_return_if_fail(cut != NULL);
    t = g_new0(FsTruncatedFile, 1);
    if (r->truncated == NULL)
        r->truncated = g_ptr_array_new_with_free_func(truncated_file_free);
    t->file = g_strdup(file);
    t->bytes_read = cut->bytes_read;
    t->records_read = cut->records_read;
    t->error = g_strdup(cut->error);
    g_ptr_array_add(r->truncated, t);
}

void
fs_report_interim(FsReport *r, const FsEngine *engine)
{
    g_return_if_fail(r != NULL);
    r->interim = TRUE;
    fs_report_finish(r, engine);
    r->interim = FALSE;
}
