/* finscope: command-line parsing with GOption. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "cli.h"
#include "finscope/error.h"
#include "finscope/shards.h"

/* MSL by stack: TIME_WAIT is 2*MSL (Linux's fixed 60 s TCP_TIMEWAIT_LEN). */
static const struct {
    const char *name;
    int msl_s;
} os_presets[] = {
    { "linux", 30 }, { "bsd", 30 }, { "macos", 15 }, { "windows", 120 },
    { "solaris", 60 }, { "rfc793", 120 },
};

static gboolean
msl_for_os(const char *os, int *msl_s)
{
    for (gsize i = 0; i < G_N_ELEMENTS(os_presets); i++) {
        if (g_ascii_strcasecmp(os, os_presets[i].name) == 0) {
            *msl_s = os_presets[i].msl_s;
            return TRUE;
        }
    }
    return FALSE;
}

/* A duration in seconds (decimals allowed) in (0, 86400], for option. */
static gboolean
parse_seconds(const char *option, const char *text, FsTime *out,
              GError **error)
{
    char *end = NULL;
    double v = g_ascii_strtod(text, &end);

    if (end == text || *end != '\0' || !(v > 0) || v > 86400) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "%s: '%s' is not a number of seconds in (0, 86400]",
                    option, text);
        return FALSE;
    }
    *out = (FsTime)(v * 1e9 + 0.5);
    return TRUE;
}

/* --max-memory: bytes with an optional binary suffix (K, M, G; KiB,
 * MiB, GiB), at least 64 KiB. */
static gboolean
parse_size(const char *text, guint64 *out, GError **error)
{
    static const struct { const char *suffix; int shift; } units[] = {
        { "", 0 }, { "K", 10 }, { "KiB", 10 }, { "M", 20 }, { "MiB", 20 },
        { "G", 30 }, { "GiB", 30 },
    };
    char *end = NULL;
    guint64 v = g_ascii_strtoull(text, &end, 10);

    for (gsize i = 0; end != text && i < G_N_ELEMENTS(units); i++) {
        if (strcmp(end, units[i].suffix) != 0 || v > (G_MAXUINT64 >> 30))
            continue;
        *out = v << units[i].shift;
        if (*out >= (64u << 10))
            return TRUE;
    }
    g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                "--max-memory: '%s' is not a size of 64K or more (bytes, "
                "or with K, M, G)", text);
    return FALSE;
}

static const char summary[] =
    "Reads packet captures and explains how each TCP connection ended:\n"
    "who closed first, each endpoint's RFC 9293 close state, TIME_WAIT,\n"
    "resets, half-closes and simultaneous closes.\n"
    "\n"
    "Exit status: 0 success; 1 runtime error (unreadable or corrupt\n"
    "capture, write failure); 2 usage error. `finscope check` (see\n"
    "`finscope check --help`) compares a capture with a baseline and\n"
    "policy assertions for CI: 0 every check passed, 1 one failed, 2 it\n"
    "could not run. `finscope merge` joins the outputs of --shard runs.";

static gboolean
apply_options(FsCliOptions *opts, const char *msl_text, const char *os,
              GError **error)
{
    int msl_s = FS_ENGINE_MSL_S;

    if (os != NULL && !msl_for_os(os, &msl_s)) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--os: unknown stack '%s' (linux, bsd, macos, windows, "
                    "solaris, rfc793)", os);
        return FALSE;
    }
    opts->engine.msl = (FsTime)msl_s * FS_NS_PER_SEC;
    if (msl_text != NULL &&
        !parse_seconds("--msl", msl_text, &opts->engine.msl, error))
        return FALSE;
    return TRUE;
}

/* "LO-HI" (e.g. 32768-60999) to the number of ports in it. */
static gboolean
parse_port_range(const char *text, guint *ports, GError **error)
{
    guint64 lo = 0;
    guint64 hi = 0;
    g_auto(GStrv) parts = g_strsplit(text, "-", 2);

    if (g_strv_length(parts) != 2 ||
        !g_ascii_string_to_unsigned(parts[0], 10, 1, 65535, &lo, NULL) ||
        !g_ascii_string_to_unsigned(parts[1], 10, 1, 65535, &hi, NULL) ||
        hi < lo) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--port-range: '%s' is not LO-HI within 1-65535", text);
        return FALSE;
    }
    *ports = (guint)(hi - lo + 1);
    return TRUE;
}

static gboolean
apply_limits(FsCliOptions *opts, const char *idle_text, gint max_flows,
             const char *port_range, const char *freeze_text,
             GError **error)
{
    if (freeze_text != NULL) {
        char *end = NULL;

        if (g_ascii_strtod(freeze_text, &end) == 0 && end != freeze_text &&
            *end == '\0')
            opts->engine.freeze_after = -1; /* 0: never */
        else if (!parse_seconds("--freeze-after", freeze_text,
                                &opts->engine.freeze_after, error))
            return FALSE;
    }
    if (idle_text != NULL &&
        !parse_seconds("--idle-timeout", idle_text,
                       &opts->engine.idle_timeout, error))
        return FALSE;
    if (max_flows != FS_CLI_INT_UNSET && max_flows < 1) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--max-flows: %d: a count of connections, 1 or more",
                    max_flows);
        return FALSE;
    }
    /* not given: no limit (0) */
    opts->engine.max_flows = max_flows != FS_CLI_INT_UNSET ? (guint)max_flows
                                                           : 0;
    opts->engine.ephemeral_ports = FS_ENGINE_EPHEMERAL_PORTS;
    return port_range == NULL ||
           parse_port_range(port_range, &opts->engine.ephemeral_ports, error);
}

/* --shard K/N, 0 <= K < N <= 65536: --json, files only (live, one
 * process per AF_PACKET fanout member is the way to spread an
 * interface). */
static gboolean
apply_shard(FsCliOptions *opts, const char *text, gboolean json,
            GError **error)
{
    guint64 k = 0;
    guint64 n = 0;
    g_auto(GStrv) parts = g_strsplit(text, "/", 2);

    if (g_strv_length(parts) != 2 ||
        !g_ascii_string_to_unsigned(parts[1], 10, 1, 65536, &n, NULL) ||
        !g_ascii_string_to_unsigned(parts[0], 10, 0, n - 1, &k, NULL)) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--shard: '%s' is not K/N with 0 <= K < N <= 65536",
                    text);
        return FALSE;
    }
    if (!json || opts->iface != NULL || opts->extract != NULL ||
        opts->ladder != 0 || opts->timeline != NULL || opts->plot != NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--shard needs --json and -r files, without --extract, "
                    "--ladder, --timeline or --plot (finscope merge reads "
                    "the shards' NDJSON)");
        return FALSE;
    }
    if (opts->threads >= 2) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--shard runs one engine: not with --threads %d",
                    opts->threads);
        return FALSE;
    }
    opts->engine.shard = (guint)k;
    opts->engine.shards = (guint)n;
    return TRUE;
}

/* ---- live capture (finscope -i) ---- */

/* --fanout GROUP: a fanout group id is 16 bits (packet(7)). */
static gboolean
apply_fanout(FsCliOptions *opts, const char *text, GError **error)
{
    guint64 group = 0;

    if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT16, &group,
                                    NULL)) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--fanout: '%s' is not a group id 0-65535", text);
        return FALSE;
    }
    opts->live.fanout = TRUE;
    opts->live.fanout_group = (guint16)group;
    return TRUE;
}

static void
add_live_entries(GOptionContext *ctx, FsCliOptions *opts,
                 char **fanout_text)
{
    const GOptionEntry entries[] = {
        { "interface", 'i', 0, G_OPTION_ARG_STRING, &opts->iface,
          "Capture live on INTERFACE (\"any\" for all): events stream out "
          "as they happen, records when a connection is done", "INTERFACE" },
        { "count", 'c', 0, G_OPTION_ARG_INT, &opts->count,
          "-i: stop after COUNT packets", "COUNT" },
        { "snapshot-length", 's', 0, G_OPTION_ARG_INT, &opts->live.snaplen,
          "-i: bytes kept of each packet (default 262144)", "SNAPLEN" },
        { "buffer-size", 'B', 0, G_OPTION_ARG_INT, &opts->live.buffer_kib,
          "-i: kernel capture buffer in KiB", "KiB" },
        { "immediate", 0, 0, G_OPTION_ARG_NONE, &opts->live.immediate,
          "-i: hand each packet over at once (no buffering)", NULL },
        { "immediate-mode", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE,
          &opts->live.immediate, NULL, NULL },
        { "no-promiscuous-mode", 'p', 0, G_OPTION_ARG_NONE,
          &opts->live.no_promisc,
          "-i: leave the interface out of promiscuous mode", NULL },
        { "relinquish-privileges", 'Z', 0, G_OPTION_ARG_STRING, &opts->user,
          "-i: once the interface is open, run as USER", "USER" },
        { "write", 'w', 0, G_OPTION_ARG_FILENAME, &opts->write_file,
          "-i: also save the packets to FILE (pcap); --extract: the "
          "file written", "FILE" },
        { "closes-only", 0, 0, G_OPTION_ARG_NONE, &opts->closes_only,
          "Keep only SYN/FIN/RST segments: cheaper, but blind to "
          "half-close data, final-ACK loss and old duplicates", NULL },
        { "metrics-listen", 0, 0, G_OPTION_ARG_STRING,
          &opts->metrics_listen,
          "-i: serve Prometheus metrics on http://ADDR:PORT/metrics",
          "ADDR:PORT" },
        { "metrics-file", 0, 0, G_OPTION_ARG_FILENAME, &opts->metrics_file,
          "-i: rewrite PATH with the metrics every 5 s and at exit "
          "(node_exporter textfile collector)", "PATH" },
        { "fanout", 0, 0, G_OPTION_ARG_STRING, fanout_text,
          "-i: share INTERFACE with the other finscopes of AF_PACKET "
          "fanout group GROUP (0-65535, Linux): each gets whole "
          "connections", "GROUP" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };

    g_option_context_add_main_entries(ctx, entries, NULL);
}

/* The first live-only option given, for "-w needs -i". */
static const char *
live_only_option(const FsCliOptions *o)
{
    return o->count != FS_CLI_INT_UNSET ? "-c"
         : o->live.snaplen != FS_CLI_INT_UNSET ? "-s"
         : o->live.buffer_kib != FS_CLI_INT_UNSET ? "-B"
         : o->live.immediate ? "--immediate"
         : o->live.no_promisc ? "-p" : o->user ? "-Z"
         : o->write_file && o->extract == NULL ? "-w"
         : o->metrics_listen ? "--metrics-listen"
         : o->metrics_file ? "--metrics-file"
         : o->live.fanout ? "--fanout"
         : o->closes_only ? "--closes-only" : NULL;
}

/* An option given where it would be ignored is a usage error: NULL when
 * every option given applies. Files only: --threads, --timeline,
 * --plot; not with --extract or --ladder (their own output): --json,
 * --timeline, --plot, --top, --threads; --step only with --timeline or
 * --plot. Live-only options: live_only_option(). */
static const char *
inapplicable_option(const FsCliOptions *o, gboolean json,
                    gboolean step_given)
{
    gboolean second = o->extract != NULL || o->ladder != 0;
    gboolean timeline = o->timeline != NULL || o->plot != NULL;

    if (o->iface != NULL && o->threads != 0)
        return "--threads is for capture files (-r): -i reads in one "
               "thread";
    if (o->iface != NULL && timeline)
        return "--timeline and --plot read capture files (-r), not -i";
    if (second && json)
        return "--json does not apply to --extract or --ladder (they "
               "write packets and a diagram)";
    if (second && timeline)
        return "--timeline and --plot cannot be combined with --extract "
               "or --ladder";
    if (second && o->top >= 0)
        return "--top does not apply to --extract or --ladder";
    if (second && o->threads != 0)
        return "--threads does not apply to --extract or --ladder";
    if (step_given && !timeline)
        return "--step needs --timeline or --plot";
    return NULL;
}

/* -c, -s and -B as given (FS_CLI_INT_UNSET: not given): TRUE, with
 * *error, when one is out of its range; else those not given become 0
 * (the default). -s 0 is the largest, as for tcpdump. */
static gboolean
live_out_of_range(FsCliOptions *o, GError **error)
{
    gboolean count = o->count != FS_CLI_INT_UNSET;
    gboolean snaplen = o->live.snaplen != FS_CLI_INT_UNSET;
    gboolean buffer = o->live.buffer_kib != FS_CLI_INT_UNSET;
    const char *what = count && o->count < 1
            ? "-c: a count of packets, 1 or more"
        : snaplen && (o->live.snaplen < 0 || o->live.snaplen > 262144)
            ? "-s: a snapshot length in bytes, 1-262144 (0: 262144)"
        : buffer && (o->live.buffer_kib < 1 || o->live.buffer_kib > 4194304)
            ? "-B: a buffer size in KiB, 1-4194304" : NULL;

    if (what != NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE, "%s", what);
        return TRUE;
    }
    o->count = count ? o->count : 0;
    o->live.snaplen = snaplen ? o->live.snaplen : 0;
    o->live.buffer_kib = buffer ? o->live.buffer_kib : 0;
    return FALSE;
}

/* --extract: files only, and somewhere to write. */
static gboolean
apply_second_pass(const FsCliOptions *opts, GError **error)
{
    const char *why = NULL;

    if ((opts->extract != NULL || opts->ladder != 0) && opts->iface != NULL)
        why = "--extract and --ladder read capture files (-r), not -i";
    else if (opts->extract != NULL && opts->ladder != 0)
        why = "--extract and --ladder cannot be combined";
    else if (opts->extract != NULL && opts->write_file == NULL)
        why = "--extract needs -w FILE to write the packets to";
    if (why == NULL)
        return TRUE;
    g_set_error(error, FS_ERROR, FS_ERROR_USAGE, "%s", why);
    return FALSE;
}

static gboolean
apply_live(FsCliOptions *opts, GError **error)
{
    const char *opt = live_only_option(opts);

    if (opts->iface != NULL && opts->read_files != NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "-i and -r cannot be combined");
        return FALSE;
    }
    if (opts->iface == NULL && opt != NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "%s needs -i INTERFACE", opt);
        return FALSE;
    }
    if (live_out_of_range(opts, error) || !apply_second_pass(opts, error))
        return FALSE;
    if (opts->iface != NULL && opts->engine.idle_timeout == 0)
        opts->engine.idle_timeout =
            (FsTime)FS_CLI_LIVE_IDLE_TIMEOUT_S * FS_NS_PER_SEC;
    if (opts->read_files != NULL)
        opts->engine.sources = g_strv_length(opts->read_files);
    return TRUE;
}

gboolean
fs_cli_parse(int argc, char **argv, FsCliOptions *opts, GError **error)
{
    g_autofree char *msl_text = NULL;
    g_autofree char *os = NULL;
    g_autofree char *idle_text = NULL;
    g_autofree char *port_range = NULL;
    g_autofree char *freeze_text = NULL;
    g_autofree char *max_memory = NULL;
    g_autofree char *ladder_text = NULL;
    g_autofree char *step_text = NULL;
    g_autofree char *shard_text = NULL;
    g_autofree char *fanout_text = NULL;
    gint max_flows = FS_CLI_INT_UNSET;
    gboolean json = FALSE;
    gboolean json_flat = FALSE;
    const char *ignored = NULL;
    GOptionEntry entries[] = {
        { "read", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &opts->read_files,
          "Read packets from FILE (pcap or pcapng; - for stdin); repeat to "
          "merge several files by time", "FILE" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &json,
          "Write NDJSON: event, conn and summary objects", NULL },
        { "json-flat", 0, 0, G_OPTION_ARG_NONE, &json_flat,
          "Write only the connection records, one flat JSON object a line "
          "(the same keys in each, times in ns): for a table such as "
          "contrib/clickhouse's", NULL },
        { "msl", 0, 0, G_OPTION_ARG_STRING, &msl_text,
          "Maximum segment lifetime in seconds (default 30; TIME_WAIT "
          "lasts 2*MSL)", "SECONDS" },
        { "os", 0, 0, G_OPTION_ARG_STRING, &os,
          "MSL preset: linux|bsd (30 s), macos (15), solaris (60), "
          "windows|rfc793 (120)", "STACK" },
        { "rfc1337", 0, 0, G_OPTION_ARG_NONE, &opts->engine.rfc1337,
          "The stacks ignore RST in TIME_WAIT (net.ipv4.tcp_rfc1337=1)",
          NULL },
        { "events", 0, 0, G_OPTION_ARG_NONE, &opts->engine.all_events,
          "Also report every endpoint state transition", NULL },
        { "idle-timeout", 0, 0, G_OPTION_ARG_STRING, &idle_text,
          "A connection quiet this long is finished and reported "
          "(default: never offline, 300 s with -i)", "SECONDS" },
        { "max-flows", 0, 0, G_OPTION_ARG_INT, &max_flows,
          "Track at most N connections; beyond, the least useful (as "
          "--max-memory) is reported early and counted as evicted "
          "(default: no limit)", "N" },
        { "max-memory", 0, 0, G_OPTION_ARG_STRING, &max_memory,
          "Hold at most this much connection state (K, M, G; default "
          "160M, the engine's own count); beyond, the least useful goes "
          "first (handshakes never completed, idle, then closing), "
          "reported early and counted as evicted", "SIZE" },
        { "port-range", 0, 0, G_OPTION_ARG_STRING, &port_range,
          "The clients' ephemeral port range, for port pressure (default "
          "32768-60999, Linux)", "LO-HI" },
        { "freeze-after", 0, 0, G_OPTION_ARG_STRING, &freeze_text,
          "Keep connections compact (frozen) until their next packet: "
          "closed ones at once, open ones quiet this long (default 10; "
          "0 = never); half the memory for 5-10% more CPU, same output",
          "SECONDS" },
        { "extract", 0, 0, G_OPTION_ARG_STRING, &opts->extract,
          "Write the packets of the chosen connections to -w FILE: ids "
          "(1,5,9), anomalous, reset or stuck, comma-separated; or a field "
          "expression as in check: 'close == \"reset\" && server_port == "
          "443'",
          "SELECTOR" },
        { "ladder", 0, 0, G_OPTION_ARG_STRING, &ladder_text,
          "Draw connection ID as a ladder diagram: each segment an arrow "
          "with flags, relative seq/ack, length and time, each side's "
          "states and the anomalies beside", "ID" },
        { "timeline", 0, 0, G_OPTION_ARG_FILENAME, &opts->timeline,
          "Write per host and step TIME_WAIT and CLOSE_WAIT held, closes "
          "by closer and resets to FILE (CSV; NDJSON if it ends in .json "
          "or .ndjson)", "FILE" },
        { "plot", 0, 0, G_OPTION_ARG_FILENAME, &opts->plot,
          "Draw TIME_WAIT and CLOSE_WAIT held over the capture by the "
          "busiest hosts to FILE (SVG)", "FILE" },
        { "step", 0, 0, G_OPTION_ARG_STRING, &step_text,
          "--timeline and --plot: seconds a row covers (default 1)",
          "SECONDS" },
        { "top", 0, 0, G_OPTION_ARG_INT, &opts->top,
          "Show the N busiest services (server ip:port; default 20, "
          "0 = all)", "N" },
        { "threads", 0, 0, G_OPTION_ARG_INT, &opts->threads,
          "Files: N >= 2 runs N engine threads (shards of the flow hash) "
          "behind a reader thread, 1 does all in one (default: reading "
          "in a second thread and formatting the report in a third with "
          "more than one CPU); same output", "N" },
        { "shard", 0, 0, G_OPTION_ARG_STRING, &shard_text,
          "Keep only the connections whose flow hash falls in shard K of "
          "N (0 <= K < N; --json, files); `finscope merge` joins the "
          "shards' outputs into one run's", "K/N" },
        { "version", 'V', 0, G_OPTION_ARG_NONE, &opts->version,
          "Print the version and exit", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("[-r FILE ... | -i INTERFACE] "
                             "[BPF EXPRESSION]");

    memset(opts, 0, sizeof *opts);
    opts->top = FS_CLI_INT_UNSET;
    opts->threads = FS_CLI_INT_UNSET;
    opts->count = FS_CLI_INT_UNSET;
    opts->live.snaplen = FS_CLI_INT_UNSET;
    opts->live.buffer_kib = FS_CLI_INT_UNSET;
    g_option_context_set_summary(ctx, summary);
    g_option_context_add_main_entries(ctx, entries, NULL);
    add_live_entries(ctx, opts, &fanout_text);
    if (!g_option_context_parse(ctx, &argc, &argv, error)) {
        if (*error != NULL)
            (*error)->domain = FS_ERROR, (*error)->code = FS_ERROR_USAGE;
        return FALSE;
    }
    opts->format = json ? FS_REPORT_JSON : FS_REPORT_TEXT;
    if (json_flat && json) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--json and --json-flat cannot be combined");
        return FALSE;
    }
    if (json_flat)
        opts->format = FS_REPORT_FLAT;
    if (opts->threads == FS_CLI_INT_UNSET)
        opts->threads = 0; /* the default */
    else if (opts->threads < 1 || opts->threads > FS_SHARDS_MAX) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--threads: %d: give 1 to %d", opts->threads,
                    FS_SHARDS_MAX);
        return FALSE;
    }
    opts->step = FS_NS_PER_SEC;
    if (step_text != NULL &&
        !parse_seconds("--step", step_text, &opts->step, error))
        return FALSE;
    if (opts->top < 0 && opts->top != FS_CLI_INT_UNSET) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--top: %d is negative", opts->top);
        return FALSE;
    }
    if (ladder_text != NULL &&
        !g_ascii_string_to_unsigned(ladder_text, 10, 1, G_MAXUINT64,
                                    &opts->ladder, NULL)) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--ladder: '%s' is not a connection id", ladder_text);
        return FALSE;
    }
    ignored = inapplicable_option(opts, json || json_flat,
                                  step_text != NULL);
    if (ignored != NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE, "%s", ignored);
        return FALSE;
    }
    if (!apply_options(opts, msl_text, os, error) ||
        !apply_limits(opts, idle_text, max_flows, port_range, freeze_text,
                      error) ||
        (fanout_text != NULL && !apply_fanout(opts, fanout_text, error)) ||
        !apply_live(opts, error) ||
        (shard_text != NULL && !apply_shard(opts, shard_text, json, error)) ||
        (max_memory != NULL &&
         !parse_size(max_memory, &opts->engine.max_memory, error)))
        return FALSE;
    if (argc > 1)
        opts->bpf = g_strjoinv(" ", argv + 1);
    if (!opts->version && opts->read_files == NULL && opts->iface == NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "nothing to read: give -r FILE or -i INTERFACE "
                    "(see --help)");
        return FALSE;
    }
    return TRUE;
}

void
fs_cli_options_clear(FsCliOptions *opts)
{
    g_strfreev(opts->read_files);
    g_free(opts->bpf);
    g_free(opts->iface);
    g_free(opts->user);
    g_free(opts->write_file);
    g_free(opts->metrics_listen);
    g_free(opts->metrics_file);
    g_free(opts->extract);
    g_free(opts->timeline);
    g_free(opts->plot);
    memset(opts, 0, sizeof *opts);
}
