/* finscope tests: the JSON writer's commas, escapes and numbers. */
#include "config.h"

#include <glib.h>

#include "finscope/json-writer.h"

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

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/json/object", test_object);
    g_test_add_func("/json/escapes", test_escapes);
    g_test_add_func("/json/time", test_time);
    return g_test_run();
}
