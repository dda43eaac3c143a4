/* finscope: TIME_WAIT accounting — how many endpoints each host holds in
 * TIME_WAIT, now and at its peak, and (pressure.c) each client towards
 * each server ip:port. A listener on state transitions: the engine hands
 * it every one, and the capture's time (fs_timewait_advance()).
 *
 * Exact whatever the store's sweep granularity (timewait.c): now, a
 * TIME_WAIT counts until its 2*MSL runs out, or until a transition cuts
 * it short (a reuse, an RST, the store forgetting it); the peaks count
 * each one's span, from its start (which the engine may learn up to
 * 2*MSL late, dated back) to that end, 2*MSL and two seconds behind the
 * capture, complete at fs_timewait_finish(). A TIME_WAIT ending at the
 * very time another enters does not overlap it (as the records' spans
 * count, report-service.c: a leave before an enter). */
#ifndef FINSCOPE_TIMEWAIT_H
#define FINSCOPE_TIMEWAIT_H

#include <glib.h>

#include "finscope/conn.h"
#include "finscope/engine.h"
#include "finscope/tcpstate.h"

typedef struct FsTimeWait FsTimeWait;

/* Counts into stats: time_wait_now, time_wait_peak(_at), hosts_pruned,
 * dests_tracked, and the memory it holds (memory, memory_peak). A
 * TIME_WAIT lasts two_msl. */
FsTimeWait *fs_timewait_new(FsEngineStats *stats, FsTime two_msl);
/* TIME_WAIT spans waiting for the peaks' lagging clock hold at most
 * about bytes (not charged to the engine's budget: they stay after a
 * TIME_WAIT is evicted); beyond, the clock catches up (peaks exact
 * unless a start is dated back further than it then lags). Default: no
 * limit. */
void fs_timewait_set_span_budget(FsTimeWait *tw, guint64 bytes);
void fs_timewait_free(FsTimeWait *tw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsTimeWait, fs_timewait_free)

void fs_timewait_enter(FsTimeWait *tw, const FsConn *conn, FsRole role,
                       FsTime ts);
/* conn's endpoint role left TIME_WAIT at ts. timer: when that
 * TIME_WAIT's 2*MSL timer last started (the transition's value,
 * tcpstate.c), read where conn no longer has it: a start taken back
 * (time_wait_since unset: it held none; FS_TIME_UNSET when unknown). */
void fs_timewait_leave(FsTimeWait *tw, const FsConn *conn, FsRole role,
                       FsTime timer, FsTime ts);

/* The first member of FsTimeWait: what fs_timewait_advance() reads and
 * moves inline (timewait.c). */
typedef struct {
    FsTime clock;           /* latest time seen */
    FsTime lag_clock;       /* the peaks' clock */
    FsTime lag;             /* how far it stays behind */
    FsTime lag_cap;         /* and it stays at or below this (G_MAXINT64:
                               no cap): below the first span still to
                               enter of a TIME_WAIT restarted (timewait.c's
                               holds: a take-back may still drop it) */
    FsTime quiet_until;     /* before it, an advance moves both clocks
                               only: nothing runs out or enters */
    FsTime advanced;        /* the latest time such an advance saw since
                               the clocks last took it (G_MININT64:
                               none): they move to it at the next call
                               into timewait.c, which alone reads them
                               (lag and lag_cap do not change before) */
} FsTimeWaitClocks;

/* fs_timewait_advance() when something may be due by now. */
void fs_timewait_advance_due(FsTimeWait *tw, FsTime now);

/* Capture time reached now (the engine's clock, after the store's
 * sweep): the TIME_WAITs whose 2*MSL ended at or before it no longer
 * count now (their transition out, from a later sweep, is not counted
 * again), and the peaks count the spans up to LAG before it. Every
 * packet calls it: one comparison unless something is due, and then
 * only the latest time kept (c->advanced): the clocks take it when
 * timewait.c next runs (moving both at each packet cost 8 instructions
 * more, 16 million on the bench's medium trace). */
static inline void
fs_timewait_advance(FsTimeWait *tw, FsTime now)
{
    FsTimeWaitClocks *c = (FsTimeWaitClocks *)(gpointer)tw;

    if (G_LIKELY(now < c->quiet_until)) {
        c->advanced = MAX(c->advanced, now);
        return;
    }
    fs_timewait_advance_due(tw, now);
}

/* The end of the capture: the peaks count every span up to the last
 * time seen (they run LAG behind it until then). */
void fs_timewait_finish(FsTimeWait *tw);

/* conn's endpoint role, in TIME_WAIT, restarted its 2*MSL timer at ts
 * (a FIN of its peer's again, tcpstate.c: the transition TIME_WAIT ->
 * TIME_WAIT), which last started at timer_was: the TIME_WAIT that
 * started then is cut at ts and one more of the same entry counts from
 * ts to its 2*MSL (not entered again: h->entered counts entries). */
void fs_timewait_restart(FsTimeWait *tw, const FsConn *conn, FsRole role,
                         FsTime timer_was, FsTime ts);

/* role's TIME_WAIT, ended by an RST at its last leave, was there all
 * along (CLOSED -> TIME_WAIT, cause rst_not_taken: it acked the peer's
 * FIN sent again): it counts again from ts, its 2*MSL from ts, the same
 * entry (not entered again). */
void fs_timewait_resume(FsTimeWait *tw, const FsConn *conn, FsRole role,
                        FsTime ts);

/* conn's endpoint role went from one state to another at ts: into
 * TIME_WAIT it counts for its host (and, a client, against its
 * destination's port range), out of it it no longer does (unless its
 * 2*MSL ran out already, fs_timewait_advance()); from TIME_WAIT to
 * TIME_WAIT its timer restarted (value: the event's, when the timer
 * last started), as out of TIME_WAIT (value: when the TIME_WAIT left
 * had its timer last started). Every transition comes here, so the
 * test of the two states is inline. */
static inline void
fs_timewait_transition(FsTimeWait *tw, const FsConn *conn, FsRole role,
                       FsTcpState from, FsTcpState to, FsTime ts,
                       gint64 value)
{
    if (to == FS_TCP_TIME_WAIT) {
        if (G_UNLIKELY(from == FS_TCP_TIME_WAIT))
            fs_timewait_restart(tw, conn, role, value, ts);
        else if (G_UNLIKELY(from == FS_TCP_CLOSED))
            fs_timewait_resume(tw, conn, role, ts);
        else
            fs_timewait_enter(tw, conn, role, ts);
    } else if (from == FS_TCP_TIME_WAIT) {
        fs_timewait_leave(tw, conn, role, value, ts);
    }
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

/* TIME_WAITs looked at to find whether one whose start was taken back
 * still counted (tests: a flood of them must not look at every
 * TIME_WAIT each time). */
guint64 fs_timewait_scanned(const FsTimeWait *tw);

/* Bytes its queues take (tests: they follow the TIME_WAITs queued). */
gsize fs_timewait_queued_bytes(const FsTimeWait *tw);

#endif /* FINSCOPE_TIMEWAIT_H */
