/* finscope tests: capture files — formats, time merge, errors, filters. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>

#include "finscope/capture.h"
#include "finscope/engine.h"
#include "finscope/error.h"
#include "pcapng-write.h"

#define FRAME_LEN 54   /* Ethernet + IPv4 + TCP headers, no payload */
#define WIRE_LEN 60    /* what the wire carried: padded to the minimum */
#define MARK_OFFSET 19 /* low byte of the IPv4 id: tells frames apart */
#define LINKTYPE_ETHERNET 1 /* pcapng IDB value for DLT_EN10MB */
#define LINKTYPE_RAW 101    /* pcapng IDB value that libpcap maps to DLT_RAW */

/* One frame to write: fields patched into frame_template. */
typedef struct {
    FsTime ts;      /* capture time, ns */
    guint8 mark;    /* IPv4 id low byte, to find the frame again */
    guint8 proto;   /* IP protocol: 6 TCP, 17 UDP */
    guint16 sport;  /* source port */
    guint16 dport;  /* destination port */
} TestFrame;

#define TCP_FRAME(ts, mark) { (ts), (mark), 6, 40000, 80 }

static const guint8 frame_template[FRAME_LEN] = {
    /* Ethernet: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, type IPv4 */
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x00,
    /* IPv4: version 4, IHL 5, tos 0, total length 40, id 0x00MM (mark),
     * DF, TTL 64, protocol 6 (patched), checksum 0 (unchecked here),
     * 10.0.0.1 > 10.0.0.2 */
    0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
    0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
    /* TCP: ports (patched), seq 1, ack 0, data offset 5, flags SYN,
     * window 65535, checksum 0, urgent 0 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x50, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
};

static void
build_frame(const TestFrame *tf, guint8 out[FRAME_LEN])
{
    memcpy(out, frame_template, FRAME_LEN);
    out[MARK_OFFSET] = tf->mark;
    out[23] = tf->proto;
    out[34] = (guint8)(tf->sport >> 8);
    out[35] = (guint8)tf->sport;
    out[36] = (guint8)(tf->dport >> 8);
    out[37] = (guint8)tf->dport;
}

/* ---- fixture: one temporary directory per test ---- */

typedef struct {
    char *dir; /* g_dir_make_tmp() directory, removed by teardown */
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    (void)data;
    fx->dir = g_dir_make_tmp("finscope-capture-XXXXXX", &error);
    g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
    g_autoptr(GDir) dir = g_dir_open(fx->dir, 0, NULL);

    (void)data;
    g_assert_nonnull(dir);
    for (const char *name = g_dir_read_name(dir); name != NULL;
         name = g_dir_read_name(dir)) {
        g_autofree char *path = g_build_filename(fx->dir, name, NULL);

        g_assert_cmpint(g_remove(path), ==, 0);
    }
    g_assert_cmpint(g_rmdir(fx->dir), ==, 0);
    g_free(fx->dir);
}

static char *
fixture_path(const Fixture *fx, const char *name)
{
    return g_build_filename(fx->dir, name, NULL);
}

/* ---- writing capture files ---- */

static char *
write_pcap(const Fixture *fx, const char *name, int dlt,
           const TestFrame *frames, guint n)
{
    char *path = fixture_path(fx, name);
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(
        dlt, 65535, PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t *dumper = pcap_dump_open(dead, path);

    g_assert_nonnull(dumper);
    for (guint i = 0; i < n; i++) {
        guint8 frame[FRAME_LEN];
        struct pcap_pkthdr hdr;

        build_frame(&frames[i], frame);
        memset(&hdr, 0, sizeof hdr);
        hdr.ts.tv_sec = (time_t)(frames[i].ts / FS_NS_PER_SEC);
        hdr.ts.tv_usec = (long)(frames[i].ts % FS_NS_PER_SEC); /* ns */
        hdr.caplen = FRAME_LEN;
        hdr.len = WIRE_LEN;
        pcap_dump((u_char *)dumper, &hdr, frame);
    }
    pcap_dump_close(dumper);
    pcap_close(dead);
    return path;
}

static char *
write_pcapng(const Fixture *fx, const char *name, guint16 linktype,
             const TestFrame *frames, guint n)
{
    char *path = fixture_path(fx, name);
    g_autoptr(GError) error = NULL;
    FsPcapngWriter *w = fs_pcapng_writer_open(path, linktype, 65535, &error);

    g_assert_no_error(error);
    for (guint i = 0; i < n; i++) {
        guint8 frame[FRAME_LEN];

        build_frame(&frames[i], frame);
        fs_pcapng_writer_add(w, (guint64)frames[i].ts, frame, FRAME_LEN,
                             WIRE_LEN, &error);
        g_assert_no_error(error);
    }
    fs_pcapng_writer_close(w, &error);
    g_assert_no_error(error);
    return path;
}

static char *
write_bytes(const Fixture *fx, const char *name, const void *bytes,
            gsize len)
{
    char *path = fixture_path(fx, name);
    g_autoptr(GError) error = NULL;

    g_file_set_contents(path, bytes, (gssize)len, &error);
    g_assert_no_error(error);
    return path;
}

/* Rewrites path keeping only its first len bytes. */
static void
truncate_file(const char *path, gsize len)
{
    g_autofree char *bytes = NULL;
    gsize size = 0;
    g_autoptr(GError) error = NULL;

    g_file_get_contents(path, &bytes, &size, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(len, <, size);
    g_file_set_contents(path, bytes, (gssize)len, &error);
    g_assert_no_error(error);
}

/* ---- reading back ---- */

typedef struct {
    FsTime ts;        /* as fs_capture_next() returned it, ns */
    guint source;     /* index of the file it came from */
    int linktype;     /* DLT_ of that file */
    guint8 mark;      /* byte MARK_OFFSET of the frame */
    guint32 caplen;   /* bytes captured */
    guint32 wirelen;  /* bytes on the wire */
    guint32 frame;    /* record number in its file, 1-based */
} Seen;

/* Reads every packet; the run must end with FS_CAPTURE_END. */
static GArray *
read_all(FsCapture *cap)
{
    GArray *seen = g_array_new(FALSE, TRUE, sizeof(Seen));
    g_autoptr(GError) error = NULL;

    for (;;) {
        FsPacket pkt;
        Seen s;
        FsCaptureResult rc = fs_capture_next(cap, &pkt, &error);

        g_assert_no_error(error);
        if (rc == FS_CAPTURE_END)
            break;
        g_assert_cmpint(rc, ==, FS_CAPTURE_PACKET);
        g_assert_nonnull(pkt.data);
        s.ts = pkt.ts;
        s.source = pkt.source;
        s.linktype = pkt.linktype;
        s.mark = pkt.caplen > MARK_OFFSET ? pkt.data[MARK_OFFSET] : 0;
        s.caplen = pkt.caplen;
        s.wirelen = pkt.wirelen;
        s.frame = pkt.frame;
        g_array_append_val(seen, s);
    }
    return seen;
}

static FsCapture *
open_ok(const char *const *paths, guint n, const char *bpf)
{
    g_autoptr(GError) error = NULL;
    FsCapture *cap = fs_capture_open_files(paths, n, bpf, &error);

    g_assert_no_error(error);
    g_assert_nonnull(cap);
    return cap;
}

/* Opening must fail with code, and the one-line message start "path: ". */
static void
assert_open_fails(const char *const *paths, guint n, const char *bpf,
                  FsError code, const char *path)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(FsCapture) cap = fs_capture_open_files(paths, n, bpf, &error);
    g_autofree char *prefix = g_strconcat(path, ": ", NULL);

    g_assert_null(cap);
    g_assert_error(error, FS_ERROR, (gint)code);
    g_assert_true(g_str_has_prefix(error->message, prefix));
    g_assert_null(strchr(error->message, '\n'));
}

/* ---- tests ---- */

static void
test_pcap_nanosecond(Fixture *fx, gconstpointer data)
{
    static const TestFrame frames[] = {
        TCP_FRAME(G_GINT64_CONSTANT(1700000000123456789), 1),
        TCP_FRAME(G_GINT64_CONSTANT(1700000000123456790), 2), /* +1 ns */
        TCP_FRAME(G_GINT64_CONSTANT(1700000001000000001), 3),
    };
    g_autofree char *path = write_pcap(fx, "ns.pcap", DLT_EN10MB, frames, 3);
    const char *paths[] = { path };
    g_autoptr(FsCapture) cap = open_ok(paths, 1, NULL);
    g_autoptr(GArray) seen = read_all(cap);
    FsPacket pkt;

    (void)data;
    g_assert_cmpuint(fs_capture_n_sources(cap), ==, 1);
    g_assert_cmpstr(fs_capture_source_name(cap, 0), ==, path);
    g_assert_cmpuint(seen->len, ==, 3);
    for (guint i = 0; i < 3; i++) {
        const Seen *s = &g_array_index(seen, Seen, i);

        g_assert_cmpint(s->ts, ==, frames[i].ts);
        g_assert_cmpuint(s->mark, ==, frames[i].mark);
        g_assert_cmpuint(s->source, ==, 0);
        g_assert_cmpint(s->linktype, ==, DLT_EN10MB);
        g_assert_cmpuint(s->caplen, ==, FRAME_LEN);
        g_assert_cmpuint(s->wirelen, ==, WIRE_LEN);
    }
    /* Asking again after the end stays at the end. */
    g_assert_cmpint(fs_capture_next(cap, &pkt, NULL), ==, FS_CAPTURE_END);
    g_assert_false(fs_capture_source_truncated(cap, 0));
}

static void
test_pcap_bytes(Fixture *fx, gconstpointer data)
{
    static const TestFrame frames[] = { { 5, 7, 6, 1234, 80 } };
    g_autofree char *path = write_pcap(fx, "b.pcap", DLT_EN10MB, frames, 1);
    const char *paths[] = { path };
    g_autoptr(FsCapture) cap = open_ok(paths, 1, NULL);
    guint8 want[FRAME_LEN];
    FsPacket pkt;

    (void)data;
    build_frame(&frames[0], want);
    g_assert_cmpint(fs_capture_next(cap, &pkt, NULL), ==, FS_CAPTURE_PACKET);
    g_assert_cmpmem(pkt.data, pkt.caplen, want, FRAME_LEN);
}

static void
test_pcapng(Fixture *fx, gconstpointer data)
{
    static const TestFrame frames[] = {
        TCP_FRAME(G_GINT64_CONSTANT(1700000000123456789), 1),
        TCP_FRAME(G_GINT64_CONSTANT(1700000000999999999), 2),
        TCP_FRAME(G_GINT64_CONSTANT(4102444800000000007), 3), /* 2100 */
    };
    g_autofree char *path =
        write_pcapng(fx, "ns.pcapng", LINKTYPE_ETHERNET, frames, 3);
    const char *paths[] = { path };
    g_autoptr(FsCapture) cap = open_ok(paths, 1, NULL);
    g_autoptr(GArray) seen = read_all(cap);

    (void)data;
    g_assert_cmpuint(seen->len, ==, 3);
    for (guint i = 0; i < 3; i++) {
        const Seen *s = &g_array_index(seen, Seen, i);

        g_assert_cmpint(s->ts, ==, frames[i].ts);
        g_assert_cmpuint(s->mark, ==, frames[i].mark);
        g_assert_cmpint(s->linktype, ==, DLT_EN10MB);
        g_assert_cmpuint(s->caplen, ==, FRAME_LEN);
        g_assert_cmpuint(s->wirelen, ==, WIRE_LEN);
    }
}

/* A (pcap, Ethernet) and B (pcapng, raw IP) overlap in time. B's frames
 * keep their Ethernet bytes: capture hands bytes on without decoding. */
static void
test_merge_by_time(Fixture *fx, gconstpointer data)
{
    static const TestFrame a[] = {
        TCP_FRAME(1000000001, 1), TCP_FRAME(1000000002, 2),
        TCP_FRAME(1000000005, 5),
    };
    static const TestFrame b[] = {
        TCP_FRAME(1000000003, 3), TCP_FRAME(1000000004, 4),
        TCP_FRAME(1000000006, 6),
    };
    static const guint want_source[] = { 0, 0, 1, 1, 0, 1 };
    g_autofree char *pa = write_pcap(fx, "a.pcap", DLT_EN10MB, a, 3);
    g_autofree char *pb = write_pcapng(fx, "b.pcapng", LINKTYPE_RAW, b, 3);
    const char *paths[] = { pa, pb };
    g_autoptr(FsCapture) cap = open_ok(paths, 2, NULL);
    g_autoptr(GArray) seen = read_all(cap);

    (void)data;
    g_assert_cmpuint(fs_capture_n_sources(cap), ==, 2);
    g_assert_cmpstr(fs_capture_source_name(cap, 1), ==, pb);
    g_assert_cmpuint(seen->len, ==, 6);
    for (guint i = 0; i < 6; i++) {
        const Seen *s = &g_array_index(seen, Seen, i);

        g_assert_cmpint(s->ts, ==, 1000000001 + i);
        g_assert_cmpuint(s->source, ==, want_source[i]);
        g_assert_cmpint(s->linktype, ==, s->source == 0 ? DLT_EN10MB
                                                        : DLT_RAW);
    }
}

/* Equal times go to the lower source index; a source's own order is kept
 * even when its times go backwards (C: 10 then 5). */
static void
test_merge_ties(Fixture *fx, gconstpointer data)
{
    static const TestFrame a[] = {
        TCP_FRAME(10, 1), TCP_FRAME(20, 2), TCP_FRAME(20, 3),
    };
    static const TestFrame b[] = { TCP_FRAME(10, 4), TCP_FRAME(20, 5) };
    static const TestFrame c[] = { TCP_FRAME(10, 6), TCP_FRAME(5, 7) };
    static const guint8 want[] = { 1, 4, 6, 7, 2, 3, 5 };
    g_autofree char *pa = write_pcap(fx, "a.pcap", DLT_EN10MB, a, 3);
    g_autofree char *pb = write_pcap(fx, "b.pcap", DLT_EN10MB, b, 2);
    g_autofree char *pc =
        write_pcapng(fx, "c.pcapng", LINKTYPE_ETHERNET, c, 2);
    const char *paths[] = { pa, pb, pc };

    (void)data;
    for (int run = 0; run < 2; run++) {
        g_autoptr(FsCapture) cap = open_ok(paths, 3, NULL);
        g_autoptr(GArray) seen = read_all(cap);

        g_assert_cmpuint(seen->len, ==, G_N_ELEMENTS(want));
        for (guint i = 0; i < seen->len; i++)
            g_assert_cmpuint(g_array_index(seen, Seen, i).mark, ==, want[i]);
    }
}

/* Runs in a child process, whose stdin can be replaced freely. */
static void
stdin_child(Fixture *fx)
{
    static const TestFrame frames[] = {
        TCP_FRAME(G_GINT64_CONSTANT(1700000000000000001), 1),
        TCP_FRAME(G_GINT64_CONSTANT(1700000000000000002), 2),
    };
    g_autofree char *path =
        write_pcap(fx, "in.pcap", DLT_EN10MB, frames, 2);
    const char *dash[] = { "-" };
    const char *twice[] = { "-", "-" };
    g_autoptr(FsCapture) cap = NULL;
    g_autoptr(GArray) seen = NULL;

    /* The child's stdin starts as /dev/null: no bytes at all. */
    assert_open_fails(dash, 1, NULL, FS_ERROR_FORMAT, "-");
    g_assert_nonnull(freopen(path, "rb", stdin));
    assert_open_fails(twice, 2, NULL, FS_ERROR_OPEN, "-");
    g_assert_nonnull(freopen(path, "rb", stdin));
    cap = open_ok(dash, 1, NULL);
    seen = read_all(cap);
    g_assert_cmpstr(fs_capture_source_name(cap, 0), ==, "-");
    g_assert_cmpuint(seen->len, ==, 2);
    g_assert_cmpint(g_array_index(seen, Seen, 1).ts, ==, frames[1].ts);
}

static void
test_stdin(Fixture *fx, gconstpointer data)
{
    (void)data;
    if (g_test_subprocess()) {
        stdin_child(fx);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
}

static void
test_missing_file(Fixture *fx, gconstpointer data)
{
    static const TestFrame frames[] = { TCP_FRAME(1, 1) };
    g_autofree char *good =
        write_pcap(fx, "ok.pcap", DLT_EN10MB, frames, 1);
    g_autofree char *missing = fixture_path(fx, "no-such.pcap");
    const char *one[] = { missing };
    const char *second[] = { good, missing };
    const char *dir[] = { fx->dir };

    (void)data;
    assert_open_fails(one, 1, NULL, FS_ERROR_OPEN, missing);
    /* The first file, already open, is released (ASan checks it). */
    assert_open_fails(second, 2, NULL, FS_ERROR_OPEN, missing);
    assert_open_fails(dir, 1, NULL, FS_ERROR_OPEN, fx->dir);
}

static void
test_not_a_capture(Fixture *fx, gconstpointer data)
{
    static const char text[] = "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n";
    g_autoptr(GRand) rand = g_rand_new_with_seed(42);
    guint8 noise[4096];
    g_autofree char *ptext = NULL;
    g_autofree char *pnoise = NULL;

    (void)data;
    for (gsize i = 0; i < sizeof noise; i++)
        noise[i] = (guint8)g_rand_int_range(rand, 0, 256);
    ptext = write_bytes(fx, "text.pcap", text, strlen(text));
    pnoise = write_bytes(fx, "noise.pcap", noise, sizeof noise);
    assert_open_fails((const char *[]){ ptext }, 1, NULL, FS_ERROR_FORMAT,
                      ptext);
    assert_open_fails((const char *[]){ pnoise }, 1, NULL, FS_ERROR_FORMAT,
                      pnoise);
}

static void
assert_truncated_run(const char *path, guint want_packets)
{
    const char *paths[] = { path };
    g_autoptr(FsCapture) cap = open_ok(paths, 1, NULL);
    g_autoptr(GArray) seen = read_all(cap);
    FsSourceCut cut;
    GStatBuf st;

    g_assert_cmpuint(seen->len, ==, want_packets);
    g_assert_true(fs_capture_source_truncated(cap, 0));
    /* where: the whole file was read, the records before the cut */
    g_assert_true(fs_capture_source_cut(cap, 0, &cut));
    g_assert_null(cut.error);
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(cut.bytes_read, ==, (gint64)st.st_size);
    g_assert_cmpuint(cut.records_read, ==, want_packets);
}

/* Three 54-byte frames: a pcap file is a 24-byte header, then per record
 * a 16-byte header and the frame, so records start at 24, 94 and 164. */
static void
test_truncated_file(Fixture *fx, gconstpointer data)
{
    static const TestFrame frames[] = {
        TCP_FRAME(1, 1), TCP_FRAME(2, 2), TCP_FRAME(3, 3),
    };
    g_autofree char *in_data =
        write_pcap(fx, "d.pcap", DLT_EN10MB, frames, 3);
    g_autofree char *in_hdr =
        write_pcap(fx, "h.pcap", DLT_EN10MB, frames, 3);
    g_autofree char *ng =
        write_pcapng(fx, "t.pcapng", LINKTYPE_ETHERNET, frames, 3);
    g_autofree char *bytes = NULL;
    gsize ng_len = 0;

    (void)data;
    truncate_file(in_data, 164 + 16 + 20); /* inside the last frame */
    assert_truncated_run(in_data, 2);
    truncate_file(in_hdr, 164 + 8);        /* inside the last header */
    assert_truncated_run(in_hdr, 2);
    g_assert_true(g_file_get_contents(ng, &bytes, &ng_len, NULL));
    truncate_file(ng, ng_len - 30);        /* inside the last EPB */
    assert_truncated_run(ng, 2);
}

/* A record whose length field lies is corruption, not truncation. */
static void
test_corrupt_record(Fixture *fx, gconstpointer data)
{
    static const TestFrame frames[] = { TCP_FRAME(1, 1), TCP_FRAME(2, 2) };
    g_autofree char *path =
        write_pcap(fx, "bad.pcap", DLT_EN10MB, frames, 2);
    g_autofree char *bytes = NULL;
    gsize len = 0;
    const char *paths[] = { path };
    g_autoptr(FsCapture) cap = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *prefix = g_strconcat(path, ": ", NULL);
    FsPacket pkt;

    (void)data;
    g_assert_true(g_file_get_contents(path, &bytes, &len, NULL));
    /* Second record's caplen field (offset 94 + 8), host order: 2^31-1. */
    memset(bytes + 94 + 8, 0xff, 3);
    bytes[94 + 8 + (G_BYTE_ORDER == G_LITTLE_ENDIAN ? 3 : 0)] = 0x7f;
    g_assert_true(g_file_set_contents(path, bytes, (gssize)len, NULL));
    cap = open_ok(paths, 1, NULL);
    g_assert_cmpint(fs_capture_next(cap, &pkt, &error), ==,
                    FS_CAPTURE_PACKET);
    g_assert_cmpint(fs_capture_next(cap, &pkt, &error), ==,
                    FS_CAPTURE_ERROR);
    g_assert_error(error, FS_ERROR, FS_ERROR_FORMAT);
    g_assert_true(g_str_has_prefix(error->message, prefix));
    g_assert_false(fs_capture_source_truncated(cap, 0));
}

/* A read error ends its file where its last good record ends; the files
 * merged with it are read to their end, and then the capture ends with
 * the error. Read in place or by libpcap, the same place. */
static void
assert_stops_at_94(const char *bad, const char *good)
{
    const char *paths[] = { bad, good };
    g_autoptr(FsCapture) cap = open_ok(paths, 2, NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *prefix = g_strconcat(bad, ": ", NULL);
    guint32 from_good = 0, from_bad = 0;
    FsCaptureResult rc;
    FsPacket pkt;
    FsSourceCut cut;

    while ((rc = fs_capture_next(cap, &pkt, &error)) == FS_CAPTURE_PACKET) {
        if (pkt.source == 0)
            from_bad++;
        else
            from_good++;
    }
    g_assert_cmpint(rc, ==, FS_CAPTURE_ERROR);
    g_assert_error(error, FS_ERROR, FS_ERROR_FORMAT);
    g_assert_true(g_str_has_prefix(error->message, prefix));
    g_assert_cmpuint(from_bad, ==, 1);
    g_assert_cmpuint(from_good, ==, 3); /* all of it, after the error */
    g_assert_false(fs_capture_source_truncated(cap, 0));
    g_assert_true(fs_capture_source_cut(cap, 0, &cut));
    g_assert_cmpstr(cut.error, ==, error->message + strlen(prefix));
    g_assert_cmpint(cut.bytes_read, ==, 94); /* the second record's start */
    g_assert_cmpuint(cut.records_read, ==, 1);
    g_assert_false(fs_capture_source_cut(cap, 1, &cut));
}

static void
test_corrupt_record_merged(Fixture *fx, gconstpointer data)
{
    static const TestFrame frames[] = { TCP_FRAME(1, 1), TCP_FRAME(2, 2) };
    static const TestFrame later[] = {
        TCP_FRAME(3, 3), TCP_FRAME(4, 4), TCP_FRAME(5, 5),
    };
    g_autofree char *bad =
        write_pcap(fx, "bad.pcap", DLT_EN10MB, frames, 2);
    g_autofree char *good =
        write_pcap(fx, "good.pcap", DLT_EN10MB, later, 3);
    g_autofree char *bytes = NULL;
    gsize len = 0;

    (void)data;
    g_assert_true(g_file_get_contents(bad, &bytes, &len, NULL));
    memset(bytes + 94 + 8, 0xff, 3); /* the second record's caplen */
    bytes[94 + 8 + (G_BYTE_ORDER == G_LITTLE_ENDIAN ? 3 : 0)] = 0x7f;
    g_assert_true(g_file_set_contents(bad, bytes, (gssize)len, NULL));
    assert_stops_at_94(bad, good);
    g_setenv("FINSCOPE_NO_MMAP", "1", TRUE);
    assert_stops_at_94(bad, good);
    g_unsetenv("FINSCOPE_NO_MMAP");
}

static void
test_empty_file(Fixture *fx, gconstpointer data)
{
    g_autofree char *empty = write_bytes(fx, "empty.pcap", "", 0);
    g_autofree char *header_only =
        write_pcap(fx, "hdr.pcap", DLT_EN10MB, NULL, 0);
    g_autofree char *cut = write_pcap(fx, "cut.pcap", DLT_EN10MB, NULL, 0);
    const char *paths[] = { header_only };
    g_autoptr(GError) error = NULL;
    g_autoptr(FsCapture) cap = NULL;
    FsPacket pkt;

    (void)data;
    assert_open_fails((const char *[]){ empty }, 1, NULL, FS_ERROR_FORMAT,
                      empty);
    truncate_file(cut, 10); /* inside the 24-byte file header */
    assert_open_fails((const char *[]){ cut }, 1, NULL, FS_ERROR_FORMAT,
                      cut);
    /* A file header with no records is a valid, empty capture. */
    cap = open_ok(paths, 1, NULL);
    g_assert_cmpint(fs_capture_next(cap, &pkt, &error), ==, FS_CAPTURE_END);
    g_assert_no_error(error);
}

static void
test_bad_filter(Fixture *fx, gconstpointer data)
{
    static const TestFrame frames[] = { TCP_FRAME(1, 1) };
    g_autofree char *path = write_pcap(fx, "f.pcap", DLT_EN10MB, frames, 1);
    const char *paths[] = { path };

    (void)data;
    assert_open_fails(paths, 1, "tcp port nonsense", FS_ERROR_FILTER, path);
    assert_open_fails(paths, 1, "((", FS_ERROR_FILTER, path);
}

/* The filter applies to every file. */
static void
test_filter(Fixture *fx, gconstpointer data)
{
    static const TestFrame a[] = {
        { 1, 1, 6, 40000, 80 },   /* TCP to port 80: kept */
        { 2, 2, 6, 40000, 443 },  /* TCP to port 443 */
        { 3, 3, 17, 5000, 80 },   /* UDP to port 80 */
        { 5, 5, 6, 80, 40001 },   /* TCP from port 80: kept */
    };
    static const TestFrame b[] = {
        { 4, 4, 6, 40002, 80 },   /* TCP to port 80: kept */
        { 6, 6, 6, 8080, 8081 },  /* TCP, other ports */
    };
    static const guint8 want[] = { 1, 4, 5 };
    /* numbered as Wireshark numbers each file: filtered-out records
     * count */
    static const guint32 want_frame[] = { 1, 1, 4 };
    static const guint want_source[] = { 0, 1, 0 };
    g_autofree char *pa = write_pcap(fx, "a.pcap", DLT_EN10MB, a, 4);
    g_autofree char *pb =
        write_pcapng(fx, "b.pcapng", LINKTYPE_ETHERNET, b, 2);
    const char *paths[] = { pa, pb };
    g_autoptr(FsCapture) cap = open_ok(paths, 2, "tcp port 80");
    g_autoptr(GArray) seen = read_all(cap);

    (void)data;
    g_assert_cmpuint(seen->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < seen->len; i++) {
        g_assert_cmpuint(g_array_index(seen, Seen, i).mark, ==, want[i]);
        g_assert_cmpuint(g_array_index(seen, Seen, i).frame, ==,
                         want_frame[i]);
        g_assert_cmpuint(g_array_index(seen, Seen, i).source, ==,
                         want_source[i]);
    }
}

static void
test_unsupported_linktype(Fixture *fx, gconstpointer data)
{
    static const TestFrame frames[] = { TCP_FRAME(1, 1) };
    g_autofree char *good =
        write_pcap(fx, "eth.pcap", DLT_EN10MB, frames, 1);
    g_autofree char *wifi =
        write_pcap(fx, "user0.pcap", DLT_USER0, frames, 1);
    const char *paths[] = { good, wifi };
    g_autoptr(GError) error = NULL;
    g_autoptr(FsCapture) cap = fs_capture_open_files(paths, 2, NULL, &error);

    (void)data;
    g_assert_null(cap);
    g_assert_error(error, FS_ERROR, FS_ERROR_LINKTYPE);
    g_assert_true(g_str_has_prefix(error->message, wifi));
    g_assert_nonnull(strstr(error->message, "(147)"));
    assert_open_fails(paths + 1, 1, NULL, FS_ERROR_LINKTYPE, wifi);
}

/* ---- batches decoded where they lie ---- */

/* What a whole run of a capture decodes to, and how it ends. */
typedef struct {
    GArray *status;          /* guint8 FsDecodeStatus of each packet */
    GArray *seg;             /* FsSegment of each, zeroed before */
    FsCaptureResult end;     /* FS_CAPTURE_END or FS_CAPTURE_ERROR */
    GError *error;           /* with FS_CAPTURE_ERROR */
    gboolean truncated;      /* fs_capture_source_truncated(, 0) */
} Decoded;

static void
decoded_clear(Decoded *d)
{
    g_array_unref(d->status);
    g_array_unref(d->seg);
    g_clear_error(&d->error);
}

/* max 0: fs_capture_next() and fs_engine_decode() a packet at a time;
 * else fs_capture_decode_batch() max packets at a time. */
static Decoded
decode_run(const char *const *paths, guint n_paths, const char *bpf,
           guint max)
{
    g_autoptr(FsCapture) cap = open_ok(paths, n_paths, bpf);
    Decoded d = { g_array_new(FALSE, TRUE, 1),
                  g_array_new(FALSE, TRUE, sizeof(FsSegment)),
                  FS_CAPTURE_PACKET, NULL, FALSE };

    while (d.end == FS_CAPTURE_PACKET) {
        guint have = d.seg->len;
        guint n = 0;

        g_array_set_size(d.status, have + MAX(max, 1));
        g_array_set_size(d.seg, have + MAX(max, 1)); /* zeroed */
        if (max == 0) {
            FsPacket pkt;

            d.end = fs_capture_next(cap, &pkt, &d.error);
            if (d.end == FS_CAPTURE_PACKET) {
                g_array_index(d.status, guint8, have) = (guint8)
                    fs_engine_decode(&pkt,
                                     &g_array_index(d.seg, FsSegment, have));
                n = 1;
            }
        } else {
            d.end = fs_capture_decode_batch(
                cap, &g_array_index(d.status, guint8, have),
                &g_array_index(d.seg, FsSegment, have), max, &n, &d.error);
            g_assert_cmpuint(n, <=, max);
            g_assert_true(d.end != FS_CAPTURE_PACKET || n == max);
        }
        g_array_set_size(d.status, have + n);
        g_array_set_size(d.seg, have + n);
    }
    d.truncated = fs_capture_source_truncated(cap, 0);
    return d;
}

/* Batches of 1, 2, 3, 7 and 64 decode what a packet at a time does,
 * byte for byte, and end the same way. */
static void
assert_batches_decode_alike(const char *const *paths, guint n_paths,
                            const char *bpf, guint want_packets)
{
    static const guint sizes[] = { 1, 2, 3, 7, 64 };
    Decoded one = decode_run(paths, n_paths, bpf, 0);

    g_assert_cmpuint(one.seg->len, ==, want_packets);
    for (guint k = 0; k < G_N_ELEMENTS(sizes); k++) {
        Decoded b = decode_run(paths, n_paths, bpf, sizes[k]);

        g_assert_cmpint(b.end, ==, one.end);
        g_assert_cmpuint(b.truncated, ==, one.truncated);
        if (one.error != NULL) {
            g_assert_error(b.error, one.error->domain, one.error->code);
            g_assert_cmpstr(b.error->message, ==, one.error->message);
        } else {
            g_assert_no_error(b.error);
        }
        g_assert_cmpmem(b.status->data, b.status->len, one.status->data,
                        one.status->len);
        g_assert_cmpmem(b.seg->data, b.seg->len * sizeof(FsSegment),
                        one.seg->data, one.seg->len * sizeof(FsSegment));
        decoded_clear(&b);
    }
    decoded_clear(&one);
}

/* fs_capture_decode_batch(): a mapped file decoded record after record,
 * also where libpcap takes over inside a batch (a file cut short, a
 * record that lies), and the general way (pcapng, a filter, files
 * merged, no map). */
static void
test_decode_batch(Fixture *fx, gconstpointer data)
{
    static const TestFrame a[] = {
        TCP_FRAME(1000000001, 1), { 1000000002, 2, 17, 5000, 53 },
        { 1000000004, 4, 6, 40001, 443 }, TCP_FRAME(1000000005, 5),
        TCP_FRAME(1000000006, 6), { 1000000007, 7, 6, 80, 40000 },
        TCP_FRAME(1000000008, 8), { 1000000009, 9, 6, 40002, 80 },
        TCP_FRAME(1000000010, 10), { 1000000011, 11, 17, 53, 5000 },
    };
    static const TestFrame b[] = {
        TCP_FRAME(1000000003, 3), { 1000000012, 12, 6, 40003, 80 },
    };
    g_autofree char *pa = write_pcap(fx, "a.pcap", DLT_EN10MB, a, 10);
    g_autofree char *cut = write_pcap(fx, "cut.pcap", DLT_EN10MB, a, 10);
    g_autofree char *bad = write_pcap(fx, "bad.pcap", DLT_EN10MB, a, 10);
    g_autofree char *ng =
        write_pcapng(fx, "a.pcapng", LINKTYPE_ETHERNET, a, 10);
    g_autofree char *pb = write_pcapng(fx, "b.pcapng", LINKTYPE_ETHERNET, b, 2);
    g_autofree char *bytes = NULL;
    gsize len = 0;
    const char *one[] = { pa };
    const char *two[] = { pa, pb };

    (void)data;
    assert_batches_decode_alike(one, 1, NULL, 10);
    assert_batches_decode_alike(one, 1, "tcp port 80", 7);
    assert_batches_decode_alike(two, 2, NULL, 12);
    one[0] = ng;
    assert_batches_decode_alike(one, 1, NULL, 10);
    /* records start at 24 + 70 i: cut inside the eighth's frame */
    truncate_file(cut, 24 + 70 * 7 + 16 + 20);
    one[0] = cut;
    assert_batches_decode_alike(one, 1, NULL, 7);
    /* the sixth record's caplen, host order: 2^31-1 */
    g_assert_true(g_file_get_contents(bad, &bytes, &len, NULL));
    memset(bytes + 24 + 70 * 5 + 8, 0xff, 3);
    bytes[24 + 70 * 5 + 8 + (G_BYTE_ORDER == G_LITTLE_ENDIAN ? 3 : 0)] =
        0x7f;
    g_assert_true(g_file_set_contents(bad, bytes, (gssize)len, NULL));
    one[0] = bad;
    assert_batches_decode_alike(one, 1, NULL, 5);
    g_setenv("FINSCOPE_NO_MMAP", "1", TRUE);
    one[0] = pa;
    assert_batches_decode_alike(one, 1, NULL, 10);
    g_unsetenv("FINSCOPE_NO_MMAP");
}

static void
add(const char *path, void (*fn)(Fixture *, gconstpointer))
{
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    add("/capture/pcap/nanosecond", test_pcap_nanosecond);
    add("/capture/pcap/bytes", test_pcap_bytes);
    add("/capture/pcapng", test_pcapng);
    add("/capture/merge-by-time", test_merge_by_time);
    add("/capture/merge-ties", test_merge_ties);
    add("/capture/stdin", test_stdin);
    add("/capture/missing-file", test_missing_file);
    add("/capture/not-a-capture", test_not_a_capture);
    add("/capture/truncated-file", test_truncated_file);
    add("/capture/corrupt-record", test_corrupt_record);
    add("/capture/corrupt-record-merged", test_corrupt_record_merged);
    add("/capture/empty-file", test_empty_file);
    add("/capture/bad-filter", test_bad_filter);
    add("/capture/filter", test_filter);
    add("/capture/unsupported-linktype", test_unsupported_linktype);
    add("/capture/decode-batch", test_decode_batch);
    return g_test_run();
}
