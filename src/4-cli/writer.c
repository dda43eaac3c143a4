/* finscope: the report's way to stdout — a bounded queue, a thread. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "finscope/error.h"
#include "writer.h"

struct FsWriter {
    int fd;               /* where the thread writes */
    gsize max_bytes;      /* queue bound: pending + in flight */
    FILE *file;           /* the report's stream (fopencookie) */
    GThread *thread;
    GMutex lock;          /* guards everything below */
    GCond cond;           /* queue changed, or stop */
    GString *pending;     /* bytes not yet taken by the thread */
    gsize in_flight;      /* bytes the thread is writing now */
    gboolean at_line_start; /* pending ends a line (or is empty) */
    gboolean skipping;    /* dropping the rest of a line */
    gboolean warned;      /* the first drop was said on stderr */
    gboolean stop;        /* no more input: write what is left, end */
    int write_errno;      /* fd failed: the thread stops writing */
    guint64 dropped_lines; /* lines dropped whole */
};

/* The writer's pointer while its thread is stuck in write(). */
static FsWriter *abandoned;

static void
count_drop(FsWriter *w, const char *buf, gsize len)
{
    for (gsize i = 0; i < len; i++)
        w->dropped_lines += buf[i] == '\n';
    if (!w->warned)
        g_printerr("finscope: stdout is not keeping up: report lines are "
                   "being dropped (counted: "
                   "finscope_report_lines_dropped_total)\n");
    w->warned = TRUE;
}

/* Queues what fits of a line-buffered chunk; a line that does not fit
 * goes whole (the rest of it in later chunks too). A line already begun
 * is finished up to twice the bound, else ended where it is. */
static void
queue_chunk(FsWriter *w, const char *buf, gsize len)
{
    gsize queued = w->pending->len + w->in_flight;
    const char *nl = NULL;

    if (w->skipping) {
        nl = memchr(buf, '\n', len);
        count_drop(w, buf, nl == NULL ? len : (gsize)(nl - buf) + 1);
        if (nl == NULL)
            return;
        w->skipping = FALSE;
        len -= (gsize)(nl - buf) + 1;
        buf = nl + 1;
    }
    if (len == 0)
        return;
    if (queued + len <= w->max_bytes ||
        (!w->at_line_start && queued + len <= 2 * w->max_bytes)) {
        g_string_append_len(w->pending, buf, (gssize)len);
        w->at_line_start = buf[len - 1] == '\n';
        g_cond_broadcast(&w->cond);
        return;
    }
    if (!w->at_line_start) {
        g_string_append_c(w->pending, '\n');
        w->at_line_start = TRUE;
        w->dropped_lines++;
    }
    count_drop(w, buf, len);
    w->skipping = buf[len - 1] != '\n';
}

static ssize_t
cookie_write(void *cookie, const char *buf, size_t len)
{
    FsWriter *w = cookie;

    g_mutex_lock(&w->lock);
    if (w->write_errno == 0)
        queue_chunk(w, buf, len);
    g_mutex_unlock(&w->lock);
    return (ssize_t)len;
}

static int
write_all(int fd, const char *p, gsize len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        p += n;
        len -= (gsize)n;
    }
    return 0;
}

static gpointer
writer_thread(gpointer user)
{
    FsWriter *w = user;
    GString *out = g_string_new(NULL);
    sigset_t mask;

    /* The main loop's signals go to the main loop. SIGPIPE stays: a
     * reader gone ends finscope as it did before the queue. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    g_mutex_lock(&w->lock);
    for (;;) {
        GString *tmp = NULL;
        int err = 0;

        while (w->pending->len == 0 && !w->stop)
            g_cond_wait(&w->cond, &w->lock);
        if (w->pending->len == 0)
            break;
        tmp = out;
        out = w->pending;
        w->pending = tmp;
        w->in_flight = out->len;
        g_mutex_unlock(&w->lock);
        err = write_all(w->fd, out->str, out->len);
        g_string_truncate(out, 0);
        g_mutex_lock(&w->lock);
        w->in_flight = 0;
        w->write_errno = w->write_errno != 0 ? w->write_errno : err;
        if (err != 0)
            g_string_truncate(w->pending, 0);
        g_cond_broadcast(&w->cond);
    }
    g_mutex_unlock(&w->lock);
    g_string_free(out, TRUE);
    return NULL;
}

FsWriter *
fs_writer_new(int fd, gsize max_bytes)
{
    FsWriter *w = NULL;
    cookie_io_functions_t io = { .write = cookie_write };

    g_return_val_if_fail(fd >= 0 && max_bytes > 0, NULL);
    w = g_new0(FsWriter, 1);
    w->fd = fd;
    w->max_bytes = max_bytes;
    w->pending = g_string_new(NULL);
    w->at_line_start = TRUE;
    g_mutex_init(&w->lock);
    g_cond_init(&w->cond);
    w->file = fopencookie(w, "w", io);
    g_assert(w->file != NULL);
    setvbuf(w->file, NULL, _IOLBF, 0);
    w->thread = g_thread_new("finscope-writer", writer_thread, w);
    return w;
}

FILE *
fs_writer_file(FsWriter *w)
{
    g_return_val_if_fail(w != NULL, NULL);
    return w->file;
}

guint64
fs_writer_dropped_lines(FsWriter *w)
{
    guint64 n = 0;

    g_return_val_if_fail(w != NULL, 0);
    g_mutex_lock(&w->lock);
    n = w->dropped_lines;
    g_mutex_unlock(&w->lock);
    return n;
}

gboolean
fs_writer_drain(FsWriter *w, guint timeout_ms, GError **error)
{
    gint64 until = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    gsize left = 0;
    int err = 0;

    g_return_val_if_fail(w != NULL, FALSE);
    fflush(w->file);
    g_mutex_lock(&w->lock);
    while (w->write_errno == 0 && w->pending->len + w->in_flight > 0 &&
           g_cond_wait_until(&w->cond, &w->lock, until))
        ;
    err = w->write_errno;
    left = w->pending->len + w->in_flight;
    g_mutex_unlock(&w->lock);
    if (err != 0) {
        g_set_error(error, FS_ERROR, FS_ERROR_WRITE,
                    "error writing the report: %s", g_strerror(err));
        return FALSE;
    }
    if (left > 0) {
        g_set_error(error, FS_ERROR, FS_ERROR_WRITE,
                    "stdout took nothing for %u ms: the last %zu bytes of "
                    "the report are abandoned", timeout_ms, left);
        return FALSE;
    }
    return TRUE;
}

void
fs_writer_free(FsWriter *w)
{
    gboolean stuck = FALSE;

    if (w == NULL)
        return;
    fclose(w->file);
    g_mutex_lock(&w->lock);
    w->stop = TRUE;
    stuck = w->in_flight > 0 && w->write_errno == 0;
    g_string_truncate(w->pending, 0);
    g_cond_broadcast(&w->cond);
    g_mutex_unlock(&w->lock);
    if (stuck) {
        /* write() may never return: leave the thread its writer. */
        abandoned = w;
        g_thread_unref(w->thread);
        return;
    }
    g_thread_join(w->thread);
    g_string_free(w->pending, TRUE);
    g_mutex_clear(&w->lock);
    g_cond_clear(&w->cond);
    g_free(w);
}
