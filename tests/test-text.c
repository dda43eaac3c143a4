/* finscope tests: user text escaped for the terminal and read with
 * limits (src/1-engine/text.c). */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "finscope/error.h"
#include "text.h"

static void
expect_escaped(const char *in, gsize max, const char *want)
{
    g_autofree char *got = fs_text_escape(in, max);

    g_assert_cmpstr(got, ==, want);
}

static void
test_escape_controls(void)
{
    expect_escaped("plain name.pcap", 0, "plain name.pcap");
    /* ESC [ 3 1 m: a colour change */
    expect_escaped("a\033[31mb", 0, "a\\x1b[31mb");
    /* CR, LF, BEL, DEL; a tab stays */
    expect_escaped("x\r\n\a\177\ty", 0, "x\\x0d\\x0a\\x07\\x7f\ty");
    /* U+009B (C2 9B) is CSI on a terminal: escaped byte by byte */
    expect_escaped("a\302\233b", 0, "a\\xc2\\x9bb");
    /* U+00E9 (C3 A9) and U+20AC (E2 82 AC) are text: kept */
    expect_escaped("caf\303\251 \342\202\254", 0, "caf\303\251 \342\202\254");
    /* a lone continuation byte and a cut sequence are not UTF-8 */
    expect_escaped("a\200b\342\202", 0, "a\\x80b\\xe2\\x82");
    /* a backslash stays: escaping twice changes nothing */
    expect_escaped("a\\x1bb", 0, "a\\x1bb");
    expect_escaped(NULL, 0, "");
}

static void
test_escape_cut(void)
{
    expect_escaped("abcdef", 4, "abcd...");
    expect_escaped("abcd", 4, "abcd");
    /* a UTF-8 character is not cut in two */
    expect_escaped("abc\303\251", 4, "abc...");
}

static void
test_escape_lines(void)
{
    g_autofree char *got = fs_text_escape_lines("one\033\ntwo long\n", 5);

    g_assert_cmpstr(got, ==, "one\\x1b\ntwo l...\n");
}

/* fs_text_split_lines() gives what g_strsplit(text, "\n", -1) gives. */
static void
test_split_lines(void)
{
    static const char *const texts[] = {
        "", "\n", "\n\n", "a", "a\n", "\na", "a\nb", "a\n\nb\n",
        "one\ntwo\nthree", " x \n y \n",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
        g_auto(GStrv) want = g_strsplit(texts[i], "\n", -1);
        g_auto(GStrv) got = fs_text_split_lines(texts[i]);

        g_assert_cmpuint(g_strv_length(got), ==, g_strv_length(want));
        for (guint k = 0; want[k] != NULL; k++)
            g_assert_cmpstr(got[k], ==, want[k]);
    }
}

/* A long text's lines, and its escaped lines, all there (20,000 of
 * them: under AddressSanitizer, strchr() or strstr() over the rest of
 * the text each line made this quadratic). */
static void
test_split_many_lines(void)
{
    GString *text = g_string_new(NULL);
    g_auto(GStrv) lines = NULL;
    g_autofree char *escaped = NULL;
    g_autofree char *joined = NULL;

    for (guint i = 0; i < 20000; i++)
        g_string_append_printf(text, "conn %u\n", i);
    lines = fs_text_split_lines(text->str);
    g_assert_cmpuint(g_strv_length(lines), ==, 20001);
    g_assert_cmpstr(lines[12345], ==, "conn 12345");
    g_assert_cmpstr(lines[20000], ==, "");
    escaped = fs_text_escape_lines(text->str, 0);
    g_assert_cmpstr(escaped, ==, text->str);
    joined = g_strjoinv("\n", lines);
    g_assert_cmpstr(joined, ==, text->str);
    g_string_free(text, TRUE);
}

static char *
write_temp(const char *bytes, gsize len)
{
    GError *error = NULL;
    char *path = NULL;
    int fd = g_file_open_tmp("finscope-text-XXXXXX", &path, &error);

    g_assert_no_error(error);
    g_assert_cmpint(fd, >=, 0);
    g_assert_true(g_file_set_contents(path, bytes, (gssize)len, &error));
    g_assert_no_error(error);
    close(fd);
    return path;
}

static void
test_read_text(void)
{
    static const char text[] = "resets == 0\n# comment\nopen == 0";
    g_autofree char *path = write_temp(text, sizeof text - 1);
    g_autoptr(GError) error = NULL;
    g_autofree char *got = fs_text_read(path, "policy file", &error);

    g_assert_no_error(error);
    g_assert_cmpstr(got, ==, text);
    g_unlink(path);
}

static void
test_read_nul(void)
{
    /* line 1 fine, line 2 holds a NUL, line 3 would have been dropped */
    static const char bytes[] = "resets == 0\nopen == 0\0\nresets == 9\n";
    g_autofree char *path = write_temp(bytes, sizeof bytes - 1);
    g_autoptr(GError) error = NULL;
    g_autofree char *got = fs_text_read(path, "policy file", &error);

    g_assert_null(got);
    g_assert_error(error, FS_ERROR, FS_ERROR_FORMAT);
    g_assert_true(strstr(error->message, ":2: policy file: a NUL byte") !=
                  NULL);
    g_unlink(path);
}

static void
test_read_long_line(void)
{
    gsize len = FS_TEXT_LINE_MAX + 10;
    g_autofree char *bytes = g_malloc(len + 3);
    g_autofree char *path = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *got = NULL;

    memcpy(bytes, "a\n", 2);
    memset(bytes + 2, 'b', len);
    bytes[len + 2] = '\n';
    path = write_temp(bytes, len + 3);
    got = fs_text_read(path, "baseline", &error);
    g_assert_null(got);
    g_assert_error(error, FS_ERROR, FS_ERROR_FORMAT);
    g_assert_true(strstr(error->message, ":2: baseline: line longer") !=
                  NULL);
    g_assert_cmpuint(strlen(error->message), <, 200 + strlen(path));
    g_unlink(path);
}

static void
test_read_line_at_limit(void)
{
    gsize len = FS_TEXT_LINE_MAX;
    g_autofree char *bytes = g_malloc(len);
    g_autofree char *path = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *got = NULL;

    memset(bytes, 'c', len);
    path = write_temp(bytes, len);
    got = fs_text_read(path, "baseline", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(strlen(got), ==, len);
    g_unlink(path);
}

static void
test_read_missing(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *got = fs_text_read("/nonexistent/\033x", "baseline",
                                        &error);

    g_assert_null(got);
    g_assert_error(error, FS_ERROR, FS_ERROR_OPEN);
    g_assert_true(strstr(error->message, "/nonexistent/\\x1bx") != NULL);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/text/escape/controls", test_escape_controls);
    g_test_add_func("/text/escape/cut", test_escape_cut);
    g_test_add_func("/text/escape/lines", test_escape_lines);
    g_test_add_func("/text/split/lines", test_split_lines);
    g_test_add_func("/text/split/many-lines", test_split_many_lines);
    g_test_add_func("/text/read/text", test_read_text);
    g_test_add_func("/text/read/nul", test_read_nul);
    g_test_add_func("/text/read/long-line", test_read_long_line);
    g_test_add_func("/text/read/line-at-limit", test_read_line_at_limit);
    g_test_add_func("/text/read/missing", test_read_missing);
    return g_test_run();
}
