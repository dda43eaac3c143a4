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

FsEvent *
fs_tcp_outcome_push_more(FsTcpOutcome *out)
{
    /* not cleared: the caller fills the slot whole, as an inline one */
    if (out->more == NULL)
        out->more = g_array_new(FALSE, FALSE, sizeof(FsEvent));
    g_array_set_size(out->more, out->more->len + 1);
    out->len++;
    return &g_array_index(out->more, FsEvent, out->more->len - 1);
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
