/* finscope: link, IP and TCP header decoding of untrusted packet bytes. */
#ifndef FINSCOPE_DECODE_H
#define FINSCOPE_DECODE_H

#include <glib.h>
#include "finscope/types.h"

/* TCP header flag bits (RFC 9293 §3.1). */
#define FS_TH_FIN 0x01
#define FS_TH_SYN 0x02
#define FS_TH_RST 0x04
#define FS_TH_PSH 0x08
#define FS_TH_ACK 0x10
#define FS_TH_URG 0x20
#define FS_TH_ECE 0x40
#define FS_TH_CWR 0x80

/* Link types (DLT_ values, as libpcap reports them). */
#define FS_DLT_NULL 0
#define FS_DLT_EN10MB 1
#define FS_DLT_PPP 9       /* PPP, HDLC-like framing or none (RFC 1661/2) */
#define FS_DLT_FDDI 10
#define FS_DLT_RAW 12      /* OpenBSD/Linux raw IP, as pcap_datalink() says */
#define FS_DLT_C_HDLC 104  /* Cisco HDLC */
#define FS_DLT_IEEE802_11 105
#define FS_DLT_LOOP 108
#define FS_DLT_LINUX_SLL 113
#define FS_DLT_IEEE802_11_RADIO 127 /* radiotap, then 802.11 */
#define FS_DLT_JUNIPER_ETHER 178
#define FS_DLT_PPI 192     /* Per-Packet Information, then its own DLT */
#define FS_DLT_IPV4 228
#define FS_DLT_IPV6 229
#define FS_DLT_NFLOG 239   /* Linux NFLOG: TLVs in the reader's order */
#define FS_DLT_IPOIB 242   /* IP over InfiniBand, libpcap's 44 bytes */
#define FS_DLT_LINUX_SLL2 276

typedef enum {
    FS_DECODE_OK = 0,    /* a TCP segment; *seg is filled */
    FS_DECODE_NOT_IP,    /* ARP, LLDP, ... */
    FS_DECODE_NOT_TCP,   /* UDP, ICMP, ... */
    FS_DECODE_FRAGMENT,  /* an IPv4/IPv6 fragment: counted and skipped */
    FS_DECODE_TRUNCATED, /* headers cut off by the snap length */
    FS_DECODE_INVALID,   /* a header whose fields lie (bad IHL, offset) */
    FS_DECODE_N_STATUS
} FsDecodeStatus;

/* snake_case name used in the summary: "not_ip", "truncated", ... */
const char *fs_decode_status_name(FsDecodeStatus status);

#define FS_WSCALE_NONE 0xff

/* One TCP segment, in host byte order. Nothing after decode sees bytes. */
typedef struct FsSegment {
    FsTime ts;            /* capture timestamp, ns */
    FsAddr src;           /* sender's IP address */
    FsAddr dst;           /* receiver's IP address */
    guint16 sport;        /* sender's port */
    guint16 dport;        /* receiver's port */
    guint32 vlan;         /* (outer VID << 12) | inner VID; 0 = untagged */
    guint32 seq;          /* first sequence number of the segment */
    guint32 ack;          /* acknowledgment field (valid if FS_TH_ACK) */
    guint16 window;       /* raw window field, unscaled */
    guint8 flags;         /* FS_TH_* bits */
    guint8 wscale;        /* window-scale shift, FS_WSCALE_NONE if absent
                             (or cut: opts_cut) */
    guint16 mss;          /* MSS option, 0 if absent */
    guint8 opts_cut;      /* TRUE: the snap length cut the TCP options
                             short (the base header is whole): the options
                             captured whole are read, any other is
                             unknown, though it reads as absent here:
                             has_ts FALSE does not mean no TSval was sent
                             (decode.c, decode_tcp()) */
    guint8 ip_ident;      /* TRUE: an IPv4 header with a non-zero
                             identification (its sender numbers its
                             datagrams: a segment sent again is another
                             header; copies.h) */
    guint8 dsack;         /* TRUE: the segment's first SACK block
                             (RFC 2018) is a D-SACK (RFC 2883 §4: its
                             right edge at or below the ACK number, or
                             the block inside the second one): its
                             sender received the sequence space before
                             dsack_right twice, a non-empty block ending
                             there. Set only when the option was whole,
                             its length 2 + 8n, 1 <= n <= 4, and the
                             block's left edge below its right; the left
                             edge and an ACK's other SACK blocks are not
                             kept (the engine asks only whether a FIN,
                             the last sequence number a sender has, came
                             twice: a block ending one past it) */
    guint8 sack_ok;       /* TRUE: SACK-permitted option present */
    guint8 has_ts;        /* TRUE: timestamps option present */
    guint32 tsval;        /* TSval (valid if has_ts) */
    guint32 tsecr;        /* TSecr (valid if has_ts) */
    guint32 dsack_right;  /* one past the D-SACK block's last sequence
                             number (valid if dsack) */
    guint32 payload_len;  /* payload bytes per the IP length, captured or not */
    guint32 hdr_hash;     /* hash of the IP+TCP header bytes (dup frames) */
    guint32 flow_hash;    /* fs_flow_hash() of its 4-tuple; 0 = not yet */
    guint32 frame;        /* capture frame number, 1-based in its file
                             (Wireshark's frame.number); 0 = unknown */
    guint32 source;       /* index of the capture file it came from */
} FsSegment;

/* seg carries an ACK and no SYN, FIN or RST (PSH, URG, ECE, CWR as they
 * may): the only segments that can leave a connection in mid-connection
 * as it was (fs_tcpstate_steady(), the engine's lean path, which reads
 * only the hot parts of the connection, conn.h). */
static inline gboolean
fs_segment_ack_alone(const FsSegment *seg)
{
    return (seg->flags & (FS_TH_SYN | FS_TH_FIN | FS_TH_RST | FS_TH_ACK)) ==
           FS_TH_ACK;
}

/* TRUE when fs_decode() understands this link type. */
gboolean fs_decode_linktype_supported(int linktype);

/* Decodes one captured frame. caplen bytes are readable at data; wirelen
 * is the original length. Never reads outside data[0..caplen). */
FsDecodeStatus fs_decode(int linktype, const guint8 *data, guint32 caplen,
                         guint32 wirelen, FsSegment *seg);

/* fs_decode() of a frame whose seg->ts, frame and source the caller
 * set (seg not NULL): they are kept, and seg->flow_hash is
 * fs_flow_hash(seg) (flow.h) for FS_DECODE_OK, 0 otherwise. The
 * commonest frame's hash comes from the words its fast path holds
 * (fs_engine_decode_frame(): the reader's every packet). */
FsDecodeStatus fs_decode_frame(int linktype, const guint8 *data,
                               guint32 caplen, guint32 wirelen,
                               FsSegment *seg);

/* fs_decode() without its fast path for the common frame (untagged
 * Ethernet, IPv4 without options or IPv6 without extension headers,
 * TCP): the same result by the general way, for tests that compare
 * both. */
FsDecodeStatus fs_decode_general(int linktype, const guint8 *data,
                                 guint32 caplen, guint32 wirelen,
                                 FsSegment *seg);

#endif /* FINSCOPE_DECODE_H */
