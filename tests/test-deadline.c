/* finscope: the deadline queue — earliest first, moves and removals. */
#include "config.h"

#include <glib.h>

#include "finscope/deadline.h"

static void
test_order(void)
{
    g_autoptr(FsDeadlines) q = fs_deadlines_new();
    FsConn conns[64] = { 0 };
    FsTime last = -1;
    guint n = 0;
    FsConn *c;

    /* wake times in a scrambled order */
    for (guint i = 0; i < G_N_ELEMENTS(conns); i++)
        fs_deadlines_set(q, &conns[i], (FsTime)((i * 37) % 64) * 10);
    g_assert_cmpuint(fs_deadlines_size(q), ==, 64);
    g_assert_null(fs_deadlines_pop_due(q, -1));
    while ((c = fs_deadlines_pop_due(q, 315)) != NULL) {
        FsTime w = (FsTime)(((c - conns) * 37) % 64) * 10;

        g_assert_cmpint(w, >=, last);
        g_assert_cmpint(w, <=, 315);
        g_assert_cmpuint(c->deadline_slot, ==, 0);
        last = w;
        n++;
    }
    g_assert_cmpuint(n, ==, 32); /* 0, 10, ..., 310 */
    g_assert_cmpuint(fs_deadlines_size(q), ==, 32);
}

static void
test_move_and_remove(void)
{
    g_autoptr(FsDeadlines) q = fs_deadlines_new();
    FsConn a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };

    fs_deadlines_set(q, &a, 100);
    fs_deadlines_set(q, &b, 200);
    fs_deadlines_set(q, &c, 300);
    fs_deadlines_set(q, &d, 400);
    g_assert_cmpint(fs_deadlines_wake(q, &c), ==, 300);
    fs_deadlines_set(q, &c, 50);   /* earlier */
    fs_deadlines_set(q, &a, 500);  /* later */
    fs_deadlines_remove(q, &b);
    fs_deadlines_remove(q, &b);    /* not queued: nothing happens */
    g_assert_cmpint(fs_deadlines_wake(q, &b), ==, G_MAXINT64);
    g_assert_cmpuint(fs_deadlines_size(q), ==, 3);
    g_assert_true(fs_deadlines_pop_due(q, 1000) == &c);
    g_assert_true(fs_deadlines_pop_due(q, 1000) == &d);
    g_assert_true(fs_deadlines_pop_due(q, 1000) == &a);
    g_assert_null(fs_deadlines_pop_due(q, 1000));
}

static guint
count_queued(const gboolean *queued, guint n)
{
    guint k = 0;

    for (guint i = 0; i < n; i++)
        k += queued[i];
    return k;
}

static void
collect(FsConn *conn, gpointer user)
{
    g_ptr_array_add(user, conn);
}

/* Drains q into out (empty) and checks that it gave the ids want[0..n)
 * in that order, each entry's slot cleared, and left q empty. */
static void
expect_drained(FsDeadlines *q, GPtrArray *out, const guint64 *want, guint n)
{
    g_assert_cmpuint(out->len, ==, 0);
    fs_deadlines_drain_by_id(q, collect, NULL, out);
    g_assert_cmpuint(out->len, ==, n);
    for (guint i = 0; i < out->len; i++) {
        const FsConn *c = g_ptr_array_index(out, i);

        g_assert_cmpuint(c->id, ==, want[i]);
        g_assert_cmpuint(c->deadline_slot, ==, 0);
    }
    g_assert_cmpuint(fs_deadlines_size(q), ==, 0);
}

/* Random operations against a brute-force model, times in units of
 * unit ns: 1 (all in one of the wheel's buckets), 2^27 (1000 units: 134
 * s, the wheel's reach), 2^29 and 2^31 (most far ahead: the heap beside
 * the wheel), and now going back and forth (wakes set before the
 * wheel's first bucket); one set in eight never due (G_MAXINT64). */
static void
random_walk(gconstpointer data)
{
    const FsTime unit = *(const FsTime *)data;
    g_autoptr(FsDeadlines) q = fs_deadlines_new();
    g_autoptr(GRand) rng = g_rand_new_with_seed(7);
    FsConn conns[200] = { 0 };
    FsTime model[200];
    gboolean queued[200] = { FALSE };

    g_autoptr(GPtrArray) due = g_ptr_array_new();

    for (guint i = 0; i < G_N_ELEMENTS(model); i++) {
        model[i] = G_MAXINT64;
        conns[i].id = 200 - i;
    }
    for (guint step = 0; step < 20000; step++) {
        guint i = g_rand_int_range(rng, 0, 200);
        int op = g_rand_int_range(rng, 0, 5);

        if (op == 0) {
            model[i] = g_rand_int_range(rng, 0, 8) == 0
                           ? G_MAXINT64
                           : g_rand_int_range(rng, 0, 1000) * unit +
                                 g_rand_int_range(rng, 0,
                                                  (gint32)MIN(unit, 1000));
            queued[i] = TRUE;
            fs_deadlines_set(q, &conns[i], model[i]);
        } else if (op == 1) {
            model[i] = G_MAXINT64;
            queued[i] = FALSE;
            fs_deadlines_remove(q, &conns[i]);
        } else if (op == 2) {
            /* all due at once, by id: few (removed one by one) or many
             * (the heap rebuilt without them); the pops after check the
             * heap left */
            FsTime now = g_rand_int_range(rng, 0, 400) * unit;
            guint64 last_id = 0;

            g_ptr_array_set_size(due, 0);
            fs_deadlines_pop_due_by_id(q, now, due);
            for (guint k = 0; k < G_N_ELEMENTS(model); k++) {
                const FsConn *c = &conns[G_N_ELEMENTS(model) - 1 - k];

                if (model[c - conns] > now)
                    continue;
                /* in id order: conns from the last */
                g_assert_cmpuint(due->len, >, 0);
                g_assert_true(g_ptr_array_index(due, 0) == c);
                g_assert_cmpuint(c->deadline_slot, ==, 0);
                g_assert_cmpuint(c->id, >, last_id);
                last_id = c->id;
                g_ptr_array_remove_index(due, 0);
                model[c - conns] = G_MAXINT64;
                queued[c - conns] = FALSE;
            }
            g_assert_cmpuint(due->len, ==, 0);
        } else if (op == 3) {
            FsTime now = g_rand_int_range(rng, 0, 1000) * unit;
            FsTime min = G_MAXINT64;
            FsConn *c = fs_deadlines_pop_due(q, now);

            for (guint k = 0; k < G_N_ELEMENTS(model); k++)
                min = MIN(min, model[k]);
            if (min > now) {
                g_assert_null(c);
                continue;
            }
            g_assert_nonnull(c);
            g_assert_cmpint(model[c - conns], ==, min);
            model[c - conns] = G_MAXINT64;
            queued[c - conns] = FALSE;
        } else {
            for (guint k = 0; k < G_N_ELEMENTS(model); k++)
                g_assert_cmpint(fs_deadlines_wake(q, &conns[k]), ==,
                                model[k]);
            g_assert_cmpuint(fs_deadlines_size(q), ==,
                             count_queued(queued, G_N_ELEMENTS(queued)));
        }
    }
    /* the rest, never-due ones among them, in id order */
    g_ptr_array_set_size(due, 0);
    fs_deadlines_drain_by_id(q, collect, NULL, due);
    g_assert_cmpuint(due->len, ==,
                     count_queued(queued, G_N_ELEMENTS(queued)));
    for (guint k = 0; k < due->len; k++) {
        const FsConn *c = g_ptr_array_index(due, k);

        g_assert_true(queued[c - conns]);
        g_assert_cmpuint(c->deadline_slot, ==, 0);
        if (k > 0)
            g_assert_cmpuint(((const FsConn *)g_ptr_array_index(
                                  due, k - 1))->id, <, c->id);
    }
    g_assert_cmpuint(fs_deadlines_size(q), ==, 0);
}

/* drain_by_id() empties the queue in id order, whatever the wake
 * times. */
static void
test_drain_by_id(void)
{
    g_autoptr(FsDeadlines) q = fs_deadlines_new();
    g_autoptr(GPtrArray) out = g_ptr_array_new();
    FsConn conns[50] = { 0 };

    g_assert_null(fs_deadlines_pop_due(q, G_MAXINT64));
    for (guint i = 0; i < G_N_ELEMENTS(conns); i++) {
        conns[i].id = (i * 17) % 50 + 1;
        fs_deadlines_set(q, &conns[i], (FsTime)((i * 31) % 50));
    }
    g_assert_cmpint(fs_deadlines_wake(q, &conns[0]), ==, 0);
    g_assert_cmpuint(fs_deadlines_size(q), ==, 50);
    fs_deadlines_drain_by_id(q, collect, NULL, out);
    g_assert_cmpuint(fs_deadlines_size(q), ==, 0);
    g_assert_null(fs_deadlines_pop_due(q, G_MAXINT64));
    g_assert_cmpuint(out->len, ==, 50);
    for (guint i = 0; i < out->len; i++) {
        const FsConn *c = g_ptr_array_index(out, i);

        g_assert_cmpuint(c->id, ==, i + 1);
        g_assert_cmpuint(c->deadline_slot, ==, 0);
    }
}

/* pop_due_by_id() takes out those due, in id order, and drain_by_id()
 * the rest: with ids spread over several bytes (the radix sort's passes)
 * or dense (a few hundred thousand apart at most, as a capture's are:
 * two passes of digits narrower than the widest, or one) and few (its
 * insertion sort), wakes within one of the wheel's buckets and over
 * 268 s (many buckets, merged by the drain, and the far heap). */
static void
test_due_by_id(void)
{
    const guint sizes[] = { 1, 7, 32, 33, 5000 };

    for (guint k = 0; k < 4 * G_N_ELEMENTS(sizes); k++) {
        guint n = sizes[k % G_N_ELEMENTS(sizes)];
        FsTime unit = k % (2 * G_N_ELEMENTS(sizes)) < G_N_ELEMENTS(sizes)
                          ? 1
                          : (FsTime)1 << 28;
        /* dense: ids of 1 to 18 bits (a span of 2^18 - 1) */
        gboolean dense = k >= 2 * G_N_ELEMENTS(sizes);
        g_autoptr(FsDeadlines) q = fs_deadlines_new();
        g_autoptr(GPtrArray) due = g_ptr_array_new();
        g_autoptr(GPtrArray) rest = g_ptr_array_new();
        g_autofree FsConn *conns = g_new0(FsConn, n);
        GRand *rand = g_rand_new_with_seed(16 + k);
        guint n_due = 0;

        for (guint i = 0; i < n; i++) {
            FsTime wake = g_rand_int_range(rand, 0, 1000) * unit;

            /* unique ids, far apart and out of order, or dense (i
             * spread over 18 bits by an odd multiplier) */
            conns[i].id = dense ? (i * 40503u & 0x3ffffu) + 1
                                : ((guint64)g_rand_int(rand) << 20 | i) + 7;
            fs_deadlines_set(q, &conns[i], wake);
            n_due += wake <= 500 * unit;
        }
        fs_deadlines_pop_due_by_id(q, 500 * unit, due);
        fs_deadlines_drain_by_id(q, collect, NULL, rest);
        g_assert_cmpuint(due->len, ==, n_due);
        g_assert_cmpuint(due->len + rest->len, ==, n);
        for (guint i = 0; i < due->len; i++) {
            const FsConn *c = g_ptr_array_index(due, i);

            g_assert_cmpint(c->deadline_slot, ==, 0);
            if (i > 0)
                g_assert_cmpuint(((const FsConn *)g_ptr_array_index(
                                      due, i - 1))->id, <, c->id);
        }
        for (guint i = 1; i < rest->len; i++)
            g_assert_cmpuint(((const FsConn *)g_ptr_array_index(
                                  rest, i - 1))->id, <,
                             ((const FsConn *)g_ptr_array_index(rest, i))->id);
        g_rand_free(rand);
    }
}

/* drain_by_id() keys the wheel's entries by their ids' low 32 bits less
 * the least id's: ids that cross a multiple of 2^32 (a span below it)
 * still come out in order, from buckets and the far heap alike. */
static void
test_drain_ids_across_2_32(void)
{
    g_autoptr(FsDeadlines) q = fs_deadlines_new();
    g_autoptr(GPtrArray) out = g_ptr_array_new();
    FsConn conns[300] = { 0 };
    const guint64 first = G_GUINT64_CONSTANT(0x100000000) - 150;

    for (guint i = 0; i < G_N_ELEMENTS(conns); i++) {
        /* ids out of order: i spread by an odd multiplier */
        conns[i].id = first + (i * 7u) % G_N_ELEMENTS(conns);
        /* in a few of the wheel's buckets, some far (over 2^37 ns) */
        fs_deadlines_set(q, &conns[i],
                         (FsTime)(i % 5) << (i % 3 == 0 ? 38 : 30));
    }
    fs_deadlines_drain_by_id(q, collect, NULL, out);
    g_assert_cmpuint(out->len, ==, G_N_ELEMENTS(conns));
    for (guint i = 0; i < out->len; i++)
        g_assert_cmpuint(((const FsConn *)g_ptr_array_index(out, i))->id, ==,
                         first + i);
}

/* A wake never due (G_MAXINT64: an idle connection frozen with no idle
 * timeout) set into an empty wheel does not start it at the end of
 * time: the wakes after it land in the wheel (not the far heap, FAR in
 * their slots), and it comes out at the drain in id order. */
static void
test_never_due(void)
{
    g_autoptr(FsDeadlines) q = fs_deadlines_new();
    g_autoptr(GPtrArray) due = g_ptr_array_new();
    g_autoptr(GPtrArray) out = g_ptr_array_new();
    const FsTime sec = 1000000000;
    static const guint64 due_ids[] = { 3, 5, 6, 7 };
    static const guint64 rest_ids[] = { 1, 2, 4, 7, 9 };
    FsConn idle = { 0 }, again = { 0 }, moved;
    FsConn conns[6] = { 0 };

    idle.id = 4;
    again.id = 9;
    fs_deadlines_set(q, &idle, G_MAXINT64);
    g_assert_cmpint(fs_deadlines_wake(q, &idle), ==, G_MAXINT64);
    for (guint i = 0; i < G_N_ELEMENTS(conns); i++) {
        /* ids 1, 2, 3, 5, 6, 7: due at 12 s to 17 s, the later first */
        conns[i].id = i < 3 ? i + 1 : i + 2;
        fs_deadlines_set(q, &conns[i],
                         (17 - (FsTime)i) * sec + (FsTime)i * 1000);
        g_assert_cmpuint(conns[i].deadline_slot & FS_DEADLINE_FAR, ==, 0);
        g_assert_cmpint(fs_deadlines_wake(q, &conns[i]), ==,
                        (17 - (FsTime)i) * sec + (FsTime)i * 1000);
    }
    /* set again never due (stays), or from the wheel to never due */
    fs_deadlines_set(q, &idle, G_MAXINT64);
    fs_deadlines_set(q, &again, 13 * sec);
    fs_deadlines_set(q, &again, G_MAXINT64);
    g_assert_cmpint(fs_deadlines_wake(q, &again), ==, G_MAXINT64);
    g_assert_cmpuint(fs_deadlines_size(q), ==, 8);
    /* a sweep at 15.5 s: those of 12 s to 15 s, by id */
    fs_deadlines_pop_due_by_id(q, 15 * sec + sec / 2, due);
    g_assert_cmpuint(due->len, ==, 4);
    for (guint i = 0; i < due->len; i++)
        g_assert_cmpuint(((const FsConn *)g_ptr_array_index(due, i))->id, ==,
                         due_ids[i]);
    g_assert_null(fs_deadlines_pop_due(q, 15 * sec + sec / 2));
    /* a wake after the sweep goes to the wheel too */
    fs_deadlines_set(q, &conns[5], 20 * sec);
    g_assert_cmpuint(conns[5].deadline_slot & FS_DEADLINE_FAR, ==, 0);
    /* the never-due one's record moves (frozen, thawed): its entry
     * follows, never due still */
    moved = idle;
    fs_deadlines_relocate(q, &idle, &moved);
    g_assert_cmpint(fs_deadlines_wake(q, &moved), ==, G_MAXINT64);
    expect_drained(q, out, rest_ids, G_N_ELEMENTS(rest_ids));
    g_assert_true(g_ptr_array_index(out, 2) == &moved);
    /* never-due ones alone, the wheel and the far heap empty: neither
     * pop takes them, however late; a relocated one drains in its
     * place, by id */
    idle = (FsConn){ .id = 4 }; /* (its old slot was left behind) */
    fs_deadlines_set(q, &again, G_MAXINT64);
    fs_deadlines_set(q, &idle, G_MAXINT64);
    moved = idle;
    fs_deadlines_relocate(q, &idle, &moved);
    g_ptr_array_set_size(due, 0);
    fs_deadlines_pop_due_by_id(q, 1000000 * sec, due);
    g_assert_cmpuint(due->len, ==, 0);
    g_assert_null(fs_deadlines_pop_due(q, G_MAXINT64 - 1));
    g_assert_cmpuint(fs_deadlines_size(q), ==, 2);
    g_assert_cmpint(fs_deadlines_wake(q, &moved), ==, G_MAXINT64);
    g_assert_cmpint(fs_deadlines_wake(q, &again), ==, G_MAXINT64);
    g_ptr_array_set_size(out, 0);
    fs_deadlines_drain_by_id(q, collect, NULL, out);
    g_assert_cmpuint(out->len, ==, 2);
    g_assert_true(g_ptr_array_index(out, 0) == &moved);
    g_assert_true(g_ptr_array_index(out, 1) == &again);
    g_assert_cmpuint(moved.deadline_slot, ==, 0);
    g_assert_cmpuint(again.deadline_slot, ==, 0);
    g_assert_cmpuint(fs_deadlines_size(q), ==, 0);
    /* (insert_never()'s overflow to the far heap, past BUCKET_MAX
     * never-due ones, cannot be tried here: that is 2^23 - 1 connections
     * queued at once, 8.4 million FsConns, more than a test can hold) */
}

/* An empty wheel stays at the last sweep's bucket: a wake RING buckets
 * or more past it (an idle record frozen to wait out --idle-timeout
 * 300 while nothing else is held) goes to the far heap, and the wakes
 * nearer that follow go to the wheel, not (as when the first started
 * the wheel at its bucket) to the far heap too; each is due in its
 * time. */
static void
test_empty_wheel_far_wake(void)
{
    g_autoptr(FsDeadlines) q = fs_deadlines_new();
    g_autoptr(GPtrArray) due = g_ptr_array_new();
    const FsTime sec = 1000000000;
    const FsTime t = 1700000000 * sec; /* a capture's time */
    FsConn idle = { .id = 1 };
    FsConn soon[3] = { { .id = 2 }, { .id = 3 }, { .id = 4 } };

    /* a sweep finds nothing; then the idle one, 300 s on */
    fs_deadlines_pop_due_by_id(q, t, due);
    g_assert_cmpuint(due->len, ==, 0);
    fs_deadlines_set(q, &idle, t + 300 * sec);
    g_assert_cmpuint(idle.deadline_slot & FS_DEADLINE_FAR, !=, 0);
    for (guint i = 0; i < G_N_ELEMENTS(soon); i++) {
        FsTime wake = t + (10 + 5 * (FsTime)i) * sec;

        fs_deadlines_set(q, &soon[i], wake);
        g_assert_cmpuint(soon[i].deadline_slot & FS_DEADLINE_FAR, ==, 0);
        g_assert_cmpint(fs_deadlines_wake(q, &soon[i]), ==, wake);
    }
    /* at 16 s: those of 10 s and 15 s */
    fs_deadlines_pop_due_by_id(q, t + 16 * sec, due);
    g_assert_cmpuint(due->len, ==, 2);
    g_assert_true(g_ptr_array_index(due, 0) == &soon[0]);
    g_assert_true(g_ptr_array_index(due, 1) == &soon[1]);
    g_ptr_array_set_size(due, 0);
    /* just before 300 s: the one of 20 s */
    fs_deadlines_pop_due_by_id(q, t + 299 * sec, due);
    g_assert_cmpuint(due->len, ==, 1);
    g_assert_true(g_ptr_array_index(due, 0) == &soon[2]);
    g_ptr_array_set_size(due, 0);
    fs_deadlines_pop_due_by_id(q, t + 300 * sec, due);
    g_assert_cmpuint(due->len, ==, 1);
    g_assert_true(g_ptr_array_index(due, 0) == &idle);
    g_assert_cmpuint(fs_deadlines_size(q), ==, 0);
}

/* drain_by_id() with ids that span 2^32 or more (drain_wide(): their
 * low 32 bits less the least's would not keep their order), from
 * buckets, the never-due ones and the far heap. */
static void
test_drain_wide(void)
{
    g_autoptr(FsDeadlines) q = fs_deadlines_new();
    g_autoptr(GPtrArray) out = g_ptr_array_new();
    const guint64 ids[] = { G_GUINT64_CONSTANT(0x200000001),
                            G_GUINT64_CONSTANT(0x100000007), 1,
                            G_GUINT64_CONSTANT(0x100000003), 5, 3 };
    const FsTime wakes[] = { 10, 20, (FsTime)1 << 40, G_MAXINT64, 10, 30 };
    const guint64 sorted[] = { 1, 3, 5, G_GUINT64_CONSTANT(0x100000003),
                               G_GUINT64_CONSTANT(0x100000007),
                               G_GUINT64_CONSTANT(0x200000001) };
    FsConn conns[G_N_ELEMENTS(ids)] = { 0 };

    for (guint i = 0; i < G_N_ELEMENTS(conns); i++) {
        conns[i].id = ids[i];
        fs_deadlines_set(q, &conns[i], wakes[i]);
    }
    expect_drained(q, out, sorted, G_N_ELEMENTS(sorted));
}

/* drain_by_id() with ahead: each connection is given to ahead (if at
 * all) before fn takes it, fn takes each once in id order; with dense
 * ids (the merge of buckets, never-due ones and the far heap) and with
 * ids spanning 2^32 (drain_wide()). */
typedef struct {
    FsConn *conns;
    gboolean *taken;     /* by fn, by index in conns */
    gboolean *asked;     /* by ahead */
    guint n_taken;
    guint n_asked;
    guint64 last_id;
} AheadCheck;

static void
ahead_take(FsConn *conn, gpointer user)
{
    AheadCheck *a = user;
    guint i = (guint)(conn - a->conns);

    g_assert_false(a->taken[i]);
    g_assert_cmpuint(conn->id, >, a->last_id);
    a->last_id = conn->id;
    a->taken[i] = TRUE;
    a->n_taken++;
}

static void
ahead_ask(const FsConn *conn, gpointer user)
{
    AheadCheck *a = user;
    guint i = (guint)(conn - a->conns);

    g_assert_false(a->taken[i]);
    g_assert_false(a->asked[i]);
    a->asked[i] = TRUE;
    a->n_asked++;
}

static void
test_drain_ahead(void)
{
    const guint n = 3000;

    for (guint wide = 0; wide <= 1; wide++) {
        g_autoptr(FsDeadlines) q = fs_deadlines_new();
        g_autofree FsConn *conns = g_new0(FsConn, n);
        g_autofree gboolean *taken = g_new0(gboolean, n);
        g_autofree gboolean *asked = g_new0(gboolean, n);
        AheadCheck a = { conns, taken, asked, 0, 0, 0 };

        for (guint i = 0; i < n; i++) {
            FsTime wake = i % 7 == 0   ? G_MAXINT64
                          : i % 5 == 0 ? (FsTime)1 << 42
                                       : (FsTime)((i * 31) % 997) * 1000000000;

            conns[i].id = (guint64)(i * 1237u) % n + 1 +
                          (wide && i % 2 == 0 ? G_GUINT64_CONSTANT(1) << 33
                                              : 0);
            fs_deadlines_set(q, &conns[i], wake);
        }
        fs_deadlines_drain_by_id(q, ahead_take, ahead_ask, &a);
        g_assert_cmpuint(fs_deadlines_size(q), ==, 0);
        g_assert_cmpuint(a.n_taken, ==, n);
        /* all but the first few, asked ahead of their turn */
        g_assert_cmpuint(a.n_asked, >, n - 64);
        g_assert_cmpuint(a.n_asked, <=, n);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/deadline/order", test_order);
    g_test_add_func("/deadline/move-and-remove", test_move_and_remove);
    static const FsTime units[] = { 1, G_GINT64_CONSTANT(1) << 27,
                                    G_GINT64_CONSTANT(1) << 29,
                                    G_GINT64_CONSTANT(1) << 31 };

    for (guint i = 0; i < G_N_ELEMENTS(units); i++) {
        g_autofree char *path = g_strdup_printf("/deadline/random/%" G_GINT64_FORMAT,
                                                units[i]);

        g_test_add_data_func(path, &units[i], random_walk);
    }
    g_test_add_func("/deadline/drain-by-id", test_drain_by_id);
    g_test_add_func("/deadline/due-by-id", test_due_by_id);
    g_test_add_func("/deadline/drain-ids-across-2^32",
                    test_drain_ids_across_2_32);
    g_test_add_func("/deadline/never-due", test_never_due);
    g_test_add_func("/deadline/empty-wheel-far-wake",
                    test_empty_wheel_far_wake);
    g_test_add_func("/deadline/drain-wide", test_drain_wide);
    g_test_add_func("/deadline/drain-ahead", test_drain_ahead);
    return g_test_run();
}
