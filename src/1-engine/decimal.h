/* finscope: decimal digits by hand, for the formatters on the hot path
 * (JSON numbers, addresses and ports). Private to the library. */
#ifndef FINSCOPE_DECIMAL_H
#define FINSCOPE_DECIMAL_H

#include <string.h>

#include <glib.h>

#include "inline.h"

/* "00" .. "99": two decimal digits a step. */
static const char digit_pairs[201] =
    "000102030405060708091011121314151617181920212223242526272829"
    "303132333435363738394041424344454647484950515253545556575859"
    "606162636465666768697071727374757677787980818283848586878889"
    "90919293949596979899";

/* Puts the two digits of v (< 100) at p: one 2-byte move. */
static inline void
fs_put_pair(char *p, guint32 v)
{
    memcpy(p, digit_pairs + 2 * v, 2);
}

/* Digits without a division loop: v / 10^m as a fixed-point number,
 * its integer part (the leading one or two digits) in the high 32 bits
 * and its fraction (the m digits after) in the low 32; each further
 * pair is the integer part of the fraction times 100, exactly. Every
 * pair comes out right when the fraction lies in
 * [r, r + 1) * 2^32 / 10^m, r = v mod 10^m: v * ceil(2^(32+s) / 10^m)
 * >> s, plus 1, is at or above the real v * 2^32 / 10^m and less than
 * v / 2^s + 1 over it, well within the 2^32 / 10^m of room (43 for
 * m = 8, with v < 10^9 and s = 26; s = 25 for the others, v < 10^(m+2)).
 * The constants are FS_DEC_FRACTION_<m>; v * constant stays below 2^64
 * over each range. tests/test-json.c checks each range's edges and
 * steps through all of them. */
#define FS_DEC_FRACTION_2 G_GUINT64_CONSTANT(1441151880758559)
#define FS_DEC_FRACTION_4 G_GUINT64_CONSTANT(14411518807586)
#define FS_DEC_FRACTION_6 G_GUINT64_CONSTANT(144115188076)
#define FS_DEC_FRACTION_8 G_GUINT64_CONSTANT(2882303762)

static inline guint64
fs_dec_fraction(guint32 v, guint64 constant, guint shift)
{
    return ((guint64)v * constant >> shift) + 1;
}

/* The leading part of f (< 100) at p: one digit or two. */
static inline char *
fs_dec_head(char *p, guint64 f)
{
    guint32 head = (guint32)(f >> 32);

    if (head < 10) {
        *p = (char)('0' + head);
        return p + 1;
    }
    fs_put_pair(p, head);
    return p + 2;
}

/* The next pair of f's fraction at p; f becomes what is left of it. */
static inline char *
fs_dec_pair(char *p, guint64 *f)
{
    *f = (guint64)(guint32)*f * 100u;
    fs_put_pair(p, (guint32)(*f >> 32));
    return p + 2;
}

/* Puts v (< 10^8) as exactly eight digits at p, zeros in front. */
static inline char *
fs_put_eight_digits(char *p, guint32 v)
{
    guint64 f = fs_dec_fraction(v, FS_DEC_FRACTION_6, 25);

    fs_put_pair(p, (guint32)(f >> 32));
    p = fs_dec_pair(p + 2, &f);
    p = fs_dec_pair(p, &f);
    return fs_dec_pair(p, &f);
}

/* Puts v (< 10^9) as exactly nine digits at p, zeros in front. */
static inline char *
fs_put_nine_digits(char *p, guint32 v)
{
    guint64 f = fs_dec_fraction(v, FS_DEC_FRACTION_8, 26);

    *p = (char)('0' + (f >> 32));
    p = fs_dec_pair(p + 1, &f);
    p = fs_dec_pair(p, &f);
    p = fs_dec_pair(p, &f);
    return fs_dec_pair(p, &f);
}

/* Puts v (< 10^8) in decimal at p; returns the position after it. By
 * its range the digit count is known to within one (the head), the
 * rest pairs out of one fixed-point quotient: no division loop, no
 * scratch copy. The compiler calls it where it is used often; a caller
 * of a few hot ones takes it inline (fs_put_short_uint_inline()). */
static inline ALWAYS_INLINE char *
fs_put_short_uint_inline(char *p, guint32 v)
{
    guint64 f;

    /* most numbers of a record: counts of 0 */
    if (v < 10) {
        *p = (char)('0' + v);
        return p + 1;
    }
    if (v < 100) {
        fs_put_pair(p, v);
        return p + 2;
    }
    if (v < 10000) {
        f = fs_dec_fraction(v, FS_DEC_FRACTION_2, 25);
        return fs_dec_pair(fs_dec_head(p, f), &f);
    }
    if (v < 1000000) {          /* ports, frame numbers */
        f = fs_dec_fraction(v, FS_DEC_FRACTION_4, 25);
        p = fs_dec_head(p, f);
        p = fs_dec_pair(p, &f);
        return fs_dec_pair(p, &f);
    }
    f = fs_dec_fraction(v, FS_DEC_FRACTION_6, 25);
    p = fs_dec_head(p, f);
    p = fs_dec_pair(p, &f);
    p = fs_dec_pair(p, &f);
    return fs_dec_pair(p, &f);
}

static inline char *
fs_put_short_uint(char *p, guint32 v)
{
    return fs_put_short_uint_inline(p, v);
}

/* v of 9 digits or more (seconds since 1970, sequence numbers): the
 * part above 10^8, then eight digits. */
static char *
fs_put_long_uint(char *p, guint64 v)
{
    guint64 high = v / 100000000u;

    if (G_LIKELY(high < 100000000u))
        p = fs_put_short_uint(p, (guint32)high);
    else
        p = fs_put_long_uint(p, high);
    return fs_put_eight_digits(p, (guint32)(v % 100000000u));
}

/* Puts v (any guint32: a sequence number) in decimal at p; returns the
 * position after it. Inline whatever its size: from 10^8 up (most
 * sequence numbers) the one or two digits of v / 10^8 and eight more,
 * one 32-bit quotient, where fs_put_uint() calls fs_put_long_uint()
 * for the 64-bit range. */
static inline char *
fs_put_u32(char *p, guint32 v)
{
    guint32 high;

    if (v < 100000000u)
        return fs_put_short_uint(p, v);
    high = v / 100000000u;      /* 1 .. 42 */
    if (high < 10) {
        *p++ = (char)('0' + high);
    } else {
        fs_put_pair(p, high);
        p += 2;
    }
    return fs_put_eight_digits(p, v - high * 100000000u);
}

/* Puts v in decimal at p; returns the position after it. */
static inline char *
fs_put_uint(char *p, guint64 v)
{
    if (G_LIKELY(v < 100000000u))
        return fs_put_short_uint(p, (guint32)v);
    return fs_put_long_uint(p, v);
}

/* The same inline, for the few numbers every record has (ids, frame
 * numbers, counts of packets and bytes): no call for the digits. */
static inline ALWAYS_INLINE char *
fs_put_uint_inline(char *p, guint64 v)
{
    if (G_LIKELY(v < 100000000u))
        return fs_put_short_uint_inline(p, (guint32)v);
    return fs_put_long_uint(p, v);
}

/* "0" .. "255", each in 4 bytes: the digits, zero-padded after, and
 * how many there are in the last byte. */
typedef struct {
    char text[3];
    guint8 len;
} FsOctet;

#define FS_OCTET(n)                                                       \
    { { (char)('0' + ((n) >= 100 ? (n) / 100                              \
                      : (n) >= 10 ? (n) / 10 : (n))),                     \
        (char)((n) >= 100 ? '0' + (n) / 10 % 10                           \
               : (n) >= 10 ? '0' + (n) % 10 : 0),                         \
        (char)((n) >= 100 ? '0' + (n) % 10 : 0) },                        \
      (n) >= 100 ? 3 : (n) >= 10 ? 2 : 1 }
#define FS_OCTET4(n)                                                      \
    FS_OCTET(n), FS_OCTET((n) + 1), FS_OCTET((n) + 2), FS_OCTET((n) + 3)
#define FS_OCTET16(n)                                                     \
    FS_OCTET4(n), FS_OCTET4((n) + 4), FS_OCTET4((n) + 8),                 \
        FS_OCTET4((n) + 12)
#define FS_OCTET64(n)                                                     \
    FS_OCTET16(n), FS_OCTET16((n) + 16), FS_OCTET16((n) + 32),            \
        FS_OCTET16((n) + 48)

static const FsOctet fs_octets[256] = {
    FS_OCTET64(0), FS_OCTET64(64), FS_OCTET64(128), FS_OCTET64(192),
};

/* One octet's digits, 4 bytes copied (the padding written over next). */
static inline char *
fs_put_octet(char *p, guint8 b)
{
    memcpy(p, fs_octets[b].text, 4);
    return p + fs_octets[b].len;
}

/* Puts an IPv4 address as inet_ntop() writes it at p (16 bytes of room:
 * each octet is copied as 4 bytes, the next one written over its
 * padding); returns the position after it. By table: this runs for
 * every record (fs_addr_put() of types.c, and inline where a record's
 * two are put). */
static inline char *
fs_put_ipv4(char *p, const guint8 *b)
{
    p = fs_put_octet(p, b[0]);
    *p++ = '.';
    p = fs_put_octet(p, b[1]);
    *p++ = '.';
    p = fs_put_octet(p, b[2]);
    *p++ = '.';
    return fs_put_octet(p, b[3]);
}

#endif /* FINSCOPE_DECIMAL_H */
