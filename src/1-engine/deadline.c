/* finscope: a 4-ary min-heap of connections by wake time. Each queued
 * connection remembers its heap slot (FsConn.deadline_slot, 1-based, 0 =
 * not queued), so moving or removing it is O(log n) without a search.
 * Four children a node (64 bytes of entries, mostly one cache line) halve
 * the depth a binary heap has: fewer cache misses per sift. */
#include "config.h"

#include <glib.h>

#include "finscope/deadline.h"

typedef FsDeadlineEntry Entry;

#define ARITY 4u
#define PARENT(i) (((i) - 1) / ARITY)

FsDeadlines *
fs_deadlines_new(void)
{
    FsDeadlines *q = g_new0(FsDeadlines, 1);

    q->heap = g_array_new(FALSE, FALSE, sizeof(Entry));
    q->scratch = g_array_new(FALSE, FALSE, sizeof(Entry));
    return q;
}

void
fs_deadlines_free(FsDeadlines *q)
{
    if (q == NULL)
        return;
    g_array_unref(q->heap);
    g_array_unref(q->scratch);
    g_free(q);
}

static inline Entry *
at(const FsDeadlines *q, guint i)
{
    return &g_array_index(q->heap, Entry, i);
}

static inline void
place(FsDeadlines *q, guint i, Entry e)
{
    *at(q, i) = e;
    e.conn->deadline_slot = i + 1;
}

static void
sift_up(FsDeadlines *q, guint i)
{
    Entry e = *at(q, i);

    while (i > 0) {
        guint parent = PARENT(i);

        if (at(q, parent)->wake <= e.wake)
            break;
        place(q, i, *at(q, parent));
        i = parent;
    }
    place(q, i, e);
}

static void
sift_down(FsDeadlines *q, guint i)
{
    guint n = q->heap->len;
    Entry e = *at(q, i);

    for (;;) {
        guint first = ARITY * i + 1;
        guint child = first;

        if (first >= n)
            break;
        for (guint k = first + 1; k < first + ARITY && k < n; k++) {
            if (at(q, k)->wake < at(q, child)->wake)
                child = k;
        }
        if (e.wake <= at(q, child)->wake)
            break;
        place(q, i, *at(q, child));
        i = child;
    }
    place(q, i, e);
}

void
fs_deadlines_set(FsDeadlines *q, FsConn *conn, FsTime wake)
{
    Entry e = { wake, conn };
    guint i;

    if (conn->deadline_slot == 0) {
        g_array_append_val(q->heap, e);
        sift_up(q, q->heap->len - 1);
        return;
    }
    i = conn->deadline_slot - 1;
    if (wake < at(q, i)->wake) {
        at(q, i)->wake = wake;
        sift_up(q, i);
    } else {
        at(q, i)->wake = wake;
        sift_down(q, i);
    }
}

void
fs_deadlines_remove(FsDeadlines *q, FsConn *conn)
{
    guint i;
    guint last;

    if (conn->deadline_slot == 0)
        return;
    i = conn->deadline_slot - 1;
    last = q->heap->len - 1;
    conn->deadline_slot = 0;
    if (i != last) {
        Entry moved = *at(q, last);

        g_array_set_size(q->heap, last);
        place(q, i, moved);
        if (i > 0 && at(q, PARENT(i))->wake > moved.wake)
            sift_up(q, i);
        else
            sift_down(q, i);
        return;
    }
    g_array_set_size(q->heap, last);
}

void
fs_deadlines_relocate(FsDeadlines *q, const FsConn *old, FsConn *conn)
{
    conn->deadline_slot = old->deadline_slot;
    if (old->deadline_slot != 0)
        at(q, old->deadline_slot - 1)->conn = conn;
}

FsConn *
fs_deadlines_pop_due(FsDeadlines *q, FsTime now)
{
    FsConn *conn;

    if (q->heap->len == 0 || at(q, 0)->wake > now)
        return NULL;
    conn = at(q, 0)->conn;
    fs_deadlines_remove(q, conn);
    return conn;
}

/* Below this many, sort_by_key() sorts by insertion. */
#define INSERTION_SORT_MAX 32
#define RADIX_BITS 8u
#define RADIX (1u << RADIX_BITS)

/* Sorts a[0..n) by wake, which holds a key (a connection's id): unique,
 * not negative. A least-significant-digit radix sort, a byte a pass over
 * the bits in which the keys differ (ids held at once span a few
 * hundred thousand: 2 or 3 passes), q->scratch the other buffer: O(n),
 * no comparison calls (g_array_sort's merge sort cost ~40 instructions
 * a comparison, a sweep of 10,000 due ~6 million). Returns where the
 * sorted entries are: a, or q->scratch's data. */
static Entry *
sort_by_key(FsDeadlines *q, Entry *a, guint n)
{
    Entry *from = a;
    Entry *to;
    guint64 lo = G_MAXUINT64;
    guint64 hi = 0;
    guint64 span;

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
    g_array_set_size(q->scratch, n);
    to = &g_array_index(q->scratch, Entry, 0);
    span = hi - lo;
    for (guint shift = 0; shift < 64 && (span >> shift) != 0;
         shift += RADIX_BITS) {
        guint count[RADIX] = { 0 };
        guint at = 0;
        Entry *swap;

        for (guint i = 0; i < n; i++)
            count[(((guint64)from[i].wake - lo) >> shift) & (RADIX - 1)]++;
        for (guint d = 0; d < RADIX; d++) {
            guint c = count[d];

            count[d] = at;
            at += c;
        }
        for (guint i = 0; i < n; i++)
            to[count[(((guint64)from[i].wake - lo) >> shift) &
                     (RADIX - 1)]++] = from[i];
        swap = from;
        from = to;
        to = swap;
    }
    return from;
}

/* Moves a[i] down the max-heap a[0..n) by wake to where it belongs. */
static void
sift_max(Entry *a, guint i, guint n)
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

/* Sorts a[0..n) by wake in place (heapsort). The end's drain sorts every
 * connection held: sort_by_key()'s second buffer as large (16 bytes a
 * connection) would be the capture's peak of memory. */
static void
sort_in_place_by_key(Entry *a, guint n)
{
    for (guint i = n / 2; i-- > 0;)
        sift_max(a, i, n);
    for (guint end = n; end-- > 1;) {
        Entry top = a[0];

        a[0] = a[end];
        a[end] = top;
        sift_max(a, 0, end);
    }
}

void
fs_deadlines_drain_by_id(FsDeadlines *q,
                         void (*fn)(FsConn *conn, gpointer user),
                         gpointer user)
{
    guint n = q->heap->len;
    Entry *sorted;

    /* each id read once, into the entry: the sort reads no connection */
    for (guint i = 0; i < n; i++) {
        Entry *e = at(q, i);

        e->conn->deadline_slot = 0;
        e->wake = (FsTime)e->conn->id;
    }
    sorted = n > 0 ? at(q, 0) : NULL;
    if (n > 0)
        sort_in_place_by_key(sorted, n);
    for (guint i = 0; i < n; i++)
        fn(sorted[i].conn, user);
    g_array_set_size(q->heap, 0);
    g_array_set_size(q->scratch, 0);
}

/* The entries due by now are the top of the heap (none has a parent
 * due later): appends each, as { its slot, its connection }, to due,
 * looking at each child of one due once. */
static void
gather_due(const FsDeadlines *q, FsTime now, GArray *due)
{
    guint n = q->heap->len;
    Entry root = { 0, at(q, 0)->conn };

    g_array_append_val(due, root);
    for (guint j = 0; j < due->len; j++) {
        guint first = ARITY * (guint)g_array_index(due, Entry, j).wake + 1;

        for (guint k = first; k < first + ARITY && k < n; k++) {
            if (at(q, k)->wake <= now) {
                Entry e = { (FsTime)k, at(q, k)->conn };

                g_array_append_val(due, e);
            }
        }
    }
}

/* Takes the due entries out at once: the others close up, in their
 * order, and are made a heap again from the bottom (Floyd's), O(n). */
static void
rebuild_without(FsDeadlines *q, GArray *due)
{
    guint n = q->heap->len;
    guint kept = 0;

    for (guint j = 0; j < due->len; j++) {
        Entry *e = &g_array_index(due, Entry, j);

        at(q, (guint)e->wake)->conn = NULL;
        e->conn->deadline_slot = 0;
    }
    for (guint i = 0; i < n; i++) {
        if (at(q, i)->conn != NULL)
            place(q, kept++, *at(q, i));
    }
    g_array_set_size(q->heap, kept);
    for (guint i = kept > 1 ? PARENT(kept - 1) + 1 : 0; i-- > 0;)
        sift_down(q, i);
}

void
fs_deadlines_pop_due_by_id(FsDeadlines *q, FsTime now, GPtrArray *out)
{
    GArray *due;
    guint n = q->heap->len;
    Entry *sorted;

    if (n == 0 || at(q, 0)->wake > now)
        return;
    due = g_array_new(FALSE, FALSE, sizeof(Entry));
    gather_due(q, now, due);
    /* a removal costs about a sift down the heap's depth, a rebuild a
     * few steps an entry: many due at once (a sweep after a burst of
     * closes), one rebuild */
    if ((guint64)due->len * g_bit_storage(n) >= n) {
        rebuild_without(q, due);
    } else {
        for (guint j = 0; j < due->len; j++)
            fs_deadlines_remove(q, g_array_index(due, Entry, j).conn);
    }
    for (guint j = 0; j < due->len; j++) {
        Entry *e = &g_array_index(due, Entry, j);

        e->wake = (FsTime)e->conn->id;
    }
    sorted = sort_by_key(q, &g_array_index(due, Entry, 0), due->len);
    for (guint i = 0; i < due->len; i++)
        g_ptr_array_add(out, sorted[i].conn);
    g_array_unref(due);
    g_array_set_size(q->scratch, 0);
}

guint
fs_deadlines_size(const FsDeadlines *q)
{
    return q->heap->len;
}
