/* finscope: role inference — the servers seen answering a SYN. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "roles.h"

/* An (address, port) seen answering a SYN: a server, for role inference
 * on connections whose handshake was not captured. */
typedef struct {
    FsAddr addr;
    guint16 port;
} ServerKey;                /* zeroed first: compared whole */

/* Servers lately noted, direct-mapped by hash: most SYN-ACKs come from
 * a few servers, whose next one is then known without a look in the
 * table. Every key here is in the table (none ever leaves it). */
#define RECENT_SLOTS 256

struct FsRoles {
    GHashTable *servers;    /* ServerKey* set */
    ServerKey recent[RECENT_SLOTS]; /* family 0: empty */
};

/* What the engine's accounting charges for a known server: its key and
 * hash node (the engine's memory model: CONN_OVERHEAD, store.c). */
#define SERVER_COST (sizeof(ServerKey) + 48)

static guint
server_key_hash(gconstpointer p)
{
    const ServerKey *k = p;

    return (guint)fs_endpoint_hash(&k->addr, k->port);
}

static gboolean
server_key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(ServerKey)) == 0;
}

static void
server_key_set(ServerKey *k, const FsAddr *addr, guint16 port)
{
    memset(k, 0, sizeof *k);
    k->addr = *addr;
    k->port = port;
}

FsRoles *
fs_roles_new(void)
{
    FsRoles *roles = g_new0(FsRoles, 1);

    roles->servers = g_hash_table_new_full(server_key_hash,
                                           server_key_equal, g_free, NULL);
    return roles;
}

void
fs_roles_free(FsRoles *roles)
{
    if (roles == NULL)
        return;
    g_hash_table_destroy(roles->servers);
    g_free(roles);
}

static gboolean
is_known_server(const FsRoles *roles, const FsAddr *addr, guint16 port)
{
    ServerKey k;

    server_key_set(&k, addr, port);
    return g_hash_table_contains(roles->servers, &k);
}

gsize
fs_roles_note_server(FsRoles *roles, const FsSegment *seg)
{
    ServerKey probe;
    ServerKey *recent;

    server_key_set(&probe, &seg->src, seg->sport);
    recent = &roles->recent[server_key_hash(&probe) % RECENT_SLOTS];
    if (recent->addr.family != 0 && server_key_equal(recent, &probe))
        return 0;
    *recent = probe;
    if (g_hash_table_contains(roles->servers, &probe))
        return 0;
    g_hash_table_add(roles->servers, g_memdup2(&probe, sizeof probe));
    return SERVER_COST;
}

gboolean
fs_roles_client_is_sender(const FsRoles *roles, const FsSegment *seg,
                          gboolean *inferred)
{
    *inferred = FALSE;
    if (seg->flags & FS_TH_SYN)
        return !(seg->flags & FS_TH_ACK);
    *inferred = TRUE;
    if (is_known_server(roles, &seg->src, seg->sport))
        return FALSE;
    if (is_known_server(roles, &seg->dst, seg->dport))
        return TRUE;
    return seg->sport >= seg->dport;
}
