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

/* Formats an IPv4 address as inet_ntop() does, into buf (at least 16
 * bytes); returns its length.  By hand: this runs for every record. */
static gsize
format_ipv4(const guint8 *b, char *buf)
{
    char *p = buf;

    for (int i = 0; i < 4; i++) {
        if (i > 0)
            *p++ = '.';
        p = fs_put_uint(p, b[i]);
    }
    *p = '\0';
    return (gsize)(p - buf);
}

void
fs_addr_format(const FsAddr *addr, char *buf, gsize len)
{
    char ip[INET_ADDRSTRLEN];
    gsize n;

    if (addr->family == 6) {
        if (inet_ntop(AF_INET6, addr->bytes, buf, len) == NULL)
            g_strlcpy(buf, "?", len);
        return;
    }
    if (addr->family == 0) {
        g_strlcpy(buf, "?", len);
        return;
    }
    n = format_ipv4(addr->bytes, ip);
    if (n < len)   /* like inet_ntop(): all of it or "?" */
        memcpy(buf, ip, n + 1);
    else
        g_strlcpy(buf, "?", len);
}

void
fs_endpoint_format(const FsAddr *addr, guint16 port, char *buf, gsize len)
{
    char tmp[FS_ENDPOINT_STRLEN];
    char *p = tmp;

    if (addr->family == 6) {
        *p++ = '[';
        fs_addr_format(addr, p, INET6_ADDRSTRLEN);
        p += strlen(p);
        *p++ = ']';
    } else {
        fs_addr_format(addr, p, INET_ADDRSTRLEN);
        p += strlen(p);
    }
    *p++ = ':';
    p = fs_put_uint(p, port);
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
