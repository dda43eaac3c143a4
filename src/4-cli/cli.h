/* finscope: command-line options. */
#ifndef FINSCOPE_CLI_H
#define FINSCOPE_CLI_H

#include <glib.h>
#include "finscope/capture.h"
#include "finscope/engine.h"
#include "finscope/report.h"

/* An integer option not given, while it is parsed (--top, --threads,
 * -c, -s, -B, --max-flows; finscope check's and merge's too): any value
 * given, 0 or -1 too, is checked against what the option takes. */
#define FS_CLI_INT_UNSET G_MININT

typedef struct {
    char **read_files;      /* -r FILE, in order given */
    char *bpf;              /* the filter expression, or NULL */
    FsReportFormat format;  /* --json, --json-flat */
    FsEngineConfig engine;  /* --msl, --os, --rfc1337, --events */
    gboolean version;       /* --version */
    gint threads;           /* --threads: 1 = one thread, N >= 2 = N
                               engine shards behind a reader thread;
                               0 = not given: a reader thread with >1
                               CPU */
    /* live capture (finscope -i): src/live.c */
    char *iface;            /* -i INTERFACE, or NULL to read files */
    gint count;             /* -c: stop after this many packets; 0 = no */
    FsLiveOptions live;     /* -s, -B, --immediate, -p */
    char *user;             /* -Z: drop root for this user once open */
    char *write_file;       /* -w: also save the packets (pcap) */
    gboolean closes_only;   /* --closes-only: SYN/FIN/RST segments only */
    char *metrics_listen;   /* --metrics-listen ADDR:PORT */
    char *metrics_file;     /* --metrics-file PATH */
    /* a second pass over the files (src/extract.c) */
    char *extract;          /* --extract SELECTOR (with -w), or NULL */
    guint64 ladder;         /* --ladder ID; 0 = none */
    gint top;               /* --top N services; FS_CLI_INT_UNSET = not
                               given (the report's default, 20) */
    char *timeline;         /* --timeline FILE (CSV, or NDJSON), or NULL */
    char *plot;             /* --plot FILE.svg, or NULL */
    FsTime step;            /* --step: a timeline row's width, ns */
} FsCliOptions;

/* Default --idle-timeout of a live capture. */
#define FS_CLI_LIVE_IDLE_TIMEOUT_S 300

/* Parses argv; FALSE with FS_ERROR_USAGE on a bad option or argument. */
gboolean fs_cli_parse(int argc, char **argv, FsCliOptions *opts,
                      GError **error);
void fs_cli_options_clear(FsCliOptions *opts);

#endif /* FINSCOPE_CLI_H */
