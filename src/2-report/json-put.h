/* finscope: JSON written through a plain char pointer, for the records
 * of a fixed shape (--json conn and event lines, --json-flat rows).
 *
 * The writer of such a record asks for room once (fs_json_room) and then
 * puts each piece at p, getting back the position after it: no capacity
 * check, no comma or nesting bookkeeping per member. Member names and the
 * punctuation between them are string literals copied whole
 * (FS_JSON_LIT: their length is known at compile time). A piece of no
 * fixed bound (a string from outside) makes room for itself first
 * (fs_json_put_string), so that FS_JSON_SLACK bytes are always free for
 * the fixed pieces that follow it. Private to the report layer. */
#ifndef FINSCOPE_JSON_PUT_H
#define FINSCOPE_JSON_PUT_H

#include <string.h>

#include <glib.h>

#include "decimal.h"
#include "inline.h"

/* The most a record writes between two calls that make room: its fixed
 * pieces (names, numbers, times, addresses, enum names copied as 32-byte
 * blocks, strings of up to 64 bytes with nothing to escape) stay far
 * below this; the display filter makes room for itself. */
#define FS_JSON_SLACK 4096

/* Copies the string literal lit to p and moves p past it. */
#define FS_JSON_LIT(p, lit)                                \
    do {                                                   \
        memcpy((p), "" lit "", sizeof(lit) - 1);           \
        (p) += sizeof(lit) - 1;                            \
    } while (0)

/* Makes room for n + FS_JSON_SLACK more bytes at p, the end of what was
 * written into out so far (p NULL: out's end); returns where p is now
 * (out may have moved). */
static inline char *
fs_json_room(GString *out, char *p, gsize n)
{
    gsize len = p == NULL ? out->len : (gsize)(p - out->str);

    if (G_UNLIKELY(len + n + FS_JSON_SLACK >= out->allocated_len)) {
        g_string_set_size(out, len + n + FS_JSON_SLACK);
    }
    out->len = len;
    return out->str + len;
}

/* Ends out's text at p (the end of the record written). */
static inline void
fs_json_done(GString *out, char *p)
{
    out->len = (gsize)(p - out->str);
    g_assert(out->len < out->allocated_len);
    *p = '\0';
}

static inline char *
fs_put_int(char *p, gint64 v)
{
    if (v < 0) {
        *p++ = '-';
        return fs_put_uint(p, (guint64)0 - (guint64)v);
    }
    return fs_put_uint(p, (guint64)v);
}

/* A time's whole seconds. Those of a capture's clock (10^8 and more:
 * since 1970) change once a second while a second's records all write
 * them, so the digits of those put lately are kept, one memo a second
 * in a ring of 8 (a conn record's start, end and TIME_WAIT end lie in
 * different seconds; one memo a thread and a file that includes this),
 * and put again as one 16-byte copy; the short ones (durations, ages)
 * are cheaper to put afresh, most of them one digit. Inline where a
 * time is put; what is seldom done (a memo filled, a duration of ten
 * seconds or more) is a call. */
typedef struct {
    guint64 sec;        /* 0: none yet (never 10^8 or more) */
    char text[16];      /* up to 11 digits (2^63 ns), no NUL */
    gsize len;
} FsSecondsMemo;

/* The memo of sec (at least 10^8), filled. */
static G_GNUC_UNUSED G_GNUC_NO_INLINE FsSecondsMemo *
fs_seconds_memo_fill(FsSecondsMemo *m, guint64 sec)
{
    m->len = (gsize)(fs_put_long_uint(m->text, sec) - m->text);
    m->sec = sec;
    return m;
}

/* sec below 10^8 and not below 10, at p. */
static G_GNUC_UNUSED G_GNUC_NO_INLINE char *
fs_put_short_seconds(char *p, guint64 sec)
{
    return fs_put_short_uint(p, (guint32)sec);
}

static inline char *
fs_put_seconds(char *p, guint64 sec)
{
    static _Thread_local FsSecondsMemo memo[8];
    FsSecondsMemo *m;

    if (sec < 10) {
        *p = (char)('0' + sec);
        return p + 1;
    }
    if (G_UNLIKELY(sec < 100000000u))
        return fs_put_short_seconds(p, sec);
    m = &memo[sec % G_N_ELEMENTS(memo)];
    if (G_UNLIKELY(sec != m->sec))
        m = fs_seconds_memo_fill(m, sec);
    memcpy(p, m->text, sizeof m->text);
    return p + m->len;
}

/* Nanoseconds as seconds with nine decimals: "-1.500000000" (writes up
 * to 16 bytes for the seconds, whatever their digits). The seconds and
 * the fraction are worked out once, before the seconds are put. Always
 * inline where a time is put, whatever the compiler's budget says: it
 * is put about 943,000 times on medium-b (c777fdc). */
static inline ALWAYS_INLINE char *
fs_put_time(char *p, gint64 ns)
{
    guint64 mag = ns < 0 ? (guint64)0 - (guint64)ns : (guint64)ns;
    guint64 sec = mag / 1000000000u;
    guint32 frac = (guint32)(mag - sec * 1000000000u);

    if (ns < 0)
        *p++ = '-';
    p = fs_put_seconds(p, sec);
    *p = '.';
    return fs_put_nine_digits(p + 1, frac);
}

static inline char *
fs_put_bool(char *p, gboolean v)
{
    if (v) {
        FS_JSON_LIT(p, "true");
    } else {
        FS_JSON_LIT(p, "false");
    }
    return p;
}

static inline char *
fs_put_null(char *p)
{
    FS_JSON_LIT(p, "null");
    return p;
}

/* Copies n bytes from s to p, the short ones (most) as fixed-size words
 * the compiler inlines rather than a call to memcpy; returns p + n. */
static inline char *
fs_put_bytes(char *p, const char *s, gsize n)
{
    if (n >= 8 && n <= 16) {
        guint64 a;
        guint64 b;

        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(p, &a, 8);
        memcpy(p + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        guint32 a;
        guint32 b;

        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(p, &a, 4);
        memcpy(p + n - 4, &b, 4);
    } else if (n < 4) {
        for (gsize i = 0; i < n; i++)
            p[i] = s[i];
    } else {
        memcpy(p, s, n);
    }
    return p + n;
}

/* Quotes the n bytes at s, which the caller knows hold nothing to
 * escape (an address, a display filter); counts in the slack. */
static inline char *
fs_put_plain_string(char *p, const char *s, gsize n)
{
    *p++ = '"';
    p = fs_put_bytes(p, s, n);
    *p++ = '"';
    return p;
}

/* The string s quoted and escaped as fs_json_string writes it, or null
 * for NULL; makes room for it first (s may be of any length): out is
 * the GString p writes into. */
char *fs_json_put_string(GString *out, char *p, const char *s);

#endif /* FINSCOPE_JSON_PUT_H */
