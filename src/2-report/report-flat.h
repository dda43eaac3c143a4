/* finscope: --json-flat — one flat JSON object per connection, the
 * columns of a table (contrib/clickhouse/schema.sql). */
#ifndef FINSCOPE_REPORT_FLAT_H
#define FINSCOPE_REPORT_FLAT_H

#include "finscope/classify.h"
#include "finscope/conn.h"
#include "finscope/report.h"

/* Writes conn as one line: the "conn" record of --json with each nested
 * object's members as parent_member keys, times as integer nanoseconds
 * (key_ns), the same keys in every line. */
void fs_report_flat_conn(FsReport *r, const FsConn *conn,
                         const FsOutcome *outcome);

#endif /* FINSCOPE_REPORT_FLAT_H */
