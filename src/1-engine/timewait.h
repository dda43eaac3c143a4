/* finscope: TIME_WAIT accounting — how many endpoints each host holds in
 * TIME_WAIT, now and at its peak, and (pressure.c) each client towards
 * each server ip:port. A listener on state transitions: the engine hands
 * it every one. */
#ifndef FINSCOPE_TIMEWAIT_H
#define FINSCOPE_TIMEWAIT_H

#include <glib.h>

#include "finscope/conn.h"
#include "finscope/engine.h"
#include "finscope/tcpstate.h"

typedef struct FsTimeWait FsTimeWait;

/* Counts into stats: time_wait_now, time_wait_peak(_at), hosts_pruned,
 * dests_tracked, and the memory it holds (memory, memory_peak). */
FsTimeWait *fs_timewait_new(FsEngineStats *stats);
void fs_timewait_free(FsTimeWait *tw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsTimeWait, fs_timewait_free)

void fs_timewait_enter(FsTimeWait *tw, const FsConn *conn, FsRole role,
                       FsTime ts);
void fs_timewait_leave(FsTimeWait *tw, const FsConn *conn, FsRole role);

/* conn's endpoint role went from one state to another at ts: into
 * TIME_WAIT it counts for its host (and, a client, against its
 * destination's port range), out of it it no longer does. Every
 * transition comes here, so the test of the two states is inline. */
static inline void
fs_timewait_transition(FsTimeWait *tw, const FsConn *conn, FsRole role,
                       FsTcpState from, FsTcpState to, FsTime ts)
{
    if (to == FS_TCP_TIME_WAIT)
        fs_timewait_enter(tw, conn, role, ts);
    else if (from == FS_TCP_TIME_WAIT)
        fs_timewait_leave(tw, conn, role);
}

/* Once a second of capture time: port pressure keeps the busiest
 * destinations only (FS_ENGINE_DEST_TOP). */
void fs_timewait_prune(FsTimeWait *tw);

/* fs_engine_foreach_time_wait_host_top(), _dest() and the
 * dests_tracked count. */
void fs_timewait_foreach_host_top(const FsTimeWait *tw, guint max,
                                  void (*fn)(const FsHostTimeWait *h,
                                             gpointer user),
                                  gpointer user);
void fs_timewait_foreach_dest(const FsTimeWait *tw, guint max,
                              void (*fn)(const FsDestTimeWait *d,
                                         gpointer user),
                              gpointer user);
guint fs_timewait_dests(const FsTimeWait *tw);

#endif /* FINSCOPE_TIMEWAIT_H */
