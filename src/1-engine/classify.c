/* finscope: per-connection verdicts, pure functions of the final record. */
#include "config.h"

#include <glib.h>

#include "finscope/classify.h"
#include "finscope/detect.h"
#include "finscope/seq.h"

gboolean
fs_conn_one_sided(const FsConn *conn)
{
    return conn->ep[FS_ROLE_CLIENT].seen != conn->ep[FS_ROLE_SERVER].seen;
}

const char *
fs_close_kind_name(FsCloseKind kind)
{
    switch (kind) {
    case FS_CLOSE_OPEN:       return "open";
    case FS_CLOSE_GRACEFUL:   return "graceful";
    case FS_CLOSE_RESET:      return "reset";
    case FS_CLOSE_INCOMPLETE: return "incomplete";
    }
    g_return_val_if_reached("?");
}

/* graceful: both FINs acknowledged before any RST (a later RST does not
 * change it); reset: an RST came first; incomplete: a FIN but no end. */
FsCloseKind
fs_classify_close(const FsConn *conn)
{
    if (conn->close_done_time != FS_TIME_UNSET)
        return FS_CLOSE_GRACEFUL;
    if (conn->rst_from != FS_ROLE_NONE)
        return FS_CLOSE_RESET;
    if (conn->ep[FS_ROLE_CLIENT].fin_sent || conn->ep[FS_ROLE_SERVER].fin_sent)
        return FS_CLOSE_INCOMPLETE;
    return FS_CLOSE_OPEN;
}

const char *
fs_closer_name(FsCloser closer)
{
    switch (closer) {
    case FS_CLOSER_NONE:         return NULL;
    case FS_CLOSER_CLIENT:       return "client";
    case FS_CLOSER_SERVER:       return "server";
    case FS_CLOSER_SIMULTANEOUS: return "simultaneous";
    }
    g_return_val_if_reached(NULL);
}

/* The active closer sent the first FIN. Ack numbers decide, not capture
 * order: the passive closer's FIN acknowledges the active closer's. */
FsCloser
fs_classify_active_closer(const FsConn *conn)
{
    const FsEndpoint *c = &conn->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &conn->ep[FS_ROLE_SERVER];

    if (conn->simultaneous)
        return FS_CLOSER_SIMULTANEOUS;
    if (!c->fin_sent && !s->fin_sent)
        return FS_CLOSER_NONE;
    if (!s->fin_sent)
        return FS_CLOSER_CLIENT;
    if (!c->fin_sent)
        return FS_CLOSER_SERVER;
    if (fs_seq_geq(s->fin_ack, c->fin_seq + 1))
        return FS_CLOSER_CLIENT;
    if (fs_seq_geq(c->fin_ack, s->fin_seq + 1))
        return FS_CLOSER_SERVER;
    return c->fin_time <= s->fin_time ? FS_CLOSER_CLIENT : FS_CLOSER_SERVER;
}

FsTime
fs_classify_close_duration(const FsConn *conn)
{
    const FsEndpoint *c = &conn->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &conn->ep[FS_ROLE_SERVER];
    FsTime first;

    if (conn->close_done_time == FS_TIME_UNSET)
        return -1;
    first = MIN(c->fin_time, s->fin_time);
    return conn->close_done_time - first;
}

gboolean
fs_classify_half_close(const FsConn *conn)
{
    return conn->ep[FS_ROLE_CLIENT].bytes_after_peer_fin > 0 ||
           conn->ep[FS_ROLE_SERVER].bytes_after_peer_fin > 0;
}

/* An endpoint the capture never showed is UNKNOWN. With one direction
 * only, the visible side's close states rest on ACKs we cannot see, so
 * only what it proved by itself stands: ESTABLISHED, or CLOSED by RST. */
FsTcpState
fs_classify_end_state(const FsConn *conn, FsRole role)
{
    const FsEndpoint *ep = &conn->ep[role];

    if (!ep->seen)
        return FS_TCP_UNKNOWN;
    if (fs_conn_one_sided(conn) && ep->state != FS_TCP_ESTABLISHED &&
        ep->state != FS_TCP_SYN_SENT &&
        !(ep->state == FS_TCP_CLOSED && ep->rst_count > 0))
        return FS_TCP_UNKNOWN;
    return ep->state;
}

void
fs_classify_flags(const FsConn *conn, GPtrArray *names)
{
    const FsEndpoint *c = &conn->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &conn->ep[FS_ROLE_SERVER];

    if (conn->simultaneous)
        g_ptr_array_add(names, "simultaneous_close");
    if (conn->three_way_close)
        g_ptr_array_add(names, "three_way_close");
    if (fs_classify_half_close(conn))
        g_ptr_array_add(names, "half_close");
    if (c->fin_count > 1 || s->fin_count > 1)
        g_ptr_array_add(names, "fin_retransmit");
    if (conn->final_ack_lost)
        g_ptr_array_add(names, "final_ack_lost");
    if (c->bytes_after_own_fin || s->bytes_after_own_fin)
        g_ptr_array_add(names, "data_after_fin");
    if (conn->rst_answers_fin)
        g_ptr_array_add(names, "rst_answers_fin");
    if (conn->aborted_after_close)
        g_ptr_array_add(names, "abort_after_close");
    if (conn->rst_ignored)
        g_ptr_array_add(names, "rst_ignored");
    if (conn->peer_silent)
        g_ptr_array_add(names, "peer_silent");
    if (conn->fin_beyond_data)
        g_ptr_array_add(names, "fin_beyond_data");
    if (conn->tw_assassinated)
        g_ptr_array_add(names, "time_wait_assassinated");
    if (conn->reuse_in_time_wait)
        g_ptr_array_add(names, "reuse_in_time_wait");
    if (conn->reuse.outcome == FS_REUSE_REJECTED_RST ||
        conn->reuse.outcome == FS_REUSE_CHALLENGE_ACK)
        g_ptr_array_add(names, "reuse_rejected");
    if (conn->duplicate_frames)
        g_ptr_array_add(names, "duplicate_frame");
    if (conn->old_duplicates)
        g_ptr_array_add(names, "old_duplicate");
    if (conn->capture_loss)
        g_ptr_array_add(names, "capture_loss");
    if (conn->illegal_flags)
        g_ptr_array_add(names, "illegal_flags");
    if (fs_conn_one_sided(conn))
        g_ptr_array_add(names, "one_sided");
    if (conn->roles_inferred)
        g_ptr_array_add(names, "roles_inferred");
    if (conn->evicted)
        g_ptr_array_add(names, "evicted");
}
