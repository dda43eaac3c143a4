/* finscope: the ladder diagram of one connection — its segments as
 * arrows between the two endpoints, with states and anomalies beside. */
#ifndef FINSCOPE_LADDER_H
#define FINSCOPE_LADDER_H

#include <glib.h>
#include "finscope/conn.h"
#include "finscope/decode.h"
#include "finscope/event.h"

typedef struct FsLadder FsLadder;

typedef struct {
    gboolean utf8;   /* box-drawing characters and arrows; else ASCII */
    gboolean colour; /* ANSI colours for states and anomalies */
} FsLadderStyle;

/* A ladder for conn, the connection's final record (copied). */
FsLadder *fs_ladder_new(const FsConn *conn);
void fs_ladder_free(FsLadder *ladder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsLadder, fs_ladder_free)

/* One segment of the connection, in capture order, before the events it
 * causes. */
void fs_ladder_segment(FsLadder *ladder, const FsSegment *seg);

/* An event of the connection: beside the segment of its frame when that
 * was the last one given, else on a line of its own (a timer). */
void fs_ladder_event(FsLadder *ladder, const FsEvent *ev);

/* Appends the diagram to out. The handshake and the data before the
 * close shrink to one line each run ("... 42 segments, 18 KB ..."), but
 * for segments with anomalies; the close is drawn in full. */
void fs_ladder_write(const FsLadder *ladder, const FsLadderStyle *style,
                     GString *out);

#endif /* FINSCOPE_LADDER_H */
