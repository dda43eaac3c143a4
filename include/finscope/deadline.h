/* finscope: connections ordered by when they next need a look, so the
 * engine's once-a-second sweep touches only those due: a wheel of
 * buckets a second wide (deadline.c), a heap for those further off. */
#ifndef FINSCOPE_DEADLINE_H
#define FINSCOPE_DEADLINE_H

#include <glib.h>
#include "finscope/conn.h"

typedef struct FsDeadlines FsDeadlines;

/* The far heap's entries (and a sweep's, being sorted). */
typedef struct {
    FsTime wake;
    FsConn *conn;
} FsDeadlineEntry;

/* The wheel's buckets: FS_DEADLINE_RING of them, each 2^FS_DEADLINE_SHIFT
 * ns of wake times (1.07 s: a sweep's second), in no order. */
#define FS_DEADLINE_SHIFT 30
#define FS_DEADLINE_RING 128u
/* The slot past the wheel's (ring[FS_DEADLINE_NEVER]): the connections
 * never due (wake G_MAXINT64: an idle one frozen with no idle timeout),
 * apart, in no order, their offsets 0 from start G_MAXINT64. */
#define FS_DEADLINE_NEVER FS_DEADLINE_RING
/* FsConn.deadline_slot: 0 not queued; FS_DEADLINE_FAR | i, the far
 * heap's entry i; else (slot << FS_DEADLINE_INDEX_BITS | i) + 1, the
 * entry i of a bucket, or of the never-due ones. */
#define FS_DEADLINE_FAR 0x80000000u
#define FS_DEADLINE_INDEX_BITS 23
#define FS_DEADLINE_INDEX_MASK ((1u << FS_DEADLINE_INDEX_BITS) - 1)

/* A bucket's entries are in chunks of FS_DEADLINE_CHUNK (384 bytes), which
 * go back to a free list as it shrinks: no array reallocated as it grows
 * (the fragments that leaves would outgrow a heap's one array). An entry
 * is 12 bytes: its connection, and its wake as an offset into its
 * bucket's second (below 2^FS_DEADLINE_SHIFT), the bucket known from
 * the wheel's place; the offsets apart from the connections, 16 to a
 * cache line, so that reading a wake (most packets ask) waits on memory
 * less often. */
#define FS_DEADLINE_CHUNK_BITS 5
#define FS_DEADLINE_CHUNK (1u << FS_DEADLINE_CHUNK_BITS)

typedef struct {
    guint32 wake[FS_DEADLINE_CHUNK]; /* wake - its bucket's start */
    FsConn *conn[FS_DEADLINE_CHUNK];
} FsDeadlineChunk;

typedef struct {
    FsDeadlineChunk **chunk; /* entry i: in chunk[i / CHUNK], at i % CHUNK */
    guint32 len;
    guint32 chunk_cap;       /* chunk's room */
} FsDeadlineBucket;

struct FsDeadlines {
    FsDeadlineBucket ring[FS_DEADLINE_RING + 1]; /* bucket k (wake >>
                                                    SHIFT) at k % RING;
                                                    the never-due ones
                                                    at FS_DEADLINE_NEVER */
    gint64 base;        /* the wheel's first bucket: its entries have
                           buckets base .. base + RING - 1 (each entry
                           exactly its wake's) */
    gint64 top;         /* no entry's bucket is above (while any) */
    FsTime start[FS_DEADLINE_RING + 1]; /* the start (ns) of the bucket
                                           of base .. base + RING - 1 at
                                           each ring slot (an entry's
                                           wake: its slot's start + its
                                           offset); G_MAXINT64 at
                                           FS_DEADLINE_NEVER */
    guint ring_len;     /* entries in the wheel (not the never-due) */
    GArray *far;        /* FsDeadlineEntry: a 4-ary heap by wake, of
                           those RING buckets or more ahead, or before
                           base when the wheel cannot turn back */
    GPtrArray *free_chunks; /* chunks no bucket holds */
    GArray *scratch;    /* FsDeadlineEntry: sort_by_key()'s, kept */
};

FsDeadlines *fs_deadlines_new(void);
void fs_deadlines_free(FsDeadlines *q);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsDeadlines, fs_deadlines_free)

/* Queues conn to be due at wake, or moves it there if already queued.
 * A wake of G_MAXINT64 is never due: only a set, a remove or the drain
 * takes it out. */
void fs_deadlines_set(FsDeadlines *q, FsConn *conn, FsTime wake);

/* The time conn is due at; G_MAXINT64 when it is not queued. */
static inline FsTime
fs_deadlines_wake(const FsDeadlines *q, const FsConn *conn)
{
    guint32 v = conn->deadline_slot;
    guint s;

    if (v == 0)
        return G_MAXINT64;
    if (v & FS_DEADLINE_FAR)
        return g_array_index(q->far, FsDeadlineEntry,
                             v & ~FS_DEADLINE_FAR).wake;
    v--;
    s = v >> FS_DEADLINE_INDEX_BITS;
    v &= FS_DEADLINE_INDEX_MASK;
    return q->start[s] +
           q->ring[s].chunk[v >> FS_DEADLINE_CHUNK_BITS]
               ->wake[v & (FS_DEADLINE_CHUNK - 1)];
}

/* Hints the CPU to load conn's entry (the wheel's: the far heap's are
 * few), which fs_deadlines_wake() will read: the entries of the
 * connections held are far larger than the cache. Changes nothing. */
static inline void
fs_deadlines_prefetch(const FsDeadlines *q, const FsConn *conn)
{
#if defined(__GNUC__)
    guint32 v = conn->deadline_slot;

    /* not free of effects (see fs_flow_prefetch()) */
    __asm__ __volatile__("");
    if (v == 0 || (v & FS_DEADLINE_FAR))
        return;
    v--;
    __builtin_prefetch(
        &q->ring[v >> FS_DEADLINE_INDEX_BITS]
             .chunk[(v & FS_DEADLINE_INDEX_MASK) >> FS_DEADLINE_CHUNK_BITS]
             ->wake[v & (FS_DEADLINE_CHUNK - 1)]);
#else
    (void)q, (void)conn;
#endif
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

/* Empties the queue, handing each connection to fn in id order; ahead
 * (or NULL) is given each a few connections before fn, to ask for what
 * fn will read of it (fn may free its own connection, no other). */
void fs_deadlines_drain_by_id(FsDeadlines *q,
                              void (*fn)(FsConn *conn, gpointer user),
                              void (*ahead)(const FsConn *conn,
                                            gpointer user),
                              gpointer user);

guint fs_deadlines_size(const FsDeadlines *q);

#endif /* FINSCOPE_DEADLINE_H */
