/* finscope: command-line options. */
#ifndef FINSCOPE_CLI_H
#define FINSCOPE_CLI_H

#include <glib.h>
#include "finscope/engine.h"
#include "finscope/report.h"

typedef struct {
    char **read_files;      /* -r FILE, in order given */
    char *bpf;              /* the filter expression, or NULL */
    FsReportFormat format;  /* --json */
    FsEngineConfig engine;  /* --msl, --os, --rfc1337, --events */
    gboolean version;       /* --version */
} FsCliOptions;

/* Parses argv; FALSE with FS_ERROR_USAGE on a bad option or argument. */
gboolean fs_cli_parse(int argc, char **argv, FsCliOptions *opts,
                      GError **error);
void fs_cli_options_clear(FsCliOptions *opts);

#endif /* FINSCOPE_CLI_H */
