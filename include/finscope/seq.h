/* finscope: TCP sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4). */
#ifndef FINSCOPE_SEQ_H
#define FINSCOPE_SEQ_H

#include <glib.h>

/* a < b in sequence space (serial-number arithmetic, RFC 1982 style). */
static inline gboolean
fs_seq_lt(guint32 a, guint32 b)
{
    return (gint32)(a - b) < 0;
}

static inline gboolean
fs_seq_leq(guint32 a, guint32 b)
{
    return (gint32)(a - b) <= 0;
}

static inline gboolean
fs_seq_gt(guint32 a, guint32 b)
{
    return (gint32)(a - b) > 0;
}

static inline gboolean
fs_seq_geq(guint32 a, guint32 b)
{
    return (gint32)(a - b) >= 0;
}

/* lo <= x < hi in sequence space. */
static inline gboolean
fs_seq_between(guint32 x, guint32 lo, guint32 hi)
{
    return (guint32)(x - lo) < (guint32)(hi - lo);
}

static inline guint32
fs_seq_max(guint32 a, guint32 b)
{
    return fs_seq_gt(a, b) ? a : b;
}

/* TCP timestamps compare the same way (RFC 7323 §5.3, PAWS). */
static inline gboolean
fs_ts_older(guint32 tsval, guint32 ts_recent)
{
    return (gint32)(tsval - ts_recent) < 0;
}

#endif /* FINSCOPE_SEQ_H */
