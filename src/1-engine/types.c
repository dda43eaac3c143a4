/* finscope: formatting and comparison of the shared value types. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <glib.h>

#include "finscope/types.h"
#include "decimal.h"

const char *
fs_role_name(FsRole role)
{
    return role == FS_ROLE_CLIENT ? "client" : "server";
}

/* "0" .. "255", each in 4 bytes: the digits, zero-padded after, and
 * how many there are in the last byte. */
typedef struct {
    char text[3];
    guint8 len;
} Octet;

#define OCTET(n)                                                          \
    { { (char)('0' + ((n) >= 100 ? (n) / 100 : (n) >= 10 ? (n) / 10 : (n))), \
        (char)((n) >= 100 ? '0' + (n) / 10 % 10                           \
               : (n) >= 10 ? '0' + (n) % 10 : 0),                         \
        (char)((n) >= 100 ? '0' + (n) % 10 : 0) },                        \
      (n) >= 100 ? 3 : (n) >= 10 ? 2 : 1 }
#define OCTET4(n) OCTET(n), OCTET((n) + 1), OCTET((n) + 2), OCTET((n) + 3)
#define OCTET16(n) \
    OCTET4(n), OCTET4((n) + 4), OCTET4((n) + 8), OCTET4((n) + 12)
#define OCTET64(n) \
    OCTET16(n), OCTET16((n) + 16), OCTET16((n) + 32), OCTET16((n) + 48)

static const Octet octets[256] = {
    OCTET64(0), OCTET64(64), OCTET64(128), OCTET64(192),
};

/* One octet's digits, 4 bytes copied (the padding written over next). */
static inline char *
put_octet(char *p, guint8 b)
{
    memcpy(p, octets[b].text, 4);
    return p + octets[b].len;
}

/* Puts an IPv4 address as inet_ntop() writes it at p (16 bytes of room:
 * each octet is copied as 4 bytes, the next one written over its
 * padding); returns the position after it. By table: this runs for
 * every record. */
static inline char *
put_ipv4(char *p, const guint8 *b)
{
    p = put_octet(p, b[0]);
    *p++ = '.';
    p = put_octet(p, b[1]);
    *p++ = '.';
    p = put_octet(p, b[2]);
    *p++ = '.';
    return put_octet(p, b[3]);
}

char *
fs_addr_put(char *p, const FsAddr *addr)
{
    if (G_LIKELY(addr->family == 4))
        return put_ipv4(p, addr->bytes);
    if (addr->family == 6 &&
        inet_ntop(AF_INET6, addr->bytes, p, INET6_ADDRSTRLEN) != NULL)
        return p + strlen(p);
    if (addr->family == 6 || addr->family == 0) {
        *p = '?';
        return p + 1;
    }
    return put_ipv4(p, addr->bytes);
}

/* As fs_addr_put() writes it: one way to write an address (its IPv4
 * branch inline here: --timeline formats both of every record's). */
void
fs_addr_format(const FsAddr *addr, char *buf, gsize len)
{
    char ip[INET6_ADDRSTRLEN + 4];
    gsize n;

    if (G_LIKELY(addr->family == 4))
        n = (gsize)(put_ipv4(ip, addr->bytes) - ip);
    else
        n = (gsize)(fs_addr_put(ip, addr) - ip);
    ip[n] = '\0';
    if (n < len)   /* like inet_ntop(): all of it or "?" */
        memcpy(buf, ip, n + 1);
    else
        g_strlcpy(buf, "?", len);
}

char *
fs_endpoint_put(char *p, const FsAddr *addr, guint16 port)
{
    if (addr->family == 6) {
        *p++ = '[';
        p = fs_addr_put(p, addr);
        *p++ = ']';
    } else {
        p = fs_addr_put(p, addr);
    }
    *p++ = ':';
    return fs_put_uint(p, port);
}

void
fs_endpoint_format(const FsAddr *addr, guint16 port, char *buf, gsize len)
{
    char tmp[FS_ENDPOINT_STRLEN];
    char *p = fs_endpoint_put(tmp, addr, port);

    *p = '\0';
    /* as snprintf() would: cut to fit */
    if ((gsize)(p - tmp) < len)
        memcpy(buf, tmp, (gsize)(p - tmp) + 1);
    else
        g_strlcpy(buf, tmp, len);
}

int
fs_addr_compare(const FsAddr *a, const FsAddr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->bytes, b->bytes, sizeof a->bytes);
}

guint
fs_addr_hash(gconstpointer addr)
{
    return (guint)fs_endpoint_hash(addr, 0);
}

gboolean
fs_addr_equal_func(gconstpointer a, gconstpointer b)
{
    return fs_addr_equal(a, b);
}

char *
fs_time_format(FsTime ns)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(
        ns / FS_NS_PER_SEC);

    if (dt == NULL)
        return g_strdup("?");
    return g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                           g_date_time_get_year(dt),
                           g_date_time_get_month(dt),
                           g_date_time_get_day_of_month(dt),
                           g_date_time_get_hour(dt),
                           g_date_time_get_minute(dt),
                           g_date_time_get_second(dt),
                           (int)((ns % FS_NS_PER_SEC) / 1000));
}
