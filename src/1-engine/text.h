/* finscope: user-controlled text on its way in (files read a line at a
 * time, with limits) and out (escaped for a terminal, cut to size). */
#ifndef FINSCOPE_TEXT_H
#define FINSCOPE_TEXT_H

#include <glib.h>

/* Bytes of user text (a file name, a line of a baseline) that messages
 * echo before "...". */
#define FS_TEXT_ECHO_MAX 200

/* The longest line of a policy or baseline file, in bytes. */
#define FS_TEXT_LINE_MAX 65536 /* 64 KiB */

/* s made safe to print: control characters (C0, DEL, C1) and bytes that
 * are not UTF-8 become \xHH, a tab stays; at most max bytes of s are
 * shown (0: all), then "...". Never NULL. */
char *fs_text_escape(const char *s, gsize max);

/* The same for a message of several lines: each line escaped and cut at
 * max bytes, the newlines kept. */
char *fs_text_escape_lines(const char *s, gsize max);

/* text split at each newline, as g_strsplit(text, "\n", -1) does (""
 * gives no line; "a\n" gives "a" and ""), in time linear in its length
 * under AddressSanitizer too. Free with g_strfreev(). */
char **fs_text_split_lines(const char *text);

/* Reads the text file path (what says what it is, for messages: "policy
 * file") a line at a time. Fails with FS_ERROR_FORMAT and the line's
 * number on a NUL byte or on a line longer than FS_TEXT_LINE_MAX (without
 * reading the rest of it), with FS_ERROR_OPEN when it cannot be read. */
char *fs_text_read(const char *path, const char *what, GError **error);

#endif /* FINSCOPE_TEXT_H */
