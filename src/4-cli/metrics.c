/* finscope: Prometheus metrics — counters, exposition text, HTTP, file. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <gio/gio.h>
#include <glib.h>

#include "finscope/classify.h"
#include "finscope/error.h"
#include "finscope/event.h"
#include "metrics.h"
#include "outfile.h"
#include "tally.h"

/* Hosts with a TIME_WAIT series of their own (README: Metrics). */
#define TIME_WAIT_HOSTS_MAX 50

struct FsMetrics {
    FsEngineSink inner;             /* the report's sink */
    FsTally tally;                  /* finished records */
    guint64 events[FS_EV_N_KINDS];  /* events by kind (not FS_EV_STATE) */
    guint64 report_dropped;         /* report lines stdout did not take */
    const FsMetricsServer *server;  /* the endpoint, or NULL */
};

/* Stuck states exported, in the order they appear in a close. */
static const FsTcpState stuck_states[] = {
    FS_TCP_FIN_WAIT_1, FS_TCP_FIN_WAIT_2, FS_TCP_CLOSE_WAIT, FS_TCP_CLOSING,
    FS_TCP_LAST_ACK,
};

FsMetrics *
fs_metrics_new(const FsEngineSink *inner)
{
    FsMetrics *m = g_new0(FsMetrics, 1);

    if (inner != NULL)
        m->inner = *inner;
    fs_tally_init(&m->tally);
    return m;
}

void
fs_metrics_free(FsMetrics *m)
{
    if (m == NULL)
        return;
    fs_tally_clear(&m->tally);
    g_free(m);
}

static void
count_event(const FsEvent *ev, const FsConn *conn, gpointer user)
{
    FsMetrics *m = user;

    if (ev->kind != FS_EV_STATE && ev->kind < FS_EV_N_KINDS)
        m->events[ev->kind]++;
    if (m->inner.on_event != NULL)
        m->inner.on_event(ev, conn, m->inner.user);
}

static void
count_conn(const FsConn *conn, const FsOutcome *outcome, gpointer user)
{
    FsMetrics *m = user;

    fs_tally_add(&m->tally, outcome, conn->addr, FS_TALLY_BOTH);
    if (m->inner.on_conn != NULL)
        m->inner.on_conn(conn, outcome, m->inner.user);
}

void
fs_metrics_set_report_dropped(FsMetrics *m, guint64 lines)
{
    g_return_if_fail(m != NULL);
    m->report_dropped = lines;
}

void
fs_metrics_attach_server(FsMetrics *m, const FsMetricsServer *server)
{
    g_return_if_fail(m != NULL);
    m->server = server;
}

FsEngineSink
fs_metrics_sink(FsMetrics *m)
{
    FsEngineSink sink = { .on_event = count_event,
                          .on_conn = count_conn,
                          .user = m };

    return sink;
}

/* ---- exposition text ---- */

static void
family(GString *out, const char *name, const char *type, const char *help)
{
    g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
                           name, type);
}

static void
sample(GString *out, const char *name, guint64 value)
{
    g_string_append_printf(out, "%s %" G_GUINT64_FORMAT "\n", name, value);
}

/* A label value needs \\, \" and \n escaped (exposition format 0.0.4). */
static void
sample_label(GString *out, const char *name, const char *label,
             const char *value, guint64 n)
{
    g_string_append_printf(out, "%s{%s=\"", name, label);
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\\' || *p == '"')
            g_string_append_c(out, '\\');
        if (*p == '\n')
            g_string_append(out, "\\n");
        else
            g_string_append_c(out, *p);
    }
    g_string_append_printf(out, "\"} %" G_GUINT64_FORMAT "\n", n);
}

/* At most TIME_WAIT_HOSTS_MAX hosts get their own series: those holding
 * the most TIME_WAIT now (ties by address), kept in a min-heap while the
 * engine's table is walked; the rest are summed into host="other". Hosts
 * at zero are left out, so the output does not grow with every host ever
 * seen. */
typedef struct {
    FsAddr host;        /* the host holding the TIME_WAIT */
    guint64 now;        /* endpoints in TIME_WAIT now */
} HostCount;

typedef struct {
    HostCount top[TIME_WAIT_HOSTS_MAX]; /* min-heap: top[0] is the least */
    guint n;            /* entries in top */
    guint64 other;      /* TIME_WAIT of the hosts not in top */
    guint64 hosts;      /* hosts holding any TIME_WAIT */
} TopHosts;

/* a ranks before b: more TIME_WAIT, then the lower address. */
static gboolean
ranks_before(const HostCount *a, const HostCount *b)
{
    if (a->now != b->now)
        return a->now > b->now;
    return fs_addr_compare(&a->host, &b->host) < 0;
}

/* Restores the heap below i: the least-ranked entry goes to the top. */
static void
sift_down(TopHosts *t, guint i)
{
    for (;;) {
        guint least = i;
        guint kid = 2 * i + 1;

        for (guint k = kid; k < kid + 2 && k < t->n; k++) {
            if (ranks_before(&t->top[least], &t->top[k]))
                least = k;
        }
        if (least == i)
            return;
        HostCount tmp = t->top[i];
        t->top[i] = t->top[least];
        t->top[least] = tmp;
        i = least;
    }
}

static void
sift_up(TopHosts *t, guint i)
{
    while (i > 0 && ranks_before(&t->top[(i - 1) / 2], &t->top[i])) {
        HostCount tmp = t->top[i];
        t->top[i] = t->top[(i - 1) / 2];
        t->top[(i - 1) / 2] = tmp;
        i = (i - 1) / 2;
    }
}

static void
collect_host(const FsHostTimeWait *tw, gpointer user)
{
    TopHosts *t = user;
    HostCount hc = { tw->host, tw->now };

    if (tw->now == 0)
        return;
    t->hosts++;
    if (t->n < TIME_WAIT_HOSTS_MAX) {
        t->top[t->n] = hc;
        sift_up(t, t->n++);
        return;
    }
    if (!ranks_before(&hc, &t->top[0])) {
        t->other += hc.now;
        return;
    }
    t->other += t->top[0].now;
    t->top[0] = hc;
    sift_down(t, 0);
}

static int
host_count_cmp(gconstpointer a, gconstpointer b)
{
    return ranks_before(a, b) ? -1 : ranks_before(b, a) ? 1 : 0;
}

static void
render_time_wait_hosts(const FsEngine *engine, GString *out)
{
    g_autofree TopHosts *t = g_new0(TopHosts, 1);
    char host[FS_ENDPOINT_STRLEN];

    family(out, "finscope_time_wait_endpoints", "gauge",
           "Endpoints in TIME_WAIT now, by the host (IP address) holding "
           "them: the " G_STRINGIFY(TIME_WAIT_HOSTS_MAX) " hosts holding "
           "most, the rest summed as host=\"other\"; hosts at 0 left out.");
    fs_engine_foreach_time_wait_host(engine, collect_host, t);
    qsort(t->top, t->n, sizeof t->top[0], host_count_cmp);
    for (guint i = 0; i < t->n; i++) {
        fs_addr_format(&t->top[i].host, host, sizeof host);
        sample_label(out, "finscope_time_wait_endpoints", "host", host,
                     t->top[i].now);
    }
    if (t->other > 0)
        sample_label(out, "finscope_time_wait_endpoints", "host", "other",
                     t->other);
    family(out, "finscope_time_wait_hosts", "gauge",
           "Hosts (IP addresses) holding any endpoint in TIME_WAIT now.");
    sample(out, "finscope_time_wait_hosts", t->hosts);
}

static void
render_closes(const FsMetrics *m, GString *out)
{
    family(out, "finscope_closes_total", "counter",
           "Finished connections by the side that closed first.");
    for (int c = FS_CLOSER_CLIENT; c <= FS_CLOSER_SIMULTANEOUS; c++)
        sample_label(out, "finscope_closes_total", "active_closer",
                     fs_closer_name((FsCloser)c),
                     m->tally.by_closer[c]);
    family(out, "finscope_connections_finished_total", "counter",
           "Connection records finished, by how the connection ended.");
    for (int k = FS_CLOSE_OPEN; k <= FS_CLOSE_INCOMPLETE; k++)
        sample_label(out, "finscope_connections_finished_total", "close",
                     fs_close_kind_name((FsCloseKind)k),
                     m->tally.by_close[k]);
    family(out, "finscope_resets_total", "counter",
           "Connections ended or hit by RST, by the sender of the first.");
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++)
        sample_label(out, "finscope_resets_total", "from",
                     fs_role_name((FsRole)r), m->tally.rst_from[r]);
    family(out, "finscope_fin_retransmits_total", "counter",
           "FIN transmissions beyond each endpoint's first.");
    sample(out, "finscope_fin_retransmits_total",
           m->tally.fin_retransmits);
    family(out, "finscope_old_duplicates_total", "counter",
           "Segments of an older incarnation seen by a newer one.");
    sample(out, "finscope_old_duplicates_total", m->tally.old_duplicates);
    family(out, "finscope_reuse_in_time_wait_total", "counter",
           "New connections that reused a 4-tuple still in TIME_WAIT.");
    sample(out, "finscope_reuse_in_time_wait_total",
           m->tally.by_flag[FS_FLAG_REUSE_IN_TIME_WAIT]);
    family(out, "finscope_stuck_endpoints", "counter",
           "Endpoints of finished records left waiting in a close state "
           "(idle timeout or exit), since start.");
    for (gsize i = 0; i < G_N_ELEMENTS(stuck_states); i++)
        sample_label(out, "finscope_stuck_endpoints", "state",
                     fs_tcp_state_name(stuck_states[i]),
                     m->tally.end_states[stuck_states[i]]);
}

static void
render_events(const FsMetrics *m, GString *out)
{
    family(out, "finscope_events_total", "counter",
           "Close events and anomalies as they happened, by kind.");
    for (int k = 0; k < FS_EV_N_KINDS; k++) {
        if (k != FS_EV_STATE)
            sample_label(out, "finscope_events_total", "kind",
                         fs_event_kind_name((FsEventKind)k), m->events[k]);
    }
}

static void
render_engine(const FsEngine *engine, guint64 kernel_drops, GString *out)
{
    const FsEngineStats *st = fs_engine_stats(engine);

    render_time_wait_hosts(engine, out);
    family(out, "finscope_connections_live", "gauge",
           "Connections tracked now.");
    sample(out, "finscope_connections_live", st->live);
    family(out, "finscope_connections_total", "counter",
           "Connections (incarnations) seen.");
    sample(out, "finscope_connections_total", st->connections);
    family(out, "finscope_connections_evicted_total", "counter",
           "Connections finished early (memory budget, --max-flows), by "
           "class; handshakes the stacks gave up on as expired.");
    for (int c = 0; c < FS_EVICT_N_CLASSES; c++)
        sample_label(out, "finscope_connections_evicted_total", "class",
                     fs_evict_class_name((FsEvictClass)c),
                     st->evicted_by_class[c]);
    sample_label(out, "finscope_connections_evicted_total", "class",
                 "handshake_expired", st->handshakes_expired);
    family(out, "finscope_packets_total", "counter",
           "Packets captured and analysed.");
    sample(out, "finscope_packets_total", st->packets);
    family(out, "finscope_tcp_segments_total", "counter",
           "Packets decoded as TCP segments.");
    sample(out, "finscope_tcp_segments_total", st->tcp_segments);
    family(out, "finscope_packets_dropped_total", "counter",
           "Packets the kernel dropped before finscope saw them.");
    sample(out, "finscope_packets_dropped_total", kernel_drops);
}

static void
render_server(const FsMetricsServer *server, GString *out)
{
    const FsMetricsServerStats *st = fs_metrics_server_stats(server);

    family(out, "finscope_metrics_scrapes_total", "counter",
           "Requests the metrics endpoint answered.");
    sample(out, "finscope_metrics_scrapes_total", st->scrapes);
    family(out, "finscope_metrics_clients_closed_total", "counter",
           "Metrics clients closed unanswered: past their 2 s deadline, "
           "or to make room (too many at once, or no fd to accept).");
    sample_label(out, "finscope_metrics_clients_closed_total", "reason",
                 "deadline", st->deadline_closed);
    sample_label(out, "finscope_metrics_clients_closed_total", "reason",
                 "capacity", st->capacity_closed);
    family(out, "finscope_metrics_accept_errors_total", "counter",
           "Failed accepts on the metrics port (EMFILE and the like).");
    sample(out, "finscope_metrics_accept_errors_total", st->accept_errors);
}

static void
render_loop(const FsMetrics *m, GString *out)
{
    family(out, "finscope_report_lines_dropped_total", "counter",
           "Report lines dropped because stdout did not keep up (its "
           "queue was full).");
    sample(out, "finscope_report_lines_dropped_total", m->report_dropped);
    if (m->server != NULL)
        render_server(m->server, out);
}

char *
fs_metrics_render(const FsMetrics *m, const FsEngine *engine,
                  guint64 kernel_drops)
{
    GString *out = g_string_sized_new(4096);

    g_return_val_if_fail(m != NULL, NULL);
    g_return_val_if_fail(engine != NULL, NULL);
    render_engine(engine, kernel_drops, out);
    render_closes(m, out);
    render_events(m, out);
    render_loop(m, out);
    return g_string_free(out, FALSE);
}

gboolean
fs_metrics_write_file(const char *path, const char *text, GError **error)
{
    g_autoptr(GError) local = NULL;

    g_return_val_if_fail(path != NULL && text != NULL, FALSE);
    /* A regular PATH gets PATH.XXXXXX, fsynced and renamed over it (the
     * textfile collector skips names not ending .prom); see outfile.h. */
    if (fs_outfile_write(path, text, -1, &local))
        return TRUE;
    g_set_error(error, FS_ERROR, FS_ERROR_WRITE, "--metrics-file: %s",
                local->message);
    return FALSE;
}

/* ---- the HTTP endpoint ---------------------------------------------
 * Accepts and scrapes run as asynchronous calls in the main context, so
 * a slow client never holds up the capture. Each client gets an absolute
 * deadline from its accept (slowloris: reads do not extend it), at most
 * clients_max are open at once (a new one closes the oldest: an attacker
 * cannot lock a scraper out by holding every slot), and an accept error
 * (EMFILE, ENFILE, ENOMEM) pauses accepting instead of spinning. */

#define REQUEST_MAX 4096        /* bytes of request head we accept */
#define CLIENT_DEADLINE_MS 2000 /* from accept to the last byte written */
#define CLIENTS_MAX 64          /* open at once; fewer with few fds */
#define ACCEPT_BACKOFF_MS 200   /* pause after an accept error */
#define LISTEN_BACKLOG 4096     /* queued by the kernel (somaxconn caps) */

struct FsMetricsServer {
    GSocketListener *listener; /* listening socket(s) */
    GCancellable *accepting;   /* the accept in flight */
    gboolean accept_pending;   /* an accept callback is still to come */
    guint backoff;             /* source re-arming accepts, or 0 */
    gboolean errors_logged;    /* this run of accept errors was logged */
    gboolean stopping;         /* being freed: accept nothing more */
    FsMetricsRenderFunc render;
    gpointer user;
    char *address;             /* bound address, "ip:port" */
    GQueue clients;            /* Client *, oldest first */
    guint clients_max;         /* most clients open at once */
    FsMetricsServerStats stats;
};

typedef struct {
    FsMetricsServer *server;
    GSocketConnection *conn;
    GCancellable *cancel;      /* deadline, eviction or shutdown */
    GList *link;               /* in server->clients */
    guint deadline;            /* timeout source */
    gboolean closing;          /* cancelled: its callback will end it */
    char request[REQUEST_MAX]; /* what arrived so far */
    gsize len;                 /* bytes in request */
    char *response;            /* head and body being written */
} Client;

static void
client_done(Client *c)
{
    FsMetricsServer *s = c->server;

    if (c->deadline != 0)
        g_source_remove(c->deadline);
    (void)g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
    g_object_unref(c->conn);
    g_object_unref(c->cancel);
    g_queue_delete_link(&s->clients, c->link);
    g_free(c->response);
    g_free(c);
}

/* Ends the client's pending read or write; its callback frees it. */
static void
client_cancel(Client *c)
{
    c->closing = TRUE;
    g_cancellable_cancel(c->cancel);
}

static gboolean
on_deadline(gpointer user)
{
    Client *c = user;

    c->deadline = 0;
    if (!c->closing)
        c->server->stats.deadline_closed++;
    client_cancel(c);
    return G_SOURCE_REMOVE;
}

static void
on_written(GObject *stream, GAsyncResult *res, gpointer user)
{
    (void)g_output_stream_write_all_finish(G_OUTPUT_STREAM(stream), res,
                                           NULL, NULL);
    client_done(user);
}

/* Only GET (and HEAD) of /metrics, with or without a query string. */
static char *
build_response(Client *c)
{
    g_autofree char *body = NULL;
    char **words = g_strsplit_set(c->request, " \r\n", 3);
    gboolean head = g_strcmp0(words[0], "HEAD") == 0;
    gboolean get = head || g_strcmp0(words[0], "GET") == 0;
    const char *path = words[0] != NULL ? words[1] : NULL;
    gboolean metrics = path != NULL &&
        (strcmp(path, "/metrics") == 0 || g_str_has_prefix(path, "/metrics?"));
    const char *status = !get ? "405 Method Not Allowed"
                         : metrics ? "200 OK" : "404 Not Found";
    const char *type = metrics && get ? "text/plain; version=0.0.4"
                                      : "text/plain";
    char *out = NULL;

    body = !get ? g_strdup("only GET /metrics is served\n")
           : metrics ? c->server->render(c->server->user)
                     : g_strdup("not found: try /metrics\n");
    out = g_strdup_printf("HTTP/1.1 %s\r\nContent-Type: %s\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n"
                          "\r\n%s", status, type, strlen(body),
                          head ? "" : body);
    g_strfreev(words);
    return out;
}

static void read_more(Client *c);

/* n more bytes of the request head arrived: read on until it is whole
 * (or its room is full), then answer. */
static void
client_got(Client *c, gsize n)
{
    c->len += n;
    c->request[c->len] = '\0';
    if (strstr(c->request, "\r\n\r\n") == NULL &&
        strstr(c->request, "\n\n") == NULL && c->len < REQUEST_MAX - 1) {
        read_more(c);
        return;
    }
    c->server->stats.scrapes++;
    c->response = build_response(c);
    g_output_stream_write_all_async(
        g_io_stream_get_output_stream(G_IO_STREAM(c->conn)), c->response,
        strlen(c->response), G_PRIORITY_DEFAULT, c->cancel, on_written, c);
}

static void
on_read(GObject *stream, GAsyncResult *res, gpointer user)
{
    Client *c = user;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(stream), res, NULL);

    if (n <= 0 || c->closing) {
        client_done(c);
        return;
    }
    client_got(c, (gsize)n);
}

static void
read_more(Client *c)
{
    g_input_stream_read_async(
        g_io_stream_get_input_stream(G_IO_STREAM(c->conn)),
        c->request + c->len, REQUEST_MAX - 1 - c->len, G_PRIORITY_DEFAULT,
        c->cancel, on_read, c);
}

/* The client to close for room, with *open the clients not closing:
 * the oldest that sent part of a request head and not the rest (what a
 * slowloris attacker does), else the oldest that sent nothing yet,
 * else the oldest being answered; NULL when all are closing.
 *
 * A scraper sends its request whole: there at its accept, it is
 * answered then (client_start()); coming later, it waits among those
 * that sent nothing. Under 1,000 attackers with 64 fds, the 16
 * clients' room turns over every ~0.4 ms (tests/live.sh): a scraper
 * whose request came 4-7 ms after its handshake lost its place (5 of 31
 * runs of tests/slowloris.py lost a scrape so, before this). */
static Client *
room_victim(FsMetricsServer *s, guint *open)
{
    Client *partial = NULL;
    Client *silent = NULL;
    Client *answering = NULL;

    *open = 0;
    for (GList *l = s->clients.head; l != NULL; l = l->next) {
        Client *c = l->data;

        if (c->closing)
            continue;
        if (c->response == NULL && c->len > 0 && partial == NULL)
            partial = c;
        if (c->response == NULL && c->len == 0 && silent == NULL)
            silent = c;
        if (c->response != NULL && answering == NULL)
            answering = c;
        (*open)++;
    }
    return partial != NULL ? partial : silent != NULL ? silent : answering;
}

/* Full: a client still open makes room (room_victim()). */
static void
make_room(FsMetricsServer *s)
{
    guint open;
    Client *victim = room_victim(s, &open);

    if (open < s->clients_max || victim == NULL)
        return;
    s->stats.capacity_closed++;
    client_cancel(victim);
}

static void
client_start(FsMetricsServer *s, GSocketConnection *conn)
{
    Client *c = g_new0(Client, 1);
    gssize n;

    make_room(s);
    c->server = s;
    c->conn = conn;
    c->cancel = g_cancellable_new();
    g_queue_push_tail(&s->clients, c);
    c->link = s->clients.tail;
    c->deadline = g_timeout_add(CLIENT_DEADLINE_MS, on_deadline, c);
    /* what already arrived, now: a whole request is answered from its
     * accept on, never the first to make room (room_victim()) */
    n = g_socket_receive_with_blocking(g_socket_connection_get_socket(conn),
                                       c->request, REQUEST_MAX - 1, FALSE,
                                       NULL, NULL);
    if (n > 0)
        client_got(c, (gsize)n);
    else
        read_more(c);
}

static void accept_next(FsMetricsServer *s);

static gboolean
on_backoff(gpointer user)
{
    FsMetricsServer *s = user;

    s->backoff = 0;
    accept_next(s);
    return G_SOURCE_REMOVE;
}

/* EMFILE and the like: said once per run of errors; a client goes
 * (room_victim()), to give back an fd, and accepting pauses a while. */
static void
accept_failed(FsMetricsServer *s, const GError *error)
{
    guint open;
    Client *victim = room_victim(s, &open);

    s->stats.accept_errors++;
    if (!s->errors_logged)
        g_printerr("finscope: metrics: accept: %s (pausing; logged once "
                   "until an accept succeeds)\n", error->message);
    s->errors_logged = TRUE;
    if (victim != NULL) {
        s->stats.capacity_closed++;
        client_cancel(victim);
    }
    s->backoff = g_timeout_add(ACCEPT_BACKOFF_MS, on_backoff, s);
}

static void
on_accepted(GObject *listener, GAsyncResult *res, gpointer user)
{
    FsMetricsServer *s = user;
    g_autoptr(GError) error = NULL;
    GSocketConnection *conn = g_socket_listener_accept_finish(
        G_SOCKET_LISTENER(listener), res, NULL, &error);

    s->accept_pending = FALSE;
    if (s->stopping || g_error_matches(error, G_IO_ERROR,
                                       G_IO_ERROR_CANCELLED)) {
        g_clear_object(&conn);
        return;
    }
    if (conn == NULL &&
        !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        accept_failed(s, error);
        return;
    }
    if (conn != NULL) {
        s->errors_logged = FALSE;
        s->stats.accepted++;
        client_start(s, conn);
    }
    accept_next(s);
}

static void
accept_next(FsMetricsServer *s)
{
    s->accept_pending = TRUE;
    g_socket_listener_accept_async(s->listener, s->accepting, on_accepted,
                                   s);
}

/* CLIENTS_MAX, or a quarter of the fd limit when that is lower, so that
 * the capture, -w and --metrics-file keep their fds. */
static guint
clients_max(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur / 4 >= CLIENTS_MAX)
        return CLIENTS_MAX;
    return MAX((guint)(rl.rlim_cur / 4), 1u);
}

/* "1.2.3.4:80", "[::1]:80", ":80" (every address) -> host (NULL for
 * every address) and port. An IPv6 address needs its brackets, and
 * brackets need one ("[]:80" is not "every address"). */
static gboolean
parse_listen(const char *listen, char **host, guint16 *port, GError **error)
{
    const char *colon = strrchr(listen, ':');
    guint64 p = 0;
    g_autofree char *h = NULL;
    gsize len = 0;

    if (colon == NULL ||
        !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &p, NULL))
        goto bad;
    h = g_strndup(listen, (gsize)(colon - listen));
    len = strlen(h);
    if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {
        memmove(h, h + 1, len - 2);
        h[len - 2] = '\0';
        if (strchr(h, ':') == NULL || !g_hostname_is_ip_address(h))
            goto bad;
    } else if (strpbrk(h, "[]:") != NULL ||
               (h[0] != '\0' && !g_hostname_is_ip_address(h))) {
        goto bad;
    }
    if (host != NULL)
        *host = h[0] != '\0' ? g_steal_pointer(&h) : NULL;
    if (port != NULL)
        *port = (guint16)p;
    return TRUE;
bad:
    g_set_error(error, FS_ERROR, FS_ERROR_USAGE, "--metrics-listen: '%s' "
                "is not ADDR:PORT (an IPv4 address, [IPv6] or nothing for "
                "every address; a port 0-65535)", listen);
    return FALSE;
}

gboolean
fs_metrics_listen_check(const char *listen, GError **error)
{
    g_return_val_if_fail(listen != NULL, FALSE);
    return parse_listen(listen, NULL, NULL, error);
}

/* Every address (IPv6 and IPv4): the port given, or any free one. */
static gboolean
bind_any(FsMetricsServer *s, guint16 port, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (port == 0)
        port = g_socket_listener_add_any_inet_port(s->listener, NULL,
                                                   &local);
    else if (!g_socket_listener_add_inet_port(s->listener, port, NULL,
                                              &local))
        port = 0;
    if (port == 0) {
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN,
                    "--metrics-listen: %s", local->message);
        return FALSE;
    }
    s->address = g_strdup_printf(":%u", port);
    return TRUE;
}

static gboolean
bind_address(FsMetricsServer *s, const char *host, guint16 port,
             GError **error)
{
    g_autoptr(GSocketAddress) addr =
        g_inet_socket_address_new_from_string(host, port);
    g_autoptr(GSocketAddress) bound = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *ip = NULL;
    GInetSocketAddress *inet = NULL;

    if (!g_socket_listener_add_address(s->listener, addr,
                                       G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_TCP, NULL, &bound,
                                       &local)) {
        g_set_error(error, FS_ERROR, FS_ERROR_OPEN,
                    "--metrics-listen %s: %s", host, local->message);
        return FALSE;
    }
    inet = G_INET_SOCKET_ADDRESS(bound);
    ip = g_inet_address_to_string(g_inet_socket_address_get_address(inet));
    s->address = g_strdup_printf(strchr(ip, ':') != NULL ? "[%s]:%u"
                                                         : "%s:%u",
                                 ip, g_inet_socket_address_get_port(inet));
    return TRUE;
}

FsMetricsServer *
fs_metrics_server_new(const char *listen, FsMetricsRenderFunc render,
                      gpointer user, GError **error)
{
    g_autoptr(FsMetricsServer) s = NULL;
    g_autofree char *host = NULL;
    guint16 port = 0;

    g_return_val_if_fail(listen != NULL && render != NULL, NULL);
    if (!parse_listen(listen, &host, &port, error))
        return NULL;
    s = g_new0(FsMetricsServer, 1);
    s->render = render;
    s->user = user;
    s->clients_max = clients_max();
    s->accepting = g_cancellable_new();
    s->listener = g_socket_listener_new();
    g_socket_listener_set_backlog(s->listener, LISTEN_BACKLOG);
    if (host == NULL ? !bind_any(s, port, error)
                     : !bind_address(s, host, port, error))
        return NULL;
    accept_next(s);
    return g_steal_pointer(&s);
}

const char *
fs_metrics_server_address(const FsMetricsServer *s)
{
    g_return_val_if_fail(s != NULL, NULL);
    return s->address;
}

const FsMetricsServerStats *
fs_metrics_server_stats(const FsMetricsServer *s)
{
    g_return_val_if_fail(s != NULL, NULL);
    return &s->stats;
}

guint
fs_metrics_server_clients_max(const FsMetricsServer *s)
{
    g_return_val_if_fail(s != NULL, 0);
    return s->clients_max;
}

void
fs_metrics_server_free(FsMetricsServer *s)
{
    if (s == NULL)
        return;
    if (s->backoff != 0)
        g_source_remove(s->backoff);
    /* Cancelled calls finish through their callbacks, which need the
     * main context to run once more. */
    s->stopping = TRUE;
    g_cancellable_cancel(s->accepting);
    for (GList *l = s->clients.head; l != NULL; l = l->next)
        client_cancel(l->data);
    while (s->accept_pending || s->clients.length > 0)
        g_main_context_iteration(NULL, TRUE);
    g_socket_listener_close(s->listener);
    g_object_unref(s->listener);
    g_object_unref(s->accepting);
    g_free(s->address);
    g_free(s);
}
