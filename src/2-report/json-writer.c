/* finscope: a small streaming JSON writer (RFC 8259) into a GString.
 *
 * Every value is written in one go straight into the GString's spare
 * room: numbers are formatted by hand and strings are copied in runs of
 * bytes that need no escaping, since this is the hot path of --json. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/json-writer.h"
#include "json-put.h"

/* Longest gint64 or guint64 in decimal: "-9223372036854775808". */
#define UINT_DIGITS 20

/* 1 for the bytes a JSON string cannot hold raw: controls, '"', '\\'.
 * NUL is one of them, so a scan for them also stops at the end. */
static const guint8 needs_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20: '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50: '\\' */
    /* 0x60 .. 0xff: all zero */
};

/* Makes room for n more bytes (and the NUL) at the end of out; returns
 * where they go.  commit() then ends the string where the writer did. */
static inline char *
room(GString *out, gsize n)
{
    if (G_UNLIKELY(out->len + n >= out->allocated_len)) {
        gsize len = out->len;

        g_string_set_size(out, len + n);
        out->len = len;
    }
    return out->str + out->len;
}

static inline void
commit(GString *out, char *end)
{
    out->len = (gsize)(end - out->str);
    *end = '\0';
}

void
fs_json_init(FsJson *j, GString *out)
{
    j->out = out;
    j->depth = 0;
    j->first_bits = 1;
}

/* Puts the comma that separates this value from the previous one at p;
 * returns the position after it. */
static inline char *
put_sep(FsJson *j, char *p)
{
    guint64 bit = G_GUINT64_CONSTANT(1) << j->depth;

    if (j->first_bits & bit)
        j->first_bits &= ~bit;
    else
        *p++ = ',';
    return p;
}

static void
open_scope(FsJson *j, char c)
{
    char *p = put_sep(j, room(j->out, 2));

    *p++ = c;
    commit(j->out, p);
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

/* Appends the escaped form of the byte c. */
static void
append_escape(GString *out, guchar c)
{
    switch (c) {
    case '"':  g_string_append_len(out, "\\\"", 2); break;
    case '\\': g_string_append_len(out, "\\\\", 2); break;
    case '\n': g_string_append_len(out, "\\n", 2); break;
    case '\r': g_string_append_len(out, "\\r", 2); break;
    case '\t': g_string_append_len(out, "\\t", 2); break;
    default: {
        static const char hex[] = "0123456789abcdef";
        char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

        g_string_append_len(out, u, sizeof u);
    }
    }
}

/* The rest of a string from s on: runs of plain bytes in one copy, the
 * others escaped, then the closing quote. */
static void
append_escaped_tail(GString *out, const guchar *s)
{
    for (;;) {
        gsize n = 0;

        while (!needs_escape[s[n]])
            n++;
        g_string_append_len(out, (const char *)s, (gssize)n);
        if (s[n] == '\0')
            break;
        append_escape(out, s[n]);
        s += n + 1;
    }
    g_string_append_c(out, '"');
}

#define ONES G_GUINT64_CONSTANT(0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT(0x8080808080808080)

/* Does the word w (8 bytes of a string) hold a byte needs_escape[]
 * flags: below 0x20, '"' or '\'? Each test is exact as a yes/no
 * ("has a byte less than n", "has a zero byte"). */
static inline gboolean
word_needs_escape(guint64 w)
{
    guint64 quote = w ^ (ONES * '"');
    guint64 slash = w ^ (ONES * '\\');

    return ((((w - ONES * 0x20) & ~w) | ((quote - ONES) & ~quote) |
             ((slash - ONES) & ~slash)) & HIGHS) != 0;
}

/* Do the n bytes at s hold one that needs escaping? Eight at a time. */
static inline gboolean
span_needs_escape(const guchar *s, gsize n)
{
    gsize i = 0;
    guint64 w;

    if (n < 8) {
        for (; i < n; i++) {
            if (needs_escape[s[i]])
                return TRUE;
        }
        return FALSE;
    }
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        if (word_needs_escape(w))
            return TRUE;
    }
    if (i == n)
        return FALSE;
    memcpy(&w, s + n - 8, 8); /* the last 8, overlapping */
    return word_needs_escape(w);
}

/* Writes the separator (if any), the string s quoted and escaped, then
 * suffix (if not NUL). A string with nothing to escape (nearly all) is
 * measured by strlen, checked a word at a time and copied whole. */
static void
put_string(FsJson *j, const char *s, char suffix)
{
    gsize n = strlen(s);
    char *p;

    if (G_UNLIKELY(span_needs_escape((const guchar *)s, n))) {
        p = put_sep(j, room(j->out, 2));
        *p++ = '"';
        commit(j->out, p);
        append_escaped_tail(j->out, (const guchar *)s);
        if (suffix != '\0')
            g_string_append_c(j->out, suffix);
        return;
    }
    /* comma, two quotes, the string and the suffix */
    p = put_sep(j, room(j->out, n + 4));
    *p++ = '"';
    p = fs_put_bytes(p, s, n);
    *p++ = '"';
    if (suffix != '\0')
        *p++ = suffix;
    commit(j->out, p);
}

void
fs_json_key(FsJson *j, const char *key)
{
    put_string(j, key, ':');
    /* the value that follows must not write another comma */
    j->first_bits |= G_GUINT64_CONSTANT(1) << j->depth;
}

void
fs_json_key_plain(FsJson *j, const char *key, gsize len)
{
    /* comma, two quotes, the name and the colon */
    char *p = put_sep(j, room(j->out, len + 4));

    *p++ = '"';
    p = fs_put_bytes(p, key, len);
    *p++ = '"';
    *p++ = ':';
    commit(j->out, p);
    j->first_bits |= G_GUINT64_CONSTANT(1) << j->depth;
}

void
fs_json_string(FsJson *j, const char *s)
{
    if (s == NULL) {
        fs_json_null(j);
        return;
    }
    put_string(j, s, '\0');
}

void
fs_json_int(FsJson *j, gint64 v)
{
    char *p = put_sep(j, room(j->out, 2 + UINT_DIGITS));

    commit(j->out, fs_put_int(p, v));
}

void
fs_json_uint(FsJson *j, guint64 v)
{
    char *p = put_sep(j, room(j->out, 1 + UINT_DIGITS));

    commit(j->out, fs_put_uint(p, v));
}

/* Writes a literal: true, false or null. */
static inline void
put_literal(FsJson *j, const char *lit, gsize n)
{
    char *p = put_sep(j, room(j->out, n + 1));

    memcpy(p, lit, n);
    commit(j->out, p + n);
}

void
fs_json_bool(FsJson *j, gboolean v)
{
    if (v)
        put_literal(j, "true", 4);
    else
        put_literal(j, "false", 5);
}

void
fs_json_null(FsJson *j)
{
    put_literal(j, "null", 4);
}

void
fs_json_time(FsJson *j, gint64 ns)
{
    char *p = put_sep(j, room(j->out, 2 + UINT_DIGITS + 10));

    commit(j->out, fs_put_time(p, ns));
}

/* The escaped form of c at p (at most six bytes); the position after. */
static char *
put_escape(char *p, guchar c)
{
    static const char hex[] = "0123456789abcdef";

    *p++ = '\\';
    switch (c) {
    case '"':  *p++ = '"'; break;
    case '\\': *p++ = '\\'; break;
    case '\n': *p++ = 'n'; break;
    case '\r': *p++ = 'r'; break;
    case '\t': *p++ = 't'; break;
    default:
        *p++ = 'u';
        *p++ = '0';
        *p++ = '0';
        *p++ = hex[c >> 4];
        *p++ = hex[c & 15];
    }
    return p;
}

char *
fs_json_put_string(GString *out, char *p, const char *s)
{
    const guchar *u = (const guchar *)s;
    gsize n;

    if (s == NULL)
        return fs_put_null(p);
    n = strlen(s);
    if (G_LIKELY(!span_needs_escape(u, n))) {
        /* a short one (enum names) is counted in the slack */
        if (n > 64)
            p = fs_json_room(out, p, n + 2);
        return fs_put_plain_string(p, s, n);
    }
    p = fs_json_room(out, p, 6 * n + 2);
    *p++ = '"';
    for (gsize i = 0; i < n; i++) {
        if (needs_escape[u[i]])
            p = put_escape(p, u[i]);
        else
            *p++ = (char)u[i];
    }
    *p++ = '"';
    return p;
}
