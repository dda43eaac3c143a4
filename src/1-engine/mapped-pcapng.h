/* finscope: pcapng files read into a window, blocks parsed in place
 * there (see mapped.h, which reads the window and hands them out).
 *
 * Only what libpcap reads unchanged is read here: Section Header Blocks
 * in the file's one byte order, Interface Description Blocks of the
 * first one's link type (if_tsresol, if_tsoffset), Enhanced and Simple
 * Packet Blocks; other blocks are skipped by their length. Two things
 * more, which libpcap 1.10 refuses: interfaces of other snapshots, and
 * of other link types that finscope decodes, each packet handed out
 * with its own interface's (the file cannot be read from standard
 * input then, or with FINSCOPE_NO_MMAP).
 * At the first block that is not (cut off, lengths that disagree, an
 * unknown interface, an obsolete Packet Block, ...), libpcap takes over:
 * from that block when what libpcap does there depends on nothing read
 * before, else from where it stood once opened, replaying the packets
 * already handed out; but after interfaces libpcap refuses, where it
 * cannot replay and would read a packet as of another interface (a
 * later section's), the file ends there (FS_PCAPNG_STOP). */
#ifndef FINSCOPE_MAPPED_PCAPNG_H
#define FINSCOPE_MAPPED_PCAPNG_H

#include <glib.h>
#include <pcap/pcap.h>

#define FS_PCAPNG_SHB 0x0A0D0D0Au /* Section Header Block type */
#define FS_PCAPNG_BLOCK_MIN 12u /* type, total length, trailer */
/* The longest block read: libpcap's INITIAL_MAX_BLOCKSIZE
 * (MAX_BLOCKSIZE_FOR_SNAPLEN of the link types finscope decodes stays
 * below it). */
#define FS_PCAPNG_BLOCK_MAX (16u * 1024 * 1024)

typedef struct FsPcapng FsPcapng;

/* What fs_pcapng_parse() found at *pos. */
typedef enum {
    FS_PCAPNG_PACKET, /* a packet: hdr and data filled */
    FS_PCAPNG_FROM,   /* libpcap reads on from *pos, whatever it read
                         before (the end, or a block it fails on alone) */
    FS_PCAPNG_REPLAY, /* libpcap reads on from where it stood once
                         opened, after the packets handed out so far */
    FS_PCAPNG_STOP,   /* neither: after interfaces libpcap refuses, a
                         packet it would read as of another interface
                         (fs_pcapng_stop_reason() says what) */
} FsPcapngStep;

/* A parser for a file that libpcap opened as pcapng: swapped, linktype
 * and snapshot as pcap_is_swapped(), pcap_datalink(), pcap_snapshot(). */
FsPcapng *fs_pcapng_new(gboolean swapped, int linktype, int snapshot);

/* The next packet of the size bytes at base, from the block at *pos on
 * (0: the file's start): fills hdr as libpcap with nanosecond precision
 * would, points *data into base, sets *linktype to its interface's link
 * type (a DLT_; another interface's than the first one's only where
 * finscope decodes it), moves *pos past its block. Otherwise
 * leaves *pos at the block libpcap reads from (FS_PCAPNG_FROM). Reads no
 * byte outside base[0, size). */
FsPcapngStep fs_pcapng_parse(FsPcapng *ng, const guint8 *base, gsize size,
                             gsize *pos, struct pcap_pkthdr *hdr,
                             const guint8 **data, int *linktype);

/* Why fs_pcapng_parse() said FS_PCAPNG_STOP, in libpcap's words where
 * it has some. */
const char *fs_pcapng_stop_reason(const FsPcapng *ng);

/* Packets handed out so far (the ones to replay). */
guint64 fs_pcapng_delivered(const FsPcapng *ng);

void fs_pcapng_free(FsPcapng *ng);

#endif /* FINSCOPE_MAPPED_PCAPNG_H */
