/* finscope: writing a whole text to a path named on the command line
 * (--junit, check --update --baseline, --metrics-file) without replacing
 * what should not be replaced. */
#ifndef FINSCOPE_OUTFILE_H
#define FINSCOPE_OUTFILE_H

#include <glib.h>

/* Writes len bytes of text (len < 0: up to its NUL) to path:
 * - a regular file, or a path that does not exist yet, atomically: a
 *   temporary file in the same directory, fsynced, then renamed over it;
 * - a symbolic link whose target is a regular file: the target the same
 *   way (the rename happens in the target's directory), so the link
 *   stays a link; a link to a missing file or to a directory is refused;
 * - a character device or FIFO, in place (/dev/null, a tty, a named
 *   pipe), never truncated or replaced (a socket is opened the same way,
 *   which the kernel refuses: an error, the socket left alone);
 * - /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N: through the
 *   descriptor itself, whatever it is (a file, a pipe, a socket).
 * A directory, or anything else, fails with FS_ERROR_WRITE naming path.
 * Nothing at path is replaced when this fails. */
gboolean fs_outfile_write(const char *path, const char *text, gssize len,
                          GError **error);

#endif /* FINSCOPE_OUTFILE_H */
