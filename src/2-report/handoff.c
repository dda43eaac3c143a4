/* finscope: handing a connection over to Wireshark — display filters
 * built from addresses and ports (tcp.stream numbers are Wireshark's own
 * and not portable between its versions or to other tools). */
#include "config.h"

#include <glib.h>

#include "finscope/handoff.h"
#include "decimal.h"

/* Appends text and then v in decimal (no printf: one filter per
 * connection record, and vasprintf was most of its cost). */
static void
append_uint(GString *f, const char *text, guint64 v)
{
    char digits[24];

    g_string_append(f, text);
    g_string_append_len(f, digits, fs_put_uint(digits, v) - digits);
}

/* Wireshark names an outer 802.1ad (QinQ, TPID 0x88a8) tag
 * ieee8021ad.id and an 802.1Q one vlan.id; the flow key keeps only the
 * ids, so the outer one may be either. */
static void
append_vlan(GString *f, guint32 vlan)
{
    guint32 outer = vlan >> 12;

    if (vlan == 0)
        return;
    if (outer != 0) {
        append_uint(f, " && (vlan.id==", outer);
        append_uint(f, " || ieee8021ad.id==", outer);
        g_string_append_c(f, ')');
    }
    append_uint(f, " && vlan.id==", vlan & 0xfff);
}

char *
fs_handoff_filter(const FsConn *conn)
{
    GString *f = g_string_sized_new(192);
    gboolean v6 = conn->addr[FS_ROLE_CLIENT].family == 6;
    const char *ip = v6 ? "ipv6.addr" : "ip.addr";
    char a[FS_ENDPOINT_STRLEN];
    char b[FS_ENDPOINT_STRLEN];

    g_return_val_if_fail(conn != NULL, NULL);
    fs_addr_format(&conn->addr[FS_ROLE_CLIENT], a, sizeof a);
    fs_addr_format(&conn->addr[FS_ROLE_SERVER], b, sizeof b);
    g_string_append(f, ip);
    g_string_append(f, "==");
    g_string_append(f, a);
    g_string_append(f, " && ");
    g_string_append(f, ip);
    g_string_append(f, "==");
    g_string_append(f, b);
    append_uint(f, " && tcp.port==", conn->port[FS_ROLE_CLIENT]);
    append_uint(f, " && tcp.port==", conn->port[FS_ROLE_SERVER]);
    append_vlan(f, conn->vlan);
    if (conn->first_frame != 0 && conn->first_source == conn->last_source) {
        append_uint(f, " && frame.number>=", conn->first_frame);
        append_uint(f, " && frame.number<=", conn->last_frame);
    }
    g_string_append(f, v6 ? " && !icmpv6" : " && !icmp");
    return g_string_free(f, FALSE);
}
