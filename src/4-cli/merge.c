/* finscope: `finscope merge` — the NDJSON of N --shard runs over the
 * same files joined into what one run prints.
 *
 * Each connection is in exactly one shard, so its conn record and
 * events are copied as they are, with ids renumbered in first-packet
 * order as one run numbers them (by first frame for one file; by start
 * time, then first frame, for several), and reuse_of and events' conn
 * following. Counts are summed. Peaks are not sums of peaks: each shard
 * also wrote its TIME_WAIT entries and exits ("shard_tw" lines, with the
 * engine's clock when they happened), and the peaks of the sum (all
 * hosts, per host, per client -> destination, per service) are swept
 * again from the TIME_WAIT spans they give, as one engine counts them.
 * Lines are interleaved as one engine wrote them, by the "shard_clock"
 * lines (the engine's clock, then frame or connection id; with several
 * files, lines of different shards at the same packet time may swap).
 * Not exact: connections_peak and memory_peak (the largest shard's, a
 * lower bound); with --max-memory or --max-flows, each shard evicts
 * within its own budget. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "finscope/classify.h"
#include "finscope/engine.h"
#include "finscope/json-writer.h"
#include "finscope/report.h"
#include "finscope/tcpstate.h"
#include "report-failure.h"
#include "report-private.h"
#include "cli.h"
#include "shard.h"

/* ---- a JSON tree that writes back byte for byte what it read ---- */

typedef enum { J_SCALAR, J_ARRAY, J_OBJECT } JKind;

typedef struct JNode {
    JKind kind;
    char *raw;        /* J_SCALAR: the text as written (strings quoted) */
    GPtrArray *keys;  /* J_OBJECT: member names, unquoted */
    GPtrArray *vals;  /* J_OBJECT, J_ARRAY: JNode* */
} JNode;

static void
jnode_free(gpointer p)
{
    JNode *n = p;

    if (n == NULL)
        return;
    g_free(n->raw);
    if (n->keys != NULL)
        g_ptr_array_unref(n->keys);
    if (n->vals != NULL)
        g_ptr_array_unref(n->vals);
    g_free(n);
}

static JNode *
jnode_new(JKind kind)
{
    JNode *n = g_new0(JNode, 1);

    n->kind = kind;
    if (kind != J_SCALAR)
        n->vals = g_ptr_array_new_with_free_func(jnode_free);
    if (kind == J_OBJECT)
        n->keys = g_ptr_array_new_with_free_func(g_free);
    return n;
}

static const char *
skip_string(const char *p)
{
    for (p++; *p != '\0' && *p != '"'; p++) {
        if (*p == '\\' && p[1] != '\0')
            p++;
    }
    return *p == '"' ? p + 1 : NULL;
}

static JNode *parse_value(const char **pp, guint depth);

static gboolean
parse_members(const char **pp, JNode *n, char close, guint depth)
{
    const char *p = *pp + 1;

    while (*p != close) {
        JNode *v;

        if (n->kind == J_OBJECT) {
            const char *end = *p == '"' ? skip_string(p) : NULL;

            if (end == NULL || *end != ':')
                return FALSE;
            g_ptr_array_add(n->keys, g_strndup(p + 1, (gsize)(end - p - 2)));
            p = end + 1;
        }
        v = parse_value(&p, depth + 1);
        if (v == NULL)
            return FALSE;
        g_ptr_array_add(n->vals, v);
        if (*p == ',' && p[1] != close)
            p++;
        else if (*p != close)
            return FALSE;
    }
    *pp = p + 1;
    return TRUE;
}

/* finscope's own compact output: no whitespace between tokens. */
static JNode *
parse_value(const char **pp, guint depth)
{
    const char *p = *pp;
    const char *end = p;
    JNode *n;

    if (depth > 32)
        return NULL;
    if (*p == '{' || *p == '[') {
        n = jnode_new(*p == '{' ? J_OBJECT : J_ARRAY);
        if (!parse_members(pp, n, *p == '{' ? '}' : ']', depth)) {
            jnode_free(n);
            return NULL;
        }
        return n;
    }
    if (*p == '"')
        end = skip_string(p);
    else
        while (*end != '\0' && strchr(",]}", *end) == NULL)
            end++;
    if (end == NULL || end == p)
        return NULL;
    n = jnode_new(J_SCALAR);
    n->raw = g_strndup(p, (gsize)(end - p));
    *pp = end;
    return n;
}

static void
jnode_write(GString *out, const JNode *n)
{
    if (n->kind == J_SCALAR) {
        g_string_append(out, n->raw);
        return;
    }
    g_string_append_c(out, n->kind == J_OBJECT ? '{' : '[');
    for (guint i = 0; i < n->vals->len; i++) {
        if (i > 0)
            g_string_append_c(out, ',');
        if (n->kind == J_OBJECT)
            g_string_append_printf(out, "\"%s\":",
                                   (char *)g_ptr_array_index(n->keys, i));
        jnode_write(out, g_ptr_array_index(n->vals, i));
    }
    g_string_append_c(out, n->kind == J_OBJECT ? '}' : ']');
}

static JNode *
jget(const JNode *n, const char *key)
{
    if (n == NULL || n->kind != J_OBJECT)
        return NULL;
    for (guint i = 0; i < n->keys->len; i++) {
        if (strcmp(g_ptr_array_index(n->keys, i), key) == 0)
            return g_ptr_array_index(n->vals, i);
    }
    return NULL;
}

/* Replaces (or appends) key's value with the text of a written value. */
static void
jset_text(JNode *obj, const char *key, const char *text)
{
    const char *p = text;
    JNode *v = parse_value(&p, 0);

    g_assert(v != NULL);
    for (guint i = 0; i < obj->keys->len; i++) {
        if (strcmp(g_ptr_array_index(obj->keys, i), key) == 0) {
            jnode_free(obj->vals->pdata[i]);
            obj->vals->pdata[i] = v;
            return;
        }
    }
    g_ptr_array_add(obj->keys, g_strdup(key));
    g_ptr_array_add(obj->vals, v);
}

/* A string member without escapes (types, states, addresses), or "". */
static char *
jstr(const JNode *n, const char *key)
{
    const JNode *v = jget(n, key);

    if (v == NULL || v->kind != J_SCALAR || v->raw[0] != '"')
        return g_strdup("");
    return g_strndup(v->raw + 1, strlen(v->raw) - 2);
}

static guint64
juint(const JNode *n, const char *key)
{
    const JNode *v = jget(n, key);

    return v != NULL && v->kind == J_SCALAR
               ? g_ascii_strtoull(v->raw, NULL, 10) : 0;
}

static gboolean
jbool(const JNode *n, const char *key)
{
    const JNode *v = jget(n, key);

    return v != NULL && v->kind == J_SCALAR && strcmp(v->raw, "true") == 0;
}

/* A time as fs_json_time() writes it, "[-]s.nnnnnnnnn", to ns (the
 * fraction's sign is the whole's: "-1.25" is -1.25 s); null to
 * FS_TIME_UNSET. */
static FsTime
parse_time(const char *v)
{
    gboolean negative = *v == '-';
    const char *p = negative ? v + 1 : v;
    char *end = NULL;
    FsTime t;

    if (*v == 'n')
        return FS_TIME_UNSET;
    t = (FsTime)g_ascii_strtoll(p, &end, 10) * FS_NS_PER_SEC;
    if (end != NULL && *end == '.') {
        FsTime scale = FS_NS_PER_SEC / 10;

        for (p = end + 1; g_ascii_isdigit(*p) && scale > 0; p++, scale /= 10)
            t += (*p - '0') * scale;
    }
    return negative ? -t : t;
}

/* key's time (parse_time()); absent: FS_TIME_UNSET. */
static FsTime
jtime(const JNode *n, const char *key)
{
    const JNode *v = jget(n, key);

    if (v == NULL || v->kind != J_SCALAR)
        return FS_TIME_UNSET;
    return parse_time(v->raw);
}

/* ---- the shards' lines ---- */

static gboolean by_frame; /* one source file: frame numbers are global */

/* The value of the first "key": in a line finscope wrote (a string value
 * holds no unescaped quote, so the pattern cannot start inside one):
 * where it starts, its length in *len; NULL if absent. Events and conn
 * records stay text: only these few fields are read and rewritten. */
static const char *
raw_value(const char *text, const char *key, gsize *len)
{
    char pattern[64];
    const char *p;
    const char *end;

    g_snprintf(pattern, sizeof pattern, "\"%s\":", key);
    p = strstr(text, pattern);
    if (p == NULL)
        return NULL;
    p += strlen(pattern);
    end = *p == '"' ? skip_string(p) : p + strcspn(p, ",}]");
    if (end == NULL)
        return NULL;
    *len = (gsize)(end - p);
    return p;
}

static gboolean
raw_is(const char *text, const char *key, const char *value)
{
    gsize len = 0;
    const char *v = raw_value(text, key, &len);

    return v != NULL && len == strlen(value) && memcmp(v, value, len) == 0;
}

static guint64
raw_uint(const char *text, const char *key)
{
    gsize len = 0;
    const char *v = raw_value(text, key, &len);

    return v != NULL ? g_ascii_strtoull(v, NULL, 10) : 0;
}

/* key's time (parse_time()); absent: FS_TIME_UNSET. */
static FsTime
raw_time(const char *text, const char *key)
{
    gsize len = 0;
    const char *v = raw_value(text, key, &len);

    return v != NULL ? parse_time(v) : FS_TIME_UNSET;
}

static char *
raw_string(const char *text, const char *key)
{
    gsize len = 0;
    const char *v = raw_value(text, key, &len);

    return v != NULL && len >= 2 && *v == '"' ? g_strndup(v + 1, len - 2)
                                              : g_strdup("");
}

typedef enum {
    L_EVENT, L_CONN, L_SERVICE, L_SUMMARY, L_SHARD, L_TW, L_CLOCK,
} LineType;

typedef struct {
    char *text;       /* events and conns: the line as read */
    JNode *node;      /* services: parsed */
    LineType type;
    guint shard;      /* index of the file it came from */
    FsTime at;        /* the shard engine's clock when written */
    gboolean end;     /* written by the end of input */
    gboolean packet;  /* an event a packet caused (not a timer's) */
    guint64 frame;    /* that packet's frame */
    gint64 id;        /* its connection's id in the shard */
} Line;

typedef struct {
    FsTime at;        /* the last shard_clock line's */
    gboolean end;
} Clock;

/* What merge needs of a conn record. */
typedef struct {
    gint64 id;         /* in its shard */
    gint64 new_id;     /* in the merge */
    FsTime start;
    guint64 first_frame;
    guint shard;
    char *client;      /* "ip:port" */
    char *server;
    gboolean tw_kept[2]; /* time_wait_until set, by role */
    gboolean tw_at_end[2]; /* state TIME_WAIT at the end, by role */
} ConnInfo;

typedef struct {
    FsTime at;        /* the shard engine's clock then */
    gboolean timer;   /* a timer, not a packet, moved the state */
    gboolean end;     /* settled by the end of input, in id order */
    FsTime t;         /* the entry or exit itself */
    gboolean enter;
    gboolean restart; /* (enter) its TIME_WAIT's 2*MSL timer restarted at
                         t, not an entry */
    gboolean resume;  /* (enter) back from CLOSED: an RST seemed to end it
                         (rst_not_taken): a span again, not an entry */
    gboolean taken_back; /* (a leave) the TIME_WAIT left was never held
                         (timewait.c's take_back()): its spans since its
                         entry, and the entry, are none */
    gboolean forgotten; /* (a leave) its record handed over mid-capture
                         (--idle-timeout, an eviction): no longer
                         counted from t, the socket still in it (the
                         service view keeps its 2*MSL, as its record) */
    guint shard;
    gint64 id;        /* its connection's id in the shard */
    const ConnInfo *conn;
    FsRole role;
} Edge;

typedef struct {
    char *name;
    GPtrArray *lines;      /* Line*: events, conns, services */
    GArray *edges;         /* Edge, in file order */
    JNode *summary;
    JNode *trailer;
    GHashTable *conns;     /* id (gint64*, in ConnInfo) -> ConnInfo* */
    guint next;            /* k-way merge position in lines */
} Shard;

static void
conn_info_free(gpointer p)
{
    ConnInfo *c = p;

    g_free(c->client);
    g_free(c->server);
    g_free(c);
}

static void
line_free(gpointer p)
{
    Line *l = p;

    g_free(l->text);
    jnode_free(l->node);
    g_free(l);
}

static void
shard_free(Shard *s)
{
    g_free(s->name);
    g_ptr_array_unref(s->lines);
    g_array_unref(s->edges);
    jnode_free(s->summary);
    jnode_free(s->trailer);
    g_hash_table_destroy(s->conns);
}

static gboolean
line_type(const char *text, LineType *type)
{
    static const char *const names[] = {
        "\"event\"", "\"conn\"", "\"service\"", "\"summary\"", "\"shard\"",
        "\"shard_tw\"", "\"shard_clock\"",
    };

    if (!g_str_has_prefix(text, "{\"type\":") || !g_str_has_suffix(text, "}"))
        return FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        if (raw_is(text, "type", names[i])) {
            *type = (LineType)i;
            return TRUE;
        }
    }
    return FALSE;
}

static ConnInfo *
conn_info(const char *text, guint shard)
{
    ConnInfo *c = g_new0(ConnInfo, 1);
    const char *tw = strstr(text, "\"time_wait_until\":");
    const char *state = strstr(text, "\"state\":");

    c->id = (gint64)raw_uint(text, "id");
    c->start = raw_time(text, "start");
    c->first_frame = raw_uint(text, "first_frame");
    c->shard = shard;
    c->client = raw_string(text, "client");
    c->server = raw_string(text, "server");
    for (int r = FS_ROLE_CLIENT; tw != NULL && r <= FS_ROLE_SERVER; r++)
        c->tw_kept[r] = raw_time(tw, fs_role_name((FsRole)r)) !=
                        FS_TIME_UNSET;
    for (int r = FS_ROLE_CLIENT; state != NULL && r <= FS_ROLE_SERVER; r++)
        c->tw_at_end[r] = raw_is(state, fs_role_name((FsRole)r),
                                 "\"TIME_WAIT\"");
    return c;
}

static void
read_edge(Shard *s, guint index, const char *text)
{
    Edge e;

    e.at = raw_time(text, "at");
    e.timer = raw_is(text, "timer", "true");
    e.end = raw_is(text, "end", "true");
    e.t = raw_time(text, "time");
    e.enter = raw_is(text, "enter", "true");
    e.restart = raw_is(text, "restart", "true");
    e.resume = raw_is(text, "resume", "true");
    e.taken_back = raw_is(text, "taken_back", "true");
    e.forgotten = raw_is(text, "forgotten", "true");
    e.shard = index;
    e.id = (gint64)raw_uint(text, "conn");
    e.conn = NULL;
    e.role = raw_is(text, "endpoint", "\"server\"") ? FS_ROLE_SERVER
                                                     : FS_ROLE_CLIENT;
    g_array_append_val(s->edges, e);
}

/* The summary, the shard line and services are parsed; events and conn
 * records kept as text; TIME_WAIT entries and exits kept as edges. */
static gboolean
read_line(Shard *s, guint index, char *text, Clock *clock)
{
    LineType type;
    Line *l;

    if (!line_type(text, &type))
        return FALSE;
    if (type == L_CLOCK) {
        clock->at = raw_time(text, "at");
        clock->end = raw_is(text, "end", "true");
        return TRUE;
    }
    if (type == L_TW) {
        read_edge(s, index, text);
        return TRUE;
    }
    if (type == L_SUMMARY || type == L_SHARD || type == L_SERVICE) {
        const char *p = text;
        JNode *n = parse_value(&p, 0);

        if (n == NULL || *p != '\0' || n->kind != J_OBJECT) {
            jnode_free(n);
            return FALSE;
        }
        if (type != L_SERVICE) {
            jnode_free(type == L_SUMMARY ? s->summary : s->trailer);
            *(type == L_SUMMARY ? &s->summary : &s->trailer) = n;
            return TRUE;
        }
        l = g_new0(Line, 1);
        l->node = n;
    } else {
        l = g_new0(Line, 1);
        l->text = g_strdup(text);
        l->packet = type == L_EVENT && !raw_is(text, "frame", "null");
        l->frame = l->packet ? raw_uint(text, "frame") : 0;
        l->id = (gint64)raw_uint(text, type == L_CONN ? "id" : "conn");
    }
    l->type = type;
    l->shard = index;
    l->at = clock->at;
    l->end = clock->end;
    if (type == L_CONN) {
        ConnInfo *c = conn_info(text, index);

        g_hash_table_replace(s->conns, &c->id, c);
    }
    g_ptr_array_add(s->lines, l);
    return TRUE;
}

static gboolean
read_shard(Shard *s, guint index, const char *path, GError **error)
{
    g_autofree char *text = NULL;
    char *line;
    char *next;
    guint lineno = 0;
    Clock clock = { 0, FALSE };

    s->name = g_strdup(path);
    s->lines = g_ptr_array_new_with_free_func(line_free);
    s->edges = g_array_new(FALSE, FALSE, sizeof(Edge));
    s->conns = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
                                     conn_info_free);
    if (!g_file_get_contents(path, &text, NULL, error))
        return FALSE;
    for (line = text; *line != '\0'; line = next) {
        next = strchr(line, '\n');
        next = next != NULL ? (*next = '\0', next + 1) : line + strlen(line);
        lineno++;
        if (*line != '\0' && !read_line(s, index, line, &clock)) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s:%u: not a line of finscope --json output", path,
                        lineno);
            return FALSE;
        }
    }
    if (s->summary == NULL || s->trailer == NULL) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: not the whole output of finscope --json --shard "
                    "K/N (no summary or shard line)", path);
        return FALSE;
    }
    return TRUE;
}

/* Every shard 0..N-1 once, all of the same N. */
static gboolean
check_cover(Shard *shards, guint n, GError **error)
{
    guint64 of = juint(shards[0].trailer, "of");
    g_autofree gboolean *seen = g_new0(gboolean, MAX(of, 1));

    if (of != n) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%" G_GUINT64_FORMAT " shards were run (%s), %u given",
                    of, shards[0].name, n);
        return FALSE;
    }
    for (guint i = 0; i < n; i++) {
        guint64 k = juint(shards[i].trailer, "shard");

        if (juint(shards[i].trailer, "of") != of || k >= of || seen[k]) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: shard %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                        " again, or of another split", shards[i].name, k,
                        juint(shards[i].trailer, "of"));
            return FALSE;
        }
        seen[k] = TRUE;
    }
    return TRUE;
}

/* ---- ids: one run numbers connections in first-packet order ---- */

static gint
conn_order(gconstpointer a, gconstpointer b)
{
    const ConnInfo *x = *(ConnInfo *const *)a;
    const ConnInfo *y = *(ConnInfo *const *)b;

    if (by_frame && x->first_frame != y->first_frame)
        return x->first_frame < y->first_frame ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->first_frame != y->first_frame)
        return x->first_frame < y->first_frame ? -1 : 1;
    return x->shard < y->shard ? -1 : x->shard > y->shard;
}

static void
renumber(Shard *shards, guint n)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new();

    by_frame = juint(shards[0].trailer, "sources") == 1;
    for (guint i = 0; i < n; i++) {
        GHashTableIter it;
        gpointer v;

        g_hash_table_iter_init(&it, shards[i].conns);
        while (g_hash_table_iter_next(&it, NULL, &v))
            g_ptr_array_add(all, v);
    }
    g_ptr_array_sort(all, conn_order);
    for (guint i = 0; i < all->len; i++)
        ((ConnInfo *)g_ptr_array_index(all, i))->new_id = (gint64)i + 1;
}

/* text with key's id (the first "key":N) renumbered; null stays. */
static char *
remap_id(const Shard *s, const char *text, const char *key)
{
    gsize len = 0;
    const char *v = raw_value(text, key, &len);
    gint64 old;
    const ConnInfo *c;

    if (v == NULL || *v == 'n')
        return g_strdup(text);
    old = (gint64)g_ascii_strtoull(v, NULL, 10);
    c = g_hash_table_lookup(s->conns, &old);
    if (c == NULL)
        return g_strdup(text);
    return g_strdup_printf("%.*s%" G_GINT64_FORMAT "%s", (int)(v - text), text,
                           c->new_id, v + len);
}

/* ---- TIME_WAIT entries and exits, swept again over all shards ---- */

/* Which of two shards' next edges one engine would have counted first:
 * by its clock, timers (run before the packet that moved the clock
 * there) first; at the end of input, in connection id order. A shard's
 * own edges stay in its order. */
static gboolean
edge_before(const Edge *x, const Edge *y)
{
    if (x->end != y->end)
        return y->end;
    if (x->end && x->conn->new_id != y->conn->new_id)
        return x->conn->new_id < y->conn->new_id;
    if (x->at != y->at)
        return x->at < y->at;
    if (x->timer != y->timer)
        return x->timer;
    return x->shard < y->shard;
}

/* The shard's edges whose connection it reported, conn resolved. */
static GArray *
shard_edges(const Shard *s)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(Edge));

    for (guint k = 0; k < s->edges->len; k++) {
        Edge e = g_array_index(s->edges, Edge, k);

        e.conn = g_hash_table_lookup(s->conns, &e.id);
        if (e.conn != NULL)
            g_array_append_val(out, e);
    }
    return out;
}

static void
collect_edges(Shard *shards, guint n, GArray *edges)
{
    GArray **per = g_new0(GArray *, n);
    guint *next = g_new0(guint, n);

    for (guint i = 0; i < n; i++)
        per[i] = shard_edges(&shards[i]);
    for (;;) {
        const Edge *best = NULL;

        for (guint i = 0; i < n; i++) {
            const Edge *e = next[i] < per[i]->len
                                ? &g_array_index(per[i], Edge, next[i])
                                : NULL;

            if (e != NULL && (best == NULL || edge_before(e, best)))
                best = e;
        }
        if (best == NULL)
            break;
        g_array_append_val(edges, *best);
        next[best->shard]++;
    }
    for (guint i = 0; i < n; i++)
        g_array_unref(per[i]);
    g_free(per);
    g_free(next);
}

/* "1.2.3.4:80" or "[::1]:80" to its address, port and host text. */
static void
split_endpoint(const char *text, FsAddr *addr, guint16 *port, char **host)
{
    const char *colon = strrchr(text, ':');
    g_autofree char *h = g_strndup(text, colon != NULL
                                             ? (gsize)(colon - text)
                                             : strlen(text));
    gsize len = strlen(h);

    if (len >= 2 && h[0] == '[') {
        memmove(h, h + 1, len - 2);
        h[len - 2] = '\0';
    }
    memset(addr, 0, sizeof *addr);
    if (inet_pton(AF_INET, h, addr->bytes) == 1)
        addr->family = 4;
    else if (inet_pton(AF_INET6, h, addr->bytes) == 1)
        addr->family = 6;
    *port = colon != NULL ? (guint16)g_ascii_strtoull(colon + 1, NULL, 10)
                          : 0;
    if (host != NULL)
        *host = g_steal_pointer(&h);
}

typedef struct {
    FsAddr addr;      /* host, or the client of a destination */
    FsAddr server;    /* destinations: the server */
    guint16 port;     /* destinations: the server port */
    char *name;       /* host text */
    guint64 now;
    guint64 peak;
    FsTime peak_at;
    guint64 entered;
} Held;

static void
held_free(gpointer p)
{
    Held *h = p;

    g_free(h->name);
    g_free(h);
}

static Held *
held_get(GHashTable *t, const char *key, const FsAddr *addr)
{
    Held *h = g_hash_table_lookup(t, key);

    if (h == NULL) {
        h = g_new0(Held, 1);
        h->addr = *addr;
        g_hash_table_insert(t, g_strdup(key), h);
    }
    return h;
}

static void
held_step(Held *h, gboolean enter, FsTime t)
{
    if (!enter) {
        if (h->now > 0)
            h->now--;
        return;
    }
    if (++h->now > h->peak) {
        h->peak = h->now;
        h->peak_at = t;
    }
}

typedef struct {
    GHashTable *hosts;   /* host text -> Held* */
    GHashTable *dests;   /* "client>server" -> Held* */
    Held all;            /* every host together */
} Sweep;

/* The endpoint e names enters (at t) or leaves its TIME_WAIT span. */
static void
sweep_edge(Sweep *sw, const Edge *e, gboolean enter, FsTime t)
{
    const char *self = e->role == FS_ROLE_SERVER ? e->conn->server
                                                 : e->conn->client;
    const char *server = e->conn->server;
    g_autofree char *host = NULL;
    g_autofree char *key = NULL;
    FsAddr addr;
    FsAddr saddr;
    guint16 port;
    guint16 sport;
    Held *h;

    split_endpoint(self, &addr, &port, &host);
    h = held_get(sw->hosts, host, &addr);
    if (h->name == NULL)
        h->name = g_strdup(host);
    if (t == FS_TIME_UNSET) {
        /* an entry, span or not (its record kept it); one taken back */
        if (enter)
            h->entered++;
        else if (h->entered > 0)
            h->entered--;
        return;
    }
    held_step(h, enter, t);
    held_step(&sw->all, enter, t);
    if (e->role != FS_ROLE_CLIENT)
        return;
    split_endpoint(server, &saddr, &sport, NULL);
    key = g_strdup_printf("%s>%s", host, server);
    h = held_get(sw->dests, key, &addr);
    if (h->name == NULL)
        h->name = g_strdup(host);
    h->server = saddr;
    h->port = sport;
    held_step(h, enter, t);
}

/* The service view counts an endpoint's TIME_WAIT from its record:
 * not one an RST took back (time_wait_until null). */
static gboolean
kept_time_wait(const Edge *e)
{
    return e->conn->tw_kept[e->role];
}

/* A TIME_WAIT span's edge, for the sweep. */
typedef struct {
    FsTime t;
    gboolean enter;
    const Edge *e;        /* its entry */
    guint episode;        /* its endpoint's entries before it (a span of
                             a TIME_WAIT taken back is dropped) */
} SpanEdge;

/* By time; at one time, a leave before an enter (an end at t does not
 * overlap a start at t: the engine counts so, timewait.c). */
static gint
span_edge_cmp(gconstpointer a, gconstpointer b)
{
    const SpanEdge *x = a;
    const SpanEdge *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (int)x->enter - (int)y->enter;
}

/* The peaks of the sum, as the engine counts them (timewait.c): each
 * endpoint's TIME_WAIT span, from its entry to its exit (or where its
 * record was handed over mid-capture: "forgotten", engine.c's
 * on_forget()) or 2*MSL after its timer last started (its entry, or a
 * restart) if sooner (held at the end: open), not one an RST took
 * back. */
static void
sweep_spans(Sweep *sw, const GArray *edges, FsTime msl)
{
    g_autoptr(GHashTable) open = g_hash_table_new(g_direct_hash,
                                                  g_direct_equal);
    g_autoptr(GHashTable) restarted = g_hash_table_new(g_direct_hash,
                                                       g_direct_equal);
    /* endpoint -> its entries so far; its last entry's edge */
    g_autoptr(GHashTable) episode = g_hash_table_new(g_direct_hash,
                                                     g_direct_equal);
    g_autoptr(GHashTable) entry = g_hash_table_new(g_direct_hash,
                                                   g_direct_equal);
    /* (endpoint, episode) taken back: "%p/%u" */
    g_autoptr(GHashTable) dropped = g_hash_table_new_full(g_str_hash,
                                                          g_str_equal,
                                                          g_free, NULL);
    g_autoptr(GArray) spans = g_array_new(FALSE, FALSE, sizeof(SpanEdge));
    GHashTableIter it;
    gpointer k;
    gpointer v;

    for (guint i = 0; i < edges->len; i++) {
        const Edge *e = &g_array_index(edges, Edge, i);
        gpointer key = (gpointer)((guintptr)e->conn | (guintptr)e->role);
        const Edge *in = g_hash_table_lookup(open, key);
        guint ep = GPOINTER_TO_UINT(g_hash_table_lookup(episode, key));

        if (e->enter && e->restart) {
            /* not an entry: its span runs on */
            if (in != NULL)
                g_hash_table_insert(restarted, key, (gpointer)e);
        } else if (e->enter) {
            /* an entry, span or not, unless an RST took it back (the
             * engine's count, timewait.c) */
            if (!e->resume) {
                g_hash_table_insert(episode, key, GUINT_TO_POINTER(++ep));
                g_hash_table_insert(entry, key, (gpointer)e);
                if (kept_time_wait(e))
                    sweep_edge(sw, e, TRUE, FS_TIME_UNSET);
            }
            if (in == NULL)
                g_hash_table_insert(open, key, (gpointer)e);
        } else if (e->taken_back) {
            /* it never held it: none of its spans since its entry, nor
             * the entry (timewait.c's take_back()) */
            const Edge *was = g_hash_table_lookup(entry, key);

            if (was != NULL && kept_time_wait(was))
                sweep_edge(sw, was, FALSE, FS_TIME_UNSET);
            g_hash_table_remove(entry, key);
            g_hash_table_add(dropped, g_strdup_printf("%p/%u", key, ep));
            g_hash_table_remove(open, key);
            g_hash_table_remove(restarted, key);
        } else if (in != NULL) {
            const Edge *timer = g_hash_table_lookup(restarted, key);
            FsTime left = MIN(e->t, (timer != NULL ? timer->t : in->t) +
                                        2 * msl);

            if (kept_time_wait(in) && left > in->t) {
                SpanEdge edge[2] = { { in->t, TRUE, in, ep },
                                     { left, FALSE, in, ep } };

                g_array_append_vals(spans, edge, 2);
            }
            g_hash_table_remove(open, key);
            g_hash_table_remove(restarted, key);
        }
    }
    g_hash_table_iter_init(&it, open);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const Edge *in = v;
        SpanEdge edge = { in->t, TRUE, in,
                          GPOINTER_TO_UINT(g_hash_table_lookup(episode,
                                                               k)) };

        if (kept_time_wait(in))
            g_array_append_val(spans, edge);
    }
    g_array_sort(spans, span_edge_cmp);
    for (guint i = 0; i < spans->len; i++) {
        const SpanEdge *s = &g_array_index(spans, SpanEdge, i);
        gpointer key = (gpointer)((guintptr)s->e->conn |
                                  (guintptr)s->e->role);
        g_autofree char *name = g_hash_table_size(dropped) > 0
                                    ? g_strdup_printf("%p/%u", key,
                                                      s->episode)
                                    : NULL;

        if (name == NULL || !g_hash_table_contains(dropped, name))
            sweep_edge(sw, s->e, s->enter, s->t);
    }
}

/* ---- services: counts summed, the TIME_WAIT peak swept again ---- */

static int
state_index(const char *name)
{
    for (int st = 0; st < FS_TCP_N_STATES; st++) {
        if (strcmp(fs_tcp_state_name((FsTcpState)st), name) == 0)
            return st;
    }
    return -1;
}

static void
add_by_role_state(guint64 counts[2][FS_TCP_N_STATES], const JNode *n)
{
    for (int role = FS_ROLE_CLIENT; role <= FS_ROLE_SERVER; role++) {
        const JNode *r = jget(n, fs_role_name((FsRole)role));

        for (guint i = 0; r != NULL && i < r->keys->len; i++) {
            int st = state_index(g_ptr_array_index(r->keys, i));

            if (st >= 0)
                counts[role][st] += juint(r, g_ptr_array_index(r->keys, i));
        }
    }
}

static void
add_service(FsServices *services, const JNode *n)
{
    g_autofree char *name = jstr(n, "server");
    FsService *svc = fs_services_get(services, name);
    const JNode *closer = jget(n, "active_closer");
    const JNode *tw = jget(n, "time_wait_entered");

    svc->connections += juint(n, "connections");
    for (int k = FS_CLOSER_CLIENT; k <= FS_CLOSER_SIMULTANEOUS; k++)
        svc->by_closer[k] += juint(closer, fs_closer_name((FsCloser)k));
    svc->closers_guessed += juint(n, "closers_guessed");
    add_by_role_state(svc->resets, jget(n, "resets"));
    add_by_role_state(svc->stuck, jget(n, "stuck"));
    svc->stuck_oldest = MAX(svc->stuck_oldest, jtime(n, "stuck_oldest"));
    svc->fin_retransmits += juint(n, "fin_retransmits");
    svc->refused += juint(n, "refused");
    svc->idle_max = MAX(svc->idle_max, jtime(n, "idle_before_close_max"));
    svc->time_wait[0] += juint(tw, "client");
    svc->time_wait[1] += juint(tw, "server");
    if (jbool(n, "time_wait_peak_partial"))
        svc->tw_spans_full = TRUE;
}

/* Each endpoint's TIME_WAIT as the service view keeps it: entered, and
 * left (its exit, or 2*MSL after if it was still held at the end). */
static void
add_span(FsServices *services, const Edge *in, FsTime left)
{
    FsService *svc = fs_services_get(services, in->conn->server);
    FsTime span[2] = { in->t, left };

    g_array_append_vals(svc->tw_spans, span, 2);
}

static void
add_spans(FsServices *services, const GArray *edges, FsTime msl)
{
    g_autoptr(GHashTable) open = g_hash_table_new(g_direct_hash,
                                                  g_direct_equal);
    g_autoptr(GHashTable) restarted = g_hash_table_new(g_direct_hash,
                                                       g_direct_equal);
    GHashTableIter it;
    gpointer k;
    gpointer v;

    for (guint i = 0; i < edges->len; i++) {
        const Edge *e = &g_array_index(edges, Edge, i);
        gpointer key = (gpointer)((guintptr)e->conn | (guintptr)e->role);
        const Edge *in = g_hash_table_lookup(open, key);

        if (e->enter && e->restart) {
            if (in != NULL)
                g_hash_table_insert(restarted, key, (gpointer)e);
        } else if (e->enter) {
            if (in == NULL && kept_time_wait(e))
                g_hash_table_insert(open, key, (gpointer)e);
        } else if (e->forgotten) {
            /* the record keeps its span to 2*MSL (report-service.c):
             * still open, closed at the end as one held there */
            continue;
        } else if (in != NULL) {
            /* (one taken back was never held: no span) */
            if (!e->taken_back)
                add_span(services, in, e->t);
            g_hash_table_remove(open, key);
            g_hash_table_remove(restarted, key);
        }
    }
    g_hash_table_iter_init(&it, open);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const Edge *timer = g_hash_table_lookup(restarted, k);

        add_span(services, v,
                 (timer != NULL ? timer->t : ((const Edge *)v)->t) +
                     2 * msl);
    }
}

/* The same line as the report's service record (report-json.c). */
static void
write_service(GString *out, const FsService *svc)
{
    FsJson j;

    fs_json_init(&j, out);
    fs_report_json_service_object(&j, svc);
    g_string_append_c(out, '\n');
}

/* ---- the summary: shard 0's, with every count summed over shards ---- */

typedef struct {
    char *key;
    guint64 value;
} Count;

static gint
count_by_state(gconstpointer a, gconstpointer b)
{
    return state_index(((const Count *)a)->key) -
           state_index(((const Count *)b)->key);
}

static gint
count_by_value(gconstpointer a, gconstpointer b)
{
    const Count *x = a;
    const Count *y = b;

    if (x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* The object at key summed member by member over the shards (members in
 * order of first sight, or sorted by cmp), at most max of them; memory_peak
 * is the largest. FALSE when no shard has key. */
static gboolean
sum_object(Shard *shards, guint n, const char *key, GCompareFunc cmp,
           guint max, GString *out)
{
    g_autoptr(GArray) counts = g_array_new(FALSE, FALSE, sizeof(Count));
    gboolean any = FALSE;
    FsJson j;

    for (guint i = 0; i < n; i++) {
        const JNode *o = jget(shards[i].summary, key);

        any = any || o != NULL;
        for (guint m = 0; o != NULL && m < o->keys->len; m++) {
            const char *name = g_ptr_array_index(o->keys, m);
            guint64 v = juint(o, name);
            guint c = 0;

            while (c < counts->len &&
                   strcmp(g_array_index(counts, Count, c).key, name) != 0)
                c++;
            if (c == counts->len) {
                Count add = { (char *)name, 0 };

                g_array_append_val(counts, add);
            }
            if (strcmp(name, "memory_peak") == 0)
                g_array_index(counts, Count, c).value =
                    MAX(g_array_index(counts, Count, c).value, v);
            else
                g_array_index(counts, Count, c).value += v;
        }
    }
    if (cmp != NULL)
        g_array_sort(counts, cmp);
    fs_json_init(&j, out);
    fs_json_begin_object(&j);
    for (guint c = 0; c < MIN(counts->len, max); c++) {
        fs_json_key(&j, g_array_index(counts, Count, c).key);
        fs_json_uint(&j, g_array_index(counts, Count, c).value);
    }
    fs_json_end_object(&j);
    return any;
}

static void
set_object(JNode *summary, Shard *shards, guint n, const char *key,
           GCompareFunc cmp, guint max)
{
    g_autoptr(GString) text = g_string_new(NULL);

    if (sum_object(shards, n, key, cmp, max, text))
        jset_text(summary, key, text->str);
}

static void
set_uint(JNode *summary, const char *key, guint64 v)
{
    char text[32];

    g_snprintf(text, sizeof text, "%" G_GUINT64_FORMAT, v);
    jset_text(summary, key, text);
}

static void
set_time(JNode *summary, const char *key, FsTime t)
{
    g_autoptr(GString) text = g_string_new(NULL);
    FsJson j;

    fs_json_init(&j, text);
    if (t == FS_TIME_UNSET)
        fs_json_null(&j);
    else
        fs_json_time(&j, t);
    jset_text(summary, key, text->str);
}

/* The shards' RST senders summed (a shard lists every one of them:
 * fs_report_set_shard) by the report's own table, then its top. */
static void
set_rst_senders(JNode *summary, Shard *shards, guint n)
{
    FsFailures *f = fs_failures_new();
    g_autoptr(GString) text = g_string_new(NULL);
    FsJson j;

    for (guint i = 0; i < n; i++) {
        const JNode *list = jget(shards[i].summary, "rst_senders");

        for (guint e = 0; list != NULL && list->kind == J_ARRAY &&
                          e < list->vals->len; e++) {
            const JNode *item = g_ptr_array_index(list->vals, e);
            g_autofree char *name = jstr(item, "sender");

            fs_failures_add_rst_sender(f, name, juint(item, "resets"));
        }
    }
    fs_json_init(&j, text);
    fs_failures_json_rst_senders(&j, f, FALSE);
    jset_text(summary, "rst_senders", text->str);
    fs_failures_free(f);
}

/* A count the summary holds only when it is not 0 (options_cut): the
 * shards' sum, put after the key after, where a single run writes it,
 * when some shard had it. */
static void
sum_count_if_any(JNode *summary, Shard *shards, guint n, const char *key,
                 const char *after)
{
    guint64 v = 0;
    char text[32];
    const char *p = text;

    for (guint i = 0; i < n; i++)
        v += juint(shards[i].summary, key);
    if (v == 0)
        return;
    g_snprintf(text, sizeof text, "%" G_GUINT64_FORMAT, v);
    if (jget(summary, key) == NULL) {
        guint at = 0;

        while (at < summary->keys->len &&
               strcmp(g_ptr_array_index(summary->keys, at), after) != 0)
            at++;
        at = MIN(at + 1, summary->keys->len);
        g_ptr_array_insert(summary->keys, (gint)at, g_strdup(key));
        g_ptr_array_insert(summary->vals, (gint)at, parse_value(&p, 0));
        return;
    }
    jset_text(summary, key, text);
}

static void
sum_counts(JNode *summary, Shard *shards, guint n)
{
    static const char *const sums[] = {
        "connections", "half_closes", "three_way_closes", "fin_retransmits",
        "final_ack_lost", "one_sided", "roles_inferred", "time_wait_at_end",
        "packets", "tcp_segments", "evicted", "aborts_after_close",
    };
    static const char *const objects[] = {
        "close", "active_closer", "rst_from", "skipped", "evictions",
        "handshake",
    };
    FsTime start = FS_TIME_UNSET;
    FsTime end = FS_TIME_UNSET;
    guint64 live_peak = 0;

    for (guint k = 0; k < G_N_ELEMENTS(sums); k++) {
        guint64 v = 0;

        for (guint i = 0; i < n; i++)
            v += juint(shards[i].summary, sums[k]);
        set_uint(summary, sums[k], v);
    }
    sum_count_if_any(summary, shards, n, "options_cut", "tcp_segments");
    for (guint k = 0; k < G_N_ELEMENTS(objects); k++)
        set_object(summary, shards, n, objects[k], NULL, G_MAXUINT);
    set_object(summary, shards, n, "end_states", count_by_state, G_MAXUINT);
    for (guint i = 0; i < n; i++) {
        FsTime s = jtime(shards[i].summary, "start");
        FsTime e = jtime(shards[i].summary, "end");

        start = start == FS_TIME_UNSET ? s : MIN(start, s);
        end = MAX(end, e);
        live_peak = MAX(live_peak, juint(shards[i].summary,
                                         "connections_peak"));
    }
    set_time(summary, "start", start);
    set_time(summary, "end", end);
    set_uint(summary, "connections_peak", live_peak);
    set_rst_senders(summary, shards, n);
}

static gint
host_order(gconstpointer a, gconstpointer b)
{
    const Held *x = *(Held *const *)a;
    const Held *y = *(Held *const *)b;

    if (x->peak != y->peak)
        return x->peak > y->peak ? -1 : 1;
    return fs_addr_compare(&x->addr, &y->addr);
}

static gint
dest_order(gconstpointer a, gconstpointer b)
{
    const Held *x = *(Held *const *)a;
    const Held *y = *(Held *const *)b;
    int c;

    if (x->peak != y->peak)
        return x->peak > y->peak ? -1 : 1;
    c = fs_addr_compare(&x->addr, &y->addr);
    if (c == 0)
        c = fs_addr_compare(&x->server, &y->server);
    return c != 0 ? c : (int)x->port - (int)y->port;
}

static GPtrArray *
sorted_values(GHashTable *t, GCompareFunc cmp)
{
    GPtrArray *out = g_ptr_array_new();
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, t);
    while (g_hash_table_iter_next(&it, NULL, &v))
        g_ptr_array_add(out, v);
    g_ptr_array_sort(out, cmp);
    return out;
}

static void
set_hosts(JNode *summary, const Sweep *sw)
{
    g_autoptr(GPtrArray) hosts = sorted_values(sw->hosts, host_order);
    g_autoptr(GString) text = g_string_new(NULL);
    FsJson j;

    fs_json_init(&j, text);
    fs_json_begin_object(&j);
    for (guint i = 0, shown = 0;
         i < hosts->len && shown < FS_ENGINE_HOST_TOP; i++) {
        const Held *h = g_ptr_array_index(hosts, i);

        /* as the engine: not one whose every TIME_WAIT was taken back */
        if (h->peak == 0 && h->now == 0)
            continue;
        shown++;
        fs_json_key(&j, h->name);
        fs_json_begin_object(&j);
        FS_JSON_KEY(&j, "peak");
        fs_json_uint(&j, h->peak);
        FS_JSON_KEY(&j, "peak_at");
        fs_json_time(&j, h->peak_at);
        FS_JSON_KEY(&j, "at_end");
        fs_json_uint(&j, h->now);
        FS_JSON_KEY(&j, "entered");
        fs_json_uint(&j, h->entered);
        fs_json_end_object(&j);
    }
    fs_json_end_object(&j);
    jset_text(summary, "time_wait_by_host", text->str);
}

/* Endpoints whose record ends in TIME_WAIT, by host, busiest first, as
 * report.c counts them (the shards' own lists stop at
 * FS_ENGINE_HOST_TOP each, so they are not summed). */
static void
set_at_end(JNode *summary, Shard *shards, guint n)
{
    g_autoptr(GHashTable) hosts = g_hash_table_new_full(g_str_hash,
                                                        g_str_equal, g_free,
                                                        g_free);
    g_autoptr(GArray) counts = g_array_new(FALSE, FALSE, sizeof(Count));
    g_autoptr(GString) text = g_string_new(NULL);
    GHashTableIter it;
    gpointer k;
    gpointer v;
    FsJson j;

    for (guint i = 0; i < n; i++) {
        g_hash_table_iter_init(&it, shards[i].conns);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            const ConnInfo *c = v;

            for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
                FsAddr addr;
                guint16 port;
                char *host = NULL;
                guint64 *count;

                if (!c->tw_at_end[r])
                    continue;
                split_endpoint(r == FS_ROLE_CLIENT ? c->client : c->server,
                               &addr, &port, &host);
                count = g_hash_table_lookup(hosts, host);
                if (count == NULL) {
                    count = g_new0(guint64, 1);
                    g_hash_table_insert(hosts, host, count);
                } else {
                    g_free(host);
                }
                (*count)++;
            }
        }
    }
    g_hash_table_iter_init(&it, hosts);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        Count c = { k, *(guint64 *)v };

        g_array_append_val(counts, c);
    }
    g_array_sort(counts, count_by_value);
    fs_json_init(&j, text);
    fs_json_begin_object(&j);
    for (guint i = 0; i < MIN(counts->len, FS_ENGINE_HOST_TOP); i++) {
        fs_json_key(&j, g_array_index(counts, Count, i).key);
        fs_json_uint(&j, g_array_index(counts, Count, i).value);
    }
    fs_json_end_object(&j);
    jset_text(summary, "time_wait_hosts", text->str);
}

/* As report-json.c's json_dest(): ports/(2*MSL) new connections a
 * second towards one destination before connect() fails. */
static void
set_dests(JNode *summary, const Sweep *sw, guint ports, FsTime msl)
{
    g_autoptr(GPtrArray) dests = sorted_values(sw->dests, dest_order);
    g_autoptr(GString) text = g_string_new(NULL);
    double two_msl_s = 2.0 * (double)msl / 1e9;
    FsJson j;

    fs_json_init(&j, text);
    fs_json_begin_array(&j);
    for (guint i = 0; i < MIN(dests->len, FS_ENGINE_DEST_TOP); i++) {
        const Held *d = g_ptr_array_index(dests, i);
        char dest[FS_ENDPOINT_STRLEN];

        fs_endpoint_format(&d->server, d->port, dest, sizeof dest);
        fs_json_begin_object(&j);
        FS_JSON_KEY(&j, "client");
        fs_json_string(&j, d->name);
        FS_JSON_KEY(&j, "destination");
        fs_json_string(&j, dest);
        FS_JSON_KEY(&j, "time_wait_peak");
        fs_json_uint(&j, d->peak);
        FS_JSON_KEY(&j, "peak_at");
        fs_json_time(&j, d->peak_at);
        FS_JSON_KEY(&j, "ephemeral_ports");
        fs_json_uint(&j, ports);
        FS_JSON_KEY(&j, "used_permille");
        fs_json_uint(&j, d->peak * 1000u / ports);
        FS_JSON_KEY(&j, "max_new_per_s");
        fs_json_uint(&j, (guint64)((double)ports / two_msl_s));
        fs_json_end_object(&j);
    }
    fs_json_end_array(&j);
    jset_text(summary, "port_pressure", text->str);
}

/* ---- output ---- */

static gint64
line_new_id(const Shard *s, const Line *l)
{
    const ConnInfo *c = g_hash_table_lookup(s->conns, &l->id);

    return c != NULL ? c->new_id : 0;
}

/* Which of two shards' next lines one engine would have written first:
 * by its clock, a timer's lines (its sweep runs before the packet that
 * moved the clock there) before a packet's; a sweep's, and the end's
 * (fs_engine_finish), in connection id order; packets in frame order. */
static gboolean
line_before(const Shard *sx, const Line *x, const Shard *sy, const Line *y)
{
    if (x->end != y->end)
        return y->end;
    if (x->end && line_new_id(sx, x) != line_new_id(sy, y))
        return line_new_id(sx, x) < line_new_id(sy, y);
    if (x->at != y->at)
        return x->at < y->at;
    if (x->packet != y->packet)
        return y->packet;
    if (by_frame && x->packet && x->frame != y->frame)
        return x->frame < y->frame;
    if (!x->packet && line_new_id(sx, x) != line_new_id(sy, y))
        return line_new_id(sx, x) < line_new_id(sy, y);
    return x->shard < y->shard;
}

/* The next event or conn line of all shards: each shard's lines in
 * their order, the shards interleaved as one engine would have. */
static Line *
next_line(Shard *shards, guint n)
{
    Line *best = NULL;

    for (guint i = 0; i < n; i++) {
        Line *l;

        while (shards[i].next < shards[i].lines->len) {
            l = g_ptr_array_index(shards[i].lines, shards[i].next);
            if (l->type == L_EVENT || l->type == L_CONN)
                break;
            shards[i].next++;
        }
        if (shards[i].next == shards[i].lines->len)
            continue;
        l = g_ptr_array_index(shards[i].lines, shards[i].next);
        if (best == NULL || line_before(&shards[i], l, &shards[best->shard],
                                        best))
            best = l;
    }
    if (best != NULL)
        shards[best->shard].next++;
    return best;
}

static void
write_records(Shard *shards, guint n)
{
    Line *l;

    while ((l = next_line(shards, n)) != NULL) {
        const Shard *s = &shards[l->shard];
        g_autofree char *a = remap_id(s, l->text,
                                      l->type == L_CONN ? "id" : "conn");
        g_autofree char *b = l->type == L_CONN
                                 ? remap_id(s, a, "reuse_of") : NULL;

        fputs(b != NULL ? b : a, stdout);
        fputc('\n', stdout);
    }
}

static void
write_services(Shard *shards, guint n, const GArray *edges, FsTime msl,
               guint top, GString *out)
{
    FsServices *services = fs_services_new();
    g_autoptr(GPtrArray) list = NULL;

    for (guint i = 0; i < n; i++) {
        for (guint k = 0; k < shards[i].lines->len; k++) {
            const Line *l = g_ptr_array_index(shards[i].lines, k);

            if (l->type == L_SERVICE)
                add_service(services, l->node);
        }
    }
    add_spans(services, edges, msl);
    list = fs_services_top(services, top);
    for (guint i = 0; i < list->len; i++)
        write_service(out, g_ptr_array_index(list, i));
    fputs(out->str, stdout);
    g_string_truncate(out, 0);
    g_clear_pointer(&list, g_ptr_array_unref);
    fs_services_free(services);
}

static void
write_summary(Shard *shards, guint n, const GArray *edges, FsTime msl,
              GString *out)
{
    JNode *summary = shards[0].summary;
    Sweep sw = { g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       held_free),
                 g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       held_free),
                 { { 0, { 0 } }, { 0, { 0 } }, 0, NULL, 0, 0, 0, 0 } };

    sweep_spans(&sw, edges, msl);
    sum_counts(summary, shards, n);
    set_uint(summary, "time_wait_peak", sw.all.peak);
    set_time(summary, "time_wait_peak_at",
             sw.all.peak == 0 ? FS_TIME_UNSET : sw.all.peak_at);
    set_hosts(summary, &sw);
    set_at_end(summary, shards, n);
    set_dests(summary, &sw,
              (guint)MAX(juint(shards[0].trailer, "ephemeral_ports"), 1),
              msl);
    jnode_write(out, summary);
    g_string_append_c(out, '\n');
    fputs(out->str, stdout);
    g_hash_table_destroy(sw.hosts);
    g_hash_table_destroy(sw.dests);
}

static int
merge(Shard *shards, guint n, gint top)
{
    g_autoptr(GArray) edges = g_array_new(FALSE, FALSE, sizeof(Edge));
    g_autoptr(GString) out = g_string_new(NULL);
    FsTime msl = jtime(shards[0].summary, "msl");

    renumber(shards, n);
    collect_edges(shards, n, edges);
    write_records(shards, n);
    write_services(shards, n, edges, msl,
                   top >= 0 ? (guint)top
                            : (guint)juint(shards[0].trailer, "top"),
                   out);
    write_summary(shards, n, edges, msl, out);
    fflush(stdout);
    if (ferror(stdout)) {
        fprintf(stderr, "finscope merge: error writing the output\n");
        return 1;
    }
    return 0;
}

static const char merge_summary[] =
    "Joins the NDJSON of `finscope --json --shard K/N` runs over the same\n"
    "capture files, one FILE per shard 0..N-1, into what one run would\n"
    "have printed: connection ids renumbered in first-packet order,\n"
    "counts summed, TIME_WAIT peaks swept again over all shards.\n"
    "Not exact: connections_peak and memory_peak (the largest shard's);\n"
    "evictions, as each shard had its own --max-memory or --max-flows.\n"
    "\n"
    "Exit status: 0 success; 1 an unreadable, incomplete or mismatched\n"
    "input; 2 usage error.";

int
fs_merge_main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) files = NULL;
    gint top = FS_CLI_INT_UNSET;
    GOptionEntry entries[] = {
        { "top", 0, 0, G_OPTION_ARG_INT, &top,
          "Show the N busiest services (default: as the shards were run, "
          "20 unless --top; 0 = all)", "N" },
        { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files,
          NULL, NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("FILE...");
    Shard *shards;
    guint n;
    int status = 1;

    g_option_context_set_summary(ctx, merge_summary);
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) ||
        (top < 0 && top != FS_CLI_INT_UNSET) || files == NULL) {
        fprintf(stderr, "finscope merge: %s\n",
                error != NULL ? error->message
                : top < 0 && top != FS_CLI_INT_UNSET
                    ? "--top: a count of services, 0 or more"
                    : "give the shards' NDJSON files (see --help)");
        return 2;
    }
    n = g_strv_length(files);
    shards = g_new0(Shard, n);
    for (guint i = 0; i < n && error == NULL; i++)
        (void)read_shard(&shards[i], i, files[i], &error);
    if (error == NULL && check_cover(shards, n, &error))
        status = merge(shards, n, top);
    if (error != NULL)
        fprintf(stderr, "finscope merge: %s\n", error->message);
    for (guint i = 0; i < n; i++)
        if (shards[i].lines != NULL)
            shard_free(&shards[i]);
    g_free(shards);
    return status;
}
