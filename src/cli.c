/* finscope: command-line parsing with GOption. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "cli.h"
#include "finscope/error.h"

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

static gboolean
parse_msl(const char *text, FsTime *msl, GError **error)
{
    char *end = NULL;
    double v = g_ascii_strtod(text, &end);

    if (end == text || *end != '\0' || !(v > 0) || v > 86400) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--msl: '%s' is not a number of seconds in (0, 86400]",
                    text);
        return FALSE;
    }
    *msl = (FsTime)(v * 1e9 + 0.5);
    return TRUE;
}

static const char summary[] =
    "Reads packet captures and explains how each TCP connection ended:\n"
    "who closed first, each endpoint's RFC 9293 close state, TIME_WAIT,\n"
    "resets, half-closes and simultaneous closes.\n"
    "\n"
    "Exit status: 0 success; 1 runtime error (unreadable or corrupt\n"
    "capture, write failure); 2 usage error.";

static gboolean
apply_options(FsCliOptions *opts, const char *msl_text, const char *os,
              GError **error)
{
    int msl_s = 30;

    if (os != NULL && !msl_for_os(os, &msl_s)) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--os: unknown stack '%s' (linux, bsd, macos, windows, "
                    "solaris, rfc793)", os);
        return FALSE;
    }
    opts->engine.msl = (FsTime)msl_s * FS_NS_PER_SEC;
    if (msl_text != NULL && !parse_msl(msl_text, &opts->engine.msl, error))
        return FALSE;
    return TRUE;
}

gboolean
fs_cli_parse(int argc, char **argv, FsCliOptions *opts, GError **error)
{
    g_autofree char *msl_text = NULL;
    g_autofree char *os = NULL;
    gboolean json = FALSE;
    GOptionEntry entries[] = {
        { "read", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &opts->read_files,
          "Read packets from FILE (pcap or pcapng; - for stdin); repeat to "
          "merge several files by time", "FILE" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &json,
          "Write NDJSON: event, conn and summary objects", NULL },
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
        { "version", 'V', 0, G_OPTION_ARG_NONE, &opts->version,
          "Print the version and exit", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("[-r FILE ...] [BPF EXPRESSION]");

    memset(opts, 0, sizeof *opts);
    g_option_context_set_summary(ctx, summary);
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, error)) {
        if (*error != NULL)
            (*error)->domain = FS_ERROR, (*error)->code = FS_ERROR_USAGE;
        return FALSE;
    }
    opts->format = json ? FS_REPORT_JSON : FS_REPORT_TEXT;
    if (!apply_options(opts, msl_text, os, error))
        return FALSE;
    if (argc > 1)
        opts->bpf = g_strjoinv(" ", argv + 1);
    if (!opts->version && opts->read_files == NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "nothing to read: give -r FILE (see --help)");
        return FALSE;
    }
    return TRUE;
}

void
fs_cli_options_clear(FsCliOptions *opts)
{
    g_strfreev(opts->read_files);
    g_free(opts->bpf);
    memset(opts, 0, sizeof *opts);
}
