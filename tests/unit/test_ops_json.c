/* test_ops_json.c: json_get paths (keys, indexes, negative indexes,
 * quoted keys), value forms, errors naming the path, json_parse and
 * json_stringify. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "test_ops_fixture.h"

static const char *doc =
    "{\"name\":\"perch\",\"version\":3,\"ok\":true,\"none\":null,"
    "\"a\":{\"b\":[{\"c\":\"deep\"},{\"c\":\"second\",\"n\":1.5}]},"
    "\"tags\":[\"x\",\"y\",\"z\"],\"dotted.key\":{\"v\":\"dots\"},\"unicode\":\"h\\u00e9\"}";

static void
test_ops_json_get_paths(void **state)
{
    (void)state;
    EXPECT("perch", "json_get", doc, "name");
    EXPECT("perch", "json_get", doc, ".name");
    EXPECT("perch", "json_get", doc, "$.name");
    EXPECT("deep", "json_get", doc, "a.b[0].c");
    EXPECT("second", "json_get", doc, "a.b[1].c");
    EXPECT("1.5", "json_get", doc, "a.b[1].n");
    EXPECT("z", "json_get", doc, "tags[-1]");
    EXPECT("x", "json_get", doc, "tags[0]");
    EXPECT("dots", "json_get", doc, "[\"dotted.key\"].v");
    EXPECT("h\xc3\xa9", "json_get", doc, "unicode");
    EXPECT("2", "json_get", "[1,2,3]", "[1]");
}

static void
test_ops_json_get_value_forms(void **state)
{
    (void)state;
    EXPECT("3", "json_get", doc, "version");
    EXPECT("true", "json_get", doc, "ok");
    EXPECT("null", "json_get", doc, "none");
    EXPECT("[\"x\",\"y\",\"z\"]", "json_get", doc, "tags");
    EXPECT("{\"c\":\"deep\"}", "json_get", doc, "a.b[0]");
    EXPECT("{\"k\":1}", "json_get", "{\"k\": 1}", "");
}

static void
test_ops_json_get_errors_name_the_path(void **state)
{
    (void)state;
    EXPECT_FAIL(ERR_NOT_FOUND, "no key \"missing\" in path 'a.missing'", "json_get", doc,
                "a.missing");
    EXPECT_FAIL(ERR_NOT_FOUND, "out of range (array has 3)", "json_get", doc, "tags[7]");
    EXPECT_FAIL(ERR_NOT_FOUND, "json_get: 'name' is not an array (path 'name[0]')", "json_get",
                doc, "name[0]");
    EXPECT_FAIL(ERR_NOT_FOUND, "json_get: 'tags' is not an object (path 'tags.x')", "json_get",
                doc, "tags.x");
    /* At the top: the document itself is named, not an empty path. */
    EXPECT_FAIL(ERR_NOT_FOUND, "json_get: the document is not an object (path 'a')", "json_get",
                "[1]", "a");
    EXPECT_FAIL(ERR_NOT_FOUND, "json_get: the document is not an array (path '[0]')",
                "json_get", "{}", "[0]");
    EXPECT_FAIL(ERR_USAGE, "bad index", "json_get", doc, "tags[x]");
    EXPECT_FAIL(ERR_USAGE, "empty key", "json_get", doc, "a..b");
    EXPECT_FAIL(ERR_JSON, "invalid JSON at line 1", "json_get", "{not json", "a");
}

static void
test_ops_json_parse_and_stringify(void **state)
{
    (void)state;
    EXPECT("{\"a\":[1,2],\"b\":\"x\"}", "json_parse", "{ \"a\" : [1, 2],\n \"b\": \"x\" }");
    EXPECT("42", "json_parse", "42");
    EXPECT_FAIL(ERR_JSON, "json_parse: invalid JSON at line 2", "json_parse", "{\n\"a\": }");
    EXPECT("\"say \\\"hi\\\"\\n\"", "json_stringify", "say \"hi\"\n");
    EXPECT("{\"name\":\"perch\",\"n\":\"3\"}", "json_stringify", "name", "perch", "n", "3");
    EXPECT_FAIL(ERR_USAGE, "pairs", "json_stringify", "a", "b", "c");
    EXPECT_FAIL(ERR_JSON, "UTF-8", "json_stringify", "\xff\xfe");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_json_get_paths),
        cmocka_unit_test(test_ops_json_get_value_forms),
        cmocka_unit_test(test_ops_json_get_errors_name_the_path),
        cmocka_unit_test(test_ops_json_parse_and_stringify),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
