/* finscope: half-open floods in the text report, by destination with the
 * top sources; fixed memory (the space-saving heavy-hitter counters of
 * Metwally et al., 2005: a counter evicted gives its count to the
 * newcomer, so a count is an upper bound, exact for the true top ones). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "finscope/engine.h"
#include "report-flood.h"

#define FLOOD_DESTS 32   /* destinations counted */
#define FLOOD_SOURCES 16 /* sources counted per destination */
#define FLOOD_SHOWN 5    /* sources printed per destination */

typedef struct {
    FsAddr addr;         /* source host */
    guint64 count;       /* its records (an upper bound) */
    guint64 error;       /* count inherited from the one it replaced:
                            count - error is a lower bound */
} Source;

typedef struct {
    FsAddr addr;         /* destination address */
    guint16 port;        /* destination port */
    guint64 count;       /* its records (an upper bound) */
    guint n_sources;
    Source sources[FLOOD_SOURCES];
} Dest;

struct FsFlood {
    guint64 total;       /* half-open records counted */
    guint64 evicted;     /* of those, evicted */
    guint64 cut;         /* of those, cut short by the capture's end */
    guint n_dests;
    Dest dests[FLOOD_DESTS];
};

FsFlood *
fs_flood_new(void)
{
    return g_new0(FsFlood, 1);
}

void
fs_flood_free(FsFlood *flood)
{
    g_free(flood);
}

static void
count_source(Dest *d, const FsAddr *src)
{
    guint least = 0;

    for (guint i = 0; i < d->n_sources; i++) {
        if (fs_addr_equal(&d->sources[i].addr, src)) {
            d->sources[i].count++;
            return;
        }
        if (d->sources[i].count < d->sources[least].count)
            least = i;
    }
    if (d->n_sources < FLOOD_SOURCES) {
        d->sources[d->n_sources].addr = *src;
        d->sources[d->n_sources++].count = 1;
        return;
    }
    d->sources[least].addr = *src;
    d->sources[least].error = d->sources[least].count;
    d->sources[least].count++;
}

static Dest *
count_dest(FsFlood *f, const FsAddr *addr, guint16 port)
{
    guint least = 0;
    Dest *d;

    for (guint i = 0; i < f->n_dests; i++) {
        d = &f->dests[i];
        if (d->port == port && fs_addr_equal(&d->addr, addr)) {
            d->count++;
            return d;
        }
        if (d->count < f->dests[least].count)
            least = i;
    }
    if (f->n_dests < FLOOD_DESTS) {
        d = &f->dests[f->n_dests++];
        memset(d, 0, sizeof *d);
    } else {
        guint64 inherited = f->dests[least].count;

        d = &f->dests[least];
        memset(d, 0, sizeof *d);
        d->count = inherited;
    }
    d->addr = *addr;
    d->port = port;
    d->count++;
    return d;
}

gboolean
fs_flood_add(FsFlood *f, const FsConn *conn)
{
    Dest *d;

    gboolean dropped = fs_engine_half_open_dropped(conn);

    /* once a flood dropped some, the rest of it too (those the end cut
     * short: at the end, the last ones held) */
    if (!dropped && (f->total == 0 ||
                     fs_engine_conn_class(conn) != FS_EVICT_HALF_OPEN))
        return FALSE;
    f->total++;
    f->evicted += conn->evicted;
    f->cut += !dropped;
    d = count_dest(f, &conn->addr[FS_ROLE_SERVER], conn->port[FS_ROLE_SERVER]);
    count_source(d, &conn->addr[FS_ROLE_CLIENT]);
    return TRUE;
}

static gint
dest_cmp(gconstpointer a, gconstpointer b)
{
    const Dest *x = *(const Dest *const *)a;
    const Dest *y = *(const Dest *const *)b;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    return fs_addr_compare(&x->addr, &y->addr);
}

static gint
source_cmp(gconstpointer a, gconstpointer b)
{
    const Source *x = a;
    const Source *y = b;

    if (x->count - x->error != y->count - y->error)
        return x->count - x->error > y->count - y->error ? -1 : 1;
    return fs_addr_compare(&x->addr, &y->addr);
}

/* The sources certainly seen more than once, at least that often (a
 * random-source flood has none). */
static void
print_dest(const Dest *d, FILE *out)
{
    Source top[FLOOD_SOURCES];
    char buf[FS_ENDPOINT_STRLEN];

    memcpy(top, d->sources, d->n_sources * sizeof *top);
    qsort(top, d->n_sources, sizeof *top, source_cmp);
    fs_endpoint_format(&d->addr, d->port, buf, sizeof buf);
    fprintf(out, "  %-21s %" G_GUINT64_FORMAT " half-open; ", buf, d->count);
    if (d->n_sources == 0 || top[0].count - top[0].error < 2) {
        fprintf(out, "no source stands out (each seen about once)\n");
        return;
    }
    fprintf(out, "top sources (at least)");
    for (guint i = 0; i < MIN(d->n_sources, FLOOD_SHOWN); i++) {
        if (top[i].count - top[i].error < 2)
            break;
        fs_addr_format(&top[i].addr, buf, sizeof buf);
        fprintf(out, "%s %s %" G_GUINT64_FORMAT, i == 0 ? "" : ",", buf,
                top[i].count - top[i].error);
    }
    fprintf(out, "\n");
}

void
fs_flood_print(const FsFlood *f, FILE *out)
{
    const Dest *order[FLOOD_DESTS];

    if (f->total == 0)
        return;
    for (guint i = 0; i < f->n_dests; i++)
        order[i] = &f->dests[i];
    qsort(order, f->n_dests, sizeof *order, dest_cmp);
    fprintf(out, "\nHalf-open connections, not listed (handshake never "
            "completed: %" G_GUINT64_FORMAT " evicted, %" G_GUINT64_FORMAT
            " given up, %" G_GUINT64_FORMAT " at the end), by destination\n",
            f->evicted, f->total - f->evicted - f->cut, f->cut);
    for (guint i = 0; i < f->n_dests; i++)
        print_dest(order[i], out);
    if (f->n_dests == FLOOD_DESTS)
        fprintf(out, "  (the %u busiest destinations; counts are upper "
                "bounds)\n", FLOOD_DESTS);
}
