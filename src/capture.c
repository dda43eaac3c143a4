/* finscope: capture files opened with nanosecond timestamps, merged by time. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <pcap/pcap.h>

#include "finscope/capture.h"
#include "finscope/decode.h"
#include "finscope/error.h"

typedef enum {
    SOURCE_NEED = 0, /* nothing buffered: read before the next merge */
    SOURCE_HAVE,     /* one packet buffered, waiting its turn */
    SOURCE_DONE,     /* end of file, a truncated last record, or an error */
} SourceState;

typedef struct {
    char *name;          /* path as given; "-" is standard input */
    pcap_t *pcap;        /* open savefile; NULL once closed */
    int linktype;        /* pcap_datalink() of this file */
    SourceState state;   /* what the buffer below holds */
    gboolean truncated;  /* the file ended inside its last record */
    FsTime ts;           /* timestamp of the buffered packet, ns */
    guint32 caplen;      /* bytes buffered in data */
    guint32 wirelen;     /* original length of the buffered packet */
    GByteArray *data;    /* own copy: libpcap reuses its buffer */
} FsSource;

struct FsCapture {
    FsSource *sources;   /* n_sources entries, in command-line order */
    guint n_sources;     /* number of files */
};

static void
source_clear(FsSource *src)
{
    if (src->pcap != NULL)
        pcap_close(src->pcap);
    src->pcap = NULL;
    g_clear_pointer(&src->data, g_byte_array_unref);
    g_clear_pointer(&src->name, g_free);
}

void
fs_capture_free(FsCapture *cap)
{
    if (cap == NULL)
        return;
    for (guint i = 0; i < cap->n_sources; i++)
        source_clear(&cap->sources[i]);
    g_free(cap->sources);
    g_free(cap);
}

/* Opens the stream ourselves so that "cannot open" (FS_ERROR_OPEN) is told
 * apart from "not a capture" (FS_ERROR_FORMAT), and a 0-byte file gets a
 * clearer message than libpcap's "truncated dump file". */
static FILE *
open_stream(const char *path, GError **error)
{
    gboolean is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    int c;

    if (fp == NULL) {
        int saved = errno;
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "%s: %s", path,
                    g_strerror(saved));
        return NULL;
    }
    c = getc(fp);
    if (c != EOF) {
        ungetc(c, fp);
        return fp;
    }
    if (ferror(fp)) {
        int saved = errno;
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "%s: %s", path,
                    g_strerror(saved));
    } else {
        g_set_error(error, FS_ERROR, FS_ERROR_FORMAT,
                    "%s: empty file, not a capture", path);
    }
    if (!is_stdin)
        fclose(fp);
    return NULL;
}

static gboolean
check_linktype(const FsSource *src, GError **error)
{
    const char *name = NULL;

    if (fs_decode_linktype_supported(src->linktype))
        return TRUE;
    name = pcap_datalink_val_to_name(src->linktype);
    g_set_error(error, FS_ERROR, FS_ERROR_LINKTYPE,
                "%s: unsupported link type %s (%d)", src->name,
                name != NULL ? name : "unknown", src->linktype);
    return FALSE;
}

static gboolean
set_filter(const FsSource *src, const char *bpf, GError **error)
{
    struct bpf_program prog;
    int rc;

    if (pcap_compile(src->pcap, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        g_set_error(error, FS_ERROR, FS_ERROR_FILTER,
                    "%s: bad filter \"%s\": %s", src->name, bpf,
                    pcap_geterr(src->pcap));
        return FALSE;
    }
    rc = pcap_setfilter(src->pcap, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        g_set_error(error, FS_ERROR, FS_ERROR_FILTER,
                    "%s: cannot set filter \"%s\": %s", src->name, bpf,
                    pcap_geterr(src->pcap));
        return FALSE;
    }
    return TRUE;
}

static gboolean
source_open(FsSource *src, const char *path, const char *bpf,
            GError **error)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    FILE *fp = NULL;

    src->name = g_strdup(path);
    /* Never empty, so pkt->data is not NULL even for a 0-byte frame. */
    src->data = g_byte_array_sized_new(2048);
    fp = open_stream(path, error);
    if (fp == NULL)
        return FALSE;
    src->pcap = pcap_fopen_offline_with_tstamp_precision(
        fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (src->pcap == NULL) {
        /* On failure libpcap leaves the stream to us. */
        if (fp != stdin)
            fclose(fp);
        g_set_error(error, FS_ERROR, FS_ERROR_FORMAT, "%s: %s", path,
                    errbuf);
        return FALSE;
    }
    src->linktype = pcap_datalink(src->pcap);
    if (!check_linktype(src, error))
        return FALSE;
    return bpf == NULL || set_filter(src, bpf, error);
}

FsCapture *
fs_capture_open_files(const char *const *paths, guint n_paths,
                      const char *bpf, GError **error)
{
    g_autoptr(FsCapture) cap = NULL;
    gboolean seen_stdin = FALSE;

    g_return_val_if_fail(paths != NULL, NULL);
    g_return_val_if_fail(n_paths > 0, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    cap = g_new0(FsCapture, 1);
    cap->sources = g_new0(FsSource, n_paths);
    for (guint i = 0; i < n_paths; i++) {
        g_return_val_if_fail(paths[i] != NULL, NULL);
        /* A second "-" would read the rest of the first one's bytes. */
        if (strcmp(paths[i], "-") == 0 && seen_stdin) {
            g_set_error(error, FS_ERROR, FS_ERROR_OPEN,
                        "-: standard input can be read only once");
            return NULL;
        }
        seen_stdin = seen_stdin || strcmp(paths[i], "-") == 0;
        cap->n_sources = i + 1;
        if (!source_open(&cap->sources[i], paths[i], bpf, error))
            return NULL;
    }
    return g_steal_pointer(&cap);
}

/* libpcap reports a file that ends inside a record as an error whose text
 * starts "truncated dump file" (pcap) or "truncated pcapng dump file". */
static gboolean
is_truncation(const char *msg)
{
    return g_str_has_prefix(msg, "truncated ") &&
           strstr(msg, "dump file") != NULL;
}

static void
source_buffer(FsSource *src, const struct pcap_pkthdr *hdr,
              const guint8 *bytes)
{
    src->ts = (FsTime)hdr->ts.tv_sec * FS_NS_PER_SEC +
              (FsTime)hdr->ts.tv_usec; /* ns with PCAP_TSTAMP_PRECISION_NANO */
    src->caplen = hdr->caplen;
    src->wirelen = hdr->len;
    g_byte_array_set_size(src->data, 0);
    g_byte_array_append(src->data, bytes, hdr->caplen);
    src->state = SOURCE_HAVE;
}

/* Reads the next packet of a source that has none buffered. */
static gboolean
source_fill(FsSource *src, GError **error)
{
    struct pcap_pkthdr *hdr = NULL;
    const u_char *bytes = NULL;
    int rc = pcap_next_ex(src->pcap, &hdr, &bytes);
    const char *msg = NULL;

    if (rc == 1) {
        source_buffer(src, hdr, bytes);
        return TRUE;
    }
    src->state = SOURCE_DONE;
    if (rc == PCAP_ERROR_BREAK)
        return TRUE;
    msg = pcap_geterr(src->pcap);
    if (rc == PCAP_ERROR && is_truncation(msg)) {
        src->truncated = TRUE;
        return TRUE;
    }
    g_set_error(error, FS_ERROR, FS_ERROR_FORMAT, "%s: %s", src->name,
                rc == PCAP_ERROR ? msg : "unexpected end of capture");
    return FALSE;
}

/* The earliest buffered packet; ties go to the lowest source index, so the
 * merge is deterministic. Returns n_sources when every source is done. */
static guint
earliest_source(const FsCapture *cap)
{
    guint best = cap->n_sources;

    for (guint i = 0; i < cap->n_sources; i++) {
        const FsSource *src = &cap->sources[i];

        if (src->state != SOURCE_HAVE)
            continue;
        if (best == cap->n_sources || src->ts < cap->sources[best].ts)
            best = i;
    }
    return best;
}

/* After FS_CAPTURE_ERROR the failed source counts as finished, so a caller
 * that goes on gets the other sources' packets. */
FsCaptureResult
fs_capture_next(FsCapture *cap, FsPacket *pkt, GError **error)
{
    guint best;
    FsSource *src = NULL;

    g_return_val_if_fail(cap != NULL, FS_CAPTURE_ERROR);
    g_return_val_if_fail(pkt != NULL, FS_CAPTURE_ERROR);
    g_return_val_if_fail(error == NULL || *error == NULL, FS_CAPTURE_ERROR);

    /* Refilling here, not right after handing a packet out, keeps the
     * previous packet's bytes valid until this call. */
    for (guint i = 0; i < cap->n_sources; i++) {
        if (cap->sources[i].state == SOURCE_NEED &&
            !source_fill(&cap->sources[i], error))
            return FS_CAPTURE_ERROR;
    }
    best = earliest_source(cap);
    if (best == cap->n_sources)
        return FS_CAPTURE_END;
    src = &cap->sources[best];
    src->state = SOURCE_NEED;
    pkt->ts = src->ts;
    pkt->linktype = src->linktype;
    pkt->data = src->data->data;
    pkt->caplen = src->caplen;
    pkt->wirelen = src->wirelen;
    pkt->source = best;
    return FS_CAPTURE_PACKET;
}

guint
fs_capture_n_sources(const FsCapture *cap)
{
    g_return_val_if_fail(cap != NULL, 0);
    return cap->n_sources;
}

const char *
fs_capture_source_name(const FsCapture *cap, guint source)
{
    g_return_val_if_fail(cap != NULL, NULL);
    g_return_val_if_fail(source < cap->n_sources, NULL);
    return cap->sources[source].name;
}

gboolean
fs_capture_source_truncated(const FsCapture *cap, guint source)
{
    g_return_val_if_fail(cap != NULL, FALSE);
    g_return_val_if_fail(source < cap->n_sources, FALSE);
    return cap->sources[source].truncated;
}
