/* finscope: a small streaming JSON writer (RFC 8259) into a GString. */
#include "config.h"

#include <glib.h>

#include "finscope/json-writer.h"

void
fs_json_init(FsJson *j, GString *out)
{
    j->out = out;
    j->depth = 0;
    j->first_bits = 1;
}

/* Writes the comma that separates this value from the previous one. */
static void
before_value(FsJson *j)
{
    guint64 bit = G_GUINT64_CONSTANT(1) << j->depth;

    if (j->first_bits & bit)
        j->first_bits &= ~bit;
    else
        g_string_append_c(j->out, ',');
}

static void
open_scope(FsJson *j, char c)
{
    before_value(j);
    g_string_append_c(j->out, c);
    g_assert(j->depth < 63);
    j->depth++;
    j->first_bits |= G_GUINT64_CONSTANT(1) << j->depth;
}

static void
close_scope(FsJson *j, char c)
{
    g_assert(j->depth > 0);
    j->depth--;
    g_string_append_c(j->out, c);
}

void
fs_json_begin_object(FsJson *j)
{
    open_scope(j, '{');
}

void
fs_json_end_object(FsJson *j)
{
    close_scope(j, '}');
}

void
fs_json_begin_array(FsJson *j)
{
    open_scope(j, '[');
}

void
fs_json_end_array(FsJson *j)
{
    close_scope(j, ']');
}

static void
append_escaped(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (const guchar *p = (const guchar *)s; *p; p++) {
        switch (*p) {
        case '"':  g_string_append(out, "\\\""); break;
        case '\\': g_string_append(out, "\\\\"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        default:
            if (*p < 0x20)
                g_string_append_printf(out, "\\u%04x", *p);
            else
                g_string_append_c(out, (char)*p);
        }
    }
    g_string_append_c(out, '"');
}

void
fs_json_key(FsJson *j, const char *key)
{
    before_value(j);
    append_escaped(j->out, key);
    g_string_append_c(j->out, ':');
    /* the value that follows must not write another comma */
    j->first_bits |= G_GUINT64_CONSTANT(1) << j->depth;
}

void
fs_json_string(FsJson *j, const char *s)
{
    if (s == NULL) {
        fs_json_null(j);
        return;
    }
    before_value(j);
    append_escaped(j->out, s);
}

void
fs_json_int(FsJson *j, gint64 v)
{
    before_value(j);
    g_string_append_printf(j->out, "%" G_GINT64_FORMAT, v);
}

void
fs_json_uint(FsJson *j, guint64 v)
{
    before_value(j);
    g_string_append_printf(j->out, "%" G_GUINT64_FORMAT, v);
}

void
fs_json_bool(FsJson *j, gboolean v)
{
    before_value(j);
    g_string_append(j->out, v ? "true" : "false");
}

void
fs_json_null(FsJson *j)
{
    before_value(j);
    g_string_append(j->out, "null");
}

void
fs_json_time(FsJson *j, gint64 ns)
{
    guint64 mag = ns < 0 ? (guint64)0 - (guint64)ns : (guint64)ns;

    before_value(j);
    g_string_append_printf(j->out, "%s%" G_GUINT64_FORMAT ".%09" G_GUINT64_FORMAT,
                           ns < 0 ? "-" : "", mag / 1000000000u,
                           mag % 1000000000u);
}
