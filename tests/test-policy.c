/* finscope tests: check's policy assertions, baselines and verdicts. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <glib.h>

#include "baseline.h"
#include "checkmodel.h"
#include "finscope/error.h"
#include "finscope/report.h"
#include "policy.h"
#include "verdict.h"

/* One connection's verdict, written the way a person reads it. */
typedef struct {
    const char *client;     /* "10.0.0.1:40001" or "[2001:db8::1]:40010" */
    const char *server;
    FsCloseKind close;
    FsCloser closer;
    gint8 rst_from;         /* FsRole or FS_ROLE_NONE */
    FsTcpState client_end;
    FsTcpState server_end;
    guint32 fin_rtx_client; /* FIN retransmissions */
    guint32 fin_rtx_server;
    guint32 final_ack_lost;
    const char *flags;      /* comma separated, "" for none */
} ConnSpec;

#define NONE FS_ROLE_NONE
#define CLIENT FS_ROLE_CLIENT
#define SERVER FS_ROLE_SERVER

/* Ten connections that between them touch every field; ids 1..10. */
static const ConnSpec mixed[] = {
    /* 1: the client closes first, FIN / FIN+ACK / ACK */
    { "10.0.0.1:40001", "10.0.0.2:80", FS_CLOSE_GRACEFUL, FS_CLOSER_CLIENT,
      NONE, FS_TCP_TIME_WAIT, FS_TCP_CLOSED, 0, 0, 0, "three_way_close" },
    /* 2: the server closes first and re-sends its FIN once */
    { "10.0.0.1:40002", "10.0.0.2:80", FS_CLOSE_GRACEFUL, FS_CLOSER_SERVER,
      NONE, FS_TCP_CLOSED, FS_TCP_TIME_WAIT, 0, 1, 0,
      "fin_retransmit,reuse_in_time_wait,old_duplicate" },
    /* 3: the server resets; it ends a TIME_WAIT */
    { "10.0.0.3:40003", "10.0.0.2:443", FS_CLOSE_RESET, FS_CLOSER_NONE,
      SERVER, FS_TCP_CLOSED, FS_TCP_CLOSED, 0, 0, 0,
      "time_wait_assassinated" },
    /* 4: a half-close the server never finished */
    { "10.0.0.3:40004", "10.0.0.2:443", FS_CLOSE_INCOMPLETE,
      FS_CLOSER_CLIENT, NONE, FS_TCP_FIN_WAIT_2, FS_TCP_CLOSE_WAIT, 0, 0, 0,
      "half_close" },
    /* 5: still open, seen mid-stream */
    { "10.0.0.1:40005", "10.0.0.2:80", FS_CLOSE_OPEN, FS_CLOSER_NONE, NONE,
      FS_TCP_ESTABLISHED, FS_TCP_ESTABLISHED, 0, 0, 0, "roles_inferred" },
    /* 6: FINs crossed; the client re-sent its FIN twice, once after its
     * final ACK was seen */
    { "10.0.0.4:40006", "10.0.0.2:80", FS_CLOSE_GRACEFUL,
      FS_CLOSER_SIMULTANEOUS, NONE, FS_TCP_TIME_WAIT, FS_TCP_TIME_WAIT, 2,
      0, 1, "simultaneous_close,fin_retransmit,final_ack_lost" },
    /* 7: the server's FIN unanswered, the client's FIN unacknowledged;
     * an RST in between that the client would not accept */
    { "10.0.0.5:40007", "10.0.0.2:22", FS_CLOSE_INCOMPLETE,
      FS_CLOSER_SERVER, NONE, FS_TCP_LAST_ACK, FS_TCP_FIN_WAIT_1, 0, 0, 0,
      "rst_ignored,peer_silent" },
    /* 8: FINs crossed, neither acknowledged, data after a FIN */
    { "10.0.0.5:40008", "10.0.0.2:22", FS_CLOSE_INCOMPLETE,
      FS_CLOSER_SIMULTANEOUS, NONE, FS_TCP_CLOSING, FS_TCP_CLOSING, 0, 0, 0,
      "simultaneous_close,data_after_fin" },
    /* 9: the client resets after odd flags and a capture gap, data having
     * reached it after its close */
    { "10.0.0.6:40009", "10.0.0.2:443", FS_CLOSE_RESET, FS_CLOSER_NONE,
      CLIENT, FS_TCP_CLOSED, FS_TCP_CLOSED, 0, 0, 0,
      "abort_after_close,capture_loss,illegal_flags" },
    /* 10: one direction only, over IPv6 */
    { "[2001:db8::1]:40010", "[2001:db8::2]:80", FS_CLOSE_INCOMPLETE,
      FS_CLOSER_CLIENT, NONE, FS_TCP_UNKNOWN, FS_TCP_UNKNOWN, 0, 0, 0,
      "one_sided" },
};

static void
parse_endpoint(const char *text, FsAddr *addr, guint16 *port)
{
    g_autofree char *host = g_strdup(text);
    char *colon = strrchr(host, ':');

    *colon = '\0';
    *port = (guint16)g_ascii_strtoull(colon + 1, NULL, 10);
    memset(addr, 0, sizeof *addr);
    if (host[0] == '[') {
        host[strlen(host) - 1] = '\0';
        addr->family = 6;
        g_assert_cmpint(inet_pton(AF_INET6, host + 1, addr->bytes), ==, 1);
    } else {
        addr->family = 4;
        g_assert_cmpint(inet_pton(AF_INET, host, addr->bytes), ==, 1);
    }
}

static FsCheckConn *
conn_from_spec(const ConnSpec *s, guint64 id)
{
    FsCheckConn *c = g_new0(FsCheckConn, 1);
    g_auto(GStrv) flags = g_strsplit(s->flags, ",", -1);

    c->id = id;
    parse_endpoint(s->client, &c->addr[CLIENT], &c->port[CLIENT]);
    parse_endpoint(s->server, &c->addr[SERVER], &c->port[SERVER]);
    c->t_first = (FsTime)1767225600 * FS_NS_PER_SEC +
                 (FsTime)id * FS_NS_PER_MSEC;
    c->close = s->close;
    c->active_closer = s->closer;
    c->rst_from = s->rst_from;
    c->end_state[CLIENT] = s->client_end;
    c->end_state[SERVER] = s->server_end;
    c->fin_retransmits[CLIENT] = s->fin_rtx_client;
    c->fin_retransmits[SERVER] = s->fin_rtx_server;
    c->final_ack_lost = s->final_ack_lost;
    for (guint i = 0; s->flags[0] != '\0' && flags[i] != NULL; i++)
        g_assert_cmpint(fs_flag_from_name(flags[i]), >=, 0);
    c->flags = fs_flag_bits((const char *const *)flags);
    return c;
}

static FsCheckModel *
model_new(const ConnSpec *specs, gsize n)
{
    FsEngineConfig cfg = { .msl = 30 * FS_NS_PER_SEC };
    FsCheckModel *m = fs_check_model_new(&cfg);

    for (gsize i = 0; i < n; i++)
        fs_check_model_take(m, conn_from_spec(&specs[i], i + 1));
    return m;
}

static FsCheckModel *
mixed_model(void)
{
    return model_new(mixed, G_N_ELEMENTS(mixed));
}

/* Parses text (which must be valid) and evaluates it over m. */
static gboolean
holds(const FsCheckModel *m, const char *text, FsPolicyResult *out)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(FsPolicyExpr) e = fs_policy_parse(text, NULL, &error);
    FsPolicyResult res;
    gboolean passed;

    g_assert_no_error(error);
    g_assert_nonnull(e);
    fs_policy_eval(e, m, &res);
    passed = res.passed;
    if (out != NULL)
        *out = res;
    else
        fs_policy_result_clear(&res);
    return passed;
}

/* ---- summary fields, every operator ------------------------------------ */

/* The value of each summary field over mixed[], counted by hand. */
static const struct {
    const char *field;
    guint64 value;
} mixed_values[] = {
    { "connections", 10 },
    { "graceful_closes", 3 },       /* 1, 2, 6 */
    { "resets", 2 },                /* 3, 9 */
    { "incomplete_closes", 4 },     /* 4, 7, 8, 10 */
    { "open", 1 },                  /* 5 */
    { "client_active_closes", 3 },  /* 1, 4, 10 */
    { "server_active_closes", 2 },  /* 2, 7 */
    { "simultaneous_closes", 2 },   /* 6, 8 */
    { "rst_from_client", 1 },       /* 9 */
    { "rst_from_server", 1 },       /* 3 */
    { "half_closes", 1 },           /* 4 */
    { "three_way_closes", 1 },      /* 1 */
    { "fin_retransmits", 3 },       /* 2: server 1; 6: client 2 */
    { "final_ack_lost", 1 },        /* 6 */
    { "time_wait_at_end", 4 },      /* 1 client, 2 server, 6 both */
    { "time_wait_peak", 4 },        /* for now = at end */
    { "stuck_fin_wait_1", 1 },      /* 7 server */
    { "stuck_fin_wait_2", 1 },      /* 4 client */
    { "stuck_close_wait", 1 },      /* 4 server */
    { "stuck_closing", 2 },         /* 8 both */
    { "stuck_last_ack", 1 },        /* 7 client */
    { "one_sided", 1 },             /* 10 */
    { "roles_inferred", 1 },        /* 5 */
    { "data_after_fin", 1 },        /* 8 */
    { "time_wait_assassinated", 1 },/* 3 */
    { "aborts_after_close", 1 },    /* 9 */
    { "rst_ignored", 1 },           /* 7 */
    { "peer_silent", 1 },           /* 7 */
    { "reuse_in_time_wait", 1 },    /* 2 */
    { "old_duplicates", 1 },        /* 2 */
    { "capture_loss", 1 },          /* 9 */
    { "illegal_flags", 1 },         /* 9 */
};

/* "FIELD OP N" must come out as want. */
static void
assert_cmp(const FsCheckModel *m, const char *field, const char *op,
           guint64 n, gboolean want)
{
    g_autofree char *text = g_strdup_printf("%s %s %" G_GUINT64_FORMAT,
                                            field, op, n);

    if (holds(m, text, NULL) != want)
        g_error("'%s' should %s", text, want ? "hold" : "fail");
}

/* Each field with each operator, once passing and once failing. */
static void
test_summary_fields(void)
{
    g_autoptr(FsCheckModel) m = mixed_model();
    const char *const *baseline = fs_policy_baseline_fields();

    for (gsize i = 0; i < G_N_ELEMENTS(mixed_values); i++) {
        const char *f = mixed_values[i].field;
        guint64 v = mixed_values[i].value;

        g_assert_true(fs_policy_is_summary_field(f));
        g_assert_cmpuint(fs_policy_summary_value(m, f, NULL), ==, v);
        assert_cmp(m, f, "==", v, TRUE);
        assert_cmp(m, f, "==", v + 1, FALSE);
        assert_cmp(m, f, "!=", v + 1, TRUE);
        assert_cmp(m, f, "!=", v, FALSE);
        assert_cmp(m, f, "<", v + 1, TRUE);
        assert_cmp(m, f, "<", v, FALSE);
        assert_cmp(m, f, "<=", v, TRUE);
        assert_cmp(m, f, "<=", v - 1, FALSE);
        assert_cmp(m, f, ">", v - 1, TRUE);
        assert_cmp(m, f, ">", v, FALSE);
        assert_cmp(m, f, ">=", v, TRUE);
        assert_cmp(m, f, ">=", v + 1, FALSE);
    }
    /* Every field is in the table above; all but the peak in baselines. */
    for (guint i = 0; baseline[i] != NULL; i++) {
        gboolean found = FALSE;

        for (gsize k = 0; k < G_N_ELEMENTS(mixed_values); k++)
            found = found || strcmp(mixed_values[k].field, baseline[i]) == 0;
        g_assert_true(found);
    }
    g_assert_cmpuint(g_strv_length((char **)baseline), ==,
                     G_N_ELEMENTS(mixed_values) - 1);
    g_assert_false(g_strv_contains(baseline, "time_wait_peak"));
}

/* A failed summary assertion lists what the field counted. */
static void
test_summary_names_connections(void)
{
    g_autoptr(FsCheckModel) m = mixed_model();
    FsPolicyResult res;
    const FsCheckConn *c = NULL;

    g_assert_false(holds(m, "server_active_closes == 0", &res));
    g_assert_cmpuint(res.value, ==, 2);
    g_assert_cmpuint(res.conns->len, ==, 2);
    c = g_ptr_array_index(res.conns, 0);
    g_assert_cmpuint(c->id, ==, 2);
    c = g_ptr_array_index(res.conns, 1);
    g_assert_cmpuint(c->id, ==, 7);
    g_assert_cmpstr(res.message, ==, "server_active_closes is 2, want == 0");
    fs_policy_result_clear(&res);

    g_assert_false(holds(m, "resets==0", &res));
    g_assert_cmpuint(res.conns->len, ==, 2);
    c = g_ptr_array_index(res.conns, 0);
    g_assert_cmpuint(c->id, ==, 3);
    c = g_ptr_array_index(res.conns, 1);
    g_assert_cmpuint(c->id, ==, 9);
    fs_policy_result_clear(&res);
}

/* Labels pick connections, or endpoints for fields that count them. */
static void
test_summary_labels(void)
{
    g_autoptr(FsCheckModel) m = mixed_model();
    static const char *const pass[] = {
        "time_wait_at_end{host=\"10.0.0.2\"} == 2",  /* 2 and 6 server */
        "time_wait_at_end{host=\"10.0.0.4\"} == 1",  /* 6 client only */
        "time_wait_at_end{host=\"10.0.0.9\"} == 0",
        "time_wait_at_end{role=\"client\"} == 2",
        "time_wait_at_end{role=\"server\",host=\"10.0.0.1\"} == 0",
        "time_wait_at_end{server_port=\"80\"} == 4",
        "time_wait_peak{host=\"10.0.0.2\"} == 2",
        "fin_retransmits{role=\"client\"} == 2",
        "fin_retransmits{ role = \"server\" , } == 1",
        "resets{host=\"10.0.0.3\"} == 1",       /* either endpoint */
        "resets{host=\"10.0.0.2\"} == 2",
        "connections{server_host=\"10.0.0.2\"} == 9",
        "connections{client_host=\"10.0.0.1\"} == 3",
        "connections{client_host=\"10.0.0.1\",server_port=\"80\"} == 3",
        "connections{host=\"2001:DB8:0::1\"} == 1", /* compared as IPs */
        "stuck_closing{server_port=\"22\",role=\"server\"} == 1",
        "connections{} == 10",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(pass); i++) {
        if (!holds(m, pass[i], NULL))
            g_error("'%s' should hold", pass[i]);
    }
    g_assert_false(holds(m, "time_wait_at_end{host=\"10.0.0.2\"} < 2",
                         NULL));
    g_assert_cmpuint(fs_policy_summary_value(m, "time_wait_at_end",
                                             "10.0.0.2"), ==, 2);
}

/* Peaks the engine reports replace the count at the end. */
static void
test_time_wait_peak_reported(void)
{
    g_autoptr(FsCheckModel) m = mixed_model();
    FsPolicyResult res;

    fs_check_model_set_time_wait_peak(m, NULL, 9);
    fs_check_model_set_time_wait_peak(m, "10.0.0.2", 7);
    g_assert_true(holds(m, "time_wait_peak == 9", NULL));
    g_assert_true(holds(m, "time_wait_peak{host=\"10.0.0.2\"} == 7", NULL));
    g_assert_true(holds(m, "time_wait_peak{host=\"10.0.0.9\"} == 0", NULL));
    g_assert_true(holds(m, "time_wait_at_end == 4", NULL));
    g_assert_false(holds(m, "time_wait_peak{host=\"10.0.0.2\"} <= 5",
                         &res));
    /* It names the connections still holding TIME_WAIT there. */
    g_assert_cmpuint(res.conns->len, ==, 2);
    g_assert_cmpstr(res.message, ==, "time_wait_peak{host=\"10.0.0.2\"} is "
                    "7, want <= 5");
    fs_policy_result_clear(&res);
}

/* ---- connection fields ------------------------------------------------- */

static const struct {
    const char *text;
    gboolean passes;
    guint broken;     /* connections that break it */
    guint checked;    /* connections the labels keep */
} conn_cases[] = {
    { "conn.close != \"reset\"", FALSE, 2, 10 },
    { "conn.close{server_port=\"80\"} != \"reset\"", TRUE, 0, 5 },
    { "conn.close == \"graceful\"", FALSE, 7, 10 },
    { "conn.active_closer != \"server\"", FALSE, 2, 10 },
    { "conn.active_closer{server_port=\"443\"} != \"server\"", TRUE, 0, 3 },
    { "conn.active_closer{server_port=\"443\"} != \"none\"", FALSE, 2, 3 },
    { "conn.rst_from == \"none\"", FALSE, 2, 10 },
    { "conn.rst_from{server_port=\"80\"} == \"none\"", TRUE, 0, 5 },
    { "conn.client_end != \"LAST_ACK\"", FALSE, 1, 10 },
    { "conn.client_end{server_port=\"80\"} != \"LAST_ACK\"", TRUE, 0, 5 },
    { "conn.server_end != \"CLOSE_WAIT\"", FALSE, 1, 10 },
    { "conn.server_end{server_port=\"22\"} != \"CLOSE_WAIT\"", TRUE, 0, 2 },
    { "conn.client_host != \"10.0.0.6\"", FALSE, 1, 10 },
    { "conn.client_host{server_port=\"22\"} == \"10.0.0.5\"", TRUE, 0, 2 },
    { "conn.server_host == \"10.0.0.2\"", FALSE, 1, 10 },
    { "conn.server_host{host=\"2001:db8::1\"} == \"2001:db8:0::2\"", TRUE, 0,
      1 },
    { "conn.client_port >= 40000", TRUE, 0, 10 },
    { "conn.client_port < 40005", FALSE, 6, 10 },
    { "conn.server_port != 22", FALSE, 2, 10 },
    { "conn.server_port{host=\"10.0.0.3\"} == 443", TRUE, 0, 2 },
    { "conn.fin_retransmits == 0", FALSE, 2, 10 },
    { "conn.fin_retransmits > 2", FALSE, 10, 10 },
    { "conn.fin_retransmits{server_port=\"443\"} == 0", TRUE, 0, 3 },
    { "conn.final_ack_lost == 0", FALSE, 1, 10 },
    { "conn.final_ack_lost <= 1", TRUE, 0, 10 },
    { "conn.simultaneous_close == 0", FALSE, 2, 10 },
    { "conn.three_way_close == 0", FALSE, 1, 10 },
    { "conn.half_close == 0", FALSE, 1, 10 },
    { "conn.data_after_fin == 0", FALSE, 1, 10 },
    { "conn.time_wait_assassinated == 0", FALSE, 1, 10 },
    { "conn.reuse_in_time_wait == 0", FALSE, 1, 10 },
    { "conn.old_duplicate == 0", FALSE, 1, 10 },
    { "conn.capture_loss == 0", FALSE, 1, 10 },
    { "conn.illegal_flags == 0", FALSE, 1, 10 },
    { "conn.one_sided == 0", FALSE, 1, 10 },
    { "conn.roles_inferred == 0", FALSE, 1, 10 },
    { "conn.one_sided{server_port=\"443\"} == 0", TRUE, 0, 3 },
    { "conn.illegal_flags <= 1", TRUE, 0, 10 },
    { "conn.close{server_port=\"9\"} == \"open\"", TRUE, 0, 0 },
};

/* Each connection field once passing and once failing, with the
 * connections that break it counted. */
static void
test_conn_fields(void)
{
    g_autoptr(FsCheckModel) m = mixed_model();

    for (gsize i = 0; i < G_N_ELEMENTS(conn_cases); i++) {
        FsPolicyResult res;
        gboolean passed = holds(m, conn_cases[i].text, &res);

        if (passed != conn_cases[i].passes ||
            res.conns->len != conn_cases[i].broken ||
            res.checked != conn_cases[i].checked)
            g_error("'%s': passed %d, broken %u, checked %" G_GUINT64_FORMAT,
                    conn_cases[i].text, passed, res.conns->len, res.checked);
        fs_policy_result_clear(&res);
    }
}

static void
test_conn_names_connections(void)
{
    g_autoptr(FsCheckModel) m = mixed_model();
    FsPolicyResult res;
    const FsCheckConn *c = NULL;
    g_autofree char *who = NULL;
    g_autofree char *what = NULL;

    g_assert_false(holds(m, "conn.active_closer != \"server\"", &res));
    g_assert_cmpstr(res.message, ==, "2 of 10 connections break it");
    c = g_ptr_array_index(res.conns, 0);
    who = fs_check_conn_describe(c);
    what = fs_check_conn_outcome(c);
    g_assert_cmpstr(who, ==, "#2 10.0.0.1:40002 > 10.0.0.2:80 started "
                    "2026-01-01T00:00:00.002000Z");
    g_assert_cmpstr(what, ==, "close=graceful active_closer=server "
                    "rst_from=- client_end=CLOSED server_end=TIME_WAIT "
                    "flags=fin_retransmit,reuse_in_time_wait,"
                    "old_duplicate");
    fs_policy_result_clear(&res);
    g_assert_true(holds(m, "conn.close{server_port=\"80\"} != \"reset\"",
                        &res));
    g_assert_cmpstr(res.message, ==, "all 5 connections pass");
    fs_policy_result_clear(&res);
}

/* ---- malformed expressions --------------------------------------------- */

static const struct {
    const char *text;
    gsize pos;         /* byte offset the caret points at */
    const char *what;  /* part of the message */
} bad_cases[] = {
    { "", 0, "empty assertion" },
    { "   ", 0, "empty assertion" },
    { "server_active_closes = 0", 21, "write == to compare" },
    { "server_active_closes 0", 21, "expected an operator" },
    { "server_active_closes =< 0", 21, "expected an operator" },
    { "server_closes == 0", 0, "unknown field 'server_closes'" },
    { "1resets == 0", 0, "expected a field name" },
    { "conn.foo == 1", 5, "unknown connection field 'foo'" },
    { "conn. == 1", 5, "unknown connection field" },
    { "resets{bogus=\"x\"} == 0", 7, "unknown label 'bogus'" },
    { "resets{host=\"1.2.3\"} == 0", 13, "not an IPv4 or IPv6 address" },
    { "resets{host=\"1.2.3.4\" == 0", 22, "expected ',' or '}'" },
    { "resets{host=\"1.2.3.4\",host=\"1.2.3.5\"} == 0", 22, "given twice" },
    { "resets{role=\"client\"} == 0", 7, "role label applies only" },
    { "conn.close{role=\"client\"} == \"reset\"", 11, "role label" },
    { "time_wait_at_end{role=\"peer\"} == 0", 23, "\"client\" or" },
    { "time_wait_peak{role=\"client\"} == 0", 15, "only the host label" },
    { "resets{host \"x\"} == 0", 12, "expected '='" },
    { "resets{host==\"x\"} == 0", 11, "expected '='" },
    { "resets{host=x} == 0", 12, "expected a quoted string" },
    { "resets{,} == 0", 7, "expected a label name" },
    { "resets{server_port=\"http\"} == 0", 20, "not a port number" },
    { "resets{server_port=\"70000\"} == 0", 20, "not a port number" },
    { "resets == ", 10, "expected a number, found the end" },
    { "resets == \"0\"", 10, "resets is a number" },
    { "resets == -1", 10, "expected a number, found '-'" },
    { "resets == 99999999999999999999999", 10, "too large" },
    { "resets == 0 0", 12, "unexpected '0'" },
    { "resets == 0 and resets < 2", 12, "unexpected 'a'" },
    { "conn.close < \"reset\"", 11, "== or != only" },
    { "conn.close == reset", 14, "expected a quoted string" },
    { "conn.close == 1", 14, "quote the value" },
    { "conn.close == \"rset\"", 15, "never \"rset\"" },
    { "conn.client_end == \"time_wait\"", 20, "TIME_WAIT" },
    { "conn.close == \"reset", 14, "never closed" },
    { "conn.close == \"re\\set\"", 17, "unknown escape" },
    { "conn.client_host == \"nope\"", 21, "not an IPv4" },
    { "conn.fin_retransmits == \"0\"", 24, "is a number" },
    { "résets == 0", 1, "names are ASCII letters, digits and _, not 'é'" },
};

static void
test_malformed(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autoptr(GError) error = NULL;
        gsize pos = 9999;
        g_autoptr(FsPolicyExpr) e = fs_policy_parse(bad_cases[i].text, &pos,
                                                    &error);

        g_assert_null(e);
        g_assert_error(error, FS_ERROR, FS_ERROR_USAGE);
        if (pos != bad_cases[i].pos ||
            strstr(error->message, bad_cases[i].what) == NULL)
            g_error("'%s': pos %" G_GSIZE_FORMAT " (want %" G_GSIZE_FORMAT
                    "), message '%s' (want '%s')", bad_cases[i].text, pos,
                    bad_cases[i].pos, error->message, bad_cases[i].what);
    }
}

/* The message counts columns in characters; the caret line keeps tabs. */
static void
test_caret(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *caret = fs_policy_caret("resets = 0", 7);
    g_autofree char *tabbed = fs_policy_caret("\tresets\t= 0", 8);
    g_autofree char *utf8 = fs_policy_caret("é == x", 3);
    g_autofree char *end = fs_policy_caret("resets ==", 9);
    gsize pos = 0;
    FsPolicyExpr *e = fs_policy_parse("conn.client_host == \"é\"", &pos,
                                      &error);

    g_assert_cmpstr(caret, ==, "  resets = 0\n         ^\n");
    g_assert_cmpstr(tabbed, ==, "  \tresets\t= 0\n  \t      \t^\n");
    g_assert_cmpstr(utf8, ==, "  é == x\n    ^\n");
    g_assert_cmpstr(end, ==, "  resets ==\n           ^\n");
    g_assert_null(e);
    g_assert_cmpuint(pos, ==, 21);
    g_assert_true(g_str_has_prefix(error->message, "column 22: "));
}

static void
test_parse_text(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(FsPolicyExpr) e = fs_policy_parse(
        "  time_wait_at_end { host = \"10.0.0.2\" }<=2\t", NULL, &error);

    g_assert_no_error(error);
    g_assert_cmpstr(fs_policy_expr_text(e), ==,
                    "time_wait_at_end { host = \"10.0.0.2\" }<=2");
}

/* ---- policy files ------------------------------------------------------ */

static void
test_policy_file(void)
{
    g_autoptr(GPtrArray) exprs = g_ptr_array_new_with_free_func(
        (GDestroyNotify)fs_policy_expr_free);
    g_autoptr(GError) error = NULL;
    const char *text =
        "# service close policy\n"
        "resets == 0\n"
        "\n"
        "   # indented comment\n"
        "  conn.close != \"reset\"   # no resets, per connection\r\n"
        "time_wait_at_end{host=\"10.0.0.2\"} <= 2";

    g_assert_true(fs_policy_parse_lines(text, "svc.policy", exprs, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(exprs->len, ==, 3);
    g_assert_cmpstr(fs_policy_expr_text(g_ptr_array_index(exprs, 1)), ==,
                    "conn.close != \"reset\"");
}

static void
test_policy_file_error(void)
{
    g_autoptr(GPtrArray) exprs = g_ptr_array_new_with_free_func(
        (GDestroyNotify)fs_policy_expr_free);
    g_autoptr(GError) error = NULL;

    g_assert_false(fs_policy_parse_lines("resets == 0\n# fine\nresets = 1 "
                                         "# oops\n", "svc.policy", exprs,
                                         &error));
    g_assert_error(error, FS_ERROR, FS_ERROR_USAGE);
    g_assert_cmpstr(error->message, ==,
                    "svc.policy:3: column 8: expected an operator (== != < "
                    "<= > >=), found '='; write == to compare\n"
                    "  resets = 1\n"
                    "         ^\n");
}

/* ---- baselines --------------------------------------------------------- */

static char *
render(const FsCheckModel *m, gboolean keep_ports)
{
    FsBaselineOptions opts = { .keep_ports = keep_ports };
    g_autoptr(FsBaseline) b = fs_baseline_from_model(m, &opts);

    return fs_baseline_render(b, NULL);
}

static FsBaseline *
parse_ok(const char *text)
{
    g_autoptr(GError) error = NULL;
    FsBaseline *b = fs_baseline_parse(text, "test.expect", &error);

    g_assert_no_error(error);
    g_assert_nonnull(b);
    return b;
}

static void
test_baseline_render(void)
{
    g_autoptr(FsCheckModel) m = mixed_model();
    g_autofree char *text = render(m, FALSE);
    g_autofree char *kept = render(m, TRUE);
    g_autoptr(FsBaseline) b = parse_ok(text);
    const char *comments[] = { "made by a test", "", NULL };
    g_autofree char *with_comments = fs_baseline_render(b, comments);

    g_assert_true(g_str_has_prefix(text, "setting msl 30\nsetting rfc1337 "
                                   "off\nsetting client_ports hidden\n\n"
                                   "summary connections 10\n"));
    g_assert_nonnull(strstr(text, "\nsummary time_wait_at_end 4\nsummary "
                            "time_wait_at_end{host=\"10.0.0.1\"} 1\nsummary "
                            "time_wait_at_end{host=\"10.0.0.2\"} 2\n"));
    g_assert_nonnull(strstr(text, "\nconn client=10.0.0.1:* server=10.0.0.2:"
                            "80 close=graceful active_closer=client "
                            "rst_from=- client_end=TIME_WAIT server_end="
                            "CLOSED flags=three_way_close\n"));
    g_assert_nonnull(strstr(text, "\nconn client=[2001:db8::1]:* server="
                            "[2001:db8::2]:80 close=incomplete "));
    g_assert_nonnull(strstr(text, " rst_from=server "));
    g_assert_null(strstr(text, "time_wait_peak"));
    g_assert_null(strstr(text, "40001"));
    g_assert_nonnull(strstr(kept, "conn client=10.0.0.1:40001 server="));
    g_assert_nonnull(strstr(kept, "setting client_ports kept\n"));
    g_assert_cmpuint(fs_baseline_n_connections(b), ==, 10);
    g_assert_true(g_str_has_prefix(with_comments, "# made by a test\n#\n\n"
                                   "setting msl 30\n"));
}

/* Identical outcomes share a line with a count; so do repeated lines. */
static void
test_baseline_counts(void)
{
    static const ConnSpec same[] = {
        { "10.0.0.1:5001", "10.0.0.2:80", FS_CLOSE_GRACEFUL,
          FS_CLOSER_CLIENT, NONE, FS_TCP_TIME_WAIT, FS_TCP_CLOSED, 0, 0, 0,
          "" },
        { "10.0.0.1:5002", "10.0.0.2:80", FS_CLOSE_GRACEFUL,
          FS_CLOSER_CLIENT, NONE, FS_TCP_TIME_WAIT, FS_TCP_CLOSED, 0, 0, 0,
          "" },
        { "10.0.0.1:5003", "10.0.0.2:80", FS_CLOSE_GRACEFUL,
          FS_CLOSER_CLIENT, NONE, FS_TCP_TIME_WAIT, FS_TCP_CLOSED, 0, 0, 0,
          "" },
    };
    g_autoptr(FsCheckModel) m = model_new(same, G_N_ELEMENTS(same));
    g_autofree char *text = render(m, FALSE);
    g_autofree char *kept = render(m, TRUE);
    const char *line = "conn client=10.0.0.1:* server=10.0.0.2:80 "
                       "close=graceful active_closer=client rst_from=- "
                       "client_end=TIME_WAIT server_end=CLOSED flags=-";
    g_autofree char *want = g_strdup_printf("\n%s x3\n", line);
    g_autofree char *repeated = g_strdup_printf("%s x2\n%s\n", line, line);
    g_autoptr(FsBaseline) from_text = parse_ok(text);
    g_autoptr(FsBaseline) from_repeats = parse_ok(repeated);

    g_assert_nonnull(strstr(text, want));
    g_assert_null(strstr(kept, " x3"));
    g_assert_cmpuint(fs_baseline_n_connections(from_text), ==, 3);
    g_assert_cmpuint(fs_baseline_n_connections(from_repeats), ==, 3);
}

/* Reverses the lines of text and the fields of each conn line. */
static char *
shuffle(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GString *out = g_string_new("# shuffled by hand\n");

    for (gint i = (gint)g_strv_length(lines) - 1; i >= 0; i--) {
        g_auto(GStrv) w = g_strsplit(lines[i], " ", -1);
        guint n = g_strv_length(w);

        if (!g_str_has_prefix(lines[i], "conn ")) {
            g_string_append_printf(out, "%s\n", lines[i]);
            continue;
        }
        g_string_append(out, "conn");
        for (guint k = n - 1; k >= 1; k--)
            g_string_append_printf(out, "  %s", w[k]);
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}

/* A baseline holds however its lines (and conn fields) are ordered, and
 * whatever order the run's connections came in. */
static void
test_baseline_order(void)
{
    g_autoptr(FsCheckModel) m = mixed_model();
    g_autoptr(FsCheckModel) reversed = fs_check_model_new(
        &(FsEngineConfig){ .msl = 30 * FS_NS_PER_SEC });
    g_autofree char *text = render(m, FALSE);
    g_autofree char *mixed_up = shuffle(text);
    g_autoptr(FsBaseline) original = parse_ok(text);
    g_autoptr(FsBaseline) shuffled = parse_ok(mixed_up);
    g_autofree char *again = fs_baseline_render(shuffled, NULL);
    FsBaselineOptions opts = { .keep_ports = FALSE };
    g_autoptr(FsBaseline) from_reversed = NULL;
    g_autoptr(FsBaselineDiff) d1 = NULL;
    g_autoptr(FsBaselineDiff) d2 = NULL;

    for (gint i = G_N_ELEMENTS(mixed) - 1; i >= 0; i--)
        fs_check_model_take(reversed,
                            conn_from_spec(&mixed[i], 100 - (guint)i));
    from_reversed = fs_baseline_from_model(reversed, &opts);
    d1 = fs_baseline_diff(original, shuffled);
    d2 = fs_baseline_diff(original, from_reversed);
    g_assert_true(fs_baseline_diff_holds(d1));
    g_assert_true(fs_baseline_diff_holds(d2));
    g_assert_cmpstr(again, ==, text);
}

static FsBaselineDiff *
diff_models(const FsCheckModel *before, const FsCheckModel *after)
{
    FsBaselineOptions opts = { .keep_ports = FALSE };
    g_autoptr(FsBaseline) a = fs_baseline_from_model(before, &opts);
    g_autoptr(FsBaseline) b = fs_baseline_from_model(after, &opts);
    g_autofree char *text = fs_baseline_render(a, NULL);
    g_autoptr(FsBaseline) parsed = parse_ok(text);

    return fs_baseline_diff(parsed, b);
}

/* The server of connection 1 now closes first. */
static void
test_baseline_diff_changed(void)
{
    g_autoptr(FsCheckModel) m = mixed_model();
    g_autoptr(FsCheckModel) m2 = mixed_model();
    FsCheckConn *c = g_ptr_array_index(m2->conns, 0);
    g_autoptr(FsBaselineDiff) d = NULL;
    g_autofree char *why = NULL;
    g_autofree char *text = NULL;
    const FsBaselineDelta *last = NULL;

    c->active_closer = FS_CLOSER_SERVER;
    c->end_state[CLIENT] = FS_TCP_CLOSED;
    c->end_state[SERVER] = FS_TCP_TIME_WAIT;
    d = diff_models(m, m2);
    why = fs_baseline_diff_explain(d);
    text = fs_baseline_diff_text(d);
    g_assert_false(fs_baseline_diff_holds(d));
    g_assert_cmpuint(d->conns_changed, ==, 1);
    g_assert_cmpuint(d->conns_missing, ==, 0);
    g_assert_cmpuint(d->conns_new, ==, 0);
    g_assert_cmpstr(why, ==, "1 connection changed, 4 summary values "
                    "differ");
    g_assert_nonnull(strstr(text,
        "-summary client_active_closes 3\n+summary client_active_closes 2\n"
        "-summary server_active_closes 2\n+summary server_active_closes 3\n"));
    g_assert_nonnull(strstr(text,
        "-summary time_wait_at_end{host=\"10.0.0.1\"} 1\n"
        "-summary time_wait_at_end{host=\"10.0.0.2\"} 2\n"
        "+summary time_wait_at_end{host=\"10.0.0.2\"} 3\n"));
    g_assert_nonnull(strstr(text,
        "-conn client=10.0.0.1:* server=10.0.0.2:80 close=graceful "
        "active_closer=client rst_from=- client_end=TIME_WAIT "
        "server_end=CLOSED flags=three_way_close\n"
        "+conn client=10.0.0.1:* server=10.0.0.2:80 close=graceful "
        "active_closer=server rst_from=- client_end=CLOSED "
        "server_end=TIME_WAIT flags=three_way_close\n"));
    last = g_ptr_array_index(d->deltas, d->deltas->len - 1);
    g_assert_cmpint(last->section, ==, FS_BASELINE_CONN);
    g_assert_cmpstr(last->group, ==,
                    "conn client=10.0.0.1:* server=10.0.0.2:80");
}

static void
test_baseline_diff_missing_new(void)
{
    g_autoptr(FsCheckModel) m = mixed_model();
    g_autoptr(FsCheckModel) fewer = model_new(mixed, 9);
    g_autoptr(FsBaselineDiff) gone = diff_models(m, fewer);
    g_autoptr(FsBaselineDiff) extra = diff_models(fewer, m);
    g_autofree char *why_gone = fs_baseline_diff_explain(gone);
    g_autofree char *why_extra = fs_baseline_diff_explain(extra);

    g_assert_cmpstr(why_gone, ==, "1 connection missing, 4 summary values "
                    "differ");
    g_assert_cmpstr(why_extra, ==, "1 new connection, 4 summary values "
                    "differ");
}

/* One more identical connection: "xN" changes, and it is one new one. */
static void
test_baseline_diff_count(void)
{
    static const ConnSpec two[] = {
        { "10.0.0.1:1", "10.0.0.2:80", FS_CLOSE_GRACEFUL, FS_CLOSER_CLIENT,
          NONE, FS_TCP_CLOSED, FS_TCP_CLOSED, 0, 0, 0, "" },
        { "10.0.0.1:2", "10.0.0.2:80", FS_CLOSE_GRACEFUL, FS_CLOSER_CLIENT,
          NONE, FS_TCP_CLOSED, FS_TCP_CLOSED, 0, 0, 0, "" },
        { "10.0.0.1:3", "10.0.0.2:80", FS_CLOSE_GRACEFUL, FS_CLOSER_CLIENT,
          NONE, FS_TCP_CLOSED, FS_TCP_CLOSED, 0, 0, 0, "" },
    };
    g_autoptr(FsCheckModel) a = model_new(two, 2);
    g_autoptr(FsCheckModel) b = model_new(two, 3);
    g_autoptr(FsBaselineDiff) d = diff_models(a, b);
    g_autofree char *text = fs_baseline_diff_text(d);

    g_assert_cmpuint(d->conns_new, ==, 1);
    g_assert_cmpuint(d->conns_changed, ==, 0);
    g_assert_nonnull(strstr(text, "flags=- x2\n+conn "));
    g_assert_nonnull(strstr(text, "flags=- x3\n"));
}

static void
test_baseline_diff_settings(void)
{
    g_autoptr(FsCheckModel) m = mixed_model();
    g_autoptr(FsCheckModel) m2 = mixed_model();
    g_autoptr(FsBaselineDiff) d = NULL;
    g_autofree char *why = NULL;
    g_autofree char *text = NULL;
    g_autofree char *one = NULL;
    g_autofree char *two = NULL;
    g_autofree char *delta = NULL;

    m2->msl = 60 * FS_NS_PER_SEC + 500 * FS_NS_PER_MSEC;
    d = diff_models(m, m2);
    why = fs_baseline_diff_explain(d);
    text = fs_baseline_diff_text(d);
    g_assert_cmpstr(why, ==, "1 setting differs");
    g_assert_cmpstr(text, ==, "-setting msl 30\n+setting msl 60.5\n");
    /* cut: at most max_lines -/+ lines, then how many more, in the diff
     * and in one delta; none cut, the whole */
    one = fs_baseline_diff_text_head(d, 1);
    two = fs_baseline_diff_text_head(d, 2);
    delta = fs_baseline_delta_text_head(g_ptr_array_index(d->deltas, 0), 0);
    g_assert_cmpstr(one, ==, "-setting msl 30\n... and 1 more line\n");
    g_assert_cmpstr(two, ==, text);
    g_assert_cmpstr(delta, ==, "... and 2 more lines\n");
}

static const struct {
    const char *text;
    const char *what;
} bad_baselines[] = {
    { "summary connections 1\nbogus line\n", "test.expect:2: a line starts "
      "with setting, summary, conn or #, not 'bogus'" },
    { "summary nope 1\n", ":1: unknown summary field 'nope'" },
    { "summary time_wait_peak 1\n", "unknown summary field" },
    { "summary resets{role=\"client\"} 1\n", "unknown summary field" },
    { "summary resets x\n", "'x' is not a count" },
    { "summary resets\n", "expected 'summary NAME VALUE'" },
    { "summary resets 1 2\n", "expected 'summary NAME VALUE'" },
    { "summary resets 1\n\n# c\nsummary resets 2\n",
      "test.expect:4: 'summary resets' is given twice" },
    { "setting colour blue\n", "unknown setting 'colour'" },
    { "conn client=a:*\n", "conn line lacks server=" },
    { "conn client=a:* server=b:1 close=x active_closer=- rst_from=- "
      "client_end=A server_end=B flags=- colour=red\n",
      "'colour=red' is not a conn field" },
    { "conn client=a:* client=b:* server=b:1\n",
      "conn field 'client' is given twice" },
    { "conn client= server=b:1\n", "conn field 'client' has no value" },
    { "conn client=a:* server=b:1 close=x active_closer=- rst_from=- "
      "client_end=A server_end=B flags=- x0\n", "'x0' is not a conn field" },
};

static void
test_baseline_malformed(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(bad_baselines); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(FsBaseline) b = fs_baseline_parse(bad_baselines[i].text,
                                                    "test.expect", &error);

        g_assert_null(b);
        g_assert_error(error, FS_ERROR, FS_ERROR_FORMAT);
        if (strstr(error->message, bad_baselines[i].what) == NULL)
            g_error("'%s': message '%s', want '%s'", bad_baselines[i].text,
                    error->message, bad_baselines[i].what);
    }
}

/* ---- the model --------------------------------------------------------- */

/* fs_check_model_add() copies the verdict out of an engine record. */
static void
test_model_add(void)
{
    FsEngineConfig cfg = { .msl = 30 * FS_NS_PER_SEC, .rfc1337 = TRUE };
    g_autoptr(FsCheckModel) m = fs_check_model_new(&cfg);
    FsConn conn;
    FsOutcome o;
    const FsCheckConn *c = NULL;
    g_autofree char *who = NULL;

    memset(&conn, 0, sizeof conn);
    conn.id = 7;
    parse_endpoint("10.9.0.1:5000", &conn.addr[CLIENT], &conn.port[CLIENT]);
    parse_endpoint("10.9.0.2:25", &conn.addr[SERVER], &conn.port[SERVER]);
    conn.vlan = (100u << 12) | 200u;
    conn.rst_from = FS_ROLE_NONE;
    conn.ep[CLIENT].seen = conn.ep[SERVER].seen = 1;
    conn.ep[CLIENT].state = FS_TCP_TIME_WAIT;
    conn.ep[SERVER].state = FS_TCP_CLOSED;
    conn.ep[CLIENT].fin_sent = conn.ep[SERVER].fin_sent = 1;
    conn.ep[CLIENT].fin_seq = 100;
    conn.ep[SERVER].fin_ack = 101;
    conn.ep[CLIENT].fin_count = 3;
    conn.close_done_time = 5;
    conn.three_way_close = 1;
    fs_classify_outcome(&conn, &o);
    c = fs_check_model_add(m, &conn, &o);
    g_assert_true(m->rfc1337);
    g_assert_cmpint(c->close, ==, FS_CLOSE_GRACEFUL);
    g_assert_cmpint(c->active_closer, ==, FS_CLOSER_CLIENT);
    g_assert_cmpint(c->end_state[CLIENT], ==, FS_TCP_TIME_WAIT);
    g_assert_cmpuint(c->fin_retransmits[CLIENT], ==, 2);
    g_assert_true(fs_check_conn_has_flag(c, "three_way_close"));
    g_assert_true(fs_check_conn_has_flag(c, "fin_retransmit"));
    g_assert_false(fs_check_conn_has_flag(c, "one_sided"));
    g_assert_false(fs_check_conn_has_flag(c, "no_such_flag"));
    who = fs_check_conn_describe(c);
    g_assert_cmpstr(who, ==, "#7 10.9.0.1:5000 > 10.9.0.2:25 vlan 100,200 "
                    "started 1970-01-01T00:00:00.000000Z");
}

/* One VLAN formatter (report.c) for the table, the ladder and check;
 * each its own between the outer and inner VIDs. */
static void
test_vlan_format(void)
{
    g_autofree char *untagged = fs_check_vlan_format(0);
    g_autofree char *one = fs_check_vlan_format(7);
    g_autofree char *qinq = fs_check_vlan_format((100u << 12) | 200u);
    g_autofree char *table = fs_vlan_format((100u << 12) | 200u, ".");
    g_autofree char *ladder = fs_vlan_format((100u << 12) | 0u, ", inner ");

    g_assert_null(untagged);
    g_assert_cmpstr(one, ==, "7");
    g_assert_cmpstr(qinq, ==, "100,200");
    g_assert_cmpstr(table, ==, "100.200");
    g_assert_cmpstr(ladder, ==, "100, inner 0");
}

/* ---- verdicts ---------------------------------------------------------- */

static GPtrArray *
sample_verdicts(void)
{
    GPtrArray *v = g_ptr_array_new_with_free_func(
        (GDestroyNotify)fs_verdict_free);

    g_ptr_array_add(v, fs_verdict_new(FS_VERDICT_BASELINE, "baseline a",
                                      TRUE, "baseline a holds", NULL));
    g_ptr_array_add(v, fs_verdict_new(FS_VERDICT_ASSERTION,
                                      "conn.client_host != \"#1\" & <x>",
                                      FALSE, "it fails: 1 of 2 \"bad\"",
                                      "connections:\n  #1 a > b\n"));
    return v;
}

static void
test_tap(void)
{
    g_autoptr(GPtrArray) v = sample_verdicts();
    g_autofree char *tap = fs_verdict_tap(v);

    g_assert_cmpstr(tap, ==,
                    "1..2\n"
                    "ok 1 - baseline a\n"
                    "not ok 2 - conn.client_host != \"\\#1\" & <x>\n"
                    "# it fails: 1 of 2 \"bad\"\n"
                    "# connections:\n"
                    "#   #1 a > b\n");
}

static void
test_junit(void)
{
    g_autoptr(GPtrArray) v = sample_verdicts();
    const char *props[] = { "traces", "a&b.pcap", NULL };
    g_autofree char *xml = fs_verdict_junit(v, "finscope check", props);

    g_assert_true(g_str_has_prefix(xml, "<?xml version=\"1.0\" encoding="
                                   "\"UTF-8\"?>\n<testsuites name=\"finscope "
                                   "check\" tests=\"2\" failures=\"1\" "
                                   "errors=\"0\">\n"));
    g_assert_nonnull(strstr(xml, "<property name=\"traces\" "
                            "value=\"a&amp;b.pcap\"/>"));
    g_assert_nonnull(strstr(xml, "<testcase classname=\"finscope.check."
                            "baseline\" name=\"baseline a\" time=\"0\">\n"
                            "      <system-out>baseline a holds"
                            "</system-out>\n"));
    g_assert_nonnull(strstr(xml, "name=\"conn.client_host != &quot;#1&quot;"
                            " &amp; &lt;x&gt;\""));
    g_assert_nonnull(strstr(xml, "<failure message=\"it fails: 1 of 2 "
                            "&quot;bad&quot;\" type=\"assertion\">"
                            "connections:\n  #1 a &gt; b\n</failure>"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/policy/summary/fields", test_summary_fields);
    g_test_add_func("/policy/summary/names-connections",
                    test_summary_names_connections);
    g_test_add_func("/policy/summary/labels", test_summary_labels);
    g_test_add_func("/policy/summary/time-wait-peak",
                    test_time_wait_peak_reported);
    g_test_add_func("/policy/conn/fields", test_conn_fields);
    g_test_add_func("/policy/conn/names-connections",
                    test_conn_names_connections);
    g_test_add_func("/policy/parse/malformed", test_malformed);
    g_test_add_func("/policy/parse/caret", test_caret);
    g_test_add_func("/policy/parse/text", test_parse_text);
    g_test_add_func("/policy/file/lines", test_policy_file);
    g_test_add_func("/policy/file/error", test_policy_file_error);
    g_test_add_func("/baseline/render", test_baseline_render);
    g_test_add_func("/baseline/counts", test_baseline_counts);
    g_test_add_func("/baseline/order", test_baseline_order);
    g_test_add_func("/baseline/diff/changed", test_baseline_diff_changed);
    g_test_add_func("/baseline/diff/missing-new",
                    test_baseline_diff_missing_new);
    g_test_add_func("/baseline/diff/count", test_baseline_diff_count);
    g_test_add_func("/baseline/diff/settings", test_baseline_diff_settings);
    g_test_add_func("/baseline/malformed", test_baseline_malformed);
    g_test_add_func("/checkmodel/add", test_model_add);
    g_test_add_func("/checkmodel/vlan-format", test_vlan_format);
    g_test_add_func("/verdict/tap", test_tap);
    g_test_add_func("/verdict/junit", test_junit);
    return g_test_run();
}
