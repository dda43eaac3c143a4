/* finscope bench: writes the captures of issue 18's attacks on finscope's
 * resources, for the bench and the tests (no stored file).
 *
 * Usage: genattack --reuse N [--interval-us U] [--new-ports | --new-hosts]
 *                  [--no-close]
 *                  [--server-port P] --out FILE
 *        genattack --syn-flood N [--seed S] [--rate PPS] --out FILE
 *
 * --reuse N: one 4-tuple (10.0.0.1:40000 -> 10.0.0.2:80) opened and
 * closed N times, one connection every U microseconds (default 1000):
 * SYN, SYN-ACK, ACK, the client's FIN, its ACK, the server's FIN, the
 * final ACK, 100 us apart; each SYN's ISN is above the previous
 * connection's sequence space (a reuse of the client's own TIME_WAIT
 * that every stack accepts). Each connection is graceful, client first.
 * With --new-ports each uses the next client port instead (40000 and
 * on, wrapping at 65535): N 4-tuples, each left in the client's
 * TIME_WAIT. --new-hosts: each from the next client host instead
 * (10.64.0.0 and on, port 40000): N hosts holding TIME_WAIT once each.
 * With --no-close each stops after the handshake (left
 * established and idle). --server-port: the server's port (80).
 *
 * --syn-flood N: N SYNs from random sources (10.128.0.0/9, random ports
 * and ISNs, from --seed) to 10.0.0.2:80, --rate a second (default
 * 100000: 3M SYNs span 30 s), none answered.
 *
 * Raw IPv4 frames (LINKTYPE_RAW, 40 bytes each), microsecond pcap,
 * written with libpcap's dead-handle dumper; the same options give the
 * same bytes. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <pcap/pcap.h>

#include "finscope/decode.h"

#define GA_T0_SEC 1700000000   /* capture start, seconds since the epoch */
#define GA_FRAME_LEN 40        /* IPv4 + TCP headers, no options */
#define GA_SERVER 0x0a000002u  /* 10.0.0.2 */
#define GA_CLIENT 0x0a000001u  /* 10.0.0.1 */
#define GA_SERVER_PORT 80
#define GA_CLIENT_PORT 40000

typedef struct {
    guint32 saddr, daddr;      /* host order */
    guint16 sport, dport;
    guint32 seq, ack;
    guint8 flags;              /* FS_TH_* */
} GaSeg;

static void
be16(guint8 *p, guint32 v)
{
    p[0] = (guint8)(v >> 8);
    p[1] = (guint8)v;
}

static void
be32(guint8 *p, guint32 v)
{
    be16(p, v >> 16);
    be16(p + 2, v & 0xffff);
}

/* Writes seg at t_us microseconds after the capture start. */
static void
put(pcap_dumper_t *d, guint64 t_us, const GaSeg *seg)
{
    struct pcap_pkthdr hdr;
    guint8 f[GA_FRAME_LEN];

    memset(f, 0, sizeof f);
    f[0] = 0x45;                                /* IPv4, IHL 5 */
    be16(f + 2, GA_FRAME_LEN);                  /* total length */
    f[8] = 64;                                  /* TTL */
    f[9] = 6;                                   /* TCP */
    be32(f + 12, seg->saddr);
    be32(f + 16, seg->daddr);
    be16(f + 20, seg->sport);
    be16(f + 22, seg->dport);
    be32(f + 24, seg->seq);
    be32(f + 28, seg->ack);
    be16(f + 32, (5u << 12) | seg->flags);     /* data offset 5, flags */
    be16(f + 34, 64240);                        /* window */
    memset(&hdr, 0, sizeof hdr);
    hdr.ts.tv_sec = (time_t)(GA_T0_SEC + t_us / 1000000);
    hdr.ts.tv_usec = (suseconds_t)(t_us % 1000000);
    hdr.caplen = hdr.len = GA_FRAME_LEN;
    pcap_dump((u_char *)d, &hdr, f);
}

/* One graceful connection of the reused 4-tuple from t_us on. */
typedef struct {
    gboolean new_ports;  /* --new-ports */
    gboolean no_close;   /* --no-close */
    gboolean new_hosts;  /* --new-hosts */
    guint16 server_port; /* --server-port */
} GaReuse;

static void
reuse_one(pcap_dumper_t *d, guint64 t_us, guint64 i, const GaReuse *o)
{
    gboolean new_ports = o->new_ports;
    guint32 caddr = o->new_hosts ? 0x0a400000u + (guint32)(i & 0x3fffff)
                                 : GA_CLIENT;
    guint16 cport = (guint16)(new_ports ? 40000 + i % 25536 : GA_CLIENT_PORT);
    guint32 c = (guint32)(i * 1000000u);       /* client ISN, rising */
    guint32 s = (guint32)(i * 7919u + 5000u);  /* server ISN */
    static const struct {
        gboolean from_client;
        guint8 flags;
        guint32 seq, ack; /* relative to the client's, server's ISN */
    } steps[] = {
        { TRUE, FS_TH_SYN, 0, 0 },
        { FALSE, FS_TH_SYN | FS_TH_ACK, 0, 1 },
        { TRUE, FS_TH_ACK, 1, 1 },
        { TRUE, FS_TH_FIN | FS_TH_ACK, 1, 1 },
        { FALSE, FS_TH_ACK, 1, 2 },
        { FALSE, FS_TH_FIN | FS_TH_ACK, 1, 2 },
        { TRUE, FS_TH_ACK, 2, 2 },
    };

    for (guint k = 0; k < (o->no_close ? 3 : G_N_ELEMENTS(steps)); k++) {
        gboolean cl = steps[k].from_client;
        GaSeg seg = {
            .saddr = cl ? caddr : GA_SERVER,
            .daddr = cl ? GA_SERVER : caddr,
            .sport = cl ? cport : o->server_port,
            .dport = cl ? o->server_port : cport,
            .seq = (cl ? c : s) + steps[k].seq,
            .ack = (steps[k].flags & FS_TH_ACK)
                       ? (cl ? s : c) + steps[k].ack : 0,
            .flags = steps[k].flags,
        };

        put(d, t_us + 100 * k, &seg);
    }
}

static void
syn_flood(pcap_dumper_t *d, guint64 n, guint64 seed, guint64 rate)
{
    g_autoptr(GRand) rnd = g_rand_new_with_seed((guint32)seed);

    for (guint64 i = 0; i < n; i++) {
        GaSeg seg = {
            .saddr = 0x0a800000u | (g_rand_int(rnd) & 0x7fffffu),
            .daddr = GA_SERVER,
            .sport = (guint16)g_rand_int_range(rnd, 1024, 65536),
            .dport = GA_SERVER_PORT,
            .seq = g_rand_int(rnd),
            .flags = FS_TH_SYN,
        };

        put(d, i * 1000000 / rate, &seg);
    }
}

int
main(int argc, char **argv)
{
    gint64 reuse = 0;
    gint64 flood = 0;
    gint64 interval_us = 1000;
    GaReuse ro = { FALSE, FALSE, FALSE, GA_SERVER_PORT };
    gint server_port = GA_SERVER_PORT;
    gint64 seed = 1;
    gint64 rate = 100000;
    g_autofree char *out = NULL;
    GOptionEntry entries[] = {
        { "reuse", 0, 0, G_OPTION_ARG_INT64, &reuse,
          "one 4-tuple opened and closed N times", "N" },
        { "interval-us", 0, 0, G_OPTION_ARG_INT64, &interval_us,
          "--reuse: microseconds between connections (1000)", "U" },
        { "new-ports", 0, 0, G_OPTION_ARG_NONE, &ro.new_ports,
          "--reuse: a new client port for each connection", NULL },
        { "new-hosts", 0, 0, G_OPTION_ARG_NONE, &ro.new_hosts,
          "--reuse: a new client host for each connection", NULL },
        { "no-close", 0, 0, G_OPTION_ARG_NONE, &ro.no_close,
          "--reuse: only the handshake, left open", NULL },
        { "server-port", 0, 0, G_OPTION_ARG_INT, &server_port,
          "--reuse: the server's port (80)", "P" },
        { "syn-flood", 0, 0, G_OPTION_ARG_INT64, &flood,
          "N SYNs from random sources", "N" },
        { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "--syn-flood seed (1)",
          "S" },
        { "rate", 0, 0, G_OPTION_ARG_INT64, &rate,
          "--syn-flood: SYNs a second (100000)", "PPS" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "pcap to write", "FILE" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) error = NULL;
    pcap_t *dead;
    pcap_dumper_t *d;
    gboolean ok;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "genattack: %s\n", error->message);
        return 2;
    }
    if (out == NULL || (reuse > 0) == (flood > 0) || interval_us < 1 ||
        rate < 1 || server_port < 1 || server_port > 65535) {
        fprintf(stderr, "genattack: give --out and one of --reuse N, "
                        "--syn-flood N (see --help)\n");
        return 2;
    }
    ro.server_port = (guint16)server_port;
    dead = pcap_open_dead(DLT_RAW, 65535);
    d = pcap_dump_open(dead, out);
    if (d == NULL) {
        fprintf(stderr, "genattack: %s\n", pcap_geterr(dead));
        pcap_close(dead);
        return 1;
    }
    for (gint64 i = 0; i < reuse; i++)
        reuse_one(d, (guint64)(i * interval_us), (guint64)i, &ro);
    if (flood > 0)
        syn_flood(d, (guint64)flood, (guint64)seed, (guint64)rate);
    ok = pcap_dump_flush(d) == 0 && !ferror(pcap_dump_file(d));
    pcap_dump_close(d);
    pcap_close(dead);
    if (!ok) {
        fprintf(stderr, "genattack: writing %s failed\n", out);
        return 1;
    }
    return 0;
}
