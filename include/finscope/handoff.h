/* finscope: handing a connection over to Wireshark — display filters. */
#ifndef FINSCOPE_HANDOFF_H
#define FINSCOPE_HANDOFF_H

#include <string.h>

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

/* A record's two addresses as fs_addr_put() writes them, and its
 * ports and frame numbers in decimal, put once for the record's several
 * uses of them (endpoints, hosts, ports, frames, filter). The digits
 * are copied as whole buffers (fs_handoff_put_digits): no NUL, zeros
 * after them. */
typedef struct {
    char text[2][FS_ADDR_PUT_ROOM]; /* by FsRole, no NUL */
    gsize len[2];
    char port[2][8];                /* by FsRole */
    char frame[2][16];              /* first, last; none for frame 0 */
    guint8 port_len[2];
    guint8 frame_len[2];
} FsHandoffHosts;

void fs_handoff_hosts(FsHandoffHosts *hosts, const FsConn *conn);

/* Copies the n digits of digits (a whole buffer of one of the sizes
 * above, known at compile time: a few moves) to p, which has the room
 * for all of it; returns p + n. */
#define fs_handoff_put_digits(p, digits, n)                               \
    ((char *)memcpy((p), (digits), sizeof(digits)) + (n))

/* Copies the address of role (an FsRole) in hosts to p, which has the
 * room for all of text[role]: one 16-byte copy, the whole buffer's for
 * the longer IPv6 ones; returns p + its length. */
static inline char *
fs_handoff_put_host(char *p, const FsHandoffHosts *hosts, int role)
{
    memcpy(p, hosts->text[role], 16);
    if (G_UNLIKELY(hosts->len[role] > 16))
        memcpy(p + 16, hosts->text[role] + 16, FS_ADDR_PUT_ROOM - 16);
    return p + hosts->len[role];
}

/* fs_handoff_put_filter() of conn, whose addresses hosts holds. */
char *fs_handoff_put_filter_hosts(char *p, const FsConn *conn,
                                  const FsHandoffHosts *hosts);

#endif /* FINSCOPE_HANDOFF_H */
