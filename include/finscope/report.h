/* finscope: reporters — the text table and NDJSON. */
#ifndef FINSCOPE_REPORT_H
#define FINSCOPE_REPORT_H

#include <stdio.h>
#include <glib.h>
#include "finscope/engine.h"

typedef enum {
    FS_REPORT_TEXT,
    FS_REPORT_JSON,
} FsReportFormat;

typedef struct FsReport FsReport;

FsReport *fs_report_new(FsReportFormat format, FILE *out,
                        const FsEngineConfig *cfg);
void fs_report_free(FsReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsReport, fs_report_free)

/* An FsEngineSink whose callbacks feed this report. */
FsEngineSink fs_report_sink(FsReport *report);

/* Writes the summary (and, for text, the table). */
void fs_report_finish(FsReport *report, const FsEngineStats *stats);

#endif /* FINSCOPE_REPORT_H */
