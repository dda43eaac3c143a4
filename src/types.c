/* finscope: formatting and comparison of the shared value types. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <glib.h>

#include "finscope/types.h"

const char *
fs_role_name(FsRole role)
{
    return role == FS_ROLE_CLIENT ? "client" : "server";
}

void
fs_addr_format(const FsAddr *addr, char *buf, gsize len)
{
    int af = addr->family == 6 ? AF_INET6 : AF_INET;

    if (addr->family == 0 || inet_ntop(af, addr->bytes, buf, len) == NULL)
        g_strlcpy(buf, "?", len);
}

void
fs_endpoint_format(const FsAddr *addr, guint16 port, char *buf, gsize len)
{
    char ip[INET6_ADDRSTRLEN];

    fs_addr_format(addr, ip, sizeof ip);
    if (addr->family == 6)
        g_snprintf(buf, len, "[%s]:%u", ip, port);
    else
        g_snprintf(buf, len, "%s:%u", ip, port);
}

int
fs_addr_compare(const FsAddr *a, const FsAddr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->bytes, b->bytes, sizeof a->bytes);
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
