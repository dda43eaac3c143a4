/* finscope: a pool for the many small blocks of one owner (a flow
 * table's connections, frozen and whole): sizes rounded up to 8 bytes,
 * no per-block header, a free list per size. Blocks are 8-byte
 * aligned. Memory returns to the system when the pool is freed; until
 * then a freed block serves the next one of its size or, none of a
 * size free, is cut into blocks of it if it is at least twice as large
 * and its size has free blocks to spare: more than a slab's worth and
 * a quarter of those in use (the mix of sizes shifts: whole
 * connections, then frozen ones). */
#ifndef FINSCOPE_POOL_H
#define FINSCOPE_POOL_H

#include <glib.h>

typedef struct FsPool FsPool;

#define FS_POOL_ALIGN 8

FsPool *fs_pool_new(void);
void fs_pool_free(FsPool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsPool, fs_pool_free)

/* size bytes (uninitialised); larger blocks than the pool keeps come
 * from g_malloc, which is as aligned. */
gpointer fs_pool_alloc(FsPool *pool, gsize size);

/* Gives back block, allocated with the same size. */
void fs_pool_release(FsPool *pool, gpointer block, gsize size);

/* Bytes the pool holds from the system (blocks in use and free). */
gsize fs_pool_footprint(const FsPool *pool);

#endif /* FINSCOPE_POOL_H */
