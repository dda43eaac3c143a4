/* finscope tests: sequence arithmetic modulo 2^32. */
#include "config.h"

#include <glib.h>

#include "finscope/seq.h"

static void
test_plain(void)
{
    g_assert_true(fs_seq_lt(1, 2));
    g_assert_false(fs_seq_lt(2, 1));
    g_assert_false(fs_seq_lt(5, 5));
    g_assert_true(fs_seq_leq(5, 5));
    g_assert_true(fs_seq_gt(2, 1));
    g_assert_true(fs_seq_geq(7, 7));
}

/* 0xfffffff0 comes before 0x10: the space wrapped. */
static void
test_wraparound(void)
{
    g_assert_true(fs_seq_lt(0xfffffff0u, 0x10u));
    g_assert_true(fs_seq_gt(0x10u, 0xfffffff0u));
    g_assert_true(fs_seq_lt(0xffffffffu, 0u));
    g_assert_true(fs_seq_geq(0u, 0xffffffffu));
    g_assert_cmpuint(fs_seq_max(0xfffffff0u, 0x10u), ==, 0x10u);
    g_assert_cmpuint(fs_seq_max(0x10u, 0xfffffff0u), ==, 0x10u);
}

static void
test_between(void)
{
    g_assert_true(fs_seq_between(5, 5, 10));
    g_assert_false(fs_seq_between(10, 5, 10));
    g_assert_true(fs_seq_between(0x2u, 0xfffffff0u, 0x10u));
    g_assert_false(fs_seq_between(0x10u, 0xfffffff0u, 0x10u));
    g_assert_false(fs_seq_between(0xffffffe0u, 0xfffffff0u, 0x10u));
}

/* Half the space away is the horizon: beyond it "later" becomes
 * "earlier" (RFC 1982 §3.2). */
static void
test_horizon(void)
{
    g_assert_true(fs_seq_lt(0, 0x7fffffffu));
    g_assert_false(fs_seq_lt(0, 0x80000001u));
}

static void
test_timestamps(void)
{
    g_assert_true(fs_ts_older(99, 100));
    g_assert_false(fs_ts_older(100, 100));
    g_assert_true(fs_ts_older(0xfffffff0u, 5));
    g_assert_false(fs_ts_older(5, 0xfffffff0u));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/seq/plain", test_plain);
    g_test_add_func("/seq/wraparound", test_wraparound);
    g_test_add_func("/seq/between", test_between);
    g_test_add_func("/seq/horizon", test_horizon);
    g_test_add_func("/seq/timestamps", test_timestamps);
    return g_test_run();
}
