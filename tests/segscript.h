/* finscope tests: feed a segment script straight into the engine. */
#ifndef FINSCOPE_SEGSCRIPT_H
#define FINSCOPE_SEGSCRIPT_H

#include <glib.h>
#include "finscope/conn.h"
#include "finscope/engine.h"
#include "finscope/event.h"

#define C2S 'C' /* client 10.0.0.1:40000 -> server 10.0.0.2:80 */
#define S2C 'S' /* server -> client */
/* 'c' and 's': the same for a second client port, 40001 */

typedef struct {
    char dir;          /* C2S or S2C */
    const char *flags; /* letters S F R P A, e.g. "FA"; with D the
                          segment carries a D-SACK (RFC 2883) of the
                          byte below its ack, [ack - 1, ack) (a FIN
                          there received twice); with d, of the 100
                          bytes below that, [ack - 101, ack - 1) */
    guint32 seq;       /* sequence number */
    guint32 ack;       /* ack number (used when A is set) */
    guint32 len;       /* payload bytes */
    gint64 t_ms;       /* time in ms from the script's start */
    guint32 tsval;     /* TCP timestamp TSval; 0 = no timestamps option */
    guint32 win;       /* window field; 0 = 65535 */
    guint16 cport;     /* client port; 0 = 40000 ('C'/'S') or 40001 */
} FsScriptStep;

typedef struct {
    GArray *conns;    /* FsConn, copies of each final record, in the order
                         the engine finished them */
    GArray *events;   /* FsEvent, in emission order */
    GArray *finished_at; /* guint64: engine's stats.tcp_segments when each
                            record came out (streaming) */
    FsEngineStats stats;  /* the engine's counters after finish */
    GArray *tw_hosts; /* FsHostTimeWait, busiest peak first */
} FsScriptResult;

/* Runs the steps through a fresh engine (MSL 30 s unless cfg says
 * otherwise) and returns what it reported. */
FsScriptResult *fs_script_run(const FsScriptStep *steps, gsize n_steps,
                              const FsEngineConfig *cfg);
void fs_script_result_free(FsScriptResult *res);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsScriptResult, fs_script_result_free)

/* The segment a step stands for (for tests driving an engine by hand). */
void fs_script_segment(const FsScriptStep *step, FsSegment *seg);

/* The first connection's record. */
const FsConn *fs_script_conn(const FsScriptResult *res, guint i);

/* Number of events of kind (for role, or any role with FS_ROLE_NONE). */
guint fs_script_count(const FsScriptResult *res, FsEventKind kind, int role);

/* Script start time: 2026-01-01T00:00:00Z, so times look real. */
#define FS_SCRIPT_T0 (G_GINT64_CONSTANT(1767225600) * FS_NS_PER_SEC)

#endif /* FINSCOPE_SEGSCRIPT_H */
