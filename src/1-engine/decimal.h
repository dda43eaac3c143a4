/* finscope: decimal digits by hand, for the formatters on the hot path
 * (JSON numbers, addresses and ports). Private to the library. */
#ifndef FINSCOPE_DECIMAL_H
#define FINSCOPE_DECIMAL_H

#include <glib.h>

/* "00" .. "99": two decimal digits a step. */
static const char digit_pairs[201] =
    "000102030405060708091011121314151617181920212223242526272829"
    "303132333435363738394041424344454647484950515253545556575859"
    "606162636465666768697071727374757677787980818283848586878889"
    "90919293949596979899";

/* How many decimal digits v has. */
static inline guint
decimal_len(guint64 v)
{
    guint n = 1;

    while (v >= 100) {
        v /= 100;
        n += 2;
    }
    return v >= 10 ? n + 1 : n;
}

/* Puts v in decimal at p; returns the position after it.  The digits go
 * in from the end, two a step, with no copy from a scratch buffer. */
static inline char *
fs_put_uint(char *p, guint64 v)
{
    char *end = p + decimal_len(v);
    char *t = end;

    while (v >= 100) {
        const char *d = digit_pairs + 2 * (v % 100);

        v /= 100;
        *--t = d[1];
        *--t = d[0];
    }
    if (v >= 10) {
        *--t = digit_pairs[2 * v + 1];
        *--t = digit_pairs[2 * v];
    } else {
        *--t = (char)('0' + v);
    }
    return end;
}

#endif /* FINSCOPE_DECIMAL_H */
