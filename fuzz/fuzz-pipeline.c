/* finscope fuzzing: the whole pipeline on one hostile capture file.
 *
 * Input: a pcap or pcapng file. It is written to a memfd and opened by
 * its path with fs_capture_open_files(), and read with fs_reader_run()
 * (one thread: batches, decode, 4-tuple hashing) into the engine and the
 * real reporters, writing to memory: the path of finscope -r. In a
 * pcap file, byte 8 (the low byte of the "thiszone" field, which libpcap
 * ignores) picks the options, so the bundled samples (0 there) run with
 * finscope's defaults:
 *   bit 0 --rfc1337, bit 1 --events, bit 2 text instead of JSON,
 *   bit 3 idle_timeout = byte 9 + 1 seconds, bit 4 max_flows = byte 10
 *   % 8 + 1, bits 5-6 MSL 30, 15, 120 or 1 s, bit 7 an ephemeral port
 *   range of byte 11 + 1 ports (else Linux's 28232). Byte 12 (sigfigs,
 *   ignored too) % 3: 1 freezes quiet connections at every sweep, 2
 *   never, 0 after the default (10 s for open ones).
 * Each input runs three times, read in place (src/1-engine/mapped.c)
 * through the window, from the file mapped in chunks (fs_capture_map()
 * with FINSCOPE_MAP set: --threads 1; chunks of the fuzz build's window
 * size, so that records straddle them) and with FINSCOPE_NO_MMAP
 * through libpcap alone: the reports and the errors must be the same
 * byte for byte, unless libpcap refused a pcapng interface whose
 * snapshot differs from the first one's, which the mapped reader reads
 * (mapped-pcapng.h). */
#define _GNU_SOURCE /* memfd_create */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include "finscope/capture.h"
#include "finscope/engine.h"
#include "finscope/reader.h"
#include "finscope/report.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* A g_return_if_fail() or g_warning() in the pipeline is a bug. */
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING |
                           G_LOG_LEVEL_ERROR);
    /* fs_capture_map() maps only when asked */
    g_setenv("FINSCOPE_MAP", "1", TRUE);
    return 0;
}

static gboolean
is_pcap_magic(const guint8 *d)
{
    static const guint8 magics[][4] = {
        { 0xd4, 0xc3, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0xc3, 0xd4 },
        { 0x4d, 0x3c, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0x3c, 0x4d },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(magics); i++) {
        if (memcmp(d, magics[i], 4) == 0)
            return TRUE;
    }
    return FALSE;
}

static void
pick_options(const guint8 *data, gsize size, FsEngineConfig *cfg,
             FsReportFormat *format)
{
    static const gint64 msl_s[] = { 30, 15, 120, 1 };
    guint8 bits = 0;

    memset(cfg, 0, sizeof *cfg);
    if (size >= 24 && is_pcap_magic(data))
        bits = data[8];
    cfg->msl = msl_s[(bits >> 5) & 3] * FS_NS_PER_SEC;
    cfg->rfc1337 = (bits & 0x01) != 0;
    cfg->all_events = (bits & 0x02) != 0;
    *format = (bits & 0x04) ? FS_REPORT_TEXT : FS_REPORT_JSON;
    if (bits & 0x08)
        cfg->idle_timeout = ((FsTime)data[9] + 1) * FS_NS_PER_SEC;
    if (bits & 0x10)
        cfg->max_flows = data[10] % 8u + 1u;
    cfg->ephemeral_ports = (bits & 0x80) ? data[11] + 1u : 28232u;
    if (size >= 24 && is_pcap_magic(data))
        cfg->freeze_after = data[12] % 3 == 1 ? 1 : data[12] % 3 == 2 ? -1 : 0;
}

/* main.c's run(): the capture through fs_reader_run() (one thread) into
 * the engine and the real reporters, then the summary, to out; the
 * reader's error, if any, after it. */
static void
analyse(FsCapture *cap, const guint8 *data, gsize size, FILE *out)
{
    FsEngineConfig cfg;
    FsReportFormat format;
    g_autoptr(FsReport) report = NULL;
    g_autoptr(FsEngine) engine = NULL;
    FsEngineSink sink;

    pick_options(data, size, &cfg, &format);
    g_autoptr(GError) error = NULL;
    FsCaptureResult end;

    pick_options(data, size, &cfg, &format);
    report = fs_report_new(format, out, &cfg);
    sink = fs_report_sink(report);
    engine = fs_engine_new(&cfg, &sink);
    end = fs_reader_run(cap, engine, FALSE, &error);
    fs_engine_finish(engine);
    fs_report_finish(report, engine);
    fprintf(out, "end %d %s truncated %d\n", (int)end,
            error != NULL ? error->message : "",
            (int)fs_capture_source_truncated(cap, 0));
}

/* The whole run on the file at path, reported into a string. */
static char *
run_once(const char *path, const guint8 *data, gsize size, gboolean map,
         gsize *len)
{
    const char *paths[1] = { path };
    g_autoptr(GError) error = NULL;
    char *text = NULL;
    FILE *out = open_memstream(&text, len);
    FsCapture *cap;

    g_assert_nonnull(out);
    cap = fs_capture_open_files(paths, 1, NULL, &error);
    if (cap != NULL) {
        if (map)
            (void)fs_capture_map(cap);
        analyse(cap, data, size, out);
        fs_capture_free(cap);
    } else {
        fprintf(out, "open failed: %s\n", error->message);
    }
    g_assert(fclose(out) == 0);
    return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *path = NULL;
    g_autofree char *mapped = NULL;
    g_autofree char *libpcap = NULL;
    g_autofree char *in_map = NULL;
    gsize n_in_map = 0;
    gsize n_mapped = 0;
    gsize n_libpcap = 0;
    int fd;

    if (size < 4 || size > 1 << 20)
        return 0;
    /* a file in memory, opened by its path as finscope -r opens one */
    fd = memfd_create("fuzz-input", 0);
    g_assert(fd >= 0);
    g_assert(write(fd, data, size) == (ssize_t)size);
    path = g_strdup_printf("/proc/self/fd/%d", fd);
    g_unsetenv("FINSCOPE_NO_MMAP");
    mapped = run_once(path, data, size, FALSE, &n_mapped);
    /* read from chunks of the file mapped (--threads 1): the same */
    in_map = run_once(path, data, size, TRUE, &n_in_map);
    if (n_in_map != n_mapped || memcmp(in_map, mapped, n_mapped) != 0) {
        fprintf(stderr, "fuzz-pipeline: mapped chunks and window differ\n"
                "--- chunks\n%s--- window\n%s", in_map, mapped);
        abort();
    }
    g_setenv("FINSCOPE_NO_MMAP", "1", TRUE);
    libpcap = run_once(path, data, size, FALSE, &n_libpcap);
    g_unsetenv("FINSCOPE_NO_MMAP");
    if ((n_mapped != n_libpcap || memcmp(mapped, libpcap, n_mapped) != 0) &&
        strstr(libpcap, "different from the snapshot length of the first "
                        "interface") == NULL &&
        strstr(libpcap, "different from the type of the first "
                        "interface") == NULL) {
        fprintf(stderr, "fuzz-pipeline: mapped and libpcap differ\n"
                "--- mapped\n%s--- libpcap\n%s", mapped, libpcap);
        abort();
    }
    close(fd);
    return 0;
}
