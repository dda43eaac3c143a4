/* finscope: user-controlled text read with limits and printed escaped. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "finscope/error.h"
#include "text.h"

/* Bytes of the valid UTF-8 character at s (left bytes remain), or 0. */
static gsize
utf8_char_len(const char *s, gsize left)
{
    const char *end = NULL;
    gunichar c = g_utf8_get_char_validated(s, (gssize)left);

    if (c == (gunichar)-1 || c == (gunichar)-2)
        return 0;
    end = g_utf8_next_char(s);
    /* C1 controls (U+0080..U+009F) move terminals too (CSI is U+009B) */
    if (c >= 0x80 && c <= 0x9f)
        return 0;
    return (gsize)(end - s);
}

static void
escape_into(GString *out, const char *s, gsize n, gsize max)
{
    gsize i = 0;

    while (i < n) {
        guchar b = (guchar)s[i];
        gsize clen = b < 0x80 ? 1 : utf8_char_len(s + i, n - i);

        if (max > 0 && i + MAX(clen, 1) > max) {
            g_string_append(out, "...");
            return;
        }
        if (b < 0x80 && (b >= 0x20 || b == '\t') && b != 0x7f)
            g_string_append_c(out, (char)b);
        else if (clen > 1)
            g_string_append_len(out, s + i, (gssize)clen);
        else
            g_string_append_printf(out, "\\x%02x", b);
        i += MAX(clen, 1);
    }
}

char *
fs_text_escape(const char *s, gsize max)
{
    GString *out = g_string_new(NULL);

    if (s != NULL)
        escape_into(out, s, strlen(s), max);
    return g_string_free(out, FALSE);
}

/* The line at s, which ends by end: its length; *next the line after
 * it, NULL after the last. Lines are found with memchr() over a length
 * taken once: strchr() and strstr() (g_strsplit()'s) are linear, but
 * AddressSanitizer's interceptors of both measure the whole rest of the
 * string on each call: check on 20,000 connections, its baseline not
 * holding, took 13 to 18 s under the sanitizers, 1.0 to 1.6 s with
 * memchr() (sessions 24 and 25, sanitizer builds of fresh clones). */
static gsize
line_at(const char *s, const char *end, const char **next)
{
    const char *nl = memchr(s, '\n', (gsize)(end - s));

    *next = nl != NULL ? nl + 1 : NULL;
    return nl != NULL ? (gsize)(nl - s) : (gsize)(end - s);
}

char *
fs_text_escape_lines(const char *s, gsize max)
{
    GString *out = g_string_new(NULL);
    const char *end = s != NULL ? s + strlen(s) : NULL;
    const char *next;

    for (const char *line = s; line != NULL; line = next) {
        escape_into(out, line, line_at(line, end, &next), max);
        if (next != NULL)
            g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}

char **
fs_text_split_lines(const char *text)
{
    GPtrArray *lines = g_ptr_array_new();
    const char *end = text + strlen(text);
    const char *next;

    for (const char *line = *text != '\0' ? text : NULL; line != NULL;
         line = next) {
        gsize n = line_at(line, end, &next);

        g_ptr_array_add(lines, g_strndup(line, n));
    }
    g_ptr_array_add(lines, NULL);
    return (char **)g_ptr_array_free(lines, FALSE);
}

static gboolean
read_fail(GError **error, int code, const char *path, const char *what,
          guint line, const char *problem)
{
    g_autofree char *name = fs_text_escape(path, FS_TEXT_ECHO_MAX);

    g_set_error(error, FS_ERROR, code, "%s:%u: %s: %s", name, line, what,
                problem);
    return FALSE;
}

/* Appends one line (with its newline, if any) of fp to out. FALSE at the
 * end of the file, or on an error (set). */
static gboolean
read_line(FILE *fp, GString *out, const char *path, const char *what,
          guint line, GError **error)
{
    gsize start = out->len;
    int c;

    while ((c = getc(fp)) != EOF) {
        if (c == '\0')
            return read_fail(error, FS_ERROR_FORMAT, path, what, line,
                             "a NUL byte: not a text file");
        if (out->len - start >= FS_TEXT_LINE_MAX)
            return read_fail(error, FS_ERROR_FORMAT, path, what, line,
                             "line longer than the limit of "
                             G_STRINGIFY(FS_TEXT_LINE_MAX) " bytes");
        g_string_append_c(out, (char)c);
        if (c == '\n')
            return TRUE;
    }
    return out->len > start;
}

char *
fs_text_read(const char *path, const char *what, GError **error)
{
    g_autoptr(GString) out = g_string_new(NULL);
    FILE *fp = fopen(path, "r");
    guint line = 1;
    GError *local = NULL;

    if (fp == NULL) {
        int saved = errno;
        g_autofree char *name = fs_text_escape(path, FS_TEXT_ECHO_MAX);

        g_set_error(error, FS_ERROR, FS_ERROR_OPEN, "%s: cannot read the "
                    "%s: %s", name, what, g_strerror(saved));
        return NULL;
    }
    while (read_line(fp, out, path, what, line, &local))
        line++;
    if (local == NULL && ferror(fp)) {
        int saved = errno;

        read_fail(&local, FS_ERROR_OPEN, path, what, line,
                  g_strerror(saved));
    }
    fclose(fp);
    if (local != NULL) {
        g_propagate_error(error, local);
        return NULL;
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}
