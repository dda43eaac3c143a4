/* finscope: detectors across the incarnations of one 4-tuple — reuse
 * within 2*MSL, old duplicates, and frames captured twice. */
#ifndef FINSCOPE_DETECT_H
#define FINSCOPE_DETECT_H

#include <glib.h>
#include "finscope/conn.h"
#include "finscope/decode.h"
#include "finscope/event.h"
#include "finscope/tcpstate.h"

/* What the engine does with a segment after the detectors saw it. */
typedef enum {
    FS_DETECT_PROCESS,   /* run it through the state machine of *conn */
    FS_DETECT_SKIP,      /* counted (duplicate frame, old duplicate) only */
} FsDetectVerdict;

/* Receives each event the detectors (and the steps they take) produce. */
typedef void (*FsEmitFunc)(const FsEvent *ev, gpointer user);

typedef struct {
    FsEmitFunc emit;     /* where events go */
    gpointer user;
} FsDetectContext;

/* Records how conn, a new incarnation opened by seg (a SYN), reuses the
 * 4-tuple of prev: who still held state, whether the SYN was safe by the
 * rules of RFC 1122 §4.2.2.13 and RFC 6191. */
void fs_detect_reuse(const FsDetectContext *ctx, FsConn *prev, FsConn *conn,
                     const FsSegment *seg);

/* Picks the incarnation a segment belongs to (*conn, on entry the newest
 * of its 4-tuple; older ones by conn->older) by sequence space, judges
 * old duplicates and duplicate frames, and notes the answer to a reusing
 * SYN. *role is the sender's FsRole in *conn, on entry and on return. */
FsDetectVerdict fs_detect_segment(const FsDetectContext *ctx, FsConn **conn,
                                  FsRole *role, const FsSegment *seg);

const char *fs_reuse_outcome_name(FsReuseOutcome outcome);

#endif /* FINSCOPE_DETECT_H */
