/* finscope: connections ordered by when they next need a look (a binary
 * min-heap), so the engine's once-a-second sweep touches only those due. */
#ifndef FINSCOPE_DEADLINE_H
#define FINSCOPE_DEADLINE_H

#include <glib.h>
#include "finscope/conn.h"

typedef struct FsDeadlines FsDeadlines;

/* Open here only for fs_deadlines_wake(), inline: most packets ask. */
typedef struct {
    FsTime wake;
    FsConn *conn;
} FsDeadlineEntry;

struct FsDeadlines {
    GArray *heap;    /* FsDeadlineEntry, heap-ordered by wake */
    GArray *scratch; /* FsDeadlineEntry: sort_by_key()'s, kept between
                        sweeps */
};

FsDeadlines *fs_deadlines_new(void);
void fs_deadlines_free(FsDeadlines *q);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsDeadlines, fs_deadlines_free)

/* Queues conn to be due at wake, or moves it there if already queued. */
void fs_deadlines_set(FsDeadlines *q, FsConn *conn, FsTime wake);

/* The time conn is due at; G_MAXINT64 when it is not queued. */
static inline FsTime
fs_deadlines_wake(const FsDeadlines *q, const FsConn *conn)
{
    if (conn->deadline_slot == 0)
        return G_MAXINT64;
    return g_array_index(q->heap, FsDeadlineEntry,
                         conn->deadline_slot - 1).wake;
}

/* Takes conn out of the queue (no-op when it is not queued). */
void fs_deadlines_remove(FsDeadlines *q, FsConn *conn);

/* conn takes old's place (old moved to a new address: frozen, thawed);
 * old is not touched after. */
void fs_deadlines_relocate(FsDeadlines *q, const FsConn *old, FsConn *conn);

/* Removes and returns a connection due at or before now, the earliest
 * first; NULL when none is due. */
FsConn *fs_deadlines_pop_due(FsDeadlines *q, FsTime now);

/* Removes every connection due at or before now and appends them to
 * out in id order. */
void fs_deadlines_pop_due_by_id(FsDeadlines *q, FsTime now, GPtrArray *out);

/* Empties the queue, handing each connection to fn in id order. */
void fs_deadlines_drain_by_id(FsDeadlines *q,
                              void (*fn)(FsConn *conn, gpointer user),
                              gpointer user);

guint fs_deadlines_size(const FsDeadlines *q);

#endif /* FINSCOPE_DEADLINE_H */
