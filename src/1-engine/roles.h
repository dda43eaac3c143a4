/* finscope: role inference — which end of a connection is its server,
 * for connections whose handshake was not captured. Beside the flow
 * table: the store asks it for each new incarnation. */
#ifndef FINSCOPE_ROLES_H
#define FINSCOPE_ROLES_H

#include <glib.h>

#include "finscope/decode.h"
#include "finscope/types.h"

typedef struct FsRoles FsRoles;

FsRoles *fs_roles_new(void);
void fs_roles_free(FsRoles *roles);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsRoles, fs_roles_free)

/* seg's sender answered a SYN: it is a server (its address and port).
 * Returns the bytes the table holds more for it (the engine's memory
 * accounting): 0 if it was known. */
gsize fs_roles_note_server(FsRoles *roles, const FsSegment *seg);

/* Is seg's sender the client of the connection seg opens? The SYN's
 * sender is; without a handshake (*inferred TRUE), an endpoint already
 * seen accepting connections is the server, else the side using the
 * lower (well-known) port. */
gboolean fs_roles_client_is_sender(const FsRoles *roles,
                                   const FsSegment *seg,
                                   gboolean *inferred);

#endif /* FINSCOPE_ROLES_H */
