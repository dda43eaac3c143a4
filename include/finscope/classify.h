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

/* How the connection's opening went: a connection that never became
 * established is its own failure class, not "open" or "reset". */
typedef enum {
    FS_HANDSHAKE_COMPLETED,      /* the server saw the ACK of its SYN-ACK */
    FS_HANDSHAKE_NOT_SEEN,       /* the capture began after it */
    FS_HANDSHAKE_SYN_UNANSWERED, /* SYN, no SYN-ACK or RST back */
    FS_HANDSHAKE_REFUSED,        /* the server answered the SYN with RST */
    FS_HANDSHAKE_GIVEN_UP,       /* SYN-ACK, no ACK: then RST, or the
                                    server's give-up time passed */
    FS_HANDSHAKE_UNFINISHED,     /* SYN-ACK, no ACK, and the record ended
                                    before the give-up time */
    FS_HANDSHAKE_N
} FsHandshake;

/* How long a server retries an unacknowledged SYN-ACK before it drops
 * the embryonic connection (Linux, tcp_synack_retries 5: 63 s); the
 * engine's FS_ENGINE_SYNACK_GIVE_UP is the same time. */
#define FS_CLASSIFY_SYNACK_GIVE_UP (63 * FS_NS_PER_SEC)

FsHandshake fs_classify_handshake(const FsConn *conn);
const char *fs_handshake_name(FsHandshake hs);

/* From the last payload byte either side sent to the first FIN (or the
 * first RST when no FIN came), ns: the idle time that load balancers
 * and applications time out on; -1 without payload or without a close. */
FsTime fs_classify_idle_before_close(const FsConn *conn);

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
