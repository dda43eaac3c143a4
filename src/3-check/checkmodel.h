/* finscope: what `finscope check` keeps of each connection's verdict. */
#ifndef FINSCOPE_CHECKMODEL_H
#define FINSCOPE_CHECKMODEL_H

#include <glib.h>
#include "finscope/classify.h"
#include "finscope/conn.h"
#include "finscope/engine.h"
#include "tally.h"

/* The verdict on one connection, copied out of its FsConn (valid only
 * during FsEngineSink.on_conn). Arrays are indexed by FsRole. */
typedef struct {
    guint64 id;                 /* FsConn.id: order of first packet */
    FsAddr addr[2];             /* client, server */
    guint16 port[2];            /* client, server */
    guint32 vlan;               /* (outer VID << 12) | inner VID; 0 none */
    FsTime t_first;             /* first packet, ns */
    FsCloseKind close;          /* fs_classify_close() */
    FsCloser active_closer;     /* fs_classify_active_closer() */
    gint8 rst_from;             /* FsRole of the first RST, FS_ROLE_NONE */
    FsTcpState end_state[2];    /* fs_classify_end_state(), by role */
    guint32 fin_retransmits[2]; /* FIN transmissions beyond the first */
    guint32 final_ack_lost;     /* FIN re-sent after its ACK was seen */
    FsHandshake handshake;      /* fs_classify_handshake(); COMPLETED when
                                   read from a baseline */
    guint32 flags;              /* FS_FLAG_BIT()s of fs_classify_flags();
                                   fs_flag_name() gives their names */
    guint32 old_duplicates;     /* segments of an older incarnation */
} FsCheckConn;

/* Every connection of a run and the settings that shaped the verdicts. */
typedef struct {
    GPtrArray *conns;         /* FsCheckConn*, in id order once sorted */
    FsTime msl;               /* maximum segment lifetime, ns */
    gboolean rfc1337;         /* RSTs in TIME_WAIT were ignored */
    gboolean tw_peak_known;   /* the engine reported TIME_WAIT peaks */
    guint64 tw_peak;          /* most endpoints in TIME_WAIT at once */
    GHashTable *tw_peak_host; /* host string -> guint64* its peak */
} FsCheckModel;

FsCheckModel *fs_check_model_new(const FsEngineConfig *cfg);
void fs_check_model_free(FsCheckModel *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsCheckModel, fs_check_model_free)

/* The verdict on conn (outcome: fs_classify_outcome() of it), copied out
 * (fs_check_conn_free() frees it). */
FsCheckConn *fs_check_conn_new(const FsConn *conn, const FsOutcome *outcome);

/* Copies the verdict on conn into the model and returns the copy. */
FsCheckConn *fs_check_model_add(FsCheckModel *m, const FsConn *conn,
                                const FsOutcome *outcome);

/* Takes c (allocated with g_new0). */
void fs_check_model_take(FsCheckModel *m, FsCheckConn *c);

/* Records the most endpoints in TIME_WAIT at any one moment, over all
 * hosts (host NULL) or on one host (its address, as fs_addr_format()
 * writes it). Until this is called time_wait_peak falls back to the
 * count at the end of the capture. */
void fs_check_model_set_time_wait_peak(FsCheckModel *m, const char *host,
                                       guint64 peak);

/* Puts the connections in id order (the engine may finish them out of
 * order). */
void fs_check_model_sort(FsCheckModel *m);

/* An FsEngineSink whose on_conn adds each finished connection to m. */
FsEngineSink fs_check_model_sink(FsCheckModel *m);

void fs_check_conn_free(FsCheckConn *c);

/* The verdict on c as the tally adds it (fs_tally_add()). */
void fs_check_conn_outcome_of(const FsCheckConn *c, FsOutcome *out);

/* TRUE when fs_classify_flags() named flag for c. */
gboolean fs_check_conn_has_flag(const FsCheckConn *c, const char *flag);

/* "#3 10.0.0.1:40000 > 10.0.0.2:80 vlan 7 started 2026-01-01T00:00:00.
 * 000100Z": who, where and when, to find it in a packet viewer. */
char *fs_check_conn_describe(const FsCheckConn *c);

/* "close=reset active_closer=- rst_from=server client_end=CLOSED
 * server_end=CLOSED flags=-": the outcome, as a baseline line shows it. */
char *fs_check_conn_outcome(const FsCheckConn *c);

/* The VLAN key as check writes it (fs_vlan_format()): "200", or
 * "100,200" for QinQ; NULL when untagged. */
char *fs_check_vlan_format(guint32 vlan);

#endif /* FINSCOPE_CHECKMODEL_H */
