/* finscope: a pool of small blocks, a free list per size (pool.h).
 *
 * glibc's malloc puts an 8-byte header before each block and rounds it
 * to 16 bytes: ~15 bytes on each ~125-byte frozen connection. Here a
 * block is its size rounded to 8, carved from 16 KiB slabs, or from a
 * free block at least twice as large (replenish()); a freed block keeps
 * a link to the next free one of its size in its first bytes. Under
 * AddressSanitizer, free blocks are poisoned (but for that link), so a
 * frozen connection used after it was freed is still reported.
 *
 * The slabs are cut one after the other from arenas of 2 MiB, each
 * mapped on its own and aligned; from the second on, each is asked to
 * be a transparent huge page (MADV_HUGEPAGE: the kernel gives one where
 * its THP setting is "always" or, as on session 29's machine,
 * "madvise"): one page fault an arena instead of 512. Under a
 * hypervisor whose page faults are dear (that machine's PVM) this took
 * a seventh off the engine thread's CPU time on medium-b
 * (doc/HACKING.md). The first arena is not: a small capture, or each
 * of many --threads engines, would hold a whole huge page for a few
 * slabs. So a pool's RSS is at most its footprint plus the last
 * arena's uncut rest (under 2 MiB), once it is past 2 MiB. (The
 * memory budget charges by connection, store.c, not by footprint.)
 * Under AddressSanitizer an arena is poisoned until its slabs are cut,
 * and LeakSanitizer scans it for pointers as it would a heap block. */
#include "config.h"

#include <sys/mman.h>

#include <glib.h>

#include "finscope/pool.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#endif
#if defined(POOL_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define ROOT(p, n) __lsan_register_root_region((p), (n))
#define UNROOT(p, n) __lsan_unregister_root_region((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#define ROOT(p, n) ((void)(p), (void)(n))
#define UNROOT(p, n) ((void)(p), (void)(n))
#endif

/* Blocks up to this size come from the pool. */
#define MAX_BLOCK 1024u
#define N_CLASSES (MAX_BLOCK / FS_POOL_ALIGN)
#define SLAB_BYTES (16u * 1024u)
#define ARENA_BYTES (2u * 1024u * 1024u) /* x86-64's huge page */

typedef struct FreeBlock FreeBlock;
struct FreeBlock {
    FreeBlock *next;
};

/* A class's free blocks. */
typedef struct {
    FreeBlock *first;  /* its free list */
    guint32 free;      /* blocks on it */
    guint32 blocks;    /* blocks of the class, free or not */
} FreeList;

struct FsPool {
    FreeList free[N_CLASSES + 1];   /* by size / FS_POOL_ALIGN */
    guint top;                      /* the largest class of any block */
    GPtrArray *arenas;              /* owned, ARENA_BYTES each */
    char *arena_next;               /* the next slab in the last arena */
    gsize arena_left;               /* bytes from arena_next on */
    gsize footprint;
};

G_STATIC_ASSERT(sizeof(FreeBlock) <= FS_POOL_ALIGN);

FsPool *
fs_pool_new(void)
{
    FsPool *pool = g_new0(FsPool, 1);

    pool->arenas = g_ptr_array_new();
    return pool;
}

void
fs_pool_free(FsPool *pool)
{
    if (pool == NULL)
        return;
    for (guint i = 0; i < pool->arenas->len; i++) {
        char *a = g_ptr_array_index(pool->arenas, i);

        UNROOT(a, ARENA_BYTES);
        UNPOISON(a, ARENA_BYTES);
        (void)munmap(a, ARENA_BYTES);
    }
    g_ptr_array_unref(pool->arenas);
    g_free(pool);
}

static inline guint
class_of(gsize size)
{
    return (guint)((size + FS_POOL_ALIGN - 1) / FS_POOL_ALIGN);
}

static inline void
push(FsPool *pool, guint c, gpointer block)
{
    FreeBlock *b = block;
    FreeList *l = &pool->free[c];

    UNPOISON(b, sizeof *b);
    b->next = l->first;
    l->first = b;
    l->free++;
    POISON((char *)block + sizeof *b, c * FS_POOL_ALIGN - sizeof *b);
}

/* bytes at p (a multiple of FS_POOL_ALIGN) cut into free blocks of
 * class c, the first at p on top; what is left over, a free block of
 * its own size. */
static void
carve(FsPool *pool, guint c, char *p, gsize bytes)
{
    gsize block = c * FS_POOL_ALIGN;
    gsize used = bytes / block * block;

    if (bytes > used) {
        push(pool, class_of(bytes - used), p + used);
        pool->free[class_of(bytes - used)].blocks++;
    }
    for (gsize off = used; off >= block; off -= block)
        push(pool, c, p + off - block);
    pool->free[c].blocks += (guint32)(used / block);
    pool->top = MAX(pool->top, c);
}

/* Whether class d holds free blocks to spare: more than a slab's worth
 * and a quarter of those in use. */
static inline gboolean
spare(const FreeList *l, guint d)
{
    guint32 in_use = l->blocks - l->free;

    return l->free > in_use / 4 + SLAB_BYTES / (d * FS_POOL_ALIGN);
}

/* A new arena for the slabs: ARENA_BYTES aligned to its size (mapped
 * twice as large, the ends given back), from the second on a huge page
 * if the kernel has one. Out of memory aborts, as g_malloc() does. */
static void
new_arena(FsPool *pool)
{
    gsize span = 2 * ARENA_BYTES;
    char *p = mmap(NULL, span, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *a;

    if (p == MAP_FAILED)
        g_error("%s: failed to map %" G_GSIZE_FORMAT " bytes", G_STRLOC,
                span);
    a = (char *)(((guintptr)p + ARENA_BYTES - 1) &
                 ~(guintptr)(ARENA_BYTES - 1));
    if (a > p)
        (void)munmap(p, (gsize)(a - p));
    (void)munmap(a + ARENA_BYTES, (gsize)(p + span - (a + ARENA_BYTES)));
#ifdef MADV_HUGEPAGE
    if (pool->arenas->len > 0)
        (void)madvise(a, ARENA_BYTES, MADV_HUGEPAGE);
#endif
    POISON(a, ARENA_BYTES);
    ROOT(a, ARENA_BYTES);
    g_ptr_array_add(pool->arenas, a);
    pool->arena_next = a;
    pool->arena_left = ARENA_BYTES;
}

/* Class c has no free block: a free one of a class at least twice as
 * large, if that class has some to spare, is cut into blocks of c, or
 * else a new slab is. The mix of sizes shifts: at the end of medium,
 * 5,000 whole connections (528 bytes) freeze into ~137 bytes, and
 * their blocks, free, serve the frozen ones instead of new slabs (0.5
 * MB less at the pool's peak). Only what a class has to spare: a block
 * freed a moment ago is soon taken again (cutting any took 4.7 times
 * the slabs for whole connections on medium). The largest class with
 * blocks to spare is cut; what is left over is a free block of its own
 * size (carve()). */
static G_GNUC_NO_INLINE void
replenish(FsPool *pool, guint c)
{
    char *slab;

    for (guint d = pool->top; d >= 2 * c; d--) {
        FreeList *l = &pool->free[d];
        FreeBlock *b = l->first;

        if (b == NULL || !spare(l, d))
            continue;
        UNPOISON(b, d * FS_POOL_ALIGN);
        l->first = b->next;
        l->free--;
        l->blocks--;
        carve(pool, c, (char *)b, d * FS_POOL_ALIGN);
        return;
    }
    if (pool->arena_left < SLAB_BYTES)
        new_arena(pool);
    slab = pool->arena_next;
    pool->arena_next += SLAB_BYTES;
    pool->arena_left -= SLAB_BYTES;
    pool->footprint += SLAB_BYTES;
    POISON(slab, SLAB_BYTES);
    carve(pool, c, slab, SLAB_BYTES);
}

gpointer
fs_pool_alloc(FsPool *pool, gsize size)
{
    guint c = class_of(size);
    FreeList *l;
    FreeBlock *b;

    if (size == 0 || size > MAX_BLOCK)
        return g_malloc(MAX(size, 1));
    l = &pool->free[c];
    if (G_UNLIKELY(l->first == NULL))
        replenish(pool, c);
    b = l->first;
    l->first = b->next;
    l->free--;
    UNPOISON(b, c * FS_POOL_ALIGN);
    return b;
}

void
fs_pool_release(FsPool *pool, gpointer block, gsize size)
{
    if (block == NULL)
        return;
    if (size == 0 || size > MAX_BLOCK) {
        g_free(block);
        return;
    }
    push(pool, class_of(size), block);
}

gsize
fs_pool_footprint(const FsPool *pool)
{
    return pool->footprint;
}
