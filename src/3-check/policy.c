/* finscope: policy assertions — parsed once, evaluated over a check run. */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <glib.h>

#include "finscope/error.h"
#include "policy.h"
#include "text.h"

typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } Op;

/* Longest first, so "<=" is not read as "<". */
static const struct {
    const char *text;
    Op op;
} op_table[] = {
    { "==", OP_EQ }, { "!=", OP_NE }, { "<=", OP_LE }, { ">=", OP_GE },
    { "<", OP_LT },  { ">", OP_GT },
};

/* Which strings a string field takes. */
typedef enum {
    VALUES_ANY,     /* an IP address: checked as one */
    VALUES_CLOSE,   /* fs_close_kind_name() */
    VALUES_CLOSER,  /* fs_closer_name(), "none" */
    VALUES_ROLE,    /* "client", "server", "none" */
    VALUES_STATE,   /* fs_tcp_state_name() */
    VALUES_HANDSHAKE, /* fs_handshake_name() */
} ValueSet;

typedef struct {
    const char *name;      /* after "conn." */
    gboolean is_string;    /* compared with a quoted string, == and != */
    ValueSet values;       /* string fields: what they may equal */
    guint64 (*number)(const FsCheckConn *c); /* NULL: 0/1 by flag */
    const char *flag;      /* an fs_classify_flags() name, or NULL */
    void (*string)(const FsCheckConn *c, char *buf, gsize len);
} ConnField;

/* Labels pick the connections (and endpoints) a field looks at. */
typedef struct {
    char *host;         /* {host=}: either endpoint's (the endpoint's) IP */
    char *client_host;  /* {client_host=}: the client's IP */
    char *server_host;  /* {server_host=}: the server's IP */
    gint32 server_port; /* {server_port=}: -1 = any */
    gint8 role;         /* {role=}: FsRole, FS_ROLE_NONE = both */
} Filter;

struct FsPolicyExpr {
    char *text;                  /* as written, stripped */
    char *lhs;                   /* the field and its labels, as written */
    const FsTallyField *summary; /* a summary field, or NULL */
    const ConnField *conn;       /* a conn.* field, or NULL */
    Filter filter;               /* from the labels */
    Op op;
    guint64 number;              /* the value of a number comparison */
    char *string;                /* the value of a string comparison */
};

/* ---- summary fields (the catalogue is tally.c's) ------------------------ */

/* HOOK time_wait_peak: the most endpoints in TIME_WAIT at any one moment
 * of the capture, over all hosts or for {host="..."}. It is the engine's
 * to know; check.c hands it over with fs_check_model_set_time_wait_peak()
 * once the engine reports it. Until then each endpoint still in TIME_WAIT
 * at the end counts (the tally's time_wait_at_end): a lower bound of the
 * peak. */

/* The engine's peak, for host or all hosts (0 for a host it never saw). */
static guint64
reported_time_wait_peak(const FsCheckModel *m, const char *host)
{
    const guint64 *peak = NULL;

    if (host == NULL)
        return m->tw_peak;
    peak = g_hash_table_lookup(m->tw_peak_host, host);
    return peak ? *peak : 0;
}

/* What c adds to field f, counting the endpoints in the mask (bits
 * 1 << FsRole): it goes into t, and the difference is its share. */
static guint64
summary_count(const FsTallyField *f, FsTally *t, const FsCheckConn *c,
              guint endpoints)
{
    guint64 before = fs_tally_field_value(f, t);
    FsOutcome o;

    fs_check_conn_outcome_of(c, &o);
    fs_tally_add(t, &o, c->addr, endpoints);
    return fs_tally_field_value(f, t) - before;
}


/* ---- connection fields ------------------------------------------------- */

static guint64
conn_fin_retransmits(const FsCheckConn *c)
{
    return (guint64)c->fin_retransmits[FS_ROLE_CLIENT] +
           c->fin_retransmits[FS_ROLE_SERVER];
}

static guint64
conn_final_ack_lost(const FsCheckConn *c)
{
    return c->final_ack_lost;
}

static guint64
conn_client_port(const FsCheckConn *c)
{
    return c->port[FS_ROLE_CLIENT];
}

static guint64
conn_server_port(const FsCheckConn *c)
{
    return c->port[FS_ROLE_SERVER];
}

static void
conn_close(const FsCheckConn *c, char *buf, gsize len)
{
    g_strlcpy(buf, fs_close_kind_name(c->close), len);
}

static void
conn_active_closer(const FsCheckConn *c, char *buf, gsize len)
{
    const char *name = fs_closer_name(c->active_closer);

    g_strlcpy(buf, name ? name : "none", len);
}

static void
conn_rst_from(const FsCheckConn *c, char *buf, gsize len)
{
    g_strlcpy(buf, c->rst_from == FS_ROLE_NONE
                       ? "none" : fs_role_name((FsRole)c->rst_from), len);
}

static void
conn_handshake(const FsCheckConn *c, char *buf, gsize len)
{
    g_strlcpy(buf, fs_handshake_name(c->handshake), len);
}

static void
conn_client_end(const FsCheckConn *c, char *buf, gsize len)
{
    g_strlcpy(buf, fs_tcp_state_name(c->end_state[FS_ROLE_CLIENT]), len);
}

static void
conn_server_end(const FsCheckConn *c, char *buf, gsize len)
{
    g_strlcpy(buf, fs_tcp_state_name(c->end_state[FS_ROLE_SERVER]), len);
}

static void
conn_client_host(const FsCheckConn *c, char *buf, gsize len)
{
    fs_addr_format(&c->addr[FS_ROLE_CLIENT], buf, len);
}

static void
conn_server_host(const FsCheckConn *c, char *buf, gsize len)
{
    fs_addr_format(&c->addr[FS_ROLE_SERVER], buf, len);
}

static const ConnField conn_fields[] = {
    { "close", TRUE, VALUES_CLOSE, NULL, NULL, conn_close },
    { "active_closer", TRUE, VALUES_CLOSER, NULL, NULL, conn_active_closer },
    { "rst_from", TRUE, VALUES_ROLE, NULL, NULL, conn_rst_from },
    { "handshake", TRUE, VALUES_HANDSHAKE, NULL, NULL, conn_handshake },
    { "client_end", TRUE, VALUES_STATE, NULL, NULL, conn_client_end },
    { "server_end", TRUE, VALUES_STATE, NULL, NULL, conn_server_end },
    { "client_host", TRUE, VALUES_ANY, NULL, NULL, conn_client_host },
    { "server_host", TRUE, VALUES_ANY, NULL, NULL, conn_server_host },
    { "client_port", FALSE, VALUES_ANY, conn_client_port, NULL, NULL },
    { "server_port", FALSE, VALUES_ANY, conn_server_port, NULL, NULL },
    { "fin_retransmits", FALSE, VALUES_ANY, conn_fin_retransmits, NULL,
      NULL },
    { "final_ack_lost", FALSE, VALUES_ANY, conn_final_ack_lost, NULL, NULL },
    { "simultaneous_close", FALSE, VALUES_ANY, NULL, "simultaneous_close",
      NULL },
    { "three_way_close", FALSE, VALUES_ANY, NULL, "three_way_close", NULL },
    { "half_close", FALSE, VALUES_ANY, NULL, "half_close", NULL },
    { "data_after_fin", FALSE, VALUES_ANY, NULL, "data_after_fin", NULL },
    { "time_wait_assassinated", FALSE, VALUES_ANY, NULL,
      "time_wait_assassinated", NULL },
    { "reuse_in_time_wait", FALSE, VALUES_ANY, NULL, "reuse_in_time_wait",
      NULL },
    { "old_duplicate", FALSE, VALUES_ANY, NULL, "old_duplicate", NULL },
    { "abort_after_close", FALSE, VALUES_ANY, NULL, "abort_after_close",
      NULL },
    { "rst_ignored", FALSE, VALUES_ANY, NULL, "rst_ignored", NULL },
    { "peer_silent", FALSE, VALUES_ANY, NULL, "peer_silent", NULL },
    { "capture_loss", FALSE, VALUES_ANY, NULL, "capture_loss", NULL },
    { "illegal_flags", FALSE, VALUES_ANY, NULL, "illegal_flags", NULL },
    { "one_sided", FALSE, VALUES_ANY, NULL, "one_sided", NULL },
    { "roles_inferred", FALSE, VALUES_ANY, NULL, "roles_inferred", NULL },
};

static const ConnField *
find_conn_field(const char *name, gsize len)
{
    for (gsize i = 0; i < G_N_ELEMENTS(conn_fields); i++) {
        if (strlen(conn_fields[i].name) == len &&
            strncmp(conn_fields[i].name, name, len) == 0)
            return &conn_fields[i];
    }
    return NULL;
}

static guint64
conn_number(const ConnField *f, const FsCheckConn *c)
{
    if (f->number != NULL)
        return f->number(c);
    return fs_check_conn_has_flag(c, f->flag) ? 1 : 0;
}

/* The strings of a value set, space separated (empty for VALUES_ANY). */
static void
append_values(GString *out, ValueSet set)
{
    static const char *const closes[] = { "open", "graceful", "reset",
                                          "incomplete", NULL };
    static const char *const closers[] = { "client", "server",
                                           "simultaneous", "none", NULL };
    static const char *const roles[] = { "client", "server", "none", NULL };
    const char *const *list = NULL;

    switch (set) {
    case VALUES_ANY:    return;
    case VALUES_CLOSE:  list = closes; break;
    case VALUES_CLOSER: list = closers; break;
    case VALUES_ROLE:   list = roles; break;
    case VALUES_STATE:
        for (int s = 0; s < FS_TCP_N_STATES; s++)
            g_string_append_printf(out, "%s%s", s ? " " : "",
                                   fs_tcp_state_name((FsTcpState)s));
        return;
    case VALUES_HANDSHAKE:
        for (int h = 0; h < FS_HANDSHAKE_N; h++)
            g_string_append_printf(out, "%s%s", h ? " " : "",
                                   fs_handshake_name((FsHandshake)h));
        return;
    }
    for (gsize i = 0; list[i] != NULL; i++)
        g_string_append_printf(out, "%s%s", i ? " " : "", list[i]);
}

static gboolean
value_allowed(ValueSet set, const char *value)
{
    g_autoptr(GString) all = g_string_new(NULL);
    g_auto(GStrv) words = NULL;

    append_values(all, set);
    words = g_strsplit(all->str, " ", -1);
    return g_strv_contains((const char *const *)words, value);
}

/* ---- parsing ----------------------------------------------------------- */

typedef struct {
    const char *text;  /* the whole assertion */
    gsize pos;         /* next byte to read */
    gsize *error_pos;  /* where the error is, for the caret */
    GError **error;
} Parser;

static guint
column_of(const char *text, gsize pos)
{
    if (g_utf8_validate(text, (gssize)pos, NULL))
        return (guint)g_utf8_pointer_to_offset(text, text + pos) + 1;
    return (guint)pos + 1;
}

/* "'='", "end of expression": what the parser found at pos. */
static char *
found_at(const Parser *p, gsize pos)
{
    const char *s = p->text + pos;
    const char *end = s;

    if (*s == '\0')
        return g_strdup("the end of the expression");
    if (g_utf8_validate(s, -1, NULL))
        end = g_utf8_next_char(s);
    else
        end = s + 1;
    return g_strdup_printf("'%.*s'", (int)(end - s), s);
}

static gboolean fail_at(Parser *p, gsize pos, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static gboolean
fail_at(Parser *p, gsize pos, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (p->error_pos != NULL)
        *p->error_pos = pos;
    g_set_error(p->error, FS_ERROR, FS_ERROR_USAGE, "column %u: %s",
                column_of(p->text, pos), msg);
    return FALSE;
}

static void
skip_blanks(Parser *p)
{
    while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t')
        p->pos++;
}

static gboolean
ident_start(char ch)
{
    return g_ascii_isalpha(ch) || ch == '_';
}

/* Reads [A-Za-z_][A-Za-z0-9_]*; its length, 0 when none is there. */
static gsize
read_ident(Parser *p)
{
    gsize start = p->pos;

    if (!ident_start(p->text[p->pos]))
        return 0;
    while (ident_start(p->text[p->pos]) || g_ascii_isdigit(p->text[p->pos]))
        p->pos++;
    return p->pos - start;
}

/* A double-quoted string with \" and \\ escapes, into *out. */
static gboolean
parse_string(Parser *p, char **out)
{
    gsize open = p->pos;
    g_autoptr(GString) s = g_string_new(NULL);
    g_autofree char *found = found_at(p, p->pos);

    if (p->text[p->pos] != '"')
        return fail_at(p, p->pos, "expected a quoted string, found %s",
                       found);
    p->pos++;
    while (p->text[p->pos] != '"') {
        char ch = p->text[p->pos];

        if (ch == '\0')
            return fail_at(p, open, "this string is never closed");
        if (ch == '\\') {
            char next = p->text[p->pos + 1];

            if (next != '"' && next != '\\')
                return fail_at(p, p->pos, "unknown escape: strings take "
                               "only \\\" and \\\\");
            p->pos++;
            ch = next;
        }
        g_string_append_c(s, ch);
        p->pos++;
    }
    p->pos++;
    *out = g_string_free(g_steal_pointer(&s), FALSE);
    return TRUE;
}

/* An IP address in the form fs_addr_format() prints, or NULL. */
static char *
canonical_host(const char *text)
{
    guint8 bytes[16];
    char buf[INET6_ADDRSTRLEN];
    int af = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;

    if (inet_pton(af, text, bytes) != 1 ||
        inet_ntop(af, bytes, buf, sizeof buf) == NULL)
        return NULL;
    return g_strdup(buf);
}

static gboolean
parse_port(Parser *p, gsize at, const char *text, gint32 *port)
{
    guint64 v = 0;

    if (!g_ascii_string_to_unsigned(text, 10, 0, 65535, &v, NULL))
        return fail_at(p, at, "\"%s\" is not a port number (0-65535)",
                       text);
    *port = (gint32)v;
    return TRUE;
}

static gboolean
set_host_label(Parser *p, gsize at, const char *value, char **slot)
{
    *slot = canonical_host(value);
    if (*slot == NULL)
        return fail_at(p, at, "\"%s\" is not an IPv4 or IPv6 address",
                       value);
    return TRUE;
}

static gboolean
set_role_label(Parser *p, gsize name_at, gsize at, const char *value,
               FsPolicyExpr *e)
{
    if (e->summary == NULL || !e->summary->per_endpoint)
        return fail_at(p, name_at, "the role label applies only to fields "
                       "that count endpoints (fin_retransmits, "
                       "time_wait_*, stuck_*)");
    if (strcmp(value, "client") == 0)
        e->filter.role = FS_ROLE_CLIENT;
    else if (strcmp(value, "server") == 0)
        e->filter.role = FS_ROLE_SERVER;
    else
        return fail_at(p, at, "role is \"client\" or \"server\", not "
                       "\"%s\"", value);
    return TRUE;
}

typedef enum {
    LABEL_HOST,
    LABEL_CLIENT_HOST,
    LABEL_SERVER_HOST,
    LABEL_SERVER_PORT,
    LABEL_ROLE,
    N_LABELS
} LabelKind;

static const char *const label_names[N_LABELS] = {
    "host", "client_host", "server_host", "server_port", "role",
};

static gboolean
label_given(const FsPolicyExpr *e, LabelKind kind)
{
    switch (kind) {
    case LABEL_HOST:        return e->filter.host != NULL;
    case LABEL_CLIENT_HOST: return e->filter.client_host != NULL;
    case LABEL_SERVER_HOST: return e->filter.server_host != NULL;
    case LABEL_SERVER_PORT: return e->filter.server_port >= 0;
    case LABEL_ROLE:        return e->filter.role != FS_ROLE_NONE;
    case N_LABELS:          break;
    }
    g_return_val_if_reached(FALSE);
}

static gboolean
apply_label(Parser *p, FsPolicyExpr *e, LabelKind kind, gsize name_at,
            gsize at, const char *value)
{
    Filter *f = &e->filter;

    switch (kind) {
    case LABEL_HOST:        return set_host_label(p, at, value, &f->host);
    case LABEL_CLIENT_HOST:
        return set_host_label(p, at, value, &f->client_host);
    case LABEL_SERVER_HOST:
        return set_host_label(p, at, value, &f->server_host);
    case LABEL_SERVER_PORT: return parse_port(p, at, value, &f->server_port);
    case LABEL_ROLE:
        return set_role_label(p, name_at, at, value, e);
    case N_LABELS:          break;
    }
    g_return_val_if_reached(FALSE);
}

/* NAME "=" STRING */
static gboolean
parse_label(Parser *p, FsPolicyExpr *e)
{
    gsize start = p->pos;
    gsize len = read_ident(p);
    g_autofree char *found = found_at(p, p->pos);
    g_autofree char *value = NULL;
    gsize value_at;
    LabelKind kind = N_LABELS;

    if (len == 0)
        return fail_at(p, start, "expected a label name, found %s", found);
    for (int i = 0; i < N_LABELS; i++) {
        if (strlen(label_names[i]) == len &&
            strncmp(label_names[i], p->text + start, len) == 0)
            kind = (LabelKind)i;
    }
    if (kind == N_LABELS)
        return fail_at(p, start, "unknown label '%.*s' (host, client_host, "
                       "server_host, server_port, role)", (int)len,
                       p->text + start);
    if (e->summary != NULL &&
        e->summary->count == FS_TALLY_COUNT_TIME_WAIT_PEAK &&
        kind != LABEL_HOST)
        return fail_at(p, start, "time_wait_peak takes only the host label "
                       "(the peak is kept per host)");
    if (label_given(e, kind))
        return fail_at(p, start, "label '%s' is given twice",
                       label_names[kind]);
    skip_blanks(p);
    if (p->text[p->pos] != '=' || p->text[p->pos + 1] == '=') {
        g_autofree char *what = found_at(p, p->pos);

        return fail_at(p, p->pos, "expected '=' after the label name, "
                       "found %s", what);
    }
    p->pos++;
    skip_blanks(p);
    value_at = p->pos;
    if (!parse_string(p, &value))
        return FALSE;
    return apply_label(p, e, kind, start, value_at + 1, value);
}

static gboolean
parse_labels(Parser *p, FsPolicyExpr *e)
{
    skip_blanks(p);
    if (p->text[p->pos] != '{')
        return TRUE;
    p->pos++;
    for (;;) {
        g_autofree char *found = NULL;

        skip_blanks(p);
        if (p->text[p->pos] == '}')
            break;
        if (!parse_label(p, e))
            return FALSE;
        skip_blanks(p);
        if (p->text[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->text[p->pos] == '}')
            break;
        found = found_at(p, p->pos);
        return fail_at(p, p->pos, "expected ',' or '}' after a label, "
                       "found %s", found);
    }
    p->pos++;
    return TRUE;
}

static gboolean
parse_field(Parser *p, FsPolicyExpr *e)
{
    gsize start = p->pos;
    gsize len = read_ident(p);
    g_autofree char *found = found_at(p, start);

    if ((guchar)p->text[p->pos] >= 0x80) {
        g_autofree char *odd = found_at(p, p->pos);

        return fail_at(p, p->pos, "names are ASCII letters, digits and _, "
                       "not %s", odd);
    }
    if (len == 0)
        return fail_at(p, start, "expected a field name such as resets or "
                       "conn.close, found %s", found);
    if (len == 4 && strncmp(p->text + start, "conn", 4) == 0 &&
        p->text[p->pos] == '.') {
        gsize name_at = p->pos + 1;
        gsize name_len = 0;

        p->pos = name_at;
        name_len = read_ident(p);

        e->conn = find_conn_field(p->text + name_at, name_len);
        if (e->conn == NULL)
            return fail_at(p, name_at, "unknown connection field '%.*s' "
                           "(finscope check --help lists them)",
                           (int)name_len, p->text + name_at);
        return TRUE;
    }
    e->summary = fs_tally_field_find(p->text + start, len);
    if (e->summary == NULL)
        return fail_at(p, start, "unknown field '%.*s' (finscope check "
                       "--help lists them)", (int)len, p->text + start);
    return TRUE;
}

static gboolean
parse_op(Parser *p, FsPolicyExpr *e)
{
    g_autofree char *found = found_at(p, p->pos);

    for (gsize i = 0; i < G_N_ELEMENTS(op_table); i++) {
        gsize n = strlen(op_table[i].text);

        if (strncmp(p->text + p->pos, op_table[i].text, n) == 0) {
            e->op = op_table[i].op;
            p->pos += n;
            return TRUE;
        }
    }
    if (p->text[p->pos] == '=')
        return fail_at(p, p->pos, "expected an operator (== != < <= > >=), "
                       "found '='; write == to compare");
    return fail_at(p, p->pos, "expected an operator (== != < <= > >=), "
                   "found %s", found);
}

static gboolean
parse_number(Parser *p, FsPolicyExpr *e, const char *what)
{
    gsize start = p->pos;
    g_autofree char *digits = NULL;
    g_autofree char *found = found_at(p, p->pos);

    if (p->text[p->pos] == '"')
        return fail_at(p, start, "%s is a number: compare it with a number, "
                       "not a string", what);
    while (g_ascii_isdigit(p->text[p->pos]))
        p->pos++;
    if (p->pos == start)
        return fail_at(p, start, "expected a number, found %s", found);
    digits = g_strndup(p->text + start, p->pos - start);
    if (!g_ascii_string_to_unsigned(digits, 10, 0, G_MAXUINT64, &e->number,
                                    NULL))
        return fail_at(p, start, "%s is too large a number", digits);
    return TRUE;
}

static gboolean
parse_string_value(Parser *p, FsPolicyExpr *e, gsize op_at)
{
    gsize start = p->pos;
    g_autoptr(GString) choices = g_string_new(NULL);

    if (e->op != OP_EQ && e->op != OP_NE)
        return fail_at(p, op_at, "conn.%s is a string: compare it with == "
                       "or != only", e->conn->name);
    if (g_ascii_isdigit(p->text[p->pos]))
        return fail_at(p, start, "conn.%s is a string: quote the value, "
                       "like \"%s\"", e->conn->name,
                       e->conn->values == VALUES_ANY ? "10.0.0.1"
                                                     : "client");
    if (!parse_string(p, &e->string))
        return FALSE;
    if (e->conn->values == VALUES_ANY) {
        char *host = canonical_host(e->string);

        if (host == NULL)
            return fail_at(p, start + 1, "\"%s\" is not an IPv4 or IPv6 "
                           "address", e->string);
        g_free(e->string);
        e->string = host;
        return TRUE;
    }
    if (value_allowed(e->conn->values, e->string))
        return TRUE;
    append_values(choices, e->conn->values);
    return fail_at(p, start + 1, "conn.%s is never \"%s\" (it is one of: "
                   "%s)", e->conn->name, e->string, choices->str);
}

static gboolean
parse_expr(Parser *p, FsPolicyExpr *e)
{
    gsize lhs_at;
    gsize op_at;
    g_autofree char *what = NULL;

    skip_blanks(p);
    lhs_at = p->pos;
    if (!parse_field(p, e) || !parse_labels(p, e))
        return FALSE;
    e->lhs = g_strchomp(g_strndup(p->text + lhs_at, p->pos - lhs_at));
    skip_blanks(p);
    op_at = p->pos;
    if (!parse_op(p, e))
        return FALSE;
    skip_blanks(p);
    if (e->conn != NULL && e->conn->is_string) {
        if (!parse_string_value(p, e, op_at))
            return FALSE;
    } else {
        what = e->conn ? g_strdup_printf("conn.%s", e->conn->name)
                       : g_strdup(e->summary->name);
        if (!parse_number(p, e, what))
            return FALSE;
    }
    skip_blanks(p);
    if (p->text[p->pos] != '\0') {
        g_autofree char *found = found_at(p, p->pos);

        return fail_at(p, p->pos, "unexpected %s after the expression",
                       found);
    }
    return TRUE;
}

FsPolicyExpr *
fs_policy_parse(const char *text, gsize *error_pos, GError **error)
{
    g_autoptr(FsPolicyExpr) e = g_new0(FsPolicyExpr, 1);
    Parser p = { text, 0, error_pos, error };

    g_return_val_if_fail(text != NULL, NULL);
    e->filter.server_port = -1;
    e->filter.role = FS_ROLE_NONE;
    e->text = g_strstrip(g_strdup(text));
    if (e->text[0] == '\0') {
        fail_at(&p, 0, "empty assertion");
        return NULL;
    }
    if (!parse_expr(&p, e))
        return NULL;
    return g_steal_pointer(&e);
}

void
fs_policy_expr_free(FsPolicyExpr *e)
{
    if (e == NULL)
        return;
    g_free(e->text);
    g_free(e->lhs);
    g_free(e->string);
    g_free(e->filter.host);
    g_free(e->filter.client_host);
    g_free(e->filter.server_host);
    g_free(e);
}

const char *
fs_policy_expr_text(const FsPolicyExpr *e)
{
    return e->text;
}

char *
fs_policy_caret(const char *text, gsize pos)
{
    GString *out = g_string_new("  ");
    const char *p = text;
    const char *end = text + MIN(pos, strlen(text));
    gboolean utf8 = g_utf8_validate(text, -1, NULL);

    g_string_append(out, text);
    g_string_append(out, "\n  ");
    while (p < end) {
        g_string_append_c(out, *p == '\t' ? '\t' : ' ');
        p = utf8 ? g_utf8_next_char(p) : p + 1;
    }
    g_string_append(out, "^\n");
    return g_string_free(out, FALSE);
}

/* Cuts line at a '#' outside a string. */
static void
strip_comment(char *line)
{
    gboolean in_string = FALSE;

    for (char *p = line; *p != '\0'; p++) {
        if (in_string && *p == '\\' && p[1] != '\0')
            p++;
        else if (*p == '"')
            in_string = !in_string;
        else if (*p == '#' && !in_string) {
            *p = '\0';
            return;
        }
    }
}

gboolean
fs_policy_parse_lines(const char *text, const char *name, GPtrArray *out,
                      GError **error)
{
    g_auto(GStrv) lines = fs_text_split_lines(text);

    for (guint i = 0; lines[i] != NULL; i++) {
        g_autoptr(GError) local = NULL;
        g_autofree char *caret = NULL;
        FsPolicyExpr *e = NULL;
        gsize pos = 0;
        char *line = lines[i];

        g_strdelimit(line, "\r", ' ');
        strip_comment(line);
        g_strchomp(line);
        if (line[strspn(line, " \t")] == '\0')
            continue;
        e = fs_policy_parse(line, &pos, &local);
        if (e == NULL) {
            caret = fs_policy_caret(line, pos);
            g_set_error(error, FS_ERROR, FS_ERROR_USAGE, "%s:%u: %s\n%s",
                        name, i + 1, local->message, caret);
            return FALSE;
        }
        g_ptr_array_add(out, e);
    }
    return TRUE;
}

/* ---- evaluation -------------------------------------------------------- */

static gboolean
host_is(const FsAddr *addr, const char *host)
{
    char buf[FS_ENDPOINT_STRLEN];

    fs_addr_format(addr, buf, sizeof buf);
    return strcmp(buf, host) == 0;
}

/* The labels that pick connections; {host=} picks a connection by either
 * endpoint unless the field counts endpoints (then endpoint_kept does). */
static gboolean
conn_kept(const Filter *f, const FsCheckConn *c, gboolean by_endpoint)
{
    if (f->client_host && !host_is(&c->addr[FS_ROLE_CLIENT], f->client_host))
        return FALSE;
    if (f->server_host && !host_is(&c->addr[FS_ROLE_SERVER], f->server_host))
        return FALSE;
    if (f->server_port >= 0 && c->port[FS_ROLE_SERVER] != f->server_port)
        return FALSE;
    if (f->host && !by_endpoint && !host_is(&c->addr[FS_ROLE_CLIENT],
                                             f->host) &&
        !host_is(&c->addr[FS_ROLE_SERVER], f->host))
        return FALSE;
    return TRUE;
}

static gboolean
endpoint_kept(const Filter *f, const FsCheckConn *c, FsRole role)
{
    if (f->role != FS_ROLE_NONE && f->role != (gint8)role)
        return FALSE;
    return f->host == NULL || host_is(&c->addr[role], f->host);
}

static guint64
summary_value(const FsTallyField *sf, const Filter *f,
              const FsCheckModel *m, GPtrArray *counted)
{
    guint64 total = 0;
    FsTally t;

    /* The connections still in TIME_WAIT are the ones to name. */
    if (sf->count == FS_TALLY_COUNT_TIME_WAIT_PEAK && m->tw_peak_known) {
        const char *at_end = "time_wait_at_end";

        summary_value(fs_tally_field_find(at_end, strlen(at_end)), f, m,
                      counted);
        return reported_time_wait_peak(m, f->host);
    }

    fs_tally_init(&t);
    for (guint i = 0; i < m->conns->len; i++) {
        const FsCheckConn *c = g_ptr_array_index(m->conns, i);
        gboolean by_endpoint = sf->per_endpoint;
        guint endpoints = FS_TALLY_BOTH;
        guint64 n = 0;

        if (!conn_kept(f, c, by_endpoint))
            continue;
        for (int r = FS_ROLE_CLIENT; by_endpoint && r <= FS_ROLE_SERVER;
             r++) {
            if (!endpoint_kept(f, c, (FsRole)r))
                endpoints &= ~(1u << r);
        }
        n = summary_count(sf, &t, c, endpoints);
        if (n > 0 && counted != NULL)
            g_ptr_array_add(counted, (gpointer)c);
        total += n;
    }
    fs_tally_clear(&t);
    return total;
}

static gboolean
compare_numbers(Op op, guint64 a, guint64 b)
{
    switch (op) {
    case OP_EQ: return a == b;
    case OP_NE: return a != b;
    case OP_LT: return a < b;
    case OP_LE: return a <= b;
    case OP_GT: return a > b;
    case OP_GE: return a >= b;
    }
    g_return_val_if_reached(FALSE);
}

static const char *
op_text(Op op)
{
    for (gsize i = 0; i < G_N_ELEMENTS(op_table); i++) {
        if (op_table[i].op == op)
            return op_table[i].text;
    }
    g_return_val_if_reached("?");
}

static gboolean
conn_passes(const FsPolicyExpr *e, const FsCheckConn *c)
{
    char buf[FS_ENDPOINT_STRLEN];
    gboolean equal;

    if (!e->conn->is_string)
        return compare_numbers(e->op, conn_number(e->conn, c), e->number);
    e->conn->string(c, buf, sizeof buf);
    equal = strcmp(buf, e->string) == 0;
    return e->op == OP_EQ ? equal : !equal;
}

static void
eval_conn(const FsPolicyExpr *e, const FsCheckModel *m, FsPolicyResult *res)
{
    for (guint i = 0; i < m->conns->len; i++) {
        const FsCheckConn *c = g_ptr_array_index(m->conns, i);

        if (!conn_kept(&e->filter, c, FALSE))
            continue;
        res->checked++;
        if (!conn_passes(e, c))
            g_ptr_array_add(res->conns, (gpointer)c);
    }
    res->value = res->conns->len;
    res->passed = res->value == 0;
    if (res->passed && res->checked == 0)
        res->message = g_strdup("no connection to check");
    else if (res->passed)
        res->message = g_strdup_printf("%s %" G_GUINT64_FORMAT
                                       " connection%s pass%s",
                                       res->checked == 1 ? "the" : "all",
                                       res->checked,
                                       res->checked == 1 ? "" : "s",
                                       res->checked == 1 ? "es" : "");
    else
        res->message = g_strdup_printf("%" G_GUINT64_FORMAT " of %"
                                       G_GUINT64_FORMAT " connection%s "
                                       "break%s it", res->value,
                                       res->checked,
                                       res->checked == 1 ? "" : "s",
                                       res->value == 1 ? "s" : "");
}

void
fs_policy_eval(const FsPolicyExpr *e, const FsCheckModel *m,
               FsPolicyResult *res)
{
    memset(res, 0, sizeof *res);
    res->conns = g_ptr_array_new();
    if (e->conn != NULL) {
        eval_conn(e, m, res);
        return;
    }
    res->value = summary_value(e->summary, &e->filter, m, res->conns);
    res->passed = compare_numbers(e->op, res->value, e->number);
    if (res->passed)
        res->message = g_strdup_printf("%s is %" G_GUINT64_FORMAT, e->lhs,
                                       res->value);
    else
        res->message = g_strdup_printf("%s is %" G_GUINT64_FORMAT ", want "
                                       "%s %" G_GUINT64_FORMAT, e->lhs,
                                       res->value, op_text(e->op),
                                       e->number);
}

void
fs_policy_result_clear(FsPolicyResult *res)
{
    if (res->conns != NULL)
        g_ptr_array_unref(res->conns);
    g_free(res->message);
    memset(res, 0, sizeof *res);
}

gboolean
fs_policy_expr_is_conn(const FsPolicyExpr *e)
{
    return e->conn != NULL;
}

gboolean
fs_policy_conn_holds(const FsPolicyExpr *e, const FsCheckConn *c)
{
    g_return_val_if_fail(e->conn != NULL, FALSE);
    return conn_kept(&e->filter, c, FALSE) && conn_passes(e, c);
}

/* ---- what baselines and --help use ------------------------------------- */

const char *const *
fs_policy_baseline_fields(void)
{
    static const char **names = NULL;

    if (names == NULL) {
        guint n_fields = 0;
        const FsTallyField *fields = fs_tally_fields(&n_fields);
        const char **out = g_new0(const char *, n_fields + 1);
        guint n = 0;

        for (guint i = 0; i < n_fields; i++) {
            if (fields[i].in_baseline)
                out[n++] = fields[i].name;
        }
        names = out;
    }
    return names;
}

gboolean
fs_policy_is_summary_field(const char *name)
{
    return fs_tally_field_find(name, strlen(name)) != NULL;
}

guint64
fs_policy_summary_value(const FsCheckModel *m, const char *name,
                        const char *host)
{
    const FsTallyField *sf = fs_tally_field_find(name, strlen(name));
    Filter f = { (char *)host, NULL, NULL, -1, FS_ROLE_NONE };

    g_return_val_if_fail(sf != NULL, 0);
    return summary_value(sf, &f, m, NULL);
}

/* Appends words to out, wrapping at 79 columns under column indent. */
static void
append_wrapped(GString *out, const char *words, guint indent)
{
    g_auto(GStrv) w = g_strsplit(words, " ", -1);
    gsize line_start = out->len - indent;

    for (guint i = 0; w[i] != NULL; i++) {
        if (i > 0 && out->len - line_start + 1 + strlen(w[i]) > 79) {
            g_string_append_c(out, '\n');
            line_start = out->len;
            g_string_append_printf(out, "%*s", (int)indent, "");
        } else if (i > 0) {
            g_string_append_c(out, ' ');
        }
        g_string_append(out, w[i]);
    }
    g_string_append_c(out, '\n');
}

void
fs_policy_describe(GString *out)
{
    guint n_fields = 0;
    const FsTallyField *fields = NULL;

    g_string_append(out, "Summary fields (counts over the whole run):\n");
    fields = fs_tally_fields(&n_fields);
    for (guint i = 0; i < n_fields; i++) {
        g_string_append_printf(out, "  %-24s ", fields[i].name);
        append_wrapped(out, fields[i].meaning, 27);
    }
    g_string_append(out, "\nConnection fields (conn.NAME OP VALUE must "
                    "hold for every connection):\n");
    for (gsize i = 0; i < G_N_ELEMENTS(conn_fields); i++) {
        const ConnField *f = &conn_fields[i];
        g_autoptr(GString) values = g_string_new(NULL);

        g_string_append_printf(out, "  conn.%-19s ", f->name);
        if (!f->is_string)
            g_string_append(values, f->flag ? "0 or 1" : "a number");
        else if (f->values == VALUES_ANY)
            g_string_append(values, "\"IP address\"");
        else
            append_values(values, f->values);
        append_wrapped(out, values->str, 27);
    }
    g_string_append(out, "\nLabels pick what a field counts or checks: "
                    "host, client_host, server_host\n(\"IP address\"), "
                    "server_port (\"N\"), role (\"client\" or \"server\", "
                    "for fields\nthat count endpoints; time_wait_peak takes "
                    "host only).\n");
}
