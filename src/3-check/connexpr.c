/* finscope: connection expressions for --extract — the conn fields of
 * `finscope check` joined by &&, each parsed by policy.c. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "connexpr.h"
#include "finscope/error.h"
#include "policy.h"

struct FsConnExpr {
    GPtrArray *terms; /* FsPolicyExpr*, conn.* assertions; all must hold */
};

gboolean
fs_conn_expr_is_expression(const char *text)
{
    return strpbrk(text, "=<>!") != NULL;
}

void
fs_conn_expr_free(FsConnExpr *e)
{
    if (e == NULL)
        return;
    g_ptr_array_unref(e->terms);
    g_free(e);
}

/* One term, "conn." added when it is not written. */
static FsPolicyExpr *
parse_term(const char *term, GError **error)
{
    g_autofree char *text = g_str_has_prefix(term, "conn.")
                                ? g_strdup(term)
                                : g_strconcat("conn.", term, NULL);
    g_autoptr(GError) why = NULL;
    g_autofree char *caret = NULL;
    gsize pos = 0;
    FsPolicyExpr *e = fs_policy_parse(text, &pos, &why);

    if (e != NULL) {
        g_assert(fs_policy_expr_is_conn(e)); /* "conn." makes it one */
        return e;
    }
    caret = g_strchomp(fs_policy_caret(text, pos));
    g_set_error(error, FS_ERROR, FS_ERROR_USAGE, "--extract: %s\n%s",
                why->message, caret);
    return NULL;
}

FsConnExpr *
fs_conn_expr_parse(const char *text, GError **error)
{
    g_autoptr(FsConnExpr) e = g_new0(FsConnExpr, 1);
    g_auto(GStrv) terms = g_strsplit(text, "&&", -1);

    e->terms = g_ptr_array_new_with_free_func(
        (GDestroyNotify)fs_policy_expr_free);
    for (guint i = 0; terms[i] != NULL; i++) {
        const char *text_i = g_strstrip(terms[i]);
        FsPolicyExpr *term = NULL;

        if (*text_i == '\0') {
            g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                        "--extract: an empty term in '%s' (terms are "
                        "joined by &&)", text);
            return NULL;
        }
        term = parse_term(text_i, error);
        if (term == NULL)
            return NULL;
        g_ptr_array_add(e->terms, term);
    }
    return g_steal_pointer(&e);
}

gboolean
fs_conn_expr_matches(const FsConnExpr *e, const FsConn *conn,
                     const FsOutcome *outcome)
{
    FsCheckConn *c = fs_check_conn_new(conn, outcome);
    gboolean holds = TRUE;

    for (guint i = 0; holds && i < e->terms->len; i++)
        holds = fs_policy_conn_holds(g_ptr_array_index(e->terms, i), c);
    fs_check_conn_free(c);
    return holds;
}
