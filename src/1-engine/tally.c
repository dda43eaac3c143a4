/* finscope: the one tally of what finished connections count for. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/classify.h"
#include "tally.h"

G_STATIC_ASSERT(FS_FLAG_N < 32);
#define ALL_FLAGS (FS_FLAG_BIT(FS_FLAG_N) - 1u)

void
fs_tally_init(FsTally *t)
{
    memset(t, 0, sizeof *t);
    t->time_wait_hosts = g_array_new(FALSE, FALSE, sizeof(FsTallyHost));
    fs_host_index_reset(&t->time_wait_index, 16);
}

void
fs_tally_clear(FsTally *t)
{
    if (t->time_wait_hosts != NULL)
        g_array_unref(t->time_wait_hosts);
    fs_host_index_clear(&t->time_wait_index);
    memset(t, 0, sizeof *t);
}

/* A host as the tally keys it: the bytes its family uses, the rest
 * zero, so that two keys are equal exactly when their text is. */
static void
host_key(FsAddr *key, const FsAddr *addr)
{
    if (addr->family == 4) {
        memset(key, 0, sizeof *key);
        key->family = 4;
        memcpy(key->bytes, addr->bytes, 4);
    } else {
        *key = *addr;
    }
}

static inline FsTallyHost *
host_at(const FsTally *t, guint32 number)
{
    return &g_array_index(t->time_wait_hosts, FsTallyHost, number - 1);
}

/* For the host index (hostindex.h): is number's address addr; its
 * hash. */
static inline gboolean
host_is(gconstpointer t, guint32 number, gconstpointer addr)
{
    return fs_addr_equal(&host_at(t, number)->addr, addr);
}

static guint32
host_hash_of(gconstpointer t, guint32 number)
{
    return fs_host_index_hash(&host_at(t, number)->addr);
}

/* Counted by the binary address: the text is made only for a list. */
static void
add_time_wait_host(FsTally *t, const FsAddr *addr)
{
    FsAddr key;
    guint32 hash;
    guint32 n;

    host_key(&key, addr);
    hash = fs_host_index_hash(&key);
    n = fs_host_index_number(
        &t->time_wait_index,
        fs_host_index_probe(&t->time_wait_index, &key, hash, host_is, t));
    if (n == 0) {
        FsTallyHost h = { .addr = key };

        g_array_append_val(t->time_wait_hosts, h);
        n = t->time_wait_hosts->len;
        fs_host_index_put(&t->time_wait_index, hash, n, host_hash_of, t);
    }
    host_at(t, n)->count++;
}

static void
add_endpoint(FsTally *t, const FsOutcome *o, const FsAddr *addr,
             FsRole r)
{
    FsTcpState st = o->end_state[r];

    t->fin_retransmits += o->fin_retransmits[r];
    t->end_states[st]++;
    /* an evicted record's TIME_WAIT is what it held when it was evicted,
     * not at the end */
    if (st != FS_TCP_TIME_WAIT || (o->flags & FS_FLAG_BIT(FS_FLAG_EVICTED)))
        return;
    t->time_wait_at_end++;
    add_time_wait_host(t, addr);
}

void
fs_tally_add(FsTally *t, const FsOutcome *o, const FsAddr addr[2],
             guint endpoints)
{
    t->connections++;
    t->by_close[o->close]++;
    if (o->active_closer != FS_CLOSER_NONE)
        t->by_closer[o->active_closer]++;
    if (o->rst_from != FS_ROLE_NONE)
        t->rst_from[o->rst_from]++;
    /* the bits set only: most records have one or two */
    for (guint32 bits = o->flags & ALL_FLAGS; bits != 0; bits &= bits - 1)
        t->by_flag[__builtin_ctz(bits)]++;
    t->final_ack_lost += o->final_ack_lost;
    t->old_duplicates += o->old_duplicates;
    t->by_handshake[o->handshake]++;
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        if (endpoints & (1u << r))
            add_endpoint(t, o, &addr[r], (FsRole)r);
    }
}

void
fs_tally_add_conn(FsTally *t, const FsConn *conn)
{
    FsOutcome o;

    fs_classify_outcome(conn, &o);
    fs_tally_add(t, &o, conn->addr, FS_TALLY_BOTH);
}

static gint
host_count_cmp(gconstpointer a, gconstpointer b)
{
    const FsHostCount *x = *(FsHostCount *const *)a;
    const FsHostCount *y = *(FsHostCount *const *)b;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return g_strcmp0(x->host, y->host);
}

static void
host_count_free(gpointer p)
{
    FsHostCount *hc = p;

    g_free(hc->host);
    g_free(hc);
}

GPtrArray *
fs_tally_time_wait_hosts(const FsTally *t)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(host_count_free);

    for (guint i = 0; i < t->time_wait_hosts->len; i++) {
        const FsTallyHost *h = host_at(t, i + 1);
        FsHostCount *hc = g_new0(FsHostCount, 1);
        char host[FS_ENDPOINT_STRLEN];

        fs_addr_format(&h->addr, host, sizeof host);
        hc->host = g_strdup(host);
        hc->count = h->count;
        g_ptr_array_add(out, hc);
    }
    g_ptr_array_sort(out, host_count_cmp);
    return out;
}

/* ---- the field catalogue ---- */

static const FsTallyField fields[] = {
    /* name, counts, arg, per endpoint, in baselines, meaning */
    { "connections", FS_TALLY_COUNT_ALL,
      0, FALSE, TRUE,
      "connections (each incarnation of a 4-tuple)" },
    { "graceful_closes", FS_TALLY_COUNT_CLOSE,
      FS_CLOSE_GRACEFUL, FALSE, TRUE,
      "connections closed by FINs both ways, both acknowledged" },
    { "resets", FS_TALLY_COUNT_CLOSE,
      FS_CLOSE_RESET, FALSE, TRUE,
      "connections an RST ended (close=reset)" },
    { "incomplete_closes", FS_TALLY_COUNT_CLOSE,
      FS_CLOSE_INCOMPLETE, FALSE, TRUE,
      "connections whose close began but did not finish" },
    { "open", FS_TALLY_COUNT_CLOSE,
      FS_CLOSE_OPEN, FALSE, TRUE,
      "connections with no FIN and no RST" },
    { "client_active_closes", FS_TALLY_COUNT_CLOSER,
      FS_CLOSER_CLIENT, FALSE, TRUE,
      "connections the client closed first" },
    { "server_active_closes", FS_TALLY_COUNT_CLOSER,
      FS_CLOSER_SERVER, FALSE, TRUE,
      "connections the server closed first" },
    { "simultaneous_closes", FS_TALLY_COUNT_CLOSER,
      FS_CLOSER_SIMULTANEOUS, FALSE, TRUE,
      "connections whose FINs crossed" },
    { "rst_from_client", FS_TALLY_COUNT_RST_FROM,
      FS_ROLE_CLIENT, FALSE, TRUE,
      "connections whose first RST the client sent" },
    { "rst_from_server", FS_TALLY_COUNT_RST_FROM,
      FS_ROLE_SERVER, FALSE, TRUE,
      "connections whose first RST the server sent" },
    { "half_closes", FS_TALLY_COUNT_FLAG,
      FS_FLAG_HALF_CLOSE, FALSE, TRUE,
      "connections with data sent after the peer's FIN" },
    { "three_way_closes", FS_TALLY_COUNT_FLAG,
      FS_FLAG_THREE_WAY_CLOSE, FALSE, TRUE,
      "connections closed FIN, FIN+ACK, ACK" },
    { "fin_retransmits", FS_TALLY_COUNT_FIN_RETRANSMITS,
      0, TRUE, TRUE,
      "FIN retransmissions (per endpoint)" },
    { "final_ack_lost", FS_TALLY_COUNT_FINAL_ACK_LOST,
      0, FALSE, TRUE,
      "FINs re-sent after their final ACK was seen" },
    { "time_wait_at_end", FS_TALLY_COUNT_END_STATE,
      FS_TCP_TIME_WAIT, TRUE, TRUE,
      "endpoints in TIME_WAIT at the end of the capture" },
    { "time_wait_peak", FS_TALLY_COUNT_TIME_WAIT_PEAK,
      0, TRUE, FALSE,
      "most endpoints in TIME_WAIT at once over the capture" },
    { "stuck_fin_wait_1", FS_TALLY_COUNT_END_STATE,
      FS_TCP_FIN_WAIT_1, TRUE, TRUE,
      "endpoints left in FIN_WAIT_1" },
    { "stuck_fin_wait_2", FS_TALLY_COUNT_END_STATE,
      FS_TCP_FIN_WAIT_2, TRUE, TRUE,
      "endpoints left in FIN_WAIT_2" },
    { "stuck_close_wait", FS_TALLY_COUNT_END_STATE,
      FS_TCP_CLOSE_WAIT, TRUE, TRUE,
      "endpoints left in CLOSE_WAIT" },
    { "stuck_closing", FS_TALLY_COUNT_END_STATE,
      FS_TCP_CLOSING, TRUE, TRUE,
      "endpoints left in CLOSING" },
    { "stuck_last_ack", FS_TALLY_COUNT_END_STATE,
      FS_TCP_LAST_ACK, TRUE, TRUE,
      "endpoints left in LAST_ACK" },
    { "one_sided", FS_TALLY_COUNT_FLAG,
      FS_FLAG_ONE_SIDED, FALSE, TRUE,
      "connections captured in one direction only" },
    { "roles_inferred", FS_TALLY_COUNT_FLAG,
      FS_FLAG_ROLES_INFERRED, FALSE, TRUE,
      "connections whose handshake was not captured" },
    { "data_after_fin", FS_TALLY_COUNT_FLAG,
      FS_FLAG_DATA_AFTER_FIN, FALSE, TRUE,
      "connections with payload beyond a FIN" },
    { "time_wait_assassinated", FS_TALLY_COUNT_FLAG,
      FS_FLAG_TIME_WAIT_ASSASSINATED, FALSE, TRUE,
      "connections whose TIME_WAIT an RST ended" },
    { "aborts_after_close", FS_TALLY_COUNT_FLAG,
      FS_FLAG_ABORT_AFTER_CLOSE, FALSE, TRUE,
      "connections reset by an endpoint that had closed and then got data "
      "(never in TIME_WAIT)" },
    { "rst_ignored", FS_TALLY_COUNT_FLAG,
      FS_FLAG_RST_IGNORED, FALSE, TRUE,
      "connections with an RST its receiver would not accept" },
    { "peer_silent", FS_TALLY_COUNT_FLAG,
      FS_FLAG_PEER_SILENT, FALSE, TRUE,
      "connections whose FIN was sent again and never acknowledged" },
    { "reuse_in_time_wait", FS_TALLY_COUNT_FLAG,
      FS_FLAG_REUSE_IN_TIME_WAIT, FALSE, TRUE,
      "connections opened while the 4-tuple was in TIME_WAIT" },
    { "old_duplicates", FS_TALLY_COUNT_FLAG,
      FS_FLAG_OLD_DUPLICATE, FALSE, TRUE,
      "connections that saw segments of an older incarnation" },
    { "capture_loss", FS_TALLY_COUNT_FLAG,
      FS_FLAG_CAPTURE_LOSS, FALSE, TRUE,
      "connections with ACKs for bytes never captured" },
    { "illegal_flags", FS_TALLY_COUNT_FLAG,
      FS_FLAG_ILLEGAL_FLAGS, FALSE, TRUE,
      "connections with flag mixes no stack sends" },
    /* the handshake's failure classes: not in baselines (older baselines
     * stay valid) */
    { "syn_unanswered", FS_TALLY_COUNT_HANDSHAKE,
      FS_HANDSHAKE_SYN_UNANSWERED, FALSE, FALSE,
      "connections whose SYN got no answer" },
    { "refused", FS_TALLY_COUNT_HANDSHAKE, FS_HANDSHAKE_REFUSED, FALSE,
      FALSE, "connections whose SYN the server answered with RST" },
    { "handshakes_given_up", FS_TALLY_COUNT_HANDSHAKE,
      FS_HANDSHAKE_GIVEN_UP, FALSE, FALSE,
      "connections whose SYN-ACK was never acknowledged (then RST, or the "
      "server gave up)" },
};

const FsTallyField *
fs_tally_fields(guint *n)
{
    *n = G_N_ELEMENTS(fields);
    return fields;
}

const FsTallyField *
fs_tally_field_find(const char *name, gsize len)
{
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
        if (strlen(fields[i].name) == len &&
            strncmp(fields[i].name, name, len) == 0)
            return &fields[i];
    }
    return NULL;
}

guint64
fs_tally_field_value(const FsTallyField *f, const FsTally *t)
{
    switch (f->count) {
    case FS_TALLY_COUNT_ALL:             return t->connections;
    case FS_TALLY_COUNT_CLOSE:           return t->by_close[f->arg];
    case FS_TALLY_COUNT_CLOSER:          return t->by_closer[f->arg];
    case FS_TALLY_COUNT_RST_FROM:        return t->rst_from[f->arg];
    case FS_TALLY_COUNT_FLAG:            return t->by_flag[f->arg];
    case FS_TALLY_COUNT_FINAL_ACK_LOST:  return t->final_ack_lost;
    case FS_TALLY_COUNT_FIN_RETRANSMITS: return t->fin_retransmits;
    case FS_TALLY_COUNT_END_STATE:
        if (f->arg == FS_TCP_TIME_WAIT)
            return t->time_wait_at_end;
        return t->end_states[f->arg];
    case FS_TALLY_COUNT_TIME_WAIT_PEAK:  return t->time_wait_at_end;
    case FS_TALLY_COUNT_HANDSHAKE:       return t->by_handshake[f->arg];
    }
    g_return_val_if_reached(0);
}
