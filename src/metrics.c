/* finscope: Prometheus metrics — counters, exposition text, HTTP, file. */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib.h>

#include "finscope/classify.h"
#include "finscope/error.h"
#include "finscope/event.h"
#include "metrics.h"

struct FsMetrics {
    FsEngineSink inner;             /* the report's sink */
    guint64 closes[3];              /* by FsCloser: client, server, simult. */
    guint64 by_close[4];            /* records by FsCloseKind */
    guint64 resets[2];              /* by role of the first RST */
    guint64 fin_retransmits;        /* FIN transmissions beyond the first */
    guint64 old_duplicates;         /* segments of older incarnations */
    guint64 reuse_in_time_wait;     /* SYNs that reused a TIME_WAIT tuple */
    guint64 stuck[FS_TCP_N_STATES]; /* endpoints by state when finished */
    guint64 events[FS_EV_N_KINDS];  /* events by kind (not FS_EV_STATE) */
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
    return m;
}

void
fs_metrics_free(FsMetrics *m)
{
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
count_conn(const FsConn *conn, gpointer user)
{
    FsMetrics *m = user;
    FsCloser closer = fs_classify_active_closer(conn);

    m->by_close[fs_classify_close(conn)]++;
    if (closer != FS_CLOSER_NONE)
        m->closes[closer]++;
    if (conn->rst_from != FS_ROLE_NONE)
        m->resets[conn->rst_from]++;
    m->old_duplicates += conn->old_duplicates;
    m->reuse_in_time_wait += conn->reuse_in_time_wait;
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        if (conn->ep[r].fin_count > 1)
            m->fin_retransmits += conn->ep[r].fin_count - 1u;
        m->stuck[fs_classify_end_state(conn, (FsRole)r)]++;
    }
    if (m->inner.on_conn != NULL)
        m->inner.on_conn(conn, m->inner.user);
}

FsEngineSink
fs_metrics_sink(FsMetrics *m)
{
    FsEngineSink sink = { count_event, count_conn, m };

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

static void
time_wait_host(const FsHostTimeWait *tw, gpointer user)
{
    char host[FS_ENDPOINT_STRLEN];

    fs_addr_format(&tw->host, host, sizeof host);
    sample_label(user, "finscope_time_wait_endpoints", "host", host,
                 tw->now);
}

static void
render_closes(const FsMetrics *m, GString *out)
{
    family(out, "finscope_closes_total", "counter",
           "Finished connections by the side that closed first.");
    for (int c = FS_CLOSER_CLIENT; c <= FS_CLOSER_SIMULTANEOUS; c++)
        sample_label(out, "finscope_closes_total", "active_closer",
                     fs_closer_name((FsCloser)c), m->closes[c]);
    family(out, "finscope_connections_finished_total", "counter",
           "Connection records finished, by how the connection ended.");
    for (int k = FS_CLOSE_OPEN; k <= FS_CLOSE_INCOMPLETE; k++)
        sample_label(out, "finscope_connections_finished_total", "close",
                     fs_close_kind_name((FsCloseKind)k), m->by_close[k]);
    family(out, "finscope_resets_total", "counter",
           "Connections ended or hit by RST, by the sender of the first.");
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++)
        sample_label(out, "finscope_resets_total", "from",
                     fs_role_name((FsRole)r), m->resets[r]);
    family(out, "finscope_fin_retransmits_total", "counter",
           "FIN transmissions beyond each endpoint's first.");
    sample(out, "finscope_fin_retransmits_total", m->fin_retransmits);
    family(out, "finscope_old_duplicates_total", "counter",
           "Segments of an older incarnation seen by a newer one.");
    sample(out, "finscope_old_duplicates_total", m->old_duplicates);
    family(out, "finscope_reuse_in_time_wait_total", "counter",
           "New connections that reused a 4-tuple still in TIME_WAIT.");
    sample(out, "finscope_reuse_in_time_wait_total", m->reuse_in_time_wait);
    family(out, "finscope_stuck_endpoints", "counter",
           "Endpoints of finished records left waiting in a close state "
           "(idle timeout or exit), since start.");
    for (gsize i = 0; i < G_N_ELEMENTS(stuck_states); i++)
        sample_label(out, "finscope_stuck_endpoints", "state",
                     fs_tcp_state_name(stuck_states[i]),
                     m->stuck[stuck_states[i]]);
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

    family(out, "finscope_time_wait_endpoints", "gauge",
           "Endpoints in TIME_WAIT now, by the host (IP address) "
           "holding them.");
    fs_engine_foreach_time_wait_host(engine, time_wait_host, out);
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
    return g_string_free(out, FALSE);
}

gboolean
fs_metrics_write_file(const char *path, const char *text, GError **error)
{
    g_autoptr(GError) local = NULL;

    g_return_val_if_fail(path != NULL && text != NULL, FALSE);
    /* g_file_set_contents() writes PATH.XXXXXX, fsyncs and renames it
     * over PATH; the textfile collector skips names not ending .prom. */
    if (g_file_set_contents(path, text, -1, &local))
        return TRUE;
    g_set_error(error, FS_ERROR, FS_ERROR_WRITE, "--metrics-file: %s",
                local->message);
    return FALSE;
}

/* ---- the HTTP endpoint ---------------------------------------------
 * GSocketService runs in the main context; each scrape is read and
 * answered with asynchronous calls, so a slow client never holds up the
 * capture. */

#define REQUEST_MAX 8192   /* bytes of request head we accept */
#define CLIENT_TIMEOUT_S 5 /* a scrape that takes longer is dropped */

struct FsMetricsServer {
    GSocketService *service;   /* listening socket(s) */
    GCancellable *cancel;      /* ends the scrapes in flight */
    FsMetricsRenderFunc render;
    gpointer user;
    char *address;             /* bound address, "ip:port" */
    guint n_clients;           /* scrapes in flight */
};

typedef struct {
    FsMetricsServer *server;
    GSocketConnection *conn;
    char request[REQUEST_MAX]; /* what arrived so far */
    gsize len;                 /* bytes in request */
    char *response;            /* head and body being written */
} Client;

static void
client_done(Client *c)
{
    (void)g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
    g_object_unref(c->conn);
    g_free(c->response);
    c->server->n_clients--;
    g_free(c);
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

static void
on_read(GObject *stream, GAsyncResult *res, gpointer user)
{
    Client *c = user;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(stream), res, NULL);

    if (n <= 0) {
        client_done(c);
        return;
    }
    c->len += (gsize)n;
    c->request[c->len] = '\0';
    if (strstr(c->request, "\r\n\r\n") == NULL &&
        strstr(c->request, "\n\n") == NULL && c->len < REQUEST_MAX - 1) {
        read_more(c);
        return;
    }
    c->response = build_response(c);
    g_output_stream_write_all_async(
        g_io_stream_get_output_stream(G_IO_STREAM(c->conn)), c->response,
        strlen(c->response), G_PRIORITY_DEFAULT, c->server->cancel,
        on_written, c);
}

static void
read_more(Client *c)
{
    g_input_stream_read_async(
        g_io_stream_get_input_stream(G_IO_STREAM(c->conn)),
        c->request + c->len, REQUEST_MAX - 1 - c->len, G_PRIORITY_DEFAULT,
        c->server->cancel, on_read, c);
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *conn,
            GObject *source, gpointer user)
{
    FsMetricsServer *s = user;
    Client *c = g_new0(Client, 1);

    (void)service;
    (void)source;
    c->server = s;
    c->conn = g_object_ref(conn);
    s->n_clients++;
    g_socket_set_timeout(g_socket_connection_get_socket(conn),
                         CLIENT_TIMEOUT_S);
    read_more(c);
    return TRUE;
}

/* "1.2.3.4:80", "[::1]:80", ":80" (every address) -> host (NULL for
 * every address) and port. */
static gboolean
parse_listen(const char *listen, char **host, guint16 *port, GError **error)
{
    const char *colon = strrchr(listen, ':');
    guint64 p = 0;
    g_autofree char *h = NULL;

    if (colon == NULL ||
        !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &p, NULL))
        goto bad;
    h = g_strndup(listen, (gsize)(colon - listen));
    if (h[0] == '[' && h[strlen(h) - 1] == ']') {
        memmove(h, h + 1, strlen(h) - 2);
        h[strlen(h) - 2] = '\0';
    }
    if (h[0] != '\0' && !g_hostname_is_ip_address(h))
        goto bad;
    *host = h[0] != '\0' ? g_steal_pointer(&h) : NULL;
    *port = (guint16)p;
    return TRUE;
bad:
    g_set_error(error, FS_ERROR, FS_ERROR_USAGE, "--metrics-listen: '%s' "
                "is not ADDR:PORT (an IP address, [IPv6]:PORT or :PORT)",
                listen);
    return FALSE;
}

/* Every address (IPv6 and IPv4): the port given, or any free one. */
static gboolean
bind_any(FsMetricsServer *s, guint16 port, GError **error)
{
    GSocketListener *l = G_SOCKET_LISTENER(s->service);
    g_autoptr(GError) local = NULL;

    if (port == 0)
        port = g_socket_listener_add_any_inet_port(l, NULL, &local);
    else if (!g_socket_listener_add_inet_port(l, port, NULL, &local))
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

    if (!g_socket_listener_add_address(G_SOCKET_LISTENER(s->service), addr,
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
    s->cancel = g_cancellable_new();
    s->service = g_socket_service_new();
    if (host == NULL ? !bind_any(s, port, error)
                     : !bind_address(s, host, port, error))
        return NULL;
    g_signal_connect(s->service, "incoming", G_CALLBACK(on_incoming), s);
    g_socket_service_start(s->service);
    return g_steal_pointer(&s);
}

const char *
fs_metrics_server_address(const FsMetricsServer *s)
{
    g_return_val_if_fail(s != NULL, NULL);
    return s->address;
}

void
fs_metrics_server_free(FsMetricsServer *s)
{
    if (s == NULL)
        return;
    g_socket_service_stop(s->service);
    g_socket_listener_close(G_SOCKET_LISTENER(s->service));
    g_signal_handlers_disconnect_by_data(s->service, s);
    /* Cancelled scrapes finish through their callbacks, which need the
     * main context to run once more. */
    g_cancellable_cancel(s->cancel);
    while (s->n_clients > 0)
        g_main_context_iteration(NULL, TRUE);
    g_object_unref(s->service);
    g_object_unref(s->cancel);
    g_free(s->address);
    g_free(s);
}
