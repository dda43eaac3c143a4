/* finscope tests: mktrace turns a segment script into a capture file.
 *
 * Usage: mktrace [--linktype en10mb|raw|sll|sll2|null|loop] [--vlan ID[,ID2]]
 *                [--tunnel vxlan|geneve|gre|erspan|ipip]
 *                [--pcapng] [--snaplen N] SCRIPT OUT
 *
 * One segment per script line; '#' starts a comment, blank lines are
 * ignored:
 *
 *   T SRC > DST FLAGS SEQ ACK LEN [win=N] [ts=TSVAL,TSECR] [mss=N] [ws=N]
 *                                 [sackok] [ttl=N] [id=N]
 *   T SRC > DST udp LEN         a UDP datagram (finscope: not_tcp)
 *   T SRC > DST arp             an ARP request, broadcast: who has DST's
 *                               address? tell SRC (IPv4, ports ignored;
 *                               en10mb, sll, sll2 only; finscope: not_ip)
 *
 *   T      integer microseconds (64-bit), or seconds with up to 9 decimals
 *          ("1700000000.123456789")
 *   SRC    a.b.c.d:port or [v6addr]:port; DST of the same family
 *   FLAGS  letters of S F R P A U E C, or "." for none
 *   LEN    payload bytes, filled with a repeating a..z pattern
 *
 * Defaults: win=65535, ttl=64 (IPv6 hop limit), no TCP options, the IPv4
 * identification the line's number among the segments (id=N sets it: the
 * same frame captured twice repeats it). The whole
 * script is checked before OUT is created. Packets are written in script
 * order (times may go backwards), with nanosecond timestamps and correct
 * IPv4 header and TCP checksums. A frame longer than --snaplen (default
 * 262144) is cut to it. OUT "-" is stdout. Link headers: Ethernet with
 * MACs 02:00:<last 4 address bytes>, --vlan ID as an 802.1Q tag, ID,ID2 as
 * an 802.1ad S-tag then a C-tag; Linux cooked v1/v2 ("to us", ARPHRD_ETHER);
 * NULL (host order) and LOOP (network order) with AF 2 and 24 for IPv6.
 * --tunnel puts every packet in a tunnel over IPv4 between 100.64.0.S
 * and 100.64.0.D (S and D the last bytes of SRC's and DST's addresses),
 * under the link header (and --vlan): vxlan (UDP 49152 > 4789, VNI 100)
 * and geneve (UDP 49152 > 6081, VNI 100, no options) carry an Ethernet
 * frame (MACs as above, untagged), gre carries the IP packet (key 100),
 * erspan an Ethernet frame in ERSPAN type II (GRE sequence number the
 * IPv4 identification, session 100), ipip the IP packet (protocol 4 or
 * 41); arp lines need vxlan, geneve or erspan. The outer UDP checksum is
 * 0 (none), the outer identification the inner one.
 * Exit status: 0 ok, 1 the output could not be written, 2 usage or a bad
 * script line (the message names the line). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <glib.h>
#include <pcap/pcap.h>

#include "finscope/decode.h"
#include "finscope/error.h"
#include "pcapng-write.h"

#define MK_MAX_SNAPLEN 262144 /* libpcap's MAXIMUM_SNAPLEN */
#define MK_AF_INET 2          /* AF_INET on every BSD and Linux */
#define MK_AF_INET6_BSD 24    /* DLT_NULL/LOOP IPv6 family (NetBSD/OpenBSD) */
#define MK_ETHERTYPE_IPV4 0x0800
#define MK_ETHERTYPE_IPV6 0x86DD
#define MK_ETHERTYPE_VLAN 0x8100 /* IEEE 802.1Q C-tag */
#define MK_ETHERTYPE_QINQ 0x88A8 /* IEEE 802.1ad S-tag, outer of two */
#define MK_ETHERTYPE_ARP 0x0806
#define MK_IPPROTO_TCP 6
#define MK_IPPROTO_UDP 17
#define MK_IPPROTO_IPIP 4
#define MK_IPPROTO_IPV6 41
#define MK_IPPROTO_GRE 47
#define MK_ETHERTYPE_TEB 0x6558
#define MK_ETHERTYPE_ERSPAN 0x88be
#define MK_PORT_VXLAN 4789
#define MK_PORT_GENEVE 6081
#define MK_TUNNEL_ID 100     /* VNI, GRE key, ERSPAN session */
#define MK_TUNNEL_SPORT 49152
#define MK_TUNNEL_MAX 64     /* bytes --tunnel adds at most, beyond the
                                IP packet: IPv4 20, UDP 8, VXLAN 8,
                                Ethernet 14 */

/* --tunnel: what every packet is put in. */
typedef enum {
    MK_TUN_NONE = 0,
    MK_TUN_VXLAN,
    MK_TUN_GENEVE,
    MK_TUN_GRE,
    MK_TUN_ERSPAN,
    MK_TUN_IPIP,
} MkTunnel;

static const char *const tunnel_names[] = {
    [MK_TUN_NONE] = "none",     [MK_TUN_VXLAN] = "vxlan",
    [MK_TUN_GENEVE] = "geneve", [MK_TUN_GRE] = "gre",
    [MK_TUN_ERSPAN] = "erspan", [MK_TUN_IPIP] = "ipip",
};

/* What a script line makes: a TCP segment, or a frame beside TCP. */
typedef enum {
    MK_TCP = 0,
    MK_UDP,
    MK_ARP,
} MkKind;

typedef struct {
    const char *name;  /* --linktype value */
    int dlt;           /* DLT_ value for pcap_open_dead() */
    guint16 linktype;  /* LINKTYPE_ value stored in a pcapng IDB */
} MkLink;

static const MkLink links[] = {
    { "en10mb", DLT_EN10MB, 1 },
    { "raw", DLT_RAW, 101 },
    { "sll", DLT_LINUX_SLL, 113 },
    { "sll2", DLT_LINUX_SLL2, 276 },
    { "null", DLT_NULL, 0 },
    { "loop", DLT_LOOP, 108 },
};

typedef struct {
    const MkLink *link; /* output link type */
    guint n_vlans;      /* 0, 1 or 2 (en10mb only) */
    guint16 vlans[2];   /* VLAN ids, outer first */
    gboolean pcapng;    /* write pcapng instead of pcap */
    guint32 snaplen;    /* longest frame stored, bytes */
    MkTunnel tunnel;    /* --tunnel */
} MkOptions;

typedef struct {
    guint8 family;    /* 4 or 6 */
    guint8 addr[16];  /* network order; IPv4 uses the first 4 bytes */
    guint16 port;     /* host order */
} MkEndpoint;

typedef struct {
    MkKind kind;         /* a segment, or a UDP or ARP frame */
    guint64 ts_ns;       /* capture time, ns since the epoch */
    MkEndpoint src;      /* sender */
    MkEndpoint dst;      /* receiver */
    guint8 flags;        /* FS_TH_* bits */
    guint32 seq;         /* sequence number */
    guint32 ack;         /* acknowledgment field */
    guint32 len;         /* payload bytes (TCP or UDP) */
    guint16 win;         /* raw window field */
    guint8 ttl;          /* IPv4 TTL or IPv6 hop limit */
    gboolean has_ip_id;  /* id= given */
    guint16 ip_id;       /* IPv4 identification */
    gboolean has_mss;    /* emit an MSS option */
    guint16 mss;         /* MSS option value */
    gboolean has_ws;     /* emit a window-scale option */
    guint8 ws;           /* window-scale shift */
    gboolean sackok;     /* emit SACK-permitted */
    gboolean has_ts;     /* emit a timestamps option */
    guint32 tsval;       /* TSval */
    guint32 tsecr;       /* TSecr */
} MkSegment;

/* ---- script parsing ---- */

static gboolean
parse_uint(const char *what, const char *s, guint64 max, guint64 *out,
           GError **error)
{
    if (g_ascii_string_to_unsigned(s, 10, 0, max, out, NULL))
        return TRUE;
    g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                "bad %s \"%s\" (want 0..%" G_GUINT64_FORMAT ")", what, s, max);
    return FALSE;
}

/* "SECONDS.FRACTION" with 1 to 9 decimals. */
static gboolean
parse_seconds(const char *s, guint64 *ns, GError **error)
{
    const char *dot = strchr(s, '.');
    g_autofree char *secs = g_strndup(s, (gsize)(dot - s));
    char frac[10] = "000000000";
    gsize n = strlen(dot + 1);
    guint64 sec = 0;
    guint64 sub = 0;

    if (n == 0 || n > 9 || *secs == '\0')
        goto bad;
    memcpy(frac, dot + 1, n);
    if (!g_ascii_string_to_unsigned(secs, 10, 0,
                                    G_MAXUINT64 / 1000000000u - 1, &sec,
                                    NULL) ||
        !g_ascii_string_to_unsigned(frac, 10, 0, 999999999, &sub, NULL))
        goto bad;
    *ns = sec * 1000000000u + sub;
    return TRUE;
bad:
    g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                "bad time \"%s\" (want microseconds, or seconds with up to "
                "9 decimals)", s);
    return FALSE;
}

static gboolean
parse_time(const char *s, guint64 *ns, GError **error)
{
    guint64 us = 0;

    if (strchr(s, '.') != NULL)
        return parse_seconds(s, ns, error);
    if (!g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT64 / 1000u, &us,
                                    NULL)) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE, "bad time \"%s\" "
                    "(want microseconds, or seconds with up to 9 decimals)",
                    s);
        return FALSE;
    }
    *ns = us * 1000u;
    return TRUE;
}

/* "a.b.c.d:port" or "[v6]:port". */
static gboolean
parse_endpoint(const char *s, MkEndpoint *ep, GError **error)
{
    const char *colon = strrchr(s, ':');
    g_autofree char *host = NULL;
    guint64 port = 0;
    gboolean v6 = s[0] == '[';

    if (colon == NULL || (v6 && (colon == s || colon[-1] != ']')))
        goto bad;
    host = v6 ? g_strndup(s + 1, (gsize)(colon - s - 2))
              : g_strndup(s, (gsize)(colon - s));
    memset(ep, 0, sizeof *ep);
    ep->family = v6 ? 6 : 4;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, host, ep->addr) != 1)
        goto bad;
    if (!parse_uint("port", colon + 1, G_MAXUINT16, &port, error))
        return FALSE;
    ep->port = (guint16)port;
    return TRUE;
bad:
    g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                "bad endpoint \"%s\" (want a.b.c.d:port or [v6]:port)", s);
    return FALSE;
}

static gboolean
parse_flags(const char *s, guint8 *flags, GError **error)
{
    static const struct {
        char letter; /* as tcpdump prints it */
        guint8 bit;  /* FS_TH_* */
    } table[] = {
        { 'S', FS_TH_SYN }, { 'F', FS_TH_FIN }, { 'R', FS_TH_RST },
        { 'P', FS_TH_PSH }, { 'A', FS_TH_ACK }, { 'U', FS_TH_URG },
        { 'E', FS_TH_ECE }, { 'C', FS_TH_CWR },
    };

    *flags = 0;
    if (strcmp(s, ".") == 0)
        return TRUE;
    for (const char *p = s; *p != '\0'; p++) {
        gsize i = 0;

        while (i < G_N_ELEMENTS(table) && table[i].letter != *p)
            i++;
        if (i == G_N_ELEMENTS(table)) {
            g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                        "bad flags \"%s\" (want letters of SFRPAUEC, or .)",
                        s);
            return FALSE;
        }
        *flags |= table[i].bit;
    }
    return TRUE;
}

static gboolean
parse_ts_option(const char *s, MkSegment *seg, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);
    guint64 val = 0;
    guint64 ecr = 0;

    if (g_strv_length(parts) != 2) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "bad ts=\"%s\" (want ts=TSVAL,TSECR)", s);
        return FALSE;
    }
    if (!parse_uint("TSval", parts[0], G_MAXUINT32, &val, error) ||
        !parse_uint("TSecr", parts[1], G_MAXUINT32, &ecr, error))
        return FALSE;
    seg->has_ts = TRUE;
    seg->tsval = (guint32)val;
    seg->tsecr = (guint32)ecr;
    return TRUE;
}

static gboolean
parse_u16(const char *key, const char *val, guint16 *out, GError **error)
{
    guint64 v = 0;

    if (!parse_uint(key, val, G_MAXUINT16, &v, error))
        return FALSE;
    *out = (guint16)v;
    return TRUE;
}

static gboolean
parse_u8(const char *key, const char *val, guint8 *out, GError **error)
{
    guint64 v = 0;

    if (!parse_uint(key, val, G_MAXUINT8, &v, error))
        return FALSE;
    *out = (guint8)v;
    return TRUE;
}

static gboolean
parse_option(const char *tok, MkSegment *seg, GError **error)
{
    const char *eq = strchr(tok, '=');
    g_autofree char *key = eq != NULL ? g_strndup(tok, (gsize)(eq - tok))
                                      : g_strdup(tok);
    const char *val = eq != NULL ? eq + 1 : NULL;

    if (val == NULL && strcmp(key, "sackok") == 0) {
        seg->sackok = TRUE;
        return TRUE;
    }
    if (val != NULL && strcmp(key, "ts") == 0)
        return parse_ts_option(val, seg, error);
    if (val != NULL && strcmp(key, "win") == 0)
        return parse_u16(key, val, &seg->win, error);
    if (val != NULL && strcmp(key, "ttl") == 0)
        return parse_u8(key, val, &seg->ttl, error);
    if (val != NULL && strcmp(key, "id") == 0) {
        seg->has_ip_id = TRUE;
        return parse_u16(key, val, &seg->ip_id, error);
    }
    if (val != NULL && strcmp(key, "mss") == 0) {
        seg->has_mss = TRUE;
        return parse_u16(key, val, &seg->mss, error);
    }
    if (val != NULL && strcmp(key, "ws") == 0) {
        seg->has_ws = TRUE;
        return parse_u8(key, val, &seg->ws, error);
    }
    g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                "unknown option \"%s\" (want win= ts= mss= ws= ttl= id= sackok)",
                tok);
    return FALSE;
}

static gboolean
parse_numbers(char **tok, MkSegment *seg, GError **error)
{
    guint64 seq = 0;
    guint64 ack = 0;
    guint64 len = 0;

    if (!parse_uint("seq", tok[0], G_MAXUINT32, &seq, error) ||
        !parse_uint("ack", tok[1], G_MAXUINT32, &ack, error) ||
        !parse_uint("len", tok[2], G_MAXUINT16, &len, error))
        return FALSE;
    seg->seq = (guint32)seq;
    seg->ack = (guint32)ack;
    seg->len = (guint32)len;
    return TRUE;
}

/* "udp LEN" or "arp" (the fields after DST) */
static gboolean
parse_other(char **tok, guint n_tok, MkSegment *seg, GError **error)
{
    guint64 len = 0;

    if (strcmp(tok[0], "arp") == 0) {
        seg->kind = MK_ARP;
        if (n_tok != 1 || seg->src.family != 4) {
            g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                        "want T SRC > DST arp, IPv4");
            return FALSE;
        }
        return TRUE;
    }
    seg->kind = MK_UDP;
    if (n_tok != 2) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "want T SRC > DST udp LEN");
        return FALSE;
    }
    if (!parse_uint("len", tok[1], G_MAXUINT16, &len, error))
        return FALSE;
    seg->len = (guint32)len;
    return TRUE;
}

/* tok holds the whitespace-separated fields of one non-blank line. */
static gboolean
parse_fields(char **tok, guint n_tok, MkSegment *seg, GError **error)
{
    gboolean other = n_tok >= 5 && (strcmp(tok[4], "udp") == 0 ||
                                    strcmp(tok[4], "arp") == 0);

    memset(seg, 0, sizeof *seg);
    seg->win = 65535;
    seg->ttl = 64;
    if ((n_tok < 8 && !other) || strcmp(tok[2], ">") != 0) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "want T SRC > DST FLAGS SEQ ACK LEN [options], "
                    "T SRC > DST udp LEN or T SRC > DST arp");
        return FALSE;
    }
    if (!parse_time(tok[0], &seg->ts_ns, error) ||
        !parse_endpoint(tok[1], &seg->src, error) ||
        !parse_endpoint(tok[3], &seg->dst, error))
        return FALSE;
    if (seg->src.family != seg->dst.family) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "source and destination are not the same IP version");
        return FALSE;
    }
    if (other)
        return parse_other(tok + 4, n_tok - 4, seg, error);
    if (!parse_flags(tok[4], &seg->flags, error) ||
        !parse_numbers(tok + 5, seg, error))
        return FALSE;
    for (guint i = 8; i < n_tok; i++) {
        if (!parse_option(tok[i], seg, error))
            return FALSE;
    }
    return TRUE;
}

/* Splits off the comment and the blanks; returns the number of fields. */
static guint
split_line(const char *line, GPtrArray *fields)
{
    g_autofree char *text = g_strdup(line);
    char *hash = strchr(text, '#');
    g_auto(GStrv) parts = NULL;

    if (hash != NULL)
        *hash = '\0';
    parts = g_strsplit_set(text, " \t\r\f\v", -1);
    g_ptr_array_set_size(fields, 0);
    for (guint i = 0; parts[i] != NULL; i++) {
        if (parts[i][0] != '\0')
            g_ptr_array_add(fields, g_strdup(parts[i]));
    }
    g_ptr_array_add(fields, NULL);
    return fields->len - 1;
}

/* Bytes of TCP options put_tcp_options() writes (a multiple of 4). */
static guint
tcp_options_len(const MkSegment *seg)
{
    guint len = seg->has_mss ? 4 : 0;

    if (seg->has_ts)
        len += 12;
    else if (seg->sackok)
        len += 4;
    return len + (seg->has_ws ? 4 : 0);
}

static gboolean
check_fits(const MkOptions *opts, const MkSegment *seg, GError **error)
{
    guint ip_len = (seg->src.family == 6 ? 0 : 20) + seg->len +
                   (seg->kind == MK_UDP ? 8 : 20 + tcp_options_len(seg));
    int dlt = opts->link->dlt;

    if (seg->kind == MK_ARP && opts->tunnel == MK_TUN_NONE &&
        dlt != DLT_EN10MB && dlt != DLT_LINUX_SLL && dlt != DLT_LINUX_SLL2) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "arp needs --linktype en10mb, sll or sll2");
        return FALSE;
    }
    if (seg->kind == MK_ARP && (opts->tunnel == MK_TUN_GRE ||
                                opts->tunnel == MK_TUN_IPIP)) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "arp in a tunnel needs --tunnel vxlan, geneve or erspan");
        return FALSE;
    }
    if (opts->tunnel != MK_TUN_NONE)
        ip_len += MK_TUNNEL_MAX;

    /* The IPv4 total length or IPv6 payload length is 16 bits. */
    if (ip_len > G_MAXUINT16) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "len %u does not fit in one IP packet", seg->len);
        return FALSE;
    }
    /* A pcap record stores whole seconds in 32 bits. */
    if (!opts->pcapng && seg->ts_ns / 1000000000u > G_MAXUINT32) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "time is past 2106, which pcap cannot store "
                    "(use --pcapng)");
        return FALSE;
    }
    return TRUE;
}

static GArray *
read_script(const char *path, const MkOptions *opts, GError **error)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GArray) segs = g_array_new(FALSE, TRUE, sizeof(MkSegment));
    g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);
    GError *local = NULL;

    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        MkSegment seg;
        guint n = split_line(lines[i], fields);

        if (n == 0)
            continue;
        if (!parse_fields((char **)fields->pdata, n, &seg, &local) ||
            !check_fits(opts, &seg, &local)) {
            g_set_error(error, FS_ERROR, FS_ERROR_USAGE, "%s:%u: %s", path,
                        i + 1, local->message);
            g_error_free(local);
            return NULL;
        }
        g_array_append_val(segs, seg);
    }
    return g_steal_pointer(&segs);
}

/* ---- frame building ---- */

static void
put_u8(GByteArray *b, guint8 v)
{
    g_byte_array_append(b, &v, 1);
}

static void
put_be16(GByteArray *b, guint16 v)
{
    guint8 bytes[2] = { (guint8)(v >> 8), (guint8)v };

    g_byte_array_append(b, bytes, 2);
}

static void
put_be32(GByteArray *b, guint32 v)
{
    put_be16(b, (guint16)(v >> 16));
    put_be16(b, (guint16)v);
}

static void
set_be16(GByteArray *b, guint off, guint16 v)
{
    b->data[off] = (guint8)(v >> 8);
    b->data[off + 1] = (guint8)v;
}

/* RFC 1071 one's-complement sum, continued from sum. */
static guint32
csum_add(guint32 sum, const guint8 *p, gsize n)
{
    for (gsize i = 0; i + 1 < n; i += 2)
        sum += (guint32)((p[i] << 8) | p[i + 1]);
    if (n % 2 == 1)
        sum += (guint32)(p[n - 1] << 8);
    return sum;
}

static guint16
csum_fold(guint32 sum)
{
    while (sum >> 16 != 0)
        sum = (sum & 0xffff) + (sum >> 16);
    return (guint16)~sum;
}

static guint
addr_len(const MkEndpoint *ep)
{
    return ep->family == 6 ? 16 : 4;
}

/* TCP options laid out as Linux does; the length is a multiple of 4. */
static void
put_tcp_options(GByteArray *b, const MkSegment *seg)
{
    if (seg->has_mss) {
        put_be16(b, 0x0204); /* kind 2 (MSS), length 4 */
        put_be16(b, seg->mss);
    }
    if (seg->sackok && seg->has_ts)
        put_be16(b, 0x0402); /* kind 4 (SACK-permitted), length 2 */
    else if (seg->sackok || seg->has_ts)
        put_be16(b, 0x0101); /* two NOPs */
    if (seg->has_ts) {
        put_be16(b, 0x080a); /* kind 8 (timestamps), length 10 */
        put_be32(b, seg->tsval);
        put_be32(b, seg->tsecr);
    } else if (seg->sackok) {
        put_be16(b, 0x0402);
    }
    if (seg->has_ws) {
        put_be32(b, 0x01030300u | seg->ws); /* NOP, kind 3 length 3 */
    }
}

/* RFC 9293 §3.1 header, options and payload, checksum over the RFC 9293
 * §3.1 (IPv4) or RFC 8200 §8.1 (IPv6) pseudo-header. */
static GByteArray *
build_tcp(const MkSegment *seg)
{
    GByteArray *b = g_byte_array_sized_new(60 + seg->len);
    guint8 pseudo[40] = { 0 };
    guint alen = addr_len(&seg->src);
    guint32 sum;

    put_be16(b, seg->src.port);
    put_be16(b, seg->dst.port);
    put_be32(b, seg->seq);
    put_be32(b, seg->ack);
    put_be16(b, 0);            /* data offset and flags, set below */
    put_be16(b, seg->win);
    put_be16(b, 0);            /* checksum, set below */
    put_be16(b, 0);            /* urgent pointer */
    put_tcp_options(b, seg);
    g_assert(b->len == 20 + tcp_options_len(seg));
    set_be16(b, 12, (guint16)((b->len / 4) << 12 | seg->flags));
    for (guint32 i = 0; i < seg->len; i++)
        put_u8(b, (guint8)('a' + i % 26));
    memcpy(pseudo, seg->src.addr, alen);
    memcpy(pseudo + alen, seg->dst.addr, alen);
    sum = csum_add(0, pseudo, 2 * alen);
    sum += MK_IPPROTO_TCP + b->len;
    set_be16(b, 16, csum_fold(csum_add(sum, b->data, b->len)));
    return b;
}

/* 02:00 + the address's last 4 bytes: locally administered, per host. */
static void
put_mac(GByteArray *b, const MkEndpoint *ep)
{
    put_be16(b, 0x0200);
    g_byte_array_append(b, ep->addr + addr_len(ep) - 4, 4);
}

/* RFC 768: header and payload, checksum over the same pseudo-header as
 * TCP's. */
static GByteArray *
build_udp(const MkSegment *seg)
{
    GByteArray *b = g_byte_array_sized_new(8 + seg->len);
    guint8 pseudo[40] = { 0 };
    guint alen = addr_len(&seg->src);
    guint32 sum;
    guint16 csum;

    put_be16(b, seg->src.port);
    put_be16(b, seg->dst.port);
    put_be16(b, (guint16)(8 + seg->len));
    put_be16(b, 0);            /* checksum, set below */
    for (guint32 i = 0; i < seg->len; i++)
        put_u8(b, (guint8)('a' + i % 26));
    memcpy(pseudo, seg->src.addr, alen);
    memcpy(pseudo + alen, seg->dst.addr, alen);
    sum = csum_add(0, pseudo, 2 * alen);
    sum += MK_IPPROTO_UDP + b->len;
    csum = csum_fold(csum_add(sum, b->data, b->len));
    set_be16(b, 6, csum != 0 ? csum : 0xffff); /* 0 is "no checksum" */
    return b;
}

/* RFC 826 request: who has dst's address? tell src. */
static GByteArray *
build_arp(const MkSegment *seg)
{
    GByteArray *b = g_byte_array_sized_new(28);
    static const guint8 unknown[6] = { 0 };

    put_be16(b, 1);            /* hardware: Ethernet */
    put_be16(b, MK_ETHERTYPE_IPV4);
    put_u8(b, 6);
    put_u8(b, 4);
    put_be16(b, 1);            /* request */
    put_mac(b, &seg->src);
    g_byte_array_append(b, seg->src.addr, 4);
    g_byte_array_append(b, unknown, 6);
    g_byte_array_append(b, seg->dst.addr, 4);
    return b;
}

static guint8
ip_proto(const MkSegment *seg)
{
    return seg->kind == MK_UDP ? MK_IPPROTO_UDP : MK_IPPROTO_TCP;
}

static void
put_ipv4(GByteArray *b, const MkSegment *seg, guint tcp_len, guint16 id)
{
    guint start = b->len;

    put_u8(b, 0x45);           /* version 4, IHL 5 */
    put_u8(b, 0);              /* DSCP/ECN */
    put_be16(b, (guint16)(20 + tcp_len));
    put_be16(b, id);
    put_be16(b, 0x4000);       /* DF, offset 0 */
    put_u8(b, seg->ttl);
    put_u8(b, ip_proto(seg));
    put_be16(b, 0);            /* checksum, set below */
    g_byte_array_append(b, seg->src.addr, 4);
    g_byte_array_append(b, seg->dst.addr, 4);
    set_be16(b, start + 10, csum_fold(csum_add(0, b->data + start, 20)));
}

static void
put_ipv6(GByteArray *b, const MkSegment *seg, guint tcp_len)
{
    put_be32(b, 0x60000000u);  /* version 6, class 0, flow 0 */
    put_be16(b, (guint16)tcp_len);
    put_u8(b, ip_proto(seg));  /* next header */
    put_u8(b, seg->ttl);       /* hop limit */
    g_byte_array_append(b, seg->src.addr, 16);
    g_byte_array_append(b, seg->dst.addr, 16);
}

/* An Ethernet header from seg's sender to its receiver (broadcast for
 * an ARP request), with n_vlans tags of vlans. */
static void
put_ethernet(GByteArray *b, const MkSegment *seg, guint n_vlans,
             const guint16 *vlans, guint16 ethertype)
{
    static const guint8 broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

    if (seg->kind == MK_ARP && ethertype == MK_ETHERTYPE_ARP)
        g_byte_array_append(b, broadcast, 6);
    else
        put_mac(b, &seg->dst);
    put_mac(b, &seg->src);
    for (guint i = 0; i < n_vlans; i++) {
        gboolean outer_of_two = n_vlans == 2 && i == 0;

        put_be16(b, outer_of_two ? MK_ETHERTYPE_QINQ : MK_ETHERTYPE_VLAN);
        put_be16(b, vlans[i]); /* PCP 0, DEI 0, VID */
    }
    put_be16(b, ethertype);
}

/* Linux cooked headers (LINKTYPE_LINUX_SLL and _SLL2): packet type 0
 * ("to us"), ARPHRD_ETHER, the sender's MAC padded to 8 bytes. */
static void
put_sll(GByteArray *b, const MkSegment *seg, guint16 ethertype)
{
    put_be16(b, 0);            /* packet type: host */
    put_be16(b, 1);            /* ARPHRD_ETHER */
    put_be16(b, 6);            /* address length */
    put_mac(b, &seg->src);
    put_be16(b, 0);            /* address padding */
    put_be16(b, ethertype);
}

static void
put_sll2(GByteArray *b, const MkSegment *seg, guint16 ethertype)
{
    put_be16(b, ethertype);
    put_be16(b, 0);            /* reserved */
    put_be32(b, 1);            /* interface index */
    put_be16(b, 1);            /* ARPHRD_ETHER */
    put_u8(b, 0);              /* packet type: host */
    put_u8(b, 6);              /* address length */
    put_mac(b, &seg->src);
    put_be16(b, 0);            /* address padding */
}

/* The EtherType of seg's packet: ARP, IPv6 or IPv4. */
static guint16
packet_ethertype(const MkSegment *seg)
{
    return seg->kind == MK_ARP        ? MK_ETHERTYPE_ARP
           : seg->src.family == 6     ? MK_ETHERTYPE_IPV6
                                      : MK_ETHERTYPE_IPV4;
}

/* The link header before a packet of ethertype. */
static void
put_link(GByteArray *b, const MkOptions *opts, const MkSegment *seg,
         guint16 ethertype)
{
    gboolean v6 = ethertype == MK_ETHERTYPE_IPV6;
    guint32 af = v6 ? MK_AF_INET6_BSD : MK_AF_INET;

    switch (opts->link->dlt) {
    case DLT_EN10MB:
        put_ethernet(b, seg, opts->n_vlans, opts->vlans, ethertype);
        break;
    case DLT_LINUX_SLL:
        put_sll(b, seg, ethertype);
        break;
    case DLT_LINUX_SLL2:
        put_sll2(b, seg, ethertype);
        break;
    case DLT_NULL:
        /* The capturing host's byte order: this host's. */
        g_byte_array_append(b, (const guint8 *)&af, 4);
        break;
    case DLT_LOOP:
        put_be32(b, af);
        break;
    default: /* DLT_RAW: no link header */
        break;
    }
}

/* seg's packet: its IP header and TCP segment or UDP datagram, or the
 * ARP message (no IP header: it follows the link header). */
static GByteArray *
build_packet(const MkSegment *seg, guint16 ip_id)
{
    g_autoptr(GByteArray) l4 = seg->kind == MK_ARP   ? build_arp(seg)
                               : seg->kind == MK_UDP ? build_udp(seg)
                                                     : build_tcp(seg);
    GByteArray *b = g_byte_array_sized_new(l4->len + 40);

    if (seg->kind == MK_ARP)
        ;
    else if (seg->src.family == 6)
        put_ipv6(b, seg, l4->len);
    else
        put_ipv4(b, seg, l4->len, ip_id);
    g_byte_array_append(b, l4->data, l4->len);
    return b;
}

/* The tunnel header (--tunnel) and what it carries: pkt, or pkt in an
 * Ethernet frame; *proto, the outer IPv4 protocol. */
static GByteArray *
build_tunnel(const MkOptions *opts, const MkSegment *seg,
             const GByteArray *pkt, guint16 ip_id, guint8 *proto)
{
    guint16 ethertype = packet_ethertype(seg);
    gboolean ether = opts->tunnel == MK_TUN_VXLAN ||
                     opts->tunnel == MK_TUN_GENEVE ||
                     opts->tunnel == MK_TUN_ERSPAN;
    guint frame_len = pkt->len + (ether ? 14 : 0);
    GByteArray *b = g_byte_array_sized_new(pkt->len + MK_TUNNEL_MAX);

    switch (opts->tunnel) {
    case MK_TUN_VXLAN:
    case MK_TUN_GENEVE:
        *proto = MK_IPPROTO_UDP;
        put_be16(b, MK_TUNNEL_SPORT);
        put_be16(b, opts->tunnel == MK_TUN_VXLAN ? MK_PORT_VXLAN
                                                 : MK_PORT_GENEVE);
        put_be16(b, (guint16)(8 + 8 + frame_len));
        put_be16(b, 0); /* no checksum (IPv4) */
        if (opts->tunnel == MK_TUN_VXLAN) {
            put_be32(b, 0x08000000u);  /* flags: I */
        } else {
            put_be16(b, 0);            /* version 0, no options, O, C */
            put_be16(b, MK_ETHERTYPE_TEB);
        }
        put_be32(b, MK_TUNNEL_ID << 8); /* VNI, reserved */
        break;
    case MK_TUN_GRE:
        *proto = MK_IPPROTO_GRE;
        put_be16(b, 0x2000);           /* K */
        put_be16(b, ethertype);
        put_be32(b, MK_TUNNEL_ID);     /* key */
        break;
    case MK_TUN_ERSPAN:
        *proto = MK_IPPROTO_GRE;
        put_be16(b, 0x1000);           /* S */
        put_be16(b, MK_ETHERTYPE_ERSPAN);
        put_be32(b, ip_id);            /* sequence number */
        put_be16(b, 0x1000);           /* version 1, VLAN 0 */
        put_be16(b, MK_TUNNEL_ID);     /* COS 0, En 0, T 0, session */
        put_be32(b, 0);                /* reserved, index */
        break;
    case MK_TUN_IPIP:
    case MK_TUN_NONE:
        *proto = seg->src.family == 6 ? MK_IPPROTO_IPV6 : MK_IPPROTO_IPIP;
        break;
    }
    if (ether)
        put_ethernet(b, seg, 0, NULL, ethertype);
    g_byte_array_append(b, pkt->data, pkt->len);
    return b;
}

/* The outer IPv4 header of a tunnel: 100.64.0.S > 100.64.0.D. */
static void
put_outer_ipv4(GByteArray *b, const MkSegment *seg, guint8 proto,
               guint len, guint16 id)
{
    guint start = b->len;

    put_u8(b, 0x45);
    put_u8(b, 0);
    put_be16(b, (guint16)(20 + len));
    put_be16(b, id);
    put_be16(b, 0x4000);       /* DF */
    put_u8(b, 64);
    put_u8(b, proto);
    put_be16(b, 0);            /* checksum, set below */
    put_be16(b, 0x6440);       /* 100.64. */
    put_u8(b, 0);
    put_u8(b, seg->src.addr[addr_len(&seg->src) - 1]);
    put_be16(b, 0x6440);
    put_u8(b, 0);
    put_u8(b, seg->dst.addr[addr_len(&seg->dst) - 1]);
    set_be16(b, start + 10, csum_fold(csum_add(0, b->data + start, 20)));
}

static GByteArray *
build_frame(const MkOptions *opts, const MkSegment *seg, guint16 ip_id)
{
    guint16 id = seg->has_ip_id ? seg->ip_id : ip_id;
    g_autoptr(GByteArray) pkt = build_packet(seg, id);
    g_autoptr(GByteArray) tun = NULL;
    GByteArray *frame = g_byte_array_sized_new(pkt->len + 80 +
                                               MK_TUNNEL_MAX);
    guint8 proto = 0;

    if (opts->tunnel == MK_TUN_NONE) {
        put_link(frame, opts, seg, packet_ethertype(seg));
        g_byte_array_append(frame, pkt->data, pkt->len);
        return frame;
    }
    tun = build_tunnel(opts, seg, pkt, id, &proto);
    put_link(frame, opts, seg, MK_ETHERTYPE_IPV4);
    put_outer_ipv4(frame, seg, proto, tun->len, id);
    g_byte_array_append(frame, tun->data, tun->len);
    return frame;
}

/* ---- output ---- */

static gboolean
write_pcapng(const char *out, const MkOptions *opts, GArray *segs,
             GError **error)
{
    g_autoptr(FsPcapngWriter) w = fs_pcapng_writer_open(
        out, opts->link->linktype, opts->snaplen, error);

    if (w == NULL)
        return FALSE;
    for (guint i = 0; i < segs->len; i++) {
        const MkSegment *seg = &g_array_index(segs, MkSegment, i);
        g_autoptr(GByteArray) f = build_frame(opts, seg, (guint16)(i + 1));

        if (!fs_pcapng_writer_add(w, seg->ts_ns, f->data,
                                  MIN(f->len, opts->snaplen), f->len, error))
            return FALSE;
    }
    return fs_pcapng_writer_close(g_steal_pointer(&w), error);
}

static void
dump_segments(pcap_dumper_t *dumper, const MkOptions *opts, GArray *segs)
{
    for (guint i = 0; i < segs->len; i++) {
        const MkSegment *seg = &g_array_index(segs, MkSegment, i);
        g_autoptr(GByteArray) f = build_frame(opts, seg, (guint16)(i + 1));
        struct pcap_pkthdr hdr;

        memset(&hdr, 0, sizeof hdr);
        hdr.ts.tv_sec = (time_t)(seg->ts_ns / 1000000000u);
        hdr.ts.tv_usec = (long)(seg->ts_ns % 1000000000u); /* ns here */
        hdr.caplen = MIN(f->len, opts->snaplen);
        hdr.len = f->len;
        pcap_dump((u_char *)dumper, &hdr, f->data);
    }
}

static gboolean
write_pcap(const char *out, const MkOptions *opts, GArray *segs,
           GError **error)
{
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(
        opts->link->dlt, (int)opts->snaplen, PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t *dumper = pcap_dump_open(dead, out);
    gboolean ok = dumper != NULL;

    if (dumper == NULL) {
        g_set_error(error, FS_ERROR, FS_ERROR_WRITE, "%s",
                    pcap_geterr(dead));
    } else {
        dump_segments(dumper, opts, segs);
        ok = pcap_dump_flush(dumper) == 0 && !ferror(pcap_dump_file(dumper));
        pcap_dump_close(dumper);
        if (!ok)
            g_set_error(error, FS_ERROR, FS_ERROR_WRITE,
                        "%s: write error", out);
    }
    pcap_close(dead);
    return ok;
}

/* ---- command line ---- */

static gboolean
parse_vlans(const char *s, MkOptions *opts, GError **error)
{
    g_auto(GStrv) ids = g_strsplit(s, ",", -1);
    guint n = g_strv_length(ids);
    guint64 v = 0;

    if (opts->link->dlt != DLT_EN10MB || n < 1 || n > 2) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                    "--vlan takes ID or ID,ID2 and needs --linktype en10mb");
        return FALSE;
    }
    for (guint i = 0; i < n; i++) {
        if (!parse_uint("VLAN id", ids[i], 4095, &v, error))
            return FALSE;
        opts->vlans[i] = (guint16)v;
    }
    opts->n_vlans = n;
    return TRUE;
}

static gboolean
parse_linktype(const char *name, MkOptions *opts, GError **error)
{
    for (gsize i = 0; i < G_N_ELEMENTS(links); i++) {
        if (g_ascii_strcasecmp(name, links[i].name) == 0) {
            opts->link = &links[i];
            return TRUE;
        }
    }
    g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                "unknown link type \"%s\" (want en10mb, raw, sll, sll2, "
                "null or loop)", name);
    return FALSE;
}

static gboolean
parse_tunnel(const char *name, MkOptions *opts, GError **error)
{
    for (gsize i = 1; i < G_N_ELEMENTS(tunnel_names); i++) {
        if (g_ascii_strcasecmp(name, tunnel_names[i]) == 0) {
            opts->tunnel = (MkTunnel)i;
            return TRUE;
        }
    }
    g_set_error(error, FS_ERROR, FS_ERROR_USAGE,
                "unknown tunnel \"%s\" (want vxlan, geneve, gre, erspan or "
                "ipip)", name);
    return FALSE;
}

static gboolean
parse_args(int *argc, char ***argv, MkOptions *opts, GError **error)
{
    g_autofree char *linktype = NULL;
    g_autofree char *vlan = NULL;
    g_autofree char *tunnel = NULL;
    gint snaplen = MK_MAX_SNAPLEN;
    GOptionEntry entries[] = {
        { "linktype", 0, 0, G_OPTION_ARG_STRING, &linktype,
          "en10mb (default), raw, sll, sll2, null or loop", "NAME" },
        { "vlan", 0, 0, G_OPTION_ARG_STRING, &vlan,
          "802.1Q tag, or S-tag,C-tag (en10mb only)", "ID[,ID2]" },
        { "tunnel", 0, 0, G_OPTION_ARG_STRING, &tunnel,
          "every packet in a vxlan, geneve, gre, erspan or ipip tunnel",
          "KIND" },
        { "pcapng", 0, 0, G_OPTION_ARG_NONE, &opts->pcapng,
          "write pcapng instead of pcap", NULL },
        { "snaplen", 0, 0, G_OPTION_ARG_INT, &snaplen,
          "cut frames to N bytes (default 262144)", "N" },
        { NULL, 0, 0, G_OPTION_ARG_NONE, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("SCRIPT OUT");

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(ctx, "Turns a segment script into a "
                                      "capture file (nanosecond timestamps).");
    if (!g_option_context_parse(ctx, argc, argv, error))
        return FALSE;
    if (!parse_linktype(linktype != NULL ? linktype : "en10mb", opts, error))
        return FALSE;
    if (vlan != NULL && !parse_vlans(vlan, opts, error))
        return FALSE;
    if (tunnel != NULL && !parse_tunnel(tunnel, opts, error))
        return FALSE;
    if (snaplen < 1 || snaplen > MK_MAX_SNAPLEN || *argc != 3) {
        g_set_error(error, FS_ERROR, FS_ERROR_USAGE, "%s",
                    *argc != 3 ? "want SCRIPT OUT (see --help)"
                               : "--snaplen wants 1..262144");
        return FALSE;
    }
    opts->snaplen = (guint32)snaplen;
    return TRUE;
}

int
main(int argc, char **argv)
{
    MkOptions opts = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) segs = NULL;
    gboolean ok;

    if (!parse_args(&argc, &argv, &opts, &error)) {
        fprintf(stderr, "mktrace: %s\n", error->message);
        return 2;
    }
    segs = read_script(argv[1], &opts, &error);
    if (segs == NULL) {
        fprintf(stderr, "mktrace: %s\n", error->message);
        return 2;
    }
    if (opts.pcapng)
        ok = write_pcapng(argv[2], &opts, segs, &error);
    else
        ok = write_pcap(argv[2], &opts, segs, &error);
    if (!ok) {
        fprintf(stderr, "mktrace: %s\n", error->message);
        return 1;
    }
    return 0;
}
