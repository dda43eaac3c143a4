/* finscope: baselines — rendered from a run, parsed, and compared. */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "baseline.h"
#include "finscope/error.h"
#include "policy.h"
#include "text.h"

/* One distinct line: its text without the count, and how many times. */
typedef struct {
    FsBaselineSection section;
    guint rank;      /* order within the section (field order) */
    char *group;     /* what -/+ lines are grouped and paired by */
    char *text;      /* the line without " xN" */
    guint64 count;   /* identical lines; 1 for settings and summary */
    gboolean pattern; /* a hand-written wildcard line (* or ?) */
} Item;

struct FsBaseline {
    GPtrArray *items;   /* Item*, canonical order once sorted */
    GHashTable *by_text; /* text -> Item* (owned by items) */
};

static const char *const setting_names[] = {
    "msl", "rfc1337", "client_ports",
};

/* The fields of a conn line, in the order it is written. */
static const char *const conn_keys[] = {
    "client", "server", "vlan", "close", "active_closer", "rst_from",
    "client_end", "server_end", "flags",
};
#define CONN_KEY_VLAN 2   /* optional: only on tagged links */
#define CONN_GROUP_KEYS 3 /* client, server and vlan make the group */

static void
item_free(gpointer p)
{
    Item *it = p;

    g_free(it->group);
    g_free(it->text);
    g_free(it);
}

static FsBaseline *
baseline_new(void)
{
    FsBaseline *b = g_new0(FsBaseline, 1);

    b->items = g_ptr_array_new_with_free_func(item_free);
    b->by_text = g_hash_table_new(g_str_hash, g_str_equal);
    return b;
}

void
fs_baseline_free(FsBaseline *b)
{
    if (b == NULL)
        return;
    g_hash_table_destroy(b->by_text);
    g_ptr_array_unref(b->items);
    g_free(b);
}

/* Adds count of a line; takes group and text. */
static Item *
add_item(FsBaseline *b, FsBaselineSection section, guint rank, char *group,
         char *text, guint64 count)
{
    Item *it = g_hash_table_lookup(b->by_text, text);

    if (it != NULL) {
        it->count += count;
        g_free(group);
        g_free(text);
        return it;
    }
    it = g_new0(Item, 1);
    it->section = section;
    it->rank = rank;
    it->group = group;
    it->text = text;
    it->count = count;
    g_ptr_array_add(b->items, it);
    g_hash_table_insert(b->by_text, it->text, it);
    return it;
}

static gint
item_cmp(gconstpointer a, gconstpointer b)
{
    const Item *x = *(Item *const *)a;
    const Item *y = *(Item *const *)b;

    if (x->section != y->section)
        return x->section < y->section ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return strcmp(x->text, y->text);
}

/* ---- from a run -------------------------------------------------------- */

static char *
format_msl(FsTime msl)
{
    g_autofree char *s = g_strdup_printf(
        "%" G_GINT64_FORMAT ".%09" G_GINT64_FORMAT, msl / FS_NS_PER_SEC,
        msl % FS_NS_PER_SEC);
    gsize n = strlen(s);

    while (s[n - 1] == '0')
        s[--n] = '\0';
    if (s[n - 1] == '.')
        s[--n] = '\0';
    return g_steal_pointer(&s);
}

static void
add_setting(FsBaseline *b, guint rank, const char *value)
{
    add_item(b, FS_BASELINE_SETTING, rank,
             g_strdup_printf("setting %s", setting_names[rank]),
             g_strdup_printf("setting %s %s", setting_names[rank], value),
             1);
}

static void
add_settings(FsBaseline *b, const FsCheckModel *m,
             const FsBaselineOptions *opts)
{
    g_autofree char *msl = format_msl(m->msl);

    add_setting(b, 0, msl);
    add_setting(b, 1, m->rfc1337 ? "on" : "off");
    add_setting(b, 2, opts->keep_ports ? "kept" : "hidden");
}

static Item *
add_summary(FsBaseline *b, guint rank, const char *key, guint64 value)
{
    return add_item(b, FS_BASELINE_SUMMARY, rank,
             g_strdup_printf("summary %s", key),
             g_strdup_printf("summary %s %" G_GUINT64_FORMAT, key, value),
             1);
}

/* Endpoints in TIME_WAIT at the end, counted by host (its address as
 * fs_addr_format() writes it) in the tally's one pass: what
 * time_wait_at_end{host="..."} counts, without a pass over every
 * connection per host (40,000 hosts took 97 s that way). */
static void
tally_model(FsTally *t, const FsCheckModel *m)
{
    fs_tally_init(t);
    for (guint i = 0; i < m->conns->len; i++) {
        const FsCheckConn *c = g_ptr_array_index(m->conns, i);
        FsOutcome o;

        fs_check_conn_outcome_of(c, &o);
        fs_tally_add(t, &o, c->addr, FS_TALLY_BOTH);
    }
}

/* The items are sorted by text afterwards, so hash order does not show. */
static void
add_time_wait_hosts(FsBaseline *b, const FsCheckModel *m, guint rank)
{
    FsTally t;
    g_autoptr(GPtrArray) hosts = NULL;

    tally_model(&t, m);
    hosts = fs_tally_time_wait_hosts(&t);
    for (guint i = 0; i < hosts->len; i++) {
        const FsHostCount *hc = g_ptr_array_index(hosts, i);
        g_autofree char *key = g_strdup_printf("time_wait_at_end{host="
                                               "\"%s\"}", hc->host);

        add_summary(b, rank, key, hc->count);
    }
    fs_tally_clear(&t);
}

static void
add_summaries(FsBaseline *b, const FsCheckModel *m)
{
    const char *const *fields = fs_policy_baseline_fields();

    for (guint i = 0; fields[i] != NULL; i++) {
        add_summary(b, i, fields[i],
                    fs_policy_summary_value(m, fields[i], NULL));
        if (strcmp(fields[i], "time_wait_at_end") == 0)
            add_time_wait_hosts(b, m, i);
    }
}

/* "client=10.0.0.1:* server=10.0.0.2:80 [vlan=7]" */
static char *
conn_group(const FsCheckConn *c, gboolean keep_ports)
{
    char client[FS_ENDPOINT_STRLEN];
    char server[FS_ENDPOINT_STRLEN];
    char *port = NULL;
    g_autofree char *vlan = fs_check_vlan_format(c->vlan);

    fs_endpoint_format(&c->addr[FS_ROLE_CLIENT], c->port[FS_ROLE_CLIENT],
                       client, sizeof client);
    fs_endpoint_format(&c->addr[FS_ROLE_SERVER], c->port[FS_ROLE_SERVER],
                       server, sizeof server);
    port = strrchr(client, ':') + 1; /* "a.b.c.d:PORT" or "[v6]:PORT" */
    if (!keep_ports)
        g_strlcpy(port, "*", sizeof client - (gsize)(port - client));
    return g_strdup_printf("conn client=%s server=%s%s%s", client, server,
                           vlan ? " vlan=" : "", vlan ? vlan : "");
}

char *
fs_baseline_conn_line(const FsCheckConn *c, gboolean keep_ports)
{
    g_autofree char *group = conn_group(c, keep_ports);
    g_autofree char *outcome = fs_check_conn_outcome(c);

    return g_strdup_printf("%s %s", group, outcome);
}

FsBaseline *
fs_baseline_from_model(const FsCheckModel *m, const FsBaselineOptions *opts)
{
    FsBaseline *b = baseline_new();

    add_settings(b, m, opts);
    add_summaries(b, m);
    for (guint i = 0; i < m->conns->len; i++) {
        const FsCheckConn *c = g_ptr_array_index(m->conns, i);

        add_item(b, FS_BASELINE_CONN, 0, conn_group(c, opts->keep_ports),
                 fs_baseline_conn_line(c, opts->keep_ports), 1);
    }
    g_ptr_array_sort(b->items, item_cmp);
    return b;
}

/* ---- text -------------------------------------------------------------- */

static char *
item_line(const Item *it)
{
    if (it->count == 1)
        return g_strdup(it->text);
    return g_strdup_printf("%s x%" G_GUINT64_FORMAT, it->text, it->count);
}

char *
fs_baseline_render(const FsBaseline *b, const char *const *comments)
{
    GString *out = g_string_new(NULL);
    int last_section = -1;

    for (guint i = 0; comments != NULL && comments[i] != NULL; i++)
        g_string_append_printf(out, "#%s%s\n", comments[i][0] ? " " : "",
                               comments[i]);
    for (guint i = 0; i < b->items->len; i++) {
        const Item *it = g_ptr_array_index(b->items, i);
        g_autofree char *line = item_line(it);

        if ((int)it->section != last_section && out->len > 0)
            g_string_append_c(out, '\n');
        last_section = (int)it->section;
        g_string_append_printf(out, "%s\n", line);
    }
    return g_string_free(out, FALSE);
}

guint64
fs_baseline_n_connections(const FsBaseline *b)
{
    guint64 n = 0;

    for (guint i = 0; i < b->items->len; i++) {
        const Item *it = g_ptr_array_index(b->items, i);

        if (it->section == FS_BASELINE_CONN)
            n += it->count;
    }
    return n;
}

/* ---- parsing ----------------------------------------------------------- */

typedef struct {
    const char *name;   /* the file, for messages (escaped) */
    guint line;         /* 1-based */
    GHashTable *keys;   /* settings and summary keys seen */
    GError **error;
    GPtrArray *echoes;  /* char*: what echo() made, freed with the parser */
} LineParser;

/* A word of the file as a message shows it: escaped, cut after
 * FS_TEXT_ECHO_MAX bytes (a line may be 64 KiB). */
static const char *
echo(LineParser *lp, const char *word)
{
    char *shown = fs_text_escape(word, FS_TEXT_ECHO_MAX);

    g_ptr_array_add(lp->echoes, shown);
    return shown;
}

static gboolean fail_line(LineParser *lp, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static gboolean
fail_line(LineParser *lp, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(lp->error, FS_ERROR, FS_ERROR_FORMAT, "%s:%u: %s", lp->name,
                lp->line, msg);
    return FALSE;
}

static gboolean
once(LineParser *lp, const char *key)
{
    if (g_hash_table_contains(lp->keys, key))
        return fail_line(lp, "'%s' is given twice", echo(lp, key));
    g_hash_table_add(lp->keys, g_strdup(key));
    return TRUE;
}

static gboolean
parse_setting(LineParser *lp, FsBaseline *b, char **w)
{
    for (guint i = 0; i < G_N_ELEMENTS(setting_names); i++) {
        g_autofree char *key = NULL;

        if (g_strcmp0(w[1], setting_names[i]) != 0)
            continue;
        key = g_strdup_printf("setting %s", w[1]);
        if (!once(lp, key))
            return FALSE;
        add_item(b, FS_BASELINE_SETTING, i, g_steal_pointer(&key),
                 g_strdup_printf("setting %s %s", w[1], w[2]), 1);
        return TRUE;
    }
    return fail_line(lp, "unknown setting '%s' (msl, rfc1337, "
                     "client_ports)", echo(lp, w[1]));
}

/* The rank of a summary key, "field" or "field{host=\"...\"}". */
static gboolean
summary_rank(const char *key, guint *rank)
{
    const char *const *fields = fs_policy_baseline_fields();
    gsize len = strcspn(key, "{");

    if (key[len] == '{' &&
        !(g_str_has_prefix(key + len, "{host=\"") &&
          g_str_has_suffix(key + len, "\"}")))
        return FALSE;
    for (guint i = 0; fields[i] != NULL; i++) {
        if (strlen(fields[i]) == len && strncmp(fields[i], key, len) == 0) {
            *rank = i;
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean
parse_summary(LineParser *lp, FsBaseline *b, char **w)
{
    g_autofree char *key = g_strdup_printf("summary %s", w[1]);
    guint64 value = 0;
    guint rank = 0;

    if (!summary_rank(w[1], &rank))
        return fail_line(lp, "unknown summary field '%s'", echo(lp, w[1]));
    if (!g_ascii_string_to_unsigned(w[2], 10, 0, G_MAXUINT64, &value, NULL))
        return fail_line(lp, "'%s' is not a count", echo(lp, w[2]));
    if (!once(lp, key))
        return FALSE;
    add_summary(b, rank, w[1], value)->pattern =
        strpbrk(w[1], "*?") != NULL;
    return TRUE;
}

static gboolean
parse_count(const char *word, guint64 *count)
{
    return word[0] == 'x' &&
           g_ascii_string_to_unsigned(word + 1, 10, 1, G_MAXUINT64, count,
                                      NULL);
}

/* Puts each key=value word of a conn line in its slot. */
static gboolean
conn_fields(LineParser *lp, char **w, guint n, const char **slot)
{
    for (guint i = 1; i < n; i++) {
        const char *eq = strchr(w[i], '=');
        guint k = 0;

        while (k < G_N_ELEMENTS(conn_keys) &&
               (eq == NULL || strlen(conn_keys[k]) != (gsize)(eq - w[i]) ||
                strncmp(conn_keys[k], w[i], (gsize)(eq - w[i])) != 0))
            k++;
        if (k == G_N_ELEMENTS(conn_keys))
            return fail_line(lp, "'%s' is not a conn field (%s=...)",
                             echo(lp, w[i]),
                             "client, server, vlan, close, active_closer, "
                             "rst_from, client_end, server_end, flags");
        if (slot[k] != NULL)
            return fail_line(lp, "conn field '%s' is given twice",
                             conn_keys[k]);
        if (eq[1] == '\0')
            return fail_line(lp, "conn field '%s' has no value",
                             conn_keys[k]);
        slot[k] = w[i];
    }
    for (guint k = 0; k < G_N_ELEMENTS(conn_keys); k++) {
        if (slot[k] == NULL && k != CONN_KEY_VLAN)
            return fail_line(lp, "conn line lacks %s=", conn_keys[k]);
    }
    return TRUE;
}

/* A conn line is a pattern when a value has * or ?, but for the client
 * port: "*" there is how a baseline hides client ports, in a run's
 * lines too. */
static gboolean
conn_is_pattern(const char *const *slot)
{
    for (guint k = 0; k < G_N_ELEMENTS(conn_keys); k++) {
        const char *v = slot[k] ? strchr(slot[k], '=') + 1 : NULL;
        gsize n = v ? strlen(v) : 0;

        if (k == 0 && g_str_has_suffix(v, ":*"))
            n -= 2;
        for (gsize i = 0; i < n; i++) {
            if (v[i] == '*' || v[i] == '?')
                return TRUE;
        }
    }
    return FALSE;
}

static gboolean
parse_conn(LineParser *lp, FsBaseline *b, char **w)
{
    const char *slot[G_N_ELEMENTS(conn_keys)] = { NULL };
    guint n = g_strv_length(w);
    guint64 count = 1;
    g_autoptr(GString) text = g_string_new("conn");
    g_autofree char *group = NULL;

    if (n > 1 && parse_count(w[n - 1], &count))
        n--;
    if (!conn_fields(lp, w, n, slot))
        return FALSE;
    for (guint k = 0; k < G_N_ELEMENTS(conn_keys); k++) {
        if (k == CONN_GROUP_KEYS)
            group = g_strdup(text->str);
        if (slot[k] != NULL)
            g_string_append_printf(text, " %s", slot[k]);
    }
    add_item(b, FS_BASELINE_CONN, 0, g_steal_pointer(&group),
             g_string_free(g_steal_pointer(&text), FALSE), count)->pattern =
        conn_is_pattern(slot);
    return TRUE;
}

static gboolean
parse_line(LineParser *lp, FsBaseline *b, const char *line)
{
    g_auto(GStrv) w = g_strsplit_set(line, " \t", -1);
    g_autoptr(GPtrArray) words = g_ptr_array_new();
    char **v = NULL;

    for (guint i = 0; w[i] != NULL; i++) {
        if (w[i][0] != '\0')
            g_ptr_array_add(words, w[i]);
    }
    g_ptr_array_add(words, NULL);
    v = (char **)words->pdata;
    if (strcmp(v[0], "conn") == 0)
        return parse_conn(lp, b, v);
    if (strcmp(v[0], "setting") != 0 && strcmp(v[0], "summary") != 0)
        return fail_line(lp, "a line starts with setting, summary, conn "
                         "or #, not '%s'", echo(lp, v[0]));
    if (words->len != 4)
        return fail_line(lp, "expected '%s NAME VALUE'", echo(lp, v[0]));
    if (strcmp(v[0], "setting") == 0)
        return parse_setting(lp, b, v);
    return parse_summary(lp, b, v);
}

FsBaseline *
fs_baseline_parse(const char *text, const char *name, GError **error)
{
    g_autoptr(FsBaseline) b = baseline_new();
    g_auto(GStrv) lines = fs_text_split_lines(text);
    g_autoptr(GHashTable) keys = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal, g_free,
                                                       NULL);
    g_autoptr(GPtrArray) echoes = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *shown = fs_text_escape(name, 0);
    LineParser lp = { shown, 0, keys, error, echoes };

    for (guint i = 0; lines[i] != NULL; i++) {
        char *line = g_strstrip(lines[i]);

        lp.line = i + 1;
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (!parse_line(&lp, b, line))
            return NULL;
    }
    g_ptr_array_sort(b->items, item_cmp);
    return g_steal_pointer(&b);
}

/* ---- diff -------------------------------------------------------------- */

/* The items of one group on each side. */
typedef struct {
    const Item *first;   /* for its section, rank and group */
    GPtrArray *expected; /* const Item* */
    GPtrArray *actual;   /* const Item* */
} Group;

static void
group_free(gpointer p)
{
    Group *g = p;

    g_ptr_array_unref(g->expected);
    g_ptr_array_unref(g->actual);
    g_free(g);
}

static void
collect_groups(GHashTable *groups, const FsBaseline *b, gboolean expected)
{
    for (guint i = 0; i < b->items->len; i++) {
        const Item *it = g_ptr_array_index(b->items, i);
        Group *g = g_hash_table_lookup(groups, it->group);

        if (g == NULL) {
            g = g_new0(Group, 1);
            g->first = it;
            g->expected = g_ptr_array_new();
            g->actual = g_ptr_array_new();
            g_hash_table_insert(groups, it->group, g);
        }
        g_ptr_array_add(expected ? g->expected : g->actual, (gpointer)it);
    }
}

static gint
group_cmp(gconstpointer a, gconstpointer b)
{
    const Group *x = *(Group *const *)a;
    const Group *y = *(Group *const *)b;

    if (x->first->section != y->first->section)
        return x->first->section < y->first->section ? -1 : 1;
    if (x->first->rank != y->first->rank)
        return x->first->rank < y->first->rank ? -1 : 1;
    return strcmp(x->first->group, y->first->group);
}

static guint64
count_in(const FsBaseline *b, const char *text)
{
    const Item *it = g_hash_table_lookup(b->by_text, text);

    return it ? it->count : 0;
}

/* Lines of items whose count differs on the other side; *surplus gets
 * how many more of them this side has. */
static void
differing(GPtrArray *items, const FsBaseline *other, GPtrArray *lines,
          guint64 *surplus)
{
    for (guint i = 0; i < items->len; i++) {
        const Item *it = g_ptr_array_index(items, i);
        guint64 there = count_in(other, it->text);

        if (there == it->count)
            continue;
        g_ptr_array_add(lines, item_line(it));
        if (it->count > there)
            *surplus += it->count - there;
    }
}

static void
delta_free(gpointer p)
{
    FsBaselineDelta *d = p;

    g_free(d->group);
    g_ptr_array_unref(d->removed);
    g_ptr_array_unref(d->added);
    g_free(d);
}

static void
diff_group(FsBaselineDiff *diff, const Group *g, const FsBaseline *expected,
           const FsBaseline *actual)
{
    FsBaselineDelta *d = g_new0(FsBaselineDelta, 1);
    guint64 missing = 0;
    guint64 extra = 0;

    d->section = g->first->section;
    d->group = g_strdup(g->first->group);
    d->removed = g_ptr_array_new_with_free_func(g_free);
    d->added = g_ptr_array_new_with_free_func(g_free);
    differing(g->expected, actual, d->removed, &missing);
    differing(g->actual, expected, d->added, &extra);
    if (d->removed->len == 0 && d->added->len == 0) {
        delta_free(d);
        return;
    }
    g_ptr_array_add(diff->deltas, d);
    switch (d->section) {
    case FS_BASELINE_SETTING:
        diff->settings_changed++;
        break;
    case FS_BASELINE_SUMMARY:
        diff->summary_changed++;
        break;
    case FS_BASELINE_CONN:
        /* Within a group, a missing and a new outcome pair up as one
         * connection that changed. */
        diff->conns_changed += MIN(missing, extra);
        diff->conns_missing += missing - MIN(missing, extra);
        diff->conns_new += extra - MIN(missing, extra);
        break;
    }
}

/* The groups in canonical order (GLib 2.56 lacks get_values_as_ptr_array). */
static GPtrArray *
group_list(GHashTable *groups)
{
    GPtrArray *out = g_ptr_array_new();
    GHashTableIter it;
    gpointer value = NULL;

    g_hash_table_iter_init(&it, groups);
    while (g_hash_table_iter_next(&it, NULL, &value))
        g_ptr_array_add(out, value);
    g_ptr_array_sort(out, group_cmp);
    return out;
}

/* ---- wildcards --------------------------------------------------------- */

/* A pattern line of the baseline and what the run's lines gave it. */
typedef struct {
    const Item *item;  /* the pattern line */
    char **words;      /* its words: "conn", "client=*:*", ... */
    guint64 taken;     /* conn: connections it took; summary: their sum */
} Pattern;

gboolean
fs_baseline_has_patterns(const FsBaseline *b)
{
    for (guint i = 0; i < b->items->len; i++) {
        if (((const Item *)g_ptr_array_index(b->items, i))->pattern)
            return TRUE;
    }
    return FALSE;
}

/* Each word key=value of a conn line matches the pattern's, the value
 * as a glob (g_pattern_match_simple: * any run of characters, ? one). */
static gboolean
conn_matches(char **pattern, char **words)
{
    guint i = 0;

    for (; pattern[i] != NULL && words[i] != NULL; i++) {
        const char *pe = strchr(pattern[i], '=');
        const char *we = strchr(words[i], '=');

        if (pe == NULL || we == NULL)
            continue; /* "conn" */
        if (pe - pattern[i] != we - words[i] ||
            strncmp(pattern[i], words[i], (gsize)(pe - pattern[i])) != 0 ||
            !g_pattern_match_simple(pe + 1, we + 1))
            return FALSE;
    }
    return pattern[i] == NULL && words[i] == NULL;
}

static gboolean
pattern_matches(const Pattern *p, const Item *it, char **words)
{
    if (p->item->section != it->section)
        return FALSE;
    if (it->section == FS_BASELINE_SUMMARY)
        return g_pattern_match_simple(p->item->group, it->group);
    return conn_matches(p->words, words);
}

/* The pattern a run's line goes to: the first (in canonical order)
 * that matches and still wants connections, else the first that
 * matches; NULL when none does. */
static Pattern *
pattern_for(GArray *patterns, const Item *it)
{
    g_auto(GStrv) words = g_strsplit(it->text, " ", -1);
    Pattern *first = NULL;

    for (guint i = 0; i < patterns->len; i++) {
        Pattern *p = &g_array_index(patterns, Pattern, i);

        if (!pattern_matches(p, it, words))
            continue;
        if (it->section == FS_BASELINE_SUMMARY || p->taken < p->item->count)
            return p;
        if (first == NULL)
            first = p;
    }
    return first;
}

static void
copy_item(FsBaseline *b, const Item *it, const char *group,
          const char *text, guint64 count)
{
    add_item(b, it->section, it->rank, g_strdup(group), g_strdup(text),
             count);
}

/* The run's baseline with the lines that the expected baseline's
 * patterns match replaced by those patterns: conn lines count towards
 * the pattern's xN, summary values add up. A line the baseline has
 * word for word stays itself. NULL when expected has no pattern. */
static FsBaseline *
resolve_patterns(const FsBaseline *expected, const FsBaseline *actual)
{
    g_autoptr(GArray) patterns = g_array_new(FALSE, TRUE, sizeof(Pattern));
    g_autoptr(GHashTable) exact = g_hash_table_new(g_str_hash, g_str_equal);
    FsBaseline *out = NULL;

    for (guint i = 0; i < expected->items->len; i++) {
        const Item *it = g_ptr_array_index(expected->items, i);
        Pattern p = { it, g_strsplit(it->text, " ", -1), 0 };

        if (!it->pattern) {
            g_hash_table_add(exact, it->section == FS_BASELINE_SUMMARY
                                        ? it->group : it->text);
            g_strfreev(p.words);
            continue;
        }
        g_array_append_val(patterns, p);
    }
    if (patterns->len == 0)
        return NULL;
    out = baseline_new();
    for (guint i = 0; i < actual->items->len; i++) {
        const Item *it = g_ptr_array_index(actual->items, i);
        Pattern *p = NULL;

        if (it->section != FS_BASELINE_SETTING &&
            !g_hash_table_contains(exact, it->section == FS_BASELINE_SUMMARY
                                              ? it->group : it->text))
            p = pattern_for(patterns, it);
        if (p == NULL)
            copy_item(out, it, it->group, it->text, it->count);
        else if (it->section == FS_BASELINE_SUMMARY)
            p->taken += g_ascii_strtoull(strrchr(it->text, ' ') + 1, NULL,
                                         10);
        else {
            p->taken += it->count;
            copy_item(out, it, p->item->group, p->item->text, it->count);
        }
    }
    for (guint i = 0; i < patterns->len; i++) {
        Pattern *p = &g_array_index(patterns, Pattern, i);

        if (p->item->section == FS_BASELINE_SUMMARY) {
            g_autofree char *text = g_strdup_printf(
                "%s %" G_GUINT64_FORMAT, p->item->group, p->taken);

            copy_item(out, p->item, p->item->group, text, 1);
        }
        g_strfreev(p->words);
    }
    g_ptr_array_sort(out->items, item_cmp);
    return out;
}

FsBaselineDiff *
fs_baseline_diff(const FsBaseline *expected, const FsBaseline *actual)
{
    FsBaselineDiff *diff = g_new0(FsBaselineDiff, 1);
    g_autoptr(GHashTable) groups = g_hash_table_new_full(
        g_str_hash, g_str_equal, NULL, group_free);
    g_autoptr(GPtrArray) sorted = NULL;
    g_autoptr(FsBaseline) resolved = resolve_patterns(expected, actual);

    if (resolved != NULL)
        actual = resolved;
    diff->deltas = g_ptr_array_new_with_free_func(delta_free);
    collect_groups(groups, expected, TRUE);
    collect_groups(groups, actual, FALSE);
    sorted = group_list(groups);
    for (guint i = 0; i < sorted->len; i++)
        diff_group(diff, g_ptr_array_index(sorted, i), expected, actual);
    return diff;
}

void
fs_baseline_diff_free(FsBaselineDiff *d)
{
    if (d == NULL)
        return;
    g_ptr_array_unref(d->deltas);
    g_free(d);
}

gboolean
fs_baseline_diff_holds(const FsBaselineDiff *d)
{
    return d->deltas->len == 0;
}

static void
explain_count(GPtrArray *parts, guint64 n, const char *one,
              const char *many)
{
    if (n == 0)
        return;
    g_ptr_array_add(parts, g_strdup_printf("%" G_GUINT64_FORMAT " %s", n,
                                           n == 1 ? one : many));
}

char *
fs_baseline_diff_explain(const FsBaselineDiff *d)
{
    g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_free);

    explain_count(parts, d->settings_changed, "setting differs",
                  "settings differ");
    explain_count(parts, d->conns_changed, "connection changed",
                  "connections changed");
    explain_count(parts, d->conns_missing, "connection missing",
                  "connections missing");
    explain_count(parts, d->conns_new, "new connection", "new connections");
    explain_count(parts, d->summary_changed, "summary value differs",
                  "summary values differ");
    g_ptr_array_add(parts, NULL);
    return g_strjoinv(", ", (char **)parts->pdata);
}

/* Appends sign and each of lines while *room lasts; counts the rest in
 * *more. */
static void
append_lines(GString *out, char sign, const GPtrArray *lines, guint64 *room,
             guint64 *more)
{
    guint shown = (guint)MIN((guint64)lines->len, *room);

    for (guint i = 0; i < shown; i++)
        g_string_append_printf(out, "%c%s\n", sign,
                               (char *)g_ptr_array_index(lines, i));
    *room -= shown;
    *more += lines->len - shown;
}

/* delta's -/+ lines, as append_lines(). */
static void
append_delta(GString *out, const FsBaselineDelta *delta, guint64 *room,
             guint64 *more)
{
    append_lines(out, '-', delta->removed, room, more);
    append_lines(out, '+', delta->added, room, more);
}

static void
append_more(GString *out, guint64 more)
{
    if (more > 0)
        g_string_append_printf(out, "... and %" G_GUINT64_FORMAT
                               " more line%s\n", more,
                               more == 1 ? "" : "s");
}

char *
fs_baseline_delta_text_head(const FsBaselineDelta *delta, guint64 max_lines)
{
    GString *out = g_string_new(NULL);
    guint64 more = 0;

    append_delta(out, delta, &max_lines, &more);
    append_more(out, more);
    return g_string_free(out, FALSE);
}

char *
fs_baseline_diff_text_head(const FsBaselineDiff *d, guint64 max_lines)
{
    GString *out = g_string_new(NULL);
    guint64 more = 0;

    for (guint i = 0; i < d->deltas->len; i++)
        append_delta(out, g_ptr_array_index(d->deltas, i), &max_lines,
                     &more);
    append_more(out, more);
    return g_string_free(out, FALSE);
}

char *
fs_baseline_diff_text(const FsBaselineDiff *d)
{
    return fs_baseline_diff_text_head(d, G_MAXUINT64);
}
