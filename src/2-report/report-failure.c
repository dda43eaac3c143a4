/* finscope: failure classes — handshakes that never completed, aborts
 * after close, and who sends the resets. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "report-failure.h"

#define MAX_RST_SENDERS 65536

struct FsFailures {
    guint64 handshake[FS_HANDSHAKE_N]; /* records by FsHandshake */
    guint64 aborts_after_close;        /* records flagged so */
    GHashTable *rst_senders;           /* "ip:port" (a server) or "ip" (a
                                          client) -> guint64* resets */
};

typedef struct {
    const char *sender;
    guint64 resets;
} Sender;

FsFailures *
fs_failures_new(void)
{
    FsFailures *f = g_new0(FsFailures, 1);

    f->rst_senders = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           g_free);
    return f;
}

void
fs_failures_free(FsFailures *f)
{
    if (f == NULL)
        return;
    g_hash_table_destroy(f->rst_senders);
    g_free(f);
}

/* A server sends its RSTs from its service's ip:port; a client from an
 * ephemeral port, which says nothing and would make one entry per
 * connection: it counts by host. At most MAX_RST_SENDERS are tracked (a
 * scan of closed ports must not grow the table without end); a sender
 * first seen after that is not. */
void
fs_failures_add_rst_sender(FsFailures *f, const char *name, guint64 resets)
{
    guint64 *n = g_hash_table_lookup(f->rst_senders, name);

    if (n == NULL) {
        if (g_hash_table_size(f->rst_senders) >= MAX_RST_SENDERS)
            return;
        n = g_new0(guint64, 1);
        g_hash_table_insert(f->rst_senders, g_strdup(name), n);
    }
    *n += resets;
}

static void
count_rst_sender(FsFailures *f, const FsConn *conn)
{
    char name[FS_ENDPOINT_STRLEN];
    int role = conn->rst_from;

    if (role == FS_ROLE_SERVER)
        fs_endpoint_format(&conn->addr[role], conn->port[role], name,
                           sizeof name);
    else
        fs_addr_format(&conn->addr[role], name, sizeof name);
    fs_failures_add_rst_sender(f, name, 1);
}

void
fs_failures_add(FsFailures *f, const FsConn *conn, const FsOutcome *outcome)
{
    f->handshake[outcome->handshake]++;
    f->aborts_after_close += conn->aborted_after_close;
    if (conn->rst_from != FS_ROLE_NONE)
        count_rst_sender(f, conn);
}

static gint
sender_cmp(gconstpointer a, gconstpointer b)
{
    const Sender *x = a;
    const Sender *y = b;

    if (x->resets != y->resets)
        return x->resets > y->resets ? -1 : 1;
    return strcmp(x->sender, y->sender);
}

/* The top RST senders, most resets first, ties by name. */
static GArray *
top_senders(const FsFailures *f, guint max)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(Sender));
    GHashTableIter it;
    gpointer k;
    gpointer v;

    g_hash_table_iter_init(&it, f->rst_senders);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        Sender s = { k, *(guint64 *)v };

        g_array_append_val(out, s);
    }
    g_array_sort(out, sender_cmp);
    if (max > 0 && out->len > max)
        g_array_set_size(out, max);
    return out;
}

void
fs_failures_json_rst_senders(FsJson *j, const FsFailures *f, gboolean every)
{
    g_autoptr(GArray) top =
        top_senders(f, every ? 0 : FS_FAILURE_TOP_RST_SENDERS);

    fs_json_begin_array(j);
    for (guint i = 0; i < top->len; i++) {
        const Sender *s = &g_array_index(top, Sender, i);

        fs_json_begin_object(j);
        FS_JSON_KEY(j, "sender");
        fs_json_string(j, s->sender);
        FS_JSON_KEY(j, "resets");
        fs_json_uint(j, s->resets);
        fs_json_end_object(j);
    }
    fs_json_end_array(j);
}

void
fs_failures_json_summary(FsJson *j, const FsFailures *f, gboolean every)
{
    FS_JSON_KEY(j, "handshake");
    fs_json_begin_object(j);
    for (int k = 0; k < FS_HANDSHAKE_N; k++) {
        fs_json_key(j, fs_handshake_name((FsHandshake)k));
        fs_json_uint(j, f->handshake[k]);
    }
    fs_json_end_object(j);
    FS_JSON_KEY(j, "aborts_after_close");
    fs_json_uint(j, f->aborts_after_close);
    FS_JSON_KEY(j, "rst_senders");
    fs_failures_json_rst_senders(j, f, every);
}

void
fs_failures_print(const FsFailures *f, FILE *out)
{
    g_autoptr(GArray) top = top_senders(f, FS_FAILURE_TOP_RST_SENDERS);
    const guint64 *n = f->handshake;
    guint64 failed = n[FS_HANDSHAKE_SYN_UNANSWERED] + n[FS_HANDSHAKE_REFUSED] +
                     n[FS_HANDSHAKE_GIVEN_UP] + n[FS_HANDSHAKE_UNFINISHED];

    if (failed > 0)
        fprintf(out, "  never established     %" G_GUINT64_FORMAT
            " (SYN unanswered %" G_GUINT64_FORMAT ", refused %"
            G_GUINT64_FORMAT ", handshake given up %" G_GUINT64_FORMAT
            ", unfinished %" G_GUINT64_FORMAT ")\n",
            failed,
            n[FS_HANDSHAKE_SYN_UNANSWERED], n[FS_HANDSHAKE_REFUSED],
            n[FS_HANDSHAKE_GIVEN_UP], n[FS_HANDSHAKE_UNFINISHED]);
    if (f->aborts_after_close > 0)
        fprintf(out, "  aborts after close    %" G_GUINT64_FORMAT "\n",
                f->aborts_after_close);
    for (guint i = 0; i < top->len; i++) {
        const Sender *s = &g_array_index(top, Sender, i);

        fprintf(out, "%s%s %" G_GUINT64_FORMAT, i == 0
                ? "  RST senders           " : ", ", s->sender, s->resets);
    }
    if (top->len > 0)
        fprintf(out, "%s\n", g_hash_table_size(f->rst_senders) > top->len
                                 ? ", ..." : "");
}
