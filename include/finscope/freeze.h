/* finscope: frozen connections. A connection that has been quiet for a
 * while (most of them: closed, waiting out 2*MSL) is kept as its links
 * (FS_CONN_LINKS_SIZE bytes, as they are), its addresses (9 bytes for
 * IPv4: the family and the 4 bytes of each; IPv6 as they are) and a
 * compact, lossless encoding of the rest: ~145 bytes in all (the bench's
 * medium-b trace, as its connections are frozen; ~100 of them encoded)
 * instead of sizeof(FsConn). */
#ifndef FINSCOPE_FREEZE_H
#define FINSCOPE_FREEZE_H

#include <string.h>

#include <glib.h>
#include "finscope/conn.h"
#include "finscope/pool.h"

static inline gboolean
fs_conn_is_frozen(const FsConn *conn)
{
    return conn->frozen_len != 0;
}

/* Frozen, an IPv4 connection keeps its addresses as the family byte (in
 * addr[0].family's place) and the 4 bytes of each. */
#define FS_FROZEN_V4_ADDRS_SIZE 9

/* Bytes conn's addresses take in its frozen form. */
static inline gsize
fs_conn_frozen_addrs_size(const FsConn *conn)
{
    return conn->addr[0].family == 4 ? FS_FROZEN_V4_ADDRS_SIZE
                                     : sizeof conn->addr;
}

/* conn's addresses (client, server), frozen or not. */
static inline void
fs_conn_addresses(const FsConn *conn, FsAddr out[2])
{
    const guint8 *v4 = &conn->addr[0].family + 1;

    if (!fs_conn_is_frozen(conn) || conn->addr[0].family != 4) {
        memcpy(out, conn->addr, sizeof conn->addr);
        return;
    }
    memset(out, 0, 2 * sizeof *out);
    for (int r = 0; r < 2; r++) {
        out[r].family = 4;
        memcpy(out[r].bytes, v4 + 4 * r, 4);
    }
}

/* A new block of pool (NULL: of g_malloc) holding conn frozen: its links
 * as they are, its addresses, the rest encoded. fs_conn_free() it. */
FsConn *fs_conn_freeze(const FsConn *conn, FsPool *pool);

/* Decodes frozen into *out, a whole FsConn (head included, frozen_len 0).
 * FALSE if the encoding is damaged (a bug: it never leaves the process). */
gboolean fs_conn_thaw_into(const FsConn *frozen, FsConn *out);

/* What settling frozen (fs_tcpstate_settles_quietly(),
 * fs_tcpstate_expire_view()) reads of it, decoded (its values, not the
 * whole record written out): FALSE if the encoding is damaged. */
gboolean fs_conn_frozen_settle_view(const FsConn *frozen,
                                    FsSettleView *view);

/* Thaws frozen into *out and settles it as how says, as the store
 * would have: for a record the store found fs_tcpstate_settles_quietly()
 * (with how's state_events_dropped) and handed over frozen. FALSE if the
 * encoding is damaged or the settling emitted what that does not allow
 * (a bug either way). */
gboolean fs_conn_thaw_settled(const FsConn *frozen, FsConn *out,
                              const FsSettleHow *how);


/* Bytes allocated for a frozen connection (links, addresses, encoding). */
static inline gsize
fs_conn_frozen_size(const FsConn *frozen)
{
    return FS_CONN_LINKS_SIZE + fs_conn_frozen_addrs_size(frozen) +
           frozen->frozen_len;
}

/* Bytes allocated for conn, frozen or whole. */
static inline gsize
fs_conn_size(const FsConn *conn)
{
    return fs_conn_is_frozen(conn) ? fs_conn_frozen_size(conn)
                                   : sizeof *conn;
}

/* conn all zero, 64 bytes at a time: a few vector stores, where one
 * memset of it all is a rep stos (one instruction a word in
 * callgrind's count). */
static inline void
fs_conn_zero(FsConn *conn)
{
    for (gsize i = 0; i < sizeof *conn / 64; i++)
        memset((guint8 *)conn + 64 * i, 0, 64);
    memset((guint8 *)conn + sizeof *conn / 64 * 64, 0, sizeof *conn % 64);
}

/* A block for a whole connection, its bytes undefined: of pool (NULL:
 * of g_malloc). One a connection and one a thaw: from the pool, no
 * malloc header and no malloc call. fs_conn_free() it. */
static inline FsConn *
fs_conn_alloc_whole(FsPool *pool)
{
    return pool != NULL ? fs_pool_alloc(pool, sizeof(FsConn))
                        : g_new(FsConn, 1);
}

/* A new whole connection, all zero (fs_conn_alloc_whole()). */
static inline FsConn *
fs_conn_new_whole(FsPool *pool)
{
    FsConn *conn = fs_conn_alloc_whole(pool);

    fs_conn_zero(conn);
    return conn;
}

/* Frees conn to pool, the one it was frozen in or made whole in
 * (fs_conn_new_whole()); with pool NULL, to g_free. */
static inline void
fs_conn_free(FsConn *conn, FsPool *pool)
{
    if (conn == NULL)
        return;
    if (pool == NULL)
        g_free(conn);
    else
        fs_pool_release(pool, conn, fs_conn_size(conn));
}

/* frozen's head as a whole record's (its links, frozen_len 0, its
 * addresses), the rest of *out zero. */
static inline void
fs_conn_head_of(const FsConn *frozen, FsConn *out)
{
    fs_conn_zero(out);
    memcpy(out, frozen, FS_CONN_LINKS_SIZE);
    out->frozen_len = 0;
    fs_conn_addresses(frozen, out->addr);
}

#endif /* FINSCOPE_FREEZE_H */
