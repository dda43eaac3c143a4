/* finscope: handing a connection over to Wireshark — display filters
 * built from addresses and ports (tcp.stream numbers are Wireshark's own
 * and not portable between its versions or to other tools). */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/handoff.h"
#include "json-put.h"

#define FILTER_MAX FS_HANDOFF_FILTER_MAX

/* The filter is written straight into the caller's buffer (the JSON
 * line being written, or one on the stack), piece after piece, with no
 * check of its own per piece: the longest filter (two IPv6 addresses of
 * INET6_ADDRSTRLEN - 1 characters, QinQ ids of 4 digits, frame numbers
 * of 10, every literal below), and what the last whole-buffer copy
 * writes past its end, fit in FILTER_MAX. */
#define FILTER_LONGEST                                                   \
    (sizeof("ipv6.addr== && ipv6.addr== && tcp.port== && tcp.port=="     \
            " && (vlan.id== || ieee8021ad.id==) && vlan.id=="            \
            " && frame.number>= && frame.number<= && !icmpv6") - 1 +     \
     2 * 45 + 2 * 5 + 3 * 4 + 2 * 10)
G_STATIC_ASSERT(FILTER_LONGEST + FS_ADDR_PUT_ROOM < FILTER_MAX);

/* Wireshark names an outer 802.1ad (QinQ, TPID 0x88a8) tag
 * ieee8021ad.id and an 802.1Q one vlan.id; the flow key keeps only the
 * ids, so the outer one may be either. */
static char *
put_vlan(char *p, guint32 vlan)
{
    guint32 outer = vlan >> 12;

    if (outer != 0) {
        FS_JSON_LIT(p, " && (vlan.id==");
        p = fs_put_uint(p, outer);
        FS_JSON_LIT(p, " || ieee8021ad.id==");
        p = fs_put_uint(p, outer);
        *p++ = ')';
    }
    FS_JSON_LIT(p, " && vlan.id==");
    return fs_put_uint(p, vlan & 0xfff);
}

/* v's digits into a buffer of its own, zeros after them; their count.
 * Inline, with the digits' own code (fs_put_short_uint() for all but
 * frame numbers of 10^8 and more): four numbers a record. */
static inline ALWAYS_INLINE guint8
put_digits(char *digits, gsize size, guint32 v)
{
    memset(digits, 0, size);
    if (G_UNLIKELY(v >= 100000000u))
        return (guint8)(fs_put_u32(digits, v) - digits);
    return (guint8)(fs_put_short_uint_inline(digits, v) - digits);
}

/* addr's text into text, as fs_addr_put() writes it (IPv4, most,
 * inline); its length. */
static inline gsize
put_host(char *text, const FsAddr *addr)
{
    if (G_LIKELY(addr->family == 4))
        return (gsize)(fs_put_ipv4(text, addr->bytes) - text);
    return (gsize)(fs_addr_put(text, addr) - text);
}

void
fs_handoff_hosts(FsHandoffHosts *hosts, const FsConn *conn)
{
    const int c = FS_ROLE_CLIENT;
    const int s = FS_ROLE_SERVER;

    hosts->len[c] = put_host(hosts->text[c], &conn->addr[c]);
    hosts->len[s] = put_host(hosts->text[s], &conn->addr[s]);
    hosts->port_len[c] = put_digits(hosts->port[c], sizeof hosts->port[c],
                                    conn->port[c]);
    hosts->port_len[s] = put_digits(hosts->port[s], sizeof hosts->port[s],
                                    conn->port[s]);
    /* no digits for frame 0 (no segment): the records say null */
    hosts->frame_len[0] = conn->first_frame == 0 ? 0 :
        put_digits(hosts->frame[0], sizeof hosts->frame[0],
                   conn->first_frame);
    hosts->frame_len[1] = conn->last_frame == 0 ? 0 :
        put_digits(hosts->frame[1], sizeof hosts->frame[1],
                   conn->last_frame);
}

char *
fs_handoff_put_filter(char *p, const FsConn *conn)
{
    FsHandoffHosts hosts;

    fs_handoff_hosts(&hosts, conn);
    return fs_handoff_put_filter_hosts(p, conn, &hosts);
}

char *
fs_handoff_put_filter_hosts(char *p, const FsConn *conn,
                            const FsHandoffHosts *hosts)
{
    const int c = FS_ROLE_CLIENT;
    const int s = FS_ROLE_SERVER;
    gboolean v6 = conn->addr[c].family == 6;

    if (v6)
        FS_JSON_LIT(p, "ipv6.addr==");
    else
        FS_JSON_LIT(p, "ip.addr==");
    p = fs_handoff_put_host(p, hosts, c);
    if (v6)
        FS_JSON_LIT(p, " && ipv6.addr==");
    else
        FS_JSON_LIT(p, " && ip.addr==");
    p = fs_handoff_put_host(p, hosts, s);
    FS_JSON_LIT(p, " && tcp.port==");
    p = fs_handoff_put_digits(p, hosts->port[c], hosts->port_len[c]);
    FS_JSON_LIT(p, " && tcp.port==");
    p = fs_handoff_put_digits(p, hosts->port[s], hosts->port_len[s]);
    if (G_UNLIKELY(conn->vlan != 0))
        p = put_vlan(p, conn->vlan);
    if (conn->first_frame != 0 && conn->first_source == conn->last_source) {
        FS_JSON_LIT(p, " && frame.number>=");
        p = fs_handoff_put_digits(p, hosts->frame[0], hosts->frame_len[0]);
        FS_JSON_LIT(p, " && frame.number<=");
        p = fs_handoff_put_digits(p, hosts->frame[1], hosts->frame_len[1]);
    }
    if (v6)
        FS_JSON_LIT(p, " && !icmpv6");
    else
        FS_JSON_LIT(p, " && !icmp");
    return p;
}

char *
fs_handoff_filter(const FsConn *conn)
{
    char buf[FILTER_MAX];

    g_return_val_if_fail(conn != NULL, NULL);
    return g_strndup(buf, (gsize)(fs_handoff_put_filter(buf, conn) - buf));
}
