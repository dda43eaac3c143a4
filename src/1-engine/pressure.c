/* finscope: port pressure — TIME_WAIT per (client host, server ip:port).
 *
 * Hosts are numbered once (a dense array of addresses behind an index,
 * hostindex.h: no boxed key, no GHashTable), and so are the server
 * ends, a server host's number and a port (8 bytes each: far fewer than
 * the destinations, which are clients times ends: the bench's medium
 * trace has 51,585 destinations at its peak, towards 100 ends); a
 * destination is then two small numbers, its counts and its client's
 * owner, 32 bytes (36 with the server's number and port in each) in an
 * array,
 * found through an index of 4-byte slots (open addressing, linear
 * probing, runs kept in home order — Robin Hood — so that a miss, the
 * usual case, stops early: at most 7/8 full). A destination keeps its number while it is in the table, so
 * that a TIME_WAIT holding it (fs_pressure_hold()) names it by number
 * and is counted without a look-up: pruning leaves the places of those
 * it forgets free for the next ones (cutting off those at the end) and
 * makes the index again. Growing moves only the index, and the array
 * grows in place (realloc), so the table never needs twice its size at
 * once. (A
 * GHashTable of allocated entries with both addresses took ~80 bytes a
 * destination: at 2,000 connections/s, the bench's medium trace tracks
 * up to ~51,000 destinations at once.) */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "hostindex.h"
#include "pressure.h"

typedef struct {
    guint32 client;      /* host number + 1 */
    guint32 end;         /* server end (End) number + 1 */
    guint32 now;         /* TIME_WAIT held now (a 4-tuple each: < 2^32) */
    guint32 peak;        /* most at once */
    guint32 peak_at[2];  /* when (FsTime, high and low halves: the entry
                            stays 4-byte aligned) */
    guint32 held;        /* fs_pressure_hold() not yet released */
    guint32 owner;       /* what its last fs_pressure_hold() said
                            (fs_pressure_owner(): the same in each hold of
                            it while it is held, so in its own entry,
                            read with it, not in an array by host
                            number: one miss less a TIME_WAIT's span) */
} Dest;
G_STATIC_ASSERT(sizeof(Dest) == 32);

/* A server ip:port some destination names. */
typedef struct {
    guint32 server;      /* host number + 1 */
    guint16 port;
} End;

/* A place in the array that holds no destination: client 0, end the
 * next free place's number + 1 (0: none). */
#define FREE_CLIENT 0u

struct FsPressure {
    GArray *hosts;            /* FsAddr by number (17 bytes each) */
    FsHostIndex host_index;   /* of hosts: number + 1 */
    GArray *ends;             /* End by number */
    FsHostIndex end_index;    /* of ends: number + 1 (hostindex.h) */
    GArray *dests;            /* Dest by number, with free places */
    guint32 free;             /* the first free place's number + 1 (0:
                                 none) */
    guint32 live;             /* destinations (places not free) */
    FsHostIndex index;        /* of dests: number + 1 (below the mask:
                                 the index stays larger than the array)
                                 and its hash's tag, hostindex.h's slots
                                 (its used not kept: live), probed and
                                 filled here in home order */
    guint32 pruned;           /* live after the last pruning */
};

#define MIN_CAPACITY 1024u

static inline FsTime
peak_at(const Dest *d)
{
    return (FsTime)((guint64)d->peak_at[0] << 32 | d->peak_at[1]);
}

static inline Dest *
dest_at(const FsPressure *p, guint32 number)
{
    return &g_array_index(p->dests, Dest, number);
}

FsPressure *
fs_pressure_new(void)
{
    FsPressure *p = g_new0(FsPressure, 1);

    p->hosts = g_array_new(FALSE, FALSE, sizeof(FsAddr));
    fs_host_index_reset(&p->host_index, MIN_CAPACITY);
    p->ends = g_array_new(FALSE, FALSE, sizeof(End));
    fs_host_index_reset(&p->end_index, MIN_CAPACITY);
    p->dests = g_array_new(FALSE, FALSE, sizeof(Dest));
    fs_host_index_reset(&p->index, MIN_CAPACITY);
    return p;
}

void
fs_pressure_free(FsPressure *p)
{
    if (p == NULL)
        return;
    g_array_unref(p->hosts);
    fs_host_index_clear(&p->host_index);
    g_array_unref(p->ends);
    fs_host_index_clear(&p->end_index);
    g_array_unref(p->dests);
    fs_host_index_clear(&p->index);
    g_free(p);
}

static inline const FsAddr *
host(const FsPressure *p, guint32 number)
{
    return &g_array_index(p->hosts, FsAddr, number - 1);
}

/* For the host index (hostindex.h): is number's address addr; its
 * hash. */
static inline gboolean
host_is(gconstpointer p, guint32 number, gconstpointer addr)
{
    return fs_addr_equal(host(p, number), addr);
}

static guint32
host_hash_of(gconstpointer p, guint32 number)
{
    return fs_host_index_hash(host(p, number));
}

/* A new host index of capacity slots for the hosts. */
static void
host_reindex(FsPressure *p, guint32 capacity)
{
    fs_host_index_reset(&p->host_index, capacity);
    for (guint32 n = 1; n <= p->hosts->len; n++)
        fs_host_index_put(&p->host_index, host_hash_of(p, n), n,
                          host_hash_of, p);
}

/* addr's number + 1 (hash: fs_host_index_hash()); 0 when it has none
 * and create is FALSE. */
static guint32
host_number(FsPressure *p, const FsAddr *addr, guint32 hash, gboolean create)
{
    guint32 n = fs_host_index_number(
        &p->host_index,
        fs_host_index_probe(&p->host_index, addr, hash, host_is, p));

    if (n != 0 || !create)
        return n;
    g_array_append_val(p->hosts, *addr);
    fs_host_index_put(&p->host_index, hash, p->hosts->len, host_hash_of, p);
    return p->hosts->len;
}

static inline const End *
end_at(const FsPressure *p, guint32 number)
{
    return &g_array_index(p->ends, End, number - 1);
}

static inline guint32
end_hash(guint32 server, guint16 port)
{
    return (guint32)fs_mix64((guint64)server << 16 | port);
}

/* For the end index (hostindex.h): is number's end the End key; its
 * hash. */
static inline gboolean
end_is(gconstpointer p, guint32 number, gconstpointer key)
{
    const End *e = end_at(p, number);
    const End *k = key;

    return e->server == k->server && e->port == k->port;
}

static guint32
end_hash_of(gconstpointer p, guint32 number)
{
    return end_hash(end_at(p, number)->server, end_at(p, number)->port);
}

/* A new end index of capacity slots for the ends. */
static void
end_reindex(FsPressure *p, guint32 capacity)
{
    fs_host_index_reset(&p->end_index, capacity);
    for (guint32 n = 1; n <= p->ends->len; n++)
        fs_host_index_put(&p->end_index, end_hash_of(p, n), n, end_hash_of,
                          p);
}

/* (server, port)'s end number + 1, made when absent. */
static guint32
end_number(FsPressure *p, guint32 server, guint16 port)
{
    End e = { .server = server, .port = port };
    guint32 hash = end_hash(server, port);
    guint32 n = fs_host_index_number(
        &p->end_index,
        fs_host_index_probe(&p->end_index, &e, hash, end_is, p));

    if (n != 0)
        return n;
    g_array_append_val(p->ends, e);
    fs_host_index_put(&p->end_index, hash, p->ends->len, end_hash_of, p);
    return p->ends->len;
}

static inline guint32
dest_hash(guint32 client, guint32 end)
{
    return (guint32)fs_mix64((guint64)client << 32 | end);
}

/* TRUE with *at the index slot of (client, end) (hash: dest_hash());
 * else FALSE with *at where it goes: runs are kept in home order (Robin
 * Hood), so a miss stops at the first slot of its run that is empty or
 * holds a destination nearer its home. A slot is read further only when
 * its tag is hash's, or for its home when the tag does not hold it (more
 * than 2^16 slots). */
static gboolean
locate(const FsPressure *p, guint32 client, guint32 end, guint32 hash,
       guint32 *at)
{
    const FsHostIndex *ix = &p->index;
    guint32 mask = ix->mask;
    guint32 tag = fs_host_index_tag(ix, hash);
    gboolean tag_holds_home = fs_host_index_tag_holds_home(ix);
    guint32 i = fs_host_index_home(ix, hash);

    for (guint32 dist = 0;; dist++, i = (i + 1) & mask) {
        guint32 v = ix->slot[i];
        const Dest *d = NULL;
        guint32 home;

        *at = i;
        if (v == 0)
            return FALSE;
        if ((v & ~mask) == tag) {
            d = dest_at(p, (v & mask) - 1);
            if (d->client == client && d->end == end)
                return TRUE;
        }
        if (tag_holds_home) {
            home = fs_host_index_home(ix, v);
        } else {
            if (d == NULL)
                d = dest_at(p, (v & mask) - 1);
            home = fs_host_index_home(ix, dest_hash(d->client, d->end));
        }
        if (((i - home) & mask) < dist)
            return FALSE;
    }
}

/* number (its hash: dest_hash()) at index slot i (locate()'s miss): the
 * slots from i to the next empty one move one slot on. */
static void
place_at(FsPressure *p, guint32 i, guint32 hash, guint32 number)
{
    guint32 *slot = p->index.slot;
    guint32 mask = p->index.mask;
    guint32 end = i;

    while (slot[end] != 0)
        end = (end + 1) & mask;
    for (; end != i; end = (end - 1) & mask)
        slot[end] = slot[(end - 1) & mask];
    slot[i] = fs_host_index_tag(&p->index, hash) | number;
}

/* A new index of capacity slots for the destinations (more than the
 * array's places). */
static void
reindex(FsPressure *p, guint32 capacity)
{
    while (capacity <= p->dests->len)
        capacity *= 2;
    fs_host_index_reset(&p->index, capacity);
    for (guint32 n = 0; n < p->dests->len; n++) {
        const Dest *d = dest_at(p, n);
        guint32 hash;
        guint32 at;

        if (d->client == FREE_CLIENT)
            continue;
        hash = dest_hash(d->client, d->end);
        if (!locate(p, d->client, d->end, hash, &at))
            place_at(p, at, hash, n + 1);
    }
}

/* The destination (client, server, port), made when absent. */
static Dest *
find_or_add(FsPressure *p, const FsAddr *client, guint32 client_hash,
            const FsAddr *server, guint16 port)
{
    guint32 c = host_number(p, client, client_hash, TRUE);
    guint32 e = end_number(
        p, host_number(p, server, fs_host_index_hash(server), TRUE), port);
    guint32 hash = dest_hash(c, e);
    guint32 at;
    guint32 number;

    if (locate(p, c, e, hash, &at))
        return dest_at(
            p, fs_host_index_number(&p->index, &p->index.slot[at]) - 1);
    /* at most 7/8 full: runs in home order stay short; and larger than
     * the array (a new place is at most live + 1) */
    if ((p->live + 1) * 8u > (p->index.mask + 1) * 7u) {
        reindex(p, 2 * (p->index.mask + 1));
        locate(p, c, e, hash, &at);
    }
    p->live++;
    if (p->free != 0) {
        number = p->free;
        p->free = dest_at(p, number - 1)->end;
    } else {
        g_array_set_size(p->dests, p->dests->len + 1);
        number = p->dests->len;
    }
    *dest_at(p, number - 1) = (Dest){ .client = c, .end = e };
    place_at(p, at, hash, number);
    return dest_at(p, number - 1);
}

static void
enter(Dest *d, FsTime ts)
{
    if (++d->now > d->peak) {
        d->peak = d->now;
        d->peak_at[0] = (guint32)((guint64)ts >> 32);
        d->peak_at[1] = (guint32)ts;
    }
}

void
fs_pressure_prefetch(const FsPressure *p, guint32 client_hash)
{
    fs_host_index_prefetch(&p->host_index, client_hash);
}

guint32
fs_pressure_hold(FsPressure *p, const FsAddr *client, guint32 client_hash,
                 const FsAddr *server, guint16 port, guint32 owner)
{
    Dest *d = find_or_add(p, client, client_hash, server, port);

    d->held++;
    d->owner = owner;
    return (guint32)(d - dest_at(p, 0)) + 1;
}

guint32
fs_pressure_owner(const FsPressure *p, guint32 dest)
{
    return dest_at(p, dest - 1)->owner;
}

void
fs_pressure_enter_held(FsPressure *p, guint32 dest, FsTime ts)
{
    enter(dest_at(p, dest - 1), ts);
}

void
fs_pressure_release(FsPressure *p, guint32 dest, gboolean entered)
{
    Dest *d = dest_at(p, dest - 1);

    if (entered && d->now > 0)
        d->now--;
    if (d->held > 0)
        d->held--;
}

guint
fs_pressure_size(const FsPressure *p)
{
    return p->live;
}

/* Busiest first: by peak, then by addresses and port, so that the order
 * is total and the same in every run. */
static int
rank_cmp(const FsPressure *p, const Dest *x, const Dest *y)
{
    const End *xe;
    const End *ye;
    int c;

    if (x->peak != y->peak)
        return x->peak > y->peak ? -1 : 1;
    c = fs_addr_compare(host(p, x->client), host(p, y->client));
    if (c != 0)
        return c;
    xe = end_at(p, x->end);
    ye = end_at(p, y->end);
    c = fs_addr_compare(host(p, xe->server), host(p, ye->server));
    return c != 0 ? c : (int)xe->port - (int)ye->port;
}

/* capacity halved while used would fill at most 1/8 of it, not below
 * MIN_CAPACITY: the size an index shrinks to after a pruning. */
static guint32
shrunk_capacity(guint32 capacity, guint32 used)
{
    while (capacity > MIN_CAPACITY && used * 8u < capacity)
        capacity /= 2;
    return capacity;
}

/* A destination that holds no TIME_WAIT now and is not held: a pruning
 * may forget it. */
static inline gboolean
idle(const Dest *d)
{
    return d->client != FREE_CLIENT && d->now == 0 && d->held == 0;
}

/* old's number + 1 among the hosts kept (renumbered[old], given when
 * it has none yet, the host then copied over). */
static guint32
keep_host(const FsPressure *p, guint32 *renumbered, GArray *hosts,
          guint32 old)
{
    if (renumbered[old] == 0) {
        g_array_append_vals(hosts, host(p, old), 1);
        renumbered[old] = hosts->len;
    }
    return renumbered[old];
}

/* Numbers again only the hosts and the server ends the destinations
 * kept still name, so that the tables follow the destinations held,
 * not every host or end ever seen (1M client hosts took 80 MB); an
 * index at most 1/8 full gets smaller. */
static void
renumber_hosts(FsPressure *p)
{
    guint32 *renumbered = g_new0(guint32, p->hosts->len + 1);
    guint32 *ends_renumbered = g_new0(guint32, p->ends->len + 1);
    GArray *hosts = g_array_new(FALSE, FALSE, sizeof(FsAddr));
    GArray *ends = g_array_new(FALSE, FALSE, sizeof(End));

    for (guint32 n = 0; n < p->dests->len; n++) {
        Dest *d = dest_at(p, n);

        if (d->client == FREE_CLIENT)
            continue;
        d->client = keep_host(p, renumbered, hosts, d->client);
        if (ends_renumbered[d->end] == 0) {
            End e = *end_at(p, d->end);

            e.server = keep_host(p, renumbered, hosts, e.server);
            g_array_append_val(ends, e);
            ends_renumbered[d->end] = ends->len;
        }
        d->end = ends_renumbered[d->end];
    }
    g_array_unref(p->hosts);
    p->hosts = hosts;
    g_array_unref(p->ends);
    p->ends = ends;
    g_free(renumbered);
    g_free(ends_renumbered);
    host_reindex(p, shrunk_capacity(p->host_index.mask + 1, p->hosts->len));
    end_reindex(p, shrunk_capacity(p->end_index.mask + 1, p->ends->len));
}

void
fs_pressure_prune(FsPressure *p, guint keep)
{
    Dest *top;
    Dest cut;
    guint found = 0;
    gboolean any_idle = FALSE;
    guint32 forgot = 0;
    guint32 len;
    guint32 capacity;

    /* after it has grown by half: the destinations held are at most
     * 1.5 times those busy (twice kept 35,000 for 17,700 busy at 300
     * connections/s), and a pass is still O(1) a destination added */
    if (keep == 0 || p->live < MAX(p->pruned + p->pruned / 2, MIN_CAPACITY))
        return;
    /* none idle (held or holding TIME_WAIT now: the usual case while the
     * busy ones come and go), none to forget: no ranking, and the
     * numbers and indexes stay as they are; one idle is enough to go on */
    for (guint32 n = 0; n < p->dests->len && !any_idle; n++)
        any_idle = idle(dest_at(p, n));
    if (!any_idle) {
        p->pruned = p->live;
        return;
    }
    /* the keep-th destination in rank order: insertion into top[] */
    top = g_newa(Dest, keep);
    for (guint32 n = 0; n < p->dests->len; n++) {
        const Dest *d = dest_at(p, n);
        guint k;

        if (d->client == FREE_CLIENT ||
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
    /* those forgotten leave their places free (those held keep their
     * numbers); the index, made again below in any case, is not kept up
     * meanwhile (no probe a removal) */
    for (guint32 n = 0; n < p->dests->len; n++) {
        Dest *d = dest_at(p, n);

        if (idle(d) && rank_cmp(p, d, &cut) > 0) {
            memset(d, 0, sizeof *d);
            forgot++;
        }
    }
    p->live -= forgot;
    p->pruned = p->live;
    if (forgot == 0)
        return; /* (every host is still named: the same table) */
    /* the free places at the end cut off, the others chained, first the
     * lowest */
    for (len = p->dests->len; len > 0 && dest_at(p, len - 1)->client ==
                                             FREE_CLIENT;)
        len--;
    g_array_set_size(p->dests, len);
    p->free = 0;
    for (guint32 n = len; n-- > 0;) {
        Dest *d = dest_at(p, n);

        if (d->client == FREE_CLIENT) {
            d->end = p->free;
            p->free = n + 1;
        }
    }
    renumber_hosts(p);
    /* the index at most 1/8 full: a smaller one, and the array (which
     * keeps the room it once had) copied into one its size; the index
     * is made again in any case (the hosts' numbers changed) */
    capacity = shrunk_capacity(p->index.mask + 1, p->live);
    if (capacity < p->index.mask + 1) {
        GArray *dests = g_array_sized_new(FALSE, FALSE, sizeof(Dest),
                                          p->dests->len);

        g_array_append_vals(dests, p->dests->data, p->dests->len);
        g_array_unref(p->dests);
        p->dests = dests;
    }
    reindex(p, capacity);
}

static gint
rank_cmp_for_sort(gconstpointer a, gconstpointer b, gpointer user)
{
    return rank_cmp(user, *(const Dest *const *)a, *(const Dest *const *)b);
}

/* Up to this many busiest are picked one by one into a small array (n
 * times max steps at most), not by sorting an array of every
 * destination (and glib's sort's copy of it: 16 bytes a destination at
 * the end of the capture, when all of them may still be held). */
#define TOP_PICKED 64

void
fs_pressure_foreach_top(const FsPressure *p, guint max,
                        void (*fn)(const FsDestTimeWait *d, gpointer user),
                        gpointer user)
{
    g_autoptr(GPtrArray) dests = NULL;
    const Dest *top[TOP_PICKED];
    const Dest **ranked;
    guint found = 0;

    if (max <= TOP_PICKED) {
        /* not those whose every TIME_WAIT is still to count, or was
         * taken back (fs_pressure_hold() only); insertion into top[] */
        for (guint32 n = 0; n < p->dests->len && max > 0; n++) {
            const Dest *d = dest_at(p, n);
            guint k;

            if (d->peak == 0 ||
                (found == max && rank_cmp(p, d, top[max - 1]) > 0))
                continue;
            k = found < max ? found++ : max - 1;
            while (k > 0 && rank_cmp(p, top[k - 1], d) > 0) {
                top[k] = top[k - 1];
                k--;
            }
            top[k] = d;
        }
        ranked = top;
    } else {
        dests = g_ptr_array_sized_new(p->dests->len);
        for (guint32 n = 0; n < p->dests->len; n++) {
            if (dest_at(p, n)->peak > 0)
                g_ptr_array_add(dests, dest_at(p, n));
        }
        g_ptr_array_sort_with_data(dests, rank_cmp_for_sort, (gpointer)p);
        found = MIN(dests->len, max);
        ranked = (const Dest **)dests->pdata;
    }
    for (guint i = 0; i < found; i++) {
        const Dest *d = ranked[i];
        const End *e = end_at(p, d->end);
        FsDestTimeWait out = { *host(p, d->client), *host(p, e->server),
                               e->port, d->peak, peak_at(d) };

        fn(&out, user);
    }
}
