/* finscope: the ordered transitions and events of one step. */
#include "config.h"

#include <glib.h>

#include "finscope/tcpoutcome.h"

void
fs_tcp_outcome_free_more(FsTcpOutcome *out)
{
    g_array_free(out->more, TRUE);
    out->more = NULL;
}

void
fs_tcp_outcome_add(FsTcpOutcome *out, const FsEvent *ev)
{
    if (out->len < FS_TCP_OUTCOME_INLINE) {
        out->first[out->len++] = *ev;
        return;
    }
    if (out->more == NULL)
        out->more = g_array_new(FALSE, FALSE, sizeof(FsEvent));
    g_array_append_val(out->more, *ev);
    out->len++;
}

guint
fs_tcp_outcome_count_cause(const FsTcpOutcome *out, FsCause cause)
{
    guint n = 0;

    for (guint i = 0; i < out->len; i++) {
        const FsEvent *ev = fs_tcp_outcome_at(out, i);

        n += ev->kind == FS_EV_STATE && ev->transition.cause == cause;
    }
    return n;
}
