/* finscope: the per-service view — connections grouped by server
 * ip:port: who closes first and what that means, resets by cause, stuck
 * endpoints, FIN retransmissions, TIME_WAIT at its peak. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "hostindex.h"
#include "report-private.h"

/* TIME_WAIT spans kept for the peaks, all services together: 64 MiB. */
/* A side that closes first this often decides where TIME_WAIT is. */
#define MOSTLY_PERCENT 80

#define MAX_SPANS (G_GUINT64_CONSTANT(1) << 22)
/* A service keeping this many spans folds the old ones into its peak,
 * so that memory follows the TIME_WAIT held now, not the capture's
 * length. */
#define FOLD_AT 512
/* A record is handed over at most 4*MSL after its TIME_WAIT began (2*MSL
 * of it, 2*MSL quiet); a second more for the sweep. */
#define FOLD_SLACK_NS FS_NS_PER_SEC

struct FsServices {
    GHashTable *by_name;  /* "ip:port" -> FsService* */
    GArray *ends;         /* ServiceEnd: the server endpoints met, each
                             with its service (several endpoints may
                             share a name) */
    FsHostIndex end_index; /* of ends: number + 1 (hostindex.h): a
                              record's service found without formatting
                              its name, and without GHashTable's calls
                              and boxed key (a look-up took ~115
                              instructions a record) */
    GPtrArray *list;      /* the same, in order of first record */
    guint64 spans;        /* TIME_WAIT spans kept, all services */
};

/* A server endpoint as the connection holds it, and its service. */
typedef struct {
    FsAddr addr;
    guint16 port;
    FsService *svc;
} ServiceEnd;

static inline guint32
end_hash(const FsAddr *addr, guint16 port)
{
    return (guint32)fs_endpoint_hash(addr, port);
}

static inline const ServiceEnd *
end_at(const FsServices *s, guint32 number)
{
    return &g_array_index(s->ends, ServiceEnd, number - 1);
}

/* For the end index (hostindex.h): is number's end the ServiceEnd key
 * (its address and port); its hash. */
static inline gboolean
end_is(gconstpointer s, guint32 number, gconstpointer key)
{
    const ServiceEnd *e = end_at(s, number);
    const ServiceEnd *k = key;

    return e->port == k->port && fs_addr_equal(&e->addr, &k->addr);
}

static guint32
end_hash_of(gconstpointer s, guint32 number)
{
    return end_hash(&end_at(s, number)->addr, end_at(s, number)->port);
}

static void
service_free(gpointer p)
{
    FsService *svc = p;

    g_free(svc->name);
    g_array_unref(svc->tw_spans);
    g_array_unref(svc->tw_whole_us);
    if (svc->tw_whole != NULL)
        g_array_unref(svc->tw_whole);
    g_free(svc);
}

FsServices *
fs_services_new(void)
{
    FsServices *s = g_new0(FsServices, 1);

    s->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    s->ends = g_array_new(FALSE, FALSE, sizeof(ServiceEnd));
    fs_host_index_reset(&s->end_index, 16);
    s->list = g_ptr_array_new_with_free_func(service_free);
    return s;
}

void
fs_services_free(FsServices *s)
{
    if (s == NULL)
        return;
    g_hash_table_destroy(s->by_name);
    g_array_unref(s->ends);
    fs_host_index_clear(&s->end_index);
    g_ptr_array_unref(s->list);
    g_free(s);
}

FsService *
fs_services_get(FsServices *s, const char *name)
{
    FsService *svc = g_hash_table_lookup(s->by_name, name);

    if (svc != NULL)
        return svc;
    svc = g_new0(FsService, 1);
    svc->name = g_strdup(name);
    svc->tw_spans = g_array_new(FALSE, FALSE, sizeof(FsTime));
    svc->tw_whole_us = g_array_new(FALSE, FALSE, sizeof(guint32));
    svc->idle_max = -1;
    svc->folded_to = FS_TIME_UNSET;
    g_hash_table_insert(s->by_name, svc->name, svc);
    g_ptr_array_add(s->list, svc);
    return svc;
}

/* The service of conn's server endpoint, made on its first record. By
 * name ("ip:port"), as the report shows them; the endpoint itself finds
 * one met before without formatting its name (one record in all). */
static FsService *
service_of(FsServices *s, const FsConn *conn)
{
    char name[FS_ENDPOINT_STRLEN];
    ServiceEnd key = { conn->addr[FS_ROLE_SERVER],
                       conn->port[FS_ROLE_SERVER], NULL };
    guint32 hash = end_hash(&key.addr, key.port);
    guint32 n = fs_host_index_number(
        &s->end_index,
        fs_host_index_probe(&s->end_index, &key, hash, end_is, s));

    if (n != 0)
        return end_at(s, n)->svc;
    fs_endpoint_format(&key.addr, key.port, name, sizeof name);
    key.svc = fs_services_get(s, name);
    g_array_append_val(s->ends, key);
    fs_host_index_put(&s->end_index, hash, s->ends->len, end_hash_of, s);
    return key.svc;
}

#define NS_PER_US 1000

/* A whole span's start kept in tw_whole_us: the start. */
static inline FsTime
whole_start(const FsService *svc, guint32 us)
{
    return svc->tw_whole_base + (FsTime)us * NS_PER_US;
}

/* Whether start is a whole number of microseconds from tw_whole_base,
 * at most 2^32 of them after it: *v then that number. */
static inline gboolean
whole_us_of(const FsService *svc, FsTime start, guint32 *v)
{
    FsTime off = start - svc->tw_whole_base;

    if (off < 0 || off % NS_PER_US != 0 || off / NS_PER_US > G_MAXUINT32)
        return FALSE;
    *v = (guint32)(off / NS_PER_US);
    return TRUE;
}

/* A whole span from start kept: in tw_whole_us when start lies whole
 * microseconds from the first start kept there, and within 2^31 of
 * them of it (that first one, added while none was kept, sets
 * tw_whole_base 2^31 microseconds before it; a fold moves the base on,
 * fold_whole()), else in tw_whole. A whole span is most TIME_WAITs,
 * kept until 4*MSL after (all of a capture shorter than that): 4
 * bytes, not 8. */
static void
whole_add(FsService *svc, FsTime start)
{
    GArray *us = svc->tw_whole_us;
    guint32 v;

    if (us->len == 0)
        svc->tw_whole_base = start - (FsTime)G_MAXINT32 * NS_PER_US - NS_PER_US;
    if (whole_us_of(svc, start, &v)) {
        g_array_append_val(us, v);
        return;
    }
    if (svc->tw_whole == NULL)
        svc->tw_whole = g_array_new(FALSE, FALSE, sizeof(FsTime));
    g_array_append_val(svc->tw_whole, start);
}

/* Sorting runs of this many times by insertion comes before merging. */
#define SORT_RUN 16

/* Sorts the n times at t, ascending, with scratch room for n more: runs
 * of SORT_RUN by insertion, then merged bottom-up, a merge whose halves
 * are in order already copied instead. The comparisons inline, where
 * qsort() calls a function for each (most of a service peak's time:
 * the spans come nearly in order). */
void
fs_sort_times(FsTime *t, FsTime *scratch, gsize n)
{
    FsTime *from = t;
    FsTime *to = scratch;
    FsTime *swap;

    for (gsize lo = 0; lo < n; lo += SORT_RUN) {
        gsize hi = MIN(lo + SORT_RUN, n);

        for (gsize i = lo + 1; i < hi; i++) {
            FsTime v = t[i];
            gsize j = i;

            for (; j > lo && t[j - 1] > v; j--)
                t[j] = t[j - 1];
            t[j] = v;
        }
    }
    for (gsize width = SORT_RUN; width < n; width *= 2) {
        for (gsize lo = 0; lo < n; lo += 2 * width) {
            gsize mid = MIN(lo + width, n);
            gsize hi = MIN(lo + 2 * width, n);
            gsize i = lo, j = mid, k = lo;

            if (mid == hi || from[mid - 1] <= from[mid]) {
                memcpy(to + lo, from + lo, (hi - lo) * sizeof *to);
                continue;
            }
            while (i < mid && j < hi)
                to[k++] = from[j] < from[i] ? from[j++] : from[i++];
            while (i < mid)
                to[k++] = from[i++];
            while (j < hi)
                to[k++] = from[j++];
        }
        swap = from;
        from = to;
        to = swap;
    }
    if (from != t)
        memcpy(t, from, n * sizeof *t);
}

/* n FsTimes from at stride apart, copied and sorted (scratch: room for
 * n). */
static FsTime *
sorted_times(const FsTime *at, guint n, guint stride, FsTime *scratch)
{
    FsTime *t = g_new(FsTime, MAX(n, 1));

    for (guint i = 0; i < n; i++)
        t[i] = at[(gsize)i * stride];
    fs_sort_times(t, scratch, n);
    return t;
}

/* The nw whole spans' starts, sorted (scratch: room for nw). */
static FsTime *
sorted_whole(const FsService *svc, guint nw, FsTime *scratch)
{
    FsTime *t = g_new(FsTime, MAX(nw, 1));
    const guint32 *us = (const guint32 *)(gpointer)svc->tw_whole_us->data;
    guint n = 0;

    for (guint i = 0; i < svc->tw_whole_us->len; i++)
        t[n++] = whole_start(svc, us[i]);
    if (svc->tw_whole != NULL) {
        const FsTime *ns = (const FsTime *)(gpointer)svc->tw_whole->data;

        for (guint i = 0; i < svc->tw_whole->len; i++)
            t[n++] = ns[i];
    }
    fs_sort_times(t, scratch, n);
    return t;
}

/* The most TIME_WAIT spans held at once (0 at least), each entered at
 * its start and left at its end, a leave before an enter at the same
 * time; only the edges before until when bounded. The enters and the
 * leaves sorted apart and merged: 8 bytes a whole span, 16 a pair (an
 * array of both edges, sorted, took 32 a span). */
static gint64
spans_held_max(const FsService *svc, gboolean bounded, FsTime until)
{
    guint np = svc->tw_spans->len / 2;
    guint nw = fs_service_whole_kept(svc);
    /* an array never appended to has no data: no pointer past NULL */
    const FsTime *pairs = np > 0 ? (const FsTime *)(gpointer)svc->tw_spans->data
                                 : NULL;
    /* what qsort() took for its merges, once for the three */
    g_autofree FsTime *scratch = g_new(FsTime, MAX(MAX(np, nw), 1));
    g_autofree FsTime *ps = sorted_times(pairs, np, 2, scratch);
    g_autofree FsTime *pe = sorted_times(np > 0 ? pairs + 1 : NULL, np, 2,
                                         scratch);
    g_autofree FsTime *ws = sorted_whole(svc, nw, scratch);
    FsTime len = svc->tw_whole_len;
    guint ip = 0, jp = 0, iw = 0, jw = 0;
    gint64 now = 0;
    gint64 max = 0;

    for (;;) {
        gboolean enter_ps = ip < np && (iw >= nw || ps[ip] <= ws[iw]);
        gboolean has_enter = ip < np || iw < nw;
        FsTime enter = !has_enter ? G_MAXINT64
                       : enter_ps ? ps[ip] : ws[iw];
        gboolean leave_pe = jp < np && (jw >= nw || pe[jp] <= ws[jw] + len);
        gboolean has_leave = jp < np || jw < nw;
        FsTime leave = !has_leave ? G_MAXINT64
                       : leave_pe ? pe[jp] : ws[jw] + len;

        if (has_leave && (!has_enter || leave <= enter)) {
            if (bounded && leave >= until)
                break;
            now--;
            if (leave_pe)
                jp++;
            else
                jw++;
        } else if (has_enter) {
            if (bounded && enter >= until)
                break;
            now++;
            if (enter_ps)
                ip++;
            else
                iw++;
        } else {
            break;
        }
        max = MAX(max, now);
    }
    return max;
}

/* The first n elements of a (elements of size bytes) in an array of
 * their own with room for twice as many: what the next fold lets them
 * grow to. A GArray keeps the largest room it ever had; a service whose
 * spans once passed a power of two would keep that room for the rest of
 * the capture, and over a long one more services do (the sum of each
 * one's largest, not the largest sum, is what stays resident). */
static GArray *
span_array_resized(GArray *a, guint n, guint size)
{
    GArray *fresh = g_array_sized_new(FALSE, FALSE, size, MAX(2 * n, 16u));

    if (n > 0)
        g_array_append_vals(fresh, a->data, n);
    g_array_unref(a);
    return fresh;
}

/* The whole spans that end before until go; the base of those kept in
 * microseconds moves on, by whole microseconds, to 2^31 of them before
 * until (no further than the earliest kept), and those kept in tw_whole
 * that are whole microseconds from it move over. The starts still to
 * come are near until (4*MSL at most before it): with the base of the
 * first span, each one more than 2^31 microseconds (35 minutes) after
 * it took 8 bytes, for the rest of a longer capture. */
static void
fold_whole(FsService *svc, FsTime until)
{
    guint32 *us = (guint32 *)(gpointer)svc->tw_whole_us->data;
    guint kept = 0;
    gint64 shift = (until - svc->tw_whole_base) / NS_PER_US - G_MAXINT32 - 1;

    for (guint i = 0; i < svc->tw_whole_us->len; i++) {
        if (whole_start(svc, us[i]) + svc->tw_whole_len >= until) {
            shift = MIN(shift, (gint64)us[i]);
            us[kept++] = us[i];
        }
    }
    g_array_set_size(svc->tw_whole_us, kept);
    if (kept > 0 && shift > 0) {
        for (guint i = 0; i < kept; i++)
            us[i] -= (guint32)shift;
        svc->tw_whole_base += shift * NS_PER_US;
    }
    if (svc->tw_whole != NULL) {
        FsTime *whole = (FsTime *)(gpointer)svc->tw_whole->data;
        guint32 v;

        kept = 0;
        for (guint i = 0; i < svc->tw_whole->len; i++) {
            if (whole[i] + svc->tw_whole_len < until)
                continue;
            if (whole_us_of(svc, whole[i], &v))
                g_array_append_val(svc->tw_whole_us, v);
            else
                whole[kept++] = whole[i];
        }
        svc->tw_whole = span_array_resized(svc->tw_whole, kept,
                                           sizeof(FsTime));
    }
    svc->tw_whole_us = span_array_resized(svc->tw_whole_us,
                                          svc->tw_whole_us->len,
                                          sizeof(guint32));
}

/* Records come no later than 4*MSL after their TIME_WAIT began, so
 * before until the count of TIME_WAIT held is final: its peak goes into
 * peak_before and the spans that ended before until go. Returns how
 * many went. */
static guint
fold_spans(FsService *svc, FsTime until)
{
    FsTime *spans = (FsTime *)(gpointer)svc->tw_spans->data;
    guint n = svc->tw_spans->len / 2;
    guint before = fs_service_spans_kept(svc);
    guint kept = 0;

    if (svc->folded_to != FS_TIME_UNSET && until <= svc->folded_to)
        return 0;
    svc->peak_before = MAX(svc->peak_before,
                           (guint64)spans_held_max(svc, TRUE, until));
    for (guint i = 0; i < n; i++) {
        if (spans[2 * i + 1] < until)
            continue;
        spans[2 * kept] = spans[2 * i];
        spans[2 * kept + 1] = spans[2 * i + 1];
        kept++;
    }
    svc->tw_spans = span_array_resized(svc->tw_spans, 2 * kept,
                                       sizeof(FsTime));
    fold_whole(svc, until);
    svc->folded_to = until;
    return before - fs_service_spans_kept(svc);
}

static void
add_endpoint(FsServices *s, FsService *svc, const FsConn *conn,
             const FsOutcome *outcome, FsRole role, FsTime msl)
{
    const FsEndpoint *ep = &conn->ep[role];
    FsTcpState st = outcome->end_state[role];
    FsTime left;

    if (ep->fin_count > 1)
        svc->fin_retransmits += ep->fin_count - 1u;
    if (st >= FS_TCP_FIN_WAIT_1 && st <= FS_TCP_LAST_ACK) {
        svc->stuck[role][st]++;
        FsTime age = fs_conn_state_age(conn, role);

        if (age != FS_TIME_UNSET)
            svc->stuck_oldest = MAX(svc->stuck_oldest, age);
    }
    if (ep->time_wait_since == FS_TIME_UNSET)
        return;
    svc->time_wait[role]++;
    if (s->spans >= MAX_SPANS) {
        svc->tw_spans_full = TRUE;
        return;
    }
    left = fs_endpoint_time_wait_end(ep, msl);
    if (svc->folded_to != FS_TIME_UNSET && ep->time_wait_since < svc->folded_to)
        svc->tw_spans_full = TRUE; /* its start was folded already */
    if (left == ep->time_wait_since + 2 * msl) {
        /* (most) its whole 2*MSL: its start says it */
        svc->tw_whole_len = 2 * msl;
        whole_add(svc, ep->time_wait_since);
    } else {
        g_array_append_val(svc->tw_spans, ep->time_wait_since);
        g_array_append_val(svc->tw_spans, left);
    }
    s->spans++;
    if (fs_service_spans_kept(svc) >= MAX(svc->fold_at, FOLD_AT)) {
        s->spans -= fold_spans(svc, conn->settled_at - 4 * msl -
                                        FOLD_SLACK_NS);
        /* twice the spans kept */
        svc->fold_at = 2 * fs_service_spans_kept(svc);
    }
}

void
fs_services_add(FsServices *s, const FsConn *conn, const FsOutcome *outcome,
                FsTime msl)
{
    FsService *svc = service_of(s, conn);
    FsCloser closer = outcome->active_closer;

    svc->connections++;
    svc->refused += outcome->handshake == FS_HANDSHAKE_REFUSED;
    svc->idle_max = MAX(svc->idle_max, outcome->idle_before_close);
    if (closer != FS_CLOSER_NONE) {
        svc->by_closer[closer]++;
        svc->closers_guessed += fs_classify_closer_guessed(conn);
    }
    if (conn->rst_from != FS_ROLE_NONE && conn->rst_state < FS_TCP_N_STATES)
        svc->resets[conn->rst_from][conn->rst_state]++;
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++)
        add_endpoint(s, svc, conn, outcome, (FsRole)r, msl);
}

guint
fs_services_count(const FsServices *s)
{
    return s->list->len;
}

static gint
service_cmp(gconstpointer a, gconstpointer b)
{
    const FsService *x = *(FsService *const *)a;
    const FsService *y = *(FsService *const *)b;

    if (x->connections != y->connections)
        return x->connections > y->connections ? -1 : 1;
    return strcmp(x->name, y->name);
}

GPtrArray *
fs_services_top(FsServices *s, guint top)
{
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; i < s->list->len; i++)
        g_ptr_array_add(out, g_ptr_array_index(s->list, i));
    g_ptr_array_sort(out, service_cmp);
    if (top > 0 && out->len > top)
        g_ptr_array_set_size(out, top);
    return out;
}

/* The peak before the folded time, and of the spans kept (those that
 * cross it count there as they should). */
guint64
fs_service_time_wait_peak(const FsService *svc)
{
    return MAX(svc->peak_before, (guint64)spans_held_max(svc, FALSE, 0));
}

/* part is most of all (MOSTLY_PERCENT, rounded down: 100 is every
 * one). */
static gboolean
mostly(guint64 part, guint64 all)
{
    return part * 100 / all >= MOSTLY_PERCENT;
}

/* Who held the service's TIME_WAITs: the side with most of the
 * endpoints that entered it, else both; none when no endpoint did (the
 * closes reset, or not done by the end). */
static const char *
time_wait_holders(const FsService *svc)
{
    guint64 c = svc->time_wait[FS_ROLE_CLIENT];
    guint64 s = svc->time_wait[FS_ROLE_SERVER];

    if (c + s == 0)
        return "none held TIME_WAIT (the closes reset or unfinished)";
    if (mostly(c, c + s))
        return "the clients hold TIME_WAIT";
    if (mostly(s, c + s))
        return "the server holds TIME_WAIT";
    return "both sides hold TIME_WAIT";
}

/* Who closes first, then who held TIME_WAIT: what the closer would
 * have held, unless RSTs cut the closes short (a close that starts with
 * a FIN and ends in an RST leaves no TIME_WAIT). How many of the closers
 * are guesses (closers_guessed), when some are: a one-sided capture's
 * "server closes first in 100%" may be the client's FINs unseen. */
char *
fs_service_meaning(const FsService *svc)
{
    static const char *const who[3] = {
        "client closes first", "server closes first", "simultaneous closes",
    };
    const guint64 *n = svc->by_closer;
    guint64 closed = n[0] + n[1] + n[2];
    g_autofree char *guessed = NULL;

    if (closed == 0)
        return NULL;
    if (svc->closers_guessed >= closed)
        guessed = g_strdup("every closer guessed: confidence low");
    else if (svc->closers_guessed > 0)
        guessed = g_strdup_printf("%" G_GUINT64_FORMAT " of the %"
                                  G_GUINT64_FORMAT " closers guessed: "
                                  "confidence low",
                                  svc->closers_guessed, closed);
    for (int k = 0; k < 3; k++) {
        if (mostly(n[k], closed))
            return g_strdup_printf("%s in %" G_GUINT64_FORMAT "%%%s%s%s: %s",
                                   who[k], n[k] * 100 / closed,
                                   guessed != NULL ? " (" : "",
                                   guessed != NULL ? guessed : "",
                                   guessed != NULL ? ")" : "",
                                   time_wait_holders(svc));
    }
    return g_strdup_printf("no side closes first consistently (client %"
                           G_GUINT64_FORMAT "%%, server %" G_GUINT64_FORMAT
                           "%%%s%s): %s",
                           n[0] * 100 / closed, n[1] * 100 / closed,
                           guessed != NULL ? "; " : "",
                           guessed != NULL ? guessed : "",
                           time_wait_holders(svc));
}
