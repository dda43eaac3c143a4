/* finscope tests: segment scripts run through the real engine. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/decode.h"
#include "segscript.h"

static void
addr4(FsAddr *a, guint8 last)
{
    memset(a, 0, sizeof *a);
    a->family = 4;
    a->bytes[0] = 10;
    a->bytes[3] = last;
}

static guint8
parse_flags(const char *s)
{
    guint8 f = 0;

    for (; *s; s++) {
        switch (*s) {
        case 'S': f |= FS_TH_SYN; break;
        case 'F': f |= FS_TH_FIN; break;
        case 'R': f |= FS_TH_RST; break;
        case 'P': f |= FS_TH_PSH; break;
        case 'A': f |= FS_TH_ACK; break;
        case '.': case 'D': case 'd': break; /* fs_script_segment() */
        default: g_error("bad flag letter '%c' in script", *s);
        }
    }
    return f;
}

void
fs_script_segment(const FsScriptStep *st, FsSegment *seg)
{
    FsAddr client;
    FsAddr server;
    gboolean c2s = st->dir == C2S || st->dir == 'c';
    guint16 cport = st->cport ? st->cport
                              : g_ascii_islower(st->dir) ? 40001 : 40000;

    memset(seg, 0, sizeof *seg);
    addr4(&client, 1);
    addr4(&server, 2);
    seg->src = c2s ? client : server;
    seg->dst = c2s ? server : client;
    seg->sport = c2s ? cport : 80;
    seg->dport = c2s ? 80 : cport;
    seg->seq = st->seq;
    seg->ack = st->ack;
    seg->flags = parse_flags(st->flags);
    seg->payload_len = st->len;
    seg->window = st->win ? (guint16)st->win : 65535;
    seg->has_ts = st->tsval != 0;
    seg->tsval = st->tsval;
    /* identical steps make identical frames (duplicate-frame tests) */
    seg->hdr_hash = (guint32)st->dir * 2654435761u ^ st->seq * 40503u ^
                    st->ack * 2246822519u ^ st->len ^ seg->flags << 24 ^
                    st->tsval * 3266489917u;
    if (seg->hdr_hash == 0)
        seg->hdr_hash = 1;
    seg->wscale = FS_WSCALE_NONE;
    if (strchr(st->flags, 'D') != NULL) {
        seg->dsack = TRUE;
        seg->dsack_right = st->ack;      /* [ack - 1, ack) */
    } else if (strchr(st->flags, 'd') != NULL) {
        seg->dsack = TRUE;
        seg->dsack_right = st->ack - 1;  /* [ack - 101, ack - 1) */
    }
    seg->ts = FS_SCRIPT_T0 + st->t_ms * FS_NS_PER_MSEC;
}

static void
on_event(const FsEvent *ev, const FsConn *conn, gpointer user)
{
    FsScriptResult *res = user;

    (void)conn;
    g_array_append_val(res->events, *ev);
}

static const FsEngine *running_engine;

static void
on_conn(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    FsScriptResult *res = user;
    guint64 seen = fs_engine_stats(running_engine)->tcp_segments;

    (void)outcome;
    g_array_append_val(res->conns, *conn);
    g_array_append_val(res->finished_at, seen);
}

static void
on_tw_host(const FsHostTimeWait *tw, gpointer user)
{
    g_array_append_val(((FsScriptResult *)user)->tw_hosts, *tw);
}

static FsScriptResult *
run_once(const FsScriptStep *steps, gsize n_steps, const FsEngineConfig *cfg)
{
    FsScriptResult *res = g_new0(FsScriptResult, 1);
    FsEngineSink sink = { .on_event = on_event,
                          .on_conn = on_conn,
                          .user = res };
    g_autoptr(FsEngine) engine = NULL;
    guint32 last_tsval[256] = { 0 }; /* by direction */

    res->conns = g_array_new(FALSE, TRUE, sizeof(FsConn));
    res->events = g_array_new(FALSE, TRUE, sizeof(FsEvent));
    res->finished_at = g_array_new(FALSE, TRUE, sizeof(guint64));
    res->tw_hosts = g_array_new(FALSE, TRUE, sizeof(FsHostTimeWait));
    engine = fs_engine_new(cfg, &sink);
    running_engine = engine;
    for (gsize i = 0; i < n_steps; i++) {
        FsSegment seg;
        guchar dir = (guchar)steps[i].dir;

        fs_script_segment(&steps[i], &seg);
        /* TSecr echoes the latest TSval from the other way (RFC 7323
         * §4.3, as a stack sends it) */
        if (seg.has_ts) {
            seg.tsecr = last_tsval[dir == C2S ? S2C : dir == S2C ? C2S
                                   : dir == 'c' ? 's' : 'c'];
            last_tsval[dir] = seg.tsval;
        }
        fs_engine_segment(engine, &seg);
    }
    fs_engine_finish(engine);
    res->stats = *fs_engine_stats(engine);
    fs_engine_foreach_time_wait_host(engine, on_tw_host, res);
    running_engine = NULL;
    return res;
}

/* A record as freezing must leave it: the engine's links are not part
 * of it. */
static FsConn
record_of(const FsConn *conn)
{
    FsConn r = *conn;

    r.older = NULL;
    r.deadline_slot = 0;
    r.held_slot = 0;
    return r;
}

/* Freezing is invisible: the same records, events and counters. */
static void
assert_same_run(const FsScriptResult *a, const FsScriptResult *b)
{
    FsEngineStats sa = a->stats;
    FsEngineStats sb = b->stats;

    g_assert_cmpuint(a->conns->len, ==, b->conns->len);
    for (guint i = 0; i < a->conns->len; i++) {
        FsConn x = record_of(&g_array_index(a->conns, FsConn, i));
        FsConn y = record_of(&g_array_index(b->conns, FsConn, i));

        g_assert_cmpmem(&x, sizeof x, &y, sizeof y);
        g_assert_cmpuint(g_array_index(a->finished_at, guint64, i), ==,
                         g_array_index(b->finished_at, guint64, i));
    }
    g_assert_cmpuint(a->events->len, ==, b->events->len);
    for (guint i = 0; i < a->events->len; i++) {
        FsEvent x = g_array_index(a->events, FsEvent, i);
        FsEvent y = g_array_index(b->events, FsEvent, i);

        x.conn = y.conn = NULL;
        g_assert_cmpmem(&x, sizeof x, &y, sizeof y);
    }
    sa.frozen = sb.frozen = 0;
    sa.freezes = sb.freezes = 0;
    /* frozen connections take less memory: that is the point */
    sa.memory = sb.memory = 0;
    sa.memory_peak = sb.memory_peak = 0;
    /* which segments the lean path may take depends on freezing (its
     * deadlines): the same steps either way */
    sa.lean_segments = sb.lean_segments = 0;
    g_assert_cmpmem(&sa, sizeof sa, &sb, sizeof sb);
    g_assert_cmpmem(a->tw_hosts->data,
                    a->tw_hosts->len * sizeof(FsHostTimeWait),
                    b->tw_hosts->data,
                    b->tw_hosts->len * sizeof(FsHostTimeWait));
}

FsScriptResult *
fs_script_run(const FsScriptStep *steps, gsize n_steps,
              const FsEngineConfig *cfg)
{
    FsEngineConfig def = { .msl = 30 * FS_NS_PER_SEC, .all_events = TRUE };
    FsEngineConfig other;
    FsScriptResult *res;

    if (cfg == NULL)
        cfg = &def;
    res = run_once(steps, n_steps, cfg);
    /* every script doubles as a test of frozen connections: never frozen,
     * and frozen at every sweep they are quiet at */
    other = *cfg;
    for (int i = 0; i < 2; i++) {
        g_autoptr(FsScriptResult) alt = NULL;

        other.freeze_after = i == 0 ? -1 : 1;
        alt = run_once(steps, n_steps, &other);
        assert_same_run(res, alt);
    }
    return res;
}

void
fs_script_result_free(FsScriptResult *res)
{
    if (res == NULL)
        return;
    g_array_unref(res->conns);
    g_array_unref(res->events);
    g_array_unref(res->finished_at);
    g_array_unref(res->tw_hosts);
    g_free(res);
}

const FsConn *
fs_script_conn(const FsScriptResult *res, guint i)
{
    g_assert_cmpuint(i, <, res->conns->len);
    return &g_array_index(res->conns, FsConn, i);
}

guint
fs_script_count(const FsScriptResult *res, FsEventKind kind, int role)
{
    guint n = 0;

    for (guint i = 0; i < res->events->len; i++) {
        const FsEvent *ev = &g_array_index(res->events, FsEvent, i);

        if (ev->kind == kind && (role == FS_ROLE_NONE || ev->role == role))
            n++;
    }
    return n;
}
