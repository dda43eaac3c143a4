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
 * live gauges (TIME_WAIT for the 50 hosts holding most, the rest summed,
 * connections tracked, packets), the kernel's dropped-packet count and
 * the live loop's own counters (below). */
char *fs_metrics_render(const FsMetrics *metrics, const FsEngine *engine,
                        guint64 kernel_drops);

/* The live loop's own counters, rendered with the rest: the report lines
 * dropped because stdout did not keep up, and the endpoint's (NULL: no
 * endpoint). server must outlive metrics or be detached with NULL. */
typedef struct FsMetricsServer FsMetricsServer;
void fs_metrics_set_report_dropped(FsMetrics *metrics, guint64 lines);
void fs_metrics_attach_server(FsMetrics *metrics,
                              const FsMetricsServer *server);

/* Writes text to path atomically (a temporary file in the same directory,
 * then rename), as node_exporter's textfile collector needs. */
gboolean fs_metrics_write_file(const char *path, const char *text,
                               GError **error);

/* ---- the HTTP endpoint ---- */

/* Returns a newly allocated exposition text. */
typedef char *(*FsMetricsRenderFunc)(gpointer user);

/* What the endpoint did since it started. */
typedef struct {
    guint64 accepted;        /* connections accepted */
    guint64 scrapes;         /* requests answered (any path) */
    guint64 deadline_closed; /* closed at their deadline, unanswered or
                                not read */
    guint64 capacity_closed; /* closed to make room for a newer one */
    guint64 accept_errors;   /* accepts that failed (EMFILE, ...) */
} FsMetricsServerStats;

/* FS_ERROR_USAGE unless listen is "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT"
 * (every address), with a port 0-65535. */
gboolean fs_metrics_listen_check(const char *listen, GError **error);

/* Serves GET /metrics on listen (as fs_metrics_listen_check() takes it;
 * port 0 picks one) from the thread-default main context; anything else
 * gets 404. render is called for each scrape. A client has 2 s from its
 * accept to be answered; at most 64 are open at once (a quarter of
 * RLIMIT_NOFILE if lower), a new one closing the oldest; a failed accept
 * (EMFILE) is logged once and pauses accepting for 200 ms.
 * Fails with FS_ERROR_USAGE (bad address) or FS_ERROR_OPEN (bind). */
FsMetricsServer *fs_metrics_server_new(const char *listen,
                                       FsMetricsRenderFunc render,
                                       gpointer user, GError **error);

/* "127.0.0.1:9187": the address actually bound. */
const char *fs_metrics_server_address(const FsMetricsServer *server);

const FsMetricsServerStats *
fs_metrics_server_stats(const FsMetricsServer *server);

/* Clients open at once at most (CLIENTS_MAX or the fd limit's share). */
guint fs_metrics_server_clients_max(const FsMetricsServer *server);

/* Stops listening and ends the scrapes in flight. */
void fs_metrics_server_free(FsMetricsServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsMetricsServer, fs_metrics_server_free)

#endif /* FINSCOPE_METRICS_H */
