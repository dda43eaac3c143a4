/* finscope: a pool of small blocks, a free list per size (pool.h).
 *
 * glibc's malloc puts an 8-byte header before each block and rounds it
 * to 16 bytes: ~15 bytes on each ~125-byte frozen connection. Here a
 * block is its size rounded to 8, carved from 16 KiB slabs; a freed
 * block keeps a link to the next free one of its size in its first
 * bytes. Under AddressSanitizer, free blocks are poisoned (but for that
 * link), so a frozen connection used after it was freed is still
 * reported. */
#include "config.h"

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
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* Blocks up to this size come from the pool. */
#define MAX_BLOCK 1024u
#define N_CLASSES (MAX_BLOCK / FS_POOL_ALIGN)
#define SLAB_BYTES (16u * 1024u)

typedef struct FreeBlock FreeBlock;
struct FreeBlock {
    FreeBlock *next;
};

struct FsPool {
    FreeBlock *free[N_CLASSES + 1]; /* by size / FS_POOL_ALIGN */
    GPtrArray *slabs;               /* owned */
    gsize footprint;
};

G_STATIC_ASSERT(sizeof(FreeBlock) <= FS_POOL_ALIGN);

FsPool *
fs_pool_new(void)
{
    FsPool *pool = g_new0(FsPool, 1);

    pool->slabs = g_ptr_array_new_with_free_func(g_free);
    return pool;
}

void
fs_pool_free(FsPool *pool)
{
    if (pool == NULL)
        return;
    for (guint i = 0; i < pool->slabs->len; i++)
        UNPOISON(g_ptr_array_index(pool->slabs, i), SLAB_BYTES);
    g_ptr_array_unref(pool->slabs);
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

    UNPOISON(b, sizeof *b);
    b->next = pool->free[c];
    pool->free[c] = b;
    POISON((char *)block + sizeof *b, c * FS_POOL_ALIGN - sizeof *b);
}

/* A new slab cut into blocks of class c, all on its free list. */
static void
refill(FsPool *pool, guint c)
{
    gsize block = c * FS_POOL_ALIGN;
    char *slab = g_malloc(SLAB_BYTES);

    g_ptr_array_add(pool->slabs, slab);
    pool->footprint += SLAB_BYTES;
    POISON(slab, SLAB_BYTES);
    for (gsize off = SLAB_BYTES / block * block; off >= block; off -= block)
        push(pool, c, slab + off - block);
}

gpointer
fs_pool_alloc(FsPool *pool, gsize size)
{
    guint c = class_of(size);
    FreeBlock *b;

    if (size == 0 || size > MAX_BLOCK)
        return g_malloc(MAX(size, 1));
    if (pool->free[c] == NULL)
        refill(pool, c);
    b = pool->free[c];
    pool->free[c] = b->next;
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
