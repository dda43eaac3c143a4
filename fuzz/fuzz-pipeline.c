/* finscope fuzzing: the whole pipeline on one hostile capture file.
 *
 * Input: a pcap or pcapng file. It is read from memory (fmemopen) by
 * libpcap with nanosecond timestamps, exactly as capture.c opens a file,
 * and every packet goes through fs_engine_packet() into the real
 * reporters, writing to /dev/null. In a pcap file, byte 8 (the low byte
 * of the "thiszone" field, which libpcap ignores) picks the options, so
 * the bundled samples (0 there) run with finscope's defaults:
 *   bit 0 --rfc1337, bit 1 --events, bit 2 text instead of JSON,
 *   bit 3 idle_timeout = byte 9 + 1 seconds, bit 4 max_flows = byte 10
 *   % 8 + 1, bits 5-6 MSL 30, 15, 120 or 1 s, bit 7 an ephemeral port
 *   range of byte 11 + 1 ports (else Linux's 28232). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <pcap/pcap.h>

#include "finscope/capture.h"
#include "finscope/decode.h"
#include "finscope/engine.h"
#include "finscope/report.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull; /* the reports' output, opened once */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* A g_return_if_fail() or g_warning() in the pipeline is a bug. */
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING |
                           G_LOG_LEVEL_ERROR);
    devnull = fopen("/dev/null", "w");
    g_assert_nonnull(devnull);
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
}

/* capture.c's capture_time() (static there), for NANO precision: a file
 * may claim any time, and capture clamps it into [0, FS_TIME_MAX]
 * (samples/fuzz-crash-1.pcap and -2 overflowed before it did). */
static FsTime
packet_time(const struct pcap_pkthdr *hdr)
{
    gint64 sec = (gint64)hdr->ts.tv_sec;
    gint64 frac = (gint64)hdr->ts.tv_usec;

    if (sec < 0 || frac < 0)
        return 0;
    if (sec >= FS_TIME_MAX / FS_NS_PER_SEC - 1)
        return FS_TIME_MAX;
    if (frac >= FS_NS_PER_SEC)
        return sec * FS_NS_PER_SEC;
    return sec * FS_NS_PER_SEC + frac;
}

/* The packet loop of main.c, on one source. */
static void
run_pipeline(pcap_t *pcap, FsEngine *engine)
{
    int linktype = pcap_datalink(pcap);
    struct pcap_pkthdr *hdr = NULL;
    const u_char *bytes = NULL;

    while (pcap_next_ex(pcap, &hdr, &bytes) == 1) {
        FsPacket pkt;

        pkt.ts = packet_time(hdr);
        pkt.linktype = linktype;
        pkt.data = bytes;
        pkt.caplen = hdr->caplen;
        pkt.wirelen = hdr->len;
        pkt.source = 0;
        fs_engine_packet(engine, &pkt);
    }
}

/* main.c's run(): engine into the real reporters, then the summary. */
static void
analyse(pcap_t *pcap, const guint8 *data, gsize size)
{
    FsEngineConfig cfg;
    FsReportFormat format;
    g_autoptr(FsReport) report = NULL;
    g_autoptr(FsEngine) engine = NULL;
    FsEngineSink sink;

    pick_options(data, size, &cfg, &format);
    report = fs_report_new(format, devnull, &cfg);
    sink = fs_report_sink(report);
    engine = fs_engine_new(&cfg, &sink);
    run_pipeline(pcap, engine);
    fs_engine_finish(engine);
    fs_report_finish(report, engine);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    g_autofree guint8 *copy = NULL;
    FILE *fp;
    pcap_t *pcap;

    if (size < 4 || size > 1 << 20)
        return 0;
    copy = g_malloc(size);
    memcpy(copy, data, size);
    fp = fmemopen(copy, size, "rb");
    if (fp == NULL)
        return 0;
    pcap = pcap_fopen_offline_with_tstamp_precision(
        fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (pcap == NULL) {
        fclose(fp); /* on failure libpcap leaves the stream to us */
        return 0;
    }
    /* capture.c refuses other link types when the file is opened. */
    if (fs_decode_linktype_supported(pcap_datalink(pcap)))
        analyse(pcap, data, size);
    pcap_close(pcap); /* closes fp too */
    return 0;
}
