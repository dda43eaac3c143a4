/* finscope: the verdicts `finscope check` collects from the engine. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "checkmodel.h"
#include "finscope/classify.h"
#include "finscope/report.h"

FsCheckModel *
fs_check_model_new(const FsEngineConfig *cfg)
{
    FsCheckModel *m = g_new0(FsCheckModel, 1);

    m->conns = g_ptr_array_new_with_free_func(
        (GDestroyNotify)fs_check_conn_free);
    m->msl = cfg->msl;
    m->rfc1337 = cfg->rfc1337;
    m->tw_peak_host = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            g_free);
    return m;
}

void
fs_check_model_free(FsCheckModel *m)
{
    if (m == NULL)
        return;
    g_ptr_array_unref(m->conns);
    g_hash_table_destroy(m->tw_peak_host);
    g_free(m);
}

void
fs_check_conn_free(FsCheckConn *c)
{
    g_free(c);
}

FsCheckConn *
fs_check_conn_new(const FsConn *conn, const FsOutcome *outcome)
{
    FsCheckConn *c = g_new0(FsCheckConn, 1);
    const FsOutcome o = *outcome;

    c->id = conn->id;
    memcpy(c->addr, conn->addr, sizeof c->addr);
    memcpy(c->port, conn->port, sizeof c->port);
    c->vlan = conn->vlan;
    c->t_first = conn->t_first;
    c->close = o.close;
    c->active_closer = o.active_closer;
    c->rst_from = o.rst_from;
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        c->end_state[r] = o.end_state[r];
        c->fin_retransmits[r] = o.fin_retransmits[r];
    }
    c->final_ack_lost = o.final_ack_lost;
    c->old_duplicates = o.old_duplicates;
    c->handshake = o.handshake;
    c->flags = o.flags;
    return c;
}

FsCheckConn *
fs_check_model_add(FsCheckModel *m, const FsConn *conn,
                   const FsOutcome *outcome)
{
    FsCheckConn *c = fs_check_conn_new(conn, outcome);

    fs_check_model_take(m, c);
    return c;
}

void
fs_check_conn_outcome_of(const FsCheckConn *c, FsOutcome *out)
{
    memset(out, 0, sizeof *out);
    out->close = c->close;
    out->active_closer = c->active_closer;
    out->rst_from = c->rst_from;
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        out->end_state[r] = c->end_state[r];
        out->fin_retransmits[r] = c->fin_retransmits[r];
    }
    out->final_ack_lost = c->final_ack_lost;
    out->flags = c->flags;
    out->old_duplicates = c->old_duplicates;
    out->handshake = c->handshake;
}

void
fs_check_model_take(FsCheckModel *m, FsCheckConn *c)
{
    g_ptr_array_add(m->conns, c);
}

void
fs_check_model_set_time_wait_peak(FsCheckModel *m, const char *host,
                                  guint64 peak)
{
    guint64 *slot = NULL;

    m->tw_peak_known = TRUE;
    if (host == NULL) {
        m->tw_peak = peak;
        return;
    }
    slot = g_new(guint64, 1);
    *slot = peak;
    g_hash_table_insert(m->tw_peak_host, g_strdup(host), slot);
}

static gint
conn_id_cmp(gconstpointer a, gconstpointer b)
{
    const FsCheckConn *x = *(FsCheckConn *const *)a;
    const FsCheckConn *y = *(FsCheckConn *const *)b;

    return x->id < y->id ? -1 : x->id > y->id;
}

void
fs_check_model_sort(FsCheckModel *m)
{
    g_ptr_array_sort(m->conns, conn_id_cmp);
}

static void
sink_conn(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    fs_check_model_add(user, conn, outcome);
}

FsEngineSink
fs_check_model_sink(FsCheckModel *m)
{
    FsEngineSink sink = { .on_conn = sink_conn, .user = m };

    return sink;
}

gboolean
fs_check_conn_has_flag(const FsCheckConn *c, const char *flag)
{
    int f = fs_flag_from_name(flag);

    return f >= 0 && (c->flags & FS_FLAG_BIT(f)) != 0;
}

char *
fs_check_vlan_format(guint32 vlan)
{
    return fs_vlan_format(vlan, ",");
}

char *
fs_check_conn_describe(const FsCheckConn *c)
{
    char client[FS_ENDPOINT_STRLEN];
    char server[FS_ENDPOINT_STRLEN];
    g_autofree char *when = fs_time_format(c->t_first);
    g_autofree char *vlan = fs_check_vlan_format(c->vlan);

    fs_endpoint_format(&c->addr[FS_ROLE_CLIENT], c->port[FS_ROLE_CLIENT],
                       client, sizeof client);
    fs_endpoint_format(&c->addr[FS_ROLE_SERVER], c->port[FS_ROLE_SERVER],
                       server, sizeof server);
    return g_strdup_printf("#%" G_GUINT64_FORMAT " %s > %s%s%s started %s",
                           c->id, client, server, vlan ? " vlan " : "",
                           vlan ? vlan : "", when);
}

char *
fs_check_conn_outcome(const FsCheckConn *c)
{
    const char *closer = fs_closer_name(c->active_closer);
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    g_autofree char *flags = NULL;

    fs_flag_names(c->flags, names);
    g_ptr_array_add(names, NULL);
    flags = names->len > 1 ? g_strjoinv(",", (char **)names->pdata)
                           : g_strdup("-");
    return g_strdup_printf(
        "close=%s active_closer=%s rst_from=%s client_end=%s server_end=%s "
        "flags=%s",
        fs_close_kind_name(c->close), closer ? closer : "-",
        c->rst_from == FS_ROLE_NONE ? "-" : fs_role_name(c->rst_from),
        fs_tcp_state_name(c->end_state[FS_ROLE_CLIENT]),
        fs_tcp_state_name(c->end_state[FS_ROLE_SERVER]), flags);
}
