/* finscope: frames captured at two vantage points — capture files read
 * together (-r a -r b) that each saw the same datagram, e.g. one at the
 * client and one at the server. Beside the flow table: the engine asks
 * it for each TCP segment when it reads two files or more. */
#ifndef FINSCOPE_COPIES_H
#define FINSCOPE_COPIES_H

#include <glib.h>

#include "finscope/decode.h"

typedef struct FsCopies FsCopies;

/* For files 0 to sources - 1 (FsSegment.source). */
FsCopies *fs_copies_new(guint sources);
void fs_copies_free(FsCopies *copies);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsCopies, fs_copies_free)

/* seg is a frame another file already holds: the same header (its
 * hash, ports, sequence and acknowledgment numbers; TTL and checksum
 * aside), the latest of that header, from a file whose frames and seg's
 * interleave (not a piece cut from the same capture before or after
 * it), a minute apart at most when a segment sent again would have
 * another header (TCP timestamps, an IPv4 identification not 0), else
 * a second. Else seg is noted as that latest frame. */
gboolean fs_copies_seen(FsCopies *copies, const FsSegment *seg);

#endif /* FINSCOPE_COPIES_H */
