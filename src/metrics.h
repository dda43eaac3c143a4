/* finscope: Prometheus metrics — counters fed by the engine sink, their
 * text exposition, an HTTP endpoint and a textfile for node_exporter. */
#ifndef FINSCOPE_METRICS_H
#define FINSCOPE_METRICS_H

#include <glib.h>
#include "finscope/engine.h"

typedef struct FsMetrics FsMetrics;

/* Counters that forward every event and record on to inner (the report's
 * sink), so the report and the metrics see the same stream. */
FsMetrics *fs_metrics_new(const FsEngineSink *inner);
void fs_metrics_free(FsMetrics *metrics);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsMetrics, fs_metrics_free)

/* The sink to give the engine: counts, then calls the inner sink. */
FsEngineSink fs_metrics_sink(FsMetrics *metrics);

/* Prometheus text exposition format 0.0.4: the counters, the engine's
 * live gauges (TIME_WAIT per host, connections tracked, packets) and the
 * kernel's dropped-packet count. */
char *fs_metrics_render(const FsMetrics *metrics, const FsEngine *engine,
                        guint64 kernel_drops);

/* Writes text to path atomically (a temporary file in the same directory,
 * then rename), as node_exporter's textfile collector needs. */
gboolean fs_metrics_write_file(const char *path, const char *text,
                               GError **error);

/* ---- the HTTP endpoint ---- */

/* Returns a newly allocated exposition text. */
typedef char *(*FsMetricsRenderFunc)(gpointer user);

typedef struct FsMetricsServer FsMetricsServer;

/* Serves GET /metrics on listen ("ADDR:PORT", "[V6ADDR]:PORT" or ":PORT"
 * for every address; port 0 picks one) from the thread-default main
 * context; anything else gets 404. render is called for each scrape.
 * Fails with FS_ERROR_USAGE (bad address) or FS_ERROR_OPEN (bind). */
FsMetricsServer *fs_metrics_server_new(const char *listen,
                                       FsMetricsRenderFunc render,
                                       gpointer user, GError **error);

/* "127.0.0.1:9187": the address actually bound. */
const char *fs_metrics_server_address(const FsMetricsServer *server);

/* Stops listening and ends the scrapes in flight. */
void fs_metrics_server_free(FsMetricsServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsMetricsServer, fs_metrics_server_free)

#endif /* FINSCOPE_METRICS_H */
