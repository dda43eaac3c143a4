/* finscope: TIME_WAIT accounting per host and, through pressure.c, per
 * client towards each server ip:port; fed every state transition. */
#include "config.h"

#include <glib.h>

#include "pressure.h"
#include "store.h"
#include "timewait.h"

struct FsTimeWait {
    FsEngineStats *stats;   /* the engine's: counts and memory */
    GHashTable *hosts;      /* FsAddr* -> FsHostTimeWait* (owned): hosts
                               holding TIME_WAIT now */
    GHashTable *retired;    /* the same, of hosts back at zero: the
                               FS_ENGINE_HOST_TOP busiest peaks only */
    guint64 retired_min;    /* lowest peak in retired when full */
    FsPressure *pressure;   /* TIME_WAIT per client -> server ip:port */
};

/* What the engine's accounting charges for a host holding TIME_WAIT
 * (the engine's memory model: CONN_OVERHEAD, store.c): its entry and
 * hash node and, as a client, its port-pressure destination (28 bytes
 * and index) and host entry. */
#define HOST_COST (sizeof(FsHostTimeWait) + 208)

FsTimeWait *
fs_timewait_new(FsEngineStats *stats)
{
    FsTimeWait *tw = g_new0(FsTimeWait, 1);

    tw->stats = stats;
    tw->hosts = g_hash_table_new_full(fs_addr_hash, fs_addr_equal_func,
                                      NULL, g_free);
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
    g_hash_table_destroy(tw->hosts);
    g_hash_table_destroy(tw->retired);
    fs_pressure_free(tw->pressure);
    g_free(tw);
}

/* An endpoint entered TIME_WAIT: count it for its host (and, for a
 * client, against its destination's port range). */
void
fs_timewait_enter(FsTimeWait *tw, const FsConn *conn, FsRole role,
                  FsTime ts)
{
    FsHostTimeWait *h = g_hash_table_lookup(tw->hosts, &conn->addr[role]);
    FsEngineStats *stats = tw->stats;

    if (h == NULL) {
        /* back from zero: its kept peak, if it was among the busiest */
        if (g_hash_table_steal_extended(tw->retired, &conn->addr[role],
                                        NULL, (gpointer *)&h)) {
            tw->retired_min = 0;
        } else {
            h = g_new0(FsHostTimeWait, 1);
            h->host = conn->addr[role];
        }
        g_hash_table_insert(tw->hosts, &h->host, h);
        fs_store_charge(stats, HOST_COST);
    }
    h->entered++;
    if (++h->now > h->peak) {
        h->peak = h->now;
        h->peak_at = ts;
    }
    if (++stats->time_wait_now > stats->time_wait_peak) {
        stats->time_wait_peak = stats->time_wait_now;
        stats->time_wait_peak_at = ts;
    }
    if (role == FS_ROLE_CLIENT)
        fs_pressure_enter(tw->pressure, &conn->addr[FS_ROLE_CLIENT],
                          &conn->addr[FS_ROLE_SERVER],
                          conn->port[FS_ROLE_SERVER], ts);
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
    g_hash_table_steal(tw->hosts, &h->host);
    fs_store_charge(tw->stats, -(gint64)HOST_COST);
    if (g_hash_table_size(tw->retired) >= FS_ENGINE_HOST_TOP) {
        tw->stats->hosts_pruned++;
        if (h->peak <= tw->retired_min) {
            g_free(h);
            return;
        }
        g_hash_table_remove(tw->retired, &retired_least(tw)->host);
    }
    g_hash_table_insert(tw->retired, &h->host, h);
    if (g_hash_table_size(tw->retired) >= FS_ENGINE_HOST_TOP)
        tw->retired_min = retired_least(tw)->peak;
}

void
fs_timewait_leave(FsTimeWait *tw, const FsConn *conn, FsRole role)
{
    FsHostTimeWait *h = g_hash_table_lookup(tw->hosts, &conn->addr[role]);

    if (h != NULL && h->now > 0 && --h->now == 0)
        retire(tw, h);
    if (tw->stats->time_wait_now > 0)
        tw->stats->time_wait_now--;
    if (role == FS_ROLE_CLIENT)
        fs_pressure_leave(tw->pressure, &conn->addr[FS_ROLE_CLIENT],
                          &conn->addr[FS_ROLE_SERVER],
                          conn->port[FS_ROLE_SERVER]);
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

    g_hash_table_iter_init(&it, tw->hosts);
    while (g_hash_table_iter_next(&it, NULL, &v))
        g_ptr_array_add(hosts, v);
    g_hash_table_iter_init(&it, tw->retired);
    while (g_hash_table_iter_next(&it, NULL, &v))
        g_ptr_array_add(hosts, v);
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
