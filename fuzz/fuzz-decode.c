/* finscope fuzzing: fs_decode() on one hostile frame of any link type.
 *
 * Input: byte 0 picks the link type (fuzz-links.h: the low 6 bits modulo
 * the table, bit 7 a snaplen cut, bit 6 a short wire length); the rest is
 * the frame. The frame is copied to a buffer of exactly its size, so
 * ASan catches a read one byte past caplen. */
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FsSegment seg;
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
    status = fs_decode(
        fuzz_links[(mode & FUZZ_DECODE_LINK_MASK) % FUZZ_N_LINKS], frame,
        caplen, wire_len(mode, caplen), &seg);
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
