/* finscope: unit tests for decode.c, from link header down to TCP options. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/capture.h"
#include "finscope/decode.h"
#include "finscope/flow.h"

/* The segment every builder makes unless a test changes it. */
#define TEST_SPORT 40000
#define TEST_DPORT 80
#define TEST_SEQ 0x01020304u
#define TEST_ACK 0xa0b0c0d0u
#define TEST_FLAGS (FS_TH_SYN | FS_TH_ACK | FS_TH_ECE)
#define TEST_WINDOW 65160
#define TEST_IP_ID 0x1234
#define TEST_PAYLOAD 10

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_ARP 0x0806
#define ETH_LLDP 0x88cc
#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_FRAGMENT 44
#define PROTO_ESP 50
#define PROTO_ICMPV6 58
#define PROTO_NONE 59
#define PROTO_DSTOPTS 60
#define PROTO_AH 51
#define ETH_PPPOE_DISCOVERY 0x8863
#define ETH_PPPOE 0x8864
#define ETH_MPLS 0x8847
#define ETH_MPLS_MC 0x8848
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057
#define PPP_LCP 0xc021
#define PROTO_IPIP 4
#define PROTO_IPV6 41
#define PROTO_GRE 47
#define ETH_TEB 0x6558
#define ETH_PBB 0x88e7
#define ETH_ERSPAN 0x88be
#define ETH_ERSPAN3 0x22eb
#define ETH_PPP 0x880b
#define GRE_C 0x8000
#define GRE_R 0x4000
#define GRE_K 0x2000
#define GRE_S 0x1000
#define GRE_A 0x0080
#define PORT_VXLAN 4789
#define PORT_GENEVE 6081
#define PORT_GRE_UDP 4754

static const guint8 v4_client[4] = { 192, 0, 2, 1 };    /* 192.0.2.1 */
static const guint8 v4_server[4] = { 198, 51, 100, 2 }; /* 198.51.100.2 */
static const guint8 v6_client[16] = {                   /* 2001:db8::1 */
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
};
static const guint8 v6_server[16] = { /* 2001:db8::2 */
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
};

/* The options of a Linux SYN-ACK, 20 bytes. */
static const guint8 synack_opts[] = {
    0x02, 0x04, 0x05, 0xb4,             /* MSS 1460 */
    0x04, 0x02,                         /* SACK permitted */
    0x08, 0x0a, 0x11, 0x22, 0x33, 0x44, /* timestamps: TSval 0x11223344 */
    0x55, 0x66, 0x77, 0x88,             /*             TSecr 0x55667788 */
    0x01,                               /* NOP */
    0x03, 0x03, 0x07,                   /* window scale 7 */
};

/* IPv4 options, 12 bytes (IHL 8). */
static const guint8 ipv4_opts[] = {
    0x01,                         /* NOP */
    0x07, 0x07, 0x04, 0, 0, 0, 0, /* record route, room for one address */
    0x01, 0x01, 0x01,             /* NOP x3 */
    0x00,                         /* end of options list */
};

/* One of each walkable IPv6 extension header, 64 bytes, ending in TCP. */
static const guint8 ipv6_ext_chain[] = {
    /* hop-by-hop: next routing (43), 8 bytes, PadN of 4 */
    43, 0, 0x01, 0x04, 0, 0, 0, 0,
    /* routing: next destination options (60), 8 bytes, type 4, 0 left */
    60, 0, 4, 0, 0, 0, 0, 0,
    /* destination options: next AH (51), 16 bytes, PadN of 12 */
    51, 1, 0x01, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* AH: next fragment (44), (4 + 2) * 4 = 24 bytes */
    44, 4, 0, 0,                                /* reserved */
    0x00, 0x00, 0x01, 0x00,                     /* SPI 256 */
    0x00, 0x00, 0x00, 0x01,                     /* sequence 1 */
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,         /* ICV, 12 bytes */
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    /* atomic fragment (RFC 6946): next TCP, offset 0, M 0, id */
    6, 0, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef,
};

/* ---- frame builders: all integers are written big-endian ---- */

static void
put_bytes(GByteArray *b, const guint8 *p, gsize n)
{
    if (n > 0)
        g_byte_array_append(b, p, (guint)n);
}

static void
put8(GByteArray *b, guint8 v)
{
    put_bytes(b, &v, 1);
}

static void
put16(GByteArray *b, guint16 v)
{
    guint8 be[2] = { (guint8)(v >> 8), (guint8)v };

    put_bytes(b, be, 2);
}

static void
put32(GByteArray *b, guint32 v)
{
    put16(b, (guint16)(v >> 16));
    put16(b, (guint16)v);
}

/* The test segment: TEST_* header fields, opts (a multiple of 4 bytes),
 * then payload_len bytes of 'x'. */
static GByteArray *
tcp_segment(const guint8 *opts, gsize opts_len, guint payload_len)
{
    GByteArray *b = g_byte_array_new();

    g_assert_cmpuint(opts_len % 4, ==, 0);
    put16(b, TEST_SPORT);
    put16(b, TEST_DPORT);
    put32(b, TEST_SEQ);
    put32(b, TEST_ACK);
    put8(b, (guint8)(((20 + opts_len) / 4) << 4)); /* data offset */
    put8(b, TEST_FLAGS);
    put16(b, TEST_WINDOW);
    put16(b, 0xc0de); /* checksum: decode does not check it */
    put16(b, 0);      /* urgent pointer */
    put_bytes(b, opts, opts_len);
    for (guint i = 0; i < payload_len; i++)
        put8(b, 'x');
    return b;
}

static GByteArray *
std_tcp(void)
{
    return tcp_segment(synack_opts, sizeof synack_opts, TEST_PAYLOAD);
}

/* A UDP datagram, 5353 -> 53, with 4 bytes of payload. */
static GByteArray *
udp_datagram(void)
{
    GByteArray *b = g_byte_array_new();

    put16(b, 5353); /* source port */
    put16(b, 53);   /* destination port */
    put16(b, 12);   /* length */
    put16(b, 0);    /* checksum */
    put32(b, 0xdeadbeef);
    return b;
}

/* IPv4 client -> server, ID TEST_IP_ID, TTL 64, carrying l4. */
static GByteArray *
ipv4_packet(guint8 proto, guint16 frag, const guint8 *opts, gsize opts_len,
            const GByteArray *l4)
{
    GByteArray *b = g_byte_array_new();

    g_assert_cmpuint(opts_len % 4, ==, 0);
    put8(b, (guint8)(0x40 | ((20 + opts_len) / 4))); /* version 4, IHL */
    put8(b, 0);                                      /* TOS */
    put16(b, (guint16)(20 + opts_len + l4->len));    /* total length */
    put16(b, TEST_IP_ID);                            /* identification */
    put16(b, frag);                                  /* flags, offset */
    put8(b, 64);                                     /* TTL */
    put8(b, proto);                                  /* protocol */
    put16(b, 0);                                     /* header checksum */
    put_bytes(b, v4_client, 4);
    put_bytes(b, v4_server, 4);
    put_bytes(b, opts, opts_len);
    put_bytes(b, l4->data, l4->len);
    return b;
}

static GByteArray *
std_ipv4(void)
{
    g_autoptr(GByteArray) tcp = std_tcp();

    return ipv4_packet(PROTO_TCP, IPV4_DF, NULL, 0, tcp);
}

/* IPv6 client -> server, hop limit 64; ext is the extension-header chain
 * (which carries its own next-header bytes) between the header and l4. */
static GByteArray *
ipv6_packet(guint8 next, const guint8 *ext, gsize ext_len,
            const GByteArray *l4)
{
    GByteArray *b = g_byte_array_new();

    put32(b, 0x60012345);                    /* version 6, TC 0, flow */
    put16(b, (guint16)(ext_len + l4->len)); /* payload length */
    put8(b, next);                           /* next header */
    put8(b, 64);                             /* hop limit */
    put_bytes(b, v6_client, 16);
    put_bytes(b, v6_server, 16);
    put_bytes(b, ext, ext_len);
    put_bytes(b, l4->data, l4->len);
    return b;
}

static GByteArray *
std_ipv6(void)
{
    g_autoptr(GByteArray) tcp = std_tcp();

    return ipv6_packet(PROTO_TCP, NULL, 0, tcp);
}

/* Ethernet II: dst, src MAC, then each { TPID, TCI } tag, the EtherType
 * and pkt. */
static GByteArray *
eth_frame(const guint16 (*tags)[2], gsize n_tags, guint16 type,
          const GByteArray *pkt)
{
    static const guint8 macs[12] = {
        0x02, 0, 0, 0, 0, 0x02, /* destination (locally administered) */
        0x02, 0, 0, 0, 0, 0x01, /* source */
    };
    GByteArray *b = g_byte_array_new();

    put_bytes(b, macs, sizeof macs);
    for (gsize i = 0; i < n_tags; i++) {
        put16(b, tags[i][0]); /* TPID */
        put16(b, tags[i][1]); /* TCI: PCP 3, DEI 1, VID 12 bits */
    }
    put16(b, type);
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

/* Linux cooked v1 header (16 bytes) then pkt. */
static GByteArray *
sll_frame(guint16 proto, const GByteArray *pkt)
{
    static const guint8 addr[8] = { 0x02, 0, 0, 0, 0, 0x01, 0, 0 };
    GByteArray *b = g_byte_array_new();

    put16(b, 0);     /* packet type: to us */
    put16(b, 1);     /* ARPHRD_ETHER */
    put16(b, 6);     /* link-layer address length */
    put_bytes(b, addr, sizeof addr);
    put16(b, proto); /* protocol (EtherType) */
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

/* Linux cooked v2 header (20 bytes) then pkt. */
static GByteArray *
sll2_frame(guint16 proto, const GByteArray *pkt)
{
    static const guint8 addr[8] = { 0x02, 0, 0, 0, 0, 0x01, 0, 0 };
    GByteArray *b = g_byte_array_new();

    put16(b, proto); /* protocol (EtherType) */
    put16(b, 0);     /* reserved */
    put32(b, 2);     /* interface index */
    put16(b, 1);     /* ARPHRD_ETHER */
    put8(b, 4);      /* packet type: outgoing */
    put8(b, 6);      /* link-layer address length */
    put_bytes(b, addr, sizeof addr);
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

/* DLT_NULL/DLT_LOOP: a 4-byte address family in either byte order. */
static GByteArray *
family_frame(guint32 family, gboolean little_endian, const GByteArray *pkt)
{
    GByteArray *b = g_byte_array_new();

    put32(b, little_endian ? GUINT32_SWAP_LE_BE(family) : family);
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

static GByteArray *
raw_frame(const GByteArray *pkt)
{
    GByteArray *b = g_byte_array_new();

    put_bytes(b, pkt->data, pkt->len);
    return b;
}

/* An authentication header (RFC 4302 §2) before l4: next header, length
 * in 32-bit words less 2, reserved, SPI, sequence, then an ICV of
 * (len - 1) * 4 bytes (12 for len 4: HMAC-SHA1-96). */
static GByteArray *
ah_header(guint8 next, guint8 len, guint32 seq, const GByteArray *l4)
{
    GByteArray *b = g_byte_array_new();

    put8(b, next);
    put8(b, len);
    put16(b, 0);          /* reserved */
    put32(b, 0x00000100); /* SPI 256 */
    put32(b, seq);        /* sequence number */
    for (guint i = 1; i < len; i++)
        put32(b, 0xaaaaaaaa); /* ICV */
    put_bytes(b, l4->data, l4->len);
    return b;
}

/* IPv4 client -> server, AH (transport mode: SPI 256, sequence seq, a
 * 12-byte ICV), then the test segment. */
static GByteArray *
ipv4_ah_packet(guint32 seq)
{
    g_autoptr(GByteArray) tcp = std_tcp();
    g_autoptr(GByteArray) ah = ah_header(PROTO_TCP, 4, seq, tcp);

    return ipv4_packet(PROTO_AH, IPV4_DF, NULL, 0, ah);
}

/* A PPPoE session header (RFC 2516 §4: ver 1 and type 1, code 0,
 * session 0x2a, length) and the PPP protocol field, then pkt. */
static GByteArray *
pppoe_payload(guint16 ppp_proto, const GByteArray *pkt)
{
    GByteArray *b = g_byte_array_new();

    put8(b, 0x11);                        /* version 1, type 1 */
    put8(b, 0x00);                        /* code: session data */
    put16(b, 0x002a);                     /* session id */
    put16(b, (guint16)(2 + pkt->len));    /* length: PPP protocol + data */
    put16(b, ppp_proto);
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

/* An MPLS label stack of n entries (RFC 3032 §2.1), labels 16, 17, ...,
 * TC 0, TTL 64, the bottom-of-stack bit on the last, then pkt. */
static GByteArray *
mpls_payload(guint n, const GByteArray *pkt)
{
    GByteArray *b = g_byte_array_new();

    for (guint i = 0; i < n; i++)
        put32(b, ((16 + i) << 12) | (i + 1 == n ? 0x100u : 0) | 64);
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

/* ---- tunnels: the outer headers' addresses differ from the inner
 * ones (192.0.2.1 > 198.51.100.2), so that a test sees which were read */

/* An IPv4 tunnel packet 203.0.113.1 > 203.0.113.2 carrying l4. */
static GByteArray *
outer_ipv4(guint8 proto, const GByteArray *l4)
{
    static const guint8 addrs[8] = { 203, 0, 113, 1, 203, 0, 113, 2 };
    GByteArray *b = ipv4_packet(proto, IPV4_DF, NULL, 0, l4);

    memcpy(b->data + 12, addrs, sizeof addrs);
    return b;
}

/* An IPv6 tunnel packet 2001:db8:ff::1 > 2001:db8:ff::2 carrying l4. */
static GByteArray *
outer_ipv6(guint8 next, const GByteArray *l4)
{
    GByteArray *b = ipv6_packet(next, NULL, 0, l4);

    b->data[8 + 5] = 0xff;  /* source 2001:db8:ff::1 */
    b->data[24 + 5] = 0xff; /* destination 2001:db8:ff::2 */
    return b;
}

/* A GRE header (RFC 2784, 2890): flags and version, protocol type, then
 * checksum and reserved, key, sequence as the flags say; then pkt. */
static GByteArray *
gre_payload(guint16 flags, guint16 type, const GByteArray *pkt)
{
    GByteArray *b = g_byte_array_new();

    put16(b, flags);
    put16(b, type);
    if (flags & GRE_C)
        put32(b, 0xc0de0000); /* checksum, reserved */
    if (flags & GRE_K)
        put32(b, 0x00000100); /* key 256 */
    if (flags & GRE_S)
        put32(b, 7);          /* sequence number */
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

/* PPTP's enhanced GRE (RFC 2637 §4.1): version 1, K and S, payload
 * length, call id 42, sequence, then PPP (ff 03, protocol) and pkt. */
static GByteArray *
pptp_payload(guint16 ppp_proto, const GByteArray *pkt)
{
    GByteArray *b = g_byte_array_new();

    put16(b, GRE_K | GRE_S | 1);
    put16(b, ETH_PPP);
    put16(b, (guint16)(4 + pkt->len)); /* payload length */
    put16(b, 42);                      /* call id */
    put32(b, 1);                       /* sequence number */
    put8(b, 0xff);                     /* HDLC address */
    put8(b, 0x03);                     /* HDLC control */
    put16(b, ppp_proto);
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

/* ERSPAN type II (version 1: VLAN 5, session 9, index 0) or III
 * (version 2, frame type Ethernet, with the 8-byte platform subheader if
 * o), flags the COS/En/T/session word, then the mirrored frame. */
static GByteArray *
erspan_payload(guint version, guint16 flags, gboolean o,
               const GByteArray *frame)
{
    GByteArray *b = g_byte_array_new();

    put16(b, (guint16)((version << 12) | 5)); /* version, VLAN 5 */
    put16(b, flags);
    if (version == 1) {
        put32(b, 0); /* reserved, index */
    } else {
        put32(b, 0x01020304);        /* timestamp */
        put16(b, 0);                 /* SGT */
        put16(b, o ? 1 : 0);         /* P, FT 0, hw id, D, Gra, O */
        if (o)
            put32(b, 0), put32(b, 0); /* platform-specific subheader */
    }
    put_bytes(b, frame->data, frame->len);
    return b;
}

/* A UDP header to dport (source 49152), its length covering pkt. */
static GByteArray *
udp_payload(guint16 dport, const GByteArray *pkt)
{
    GByteArray *b = g_byte_array_new();

    put16(b, 49152);
    put16(b, dport);
    put16(b, (guint16)(8 + pkt->len));
    put16(b, 0); /* checksum: none */
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

/* VXLAN (RFC 7348): flags (I), reserved, VNI vni, reserved; frame. */
static GByteArray *
vxlan_payload(guint8 flags, guint32 vni, const GByteArray *frame)
{
    GByteArray *b = g_byte_array_new();

    put8(b, flags);
    put8(b, 0), put16(b, 0);
    put32(b, vni << 8);
    put_bytes(b, frame->data, frame->len);
    return b;
}

/* Geneve (RFC 8926): version ver, opt_words of options (one option
 * class 0x0101 type 1, the rest its data), protocol type, VNI 77. */
static GByteArray *
geneve_payload(guint8 ver, guint8 opt_words, guint16 type,
               const GByteArray *pkt)
{
    GByteArray *b = g_byte_array_new();

    put8(b, (guint8)((ver << 6) | opt_words));
    put8(b, 0); /* O, C, reserved */
    put16(b, type);
    put32(b, 77u << 8);
    if (opt_words > 0) {
        put16(b, 0x0101);                       /* option class */
        put8(b, 1);                             /* type */
        put8(b, (guint8)(opt_words - 1));       /* length in words */
        for (guint i = 1; i < opt_words; i++)
            put32(b, 0xabababab);
    }
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

/* An inner Ethernet frame (a tunnel's, a mirror's) with the tags. */
static GByteArray *
inner_eth(const guint16 (*tags)[2], gsize n_tags, const GByteArray *pkt)
{
    return eth_frame(tags, n_tags,
                     (pkt->data[0] >> 4) == 6 ? ETH_IPV6 : ETH_IPV4, pkt);
}

/* ---- decoding and checking ---- */

/* Decodes an exact-size heap copy, so that ASan reports any overread. */
static FsDecodeStatus
decode_cut(int linktype, const GByteArray *frame, guint caplen,
           guint wirelen, FsSegment *seg)
{
    g_autofree guint8 *copy = g_memdup2(frame->data, caplen);

    return fs_decode(linktype, copy, caplen, wirelen, seg);
}

static FsDecodeStatus
decode(int linktype, const GByteArray *frame, FsSegment *seg)
{
    return decode_cut(linktype, frame, frame->len, frame->len, seg);
}

static void
assert_addr(const FsAddr *addr, guint family, const char *text)
{
    char buf[FS_ENDPOINT_STRLEN];

    g_assert_cmpuint(addr->family, ==, family);
    fs_addr_format(addr, buf, sizeof buf);
    g_assert_cmpstr(buf, ==, text);
    if (family == 4) {
        for (guint i = 4; i < sizeof addr->bytes; i++)
            g_assert_cmpuint(addr->bytes[i], ==, 0);
    }
}

static void
assert_endpoints(const FsSegment *seg, guint ipver)
{
    if (ipver == 4) {
        assert_addr(&seg->src, 4, "192.0.2.1");
        assert_addr(&seg->dst, 4, "198.51.100.2");
    } else {
        assert_addr(&seg->src, 6, "2001:db8::1");
        assert_addr(&seg->dst, 6, "2001:db8::2");
    }
}

/* The TCP fields tcp_segment() writes, with synack_opts. */
static void
assert_std_tcp(const FsSegment *seg, guint32 payload_len)
{
    g_assert_cmpint(seg->ts, ==, 0);
    g_assert_cmpuint(seg->sport, ==, TEST_SPORT);
    g_assert_cmpuint(seg->dport, ==, TEST_DPORT);
    g_assert_cmphex(seg->seq, ==, TEST_SEQ);
    g_assert_cmphex(seg->ack, ==, TEST_ACK);
    g_assert_cmphex(seg->flags, ==, TEST_FLAGS);
    g_assert_cmpuint(seg->window, ==, TEST_WINDOW);
    g_assert_cmpuint(seg->mss, ==, 1460);
    g_assert_cmpuint(seg->wscale, ==, 7);
    g_assert_true(seg->sack_ok);
    g_assert_true(seg->has_ts);
    g_assert_cmphex(seg->tsval, ==, 0x11223344);
    g_assert_cmphex(seg->tsecr, ==, 0x55667788);
    g_assert_cmpuint(seg->payload_len, ==, payload_len);
    g_assert_cmpuint(seg->hdr_hash, !=, 0);
}

/* One valid frame per link type and IP version, for the table tests. */
typedef struct {
    const char *name;   /* for test messages */
    int linktype;       /* what fs_decode() is told */
    GByteArray *frame;  /* the whole frame */
    guint ipver;        /* 4 or 6 */
    guint32 vlan;       /* what seg->vlan must be */
    guint payload_len;  /* the trailing bytes that are not headers */
} LinkCase;

static void
link_case_free(gpointer data)
{
    LinkCase *lc = data;

    g_byte_array_unref(lc->frame);
    g_free(lc);
}

static void
add_case(GPtrArray *cases, const char *name, int linktype, GByteArray *frame,
         guint ipver, guint32 vlan)
{
    LinkCase *lc = g_new0(LinkCase, 1);

    lc->name = name;
    lc->linktype = linktype;
    lc->frame = frame;
    lc->ipver = ipver;
    lc->vlan = vlan;
    lc->payload_len = TEST_PAYLOAD;
    g_ptr_array_add(cases, lc);
}

/* 0x88a8 S-tag VID 10, then 0x8100 C-tag VID 20 (PCP 5). */
static const guint16 qinq_tags[2][2] = { { 0x88a8, 10 }, { 0x8100, 0xa014 } };
#define QINQ_VLAN ((10u << 12) | 20u)

static void
add_cases_for(GPtrArray *cases, guint ipver, const GByteArray *pkt)
{
    guint16 type = ipver == 4 ? ETH_IPV4 : ETH_IPV6;
    gboolean v4 = ipver == 4;

    add_case(cases, v4 ? "en10mb/4" : "en10mb/6", FS_DLT_EN10MB,
             eth_frame(NULL, 0, type, pkt), ipver, 0);
    add_case(cases, v4 ? "qinq/4" : "qinq/6", FS_DLT_EN10MB,
             eth_frame(qinq_tags, 2, type, pkt), ipver, QINQ_VLAN);
    add_case(cases, v4 ? "sll/4" : "sll/6", FS_DLT_LINUX_SLL,
             sll_frame(type, pkt), ipver, 0);
    add_case(cases, v4 ? "sll2/4" : "sll2/6", FS_DLT_LINUX_SLL2,
             sll2_frame(type, pkt), ipver, 0);
    add_case(cases, v4 ? "null-le/4" : "null-le/6", FS_DLT_NULL,
             family_frame(v4 ? 2 : 30, TRUE, pkt), ipver, 0);
    add_case(cases, v4 ? "null-be/4" : "null-be/6", FS_DLT_NULL,
             family_frame(v4 ? 2 : 24, FALSE, pkt), ipver, 0);
    add_case(cases, v4 ? "loop/4" : "loop/6", FS_DLT_LOOP,
             family_frame(v4 ? 2 : 28, FALSE, pkt), ipver, 0);
    add_case(cases, v4 ? "raw12/4" : "raw12/6", FS_DLT_RAW, raw_frame(pkt),
             ipver, 0);
    add_case(cases, v4 ? "raw14/4" : "raw14/6", 14, raw_frame(pkt), ipver, 0);
    add_case(cases, v4 ? "raw101/4" : "raw101/6", 101, raw_frame(pkt), ipver,
             0);
    add_case(cases, v4 ? "ipv4/4" : "ipv4/6", FS_DLT_IPV4, raw_frame(pkt),
             ipver, 0);
    add_case(cases, v4 ? "ipv6/4" : "ipv6/6", FS_DLT_IPV6, raw_frame(pkt),
             ipver, 0);
}

/* A frame of each tunnel and link encapsulation followed: the outer
 * and inner VLAN tags make the VLAN key, nothing else outside the inner
 * IP header does. */
/* eth_frame() and sll_frame() of a packet built for them alone. */
static GByteArray *
eth_owned(const guint16 (*tags)[2], gsize n_tags, guint16 type,
          GByteArray *pkt)
{
    GByteArray *b = eth_frame(tags, n_tags, type, pkt);

    g_byte_array_unref(pkt);
    return b;
}

static GByteArray *
sll_owned(guint16 proto, GByteArray *pkt)
{
    GByteArray *b = sll_frame(proto, pkt);

    g_byte_array_unref(pkt);
    return b;
}

static void
add_tunnel_cases(GPtrArray *cases, const GByteArray *v4, const GByteArray *v6)
{
    static const guint16 tag7[1][2] = { { 0x8100, 7 } };
    static const guint8 snap[8] = { 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00 };
    g_autoptr(GByteArray) e4 = inner_eth(NULL, 0, v4);
    g_autoptr(GByteArray) e6 = inner_eth(NULL, 0, v6);
    g_autoptr(GByteArray) e4_tag = inner_eth(tag7, 1, v4);
    g_autoptr(GByteArray) gre4 = gre_payload(0, ETH_IPV4, v4);
    g_autoptr(GByteArray) gre6 = gre_payload(GRE_C | GRE_K | GRE_S,
                                             ETH_IPV6, v6);
    g_autoptr(GByteArray) teb = gre_payload(GRE_K, ETH_TEB, e4_tag);
    g_autoptr(GByteArray) erspan1 = gre_payload(0, ETH_ERSPAN, e4);
    g_autoptr(GByteArray) er2 = erspan_payload(1, 9, FALSE, e4_tag);
    g_autoptr(GByteArray) erspan2 = gre_payload(GRE_S, ETH_ERSPAN, er2);
    g_autoptr(GByteArray) er3 = erspan_payload(2, 9, TRUE, e6);
    g_autoptr(GByteArray) erspan3 = gre_payload(GRE_S, ETH_ERSPAN3, er3);
    g_autoptr(GByteArray) pptp = pptp_payload(PPP_IPV4, v4);
    g_autoptr(GByteArray) vx = vxlan_payload(0x08, 100, e4);
    g_autoptr(GByteArray) vxlan4 = udp_payload(PORT_VXLAN, vx);
    g_autoptr(GByteArray) vx6 = vxlan_payload(0x08, 100, e6);
    g_autoptr(GByteArray) vxlan6 = udp_payload(PORT_VXLAN, vx6);
    g_autoptr(GByteArray) gv = geneve_payload(0, 3, ETH_TEB, e4_tag);
    g_autoptr(GByteArray) geneve4 = udp_payload(PORT_GENEVE, gv);
    g_autoptr(GByteArray) gv6 = geneve_payload(0, 0, ETH_IPV6, v6);
    g_autoptr(GByteArray) geneve6 = udp_payload(PORT_GENEVE, gv6);
    g_autoptr(GByteArray) gre_udp = udp_payload(PORT_GRE_UDP, gre4);
    g_autoptr(GByteArray) snap4 = g_byte_array_new();
    g_autoptr(GByteArray) pbb = g_byte_array_new();
    g_autoptr(GByteArray) ah6 = ah_header(PROTO_IPV6, 4, 1, v6);

    add_case(cases, "ipip/4in4", FS_DLT_EN10MB,
             eth_owned(NULL, 0, ETH_IPV4, outer_ipv4(PROTO_IPIP, v4)), 4, 0);
    add_case(cases, "ipip/6in4", FS_DLT_RAW, outer_ipv4(PROTO_IPV6, v6), 6,
             0);
    add_case(cases, "ipip/4in6", FS_DLT_EN10MB,
             eth_owned(qinq_tags, 2, ETH_IPV6, outer_ipv6(PROTO_IPIP, v4)),
             4, QINQ_VLAN);
    add_case(cases, "ipip/6in6", FS_DLT_LINUX_SLL,
             sll_owned(ETH_IPV6, outer_ipv6(PROTO_IPV6, v6)), 6, 0);
    add_case(cases, "ah-tunnel/6in4", FS_DLT_RAW, outer_ipv4(51, ah6), 6, 0);
    add_case(cases, "gre/4", FS_DLT_EN10MB,
             eth_owned(NULL, 0, ETH_IPV4, outer_ipv4(PROTO_GRE, gre4)), 4, 0);
    add_case(cases, "gre+c+k+s/6", FS_DLT_EN10MB,
             eth_owned(NULL, 0, ETH_IPV6, outer_ipv6(PROTO_GRE, gre6)), 6, 0);
    add_case(cases, "gre-teb/4", FS_DLT_EN10MB,
             eth_owned(tag7, 1, ETH_IPV4, outer_ipv4(PROTO_GRE, teb)), 4,
             (7u << 12) | 7u);
    add_case(cases, "erspan1/4", FS_DLT_EN10MB,
             eth_owned(NULL, 0, ETH_IPV4, outer_ipv4(PROTO_GRE, erspan1)), 4,
             0);
    add_case(cases, "erspan2/4", FS_DLT_EN10MB,
             eth_owned(NULL, 0, ETH_IPV4, outer_ipv4(PROTO_GRE, erspan2)), 4,
             7);
    add_case(cases, "erspan3/6", FS_DLT_EN10MB,
             eth_owned(NULL, 0, ETH_IPV4, outer_ipv4(PROTO_GRE, erspan3)), 6,
             0);
    add_case(cases, "pptp/4", FS_DLT_EN10MB,
             eth_owned(NULL, 0, ETH_IPV4, outer_ipv4(PROTO_GRE, pptp)), 4, 0);
    add_case(cases, "vxlan/4", FS_DLT_EN10MB,
             eth_owned(NULL, 0, ETH_IPV4, outer_ipv4(17, vxlan4)), 4, 0);
    add_case(cases, "vxlan/6", FS_DLT_EN10MB,
             eth_owned(NULL, 0, ETH_IPV6, outer_ipv6(17, vxlan6)), 6, 0);
    add_case(cases, "geneve-teb/4", FS_DLT_EN10MB,
             eth_owned(NULL, 0, ETH_IPV4, outer_ipv4(17, geneve4)), 4, 7);
    add_case(cases, "geneve-ip/6", FS_DLT_EN10MB,
             eth_owned(NULL, 0, ETH_IPV4, outer_ipv4(17, geneve6)), 6, 0);
    add_case(cases, "gre-udp/4", FS_DLT_EN10MB,
             eth_owned(NULL, 0, ETH_IPV6, outer_ipv6(17, gre_udp)), 4, 0);
    /* 802.3: a length, then LLC/SNAP (RFC 1042) naming IPv4 */
    put_bytes(snap4, snap, sizeof snap);
    put_bytes(snap4, v4->data, v4->len);
    add_case(cases, "llc-snap/4", FS_DLT_EN10MB,
             eth_frame(NULL, 0, (guint16)snap4->len, snap4), 4, 0);
    /* 802.1ah: B-tag VID 30, I-tag (I-SID 0x123456), the customer frame
     * with its C-tag VID 7 */
    put32(pbb, 0x00123456);
    put_bytes(pbb, e4_tag->data, e4_tag->len);
    {
        static const guint16 btag[1][2] = { { 0x88a8, 30 } };

        add_case(cases, "pbb/4", FS_DLT_EN10MB,
                 eth_frame(btag, 1, ETH_PBB, pbb), 4, (30u << 12) | 7u);
    }
}

/* ---- the link types of captures from routers, taps and radios ---- */

/* PPP (LINKTYPE_PPP): address 0xff and control 0x03 when framed, then
 * the protocol, 1 byte when compressed (pfc) and odd. */
static GByteArray *
ppp_frame(gboolean framed, gboolean pfc, guint16 proto, const GByteArray *pkt)
{
    GByteArray *b = g_byte_array_new();

    if (framed) {
        put8(b, 0xff);
        put8(b, 0x03);
    }
    if (pfc)
        put8(b, (guint8)proto);
    else
        put16(b, proto);
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

/* Cisco HDLC: unicast address 0x0f, control 0, EtherType. */
static GByteArray *
chdlc_frame(guint16 type, const GByteArray *pkt)
{
    GByteArray *b = g_byte_array_new();

    put8(b, 0x0f);
    put8(b, 0x00);
    put16(b, type);
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

static const guint8 snap_hdr[6] = { 0xaa, 0xaa, 0x03, 0, 0, 0 };

/* FDDI: frame control fc, two MACs, LLC/SNAP with type. */
static GByteArray *
fddi_frame(guint8 fc, guint16 type, const GByteArray *pkt)
{
    GByteArray *b = g_byte_array_new();

    put8(b, fc);
    for (guint i = 0; i < 12; i++)
        put8(b, (guint8)(0x10 + i));
    put_bytes(b, snap_hdr, sizeof snap_hdr);
    put16(b, type);
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

/* One NFLOG TLV in this host's byte order, padded to 4 bytes (but the
 * last, whose padding the link-case tables would take for payload). */
static void
put_nflog_tlv(GByteArray *b, guint16 type, const guint8 *v, guint16 n,
              gboolean pad)
{
    guint16 len = (guint16)(4 + n);
    static const guint8 zero[3] = { 0, 0, 0 };

    g_byte_array_append(b, (const guint8 *)&len, 2);
    g_byte_array_append(b, (const guint8 *)&type, 2);
    put_bytes(b, v, n);
    if (pad)
        put_bytes(b, zero, (4 - n % 4) % 4);
}

/* NFLOG: family, version 0, group 5, a mark TLV, a 5-byte prefix TLV
 * (padded), then the packet in the payload TLV. */
static GByteArray *
nflog_frame(guint8 family, const GByteArray *pkt)
{
    static const guint8 mark[4] = { 0, 0, 0, 1 };
    static const guint8 prefix[5] = { 'f', 'i', 'n', '!', 0 };
    GByteArray *b = g_byte_array_new();

    put8(b, family);
    put8(b, 0);
    put16(b, 5);
    put_nflog_tlv(b, 2, mark, sizeof mark, TRUE);
    put_nflog_tlv(b, 10, prefix, sizeof prefix, TRUE);
    put_nflog_tlv(b, 9, pkt->data, (guint16)pkt->len, FALSE);
    return b;
}

/* IPoIB as libpcap writes it: 40 bytes of address (a destination QPN
 * and GID), the type, 2 reserved bytes. */
static GByteArray *
ipoib_frame(guint16 type, const GByteArray *pkt)
{
    GByteArray *b = g_byte_array_new();

    for (guint i = 0; i < 20; i++)
        put8(b, 0);
    put32(b, 0x80000550);
    for (guint i = 0; i < 16; i++)
        put8(b, (guint8)(i == 0 ? 0xfe : i == 1 ? 0x80 : i));
    put16(b, type);
    put16(b, 0);
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

/* An 802.11 data frame: fc0 (0x08 data, 0x88 QoS data), flags fc1,
 * three or (to and from DS) four addresses, QoS control (and HT control
 * with the order flag) for QoS data; pad bytes of padding (radiotap's
 * data pad); LLC/SNAP with type. */
static GByteArray *
wlan_frame(guint8 fc0, guint8 fc1, guint pad, guint16 type,
           const GByteArray *pkt)
{
    GByteArray *b = g_byte_array_new();

    put8(b, fc0);
    put8(b, fc1);
    put16(b, 0x3a01); /* duration */
    for (guint i = 0; i < 18; i++)
        put8(b, (guint8)(0x20 + i));
    put16(b, 0x1000); /* sequence control: sequence 1, fragment 0 */
    if ((fc1 & 0x03) == 0x03)
        for (guint i = 0; i < 6; i++)
            put8(b, (guint8)(0x40 + i));
    if (fc0 & 0x80) {
        put16(b, 0x0600); /* TID 6 */
        if (fc1 & 0x80)
            put32(b, 0);
    }
    for (guint i = 0; i < pad; i++)
        put8(b, 0);
    put_bytes(b, snap_hdr, sizeof snap_hdr);
    put16(b, type);
    put_bytes(b, pkt->data, pkt->len);
    return b;
}

/* radiotap: two present words (TSFT and flags, then an empty one), the
 * TSF aligned to 8, the flags byte, a channel (rate) byte; then the
 * 802.11 frame. */
static GByteArray *
radiotap_frame(guint8 flags, const GByteArray *wlan)
{
    GByteArray *b = g_byte_array_new();
    static const guint8 le_hdr[12] = {
        0, 0, 26, 0,             /* version, pad, length 26 */
        0x07, 0, 0, 0x80,        /* TSFT, flags, rate; another word */
        0, 0, 0, 0,              /* the second present word */
    };

    put_bytes(b, le_hdr, sizeof le_hdr);
    put32(b, 0);                 /* alignment of the TSF to 8 */
    for (guint i = 0; i < 8; i++)
        put8(b, (guint8)i);      /* TSF */
    put8(b, flags);
    put8(b, 0x0c);               /* rate 6 Mb/s */
    put_bytes(b, wlan->data, wlan->len);
    return b;
}

/* PPI: version 0, flags 0, length 12 (one 4-byte field), the DLT, a
 * field; then the frame. */
static GByteArray *
ppi_frame(guint32 dlt, const GByteArray *frame)
{
    GByteArray *b = g_byte_array_new();

    put8(b, 0);
    put8(b, 0);
    put8(b, 12);
    put8(b, 0);
    put8(b, (guint8)dlt);
    put8(b, (guint8)(dlt >> 8));
    put8(b, (guint8)(dlt >> 16));
    put8(b, (guint8)(dlt >> 24));
    put32(b, 0x02000000); /* a field: type 2, length 0 (as bytes) */
    put_bytes(b, frame->data, frame->len);
    return b;
}

/* Juniper Ethernet: "MGC", flags, with the extension flag 16 bytes of
 * TLVs; then the Ethernet frame. */
static GByteArray *
juniper_frame(guint8 flags, const GByteArray *eth)
{
    GByteArray *b = g_byte_array_new();

    put32(b, 0x4d474300u | flags);
    if (flags & 0x80) {
        put16(b, 16);
        for (guint i = 0; i < 16; i++)
            put8(b, (guint8)i);
    }
    put_bytes(b, eth->data, eth->len);
    return b;
}

static void
add_more_link_cases(GPtrArray *cases, const GByteArray *v4,
                    const GByteArray *v6)
{
    g_autoptr(GByteArray) mpls4 = mpls_payload(2, v4);
    g_autoptr(GByteArray) qos4 = wlan_frame(0x88, 0x02, 2, ETH_IPV4, v4);
    g_autoptr(GByteArray) wlan6 = wlan_frame(0x08, 0x01, 0, ETH_IPV6, v6);
    g_autoptr(GByteArray) wlan4 = wlan_frame(0x08, 0x02, 0, ETH_IPV4, v4);
    g_autoptr(GByteArray) eth4 = eth_frame(NULL, 0, ETH_IPV4, v4);
    g_autoptr(GByteArray) eth6 = eth_frame(NULL, 0, ETH_IPV6, v6);

    add_case(cases, "ppp-framed/4", FS_DLT_PPP,
             ppp_frame(TRUE, FALSE, PPP_IPV4, v4), 4, 0);
    add_case(cases, "ppp/6", FS_DLT_PPP, ppp_frame(FALSE, FALSE, PPP_IPV6, v6),
             6, 0);
    add_case(cases, "ppp-pfc/4", FS_DLT_PPP, ppp_frame(FALSE, TRUE, 0x21, v4),
             4, 0);
    add_case(cases, "ppp-mpls/4", FS_DLT_PPP,
             ppp_frame(TRUE, FALSE, 0x0281, mpls4), 4, 0);
    add_case(cases, "ppp-chdlc/4", FS_DLT_PPP, chdlc_frame(ETH_IPV4, v4), 4,
             0);
    add_case(cases, "chdlc/4", FS_DLT_C_HDLC, chdlc_frame(ETH_IPV4, v4), 4, 0);
    add_case(cases, "chdlc/6", FS_DLT_C_HDLC, chdlc_frame(ETH_IPV6, v6), 6, 0);
    add_case(cases, "fddi/4", FS_DLT_FDDI, fddi_frame(0x50, ETH_IPV4, v4), 4,
             0);
    add_case(cases, "fddi/6", FS_DLT_FDDI, fddi_frame(0x57, ETH_IPV6, v6), 6,
             0);
    add_case(cases, "nflog/4", FS_DLT_NFLOG, nflog_frame(2, v4), 4, 0);
    add_case(cases, "nflog/6", FS_DLT_NFLOG, nflog_frame(10, v6), 6, 0);
    add_case(cases, "ipoib/4", FS_DLT_IPOIB, ipoib_frame(ETH_IPV4, v4), 4, 0);
    add_case(cases, "ipoib/6", FS_DLT_IPOIB, ipoib_frame(ETH_IPV6, v6), 6, 0);
    add_case(cases, "80211/4", FS_DLT_IEEE802_11,
             wlan_frame(0x08, 0x02, 0, ETH_IPV4, v4), 4, 0);
    add_case(cases, "80211-qos-4addr-htc/6", FS_DLT_IEEE802_11,
             wlan_frame(0x88, 0x83, 0, ETH_IPV6, v6), 6, 0);
    /* QoS data, from DS, padded to 28 bytes (radiotap's data pad) */
    add_case(cases, "radiotap-datapad/4", FS_DLT_IEEE802_11_RADIO,
             radiotap_frame(0x20, qos4), 4, 0);
    add_case(cases, "radiotap/6", FS_DLT_IEEE802_11_RADIO,
             radiotap_frame(0x00, wlan6), 6, 0);
    add_case(cases, "ppi-80211/4", FS_DLT_PPI,
             ppi_frame(105, wlan4), 4, 0);
    add_case(cases, "ppi-en10mb/6", FS_DLT_PPI,
             ppi_frame(1, eth6), 6, 0);
    add_case(cases, "juniper-ether/4", FS_DLT_JUNIPER_ETHER,
             juniper_frame(0x80, eth4), 4, 0);
    add_case(cases, "juniper-ether-noext/6", FS_DLT_JUNIPER_ETHER,
             juniper_frame(0x00, eth6), 6, 0);
}

static GPtrArray *
link_cases(void)
{
    GPtrArray *cases = g_ptr_array_new_with_free_func(link_case_free);
    g_autoptr(GByteArray) tcp = std_tcp();
    g_autoptr(GByteArray) v4 = std_ipv4();
    g_autoptr(GByteArray) v6 = std_ipv6();
    g_autoptr(GByteArray) v4_opts =
        ipv4_packet(PROTO_TCP, IPV4_DF, ipv4_opts, sizeof ipv4_opts, tcp);
    g_autoptr(GByteArray) v6_ext = ipv6_packet(
        0, ipv6_ext_chain, sizeof ipv6_ext_chain, tcp);
    g_autoptr(GByteArray) v4_ah = ipv4_ah_packet(1);
    g_autoptr(GByteArray) pppoe4 = pppoe_payload(PPP_IPV4, v4);
    g_autoptr(GByteArray) pppoe6 = pppoe_payload(PPP_IPV6, v6);
    g_autoptr(GByteArray) mpls4 = mpls_payload(1, v4);
    g_autoptr(GByteArray) mpls6 = mpls_payload(3, v6);

    add_cases_for(cases, 4, v4);
    add_cases_for(cases, 6, v6);
    add_case(cases, "en10mb/4+options", FS_DLT_EN10MB,
             eth_frame(NULL, 0, ETH_IPV4, v4_opts), 4, 0);
    add_case(cases, "en10mb/6+ext", FS_DLT_EN10MB,
             eth_frame(NULL, 0, ETH_IPV6, v6_ext), 6, 0);
    add_case(cases, "en10mb/4+ah", FS_DLT_EN10MB,
             eth_frame(NULL, 0, ETH_IPV4, v4_ah), 4, 0);
    add_case(cases, "qinq+pppoe/4", FS_DLT_EN10MB,
             eth_frame(qinq_tags, 2, ETH_PPPOE, pppoe4), 4, QINQ_VLAN);
    add_case(cases, "pppoe/6", FS_DLT_EN10MB,
             eth_frame(NULL, 0, ETH_PPPOE, pppoe6), 6, 0);
    add_case(cases, "sll+pppoe/4", FS_DLT_LINUX_SLL,
             sll_frame(ETH_PPPOE, pppoe4), 4, 0);
    add_case(cases, "mpls/4", FS_DLT_EN10MB,
             eth_frame(NULL, 0, ETH_MPLS, mpls4), 4, 0);
    add_case(cases, "qinq+mpls/6", FS_DLT_EN10MB,
             eth_frame(qinq_tags, 2, ETH_MPLS, mpls6), 6, QINQ_VLAN);
    add_tunnel_cases(cases, v4, v6);
    add_more_link_cases(cases, v4, v6);
    return cases;
}

static void
assert_case_segment(const LinkCase *lc, const FsSegment *seg)
{
    assert_endpoints(seg, lc->ipver);
    assert_std_tcp(seg, lc->payload_len);
    g_assert_cmpuint(seg->vlan, ==, lc->vlan);
}

/* ---- tests ---- */

static void
test_status_name(void)
{
    g_assert_cmpstr(fs_decode_status_name(FS_DECODE_OK), ==, "ok");
    g_assert_cmpstr(fs_decode_status_name(FS_DECODE_NOT_IP), ==, "not_ip");
    g_assert_cmpstr(fs_decode_status_name(FS_DECODE_NOT_TCP), ==, "not_tcp");
    g_assert_cmpstr(fs_decode_status_name(FS_DECODE_FRAGMENT), ==,
                    "ip_fragment");
    g_assert_cmpstr(fs_decode_status_name(FS_DECODE_TRUNCATED), ==,
                    "truncated");
    g_assert_cmpstr(fs_decode_status_name(FS_DECODE_INVALID), ==, "invalid");
}

static void
test_linktype_supported(void)
{
    static const int yes[] = { 0,   1,   9,   10,  12,  14,  101, 104, 105,
                               108, 113, 127, 178, 192, 228, 229, 239, 242,
                               276 };
    static const int no[] = { -1, 2, 8, 50, 107, 129, 137, 147, 1000 };

    for (gsize i = 0; i < G_N_ELEMENTS(yes); i++)
        g_assert_true(fs_decode_linktype_supported(yes[i]));
    for (gsize i = 0; i < G_N_ELEMENTS(no); i++)
        g_assert_true(!fs_decode_linktype_supported(no[i]));
}

/* Link types are checked when a capture is opened; a pcapng interface
 * of another, beside those of types decoded, is read: its packets are
 * not IP to us. */
static void
test_unsupported_linktype(void)
{
    static const guint8 byte = 0x45; /* would be an IPv4 header */
    FsSegment seg;

    g_assert_cmpint(fs_decode(147, &byte, 1, 1, &seg), ==, FS_DECODE_NOT_IP);
    g_assert_cmpint(fs_decode_general(274, &byte, 1, 1, &seg), ==,
                    FS_DECODE_NOT_IP);
}

static void
test_ethernet_ipv4(void)
{
    g_autoptr(GByteArray) pkt = std_ipv4();
    g_autoptr(GByteArray) frame = eth_frame(NULL, 0, ETH_IPV4, pkt);
    FsSegment seg;

    g_assert_cmpuint(frame->len, ==, 14 + 20 + 40 + TEST_PAYLOAD);
    g_assert_cmpint(decode(FS_DLT_EN10MB, frame, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 4);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpuint(seg.vlan, ==, 0);
}

static void
test_ethernet_ipv6(void)
{
    g_autoptr(GByteArray) pkt = std_ipv6();
    g_autoptr(GByteArray) frame = eth_frame(NULL, 0, ETH_IPV6, pkt);
    g_autoptr(GByteArray) mislabelled = eth_frame(NULL, 0, ETH_IPV4, pkt);
    FsSegment seg;

    g_assert_cmpint(decode(FS_DLT_EN10MB, frame, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 6);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpuint(seg.vlan, ==, 0);
    /* EtherType IPv4 but version nibble 6: the header lies */
    g_assert_cmpint(decode(FS_DLT_EN10MB, mislabelled, &seg), ==,
                    FS_DECODE_INVALID);
}

static void
test_vlan_single(void)
{
    /* one 802.1Q tag: PCP 5, VID 100 */
    static const guint16 tag[1][2] = { { 0x8100, 0xa064 } };
    /* a priority tag: PCP 7, VID 0, which means untagged */
    static const guint16 prio[1][2] = { { 0x8100, 0xe000 } };
    g_autoptr(GByteArray) pkt = std_ipv4();
    g_autoptr(GByteArray) frame = eth_frame(tag, 1, ETH_IPV4, pkt);
    g_autoptr(GByteArray) prio_frame = eth_frame(prio, 1, ETH_IPV4, pkt);
    FsSegment seg;

    g_assert_cmpint(decode(FS_DLT_EN10MB, frame, &seg), ==, FS_DECODE_OK);
    g_assert_cmpuint(seg.vlan, ==, 100);
    assert_endpoints(&seg, 4);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpint(decode(FS_DLT_EN10MB, prio_frame, &seg), ==,
                    FS_DECODE_OK);
    g_assert_cmpuint(seg.vlan, ==, 0);
}

static void
test_vlan_qinq(void)
{
    /* 0x9100 outer VID 300, 0x8100 inner VID 7 */
    static const guint16 old_qinq[2][2] = { { 0x9100, 300 }, { 0x8100, 7 } };
    /* three tags, VIDs 1, 2, 3: only the first two are kept */
    static const guint16 three[3][2] = {
        { 0x88a8, 1 }, { 0x8100, 2 }, { 0x8100, 3 },
    };
    g_autoptr(GByteArray) pkt = std_ipv6();
    g_autoptr(GByteArray) ad = eth_frame(qinq_tags, 2, ETH_IPV6, pkt);
    g_autoptr(GByteArray) old = eth_frame(old_qinq, 2, ETH_IPV6, pkt);
    g_autoptr(GByteArray) deep = eth_frame(three, 3, ETH_IPV6, pkt);
    FsSegment seg;

    g_assert_cmpint(decode(FS_DLT_EN10MB, ad, &seg), ==, FS_DECODE_OK);
    g_assert_cmpuint(seg.vlan, ==, (10u << 12) | 20u);
    assert_endpoints(&seg, 6);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpint(decode(FS_DLT_EN10MB, old, &seg), ==, FS_DECODE_OK);
    g_assert_cmpuint(seg.vlan, ==, (300u << 12) | 7u);
    g_assert_cmpint(decode(FS_DLT_EN10MB, deep, &seg), ==, FS_DECODE_OK);
    g_assert_cmpuint(seg.vlan, ==, (1u << 12) | 2u);
    assert_std_tcp(&seg, TEST_PAYLOAD);
}

static void
test_sll(void)
{
    g_autoptr(GByteArray) v4 = std_ipv4();
    g_autoptr(GByteArray) v6 = std_ipv6();
    g_autoptr(GByteArray) f4 = sll_frame(ETH_IPV4, v4);
    g_autoptr(GByteArray) f6 = sll_frame(ETH_IPV6, v6);
    g_autoptr(GByteArray) tag_ip = g_byte_array_new();
    g_autoptr(GByteArray) tagged = NULL;
    FsSegment seg;

    g_assert_cmpuint(f4->len, ==, 16 + v4->len);
    g_assert_cmpint(decode(FS_DLT_LINUX_SLL, f4, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 4);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpuint(seg.vlan, ==, 0);
    g_assert_cmpint(decode(FS_DLT_LINUX_SLL, f6, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 6);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    /* protocol 0x8100: the rest of the tag follows, as on Ethernet */
    put16(tag_ip, 100);      /* TCI: VID 100 */
    put16(tag_ip, ETH_IPV4); /* EtherType */
    put_bytes(tag_ip, v4->data, v4->len);
    tagged = sll_frame(0x8100, tag_ip);
    g_assert_cmpint(decode(FS_DLT_LINUX_SLL, tagged, &seg), ==,
                    FS_DECODE_OK);
    g_assert_cmpuint(seg.vlan, ==, 100);
    assert_std_tcp(&seg, TEST_PAYLOAD);
}

static void
test_sll2(void)
{
    g_autoptr(GByteArray) v4 = std_ipv4();
    g_autoptr(GByteArray) v6 = std_ipv6();
    g_autoptr(GByteArray) f4 = sll2_frame(ETH_IPV4, v4);
    g_autoptr(GByteArray) f6 = sll2_frame(ETH_IPV6, v6);
    FsSegment seg;

    g_assert_cmpuint(f4->len, ==, 20 + v4->len);
    g_assert_cmpint(decode(FS_DLT_LINUX_SLL2, f4, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 4);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpint(decode(FS_DLT_LINUX_SLL2, f6, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 6);
    assert_std_tcp(&seg, TEST_PAYLOAD);
}

static void
test_null(void)
{
    /* AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux) */
    static const guint32 inet6[] = { 24, 28, 30, 10 };
    g_autoptr(GByteArray) v4 = std_ipv4();
    g_autoptr(GByteArray) v6 = std_ipv6();
    g_autoptr(GByteArray) le4 = family_frame(2, TRUE, v4);  /* 02 00 00 00 */
    g_autoptr(GByteArray) be4 = family_frame(2, FALSE, v4); /* 00 00 00 02 */
    g_autoptr(GByteArray) unix_af = family_frame(1, TRUE, v4); /* AF_UNIX */
    FsSegment seg;

    g_assert_cmpint(decode(FS_DLT_NULL, le4, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 4);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpint(decode(FS_DLT_NULL, be4, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 4);
    for (gsize i = 0; i < G_N_ELEMENTS(inet6); i++) {
        for (int le = 0; le < 2; le++) {
            g_autoptr(GByteArray) f = family_frame(inet6[i], le, v6);

            g_assert_cmpint(decode(FS_DLT_NULL, f, &seg), ==, FS_DECODE_OK);
            assert_endpoints(&seg, 6);
            assert_std_tcp(&seg, TEST_PAYLOAD);
        }
    }
    g_assert_cmpint(decode(FS_DLT_NULL, unix_af, &seg), ==,
                    FS_DECODE_NOT_IP);
}

static void
test_loop(void)
{
    g_autoptr(GByteArray) v4 = std_ipv4();
    g_autoptr(GByteArray) v6 = std_ipv6();
    g_autoptr(GByteArray) be4 = family_frame(2, FALSE, v4);  /* 00 00 00 02 */
    g_autoptr(GByteArray) be6 = family_frame(30, FALSE, v6); /* 00 00 00 1e */
    g_autoptr(GByteArray) le4 = family_frame(2, TRUE, v4);   /* 02 00 00 00 */
    FsSegment seg;

    g_assert_cmpint(decode(FS_DLT_LOOP, be4, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 4);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpint(decode(FS_DLT_LOOP, be6, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 6);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    /* DLT_LOOP is always network byte order */
    g_assert_cmpint(decode(FS_DLT_LOOP, le4, &seg), ==, FS_DECODE_NOT_IP);
}

static void
test_raw(void)
{
    static const int raw_types[] = { FS_DLT_RAW, 14, 101, FS_DLT_IPV4,
                                     FS_DLT_IPV6 };
    g_autoptr(GByteArray) v4 = std_ipv4();
    g_autoptr(GByteArray) v6 = std_ipv6();
    g_autoptr(GByteArray) v5 = std_ipv4();
    g_autoptr(GByteArray) empty = g_byte_array_new();
    FsSegment seg;

    v5->data[0] = 0x55; /* version 5, IHL 5: not IPv4 or IPv6 */
    for (gsize i = 0; i < G_N_ELEMENTS(raw_types); i++) {
        int lt = raw_types[i];

        g_assert_cmpint(decode(lt, v4, &seg), ==, FS_DECODE_OK);
        assert_endpoints(&seg, 4);
        assert_std_tcp(&seg, TEST_PAYLOAD);
        g_assert_cmpint(decode(lt, v6, &seg), ==, FS_DECODE_OK);
        assert_endpoints(&seg, 6);
        assert_std_tcp(&seg, TEST_PAYLOAD);
        g_assert_cmpint(decode(lt, v5, &seg), ==, FS_DECODE_INVALID);
        g_assert_cmpint(decode(lt, empty, &seg), ==, FS_DECODE_TRUNCATED);
    }
}

/* Appends an 8-byte destination-options header pointing at next. */
static void
put_dstopts(GByteArray *b, guint8 next)
{
    static const guint8 padn[6] = { 0x01, 0x04, 0, 0, 0, 0 }; /* PadN of 4 */

    put8(b, next);
    put8(b, 0); /* length: (0 + 1) * 8 bytes */
    put_bytes(b, padn, sizeof padn);
}

/* An IPv6 packet with n destination-options headers before TCP. */
static GByteArray *
ipv6_with_dstopts(guint n)
{
    g_autoptr(GByteArray) tcp = std_tcp();
    g_autoptr(GByteArray) ext = g_byte_array_new();

    for (guint i = 0; i < n; i++)
        put_dstopts(ext, i + 1 < n ? PROTO_DSTOPTS : PROTO_TCP);
    return ipv6_packet(PROTO_DSTOPTS, ext->data, ext->len, tcp);
}

static void
test_ipv6_ext_headers(void)
{
    /* hop-by-hop claiming (200 + 1) * 8 bytes, past the payload length */
    static const guint8 long_hbh[8] = { 6, 200, 0x01, 0x04, 0, 0, 0, 0 };
    g_autoptr(GByteArray) tcp = std_tcp();
    g_autoptr(GByteArray) udp = udp_datagram();
    g_autoptr(GByteArray) chain =
        ipv6_packet(0, ipv6_ext_chain, sizeof ipv6_ext_chain, tcp);
    g_autoptr(GByteArray) eight = ipv6_with_dstopts(8);
    g_autoptr(GByteArray) nine = ipv6_with_dstopts(9);
    g_autoptr(GByteArray) esp = ipv6_packet(PROTO_ESP, NULL, 0, udp);
    g_autoptr(GByteArray) none = ipv6_packet(PROTO_NONE, NULL, 0, udp);
    g_autoptr(GByteArray) lying = ipv6_packet(0, long_hbh, 8, tcp);
    g_autoptr(GByteArray) jumbo = std_ipv6();
    FsSegment seg;

    g_assert_cmpint(decode(FS_DLT_RAW, chain, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 6);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpint(decode(FS_DLT_RAW, eight, &seg), ==, FS_DECODE_OK);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpint(decode(FS_DLT_RAW, nine, &seg), ==, FS_DECODE_INVALID);
    g_assert_cmpint(decode(FS_DLT_RAW, esp, &seg), ==, FS_DECODE_NOT_TCP);
    g_assert_cmpint(decode(FS_DLT_RAW, none, &seg), ==, FS_DECODE_NOT_TCP);
    g_assert_cmpint(decode(FS_DLT_RAW, lying, &seg), ==, FS_DECODE_INVALID);
    jumbo->data[4] = 0; /* payload length 0: a jumbogram */
    jumbo->data[5] = 0;
    g_assert_cmpint(decode(FS_DLT_RAW, jumbo, &seg), ==, FS_DECODE_INVALID);
}

static void
test_ipv6_fragment(void)
{
    /* fragment header: next TCP, reserved, offset 185 (x8 bytes), M 0 */
    static const guint8 later[8] = { 6, 0, 0x05, 0xc8, 0, 0, 0, 1 };
    /* offset 0, M 1: the first fragment */
    static const guint8 first[8] = { 6, 0, 0x00, 0x01, 0, 0, 0, 2 };
    /* offset 0, M 0, reserved bits set: atomic (RFC 6946) */
    static const guint8 atomic[8] = { 6, 0, 0x00, 0x06, 0, 0, 0, 3 };
    /* atomic, but the next header is UDP */
    static const guint8 atomic_udp[8] = { 17, 0, 0x00, 0x00, 0, 0, 0, 4 };
    g_autoptr(GByteArray) tcp = std_tcp();
    g_autoptr(GByteArray) udp = udp_datagram();
    g_autoptr(GByteArray) f_later = ipv6_packet(PROTO_FRAGMENT, later, 8, tcp);
    g_autoptr(GByteArray) f_first = ipv6_packet(PROTO_FRAGMENT, first, 8, tcp);
    g_autoptr(GByteArray) f_atomic =
        ipv6_packet(PROTO_FRAGMENT, atomic, 8, tcp);
    g_autoptr(GByteArray) f_udp =
        ipv6_packet(PROTO_FRAGMENT, atomic_udp, 8, udp);
    FsSegment seg;

    g_assert_cmpint(decode(FS_DLT_RAW, f_later, &seg), ==,
                    FS_DECODE_FRAGMENT);
    g_assert_cmpint(decode(FS_DLT_RAW, f_first, &seg), ==,
                    FS_DECODE_FRAGMENT);
    g_assert_cmpint(decode(FS_DLT_RAW, f_atomic, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 6);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpint(decode(FS_DLT_RAW, f_udp, &seg), ==, FS_DECODE_NOT_TCP);
}

static void
test_ipv4_fragment(void)
{
    g_autoptr(GByteArray) tcp = std_tcp();
    g_autoptr(GByteArray) udp = udp_datagram();
    g_autoptr(GByteArray) mf = ipv4_packet(PROTO_TCP, IPV4_MF, NULL, 0, tcp);
    g_autoptr(GByteArray) off = ipv4_packet(PROTO_TCP, 185, NULL, 0, tcp);
    g_autoptr(GByteArray) df = ipv4_packet(PROTO_TCP, IPV4_DF, NULL, 0, tcp);
    g_autoptr(GByteArray) udp_mf =
        ipv4_packet(PROTO_UDP, IPV4_MF, NULL, 0, udp);
    FsSegment seg;

    g_assert_cmpint(decode(FS_DLT_RAW, mf, &seg), ==, FS_DECODE_FRAGMENT);
    g_assert_cmpint(decode(FS_DLT_RAW, off, &seg), ==, FS_DECODE_FRAGMENT);
    g_assert_cmpint(decode(FS_DLT_RAW, udp_mf, &seg), ==,
                    FS_DECODE_FRAGMENT);
    g_assert_cmpint(decode(FS_DLT_RAW, df, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 4);
    assert_std_tcp(&seg, TEST_PAYLOAD);
}

static void
test_ipv4_options(void)
{
    /* record route, 39 bytes, pointer 4, nine empty slots; then EOL */
    static const guint8 rr[40] = { 0x07, 39, 4 };
    g_autoptr(GByteArray) tcp = std_tcp();
    g_autoptr(GByteArray) short_opts =
        ipv4_packet(PROTO_TCP, 0, ipv4_opts, sizeof ipv4_opts, tcp);
    g_autoptr(GByteArray) full_opts =
        ipv4_packet(PROTO_TCP, 0, rr, sizeof rr, tcp);
    g_autoptr(GByteArray) frame = eth_frame(NULL, 0, ETH_IPV4, short_opts);
    FsSegment seg;

    g_assert_cmphex(short_opts->data[0], ==, 0x48);
    g_assert_cmpint(decode(FS_DLT_EN10MB, frame, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 4);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmphex(full_opts->data[0], ==, 0x4f);
    g_assert_cmpint(decode(FS_DLT_RAW, full_opts, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 4);
    assert_std_tcp(&seg, TEST_PAYLOAD);
}

/* IPv4, AH in transport mode (RFC 4302), TCP: F8 of the round-18p audit
 * (IPv6's AH was followed, IPv4's was "not_tcp"). */
static void
test_ipv4_ah(void)
{
    g_autoptr(GByteArray) tcp = std_tcp();
    g_autoptr(GByteArray) udp = udp_datagram();
    g_autoptr(GByteArray) v4_ah = ipv4_ah_packet(1);
    g_autoptr(GByteArray) frame = eth_frame(NULL, 0, ETH_IPV4, v4_ah);
    g_autoptr(GByteArray) next_seq = ipv4_ah_packet(2);
    g_autoptr(GByteArray) hop = ipv4_ah_packet(1);
    g_autoptr(GByteArray) ah_udp = ah_header(PROTO_UDP, 4, 1, udp);
    g_autoptr(GByteArray) v4_ah_udp =
        ipv4_packet(PROTO_AH, IPV4_DF, NULL, 0, ah_udp);
    /* length 0: 8 bytes, shorter than AH's 12 fixed ones */
    g_autoptr(GByteArray) ah_short = ah_header(PROTO_TCP, 0, 1, tcp);
    g_autoptr(GByteArray) v4_short =
        ipv4_packet(PROTO_AH, IPV4_DF, NULL, 0, ah_short);
    /* length 200: 808 bytes, past the datagram */
    g_autoptr(GByteArray) ah_long = ah_header(PROTO_TCP, 4, 1, tcp);
    g_autoptr(GByteArray) v4_long = NULL;
    g_autoptr(GByteArray) v4_frag =
        ipv4_packet(PROTO_AH, IPV4_MF, NULL, 0, ah_long);
    FsSegment seg, other;

    g_assert_cmpint(decode(FS_DLT_EN10MB, frame, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 4);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpint(decode(FS_DLT_RAW, v4_ah, &seg), ==, FS_DECODE_OK);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    /* the hash covers AH: another sequence number is another frame; a
     * lower TTL the same one */
    g_assert_cmpint(decode(FS_DLT_RAW, next_seq, &other), ==, FS_DECODE_OK);
    g_assert_cmphex(seg.hdr_hash, !=, other.hdr_hash);
    hop->data[8] = 63;
    g_assert_cmpint(decode(FS_DLT_RAW, hop, &other), ==, FS_DECODE_OK);
    g_assert_cmphex(seg.hdr_hash, ==, other.hdr_hash);
    g_assert_cmpint(decode(FS_DLT_RAW, v4_ah_udp, &seg), ==,
                    FS_DECODE_NOT_TCP);
    g_assert_cmpint(decode(FS_DLT_RAW, v4_short, &seg), ==,
                    FS_DECODE_INVALID);
    ah_long->data[1] = 200;
    v4_long = ipv4_packet(PROTO_AH, IPV4_DF, NULL, 0, ah_long);
    g_assert_cmpint(decode(FS_DLT_RAW, v4_long, &seg), ==,
                    FS_DECODE_INVALID);
    g_assert_cmpint(decode(FS_DLT_RAW, v4_frag, &seg), ==,
                    FS_DECODE_FRAGMENT);
}

/* PPPoE session frames (RFC 2516) carrying IPv4 or IPv6 by their PPP
 * protocol; the rest of PPPoE and PPP is not IP. */
static void
test_pppoe(void)
{
    static const guint16 tag[1][2] = { { 0x8100, 0x0064 } };
    g_autoptr(GByteArray) v4 = std_ipv4();
    g_autoptr(GByteArray) v6 = std_ipv6();
    g_autoptr(GByteArray) p4 = pppoe_payload(PPP_IPV4, v4);
    g_autoptr(GByteArray) p6 = pppoe_payload(PPP_IPV6, v6);
    g_autoptr(GByteArray) lcp = pppoe_payload(PPP_LCP, v4);
    g_autoptr(GByteArray) p4_as_6 = pppoe_payload(PPP_IPV6, v4);
    g_autoptr(GByteArray) f4 = eth_frame(NULL, 0, ETH_PPPOE, p4);
    g_autoptr(GByteArray) f6 = eth_frame(NULL, 0, ETH_PPPOE, p6);
    g_autoptr(GByteArray) tagged = eth_frame(tag, 1, ETH_PPPOE, p4);
    g_autoptr(GByteArray) f_lcp = eth_frame(NULL, 0, ETH_PPPOE, lcp);
    g_autoptr(GByteArray) disc = eth_frame(NULL, 0, ETH_PPPOE_DISCOVERY, p4);
    g_autoptr(GByteArray) mislabelled = eth_frame(NULL, 0, ETH_PPPOE, p4_as_6);
    g_autoptr(GByteArray) f = NULL;
    FsSegment seg;

    g_assert_cmpuint(f4->len, ==, 14 + 8 + v4->len);
    g_assert_cmpint(decode(FS_DLT_EN10MB, f4, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 4);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpuint(seg.vlan, ==, 0);
    g_assert_cmpint(decode(FS_DLT_EN10MB, f6, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 6);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpint(decode(FS_DLT_EN10MB, tagged, &seg), ==, FS_DECODE_OK);
    g_assert_cmpuint(seg.vlan, ==, 100);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_assert_cmpint(decode(FS_DLT_EN10MB, f_lcp, &seg), ==,
                    FS_DECODE_NOT_IP);
    g_assert_cmpint(decode(FS_DLT_EN10MB, disc, &seg), ==, FS_DECODE_NOT_IP);
    /* PPP says IPv6, the header is IPv4's: it lies */
    g_assert_cmpint(decode(FS_DLT_EN10MB, mislabelled, &seg), ==,
                    FS_DECODE_INVALID);
    /* 14 + 0: version and type 1, 2 and 1; 14 + 1: code PADT (0xa7);
     * 14 + 4: length 0, no PPP frame */
    for (guint i = 0; i < 3; i++) {
        static const guint at[3] = { 14, 15, 19 };
        static const guint8 bad[3] = { 0x21, 0xa7, 0x00 };

        f = eth_frame(NULL, 0, ETH_PPPOE, p4);
        f->data[at[i]] = bad[i];
        if (i == 2)
            f->data[18] = 0;
        g_assert_cmpint(decode(FS_DLT_EN10MB, f, &seg), ==,
                        FS_DECODE_NOT_IP);
        g_clear_pointer(&f, g_byte_array_unref);
    }
}

/* MPLS label stacks (RFC 3032) down to the bottom of stack, then IPv4 or
 * IPv6 by the version nibble. */
static void
test_mpls(void)
{
    static const guint16 tag[1][2] = { { 0x8100, 0x0064 } };
    static const guint8 cw[4] = { 0, 0, 0, 0 }; /* PW control word */
    g_autoptr(GByteArray) v4 = std_ipv4();
    g_autoptr(GByteArray) v6 = std_ipv6();
    g_autoptr(GByteArray) pw = g_byte_array_new();
    g_autoptr(GByteArray) one4 = mpls_payload(1, v4);
    g_autoptr(GByteArray) three6 = mpls_payload(3, v6);
    g_autoptr(GByteArray) deepest = mpls_payload(16, v4);
    g_autoptr(GByteArray) too_deep = mpls_payload(17, v4);
    g_autoptr(GByteArray) pw_stack = NULL;
    g_autoptr(GByteArray) f = NULL;
    FsSegment seg;

    f = eth_frame(NULL, 0, ETH_MPLS, one4);
    g_assert_cmpint(decode(FS_DLT_EN10MB, f, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 4);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_clear_pointer(&f, g_byte_array_unref);
    f = eth_frame(NULL, 0, ETH_MPLS_MC, three6);
    g_assert_cmpint(decode(FS_DLT_EN10MB, f, &seg), ==, FS_DECODE_OK);
    assert_endpoints(&seg, 6);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_clear_pointer(&f, g_byte_array_unref);
    f = eth_frame(tag, 1, ETH_MPLS, three6);
    g_assert_cmpint(decode(FS_DLT_EN10MB, f, &seg), ==, FS_DECODE_OK);
    g_assert_cmpuint(seg.vlan, ==, 100);
    g_clear_pointer(&f, g_byte_array_unref);
    f = eth_frame(NULL, 0, ETH_MPLS, deepest);
    g_assert_cmpint(decode(FS_DLT_EN10MB, f, &seg), ==, FS_DECODE_OK);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_clear_pointer(&f, g_byte_array_unref);
    f = eth_frame(NULL, 0, ETH_MPLS, too_deep);
    g_assert_cmpint(decode(FS_DLT_EN10MB, f, &seg), ==, FS_DECODE_INVALID);
    g_clear_pointer(&f, g_byte_array_unref);
    /* a pseudowire: control word, then an Ethernet frame */
    put_bytes(pw, cw, sizeof cw);
    put_bytes(pw, one4->data, one4->len);
    pw_stack = mpls_payload(2, pw);
    f = eth_frame(NULL, 0, ETH_MPLS, pw_stack);
    g_assert_cmpint(decode(FS_DLT_EN10MB, f, &seg), ==, FS_DECODE_NOT_IP);
    g_clear_pointer(&f, g_byte_array_unref);
    /* no bottom of stack before the frame ends (labels 16, 17, S clear):
     * cut */
    g_byte_array_set_size(pw, 0);
    put32(pw, (16u << 12) | 64);
    put32(pw, (17u << 12) | 64);
    f = eth_frame(NULL, 0, ETH_MPLS, pw);
    g_assert_cmpint(decode(FS_DLT_EN10MB, f, &seg), ==,
                    FS_DECODE_TRUNCATED);
}

/* Decodes a frame built for this call alone. */
static FsDecodeStatus
decode_owned(int linktype, GByteArray *frame, FsSegment *seg)
{
    FsDecodeStatus status = decode(linktype, frame, seg);

    g_byte_array_unref(frame);
    return status;
}

/* Tunnels (GRE, ERSPAN, VXLAN, Geneve, IP in IP): the inner segment, the
 * flow key and hash it makes, how deep they nest, and what is not TCP,
 * invalid or truncated in them. */
static void
test_tunnels(void)
{
    g_autoptr(GByteArray) v4 = std_ipv4();
    g_autoptr(GByteArray) v6 = std_ipv6();
    g_autoptr(GByteArray) e4 = inner_eth(NULL, 0, v4);
    g_autoptr(GByteArray) arp = g_byte_array_new();
    g_autoptr(GByteArray) pkt = NULL;
    g_autoptr(GByteArray) l4 = NULL;
    FsSegment plain, seg;

    g_assert_cmpint(decode_owned(FS_DLT_RAW, g_byte_array_ref(v4), &plain),
                    ==, FS_DECODE_OK);

    /* VXLAN: another VNI, outer addresses, or ports: the same segment,
     * the same key and hash as the frame without the tunnel (a copy
     * captured on both sides of a VTEP is a duplicate frame) */
    for (guint vni = 1; vni <= 2; vni++) {
        g_autoptr(GByteArray) vx = vxlan_payload(0x08, vni, e4);
        g_autoptr(GByteArray) udp = udp_payload(PORT_VXLAN, vx);

        pkt = outer_ipv4(17, udp);
        pkt->data[15] = (guint8)vni; /* outer source 203.0.113.VNI */
        g_assert_cmpint(decode(FS_DLT_RAW, pkt, &seg), ==, FS_DECODE_OK);
        assert_endpoints(&seg, 4);
        assert_std_tcp(&seg, TEST_PAYLOAD);
        g_assert_cmpuint(seg.vlan, ==, 0);
        g_assert_cmphex(seg.hdr_hash, ==, plain.hdr_hash);
        g_clear_pointer(&pkt, g_byte_array_unref);
    }
    /* a VXLAN header without I, a Geneve version 1, another UDP port:
     * UDP, not TCP; an ARP in VXLAN is not TCP either (not "not_ip":
     * the frame carries IP) */
    {
        g_autoptr(GByteArray) vx = vxlan_payload(0x00, 5, e4);
        g_autoptr(GByteArray) gv = geneve_payload(1, 0, ETH_IPV4, v4);
        g_autoptr(GByteArray) u1 = udp_payload(PORT_VXLAN, vx);
        g_autoptr(GByteArray) u2 = udp_payload(PORT_GENEVE, gv);
        g_autoptr(GByteArray) u3 = udp_payload(4790, vx);
        g_autoptr(GByteArray) arp_frame = NULL;
        g_autoptr(GByteArray) vx_arp = NULL;
        g_autoptr(GByteArray) u4 = NULL;

        put32(arp, 0x00010800);
        put32(arp, 0x06040001);
        arp_frame = eth_frame(NULL, 0, 0x0806, arp);
        vx_arp = vxlan_payload(0x08, 5, arp_frame);
        u4 = udp_payload(PORT_VXLAN, vx_arp);
        g_assert_cmpint(decode_owned(FS_DLT_RAW, outer_ipv4(17, u1), &seg),
                        ==, FS_DECODE_NOT_TCP);
        g_assert_cmpint(decode_owned(FS_DLT_RAW, outer_ipv4(17, u2), &seg),
                        ==, FS_DECODE_NOT_TCP);
        g_assert_cmpint(decode_owned(FS_DLT_RAW, outer_ipv4(17, u3), &seg),
                        ==, FS_DECODE_NOT_TCP);
        g_assert_cmpint(decode_owned(FS_DLT_RAW, outer_ipv4(17, u4), &seg),
                        ==, FS_DECODE_NOT_TCP);
        /* a UDP length under 8, or past the datagram: invalid */
        pkt = outer_ipv4(17, u1);
        pkt->data[20 + 5] = 7;
        g_assert_cmpint(decode(FS_DLT_RAW, pkt, &seg), ==, FS_DECODE_INVALID);
        pkt->data[20 + 4] = 0x10;
        g_assert_cmpint(decode(FS_DLT_RAW, pkt, &seg), ==, FS_DECODE_INVALID);
        g_clear_pointer(&pkt, g_byte_array_unref);
    }
    /* GRE: RFC 1701 routing, version 2, a keepalive (type 0), PPTP's
     * acknowledgment alone and its LCP: not TCP */
    {
        g_autoptr(GByteArray) routed = gre_payload(GRE_R, ETH_IPV4, v4);
        g_autoptr(GByteArray) v2 = gre_payload(2, ETH_IPV4, v4);
        g_autoptr(GByteArray) keep = gre_payload(0, 0, v4);
        g_autoptr(GByteArray) lcp = pptp_payload(PPP_LCP, v4);
        g_autoptr(GByteArray) ack = g_byte_array_new();

        put16(ack, GRE_K | GRE_A | 1);
        put16(ack, ETH_PPP);
        put16(ack, 0);  /* payload length */
        put16(ack, 42); /* call id */
        put32(ack, 9);  /* acknowledgment number */
        g_assert_cmpint(
            decode_owned(FS_DLT_RAW, outer_ipv4(PROTO_GRE, routed), &seg), ==,
            FS_DECODE_NOT_TCP);
        g_assert_cmpint(
            decode_owned(FS_DLT_RAW, outer_ipv4(PROTO_GRE, v2), &seg), ==,
            FS_DECODE_NOT_TCP);
        g_assert_cmpint(
            decode_owned(FS_DLT_RAW, outer_ipv4(PROTO_GRE, keep), &seg), ==,
            FS_DECODE_NOT_TCP);
        g_assert_cmpint(
            decode_owned(FS_DLT_RAW, outer_ipv4(PROTO_GRE, lcp), &seg), ==,
            FS_DECODE_NOT_TCP);
        g_assert_cmpint(
            decode_owned(FS_DLT_RAW, outer_ipv4(PROTO_GRE, ack), &seg), ==,
            FS_DECODE_NOT_TCP);
    }
    /* IP in IP four deep is followed; five deep is invalid */
    l4 = g_byte_array_ref(v4);
    for (guint depth = 1; depth <= 5; depth++) {
        GByteArray *outer = outer_ipv4(PROTO_IPIP, l4);

        g_byte_array_unref(l4);
        l4 = outer;
        g_assert_cmpint(decode(FS_DLT_RAW, l4, &seg), ==,
                        depth <= 4 ? FS_DECODE_OK : FS_DECODE_INVALID);
        if (depth <= 4) {
            assert_endpoints(&seg, 4);
            assert_std_tcp(&seg, TEST_PAYLOAD);
            g_assert_cmphex(seg.hdr_hash, ==, plain.hdr_hash);
        }
    }
    g_clear_pointer(&l4, g_byte_array_unref);
    /* 6in4 whose inner header is IPv4's, 4in6 whose is IPv6's: the
     * protocol and the version disagree */
    g_assert_cmpint(decode_owned(FS_DLT_RAW, outer_ipv4(PROTO_IPV6, v4), &seg),
                    ==, FS_DECODE_INVALID);
    g_assert_cmpint(decode_owned(FS_DLT_RAW, outer_ipv6(PROTO_IPIP, v6), &seg),
                    ==, FS_DECODE_INVALID);
    /* the outer datagram captured whole but shorter than the inner one
     * says: invalid, not truncated; longer: padding */
    pkt = outer_ipv4(PROTO_IPIP, v4);
    pkt->data[3] -= 1; /* outer total length one short */
    g_assert_cmpint(decode(FS_DLT_RAW, pkt, &seg), ==, FS_DECODE_INVALID);
    pkt->data[3] -= (guint8)(v4->len - 10); /* inner header cut by it */
    g_assert_cmpint(decode(FS_DLT_RAW, pkt, &seg), ==, FS_DECODE_INVALID);
    g_clear_pointer(&pkt, g_byte_array_unref);
    l4 = g_byte_array_ref(v4);
    for (guint k = 0; k < 6; k++)
        put8(l4, 0);
    pkt = outer_ipv4(PROTO_IPIP, l4);
    g_assert_cmpint(decode(FS_DLT_RAW, pkt, &seg), ==, FS_DECODE_OK);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    g_clear_pointer(&pkt, g_byte_array_unref);
    g_clear_pointer(&l4, g_byte_array_unref);
    /* an inner TCP frame whose IP header is cut 4 bytes into TCP: in
     * ERSPAN with T (the mirror cut it), truncated; without, invalid */
    for (guint t = 0; t < 2; t++) {
        g_autoptr(GByteArray) cut = g_byte_array_new();
        g_autoptr(GByteArray) er = NULL;
        g_autoptr(GByteArray) gre = NULL;

        put_bytes(cut, e4->data, 14 + 20 + 4);
        er = erspan_payload(1, t ? 0x0400 : 0, FALSE, cut);
        gre = gre_payload(GRE_S, ETH_ERSPAN, er);
        g_assert_cmpint(
            decode_owned(FS_DLT_RAW, outer_ipv4(PROTO_GRE, gre), &seg), ==,
            t ? FS_DECODE_TRUNCATED : FS_DECODE_INVALID);
    }
    /* an inner IPv4 fragment */
    {
        g_autoptr(GByteArray) tcp = std_tcp();
        g_autoptr(GByteArray) frag =
            ipv4_packet(PROTO_TCP, IPV4_MF, NULL, 0, tcp);
        g_autoptr(GByteArray) gre = gre_payload(0, ETH_IPV4, frag);

        g_assert_cmpint(
            decode_owned(FS_DLT_RAW, outer_ipv4(PROTO_GRE, gre), &seg), ==,
            FS_DECODE_FRAGMENT);
    }
}

/* LLC/SNAP with another OUI, or naming ARP, and other LLC: not IP. */
static void
test_llc(void)
{
    static const guint8 vendor[8] = { 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c,
                                      0x20, 0x00 }; /* Cisco CDP */
    static const guint8 snap_arp[8] = { 0xaa, 0xaa, 0x03, 0, 0, 0,
                                        0x08, 0x06 };
    g_autoptr(GByteArray) a = g_byte_array_new();
    g_autoptr(GByteArray) b = g_byte_array_new();
    FsSegment seg;

    put_bytes(a, vendor, sizeof vendor);
    put32(a, 0);
    put_bytes(b, snap_arp, sizeof snap_arp);
    put32(b, 0);
    g_assert_cmpint(
        decode_owned(FS_DLT_EN10MB, eth_frame(NULL, 0, (guint16)a->len, a),
                     &seg),
        ==, FS_DECODE_NOT_IP);
    g_assert_cmpint(
        decode_owned(FS_DLT_EN10MB, eth_frame(NULL, 0, (guint16)b->len, b),
                     &seg),
        ==, FS_DECODE_NOT_IP);
}

/* One row: TCP options (a multiple of 4 bytes) and what decode must make
 * of them. */
typedef struct {
    const char *what;  /* for test messages */
    guint8 opts[20];   /* option bytes */
    gsize len;         /* bytes of opts used */
    guint16 mss;       /* expected seg->mss */
    guint8 wscale;     /* expected seg->wscale */
    gboolean sack_ok;  /* expected seg->sack_ok */
    gboolean has_ts;   /* expected seg->has_ts */
    guint32 tsval;     /* expected seg->tsval (when has_ts) */
    guint32 tsecr;     /* expected seg->tsecr (when has_ts) */
} OptionCase;

#define NO_WS FS_WSCALE_NONE

static const OptionCase option_cases[] = {
    { "none", { 0 }, 0, 0, NO_WS, FALSE, FALSE, 0, 0 },
    { "syn-ack", {
        0x02, 0x04, 0x05, 0xb4,             /* MSS 1460 */
        0x04, 0x02,                         /* SACK permitted */
        0x08, 0x0a, 0, 0, 0, 7, 0, 0, 0, 9, /* TSval 7, TSecr 9 */
        0x01,                               /* NOP */
        0x03, 0x03, 0x0e,                   /* window scale 14 */
      }, 20, 1460, 14, TRUE, TRUE, 7, 9 },
    { "bad-length-ends-parsing", {
        0x02, 0x04, 0x05, 0xb4, /* MSS 1460 */
        0x08, 0x00,             /* timestamps with length 0: stop here */
        0x01, 0x01,             /* NOP NOP */
        0x03, 0x03, 0x07, 0x00, /* window scale 7 (not reached), EOL */
      }, 12, 1460, NO_WS, FALSE, FALSE, 0, 0 },
    { "length-past-header", {
        0x02, 0x04, 0x05, 0xb4, /* MSS 1460 */
        0x04, 0x02,             /* SACK permitted */
        0x08, 0x0a,             /* timestamps, 10 bytes: only 2 are left */
      }, 8, 1460, NO_WS, TRUE, FALSE, 0, 0 },
    { "wrong-length-for-kind", {
        0x02, 0x03, 0x05,       /* MSS with length 3: stop here */
        0x04, 0x02,             /* SACK permitted (not reached) */
        0x01, 0x01, 0x01,       /* NOP x3 */
      }, 8, 0, NO_WS, FALSE, FALSE, 0, 0 },
    { "length-1", {
        0x03, 0x01,             /* window scale with length 1: stop here */
        0x04, 0x02,             /* SACK permitted (not reached) */
      }, 4, 0, NO_WS, FALSE, FALSE, 0, 0 },
    { "unknown-kind-skipped", {
        0xfe, 0x06, 0xf9, 0x89, 0xbe, 0xef, /* experimental kind 254 */
        0x04, 0x02,                         /* SACK permitted */
      }, 8, 0, NO_WS, TRUE, FALSE, 0, 0 },
    { "eol-ends-list", {
        0x00, 0x00, 0x00, 0x00, /* EOL, then padding */
        0x02, 0x04, 0x05, 0xb4, /* MSS after EOL: ignored */
      }, 8, 0, NO_WS, FALSE, FALSE, 0, 0 },
    { "shift-above-14", {
        0x01, 0x03, 0x03, 0xff, /* NOP, window scale 255: RFC 7323 says 14 */
      }, 4, 0, 14, FALSE, FALSE, 0, 0 },
};

static void
test_tcp_options(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(option_cases); i++) {
        const OptionCase *oc = &option_cases[i];
        g_autoptr(GByteArray) tcp = tcp_segment(oc->opts, oc->len, 0);
        g_autoptr(GByteArray) pkt = ipv4_packet(PROTO_TCP, 0, NULL, 0, tcp);
        FsSegment seg;

        g_test_message("options: %s", oc->what);
        g_assert_cmpint(decode(FS_DLT_RAW, pkt, &seg), ==, FS_DECODE_OK);
        g_assert_cmpuint(seg.mss, ==, oc->mss);
        g_assert_cmpuint(seg.wscale, ==, oc->wscale);
        g_assert_cmpint(seg.sack_ok, ==, oc->sack_ok);
        g_assert_cmpint(seg.has_ts, ==, oc->has_ts);
        g_assert_cmpuint(seg.tsval, ==, oc->tsval);
        g_assert_cmpuint(seg.tsecr, ==, oc->tsecr);
        g_assert_cmpuint(seg.payload_len, ==, 0);
        g_assert_cmphex(seg.flags, ==, TEST_FLAGS);
    }
}

static FsDecodeStatus assert_paths_agree(int linktype, const guint8 *data,
                                         guint32 caplen, guint32 wirelen);

/* SACK blocks (RFC 2018, option 5, length 2 + 8n): only whether the
 * first is a D-SACK (RFC 2883 §4) is kept, and its edges. */
typedef struct {
    const char *what;
    guint8 opts[40];
    gsize len;
    guint8 flags;       /* the segment's flags */
    gboolean dsack;     /* expected seg->dsack */
    guint32 left, right; /* the block (when dsack): right is kept */
    gboolean has_ts;    /* expected seg->has_ts: parsing went on */
} SackCase;

#define A3 0xa0, 0xb0, 0xc0 /* TEST_ACK's first three bytes */
#define TS10 0x08, 0x0a, 0, 0, 0, 7, 0, 0, 0, 9 /* TSval 7, TSecr 9 */

static const SackCase sack_cases[] = {
    { "no-sack", { 0x01, 0x01, TS10 }, 12, FS_TH_ACK, FALSE, 0, 0, TRUE },
    { "dsack-below-ack", {
        0x01, 0x01, TS10, 0x01, 0x01,
        0x05, 0x0a, A3, 0xcf, A3, 0xd0,          /* [ack-1, ack) */
      }, 24, FS_TH_ACK, TRUE, TEST_ACK - 1, TEST_ACK, TRUE },
    { "sack-above-ack", {
        0x01, 0x01, 0x05, 0x0a, A3, 0xe0, A3, 0xf0, /* [ack+16, ack+32) */
        0x01, 0x01, TS10,
      }, 24, FS_TH_ACK, FALSE, 0, 0, TRUE },
    { "dsack-inside-second-block", {
        0x01, 0x01, 0x05, 0x12,
        A3, 0xe4, A3, 0xe8,                      /* [ack+20, ack+24) */
        A3, 0xe0, A3, 0xf0,                      /* [ack+16, ack+32) */
        0x01, 0x01, TS10,
      }, 32, FS_TH_ACK, TRUE, TEST_ACK + 20, TEST_ACK + 24, TRUE },
    { "two-blocks-apart", {
        0x01, 0x01, 0x05, 0x12,
        A3, 0xf4, A3, 0xf8,                      /* [ack+36, ack+40) */
        A3, 0xe0, A3, 0xf0,                      /* [ack+16, ack+32) */
      }, 20, FS_TH_ACK, FALSE, 0, 0, FALSE },
    { "four-blocks", {
        0x01, 0x01, 0x05, 0x22,
        A3, 0xc0, A3, 0xc8, A3, 0xe0, A3, 0xe8,
        A3, 0xf0, A3, 0xf8, 0xa0, 0xb0, 0xc1, 0x00, 0xa0, 0xb0, 0xc1, 0x08,
      }, 36, FS_TH_ACK, TRUE, TEST_ACK - 16, TEST_ACK - 8, FALSE },
    { "no-ack-flag", {
        0x01, 0x01, 0x05, 0x0a, A3, 0xcf, A3, 0xd0,
      }, 12, FS_TH_FIN, FALSE, 0, 0, FALSE },
    { "empty-block", {
        0x01, 0x01, 0x05, 0x0a, A3, 0xcf, A3, 0xcf, 0x01, 0x01, TS10,
      }, 24, FS_TH_ACK, FALSE, 0, 0, TRUE },
    { "no-blocks", { 0x05, 0x02, 0x01, 0x01, TS10 }, 14 + 2, FS_TH_ACK,
      FALSE, 0, 0, TRUE },
    { "odd-length-stepped-over", {
        0x05, 0x0b, A3, 0xcf, A3, 0xd0, 0x00,    /* 9 bytes of blocks */
        0x01, TS10,
      }, 22 + 2, FS_TH_ACK, FALSE, 0, 0, TRUE },
    { "truncated-by-header", {
        0x01, 0x01, TS10, 0x01, 0x01,
        0x05, 0x12, A3, 0xcf, A3, 0xd0,          /* says 2 blocks, has 1 */
      }, 24, FS_TH_ACK, FALSE, 0, 0, TRUE },
    { "length-1-ends-parsing", {
        0x05, 0x01, 0x01, 0x01, TS10,
      }, 16, FS_TH_ACK, FALSE, 0, 0, FALSE },
};

static void
test_sack_blocks(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(sack_cases); i++) {
        const SackCase *sc = &sack_cases[i];
        g_autoptr(GByteArray) tcp = tcp_segment(sc->opts, sc->len, 0);
        g_autoptr(GByteArray) pkt = NULL;
        g_autoptr(GByteArray) eth = NULL;
        FsSegment seg;

        tcp->data[13] = sc->flags;
        pkt = ipv4_packet(PROTO_TCP, 0, NULL, 0, tcp);
        eth = eth_frame(NULL, 0, ETH_IPV4, pkt);
        g_test_message("sack: %s", sc->what);
        memset(&seg, 0xa5, sizeof seg);
        g_assert_cmpint(decode(FS_DLT_RAW, pkt, &seg), ==, FS_DECODE_OK);
        g_assert_cmpuint(seg.dsack, ==, sc->dsack);
        if (sc->dsack) /* its left edge is not kept */
            g_assert_cmphex(seg.dsack_right, ==, sc->right);
        g_assert_cmpint(seg.has_ts, ==, sc->has_ts);
        /* the Ethernet frame through fs_decode()'s own paths */
        g_assert_cmpint(assert_paths_agree(FS_DLT_EN10MB, eth->data,
                                           eth->len, eth->len),
                        ==, FS_DECODE_OK);
        /* cut at every length: never a read past the cut, never a
         * D-SACK from a block not all there */
        for (guint cut = 0; cut < eth->len; cut++) {
            FsSegment part;

            if (fs_decode(FS_DLT_EN10MB, eth->data, cut, eth->len,
                          &part) == FS_DECODE_OK && part.dsack)
                g_assert_true(sc->dsack);
            assert_paths_agree(FS_DLT_EN10MB, eth->data, cut, eth->len);
        }
    }
}

static void
test_padding(void)
{
    /* Ethernet pads to 60 bytes: these must not be read as payload */
    static const guint8 pad[6] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };
    g_autoptr(GByteArray) tcp = tcp_segment(NULL, 0, 0);
    g_autoptr(GByteArray) pkt = ipv4_packet(PROTO_TCP, 0, NULL, 0, tcp);
    g_autoptr(GByteArray) frame = eth_frame(NULL, 0, ETH_IPV4, pkt);
    g_autoptr(GByteArray) padded = eth_frame(NULL, 0, ETH_IPV4, pkt);
    g_autoptr(GByteArray) v6 = std_ipv6();
    g_autoptr(GByteArray) padded6 = eth_frame(NULL, 0, ETH_IPV6, v6);
    g_autoptr(GByteArray) lying = eth_frame(NULL, 0, ETH_IPV4, pkt);
    FsSegment seg, unpadded;

    put_bytes(padded, pad, sizeof pad);
    g_assert_cmpuint(padded->len, ==, 60);
    g_assert_cmpint(decode(FS_DLT_EN10MB, frame, &unpadded), ==,
                    FS_DECODE_OK);
    g_assert_cmpint(decode(FS_DLT_EN10MB, padded, &seg), ==, FS_DECODE_OK);
    g_assert_cmpuint(seg.payload_len, ==, 0);
    g_assert_cmpuint(seg.hdr_hash, ==, unpadded.hdr_hash);
    put_bytes(padded6, pad, sizeof pad);
    g_assert_cmpint(decode(FS_DLT_EN10MB, padded6, &seg), ==, FS_DECODE_OK);
    assert_std_tcp(&seg, TEST_PAYLOAD);
    /* data offset 6 with the padding where the option would be: the IP
     * length leaves no room for it, so the header lies */
    put_bytes(lying, pad, sizeof pad);
    lying->data[14 + 20 + 12] = 0x60;
    g_assert_cmpint(decode(FS_DLT_EN10MB, lying, &seg), ==,
                    FS_DECODE_INVALID);
}

/* The link types of routers, taps and radios: what is not IP, what
 * lies, what is a fragment. */
static void
test_more_links_refused(void)
{
    g_autoptr(GByteArray) v4 = std_ipv4();
    g_autoptr(GByteArray) lcp = ppp_frame(TRUE, FALSE, PPP_LCP, v4);
    g_autoptr(GByteArray) slarp = chdlc_frame(0x8035, v4);
    g_autoptr(GByteArray) chdlc_len = chdlc_frame(0x0100, v4);
    g_autoptr(GByteArray) smt = fddi_frame(0x41, ETH_IPV4, v4);
    g_autoptr(GByteArray) bridged = nflog_frame(7, v4);
    g_autoptr(GByteArray) short_tlv = nflog_frame(2, v4);
    g_autoptr(GByteArray) no_payload = g_byte_array_new();
    g_autoptr(GByteArray) long_tlv = g_byte_array_new();
    g_autoptr(GByteArray) ib_arp = ipoib_frame(ETH_ARP, v4);
    g_autoptr(GByteArray) beacon = wlan_frame(0x80, 0x00, 0, ETH_IPV4, v4);
    g_autoptr(GByteArray) nodata = wlan_frame(0x48, 0x01, 0, ETH_IPV4, v4);
    g_autoptr(GByteArray) prot = wlan_frame(0x08, 0x42, 0, ETH_IPV4, v4);
    g_autoptr(GByteArray) frag = wlan_frame(0x08, 0x06, 0, ETH_IPV4, v4);
    g_autoptr(GByteArray) frag2 = wlan_frame(0x08, 0x02, 0, ETH_IPV4, v4);
    g_autoptr(GByteArray) amsdu = wlan_frame(0x88, 0x02, 0, ETH_IPV4, v4);
    g_autoptr(GByteArray) wlan4 = wlan_frame(0x08, 0x02, 0, ETH_IPV4, v4);
    g_autoptr(GByteArray) badfcs = radiotap_frame(0x40, wlan4);
    g_autoptr(GByteArray) rt_v1 = radiotap_frame(0x00, wlan4);
    g_autoptr(GByteArray) rt_short = radiotap_frame(0x00, wlan4);
    g_autoptr(GByteArray) rt_long = radiotap_frame(0x00, wlan4);
    g_autoptr(GByteArray) ppi_v1 = ppi_frame(105, wlan4);
    g_autoptr(GByteArray) ppi_ppi = ppi_frame(192, wlan4);
    g_autoptr(GByteArray) ppi_other = ppi_frame(147, wlan4);
    g_autoptr(GByteArray) eth4 = eth_frame(NULL, 0, ETH_IPV4, v4);
    g_autoptr(GByteArray) jnx_magic = juniper_frame(0x80, eth4);
    g_autoptr(GByteArray) jnx_nol2 = juniper_frame(0x82, eth4);
    g_autoptr(GByteArray) jnx_long = juniper_frame(0x80, eth4);
    guint16 len2 = 2, big = 200;
    FsSegment seg;

    g_assert_cmpint(decode(FS_DLT_PPP, lcp, &seg), ==, FS_DECODE_NOT_IP);
    g_assert_cmpint(decode(FS_DLT_C_HDLC, slarp, &seg), ==, FS_DECODE_NOT_IP);
    g_assert_cmpint(decode(FS_DLT_C_HDLC, chdlc_len, &seg), ==,
                    FS_DECODE_NOT_IP);
    g_assert_cmpint(decode(FS_DLT_FDDI, smt, &seg), ==, FS_DECODE_NOT_IP);
    /* NFLOG: a bridge family's frame; a TLV shorter than its header; no
     * payload TLV; one that runs past the whole frame */
    g_assert_cmpint(decode(FS_DLT_NFLOG, bridged, &seg), ==,
                    FS_DECODE_NOT_IP);
    memcpy(short_tlv->data + 4, &len2, 2);
    g_assert_cmpint(decode(FS_DLT_NFLOG, short_tlv, &seg), ==,
                    FS_DECODE_INVALID);
    put_bytes(no_payload, short_tlv->data, 4 + 8);
    {
        guint16 eight = 8;

        memcpy(no_payload->data + 4, &eight, 2);
    }
    g_assert_cmpint(decode(FS_DLT_NFLOG, no_payload, &seg), ==,
                    FS_DECODE_NOT_IP);
    put_bytes(long_tlv, no_payload->data, no_payload->len);
    memcpy(long_tlv->data + 4, &big, 2);
    g_assert_cmpint(decode(FS_DLT_NFLOG, long_tlv, &seg), ==,
                    FS_DECODE_INVALID);
    g_assert_cmpint(decode_cut(FS_DLT_NFLOG, long_tlv, long_tlv->len, 300,
                               &seg), ==, FS_DECODE_TRUNCATED);
    g_assert_cmpint(decode(FS_DLT_IPOIB, ib_arp, &seg), ==, FS_DECODE_NOT_IP);
    /* 802.11: management, no data, protected, fragments (more
     * fragments; fragment number 1), an A-MSDU */
    g_assert_cmpint(decode(FS_DLT_IEEE802_11, beacon, &seg), ==,
                    FS_DECODE_NOT_IP);
    g_assert_cmpint(decode(FS_DLT_IEEE802_11, nodata, &seg), ==,
                    FS_DECODE_NOT_IP);
    g_assert_cmpint(decode(FS_DLT_IEEE802_11, prot, &seg), ==,
                    FS_DECODE_NOT_IP);
    g_assert_cmpint(decode(FS_DLT_IEEE802_11, frag, &seg), ==,
                    FS_DECODE_FRAGMENT);
    frag2->data[22] |= 0x01;
    g_assert_cmpint(decode(FS_DLT_IEEE802_11, frag2, &seg), ==,
                    FS_DECODE_FRAGMENT);
    amsdu->data[24] |= 0x80;
    g_assert_cmpint(decode(FS_DLT_IEEE802_11, amsdu, &seg), ==,
                    FS_DECODE_NOT_IP);
    /* radiotap: a bad FCS; version 1; a length below its header; one
     * past the whole frame */
    g_assert_cmpint(decode(FS_DLT_IEEE802_11_RADIO, badfcs, &seg), ==,
                    FS_DECODE_INVALID);
    rt_v1->data[0] = 1;
    g_assert_cmpint(decode(FS_DLT_IEEE802_11_RADIO, rt_v1, &seg), ==,
                    FS_DECODE_INVALID);
    rt_short->data[2] = 4;
    g_assert_cmpint(decode(FS_DLT_IEEE802_11_RADIO, rt_short, &seg), ==,
                    FS_DECODE_INVALID);
    rt_long->data[2] = 0xff;
    rt_long->data[3] = 0x7f;
    g_assert_cmpint(decode(FS_DLT_IEEE802_11_RADIO, rt_long, &seg), ==,
                    FS_DECODE_INVALID);
    /* PPI: version 1; PPI in PPI; a link type not decoded */
    ppi_v1->data[0] = 1;
    g_assert_cmpint(decode(FS_DLT_PPI, ppi_v1, &seg), ==, FS_DECODE_INVALID);
    g_assert_cmpint(decode(FS_DLT_PPI, ppi_ppi, &seg), ==, FS_DECODE_NOT_IP);
    g_assert_cmpint(decode(FS_DLT_PPI, ppi_other, &seg), ==,
                    FS_DECODE_NOT_IP);
    /* Juniper: not "MGC"; no L2 header; extensions past the end */
    jnx_magic->data[0] = 'X';
    g_assert_cmpint(decode(FS_DLT_JUNIPER_ETHER, jnx_magic, &seg), ==,
                    FS_DECODE_INVALID);
    g_assert_cmpint(decode(FS_DLT_JUNIPER_ETHER, jnx_nol2, &seg), ==,
                    FS_DECODE_NOT_IP);
    jnx_long->data[4] = 0x7f;
    g_assert_cmpint(decode(FS_DLT_JUNIPER_ETHER, jnx_long, &seg), ==,
                    FS_DECODE_INVALID);
}

static void
test_not_ip(void)
{
    static const guint16 tag[1][2] = { { 0x8100, 100 } };
    /* 802.3 length 46 then LLC DSAP/SSAP 0x42 (spanning tree), control 3 */
    static const guint8 stp_llc[3] = { 0x42, 0x42, 0x03 };
    g_autoptr(GByteArray) arp_body = udp_datagram(); /* any 12 bytes */
    g_autoptr(GByteArray) stp_body = g_byte_array_new();
    g_autoptr(GByteArray) arp = eth_frame(NULL, 0, ETH_ARP, arp_body);
    g_autoptr(GByteArray) tagged = eth_frame(tag, 1, ETH_ARP, arp_body);
    g_autoptr(GByteArray) sll = sll_frame(ETH_ARP, arp_body);
    g_autoptr(GByteArray) sll2 = sll2_frame(ETH_LLDP, arp_body);
    g_autoptr(GByteArray) null = family_frame(7, TRUE, arp_body); /* AF 7 */
    g_autoptr(GByteArray) stp = NULL;
    FsSegment seg;

    put_bytes(stp_body, stp_llc, sizeof stp_llc);
    stp = eth_frame(NULL, 0, 46, stp_body);
    g_assert_cmpint(decode(FS_DLT_EN10MB, arp, &seg), ==, FS_DECODE_NOT_IP);
    g_assert_cmpint(decode(FS_DLT_EN10MB, tagged, &seg), ==,
                    FS_DECODE_NOT_IP);
    g_assert_cmpint(decode(FS_DLT_EN10MB, stp, &seg), ==, FS_DECODE_NOT_IP);
    g_assert_cmpint(decode(FS_DLT_LINUX_SLL, sll, &seg), ==,
                    FS_DECODE_NOT_IP);
    g_assert_cmpint(decode(FS_DLT_LINUX_SLL2, sll2, &seg), ==,
                    FS_DECODE_NOT_IP);
    g_assert_cmpint(decode(FS_DLT_NULL, null, &seg), ==, FS_DECODE_NOT_IP);
}

static void
test_not_tcp(void)
{
    /* hop-by-hop header, 8 bytes, then UDP */
    static const guint8 hbh_udp[8] = { 17, 0, 0x01, 0x04, 0, 0, 0, 0 };
    g_autoptr(GByteArray) udp = udp_datagram();
    g_autoptr(GByteArray) udp4 = ipv4_packet(PROTO_UDP, 0, NULL, 0, udp);
    g_autoptr(GByteArray) icmp4 = ipv4_packet(PROTO_ICMP, 0, NULL, 0, udp);
    g_autoptr(GByteArray) udp6 = ipv6_packet(PROTO_UDP, NULL, 0, udp);
    g_autoptr(GByteArray) icmp6 = ipv6_packet(PROTO_ICMPV6, NULL, 0, udp);
    g_autoptr(GByteArray) hbh6 = ipv6_packet(0, hbh_udp, 8, udp);
    g_autoptr(GByteArray) frame = eth_frame(NULL, 0, ETH_IPV4, udp4);
    FsSegment seg;

    g_assert_cmpint(decode(FS_DLT_EN10MB, frame, &seg), ==,
                    FS_DECODE_NOT_TCP);
    g_assert_cmpint(decode(FS_DLT_RAW, udp4, &seg), ==, FS_DECODE_NOT_TCP);
    g_assert_cmpint(decode(FS_DLT_RAW, icmp4, &seg), ==, FS_DECODE_NOT_TCP);
    g_assert_cmpint(decode(FS_DLT_RAW, udp6, &seg), ==, FS_DECODE_NOT_TCP);
    g_assert_cmpint(decode(FS_DLT_RAW, icmp6, &seg), ==, FS_DECODE_NOT_TCP);
    g_assert_cmpint(decode(FS_DLT_RAW, hbh6, &seg), ==, FS_DECODE_NOT_TCP);
}

/* A segment of a LinkCase cut n bytes into its 20 bytes of options
 * (synack_opts): the base header's fields whole, each option present
 * once its bytes all are, the others absent, and opts_cut set. */
static void
assert_options_cut_at(const LinkCase *lc, const FsSegment *seg, guint n)
{
    g_assert_cmpuint(n, <, sizeof synack_opts);
    assert_endpoints(seg, lc->ipver);
    g_assert_cmpuint(seg->vlan, ==, lc->vlan);
    g_assert_cmpuint(seg->sport, ==, TEST_SPORT);
    g_assert_cmpuint(seg->dport, ==, TEST_DPORT);
    g_assert_cmphex(seg->seq, ==, TEST_SEQ);
    g_assert_cmphex(seg->ack, ==, TEST_ACK);
    g_assert_cmphex(seg->flags, ==, TEST_FLAGS);
    g_assert_cmpuint(seg->window, ==, TEST_WINDOW);
    g_assert_cmpuint(seg->payload_len, ==, lc->payload_len);
    g_assert_cmpuint(seg->opts_cut, ==, TRUE);
    /* MSS in bytes 0-3, SACK permitted 4-5, timestamps 6-15, NOP 16,
     * window scale 17-19 */
    g_assert_cmpuint(seg->mss, ==, n >= 4 ? 1460 : 0);
    g_assert_cmpint(seg->sack_ok, ==, n >= 6);
    g_assert_cmpint(seg->has_ts, ==, n >= 16);
    g_assert_cmphex(seg->tsval, ==, n >= 16 ? 0x11223344 : 0);
    g_assert_cmpuint(seg->wscale, ==, FS_WSCALE_NONE);
    g_assert_cmpuint(seg->hdr_hash, !=, 0);
}

/* Cut anywhere in the headers before TCP's first 20 bytes end: truncated;
 * in its options: decoded without the options cut (F5 of the round-18p
 * audit: a 68-byte snap length lost every SYN); after: whole. */
static void
test_truncated_every_offset(void)
{
    g_autoptr(GPtrArray) cases = link_cases();

    for (guint i = 0; i < cases->len; i++) {
        const LinkCase *lc = g_ptr_array_index(cases, i);
        guint full = lc->frame->len;
        guint hdr_end = full - lc->payload_len;
        guint opts_at = hdr_end - (guint)sizeof synack_opts;
        FsSegment seg;

        g_assert_cmpint(decode(lc->linktype, lc->frame, &seg), ==,
                        FS_DECODE_OK);
        assert_case_segment(lc, &seg);
        g_assert_cmpuint(seg.opts_cut, ==, FALSE);
        for (guint cut = 0; cut < full; cut++) {
            FsDecodeStatus want =
                cut < opts_at ? FS_DECODE_TRUNCATED : FS_DECODE_OK;
            FsDecodeStatus got =
                decode_cut(lc->linktype, lc->frame, cut, full, &seg);

            if (got != want)
                g_test_message("%s cut at %u of %u", lc->name, cut, full);
            g_assert_cmpint(got, ==, want);
            if (got == FS_DECODE_OK && cut < hdr_end)
                assert_options_cut_at(lc, &seg, cut - opts_at);
            else if (got == FS_DECODE_OK)
                assert_case_segment(lc, &seg);
        }
    }
}

/* A Linux client's SYN as a 68-byte snap length keeps it: Ethernet 14,
 * IPv4 20, TCP 20, then 14 of its 20 bytes of options: MSS and SACK
 * permitted whole, timestamps cut after TSval's first 2 bytes. */
static void
test_options_cut_syn(void)
{
    static const guint8 syn_opts[] = {
        0x02, 0x04, 0x05, 0xb4,             /* MSS 1460 */
        0x04, 0x02,                         /* SACK permitted */
        0x08, 0x0a, 0x11, 0x22, 0x33, 0x44, /* timestamps: TSval */
        0x00, 0x00, 0x00, 0x00,             /*   TSecr 0 (a SYN's) */
        0x01,                               /* NOP */
        0x03, 0x03, 0x07,                   /* window scale 7 */
    };
    g_autoptr(GByteArray) tcp = tcp_segment(syn_opts, sizeof syn_opts, 0);
    g_autoptr(GByteArray) pkt = NULL;
    g_autoptr(GByteArray) frame = NULL;
    FsSegment seg;

    tcp->data[13] = FS_TH_SYN;
    pkt = ipv4_packet(PROTO_TCP, IPV4_DF, NULL, 0, tcp);
    frame = eth_frame(NULL, 0, ETH_IPV4, pkt);
    g_assert_cmpuint(frame->len, ==, 74);
    g_assert_cmpint(decode_cut(FS_DLT_EN10MB, frame, 68, 74, &seg), ==,
                    FS_DECODE_OK);
    g_assert_cmphex(seg.flags, ==, FS_TH_SYN);
    g_assert_cmphex(seg.seq, ==, TEST_SEQ);
    g_assert_cmpuint(seg.sport, ==, TEST_SPORT);
    g_assert_cmpuint(seg.dport, ==, TEST_DPORT);
    g_assert_cmpuint(seg.payload_len, ==, 0);
    g_assert_cmpuint(seg.mss, ==, 1460);
    g_assert_true(seg.sack_ok);
    g_assert_true(!seg.has_ts); /* not known: opts_cut */
    g_assert_cmpuint(seg.wscale, ==, FS_WSCALE_NONE);
    g_assert_cmpuint(seg.opts_cut, ==, TRUE);
    /* the same header whole says more; cut one byte short of the base
     * header, nothing */
    g_assert_cmpint(decode(FS_DLT_EN10MB, frame, &seg), ==, FS_DECODE_OK);
    g_assert_cmpuint(seg.opts_cut, ==, FALSE);
    g_assert_cmpuint(seg.wscale, ==, 7);
    g_assert_cmpint(decode_cut(FS_DLT_EN10MB, frame, 53, 74, &seg), ==,
                    FS_DECODE_TRUNCATED);
}

/* NOP, NOP, timestamps at 64 bytes (2 of TSecr's 4 captured): no TSval
 * read, and unknown; the header hash covers the options' captured whole
 * words (NOP, NOP, kind, length, TSval), so two such ACKs whose TSecrs
 * differ past the cut hash the same, and whose TSvals differ do not;
 * cut after an EOL, nothing was lost. */
static void
test_options_cut_timestamps(void)
{
    static const guint8 nop_nop_ts[] = {
        0x01, 0x01, 0x08, 0x0a, 0x11, 0x22, 0x33, 0x44, /* TSval */
        0x55, 0x66, 0x77, 0x88,                         /* TSecr */
    };
    static const guint8 mss_eol[] = {
        0x02, 0x04, 0x05, 0xb4, /* MSS 1460 */
        0x00, 0x00, 0x00, 0x00, /* EOL, padding */
    };
    g_autoptr(GByteArray) tcp = tcp_segment(nop_nop_ts, 12, 100);
    g_autoptr(GByteArray) pkt = ipv4_packet(PROTO_TCP, IPV4_DF, NULL, 0, tcp);
    g_autoptr(GByteArray) frame = eth_frame(NULL, 0, ETH_IPV4, pkt);
    g_autoptr(GByteArray) other = NULL;
    g_autoptr(GByteArray) eol_tcp = tcp_segment(mss_eol, 8, 0);
    g_autoptr(GByteArray) eol_pkt =
        ipv4_packet(PROTO_TCP, IPV4_DF, NULL, 0, eol_tcp);
    g_autoptr(GByteArray) eol = eth_frame(NULL, 0, ETH_IPV4, eol_pkt);
    FsSegment seg, seg2;

    g_assert_cmpint(decode_cut(FS_DLT_EN10MB, frame, 64, frame->len, &seg),
                    ==, FS_DECODE_OK);
    g_assert_true(!seg.has_ts);
    g_assert_cmpuint(seg.tsval, ==, 0);
    g_assert_cmpuint(seg.opts_cut, ==, TRUE);
    g_assert_cmpuint(seg.payload_len, ==, 100);
    other = eth_frame(NULL, 0, ETH_IPV4, pkt);
    other->data[14 + 20 + 20 + 11] = 0x89; /* TSecr 0x55667789, cut */
    g_assert_cmpint(decode_cut(FS_DLT_EN10MB, other, 64, other->len, &seg2),
                    ==, FS_DECODE_OK);
    g_assert_cmphex(seg.hdr_hash, ==, seg2.hdr_hash);
    /* at 66 both are whole, and differ */
    g_assert_cmpint(decode_cut(FS_DLT_EN10MB, frame, 66, frame->len, &seg),
                    ==, FS_DECODE_OK);
    g_assert_cmpint(decode_cut(FS_DLT_EN10MB, other, 66, other->len, &seg2),
                    ==, FS_DECODE_OK);
    g_assert_cmpuint(seg.opts_cut, ==, FALSE);
    g_assert_true(seg.has_ts);
    g_assert_cmphex(seg.hdr_hash, !=, seg2.hdr_hash);
    /* a TSval that differs is captured, at 64 too */
    other->data[14 + 20 + 20 + 7] = 0x45; /* TSval 0x11223345 */
    g_assert_cmpint(decode_cut(FS_DLT_EN10MB, frame, 64, frame->len, &seg),
                    ==, FS_DECODE_OK);
    g_assert_cmpint(decode_cut(FS_DLT_EN10MB, other, 64, other->len, &seg2),
                    ==, FS_DECODE_OK);
    g_assert_cmphex(seg.hdr_hash, !=, seg2.hdr_hash);
    /* MSS and EOL captured, the padding not: nothing unknown */
    g_assert_cmpint(decode_cut(FS_DLT_EN10MB, eol, 59, eol->len, &seg), ==,
                    FS_DECODE_OK);
    g_assert_cmpuint(seg.mss, ==, 1460);
    g_assert_cmpuint(seg.opts_cut, ==, FALSE);
    /* MSS cut after its length byte: unknown */
    g_assert_cmpint(decode_cut(FS_DLT_EN10MB, eol, 57, eol->len, &seg), ==,
                    FS_DECODE_OK);
    g_assert_cmpuint(seg.mss, ==, 0);
    g_assert_cmpuint(seg.opts_cut, ==, TRUE);
}

static void
test_payload_not_captured(void)
{
    g_autoptr(GByteArray) tcp = tcp_segment(NULL, 0, 1460);
    g_autoptr(GByteArray) pkt = ipv4_packet(PROTO_TCP, IPV4_DF, NULL, 0, tcp);
    g_autoptr(GByteArray) frame = eth_frame(NULL, 0, ETH_IPV4, pkt);
    FsSegment seg;

    /* snap length 54: Ethernet, IPv4 and TCP headers only */
    g_assert_cmpint(decode_cut(FS_DLT_EN10MB, frame, 54, 1514, &seg), ==,
                    FS_DECODE_OK);
    g_assert_cmpuint(seg.payload_len, ==, 1460);
    /* caplen beyond wirelen is not believed */
    g_assert_cmpint(decode_cut(FS_DLT_EN10MB, frame, 1514, 40, &seg), ==,
                    FS_DECODE_TRUNCATED);
}

/* A segmentation-offload super-packet (TSO, BIG TCP: captured on the
 * sender before the NIC cuts it) says total length 0: its length is the
 * captured one, as Wireshark and tcpdump take it. */
static void
test_ipv4_total_zero(void)
{
    g_autoptr(GByteArray) tcp = tcp_segment(NULL, 0, 1976);
    g_autoptr(GByteArray) pkt = ipv4_packet(PROTO_TCP, IPV4_DF, NULL, 0, tcp);
    g_autoptr(GByteArray) frame = NULL;
    FsSegment seg;

    pkt->data[2] = 0;
    pkt->data[3] = 0;
    frame = eth_frame(NULL, 0, ETH_IPV4, pkt);
    g_assert_cmpint(decode(FS_DLT_EN10MB, frame, &seg), ==, FS_DECODE_OK);
    g_assert_cmpuint(seg.payload_len, ==, 1976);
    g_assert_cmpint(decode(FS_DLT_RAW, pkt, &seg), ==, FS_DECODE_OK);
    g_assert_cmpuint(seg.payload_len, ==, 1976);
    /* the length on the wire, not the snap length's (as Wireshark's
     * reported length): headers only captured */
    g_assert_cmpint(decode_cut(FS_DLT_EN10MB, frame, 54, frame->len, &seg),
                    ==, FS_DECODE_OK);
    g_assert_cmpuint(seg.payload_len, ==, 1976);
}

static void
test_invalid_ihl(void)
{
    g_autoptr(GByteArray) ihl4 = std_ipv4();
    g_autoptr(GByteArray) ihl0 = std_ipv4();
    g_autoptr(GByteArray) ihl15 = std_ipv4();
    g_autoptr(GByteArray) total19 = std_ipv4();
    FsSegment seg;

    ihl4->data[0] = 0x44;  /* version 4, IHL 4: shorter than 20 bytes */
    ihl0->data[0] = 0x40;  /* version 4, IHL 0 */
    ihl15->data[0] = 0x4f; /* IHL 15 = 60 bytes, total length is 70 */
    ihl15->data[2] = 0;    /* total length 50: less than the header */
    ihl15->data[3] = 50;
    total19->data[2] = 0;  /* total length 19 */
    total19->data[3] = 19;
    g_assert_cmpint(decode(FS_DLT_RAW, ihl4, &seg), ==, FS_DECODE_INVALID);
    g_assert_cmpint(decode(FS_DLT_RAW, ihl0, &seg), ==, FS_DECODE_INVALID);
    g_assert_cmpint(decode(FS_DLT_RAW, ihl15, &seg), ==, FS_DECODE_INVALID);
    g_assert_cmpint(decode(FS_DLT_RAW, total19, &seg), ==,
                    FS_DECODE_INVALID);
}

static void
test_invalid_data_offset(void)
{
    g_autoptr(GByteArray) doff4 = std_ipv4();
    g_autoptr(GByteArray) doff0 = std_ipv4();
    g_autoptr(GByteArray) doff15 = std_ipv4();
    g_autoptr(GByteArray) short_ip = std_ipv4();
    FsSegment seg;

    /* byte 20 + 12 is the TCP data offset; IP payload is 40 + 10 bytes */
    doff4->data[32] = 0x40;  /* 16 bytes: shorter than the fixed header */
    doff0->data[32] = 0x00;  /* 0 bytes */
    doff15->data[32] = 0xf0; /* 60 bytes: more than the IP payload */
    short_ip->data[2] = 0;   /* total length 50: TCP header 40 > 30 left */
    short_ip->data[3] = 50;
    g_assert_cmpint(decode(FS_DLT_RAW, doff4, &seg), ==, FS_DECODE_INVALID);
    g_assert_cmpint(decode(FS_DLT_RAW, doff0, &seg), ==, FS_DECODE_INVALID);
    g_assert_cmpint(decode(FS_DLT_RAW, doff15, &seg), ==,
                    FS_DECODE_INVALID);
    g_assert_cmpint(decode(FS_DLT_RAW, short_ip, &seg), ==,
                    FS_DECODE_INVALID);
    short_ip->data[3] = 30; /* total 30: not even a fixed TCP header */
    g_assert_cmpint(decode(FS_DLT_RAW, short_ip, &seg), ==,
                    FS_DECODE_INVALID);
}

static void
test_hash(void)
{
    g_autoptr(GByteArray) v4 = std_ipv4();
    g_autoptr(GByteArray) hop = std_ipv4();
    g_autoptr(GByteArray) other_id = std_ipv4();
    g_autoptr(GByteArray) v6 = std_ipv6();
    g_autoptr(GByteArray) hop6 = std_ipv6();
    g_autoptr(GByteArray) sll = sll_frame(ETH_IPV4, v4);
    FsSegment a, b;

    hop->data[8] = 63;     /* TTL one less */
    hop->data[10] = 0x12;  /* and a different header checksum */
    hop->data[11] = 0x34;
    other_id->data[5] = 0x35; /* IP ID 0x1235: another datagram */
    hop6->data[7] = 1;     /* hop limit 1 */
    g_assert_cmpint(decode(FS_DLT_RAW, v4, &a), ==, FS_DECODE_OK);
    g_assert_cmpint(decode(FS_DLT_RAW, hop, &b), ==, FS_DECODE_OK);
    g_assert_cmphex(a.hdr_hash, ==, b.hdr_hash);
    g_assert_cmpint(decode(FS_DLT_LINUX_SLL, sll, &b), ==, FS_DECODE_OK);
    g_assert_cmphex(a.hdr_hash, ==, b.hdr_hash);
    g_assert_cmpint(decode(FS_DLT_RAW, other_id, &b), ==, FS_DECODE_OK);
    g_assert_cmphex(a.hdr_hash, !=, b.hdr_hash);
    g_assert_cmpint(decode(FS_DLT_RAW, v6, &a), ==, FS_DECODE_OK);
    g_assert_cmpint(decode(FS_DLT_RAW, hop6, &b), ==, FS_DECODE_OK);
    g_assert_cmphex(a.hdr_hash, ==, b.hdr_hash);
}

static void
test_segment_reset(void)
{
    g_autoptr(GByteArray) tcp = tcp_segment(NULL, 0, 0);
    g_autoptr(GByteArray) pkt = ipv4_packet(PROTO_TCP, 0, NULL, 0, tcp);
    FsSegment seg;

    memset(&seg, 0xa5, sizeof seg); /* leftovers of a previous packet */
    g_assert_cmpint(decode(FS_DLT_RAW, pkt, &seg), ==, FS_DECODE_OK);
    g_assert_cmpint(seg.ts, ==, 0); /* the caller sets ts */
    g_assert_cmpuint(seg.vlan, ==, 0);
    g_assert_cmpuint(seg.mss, ==, 0);
    g_assert_cmpuint(seg.wscale, ==, FS_WSCALE_NONE);
    g_assert_cmpuint(seg.opts_cut, ==, FALSE);
    g_assert_true(!seg.sack_ok);
    g_assert_cmpuint(seg.dsack, ==, FALSE);
    g_assert_true(!seg.has_ts);
    g_assert_cmpuint(seg.tsval, ==, 0);
    g_assert_cmpuint(seg.tsecr, ==, 0);
    g_assert_cmpuint(seg.payload_len, ==, 0);
    for (guint i = 4; i < sizeof seg.src.bytes; i++)
        g_assert_cmpuint(seg.src.bytes[i], ==, 0);
}

/* Sane fields for whatever random bytes decoded as a TCP segment. */
static void
assert_plausible(const FsSegment *seg)
{
    g_assert_true(seg->src.family == 4 || seg->src.family == 6);
    g_assert_cmpuint(seg->dst.family, ==, seg->src.family);
    g_assert_true(seg->wscale <= 14 || seg->wscale == FS_WSCALE_NONE);
    g_assert_cmpuint(seg->payload_len, <=, 65535);
}

/* A frame of random length: random bytes, or a valid frame of this link
 * type with a few bytes changed and a random cut. */
static guint8 *
random_frame(GRand *rand, const GPtrArray *bases, guint *len)
{
    const GByteArray *base;
    guint8 *buf;

    if (bases->len == 0 || g_rand_boolean(rand)) {
        *len = (guint)g_rand_int_range(rand, 0, 160);
        buf = g_malloc(*len); /* exactly *len bytes; NULL when 0 */
        for (guint i = 0; i < *len; i++)
            buf[i] = (guint8)g_rand_int_range(rand, 0, 256);
        return buf;
    }
    base = g_ptr_array_index(
        bases, (guint)g_rand_int_range(rand, 0, (gint32)bases->len));
    *len = (guint)g_rand_int_range(rand, 0, (gint32)base->len + 1);
    buf = g_memdup2(base->data, *len);
    for (int flips = g_rand_int_range(rand, 1, 5); flips > 0 && *len > 0;
         flips--)
        buf[g_rand_int_range(rand, 0, (gint32)*len)] =
            (guint8)g_rand_int_range(rand, 0, 256);
    return buf;
}

static void
fuzz_linktype(GRand *rand, int linktype, const GPtrArray *cases,
              guint *counts)
{
    g_autoptr(GPtrArray) bases = g_ptr_array_new();

    for (guint i = 0; i < cases->len; i++) {
        const LinkCase *lc = g_ptr_array_index(cases, i);

        if (lc->linktype == linktype)
            g_ptr_array_add(bases, lc->frame);
    }
    for (guint n = 0; n < 10000; n++) {
        guint len = 0;
        g_autofree guint8 *buf = random_frame(rand, bases, &len);
        guint wirelen = len + (guint)g_rand_int_range(rand, 0, 100);
        FsSegment seg;
        FsDecodeStatus status = fs_decode(linktype, buf, len, wirelen, &seg);

        g_assert_cmpint(status, >=, 0);
        g_assert_cmpint(status, <, FS_DECODE_N_STATUS);
        g_assert_nonnull(fs_decode_status_name(status));
        if (status == FS_DECODE_OK)
            assert_plausible(&seg);
        counts[status]++;
    }
}

static void
test_random_bytes(void)
{
    static const int linktypes[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229,
                                     276 };
    g_autoptr(GRand) rand = g_rand_new_with_seed(0x5eed);
    g_autoptr(GPtrArray) cases = link_cases();
    guint counts[FS_DECODE_N_STATUS] = { 0 };

    for (gsize i = 0; i < G_N_ELEMENTS(linktypes); i++)
        fuzz_linktype(rand, linktypes[i], cases, counts);
    /* the mutated frames reach every outcome */
    for (guint s = 0; s < FS_DECODE_N_STATUS; s++) {
        g_test_message("%s: %u", fs_decode_status_name(s), counts[s]);
        g_assert_cmpuint(counts[s], >, 0);
    }
}


/* ---- the fast path against the general one ----
 * fs_decode() reads the common frame (untagged Ethernet, IPv4 without
 * options or IPv6 without extension headers, TCP) at fixed offsets;
 * fs_decode_general() the long way. Both must make the same of any
 * frame. */

static void
assert_same_addr(const FsAddr *a, const FsAddr *b)
{
    g_assert_cmpuint(a->family, ==, b->family);
    g_assert_cmpmem(a->bytes, sizeof a->bytes, b->bytes, sizeof b->bytes);
}

/* Every field (not the padding, which neither path owes anything). */
static void
assert_same_segment(const FsSegment *a, const FsSegment *b)
{
    g_assert_cmpint(a->ts, ==, b->ts);
    assert_same_addr(&a->src, &b->src);
    assert_same_addr(&a->dst, &b->dst);
    g_assert_cmpuint(a->sport, ==, b->sport);
    g_assert_cmpuint(a->dport, ==, b->dport);
    g_assert_cmpuint(a->vlan, ==, b->vlan);
    g_assert_cmphex(a->seq, ==, b->seq);
    g_assert_cmphex(a->ack, ==, b->ack);
    g_assert_cmpuint(a->window, ==, b->window);
    g_assert_cmphex(a->flags, ==, b->flags);
    g_assert_cmpuint(a->wscale, ==, b->wscale);
    g_assert_cmpuint(a->mss, ==, b->mss);
    g_assert_cmpuint(a->opts_cut, ==, b->opts_cut);
    g_assert_cmpuint(a->ip_ident, ==, b->ip_ident);
    g_assert_cmpint(a->sack_ok, ==, b->sack_ok);
    g_assert_cmpuint(a->dsack, ==, b->dsack);
    if (a->dsack) /* the edge is valid only then */
        g_assert_cmphex(a->dsack_right, ==, b->dsack_right);
    g_assert_cmpint(a->has_ts, ==, b->has_ts);
    g_assert_cmphex(a->tsval, ==, b->tsval);
    g_assert_cmphex(a->tsecr, ==, b->tsecr);
    g_assert_cmpuint(a->payload_len, ==, b->payload_len);
    g_assert_cmphex(a->hdr_hash, ==, b->hdr_hash);
    g_assert_cmpuint(a->flow_hash, ==, b->flow_hash);
    g_assert_cmpuint(a->frame, ==, b->frame);
    g_assert_cmpuint(a->source, ==, b->source);
}

/* Decodes an exact-size copy both ways (the fast path's segment full of
 * leftovers first) and compares; the status fs_decode() gave. */
static FsDecodeStatus
assert_paths_agree(int linktype, const guint8 *data, guint32 caplen,
                   guint32 wirelen)
{
    g_autofree guint8 *copy = g_memdup2(data, caplen);
    FsSegment fast, general, framed;
    FsDecodeStatus sf, sg;

    memset(&fast, 0xa5, sizeof fast);
    memset(&general, 0x5a, sizeof general);
    sf = fs_decode(linktype, copy, caplen, wirelen, &fast);
    sg = fs_decode_general(linktype, copy, caplen, wirelen, &general);
    g_assert_cmpint(sf, ==, sg);
    if (sf == FS_DECODE_OK)
        assert_same_segment(&fast, &general);
    /* fs_decode_frame(): the caller's time, frame and source kept, the
     * flow hash (its fast path's own) fs_flow_hash()'s */
    memset(&framed, 0xc3, sizeof framed);
    framed.ts = 1234;
    framed.frame = 7;
    framed.source = 3;
    g_assert_cmpint(fs_decode_frame(linktype, copy, caplen, wirelen, &framed),
                    ==, sf);
    g_assert_cmpint(framed.ts, ==, 1234);
    g_assert_cmpuint(framed.frame, ==, 7);
    g_assert_cmpuint(framed.source, ==, 3);
    g_assert_cmpuint(framed.flow_hash, ==,
                     sf == FS_DECODE_OK ? fs_flow_hash(&general) : 0);
    if (sf == FS_DECODE_OK) {
        framed.ts = general.ts;
        framed.frame = general.frame;
        framed.source = general.source;
        framed.flow_hash = general.flow_hash;
        assert_same_segment(&framed, &general);
    }
    return sf;
}

/* Common frames and their near misses: options of every kind, tags,
 * fragments, IP options and extension headers, AH, PPPoE, MPLS, GRE,
 * VXLAN, IP in IP, padding, a payload not captured; each cut at every
 * length and with a shorter wire length. */
static GPtrArray *
common_frames(void)
{
    static const guint8 nop_nop_ts[] = {
        0x01, 0x01, 0x08, 0x0a, 0x11, 0x22, 0x33, 0x44,
        0x55, 0x66, 0x77, 0x88,
    };
    /* the same 12 bytes, but TS's length says 9: parsing stops there */
    static const guint8 nop_nop_bad_ts[] = {
        0x01, 0x01, 0x08, 0x09, 0x11, 0x22, 0x33, 0x44,
        0x55, 0x66, 0x77, 0x88,
    };
    static const guint8 ts_nop_nop[] = {
        0x08, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
        0x77, 0x88, 0x01, 0x01,
    };
    static const guint8 mss_eol[] = { 0x02, 0x04, 0x05, 0xb4, 0, 0, 0, 0 };
    /* the SYN-ACK's layout (read at fixed offsets by the fast path),
     * its window scale above RFC 7323's 14, and its NOP an EOL */
    static const guint8 syn_ws_big[] = {
        0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x11, 0x22,
        0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x01, 0x03, 0x03, 0x0f,
    };
    static const guint8 syn_eol_ws[] = {
        0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x11, 0x22,
        0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x00, 0x03, 0x03, 0x07,
    };
    /* Linux's ACK with a D-SACK: NOP, NOP, TS, NOP, NOP, SACK of one
     * block below the ACK (TEST_ACK - 1, TEST_ACK) */
    static const guint8 ts_dsack[] = {
        0x01, 0x01, 0x08, 0x0a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
        0x77, 0x88, 0x01, 0x01, 0x05, 0x0a, 0xa0, 0xb0, 0xc0, 0xcf,
        0xa0, 0xb0, 0xc0, 0xd0,
    };
    /* a SACK of 7 bytes of blocks (no whole number): stepped over */
    static const guint8 sack_odd[] = {
        0x05, 0x09, 0xa0, 0xb0, 0xc0, 0xcf, 0xa0, 0xb0, 0xc0, 0x01,
        0x01, 0x01,
    };
    static const guint8 frag_only[] = { 6, 0, 0x00, 0x08, 0, 0, 0, 1 };
    static const guint16 vlan_tag[1][2] = { { 0x8100, 0x0064 } };
    struct {
        const guint8 *opts;
        gsize len;
    } tcp_opts[] = {
        { NULL, 0 },
        { nop_nop_ts, sizeof nop_nop_ts },
        { nop_nop_bad_ts, sizeof nop_nop_bad_ts },
        { ts_nop_nop, sizeof ts_nop_nop },
        { synack_opts, sizeof synack_opts },
        { mss_eol, sizeof mss_eol },
        { syn_ws_big, sizeof syn_ws_big },
        { syn_eol_ws, sizeof syn_eol_ws },
        { ts_dsack, sizeof ts_dsack },
        { sack_odd, sizeof sack_odd },
    };
    GPtrArray *frames = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_byte_array_unref);

    for (gsize i = 0; i < G_N_ELEMENTS(tcp_opts); i++) {
        for (guint payload = 0; payload <= 3; payload += 3) {
            g_autoptr(GByteArray) tcp =
                tcp_segment(tcp_opts[i].opts, tcp_opts[i].len, payload);
            g_autoptr(GByteArray) v4 =
                ipv4_packet(PROTO_TCP, IPV4_DF, NULL, 0, tcp);
            g_autoptr(GByteArray) v4_opts = ipv4_packet(
                PROTO_TCP, IPV4_DF, ipv4_opts, sizeof ipv4_opts, tcp);
            g_autoptr(GByteArray) v4_frag =
                ipv4_packet(PROTO_TCP, IPV4_MF, NULL, 0, tcp);
            g_autoptr(GByteArray) v4_udp =
                ipv4_packet(PROTO_UDP, 0, NULL, 0, tcp);
            g_autoptr(GByteArray) v6 = ipv6_packet(PROTO_TCP, NULL, 0, tcp);
            g_autoptr(GByteArray) v6_ext = ipv6_packet(
                0, ipv6_ext_chain, sizeof ipv6_ext_chain, tcp);
            g_autoptr(GByteArray) v6_frag = ipv6_packet(
                PROTO_FRAGMENT, frag_only, sizeof frag_only, tcp);
            g_autoptr(GByteArray) ah = ah_header(PROTO_TCP, 4, 7, tcp);
            g_autoptr(GByteArray) v4_ah =
                ipv4_packet(PROTO_AH, IPV4_DF, NULL, 0, ah);
            g_autoptr(GByteArray) pppoe = pppoe_payload(PPP_IPV4, v4);
            g_autoptr(GByteArray) mpls = mpls_payload(2, v6);
            g_autoptr(GByteArray) gre = gre_payload(GRE_K, ETH_IPV4, v4);
            g_autoptr(GByteArray) e4 = inner_eth(NULL, 0, v4);
            g_autoptr(GByteArray) vx = vxlan_payload(0x08, 3, e4);
            g_autoptr(GByteArray) vxlan = udp_payload(PORT_VXLAN, vx);
            GByteArray *padded;

            g_ptr_array_add(frames, eth_frame(NULL, 0, ETH_IPV4, v4));
            g_ptr_array_add(frames, eth_frame(NULL, 0, ETH_IPV4, v4_opts));
            g_ptr_array_add(frames, eth_frame(NULL, 0, ETH_IPV4, v4_frag));
            g_ptr_array_add(frames, eth_frame(NULL, 0, ETH_IPV4, v4_udp));
            g_ptr_array_add(frames, eth_frame(vlan_tag, 1, ETH_IPV4, v4));
            g_ptr_array_add(frames, eth_frame(NULL, 0, ETH_IPV6, v4));
            g_ptr_array_add(frames, eth_frame(NULL, 0, ETH_IPV6, v6));
            g_ptr_array_add(frames, eth_frame(NULL, 0, ETH_IPV4, v6));
            g_ptr_array_add(frames, eth_frame(NULL, 0, ETH_IPV6, v6_ext));
            g_ptr_array_add(frames, eth_frame(NULL, 0, ETH_IPV6, v6_frag));
            g_ptr_array_add(frames, eth_frame(vlan_tag, 1, ETH_IPV6, v6));
            g_ptr_array_add(frames, eth_frame(NULL, 0, ETH_IPV4, v4_ah));
            g_ptr_array_add(frames, eth_frame(NULL, 0, ETH_PPPOE, pppoe));
            g_ptr_array_add(frames, eth_frame(NULL, 0, ETH_MPLS, mpls));
            g_ptr_array_add(frames,
                            eth_owned(NULL, 0, ETH_IPV4,
                                      outer_ipv4(PROTO_GRE, gre)));
            g_ptr_array_add(frames, eth_owned(NULL, 0, ETH_IPV4,
                                              outer_ipv4(17, vxlan)));
            g_ptr_array_add(frames, eth_owned(NULL, 0, ETH_IPV6,
                                              outer_ipv6(PROTO_IPIP, v4)));
            /* Ethernet's minimum frame: padding after the datagram */
            padded = eth_frame(NULL, 0, ETH_IPV4, v4);
            for (guint k = 0; k < 8; k++)
                put8(padded, 0);
            g_ptr_array_add(frames, padded);
        }
    }
    return frames;
}

static void
test_fast_path_frames(void)
{
    g_autoptr(GPtrArray) frames = common_frames();
    guint ok = 0;

    for (guint i = 0; i < frames->len; i++) {
        const GByteArray *f = g_ptr_array_index(frames, i);

        for (guint cut = 0; cut <= f->len; cut++) {
            if (assert_paths_agree(FS_DLT_EN10MB, f->data, cut, f->len) ==
                FS_DECODE_OK)
                ok++;
            /* a wire length shorter than what was captured */
            assert_paths_agree(FS_DLT_EN10MB, f->data, f->len, cut);
        }
    }
    g_assert_cmpuint(ok, >, 0);
}

/* Every field of the common frames rewritten at random, a few at a time:
 * versions, IHLs, lengths, EtherTypes, protocols, data offsets, option
 * bytes. */
static void
test_fast_path_mutated(void)
{
    g_autoptr(GPtrArray) frames = common_frames();
    g_autoptr(GRand) rand = g_rand_new_with_seed(0xfa57);
    guint counts[FS_DECODE_N_STATUS] = { 0 };

    for (guint n = 0; n < 200000; n++) {
        const GByteArray *f = g_ptr_array_index(
            frames, (guint)g_rand_int_range(rand, 0, (gint32)frames->len));
        g_autofree guint8 *buf = g_memdup2(f->data, f->len);
        guint len = f->len;
        guint wirelen;

        for (int flips = g_rand_int_range(rand, 1, 4); flips > 0; flips--) {
            /* mostly the headers: the first 14 + 60 + 60 bytes */
            guint at = (guint)g_rand_int_range(rand, 0, (gint32)MIN(len, 134));
            guint8 v = (guint8)g_rand_int_range(rand, 0, 256);

            if (g_rand_boolean(rand))
                v = buf[at] ^ (guint8)(1u << g_rand_int_range(rand, 0, 8));
            buf[at] = v;
        }
        if (g_rand_int_range(rand, 0, 4) == 0)
            len = (guint)g_rand_int_range(rand, 0, (gint32)len + 1);
        wirelen = g_rand_int_range(rand, 0, 8) == 0
                      ? (guint)g_rand_int_range(rand, 0, (gint32)len + 1)
                      : len + (guint)g_rand_int_range(rand, 0, 100);
        counts[assert_paths_agree(FS_DLT_EN10MB, buf, len, wirelen)]++;
    }
    for (guint s = 0; s < FS_DECODE_N_STATUS; s++) {
        g_test_message("%s: %u", fs_decode_status_name(s), counts[s]);
        g_assert_cmpuint(counts[s], >, 0);
    }
}

/* Every frame of every capture under samples/ (Ethernet or not). */
static void
test_fast_path_samples(void)
{
    g_autofree char *dir = g_test_build_filename(G_TEST_DIST, "samples", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    guint files = 0;
    guint64 frames = 0;

    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d)) != NULL) {
        g_autofree char *path = NULL;
        g_autoptr(FsCapture) cap = NULL;
        const char *paths[1];
        FsPacket pkt;

        if (!g_str_has_suffix(name, ".pcap") &&
            !g_str_has_suffix(name, ".pcapng"))
            continue;
        path = g_build_filename(dir, name, NULL);
        paths[0] = path;
        cap = fs_capture_open_files(paths, 1, NULL, NULL);
        if (cap == NULL)
            continue; /* a sample that is meant not to open */
        files++;
        while (fs_capture_next(cap, &pkt, NULL) == FS_CAPTURE_PACKET) {
            assert_paths_agree(pkt.linktype, pkt.data, pkt.caplen,
                               pkt.wirelen);
            frames++;
        }
    }
    g_test_message("%u samples, %" G_GUINT64_FORMAT " frames", files, frames);
    g_assert_cmpuint(files, >, 50);
    g_assert_cmpuint(frames, >, 500);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/decode/status-name", test_status_name);
    g_test_add_func("/decode/linktype-supported", test_linktype_supported);
    g_test_add_func("/decode/unsupported-linktype",
                    test_unsupported_linktype);
    g_test_add_func("/decode/ethernet/ipv4", test_ethernet_ipv4);
    g_test_add_func("/decode/ethernet/ipv6", test_ethernet_ipv6);
    g_test_add_func("/decode/vlan/single", test_vlan_single);
    g_test_add_func("/decode/vlan/qinq", test_vlan_qinq);
    g_test_add_func("/decode/sll", test_sll);
    g_test_add_func("/decode/sll2", test_sll2);
    g_test_add_func("/decode/null", test_null);
    g_test_add_func("/decode/ipv4-total-zero", test_ipv4_total_zero);
    g_test_add_func("/decode/loop", test_loop);
    g_test_add_func("/decode/raw", test_raw);
    g_test_add_func("/decode/ipv6/ext-headers", test_ipv6_ext_headers);
    g_test_add_func("/decode/ipv6/fragment", test_ipv6_fragment);
    g_test_add_func("/decode/ipv4/fragment", test_ipv4_fragment);
    g_test_add_func("/decode/ipv4/options", test_ipv4_options);
    g_test_add_func("/decode/tcp/options", test_tcp_options);
    g_test_add_func("/decode/tcp/sack", test_sack_blocks);
    g_test_add_func("/decode/ipv4/ah", test_ipv4_ah);
    g_test_add_func("/decode/pppoe", test_pppoe);
    g_test_add_func("/decode/mpls", test_mpls);
    g_test_add_func("/decode/tunnels", test_tunnels);
    g_test_add_func("/decode/llc-snap", test_llc);
    g_test_add_func("/decode/padding", test_padding);
    g_test_add_func("/decode/not-ip", test_not_ip);
    g_test_add_func("/decode/more-links-refused", test_more_links_refused);
    g_test_add_func("/decode/not-tcp", test_not_tcp);
    g_test_add_func("/decode/truncated-every-offset",
                    test_truncated_every_offset);
    g_test_add_func("/decode/options-cut/syn", test_options_cut_syn);
    g_test_add_func("/decode/options-cut/timestamps",
                    test_options_cut_timestamps);
    g_test_add_func("/decode/payload-not-captured",
                    test_payload_not_captured);
    g_test_add_func("/decode/invalid-ihl", test_invalid_ihl);
    g_test_add_func("/decode/invalid-data-offset", test_invalid_data_offset);
    g_test_add_func("/decode/hash", test_hash);
    g_test_add_func("/decode/segment-reset", test_segment_reset);
    g_test_add_func("/decode/random-bytes", test_random_bytes);
    g_test_add_func("/decode/fast-path/frames", test_fast_path_frames);
    g_test_add_func("/decode/fast-path/mutated", test_fast_path_mutated);
    g_test_add_func("/decode/fast-path/samples", test_fast_path_samples);
    return g_test_run();
}
