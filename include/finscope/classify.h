/* finscope: per-connection verdicts, pure functions of a connection. */
#ifndef FINSCOPE_CLASSIFY_H
#define FINSCOPE_CLASSIFY_H

#include <glib.h>
#include "finscope/conn.h"

typedef enum {
    FS_CLOSE_OPEN,       /* no FIN or RST seen */
    FS_CLOSE_GRACEFUL,   /* both FINs sent and acknowledged */
    FS_CLOSE_RESET,      /* an RST ended it before both FINs were acked */
    FS_CLOSE_INCOMPLETE, /* a close began but did not finish */
} FsCloseKind;

typedef enum {
    FS_CLOSER_NONE = -1,
    FS_CLOSER_CLIENT = FS_ROLE_CLIENT,
    FS_CLOSER_SERVER = FS_ROLE_SERVER,
    FS_CLOSER_SIMULTANEOUS = 2,
} FsCloser;

FsCloseKind fs_classify_close(const FsConn *conn);
const char *fs_close_kind_name(FsCloseKind kind);

FsCloser fs_classify_active_closer(const FsConn *conn);
const char *fs_closer_name(FsCloser closer); /* NULL for FS_CLOSER_NONE */

/* First FIN to the last ACK of the close, ns; -1 when not complete. */
FsTime fs_classify_close_duration(const FsConn *conn);

/* TRUE when data flowed after a FIN (the peer kept sending). */
gboolean fs_classify_half_close(const FsConn *conn);

/* The state to report for one endpoint: UNKNOWN where not visible. */
FsTcpState fs_classify_end_state(const FsConn *conn, FsRole role);

/* Appends the names of the connection's notable traits (const strings,
 * fixed order): "simultaneous_close", "fin_retransmit", "one_sided", ... */
void fs_classify_flags(const FsConn *conn, GPtrArray *names);

#endif /* FINSCOPE_CLASSIFY_H */
