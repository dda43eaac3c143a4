/* finscope fuzzing: fs_decode() on one hostile frame of any link type.
 *
 * Input: byte 0 picks the link type (fuzz-links.h: the low 6 bits modulo
 * the table, bit 7 a snaplen cut, bit 6 a short wire length); the rest is
 * the frame. The frame is copied to a buffer of exactly its size, so
 * ASan catches a read one byte past caplen. fs_decode_general() must
 * make the same of it as fs_decode() (whose fast path takes the common
 * Ethernet frames), field for field. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "finscope/decode.h"
#include "fuzz-links.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* A g_return_if_fail() or g_warning() inside decode is a bug. */
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING |
                           G_LOG_LEVEL_ERROR);
    return 0;
}

static guint32
wire_len(guint8 mode, guint32 caplen)
{
    if (mode & FUZZ_DECODE_CUT)
        return caplen + 1500;
    if (mode & FUZZ_DECODE_SHORT_WIRE)
        return caplen / 2;
    return caplen;
}

/* Every field; not the padding, which neither path owes anything. */
static void
assert_same_segment(const FsSegment *a, const FsSegment *b)
{
    g_assert_true(a->ts == b->ts && a->src.family == b->src.family &&
                  memcmp(a->src.bytes, b->src.bytes, sizeof a->src.bytes) ==
                      0 &&
                  a->dst.family == b->dst.family &&
                  memcmp(a->dst.bytes, b->dst.bytes, sizeof a->dst.bytes) ==
                      0 &&
                  a->sport == b->sport && a->dport == b->dport &&
                  a->vlan == b->vlan && a->seq == b->seq &&
                  a->ack == b->ack && a->window == b->window &&
                  a->flags == b->flags && a->wscale == b->wscale &&
                  a->mss == b->mss && a->opts_cut == b->opts_cut &&
                  a->sack_ok == b->sack_ok && a->dsack == b->dsack &&
                  (!a->dsack || a->dsack_right == b->dsack_right) &&
                  a->has_ts == b->has_ts && a->tsval == b->tsval &&
                  a->tsecr == b->tsecr && a->payload_len == b->payload_len &&
                  a->hdr_hash == b->hdr_hash &&
                  a->flow_hash == b->flow_hash && a->frame == b->frame &&
                  a->source == b->source);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FsSegment seg;
    FsSegment general;
    FsDecodeStatus general_status;
    int linktype;
    guint8 mode;
    guint32 caplen;
    guint8 *frame;
    FsDecodeStatus status;

    if (size < 1 || size > 65536 + 1)
        return 0;
    mode = data[0];
    caplen = (guint32)(size - 1);
    /* g_malloc(0) is NULL; fs_decode accepts NULL only with caplen 0. */
    frame = g_malloc(MAX(caplen, 1));
    memcpy(frame, data + 1, caplen);
    linktype = fuzz_links[(mode & FUZZ_DECODE_LINK_MASK) % FUZZ_N_LINKS];
    memset(&seg, 0xa5, sizeof seg);
    status = fs_decode(linktype, frame, caplen, wire_len(mode, caplen), &seg);
    memset(&general, 0x5a, sizeof general);
    general_status = fs_decode_general(linktype, frame, caplen,
                                       wire_len(mode, caplen), &general);
    g_assert_cmpint(status, ==, general_status);
    if (status == FS_DECODE_OK)
        assert_same_segment(&seg, &general);
    /* What decode promises about a segment it returns. */
    g_assert_cmpint(status, <, FS_DECODE_N_STATUS);
    if (status == FS_DECODE_OK) {
        g_assert_true(seg.src.family == 4 || seg.src.family == 6);
        g_assert_cmpint(seg.src.family, ==, seg.dst.family);
    }
    (void)fs_decode_status_name(status);
    g_free(frame);
    return 0;
}
