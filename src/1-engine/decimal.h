/* finscope: decimal digits by hand, for the formatters on the hot path
 * (JSON numbers, addresses and ports). Private to the library. */
#ifndef FINSCOPE_DECIMAL_H
#define FINSCOPE_DECIMAL_H

#include <string.h>

#include <glib.h>

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

/* How many decimal digits v has: its bit length gives the count or one
 * less (1233 / 4096 is just above log10(2)), one comparison the rest.
 * powers[0] is 0 so that v = 0 has one digit. */
static inline guint
decimal_len(guint64 v)
{
    static const guint64 powers[20] = {
        0u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u,
        100000000u, 1000000000u, G_GUINT64_CONSTANT(10000000000),
        G_GUINT64_CONSTANT(100000000000), G_GUINT64_CONSTANT(1000000000000),
        G_GUINT64_CONSTANT(10000000000000),
        G_GUINT64_CONSTANT(100000000000000),
        G_GUINT64_CONSTANT(1000000000000000),
        G_GUINT64_CONSTANT(10000000000000000),
        G_GUINT64_CONSTANT(100000000000000000),
        G_GUINT64_CONSTANT(1000000000000000000),
        G_GUINT64_CONSTANT(10000000000000000000),
    };
    guint t = ((guint)(64 - __builtin_clzll(v | 1)) * 1233u) >> 12;

    return t + (v >= powers[t]);
}

/* Puts v in decimal at p; returns the position after it.  Below 100 at
 * once; else the digits go in from the end, two a step, with no copy
 * from a scratch buffer; eight at a time are split off in 64 bits, the
 * rest worked in 32 (cheaper divisions by 100). */
static inline char *
fs_put_uint(char *p, guint64 v)
{
    char *end;
    char *t;
    guint32 w;

    /* most numbers of a record: counts of 0, seconds of a capture */
    if (v < 10) {
        *p = (char)('0' + v);
        return p + 1;
    }
    if (v < 100) {
        fs_put_pair(p, (guint32)v);
        return p + 2;
    }
    end = p + decimal_len(v);
    t = end;
    while (v >= 100000000u) {
        guint32 lo = (guint32)(v % 100000000u);
        guint32 hi4 = lo / 10000u;
        guint32 lo4 = lo % 10000u;

        v /= 100000000u;
        t -= 8;                 /* eight digits, no loop */
        fs_put_pair(t, hi4 / 100u);
        fs_put_pair(t + 2, hi4 % 100u);
        fs_put_pair(t + 4, lo4 / 100u);
        fs_put_pair(t + 6, lo4 % 100u);
    }
    w = (guint32)v;
    while (w >= 100) {
        t -= 2;
        fs_put_pair(t, w % 100);
        w /= 100;
    }
    if (w >= 10) {
        fs_put_pair(t - 2, w);
    } else {
        *--t = (char)('0' + w);
    }
    return end;
}

#endif /* FINSCOPE_DECIMAL_H */
