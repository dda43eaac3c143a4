/* finscope: failure classes — handshakes that never completed, aborts
 * after close, and who sends the resets — tallied once for every view. */
#ifndef FINSCOPE_REPORT_FAILURE_H
#define FINSCOPE_REPORT_FAILURE_H

#include <stdio.h>
#include <glib.h>

#include "finscope/classify.h"
#include "finscope/conn.h"
#include "finscope/json-writer.h"

/* RST senders the text report and the JSON summary name. */
#define FS_FAILURE_TOP_RST_SENDERS 10

typedef struct FsFailures FsFailures;

FsFailures *fs_failures_new(void);
void fs_failures_free(FsFailures *f);
/* Counts one finished record. */
void fs_failures_add(FsFailures *f, const FsConn *conn,
                     const FsOutcome *outcome);
/* Adds resets to the sender name ("ip:port" of a server, "ip" of a
 * client): finscope merge sums the shards' lists with it. */
void fs_failures_add_rst_sender(FsFailures *f, const char *name,
                                guint64 resets);

/* Summary: "handshake" {class: n}, "aborts_after_close", "rst_senders"
 * [{"sender": "ip:port", "resets": n}] (the top 10). */
/* every: all RST senders (a shard's, for merge), not the top 10 */
void fs_failures_json_summary(FsJson *j, const FsFailures *f,
                              gboolean every);
/* The "rst_senders" array alone, most resets first, ties by name. */
void fs_failures_json_rst_senders(FsJson *j, const FsFailures *f,
                                  gboolean every);
/* Text summary lines: failure classes and the top RST senders. */
void fs_failures_print(const FsFailures *f, FILE *out);

#endif /* FINSCOPE_REPORT_FAILURE_H */
