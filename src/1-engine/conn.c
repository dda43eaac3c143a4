/* finscope: FsConn's own functions — a new incarnation's initial values. */
#include "config.h"

#include <glib.h>

#include "finscope/conn.h"

void
fs_endpoint_init(FsEndpoint *ep)
{
    *ep = (FsEndpoint){
        .state = FS_TCP_UNKNOWN,
        .state_since = FS_TIME_UNSET,
        .prev_fin_time = FS_TIME_UNSET,
        .fin_time = FS_TIME_UNSET,
        .last_fin_time = FS_TIME_UNSET,
        .fin_acked_time = FS_TIME_UNSET,
        .time_wait_since = FS_TIME_UNSET,
        .last_payload_time = FS_TIME_UNSET,
        .probe_ts = FS_TIME_UNSET,
    };
}

void
fs_conn_init(FsConn *conn)
{
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++)
        fs_endpoint_init(&conn->ep[r]);
    conn->close_done_time = FS_TIME_UNSET;
    conn->rst_time = FS_TIME_UNSET;
    conn->settled_at = FS_TIME_UNSET;
    conn->rst_from = FS_ROLE_NONE;
}

FsTime
fs_conn_state_age(const FsConn *conn, FsRole role)
{
    FsTime since = conn->ep[role].state_since;

    return since == FS_TIME_UNSET || conn->settled_at < since
               ? FS_TIME_UNSET
               : conn->settled_at - since;
}
