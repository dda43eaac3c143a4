/* finscope: link, IP and TCP header decoding of untrusted packet bytes. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/decode.h"
#include "finscope/flow.h"
#include "finscope/seq.h"

/* Link-type numbers that are not in decode.h but mean raw IP. */
#define LINKTYPE_RAW 101       /* LINKTYPE_RAW, as stored in pcap files */
#define DLT_RAW_OPENBSD 14     /* DLT_RAW on OpenBSD */

/* EtherTypes (IEEE 802 numbers). */
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_8021Q 0x8100  /* 802.1Q C-tag */
#define ETHERTYPE_8021AD 0x88a8 /* 802.1ad S-tag */
#define ETHERTYPE_QINQ 0x9100   /* pre-802.1ad vendor S-tag */
#define ETHERTYPE_PPPOE 0x8864  /* PPPoE session stage (RFC 2516) */
#define ETHERTYPE_MPLS 0x8847   /* MPLS unicast (RFC 3032) */
#define ETHERTYPE_MPLS_MC 0x8848 /* MPLS multicast (RFC 5332) */
#define ETHERTYPE_PBB 0x88e7    /* 802.1ah I-tag (provider backbone) */
#define ETHERTYPE_TEB 0x6558    /* transparent Ethernet bridging (GRE,
                                   Geneve): an Ethernet frame follows */
#define ETHERTYPE_PPP 0x880b    /* PPP (GRE in PPTP, RFC 2637) */
#define ETHERTYPE_ERSPAN 0x88be /* ERSPAN types I and II, in GRE */
#define ETHERTYPE_ERSPAN3 0x22eb /* ERSPAN type III, in GRE */
#define ETHER_MAX_LEN 1500      /* a type this small is an 802.3 length */
#define VLAN_VID_MASK 0x0fff

/* LLC with SNAP (IEEE 802.2, RFC 1042): DSAP and SSAP 0xaa, UI, an OUI,
 * then an EtherType; OUI 0 (RFC 1042) or 00-00-f8 (802.1H). */
#define LLC_SNAP_SAP 0xaa
#define LLC_UI 0x03
#define SNAP_OUI_8021H 0x0000f8

/* PPPoE session frames (RFC 2516 §4, §5.4): version 1 and type 1 in one
 * byte, code 0 (session data); PPP protocol numbers (RFC 1332, 5072). */
#define PPPOE_VER_TYPE 0x11
#define PPPOE_CODE_SESSION 0x00
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057
#define PPP_ADDRESS 0xff /* HDLC address and control, unless compressed */
#define PPP_CONTROL 0x03

#define PPP_MPLS 0x0281  /* RFC 3032 §5 */
#define PPP_MPLS_MC 0x0283
#define PPP_PFC 0x01     /* an odd first byte: a compressed, 1-byte
                            protocol field (RFC 1661 §6.5) */
/* Cisco HDLC's address byte (Wireshark's packet-chdlc.c): unicast,
 * broadcast. Either one starting a PPP frame (LINKTYPE_PPP) is Cisco
 * HDLC, as Wireshark reads it. */
#define CHDLC_UNICAST 0x0f
#define CHDLC_BROADCAST 0x8f

/* FDDI (ANSI X3.139): frame control, destination and source MACs; the
 * asynchronous and synchronous LLC frame classes carry LLC. */
#define FDDI_HDR 13
#define FDDI_FC_CLASS_MASK 0xf8
#define FDDI_FC_LLC_ASYNC 0x50
#define FDDI_FC_LLC_SYNC 0xd0

/* LINKTYPE_NFLOG (tcpdump.org/linktypes/LINKTYPE_NFLOG.html): a Linux
 * AF_ family, version, resource id (big-endian), then TLVs whose length
 * (4 header bytes included, padded to 4) and type are in the byte order
 * of the host reading the file (libpcap swaps them for a file written
 * in the other order; mapped.c leaves such files to it). */
#define NFLOG_HDR 4
#define NFLOG_TLV_HDR 4
#define NFULA_PAYLOAD 9
#define NFLOG_TYPE_MASK 0x7fff /* the top bit says nested */
#define LINUX_AF_INET 2
#define LINUX_AF_INET6 10

/* LINKTYPE_IPOIB as libpcap captures it on Linux and Wireshark reads
 * it (packet-ipoib.c, WTAP_ENCAP_IP_OVER_IB_PCAP): 40 bytes of global
 * route header or destination address, then RFC 4391 §6's type and
 * reserved. */
#define IPOIB_ADDR 40

/* IEEE 802.11 frames: frame control's first byte holds the protocol
 * version, type and subtype, its second the flags; a data frame's
 * header is 24 bytes, more with a fourth address (to and from DS), QoS
 * control (QoS subtypes) and HT control (QoS with the order flag). */
#define WLAN_HDR 24
#define WLAN_ADDR4 6
#define WLAN_QOS 2
#define WLAN_HTC 4
#define WLAN_SEQCTL_AT 22
#define WLAN_TYPE_DATA 2
#define WLAN_SUBTYPE_NODATA 0x4
#define WLAN_SUBTYPE_QOS 0x8
#define WLAN_FLAG_DS 0x03   /* to DS and from DS: four addresses */
#define WLAN_FLAG_MOREFRAG 0x04
#define WLAN_FLAG_PROTECTED 0x40
#define WLAN_FLAG_ORDER 0x80
#define WLAN_QOS_AMSDU 0x80 /* an A-MSDU: subframes, not one LLC */
/* radiotap (radiotap.org): version 0, pad, length and the first
 * present word, little-endian; bit 31 of a present word says another
 * follows. Field 0 is the TSF timer (8 bytes, aligned to 8), field 1
 * the flags byte. */
#define RADIOTAP_HDR 8
#define RADIOTAP_EXT 0x80000000u
#define RADIOTAP_TSFT 0x1u
#define RADIOTAP_FLAGS 0x2u
#define RADIOTAP_F_DATAPAD 0x20 /* 802.11 header padded to 4 bytes */
#define RADIOTAP_F_BADFCS 0x40  /* the frame failed its FCS check */
#define RADIOTAP_MAX_PRESENT 64 /* present words: more is an attack */
/* PPI (the CACE Per-Packet Information header): version 0, flags,
 * length and the DLT of what follows, little-endian. */
#define PPI_HDR 8

/* Juniper's header (tcpdump's print-juniper.c, Wireshark's
 * packet-juniper.c): "MGC", flags, then with the extension flag a
 * 16-bit length (big-endian) of TLVs; without the no-L2 flag the
 * interface's own frame follows (Ethernet here). */
#define JUNIPER_MAGIC 0x4d4743u
#define JUNIPER_FLAG_NO_L2 0x02
#define JUNIPER_FLAG_EXT 0x80

/* MPLS label stack entries (RFC 3032 §2.1): label 20 bits, traffic
 * class 3, bottom of stack 1, TTL 8. */
#define MPLS_BOS 0x00000100u
#define MPLS_MAX_LABELS 16 /* deeper than segment routing goes: an attack */

/* Address families in DLT_NULL/DLT_LOOP headers (pcap-linktype(7)). */
#define BSD_AF_INET 2
#define BSD_AF_INET6_LINUX 10
#define BSD_AF_INET6_BSD 24     /* NetBSD, OpenBSD */
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

/* IP protocol / IPv6 next-header numbers (IANA). */
#define PROTO_HOPOPTS 0
#define PROTO_IPIP 4 /* IPv4 in IP (RFC 2003) */
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_IPV6 41 /* IPv6 in IP (RFC 4213 §3.5, RFC 2473) */
#define PROTO_GRE 47
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_AH 51
#define PROTO_DSTOPTS 60

#define IPV4_HDR_MIN 20
#define IPV4_MF 0x2000
#define IPV4_OFFSET_MASK 0x1fff
#define IPV6_EXT_MIN 8
#define AH_HDR_MIN 12 /* next header, length, reserved, SPI, sequence */
#define IPV6_FRAG_M 0x0001
#define IPV6_MAX_EXT_HDRS 8 /* more than this in one packet is an attack */
#define TCP_HDR_MIN 20

/* Tunnels followed to the TCP inside: GRE (RFC 2784, 2890; version 1,
 * PPTP's, RFC 2637 §4.1), ERSPAN in GRE, VXLAN (RFC 7348) and Geneve
 * (RFC 8926) by their UDP destination ports, IP in IP. */
#define FS_MAX_TUNNELS 4 /* Zeek's Tunnel::max_depth; real nesting stops
                            at 2 or 3 (ERSPAN of VXLAN in GRE): deeper
                            is an attack */
#define GRE_C 0x8000u    /* checksum present (and the reserved word) */
#define GRE_R 0x4000u    /* routing present (RFC 1701; Linux drops it) */
#define GRE_K 0x2000u    /* key present */
#define GRE_S 0x1000u    /* sequence number present */
#define GRE_A 0x0080u    /* acknowledgment present (version 1) */
#define GRE_VERSION 0x0007u
#define ERSPAN2_HDR 8    /* ver 1, VLAN, COS, En, T, session, index */
#define ERSPAN3_HDR 12   /* ver 2, VLAN, COS, BSO, T, session, timestamp,
                            SGT, P, FT, hw id, D, Gra, O */
#define ERSPAN3_SUBHDR 8 /* the platform-specific subheader, when O */
#define ERSPAN_T 0x0400u /* the mirrored frame was cut */
#define ERSPAN3_FT_ETHER 0
#define ERSPAN3_FT_IP 2
#define UDP_HDR 8
#define UDP_PORT_VXLAN 4789  /* IANA */
#define UDP_PORT_GENEVE 6081 /* IANA */
#define UDP_PORT_GRE 4754    /* GRE in UDP (RFC 8086) */
#define VXLAN_HDR 8
#define VXLAN_I 0x08 /* the VNI is valid */
#define GENEVE_HDR 8

/* TCP option kinds (RFC 9293 §3.2, RFC 7323, RFC 2018). */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_OK 4
#define TCPOPT_SACK 5
#define TCPOPT_SACK_MAX_BLOCKS 4 /* 2 + 8 * 4 = 34 of the 40 bytes */
#define TCPOPT_TS 8
#define TCP_MAX_WSCALE 14 /* RFC 7323 §2.3 */

/* How the network-layer header follows the link header. */
typedef enum {
    LINK_NONE,     /* not a link type we decode */
    LINK_ETHERNET, /* DIX Ethernet, possibly VLAN-tagged */
    LINK_SLL,      /* Linux cooked v1 */
    LINK_SLL2,     /* Linux cooked v2 */
    LINK_NULL,     /* 4-byte address family in the writer's byte order */
    LINK_LOOP,     /* 4-byte address family in network byte order */
    LINK_RAW,      /* the IP header comes first */
    LINK_PPP,      /* PPP (RFC 1661), with or without HDLC-like framing
                      (RFC 1662), or Cisco HDLC */
    LINK_CHDLC,    /* Cisco HDLC: address, control, EtherType */
    LINK_FDDI,     /* FDDI: frame control, MACs, then LLC/SNAP */
    LINK_NFLOG,    /* Linux NFLOG: family, version, resource id, TLVs */
    LINK_IPOIB,    /* IP over InfiniBand: libpcap's 40-byte address
                      part, then RFC 4391's type and reserved */
    LINK_80211,    /* an IEEE 802.11 frame */
    LINK_RADIOTAP, /* radiotap, then an 802.11 frame */
    LINK_PPI,      /* PPI, then a frame of the link type it names */
    LINK_JUNIPER_ETHER, /* Juniper's "MGC" header, then Ethernet */
} LinkKind;

/* The IP version the link layer announced; ANY means read the nibble. */
typedef enum {
    IP_ANY = 0,
    IP_V4 = 4,
    IP_V6 = 6,
} IpVersion;

/* Unread packet bytes: every read checks left before touching p. */
typedef struct {
    const guint8 *p; /* next unread byte */
    gsize left;      /* readable bytes from p on */
} Cursor;

/* What the general path has met on its way to the TCP header. */
typedef struct {
    guint32 vlan;      /* the flow key's VLAN: the first two VIDs met,
                          outermost first, from every Ethernet header
                          (the capture's, then a tunnel's) */
    guint ntags;       /* VIDs kept in vlan (at most 2) */
    gboolean cut;      /* a mirror cut the frame it carries (ERSPAN's T):
                          its datagram may end early, as at a snap
                          length */
    gboolean whole;    /* the frame was captured whole (caplen >=
                          wirelen): a link header's length that runs
                          past it lies (invalid), else the snap length
                          cut it (truncated) */
} Layers;

static const char *const status_names[] = {
    [FS_DECODE_OK] = "ok",
    [FS_DECODE_NOT_IP] = "not_ip",
    [FS_DECODE_NOT_TCP] = "not_tcp",
    [FS_DECODE_FRAGMENT] = "ip_fragment",
    [FS_DECODE_TRUNCATED] = "truncated",
    [FS_DECODE_INVALID] = "invalid",
};
G_STATIC_ASSERT(G_N_ELEMENTS(status_names) == FS_DECODE_N_STATUS);

static gboolean
cur_skip(Cursor *c, gsize n)
{
    if (c->left < n)
        return FALSE;
    c->p += n;
    c->left -= n;
    return TRUE;
}

static gboolean
cur_u8(Cursor *c, guint8 *out)
{
    if (c->left < 1)
        return FALSE;
    *out = c->p[0];
    c->p += 1;
    c->left -= 1;
    return TRUE;
}

static gboolean
cur_u16(Cursor *c, guint16 *out)
{
    if (c->left < 2)
        return FALSE;
    *out = (guint16)((c->p[0] << 8) | c->p[1]);
    c->p += 2;
    c->left -= 2;
    return TRUE;
}

static gboolean
cur_u32(Cursor *c, guint32 *out)
{
    if (c->left < 4)
        return FALSE;
    *out = ((guint32)c->p[0] << 24) | ((guint32)c->p[1] << 16) |
           ((guint32)c->p[2] << 8) | (guint32)c->p[3];
    c->p += 4;
    c->left -= 4;
    return TRUE;
}

static gboolean
cur_bytes(Cursor *c, guint8 *out, gsize n)
{
    if (c->left < n)
        return FALSE;
    memcpy(out, c->p, n);
    c->p += n;
    c->left -= n;
    return TRUE;
}

/* Forgets bytes beyond n: what an IP length says is padding, not payload. */
static void
cur_limit(Cursor *c, gsize n)
{
    c->left = MIN(c->left, n);
}

const char *
fs_decode_status_name(FsDecodeStatus status)
{
    g_return_val_if_fail((guint)status < FS_DECODE_N_STATUS, "unknown");
    return status_names[status];
}

/* The only switch on link-type numbers; see pcap-linktype(7). */
static LinkKind
link_kind(int linktype)
{
    switch (linktype) {
    case FS_DLT_EN10MB:
        return LINK_ETHERNET;
    case FS_DLT_LINUX_SLL:
        return LINK_SLL;
    case FS_DLT_LINUX_SLL2:
        return LINK_SLL2;
    case FS_DLT_NULL:
        return LINK_NULL;
    case FS_DLT_LOOP:
        return LINK_LOOP;
    case FS_DLT_RAW:
    case DLT_RAW_OPENBSD:
    case LINKTYPE_RAW:
    case FS_DLT_IPV4:
    case FS_DLT_IPV6:
        return LINK_RAW;
    case FS_DLT_PPP:
        return LINK_PPP;
    case FS_DLT_C_HDLC:
        return LINK_CHDLC;
    case FS_DLT_FDDI:
        return LINK_FDDI;
    case FS_DLT_NFLOG:
        return LINK_NFLOG;
    case FS_DLT_IPOIB:
        return LINK_IPOIB;
    case FS_DLT_IEEE802_11:
        return LINK_80211;
    case FS_DLT_IEEE802_11_RADIO:
        return LINK_RADIOTAP;
    case FS_DLT_PPI:
        return LINK_PPI;
    case FS_DLT_JUNIPER_ETHER:
        return LINK_JUNIPER_ETHER;
    default:
        return LINK_NONE;
    }
}

gboolean
fs_decode_linktype_supported(int linktype)
{
    return link_kind(linktype) != LINK_NONE;
}

static gboolean
is_vlan_tpid(guint16 type)
{
    return type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD ||
           type == ETHERTYPE_QINQ;
}

/* IPv4 or IPv6 by a PPP protocol number; anything else (LCP, IPCP,
 * compressed or encrypted data, ...) not IP. */
static FsDecodeStatus
ppp_ipver(guint16 proto, IpVersion *ipver)
{
    *ipver = proto == PPP_IPV4 ? IP_V4 : proto == PPP_IPV6 ? IP_V6 : IP_ANY;
    return *ipver == IP_ANY ? FS_DECODE_NOT_IP : FS_DECODE_OK;
}

/* A PPPoE session header and its PPP protocol field (RFC 2516 §4: ver
 * and type 1, code, session id, length; RFC 1661 §2): IPv4 or IPv6 said
 * by the protocol, anything else (LCP, IPCP, ...) not IP. The session
 * id is no part of the flow key (the 4-tuple is), and the length is
 * left to the IP header, which says where the datagram ends. */
static FsDecodeStatus
decode_pppoe(Cursor *c, IpVersion *ipver)
{
    guint8 ver_type, code;
    guint16 len, proto;

    if (!cur_u8(c, &ver_type) || !cur_u8(c, &code) || !cur_skip(c, 2) ||
        !cur_u16(c, &len))
        return FS_DECODE_TRUNCATED;
    if (ver_type != PPPOE_VER_TYPE || code != PPPOE_CODE_SESSION ||
        len < 2)
        return FS_DECODE_NOT_IP; /* not session data, or no PPP frame */
    if (!cur_u16(c, &proto))
        return FS_DECODE_TRUNCATED;
    return ppp_ipver(proto, ipver);
}

/* An MPLS label stack (RFC 3032 §2.1) down to its bottom entry, then IP
 * by the payload's version nibble, as routers look (RFC 3032 §2.2: the
 * stack does not say what it carries; the explicit-null labels only
 * imply it). The labels change hop by hop and differ by direction, so
 * none is kept in the flow key. A pseudowire with its control word
 * (nibble 0, RFC 4385 §3) is not IP; an Ethernet pseudowire without one
 * whose destination MAC begins with a 4 or 6 nibble is read as IP, whose
 * header checks then seldom pass (why RFC 4385 asks for the word). */
static FsDecodeStatus
decode_mpls(Cursor *c, IpVersion *ipver)
{
    guint32 entry = 0;
    Cursor probe;
    guint8 first;

    for (guint n = 0; !(entry & MPLS_BOS); n++) {
        if (n == MPLS_MAX_LABELS)
            return FS_DECODE_INVALID;
        if (!cur_u32(c, &entry))
            return FS_DECODE_TRUNCATED;
    }
    probe = *c;
    if (!cur_u8(&probe, &first))
        return FS_DECODE_TRUNCATED;
    *ipver = (first >> 4) == 4 ? IP_V4 : (first >> 4) == 6 ? IP_V6 : IP_ANY;
    return *ipver == IP_ANY ? FS_DECODE_NOT_IP : FS_DECODE_OK;
}

/* An Ethernet frame inside another header (a GRE or Geneve payload of
 * type 0x6558, ERSPAN's mirrored frame, 802.1ah's customer frame) from
 * its destination MAC on: the MACs stepped over, its EtherType read. */
static FsDecodeStatus
inner_ether(Cursor *c, guint16 *type)
{
    if (!cur_skip(c, 12) || !cur_u16(c, type))
        return FS_DECODE_TRUNCATED;
    return FS_DECODE_OK;
}

/* An 802.3 frame's LLC header with SNAP (RFC 1042, IEEE 802.1H), which
 * carries an EtherType as Ethernet II does; any other LLC (spanning
 * tree, NetBIOS, ...) is not IP. */
static FsDecodeStatus
llc_snap(Cursor *c, guint16 *type)
{
    guint8 dsap, ssap, ctl;
    guint16 oui_hi;
    guint8 oui_lo;
    guint32 oui;

    if (!cur_u8(c, &dsap) || !cur_u8(c, &ssap) || !cur_u8(c, &ctl))
        return FS_DECODE_TRUNCATED;
    if (dsap != LLC_SNAP_SAP || ssap != LLC_SNAP_SAP || ctl != LLC_UI)
        return FS_DECODE_NOT_IP;
    if (!cur_u16(c, &oui_hi) || !cur_u8(c, &oui_lo) || !cur_u16(c, type))
        return FS_DECODE_TRUNCATED;
    oui = ((guint32)oui_hi << 8) | oui_lo;
    if (oui != 0 && oui != SNAP_OUI_8021H)
        return FS_DECODE_NOT_IP; /* a vendor's protocol number */
    return *type > ETHER_MAX_LEN ? FS_DECODE_OK : FS_DECODE_NOT_IP;
}

/* Follows VLAN tags (IEEE 802.1Q, 802.1ad) to the payload's EtherType,
 * then a PPPoE session header or an MPLS label stack to IP. On the way,
 * the frame inside an 802.1ah I-tag (PBB), or a GRE or Geneve payload
 * of type 0x6558, is read as an Ethernet frame, and an 802.3 frame's
 * LLC/SNAP header for its EtherType. Only the first two VIDs met are
 * kept, from this frame and any outside it: vlan = (outer << 12) |
 * inner. Every turn reads at least 4 bytes: the frame bounds the loop,
 * as it bounds VLAN tags. */
static FsDecodeStatus
decode_ethertype(Cursor *c, guint16 type, Layers *l, IpVersion *ipver)
{
    for (;;) {
        FsDecodeStatus status;

        while (is_vlan_tpid(type)) {
            guint16 tci;

            if (!cur_u16(c, &tci) || !cur_u16(c, &type))
                return FS_DECODE_TRUNCATED;
            if (l->ntags < 2) {
                l->vlan = (l->vlan << 12) | (tci & VLAN_VID_MASK);
                l->ntags++;
            }
        }
        switch (type) {
        case ETHERTYPE_IPV4:
            *ipver = IP_V4;
            return FS_DECODE_OK;
        case ETHERTYPE_IPV6:
            *ipver = IP_V6;
            return FS_DECODE_OK;
        case ETHERTYPE_PPPOE:
            return decode_pppoe(c, ipver);
        case ETHERTYPE_MPLS:
        case ETHERTYPE_MPLS_MC:
            return decode_mpls(c, ipver);
        case ETHERTYPE_PBB: /* I-tag: PCP, DEI, UCA, I-SID; then C-DA */
            if (!cur_skip(c, 4))
                return FS_DECODE_TRUNCATED;
            status = inner_ether(c, &type);
            break;
        case ETHERTYPE_TEB:
            status = inner_ether(c, &type);
            break;
        default:
            if (type > ETHER_MAX_LEN)
                return FS_DECODE_NOT_IP; /* ARP, LLDP, ... */
            status = llc_snap(c, &type);
            break;
        }
        if (status != FS_DECODE_OK)
            return status;
    }
}

static IpVersion
bsd_family_ipver(guint32 family)
{
    switch (family) {
    case BSD_AF_INET:
        return IP_V4;
    case BSD_AF_INET6_LINUX:
    case BSD_AF_INET6_BSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
        return IP_V6;
    default:
        return IP_ANY;
    }
}

/* DLT_NULL stores the family in the capturing host's byte order, which the
 * file does not record, so both orders are tried; DLT_LOOP is big-endian. */
static FsDecodeStatus
decode_bsd_family(Cursor *c, gboolean any_order, IpVersion *ipver)
{
    guint32 family;

    if (!cur_u32(c, &family))
        return FS_DECODE_TRUNCATED;
    *ipver = bsd_family_ipver(family);
    if (*ipver == IP_ANY && any_order)
        *ipver = bsd_family_ipver(GUINT32_SWAP_LE_BE(family));
    return *ipver == IP_ANY ? FS_DECODE_NOT_IP : FS_DECODE_OK;
}

/* A length in a link header that runs past the bytes captured: the
 * snap length cut the frame, or, captured whole, the header lies. */
static FsDecodeStatus
past_end(const Layers *l)
{
    return l->whole ? FS_DECODE_INVALID : FS_DECODE_TRUNCATED;
}

/* Little-endian fields (radiotap, PPI, NFLOG's TLVs): read as the
 * network-order ones are, swapped. */
static gboolean
cur_le16(Cursor *c, guint16 *out)
{
    if (!cur_u16(c, out))
        return FALSE;
    *out = GUINT16_SWAP_LE_BE(*out);
    return TRUE;
}

static gboolean
cur_le32(Cursor *c, guint32 *out)
{
    if (!cur_u32(c, out))
        return FALSE;
    *out = GUINT32_SWAP_LE_BE(*out);
    return TRUE;
}

/* Cisco HDLC: address, control, then an EtherType (a smaller number is
 * none of Cisco's). */
static FsDecodeStatus
decode_chdlc(Cursor *c, Layers *l, IpVersion *ipver)
{
    guint16 type;

    if (!cur_skip(c, 2) || !cur_u16(c, &type))
        return FS_DECODE_TRUNCATED;
    if (type <= ETHER_MAX_LEN)
        return FS_DECODE_NOT_IP;
    return decode_ethertype(c, type, l, ipver);
}

static FsDecodeStatus decode_ppp(Cursor *c, IpVersion *ipver);

/* LINKTYPE_PPP: PPP with HDLC-like framing (RFC 1662 §3.1) or without
 * (decode_ppp()), or Cisco HDLC: a frame that starts with its address
 * is Cisco HDLC (routers write both under this type; Wireshark reads
 * them so). */
static FsDecodeStatus
decode_link_ppp(Cursor *c, Layers *l, IpVersion *ipver)
{
    if (c->left < 1)
        return FS_DECODE_TRUNCATED;
    if (c->p[0] == CHDLC_UNICAST || c->p[0] == CHDLC_BROADCAST)
        return decode_chdlc(c, l, ipver);
    return decode_ppp(c, ipver);
}

/* FDDI: frame control, destination, source; an LLC frame's LLC/SNAP
 * header then names the EtherType. Other frame classes (SMT, MAC,
 * tokens) are not IP. */
static FsDecodeStatus
decode_fddi(Cursor *c, Layers *l, IpVersion *ipver)
{
    guint8 fc;
    guint16 type;
    FsDecodeStatus status;

    if (!cur_u8(c, &fc) || !cur_skip(c, FDDI_HDR - 1))
        return FS_DECODE_TRUNCATED;
    if ((fc & FDDI_FC_CLASS_MASK) != FDDI_FC_LLC_ASYNC &&
        (fc & FDDI_FC_CLASS_MASK) != FDDI_FC_LLC_SYNC)
        return FS_DECODE_NOT_IP;
    status = llc_snap(c, &type);
    if (status != FS_DECODE_OK)
        return status;
    return decode_ethertype(c, type, l, ipver);
}

/* NFLOG: the family says IPv4 or IPv6 (others, bridged frames, are not
 * IP to us, as to Wireshark); the packet is the value of the payload
 * TLV, which c is limited to. The TLVs' lengths and types are in this
 * host's byte order. A length below the TLV header's lies. */
static FsDecodeStatus
decode_nflog(Cursor *c, const Layers *l, IpVersion *ipver)
{
    guint8 family;

    if (!cur_u8(c, &family))
        return FS_DECODE_TRUNCATED;
    if (family != LINUX_AF_INET && family != LINUX_AF_INET6)
        return FS_DECODE_NOT_IP;
    *ipver = family == LINUX_AF_INET ? IP_V4 : IP_V6;
    if (!cur_skip(c, NFLOG_HDR - 1))
        return FS_DECODE_TRUNCATED;
    for (;;) {
        guint16 len, type;

        if (c->left == 0)
            return l->whole ? FS_DECODE_NOT_IP /* no packet logged */
                            : FS_DECODE_TRUNCATED;
        if (c->left < NFLOG_TLV_HDR)
            return past_end(l);
        memcpy(&len, c->p, sizeof len);
        memcpy(&type, c->p + 2, sizeof type);
        if (len < NFLOG_TLV_HDR)
            return FS_DECODE_INVALID;
        if ((type & NFLOG_TYPE_MASK) == NFULA_PAYLOAD) {
            (void)cur_skip(c, NFLOG_TLV_HDR);
            cur_limit(c, len - NFLOG_TLV_HDR);
            return FS_DECODE_OK;
        }
        if (len > c->left)
            return past_end(l);
        /* the padding to 4 bytes, which the last TLV may go without */
        (void)cur_skip(c, MIN(((gsize)len + 3) & ~(gsize)3, c->left));
    }
}

/* IP over InfiniBand: the address part, then the type (IPv4 or IPv6,
 * as Wireshark follows; ARP and the rest are not IP) and 2 reserved
 * bytes. */
static FsDecodeStatus
decode_ipoib(Cursor *c, IpVersion *ipver)
{
    guint16 type;

    if (!cur_skip(c, IPOIB_ADDR) || !cur_u16(c, &type) || !cur_skip(c, 2))
        return FS_DECODE_TRUNCATED;
    *ipver = type == ETHERTYPE_IPV4 ? IP_V4
           : type == ETHERTYPE_IPV6 ? IP_V6 : IP_ANY;
    return *ipver == IP_ANY ? FS_DECODE_NOT_IP : FS_DECODE_OK;
}

/* An IEEE 802.11 data frame's header, then its LLC/SNAP header (RFC
 * 1042). Management and control frames, and data frames without data,
 * are not IP; a protected frame is encrypted and an A-MSDU holds
 * subframes, neither of which is read here (not IP to us); a fragment
 * (more fragments, or a fragment number) is counted as one. datapad:
 * radiotap said the header is padded to a multiple of 4 bytes. */
static FsDecodeStatus
decode_80211(Cursor *c, Layers *l, IpVersion *ipver, gboolean datapad)
{
    const guint8 *h = c->p;
    guint8 fc0, fc1;
    gsize hlen = WLAN_HDR;
    gsize qos_at = 0;
    guint16 type;
    FsDecodeStatus status;

    if (c->left < 2)
        return FS_DECODE_TRUNCATED;
    fc0 = h[0];
    fc1 = h[1];
    if ((fc0 & 0x03) != 0 || ((fc0 >> 2) & 0x03) != WLAN_TYPE_DATA ||
        ((fc0 >> 4) & WLAN_SUBTYPE_NODATA) != 0)
        return FS_DECODE_NOT_IP;
    if ((fc1 & WLAN_FLAG_DS) == WLAN_FLAG_DS)
        hlen += WLAN_ADDR4;
    if ((fc0 >> 4) & WLAN_SUBTYPE_QOS) {
        qos_at = hlen;
        hlen += WLAN_QOS;
        if (fc1 & WLAN_FLAG_ORDER)
            hlen += WLAN_HTC;
    }
    if (datapad)
        hlen = (hlen + 3) & ~(gsize)3;
    if (c->left < hlen)
        return FS_DECODE_TRUNCATED;
    if ((fc1 & WLAN_FLAG_MOREFRAG) || (h[WLAN_SEQCTL_AT] & 0x0f) != 0)
        return FS_DECODE_FRAGMENT;
    if ((fc1 & WLAN_FLAG_PROTECTED) ||
        (qos_at != 0 && (h[qos_at] & WLAN_QOS_AMSDU)))
        return FS_DECODE_NOT_IP;
    (void)cur_skip(c, hlen);
    status = llc_snap(c, &type);
    if (status != FS_DECODE_OK)
        return status;
    return decode_ethertype(c, type, l, ipver);
}

/* radiotap: its length, and from its fields only the flags (whether
 * the 802.11 header is padded; a frame that failed its FCS check, which
 * no receiver took, is invalid); then the 802.11 frame. */
static FsDecodeStatus
decode_radiotap(Cursor *c, Layers *l, IpVersion *ipver)
{
    Cursor h = *c;
    guint8 version, flags = 0;
    guint16 len;
    guint32 present, word;
    gsize at;

    if (!cur_u8(&h, &version) || !cur_skip(&h, 1) || !cur_le16(&h, &len) ||
        !cur_le32(&h, &present))
        return FS_DECODE_TRUNCATED;
    if (version != 0 || len < RADIOTAP_HDR)
        return FS_DECODE_INVALID;
    if (c->left < len)
        return past_end(l);
    h.left = len - RADIOTAP_HDR; /* the rest of the header only */
    at = RADIOTAP_HDR;
    for (word = present, at = RADIOTAP_HDR; word & RADIOTAP_EXT;
         at += 4) {
        if (at >= RADIOTAP_HDR + 4 * RADIOTAP_MAX_PRESENT)
            return FS_DECODE_INVALID;
        if (!cur_le32(&h, &word))
            return FS_DECODE_INVALID;
    }
    if (present & RADIOTAP_FLAGS) {
        if (present & RADIOTAP_TSFT)
            at = ((at + 7) & ~(gsize)7) + 8;
        if (at >= len)
            return FS_DECODE_INVALID;
        flags = c->p[at];
    }
    (void)cur_skip(c, len);
    if (flags & RADIOTAP_F_BADFCS)
        return FS_DECODE_INVALID;
    return decode_80211(c, l, ipver, (flags & RADIOTAP_F_DATAPAD) != 0);
}

static FsDecodeStatus decode_link(LinkKind kind, Cursor *c, Layers *l,
                                  IpVersion *ipver);

/* PPI: its length, then a frame of the link type it names (802.11
 * usually), decoded as that type; PPI in PPI is refused. */
static FsDecodeStatus
decode_ppi(Cursor *c, Layers *l, IpVersion *ipver)
{
    Cursor h = *c;
    guint8 version;
    guint16 len;
    guint32 dlt;
    LinkKind inner;

    if (!cur_u8(&h, &version) || !cur_skip(&h, 1) || !cur_le16(&h, &len) ||
        !cur_le32(&h, &dlt))
        return FS_DECODE_TRUNCATED;
    if (version != 0 || len < PPI_HDR)
        return FS_DECODE_INVALID;
    if (c->left < len)
        return past_end(l);
    (void)cur_skip(c, len);
    inner = dlt <= G_MAXINT ? link_kind((int)dlt) : LINK_NONE;
    if (inner == LINK_NONE || inner == LINK_PPI)
        return FS_DECODE_NOT_IP;
    return decode_link(inner, c, l, ipver);
}

/* Juniper's Ethernet: "MGC", flags, the extensions' length and TLVs
 * when flagged; then the Ethernet frame. Without it (no-L2) the frame
 * is not read here. */
static FsDecodeStatus
decode_juniper_ether(Cursor *c, Layers *l, IpVersion *ipver)
{
    guint32 magic_flags;
    guint16 ext_len, type;

    if (!cur_u32(c, &magic_flags))
        return FS_DECODE_TRUNCATED;
    if ((magic_flags >> 8) != JUNIPER_MAGIC)
        return FS_DECODE_INVALID;
    if (magic_flags & JUNIPER_FLAG_EXT) {
        if (!cur_u16(c, &ext_len))
            return FS_DECODE_TRUNCATED;
        if (!cur_skip(c, ext_len))
            return past_end(l);
    }
    if (magic_flags & JUNIPER_FLAG_NO_L2)
        return FS_DECODE_NOT_IP;
    if (!cur_skip(c, 12) || !cur_u16(c, &type))
        return FS_DECODE_TRUNCATED;
    return decode_ethertype(c, type, l, ipver);
}

/* Moves c past the link header to the IP header and says which IP
 * version the link header announced. */
static FsDecodeStatus
decode_link(LinkKind kind, Cursor *c, Layers *l, IpVersion *ipver)
{
    guint16 type;

    switch (kind) {
    case LINK_ETHERNET: /* dst MAC 6, src MAC 6, EtherType 2 */
        if (!cur_skip(c, 12) || !cur_u16(c, &type))
            return FS_DECODE_TRUNCATED;
        return decode_ethertype(c, type, l, ipver);
    case LINK_SLL: /* pkttype 2, hatype 2, halen 2, addr 8, protocol 2 */
        if (!cur_skip(c, 14) || !cur_u16(c, &type))
            return FS_DECODE_TRUNCATED;
        return decode_ethertype(c, type, l, ipver);
    case LINK_SLL2: /* protocol 2, rsvd 2, ifindex 4, hatype 2, pkttype 1,
                       halen 1, addr 8 */
        if (!cur_u16(c, &type) || !cur_skip(c, 18))
            return FS_DECODE_TRUNCATED;
        return decode_ethertype(c, type, l, ipver);
    case LINK_NULL:
        return decode_bsd_family(c, TRUE, ipver);
    case LINK_LOOP:
        return decode_bsd_family(c, FALSE, ipver);
    case LINK_RAW:
        *ipver = IP_ANY;
        return FS_DECODE_OK;
    case LINK_PPP:
        return decode_link_ppp(c, l, ipver);
    case LINK_CHDLC:
        return decode_chdlc(c, l, ipver);
    case LINK_FDDI:
        return decode_fddi(c, l, ipver);
    case LINK_NFLOG:
        return decode_nflog(c, l, ipver);
    case LINK_IPOIB:
        return decode_ipoib(c, ipver);
    case LINK_80211:
        return decode_80211(c, l, ipver, FALSE);
    case LINK_RADIOTAP:
        return decode_radiotap(c, l, ipver);
    case LINK_PPI:
        return decode_ppi(c, l, ipver);
    case LINK_JUNIPER_ETHER:
        return decode_juniper_ether(c, l, ipver);
    case LINK_NONE:
        break;
    }
    return FS_DECODE_NOT_IP; /* fs_decode() refuses these up front */
}

/* The upper-layer protocols the general path reads on: TCP, and the
 * tunnels that may carry it (IP in IP, GRE, UDP to VXLAN or Geneve). */
static inline gboolean
proto_followed(guint8 proto)
{
    return proto == PROTO_TCP || proto == PROTO_IPIP ||
           proto == PROTO_IPV6 || proto == PROTO_GRE || proto == PROTO_UDP;
}

/* An authentication header in transport mode (RFC 4302 §3.1.1): IPv4,
 * AH, TCP. AH authenticates what follows without hiding it (ESP hides
 * it: not TCP to us); its length counts 32-bit words, less 2 (§2.2), as
 * IPv6's AH extension header does (skip_ipv6_ext()). In tunnel mode (an
 * IP header next, §3.1.2) or before another tunnel, *proto says which.
 * ip_left, the datagram's bytes after the IPv4 header, loses the AH's. */
static FsDecodeStatus
skip_ipv4_ah(Cursor *c, guint32 *ip_left, guint8 *proto)
{
    guint8 len;
    guint32 hlen;

    if (*ip_left < AH_HDR_MIN)
        return FS_DECODE_INVALID;
    if (!cur_u8(c, proto) || !cur_u8(c, &len))
        return FS_DECODE_TRUNCATED;
    if (!proto_followed(*proto))
        return FS_DECODE_NOT_TCP;
    hlen = ((guint32)len + 2) * 4;
    if (hlen < AH_HDR_MIN || hlen > *ip_left)
        return FS_DECODE_INVALID;
    if (!cur_skip(c, hlen - 2))
        return FS_DECODE_TRUNCATED;
    *ip_left -= hlen;
    return FS_DECODE_OK;
}

/* RFC 791 §3.1. On OK, c is at the header of *proto (TCP or a tunnel:
 * proto_followed()), clipped to the datagram, and *ip_left is the number
 * of bytes the IP header says follow it. */
static FsDecodeStatus
decode_ipv4(Cursor *c, FsSegment *seg, guint32 *ip_left, guint8 *proto,
            gsize wire)
{
    guint8 vihl;
    guint16 total16, id, frag;
    guint32 total;
    guint hlen;

    if (!cur_u8(c, &vihl))
        return FS_DECODE_TRUNCATED;
    hlen = (vihl & 0x0fu) * 4;
    if ((vihl >> 4) != 4 || hlen < IPV4_HDR_MIN)
        return FS_DECODE_INVALID;
    /* TOS 1, total length 2, id 2, flags+offset 2, TTL 1, protocol 1,
     * checksum 2, source 4, destination 4 */
    if (!cur_skip(c, 1) || !cur_u16(c, &total16) || !cur_u16(c, &id) ||
        !cur_u16(c, &frag) || !cur_skip(c, 1) || !cur_u8(c, proto) ||
        !cur_skip(c, 2) || !cur_bytes(c, seg->src.bytes, 4) ||
        !cur_bytes(c, seg->dst.bytes, 4))
        return FS_DECODE_TRUNCATED;
    seg->src.family = 4;
    seg->dst.family = 4;
    seg->ip_ident = id != 0;
    /* 0: a segmentation-offload super-packet (TSO, BIG TCP) captured on
     * its sender: as long as the frame on the wire from here (wire), as
     * Wireshark and tcpdump take it, whatever the snap length kept */
    total = total16 != 0 ? total16 : (guint32)MIN(wire, G_MAXUINT32);
    if (total < hlen)
        return FS_DECODE_INVALID;
    if ((frag & (IPV4_MF | IPV4_OFFSET_MASK)) != 0)
        return FS_DECODE_FRAGMENT;
    if (!proto_followed(*proto) && *proto != PROTO_AH)
        return FS_DECODE_NOT_TCP;
    cur_limit(c, total - IPV4_HDR_MIN);
    if (!cur_skip(c, hlen - IPV4_HDR_MIN)) /* options */
        return FS_DECODE_TRUNCATED;
    *ip_left = total - hlen;
    return *proto == PROTO_AH ? skip_ipv4_ah(c, ip_left, proto)
                              : FS_DECODE_OK;
}

/* One IPv6 extension header (RFC 8200 §4): checks its length against the
 * payload length, then steps over it. A fragment header is only passed
 * when it is atomic (RFC 6946): offset 0 and M clear. */
static FsDecodeStatus
skip_ipv6_ext(Cursor *c, guint8 *next, guint32 *ip_left)
{
    guint8 kind = *next;
    guint8 len;
    guint16 frag;
    guint32 hlen;

    if (*ip_left < IPV6_EXT_MIN)
        return FS_DECODE_INVALID;
    if (!cur_u8(c, next) || !cur_u8(c, &len))
        return FS_DECODE_TRUNCATED;
    if (kind == PROTO_FRAGMENT)
        hlen = IPV6_EXT_MIN;
    else if (kind == PROTO_AH)
        hlen = ((guint32)len + 2) * 4; /* RFC 4302 §2.2 */
    else
        hlen = ((guint32)len + 1) * 8;
    if (hlen > *ip_left)
        return FS_DECODE_INVALID;
    *ip_left -= hlen;
    if (kind != PROTO_FRAGMENT)
        return cur_skip(c, hlen - 2) ? FS_DECODE_OK : FS_DECODE_TRUNCATED;
    /* the second byte read above is reserved; then offset+flags, id */
    if (!cur_u16(c, &frag) || !cur_skip(c, 4))
        return FS_DECODE_TRUNCATED;
    if ((frag >> 3) != 0 || (frag & IPV6_FRAG_M) != 0)
        return FS_DECODE_FRAGMENT;
    return FS_DECODE_OK;
}

/* Walks the extension-header chain to TCP or a tunnel (*next on OK), at
 * most IPV6_MAX_EXT_HDRS deep. ESP (50), no-next-header (59) and other
 * upper layers end it. */
static FsDecodeStatus
walk_ipv6_ext(Cursor *c, guint8 *next, guint32 *ip_left)
{
    for (guint n_ext = 0;; n_ext++) {
        FsDecodeStatus status;

        switch (*next) {
        case PROTO_TCP:
        case PROTO_IPIP:
        case PROTO_IPV6:
        case PROTO_GRE:
        case PROTO_UDP:
            return FS_DECODE_OK;
        case PROTO_HOPOPTS:
        case PROTO_ROUTING:
        case PROTO_FRAGMENT:
        case PROTO_AH:
        case PROTO_DSTOPTS:
            break;
        default:
            return FS_DECODE_NOT_TCP;
        }
        if (n_ext == IPV6_MAX_EXT_HDRS)
            return FS_DECODE_INVALID;
        status = skip_ipv6_ext(c, next, ip_left);
        if (status != FS_DECODE_OK)
            return status;
    }
}

/* RFC 8200 §3. Same contract as decode_ipv4(). */
static FsDecodeStatus
decode_ipv6(Cursor *c, FsSegment *seg, guint32 *ip_left, guint8 *next)
{
    guint8 vtc;
    guint16 plen;

    seg->ip_ident = FALSE; /* IPv6 has none (an IPv4 outer one is not
                              the segment's) */
    if (!cur_u8(c, &vtc))
        return FS_DECODE_TRUNCATED;
    if ((vtc >> 4) != 6)
        return FS_DECODE_INVALID;
    /* rest of traffic class + flow label 3, payload length 2, next header 1,
     * hop limit 1, source 16, destination 16 */
    if (!cur_skip(c, 3) || !cur_u16(c, &plen) || !cur_u8(c, next) ||
        !cur_skip(c, 1) || !cur_bytes(c, seg->src.bytes, 16) ||
        !cur_bytes(c, seg->dst.bytes, 16))
        return FS_DECODE_TRUNCATED;
    seg->src.family = 6;
    seg->dst.family = 6;
    if (plen == 0) /* a jumbogram (RFC 2675): not on any real capture */
        return FS_DECODE_INVALID;
    cur_limit(c, plen);
    *ip_left = plen;
    return walk_ipv6_ext(c, next, ip_left);
}

/* wire: the frame's bytes on the wire from c on (captured or not). On
 * OK, *proto is TCP or a tunnel (proto_followed()). */
static FsDecodeStatus
decode_ip(Cursor *c, IpVersion *ipver, FsSegment *seg, guint32 *ip_left,
          guint8 *proto, gsize wire)
{
    if (*ipver == IP_ANY) {
        Cursor probe = *c;
        guint8 first;

        if (!cur_u8(&probe, &first))
            return FS_DECODE_TRUNCATED;
        *ipver = first >> 4;
    }
    switch (*ipver) {
    case IP_V4:
        return decode_ipv4(c, seg, ip_left, proto, wire);
    case IP_V6:
        return decode_ipv6(c, seg, ip_left, proto);
    case IP_ANY:
        break;
    }
    return FS_DECODE_INVALID; /* the link said IP; the version says not */
}

/* A PPP frame (RFC 1661 §2), in enhanced GRE or a capture's link
 * header: HDLC address and control unless left out (RFC 1661 §6.6),
 * then a protocol field of 2 bytes or, compressed, 1 (§6.5: an odd
 * first byte); IPv4, IPv6, or MPLS (RFC 3032 §5). */
static FsDecodeStatus
decode_ppp(Cursor *c, IpVersion *ipver)
{
    Cursor probe = *c;
    guint8 b0, b1;
    guint16 proto;

    if (!cur_u8(&probe, &b0) || !cur_u8(&probe, &b1))
        return FS_DECODE_TRUNCATED;
    if (b0 == PPP_ADDRESS && b1 == PPP_CONTROL)
        *c = probe;
    if (!cur_u8(c, &b0))
        return FS_DECODE_TRUNCATED;
    if (b0 & PPP_PFC)
        return ppp_ipver(b0, ipver);
    if (!cur_u8(c, &b1))
        return FS_DECODE_TRUNCATED;
    proto = (guint16)((b0 << 8) | b1);
    if (proto == PPP_MPLS || proto == PPP_MPLS_MC)
        return decode_mpls(c, ipver);
    return ppp_ipver(proto, ipver);
}

/* ERSPAN (draft-foschiano-erspan), a port mirror's copy of a frame in
 * GRE: type I (0x88be, the GRE header without a sequence number) is the
 * frame alone; type II (0x88be, version 1) puts 8 bytes before it, type
 * III (0x22eb, version 2) 12 and, with its O bit, 8 more, and may carry
 * an IP packet instead (frame type 2). Another version is not read. The
 * header's VLAN and session id are no part of the flow key: the copied
 * frame's own tags are. Its T bit says the mirror cut the copy: what it
 * lacks is then truncated, never invalid. */
static FsDecodeStatus
decode_erspan(Cursor *c, guint16 type, gboolean seq, Layers *l,
              IpVersion *ipver)
{
    guint16 ver_vlan, flags, ft;
    FsDecodeStatus status;

    if (type == ETHERTYPE_ERSPAN && !seq) /* type I */
        goto ether;
    if (!cur_u16(c, &ver_vlan) || !cur_u16(c, &flags))
        return FS_DECODE_TRUNCATED;
    if ((ver_vlan >> 12) != (type == ETHERTYPE_ERSPAN ? 1u : 2u))
        return FS_DECODE_NOT_IP;
    if (flags & ERSPAN_T)
        l->cut = TRUE;
    if (type == ETHERTYPE_ERSPAN) {
        if (!cur_skip(c, ERSPAN2_HDR - 4))
            return FS_DECODE_TRUNCATED;
        goto ether;
    }
    /* timestamp 4, SGT 2, then P 1, FT 5, hw id 6, D 1, Gra 2, O 1 */
    if (!cur_skip(c, 6) || !cur_u16(c, &flags) ||
        ((flags & 1) && !cur_skip(c, ERSPAN3_SUBHDR)))
        return FS_DECODE_TRUNCATED;
    ft = (flags >> 10) & 0x1f;
    if (ft == ERSPAN3_FT_IP) {
        *ipver = IP_ANY;
        return FS_DECODE_OK;
    }
    if (ft != ERSPAN3_FT_ETHER)
        return FS_DECODE_NOT_IP;
ether:
    status = inner_ether(c, &type);
    return status == FS_DECODE_OK ? decode_ethertype(c, type, l, ipver)
                                  : status;
}

/* A GRE header (RFC 2784, with RFC 2890's key and sequence number) and
 * what its protocol type says follows: IP, an Ethernet frame (0x6558),
 * MPLS, ERSPAN, PPP. Version 1 is PPTP's enhanced GRE (RFC 2637 §4.1):
 * PPP only, its key the payload length and call id, perhaps no payload
 * (an acknowledgment alone). RFC 1701's routing, which Linux drops, and
 * other versions are not followed. The key (a tenant, a PPTP call: the
 * same both ways for GRE, not for PPTP) is no part of the flow key. */
static FsDecodeStatus
decode_gre(Cursor *c, Layers *l, IpVersion *ipver)
{
    guint16 flags, type, plen;

    if (!cur_u16(c, &flags) || !cur_u16(c, &type))
        return FS_DECODE_TRUNCATED;
    switch (flags & GRE_VERSION) {
    case 0:
        if (flags & GRE_R)
            return FS_DECODE_NOT_TCP;
        if (((flags & GRE_C) && !cur_skip(c, 4)) ||
            ((flags & GRE_K) && !cur_skip(c, 4)) ||
            ((flags & GRE_S) && !cur_skip(c, 4)))
            return FS_DECODE_TRUNCATED;
        break;
    case 1:
        if (type != ETHERTYPE_PPP || !(flags & GRE_K) ||
            (flags & (GRE_C | GRE_R)))
            return FS_DECODE_NOT_TCP;
        if (!cur_u16(c, &plen) || !cur_skip(c, 2) ||
            ((flags & GRE_S) && !cur_skip(c, 4)) ||
            ((flags & GRE_A) && !cur_skip(c, 4)))
            return FS_DECODE_TRUNCATED;
        if (plen == 0)
            return FS_DECODE_NOT_TCP;
        break;
    default:
        return FS_DECODE_NOT_TCP;
    }
    switch (type) {
    case ETHERTYPE_PPP:
        return decode_ppp(c, ipver);
    case ETHERTYPE_ERSPAN:
    case ETHERTYPE_ERSPAN3:
        return decode_erspan(c, type, (flags & GRE_S) != 0, l, ipver);
    default:
        if (type <= ETHER_MAX_LEN)
            return FS_DECODE_NOT_TCP; /* not an EtherType: keepalives */
        return decode_ethertype(c, type, l, ipver);
    }
}

/* A UDP datagram to VXLAN's port (RFC 7348: flags with I, the VNI, an
 * Ethernet frame), Geneve's (RFC 8926: version 0, options, a protocol
 * type) or GRE's (RFC 8086), as Linux, Wireshark and Suricata pick them:
 * by the destination port, which both directions use. Any other UDP is
 * not TCP (one whose header was cut is truncated: it may have been);
 * neither is a VXLAN header without I, nor a Geneve version other than
 * 0. *room, the datagram's bytes from c, becomes the UDP length. The
 * VNI is no part of the flow key. */
static FsDecodeStatus
decode_udp(Cursor *c, guint32 *room, Layers *l, IpVersion *ipver)
{
    guint16 dport, ulen, type;
    guint8 b0;
    FsDecodeStatus status;

    if (!cur_skip(c, 2) || !cur_u16(c, &dport) || !cur_u16(c, &ulen) ||
        !cur_skip(c, 2))
        return FS_DECODE_TRUNCATED;
    if (dport != UDP_PORT_VXLAN && dport != UDP_PORT_GENEVE &&
        dport != UDP_PORT_GRE)
        return FS_DECODE_NOT_TCP;
    if (ulen < UDP_HDR || ulen > *room)
        return FS_DECODE_INVALID;
    *room = ulen;
    cur_limit(c, ulen - UDP_HDR);
    if (dport == UDP_PORT_GRE)
        return decode_gre(c, l, ipver);
    if (dport == UDP_PORT_VXLAN) {
        if (!cur_u8(c, &b0) || !cur_skip(c, VXLAN_HDR - 1))
            return FS_DECODE_TRUNCATED;
        if (!(b0 & VXLAN_I))
            return FS_DECODE_NOT_TCP;
        status = inner_ether(c, &type);
        return status == FS_DECODE_OK ? decode_ethertype(c, type, l, ipver)
                                      : status;
    }
    /* version 2, option length 6 (words), O, C, reserved 6, protocol
     * type, VNI 3, reserved, options */
    if (!cur_u8(c, &b0) || !cur_skip(c, 1) || !cur_u16(c, &type) ||
        !cur_skip(c, GENEVE_HDR - 4))
        return FS_DECODE_TRUNCATED;
    if ((b0 >> 6) != 0)
        return FS_DECODE_NOT_TCP;
    if (!cur_skip(c, (b0 & 0x3fu) * 4u))
        return FS_DECODE_TRUNCATED;
    if (type <= ETHER_MAX_LEN)
        return FS_DECODE_NOT_TCP;
    return decode_ethertype(c, type, l, ipver);
}

/* The tunnel header of an IP protocol proto_followed() names, other than
 * TCP, and the headers of the frame or packet it carries down to its IP
 * header: c is left there, *ipver says the version, if it is known.
 * *room is the carrying datagram's bytes from c (UDP may lower it). */
static FsDecodeStatus
decode_tunnel(Cursor *c, guint8 proto, guint32 *room, Layers *l,
              IpVersion *ipver)
{
    switch (proto) {
    case PROTO_IPIP:
        *ipver = IP_V4;
        return FS_DECODE_OK;
    case PROTO_IPV6:
        *ipver = IP_V6;
        return FS_DECODE_OK;
    case PROTO_GRE:
        return decode_gre(c, l, ipver);
    case PROTO_UDP:
        return decode_udp(c, room, l, ipver);
    default:
        return FS_DECODE_NOT_TCP;
    }
}

/* A SACK option's body (RFC 2018 §3: n blocks of two 32-bit edges): is
 * its first block a D-SACK (RFC 2883 §4)? It is when it reports
 * sequence space at or below the ACK number (a duplicate of what had
 * come), or lies inside the second block (a duplicate above a hole). A
 * body that is no whole number of blocks (0 or more than 4 of them), or
 * an empty or reversed first block, says nothing: stepped over by its
 * length, as an unknown kind is (the options after it still read). Only
 * the first block's right edge is kept (seg->dsack_right; its left is
 * below it): the engine asks whether a FIN came twice (a block ending
 * one past it), nothing else of SACK. */
static void
apply_sack(Cursor body, FsSegment *seg)
{
    guint32 left, right, left2, right2;
    gsize blocks = body.left / 8;

    if (body.left % 8 != 0 || blocks == 0 ||
        blocks > TCPOPT_SACK_MAX_BLOCKS || !cur_u32(&body, &left) ||
        !cur_u32(&body, &right) || !fs_seq_lt(left, right))
        return;
    if (((seg->flags & FS_TH_ACK) && fs_seq_leq(right, seg->ack)) ||
        (blocks >= 2 && cur_u32(&body, &left2) &&
         cur_u32(&body, &right2) && fs_seq_leq(left2, left) &&
         fs_seq_leq(right, right2))) {
        seg->dsack = TRUE;
        seg->dsack_right = right;
    }
}

/* Applies one option whose length byte fit; FALSE if its length is wrong
 * for its kind. RFC 9293 §3.2 (MSS), RFC 7323 (WS, TS), RFC 2018. */
static gboolean
apply_tcp_option(guint8 kind, Cursor body, FsSegment *seg)
{
    guint8 shift;

    switch (kind) {
    case TCPOPT_SACK:
        apply_sack(body, seg);
        return TRUE;
    case TCPOPT_MSS:
        return body.left == 2 && cur_u16(&body, &seg->mss);
    case TCPOPT_WSCALE:
        if (body.left != 1 || !cur_u8(&body, &shift))
            return FALSE;
        seg->wscale = MIN(shift, TCP_MAX_WSCALE); /* RFC 7323 §2.3 */
        return TRUE;
    case TCPOPT_SACK_OK:
        if (body.left != 0)
            return FALSE;
        seg->sack_ok = TRUE;
        return TRUE;
    case TCPOPT_TS:
        if (body.left != 8 || !cur_u32(&body, &seg->tsval) ||
            !cur_u32(&body, &seg->tsecr))
            return FALSE;
        seg->has_ts = TRUE;
        return TRUE;
    default:
        return TRUE; /* unknown kinds are stepped over by their length */
    }
}

/* RFC 9293 §3.1: kind, length, value. A length that cannot be right makes
 * the rest unreadable, so parsing stops there; the segment still counts.
 * An option is applied only when all its bytes are in opts. TRUE when
 * parsing ran into the end of opts (the end of the options, or of the
 * part of them captured: what lay beyond is not known), FALSE when an
 * EOL or a bad length ended it first. */
static gboolean
parse_tcp_options(Cursor opts, FsSegment *seg)
{
    for (;;) {
        guint8 kind, len;
        Cursor body;

        if (!cur_u8(&opts, &kind))
            return TRUE;
        if (kind == TCPOPT_EOL)
            return FALSE;
        if (kind == TCPOPT_NOP)
            continue;
        if (!cur_u8(&opts, &len))
            return TRUE;
        if (len < 2)
            return FALSE;
        body = opts;
        if (!cur_skip(&opts, len - 2u))
            return TRUE;
        body.left = len - 2u;
        if (!apply_tcp_option(kind, body, seg))
            return FALSE;
    }
}

/* The TCP options of a header of hlen bytes at c, which the snap length
 * cut short (c->left < hlen - TCP_HDR_MIN): the ports, sequence and
 * acknowledgment numbers, flags and window are all in the 20 bytes
 * before them, and the payload length comes from the IP header, so the
 * segment is decoded (tcpdump and Wireshark do the same); a SYN dropped
 * here would take its connection's roles with it (a 68-byte snap
 * length, tcpdump's default for years, keeps 14 of a Linux SYN's 20
 * bytes of options). The options captured whole are read; any other
 * reads as absent, and seg->opts_cut says it is unknown when parsing
 * reached the cut (not an EOL before it). How the engine reads what is
 * missing:
 * - timestamps: has_ts FALSE. A segment without a TSval updates no
 *   TS.Recent (tcpstate.c note_tsval()) and is never found older than
 *   its connection (detect.c's old-duplicate tests want one), so no
 *   verdict rests on the TSval it may have carried; only the old
 *   duplicate's PAWS judgement asks opts_cut, to say "not known"
 *   instead of "no PAWS" (detect.c judge_old_duplicate()).
 * - window scale cut off a SYN: read as not offered, so the engine takes
 *   that connection's windows unscaled, as it does for one whose
 *   handshake it never saw: a lower bound of the true window (Linux
 *   offers 7 and more). Only the explanation of an RST away from
 *   RCV.NXT (a challenge ACK or dropped: not taken either way) and the
 *   old-duplicate tests after a 4-tuple's reuse read windows; an upper
 *   bound (a shift of 14) would put most old segments of the previous
 *   incarnation "inside the window" of the new one.
 * - MSS and SACK-permitted: the engine reads neither.
 * The header hash covers the captured bytes of the options in whole
 * 32-bit words: two frames that differ only past the cut, within
 * FS_DUPLICATE_FRAME_WINDOW, are taken as one frame captured twice; that
 * can only be pure ACKs that differ in TSval or SACK blocks (a second
 * FIN or byte of data so soon would be no retransmission), which change
 * no close. */
static void
decode_cut_options(Cursor *c, guint hlen, FsSegment *seg)
{
    Cursor opts = *c;
    gsize words = c->left - c->left % 4;

    g_assert(c->left < hlen - TCP_HDR_MIN);
    seg->opts_cut = (guint8)parse_tcp_options(opts, seg);
    cur_skip(c, words);
}

/* RFC 9293 §3.1. ip_left is what the IP header says follows c. */
static FsDecodeStatus
decode_tcp(Cursor *c, guint32 ip_left, FsSegment *seg)
{
    guint8 off;
    guint hlen;
    Cursor opts;

    if (ip_left < TCP_HDR_MIN)
        return FS_DECODE_INVALID;
    /* ports 2+2, seq 4, ack 4, offset 1, flags 1, window 2, checksum 2,
     * urgent pointer 2 */
    if (!cur_u16(c, &seg->sport) || !cur_u16(c, &seg->dport) ||
        !cur_u32(c, &seg->seq) || !cur_u32(c, &seg->ack) ||
        !cur_u8(c, &off) || !cur_u8(c, &seg->flags) ||
        !cur_u16(c, &seg->window) || !cur_skip(c, 4))
        return FS_DECODE_TRUNCATED;
    hlen = (off >> 4) * 4u;
    if (hlen < TCP_HDR_MIN || hlen > ip_left)
        return FS_DECODE_INVALID;
    opts = *c;
    if (cur_skip(c, hlen - TCP_HDR_MIN)) {
        opts.left = hlen - TCP_HDR_MIN;
        parse_tcp_options(opts, seg);
    } else {
        decode_cut_options(c, hlen, seg);
    }
    seg->payload_len = ip_left - hlen;
    return FS_DECODE_OK;
}

/* The header bytes that change from hop to hop (IPv4 TTL and checksum,
 * IPv6 hop limit) as zero bytes in a mask of the first 16, so one frame
 * seen on two interfaces hashes the same. */
static const guint8 per_hop_mask[2][16] = {
    { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,    /* IPv4 */
      0x00, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff },
    { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00,    /* IPv6 */
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
};

/* Xored into the words before they are multiplied (a zero word still
 * adds something), one per word position (mod 8), from splitmix64 and
 * wyhash. */
static const guint64 word_key[8] = {
    G_GUINT64_CONSTANT(0x9e3779b97f4a7c15), FS_MIX64_M1,
    FS_MIX64_M2,                            G_GUINT64_CONSTANT(0xff51afd7ed558ccd),
    G_GUINT64_CONSTANT(0xc4ceb9fe1a85ec53), G_GUINT64_CONSTANT(0x2545f4914f6cdd1d),
    G_GUINT64_CONSTANT(0xd6e8feb86659fd93), G_GUINT64_CONSTANT(0xa0761d6478bd642f),
};

/* Two words multiplied into each other, the 128-bit product's halves
 * xored (wyhash's "mum"): every bit of both reaches the middle bits. */
static inline guint64
mum(guint64 a, guint64 b)
{
#if defined(__SIZEOF_INT128__)
    unsigned __int128 p = (unsigned __int128)a * b;

    return (guint64)p ^ (guint64)(p >> 64);
#else
    return fs_mix64(a ^ fs_mix64(b));
#endif
}

/* A hash of the IP and TCP header bytes, which decode has read, without
 * the per-hop ones. The 8-byte words, two by two (the last pair
 * zero-padded, the length with it), go through mum() and the results
 * are summed: the products do not wait on each other, and four of them
 * hash the usual 52 bytes (it was seven and a final fs_mix64()). Only
 * detect.c compares the value (a frame captured twice), with its
 * sender's previous one. len is at least 40 (an IPv4 and a TCP header,
 * both complete) and a multiple of 4 (both are whole 32-bit words). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline guint32
header_hash(const guint8 *p, gsize len, IpVersion ipver)
{
    const guint8 *mask = per_hop_mask[ipver == IP_V4 ? 0 : 1];
    guint64 a, b, ma, mb;
    guint64 sum;
    gsize i;

    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    memcpy(&ma, mask, 8);
    memcpy(&mb, mask + 8, 8);
    sum = mum((a & ma) ^ word_key[0], (b & mb) ^ word_key[1]);
    memcpy(&a, p + 16, 8);
    memcpy(&b, p + 24, 8);
    sum += mum(a ^ word_key[2], b ^ word_key[3]);
    for (i = 32; i + 16 <= len; i += 16) {
        memcpy(&a, p + i, 8);
        memcpy(&b, p + i + 8, 8);
        sum += mum(a ^ word_key[(i / 8) % 8], b ^ word_key[(i / 8 + 1) % 8]);
    }
    /* 0, 4, 8 or 12 bytes left (len is a multiple of 4), copied inline
     * (a copy of a variable length calls memcpy) */
    a = 0;
    b = 0;
    if (len - i >= 8) {
        memcpy(&a, p + i, 8);
        if (len - i == 12)
            memcpy(&b, p + i + 8, 4);
    } else if (len - i == 4) {
        memcpy(&a, p + i, 4);
    }
    sum += mum(a ^ word_key[(i / 8) % 8], b ^ len ^ word_key[(i / 8 + 1) % 8]);
    sum ^= sum >> 32;
    return (guint32)sum != 0 ? (guint32)sum : 1u; /* 0 means "no hash" */
}

#define ETHER_HDR 14 /* dst MAC 6, src MAC 6, EtherType 2 */
#define IPV6_HDR 40

/* Big-endian fields of bytes already checked to be there. */
static inline guint16
be16_at(const guint8 *p)
{
    return (guint16)((p[0] << 8) | p[1]);
}

static inline guint32
be32_at(const guint8 *p)
{
    guint32 v;

    memcpy(&v, p, sizeof v);
    return GUINT32_FROM_BE(v);
}

/* NOP, NOP, timestamps (kind 8, length 10): what every segment of a
 * connection that agreed on timestamps carries, and nothing else. */
#define TCPOPT_NOP_NOP_TS 0x0101080au

/* A Linux SYN's and SYN-ACK's 20 bytes of options: MSS (kind 2, length
 * 4), SACK permitted (4, 2), timestamps (8, 10), NOP, window scale (3,
 * 3): their kinds and lengths, word by word, the values masked out. */
#define TCPOPT_SYN_MSS 0x02040000u      /* & 0xffff0000 */
#define TCPOPT_SYN_SACK_TS 0x0402080au
#define TCPOPT_SYN_NOP_WS 0x01030300u   /* & 0xffffff00 */

/* The fields of a common frame's TCP header at its fixed offsets, and
 * the options' defaults but for timestamps (both fast paths' part). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void
put_tcp_fixed(const guint8 *tcp, FsSegment *seg)
{
    seg->sport = be16_at(tcp);
    seg->dport = be16_at(tcp + 2);
    seg->vlan = 0;
    seg->seq = be32_at(tcp + 4);
    seg->ack = be32_at(tcp + 8);
    seg->window = be16_at(tcp + 14);
    seg->flags = tcp[13];
    seg->wscale = FS_WSCALE_NONE;
    seg->mss = 0;
    seg->opts_cut = FALSE;
    seg->dsack = FALSE;
    seg->sack_ok = FALSE;
}

/* Whether the options of a whole TCP header of thl bytes at tcp have
 * one of the two usual layouts: 32 bytes, NOP, NOP, timestamps (a
 * segment of a connection that agreed on timestamps), or 40, a Linux
 * SYN's or SYN-ACK's (MSS, SACK permitted, timestamps, NOP, window
 * scale). With thl a constant, one test of the header's words. */
static inline gboolean
usual_options(const guint8 *tcp, guint thl)
{
    if (thl == TCP_HDR_MIN + 12)
        return be32_at(tcp + 20) == TCPOPT_NOP_NOP_TS;
    return thl == TCP_HDR_MIN + 20 &&
           (be32_at(tcp + 20) & 0xffff0000u) == TCPOPT_SYN_MSS &&
           be32_at(tcp + 24) == TCPOPT_SYN_SACK_TS &&
           (be32_at(tcp + 36) & 0xffffff00u) == TCPOPT_SYN_NOP_WS;
}

/* seg's option fields from tcp's options, of a usual layout
 * (usual_options()): read at fixed offsets, as parse_tcp_options()
 * would make them. */
static inline void
put_usual_options(const guint8 *tcp, guint thl, FsSegment *seg)
{
    seg->has_ts = TRUE;
    if (thl == TCP_HDR_MIN + 12) {
        seg->tsval = be32_at(tcp + 24);
        seg->tsecr = be32_at(tcp + 28);
    } else {
        seg->mss = be16_at(tcp + 22);
        seg->sack_ok = TRUE;
        seg->tsval = be32_at(tcp + 28);
        seg->tsecr = be32_at(tcp + 32);
        seg->wscale = MIN(tcp[39], TCP_MAX_WSCALE); /* RFC 7323 §2.3 */
    }
}

/* The options of a whole TCP header of thl bytes at tcp: the two usual
 * layouts read at fixed offsets, any other by parse_tcp_options(),
 * with the same result field for field. seg's option fields are unset
 * (no MSS, no window scale, no SACK, no timestamps) on entry. */
static inline void
decode_common_options(const guint8 *tcp, guint thl, FsSegment *seg)
{
    if (usual_options(tcp, thl)) {
        put_usual_options(tcp, thl, seg);
    } else if (thl > TCP_HDR_MIN) {
        Cursor opts = { tcp + TCP_HDR_MIN, thl - TCP_HDR_MIN };

        parse_tcp_options(opts, seg);
    }
}

/* The common frame: untagged Ethernet, then IPv4 without options or IPv6
 * without extension headers, then a whole TCP header, neither fragmented
 * nor cut short. Its headers are checked against the captured length
 * once, and read at fixed offsets. It makes of such a frame exactly what
 * the general path (fs_decode_general()) makes, field for field
 * (test-decode compares both on every sample and on mutated frames).
 * FALSE, with *seg undefined: not such a frame; the general path
 * decides what it is. avail is MIN(caplen, wirelen), at least
 * ETHER_HDR + IPV4_HDR_MIN + TCP_HDR_MIN. */
static inline gboolean
decode_common(const guint8 *data, gsize avail, FsSegment *seg)
{
    const guint8 *ip = data + ETHER_HDR;
    const guint8 *tcp;
    guint16 type = be16_at(data + 12);
    guint32 ip_left;  /* bytes the IP header says follow it */
    gsize ip_hlen;
    IpVersion ipver;
    guint thl;

    if (type == ETHERTYPE_IPV4) {
        guint16 total = be16_at(ip + 2);

        /* version 4, IHL 5; not a fragment; TCP */
        if (ip[0] != 0x45 ||
            (be16_at(ip + 6) & (IPV4_MF | IPV4_OFFSET_MASK)) != 0 ||
            ip[9] != PROTO_TCP || total < IPV4_HDR_MIN)
            return FALSE;
        ip_hlen = IPV4_HDR_MIN;
        ip_left = total - IPV4_HDR_MIN;
        ipver = IP_V4;
    } else if (type == ETHERTYPE_IPV6) {
        /* version 6; TCP right after the fixed header */
        if (avail < ETHER_HDR + IPV6_HDR + TCP_HDR_MIN || (ip[0] >> 4) != 6 ||
            ip[6] != PROTO_TCP)
            return FALSE;
        ip_hlen = IPV6_HDR;
        ip_left = be16_at(ip + 4); /* 0 (a jumbogram) fails below */
        ipver = IP_V6;
    } else {
        return FALSE;
    }
    tcp = ip + ip_hlen;
    thl = (tcp[12] >> 4) * 4u;
    if (thl < TCP_HDR_MIN || thl > ip_left ||
        avail - ETHER_HDR - ip_hlen < thl)
        return FALSE;

    seg->ts = 0;
    seg->ip_ident = ipver == IP_V4 && be16_at(ip + 4) != 0;
    if (ipver == IP_V4) {
        seg->src.family = 4;
        memcpy(seg->src.bytes, ip + 12, 4);
        memset(seg->src.bytes + 4, 0, sizeof seg->src.bytes - 4);
        seg->dst.family = 4;
        memcpy(seg->dst.bytes, ip + 16, 4);
        memset(seg->dst.bytes + 4, 0, sizeof seg->dst.bytes - 4);
    } else {
        seg->src.family = 6;
        memcpy(seg->src.bytes, ip + 8, 16);
        seg->dst.family = 6;
        memcpy(seg->dst.bytes, ip + 24, 16);
    }
    put_tcp_fixed(tcp, seg);
    seg->has_ts = FALSE;
    seg->tsval = 0;
    seg->tsecr = 0;
    decode_common_options(tcp, thl, seg);
    seg->payload_len = ip_left - thl;
    /* the usual IPv4 headers' lengths as constants: the hash's loops
     * unrolled */
    if (ipver == IP_V4 && thl == TCP_HDR_MIN + 12)
        seg->hdr_hash = header_hash(ip, IPV4_HDR_MIN + TCP_HDR_MIN + 12,
                                    IP_V4);
    else if (ipver == IP_V4 && thl == TCP_HDR_MIN + 20)
        seg->hdr_hash = header_hash(ip, IPV4_HDR_MIN + TCP_HDR_MIN + 20,
                                    IP_V4);
    else
        seg->hdr_hash = header_hash(ip, ip_hlen + thl, ipver);
    seg->flow_hash = 0;
    seg->frame = 0;
    seg->source = 0;
    return TRUE;
}

/* The commonest frames of all: untagged Ethernet, IPv4 without options,
 * not a fragment, and a TCP header of thl bytes (a constant where this
 * is inlined) holding one of the usual layouts of options
 * (usual_options(), as in decode_common()). Only fixed offsets and
 * constant lengths, so that it needs few registers and fs_decode()
 * saves none for it; the same result as
 * decode_common(), field for field (test-decode compares fs_decode()
 * with the general path). FALSE, with *seg untouched: not such a frame.
 * avail is at least ETHER_HDR + IPV4_HDR_MIN + thl. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline gboolean
decode_ipv4_fixed(const guint8 *data, FsSegment *seg, guint thl,
                  gboolean framed)
{
    const guint8 *ip = data + ETHER_HDR;
    const guint8 *tcp = ip + IPV4_HDR_MIN;
    guint32 total = be16_at(ip + 2);
    guint32 src, dst;
    guint64 zero = 0;
    guint32 flow_hash = 0;

    /* IPv4, IHL 5, not a fragment, TCP, data offset thl / 4, all of
     * which the IP length covers, with the layout of options */
    if (be16_at(data + 12) != ETHERTYPE_IPV4 || ip[0] != 0x45 ||
        (be16_at(ip + 6) & (IPV4_MF | IPV4_OFFSET_MASK)) != 0 ||
        ip[9] != PROTO_TCP || (tcp[12] & 0xf0u) != (thl / 4) << 4 ||
        total < IPV4_HDR_MIN + thl || !usual_options(tcp, thl))
        return FALSE;

    memcpy(&src, ip + 12, 4);
    memcpy(&dst, ip + 16, 4);
#if defined(__SIZEOF_INT128__)
    if (framed) {
        /* fs_flow_hash(seg) of the words fs_flow_endpoint() would read
         * back from seg: the address, zeros, family 4, VLAN 0 */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
        guint64 src0 = src, dst0 = dst;
#else
        guint64 src0 = (guint64)src << 32, dst0 = (guint64)dst << 32;
#endif
        flow_hash = fs_flow_hash_endpoints(
            fs_flow_endpoint_words(src0, 0, 4, be16_at(tcp)),
            fs_flow_endpoint_words(dst0, 0, 4, be16_at(tcp + 2)), 0);
    }
#endif
    if (!framed)
        seg->ts = 0;
    seg->ip_ident = be16_at(ip + 4) != 0;
    seg->src.family = 4;
    memcpy(seg->src.bytes, &src, 4);
    memcpy(seg->src.bytes + 4, &zero, 8);
    memcpy(seg->src.bytes + 12, &zero, 4);
    seg->dst.family = 4;
    memcpy(seg->dst.bytes, &dst, 4);
    memcpy(seg->dst.bytes + 4, &zero, 8);
    memcpy(seg->dst.bytes + 12, &zero, 4);
    put_tcp_fixed(tcp, seg);
    put_usual_options(tcp, thl, seg);
    seg->payload_len = total - (IPV4_HDR_MIN + thl);
    seg->hdr_hash = header_hash(ip, IPV4_HDR_MIN + thl, IP_V4);
    if (!framed) {
        seg->flow_hash = 0;
        seg->frame = 0;
        seg->source = 0;
    } else {
#if defined(__SIZEOF_INT128__)
        seg->flow_hash = flow_hash;
#else
        seg->flow_hash = fs_flow_hash(seg);
#endif
    }
    return TRUE;
}

/* Past the fixed layouts: decode_common(), then the general path. */
static inline FsDecodeStatus
decode_past_fixed(int linktype, const guint8 *data, guint32 caplen,
                  guint32 wirelen, FsSegment *seg)
{
    gsize avail = MIN(caplen, wirelen);

    if (G_LIKELY(linktype == FS_DLT_EN10MB && data != NULL && seg != NULL &&
                 avail >= ETHER_HDR + IPV4_HDR_MIN + TCP_HDR_MIN) &&
        decode_common(data, avail, seg))
        return FS_DECODE_OK;
    return fs_decode_general(linktype, data, caplen, wirelen, seg);
}

/* fs_decode() past its commonest frame: the Linux SYN or SYN-ACK, the
 * other common ones, then the general path. Apart, so that fs_decode() itself stays small. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static FsDecodeStatus
decode_other(int linktype, const guint8 *data, guint32 caplen,
             guint32 wirelen, FsSegment *seg)
{
    gsize avail = MIN(caplen, wirelen);

    if (G_LIKELY(linktype == FS_DLT_EN10MB && data != NULL && seg != NULL &&
                 avail >= ETHER_HDR + IPV4_HDR_MIN + TCP_HDR_MIN + 20) &&
        decode_ipv4_fixed(data, seg, TCP_HDR_MIN + 20, FALSE))
        return FS_DECODE_OK;
    return decode_past_fixed(linktype, data, caplen, wirelen, seg);
}

FsDecodeStatus
fs_decode(int linktype, const guint8 *data, guint32 caplen, guint32 wirelen,
          FsSegment *seg)
{
    gsize avail = MIN(caplen, wirelen);

    if (G_LIKELY(linktype == FS_DLT_EN10MB && data != NULL && seg != NULL &&
                 avail >= ETHER_HDR + IPV4_HDR_MIN + TCP_HDR_MIN + 12) &&
        decode_ipv4_fixed(data, seg, TCP_HDR_MIN + 12, FALSE))
        return FS_DECODE_OK;
    return decode_other(linktype, data, caplen, wirelen, seg);
}

/* fs_decode_frame() past its commonest frames (it has tried both fixed
 * layouts): decode_common() or the general path, the caller's fields
 * kept. Apart, as decode_other(). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static FsDecodeStatus
decode_other_frame(int linktype, const guint8 *data, guint32 caplen,
                   guint32 wirelen, FsSegment *seg)
{
    FsTime ts = seg->ts;
    guint32 frame = seg->frame;
    guint32 source = seg->source;
    FsDecodeStatus status = decode_past_fixed(linktype, data, caplen,
                                              wirelen, seg);

    seg->ts = ts;
    seg->frame = frame;
    seg->source = source;
    if (status == FS_DECODE_OK)
        seg->flow_hash = fs_flow_hash(seg);
    return status;
}

FsDecodeStatus
fs_decode_frame(int linktype, const guint8 *data, guint32 caplen,
                guint32 wirelen, FsSegment *seg)
{
    gsize avail = MIN(caplen, wirelen);

    if (G_LIKELY(linktype == FS_DLT_EN10MB && data != NULL &&
                 avail >= ETHER_HDR + IPV4_HDR_MIN + TCP_HDR_MIN + 12)) {
        if (decode_ipv4_fixed(data, seg, TCP_HDR_MIN + 12, TRUE))
            return FS_DECODE_OK;
        /* the Linux SYN or SYN-ACK here too (229k of medium's 2M
         * frames), not in decode_other_frame(): GCC tests the IPv4
         * header once for both, and its flow hash comes from registers
         * (17.0M fewer instructions on medium, 5.3M of them the hash) */
        if (avail >= ETHER_HDR + IPV4_HDR_MIN + TCP_HDR_MIN + 20 &&
            decode_ipv4_fixed(data, seg, TCP_HDR_MIN + 20, TRUE))
            return FS_DECODE_OK;
    }
    return decode_other_frame(linktype, data, caplen, wirelen, seg);
}

FsDecodeStatus
fs_decode_general(int linktype, const guint8 *data, guint32 caplen,
                  guint32 wirelen, FsSegment *seg)
{
    gsize avail = MIN(caplen, wirelen);
    Cursor c = { data, avail };
    Cursor ip_start;
    Layers l = { .whole = caplen >= wirelen };
    IpVersion ipver = IP_ANY;
    guint32 ip_left = 0;
    guint32 room = 0;     /* inside a tunnel: its datagram's bytes left */
    gboolean whole = FALSE; /* and that datagram was captured whole */
    FsDecodeStatus status;

    g_return_val_if_fail(seg != NULL, FS_DECODE_INVALID);
    g_return_val_if_fail(data != NULL || caplen == 0, FS_DECODE_INVALID);
    memset(seg, 0, sizeof *seg);
    /* a capture of such a type is refused when opened; a pcapng
     * interface of one, beside others, is read (mapped-pcapng.c): its
     * packets are not IP to us */
    if (!fs_decode_linktype_supported(linktype))
        return FS_DECODE_NOT_IP;
    seg->wscale = FS_WSCALE_NONE;
    status = decode_link(link_kind(linktype), &c, &l, &ipver);
    seg->vlan = l.vlan;
    if (status != FS_DECODE_OK)
        return status;
    /* IP headers, and the tunnels between them, to the innermost IP
     * header and its TCP. Inside a tunnel whose datagram was captured
     * whole, a header that runs past its end lies: invalid, not
     * truncated; an IP length longer than the room left does too. */
    for (guint tunnels = 0;; tunnels++) {
        guint8 proto = 0;
        Cursor at;

        ip_start = c;
        status = decode_ip(&c, &ipver, seg, &ip_left, &proto,
                           tunnels == 0 ? wirelen - (gsize)(c.p - data)
                                        : room);
        if (tunnels > 0 && status == FS_DECODE_TRUNCATED && whole)
            status = FS_DECODE_INVALID;
        if (tunnels > 0 && status == FS_DECODE_OK && !l.cut &&
            (gsize)(c.p - ip_start.p) + ip_left > room)
            status = FS_DECODE_INVALID;
        if (status != FS_DECODE_OK || proto == PROTO_TCP)
            break;
        if (tunnels == FS_MAX_TUNNELS)
            return FS_DECODE_INVALID;
        room = ip_left;
        whole = !l.cut && ip_left <= avail - (gsize)(c.p - data);
        at = c;
        status = decode_tunnel(&c, proto, &room, &l, &ipver);
        seg->vlan = l.vlan;
        whole = whole && !l.cut;
        if (status == FS_DECODE_TRUNCATED && whole)
            status = FS_DECODE_INVALID;
        if (status == FS_DECODE_NOT_IP) /* a datagram, but not TCP's */
            status = FS_DECODE_NOT_TCP;
        if (status != FS_DECODE_OK)
            return status;
        /* c's reads stayed within room (c was limited to it) */
        room -= (guint32)(c.p - at.p);
        cur_limit(&c, room);
        memset(&seg->src, 0, sizeof seg->src);
        memset(&seg->dst, 0, sizeof seg->dst);
    }
    if (status != FS_DECODE_OK)
        return status;
    status = decode_tcp(&c, ip_left, seg);
    if (status != FS_DECODE_OK)
        return status;
    seg->hdr_hash = header_hash(ip_start.p, (gsize)(c.p - ip_start.p), ipver);
    return FS_DECODE_OK;
}
