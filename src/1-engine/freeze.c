/* finscope: frozen connections — the body of an FsConn in a compact,
 * lossless encoding.
 *
 * Each field becomes an unsigned value that is 0 in the common case:
 * times and sequence numbers as the difference to a related field (a
 * FIN's time to the last packet's, the last TSval to the first, the
 * payload bytes to what the sequence numbers say, ...), small fields
 * packed into one value, each set of bit flags as the bytes the compiler
 * keeps them in (a frozen connection never leaves the process), a
 * window shifted down by its scale. The
 * encoder writes each value as it works it out, slot by slot
 * (encode_in(), no array in between), the decoder reads them all and
 * then writes the record field by field (store()): the two lists of
 * fields, slot by slot, are the format.
 *
 * The values go out in three parts, each the cheapest for its kind of
 * field. The six 32-bit fields that look random (ISNs, first TSvals,
 * duplicate-frame hashes) as 4 raw bytes each, those that are non-zero
 * (a varint would take 5). The "dense" values, non-zero in any
 * connection that carried data, as one LEB128 varint each, without a
 * mask. The rest in groups of eight: a byte saying which are non-zero,
 * then those as varints; the rarely non-zero ones last, and a group all
 * 0 (most of the rare ones) is not written at all.
 *
 * Layout after the links and the addresses (freeze.h): the last
 * packet's time, the base of the others; a byte saying which groups
 * follow, its top bit set when all the words do (most connections),
 * else a byte saying which; the words; the values slot by slot (see
 * the slots: settling's dense values, the two groups holding its
 * others, the other dense values, the other groups). Most captures keep microseconds: when every time of the
 * connection is a whole microsecond, times are coded in microseconds (a
 * byte or two less each); the lead is then 7 bytes, t_last / 1000
 * shifted up with bit 0 set, else 8 bytes, t_last shifted up (times are
 * below 2^62).
 *
 * The decoder copies the encoding into a buffer with zeros after it: a
 * varint or mask read past the end reads a 0 and moves one byte, so it
 * needs only a check of its place after each run of up to 8 varints, and
 * one at the end that finds a damaged encoding. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include <glib.h>

#include "finscope/freeze.h"
#include "finscope/tcpoutcome.h"
#include "finscope/tcpstate.h"

/* sizeof(FsConn) and sizeof(FsEndpoint) as encode_in() and store() know them:
 * a new field must be added to both (or said not to be kept), then
 * here. */
G_STATIC_ASSERT(sizeof(FsEndpoint) == 152);
G_STATIC_ASSERT(sizeof(FsConn) == 528);
G_STATIC_ASSERT(FS_CONN_HEAD_SIZE == 68);
G_STATIC_ASSERT(FS_CONN_LINKS_SIZE == 34);

/* Bit fields cannot be pointed at: each set of flags is copied as the
 * bytes that hold it, between the fields declared before and after it
 * (bit order and any unused bits come back as they were). */
#define EP_FLAGS_AT (offsetof(FsEndpoint, rst_count) + sizeof(guint16))
#define EP_FLAGS_SIZE (offsetof(FsEndpoint, wscale) - EP_FLAGS_AT)
#define CONN_FLAGS_AT (offsetof(FsConn, rst_peer_state) + 1)
#define REUSE_FLAGS_AT \
    (offsetof(FsConn, reuse) + offsetof(FsReuse, holder_state) + 1)
G_STATIC_ASSERT(EP_FLAGS_SIZE == 2);  /* 16 flags */
/* 14 flags, 16 bits, in 2 bytes: full (one more would land in the
 * padding byte before rst_ignored, which is not copied) */
G_STATIC_ASSERT(offsetof(FsConn, rst_ignored) - CONN_FLAGS_AT >= 2);
/* and a third byte of them (copy_proof_spent, rst_at_una, rst_outlived,
 * rst_sender_talked, rst_sender_was: a state in 4 bits), kept above the
 * reuse's */
G_STATIC_ASSERT(FS_TCP_N_STATES <= 16);
#define CONN_FLAGS_3RD_AT (CONN_FLAGS_AT + 2)
/* and a fourth (fin_not_taken, fin_rtx_crossed), above the third */
#define CONN_FLAGS_4TH_AT (CONN_FLAGS_AT + 3)
G_STATIC_ASSERT(CONN_FLAGS_4TH_AT < offsetof(FsConn, rst_ignored));
/* a state, an undecided reason and a window scale share a value */
G_STATIC_ASSERT(FS_TCP_N_STATES <= 256);
/* The bytes of an FsConn no field holds (padding): in the reuse after
 * its flags, after the fourth byte of flags, at the end. store() writes
 * every field; a thaw zeroes these, not the whole record first (a
 * record is zeroed before it is filled, padding included: a thawed one
 * is the same bytes). */
#define REUSE_PAD_AT (REUSE_FLAGS_AT + 1)
#define REUSE_PAD_SIZE \
    (offsetof(FsConn, reuse) + offsetof(FsReuse, since_close) - REUSE_PAD_AT)
#define FLAGS_PAD_AT (CONN_FLAGS_4TH_AT + 1)
#define FLAGS_PAD_SIZE (offsetof(FsConn, rst_ignored) - FLAGS_PAD_AT)
#define TAIL_PAD_AT (offsetof(FsConn, first_source) + sizeof(guint16))
#define TAIL_PAD_SIZE (sizeof(FsConn) - TAIL_PAD_AT)
G_STATIC_ASSERT(REUSE_PAD_SIZE == 4 && FLAGS_PAD_SIZE == 1 &&
                TAIL_PAD_SIZE == 6);

#define NS_PER_US 1000

/* encode_in() is inlined twice, in encode_us() and encode_ns(), each
 * with its unit a constant (a division by a variable is one slow
 * instruction). */
#include "inline.h"

/* The loops over a fixed number of values unrolled (gcc -O2 does not):
 * no counter, no test a value, each slot's offset a constant. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#define UNROLLED _Pragma("GCC unroll 32")
#elif defined(__clang__)
#define UNROLLED _Pragma("unroll")
#else
#define UNROLLED
#endif

/* The 32-bit fields kept raw. */
enum {
    W_ISN_C, W_ISN_S, W_TSVAL_C, W_TSVAL_S, W_HASH_C, W_HASH_S, N_WORDS
};
/* encode_in() tests each word by name */
G_STATIC_ASSERT(N_WORDS == 6);

/* The varint values, by slot, in the order they are written (_C, _S:
 * the client's, the server's). What settling a frozen record reads
 * (fs_conn_frozen_settle_view()) comes first, so that it stops there:
 * its dense values, then the masked group holding its four common ones
 * first, then the group holding its rarer two (V_LAST_FIN_TIME) first;
 * then the other dense values and the other groups, the common first.
 * (Which values share a group is what the groups' mask bytes cost: the
 * groups here are those of the order by kind, their values moved
 * between the two common groups only; bench-small, medium-b and medium
 * freeze to the same sizes either way.) */
enum {
    /* dense, settling's */
    V_SHAPE_C, V_SHAPE_S, V_FLAGS_C, V_FLAGS_S, V_FIN_TIME_C, V_FIN_TIME_S,
    V_TW_SINCE_C, V_TW_SINCE_S,
    /* group 0, common: settling's four first */
    V_FIN_ACKED_TIME_C, V_FIN_ACKED_TIME_S, V_STATE_SINCE_C,
    V_STATE_SINCE_S, V_COUNTS_C, V_COUNTS_S, V_FIN_ACK_C, V_FIN_ACK_S,
    /* group 1, rare: settling's two first */
    V_LAST_FIN_TIME_C, V_LAST_FIN_TIME_S, V_PROBE_END_C, V_PROBE_END_S,
    V_FINAL_ACK_LOST, V_BYTES_AFTER_PEER_FIN_C, V_BYTES_AFTER_PEER_FIN_S,
    V_CLOSE_DONE_TIME,
    /* dense, the others */
    V_PACKETS, V_T_FIRST, V_SETTLED_AT, V_CONN_FLAGS, V_FIRST_FRAME,
    V_FRAME_SPAN, V_PAYLOAD_TIME_C, V_PAYLOAD_TIME_S,
    V_SND_NXT_C, V_SND_NXT_S, V_RCV_WND_C, V_RCV_WND_S, V_LAST_TSVAL_C,
    V_LAST_TSVAL_S, V_RTT_C, V_RTT_S,
    /* group 2, common */
    V_ACK_CARRIER_END_C, V_ACK_CARRIER_END_S, V_HASH_TIME_C, V_HASH_TIME_S,
    V_PREV_FIN_TIME_C, V_PREV_FIN_TIME_S, V_FIN_SEQ_C, V_FIN_SEQ_S,
    /* group 3, rare */
    V_MAX_ACK_C, V_MAX_ACK_S, V_BYTES_C, V_BYTES_S, V_PROBE_TS_C,
    V_PROBE_TS_S, V_FIN_GAP_LO_C, V_FIN_GAP_LO_S,
    /* groups 4 to 6, the rare tail: settling's V_RST first, and its
     * V_TW_RESTART (a TIME_WAIT's timer restarted: 0 in every record
     * without, which then costs nothing) last */
    V_RST, V_BYTES_AFTER_OWN_FIN_C, V_BYTES_AFTER_OWN_FIN_S, V_RST_TIME,
    V_REUSE_OF, V_REUSE, V_REUSE_SINCE_CLOSE, V_ILLEGAL_FLAGS,
    V_OLD_DUPLICATES, V_CAPTURE_LOSS, V_DUPLICATE_FRAMES,
    V_OLD_DUP_IN_WINDOW, V_OLD_DUP_PAWS, V_OLD_DUP_DURING_TW, V_SOURCES,
    V_TW_RESTART_C, V_TW_RESTART_S,
    N_VALUES
};

/* settling's dense values, the groups before the other dense ones */
#define N_DENSE_FIRST V_FIN_ACKED_TIME_C
#define N_GROUPS_FIRST ((V_PACKETS - N_DENSE_FIRST) / 8)
#define N_DENSE (N_DENSE_FIRST + V_ACK_CARRIER_END_C - V_PACKETS)
#define N_MASKED (N_VALUES - N_DENSE)
#define N_GROUPS ((N_MASKED + 7) / 8)
/* slots of the masked groups, the last one's unused ones 0 */
#define N_SLOTS (N_DENSE + 8 * N_GROUPS)
/* whether slot is a dense one */
#define SLOT_DENSE(slot) \
    ((slot) < N_DENSE_FIRST || ((slot) >= V_PACKETS && (slot) < V_ACK_CARRIER_END_C))
/* a masked slot's place among the masked ones: its group's, times 8, and
 * its bit in the group's mask */
#define MASKED_AT(slot) \
    ((slot) < V_PACKETS ? (slot) - N_DENSE_FIRST : (slot) - N_DENSE)
/* the first slot of group g */
#define GROUP_AT(g) (8 * (g) + ((g) < N_GROUPS_FIRST ? N_DENSE_FIRST : N_DENSE))

/* the dense values are read in runs of 8, the groups between them whole */
G_STATIC_ASSERT(N_DENSE_FIRST == 8);
G_STATIC_ASSERT((V_PACKETS - N_DENSE_FIRST) % 8 == 0);
G_STATIC_ASSERT(N_DENSE % 8 == 0);
G_STATIC_ASSERT(GROUP_AT(N_GROUPS_FIRST) == V_ACK_CARRIER_END_C);
G_STATIC_ASSERT(GROUP_AT(1) == V_LAST_FIN_TIME_C);
/* the groups' summary is a byte, its top bit free */
G_STATIC_ASSERT(N_GROUPS <= 7);
/* in the groups' summary: every word follows (no byte saying which) */
#define ALL_WORDS_BIT 0x80u
#define ALL_WORDS ((1u << N_WORDS) - 1)

/* The longest varint: 64 bits, 7 a byte. */
#define VARINT_MAX 10
#define LEAD_MAX 8
#define ENCODED_MAX                                                    \
    (LEAD_MAX + 2 + 4 * N_WORDS + (N_DENSE + N_MASKED) * VARINT_MAX + \
     N_GROUPS)
/* The lead and the words are written 8 and 4 bytes at a time: an
 * encoding is built in a buffer this much longer. */
#define SLACK 8
/* The decoder checks its place against the end after every 8 values or
 * group: past it, one more such run (a mask, 8 varints) reads less than
 * this (the zeros after the end read as one-byte varints, in fact). */
#define TAIL_ZEROS (1 + 8 * VARINT_MAX)
/* zeroed as 64 bytes and the rest (fs_conn_thaw_into()) */
G_STATIC_ASSERT(TAIL_ZEROS >= 64);

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

/* A sequence number relative to base, modulo 2^32: 0 equal, 1 unset (0),
 * else the zigzagged difference + 2. */
static inline guint64
seq_code(guint32 v, guint32 base)
{
    return v == base ? 0 : v == 0 ? 1 : zigzag((guint64)(gint64)(gint32)(v - base)) + 2;
}

static inline guint32
seq_value(guint64 x, guint32 base)
{
    return x == 0 ? base : x == 1 ? 0 : base + (guint32)unzigzag(x - 2);
}

/* A time relative to base: 0 equal, 1 unset, else the zigzagged
 * difference in units of unit + 2 (from 0 when base is unset; base_set
 * says it is not, a constant where the caller knows); when unset is the
 * common case (mostly_unset) 0 and 1 swap. *off collects what is left of
 * each difference past whole units (not 0: a time is not a whole unit
 * from its base; one subtraction, not a test and a set). */
static inline ALWAYS_INLINE guint64
time_code(FsTime t, FsTime base, gboolean base_set, gint64 unit,
          gboolean mostly_unset, guint64 *off)
{
    guint64 x;

    if (t == base) {
        x = 0;
    } else if (t == FS_TIME_UNSET) {
        x = 1;
    } else {
        gint64 d = (gint64)((guint64)t -
                            (guint64)(base_set || base != FS_TIME_UNSET
                                          ? base
                                          : 0));
        gint64 q = d / unit;

        *off |= (guint64)(d - q * unit);
        x = zigzag((guint64)q) + 2;
    }
    return mostly_unset && x < 2 ? x ^ 1 : x;
}

static inline FsTime
time_value(guint64 x, FsTime base, gint64 unit, gboolean mostly_unset)
{
    if (mostly_unset && x < 2)
        x ^= 1;
    if (x == 0)
        return base;
    if (x == 1)
        return FS_TIME_UNSET;
    return (FsTime)((guint64)(base == FS_TIME_UNSET ? 0 : base) +
                    unzigzag(x - 2) * (guint64)unit);
}


static inline guint64
flag_bytes(const void *p)
{
    guint16 v;

    memcpy(&v, p, sizeof v);
    return v;
}

/* The flags an endpoint most often has in each state when it is frozen
 * (a closing one: seen, its SYN and ACKs, its FIN sent and acked,
 * timestamps, the peer's FIN received; in TIME_WAIT the peer's FIN
 * proven acked too, in LAST_ACK its ACK pending), as the compiler lays
 * them out. */
#define CLOSING_FLAGS                                                  \
    .seen = 1, .isn_known = 1, .ack_seen = 1, .fin_sent = 1,            \
    .fin_acked = 1, .ts_seen = 1, .recv_fin = 1
static const FsEndpoint typical_flags[FS_TCP_N_STATES] = {
    [FS_TCP_ESTABLISHED] = { .seen = 1, .isn_known = 1, .ack_seen = 1,
                             .ts_seen = 1 },
    [FS_TCP_CLOSING] = { CLOSING_FLAGS, .ack_pending = 1 },
    [FS_TCP_LAST_ACK] = { CLOSING_FLAGS, .ack_pending = 1 },
    [FS_TCP_TIME_WAIT] = { CLOSING_FLAGS, .fin_ack_proven = 1,
                           .ack_carrier_seen = 1 },
    [FS_TCP_CLOSED] = { CLOSING_FLAGS, .fin_ack_proven = 1,
                        .ack_carrier_seen = 1 },
};
#undef CLOSING_FLAGS

/* The typical flags of an endpoint in state (any byte: those of no
 * state are none). */
static inline guint16
typical_flags_of(guint state)
{
    return state < FS_TCP_N_STATES
               ? (guint16)flag_bytes((const guint8 *)&typical_flags[state] +
                                     EP_FLAGS_AT)
               : 0;
}

/* An endpoint's flags as kept: those that differ from its state's
 * typical ones, the bytes swapped (the first byte's flags, set in a
 * typical close, rarely differ; the second's do): mostly 0, one byte
 * (the flags as they are took two). */
static inline guint64
flags_code(const FsEndpoint *ep)
{
    guint16 x = (guint16)flag_bytes((const guint8 *)ep + EP_FLAGS_AT) ^
                typical_flags_of((guint8)ep->state);

    return GUINT16_SWAP_LE_BE(x);
}

/* What the sequence numbers say of the payload bytes: SYN and FIN each
 * take one. */
static inline guint64
bytes_base(const FsEndpoint *ep)
{
    return (guint32)(ep->snd_nxt - ep->isn - 1u - ep->fin_sent);
}

/* The TSval an endpoint's last segment most likely carried: its first
 * one moved on by the connection's span at 1 kHz, the clock of Linux
 * and most stacks (RFC 7323 allows 1 ms to 1 s a tick): the difference
 * is then a few ticks (one byte, where the span took two or three). */
static inline guint32
tsval_guess(const FsEndpoint *ep, FsTime t_first, FsTime t_last)
{
    return ep->first_tsval + (guint32)((t_last - t_first) / 1000000);
}

/* An endpoint's state, window scale and undecided reason: the low
 * nibbles of the state and the scale first, so that a state below 16
 * with a scale up to 7 (Linux's default) is one byte (it took two), then
 * their high nibbles and the reason. */
static inline guint64
shape_of(const FsEndpoint *ep)
{
    guint state = (guint8)ep->state;
    guint ws = ep->wscale;

    return (guint64)((state & 15) | (ws & 15) << 4 | (state >> 4) << 8 |
                     (ws >> 4) << 12) |
           (guint64)ep->undecided << 16;
}

/* An endpoint's window as kept: every window it advertised after its SYN
 * is the header's field shifted up by its scale, a whole multiple of
 * it: then shifted down, bit 0 clear (502 << 7 in two bytes, not
 * three); else (the SYN's own, unscaled; a scale of 32 or more, which
 * none is) as it is, bit 0 set. */
static inline guint64
window_code(const FsEndpoint *ep)
{
    guint32 w = ep->rcv_wnd;

    if (ep->wscale < 32 &&
        (w & ((G_GUINT64_CONSTANT(1) << ep->wscale) - 1)) == 0)
        return (guint64)(w >> ep->wscale) << 1;
    return (guint64)w << 1 | 1;
}

#define C FS_ROLE_CLIENT
#define S FS_ROLE_SERVER

static inline void
store_le64(guint8 *p, guint64 v)
{
    v = GUINT64_TO_LE(v);
    memcpy(p, &v, sizeof v);
}

static inline guint64
load_le64(const guint8 *p)
{
    guint64 v;

    memcpy(&v, p, sizeof v);
    return GUINT64_FROM_LE(v);
}

static inline guint32
load_le32(const guint8 *p)
{
    guint32 v;

    memcpy(&v, p, sizeof v);
    return GUINT32_FROM_LE(v);
}

/* The lowest bit set of m (not 0). */
static inline guint
lowest_bit(guint m)
{
#if defined(__GNUC__)
    return (guint)__builtin_ctz(m);
#else
    guint n = 0;

    while (!(m & 1u)) {
        m >>= 1;
        n++;
    }
    return n;
#endif
}

static inline void
store_le32(guint8 *p, guint32 v)
{
    v = GUINT32_TO_LE(v);
    memcpy(p, &v, sizeof v);
}

/* v as a LEB128 varint at p (4 bytes after p writable); returns the
 * end. Below 2^28 (nearly every value) without a loop: x + (x & ~m)
 * moves x's bits above m up one, opening a gap for a byte's top bit;
 * the varint is then one 2- or 4-byte store (a byte 7 instructions). */
static inline ALWAYS_INLINE guint8 *
put_varint(guint8 *p, guint64 v)
{
    guint64 x;

    if (G_LIKELY(v < 0x80)) {
        *p = (guint8)v;
        return p + 1;
    }
    x = v + (v & ~G_GUINT64_CONSTANT(0x7f));
    if (v < 1u << 14) {
        guint16 two = GUINT16_TO_LE((guint16)(x | 0x80));

        memcpy(p, &two, sizeof two);
        return p + 2;
    }
    x += x & ~G_GUINT64_CONSTANT(0x7fff);
    if (v < 1u << 21) {
        store_le32(p, (guint32)x | 0x8080);
        return p + 3;
    }
    if (v < 1u << 28) {
        x += x & ~G_GUINT64_CONSTANT(0x7fffff);
        store_le32(p, (guint32)x | 0x808080);
        return p + 4;
    }
    while (v >= 0x80) {
        *p++ = (guint8)(v | 0x80);
        v >>= 7;
    }
    *p++ = (guint8)v;
    return p;
}

/* Whether every value of the last three groups (V_RST on) is 0, as encode_in() works it out: each field as it is in a usual
 * connection, tested together (one OR each, where working out a value
 * and testing it took three to six). A value added to these groups must
 * be added here too. */
G_STATIC_ASSERT(V_RST == GROUP_AT(N_GROUPS - 3));
G_STATIC_ASSERT(N_VALUES == V_RST + 17);
static inline gboolean
rare_tail_zero(const FsConn *conn)
{
    guint64 any = conn->ep[C].bytes_after_own_fin |
                  conn->ep[S].bytes_after_own_fin | conn->reuse_of |
                  ((guint64)conn->rst_time + 1) |
                  (guint64)conn->reuse.since_close |
                  conn->illegal_flags | conn->old_duplicates |
                  conn->capture_loss | conn->duplicate_frames |
                  conn->old_dup.in_window | conn->old_dup.paws_rejected |
                  conn->old_dup.during_time_wait | conn->first_source |
                  conn->last_source | conn->rst_ignored |
                  (guint8)(conn->rst_from + 1) | conn->rst_state |
                  conn->rst_peer_state | conn->reuse.outcome |
                  (guint8)conn->reuse.holder | conn->reuse.holder_state |
                  conn->ep[C].time_wait_restart_us |
                  conn->ep[S].time_wait_restart_us;

    /* an unset RST time codes 0 but when it equals its base, the last
     * packet's time (unset only in a record the lead cannot carry: its
     * encoding stays byte for byte the same all the same) */
    return any == 0 && conn->t_last != FS_TIME_UNSET;
}

/* The encoder's place: the end so far, the open group's mask byte and
 * bits, the summary of the groups written. */
typedef struct {
    guint8 *p;
    guint8 *mask;
    guint m;
    guint groups;
} Writer;

/* Writes the value of slot (a constant once inlined: every test on it
 * folds away): a dense one as a varint; a masked one as a varint if it
 * is not 0, its group's mask byte before the group's first slot, and
 * after its last slot the mask set, or the group taken back if all of
 * it was 0. */
static inline ALWAYS_INLINE void
put_value(Writer *e, guint slot, guint64 x)
{
    guint j = MASKED_AT(slot) % 8;

    if (SLOT_DENSE(slot)) {
        e->p = put_varint(e->p, x);
        return;
    }
    if (j == 0) {
        e->mask = e->p++;
        e->m = 0;
    }
    if (x != 0) {
        e->m |= 1u << j;
        e->p = put_varint(e->p, x);
    }
    if (j == 7 || slot == N_VALUES - 1) {
        if (e->m != 0) {
            *e->mask = (guint8)e->m;
            e->groups |= 1u << MASKED_AT(slot) / 8;
        } else {
            e->p = e->mask;
        }
    }
}

/* The values must be written slot by slot, in the order of the enum:
 * where the compiler counts (gcc, clang), a slot out of order does not
 * compile (_Static_assert, not G_STATIC_ASSERT, which may count too). */
#if defined(__COUNTER__)
#define SLOT_IN_ORDER(slot)                                 \
    _Static_assert((slot) == __COUNTER__ - SLOT_COUNTER_BASE, \
                   "slot out of order")
#else
#define SLOT_IN_ORDER(slot)
#endif
#define PUT(slot, x)             \
    do {                         \
        SLOT_IN_ORDER(slot);     \
        put_value(&e, (slot), (x)); \
    } while (0)
/* A time, relative to base, in unit. */
#define TIME(t, base, mostly_unset) \
    time_code((t), (base), FALSE, unit, (mostly_unset), &off)
/* A time relative to the last packet's: in microseconds, a whole one
 * (encode(); unset, -1, is not), so set. */
#define LAST(t, mostly_unset) \
    time_code((t), t_last, unit == NS_PER_US, unit, (mostly_unset), &off)

/* The encoding of conn (see the top) into buf (ENCODED_MAX + SLACK
 * bytes), times in unit: each value written as it is worked out, in
 * the order of the slots. Returns its length, or 0 if a time is not a
 * whole unit from its base. */
static inline ALWAYS_INLINE gsize
encode_in(const FsConn *conn, guint8 *buf, gint64 unit)
{
#if defined(__COUNTER__)
    enum { SLOT_COUNTER_BASE = __COUNTER__ + 1 };
#endif
    const FsEndpoint *cl = &conn->ep[C];
    const FsEndpoint *sv = &conn->ep[S];
    FsTime t_last = conn->t_last;
    FsTime payload_base = cl->last_payload_time != FS_TIME_UNSET
                              ? cl->last_payload_time
                              : conn->t_first;
    guint32 w[N_WORDS] = {
        cl->isn, sv->isn, cl->first_tsval, sv->first_tsval,
        conn->last_hash[C], conn->last_hash[S],
    };
    guint64 off = 0;
    guint words = 0;
    guint8 *groups;
    Writer e;

    e.p = buf;
    if (unit == NS_PER_US) {
        store_le64(e.p, (guint64)t_last / NS_PER_US << 1 | 1);
        e.p += 7;
    } else {
        store_le64(e.p, (guint64)t_last << 1);
        e.p += 8;
    }
    groups = e.p++;
    if (G_LIKELY(w[0] != 0 && w[1] != 0 && w[2] != 0 && w[3] != 0 &&
                 w[4] != 0 && w[5] != 0)) {
        /* most connections: every word, no byte saying which */
        words = ALL_WORDS;
        UNROLLED
        for (guint i = 0; i < N_WORDS; i++)
            store_le32(e.p + 4 * i, w[i]);
        e.p += 4 * N_WORDS;
    } else {
        UNROLLED
        for (guint i = 0; i < N_WORDS; i++)
            words |= (guint)(w[i] != 0) << i;
        *e.p++ = (guint8)words;
        UNROLLED
        for (guint i = 0; i < N_WORDS; i++) {
            store_le32(e.p, w[i]);
            e.p += w[i] != 0 ? 4 : 0;
        }
    }
    e.mask = NULL;
    e.m = 0;
    e.groups = 0;

    /* dense, settling's */
    PUT(V_SHAPE_C, shape_of(cl));
    PUT(V_SHAPE_S, shape_of(sv));
    PUT(V_FLAGS_C, flags_code(cl));
    PUT(V_FLAGS_S, flags_code(sv));
    PUT(V_FIN_TIME_C, LAST(cl->fin_time, FALSE));
    PUT(V_FIN_TIME_S, LAST(sv->fin_time, FALSE));
    PUT(V_TW_SINCE_C, LAST(cl->time_wait_since, FALSE));
    PUT(V_TW_SINCE_S, LAST(sv->time_wait_since, FALSE));
    /* group 0 */
    PUT(V_FIN_ACKED_TIME_C,
        TIME(cl->fin_acked_time, cl->last_fin_time, FALSE));
    PUT(V_FIN_ACKED_TIME_S,
        TIME(sv->fin_acked_time, sv->last_fin_time, FALSE));
    PUT(V_STATE_SINCE_C,
        time_code(cl->state_since,
                  cl->time_wait_since != FS_TIME_UNSET ? cl->time_wait_since
                                                       : t_last,
                  unit == NS_PER_US, unit, FALSE, &off));
    PUT(V_STATE_SINCE_S,
        time_code(sv->state_since,
                  sv->time_wait_since != FS_TIME_UNSET ? sv->time_wait_since
                                                       : t_last,
                  unit == NS_PER_US, unit, FALSE, &off));
    PUT(V_COUNTS_C, (guint64)cl->fin_count | (guint64)cl->rst_count << 16);
    PUT(V_COUNTS_S, (guint64)sv->fin_count | (guint64)sv->rst_count << 16);
    PUT(V_FIN_ACK_C, seq_code(cl->fin_ack, sv->snd_nxt));
    PUT(V_FIN_ACK_S, seq_code(sv->fin_ack, cl->snd_nxt));
    /* group 1 */
    PUT(V_LAST_FIN_TIME_C, TIME(cl->last_fin_time, cl->fin_time, FALSE));
    PUT(V_LAST_FIN_TIME_S, TIME(sv->last_fin_time, sv->fin_time, FALSE));
    PUT(V_PROBE_END_C, seq_code(cl->probe_end, sv->snd_nxt));
    PUT(V_PROBE_END_S, seq_code(sv->probe_end, cl->snd_nxt));
    PUT(V_FINAL_ACK_LOST, conn->final_ack_lost);
    PUT(V_BYTES_AFTER_PEER_FIN_C, cl->bytes_after_peer_fin);
    PUT(V_BYTES_AFTER_PEER_FIN_S, sv->bytes_after_peer_fin);
    PUT(V_CLOSE_DONE_TIME, LAST(conn->close_done_time, TRUE));
    /* dense, the others */
    PUT(V_PACKETS, conn->packets);
    PUT(V_T_FIRST, LAST(conn->t_first, FALSE));
    PUT(V_SETTLED_AT, LAST(conn->settled_at, FALSE));
    PUT(V_CONN_FLAGS,
        flag_bytes((const guint8 *)conn + CONN_FLAGS_AT) |
            (guint64)((const guint8 *)conn)[REUSE_FLAGS_AT] << 16 |
            (guint64)((const guint8 *)conn)[CONN_FLAGS_3RD_AT] << 24 |
            (guint64)((const guint8 *)conn)[CONN_FLAGS_4TH_AT] << 32);
    PUT(V_FIRST_FRAME, conn->first_frame);
    PUT(V_FRAME_SPAN, (guint32)(conn->last_frame - conn->first_frame));
    PUT(V_PAYLOAD_TIME_C, TIME(cl->last_payload_time, conn->t_first, FALSE));
    PUT(V_PAYLOAD_TIME_S, TIME(sv->last_payload_time, payload_base, FALSE));
    PUT(V_SND_NXT_C, seq_code(cl->snd_nxt, cl->isn));
    PUT(V_SND_NXT_S, seq_code(sv->snd_nxt, sv->isn));
    PUT(V_RCV_WND_C, window_code(cl));
    PUT(V_RCV_WND_S, window_code(sv));
    PUT(V_LAST_TSVAL_C,
        seq_code(cl->last_tsval, tsval_guess(cl, conn->t_first, t_last)));
    PUT(V_LAST_TSVAL_S,
        seq_code(sv->last_tsval, tsval_guess(sv, conn->t_first, t_last)));
    PUT(V_RTT_C, cl->rtt_leg_us);
    PUT(V_RTT_S, sv->rtt_leg_us);
    /* group 2 */
    PUT(V_ACK_CARRIER_END_C, seq_code(cl->ack_carrier_end, sv->snd_nxt));
    PUT(V_ACK_CARRIER_END_S, seq_code(sv->ack_carrier_end, cl->snd_nxt));
    PUT(V_HASH_TIME_C, LAST(conn->last_hash_ts[C], FALSE));
    PUT(V_HASH_TIME_S, LAST(conn->last_hash_ts[S], FALSE));
    PUT(V_PREV_FIN_TIME_C, TIME(cl->prev_fin_time, cl->last_fin_time, TRUE));
    PUT(V_PREV_FIN_TIME_S, TIME(sv->prev_fin_time, sv->last_fin_time, TRUE));
    PUT(V_FIN_SEQ_C, seq_code(cl->fin_seq, cl->snd_nxt - 1));
    PUT(V_FIN_SEQ_S, seq_code(sv->fin_seq, sv->snd_nxt - 1));
    /* group 3 */
    PUT(V_MAX_ACK_C, seq_code(cl->max_ack, sv->snd_nxt));
    PUT(V_MAX_ACK_S, seq_code(sv->max_ack, cl->snd_nxt));
    PUT(V_BYTES_C, zigzag(cl->bytes - bytes_base(cl)));
    PUT(V_BYTES_S, zigzag(sv->bytes - bytes_base(sv)));
    PUT(V_PROBE_TS_C, LAST(cl->probe_ts, TRUE));
    PUT(V_PROBE_TS_S, LAST(sv->probe_ts, TRUE));
    PUT(V_FIN_GAP_LO_C, cl->fin_gap_lo);
    PUT(V_FIN_GAP_LO_S, sv->fin_gap_lo);
    /* The last two groups (bytes past a FIN, RSTs, reuse, anomalies,
     * capture files) are all 0 in a usual connection: when every field
     * they code is as it is then, they are not written, without working
     * out their values one by one. */
    if (!rare_tail_zero(conn)) {
        PUT(V_RST, (guint64)(guint8)(conn->rst_from + 1) |
                       (guint64)conn->rst_state << 8 |
                       (guint64)conn->rst_peer_state << 16 |
                       (guint64)conn->rst_ignored << 24);
        PUT(V_BYTES_AFTER_OWN_FIN_C, cl->bytes_after_own_fin);
        PUT(V_BYTES_AFTER_OWN_FIN_S, sv->bytes_after_own_fin);
        PUT(V_RST_TIME, LAST(conn->rst_time, TRUE));
        PUT(V_REUSE_OF, conn->reuse_of);
        PUT(V_REUSE, (guint64)conn->reuse.outcome |
                         (guint64)(guint8)conn->reuse.holder << 8 |
                         (guint64)conn->reuse.holder_state << 16);
        PUT(V_REUSE_SINCE_CLOSE,
            time_code(conn->reuse.since_close, 0, TRUE, unit, FALSE, &off));
        PUT(V_ILLEGAL_FLAGS, conn->illegal_flags);
        PUT(V_OLD_DUPLICATES, conn->old_duplicates);
        PUT(V_CAPTURE_LOSS, conn->capture_loss);
        PUT(V_DUPLICATE_FRAMES, conn->duplicate_frames);
        PUT(V_OLD_DUP_IN_WINDOW, conn->old_dup.in_window);
        PUT(V_OLD_DUP_PAWS, conn->old_dup.paws_rejected);
        PUT(V_OLD_DUP_DURING_TW, conn->old_dup.during_time_wait);
        PUT(V_SOURCES, (guint64)conn->first_source |
                           (guint64)conn->last_source << 16);
        PUT(V_TW_RESTART_C, cl->time_wait_restart_us);
        PUT(V_TW_RESTART_S, sv->time_wait_restart_us);
    }
#if defined(__COUNTER__)
    /* every slot written */
    _Static_assert(__COUNTER__ - SLOT_COUNTER_BASE == N_VALUES,
                   "a slot not written");
#endif
    *groups = (guint8)(e.groups | (words == ALL_WORDS ? ALL_WORDS_BIT : 0));
    return off != 0 ? 0 : (gsize)(e.p - buf);
}

#undef TIME
#undef LAST
#undef PUT
#undef SLOT_IN_ORDER

static G_GNUC_NO_INLINE gsize
encode_us(const FsConn *conn, guint8 *buf)
{
    return encode_in(conn, buf, NS_PER_US);
}

static G_GNUC_NO_INLINE gsize
encode_ns(const FsConn *conn, guint8 *buf)
{
    return encode_in(conn, buf, 1);
}

/* The encoding of conn into buf (ENCODED_MAX + SLACK bytes): in
 * microseconds when every time is a whole one; returns its length. */
static inline gsize
encode(const FsConn *conn, guint8 *buf)
{
    gsize len;

    if ((guint64)conn->t_last % NS_PER_US == 0 &&
        (len = encode_us(conn, buf)) != 0)
        return len;
    return encode_ns(conn, buf);
}

FsConn *
fs_conn_freeze(const FsConn *conn, FsPool *pool)
{
    guint8 buf[ENCODED_MAX + SLACK];
    gsize len;
    gsize addrs;
    guint8 *out;
    FsConn *frozen;

    g_return_val_if_fail(!fs_conn_is_frozen(conn), NULL);
    len = encode(conn, buf);
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

/* A varint at *pp (zeros follow the encoding: no bound to check); one
 * longer than any written sets *bad. */
static inline guint64
get_varint(const guint8 **pp, gboolean *bad)
{
    const guint8 *p = *pp;
    guint64 v;

    if (G_LIKELY(p[0] < 0x80)) {
        *pp = p + 1;
        return p[0];
    }
    v = p[0] & 0x7f;
    if (p[1] < 0x80) {
        *pp = p + 2;
        return v | (guint64)p[1] << 7;
    }
    for (guint n = 1; n < VARINT_MAX; n++) {
        guint64 b = p[n];

        v |= (b & 0x7f) << (7 * n);
        if (b < 0x80) {
            *pp = p + n + 1;
            return v;
        }
    }
    *pp = p + VARINT_MAX;
    *bad = TRUE;
    return 0;
}

/* The decodes that store_endpoint() and fs_conn_frozen_settle_view()
 * share (the view reads what settling reads, no more). */

/* An endpoint's state from its shape_of(). */
static inline guint
state_of_shape(guint64 shape)
{
    return (guint)((shape & 15) | (shape >> 8 & 15) << 4);
}

/* An endpoint's flags' bytes from their flags_code(), its state
 * known. */
static inline guint16
flags_of(guint64 code, guint state)
{
    return GUINT16_SWAP_LE_BE((guint16)code) ^ typical_flags_of((guint8)state);
}

/* The times of endpoint r that settling reads, into e (an FsEndpoint
 * or an FsSettleEnd: the same names), each from its base in turn:
 * time_wait_since from t_last, state_since from time_wait_since (t_last
 * if unset), last_fin_time from fin_time (its fin_time's, decoded from
 * t_last), fin_acked_time from last_fin_time. A macro for either (a
 * function filling a struct of them cost the view 7 instructions a
 * record more). */
#define SETTLE_TIMES_INTO(e, fin_time, v, r, t_last, unit)                \
    G_STMT_START {                                                        \
        (e)->time_wait_since =                                            \
            time_value((v)[V_TW_SINCE_C + (r)], (t_last), (unit), FALSE); \
        (e)->state_since = time_value(                                    \
            (v)[V_STATE_SINCE_C + (r)],                                   \
            (e)->time_wait_since != FS_TIME_UNSET ? (e)->time_wait_since  \
                                                  : (t_last),             \
            (unit), FALSE);                                               \
        (e)->last_fin_time = time_value((v)[V_LAST_FIN_TIME_C + (r)],     \
                                        (fin_time), (unit), FALSE);       \
        (e)->fin_acked_time = time_value((v)[V_FIN_ACKED_TIME_C + (r)],   \
                                         (e)->last_fin_time, (unit),      \
                                         FALSE);                          \
        (e)->time_wait_restart_us = (guint32)(v)[V_TW_RESTART_C + (r)];   \
    }                                                                     \
    G_STMT_END

/* Writes endpoint r's fields from its values. Inlined in store() for
 * each r, a constant: every field's and value's place is then one too
 * (called with r a variable, gcc worked the endpoint's address out again
 * at each store, and tsval_guess()'s division once an endpoint). */
static inline ALWAYS_INLINE void
store_endpoint(FsConn *conn, int r, const guint64 *v, gint64 unit)
{
    FsEndpoint *ep = &conn->ep[r];
    FsEndpoint *peer = &conn->ep[!r];
    FsTime t_last = conn->t_last;
    guint64 shape = v[V_SHAPE_C + r];
    guint16 flags;

    /* isn, first_tsval, both snd_nxt and t_first are in place */
    ep->state = (FsTcpState)state_of_shape(shape);
    ep->wscale = (guint8)((shape >> 4 & 15) | (shape >> 12 & 15) << 4);
    ep->undecided = (guint8)(shape >> 16);
    flags = flags_of(v[V_FLAGS_C + r], (guint)ep->state);
    memcpy((guint8 *)ep + EP_FLAGS_AT, &flags, sizeof flags);
    /* window_code(); bit 0 clear with a scale of 32 or more only in a
     * damaged one */
    ep->rcv_wnd = (v[V_RCV_WND_C + r] & 1) || ep->wscale >= 32
                      ? (guint32)(v[V_RCV_WND_C + r] >> 1)
                      : (guint32)(v[V_RCV_WND_C + r] >> 1) << ep->wscale;
    ep->last_tsval = seq_value(v[V_LAST_TSVAL_C + r],
                               tsval_guess(ep, conn->t_first, t_last));
    ep->rtt_leg_us = (guint32)v[V_RTT_C + r];
    ep->fin_time = time_value(v[V_FIN_TIME_C + r], t_last, unit, FALSE);
    SETTLE_TIMES_INTO(ep, ep->fin_time, v, r, t_last, unit);
    ep->fin_count = (guint16)v[V_COUNTS_C + r];
    ep->rst_count = (guint16)(v[V_COUNTS_C + r] >> 16);
    ep->prev_fin_time =
        time_value(v[V_PREV_FIN_TIME_C + r], ep->last_fin_time, unit, TRUE);
    ep->ack_carrier_end = seq_value(v[V_ACK_CARRIER_END_C + r], peer->snd_nxt);
    ep->fin_ack = seq_value(v[V_FIN_ACK_C + r], peer->snd_nxt);
    ep->max_ack = seq_value(v[V_MAX_ACK_C + r], peer->snd_nxt);
    ep->fin_seq = seq_value(v[V_FIN_SEQ_C + r], ep->snd_nxt - 1);
    ep->probe_end = seq_value(v[V_PROBE_END_C + r], peer->snd_nxt);
    ep->bytes = bytes_base(ep) + unzigzag(v[V_BYTES_C + r]);
    ep->probe_ts = time_value(v[V_PROBE_TS_C + r], t_last, unit, TRUE);
    ep->fin_gap_lo = (guint32)v[V_FIN_GAP_LO_C + r];
    ep->bytes_after_peer_fin = v[V_BYTES_AFTER_PEER_FIN_C + r];
    ep->bytes_after_own_fin = v[V_BYTES_AFTER_OWN_FIN_C + r];
}

/* Writes the record from its values, every field (out: head and t_last
 * in place). */
static inline void
store(FsConn *out, const guint64 *v, const guint32 *w, gint64 unit)
{
    FsEndpoint *cl = &out->ep[C];
    FsTime t_last = out->t_last;
    guint16 flags = (guint16)v[V_CONN_FLAGS];

    cl->isn = w[W_ISN_C];
    out->ep[S].isn = w[W_ISN_S];
    cl->first_tsval = w[W_TSVAL_C];
    out->ep[S].first_tsval = w[W_TSVAL_S];
    out->last_hash[C] = w[W_HASH_C];
    out->last_hash[S] = w[W_HASH_S];
    cl->snd_nxt = seq_value(v[V_SND_NXT_C], cl->isn);
    out->ep[S].snd_nxt = seq_value(v[V_SND_NXT_S], out->ep[S].isn);
    out->t_first = time_value(v[V_T_FIRST], t_last, unit, FALSE);
    store_endpoint(out, C, v, unit);
    store_endpoint(out, S, v, unit);
    out->packets = v[V_PACKETS];
    out->settled_at = time_value(v[V_SETTLED_AT], t_last, unit, FALSE);
    memcpy((guint8 *)out + CONN_FLAGS_AT, &flags, sizeof flags);
    ((guint8 *)out)[REUSE_FLAGS_AT] = (guint8)(v[V_CONN_FLAGS] >> 16);
    ((guint8 *)out)[CONN_FLAGS_3RD_AT] = (guint8)(v[V_CONN_FLAGS] >> 24);
    ((guint8 *)out)[CONN_FLAGS_4TH_AT] = (guint8)(v[V_CONN_FLAGS] >> 32);
    out->first_frame = (guint32)v[V_FIRST_FRAME];
    out->last_frame = out->first_frame + (guint32)v[V_FRAME_SPAN];
    cl->last_payload_time =
        time_value(v[V_PAYLOAD_TIME_C], out->t_first, unit, FALSE);
    out->ep[S].last_payload_time =
        time_value(v[V_PAYLOAD_TIME_S],
                   cl->last_payload_time != FS_TIME_UNSET
                       ? cl->last_payload_time
                       : out->t_first,
                   unit, FALSE);
    out->last_hash_ts[C] = time_value(v[V_HASH_TIME_C], t_last, unit, FALSE);
    out->last_hash_ts[S] = time_value(v[V_HASH_TIME_S], t_last, unit, FALSE);
    out->close_done_time =
        time_value(v[V_CLOSE_DONE_TIME], t_last, unit, TRUE);
    out->final_ack_lost = (guint32)v[V_FINAL_ACK_LOST];
    out->rst_time = time_value(v[V_RST_TIME], t_last, unit, TRUE);
    out->rst_from = (gint8)((gint)(guint8)v[V_RST] - 1);
    out->rst_state = (guint8)(v[V_RST] >> 8);
    out->rst_peer_state = (guint8)(v[V_RST] >> 16);
    out->rst_ignored = (guint16)(v[V_RST] >> 24);
    out->reuse_of = v[V_REUSE_OF];
    out->reuse.outcome = (guint8)v[V_REUSE];
    out->reuse.holder = (gint8)(guint8)(v[V_REUSE] >> 8);
    out->reuse.holder_state = (guint8)(v[V_REUSE] >> 16);
    out->reuse.since_close =
        time_value(v[V_REUSE_SINCE_CLOSE], 0, unit, FALSE);
    out->illegal_flags = (guint32)v[V_ILLEGAL_FLAGS];
    out->old_duplicates = (guint32)v[V_OLD_DUPLICATES];
    out->capture_loss = (guint32)v[V_CAPTURE_LOSS];
    out->duplicate_frames = (guint32)v[V_DUPLICATE_FRAMES];
    out->old_dup.in_window = (guint32)v[V_OLD_DUP_IN_WINDOW];
    out->old_dup.paws_rejected = (guint32)v[V_OLD_DUP_PAWS];
    out->old_dup.during_time_wait = (guint32)v[V_OLD_DUP_DURING_TW];
    out->first_source = (guint16)v[V_SOURCES];
    out->last_source = (guint16)(v[V_SOURCES] >> 16);
}

/* A frozen record's encoding as read: what a thaw and a settle view
 * (fs_conn_frozen_settle_view()) both need. */
typedef struct {
    guint8 buf[ENCODED_MAX + TAIL_ZEROS]; /* the encoding, zeros after */
    const guint8 *p;        /* next to read */
    const guint8 *end;      /* the encoding's end in buf */
    FsTime t_last;
    gint64 unit;            /* of its times, ns */
    guint groups;           /* the groups that follow */
    guint32 w[N_WORDS];
    guint64 v[N_SLOTS];     /* by slot */
} Reader;

/* Reads frozen's lead, the groups' summary and (want_words) its words
 * into d, else only passes them, and settling's dense values; FALSE if
 * that much is damaged. */
static inline ALWAYS_INLINE gboolean
read_head(const FsConn *frozen, Reader *d, gboolean want_words,
          gboolean *bad)
{
    const guint8 *data = (const guint8 *)frozen + FS_CONN_LINKS_SIZE +
                         fs_conn_frozen_addrs_size(frozen);
    gsize len = frozen->frozen_len;
    const guint8 *p = d->buf;
    guint64 lead;
    guint m;

    if (len < 10 || len > ENCODED_MAX)
        return FALSE;
    memcpy(d->buf, data, len);
    memset(d->buf + len, 0, 64);
    memset(d->buf + len + 64, 0, TAIL_ZEROS - 64);
    d->end = d->buf + len;
    lead = load_le64(p);
    if (lead & 1) {
        d->unit = NS_PER_US;
        d->t_last =
            (FsTime)((lead & G_GUINT64_CONSTANT(0xffffffffffffff)) >> 1) *
            NS_PER_US;
        p += 7;
    } else {
        d->unit = 1;
        d->t_last = (FsTime)(lead >> 1);
        p += 8;
    }
    d->groups = *p++;
    m = d->groups & ALL_WORDS_BIT ? ALL_WORDS : *p++;
    d->groups &= ~ALL_WORDS_BIT;
    if (m >> N_WORDS != 0 || d->groups >> N_GROUPS != 0)
        return FALSE;
    if (!want_words) {
        /* 4 * popcount(m), the usual all words a constant (the reads
         * after at fixed offsets: __builtin_popcount() is a libgcc call
         * without -mpopcnt, +21 instructions a view on medium-b, a
         * table of counts +6) */
        if (m == ALL_WORDS)
            p += 4 * N_WORDS;
        else
            for (; m != 0; m &= m - 1)
                p += 4;
    } else if (m == ALL_WORDS) {
        /* most records: each word at its fixed place, no bit to find */
        UNROLLED
        for (guint i = 0; i < N_WORDS; i++)
            d->w[i] = load_le32(p + 4 * i);
        p += 4 * N_WORDS;
    } else {
        memset(d->w, 0, sizeof d->w);
        for (; m != 0; m &= m - 1) {
            d->w[lowest_bit(m)] = load_le32(p);
            p += 4;
        }
    }
    if (p > d->end)
        return FALSE;
    UNROLLED
    for (guint i = 0; i < N_DENSE_FIRST; i++)
        d->v[i] = get_varint(&p, bad);
    d->p = p;
    return p <= d->end;
}

/* Reads the groups of groups (a set of them, each as its bit in the
 * summary, all of them before the other dense values or all after:
 * their first slots 8 apart from base's, GROUP_AT(0) or
 * GROUP_AT(N_GROUPS_FIRST) - 8 * N_GROUPS_FIRST, a constant) at p into
 * v's slots, zero where its mask says so; returns the end, NULL if
 * damaged. */
static inline ALWAYS_INLINE const guint8 *
read_groups(const guint8 *p, const guint8 *end, guint groups, guint base,
            guint64 *v, gboolean *bad)
{
    for (; groups != 0; groups &= groups - 1) {
        guint64 *gv = v + base + 8 * lowest_bit(groups);

        if (p >= end)
            return NULL;
        for (guint m = *p++; m != 0; m &= m - 1)
            gv[lowest_bit(m)] = get_varint(&p, bad);
    }
    return p;
}

/* The groups read first: their bits in the summary. */
#define GROUPS_FIRST ((1u << N_GROUPS_FIRST) - 1)

/* Reads all of frozen's values into d; FALSE if it is damaged. */
static inline ALWAYS_INLINE gboolean
read_values(const FsConn *frozen, Reader *d)
{
    gboolean bad = FALSE;
    const guint8 *p;

    if (!read_head(frozen, d, TRUE, &bad))
        return FALSE;
    /* the groups' slots, 64 bytes at a time */
    UNROLLED
    for (guint g = 0; g < N_GROUPS; g++)
        memset(d->v + GROUP_AT(g), 0, 8 * sizeof *d->v);
    p = read_groups(d->p, d->end, d->groups & GROUPS_FIRST, GROUP_AT(0),
                    d->v, &bad);
    if (p == NULL)
        return FALSE;
    for (guint i = V_PACKETS; i < V_ACK_CARRIER_END_C; i += 8) {
        UNROLLED
        for (guint j = 0; j < 8; j++)
            d->v[i + j] = get_varint(&p, &bad);
        if (p > d->end)
            return FALSE;
    }
    p = read_groups(p, d->end, d->groups & ~GROUPS_FIRST,
                    GROUP_AT(N_GROUPS_FIRST) - 8 * N_GROUPS_FIRST, d->v,
                    &bad);
    return p != NULL && !bad && p == d->end;
}

gboolean
fs_conn_thaw_into(const FsConn *frozen, FsConn *out)
{
    Reader d;

    g_return_val_if_fail(fs_conn_is_frozen(frozen), FALSE);
    if (!read_values(frozen, &d)) {
        fs_conn_head_of(frozen, out);
        return FALSE;
    }
    /* the head as fs_conn_head_of() writes it, the padding zeroed and
     * every field stored: each byte written once (zeroing the record
     * first and then storing over it wrote each twice) */
    memcpy(out, frozen, FS_CONN_LINKS_SIZE);
    out->frozen_len = 0;
    fs_conn_addresses(frozen, out->addr);
    memset((guint8 *)out + REUSE_PAD_AT, 0, REUSE_PAD_SIZE);
    memset((guint8 *)out + FLAGS_PAD_AT, 0, FLAGS_PAD_SIZE);
    memset((guint8 *)out + TAIL_PAD_AT, 0, TAIL_PAD_SIZE);
    out->t_last = d.t_last;
    store(out, d.v, d.w, d.unit);
    return TRUE;
}

/* What settling reads comes first (see the slots): its dense values,
 * then its four in group 0 and its two in group 1, each first in its
 * group, and V_RST first in the tail's first group. */
G_STATIC_ASSERT(V_SHAPE_C < N_DENSE_FIRST && V_SHAPE_S < N_DENSE_FIRST &&
                V_FLAGS_C < N_DENSE_FIRST && V_FLAGS_S < N_DENSE_FIRST &&
                V_FIN_TIME_C < N_DENSE_FIRST &&
                V_FIN_TIME_S < N_DENSE_FIRST &&
                V_TW_SINCE_C < N_DENSE_FIRST &&
                V_TW_SINCE_S < N_DENSE_FIRST);
G_STATIC_ASSERT(V_FIN_ACKED_TIME_C == GROUP_AT(0) &&
                V_FIN_ACKED_TIME_S == GROUP_AT(0) + 1 &&
                V_STATE_SINCE_C == GROUP_AT(0) + 2 &&
                V_STATE_SINCE_S == GROUP_AT(0) + 3);
#define SETTLE_IN_GROUP_0 0x0fu
G_STATIC_ASSERT(V_LAST_FIN_TIME_C == GROUP_AT(1) &&
                V_LAST_FIN_TIME_S == GROUP_AT(1) + 1);
#define SETTLE_IN_GROUP_1 0x03u
/* whether close_done_time is set: V_CLOSE_DONE_TIME, mostly unset, is
 * 0 (not written) when it is not */
G_STATIC_ASSERT(V_CLOSE_DONE_TIME == GROUP_AT(1) + 7);
#define CLOSE_DONE_IN_GROUP_1 0x80u
/* An FsSettleEnd's flags, FsEndpoint's bit fields declared alike
 * (FS_ENDPOINT_FLAGS, the same two bytes), after its fin_acked_time. */
#define SETTLE_FLAGS_AT (offsetof(FsSettleEnd, fin_acked_time) + sizeof(FsTime))
G_STATIC_ASSERT(SETTLE_FLAGS_AT + EP_FLAGS_SIZE <= sizeof(FsSettleEnd));
#define TAIL_GROUP (N_GROUPS - 3)
#define TAIL_GROUPS (7u << TAIL_GROUP)
G_STATIC_ASSERT(V_RST == GROUP_AT(TAIL_GROUP));
G_STATIC_ASSERT(V_TW_RESTART_C == GROUP_AT(TAIL_GROUP + 1) + 7 &&
                V_TW_RESTART_S == GROUP_AT(TAIL_GROUP + 2));

/* Past the varint at p, not decoded (zeros follow the encoding). */
static inline const guint8 *
skip_varint(const guint8 *p)
{
    while (*p++ >= 0x80)
        ;
    return p;
}

/* Past as many varints at p as m has bits set. */
static inline const guint8 *
skip_varints(const guint8 *p, guint m)
{
    for (; m != 0; m &= m - 1)
        p = skip_varint(p);
    return p;
}

/* What settling a frozen record reads before it acts (FsSettleView),
 * decoded as store() and store_endpoint() decode the same slots, and
 * nothing else: state (V_SHAPE), the flags (V_FLAGS, against the
 * state's typical ones), time_wait_since (V_TW_SINCE, from t_last),
 * state_since (V_STATE_SINCE), last_fin_time (V_LAST_FIN_TIME, from
 * fin_time, V_FIN_TIME), fin_acked_time (V_FIN_ACKED_TIME), rst_from
 * (V_RST), time_wait_restart_us (V_TW_RESTART, in the tail too, us after
 * time_wait_since), t_last (the lead) and whether close_done_time is set
 * (V_CLOSE_DONE_TIME's bit in group 1's mask, not its value). They come
 * first in the encoding: the view reads the lead, 8 dense values and a
 * group or two, and stops
 * (the rest of a damaged encoding is found when it is thawed); only a
 * record whose rare tail is written (an RST, reuse, anomalies) is read
 * on to it, the values between skipped, not decoded. */
gboolean
fs_conn_frozen_settle_view(const FsConn *frozen, FsSettleView *view)
{
    Reader d;
    guint64 *v = d.v;
    gboolean bad = FALSE;
    gboolean close_done = FALSE;
    const guint8 *p;
    FsTime t_last;
    gint64 unit;
    guint rest;
    guint m;

    g_return_val_if_fail(fs_conn_is_frozen(frozen), FALSE);
    if (!read_head(frozen, &d, FALSE, &bad))
        return FALSE;
    p = d.p;
    /* the masked values wanted: 0 unless their group says otherwise */
    v[V_FIN_ACKED_TIME_C] = v[V_FIN_ACKED_TIME_S] = 0;
    v[V_STATE_SINCE_C] = v[V_STATE_SINCE_S] = 0;
    v[V_LAST_FIN_TIME_C] = v[V_LAST_FIN_TIME_S] = v[V_RST] = 0;
    v[V_TW_RESTART_C] = v[V_TW_RESTART_S] = 0;
    /* the groups after each: read on past it only if there are some */
    rest = d.groups & (TAIL_GROUPS | 1u << 1);
    if (d.groups & 1u) {
        m = *p++;
        for (guint k = m & SETTLE_IN_GROUP_0; k != 0; k &= k - 1)
            v[GROUP_AT(0) + lowest_bit(k)] = get_varint(&p, &bad);
        if (rest != 0)
            p = skip_varints(p, m & ~SETTLE_IN_GROUP_0);
    }
    rest &= TAIL_GROUPS;
    if (d.groups & 1u << 1) {
        m = *p++;
        close_done = (m & CLOSE_DONE_IN_GROUP_1) != 0;
        for (guint k = m & SETTLE_IN_GROUP_1; k != 0; k &= k - 1)
            v[GROUP_AT(1) + lowest_bit(k)] = get_varint(&p, &bad);
        if (rest != 0)
            p = skip_varints(p, m & ~SETTLE_IN_GROUP_1);
    }
    if (rest != 0) {
        /* the other dense values and the groups before the tail's */
        for (guint i = V_PACKETS; i < V_ACK_CARRIER_END_C; i++)
            p = skip_varint(p);
        for (guint g = N_GROUPS_FIRST; g < TAIL_GROUP; g++) {
            if (!(d.groups >> g & 1))
                continue;
            if (p >= d.end)
                return FALSE;
            m = *p++;
            p = skip_varints(p, m);
        }
        /* the tail's groups: V_RST and V_TW_RESTART read, the rest
         * skipped */
        for (guint g = TAIL_GROUP; g < N_GROUPS; g++) {
            if (!(d.groups >> g & 1))
                continue;
            if (p >= d.end)
                return FALSE;
            m = *p++;
            for (guint k = m; k != 0; k &= k - 1) {
                guint slot = GROUP_AT(g) + lowest_bit(k);

                if (slot == V_RST || slot == V_TW_RESTART_C ||
                    slot == V_TW_RESTART_S)
                    v[slot] = get_varint(&p, &bad);
                else
                    p = skip_varint(p);
            }
        }
    }
    if (p > d.end || bad)
        return FALSE;
    t_last = d.t_last;
    unit = d.unit;
    view->t_last = t_last;
    view->rst_from = (gint8)((gint)(guint8)v[V_RST] - 1);
    view->close_done = (guint8)close_done;
    for (int r = C; r <= S; r++) {
        FsSettleEnd *ep_view = &view->ep[r];
        guint state = state_of_shape(v[V_SHAPE_C + r]);
        guint16 flags = flags_of(v[V_FLAGS_C + r], state);
        FsTime fin_time = time_value(v[V_FIN_TIME_C + r], t_last, unit, FALSE);

        ep_view->state = (FsTcpState)(guint8)state;
        SETTLE_TIMES_INTO(ep_view, fin_time, v, r, t_last, unit);
        /* the flags' two bytes as they are (FS_ENDPOINT_FLAGS): each of
         * the 7 read copied bit by bit cost 59 instructions a view
         * (callgrind, medium: 56.54M -> 50.05M for 110,025 views) */
        memcpy((guint8 *)ep_view + SETTLE_FLAGS_AT, &flags, sizeof flags);
    }
    return TRUE;
}

gboolean
fs_conn_thaw_settled(const FsConn *frozen, FsConn *out,
                     const FsSettleHow *how)
{
    FsTcpOutcome o;
    gboolean quiet;

    if (!fs_conn_thaw_into(frozen, out))
        return FALSE;
    fs_tcp_outcome_init(&o);
    if (how->expire_first) {
        /* the store passed on what this emits (fs_tcpstate_expire_view()) */
        fs_tcpstate_expire(out, how->settle_at, how->two_msl, &o);
        fs_tcp_outcome_clear(&o);
    }
    fs_tcpstate_settle_handed_over(out, how->settle_at, how->two_msl, &o);
    quiet = fs_tcpstate_outcome_quiet(&o, how->state_events_dropped);
    fs_tcp_outcome_clear(&o);
    return quiet;
}
