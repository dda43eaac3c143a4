/* finscope: an index of numbered host addresses, for port pressure's
 * hosts (pressure.c) and TIME_WAIT's (timewait.c), each keeping its
 * addresses by number in its own array. Open addressing, linear
 * probing, at most 3/4 full; a slot is the 4-byte number (never 0; 0:
 * empty), no hash kept (8-byte slots with one took 4 MiB more peak RSS
 * on a million hosts in TIME_WAIT); removal is by backward shift (no
 * tombstones). */
#ifndef FINSCOPE_HOSTINDEX_H
#define FINSCOPE_HOSTINDEX_H

#include <glib.h>

#include "finscope/types.h"

typedef struct {
    guint32 *slot;          /* numbers; 0: empty */
    guint32 mask;           /* slots - 1 (a power of two) */
    guint32 used;
} FsHostIndex;

/* The owner's address of number. */
typedef const FsAddr *(*FsHostAt)(gconstpointer owner, guint32 number);

static inline guint32
fs_host_index_hash(const FsAddr *addr)
{
    return (guint32)fs_endpoint_hash(addr, 0);
}

/* An empty index of capacity slots (a power of two), over what ix held. */
static inline void
fs_host_index_reset(FsHostIndex *ix, guint32 capacity)
{
    g_free(ix->slot);
    ix->slot = g_new0(guint32, capacity);
    ix->mask = capacity - 1;
    ix->used = 0;
}

static inline void
fs_host_index_clear(FsHostIndex *ix)
{
    g_clear_pointer(&ix->slot, g_free);
}

/* addr's slot (hash: fs_host_index_hash()), or the empty one ending its
 * probe run. */
static inline guint32 *
fs_host_index_probe(const FsHostIndex *ix, const FsAddr *addr, guint32 hash,
                    FsHostAt at, gconstpointer owner)
{
    for (guint32 i = hash & ix->mask;; i = (i + 1) & ix->mask) {
        guint32 n = ix->slot[i];

        if (n == 0 || fs_addr_equal(at(owner, n), addr))
            return &ix->slot[i];
    }
}

/* The number in a slot fs_host_index_probe() found (0: absent). */
static inline guint32
fs_host_index_number(const guint32 *slot)
{
    return *slot;
}

/* number in the first empty slot of hash's run. */
static inline void
fs_host_index_place(FsHostIndex *ix, guint32 hash, guint32 number)
{
    guint32 i = hash & ix->mask;

    while (ix->slot[i] != 0)
        i = (i + 1) & ix->mask;
    ix->slot[i] = number;
}

static G_GNUC_UNUSED G_GNUC_NO_INLINE void
fs_host_index_grow(FsHostIndex *ix, FsHostAt at, gconstpointer owner)
{
    guint32 *old = ix->slot;
    guint32 n = ix->mask + 1;

    ix->slot = g_new0(guint32, 2 * n);
    ix->mask = 2 * n - 1;
    for (guint32 i = 0; i < n; i++) {
        if (old[i] != 0)
            fs_host_index_place(ix, fs_host_index_hash(at(owner, old[i])),
                                old[i]);
    }
    g_free(old);
}

/* number (not 0) for an address of hash absent from ix. */
static inline void
fs_host_index_put(FsHostIndex *ix, guint32 hash, guint32 number, FsHostAt at,
                  gconstpointer owner)
{
    if ((ix->used + 1) * 4u > (ix->mask + 1) * 3u)
        fs_host_index_grow(ix, at, owner);
    fs_host_index_place(ix, hash, number);
    ix->used++;
}

/* Empties a slot fs_host_index_probe() found: the slots after it in its
 * run move back where their probe may pass over it. */
static inline void
fs_host_index_remove(FsHostIndex *ix, guint32 *slot, FsHostAt at,
                     gconstpointer owner)
{
    guint32 hole = (guint32)(slot - ix->slot);

    for (guint32 i = (hole + 1) & ix->mask; ix->slot[i] != 0;
         i = (i + 1) & ix->mask) {
        guint32 home = fs_host_index_hash(at(owner, ix->slot[i])) & ix->mask;

        /* it stays when its home lies cyclically in (hole, i] */
        if (((i - home) & ix->mask) < ((i - hole) & ix->mask))
            continue;
        ix->slot[hole] = ix->slot[i];
        hole = i;
    }
    ix->slot[hole] = 0;
    ix->used--;
}

#endif /* FINSCOPE_HOSTINDEX_H */
