/* finscope: connection expressions for --extract — the conn fields of
 * `finscope check` joined by &&. */
#ifndef FINSCOPE_CONNEXPR_H
#define FINSCOPE_CONNEXPR_H

#include <glib.h>
#include "finscope/classify.h"
#include "finscope/conn.h"

/* expression := term { "&&" term }
 * term       := [ "conn." ] NAME [ "{" labels "}" ] op value
 * as one `finscope check` conn.* assertion (src/policy.h), e.g.
 * close == "reset" && server_port == 443, handshake == "refused". */
typedef struct FsConnExpr FsConnExpr;

/* TRUE when text is an expression rather than a list of ids and words:
 * it holds a comparison operator. */
gboolean fs_conn_expr_is_expression(const char *text);

/* On failure sets FS_ERROR_USAGE: the term, what is wrong with it and a
 * caret under the place. */
FsConnExpr *fs_conn_expr_parse(const char *text, GError **error);
void fs_conn_expr_free(FsConnExpr *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsConnExpr, fs_conn_expr_free)

/* TRUE when every term holds for conn's record. */
gboolean fs_conn_expr_matches(const FsConnExpr *e, const FsConn *conn,
                              const FsOutcome *outcome);

#endif /* FINSCOPE_CONNEXPR_H */
