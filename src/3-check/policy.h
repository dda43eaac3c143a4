/* finscope: policy assertions over a run's verdicts (`check --assert`). */
#ifndef FINSCOPE_POLICY_H
#define FINSCOPE_POLICY_H

#include <glib.h>
#include "checkmodel.h"

/* One assertion, e.g. `resets == 0`, `time_wait_at_end{host="10.0.0.5"}
 * <= 3` or `conn.active_closer != "server"` (for every connection):
 *
 *   assertion := field [ "{" [ label { "," label } [","] ] "}" ] op value
 *   field     := NAME | "conn." NAME
 *   label     := NAME "=" string
 *   op        := "==" | "!=" | "<" | "<=" | ">" | ">="
 *   value     := digits | string           string := '"' chars '"'
 *
 * Strings take \" and \\ escapes; blanks may separate any two tokens. */
typedef struct FsPolicyExpr FsPolicyExpr;

/* Parses one assertion. On failure sets FS_ERROR_USAGE with a message
 * naming the problem and *error_pos to the byte offset in text of the
 * offending character. */
FsPolicyExpr *fs_policy_parse(const char *text, gsize *error_pos,
                              GError **error);
void fs_policy_expr_free(FsPolicyExpr *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsPolicyExpr, fs_policy_expr_free)

/* The assertion as written, without surrounding blanks. */
const char *fs_policy_expr_text(const FsPolicyExpr *e);

/* Two lines showing where pos is: "  TEXT\n  ^\n", the caret under the
 * character at byte offset pos (tabs kept, UTF-8 counted by character). */
char *fs_policy_caret(const char *text, gsize pos);

/* Parses a policy file's text: one assertion a line, "#" starts a comment
 * (outside a string), blank lines are skipped. Appends FsPolicyExpr* to
 * out. A bad line fails with "NAME:LINE: column N: ..." followed by its
 * caret lines. */
gboolean fs_policy_parse_lines(const char *text, const char *name,
                               GPtrArray *out, GError **error);

/* The outcome of one assertion. */
typedef struct {
    gboolean passed;
    guint64 value;    /* summary field: its value; conn.*: connections
                       * that break it */
    guint64 checked;  /* conn.*: connections the label filter kept */
    GPtrArray *conns; /* const FsCheckConn*: what a summary field counted,
                       * or the connections that break a conn.* one */
    char *message;    /* one line: "resets is 2, want == 0" */
} FsPolicyResult;

void fs_policy_eval(const FsPolicyExpr *e, const FsCheckModel *m,
                    FsPolicyResult *res);
void fs_policy_result_clear(FsPolicyResult *res);

/* TRUE when e is a conn.* assertion (it holds or not per connection). */
gboolean fs_policy_expr_is_conn(const FsPolicyExpr *e);

/* A conn.* assertion on one connection (--extract): TRUE when its labels
 * keep c and c meets it. */
gboolean fs_policy_conn_holds(const FsPolicyExpr *e, const FsCheckConn *c);

/* The summary fields a baseline lists, in its order; NULL-ended. */
const char *const *fs_policy_baseline_fields(void);

/* The value of summary field name over m; host (may be NULL) keeps only
 * the endpoints (or connections) with that address, like {host="..."}. */
guint64 fs_policy_summary_value(const FsCheckModel *m, const char *name,
                                const char *host);

/* TRUE when name is a summary field. */
gboolean fs_policy_is_summary_field(const char *name);

/* Appends the fields, labels and values for --help to out. */
void fs_policy_describe(GString *out);

#endif /* FINSCOPE_POLICY_H */
