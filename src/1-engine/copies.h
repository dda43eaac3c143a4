/* finscope: frames captured at two vantage points — capture files read
 * together (-r a -r b) that each saw the same datagram, e.g. one at the
 * client and one at the server. Beside the flow table: the engine asks
 * it for each TCP segment when it reads two files or more. */
#ifndef FINSCOPE_COPIES_H
#define FINSCOPE_COPIES_H

#include <glib.h>

#include "finscope/decode.h"

/* Two sightings of one frame are at most this apart: more than a path's
 * delay between two capture points and their clocks' offset. */
#define FS_COPIES_WINDOW FS_NS_PER_SEC

typedef struct FsCopies FsCopies;

FsCopies *fs_copies_new(void);
void fs_copies_free(FsCopies *copies);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsCopies, fs_copies_free)

/* Bytes it holds (fixed: the engine's memory accounting). */
gsize fs_copies_size(void);

/* seg is a frame another file already holds: the same header (its hash,
 * ports, sequence and acknowledgment numbers; TTL and checksum aside),
 * from another source, within FS_COPIES_WINDOW, and the latest frame of
 * that header. Else seg is noted as that latest frame. */
gboolean fs_copies_seen(FsCopies *copies, const FsSegment *seg);

#endif /* FINSCOPE_COPIES_H */
