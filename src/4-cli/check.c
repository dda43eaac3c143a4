/* finscope: `finscope check` — runs the analysis, then holds it to a
 * baseline and to policy assertions, for people, TAP or JUnit. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "baseline.h"
#include "check.h"
#include "checkmodel.h"
#include "cli.h"
#include "finscope/capture.h"
#include "finscope/engine.h"
#include "finscope/error.h"
#include "finscope/pipeline.h"
#include "finscope/reader.h"
#include "outfile.h"
#include "policy.h"
#include "text.h"
#include "verdict.h"

enum { CHECK_PASSED = 0, CHECK_FAILED = 1, CHECK_CANNOT_RUN = 2 };

/* Bytes of a line of user text (a baseline line in a diff, an error
 * echoing it) printed before "...". */
#define CHECK_LINE_SHOWN 1024

/* Connections a failed assertion lists before "... and N more". */
#define CHECK_MAX_LISTED 20

typedef struct {
    char **read_files;   /* -r FILE */
    char *msl;           /* --msl, handed to fs_cli_parse() */
    char *os;            /* --os, likewise */
    gboolean rfc1337;    /* --rfc1337, likewise */
    gint threads;        /* --threads, likewise; FS_CLI_INT_UNSET = not
                            given */
    char *baseline;      /* --baseline FILE */
    gboolean update;     /* --update */
    char **asserts;      /* --assert EXPR, in order */
    char **policies;     /* --policy FILE, in order */
    char *junit;         /* --junit FILE */
    gboolean tap;        /* --tap */
    gboolean keep_ports; /* --keep-ports */
    gboolean allow_truncated; /* --allow-truncated */
} CheckArgs;

typedef struct {
    CheckArgs args;
    FsCliOptions cli;     /* -r files, BPF and engine settings */
    GPtrArray *exprs;     /* FsPolicyExpr*: --assert, then --policy */
    FsBaseline *expected; /* the baseline file (not with --update) */
    FsCheckModel *model;  /* this run's verdicts */
    GPtrArray *verdicts;  /* FsVerdict* */
    GPtrArray *truncated; /* char*: capture files cut inside a record */
} Check;

static const char summary[] =
    "Holds the close analysis of captures to a reviewed baseline and to\n"
    "policy assertions, for CI:\n"
    "\n"
    "  finscope check --update --baseline svc.expect -r run.pcap  # record\n"
    "  finscope check --baseline svc.expect -r run.pcap           # compare\n"
    "  finscope check --assert 'server_active_closes == 0' -r run.pcap\n"
    "\n"
    "A baseline is text to review: settings, summary counts and one line\n"
    "per connection outcome, sorted, without times, ids or client ports;\n"
    "N identical connections share a line ending in xN.\n"
    "\n"
    "Exit status: 0 the baseline holds and every assertion passes (with\n"
    "--update: the baseline was written); 1 a check failed (the diff or\n"
    "the offending connections are printed); 2 the check could not run\n"
    "(bad option, unreadable capture, baseline or policy file, malformed\n"
    "expression).";

static const char grammar[] =
    "Assertions (--assert EXPR, or one a line in a --policy FILE, where #\n"
    "starts a comment) are checked after the baseline, in order:\n"
    "  FIELD[{LABEL=\"VALUE\",...}] OP NUMBER       a count over the run\n"
    "      resets == 0\n"
    "      time_wait_at_end{host=\"10.0.0.5\"} <= 2\n"
    "  conn.FIELD[{LABEL=\"VALUE\",...}] OP VALUE   true of every "
    "connection\n"
    "      conn.active_closer != \"server\"\n"
    "      conn.fin_retransmits{server_port=\"443\"} == 0\n"
    "OP is one of == != < <= > >=; strings compare with == and != only.\n"
    "A failed assertion lists the connections it counted or that broke "
    "it.\n"
    "\n";

static void
check_args_clear(CheckArgs *a)
{
    g_strfreev(a->read_files);
    g_free(a->msl);
    g_free(a->os);
    g_free(a->baseline);
    g_strfreev(a->asserts);
    g_strfreev(a->policies);
    g_free(a->junit);
}

static void
check_clear(Check *ck)
{
    check_args_clear(&ck->args);
    fs_cli_options_clear(&ck->cli);
    g_ptr_array_unref(ck->exprs);
    fs_baseline_free(ck->expected);
    fs_check_model_free(ck->model);
    g_ptr_array_unref(ck->verdicts);
    g_ptr_array_unref(ck->truncated);
}

/* Messages echo file names and lines of files: escaped, never whole. */
static int
fail(int status, const GError *error)
{
    g_autofree char *msg = fs_text_escape_lines(error->message,
                                                CHECK_LINE_SHOWN);
    gsize n = strlen(msg);

    fprintf(stderr, "finscope check: %s%s", msg,
            n > 0 && msg[n - 1] == '\n' ? "" : "\n");
    return status;
}

static GOptionContext *
option_context(CheckArgs *a)
{
    GOptionEntry entries[] = {
        { "read", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &a->read_files,
          "Read packets from FILE (pcap or pcapng; - for stdin); repeat to "
          "merge files by time", "FILE" },
        { "baseline", 'b', 0, G_OPTION_ARG_FILENAME, &a->baseline,
          "Compare with the baseline in FILE", "FILE" },
        { "update", 'u', 0, G_OPTION_ARG_NONE, &a->update,
          "Write (or refresh) the --baseline FILE from this run", NULL },
        /* FILENAME: the bytes as given, not converted from the locale,
         * which fails on any non-ASCII byte under LC_ALL=C. */
        { "assert", 'a', 0, G_OPTION_ARG_FILENAME_ARRAY, &a->asserts,
          "Check a policy assertion; repeatable", "EXPR" },
        { "policy", 'p', 0, G_OPTION_ARG_FILENAME_ARRAY, &a->policies,
          "Check each assertion in FILE (one a line, # comments)", "FILE" },
        { "junit", 0, 0, G_OPTION_ARG_FILENAME, &a->junit,
          "Also write the verdicts as JUnit XML to FILE", "FILE" },
        { "tap", 0, 0, G_OPTION_ARG_NONE, &a->tap,
          "Print the verdicts as TAP instead of text", NULL },
        { "keep-ports", 0, 0, G_OPTION_ARG_NONE, &a->keep_ports,
          "Keep client ports in the baseline (default: *)", NULL },
        { "allow-truncated", 0, 0, G_OPTION_ARG_NONE, &a->allow_truncated,
          "Check what a capture file cut inside a packet record holds "
          "(default: such a capture fails the check)", NULL },
        { "msl", 0, 0, G_OPTION_ARG_STRING, &a->msl,
          "Maximum segment lifetime in seconds (default 30)", "SECONDS" },
        { "os", 0, 0, G_OPTION_ARG_STRING, &a->os,
          "MSL preset, as for finscope --os", "STACK" },
        { "rfc1337", 0, 0, G_OPTION_ARG_NONE, &a->rfc1337,
          "The stacks ignore RST in TIME_WAIT", NULL },
        { "threads", 0, 0, G_OPTION_ARG_INT, &a->threads,
          "N >= 2 runs N engine threads behind a reader thread, 1 does "
          "all in one, as for finscope; the same verdicts", "N" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *ctx = g_option_context_new(
        "[--baseline FILE [--update]] [--assert EXPR ...] -r FILE ... "
        "[BPF EXPRESSION]");
    g_autoptr(GString) desc = g_string_new(grammar);

    fs_policy_describe(desc);
    g_option_context_set_summary(ctx, summary);
    g_option_context_set_description(ctx, desc->str);
    g_option_context_add_main_entries(ctx, entries, NULL);
    return ctx;
}

/* The analysis options go through the main command's own parser, so they
 * mean (and fail) exactly as they do for `finscope`. */
static gboolean
parse_analysis(Check *ck, int argc, char **argv, GError **error)
{
    const CheckArgs *a = &ck->args;
    g_autoptr(GPtrArray) av = g_ptr_array_new();
    g_autofree char *bpf = argc > 1 ? g_strjoinv(" ", argv + 1) : NULL;
    g_autofree char *threads = NULL;

    g_ptr_array_add(av, "finscope check");
    for (guint i = 0; a->read_files != NULL && a->read_files[i]; i++) {
        g_ptr_array_add(av, "-r");
        g_ptr_array_add(av, a->read_files[i]);
    }
    if (a->msl != NULL) {
        g_ptr_array_add(av, "--msl");
        g_ptr_array_add(av, a->msl);
    }
    if (a->os != NULL) {
        g_ptr_array_add(av, "--os");
        g_ptr_array_add(av, a->os);
    }
    if (a->rfc1337)
        g_ptr_array_add(av, "--rfc1337");
    if (a->threads != FS_CLI_INT_UNSET) {
        threads = g_strdup_printf("%d", a->threads);
        g_ptr_array_add(av, "--threads");
        g_ptr_array_add(av, threads);
    }
    if (bpf != NULL)
        g_ptr_array_add(av, bpf);
    g_ptr_array_add(av, NULL);
    return fs_cli_parse((int)av->len - 1, (char **)av->pdata, &ck->cli,
                        error);
}

static gboolean
parse_args(Check *ck, int argc, char **argv, GError **error)
{
    g_autoptr(GOptionContext) ctx = option_context(&ck->args);

    ck->args.threads = FS_CLI_INT_UNSET;
    if (!g_option_context_parse(ctx, &argc, &argv, error)) {
        if (*error != NULL) {
            (*error)->domain = FS_ERROR;
            (*error)->code = FS_ERROR_USAGE;
        }
        return FALSE;
    }
    if (ck->args.read_files == NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "nothing to read: give -r FILE (see finscope check "
                    "--help)");
        return FALSE;
    }
    if (ck->args.update && ck->args.baseline == NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--update needs --baseline FILE");
        return FALSE;
    }
    if (ck->args.baseline == NULL && ck->args.asserts == NULL &&
        ck->args.policies == NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "nothing to check: give --baseline FILE, --assert EXPR "
                    "or --policy FILE (see finscope check --help)");
        return FALSE;
    }
    return parse_analysis(ck, argc, argv, error);
}

static gboolean
load_assertion(Check *ck, const char *text, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *caret = NULL;
    gsize pos = 0;
    FsPolicyExpr *e = fs_policy_parse(text, &pos, &local);

    if (e != NULL) {
        g_ptr_array_add(ck->exprs, e);
        return TRUE;
    }
    caret = fs_policy_caret(text, pos);
    g_set_error(error, FS_ERROR, FS_ERROR_USAGE, "--assert: %s\n%s",
                local->message, caret);
    return FALSE;
}

/* A policy file that asserts nothing would pass whatever happened (an
 * empty or truncated file, a path mixed up): it is an error, as is a NUL
 * byte (which used to end the file silently) or an endless line. */
static gboolean
load_policy_file(Check *ck, const char *path, GError **error)
{
    g_autofree char *text = fs_text_read(path, "policy file", error);
    guint before = ck->exprs->len;

    if (text == NULL ||
        !fs_policy_parse_lines(text, path, ck->exprs, error))
        return FALSE;
    if (ck->exprs->len == before) {
        g_autofree char *name = fs_text_escape(path, FS_TEXT_ECHO_MAX);

        g_set_error(error, FS_ERROR, FS_ERROR_USAGE, "%s: the policy file "
                    "has no assertions: it would check nothing", name);
        return FALSE;
    }
    return TRUE;
}

static gboolean
load_policies(Check *ck, GError **error)
{
    const CheckArgs *a = &ck->args;

    for (guint i = 0; a->asserts != NULL && a->asserts[i] != NULL; i++) {
        if (!load_assertion(ck, a->asserts[i], error))
            return FALSE;
    }
    for (guint i = 0; a->policies != NULL && a->policies[i] != NULL; i++) {
        if (!load_policy_file(ck, a->policies[i], error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
load_baseline(Check *ck, GError **error)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) local = NULL;

    if (ck->args.baseline == NULL || ck->args.update)
        return TRUE;
    text = fs_text_read(ck->args.baseline, "baseline", &local);
    if (text == NULL && g_error_matches(local, FS_ERROR, FS_ERROR_OPEN)) {
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "%s (record a baseline "
                    "with --update)", local->message);
        return FALSE;
    }
    if (text == NULL) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    ck->expected = fs_baseline_parse(text, ck->args.baseline, error);
    return ck->expected != NULL;
}

/* capture -> engine -> model, as main.c runs capture -> engine -> report. */
/* TIME_WAIT peaks over time, per host, for time_wait_peak{host=...}. */
static void
take_host_peak(const FsHostTimeWait *tw, gpointer user)
{
    char host[FS_ENDPOINT_STRLEN];

    fs_addr_format(&tw->host, host, sizeof host);
    fs_check_model_set_time_wait_peak(user, host, tw->peak);
}

/* --allow-truncated: a file cut inside a record is said, not failed. */
static void
warn(const char *message, gpointer user)
{
    (void)user;
    fprintf(stderr, "finscope check: %s\n", message);
}

static gboolean
run_capture(Check *ck, GError **error)
{
    g_autoptr(FsPipeline) pl = NULL;
    FsCapture *cap = NULL;
    FsEngine *engine = NULL;
    FsEngineSink sink;
    FsPipelineConfig pc = {
        .files = (const char *const *)ck->cli.read_files, .bpf = ck->cli.bpf,
        .threaded = ck->cli.threads == 0 && fs_reader_threads_help(),
        .shards = ck->cli.threads >= 2 ? (guint)ck->cli.threads : 0,
        .warn = ck->args.allow_truncated ? warn : NULL };
    gboolean ran;

    pl = fs_pipeline_open(&pc, error);
    if (pl == NULL)
        return FALSE;
    ck->model = fs_check_model_new(&ck->cli.engine);
    sink = fs_check_model_sink(ck->model);
    engine = fs_pipeline_start(pl, &ck->cli.engine, &sink);
    ran = fs_pipeline_run(pl, error);
    cap = fs_pipeline_capture(pl);
    for (guint i = 0; i < fs_capture_n_sources(cap); i++) {
        if (fs_capture_source_truncated(cap, i))
            g_ptr_array_add(ck->truncated,
                            g_strdup(fs_capture_source_name(cap, i)));
    }
    fs_pipeline_finish(pl);
    fs_check_model_set_time_wait_peak(
        ck->model, NULL, fs_engine_stats(engine)->time_wait_peak);
    fs_engine_foreach_time_wait_host(engine, take_host_peak, ck->model);
    fs_check_model_sort(ck->model);
    return ran;
}

/* ---- the baseline ------------------------------------------------------ */

/* The trace files by base name: paths differ between machines. */
static char *
trace_names(const Check *ck)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; ck->cli.read_files[i] != NULL; i++)
        g_ptr_array_add(names, g_path_get_basename(ck->cli.read_files[i]));
    g_ptr_array_add(names, NULL);
    return g_strjoinv(" ", (char **)names->pdata);
}

static char *
render_baseline(const Check *ck, const FsBaseline *b)
{
    g_autofree char *traces = trace_names(ck);
    g_autofree char *made_from = g_strdup_printf("traces: %s", traces);
    g_autofree char *filter = ck->cli.bpf
                                  ? g_strdup_printf("filter: %s", ck->cli.bpf)
                                  : NULL;
    const char *comments[] = {
        "finscope baseline: how the TCP connections of a capture closed.",
        "`finscope check --baseline FILE -r TRACE` fails when a run differs;",
        "`finscope check --update ...` rewrites it. Review changes like code.",
        "Lines: setting NAME VALUE, summary FIELD COUNT, then one conn line",
        "per connection outcome (xN: N identical connections), sorted.",
        "Client ports are * unless --keep-ports.",
        made_from, filter, NULL,
    };

    return fs_baseline_render(b, comments);
}

/* "1 connection", "3 connections" */
static char *
n_connections(guint64 n)
{
    return g_strdup_printf("%" G_GUINT64_FORMAT " connection%s", n,
                           n == 1 ? "" : "s");
}

static void
add_verdict(Check *ck, FsVerdictKind kind, const char *name,
            gboolean passed, const char *message, const char *details)
{
    g_ptr_array_add(ck->verdicts,
                    fs_verdict_new(kind, name, passed, message, details));
}

/* A capture file cut inside a record (a capture stopped by a kill, a
 * copy still being written) holds less than the run did: that fails,
 * unless --allow-truncated, which makes it a passing verdict. */
static void
judge_capture(Check *ck)
{
    for (guint i = 0; i < ck->truncated->len; i++) {
        const char *file = g_ptr_array_index(ck->truncated, i);
        g_autofree char *name = g_strdup_printf("capture %s", file);
        g_autofree char *message = g_strdup_printf(
            "%s is truncated: the file ends inside a packet record, so the "
            "check %s", name, ck->args.allow_truncated
                ? "covers the packets before the cut (--allow-truncated)"
                : "would see only the packets before the cut (give "
                  "--allow-truncated to check them anyway)");

        add_verdict(ck, FS_VERDICT_CAPTURE, name, ck->args.allow_truncated,
                    message, NULL);
    }
}

/* A baseline that does not hold shows at most this many -/+ lines, in
 * its verdict and in each group's, and a verdict for at most this many
 * groups, then one for the rest: a run against a capture unlike the
 * baseline's (a flood of a million connections) would otherwise print
 * every line several times over, gigabytes held at once. --update
 * writes the whole new baseline to compare with diff(1). */
#define DIFF_LINES_SHOWN 200
#define DIFF_GROUPS_SHOWN 100

/* --update: writes the file unless it already says the same. */
static gboolean
update_baseline(Check *ck, const FsBaseline *actual, GError **error)
{
    const char *path = ck->args.baseline;
    g_autofree char *name = g_strdup_printf("baseline %s", path);
    g_autofree char *text = render_baseline(ck, actual);
    g_autofree char *old = NULL;
    g_autoptr(FsBaseline) before = NULL;
    g_autoptr(FsBaselineDiff) diff = NULL;
    g_autofree char *changes = NULL;
    g_autofree char *why = NULL;
    g_autofree char *message = NULL;
    g_autofree char *n = n_connections(fs_baseline_n_connections(actual));

    /* Only a file (or a link to one) has a previous version to compare:
     * reading /dev/stdout or a FIFO would wait for input. */
    if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
        old = fs_text_read(path, "baseline", NULL);
    if (old != NULL)
        before = fs_baseline_parse(old, path, NULL);
    if (old != NULL && strcmp(old, text) == 0) {
        message = g_strdup_printf("%s is up to date (%s)", name, n);
        add_verdict(ck, FS_VERDICT_BASELINE, name, TRUE, message, NULL);
        return TRUE;
    }
    /* hand-written wildcards stay as long as the run matches them */
    if (before != NULL)
        diff = fs_baseline_diff(before, actual);
    if (diff != NULL && fs_baseline_has_patterns(before) &&
        fs_baseline_diff_holds(diff)) {
        message = g_strdup_printf("%s is up to date (%s; its wildcard "
                                  "lines kept)", name, n);
        add_verdict(ck, FS_VERDICT_BASELINE, name, TRUE, message, NULL);
        return TRUE;
    }
    if (!fs_outfile_write(path, text, -1, error))
        return FALSE;
    if (diff != NULL) {
        changes = fs_baseline_diff_text_head(diff, DIFF_LINES_SHOWN);
        why = fs_baseline_diff_explain(diff);
    }
    message = g_strdup_printf("%s %s (%s)%s%s", name,
                              old ? "updated" : "written", n,
                              why && why[0] ? ": " : "", why ? why : "");
    add_verdict(ck, FS_VERDICT_BASELINE, name, TRUE, message, changes);
    return TRUE;
}

static void
judge_deltas(Check *ck, const FsBaselineDiff *diff)
{
    guint shown = MIN(diff->deltas->len, DIFF_GROUPS_SHOWN);

    for (guint i = 0; i < shown; i++) {
        const FsBaselineDelta *d = g_ptr_array_index(diff->deltas, i);
        g_autofree char *text =
            fs_baseline_delta_text_head(d, DIFF_LINES_SHOWN);
        g_autofree char *message = g_strdup_printf(
            "%s differs from baseline %s", d->group, ck->args.baseline);

        add_verdict(ck, FS_VERDICT_BASELINE_ITEM, d->group, FALSE, message,
                    text);
    }
    if (diff->deltas->len > shown) {
        guint more = diff->deltas->len - shown;
        g_autofree char *message = g_strdup_printf(
            "%u more group%s from baseline %s (the first %u are shown; "
            "--update writes the whole run's)", more,
            more == 1 ? " differs" : "s differ", ck->args.baseline, shown);

        add_verdict(ck, FS_VERDICT_BASELINE_ITEM, "more groups", FALSE,
                    message, NULL);
    }
}

static void
compare_baseline(Check *ck, const FsBaseline *actual)
{
    const char *path = ck->args.baseline;
    g_autofree char *name = g_strdup_printf("baseline %s", path);
    g_autoptr(FsBaselineDiff) diff = fs_baseline_diff(ck->expected, actual);
    g_autofree char *why = NULL;
    g_autofree char *lines = NULL;
    g_autofree char *traces = NULL;
    g_autofree char *message = NULL;
    g_autofree char *details = NULL;

    if (fs_baseline_diff_holds(diff)) {
        g_autofree char *n = n_connections(
            fs_baseline_n_connections(actual));

        message = g_strdup_printf("%s holds (%s)", name, n);
        add_verdict(ck, FS_VERDICT_BASELINE, name, TRUE, message, NULL);
        return;
    }
    why = fs_baseline_diff_explain(diff);
    lines = fs_baseline_diff_text_head(diff, DIFF_LINES_SHOWN);
    traces = trace_names(ck);
    message = g_strdup_printf("%s does not hold: %s", name, why);
    details = g_strdup_printf("--- %s\n+++ this run (%s)\n%s"
                              "(if the change is intended, record it with "
                              "--update and commit the new baseline)\n",
                              path, traces, lines);
    add_verdict(ck, FS_VERDICT_BASELINE, name, FALSE, message, details);
    judge_deltas(ck, diff);
}

static gboolean
judge_baseline(Check *ck, GError **error)
{
    FsBaselineOptions opts = { .keep_ports = ck->args.keep_ports };
    g_autoptr(FsBaseline) actual = NULL;

    if (ck->args.baseline == NULL)
        return TRUE;
    /* a baseline recorded from part of a run would hold the part */
    if (ck->args.update && ck->truncated->len > 0 &&
        !ck->args.allow_truncated)
        return TRUE;
    actual = fs_baseline_from_model(ck->model, &opts);
    if (ck->args.update)
        return update_baseline(ck, actual, error);
    compare_baseline(ck, actual);
    return TRUE;
}

/* ---- assertions -------------------------------------------------------- */

static char *
list_conns(const FsPolicyExpr *e, const FsPolicyResult *res)
{
    GString *out = g_string_new(NULL);
    gboolean per_conn = g_str_has_prefix(fs_policy_expr_text(e), "conn.");

    if (res->conns->len == 0)
        return g_string_free(out, FALSE);
    g_string_append(out, per_conn ? "connections that break it:\n"
                                  : "connections counted:\n");
    for (guint i = 0; i < res->conns->len && i < CHECK_MAX_LISTED; i++) {
        const FsCheckConn *c = g_ptr_array_index(res->conns, i);
        g_autofree char *who = fs_check_conn_describe(c);
        g_autofree char *what = fs_check_conn_outcome(c);

        g_string_append_printf(out, "  %s: %s\n", who, what);
    }
    if (res->conns->len > CHECK_MAX_LISTED)
        g_string_append_printf(out, "  ... and %u more\n",
                               res->conns->len - CHECK_MAX_LISTED);
    return g_string_free(out, FALSE);
}

static void
judge_assertions(Check *ck)
{
    for (guint i = 0; i < ck->exprs->len; i++) {
        const FsPolicyExpr *e = g_ptr_array_index(ck->exprs, i);
        const char *text = fs_policy_expr_text(e);
        FsPolicyResult res;
        g_autofree char *message = NULL;
        g_autofree char *details = NULL;

        fs_policy_eval(e, ck->model, &res);
        message = g_strdup_printf("%s %s: %s", text,
                                  res.passed ? "holds" : "fails",
                                  res.message);
        if (!res.passed)
            details = list_conns(e, &res);
        add_verdict(ck, FS_VERDICT_ASSERTION, text, res.passed, message,
                    details);
        fs_policy_result_clear(&res);
    }
}

/* ---- output ------------------------------------------------------------ */

static void
print_details(const char *details)
{
    g_auto(GStrv) lines = NULL;
    g_autofree char *shown = NULL;

    if (details == NULL)
        return;
    shown = fs_text_escape_lines(details, CHECK_LINE_SHOWN);
    lines = fs_text_split_lines(shown);
    for (guint i = 0; lines[i] != NULL; i++) {
        if (lines[i][0] != '\0' || lines[i + 1] != NULL)
            printf("  %s\n", lines[i]);
    }
}

static void
print_text(const Check *ck)
{
    g_autofree char *joined = g_strjoinv(", ", ck->cli.read_files);
    g_autofree char *traces = fs_text_escape(joined, 0);
    g_autofree char *bpf = fs_text_escape(ck->cli.bpf, CHECK_LINE_SHOWN);
    g_autofree char *n = n_connections(ck->model->conns->len);
    guint passed = 0;
    guint failed = 0;

    printf("finscope check: %s in %s%s%s\n", n, traces,
           ck->cli.bpf ? ", filter " : "", ck->cli.bpf ? bpf : "");
    for (guint i = 0; i < ck->verdicts->len; i++) {
        const FsVerdict *v = g_ptr_array_index(ck->verdicts, i);
        g_autofree char *message = fs_text_escape_lines(v->message,
                                                        CHECK_LINE_SHOWN);

        if (v->kind == FS_VERDICT_BASELINE_ITEM)
            continue;
        printf("%s  %s\n", v->passed ? "PASS" : "FAIL", message);
        print_details(v->details);
        passed += v->passed ? 1 : 0;
        failed += v->passed ? 0 : 1;
    }
    printf("check: %u passed, %u failed\n", passed, failed);
}

static gboolean
write_junit(const Check *ck, GError **error)
{
    g_autofree char *traces = g_strjoinv(" ", ck->cli.read_files);
    const char *props[7] = { "traces", traces };
    guint n = 2;
    g_autofree char *xml = NULL;

    if (ck->cli.bpf != NULL) {
        props[n++] = "filter";
        props[n++] = ck->cli.bpf;
    }
    if (ck->args.baseline != NULL) {
        props[n++] = "baseline";
        props[n++] = ck->args.baseline;
    }
    xml = fs_verdict_junit(ck->verdicts, "finscope check", props);
    return fs_outfile_write(ck->args.junit, xml, -1, error);
}

static gboolean
report(const Check *ck, GError **error)
{
    if (ck->args.tap) {
        g_autofree char *tap = fs_verdict_tap(ck->verdicts);
        g_autofree char *shown = fs_text_escape_lines(tap, CHECK_LINE_SHOWN);

        fputs(shown, stdout);
    } else {
        print_text(ck);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        g_set_error(error, FS_ERROR, FS_ERROR_WRITE,
                    "error writing the verdicts");
        return FALSE;
    }
    return ck->args.junit == NULL || write_junit(ck, error);
}

static gboolean
all_passed(const Check *ck)
{
    for (guint i = 0; i < ck->verdicts->len; i++) {
        const FsVerdict *v = g_ptr_array_index(ck->verdicts, i);

        if (!v->passed)
            return FALSE;
    }
    return TRUE;
}

/* Everything that can stop the check from running fails with exit 2. */
static gboolean
run(Check *ck, int argc, char **argv, GError **error)
{
    if (!parse_args(ck, argc, argv, error) || !load_policies(ck, error) ||
        !load_baseline(ck, error) || !run_capture(ck, error))
        return FALSE;
    judge_capture(ck);
    if (!judge_baseline(ck, error))
        return FALSE;
    /* Not an error (a filter may leave nothing on purpose), but every
     * conn.* assertion and every "== 0" holds on nothing at all. */
    if (ck->model->conns->len == 0 && ck->exprs->len > 0)
        fprintf(stderr, "finscope check: warning: no TCP connection in "
                "the capture: the assertions hold on nothing\n");
    judge_assertions(ck);
    return report(ck, error);
}

int
fs_check_main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    Check ck;
    int status = CHECK_CANNOT_RUN;

    memset(&ck, 0, sizeof ck);
    ck.exprs = g_ptr_array_new_with_free_func(
        (GDestroyNotify)fs_policy_expr_free);
    ck.verdicts = g_ptr_array_new_with_free_func(
        (GDestroyNotify)fs_verdict_free);
    ck.truncated = g_ptr_array_new_with_free_func(g_free);
    g_set_prgname("finscope check");
    /* Its default action would end the check without a verdict; a check
     * has no summary so far to print. */
    signal(SIGUSR1, SIG_IGN);
    if (!run(&ck, argc, argv, &error))
        fail(CHECK_CANNOT_RUN, error);
    else
        status = all_passed(&ck) ? CHECK_PASSED : CHECK_FAILED;
    check_clear(&ck);
    return status;
}
