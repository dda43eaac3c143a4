/* finscope: port pressure — TIME_WAIT per (client host, server ip:port).
 *
 * Hosts are numbered once (a host table); a destination is then three
 * small numbers and its counts, 32 bytes kept in an open-addressing
 * table with linear probing and backward-shift deletion, like the flow
 * table's. (A GHashTable of allocated entries with both addresses took
 * ~80 bytes a destination: at 2,000 connections/s, ~40,000 destinations
 * hold TIME_WAIT at once.) */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "pressure.h"

typedef struct {
    FsTime peak_at;   /* when the peak was reached */
    guint32 client;   /* host number + 1; 0: the slot is empty */
    guint32 server;   /* host number + 1 */
    guint32 now;      /* TIME_WAIT held now (a 4-tuple each: < 2^32) */
    guint32 peak;     /* most at once */
    guint16 port;     /* server port */
} Dest;

struct FsPressure {
    GHashTable *host_numbers; /* FsAddr* (owned, in hosts) -> number + 1 */
    GPtrArray *hosts;         /* FsAddr* by number */
    Dest *slots;              /* mask + 1 of them */
    guint32 mask;
    guint32 n;                /* slots in use */
    guint32 pruned;           /* n after the last pruning */
};

#define MIN_CAPACITY 1024u

static guint
addr_hash(gconstpointer p)
{
    const FsAddr *a = p;
    guint64 w0;
    guint64 w1;

    memcpy(&w0, a->bytes, 8);
    memcpy(&w1, a->bytes + 8, 8);
    w0 = (w0 ^ (w1 * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)) ^ a->family) *
         G_GUINT64_CONSTANT(0xbf58476d1ce4e5b9);
    return (guint)(w0 >> 32);
}

static gboolean
addr_equal(gconstpointer a, gconstpointer b)
{
    return fs_addr_equal(a, b);
}

FsPressure *
fs_pressure_new(void)
{
    FsPressure *p = g_new0(FsPressure, 1);

    p->host_numbers = g_hash_table_new(addr_hash, addr_equal);
    p->hosts = g_ptr_array_new_with_free_func(g_free);
    p->slots = g_new0(Dest, MIN_CAPACITY);
    p->mask = MIN_CAPACITY - 1;
    return p;
}

void
fs_pressure_free(FsPressure *p)
{
    if (p == NULL)
        return;
    g_hash_table_destroy(p->host_numbers);
    g_ptr_array_unref(p->hosts);
    g_free(p->slots);
    g_free(p);
}

/* addr's number + 1; 0 when it has none and create is FALSE. */
static guint32
host_number(FsPressure *p, const FsAddr *addr, gboolean create)
{
    gpointer v = g_hash_table_lookup(p->host_numbers, addr);
    FsAddr *copy;

    if (v != NULL || !create)
        return GPOINTER_TO_UINT(v);
    copy = g_memdup2(addr, sizeof *addr);
    g_ptr_array_add(p->hosts, copy);
    g_hash_table_insert(p->host_numbers, copy,
                        GUINT_TO_POINTER(p->hosts->len));
    return p->hosts->len;
}

static const FsAddr *
host(const FsPressure *p, guint32 number)
{
    return g_ptr_array_index(p->hosts, number - 1);
}

static inline guint32
dest_hash(guint32 client, guint32 server, guint16 port)
{
    guint64 x = ((guint64)client << 32 | server) ^ ((guint64)port << 16);

    x ^= x >> 30;
    x *= G_GUINT64_CONSTANT(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= G_GUINT64_CONSTANT(0x94d049bb133111eb);
    return (guint32)(x ^ (x >> 31));
}

/* The slot of (client, server, port), or the empty one ending its run. */
static Dest *
probe(const FsPressure *p, guint32 client, guint32 server, guint16 port)
{
    for (guint32 i = dest_hash(client, server, port) & p->mask;;
         i = (i + 1) & p->mask) {
        Dest *d = &p->slots[i];

        if (d->client == 0 ||
            (d->client == client && d->server == server && d->port == port))
            return d;
    }
}

/* Moves every destination into a table of capacity slots. */
static void
rehash(FsPressure *p, guint32 capacity)
{
    Dest *old = p->slots;
    guint32 old_cap = p->mask + 1;

    p->slots = g_new0(Dest, capacity);
    p->mask = capacity - 1;
    for (guint32 i = 0; i < old_cap; i++) {
        if (old[i].client != 0)
            *probe(p, old[i].client, old[i].server, old[i].port) = old[i];
    }
    g_free(old);
}

void
fs_pressure_enter(FsPressure *p, const FsAddr *client, const FsAddr *server,
                  guint16 port, FsTime ts)
{
    guint32 c = host_number(p, client, TRUE);
    guint32 s = host_number(p, server, TRUE);
    Dest *d = probe(p, c, s, port);

    if (d->client == 0) {
        /* at most 3/4 full keeps probe runs short */
        if ((p->n + 1) * 4u > (p->mask + 1) * 3u) {
            rehash(p, 2 * (p->mask + 1));
            d = probe(p, c, s, port);
        }
        d->client = c;
        d->server = s;
        d->port = port;
        p->n++;
    }
    if (++d->now > d->peak) {
        d->peak = d->now;
        d->peak_at = ts;
    }
}

void
fs_pressure_leave(FsPressure *p, const FsAddr *client, const FsAddr *server,
                  guint16 port)
{
    guint32 c = host_number(p, client, FALSE);
    guint32 s = host_number(p, server, FALSE);
    Dest *d;

    if (c == 0 || s == 0)
        return;
    d = probe(p, c, s, port);
    if (d->client != 0 && d->now > 0)
        d->now--;
}

guint
fs_pressure_size(const FsPressure *p)
{
    return p->n;
}

/* Busiest first: by peak, then by addresses and port, so that the order
 * is total and the same in every run. */
static int
rank_cmp(const FsPressure *p, const Dest *x, const Dest *y)
{
    int c;

    if (x->peak != y->peak)
        return x->peak > y->peak ? -1 : 1;
    c = fs_addr_compare(host(p, x->client), host(p, y->client));
    if (c == 0)
        c = fs_addr_compare(host(p, x->server), host(p, y->server));
    return c != 0 ? c : (int)x->port - (int)y->port;
}

/* Empties slot i and shifts back the entries after it in its probe run
 * that may not skip the gap (backward-shift deletion). */
static void
remove_slot(FsPressure *p, guint32 i)
{
    guint32 j = i;

    for (;;) {
        const Dest *d;
        guint32 home;

        j = (j + 1) & p->mask;
        d = &p->slots[j];
        if (d->client == 0)
            break;
        home = dest_hash(d->client, d->server, d->port) & p->mask;
        /* entry j may move to i unless its home lies in (i, j] */
        if (((j - home) & p->mask) >= ((j - i) & p->mask)) {
            p->slots[i] = *d;
            i = j;
        }
    }
    memset(&p->slots[i], 0, sizeof p->slots[i]);
    p->n--;
}

void
fs_pressure_prune(FsPressure *p, guint keep)
{
    Dest *top;
    Dest cut;
    guint found = 0;

    if (keep == 0 || p->n < MAX(2 * p->pruned, MIN_CAPACITY))
        return;
    /* the keep-th destination in rank order: insertion into top[] */
    top = g_newa(Dest, keep);
    for (guint32 i = 0; i <= p->mask; i++) {
        const Dest *d = &p->slots[i];
        guint k;

        if (d->client == 0 ||
            (found == keep && rank_cmp(p, d, &top[keep - 1]) > 0))
            continue;
        k = found < keep ? found++ : keep - 1;
        while (k > 0 && rank_cmp(p, &top[k - 1], d) > 0) {
            top[k] = top[k - 1];
            k--;
        }
        top[k] = *d;
    }
    if (found < keep)
        return;
    cut = top[keep - 1];
    /* a removal shifts later entries back into slot i: look at it again
     * (entries only move towards the slots not yet looked at, or wrap
     * around into those already seen) */
    for (guint32 i = 0; i <= p->mask;) {
        const Dest *d = &p->slots[i];

        if (d->client != 0 && d->now == 0 && rank_cmp(p, d, &cut) > 0)
            remove_slot(p, i);
        else
            i++;
    }
    p->pruned = p->n;
    /* at most 1/8 full: half the slots do */
    while (p->mask + 1 > MIN_CAPACITY && p->n * 8u < p->mask + 1)
        rehash(p, (p->mask + 1) / 2);
}

static gint
rank_cmp_for_sort(gconstpointer a, gconstpointer b, gpointer user)
{
    return rank_cmp(user, *(const Dest *const *)a, *(const Dest *const *)b);
}

void
fs_pressure_foreach_top(const FsPressure *p, guint max,
                        void (*fn)(const FsDestTimeWait *d, gpointer user),
                        gpointer user)
{
    g_autoptr(GPtrArray) dests = g_ptr_array_sized_new(p->n);

    for (guint32 i = 0; i <= p->mask; i++) {
        if (p->slots[i].client != 0)
            g_ptr_array_add(dests, &p->slots[i]);
    }
    g_ptr_array_sort_with_data(dests, rank_cmp_for_sort, (gpointer)p);
    for (guint i = 0; i < dests->len && i < max; i++) {
        const Dest *d = g_ptr_array_index(dests, i);
        FsDestTimeWait out = { *host(p, d->client), *host(p, d->server),
                               d->port, d->peak, d->peak_at };

        fn(&out, user);
    }
}
