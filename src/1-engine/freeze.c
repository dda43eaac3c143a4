/* finscope: frozen connections — the body of an FsConn in a compact,
 * lossless encoding.
 *
 * One list of fields (code_conn) serves both directions, so encoder and
 * decoder cannot drift apart. Each field becomes an unsigned value that is
 * 0 in the common case: times and sequence numbers as the difference to a
 * related field decoded before them (a FIN's time to the last packet's,
 * the last TSval to the first, ...), flags packed into one value. Values
 * go out in groups of eight: a byte saying which are non-zero, then those
 * as LEB128 varints; zeros cost one bit. The last packet's time, the base
 * of the others, leads as 8 raw bytes. Most captures keep microseconds:
 * when every time of the connection is a whole microsecond, differences
 * of times are coded in microseconds (a byte or two less each), which
 * the top bit of t_last's 8 bytes says (times are below 2^62).
 *
 * Layout after the links and the addresses (freeze.h): [t_last: 8 bytes
 * LE, top bit: microseconds] then groups of [mask byte][varint per set
 * bit]. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/freeze.h"

/* sizeof(FsConn) and sizeof(FsEndpoint) as code_conn() knows them: a new
 * field must be added to code_conn() (or said not to be kept), then here. */
G_STATIC_ASSERT(sizeof(FsEndpoint) == 152);
G_STATIC_ASSERT(sizeof(FsConn) == 520);
G_STATIC_ASSERT(FS_CONN_HEAD_SIZE == 68);
G_STATIC_ASSERT(FS_CONN_LINKS_SIZE == 34);

#define MAX_FIELDS 96

#define NS_PER_US 1000
#define MICROSECONDS_BIT (G_GUINT64_CONSTANT(1) << 63)

/* The coder is one list for both directions; flattened into each, the
 * direction is a constant and the other one's code goes away. */
#if defined(__GNUC__)
#define FLATTEN __attribute__((flatten))
#else
#define FLATTEN
#endif

typedef struct {
    gboolean decode;
    guint n;                   /* fields coded so far */
    guint8 *out;               /* encode: next byte */
    guint8 *out_mask;          /* encode: the current group's mask */
    const guint8 *cur;         /* decode: next byte */
    const guint8 *end;
    guint8 mask;               /* decode: the current group's mask */
    gboolean bad;              /* decode: ran past the end */
    guint64 time_unit;         /* ns per unit of time differences */
    gboolean inexact;          /* encode: a time not a whole time_unit */
} Codec;

/* The longest varint: 64 bits, 7 a byte. */
#define VARINT_MAX 10

static guint64
read_varint(Codec *c)
{
    guint64 v = 0;

    if (c->end - c->cur >= VARINT_MAX) {
        const guint8 *p = c->cur;

        /* most: far from the end, no check a byte; one byte long */
        if (p[0] < 0x80) {
            c->cur = p + 1;
            return p[0];
        }
        /* unrolled: each byte's shift a constant, one pointer move */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 10
#endif
        for (guint n = 0; n < VARINT_MAX; n++) {
            guint64 b = p[n];

            v |= (b & 0x7f) << (7 * n);
            if (b < 0x80) {
                c->cur = p + n + 1;
                return v;
            }
        }
        c->cur = p + VARINT_MAX;
        c->bad = TRUE;
        return 0;
    }
    for (guint shift = 0; shift < 64; shift += 7) {
        guint8 b;

        if (c->cur >= c->end) {
            c->bad = TRUE;
            return 0;
        }
        b = *c->cur++;
        v |= (guint64)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    c->bad = TRUE;
    return 0;
}

static guint8 *
put_varint(guint8 *p, guint64 v)
{
    while (v >= 0x80) {
        *p++ = (guint8)(v | 0x80);
        v >>= 7;
    }
    *p++ = (guint8)v;
    return p;
}

/* Encode: writes v (a group's mask first) and returns it. Decode:
 * returns the next value. */
static guint64
field(Codec *c, guint64 v)
{
    guint i = c->n++;

    g_assert(i < MAX_FIELDS);
    if (!c->decode) {
        if (i % 8 == 0) {
            c->out_mask = c->out++;
            *c->out_mask = 0;
        }
        if (v != 0) {
            *c->out_mask |= (guint8)(1u << (i % 8));
            c->out = put_varint(c->out, v);
        }
        return v;
    }
    if (i % 8 == 0) {
        if (c->cur >= c->end) {
            c->bad = TRUE;
            return 0;
        }
        c->mask = *c->cur++;
    }
    return (c->mask >> (i % 8)) & 1 ? read_varint(c) : 0;
}

static inline guint64
zigzag(guint64 d)
{
    return (d << 1) ^ (guint64)((gint64)d >> 63);
}

static inline guint64
unzigzag(guint64 x)
{
    return (x >> 1) ^ (guint64)-(gint64)(x & 1);
}

/* A value relative to its base: 0 when equal, 1 when the value is 0
 * (unset), else the zigzagged difference d + 2; when unset is the common
 * case (mostly_unset) 0 and 1 swap. Returns the code, the one decoded or
 * (encoding) the one written. */
static guint64
relative_field(Codec *c, gboolean equal, gboolean unset, gint64 d,
               gboolean mostly_unset)
{
    guint64 swap = mostly_unset ? 1 : 0;
    guint64 x = equal ? 0 : unset ? 1 : zigzag((guint64)d) + 2;

    x = field(c, x < 2 ? x ^ swap : x);
    return x < 2 ? x ^ swap : x;
}

/* A time relative to base, the difference in c->time_unit. The encoder
 * notes a time that is not a whole unit from base (then the connection
 * is coded again in nanoseconds); only the decoder writes *p. */
static void
code_time_as(Codec *c, FsTime *p, FsTime base, gboolean mostly_unset)
{
    gint64 unit = (gint64)c->time_unit;
    gint64 d = *p - base;
    guint64 x;

    if (!c->decode && *p != base && *p != FS_TIME_UNSET && d % unit != 0)
        c->inexact = TRUE;
    x = relative_field(c, *p == base, *p == FS_TIME_UNSET, d / unit,
                       mostly_unset);
    if (c->decode)
        *p = x == 0 ? base
             : x == 1 ? FS_TIME_UNSET
                      : (FsTime)((guint64)base + unzigzag(x - 2) * (guint64)unit);
}

static void
code_time(Codec *c, FsTime *p, FsTime base)
{
    code_time_as(c, p, base, FALSE);
}

/* A time mostly unset (a FIN's previous transmission, a reset): unset
 * costs nothing, equal to base a byte. */
static void
code_rare_time(Codec *c, FsTime *p, FsTime base)
{
    code_time_as(c, p, base, TRUE);
}

/* A sequence number relative to base, modulo 2^32. */
static void
code_seq(Codec *c, guint32 *p, guint32 base)
{
    guint64 x = relative_field(c, *p == base, *p == 0,
                               (gint32)(*p - base), FALSE);

    if (c->decode)
        *p = x == 0 ? base : x == 1 ? 0 : base + (guint32)unzigzag(x - 2);
}

/* Each code_*() writes *p only when decoding: the encoder reads the
 * connection it freezes, never writes it. */
static void
code_u64(Codec *c, guint64 *p)
{
    guint64 v = field(c, *p);

    if (c->decode)
        *p = v;
}

static void
code_u32(Codec *c, guint32 *p)
{
    guint64 v = field(c, *p);

    if (c->decode)
        *p = (guint32)v;
}

static void
code_u16(Codec *c, guint16 *p)
{
    guint64 v = field(c, *p);

    if (c->decode)
        *p = (guint16)v;
}

static void
code_u8(Codec *c, guint8 *p)
{
    guint64 v = field(c, *p);

    if (c->decode)
        *p = (guint8)v;
}

static void
code_state(Codec *c, FsTcpState *p)
{
    guint64 v = field(c, (guint64)*p);

    if (c->decode)
        *p = (FsTcpState)v;
}

/* A gint8 role, FS_ROLE_NONE (-1) coded as 0. */
static void
code_role(Codec *c, gint8 *p)
{
    guint64 v = field(c, (guint64)(*p + 1));

    if (c->decode)
        *p = (gint8)((gint)v - 1);
}

/* Bit fields cannot be pointed at: each list names them once, in bit
 * order, and the same macros pack them for the encoder and unpack them
 * for the decoder. */
#define ENDPOINT_FLAGS(X) X(seen) X(isn_known) X(ack_seen) X(fin_sent) \
    X(fin_acked) X(ts_seen) X(recv_fin) X(unseen_fin_acked) X(fin_acked_lost) \
    X(fin_pending) X(fin_ack_proven) X(ack_carrier_seen) \
    X(ack_pending) X(fin_gap)
#define CONN_FLAGS(X) X(roles_inferred) X(syn_seen) X(simultaneous) \
    X(three_way_close) X(reuse_in_time_wait) X(tw_assassinated) \
    X(rst_answers_fin) X(fin_beyond_data) X(evicted) X(aborted_after_close) \
    X(rst_uncertain) X(peer_silent) X(reuse.isn_above) \
    X(reuse.ts_known) X(reuse.ts_newer)
#define PACK_FLAG(f) bits |= (guint64)obj->f << n++;
/* the decoder's record starts zeroed: only set flags are written */
#define UNPACK_FLAG(f) if ((bits >> n++) & 1) obj->f = 1;
#define CODE_FLAGS(c, obj, LIST)                                          \
    do {                                                                  \
        guint64 bits = 0;                                                 \
        guint n = 0;                                                      \
        LIST(PACK_FLAG)                                                   \
        bits = field(c, bits);                                            \
        n = 0;                                                            \
        if (c->decode && bits != 0) {                                     \
            LIST(UNPACK_FLAG)                                             \
        }                                                                 \
    } while (0)

static void
code_endpoint_bits(Codec *c, FsEndpoint *obj)
{
    CODE_FLAGS(c, obj, ENDPOINT_FLAGS);
}

static void
code_conn_bits(Codec *c, FsConn *obj)
{
    CODE_FLAGS(c, obj, CONN_FLAGS);
}

/* Everything of one endpoint but isn and snd_nxt (coded before both
 * endpoints, as the peer's bases). */
static void
code_endpoint(Codec *c, const FsConn *conn, FsEndpoint *ep,
              const FsEndpoint *peer)
{
    code_state(c, &ep->state);
    code_seq(c, &ep->max_ack, peer->snd_nxt);
    code_seq(c, &ep->fin_seq, ep->snd_nxt - 1);
    code_seq(c, &ep->fin_ack, peer->snd_nxt);
    code_u32(c, &ep->first_tsval);
    code_seq(c, &ep->last_tsval, ep->first_tsval);
    code_u32(c, &ep->rcv_wnd);
    code_u16(c, &ep->fin_count);
    code_u16(c, &ep->rst_count);
    code_endpoint_bits(c, ep);
    code_u8(c, &ep->wscale);
    code_u8(c, &ep->undecided);
    code_u32(c, &ep->rtt_leg_us);
    code_seq(c, &ep->probe_end, peer->snd_nxt);
    code_seq(c, &ep->ack_carrier_end, peer->snd_nxt);
    code_u32(c, &ep->fin_gap_lo); /* 0 unless fin_gap: free */
    code_rare_time(c, &ep->probe_ts, conn->t_last);
    code_time(c, &ep->fin_time, conn->t_last);
    code_time(c, &ep->last_fin_time, ep->fin_time);
    code_rare_time(c, &ep->prev_fin_time, ep->last_fin_time);
    code_time(c, &ep->fin_acked_time, ep->last_fin_time);
    code_time(c, &ep->time_wait_since, conn->t_last);
    code_time(c, &ep->state_since,
              ep->time_wait_since != FS_TIME_UNSET ? ep->time_wait_since
                                                  : conn->t_last);
    code_u64(c, &ep->bytes);
    code_u64(c, &ep->bytes_after_peer_fin);
    code_u64(c, &ep->bytes_after_own_fin);
}

/* Frame numbers: the last as its distance from the first. */
static void
code_frames(Codec *c, FsConn *conn)
{
    guint32 span = conn->last_frame - conn->first_frame;

    code_u32(c, &conn->first_frame);
    code_u32(c, &span);
    if (c->decode)
        conn->last_frame = conn->first_frame + span;
    code_u16(c, &conn->first_source);
    code_u16(c, &conn->last_source);
}

/* The last payload times: the client's from the first packet (requests
 * come early), the server's from the client's (answers follow them). */
static void
code_payload_times(Codec *c, FsConn *conn)
{
    FsEndpoint *cl = &conn->ep[FS_ROLE_CLIENT];

    code_time(c, &cl->last_payload_time, conn->t_first);
    code_time(c, &conn->ep[FS_ROLE_SERVER].last_payload_time,
              cl->last_payload_time != FS_TIME_UNSET ? cl->last_payload_time
                                                     : conn->t_first);
}

/* The body but t_last (the leading base). */
static void
code_conn(Codec *c, FsConn *conn)
{
    guint8 u8;

    code_time(c, &conn->t_first, conn->t_last);
    code_u64(c, &conn->packets);
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        code_u32(c, &conn->ep[r].isn);
        code_seq(c, &conn->ep[r].snd_nxt, conn->ep[r].isn);
    }
    code_endpoint(c, conn, &conn->ep[FS_ROLE_CLIENT],
                  &conn->ep[FS_ROLE_SERVER]);
    code_endpoint(c, conn, &conn->ep[FS_ROLE_SERVER],
                  &conn->ep[FS_ROLE_CLIENT]);
    code_payload_times(c, conn);
    code_time(c, &conn->close_done_time, conn->t_last);
    code_rare_time(c, &conn->rst_time, conn->t_last);
    code_time(c, &conn->settled_at, conn->t_last);
    code_u64(c, &conn->reuse_of);
    code_u32(c, &conn->illegal_flags);
    code_u32(c, &conn->old_duplicates);
    code_u32(c, &conn->capture_loss);
    code_u32(c, &conn->final_ack_lost);
    code_u32(c, &conn->duplicate_frames);
    code_u16(c, &conn->rst_ignored);
    code_role(c, &conn->rst_from);
    code_u8(c, &conn->rst_state);
    code_u8(c, &conn->rst_peer_state);
    code_conn_bits(c, conn);
    code_u8(c, &conn->reuse.outcome);
    u8 = (guint8)conn->reuse.holder;
    code_u8(c, &u8);
    if (c->decode)
        conn->reuse.holder = (gint8)u8;
    code_u8(c, &conn->reuse.holder_state);
    code_time(c, &conn->reuse.since_close, 0);
    code_u32(c, &conn->old_dup.in_window);
    code_u32(c, &conn->old_dup.paws_rejected);
    code_u32(c, &conn->old_dup.during_time_wait);
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        code_u32(c, &conn->last_hash[r]);
        code_time(c, &conn->last_hash_ts[r], conn->t_last);
    }
    code_frames(c, conn);
}

FLATTEN FsConn *
fs_conn_freeze(const FsConn *conn, FsPool *pool)
{
    Codec c = { .decode = FALSE, .time_unit = NS_PER_US };
    guint8 buf[8 + MAX_FIELDS / 8 + MAX_FIELDS * VARINT_MAX];
    guint64 t_last = (guint64)conn->t_last;
    /* the code_*() do not write while encoding */
    FsConn *body = (FsConn *)conn;
    gsize len;
    gsize addrs;
    guint8 *out;
    FsConn *frozen;

    g_return_val_if_fail(!fs_conn_is_frozen(conn), NULL);
    c.out = buf + 8;
    if (t_last % NS_PER_US == 0)
        code_conn(&c, body);
    if (t_last % NS_PER_US != 0 || c.inexact) {
        c.n = 0;
        c.out = buf + 8;
        c.time_unit = 1;
        code_conn(&c, body);
    } else {
        t_last |= MICROSECONDS_BIT;
    }
    for (int i = 0; i < 8; i++)
        buf[i] = (guint8)(t_last >> (8 * i));
    len = (gsize)(c.out - buf);
    addrs = fs_conn_frozen_addrs_size(conn);
    frozen = pool != NULL ? fs_pool_alloc(pool, FS_CONN_LINKS_SIZE + addrs + len)
                          : g_malloc(FS_CONN_LINKS_SIZE + addrs + len);
    memcpy(frozen, conn, FS_CONN_LINKS_SIZE);
    frozen->frozen_len = (guint16)len;
    out = (guint8 *)frozen + FS_CONN_LINKS_SIZE;
    if (addrs == FS_FROZEN_V4_ADDRS_SIZE) {
        *out = 4;
        memcpy(out + 1, conn->addr[FS_ROLE_CLIENT].bytes, 4);
        memcpy(out + 5, conn->addr[FS_ROLE_SERVER].bytes, 4);
    } else {
        memcpy(out, conn->addr, addrs);
    }
    memcpy(out + addrs, buf, len);
    return frozen;
}

FLATTEN gboolean
fs_conn_thaw_into(const FsConn *frozen, FsConn *out)
{
    const guint8 *data = (const guint8 *)frozen + FS_CONN_LINKS_SIZE +
                         fs_conn_frozen_addrs_size(frozen);
    Codec c = { .decode = TRUE };
    guint64 t_last = 0;

    g_return_val_if_fail(fs_conn_is_frozen(frozen), FALSE);
    memset(out, 0, sizeof *out);
    memcpy(out, frozen, FS_CONN_LINKS_SIZE);
    fs_conn_addresses(frozen, out->addr);
    out->frozen_len = 0;
    if (frozen->frozen_len < 8)
        return FALSE;
    for (int i = 0; i < 8; i++)
        t_last |= (guint64)data[i] << (8 * i);
    c.time_unit = t_last & MICROSECONDS_BIT ? NS_PER_US : 1;
    out->t_last = (FsTime)(t_last & ~MICROSECONDS_BIT);
    c.cur = data + 8;
    c.end = data + frozen->frozen_len;
    code_conn(&c, out);
    return !c.bad && c.cur == c.end;
}
