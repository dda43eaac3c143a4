/* finscope tests: port pressure — TIME_WAIT per client -> server ip:port,
 * its peaks, pruning and the busiest destinations, against a plain
 * model, counted as timewait.c counts them (a destination held, its
 * TIME_WAIT entered and released by its number); and the host index it
 * shares with timewait.c. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "hostindex.h"
#include "pressure.h"

typedef struct {
    guint32 now;
    guint32 peak;
    FsTime peak_at;
    guint32 dest;   /* its number, while it holds a TIME_WAIT */
} Model;

static FsAddr
v4(guint32 n)
{
    FsAddr a;

    memset(&a, 0, sizeof a);
    a.family = 4;
    a.bytes[0] = 10;
    a.bytes[1] = (guint8)(n >> 16);
    a.bytes[2] = (guint8)(n >> 8);
    a.bytes[3] = (guint8)n;
    return a;
}

/* Destination k: client host k % 997, server k % 7, port 80 + k % 3. */
static void
dest(guint k, FsAddr *client, FsAddr *server, guint16 *port)
{
    *client = v4(1000 + k % 997);
    *server = v4(k % 7);
    server->bytes[0] = 192;
    *port = (guint16)(80 + k % 3);
}

/* fs_pressure_hold() with client's hash, as timewait.c passes it. */
static guint32
hold(FsPressure *p, const FsAddr *client, const FsAddr *server,
     guint16 port, guint32 owner)
{
    return fs_pressure_hold(p, client, fs_host_index_hash(client), server,
                            port, owner);
}

/* The kth destination of the tests that hold many: client k % 5000 + 1
 * towards server:(1 + k / 5000), its owner k % 5000 (a client's owner
 * the same in each of its holds, pressure.h). */
static guint32
hold_kth(FsPressure *p, const FsAddr *server, guint k)
{
    FsAddr c = v4(k % 5000 + 1);

    return hold(p, &c, server, (guint16)(1 + k / 5000), k % 5000);
}

/* client entered TIME_WAIT towards server:port at ts, as timewait.c
 * counts one: the destination held, then entered by its number, which
 * the leave names. */
static guint32
enter(FsPressure *p, const FsAddr *client, const FsAddr *server,
      guint16 port, FsTime ts)
{
    guint32 dest = hold(p, client, server, port, 0);

    g_assert_cmpuint(dest, !=, 0);
    fs_pressure_enter_held(p, dest, ts);
    return dest;
}

/* That TIME_WAIT ended. */
static void
leave(FsPressure *p, guint32 dest)
{
    fs_pressure_release(p, dest, TRUE);
}

static gchar *
key_of(const FsDestTimeWait *d)
{
    char c[FS_ENDPOINT_STRLEN];
    char s[FS_ENDPOINT_STRLEN];

    fs_addr_format(&d->client, c, sizeof c);
    fs_endpoint_format(&d->server, d->port, s, sizeof s);
    return g_strdup_printf("%s>%s", c, s);
}

static void
collect(const FsDestTimeWait *d, gpointer user)
{
    g_ptr_array_add(user, g_memdup2(d, sizeof *d));
}

static GPtrArray *
listing(const FsPressure *p, guint max)
{
    GPtrArray *all = g_ptr_array_new_with_free_func(g_free);

    fs_pressure_foreach_top(p, max, collect, all);
    return all;
}

/* Counts and peaks as a model keeps them; the busiest in rank order. */
static void
test_counts(void)
{
    g_autoptr(FsPressure) p = fs_pressure_new();
    g_autoptr(GRand) rng = g_rand_new_with_seed(11);
    g_autoptr(GHashTable) model = g_hash_table_new_full(g_str_hash,
                                                        g_str_equal,
                                                        g_free, g_free);
    g_autoptr(GPtrArray) all = NULL;
    enum { N = 3000 };
    guint32 last_peak = G_MAXUINT32;

    for (guint step = 0; step < 60000; step++) {
        guint k = (guint)g_rand_int_range(rng, 0, N);
        FsDestTimeWait d = { 0 };
        g_autofree gchar *key = NULL;
        Model *m;

        dest(k, &d.client, &d.server, &d.port);
        key = key_of(&d);
        m = g_hash_table_lookup(model, key);
        if (m == NULL) {
            m = g_new0(Model, 1);
            g_hash_table_insert(model, g_strdup(key), m);
        }
        if (m->now > 0 && g_rand_boolean(rng)) {
            leave(p, m->dest);
            m->now--;
        } else {
            guint32 dest = enter(p, &d.client, &d.server, d.port, step);

            /* the same destination, the same number while it is held */
            g_assert_true(m->now == 0 || dest == m->dest);
            m->dest = dest;
            if (++m->now > m->peak) {
                m->peak = m->now;
                m->peak_at = step;
            }
        }
    }
    g_assert_cmpuint(fs_pressure_size(p), ==, g_hash_table_size(model));
    all = listing(p, G_MAXUINT);
    g_assert_cmpuint(all->len, ==, g_hash_table_size(model));
    for (guint i = 0; i < all->len; i++) {
        const FsDestTimeWait *d = g_ptr_array_index(all, i);
        g_autofree gchar *key = key_of(d);
        const Model *m = g_hash_table_lookup(model, key);

        g_assert_nonnull(m);
        g_assert_cmpuint(d->peak, ==, m->peak);
        g_assert_cmpint(d->peak_at, ==, m->peak_at);
        g_assert_cmpuint(d->peak, <=, last_peak);
        last_peak = (guint32)d->peak;
    }
    /* the few busiest, picked one by one, are the sorted list's first */
    for (guint max = 0; max <= 64; max += max < 12 ? 1 : 13) {
        g_autoptr(GPtrArray) top = listing(p, max);

        g_assert_cmpuint(top->len, ==, MIN(max, all->len));
        for (guint i = 0; i < top->len; i++) {
            const FsDestTimeWait *x = g_ptr_array_index(top, i);
            const FsDestTimeWait *y = g_ptr_array_index(all, i);

            g_assert_cmpint(fs_addr_compare(&x->client, &y->client), ==, 0);
            g_assert_cmpint(fs_addr_compare(&x->server, &y->server), ==, 0);
            g_assert_cmpuint(x->port, ==, y->port);
            g_assert_cmpuint(x->peak, ==, y->peak);
            g_assert_cmpint(x->peak_at, ==, y->peak_at);
        }
    }
    /* a destination held whose TIME_WAIT never entered (released so)
     * is tracked but counts nothing: it is not listed */
    {
        FsAddr stranger = v4(999999);
        guint32 dest = hold(p, &stranger, &stranger, 80, 0);

        fs_pressure_release(p, dest, FALSE);
        g_assert_cmpuint(fs_pressure_size(p), ==,
                         g_hash_table_size(model) + 1);
        g_clear_pointer(&all, g_ptr_array_unref);
        all = listing(p, G_MAXUINT);
        g_assert_cmpuint(all->len, ==, g_hash_table_size(model));
    }
}

/* Pruning forgets only destinations idle now and below the top ones: the
 * top and every destination still holding TIME_WAIT stay, with their
 * peaks; the table shrinks. */
static void
test_prune(void)
{
    g_autoptr(FsPressure) p = fs_pressure_new();
    g_autoptr(GPtrArray) top_before = NULL;
    g_autoptr(GPtrArray) top_after = NULL;
    g_autoptr(GPtrArray) all = NULL;
    enum { N = 20000, KEEP = 10 };
    g_autofree guint32 *numbers = g_new0(guint32, N);

    /* destination k holds k % 5 + 1 TIME_WAITs at once; then all but
     * every tenth let them go */
    for (guint k = 0; k < N; k++) {
        FsAddr c = v4(k);
        FsAddr s = v4(7);

        for (guint i = 0; i < k % 5 + 1; i++)
            numbers[k] = enter(p, &c, &s, 443, k);
        if (k % 10 != 0) {
            for (guint i = 0; i < k % 5 + 1; i++)
                leave(p, numbers[k]);
        }
    }
    g_assert_cmpuint(fs_pressure_size(p), ==, N);
    top_before = listing(p, KEEP);
    fs_pressure_prune(p, KEEP);
    /* kept: the 2000 still holding, and the top 10 (peak 5, idle) */
    g_assert_cmpuint(fs_pressure_size(p), ==, N / 10 + KEEP);
    top_after = listing(p, KEEP);
    g_assert_cmpuint(top_after->len, ==, KEEP);
    for (guint i = 0; i < KEEP; i++) {
        const FsDestTimeWait *a = g_ptr_array_index(top_before, i);
        const FsDestTimeWait *b = g_ptr_array_index(top_after, i);

        g_assert_true(fs_addr_equal(&a->client, &b->client));
        g_assert_true(fs_addr_equal(&a->server, &b->server));
        g_assert_cmpuint(a->port, ==, b->port);
        g_assert_cmpuint(a->peak, ==, b->peak);
        g_assert_cmpint(a->peak_at, ==, b->peak_at);
    }
    all = listing(p, G_MAXUINT);
    for (guint i = 0; i < all->len; i++) {
        const FsDestTimeWait *d = g_ptr_array_index(all, i);
        guint k = (guint)d->client.bytes[1] << 16 |
                  (guint)d->client.bytes[2] << 8 | d->client.bytes[3];

        g_assert_cmpuint(d->peak, ==, k % 5 + 1);
        g_assert_true(k % 10 == 0 || i < KEEP);
    }
    /* pruning again at once does nothing: the table has not grown by
     * half */
    fs_pressure_prune(p, KEEP);
    g_assert_cmpuint(fs_pressure_size(p), ==, N / 10 + KEEP);
    /* one still holding leaves (by its number from before the pruning),
     * then enters again: the peak is kept */
    {
        FsAddr c = v4(10);
        FsAddr s = v4(7);
        g_autoptr(GPtrArray) again = NULL;

        leave(p, numbers[10]);
        g_assert_cmpuint(enter(p, &c, &s, 443, 99999), ==, numbers[10]);
        again = listing(p, G_MAXUINT);
        for (guint i = 0; i < again->len; i++) {
            const FsDestTimeWait *d = g_ptr_array_index(again, i);

            if (fs_addr_equal(&d->client, &c))
                g_assert_cmpint(d->peak_at, ==, 10);
        }
    }
    /* grown by half with idle ones (peak 1, below the top), the next
     * pruning forgets them: the table holds at most 1.5 times those
     * kept, not twice */
    {
        guint kept = fs_pressure_size(p);
        FsAddr s = v4(7);

        for (guint k = N; fs_pressure_size(p) < kept + kept / 2; k++) {
            FsAddr c = v4(k);

            leave(p, enter(p, &c, &s, 443, k));
        }
        fs_pressure_prune(p, KEEP);
        g_assert_cmpuint(fs_pressure_size(p), ==, kept);
    }
}

/* The host table: IPv4 and IPv6 hosts with the same 16 bytes are two
 * hosts; thousands of them grow its index; pruning numbers the hosts
 * kept again (and shrinks the index), and they are found after it. */
static void
test_hosts(void)
{
    g_autoptr(FsPressure) p = fs_pressure_new();
    g_autoptr(GPtrArray) all = NULL;
    FsAddr s = v4(7);
    enum { N = 6000, KEEP = 10 };
    guint kept;
    guint32 held[N];
    guint32 n4[N];
    guint32 n6[N];

    for (guint k = 0; k < N; k++) {
        FsAddr c4 = v4(k);
        FsAddr c6 = c4;

        c6.family = 6;
        n4[k] = enter(p, &c4, &s, 80, k);
        n6[k] = enter(p, &c6, &s, 80, k);
        g_assert_cmpuint(n6[k], !=, n4[k]);
        enter(p, &c6, &s, 80, k);
        held[k] = hold(p, &c4, &s, 80, 0);
    }
    g_assert_cmpuint(fs_pressure_size(p), ==, 2 * N);
    all = listing(p, G_MAXUINT);
    g_assert_cmpuint(all->len, ==, 2 * N);
    for (guint i = 0; i < all->len; i++) {
        const FsDestTimeWait *d = g_ptr_array_index(all, i);

        g_assert_cmpuint(d->peak, ==, d->client.family == 6 ? 2 : 1);
    }
    /* all but every 100th go idle: pruned, but for the top (v6, k
     * 0 to 9: the busiest peak, then the lowest addresses) */
    for (guint k = 0; k < N; k++) {
        fs_pressure_release(p, held[k], FALSE);
        if (k % 100 != 50) {
            leave(p, n4[k]);
            leave(p, n6[k]);
            leave(p, n6[k]);
        }
    }
    fs_pressure_prune(p, KEEP);
    kept = fs_pressure_size(p);
    g_assert_cmpuint(kept, ==, 2 * (N / 100) + KEEP);
    /* those kept are found again by address under their hosts' new
     * numbers (as the same destinations: no new one, their counts go
     * on) */
    for (guint k = 50; k < N; k += 100) {
        FsAddr c4 = v4(k);
        FsAddr c6 = c4;

        c6.family = 6;
        g_assert_cmpuint(enter(p, &c6, &s, 80, N + k), ==, n6[k]);
        leave(p, n4[k]);
        g_assert_cmpuint(enter(p, &c4, &s, 80, N + k), ==, n4[k]);
    }
    g_assert_cmpuint(fs_pressure_size(p), ==, kept);
    g_clear_pointer(&all, g_ptr_array_unref);
    all = listing(p, G_MAXUINT);
    g_assert_cmpuint(all->len, ==, kept);
    for (guint i = 0; i < all->len; i++) {
        const FsDestTimeWait *d = g_ptr_array_index(all, i);
        guint k = (guint)d->client.bytes[1] << 16 |
                  (guint)d->client.bytes[2] << 8 | d->client.bytes[3];

        if (k % 100 != 50) {
            g_assert_cmpuint(k, <, KEEP);
            g_assert_cmpuint(d->client.family, ==, 6);
            g_assert_cmpuint(d->peak, ==, 2);
        } else if (d->client.family == 6) {
            g_assert_cmpuint(d->peak, ==, 3);
            g_assert_cmpint(d->peak_at, ==, N + k);
        } else {
            g_assert_cmpuint(d->peak, ==, 1);
            g_assert_cmpint(d->peak_at, ==, k);
        }
    }
}

/* A pruning with none idle forgets nothing but still counts as one: the
 * next waits until the table has grown by half again; then it forgets
 * the idle ones, and the busy ones are found after it. */
static void
test_prune_busy(void)
{
    g_autoptr(FsPressure) p = fs_pressure_new();
    FsAddr s = v4(7);
    enum { N = 2000, KEEP = 10 };
    guint32 numbers[N];
    guint k;

    for (k = 0; k < N; k++) {
        FsAddr c = v4(k);

        numbers[k] = enter(p, &c, &s, 80, k);
    }
    fs_pressure_prune(p, KEEP);
    g_assert_cmpuint(fs_pressure_size(p), ==, N);
    for (; k < N + N / 2 - 1; k++) {
        FsAddr c = v4(k);

        leave(p, enter(p, &c, &s, 80, k));
    }
    fs_pressure_prune(p, KEEP);
    g_assert_cmpuint(fs_pressure_size(p), ==, N + N / 2 - 1);
    {
        FsAddr c = v4(k);

        leave(p, enter(p, &c, &s, 80, k));
    }
    /* grown by half: the idle ones (peak 1 as the busy, higher
     * addresses: below the top) go */
    fs_pressure_prune(p, KEEP);
    g_assert_cmpuint(fs_pressure_size(p), ==, N);
    for (k = 0; k < N; k++) {
        FsAddr c = v4(k);

        leave(p, numbers[k]);
        g_assert_cmpuint(enter(p, &c, &s, 80, k), ==, numbers[k]);
    }
    g_assert_cmpuint(fs_pressure_size(p), ==, N);
}

/* A destination held keeps its number (and its client its owner, the
 * hosts numbered again) through prunings that forget others around it
 * (their places taken by new ones): the enter and the release that
 * name it by number count on it, not on another. */
static void
test_held_numbers(void)
{
    g_autoptr(FsPressure) p = fs_pressure_new();
    g_autoptr(GPtrArray) all = NULL;
    FsAddr s = v4(7);
    enum { N = 3000, KEEP = 10, NEW = 1500 };
    guint32 held[N];
    guint twos = 0;

    for (guint k = 0; k < N; k++) {
        FsAddr c = v4(k);

        leave(p, enter(p, &c, &s, 80, k));
        held[k] = k % 3 == 1 ? hold(p, &c, &s, 80, 7 * k) : 0;
        g_assert_cmpuint(held[k] != 0, ==, k % 3 == 1);
        if (held[k] != 0)
            g_assert_cmpuint(fs_pressure_owner(p, held[k]), ==, 7 * k);
    }
    /* the idle below the top go: the top KEEP (peak 1, the lowest
     * addresses) and those held stay */
    fs_pressure_prune(p, KEEP);
    g_assert_cmpuint(fs_pressure_size(p), ==, N / 3 + KEEP - KEEP / 3);
    for (guint k = 0; k < NEW; k++) {
        FsAddr c = v4(100000 + k);

        enter(p, &c, &s, 443, k);
    }
    for (guint k = 0; k < N; k++) {
        if (held[k] == 0)
            continue;
        /* its client's owner, through the hosts numbered again */
        g_assert_cmpuint(fs_pressure_owner(p, held[k]), ==, 7 * k);
        fs_pressure_enter_held(p, held[k], N + k);
        fs_pressure_enter_held(p, held[k], N + k + 1);
        fs_pressure_release(p, held[k], TRUE);
    }
    all = listing(p, G_MAXUINT);
    g_assert_cmpuint(all->len, ==, fs_pressure_size(p));
    for (guint i = 0; i < all->len; i++) {
        const FsDestTimeWait *d = g_ptr_array_index(all, i);
        guint k = (guint)d->client.bytes[1] << 16 |
                  (guint)d->client.bytes[2] << 8 | d->client.bytes[3];

        if (k < N && k % 3 == 1) {
            g_assert_cmpuint(d->peak, ==, 2);
            g_assert_cmpint(d->peak_at, ==, N + k + 1);
            twos++;
        } else {
            g_assert_cmpuint(d->peak, ==, 1);
        }
    }
    g_assert_cmpuint(twos, ==, N / 3);
}

/* The host index against a plain array: addresses put and removed in
 * a mixed order, through growth, with runs of several slots (up to 3/4
 * full, the runs a removal mends): each still there is found under its
 * number, each removed is not (a removal that left a hole in a run
 * would hide those after it). Numbers up to N, in an index that starts
 * at 8 slots: it grows above them. Twice: with up to 2^13 slots (homes
 * in the tags) and 2^17 (a removal and a growth look at addresses). */
static guint addr_looks;  /* addr_is() */
static guint addr_hashes; /* addr_hash_of() */

static gboolean
addr_is(gconstpointer owner, guint32 number, gconstpointer addr)
{
    addr_looks++;
    return fs_addr_equal(&((const FsAddr *)owner)[number], addr);
}

static guint32
addr_hash_of(gconstpointer owner, guint32 number)
{
    addr_hashes++;
    return fs_host_index_hash(&((const FsAddr *)owner)[number]);
}

static void
host_index_mixed(guint32 N)
{
    FsHostIndex ix = { 0 };
    FsAddr *addrs = g_new0(FsAddr, N + 1);
    gboolean *in = g_new0(gboolean, N + 1);
    GRand *rand = g_rand_new_with_seed(7);

    fs_host_index_reset(&ix, 8);
    for (guint32 n = 1; n <= N; n++) {
        addrs[n] = v4(n * 7919u);
        addrs[n].family = n % 2 ? 4 : 6;
    }
    for (guint round = 0; round < 4 * N; round++) {
        guint32 n = (guint32)g_rand_int_range(rand, 1, N + 1);
        guint32 hash = fs_host_index_hash(&addrs[n]);
        guint32 *slot = fs_host_index_probe(&ix, &addrs[n], hash, addr_is,
                                            addrs);

        g_assert_cmpuint(fs_host_index_number(&ix, slot), ==, in[n] ? n : 0);
        if (in[n] && round % 3 != 0) {
            fs_host_index_remove(&ix, slot, addr_hash_of, addrs);
            in[n] = FALSE;
        } else if (!in[n]) {
            fs_host_index_put(&ix, hash, n, addr_hash_of, addrs);
            in[n] = TRUE;
        }
    }
    for (guint32 n = 1, used = 0; n <= N; n++) {
        guint32 *slot = fs_host_index_probe(
            &ix, &addrs[n], fs_host_index_hash(&addrs[n]), addr_is, addrs);

        g_assert_cmpuint(fs_host_index_number(&ix, slot), ==, in[n] ? n : 0);
        used += in[n];
        if (n == N)
            g_assert_cmpuint(used, ==, ix.used);
    }
    g_assert_cmpuint(ix.mask, >=, N);
    fs_host_index_clear(&ix);
    g_rand_free(rand);
    g_free(in);
    g_free(addrs);
}

static void
test_host_index(void)
{
    host_index_mixed(5000);
    host_index_mixed(100000);
}

/* The tags: a look-up reads the address of the host it finds, and of
 * no other, nearly always (an index 3/4 full, runs of several slots);
 * one of an absent host reads none. Up to 2^16 slots the homes are in
 * the tags: growing and removing read no address either; above, the
 * tags are the hashes' low bits, apart from the homes (the bits above
 * the number there, only the top of the home, were alike in slots a
 * few places apart: a look-up read ~0.7 other addresses at 2^17). */
static void
host_index_tags(guint32 N)
{
    FsHostIndex ix = { 0 };
    FsAddr *addrs = g_new0(FsAddr, 2 * N + 1);

    fs_host_index_reset(&ix, 8);
    for (guint32 n = 1; n <= 2 * N; n++)
        addrs[n] = v4(n * 7919u);
    addr_looks = 0;
    addr_hashes = 0;
    for (guint32 n = 1; n <= N; n++)
        fs_host_index_put(&ix, fs_host_index_hash(&addrs[n]), n, addr_hash_of,
                          addrs);
    g_assert_cmpuint(addr_looks, ==, 0);
    if (fs_host_index_tag_holds_home(&ix))
        g_assert_cmpuint(addr_hashes, ==, 0);
    g_assert_cmpuint(ix.used * 4, >, (ix.mask + 1) * 2);
    for (guint32 n = 1; n <= 2 * N; n++) {
        guint32 *slot = fs_host_index_probe(
            &ix, &addrs[n], fs_host_index_hash(&addrs[n]), addr_is, addrs);

        g_assert_cmpuint(fs_host_index_number(&ix, slot), ==,
                         n <= N ? n : 0);
    }
    g_assert_cmpuint(addr_looks, <=, N + N / 100);
    addr_looks = 0;
    addr_hashes = 0;
    for (guint32 n = 1; n <= N; n += 2)
        fs_host_index_remove(
            &ix,
            fs_host_index_probe(&ix, &addrs[n], fs_host_index_hash(&addrs[n]),
                                addr_is, addrs),
            addr_hash_of, addrs);
    g_assert_cmpuint(addr_looks, <=, N / 2 + N / 100);
    if (fs_host_index_tag_holds_home(&ix))
        g_assert_cmpuint(addr_hashes, ==, 0);
    for (guint32 n = 1; n <= N; n++) {
        guint32 *slot = fs_host_index_probe(
            &ix, &addrs[n], fs_host_index_hash(&addrs[n]), addr_is, addrs);

        g_assert_cmpuint(fs_host_index_number(&ix, slot), ==,
                         n % 2 ? 0 : n);
    }
    fs_host_index_clear(&ix);
    g_free(addrs);
}

static void
test_host_index_tags(void)
{
    host_index_tags(3000);  /* 4096 slots */
    host_index_tags(98000); /* 2^17 slots, 3/4 full */
}

/* A pruning that forgets all but the destinations at the array's end:
 * the index gets smaller but stays larger than the array (its slots
 * keep a destination's number below their tag), so that those held are
 * found again under their numbers, and new ones take the free places. */
static void
test_prune_tail_held(void)
{
    g_autoptr(FsPressure) p = fs_pressure_new();
    enum { N = 20000, KEPT = 10 };
    static guint32 held[N];
    FsAddr s = v4(3);

    s.bytes[0] = 192;
    for (guint k = 0; k < N; k++)
        held[k] = hold_kth(p, &s, k);
    for (guint k = 0; k < N - KEPT; k++)
        fs_pressure_release(p, held[k], FALSE);
    fs_pressure_prune(p, 5);
    g_assert_cmpuint(fs_pressure_size(p), ==, KEPT + 5);
    for (guint k = N - KEPT; k < N; k++) {
        g_assert_cmpuint(hold_kth(p, &s, k), ==, held[k]);
        g_assert_cmpuint(fs_pressure_owner(p, held[k]), ==, k % 5000);
    }
    for (guint k = 1000; k < 3000; k++) {
        FsAddr c = v4(k + 1);
        guint32 n = hold(p, &c, &s, 7, k);

        for (guint j = N - KEPT; j < N; j++)
            g_assert_cmpuint(n, !=, held[j]);
        g_assert_cmpuint(hold(p, &c, &s, 7, k), ==, n);
    }
    g_assert_cmpuint(fs_pressure_size(p), ==, KEPT + 5 + 2000);
}

/* Many destinations (the index doubling at 7/8 full, runs kept in home
 * order: a miss stops at a destination nearer its home), some forgotten
 * by pruning (the index made again, places reused): each held one is
 * found again under its number, none twice, and one not held is new. */
static void
test_many_held(void)
{
    g_autoptr(FsPressure) p = fs_pressure_new();
    enum { N = 60000 };
    static guint32 held[N];
    FsAddr s = v4(3);

    s.bytes[0] = 192;
    for (guint k = 0; k < N; k++) {
        held[k] = hold_kth(p, &s, k);
        g_assert_cmpuint(fs_pressure_size(p), ==, k + 1);
    }
    /* the first half released and pruned (but for the top 5) */
    for (guint k = 0; k < N / 2; k++)
        fs_pressure_release(p, held[k], FALSE);
    fs_pressure_prune(p, 5);
    g_assert_cmpuint(fs_pressure_size(p), ==, N / 2 + 5);
    for (guint k = N / 2; k < N; k++) {
        g_assert_cmpuint(hold_kth(p, &s, k), ==, held[k]);
        g_assert_cmpuint(fs_pressure_owner(p, held[k]), ==, k % 5000);
    }
    g_assert_cmpuint(fs_pressure_size(p), ==, N / 2 + 5);
    for (guint k = 0; k < N / 2; k += 7) {
        guint32 n = hold_kth(p, &s, k);

        g_assert_cmpuint(n, !=, 0);
        for (guint j = N / 2; j < N; j += 997)
            g_assert_cmpuint(n, !=, held[j]);
    }
    /* new but for k = 0, among the top 5 kept (the lowest addresses) */
    g_assert_cmpuint(fs_pressure_size(p), ==,
                     N / 2 + 5 + (N / 2 + 6) / 7 - 1);
}

/* Server ends (a server host and a port, numbered once): a client
 * towards many ports of two servers has a destination for each, found
 * again by them (the ends' index grown past its first size), and again
 * after a pruning that forgets most ends and numbers the rest anew; each
 * is listed with its own server and port. */
static void
test_ends(void)
{
    g_autoptr(FsPressure) p = fs_pressure_new();
    g_autoptr(GPtrArray) all = NULL;
    FsAddr c = v4(1);
    FsAddr s[2] = { v4(7), v4(8) };
    enum { PORTS = 3000, KEEP = 10 };
    static guint32 n[2][PORTS];

    for (guint port = 0; port < PORTS; port++) {
        for (guint k = 0; k < 2; k++) {
            n[k][port] = enter(p, &c, &s[k], (guint16)(1000 + port),
                               2 * port + k);
        }
    }
    g_assert_cmpuint(fs_pressure_size(p), ==, 2 * PORTS);
    /* every 100th port busy (a peak of 2), the others idle */
    for (guint port = 0; port < PORTS; port++) {
        for (guint k = 0; k < 2; k++) {
            if (port % 100 == 0) {
                g_assert_cmpuint(enter(p, &c, &s[k], (guint16)(1000 + port),
                                       2 * port + k),
                                 ==, n[k][port]);
            } else {
                leave(p, n[k][port]);
            }
        }
    }
    g_assert_cmpuint(fs_pressure_size(p), ==, 2 * PORTS);
    fs_pressure_prune(p, KEEP);
    g_assert_cmpuint(fs_pressure_size(p), ==, 2 * (PORTS / 100));
    /* those kept are found under their ends' new numbers; new ends
     * after them are ends of their own */
    for (guint port = 0; port < PORTS; port += 100) {
        for (guint k = 0; k < 2; k++) {
            leave(p, n[k][port]);
            g_assert_cmpuint(enter(p, &c, &s[k], (guint16)(1000 + port),
                                   2 * port + k),
                             ==, n[k][port]);
        }
    }
    for (guint port = PORTS; port < PORTS + 5; port++) {
        leave(p, enter(p, &c, &s[1], (guint16)(1000 + port), 2 * port + 1));
        leave(p, enter(p, &c, &s[1], (guint16)(1000 + port), 2 * port + 1));
    }
    g_assert_cmpuint(fs_pressure_size(p), ==, 2 * (PORTS / 100) + 5);
    all = listing(p, G_MAXUINT);
    g_assert_cmpuint(all->len, ==, 2 * (PORTS / 100) + 5);
    for (guint i = 0; i < all->len; i++) {
        const FsDestTimeWait *d = g_ptr_array_index(all, i);
        guint port = (guint)(d->peak_at / 2);
        guint k = (guint)(d->peak_at % 2);

        g_assert_cmpuint(d->port, ==, 1000 + port);
        g_assert_true(fs_addr_equal(&d->server, &s[k]));
        g_assert_true(fs_addr_equal(&d->client, &c));
        g_assert_cmpuint(d->peak, ==, port < PORTS ? 2 : 1);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pressure/counts", test_counts);
    g_test_add_func("/pressure/prune", test_prune);
    g_test_add_func("/pressure/hosts", test_hosts);
    g_test_add_func("/pressure/prune-busy", test_prune_busy);
    g_test_add_func("/pressure/held-numbers", test_held_numbers);
    g_test_add_func("/pressure/host-index", test_host_index);
    g_test_add_func("/pressure/host-index-tags", test_host_index_tags);
    g_test_add_func("/pressure/many-held", test_many_held);
    g_test_add_func("/pressure/prune-tail-held", test_prune_tail_held);
    g_test_add_func("/pressure/ends", test_ends);
    return g_test_run();
}
