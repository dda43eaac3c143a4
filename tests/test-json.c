/* finscope tests: the JSON writer's commas, escapes and numbers. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <glib.h>

#include "finscope/conn.h"
#include "finscope/handoff.h"
#include "finscope/json-writer.h"
#include "finscope/report.h"
#include "finscope/types.h"
#include "json-put.h"

static void
test_object(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    FsJson j;

    fs_json_init(&j, out);
    fs_json_begin_object(&j);
    fs_json_key(&j, "a");
    fs_json_int(&j, -3);
    fs_json_key(&j, "b");
    fs_json_begin_array(&j);
    fs_json_bool(&j, TRUE);
    fs_json_null(&j);
    fs_json_string(&j, NULL);
    fs_json_begin_object(&j);
    fs_json_end_object(&j);
    fs_json_end_array(&j);
    fs_json_key(&j, "c");
    fs_json_uint(&j, G_MAXUINT64);
    fs_json_end_object(&j);
    g_assert_cmpstr(out->str, ==,
                    "{\"a\":-3,\"b\":[true,null,null,{}],"
                    "\"c\":18446744073709551615}");
}

static void
test_escapes(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    FsJson j;

    fs_json_init(&j, out);
    fs_json_string(&j, "q\"b\\n\n\x01t\t");
    g_assert_cmpstr(out->str, ==, "\"q\\\"b\\\\n\\n\\u0001t\\t\"");
}

static void
test_time(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    FsJson j;

    fs_json_init(&j, out);
    fs_json_begin_array(&j);
    fs_json_time(&j, G_GINT64_CONSTANT(1767225600123456789));
    fs_json_time(&j, 5);
    fs_json_time(&j, -1500000000);
    fs_json_end_array(&j);
    g_assert_cmpstr(out->str, ==,
                    "[1767225600.123456789,0.000000005,-1.500000000]");
}

/* Digit counts around each power of ten, and the extremes. */
static void
test_numbers(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GString) want = g_string_new("[");
    FsJson j;
    guint64 p = 1;

    fs_json_init(&j, out);
    fs_json_begin_array(&j);
    for (int d = 0; d < 20; d++, p *= 10) {
        fs_json_uint(&j, p - 1);
        fs_json_uint(&j, p);
        g_string_append_printf(want, "%s%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT,
                               d == 0 ? "" : ",", p - 1, p);
    }
    fs_json_int(&j, G_MININT64);
    fs_json_int(&j, G_MAXINT64);
    fs_json_time(&j, 0);
    fs_json_time(&j, G_MININT64);
    fs_json_end_array(&j);
    g_string_append(want, ",-9223372036854775808,9223372036854775807,"
                          "0.000000000,-9223372036.854775808]");
    g_assert_cmpstr(out->str, ==, want->str);
}

/* Keys are escaped as strings are; long strings escape past their
 * first 64 bytes too. */
static void
test_long_and_keys(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *plain = g_strnfill(100, 'x');
    g_autofree char *s = g_strconcat(plain, "\"\x1f", plain, NULL);
    g_autofree char *want = g_strconcat("{\"k\\\"\":\"", plain, "\\\"\\u001f",
                                        plain, "\",\"", plain, "\":1}",
                                        NULL);
    FsJson j;

    fs_json_init(&j, out);
    fs_json_begin_object(&j);
    fs_json_key(&j, "k\"");
    fs_json_string(&j, s);
    fs_json_key(&j, plain);
    fs_json_uint(&j, 1);
    fs_json_end_object(&j);
    g_assert_cmpstr(out->str, ==, want);
}

/* A key of exactly 64 bytes after another member: the longest that takes
 * the one-pass path, with a comma before and ':' after. The first key's
 * length moves where it lands, so one of them ends at the very end of the
 * GString's room (ASan catches a write past it). */
static void
test_key_at_fast_limit(void)
{
    g_autofree char *key = g_strnfill(64, 'k');

    for (gsize n = 1; n < 300; n++) {
        g_autoptr(GString) out = g_string_sized_new(128);
        g_autofree char *first = g_strnfill(n, 'a');
        g_autofree char *want = g_strconcat("{\"", first, "\":1,\"", key,
                                            "\":2}", NULL);
        FsJson j;

        fs_json_init(&j, out);
        fs_json_begin_object(&j);
        fs_json_key(&j, first);
        fs_json_uint(&j, 1);
        fs_json_key(&j, key);
        fs_json_uint(&j, 2);
        fs_json_end_object(&j);
        g_assert_cmpstr(out->str, ==, want);
    }
}

/* A literal key (FS_JSON_KEY) writes what fs_json_key writes, comma and
 * nesting included, also past the room the GString had. */
static void
test_literal_keys(void)
{
    g_autoptr(GString) plain = g_string_sized_new(1);
    g_autoptr(GString) checked = g_string_sized_new(1);
    FsJson a;
    FsJson b;

    fs_json_init(&a, plain);
    fs_json_init(&b, checked);
    fs_json_begin_object(&a);
    fs_json_begin_object(&b);
    for (int i = 0; i < 50; i++) {
        FS_JSON_KEY(&a, "time_wait_until");
        fs_json_key(&b, "time_wait_until");
        fs_json_begin_object(&a);
        fs_json_begin_object(&b);
        FS_JSON_KEY(&a, "x");
        fs_json_key(&b, "x");
        fs_json_uint(&a, (guint64)i);
        fs_json_uint(&b, (guint64)i);
        fs_json_end_object(&a);
        fs_json_end_object(&b);
    }
    fs_json_end_object(&a);
    fs_json_end_object(&b);
    g_assert_cmpstr(plain->str, ==, checked->str);
    g_assert_true(g_str_has_prefix(plain->str,
                                   "{\"time_wait_until\":{\"x\":0},"));
}

/* The escaping a string needs, byte by byte, as RFC 8259 asks. */
static void
reference_string(GString *ref, const char *s, char suffix)
{
    g_string_append_c(ref, '"');
    for (const guchar *u = (const guchar *)s; *u != '\0'; u++) {
        if (*u == '"')
            g_string_append(ref, "\\\"");
        else if (*u == '\\')
            g_string_append(ref, "\\\\");
        else if (*u == '\n')
            g_string_append(ref, "\\n");
        else if (*u == '\r')
            g_string_append(ref, "\\r");
        else if (*u == '\t')
            g_string_append(ref, "\\t");
        else if (*u < 0x20)
            g_string_append_printf(ref, "\\u%04x", *u);
        else
            g_string_append_c(ref, (char)*u);
    }
    g_string_append_c(ref, '"');
    if (suffix != '\0')
        g_string_append_c(ref, suffix);
}

/* Strings checked a word at a time: every length around the word size,
 * one byte of every kind at every position (the first, the last, the
 * overlapping last word), as values and as keys. */
static void
test_escape_positions(void)
{
    static const guchar kinds[] = { '"', '\\', '\n', 0x01, 0x1f, ' ', 0x7f,
                                    0x80, 0xff, 'a' };
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GString) ref = g_string_new(NULL);

    for (guint len = 1; len <= 40; len++) {
        for (guint pos = 0; pos < len; pos++) {
            for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
                char s[41];
                FsJson j;

                memset(s, 'x', len);
                s[len] = '\0';
                s[pos] = (char)kinds[k];
                g_string_truncate(out, 0);
                g_string_truncate(ref, 0);
                fs_json_init(&j, out);
                fs_json_string(&j, s);
                reference_string(ref, s, '\0');
                g_assert_cmpstr(out->str, ==, ref->str);
                g_string_truncate(out, 0);
                g_string_truncate(ref, 0);
                fs_json_init(&j, out);
                fs_json_key(&j, s);
                reference_string(ref, s, ':');
                g_assert_cmpstr(out->str, ==, ref->str);
            }
        }
    }
}

/* The pointer writer's numbers (json-put.h, decimal.h) against printf:
 * every digit count's first and last value, both signs, the extremes. */
static void
test_put_numbers(void)
{
    guint64 p10 = 1;

    for (int digits = 1; digits <= 20; digits++) {
        guint64 vals[4] = { p10, p10 + 1, p10 * 10 - 1, p10 * 10 - 2 };

        if (digits == 20)   /* 10^20 does not fit: the last is the max */
            vals[2] = G_MAXUINT64, vals[3] = G_MAXUINT64 - 1;
        for (guint i = 0; i < G_N_ELEMENTS(vals); i++) {
            char buf[64];
            g_autofree char *want =
                g_strdup_printf("%" G_GUINT64_FORMAT, vals[i]);
            g_autofree char *want_neg = NULL;
            char *end = fs_put_uint(buf, vals[i]);

            *end = '\0';
            g_assert_cmpstr(buf, ==, want);
            if (vals[i] <= (guint64)G_MAXINT64) {
                want_neg = g_strdup_printf("%" G_GINT64_FORMAT,
                                           -(gint64)vals[i]);
                *fs_put_int(buf, -(gint64)vals[i]) = '\0';
                g_assert_cmpstr(buf, ==, want_neg);
                *fs_put_int(buf, (gint64)vals[i]) = '\0';
                g_assert_cmpstr(buf, ==, want);
            }
        }
        if (digits < 20)
            p10 *= 10;
    }
    {
        char buf[64];

        *fs_put_uint(buf, 0) = '\0';
        g_assert_cmpstr(buf, ==, "0");
        *fs_put_int(buf, G_MININT64) = '\0';
        g_assert_cmpstr(buf, ==, "-9223372036854775808");
    }
    /* every value up to 10^5: the small ones' shortcuts and the pairs */
    for (guint64 v = 0; v <= 100000; v++) {
        char buf[64];
        char want[24];

        g_snprintf(want, sizeof want, "%" G_GUINT64_FORMAT, v);
        *fs_put_uint(buf, v) = '\0';
        g_assert_cmpstr(buf, ==, want);
    }
}

/* The fixed-point digits (decimal.h): a constant a little off puts a
 * wrong pair in somewhere inside a range, not only at its edges, so
 * every range is walked in odd steps (and each step's neighbours), the
 * fixed widths of eight and nine digits too, and nothing is written
 * past the digits. */
static void
test_put_fixed_point(void)
{
    for (guint64 v = 0; v < 1000000000u; v += 9973) {
        for (guint64 w = v == 0 ? 0 : v - 1; w <= v + 1; w++) {
            char buf[32];
            char want[24];
            char *end;

            memset(buf, 'x', sizeof buf);
            end = fs_put_uint(buf, w);
            g_snprintf(want, sizeof want, "%" G_GUINT64_FORMAT, w);
            g_assert_cmpint(end - buf, ==, (gint)strlen(want));
            g_assert_cmpint(*end, ==, 'x');
            *end = '\0';
            g_assert_cmpstr(buf, ==, want);

            memset(buf, 'x', sizeof buf);
            g_snprintf(want, sizeof want, "%09u", (guint)w);
            end = fs_put_nine_digits(buf, (guint32)w);
            g_assert_cmpint(end - buf, ==, 9);
            g_assert_cmpint(*end, ==, 'x');
            *end = '\0';
            g_assert_cmpstr(buf, ==, want);
            if (w < 100000000u) {
                memset(buf, 'x', sizeof buf);
                end = fs_put_eight_digits(buf, (guint32)w);
                g_assert_cmpint(end - buf, ==, 8);
                g_assert_cmpint(*end, ==, 'x');
                *end = '\0';
                g_assert_cmpstr(buf, ==, want + 1);
            }
        }
    }
}

static void
test_put_time(void)
{
    static const struct {
        gint64 ns;
        const char *want;
    } cases[] = {
        { 0, "0.000000000" },
        { 1, "0.000000001" },
        { 999999999, "0.999999999" },
        { 1000000000, "1.000000000" },
        { 1000000001, "1.000000001" },
        /* the one-digit seconds put inline, the next ones by a call */
        { G_GINT64_CONSTANT(9999999999), "9.999999999" },
        { G_GINT64_CONSTANT(10000000000), "10.000000000" },
        { G_GINT64_CONSTANT(-10000000000), "-10.000000000" },
        { -1, "-0.000000001" },
        { -1500000000, "-1.500000000" },
        { G_GINT64_CONSTANT(1767225600123456789), "1767225600.123456789" },
        { G_MAXINT64, "9223372036.854775807" },
        { G_MININT64, "-9223372036.854775808" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        char buf[64];

        *fs_put_time(buf, cases[i].ns) = '\0';
        g_assert_cmpstr(buf, ==, cases[i].want);
    }
    /* the seconds' memo (json-put.h): seconds that share a slot, put in
     * turn, and one put again after its slot was taken */
    for (int round = 0; round < 3; round++) {
        for (gint64 k = 0; k < 4; k++) {
            gint64 sec = G_GINT64_CONSTANT(1700000000) + k * 8 + round;
            gint64 ns = sec * 1000000000 + 5;
            char buf[64];
            g_autofree char *want =
                g_strdup_printf("%" G_GINT64_FORMAT ".000000005", sec);

            *fs_put_time(buf, ns) = '\0';
            g_assert_cmpstr(buf, ==, want);
            *fs_put_time(buf, -ns) = '\0';
            g_assert_cmpstr(buf + 1, ==, want);
        }
    }
    /* every count of the seconds' digits */
    for (gint64 s = 1; s < G_GINT64_CONSTANT(9000000000); s *= 10) {
        for (gint64 d = -1; d <= 1; d++) {
            gint64 sec = s + d;
            gint64 ns = sec * 1000000000 + 20304;
            char buf[64];
            g_autofree char *want =
                g_strdup_printf("%" G_GINT64_FORMAT ".000020304", sec);

            *fs_put_time(buf, ns) = '\0';
            g_assert_cmpstr(buf, ==, want);
        }
    }
}

/* fs_json_put_string: as fs_json_string writes, and room made for a
 * string of any length (the GString starts small and must grow). */
static void
test_put_string(void)
{
    g_autoptr(GString) out = g_string_sized_new(1);
    g_autoptr(GString) ref = g_string_new(NULL);
    const char *strings[] = {
        "", "a", "TIME_WAIT", "state.client", "q\"b\\n\n\x01t\t",
        "the RST's receiver sent no ACK in the capture: "
        "whether it accepted the RST is a guess",
    };
    char *p = fs_json_room(out, NULL, 0);

    for (int round = 0; round < 3; round++) {
        for (guint i = 0; i < G_N_ELEMENTS(strings); i++) {
            p = fs_json_put_string(out, p, strings[i]);
            reference_string(ref, strings[i], ',');
            *p++ = ',';
            p = fs_json_room(out, p, 0);
        }
        /* long strings, plain and all to escape */
        for (gsize n = 60; n < 9000; n = n * 3 + 1) {
            g_autofree char *plain = g_strnfill(n, 'x');
            g_autofree char *esc = g_strnfill(n, '\x02');

            p = fs_json_put_string(out, p, plain);
            p = fs_json_put_string(out, p, esc);
            reference_string(ref, plain, '\0');
            reference_string(ref, esc, '\0');
        }
    }
    p = fs_json_put_string(out, p, NULL);
    g_string_append(ref, "null");
    fs_json_done(out, p);
    g_assert_cmpuint(out->len, ==, ref->len);
    g_assert_cmpstr(out->str, ==, ref->str);
}

/* Addresses as the records put them (fs_addr_put, by a table of
 * octets), as inet_ntop() writes them, and as fs_addr_format() and
 * fs_endpoint_format() do: every octet value in every position. */
static void
test_addr_put(void)
{
    for (guint v = 0; v < 256 * 4; v++) {
        FsAddr a = { .family = 4 };
        char want[INET6_ADDRSTRLEN];
        char got[FS_ADDR_PUT_ROOM + 1];
        char formatted[FS_ENDPOINT_STRLEN];
        char *end;

        memset(a.bytes, (int)(v * 37 % 256), 4);   /* neighbours differ */
        a.bytes[v / 256] = (guint8)(v % 256);
        g_assert_nonnull(inet_ntop(AF_INET, a.bytes, want, sizeof want));
        memset(got, 'x', sizeof got);
        end = fs_addr_put(got, &a);
        g_assert_cmpmem(got, (gsize)(end - got), want, strlen(want));
        fs_addr_format(&a, formatted, sizeof formatted);
        g_assert_cmpstr(formatted, ==, want);
    }
    {
        FsAddr v6 = { .family = 6 };
        FsAddr unset = { .family = 0 };
        char got[FS_ADDR_PUT_ROOM + 1];
        char ep[FS_ENDPOINT_STRLEN];

        v6.bytes[0] = 0x20;
        v6.bytes[1] = 0x01;
        v6.bytes[15] = 0x01;
        *fs_addr_put(got, &v6) = '\0';
        g_assert_cmpstr(got, ==, "2001::1");
        fs_endpoint_format(&v6, 443, ep, sizeof ep);
        g_assert_cmpstr(ep, ==, "[2001::1]:443");
        *fs_addr_put(got, &unset) = '\0';
        g_assert_cmpstr(got, ==, "?");
        /* fs_addr_format(): the same, or "?" where it does not fit (as
         * inet_ntop() would fail) */
        fs_addr_format(&v6, ep, sizeof ep);
        g_assert_cmpstr(ep, ==, "2001::1");
        fs_addr_format(&unset, ep, sizeof ep);
        g_assert_cmpstr(ep, ==, "?");
        fs_addr_format(&v6, ep, 8);
        g_assert_cmpstr(ep, ==, "2001::1");
        fs_addr_format(&v6, ep, 7);
        g_assert_cmpstr(ep, ==, "?");
    }
}

/* The bytes written to f so far. */
static GString *
file_text(FILE *f)
{
    GString *text = g_string_new(NULL);
    char chunk[4096];
    gsize n;

    g_assert_cmpint(fflush(f), ==, 0);
    rewind(f);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        g_string_append_len(text, chunk, (gssize)n);
    g_assert_cmpint(fseek(f, 0, SEEK_END), ==, 0);
    return text;
}

/* n --json-flat records of connections 1..n into a report on f. */
static void
put_records(FsReport *r, guint from, guint to)
{
    FsEngineSink sink = fs_report_sink(r);
    FsOutcome outcome;
    FsConn conn;

    memset(&outcome, 0, sizeof outcome);
    for (guint i = from; i <= to; i++) {
        memset(&conn, 0, sizeof conn);
        fs_conn_init(&conn);
        conn.id = i;
        conn.addr[FS_ROLE_CLIENT].family = 4;
        conn.addr[FS_ROLE_CLIENT].bytes[3] = (guint8)i;
        conn.addr[FS_ROLE_SERVER].family = 4;
        conn.port[FS_ROLE_CLIENT] = (guint16)(40000 + i);
        conn.port[FS_ROLE_SERVER] = 443;
        sink.on_conn(&conn, &outcome, sink.user);
    }
}

/* A batched report (files read) writes its lines a batch at a time,
 * whole lines, the rest at its end: the same bytes as one that writes
 * them one by one. */
static void
test_report_batched(void)
{
    FsEngineConfig cfg;
    FILE *one = tmpfile();
    FILE *batched = tmpfile();
    FsReport *r1;
    FsReport *rb;
    guint n = 0;
    g_autoptr(GString) a = NULL;
    g_autoptr(GString) b = NULL;

    memset(&cfg, 0, sizeof cfg);
    g_assert_nonnull(one);
    g_assert_nonnull(batched);
    r1 = fs_report_new(FS_REPORT_FLAT, one, &cfg);
    rb = fs_report_new(FS_REPORT_FLAT, batched, &cfg);
    fs_report_set_batched(rb, TRUE);
    put_records(r1, 1, 3);
    put_records(rb, 1, 3);
    a = file_text(one);
    b = file_text(batched);
    g_assert_cmpuint(a->len, >, 0);
    g_assert_cmpuint(b->len, ==, 0);     /* held: not a batch yet */
    g_string_free(a, TRUE);
    g_string_free(b, TRUE);
    /* on to the first batch written */
    for (n = 3; (b = file_text(batched))->len == 0; n++) {
        g_string_free(b, TRUE);
        put_records(r1, n + 1, n + 1);
        put_records(rb, n + 1, n + 1);
    }
    g_assert_cmpuint(b->len, >=, FS_REPORT_BATCH_BYTES);
    g_assert_cmpint(b->str[b->len - 1], ==, '\n');
    a = file_text(one);
    g_assert_cmpmem(a->str, a->len, b->str, b->len);
    g_string_free(a, TRUE);
    g_string_free(b, TRUE);
    put_records(r1, n + 1, n + 10);
    put_records(rb, n + 1, n + 10);
    fs_report_finish(r1, NULL);
    fs_report_finish(rb, NULL);
    a = file_text(one);
    b = file_text(batched);
    g_assert_cmpmem(a->str, a->len, b->str, b->len);
    fs_report_free(r1);
    fs_report_free(rb);
    fclose(one);
    fclose(batched);
}

/* One --json conn record of conn with outcome, its text. */
static gchar *
json_conn_line(const FsConn *conn, const FsOutcome *outcome)
{
    FsEngineConfig cfg;
    FILE *f = tmpfile();
    FsReport *r;
    FsEngineSink sink;
    g_autoptr(GString) text = NULL;

    memset(&cfg, 0, sizeof cfg);
    g_assert_nonnull(f);
    r = fs_report_new(FS_REPORT_JSON, f, &cfg);
    sink = fs_report_sink(r);
    sink.on_conn(conn, outcome, sink.user);
    fs_report_free(r); /* unbatched: the line is out already */
    text = file_text(f);
    fclose(f);
    return g_strdup(text->str);
}

/* The conn record writes runs of members at their usual values (false,
 * 0, null) as one literal: a member that is not at it, one at a time,
 * is written as it is, the others beside it still at theirs. */
static void
test_report_conn_runs(void)
{
    enum {
        SIMULTANEOUS, THREE_WAY, HALF_CLOSE, AFTER_FIN_CLIENT,
        AFTER_FIN_SERVER, FIN_RTX_CLIENT, FIN_RTX_SERVER, FINAL_ACK_LOST,
        OLD_DUPLICATES, REUSE_OF, REUSE_IN_TW, REUSE, IN_WINDOW, PAWS,
        DURING_TW, DUPLICATE_FRAMES, RST_IGNORED, CAPTURE_LOSS,
        ILLEGAL_FLAGS, FLAGS, N_CASES
    };
    static const char *const usual[] = {
        ",\"simultaneous_close\":false,\"three_way_close\":false"
        ",\"half_close\":false,\"bytes_after_peer_fin\":{\"client\":0,"
        "\"server\":0},\"close_duration\":",
        ",\"fin_retransmits\":{\"client\":0,\"server\":0}"
        ",\"final_ack_lost\":false,",
        ",\"old_duplicates\":0,\"reuse_of\":null,\"reuse_in_time_wait\":false"
        ",\"reuse\":null,\"old_duplicate_risk\":{\"in_window\":0,"
        "\"paws_rejected\":0,\"during_time_wait\":0},\"duplicate_frames\":0"
        ",\"rst_ignored\":0,\"confidence\":\"high\",\"undecided\":[]",
        ",\"capture_loss\":0,\"illegal_flags\":0,\"flags\":[]}\n",
    };
    static const char *const want[N_CASES] = {
        [SIMULTANEOUS] = ",\"simultaneous_close\":true,\"three_way_close\":false,",
        [THREE_WAY] = ",\"simultaneous_close\":false,\"three_way_close\":true,"
                      "\"half_close\":false,",
        [HALF_CLOSE] = ",\"three_way_close\":false,\"half_close\":true,"
                       "\"bytes_after_peer_fin\":{\"client\":0,",
        [AFTER_FIN_CLIENT] = ",\"half_close\":false,\"bytes_after_peer_fin\":"
                             "{\"client\":7,\"server\":0},",
        [AFTER_FIN_SERVER] = ",\"bytes_after_peer_fin\":{\"client\":0,"
                             "\"server\":7},\"close_duration\":",
        [FIN_RTX_CLIENT] = ",\"fin_retransmits\":{\"client\":2,\"server\":0},"
                           "\"final_ack_lost\":false,",
        [FIN_RTX_SERVER] = ",\"fin_retransmits\":{\"client\":0,\"server\":2},"
                           "\"final_ack_lost\":false,",
        [FINAL_ACK_LOST] = ",\"fin_retransmits\":{\"client\":0,\"server\":0},"
                           "\"final_ack_lost\":true,",
        [OLD_DUPLICATES] = ",\"old_duplicates\":3,\"reuse_of\":null,",
        [REUSE_OF] = ",\"old_duplicates\":0,\"reuse_of\":41,"
                     "\"reuse_in_time_wait\":false,",
        [REUSE_IN_TW] = ",\"reuse_of\":null,\"reuse_in_time_wait\":true,"
                        "\"reuse\":null,",
        [REUSE] = ",\"reuse_in_time_wait\":false,\"reuse\":{\"holder\":",
        [IN_WINDOW] = ",\"old_duplicate_risk\":{\"in_window\":3,"
                      "\"paws_rejected\":0,\"during_time_wait\":0},",
        [PAWS] = ",\"old_duplicate_risk\":{\"in_window\":0,"
                 "\"paws_rejected\":3,\"during_time_wait\":0},",
        [DURING_TW] = ",\"old_duplicate_risk\":{\"in_window\":0,"
                      "\"paws_rejected\":0,\"during_time_wait\":3},",
        [DUPLICATE_FRAMES] = "},\"duplicate_frames\":3,\"rst_ignored\":0,"
                             "\"confidence\":\"high\",",
        [RST_IGNORED] = ",\"duplicate_frames\":0,\"rst_ignored\":3,"
                        "\"confidence\":\"high\",",
        [CAPTURE_LOSS] = ",\"rst_ignored\":0,\"confidence\":\"low\",\"undecided"
                         "\":[],\"state_age\":{\"client\":null,\"server\":null},"
                         "\"capture_loss\":3,\"illegal_flags\":0,\"flags\":[]}\n",
        [ILLEGAL_FLAGS] = ",\"capture_loss\":0,\"illegal_flags\":3,"
                          "\"flags\":[]}\n",
        [FLAGS] = ",\"capture_loss\":0,\"illegal_flags\":0,"
                  "\"flags\":[\"evicted\"]}\n",
    };
    FsOutcome outcome;
    FsConn conn;
    g_autofree gchar *line = NULL;

    memset(&conn, 0, sizeof conn);
    fs_conn_init(&conn);
    conn.id = 42;
    conn.addr[FS_ROLE_CLIENT].family = 4;
    conn.addr[FS_ROLE_SERVER].family = 4;
    fs_classify_outcome(&conn, &outcome);
    line = json_conn_line(&conn, &outcome);
    for (gsize i = 0; i < G_N_ELEMENTS(usual); i++)
        g_assert_nonnull(strstr(line, usual[i]));
    for (int c = 0; c < N_CASES; c++) {
        FsConn odd = conn;
        FsOutcome odd_outcome = outcome;

        switch (c) {
        case SIMULTANEOUS: odd.simultaneous = 1; break;
        case THREE_WAY: odd.three_way_close = 1; break;
        case HALF_CLOSE: odd_outcome.half_close = TRUE; break;
        case AFTER_FIN_CLIENT:
            odd.ep[FS_ROLE_CLIENT].bytes_after_peer_fin = 7;
            break;
        case AFTER_FIN_SERVER:
            odd.ep[FS_ROLE_SERVER].bytes_after_peer_fin = 7;
            break;
        case FIN_RTX_CLIENT:
            odd_outcome.fin_retransmits[FS_ROLE_CLIENT] = 2;
            break;
        case FIN_RTX_SERVER:
            odd_outcome.fin_retransmits[FS_ROLE_SERVER] = 2;
            break;
        case FINAL_ACK_LOST: odd.final_ack_lost = 1; break;
        case OLD_DUPLICATES: odd.old_duplicates = 3; break;
        case REUSE_OF: odd.reuse_of = 41; break;
        case REUSE_IN_TW: odd.reuse_in_time_wait = 1; break;
        case REUSE: odd.reuse.outcome = FS_REUSE_ACCEPTED; break;
        case IN_WINDOW: odd.old_dup.in_window = 3; break;
        case PAWS: odd.old_dup.paws_rejected = 3; break;
        case DURING_TW: odd.old_dup.during_time_wait = 3; break;
        case DUPLICATE_FRAMES: odd.duplicate_frames = 3; break;
        case RST_IGNORED: odd.rst_ignored = 3; break;
        case CAPTURE_LOSS: odd.capture_loss = 3; break;
        case ILLEGAL_FLAGS: odd.illegal_flags = 3; break;
        case FLAGS: odd_outcome.flags = FS_FLAG_BIT(FS_FLAG_EVICTED); break;
        default: g_assert_not_reached();
        }
        g_free(line);
        line = json_conn_line(&odd, &odd_outcome);
        if (strstr(line, want[c]) == NULL)
            g_error("case %d: %s not in %s", c, want[c], line);
    }
}

/* An event's detail, as --json writes it: plain, to be escaped, longer
 * than the report keeps by address, NULL, and more of them than it has
 * slots, each several times over: every event line ends in what
 * fs_json_string() makes of it. */
static void
test_report_event_detail(void)
{
    enum { N_NUMBERED = 200, ROUNDS = 3 };
    static char numbered[N_NUMBERED][24];
    static const char *const fixed[] = {
        "each FIN sent before the peer's FIN arrived",
        "a \"quoted\"\tdetail\\ with \001 control",
        "a detail longer than the ninety-six bytes the report keeps of one "
        "by its address, written the usual way every time",
        NULL,
    };
    FsEngineConfig cfg;
    FILE *f = tmpfile();
    FsReport *r;
    FsEngineSink sink;
    FsEvent ev;
    FsConn conn;
    g_autoptr(GString) text = NULL;
    g_autoptr(GPtrArray) wants = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) lines = NULL;
    guint n = 0;

    memset(&cfg, 0, sizeof cfg);
    g_assert_nonnull(f);
    r = fs_report_new(FS_REPORT_JSON, f, &cfg);
    sink = fs_report_sink(r);
    memset(&conn, 0, sizeof conn);
    fs_conn_init(&conn);
    memset(&ev, 0, sizeof ev);
    ev.kind = FS_EV_FIN;
    ev.role = FS_ROLE_NONE;
    for (guint i = 0; i < N_NUMBERED; i++)
        g_snprintf(numbered[i], sizeof numbered[i], "detail %u%s", i,
                   i % 7 == 0 ? "\n" : "");
    for (guint round = 0; round < ROUNDS; round++) {
        for (guint i = 0; i < N_NUMBERED + G_N_ELEMENTS(fixed); i++) {
            GString *want = g_string_new(",\"detail\":");
            FsJson j;

            ev.detail = i < N_NUMBERED ? numbered[i] : fixed[i - N_NUMBERED];
            sink.on_event(&ev, &conn, sink.user);
            fs_json_init(&j, want);
            fs_json_string(&j, ev.detail);
            g_string_append_c(want, '}');
            g_ptr_array_add(wants, g_string_free(want, FALSE));
        }
    }
    g_assert_cmpstr(g_ptr_array_index(wants, N_NUMBERED + 1), ==,
                    ",\"detail\":\"a \\\"quoted\\\"\\tdetail\\\\ with "
                    "\\u0001 control\"}");
    fs_report_free(r); /* unbatched: each line is out already */
    text = file_text(f);
    fclose(f);
    lines = g_strsplit(text->str, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        if (!g_str_has_prefix(lines[i], "{\"type\":\"event\""))
            continue;
        g_assert_cmpuint(n, <, wants->len);
        g_assert_true(g_str_has_suffix(lines[i],
                                       g_ptr_array_index(wants, n)));
        n++;
    }
    g_assert_cmpuint(n, ==, wants->len);
}

/* A connection's Wireshark filter writes IPv4 addresses by hand: as
 * fs_addr_format() does, for every byte value in every position; IPv6
 * ones through it. */
static void
test_handoff_addresses(void)
{
    FsConn conn;

    memset(&conn, 0, sizeof conn);
    fs_conn_init(&conn);
    conn.port[FS_ROLE_CLIENT] = 40000;
    conn.port[FS_ROLE_SERVER] = 80;
    conn.first_frame = 9;
    conn.last_frame = 1000;
    for (guint v = 0; v < 256 + 2; v++) {
        char c[FS_ENDPOINT_STRLEN];
        char s[FS_ENDPOINT_STRLEN];
        g_autofree char *want = NULL;
        g_autofree char *got = NULL;
        gboolean v6 = v >= 256;

        for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
            FsAddr *a = &conn.addr[r];

            memset(a, 0, sizeof *a);
            a->family = v6 ? 6 : 4;
            for (int i = 0; i < (v6 ? 16 : 4); i++)
                a->bytes[i] = (guint8)(r == FS_ROLE_CLIENT ? v + i * 37
                                                           : 255 - v - i);
        }
        fs_addr_format(&conn.addr[FS_ROLE_CLIENT], c, sizeof c);
        fs_addr_format(&conn.addr[FS_ROLE_SERVER], s, sizeof s);
        want = g_strdup_printf("%s.addr==%s && %s.addr==%s && tcp.port==40000"
                               " && tcp.port==80 && frame.number>=9 && "
                               "frame.number<=1000 && !%s",
                               v6 ? "ipv6" : "ip", c, v6 ? "ipv6" : "ip", s,
                               v6 ? "icmpv6" : "icmp");
        got = fs_handoff_filter(&conn);
        g_assert_cmpstr(got, ==, want);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/json/handoff-addresses", test_handoff_addresses);
    g_test_add_func("/json/object", test_object);
    g_test_add_func("/json/escapes", test_escapes);
    g_test_add_func("/json/escape-positions", test_escape_positions);
    g_test_add_func("/json/time", test_time);
    g_test_add_func("/json/numbers", test_numbers);
    g_test_add_func("/json/long-and-keys", test_long_and_keys);
    g_test_add_func("/json/key-at-fast-limit", test_key_at_fast_limit);
    g_test_add_func("/json/literal-keys", test_literal_keys);
    g_test_add_func("/json/put-numbers", test_put_numbers);
    g_test_add_func("/json/put-fixed-point", test_put_fixed_point);
    g_test_add_func("/json/put-time", test_put_time);
    g_test_add_func("/json/put-string", test_put_string);
    g_test_add_func("/json/addr-put", test_addr_put);
    g_test_add_func("/json/report-batched", test_report_batched);
    g_test_add_func("/json/report-event-detail", test_report_event_detail);
    g_test_add_func("/json/report-conn-runs", test_report_conn_runs);
    return g_test_run();
}
