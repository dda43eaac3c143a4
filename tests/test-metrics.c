/* finscope tests: Prometheus metrics — counters from a real sample, the
 * exposition text, the HTTP endpoint and the textfile. */
#include "config.h"

#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "finscope/capture.h"
#include "finscope/engine.h"
#include "finscope/error.h"
#include "metrics.h"
#include "segscript.h"

/* Runs a sample through an engine whose sink is the metrics' (with no
 * inner sink) and renders the text after fs_engine_finish(). */
static char *
render_sample(const char *name, guint64 drops)
{
    g_autofree char *path =
        g_test_build_filename(G_TEST_DIST, "samples", name, NULL);
    const char *paths[] = { path };
    g_autoptr(GError) error = NULL;
    g_autoptr(FsCapture) cap = fs_capture_open_files(paths, 1, NULL, &error);
    g_autoptr(FsMetrics) m = fs_metrics_new(NULL);
    FsEngineConfig cfg = { .msl = 30 * FS_NS_PER_SEC };
    FsEngineSink sink = fs_metrics_sink(m);
    g_autoptr(FsEngine) engine = NULL;
    FsPacket pkt;

    g_assert_no_error(error);
    engine = fs_engine_new(&cfg, &sink);
    while (fs_capture_next(cap, &pkt, &error) == FS_CAPTURE_PACKET)
        fs_engine_packet(engine, &pkt);
    g_assert_no_error(error);
    fs_engine_finish(engine);
    return fs_metrics_render(m, engine, drops);
}

static void
assert_line(const char *text, const char *line)
{
    g_autofree char *needle = g_strdup_printf("\n%s\n", line);

    if (strstr(text, needle) == NULL)
        g_error("no line '%s' in:\n%s", line, text);
}

static void
test_render_server_close(void)
{
    /* The server closed first: its host holds the TIME_WAIT. */
    g_autofree char *text = render_sample("server-close-first-v4.pcap", 7);

    assert_line(text, "# TYPE finscope_closes_total counter");
    assert_line(text, "finscope_closes_total{active_closer=\"server\"} 1");
    assert_line(text, "finscope_closes_total{active_closer=\"client\"} 0");
    assert_line(text,
                "finscope_connections_finished_total{close=\"graceful\"} 1");
    assert_line(text, "finscope_resets_total{from=\"client\"} 0");
    assert_line(text, "# TYPE finscope_time_wait_endpoints gauge");
    assert_line(text,
                "finscope_time_wait_endpoints{host=\"10.77.0.2\"} 1");
    assert_line(text, "finscope_packets_total 11");
    assert_line(text, "finscope_packets_dropped_total 7");
    assert_line(text, "finscope_connections_total 1");
    assert_line(text, "finscope_stuck_endpoints{state=\"LAST_ACK\"} 0");
}

static void
test_render_reset(void)
{
    g_autofree char *text = render_sample("rst-linger0-v4.pcap", 0);

    assert_line(text,
                "finscope_connections_finished_total{close=\"reset\"} 1");
    assert_line(text, "finscope_events_total{kind=\"rst\"} 1");
    /* SO_LINGER {1, 0} on the client: its RST ends the connection */
    assert_line(text, "finscope_resets_total{from=\"client\"} 1");
    assert_line(text, "finscope_resets_total{from=\"server\"} 0");
}

static void
test_render_stuck(void)
{
    g_autofree char *text =
        render_sample("stuck-fin-wait-2-close-wait.pcap", 0);

    assert_line(text, "finscope_stuck_endpoints{state=\"FIN_WAIT_2\"} 1");
    assert_line(text, "finscope_stuck_endpoints{state=\"CLOSE_WAIT\"} 1");
}

/* Every sample line is "name{labels} value" or "name value", and each
 * name was announced by a TYPE line before it. */
static void
test_render_format(void)
{
    g_autofree char *text = render_sample("simultaneous-close.pcap", 0);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autoptr(GHashTable) typed =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
        g_auto(GStrv) w = g_strsplit(lines[i], " ", -1);
        g_autofree char *name = NULL;

        if (g_str_has_prefix(lines[i], "# TYPE ")) {
            g_assert_cmpuint(g_strv_length(w), ==, 4);
            g_hash_table_add(typed, g_strdup(w[2]));
            continue;
        }
        if (g_str_has_prefix(lines[i], "# HELP "))
            continue;
        g_assert_cmpuint(g_strv_length(w), ==, 2);
        name = g_strndup(w[0], strcspn(w[0], "{"));
        g_assert_true(g_hash_table_contains(typed, name));
        g_assert_true(g_ascii_isdigit(w[1][0]));
    }
    assert_line(text,
                "finscope_closes_total{active_closer=\"simultaneous\"} 1");
}

/* ---- TIME_WAIT series: top hosts, the rest summed, zeros left out ---- */

/* Client 10.1.0.H closes n connections first to 10.0.0.2:80: n endpoints
 * of H in TIME_WAIT, from t_ms on. */
static void
close_from_host(FsEngine *engine, guint h, guint n, gint64 t_ms)
{
    static const FsScriptStep steps[] = {
        /* dir  flags  seq   ack   len  t_ms tsval win cport */
        { C2S,  "S",   100,  0,    0,   0, 0, 0, 0 },
        { S2C,  "SA",  500,  101,  0,   0, 0, 0, 0 },
        { C2S,  "A",   101,  501,  0,   0, 0, 0, 0 },
        { C2S,  "FA",  101,  501,  0,   0, 0, 0, 0 },
        { S2C,  "A",   501,  102,  0,   0, 0, 0, 0 },
        { S2C,  "FA",  501,  102,  0,   0, 0, 0, 0 },
        { C2S,  "A",   102,  502,  0,   0, 0, 0, 0 },
    };

    for (guint c = 0; c < n; c++) {
        for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
            FsScriptStep st = steps[i];
            FsSegment seg;
            FsAddr *client = NULL;

            st.cport = (guint16)(20000 + c);
            st.t_ms = t_ms + (gint64)i;
            fs_script_segment(&st, &seg);
            client = st.dir == C2S ? &seg.src : &seg.dst;
            client->bytes[1] = 1;
            client->bytes[3] = (guint8)h;
            fs_engine_segment(engine, &seg);
        }
    }
}

/* 60 hosts, host H holding H TIME_WAIT: hosts 11-60 get a series each,
 * hosts 1-10 are summed as "other" (55); once 2*MSL has passed, no host
 * series is left at all. */
static void
test_render_top_hosts(void)
{
    g_autoptr(FsMetrics) m = fs_metrics_new(NULL);
    FsEngineConfig cfg = { .msl = 30 * FS_NS_PER_SEC };
    FsEngineSink sink = fs_metrics_sink(m);
    g_autoptr(FsEngine) engine = fs_engine_new(&cfg, &sink);
    g_autofree char *text = NULL;
    g_autofree char *later = NULL;

    for (guint h = 1; h <= 60; h++)
        close_from_host(engine, h, h, 0);
    text = fs_metrics_render(m, engine, 0);
    assert_line(text, "finscope_time_wait_endpoints{host=\"10.1.0.60\"} 60");
    assert_line(text, "finscope_time_wait_endpoints{host=\"10.1.0.11\"} 11");
    assert_line(text, "finscope_time_wait_endpoints{host=\"other\"} 55");
    assert_line(text, "finscope_time_wait_hosts 60");
    g_assert_null(strstr(text, "host=\"10.1.0.10\""));
    g_assert_null(strstr(text, "host=\"10.0.0.2\"")); /* at 0 */
    /* the busiest first */
    g_assert_true(strstr(text, "\"10.1.0.60\"") <
                  strstr(text, "\"10.1.0.59\""));
    fs_engine_advance(engine, FS_SCRIPT_T0 + 61 * FS_NS_PER_SEC);
    later = fs_metrics_render(m, engine, 0);
    g_assert_null(strstr(later, "finscope_time_wait_endpoints{"));
    assert_line(later, "finscope_time_wait_hosts 0");
    assert_line(later,
                "finscope_connections_finished_total{close=\"graceful\"} "
                "1830");
}

/* ---- the HTTP endpoint: a blocking client in a thread, the server in
 * the main context ---- */

typedef struct {
    char *address;      /* "127.0.0.1:PORT" */
    const char *request;
    char *response;     /* what came back */
    gboolean done;
} Scrape;

static char *
render_fixed(gpointer user)
{
    return g_strdup(user);
}

/* A server on a free loopback port answering "x 1\n". */
static FsMetricsServer *
server_x1(void)
{
    g_autoptr(GError) error = NULL;
    FsMetricsServer *s = fs_metrics_server_new("127.0.0.1:0", render_fixed,
                                               "x 1\n", &error);

    g_assert_no_error(error);
    return s;
}

static gpointer
scrape_thread(gpointer p)
{
    Scrape *sc = p;
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketConnection) conn = NULL;
    g_autoptr(GError) error = NULL;
    GString *got = g_string_new(NULL);
    char buf[1024];
    gssize n;

    conn = g_socket_client_connect_to_host(client, sc->address, 0, NULL,
                                           &error);
    g_assert_no_error(error);
    g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)),
                              sc->request, strlen(sc->request), NULL, NULL,
                              &error);
    g_assert_no_error(error);
    while ((n = g_input_stream_read(
                g_io_stream_get_input_stream(G_IO_STREAM(conn)), buf,
                sizeof buf, NULL, &error)) > 0)
        g_string_append_len(got, buf, n);
    g_assert_no_error(error);
    sc->response = g_string_free(got, FALSE);
    g_atomic_int_set(&sc->done, TRUE);
    g_main_context_wakeup(NULL);
    return NULL;
}

static char *
scrape(FsMetricsServer *s, const char *request)
{
    Scrape sc = { g_strdup(fs_metrics_server_address(s)), request, NULL,
                  FALSE };
    GThread *t = g_thread_new("scrape", scrape_thread, &sc);

    while (!g_atomic_int_get(&sc.done))
        g_main_context_iteration(NULL, TRUE);
    g_thread_join(t);
    g_free(sc.address);
    return sc.response;
}

static void
test_http(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(FsMetricsServer) s = fs_metrics_server_new(
        "127.0.0.1:0", render_fixed, "finscope_packets_total 3\n", &error);
    g_autofree char *ok = NULL;
    g_autofree char *query = NULL;
    g_autofree char *missing = NULL;
    g_autofree char *post = NULL;

    g_assert_no_error(error);
    g_assert_true(g_str_has_prefix(fs_metrics_server_address(s),
                                   "127.0.0.1:"));
    ok = scrape(s, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    g_assert_true(g_str_has_prefix(ok, "HTTP/1.1 200 OK\r\n"));
    g_assert_nonnull(strstr(ok, "\r\nContent-Type: text/plain; "
                                "version=0.0.4\r\n"));
    g_assert_nonnull(strstr(ok, "\r\nContent-Length: 25\r\n"));
    g_assert_true(g_str_has_suffix(ok, "\r\n\r\nfinscope_packets_total 3\n"));
    query = scrape(s, "GET /metrics?x=1 HTTP/1.0\n\n");
    g_assert_true(g_str_has_prefix(query, "HTTP/1.1 200 OK\r\n"));
    missing = scrape(s, "GET / HTTP/1.1\r\n\r\n");
    g_assert_true(g_str_has_prefix(missing, "HTTP/1.1 404 Not Found\r\n"));
    post = scrape(s, "POST /metrics HTTP/1.1\r\n\r\n");
    g_assert_true(g_str_has_prefix(post, "HTTP/1.1 405 "));
}

static void
test_http_bad_address(void)
{
    const char *bad[] = { "9187", "localhost:9187", "1.2.3.4:99999",
                          "1.2.3.4:", "[::1:80", "[]:9187" };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        FsMetricsServer *s =
            fs_metrics_server_new(bad[i], render_fixed, "", &error);

        g_assert_null(s);
        g_assert_error(error, FS_ERROR, FS_ERROR_USAGE);
    }
}

static void
test_listen_check(void)
{
    const char *good[] = { "127.0.0.1:0", "[::1]:0", ":0", "0.0.0.0:9187",
                           "[::]:65535" };
    const char *bad[] = { "[]:9187", "[", ":", ":99999", "host:", "[::1",
                          "::1:80", "[127.0.0.1]:80", "1.2.3.4:+80",
                          "1.2.3.4: 80", "", "[]:" };

    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(GError) error = NULL;

        g_assert_true(fs_metrics_listen_check(good[i], &error));
        g_assert_no_error(error);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;

        g_assert_false(fs_metrics_listen_check(bad[i], &error));
        g_assert_error(error, FS_ERROR, FS_ERROR_USAGE);
    }
}

/* A socket connected to the server, from this thread (the kernel
 * completes the handshake; the server accepts when the context runs);
 * rcvbuf bytes of receive buffer, or the default with 0. */
static GSocket *
connect_with(FsMetricsServer *s, gint rcvbuf)
{
    g_autoptr(GSocketAddress) addr = NULL;
    g_autoptr(GError) error = NULL;
    const char *a = fs_metrics_server_address(s);
    const char *colon = strrchr(a, ':');
    g_autofree char *host = g_strndup(a, (gsize)(colon - a));
    GSocket *sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, &error);

    g_assert_no_error(error);
    if (rcvbuf > 0)
        g_assert_true(g_socket_set_option(sock, SOL_SOCKET, SO_RCVBUF, rcvbuf,
                                          &error));
    addr = g_inet_socket_address_new_from_string(
        host, (guint)g_ascii_strtoull(colon + 1, NULL, 10));
    g_assert_true(g_socket_connect(sock, addr, NULL, &error));
    g_assert_no_error(error);
    return sock;
}

static GSocket *
connect_raw(FsMetricsServer *s)
{
    return connect_with(s, 0);
}

/* TRUE once the server closed sock (EOF or reset), without blocking. */
static gboolean
closed_by_server(GSocket *sock)
{
    char buf[64];
    g_autoptr(GError) error = NULL;
    gssize n = g_socket_receive_with_blocking(sock, buf, sizeof buf, FALSE,
                                              NULL, &error);

    return n == 0 || (n < 0 && !g_error_matches(error, G_IO_ERROR,
                                                G_IO_ERROR_WOULD_BLOCK));
}

static void
run_for_ms(guint ms)
{
    gint64 until = g_get_monotonic_time() + (gint64)ms * 1000;

    while (g_get_monotonic_time() < until) {
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(1000);
    }
}

/* Slowloris: one byte every 300 ms does not extend the 2 s from accept;
 * the client is closed unanswered at its deadline, and counted. */
static void
test_http_deadline(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(FsMetricsServer) s = server_x1();
    g_autoptr(GSocket) slow = NULL;
    gint64 t0 = g_get_monotonic_time();
    gint64 closed_at = 0;

    slow = connect_raw(s);
    while (closed_at == 0 && g_get_monotonic_time() - t0 < 5000000) {
        (void)g_socket_send(slow, "G", 1, NULL, NULL);
        run_for_ms(300);
        if (closed_by_server(slow))
            closed_at = g_get_monotonic_time();
    }
    g_assert_cmpint(closed_at, !=, 0);
    g_assert_cmpint(closed_at - t0, >=, 1900000);
    g_assert_cmpint(closed_at - t0, <, 3000000);
    g_assert_cmpuint(fs_metrics_server_stats(s)->deadline_closed, ==, 1);
    g_assert_cmpuint(fs_metrics_server_stats(s)->scrapes, ==, 0);
}

/* A server whose answer is 8 MiB (*big, the caller's to free) and, in
 * *silent, a scraper that sent its request and does not read (a 4 KiB
 * receive buffer): the answer cannot be written at once. */
static FsMetricsServer *
server_with_unread_answer(char **big, GSocket **silent)
{
    g_autoptr(GError) error = NULL;
    const char *req = "GET /metrics HTTP/1.1\r\n\r\n";
    FsMetricsServer *s;

    *big = g_malloc(8 * 1024 * 1024 + 1);
    memset(*big, 'x', 8 * 1024 * 1024);
    (*big)[8 * 1024 * 1024] = '\0';
    s = fs_metrics_server_new("127.0.0.1:0", render_fixed, *big, &error);
    g_assert_no_error(error);
    *silent = connect_with(s, 4096);
    g_assert_cmpint(g_socket_send(*silent, req, strlen(req), NULL, &error),
                    ==, (gssize)strlen(req));
    return s;
}

/* A scraper that sends its request and never reads a large answer: the
 * write cannot finish, and the deadline ends it (its answer freed), so
 * scrapers that never read cannot pile up memory. */
static void
test_http_never_reads(void)
{
    g_autofree char *big = NULL;
    g_autoptr(GSocket) silent = NULL;
    g_autoptr(FsMetricsServer) s = server_with_unread_answer(&big, &silent);
    gint64 t0 = g_get_monotonic_time();

    while (fs_metrics_server_stats(s)->deadline_closed == 0 &&
           g_get_monotonic_time() - t0 < 5 * G_USEC_PER_SEC)
        run_for_ms(50);
    g_assert_cmpuint(fs_metrics_server_stats(s)->scrapes, ==, 1);
    g_assert_cmpuint(fs_metrics_server_stats(s)->deadline_closed, ==, 1);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 3 * G_USEC_PER_SEC);
}

/* More silent clients than the cap: the oldest are closed at once to
 * make room, and a scrape still gets its answer. */
static void
test_http_capacity(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(FsMetricsServer) s = server_x1();
    guint max = 0;
    GSocket *socks[128];
    g_autofree char *ok = NULL;

    max = fs_metrics_server_clients_max(s);
    g_assert_cmpuint(max, >=, 1);
    g_assert_cmpuint(max + 5, <=, G_N_ELEMENTS(socks));
    for (guint i = 0; i < max + 5; i++) {
        socks[i] = connect_raw(s);
        run_for_ms(5); /* accepted in this order */
    }
    run_for_ms(100);
    g_assert_cmpuint(fs_metrics_server_stats(s)->accepted, ==, max + 5);
    g_assert_cmpuint(fs_metrics_server_stats(s)->capacity_closed, ==, 5);
    for (guint i = 0; i < max + 5; i++)
        g_assert_true(closed_by_server(socks[i]) == (i < 5));
    ok = scrape(s, "GET /metrics HTTP/1.1\r\n\r\n");
    g_assert_true(g_str_has_suffix(ok, "\r\n\r\nx 1\n"));
    for (guint i = 0; i < max + 5; i++)
        g_object_unref(socks[i]);
}

/* Full while a scraper is being answered (the oldest client then): the
 * room comes from the clients still reading their request heads, and
 * the answer under way goes on. */
static void
test_http_capacity_answering(void)
{
    g_autofree char *big = NULL;
    g_autoptr(GSocket) answered = NULL;
    /* its answer cannot be written at once: it stays being answered */
    g_autoptr(FsMetricsServer) s = server_with_unread_answer(&big, &answered);
    guint max = fs_metrics_server_clients_max(s);
    GSocket *socks[128];

    g_assert_cmpuint(max, <=, G_N_ELEMENTS(socks));
    run_for_ms(100);
    g_assert_cmpuint(fs_metrics_server_stats(s)->scrapes, ==, 1);
    for (guint i = 0; i < max; i++) {
        socks[i] = connect_raw(s);
        run_for_ms(5); /* accepted in this order */
    }
    run_for_ms(100);
    g_assert_cmpuint(fs_metrics_server_stats(s)->accepted, ==, max + 1);
    g_assert_cmpuint(fs_metrics_server_stats(s)->capacity_closed, ==, 1);
    g_assert_true(closed_by_server(socks[0]));
    for (guint i = 1; i < max; i++)
        g_assert_false(closed_by_server(socks[i]));
    g_assert_cmpuint(fs_metrics_server_stats(s)->deadline_closed, ==, 0);
    for (guint i = 0; i < max; i++)
        g_object_unref(socks[i]);
}

/* A request already there when its connection is accepted is answered
 * then, in the same turn of the main loop: from its accept on, the
 * scraper is being answered, not among those still reading that make
 * room first (a flood of attackers turns the room over in under a ms). */
static void
test_http_answer_at_accept(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(FsMetricsServer) s = server_x1();
    const char *req = "GET /metrics HTTP/1.1\r\n\r\n";
    g_autoptr(GSocket) sock = NULL;
    gint64 t0 = g_get_monotonic_time();
    char buf[256];
    gssize n;

    sock = connect_raw(s);
    g_assert_cmpint(g_socket_send(sock, req, strlen(req), NULL, &error), ==,
                    (gssize)strlen(req));
    g_usleep(20000); /* loopback: in the server's socket by now */
    while (fs_metrics_server_stats(s)->accepted == 0 &&
           g_get_monotonic_time() - t0 < 5 * G_USEC_PER_SEC)
        g_main_context_iteration(NULL, TRUE);
    g_assert_cmpuint(fs_metrics_server_stats(s)->accepted, ==, 1);
    g_assert_cmpuint(fs_metrics_server_stats(s)->scrapes, ==, 1);
    run_for_ms(100);
    g_socket_set_timeout(sock, 5);
    n = g_socket_receive(sock, buf, sizeof buf - 1, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpint(n, >, 0);
    buf[n] = '\0';
    g_assert_true(g_str_has_prefix(buf, "HTTP/1.1 200 OK\r\n"));
}

/* Full of clients still reading: the room comes from the oldest that
 * sent part of a head (slowloris) before the older one that sent
 * nothing yet (maybe a scraper whose request is on its way). */
static void
test_http_capacity_partial_first(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(FsMetricsServer) s = server_x1();
    guint max = 0;
    GSocket *socks[128];

    max = fs_metrics_server_clients_max(s);
    g_assert_cmpuint(max, >=, 2);
    g_assert_cmpuint(max + 1, <=, G_N_ELEMENTS(socks));
    for (guint i = 0; i < max + 1; i++) {
        socks[i] = connect_raw(s);
        /* the first and the last send nothing */
        if (i > 0 && i < max)
            g_assert_cmpint(g_socket_send(socks[i], "G", 1, NULL, &error),
                            ==, 1);
        run_for_ms(5); /* accepted and read in this order */
    }
    run_for_ms(100);
    g_assert_cmpuint(fs_metrics_server_stats(s)->accepted, ==, max + 1);
    g_assert_cmpuint(fs_metrics_server_stats(s)->capacity_closed, ==, 1);
    for (guint i = 0; i < max + 1; i++)
        g_assert_true(closed_by_server(socks[i]) == (i == 1));
    for (guint i = 0; i < max + 1; i++)
        g_object_unref(socks[i]);
}

/* No fd left to accept with (RLIMIT_NOFILE): the error is logged once,
 * accepting pauses (a few tries, not a spin), and resumes once fds are
 * back. In a subprocess: the limit and stderr stay there. */
static void
test_http_accept_errors(void)
{
    if (g_test_subprocess()) {
        g_autoptr(GError) error = NULL;
        g_autoptr(FsMetricsServer) s = fs_metrics_server_new(
            "127.0.0.1:0", render_fixed, "x 1\n", &error);
        GSocket *socks[3];
        struct rlimit saved;
        struct rlimit low;
        int lowest = dup(0);

        g_assert_no_error(error);
        for (guint i = 0; i < G_N_ELEMENTS(socks); i++)
            socks[i] = connect_raw(s);
        close(lowest);
        lowest = dup(0);
        close(lowest);
        g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &saved), ==, 0);
        low = saved;
        low.rlim_cur = (rlim_t)lowest;
        g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &low), ==, 0);
        run_for_ms(1000);
        g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &saved), ==, 0);
        g_assert_cmpuint(fs_metrics_server_stats(s)->accept_errors, >=, 1);
        g_assert_cmpuint(fs_metrics_server_stats(s)->accept_errors, <=, 6);
        g_assert_cmpuint(fs_metrics_server_stats(s)->accepted, ==, 0);
        run_for_ms(500);
        g_assert_cmpuint(fs_metrics_server_stats(s)->accepted, ==, 3);
        for (guint i = 0; i < G_N_ELEMENTS(socks); i++)
            g_object_unref(socks[i]);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*metrics: accept: *pausing*");
    g_test_trap_assert_stderr_unmatched("*pausing*pausing*");
}

static void
test_file(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("finscope-metrics-XXXXXX", &error);
    g_autofree char *path = NULL;
    g_autofree char *got = NULL;
    g_autoptr(GDir) d = NULL;
    guint n = 0;

    g_assert_no_error(error);
    path = g_build_filename(dir, "finscope.prom", NULL);
    g_assert_true(fs_metrics_write_file(path, "a 1\n", &error));
    g_assert_true(fs_metrics_write_file(path, "a 2\n", &error));
    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(path, &got, NULL, NULL));
    g_assert_cmpstr(got, ==, "a 2\n");
    d = g_dir_open(dir, 0, NULL);
    while (g_dir_read_name(d) != NULL)
        n++;
    g_assert_cmpuint(n, ==, 1); /* no temporary file left behind */
    g_unlink(path);
    g_rmdir(dir);
    g_assert_false(fs_metrics_write_file("/nonexistent/dir/x.prom", "",
                                         &error));
    g_assert_error(error, FS_ERROR, FS_ERROR_WRITE);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/metrics/render/server-close", test_render_server_close);
    g_test_add_func("/metrics/render/reset", test_render_reset);
    g_test_add_func("/metrics/render/stuck", test_render_stuck);
    g_test_add_func("/metrics/render/format", test_render_format);
    g_test_add_func("/metrics/render/top-hosts", test_render_top_hosts);
    g_test_add_func("/metrics/listen/check", test_listen_check);
    g_test_add_func("/metrics/http/get", test_http);
    g_test_add_func("/metrics/http/bad-address", test_http_bad_address);
    g_test_add_func("/metrics/http/deadline", test_http_deadline);
    g_test_add_func("/metrics/http/never-reads", test_http_never_reads);
    g_test_add_func("/metrics/http/capacity", test_http_capacity);
    g_test_add_func("/metrics/http/capacity-answering",
                    test_http_capacity_answering);
    g_test_add_func("/metrics/http/answer-at-accept",
                    test_http_answer_at_accept);
    g_test_add_func("/metrics/http/capacity-partial-first",
                    test_http_capacity_partial_first);
    g_test_add_func("/metrics/http/accept-errors", test_http_accept_errors);
    g_test_add_func("/metrics/file", test_file);
    return g_test_run();
}
