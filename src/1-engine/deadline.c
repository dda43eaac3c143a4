/* finscope: connections by wake time, in a timer wheel. The sweep runs
 * once a second of capture time and takes every connection due, in id
 * order: order within a second is of no use to it, so the wheel's
 * buckets (2^30 ns of wake times each, FS_DEADLINE_RING of them) hold
 * their entries in no order. Setting, moving or removing a deadline is
 * O(1) (an append, or the bucket's last moved into the hole: no sift
 * through a heap); a sweep takes the buckets wholly past whole and
 * looks at each entry of the one it falls in. Each queued connection
 * remembers where its entry is (FsConn.deadline_slot), so it is found
 * without a search. An entry of the wheel keeps its wake as an offset
 * into its bucket (12 bytes an entry: deadline.h). A wake RING buckets
 * or more ahead of the wheel's first (an MSL over a minute) goes to a
 * 4-ary min-heap beside it, and so does one below the wheel's first
 * when the wheel cannot turn back to it (not from the store, whose
 * deadlines are after the last sweep): few. An empty wheel stays at the
 * last sweep's bucket, so a wake far ahead goes to the heap then too,
 * rather than start the wheel there. One never due (G_MAXINT64:
 * an idle connection frozen with no idle timeout, which waits for a
 * packet or the end) goes to a bucket of its own past the wheel's, in
 * no order: it neither starts an empty wheel at the end of time (which
 * would send every later wake to the heap) nor sits in the heap; the
 * end's drain sorts it with the buckets. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/deadline.h"

typedef FsDeadlineEntry Entry;
typedef FsDeadlineBucket Bucket;
typedef FsDeadlineChunk Chunk;

#define SHIFT FS_DEADLINE_SHIFT
#define RING FS_DEADLINE_RING
#define MASK (RING - 1)
#define INDEX_BITS FS_DEADLINE_INDEX_BITS
#define INDEX_MASK FS_DEADLINE_INDEX_MASK
#define FAR FS_DEADLINE_FAR
#define NEVER FS_DEADLINE_NEVER
/* A bucket holds at most this many (its index's bits); more go far. */
#define BUCKET_MAX INDEX_MASK
#define CHUNK FS_DEADLINE_CHUNK
#define CHUNK_BITS FS_DEADLINE_CHUNK_BITS
/* An emptied bucket keeps an array of chunk pointers up to this long. */
#define KEEP_CHUNKS 64u

#define ARITY 4u
#define PARENT(i) (((i) - 1) / ARITY)

G_STATIC_ASSERT((RING & (RING - 1)) == 0);
G_STATIC_ASSERT(((guint64)(NEVER + 1) << INDEX_BITS) <= FAR);

static inline gint64
bucket_of(FsTime wake)
{
    return wake >> SHIFT;
}

static inline guint32
ring_value(guint s, guint32 i)
{
    return (s << INDEX_BITS | i) + 1;
}

/* The wheel's first bucket is k: each ring slot's start follows (once a
 * sweep, or as an empty wheel starts or the wheel turns back). */
static void
set_base(FsDeadlines *q, gint64 k)
{
    q->base = k;
    /* (unsigned: the start of a bucket past the last a wake can have
     * may wrap; it holds none) */
    for (gint64 j = k; j < k + (gint64)RING; j++)
        q->start[j & MASK] = (FsTime)((guint64)j << SHIFT);
}

FsDeadlines *
fs_deadlines_new(void)
{
    FsDeadlines *q = g_new0(FsDeadlines, 1);

    set_base(q, 0);
    /* (its offsets are 0: a wake of G_MAXINT64) */
    q->start[NEVER] = G_MAXINT64;
    q->free_chunks = g_ptr_array_new_with_free_func(g_free);
    q->far = g_array_new(FALSE, FALSE, sizeof(Entry));
    q->scratch = g_array_new(FALSE, FALSE, sizeof(Entry));
    return q;
}

void
fs_deadlines_free(FsDeadlines *q)
{
    if (q == NULL)
        return;
    for (guint s = 0; s <= NEVER; s++) {
        Bucket *b = &q->ring[s];

        for (guint32 c = 0; c < (b->len + CHUNK - 1) >> CHUNK_BITS; c++)
            g_free(b->chunk[c]);
        g_free(b->chunk);
    }
    g_ptr_array_unref(q->free_chunks);
    g_array_unref(q->far);
    g_array_unref(q->scratch);
    g_free(q);
}

guint
fs_deadlines_size(const FsDeadlines *q)
{
    return q->ring_len + q->ring[NEVER].len + q->far->len;
}

/* The far heap. */

static inline Entry *
far_at(const FsDeadlines *q, guint i)
{
    return &g_array_index(q->far, Entry, i);
}

static inline void
far_place(FsDeadlines *q, guint i, Entry e)
{
    *far_at(q, i) = e;
    e.conn->deadline_slot = FAR | i;
}

static void
far_sift_up(FsDeadlines *q, guint i)
{
    Entry e = *far_at(q, i);

    while (i > 0) {
        guint parent = PARENT(i);

        if (far_at(q, parent)->wake <= e.wake)
            break;
        far_place(q, i, *far_at(q, parent));
        i = parent;
    }
    far_place(q, i, e);
}

static void
far_sift_down(FsDeadlines *q, guint i)
{
    guint n = q->far->len;
    Entry e = *far_at(q, i);

    for (;;) {
        guint first = ARITY * i + 1;
        guint child = first;

        if (first >= n)
            break;
        for (guint k = first + 1; k < first + ARITY && k < n; k++) {
            if (far_at(q, k)->wake < far_at(q, child)->wake)
                child = k;
        }
        if (e.wake <= far_at(q, child)->wake)
            break;
        far_place(q, i, *far_at(q, child));
        i = child;
    }
    far_place(q, i, e);
}

static void
far_push(FsDeadlines *q, Entry e)
{
    g_array_append_val(q->far, e);
    far_sift_up(q, q->far->len - 1);
}

/* Takes the far heap's entry i out (its connection's slot cleared). */
static void
far_remove(FsDeadlines *q, guint i)
{
    guint last = q->far->len - 1;

    far_at(q, i)->conn->deadline_slot = 0;
    if (i != last) {
        Entry moved = *far_at(q, last);

        g_array_set_size(q->far, last);
        far_place(q, i, moved);
        if (i > 0 && far_at(q, PARENT(i))->wake > moved.wake)
            far_sift_up(q, i);
        else
            far_sift_down(q, i);
        return;
    }
    g_array_set_size(q->far, last);
}

/* The wheel. */

static inline Chunk *
chunk_of(const Bucket *b, guint32 i)
{
    return b->chunk[i >> CHUNK_BITS];
}

#define AT(i) ((i) & (CHUNK - 1))

/* wake's offset into its bucket */
static inline guint32
offset_of(FsTime wake)
{
    return (guint32)((guint64)wake & (((guint64)1 << SHIFT) - 1));
}

static inline guint32
chunks_for(guint32 len)
{
    return (len + CHUNK - 1) >> CHUNK_BITS;
}

/* b keeps its first len entries: the chunks past them go to the free
 * list. */
static void
bucket_shrink(FsDeadlines *q, Bucket *b, guint32 len)
{
    for (guint32 c = chunks_for(len); c < chunks_for(b->len); c++)
        g_ptr_array_add(q->free_chunks, b->chunk[c]);
    b->len = len;
    if (len == 0 && b->chunk_cap > KEEP_CHUNKS) {
        g_free(b->chunk);
        b->chunk = NULL;
        b->chunk_cap = 0;
    }
}

/* b is full to a chunk's end: one more chunk. */
static G_GNUC_NO_INLINE void
bucket_grow(FsDeadlines *q, Bucket *b)
{
    guint32 c = b->len >> CHUNK_BITS;
    GPtrArray *free_chunks = q->free_chunks;

    if (c == b->chunk_cap) {
        b->chunk_cap = b->chunk_cap == 0 ? 4 : 2 * b->chunk_cap;
        b->chunk = g_renew(Chunk *, b->chunk, b->chunk_cap);
    }
    if (free_chunks->len > 0)
        b->chunk[c] = g_ptr_array_steal_index_fast(free_chunks,
                                                   free_chunks->len - 1);
    else
        b->chunk[c] = g_new(Chunk, 1);
}

static inline void
bucket_append(FsDeadlines *q, guint s, FsConn *conn, guint32 offset)
{
    Bucket *b = &q->ring[s];
    Chunk *c;

    if (G_UNLIKELY((b->len & (CHUNK - 1)) == 0))
        bucket_grow(q, b);
    c = chunk_of(b, b->len);
    c->wake[AT(b->len)] = offset;
    c->conn[AT(b->len)] = conn;
    conn->deadline_slot = ring_value(s, b->len);
    b->len++;
}

/* Bucket b (at slot s)'s entry from moves to to (its connection's slot
 * follows). */
static inline void
bucket_move(Bucket *b, guint s, guint32 to, guint32 from)
{
    Chunk *t = chunk_of(b, to);
    const Chunk *f = chunk_of(b, from);

    t->wake[AT(to)] = f->wake[AT(from)];
    t->conn[AT(to)] = f->conn[AT(from)];
    t->conn[AT(to)]->deadline_slot = ring_value(s, to);
}

/* Takes bucket s's entry i out (its connection's slot cleared): the
 * bucket's last fills the hole. s may be NEVER. */
static void
ring_remove(FsDeadlines *q, guint s, guint32 i)
{
    Bucket *b = &q->ring[s];
    guint32 last = b->len - 1;

    chunk_of(b, i)->conn[AT(i)]->deadline_slot = 0;
    if (i != last)
        bucket_move(b, s, i, last);
    /* (ring_len counts the wheel's buckets only, not the never-due) */
    if (s != NEVER)
        q->ring_len--;
    bucket_shrink(q, b, last);
}

/* conn, never due (wake G_MAXINT64), goes apart (to the far heap past
 * BUCKET_MAX of them). */
static G_GNUC_NO_INLINE void
insert_never(FsDeadlines *q, FsConn *conn)
{
    if (q->ring[NEVER].len < BUCKET_MAX)
        bucket_append(q, NEVER, conn, 0);
    else
        far_push(q, (Entry){ G_MAXINT64, conn });
}

static void
insert(FsDeadlines *q, FsConn *conn, FsTime wake)
{
    gint64 k = bucket_of(wake);

    if (q->ring_len == 0) {
        if (G_UNLIKELY(wake == G_MAXINT64)) {
            insert_never(q, conn);
            return;
        }
        /* an empty wheel stays at the last sweep's bucket
         * (fs_deadlines_pop_due_by_id()) or turns back; a wake RING
         * buckets or more past it goes far, as when the wheel holds
         * entries: starting the wheel there (an idle record frozen to
         * wait out a long idle timeout) would send every nearer wake
         * to the far heap until it is taken */
        if (k < q->base)
            set_base(q, k);
        q->top = k;
    } else if (k < q->base && q->top - k < (gint64)RING) {
        /* the wheel turns back to it when every entry stays in reach;
         * else it goes far */
        set_base(q, k);
    }
    /* (never due: out of the wheel's reach) */
    if (k < q->base || k - q->base >= (gint64)RING ||
        q->ring[k & MASK].len >= BUCKET_MAX) {
        if (wake == G_MAXINT64)
            insert_never(q, conn);
        else
            far_push(q, (Entry){ wake, conn });
        return;
    }
    q->top = MAX(q->top, k);
    bucket_append(q, (guint)(k & MASK), conn, offset_of(wake));
    q->ring_len++;
}

void
fs_deadlines_remove(FsDeadlines *q, FsConn *conn)
{
    guint32 v = conn->deadline_slot;

    if (v == 0)
        return;
    if (v & FAR) {
        far_remove(q, v & ~FAR);
        return;
    }
    v--;
    ring_remove(q, v >> INDEX_BITS, v & INDEX_MASK);
}

void
fs_deadlines_set(FsDeadlines *q, FsConn *conn, FsTime wake)
{
    guint32 v = conn->deadline_slot;
    gint64 k = bucket_of(wake);

    if (v != 0 && !(v & FAR)) {
        guint s = (v - 1) >> INDEX_BITS;

        /* within its bucket: only the offset changes */
        if (k >= q->base && k - q->base < (gint64)RING &&
            (guint)(k & MASK) == s) {
            guint32 i = (v - 1) & INDEX_MASK;

            chunk_of(&q->ring[s], i)->wake[AT(i)] = offset_of(wake);
            return;
        }
        /* never due still */
        if (s == NEVER && wake == G_MAXINT64)
            return;
    } else if (v != 0 && q->ring_len > 0 && k - q->base >= (gint64)RING &&
               wake != G_MAXINT64) {
        /* still far */
        guint i = v & ~FAR;
        FsTime old = far_at(q, i)->wake;

        far_at(q, i)->wake = wake;
        if (wake < old)
            far_sift_up(q, i);
        else
            far_sift_down(q, i);
        return;
    }
    fs_deadlines_remove(q, conn);
    insert(q, conn, wake);
}

void
fs_deadlines_relocate(FsDeadlines *q, const FsConn *old, FsConn *conn)
{
    guint32 v = old->deadline_slot;

    conn->deadline_slot = v;
    if (v == 0)
        return;
    if (v & FAR) {
        far_at(q, v & ~FAR)->conn = conn;
        return;
    }
    v--;
    chunk_of(&q->ring[v >> INDEX_BITS], v & INDEX_MASK)->conn[AT(v)] = conn;
}

FsConn *
fs_deadlines_pop_due(FsDeadlines *q, FsTime now)
{
    FsTime best = q->far->len > 0 ? far_at(q, 0)->wake : G_MAXINT64;
    FsConn *conn = q->far->len > 0 ? far_at(q, 0)->conn : NULL;

    /* the wheel's first bucket not empty holds its earliest */
    for (gint64 k = q->base; q->ring_len > 0 && k < q->base + (gint64)RING;
         k++) {
        guint s = (guint)(k & MASK);
        const Bucket *b = &q->ring[s];
        FsTime start = q->start[s];

        if (b->len == 0)
            continue;
        for (guint32 i = 0; i < b->len; i++) {
            const Chunk *c = chunk_of(b, i);

            if (conn == NULL || start + c->wake[AT(i)] < best) {
                best = start + c->wake[AT(i)];
                conn = c->conn[AT(i)];
            }
        }
        break;
    }
    if (conn == NULL || best > now)
        return NULL;
    fs_deadlines_remove(q, conn);
    return conn;
}

/* Below this many, sort_by_key() sorts by insertion. */
#define INSERTION_SORT_MAX 32
/* sort_by_key()'s digits: at most this many bits (a count array of
 * 8 KiB on the stack) */
#define RADIX_BITS_MAX 11u

/* Sorts a[0..n) by wake, which holds a key (a connection's id): unique,
 * not negative. A least-significant-digit radix sort over the bits in
 * which the keys differ, in as few passes of digits of at most
 * RADIX_BITS_MAX bits as they take, the digits as narrow as those
 * passes allow (ids due at a sweep span a few hundred thousand, 17 to
 * 19 bits: 2 passes, where bytes took 3), q->scratch the other buffer:
 * O(n), no comparison calls (g_array_sort's merge sort cost ~40
 * instructions a comparison, a sweep of 10,000 due ~6 million).
 * Returns where the sorted entries are: a, or q->scratch's data. */
static Entry *
sort_by_key(FsDeadlines *q, Entry *a, guint n)
{
    Entry *from = a;
    Entry *to;
    guint64 lo = G_MAXUINT64;
    guint64 hi = 0;
    guint span_bits;
    guint passes;
    guint bits;
    guint count[1u << RADIX_BITS_MAX];

    if (n <= INSERTION_SORT_MAX) {
        for (guint i = 1; i < n; i++) {
            Entry e = a[i];
            guint j = i;

            for (; j > 0 && a[j - 1].wake > e.wake; j--)
                a[j] = a[j - 1];
            a[j] = e;
        }
        return a;
    }
    for (guint i = 0; i < n; i++) {
        lo = MIN(lo, (guint64)a[i].wake);
        hi = MAX(hi, (guint64)a[i].wake);
    }
    if (hi == lo)
        return a;
    span_bits = 64 - (guint)__builtin_clzll(hi - lo);
    passes = (span_bits + RADIX_BITS_MAX - 1) / RADIX_BITS_MAX;
    bits = (span_bits + passes - 1) / passes;
    g_array_set_size(q->scratch, n);
    to = &g_array_index(q->scratch, Entry, 0);
    for (guint shift = 0; shift < span_bits; shift += bits) {
        guint64 mask = ((guint64)1 << bits) - 1;
        guint radix = 1u << bits;
        guint at = 0;
        Entry *swap;

        memset(count, 0, radix * sizeof *count);
        for (guint i = 0; i < n; i++)
            count[(((guint64)from[i].wake - lo) >> shift) & mask]++;
        for (guint d = 0; d < radix; d++) {
            guint c = count[d];

            count[d] = at;
            at += c;
        }
        for (guint i = 0; i < n; i++)
            to[count[(((guint64)from[i].wake - lo) >> shift) & mask]++] =
                from[i];
        swap = from;
        from = to;
        to = swap;
    }
    return from;
}

/* Room for n more entries at the end of due: where they go. */
static inline Entry *
due_room(GArray *due, guint n)
{
    guint at = due->len;

    g_array_set_size(due, at + n);
    return &g_array_index(due, Entry, at);
}

/* A bucket's connections were last touched up to 2*MSL ago, out of
 * every cache: taking entry i, the connection TAKE_AHEAD on is asked for
 * (its head, which the taking writes and the sweep reads first). */
#define TAKE_AHEAD 8

static inline void
take_prefetch(const Bucket *b, guint32 i)
{
#if defined(__GNUC__)
    if (i + TAKE_AHEAD < b->len)
        __builtin_prefetch(chunk_of(b, i + TAKE_AHEAD)->conn[AT(i + TAKE_AHEAD)],
                           1);
#else
    (void)b, (void)i;
#endif
}

/* Bucket s is due whole: its entries go to due, each keyed by its
 * connection's id. */
static void
take_all(FsDeadlines *q, guint s, GArray *due)
{
    Bucket *b = &q->ring[s];
    Entry *to;

    if (b->len == 0)
        return;
    to = due_room(due, b->len);
    for (guint32 i = 0; i < b->len; i++) {
        FsConn *conn = chunk_of(b, i)->conn[AT(i)];

        take_prefetch(b, i);
        conn->deadline_slot = 0;
        to[i] = (Entry){ (FsTime)conn->id, conn };
    }
    q->ring_len -= b->len;
    bucket_shrink(q, b, 0);
}

/* Bucket s holds now: its entries due by now go to due (keyed by id),
 * the others close up. */
static void
take_partial(FsDeadlines *q, guint s, FsTime now, GArray *due)
{
    Bucket *b = &q->ring[s];
    guint32 now_offset = offset_of(now);
    guint32 kept = 0;
    guint at = due->len;
    Entry *to;

    if (b->len == 0)
        return;
    to = due_room(due, b->len);
    for (guint32 i = 0; i < b->len; i++) {
        const Chunk *c = chunk_of(b, i);

        take_prefetch(b, i);
        if (c->wake[AT(i)] <= now_offset) {
            FsConn *conn = c->conn[AT(i)];

            conn->deadline_slot = 0;
            *to++ = (Entry){ (FsTime)conn->id, conn };
            continue;
        }
        if (kept != i)
            bucket_move(b, s, kept, i);
        kept++;
    }
    g_array_set_size(due, at + (b->len - kept));
    q->ring_len -= b->len - kept;
    bucket_shrink(q, b, kept);
}

/* The wheel's entries due by now go to due; it turns to now's bucket. */
static void
take_ring_due(FsDeadlines *q, FsTime now, GArray *due)
{
    gint64 nb = bucket_of(now);
    gint64 whole_end;

    /* below base's bucket, none is due */
    if (nb < q->base)
        return;
    /* the buckets before now's are due whole */
    whole_end = MIN(nb, q->base + (gint64)RING);
    for (gint64 k = q->base; k < whole_end && q->ring_len > 0; k++)
        take_all(q, (guint)(k & MASK), due);
    if (q->ring_len > 0 && nb < q->base + (gint64)RING)
        take_partial(q, (guint)(nb & MASK), now, due);
    if (nb != q->base)
        set_base(q, nb);
}

/* How many of the wheel's entries take_ring_due() may take at most: those
 * of the buckets up to now's. */
static guint
ring_due_at_most(const FsDeadlines *q, FsTime now)
{
    gint64 end = MIN(bucket_of(now), q->base + (gint64)RING - 1);
    guint n = 0;

    if (q->ring_len == 0)
        return 0;
    for (gint64 k = q->base; k <= end; k++)
        n += q->ring[k & MASK].len;
    return n;
}

void
fs_deadlines_pop_due_by_id(FsDeadlines *q, FsTime now, GPtrArray *out)
{
    GArray *due;
    Entry *sorted;
    guint at;

    if (q->ring_len == 0) {
        /* an empty wheel follows the sweeps: a wake set after this one
         * starts it no farther ahead than it would reach (insert()) */
        if (bucket_of(now) != q->base)
            set_base(q, bucket_of(now));
        if (q->far->len == 0 || far_at(q, 0)->wake > now)
            return;
    }
    /* (not kept between sweeps: the report's allocations reuse it);
     * sized for the buckets it takes from, so that it is not grown (a
     * realloc and a copy at each doubling) */
    due = g_array_sized_new(FALSE, FALSE, sizeof(Entry),
                            ring_due_at_most(q, now));
    if (q->ring_len > 0)
        take_ring_due(q, now, due);
    /* the far heap's (few: an MSL over a minute, or a wake before the
     * wheel's first it could not turn back to) one at a time */
    while (q->far->len > 0 && far_at(q, 0)->wake <= now) {
        FsConn *conn = far_at(q, 0)->conn;

        far_remove(q, 0);
        *due_room(due, 1) = (Entry){ (FsTime)conn->id, conn };
    }
    if (due->len == 0) {
        g_array_unref(due);
        return;
    }
    sorted = sort_by_key(q, &g_array_index(due, Entry, 0), due->len);
    at = out->len;
    g_ptr_array_set_size(out, at + due->len);
    for (guint i = 0; i < due->len; i++)
        out->pdata[at + i] = sorted[i].conn;
    g_array_unref(due);
    g_array_set_size(q->scratch, 0);
}

/* A range of a bucket this short is sorted by insertion
 * (bucket_sort_range()). */
#define BUCKET_INSERTION_MAX 16
/* bucket_sort_range()'s digits: at most this many bits (its two arrays
 * of positions, 8 KiB, on the stack at each level; 8 bits took 0.4M
 * instructions more on the bench's medium trace). */
#define BUCKET_DIGIT_BITS_MAX 10u

/* Sorts bucket b's entries [from, to) by key, by insertion. */
static void
bucket_insertion_sort(Bucket *b, guint32 from, guint32 to)
{
    for (guint32 i = from + 1; i < to; i++) {
        Chunk *ci = chunk_of(b, i);
        guint32 key = ci->wake[AT(i)];
        FsConn *conn = ci->conn[AT(i)];
        guint32 j = i;

        for (; j > from; j--) {
            const Chunk *cp = chunk_of(b, j - 1);
            Chunk *cj;

            if (cp->wake[AT(j - 1)] <= key)
                break;
            cj = chunk_of(b, j);
            cj->wake[AT(j)] = cp->wake[AT(j - 1)];
            cj->conn[AT(j)] = cp->conn[AT(j - 1)];
        }
        chunk_of(b, j)->wake[AT(j)] = key;
        chunk_of(b, j)->conn[AT(j)] = conn;
    }
}

/* Sorts bucket b's entries [from, to) by key where they lie, the keys
 * less least alike above their bits below bits (unique keys): an
 * in-place radix sort from the most significant digit (American flag
 * sort). The digits are as wide as make one or two entries each (their
 * count's bit length less 1, at most BUCKET_DIGIT_BITS_MAX): the
 * entries are counted by digit, each moved once to its digit's range
 * (a cycle of swaps), and each range sorted on the bits below, by
 * insertion once it is short. */
static void
bucket_sort_range(Bucket *b, guint32 from, guint32 to, guint32 least,
                  guint bits)
{
    guint32 start[(1u << BUCKET_DIGIT_BITS_MAX) + 1];
    guint32 next[1u << BUCKET_DIGIT_BITS_MAX];
    guint digit_bits;
    guint shift;
    guint32 mask;
    guint32 radix;

    if (to - from <= BUCKET_INSERTION_MAX || bits == 0) {
        bucket_insertion_sort(b, from, to);
        return;
    }
    digit_bits = MIN(MIN(bits, BUCKET_DIGIT_BITS_MAX),
                     MAX(g_bit_storage(to - from), 3u) - 1);
    shift = bits - digit_bits;
    mask = (1u << digit_bits) - 1;
    radix = 1u << digit_bits;
#define DIGIT(key) ((((key) - least) >> shift) & mask)
    memset(start, 0, (radix + 1) * sizeof *start);
    for (guint32 i = from; i < to; i++)
        start[DIGIT(chunk_of(b, i)->wake[AT(i)]) + 1]++;
    start[0] = from;
    for (guint32 d = 0; d < radix; d++) {
        start[d + 1] += start[d];
        next[d] = start[d];
    }
    /* each place of digit d not yet filled takes the entry there, which
     * swaps its way to its own digit's next place until one of d's
     * comes back */
    for (guint32 d = 0; d < radix; d++) {
        while (next[d] < start[d + 1]) {
            guint32 i = next[d];
            Chunk *ci = chunk_of(b, i);
            guint32 key = ci->wake[AT(i)];
            FsConn *conn = ci->conn[AT(i)];
            guint32 e;

            while ((e = DIGIT(key)) != d) {
                guint32 j = next[e]++;
                Chunk *cj = chunk_of(b, j);
                guint32 k = cj->wake[AT(j)];
                FsConn *c = cj->conn[AT(j)];

                cj->wake[AT(j)] = key;
                cj->conn[AT(j)] = conn;
                key = k;
                conn = c;
            }
            ci->wake[AT(i)] = key;
            ci->conn[AT(i)] = conn;
            next[d]++;
        }
    }
#undef DIGIT
    if (shift == 0)
        return;
    for (guint32 d = 0; d < radix; d++) {
        if (start[d + 1] - start[d] > 1)
            bucket_sort_range(b, start[d], start[d + 1], least, shift);
    }
}

/* Sorts b's entries by key where they lie (the end's drain holds every
 * connection, and a second buffer as large would be the capture's peak
 * of memory): keys from least to least + 2^bits - 1. A radix sort, not
 * a heapsort as the far heap's (a bucket holds most entries: the
 * heapsort took ~340 instructions an entry on the bench's medium trace,
 * this ~110 with the passes before it). */
static void
bucket_sort_in_place(Bucket *b, guint32 least, guint bits)
{
    bucket_sort_range(b, 0, b->len, least, bits);
}

/* Moves a[i] down the max-heap a[0..n) by wake. */
static void
entry_sift_max(Entry *a, guint i, guint n)
{
    Entry e = a[i];

    for (;;) {
        guint c = 2 * i + 1;

        if (c >= n)
            break;
        if (c + 1 < n && a[c + 1].wake > a[c].wake)
            c++;
        if (a[c].wake <= e.wake)
            break;
        a[i] = a[c];
        i = c;
    }
    a[i] = e;
}

/* Sorts a[0..n) by wake where they lie (heapsort), for the far heap at
 * the end's drain: no second buffer (sort_by_key()'s). */
static void
entries_sort_in_place(Entry *a, guint n)
{
    for (guint i = n / 2; i-- > 0;)
        entry_sift_max(a, i, n);
    for (guint end = n; end-- > 1;) {
        Entry top = a[0];

        a[0] = a[end];
        a[end] = top;
        entry_sift_max(a, 0, end);
    }
}

/* A run of entries sorted by id, for drain_by_id()'s merge: a bucket's
 * or the never-due ones' (its keys ids less lo), or (b NULL) the far
 * heap's, a. */
typedef struct {
    Bucket *b;
    const Entry *a;
    guint64 lo;
    guint32 len;
    guint32 at;
} Run;

static inline guint64
run_head_id(const Run *r)
{
    return r->b != NULL ? r->lo + chunk_of(r->b, r->at)->wake[AT(r->at)]
                        : (guint64)r->a[r->at].wake;
}

static inline FsConn *
run_head_conn(const Run *r)
{
    return r->b != NULL ? chunk_of(r->b, r->at)->conn[AT(r->at)]
                        : r->a[r->at].conn;
}

static void
run_sift(Run **h, guint i, guint n)
{
    Run *r = h[i];
    guint64 id = run_head_id(r);

    for (;;) {
        guint c = 2 * i + 1;

        if (c >= n)
            break;
        if (c + 1 < n && run_head_id(h[c + 1]) < run_head_id(h[c]))
            c++;
        if (run_head_id(h[c]) >= id)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = r;
}

/* The merge's next connection, its run moved on (NULL: all taken). */
static inline FsConn *
merge_next(Run **heap, guint *n_runs)
{
    Run *r;
    FsConn *conn;

    if (*n_runs == 0)
        return NULL;
    r = heap[0];
    conn = run_head_conn(r);
    if (++r->at == r->len)
        heap[0] = heap[--*n_runs];
    if (*n_runs > 0)
        run_sift(heap, 0, *n_runs);
    return conn;
}

/* The end's drain hands every connection held to fn, each last touched
 * up to 2*MSL ago, out of every cache (the large trace's 930,000: 14%
 * of its run). The merge runs DRAIN_AHEAD connections ahead of fn: each
 * one's head is asked for as the merge takes it (the merge reads only
 * the buckets), and ahead() (what fn will read of it, knowing it from
 * its head) is called DRAIN_AHEAD / 2 before fn. fn may free its own
 * connection only: those ahead are read before it runs. */
#define DRAIN_AHEAD 16u

static void
drain_ahead(Run **heap, guint n_runs,
            void (*fn)(FsConn *conn, gpointer user),
            void (*ahead)(const FsConn *conn, gpointer user), gpointer user)
{
    FsConn *ring[DRAIN_AHEAD];
    guint in = 0;
    guint out = 0;

    for (;;) {
        FsConn *conn = merge_next(heap, &n_runs);

        if (conn != NULL) {
#if defined(__GNUC__)
            __builtin_prefetch(conn, 1);
#endif
            ring[in++ % DRAIN_AHEAD] = conn;
            if (in - out < DRAIN_AHEAD)
                continue;
        } else if (out == in) {
            return;
        }
        if (ahead != NULL && out + DRAIN_AHEAD / 2 < in)
            ahead(ring[(out + DRAIN_AHEAD / 2) % DRAIN_AHEAD], user);
        fn(ring[out++ % DRAIN_AHEAD], user);
    }
}

/* drain_by_id() when the ids held span 2^32 or more (over four billion
 * connections in the capture): all of them into one array (16 bytes a
 * connection, the drain's peak), sorted there. */
static void
drain_wide(FsDeadlines *q, void (*fn)(FsConn *conn, gpointer user),
           void (*ahead)(const FsConn *conn, gpointer user), gpointer user)
{
    g_autoptr(GArray) all = g_array_sized_new(FALSE, FALSE, sizeof(Entry),
                                              fs_deadlines_size(q));
    Entry *sorted;

    for (guint s = 0; s <= NEVER; s++) {
        Bucket *b = &q->ring[s];

        for (guint32 i = 0; i < b->len; i++) {
            FsConn *conn = chunk_of(b, i)->conn[AT(i)];
            Entry e = { (FsTime)conn->id, conn };

            g_array_append_val(all, e);
        }
    }
    /* (the far heap's keyed by id already) */
    g_array_append_vals(all, q->far->data, q->far->len);
    sorted = sort_by_key(q, &g_array_index(all, Entry, 0), all->len);
    for (guint i = 0; i < all->len; i++) {
        if (ahead != NULL && i + DRAIN_AHEAD / 2 < all->len)
            ahead(sorted[i + DRAIN_AHEAD / 2].conn, user);
        fn(sorted[i].conn, user);
    }
}

void
fs_deadlines_drain_by_id(FsDeadlines *q,
                         void (*fn)(FsConn *conn, gpointer user),
                         void (*ahead)(const FsConn *conn, gpointer user),
                         gpointer user)
{
    Run runs[NEVER + 2];
    Run *heap[NEVER + 2];
    guint n_runs = 0;
    guint64 lo = G_MAXUINT64;
    guint64 hi = 0;

    /* each id read once, into the entry (its low 32 bits in the
     * buckets' offsets): the sorts read no connection; each bucket, the
     * never-due ones and the far heap sorted where they are and the
     * runs merged: no copy of them all (the end's drain holds every
     * connection: a copy would be the peak) */
    for (guint s = 0; s <= NEVER; s++) {
        Bucket *b = &q->ring[s];

        for (guint32 i = 0; i < b->len; i++) {
            Chunk *c = chunk_of(b, i);
            FsConn *conn = c->conn[AT(i)];

            take_prefetch(b, i);
            conn->deadline_slot = 0;
            c->wake[AT(i)] = (guint32)conn->id;
            lo = MIN(lo, conn->id);
            hi = MAX(hi, conn->id);
        }
    }
    for (guint i = 0; i < q->far->len; i++) {
        Entry *e = far_at(q, i);

        e->conn->deadline_slot = 0;
        e->wake = (FsTime)e->conn->id;
    }
    if (lo <= hi && hi - lo > G_MAXUINT32) {
        drain_wide(q, fn, ahead, user);
        goto emptied;
    }
    for (guint s = 0; s <= NEVER; s++) {
        Bucket *b = &q->ring[s];
        guint32 least = G_MAXUINT32;
        guint32 most = 0;

        if (b->len == 0)
            continue;
        /* the id less lo, from its low 32 bits: the span fits */
        for (guint32 i = 0; i < b->len; i++) {
            guint32 *key = &chunk_of(b, i)->wake[AT(i)];

            *key -= (guint32)lo;
            least = MIN(least, *key);
            most = MAX(most, *key);
        }
        bucket_sort_in_place(b, least, g_bit_storage(most - least));
        runs[n_runs++] = (Run){ b, NULL, lo, b->len, 0 };
    }
    if (q->far->len > 0) {
        entries_sort_in_place(far_at(q, 0), q->far->len);
        runs[n_runs++] = (Run){ NULL, far_at(q, 0), 0, q->far->len, 0 };
    }
    for (guint i = 0; i < n_runs; i++)
        heap[i] = &runs[i];
    for (guint i = n_runs / 2; i-- > 0;)
        run_sift(heap, i, n_runs);
    drain_ahead(heap, n_runs, fn, ahead, user);
emptied:
    for (guint s = 0; s <= NEVER; s++)
        bucket_shrink(q, &q->ring[s], 0);
    q->ring_len = 0;
    g_array_set_size(q->far, 0);
    g_array_set_size(q->scratch, 0);
}
