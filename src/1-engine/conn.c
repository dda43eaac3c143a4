/* finscope: FsConn's own functions — a new incarnation's initial values. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include <glib.h>

#include "finscope/conn.h"

/* What a segment in mid-connection touches (the engine's lean path:
 * the flow lookup, fs_store_steady_held(), fs_tcpstate_steady(),
 * fs_tcpstate_steady_step(), fs_detect_steady(), the counters) lies in
 * the hot parts fs_flow_prefetch() loads ahead of it (conn.h): a field
 * moved out of them costs a cache miss a packet. */
#define HOT_IN_CONN(f) \
    G_STATIC_ASSERT(offsetof(FsConn, f) + sizeof(((FsConn *)0)->f) <= \
                    offsetof(FsConn, ep))
#define HOT_IN_ENDPOINT(f) \
    G_STATIC_ASSERT(offsetof(FsEndpoint, f) + \
                        sizeof(((FsEndpoint *)0)->f) <= \
                    FS_ENDPOINT_HOT_SIZE)
HOT_IN_CONN(older);
HOT_IN_CONN(deadline_slot);
HOT_IN_CONN(held_slot);
HOT_IN_CONN(vlan);
HOT_IN_CONN(port);
HOT_IN_CONN(frozen_len);
HOT_IN_CONN(addr);
HOT_IN_CONN(packets);
HOT_IN_CONN(t_last);
HOT_IN_CONN(last_hash_ts);
HOT_IN_CONN(last_hash);
HOT_IN_CONN(last_frame);
HOT_IN_CONN(last_source);
HOT_IN_CONN(rst_from);
HOT_IN_ENDPOINT(state);
HOT_IN_ENDPOINT(snd_nxt);
HOT_IN_ENDPOINT(max_ack);
HOT_IN_ENDPOINT(last_tsval);
HOT_IN_ENDPOINT(first_tsval);
HOT_IN_ENDPOINT(rcv_wnd);
HOT_IN_ENDPOINT(rtt_leg_us);
HOT_IN_ENDPOINT(probe_end);
HOT_IN_ENDPOINT(probe_ts);
HOT_IN_ENDPOINT(last_payload_time);
HOT_IN_ENDPOINT(bytes);
/* the flags (seen, ack_seen, ts_seen, fin_sent, ...): the bytes between
 * rst_count and wscale */
HOT_IN_ENDPOINT(wscale);

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

