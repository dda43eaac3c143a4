/* finscope: FsConn's own functions — a new incarnation's initial values. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/conn.h"

/* What fs_endpoint_init() sets that is not zero. */
static inline void
endpoint_unset_times(FsEndpoint *ep)
{
    ep->state = FS_TCP_UNKNOWN;
    ep->state_since = FS_TIME_UNSET;
    ep->prev_fin_time = FS_TIME_UNSET;
    ep->fin_time = FS_TIME_UNSET;
    ep->last_fin_time = FS_TIME_UNSET;
    ep->fin_acked_time = FS_TIME_UNSET;
    ep->time_wait_since = FS_TIME_UNSET;
    ep->last_payload_time = FS_TIME_UNSET;
    ep->probe_ts = FS_TIME_UNSET;
}

/* What fs_conn_init() sets that is not zero. */
void
fs_conn_init_zeroed(FsConn *conn)
{
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++)
        endpoint_unset_times(&conn->ep[r]);
    conn->close_done_time = FS_TIME_UNSET;
    conn->rst_time = FS_TIME_UNSET;
    conn->settled_at = FS_TIME_UNSET;
    conn->rst_from = FS_ROLE_NONE;
}

void
fs_endpoint_init(FsEndpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    endpoint_unset_times(ep);
}

void
fs_conn_init(FsConn *conn)
{
    memset(conn->ep, 0, sizeof conn->ep);
    fs_conn_init_zeroed(conn);
}

FsTime
fs_conn_state_age(const FsConn *conn, FsRole role)
{
    FsTime since = conn->ep[role].state_since;

    return since == FS_TIME_UNSET || conn->settled_at < since
               ? FS_TIME_UNSET
               : conn->settled_at - since;
}
