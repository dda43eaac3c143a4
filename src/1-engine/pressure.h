/* finscope: port pressure — TIME_WAIT a client host holds towards one
 * server ip:port, now and at its peak. Each blocks that 4-tuple for
 * 2*MSL; against the ephemeral port range, the peak says how close the
 * client came to running out of ports for that destination. */
#ifndef FINSCOPE_PRESSURE_H
#define FINSCOPE_PRESSURE_H

#include <glib.h>

#include "finscope/engine.h"
#include "finscope/types.h"

typedef struct FsPressure FsPressure;

FsPressure *fs_pressure_new(void);
void fs_pressure_free(FsPressure *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsPressure, fs_pressure_free)

/* Keeps client's destination server:port (not pruned) until as many
 * fs_pressure_release(): a TIME_WAIT its enter will name later. Its
 * number (never 0), which stays its own while it is held: the enter and
 * the release name it by it (no look-up). The release says whether that
 * TIME_WAIT entered (and so ends then) or never held one. client_hash:
 * fs_host_index_hash(client) (hostindex.h; the caller has it at hand). */
guint32 fs_pressure_hold(FsPressure *p, const FsAddr *client,
                         guint32 client_hash, const FsAddr *server,
                         guint16 port, guint32 owner);
/* Starts loading what a hold of the client of client_hash looks at
 * first (its slot in the host index). */
void fs_pressure_prefetch(const FsPressure *p, guint32 client_hash);
/* What the last hold of the destination held as dest said: owner, kept
 * in the destination (the same in each hold of that destination while
 * it is held, the caller's to see to). */
guint32 fs_pressure_owner(const FsPressure *p, guint32 dest);
/* The client of the destination held as dest entered TIME_WAIT towards
 * it at ts. */
void fs_pressure_enter_held(FsPressure *p, guint32 dest, FsTime ts);
void fs_pressure_release(FsPressure *p, guint32 dest, gboolean entered);

/* Forgets the destinations that hold no TIME_WAIT now (nor are held)
 * and rank below the top keep (they can never be reported: ranks above
 * them only get better); only once the table has grown by half since
 * the last time, so it is O(1) per destination amortized and the table
 * follows the destinations busy within 2*MSL, not all ever seen. */
void fs_pressure_prune(FsPressure *p, guint keep);

/* Destinations tracked now. */
guint fs_pressure_size(const FsPressure *p);

/* Calls fn for the busiest destinations, by peak (then addresses and
 * port: the same order in every run), at most max of them. */
void fs_pressure_foreach_top(const FsPressure *p, guint max,
                             void (*fn)(const FsDestTimeWait *d,
                                        gpointer user),
                             gpointer user);

#endif /* FINSCOPE_PRESSURE_H */
