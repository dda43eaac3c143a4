/* finscope tests: the report's bounded queue to stdout (src/4-cli/writer.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "finscope/error.h"
#include "writer.h"

#define LINE_LEN 100 /* bytes per test line, newline included */

typedef struct {
    int fd;          /* read end of the pipe */
    GString *got;    /* everything read until EOF */
} Reader;

static gpointer
read_all(gpointer user)
{
    Reader *r = user;
    char buf[4096];
    ssize_t n = 0;

    while ((n = read(r->fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        g_assert_cmpint(n, >, 0);
        g_string_append_len(r->got, buf, n);
    }
    return NULL;
}

/* Line i: "i:" then x up to LINE_LEN - 1 bytes, then '\n'. */
static void
put_line(FILE *f, guint i)
{
    char line[LINE_LEN + 1];
    int head = g_snprintf(line, sizeof line, "%u:", i);

    memset(line + head, 'x', LINE_LEN - 1 - (gsize)head);
    line[LINE_LEN - 1] = '\n';
    line[LINE_LEN] = '\0';
    fputs(line, f);
}

/* Nobody reads the pipe while 1,000 lines (100 KB) are written: the pipe
 * (64 KiB) and the queue (4 KiB) take what they can, the rest is dropped
 * whole and counted, and nothing blocks. Read afterwards, every line is
 * intact and written + dropped = 1,000. */
static void
test_overflow(void)
{
    int p[2];
    g_autoptr(GError) error = NULL;
    Reader r = { 0, g_string_new(NULL) };
    g_auto(GStrv) lines = NULL;
    FsWriter *w = NULL;
    GThread *t = NULL;
    guint64 dropped = 0;
    guint n = 0;

    g_assert_cmpint(pipe(p), ==, 0);
    w = fs_writer_new(p[1], 4096);
    for (guint i = 0; i < 1000; i++)
        put_line(fs_writer_file(w), i);
    dropped = fs_writer_dropped_lines(w);
    g_assert_cmpuint(dropped, >, 0);
    r.fd = p[0];
    t = g_thread_new("reader", read_all, &r);
    g_assert_true(fs_writer_drain(w, 5000, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(fs_writer_dropped_lines(w), ==, dropped);
    fs_writer_free(w);
    close(p[1]);
    g_thread_join(t);
    close(p[0]);
    g_assert_true(g_str_has_suffix(r.got->str, "\n"));
    lines = g_strsplit(r.got->str, "\n", -1);
    for (n = 0; lines[n] != NULL && lines[n][0] != '\0'; n++) {
        g_assert_cmpuint(strlen(lines[n]), ==, LINE_LEN - 1);
        g_assert_nonnull(strchr(lines[n], ':'));
    }
    g_assert_cmpuint(n + dropped, ==, 1000);
    g_assert_cmpuint(n, >, 0);
    g_string_free(r.got, TRUE);
}

/* A line longer than the queue (and than the stream's buffer, so it
 * arrives in pieces) goes whole; the lines around it come through. */
static void
test_long_line(void)
{
    int p[2];
    g_autoptr(GError) error = NULL;
    Reader r = { 0, g_string_new(NULL) };
    g_autofree char *big = g_malloc(20001);
    FsWriter *w = NULL;
    GThread *t = NULL;

    g_assert_cmpint(pipe(p), ==, 0);
    r.fd = p[0];
    t = g_thread_new("reader", read_all, &r);
    w = fs_writer_new(p[1], 4096);
    memset(big, 'b', 20000);
    big[19999] = '\n';
    big[20000] = '\0';
    fputs("before\n", fs_writer_file(w));
    g_assert_true(fs_writer_drain(w, 5000, &error));
    fputs(big, fs_writer_file(w));
    fputs("after\n", fs_writer_file(w));
    g_assert_true(fs_writer_drain(w, 5000, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(fs_writer_dropped_lines(w), ==, 1);
    fs_writer_free(w);
    close(p[1]);
    g_thread_join(t);
    close(p[0]);
    g_assert_cmpstr(r.got->str, ==, "before\nafter\n");
    g_string_free(r.got, TRUE);
}

/* A reader that never reads: drain gives up at its timeout and free
 * returns at once, leaving the thread stuck in write(). */
static void
test_stuck(void)
{
    int p[2];
    g_autoptr(GError) error = NULL;
    FsWriter *w = NULL;
    gint64 t0 = 0;

    g_assert_cmpint(pipe(p), ==, 0);
    w = fs_writer_new(p[1], 256 * 1024);
    for (guint i = 0; i < 1000; i++)
        put_line(fs_writer_file(w), i);
    t0 = g_get_monotonic_time();
    g_assert_false(fs_writer_drain(w, 200, &error));
    g_assert_error(error, FS_ERROR, FS_ERROR_WRITE);
    g_assert_nonnull(strstr(error->message, "abandoned"));
    fs_writer_free(w);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 3 * G_USEC_PER_SEC);
    /* the pipe stays open: the stuck thread must not get SIGPIPE */
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/writer/overflow", test_overflow);
    g_test_add_func("/writer/long-line", test_long_line);
    g_test_add_func("/writer/stuck", test_stuck);
    return g_test_run();
}
