/* finscope: handing a connection over to Wireshark — display filters
 * built from addresses and ports (tcp.stream numbers are Wireshark's own
 * and not portable between its versions or to other tools). */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/handoff.h"
#include "decimal.h"

#define FILTER_MAX FS_HANDOFF_FILTER_MAX

/* The filter as it is built, straight into the caller's buffer (the
 * JSON line being written, or one on the stack): no allocation per
 * piece, one filter per connection record. */
typedef struct {
    char *p;                 /* where the next piece goes */
    char *buf;               /* where the filter starts */
} Filter;

/* Appends n bytes of text. Inline: the literals' lengths are constants,
 * their copies a few moves rather than a call to memcpy. */
static inline void
append_len(Filter *f, const char *text, gsize n)
{
    g_assert((gsize)(f->p - f->buf) + n < FILTER_MAX);
    memcpy(f->p, text, n);
    f->p += n;
}

#define APPEND_LITERAL(f, lit) append_len((f), "" lit "", sizeof(lit) - 1)

/* Appends v in decimal (no printf: vasprintf was most of a filter's
 * cost). */
static void
append_digits(Filter *f, guint64 v)
{
    g_assert((gsize)(f->p - f->buf) + 20 < FILTER_MAX);
    f->p = fs_put_uint(f->p, v);
}

/* Appends a literal and then v: the literal's copy inline, as
 * APPEND_LITERAL's. */
#define APPEND_UINT(f, lit, v) \
    (APPEND_LITERAL((f), lit), append_digits((f), (v)))

/* Puts an IPv4 address's byte v (0-255) in decimal at p; returns the
 * position after it. */
static inline char *
put_octet(char *p, guint v)
{
    if (v >= 100) {
        *p++ = (char)('0' + v / 100);
        v %= 100;
    } else if (v < 10) {
        *p++ = (char)('0' + v);
        return p;
    }
    *p++ = digit_pairs[2 * v];
    *p++ = digit_pairs[2 * v + 1];
    return p;
}

/* Appends addr's address, as fs_addr_format writes it: an IPv4 one
 * straight into the filter (every record has two; formatting them into
 * a scratch buffer, copying and measuring them was most of the cost). */
static void
append_addr(Filter *f, const FsAddr *addr)
{
    g_assert((gsize)(f->p - f->buf) + FS_ENDPOINT_STRLEN < FILTER_MAX);
    if (addr->family == 4) {
        f->p = put_octet(f->p, addr->bytes[0]);
        for (int i = 1; i < 4; i++) {
            *f->p++ = '.';
            f->p = put_octet(f->p, addr->bytes[i]);
        }
        return;
    }
    fs_addr_format(addr, f->p, FS_ENDPOINT_STRLEN);
    f->p += strlen(f->p);
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

char *
fs_handoff_put_filter(char *p, const FsConn *conn)
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
    append_addr(&f, &conn->addr[FS_ROLE_CLIENT]);
    if (v6)
        APPEND_LITERAL(&f, " && ipv6.addr==");
    else
        APPEND_LITERAL(&f, " && ip.addr==");
    append_addr(&f, &conn->addr[FS_ROLE_SERVER]);
    APPEND_UINT(&f, " && tcp.port==", conn->port[FS_ROLE_CLIENT]);
    APPEND_UINT(&f, " && tcp.port==", conn->port[FS_ROLE_SERVER]);
    append_vlan(&f, conn->vlan);
    if (conn->first_frame != 0 && conn->first_source == conn->last_source) {
        APPEND_UINT(&f, " && frame.number>=", conn->first_frame);
        APPEND_UINT(&f, " && frame.number<=", conn->last_frame);
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
