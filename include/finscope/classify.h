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
/* The other side of a client or server active closer; NULL otherwise. */
const char *fs_passive_closer_name(FsCloser closer);

/* First FIN to the last ACK of the close, ns; -1 when not complete. */
FsTime fs_classify_close_duration(const FsConn *conn);

/* TRUE when data flowed after a FIN (the peer kept sending). */
gboolean fs_classify_half_close(const FsConn *conn);

/* Why rst_from is undecided when conn->rst_uncertain is set. */
#define FS_RST_UNDECIDED_REASON                                          \
    "whether the RST's receiver accepted it is a guess: it sent no ACK " \
    "in the capture, the RST is below what its sender had sent before "  \
    "it, the receiver sent an RST of its own after it, or an endpoint "  \
    "sent new data, a FIN or (the receiver) an ACK of all the RST's "    \
    "sender had sent, or data again with a newer TSval, after it (a "    \
    "reset socket sends nothing: lost past the sensor, or forged in "    \
    "its sender's name)"

/* TRUE when the findings rest on a partial view: the capture missed
 * packets (capture_loss) or shows one direction only past the handshake
 * (one_sided: the other side's FIN, ACKs and RSTs are out of sight). */
gboolean fs_classify_confidence_low(const FsConn *conn);

/* TRUE when who closed first is a guess (of fs_classify_confidence_low()'s
 * reasons, those about the close's start: one side seen past its SYN,
 * or the capture began with a FIN; capture loss elsewhere leaves the
 * order of two captured FINs proven). */
gboolean fs_classify_closer_guessed(const FsConn *conn);

/* The state to report for one endpoint: UNKNOWN where not visible. */
FsTcpState fs_classify_end_state(const FsConn *conn, FsRole role);

/* Appends the names of the connection's notable traits (const strings,
 * fixed order): "simultaneous_close", "fin_retransmit", "one_sided", ... */
void fs_classify_flags(const FsConn *conn, GPtrArray *names);

/* A connection's notable traits as bits; fs_flag_name() gives the names
 * fs_classify_flags() writes, in the same order. */
typedef enum {
    FS_FLAG_SIMULTANEOUS_CLOSE,
    FS_FLAG_THREE_WAY_CLOSE,
    FS_FLAG_HALF_CLOSE,
    FS_FLAG_FIN_RETRANSMIT,
    FS_FLAG_FINAL_ACK_LOST,
    FS_FLAG_DATA_AFTER_FIN,
    FS_FLAG_RST_ANSWERS_FIN,
    FS_FLAG_ABORT_AFTER_CLOSE,
    FS_FLAG_RST_IGNORED,
    FS_FLAG_PEER_SILENT,
    FS_FLAG_FIN_BEYOND_DATA,
    FS_FLAG_TIME_WAIT_ASSASSINATED,
    FS_FLAG_REUSE_IN_TIME_WAIT,
    FS_FLAG_REUSE_REJECTED,
    FS_FLAG_DUPLICATE_FRAME,
    FS_FLAG_OLD_DUPLICATE,
    FS_FLAG_CAPTURE_LOSS,
    FS_FLAG_ILLEGAL_FLAGS,
    FS_FLAG_ONE_SIDED,
    FS_FLAG_ROLES_INFERRED,
    FS_FLAG_EVICTED,
    FS_FLAG_N,
} FsFlag;

#define FS_FLAG_BIT(f) (1u << (f))

const char *fs_flag_name(FsFlag flag);
/* The flag named name, or -1 when the table has no such name. */
int fs_flag_from_name(const char *name);
/* The bits of a NULL-ended list of flag names (unknown names ignored). */
guint32 fs_flag_bits(const char *const *names);
/* Appends the names (const strings) of the bits set in flags, in FsFlag
 * order. */
void fs_flag_names(guint32 flags, GPtrArray *names);

/* The verdict on one connection, worked out once when its record is
 * handed over (the engine passes it to FsEngineSink.on_conn): every view
 * (text row, JSON record, tally, metrics, check) reads it and classifies
 * nothing itself. Arrays are indexed by FsRole. */
typedef struct {
    FsCloseKind close;          /* fs_classify_close() */
    FsCloser active_closer;     /* fs_classify_active_closer() */
    gint8 rst_from;             /* FsRole of the first RST, FS_ROLE_NONE */
    gboolean half_close;        /* fs_classify_half_close() */
    FsTcpState end_state[2];    /* fs_classify_end_state(), by role */
    guint32 fin_retransmits[2]; /* FIN transmissions beyond the first */
    guint32 final_ack_lost;     /* FIN re-sent after its ACK was seen */
    guint32 flags;              /* FS_FLAG_BIT()s of fs_classify_flags() */
    guint32 old_duplicates;     /* segments of an older incarnation */
    FsHandshake handshake;      /* fs_classify_handshake() */
    FsTime close_duration;      /* fs_classify_close_duration(), ns */
    FsTime idle_before_close;   /* fs_classify_idle_before_close(), ns */
} FsOutcome;

/* All of the above, for conn's final record. */
void fs_classify_outcome(const FsConn *conn, FsOutcome *out);

#endif /* FINSCOPE_CLASSIFY_H */
