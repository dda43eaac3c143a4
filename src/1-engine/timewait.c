/* finscope: TIME_WAIT accounting per host and, through pressure.c, per
 * client towards each server ip:port; fed every state transition and
 * the capture's time.
 *
 * Two clocks. Now (time_wait_now, a host's now): a TIME_WAIT counts
 * from when the engine learns it until its 2*MSL runs out (its Tw in
 * ends, by start, passed by the capture's time; its "Ending") or a
 * transition cuts it short. Peaks (a host's, a destination's,
 * time_wait_peak): each TIME_WAIT's span, from its start to its end or
 * cut, is counted LAG behind the capture's time (the same Tw, moved on
 * to spans_in and spans_out, by time): the engine may
 * learn a start that late (an ACK proven by silence, or by 2*MSL of it,
 * fs_tcpstate_expire(), is dated back to when it passed), so the peaks
 * are those of the records' spans exactly, and at the end of the
 * capture (fs_timewait_finish()) complete. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "hostindex.h"
#include "pressure.h"
#include "store.h"
#include "timewait.h"

/* How far the peaks' clock stays behind the capture's, past 2*MSL: a
 * start dated back comes at the sweep after its 2*MSL (once a second). */
#define LAG_SLACK (2 * FS_NS_PER_SEC)

/* A host holding TIME_WAIT, or whose spans are still to be counted:
 * one cache line, in an array by number (FsTimeWait.host_at). */
typedef struct {
    FsHostTimeWait pub;     /* first: what fs_timewait_foreach_host_top()
                               hands out; pub.now on the capture's clock,
                               pub.peak on the peaks'; pub.host.family 0:
                               a number free */
    guint32 lag;            /* its spans held at the peaks' clock (at
                               most spans) */
    guint32 spans;          /* its Tw queued */
} Host;
G_STATIC_ASSERT(sizeof(Host) == 64);
#define HOST_ALIGN 64

/* One TIME_WAIT, queued from when the engine learns it until the
 * peaks' clock is past its end, in one queue at a time: counted now
 * (ends, by start: its 2*MSL runs out in that order), then waiting for
 * the peaks' clock (spans_in, by start), then entered there (spans_out,
 * by its end). 16 bytes (24 with its host and destination apart; an
 * Ending and a Span, 72, before): at the peak of a capture of short
 * connections nearly each one has its Tw. */
typedef struct {
    FsTime t;               /* its start; in spans_out, its end */
    guint32 key;            /* its key (key_of(): the role's bit is the
                               lowest) */
    guint32 who;            /* a server's Host id (alive while it is
                               queued); a TW_DONE one's (its Host may
                               have gone since: host_of()); a client's
                               destination, its number in port pressure
                               (held while it is queued: fs_pressure_hold(),
                               whose owner is its client's Host id); |
                               TW_SPAN_ONLY; | TW_ENTERED
                               or TW_DONE (ends only) */
} Tw;

/* Of a Tw left in ends by fs_timewait_finish(): its span entered, to
 * leave at its end (it goes to spans_out when it runs out now), or done
 * with (it only runs out now; who its Host's id, its destination
 * released). The number's bits are below. */
#define TW_ENTERED (1u << 31)
#define TW_DONE (1u << 30)
/* Of a Tw anywhere: the span of a timer restarted or of a TIME_WAIT an
 * RST seemed to end (fs_timewait_restart(), _resume()), not an entry:
 * dropped (its TIME_WAIT taken back), its host's entries stay. */
#define TW_SPAN_ONLY (1u << 29)
#define TW_WHO (TW_SPAN_ONLY - 1)

/* A TIME_WAIT still counted now whose span the peaks' clock took first
 * (it ran ahead: over the span budget, or fs_timewait_finish()): when
 * its 2*MSL runs out, on the capture's clock. */
typedef struct {
    FsTime end;             /* 2*MSL after it started */
    guint64 key;            /* its connection's id * 2 + role */
    guint32 id;             /* its host's number (alive while it
                               counts) */
} Ending;

typedef struct {
    FsTime since;           /* the span's start (FS_TIME_UNSET: the
                               next's) */
    FsTime at;              /* cut then; G_MININT64: it never held one */
} CutAt;

/* Endings to pass over: a key's TIME_WAITs cut short; while the table
 * is keyed (FsTimeWait.keyed), also every key with an Ending queued. */
typedef struct {
    guint64 key;            /* first: the hash's key (g_int64_hash) */
    guint count;            /* how many of its Endings */
    guint queued;           /* its Endings queued (only while keyed) */
    guint n_at;             /* its Spans still to enter that were cut */
    union {
        CutAt one;          /* n_at 1: that one (a restart's, mostly) */
        GArray *many;       /* n_at 2 or more: CutAt, in order */
    } at;
} Cut;

/* The peaks' clock stays below since until the capture's clock reaches
 * until: since, the first span still to enter of a TIME_WAIT whose
 * timer restarted (or that an RST seemed to end, resumed); until, its
 * last restart + 2*MSL + LAG_SLACK, by when its endpoint left TIME_WAIT
 * (the store's sweep) and no take-back can come. A restart comes just
 * before 2*MSL, so a take-back after it may come more than the lag
 * after the entry: its spans must not have entered yet (review of
 * d5d5b7c, f1b). */
typedef struct {
    FsTime since;
    FsTime until;
} Hold;

/* cut's first CutAt (n_at > 0). */
static inline CutAt
cut_at_first(const Cut *cut)
{
    return cut->n_at == 1 ? cut->at.one
                          : g_array_index(cut->at.many, CutAt, 0);
}

/* cut's last CutAt (n_at > 0). */
static inline CutAt
cut_at_last(const Cut *cut)
{
    return cut->n_at == 1 ? cut->at.one
                          : g_array_index(cut->at.many, CutAt, cut->n_at - 1);
}

static void
cut_at_push(Cut *cut, const CutAt *at)
{
    if (cut->n_at == 0) {
        cut->at.one = *at;
    } else {
        if (cut->n_at == 1) {
            CutAt one = cut->at.one;

            cut->at.many = g_array_new(FALSE, FALSE, sizeof(CutAt));
            g_array_append_val(cut->at.many, one);
        }
        g_array_append_val(cut->at.many, *at);
    }
    cut->n_at++;
}

static void
cut_at_pop(Cut *cut)
{
    if (cut->n_at == 2) {
        CutAt second = g_array_index(cut->at.many, CutAt, 1);

        g_array_unref(cut->at.many);
        cut->at.one = second;
    } else if (cut->n_at > 2) {
        g_array_remove_index(cut->at.many, 0);
    }
    cut->n_at--;
}

/* A growing array, as GArray grows (a power of two bytes), with its
 * append inline: the queues' heaps (their push and pop, DEFINE_HEAP). */
typedef struct {
    gpointer data;          /* first, as GArray's: g_array_index() */
    guint len;
    guint cap;
} Vec;

/* A FIFO in chunks of CHUNK_LEN entries: it holds its entries and at
 * most three chunks more (its first and last in part, one empty kept),
 * not an array's doubling slack, nor both blocks while a realloc
 * copies, nor a quarter of dead entries before its head (ends' array
 * took 2 MiB at medium's peak). Entry i (head <= i < len) is in
 * chunk[i / CHUNK_LEN]: a chunk whose entries all went leaves the front
 * of the chunk pointers, which move down once half are gone. */
#define CHUNK_LEN 256u

typedef struct {
    gpointer *chunk;        /* the chunks, in order: chunk[0] holds the
                               head; within base */
    guint n;                /* how many */
    guint head;             /* the first entry, from chunk[0]'s start */
    guint len;              /* past the last, from there */
    gpointer *base;         /* the chunk pointers' array (owned) */
    guint cap;              /* its room */
    gpointer spare;         /* an empty chunk kept (NULL: none) */
} Fifo;

static G_GNUC_NO_INLINE void
fifo_grow(Fifo *f, gsize size)
{
    guint dead = (guint)(f->chunk - f->base);

    if (dead + f->n == f->cap) {
        if (2 * dead >= f->cap && dead > 0) {
            memmove(f->base, f->chunk, f->n * sizeof *f->base);
        } else {
            f->cap = MAX(2 * f->cap, 4u);
            f->base = g_renew(gpointer, f->base, f->cap);
            memmove(f->base, f->base + dead, f->n * sizeof *f->base);
        }
        f->chunk = f->base;
    }
    f->chunk[f->n++] = f->spare != NULL ? f->spare
                                        : g_malloc(CHUNK_LEN * size);
    f->spare = NULL;
}

/* Room for one more at the end: where it goes. */
static inline gpointer
fifo_push(Fifo *f, gsize size)
{
    guint i = f->len;

    if (G_UNLIKELY(i == f->n * CHUNK_LEN))
        fifo_grow(f, size);
    f->len++;
    return (guint8 *)f->chunk[i / CHUNK_LEN] + (i % CHUNK_LEN) * size;
}

/* Entry i (head <= i < len). */
static inline gpointer
fifo_at(const Fifo *f, guint i, gsize size)
{
    return (guint8 *)f->chunk[i / CHUNK_LEN] + (i % CHUNK_LEN) * size;
}

/* The head is gone: a chunk whose entries all went is given back. */
static inline void
fifo_drop(Fifo *f)
{
    if (++f->head == f->len) {
        f->head = 0;
        f->len = 0;
    } else if (f->head == CHUNK_LEN) {
        if (f->spare == NULL)
            f->spare = f->chunk[0];
        else
            g_free(f->chunk[0]);
        f->chunk++;
        f->n--;
        f->head = 0;
        f->len -= CHUNK_LEN;
    }
}

static void
fifo_clear(Fifo *f)
{
    for (guint i = 0; i < f->n; i++)
        g_free(f->chunk[i]);
    g_free(f->base);
    g_free(f->spare);
}

/* A priority queue for what mostly comes in order: those no earlier
 * than the last in order go to the end of a FIFO (O(1)), or in their
 * place among its last QUEUE_SLIP (a start dated back a little), the
 * others (dated back further, a span cut short) into a heap; the first
 * is the earlier of the two firsts. */
#define QUEUE_SLIP 4

typedef struct {
    Fifo fifo;              /* in order from its head */
    Vec *heap;              /* the others */
} Queue;

struct FsTimeWait {
    FsTimeWaitClocks c;     /* first (timewait.h): clock, the latest time
                               seen (every TIME_WAIT whose 2*MSL ended by
                               it has run out; FS_TIME_UNSET: none yet),
                               lag_clock (every span edge up to it is
                               counted), lag, quiet_until (requiet()) */
    FsEngineStats *stats;   /* the engine's: counts and memory */
    FsTime two_msl;         /* how long a TIME_WAIT lasts */
    guint64 lag_now;        /* spans held at lag_clock */
    Queue ends;             /* Tw counted now, by start, then key */
    Queue early;            /* Ending of a Tw in spans_out still counted
                               now, by end, then key (mostly empty) */
    Queue spans_in;         /* Tw to enter, by start, then key */
    Queue spans_out;        /* Tw entered, by end, then key */
    FsTime ends_next;       /* the first 2*MSL to run out (G_MAXINT64:
                               none): every packet looks, few find one */
    FsTime spans_next;      /* the first span edge's time (or G_MAXINT64) */
    gboolean finishing;     /* fs_timewait_finish() enters ends' spans
                               where they lie (no copy of each) */
    gboolean finished;      /* it did: ends' spans are entered or done */
    guint finish_fifo;      /* meanwhile, the next of ends' FIFO to enter */
    guint finish_heap;      /* and of its heap (sorted then) */
    GHashTable *cut;        /* set of Cut (owned), by key */
    guint16 *cut_filter;    /* Cuts in cut by key's low bits (CUT_FILTER
                               of them; NULL before the first): a key
                               whose count is 0 has none, no look-up
                               (restarts keep the table busy) */
    gboolean keyed;         /* cut also counts each key's Endings queued:
                               from a leave whose start was taken back
                               (queued()) until 2*MSL after the last */
    FsTime keyed_until;     /* then the keys go (the clock past it) */
    guint64 scanned;        /* Endings looked at to key the table */
    Host *host_at;          /* Host by id (0: none), in host_block at
                               HOST_ALIGN: hosts holding TIME_WAIT now or
                               with Tw queued; a look-up by address reads
                               its slot in hosts and then its Host, no
                               pointer between */
    gpointer host_block;    /* host_at's allocation (owned) */
    guint32 host_len;       /* ids below it taken (or free) */
    guint32 host_cap;       /* room in host_at */
    GArray *host_ids_free;  /* guint32 ids to number hosts again */
    FsHostIndex hosts;      /* their index, by address: ids */
    GHashTable *retired;    /* FsAddr* -> Host* (owned), of hosts back
                               at zero: the
                               FS_ENGINE_HOST_TOP busiest peaks only */
    guint64 retired_min;    /* lowest peak in retired when full */
    FsPressure *pressure;   /* TIME_WAIT per client -> server ip:port */
    Vec *holds;             /* Hold, a heap by since: the first that
                               is not over caps the peaks' clock
                               (c.lag_cap); at most one a Tw queued */
    guint64 spans;          /* Tw whose span is not done with */
    guint64 max_spans;      /* spans queued beyond it: the peaks' clock
                               catches up (fs_timewait_set_span_budget()) */
};

/* What the engine's accounting charges (the engine's memory model:
 * CONN_OVERHEAD, store.c) for a host holding TIME_WAIT now: its entry
 * and hash node and, as a client, its port-pressure destination (32
 * bytes with its owner, its server end and index: charged as the 32
 * they were) and host entry; for a TIME_WAIT counted now, what its
 * Ending and Span took in their doubling arrays (its Tw, in chunked
 * FIFOs now, takes less: TW_COST is kept on purpose, below). Not
 * charged: what stays for the peaks after a TIME_WAIT stops counting
 * now (at most 2*MSL + 2 s: its Tw, an entry cut short, a host kept for
 * its spans), so that a TIME_WAIT the store evicts over --max-memory
 * gives its memory back then, as it did before the peaks trailed. */
#define HOST_COST (72 + 208)
/* (the 72-byte Host, by itself with its id, it was until the hosts were
 * one array: the model's figure is kept) */
/* (the 24-byte Ending and 48-byte Span a TIME_WAIT took until the two
 * were one Tw: the model's figure is kept, so that --max-memory and
 * memory_peak say what they said) */
#define TW_COST (2 * (24 + 48))

/* cut_filter's entries: key & (CUT_FILTER - 1). */
#define CUT_FILTER 65536u

/* key may have a Cut (FALSE: it has none). */
static inline gboolean
cut_maybe(const FsTimeWait *tw, guint64 key)
{
    return tw->cut_filter != NULL &&
           tw->cut_filter[key & (CUT_FILTER - 1)] != 0;
}

static void
cut_filter_add(FsTimeWait *tw, guint64 key, int n)
{
    if (tw->cut_filter == NULL)
        tw->cut_filter = g_new0(guint16, CUT_FILTER);
    tw->cut_filter[key & (CUT_FILTER - 1)] += (guint16)n;
}

static void
cut_free(gpointer p)
{
    Cut *cut = p;

    if (cut->n_at > 1)
        g_array_unref(cut->at.many);
    g_free(cut);
}

/* key's Cut, made when absent. */
static Cut *
cut_for(FsTimeWait *tw, guint64 key)
{
    Cut *cut = g_hash_table_lookup(tw->cut, &key);

    if (cut == NULL) {
        cut = g_new0(Cut, 1);
        cut->key = key;
        g_hash_table_add(tw->cut, cut);
        cut_filter_add(tw, key, 1);
    }
    return cut;
}

/* cut goes once it says nothing. */
static void
cut_done_if_empty(FsTimeWait *tw, Cut *cut)
{
    if (cut->count == 0 && cut->queued == 0 && cut->n_at == 0) {
        cut_filter_add(tw, cut->key, -1);
        g_hash_table_remove(tw->cut, &cut->key);
    }
}

static inline guint64
tw_key(const Tw *e)
{
    return e->key;
}

static inline gboolean
ending_before(const Ending *x, const Ending *y)
{
    return x->end != y->end ? x->end < y->end : x->key < y->key;
}

/* By t, then key, then a span only before an entry: of one key at one
 * time, a timer restarted then taken back (the segment that acked the
 * peer's FIN again sent the endpoint's own again) before its entry in
 * TIME_WAIT again at that time, each to meet its cut (take_cut_at()) */
static inline gboolean
tw_before(const Tw *x, const Tw *y)
{
    if (x->t != y->t)
        return x->t < y->t;
    if (x->key != y->key)
        return x->key < y->key;
    return (x->who & TW_SPAN_ONLY) > (y->who & TW_SPAN_ONLY);
}

/* A heap of n Tw sorted in place, in order (still a heap): each first
 * taken out goes where the heap's last was, then the whole reversed. No
 * copy (g_array_sort() takes one as large: a fifth of the peak RSS of a
 * capture shorter than 2*MSL, most of whose TIME_WAITs are dated back,
 * and so in the heap). */
static void
tws_sort_heap(Tw *a, guint n)
{
    for (guint k = n; k > 1; k--) {
        Tw top = a[0];
        Tw last = a[k - 1];
        guint i = 0;

        /* a[0 .. k-1) the heap; last sifts down from the top */
        for (;;) {
            guint c = 2 * i + 1;

            if (c >= k - 1)
                break;
            if (c + 1 < k - 1 && tw_before(&a[c + 1], &a[c]))
                c++;
            if (!tw_before(&a[c], &last))
                break;
            a[i] = a[c];
            i = c;
        }
        a[i] = last;
        a[k - 1] = top;
    }
    for (guint i = 0; i < n / 2; i++) {
        Tw t = a[i];

        a[i] = a[n - 1 - i];
        a[n - 1 - i] = t;
    }
}

static G_GNUC_NO_INLINE void
vec_grow(Vec *v, gsize size)
{
    gsize want = (v->len + (gsize)1) * size;
    gsize bytes = 16;

    while (bytes < want)
        bytes <<= 1;
    v->data = g_realloc(v->data, bytes);
    v->cap = (guint)(bytes / size);
}

/* Room for one more at the end: where it goes. */
static inline gpointer
vec_push(Vec *v, gsize size)
{
    if (G_UNLIKELY(v->len == v->cap))
        vec_grow(v, size);
    return (guint8 *)v->data + v->len++ * size;
}

static void
vec_free(Vec *v)
{
    g_free(v->data);
    g_free(v);
}

/* A binary min-heap of Type in a Vec, ordered by before: push and
 * pop. */
#define DEFINE_HEAP(name, Type, before)                                    \
    static void                                                            \
    name##_push(Vec *heap, const Type *e)                                  \
    {                                                                      \
        Type *a;                                                           \
        guint i = heap->len;                                               \
                                                                           \
        vec_push(heap, sizeof(Type));                                      \
        a = (Type *)(gpointer)heap->data;                                  \
        while (i > 0 && before(e, &a[(i - 1) / 2])) {                      \
            a[i] = a[(i - 1) / 2];                                         \
            i = (i - 1) / 2;                                               \
        }                                                                  \
        a[i] = *e;                                                         \
    }                                                                      \
                                                                           \
    static Type                                                            \
    name##_pop(Vec *heap)                                                  \
    {                                                                      \
        Type *a = (Type *)(gpointer)heap->data;                            \
        Type top = a[0];                                                   \
        Type last = a[heap->len - 1];                                      \
        guint n = heap->len - 1;                                           \
        guint i = 0;                                                       \
                                                                           \
        for (;;) {                                                         \
            guint c = 2 * i + 1;                                           \
                                                                           \
            if (c >= n)                                                    \
                break;                                                     \
            if (c + 1 < n && before(&a[c + 1], &a[c]))                     \
                c++;                                                       \
            if (!before(&a[c], &last))                                     \
                break;                                                     \
            a[i] = a[c];                                                   \
            i = c;                                                         \
        }                                                                  \
        if (n > 0)                                                         \
            a[i] = last;                                                   \
        heap->len = n;                                                     \
        return top;                                                        \
    }

static inline gboolean
hold_before(const Hold *x, const Hold *y)
{
    return x->since < y->since;
}

DEFINE_HEAP(early_heap, Ending, ending_before)
DEFINE_HEAP(hold_heap, Hold, hold_before)
DEFINE_HEAP(tws_heap, Tw, tw_before)

static void
queue_init(Queue *q)
{
    memset(&q->fifo, 0, sizeof q->fifo);
    q->heap = g_new0(Vec, 1);
}

static void
queue_clear(Queue *q)
{
    fifo_clear(&q->fifo);
    vec_free(q->heap);
}

static inline guint
queue_len(const Queue *q)
{
    return q->fifo.len - q->fifo.head + q->heap->len;
}

#define DEFINE_QUEUE(name, Type, before)                                   \
    static inline Type *                                                   \
    name##_at(const Fifo *f, guint i)                                      \
    {                                                                      \
        return fifo_at(f, i, sizeof(Type));                                \
    }                                                                      \
                                                                           \
    static void                                                            \
    name##_push(Queue *q, const Type *e)                                   \
    {                                                                      \
        Fifo *f = &q->fifo;                                                \
        guint at;                                                          \
                                                                           \
        if (f->len == f->head || !before(e, name##_at(f, f->len - 1))) {   \
            *(Type *)fifo_push(f, sizeof(Type)) = *e;                      \
            return;                                                        \
        }                                                                  \
        /* its place among the FIFO's last few, or the heap */             \
        for (at = f->len - 1; at > f->head && f->len - at < QUEUE_SLIP && \
                              before(e, name##_at(f, at - 1));)            \
            at--;                                                          \
        if (at > f->head && before(e, name##_at(f, at - 1))) {             \
            name##_heap_push(q->heap, e);                                  \
            return;                                                        \
        }                                                                  \
        fifo_push(f, sizeof(Type));                                        \
        for (guint i = f->len - 1; i > at; i--)                            \
            *name##_at(f, i) = *name##_at(f, i - 1);                       \
        *name##_at(f, at) = *e;                                            \
    }                                                                      \
                                                                           \
    /* The first, or NULL; *from_fifo: where it is. */                     \
    static inline const Type *                                             \
    name##_first(const Queue *q, gboolean *from_fifo)                      \
    {                                                                      \
        const Type *f = q->fifo.len > q->fifo.head                         \
                            ? name##_at(&q->fifo, q->fifo.head) : NULL;    \
        const Type *h = q->heap->len > 0                                   \
                            ? &g_array_index(q->heap, Type, 0) : NULL;     \
                                                                           \
        *from_fifo = h == NULL || (f != NULL && !before(h, f));            \
        return *from_fifo ? f : h;                                         \
    }                                                                      \
                                                                           \
    static Type                                                            \
    name##_pop(Queue *q, gboolean from_fifo)                               \
    {                                                                      \
        Type e;                                                            \
                                                                           \
        if (!from_fifo)                                                    \
            return name##_heap_pop(q->heap);                               \
        e = *name##_at(&q->fifo, q->fifo.head);                            \
        fifo_drop(&q->fifo);                                               \
        return e;                                                          \
    }

DEFINE_QUEUE(early, Ending, ending_before)
DEFINE_QUEUE(tws, Tw, tw_before)

/* The clocks move to the latest time the quiet advances saw
 * (fs_timewait_advance(), inline, keeps it only): as each of them would
 * have moved them (the peaks' clock by the lag, below its cap), for
 * lag and lag_cap change in here only. Every entry point that reads
 * or moves a clock starts with it. */
static inline void
catch_up(FsTimeWait *tw)
{
    FsTime at = tw->c.advanced;

    if (at == G_MININT64)
        return;
    tw->c.advanced = G_MININT64;
    tw->c.clock = MAX(tw->c.clock, at);
    tw->c.lag_clock = MAX(tw->c.lag_clock, MIN(at - tw->c.lag, tw->c.lag_cap));
}

static void retire(FsTimeWait *tw, FsHostTimeWait *h);
static void unkey_cuts(FsTimeWait *tw);
static void requiet(FsTimeWait *tw);

FsTimeWait *
fs_timewait_new(FsEngineStats *stats, FsTime two_msl)
{
    FsTimeWait *tw = g_new0(FsTimeWait, 1);

    tw->stats = stats;
    tw->two_msl = two_msl;
    tw->c.lag = two_msl + LAG_SLACK;
    tw->max_spans = G_MAXUINT64;
    tw->c.clock = FS_TIME_UNSET;
    tw->c.lag_clock = FS_TIME_UNSET;
    tw->c.lag_cap = G_MAXINT64;
    tw->c.advanced = G_MININT64;
    tw->holds = g_new0(Vec, 1);
    queue_init(&tw->ends);
    queue_init(&tw->early);
    queue_init(&tw->spans_in);
    queue_init(&tw->spans_out);
    tw->ends_next = G_MAXINT64;
    tw->spans_next = G_MAXINT64;
    requiet(tw);
    tw->cut = g_hash_table_new_full(g_int64_hash, g_int64_equal, cut_free,
                                    NULL);
    tw->host_len = 1;
    tw->host_ids_free = g_array_new(FALSE, FALSE, sizeof(guint32));
    fs_host_index_reset(&tw->hosts, 1024);
    tw->retired = g_hash_table_new_full(fs_addr_hash, fs_addr_equal_func,
                                        NULL, g_free);
    tw->pressure = fs_pressure_new();
    return tw;
}

void
fs_timewait_free(FsTimeWait *tw)
{
    if (tw == NULL)
        return;
    fs_host_index_clear(&tw->hosts);
    g_hash_table_destroy(tw->retired);
    g_free(tw->host_block);
    g_array_unref(tw->host_ids_free);
    queue_clear(&tw->ends);
    queue_clear(&tw->early);
    queue_clear(&tw->spans_in);
    queue_clear(&tw->spans_out);
    vec_free(tw->holds);
    g_hash_table_destroy(tw->cut);
    g_free(tw->cut_filter);
    fs_pressure_free(tw->pressure);
    g_free(tw);
}

/* A TIME_WAIT's key: its connection's id * 2 + role, its lowest 32
 * bits (a Tw stays 16 bytes). Ids are handed out when a connection is
 * created, not when it enters TIME_WAIT: two keys are alike when their
 * connections were created a multiple of 2^31 apart (one held open
 * while 2^31 others came, days of a busy live capture) and both are
 * queued at once (within 2*MSL and the lag of each other). Then the
 * Cut of one that is cut short or has its start taken back may be used
 * up by the other's Ending: time_wait_now, a host's now and the peaks
 * come out wrong, and the other's Ending may name a host gone since
 * (its number free, or taken by another host): maybe_retire() leaves a
 * free number's Host alone, so that the hosts and their numbers stay
 * whole. Not detected: that would take the whole id in each
 * queued Tw (or a look-up in the cut table at each enter), and the
 * engine has no warning to give (layer 1 prints nothing). */
static inline guint64
key_of(const FsConn *conn, FsRole role)
{
    return (guint32)(conn->id * 2 + (guint64)(role == FS_ROLE_SERVER));
}

/* Twice the room in host_at: its block grows in place as realloc()
 * can (pages moved, not copied, once it is large), the hosts moved only
 * when the block's alignment changed. */
static G_GNUC_NO_INLINE void
host_grow(FsTimeWait *tw)
{
    gsize before = tw->host_block != NULL
                       ? (gsize)((guint8 *)tw->host_at -
                                 (guint8 *)tw->host_block)
                       : 0;
    gsize after;

    tw->host_cap = MAX(2 * tw->host_cap, 64u);
    tw->host_block = g_realloc(tw->host_block,
                               (gsize)tw->host_cap * sizeof(Host) +
                                   HOST_ALIGN);
    after = (HOST_ALIGN - (guintptr)tw->host_block % HOST_ALIGN) % HOST_ALIGN;
    if (after != before)
        memmove((guint8 *)tw->host_block + after,
                (guint8 *)tw->host_block + before,
                (gsize)tw->host_len * sizeof(Host));
    tw->host_at = (Host *)(gpointer)((guint8 *)tw->host_block + after);
}

/* A free id (a free one again, or the next), its Host zeroed. */
static guint32
id_take(FsTimeWait *tw)
{
    GArray *free = tw->host_ids_free;
    guint32 id;

    if (free->len > 0) {
        id = g_array_index(free, guint32, free->len - 1);
        g_array_set_size(free, free->len - 1);
    } else {
        if (G_UNLIKELY(tw->host_len >= tw->host_cap))
            host_grow(tw);
        id = tw->host_len++;
    }
    memset(&tw->host_at[id], 0, sizeof(Host));
    return id;
}

static void
id_give(FsTimeWait *tw, guint32 id)
{
    memset(&tw->host_at[id], 0, sizeof(Host));
    g_array_append_val(tw->host_ids_free, id);
}

/* The host of id (a TIME_WAIT cut short and no longer counted whose
 * host went since, fs_timewait_finish()'s TW_DONE, names one free or
 * taken again: its host is never looked at). */
static inline Host *
host_of(const FsTimeWait *tw, guint32 id)
{
    return &tw->host_at[id];
}

static inline guint32
host_id(const FsTimeWait *tw, const Host *h)
{
    return (guint32)(h - tw->host_at);
}

/* A client's destination in port pressure (0: a server's, or one
 * released, TW_DONE). */
static inline guint32
tw_dest(const Tw *e)
{
    return (e->key & 1) || (e->who & TW_DONE) ? 0 : e->who & TW_WHO;
}

/* The id of the Host a Tw names (see host_of()). */
static inline guint32
tw_host_id(const FsTimeWait *tw, const Tw *e)
{
    guint32 dest = tw_dest(e);

    return dest != 0 ? fs_pressure_owner(tw->pressure, dest)
                     : e->who & TW_WHO;
}

static inline Host *
tw_host(const FsTimeWait *tw, const Tw *e)
{
    return host_of(tw, tw_host_id(tw, e));
}

/* For hosts (hostindex.h): is id's address addr; its hash. */
static inline gboolean
host_is(gconstpointer tw, guint32 id, gconstpointer addr)
{
    return fs_addr_equal(&host_of(tw, id)->pub.host, addr);
}

static guint32
host_hash_of(gconstpointer tw, guint32 id)
{
    return fs_host_index_hash(&host_of(tw, id)->pub.host);
}

/* addr's host slot in hosts (hash: fs_host_index_hash()). */
static inline guint32 *
host_slot(const FsTimeWait *tw, const FsAddr *addr, guint32 hash)
{
    return fs_host_index_probe(&tw->hosts, addr, hash, host_is, tw);
}

/* h no longer needed: no TIME_WAIT now and no span to count. A free
 * number's Host (family 0: an Ending of a key alike named it, key_of())
 * is none to retire: it has no slot, and its number is free already. */
static void
maybe_retire(FsTimeWait *tw, Host *h)
{
    if (h->pub.now == 0 && h->spans == 0 && h->pub.host.family != 0)
        retire(tw, &h->pub); /* h zeroed, its id free */
}

/* A span starts, on the peaks' clock. */
static void
span_enter(FsTimeWait *tw, const Tw *s)
{
    Host *h = tw_host(tw, s);
    FsEngineStats *stats = tw->stats;
    guint32 dest = tw_dest(s);

    if (++h->lag > h->pub.peak) {
        h->pub.peak = h->lag;
        h->pub.peak_at = s->t;
    }
    if (++tw->lag_now > stats->time_wait_peak) {
        stats->time_wait_peak = tw->lag_now;
        stats->time_wait_peak_at = s->t;
    }
    if (dest != 0)
        fs_pressure_enter_held(tw->pressure, dest, s->t);
}

/* A span ends (entered: it counted), and is done with. */
static void
span_done(FsTimeWait *tw, const Tw *s, gboolean entered)
{
    Host *h = tw_host(tw, s);
    guint32 dest = tw_dest(s);

    if (entered) {
        h->lag--;
        tw->lag_now--;
    }
    if (dest != 0)
        fs_pressure_release(tw->pressure, dest, entered);
    h->spans--;
    tw->spans--;
    maybe_retire(tw, h);
}

/* When key's span from since, still to enter, was cut short, or
 * G_MAXINT64 (not). */
static FsTime
take_cut_at(FsTimeWait *tw, guint64 key, FsTime since)
{
    Cut *cut;
    CutAt first;

    if (!cut_maybe(tw, key) ||
        (cut = g_hash_table_lookup(tw->cut, &key)) == NULL ||
        cut->n_at == 0)
        return G_MAXINT64;
    first = cut_at_first(cut);
    if (first.since != since && first.since != FS_TIME_UNSET)
        return G_MAXINT64;
    cut_at_pop(cut);
    cut_done_if_empty(tw, cut);
    return first.at;
}

/* While fs_timewait_finish() walks ends in order: its next Tw. */
static const Tw *
finish_next(const FsTimeWait *tw, gboolean *from_fifo)
{
    const Queue *q = &tw->ends;
    const Tw *f = tw->finish_fifo < q->fifo.len
                      ? tws_at(&q->fifo, tw->finish_fifo) : NULL;
    const Tw *h = tw->finish_heap < q->heap->len
                      ? &g_array_index(q->heap, Tw, tw->finish_heap) : NULL;

    *from_fifo = h == NULL || (f != NULL && !tw_before(h, f));
    return *from_fifo ? f : h;
}

/* fs_timewait_finish(): e, still counted now (in ends, from its FIFO or
 * not), enters on the peaks' clock where it lies, flagged: entered, to
 * leave at its end, which is past the clock (it goes to spans_out once
 * it runs out now), or done with (cut short: it leaves before the
 * clock, a copy in spans_out; it never held one). */
static void
enter_in_place(FsTimeWait *tw, Tw *e, gboolean from_fifo)
{
    FsTime end = take_cut_at(tw, tw_key(e), e->t);

    if (from_fifo)
        tw->finish_fifo++;
    else
        tw->finish_heap++;
    end = MIN(end, e->t + tw->two_msl);
    if (end <= e->t) {
        /* cut at its start, or it never held one (its start taken
         * back: not an entry of its host's either) */
        guint32 id = tw_host_id(tw, e);

        if (end < e->t && !(e->who & TW_SPAN_ONLY))
            tw_host(tw, e)->pub.entered--;
        span_done(tw, e, FALSE);
        e->who = TW_DONE | id;
        return;
    }
    span_enter(tw, e);
    if (end < e->t + tw->two_msl) {
        Tw out = *e;

        out.t = end;
        tws_push(&tw->spans_out, &out);
        e->who = TW_DONE | tw_host_id(tw, e);
    } else {
        e->who |= TW_ENTERED;
    }
}

/* The first TIME_WAIT whose span is still to enter: the earlier of the
 * first waiting and, the peaks' clock ahead of the capture's, the first
 * still counted now (none once finished); *from: its queue, *from_fifo:
 * where in it. */
static const Tw *
in_first(FsTimeWait *tw, Queue **from, gboolean *from_fifo)
{
    gboolean now_fifo = FALSE;
    const Tw *in = tws_first(&tw->spans_in, from_fifo);
    const Tw *now = tw->finishing ? finish_next(tw, &now_fifo)
                    : tw->finished ? NULL
                                   : tws_first(&tw->ends, &now_fifo);

    *from = &tw->spans_in;
    if (now != NULL && (in == NULL || tw_before(now, in))) {
        *from = &tw->ends;
        *from_fifo = now_fifo;
        return now;
    }
    return in;
}

/* The peaks' clock moves to at: the span edges up to it are counted. */
static void
lag_to(FsTimeWait *tw, FsTime at)
{
    tw->c.lag_clock = MAX(tw->c.lag_clock, at);
    if (tw->c.lag_clock < tw->spans_next)
        return;
    for (;;) {
        Queue *from;
        gboolean in_fifo;
        gboolean out_fifo;
        const Tw *in = in_first(tw, &from, &in_fifo);
        const Tw *out = tws_first(&tw->spans_out, &out_fifo);
        Tw s;
        FsTime end;

        tw->spans_next = MIN(in != NULL ? in->t : G_MAXINT64,
                             out != NULL ? out->t : G_MAXINT64);
        /* the earlier edge: at one time, a leave first */
        if (out != NULL && (in == NULL || out->t <= in->t)) {
            if (out->t > tw->c.lag_clock)
                break;
            s = tws_pop(&tw->spans_out, out_fifo);
            span_done(tw, &s, TRUE);
            continue;
        }
        if (in == NULL || in->t > tw->c.lag_clock)
            break;
        if (from == &tw->ends && tw->finishing) {
            enter_in_place(tw, (Tw *)in, in_fifo);
            continue;
        }
        s = tws_pop(from, in_fifo);
        if (from == &tw->ends) {
            /* still counted now: its end waits on its own */
            Ending e = { s.t + tw->two_msl, tw_key(&s),
                         tw_host_id(tw, &s) };

            early_push(&tw->early, &e);
        }
        end = take_cut_at(tw, tw_key(&s), s.t);
        end = MIN(end, s.t + tw->two_msl);
        if (end <= s.t) {
            /* cut at its start, or it never held one (its start taken
             * back: not an entry of its host's either, if it was one) */
            if (end < s.t && !(s.who & TW_SPAN_ONLY))
                tw_host(tw, &s)->pub.entered--;
            span_done(tw, &s, FALSE);
            continue;
        }
        span_enter(tw, &s);
        s.t = end;
        tws_push(&tw->spans_out, &s);
    }
}

/* One TIME_WAIT of h counts no more now. */
static void
now_leave(FsTimeWait *tw, Host *h)
{
    fs_store_charge(tw->stats, -(gint64)TW_COST);
    if (h->pub.now > 0 && --h->pub.now == 0)
        fs_store_charge(tw->stats, -(gint64)HOST_COST);
    if (tw->stats->time_wait_now > 0)
        tw->stats->time_wait_now--;
    maybe_retire(tw, h);
}

/* The TIME_WAITs whose 2*MSL ended by the clock run out: those in ends
 * go on waiting for the peaks' clock (spans_in). */
static void
ends_to_clock(FsTimeWait *tw)
{
    while (tw->ends_next <= tw->c.clock) {
        gboolean now_fifo;
        gboolean early_fifo;
        const Tw *now = tws_first(&tw->ends, &now_fifo);
        const Ending *early = early_first(&tw->early, &early_fifo);
        Ending e = { G_MAXINT64, 0, 0 };
        Cut *cut;

        if (now != NULL) {
            e.end = now->t + tw->two_msl;
            e.key = tw_key(now);
            e.id = tw_host_id(tw, now);
        }
        if (early != NULL && (now == NULL || ending_before(early, &e)))
            e = *early;
        else
            early = NULL;
        tw->ends_next = e.end;
        if (e.end > tw->c.clock)
            break;
        if (early != NULL) {
            early_pop(&tw->early, early_fifo);
        } else {
            Tw s = tws_pop(&tw->ends, now_fifo);

            if (s.who & TW_ENTERED) {
                /* (finished) it leaves now on the peaks' clock too */
                s.who &= TW_WHO;
                s.t += tw->two_msl;
                tws_push(&tw->spans_out, &s);
                tw->spans_next = MIN(tw->spans_next, s.t);
            } else if (!(s.who & TW_DONE)) {
                tws_push(&tw->spans_in, &s);
            }
        }
        cut = cut_maybe(tw, e.key) ? g_hash_table_lookup(tw->cut, &e.key)
                                   : NULL;
        if (cut != NULL && tw->keyed)
            cut->queued--;
        if (cut != NULL && cut->count > 0) {
            /* it was cut short and counted out then */
            cut->count--;
            cut_done_if_empty(tw, cut);
            continue;
        }
        if (cut != NULL)
            cut_done_if_empty(tw, cut);
        now_leave(tw, host_of(tw, e.id));
    }
}

/* The capture's clock moves to now (a transition's time): the peaks'
 * one only with the engine's (fs_timewait_advance()), after the sweep
 * that may date starts back. */
static void
clock_to(FsTimeWait *tw, FsTime now)
{
    if (now <= tw->c.clock)
        return;
    tw->c.clock = now;
    ends_to_clock(tw);
    if (tw->keyed && tw->c.clock > tw->keyed_until)
        unkey_cuts(tw);
}

/* What a span queued for the peaks held (a 48-byte Span, until it and
 * the Ending were one Tw: kept, so that the budget lets as many wait)
 * in both queues' arrays, and its share of the host it keeps (a host of
 * one TIME_WAIT: two). */
#define SPAN_COST (2 * 48 + HOST_COST / 2)

void
fs_timewait_set_span_budget(FsTimeWait *tw, guint64 bytes)
{
    tw->max_spans = bytes / SPAN_COST;
    requiet(tw);
}

/* The holds over (the capture's clock at their until) or passed (the
 * peaks' clock went past their since: over the span budget, or the
 * end) go; the first left caps the peaks' clock. */
static void
holds_settle(FsTimeWait *tw)
{
    Vec *v = tw->holds;

    while (v->len > 0) {
        const Hold *top = (const Hold *)v->data;

        if (top->until > tw->c.clock && top->since > tw->c.lag_clock)
            break;
        hold_heap_pop(v);
    }
    tw->c.lag_cap = v->len > 0 ? ((const Hold *)v->data)->since - 1
                               : G_MAXINT64;
}

/* key's TIME_WAIT restarted its timer at ts, or resumed (its span from
 * ts): its spans still to enter, from the first cut (its entry's, or
 * timer_was, the span the restart cut), wait for the peaks' clock
 * until a take-back can no longer come (Hold). */
static void
hold_key(FsTimeWait *tw, guint64 key, FsTime timer_was, FsTime ts)
{
    Cut *cut = cut_maybe(tw, key) ? g_hash_table_lookup(tw->cut, &key)
                                  : NULL;
    Hold hold = { timer_was, ts + tw->c.lag };

    if (cut != NULL && cut->n_at > 0) {
        CutAt first = cut_at_first(cut);

        if (first.since != FS_TIME_UNSET &&
            (hold.since == FS_TIME_UNSET || first.since < hold.since))
            hold.since = first.since;
    }
    if (hold.since == FS_TIME_UNSET || hold.since <= tw->c.lag_clock)
        return;
    hold_heap_push(tw->holds, &hold);
    holds_settle(tw);
}

/* Until when an advance only moves both clocks (what clock_to() and
 * lag_to() do then: fs_timewait_advance() inline): no TIME_WAIT runs
 * out before ends_next, no span edge is due by the peaks' clock before
 * spans_next + lag, while no cut is keyed and the spans are within
 * their budget. Every entry point that may change one ends with it. */
static void
requiet(FsTimeWait *tw)
{
    /* (an edge past the cap waits for the hold to go, at its until) */
    FsTime spans = tw->spans_next > G_MAXINT64 - tw->c.lag ||
                           tw->spans_next > tw->c.lag_cap
                       ? G_MAXINT64 : tw->spans_next + tw->c.lag;
    FsTime until = tw->holds->len > 0 ? ((const Hold *)tw->holds->data)->until
                                      : G_MAXINT64;

    tw->c.quiet_until = tw->keyed || tw->spans > tw->max_spans
                            ? G_MININT64
                            : MIN(MIN(tw->ends_next, spans), until);
}

/* fs_timewait_advance() when something may be due. */
static void
advance_due(FsTimeWait *tw, FsTime now)
{
    FsTime at;

    clock_to(tw, now);
    holds_settle(tw);
    at = MIN(now - tw->c.lag, tw->c.lag_cap);
    if (at > tw->c.lag_clock)
        lag_to(tw, at);
    /* Over the budget (a flood of TIME_WAITs): the peaks' clock catches
     * up, edge by edge from the oldest, to LAG_SLACK behind, so that
     * hosts and spans go as they would without the lag. A start dated
     * back further than that is then counted from the peaks' clock
     * (fs_timewait_enter()): the peaks become approximate only then. */
    while (tw->spans > tw->max_spans &&
           tw->spans_next <= now - LAG_SLACK)
        lag_to(tw, tw->spans_next);
    /* (past a hold's since so: that TIME_WAIT's take-back is
     * approximate, as a start dated back is) */
    holds_settle(tw);
}

void
fs_timewait_advance_due(FsTimeWait *tw, FsTime now)
{
    catch_up(tw);
    advance_due(tw, now);
    requiet(tw);
}

/* The TIME_WAITs still counted now (nearly all of them on a capture
 * shorter than 2*MSL) enter where they lie in ends, not copied to
 * spans_out and early as the peaks' clock running ahead does otherwise:
 * ends is walked in order (its heap sorted, which is still a heap). */
void
fs_timewait_finish(FsTimeWait *tw)
{
    catch_up(tw);
    if (tw->c.clock == FS_TIME_UNSET)
        return;
    tws_sort_heap((Tw *)(gpointer)tw->ends.heap->data, tw->ends.heap->len);
    tw->finish_fifo = tw->ends.fifo.head;
    tw->finish_heap = 0;
    tw->finishing = TRUE;
    lag_to(tw, tw->c.clock);
    tw->finishing = FALSE;
    tw->finished = TRUE;
    holds_settle(tw); /* every span entered: none left */
    requiet(tw);
}

/* A TIME_WAIT whose 2*MSL timer started at since counts for role's host
 * (and, for a client, against its destination's port range) from ts
 * to its end; its span, for the peaks, from since. entry: an endpoint
 * entering TIME_WAIT (its host's entered counts it), not a timer
 * restarted (fs_timewait_restart()). */
static void
enter_at(FsTimeWait *tw, const FsConn *conn, FsRole role, FsTime since,
         FsTime ts, gboolean entry)
{
    Host *h;
    guint32 hash;
    guint32 id;
    FsEngineStats *stats = tw->stats;
    guint64 key = key_of(conn, role);
    Tw s = { since, (guint32)key, 0 };

    /* the host's slot (and, for a client, its slot in port pressure)
     * loads while the clock moves */
    hash = fs_host_index_hash(&conn->addr[role]);
    fs_host_index_prefetch(&tw->hosts, hash);
    if (role == FS_ROLE_CLIENT)
        fs_pressure_prefetch(tw->pressure, hash);
    clock_to(tw, ts);
    id = fs_host_index_number(&tw->hosts,
                              host_slot(tw, &conn->addr[role], hash));
    if (id != 0) {
        h = host_of(tw, id);
    } else {
        Host *kept;

        id = id_take(tw);
        h = host_of(tw, id);
        /* back from zero: its kept peak, if it was among the busiest */
        if (g_hash_table_steal_extended(tw->retired, &conn->addr[role],
                                        NULL, (gpointer *)&kept)) {
            *h = *kept;
            g_free(kept);
            tw->retired_min = 0;
        } else {
            h->pub.host = conn->addr[role];
        }
        fs_host_index_put(&tw->hosts, hash, id, host_hash_of, tw);
    }
    if (entry)
        h->pub.entered++;
    if (h->pub.now++ == 0)
        fs_store_charge(stats, HOST_COST);
    stats->time_wait_now++;
    h->spans++;
    tw->spans++;
    s.who = role == FS_ROLE_CLIENT
                ? fs_pressure_hold(tw->pressure, &conn->addr[FS_ROLE_CLIENT],
                                   hash, &conn->addr[FS_ROLE_SERVER],
                                   conn->port[FS_ROLE_SERVER], id)
                : id;
    /* (ids and destinations are numbers of things held: far below 2^30) */
    if (G_UNLIKELY(s.who > TW_WHO))
        g_error("finscope: more than %u TIME_WAIT hosts or destinations",
                TW_WHO);
    if (!entry)
        s.who |= TW_SPAN_ONLY;
    tw->spans_next = MIN(tw->spans_next, since);
    if (since + tw->two_msl > tw->c.clock) {
        tws_push(&tw->ends, &s);
        if (tw->keyed)
            cut_for(tw, key)->queued++;
        tw->ends_next = MIN(tw->ends_next, since + tw->two_msl);
        fs_store_charge(stats, (gint64)TW_COST);
    } else {
        /* learnt only once over (its start dated back 2*MSL): it runs
         * out at once, as ends_to_clock() would take it from ends (the
         * clock passed every other end there already), not queued */
        Cut *cut = cut_maybe(tw, key) ? g_hash_table_lookup(tw->cut, &key)
                                      : NULL;

        fs_store_charge(stats, (gint64)TW_COST);
        tws_push(&tw->spans_in, &s);
        if (cut != NULL && cut->count > 0) {
            /* it was cut short and counted out then */
            cut->count--;
            cut_done_if_empty(tw, cut);
        } else {
            if (cut != NULL)
                cut_done_if_empty(tw, cut);
            now_leave(tw, h);
        }
    }
    /* (a start dated back further than LAG_SLACK allows for: counted
     * from the peaks' clock) */
    if (since <= tw->c.lag_clock)
        lag_to(tw, tw->c.lag_clock);
    requiet(tw);
}

/* An endpoint entered TIME_WAIT: it counts for its host (and, for a
 * client, against its destination's port range) from now to its end;
 * its span, for the peaks, from its start. */
void
fs_timewait_enter(FsTimeWait *tw, const FsConn *conn, FsRole role,
                  FsTime ts)
{
    FsTime since = conn->ep[role].time_wait_since != FS_TIME_UNSET
                       ? conn->ep[role].time_wait_since : ts;

    catch_up(tw);
    enter_at(tw, conn, role, since, ts, TRUE);
}

/* The least busy host kept in retired (it is full). */
static FsHostTimeWait *
retired_least(FsTimeWait *tw)
{
    FsHostTimeWait *least = NULL;
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, tw->retired);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        FsHostTimeWait *h = v;

        if (least == NULL || h->peak < least->peak ||
            (h->peak == least->peak &&
             fs_addr_compare(&h->host, &least->host) > 0))
            least = h;
    }
    return least;
}

/* h holds no TIME_WAIT any more: it leaves hosts (which stays as large
 * as the TIME_WAIT held, not as the hosts ever seen); its peak is kept
 * while it is among the FS_ENGINE_HOST_TOP busiest retired (ties: the
 * first retired stays). */
static void
retire(FsTimeWait *tw, FsHostTimeWait *h)
{
    Host *host = (Host *)h;
    guint32 id = host_id(tw, host);
    Host *kept;

    fs_host_index_remove(&tw->hosts,
                         host_slot(tw, &h->host, fs_host_index_hash(&h->host)),
                         host_hash_of, tw);
    if (g_hash_table_size(tw->retired) >= FS_ENGINE_HOST_TOP) {
        tw->stats->hosts_pruned++;
        if (h->peak <= tw->retired_min) {
            id_give(tw, id);
            return;
        }
        g_hash_table_remove(tw->retired, &retired_least(tw)->host);
    }
    kept = g_memdup2(host, sizeof *host);
    id_give(tw, id);
    g_hash_table_insert(tw->retired, &kept->pub.host, kept);
    if (g_hash_table_size(tw->retired) >= FS_ENGINE_HOST_TOP)
        tw->retired_min = retired_least(tw)->peak;
}

/* The cut table counts every key's Endings queued: one look at each. */
static void
key_cuts(FsTimeWait *tw)
{
    const Queue *q = &tw->ends;
    const Queue *e = &tw->early;

    tw->keyed = TRUE;
    for (guint i = q->fifo.head; i < q->fifo.len; i++)
        cut_for(tw, tw_key(tws_at(&q->fifo, i)))->queued++;
    for (guint i = 0; i < q->heap->len; i++)
        cut_for(tw, tw_key(&g_array_index(q->heap, Tw, i)))->queued++;
    for (guint i = e->fifo.head; i < e->fifo.len; i++)
        cut_for(tw, early_at(&e->fifo, i)->key)->queued++;
    for (guint i = 0; i < e->heap->len; i++)
        cut_for(tw, g_array_index(e->heap, Ending, i).key)->queued++;
    tw->scanned += queue_len(q) + queue_len(e);
}

/* The keys go again (2*MSL without a start taken back). */
static void
unkey_cuts(FsTimeWait *tw)
{
    GHashTableIter it;
    gpointer v;

    tw->keyed = FALSE;
    g_hash_table_iter_init(&it, tw->cut);
    while (g_hash_table_iter_next(&it, &v, NULL)) {
        Cut *cut = v;

        cut->queued = 0;
        if (cut->count == 0 && cut->n_at == 0) {
            cut_filter_add(tw, cut->key, -1);
            g_hash_table_iter_remove(&it);
        }
    }
}

/* Is key's TIME_WAIT still counted now: queued more often than cut
 * short. Only for a TIME_WAIT whose start was taken back (take_back():
 * it never held one): the first keys the cut table, one look
 * at every Ending queued, and it stays keyed until 2*MSL after the last
 * (every Ending queued then entered since it was keyed): a flood of
 * them costs O(1) each, not a look at every TIME_WAIT each. */
static gboolean
queued(FsTimeWait *tw, guint64 key)
{
    const Cut *cut;

    if (!tw->keyed)
        key_cuts(tw);
    tw->keyed_until = tw->c.clock + tw->two_msl;
    cut = g_hash_table_lookup(tw->cut, &key);
    return cut != NULL && cut->queued > cut->count;
}

/* An endpoint left TIME_WAIT at ts: unless its 2*MSL ran out by then
 * (its Ending and Span end it), it was cut short: it counts no more now,
 * and its span, still to enter on the peaks' clock, ends at ts. A start
 * taken back (tcpstate unset it): take_back(). */
static void cut_at(FsTimeWait *tw, const FsConn *conn, FsRole role,
                   FsTime since, FsTime ts);
static void take_back(FsTimeWait *tw, const FsConn *conn, FsRole role,
                      FsTime timer, FsTime ts);

void
fs_timewait_leave(FsTimeWait *tw, const FsConn *conn, FsRole role,
                  FsTime timer, FsTime ts)
{
    catch_up(tw);
    if (conn->ep[role].time_wait_since == FS_TIME_UNSET)
        take_back(tw, conn, role, timer, ts);
    else
        cut_at(tw, conn, role, FS_TIME_WAIT_TIMER(&conn->ep[role]), ts);
}

/* role's host holds one TIME_WAIT fewer now (cut_at(), take_back()). */
static void
host_now_leave(FsTimeWait *tw, const FsConn *conn, FsRole role)
{
    guint32 hash = fs_host_index_hash(&conn->addr[role]);
    guint32 id = fs_host_index_number(&tw->hosts,
                                      host_slot(tw, &conn->addr[role], hash));

    if (id != 0)
        now_leave(tw, host_of(tw, id));
}

/* The TIME_WAIT of role whose 2*MSL timer started at since stops at ts,
 * unless it ran out by then. */
static void
cut_at(FsTimeWait *tw, const FsConn *conn, FsRole role, FsTime since,
       FsTime ts)
{
    guint64 key = key_of(conn, role);
    Cut *cut;

    clock_to(tw, ts);
    if (since + tw->two_msl <= tw->c.clock) {
        requiet(tw);
        return;
    }
    cut = cut_for(tw, key);
    cut->count++;
    /* its span entered already only when its start came later than
     * LAG_SLACK allows for: then it runs to its end */
    if (since > tw->c.lag_clock) {
        CutAt at = { since, ts };

        cut_at_push(cut, &at);
    }
    host_now_leave(tw, conn, role);
    requiet(tw);
}

/* role's TIME_WAIT, its 2*MSL timer last started at timer (FS_TIME_UNSET:
 * not known), is taken back at ts: the endpoint never held it (its ACK
 * lost, tcpstate's ack_was_lost(); an RST answering a FIN sent again).
 * Still counted now, it counts no more; on the peaks' clock its spans
 * still to enter are dropped, its host's entry with them: the one from
 * timer and those cut before (its entry's and its restarts', cut where
 * the timer restarted; or the span before an RST seemed to end it). An
 * endpoint that enters TIME_WAIT again (CLOSING, then the ACK of its FIN
 * again) makes a new entry, its span from then, as its record keeps it.
 * Its spans wait for that: a TIME_WAIT restarted holds the peaks'
 * clock below its first span until a take-back can no longer come
 * (Hold), as the lag does for one not restarted. Where a span of it
 * entered the peaks already (over the span budget; a start dated back
 * past the lag, or a capture's clock gone back: counted from the peaks'
 * clock) that span stays counted, as held, to its end: approximate
 * only then. */
static void
take_back(FsTimeWait *tw, const FsConn *conn, FsRole role, FsTime timer,
          FsTime ts)
{
    guint64 key = key_of(conn, role);
    gboolean held;
    Cut *cut;

    clock_to(tw, ts);
    held = queued(tw, key);
    /* Counted now or not (its 2*MSL, dated back, ran out before the
     * take-back came: f2 of the review of d5d5b7c), its span from timer
     * still waits for the peaks' clock when it started after it: it is
     * dropped all the same. A timer not known is the next span of the
     * key only while one is counted now (else that may be a later
     * TIME_WAIT's). */
    if (held || (timer != FS_TIME_UNSET && timer > tw->c.lag_clock))
        cut = cut_for(tw, key);
    else
        cut = cut_maybe(tw, key) ? g_hash_table_lookup(tw->cut, &key) : NULL;
    if (cut == NULL) {
        requiet(tw);
        return;
    }
    if (held)
        cut->count++;
    /* every span of the key still to enter that was cut is this
     * TIME_WAIT's (its earlier ones were taken back, or ended: then it
     * left TIME_WAIT for CLOSED, from which only a resume comes back) */
    for (guint i = 0; i < cut->n_at; i++) {
        CutAt *at = cut->n_at == 1 ? &cut->at.one
                                   : &g_array_index(cut->at.many, CutAt, i);

        at->at = G_MININT64;
    }
    /* (a second leave of one taken back, its span's cut there already:
     * not twice, the second would wait for no span) */
    if ((timer != FS_TIME_UNSET ? timer > tw->c.lag_clock : held) &&
        (cut->n_at == 0 || cut_at_last(cut).since != timer)) {
        CutAt at = { timer, G_MININT64 };

        cut_at_push(cut, &at);
    }
    if (!held) {
        requiet(tw);
        return;
    }
    host_now_leave(tw, conn, role);
    requiet(tw);
}

/* A restart is a cut and a start: the TIME_WAIT counted from timer_was
 * stops at ts (its Tw's span ends there, its Ending is passed over),
 * one from ts counts on, its span from ts: at ts, a leave before an
 * enter, the counts and the peaks as one span from the entry to ts +
 * 2*MSL. A timer_was that ran out by ts leaves only the start (the
 * engine restarts only a TIME_WAIT not over). Approximate only where
 * the first span entered the peaks already (its start older than the
 * peaks' clock: over the span budget, fs_timewait_enter()): it runs to
 * its own end then, overlapping the next. */
void
fs_timewait_restart(FsTimeWait *tw, const FsConn *conn, FsRole role,
                    FsTime timer_was, FsTime ts)
{
    catch_up(tw);
    cut_at(tw, conn, role, timer_was, ts);
    enter_at(tw, conn, role, ts, ts, FALSE);
    hold_key(tw, key_of(conn, role), timer_was, ts);
    requiet(tw);
}

void
fs_timewait_resume(FsTimeWait *tw, const FsConn *conn, FsRole role,
                   FsTime ts)
{
    catch_up(tw);
    enter_at(tw, conn, role, ts, ts, FALSE);
    hold_key(tw, key_of(conn, role), FS_TIME_UNSET, ts);
    requiet(tw);
}

void
fs_timewait_prune(FsTimeWait *tw)
{
    fs_pressure_prune(tw->pressure, FS_ENGINE_DEST_TOP);
}

static gint
host_peak_cmp(gconstpointer a, gconstpointer b)
{
    const FsHostTimeWait *x = *(FsHostTimeWait *const *)a;
    const FsHostTimeWait *y = *(FsHostTimeWait *const *)b;

    if (x->peak != y->peak)
        return x->peak > y->peak ? -1 : 1;
    return fs_addr_compare(&x->host, &y->host);
}

void
fs_timewait_foreach_host_top(const FsTimeWait *tw, guint max,
                             void (*fn)(const FsHostTimeWait *h,
                                        gpointer user),
                             gpointer user)
{
    g_autoptr(GPtrArray) hosts = g_ptr_array_new();
    GHashTableIter it;
    gpointer v;

    /* not those whose every TIME_WAIT was taken back (an RST proving
     * it held none) */
    for (guint id = 1; id < tw->host_len; id++) {
        const Host *h = host_of(tw, id);

        if (h->pub.host.family != 0 &&
            (h->pub.now > 0 || h->pub.peak > 0 || h->spans > 0))
            g_ptr_array_add(hosts, (gpointer)h);
    }
    g_hash_table_iter_init(&it, tw->retired);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        if (((const FsHostTimeWait *)v)->peak > 0)
            g_ptr_array_add(hosts, v);
    }
    g_ptr_array_sort(hosts, host_peak_cmp);
    for (guint i = 0; i < MIN(hosts->len, max); i++)
        fn(g_ptr_array_index(hosts, i), user);
}

void
fs_timewait_foreach_dest(const FsTimeWait *tw, guint max,
                         void (*fn)(const FsDestTimeWait *d, gpointer user),
                         gpointer user)
{
    fs_pressure_foreach_top(tw->pressure, max, fn, user);
}

guint
fs_timewait_dests(const FsTimeWait *tw)
{
    return fs_pressure_size(tw->pressure);
}

guint64
fs_timewait_scanned(const FsTimeWait *tw)
{
    return tw->scanned;
}

/* A queue's bytes: its chunks, their pointers, its heap's room. */
static gsize
queue_bytes(const Queue *q, gsize size)
{
    return (q->fifo.n + (q->fifo.spare != NULL)) * CHUNK_LEN * size +
           q->fifo.cap * sizeof(gpointer) + q->heap->cap * size;
}

gsize
fs_timewait_queued_bytes(const FsTimeWait *tw)
{
    return queue_bytes(&tw->ends, sizeof(Tw)) +
           queue_bytes(&tw->early, sizeof(Ending)) +
           queue_bytes(&tw->spans_in, sizeof(Tw)) +
           queue_bytes(&tw->spans_out, sizeof(Tw)) +
           tw->holds->cap * sizeof(Hold);
}
