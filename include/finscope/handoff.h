/* finscope: handing a connection over to Wireshark — display filters. */
#ifndef FINSCOPE_HANDOFF_H
#define FINSCOPE_HANDOFF_H

#include <glib.h>
#include "finscope/conn.h"

/* A Wireshark display filter for exactly this incarnation's packets:
 * its two addresses and ports (ip.addr or ipv6.addr, tcp.port), its
 * VLAN ids when tagged, and, when its frames are in one file, its frame
 * range (a reused 4-tuple's incarnations then get apart). ICMP errors
 * quoting its headers are left out, as finscope leaves them out. */
char *fs_handoff_filter(const FsConn *conn);

/* The longest filter: two IPv6 addresses, QinQ ids, a frame range. */
#define FS_HANDOFF_FILTER_MAX 512

/* The same filter written at p, with no NUL (less than
 * FS_HANDOFF_FILTER_MAX bytes, none of them to escape in JSON); returns
 * the position after it. */
char *fs_handoff_put_filter(char *p, const FsConn *conn);

/* A record's two addresses as fs_addr_put() writes them, put once for
 * the record's several uses of them (endpoints, hosts, filter). */
typedef struct {
    char text[2][FS_ADDR_PUT_ROOM]; /* by FsRole, no NUL */
    gsize len[2];
} FsHandoffHosts;

static inline void
fs_handoff_hosts(FsHandoffHosts *hosts, const FsConn *conn)
{
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++)
        hosts->len[role] = (gsize)(fs_addr_put(hosts->text[role],
                                               &conn->addr[role]) -
                                   hosts->text[role]);
}

/* fs_handoff_put_filter() of conn, whose addresses hosts holds. */
char *fs_handoff_put_filter_hosts(char *p, const FsConn *conn,
                                  const FsHandoffHosts *hosts);

#endif /* FINSCOPE_HANDOFF_H */
