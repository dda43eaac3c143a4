/* finscope: writes a whole text to a path: regular files atomically,
 * devices and FIFOs in place, links through to their target. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "finscope/error.h"
#include "outfile.h"
#include "text.h"

static gboolean
fail_errno(GError **error, const char *path, const char *what, int err)
{
    g_autofree char *name = fs_text_escape(path, FS_TEXT_ECHO_MAX);

    g_set_error(error, FS_ERROR, FS_ERROR_WRITE, "%s: %s%s%s", name,
                what != NULL ? what : "", what != NULL ? ": " : "",
                g_strerror(err));
    return FALSE;
}

static gboolean
fail_msg(GError **error, const char *path, const char *msg)
{
    g_autofree char *name = fs_text_escape(path, FS_TEXT_ECHO_MAX);

    g_set_error(error, FS_ERROR, FS_ERROR_WRITE, "%s: %s", name, msg);
    return FALSE;
}

static gboolean
write_all(int fd, const char *text, gsize len, const char *path,
          GError **error)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail_errno(error, path, "cannot write", errno);
        text += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* The descriptor /dev/stdout, /dev/fd/N and the like name, or -1. */
static int
named_descriptor(const char *path)
{
    static const char *const prefixes[] = { "/dev/fd/", "/proc/self/fd/" };
    guint64 fd = 0;

    if (strcmp(path, "/dev/stdout") == 0)
        return 1;
    if (strcmp(path, "/dev/stderr") == 0)
        return 2;
    for (guint i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        const char *rest = path + strlen(prefixes[i]);

        if (g_str_has_prefix(path, prefixes[i]) &&
            g_ascii_string_to_unsigned(rest, 10, 0, INT_MAX, &fd, NULL))
            return (int)fd;
    }
    return -1;
}

/* Through a descriptor the process already has: its own offset, its own
 * kind; stdout's pending stdio output goes first to keep the order. */
static gboolean
write_descriptor(int fd, const char *path, const char *text, gsize len,
                 GError **error)
{
    if (fd == 1)
        fflush(stdout);
    if (fd == 2)
        fflush(stderr);
    if (fcntl(fd, F_GETFD) < 0)
        return fail_errno(error, path, "not an open descriptor", errno);
    return write_all(fd, text, len, path, error);
}

/* A device, FIFO or socket: opened for writing as it is (no O_CREAT,
 * no O_TRUNC, which mean nothing or harm there). */
static gboolean
write_in_place(const char *path, const char *text, gsize len,
               GError **error)
{
    int fd = -1;
    gboolean ok = FALSE;

    do
        fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return fail_errno(error, path, "cannot open", errno);
    ok = write_all(fd, text, len, path, error);
    if (close(fd) != 0 && ok)
        ok = fail_errno(error, path, "cannot write", errno);
    return ok;
}

/* A temporary file beside path, fsynced and renamed over it. */
static gboolean
write_atomic(const char *path, const char *text, gsize len, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *message = NULL;
    gboolean ok = FALSE;

#if GLIB_CHECK_VERSION(2, 66, 0)
    ok = g_file_set_contents_full(path, text, (gssize)len,
                                  G_FILE_SET_CONTENTS_CONSISTENT |
                                      G_FILE_SET_CONTENTS_DURABLE,
                                  0666, &local);
#else
    ok = g_file_set_contents(path, text, (gssize)len, &local);
#endif
    if (ok)
        return TRUE;
    /* GLib's message names the file (the temporary one, or the target)
     * as given: escaped here, for -i prints a --metrics-file error as
     * it is */
    message = fs_text_escape(local->message, 0);
    g_set_error(error, FS_ERROR, FS_ERROR_WRITE, "%s", message);
    return FALSE;
}

/* A link: the file it ends at, written atomically in its own directory;
 * a device or FIFO at the end is written in place. */
static gboolean
write_through_link(const char *path, const char *text, gsize len,
                   GError **error)
{
    struct stat st;
    g_autofree char *target = NULL;

    if (stat(path, &st) != 0) {
        if (errno != ENOENT)
            return fail_errno(error, path, NULL, errno);
        return fail_msg(error, path, "a symbolic link to a file that does "
                        "not exist; not replacing the link (create the "
                        "target or remove the link)");
    }
    if (S_ISDIR(st.st_mode))
        return fail_msg(error, path, "a symbolic link to a directory");
    if (!S_ISREG(st.st_mode))
        return write_in_place(path, text, len, error);
    target = realpath(path, NULL);
    if (target == NULL)
        return fail_errno(error, path, "cannot resolve the link", errno);
    return write_atomic(target, text, len, error);
}

gboolean
fs_outfile_write(const char *path, const char *text, gssize len,
                 GError **error)
{
    gsize n = 0;
    int fd = -1;
    struct stat st;

    g_return_val_if_fail(path != NULL && text != NULL, FALSE);
    n = len < 0 ? strlen(text) : (gsize)len;
    fd = named_descriptor(path);
    if (fd >= 0)
        return write_descriptor(fd, path, text, n, error);
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return write_atomic(path, text, n, error);
        return fail_errno(error, path, NULL, errno);
    }
    if (S_ISREG(st.st_mode))
        return write_atomic(path, text, n, error);
    if (S_ISLNK(st.st_mode))
        return write_through_link(path, text, n, error);
    if (S_ISDIR(st.st_mode))
        return fail_msg(error, path, "is a directory");
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
        return write_in_place(path, text, n, error);
    return fail_msg(error, path, "not a file, device or FIFO to write to");
}
