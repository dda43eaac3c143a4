/* finscope bench: writes a large synthetic capture of many interleaved TCP
 * connections with a realistic mix of closes.
 *
 * Usage: gentrace [--seed N] [--connections N] [--concurrency K]
 *                 [--rate CONN_PER_S] [--avg-size BYTES] [--clients N]
 *                 [--servers N] [--anomalies F] --out FILE
 *        gentrace --print-sizes
 *
 * Connections start at a constant rate (--rate, with jitter), so the
 * capture spans connections/rate seconds; each lasts concurrency/rate
 * seconds on average (exponentially distributed), so about K are open at
 * once (Little's law). Clients 10.1.x.y (--clients hosts, default 4093)
 * take turns and each uses its ephemeral ports 32768-60999 in order;
 * servers are 10.2.0.1 and on (--servers, default 50), on ports 443 (3 in
 * 4) and 80. Each connection is an Ethernet/IPv4 conversation with
 * Linux-like options (MSS, SACK-permitted, timestamps, window scale on the
 * SYNs, timestamps after): handshake, a request, a response of full-sized
 * segments acknowledged every second segment, then one of these ends:
 *
 *   32% client closes first (FIN, ACK, FIN, ACK)
 *   25% server closes first
 *   15% three-way close (FIN, FIN-ACK, ACK), either side first
 *    5% half-close: the client's FIN right after its request, the
 *       server's response after it
 *    8% RST abort by either side in the middle of the response
 *    3% simultaneous close (both FINs cross)
 *    4% FIN retransmitted (the first copy lost beyond the capture point)
 *    3% final ACK lost (the passive closer re-sends its FIN)
 *    5% left open: the connection goes quiet and never closes
 *
 * --anomalies F (0..3.57, default 1) multiplies the shares of the closes
 * that are not clean (half-close, RST, simultaneous, FIN retransmitted,
 * final ACK lost, left open: 28% in all) by F, and scales the three clean
 * ones to the rest: F 2 gives 56% of them, 0 none. F 1 is the mix above
 * and gives the same bytes as without the option.
 *
 * The mean response size is chosen so that frames average --avg-size
 * bytes (default 560; 100..900). Output is a pcap (microsecond
 * timestamps) written with libpcap's dead-handle dumper; the same seed
 * and options give the same bytes. --print-sizes prints the sizes of
 * finscope's per-connection structs. A summary goes to stderr. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <pcap/pcap.h>

#include "finscope/conn.h"
#include "finscope/decode.h"

#define GT_MSS 1448            /* payload of a full segment with timestamps */
#define GT_FRAME_MAX 1514      /* Ethernet + IPv4 + TCP + GT_MSS */
#define GT_ETH_LEN 14
#define GT_IP_LEN 20
#define GT_T0_SEC 1700000000   /* capture start, seconds since the epoch */
#define GT_NS G_GINT64_CONSTANT(1000000000)
#define GT_RTO_NS (200 * G_GINT64_CONSTANT(1000000)) /* Linux minimum RTO */
#define GT_CLIENT 0
#define GT_SERVER 1

typedef enum {
    CLOSE_CLIENT_FIRST,
    CLOSE_SERVER_FIRST,
    CLOSE_THREE_WAY,
    CLOSE_HALF,
    CLOSE_RST,
    CLOSE_SIMULTANEOUS,
    CLOSE_FIN_RETRANSMIT,
    CLOSE_FINAL_ACK_LOST,
    CLOSE_NONE,
    N_CLOSE
} CloseKind;

/* Percent of connections of each kind, in CloseKind order (sums to 100),
 * at --anomalies 1. */
static const guint close_mix[N_CLOSE] = { 32, 25, 15, 5, 8, 3, 4, 3, 5 };

/* The clean closes, whose shares make up what --anomalies leaves. */
#define CLEAN_KINDS 3 /* CLOSE_CLIENT_FIRST .. CLOSE_THREE_WAY */
#define CLEAN_PCT 72u /* their share in close_mix */
#define ANOMALIES_MAX (100.0 / (100.0 - CLEAN_PCT))

typedef struct {
    guint64 seed;       /* --seed */
    guint64 n_conns;    /* --connections */
    guint concurrency;  /* --concurrency: connections open at once (mean) */
    double rate;        /* --rate: connections started per second */
    guint avg_size;     /* --avg-size: target mean frame size, bytes */
    guint clients;      /* --clients: client hosts */
    guint servers;      /* --servers: server hosts */
    double anomalies;   /* --anomalies: factor on the non-clean shares */
    double close_upto[N_CLOSE]; /* the mix: percent of connections of
                                   kinds up to each (cumulative) */
    const char *out;    /* --out */
} GtOptions;

/* One packet of a connection's script. */
typedef struct {
    gint64 t_ns;        /* offset from the connection's first packet */
    guint32 seq;        /* sequence number */
    guint32 ack;        /* acknowledgment number (0 without ACK) */
    guint16 len;        /* payload bytes */
    guint8 flags;       /* FS_TH_* */
    guint8 side;        /* sender: GT_CLIENT or GT_SERVER */
} GtPkt;

/* A connection in flight: its script and where the writer is in it. */
typedef struct {
    gint64 t0_ns;       /* absolute time of its first packet */
    guint32 addr[2];    /* client, server IPv4 addresses, host order */
    guint16 port[2];    /* client, server ports */
    guint32 ts_base[2]; /* TSval at t0, per side */
    guint16 ip_id[2];   /* next IPv4 id, per side */
    GArray *pkts;       /* GtPkt, in time order */
    guint next;         /* index of the next packet to write */
} GtConn;

/* Builds one connection's script: the per-side next sequence numbers and
 * the current time offset. */
typedef struct {
    GtConn *conn;       /* connection being scripted */
    guint32 nxt[2];     /* next sequence number per side */
    gint64 t;           /* current offset, ns */
    gint64 rtt;         /* round-trip time, ns */
    guint64 rng;        /* the connection's own random state */
} GtScript;

typedef struct {
    guint64 packets;    /* frames written */
    guint64 bytes;      /* frame bytes written */
    guint64 by_close[N_CLOSE]; /* connections of each kind */
    guint peak_open;    /* most connections in flight at once */
    gint64 t_last_ns;   /* last packet's time */
} GtStats;

/* ---- random numbers: splitmix64, one stream per connection ---- */

static guint64
rng_next(guint64 *state)
{
    guint64 z = (*state += G_GUINT64_CONSTANT(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double
rng_unit(guint64 *state)
{
    return (double)(rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

static guint32
rng_range(guint64 *state, guint32 lo, guint32 hi)
{
    return lo + (guint32)(rng_unit(state) * (double)(hi - lo + 1));
}

/* ---- scripting ---- */

static void
put_pkt(GtScript *s, int side, guint8 flags, guint32 seq, guint32 ack,
        guint16 len)
{
    GtPkt p = { s->t, seq, (flags & FS_TH_ACK) ? ack : 0, len, flags,
                (guint8)side };

    g_array_append_val(s->conn->pkts, p);
}

/* Sends the side's next segment: SYN and FIN take one sequence number. */
static void
send_seg(GtScript *s, int side, guint8 flags, guint16 len)
{
    put_pkt(s, side, flags, s->nxt[side], s->nxt[!side], len);
    s->nxt[side] += len + ((flags & (FS_TH_SYN | FS_TH_FIN)) ? 1u : 0u);
}

static void
wait_ns(GtScript *s, gint64 dt)
{
    s->t += MAX(dt, 1000);
}

/* Up to half an RTT, for the other side's turn. */
static void
wait_turn(GtScript *s)
{
    wait_ns(s, (gint64)((0.3 + 0.2 * rng_unit(&s->rng)) * (double)s->rtt));
}

static void
handshake(GtScript *s)
{
    send_seg(s, GT_CLIENT, FS_TH_SYN, 0);
    wait_turn(s);
    send_seg(s, GT_SERVER, FS_TH_SYN | FS_TH_ACK, 0);
    wait_turn(s);
    send_seg(s, GT_CLIENT, FS_TH_ACK, 0);
    wait_ns(s, 20000);
    send_seg(s, GT_CLIENT, FS_TH_PSH | FS_TH_ACK,
             (guint16)rng_range(&s->rng, 80, 600));
    wait_turn(s);
    send_seg(s, GT_SERVER, FS_TH_ACK, 0);
}

/* The server's response: n_segs segments over span_ns, the client
 * acknowledging every second one. stop_after, if not 0, cuts it short. */
static void
response(GtScript *s, guint n_segs, gint64 span_ns, guint stop_after)
{
    gint64 gap = span_ns / (n_segs + 1);

    for (guint i = 1; i <= n_segs; i++) {
        gboolean last = i == n_segs;
        guint16 len = last ? (guint16)rng_range(&s->rng, 1, GT_MSS) : GT_MSS;

        if (stop_after != 0 && i > stop_after)
            return;
        wait_ns(s, (gint64)((0.5 + rng_unit(&s->rng)) * (double)gap));
        send_seg(s, GT_SERVER, FS_TH_ACK | (last ? FS_TH_PSH : 0), len);
        if (i % 2 == 0 || last) {
            wait_ns(s, 30000);
            send_seg(s, GT_CLIENT, FS_TH_ACK, 0);
        }
    }
    wait_ns(s, (gint64)(2.0 * rng_unit(&s->rng) * (double)gap));
}

/* FIN from a, ACK and (after the application's delay) FIN from p, then
 * a's final ACK: RFC 9293 §3.6 case 1. */
static void
four_way(GtScript *s, int a)
{
    send_seg(s, a, FS_TH_FIN | FS_TH_ACK, 0);
    wait_turn(s);
    send_seg(s, !a, FS_TH_ACK, 0);
    wait_ns(s, (gint64)rng_range(&s->rng, 10000, 2000000));
    send_seg(s, !a, FS_TH_FIN | FS_TH_ACK, 0);
    wait_turn(s);
    send_seg(s, a, FS_TH_ACK, 0);
}

static void
three_way(GtScript *s, int a)
{
    send_seg(s, a, FS_TH_FIN | FS_TH_ACK, 0);
    wait_turn(s);
    send_seg(s, !a, FS_TH_FIN | FS_TH_ACK, 0);
    wait_turn(s);
    send_seg(s, a, FS_TH_ACK, 0);
}

/* Both FINs sent before either arrives (RFC 9293 §3.6 case 2). */
static void
simultaneous(GtScript *s)
{
    guint32 c_nxt = s->nxt[GT_CLIENT];

    send_seg(s, GT_CLIENT, FS_TH_FIN | FS_TH_ACK, 0);
    wait_ns(s, s->rtt / 10);
    put_pkt(s, GT_SERVER, FS_TH_FIN | FS_TH_ACK, s->nxt[GT_SERVER], c_nxt, 0);
    s->nxt[GT_SERVER]++;
    wait_turn(s);
    send_seg(s, GT_CLIENT, FS_TH_ACK, 0);
    wait_ns(s, s->rtt / 10);
    send_seg(s, GT_SERVER, FS_TH_ACK, 0);
}

/* a's FIN is captured, lost after the capture point, and re-sent after
 * the retransmission timeout. */
static void
fin_retransmit(GtScript *s, int a)
{
    guint32 fin_seq = s->nxt[a];

    send_seg(s, a, FS_TH_FIN | FS_TH_ACK, 0);
    wait_ns(s, GT_RTO_NS + s->rtt);
    put_pkt(s, a, FS_TH_FIN | FS_TH_ACK, fin_seq, s->nxt[!a], 0);
    wait_turn(s);
    send_seg(s, !a, FS_TH_ACK, 0);
    wait_ns(s, 50000);
    send_seg(s, !a, FS_TH_FIN | FS_TH_ACK, 0);
    wait_turn(s);
    send_seg(s, a, FS_TH_ACK, 0);
}

/* a's final ACK is lost beyond the capture point: the passive closer
 * re-sends its FIN, and a (in TIME_WAIT) acknowledges it again. */
static void
final_ack_lost(GtScript *s, int a)
{
    guint32 fin_seq;

    four_way(s, a);
    fin_seq = s->nxt[!a] - 1;
    wait_ns(s, GT_RTO_NS + s->rtt);
    put_pkt(s, !a, FS_TH_FIN | FS_TH_ACK, fin_seq, s->nxt[a], 0);
    wait_turn(s);
    send_seg(s, a, FS_TH_ACK, 0);
}

/* The client's FIN came before the response: the server ends it. */
static void
half_close_end(GtScript *s)
{
    send_seg(s, GT_SERVER, FS_TH_FIN | FS_TH_ACK, 0);
    wait_turn(s);
    send_seg(s, GT_CLIENT, FS_TH_ACK, 0);
}

/* The cumulative mix with the non-clean shares times o->anomalies and
 * the clean ones scaled to the rest. At 1 every bound is the integer sum
 * of close_mix, exactly. */
static void
set_close_mix(GtOptions *o)
{
    double clean = 100.0 - (100.0 - CLEAN_PCT) * o->anomalies;
    double upto = 0.0;

    for (int k = 0; k < N_CLOSE; k++) {
        upto += k < CLEAN_KINDS ? close_mix[k] * clean / CLEAN_PCT
                                : close_mix[k] * o->anomalies;
        o->close_upto[k] = upto;
    }
    o->close_upto[N_CLOSE - 1] = 100.0;
}

/* One draw, as rng_range(rng, 0, 99) was before the mix could be scaled:
 * floor(x) >= b and x >= b agree for an integer bound b. */
static CloseKind
pick_close(const GtOptions *o, guint64 *rng)
{
    double x = rng_unit(rng) * (double)100;
    guint k = 0;

    while (k + 1 < N_CLOSE && x >= o->close_upto[k])
        k++;
    return (CloseKind)k;
}

/* Mean number of response segments that makes frames average avg_size
 * bytes. Per connection: about 8.5 small frames (~68 bytes: handshake,
 * ACKs, close) and a ~400-byte request; S response segments, all full but
 * the last (half full on average), and S/2 + 0.5 ACKs of them:
 *   avg = (259 + 1547 S) / (8.5 + 1.5 S),
 * and 4% more because RST aborts cut half of their response short. */
static double
mean_segments(guint avg_size)
{
    double a = avg_size;
    double n = (8.5 * a - 259.0) / (1547.0 - 1.5 * a);

    return MAX(n, 0.0) * 1.04;
}

static void
script_close(GtScript *s, CloseKind kind, guint n_segs, gint64 span)
{
    int a = rng_range(&s->rng, 0, 1) ? GT_CLIENT : GT_SERVER;

    if (kind == CLOSE_HALF) {
        wait_ns(s, 20000);
        send_seg(s, GT_CLIENT, FS_TH_FIN | FS_TH_ACK, 0);
    }
    response(s, n_segs, span,
             kind == CLOSE_RST ? rng_range(&s->rng, 1, n_segs + 1) : 0);
    switch (kind) {
    case CLOSE_CLIENT_FIRST: four_way(s, GT_CLIENT); break;
    case CLOSE_SERVER_FIRST: four_way(s, GT_SERVER); break;
    case CLOSE_THREE_WAY: three_way(s, a); break;
    case CLOSE_HALF: half_close_end(s); break;
    case CLOSE_RST:
        send_seg(s, a, FS_TH_RST | FS_TH_ACK, 0);
        break;
    case CLOSE_SIMULTANEOUS: simultaneous(s); break;
    case CLOSE_FIN_RETRANSMIT: fin_retransmit(s, a); break;
    case CLOSE_FINAL_ACK_LOST: final_ack_lost(s, a); break;
    case CLOSE_NONE: break;
    case N_CLOSE: g_assert_not_reached();
    }
}

/* ---- connections ---- */

/* Connection i: unique 4-tuple, start time, script. */
static GtConn *
conn_new(const GtOptions *o, guint64 i, GtStats *stats)
{
    GtConn *c = g_new0(GtConn, 1);
    GtScript s = { c, { 0, 0 }, 0, 0, o->seed ^ (i * 0x2545f4914f6cdd1dULL) };
    double mean_dur = (double)o->concurrency / o->rate;
    double dur = -log(1.0 - rng_unit(&s.rng)) * mean_dur;
    double segs = mean_segments(o->avg_size);
    guint n_segs = (guint)(2.0 * segs * rng_unit(&s.rng) + 0.5);
    CloseKind kind = pick_close(o, &s.rng);

    c->t0_ns = (gint64)(((double)i + rng_unit(&s.rng)) / o->rate *
                        (double)GT_NS);
    /* Clients take turns, each using its ephemeral ports in order: a
     * 4-tuple comes back only after clients * 28232 connections. */
    c->addr[GT_CLIENT] = 0x0a010001u + (guint32)(i % o->clients);
    c->addr[GT_SERVER] = 0x0a020001u + rng_range(&s.rng, 0, o->servers - 1);
    c->port[GT_CLIENT] = (guint16)(32768u + i / o->clients % 28232u);
    c->port[GT_SERVER] = (guint16)(rng_range(&s.rng, 0, 3) ? 443 : 80);
    for (int side = 0; side < 2; side++) {
        s.nxt[side] = (guint32)rng_next(&s.rng);
        c->ts_base[side] = (guint32)rng_next(&s.rng);
        c->ip_id[side] = (guint16)rng_next(&s.rng);
    }
    s.rtt = (gint64)(100000.0 * pow(200.0, rng_unit(&s.rng))); /* 0.1-20ms */
    c->pkts = g_array_sized_new(FALSE, FALSE, sizeof(GtPkt), 24);
    handshake(&s);
    script_close(&s, kind, n_segs, (gint64)(dur * (double)GT_NS));
    stats->by_close[kind]++;
    return c;
}

static void
conn_free(GtConn *c)
{
    g_array_unref(c->pkts);
    g_free(c);
}

static gint64
conn_next_time(const GtConn *c)
{
    return c->t0_ns + g_array_index(c->pkts, GtPkt, c->next).t_ns;
}

/* ---- a binary min-heap of connections by next packet time ---- */

typedef struct {
    GtConn **v;         /* heap array */
    guint n;            /* entries */
    guint alloc;        /* capacity */
} GtHeap;

static gboolean
heap_less(GtConn *a, GtConn *b)
{
    return conn_next_time(a) < conn_next_time(b);
}

static void
heap_push(GtHeap *h, GtConn *c)
{
    guint i = h->n++;

    if (h->n > h->alloc) {
        h->alloc = MAX(64u, h->alloc * 2);
        h->v = g_renew(GtConn *, h->v, h->alloc);
    }
    while (i > 0 && heap_less(c, h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = c;
}

/* Restores the heap after h->v[0] was replaced or its time changed. */
static void
heap_sift_down(GtHeap *h)
{
    GtConn *c = h->v[0];
    guint i = 0;

    for (;;) {
        guint l = 2 * i + 1;
        guint m = l;

        if (l >= h->n)
            break;
        if (l + 1 < h->n && heap_less(h->v[l + 1], h->v[l]))
            m = l + 1;
        if (!heap_less(h->v[m], c))
            break;
        h->v[i] = h->v[m];
        i = m;
    }
    h->v[i] = c;
}

static void
heap_pop(GtHeap *h)
{
    h->v[0] = h->v[--h->n];
    if (h->n > 0)
        heap_sift_down(h);
}

/* ---- frames ---- */

static void
be16(guint8 *p, guint16 v)
{
    p[0] = (guint8)(v >> 8);
    p[1] = (guint8)v;
}

static void
be32(guint8 *p, guint32 v)
{
    be16(p, (guint16)(v >> 16));
    be16(p + 2, (guint16)v);
}

/* RFC 1071 sum of 16-bit words; n is even here. */
static guint32
csum_add(guint32 sum, const guint8 *p, gsize n)
{
    for (gsize i = 0; i + 1 < n; i += 2)
        sum += (guint32)((p[i] << 8) | p[i + 1]);
    return sum;
}

static guint16
csum_fold(guint32 sum)
{
    while (sum >> 16 != 0)
        sum = (sum & 0xffff) + (sum >> 16);
    return (guint16)~sum;
}

/* TCP options as Linux sends them; returns their length. */
static guint
put_options(guint8 *p, const GtConn *c, const GtPkt *pkt)
{
    guint32 ms = (guint32)(pkt->t_ns / 1000000);
    guint32 tsval = c->ts_base[pkt->side] + ms;
    guint32 tsecr = (pkt->flags & FS_TH_ACK) ? c->ts_base[!pkt->side] + ms
                                             : 0;

    if (pkt->flags & FS_TH_RST)
        return 0;
    if (pkt->flags & FS_TH_SYN) {
        be32(p, 0x020405b4u);       /* MSS 1460 */
        be16(p + 4, 0x0402);        /* SACK permitted */
        be16(p + 6, 0x080a);        /* timestamps */
        be32(p + 8, tsval);
        be32(p + 12, tsecr);
        be32(p + 16, 0x01030307u);  /* NOP, window scale 7 */
        return 20;
    }
    be16(p, 0x0101);                /* NOP NOP timestamps */
    be16(p + 2, 0x080a);
    be32(p + 4, tsval);
    be32(p + 8, tsecr);
    return 12;
}

static guint
put_tcp(guint8 *p, const GtConn *c, const GtPkt *pkt)
{
    int side = pkt->side;
    guint opt = put_options(p + 20, c, pkt);
    guint hlen = 20 + opt;
    guint8 pseudo[12];
    guint32 sum;

    be16(p, c->port[side]);
    be16(p + 2, c->port[!side]);
    be32(p + 4, pkt->seq);
    be32(p + 8, pkt->ack);
    be16(p + 12, (guint16)((hlen / 4) << 12 | pkt->flags));
    be16(p + 14, (pkt->flags & FS_TH_SYN) ? 64240 : 502);
    be16(p + 16, 0);
    be16(p + 18, 0);
    memset(p + hlen, 0, pkt->len);  /* payload: zeros, no checksum effect */
    be32(pseudo, c->addr[side]);
    be32(pseudo + 4, c->addr[!side]);
    be16(pseudo + 8, 6);
    be16(pseudo + 10, (guint16)(hlen + pkt->len));
    sum = csum_add(csum_add(0, pseudo, 12), p, hlen);
    be16(p + 16, csum_fold(sum));
    return hlen + pkt->len;
}

static guint
build_frame(guint8 *f, GtConn *c, const GtPkt *pkt)
{
    int side = pkt->side;
    guint8 *ip = f + GT_ETH_LEN;
    guint tcp_len = put_tcp(ip + GT_IP_LEN, c, pkt);

    be16(f, 0x0200);                /* locally administered MACs */
    be32(f + 2, c->addr[!side]);
    be16(f + 6, 0x0200);
    be32(f + 8, c->addr[side]);
    be16(f + 12, 0x0800);
    ip[0] = 0x45;
    ip[1] = 0;
    be16(ip + 2, (guint16)(GT_IP_LEN + tcp_len));
    be16(ip + 4, c->ip_id[side]++);
    be16(ip + 6, 0x4000);           /* DF */
    ip[8] = 64;
    ip[9] = 6;
    be16(ip + 10, 0);
    be32(ip + 12, c->addr[side]);
    be32(ip + 16, c->addr[!side]);
    be16(ip + 10, csum_fold(csum_add(0, ip, GT_IP_LEN)));
    return GT_ETH_LEN + GT_IP_LEN + tcp_len;
}

static void
write_next(pcap_dumper_t *d, GtConn *c, GtStats *stats)
{
    static guint8 frame[GT_FRAME_MAX + 64];
    const GtPkt *pkt = &g_array_index(c->pkts, GtPkt, c->next);
    gint64 t = (gint64)GT_T0_SEC * GT_NS + c->t0_ns + pkt->t_ns;
    struct pcap_pkthdr hdr;

    memset(&hdr, 0, sizeof hdr);
    hdr.caplen = build_frame(frame, c, pkt);
    hdr.len = hdr.caplen;
    hdr.ts.tv_sec = (time_t)(t / GT_NS);
    hdr.ts.tv_usec = (suseconds_t)(t % GT_NS / 1000);
    pcap_dump((u_char *)d, &hdr, frame);
    stats->packets++;
    stats->bytes += hdr.caplen;
    stats->t_last_ns = c->t0_ns + pkt->t_ns;
    c->next++;
}

/* Starts connections in order of start time and writes every packet in
 * time order, keeping only the connections in flight. */
static void
generate(const GtOptions *o, pcap_dumper_t *d, GtStats *stats)
{
    GtHeap heap = { NULL, 0, 0 };
    guint64 i = 0;
    GtConn *pending = o->n_conns > 0 ? conn_new(o, 0, stats) : NULL;

    while (pending != NULL || heap.n > 0) {
        if (pending != NULL && (heap.n == 0 || pending->t0_ns <=
                                conn_next_time(heap.v[0]))) {
            heap_push(&heap, pending);
            stats->peak_open = MAX(stats->peak_open, heap.n);
            i++;
            pending = i < o->n_conns ? conn_new(o, i, stats) : NULL;
            continue;
        }
        write_next(d, heap.v[0], stats);
        if (heap.v[0]->next < heap.v[0]->pkts->len) {
            heap_sift_down(&heap);
        } else {
            conn_free(heap.v[0]);
            heap_pop(&heap);
        }
    }
    g_free(heap.v);
}

/* ---- command line ---- */

static void
print_sizes(void)
{
    printf("sizeof(FsConn) %zu\n", sizeof(FsConn));
    printf("sizeof(FsEndpoint) %zu\n", sizeof(FsEndpoint));
    printf("sizeof(FsSegment) %zu\n", sizeof(FsSegment));
}

static gboolean
parse_args(int *argc, char ***argv, GtOptions *o, gboolean *sizes,
           GError **error)
{
    gint64 seed = 1;
    gint64 conns = 10000;
    gint concurrency = 2000;
    double rate = 1000.0;
    gint avg = 560;
    gint clients = 4093;
    gint servers = 50;
    double anomalies = 1.0;
    GOptionEntry entries[] = {
        { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "random seed (1)", "N" },
        { "connections", 0, 0, G_OPTION_ARG_INT64, &conns,
          "connections to write (10000)", "N" },
        { "concurrency", 0, 0, G_OPTION_ARG_INT, &concurrency,
          "connections open at once, on average (2000)", "K" },
        { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate,
          "connections started per second of capture time (1000)", "R" },
        { "avg-size", 0, 0, G_OPTION_ARG_INT, &avg,
          "mean frame size, 100..900 bytes (560)", "BYTES" },
        { "clients", 0, 0, G_OPTION_ARG_INT, &clients,
          "client hosts, 1..65000 (4093)", "N" },
        { "servers", 0, 0, G_OPTION_ARG_INT, &servers,
          "server hosts, 1..65000 (50)", "N" },
        { "anomalies", 0, 0, G_OPTION_ARG_DOUBLE, &anomalies,
          "factor on the share of closes that are not clean (28%), "
          "0..3.57 (1)", "F" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &o->out,
          "the pcap to write (- for stdout)", "FILE" },
        { "print-sizes", 0, 0, G_OPTION_ARG_NONE, sizes,
          "print sizeof(FsConn) and friends, and exit", NULL },
        { NULL, 0, 0, G_OPTION_ARG_NONE, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(ctx, "Writes a synthetic pcap of many "
                                      "interleaved TCP connections.");
    if (!g_option_context_parse(ctx, argc, argv, error))
        return FALSE;
    if (*sizes)
        return TRUE;
    if (o->out == NULL || conns < 0 || concurrency < 1 || !(rate > 0) ||
        avg < 100 || avg > 900 || clients < 1 || clients > 65000 ||
        servers < 1 || servers > 65000 || !(anomalies >= 0) ||
        anomalies > ANOMALIES_MAX || *argc != 1) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "want --out FILE, --connections >= 0, --concurrency "
                    ">= 1, --rate > 0, --avg-size 100..900, --clients and "
                    "--servers 1..65000, --anomalies 0..%.2f (see --help)",
                    ANOMALIES_MAX);
        return FALSE;
    }
    o->seed = (guint64)seed;
    o->n_conns = (guint64)conns;
    o->concurrency = (guint)concurrency;
    o->rate = rate;
    o->avg_size = (guint)avg;
    o->clients = (guint)clients;
    o->servers = (guint)servers;
    o->anomalies = anomalies;
    set_close_mix(o);
    return TRUE;
}

static void
print_summary(const GtOptions *o, const GtStats *st)
{
    static const char *const names[N_CLOSE] = {
        "client_first", "server_first", "three_way", "half_close", "rst",
        "simultaneous", "fin_retransmit", "final_ack_lost", "open",
    };

    fprintf(stderr, "gentrace: %s: %" G_GUINT64_FORMAT " connections, %"
            G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT " bytes "
            "(%.0f per frame), %.1f s of capture, %u open at most\n",
            o->out, o->n_conns, st->packets, st->bytes,
            st->packets ? (double)st->bytes / (double)st->packets : 0.0,
            (double)st->t_last_ns / (double)GT_NS, st->peak_open);
    fprintf(stderr, "gentrace: closes:");
    for (int k = 0; k < N_CLOSE; k++)
        fprintf(stderr, " %s %" G_GUINT64_FORMAT, names[k], st->by_close[k]);
    fprintf(stderr, "\n");
}

int
main(int argc, char **argv)
{
    GtOptions o = { 0 };
    GtStats stats = { 0 };
    gboolean sizes = FALSE;
    g_autoptr(GError) error = NULL;
    pcap_t *dead = NULL;
    pcap_dumper_t *d = NULL;
    gboolean ok;

    if (!parse_args(&argc, &argv, &o, &sizes, &error)) {
        fprintf(stderr, "gentrace: %s\n", error->message);
        g_free((char *)o.out);
        return 2;
    }
    if (sizes) {
        print_sizes();
        g_free((char *)o.out);
        return 0;
    }
    dead = pcap_open_dead(DLT_EN10MB, 262144);
    d = pcap_dump_open(dead, o.out);
    if (d == NULL) {
        fprintf(stderr, "gentrace: %s\n", pcap_geterr(dead));
        pcap_close(dead);
        g_free((char *)o.out);
        return 1;
    }
    generate(&o, d, &stats);
    ok = pcap_dump_flush(d) == 0 && !ferror(pcap_dump_file(d));
    pcap_dump_close(d);
    pcap_close(dead);
    if (!ok) {
        fprintf(stderr, "gentrace: %s: write error\n", o.out);
        return 1;
    }
    print_summary(&o, &stats);
    g_free((char *)o.out);
    return 0;
}
