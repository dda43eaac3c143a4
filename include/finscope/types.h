/* finscope: plain value types shared by every module. */
#ifndef FINSCOPE_TYPES_H
#define FINSCOPE_TYPES_H

#include <string.h>

#include <glib.h>

/* Capture time: integer nanoseconds since the Unix epoch. */
typedef gint64 FsTime;
#define FS_NS_PER_SEC G_GINT64_CONSTANT(1000000000)
#define FS_NS_PER_MSEC G_GINT64_CONSTANT(1000000)
#define FS_NS_PER_USEC G_GINT64_CONSTANT(1000)
/* Latest capture time kept (year 2116): capture clamps what files claim
 * into [0, FS_TIME_MAX], so a difference of two times never overflows. */
#define FS_TIME_MAX (G_GINT64_CONSTANT(1) << 62)
/* A time field that was never set. Times are clamped into
 * [0, FS_TIME_MAX], so no capture time, 0 (1970) included, is taken for
 * it. */
#define FS_TIME_UNSET G_GINT64_CONSTANT(-1)

/* An IP address as it appears on the wire (network byte order). */
typedef struct {
    guint8 family;    /* 4 or 6; 0 = unset */
    guint8 bytes[16]; /* IPv4 uses the first 4 bytes, the rest are zero */
} FsAddr;

/* A connection's two endpoints, by role: the client sent the SYN. */
typedef enum {
    FS_ROLE_CLIENT = 0,
    FS_ROLE_SERVER = 1,
} FsRole;
#define FS_ROLE_NONE (-1) /* in gint8 fields: no endpoint */

static inline FsRole
fs_role_peer(FsRole r)
{
    return r == FS_ROLE_CLIENT ? FS_ROLE_SERVER : FS_ROLE_CLIENT;
}

const char *fs_role_name(FsRole role); /* "client" / "server" */

/* Formats "a.b.c.d:port" or "[v6]:port" into buf (at least 56 bytes). */
#define FS_ENDPOINT_STRLEN 56
void fs_addr_format(const FsAddr *addr, char *buf, gsize len);
/* The address as fs_addr_format() writes it, put at p (room for
 * FS_ADDR_PUT_ROOM bytes, no NUL written); returns the position after
 * it. For the formatters of every record. */
#define FS_ADDR_PUT_ROOM 48
char *fs_addr_put(char *p, const FsAddr *addr);
void fs_endpoint_format(const FsAddr *addr, guint16 port, char *buf,
                        gsize len);
/* The endpoint as fs_endpoint_format() writes it, put at p (room for
 * FS_ENDPOINT_STRLEN bytes, no NUL written); returns the position after
 * it. */
char *fs_endpoint_put(char *p, const FsAddr *addr, guint16 port);
int fs_addr_compare(const FsAddr *a, const FsAddr *b);

/* Same family and address bytes (what fs_addr_compare() == 0 says, for
 * the hot path: flow keys, sender roles). */
static inline gboolean
fs_addr_equal(const FsAddr *a, const FsAddr *b)
{
    return a->family == b->family &&
           memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

/* splitmix64's multipliers (Steele, Lea, Flood 2014; Stafford's mix13),
 * shared by every hash in the tree. */
#define FS_MIX64_M1 G_GUINT64_CONSTANT(0xbf58476d1ce4e5b9)
#define FS_MIX64_M2 G_GUINT64_CONSTANT(0x94d049bb133111eb)

/* A 64-bit finaliser (splitmix64's): every input bit reaches every
 * output bit. */
static inline guint64
fs_mix64(guint64 x)
{
    x ^= x >> 30;
    x *= FS_MIX64_M1;
    x ^= x >> 27;
    x *= FS_MIX64_M2;
    x ^= x >> 31;
    return x;
}

/* One endpoint (all 16 address bytes, family, port), mixed. */
static inline guint64
fs_endpoint_hash(const FsAddr *addr, guint16 port)
{
    guint64 w0;
    guint64 w1;

    memcpy(&w0, addr->bytes, 8);
    memcpy(&w1, addr->bytes + 8, 8);
    return fs_mix64(w0 ^ fs_mix64(w1 ^ ((guint64)port << 8 | addr->family)));
}

/* GHashFunc and GEqualFunc of FsAddr keys. */
guint fs_addr_hash(gconstpointer addr);
gboolean fs_addr_equal_func(gconstpointer a, gconstpointer b);

/* UTC with microseconds, "2026-11-21T16:47:30.123456Z"; g_free() it. */
char *fs_time_format(FsTime ns);

#endif /* FINSCOPE_TYPES_H */
