/* finscope: handing a connection over to Wireshark — display filters
 * built from addresses and ports (tcp.stream numbers are Wireshark's own
 * and not portable between its versions or to other tools). */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/handoff.h"
#include "json-put.h"

#define FILTER_MAX FS_HANDOFF_FILTER_MAX

/* The filter as it is built, straight into the caller's buffer (the
 * JSON line being written, or one on the stack): no allocation per
 * piece, one filter per connection record. */
typedef struct {
    char *p;                 /* where the next piece goes */
    char *buf;               /* where the filter starts */
} Filter;

/* Appends n bytes of text (inline: n is a literal's length, and the
 * copy of a known length is a few moves, not a call to memcpy). */
static inline void
append_len(Filter *f, const char *text, gsize n)
{
    g_assert((gsize)(f->p - f->buf) + n < FILTER_MAX);
    memcpy(f->p, text, n);
    f->p += n;
}

#define APPEND_LITERAL(f, lit) append_len((f), "" lit "", sizeof(lit) - 1)

/* Appends text (n bytes) and then v in decimal (no printf: vasprintf
 * was most of a filter's cost). */
static inline void
append_uint(Filter *f, const char *text, gsize n, guint64 v)
{
    append_len(f, text, n);
    g_assert((gsize)(f->p - f->buf) + 20 < FILTER_MAX);
    f->p = fs_put_uint(f->p, v);
}

#define APPEND_UINT(f, lit, v) append_uint((f), lit, sizeof(lit) - 1, (v))

/* Appends digits as fs_handoff_hosts() put them, the whole buffer
 * copied (there is room: the assertion) and n bytes kept. */
#define APPEND_DIGITS(f, lit, digits, n)                                 \
    do {                                                                 \
        APPEND_LITERAL((f), lit);                                        \
        g_assert((gsize)((f)->p - (f)->buf) + sizeof(digits) <           \
                 FILTER_MAX);                                            \
        (f)->p = fs_handoff_put_digits((f)->p, (digits), (n));           \
    } while (0)

/* Appends an address as fs_addr_put() wrote it (n bytes at host). */
static inline void
append_host(Filter *f, const char *host, gsize n)
{
    g_assert((gsize)(f->p - f->buf) + n < FILTER_MAX);
    f->p = fs_put_bytes(f->p, host, n);
}

/* Wireshark names an outer 802.1ad (QinQ, TPID 0x88a8) tag
 * ieee8021ad.id and an 802.1Q one vlan.id; the flow key keeps only the
 * ids, so the outer one may be either. */
static void
append_vlan(Filter *f, guint32 vlan)
{
    guint32 outer = vlan >> 12;

    if (vlan == 0)
        return;
    if (outer != 0) {
        APPEND_UINT(f, " && (vlan.id==", outer);
        APPEND_UINT(f, " || ieee8021ad.id==", outer);
        APPEND_LITERAL(f, ")");
    }
    APPEND_UINT(f, " && vlan.id==", vlan & 0xfff);
}

/* v's digits into a buffer of its own, zeros after them; their count. */
static inline guint8
put_digits(char *digits, gsize size, guint64 v)
{
    memset(digits, 0, size);
    return (guint8)(fs_put_uint(digits, v) - digits);
}

void
fs_handoff_hosts(FsHandoffHosts *hosts, const FsConn *conn)
{
    const guint32 frame[2] = { conn->first_frame, conn->last_frame };

    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        hosts->len[role] = (gsize)(fs_addr_put(hosts->text[role],
                                               &conn->addr[role]) -
                                   hosts->text[role]);
        hosts->port_len[role] = put_digits(hosts->port[role],
                                           sizeof hosts->port[role],
                                           conn->port[role]);
        hosts->frame_len[role] = frame[role] == 0 ? 0 :
            put_digits(hosts->frame[role], sizeof hosts->frame[role],
                       frame[role]);
    }
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
    Filter f;
    gboolean v6;

    f.p = p;
    f.buf = p;
    v6 = conn->addr[FS_ROLE_CLIENT].family == 6;
    if (v6)
        APPEND_LITERAL(&f, "ipv6.addr==");
    else
        APPEND_LITERAL(&f, "ip.addr==");
    append_host(&f, hosts->text[FS_ROLE_CLIENT], hosts->len[FS_ROLE_CLIENT]);
    if (v6)
        APPEND_LITERAL(&f, " && ipv6.addr==");
    else
        APPEND_LITERAL(&f, " && ip.addr==");
    append_host(&f, hosts->text[FS_ROLE_SERVER], hosts->len[FS_ROLE_SERVER]);
    APPEND_DIGITS(&f, " && tcp.port==", hosts->port[FS_ROLE_CLIENT],
                  hosts->port_len[FS_ROLE_CLIENT]);
    APPEND_DIGITS(&f, " && tcp.port==", hosts->port[FS_ROLE_SERVER],
                  hosts->port_len[FS_ROLE_SERVER]);
    append_vlan(&f, conn->vlan);
    if (conn->first_frame != 0 && conn->first_source == conn->last_source) {
        APPEND_DIGITS(&f, " && frame.number>=", hosts->frame[0],
                      hosts->frame_len[0]);
        APPEND_DIGITS(&f, " && frame.number<=", hosts->frame[1],
                      hosts->frame_len[1]);
    }
    if (v6)
        APPEND_LITERAL(&f, " && !icmpv6");
    else
        APPEND_LITERAL(&f, " && !icmp");
    return f.p;
}

char *
fs_handoff_filter(const FsConn *conn)
{
    char buf[FILTER_MAX];

    g_return_val_if_fail(conn != NULL, NULL);
    return g_strndup(buf, (gsize)(fs_handoff_put_filter(buf, conn) - buf));
}
