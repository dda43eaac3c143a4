/* finscope: reporters — the text table and NDJSON. */
#ifndef FINSCOPE_REPORT_H
#define FINSCOPE_REPORT_H

#include <stdio.h>
#include <glib.h>
#include "finscope/capture.h"
#include "finscope/engine.h"

typedef enum {
    FS_REPORT_TEXT,
    FS_REPORT_JSON,
    FS_REPORT_FLAT,  /* --json-flat: flat conn records only (report-flat.c) */
} FsReportFormat;

typedef struct FsReport FsReport;

FsReport *fs_report_new(FsReportFormat format, FILE *out,
                        const FsEngineConfig *cfg);
void fs_report_free(FsReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsReport, fs_report_free)

/* The version of schema/finscope.schema.json the --json output follows,
 * in each summary ("schema_version"): raised when a field changes
 * meaning or goes away, not when one is added. */
#define FS_REPORT_SCHEMA_VERSION 1

/* An FsEngineSink whose callbacks feed this report. */
FsEngineSink fs_report_sink(FsReport *report);

/* Writes the summary (and, for text, the table), with the engine's
 * aggregates: packets, TIME_WAIT over time per host, port pressure. */
void fs_report_finish(FsReport *report, const FsEngine *engine);

/* The capture files read, in the order of FsPacket.source: with more
 * than one, each frame number is given with its file's name. */
void fs_report_set_sources(FsReport *report, const char *const *names,
                           guint n);

/* Capture file FILE (the path as given) was not read to its end
 * (fs_capture_source_cut(): it ends inside its last record, or a read
 * error stopped it): the summary says so (text "TRUNCATED capture"; JSON
 * "truncated": true, "truncated_files") with where and why. */
void fs_report_add_truncated(FsReport *report, const char *file,
                             const FsSourceCut *cut);

/* Services (server ip:port) the report shows, busiest first; 0 = all.
 * Default FS_REPORT_TOP_SERVICES. */
#define FS_REPORT_TOP_SERVICES 20
void fs_report_set_top(FsReport *report, guint top);

/* JSON and --json-flat: write the lines FS_REPORT_BATCH_BYTES or so at a
 * time, not one by one (each fwrite() has its cost), the rest at
 * fs_report_finish(). For a report whose stream nothing else writes
 * to before the end and nobody reads as it comes (a file read, not a
 * live capture). */
#define FS_REPORT_BATCH_BYTES 65536
void fs_report_set_batched(FsReport *report, gboolean batched);

/* A --shard run's report: every service and every RST sender written
 * (finscope merge applies the tops to the sums). */
void fs_report_set_shard(FsReport *report);

/* A connection's VLAN key ((outer VID << 12) | inner VID) as a person
 * writes it: "200", or outer, between and inner for QinQ ("100.200" with
 * "."); NULL when untagged (0). The table, the ladder and `finscope
 * check` each pick their between. */
char *fs_vlan_format(guint32 vlan, const char *between);

/* ---- live capture (finscope -i) ---- */

/* Packets the kernel dropped: the summary carries it (JSON
 * "kernel_drops") and, when nonzero, says the report is built on a lossy
 * capture. Offline reports never call this and do not have the field. */
void fs_report_set_capture_drops(FsReport *report, guint64 drops);

/* Text: write each connection and event as one line when it comes, not
 * a table at the end (a live capture may run for weeks). */
void fs_report_set_streaming(FsReport *report, gboolean streaming);

/* What the capture filter keeps out of sight, said in the summary (JSON
 * "capture_note"). NULL clears it. */
void fs_report_set_capture_note(FsReport *report, const char *note);

/* A summary of the records finished so far plus the engine's live
 * counters (JSON "interim": true), without ending the report. */
void fs_report_interim(FsReport *report, const FsEngine *engine);

#endif /* FINSCOPE_REPORT_H */
