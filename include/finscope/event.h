/* finscope: timestamped events that the engine reports as they happen. */
#ifndef FINSCOPE_EVENT_H
#define FINSCOPE_EVENT_H

#include <glib.h>
#include "finscope/types.h"
#include "finscope/tcpstate.h"

typedef enum {
    FS_EV_STATE,              /* an endpoint changed state */
    FS_EV_FIN,                /* first FIN of an endpoint */
    FS_EV_RST,                /* first accepted RST of the connection */
    FS_EV_SIMULTANEOUS_CLOSE, /* FINs crossed (decided by ack numbers) */
    FS_EV_HALF_CLOSE,         /* data sent after the peer's FIN */
    FS_EV_FIN_RETRANSMIT,     /* the same FIN sent again */
    FS_EV_FINAL_ACK_LOST,     /* FIN re-sent after its ACK was seen */
    FS_EV_DATA_AFTER_FIN,     /* payload beyond the sender's own FIN */
    FS_EV_ILLEGAL_FLAGS,      /* SYN+FIN, FIN without ACK, ... */
    FS_EV_TIME_WAIT_ASSASSINATED, /* RST accepted in TIME_WAIT */
    FS_EV_CAPTURE_LOSS,       /* ACK for bytes never captured */
    FS_EV_OLD_DUPLICATE,      /* segment of an older incarnation */
    FS_EV_REUSE_IN_TIME_WAIT, /* new SYN while the 4-tuple is in TW */
    FS_EV_REUSE_REJECTED,     /* new SYN refused: old state still held */
    FS_EV_RST_ANSWERS_FIN,    /* RST to a retransmitted FIN: no TIME_WAIT */
    FS_EV_RST_AFTER_FIN,      /* RST from a side that had sent its FIN */
    FS_EV_FIN_BEYOND_DATA,    /* FIN past the highest data captured */
    FS_EV_DUPLICATE_FRAME,    /* the same frame captured twice */
    FS_EV_RST_IGNORED,        /* an RST its receiver would not accept */
    FS_EV_ABORT_AFTER_CLOSE,  /* data reached a closed socket: it reset */
    FS_EV_PEER_SILENT,        /* a FIN never acked: the peer went away */
    FS_EV_HALF_OPEN_RESET,    /* RST from SYN_SENT to a stale ACK */
    FS_EV_STATE_LOST,         /* RST of a port that had lost the connection */
    FS_EV_HANDSHAKE_ACK_LOST, /* SYN-ACK re-sent after its ACK was seen */
    FS_EV_FIN_IGNORED,        /* a FIN its receiver would not accept */
    FS_EV_FIN_RTX_SPURIOUS,   /* a D-SACK of a FIN sent again: an
                                 earlier copy had arrived */
    FS_EV_N_KINDS
} FsEventKind;

/* snake_case name used in JSON, text and tests: "fin_retransmit", ... */
const char *fs_event_kind_name(FsEventKind kind);

/* TRUE for the kinds that mean something went wrong (anomaly flags). */
gboolean fs_event_kind_is_anomaly(FsEventKind kind);

struct FsConn;

typedef struct FsEvent {
    FsTime ts;               /* capture time of the segment that caused it */
    const struct FsConn *conn; /* the incarnation it happened on */
    guint64 conn_id;         /* FsConn.id */
    FsEventKind kind;
    gint8 role;              /* endpoint concerned (FsRole), FS_ROLE_NONE */
    FsTransition transition; /* for FS_EV_STATE */
    guint32 seq;             /* sequence number concerned, if any */
    gint64 value;            /* kind-specific: retransmit interval ns */
    const char *detail;      /* explanation, or NULL: static text (a
                                string literal), never built at run
                                time nor changed: --json keeps each
                                detail's JSON by its address
                                (report-json.c, put_detail()), so text
                                at an address used again would print
                                stale */
    guint32 frame;           /* frame of the segment that caused it, 1-based
                                in its file; 0 = none (a timer acted) */
    guint32 source;          /* index of that frame's capture file */
} FsEvent;

#endif /* FINSCOPE_EVENT_H */
