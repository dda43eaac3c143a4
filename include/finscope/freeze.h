/* finscope: frozen connections. A connection that has been quiet for a
 * while (most of them: closed, waiting out 2*MSL) is kept as its head —
 * flow key and links, FS_CONN_HEAD_SIZE bytes — and a compact, lossless
 * encoding of the rest: ~100 bytes instead of sizeof(FsConn). */
#ifndef FINSCOPE_FREEZE_H
#define FINSCOPE_FREEZE_H

#include <glib.h>
#include "finscope/conn.h"

static inline gboolean
fs_conn_is_frozen(const FsConn *conn)
{
    return conn->frozen_len != 0;
}

/* A new allocation (g_free() it) holding conn frozen: its head as it is
 * and the rest encoded. */
FsConn *fs_conn_freeze(const FsConn *conn);

/* Decodes frozen into *out, a whole FsConn (head included, frozen_len 0).
 * FALSE if the encoding is damaged (a bug: it never leaves the process). */
gboolean fs_conn_thaw_into(const FsConn *frozen, FsConn *out);

/* Bytes allocated for a frozen connection (head + encoding). */
static inline gsize
fs_conn_frozen_size(const FsConn *frozen)
{
    return FS_CONN_HEAD_SIZE + frozen->frozen_len;
}

#endif /* FINSCOPE_FREEZE_H */
