/* finscope: renders check verdicts as TAP and as JUnit XML. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "text.h"
#include "verdict.h"

FsVerdict *
fs_verdict_new(FsVerdictKind kind, const char *name, gboolean passed,
               const char *message, const char *details)
{
    FsVerdict *v = g_new0(FsVerdict, 1);

    v->kind = kind;
    v->name = g_strdup(name);
    v->passed = passed;
    v->message = g_strdup(message);
    v->details = details && details[0] ? g_strdup(details) : NULL;
    return v;
}

void
fs_verdict_free(FsVerdict *v)
{
    if (v == NULL)
        return;
    g_free(v->name);
    g_free(v->message);
    g_free(v->details);
    g_free(v);
}

/* ---- TAP --------------------------------------------------------------- */

/* A TAP description may not hold "#" (a directive) or a line break. */
static void
append_tap_name(GString *out, const char *name)
{
    for (const char *p = name; *p != '\0'; p++) {
        if (*p == '#')
            g_string_append(out, "\\#");
        else if (*p == '\n' || *p == '\r')
            g_string_append_c(out, ' ');
        else
            g_string_append_c(out, *p);
    }
}

static void
append_diagnostics(GString *out, const char *text)
{
    g_auto(GStrv) lines = NULL;

    if (text == NULL)
        return;
    lines = fs_text_split_lines(text);
    for (guint i = 0; lines[i] != NULL; i++) {
        if (lines[i][0] == '\0' && lines[i + 1] == NULL)
            break;
        g_string_append_printf(out, "# %s\n", lines[i]);
    }
}

char *
fs_verdict_tap(GPtrArray *verdicts)
{
    GString *out = g_string_new(NULL);

    g_string_append_printf(out, "1..%u\n", verdicts->len);
    for (guint i = 0; i < verdicts->len; i++) {
        const FsVerdict *v = g_ptr_array_index(verdicts, i);

        g_string_append_printf(out, "%s %u - ", v->passed ? "ok" : "not ok",
                               i + 1);
        append_tap_name(out, v->name);
        g_string_append_c(out, '\n');
        if (v->passed)
            continue;
        append_diagnostics(out, v->message);
        append_diagnostics(out, v->details);
    }
    return g_string_free(out, FALSE);
}

/* ---- JUnit ------------------------------------------------------------- */

/* Escapes text for XML 1.0: valid UTF-8, no characters XML forbids, and
 * in attributes no raw line breaks. */
static void
append_xml(GString *out, const char *text, gboolean attribute)
{
    g_autofree char *valid = g_utf8_make_valid(text ? text : "", -1);

    for (const char *p = valid; *p != '\0'; p++) {
        guchar ch = (guchar)*p;

        switch (ch) {
        case '&':  g_string_append(out, "&amp;"); break;
        case '<':  g_string_append(out, "&lt;"); break;
        case '>':  g_string_append(out, "&gt;"); break;
        case '"':  g_string_append(out, "&quot;"); break;
        case '\'': g_string_append(out, "&apos;"); break;
        case '\n':
        case '\t':
        case '\r':
            if (attribute)
                g_string_append_printf(out, "&#%u;", ch);
            else
                g_string_append_c(out, (char)ch);
            break;
        default:
            g_string_append_c(out, ch < 0x20 ? '?' : (char)ch);
            break;
        }
    }
}

static const char *
classname(FsVerdictKind kind)
{
    switch (kind) {
    case FS_VERDICT_BASELINE:      return "finscope.check.baseline";
    case FS_VERDICT_BASELINE_ITEM: return "finscope.check.baseline";
    case FS_VERDICT_ASSERTION:     return "finscope.check.policy";
    case FS_VERDICT_CAPTURE:       return "finscope.check.capture";
    }
    g_return_val_if_reached("finscope.check");
}

static void
append_testcase(GString *out, const FsVerdict *v)
{
    g_string_append(out, "    <testcase classname=\"");
    append_xml(out, classname(v->kind), TRUE);
    g_string_append(out, "\" name=\"");
    append_xml(out, v->name, TRUE);
    g_string_append(out, "\" time=\"0\">\n");
    if (v->passed) {
        g_string_append(out, "      <system-out>");
        append_xml(out, v->message, FALSE);
        g_string_append(out, "</system-out>\n");
    } else {
        g_string_append(out, "      <failure message=\"");
        append_xml(out, v->message, TRUE);
        g_string_append_printf(out, "\" type=\"%s\">",
                               v->kind == FS_VERDICT_ASSERTION
                                   ? "assertion"
                               : v->kind == FS_VERDICT_CAPTURE
                                   ? "capture" : "baseline");
        append_xml(out, v->details ? v->details : v->message, FALSE);
        g_string_append(out, "</failure>\n");
    }
    g_string_append(out, "    </testcase>\n");
}

static void
append_properties(GString *out, const char *const *properties)
{
    if (properties == NULL || properties[0] == NULL)
        return;
    g_string_append(out, "    <properties>\n");
    for (guint i = 0; properties[i] && properties[i + 1]; i += 2) {
        g_string_append(out, "      <property name=\"");
        append_xml(out, properties[i], TRUE);
        g_string_append(out, "\" value=\"");
        append_xml(out, properties[i + 1], TRUE);
        g_string_append(out, "\"/>\n");
    }
    g_string_append(out, "    </properties>\n");
}

char *
fs_verdict_junit(GPtrArray *verdicts, const char *suite,
                 const char *const *properties)
{
    GString *out = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    guint failures = 0;

    for (guint i = 0; i < verdicts->len; i++) {
        const FsVerdict *v = g_ptr_array_index(verdicts, i);

        failures += v->passed ? 0 : 1;
    }
    g_string_append(out, "<testsuites name=\"");
    append_xml(out, suite, TRUE);
    g_string_append_printf(out, "\" tests=\"%u\" failures=\"%u\" errors=\"0\">"
                           "\n  <testsuite name=\"", verdicts->len, failures);
    append_xml(out, suite, TRUE);
    g_string_append_printf(out, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" "
                           "skipped=\"0\" time=\"0\">\n", verdicts->len,
                           failures);
    append_properties(out, properties);
    for (guint i = 0; i < verdicts->len; i++)
        append_testcase(out, g_ptr_array_index(verdicts, i));
    g_string_append(out, "  </testsuite>\n</testsuites>\n");
    return g_string_free(out, FALSE);
}
