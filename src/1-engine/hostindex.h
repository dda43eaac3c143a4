/* finscope: an index of numbered keys, for port pressure's hosts and
 * server ends (pressure.c) and TIME_WAIT's hosts (timewait.c), each
 * keeping its keys by number in its own array: the owner's callbacks
 * say whether a number's key is the one sought and give a number's
 * hash (static inline with them, each caller's probe compiles to its
 * own comparison). Open addressing, linear probing, at most 3/4 full;
 * removal is by backward shift (no tombstones).
 *
 * A slot is 4 bytes (8-byte slots with a hash took 4 MiB more peak RSS
 * on a million hosts in TIME_WAIT): the number in its low k bits (never
 * 0; 0: empty), below the mask (the index keeps more slots than the
 * largest number), and above them 32 - k bits of the hash, its tag
 * (fs_host_index_tag()). A probe compares tags first: a slot whose tag
 * differs is passed over without a look at its key (a miss in the
 * owner's array). The home slot is the hash's top k bits. While the
 * index has at most 2^16 slots (k <= 16) the tag is the hash's bits
 * from k up, which hold the home, so that a removal (which finds the
 * home of each slot it may move back) and a growth need no key; the
 * tag's own bits, those beside the home, are only 32 - 2k: of the
 * slots a probe passes, those of its home are told apart by those bits
 * alone (at 3/4 full, a look-up reads 0.02 other keys at k = 14, 0.37
 * at k = 16, where the tag is the home). Above 2^16 slots the tag is
 * the hash's low 32 - k bits, none of the home: a look-up reads nearly
 * no other key (hash_of() gives the home to a removal or a growth).
 * (The top bits from k up would be only the top of the home, alike in
 * slots a few places apart: 0.69 other keys a look-up at k = 17, 1.36
 * at k = 19; plain linear probing reads ~1.5.) */
#ifndef FINSCOPE_HOSTINDEX_H
#define FINSCOPE_HOSTINDEX_H

#include <glib.h>

#include "finscope/types.h"

typedef struct {
    guint32 *slot;          /* tag | number; 0: empty */
    guint32 mask;           /* slots - 1 (a power of two, 2^k - 1): a
                               slot's number bits */
    guint32 shift;          /* 32 - k: a hash's home is hash >> shift */
    guint32 tag_shift;      /* 0 while k <= 16, else k: a slot's tag is
                               hash << tag_shift above the mask */
    guint32 used;
} FsHostIndex;

/* Is the owner's key of number key? */
typedef gboolean (*FsHostIs)(gconstpointer owner, guint32 number,
                             gconstpointer key);
/* The hash of the owner's key of number (as the caller gave it to
 * fs_host_index_put()). */
typedef guint32 (*FsHostHashOf)(gconstpointer owner, guint32 number);

static inline guint32
fs_host_index_hash(const FsAddr *addr)
{
    return (guint32)fs_endpoint_hash(addr, 0);
}

/* Where a probe for hash starts. */
static inline guint32
fs_host_index_home(const FsHostIndex *ix, guint32 hash)
{
    return hash >> ix->shift;
}

/* Does a slot's tag hold its home (k <= 16: the top k bits lie above
 * the k number bits)? */
static inline gboolean
fs_host_index_tag_holds_home(const FsHostIndex *ix)
{
    return ix->shift >= 16;
}

/* The tag of hash's slot: its bits beside the number (those not of
 * the home when the tag cannot hold it). */
static inline guint32
fs_host_index_tag(const FsHostIndex *ix, guint32 hash)
{
    return (hash << ix->tag_shift) & ~ix->mask;
}

/* ix's slots, capacity of them (a power of two, at least 2), all empty:
 * its mask, home shift and tag shift follow. */
static inline void
fs_host_index_size(FsHostIndex *ix, guint32 capacity)
{
    ix->slot = g_new0(guint32, capacity);
    ix->mask = capacity - 1;
    ix->shift = 32 - g_bit_storage(ix->mask);
    ix->tag_shift = fs_host_index_tag_holds_home(ix) ? 0 : 32 - ix->shift;
}

/* An empty index of capacity slots (a power of two, at least 2), over
 * what ix held. */
static inline void
fs_host_index_reset(FsHostIndex *ix, guint32 capacity)
{
    g_free(ix->slot);
    fs_host_index_size(ix, capacity);
    ix->used = 0;
}

static inline void
fs_host_index_clear(FsHostIndex *ix)
{
    g_clear_pointer(&ix->slot, g_free);
}

/* Starts loading the slot a probe for hash looks at first. */
static inline void
fs_host_index_prefetch(const FsHostIndex *ix, guint32 hash)
{
    __builtin_prefetch(&ix->slot[fs_host_index_home(ix, hash)]);
}

/* key's slot (hash: its hash, fs_host_index_hash() for an address), or
 * the empty one ending its probe run. Only a slot whose tag is hash's
 * is looked at further. */
static inline guint32 *
fs_host_index_probe(const FsHostIndex *ix, gconstpointer key, guint32 hash,
                    FsHostIs is, gconstpointer owner)
{
    guint32 *slot = ix->slot;
    guint32 mask = ix->mask;
    guint32 tag = fs_host_index_tag(ix, hash);

    for (guint32 i = fs_host_index_home(ix, hash);; i = (i + 1) & mask) {
        guint32 v = slot[i];

        if (v == 0 || ((v & ~mask) == tag && is(owner, v & mask, key)))
            return &slot[i];
    }
}

/* The number in a slot fs_host_index_probe() found (0: absent). */
static inline guint32
fs_host_index_number(const FsHostIndex *ix, const guint32 *slot)
{
    return *slot & ix->mask;
}

/* number in the first empty slot of hash's run (only its tag's bits
 * and its top k count). */
static inline void
fs_host_index_place(FsHostIndex *ix, guint32 hash, guint32 number)
{
    guint32 i = fs_host_index_home(ix, hash);

    while (ix->slot[i] != 0)
        i = (i + 1) & ix->mask;
    ix->slot[i] = fs_host_index_tag(ix, hash) | number;
}

/* Slot value v's hash, as far as fs_host_index_place() and the home
 * need it. */
static inline guint32
fs_host_index_hash_of(const FsHostIndex *ix, guint32 v, FsHostHashOf hash_of,
                      gconstpointer owner)
{
    return fs_host_index_tag_holds_home(ix) ? v & ~ix->mask
                                            : hash_of(owner, v & ix->mask);
}

/* Twice the slots. */
static G_GNUC_UNUSED G_GNUC_NO_INLINE void
fs_host_index_grow(FsHostIndex *ix, FsHostHashOf hash_of,
                   gconstpointer owner)
{
    FsHostIndex old = *ix;

    fs_host_index_size(ix, 2 * (old.mask + 1));
    for (guint32 i = 0; i <= old.mask; i++) {
        guint32 v = old.slot[i];

        /* (the old tag holds the new one, and the new home while the
         * new tag does) */
        if (v != 0)
            fs_host_index_place(ix,
                                fs_host_index_tag_holds_home(ix)
                                    ? v & ~old.mask
                                    : hash_of(owner, v & old.mask),
                                v & old.mask);
    }
    g_free(old.slot);
}

/* number (not 0) for a key of hash absent from ix: the index grows to
 * stay at most 3/4 full and above every number. */
static inline void
fs_host_index_put(FsHostIndex *ix, guint32 hash, guint32 number,
                  FsHostHashOf hash_of, gconstpointer owner)
{
    while ((ix->used + 1) * 4u > (ix->mask + 1) * 3u || number > ix->mask)
        fs_host_index_grow(ix, hash_of, owner);
    fs_host_index_place(ix, hash, number);
    ix->used++;
}

/* Empties a slot fs_host_index_probe() found: the slots after it in its
 * run move back where their probe may pass over it. */
static inline void
fs_host_index_remove(FsHostIndex *ix, guint32 *slot, FsHostHashOf hash_of,
                     gconstpointer owner)
{
    guint32 hole = (guint32)(slot - ix->slot);

    for (guint32 i = (hole + 1) & ix->mask; ix->slot[i] != 0;
         i = (i + 1) & ix->mask) {
        guint32 home = fs_host_index_home(
            ix, fs_host_index_hash_of(ix, ix->slot[i], hash_of, owner));

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
