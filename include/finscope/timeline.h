/* finscope: over time — per host and step, TIME_WAIT and CLOSE_WAIT
 * held, closes by closer and resets (--timeline), and a plot (--plot). */
#ifndef FINSCOPE_TIMELINE_H
#define FINSCOPE_TIMELINE_H

#include <glib.h>
#include "finscope/conn.h"
#include "finscope/engine.h"

typedef struct FsTimeline FsTimeline;

/* step: the width of a row, ns; msl: TIME_WAIT is 2*msl. */
FsTimeline *fs_timeline_new(FsTime step, FsTime msl);
void fs_timeline_free(FsTimeline *tl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsTimeline, fs_timeline_free)

/* A sink that counts each finished record into tl, then hands records
 * and events on to inner (kept by tl). */
FsEngineSink fs_timeline_tee(FsTimeline *tl, const FsEngineSink *inner);

/* Writes one row per host and step where anything was held or
 * happened, from t_first to t_last: CSV, or NDJSON when path ends in
 * .json or .ndjson. Fails with FS_ERROR_WRITE, or with FS_ERROR_USAGE
 * (the file not opened) when that is more than 10,000,000 rows. */
gboolean fs_timeline_write(FsTimeline *tl, const char *path, FsTime t_first,
                           FsTime t_last, GError **error);

/* Writes a self-contained SVG: TIME_WAIT and CLOSE_WAIT held over the
 * capture by the busiest hosts, with axes, units and a legend; at most
 * 1,240 points a line (over more steps, a point covers several). Fails
 * with FS_ERROR_WRITE. */
gboolean fs_timeline_plot(FsTimeline *tl, const char *path, FsTime t_first,
                          FsTime t_last, GError **error);

#endif /* FINSCOPE_TIMELINE_H */
