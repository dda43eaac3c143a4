/* finscope tests: the block pool — sizes, alignment, reuse, big blocks. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/pool.h"

/* Blocks of many sizes, written whole, never overlap and are aligned;
 * a released block serves the next of its size; the footprint grows by
 * slabs, not by blocks. */
static void
test_blocks(void)
{
    g_autoptr(FsPool) pool = fs_pool_new();
    g_autoptr(GRand) rng = g_rand_new_with_seed(5);
    g_autoptr(GPtrArray) live = g_ptr_array_new();
    g_autoptr(GArray) sizes = g_array_new(FALSE, FALSE, sizeof(gsize));
    gsize footprint;

    for (guint i = 0; i < 20000; i++) {
        gsize size = (gsize)g_rand_int_range(rng, 1, 300);
        guint8 *b = fs_pool_alloc(pool, size);

        g_assert_cmpuint((guintptr)b % FS_POOL_ALIGN, ==, 0);
        memset(b, (int)(i & 0xff), size);
        g_ptr_array_add(live, b);
        g_array_append_val(sizes, size);
    }
    for (guint i = 0; i < live->len; i++) {
        const guint8 *b = g_ptr_array_index(live, i);
        gsize size = g_array_index(sizes, gsize, i);

        for (gsize k = 0; k < size; k++)
            g_assert_cmpuint(b[k], ==, i & 0xff);
    }
    footprint = fs_pool_footprint(pool);
    /* ~20000 blocks of 150 bytes on average, in 16 KiB slabs */
    g_assert_cmpuint(footprint, <, 20000 * 160 + 40 * 16384);
    for (guint i = 0; i < live->len; i++)
        fs_pool_release(pool, g_ptr_array_index(live, i),
                        g_array_index(sizes, gsize, i));
    /* all free: the same blocks come back, nothing more is taken */
    for (guint i = 0; i < live->len; i++)
        g_ptr_array_index(live, i) =
            fs_pool_alloc(pool, g_array_index(sizes, gsize, i));
    g_assert_cmpuint(fs_pool_footprint(pool), ==, footprint);
    {
        guint8 *a = g_ptr_array_index(live, 0);
        gsize size = g_array_index(sizes, gsize, 0);

        fs_pool_release(pool, a, size);
        g_assert_true(fs_pool_alloc(pool, size) == a);
    }
}

/* The mix of sizes shifts (whole connections freeze): blocks of a size
 * no longer needed serve smaller ones, cut, instead of new slabs; but a
 * size that keeps few free keeps them (they are soon needed again). */
static void
test_shift(void)
{
    g_autoptr(FsPool) pool = fs_pool_new();
    g_autoptr(GPtrArray) whole = g_ptr_array_new();
    g_autoptr(GPtrArray) small = g_ptr_array_new();
    gsize footprint;

    for (guint i = 0; i < 3000; i++)
        g_ptr_array_add(whole, fs_pool_alloc(pool, 520));
    /* a few free: not to spare, the small ones take a slab */
    for (guint i = 0; i < 60; i++)
        fs_pool_release(pool, g_ptr_array_index(whole, i), 520);
    footprint = fs_pool_footprint(pool);
    g_ptr_array_add(small, fs_pool_alloc(pool, 136));
    g_assert_cmpuint(fs_pool_footprint(pool), ==, footprint + 16384);
    for (guint i = 0; i < 60; i++)
        g_assert_nonnull(fs_pool_alloc(pool, 520));
    g_assert_cmpuint(fs_pool_footprint(pool), ==, footprint + 16384);
    /* most free: 2,000 whole blocks (a megabyte) hold 5,000 small */
    for (guint i = 60; i < 2060; i++)
        fs_pool_release(pool, g_ptr_array_index(whole, i), 520);
    footprint = fs_pool_footprint(pool);
    for (guint i = 0; i < 5000; i++) {
        guint8 *b = fs_pool_alloc(pool, 136);

        memset(b, (int)(i & 0xff), 136);
        g_ptr_array_add(small, b);
    }
    g_assert_cmpuint(fs_pool_footprint(pool), ==, footprint);
    for (guint i = 1; i < small->len; i++) {
        const guint8 *b = g_ptr_array_index(small, i);

        for (guint k = 0; k < 136; k++)
            g_assert_cmpuint(b[k], ==, (i - 1) & 0xff);
    }
}

/* Blocks larger than the pool keeps come from g_malloc and go back to
 * it (the sanitizers' leak check sees them freed). */
static void
test_big(void)
{
    g_autoptr(FsPool) pool = fs_pool_new();
    guint8 *b = fs_pool_alloc(pool, 5000);

    memset(b, 1, 5000);
    g_assert_cmpuint(fs_pool_footprint(pool), ==, 0);
    fs_pool_release(pool, b, 5000);
    fs_pool_release(pool, NULL, 10);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pool/blocks", test_blocks);
    g_test_add_func("/pool/shift", test_shift);
    g_test_add_func("/pool/big", test_big);
    return g_test_run();
}
