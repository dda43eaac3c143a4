/* finscope: capture files opened with nanosecond timestamps, merged by time. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#ifdef __linux__
#include <sys/socket.h>
#include <linux/if_packet.h>
#endif

#include <glib.h>
#include <pcap/pcap.h>

#include "finscope/capture.h"
#include "finscope/decode.h"
#include "finscope/engine.h"
#include "finscope/error.h"
#include "mapped.h"
#include "text.h"

typedef enum {
    SOURCE_NEED = 0, /* nothing buffered: read before the next merge */
    SOURCE_HAVE,     /* one packet buffered, waiting its turn */
    SOURCE_DONE,     /* end of file, a truncated last record, or a read
                        error that stopped it (stopped) */
} SourceState;

typedef struct {
    char *name;          /* path as given, escaped for messages
                            (fs_text_escape); "-" is standard input */
    char *stream_buffer; /* stdio's buffer for the stream pcap reads */
    pcap_t *pcap;        /* open savefile; NULL once closed */
    FsMapped *mapped;    /* the file mapped, read in place up to where
                            libpcap takes over; NULL: libpcap reads */
    int linktype;        /* pcap_datalink() of this file */
    int pkt_linktype;    /* the buffered packet's: linktype, but in a
                            pcapng file read in place, its interface's */
    gboolean was_mapped; /* read in place once (a named regular file) */
    SourceState state;   /* what the buffer below holds */
    gboolean truncated;  /* the file ended inside its last record */
    char *stopped;       /* or a read error ended it early: libpcap's
                            message (or strerror()), else NULL */
    gboolean seekable;   /* a named regular file: its offsets are known */
    gint64 last_end;     /* seekable: where the last record read ends
                            (none yet: the file's header), the place of
                            a read error after it */
    gint64 cut_at;       /* truncated or stopped, seekable: where what was
                            analysed ends (else -1) */
    guint32 frames;      /* records read so far, filtered out or not */
    struct bpf_program filter; /* applied per record (has_filter), so
                                  that skipped records are numbered */
    gboolean has_filter; /* filter holds a compiled program */
    char *bpf;           /* its text, compiled again for the packets of
                            a pcapng interface of another link type */
    GArray *other_filters; /* OtherFilter: those programs, by link type */
    FsTime ts;           /* timestamp of the buffered packet, ns */
    guint32 caplen;      /* bytes buffered in data */
    guint32 wirelen;     /* original length of the buffered packet */
    const guint8 *data;  /* libpcap's buffer: valid until this source's
                            next pcap_next_ex(), which only comes once the
                            packet was handed out and the caller is back */
} FsSource;

typedef struct FsLive FsLive;

struct FsCapture {
    FsSource *sources;   /* n_sources entries, in command-line order */
    guint n_sources;     /* number of files */
    gsize stream_buffer; /* bytes of stdio buffer for each file */
    guint *heap;         /* indices of SOURCE_HAVE sources, a binary heap
                            on (ts, index): the merge's next at [0] */
    guint n_heap;        /* entries in heap */
    guint n_primed;      /* sources read once (the first fill) */
    guint last;          /* the source handed out last, to refill next;
                            n_sources when none */
    FsLive *live;        /* a device (sources[0] names it), or NULL */
};

static void live_free(FsLive *live);
static FsCaptureResult live_next(FsCapture *cap, FsPacket *pkt,
                                 GError **error);

/* The filter compiled for a link type other than the file's. */
typedef struct {
    int linktype;
    gboolean ok;               /* compiled; else nothing of it matches */
    struct bpf_program prog;
    char *why;                 /* !ok: libpcap's words */
    guint64 skipped;           /* !ok: its packets, none kept */
} OtherFilter;

static void
source_clear(FsSource *src)
{
    g_clear_pointer(&src->mapped, fs_mapped_free);
    if (src->pcap != NULL)
        pcap_close(src->pcap);
    src->pcap = NULL;
    if (src->has_filter)
        pcap_freecode(&src->filter);
    src->has_filter = FALSE;
    if (src->other_filters != NULL) {
        for (guint i = 0; i < src->other_filters->len; i++) {
            OtherFilter *f = &g_array_index(src->other_filters, OtherFilter,
                                            i);

            if (f->ok)
                pcap_freecode(&f->prog);
            g_free(f->why);
        }
        g_array_free(src->other_filters, TRUE);
        src->other_filters = NULL;
    }
    g_clear_pointer(&src->bpf, g_free);
    /* only once libpcap closed the stream that used it */
    g_clear_pointer(&src->stream_buffer, g_free);
    g_clear_pointer(&src->name, g_free);
    g_clear_pointer(&src->stopped, g_free);
}

void
fs_capture_free(FsCapture *cap)
{
    if (cap == NULL)
        return;
    for (guint i = 0; i < cap->n_sources; i++)
        source_clear(&cap->sources[i]);
    live_free(cap->live);
    g_free(cap->heap);
    g_free(cap->sources);
    g_free(cap);
}

#define STREAM_BUFFER (256 * 1024)
/* Many files share this much buffer (each at least STREAM_BUFFER_MIN):
 * 2,000 files at 256 KiB would be 500 MiB. */
#define STREAM_BUFFERS_TOTAL (64 * 1024 * 1024)
#define STREAM_BUFFER_MIN (16 * 1024)
/* Descriptors kept free beside the capture files (stdio, the metrics
 * port, --junit, GLib's own). */
#define FD_RESERVE 32

/* Opens the stream ourselves so that "cannot open" (FS_ERROR_OPEN) is told
 * apart from "not a capture" (FS_ERROR_FORMAT), and a 0-byte file gets a
 * clearer message than libpcap's "truncated dump file". */
static FILE *
open_stream(const char *path, const char *shown, gsize size, char **buffer,
            GError **error)
{
    gboolean is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    int c;

    if (fp == NULL) {
        int saved = errno;
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "%s: %s%s", shown,
                    g_strerror(saved),
                    saved == EMFILE ? " (the limit of open files, ulimit -n)"
                                    : "");
        return NULL;
    }
    /* libpcap reads a record at a time through stdio: a buffer far
     * larger than stdio's 4 KiB default takes most read() calls (and
     * their cost in the kernel) out of the loop. glibc ignores the size
     * unless it is given the buffer too. (Not for stdin, whose buffer
     * would outlive ours when libpcap refuses it.) */
    if (!is_stdin) {
        *buffer = g_malloc(size);
        (void)setvbuf(fp, *buffer, _IOFBF, size);
    }
    c = getc(fp);
    if (c != EOF) {
        ungetc(c, fp);
        return fp;
    }
    if (ferror(fp)) {
        int saved = errno;
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "%s: %s", shown,
                    g_strerror(saved));
    } else {
        g_set_error(error, FS_ERROR, FS_ERROR_FORMAT,
                    "%s: empty file, not a capture", shown);
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

/* Compiles bpf for src into prog; the error echoes the filter escaped. */
static gboolean
compile_filter(const FsSource *src, const char *bpf,
               struct bpf_program *prog, GError **error)
{
    g_autofree char *shown = NULL;

    if (pcap_compile(src->pcap, prog, bpf, 1, PCAP_NETMASK_UNKNOWN) == 0)
        return TRUE;
    shown = fs_text_escape(bpf, FS_TEXT_ECHO_MAX);
    g_set_error(error, FS_ERROR, FS_ERROR_FILTER, "%s: bad filter \"%s\": %s",
                src->name, shown, pcap_geterr(src->pcap));
    return FALSE;
}

/* Live: the kernel filters (packets it drops are not counted). */
static gboolean
set_filter(const FsSource *src, const char *bpf, GError **error)
{
    struct bpf_program prog;
    int rc;

    if (!compile_filter(src, bpf, &prog, error))
        return FALSE;
    rc = pcap_setfilter(src->pcap, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        g_autofree char *shown = fs_text_escape(bpf, FS_TEXT_ECHO_MAX);

        g_set_error(error, FS_ERROR, FS_ERROR_FILTER,
                    "%s: cannot set filter \"%s\": %s", src->name, shown,
                    pcap_geterr(src->pcap));
        return FALSE;
    }
    return TRUE;
}

/* A file's filter is applied to each record (source_fill), not by
 * pcap_setfilter(), which would skip records unseen and so put frame
 * numbers off Wireshark's. */
static gboolean
keep_filter(FsSource *src, const char *bpf, GError **error)
{
    if (!compile_filter(src, bpf, &src->filter, error))
        return FALSE;
    src->has_filter = TRUE;
    src->bpf = g_strdup(bpf);
    return TRUE;
}

/* The filter for a packet of a pcapng interface of link type linktype,
 * other than the file's: the same text compiled for that type, once
 * (pcap_open_dead()). Text that does not compile for it ("ether host"
 * on Linux cooked, anything on NFLOG) matches none of its packets,
 * which are counted (fs_capture_source_unfiltered()). */
static OtherFilter *
filter_for(FsSource *src, int linktype)
{
    OtherFilter f = { linktype, FALSE, { 0, NULL }, NULL, 0 };
    pcap_t *dead;

    if (src->other_filters == NULL)
        src->other_filters = g_array_new(FALSE, FALSE, sizeof(OtherFilter));
    for (guint i = 0; i < src->other_filters->len; i++) {
        OtherFilter *o = &g_array_index(src->other_filters, OtherFilter, i);

        if (o->linktype == linktype)
            return o;
    }
    dead = pcap_open_dead(linktype, 262144);
    if (dead != NULL) {
        f.ok = pcap_compile(dead, &f.prog, src->bpf, 1,
                            PCAP_NETMASK_UNKNOWN) == 0;
        if (!f.ok)
            f.why = fs_text_escape(pcap_geterr(dead), 0);
        pcap_close(dead);
    } else {
        f.why = g_strdup("libpcap cannot compile for it");
    }
    g_array_append_val(src->other_filters, f);
    return &g_array_index(src->other_filters, OtherFilter,
                          src->other_filters->len - 1);
}

/* Whether the record passes src's filter (if any). */
static gboolean
source_keeps(FsSource *src, int linktype, const struct pcap_pkthdr *hdr,
             const guint8 *bytes)
{
    OtherFilter *other;

    if (!src->has_filter)
        return TRUE;
    if (linktype == src->linktype)
        return pcap_offline_filter(&src->filter, hdr, bytes) != 0;
    other = filter_for(src, linktype);
    if (!other->ok) {
        other->skipped++;
        return FALSE;
    }
    return pcap_offline_filter(&other->prog, hdr, bytes) != 0;
}

static gboolean
source_open(FsSource *src, const char *path, gsize buffer, const char *bpf,
            GError **error)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    FILE *fp = NULL;
    struct stat st;

    src->name = fs_text_escape(path, 0);
    src->cut_at = -1;
    fp = open_stream(path, src->name, buffer, &src->stream_buffer, error);
    if (fp == NULL)
        return FALSE;
    /* standard input has no offsets to give, even from a file (as a
     * named pipe has none) */
    src->seekable = fp != stdin && fstat(fileno(fp), &st) == 0 &&
                    S_ISREG(st.st_mode);
    src->pcap = pcap_fopen_offline_with_tstamp_precision(
        fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (src->pcap == NULL) {
        /* On failure libpcap leaves the stream to us. */
        if (fp != stdin)
            fclose(fp);
        g_autofree char *why = fs_text_escape(errbuf, 0);

        g_set_error(error, FS_ERROR, FS_ERROR_FORMAT, "%s: %s", src->name,
                    why);
        return FALSE;
    }
    src->linktype = pcap_datalink(src->pcap);
    if (!check_linktype(src, error))
        return FALSE;
    /* its window as large as the stream's buffer: many files share
     * STREAM_BUFFERS_TOTAL */
    src->mapped = fs_mapped_open(fp, src->pcap, buffer);
    src->was_mapped = src->mapped != NULL;
    /* glibc's ftello() (note_offset()) asks the kernel each time until a
     * seek has told the stream its offset: one here, where it stands */
    if (src->seekable && fseeko(fp, 0, SEEK_CUR) != 0)
        src->seekable = FALSE;
    if (src->seekable)
        src->last_end = (gint64)ftello(fp); /* the header's end */
    return bpf == NULL || keep_filter(src, bpf, error);
}

/* Every file stays open for the merge: more than the process may open
 * fails now, with the limit named, not half-way with EMFILE. main()
 * raised the soft limit to the hard one. */
static gboolean
check_fd_limit(guint n_paths, GError **error)
{
    struct rlimit rl;
    g_autofree char *hard = NULL;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        (rlim_t)n_paths + FD_RESERVE <= rl.rlim_cur)
        return TRUE;
    hard = rl.rlim_max == RLIM_INFINITY
               ? g_strdup("unlimited")
               : g_strdup_printf("%llu", (unsigned long long)rl.rlim_max);
    g_set_error(error, FS_ERROR, FS_ERROR_OPEN,
                "%u capture files to merge, but the limit of open files "
                "is %llu (ulimit -n; hard limit %s) and finscope keeps "
                "each open, with %d more for itself: merge at most %llu "
                "files at once (mergecap can join them first) or raise the "
                "limit", n_paths, (unsigned long long)rl.rlim_cur, hard,
                FD_RESERVE,
                rl.rlim_cur > FD_RESERVE
                    ? (unsigned long long)(rl.rlim_cur - FD_RESERVE) : 0ull);
    return FALSE;
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

    if (!check_fd_limit(n_paths, error))
        return NULL;
    cap = g_new0(FsCapture, 1);
    cap->sources = g_new0(FsSource, n_paths);
    cap->heap = g_new0(guint, n_paths);
    cap->stream_buffer = CLAMP(STREAM_BUFFERS_TOTAL / n_paths,
                               STREAM_BUFFER_MIN, STREAM_BUFFER);
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
        if (!source_open(&cap->sources[i], paths[i], cap->stream_buffer, bpf,
                         error))
            return NULL;
    }
    cap->last = n_paths;
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
    src->ts = fs_pcap_time(hdr, 1); /* PCAP_TSTAMP_PRECISION_NANO */
    src->caplen = hdr->caplen;
    src->wirelen = hdr->len;
    /* not NULL even for a 0-byte frame */
    src->data = bytes != NULL ? bytes : (const guint8 *)"";
    src->state = SOURCE_HAVE;
}

/* A read error ends src where the records read so far end, as a file
 * cut inside a record ends: what came before is analysed, the other
 * files are read on, and the capture ends with the error
 * (capture_end()). */
static void
source_stop(FsSource *src, const char *why)
{
    src->state = SOURCE_DONE;
    src->stopped = g_strdup(why);
    src->cut_at = src->seekable ? src->last_end : -1;
}

/* libpcap read a record: where it ends (stdio's offset; for the place
 * of a read error after it). A pcapng file's blocks other than packets
 * are read with the next packet, so a read that fails at one of them
 * says where the last packet ended, whichever path read it. */
static inline void
note_offset(FsSource *src)
{
    if (src->seekable)
        src->last_end = (gint64)ftello(pcap_file(src->pcap));
}

/* The mapped records are over (fs_mapped_next() said FALSE): libpcap
 * reads on from the next one (usually the end of the file), and says
 * what it makes of it. When it cannot take over there, the file stops
 * (source_stop()) where the records read here end. */
static void
mapped_end(FsSource *src)
{
    gboolean handed;
    int saved;

    src->last_end = (gint64)fs_mapped_records_end(src->mapped);
    if (fs_mapped_stop_reason(src->mapped) != NULL) {
        g_autofree char *why =
            g_strdup(fs_mapped_stop_reason(src->mapped));

        g_clear_pointer(&src->mapped, fs_mapped_free);
        source_stop(src, why);
        return;
    }
    handed = fs_mapped_hand_over(src->mapped, src->pcap);
    saved = errno;
    g_clear_pointer(&src->mapped, fs_mapped_free);
    if (!handed)
        source_stop(src, g_strerror(saved));
}

/* The mapped records, while they last (then mapped_end()). */
static void
mapped_fill(FsSource *src)
{
    struct pcap_pkthdr hdr;
    const guint8 *bytes = NULL;

    while (fs_mapped_next(src->mapped, &hdr, &bytes)) {
        int linktype = fs_mapped_linktype(src->mapped);

        src->frames++;
        if (source_keeps(src, linktype, &hdr, bytes)) {
            source_buffer(src, &hdr, bytes);
            src->pkt_linktype = linktype;
            return;
        }
    }
    mapped_end(src);
}

/* Reads the next packet of a source that has none buffered: SOURCE_HAVE,
 * or SOURCE_DONE at its end, at a cut (truncated) or at a read error
 * (stopped). */
static void
source_fill(FsSource *src)
{
    struct pcap_pkthdr *hdr = NULL;
    const u_char *bytes = NULL;
    int rc;
    const char *msg = NULL;

    if (src->mapped != NULL) {
        mapped_fill(src);
        if (src->state != SOURCE_NEED)
            return;
    }
    rc = pcap_next_ex(src->pcap, &hdr, &bytes);

    while (rc == 1) {
        note_offset(src);
        src->frames++;
        if (source_keeps(src, src->linktype, hdr, bytes)) {
            source_buffer(src, hdr, bytes);
            src->pkt_linktype = src->linktype;
            return;
        }
        rc = pcap_next_ex(src->pcap, &hdr, &bytes);
    }
    src->state = SOURCE_DONE;
    if (rc == PCAP_ERROR_BREAK)
        return;
    msg = pcap_geterr(src->pcap);
    if (rc == PCAP_ERROR && is_truncation(msg)) {
        src->truncated = TRUE;
        /* libpcap read to the end: the file's size when it did */
        if (src->seekable)
            src->cut_at = (gint64)ftello(pcap_file(src->pcap));
        return;
    }
    /* libpcap refused an interface of another snapshot length or link
     * type, which the in-place reader reads on: say when the same file
     * goes further. (Read by name, the in-place reader stopped at this
     * interface for another reason, bad options or a pseudo-header
     * libpcap rewrites, and libpcap's words say what it found first.) */
    if (rc == PCAP_ERROR && !src->was_mapped) {
        gboolean snap = strstr(msg, "different from the snapshot length "
                                    "of the first interface") != NULL;

        if (snap || strstr(msg, "different from the type of the first "
                                "interface") != NULL) {
            g_autofree char *why = g_strdup_printf(
                "%s (finscope %s only when it reads the file in place%s)",
                msg,
                snap ? "reads on past it"
                     : "decodes each packet by its interface's link type",
                !src->seekable || fs_mapped_switch("FINSCOPE_NO_MMAP")
                    ? ": by name, not from standard input, nor with "
                      "FINSCOPE_NO_MMAP set"
                : !snap && pcap_is_swapped(src->pcap) &&
                        fs_mapped_swaps_pseudo_header(src->linktype)
                    ? ", which it does not for a file in the other byte "
                      "order whose first interface is Linux cooked or "
                      "NFLOG (libpcap rewrites their pseudo-headers)"
                    : ", which it could not for this file");

            source_stop(src, why);
            return;
        }
    }
    source_stop(src, rc == PCAP_ERROR ? msg : "unexpected end of capture");
}

/* Every source is done: FS_CAPTURE_END, or FS_CAPTURE_ERROR when a read
 * error stopped one, *error naming the first of them (in command-line
 * order): after the packets of every file, so that one bad file does
 * not end the others, and the run still fails. */
static FsCaptureResult
capture_end(const FsCapture *cap, GError **error)
{
    for (guint i = 0; i < cap->n_sources; i++) {
        const FsSource *src = &cap->sources[i];

        if (src->stopped != NULL) {
            g_set_error(error, FS_ERROR, FS_ERROR_FORMAT, "%s: %s",
                        src->name, src->stopped);
            return FS_CAPTURE_ERROR;
        }
    }
    return FS_CAPTURE_END;
}

/* The merge order: earlier packets first; ties go to the lowest source
 * index, so the merge is deterministic. */
static gboolean
heap_before(const FsCapture *cap, guint a, guint b)
{
    FsTime ta = cap->sources[a].ts;
    FsTime tb = cap->sources[b].ts;

    return ta < tb || (ta == tb && a < b);
}

static void
heap_swap(guint *heap, guint i, guint j)
{
    guint t = heap[i];

    heap[i] = heap[j];
    heap[j] = t;
}

static void
heap_push(FsCapture *cap, guint source)
{
    guint i = cap->n_heap++;

    cap->heap[i] = source;
    while (i > 0 && heap_before(cap, cap->heap[i], cap->heap[(i - 1) / 2])) {
        heap_swap(cap->heap, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static guint
heap_pop(FsCapture *cap)
{
    guint top = cap->heap[0];
    guint i = 0;

    cap->heap[0] = cap->heap[--cap->n_heap];
    for (;;) {
        guint l = 2 * i + 1;
        guint best = i;

        if (l < cap->n_heap && heap_before(cap, cap->heap[l], cap->heap[best]))
            best = l;
        if (l + 1 < cap->n_heap &&
            heap_before(cap, cap->heap[l + 1], cap->heap[best]))
            best = l + 1;
        if (best == i)
            return top;
        heap_swap(cap->heap, i, best);
        i = best;
    }
}

/* Reads the next packet of source i, which has none buffered, into the
 * merge. */
static void
refill(FsCapture *cap, guint i)
{
    source_fill(&cap->sources[i]);
    if (cap->sources[i].state == SOURCE_HAVE)
        heap_push(cap, i);
}

static void
hand_out(FsSource *src, guint source, FsPacket *pkt)
{
    pkt->ts = src->ts;
    pkt->linktype = src->pkt_linktype;
    pkt->data = src->data;
    pkt->caplen = src->caplen;
    pkt->wirelen = src->wirelen;
    pkt->source = source;
    pkt->frame = src->frames;
}

/* One file: nothing to merge, so no heap and no packet buffered in the
 * source. A mapped file without a filter (the usual case) goes from the
 * record straight to *pkt; the rest takes source_fill()'s way. */
static FsCaptureResult
single_next(FsCapture *cap, FsPacket *pkt, GError **error)
{
    FsSource *src = &cap->sources[0];

    if (G_LIKELY(src->mapped != NULL && !src->has_filter)) {
        struct pcap_pkthdr hdr;
        const guint8 *bytes = NULL;

        if (G_LIKELY(fs_mapped_next(src->mapped, &hdr, &bytes))) {
            src->frames++;
            pkt->ts = fs_pcap_time(&hdr, 1); /* PCAP_TSTAMP_PRECISION_NANO */
            pkt->linktype = fs_mapped_linktype(src->mapped);
            pkt->data = bytes;
            pkt->caplen = hdr.caplen;
            pkt->wirelen = hdr.len;
            pkt->source = 0;
            pkt->frame = src->frames;
            return FS_CAPTURE_PACKET;
        }
        mapped_end(src);
    }
    if (src->state != SOURCE_DONE)
        source_fill(src);
    if (src->state != SOURCE_HAVE)
        return capture_end(cap, error);
    src->state = SOURCE_NEED;
    hand_out(src, 0, pkt);
    return FS_CAPTURE_PACKET;
}

/* A file that a read error stops ends there; the others are read on, and
 * FS_CAPTURE_ERROR comes after their last packet (capture_end()). Each
 * packet costs O(log files): only the source just handed out is read
 * again. */
FsCaptureResult
fs_capture_next(FsCapture *cap, FsPacket *pkt, GError **error)
{
    guint best;
    FsSource *src = NULL;

    g_return_val_if_fail(cap != NULL, FS_CAPTURE_ERROR);
    g_return_val_if_fail(pkt != NULL, FS_CAPTURE_ERROR);
    g_return_val_if_fail(error == NULL || *error == NULL, FS_CAPTURE_ERROR);

    if (cap->live != NULL)
        return live_next(cap, pkt, error);
    if (cap->n_sources == 1)
        return single_next(cap, pkt, error);
    while (cap->n_primed < cap->n_sources)
        refill(cap, cap->n_primed++);
    /* Refilling here, not right after handing a packet out, keeps the
     * previous packet's bytes valid until this call. */
    if (cap->last < cap->n_sources) {
        best = cap->last;
        cap->last = cap->n_sources;
        refill(cap, best);
    }
    if (cap->n_heap == 0)
        return capture_end(cap, error);
    best = heap_pop(cap);
    src = &cap->sources[best];
    src->state = SOURCE_NEED;
    cap->last = best;
    hand_out(src, best, pkt);
    return FS_CAPTURE_PACKET;
}

FsCaptureResult
fs_capture_decode_batch(FsCapture *cap, guint8 *status, FsSegment *seg,
                        guint max, guint *n, GError **error)
{
    FsSource *src = NULL;

    g_return_val_if_fail(cap != NULL && cap->live == NULL, FS_CAPTURE_ERROR);
    g_return_val_if_fail(n != NULL, FS_CAPTURE_ERROR);
    g_return_val_if_fail(error == NULL || *error == NULL, FS_CAPTURE_ERROR);

    *n = 0;
    src = &cap->sources[0];
    /* the usual case: single_next()'s, record after record in one loop */
    if (G_LIKELY(cap->n_sources == 1 && src->mapped != NULL &&
                 !src->has_filter)) {
        *n = fs_mapped_decode(src->mapped, src->linktype, 0, &src->frames,
                              status, seg, max);
        if (G_LIKELY(*n == max))
            return FS_CAPTURE_PACKET;
        mapped_end(src);
    }
    while (*n < max) {
        FsPacket pkt;
        FsCaptureResult res = fs_capture_next(cap, &pkt, error);

        if (res != FS_CAPTURE_PACKET)
            return res;
        status[*n] = (guint8)fs_engine_decode(&pkt, &seg[*n]);
        (*n)++;
    }
    return FS_CAPTURE_PACKET;
}

gboolean
fs_capture_map(FsCapture *cap)
{
    FsSource *src = NULL;

    g_return_val_if_fail(cap != NULL, FALSE);
    if (cap->live != NULL || cap->n_sources != 1 ||
        !fs_mapped_switch("FINSCOPE_MAP"))
        return FALSE;
    src = &cap->sources[0];
    return src->mapped != NULL && !src->has_filter &&
           fs_mapped_map(src->mapped);
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

gboolean
fs_capture_source_cut(const FsCapture *cap, guint source, FsSourceCut *cut)
{
    const FsSource *src = NULL;

    g_return_val_if_fail(cap != NULL, FALSE);
    g_return_val_if_fail(source < cap->n_sources, FALSE);
    g_return_val_if_fail(cut != NULL, FALSE);
    src = &cap->sources[source];
    if (!src->truncated && src->stopped == NULL)
        return FALSE;
    cut->error = src->stopped;
    cut->bytes_read = src->cut_at;
    cut->records_read = src->frames;
    return TRUE;
}

char **
fs_capture_source_unfiltered(const FsCapture *cap, guint source)
{
    const FsSource *src = NULL;
    GPtrArray *lines = g_ptr_array_new();

    g_return_val_if_fail(cap != NULL, NULL);
    g_return_val_if_fail(source < cap->n_sources, NULL);
    src = &cap->sources[source];
    for (guint i = 0; src->other_filters != NULL &&
                      i < src->other_filters->len; i++) {
        const OtherFilter *f =
            &g_array_index(src->other_filters, OtherFilter, i);
        const char *name = pcap_datalink_val_to_name(f->linktype);

        if (f->ok)
            continue;
        g_ptr_array_add(lines, g_strdup_printf(
            "the filter does not compile for link type %d%s%s (%s): "
            "the %" G_GUINT64_FORMAT " packet%s of its interfaces skipped",
            f->linktype, name != NULL ? ", " : "", name != NULL ? name : "",
            f->why, f->skipped, f->skipped == 1 ? "" : "s"));
    }
    g_ptr_array_add(lines, NULL);
    return (char **)g_ptr_array_free(lines, FALSE);
}

/* ---- live capture (finscope -i) ---------------------------------------
 * One device, opened non-blocking so that the caller's main loop waits on
 * the selectable fd and stays free to handle signals and timers. */

#define LIVE_SNAPLEN_DEFAULT 262144
/* How long the kernel may hold packets in its buffer before waking us
 * (TPACKET_V3 block timeout); --immediate hands each over at once. */
#define LIVE_TIMEOUT_MS 250

struct FsLive {
    pcap_t *pcap;          /* the activated device */
    int precision;         /* PCAP_TSTAMP_PRECISION_NANO or _MICRO */
    pcap_dumper_t *dumper; /* -w FILE, or NULL */
    guint32 last_recv;     /* pcap_stats counters seen last (32-bit, */
    guint32 last_drop;     /*   they wrap), to widen them to 64 bits */
    guint32 last_ifdrop;
    FsCaptureStats total;  /* widened counters */
    char *warning;         /* pcap_activate()'s warning, or NULL */
    FsTime joined;         /* --fanout: wall clock (ns) once the socket
                              joined; earlier packets are skipped */
    int fanout_group;      /* the fanout group joined, or -1 */
};

static void
live_free(FsLive *live)
{
    if (live == NULL)
        return;
    if (live->dumper != NULL)
        pcap_dump_close(live->dumper);
    if (live->pcap != NULL)
        pcap_close(live->pcap);
    g_free(live->warning);
    g_free(live);
}

static void
escape_message(GError **error)
{
    char *shown = NULL;

    if (error == NULL || *error == NULL)
        return;
    shown = fs_text_escape_lines((*error)->message, 0);
    g_free((*error)->message);
    (*error)->message = shown;
}

/* libpcap's status code plus its own message, e.g. "eth9: No such device
 * exists (SIOCGIFHWADDR: No such device)". */
static void
set_activate_error(GError **error, const char *iface, pcap_t *pcap,
                   int status)
{
    const char *what = pcap_statustostr(status);
    const char *detail = pcap_geterr(pcap);
    gboolean more = detail != NULL && *detail != '\0' &&
                    strcmp(detail, what) != 0;

    g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "%s: %s%s%s%s", iface, what,
                more ? " (" : "", more ? detail : "", more ? ")" : "");
}

static gboolean
live_configure(pcap_t *pcap, const FsLiveOptions *opts)
{
    int snaplen = opts->snaplen > 0 ? opts->snaplen : LIVE_SNAPLEN_DEFAULT;

    if (pcap_set_snaplen(pcap, snaplen) != 0 ||
        pcap_set_promisc(pcap, opts->no_promisc ? 0 : 1) != 0 ||
        pcap_set_timeout(pcap, LIVE_TIMEOUT_MS) != 0 ||
        pcap_set_immediate_mode(pcap, opts->immediate ? 1 : 0) != 0)
        return FALSE;
    if (opts->buffer_kib > 0 &&
        pcap_set_buffer_size(pcap, opts->buffer_kib * 1024) != 0)
        return FALSE;
    /* Nanoseconds where the kernel has them; otherwise microseconds,
     * converted in live_next(). */
    if (pcap_set_tstamp_precision(pcap, PCAP_TSTAMP_PRECISION_NANO) != 0)
        (void)pcap_set_tstamp_precision(pcap, PCAP_TSTAMP_PRECISION_MICRO);
    return TRUE;
}

/* "any" comes as Linux cooked v1 by default; v2 also carries the
 * interface index and is what finscope documents for -i any. */
static void
prefer_sll2(pcap_t *pcap)
{
    int *dlts = NULL;
    int n = pcap_list_datalinks(pcap, &dlts);

    if (pcap_datalink(pcap) != DLT_LINUX_SLL)
        n = 0;
    for (int i = 0; i < n; i++) {
        if (dlts[i] == DLT_LINUX_SLL2) {
            (void)pcap_set_datalink(pcap, DLT_LINUX_SLL2);
            break;
        }
    }
    if (dlts != NULL)
        pcap_free_datalinks(dlts);
}

static pcap_t *
live_activate(const char *iface, const FsLiveOptions *opts, char **warning,
              GError **error)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *pcap = pcap_create(iface, errbuf);
    int rc;

    if (pcap == NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "%s: %s", iface, errbuf);
        return NULL;
    }
    if (!live_configure(pcap, opts)) {
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "%s: %s", iface,
                    pcap_geterr(pcap));
        pcap_close(pcap);
        return NULL;
    }
    rc = pcap_activate(pcap);
    if (rc < 0) {
        set_activate_error(error, iface, pcap, rc);
        pcap_close(pcap);
        return NULL;
    }
    if (rc > 0)
        *warning = g_strdup_printf("%s (%s)", pcap_statustostr(rc),
                                   pcap_geterr(pcap));
    prefer_sll2(pcap);
    return pcap;
}

#ifdef __linux__
static gboolean
fanout_refused(GError **error, const char *iface, guint16 group, int err)
{
    const char *why = err == EINVAL
        ? "the group exists with another mode, protocol or interface"
        : err == ENOSPC || err == ENOMEM ? "the group is full"
        : err == EALREADY ? "this socket is already in a group"
        : "the kernel refused it";

    g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "%s: --fanout %u: cannot "
                "join: %s (%s)", iface, (guint)group, why, g_strerror(err));
    return FALSE;
}

/* --fanout (packet(7)): the socket libpcap opened and mapped (TPACKET_V3)
 * joins the group; the kernel then hands each packet to one member's
 * ring. PACKET_FANOUT_HASH hashes the flow symmetrically, so both
 * directions of a connection reach the same member; FLAG_DEFRAG
 * reassembles IPv4 fragments first so that they hash as their flow (as
 * Suricata's af-packet does). Until the join the socket took every
 * packet, as another member may have too: those stamped before the join
 * returned are skipped (live->joined), so no packet reaches two members.
 */
static gboolean
live_join_fanout(FsLive *live, const char *iface, guint16 group,
                 GError **error)
{
    int fd = pcap_fileno(live->pcap);
    int domain = -1;
    socklen_t len = sizeof domain;
    guint32 arg = (guint32)group |
                  (guint32)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG)
                      << 16;
    struct timespec now;

    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
        domain != AF_PACKET) {
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "%s: --fanout needs "
                    "a network interface (AF_PACKET); this capture is "
                    "not one", iface);
        return FALSE;
    }
    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0)
        return fanout_refused(error, iface, group, errno);
    /* After the join: a packet in the ring from before it was stamped
     * before this, and a member joining while traffic flows moves flows
     * between members anyway (hash modulo the number of members). */
    (void)clock_gettime(CLOCK_REALTIME, &now);
    live->joined = (FsTime)now.tv_sec * FS_NS_PER_SEC + now.tv_nsec;
    if (live->precision != PCAP_TSTAMP_PRECISION_NANO)
        live->joined -= live->joined % 1000; /* as packets are stamped */
    live->fanout_group = group;
    return TRUE;
}
#else
static gboolean
live_join_fanout(FsLive *live, const char *iface, guint16 group,
                 GError **error)
{
    (void)live;
    (void)group;
    g_set_error(error, FS_ERROR, FS_ERROR_USAGE, "%s: --fanout: AF_PACKET "
                "fanout groups are Linux only", iface);
    return FALSE;
}
#endif

FsCapture *
fs_capture_open_live(const char *iface, const FsLiveOptions *opts,
                     const char *bpf, GError **error)
{
    g_autoptr(FsCapture) cap = NULL;
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    FsSource probe;

    g_return_val_if_fail(iface != NULL, NULL);
    g_return_val_if_fail(opts != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    cap = g_new0(FsCapture, 1);
    cap->sources = g_new0(FsSource, 1);
    cap->n_sources = 1;
    cap->sources[0].name = fs_text_escape(iface, FS_TEXT_ECHO_MAX);
    cap->sources[0].state = SOURCE_DONE;
    cap->live = g_new0(FsLive, 1);
    cap->live->fanout_group = -1;
    cap->live->pcap = live_activate(iface, opts, &cap->live->warning,
                                    error);
    if (cap->live->pcap == NULL) {
        /* the interface's name as given, in libpcap's words too */
        escape_message(error);
        return NULL;
    }
    cap->live->precision = pcap_get_tstamp_precision(cap->live->pcap);
    if (opts->fanout &&
        !live_join_fanout(cap->live, cap->sources[0].name, opts->fanout_group,
                          error))
        return NULL;
    cap->sources[0].linktype = pcap_datalink(cap->live->pcap);
    probe = cap->sources[0];
    probe.pcap = cap->live->pcap;
    if (!check_linktype(&probe, error))
        return NULL;
    if (bpf != NULL && !set_filter(&probe, bpf, error))
        return NULL;
    if (pcap_setnonblock(cap->live->pcap, 1, errbuf) != 0) {
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "%s: %s",
                    cap->sources[0].name, errbuf);
        return NULL;
    }
    return g_steal_pointer(&cap);
}

static FsCaptureResult
live_next(FsCapture *cap, FsPacket *pkt, GError **error)
{
    FsLive *live = cap->live;
    struct pcap_pkthdr *hdr = NULL;
    const u_char *bytes = NULL;
    FsTime ts = 0;
    int rc = 0;

    do {
        rc = pcap_next_ex(live->pcap, &hdr, &bytes);
        if (rc == 1)
            ts = fs_pcap_time(hdr, live->precision ==
                                      PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000);
    } while (rc == 1 && ts < live->joined);
    if (rc == 0)
        return FS_CAPTURE_NONE;
    if (rc == PCAP_ERROR_BREAK)
        return FS_CAPTURE_END;
    if (rc != 1) {
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "%s: %s",
                    cap->sources[0].name, pcap_geterr(live->pcap));
        return FS_CAPTURE_ERROR;
    }
    if (live->dumper != NULL)
        pcap_dump((u_char *)live->dumper, hdr, bytes);
    pkt->ts = ts;
    pkt->linktype = cap->sources[0].linktype;
    pkt->data = bytes;
    pkt->caplen = hdr->caplen;
    pkt->wirelen = hdr->len;
    pkt->source = 0;
    pkt->frame = ++cap->sources[0].frames;
    return FS_CAPTURE_PACKET;
}

int
fs_capture_selectable_fd(const FsCapture *cap)
{
    g_return_val_if_fail(cap != NULL, -1);
    if (cap->live == NULL)
        return -1;
    return pcap_get_selectable_fd(cap->live->pcap);
}

char *
fs_capture_describe(const FsCapture *cap)
{
    const FsSource *src = NULL;
    const char *name = NULL;
    const char *desc = NULL;
    g_autofree char *fanout = NULL;

    g_return_val_if_fail(cap != NULL, NULL);
    src = &cap->sources[0];
    name = pcap_datalink_val_to_name(src->linktype);
    desc = pcap_datalink_val_to_description(src->linktype);
    if (cap->live == NULL)
        return g_strdup_printf("%s, link-type %s", src->name,
                               name != NULL ? name : "?");
    if (cap->live->fanout_group >= 0)
        fanout = g_strdup_printf(", fanout group %d (flow hash)",
                                 cap->live->fanout_group);
    return g_strdup_printf("%s, link-type %s (%s), snapshot length %d "
                           "bytes, %s timestamps%s%s%s", src->name,
                           name != NULL ? name : "?",
                           desc != NULL ? desc : "?",
                           pcap_snapshot(cap->live->pcap),
                           cap->live->precision ==
                                   PCAP_TSTAMP_PRECISION_NANO
                               ? "nanosecond" : "microsecond",
                           fanout != NULL ? fanout : "",
                           cap->live->warning != NULL ? "; warning: " : "",
                           cap->live->warning != NULL ? cap->live->warning
                                                      : "");
}

gboolean
fs_capture_save_to(FsCapture *cap, const char *path, GError **error)
{
    g_return_val_if_fail(cap != NULL && cap->live != NULL, FALSE);
    g_return_val_if_fail(path != NULL, FALSE);
    g_return_val_if_fail(cap->live->dumper == NULL, FALSE);

    cap->live->dumper = pcap_dump_open(cap->live->pcap, path);
    if (cap->live->dumper == NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_WRITE, "%s: %s", path,
                    pcap_geterr(cap->live->pcap));
        escape_message(error);
        return FALSE;
    }
    return TRUE;
}

void
fs_capture_flush_saved(FsCapture *cap)
{
    g_return_if_fail(cap != NULL);
    if (cap->live != NULL && cap->live->dumper != NULL)
        (void)pcap_dump_flush(cap->live->dumper);
}

gboolean
fs_capture_stats(FsCapture *cap, FsCaptureStats *stats, GError **error)
{
    FsLive *live = NULL;
    struct pcap_stat ps;

    g_return_val_if_fail(cap != NULL, FALSE);
    g_return_val_if_fail(stats != NULL, FALSE);
    live = cap->live;
    if (live == NULL || pcap_stats(live->pcap, &ps) != 0) {
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "%s: no kernel "
                    "statistics%s%s", cap->sources[0].name,
                    live != NULL ? ": " : "",
                    live != NULL ? pcap_geterr(live->pcap) : "");
        return FALSE;
    }
    /* The counters are 32-bit and wrap; unsigned differences survive. */
    live->total.received += (guint32)(ps.ps_recv - live->last_recv);
    live->total.dropped += (guint32)(ps.ps_drop - live->last_drop);
    live->total.dropped += (guint32)(ps.ps_ifdrop - live->last_ifdrop);
    live->last_recv = ps.ps_recv;
    live->last_drop = ps.ps_drop;
    live->last_ifdrop = ps.ps_ifdrop;
    *stats = live->total;
    return TRUE;
}
