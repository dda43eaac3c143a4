/* finscope: baselines, the reviewed text `finscope check` holds a run to. */
#ifndef FINSCOPE_BASELINE_H
#define FINSCOPE_BASELINE_H

#include <glib.h>
#include "checkmodel.h"

/* A baseline is a multiset of lines, compared without regard to order:
 *
 *   setting msl 30                 analysis settings (msl, rfc1337,
 *   setting client_ports hidden    client_ports)
 *   summary resets 0               fs_policy_baseline_fields(), and
 *   summary time_wait_at_end{host="10.0.0.5"} 1   one per TIME_WAIT host
 *   conn client=10.0.0.1:* server=10.0.0.2:80 close=graceful
 *        active_closer=client rst_from=- client_end=TIME_WAIT
 *        server_end=CLOSED flags=-  [x3]      (one line in the file)
 *
 * A "conn" line has no id, time or client port ("*" unless keep_ports),
 * so it stays the same when packets or connections come in another
 * order; N identical connections share one line ending in "xN". Lines
 * starting with "#" and blank lines are comments. */
typedef struct FsBaseline FsBaseline;

typedef struct {
    gboolean keep_ports; /* write client ports instead of "*" */
} FsBaselineOptions;

FsBaseline *fs_baseline_from_model(const FsCheckModel *m,
                                   const FsBaselineOptions *opts);

/* Parses a baseline file's text; name is used in error messages
 * ("NAME:LINE: ..."). Fails with FS_ERROR_FORMAT. Lines may come in any
 * order, the fields of a conn line too; repeated conn lines add up. */
FsBaseline *fs_baseline_parse(const char *text, const char *name,
                              GError **error);
void fs_baseline_free(FsBaseline *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsBaseline, fs_baseline_free)

/* The file: each of comments (NULL-ended, may be NULL) as a "# " line,
 * then settings, summary and conn lines in canonical order. */
char *fs_baseline_render(const FsBaseline *b, const char *const *comments);

/* TRUE when some line was written by hand with wildcards: a conn field
 * value (but for the client port) or a summary label holding * or ?. */
gboolean fs_baseline_has_patterns(const FsBaseline *b);

/* Connections the conn lines describe (the xN counts added up). */
guint64 fs_baseline_n_connections(const FsBaseline *b);

/* c's conn line, without a count. */
char *fs_baseline_conn_line(const FsCheckConn *c, gboolean keep_ports);

typedef enum {
    FS_BASELINE_SETTING,
    FS_BASELINE_SUMMARY,
    FS_BASELINE_CONN,
} FsBaselineSection;

/* The lines of one group that differ. A group is a setting, a summary
 * field, or the connections between one client host and one server. */
typedef struct {
    FsBaselineSection section;
    char *group;        /* "summary resets", "conn client=a:* server=b:80" */
    GPtrArray *removed; /* char*: baseline lines this run does not have */
    GPtrArray *added;   /* char*: lines of this run the baseline lacks */
} FsBaselineDelta;

typedef struct {
    GPtrArray *deltas;      /* FsBaselineDelta*, in canonical order */
    guint64 conns_changed;  /* a connection whose outcome differs */
    guint64 conns_missing;  /* in the baseline, not in this run */
    guint64 conns_new;      /* in this run, not in the baseline */
    guint summary_changed;  /* summary lines that differ */
    guint settings_changed; /* setting lines that differ */
} FsBaselineDiff;

FsBaselineDiff *fs_baseline_diff(const FsBaseline *expected,
                                 const FsBaseline *actual);
void fs_baseline_diff_free(FsBaselineDiff *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsBaselineDiff, fs_baseline_diff_free)

/* TRUE when the run matches the baseline line for line. */
gboolean fs_baseline_diff_holds(const FsBaselineDiff *d);

/* "1 connection changed, 2 summary values differ"; "" when it holds. */
char *fs_baseline_diff_explain(const FsBaselineDiff *d);

/* The differing lines, "-" for the baseline's and "+" for this run's,
 * one group after the other. */
char *fs_baseline_diff_text(const FsBaselineDiff *d);

/* The same, at most max_lines of them, then "... and N more lines";
 * and the -/+ lines of one delta so. */
char *fs_baseline_diff_text_head(const FsBaselineDiff *d, guint64 max_lines);
char *fs_baseline_delta_text_head(const FsBaselineDelta *delta,
                                  guint64 max_lines);

#endif /* FINSCOPE_BASELINE_H */
