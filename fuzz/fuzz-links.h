/* finscope fuzzing: the link types the decode target picks from. */
#ifndef FINSCOPE_FUZZ_LINKS_H
#define FINSCOPE_FUZZ_LINKS_H

#include "finscope/decode.h"

/* Every link type fs_decode_linktype_supported() accepts (decode.c's
 * link_kind switch): DLT_RAW_OPENBSD is 14, LINKTYPE_RAW is 101. The
 * decode target's first input byte, modulo this table's size, picks one;
 * fuzz-extract writes that byte in front of each frame it extracts. */
static const int fuzz_links[] = {
    FS_DLT_EN10MB, FS_DLT_LINUX_SLL, FS_DLT_LINUX_SLL2, FS_DLT_NULL,
    FS_DLT_LOOP, FS_DLT_RAW, 14, 101, FS_DLT_IPV4, FS_DLT_IPV6,
    FS_DLT_PPP, FS_DLT_C_HDLC, FS_DLT_FDDI, FS_DLT_NFLOG, FS_DLT_IPOIB,
    FS_DLT_IEEE802_11, FS_DLT_IEEE802_11_RADIO, FS_DLT_PPI,
    FS_DLT_JUNIPER_ETHER,
};
#define FUZZ_N_LINKS (sizeof fuzz_links / sizeof fuzz_links[0])

/* Bit 7 of the first byte: the frame is a snaplen-cut prefix of a longer
 * wire frame (wirelen = caplen + 1500). Bit 6: the wire frame is shorter
 * than what was captured (wirelen = caplen / 2), a lying record header. */
#define FUZZ_DECODE_CUT 0x80
#define FUZZ_DECODE_SHORT_WIRE 0x40
#define FUZZ_DECODE_LINK_MASK 0x3f

#endif /* FINSCOPE_FUZZ_LINKS_H */
