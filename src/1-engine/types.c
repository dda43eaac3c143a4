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

char *
fs_addr_put(char *p, const FsAddr *addr)
{
    if (G_LIKELY(addr->family == 4))
        return fs_put_ipv4(p, addr->bytes);
    if (addr->family == 6 &&
        inet_ntop(AF_INET6, addr->bytes, p, INET6_ADDRSTRLEN) != NULL)
        return p + strlen(p);
    if (addr->family == 6 || addr->family == 0) {
        *p = '?';
        return p + 1;
    }
    return fs_put_ipv4(p, addr->bytes);
}

/* As fs_addr_put() writes it: one way to write an address (its IPv4
 * branch inline here: --timeline formats both of every record's). */
void
fs_addr_format(const FsAddr *addr, char *buf, gsize len)
{
    char ip[INET6_ADDRSTRLEN + 4];
    gsize n;

    if (G_LIKELY(addr->family == 4))
        n = (gsize)(fs_put_ipv4(ip, addr->bytes) - ip);
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
