/* finscope tests: the Prometheus exposition of an offline run (finscope's
 * own options), so tests/tally.sh can hold it to the other views. */
#include "config.h"

#include <stdio.h>

#include <glib.h>

#include "cli.h"
#include "finscope/capture.h"
#include "finscope/engine.h"
#include "finscope/reader.h"
#include "metrics.h"

static int
run(FsCliOptions *opts, GError **error)
{
    g_autoptr(FsCapture) cap = NULL;
    g_autoptr(FsMetrics) metrics = fs_metrics_new(NULL);
    g_autoptr(FsEngine) engine = NULL;
    g_autofree char *text = NULL;
    FsEngineSink sink = fs_metrics_sink(metrics);

    cap = fs_capture_open_files((const char *const *)opts->read_files,
                                g_strv_length(opts->read_files), opts->bpf,
                                error);
    if (cap == NULL)
        return 1;
    engine = fs_engine_new(&opts->engine, &sink);
    if (fs_reader_run(cap, engine, FALSE, error) == FS_CAPTURE_ERROR)
        return 1;
    fs_engine_finish(engine);
    text = fs_metrics_render(metrics, engine, 0);
    fputs(text, stdout);
    return 0;
}

int
main(int argc, char **argv)
{
    FsCliOptions opts = { 0 };
    g_autoptr(GError) error = NULL;
    int rc = 2;

    if (fs_cli_parse(argc, argv, &opts, &error) && opts.read_files != NULL)
        rc = run(&opts, &error);
    if (error != NULL)
        fprintf(stderr, "tally-metrics: %s\n", error->message);
    fs_cli_options_clear(&opts);
    return rc;
}
